/*
 * The deliverer: alerts sent on a thread of their own, beside the passes.
 *
 * A long-lived monitor checks documents on its main thread and sends the
 * alerts here, with a store handle of its own, so a slow or hanging
 * receiver never holds up the next pass, and a pass of many documents
 * does not hold up the alerts of the changes it has already recorded:
 * the thread looks at the outbox when a pass ends (cw_monitor_pass wakes
 * it) and every few seconds between, which is also when the retries
 * whose backoff has passed go out. Each round is bounded by the delivery
 * deadline and stops with the stop flag (cw_notify_deliver).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monitor.h"

/* At most this long between two looks at the outbox (seconds). */
#define DELIVERER_PERIOD_MAX 30

struct cw_monitor_deliverer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct cw_store *store; /* the thread's own handle */
	struct cw_notify_opts opts;
	volatile sig_atomic_t *stop; /* the monitor's stop flag */
	/* what the sends watch: set when the monitor stops the thread,
	 * which it does as soon as its stop flag is seen */
	volatile sig_atomic_t halt;
	long period_s;
	bool wake, quit;
	struct cw_notify_stats stats; /* since the last take */
	size_t rounds;
};

static bool stopping(struct cw_monitor_deliverer *d)
{
	return d->quit || (d->stop && *d->stop);
}

/* Wait until woken, told to quit, stopped, or `period_s` has passed; in
 * slices, since a signal handler only sets the stop flag. Called locked. */
static void wait_round(struct cw_monitor_deliverer *d)
{
	struct timespec until, now;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += d->period_s;
	while (!d->wake && !stopping(d)) {
		struct timespec slice;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > until.tv_sec || (now.tv_sec == until.tv_sec &&
						  now.tv_nsec >= until.tv_nsec))
			break;
		slice = now;
		slice.tv_nsec += 200000000L;
		if (slice.tv_nsec >= 1000000000L) {
			slice.tv_sec++;
			slice.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d->cv, &d->mu, &slice);
	}
	d->wake = false;
}

static void add_stats(struct cw_notify_stats *to,
		      const struct cw_notify_stats *from)
{
	to->sent += from->sent;
	to->retried += from->retried;
	to->dead += from->dead;
	to->digests += from->digests;
	to->feeds += from->feeds;
	to->left += from->left;
}

static void *deliverer_main(void *arg)
{
	struct cw_monitor_deliverer *d = arg;

	pthread_mutex_lock(&d->mu);
	while (!stopping(d)) {
		struct cw_notify_stats st;
		struct cw_err err = CW_ERR_INIT;
		int rc;

		pthread_mutex_unlock(&d->mu);
		memset(&st, 0, sizeof(st));
		rc = cw_notify_deliver(d->store, &d->opts, 0, &st, &err);
		if (rc)
			/* a busy or failing store: said, and tried again at
			 * the next round; the alerts stay pending */
			fprintf(stderr, "clausewatch: delivery: %s\n",
				err.msg[0] ? err.msg : cw_rc_name(rc));
		pthread_mutex_lock(&d->mu);
		add_stats(&d->stats, &st);
		d->rounds++;
		wait_round(d);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

int cw_monitor_deliverer_start(struct cw_monitor *m, struct cw_err *err)
{
	struct cw_monitor_deliverer *d;
	int rc, e;

	if (m->deliverer)
		return CW_OK;
	d = cw_calloc(1, sizeof(*d));
	rc = cw_store_open(&d->store, cw_store_path(m->store), err);
	if (rc) {
		free(d);
		return rc;
	}
	cw_monitor_notify_opts(m->cfg, &d->opts);
	d->stop = m->stop;
	d->opts.stop = &d->halt;
	d->period_s = m->cfg->poll_s < DELIVERER_PERIOD_MAX
			      ? (m->cfg->poll_s > 0 ? m->cfg->poll_s : 1)
			      : DELIVERER_PERIOD_MAX;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	/* the first round waits for the first pass, which wakes it */
	e = pthread_create(&d->thread, NULL, deliverer_main, d);
	if (e) {
		pthread_cond_destroy(&d->cv);
		pthread_mutex_destroy(&d->mu);
		cw_store_close(d->store);
		free(d);
		return cw_err_set(err, CW_ERROR,
				  "cannot start the delivery thread: %s",
				  strerror(e));
	}
	m->deliverer = d;
	return CW_OK;
}

void cw_monitor_deliverer_wake(struct cw_monitor *m)
{
	struct cw_monitor_deliverer *d = m->deliverer;

	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->wake = true;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

void cw_monitor_deliverer_take(struct cw_monitor *m,
			       struct cw_notify_stats *into)
{
	struct cw_monitor_deliverer *d = m->deliverer;

	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	add_stats(into, &d->stats);
	memset(&d->stats, 0, sizeof(d->stats));
	pthread_mutex_unlock(&d->mu);
}

void cw_monitor_deliverer_stop(struct cw_monitor *m)
{
	struct cw_monitor_deliverer *d = m->deliverer;

	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->quit = true;
	d->halt = 1;
	pthread_cond_signal(&d->cv);
	pthread_mutex_unlock(&d->mu);
	/* a round in progress ends within a fraction of a second */
	pthread_join(d->thread, NULL);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	cw_store_close(d->store);
	free(d);
	m->deliverer = NULL;
}
