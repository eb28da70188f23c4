/*
 * browser: pages that need their scripts run (executeClientScripts),
 * rendered by Debian's headless Chromium with --dump-dom.
 *
 * Before Chromium starts, the page is fetched once with cw_fetch_url():
 * that gives its HTTP status (--dump-dom prints an error page as happily
 * as a document), follows and checks redirects with the address guard,
 * and names the URL the browser then renders.
 *
 * Chromium is started with fork/exec (no shell), in its own process group
 * so that its helper processes die with it, with a fresh profile directory
 * that is removed afterwards, and with the network it may use limited:
 *  - by default every connection goes through a proxy on loopback, run
 *    here for this one rendering, that applies the address guard to each
 *    target (see "the guarding proxy" below); Chromium itself resolves no
 *    name (--host-resolver-rules "MAP * ~NOTFOUND", the proxy excepted);
 *  - with origin_only, no proxy: --host-resolver-rules maps the page's
 *    host:port to the checked address and every other host (IP literals
 *    included) to ~NOTFOUND (checked on Chromium 156: a script from
 *    another host or another port is not loaded);
 *  - no background networking, component updates, sync, pings, QUIC,
 *    WebRTC over UDP, crash reports.
 * Scripts get a budget of virtual time (--virtual-time-budget) to write
 * the page, and --timeout makes Chromium print what it has before our
 * own deadline; past the deadline or the size cap the whole group is
 * killed.
 */
#include "fetch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Find `name` in $PATH; a name with a slash is taken as is. */
static char *find_binary(const char *name)
{
	const char *path = getenv("PATH");
	const char *p;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? cw_strdup(name) : NULL;
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p;) {
		size_t n = strcspn(p, ":");
		char *cand = cw_asprintf("%.*s/%s", (int)n, n ? p : ".", name);

		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
		p += n;
		if (*p == ':')
			p++;
	}
	return NULL;
}

/*
 * Split the authority of an http(s) URL into its host (lower-case, IPv6
 * without brackets) and port (the scheme's default when absent).
 */
static int split_host(char *host, size_t hostn, long *port, const char *url,
		      struct cw_err *err)
{
	const char *h = strstr(url, "://") + 3;
	size_t n = strcspn(h, "/?#"), hn;
	const char *at, *rest;

	*port = cw_str_startswith(url, "https://") ? 443 : 80;
	/* drop user:pass@ */
	at = memchr(h, '@', n);
	if (at) {
		n -= (size_t)(at + 1 - h);
		h = at + 1;
	}
	if (n > 0 && h[0] == '[') {
		const char *close = memchr(h, ']', n);

		if (!close)
			return cw_err_set(err, CW_EINVAL, "'%s': bad IPv6 host",
					  url);
		hn = (size_t)(close - h - 1);
		rest = close + 1;
		h++;
	} else {
		const char *colon = memchr(h, ':', n);

		hn = colon ? (size_t)(colon - h) : n;
		rest = h + hn;
	}
	if (hn == 0 || hn >= hostn)
		return cw_err_set(err, CW_EINVAL, "'%s': no host name", url);
	for (size_t i = 0; i < hn; i++)
		host[i] =
			(char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] + 32 : h[i]);
	host[hn] = '\0';
	if (*rest == ':' && rest[1] >= '0' && rest[1] <= '9') {
		char *endp;

		*port = strtol(rest + 1, &endp, 10);
		if (*port < 1 || *port > 65535)
			return cw_err_set(err, CW_EINVAL, "'%s': bad port",
					  url);
	}
	return CW_OK;
}

/*
 * Resolve the URL's host, refuse it if any address is not allowed, and
 * write Chromium's resolver rules: the page's host:port goes to the first
 * checked address (so a second DNS answer cannot point the browser
 * elsewhere), everything else to ~NOTFOUND. A host:port pattern matches
 * only that port (net/base/host_mapping_rules.cc tries the host, then
 * host:port); exclusions would come first there, so none is used.
 */
static int vet_host(char **rule, const char *url, bool allow_private,
		    struct cw_err *err)
{
	char host[256], text[INET6_ADDRSTRLEN] = "";
	struct addrinfo hints, *ai = NULL;
	long port;
	int g, rc;
	bool v6;

	*rule = NULL;
	rc = split_host(host, sizeof(host), &port, url, err);
	if (rc)
		return rc;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	g = getaddrinfo(host, NULL, &hints, &ai);
	if (g)
		return cw_err_set(err, CW_ENET, "'%s': cannot resolve '%s': %s",
				  url, host, gai_strerror(g));
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		struct cw_err e = CW_ERR_INIT;

		if (cw_fetch_check_addr(a->ai_addr, a->ai_addrlen,
					allow_private, &e)) {
			rc = cw_err_set(err, e.rc, "'%s': %s", url, e.msg);
			break;
		}
		if (!text[0]) {
			const void *p =
				a->ai_family == AF_INET6
					? (const void *)&(
						  (struct sockaddr_in6 *)
							  a->ai_addr)
						  ->sin6_addr
					: (const void *)&((struct sockaddr_in *)
								  a->ai_addr)
						  ->sin_addr;
			inet_ntop(a->ai_family, p, text, sizeof(text));
		}
	}
	freeaddrinfo(ai);
	if (rc)
		return rc;
	if (!text[0])
		return cw_err_set(err, CW_ENET, "'%s': '%s' has no address",
				  url, host);
	v6 = strchr(host, ':') != NULL;
	*rule = cw_asprintf("--host-resolver-rules=MAP %s%s%s:%ld %s%s%s, "
			    "MAP * ~NOTFOUND",
			    v6 ? "[" : "", host, v6 ? "]" : "", port,
			    strchr(text, ':') ? "[" : "", text,
			    strchr(text, ':') ? "]" : "");
	return CW_OK;
}

/* ---- the guarding proxy ---- */

/*
 * Every connection of the browser goes through this proxy, on loopback,
 * for the time of one rendering (--proxy-server, and --proxy-bypass-list=
 * <-loopback> so that loopback is not exempt). It resolves each target
 * itself and refuses it unless every address passes cw_fetch_check_addr(),
 * the guard of every other fetch: the page's scripts, images and frames
 * on public hosts load, as in Open Terms Archive's browser, but nothing on
 * loopback, private or metadata addresses (unless allow_private, and
 * never metadata). CONNECT opens a tunnel (https); a plain request in
 * absolute form (http) is forwarded in origin form with "Connection:
 * close", so that one connection never serves two targets.
 */
#define PROXY_MAX_CONN 64    /* connections at once; more wait */
#define PROXY_HEAD_MAX 16384 /* a request head larger is refused */
/*
 * Idle limit of a connection: a wait for bytes to read, for room to write
 * or for a connect longer than this ends the connection. Both sockets are
 * non-blocking and every wait is a poll() that also watches the stop pipe
 * and the page's deadline, so no thread of the proxy outlives
 * proxy_stop() by more than a poll (a peer that accepts and never reads
 * cannot hold a thread in send()).
 */
#define PROXY_IO_MS 15000
#define PROXY_CONNECT_MS 5000 /* per address tried */

struct proxy;

struct proxy_conn {
	struct proxy *px;
	int client;
	int upstream;
	pthread_t th;
	bool used;
	bool done;
};

struct proxy {
	int lfd; /* listening socket */
	int port;
	int stop[2]; /* a pipe: readable once stopping */
	bool allow_private;
	long deadline;	 /* cw_time_mono_ms() past which every wait ends */
	size_t byte_cap; /* bytes relayed in all, then cut */
	pthread_t th;
	pthread_mutex_t lock;
	size_t relayed;	  /* under lock */
	unsigned refused; /* targets refused by the guard, under lock */
	char last_refusal[CW_ERR_MSG_MAX];
	struct proxy_conn conns[PROXY_MAX_CONN];
};

/* How long the next wait may last: PROXY_IO_MS or what is left before
 * the deadline; 0 once it has passed. */
static int wait_ms(const struct proxy *px, int limit)
{
	long left = px->deadline - cw_time_mono_ms();

	if (left <= 0)
		return 0;
	return left < limit ? (int)left : limit;
}

/*
 * Wait until fd is ready for `events`, the stop pipe is readable, the
 * limit passes or the deadline does; true only in the first case.
 */
static bool wait_fd(struct proxy *px, int fd, short events, int limit)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fd, .events = events },
			{ .fd = px->stop[0], .events = POLLIN },
		};
		int ms = wait_ms(px, limit), n;

		if (ms <= 0)
			return false;
		n = poll(p, 2, ms);
		if (n < 0 && errno == EINTR)
			continue;
		return n > 0 && !p[1].revents && p[0].revents;
	}
}

/* Send all of p to a non-blocking socket, waiting with wait_fd();
 * MSG_NOSIGNAL: a peer gone is an error here, not a SIGPIPE that would
 * end the whole program. */
static bool write_all(struct proxy *px, int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!wait_fd(px, fd, POLLOUT, PROXY_IO_MS))
				return false;
			continue;
		}
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static void proxy_answer(struct proxy *px, int fd, const char *status,
			 const char *why)
{
	char msg[CW_ERR_MSG_MAX + 200];
	int n = snprintf(msg, sizeof(msg),
			 "HTTP/1.1 %s\r\nContent-Type: text/plain\r\n"
			 "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
			 status, strlen(why), why);

	if (n > 0)
		write_all(px, fd, msg,
			  (size_t)n < sizeof(msg) ? (size_t)n
						  : sizeof(msg) - 1);
}

/* Resolve, check every address, connect to the first; -1 with `why`. */
static int proxy_connect(struct proxy *px, const char *host, const char *port,
			 char *why, size_t whyn)
{
	struct addrinfo hints, *ai = NULL;
	int fd = -1, g;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	g = getaddrinfo(host, port, &hints, &ai);
	if (g) {
		snprintf(why, whyn, "cannot resolve '%s': %s", host,
			 gai_strerror(g));
		return -1;
	}
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		struct cw_err e = CW_ERR_INIT;

		if (cw_fetch_check_addr(a->ai_addr, a->ai_addrlen,
					px->allow_private, &e)) {
			snprintf(why, whyn, "'%.200s': %.300s", host, e.msg);
			pthread_mutex_lock(&px->lock);
			px->refused++;
			snprintf(px->last_refusal, sizeof(px->last_refusal),
				 "%s", why);
			pthread_mutex_unlock(&px->lock);
			freeaddrinfo(ai);
			return -2;
		}
	}
	for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		fd = socket(a->ai_family,
			    SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			if (!wait_fd(px, fd, POLLOUT, PROXY_CONNECT_MS))
				soerr = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
					    &sl) == 0 &&
				 soerr == 0)
				break;
		}
		snprintf(why, whyn, "cannot connect to '%s': %s", host,
			 strerror(soerr	  ? soerr
				  : errno ? errno
					  : ETIMEDOUT));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	/* left non-blocking: see PROXY_IO_MS */
	return fd;
}

/*
 * A head rewritten for the other side of the proxy: its first line, or
 * `request_line` in its place, then its headers without the hop-by-hop
 * ones (Connection, Keep-Alive, and Proxy-Connection or, with
 * `any_proxy`, every Proxy-* header), ended by "Connection: close" so
 * that no second request comes on the connection (see proxy_conn_run).
 */
static char *rewrite_head(const char *head, size_t len,
			  const char *request_line, bool any_proxy)
{
	struct cw_buf b = CW_BUF_INIT;
	const char *p = head, *end = head + len;
	bool first = true;

	if (request_line)
		cw_buf_adds(&b, request_line);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (first && request_line) {
			/* the request line is replaced */
		} else if (n == 0) {
			break;
		} else if (first ||
			   (cw_strncasecmp_ascii(p, "connection:", 11) &&
			    cw_strncasecmp_ascii(p, "keep-alive:", 11) &&
			    (any_proxy
				     ? cw_strncasecmp_ascii(p, "proxy-", 6)
				     : cw_strncasecmp_ascii(
					       p, "proxy-connection:", 17)))) {
			cw_buf_add(&b, p, n);
			cw_buf_adds(&b, "\r\n");
		}
		first = false;
		if (!nl)
			break;
		p = nl + 1;
	}
	cw_buf_adds(&b, "Connection: close\r\n\r\n");
	return cw_buf_detach(&b, NULL);
}

/* A response head for the browser (see rewrite_head). */
static char *close_head(const char *head, size_t len)
{
	return rewrite_head(head, len, NULL, false);
}

/*
 * Pass on the response heads buffered in h[0..*n) once complete: interim
 * (1xx) heads as they are, the final one through close_head(), then what
 * follows it. Sets *done after the final head; false on a write error or
 * a head over PROXY_HEAD_MAX.
 */
static bool pass_heads(struct proxy_conn *c, char *h, size_t *n, bool *done)
{
	while (!*done) {
		char *eoh;
		size_t hl;

		h[*n] = '\0';
		eoh = strstr(h, "\r\n\r\n");
		if (!eoh)
			return *n < PROXY_HEAD_MAX;
		hl = (size_t)(eoh + 4 - h);
		if (hl > 12 && !strncmp(h, "HTTP/1.", 7) && h[9] == '1' &&
		    strncmp(h + 9, "101", 3)) {
			if (!write_all(c->px, c->client, h, hl))
				return false;
		} else {
			char *nh = close_head(h, hl);
			bool ok = write_all(c->px, c->client, nh, strlen(nh));

			free(nh);
			if (!ok ||
			    !write_all(c->px, c->client, h + hl, *n - hl))
				return false;
			*done = true;
		}
		memmove(h, h + hl, *n - hl);
		*n -= hl;
	}
	return true;
}

/*
 * Copy between the browser and the target until done, idle too long
 * (PROXY_IO_MS), the deadline, a stop or the cap. body_left < 0: a
 * tunnel, both ways until both sides are done. Otherwise one plain
 * request: body_left more bytes of its body go upstream and nothing more
 * is read from the browser (a second request there would reach this
 * target whatever host it names); the response's head gets "Connection:
 * close" and the connection ends with the response.
 */
static void proxy_relay(struct proxy_conn *c, long long body_left)
{
	int fds[2] = { c->client, c->upstream };
	bool open_in[2] = { true, true }, plain = body_left >= 0;
	bool head_done = !plain;
	char buf[65536], rhead[PROXY_HEAD_MAX + 1];
	size_t rgot = 0;

	if (plain && body_left == 0)
		open_in[0] = false;
	while (open_in[0] || open_in[1]) {
		struct pollfd p[3];
		int n = 0, nr, idx[2] = { -1, -1 };
		int ms = wait_ms(c->px, PROXY_IO_MS);

		for (int i = 0; i < 2; i++) {
			if (open_in[i]) {
				p[n] = (struct pollfd){ .fd = fds[i],
							.events = POLLIN };
				idx[i] = n++;
			}
		}
		p[n] = (struct pollfd){ .fd = c->px->stop[0],
					.events = POLLIN };
		if (ms <= 0)
			return;
		nr = poll(p, (nfds_t)n + 1, ms);
		if (nr < 0 && errno == EINTR)
			continue;
		if (nr <= 0 || p[n].revents)
			return;
		for (int i = 0; i < 2; i++) {
			ssize_t r;
			size_t want = sizeof(buf);
			bool over;
			char *into = buf;

			if (idx[i] < 0 || !p[idx[i]].revents)
				continue;
			if (i == 0 && plain &&
			    (unsigned long long)body_left < want)
				want = (size_t)body_left;
			if (i == 1 && !head_done) {
				into = rhead + rgot;
				want = PROXY_HEAD_MAX - rgot;
			}
			r = read(fds[i], into, want);
			if (r < 0 && (errno == EINTR || errno == EAGAIN ||
				      errno == EWOULDBLOCK))
				continue;
			if (r <= 0) {
				if (plain && i == 1) {
					/* the response ended: so does the connection
					 * (a head cut short goes on as it is) */
					if (!head_done && rgot)
						write_all(c->px, c->client,
							  rhead, rgot);
					return;
				}
				open_in[i] = false;
				shutdown(fds[1 - i], SHUT_WR);
				continue;
			}
			pthread_mutex_lock(&c->px->lock);
			c->px->relayed += (size_t)r;
			over = c->px->relayed > c->px->byte_cap;
			pthread_mutex_unlock(&c->px->lock);
			if (over)
				return;
			if (i == 1 && !head_done) {
				rgot += (size_t)r;
				if (!pass_heads(c, rhead, &rgot, &head_done))
					return;
				continue;
			}
			if (!write_all(c->px, fds[1 - i], buf, (size_t)r))
				return;
			if (i == 0 && plain) {
				body_left -= r;
				if (body_left == 0)
					open_in[0] = false;
			}
		}
	}
}

/*
 * Rewrite a plain proxy request head ("GET http://h:p/x HTTP/1.1 ...")
 * for the origin server: origin-form target, no Proxy-* headers, and
 * "Connection: close". Returns the new head or NULL.
 */
static char *origin_head(const char *head, size_t len, const char *method,
			 const char *path, const char *version)
{
	char *line = cw_asprintf("%s %s %s\r\n", method, path, version);
	char *h = rewrite_head(head, len, line, true);

	free(line);
	return h;
}

/*
 * The length of a plain request's body from its head: Content-Length, or
 * 0 without one. A chunked body (Transfer-Encoding) or a bad length is
 * refused (-1): the end of the body must be known to stop reading the
 * browser's side there. Chromium sends uploads with a Content-Length over
 * HTTP/1.1; streamed ones need HTTP/2, which goes through CONNECT.
 */
static int request_body_len(long long *out, const char *head, size_t len)
{
	const char *p = memchr(head, '\n', len), *end = head + len;

	*out = 0;
	while (p && ++p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!cw_strncasecmp_ascii(p, "transfer-encoding:", 18))
			return -1;
		if (!cw_strncasecmp_ascii(p, "content-length:", 15)) {
			const char *v = p + 15;
			char *endp;
			long long n;

			while (*v == ' ' || *v == '\t')
				v++;
			if (*v < '0' || *v > '9')
				return -1;
			errno = 0;
			n = strtoll(v, &endp, 10);
			if (errno || n < 0)
				return -1;
			while (*endp == ' ' || *endp == '\t' || *endp == '\r')
				endp++;
			if (*endp != '\n')
				return -1;
			*out = n;
		}
		p = nl;
	}
	return 0;
}

int cw_fetch_proxy_head_parse(struct cw_fetch_proxy_head *out, const char *head,
			      size_t len)
{
	/* CONNECT host:port, or http://host[:port]/path */
	const char *h, *path = "/";
	long pn = 80;
	struct cw_err e = CW_ERR_INIT;
	char *url;

	memset(out, 0, sizeof(*out));
	out->body_left = -1;
	out->status = "400 Bad Request";
	if (sscanf(head, "%15s %4095s %15s", out->method, out->target,
		   out->version) != 3) {
		snprintf(out->why, sizeof(out->why), "bad proxy request");
		return CW_EINVAL;
	}
	out->connect = strcmp(out->method, "CONNECT") == 0;
	h = out->target;
	if (!out->connect) {
		if (!cw_str_startswith(out->target, "http://")) {
			snprintf(out->why, sizeof(out->why),
				 "only http:// targets");
			return CW_EINVAL;
		}
		h = out->target + 7;
		path = h + strcspn(h, "/?#");
	}
	url = cw_asprintf("http://%.*s/",
			  (int)(out->connect ? strlen(h) : (size_t)(path - h)),
			  h);
	if (split_host(out->host, sizeof(out->host), &pn, url, &e)) {
		free(url);
		snprintf(out->why, sizeof(out->why), "%s", e.msg);
		return CW_EINVAL;
	}
	free(url);
	if (out->connect && !strrchr(h, ':')) {
		snprintf(out->why, sizeof(out->why), "no port");
		return CW_EINVAL;
	}
	snprintf(out->port, sizeof(out->port), "%ld", pn);
	if (!out->connect) {
		if (request_body_len(&out->body_left, head, len)) {
			out->status = "411 Length Required";
			snprintf(out->why, sizeof(out->why),
				 "a request body needs a Content-Length");
			return CW_EINVAL;
		}
		out->fwd = origin_head(head, len, out->method,
				       *path ? path : "/", out->version);
	}
	return CW_OK;
}

static void *proxy_conn_run(void *arg)
{
	struct proxy_conn *c = arg;
	char head[PROXY_HEAD_MAX + 1];
	char host[256], port[8], why[CW_ERR_MSG_MAX];
	struct cw_fetch_proxy_head ph;
	size_t got = 0;
	char *eoh = NULL, *fwd = NULL;
	long long body_left = -1; /* a tunnel; else the request body's bytes */
	size_t early;
	bool connect_method;

	c->upstream = -1;
	/* the request head */
	while (!eoh && got < PROXY_HEAD_MAX) {
		ssize_t r;

		if (!wait_fd(c->px, c->client, POLLIN, PROXY_IO_MS))
			goto out;
		r = read(c->client, head + got, PROXY_HEAD_MAX - got);
		if (r < 0 &&
		    (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (r <= 0)
			goto out;
		got += (size_t)r;
		head[got] = '\0';
		eoh = strstr(head, "\r\n\r\n");
	}
	if (!eoh) {
		proxy_answer(c->px, c->client, "400 Bad Request",
			     "bad proxy request");
		goto out;
	}
	if (cw_fetch_proxy_head_parse(&ph, head, (size_t)(eoh + 4 - head))) {
		proxy_answer(c->px, c->client, ph.status, ph.why);
		goto out;
	}
	connect_method = ph.connect;
	body_left = ph.body_left;
	fwd = ph.fwd;
	snprintf(host, sizeof(host), "%s", ph.host);
	snprintf(port, sizeof(port), "%s", ph.port);
	c->upstream = proxy_connect(c->px, host, port, why, sizeof(why));
	if (c->upstream < 0) {
		proxy_answer(c->px, c->client,
			     c->upstream == -2 ? "403 Forbidden"
					       : "502 Bad Gateway",
			     why);
		c->upstream = -1;
		goto out;
	}
	if (connect_method) {
		static const char ok[] = "HTTP/1.1 200 Connection "
					 "established\r\n\r\n";

		if (!write_all(c->px, c->client, ok, sizeof(ok) - 1))
			goto out;
	} else if (!write_all(c->px, c->upstream, fwd, strlen(fwd))) {
		goto out;
	}
	/* bytes read with the head: of the tunnel, or of the request body
	 * (any more would be a second request: dropped, see proxy_relay) */
	early = (size_t)(head + got - (eoh + 4));
	if (body_left >= 0 && (unsigned long long)body_left < early)
		early = (size_t)body_left;
	if (early && !write_all(c->px, c->upstream, eoh + 4, early))
		goto out;
	if (body_left >= 0)
		body_left -= (long long)early;
	proxy_relay(c, body_left);
out:
	free(fwd);
	if (c->upstream >= 0)
		close(c->upstream);
	close(c->client);
	c->upstream = c->client = -1;
	__atomic_store_n(&c->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void *proxy_run(void *arg)
{
	struct proxy *px = arg;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = px->lfd, .events = POLLIN },
			{ .fd = px->stop[0], .events = POLLIN },
		};
		struct proxy_conn *slot = NULL;
		int fd;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!p[0].revents)
			continue;
		/* a free slot: reap finished connections first */
		for (int i = 0; i < PROXY_MAX_CONN && !slot; i++) {
			struct proxy_conn *c = &px->conns[i];

			if (c->used &&
			    __atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
				pthread_join(c->th, NULL);
				c->used = false;
			}
			if (!c->used)
				slot = c;
		}
		if (!slot) {
			/* all busy: let the browser wait in the backlog */
			struct pollfd q = { .fd = px->stop[0],
					    .events = POLLIN };

			if (poll(&q, 1, 20) > 0)
				break;
			continue;
		}
		fd = accept4(px->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			continue;
		*slot = (struct proxy_conn){
			.px = px, .client = fd, .upstream = -1, .used = true
		};
		if (pthread_create(&slot->th, NULL, proxy_conn_run, slot)) {
			close(fd);
			slot->used = false;
		}
	}
	for (int i = 0; i < PROXY_MAX_CONN; i++) {
		if (px->conns[i].used)
			pthread_join(px->conns[i].th, NULL);
		px->conns[i].used = false;
	}
	return NULL;
}

static int proxy_start(struct proxy *px, bool allow_private, size_t byte_cap,
		       long deadline, struct cw_err *err)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	memset(px, 0, sizeof(*px));
	px->lfd = -1;
	px->stop[0] = px->stop[1] = -1;
	px->allow_private = allow_private;
	px->byte_cap = byte_cap;
	px->deadline = deadline;
	pthread_mutex_init(&px->lock, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	px->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (px->lfd < 0 || bind(px->lfd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(px->lfd, 64) ||
	    getsockname(px->lfd, (struct sockaddr *)&sa, &sl) ||
	    pipe2(px->stop, O_CLOEXEC))
		goto fail;
	px->port = ntohs(sa.sin_port);
	if (pthread_create(&px->th, NULL, proxy_run, px))
		goto fail;
	return CW_OK;
fail:
	cw_err_set(err, CW_EIO, "cannot start the browser's proxy: %s",
		   strerror(errno));
	if (px->lfd >= 0)
		close(px->lfd);
	for (int i = 0; i < 2; i++)
		if (px->stop[i] >= 0)
			close(px->stop[i]);
	pthread_mutex_destroy(&px->lock);
	px->lfd = -1;
	return CW_EIO;
}

/* Stop the proxy and its connections; a stopped proxy is a no-op. */
static void proxy_stop(struct proxy *px)
{
	if (px->lfd < 0)
		return;
	while (write(px->stop[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(px->th, NULL);
	close(px->lfd);
	close(px->stop[0]);
	close(px->stop[1]);
	pthread_mutex_destroy(&px->lock);
	px->lfd = -1;
}

/* Keep the last non-empty line of the browser's stderr for the message. */
static void last_line(const struct cw_buf *b, char *out, size_t outn)
{
	const char *s = b->ptr ? b->ptr : "";
	size_t end = b->len;

	while (end > 0 && (s[end - 1] == '\n' || s[end - 1] == '\r'))
		end--;
	size_t start = end;
	while (start > 0 && s[start - 1] != '\n')
		start--;
	snprintf(out, outn, "%.*s", (int)(end - start), s + start);
}

/*
 * Fetch the page once without the browser (see the top of this file).
 * On success *target is the URL to render (after redirects).
 */
static int preflight(char **target, struct cw_fetch_result *res,
		     const char *url, const struct cw_fetch_browser_opts *opts,
		     struct cw_err *err)
{
	struct cw_fetch_opts fo = CW_FETCH_OPTS_INIT;
	int rc;

	fo.allow_private = opts->allow_private;
	fo.timeout_ms = opts->timeout_ms;
	fo.max_bytes = opts->max_bytes;
	fo.user_agent = opts->user_agent;
	rc = cw_fetch_url(res, url, &fo, err);
	if (rc)
		return rc;
	if (res->content_type && strcmp(res->content_type, "text/html") &&
	    strcmp(res->content_type, "application/xhtml+xml"))
		return cw_err_set(err, CW_EUNSUPPORTED,
				  "'%s': served as '%s', not a page a browser "
				  "can render",
				  url, res->content_type);
	*target = cw_strdup(res->final_url ? res->final_url : url);
	return CW_OK;
}

int cw_fetch_browser(struct cw_fetch_result *res, const char *url,
		     const struct cw_fetch_browser_opts *opts,
		     struct cw_err *err)
{
	static const struct cw_fetch_browser_opts defaults =
		CW_FETCH_BROWSER_OPTS_INIT;
	struct cw_fetch_browser_opts o;
	char tmpl[4096], *bin = NULL, *rule = NULL, *target = NULL;
	const char *name, *tmp;
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct cw_buf errbuf = CW_BUF_INIT;
	struct cw_strv args = CW_STRV_INIT;
	long status_code = 0, deadline, t0 = cw_time_mono_ms(), soft, budget;
	pid_t pid = -1;
	int rc = CW_OK, status = 0, devnull = -1;
	bool timed_out = false, toobig = false, have_dir = false;
	struct proxy px;

	memset(&px, 0, sizeof(px));
	px.lfd = -1;
	o = opts ? *opts : defaults;
	if (o.timeout_ms <= 0)
		o.timeout_ms = defaults.timeout_ms;
	if (!o.max_bytes)
		o.max_bytes = defaults.max_bytes;
	if (o.settle_ms < 0)
		o.settle_ms = 0;
	if (!url ||
	    !(cw_str_startswith(url, "http://") || cw_str_startswith(url, "http"
									  "s:/"
									  "/")))
		return cw_err_set(err, CW_EINVAL,
				  "'%s': only http and https URLs can be "
				  "rendered",
				  url ? url : "");
	name = o.binary;
	if (!name)
		name = getenv("CW_CHROMIUM");
	if (!name || !*name)
		name = "chromium";
	bin = find_binary(name);
	if (!bin)
		return cw_err_set(err, CW_ENOTFOUND,
				  "'%s' needs a headless browser, but '%s' was "
				  "not "
				  "found: install the Debian package "
				  "'chromium' "
				  "(apt-get install chromium), or set "
				  "CW_CHROMIUM "
				  "to its path",
				  url, name);

	if (o.check_status) {
		rc = preflight(&target, res, url, &o, err);
		if (rc)
			goto done;
		status_code = res->status;
	} else {
		target = cw_strdup(url);
	}
	/* the page itself is checked here in both modes, for a clear message */
	rc = vet_host(&rule, target, o.allow_private, err);
	if (rc)
		goto done;
	if (!o.origin_only) {
		/* every other connection through the guarding proxy; a cap on
		 * what it relays, four times the page's own cap */
		rc = proxy_start(&px, o.allow_private, o.max_bytes * 4,
				 t0 + o.timeout_ms, err);
		if (rc)
			goto done;
		free(rule);
		/* nothing resolves in the browser but the proxy's address */
		rule = cw_strdup("--host-resolver-rules=MAP * ~NOTFOUND, "
				 "EXCLUDE 127.0.0.1");
	}

	tmp = getenv("TMPDIR");
	snprintf(tmpl, sizeof(tmpl), "%s/clausewatch-chromium-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl)) {
		rc = cw_err_set(err, CW_EIO,
				"'%s': cannot create a browser profile: %s",
				tmpl, strerror(errno));
		goto done;
	}
	have_dir = true;

	/*
	 * Chromium's own deadline (--timeout: stop loading, then dump what
	 * there is) comes before ours, leaving it a quarter of the time (at
	 * least 2 s, at most 10 s) to print; a page whose images or
	 * sub-resources hang still yields its DOM that way. The time is what
	 * the preflight left of the budget, since our deadline counts from
	 * before it; at least 500 ms, as a page given less yields nothing.
	 */
	budget = t0 + o.timeout_ms - cw_time_mono_ms();
	soft = budget / 4;
	soft = soft < 2000 ? 2000 : soft > 10000 ? 10000 : soft;
	soft = budget - soft;
	if (soft < 500)
		soft = 500;
	cw_strv_push(&args, bin);
	cw_strv_push(&args, "--headless");
	/* the sandbox needs an unprivileged user; as root Chromium refuses to
	 * start without this flag */
	if (geteuid() == 0)
		cw_strv_push(&args, "--no-sandbox");
	{
		static const char *const fixed[] = {
			"--disable-gpu",
			"--disable-dev-shm-usage",
			"--no-first-run",
			"--no-default-browser-check",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
			"--disable-extensions",
			"--disable-default-apps",
			"--disable-domain-reliability",
			"--disable-breakpad",
			"--disable-client-side-phishing-detection",
			"--metrics-recording-only",
			"--no-pings",
			"--disable-quic",
			("--force-webrtc-ip-handling-policy="
			 "disable_non_proxied_udp"),
			"--password-store=basic",
			"--use-mock-keychain",
			"--mute-audio",
			"--deny-permission-prompts",
			"--block-new-web-contents",
			"--accept-lang=en",
		};
		for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++)
			cw_strv_push(&args, fixed[i]);
	}
	cw_strv_take(&args, cw_asprintf("--user-data-dir=%s", tmpl));
	cw_strv_push(&args, rule);
	if (o.origin_only) {
		cw_strv_push(&args, "--no-proxy-server");
	} else {
		cw_strv_pushf(&args, "--proxy-server=http://127.0.0.1:%d",
			      px.port);
		/* Chromium sends loopback directly unless told not to */
		cw_strv_push(&args, "--proxy-bypass-list=<-loopback>");
	}
	if (o.settle_ms > 0)
		cw_strv_pushf(&args, "--virtual-time-budget=%ld", o.settle_ms);
	cw_strv_pushf(&args, "--timeout=%ld", soft);
	if (o.user_agent)
		cw_strv_take(&args,
			     cw_asprintf("--user-agent=%s", o.user_agent));
	cw_strv_push(&args, "--dump-dom");
	cw_strv_push(&args, target);
	cw_strv_take(&args, NULL); /* execv's terminator */
	args.n--;

	if (pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		rc = cw_err_set(err, CW_EIO, "'%s': pipe: %s", url,
				strerror(errno));
		goto done;
	}
	cw_buf_clear(&res->body);
	res->body.max = o.max_bytes;
	cw_buf_init(&errbuf, 1u << 16);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	pid = fork();
	if (pid < 0) {
		rc = cw_err_set(err, CW_EIO, "'%s': fork: %s", url,
				strerror(errno));
		goto done;
	}
	if (pid == 0) {
		/* only async-signal-safe calls from here: the parent may have
		 * threads (the monitor) */
		setpgid(0, 0); /* own group: killed as a whole on timeout */
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(out[1], 1);
		dup2(errp[1], 2);
		execv(bin, args.v);
		_exit(127);
	}
	setpgid(pid, pid); /* also here: no race with the child's own call */
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;

	deadline = t0 + o.timeout_ms;
	while (out[0] >= 0 || errp[0] >= 0) {
		struct pollfd pf[2];
		int n = 0, ir = -1, ie = -1;
		long left = deadline - cw_time_mono_ms();

		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (out[0] >= 0) {
			pf[n] = (struct pollfd){ .fd = out[0],
						 .events = POLLIN };
			ir = n++;
		}
		if (errp[0] >= 0) {
			pf[n] = (struct pollfd){ .fd = errp[0],
						 .events = POLLIN };
			ie = n++;
		}
		if (poll(pf, (nfds_t)n, (int)(left > 1000 ? 1000 : left)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < n; i++) {
			char chunk[65536];
			ssize_t got;
			int *fd = i == ir ? &out[0] : &errp[0];

			if (!pf[i].revents)
				continue;
			got = read(*fd, chunk, sizeof(chunk));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				close(*fd);
				*fd = -1;
				continue;
			}
			if (i == ir) {
				if (cw_buf_add(&res->body, chunk,
					       (size_t)got)) {
					toobig = true;
					break;
				}
			} else if (i == ie) {
				/* keep the tail: start over when full */
				if (cw_buf_add(&errbuf, chunk, (size_t)got)) {
					cw_buf_clear(&errbuf);
					cw_buf_add(&errbuf, chunk, (size_t)got);
				}
			}
		}
		if (toobig)
			break;
	}
	/*
	 * Both pipes at EOF: the browser is exiting, wait for it until the
	 * deadline (plus a second for the exit itself) before killing it.
	 * Otherwise (timeout, size cap, a poll error) kill first, so that
	 * waitpid() cannot block.
	 */
	if (timed_out || toobig || out[0] >= 0 || errp[0] >= 0)
		kill(-pid, SIGKILL);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w < 0 && errno == EINTR)
			continue;
		if (w != 0)
			break;
		if (cw_time_mono_ms() > deadline + 1000) {
			kill(-pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		poll(NULL, 0, 10);
	}
	/* helpers of the browser may outlive it: end the whole group */
	kill(-pid, SIGKILL);
	pid = -1;
	proxy_stop(&px);
	res->refused = px.refused;

	if (timed_out) {
		rc = cw_err_set(err, CW_ETIMEOUT,
				"'%s': the browser did not finish within %ld "
				"ms",
				url, o.timeout_ms);
	} else if (toobig) {
		rc = cw_err_set(err, CW_ETOOBIG,
				"'%s': rendered page larger than the %zu-byte "
				"cap",
				url, o.max_bytes);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		rc = cw_err_set(err, CW_ENOTFOUND,
				"'%s': cannot run '%s': install the Debian "
				"package "
				"'chromium'",
				url, bin);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
		   res->body.len == 0) {
		char line[256];

		last_line(&errbuf, line, sizeof(line));
		rc = cw_err_set(err, CW_ENET,
				"'%s': the browser %s %d and printed %zu "
				"bytes%s%s",
				url,
				WIFEXITED(status) ? "exited with"
						  : "died of signal",
				WIFEXITED(status) ? WEXITSTATUS(status)
						  : WTERMSIG(status),
				res->body.len, line[0] ? ": " : "", line);
	} else {
		res->status = status_code ? status_code : 200;
		free(res->final_url);
		free(res->content_type);
		free(res->charset);
		res->final_url = cw_strdup(target);
		res->content_type = cw_strdup("text/html");
		/* the DOM is serialised by Chromium as UTF-8 */
		res->charset = cw_strdup("utf-8");
		/* validators of the preflight would describe the raw page */
		free(res->etag);
		free(res->last_modified);
		res->etag = res->last_modified = NULL;
	}
	res->seconds = (double)(cw_time_mono_ms() - t0) / 1000.0;
done:
	proxy_stop(&px);
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (devnull >= 0)
		close(devnull);
	if (have_dir)
		cw_remove_tree(tmpl);
	if (rc)
		cw_buf_clear(&res->body);
	cw_buf_release(&errbuf);
	cw_strv_release(&args);
	free(rule);
	free(target);
	free(bin);
	return rc;
}
