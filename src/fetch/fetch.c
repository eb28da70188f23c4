/*
 * fetch: one GET with libcurl's easy interface, and the transfer set-up
 * that the multi engine (multi.c) shares.
 */
#include "fetch.h"
#include "fetch_int.h"

#include <ctype.h>
#include <pthread.h>

#ifndef CW_VERSION
#define CW_VERSION "0"
#endif

void cw_fetch_result_init(struct cw_fetch_result *r)
{
	memset(r, 0, sizeof(*r));
	cw_buf_init(&r->body, 0);
}

void cw_fetch_result_release(struct cw_fetch_result *r)
{
	if (!r)
		return;
	cw_buf_release(&r->body);
	free(r->final_url);
	free(r->content_type);
	free(r->charset);
	free(r->etag);
	free(r->last_modified);
	r->final_url = r->content_type = r->charset = NULL;
	r->etag = r->last_modified = NULL;
	r->status = 0;
	r->seconds = 0;
	r->redirects = 0;
	r->wire_bytes = 0;
	r->refused = 0;
}

static CURLcode global_rc = CURLE_OK;
static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init_once(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int cw_fetch_global_init(void)
{
	pthread_once(&global_once, global_init_once);
	return global_rc == CURLE_OK ? CW_OK : CW_ERROR;
}

/* ---- Content-Type ---- */

static char *lower_dup(const char *s, size_t n)
{
	char *d = cw_strndup(s, n);
	for (char *p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* RFC 9110 5.6.2: tchar */
static bool is_token(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && !strchr("!#$%&'*+-.^_`|~", c))
			return false;
	}
	return true;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

int cw_fetch_parse_content_type(char **media, char **charset, const char *value)
{
	const char *p, *end;
	char *m = NULL, *cs = NULL;

	if (media)
		*media = NULL;
	if (charset)
		*charset = NULL;
	if (!value)
		return CW_EINVAL;
	p = skip_ws(value);
	end = p + strcspn(p, ";");
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	{
		/* type "/" subtype, both tokens (RFC 9110 8.3.1) */
		const char *slash = memchr(p, '/', (size_t)(end - p));

		if (!slash || !is_token(p, (size_t)(slash - p)) ||
		    !is_token(slash + 1, (size_t)(end - slash - 1)))
			return CW_EINVAL;
	}
	m = lower_dup(p, (size_t)(end - p));
	/* parameters: ; name=value or ; name="quoted value" (RFC 9110 5.6.6) */
	p = strchr(p, ';');
	while (p && *p == ';') {
		const char *name = skip_ws(p + 1), *eq, *v;
		size_t vn;

		eq = name + strcspn(name, "=;");
		if (*eq != '=') {
			p = *eq ? eq : NULL;
			continue;
		}
		v = skip_ws(eq + 1);
		if (*v == '"') {
			v++;
			vn = strcspn(v, "\"");
			p = v + vn + (v[vn] == '"');
			p += strcspn(p, ";");
		} else {
			vn = strcspn(v, ";");
			p = v + vn;
			while (vn > 0 &&
			       (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
				vn--;
		}
		/* a charset that is not a token is no charset: ignore it */
		if (!cs && eq - name == 7 &&
		    cw_strncasecmp_ascii(name, "charset", 7) == 0 &&
		    is_token(v, vn))
			cs = lower_dup(v, vn);
		if (!*p)
			break;
	}
	if (media)
		*media = m;
	else
		free(m);
	if (charset)
		*charset = cs;
	else
		free(cs);
	return CW_OK;
}

/* ---- one transfer ---- */

static size_t on_write(char *data, size_t size, size_t nmemb, void *ud)
{
	struct cw_fetch_xfer *x = ud;
	size_t n = size * nmemb;

	/*
	 * The cap applies to decoded bytes (curl decompresses before this
	 * callback), so a small gzip bomb is stopped here too. Returning a
	 * short count aborts the transfer with CURLE_WRITE_ERROR.
	 */
	if (n > x->max_bytes - x->res->body.len) {
		x->toobig = true;
		return 0;
	}
	if (x->gate && x->gate(x->gate_ctx, x, n))
		return CURL_WRITEFUNC_PAUSE;
	if (cw_buf_add(&x->res->body, data, n)) {
		x->toobig = true;
		return 0;
	}
	return n;
}

static void add_header(struct cw_fetch_xfer *x, const char *name,
		       const char *value)
{
	char line[1024];
	struct curl_slist *l;

	snprintf(line, sizeof(line), "%s: %s", name, value);
	l = curl_slist_append(x->headers, line);
	if (!l)
		abort(); /* out of memory */
	x->headers = l;
}

int cw_fetch_xfer_setup(struct cw_fetch_xfer *x, struct cw_fetch_result *res,
			const char *url, const struct cw_fetch_opts *opts,
			struct cw_err *err)
{
	static const struct cw_fetch_opts defaults = CW_FETCH_OPTS_INIT;
	CURL *h;
	CURLcode c = CURLE_OK;
	int rc;

	memset(x, 0, sizeof(*x));
	if (!opts)
		opts = &defaults;
	if (!url || !*url)
		return cw_err_set(err, CW_EINVAL, "empty URL");
	if (cw_fetch_global_init())
		return cw_err_set(err, CW_ERROR,
				  "'%s': libcurl failed to start", url);
	h = curl_easy_init();
	if (!h)
		return cw_err_set(err, CW_ERROR, "'%s': curl_easy_init failed",
				  url);
	x->h = h;
	x->res = res;
	x->max_bytes = opts->max_bytes ? opts->max_bytes : defaults.max_bytes;
	x->max_redirects = opts->max_redirects >= 0 ? opts->max_redirects
						    : defaults.max_redirects;
	x->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms
					     : defaults.timeout_ms;
	x->guard.allow_private = opts->allow_private;
	res->body.max = x->max_bytes;

	rc = cw_fetch_guard_install(h, &x->guard, err);
	if (rc)
		goto fail;

	if (opts->accept_language)
		add_header(x, "Accept-Language", opts->accept_language);
	else
		add_header(x, "Accept-Language", "en");
	if (opts->if_none_match && *opts->if_none_match) {
		add_header(x, "If-None-Match", opts->if_none_match);
		x->conditional = true;
	}
	if (opts->if_modified_since && *opts->if_modified_since) {
		add_header(x, "If-Modified-Since", opts->if_modified_since);
		x->conditional = true;
	}

#define SET(opt, val)                                      \
	do {                                               \
		if (!c)                                    \
			c = curl_easy_setopt(h, opt, val); \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_HTTPGET, 1L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, x->max_redirects);
	SET(CURLOPT_CONNECTTIMEOUT_MS, opts->connect_timeout_ms > 0
					       ? opts->connect_timeout_ms
					       : defaults.connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, x->timeout_ms);
	/* refuse early when Content-Length already says it is too big */
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_bytes);
	/* "" = every encoding this libcurl was built with (Debian: gzip,
	 * deflate, br, zstd) */
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	SET(CURLOPT_USERAGENT,
	    opts->user_agent ? opts->user_agent : "clausewatch/" CW_VERSION);
	SET(CURLOPT_HTTPHEADER, x->headers);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, x);
	/* keep the referer honest on redirects; no cookies are kept */
	SET(CURLOPT_AUTOREFERER, 1L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	/* "" disables proxies from the environment (see fetch.h) */
	SET(CURLOPT_PROXY, opts->proxy ? opts->proxy : "");
#undef SET
	if (c) {
		rc = cw_err_set(err, CW_ERROR,
				"'%s': cannot set up the request: %s", url,
				curl_easy_strerror(c));
		goto fail;
	}
	return CW_OK;
fail:
	cw_fetch_xfer_release(x);
	return rc;
}

void cw_fetch_xfer_release(struct cw_fetch_xfer *x)
{
	if (x->h)
		curl_easy_cleanup(x->h);
	curl_slist_free_all(x->headers);
	x->h = NULL;
	x->headers = NULL;
}

static char *header_dup(CURL *h, const char *name)
{
	struct curl_header *hd = NULL;

	/* request -1: the last response of a redirect chain */
	if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK ||
	    !hd || !hd->value)
		return NULL;
	return cw_strdup(hd->value);
}

int cw_fetch_xfer_finish(struct cw_fetch_xfer *x, CURLcode code,
			 const char *url, struct cw_err *err)
{
	struct cw_fetch_result *r = x->res;
	const char *eff = NULL, *ct = NULL;
	const char *why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(code);

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(x->h, CURLINFO_TOTAL_TIME, &r->seconds);
	curl_easy_getinfo(x->h, CURLINFO_REDIRECT_COUNT, &r->redirects);
	{
		curl_off_t wire = 0;

		curl_easy_getinfo(x->h, CURLINFO_SIZE_DOWNLOAD_T, &wire);
		r->wire_bytes = wire > 0 ? (size_t)wire : 0;
	}
	free(r->final_url);
	r->final_url = NULL;
	if (curl_easy_getinfo(x->h, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK &&
	    eff)
		r->final_url = cw_strdup(eff);
	free(r->content_type);
	free(r->charset);
	r->content_type = r->charset = NULL;
	if (curl_easy_getinfo(x->h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct)
		cw_fetch_parse_content_type(&r->content_type, &r->charset, ct);
	free(r->etag);
	free(r->last_modified);
	r->etag = header_dup(x->h, "ETag");
	r->last_modified = header_dup(x->h, "Last-Modified");

	switch (code) {
	case CURLE_OK:
		break;
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (x->toobig || code == CURLE_FILESIZE_EXCEEDED)
			return cw_err_set(err, CW_ETOOBIG,
					  "'%s': body larger than the %zu-byte "
					  "cap",
					  url, x->max_bytes);
		return cw_err_set(err, CW_EIO, "'%s': %s", url, why);
	case CURLE_OPERATION_TIMEDOUT:
		return cw_err_set(err, CW_ETIMEOUT,
				  "'%s': timed out (limit %ld ms): %s", url,
				  x->timeout_ms, why);
	case CURLE_COULDNT_CONNECT:
		if (x->guard.refused[0])
			return cw_err_set(err, CW_EBLOCKED, "'%s': %s", url,
					  x->guard.refused);
		return cw_err_set(err, CW_ENET, "'%s': %s", url, why);
	case CURLE_UNSUPPORTED_PROTOCOL:
		return cw_err_set(err, CW_EBLOCKED,
				  "'%s': only http and https may be fetched "
				  "(also after a redirect): %s",
				  url, why);
	case CURLE_TOO_MANY_REDIRECTS:
		return cw_err_set(err, CW_ENET,
				  "'%s': more than %ld redirects (a redirect "
				  "loop?)",
				  url, x->max_redirects);
	case CURLE_URL_MALFORMAT:
		return cw_err_set(err, CW_EINVAL, "'%s': malformed URL: %s",
				  url, why);
	case CURLE_OUT_OF_MEMORY:
		/* our allocations abort on exhaustion: what libcurl refuses
		 * this way is a response header past its 100 KiB cap */
		return cw_err_set(err, CW_ETOOBIG,
				  "'%s': response headers larger than "
				  "libcurl accepts (a hostile or broken "
				  "server): %s",
				  url, why);
	default:
		if (x->guard.refused[0])
			return cw_err_set(err, CW_EBLOCKED, "'%s': %s", url,
					  x->guard.refused);
		return cw_err_set(err, CW_ENET, "'%s': %s", url, why);
	}
	/* a 304 answers a conditional request only (RFC 9110, 15.4.5); to
	 * any other it says nothing about the page, and taking it as "not
	 * modified" would keep a document unarchived while it looks healthy */
	if (r->status == 304 && x->conditional)
		return cw_err_set(err, CW_EUNCHANGED,
				  "'%s': not modified (304)", url);
	if (r->status == 304)
		return cw_err_set(err, CW_EHTTP,
				  "'%s': HTTP status 304 (not modified) to a "
				  "request that asked no condition",
				  url);
	if (r->status < 200 || r->status > 299)
		return cw_err_set(err, CW_EHTTP, "'%s': HTTP status %ld", url,
				  r->status);
	return CW_OK;
}

int cw_fetch_url(struct cw_fetch_result *res, const char *url,
		 const struct cw_fetch_opts *opts, struct cw_err *err)
{
	struct cw_fetch_xfer x;
	CURLcode code;
	int rc;

	/* a result reused from an earlier call keeps nothing of it */
	{
		struct cw_buf keep = res->body;

		res->body = (struct cw_buf)CW_BUF_INIT;
		cw_fetch_result_release(res);
		res->body = keep;
		cw_buf_clear(&res->body);
	}
	rc = cw_fetch_xfer_setup(&x, res, url, opts, err);
	if (rc)
		return rc;
	code = curl_easy_perform(x.h);
	rc = cw_fetch_xfer_finish(&x, code, url, err);
	cw_fetch_xfer_release(&x);
	return rc;
}
