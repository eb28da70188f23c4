#ifndef CW_FETCH_MULTI_H
#define CW_FETCH_MULTI_H
/*
 * multi: many fetches at once, for the monitor, on libcurl's multi
 * interface.
 *
 * Requests are queued with cw_fetch_multi_add() and driven by
 * cw_fetch_multi_step() (one bounded wait, for an event loop) or
 * cw_fetch_multi_run() (until everything queued has completed). Each
 * request ends with exactly one call of the `on_done` callback, after its
 * last attempt.
 *
 * - Connections and DNS answers are cached by the engine and reused;
 *   HTTP/2 is negotiated on https and streams are multiplexed over one
 *   connection where the server offers it (CURLMOPT_PIPELINING, PIPEWAIT).
 * - Politeness: at most `max_per_host` transfers in flight per host name,
 *   and request starts to one host at least `host_delay_ms` apart.
 * - Retries: transient failures (connect, DNS, reset, timeout, empty reply,
 *   HTTP 408/429/500/502/503/504) are retried up to `max_attempts` in all,
 *   after an exponential backoff with jitter, or after the server's
 *   Retry-After when that is longer (a Retry-After beyond `backoff_max_ms`
 *   ends the request instead: we do not hold work for hours).
 * - Memory: each transfer's body is capped by fetch.max_bytes (CW_ETOOBIG);
 *   the bodies held by running transfers together stay under
 *   `max_inflight_bytes`, plus at most one transfer's cap: past it,
 *   transfers are paused (CURL_WRITEFUNC_PAUSE) and no new one starts until
 *   bytes are released. A paused transfer's time limit keeps running.
 * - Every transfer carries the SSRF guard of fetch.h (fetch.allow_private).
 *
 * Thread safety: an engine belongs to one thread at a time; several
 * engines may run in parallel threads (cw_fetch_global_init() once first).
 */
#include "fetch.h"

/* The outcome of one request, passed to on_done. */
struct cw_fetch_multi_result {
	const char *url;   /* as added; valid during the callback */
	void *userdata;	   /* as added */
	int rc;		   /* as cw_fetch_url(): CW_OK, CW_EUNCHANGED, ... */
	struct cw_err err; /* the last attempt's message when rc != CW_OK */
	unsigned attempts; /* 1 + retries */
	/*
	 * The last attempt's result. Valid during the callback only; the
	 * callback may take the body with cw_buf_detach(&r->res.body, ...)
	 * and the strings by setting them to NULL.
	 */
	struct cw_fetch_result res;
};

struct cw_fetch_multi_opts {
	struct cw_fetch_opts fetch; /* per transfer; the conditional-request
					fields are ignored (set per request) */
	unsigned max_transfers;	    /* in flight overall, default 64 */
	unsigned max_per_host;	    /* in flight per host name, default 2 */
	long host_delay_ms;	   /* between starts to one host, default 250 */
	unsigned max_attempts;	   /* attempts in all, default 3 */
	long backoff_ms;	   /* before the first retry, default 1000;
					doubles at each retry */
	long backoff_max_ms;	   /* cap on one wait, default 60000 */
	size_t max_inflight_bytes; /* all running bodies, default 128 MiB */
	/*
	 * Called once per request, from cw_fetch_multi_step(). It may call
	 * cw_fetch_multi_add() (not _step, _run or _free).
	 */
	void (*on_done)(void *ctx, struct cw_fetch_multi_result *r);
	void *ctx;
};
#define CW_FETCH_MULTI_OPTS_INIT                                            \
	{                                                                   \
		CW_FETCH_OPTS_INIT, 64, 2, 250, 3, 1000, 60000, 128u << 20, \
			NULL, NULL                                          \
	}

/* One request. Strings are copied by cw_fetch_multi_add(). */
struct cw_fetch_multi_req {
	const char *url;
	const char *if_none_match;     /* optional validators: 304 gives */
	const char *if_modified_since; /* rc CW_EUNCHANGED */
	void *userdata;
};

/* Counters since the engine was made, for logs and tests. */
struct cw_fetch_multi_stats {
	size_t added;
	size_t completed; /* on_done calls */
	size_t ok;	  /* completed with CW_OK or CW_EUNCHANGED */
	size_t retries;
	size_t running; /* now */
	size_t pending; /* now: queued, waiting to retry or running */
	size_t peak_running;
	size_t peak_per_host; /* most transfers seen in flight to one host */
	size_t peak_inflight_bytes;
	size_t pauses; /* transfers paused by max_inflight_bytes */
};

struct cw_fetch_multi;

/*
 * Make an engine.
 * out   [out] new engine, free with cw_fetch_multi_free(); NULL on failure
 * opts  required (on_done is required); zero numeric fields take defaults
 * Returns CW_OK, CW_EINVAL (no callback) or CW_ERROR (libcurl failed).
 */
int cw_fetch_multi_new(struct cw_fetch_multi **out,
		       const struct cw_fetch_multi_opts *opts,
		       struct cw_err *err);

/*
 * Stop every transfer and free the engine; requests not completed get no
 * callback. NULL is a no-op.
 */
void cw_fetch_multi_free(struct cw_fetch_multi *m);

/*
 * Queue a request (it starts during a later step).
 * Returns CW_OK, or CW_EINVAL when the URL cannot be parsed or has no host
 * (no callback is made for it then).
 */
int cw_fetch_multi_add(struct cw_fetch_multi *m,
		       const struct cw_fetch_multi_req *req,
		       struct cw_err *err);

/*
 * Start what may start, wait up to `wait_ms` for network activity or a
 * retry coming due, and complete what finished (calling on_done).
 * [out] pending: requests not completed yet (may be NULL).
 * Returns CW_OK or CW_ERROR (libcurl's multi handle failed; the message
 * says why).
 */
int cw_fetch_multi_step(struct cw_fetch_multi *m, long wait_ms, size_t *pending,
			struct cw_err *err);

/*
 * Make a cw_fetch_multi_step() that is waiting, in another thread, return
 * now (curl_multi_wakeup). The one call any thread may make on an engine
 * it does not own, e.g. a worker with a result for the engine's thread.
 */
void cw_fetch_multi_wakeup(struct cw_fetch_multi *m);

/* Step until no request is pending. Returns as cw_fetch_multi_step(). */
int cw_fetch_multi_run(struct cw_fetch_multi *m, struct cw_err *err);

/* Fill `out` with the engine's counters. */
void cw_fetch_multi_stats(struct cw_fetch_multi_stats *out,
			  const struct cw_fetch_multi *m);

#endif
