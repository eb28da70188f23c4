/*
 * server: libmicrohttpd underneath, one request at a time per worker
 * thread: the path split into decoded segments, a POST body read up to
 * HTTP_BODY_MAX, the handler called, and the answer sent with the headers
 * every answer carries, an ETag, and 304 for a conditional GET that
 * matches.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <sys/socket.h>

#include "../analyze/taxonomy.h"
#include "../diff/diff.h"
#include "http_int.h"

struct cw_http {
	struct MHD_Daemon *d;
	struct cw_http_opts opts;
	struct http_server srv;
	char *url;
	char *prefix;
	unsigned port;
};

/* What every answer carries: no script, no framing, no sniffing. */
static const char CSP[] = "default-src 'none'; style-src 'self'; "
			  "img-src 'self'; form-action 'self'; "
			  "base-uri 'none'; frame-ancestors 'none'";

/* ---- the worker's store and read session ---- */

static pthread_key_t worker_key;
static pthread_once_t worker_once = PTHREAD_ONCE_INIT;

static void worker_free(void *p)
{
	struct http_worker *w = p;

	if (!w)
		return;
	for (size_t i = 0; i < HTTP_KEPT; i++) {
		free(w->kept[i].key);
		free(w->kept[i].body);
	}
	cw_view_free(w->view);
	cw_store_close(w->store);
	free(w);
}

static void worker_key_make(void)
{
	(void)pthread_key_create(&worker_key, worker_free);
}

static struct http_worker *worker_get(const struct http_server *srv,
				      struct cw_err *err)
{
	struct http_worker *w = pthread_getspecific(worker_key);

	if (w)
		return w;
	w = cw_calloc(1, sizeof(*w));
	if (cw_store_open(&w->store, srv->opts->db_path, err)) {
		free(w);
		return NULL;
	}
	(void)pthread_setspecific(worker_key, w);
	return w;
}

/* libmicrohttpd would decode the path before we split it, so that an
 * encoded '/' in a service name would split it: keep it as it came, and
 * decode each segment (and each query value) ourselves. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

/* ---- the answer ---- */

static void http_date(time_t t, char out[64])
{
	struct tm tm;
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
					    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
					      "May", "Jun", "Jul", "Aug",
					      "Sep", "Oct", "Nov", "Dec" };

	gmtime_r(&t, &tm);
	snprintf(out, 64, "%s, %02d %s %04d %02d:%02d:%02d GMT",
		 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
		 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* An HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT"); -1 when it is not one. */
static time_t parse_http_date(const char *s)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char mon[4];
	struct tm tm;
	const char *m;

	memset(&tm, 0, sizeof(tm));
	if (!s || sscanf(s, "%*3s, %d %3s %d %d:%d:%d GMT", &tm.tm_mday, mon,
			 &tm.tm_year, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	mon[3] = '\0';
	m = strstr(months, mon);
	if (!m || (m - months) % 3)
		return -1;
	tm.tm_mon = (int)((m - months) / 3);
	tm.tm_year -= 1900;
	return timegm(&tm);
}

/* Whether an If-None-Match list names `etag` (or is "*"). */
static bool etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);

	for (const char *p = inm; p && *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (!strncmp(p, "W/", 2))
			p += 2;
		if (!strncmp(p, etag, n) &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return true;
		p = strchr(p, ',');
	}
	return false;
}

static enum MHD_Result send_answer(struct MHD_Connection *c, struct http_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char etag[40], date[64];
	unsigned status = r->status ? r->status : 200;
	bool not_modified = false;
	size_t len = r->out.len;
	char *body;

	snprintf(etag, sizeof(etag), "\"%016llx\"",
		 (unsigned long long)cw_fnv1a64_from(
			 cw_fnv1a64(r->out.ptr ? r->out.ptr : "", len), &status,
			 sizeof(status)));
	if (status == 200 && !r->post) {
		const char *inm = http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
		const char *ims =
			http_header(r, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
		if (inm)
			not_modified = etag_matches(inm, etag);
		else if (ims && r->last_modified > 0) {
			time_t t = parse_http_date(ims);
			not_modified = t >= 0 && r->last_modified <= t;
		}
	}
	if (not_modified) {
		resp = MHD_create_response_from_buffer(0, NULL,
						       MHD_RESPMEM_PERSISTENT);
		status = MHD_HTTP_NOT_MODIFIED;
	} else {
		body = cw_buf_detach(&r->out, NULL);
		resp = MHD_create_response_from_buffer(
			len, body ? body : cw_strdup(""),
			MHD_RESPMEM_MUST_FREE);
		if (r->ctype)
			MHD_add_response_header(
				resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
	}
	if (!resp)
		return MHD_NO;
	if (status < 300 || not_modified) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
					r->cache == HTTP_CACHE_IMMUTABLE
						? "public, max-age=31536000, "
						  "immutable"
					: r->cache == HTTP_CACHE_NONE ? "no-"
									"store"
								      : "no-"
									"cach"
									"e");
	} else {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
					"no-store");
	}
	if (r->last_modified > 0) {
		http_date(r->last_modified, date);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED,
					date);
	}
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (r->www_authenticate)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					r->www_authenticate);
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* ---- dispatch ---- */

static void serve_static(struct http_req *r)
{
	if (r->nseg == 2 && !strcmp(r->seg[1], "style.css")) {
		r->ctype = "text/css; charset=utf-8";
		cw_buf_adds(&r->out, http_stylesheet);
		return;
	}
	http_error(r, 404, "no such file");
}

/* ---- answers kept ---- */

/*
 * Whether a GET of this path depends on the store's content only
 * (versions, changes, analyses): then a worker may keep its answer until
 * the content mark moves. The dashboard and the status page also show
 * the monitor's checks, and watches change without a new version.
 */
static bool keepable(const struct http_req *r)
{
	static const char *const pages[] = { "services",    "categories",
					     "regulations", "changes",
					     "search",	    "feed",
					     NULL };
	static const char *const api[] = { "services",	"service", "version",
					   "documents", "changes", "search",
					   "feed",	NULL };
	const char *const *list = pages;
	size_t first = 0;

	if (r->post || r->nseg == 0)
		return false;
	if (!strcmp(r->seg[0], "api")) {
		if (r->nseg < 3 || strcmp(r->seg[1], "v1"))
			return false;
		list = api;
		first = 2;
	}
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(r->seg[first], list[i]))
			return true;
	return false;
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind,
			       const char *key, const char *value)
{
	struct cw_buf *b = cls;

	(void)kind;
	cw_buf_addf(b, "\n%s=%s", key, value ? value : "");
	return MHD_YES;
}

/* The worker's content mark, read again only when something committed. */
static bool content_mark(struct http_worker *w, int64_t *mark)
{
	struct cw_err err = CW_ERR_INIT;
	int64_t dv;

	if (cw_store_data_version(w->store, &dv, &err))
		return false;
	if (!w->mark_read || dv != w->seen_version) {
		if (cw_store_content_mark(w->store, &w->mark, &err))
			return false;
		w->seen_version = dv;
		w->mark_read = true;
	}
	*mark = w->mark;
	return true;
}

static void dispatch(struct http_req *r)
{
	struct cw_buf key = CW_BUF_INIT;
	struct http_worker *w = r->w;
	bool keep;
	int64_t mark = 0;

	/* the path has been split (on_request) */
	keep = keepable(r) && content_mark(w, &mark);
	if (keep) {
		cw_buf_adds(&key, r->path);
		MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND,
					  add_arg, &key);
		for (size_t i = 0; i < HTTP_KEPT; i++) {
			const struct http_kept *k = &w->kept[i];
			if (k->key && k->mark == mark &&
			    !strcmp(k->key, cw_buf_str(&key))) {
				r->ctype = k->ctype;
				r->cache = (enum http_cache)k->cache;
				r->last_modified = k->last_modified;
				cw_buf_add(&r->out, k->body, k->len);
				cw_buf_release(&key);
				return;
			}
		}
	}
	if (r->nseg >= 1 && !strcmp(r->seg[0], "static"))
		serve_static(r);
	else if (!api_route(r) && !witness_route(r) && !pages_route(r))
		http_error(r, 404, "no page at this address");
	if (keep && (r->status == 0 || r->status == 200) &&
	    r->out.len <= HTTP_KEPT_MAX) {
		struct http_kept *k = &w->kept[w->next_kept];
		free(k->key);
		free(k->body);
		k->key = cw_buf_detach(&key, NULL);
		k->mark = mark;
		k->ctype = r->ctype;
		k->cache = (int)r->cache;
		k->last_modified = r->last_modified;
		k->len = r->out.len;
		k->body = cw_malloc(k->len ? k->len : 1);
		memcpy(k->body, r->out.ptr ? r->out.ptr : "", k->len);
		w->next_kept = (w->next_kept + 1) % HTTP_KEPT;
	}
	cw_buf_release(&key);
}

/* What one connection's request has gathered between the callbacks. */
struct pending {
	struct cw_buf body;
	bool too_big;
	long start_ms;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	const struct http_server *srv = cls;
	struct pending *p = *con_cls;
	struct http_req r;
	struct cw_err err = CW_ERR_INIT;
	enum MHD_Result ret;
	bool routable;

	(void)version;
	if (!p) {
		p = cw_calloc(1, sizeof(*p));
		cw_buf_init(&p->body, HTTP_BODY_MAX);
		p->start_ms = cw_time_mono_ms();
		*con_cls = p;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!p->too_big &&
		    cw_buf_add(&p->body, upload, *upload_size) != CW_OK)
			p->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}

	memset(&r, 0, sizeof(r));
	r.srv = srv;
	r.conn = c;
	r.method = method;
	r.path = url;
	r.head = !strcmp(method, MHD_HTTP_METHOD_HEAD);
	r.post = !strcmp(method, MHD_HTTP_METHOD_POST) ||
		 !strcmp(method, MHD_HTTP_METHOD_DELETE);
	r.out = (struct cw_buf)CW_BUF_INIT_MAX(HTTP_PAGE_MAX);
	if (r.post) {
		r.body = cw_buf_str(&p->body);
		r.body_len = p->body.len;
	}
	/* split first, so that even the answers below come as JSON under
	 * /api (http_error looks at the first segment) */
	routable = http_split_path(&r);
	if (!r.post && !r.head && strcmp(method, MHD_HTTP_METHOD_GET)) {
		r.allow = "GET, HEAD, POST, DELETE";
		http_error(&r, 405, "method %s is not served", method);
	} else if (p->too_big) {
		http_error(&r, 413, "the request body is over %u bytes",
			   HTTP_BODY_MAX);
	} else if (!routable) {
		http_error(&r, 404, "no page at this address");
	} else if (!(r.w = worker_get(srv, &err))) {
		http_fail(&r, &err);
	} else {
		dispatch(&r);
	}
	ret = send_answer(c, &r);
	if (!srv->opts->quiet)
		fprintf(stderr, "%s %s %u %ldms\n", method, url,
			r.status ? r.status : 200,
			cw_time_mono_ms() - p->start_ms);
	cw_buf_release(&r.out);
	cw_strv_release(&r.owned);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct pending *p = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!p)
		return;
	cw_buf_release(&p->body);
	free(p);
	*con_cls = NULL;
}

/* ---- start and stop ---- */

static char *read_openapi(const char *data_dir, size_t *len, struct cw_err *err)
{
	struct cw_buf b = CW_BUF_INIT;
	char *path = cw_asprintf("%s/http/openapi.json", data_dir);
	int rc = cw_file_read(&b, path, 1u << 20, err);

	free(path);
	if (rc) {
		cw_buf_release(&b);
		return NULL;
	}
	return cw_buf_detach(&b, len);
}

int cw_http_start(struct cw_http **out, const struct cw_http_opts *o,
		  struct cw_err *err)
{
	struct cw_http *h;
	struct addrinfo hints, *ai = NULL;
	char port[16];
	const union MHD_DaemonInfo *info;
	int gai;

	*out = NULL;
	if (!o->db_path || !o->data_dir)
		return cw_err_set(err, CW_EINVAL,
				  "serve: no store or data directory given");
	(void)pthread_once(&worker_once, worker_key_make);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%u", o->port);
	gai = getaddrinfo(o->host ? o->host : "127.0.0.1", port, &hints, &ai);
	if (gai)
		return cw_err_set(err, CW_EINVAL,
				  "serve: --listen %s:%u: not a numeric "
				  "address and port (%s)",
				  o->host ? o->host : "127.0.0.1", o->port,
				  gai_strerror(gai));
	h = cw_calloc(1, sizeof(*h));
	h->opts = *o;
	h->srv.opts = &h->opts;
	h->srv.openapi = read_openapi(o->data_dir, &h->srv.openapi_len, err);
	if (h->srv.openapi) {
		char *dir = cw_asprintf("%s/diff", o->data_dir);
		if (cw_diff_rules_load(&h->srv.rules, dir, err) ||
		    cw_taxonomy_load(&h->srv.tax, o->data_dir, err)) {
			cw_diff_rules_free(h->srv.rules);
			free(h->srv.openapi);
			h->srv.openapi = NULL;
		}
		free(dir);
	}
	if (!h->srv.openapi) {
		freeaddrinfo(ai);
		free(h);
		return err->rc;
	}
	/* poll(), not epoll: with libmicrohttpd 0.9.75 (Debian 12) in epoll
	 * mode, a worker at its share of the connection limit misses the
	 * clients' closes of the connections it holds and keeps them until
	 * the 30 s idle timeout, so that new clients wait that long (256
	 * connections of wrk: 250 requests/s instead of 3,000, and one
	 * request 30 s after it; upstream changed how epoll mode notices a
	 * close in 1.0.0, not tried here). poll() costs the same at a
	 * worker's 128 connections (bench/web.sh). */
	h->d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			(ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, NULL, NULL, on_request, &h->srv, MHD_OPTION_SOCK_ADDR,
		ai->ai_addr, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)(o->threads ? o->threads : 2),
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(o->max_connections ? o->max_connections : 256),
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64u << 10),
		MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!h->d) {
		int e = errno;
		cw_diff_rules_free(h->srv.rules);
		cw_taxonomy_free(h->srv.tax);
		free(h->srv.openapi);
		free(h);
		return cw_err_set(err, CW_EIO,
				  "serve: cannot listen on %s:%u%s%s",
				  o->host ? o->host : "127.0.0.1", o->port,
				  e ? ": " : "", e ? strerror(e) : "");
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : o->port;
	if (o->base_url && *o->base_url) {
		size_t n = strlen(o->base_url);
		while (n > 0 && o->base_url[n - 1] == '/')
			n--;
		h->url = cw_strndup(o->base_url, n);
	} else {
		bool v6 = strchr(o->host ? o->host : "", ':') != NULL;
		h->url = cw_asprintf("http://%s%s%s:%u", v6 ? "[" : "",
				     o->host ? o->host : "127.0.0.1",
				     v6 ? "]" : "", h->port);
	}
	h->srv.base = h->url;
	{
		const char *sch = strstr(h->url, "://");
		const char *path = sch ? strchr(sch + 3, '/') : NULL;
		h->prefix = cw_strdup(path ? path : "");
		h->srv.prefix = h->prefix;
	}
	*out = h;
	return CW_OK;
}

const char *cw_http_url(const struct cw_http *h)
{
	return h->url;
}

unsigned cw_http_port(const struct cw_http *h)
{
	return h->port;
}

void cw_http_stop(struct cw_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	cw_diff_rules_free(h->srv.rules);
	cw_taxonomy_free(h->srv.tax);
	free(h->srv.openapi);
	free(h->url);
	free(h->prefix);
	free(h);
}
