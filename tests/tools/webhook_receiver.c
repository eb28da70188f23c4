/*
 * webhook_receiver: a webhook endpoint for the monitor tests, on
 * libmicrohttpd, bound to 127.0.0.1 only. It honours idempotency keys the
 * way a careful receiver should: an alert whose key it has seen is
 * acknowledged and not processed again.
 *
 *   webhook_receiver --dir DIR [--secret KEY] [--delay-ms MS]
 *                    [--fail-first N] [--port P]
 *
 * Prints its port and a newline on stdout when it listens; runs until
 * SIGTERM or SIGINT. For each POST:
 *   - the first N requests (--fail-first) get 503 and are not recorded;
 *   - a new Idempotency-Key: the body is written to DIR/KEY.json, the
 *     signature header to DIR/KEY.sig, and a
 *     line "new KEY valid|invalid" (the X-Clausewatch-Signature checked
 *     against HMAC-SHA256 of the body under --secret) is appended to
 *     DIR/log;
 *   - a key seen before: a line "dup KEY" and nothing else;
 *   - then it waits --delay-ms before answering 200, so that a test can
 *     kill the sender after the receiver has the alert and before the
 *     sender hears back.
 * Caps: a body of at most 8 MiB; keys of [A-Za-z0-9._-], at most 128.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

#define BODY_MAX (8u << 20)

static const char *out_dir;
static const char *secret = "";
static long delay_ms;
static atomic_long fail_first;
static atomic_int quit;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

struct req {
	struct cw_buf body;
	bool too_big;
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !quit)
		;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status,
			      const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_queue_response(c, status, r);

	MHD_destroy_response(r);
	return ret;
}

static bool key_ok(const char *k)
{
	size_t n = 0;

	if (!k || !*k)
		return false;
	for (; k[n]; n++) {
		char ch = k[n];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
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

static enum MHD_Result handle(struct MHD_Connection *c, struct req *rq)
{
	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      "Idempotency-Key");
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      "X-Clausewatch-Signature");
	char hex[CW_SHA256_HEX], want[8 + CW_SHA256_HEX];
	char *path;
	bool valid;

	if (atomic_load(&fail_first) > 0) {
		atomic_fetch_sub(&fail_first, 1);
		return answer(c, 503, "try later\n");
	}
	if (!key_ok(key))
		return answer(c, 400, "missing or bad Idempotency-Key\n");
	cw_hmac_sha256_hex(secret, strlen(secret), rq->body.ptr ? rq->body.ptr : "",
			   rq->body.len, hex);
	snprintf(want, sizeof(want), "sha256=%s", hex);
	valid = sig && !strcmp(sig, want);
	path = cw_asprintf("%s/%s.json", out_dir, key);
	pthread_mutex_lock(&lock);
	if (cw_file_exists(path)) {
		log_line("dup", key, "");
	} else {
		char *sigpath = cw_asprintf("%s/%s.sig", out_dir, key);

		/* the signature header as received, for the test to check
		 * with another implementation of HMAC */
		cw_file_write_atomic(sigpath, sig ? sig : "", sig ? strlen(sig) : 0,
				     NULL);
		free(sigpath);
		cw_file_write_atomic(path, rq->body.ptr ? rq->body.ptr : "",
				     rq->body.len, NULL);
		log_line("new", key, valid ? "valid" : "invalid");
	}
	pthread_mutex_unlock(&lock);
	free(path);
	if (delay_ms)
		sleep_ms(delay_ms);
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

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "secret", required_argument, NULL, 's' },
		{ "delay-ms", required_argument, NULL, 'w' },
		{ "fail-first", required_argument, NULL, 'f' },
		{ "port", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct sigaction act;
	long port = 0, v;
	int opt;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd': out_dir = optarg; break;
		case 's': secret = optarg; break;
		case 'w':
		case 'f':
		case 'p':
			if (cw_parse_long(optarg, 0, 65535000, &v)) {
				fprintf(stderr, "webhook_receiver: bad number '%s'\n",
					optarg);
				return 2;
			}
			if (opt == 'w')
				delay_ms = v;
			else if (opt == 'f')
				atomic_store(&fail_first, v);
			else
				port = v;
			break;
		default:
			fprintf(stderr, "usage: webhook_receiver --dir DIR [--secret KEY] "
					"[--delay-ms MS] [--fail-first N] [--port P]\n");
			return 2;
		}
	}
	if (!out_dir) {
		fprintf(stderr, "webhook_receiver: --dir is required\n");
		return 2;
	}
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
				     MHD_USE_INTERNAL_POLLING_THREAD,
			     0, NULL, NULL, on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "webhook_receiver: cannot listen on 127.0.0.1:%ld\n",
			port);
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("%u\n", info ? (unsigned)info->port : (unsigned)port);
	fflush(stdout);
	while (!quit)
		sleep_ms(100);
	MHD_stop_daemon(d);
	return 0;
}
