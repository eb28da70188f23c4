/*
 * compare: similar provisions through the store's search, filtered by the
 * categories of the stored analyses. See compare.h.
 */
#include <jansson.h>

#include "../analyze/analyze.h"
#include "compare.h"

/* The stored analysis of one version (NULL: none). */
struct analysis {
	int64_t version_id;
	json_t *json;
};

struct cw_compare {
	struct cw_store *s;
	char **stop; /* sorted stop words */
	size_t n_stop;
	struct analysis *an; /* sorted by version_id */
	size_t n_an, cap_an;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_stopwords(struct cw_compare *c, const char *path,
			  struct cw_err *err)
{
	struct cw_buf b = CW_BUF_INIT;
	size_t cap = 0;
	int rc = cw_file_read(&b, path, 1u << 20, err);

	if (rc)
		return rc;
	for (char *line = b.ptr, *nl; line && *line; line = nl) {
		size_t n;

		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		n = strlen(line);
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!n || line[0] == '#')
			continue;
		CW_GROW(c->stop, cap, c->n_stop + 1);
		c->stop[c->n_stop++] = cw_strdup(line);
	}
	if (c->n_stop)
		qsort(c->stop, c->n_stop, sizeof(char *), cmp_str);
	cw_buf_release(&b);
	return CW_OK;
}

int cw_compare_new(struct cw_compare **out, struct cw_store *store,
		   const char *stopwords, struct cw_err *err)
{
	struct cw_compare *c = cw_calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	c->s = store;
	if (stopwords) {
		rc = load_stopwords(c, stopwords, err);
		if (rc) {
			cw_compare_free(c);
			return rc;
		}
	}
	*out = c;
	return CW_OK;
}

void cw_compare_free(struct cw_compare *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_stop; i++)
		free(c->stop[i]);
	free(c->stop);
	for (size_t i = 0; i < c->n_an; i++)
		json_decref(c->an[i].json);
	free(c->an);
	free(c);
}

/* Is `word` (lower-cased, NUL-terminated) a stop word? */
static bool is_stop(const char *word, size_t n, void *arg)
{
	const struct cw_compare *c = arg;

	(void)n;
	return c->n_stop &&
	       bsearch(&word, c->stop, c->n_stop, sizeof(char *), cmp_str);
}

/* The stored analysis of `version_id`, read on first use (NULL: none). */
static int analysis_of(struct cw_compare *c, int64_t version_id,
		       const json_t **out, struct cw_err *err)
{
	size_t lo = 0, hi = c->n_an;
	struct cw_buf b = CW_BUF_INIT;
	json_t *j = NULL;
	int rc;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->an[mid].version_id < version_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->n_an && c->an[lo].version_id == version_id) {
		*out = c->an[lo].json;
		return CW_OK;
	}
	rc = cw_store_get_analysis(c->s, version_id, &b, err);
	if (rc == CW_OK)
		j = json_loadb(b.ptr, b.len, 0, NULL);
	cw_buf_release(&b);
	if (rc && rc != CW_ENOTFOUND)
		return rc;
	/* not analysed, or unreadable: no categories */
	CW_GROW(c->an, c->cap_an, c->n_an + 1);
	memmove(&c->an[lo + 1], &c->an[lo], (c->n_an - lo) * sizeof(c->an[0]));
	c->an[lo].version_id = version_id;
	c->an[lo].json = j;
	c->n_an++;
	*out = j;
	return CW_OK;
}

/* Does the analysis of the hit's version give its provision `category`? */
static int has_category(struct cw_compare *c, const struct cw_store_hit *h,
			const char *category, bool *yes, struct cw_err *err)
{
	const json_t *an, *p, *cat;
	size_t i;
	int rc = analysis_of(c, h->version_id, &an, err);

	*yes = false;
	if (rc || !an)
		return rc;
	p = cw_analyze_find(an, h->key);
	json_array_foreach(json_object_get(p, "categories"), i, cat)
	{
		const char *id = json_string_value(json_object_get(cat, "id"));

		if (id && !strcmp(id, category)) {
			*yes = true;
			break;
		}
	}
	return CW_OK;
}

struct keep_arg {
	struct cw_compare *c;
	const char *category;
};

/* Keep a hit whose provision the stored analysis gives the category. */
static int keep_category(const struct cw_store_hit *h, void *arg,
			 struct cw_err *err)
{
	struct keep_arg *k = arg;
	bool yes;
	int rc = has_category(k->c, h, k->category, &yes, err);

	return rc ? rc : yes;
}

int cw_compare_similar(struct cw_compare *c, const char *text, size_t len,
		       const char *category, const char *exclude_service,
		       size_t top, struct cw_store_hit **out, size_t *n,
		       struct cw_err *err)
{
	struct keep_arg k = { c, category };
	struct cw_store_search q = {
		.text = text,
		.len = len,
		.mode = CW_STORE_SEARCH_ANY,
		.skip = is_stop,
		.skip_arg = c,
		.exclude_service = exclude_service,
		.limit = top,
		/* one ranked read, as far as the category filter needs */
		.keep = category ? keep_category : NULL,
		.keep_arg = &k,
	};

	*out = NULL;
	*n = 0;
	if (!top)
		return CW_OK;
	return cw_store_search(c->s, &q, out, n, err);
}

struct terms_arg {
	const struct cw_compare *c;
	void (*fn)(const char *term, size_t n, void *arg);
	void *arg;
};

static bool terms_skip(const char *word, size_t n, void *arg)
{
	const struct terms_arg *t = arg;

	return is_stop(word, n, (void *)t->c);
}

static void terms_out(const char *term, size_t n, void *arg)
{
	const struct terms_arg *t = arg;

	t->fn(term, n, t->arg);
}

void cw_compare_terms(const struct cw_compare *c, const char *text, size_t len,
		      void (*fn)(const char *term, size_t n, void *arg),
		      void *arg)
{
	struct terms_arg t = { c, fn, arg };

	(void)cw_store_search_terms(text, len, true, terms_skip, terms_out, &t);
}
