/*
 * render: an outbox row as a webhook body, an email (text and HTML), or
 * the pieces of an Atom entry (see notify.h).
 */
#include <jansson.h>

#include "../store/alert.h"
#include "notify.h"

/*
 * The change of row `o`, its redline text put back from the two versions'
 * texts (the store keeps offsets only; see diff/record.h). On failure the
 * record holds nothing.
 */
static int load_change(struct cw_store *s, int64_t change_id,
		       struct cw_store_change *c, struct cw_change_record *r,
		       struct cw_buf *old, struct cw_buf *new,
		       struct cw_err *err)
{
	int rc;

	cw_change_record_init(r);
	rc = cw_store_get_change(s, change_id, c, err);
	if (rc)
		return rc;
	rc = cw_change_record_decode(r, c->json ? c->json : "{}",
				     c->json ? strlen(c->json) : 2, err);
	if (rc)
		return cw_err_prefix(err,
				     "change %lld: ", (long long)change_id);
	if (c->from_version)
		rc = cw_store_load_text(s, c->from_version, old, err);
	if (!rc)
		rc = cw_store_load_text(s, c->to_version, new, err);
	if (rc) {
		cw_change_record_release(r);
		return rc;
	}
	cw_change_record_fill_redline(r, old->ptr, old->len, new->ptr,
				      new->len);
	return CW_OK;
}

static void add_json(struct cw_buf *out, json_t *j)
{
	char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (txt)
		cw_buf_adds(out, txt);
	free(txt);
}

/* The health alert payload of row `o` as JSON (an empty object when it
 * does not decode). */
static json_t *health_json(const struct cw_store_outbox *o)
{
	struct cw_store_health_alert a;
	json_t *j;

	if (cw_store_health_alert_decode(&a, o->payload ? o->payload : "{}",
					 o->payload ? strlen(o->payload) : 2,
					 NULL))
		return json_object();
	j = cw_store_health_alert_to_json(&a);
	cw_store_health_alert_release(&a);
	return j;
}

int cw_notify_render_json(struct cw_store *s, const struct cw_store_outbox *o,
			  struct cw_buf *out, struct cw_err *err)
{
	struct cw_store_change c;
	struct cw_store_doc doc;
	struct cw_change_record r;
	struct cw_buf old = CW_BUF_INIT, new = CW_BUF_INIT;
	json_t *body, *ch;
	int rc;

	if (!strcmp(o->kind, "health")) {
		body = health_json(o);
		json_object_set_new(body, "idempotency_key",
				    json_string(o->idem_key));
		json_object_set_new(body, "subscription",
				    json_integer(o->sub_id));
		add_json(out, body);
		json_decref(body);
		return CW_OK;
	}
	memset(&c, 0, sizeof(c));
	rc = load_change(s, o->change_id, &c, &r, &old, &new, err);
	if (rc)
		goto done;
	rc = cw_store_get_document_by_id(s, c.doc_id, &doc, err);
	if (rc)
		goto done;
	ch = cw_change_record_to_json(&r, 0);
	body = json_object();
	json_object_set_new(body, "kind", json_string("change"));
	json_object_set_new(body, "idempotency_key", json_string(o->idem_key));
	json_object_set_new(body, "subscription", json_integer(o->sub_id));
	json_object_set_new(body, "service", json_string(c.service));
	json_object_set_new(body, "service_name",
			    json_string(doc.service_name));
	json_object_set_new(body, "type", json_string(c.type));
	json_object_set_new(body, "change_id", json_integer(c.id));
	json_object_set_new(body, "from_version", json_integer(c.from_seq));
	json_object_set_new(body, "to_version", json_integer(c.to_seq));
	json_object_set_new(body, "recorded_at", json_string(c.recorded_at));
	json_object_set_new(body, "materiality", json_string(c.materiality));
	json_object_set_new(body, "n_changes", json_integer(c.n_changes));
	if (r.summary)
		json_object_set_new(body, "summary", json_string(r.summary));
	/* what the analysis added (pipeline_analyze.c), when it ran */
	for (size_t i = 0; i < 3; i++) {
		const char *k[] = { "categories", "exposure_moves",
				    "analysis" };
		if (json_object_get(ch, k[i]))
			json_object_set(body, k[i], json_object_get(ch, k[i]));
	}
	json_object_set(body, "changes", json_object_get(ch, "changes"));
	add_json(out, body);
	json_decref(body);
	json_decref(ch);
	cw_store_doc_release(&doc);
done:
	cw_change_record_release(&r);
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
static void redline(struct cw_buf *html, struct cw_buf *text,
		    const struct cw_change_entry *c, const struct cw_buf *old,
		    const struct cw_buf *new)
{
	size_t po = c->old_start, oe = c->old_end;
	size_t pn = c->new_start, ne = c->new_end;
	size_t k;

	if (oe < po || oe > old->len)
		po = oe = 0;
	if (ne < pn || ne > new->len)
		pn = ne = 0;
	for (k = 0; k < c->n_spans; k++) {
		const struct cw_change_span *r = &c->spans[k];
		bool del = r->op == CW_DIFF_OP_DEL;
		size_t os = r->old_start, oend = r->old_end;
		size_t ns = r->new_start, nend = r->new_end;

		if (os < po || oend < os || oend > oe || ns < pn || nend < ns ||
		    nend > ne)
			break;
		cw_html_escape(html, new->ptr + pn, ns - pn);
		cw_buf_add(text, new->ptr + pn, ns - pn);
		if (del) {
			cw_buf_adds(html, "<del>");
			cw_html_escape(html, old->ptr + os, oend - os);
			cw_buf_adds(html, "</del>");
			cw_buf_adds(text, "[-");
			cw_buf_add(text, old->ptr + os, oend - os);
			cw_buf_adds(text, "-]");
		} else {
			cw_buf_adds(html, "<ins>");
			cw_html_escape(html, new->ptr + ns, nend - ns);
			cw_buf_adds(html, "</ins>");
			cw_buf_adds(text, "{+");
			cw_buf_add(text, new->ptr + ns, nend - ns);
			cw_buf_adds(text, "+}");
		}
		po = oend;
		pn = del ? ns : nend;
	}
	if (k < c->n_spans) { /* did not fit: old and new whole */
		cw_buf_adds(html, "<del>");
		cw_html_escape(html, old->ptr + po, oe - po);
		cw_buf_adds(html, "</del> <ins>");
		cw_html_escape(html, new->ptr + pn, ne - pn);
		cw_buf_adds(html, "</ins>");
		cw_buf_adds(text, "[-");
		cw_buf_add(text, old->ptr + po, oe - po);
		cw_buf_adds(text, "-] {+");
		cw_buf_add(text, new->ptr + pn, ne - pn);
		cw_buf_adds(text, "+}");
		return;
	}
	cw_html_escape(html, new->ptr + pn, ne - pn);
	cw_buf_add(text, new->ptr + pn, ne - pn);
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
			    const struct cw_change_category *cats,
			    const struct cw_strv *ids, size_t ncats,
			    const struct cw_change_move *moves, size_t nmoves,
			    const char *indent, bool top)
{
	size_t i;

	if (ncats) {
		cw_buf_addf(text, "%s%s: ", indent,
			    top ? "Categories touched" : "Categories");
		cw_buf_addf(html, "<p>%s: ",
			    top ? "Categories touched" : "Categories");
		for (i = 0; i < ncats; i++) {
			/* the record's ids (`ids`) or a provision's (`cats`) */
			const char *id = ids ? ids->v[i] : cats[i].id;
			const char *name = ids ? NULL : cats[i].name;
			const char *in = ids ? NULL : cats[i].in;

			cw_buf_adds(text, i ? ", " : "");
			cw_buf_adds(html, i ? ", " : "");
			if (name) {
				cw_buf_addf(text, "%s (%s", name, id);
				cw_html_escape(html, name, strlen(name));
				cw_buf_adds(html, " (<code>");
				cw_html_escape(html, id, strlen(id));
				cw_buf_adds(html, "</code>");
			} else {
				cw_buf_adds(text, id);
				cw_html_escape(html, id, strlen(id));
			}
			/* a category only one side has: gained or lost */
			if (in && strcmp(in, "both")) {
				cw_buf_addf(text, "%s%s", name ? ", " : " (",
					    !strcmp(in, "new") ? "added"
							       : "removed");
				cw_buf_addf(html, "%s%s", name ? ", " : " (",
					    !strcmp(in, "new") ? "added"
							       : "removed");
			}
			if (name || (in && strcmp(in, "both"))) {
				cw_buf_adds(text, ")");
				cw_buf_adds(html, ")");
			}
		}
		cw_buf_adds(text, "\n");
		cw_buf_adds(html, "</p>");
	}
	for (i = 0; i < nmoves; i++) {
		const char *key = moves[i].key, *title = moves[i].title;
		const char *aud = moves[i].audience;
		const char *from = moves[i].from, *to = moves[i].to;
		struct cw_buf line = CW_BUF_INIT;

		if (!aud || !from || !to)
			continue;
		if (top)
			cw_buf_addf(&line,
				    "Provision %s%s%s%s moved from %s to %s "
				    "exposure for the %s",
				    key ? key : "", title ? " \"" : "",
				    title ? title : "", title ? "\"" : "", from,
				    to, aud);
		else
			cw_buf_addf(&line, "Exposure (%s): %s -> %s", aud, from,
				    to);
		cw_buf_addf(text, "%s%s\n", indent, cw_buf_str(&line));
		cw_buf_adds(html, "<p>");
		cw_html_escape(html, line.ptr, line.len);
		cw_buf_adds(html, "</p>");
		cw_buf_release(&line);
	}
}

static void render_provision(struct cw_buf *text, struct cw_buf *html,
			     const struct cw_change_entry *c,
			     const struct cw_buf *old, const struct cw_buf *new)
{
	const char *kind = cw_diff_kind_name(c->kind);
	const char *key = c->new_key ? c->new_key : c->old_key;
	const char *title = c->title;
	const char *mat = cw_diff_materiality_name(c->materiality);
	const char *sum = c->summary;
	struct cw_buf rh = CW_BUF_INIT, rt = CW_BUF_INIT;

	cw_buf_addf(text, "* %s %s%s%s%s (%s)\n", kind ? kind : "changed",
		    key ? key : "", title ? " \"" : "", title ? title : "",
		    title ? "\"" : "", mat ? mat : "");
	cw_buf_adds(html, "<li><p><strong>");
	cw_html_escape(html, kind ? kind : "changed",
		       strlen(kind ? kind : "changed"));
	cw_buf_adds(html, " ");
	if (key)
		cw_html_escape(html, key, strlen(key));
	if (title) {
		cw_buf_adds(html, " &ldquo;");
		cw_html_escape(html, title, strlen(title));
		cw_buf_adds(html, "&rdquo;");
	}
	cw_buf_addf(html, "</strong> (%s)</p>", mat ? mat : "");
	if (sum) {
		cw_buf_addf(text, "  %s\n", sum);
		cw_buf_adds(html, "<p>");
		cw_html_escape(html, sum, strlen(sum));
		cw_buf_adds(html, "</p>");
	}
	render_analysis(text, html, c->categories, NULL, c->n_categories,
			c->moves, c->n_moves, "  ", false);
	redline(&rh, &rt, c, old, new);
	if (rt.len > EMAIL_PROVISION_MAX) {
		cw_buf_truncate(&rt, EMAIL_PROVISION_MAX);
		cw_buf_adds(&rt, " [...]");
	}
	if (rt.len) {
		cw_buf_addf(text, "  %s\n", cw_buf_str(&rt));
		if (rh.len <= 4 * EMAIL_PROVISION_MAX) {
			cw_buf_adds(html, "<pre "
					  "style=\"white-space:pre-wrap\">");
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
	struct cw_change_record r;
	struct cw_buf old = CW_BUF_INIT, new = CW_BUF_INIT;
	int rc;

	if (!strcmp(o->kind, "health")) {
		struct cw_store_health_alert a;

		/* a payload that does not decode reads as an empty one */
		if (cw_store_health_alert_decode(
			    &a, o->payload ? o->payload : "{}",
			    o->payload ? strlen(o->payload) : 2, NULL))
			memset(&a, 0, sizeof(a));
		const char *svc = a.service, *type = a.type,
			   *msg = a.last_error;
		const char *since = a.failing_since, *st = a.state;
		int64_t n = a.failures;

		if (st && !strcmp(st, "recovered")) {
			const char *at = a.at;

			cw_buf_addf(subject,
				    "[clausewatch] %s / %s: tracking recovered",
				    svc ? svc : "?", type ? type : "?");
			cw_buf_addf(text,
				    "%s / %s is checked normally again "
				    "(%s) after %lld failed checks since "
				    "%s.\nLast error was: %s\n",
				    svc ? svc : "?", type ? type : "?",
				    at ? at : "?", (long long)n,
				    since ? since : "?", msg ? msg : "?");
		} else {
			cw_buf_addf(subject,
				    "[clausewatch] %s / %s: tracking failing",
				    svc ? svc : "?", type ? type : "?");
			cw_buf_addf(text,
				    "%s / %s has failed %lld checks in a row "
				    "(since %s).\nLast error: %s\n\nNo version "
				    "was "
				    "recorded; fix the declaration or wait for "
				    "the "
				    "page to come back.\n",
				    svc ? svc : "?", type ? type : "?",
				    (long long)n, since ? since : "?",
				    msg ? msg : "?");
		}
		cw_buf_adds(html, "<p>");
		cw_html_escape(html, text->ptr, text->len);
		cw_buf_adds(html, "</p>");
		cw_store_health_alert_release(&a);
		return CW_OK;
	}
	memset(&c, 0, sizeof(c));
	rc = load_change(s, o->change_id, &c, &r, &old, &new, err);
	if (rc) {
		cw_store_change_release(&c);
		cw_buf_release(&old);
		cw_buf_release(&new);
		return rc;
	}
	cw_buf_addf(subject,
		    "[clausewatch] %s / %s changed (%s, %lld "
		    "provision%s)",
		    c.service, c.type, c.materiality, (long long)c.n_changes,
		    c.n_changes == 1 ? "" : "s");
	cw_buf_addf(text,
		    "%s / %s: version %lld recorded %s replaces version "
		    "%lld.\nMateriality: %s; %lld provision%s changed.\n\n",
		    c.service, c.type, (long long)c.to_seq, c.recorded_at,
		    (long long)c.from_seq, c.materiality,
		    (long long)c.n_changes, c.n_changes == 1 ? "" : "s");
	cw_buf_adds(html, "<!DOCTYPE html><html><body><h1>");
	cw_html_escape(html, c.service, strlen(c.service));
	cw_buf_adds(html, " / ");
	cw_html_escape(html, c.type, strlen(c.type));
	cw_buf_addf(html,
		    "</h1><p>Version %lld recorded %s replaces version "
		    "%lld. Materiality: <strong>%s</strong>; %lld "
		    "provision%s changed.</p>\n",
		    (long long)c.to_seq, c.recorded_at, (long long)c.from_seq,
		    c.materiality, (long long)c.n_changes,
		    c.n_changes == 1 ? "" : "s");
	/* what changed, in a few sentences, before the detail */
	if (r.summary) {
		cw_buf_addf(text, "%s\n\n", r.summary);
		cw_buf_adds(html, "<p><strong>");
		cw_html_escape(html, r.summary, strlen(r.summary));
		cw_buf_adds(html, "</strong></p>\n");
	}
	render_analysis(text, html, NULL, &r.categories, r.categories.n,
			r.moves, r.n_moves, "", true);
	if (r.categories.n || r.n_moves)
		cw_buf_adds(text, "\n");
	cw_buf_adds(html, "\n<ul>\n");
	for (size_t i = 0; i < r.n; i++)
		render_provision(text, html, &r.entries[i], &old, &new);
	cw_buf_adds(html, "</"
			  "ul>\n<style>del{background:#fdd}ins{background:#dfd}"
			  "</style></body></html>\n");
	cw_change_record_release(&r);
	cw_store_change_release(&c);
	cw_buf_release(&old);
	cw_buf_release(&new);
	return CW_OK;
}
