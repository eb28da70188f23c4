/*
 * fixture_server: a local HTTP server for the fetch tests and the monitor
 * bench, on libmicrohttpd, bound to 127.0.0.1 only.
 *
 *   fixture_server [--dir DIR] [--docs N] [--seed FILE]... [--seed-dir DIR]
 *                  [--latency-ms MS]
 *                  [--change-fraction F] [--fault-fraction F]
 *                  [--slow-ms MS] [--hang-ms MS] [--port P]
 *
 * When it listens it prints its port and a newline on stdout (port 0, the
 * default, lets the kernel choose). It runs until SIGTERM or SIGINT.
 *
 * Paths:
 * Seeds: files named with --seed (or as plain arguments) and every regular
 * file under --seed-dir (recursively, in sorted path order, at most
 * 20,000). N defaults to the number of seeds.
 *
 *   /doc/I            generated document I (0 <= I < N): seed I mod the
 *                     number of seeds, rendered as simple HTML (.html seeds
 *                     are served as they are), with a line naming I. A
 *                     fraction of documents (--change-fraction, chosen by a
 *                     hash of I) change at every pass; a fraction
 *                     (--fault-fraction) fail, each with one fault kind:
 *                     500, 503, reset, hang, slow body, bogus charset,
 *                     redirect loop.
 *   /files/PATH       the file DIR/PATH (--dir); no "..".
 *   /status/CODE      that status with a short body
 *   /redirect/N       N redirects, then 200
 *   /loop             a redirect loop (/loop -> /loop2 -> /loop)
 *   /to?u=URL         a redirect to URL (any scheme)
 *   /big/BYTES        a text/html body of BYTES bytes
 *   /bigheader/BYTES  a short page with one response header of BYTES
 *                     bytes (at most 200,000)
 *   /hang             never answers (until --hang-ms or the client leaves)
 *   /slow             a body sent in 16 pieces, --slow-ms apart
 *   /reset            the connection is reset (TCP RST) without an answer
 *   /charset/NAME     a UTF-8 page labelled charset=NAME
 *   /flaky/KEY/K      503 with Retry-After: 1 for the first K requests of
 *                     KEY, then 200
 *   /_pass            next pass (also SIGUSR1); answers the pass number
 *   /_stats           JSON: requests, connections (accepted so far),
 *                     concurrent, max_concurrent (requests being handled),
 *                     pass,
 *                     and counts per fault kind
 * Every 200 answer has an ETag and a Last-Modified date and honours
 * If-None-Match / If-Modified-Since with 304; bodies of 64 bytes or more
 * are gzip-compressed when the client accepts gzip.
 *
 * Thread per connection: latency, hangs and slow bodies simply sleep.
 */
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "tool_http.h"

enum fault {
	F_NONE,
	F_500,
	F_503,
	F_RESET,
	F_HANG,
	F_SLOW,
	F_CHARSET,
	F_LOOP,
	F_COUNT
};
static const char *const fault_names[F_COUNT] = {
	"none", "http500", "http503", "reset", "hang", "slow", "charset", "loop"
};

static struct {
	const char *dir;
	long ndocs;
	char **seeds; /* rendered HTML per seed */
	size_t nseeds;
	long latency_ms;
	double change_fraction;
	double fault_fraction;
	long slow_ms;
	long hang_ms;
} cfg = { .slow_ms = 100, .hang_ms = 300000 };

static atomic_long pass_no;
static atomic_long n_requests;
static atomic_long n_connections;
static atomic_long n_concurrent;
static atomic_long max_concurrent;
static atomic_long n_fault[F_COUNT];

#define FLAKY_MAX 4096
static struct {
	char key[64];
	long count;
} flaky[FLAKY_MAX];
static size_t n_flaky;
static pthread_mutex_t flaky_lock = PTHREAD_MUTEX_INITIALIZER;

/* splitmix64 (Steele, Lea, Flood 2014): a good 64-bit mix for small keys */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static double unit(uint64_t h)
{
	return (double)(h >> 11) / 9007199254740992.0;
}

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h;
}

/* ---- documents ---- */

static void add_escaped(struct cw_buf *b, const char *s, size_t n)
{
	static const char special[] = "<>&\"";
	static const char *const entity[] = { "&lt;", "&gt;", "&amp;",
					      "&quot;" };

	for (size_t i = 0; i < n; i++) {
		const char *c = s[i] ? strchr(special, s[i]) : NULL;

		if (c)
			cw_buf_adds(b, entity[c - special]);
		else
			cw_buf_addc(b, s[i]);
	}
}

/* Markdown or plain text to simple HTML: # headings, paragraphs. */
static char *render_text(const char *s, size_t n, const char *name)
{
	struct cw_buf b = CW_BUF_INIT;
	size_t i = 0;

	cw_buf_adds(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
			"<title>");
	add_escaped(&b, name, strlen(name));
	cw_buf_adds(&b, "</title></head>\n<body><main id=\"document\">\n");
	while (i < n) {
		size_t end = i, level = 0;

		/* one block: up to a blank line */
		while (end < n &&
		       !(s[end] == '\n' && end + 1 < n && s[end + 1] == '\n'))
			end++;
		while (i < end && (s[i] == '\n' || s[i] == ' '))
			i++;
		while (i + level < end && s[i + level] == '#')
			level++;
		if (i < end) {
			if (level > 0 && level <= 6 && i + level < end &&
			    s[i + level] == ' ') {
				cw_buf_addf(&b, "<h%zu>", level);
				add_escaped(&b, s + i + level + 1,
					    end - i - level - 1);
				cw_buf_addf(&b, "</h%zu>\n", level);
			} else {
				cw_buf_adds(&b, "<p>");
				add_escaped(&b, s + i, end - i);
				cw_buf_adds(&b, "</p>\n");
			}
		}
		i = end + 1;
	}
	cw_buf_adds(&b, "</main></body></html>\n");
	return cw_buf_detach(&b, NULL);
}

static void load_seed(const char *path)
{
	struct cw_buf b = CW_BUF_INIT;
	struct cw_err e = CW_ERR_INIT;
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (cw_file_read(&b, path, 8u << 20, &e)) {
		fprintf(stderr, "fixture_server: %s\n", e.msg);
		exit(2);
	}
	cfg.seeds = cw_reallocarray(cfg.seeds, cfg.nseeds + 1, sizeof(char *));
	if (cw_str_endswith(path, ".html") || cw_str_endswith(path, ".htm"))
		cfg.seeds[cfg.nseeds++] = cw_buf_detach(&b, NULL);
	else
		cfg.seeds[cfg.nseeds++] = render_text(b.ptr, b.len, base);
	cw_buf_release(&b);
}

#define SEED_DIR_MAX 20000
static struct cw_strv seed_paths;

static int collect_seed(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_F && seed_paths.n < SEED_DIR_MAX)
		cw_strv_push(&seed_paths, path);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_seed_dir(const char *dir)
{
	seed_paths = (struct cw_strv)CW_STRV_INIT;
	if (nftw(dir, collect_seed, 32, FTW_PHYS) != 0) {
		fprintf(stderr, "fixture_server: --seed-dir '%s': %s\n", dir,
			strerror(errno));
		exit(2);
	}
	qsort(seed_paths.v, seed_paths.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < seed_paths.n; i++)
		load_seed(seed_paths.v[i]);
	cw_strv_release(&seed_paths);
}

static bool doc_changes(long i)
{
	return unit(mix64((uint64_t)i ^ 0x5eedc4a11ull)) < cfg.change_fraction;
}

static enum fault doc_fault(long i)
{
	if (unit(mix64((uint64_t)i ^ 0xfa017ull)) >= cfg.fault_fraction)
		return F_NONE;
	return (enum fault)(1 + mix64((uint64_t)i ^ 0x4b1dull) % (F_COUNT - 1));
}

/* Document I at the current pass, into `b`. */
static void build_doc(struct cw_buf *b, long i, long pass)
{
	const char *seed = cfg.seeds[(size_t)i % cfg.nseeds];
	const char *close = strstr(seed, "</body>");
	size_t head = close ? (size_t)(close - seed) : strlen(seed);

	cw_buf_add(b, seed, head);
	cw_buf_addf(b, "<p class=\"fixture\">Fixture document %ld.</p>\n", i);
	if (doc_changes(i) && pass > 0)
		cw_buf_addf(b,
			    "<p class=\"fixture\">Amendment %ld: from pass %ld "
			    "on, document %ld has a revised clause.</p>\n",
			    pass, pass, i);
	cw_buf_adds(b, seed + head);
}

/* ---- answers ---- */

static bool accepts_gzip(struct MHD_Connection *c)
{
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     "Accept-Encoding");
	return ae && strstr(ae, "gzip");
}

static bool gzip_buf(struct cw_buf *out, const char *s, size_t n)
{
	z_stream z;
	uLong bound;

	memset(&z, 0, sizeof(z));
	/* level 1: the server must stay cheap next to the client it tests */
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return false;
	bound = deflateBound(&z, (uLong)n);
	if (cw_buf_grow(out, bound)) {
		deflateEnd(&z);
		return false;
	}
	z.next_in = (Bytef *)(uintptr_t)s;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out->ptr;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		return false;
	}
	out->len = z.total_out;
	deflateEnd(&z);
	return true;
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status,
			     struct MHD_Response *r)
{
	enum MHD_Result ret = MHD_queue_response(c, status, r);

	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result simple(struct MHD_Connection *c, unsigned status,
			      const char *ctype, const char *body)
{
	return tool_http_text(c, status, ctype, body);
}

static enum MHD_Result redirect(struct MHD_Connection *c, const char *to)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		0, (void *)(uintptr_t) "", MHD_RESPMEM_PERSISTENT);

	MHD_add_response_header(r, "Location", to);
	return queue(c, 302, r);
}

/*
 * A 200 with validators: 304 when the client's validator matches, gzip
 * when accepted. `lm_day` moves Last-Modified (days after 2024-01-01).
 */
static enum MHD_Result send_doc(struct MHD_Connection *c, const char *body,
				size_t n, const char *ctype, long lm_day)
{
	char etag[40], lm[64];
	const char *inm, *ims;
	struct MHD_Response *r;
	struct cw_buf z = CW_BUF_INIT;
	struct tm tm;
	time_t t = 1704067200 + (time_t)lm_day * 86400;

	snprintf(etag, sizeof(etag), "\"%016llx\"",
		 (unsigned long long)fnv1a(body, n));
	gmtime_r(&t, &tm);
	strftime(lm, sizeof(lm), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
	ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					  "If-Modified-Since");
	if ((inm && strcmp(inm, etag) == 0) ||
	    (!inm && ims && strcmp(ims, lm) == 0)) {
		r = MHD_create_response_from_buffer(0, (void *)(uintptr_t) "",
						    MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, "ETag", etag);
		MHD_add_response_header(r, "Last-Modified", lm);
		return queue(c, 304, r);
	}
	if (n >= 64 && accepts_gzip(c) && gzip_buf(&z, body, n)) {
		r = MHD_create_response_from_buffer(z.len, z.ptr,
						    MHD_RESPMEM_MUST_FREE);
		z.ptr = NULL; /* owned by the response now */
		MHD_add_response_header(r, "Content-Encoding", "gzip");
	} else {
		r = MHD_create_response_from_buffer(n, (void *)(uintptr_t)body,
						    MHD_RESPMEM_MUST_COPY);
	}
	cw_buf_release(&z);
	MHD_add_response_header(r, "Vary", "Accept-Encoding");
	MHD_add_response_header(r, "Content-Type", ctype);
	MHD_add_response_header(r, "ETag", etag);
	MHD_add_response_header(r, "Last-Modified", lm);
	return queue(c, 200, r);
}

static int conn_fd(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci ? ci->connect_fd : -1;
}

static enum MHD_Result do_reset(struct MHD_Connection *c)
{
	int fd = conn_fd(c);
	struct linger lg = { 1, 0 };

	/* linger 0: close() sends RST instead of FIN */
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	return MHD_NO;
}

static enum MHD_Result do_hang(struct MHD_Connection *c)
{
	int fd = conn_fd(c);
	long waited = 0;

	/* answer nothing until the client gives up (EOF) or hang_ms */
	while (!tool_quit && waited < cfg.hang_ms) {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
		char ch;

		if (fd >= 0 && poll(&p, 1, 50) > 0 &&
		    ((p.revents & (POLLRDHUP | POLLHUP | POLLERR)) ||
		     recv(fd, &ch, 1, MSG_PEEK | MSG_DONTWAIT) == 0))
			break;
		if (fd < 0)
			tool_sleep_ms(50);
		waited += 50;
	}
	return MHD_NO;
}

struct slow {
	char *body;
	size_t len;
	size_t piece;
};

static ssize_t slow_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct slow *s = cls;
	size_t n;

	if (pos >= s->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (pos > 0)
		tool_sleep_ms(cfg.slow_ms);
	if (tool_quit)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = s->len - (size_t)pos;
	if (n > s->piece)
		n = s->piece;
	if (n > max)
		n = max;
	memcpy(buf, s->body + pos, n);
	return (ssize_t)n;
}

static void slow_free(void *cls)
{
	struct slow *s = cls;

	free(s->body);
	free(s);
}

static enum MHD_Result do_slow(struct MHD_Connection *c, char *body, size_t n)
{
	struct slow *s = cw_calloc(1, sizeof(*s));
	struct MHD_Response *r;

	s->body = body;
	s->len = n;
	s->piece = n / 16 + 1;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, slow_read,
					      s, slow_free);
	MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	return queue(c, 200, r);
}

static const char *ctype_of(const char *path)
{
	if (cw_str_endswith(path, ".html") || cw_str_endswith(path, ".htm"))
		return "text/html; charset=utf-8";
	if (cw_str_endswith(path, ".js"))
		return "text/javascript; charset=utf-8";
	if (cw_str_endswith(path, ".md"))
		return "text/markdown; charset=utf-8";
	if (cw_str_endswith(path, ".json"))
		return "application/json";
	if (cw_str_endswith(path, ".pdf"))
		return "application/pdf";
	return "text/plain; charset=utf-8";
}

static enum MHD_Result serve_file(struct MHD_Connection *c, const char *rel)
{
	struct cw_buf b = CW_BUF_INIT;
	struct cw_err e = CW_ERR_INIT;
	char *path;
	enum MHD_Result ret;

	if (!cfg.dir || strstr(rel, "..") || !*rel)
		return simple(c, 404, "text/plain", "no such file\n");
	path = cw_asprintf("%s/%s", cfg.dir, rel);
	if (cw_file_read(&b, path, 64u << 20, &e)) {
		free(path);
		return simple(c, 404, "text/plain", "no such file\n");
	}
	ret = send_doc(c, b.ptr ? b.ptr : "", b.len, ctype_of(path), 0);
	cw_buf_release(&b);
	free(path);
	return ret;
}

static enum MHD_Result serve_flaky(struct MHD_Connection *c, const char *rest)
{
	char key[64];
	const char *slash = strrchr(rest, '/');
	long k = 0, count = -1;
	struct MHD_Response *r;

	if (!slash || (size_t)(slash - rest) >= sizeof(key) ||
	    cw_parse_long(slash + 1, 0, 1000, &k))
		return simple(c, 400, "text/plain", "use /flaky/KEY/K\n");
	snprintf(key, sizeof(key), "%.*s", (int)(slash - rest), rest);
	pthread_mutex_lock(&flaky_lock);
	for (size_t i = 0; i < n_flaky; i++)
		if (strcmp(flaky[i].key, key) == 0)
			count = ++flaky[i].count;
	if (count < 0 && n_flaky < FLAKY_MAX) {
		snprintf(flaky[n_flaky].key, sizeof(flaky[n_flaky].key), "%s",
			 key);
		count = flaky[n_flaky++].count = 1;
	}
	pthread_mutex_unlock(&flaky_lock);
	if (count <= k) {
		r = MHD_create_response_from_buffer(20,
						    (void *)(uintptr_t) "try "
									"again "
									"in a "
									"bit\n",
						    MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, "Retry-After", "1");
		MHD_add_response_header(r, "Content-Type", "text/plain");
		atomic_fetch_add(&n_fault[F_503], 1);
		return queue(c, 503, r);
	}
	char body[160];
	snprintf(body, sizeof(body),
		 "<html><body><p>flaky %s answered after %ld attempts</p>"
		 "</body></html>\n",
		 key, count);
	return send_doc(c, body, strlen(body), "text/html; charset=utf-8", 0);
}

static enum MHD_Result serve_doc(struct MHD_Connection *c, long i)
{
	struct cw_buf b = CW_BUF_INIT;
	enum fault f = doc_fault(i);
	long pass = atomic_load(&pass_no);
	enum MHD_Result ret;
	char loop[64];

	atomic_fetch_add(&n_fault[f], 1);
	switch (f) {
	case F_500:
		return simple(c, 500, "text/plain",
			      "internal error (fixture)\n");
	case F_503:
		return simple(c, 503, "text/plain", "unavailable (fixture)\n");
	case F_RESET:
		return do_reset(c);
	case F_HANG:
		return do_hang(c);
	case F_LOOP:
		snprintf(loop, sizeof(loop), "/loop?doc=%ld", i);
		return redirect(c, loop);
	default:
		break;
	}
	build_doc(&b, i, pass);
	if (f == F_SLOW)
		return do_slow(c, cw_buf_detach(&b, NULL), b.len);
	ret = send_doc(c, b.ptr, b.len,
		       f == F_CHARSET ? "text/html; charset=x-clausewatch-bogus"
				      : "text/html; charset=utf-8",
		       doc_changes(i) ? pass : 0);
	cw_buf_release(&b);
	return ret;
}

static enum MHD_Result serve_stats(struct MHD_Connection *c)
{
	struct cw_buf b = CW_BUF_INIT;
	enum MHD_Result ret;

	cw_buf_addf(&b,
		    "{\"requests\":%ld,\"connections\":%ld,"
		    "\"concurrent\":%ld,"
		    "\"max_concurrent\":%ld,\"pass\":%ld,\"faults\":{",
		    atomic_load(&n_requests), atomic_load(&n_connections),
		    atomic_load(&n_concurrent), atomic_load(&max_concurrent),
		    atomic_load(&pass_no));
	for (int f = 0; f < F_COUNT; f++)
		cw_buf_addf(&b, "%s\"%s\":%ld", f ? "," : "", fault_names[f],
			    atomic_load(&n_fault[f]));
	cw_buf_adds(&b, "}}\n");
	ret = simple(c, 200, "application/json", b.ptr);
	cw_buf_release(&b);
	return ret;
}

static enum MHD_Result route(struct MHD_Connection *c, const char *url)
{
	long n;

	if (cw_str_startswith(url, "/doc/")) {
		if (cw_parse_long(url + 5, 0, LONG_MAX, &n) || n >= cfg.ndocs ||
		    !cfg.nseeds)
			return simple(c, 404, "text/plain",
				      "no such document\n");
		return serve_doc(c, n);
	}
	if (cw_str_startswith(url, "/files/"))
		return serve_file(c, url + 7);
	if (cw_str_startswith(url, "/status/")) {
		if (cw_parse_long(url + 8, 200, 599, &n))
			return simple(c, 400, "text/plain", "bad status\n");
		return simple(c, (unsigned)n, "text/plain",
			      "status page (fixture)\n");
	}
	if (cw_str_startswith(url, "/redirect/")) {
		char to[64];

		if (cw_parse_long(url + 10, 0, 1000, &n))
			return simple(c, 400, "text/plain", "bad count\n");
		if (n == 0) {
			static const char end[] = "<html><body><p>end of the "
						  "redirect chain</p>"
						  "</body></html>\n";
			return send_doc(c, end, sizeof(end) - 1,
					"text/html; charset=utf-8", 0);
		}
		snprintf(to, sizeof(to), "/redirect/%ld", n - 1);
		return redirect(c, to);
	}
	if (strcmp(url, "/to") == 0) {
		const char *to = MHD_lookup_connection_value(
			c, MHD_GET_ARGUMENT_KIND, "u");
		if (!to || !*to)
			return simple(c, 400, "text/plain", "use /to?u=URL\n");
		return redirect(c, to);
	}
	if (strcmp(url, "/loop") == 0)
		return redirect(c, "/loop2");
	if (strcmp(url, "/loop2") == 0)
		return redirect(c, "/loop");
	if (cw_str_startswith(url, "/big/")) {
		struct cw_buf b = CW_BUF_INIT;
		enum MHD_Result ret;

		if (cw_parse_long(url + 5, 0, 1L << 30, &n))
			return simple(c, 400, "text/plain", "bad size\n");
		cw_buf_grow(&b, (size_t)n);
		for (long k = 0; k < n; k++)
			b.ptr[k] = (char)('a' + k % 26);
		b.len = (size_t)n;
		b.ptr[n] = '\0';
		ret = send_doc(c, b.ptr, b.len, "text/html; charset=utf-8", 0);
		cw_buf_release(&b);
		return ret;
	}
	if (cw_str_startswith(url, "/bigheader/")) {
		struct MHD_Response *r;
		enum MHD_Result ret;
		char *v;

		if (cw_parse_long(url + 11, 1, 200000, &n))
			return simple(c, 400, "text/plain", "bad size\n");
		v = cw_malloc((size_t)n + 1);
		memset(v, 'h', (size_t)n);
		v[n] = '\0';
		r = MHD_create_response_from_buffer(3, (void *)"ok\n",
						    MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, "X-Padding", v);
		ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		free(v);
		return ret;
	}
	if (strcmp(url, "/hang") == 0)
		return do_hang(c);
	if (strcmp(url, "/reset") == 0)
		return do_reset(c);
	if (strcmp(url, "/slow") == 0) {
		struct cw_buf b = CW_BUF_INIT;

		for (int k = 0; k < 64; k++)
			cw_buf_addf(&b, "<p>slow line %d</p>\n", k);
		return do_slow(c, cw_buf_detach(&b, NULL), b.len);
	}
	if (cw_str_startswith(url, "/charset/")) {
		static const char page[] = "<html><body><p>Caf\xc3\xa9 "
					   "cr\xc3\xa8me, na\xc3\xafve "
					   "r\xc3\xa9sum\xc3\xa9: labelled, "
					   "not necessarily "
					   "encoded, as the header "
					   "says.</p></body></html>\n";
		char ct[128];

		snprintf(ct, sizeof(ct), "text/html; charset=%s", url + 9);
		return send_doc(c, page, sizeof(page) - 1, ct, 0);
	}
	if (cw_str_startswith(url, "/flaky/"))
		return serve_flaky(c, url + 7);
	if (strcmp(url, "/_pass") == 0) {
		char body[32];

		snprintf(body, sizeof(body), "%ld\n",
			 atomic_fetch_add(&pass_no, 1) + 1);
		return simple(c, 200, "text/plain", body);
	}
	if (strcmp(url, "/_stats") == 0)
		return serve_stats(c);
	return simple(c, 404, "text/plain", "not found (fixture)\n");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	static int first_call;
	enum MHD_Result ret;
	long now, max;

	(void)cls;
	(void)version;
	(void)upload;
	/* the first call only announces the headers; answer on the second */
	if (!*state) {
		*state = &first_call;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* bodies are ignored */
		return MHD_YES;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD") &&
	    strcmp(method, "POST"))
		return simple(c, 405, "text/plain", "method not allowed\n");
	atomic_fetch_add(&n_requests, 1);
	now = atomic_fetch_add(&n_concurrent, 1) + 1;
	max = atomic_load(&max_concurrent);
	while (now > max &&
	       !atomic_compare_exchange_weak(&max_concurrent, &max, now))
		;
	if (cfg.latency_ms > 0 && url[0] == '/' && url[1] != '_')
		tool_sleep_ms(cfg.latency_ms);
	ret = route(c, url);
	atomic_fetch_sub(&n_concurrent, 1);
	return ret;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **sock,
			  enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	(void)c;
	(void)sock;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&n_connections, 1);
}

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add(&pass_no, 1);
}

int main(int argc, char **argv)
{
	long port = 0;
	const struct tool_opt opts[] = {
		{ "dir", .text = &cfg.dir },
		{ "docs", .num = &cfg.ndocs },
		{ "seed", .each = load_seed },
		{ "seed-dir", .each = load_seed_dir },
		{ "latency-ms", .num = &cfg.latency_ms },
		{ "change-fraction", .fraction = &cfg.change_fraction },
		{ "fault-fraction", .fraction = &cfg.fault_fraction },
		{ "slow-ms", .num = &cfg.slow_ms },
		{ "hang-ms", .num = &cfg.hang_ms },
		{ "port", .num = &port, .max = 65535 },
		{ NULL },
	};
	struct MHD_OptionItem more[] = {
		{ MHD_OPTION_CONNECTION_LIMIT, 4000, NULL },
		/* room for a /bigheader past libcurl's 100 KiB header cap */
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, 256 * 1024, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, 120, NULL },
		{ MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_Daemon *d;
	int first;

	first = tool_parse(argc, argv, opts, "fixture_server",
			   "fixture_server [--dir DIR] [--docs N] "
			   "[--seed FILE]... [--seed-dir DIR] [--latency-ms "
			   "MS] "
			   "[--change-fraction F] [--fault-fraction F] "
			   "[--slow-ms MS] [--hang-ms MS] [--port P]");
	/* remaining arguments are seeds too */
	for (; first < argc; first++)
		load_seed(argv[first]);
	if (cfg.nseeds && !cfg.ndocs)
		cfg.ndocs = (long)cfg.nseeds;

	tool_signals(on_usr1);
	d = tool_http_start("fixture_server", port, on_request, more);
	tool_wait_quit();
	MHD_stop_daemon(d);
	for (size_t i = 0; i < cfg.nseeds; i++)
		free(cfg.seeds[i]);
	free(cfg.seeds);
	return 0;
}
