/*
 * compare: BM25 over stemmed terms. See compare.h.
 *
 * Terms are interned in an open-addressing hash table; each term keeps a
 * postings list of (entry, term frequency). A query scores only the
 * entries in the postings of its terms (term-at-a-time accumulation into
 * a dense score array), so its cost is proportional to the postings it
 * touches, not to the size of the index.
 */
#include <libstemmer.h>
#include <math.h>
#include <utf8proc.h>

#include "compare.h"

#define MAX_TERM 64        /* longer words are not words: cut, not stemmed */

struct posting {
	uint32_t entry;
	uint32_t tf;
};

struct term {
	char *text;
	uint32_t len;
	uint32_t df;        /* entries that contain it */
	struct posting *post;
	size_t n_post, cap_post;
	double idf;
};

struct entry {
	struct cw_compare_entry pub;
	char **cats;        /* NULL-terminated copies */
	uint32_t length;    /* terms in the entry */
};

struct cw_compare_index {
	struct entry *entries;
	size_t n, cap;
	struct term *terms;
	size_t n_terms, cap_terms;
	uint32_t *slots;    /* hash slots: term index + 1, 0 empty */
	size_t n_slots;
	char **stop;        /* sorted stop words */
	size_t n_stop;
	double avg_len;
	bool built;
	struct sb_stemmer *stemmer;
};

static uint64_t hash_bytes(const char *s, size_t n)
{
	/* FNV-1a: short keys, good enough spread for a power-of-two table */
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_stop(const struct cw_compare_index *idx, const char *w)
{
	return idx->n_stop &&
	       bsearch(&w, idx->stop, idx->n_stop, sizeof(char *), cmp_str);
}

int cw_compare_index_new(struct cw_compare_index **out, const char *stopwords,
			 struct cw_err *err)
{
	struct cw_compare_index *idx = cw_calloc(1, sizeof(*idx));
	struct cw_buf b = CW_BUF_INIT;
	size_t cap = 0;
	int rc;

	*out = NULL;
	idx->stemmer = sb_stemmer_new("english", NULL);
	if (!idx->stemmer) {
		free(idx);
		return cw_err_set(err, CW_ERROR, "libstemmer has no English stemmer");
	}
	if (stopwords) {
		rc = cw_file_read(&b, stopwords, 1u << 20, err);
		if (rc) {
			cw_compare_index_free(idx);
			return rc;
		}
		for (char *line = b.ptr, *nl; line && *line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			while (*line == ' ' || *line == '\t')
				line++;
			size_t n = strlen(line);
			while (n && (line[n - 1] == ' ' || line[n - 1] == '\r'))
				line[--n] = '\0';
			if (!n || line[0] == '#')
				continue;
			CW_GROW(idx->stop, cap, idx->n_stop + 1);
			idx->stop[idx->n_stop++] = cw_strdup(line);
		}
		qsort(idx->stop, idx->n_stop, sizeof(char *), cmp_str);
		cw_buf_release(&b);
	}
	idx->n_slots = 1024;
	idx->slots = cw_calloc(idx->n_slots, sizeof(*idx->slots));
	*out = idx;
	return CW_OK;
}

void cw_compare_index_free(struct cw_compare_index *idx)
{
	if (!idx)
		return;
	for (size_t i = 0; i < idx->n; i++) {
		struct entry *e = &idx->entries[i];
		free((char *)e->pub.service);
		free((char *)e->pub.type);
		free((char *)e->pub.key);
		free((char *)e->pub.title);
		free((char *)e->pub.text);
		for (char **c = e->cats; c && *c; c++)
			free(*c);
		free(e->cats);
	}
	free(idx->entries);
	for (size_t i = 0; i < idx->n_terms; i++) {
		free(idx->terms[i].text);
		free(idx->terms[i].post);
	}
	free(idx->terms);
	free(idx->slots);
	for (size_t i = 0; i < idx->n_stop; i++)
		free(idx->stop[i]);
	free(idx->stop);
	if (idx->stemmer)
		sb_stemmer_delete(idx->stemmer);
	free(idx);
}

/*
 * Split into words (runs of letters and digits, after Unicode case
 * folding), drop stop words, stem, and hand each term to `fn`. The
 * stemmer keeps state, so tokenising is not thread-safe; queries use
 * their own stemmer (see cw_compare_query).
 */
static void tokenize(const struct cw_compare_index *idx,
		     struct sb_stemmer *stemmer, const char *text, size_t len,
		     void (*fn)(const char *term, size_t n, void *arg),
		     void *arg)
{
	char word[MAX_TERM * 4 + 8];
	size_t wl = 0, i = 0;
	bool cut = false;

	while (i <= len) {
		utf8proc_int32_t cp = ' ';
		utf8proc_ssize_t k = 1;

		if (i < len) {
			k = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
					     (utf8proc_ssize_t)(len - i), &cp);
			if (k < 1) {
				k = 1;
				cp = ' ';
			}
		}
		utf8proc_category_t cat = utf8proc_category(cp);
		bool alnum = (cat >= UTF8PROC_CATEGORY_LU &&
			      cat <= UTF8PROC_CATEGORY_LO) ||
			     cat == UTF8PROC_CATEGORY_ND;
		if (alnum) {
			if (wl < MAX_TERM * 4) {
				utf8proc_int32_t low = utf8proc_tolower(cp);
				utf8proc_ssize_t e = utf8proc_encode_char(
					low, (utf8proc_uint8_t *)word + wl);
				wl += (size_t)e;
			} else {
				cut = true;
			}
		} else if (wl) {
			word[wl] = '\0';
			if (!cut && wl > 1 && !is_stop(idx, word)) {
				const sb_symbol *st = sb_stemmer_stem(
					stemmer, (const sb_symbol *)word, (int)wl);
				int sl = sb_stemmer_length(stemmer);
				if (st && sl > 0)
					fn((const char *)st, (size_t)sl, arg);
				else
					fn(word, wl, arg);
			}
			wl = 0;
			cut = false;
		}
		i += (size_t)k;
	}
}

static void grow_slots(struct cw_compare_index *idx)
{
	size_t n = idx->n_slots * 2;
	uint32_t *slots = cw_calloc(n, sizeof(*slots));

	for (size_t t = 0; t < idx->n_terms; t++) {
		uint64_t h = hash_bytes(idx->terms[t].text, idx->terms[t].len);
		size_t s = h & (n - 1);
		while (slots[s])
			s = (s + 1) & (n - 1);
		slots[s] = (uint32_t)t + 1;
	}
	free(idx->slots);
	idx->slots = slots;
	idx->n_slots = n;
}

/* Term index, or -1 if absent and `create` is false. */
static long term_find(struct cw_compare_index *idx, const char *s, size_t n,
		      bool create)
{
	uint64_t h = hash_bytes(s, n);
	size_t slot = h & (idx->n_slots - 1);

	while (idx->slots[slot]) {
		struct term *t = &idx->terms[idx->slots[slot] - 1];
		if (t->len == n && !memcmp(t->text, s, n))
			return (long)idx->slots[slot] - 1;
		slot = (slot + 1) & (idx->n_slots - 1);
	}
	if (!create)
		return -1;
	CW_GROW(idx->terms, idx->cap_terms, idx->n_terms + 1);
	struct term *t = &idx->terms[idx->n_terms];
	memset(t, 0, sizeof(*t));
	t->text = cw_strndup(s, n);
	t->len = (uint32_t)n;
	idx->slots[slot] = (uint32_t)++idx->n_terms;
	if (idx->n_terms * 2 > idx->n_slots)
		grow_slots(idx);
	return (long)idx->n_terms - 1;
}

struct add_ctx {
	struct cw_compare_index *idx;
	uint32_t entry;
	uint32_t count;
};

static void add_term(const char *s, size_t n, void *arg)
{
	struct add_ctx *a = arg;
	long t = term_find(a->idx, s, n, true);
	struct term *tm = &a->idx->terms[t];

	a->count++;
	if (tm->n_post && tm->post[tm->n_post - 1].entry == a->entry) {
		tm->post[tm->n_post - 1].tf++;
		return;
	}
	CW_GROW(tm->post, tm->cap_post, tm->n_post + 1);
	tm->post[tm->n_post].entry = a->entry;
	tm->post[tm->n_post].tf = 1;
	tm->n_post++;
	tm->df++;
}

static char *dup_or_empty(const char *s)
{
	return cw_strdup(s ? s : "");
}

void cw_compare_index_add(struct cw_compare_index *idx,
			  const struct cw_compare_entry *e)
{
	struct entry *x;
	size_t nc = 0;

	CW_GROW(idx->entries, idx->cap, idx->n + 1);
	x = &idx->entries[idx->n];
	memset(x, 0, sizeof(*x));
	x->pub.service = dup_or_empty(e->service);
	x->pub.type = dup_or_empty(e->type);
	x->pub.key = dup_or_empty(e->key);
	x->pub.title = dup_or_empty(e->title);
	x->pub.text = cw_strndup(e->text ? e->text : "", e->text ? e->len : 0);
	x->pub.len = e->text ? e->len : 0;
	while (e->categories && e->categories[nc])
		nc++;
	x->cats = cw_calloc(nc + 1, sizeof(char *));
	for (size_t i = 0; i < nc; i++)
		x->cats[i] = cw_strdup(e->categories[i]);
	x->pub.categories = (const char *const *)x->cats;

	struct add_ctx a = { idx, (uint32_t)idx->n, 0 };
	tokenize(idx, idx->stemmer, x->pub.text, x->pub.len, add_term, &a);
	x->length = a.count;
	idx->n++;
	idx->built = false;
}

void cw_compare_index_build(struct cw_compare_index *idx)
{
	double total = 0;

	for (size_t i = 0; i < idx->n; i++)
		total += idx->entries[i].length;
	idx->avg_len = idx->n ? total / (double)idx->n : 0;
	/* BM25's idf, floored at a small positive value so that a term in
	 * more than half the entries never lowers a score */
	for (size_t t = 0; t < idx->n_terms; t++) {
		double df = idx->terms[t].df, N = (double)idx->n;
		double idf = log((N - df + 0.5) / (df + 0.5) + 1.0);
		idx->terms[t].idf = idf > 1e-3 ? idf : 1e-3;
	}
	idx->built = true;
}

size_t cw_compare_index_size(const struct cw_compare_index *idx)
{
	return idx->n;
}

const struct cw_compare_entry *
cw_compare_index_entry(const struct cw_compare_index *idx, size_t i)
{
	return i < idx->n ? &idx->entries[i].pub : NULL;
}

struct query_ctx {
	const struct cw_compare_index *idx;
	long *terms;
	uint32_t *qtf;
	size_t n, cap;
};

static void query_term(const char *s, size_t n, void *arg)
{
	struct query_ctx *q = arg;
	long t = term_find((struct cw_compare_index *)q->idx, s, n, false);

	if (t < 0)
		return;
	for (size_t i = 0; i < q->n; i++)
		if (q->terms[i] == t) {
			q->qtf[i]++;
			return;
		}
	CW_GROW(q->terms, q->cap, q->n + 1);
	q->qtf = cw_reallocarray(q->qtf, q->cap, sizeof(*q->qtf));
	q->terms[q->n] = t;
	q->qtf[q->n++] = 1;
}

static bool has_category(const struct entry *e, const char *cat)
{
	if (!cat)
		return true;
	for (char **c = e->cats; c && *c; c++)
		if (!strcmp(*c, cat))
			return true;
	return false;
}

static int cmp_hit(const void *a, const void *b)
{
	const struct cw_compare_hit *x = a, *y = b;

	if (x->score != y->score)
		return x->score < y->score ? 1 : -1;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

void cw_compare_query(const struct cw_compare_index *idx, const char *text,
		      size_t len, const char *category,
		      const char *exclude_service, size_t top,
		      struct cw_compare_hit **out, size_t *n)
{
	struct query_ctx q = { idx, NULL, NULL, 0, 0 };
	struct sb_stemmer *stemmer = sb_stemmer_new("english", NULL);
	double *score;
	bool *allowed;
	struct cw_compare_hit *hits = NULL;
	size_t nh = 0;

	*out = NULL;
	*n = 0;
	if (!stemmer || !idx->n || !top) {
		if (stemmer)
			sb_stemmer_delete(stemmer);
		return;
	}
	/* a private stemmer: queries may run on several threads */
	tokenize(idx, stemmer, text, len, query_term, &q);
	sb_stemmer_delete(stemmer);

	score = cw_calloc(idx->n, sizeof(*score));
	allowed = cw_calloc(idx->n, sizeof(*allowed));
	for (size_t i = 0; i < idx->n; i++)
		allowed[i] = has_category(&idx->entries[i], category) &&
			     !(exclude_service &&
			       !strcmp(idx->entries[i].pub.service,
				       exclude_service));
	for (size_t k = 0; k < q.n; k++) {
		const struct term *t = &idx->terms[q.terms[k]];
		for (size_t p = 0; p < t->n_post; p++) {
			uint32_t e = t->post[p].entry;
			if (!allowed[e])
				continue;
			double tf = t->post[p].tf;
			double dl = idx->entries[e].length;
			double norm = 1.0 - CW_COMPARE_B +
				      CW_COMPARE_B * dl /
					      (idx->avg_len > 0 ? idx->avg_len : 1);
			score[e] += t->idf * tf * (CW_COMPARE_K1 + 1) /
				    (tf + CW_COMPARE_K1 * norm) * q.qtf[k];
		}
	}
	for (size_t i = 0; i < idx->n; i++)
		nh += score[i] > 0;
	hits = nh ? cw_calloc(nh, sizeof(*hits)) : NULL;
	nh = 0;
	for (size_t i = 0; i < idx->n; i++) {
		if (score[i] <= 0)
			continue;
		hits[nh].entry = i;
		hits[nh].score = score[i];
		nh++;
	}
	if (nh) /* qsort's base may not be NULL, even for no items */
		qsort(hits, nh, sizeof(*hits), cmp_hit);
	if (nh > top)
		nh = top;
	*out = hits;
	*n = nh;
	free(score);
	free(allowed);
	free(q.terms);
	free(q.qtf);
}

void cw_compare_terms(const struct cw_compare_index *idx, const char *text,
		      size_t len, void (*fn)(const char *term, size_t n,
					     void *arg),
		      void *arg)
{
	struct sb_stemmer *st = sb_stemmer_new("english", NULL);

	if (!st)
		return;
	tokenize(idx, st, text, len, fn, arg);
	sb_stemmer_delete(st);
}
