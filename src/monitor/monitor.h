#ifndef CW_MONITOR_H
#define CW_MONITOR_H
/*
 * monitor: the service that checks documents on a schedule and drives the
 * pipeline for the due ones: fetch (many at once, multi.h) -> snapshot ->
 * extract -> version -> diff -> change -> outbox, then delivers alerts.
 *
 * - Schedule (scheduler.c): each document is due `interval` after its
 *   last check (12 h by default; per document in the config file), moved
 *   by a random jitter of +-`jitter` x interval so that checks spread out
 *   instead of all landing at the same minute. A failing document is
 *   checked again after min(interval, `failing_retry`).
 * - Fetching: every due document's pages go through one multi engine
 *   (connection reuse, per-host limits and delay, retries with backoff,
 *   conditional requests with the ETag/Last-Modified of the last answer);
 *   pages of declarations with executeClientScripts go through headless
 *   Chromium one at a time. Completed documents are recorded as soon as
 *   their last page arrives, on the monitor's thread (the store handle is
 *   single-threaded), while the other transfers continue.
 * - Failures are states, not changes (health.c): a failed fetch, a
 *   selector that matches nothing, or a page that suddenly extracts to
 *   almost nothing or to an error page or a wall (the pipeline's rule of
 *   what is not a version, pipeline.h: blocked_ratio, blocked_min_bytes) record
 *   an attempt and the document's health (failing since, last error,
 *   consecutive failures), never a version. After `health_threshold`
 *   consecutive failures one operational alert per failure streak goes to
 *   the subscriptions that name the document.
 * - Delivery: after each pass, the outbox (notify.h): sends at once,
 *   each bounded by its timeout, the whole run by `delivery_deadline` and
 *   by the stop flag; what is not sent stays pending for the next pass.
 *
 * - Threads: the monitor's thread drives the transfers and is the only
 *   one that touches the store; `workers` threads extract and segment the
 *   fetched pages (cw_pipeline_prepare) between the two, PDF pages each
 *   in a process of its own within pdf_timeout_ms and pdf_memory_mb
 *   (extract.h), so a hostile PDF holds one worker, never this thread,
 *   and fails as any failed check. Queues between
 *   them are bounded, so memory stays bounded whatever the number of
 *   documents. The results are those of the sequential path (workers = 0).
 * - One monitor per store: cw_monitor_init() takes an exclusive flock(2)
 *   on STORE-monitor.lock (the file holds the pid); a second monitor on
 *   the same store fails at once naming the store and that pid. The
 *   kernel drops the lock when its process dies, also by kill -9, so a
 *   stale lock never blocks.
 *
 * Thread safety: a monitor is driven from one thread with its own store
 * handle (its workers are internal).
 */
#include <signal.h>

#include "../notify/notify.h"
#include "pipeline.h"

/* Settings: the config file (config.c), then command-line flags. */
struct cw_monitor_config {
	long interval_s;      /* default schedule, 43200 (12 h) */
	double jitter;	      /* fraction of the interval, 0.1 */
	long failing_retry_s; /* recheck of a failing document, 3600 */
	long poll_s;	      /* long-lived loop: seconds between passes, 60 */
	unsigned max_transfers;	   /* multi engine, 64 */
	unsigned max_per_host;	   /* 2 */
	long host_delay_ms;	   /* 250 */
	unsigned fetch_attempts;   /* 3 */
	long timeout_ms;	   /* per page, 60000 */
	long connect_timeout_ms;   /* 10000 */
	long max_bytes;		   /* per page, 50 MiB */
	long max_inflight_bytes;   /* all bodies in flight, 128 MiB */
	long extract_budget_bytes; /* pages under extraction at once, 64 MiB */
	bool allow_private;	   /* fetch and deliver to private addresses */
	bool use_browser;	   /* Chromium for executeClientScripts */
	unsigned workers;	   /* extraction threads, number of CPUs (at
				     most 16); 0: on the monitor's thread */
	long pdf_timeout_ms;	   /* one PDF's text, wall clock, 20000 */
	long pdf_memory_mb;	   /* one PDF's process, address space, 1024 */
	unsigned health_threshold; /* consecutive failures before an alert, 3 */
	double blocked_ratio;	   /* text < ratio x previous length ... */
	long blocked_min_bytes;	   /* ... and < this many bytes: blocked */
	char *user_agent;
	/* delivery */
	char *smtp_url, *smtp_from, *smtp_user, *smtp_password;
	bool smtp_allow_plain; /* a URL's password over plain SMTP */
	char *base_url;
	long delivery_timeout_ms;
	unsigned delivery_attempts;
	long delivery_backoff_s;
	long delivery_deadline_s;      /* one delivery run at most, 60 */
	unsigned delivery_concurrency; /* sends at once, 16 */
	struct cw_strv feed_paths;     /* "NAME=PATH" */
	struct cw_strv doc_intervals;  /* "SERVICE/TYPE=SECONDS" */
	bool analysis; /* categories and exposure moves in changes
				     (pipeline.h), true; `--no-analysis` */
};

void cw_monitor_config_init(struct cw_monitor_config *c);
void cw_monitor_config_release(struct cw_monitor_config *c);

/*
 * Set one setting by its config-file name ("interval", "smtp_url", ...;
 * see docs/config.md). Durations take s/m/h/d suffixes. Returns CW_OK or
 * CW_EINVAL naming the key and the value.
 */
int cw_monitor_config_set(struct cw_monitor_config *c, const char *key,
			  const char *value, struct cw_err *err);

/*
 * Check the settings as a whole once they are all set: the SMTP password
 * from CLAUSEWATCH_SMTP_PASSWORD when none is set, and no password over a
 * plain smtp:// connection unless smtp_allow_plain. CW_EINVAL saying why.
 */
int cw_monitor_config_check(struct cw_monitor_config *c, struct cw_err *err);

/*
 * Read a config file: `key = value` lines, `#` comments, sections
 * `[document "SERVICE/TYPE"]` (key: interval) and `[feed "NAME"]` (key:
 * path). Unknown keys are errors ('file':line: unknown setting 'x').
 */
int cw_monitor_config_load(struct cw_monitor_config *c, const char *path,
			   struct cw_err *err);

/* Parse "90", "30s", "15m", "12h", "7d" into seconds. */
int cw_monitor_parse_duration(const char *s, long *out);

/* The notify options that the config describes (strings borrowed; no
 * stop flag: the caller sets it). */
void cw_monitor_notify_opts(const struct cw_monitor_config *c,
			    struct cw_notify_opts *out);

/* ---- scheduling (scheduler.c) ---- */

/* The interval of document SERVICE/TYPE (per-document setting, else the
 * stored one when > 0, else the global one). */
long cw_monitor_interval(const struct cw_monitor_config *c,
			 const struct cw_store_mon_doc *d);

/*
 * The next due time after a check at `now`: now + interval, moved by a
 * jitter drawn from `u` in [0,1) (u = 0.5: none). A failing document is
 * due after min(interval, failing_retry_s).
 */
time_t cw_monitor_next_due(const struct cw_monitor_config *c, long interval,
			   bool failing, time_t now, double u);

/* ---- health (health.c) ---- */

/*
 * Record a failed check of document `doc` in `m` (in the store, with the
 * health alert when the streak reaches the threshold, in one
 * transaction). *alerted is set when this call raised the alert.
 */
int cw_monitor_health_fail(struct cw_store *s, const struct cw_store_doc *doc,
			   struct cw_store_mon *m, const char *now,
			   const char *error, unsigned threshold, bool *alerted,
			   struct cw_err *err);

/* Record a successful check: the streak, if any, ends. */
void cw_monitor_health_ok(struct cw_store_mon *m, const char *now);

/*
 * A document that was failing checks ok again: when its streak raised a
 * failure alert, queue one "recovered" alert (kind "health", state
 * "recovered") to the subscriptions that match the document now (the
 * ones that got the failure alert, unless subscriptions were added or
 * removed during the streak: a new one hears of a recovery whose failure
 * it never saw), through their channels, then end the streak (cw_monitor_health_ok) and store
 * the state, in one transaction. *alerted is set when an alert was queued.
 * The alert's idempotency key is derived from the streak's start, so a
 * streak has at most one failure and one recovery alert per subscription.
 */
int cw_monitor_health_recovered(struct cw_store *s,
				const struct cw_store_doc *doc,
				struct cw_store_mon *m, const char *now,
				bool *alerted, struct cw_err *err);

/* ---- the service (monitor.c) ---- */

struct cw_monitor_stats {
	size_t due, checked;
	size_t new_versions, unchanged, not_modified;
	size_t failed, extract_failed, blocked;
	size_t health_alerts, alerts_queued;
	size_t by_rc[32]; /* failures by -cw_rc */
	size_t retries;	  /* transfers retried by the engine */
	double seconds;
	struct cw_notify_stats delivery;
};

struct cw_monitor_deliverer;

struct cw_monitor {
	struct cw_store *store; /* borrowed */
	struct cw_pipeline pl;
	const struct cw_monitor_config *cfg;	/* borrowed */
	volatile sig_atomic_t *stop;		/* set by a signal: finish */
	bool verbose;				/* one line per document */
	int lock_fd;				/* STORE-monitor.lock, held */
	struct cw_monitor_deliverer *deliverer; /* NULL: passes deliver */
};

/*
 * Set up a monitor over `store` (borrowed) and take the store's monitor
 * lock. Returns CW_OK; CW_EEXISTS when another process holds the lock
 * ("'STORE': another monitor is running on this store (pid N)"); CW_EIO
 * when the lock file cannot be opened; or the pipeline's rules error.
 */
int cw_monitor_init(struct cw_monitor *m, struct cw_store *store,
		    const char *data_dir, const struct cw_monitor_config *cfg,
		    struct cw_err *err);
void cw_monitor_release(struct cw_monitor *m);

/*
 * One pass: check every due document (every declared one when `force`),
 * then deliver the due alerts, or wake the deliverer when one runs.
 * Stats are added to `stats`.
 * Returns CW_OK (document failures are states, counted in stats) or a
 * store or engine error.
 */
int cw_monitor_pass(struct cw_monitor *m, bool force,
		    struct cw_monitor_stats *stats, struct cw_err *err);

/* Deliver due alerts only. */
int cw_monitor_deliver(struct cw_monitor *m, struct cw_monitor_stats *stats,
		       struct cw_err *err);

/* ---- the deliverer (deliverer.c) ---- */

/*
 * Send alerts on a thread of their own, with its own handle on the store,
 * for a long-lived monitor: passes then only wake it, so no receiver
 * holds up a pass. It looks at the outbox when woken and every poll
 * interval (at most 30 s) between; each round is bounded by the delivery
 * deadline. It ends at the monitor's stop flag or at
 * cw_monitor_deliverer_stop(), which cw_monitor_release() calls; a round
 * in progress then stops within a fraction of a second and leaves what it
 * had not sent pending. Returns CW_OK, a store error, or CW_ERROR.
 */
int cw_monitor_deliverer_start(struct cw_monitor *m, struct cw_err *err);
void cw_monitor_deliverer_wake(struct cw_monitor *m);
/* Add what the deliverer sent since the last call to `into`. */
void cw_monitor_deliverer_take(struct cw_monitor *m,
			       struct cw_notify_stats *into);
void cw_monitor_deliverer_stop(struct cw_monitor *m);

#endif
