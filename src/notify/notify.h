#ifndef CW_NOTIFY_H
#define CW_NOTIFY_H
/*
 * notify: watchlists match changes; alerts go out by webhook, email, Atom
 * feed and digests through a transactional outbox, so none is lost.
 *
 * - Enqueueing (watch.c) runs inside the transaction that records a
 *   version and its change (pipeline.c calls cw_notify_enqueue_change right
 *   after storing the change): an outbox row exists if and only if its
 *   change does. Health alerts are enqueued the same way by the monitor.
 * - Delivery (outbox.c) reads due rows, sends each through its channel and
 *   only then marks it sent: at-least-once. Every alert carries an
 *   idempotency key unique per (subscription, change) ("cw-<sub>-c<change>")
 *   so a receiver that remembers keys sees each alert once even when a
 *   crash between sending and marking makes us send it again.
 * - Sends are concurrent (send.c, on a libcurl multi handle driven from
 *   the caller's thread): `concurrency` at once, at most four to one
 *   receiver, each bounded by `timeout_ms`, so a receiver that hangs
 *   delays no other. A run ends when the outbox is done, when `*stop` is
 *   set (within a fraction of a second) or at `deadline_s`: what was not
 *   sent is left pending as it was (same attempts, same key, due at the
 *   next run), except a send the deadline cut on the wire, which counts as
 *   a failed attempt.
 * - Failed sends are retried with exponential backoff and jitter (at least
 *   one second, never within the same run), up to `max_attempts`; then the
 *   row is "dead" (shown by `clausewatch status`).
 * - Digest subscriptions (daily, weekly) hold their rows ("held") until
 *   the period has passed, then send one message grouping the changes by
 *   service and materiality (digest.c).
 * - Webhooks (webhook.c): POST of a JSON body with the header
 *   `X-Clausewatch-Signature: t=<unix time>,v1=<hex>`, the HMAC-SHA256
 *   under the subscription's secret of the time, a full stop and the exact
 *   body bytes ("t.body"), and `Idempotency-Key: <key>`. A receiver
 *   refuses a signature whose time is more than five minutes from its own
 *   clock, so a captured request cannot be replayed later (README,
 *   "Webhooks"); the SSRF guard of fetch.h applies unless `allow_private`.
 * - Email (email.c): SMTP through libcurl, multipart/alternative with a
 *   plain-text and an HTML part (the redline as <del>/<ins>).
 * - Atom (atom.c): one feed per watchlist name, valid Atom 1.0 (RFC 4287).
 *
 * Categories: the monitor's pipeline annotates each change it records
 * with the taxonomy categories of every changed provision (old and new
 * side) and a document-level union, "categories" (pipeline.h). A
 * subscription naming categories matches a change when a changed
 * provision carrying one of them (either side) changed at the
 * subscription's minimum materiality or above: categories are ORed among
 * themselves and ANDed with the services/documents scope. A change
 * recorded without analysis (`fetch`, `ingest`, `import-history`, or an
 * analysis error) cannot be decided and the filter lets it through:
 * missing an alert is worse than one too many. Health alerts ignore the
 * category filter (they are about the monitor, not a provision).
 *
 * Thread safety: functions take the caller's store handle; one thread.
 */
#include <signal.h>

#include "../diff/record.h"
#include "../store/store.h"
#include "../util/util.h"

/* Delivery settings (from the config file or command-line flags). */
struct cw_notify_opts {
	const char *smtp_url;  /* "smtp://127.0.0.1:25"; NULL: no email */
	const char *smtp_from; /* envelope and From: address */
	const char *smtp_user; /* optional AUTH */
	const char *smtp_password;
	bool allow_private;    /* webhooks to loopback/private addresses */
	long timeout_ms;       /* per send, default 15000 */
	unsigned max_attempts; /* before a row is dead, default 10 */
	long backoff_s;	       /* first retry delay, default 30, doubles */
	long backoff_max_s;    /* cap on one delay, default 6 h */
	bool digest_now;       /* send held digests regardless of period */
	/* feed files to rewrite after delivery: "NAME=PATH" entries */
	const struct cw_strv *feed_paths;
	const char *base_url;	     /* for Atom links; NULL: "urn:" ids only */
	unsigned concurrency;	     /* sends at once, default 16 */
	long deadline_s;	     /* one delivery run at most, default 60; 0:
				  none */
	volatile sig_atomic_t *stop; /* set (by a signal): end the run now */
};
#define CW_NOTIFY_OPTS_INIT                                                    \
	{                                                                      \
		.smtp_from = "clausewatch@localhost", .timeout_ms = 15000,     \
		.max_attempts = 10, .backoff_s = 30,                           \
		.backoff_max_s = 6 * 3600, .concurrency = 16, .deadline_s = 60 \
	}

/* ---- watchlists (watch.c) ---- */

/* Names of cadences and channels, for parsing options. */
bool cw_notify_cadence_valid(const char *cadence);

/*
 * Whether `sub` can be added: one known channel with a target of its
 * kind (an http(s) URL with a secret for a webhook, one address for an
 * email), a known materiality and cadence, documents as SERVICE/TYPE
 * (lists are one item a line). CW_EINVAL naming the field otherwise.
 * Categories are checked against the taxonomy by the caller.
 */
int cw_notify_sub_check(const struct cw_store_sub *sub, struct cw_err *err);

/*
 * Does `sub` want a change of SERVICE/TYPE at `materiality`?
 * `change` (may be NULL) is consulted for provision categories.
 */
bool cw_notify_sub_matches(const struct cw_store_sub *sub, const char *service,
			   const char *type, const char *materiality,
			   const struct cw_change_record *change);

/*
 * Add an outbox row for every subscription that wants change `change_id`
 * of document `doc_id` (digest subscriptions: a held row). Runs inside the
 * caller's transaction. Returns CW_OK or a store error.
 * [out] n_enqueued optional
 */
int cw_notify_enqueue_change(struct cw_store *s, int64_t doc_id,
			     int64_t change_id, const char *materiality,
			     const struct cw_change_record *change,
			     size_t *n_enqueued, struct cw_err *err);

/*
 * Enqueue an operational (health) alert about document `doc_id` for every
 * subscription that names it or its service (or everything), whatever
 * their materiality. `payload` is the alert as store/alert.h encodes it;
 * `streak` (the ISO time the failure streak began) makes the idempotency
 * key, so one streak gives one alert per subscription.
 */
int cw_notify_enqueue_health(struct cw_store *s, int64_t doc_id,
			     const char *streak, const char *payload,
			     size_t *n_enqueued, struct cw_err *err);

/* ---- rendering (render.c) ---- */

/*
 * The alert of outbox row `o` as the webhook's JSON body (compact,
 * appended to `out`): {"kind":"change","idempotency_key","subscription",
 * "service","service_name","type","change_id","from_version","to_version",
 * "recorded_at","materiality","n_changes","categories"?,"exposure_moves"?,
 * "changes":[... the entries of the change record (diff/record.h) with the
 * redline text, and per provision "categories" and "exposure_moves" when
 * the change was analysed ...]} or, for health alerts, the stored payload with
 * the key and subscription added.
 */
int cw_notify_render_json(struct cw_store *s, const struct cw_store_outbox *o,
			  struct cw_buf *out, struct cw_err *err);

/*
 * The alert as an email subject, a plain-text body and an HTML body (the
 * redline inline with <del>/<ins>, every text escaped; the categories of
 * the change and of each provision, and its exposure moves, when the
 * change was analysed).
 */
int cw_notify_render_text(struct cw_store *s, const struct cw_store_outbox *o,
			  struct cw_buf *subject, struct cw_buf *text,
			  struct cw_buf *html, struct cw_err *err);

/* ---- channels ---- */

/*
 * "t=<t>,v1=<hex>": HMAC-SHA256 under `secret` of the decimal time `t`, a
 * full stop and the body (webhook.c). The value of the webhook's
 * X-Clausewatch-Signature header.
 */
#define CW_NOTIFY_SIG_MAX (2 + 20 + 4 + CW_SHA256_HEX)
void cw_notify_sign(char out[CW_NOTIFY_SIG_MAX], const char *secret, int64_t t,
		    const char *body, size_t len);

/*
 * POST `body` to `url` with the signature (signed now) and idempotency
 * headers, and wait for the answer: one send on its own, outside the
 * outbox (which sends many at once, notify_int.h).
 * Returns CW_OK for a 2xx answer, CW_EHTTP (status in *status), CW_ENET,
 * CW_ETIMEOUT or CW_EBLOCKED (SSRF guard); the message names the URL.
 */
int cw_notify_webhook_post(const char *url, const char *secret,
			   const char *idem_key, const char *body, size_t len,
			   const struct cw_notify_opts *o, long *status,
			   struct cw_err *err);

/*
 * Build an RFC 5322 message (multipart/alternative: text, HTML), appended
 * to `out`. `idem_key` becomes the Message-ID's local part and an
 * X-Clausewatch-Idempotency-Key header. Header values are stripped of CR
 * and LF; the subject is RFC 2047-encoded when it is not ASCII.
 */
void cw_notify_email_build(struct cw_buf *out, const char *from, const char *to,
			   const char *subject, const char *idem_key,
			   const char *text, const char *html);

/*
 * The Atom 1.0 feed of watchlist `name` (feed subscriptions with that
 * target): its 100 latest alerts, newest first. Appended to `out`.
 * CW_ENOTFOUND when no feed subscription has that name.
 */
int cw_notify_feed_render(struct cw_store *s, const char *name,
			  const char *base_url, struct cw_buf *out,
			  struct cw_err *err);

/* ---- delivery (outbox.c, digest.c) ---- */

struct cw_notify_stats {
	size_t sent;	/* alerts delivered (digests count once) */
	size_t retried; /* failed, scheduled again */
	size_t dead;	/* failed for good */
	size_t digests; /* digests sent */
	size_t feeds;	/* feed files rewritten */
	size_t left;	/* not sent: the stop flag or the deadline came
			   first; pending as they were, for the next run */
};

/*
 * Deliver every due pending row (at most `limit`, 0: all), then the
 * digests whose period has passed, concurrently, until done, `o->stop` or
 * `o->deadline_s`. Each row is marked sent after its channel accepted it.
 * Returns CW_OK (failures are counted, not returned), a store error, or
 * CW_ERROR when libcurl's multi handle fails.
 */
int cw_notify_deliver(struct cw_store *s, const struct cw_notify_opts *o,
		      size_t limit, struct cw_notify_stats *stats,
		      struct cw_err *err);

#endif
