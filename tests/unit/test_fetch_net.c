/*
 * Network tests of the fetch module: cw_fetch_url(), the SSRF guard, the
 * browser fetcher's error path and the multi engine, against the fixture
 * server (tests/tools/fixture_server.c) started here on loopback. Its path
 * comes from $CW_FIXTURE_SERVER (set by tests/meson.build); the documents
 * it serves come from $CW_SHARED (real corpus snapshots and seeds).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "fetch/fetch.h"
#include "fetch/multi.h"
#include "helpers.h"

struct server {
	pid_t pid;
	int port;
};

static struct server main_srv = { -1, 0 };
static struct server js_srv = { -1, 0 }; /* browser pages, on demand */
static char snapshot_rel[8192]; /* a real snapshot, relative to snapshots/ */
static char snapshot_path[8192];

static const char *shared(void)
{
	return cw_test_shared_dir();
}

/*
 * Start the tool named by $`env` with `args` (NULL-terminated) and read
 * the port it prints; 0 or -1.
 */
static int tool_start(struct server *s, const char *env,
		      const char *const *args)
{
	const char *bin = getenv(env);
	const char *argv[64];
	char line[32] = { 0 };
	size_t n = 0, got = 0;
	int out[2];

	s->pid = -1;
	if (!bin || access(bin, X_OK) != 0)
		return -1;
	argv[n++] = bin;
	for (size_t i = 0; args[i] && n < 63; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (pipe(out))
		return -1;
	s->pid = fork();
	if (s->pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	while (got < sizeof(line) - 1 && !strchr(line, '\n')) {
		struct pollfd p = { .fd = out[0], .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 20000) <= 0)
			break;
		r = read(out[0], line + got, sizeof(line) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(out[0]);
	long port = 0;
	line[strcspn(line, "\n")] = '\0';
	if (cw_parse_long(line, 1, 65535, &port)) {
		if (s->pid > 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
		}
		s->pid = -1;
		return -1;
	}
	s->port = (int)port;
	return 0;
}

static int server_start(struct server *s, const char *const *args)
{
	return tool_start(s, "CW_FIXTURE_SERVER", args);
}

static void server_stop(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = -1;
}

/* Add every regular file of $CW_SHARED/seeds as --seed arguments. */
static size_t add_seeds(const char **args, size_t n, size_t max,
			struct cw_strv *keep)
{
	char dir[4200];
	DIR *d;
	struct dirent *e;

	snprintf(dir, sizeof(dir), "%s/seeds", shared());
	d = opendir(dir);
	if (!d)
		return n;
	while ((e = readdir(d)) && n + 2 < max) {
		if (e->d_name[0] == '.')
			continue;
		cw_strv_pushf(keep, "%s/%s", dir, e->d_name);
		args[n++] = "--seed";
		args[n++] = NULL; /* filled below: strv may move */
	}
	closedir(d);
	for (size_t i = 0, k = 0; i < n; i++)
		if (!args[i])
			args[i] = keep->v[k++];
	return n;
}

/* Find a real HTML snapshot: snapshots/<service>/<type>/source.html */
static bool find_snapshot(void)
{
	struct cw_strv docs = CW_STRV_INIT;
	char base[4200];
	bool found = false;

	snprintf(base, sizeof(base), "%s/corpus/snapshots", shared());
	cw_test_list_docs(&docs, base);
	for (size_t i = 0; i < docs.n && !found; i++) {
		snprintf(snapshot_path, sizeof(snapshot_path),
			 "%s/%s/source.html", base, docs.v[i]);
		if (cw_file_exists(snapshot_path)) {
			snprintf(snapshot_rel, sizeof(snapshot_rel),
				 "%s/source.html", docs.v[i]);
			found = true;
		}
	}
	if (!found)
		snapshot_path[0] = '\0';
	cw_strv_release(&docs);
	return found;
}

static int setup(void **state)
{
	const char *args[40];
	struct cw_strv keep = CW_STRV_INIT;
	char dir[4200];
	size_t n = 0;

	(void)state;
	cw_fetch_global_init();
	snprintf(dir, sizeof(dir), "%s/corpus/snapshots", shared());
	args[n++] = "--dir";
	args[n++] = dir;
	args[n++] = "--slow-ms";
	args[n++] = "200";
	args[n++] = "--hang-ms";
	args[n++] = "30000";
	n = add_seeds(args, n, 36, &keep);
	args[n] = NULL;
	find_snapshot();
	server_start(&main_srv, args);
	cw_strv_release(&keep);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	server_stop(&main_srv);
	server_stop(&js_srv);
	return 0;
}

#define NEED_SERVER()                                                      \
	do {                                                               \
		if (main_srv.pid <= 0) {                                   \
			print_message("skipped: fixture server not found " \
				      "($CW_FIXTURE_SERVER)\n");           \
			skip();                                            \
		}                                                          \
	} while (0)

static char *url_of(const struct server *s, const char *path)
{
	return cw_asprintf("http://127.0.0.1:%d%s", s->port, path);
}

/* percent-encode a path (spaces in the corpus' folder names) */
static char *url_of_file(const struct server *s, const char *rel)
{
	struct cw_buf b = CW_BUF_INIT;

	cw_buf_addf(&b, "http://127.0.0.1:%d/files/", s->port);
	for (const char *p = rel; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~/", c))
			cw_buf_addc(&b, (char)c);
		else
			cw_buf_addf(&b, "%%%02X", c);
	}
	return cw_buf_detach(&b, NULL);
}

static struct cw_fetch_opts local_opts(void)
{
	struct cw_fetch_opts o = CW_FETCH_OPTS_INIT;

	o.allow_private = true; /* the fixture server is on loopback */
	o.timeout_ms = 20000;
	return o;
}

#define NEED_SNAPSHOT()                                                    \
	do {                                                               \
		NEED_SERVER();                                             \
		if (!snapshot_rel[0]) {                                    \
			print_message("skipped: no corpus snapshot under " \
				      "%s\n",                              \
				      shared());                           \
			skip();                                            \
		}                                                          \
	} while (0)

/* ---- single fetch ---- */

static void test_fetch_net__gzip_body_matches_file(void **state)
{
	struct cw_fetch_opts o = local_opts();
	struct cw_fetch_result r;
	struct cw_buf file = CW_BUF_INIT;
	struct cw_err e = CW_ERR_INIT;
	char *url;

	(void)state;
	NEED_SNAPSHOT();
	assert_int_equal(cw_file_read(&file, snapshot_path, 64u << 20, NULL),
			 CW_OK);
	url = url_of_file(&main_srv, snapshot_rel);
	cw_fetch_result_init(&r);
	assert_int_equal(cw_fetch_url(&r, url, &o, &e), CW_OK);
	assert_int_equal(r.status, 200);
	/* the bytes as served, decoded from gzip, equal the file */
	assert_int_equal(r.body.len, file.len);
	assert_memory_equal(r.body.ptr, file.ptr, file.len);
	/* it was compressed on the wire */
	assert_true(r.wire_bytes > 0 && r.wire_bytes < r.body.len);
	assert_string_equal(r.content_type, "text/html");
	assert_string_equal(r.charset, "utf-8");
	assert_non_null(r.etag);
	assert_non_null(r.last_modified);
	assert_string_equal(r.final_url, url);
	cw_fetch_result_release(&r);
	cw_buf_release(&file);
	free(url);
}

/*
 * Fetches from the main fixture server, each a row of what it sends and
 * what must come back; a field left 0 or NULL is not checked. A case is
 * one row and the rows after it marked `then`, fetched in turn into one
 * result.
 */
struct fetch_case {
	const char *name; /* the cmocka test */
	bool then;	  /* continues the case above */
	const char *path;
	/* over local_opts() */
	long max_redirects;
	size_t max_bytes;
	long timeout_ms;
	/* what comes back */
	int rc;
	long status;	  /* -1: no answer at all (status 0) */
	bool names_url;	  /* the error message names the URL */
	const char *says; /* the error message says this */
	const char *ctype;
	const char *charset;
	const char *in_body;
	long redirects;
	const char *final_end; /* the final URL ends so */
	size_t len;	       /* the body has exactly this many bytes */
	size_t max_len;	       /* at most this many */
	void (*also)(const struct cw_fetch_result *r);
};

/* /big/N bodies are the alphabet, again and again */
static void alphabet_body(const struct cw_fetch_result *r)
{
	assert_int_equal(r->body.ptr[26], 'a');
}

static const struct fetch_case fetch_cases[] = {
	{ "test_fetch_net__charset_reported", .path = "/charset/ISO-8859-1",
	  .ctype = "text/html",
	  /* the bytes are reported, not converted */
	  .charset = "iso-8859-1", .in_body = "Caf\xc3\xa9" },
	{ "test_fetch_net__redirects_followed", .path = "/redirect/3",
	  .redirects = 3, .final_end = "/redirect/0",
	  .in_body = "end of the redirect chain" },
	{ "test_fetch_net__redirect_loop_capped", .path = "/loop",
	  .max_redirects = 5, .rc = CW_ENET, .names_url = true,
	  .says = "more than 5 redirects" },
	/* a chain longer than the cap fails the same way */
	{ .then = true,
	  .path = "/redirect/6",
	  .max_redirects = 5,
	  .rc = CW_ENET },
	/* gzip makes the wire size small: the cap is on decoded bytes */
	{ "test_fetch_net__size_cap", .path = "/big/3000000",
	  .max_bytes = 100000, .rc = CW_ETOOBIG, .says = "100000",
	  .max_len = 100000 },
	/* under the cap it passes, byte-exact */
	{ .then = true,
	  .path = "/big/99999",
	  .max_bytes = 100000,
	  .len = 99999,
	  .also = alphabet_body },
	{ "test_fetch_net__timeout", .path = "/hang", .timeout_ms = 500,
	  .rc = CW_ETIMEOUT, .names_url = true, .status = -1 },
	/* a body that trickles in past the limit times out as well */
	{ .then = true, .path = "/slow", .timeout_ms = 500, .rc = CW_ETIMEOUT },
	{ "test_fetch_net__http_error_reported", .path = "/status/500",
	  .rc = CW_EHTTP, .status = 500, .names_url = true, .says = "500" },
	{ "test_fetch_net__reset_reported", .path = "/reset", .rc = CW_ENET,
	  .names_url = true },
	/* a 304 to a request that asked no condition is no "not modified"
	 * (a document would stay unarchived and look healthy) */
	{ "test_fetch_net__unasked_304_refused", .path = "/status/304",
	  .rc = CW_EHTTP, .status = 304, .names_url = true,
	  .says = "asked no condition" },
	/* a header past libcurl's cap is a hostile answer, not "Out of
	 * memory" */
	{ "test_fetch_net__giant_header_named", .path = "/bigheader/200000",
	  .rc = CW_ETOOBIG, .names_url = true, .says = "response headers" },
};

static void check_fetch(struct cw_fetch_result *r, const struct fetch_case *c)
{
	struct cw_fetch_opts o = local_opts();
	struct cw_err e = CW_ERR_INIT;
	char *url = url_of(&main_srv, c->path);

	if (c->max_redirects)
		o.max_redirects = c->max_redirects;
	if (c->max_bytes)
		o.max_bytes = c->max_bytes;
	if (c->timeout_ms)
		o.timeout_ms = c->timeout_ms;
	assert_int_equal(cw_fetch_url(r, url, &o, &e), c->rc);
	if (c->status)
		assert_int_equal(r->status, c->status < 0 ? 0 : c->status);
	if (c->names_url)
		assert_non_null(strstr(e.msg, url));
	if (c->says)
		assert_non_null(strstr(e.msg, c->says));
	if (c->ctype)
		assert_string_equal(r->content_type, c->ctype);
	if (c->charset)
		assert_string_equal(r->charset, c->charset);
	if (c->in_body)
		assert_non_null(strstr(r->body.ptr, c->in_body));
	if (c->redirects)
		assert_int_equal(r->redirects, c->redirects);
	if (c->final_end)
		assert_true(cw_str_endswith(r->final_url, c->final_end));
	if (c->len)
		assert_int_equal(r->body.len, c->len);
	if (c->max_len)
		assert_true(r->body.len <= c->max_len);
	if (c->also)
		c->also(r);
	free(url);
}

/* The test of one case: state is its first row. */
static void run_fetch_case(void **state)
{
	const struct fetch_case *c = *state;
	const struct fetch_case *end = fetch_cases + CW_TEST_LEN(fetch_cases);
	struct cw_fetch_result r;

	NEED_SERVER();
	cw_fetch_result_init(&r);
	check_fetch(&r, c);
	for (c++; c < end && c->then; c++)
		check_fetch(&r, c);
	cw_fetch_result_release(&r);
}

/* The cmocka test of the fetch case `name` (the full test name). */
static struct CMUnitTest fetch_case(const char *name)
{
	struct CMUnitTest t = { name, run_fetch_case, NULL, NULL, NULL };

	for (size_t i = 0; i < CW_TEST_LEN(fetch_cases); i++)
		if (fetch_cases[i].name && !strcmp(fetch_cases[i].name, name))
			t.initial_state = (void *)(uintptr_t)&fetch_cases[i];
	if (!t.initial_state) {
		fprintf(stderr, "no fetch case '%s'\n", name);
		abort();
	}
	return t;
}

static void test_fetch_net__conditional_304(void **state)
{
	struct cw_fetch_opts o = local_opts();
	struct cw_fetch_result r;
	struct cw_err e = CW_ERR_INIT;
	char *url, *etag, *lm;

	(void)state;
	NEED_SNAPSHOT();
	url = url_of_file(&main_srv, snapshot_rel);
	cw_fetch_result_init(&r);
	assert_int_equal(cw_fetch_url(&r, url, &o, &e), CW_OK);
	etag = cw_strdup(r.etag);
	lm = cw_strdup(r.last_modified);

	o.if_none_match = etag;
	assert_int_equal(cw_fetch_url(&r, url, &o, &e), CW_EUNCHANGED);
	assert_int_equal(r.status, 304);
	assert_int_equal(r.body.len, 0);
	assert_string_equal(r.etag, etag);

	o.if_none_match = NULL;
	o.if_modified_since = lm;
	assert_int_equal(cw_fetch_url(&r, url, &o, &e), CW_EUNCHANGED);

	/* a validator that does not match gets the document */
	o.if_modified_since = NULL;
	o.if_none_match = "\"0000000000000000\"";
	assert_int_equal(cw_fetch_url(&r, url, &o, &e), CW_OK);
	assert_int_equal(r.status, 200);
	assert_true(r.body.len > 0);
	cw_fetch_result_release(&r);
	free(etag);
	free(lm);
	free(url);
}

static void test_fetch_net__ssrf_refuses_loopback(void **state)
{
	struct cw_fetch_opts o = CW_FETCH_OPTS_INIT; /* allow_private off */
	struct cw_fetch_result r;
	struct cw_err e = CW_ERR_INIT;
	char *url, *byname, *redir;

	(void)state;
	NEED_SERVER();
	url = url_of(&main_srv, "/doc/0");
	byname = cw_asprintf("http://localhost:%d/doc/0", main_srv.port);
	cw_fetch_result_init(&r);
	assert_int_equal(cw_fetch_url(&r, url, &o, &e), CW_EBLOCKED);
	assert_non_null(strstr(e.msg, "'127.0.0.1'"));
	assert_non_null(strstr(e.msg, "loopback"));
	assert_int_equal(r.status, 0);
	/* a name is judged by the address it resolves to */
	assert_int_equal(cw_fetch_url(&r, byname, &o, &e), CW_EBLOCKED);
	assert_non_null(strstr(e.msg, "loopback"));
	/* the same URL with allow_private reaches the server */
	o.allow_private = true;
	redir = url_of(&main_srv, "/status/404");
	assert_int_equal(cw_fetch_url(&r, redir, &o, &e), CW_EHTTP);
	assert_int_equal(r.status, 404);
	cw_fetch_result_release(&r);
	free(url);
	free(byname);
	free(redir);
}

static void test_fetch_net__protocols_limited(void **state)
{
	struct cw_fetch_opts o = local_opts();
	struct cw_fetch_result r;
	struct cw_err e = CW_ERR_INIT;

	(void)state;
	cw_fetch_result_init(&r);
	assert_int_equal(cw_fetch_url(&r, "file:///etc/passwd", &o, &e),
			 CW_EBLOCKED);
	assert_non_null(strstr(e.msg, "file:///etc/passwd"));
	assert_int_equal(r.body.len, 0);
	assert_int_equal(cw_fetch_url(&r, "gopher://127.0.0.1/", &o, &e),
			 CW_EBLOCKED);
	/* nor may a redirect lead elsewhere */
	if (main_srv.pid > 0) {
		char *url = url_of(&main_srv, "/to?u=file:///etc/passwd");

		assert_int_equal(cw_fetch_url(&r, url, &o, &e), CW_EBLOCKED);
		assert_non_null(strstr(e.msg, url));
		assert_null(strstr(cw_buf_str(&r.body), "root:"));
		free(url);
	}
	cw_fetch_result_release(&r);
}

static int check_text(const char *text, bool allow_private)
{
	struct sockaddr_storage ss;
	size_t len;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
		len = sizeof(*s4);
	}
	return cw_fetch_check_addr((struct sockaddr *)&ss, len, allow_private,
				   NULL);
}

static void test_fetch_net__ssrf_address_ranges(void **state)
{
	static const char *const refused[] = {
		"127.0.0.1",
		"127.255.0.9",
		"10.0.0.1",
		"10.255.255.255",
		"172.16.0.1",
		"172.31.255.255",
		"192.168.1.1",
		"169.254.0.5",
		"169.254.169.254",
		"100.64.0.1",
		"100.127.255.254",
		"0.0.0.0",
		"0.1.2.3",
		"224.0.0.1",
		"239.255.255.250",
		"255.255.255.255",
		"::1",
		"::",
		"fc00::1",
		"fd12:3456::1",
		"fd00:ec2::254",
		"fe80::1",
		"ff02::1",
		"::ffff:127.0.0.1",
		"::ffff:10.1.2.3",
		"::ffff:169.254.169.254",
		"64:ff9b::a00:1",
		"2002:c0a8:0101::1",
	};
	static const char *const allowed[] = {
		"8.8.8.8",
		"1.1.1.1",
		"172.32.0.1",
		"172.15.255.255",
		"100.128.0.1",
		"100.63.255.255",
		"192.169.0.1",
		"169.255.0.1",
		"2606:4700:4700::1111",
		"2a00:1450:4007:80f::200e",
		"::ffff:93.184.216.34",
		"64:ff9b::808:808",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		if (check_text(refused[i], false) != CW_EBLOCKED)
			fail_msg("'%s' should be refused", refused[i]);
	}
	for (size_t i = 0; i < sizeof(allowed) / sizeof(*allowed); i++) {
		if (check_text(allowed[i], false) != CW_OK)
			fail_msg("'%s' should be allowed", allowed[i]);
	}
	/* allow_private opens private ranges, never the metadata endpoints */
	assert_int_equal(check_text("127.0.0.1", true), CW_OK);
	assert_int_equal(check_text("10.1.2.3", true), CW_OK);
	assert_int_equal(check_text("fe80::1", true), CW_OK);
	assert_int_equal(check_text("169.254.169.254", true), CW_EBLOCKED);
	assert_int_equal(check_text("fd00:ec2::254", true), CW_EBLOCKED);
	assert_int_equal(check_text("::ffff:169.254.169.254", true),
			 CW_EBLOCKED);
}

static void test_fetch_net__content_type_parsed(void **state)
{
	/* the media type in lower case, the charset parameter unquoted */
	static const struct {
		const char *header;
		int rc;
		const char *media, *charset;
	} cases[] = {
		{ "Text/HTML ; foo=bar; Charset=\"Windows-1252\" ; x=y", CW_OK,
		  "text/html", "windows-1252" },
		{ "application/pdf", CW_OK, "application/pdf", NULL },
		{ "text/plain;charset=utf-8", CW_OK, "text/plain", "utf-8" },
		{ " ; charset=x", CW_EINVAL, NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < CW_TEST_LEN(cases); i++) {
		char *m = NULL, *cs = NULL;

		assert_int_equal(cw_fetch_parse_content_type(&m, &cs,
							     cases[i].header),
				 cases[i].rc);
		if (cases[i].media)
			assert_string_equal(m, cases[i].media);
		else
			assert_null(m);
		if (cases[i].charset)
			assert_string_equal(cs, cases[i].charset);
		else
			assert_null(cs);
		free(m);
		free(cs);
	}
}

/* A socket listening on 127.0.0.1, on a port the kernel chose: *port. */
static int listen_loopback(int backlog, int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, backlog), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

/* ---- HTTP/2 ---- */

/*
 * No TLS server here speaks HTTP/2, but what a client offers is visible in
 * its first bytes: the TLS ClientHello lists the application protocols it
 * accepts (ALPN, RFC 7301). A listener on loopback reads that record,
 * notes whether "h2" is offered, and closes; the fetch then fails, which
 * is expected. Record and handshake layouts: RFC 8446 sections 5.1, 4.1.2.
 */
struct hello_catcher {
	int fd;		 /* listening socket */
	int connections; /* accepted */
	int offers_h2;	 /* ClientHellos that offered "h2" */
	int offers_http11;
};

static size_t be(const unsigned char *p, int n)
{
	size_t v = 0;

	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Scan one ClientHello (record included) for the ALPN protocols. */
static void scan_hello(struct hello_catcher *hc, const unsigned char *b,
		       size_t n)
{
	size_t i = 5 + 4 + 2 + 32, end, ext_end;

	if (n < i + 1 || b[0] != 0x16 || b[5] != 0x01)
		return;
	i += 1 + b[i]; /* session id */
	if (i + 2 > n)
		return;
	i += 2 + be(b + i, 2); /* cipher suites */
	if (i + 1 > n)
		return;
	i += 1 + b[i]; /* compression methods */
	if (i + 2 > n)
		return;
	ext_end = i + 2 + be(b + i, 2);
	i += 2;
	if (ext_end > n)
		ext_end = n;
	while (i + 4 <= ext_end) {
		size_t type = be(b + i, 2), len = be(b + i + 2, 2);

		i += 4;
		if (type == 0x0010 && i + 2 <= ext_end) { /* ALPN */
			size_t j = i + 2;

			end = i + len < ext_end ? i + len : ext_end;
			while (j < end) {
				size_t l = b[j++];

				if (j + l > end)
					break;
				if (l == 2 && !memcmp(b + j, "h2", 2))
					hc->offers_h2++;
				if (l == 8 && !memcmp(b + j, "http/1.1", 8))
					hc->offers_http11++;
				j += l;
			}
		}
		i += len;
	}
}

static void *catch_hellos(void *arg)
{
	struct hello_catcher *hc = arg;

	for (;;) {
		struct pollfd p = { .fd = hc->fd, .events = POLLIN };
		unsigned char buf[16384];
		size_t got = 0;
		int c;

		if (poll(&p, 1, 10000) <= 0)
			break;
		c = accept(hc->fd, NULL, NULL);
		if (c < 0)
			break;
		hc->connections++;
		/* the whole first record: 5-byte header, then its length */
		while (got < sizeof(buf)) {
			struct pollfd q = { .fd = c, .events = POLLIN };
			ssize_t r;

			if (poll(&q, 1, 5000) <= 0)
				break;
			r = read(c, buf + got, sizeof(buf) - got);
			if (r <= 0)
				break;
			got += (size_t)r;
			if (got >= 5 && got >= 5 + be(buf + 3, 2))
				break;
		}
		scan_hello(hc, buf, got);
		close(c);
		if (hc->connections == 2)
			break;
	}
	return NULL;
}

static void hello_done(void *ctx, struct cw_fetch_multi_result *r)
{
	*(int *)ctx = r->rc;
}

static void test_fetch_net__http2_offered_over_tls(void **state)
{
	curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
	struct hello_catcher hc = { -1, 0, 0, 0 };
	struct cw_fetch_opts fo = CW_FETCH_OPTS_INIT;
	struct cw_fetch_multi_opts mo = CW_FETCH_MULTI_OPTS_INIT;
	struct cw_fetch_multi *m = NULL;
	struct cw_fetch_result r;
	struct cw_err e = CW_ERR_INIT;
	pthread_t th;
	char *url;
	int multi_rc = 1, port;

	(void)state;
	if (!(vi->features & CURL_VERSION_HTTP2)) {
		print_message("skipped: this libcurl was built without "
			      "HTTP/2\n");
		skip();
	}
	hc.fd = listen_loopback(4, &port);
	assert_int_equal(pthread_create(&th, NULL, catch_hellos, &hc), 0);
	url = cw_asprintf("https://127.0.0.1:%d/", port);

	/* the single fetch */
	cw_fetch_result_init(&r);
	fo.allow_private = true;
	fo.timeout_ms = 5000;
	assert_int_not_equal(cw_fetch_url(&r, url, &fo, &e), CW_OK);
	cw_fetch_result_release(&r);

	/* and the multi engine (same transfer set-up, its own multi handle) */
	mo.fetch = fo;
	mo.max_attempts = 1;
	mo.on_done = hello_done;
	mo.ctx = &multi_rc;
	assert_int_equal(cw_fetch_multi_new(&m, &mo, &e), CW_OK);
	{
		struct cw_fetch_multi_req rq = { url, NULL, NULL, NULL };

		assert_int_equal(cw_fetch_multi_add(m, &rq, &e), CW_OK);
	}
	assert_int_equal(cw_fetch_multi_run(m, &e), CW_OK);
	assert_int_not_equal(multi_rc, CW_OK);
	cw_fetch_multi_free(m);

	pthread_join(th, NULL);
	close(hc.fd);
	free(url);
	assert_int_equal(hc.connections, 2);
	/* both offered h2 first-class, with HTTP/1.1 as the fallback */
	assert_int_equal(hc.offers_h2, 2);
	assert_int_equal(hc.offers_http11, 2);
}

/* ---- headless browser ---- */

static void test_fetch_net__browser_missing_names_package(void **state)
{
	struct cw_fetch_browser_opts bo = CW_FETCH_BROWSER_OPTS_INIT;
	struct cw_fetch_result r;
	struct cw_err e = CW_ERR_INIT;

	(void)state;
	bo.binary = "/nonexistent/chromium";
	cw_fetch_result_init(&r);
	assert_int_equal(cw_fetch_browser(&r, "http://127.0.0.1:1/", &bo, &e),
			 CW_ENOTFOUND);
	assert_non_null(strstr(e.msg, "Debian package 'chromium'"));
	assert_non_null(strstr(e.msg, "CW_CHROMIUM"));
	assert_int_equal(r.body.len, 0);
	/* and a URL that is not http(s) is refused before anything runs */
	assert_int_equal(cw_fetch_browser(&r, "file:///etc/passwd", &bo, &e),
			 CW_EINVAL);
	cw_fetch_result_release(&r);
}

/*
 * The process handling of cw_fetch_browser() (arguments, profile folder,
 * pipes, deadline, size cap, exit status) checked with small shell
 * scripts standing in for the browser; the real browser is exercised by
 * test_fetch_net__browser_renders_page when chromium is installed.
 */
static char *write_script(const char *dir, const char *name, const char *body)
{
	char *path = cw_asprintf("%s/%s", dir, name);
	char *text = cw_asprintf("#!/bin/sh\n%s\n", body);

	assert_int_equal(cw_file_write_atomic(path, text, strlen(text), NULL),
			 CW_OK);
	assert_int_equal(chmod(path, 0755), 0);
	free(text);
	return path;
}

static void test_fetch_net__browser_process_handling(void **state)
{
	struct cw_fetch_browser_opts bo = CW_FETCH_BROWSER_OPTS_INIT;
	struct cw_fetch_result r;
	struct cw_err e = CW_ERR_INIT;
	char dir[] = "/tmp/cw-test-browser-XXXXXX";
	char *ok, *hang, *big, *bad, *profile = NULL;
	char **scripts[] = { &ok, &hang, &big, &bad };
	const char *p;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* prints its arguments and whether the profile folder exists */
	ok = write_script(dir, "ok",
			  "for a; do case $a in --user-data-dir=*) "
			  "d=${a#--user-data-dir=}; "
			  "[ -d \"$d\" ] && echo \"<!-- profile $d -->\";; "
			  "esac; done\n"
			  "printf '<html><body>%s</body></html>\\n' \"$*\"");
	hang = write_script(dir, "hang", "sleep 30 & sleep 30");
	big = write_script(dir, "big", "exec yes '<p>again</p>'");
	bad = write_script(dir, "bad",
			   "echo 'starting' >&2; echo 'fatal: no display here' "
			   ">&2; exit 3");
	cw_fetch_result_init(&r);
	bo.allow_private = true;
	bo.check_status = false; /* nothing listens on port 9 */

	bo.binary = ok;
	assert_int_equal(cw_fetch_browser(&r, "http://127.0.0.1:9/page", &bo,
					  &e),
			 CW_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.charset, "utf-8");
	assert_non_null(strstr(r.body.ptr, "--headless"));
	assert_non_null(strstr(r.body.ptr, "--disable-background-networking"));
	assert_non_null(strstr(r.body.ptr, "--disable-quic"));
	assert_non_null(strstr(r.body.ptr, "--dump-dom "
					   "http://127.0.0.1:9/page"));
	/* by default every connection goes through the guarding proxy, and
	 * the browser resolves nothing but its loopback address */
	assert_non_null(strstr(r.body.ptr, "--proxy-server=http://127.0.0.1:"));
	assert_non_null(strstr(r.body.ptr, "--proxy-bypass-list=<-loopback>"));
	assert_non_null(strstr(r.body.ptr, "--host-resolver-rules=MAP * "
					   "~NOTFOUND, EXCLUDE 127.0.0.1"));
	assert_null(strstr(r.body.ptr, "--no-proxy-server"));
	assert_non_null(strstr(r.body.ptr, "--virtual-time-budget=10000"));
	/* Chromium stops loading and prints before our own deadline: a
	 * quarter of the time is kept back (capped at 10 s) from what is
	 * left of the 60 s once the preflight is done */
	{
		const char *t = strstr(r.body.ptr, "--timeout=");
		long soft;

		assert_non_null(t);
		soft = strtol(t + strlen("--timeout="), NULL, 10);
		assert_true(soft > 0 && soft <= 50000);
	}
	/* the sandbox is only turned off where it cannot work: as root */
	if (geteuid() == 0)
		assert_non_null(strstr(r.body.ptr, "--no-sandbox"));
	else
		assert_null(strstr(r.body.ptr, "--no-sandbox"));
	/* origin_only: only the page's own host and port resolve, IP
	 * literals included, and no proxy */
	bo.origin_only = true;
	assert_int_equal(cw_fetch_browser(&r, "http://127.0.0.1:9/page", &bo,
					  &e),
			 CW_OK);
	assert_non_null(strstr(r.body.ptr, "--no-proxy-server"));
	assert_null(strstr(r.body.ptr, "--proxy-server="));
	assert_non_null(strstr(r.body.ptr, "--host-resolver-rules=MAP "
					   "127.0.0.1:9 127.0.0.1, MAP * "
					   "~NOTFOUND"));
	p = strstr(r.body.ptr, "<!-- profile ");
	assert_non_null(p);
	profile = cw_strndup(p + 13, strcspn(p + 13, " "));
	/* the fresh profile existed during the run and is gone after it */
	assert_false(cw_dir_exists(profile));

	/* a host name is resolved, checked, and pinned for the browser */
	assert_int_equal(cw_fetch_browser(&r, "http://localhost:9/", &bo, &e),
			 CW_OK);
	assert_non_null(strstr(r.body.ptr, "--host-resolver-rules=MAP "
					   "localhost:9 "));
	assert_int_equal(cw_fetch_browser(&r, "https://LocalHost/x", &bo, &e),
			 CW_OK);
	assert_non_null(strstr(r.body.ptr, "--host-resolver-rules=MAP "
					   "localhost:443 "));
	bo.allow_private = false;
	assert_int_equal(cw_fetch_browser(&r, "http://localhost:9/", &bo, &e),
			 CW_EBLOCKED);
	assert_non_null(strstr(e.msg, "loopback"));
	bo.allow_private = true;
	bo.origin_only = false;

	bo.binary = hang;
	bo.timeout_ms = 300;
	assert_int_equal(cw_fetch_browser(&r, "http://127.0.0.1:9/", &bo, &e),
			 CW_ETIMEOUT);
	assert_int_equal(r.body.len, 0);

	bo.binary = big;
	bo.timeout_ms = 20000;
	bo.max_bytes = 100000;
	assert_int_equal(cw_fetch_browser(&r, "http://127.0.0.1:9/", &bo, &e),
			 CW_ETOOBIG);
	assert_non_null(strstr(e.msg, "100000"));

	bo.binary = bad;
	assert_int_equal(cw_fetch_browser(&r, "http://127.0.0.1:9/", &bo, &e),
			 CW_ENET);
	assert_non_null(strstr(e.msg, "exited with 3"));
	assert_non_null(strstr(e.msg, "fatal: no display here"));

	cw_fetch_result_release(&r);
	for (size_t i = 0; i < CW_TEST_LEN(scripts); i++) {
		remove(*scripts[i]);
		free(*scripts[i]);
	}
	rmdir(dir);
	free(profile);
}

static bool have_chromium(void)
{
	const char *bin = getenv("CW_CHROMIUM");

	if (bin && *bin)
		return access(bin, X_OK) == 0;
	return access("/usr/bin/chromium", X_OK) == 0;
}

/*
 * A second fixture server for the browser tests, serving
 * tests/data/fetch/browser (pages whose text is written by script).
 */

static bool js_server(void)
{
	const char *tests = getenv("CW_TESTS");
	const char *src = getenv("CW_SOURCE_ROOT");
	char dir[4200];
	const char *args[4];

	if (js_srv.pid > 0)
		return true;
	if (tests && *tests)
		snprintf(dir, sizeof(dir), "%s/data/fetch/browser", tests);
	else
		snprintf(dir, sizeof(dir), "%s/tests/data/fetch/browser",
			 src && *src ? src : ".");
	args[0] = "--dir";
	args[1] = dir;
	args[2] = NULL;
	return server_start(&js_srv, args) == 0;
}

/* cw_fetch_browser(), which must succeed */
static void browse_ok(struct cw_fetch_result *r, const char *url,
		      const struct cw_fetch_browser_opts *bo)
{
	struct cw_err e = CW_ERR_INIT;

	if (cw_fetch_browser(r, url, bo, &e))
		fail_msg("%s", e.msg);
}

#define NEED_CHROMIUM()                                                    \
	do {                                                               \
		if (!have_chromium()) {                                    \
			print_message("skipped: chromium not installed "   \
				      "(Debian package 'chromium')\n");    \
			skip();                                            \
		}                                                          \
		if (!js_server()) {                                        \
			print_message("skipped: fixture server not found " \
				      "($CW_FIXTURE_SERVER)\n");           \
			skip();                                            \
		}                                                          \
	} while (0)

static void test_fetch_net__browser_renders_page(void **state)
{
	struct cw_fetch_browser_opts bo = CW_FETCH_BROWSER_OPTS_INIT;
	struct cw_fetch_opts fo = CW_FETCH_OPTS_INIT;
	struct cw_fetch_result r;
	struct cw_err e = CW_ERR_INIT;
	/* the element's text, not the script's source, which has it too */
	static const char written[] = "<p id=\"state\">Section 4.2: this "
				      "sentence was written by the page "
				      "script.</p>";
	char *url;

	(void)state;
	NEED_CHROMIUM();
	url = url_of(&js_srv, "/files/scripted.html");
	cw_fetch_result_init(&r);
	bo.allow_private = true;
	/* the page as served has no such sentence: a timer writes it */
	fo.allow_private = true;
	assert_int_equal(cw_fetch_url(&r, url, &fo, &e), CW_OK);
	assert_null(strstr(cw_buf_str(&r.body), written));
	browse_ok(&r, url, &bo);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/html");
	assert_string_equal(r.final_url, url);
	assert_non_null(strstr(r.body.ptr, "<html"));
	if (!strstr(r.body.ptr, written))
		fail_msg("the script's sentence is not in the DOM:\n%s",
			 r.body.ptr);
	assert_null(strstr(r.body.ptr, "Nothing here until the script runs."));
	/* and without its budget of virtual time the timer never fires */
	bo.settle_ms = 0;
	browse_ok(&r, url, &bo);
	assert_null(strstr(r.body.ptr, written));
	assert_non_null(strstr(r.body.ptr, "Nothing here until the script "
					   "runs."));
	cw_fetch_result_release(&r);
	free(url);
}

static void test_fetch_net__browser_other_origins_refused(void **state)
{
	struct cw_fetch_browser_opts bo = CW_FETCH_BROWSER_OPTS_INIT;
	struct cw_fetch_result r;
	struct cw_err e = CW_ERR_INIT;
	char *url;

	(void)state;
	NEED_CHROMIUM();
	cw_fetch_result_init(&r);
	bo.allow_private = true;
	/*
	 * The page loads one script from its own origin and one from the same
	 * server under the name "localhost". By default both come through the
	 * guarding proxy (loopback is allowed here); with origin_only only the
	 * first may run.
	 */
	url = url_of(&js_srv, "/files/origins.html");
	browse_ok(&r, url, &bo);
	if (!strstr(r.body.ptr, "The script from this origin ran.") ||
	    !strstr(r.body.ptr, "A script from another origin ran."))
		fail_msg("a script did not run through the proxy:\n%s",
			 r.body.ptr);
	assert_int_equal(r.refused, 0);
	bo.origin_only = true;
	browse_ok(&r, url, &bo);
	if (!strstr(r.body.ptr, "The script from this origin ran."))
		fail_msg("the same-origin script did not run:\n%s", r.body.ptr);
	assert_non_null(strstr(r.body.ptr, "No script from another origin "
					   "ran."));
	assert_null(strstr(r.body.ptr, "A script from another origin ran."));
	bo.origin_only = false;
	free(url);

	/*
	 * The proxy applies the address guard to every connection: a script
	 * on the cloud metadata address (refused even with allow_private) is
	 * refused there, counted, and the page renders without it.
	 */
	url = url_of(&js_srv, "/files/metadata.html");
	browse_ok(&r, url, &bo);
	assert_true(r.refused >= 1);
	assert_non_null(strstr(r.body.ptr, "The script from this origin ran."));
	assert_null(strstr(r.body.ptr, "A script from another origin ran."));
	free(url);

	/* an error status is reported as such, not rendered as a document */
	url = url_of(&js_srv, "/status/404");
	assert_int_equal(cw_fetch_browser(&r, url, &bo, &e), CW_EHTTP);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.body.len, 0);
	free(url);

	/* redirects are followed before rendering; the final URL is rendered */
	url = cw_asprintf("http://127.0.0.1:%d/to?u=http://127.0.0.1:%d/files/"
			  "scripted.html",
			  js_srv.port, js_srv.port);
	browse_ok(&r, url, &bo);
	assert_non_null(strstr(r.final_url, "/files/scripted.html"));
	assert_non_null(strstr(r.body.ptr, "<p id=\"state\">Section 4.2"));
	free(url);

	/* and the guard still applies: loopback refused by default */
	bo.allow_private = false;
	url = url_of(&js_srv, "/files/scripted.html");
	assert_int_equal(cw_fetch_browser(&r, url, &bo, &e), CW_EBLOCKED);
	free(url);
	cw_fetch_result_release(&r);
}

/*
 * A server on loopback for the stalled-upload test: "GET /" gets a page
 * whose script POSTs 32 MiB to /sink; any other request's head is read
 * and then the connection is held open and never read again, so the
 * browser's proxy finds the upstream socket full.
 */
struct sink_server {
	int lfd;
	int stop[2];
	int held[16];
	size_t nheld;
	pthread_t th;
};

static void *sink_run(void *arg)
{
	struct sink_server *s = arg;
	static const char body[] = "<!doctype "
				   "html><html><body><p>upload</p><script>"
				   "fetch('/"
				   "sink',{method:'POST',body:'x'.repeat(32<<"
				   "20)});"
				   "</script></body></html>\n";
	char page[512];
	int pn = snprintf(page, sizeof(page),
			  "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
			  "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
			  sizeof(body) - 1, body);

	for (;;) {
		struct pollfd p[2] = { { .fd = s->lfd, .events = POLLIN },
				       { .fd = s->stop[0], .events = POLLIN } };
		char head[8192];
		size_t got = 0;
		int fd;

		if (poll(p, 2, -1) < 0 || p[1].revents)
			break;
		fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		while (got < sizeof(head) - 1) {
			struct pollfd q = { .fd = fd, .events = POLLIN };
			ssize_t r;

			if (poll(&q, 1, 2000) <= 0)
				break;
			r = read(fd, head + got, sizeof(head) - 1 - got);
			if (r <= 0)
				break;
			got += (size_t)r;
			head[got] = '\0';
			if (strstr(head, "\r\n\r\n"))
				break;
		}
		head[got] = '\0';
		if (!strncmp(head, "GET / ", 6)) {
			if (write(fd, page, (size_t)pn) < 0)
				(void)0;
			close(fd);
		} else if (!strncmp(head, "GET ", 4)) {
			static const char nf[] = "HTTP/1.1 404 Not Found\r\n"
						 "Connection: "
						 "close\r\nContent-Length: "
						 "0\r\n\r\n";

			if (write(fd, nf, sizeof(nf) - 1) < 0)
				(void)0;
			close(fd);
		} else if (s->nheld < sizeof(s->held) / sizeof(*s->held)) {
			s->held[s->nheld++] = fd; /* never read again */
		} else {
			close(fd);
		}
	}
	return NULL;
}

/*
 * A page's script uploads a large body to a server that never reads it:
 * the proxy's send to that server cannot complete, and cw_fetch_browser()
 * must still return (an error or a result; only that it returns is
 * checked, not how soon).
 */
static void test_fetch_net__browser_stalled_upload_returns(void **state)
{
	struct cw_fetch_browser_opts bo = CW_FETCH_BROWSER_OPTS_INIT;
	struct cw_fetch_result r;
	struct cw_err e = CW_ERR_INIT;
	struct sink_server s = { .lfd = -1, .stop = { -1, -1 } };
	char url[64];
	int rc, port;

	(void)state;
	if (!have_chromium()) {
		print_message("skipped: chromium not installed "
			      "(Debian package 'chromium')\n");
		skip();
	}
	s.lfd = listen_loopback(16, &port);
	assert_int_equal(pipe(s.stop), 0);
	assert_int_equal(pthread_create(&s.th, NULL, sink_run, &s), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);

	cw_fetch_result_init(&r);
	bo.allow_private = true;
	bo.check_status = false;
	bo.settle_ms = 2000;
	bo.timeout_ms = 6000;
	rc = cw_fetch_browser(&r, url, &bo, &e);
	print_message("stalled upload: rc %d%s%s\n", rc, rc ? ": " : "",
		      rc ? e.msg : "");
	cw_fetch_result_release(&r);

	assert_int_equal(write(s.stop[1], "x", 1), 1);
	pthread_join(s.th, NULL);
	for (size_t i = 0; i < s.nheld; i++)
		close(s.held[i]);
	close(s.lfd);
	close(s.stop[0]);
	close(s.stop[1]);
}

/* ---- multi engine ---- */

struct collect {
	size_t n;
	struct {
		char *url;
		int rc;
		unsigned attempts;
		long status;
		char *body;
		char msg[CW_ERR_MSG_MAX];
		long index;
	} * items;
	size_t cap;
	size_t calls_per[512];
	size_t max_body;
};

static void on_done(void *ctx, struct cw_fetch_multi_result *r)
{
	struct collect *c = ctx;
	long idx = (long)(intptr_t)r->userdata;

	CW_GROW(c->items, c->cap, c->n + 1);
	c->items[c->n].url = cw_strdup(r->url);
	c->items[c->n].rc = r->rc;
	c->items[c->n].attempts = r->attempts;
	c->items[c->n].status = r->res.status;
	/* take the body: the engine must let go of it */
	c->items[c->n].body = cw_buf_detach(&r->res.body, NULL);
	snprintf(c->items[c->n].msg, CW_ERR_MSG_MAX, "%s", r->err.msg);
	c->items[c->n].index = idx;
	if (idx >= 0 && idx < 512)
		c->calls_per[idx]++;
	if (strlen(c->items[c->n].body) > c->max_body)
		c->max_body = strlen(c->items[c->n].body);
	c->n++;
}

static void collect_release(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->items[i].url);
		free(c->items[i].body);
	}
	free(c->items);
}

/* GET /_stats from `s` and read one number out of it */
static long stat_of(const struct server *s, const char *key)
{
	struct cw_fetch_opts o = local_opts();
	struct cw_fetch_result r;
	char *url = url_of(s, "/_stats"), pat[64];
	const char *p;
	long v = -1;

	cw_fetch_result_init(&r);
	if (cw_fetch_url(&r, url, &o, NULL) == CW_OK) {
		snprintf(pat, sizeof(pat), "\"%s\":", key);
		p = strstr(r.body.ptr, pat);
		if (p)
			v = strtol(p + strlen(pat), NULL, 10);
	}
	cw_fetch_result_release(&r);
	free(url);
	return v;
}

/*
 * Start a fixture server of 200 documents made from the seeds, with that
 * latency and change fraction; the test is skipped when it cannot start.
 */
static void need_doc_server(struct server *s, const char *latency,
			    const char *change)
{
	const char *args[40];
	struct cw_strv keep = CW_STRV_INIT;
	size_t n = 0, before;
	int rc = -1;

	args[n++] = "--docs";
	args[n++] = "200";
	args[n++] = "--latency-ms";
	args[n++] = latency;
	args[n++] = "--change-fraction";
	args[n++] = change;
	before = n;
	n = add_seeds(args, n, 36, &keep);
	args[n] = NULL;
	if (getenv("CW_FIXTURE_SERVER") && n > before)
		rc = server_start(s, args);
	cw_strv_release(&keep);
	if (rc) {
		print_message("skipped: fixture server or %s/seeds not found\n",
			      shared());
		skip();
	}
}

/* Multi options that collect every result into `c` (emptied first). */
static struct cw_fetch_multi_opts collecting(struct collect *c)
{
	struct cw_fetch_multi_opts mo = CW_FETCH_MULTI_OPTS_INIT;

	memset(c, 0, sizeof(*c));
	mo.fetch.allow_private = true;
	mo.on_done = on_done;
	mo.ctx = c;
	return mo;
}

/*
 * Queue /doc/0 .. /doc/N-1 of `s`, each with its index as userdata and,
 * when `etags` is not NULL, etags[i] as its validator.
 */
static void add_docs(struct cw_fetch_multi *m, const struct server *s,
		     long ndocs, char **etags)
{
	struct cw_err e = CW_ERR_INIT;

	for (long i = 0; i < ndocs; i++) {
		char *url =
			cw_asprintf("http://127.0.0.1:%d/doc/%ld", s->port, i);
		struct cw_fetch_multi_req rq = { url, etags ? etags[i] : NULL,
						 NULL, (void *)(intptr_t)i };

		assert_int_equal(cw_fetch_multi_add(m, &rq, &e), CW_OK);
		free(url);
	}
}

/* A multi engine of its own, with `mo`, fetches `url` alone (userdata idx). */
static void multi_one(const struct cw_fetch_multi_opts *mo, const char *url,
		      long idx)
{
	struct cw_fetch_multi *m = NULL;
	struct cw_err e = CW_ERR_INIT;
	struct cw_fetch_multi_req rq = { url, NULL, NULL,
					 (void *)(intptr_t)idx };

	assert_int_equal(cw_fetch_multi_new(&m, mo, &e), CW_OK);
	assert_int_equal(cw_fetch_multi_add(m, &rq, &e), CW_OK);
	assert_int_equal(cw_fetch_multi_run(m, &e), CW_OK);
	cw_fetch_multi_free(m);
}

static void test_fetch_net__multi_many_docs_politely(void **state)
{
	struct server srv;
	struct collect c;
	struct cw_fetch_multi_opts mo = collecting(&c);
	struct cw_fetch_multi *m = NULL;
	struct cw_fetch_multi_stats st;
	struct cw_err e = CW_ERR_INIT;
	const long ndocs = 200, nflaky = 8;
	long requests, connections, max_conc;

	(void)state;
	need_doc_server(&srv, "10", "0");
	mo.fetch.timeout_ms = 30000;
	mo.max_transfers = 32;
	mo.max_per_host = 4;
	mo.host_delay_ms = 0;
	mo.max_attempts = 3;
	mo.backoff_ms = 50;
	assert_int_equal(cw_fetch_multi_new(&m, &mo, &e), CW_OK);
	add_docs(m, &srv, ndocs, NULL);
	/* 503 twice with Retry-After: 1, then 200 */
	for (long i = 0; i < nflaky; i++) {
		char *url = cw_asprintf("http://127.0.0.1:%d/flaky/k%ld/2",
					srv.port, i);
		struct cw_fetch_multi_req rq = { url, NULL, NULL,
						 (void *)(intptr_t)(300 + i) };

		assert_int_equal(cw_fetch_multi_add(m, &rq, &e), CW_OK);
		free(url);
	}
	{
		char *u404 =
			cw_asprintf("http://127.0.0.1:%d/status/404", srv.port);
		char *u500 =
			cw_asprintf("http://127.0.0.1:%d/status/500", srv.port);
		struct cw_fetch_multi_req a = { u404, NULL, NULL,
						(void *)(intptr_t)400 };
		struct cw_fetch_multi_req b = { u500, NULL, NULL,
						(void *)(intptr_t)401 };

		assert_int_equal(cw_fetch_multi_add(m, &a, &e), CW_OK);
		assert_int_equal(cw_fetch_multi_add(m, &b, &e), CW_OK);
		free(u404);
		free(u500);
	}
	{
		struct cw_fetch_multi_req bad = { "not a url", NULL, NULL,
						  NULL };
		assert_int_equal(cw_fetch_multi_add(m, &bad, &e), CW_EINVAL);
	}
	assert_int_equal(cw_fetch_multi_run(m, &e), CW_OK);
	cw_fetch_multi_stats(&st, m);

	assert_int_equal(c.n, (size_t)(ndocs + nflaky + 2));
	for (size_t i = 0; i < c.n; i++) {
		long idx = c.items[i].index;

		assert_int_equal(c.calls_per[idx],
				 1); /* exactly one callback */
		if (idx < ndocs) {
			char want[64];

			if (c.items[i].rc != CW_OK)
				fail_msg("doc %ld: %s", idx, c.items[i].msg);
			assert_int_equal(c.items[i].attempts, 1);
			snprintf(want, sizeof(want), "Fixture document %ld.",
				 idx);
			assert_non_null(strstr(c.items[i].body, want));
		} else if (idx < 400) {
			if (c.items[i].rc != CW_OK)
				fail_msg("flaky %ld: %s", idx, c.items[i].msg);
			assert_int_equal(c.items[i].attempts, 3);
			assert_non_null(strstr(c.items[i].body, "after 3 "
								"attempts"));
		} else if (idx == 400) {
			assert_int_equal(c.items[i].rc, CW_EHTTP);
			assert_int_equal(c.items[i].status, 404);
			assert_int_equal(c.items[i].attempts,
					 1); /* not transient */
		} else {
			assert_int_equal(c.items[i].rc, CW_EHTTP);
			assert_int_equal(c.items[i].status, 500);
			assert_int_equal(c.items[i].attempts, 3);
			assert_non_null(strstr(c.items[i].msg, "after 3 "
							       "attempts"));
		}
	}
	assert_int_equal(st.retries, (size_t)(nflaky * 2 + 2));
	assert_int_equal(st.completed, c.n);
	assert_int_equal(st.pending, 0);
	assert_true(st.peak_per_host <= 4);

	/* the server saw the limit honoured, and reused connections */
	requests = stat_of(&srv, "requests");
	connections = stat_of(&srv, "connections");
	max_conc = stat_of(&srv, "max_concurrent");
	print_message("server: %ld requests over %ld connections, at most %ld "
		      "at once\n",
		      requests, connections, max_conc);
	assert_int_equal(requests, ndocs + nflaky * 3 + 1 + 3 + 1);
	assert_true(max_conc >= 1 && max_conc <= 4);
	/* 4 per host, each kept alive: far fewer connections than requests */
	assert_true(connections > 0 && connections <= 16);

	cw_fetch_multi_free(m);
	collect_release(&c);
	server_stop(&srv);
}

static void test_fetch_net__multi_final_errors_not_retried(void **state)
{
	/* each request ends at its first attempt although 5 are allowed */
	static const struct {
		const char *path;
		bool allow_private;
		long backoff_max_ms; /* 0: the default */
		int rc;
		long status;
		const char *says;
	} cases[] = {
		/* a refusal is policy, not a transient connect failure */
		{ "/doc/0", false, 0, CW_EBLOCKED, 0, "'127.0.0.1'" },
		/* a Retry-After longer than backoff_max_ms ends the request */
		{ "/flaky/patience/3", true, 500, CW_EHTTP, 503,
		  "Retry-After 1s" },
	};
	struct collect c;
	struct cw_fetch_multi_opts mo = collecting(&c);

	(void)state;
	NEED_SERVER();
	mo.max_attempts = 5;
	mo.backoff_ms = 10;
	for (size_t i = 0; i < CW_TEST_LEN(cases); i++) {
		char *url = url_of(&main_srv, cases[i].path);

		mo.fetch.allow_private = cases[i].allow_private;
		if (cases[i].backoff_max_ms)
			mo.backoff_max_ms = cases[i].backoff_max_ms;
		multi_one(&mo, url, (long)i);
		assert_int_equal(c.n, i + 1);
		assert_int_equal(c.items[i].rc, cases[i].rc);
		if (cases[i].status)
			assert_int_equal(c.items[i].status, cases[i].status);
		assert_int_equal(c.items[i].attempts, 1);
		assert_non_null(strstr(c.items[i].msg, cases[i].says));
		free(url);
	}
	collect_release(&c);
}

static void test_fetch_net__multi_host_delay(void **state)
{
	struct collect c;
	struct cw_fetch_multi_opts mo;
	struct cw_fetch_multi *m = NULL;
	struct cw_fetch_multi_stats st;
	struct cw_err e = CW_ERR_INIT;
	char *u[3];
	size_t pending = 3;
	bool saw[3] = { false, false, false };

	(void)state;
	NEED_SERVER();
	mo = collecting(&c);
	mo.max_per_host = 4;
	/* far longer than the test: the second start to one host never comes */
	mo.host_delay_ms = 600000;
	assert_int_equal(cw_fetch_multi_new(&m, &mo, &e), CW_OK);
	u[0] = url_of(&main_srv, "/redirect/0");
	u[1] = url_of(&main_srv, "/status/204");
	/* another host name for the same server: its own politeness slot */
	u[2] = cw_asprintf("http://localhost:%d/redirect/0", main_srv.port);
	for (long i = 0; i < 3; i++) {
		struct cw_fetch_multi_req rq = { u[i], NULL, NULL,
						 (void *)(intptr_t)i };
		assert_int_equal(cw_fetch_multi_add(m, &rq, &e), CW_OK);
	}
	/* bounded by a step count, not by the clock */
	for (int k = 0; k < 400 && c.n < 2; k++)
		assert_int_equal(cw_fetch_multi_step(m, 50, &pending, &e),
				 CW_OK);
	assert_int_equal(c.n, 2);
	for (size_t i = 0; i < c.n; i++) {
		assert_int_equal(c.items[i].rc, CW_OK);
		saw[c.items[i].index] = true;
	}
	/* one per host: the first URL of 127.0.0.1 and the one of localhost */
	assert_true(saw[0] && !saw[1] && saw[2]);
	for (int k = 0; k < 5; k++)
		assert_int_equal(cw_fetch_multi_step(m, 20, &pending, &e),
				 CW_OK);
	cw_fetch_multi_stats(&st, m);
	assert_int_equal(pending, 1);
	assert_int_equal(st.running, 0);
	assert_int_equal(st.completed, 2);
	/* freeing with a request still queued: no callback, no leak */
	cw_fetch_multi_free(m);
	assert_int_equal(c.n, 2);
	collect_release(&c);
	for (int i = 0; i < 3; i++)
		free(u[i]);
}

static void test_fetch_net__multi_memory_cap(void **state)
{
	struct server srv;
	struct collect c;
	struct cw_fetch_multi_opts mo;
	struct cw_fetch_multi *m = NULL;
	struct cw_fetch_multi_stats st;
	struct cw_err e = CW_ERR_INIT;
	const long ndocs = 60;

	(void)state;
	need_doc_server(&srv, "0", "0");
	mo = collecting(&c);
	mo.fetch.timeout_ms = 30000;
	mo.max_transfers = 16;
	mo.max_per_host = 16;
	mo.host_delay_ms = 0;
	mo.max_inflight_bytes = 48 * 1024;
	assert_int_equal(cw_fetch_multi_new(&m, &mo, &e), CW_OK);
	add_docs(m, &srv, ndocs, NULL);
	assert_int_equal(cw_fetch_multi_run(m, &e), CW_OK);
	cw_fetch_multi_stats(&st, m);
	assert_int_equal(c.n, (size_t)ndocs);
	for (size_t i = 0; i < c.n; i++) {
		char want[64];

		if (c.items[i].rc != CW_OK)
			fail_msg("doc %ld: %s", c.items[i].index,
				 c.items[i].msg);
		snprintf(want, sizeof(want), "Fixture document %ld.",
			 c.items[i].index);
		assert_non_null(strstr(c.items[i].body, want));
		/* a paused and resumed body is whole: it ends the page */
		assert_non_null(strstr(c.items[i].body, "</html>"));
	}
	print_message("peak in-flight %zu bytes (cap %zu, largest body %zu), "
		      "%zu pauses\n",
		      st.peak_inflight_bytes, mo.max_inflight_bytes, c.max_body,
		      st.pauses);
	assert_true(st.peak_inflight_bytes <=
		    mo.max_inflight_bytes + c.max_body);
	cw_fetch_multi_free(m);
	collect_release(&c);
	server_stop(&srv);
}

static void test_fetch_net__multi_conditional_after_pass(void **state)
{
	struct server srv;
	struct collect first, second;
	struct cw_fetch_multi_opts mo;
	struct cw_fetch_multi *m = NULL;
	struct cw_err e = CW_ERR_INIT;
	struct cw_fetch_result r;
	struct cw_fetch_opts o = local_opts();
	char *etags[40] = { 0 };
	const long ndocs = 40;
	size_t changed = 0, unchanged = 0;
	char *url;

	(void)state;
	need_doc_server(&srv, "0", "0.5");
	memset(&first, 0, sizeof(first));
	mo = collecting(&second);
	mo.max_per_host = 8;
	mo.host_delay_ms = 0;
	/* pass 0: plain fetches, remember the validators */
	for (long i = 0; i < ndocs; i++) {
		url = cw_asprintf("http://127.0.0.1:%d/doc/%ld", srv.port, i);
		cw_fetch_result_init(&r);
		assert_int_equal(cw_fetch_url(&r, url, &o, &e), CW_OK);
		etags[i] = cw_strdup(r.etag);
		cw_fetch_result_release(&r);
		free(url);
	}
	/* next pass: about half of the documents change */
	url = url_of(&srv, "/_pass");
	cw_fetch_result_init(&r);
	assert_int_equal(cw_fetch_url(&r, url, &o, &e), CW_OK);
	cw_fetch_result_release(&r);
	free(url);

	assert_int_equal(cw_fetch_multi_new(&m, &mo, &e), CW_OK);
	add_docs(m, &srv, ndocs, etags);
	assert_int_equal(cw_fetch_multi_run(m, &e), CW_OK);
	assert_int_equal(second.n, (size_t)ndocs);
	for (size_t i = 0; i < second.n; i++) {
		if (second.items[i].rc == CW_EUNCHANGED) {
			assert_int_equal(second.items[i].status, 304);
			assert_string_equal(second.items[i].body, "");
			unchanged++;
		} else {
			assert_int_equal(second.items[i].rc, CW_OK);
			/* a changed document carries the new pass's amendment */
			assert_non_null(strstr(second.items[i].body, "Amendment"
								     " 1:"));
			changed++;
		}
	}
	print_message("%zu changed, %zu unchanged\n", changed, unchanged);
	assert_true(changed > 0 && unchanged > 0);
	cw_fetch_multi_free(m);
	for (long i = 0; i < ndocs; i++)
		free(etags[i]);
	collect_release(&first);
	collect_release(&second);
	server_stop(&srv);
}

/* ---- the SMTP sink of tests/tools, used later by the email tests ---- */

struct mail_src {
	const char *text;
	size_t off;
};

static size_t mail_read(char *buf, size_t size, size_t n, void *ud)
{
	struct mail_src *m = ud;
	size_t left = strlen(m->text) - m->off, k = size * n;

	if (k > left)
		k = left;
	memcpy(buf, m->text + m->off, k);
	m->off += k;
	return k;
}

static void test_fetch_net__smtp_sink_stores_mail(void **state)
{
	struct server sink;
	char dir[] = "/tmp/cw-test-sink-XXXXXX";
	const char *args[] = { "--dir", dir, NULL };
	struct mail_src src = { "From: monitor@example.org\r\nTo: "
				"legal@example.org\r\n"
				"Subject: a clause changed\r\n\r\nSection 3 "
				"changed.\r\n"
				".a line that starts with a dot\r\n",
				0 };
	struct curl_slist *rcpt = NULL;
	struct cw_buf msg = CW_BUF_INIT;
	char url[64], *path;
	CURL *h;
	CURLcode code;

	(void)state;
	assert_non_null(mkdtemp(dir));
	if (tool_start(&sink, "CW_SMTP_SINK", args)) {
		rmdir(dir);
		print_message("skipped: SMTP sink not found ($CW_SMTP_SINK)\n");
		skip();
	}
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", sink.port);
	h = curl_easy_init();
	assert_non_null(h);
	rcpt = curl_slist_append(rcpt, "<legal@example.org>");
	rcpt = curl_slist_append(rcpt, "<audit@example.org>");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, "<monitor@example.org>");
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, mail_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &src);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 20000L);
	code = curl_easy_perform(h);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	server_stop(&sink);
	assert_int_equal(code, CURLE_OK);

	path = cw_asprintf("%s/msg-000001.eml", dir);
	assert_int_equal(cw_file_read(&msg, path, 1u << 20, NULL), CW_OK);
	assert_non_null(strstr(msg.ptr, "X-Sink-Mail-From: "
					"<monitor@example.org>\r\n"));
	assert_non_null(strstr(msg.ptr, "X-Sink-Rcpt-To: <legal@example.org>, "
					"<audit@example.org>\r\n"));
	assert_non_null(strstr(msg.ptr, "Subject: a clause changed\r\n"));
	/* curl dot-stuffed the line, the sink undid it */
	assert_non_null(strstr(msg.ptr, "\r\n.a line that starts with a "
					"dot\r\n"));
	assert_null(strstr(msg.ptr, "..a line"));
	cw_buf_release(&msg);
	remove(path);
	free(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch_net__gzip_body_matches_file),
		fetch_case("test_fetch_net__charset_reported"),
		cmocka_unit_test(test_fetch_net__content_type_parsed),
		fetch_case("test_fetch_net__redirects_followed"),
		fetch_case("test_fetch_net__redirect_loop_capped"),
		fetch_case("test_fetch_net__size_cap"),
		fetch_case("test_fetch_net__timeout"),
		cmocka_unit_test(test_fetch_net__conditional_304),
		fetch_case("test_fetch_net__http_error_reported"),
		fetch_case("test_fetch_net__unasked_304_refused"),
		fetch_case("test_fetch_net__reset_reported"),
		fetch_case("test_fetch_net__giant_header_named"),
		cmocka_unit_test(test_fetch_net__ssrf_refuses_loopback),
		cmocka_unit_test(test_fetch_net__protocols_limited),
		cmocka_unit_test(test_fetch_net__ssrf_address_ranges),
		cmocka_unit_test(test_fetch_net__http2_offered_over_tls),
		cmocka_unit_test(test_fetch_net__browser_missing_names_package),
		cmocka_unit_test(test_fetch_net__browser_process_handling),
		cmocka_unit_test(test_fetch_net__browser_renders_page),
		cmocka_unit_test(test_fetch_net__browser_other_origins_refused),
		cmocka_unit_test(
			test_fetch_net__browser_stalled_upload_returns),
		cmocka_unit_test(test_fetch_net__multi_many_docs_politely),
		cmocka_unit_test(
			test_fetch_net__multi_final_errors_not_retried),
		cmocka_unit_test(test_fetch_net__multi_host_delay),
		cmocka_unit_test(test_fetch_net__multi_memory_cap),
		cmocka_unit_test(test_fetch_net__multi_conditional_after_pass),
		cmocka_unit_test(test_fetch_net__smtp_sink_stores_mail),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
