/*
 * pages: the HTML pages, rendered on the server and usable without
 * JavaScript (there is none). Each page reads what the read side
 * composes (view.h, and the store's lists) and prints it through
 * html_f(), so that every value is escaped on the way out.
 *
 *   /                                   dashboard
 *   /services, /services/S              services, a service's documents
 *   /services/S/T[?at=DATE]             a document: text, outline, timeline
 *   /services/S/T/versions/N            an old version
 *   /services/S/T/provisions/K          a provision's analysis
 *   /services/S/T/diff/A..B             the redline of two versions
 *   /categories[/ID], /regulations[/ID] the taxonomy across the store
 *   /changes, /search, /status          lists
 *   /watches                            subscriptions (token to change)
 */
#include "../analyze/analyze.h"
#include "../diff/record.h"
#include "../notify/notify.h"
#include "http_int.h"

/* How many changes the dashboard and /changes show. */
#define DASHBOARD_CHANGES 30
#define CHANGES_PAGE 100
#define SEARCH_PAGE 20

/* ---- small pieces ---- */

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static long long num(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* A breadcrumb trail of the document S/T (and more, already HTML). */
static char *doc_crumbs(const struct http_req *r, const char *service,
			const char *type, const char *more)
{
	struct cw_buf b = CW_BUF_INIT;
	const char *pre = r->srv->prefix;

	html_f(&b,
	       "<a href=\"%s/\">Dashboard</a> › <a href=\"%s/services\">"
	       "Services</a> › <a href=\"%s/services/%u\">%s</a>",
	       pre, pre, pre, service, service);
	if (type)
		html_f(&b, " › <a href=\"%s/services/%u/%u\">%s</a>", pre,
		       service, type, type);
	if (more)
		html_f(&b, " › %S", more);
	return cw_buf_detach(&b, NULL);
}

static void badge(struct cw_buf *b, const char *materiality)
{
	html_f(b, "<span class=\"badge %s\">%s</span>", materiality,
	       materiality);
}

/* "2024-07-08" of an ISO time (borrowed buffer). */
static const char *day(const char *iso, char out[11])
{
	snprintf(out, 11, "%s", iso ? iso : "");
	return out;
}

/* A version reference {seq, recorded_at, stated_date} as words. */
static void version_words(struct cw_buf *b, const json_t *ref)
{
	char d[11];

	html_f(b, "version %lld of %s", num(ref, "seq"),
	       day(str(ref, "recorded_at"), d));
	if (json_is_string(json_object_get(ref, "stated_date")))
		html_f(b, " (dated %s)", str(ref, "stated_date"));
}

/* The summaries of a change's entries, at most `max` (0: all). */
static void change_summaries(struct cw_buf *b, const json_t *change, size_t max)
{
	const json_t *e;
	size_t i, shown = 0, n = 0;

	cw_buf_adds(b, "<ul class=\"summaries\">");
	json_array_foreach(json_object_get(change, "changes"), i, e)
	{
		const char *sum = str(e, "summary");
		const char *m = str(e, "materiality");
		if (!*sum || !strcmp(m, "none"))
			continue;
		n++;
		if (max && shown == max)
			continue;
		cw_buf_adds(b, "<li>");
		badge(b, m);
		html_f(b, " %s</li>", sum);
		shown++;
	}
	if (n > shown)
		html_f(b, "<li class=\"muted\">and %zu more</li>", n - shown);
	cw_buf_adds(b, "</ul>");
}

/* One change as a list item with a link to its redline. */
static void change_item(struct http_req *r, const json_t *c, size_t max)
{
	const json_t *from = json_object_get(c, "from");
	const json_t *to = json_object_get(c, "to");
	char d[11];

	html_f(&r->out,
	       "<li><a href=\"%s/services/%u/%u\">%s · %s</a> "
	       "<time datetime=\"%s\">%s</time> ",
	       r->srv->prefix, str(c, "service"), str(c, "type"),
	       str(c, "service"), str(c, "type"), str(c, "recorded_at"),
	       day(str(c, "recorded_at"), d));
	badge(&r->out, str(c, "materiality"));
	html_f(&r->out,
	       " <a href=\"%s/services/%u/%u/diff/%lld..%lld\">version "
	       "%lld → %lld, %lld provision%s</a>",
	       r->srv->prefix, str(c, "service"), str(c, "type"),
	       num(from, "seq"), num(to, "seq"), num(from, "seq"),
	       num(to, "seq"), num(c, "provisions"),
	       num(c, "provisions") == 1 ? "" : "s");
	/* the record's document summary says it in a few sentences; an
	 * older record lists its first provisions' summaries */
	if (json_string_value(json_object_get(c, "summary")))
		html_f(&r->out, "<p>%s</p>",
		       json_string_value(json_object_get(c, "summary")));
	else
		change_summaries(&r->out, c, max);
	cw_buf_adds(&r->out, "</li>\n");
}

/* Whether any subscription follows S/T. */
static bool watched(const struct cw_store_sub *subs, size_t n,
		    const char *service, const char *type)
{
	for (size_t i = 0; i < n; i++)
		if (cw_notify_sub_matches(&subs[i], service, type,
					  "substantive", NULL))
			return true;
	return false;
}

/* ---- the dashboard ---- */

static void page_dashboard(struct http_req *r)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = r->w->store;
	struct cw_store_doc *docs = NULL;
	struct cw_store_mon_doc *mons = NULL;
	struct cw_store_sub *subs = NULL;
	struct cw_store_change *cs = NULL;
	struct cw_store_change_query q = { .min_materiality = "substantive",
					   .limit = 200,
					   .newest_first = true };
	size_t nd = 0, nm = 0, ns = 0, nc = 0, services = 0, failing = 0;
	long long versions = 0;
	int rc;

	rc = cw_store_list_documents(s, NULL, NULL, &docs, &nd, &err);
	if (!rc)
		rc = cw_store_mon_list(s, NULL, &mons, &nm, &err);
	if (!rc)
		rc = cw_store_sub_list(s, &subs, &ns, &err);
	if (!rc)
		rc = cw_store_list_changes(s, &q, &cs, &nc, &err);
	if (rc) {
		http_fail(r, &err);
		goto done;
	}
	for (size_t i = 0; i < nd; i++) {
		versions += docs[i].n_versions;
		if (i == 0 || strcmp(docs[i].service, docs[i - 1].service))
			services++;
	}
	for (size_t i = 0; i < nm; i++)
		failing += mons[i].mon.failing;
	page_begin(r, "Dashboard", NULL);
	html_f(&r->out,
	       "<h1>Dashboard</h1>\n<p class=\"meta\">%zu services, "
	       "%zu documents, %lld versions archived; %zu watch%s; "
	       "<a href=\"%s/status\">%zu document%s failing</a>.</p>\n",
	       services, nd, versions, ns, ns == 1 ? "" : "es", r->srv->prefix,
	       failing, failing == 1 ? "" : "s");
	if (failing) {
		cw_buf_adds(&r->out, "<h2>Failing documents</h2>\n<ul>");
		for (size_t i = 0; i < nm; i++) {
			const struct cw_store_mon_doc *m = &mons[i];
			if (!m->mon.failing)
				continue;
			html_f(&r->out,
			       "<li><a href=\"%s/services/%u/%u\">%s · %s</a>"
			       ": failing since %s (%lld checks): %s</li>",
			       r->srv->prefix, m->doc.service, m->doc.type,
			       m->doc.service, m->doc.type,
			       m->mon.failing_since ? m->mon.failing_since : "",
			       (long long)m->mon.failures,
			       m->mon.last_error ? m->mon.last_error : "");
		}
		cw_buf_adds(&r->out, "</ul>\n");
	}
	cw_buf_adds(&r->out, "<h2>Latest substantive changes</h2>\n");
	if (ns)
		cw_buf_adds(&r->out, "<p class=\"meta\">Watched documents "
				     "first.</p>\n");
	if (!nc)
		cw_buf_adds(&r->out, "<p>No substantive change recorded "
				     "yet.</p>\n");
	cw_buf_adds(&r->out, "<ol class=\"changes\">\n");
	/* two passes: the watched documents' changes, then the others */
	for (int pass = ns ? 0 : 1, shown = 0; pass < 2; pass++) {
		for (size_t i = 0; i < nc && shown < DASHBOARD_CHANGES; i++) {
			bool w = watched(subs, ns, cs[i].service, cs[i].type);
			json_t *c;
			if (ns && w != (pass == 0))
				continue;
			c = cw_view_change_json(s, &cs[i]);
			change_item(r, c, 3);
			json_decref(c);
			shown++;
		}
	}
	html_f(&r->out,
	       "</ol>\n<p><a href=\"%s/changes\">Every change</a> · "
	       "<a href=\"%s/services\">Every service</a> · "
	       "<a href=\"%s/categories\">Categories</a> · "
	       "<a href=\"%s/regulations\">Regulations</a></p>\n",
	       r->srv->prefix, r->srv->prefix, r->srv->prefix, r->srv->prefix);
	page_end(r);
done:
	cw_store_docs_free(docs, nd);
	cw_store_mon_docs_free(mons, nm);
	cw_store_subs_free(subs, ns);
	cw_store_changes_free(cs, nc);
}

/* ---- services ---- */

static void page_services(struct http_req *r, const char *service)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc *d = NULL;
	size_t n = 0;
	char *crumbs = NULL;
	char dd[11];

	if (cw_store_list_documents(r->w->store, service, NULL, &d, &n, &err)) {
		http_fail(r, &err);
		return;
	}
	if (service && n == 0) {
		http_error(r, 404, "no service '%s'", service);
		return;
	}
	if (service)
		crumbs = doc_crumbs(r, service, NULL, NULL);
	page_begin(r,
		   service ? (d[0].service_name ? d[0].service_name : service)
			   : "Services",
		   crumbs);
	html_f(&r->out, "<h1>%s</h1>\n",
	       service ? (d[0].service_name ? d[0].service_name : service)
		       : "Services");
	html_f(&r->out,
	       "<table>\n<thead><tr>%S<th scope=\"col\">Document</th>"
	       "<th scope=\"col\">Versions</th><th scope=\"col\">Last "
	       "change</th><th scope=\"col\">Feed</th></tr></thead>\n"
	       "<tbody>\n",
	       service ? "" : "<th scope=\"col\">Service</th>");
	for (size_t i = 0; i < n; i++) {
		cw_buf_adds(&r->out, "<tr>");
		if (!service)
			html_f(&r->out,
			       "<td><a href=\"%s/services/%u\">%s</a></td>",
			       r->srv->prefix, d[i].service,
			       d[i].service_name ? d[i].service_name
						 : d[i].service);
		html_f(&r->out,
		       "<td><a href=\"%s/services/%u/%u\">%s</a></td>"
		       "<td>%lld</td><td>%s</td>"
		       "<td><a href=\"%s/feed/%u/%u\">Atom</a></td></tr>\n",
		       r->srv->prefix, d[i].service, d[i].type, d[i].type,
		       (long long)d[i].n_versions,
		       d[i].latest_at ? day(d[i].latest_at, dd) : "never",
		       r->srv->prefix, d[i].service, d[i].type);
	}
	cw_buf_adds(&r->out, "</tbody></table>\n");
	page_end(r);
	free(crumbs);
	cw_store_docs_free(d, n);
}

/* ---- a document and its versions ---- */

/* The own text of provision i: up to its first child or its end. */
static void own_range(const struct cw_segmentation *seg, size_t i,
		      size_t *start, size_t *end)
{
	const struct cw_provision *p = &seg->items[i];

	*start = p->body > p->start ? p->body : p->start;
	*end = p->end;
	if (i + 1 < seg->n && seg->items[i + 1].start < *end)
		*end = seg->items[i + 1].start;
	if (*start > *end)
		*start = *end;
}

/* An anchor id for a provision key: "p-" and the key with every byte
 * outside [A-Za-z0-9._-] as "-". */
static void anchor(struct cw_buf *b, const char *key)
{
	cw_buf_adds(b, "p-");
	for (const char *p = key; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '_' ||
			  c == '-';
		cw_buf_addc(b, ok ? c : '-');
	}
}

/* Text as paragraphs (blank lines between them). */
static void paragraphs(struct cw_buf *b, const char *t, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t e = i;
		while (e < n &&
		       !(t[e] == '\n' && e + 1 < n && t[e + 1] == '\n'))
			e++;
		while (i < e && (t[i] == '\n' || t[i] == ' '))
			i++;
		if (e > i) {
			cw_buf_adds(b, "<p>");
			html_escn(b, t + i, e - i);
			cw_buf_adds(b, "</p>\n");
		}
		i = e + 2;
	}
}

/* The outline (nested lists) and the text, one section per provision. */
static void document_body(struct http_req *r, const char *service,
			  const char *type, const struct cw_buf *text,
			  const struct cw_segmentation *seg)
{
	struct cw_buf a = CW_BUF_INIT;
	int depth = 0;

	cw_buf_adds(&r->out, "<div class=\"doc\">\n<nav class=\"outline\" "
			     "aria-label=\"Outline\"><h2>Outline</h2>\n");
	for (size_t i = 0; i < seg->n; i++) {
		const struct cw_provision *p = &seg->items[i];
		int lv = p->level < 1 ? 1 : p->level;
		while (depth < lv) {
			cw_buf_adds(&r->out, "<ol>");
			depth++;
		}
		while (depth > lv) {
			cw_buf_adds(&r->out, "</ol>");
			depth--;
		}
		cw_buf_clear(&a);
		anchor(&a, p->key);
		html_f(&r->out, "<li><a href=\"#%s\">%s%s%s</a></li>\n",
		       cw_buf_str(&a), p->key, p->title[0] ? " " : "",
		       p->title);
	}
	while (depth-- > 0)
		cw_buf_adds(&r->out, "</ol>");
	cw_buf_adds(&r->out, "</nav>\n<article class=\"text\">\n");
	for (size_t i = 0; i < seg->n; i++) {
		const struct cw_provision *p = &seg->items[i];
		int h = p->level + 1 > 6 ? 6 : p->level + 1;
		size_t st, en;

		own_range(seg, i, &st, &en);
		cw_buf_clear(&a);
		anchor(&a, p->key);
		html_f(&r->out,
		       "<section class=\"provision\" id=\"%s\">"
		       "<h%d>%s%s%s <a class=\"muted\" href=\"%s/services/%u/"
		       "%u/provisions/%u\" aria-label=\"Analysis of %s\">"
		       "analysis</a></h%d>\n",
		       cw_buf_str(&a), h, p->key, p->title[0] ? " " : "",
		       p->title, r->srv->prefix, service, type, p->key, p->key,
		       h);
		if (en <= text->len)
			paragraphs(&r->out, text->ptr + st, en - st);
		cw_buf_adds(&r->out, "</section>\n");
	}
	cw_buf_adds(&r->out, "</article>\n</div>\n");
	cw_buf_release(&a);
}

/* The timeline: versions, and the change into each, with links. */
static void timeline(struct http_req *r, const struct cw_store_doc *doc,
		     int64_t current_seq)
{
	struct cw_err err = CW_ERR_INIT;
	json_t *tl = NULL, *c;
	size_t i;
	const json_t *prev_c = NULL, *next_c = NULL;
	const char *pre = r->srv->prefix;

	if (cw_view_timeline(&tl, r->w->store, doc, NULL, &err))
		return;
	json_array_foreach(json_object_get(tl, "changes"), i, c)
	{
		long long to = num(json_object_get(c, "to"), "seq");
		if (to <= current_seq)
			prev_c = c;
		else if (!next_c)
			next_c = c;
	}
	cw_buf_adds(&r->out, "<nav class=\"steps\" aria-label=\"Changes\">");
	for (int k = 0; k < 2; k++) {
		const json_t *c2 = k ? next_c : prev_c;
		if (c2)
			html_f(&r->out,
			       "<a rel=\"%s\" href=\"%s/services/%u/%u/diff/"
			       "%lld..%lld\">%s</a> ",
			       k ? "next" : "prev", pre, doc->service,
			       doc->type,
			       num(json_object_get(c2, "from"), "seq"),
			       num(json_object_get(c2, "to"), "seq"),
			       k ? "the next change →"
				 : "← the change into this version");
	}
	cw_buf_adds(&r->out, "</nav>\n<details><summary>Timeline: ");
	html_f(&r->out,
	       "%lld versions, %zu changes</summary>\n<ol "
	       "reversed>\n",
	       num(tl, "versions"),
	       json_array_size(json_object_get(tl, "changes")));
	for (i = json_array_size(json_object_get(tl, "changes")); i-- > 0;)
		change_item(r,
			    json_array_get(json_object_get(tl, "changes"), i),
			    2);
	cw_buf_adds(&r->out, "</ol></details>\n");
	json_decref(tl);
}

/* /services/S/T[?at=] and /services/S/T/versions/N */
static void page_document(struct http_req *r, const char *service,
			  const char *type, const char *seq)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc doc;
	struct cw_store_version v;
	struct cw_segmentation *seg = NULL;
	struct cw_buf text = CW_BUF_INIT, more = CW_BUF_INIT;
	const char *at = seq ? NULL : http_arg(r, "at");
	char *crumbs = NULL;
	char d[11];
	int rc;

	memset(&v, 0, sizeof(v));
	rc = cw_store_find_document(r->w->store, service, type, &doc, &err);
	if (rc) {
		http_fail(r, &err);
		return;
	}
	if (at) {
		time_t t;
		if (cw_time_parse_iso(at, &t)) {
			http_error(r, 400, "at '%s': expected an ISO 8601 date",
				   at);
			goto done;
		}
	}
	rc = cw_view_resolve_version(r->w->store, doc.id, seq ? seq : at, &v,
				     &err);
	if (!rc)
		rc = cw_store_load_text(r->w->store, v.id, &text, &err);
	if (!rc)
		rc = cw_store_load_provisions(r->w->store, v.id, &seg, &err);
	if (rc) {
		if (at && rc == CW_ENOTFOUND)
			http_error(r, 404,
				   "%s · %s: no version had been recorded "
				   "by %s",
				   service, type, at);
		else
			http_fail(r, &err);
		goto done;
	}
	if (seq) {
		html_f(&more, "Version %lld", (long long)v.seq);
		r->cache = HTTP_CACHE_IMMUTABLE;
	}
	crumbs = doc_crumbs(r, service, type, seq ? cw_buf_str(&more) : NULL);
	cw_buf_clear(&more);
	html_f(&more, "%s · %s", doc.service_name ? doc.service_name : service,
	       type);
	page_begin(r, cw_buf_str(&more), crumbs);
	html_f(&r->out,
	       "<h1>%s</h1>\n<p class=\"meta\">Version %lld of %lld, "
	       "recorded <time datetime=\"%s\">%s</time>",
	       cw_buf_str(&more), (long long)v.seq, (long long)doc.n_versions,
	       v.recorded_at, day(v.recorded_at, d));
	if (v.stated_date)
		html_f(&r->out, "; the document says it dates from %s",
		       v.stated_date);
	html_f(&r->out, "; %lld provisions, %lld bytes.",
	       (long long)v.n_provisions, (long long)v.text_len);
	if (at)
		html_f(&r->out,
		       " This is the version in force on %s (the "
		       "latest recorded at or before it).",
		       at);
	else if (v.seq != doc.n_versions)
		html_f(&r->out,
		       " <a href=\"%s/services/%u/%u\">The current "
		       "version</a>.",
		       r->srv->prefix, service, type);
	html_f(&r->out,
	       "</p>\n<form class=\"inline\" method=\"get\" action=\"%s/"
	       "services/%u/%u\"><label for=\"at\">In force on</label>"
	       "<input id=\"at\" name=\"at\" type=\"date\" value=\"%s\"> "
	       "<button type=\"submit\">Show</button></form>\n",
	       r->srv->prefix, service, type, at ? at : "");
	timeline(r, &doc, v.seq);
	document_body(r, service, type, &text, seg);
	page_end(r);
done:
	free(crumbs);
	cw_buf_release(&more);
	cw_buf_release(&text);
	cw_segment_free(seg);
	cw_store_version_release(&v);
	cw_store_doc_release(&doc);
}

/* ---- a provision ---- */

/* A list of {text} statements as a list, or nothing. */
static void statements(struct cw_buf *b, const json_t *list)
{
	const json_t *e;
	size_t i;

	if (!json_array_size(list))
		return;
	cw_buf_adds(b, "<ul>");
	json_array_foreach(list, i, e) html_f(
		b, "<li>%s</li>",
		json_is_string(e) ? json_string_value(e) : str(e, "text"));
	cw_buf_adds(b, "</ul>\n");
}

/* The sources of a list of statements, on demand. */
static void sources(struct cw_buf *b, const json_t *list)
{
	const json_t *e, *src;
	size_t i, k;
	bool any = false;

	json_array_foreach(list, i, e)
	{
		src = json_object_get(e, "source");
		if (!src)
			continue;
		if (!any)
			cw_buf_adds(b, "<details class=\"sources\"><summary>"
				       "Sources</summary><ul>");
		any = true;
		if (json_is_string(src))
			html_f(b, "<li><code>%s</code></li>",
			       json_string_value(src));
		else
			json_array_foreach(src, k, e)
				html_f(b, "<li><code>%s</code></li>",
				       json_string_value(e));
	}
	if (any)
		cw_buf_adds(b, "</ul></details>\n");
}

static void section(struct cw_buf *b, const char *title, const json_t *list)
{
	if (!json_array_size(list))
		return;
	html_f(b, "<h3>%s</h3>\n", title);
	statements(b, list);
	sources(b, list);
}

/* The switch of audience and jurisdiction: a GET form. */
static void provision_switch(struct http_req *r, const char *audience,
			     const char *jurisdiction)
{
	static const char *const js[] = { "",	"eu",	 "eea",	 "uk",
					  "us", "us-ca", "other" };

	html_f(&r->out,
	       "<form class=\"panel\" method=\"get\"><label for=\"aud\">"
	       "Reader</label><select id=\"aud\" name=\"audience\">"
	       "<option value=\"consumer\"%S>a user (consumer)</option>"
	       "<option value=\"operator\"%S>an operator building on the "
	       "service</option></select> <label for=\"jur\">Jurisdiction"
	       "</label><select id=\"jur\" name=\"jurisdiction\">",
	       strcmp(audience, "operator") ? " selected" : "",
	       strcmp(audience, "operator") ? "" : " selected");
	for (size_t i = 0; i < sizeof(js) / sizeof(js[0]); i++)
		html_f(&r->out, "<option value=\"%s\"%S>%s</option>", js[i],
		       !strcmp(js[i], jurisdiction ? jurisdiction : "") ? " sel"
									  "ecte"
									  "d"
									: "",
		       js[i][0] ? js[i] : "any");
	cw_buf_adds(&r->out, "</select> <button type=\"submit\">Apply"
			     "</button></form>\n");
}

static void provision_view(struct http_req *r, const json_t *p)
{
	const json_t *o = json_object_get(p, "other_platforms");
	const json_t *m = json_object_get(p, "monitoring");
	const json_t *c = json_object_get(p, "compliance");
	const json_t *x = json_object_get(p, "exposure"), *e;
	size_t i;

	cw_buf_adds(&r->out, "<section class=\"panel\"><h2>At a glance</h2>"
			     "<p>");
	if (x && json_is_string(json_object_get(x, "level"))) {
		const char *name = str(x, "category");
		json_array_foreach(json_object_get(p, "categories"), i,
				   e) if (!strcmp(str(e, "id"), name))
			name = str(e, "name");
		html_f(&r->out, "Exposure: <strong>%s</strong>, from %s. ",
		       str(x, "level"), name);
	}
	json_array_foreach(json_object_get(p, "categories"), i, e)
		html_f(&r->out, "%S<a href=\"%s/categories/%u\">%s</a>",
		       i ? ", " : "Categories: ", r->srv->prefix, str(e, "id"),
		       str(e, "name"));
	cw_buf_adds(&r->out, "</p>");
	if (json_array_size(json_object_get(p, "parameters"))) {
		cw_buf_adds(&r->out, "<dl>");
		json_array_foreach(json_object_get(p, "parameters"), i, e)
			html_f(&r->out, "<dt>%s</dt><dd>%s</dd>",
			       str(e, "name"), str(e, "value"));
		cw_buf_adds(&r->out, "</dl>");
	}
	cw_buf_adds(&r->out, "</section>\n");
	cw_buf_adds(&r->out, "<h2>Legal reading</h2>\n");
	statements(&r->out, json_object_get(p, "legal_reading"));
	sources(&r->out, json_object_get(p, "legal_reading"));
	section(&r->out, "Interpretive note",
		json_object_get(p, "interpretive_notes"));
	cw_buf_adds(&r->out, "<h2>What this means for you</h2>\n");
	statements(&r->out, json_object_get(p, "what_it_means"));
	sources(&r->out, json_object_get(p, "what_it_means"));
	cw_buf_adds(&r->out, "<h2>How other platforms handle this</h2>\n");
	statements(&r->out, json_object_get(o, "statements"));
	if (json_array_size(json_object_get(o, "hits"))) {
		cw_buf_adds(&r->out, "<div class=\"sbs\">");
		json_array_foreach(json_object_get(o, "hits"), i, e)
			html_f(&r->out,
			       "<div class=\"panel\"><h3><a href=\"%s/services/"
			       "%u/%u/provisions/%u\">%s · %s %s</a></h3>"
			       "<p>%s</p></div>",
			       r->srv->prefix, str(e, "service"),
			       str(e, "type"), str(e, "key"), str(e, "service"),
			       str(e, "key"), str(e, "title"),
			       json_is_string(json_object_get(e, "quote"))
				       ? str(e, "quote")
				       : str(json_object_get(e, "quote"), "tex"
									  "t"));
		cw_buf_adds(&r->out, "</div>\n");
	}
	cw_buf_adds(&r->out, "<h2>Monitoring</h2>\n");
	statements(&r->out, json_object_get(m, "statements"));
	if (json_array_size(json_object_get(m, "events"))) {
		cw_buf_adds(&r->out, "<ol>");
		json_array_foreach(json_object_get(m, "events"), i, e)
		{
			char d[11];
			html_f(&r->out,
			       "<li><time datetime=\"%s\">%s</time> "
			       "version %lld → %lld ",
			       str(e, "recorded_at"),
			       day(str(e, "recorded_at"), d), num(e, "from"),
			       num(e, "to"));
			badge(&r->out, str(e, "materiality"));
			html_f(&r->out, " %s</li>", str(e, "summary"));
		}
		cw_buf_adds(&r->out, "</ol>\n");
	}
	cw_buf_adds(&r->out, "<h2>Compliance analysis</h2>\n");
	section(&r->out, "Regulatory landscape",
		json_object_get(c, "regulatory_landscape"));
	section(&r->out, "Exposure",
		json_object_get(json_object_get(c, "exposure"), "by_category"));
	section(&r->out, "Jurisdictions",
		json_object_get(c, "jurisdiction_flags"));
	section(&r->out, "Contract and vendor implications",
		json_object_get(c, "contract_and_vendor"));
	section(&r->out, "What to do", json_object_get(c, "considerations"));
}

static void page_provision(struct http_req *r, const char *service,
			   const char *type, const char *key)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc doc;
	struct cw_store_version v;
	struct cw_view_provision_query q = { .key = key,
					     .audience = CW_AUDIENCE_CONSUMER };
	const char *aud = http_arg(r, "audience");
	struct cw_view *view;
	json_t *out = NULL, *p;
	struct cw_buf t = CW_BUF_INIT;
	char *crumbs = NULL;
	int rc;

	memset(&v, 0, sizeof(v));
	q.jurisdiction = http_arg(r, "jurisdiction");
	if (q.jurisdiction && !*q.jurisdiction)
		q.jurisdiction = NULL;
	if (aud && (q.audience = cw_audience_parse(aud)) < 0) {
		http_error(r, 400,
			   "audience '%s': expected consumer or operator", aud);
		return;
	}
	if (q.jurisdiction && !cw_analyze_jurisdiction_valid(q.jurisdiction)) {
		http_error(r, 400, "jurisdiction '%s': expected %s",
			   q.jurisdiction, CW_ANALYZE_JURISDICTIONS);
		return;
	}
	rc = cw_store_find_document(r->w->store, service, type, &doc, &err);
	if (rc) {
		http_fail(r, &err);
		return;
	}
	view = http_view(r, &err);
	rc = view ? cw_view_resolve_version(r->w->store, doc.id,
					    http_arg(r, "at"), &v, &err)
		  : err.rc;
	if (!rc)
		rc = cw_view_analyze_document(&out, view, &doc, &v, &q, &err);
	if (rc) {
		http_fail(r, &err);
		goto done;
	}
	p = json_array_get(json_object_get(out, "provisions"), 0);
	html_f(&t, "Provision %s", key);
	crumbs = doc_crumbs(r, service, type, cw_buf_str(&t));
	cw_buf_clear(&t);
	html_f(&t, "%s %s · %s · %s", key, str(p, "title"), service, type);
	page_begin(r, cw_buf_str(&t), crumbs);
	html_f(&r->out,
	       "<h1>%s %s</h1>\n<p class=\"meta\">%s · <a href=\"%s/services/"
	       "%u/%u#",
	       key, str(p, "title"), service, r->srv->prefix, service, type);
	cw_buf_clear(&t);
	anchor(&t, key);
	html_esc(&r->out, cw_buf_str(&t));
	html_f(&r->out, "\">%s</a>, ", type);
	version_words(&r->out, json_object_get(out, "version"));
	cw_buf_adds(&r->out, ".</p>\n");
	provision_switch(r, cw_audience_name(q.audience), q.jurisdiction);
	provision_view(r, p);
	page_end(r);
done:
	free(crumbs);
	cw_buf_release(&t);
	json_decref(out);
	cw_store_version_release(&v);
	cw_store_doc_release(&doc);
}

/* ---- the redline ---- */

/*
 * One modified provision's own text with its spans as <del> and <ins>:
 * side 0 both inline, 'o' the old text with its deletions, 'n' the new
 * one with its insertions. Each span has its place on both sides; the
 * text between spans is taken from the side shown (inline: the new one).
 * A span that does not fit the cursors (a coarse diff) ends the walk and
 * the rest is shown plain.
 */
static void redline(struct cw_buf *b, const struct cw_diff_change *c,
		    const struct cw_view_diff *d, char side)
{
	const char *old = cw_buf_str(&d->old_text);
	const char *new = cw_buf_str(&d->new_text);
	size_t po = c->old_start, pn = c->new_start;
	size_t oe = c->old_end <= d->old_text.len ? c->old_end : po;
	size_t ne = c->new_end <= d->new_text.len ? c->new_end : pn;

	for (size_t k = 0; k < c->n_spans; k++) {
		const struct cw_diff_span *s = &c->spans[k];
		bool del = s->op == CW_DIFF_OP_DEL;

		if (s->old_start < po || s->old_end < s->old_start ||
		    s->old_end > oe || s->new_start < pn ||
		    s->new_end < s->new_start || s->new_end > ne)
			break;
		if (side == 'o')
			html_escn(b, old + po, s->old_start - po);
		else
			html_escn(b, new + pn, s->new_start - pn);
		if (del && side != 'n') {
			cw_buf_adds(b, "<del>");
			html_escn(b, old + s->old_start,
				  s->old_end - s->old_start);
			cw_buf_adds(b, "</del>");
		} else if (!del && side != 'o') {
			cw_buf_adds(b, "<ins>");
			html_escn(b, new + s->new_start,
				  s->new_end - s->new_start);
			cw_buf_adds(b, "</ins>");
		}
		po = del ? s->old_end : s->old_start;
		pn = del ? s->new_start : s->new_end;
	}
	if (side == 'o')
		html_escn(b, old + po, oe - po);
	else
		html_escn(b, new + pn, ne - pn);
}

static void diff_change(struct http_req *r, const struct cw_diff_change *c,
			const struct cw_view_diff *d, bool sbs)
{
	const char *m = cw_diff_materiality_name(c->materiality);
	const char *key = c->new_key ? c->new_key : c->old_key;

	html_f(&r->out, "<section class=\"provision\"><h3>%s %s ",
	       key ? key : "", c->title);
	badge(&r->out, m);
	html_f(&r->out, " <span class=\"muted\">%s</span></h3>\n",
	       cw_diff_kind_name(c->kind));
	if (c->summary)
		html_f(&r->out, "<p><strong>%s</strong></p>\n", c->summary);
	if (c->n_spans && !sbs) {
		cw_buf_adds(&r->out, "<p>");
		redline(&r->out, c, d, 0);
		cw_buf_adds(&r->out, "</p>\n");
	} else if (c->n_spans) {
		cw_buf_adds(&r->out, "<div class=\"sbs\"><p>");
		redline(&r->out, c, d, 'o');
		cw_buf_adds(&r->out, "</p><p>");
		redline(&r->out, c, d, 'n');
		cw_buf_adds(&r->out, "</p></div>\n");
	} else if (c->kind == CW_DIFF_ADDED) {
		cw_buf_adds(&r->out, "<p><ins>");
		html_escn(&r->out, cw_buf_str(&d->new_text) + c->new_start,
			  c->new_end - c->new_start);
		cw_buf_adds(&r->out, "</ins></p>\n");
	} else if (c->kind == CW_DIFF_REMOVED) {
		cw_buf_adds(&r->out, "<p><del>");
		html_escn(&r->out, cw_buf_str(&d->old_text) + c->old_start,
			  c->old_end - c->old_start);
		cw_buf_adds(&r->out, "</del></p>\n");
	}
	cw_buf_adds(&r->out, "</section>\n");
}

static void page_diff(struct http_req *r, const char *service, const char *type,
		      const char *range)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc doc;
	struct cw_view_diff vd;
	const char *dots = strstr(range, "..");
	bool sbs = http_arg(r, "view") && !strcmp(http_arg(r, "view"), "side");
	struct cw_buf t = CW_BUF_INIT;
	char *from, *crumbs = NULL;
	size_t shown = 0;
	int rc;

	memset(&vd, 0, sizeof(vd));
	if (!dots || dots == range || !dots[2]) {
		http_error(r, 400, "'%s': expected FROM..TO (version numbers)",
			   range);
		return;
	}
	rc = cw_store_find_document(r->w->store, service, type, &doc, &err);
	if (rc) {
		http_fail(r, &err);
		return;
	}
	from = cw_strndup(range, (size_t)(dots - range));
	rc = cw_view_diff(&vd, r->w->store, &doc, from, dots + 2, r->srv->rules,
			  r->srv->tax, 0, &err);
	free(from);
	if (rc) {
		http_fail(r, &err);
		goto done;
	}
	/* two versions, named by number: the answer never changes */
	r->cache = HTTP_CACHE_IMMUTABLE;
	html_f(&t, "Versions %lld → %lld", (long long)vd.from.seq,
	       (long long)vd.to.seq);
	crumbs = doc_crumbs(r, service, type, cw_buf_str(&t));
	cw_buf_clear(&t);
	html_f(&t, "%s · %s: versions %lld → %lld", service, type,
	       (long long)vd.from.seq, (long long)vd.to.seq);
	page_begin(r, cw_buf_str(&t), crumbs);
	html_f(&r->out,
	       "<h1>%s</h1>\n<p class=\"meta\">From version %lld "
	       "(%s) to version %lld (%s). ",
	       cw_buf_str(&t), (long long)vd.from.seq, vd.from.recorded_at,
	       (long long)vd.to.seq, vd.to.recorded_at);
	html_f(&r->out, "<a href=\"%s/services/%u/%u/diff/%u%S\">%s</a></p>\n",
	       r->srv->prefix, service, type, range, sbs ? "" : "?view=side",
	       sbs ? "Inline" : "Side by side");
	html_f(&r->out,
	       "<section class=\"panel\"><h2>Summary</h2><p>%s</p><ul>",
	       vd.summary);
	/* what matters first: substantive, then editorial, then cosmetic */
	for (int m = CW_DIFF_SUBSTANTIVE; m > CW_DIFF_NONE; m--)
		for (size_t i = 0; i < vd.diff->n; i++) {
			const struct cw_diff_change *c = &vd.diff->changes[i];
			if ((int)c->materiality != m || !c->summary)
				continue;
			cw_buf_adds(&r->out, "<li>");
			badge(&r->out,
			      cw_diff_materiality_name(c->materiality));
			html_f(&r->out, " %s</li>", c->summary);
			shown++;
		}
	if (!shown)
		cw_buf_adds(&r->out, "<li>No provision changed.</li>");
	cw_buf_adds(&r->out, "</ul></section>\n<h2>Provision by "
			     "provision</h2>\n");
	for (size_t i = 0; i < vd.diff->n; i++)
		if (vd.diff->changes[i].kind != CW_DIFF_UNCHANGED)
			diff_change(r, &vd.diff->changes[i], &vd, sbs);
	page_end(r);
done:
	free(crumbs);
	cw_buf_release(&t);
	cw_view_diff_release(&vd);
	cw_store_doc_release(&doc);
}

/* ---- categories and regulations ---- */

/* The worker's read session and its taxonomy; NULL, with the failure
 * answered, when the session cannot be opened. */
static const struct cw_taxonomy *taxonomy_of(struct http_req *r,
					     struct cw_view **view)
{
	struct cw_err err = CW_ERR_INIT;

	*view = http_view(r, &err);
	if (!*view) {
		http_fail(r, &err);
		return NULL;
	}
	return cw_analyze_taxonomy(cw_view_analyzer(*view));
}

static void page_categories(struct http_req *r, const char *id)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_view *view;
	const struct cw_taxonomy *tax = taxonomy_of(r, &view);
	json_t *out = NULL, *p, *e;
	size_t i, k;

	if (!tax)
		return;
	if (!id) {
		page_begin(r, "Categories", NULL);
		cw_buf_adds(&r->out, "<h1>Categories</h1>\n<ul>");
		for (i = 0; i < cw_taxonomy_count(tax); i++) {
			const struct cw_tax_category *c =
				cw_taxonomy_at(tax, i);
			html_f(&r->out,
			       "<li><a href=\"%s/categories/%u\">%s</a> "
			       "<span class=\"muted\">%s</span></li>",
			       r->srv->prefix, c->id, c->name, c->group);
		}
		cw_buf_adds(&r->out, "</ul>\n");
		page_end(r);
		return;
	}
	if (cw_view_category(&out, view, id, &err)) {
		http_fail(r, &err);
		return;
	}
	page_begin(r, str(out, "name"), NULL);
	html_f(&r->out, "<h1>%s</h1>\n<p>%s</p>\n", str(out, "name"),
	       str(out, "definition"));
	p = json_object_get(out, "prevalence");
	if (p)
		html_f(&r->out,
		       "<p class=\"meta\">Found in %lld of %lld "
		       "services.</p>\n",
		       num(p, "services"), num(p, "of"));
	else
		cw_buf_adds(&r->out, "<p class=\"meta\">Found in no current "
				     "document.</p>\n");
	cw_buf_adds(&r->out, "<table><thead><tr><th scope=\"col\">Service</th>"
			     "<th scope=\"col\">Provision</th><th "
			     "scope=\"col\">"
			     "Exposure (user / operator)</th><th "
			     "scope=\"col\">Key "
			     "figures</th></tr></thead><tbody>\n");
	json_array_foreach(json_object_get(out, "provisions"), i, p)
	{
		const json_t *x = json_object_get(p, "exposure");
		html_f(&r->out,
		       "<tr><td>%s · %s</td><td><a href=\"%s/services/%u/%u/"
		       "provisions/%u\">%s %s</a></td><td>%s / %s</td><td>",
		       str(p, "service"), str(p, "type"), r->srv->prefix,
		       str(p, "service"), str(p, "type"), str(p, "key"),
		       str(p, "key"), str(p, "title"),
		       json_is_string(json_object_get(x, "consumer"))
			       ? str(x, "consumer")
			       : str(json_object_get(x, "consumer"), "level"),
		       json_is_string(json_object_get(x, "operator"))
			       ? str(x, "operator")
			       : str(json_object_get(x, "operator"), "level"));
		json_array_foreach(json_object_get(p, "parameters"), k, e)
			html_f(&r->out, "%S%s: %s", k ? "; " : "",
			       str(e, "name"), str(e, "value"));
		cw_buf_adds(&r->out, "</td></tr>\n");
	}
	cw_buf_adds(&r->out, "</tbody></table>\n");
	page_end(r);
	json_decref(out);
}

static void page_regulations(struct http_req *r, const char *id)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_view *view;
	const struct cw_taxonomy *tax = taxonomy_of(r, &view);
	const struct cw_tax_instrument *in;
	char today[CW_TIME_ISO];
	size_t i;

	if (!tax)
		return;
	if (!id) {
		page_begin(r, "Regulations", NULL);
		cw_buf_adds(&r->out, "<h1>Regulations</h1>\n<ul>");
		for (i = 0; i < cw_taxonomy_instrument_count(tax); i++) {
			in = cw_taxonomy_instrument_at(tax, i);
			html_f(&r->out,
			       "<li><a href=\"%s/regulations/%u\">%s</a> "
			       "<span class=\"muted\">%s</span></li>",
			       r->srv->prefix, in->id, in->name,
			       in->citation ? in->citation : "");
		}
		cw_buf_adds(&r->out, "</ul>\n");
		page_end(r);
		return;
	}
	in = cw_taxonomy_instrument(tax, id);
	if (!in) {
		http_error(r, 404, "no regulation '%s'", id);
		return;
	}
	cw_time_now_iso(today);
	today[10] = '\0';
	page_begin(r, in->name, NULL);
	html_f(&r->out, "<h1>%s</h1>\n<p class=\"meta\">%s", in->name,
	       in->citation ? in->citation : "");
	if (in->applies_from)
		html_f(&r->out, "; applies from %s", in->applies_from);
	if (in->url)
		html_f(&r->out, "; <a href=\"%s\">official text</a>", in->url);
	html_f(&r->out, ".</p>\n<p>%s</p>\n<h2>Articles</h2>\n",
	       in->summary ? in->summary : "");
	for (size_t a = 0; a < in->narticles; a++) {
		const struct cw_tax_article *art = &in->articles[a];
		const char *from = cw_taxonomy_applies_from(in, art);
		bool any = false;

		html_f(&r->out, "<h3>%s %s</h3>\n<p>%s", art->id, art->title,
		       art->requires ? art->requires : "");
		if (from)
			html_f(&r->out, " <span class=\"muted\">(%s %s)</span>",
			       strcmp(from, today) <= 0 ? "in effect since"
							: "applies from",
			       from);
		cw_buf_adds(&r->out, "</p>\n");
		/* the categories that touch the article, and their provisions */
		for (i = 0; i < cw_taxonomy_count(tax); i++) {
			const struct cw_tax_category *c =
				cw_taxonomy_at(tax, i);
			json_t *out = NULL, *p;
			size_t k;
			for (k = 0; k < c->nregs; k++)
				if (c->regs[k].art == art)
					break;
			if (k == c->nregs ||
			    cw_view_category(&out, view, c->id, &err))
				continue;
			if (!any)
				cw_buf_adds(&r->out, "<ul>");
			any = true;
			html_f(&r->out,
			       "<li><a href=\"%s/categories/%u\">%s</a>: %s",
			       r->srv->prefix, c->id, c->name,
			       c->regs[k].why ? c->regs[k].why : "");
			cw_buf_adds(&r->out, "<ul>");
			json_array_foreach(json_object_get(out, "provisions"),
					   k, p)
				html_f(&r->out,
				       "<li><a href=\"%s/services/%u/%u/"
				       "provisions/%u\">%s · %s %s</a></li>",
				       r->srv->prefix, str(p, "service"),
				       str(p, "type"), str(p, "key"),
				       str(p, "service"), str(p, "key"),
				       str(p, "title"));
			cw_buf_adds(&r->out, "</ul></li>\n");
			json_decref(out);
		}
		if (any)
			cw_buf_adds(&r->out, "</ul>\n");
	}
	page_end(r);
}

/* ---- lists ---- */

/* Whether a listed change touches category `cat`. */
static bool change_has_category(const json_t *c, const char *cat)
{
	const json_t *e, *x;
	size_t i, k;

	json_array_foreach(json_object_get(c, "changes"), i, e)
		json_array_foreach(json_object_get(e, "categories"), k, x)
	{
		const char *id = json_is_string(x) ? json_string_value(x)
						   : str(x, "id");
		if (!strcmp(id, cat))
			return true;
	}
	return false;
}

static void page_changes(struct http_req *r)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_change_query q = { .limit = 2000,
					   .newest_first = true };
	struct cw_store_change *cs = NULL;
	const char *since = http_arg(r, "since"), *until = http_arg(r, "until");
	const char *cat = http_arg(r, "category");
	char s_iso[CW_TIME_ISO], u_iso[CW_TIME_ISO];
	size_t n = 0, shown = 0;

	q.service = http_arg(r, "service");
	if (q.service && !*q.service)
		q.service = NULL;
	if (cat && !*cat)
		cat = NULL;
	if (!http_arg_time(r, "since", false, s_iso, &q.since) ||
	    !http_arg_time(r, "until", true, u_iso, &q.until) ||
	    !http_arg_materiality(r, "materiality", &q.min_materiality))
		return;
	if (cw_store_list_changes(r->w->store, &q, &cs, &n, &err)) {
		http_fail(r, &err);
		return;
	}
	page_begin(r, "Changes", NULL);
	html_f(&r->out,
	       "<h1>Changes</h1>\n<form class=\"panel\" method=\"get\">"
	       "<label for=\"f-s\">Service</label><input id=\"f-s\" "
	       "name=\"service\" value=\"%s\"> <label for=\"f-c\">Category"
	       "</label><input id=\"f-c\" name=\"category\" value=\"%s\"> "
	       "<label for=\"f-m\">At least</label><select id=\"f-m\" "
	       "name=\"materiality\"><option value=\"\">any</option>"
	       "<option%S>editorial</option><option%S>substantive</option>"
	       "</select> <label for=\"f-from\">From</label><input "
	       "id=\"f-from\" type=\"date\" name=\"since\" value=\"%s\"> "
	       "<label for=\"f-to\">to</label><input id=\"f-to\" "
	       "type=\"date\" name=\"until\" value=\"%s\"> <button "
	       "type=\"submit\">Filter</button></form>\n<ol>\n",
	       q.service ? q.service : "", cat ? cat : "",
	       q.min_materiality && !strcmp(q.min_materiality, "editorial")
		       ? " selected"
		       : "",
	       q.min_materiality && !strcmp(q.min_materiality, "substantive")
		       ? " selected"
		       : "",
	       since ? since : "", until ? until : "");
	for (size_t i = 0; i < n && shown < CHANGES_PAGE; i++) {
		json_t *c = cw_view_change_json(r->w->store, &cs[i]);
		if (!cat || change_has_category(c, cat)) {
			change_item(r, c, 5);
			shown++;
		}
		json_decref(c);
	}
	cw_buf_adds(&r->out, "</ol>\n");
	if (!shown)
		cw_buf_adds(&r->out, "<p>No change matches.</p>\n");
	page_end(r);
	cw_store_changes_free(cs, n);
}

/* A snippet with its [matches] as <mark>. */
static void snippet(struct cw_buf *b, const char *s)
{
	for (const char *p = s; *p;) {
		const char *o = strchr(p, '['), *c = o ? strchr(o, ']') : NULL;
		if (!o || !c) {
			html_esc(b, p);
			return;
		}
		html_escn(b, p, (size_t)(o - p));
		cw_buf_adds(b, "<mark>");
		html_escn(b, o + 1, (size_t)(c - o - 1));
		cw_buf_adds(b, "</mark>");
		p = c + 1;
	}
}

static void page_search(struct http_req *r)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_view_search_query q = { .limit = SEARCH_PAGE };
	const char *off = http_arg(r, "offset");
	json_t *out = NULL, *h;
	long o = 0;
	size_t i;

	q.text = http_arg(r, "q");
	q.service = http_arg(r, "service");
	q.type = http_arg(r, "type");
	q.any = http_arg(r, "any") != NULL;
	q.all_versions = http_arg(r, "all") != NULL;
	if (q.service && !*q.service)
		q.service = NULL;
	if (q.type && !*q.type)
		q.type = NULL;
	if (off && cw_parse_long(off, 0, 100000, &o)) {
		http_error(r, 400, "offset '%s': expected a number", off);
		return;
	}
	q.offset = (size_t)o;
	if (q.text && *q.text && cw_view_search(&out, r->w->store, &q, &err)) {
		http_fail(r, &err);
		return;
	}
	page_begin(r, q.text && *q.text ? q.text : "Search", NULL);
	html_f(&r->out,
	       "<h1>Search</h1>\n<form class=\"panel\" method=\"get\" "
	       "role=\"search\"><label for=\"s-q\">Words</label><input "
	       "id=\"s-q\" type=\"search\" name=\"q\" value=\"%s\"> <label "
	       "for=\"s-s\">Service</label><input id=\"s-s\" name=\"service\" "
	       "value=\"%s\"> <label><input type=\"checkbox\" name=\"any\""
	       "%S> any word</label> <label><input type=\"checkbox\" "
	       "name=\"all\"%S> also old wording</label> <button "
	       "type=\"submit\">Search</button></form>\n",
	       q.text ? q.text : "", q.service ? q.service : "",
	       q.any ? " checked" : "", q.all_versions ? " checked" : "");
	if (out) {
		size_t n = json_array_size(json_object_get(out, "hits"));
		cw_buf_adds(&r->out, "<ol class=\"hits\">\n");
		json_array_foreach(json_object_get(out, "hits"), i, h)
		{
			html_f(&r->out,
			       "<li><a "
			       "href=\"%s/services/%u/%u/provisions/%u\">"
			       "%s · %s %s %s</a><p>",
			       r->srv->prefix, str(h, "service"),
			       str(h, "type"), str(h, "key"), str(h, "service"),
			       str(h, "type"), str(h, "key"), str(h, "title"));
			snippet(&r->out, str(h, "snippet"));
			cw_buf_adds(&r->out, "</p></li>\n");
		}
		cw_buf_adds(&r->out, "</ol>\n");
		if (!n)
			cw_buf_adds(&r->out, "<p>No provision holds these "
					     "words.</p>\n");
		if (n == SEARCH_PAGE) {
			struct cw_buf u = CW_BUF_INIT;
			url_seg(&u, q.text);
			html_f(&r->out,
			       "<p><a href=\"%s/search?q=%s&amp;offset=%zu%S"
			       "\">More</a></p>\n",
			       r->srv->prefix, cw_buf_str(&u),
			       q.offset + SEARCH_PAGE,
			       q.any ? "&amp;any=1" : "");
			cw_buf_release(&u);
		}
		json_decref(out);
	}
	page_end(r);
}

static void page_status(struct http_req *r)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_mon_doc *m = NULL;
	struct cw_store_outbox_counts oc;
	size_t n = 0;

	if (cw_store_mon_list(r->w->store, NULL, &m, &n, &err) ||
	    cw_store_outbox_count(r->w->store, &oc, &err)) {
		http_fail(r, &err);
		return;
	}
	page_begin(r, "Status", NULL);
	html_f(&r->out,
	       "<h1>Status</h1>\n<p class=\"meta\">Outbox: %lld pending, "
	       "%lld held for digests, %lld sent, %lld given up.</p>\n"
	       "<table><thead><tr><th scope=\"col\">Document</th><th "
	       "scope=\"col\">Health</th><th scope=\"col\">Last check</th>"
	       "<th scope=\"col\">Next due</th><th scope=\"col\">Last error"
	       "</th></tr></thead><tbody>\n",
	       (long long)oc.pending, (long long)oc.held, (long long)oc.sent,
	       (long long)oc.dead);
	for (size_t i = 0; i < n; i++)
		html_f(&r->out,
		       "<tr><td><a href=\"%s/services/%u/%u\">%s · %s</a></td>"
		       "<td class=\"%S\">%s</td><td>%s</td><td>%s</td>"
		       "<td>%s</td></tr>\n",
		       r->srv->prefix, m[i].doc.service, m[i].doc.type,
		       m[i].doc.service, m[i].doc.type,
		       m[i].mon.failing ? "error" : "ok",
		       m[i].mon.failing ? "failing" : "ok",
		       m[i].mon.last_check ? m[i].mon.last_check : "never",
		       m[i].mon.next_due ? m[i].mon.next_due : "now",
		       m[i].mon.last_error ? m[i].mon.last_error : "");
	cw_buf_adds(&r->out, "</tbody></table>\n");
	page_end(r);
	cw_store_mon_docs_free(m, n);
}

/* ---- watches ---- */

/* A form field's lines: "a, b" or one per line into "a\nb". */
static void form_lines(struct cw_buf *out, const char *v)
{
	for (const char *p = v ? v : ""; *p;) {
		size_t n = strcspn(p, ",\r\n");
		const char *a = p, *e = p + n;
		while (a < e && *a == ' ')
			a++;
		while (e > a && e[-1] == ' ')
			e--;
		if (e > a)
			cw_buf_addf(out, "%s%.*s", out->len ? "\n" : "",
				    (int)(e - a), a);
		p += n;
		while (*p == ',' || *p == '\r' || *p == '\n')
			p++;
	}
}

/* Add (POST /watches) or remove (POST /watches/ID/remove) with a token
 * from the form; the message to show, or NULL when nothing was asked. */
static void watches_post(struct http_req *r, struct cw_buf *msg)
{
	struct cw_err err = CW_ERR_INIT;
	const char *token = http_form(r, "token");
	struct cw_buf svc = CW_BUF_INIT, docs = CW_BUF_INIT, cats = CW_BUF_INIT;
	struct cw_store_sub sub;
	int64_t id = 0;
	long rid;

	if (!token || !http_token_ok(r, token)) {
		r->status = 403;
		cw_buf_adds(msg, "That token is not one of this store's: "
				 "nothing was changed.");
		return;
	}
	if (r->nseg == 3) {
		if (cw_parse_long(r->seg[1], 1, INT32_MAX, &rid) ||
		    cw_store_sub_remove(r->w->store, rid, &err)) {
			r->status = 404;
			html_f(msg, "No watch %s.", r->seg[1]);
		} else {
			html_f(msg, "Watch %ld removed.", rid);
		}
		return;
	}
	memset(&sub, 0, sizeof(sub));
	sub.channel = (char *)http_form(r, "channel");
	sub.target = (char *)http_form(r, "target");
	sub.secret = (char *)http_form(r, "secret");
	if (sub.secret && !*sub.secret)
		sub.secret = NULL;
	sub.min_materiality = (char *)http_form(r, "min_materiality");
	sub.cadence = (char *)http_form(r, "cadence");
	form_lines(&svc, http_form(r, "services"));
	form_lines(&docs, http_form(r, "documents"));
	form_lines(&cats, http_form(r, "categories"));
	sub.services = (char *)cw_buf_str(&svc);
	sub.documents = (char *)cw_buf_str(&docs);
	sub.categories = (char *)cw_buf_str(&cats);
	if (cw_notify_sub_check(&sub, &err) ||
	    http_check_categories(r, sub.categories, &err)) {
		r->status = 400;
		html_f(msg, "Not added: %s.", err.msg);
	} else if (cw_store_sub_add(r->w->store, &sub, &id, &err)) {
		r->status = 500;
		html_f(msg, "Not added: %s.", err.msg);
	} else {
		html_f(msg, "Watch %lld added.", (long long)id);
	}
	cw_buf_release(&svc);
	cw_buf_release(&docs);
	cw_buf_release(&cats);
}

static void page_watches(struct http_req *r)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_sub *subs = NULL;
	struct cw_buf msg = CW_BUF_INIT;
	const char *pre = r->srv->prefix;
	size_t n = 0;

	if (r->post)
		watches_post(r, &msg);
	if (cw_store_sub_list(r->w->store, &subs, &n, &err)) {
		http_fail(r, &err);
		cw_buf_release(&msg);
		return;
	}
	/* a page with token fields is never cached */
	r->cache = HTTP_CACHE_NONE;
	page_begin(r, "Watches", NULL);
	cw_buf_adds(&r->out, "<h1>Watches</h1>\n");
	if (msg.len)
		html_f(&r->out, "<p class=\"panel\" role=\"status\">%S</p>\n",
		       cw_buf_str(&msg));
	cw_buf_adds(&r->out, "<p class=\"meta\">Who is told of what change. "
			     "Adding "
			     "or removing a watch takes a token made with "
			     "<code>clausewatch token add NAME</code>.</p>\n"
			     "<table><thead><tr><th scope=\"col\">#</th><th "
			     "scope=\"col\">Channel</th><th "
			     "scope=\"col\">Scope</th>"
			     "<th scope=\"col\">At least</th><th scope=\"col\">"
			     "Cadence</th><th "
			     "scope=\"col\">Remove</th></tr></thead>"
			     "<tbody>\n");
	for (size_t i = 0; i < n; i++) {
		const struct cw_store_sub *w = &subs[i];
		html_f(&r->out,
		       "<tr><td>%lld</td><td>%s %s</td><td>%s %s %s</td>"
		       "<td>%s</td><td>%s</td><td><form method=\"post\" "
		       "action=\"%s/watches/%lld/remove\"><label for=\"t%lld\">"
		       "Token</label> <input id=\"t%lld\" type=\"password\" "
		       "name=\"token\" autocomplete=\"off\" required> <button "
		       "type=\"submit\">Remove</button></form></td></tr>\n",
		       (long long)w->id, w->channel, w->target,
		       w->services && *w->services ? w->services : "",
		       w->documents && *w->documents ? w->documents : "",
		       w->categories && *w->categories ? w->categories : "",
		       w->min_materiality, w->cadence, pre, (long long)w->id,
		       (long long)w->id, (long long)w->id);
	}
	if (!n)
		cw_buf_adds(&r->out, "<tr><td colspan=\"6\">No watch yet: "
				     "every change is recorded, nobody is "
				     "told.</td></tr>\n");
	html_f(&r->out,
	       "</tbody></table>\n<h2>Add a watch</h2>\n<form class=\"panel\" "
	       "method=\"post\" action=\"%s/watches\">\n"
	       "<p><label for=\"w-ch\">Channel</label><select id=\"w-ch\" "
	       "name=\"channel\"><option>feed</option><option>email</option>"
	       "<option>webhook</option></select> <label for=\"w-t\">Feed "
	       "name, address or URL</label><input id=\"w-t\" name=\"target\" "
	       "required> <label for=\"w-sec\">Webhook secret</label><input "
	       "id=\"w-sec\" name=\"secret\" autocomplete=\"off\"></p>\n"
	       "<p><label for=\"w-s\">Services</label><input id=\"w-s\" "
	       "name=\"services\" placeholder=\"all\"> <label for=\"w-d\">"
	       "Documents (SERVICE/TYPE)</label><input id=\"w-d\" "
	       "name=\"documents\" placeholder=\"all\"> <label "
	       "for=\"w-c\">Categories</label><input id=\"w-c\" "
	       "name=\"categories\" placeholder=\"any\"></p>\n"
	       "<p><label for=\"w-m\">At least</label><select id=\"w-m\" "
	       "name=\"min_materiality\"><option>cosmetic</option><option>"
	       "editorial</option><option selected>substantive</option>"
	       "</select> <label for=\"w-k\">Cadence</label><select "
	       "id=\"w-k\" name=\"cadence\"><option>immediate</option>"
	       "<option>daily</option><option>weekly</option></select></p>\n"
	       "<p><label for=\"w-tok\">Token</label><input id=\"w-tok\" "
	       "type=\"password\" name=\"token\" autocomplete=\"off\" "
	       "required> <button type=\"submit\">Add</button></p>\n"
	       "</form>\n",
	       pre);
	page_end(r);
	cw_buf_release(&msg);
	cw_store_subs_free(subs, n);
}

/* ---- routing ---- */

bool pages_route(struct http_req *r)
{
	char **s = r->seg;
	size_t n = r->nseg;

	if (n >= 1 && !strcmp(s[0], "watches") &&
	    (n == 1 || (n == 3 && r->post && !strcmp(s[2], "remove")))) {
		page_watches(r);
		return true;
	}
	if (r->post)
		return false;
	if (n == 0)
		page_dashboard(r);
	else if (!strcmp(s[0], "services") && n <= 2)
		page_services(r, n == 2 ? s[1] : NULL);
	else if (!strcmp(s[0], "services") && n == 3)
		page_document(r, s[1], s[2], NULL);
	else if (!strcmp(s[0], "services") && n == 5 &&
		 !strcmp(s[3], "versions"))
		page_document(r, s[1], s[2], s[4]);
	else if (!strcmp(s[0], "services") && n == 5 &&
		 !strcmp(s[3], "provisions"))
		page_provision(r, s[1], s[2], s[4]);
	else if (!strcmp(s[0], "services") && n == 5 && !strcmp(s[3], "diff"))
		page_diff(r, s[1], s[2], s[4]);
	else if (!strcmp(s[0], "categories") && n <= 2)
		page_categories(r, n == 2 ? s[1] : NULL);
	else if (!strcmp(s[0], "regulations") && n <= 2)
		page_regulations(r, n == 2 ? s[1] : NULL);
	else if (!strcmp(s[0], "changes") && n == 1)
		page_changes(r);
	else if (!strcmp(s[0], "search") && n == 1)
		page_search(r);
	else if (!strcmp(s[0], "status") && n == 1)
		page_status(r);
	else
		return false;
	return true;
}
