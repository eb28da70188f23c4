/*
 * api: JSON under /api/v1. Open Terms Archive's Collection API routes keep
 * its shapes and status codes, so its clients work unchanged (services,
 * service, version at a date, Atom feeds); ours sit beside them
 * (documents, versions, provisions, changes, search). The contract is
 * data/http/openapi.json.
 */
#include "../analyze/analyze.h"
#include "../decl/decl.h"
#include "../diff/diff.h"
#include "../notify/notify.h"
#include "../util/json.h"
#include "http_int.h"

/* A plain-text answer: what Open Terms Archive says for an unknown
 * service or terms type. */
static void api_text(struct http_req *r, unsigned status, const char *msg)
{
	r->status = status;
	r->ctype = "text/plain; charset=utf-8";
	r->cache = HTTP_CACHE_NONE;
	cw_buf_clear(&r->out);
	cw_buf_adds(&r->out, msg);
}

/* ---- Open Terms Archive's routes ---- */

/* The documents of every service, or of one, ordered by service. */
static int load_docs(struct http_req *r, const char *service,
		     struct cw_store_doc **docs, size_t *n, struct cw_err *err)
{
	return cw_store_list_documents(r->w->store, service, NULL, docs, n,
				       err);
}

/* GET /services: [{id, name, terms: [{type}]}] */
static void ota_services(struct http_req *r)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc *d = NULL;
	size_t n = 0;
	json_t *out, *svc = NULL;

	if (load_docs(r, NULL, &d, &n, &err)) {
		http_fail(r, &err);
		return;
	}
	out = json_array();
	for (size_t i = 0; i < n; i++) {
		if (!svc || strcmp(d[i].service, d[i - 1].service)) {
			svc = json_pack("{s:o,s:o,s:[]}", "id",
					api_str(d[i].service), "name",
					api_str(d[i].service_name
							? d[i].service_name
							: d[i].service),
					"terms");
			json_array_append_new(out, svc);
		}
		json_array_append_new(json_object_get(svc, "terms"),
				      json_pack("{s:o}", "type",
						api_str(d[i].type)));
	}
	cw_store_docs_free(d, n);
	api_json(r, 200, out);
}

/* A selector as declared: a CSS string, or a range object. */
static json_t *selector_json(const struct cw_decl_selector *sel)
{
	json_t *o;

	if (sel->css)
		return api_str(sel->css);
	o = json_object();
	if (sel->start_before)
		json_object_set_new(o, "startBefore",
				    api_str(sel->start_before));
	if (sel->start_after)
		json_object_set_new(o, "startAfter", api_str(sel->start_after));
	if (sel->end_before)
		json_object_set_new(o, "endBefore", api_str(sel->end_before));
	if (sel->end_after)
		json_object_set_new(o, "endAfter", api_str(sel->end_after));
	return o;
}

/* One selector as itself, several as a list. */
static json_t *selectors_json(const struct cw_decl_selector *sel, size_t n)
{
	json_t *a;

	if (n == 1)
		return selector_json(&sel[0]);
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, selector_json(&sel[i]));
	return a;
}

/* A source document in the Collection API's shape: {location,
 * contentSelectors, insignificantContentSelectors, executeClientScripts,
 * filters: [name]}. */
static json_t *source_document(const struct cw_decl_source *src)
{
	json_t *o = json_pack("{s:o}", "location", api_str(src->fetch));
	json_t *f;

	if (src->n_select)
		json_object_set_new(o, "contentSelectors",
				    selectors_json(src->select, src->n_select));
	if (src->n_remove)
		json_object_set_new(o, "insignificantContentSelectors",
				    selectors_json(src->remove, src->n_remove));
	if (src->execute_client_scripts >= 0)
		json_object_set_new(o, "executeClientScripts",
				    json_boolean(src->execute_client_scripts));
	if (src->n_filters) {
		f = json_array();
		for (size_t i = 0; i < src->n_filters; i++)
			json_array_append_new(f, api_str(src->filters[i].name));
		json_object_set_new(o, "filters", f);
	}
	return o;
}

/* GET /service/{id} */
static void ota_service(struct http_req *r, const char *id)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc *d = NULL;
	size_t n = 0;
	json_t *terms;

	if (load_docs(r, id, &d, &n, &err)) {
		http_fail(r, &err);
		return;
	}
	if (n == 0) {
		api_text(r, 404, "Service not found");
		return;
	}
	terms = json_array();
	for (size_t i = 0; i < n; i++) {
		struct cw_decl_service *decl = NULL;
		struct cw_err derr = CW_ERR_INIT;
		json_t *docs = json_array();

		/* a document ingested from a file has no declaration */
		if (d[i].decl_json &&
		    !cw_decl_doc_from_json(&decl, d[i].service, d[i].type,
					   d[i].decl_json, &derr))
			for (size_t k = 0; k < decl->docs[0].n_sources; k++)
				json_array_append_new(
					docs,
					source_document(
						&decl->docs[0].sources[k]));
		cw_decl_service_free(decl);
		json_array_append_new(terms,
				      json_pack("{s:o,s:o}", "type",
						api_str(d[i].type),
						"sourceDocuments", docs));
	}
	api_json(r, 200,
		 json_pack("{s:o,s:o,s:o}", "id", api_str(d[0].service), "name",
			   api_str(d[0].service_name ? d[0].service_name
						     : d[0].service),
			   "terms", terms));
	cw_store_docs_free(d, n);
}

/* GET /version/{id}/{type}/{date}: the version the archive held then. */
static void ota_version(struct http_req *r, const char *id, const char *type,
			const char *date)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc doc;
	struct cw_store_version v;
	struct cw_buf text = CW_BUF_INIT;
	char at[CW_TIME_ISO];
	time_t t;
	int rc;

	memset(&v, 0, sizeof(v));
	memset(&doc, 0, sizeof(doc));
	if (cw_time_parse_iso(date, &t)) {
		http_error(r, 400, "'%s' is not an ISO 8601 date", date);
		return;
	}
	if (t > time(NULL)) {
		api_json(r, 416,
			 json_pack("{s:s}", "error",
				   "Requested version is in the future"));
		return;
	}
	/* a bare date is the end of its day, as everywhere else */
	cw_time_iso(t + (strlen(date) == 10 ? 86399 : 0), at);
	rc = cw_store_find_document(r->w->store, id, type, &doc, &err);
	if (rc == CW_ENOTFOUND) {
		api_json(r, 404,
			 json_pack("{s:o}", "error",
				   api_str("No document found for this "
					   "service and terms type")));
		return;
	}
	if (!rc)
		rc = cw_store_get_version_at(r->w->store, doc.id, at, &v, &err);
	if (rc == CW_ENOTFOUND) {
		char msg[160];
		snprintf(msg, sizeof(msg), "No version found for date %s",
			 date);
		api_json(r, 404, json_pack("{s:o}", "error", api_str(msg)));
	} else if (!rc) {
		rc = cw_store_load_text(r->w->store, v.id, &text, &err);
	}
	if (rc && rc != CW_ENOTFOUND)
		http_fail(r, &err);
	else if (!rc)
		api_json(r, 200,
			 json_pack("{s:s,s:o,s:s%}", "id", v.text_hash,
				   "fetchDate", api_str(v.recorded_at),
				   "content", text.ptr ? text.ptr : "",
				   text.len));
	cw_buf_release(&text);
	cw_store_version_release(&v);
	cw_store_doc_release(&doc);
}

/* ---- Atom feeds of versions ---- */

struct feed_entry {
	const struct cw_store_doc *doc;
	struct cw_store_version v;
};

static int entry_newest_first(const void *a, const void *b)
{
	const struct feed_entry *x = a, *y = b;
	int c = strcmp(y->v.recorded_at, x->v.recorded_at);

	return c ? c : (x->v.id < y->v.id) - (x->v.id > y->v.id);
}

#define FEED_LIMIT 100

static void xml_esc(struct cw_buf *b, const char *s)
{
	html_esc(b, s);
}

/* The Atom feed of the versions of `docs`, newest first, at most
 * FEED_LIMIT; Last-Modified is the newest entry's time (the epoch when
 * there is none, so that the value is stable). */
static void feed_write(struct http_req *r, const struct cw_store_doc *docs,
		       size_t n, const char *scope)
{
	struct cw_err err = CW_ERR_INIT;
	struct feed_entry *e = NULL;
	size_t ne = 0, cap = 0;
	struct cw_buf *b = &r->out;
	time_t newest = 0;

	for (size_t i = 0; i < n; i++) {
		struct cw_store_version *vs = NULL;
		size_t nv = 0;
		if (cw_store_list_versions(r->w->store, docs[i].id, &vs, &nv,
					   &err)) {
			http_fail(r, &err);
			goto done;
		}
		for (size_t k = 0; k < nv; k++) {
			CW_GROW(e, cap, ne + 1);
			e[ne].doc = &docs[i];
			e[ne++].v = vs[k];
		}
		free(vs); /* the versions' strings moved into e */
	}
	if (ne)
		qsort(e, ne, sizeof(*e), entry_newest_first);
	if (ne)
		(void)cw_time_parse_iso(e[0].v.recorded_at, &newest);
	r->ctype = "application/atom+xml; charset=utf-8";
	r->last_modified = newest > 0 ? newest : 1;
	cw_buf_adds(b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		       "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<id>");
	xml_esc(b, r->srv->base);
	cw_buf_adds(b, "/feed");
	xml_esc(b, scope);
	cw_buf_adds(b, "</id>\n<title>clausewatch: versions");
	if (*scope) {
		cw_buf_adds(b, " of ");
		xml_esc(b, scope + 1);
	}
	cw_buf_addf(b, "</title>\n<updated>%s</updated>\n",
		    ne ? e[0].v.recorded_at : "1970-01-01T00:00:00Z");
	cw_buf_adds(b, "<link rel=\"self\" href=\"");
	xml_esc(b, r->srv->base);
	cw_buf_adds(b, "/feed");
	xml_esc(b, scope);
	cw_buf_adds(b, "\"/>\n");
	for (size_t i = 0; i < ne && i < FEED_LIMIT; i++) {
		const struct cw_store_doc *d = e[i].doc;
		struct cw_buf link = CW_BUF_INIT;

		cw_buf_adds(&link, r->srv->base);
		cw_buf_adds(&link, "/services/");
		url_seg(&link, d->service);
		cw_buf_addc(&link, '/');
		url_seg(&link, d->type);
		cw_buf_addf(&link, "/versions/%lld", (long long)e[i].v.seq);
		cw_buf_adds(b, "<entry>\n<id>");
		xml_esc(b, cw_buf_str(&link));
		cw_buf_adds(b, "</id>\n<title>");
		xml_esc(b, d->service_name ? d->service_name : d->service);
		cw_buf_adds(b, " ");
		xml_esc(b, d->type);
		cw_buf_adds(b, e[i].v.seq == 1 ? ": first record" : ": change");
		cw_buf_addf(b, "</title>\n<updated>%s</updated>\n",
			    e[i].v.recorded_at);
		cw_buf_adds(b, "<link rel=\"alternate\" type=\"text/html\" "
			       "href=\"");
		xml_esc(b, cw_buf_str(&link));
		cw_buf_adds(b, "\"/>\n<category term=\"");
		xml_esc(b, d->service);
		cw_buf_adds(b, "\"/>\n<category term=\"");
		xml_esc(b, d->type);
		cw_buf_addf(b, "\"/>\n<category term=\"%s\"/>\n",
			    e[i].v.seq == 1 ? "First record" : "Change");
		cw_buf_addf(b,
			    "<summary>Version %lld, %lld bytes, %lld "
			    "provisions</summary>\n</entry>\n",
			    (long long)e[i].v.seq, (long long)e[i].v.text_len,
			    (long long)e[i].v.n_provisions);
		cw_buf_release(&link);
	}
	cw_buf_adds(b, "</feed>\n");
done:
	for (size_t i = 0; i < ne; i++)
		cw_store_version_release(&e[i].v);
	free(e);
}

/* /feed, /feed/{id}, /feed/{id}/{type} (seg points past "feed"). */
static void feed_route(struct http_req *r, char **seg, size_t n)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc *d = NULL;
	size_t nd = 0, keep = 0;
	struct cw_buf scope = CW_BUF_INIT;

	if (n > 2) {
		http_error(r, 404, "no feed at this address");
		return;
	}
	if (load_docs(r, n ? seg[0] : NULL, &d, &nd, &err)) {
		http_fail(r, &err);
		return;
	}
	for (size_t i = 0; i < nd; i++)
		if (n < 2 || !strcmp(d[i].type, seg[1])) {
			if (keep != i) {
				struct cw_store_doc t = d[keep];
				d[keep] = d[i];
				d[i] = t;
			}
			keep++;
		}
	if (n && keep == 0) {
		api_text(r, 404,
			 nd ? "Terms type not found" : "Service not found");
	} else {
		for (size_t i = 0; i < n; i++) {
			cw_buf_addc(&scope, '/');
			cw_buf_adds(&scope, seg[i]);
		}
		feed_write(r, d, keep, cw_buf_str(&scope));
	}
	cw_buf_release(&scope);
	cw_store_docs_free(d, nd);
}

/* ---- ours ---- */

static void our_documents(struct http_req *r)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc *d = NULL;
	size_t n = 0;
	json_t *out;

	if (load_docs(r, http_arg(r, "service"), &d, &n, &err)) {
		http_fail(r, &err);
		return;
	}
	out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, cw_view_doc_json(&d[i]));
	cw_store_docs_free(d, n);
	api_json(r, 200, json_pack("{s:o}", "documents", out));
}

/* /documents/{service}/{type}[/versions/{seq}|/provisions/{key}|
 * /timeline] */
static void our_document(struct http_req *r, char **seg, size_t n)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc doc;
	struct cw_store_version v;
	json_t *out = NULL;
	int rc;

	memset(&v, 0, sizeof(v));
	rc = cw_store_find_document(r->w->store, seg[0], seg[1], &doc, &err);
	if (rc) {
		http_fail(r, &err);
		return;
	}
	if (n == 2) {
		rc = cw_view_document_history(&out, r->w->store, &doc, &err);
	} else if (n == 3 && !strcmp(seg[2], "timeline")) {
		rc = cw_view_timeline(&out, r->w->store, &doc,
				      http_arg(r, "provision"), &err);
	} else if (n == 4 && !strcmp(seg[2], "versions")) {
		struct cw_buf text = CW_BUF_INIT;
		rc = cw_view_resolve_version(r->w->store, doc.id, seg[3], &v,
					     &err);
		if (!rc)
			rc = cw_store_load_text(r->w->store, v.id, &text, &err);
		if (!rc) {
			out = cw_view_version_json(&v);
			json_object_set_new(out, "text",
					    json_stringn(text.ptr ? text.ptr
								  : "",
							 text.len));
			r->cache = HTTP_CACHE_IMMUTABLE;
		}
		cw_buf_release(&text);
	} else if (n == 4 && !strcmp(seg[2], "provisions")) {
		struct cw_view_provision_query q = {
			.key = seg[3],
			.audience = CW_AUDIENCE_CONSUMER,
			.jurisdiction = http_arg(r, "jurisdiction"),
		};
		const char *aud = http_arg(r, "audience");
		struct cw_view *view = http_view(r, &err);

		if (aud && (q.audience = cw_audience_parse(aud)) < 0)
			rc = cw_err_set(&err, CW_EINVAL,
					"audience '%s': expected consumer or "
					"operator",
					aud);
		else if (q.jurisdiction &&
			 !cw_analyze_jurisdiction_valid(q.jurisdiction))
			rc = cw_err_set(&err, CW_EINVAL,
					"jurisdiction '%s': expected %s",
					q.jurisdiction,
					CW_ANALYZE_JURISDICTIONS);
		else if (!view)
			rc = err.rc;
		else
			rc = cw_view_resolve_version(r->w->store, doc.id,
						     http_arg(r, "at"), &v,
						     &err);
		if (!rc)
			rc = cw_view_analyze_document(&out, view, &doc, &v, &q,
						      &err);
	} else {
		rc = cw_err_set(&err, CW_ENOTFOUND, "no such resource");
	}
	if (rc)
		http_fail(r, &err);
	else
		api_json(r, 200, out);
	cw_store_version_release(&v);
	cw_store_doc_release(&doc);
}

/* A whole-number parameter in [lo, hi], or `def` when absent; false
 * (and a 400 answered) when it is not one. */
static bool arg_long(struct http_req *r, const char *name, long lo, long hi,
		     long def, long *out)
{
	const char *v = http_arg(r, name);

	*out = def;
	if (!v)
		return true;
	if (cw_parse_long(v, lo, hi, out)) {
		http_error(r, 400, "%s '%s': expected a number from %ld to %ld",
			   name, v, lo, hi);
		return false;
	}
	return true;
}

static void our_changes(struct http_req *r)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_change_query q;
	char since[CW_TIME_ISO];
	json_t *out = NULL;
	long limit;

	memset(&q, 0, sizeof(q));
	q.service = http_arg(r, "service");
	if (!arg_long(r, "limit", 1, 10000, 100, &limit) ||
	    !http_arg_time(r, "since", false, since, &q.since) ||
	    !http_arg_materiality(r, "materiality", &q.min_materiality))
		return;
	q.limit = limit;
	if (cw_view_changes(&out, r->w->store, &q, &err))
		http_fail(r, &err);
	else
		api_json(r, 200, out);
}

static void our_search(struct http_req *r)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_view_search_query q = { 0 };
	json_t *out = NULL;
	long limit, offset;

	q.text = http_arg(r, "q");
	q.service = http_arg(r, "service");
	q.type = http_arg(r, "type");
	q.any = http_arg(r, "any") != NULL;
	q.all_versions = http_arg(r, "all_versions") != NULL;
	if (!arg_long(r, "limit", 1, 1000, 20, &limit) ||
	    !arg_long(r, "offset", 0, 100000, 0, &offset))
		return;
	q.limit = (size_t)limit;
	q.offset = (size_t)offset;
	if (!q.text || !*q.text) {
		http_error(r, 400, "q: the words to look for are missing");
		return;
	}
	if (cw_view_search(&out, r->w->store, &q, &err))
		http_fail(r, &err);
	else
		api_json(r, 200, out);
}

/* ---- watches (a token required) ---- */

bool http_token_ok(struct http_req *r, const char *token)
{
	struct cw_err err = CW_ERR_INIT;
	bool ok = false;

	return !cw_store_token_check(r->w->store, token, &ok, &err) && ok;
}

/* The bearer token of the request: false (and 401 or 403 answered)
 * when there is none or it is not one of the store's. */
static bool api_auth(struct http_req *r)
{
	const char *h = http_header(r, "Authorization");

	/* the scheme's name is case-insensitive (RFC 7235 section 2.1) */
	if (!h || cw_strncasecmp_ascii(h, "Bearer ", 7)) {
		r->www_authenticate = "Bearer realm=\"clausewatch\"";
		http_error(r, 401,
			   "this needs 'Authorization: Bearer TOKEN' (make "
			   "one with 'clausewatch token add NAME')");
		return false;
	}
	if (!http_token_ok(r, h + 7)) {
		http_error(r, 403, "the token is not one of this store's");
		return false;
	}
	return true;
}

int http_check_categories(struct http_req *r, const char *cats,
			  struct cw_err *err)
{
	struct cw_view *v;
	const struct cw_taxonomy *tax;

	if (!cats || !*cats)
		return CW_OK;
	v = http_view(r, err);
	if (!v)
		return err->rc;
	tax = cw_analyze_taxonomy(cw_view_analyzer(v));
	for (const char *p = cats; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *id = cw_strndup(p, n);
		bool known = cw_taxonomy_find(tax, id) != NULL;
		if (!known)
			cw_err_set(err, CW_EINVAL,
				   "category '%s': not in the taxonomy (see "
				   "/categories)",
				   id);
		free(id);
		if (!known)
			return CW_EINVAL;
		p += n + (nl != NULL);
	}
	return CW_OK;
}

/* A newline-separated list as a JSON array. */
static json_t *lines_json(const char *s)
{
	json_t *a = json_array();

	for (const char *p = s ? s : ""; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n) {
			char *x = cw_strndup(p, n);
			json_array_append_new(a, api_str(x));
			free(x);
		}
		p += n + (nl != NULL);
	}
	return a;
}

/* A subscription as the API shows it (never its secret). */
static json_t *watch_json(const struct cw_store_sub *w)
{
	return json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b}", "id",
			 (json_int_t)w->id, "channel", api_str(w->channel),
			 "target", api_str(w->target), "min_materiality",
			 api_str(w->min_materiality), "cadence",
			 api_str(w->cadence), "services",
			 lines_json(w->services), "documents",
			 lines_json(w->documents), "categories",
			 lines_json(w->categories), "created_at",
			 api_str(w->created_at), "last_digest",
			 api_str(w->last_digest), "signed", w->secret != NULL);
}

static void watches_list(struct http_req *r)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_sub *subs = NULL;
	size_t n = 0;
	json_t *a;

	if (cw_store_sub_list(r->w->store, &subs, &n, &err)) {
		http_fail(r, &err);
		return;
	}
	a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, watch_json(&subs[i]));
	cw_store_subs_free(subs, n);
	r->cache = HTTP_CACHE_NONE;
	api_json(r, 200, json_pack("{s:o}", "watches", a));
}

/* A list member of the body into lines; false with err set when it is
 * not a list of strings. */
static bool body_lines(struct cw_buf *out, json_t *body, const char *key,
		       const struct cw_json_where *w, struct cw_err *err)
{
	char **v = NULL;
	size_t n = 0;

	if (cw_json_strs(&v, &n, body, key, false, 1000, w, err))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (strchr(v[i], '\n')) {
			cw_err_set(err, CW_EINVAL, "%s[%zu]: one line each",
				   key, i);
			cw_json_free_strs(v, n);
			return false;
		}
		cw_buf_addf(out, "%s%s", i ? "\n" : "", v[i]);
	}
	cw_json_free_strs(v, n);
	return true;
}

static void watches_add(struct http_req *r)
{
	static const char *const keys[] = {
		"services", "documents", "categories", "min_materiality",
		"cadence",  "webhook",	 "email",      "feed",
		"secret",   NULL,
	};
	static const char *const channels[] = { "webhook", "email", "feed" };
	struct cw_json_where w = { "request body", "" };
	struct cw_err err = CW_ERR_INIT;
	struct cw_buf svc = CW_BUF_INIT, docs = CW_BUF_INIT, cats = CW_BUF_INIT;
	struct cw_store_sub sub, got;
	char *mat = NULL, *cad = NULL, *secret = NULL, *target = NULL;
	json_t *body = NULL;
	int64_t id = 0;
	int nchan = 0, rc;

	memset(&sub, 0, sizeof(sub));
	memset(&got, 0, sizeof(got));
	rc = cw_json_parse(&body, r->body ? r->body : "", r->body_len,
			   "request body", &err);
	if (!rc)
		rc = cw_json_keys(body, keys, &w, &err);
	if (!rc && (!body_lines(&svc, body, "services", &w, &err) ||
		    !body_lines(&docs, body, "documents", &w, &err) ||
		    !body_lines(&cats, body, "categories", &w, &err)))
		rc = err.rc ? err.rc : CW_EINVAL;
	if (!rc)
		rc = cw_json_str(&mat, body, "min_materiality", false, &w,
				 &err);
	if (!rc)
		rc = cw_json_str(&cad, body, "cadence", false, &w, &err);
	if (!rc)
		rc = cw_json_str(&secret, body, "secret", false, &w, &err);
	for (size_t i = 0; !rc && i < 3; i++) {
		char *t = NULL;
		rc = cw_json_str(&t, body, channels[i], false, &w, &err);
		if (t) {
			nchan++;
			free(target);
			target = t;
			sub.channel = (char *)channels[i];
		}
	}
	if (!rc && nchan != 1)
		rc = cw_err_set(&err, CW_EINVAL,
				"give exactly one of webhook, email, feed");
	sub.target = target;
	sub.secret = secret;
	sub.min_materiality = mat ? mat : (char *)"cosmetic";
	sub.cadence = cad ? cad : (char *)"immediate";
	sub.services = (char *)cw_buf_str(&svc);
	sub.documents = (char *)cw_buf_str(&docs);
	sub.categories = (char *)cw_buf_str(&cats);
	if (!rc)
		rc = cw_notify_sub_check(&sub, &err);
	if (!rc)
		rc = http_check_categories(r, sub.categories, &err);
	if (rc) {
		/* what the client sent is wrong, whatever the reader said */
		http_error(r, 400, "%s", err.msg);
		goto done;
	}
	rc = cw_store_sub_add(r->w->store, &sub, &id, &err);
	if (!rc)
		rc = cw_store_sub_get(r->w->store, id, &got, &err);
	if (rc) {
		http_fail(r, &err);
		goto done;
	}
	r->cache = HTTP_CACHE_NONE;
	api_json(r, 201, watch_json(&got));
done:
	cw_store_sub_release(&got);
	json_decref(body);
	free(mat);
	free(cad);
	free(secret);
	free(target);
	cw_buf_release(&svc);
	cw_buf_release(&docs);
	cw_buf_release(&cats);
}

static void watches_route(struct http_req *r, char **s, size_t n)
{
	struct cw_err err = CW_ERR_INIT;
	long id;

	if (n > 2) {
		http_error(r, 404, "no API resource at this address");
		return;
	}
	if (n == 2 && cw_parse_long(s[1], 1, INT32_MAX, &id)) {
		http_error(r, 400, "'%s' is not a watch id", s[1]);
		return;
	}
	if (n == 1 && strcmp(r->method, "GET") && strcmp(r->method, "HEAD") &&
	    strcmp(r->method, "POST")) {
		r->allow = "GET, HEAD, POST";
		http_error(r, 405, "watches are listed and added here");
		return;
	}
	if (n == 2 && strcmp(r->method, "DELETE")) {
		r->allow = "DELETE";
		http_error(r, 405, "a watch is removed with DELETE");
		return;
	}
	if (!api_auth(r))
		return;
	if (n == 2) {
		if (cw_store_sub_remove(r->w->store, id, &err)) {
			http_fail(r, &err);
			return;
		}
		r->status = 204;
		r->cache = HTTP_CACHE_NONE;
	} else if (r->post) {
		watches_add(r);
	} else {
		watches_list(r);
	}
}

bool api_route(struct http_req *r)
{
	char **s = r->seg;
	size_t n = r->nseg;

	if (n >= 1 && !strcmp(s[0], "feed")) {
		feed_route(r, s + 1, n - 1);
		return true;
	}
	if (n < 2 || strcmp(s[0], "api") || strcmp(s[1], "v1"))
		return false;
	s += 2;
	n -= 2;
	if (n >= 1 && !strcmp(s[0], "watches")) {
		watches_route(r, s, n);
	} else if (r->post) {
		r->allow = "GET, HEAD";
		http_error(r, 405, "this resource is read-only");
	} else if (n == 0) {
		api_json(r, 200,
			 json_pack("{s:s}", "message",
				   "clausewatch API: the contract is at "
				   "/api/v1/openapi.json"));
	} else if (n == 1 && !strcmp(s[0], "openapi.json")) {
		r->ctype = "application/json";
		cw_buf_add(&r->out, r->srv->openapi, r->srv->openapi_len);
	} else if (n == 1 && !strcmp(s[0], "services")) {
		ota_services(r);
	} else if (n == 2 && !strcmp(s[0], "service")) {
		ota_service(r, s[1]);
	} else if (n == 4 && !strcmp(s[0], "version")) {
		ota_version(r, s[1], s[2], s[3]);
	} else if (n >= 1 && !strcmp(s[0], "feed")) {
		feed_route(r, s + 1, n - 1);
	} else if (n == 1 && !strcmp(s[0], "documents")) {
		our_documents(r);
	} else if (n >= 3 && n <= 5 && !strcmp(s[0], "documents")) {
		our_document(r, s + 1, n - 1);
	} else if (n == 1 && !strcmp(s[0], "changes")) {
		our_changes(r);
	} else if (n == 1 && !strcmp(s[0], "search")) {
		our_search(r);
	} else {
		http_error(r, 404, "no API resource at this address");
	}
	return true;
}
