/*
 * webhook_receiver: a webhook endpoint for the monitor tests, on
 * libmicrohttpd, bound to 127.0.0.1 only. It checks signatures the way the
 * README tells receivers to, and honours idempotency keys the way a
 * careful receiver should: an alert whose key it has seen is acknowledged
 * and not processed again.
 *
 *   webhook_receiver --dir DIR [--secret KEY] [--max-age S] [--delay-ms MS]
 *                    [--fail-first N] [--hang N] [--port P]
 *
 * Prints its port and a newline on stdout when it listens; runs until
 * SIGTERM or SIGINT. For each POST:
 *   - the first N requests (--fail-first) get 503 and are not recorded;
 *   - a missing or malformed Idempotency-Key gets 400;
 *   - the X-Clausewatch-Signature header "t=T,v1=HEX" is verified: HEX
 *     must be HMAC-SHA256 under --secret of "T.body" (compared in
 *     constant time) and T within --max-age seconds of our clock (300
 *     unless given). A request that fails gets 401, is not recorded, and
 *     a line "refused KEY malformed|stale|signature" goes to DIR/log: a
 *     request replayed after --max-age is refused however well signed;
 *   - the next N requests (--hang) are held without an answer until the
 *     receiver stops, after a line "hang KEY" (not recorded: the sender
 *     must send them again);
 *   - a new Idempotency-Key: the body is written to DIR/KEY.json, the
 *     signature header to DIR/KEY.sig, and a line "new KEY valid" is
 *     appended to DIR/log;
 *   - a key seen before: a line "dup KEY" and nothing else;
 *   - then it waits --delay-ms before answering 200, so that a test can
 *     kill the sender after the receiver has the alert and before the
 *     sender hears back.
 * Caps: a body of at most 8 MiB; keys of [A-Za-z0-9._-], at most 128.
 */
#include <pthread.h>

#include "tool_http.h"

#define BODY_MAX (8u << 20)

static const char *out_dir;
static const char *secret = "";
static long delay_ms;
static long max_age = 300;
static atomic_long fail_first;
static atomic_long hang;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct req {
	struct cw_buf body;
	bool too_big;
};

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status,
			      const char *text)
{
	return tool_http_text(c, status, NULL, text);
}

static bool key_ok(const char *k)
{
	size_t n = 0;

	if (!k || !*k)
		return false;
	for (; k[n]; n++) {
		char ch = k[n];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '-'))
			return false;
	}
	return n <= 128;
}

static void log_line(const char *what, const char *key, const char *extra)
{
	char *path = cw_asprintf("%s/log", out_dir);
	FILE *f = fopen(path, "a");

	if (f) {
		fprintf(f, "%s %s%s%s\n", what, key, *extra ? " " : "", extra);
		fclose(f);
	}
	free(path);
}

/* Equal in constant time: how long a prefix matched tells nothing. */
static bool same(const char *a, const char *b, size_t n)
{
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/*
 * The receiver's check, as the README describes it: parse "t=T,v1=HEX",
 * refuse T more than max_age seconds from now, then compare HEX with
 * HMAC-SHA256(secret, "T." + body). NULL when valid, else why not.
 */
static const char *verify(const char *sig, const struct cw_buf *body)
{
	char hex[CW_SHA256_HEX];
	struct cw_buf msg = CW_BUF_INIT;
	const char *v1;
	long long t = 0;
	int digits = 0;
	bool ok;

	if (!sig || strncmp(sig, "t=", 2))
		return "malformed";
	for (const char *p = sig + 2; *p >= '0' && *p <= '9'; p++) {
		if (++digits > 18)
			return "malformed";
		t = t * 10 + (*p - '0');
	}
	v1 = sig + 2 + digits;
	if (!digits || strncmp(v1, ",v1=", 4) ||
	    strlen(v1 + 4) != CW_SHA256_HEX - 1)
		return "malformed";
	v1 += 4;
	if (llabs((long long)time(NULL) - t) > max_age)
		return "stale";
	cw_buf_add(&msg, sig + 2, (size_t)digits);
	cw_buf_addc(&msg, '.');
	cw_buf_add(&msg, body->ptr ? body->ptr : "", body->len);
	cw_hmac_sha256_hex(secret, strlen(secret), msg.ptr, msg.len, hex);
	cw_buf_release(&msg);
	ok = same(hex, v1, CW_SHA256_HEX - 1);
	return ok ? NULL : "signature";
}

/* Take one from a counter that stops at zero. */
static bool take_one(atomic_long *n)
{
	long v = atomic_load(n);

	while (v > 0 && !atomic_compare_exchange_weak(n, &v, v - 1))
		;
	return v > 0;
}

static enum MHD_Result handle(struct MHD_Connection *c, struct req *rq)
{
	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      "Idempotency-Key");
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      "X-Clausewatch-"
						      "Signature");
	const char *why;
	char *path;

	if (take_one(&fail_first))
		return answer(c, 503, "try later\n");
	if (!key_ok(key))
		return answer(c, 400, "missing or bad Idempotency-Key\n");
	why = verify(sig, &rq->body);
	if (why) {
		pthread_mutex_lock(&lock);
		log_line("refused", key, why);
		pthread_mutex_unlock(&lock);
		return answer(c, 401, "bad signature\n");
	}
	if (take_one(&hang)) {
		pthread_mutex_lock(&lock);
		log_line("hang", key, "");
		pthread_mutex_unlock(&lock);
		/* this thread is the connection's: it holds it, unanswered,
		 * until we stop */
		while (!tool_quit)
			tool_sleep_ms(100);
		return MHD_NO;
	}
	path = cw_asprintf("%s/%s.json", out_dir, key);
	pthread_mutex_lock(&lock);
	if (cw_file_exists(path)) {
		log_line("dup", key, "");
	} else {
		char *sigpath = cw_asprintf("%s/%s.sig", out_dir, key);

		/* the signature header as received, for the test to check
		 * with another implementation of HMAC */
		cw_file_write_atomic(sigpath, sig, strlen(sig), NULL);
		free(sigpath);
		cw_file_write_atomic(path, rq->body.ptr ? rq->body.ptr : "",
				     rq->body.len, NULL);
		log_line("new", key, "valid");
	}
	pthread_mutex_unlock(&lock);
	free(path);
	if (delay_ms)
		tool_sleep_ms(delay_ms);
	return answer(c, 200, "ok\n");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	struct req *rq = *state;

	(void)cls;
	(void)url;
	(void)version;
	if (strcmp(method, "POST"))
		return answer(c, 405, "POST only\n");
	if (!rq) {
		rq = cw_calloc(1, sizeof(*rq));
		cw_buf_init(&rq->body, BODY_MAX);
		*state = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (cw_buf_add(&rq->body, upload, *upload_size))
			rq->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->too_big)
		return answer(c, 413, "too big\n");
	return handle(c, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
			 enum MHD_RequestTerminationCode code)
{
	struct req *rq = *state;

	(void)cls;
	(void)c;
	(void)code;
	if (rq) {
		cw_buf_release(&rq->body);
		free(rq);
		*state = NULL;
	}
}

int main(int argc, char **argv)
{
	long fail = 0, port = 0, n_hang = 0;
	const struct tool_opt opts[] = {
		{ "dir", .text = &out_dir },
		{ "secret", .text = &secret },
		{ "max-age", .num = &max_age },
		{ "delay-ms", .num = &delay_ms },
		{ "fail-first", .num = &fail },
		{ "hang", .num = &n_hang },
		{ "port", .num = &port, .max = 65535 },
		{ NULL },
	};
	struct MHD_OptionItem more[] = {
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, 60, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_Daemon *d;

	tool_parse(argc, argv, opts, "webhook_receiver",
		   "webhook_receiver --dir DIR [--secret KEY] [--max-age S] "
		   "[--delay-ms MS] [--fail-first N] [--hang N] [--port P]");
	if (!out_dir) {
		fprintf(stderr, "webhook_receiver: --dir is required\n");
		return 2;
	}
	atomic_store(&fail_first, fail);
	atomic_store(&hang, n_hang);
	tool_signals(NULL);
	d = tool_http_start("webhook_receiver", port, on_request, more);
	tool_wait_quit();
	MHD_stop_daemon(d);
	return 0;
}
