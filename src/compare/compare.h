#ifndef CW_COMPARE_H
#define CW_COMPARE_H
/*
 * compare: "how other platforms handle this" — the provisions of other
 * services closest to a given one, ranked by Okapi BM25 (Robertson and
 * Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond",
 * 2009) over stemmed terms (Snowball English stemmer, libstemmer), with
 * stop words (data/compare/stopwords.txt) left out.
 *
 * An index is built once over many provisions (each with the categories
 * the analysis gave it), then queried with a provision's text and a
 * category: only provisions of that category, and of services other than
 * the one asking, are ranked.
 *
 * Thread safety: building is single-threaded; a built index may be
 * queried from several threads at once.
 */
#include "../util/util.h"

/* BM25 parameters: the usual defaults, which the literature finds robust
 * across collections of short documents like ours. */
#define CW_COMPARE_K1 1.2
#define CW_COMPARE_B 0.75

struct cw_compare_index;

/* One indexed provision; the index keeps its own copies of the strings. */
struct cw_compare_entry {
	const char *service;
	const char *type;
	const char *key;
	const char *title;
	const char *text;
	size_t len;
	const char *const *categories; /* NULL-terminated, may be NULL */
};

/*
 * New empty index. `stopwords` is a file of one word per line (# comments),
 * or NULL for none. Fails with CW_ENOTFOUND / CW_EIO naming the file.
 */
int cw_compare_index_new(struct cw_compare_index **out, const char *stopwords,
			 struct cw_err *err);
void cw_compare_index_free(struct cw_compare_index *idx); /* NULL no-op */

/* Add one provision (before cw_compare_index_build). */
void cw_compare_index_add(struct cw_compare_index *idx,
			  const struct cw_compare_entry *e);

/* Compute the statistics; after it, only queries. */
void cw_compare_index_build(struct cw_compare_index *idx);

size_t cw_compare_index_size(const struct cw_compare_index *idx);

/* The i-th entry (borrowed, valid while the index lives). */
const struct cw_compare_entry *
cw_compare_index_entry(const struct cw_compare_index *idx, size_t i);

struct cw_compare_hit {
	size_t entry;   /* index of the entry */
	double score;   /* BM25 score of the entry for the query */
};

/*
 * The `top` entries most similar to `text`, best first, restricted to
 * entries with `category` (NULL: any) and excluding `exclude_service`
 * (NULL: none). Ties are broken by entry order, so results are stable.
 * *out is NULL when nothing matches; free(*out).
 */
void cw_compare_query(const struct cw_compare_index *idx, const char *text,
		      size_t len, const char *category,
		      const char *exclude_service, size_t top,
		      struct cw_compare_hit **out, size_t *n);

/*
 * Tokenise `text` the way the index does (case-folded words, stop words
 * out, stemmed), calling `fn` for each term. For tests and tools.
 */
void cw_compare_terms(const struct cw_compare_index *idx, const char *text,
		      size_t len, void (*fn)(const char *term, size_t n,
					     void *arg),
		      void *arg);

#endif
