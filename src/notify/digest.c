/*
 * digest: daily and weekly digests, one message per subscription and
 * period grouping the held changes by service, then materiality (most
 * material first). See notify.h.
 */
#include <jansson.h>

#include "notify_int.h"

struct item {
	struct cw_store_change c;
	int rank;
};

static int mat_rank(const char *m)
{
	return !m			   ? 0
	       : !strcmp(m, "substantive") ? 3
	       : !strcmp(m, "editorial")   ? 2
					   : 1;
}

static int cmp_item(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;
	int r = strcmp(a->c.service, b->c.service);

	if (r)
		return r;
	if (a->rank != b->rank)
		return b->rank - a->rank;
	r = strcmp(a->c.recorded_at, b->c.recorded_at);
	return r ? r : (a->c.id > b->c.id) - (a->c.id < b->c.id);
}

static void esc(struct cw_buf *out, const char *s)
{
	cw_html_escape(out, s ? s : "", s ? strlen(s) : 0);
}

/* Build the three renderings of the digest of `items` (sorted). */
static void render(const struct cw_store_sub *sub, const char *key,
		   const char *since, const char *until, struct item *items,
		   size_t n, struct cw_buf *json, struct cw_buf *subj,
		   struct cw_buf *text, struct cw_buf *html)
{
	json_t *root = json_object(), *groups = json_array(), *g = NULL;
	const char *svc = NULL;
	int rank = -1;
	char *dump;

	json_object_set_new(root, "kind", json_string("digest"));
	json_object_set_new(root, "idempotency_key", json_string(key));
	json_object_set_new(root, "subscription", json_integer(sub->id));
	json_object_set_new(root, "cadence", json_string(sub->cadence));
	json_object_set_new(root, "since", json_string(since));
	json_object_set_new(root, "until", json_string(until));
	cw_buf_addf(subj, "[clausewatch] %s digest: %zu change%s", sub->cadence,
		    n, n == 1 ? "" : "s");
	cw_buf_addf(text, "clausewatch %s digest, %s to %s: %zu change%s.\n",
		    sub->cadence, since, until, n, n == 1 ? "" : "s");
	cw_buf_addf(html,
		    "<!DOCTYPE html><html><body><h1>clausewatch %s digest"
		    "</h1><p>%s to %s: %zu change%s.</p>\n",
		    sub->cadence, since, until, n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		struct cw_store_change *c = &items[i].c;
		struct cw_change_record r;
		json_t *cj, *e, *cats;
		json_t *sums = json_array();

		/* a record that does not decode shows no summary or category */
		if (cw_change_record_decode(&r, c->json ? c->json : "{}",
					    c->json ? strlen(c->json) : 2,
					    NULL))
			cw_change_record_init(&r);
		cj = cw_change_record_to_json(&r, 0);

		if (!svc || strcmp(svc, c->service)) {
			svc = c->service;
			rank = -1;
			cw_buf_addf(text, "\n== %s\n", svc);
			cw_buf_adds(html, "<h2>");
			esc(html, svc);
			cw_buf_adds(html, "</h2>\n");
		}
		if (rank != items[i].rank) {
			rank = items[i].rank;
			g = json_object();
			json_object_set_new(g, "service", json_string(svc));
			json_object_set_new(g, "materiality",
					    json_string(c->materiality));
			json_object_set_new(g, "changes", json_array());
			json_array_append_new(groups, g);
			cw_buf_addf(text, "-- %s\n", c->materiality);
			cw_buf_adds(html, "<h3>");
			esc(html, c->materiality);
			cw_buf_adds(html, "</h3>\n");
		}
		cw_buf_addf(text, "* %s: version %lld (%s), %lld provision%s\n",
			    c->type, (long long)c->to_seq, c->recorded_at,
			    (long long)c->n_changes,
			    c->n_changes == 1 ? "" : "s");
		cw_buf_adds(html, "<p><strong>");
		esc(html, c->type);
		cw_buf_addf(html,
			    "</strong>: version %lld (%s), %lld provision%s"
			    "</p>",
			    (long long)c->to_seq, c->recorded_at,
			    (long long)c->n_changes,
			    c->n_changes == 1 ? "" : "s");
		if (r.summary) { /* what changed, before the detail */
			cw_buf_addf(text, "    %s\n", r.summary);
			cw_buf_adds(html, "<p>");
			esc(html, r.summary);
			cw_buf_adds(html, "</p>");
		}
		cats = json_object_get(cj, "categories");
		if (r.categories.n) { /* the analysis ran: pipeline.h */
			cw_buf_adds(text, "    categories:");
			cw_buf_adds(html, "<p>Categories:");
			for (size_t k = 0; k < r.categories.n; k++) {
				const char *id = r.categories.v[k];
				cw_buf_addf(text, "%s %s", k ? "," : "", id);
				cw_buf_adds(html, k ? ", " : " ");
				esc(html, id);
			}
			cw_buf_adds(text, "\n");
			cw_buf_adds(html, "</p>");
		}
		cw_buf_adds(html, "<ul>\n");
		for (size_t k = 0; k < r.n; k++) {
			const char *sum = r.entries[k].summary;
			if (!sum)
				continue;
			json_array_append_new(sums, json_string(sum));
			cw_buf_addf(text, "    - %s\n", sum);
			cw_buf_adds(html, "<li>");
			esc(html, sum);
			cw_buf_adds(html, "</li>\n");
		}
		cw_buf_adds(html, "</ul>\n");
		e = json_object();
		json_object_set_new(e, "type", json_string(c->type));
		json_object_set_new(e, "change_id", json_integer(c->id));
		json_object_set_new(e, "from_version",
				    json_integer(c->from_seq));
		json_object_set_new(e, "to_version", json_integer(c->to_seq));
		json_object_set_new(e, "recorded_at",
				    json_string(c->recorded_at));
		json_object_set_new(e, "n_changes", json_integer(c->n_changes));
		if (r.summary)
			json_object_set_new(e, "summary",
					    json_string(r.summary));
		json_object_set_new(e, "summaries", sums);
		if (json_is_array(cats))
			json_object_set(e, "categories", cats);
		if (json_object_get(cj, "exposure_moves"))
			json_object_set(e, "exposure_moves",
					json_object_get(cj, "exposure_moves"));
		json_array_append_new(json_object_get(g, "changes"), e);
		json_decref(cj);
		cw_change_record_release(&r);
	}
	cw_buf_adds(html, "</body></html>\n");
	json_object_set_new(root, "groups", groups);
	dump = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (dump)
		cw_buf_adds(json, dump);
	free(dump);
	json_decref(root);
}

/* A digest on its way: what marking it sent needs. */
struct pending_digest {
	struct cw_store *s;
	struct cw_store_outbox *rows; /* the held rows it groups */
	size_t n;
	int64_t sub_id;
	char now[CW_TIME_ISO], key[96];
	struct cw_notify_stats *stats;
	int *fatal;
	struct cw_err *err;
};

/* The sender's callback: on success the rows are sent and the period
 * moves, in one transaction; otherwise they stay held for the next run. */
static void digest_done(void *ctx, const struct notify_outcome *r)
{
	struct pending_digest *p = ctx;
	int rc;

	if (*p->fatal) {
		/* the store failed: nothing more is written */
	} else if (r->cut) {
		p->stats->left++;
	} else if (r->rc) {
		fprintf(stderr, "clausewatch: digest %s failed: %s\n", p->key,
			r->msg);
		p->stats->retried++;
	} else {
		rc = cw_store_begin(p->s, p->err);
		for (size_t i = 0; i < p->n && !rc; i++)
			rc = cw_store_outbox_update(p->s, p->rows[i].id, "sent",
						    p->rows[i].attempts + 1,
						    NULL, NULL, p->err);
		if (!rc)
			rc = cw_store_sub_set_digest(p->s, p->sub_id, p->now,
						     p->err);
		if (!rc)
			rc = cw_store_commit(p->s, p->err);
		else
			cw_store_rollback(p->s);
		p->stats->digests++;
		p->stats->sent++;
		if (rc)
			*p->fatal = rc;
	}
	cw_store_outbox_free(p->rows, p->n);
	free(p);
}

int cw_notify_digest_queue(struct cw_store *s, struct notify_batch *b,
			   const struct cw_store_sub *sub,
			   const struct cw_notify_opts *o,
			   struct cw_notify_stats *stats, int *fatal,
			   struct cw_err *err)
{
	long period = !strcmp(sub->cadence, "weekly") ? 7 * 86400L : 86400L;
	const char *since = sub->last_digest ? sub->last_digest
					     : sub->created_at;
	struct cw_store_outbox *rows = NULL;
	struct pending_digest *p;
	struct item *items = NULL;
	struct cw_buf json = CW_BUF_INIT, subj = CW_BUF_INIT,
		      text = CW_BUF_INIT, html = CW_BUF_INIT;
	char now[CW_TIME_ISO];
	size_t n = 0, m = 0, len;
	time_t t0 = 0;
	int rc;

	cw_time_now_iso(now);
	if (!o->digest_now && since && cw_time_parse_iso(since, &t0) == CW_OK &&
	    time(NULL) - t0 < period)
		return CW_OK;
	rc = cw_store_outbox_list(s, "held", NULL, sub->id, 0, &rows, &n, err);
	if (rc)
		return rc;
	if (n == 0) {
		cw_store_outbox_free(rows, n);
		return cw_store_sub_set_digest(s, sub->id, now, err);
	}
	items = cw_calloc(n, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		if (cw_store_get_change(s, rows[i].change_id, &items[m].c,
					NULL))
			continue;
		items[m].rank = mat_rank(items[m].c.materiality);
		m++;
	}
	qsort(items, m, sizeof(*items), cmp_item);
	p = cw_calloc(1, sizeof(*p));
	p->s = s;
	p->rows = rows;
	p->n = n;
	p->sub_id = sub->id;
	p->stats = stats;
	p->fatal = fatal;
	p->err = err;
	snprintf(p->now, sizeof(p->now), "%s", now);
	/* the key names the last row: the same digest, re-sent after a crash,
	 * has the same key */
	snprintf(p->key, sizeof(p->key), "cw-%lld-d%lld", (long long)sub->id,
		 (long long)rows[n - 1].id);
	render(sub, p->key, since ? since : "", now, items, m, &json, &subj,
	       &text, &html);
	cw_notify_batch_add(b, sub, p->key, cw_buf_detach(&json, &len),
			    cw_buf_str(&subj), cw_buf_str(&text),
			    cw_buf_str(&html), digest_done, p);
	for (size_t i = 0; i < m; i++)
		cw_store_change_release(&items[i].c);
	free(items);
	cw_buf_release(&json);
	cw_buf_release(&subj);
	cw_buf_release(&text);
	cw_buf_release(&html);
	return CW_OK;
}
