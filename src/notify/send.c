/*
 * send: the alerts of one delivery run, sent concurrently (notify_int.h).
 *
 * Every alert is an item: queued (FIFO) until a slot is free, both overall
 * (o->concurrency) and for its receiver (CW_NOTIFY_PER_ORIGIN), then a
 * transfer on one libcurl multi handle, set up by its channel (webhook.c,
 * email.c) at the moment it starts, so that a webhook's signed timestamp
 * is the time it was sent. Each transfer is bounded by its own timeout
 * (o->timeout_ms); a receiver that hangs holds its slots until then, while
 * the other transfers go on. The caller drives the handle a bounded wait
 * at a time and looks at the stop flag and the deadline in between, so a
 * run ends within one wait of either.
 *
 * The outbox and the digests both deliver through here; it calls only the
 * channels.
 */
#include "notify_int.h"

struct item {
	struct item *next; /* in the queue or the running list */
	struct notify_xfer x;
	char *channel, *target, *secret, *idem_key;
	char *body; /* what to send, until it starts */
	size_t len;
	char *origin; /* the receiver, for CW_NOTIFY_PER_ORIGIN */
	notify_done_fn *done;
	void *ctx;
};

struct notify_batch {
	const struct cw_notify_opts *o;
	CURLM *cm;
	struct item *queue, *queue_tail; /* not started yet, oldest first */
	struct item *running;
	size_t nqueued, nrunning;
	unsigned concurrency;
	long deadline; /* monotonic ms; 0: none */
};

int cw_notify_batch_new(struct notify_batch **out,
			const struct cw_notify_opts *o, struct cw_err *err)
{
	struct notify_batch *b;

	*out = NULL;
	if (cw_fetch_global_init())
		return cw_err_set(err, CW_ERROR,
				  "delivery: libcurl failed to start");
	b = cw_calloc(1, sizeof(*b));
	b->o = o;
	b->cm = curl_multi_init();
	if (!b->cm) {
		free(b);
		return cw_err_set(err, CW_ERROR,
				  "delivery: curl_multi_init failed");
	}
	b->concurrency = o->concurrency ? o->concurrency : 16;
	if (o->deadline_s > 0)
		b->deadline = cw_time_mono_ms() + o->deadline_s * 1000;
	*out = b;
	return CW_OK;
}

/* "scheme://host:port" of a URL (the URL itself when it does not
 * parse: it fails at setup anyway). Owned. */
static char *origin_of(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *o;

	if (!u)
		abort();
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
		    CURLUE_OK)
		o = cw_asprintf("%s://%s:%s", scheme, host, port);
	else
		o = cw_strdup(url);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return o;
}

/* Tell the item's owner how it came out, and free it. */
static void finish(struct item *it, const struct notify_outcome *r)
{
	it->done(it->ctx, r);
	notify_xfer_release(&it->x);
	free(it->channel);
	free(it->target);
	free(it->secret);
	free(it->idem_key);
	free(it->body);
	free(it->origin);
	free(it);
}

static void finish_rc(struct item *it, int rc, const char *msg)
{
	struct notify_outcome r = { rc, msg ? msg : "", false, false, false };

	finish(it, &r);
}

void cw_notify_batch_add(struct notify_batch *b, const struct cw_store_sub *sub,
			 const char *idem_key, char *json, const char *subject,
			 const char *text, const char *html,
			 notify_done_fn *done, void *ctx)
{
	const struct cw_notify_opts *o = b->o;
	struct item *it = cw_calloc(1, sizeof(*it));
	struct cw_err e = CW_ERR_INIT;

	it->done = done;
	it->ctx = ctx;
	it->channel = cw_strdup(sub->channel);
	it->target = cw_strdup(sub->target ? sub->target : "");
	it->idem_key = cw_strdup(idem_key);
	if (!strcmp(sub->channel, "webhook")) {
		it->secret = cw_strdup(sub->secret ? sub->secret : "");
		it->body = json ? json : cw_strdup("");
		it->len = strlen(it->body);
		it->origin = origin_of(it->target);
	} else if (!strcmp(sub->channel, "email")) {
		struct cw_buf msg = CW_BUF_INIT;

		free(json);
		cw_notify_email_build(
			&msg,
			o->smtp_from ? o->smtp_from : "clausewatch@localhost",
			sub->target, subject ? subject : "", idem_key,
			text ? text : "", html ? html : "");
		it->body = cw_buf_detach(&msg, &it->len);
		/* one SMTP server takes every message */
		it->origin = cw_strdup(o->smtp_url ? o->smtp_url : "");
	} else if (!strcmp(sub->channel, "feed")) {
		/* the feed is rendered from the outbox itself */
		free(json);
		finish_rc(it, CW_OK, NULL);
		return;
	} else {
		free(json);
		cw_err_set(&e, CW_EINVAL,
			   "subscription %lld: unknown channel "
			   "'%s'",
			   (long long)sub->id, sub->channel);
		finish_rc(it, e.rc, e.msg);
		return;
	}
	if (b->queue_tail)
		b->queue_tail->next = it;
	else
		b->queue = it;
	b->queue_tail = it;
	b->nqueued++;
}

size_t cw_notify_batch_held(const struct notify_batch *b)
{
	return b->nqueued + b->nrunning;
}

bool cw_notify_batch_over(const struct notify_batch *b)
{
	if (b->o->stop && *b->o->stop)
		return true;
	return b->deadline && cw_time_mono_ms() >= b->deadline;
}

static size_t running_to(const struct notify_batch *b, const char *origin)
{
	size_t n = 0;

	for (const struct item *r = b->running; r; r = r->next)
		if (!strcmp(r->origin, origin))
			n++;
	return n;
}

/* Set the item's transfer up now (its signature's time is now) and hand
 * it to the multi handle. */
static void start(struct notify_batch *b, struct item *it)
{
	struct cw_err e = CW_ERR_INIT;
	char *body = it->body;
	int rc;

	it->body = NULL; /* the transfer owns it from here */
	if (!strcmp(it->channel, "webhook"))
		rc = cw_notify_webhook_setup(&it->x, it->target, it->secret,
					     it->idem_key, body, it->len,
					     (int64_t)time(NULL), b->o, &e);
	else
		rc = cw_notify_email_setup(&it->x, b->o, it->target, body,
					   it->len, &e);
	if (!rc) {
		curl_easy_setopt(it->x.h, CURLOPT_PRIVATE, it);
		if (curl_multi_add_handle(b->cm, it->x.h) != CURLM_OK)
			rc = cw_err_set(&e, CW_ERROR,
					"'%s': curl_multi_add_handle failed",
					it->target);
	}
	if (rc) {
		finish_rc(it, rc, e.msg);
		return;
	}
	it->next = b->running;
	b->running = it;
	b->nrunning++;
}

/* Start queued items, oldest first, wherever a slot is free: an item
 * whose receiver is at its cap waits without holding up the others. */
static void start_ready(struct notify_batch *b)
{
	struct item **pp = &b->queue, *prev = NULL;

	while (*pp && b->nrunning < b->concurrency) {
		struct item *it = *pp;

		if (running_to(b, it->origin) >= CW_NOTIFY_PER_ORIGIN) {
			prev = it;
			pp = &it->next;
			continue;
		}
		*pp = it->next;
		if (b->queue_tail == it)
			b->queue_tail = prev;
		it->next = NULL;
		b->nqueued--;
		start(b, it);
	}
}

static void unlink_running(struct notify_batch *b, struct item *it)
{
	for (struct item **pp = &b->running; *pp; pp = &(*pp)->next)
		if (*pp == it) {
			*pp = it->next;
			b->nrunning--;
			break;
		}
	it->next = NULL;
}

int cw_notify_batch_step(struct notify_batch *b, long wait_ms,
			 struct cw_err *err)
{
	CURLMcode mc;
	CURLMsg *msg;
	int still = 0, left = 0;

	start_ready(b);
	if (!b->nrunning)
		return CW_OK;
	if (b->deadline) {
		long rest = b->deadline - cw_time_mono_ms();

		if (rest < wait_ms)
			wait_ms = rest < 0 ? 0 : rest;
	}
	/* a signal interrupts the poll (EINTR counts as no activity), and
	 * the wait is short anyway: the caller looks at the stop flag */
	mc = curl_multi_poll(b->cm, NULL, 0, (int)wait_ms, NULL);
	if (mc == CURLM_OK)
		mc = curl_multi_perform(b->cm, &still);
	if (mc != CURLM_OK)
		return cw_err_set(err, CW_ERROR, "delivery: %s",
				  curl_multi_strerror(mc));
	while ((msg = curl_multi_info_read(b->cm, &left))) {
		struct cw_err e = CW_ERR_INIT;
		struct item *it = NULL;
		long status = 0;
		int rc;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&it);
		if (!it)
			continue;
		rc = (int)msg->data.result; /* msg is not valid past the
					     * removal */
		curl_multi_remove_handle(b->cm, it->x.h);
		unlink_running(b, it);
		if (!strcmp(it->channel, "webhook"))
			rc = cw_notify_webhook_result(&it->x, it->target, rc,
						      &status, &e);
		else
			rc = cw_notify_email_result(&it->x, b->o, it->target,
						    rc, &e);
		finish_rc(it, rc, e.msg);
	}
	start_ready(b);
	return CW_OK;
}

/* Cut an item that did not finish, naming its receiver. */
static void cut(struct item *it, bool started, bool stopped, long deadline_s)
{
	struct notify_outcome r = { CW_ETIMEOUT, "", true, started, stopped };
	char msg[CW_ERR_MSG_MAX];

	if (stopped)
		snprintf(msg, sizeof(msg), "%s '%s': stopped before an answer",
			 it->channel, it->target);
	else
		snprintf(msg, sizeof(msg),
			 "%s '%s': no answer before the delivery deadline "
			 "(%ld s)",
			 it->channel, it->target, deadline_s);
	r.msg = msg;
	finish(it, &r);
}

void cw_notify_batch_free(struct notify_batch *b)
{
	struct item *it, *next;
	bool stopped;

	if (!b)
		return;
	stopped = b->o->stop && *b->o->stop;
	for (it = b->running; it; it = next) {
		next = it->next;
		curl_multi_remove_handle(b->cm, it->x.h);
		cut(it, true, stopped, b->o->deadline_s);
	}
	for (it = b->queue; it; it = next) {
		next = it->next;
		cut(it, false, stopped, b->o->deadline_s);
	}
	curl_multi_cleanup(b->cm);
	free(b);
}
