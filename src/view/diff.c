/*
 * diff: the provision diff of any two versions of a document, as the
 * `diff` command and the web's redline page show it.
 */
#include <string.h>

#include "../analyze/meaning.h"
#include "view.h"

int cw_view_diff(struct cw_view_diff *out, struct cw_store *s,
		 const struct cw_store_doc *doc, const char *from,
		 const char *to, const struct cw_diff_rules *rules,
		 const struct cw_taxonomy *tax, unsigned flags,
		 struct cw_err *err)
{
	struct cw_diff_opts opts = CW_DIFF_OPTS_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	opts.flags = flags;
	rc = cw_view_resolve_version(s, doc->id, from, &out->from, err);
	if (!rc)
		rc = cw_view_resolve_version(s, doc->id, to, &out->to, err);
	if (!rc)
		rc = cw_store_load_text(s, out->from.id, &out->old_text, err);
	if (!rc)
		rc = cw_store_load_provisions(s, out->from.id, &out->old_seg,
					      err);
	if (!rc)
		rc = cw_store_load_text(s, out->to.id, &out->new_text, err);
	if (!rc)
		rc = cw_store_load_provisions(s, out->to.id, &out->new_seg,
					      err);
	if (!rc) {
		struct cw_diff_version a = { cw_buf_str(&out->old_text),
					     out->old_text.len, out->old_seg };
		struct cw_diff_version b = { cw_buf_str(&out->new_text),
					     out->new_text.len, out->new_seg };
		rc = cw_diff_compute(&out->diff, &a, &b, rules, &opts, err);
	}
	if (!rc)
		rc = cw_meaning_explain(out->diff, &out->summary, tax, err);
	if (rc)
		cw_view_diff_release(out);
	return rc;
}

json_t *cw_view_diff_json(const struct cw_view_diff *d,
			  const struct cw_store_doc *doc)
{
	json_t *j = cw_meaning_diff_json(d->diff, d->summary);

	json_object_set_new(j, "service", json_string(doc->service));
	json_object_set_new(j, "type", json_string(doc->type));
	json_object_set_new(j, "from",
			    cw_view_version_ref_json(d->from.seq,
						     d->from.recorded_at,
						     d->from.stated_date));
	json_object_set_new(j, "to",
			    cw_view_version_ref_json(d->to.seq,
						     d->to.recorded_at,
						     d->to.stated_date));
	return j;
}

void cw_view_diff_release(struct cw_view_diff *d)
{
	cw_diff_free(d->diff);
	free(d->summary);
	cw_segment_free(d->old_seg);
	cw_segment_free(d->new_seg);
	cw_buf_release(&d->old_text);
	cw_buf_release(&d->new_text);
	cw_store_version_release(&d->from);
	cw_store_version_release(&d->to);
	memset(d, 0, sizeof(*d));
}
