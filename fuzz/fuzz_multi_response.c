/*
 * Fuzz the multi engine's response handling (fetch/multi.c and
 * cw_fetch_xfer_finish): arbitrary bytes as what a server answers. A
 * loopback server in the harness's own thread answers every connection
 * with the input and closes; the engine reaches it as its HTTP proxy, so
 * a fuzzed redirect to any host comes back to the same server and nothing
 * leaves the machine. The first byte chooses the limits (attempts, body
 * cap, validators), the rest is the answer.
 *
 * Checks what the monitor relies on: each request ends with exactly one
 * callback; attempts stay within the limit; CW_OK means a 2xx status and
 * a body within the cap; CW_EUNCHANGED means a 304 to a conditional
 * request; a failure has a message that names the URL; the engine ends
 * with nothing pending.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../src/fetch/multi.h"

#define URL_A "http://docs.example/terms"
#define URL_B "http://docs.example/privacy"

static int listen_fd = -1;
static char proxy_url[64];
static pthread_mutex_t answer_mu = PTHREAD_MUTEX_INITIALIZER;
/* the harness's own copy of the input: a connection the engine gave up
 * on may be answered after the run that made it has returned */
static uint8_t *answer;
static size_t answer_len;

/* Read the request head (or give up after a second), answer, close. */
static void serve_one(int fd)
{
	char buf[8192];
	size_t got = 0;

	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pf, 1, 1000) <= 0)
			break;
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n") || got >= sizeof(buf) - 1)
			break;
	}
	pthread_mutex_lock(&answer_mu);
	for (size_t off = 0; off < answer_len;) {
		ssize_t n =
			send(fd, answer + off, answer_len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	pthread_mutex_unlock(&answer_mu);
	shutdown(fd, SHUT_WR);
	close(fd);
}

static void *server_main(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);
		if (fd >= 0)
			serve_one(fd);
	}
	return NULL;
}

static void start_server(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0 ||
	    bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(listen_fd, 16) ||
	    getsockname(listen_fd, (struct sockaddr *)&sa, &len))
		abort();
	snprintf(proxy_url, sizeof(proxy_url), "http://127.0.0.1:%u",
		 (unsigned)ntohs(sa.sin_port));
	if (pthread_create(&t, NULL, server_main, NULL))
		abort();
	pthread_detach(t);
	if (cw_fetch_global_init())
		abort();
}

struct seen {
	unsigned max_attempts;
	size_t max_bytes;
	size_t done_a, done_b;
};

static void on_done(void *ctx, struct cw_fetch_multi_result *r)
{
	struct seen *s = ctx;
	bool is_a = !strcmp(r->url, URL_A);

	if (is_a)
		s->done_a++;
	else if (!strcmp(r->url, URL_B))
		s->done_b++;
	else
		abort();
	if (r->attempts < 1 || r->attempts > s->max_attempts)
		abort();
	switch (r->rc) {
	case CW_OK:
		if (r->res.status < 200 || r->res.status > 299 ||
		    r->res.body.len > s->max_bytes)
			abort();
		break;
	case CW_EUNCHANGED:
		/* only request A carries validators */
		if (!is_a || r->res.status != 304)
			abort();
		break;
	default:
		if (!r->err.msg[0] || !strstr(r->err.msg, r->url))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_fetch_multi_opts mo = CW_FETCH_MULTI_OPTS_INIT;
	struct cw_fetch_multi_req ra = { URL_A, "\"v1\"",
					 "Tue, 01 Dec 2026 10:00:00 GMT",
					 NULL };
	struct cw_fetch_multi_req rb = { URL_B, NULL, NULL, NULL };
	struct cw_fetch_multi *m = NULL;
	struct cw_err err = CW_ERR_INIT;
	struct seen s;
	size_t pending = 1;
	uint8_t mode;

	if (size < 1 || size > 256u << 10)
		return 0;
	if (listen_fd < 0)
		start_server();
	mode = data[0];
	pthread_mutex_lock(&answer_mu);
	free(answer);
	answer = cw_malloc(size);
	memcpy(answer, data + 1, size - 1);
	answer_len = size - 1;
	pthread_mutex_unlock(&answer_mu);

	memset(&s, 0, sizeof(s));
	s.max_attempts = 1 + (mode & 1);
	s.max_bytes = (mode & 2) ? 64 : 1u << 20;
	mo.fetch.allow_private = true; /* the proxy is on loopback */
	mo.fetch.proxy = proxy_url;
	mo.fetch.timeout_ms = 3000;
	mo.fetch.connect_timeout_ms = 1000;
	mo.fetch.max_bytes = s.max_bytes;
	mo.fetch.max_redirects = (mode & 4) ? 2 : 0;
	mo.max_attempts = s.max_attempts;
	mo.host_delay_ms = 1;
	mo.backoff_ms = 2;
	mo.backoff_max_ms = 50; /* a longer Retry-After ends the request */
	mo.max_inflight_bytes = (mode & 8) ? 100 : 0;
	mo.on_done = on_done;
	mo.ctx = &s;
	if (cw_fetch_multi_new(&m, &mo, &err) ||
	    cw_fetch_multi_add(m, &ra, &err) ||
	    ((mode & 16) && cw_fetch_multi_add(m, &rb, &err)))
		abort();
	for (int steps = 0; pending && steps < 1000; steps++)
		if (cw_fetch_multi_step(m, 100, &pending, &err))
			abort();
	if (pending || s.done_a != 1 || s.done_b != ((mode & 16) ? 1u : 0u))
		abort();
	cw_fetch_multi_free(m);
	return 0;
}
