/*
 * stored: a version's analysis as the store keeps it, and the inputs an
 * analysis takes from the store. The monitor (after a change) and the
 * read side (a page, `analyze`) both go through here, so an analysis is
 * computed from the same inputs and read back under the same schema
 * check whoever asks.
 */
#include <string.h>

#include "analyze.h"

int cw_analyze_inputs_load(struct cw_analyze_inputs *out, struct cw_store *s,
			   const char *service, int64_t doc_id,
			   int64_t upto_seq, struct cw_err *err)
{
	struct cw_store_doc *docs = NULL;
	struct cw_store_change_query q = { .doc_id = doc_id };
	struct cw_store_change *cs = NULL;
	size_t nd = 0, nc = 0;
	int rc;

	rc = cw_store_list_documents(s, service, NULL, &docs, &nd, err);
	for (size_t i = 0; !rc && i < nd; i++)
		cw_strv_push(&out->tracked, docs[i].type);
	cw_store_docs_free(docs, nd);
	if (rc)
		return rc;
	rc = cw_store_list_changes(s, &q, &cs, &nc, err);
	for (size_t i = 0; !rc && i < nc; i++) {
		struct cw_change_record r;

		/* a first version is no change; later ones are past the
		   version analysed */
		if (cs[i].from_version == 0 ||
		    (upto_seq > 0 && cs[i].to_seq > upto_seq))
			continue;
		/* a record that does not decode adds no key */
		if (cw_change_record_decode(&r, cs[i].json ? cs[i].json : "{}",
					    cs[i].json ? strlen(cs[i].json) : 2,
					    NULL))
			continue;
		cw_change_record_new_keys(&r, &out->changed_before);
		cw_change_record_release(&r);
	}
	cw_store_changes_free(cs, nc);
	return rc;
}

void cw_analyze_inputs_release(struct cw_analyze_inputs *in)
{
	cw_strv_release(&in->tracked);
	cw_strv_release(&in->changed_before);
}

int cw_analyze_load_stored(json_t **out, struct cw_store *s, int64_t version_id,
			   struct cw_err *err)
{
	struct cw_buf b = CW_BUF_INIT;
	int rc = cw_store_get_analysis(s, version_id, &b, err);

	*out = NULL;
	if (rc == CW_ENOTFOUND) {
		rc = CW_OK;
	} else if (rc == CW_OK) {
		*out = json_loadb(b.ptr ? b.ptr : "", b.len, 0, NULL);
		if (!cw_analyze_is_current(*out)) {
			json_decref(*out);
			*out = NULL;
		}
	}
	cw_buf_release(&b);
	return rc;
}

int cw_analyze_save(struct cw_store *s, int64_t version_id,
		    const json_t *analysis, struct cw_err *err)
{
	char *js = json_dumps(analysis, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc;

	if (!js)
		return cw_err_set(err, CW_EINVAL,
				  "version %lld: analysis not serialisable",
				  (long long)version_id);
	rc = cw_store_put_analysis(s, version_id, js, err);
	free(js);
	return rc;
}

int cw_analyze_version(json_t **out, const struct cw_analyze_ctx *ctx,
		       struct cw_store *s, const struct cw_store_doc *doc,
		       const struct cw_store_version *v, size_t *nprov,
		       bool *analysis_failed, struct cw_err *err)
{
	struct cw_analyze_inputs in = CW_ANALYZE_INPUTS_INIT;
	struct cw_segmentation *seg = NULL;
	struct cw_buf text = CW_BUF_INIT;
	char date[16];
	int rc;

	*out = NULL;
	if (nprov)
		*nprov = 0;
	if (analysis_failed)
		*analysis_failed = false;
	rc = cw_store_load_text(s, v->id, &text, err);
	if (!rc)
		rc = cw_store_load_provisions(s, v->id, &seg, err);
	if (!rc)
		rc = cw_analyze_inputs_load(&in, s, doc->service, doc->id,
					    v->seq, err);
	if (rc)
		goto done;
	snprintf(date, sizeof(date), "%.10s",
		 v->stated_date ? v->stated_date : v->recorded_at);
	struct cw_analyze_doc ad = {
		.service = doc->service,
		.type = doc->type,
		.seq = v->seq,
		.date = date,
		.text = cw_buf_str(&text),
		.len = text.len,
		.seg = seg,
		.tracked = (const char *const *)in.tracked.v,
		.ntracked = in.tracked.n,
		.changed_before = (const char *const *)in.changed_before.v,
		.nchanged_before = in.changed_before.n,
	};
	rc = cw_analyze_document(out, ctx, &ad, err);
	if (rc) {
		if (analysis_failed)
			*analysis_failed = true;
		goto done;
	}
	rc = cw_analyze_save(s, v->id, *out, err);
	if (rc) {
		json_decref(*out);
		*out = NULL;
		goto done;
	}
	if (nprov)
		*nprov = seg ? seg->n : 0;
done:
	cw_analyze_inputs_release(&in);
	cw_segment_free(seg);
	cw_buf_release(&text);
	return rc;
}
