/*
 * search: provisions found by their words, as a search page or the
 * `search` command lists them (view.h).
 */
#include <math.h>
#include <string.h>

#include "view.h"

/* The snippet on one line, its match marks (\x02 ... \x03, store.h) as
 * brackets, so it reads in a terminal and in JSON alike. */
static json_t *snippet_json(const char *snip)
{
	struct cw_buf b = CW_BUF_INIT;
	bool space = false;
	json_t *j;

	for (const char *p = snip ? snip : ""; *p; p++) {
		if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
			space = b.len > 0;
			continue;
		}
		if (space)
			cw_buf_addc(&b, ' ');
		space = false;
		cw_buf_addc(&b, *p == '\x02' ? '[' : *p == '\x03' ? ']' : *p);
	}
	j = json_stringn(cw_buf_str(&b), b.len);
	cw_buf_release(&b);
	return j ? j : json_string("");
}

int cw_view_search(json_t **out, struct cw_store *s,
		   const struct cw_view_search_query *q, struct cw_err *err)
{
	struct cw_store_search sq = {
		.text = q->text,
		.len = strlen(q->text),
		.mode = q->any ? CW_STORE_SEARCH_ANY : CW_STORE_SEARCH_ALL,
		.service = q->service,
		.type = q->type,
		.all_versions = q->all_versions,
		.snippet = true,
		.limit = q->limit,
		.offset = q->offset,
	};
	struct cw_store_hit *hits = NULL;
	size_t n = 0;
	json_t *arr;
	int rc;

	*out = NULL;
	rc = cw_store_search(s, &sq, &hits, &n, err);
	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct cw_store_hit *h = &hits[i];
		json_t *ver = NULL;

		if (cw_view_version_ref(&ver, s, h->doc_id, h->seq, NULL))
			ver = cw_view_version_ref_json(h->seq, NULL, NULL);
		json_array_append_new(
			arr,
			json_pack("{sssssosIsssssfso}", "service", h->service,
				  "type", h->type, "version", ver, "first_seq",
				  (json_int_t)h->first_seq, "key", h->key,
				  "title", h->title ? h->title : "", "score",
				  round(h->score * 1000) / 1000, "snippet",
				  snippet_json(h->snippet)));
	}
	cw_store_hits_free(hits, n);
	*out = json_pack("{sssbso}", "query", q->text, "all_versions",
			 q->all_versions, "hits", arr);
	return CW_OK;
}
