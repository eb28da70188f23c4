/*
 * outbox: delivery of the alerts recorded in the outbox (see notify.h).
 *
 * Order of operations for one row: render, send, then mark sent. A crash
 * after the send and before the mark sends the alert again at the next
 * run with the same idempotency key; a crash before the send loses
 * nothing. This is at-least-once; the key makes it once for receivers
 * that remember keys.
 */
#include "notify_int.h"

static void add_seconds(char out[CW_TIME_ISO], long secs)
{
	cw_time_iso(time(NULL) + secs, out);
}

/*
 * Exponential backoff with "equal jitter" (Brooker, "Exponential Backoff And
 * Jitter", AWS Architecture Blog, 2015): a delay drawn uniformly from
 * [base*2^(n-1)/2, base*2^(n-1)], capped, so receivers that come back are
 * not hit by every sender at the same instant. Drawn in milliseconds and
 * rounded up to whole seconds, at least one: next_try has a resolution of
 * a second, and a draw halved to zero (a base of 1 s gave [0, 1] in whole
 * seconds, always 0) made the row due again at once, retried within the
 * same run with no delay at all.
 */
long cw_notify_backoff(const struct cw_notify_opts *o, int64_t attempts)
{
	long base = o->backoff_s > 0 ? o->backoff_s : 30;
	long cap = o->backoff_max_s > 0 ? o->backoff_max_s : 6 * 3600;
	long d = base, half_ms, ms;

	for (int64_t i = 1; i < attempts && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	half_ms = d * 500;
	ms = half_ms +
	     (long)((unsigned long)rand() % (unsigned long)(half_ms + 1));
	return ms < 1000 ? 1 : (ms + 999) / 1000;
}

/* Rewrite the configured file of feed `name`, if there is one. */
static void write_feed(struct cw_store *s, const struct cw_notify_opts *o,
		       const char *name, struct cw_notify_stats *stats)
{
	size_t nlen = strlen(name);

	if (!o->feed_paths)
		return;
	for (size_t i = 0; i < o->feed_paths->n; i++) {
		const char *e = o->feed_paths->v[i];
		struct cw_buf xml = CW_BUF_INIT;
		struct cw_err err = CW_ERR_INIT;

		if (strncmp(e, name, nlen) || e[nlen] != '=')
			continue;
		if (cw_notify_feed_render(s, name, o->base_url, &xml, &err) ||
		    cw_file_write_atomic(e + nlen + 1, xml.ptr, xml.len, &err))
			fprintf(stderr, "clausewatch: feed '%s': %s\n", name,
				err.msg);
		else
			stats->feeds++;
		cw_buf_release(&xml);
	}
}

/* Deliver one row; marks it sent, retried or dead. */
static int deliver_row(struct cw_store *s, const struct cw_store_outbox *row,
		       const struct cw_notify_opts *o,
		       struct cw_notify_stats *stats, struct cw_err *err)
{
	struct cw_store_sub sub;
	struct cw_buf json = CW_BUF_INIT, subj = CW_BUF_INIT,
		      text = CW_BUF_INIT, html = CW_BUF_INIT;
	struct cw_err e = CW_ERR_INIT;
	char next[CW_TIME_ISO];
	unsigned max = o->max_attempts ? o->max_attempts : 10;
	int rc, src;

	rc = cw_store_sub_get(s, row->sub_id, &sub, err);
	if (rc)
		return rc;
	if (!strcmp(sub.channel, "webhook"))
		src = cw_notify_render_json(s, row, &json, &e);
	else if (!strcmp(sub.channel, "email"))
		src = cw_notify_render_text(s, row, &subj, &text, &html, &e);
	else
		src = CW_OK;
	if (!src)
		src = cw_notify_send(&sub, row->idem_key, cw_buf_str(&json),
				     cw_buf_str(&subj), cw_buf_str(&text),
				     cw_buf_str(&html), o, &e);
	if (!src) {
		rc = cw_store_outbox_update(s, row->id, "sent",
					    row->attempts + 1, NULL, NULL, err);
		stats->sent++;
		if (!rc && !strcmp(sub.channel, "feed"))
			write_feed(s, o, sub.target, stats);
	} else if (row->attempts + 1 >= (int64_t)max || src == CW_EINVAL ||
		   src == CW_EBLOCKED) {
		/* refused by policy or malformed: retrying cannot help */
		rc = cw_store_outbox_update(s, row->id, "dead",
					    row->attempts + 1, NULL, e.msg,
					    err);
		stats->dead++;
		fprintf(stderr, "clausewatch: alert %s given up: %s\n",
			row->idem_key, e.msg);
	} else {
		add_seconds(next, cw_notify_backoff(o, row->attempts + 1));
		rc = cw_store_outbox_update(s, row->id, NULL, row->attempts + 1,
					    next, e.msg, err);
		stats->retried++;
		fprintf(stderr,
			"clausewatch: alert %s failed (attempt %lld), "
			"retry at %s: %s\n",
			row->idem_key, (long long)row->attempts + 1, next,
			e.msg);
	}
	cw_store_sub_release(&sub);
	cw_buf_release(&json);
	cw_buf_release(&subj);
	cw_buf_release(&text);
	cw_buf_release(&html);
	return rc;
}

int cw_notify_deliver(struct cw_store *s, const struct cw_notify_opts *o,
		      size_t limit, struct cw_notify_stats *stats,
		      struct cw_err *err)
{
	struct cw_store_sub *subs = NULL;
	size_t nsubs = 0, done = 0;
	char now[CW_TIME_ISO];
	int rc = CW_OK;

	cw_time_now_iso(now);
	/* in batches, so a long backlog does not sit in memory at once */
	for (;;) {
		struct cw_store_outbox *rows = NULL;
		size_t n = 0;
		int64_t batch = 64;

		if (limit && limit - done < (size_t)batch)
			batch = (int64_t)(limit - done);
		if (batch == 0)
			break;
		rc = cw_store_outbox_list(s, "pending", now, 0, batch, &rows,
					  &n, err);
		if (rc || n == 0) {
			cw_store_outbox_free(rows, n);
			break;
		}
		for (size_t i = 0; i < n && !rc; i++)
			rc = deliver_row(s, &rows[i], o, stats, err);
		done += n;
		cw_store_outbox_free(rows, n);
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	rc = cw_store_sub_list(s, &subs, &nsubs, err);
	for (size_t i = 0; i < nsubs && !rc; i++)
		if (strcmp(subs[i].cadence, "immediate"))
			rc = cw_notify_digest_send(s, &subs[i], o, stats, err);
	cw_store_subs_free(subs, nsubs);
	return rc;
}
