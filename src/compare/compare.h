#ifndef CW_COMPARE_H
#define CW_COMPARE_H
/*
 * compare: "how other platforms handle this" — the provisions of other
 * services closest to a given one, among the current versions of the
 * stored documents.
 *
 * Closeness is the store's search (store.h): SQLite FTS5's bm25()
 * (Robertson and Zaragoza, "The Probabilistic Relevance Framework: BM25
 * and Beyond", 2009; k1 = 1.2, b = 0.75) over stemmed words (Snowball
 * English), the query being every distinct word of the provision that is
 * not a stop word (data/compare/stopwords.txt), any of which may match.
 * The index is kept by the store as versions are recorded; nothing is
 * built per run.
 *
 * What compare adds is the category: a hit counts only when the stored
 * analysis of its version gives the provision that category (the analyses
 * are read once per version and kept for the life of the handle).
 *
 * Thread safety: a handle is used by one thread at a time, like the store
 * it reads.
 */
#include "../store/store.h"
#include "../util/util.h"

struct cw_compare; /* opaque */

/*
 * New handle over `store` (borrowed: it must outlive the handle).
 * `stopwords` is a file of one word per line (# comments), or NULL for
 * none. Fails with CW_ENOTFOUND / CW_EIO naming the file.
 */
int cw_compare_new(struct cw_compare **out, struct cw_store *store,
		   const char *stopwords, struct cw_err *err);
void cw_compare_free(struct cw_compare *c); /* NULL no-op */

/*
 * The `top` current provisions most similar to `text`, best first,
 * restricted to provisions the stored analysis gives `category` (NULL:
 * any provision) and excluding `exclude_service` (NULL: none). Ties keep
 * the index's order, so results are stable.
 *
 * out  [out] new array of *n hits (at most `top`), free with
 *      cw_store_hits_free(); NULL when nothing matches
 * Returns CW_OK or the store's failure.
 */
int cw_compare_similar(struct cw_compare *c, const char *text, size_t len,
		       const char *category, const char *exclude_service,
		       size_t top, struct cw_store_hit **out, size_t *n,
		       struct cw_err *err);

/*
 * Tokenise `text` the way a query is made and the index matches it
 * (case-folded words, stop words out, stemmed), calling `fn` for each
 * term. For tests and tools.
 */
void cw_compare_terms(const struct cw_compare *c, const char *text, size_t len,
		      void (*fn)(const char *term, size_t n, void *arg),
		      void *arg);

#endif
