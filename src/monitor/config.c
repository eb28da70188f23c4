/*
 * config: the monitor's settings, from one file and from flags (see
 * monitor.h and docs/config.md).
 */
#include <ctype.h>
#include <errno.h>
#include <unistd.h>

#include "monitor.h"

void cw_monitor_config_init(struct cw_monitor_config *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_s = 12 * 3600;
	c->jitter = 0.1;
	c->failing_retry_s = 3600;
	c->poll_s = 60;
	c->max_transfers = 64;
	c->max_per_host = 2;
	c->host_delay_ms = 250;
	c->fetch_attempts = 3;
	c->timeout_ms = 60000;
	c->connect_timeout_ms = 10000;
	c->max_bytes = 50L << 20;
	c->max_inflight_bytes = 128L << 20;
	/* page bytes under extraction at once; parsing takes several
	 * times a page, so 64 MiB of pages keeps a pass near 512 MiB */
	c->extract_budget_bytes = 64L << 20;
	c->use_browser = true;
	c->analysis = true;
	/* one extraction thread per core: the monitor's own thread mostly
	 * waits on the network and the store */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	c->workers = ncpu < 1 ? 1 : ncpu > 16 ? 16 : (unsigned)ncpu;
	c->health_threshold = 3;
	/*
	 * PDFs (extract.h). Measured with tests/tools/make_pdf.py on two
	 * cores: 300 pages of 50 lines (1.4 MB of text) take 0.2 s and fit
	 * in 200 MiB of address space, the program's own 100 MiB included,
	 * while three texts drawn 32,000 times at one place (an 8 KB file)
	 * takes 23 to 26 s and 320 MiB. 20 s is a hundred times the long
	 * document and still bounds the hostile one; 1 GiB is five times
	 * what the long document needs.
	 */
	c->pdf_timeout_ms = 20000;
	c->pdf_memory_mb = 1024;
	/* block pages and cookie walls: tuned in pipeline.h */
	c->blocked_ratio = CW_PIPELINE_BLOCKED_RATIO;
	c->blocked_min_bytes = CW_PIPELINE_BLOCKED_MIN_BYTES;
	c->smtp_from = cw_strdup("clausewatch@localhost");
	c->delivery_timeout_ms = 15000;
	c->delivery_attempts = 10;
	c->delivery_backoff_s = 30;
	/*
	 * Four times one send's timeout: a receiver that is slow but answers
	 * gets its full timeout even when it is reached late in the run, and
	 * a pass is never held up for longer than a minute by receivers that
	 * hang (they hold a few slots each, see notify_int.h).
	 */
	c->delivery_deadline_s = 60;
	c->delivery_concurrency = 16;
}

void cw_monitor_config_release(struct cw_monitor_config *c)
{
	free(c->user_agent);
	free(c->smtp_url);
	free(c->smtp_from);
	free(c->smtp_user);
	free(c->smtp_password);
	free(c->base_url);
	cw_strv_release(&c->feed_paths);
	cw_strv_release(&c->doc_intervals);
	memset(c, 0, sizeof(*c));
}

int cw_monitor_parse_duration(const char *s, long *out)
{
	char *end;
	long v, mul = 1;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || errno || v < 0)
		return CW_EINVAL;
	if (*end == 's')
		end++;
	else if (*end == 'm')
		mul = 60, end++;
	else if (*end == 'h')
		mul = 3600, end++;
	else if (*end == 'd')
		mul = 86400, end++;
	if (*end || v > 366L * 86400 / mul)
		return CW_EINVAL;
	*out = v * mul;
	return CW_OK;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") ||
	    !strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") ||
		 !strcmp(v, "off"))
		*out = false;
	else
		return CW_EINVAL;
	return CW_OK;
}

static int parse_fraction(const char *v, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (end != v && *end == '%') {
		d /= 100;
		end++;
	}
	if (end == v || *end || errno || d < 0 || d > 1)
		return CW_EINVAL;
	*out = d;
	return CW_OK;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = *v ? cw_strdup(v) : NULL;
}

int cw_monitor_config_set(struct cw_monitor_config *c, const char *key,
			  const char *v, struct cw_err *err)
{
	long n = 0;
	int rc = CW_OK;

#define DUR(name, field, min)                          \
	if (!strcmp(key, name)) {                      \
		rc = cw_monitor_parse_duration(v, &n); \
		if (!rc && n < (min))                  \
			rc = CW_EINVAL;                \
		if (!rc)                               \
			c->field = n;                  \
		goto out;                              \
	}
#define NUM(name, field, min, max)                          \
	if (!strcmp(key, name)) {                           \
		rc = cw_parse_long(v, min, max, &n);        \
		if (!rc)                                    \
			c->field = (__typeof__(c->field))n; \
		goto out;                                   \
	}
	DUR("interval", interval_s, 1)
	DUR("failing_retry", failing_retry_s, 1)
	DUR("poll", poll_s, 1)
	DUR("delivery_backoff", delivery_backoff_s, 1)
	DUR("delivery_deadline", delivery_deadline_s, 1)
	NUM("max_transfers", max_transfers, 1, 4096)
	NUM("max_per_host", max_per_host, 1, 1024)
	NUM("host_delay_ms", host_delay_ms, 0, 600000)
	NUM("fetch_attempts", fetch_attempts, 1, 10)
	NUM("timeout_ms", timeout_ms, 100, 3600000)
	NUM("connect_timeout_ms", connect_timeout_ms, 100, 600000)
	NUM("max_bytes", max_bytes, 1024, 1L << 30)
	NUM("max_inflight_bytes", max_inflight_bytes, 1L << 20, 1L << 34)
	NUM("extract_budget_bytes", extract_budget_bytes, 1L << 20, 1L << 34)
	NUM("workers", workers, 0, 64)
	NUM("pdf_timeout_ms", pdf_timeout_ms, CW_EXTRACT_PDF_TIMEOUT_MIN,
	    CW_EXTRACT_PDF_TIMEOUT_MAX)
	NUM("pdf_memory_mb", pdf_memory_mb, CW_EXTRACT_PDF_MEMORY_MIN,
	    CW_EXTRACT_PDF_MEMORY_MAX)
	NUM("health_threshold", health_threshold, 1, 1000)
	NUM("blocked_min_bytes", blocked_min_bytes, 0, 1L << 30)
	NUM("delivery_timeout_ms", delivery_timeout_ms, 100, 600000)
	NUM("delivery_attempts", delivery_attempts, 1, 100)
	NUM("delivery_concurrency", delivery_concurrency, 1, 256)
#undef DUR
#undef NUM
	if (!strcmp(key, "jitter")) {
		rc = parse_fraction(v, &c->jitter);
	} else if (!strcmp(key, "blocked_ratio")) {
		rc = parse_fraction(v, &c->blocked_ratio);
	} else if (!strcmp(key, "allow_private_network")) {
		rc = parse_bool(v, &c->allow_private);
	} else if (!strcmp(key, "browser")) {
		rc = parse_bool(v, &c->use_browser);
	} else if (!strcmp(key, "analysis")) {
		rc = parse_bool(v, &c->analysis);
	} else if (!strcmp(key, "user_agent")) {
		set_str(&c->user_agent, v);
	} else if (!strcmp(key, "smtp_url")) {
		if (*v && !cw_str_startswith(v, "smtp://") &&
		    !cw_str_startswith(v, "smtps://"))
			rc = CW_EINVAL;
		else
			set_str(&c->smtp_url, v);
	} else if (!strcmp(key, "smtp_from")) {
		set_str(&c->smtp_from, v);
	} else if (!strcmp(key, "smtp_user")) {
		set_str(&c->smtp_user, v);
	} else if (!strcmp(key, "smtp_password")) {
		set_str(&c->smtp_password, v);
	} else if (!strcmp(key, "smtp_password_file")) {
		/* read now: one line, its newline dropped */
		struct cw_buf b = CW_BUF_INIT;

		size_t pn;

		rc = cw_file_read(&b, v, 4096, err);
		if (rc)
			return rc;
		pn = b.len;
		while (pn && (b.ptr[pn - 1] == '\n' || b.ptr[pn - 1] == '\r'))
			pn--;
		if (pn) {
			b.ptr[pn] = '\0';
			set_str(&c->smtp_password, b.ptr);
		}
		if (b.ptr)
			explicit_bzero(b.ptr, b.len);
		cw_buf_release(&b);
		if (!pn)
			return cw_err_set(err, CW_EINVAL,
					  "setting 'smtp_password_file': '%s' "
					  "is empty",
					  v);
	} else if (!strcmp(key, "smtp_allow_plain")) {
		rc = parse_bool(v, &c->smtp_allow_plain);
	} else if (!strcmp(key, "base_url")) {
		set_str(&c->base_url, v);
	} else if (!strncmp(key, "feed.", 5) && key[5]) {
		cw_strv_pushf(&c->feed_paths, "%s=%s", key + 5, v);
	} else if (!strncmp(key, "interval.", 9) && strchr(key + 9, '/')) {
		rc = cw_monitor_parse_duration(v, &n);
		if (!rc && n < 1)
			rc = CW_EINVAL;
		if (!rc)
			cw_strv_pushf(&c->doc_intervals, "%s=%ld", key + 9, n);
	} else {
		return cw_err_set(err, CW_EINVAL, "unknown setting '%s'", key);
	}
out:
	if (rc)
		return cw_err_set(err, CW_EINVAL,
				  "setting '%s': bad value '%s'", key, v);
	return CW_OK;
}

int cw_monitor_config_check(struct cw_monitor_config *c, struct cw_err *err)
{
	const char *env = getenv("CLAUSEWATCH_SMTP_PASSWORD");
	const char *u = c->smtp_url;

	if (!c->smtp_password && env && *env)
		c->smtp_password = cw_strdup(env);
	/* a password in an smtp:// URL would go over a plain connection;
	 * smtp_user forces STARTTLS, smtps:// is TLS from the start */
	if (u && cw_str_startswith(u, "smtp://") && !c->smtp_allow_plain) {
		const char *auth = u + 7, *end = auth + strcspn(auth, "/?#");
		const char *at = memchr(auth, '@', (size_t)(end - auth));

		if (at && memchr(auth, ':', (size_t)(at - auth)))
			return cw_err_set(err, CW_EINVAL,
					  "setting 'smtp_url': a password in "
					  "an smtp:// URL is sent without TLS; "
					  "use smtps://, or smtp_user and "
					  "smtp_password (which require "
					  "STARTTLS), or set smtp_allow_plain "
					  "= true to send it in clear");
	}
	return CW_OK;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Cap on the config file: it is a few dozen lines. */
#define CONFIG_MAX (1u << 20)

int cw_monitor_config_load(struct cw_monitor_config *c, const char *path,
			   struct cw_err *err)
{
	struct cw_buf b = CW_BUF_INIT;
	char *section = NULL, *p, *line;
	long lineno = 0;
	int rc;

	rc = cw_file_read(&b, path, CONFIG_MAX, err);
	if (rc)
		return rc;
	for (p = b.ptr; p && *p; p = line) {
		char *nl = strchr(p, '\n'), *eq, *key, *val;

		line = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		/* a comment after a value starts at a '#' after a blank */
		for (char *h = strchr(p, '#'); h; h = strchr(h + 1, '#'))
			if (h > p && (h[-1] == ' ' || h[-1] == '\t')) {
				*h = '\0';
				break;
			}
		p = trim(p);
		if (!*p || *p == '#' || *p == ';')
			continue;
		if (*p == '[') {
			char *q1 = strchr(p, '"'),
			     *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
			size_t plen = strlen(p);

			free(section);
			section = NULL;
			if (p[plen - 1] != ']' || !q1 || !q2 ||
			    (strncmp(p, "[document ", 10) &&
			     strncmp(p, "[feed ", 6))) {
				rc = cw_err_set(err, CW_EINVAL,
						"'%s':%ld: expected [document "
						"\"SERVICE/TYPE\"] "
						"or [feed \"NAME\"]",
						path, lineno);
				goto done;
			}
			section = cw_asprintf("%s.%.*s",
					      p[1] == 'd' ? "interval" : "feed",
					      (int)(q2 - q1 - 1), q1 + 1);
			continue;
		}
		eq = strchr(p, '=');
		if (!eq) {
			rc = cw_err_set(err, CW_EINVAL,
					"'%s':%ld: expected 'key = value'",
					path, lineno);
			goto done;
		}
		*eq = '\0';
		key = trim(p);
		val = trim(eq + 1);
		if (section) {
			bool doc = cw_str_startswith(section, "interval.");
			if (strcmp(key, doc ? "interval" : "path")) {
				rc = cw_err_set(err, CW_EINVAL,
						"'%s':%ld: unknown setting "
						"'%s' in this section (only "
						"'%s')",
						path, lineno, key,
						doc ? "interval" : "path");
				goto done;
			}
			rc = cw_monitor_config_set(c, section, val, err);
		} else {
			rc = cw_monitor_config_set(c, key, val, err);
		}
		if (rc) {
			cw_err_prefix(err, "'%s':%ld: ", path, lineno);
			goto done;
		}
	}
done:
	free(section);
	cw_buf_release(&b);
	return rc;
}

void cw_monitor_notify_opts(const struct cw_monitor_config *c,
			    struct cw_notify_opts *out)
{
	struct cw_notify_opts d = CW_NOTIFY_OPTS_INIT;

	*out = d;
	out->smtp_url = c->smtp_url;
	out->smtp_from = c->smtp_from;
	out->smtp_user = c->smtp_user;
	out->smtp_password = c->smtp_password;
	out->allow_private = c->allow_private;
	out->timeout_ms = c->delivery_timeout_ms;
	out->max_attempts = c->delivery_attempts;
	out->backoff_s = c->delivery_backoff_s;
	out->deadline_s = c->delivery_deadline_s;
	out->concurrency = c->delivery_concurrency;
	out->feed_paths = &c->feed_paths;
	out->base_url = c->base_url;
}
