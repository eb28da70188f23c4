/*
 * render: an outbox row as a webhook body, an email (text and HTML), or
 * the pieces of an Atom entry (see notify.h).
 */
#include <jansson.h>

#include "notify.h"

void cw_notify_html_escape(struct cw_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '<': cw_buf_adds(out, "&lt;"); break;
		case '>': cw_buf_adds(out, "&gt;"); break;
		case '&': cw_buf_adds(out, "&amp;"); break;
		case '"': cw_buf_adds(out, "&quot;"); break;
		case '\'': cw_buf_adds(out, "&#39;"); break;
		default: cw_buf_addc(out, s[i]);
		}
	}
}

static json_int_t ival(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/*
 * Put each redline span's text back from the two versions' texts (the
 * store keeps offsets only; see pipeline.c). Spans outside their text are
 * dropped rather than trusted.
 */
static void fill_redline(json_t *j, const struct cw_buf *old,
			 const struct cw_buf *new)
{
	json_t *c, *r;
	size_t i, k;

	json_array_foreach(json_object_get(j, "changes"), i, c) {
		json_t *red = json_object_get(c, "redline");

		json_array_foreach(red, k, r) {
			const char *op = json_string_value(json_object_get(r, "op"));
			bool del = op && !strcmp(op, "del");
			const struct cw_buf *t = del ? old : new;
			json_int_t a = ival(r, del ? "old_start" : "new_start");
			json_int_t b = ival(r, del ? "old_end" : "new_end");

			if (a < 0 || b < a || (size_t)b > t->len)
				continue;
			json_object_set_new(r, "text",
					    json_stringn(t->ptr + a, (size_t)(b - a)));
		}
	}
}

/* The change of row `o` as JSON, redline filled; NULL on failure. */
static json_t *load_change(struct cw_store *s, int64_t change_id,
			   struct cw_store_change *c, struct cw_buf *old,
			   struct cw_buf *new, struct cw_err *err)
{
	json_t *j;
	json_error_t je;
	int rc;

	rc = cw_store_get_change(s, change_id, c, err);
	if (rc)
		return NULL;
	j = json_loads(c->json ? c->json : "{}", 0, &je);
	if (!j) {
		cw_err_set(err, CW_EPARSE, "change %lld: stored JSON: %s",
			   (long long)change_id, je.text);
		return NULL;
	}
	if (c->from_version)
		rc = cw_store_load_text(s, c->from_version, old, err);
	if (!rc)
		rc = cw_store_load_text(s, c->to_version, new, err);
	if (rc) {
		json_decref(j);
		return NULL;
	}
	fill_redline(j, old, new);
	return j;
}

static void add_json(struct cw_buf *out, json_t *j)
{
	char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (txt)
		cw_buf_adds(out, txt);
	free(txt);
}

int cw_notify_render_json(struct cw_store *s, const struct cw_store_outbox *o,
			  struct cw_buf *out, struct cw_err *err)
{
	struct cw_store_change c;
	struct cw_store_doc doc;
	struct cw_buf old = CW_BUF_INIT, new = CW_BUF_INIT;
	json_t *body, *ch;
	int rc;

	if (!strcmp(o->kind, "health")) {
		body = json_loads(o->payload ? o->payload : "{}", 0, NULL);
		if (!body)
			body = json_object();
		json_object_set_new(body, "idempotency_key",
				    json_string(o->idem_key));
		json_object_set_new(body, "subscription", json_integer(o->sub_id));
		add_json(out, body);
		json_decref(body);
		return CW_OK;
	}
	ch = load_change(s, o->change_id, &c, &old, &new, err);
	if (!ch) {
		rc = err ? err->rc : CW_ERROR;
		goto done;
	}
	rc = cw_store_get_document_by_id(s, c.doc_id, &doc, err);
	if (rc) {
		json_decref(ch);
		goto done;
	}
	body = json_object();
	json_object_set_new(body, "kind", json_string("change"));
	json_object_set_new(body, "idempotency_key", json_string(o->idem_key));
	json_object_set_new(body, "subscription", json_integer(o->sub_id));
	json_object_set_new(body, "service", json_string(c.service));
	json_object_set_new(body, "service_name", json_string(doc.service_name));
	json_object_set_new(body, "type", json_string(c.type));
	json_object_set_new(body, "change_id", json_integer(c.id));
	json_object_set_new(body, "from_version", json_integer(c.from_seq));
	json_object_set_new(body, "to_version", json_integer(c.to_seq));
	json_object_set_new(body, "recorded_at", json_string(c.recorded_at));
	json_object_set_new(body, "materiality", json_string(c.materiality));
	json_object_set_new(body, "n_changes", json_integer(c.n_changes));
	/* what the analysis added (pipeline_analyze.c), when it ran */
	for (size_t i = 0; i < 3; i++) {
		const char *k[] = { "categories", "exposure_moves", "analysis" };
		if (json_object_get(ch, k[i]))
			json_object_set(body, k[i], json_object_get(ch, k[i]));
	}
	json_object_set(body, "changes", json_object_get(ch, "changes"));
	add_json(out, body);
	json_decref(body);
	json_decref(ch);
	cw_store_doc_release(&doc);
done:
	cw_store_change_release(&c);
	cw_buf_release(&old);
	cw_buf_release(&new);
	return rc;
}

/*
 * The redline of one provision change, inline: walk the new provision's
 * text, and at each span emit what the old text had (<del>) or the new
 * text adds (<ins>). Every span carries its place on both sides, so the
 * text between spans is taken from the new side up to the span's new
 * position and the old cursor jumps to its old position: the two sides
 * may differ there by whitespace, which is not a token of the diff
 * (diff.h), so their gaps need not be equal. If a span does not fit the
 * cursors (a coarsened diff), the rest is shown as a whole deletion and a
 * whole insertion instead of a wrong interleaving.
 */
static void redline(struct cw_buf *html, struct cw_buf *text, json_t *c,
		    const struct cw_buf *old, const struct cw_buf *new)
{
	json_t *red = json_object_get(c, "redline"), *r;
	json_int_t po = ival(c, "old_start"), oe = ival(c, "old_end");
	json_int_t pn = ival(c, "new_start"), ne = ival(c, "new_end");
	size_t k;

	if (po < 0 || oe < po || (size_t)oe > old->len)
		po = oe = 0;
	if (pn < 0 || ne < pn || (size_t)ne > new->len)
		pn = ne = 0;
	json_array_foreach(red, k, r) {
		const char *op = json_string_value(json_object_get(r, "op"));
		bool del = op && !strcmp(op, "del");
		json_int_t os = ival(r, "old_start"), oend = ival(r, "old_end");
		json_int_t ns = ival(r, "new_start"), nend = ival(r, "new_end");

		if (os < po || oend < os || oend > oe || ns < pn || nend < ns ||
		    nend > ne)
			break;
		cw_notify_html_escape(html, new->ptr + pn, (size_t)(ns - pn));
		cw_buf_add(text, new->ptr + pn, (size_t)(ns - pn));
		if (del) {
			cw_buf_adds(html, "<del>");
			cw_notify_html_escape(html, old->ptr + os, (size_t)(oend - os));
			cw_buf_adds(html, "</del>");
			cw_buf_adds(text, "[-");
			cw_buf_add(text, old->ptr + os, (size_t)(oend - os));
			cw_buf_adds(text, "-]");
		} else {
			cw_buf_adds(html, "<ins>");
			cw_notify_html_escape(html, new->ptr + ns, (size_t)(nend - ns));
			cw_buf_adds(html, "</ins>");
			cw_buf_adds(text, "{+");
			cw_buf_add(text, new->ptr + ns, (size_t)(nend - ns));
			cw_buf_adds(text, "+}");
		}
		po = oend;
		pn = del ? ns : nend;
	}
	if (k < json_array_size(red)) { /* did not fit: old and new whole */
		cw_buf_adds(html, "<del>");
		cw_notify_html_escape(html, old->ptr + po, (size_t)(oe - po));
		cw_buf_adds(html, "</del> <ins>");
		cw_notify_html_escape(html, new->ptr + pn, (size_t)(ne - pn));
		cw_buf_adds(html, "</ins>");
		cw_buf_adds(text, "[-");
		cw_buf_add(text, old->ptr + po, (size_t)(oe - po));
		cw_buf_adds(text, "-] {+");
		cw_buf_add(text, new->ptr + pn, (size_t)(ne - pn));
		cw_buf_adds(text, "+}");
		return;
	}
	cw_notify_html_escape(html, new->ptr + pn, (size_t)(ne - pn));
	cw_buf_add(text, new->ptr + pn, (size_t)(ne - pn));
}

/* Cap on the redline text of one provision in an email: longer ones are
 * cut, the full change stays in the store and the webhook body. */
#define EMAIL_PROVISION_MAX 8000

/*
 * "Categories: Mandatory arbitration (mandatory_arbitration), ..." and
 * "Exposure: operator medium -> high" lines of one provision change (or of
 * the whole change at the top), as text and HTML; nothing when the change
 * was not analysed or the provision has no category.
 */
static void render_analysis(struct cw_buf *text, struct cw_buf *html,
			    const json_t *cats, const json_t *moves,
			    const char *indent, bool top)
{
	json_t *v;
	size_t i;

	if (json_array_size(cats)) {
		cw_buf_addf(text, "%s%s: ", indent,
			    top ? "Categories touched" : "Categories");
		cw_buf_addf(html, "<p>%s: ", top ? "Categories touched" : "Categories");
		json_array_foreach(cats, i, v) {
			const char *id = json_string_value(v);
			const char *name = NULL, *in = NULL;

			if (!id) {
				id = json_string_value(json_object_get(v, "id"));
				name = json_string_value(json_object_get(v, "name"));
				in = json_string_value(json_object_get(v, "in"));
			}
			if (!id)
				continue;
			cw_buf_adds(text, i ? ", " : "");
			cw_buf_adds(html, i ? ", " : "");
			if (name) {
				cw_buf_addf(text, "%s (%s", name, id);
				cw_notify_html_escape(html, name, strlen(name));
				cw_buf_adds(html, " (<code>");
				cw_notify_html_escape(html, id, strlen(id));
				cw_buf_adds(html, "</code>");
			} else {
				cw_buf_adds(text, id);
				cw_notify_html_escape(html, id, strlen(id));
			}
			/* a category only one side has: gained or lost */
			if (in && strcmp(in, "both")) {
				cw_buf_addf(text, "%s%s", name ? ", " : " (",
					    !strcmp(in, "new") ? "added" : "removed");
				cw_buf_addf(html, "%s%s", name ? ", " : " (",
					    !strcmp(in, "new") ? "added" : "removed");
			}
			if (name || (in && strcmp(in, "both"))) {
				cw_buf_adds(text, ")");
				cw_buf_adds(html, ")");
			}
		}
		cw_buf_adds(text, "\n");
		cw_buf_adds(html, "</p>");
	}
	json_array_foreach(moves, i, v) {
		const char *key = json_string_value(json_object_get(v, "key"));
		const char *title = json_string_value(json_object_get(v, "title"));
		const char *aud = json_string_value(json_object_get(v, "audience"));
		const char *from = json_string_value(json_object_get(v, "from"));
		const char *to = json_string_value(json_object_get(v, "to"));
		struct cw_buf line = CW_BUF_INIT;

		if (!aud || !from || !to)
			continue;
		if (top)
			cw_buf_addf(&line, "Provision %s%s%s%s moved from %s to %s "
					   "exposure for the %s",
				    key ? key : "", title ? " \"" : "",
				    title ? title : "", title ? "\"" : "", from, to,
				    aud);
		else
			cw_buf_addf(&line, "Exposure (%s): %s -> %s", aud, from, to);
		cw_buf_addf(text, "%s%s\n", indent, cw_buf_str(&line));
		cw_buf_adds(html, "<p>");
		cw_notify_html_escape(html, line.ptr, line.len);
		cw_buf_adds(html, "</p>");
		cw_buf_release(&line);
	}
}

static void render_provision(struct cw_buf *text, struct cw_buf *html,
			     json_t *c, const struct cw_buf *old,
			     const struct cw_buf *new)
{
	const char *kind = json_string_value(json_object_get(c, "kind"));
	const char *key = json_string_value(json_object_get(c, "new_key"));
	const char *title = json_string_value(json_object_get(c, "title"));
	const char *mat = json_string_value(json_object_get(c, "materiality"));
	const char *sum = json_string_value(json_object_get(c, "summary"));
	struct cw_buf rh = CW_BUF_INIT, rt = CW_BUF_INIT;

	if (!key)
		key = json_string_value(json_object_get(c, "old_key"));
	cw_buf_addf(text, "* %s %s%s%s%s (%s)\n", kind ? kind : "changed",
		    key ? key : "", title ? " \"" : "", title ? title : "",
		    title ? "\"" : "", mat ? mat : "");
	cw_buf_adds(html, "<li><p><strong>");
	cw_notify_html_escape(html, kind ? kind : "changed",
			      strlen(kind ? kind : "changed"));
	cw_buf_adds(html, " ");
	if (key)
		cw_notify_html_escape(html, key, strlen(key));
	if (title) {
		cw_buf_adds(html, " &ldquo;");
		cw_notify_html_escape(html, title, strlen(title));
		cw_buf_adds(html, "&rdquo;");
	}
	cw_buf_addf(html, "</strong> (%s)</p>", mat ? mat : "");
	if (sum) {
		cw_buf_addf(text, "  %s\n", sum);
		cw_buf_adds(html, "<p>");
		cw_notify_html_escape(html, sum, strlen(sum));
		cw_buf_adds(html, "</p>");
	}
	render_analysis(text, html, json_object_get(c, "categories"),
			json_object_get(c, "exposure_moves"), "  ", false);
	redline(&rh, &rt, c, old, new);
	if (rt.len > EMAIL_PROVISION_MAX) {
		cw_buf_truncate(&rt, EMAIL_PROVISION_MAX);
		cw_buf_adds(&rt, " [...]");
	}
	if (rt.len) {
		cw_buf_addf(text, "  %s\n", cw_buf_str(&rt));
		if (rh.len <= 4 * EMAIL_PROVISION_MAX) {
			cw_buf_adds(html, "<pre style=\"white-space:pre-wrap\">");
			cw_buf_add(html, rh.ptr, rh.len);
			cw_buf_adds(html, "</pre>");
		}
	}
	cw_buf_adds(html, "</li>\n");
	cw_buf_release(&rh);
	cw_buf_release(&rt);
}

int cw_notify_render_text(struct cw_store *s, const struct cw_store_outbox *o,
			  struct cw_buf *subject, struct cw_buf *text,
			  struct cw_buf *html, struct cw_err *err)
{
	struct cw_store_change c;
	struct cw_buf old = CW_BUF_INIT, new = CW_BUF_INIT;
	json_t *ch, *p;
	size_t i;

	if (!strcmp(o->kind, "health")) {
		json_t *j = json_loads(o->payload ? o->payload : "{}", 0, NULL);
		const char *svc = json_string_value(json_object_get(j, "service"));
		const char *type = json_string_value(json_object_get(j, "type"));
		const char *msg = json_string_value(json_object_get(j, "last_error"));
		const char *since = json_string_value(json_object_get(j, "failing_since"));
		const char *st = json_string_value(json_object_get(j, "state"));
		json_int_t n = ival(j, "failures");

		if (st && !strcmp(st, "recovered")) {
			const char *at = json_string_value(json_object_get(j, "at"));

			cw_buf_addf(subject, "[clausewatch] %s / %s: tracking recovered",
				    svc ? svc : "?", type ? type : "?");
			cw_buf_addf(text, "%s / %s is checked normally again "
					  "(%s) after %lld failed checks since "
					  "%s.\nLast error was: %s\n",
				    svc ? svc : "?", type ? type : "?",
				    at ? at : "?", (long long)n,
				    since ? since : "?", msg ? msg : "?");
		} else {
			cw_buf_addf(subject, "[clausewatch] %s / %s: tracking failing",
				    svc ? svc : "?", type ? type : "?");
			cw_buf_addf(text, "%s / %s has failed %lld checks in a row "
					  "(since %s).\nLast error: %s\n\nNo version was "
					  "recorded; fix the declaration or wait for the "
					  "page to come back.\n",
				    svc ? svc : "?", type ? type : "?", (long long)n,
				    since ? since : "?", msg ? msg : "?");
		}
		cw_buf_adds(html, "<p>");
		cw_notify_html_escape(html, text->ptr, text->len);
		cw_buf_adds(html, "</p>");
		json_decref(j);
		return CW_OK;
	}
	ch = load_change(s, o->change_id, &c, &old, &new, err);
	if (!ch) {
		int rc = err ? err->rc : CW_ERROR;
		cw_store_change_release(&c);
		cw_buf_release(&old);
		cw_buf_release(&new);
		return rc;
	}
	cw_buf_addf(subject, "[clausewatch] %s / %s changed (%s, %lld "
			     "provision%s)",
		    c.service, c.type, c.materiality, (long long)c.n_changes,
		    c.n_changes == 1 ? "" : "s");
	cw_buf_addf(text, "%s / %s: version %lld recorded %s replaces version "
			  "%lld.\nMateriality: %s; %lld provision%s changed.\n\n",
		    c.service, c.type, (long long)c.to_seq, c.recorded_at,
		    (long long)c.from_seq, c.materiality, (long long)c.n_changes,
		    c.n_changes == 1 ? "" : "s");
	cw_buf_adds(html, "<!DOCTYPE html><html><body><h1>");
	cw_notify_html_escape(html, c.service, strlen(c.service));
	cw_buf_adds(html, " / ");
	cw_notify_html_escape(html, c.type, strlen(c.type));
	cw_buf_addf(html, "</h1><p>Version %lld recorded %s replaces version "
			  "%lld. Materiality: <strong>%s</strong>; %lld "
			  "provision%s changed.</p>\n",
		    (long long)c.to_seq, c.recorded_at, (long long)c.from_seq,
		    c.materiality, (long long)c.n_changes,
		    c.n_changes == 1 ? "" : "s");
	render_analysis(text, html, json_object_get(ch, "categories"),
			json_object_get(ch, "exposure_moves"), "", true);
	if (json_array_size(json_object_get(ch, "categories")) ||
	    json_array_size(json_object_get(ch, "exposure_moves")))
		cw_buf_adds(text, "\n");
	cw_buf_adds(html, "\n<ul>\n");
	json_array_foreach(json_object_get(ch, "changes"), i, p)
		render_provision(text, html, p, &old, &new);
	cw_buf_adds(html, "</ul>\n<style>del{background:#fdd}ins{background:#dfd}"
			  "</style></body></html>\n");
	json_decref(ch);
	cw_store_change_release(&c);
	cw_buf_release(&old);
	cw_buf_release(&new);
	return CW_OK;
}
