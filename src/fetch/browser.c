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
 * that is removed afterwards, and kept off the network except for the
 * page's own origin:
 *  - --host-resolver-rules maps the page's host:port to the address the
 *    guard checked, and every other host (IP literals included) to
 *    ~NOTFOUND, so sub-resources, redirects and script requests to any
 *    other origin fail before a connection is made (checked on Chromium
 *    156: a script from another host or another port is not loaded);
 *  - no background networking, component updates, sync, pings, QUIC,
 *    WebRTC over UDP, crash reports; no proxy from the environment.
 * Scripts get a budget of virtual time (--virtual-time-budget) to write
 * the page, and --timeout makes Chromium print what it has before our
 * own deadline; past the deadline or the size cap the whole group is
 * killed.
 */
#include "fetch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
			return cw_err_set(err, CW_EINVAL, "'%s': bad IPv6 host", url);
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
		host[i] = (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] + 32 : h[i]);
	host[hn] = '\0';
	if (*rest == ':' && rest[1] >= '0' && rest[1] <= '9') {
		char *endp;

		*port = strtol(rest + 1, &endp, 10);
		if (*port < 1 || *port > 65535)
			return cw_err_set(err, CW_EINVAL, "'%s': bad port", url);
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

		if (cw_fetch_check_addr(a->ai_addr, a->ai_addrlen, allow_private,
					&e)) {
			rc = cw_err_set(err, e.rc, "'%s': %s", url, e.msg);
			break;
		}
		if (!text[0]) {
			const void *p = a->ai_family == AF_INET6
				? (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr
				: (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr;
			inet_ntop(a->ai_family, p, text, sizeof(text));
		}
	}
	freeaddrinfo(ai);
	if (rc)
		return rc;
	if (!text[0])
		return cw_err_set(err, CW_ENET, "'%s': '%s' has no address", url,
				  host);
	v6 = strchr(host, ':') != NULL;
	*rule = cw_asprintf("--host-resolver-rules=MAP %s%s%s:%ld %s%s%s, "
			    "MAP * ~NOTFOUND",
			    v6 ? "[" : "", host, v6 ? "]" : "", port,
			    strchr(text, ':') ? "[" : "", text,
			    strchr(text, ':') ? "]" : "");
	return CW_OK;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
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
				  "can render", url, res->content_type);
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
	long status_code = 0, deadline, t0 = now_ms(), soft;
	pid_t pid = -1;
	int rc = CW_OK, status = 0, devnull = -1;
	bool timed_out = false, toobig = false, have_dir = false;

	o = opts ? *opts : defaults;
	if (o.timeout_ms <= 0)
		o.timeout_ms = defaults.timeout_ms;
	if (!o.max_bytes)
		o.max_bytes = defaults.max_bytes;
	if (o.settle_ms < 0)
		o.settle_ms = 0;
	if (!url || !(cw_str_startswith(url, "http://") ||
		      cw_str_startswith(url, "https://")))
		return cw_err_set(err, CW_EINVAL,
				  "'%s': only http and https URLs can be rendered",
				  url ? url : "");
	name = o.binary;
	if (!name)
		name = getenv("CW_CHROMIUM");
	if (!name || !*name)
		name = "chromium";
	bin = find_binary(name);
	if (!bin)
		return cw_err_set(err, CW_ENOTFOUND,
				  "'%s' needs a headless browser, but '%s' was not "
				  "found: install the Debian package 'chromium' "
				  "(apt-get install chromium), or set CW_CHROMIUM "
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
	rc = vet_host(&rule, target, o.allow_private, err);
	if (rc)
		goto done;

	tmp = getenv("TMPDIR");
	snprintf(tmpl, sizeof(tmpl), "%s/clausewatch-chromium-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl)) {
		rc = cw_err_set(err, CW_EIO, "'%s': cannot create a browser profile: %s",
				tmpl, strerror(errno));
		goto done;
	}
	have_dir = true;

	/*
	 * Chromium's own deadline (--timeout: stop loading, then dump what
	 * there is) comes before ours, leaving it a quarter of the time (at
	 * least 2 s, at most 10 s) to print; a page whose images or
	 * sub-resources hang still yields its DOM that way.
	 */
	soft = o.timeout_ms / 4;
	soft = soft < 2000 ? 2000 : soft > 10000 ? 10000 : soft;
	soft = o.timeout_ms - soft;
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
			"--disable-gpu", "--disable-dev-shm-usage",
			"--no-first-run", "--no-default-browser-check",
			"--disable-background-networking",
			"--disable-component-update", "--disable-sync",
			"--disable-extensions", "--disable-default-apps",
			"--disable-domain-reliability", "--disable-breakpad",
			"--disable-client-side-phishing-detection",
			"--metrics-recording-only", "--no-pings",
			"--disable-quic", "--no-proxy-server",
			"--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
			"--password-store=basic", "--use-mock-keychain",
			"--mute-audio", "--deny-permission-prompts",
			"--block-new-web-contents", "--accept-lang=en",
		};
		for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++)
			cw_strv_push(&args, fixed[i]);
	}
	cw_strv_take(&args, cw_asprintf("--user-data-dir=%s", tmpl));
	cw_strv_push(&args, rule);
	if (o.settle_ms > 0)
		cw_strv_pushf(&args, "--virtual-time-budget=%ld", o.settle_ms);
	cw_strv_pushf(&args, "--timeout=%ld", soft);
	if (o.user_agent)
		cw_strv_take(&args, cw_asprintf("--user-agent=%s", o.user_agent));
	cw_strv_push(&args, "--dump-dom");
	cw_strv_push(&args, target);
	cw_strv_take(&args, NULL);  /* execv's terminator */
	args.n--;

	if (pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		rc = cw_err_set(err, CW_EIO, "'%s': pipe: %s", url, strerror(errno));
		goto done;
	}
	cw_buf_clear(&res->body);
	res->body.max = o.max_bytes;
	cw_buf_init(&errbuf, 1u << 16);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	pid = fork();
	if (pid < 0) {
		rc = cw_err_set(err, CW_EIO, "'%s': fork: %s", url, strerror(errno));
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
		long left = deadline - now_ms();

		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (out[0] >= 0) {
			pf[n] = (struct pollfd){ .fd = out[0], .events = POLLIN };
			ir = n++;
		}
		if (errp[0] >= 0) {
			pf[n] = (struct pollfd){ .fd = errp[0], .events = POLLIN };
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
				if (cw_buf_add(&res->body, chunk, (size_t)got)) {
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
	if (timed_out || toobig)
		kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* helpers of the browser may outlive it: end the whole group */
	kill(-pid, SIGKILL);
	pid = -1;

	if (timed_out) {
		rc = cw_err_set(err, CW_ETIMEOUT,
				"'%s': the browser did not finish within %ld ms",
				url, o.timeout_ms);
	} else if (toobig) {
		rc = cw_err_set(err, CW_ETOOBIG,
				"'%s': rendered page larger than the %zu-byte cap",
				url, o.max_bytes);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		rc = cw_err_set(err, CW_ENOTFOUND,
				"'%s': cannot run '%s': install the Debian package "
				"'chromium'", url, bin);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
		   res->body.len == 0) {
		char line[256];

		last_line(&errbuf, line, sizeof(line));
		rc = cw_err_set(err, CW_ENET,
				"'%s': the browser %s %d and printed %zu bytes%s%s",
				url, WIFEXITED(status) ? "exited with" : "died of signal",
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
	res->seconds = (double)(now_ms() - t0) / 1000.0;
done:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (devnull >= 0)
		close(devnull);
	if (have_dir)
		remove_tree(tmpl);
	if (rc)
		cw_buf_clear(&res->body);
	cw_buf_release(&errbuf);
	cw_strv_release(&args);
	free(rule);
	free(target);
	free(bin);
	return rc;
}
