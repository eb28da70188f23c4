/*
 * monitor: one pass over the due documents, fetching with the multi engine
 * and recording each document as soon as its pages are in (monitor.h).
 *
 * Three stages per document: its pages arrive (libcurl callbacks, this
 * thread) -> extraction and segmentation (a worker, pure) -> the store
 * (this thread, the store handle's only user). Measured on the bench
 * (bench/monitor.sh, first pass), extraction and segmentation were about
 * a third of the CPU time of a document; with them on workers the
 * monitor's thread is left with the transfers and the store writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include "../fetch/multi.h"
#include "monitor.h"

struct job;

/* One page of a document: what its fetch gave. */
struct page {
	struct job *job;
	const char *url; /* borrowed from the declaration */
	int rc;
	char msg[CW_ERR_MSG_MAX];
	long status;
	char *body;
	size_t len;
	char *final_url, *content_type, *charset, *etag, *last_modified;
	double seconds;
};

struct job {
	struct cw_store_mon_doc *d;
	struct cw_decl_service *svc; /* the document's declaration */
	struct page *pages;
	size_t n, remaining;
	struct cw_extract_input *in;	     /* the pages, for extraction */
	struct cw_pipeline_prepared prep;    /* extracted and segmented */
	const struct cw_extract_opts *xopts; /* the pipeline's, borrowed */
	struct job *next;		     /* in a pool queue */
	bool browser; /* has executeClientScripts pages */
	bool done;
};

/*
 * The extraction workers: jobs go in `todo`, come back in `ready`, both
 * FIFO under one mutex. `backlog` counts jobs handed to the pool and not
 * taken back: the monitor's thread stops fetching while it is at
 * `max_backlog`, which bounds the bodies held between the two stages.
 */
struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work;	 /* todo not empty, or stop */
	pthread_cond_t ready_cv; /* ready not empty */
	struct job *todo, *todo_tail;
	struct job *ready, *ready_tail;
	size_t backlog, max_backlog;
	/*
	 * The bytes of the pages being extracted now, and the most there
	 * may be (extract_budget_bytes): parsing costs several times a
	 * page's size, so this, not the number of workers, bounds a pass's
	 * memory. A job larger than the budget still runs, alone.
	 */
	size_t busy_bytes, budget, peak_busy_bytes;
	bool stop;
	pthread_t *th;
	size_t n;
	struct cw_fetch_multi *eng; /* woken when a job is ready */
};

struct pass {
	struct cw_monitor *m;
	struct cw_monitor_stats *st;
	unsigned seed;
	int fatal; /* a store error: stop the pass */
	struct cw_err *err;
	size_t active;		  /* jobs queued and not finished */
	struct pool *pool;	  /* NULL: extraction on this thread */
	bool batch;		  /* a batch transaction is open */
	size_t batch_docs;	  /* documents recorded in it */
	struct timespec batch_t0; /* when it was opened */
};

/*
 * Documents are recorded in batches: one transaction for up to
 * BATCH_DOCS documents or BATCH_MS milliseconds, each document inside it
 * a savepoint (store.h), so that a document's version, change, outbox rows
 * and health state still commit together or not at all. One commit per
 * document wrote the same WAL pages (the attempts and outbox tables'
 * last leaves, their indexes) again for every document. What kill -9
 * loses is at most the open batch: documents whose check was not
 * committed, still due at the next pass, never half a document.
 */
#define BATCH_DOCS 64
#define BATCH_MS 500

/*
 * One monitor per store: two would check the same documents twice and
 * deliver the same alerts twice. flock(2) rather than a pid file alone:
 * the kernel releases it when the holder dies, whatever the signal, so a
 * lock is never stale; the pid in the file is only for the message.
 */
static int lock_store(struct cw_monitor *m, struct cw_err *err)
{
	const char *db = cw_store_path(m->store);
	/* named after the store's real path, so two monitors that open one
	 * store by different names (relative, symlinked) meet the same lock */
	char *real = realpath(db, NULL);
	char *path = cw_asprintf("%s-monitor.lock", real ? real : db);
	char pid[32];
	int fd, n;

	free(real);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		int rc = cw_err_set(err, CW_EIO,
				    "'%s': cannot open the monitor "
				    "lock: %s",
				    path, strerror(errno));
		free(path);
		return rc;
	}
	free(path);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;
		long other = 0;
		ssize_t got;

		if (e != EWOULDBLOCK) {
			close(fd);
			return cw_err_set(err, CW_EIO,
					  "'%s': cannot lock the "
					  "store for the monitor: %s",
					  db, strerror(e));
		}
		got = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[got > 0 ? got : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (cw_parse_long(pid, 1, LONG_MAX, &other))
			other = 0;
		close(fd);
		if (other)
			return cw_err_set(err, CW_EEXISTS,
					  "'%s': another monitor is running on "
					  "this store (pid %ld)",
					  db, other);
		return cw_err_set(err, CW_EEXISTS,
				  "'%s': another monitor is "
				  "running on this store",
				  db);
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n) {
		/* the lock holds; only the pid in messages is missing */
	}
	m->lock_fd = fd;
	return CW_OK;
}

int cw_monitor_init(struct cw_monitor *m, struct cw_store *store,
		    const char *data_dir, const struct cw_monitor_config *cfg,
		    struct cw_err *err)
{
	int rc;

	memset(m, 0, sizeof(*m));
	m->store = store;
	m->cfg = cfg;
	m->lock_fd = -1;
	rc = lock_store(m, err);
	if (rc)
		return rc;
	rc = cw_pipeline_init(&m->pl, store, data_dir, err);
	if (rc) {
		close(m->lock_fd);
		m->lock_fd = -1;
	}
	return rc;
}

void cw_monitor_release(struct cw_monitor *m)
{
	cw_monitor_deliverer_stop(m);
	cw_pipeline_release(&m->pl);
	if (m->lock_fd >= 0)
		close(m->lock_fd); /* the lock goes with the descriptor */
	m->lock_fd = -1;
}

static void page_release(struct page *p)
{
	free(p->body);
	free(p->final_url);
	free(p->content_type);
	free(p->charset);
	free(p->etag);
	free(p->last_modified);
	p->body = p->final_url = p->content_type = p->charset = NULL;
	p->etag = p->last_modified = NULL;
}

static void job_release(struct job *j)
{
	for (size_t i = 0; i < j->n; i++)
		page_release(&j->pages[i]);
	free(j->pages);
	j->pages = NULL;
	free(j->in);
	j->in = NULL;
	cw_pipeline_prepared_release(&j->prep);
	cw_decl_service_free(j->svc);
	j->svc = NULL;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? cw_strdup(v) : NULL;
}

static double draw(struct pass *ps)
{
	return (double)rand_r(&ps->seed) / ((double)RAND_MAX + 1);
}

static void count_failure(struct cw_monitor_stats *st, int rc)
{
	int k = rc < 0 ? -rc : 1;

	if (k >= (int)(sizeof(st->by_rc) / sizeof(st->by_rc[0])))
		k = 1;
	st->by_rc[k]++;
}

/* Record a failed check: an attempt and the health state. */
static int fail(struct pass *ps, struct job *j, const char *now, time_t tnow,
		const char *url, long status, int rc, const char *msg,
		double secs, bool attempt)
{
	struct cw_monitor *m = ps->m;
	struct cw_store_mon *mon = &j->d->mon;
	char due[CW_TIME_ISO];
	bool alerted = false;
	int r;

	count_failure(ps->st, rc);
	if (attempt) {
		r = cw_pipeline_record_failure(m->store, j->d->doc.id, now, url,
					       status, msg, secs, ps->err);
		if (r)
			return r;
	}
	cw_time_iso(cw_monitor_next_due(m->cfg,
					cw_monitor_interval(m->cfg, j->d), true,
					tnow, draw(ps)),
		    due);
	set_str(&mon->next_due, due);
	r = cw_monitor_health_fail(m->store, &j->d->doc, mon, now, msg,
				   m->cfg->health_threshold, &alerted, ps->err);
	if (alerted) {
		ps->st->health_alerts++;
		fprintf(stderr,
			"clausewatch: %s/%s: failing since %s (%lld "
			"checks): %s\n",
			j->d->doc.service, j->d->doc.type, mon->failing_since,
			(long long)mon->failures, msg);
	}
	if (m->verbose)
		fprintf(stderr, "%s/%s: failed: %s\n", j->d->doc.service,
			j->d->doc.type, msg);
	return r;
}

static int batch_begin(struct pass *ps)
{
	int rc;

	if (ps->batch)
		return CW_OK;
	rc = cw_store_begin(ps->m->store, ps->err);
	if (!rc) {
		ps->batch = true;
		ps->batch_docs = 0;
		clock_gettime(CLOCK_MONOTONIC, &ps->batch_t0);
	}
	return rc;
}

/* Commit the open batch: always when `force`, else when it is full or
 * old enough. */
static void batch_flush(struct pass *ps, bool force)
{
	struct timespec t;
	int rc;

	if (!ps->batch)
		return;
	if (!force) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (ps->batch_docs < BATCH_DOCS &&
		    (t.tv_sec - ps->batch_t0.tv_sec) * 1000 +
				    (t.tv_nsec - ps->batch_t0.tv_nsec) /
					    1000000 <
			    BATCH_MS)
			return;
	}
	ps->batch = false;
	rc = cw_store_commit(ps->m->store, ps->err);
	if (rc && !ps->fatal)
		ps->fatal = rc;
}

/* Does the check of `j` need its pages extracted? Not when a page failed
 * or answered 304: those are recorded without looking at the bytes. */
static bool needs_extraction(const struct job *j)
{
	for (size_t i = 0; i < j->n; i++)
		if (j->pages[i].rc)
			return false;
	return true;
}

/* The pages of `j` as extraction inputs (borrowing the bodies). */
static void job_inputs(struct job *j)
{
	j->in = cw_calloc(j->n ? j->n : 1, sizeof(*j->in));
	for (size_t i = 0; i < j->n; i++) {
		struct page *p = &j->pages[i];

		j->in[i].data = p->body ? p->body : "";
		j->in[i].len = p->len;
		j->in[i].url = p->final_url ? p->final_url : p->url;
		j->in[i].name = p->url;
		j->in[i].content_type = p->content_type;
		j->in[i].charset = p->charset;
	}
}

/*
 * All pages of `j` are in and, when they need it, extracted (j->prep):
 * record the check.
 */
static void finish(struct pass *ps, struct job *j)
{
	struct cw_monitor *m = ps->m;
	struct cw_monitor_stats *st = ps->st;
	struct cw_store_mon *mon = &j->d->mon;
	struct cw_extract_input *in = j->in;
	struct cw_pipeline_result res;
	struct cw_err e = CW_ERR_INIT;
	char now[CW_TIME_ISO], due[CW_TIME_ISO];
	time_t tnow = time(NULL);
	double secs = 0;
	bool recovered = false, doc_tx = false;
	int rc = CW_OK;

	j->done = true;
	if (ps->active)
		ps->active--;
	st->checked++;
	cw_time_iso(tnow, now);
	rc = batch_begin(ps);
	if (rc)
		goto out;
	ps->batch_docs++;
	/* the document's writes (attempt, version, change, outbox, health)
	 * are one savepoint inside the batch: all of them or none */
	rc = cw_store_begin(m->store, ps->err);
	if (rc)
		goto out;
	doc_tx = true;
	for (size_t i = 0; i < j->n; i++) {
		secs += j->pages[i].seconds;
		if (j->pages[i].rc && j->pages[i].rc != CW_EUNCHANGED) {
			rc = fail(ps, j, now, tnow, j->pages[i].url,
				  j->pages[i].status, j->pages[i].rc,
				  j->pages[i].msg, secs, true);
			st->failed++;
			goto out;
		}
	}
	if (j->n == 1 && j->pages[0].rc == CW_EUNCHANGED) {
		struct cw_store_attempt a = {
			.doc_id = j->d->doc.id,
			.at = now,
			.url = j->pages[0].url,
			.status = j->pages[0].status,
			.outcome = CW_STORE_UNCHANGED,
			.seconds = secs,
		};
		st->not_modified++;
		st->unchanged++;
		rc = cw_store_add_attempt(m->store, &a, ps->err);
		goto ok;
	}
	for (size_t i = 0; i < j->n; i++) {
		struct page *p = &j->pages[i];

		if (p->rc == CW_EUNCHANGED) {
			/* one page of a combine unchanged: its validators were
			 * not sent, so this cannot happen; be safe anyway */
			rc = fail(ps, j, now, tnow, p->url, p->status,
				  CW_EINVAL,
				  "unexpected 304 for a page of a combined "
				  "document",
				  secs, true);
			st->failed++;
			goto out;
		}
	}
	memset(&res, 0, sizeof(res));
	rc = cw_pipeline_commit(&m->pl, j->d->doc.id, &j->prep, in, j->n, now,
				"fetch", &res, &e);
	if (rc && cw_store_tx_lost(m->store)) {
		/* SQLite dropped the whole batch: stop the pass rather than
		 * count this as one document's failure */
		cw_err_set(ps->err, rc, "%s", e.msg);
		goto out;
	}
	if (rc) {
		/* a block page or a wall (res.refused) was recorded as a
		 * failed attempt by the commit, as a failed extraction is */
		if (res.refused)
			st->blocked++;
		else if (rc == CW_EEMPTY)
			st->extract_failed++;
		else
			st->failed++;
		rc = fail(ps, j, now, tnow, in[0].url, j->pages[0].status, rc,
			  e.msg, secs, rc != CW_EEMPTY);
		goto out;
	}
	if (res.outcome == CW_STORE_NEW_VERSION) {
		st->new_versions++;
		j->d->latest_len = (int64_t)res.text_len;
	} else {
		st->unchanged++;
	}
	if (m->verbose)
		fprintf(stderr, "%s/%s: %s%s%s\n", j->d->doc.service,
			j->d->doc.type, cw_store_outcome_name(res.outcome),
			res.change_id ? ", change " : "",
			res.change_id ? res.materiality : "");
ok:
	if (j->n == 1 && j->pages[0].rc == CW_OK) {
		set_str(&mon->etag, j->pages[0].etag);
		set_str(&mon->last_modified, j->pages[0].last_modified);
	}
	if (mon->failing)
		fprintf(stderr,
			"clausewatch: %s/%s: recovered after %lld failed "
			"checks\n",
			j->d->doc.service, j->d->doc.type,
			(long long)mon->failures);
	cw_time_iso(cw_monitor_next_due(m->cfg,
					cw_monitor_interval(m->cfg, j->d),
					false, tnow, draw(ps)),
		    due);
	set_str(&mon->next_due, due);
	/* the streak ends (with its recovery alert) and the state is stored
	 * in one transaction */
	if (!rc)
		rc = cw_monitor_health_recovered(m->store, &j->d->doc, mon, now,
						 &recovered, ps->err);
	else
		cw_monitor_health_ok(mon, now);
	if (recovered)
		st->health_alerts++;
out:
	if (doc_tx) {
		if (rc)
			cw_store_rollback(m->store);
		else
			rc = cw_store_commit(m->store, ps->err);
	}
	job_release(j);
	if (rc && !ps->fatal)
		ps->fatal = rc;
}

/* ---- the extraction workers ---- */

static void prepare_job(struct job *j)
{
	cw_pipeline_prepare(&j->prep, &j->svc->docs[0], j->in, j->n, j->xopts,
			    NULL);
}

/* The page bytes a job hands to extraction. */
static size_t job_bytes(const struct job *j)
{
	size_t n = 0;

	for (size_t i = 0; i < j->n; i++)
		n += j->in[i].len;
	return n;
}

static void *worker_main(void *arg)
{
	struct pool *pl = arg;

	pthread_mutex_lock(&pl->mu);
	for (;;) {
		struct job *j;
		size_t bytes;

		/* the next job, once it fits the budget beside the others */
		while (!pl->stop || pl->todo) {
			if (pl->todo && (!pl->busy_bytes ||
					 pl->busy_bytes + job_bytes(pl->todo) <=
						 pl->budget))
				break;
			pthread_cond_wait(&pl->work, &pl->mu);
		}
		if (!pl->todo)
			break; /* stopped, and nothing left to do */
		j = pl->todo;
		pl->todo = j->next;
		if (!pl->todo)
			pl->todo_tail = NULL;
		bytes = job_bytes(j);
		pl->busy_bytes += bytes;
		if (pl->busy_bytes > pl->peak_busy_bytes)
			pl->peak_busy_bytes = pl->busy_bytes;
		pthread_mutex_unlock(&pl->mu);
		prepare_job(j);
		pthread_mutex_lock(&pl->mu);
		pl->busy_bytes -= bytes;
		/* a waiting worker may fit now */
		pthread_cond_broadcast(&pl->work);
		j->next = NULL;
		if (pl->ready_tail)
			pl->ready_tail->next = j;
		else
			pl->ready = j;
		pl->ready_tail = j;
		pthread_cond_signal(&pl->ready_cv);
		cw_fetch_multi_wakeup(pl->eng);
	}
	pthread_mutex_unlock(&pl->mu);
	return NULL;
}

static struct pool *pool_new(unsigned n, size_t budget,
			     struct cw_fetch_multi *eng)
{
	struct pool *pl = cw_calloc(1, sizeof(*pl));
	sigset_t stop, old;

	pthread_mutex_init(&pl->mu, NULL);
	pthread_cond_init(&pl->work, NULL);
	pthread_cond_init(&pl->ready_cv, NULL);
	pl->eng = eng;
	/*
	 * Two jobs per worker waiting keeps every worker busy while this
	 * thread commits; more only holds more page bodies in memory.
	 */
	pl->max_backlog = 4 * (size_t)n + 4;
	pl->budget = budget;
	pl->th = cw_calloc(n, sizeof(*pl->th));
	/* workers inherit the mask: SIGTERM and SIGINT must reach this
	 * thread, whose poll they interrupt to stop the pass promptly */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	for (unsigned i = 0; i < n; i++) {
		if (pthread_create(&pl->th[pl->n], NULL, worker_main, pl))
			break; /* fewer workers; with none, the caller falls back */
		pl->n++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pl;
}

/* Stop the workers once the queued jobs are prepared; jobs still in
 * `ready` stay there for the caller. NULL is a no-op. */
static void pool_free(struct pool *pl)
{
	if (!pl)
		return;
	pthread_mutex_lock(&pl->mu);
	pl->stop = true;
	pthread_cond_broadcast(&pl->work);
	pthread_mutex_unlock(&pl->mu);
	for (size_t i = 0; i < pl->n; i++)
		pthread_join(pl->th[i], NULL);
	pthread_cond_destroy(&pl->work);
	pthread_cond_destroy(&pl->ready_cv);
	pthread_mutex_destroy(&pl->mu);
	free(pl->th);
	free(pl);
}

static void pool_submit(struct pool *pl, struct job *j)
{
	pthread_mutex_lock(&pl->mu);
	j->next = NULL;
	if (pl->todo_tail)
		pl->todo_tail->next = j;
	else
		pl->todo = j;
	pl->todo_tail = j;
	pl->backlog++;
	pthread_cond_signal(&pl->work);
	pthread_mutex_unlock(&pl->mu);
}

/* Take the prepared jobs back (waiting for one when `wait`). */
static struct job *pool_take(struct pool *pl, bool wait)
{
	struct job *list;

	pthread_mutex_lock(&pl->mu);
	while (wait && !pl->ready && pl->backlog)
		pthread_cond_wait(&pl->ready_cv, &pl->mu);
	list = pl->ready;
	pl->ready = pl->ready_tail = NULL;
	for (struct job *j = list; j; j = j->next)
		pl->backlog--;
	pthread_mutex_unlock(&pl->mu);
	return list;
}

static size_t pool_backlog(struct pool *pl)
{
	size_t n;

	pthread_mutex_lock(&pl->mu);
	n = pl->backlog;
	pthread_mutex_unlock(&pl->mu);
	return n;
}

/* Record the prepared jobs that are back from the workers. */
static void drain(struct pass *ps, bool wait)
{
	struct job *j, *next;

	if (!ps->pool)
		return;
	for (j = pool_take(ps->pool, wait); j; j = next) {
		next = j->next;
		j->next = NULL;
		if (ps->fatal)
			job_release(j); /* j->done stays false: no count */
		else
			finish(ps, j);
	}
}

/*
 * Every page of `j` is in: extract it (on a worker when there are), then
 * record it. PDF pages too: each is read by a process of its own within
 * the PDF limits (extract.h), so poppler's global state is no concern of
 * the workers' and a hostile PDF holds one worker for at most
 * pdf_timeout_ms, never this thread.
 */
static void complete(struct pass *ps, struct job *j)
{
	if (ps->fatal)
		return;
	if (!needs_extraction(j)) {
		finish(ps, j);
		return;
	}
	job_inputs(j);
	j->xopts = &ps->m->pl.opts.extract;
	if (ps->pool) {
		pool_submit(ps->pool, j);
		return;
	}
	prepare_job(j);
	finish(ps, j);
}

static void take(char **dst, char **src)
{
	*dst = *src;
	*src = NULL;
}

static void on_done(void *ctx, struct cw_fetch_multi_result *r)
{
	struct pass *ps = ctx;
	struct page *p = r->userdata;
	struct job *j = p->job;

	p->rc = r->rc;
	if (r->rc)
		snprintf(p->msg, sizeof(p->msg), "%s",
			 r->err.msg[0] ? r->err.msg : cw_rc_name(r->rc));
	p->status = r->res.status;
	p->seconds = r->res.seconds;
	p->body = cw_buf_detach(&r->res.body, &p->len);
	take(&p->final_url, &r->res.final_url);
	take(&p->content_type, &r->res.content_type);
	take(&p->charset, &r->res.charset);
	take(&p->etag, &r->res.etag);
	take(&p->last_modified, &r->res.last_modified);
	if (--j->remaining == 0 && !ps->fatal)
		complete(ps, j);
}

/* Prepare the job of document `d`; false (and the failure recorded) when
 * its declaration cannot be read. */
static bool job_init(struct pass *ps, struct job *j, struct cw_store_mon_doc *d)
{
	struct cw_err e = CW_ERR_INIT;

	memset(j, 0, sizeof(*j));
	j->d = d;
	cw_pipeline_prepared_init(&j->prep);
	if (cw_decl_doc_from_json(&j->svc, d->doc.service, d->doc.type,
				  d->doc.decl_json, &e) ||
	    j->svc->n_docs == 0 || j->svc->docs[0].n_sources == 0) {
		time_t t = time(NULL);
		char now[CW_TIME_ISO];

		cw_time_iso(t, now);
		ps->st->checked++;
		ps->st->failed++;
		if (!e.msg[0])
			cw_err_set(&e, CW_EINVAL,
				   "declaration without a page to fetch");
		int rc = fail(ps, j, now, t, NULL, 0, e.rc ? e.rc : CW_EINVAL,
			      e.msg, 0, true);
		if (rc && !ps->fatal)
			ps->fatal = rc;
		job_release(j);
		j->done = true;
		return false;
	}
	j->n = j->svc->docs[0].n_sources;
	j->remaining = j->n;
	j->pages = cw_calloc(j->n, sizeof(*j->pages));
	for (size_t i = 0; i < j->n; i++) {
		const struct cw_decl_source *src = &j->svc->docs[0].sources[i];

		j->pages[i].job = j;
		j->pages[i].url = src->fetch;
		if (src->execute_client_scripts == 1 && ps->m->cfg->use_browser)
			j->browser = true;
	}
	return true;
}

/* Queue the pages of `j` in the engine. */
static void job_queue(struct pass *ps, struct cw_fetch_multi *eng,
		      struct job *j)
{
	const struct cw_store_mon *mon = &j->d->mon;

	ps->active++;
	for (size_t i = 0; i < j->n; i++) {
		struct cw_fetch_multi_req rq = { j->pages[i].url, NULL, NULL,
						 &j->pages[i] };
		struct cw_err e = CW_ERR_INIT;

		/* validators only for single pages: a 304 for one page of a
		 * combine would leave the others without bytes to extract */
		if (j->n == 1) {
			rq.if_none_match = mon->etag;
			rq.if_modified_since = mon->last_modified;
		}
		if (cw_fetch_multi_add(eng, &rq, &e)) {
			j->pages[i].rc = e.rc ? e.rc : CW_EINVAL;
			snprintf(j->pages[i].msg, sizeof(j->pages[i].msg), "%s",
				 e.msg);
			if (--j->remaining == 0 && !ps->fatal)
				complete(ps, j);
		}
	}
}

/* Fetch a document with Chromium pages, one page after the other. */
static void job_browser(struct pass *ps, struct job *j)
{
	const struct cw_monitor_config *cfg = ps->m->cfg;

	ps->active++;
	for (size_t i = 0; i < j->n; i++) {
		const struct cw_decl_source *src = &j->svc->docs[0].sources[i];
		struct cw_fetch_result r;
		struct cw_err e = CW_ERR_INIT;
		struct page *p = &j->pages[i];

		cw_fetch_result_init(&r);
		if (src->execute_client_scripts == 1) {
			struct cw_fetch_browser_opts bo =
				CW_FETCH_BROWSER_OPTS_INIT;
			bo.timeout_ms = cfg->timeout_ms;
			bo.allow_private = cfg->allow_private;
			bo.max_bytes = (size_t)cfg->max_bytes;
			bo.user_agent = cfg->user_agent;
			p->rc = cw_fetch_browser(&r, src->fetch, &bo, &e);
		} else {
			struct cw_fetch_opts fo = ps->m->pl.opts.fetch;
			p->rc = cw_fetch_url(&r, src->fetch, &fo, &e);
		}
		if (p->rc)
			snprintf(p->msg, sizeof(p->msg), "%s", e.msg);
		p->status = r.status;
		p->seconds = r.seconds;
		p->body = cw_buf_detach(&r.body, &p->len);
		take(&p->final_url, &r.final_url);
		take(&p->content_type, &r.content_type);
		take(&p->charset, &r.charset);
		cw_fetch_result_release(&r);
		if (p->rc)
			break;
	}
	j->remaining = 0;
	complete(ps, j);
}

static void fetch_opts(const struct cw_monitor_config *cfg,
		       struct cw_fetch_opts *fo)
{
	fo->connect_timeout_ms = cfg->connect_timeout_ms;
	fo->timeout_ms = cfg->timeout_ms;
	fo->max_bytes = (size_t)cfg->max_bytes;
	fo->allow_private = cfg->allow_private;
	if (cfg->user_agent)
		fo->user_agent = cfg->user_agent;
}

int cw_monitor_deliver(struct cw_monitor *m, struct cw_monitor_stats *stats,
		       struct cw_err *err)
{
	struct cw_notify_opts no;

	cw_monitor_notify_opts(m->cfg, &no);
	no.stop = m->stop;
	return cw_notify_deliver(m->store, &no, 0, &stats->delivery, err);
}

int cw_monitor_pass(struct cw_monitor *m, bool force,
		    struct cw_monitor_stats *stats, struct cw_err *err)
{
	const struct cw_monitor_config *cfg = m->cfg;
	struct cw_fetch_multi_opts mo = CW_FETCH_MULTI_OPTS_INIT;
	struct cw_fetch_multi_stats ms;
	struct cw_fetch_multi *eng = NULL;
	struct cw_store_mon_doc *docs = NULL;
	struct job *jobs = NULL;
	struct pass ps;
	struct timespec t0, t1;
	char now[CW_TIME_ISO];
	size_t n = 0, next = 0, window;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&ps, 0, sizeof(ps));
	ps.m = m;
	ps.st = stats;
	ps.err = err;
	ps.seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	fetch_opts(cfg, &m->pl.opts.fetch);
	m->pl.opts.use_browser = cfg->use_browser;
	m->pl.opts.extract.pdf_timeout_ms = cfg->pdf_timeout_ms;
	m->pl.opts.extract.pdf_memory_mb = cfg->pdf_memory_mb;
	m->pl.opts.extract.stop = m->stop;
	m->pl.guard.blocked_ratio = cfg->blocked_ratio;
	m->pl.guard.blocked_min_bytes = cfg->blocked_min_bytes;
	cw_time_now_iso(now);
	rc = cw_store_mon_list(m->store, force ? "9999-12-31T23:59:59Z" : now,
			       &docs, &n, err);
	if (rc)
		return rc;
	stats->due += n;
	mo.fetch = m->pl.opts.fetch;
	mo.max_transfers = cfg->max_transfers;
	mo.max_per_host = cfg->max_per_host;
	mo.host_delay_ms = cfg->host_delay_ms;
	mo.max_attempts = cfg->fetch_attempts;
	mo.max_inflight_bytes = (size_t)cfg->max_inflight_bytes;
	mo.on_done = on_done;
	mo.ctx = &ps;
	if (n) {
		rc = cw_fetch_multi_new(&eng, &mo, err);
		if (rc)
			goto done;
	}
	if (n && cfg->workers) {
		ps.pool = pool_new(cfg->workers,
				   (size_t)cfg->extract_budget_bytes, eng);
		if (!ps.pool->n) { /* no thread could start: do it here */
			pool_free(ps.pool);
			ps.pool = NULL;
		}
	}
	jobs = cw_calloc(n ? n : 1, sizeof(*jobs));
	/*
	 * Documents are queued a window at a time: enough to keep every
	 * transfer slot busy while the rest wait as rows, not as parsed
	 * declarations and curl handles.
	 */
	window = (size_t)cfg->max_transfers * 4 + 16;
	for (;;) {
		size_t pending = 0;
		bool full;

		drain(&ps, false);
		batch_flush(&ps, false);
		full = ps.pool && pool_backlog(ps.pool) >= ps.pool->max_backlog;
		while (!full && !ps.fatal && next < n && ps.active < window &&
		       !(m->stop && *m->stop)) {
			struct job *j = &jobs[next];

			if (job_init(&ps, j, &docs[next]) && !j->browser)
				job_queue(&ps, eng, j);
			next++;
		}
		if (!eng || ps.fatal || (m->stop && *m->stop))
			break;
		if (full) {
			/* back-pressure: the workers are behind; transfers
			 * wait (in the kernel's buffers) until they catch up */
			drain(&ps, true);
			continue;
		}
		rc = cw_fetch_multi_step(eng, 200, &pending, err);
		if (rc)
			goto done;
		if (pending == 0 && next >= n) {
			/* the last documents may still be on the workers */
			while (ps.pool && pool_backlog(ps.pool) && !ps.fatal)
				drain(&ps, true);
			break;
		}
	}
	/* script-rendered documents, one at a time (seconds each: the batch
	 * is committed after each) */
	batch_flush(&ps, true);
	for (size_t i = 0; i < next && !ps.fatal && !(m->stop && *m->stop);
	     i++) {
		if (!jobs[i].done && jobs[i].browser)
			job_browser(&ps, &jobs[i]);
		while (ps.pool && pool_backlog(ps.pool) && !ps.fatal)
			drain(&ps, true);
		batch_flush(&ps, true);
	}
	while (ps.pool && pool_backlog(ps.pool) && !ps.fatal)
		drain(&ps, true);
	batch_flush(&ps, true);
	if (eng) {
		cw_fetch_multi_stats(&ms, eng);
		stats->retries += ms.retries;
	}
	if (ps.fatal) {
		rc = ps.fatal;
		goto done;
	}
	if (m->deliverer)
		cw_monitor_deliverer_wake(m);
	else if (!(m->stop && *m->stop))
		rc = cw_monitor_deliver(m, stats, err);
done:
	if (ps.pool) {
		/* stopped early: let the workers finish what they hold, then
		 * drop it unrecorded (those documents stay due) */
		pool_free(ps.pool);
		ps.pool = NULL;
	}
	/* what was recorded whole is kept, also when the pass stops early */
	batch_flush(&ps, true);
	cw_fetch_multi_free(eng);
	for (size_t i = 0; i < n; i++)
		if (!jobs[i].done)
			job_release(&jobs[i]);
	free(jobs);
	cw_store_mon_docs_free(docs, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	stats->seconds += (double)(t1.tv_sec - t0.tv_sec) +
			  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return rc;
}
