/*
 * multi: the monitor's fetch engine on libcurl's multi interface.
 * See multi.h for the contract.
 *
 * Structure: every request is a job. A job waits in its host's FIFO queue
 * until the host has a free slot and its politeness delay has passed, runs
 * as an easy handle inside the multi handle, and on completion either ends
 * (on_done) or goes to the `delayed` list with a due time for a retry;
 * due retries go back to the head of their host's queue.
 */
#include "multi.h"
#include "fetch_int.h"

#include <ctype.h>
#include <time.h>

struct host;

struct job {
	struct cw_fetch_multi *m;
	struct host *host;
	char *url, *inm, *ims;
	void *userdata;
	unsigned attempts;
	long ready_at;	      /* monotonic ms, for delayed retries */
	struct job *next;     /* host queue, delayed list or running */
	struct job *prev_run; /* running list is doubly linked */
	struct cw_fetch_xfer x;
	struct cw_fetch_result res;
	size_t held; /* body bytes counted in m->inflight */
	bool paused;
};

struct host {
	char *name;
	size_t active;
	long next_start;	 /* monotonic ms */
	struct job *head, *tail; /* waiting to start */
};

struct cw_fetch_multi {
	CURLM *cm;
	struct cw_fetch_multi_opts o;
	struct host **hosts;
	size_t nhosts, caphosts;
	size_t rr;	     /* round-robin start among hosts */
	struct job *delayed; /* unordered; short in practice */
	struct job *running; /* doubly linked */
	size_t nrunning, npaused, nqueued, ndelayed;
	size_t inflight; /* body bytes held by running jobs */
	uint64_t rng;
	struct cw_fetch_multi_stats st;
};

/* splitmix64 (Steele, Lea, Flood 2014), for backoff jitter only */
static uint64_t next_rand(struct cw_fetch_multi *m)
{
	return cw_splitmix64(&m->rng);
}

int cw_fetch_multi_new(struct cw_fetch_multi **out,
		       const struct cw_fetch_multi_opts *opts,
		       struct cw_err *err)
{
	static const struct cw_fetch_multi_opts defaults =
		CW_FETCH_MULTI_OPTS_INIT;
	struct cw_fetch_multi *m;
	struct timespec ts;

	*out = NULL;
	if (!opts || !opts->on_done)
		return cw_err_set(err, CW_EINVAL,
				  "fetch engine: an on_done callback is "
				  "required");
	if (cw_fetch_global_init())
		return cw_err_set(err, CW_ERROR,
				  "fetch engine: libcurl failed to start");
	m = cw_calloc(1, sizeof(*m));
	m->o = *opts;
#define DEF(f)                               \
	do {                                 \
		if (!m->o.f)                 \
			m->o.f = defaults.f; \
	} while (0)
	DEF(max_transfers);
	DEF(max_per_host);
	DEF(max_attempts);
	DEF(backoff_ms);
	DEF(backoff_max_ms);
	DEF(max_inflight_bytes);
	DEF(fetch.max_bytes);
	DEF(fetch.timeout_ms);
	DEF(fetch.connect_timeout_ms);
#undef DEF
	if (m->o.host_delay_ms < 0)
		m->o.host_delay_ms = 0;
	m->o.fetch.if_none_match = m->o.fetch.if_modified_since = NULL;
	m->cm = curl_multi_init();
	if (!m->cm) {
		free(m);
		return cw_err_set(err, CW_ERROR,
				  "fetch engine: curl_multi_init failed");
	}
	curl_multi_setopt(m->cm, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(m->cm, CURLMOPT_MAX_HOST_CONNECTIONS,
			  (long)m->o.max_per_host);
	/* keep enough idle connections around to reuse them across passes */
	curl_multi_setopt(m->cm, CURLMOPT_MAXCONNECTS,
			  (long)m->o.max_transfers + 16);
	clock_gettime(CLOCK_REALTIME, &ts);
	m->rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
		 (uint64_t)(uintptr_t)m;
	*out = m;
	return CW_OK;
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	cw_fetch_xfer_release(&j->x);
	cw_fetch_result_release(&j->res);
	free(j->url);
	free(j->inm);
	free(j->ims);
	free(j);
}

void cw_fetch_multi_free(struct cw_fetch_multi *m)
{
	struct job *j, *n;

	if (!m)
		return;
	for (j = m->running; j; j = n) {
		n = j->next;
		curl_multi_remove_handle(m->cm, j->x.h);
		job_free(j);
	}
	for (j = m->delayed; j; j = n) {
		n = j->next;
		job_free(j);
	}
	for (size_t i = 0; i < m->nhosts; i++) {
		for (j = m->hosts[i]->head; j; j = n) {
			n = j->next;
			job_free(j);
		}
		free(m->hosts[i]->name);
		free(m->hosts[i]);
	}
	free(m->hosts);
	curl_multi_cleanup(m->cm);
	free(m);
}

/*
 * The politeness key: the URL's host name, lower-case. Linear search: an
 * engine sees hundreds of hosts at most, and this runs once per add.
 */
static struct host *host_get(struct cw_fetch_multi *m, const char *name)
{
	struct host *h;

	for (size_t i = 0; i < m->nhosts; i++)
		if (strcmp(m->hosts[i]->name, name) == 0)
			return m->hosts[i];
	CW_GROW(m->hosts, m->caphosts, m->nhosts + 1);
	h = cw_calloc(1, sizeof(*h));
	h->name = cw_strdup(name);
	m->hosts[m->nhosts++] = h;
	return h;
}

int cw_fetch_multi_add(struct cw_fetch_multi *m,
		       const struct cw_fetch_multi_req *req, struct cw_err *err)
{
	CURLU *u;
	char *hostname = NULL;
	struct job *j;

	if (!req || !req->url || !*req->url)
		return cw_err_set(err, CW_EINVAL, "fetch engine: empty URL");
	u = curl_url();
	if (!u)
		abort();
	if (curl_url_set(u, CURLUPART_URL, req->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &hostname, 0) != CURLUE_OK ||
	    !hostname || !*hostname) {
		curl_free(hostname);
		curl_url_cleanup(u);
		return cw_err_set(err, CW_EINVAL, "'%s': not a URL with a host",
				  req->url);
	}
	for (char *p = hostname; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	j = cw_calloc(1, sizeof(*j));
	j->m = m;
	j->host = host_get(m, hostname);
	curl_free(hostname);
	curl_url_cleanup(u);
	j->url = cw_strdup(req->url);
	j->inm = req->if_none_match ? cw_strdup(req->if_none_match) : NULL;
	j->ims = req->if_modified_since ? cw_strdup(req->if_modified_since)
					: NULL;
	j->userdata = req->userdata;
	cw_fetch_result_init(&j->res);
	if (j->host->tail)
		j->host->tail->next = j;
	else
		j->host->head = j;
	j->host->tail = j;
	m->nqueued++;
	m->st.added++;
	return CW_OK;
}

/* ---- the global memory cap ---- */

static bool gate(void *ctx, struct cw_fetch_xfer *x, size_t n)
{
	struct job *j = ctx;
	struct cw_fetch_multi *m = j->m;

	(void)x;
	/*
	 * Over the cap, pause this transfer unless it is the last one still
	 * receiving: someone must progress and release memory, or paused
	 * transfers would wait for each other forever.
	 */
	if (m->inflight + n > m->o.max_inflight_bytes &&
	    m->nrunning - m->npaused > 1) {
		j->paused = true;
		m->npaused++;
		m->st.pauses++;
		return true;
	}
	m->inflight += n;
	j->held += n;
	if (m->inflight > m->st.peak_inflight_bytes)
		m->st.peak_inflight_bytes = m->inflight;
	return false;
}

static void resume_paused(struct cw_fetch_multi *m)
{
	struct job *j, *n;

	for (j = m->running; j && m->npaused; j = n) {
		n = j->next;
		if (!j->paused)
			continue;
		if (m->inflight >= m->o.max_inflight_bytes)
			break;
		j->paused = false;
		m->npaused--;
		/* may call the write callback (and gate) right away */
		curl_easy_pause(j->x.h, CURLPAUSE_CONT);
	}
}

/* ---- starting ---- */

static void run_link(struct cw_fetch_multi *m, struct job *j)
{
	j->prev_run = NULL;
	j->next = m->running;
	if (m->running)
		m->running->prev_run = j;
	m->running = j;
}

static void run_unlink(struct cw_fetch_multi *m, struct job *j)
{
	if (j->prev_run)
		j->prev_run->next = j->next;
	else
		m->running = j->next;
	if (j->next)
		j->next->prev_run = j->prev_run;
	j->next = j->prev_run = NULL;
}

static void complete(struct cw_fetch_multi *m, struct job *j, int rc,
		     const struct cw_err *e);

static void start(struct cw_fetch_multi *m, struct job *j, long now)
{
	struct cw_fetch_opts fo = m->o.fetch;
	struct cw_err e = CW_ERR_INIT;
	int rc;

	fo.if_none_match = j->inm;
	fo.if_modified_since = j->ims;
	j->attempts++;
	j->host->next_start = now + m->o.host_delay_ms;
	cw_fetch_result_release(&j->res);
	cw_fetch_result_init(&j->res);
	rc = cw_fetch_xfer_setup(&j->x, &j->res, j->url, &fo, &e);
	if (!rc) {
		j->x.gate = gate;
		j->x.gate_ctx = j;
		curl_easy_setopt(j->x.h, CURLOPT_PRIVATE, j);
		/* wait for a connection that may multiplex rather than open
		 * another one */
		curl_easy_setopt(j->x.h, CURLOPT_PIPEWAIT, 1L);
		if (curl_multi_add_handle(m->cm, j->x.h) != CURLM_OK)
			rc = cw_err_set(&e, CW_ERROR,
					"'%s': curl_multi_add_handle failed",
					j->url);
	}
	if (rc) {
		complete(m, j, rc, &e);
		return;
	}
	j->host->active++;
	m->nrunning++;
	run_link(m, j);
	if (j->host->active > m->st.peak_per_host)
		m->st.peak_per_host = j->host->active;
	if (m->nrunning > m->st.peak_running)
		m->st.peak_running = m->nrunning;
}

static void start_ready(struct cw_fetch_multi *m)
{
	long now = cw_time_mono_ms();
	struct job **pp = &m->delayed;

	/* due retries go back to the front of their host's queue */
	while (*pp) {
		struct job *j = *pp;

		if (j->ready_at > now) {
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		m->ndelayed--;
		j->next = j->host->head;
		j->host->head = j;
		if (!j->host->tail)
			j->host->tail = j;
		m->nqueued++;
	}
	for (size_t k = 0; k < m->nhosts && m->nqueued; k++) {
		struct host *h = m->hosts[(m->rr + k) % m->nhosts];

		while (h->head && m->nrunning < m->o.max_transfers &&
		       h->active < m->o.max_per_host && h->next_start <= now &&
		       m->inflight < m->o.max_inflight_bytes) {
			struct job *j = h->head;

			h->head = j->next;
			if (!h->head)
				h->tail = NULL;
			j->next = NULL;
			m->nqueued--;
			start(m, j, now);
			if (m->o.host_delay_ms > 0)
				break; /* next start to this host is later */
		}
	}
	if (m->nhosts)
		m->rr = (m->rr + 1) % m->nhosts;
}

/* How long until something queued or delayed may start (ms, capped). */
static long next_due(const struct cw_fetch_multi *m, long cap)
{
	long now = cw_time_mono_ms(), best = cap;

	for (const struct job *j = m->delayed; j; j = j->next)
		if (j->ready_at - now < best)
			best = j->ready_at - now;
	if (m->nqueued && m->nrunning < m->o.max_transfers &&
	    m->inflight < m->o.max_inflight_bytes)
		for (size_t i = 0; i < m->nhosts; i++) {
			const struct host *h = m->hosts[i];

			if (h->head && h->active < m->o.max_per_host &&
			    h->next_start - now < best)
				best = h->next_start - now;
		}
	return best < 0 ? 0 : best;
}

/* ---- completion and retries ---- */

static bool transient(int rc, CURLcode code, long status)
{
	if (rc == CW_EHTTP)
		return status == 408 || status == 429 || status == 500 ||
		       status == 502 || status == 503 || status == 504;
	if (rc == CW_ETIMEOUT)
		return true;
	if (rc != CW_ENET)
		return false;
	switch (code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_OPERATION_TIMEDOUT:
		return true;
	default:
		return false;
	}
}

/*
 * Exponential backoff with "equal jitter": half the exponential delay
 * plus a random part of the other half, so that clients that failed
 * together do not retry together (M. Brooker, "Exponential Backoff And
 * Jitter", AWS Architecture Blog, 2015).
 */
static long backoff(struct cw_fetch_multi *m, unsigned attempt)
{
	long d = m->o.backoff_ms;

	for (unsigned i = 1; i < attempt && d < m->o.backoff_max_ms; i++)
		d *= 2;
	if (d > m->o.backoff_max_ms)
		d = m->o.backoff_max_ms;
	return d / 2 + (long)(next_rand(m) % (uint64_t)(d / 2 + 1));
}

static void complete(struct cw_fetch_multi *m, struct job *j, int rc,
		     const struct cw_err *e)
{
	struct cw_fetch_multi_result r;

	memset(&r, 0, sizeof(r));
	r.url = j->url;
	r.userdata = j->userdata;
	r.rc = rc;
	if (e)
		r.err = *e;
	r.attempts = j->attempts;
	r.res = j->res;
	cw_fetch_result_init(&j->res);
	m->st.completed++;
	if (rc == CW_OK || rc == CW_EUNCHANGED)
		m->st.ok++;
	m->o.on_done(m->o.ctx, &r);
	cw_fetch_result_release(&r.res);
	job_free(j);
}

static void finish(struct cw_fetch_multi *m, struct job *j, CURLcode code)
{
	struct cw_err e = CW_ERR_INIT;
	curl_off_t retry_after = 0;
	int rc;

	curl_multi_remove_handle(m->cm, j->x.h);
	run_unlink(m, j);
	m->nrunning--;
	if (j->paused) {
		j->paused = false;
		m->npaused--;
	}
	j->host->active--;
	m->inflight -= j->held;
	j->held = 0;

	rc = cw_fetch_xfer_finish(&j->x, code, j->url, &e);
	curl_easy_getinfo(j->x.h, CURLINFO_RETRY_AFTER, &retry_after);
	cw_fetch_xfer_release(&j->x);
	resume_paused(m);

	if (rc && transient(rc, code, j->res.status)) {
		long delay = backoff(m, j->attempts);

		if (retry_after > 0 && retry_after * 1000 > delay)
			delay = retry_after * 1000 > LONG_MAX / 2
					? LONG_MAX / 2
					: (long)(retry_after * 1000);
		if (j->attempts >= m->o.max_attempts) {
			cw_err_prefix(&e, "after %u attempts: ", j->attempts);
		} else if (delay > m->o.backoff_max_ms) {
			cw_err_prefix(&e,
				      "not retried (Retry-After %lds is past "
				      "the %ld ms limit): ",
				      (long)retry_after, m->o.backoff_max_ms);
		} else {
			j->ready_at = cw_time_mono_ms() + delay;
			j->next = m->delayed;
			m->delayed = j;
			m->ndelayed++;
			m->st.retries++;
			return;
		}
	}
	complete(m, j, rc, &e);
}

int cw_fetch_multi_step(struct cw_fetch_multi *m, long wait_ms, size_t *pending,
			struct cw_err *err)
{
	CURLMcode mc;
	CURLMsg *msg;
	int still = 0, left = 0;
	long wait;

	start_ready(m);
	wait = next_due(m, wait_ms < 0 ? 0 : wait_ms);
	if (m->nrunning || wait > 0) {
		/* curl_multi_poll also sleeps when there is nothing to watch */
		mc = curl_multi_poll(m->cm, NULL, 0,
				     (int)(wait > 1000 ? 1000 : wait), NULL);
		if (mc != CURLM_OK)
			return cw_err_set(err, CW_ERROR, "fetch engine: %s",
					  curl_multi_strerror(mc));
	}
	mc = curl_multi_perform(m->cm, &still);
	if (mc != CURLM_OK)
		return cw_err_set(err, CW_ERROR, "fetch engine: %s",
				  curl_multi_strerror(mc));
	while ((msg = curl_multi_info_read(m->cm, &left))) {
		struct job *j = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&j);
		if (j)
			finish(m, j, msg->data.result);
	}
	start_ready(m);
	if (pending)
		*pending = m->nqueued + m->ndelayed + m->nrunning;
	return CW_OK;
}

void cw_fetch_multi_wakeup(struct cw_fetch_multi *m)
{
	if (m)
		curl_multi_wakeup(m->cm);
}

int cw_fetch_multi_run(struct cw_fetch_multi *m, struct cw_err *err)
{
	size_t pending = 1;
	int rc;

	while (pending) {
		rc = cw_fetch_multi_step(m, 1000, &pending, err);
		if (rc)
			return rc;
	}
	return CW_OK;
}

void cw_fetch_multi_stats(struct cw_fetch_multi_stats *out,
			  const struct cw_fetch_multi *m)
{
	*out = m->st;
	out->running = m->nrunning;
	out->pending = m->nqueued + m->ndelayed + m->nrunning;
}
