/*
 * guard: what is not a version of a document (pipeline.h, "What is not a
 * version"). One check for every path that records versions: fetch and
 * ingest (cw_pipeline_commit), import-history (cw_pipeline_record_text)
 * and the monitor (through cw_pipeline_commit).
 */
#include "../util/json.h"
#include "pipeline.h"

/* A data file of phrases is small; past this it is not ours. */
#define GUARD_FILE_MAX (1u << 20)
#define GUARD_PHRASES_MAX 1000

struct cw_pipeline_stub {
	char *cause;  /* "an error page" */
	char *phrase; /* folded (fold() below) */
};

void cw_pipeline_guard_init(struct cw_pipeline_guard *g)
{
	memset(g, 0, sizeof(*g));
	g->blocked_ratio = CW_PIPELINE_BLOCKED_RATIO;
	g->blocked_min_bytes = CW_PIPELINE_BLOCKED_MIN_BYTES;
}

void cw_pipeline_guard_release(struct cw_pipeline_guard *g)
{
	for (size_t i = 0; i < g->n_stubs; i++) {
		free(g->stubs[i].cause);
		free(g->stubs[i].phrase);
	}
	free(g->stubs);
	g->stubs = NULL;
	g->n_stubs = 0;
}

/*
 * The form phrases are compared in: ASCII lower case, every run of
 * whitespace one space, the typographic apostrophes (U+2018, U+2019) as
 * "'", no space at either end. The page of Llama API's history says
 * "This page isn’t available" with U+2019, Facebook's with "'".
 */
static void fold(struct cw_buf *out, const char *s, size_t len)
{
	bool space = false;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\f' || c == '\v') {
			space = out->len > 0;
			continue;
		}
		if (space)
			cw_buf_addc(out, ' ');
		space = false;
		if (c == 0xe2 && i + 2 < len &&
		    (unsigned char)s[i + 1] == 0x80 &&
		    ((unsigned char)s[i + 2] == 0x98 ||
		     (unsigned char)s[i + 2] == 0x99)) {
			cw_buf_addc(out, '\'');
			i += 2;
			continue;
		}
		cw_buf_addc(out, (char)(c >= 'A' && c <= 'Z' ? c + 32 : c));
	}
}

int cw_pipeline_guard_load(struct cw_pipeline_guard *g, const char *path,
			   struct cw_err *err)
{
	static const char *const top_keys[] = { "_comment", "version", "pages",
						NULL };
	static const char *const page_keys[] = { "cause", "phrases", NULL };
	struct cw_json_where w = { path, "" };
	json_t *root = NULL, *pages = NULL;
	long long version = 0;
	int rc;

	rc = cw_json_load(&root, path, GUARD_FILE_MAX, err);
	if (!rc)
		rc = cw_json_keys(root, top_keys, &w, err);
	if (!rc)
		rc = cw_json_int(&version, root, "version", true, 1, 1, &w,
				 err);
	if (!rc)
		rc = cw_json_arr(&pages, root, "pages", true, 100, &w, err);
	for (size_t i = 0; !rc && i < json_array_size(pages); i++) {
		json_t *page = json_array_get(pages, i);
		char where[64], *cause = NULL, **phrases = NULL;
		size_t n = 0;

		snprintf(where, sizeof(where), "pages[%zu]", i);
		struct cw_json_where pw = { path, where };
		if (!json_is_object(page)) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': %s: expected an object, got %s",
					path, where, cw_json_type_name(page));
			break;
		}
		rc = cw_json_keys(page, page_keys, &pw, err);
		if (!rc)
			rc = cw_json_str(&cause, page, "cause", true, &pw, err);
		if (!rc)
			rc = cw_json_strs(&phrases, &n, page, "phrases", true,
					  GUARD_PHRASES_MAX, &pw, err);
		for (size_t k = 0; !rc && k < n; k++) {
			struct cw_buf f = CW_BUF_INIT;

			fold(&f, phrases[k], strlen(phrases[k]));
			if (!f.len) {
				cw_buf_release(&f);
				rc = cw_err_set(err, CW_EPARSE,
						"'%s': %s.phrases[%zu]: a "
						"phrase "
						"of spaces only",
						path, where, k);
				break;
			}
			CW_GROW(g->stubs, g->cap_stubs, g->n_stubs + 1);
			g->stubs[g->n_stubs].cause = cw_strdup(cause);
			g->stubs[g->n_stubs].phrase = cw_buf_detach(&f, NULL);
			g->n_stubs++;
		}
		free(cause);
		cw_json_free_strs(phrases, n);
	}
	json_decref(root);
	if (rc)
		cw_pipeline_guard_release(g);
	return rc;
}

int cw_pipeline_check_text(const struct cw_pipeline_guard *g, const char *text,
			   size_t len, int64_t prev_len, struct cw_err *err)
{
	/* folded text: shorter than blocked_min_bytes, read below */
	struct cw_buf f = CW_BUF_INIT;
	size_t i = 0;
	int rc = CW_OK;

	while (i < len && strchr(" \t\n\r\f\v", text[i]) && text[i])
		i++;
	if (i == len)
		return cw_err_set(err, CW_EEMPTY,
				  "empty text: nothing to record as a version");
	if ((long)len >= g->blocked_min_bytes)
		return CW_OK; /* a document's length: neither rule applies */
	fold(&f, text, len);
	for (i = 0; i < g->n_stubs; i++) {
		if (strstr(cw_buf_str(&f), g->stubs[i].phrase)) {
			rc = cw_err_set(err, CW_EEMPTY,
					"%s, not a version: its %zu bytes say "
					"\"%s\"",
					g->stubs[i].cause, len,
					g->stubs[i].phrase);
			break;
		}
	}
	cw_buf_release(&f);
	if (rc)
		return rc; /* the phrase names the cause better */
	/* a collapse (tuned in pipeline.h): also a page whose words are
	 * not among the phrases */
	if (prev_len > 0 && (double)len < g->blocked_ratio * (double)prev_len &&
	    (long)len < g->blocked_min_bytes)
		return cw_err_set(err, CW_EEMPTY,
				  "%zu bytes of text where the latest "
				  "version has %lld: a block page or a cookie "
				  "wall?",
				  len, (long long)prev_len);
	return CW_OK;
}
