/*
 * outbox: delivery of the alerts recorded in the outbox (see notify.h).
 *
 * Order of operations for one row: render, send, then mark sent. A crash
 * after the send and before the mark sends the alert again at the next
 * run with the same idempotency key; a crash before the send loses
 * nothing. This is at-least-once; the key makes it once for receivers
 * that remember keys.
 *
 * The rows of a run are sent concurrently (send.c): due rows are listed a
 * batch at a time, oldest first, rendered here (the store handle is this
 * thread's) and queued; as each send ends, its row is marked sent,
 * retried or dead, here too, while the others are still on the wire. The
 * rows in the sender are skipped when the next batch is listed: they are
 * still pending until their outcome is written.
 */
#include "notify_int.h"

/* Rows listed at a time, and the level below which more are listed: the
 * rendered alerts held at once stay under BATCH + REFILL_AT. */
#define BATCH 64
#define REFILL_AT 32

/* One delivery run. */
struct run {
	struct cw_store *s;
	const struct cw_notify_opts *o;
	struct cw_notify_stats *stats;
	struct cw_err *err;
	int fatal; /* a store error: the run stops, and returns it */
	struct delivery *held; /* rows in the sender */
};

/* One row on its way. */
struct delivery {
	struct run *run;
	struct cw_store_outbox *row; /* owned, an array of one */
	char *channel, *target;	     /* of its subscription */
	struct delivery *next, **pprev;
};

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

/* Write how the send of row `d` came out: sent, retried or dead. */
static int record(struct run *run, struct delivery *d, int src,
		  const char *raw_msg)
{
	const struct cw_store_outbox *row = d->row;
	const struct cw_notify_opts *o = run->o;
	struct cw_notify_stats *stats = run->stats;
	unsigned max = o->max_attempts ? o->max_attempts : 10;
	char next[CW_TIME_ISO], msg[CW_ERR_MSG_MAX];
	int rc;

	/* a receiver's URL may hold a password: never printed */
	snprintf(msg, sizeof(msg), "%s", raw_msg ? raw_msg : "");
	cw_redact_credentials(msg);

	if (!src) {
		rc = cw_store_outbox_update(run->s, row->id, "sent",
					    row->attempts + 1, NULL, NULL,
					    run->err);
		stats->sent++;
		if (!rc && !strcmp(d->channel, "feed"))
			write_feed(run->s, o, d->target, stats);
	} else if (row->attempts + 1 >= (int64_t)max || src == CW_EINVAL ||
		   src == CW_EBLOCKED) {
		/* refused by policy or malformed: retrying cannot help */
		rc = cw_store_outbox_update(run->s, row->id, "dead",
					    row->attempts + 1, NULL, msg,
					    run->err);
		stats->dead++;
		fprintf(stderr, "clausewatch: alert %s given up: %s\n",
			row->idem_key, msg);
	} else {
		add_seconds(next, cw_notify_backoff(o, row->attempts + 1));
		rc = cw_store_outbox_update(run->s, row->id, NULL,
					    row->attempts + 1, next, msg,
					    run->err);
		stats->retried++;
		fprintf(stderr,
			"clausewatch: alert %s failed (attempt %lld), "
			"retry at %s: %s\n",
			row->idem_key, (long long)row->attempts + 1, next, msg);
	}
	return rc;
}

static void delivery_free(struct delivery *d)
{
	if (d->pprev) {
		*d->pprev = d->next;
		if (d->next)
			d->next->pprev = d->pprev;
	}
	cw_store_outbox_free(d->row, 1);
	free(d->channel);
	free(d->target);
	free(d);
}

/*
 * The sender's callback. A row that the stop flag cut, or that the
 * deadline reached before it was sent, is left exactly as it was: pending,
 * its attempts unchanged, due at the next run with the same key. One the
 * deadline cut while on the wire counts as a failed attempt (it had its
 * chance), so a receiver that never answers still backs off and, in the
 * end, is given up.
 */
static void row_done(void *ctx, const struct notify_outcome *r)
{
	struct delivery *d = ctx;
	struct run *run = d->run;

	if (run->fatal) {
		/* the store failed: the row is written by no one */
	} else if (r->cut && (r->stopped || !r->started)) {
		run->stats->left++;
	} else {
		int rc = record(run, d, r->rc, r->msg);

		if (rc)
			run->fatal = rc;
	}
	delivery_free(d);
}

/* Render row `d` and queue it in `b` (a feed row is done at once). */
static int queue_row(struct run *run, struct notify_batch *b,
		     struct delivery *d)
{
	const struct cw_store_outbox *row = d->row;
	struct cw_store_sub sub;
	struct cw_buf json = CW_BUF_INIT, subj = CW_BUF_INIT,
		      text = CW_BUF_INIT, html = CW_BUF_INIT;
	struct cw_err e = CW_ERR_INIT;
	int rc, src;

	rc = cw_store_sub_get(run->s, row->sub_id, &sub, run->err);
	if (rc) {
		delivery_free(d);
		return rc;
	}
	d->channel = cw_strdup(sub.channel);
	d->target = cw_strdup(sub.target ? sub.target : "");
	if (!strcmp(sub.channel, "webhook"))
		src = cw_notify_render_json(run->s, row, &json, &e);
	else if (!strcmp(sub.channel, "email"))
		src = cw_notify_render_text(run->s, row, &subj, &text, &html,
					    &e);
	else
		src = CW_OK;
	if (src) {
		struct notify_outcome r = { src, e.msg, false, false, false };

		row_done(d, &r);
	} else {
		size_t len;

		cw_notify_batch_add(b, &sub, row->idem_key,
				    cw_buf_detach(&json, &len),
				    cw_buf_str(&subj), cw_buf_str(&text),
				    cw_buf_str(&html), row_done, d);
	}
	cw_store_sub_release(&sub);
	cw_buf_release(&json);
	cw_buf_release(&subj);
	cw_buf_release(&text);
	cw_buf_release(&html);
	return run->fatal;
}

static bool is_held(const struct run *run, int64_t id)
{
	for (const struct delivery *d = run->held; d; d = d->next)
		if (d->row->id == id)
			return true;
	return false;
}

/*
 * List the next due rows (those in the sender come first, oldest first,
 * and are skipped) and queue them. *exhausted once no due row is left or
 * `limit` rows have been taken.
 */
static int refill(struct run *run, struct notify_batch *b, const char *now,
		  size_t limit, size_t *taken, bool *exhausted)
{
	struct cw_store_outbox *rows = NULL;
	size_t n = 0;
	int64_t want = BATCH + (int64_t)cw_notify_batch_held(b);
	int rc;

	rc = cw_store_outbox_list(run->s, "pending", now, 0, want, &rows, &n,
				  run->err);
	if (rc)
		return rc;
	if (n < (size_t)want)
		*exhausted = true;
	for (size_t i = 0; i < n && !run->fatal; i++) {
		struct delivery *d;

		if (is_held(run, rows[i].id))
			continue;
		if (limit && *taken >= limit) {
			*exhausted = true;
			break;
		}
		(*taken)++;
		d = cw_calloc(1, sizeof(*d));
		d->run = run;
		d->row = cw_malloc(sizeof(*d->row));
		*d->row = rows[i];
		memset(&rows[i], 0, sizeof(rows[i])); /* moved */
		d->next = run->held;
		if (d->next)
			d->next->pprev = &d->next;
		d->pprev = &run->held;
		run->held = d;
		rc = queue_row(run, b, d);
		if (rc && !run->fatal)
			run->fatal = rc;
	}
	cw_store_outbox_free(rows, n);
	return run->fatal;
}

/* Drive the sender until it is empty, stopped or past its deadline. */
static int drain(struct run *run, struct notify_batch *b)
{
	int rc;

	while (!run->fatal && cw_notify_batch_held(b) &&
	       !cw_notify_batch_over(b)) {
		rc = cw_notify_batch_step(b, 200, run->err);
		if (rc)
			return rc;
	}
	return CW_OK;
}

int cw_notify_deliver(struct cw_store *s, const struct cw_notify_opts *o,
		      size_t limit, struct cw_notify_stats *stats,
		      struct cw_err *err)
{
	struct run run = { s, o, stats, err, CW_OK, NULL };
	struct notify_batch *b = NULL;
	struct cw_store_sub *subs = NULL;
	size_t nsubs = 0, taken = 0, left0 = stats->left;
	bool exhausted = false;
	char now[CW_TIME_ISO];
	int rc;

	/* rows due at the start: a row retried during the run is due later */
	cw_time_now_iso(now);
	rc = cw_notify_batch_new(&b, o, err);
	if (rc)
		return rc;
	while (!run.fatal && !cw_notify_batch_over(b)) {
		if (!exhausted && cw_notify_batch_held(b) < REFILL_AT) {
			rc = refill(&run, b, now, limit, &taken, &exhausted);
			if (rc) {
				run.fatal = rc;
				break;
			}
		}
		if (!cw_notify_batch_held(b)) {
			if (exhausted)
				break;
			continue;
		}
		rc = cw_notify_batch_step(b, 200, err);
		if (rc && !run.fatal)
			run.fatal = rc;
	}
	/* then the digests whose period has passed, in the same sender */
	if (!run.fatal && !cw_notify_batch_over(b)) {
		rc = cw_store_sub_list(s, &subs, &nsubs, err);
		if (rc)
			run.fatal = rc;
		for (size_t i = 0; i < nsubs && !run.fatal; i++)
			if (strcmp(subs[i].cadence, "immediate")) {
				rc = cw_notify_digest_queue(s, b, &subs[i], o,
							    stats, &run.fatal,
							    err);
				if (rc && !run.fatal)
					run.fatal = rc;
			}
		rc = drain(&run, b);
		if (rc && !run.fatal)
			run.fatal = rc;
	}
	/* what is left is cut: see row_done() */
	cw_notify_batch_free(b);
	cw_store_subs_free(subs, nsubs);
	if (stats->left > left0 && !run.fatal)
		fprintf(stderr,
			"clausewatch: delivery %s: %zu alert%s left pending "
			"for the next run\n",
			o->stop && *o->stop ? "stopped" : "deadline reached",
			stats->left - left0,
			stats->left - left0 == 1 ? "" : "s");
	return run.fatal;
}
