/*
 * document: documents and versions as the faces show them, and the
 * version in force at a date.
 */
#include <string.h>

#include "view.h"

bool cw_view_split_ref(char *ref, char **service, char **type, char **version)
{
	char *slash = strrchr(ref, '/'), *at;

	*version = NULL;
	if (!slash || slash == ref || !slash[1])
		return false;
	*slash = '\0';
	*service = ref;
	*type = slash + 1;
	at = strrchr(*type, '@');
	if (at) {
		*at = '\0';
		*version = at + 1;
	}
	return **type != '\0';
}

int cw_view_find_document(struct cw_store *s, const char *ref,
			  struct cw_store_doc *doc, char **version,
			  struct cw_err *err)
{
	char *copy = cw_strdup(ref), *service, *type, *ver;
	int rc;

	memset(doc, 0, sizeof(*doc));
	if (version)
		*version = NULL;
	if (!cw_view_split_ref(copy, &service, &type, &ver)) {
		rc = cw_err_set(err, CW_EINVAL, "'%s' is not SERVICE/TYPE",
				ref);
		goto done;
	}
	rc = cw_store_find_document(s, service, type, doc, err);
	if (!rc && version && ver)
		*version = cw_strdup(ver);
done:
	free(copy);
	return rc;
}

int cw_view_resolve_version(struct cw_store *s, int64_t doc_id,
			    const char *name, struct cw_store_version *out,
			    struct cw_err *err)
{
	long seq;
	time_t t;

	if (!name || !*name || !strcmp(name, "latest"))
		return cw_store_get_version(s, doc_id, 0, out, err);
	if (!cw_parse_long(name, -1000000, 1000000, &seq))
		return cw_store_get_version(s, doc_id, seq, out, err);
	if (!cw_time_parse_iso(name, &t)) {
		char at[CW_TIME_ISO];
		/* a bare date is in force until the end of its day */
		cw_time_iso(t + (strlen(name) == 10 ? 86399 : 0), at);
		return cw_store_get_version_at(s, doc_id, at, out, err);
	}
	return cw_err_set(err, CW_EINVAL,
			  "'%s' is not a version number or ISO date", name);
}

json_t *cw_view_version_ref_json(int64_t seq, const char *recorded_at,
				 const char *stated_date)
{
	return json_pack("{sIss?ss?}", "seq", (json_int_t)seq, "recorded_at",
			 recorded_at, "stated_date", stated_date);
}

int cw_view_version_ref(json_t **out, struct cw_store *s, int64_t doc_id,
			int64_t seq, struct cw_err *err)
{
	struct cw_store_version v;
	int rc;

	*out = NULL;
	/* cw_store_get_version reads 0 and below as offsets from the latest */
	if (seq < 1)
		return cw_err_set(err, CW_ENOTFOUND, "no version %lld",
				  (long long)seq);
	rc = cw_store_get_version(s, doc_id, seq, &v, err);
	if (rc)
		return rc;
	*out = cw_view_version_ref_json(v.seq, v.recorded_at, v.stated_date);
	cw_store_version_release(&v);
	return CW_OK;
}

json_t *cw_view_version_json(const struct cw_store_version *v)
{
	json_t *o = cw_view_version_ref_json(v->seq, v->recorded_at,
					     v->stated_date);

	json_object_set_new(o, "sha256", json_string(v->text_hash));
	json_object_set_new(o, "bytes", json_integer(v->text_len));
	json_object_set_new(o, "provisions", json_integer(v->n_provisions));
	json_object_set_new(o, "origin",
			    json_string(v->origin ? v->origin : ""));
	json_object_set_new(o, "snapshot", json_integer(v->snapshot_id));
	return o;
}

json_t *cw_view_doc_json(const struct cw_store_doc *d)
{
	return json_pack("{sssssbsIss?}", "service", d->service, "type",
			 d->type, "declared", d->decl_json != NULL, "versions",
			 (json_int_t)d->n_versions, "latest", d->latest_at);
}

int cw_view_document_history(json_t **out, struct cw_store *s,
			     const struct cw_store_doc *doc, struct cw_err *err)
{
	struct cw_store_version *vs = NULL;
	size_t n = 0;
	json_t *arr;
	int rc;

	*out = NULL;
	rc = cw_store_list_versions(s, doc->id, &vs, &n, err);
	if (rc)
		return rc;
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, cw_view_version_json(&vs[i]));
	*out = json_pack("{ssssso}", "service", doc->service, "type", doc->type,
			 "versions", arr);
	cw_store_versions_free(vs, n);
	return CW_OK;
}
