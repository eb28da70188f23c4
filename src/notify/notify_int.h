#ifndef CW_NOTIFY_INT_H
#define CW_NOTIFY_INT_H
/*
 * notify_int: what the files of notify share and no other module sees
 * (SQLite's btree.h / btreeInt.h), and their tests. Files call downwards
 * only:
 *
 *   outbox.c -> digest.c -> send.c -> webhook.c, email.c
 *
 * - A transfer (struct notify_xfer) is one alert on the wire: a libcurl
 *   easy handle set up by its channel (webhook.c: a signed POST; email.c:
 *   one SMTP session) and what the handle points into. The channel that
 *   set it up reads its outcome (cw_notify_*_result); nothing in it is
 *   blocking, so many transfers run at once.
 * - The sender (send.c, struct notify_batch) runs the transfers of one
 *   delivery run concurrently on a libcurl multi handle: at most
 *   `concurrency` at once and CW_NOTIFY_PER_ORIGIN to one receiver, each
 *   bounded by its own timeout, the whole run by the stop flag and the
 *   deadline of cw_notify_opts. It is driven from the caller's thread, the
 *   one that owns the store handle, so completions are written to the
 *   store there, one at a time, while the other transfers go on.
 *
 * Thread safety: one thread (the caller's).
 */
#include <curl/curl.h>

#include "../fetch/fetch.h"
#include "notify.h"

/* One alert on the wire. Zeroed by the caller; released with
 * notify_xfer_release(). */
struct notify_xfer {
	CURL *h;
	struct curl_slist *list; /* webhook: the headers; email: the rcpt */
	char *body;		 /* what is sent, owned */
	size_t len, off;	 /* its length, and how much was read (email) */
	char *from, *rcpt;	 /* the SMTP envelope (email) */
	struct cw_fetch_guard guard; /* the SSRF guard (webhook) */
	size_t seen;		     /* answer bytes read and dropped */
	char ebuf[CURL_ERROR_SIZE];
};

static inline void notify_xfer_release(struct notify_xfer *x)
{
	if (x->h)
		curl_easy_cleanup(x->h);
	curl_slist_free_all(x->list);
	free(x->body);
	free(x->from);
	free(x->rcpt);
	memset(x, 0, sizeof(*x));
}

/* ---- channels (webhook.c, email.c) ---- */

/*
 * Set `x` up to POST `body` (taken: freed with `x`, also on failure) to
 * `url`, signed at time `t` (cw_notify_sign), with the idempotency headers
 * and the SSRF guard. The transfer is bounded by o->timeout_ms.
 * Returns CW_OK, CW_EINVAL (not an http(s) URL) or CW_ERROR.
 */
int cw_notify_webhook_setup(struct notify_xfer *x, const char *url,
			    const char *secret, const char *idem_key,
			    char *body, size_t len, int64_t t,
			    const struct cw_notify_opts *o, struct cw_err *err);

/*
 * The outcome of the webhook transfer `x` that ended with libcurl's `cc`:
 * CW_OK for a 2xx answer, CW_EHTTP (status in *status), CW_ENET,
 * CW_ETIMEOUT or CW_EBLOCKED; the message names the URL.
 */
int cw_notify_webhook_result(struct notify_xfer *x, const char *url, int cc,
			     long *status, struct cw_err *err);

/*
 * Set `x` up to send the message `msg` (taken, as above) to `to` through
 * o->smtp_url, bounded by o->timeout_ms. CW_EINVAL without smtp_url.
 */
int cw_notify_email_setup(struct notify_xfer *x, const struct cw_notify_opts *o,
			  const char *to, char *msg, size_t len,
			  struct cw_err *err);

/* The outcome of the email transfer `x`: CW_OK, CW_ETIMEOUT or CW_ENET. */
int cw_notify_email_result(struct notify_xfer *x,
			   const struct cw_notify_opts *o, const char *to,
			   int cc, struct cw_err *err);

/* ---- the sender (send.c) ---- */

/*
 * Transfers in flight to one receiver (scheme, host and port) at most. A
 * receiver that hangs holds this many slots and no more, so the others
 * keep theirs; a backlog to one healthy receiver still moves four at a
 * time (the old sender sent one at a time) without a burst of dozens of
 * connections at a small web server.
 */
#define CW_NOTIFY_PER_ORIGIN 4

/* How one alert's send came out, passed to its `done` callback. */
struct notify_outcome {
	int rc;		 /* CW_OK, or the channel's failure */
	const char *msg; /* the failure, naming the receiver; "" on success */
	bool cut;	 /* not finished: the stop flag or the deadline */
	bool started;	 /* when cut: its request had gone out */
	bool stopped;	 /* when cut: by the stop flag (else the deadline) */
};

typedef void notify_done_fn(void *ctx, const struct notify_outcome *r);

struct notify_batch;

/*
 * A sender for one delivery run, with the options `o` (borrowed: it must
 * outlive the batch); the deadline, o->deadline_s, counts from now.
 */
int cw_notify_batch_new(struct notify_batch **out,
			const struct cw_notify_opts *o, struct cw_err *err);

/*
 * Queue one rendered alert for `sub`'s channel (`json` for a webhook;
 * `subject`, `text` and `html` for an email; nothing for a feed). `done`
 * is called exactly once with `ctx`: from here already when the alert
 * needs no transfer (a feed) or cannot be set up, else from a later
 * cw_notify_batch_step() or from cw_notify_batch_free(). `json` is taken
 * (freed by the batch), the other strings are copied or used here.
 */
void cw_notify_batch_add(struct notify_batch *b, const struct cw_store_sub *sub,
			 const char *idem_key, char *json, const char *subject,
			 const char *text, const char *html,
			 notify_done_fn *done, void *ctx);

/* Alerts queued or in flight. */
size_t cw_notify_batch_held(const struct notify_batch *b);

/* True once the stop flag is set or the deadline has passed: the caller
 * queues nothing more and frees the batch. */
bool cw_notify_batch_over(const struct notify_batch *b);

/*
 * Start what may start, wait up to `wait_ms` for activity, and complete
 * what ended (calling `done`). Returns CW_OK or CW_ERROR (libcurl's
 * multi handle failed).
 */
int cw_notify_batch_step(struct notify_batch *b, long wait_ms,
			 struct cw_err *err);

/*
 * End the run: every alert still queued or in flight is cut (its `done`
 * gets cut = true) and its transfer closed. NULL is a no-op.
 */
void cw_notify_batch_free(struct notify_batch *b);

/* ---- the outbox (outbox.c) ---- */

/*
 * The delay in seconds before attempt `attempts` + 1 of a row that failed
 * `attempts` times: o->backoff_s doubled at each attempt up to
 * o->backoff_max_s, drawn from its upper half; never less than 1 s.
 */
long cw_notify_backoff(const struct cw_notify_opts *o, int64_t attempts);

/* ---- digests (digest.c) ---- */

/*
 * Queue the digest of subscription `sub` in `b` if its period (1 day, 7
 * days since last_digest; o->digest_now: now) has passed and rows are
 * held; an empty period only moves last_digest. When it has been sent,
 * its rows are marked sent and last_digest moved, in one transaction; when
 * it fails or is cut, they stay held for the next run.
 * Returns CW_OK or a store error (then nothing was queued).
 */
int cw_notify_digest_queue(struct cw_store *s, struct notify_batch *b,
			   const struct cw_store_sub *sub,
			   const struct cw_notify_opts *o,
			   struct cw_notify_stats *stats, int *fatal,
			   struct cw_err *err);

#endif
