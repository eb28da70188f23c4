/*
 * browser: pages that need their scripts run (executeClientScripts),
 * rendered by Debian's headless Chromium with --dump-dom.
 *
 * Chromium is started with fork/exec (no shell), in its own process group
 * so that its helper processes die with it, with a fresh profile directory
 * that is removed afterwards, and with the flags that keep it from talking
 * to anything but the page: no background networking, component updates,
 * sync or QUIC. Its stdout (the DOM) is read through a pipe under a size
 * cap and a deadline; past either the whole group is killed.
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
 * Resolve the URL's host, refuse it if any address is not allowed, and
 * write a Chromium resolver rule pinning the host to the first address.
 * An IP literal host needs no rule (*rule stays NULL).
 */
static int vet_host(char **rule, const char *url, bool allow_private,
		    struct cw_err *err)
{
	const char *h = strstr(url, "://") + 3;
	size_t n = strcspn(h, "/?#");
	char host[256], text[INET6_ADDRSTRLEN] = "";
	struct addrinfo hints, *ai = NULL;
	const char *at;
	int g, rc = CW_OK;

	*rule = NULL;
	/* drop user:pass@ and :port */
	at = memchr(h, '@', n);
	if (at) {
		n -= (size_t)(at + 1 - h);
		h = at + 1;
	}
	if (n > 0 && h[0] == '[') {
		const char *close = memchr(h, ']', n);

		n = close ? (size_t)(close - h - 1) : 0;
		h++;
	} else {
		const char *colon = memchr(h, ':', n);

		if (colon)
			n = (size_t)(colon - h);
	}
	if (n == 0 || n >= sizeof(host))
		return cw_err_set(err, CW_EINVAL, "'%s': no host name", url);
	memcpy(host, h, n);
	host[n] = '\0';
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
	if (rc == CW_OK && text[0] && strcmp(text, host) != 0)
		*rule = cw_asprintf("--host-resolver-rules=MAP %s %s%s%s", host,
				    strchr(text, ':') ? "[" : "", text,
				    strchr(text, ':') ? "]" : "");
	return rc;
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

int cw_fetch_browser(struct cw_fetch_result *res, const char *url,
		     const struct cw_fetch_browser_opts *opts,
		     struct cw_err *err)
{
	static const struct cw_fetch_browser_opts defaults =
		CW_FETCH_BROWSER_OPTS_INIT;
	char tmpl[4096], *bin = NULL, *profile_arg = NULL, *rule = NULL;
	const char *name, *tmp;
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	struct cw_buf errbuf = CW_BUF_INIT;
	long timeout, deadline;
	size_t max;
	pid_t pid = -1;
	int rc = CW_OK, status = 0;
	bool timed_out = false, toobig = false, have_dir = false;

	if (!opts)
		opts = &defaults;
	if (!url || !(cw_str_startswith(url, "http://") ||
		      cw_str_startswith(url, "https://")))
		return cw_err_set(err, CW_EINVAL,
				  "'%s': only http and https URLs can be rendered",
				  url ? url : "");
	timeout = opts->timeout_ms > 0 ? opts->timeout_ms : defaults.timeout_ms;
	max = opts->max_bytes ? opts->max_bytes : defaults.max_bytes;
	name = opts->binary;
	if (!name)
		name = getenv("CW_CHROMIUM");
	if (!name || !*name)
		name = "chromium";
	bin = find_binary(name);
	if (!bin)
		return cw_err_set(err, CW_ENOTFOUND,
				  "'%s' needs a headless browser, but '%s' was not "
				  "found: install the Debian package 'chromium' "
				  "(apt-get install chromium)",
				  url, name);

	rc = vet_host(&rule, url, opts->allow_private, err);
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
	profile_arg = cw_asprintf("--user-data-dir=%s", tmpl);
	if (pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		rc = cw_err_set(err, CW_EIO, "'%s': pipe: %s", url, strerror(errno));
		goto done;
	}
	cw_buf_clear(&res->body);
	res->body.max = max;
	cw_buf_init(&errbuf, 1u << 16);

	pid = fork();
	if (pid < 0) {
		rc = cw_err_set(err, CW_EIO, "'%s': fork: %s", url, strerror(errno));
		goto done;
	}
	if (pid == 0) {
		const char *argv[] = {
			bin, "--headless", "--no-sandbox", "--disable-gpu",
			"--disable-quic", "--no-first-run",
			"--disable-background-networking",
			"--disable-component-update", "--disable-sync",
			"--disable-extensions", "--disable-dev-shm-usage",
			"--mute-audio", "--no-proxy-server", profile_arg, "--dump-dom",
			url, NULL,
			NULL
		};
		int devnull = open("/dev/null", O_RDONLY);

		if (rule) {
			/* insert the resolver rule before --dump-dom */
			size_t k = sizeof(argv) / sizeof(*argv) - 4;

			argv[k + 2] = argv[k + 1];
			argv[k + 1] = argv[k];
			argv[k] = rule;
		}
		setpgid(0, 0); /* own group: killed as a whole on timeout */
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(out[1], 1);
		dup2(errp[1], 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	setpgid(pid, pid); /* also here: no race with the child's own call */
	close(out[1]);
	close(errp[1]);
	out[1] = errp[1] = -1;

	deadline = now_ms() + timeout;
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
				/* keep the tail: drop the oldest half when full */
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
				url, timeout);
	} else if (toobig) {
		rc = cw_err_set(err, CW_ETOOBIG,
				"'%s': rendered page larger than the %zu-byte cap",
				url, max);
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
		res->status = 200;
		free(res->final_url);
		free(res->content_type);
		free(res->charset);
		res->final_url = cw_strdup(url);
		res->content_type = cw_strdup("text/html");
		/* the DOM is serialised by Chromium as UTF-8 */
		res->charset = cw_strdup("utf-8");
	}
done:
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (have_dir)
		remove_tree(tmpl);
	if (rc)
		cw_buf_clear(&res->body);
	cw_buf_release(&errbuf);
	free(profile_arg);
	free(rule);
	free(bin);
	return rc;
}
