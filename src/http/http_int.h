#ifndef CW_HTTP_INT_H
#define CW_HTTP_INT_H
/*
 * The http module's own declarations: a request as the handlers see it,
 * the response they fill, and the pieces the page and API files share.
 *
 * A handler reads the request (decoded path segments, query parameters,
 * the body of a POST) and fills the response: status, content type, body,
 * and how it may be cached. server.c then adds the headers every answer
 * carries (Content-Security-Policy and friends), the ETag, and answers a
 * conditional GET or a HEAD.
 */
#include <jansson.h>

#include "../store/store.h"
#include "../view/view.h"
#include "http.h"

#define HTTP_MAX_SEGMENTS 16
#define HTTP_BODY_MAX (64u << 10) /* a POST body */
#define HTTP_PAGE_MAX (32u << 20) /* an answer */
#define HTTP_SEGMENT_MAX 512	  /* a decoded path segment */

/* One worker thread's store handle and read session. */
/* An answer kept by a worker (server.c): what a GET of `key` gave while
 * the store's content mark was `mark`. */
struct http_kept {
	char *key;
	int64_t mark;
	const char *ctype;
	int cache;
	time_t last_modified;
	char *body;
	size_t len;
};
#define HTTP_KEPT 64		 /* answers a worker keeps */
#define HTTP_KEPT_MAX (1u << 20) /* the largest answer it keeps */

struct http_worker {
	struct cw_store *store;
	struct cw_view *view; /* opened on first use */
	int64_t view_version; /* the store's data version last seen */
	int64_t view_mark;    /* its content mark when the session was made */
	int64_t seen_version; /* the data version `mark` was read at */
	int64_t mark;	      /* the store's content mark, as last read */
	bool mark_read;
	struct http_kept kept[HTTP_KEPT];
	size_t next_kept; /* the slot the next answer replaces */
};

struct http_server {
	const struct cw_http_opts *opts;
	const char *base;   /* base URL without the trailing slash */
	const char *prefix; /* its path ("" or "/clausewatch"): links start so */
	char *openapi;	    /* data/http/openapi.json, read at start */
	size_t openapi_len;
	struct cw_diff_rules *rules; /* data/diff/, for the redline pages */
	struct cw_taxonomy *tax;     /* data/taxonomy/, for their summaries */
};

enum http_cache {
	HTTP_CACHE_REVALIDATE, /* no-cache: ask each time, 304 when unchanged */
	HTTP_CACHE_IMMUTABLE,  /* addressed by content: a version, a diff */
	HTTP_CACHE_NONE,       /* no-store: forms with a token, errors */
};

struct http_req {
	const struct http_server *srv;
	struct http_worker *w;
	void *conn; /* struct MHD_Connection */
	const char *method;
	bool head, post;
	const char *path;	      /* raw, still percent-encoded */
	char *seg[HTTP_MAX_SEGMENTS]; /* decoded segments */
	size_t nseg;
	const char *body; /* a POST body (NUL-terminated), or NULL */
	size_t body_len;
	struct cw_strv owned; /* strings the request owns */

	/* the response */
	unsigned status;
	const char *ctype;
	struct cw_buf out;
	enum http_cache cache;
	time_t last_modified;	      /* 0: none */
	const char *allow;	      /* the Allow header of a 405 */
	const char *www_authenticate; /* the WWW-Authenticate header of a 401 */
};

/* ---- request.c ---- */
/* Split the raw path into decoded segments; false for a path no route
 * can match (too many or too long segments, a bad escape). */
bool http_split_path(struct http_req *r);
/* A query parameter, percent-decoded ('+' is a space); NULL when absent.
 * Owned by the request. */
const char *http_arg(struct http_req *r, const char *name);
/*
 * A date parameter as an ISO time in `out` (a bare date is its start, or
 * its end with `end_of_day`); *set points at `out`, or is NULL when the
 * parameter is absent or empty. False, with a 400 answered, when it is
 * not a date.
 */
bool http_arg_time(struct http_req *r, const char *name, bool end_of_day,
		   char out[CW_TIME_ISO], const char **set);
/* A materiality parameter, NULL when absent or empty; false, with a 400
 * answered, when it is not cosmetic, editorial or substantive. */
bool http_arg_materiality(struct http_req *r, const char *name,
			  const char **out);
/* A request header, or NULL. */
const char *http_header(struct http_req *r, const char *name);
/* A field of a form-encoded POST body, decoded; NULL when absent. */
const char *http_form(struct http_req *r, const char *name);
/* The worker's read session (opened, or renewed when the store moved);
 * NULL with err set on failure. */
struct cw_view *http_view(struct http_req *r, struct cw_err *err);

/* ---- html.c: the one escaping layer and the page frame ---- */
/* Text or an attribute value: & < > " ' escaped, invalid UTF-8 replaced. */
void html_esc(struct cw_buf *b, const char *s);
void html_escn(struct cw_buf *b, const char *s, size_t n);
/* printf with every %s argument escaped (%S: already HTML, not escaped;
 * %u: a path segment, percent-encoded then escaped). Only %s %S %u %d %ld
 * %lld %zu %% are known. */
void html_f(struct cw_buf *b, const char *fmt, ...);
/* A path segment percent-encoded (RFC 3986 unreserved kept). */
void url_seg(struct cw_buf *b, const char *s);
/* Percent-decode s[0..n) into out; '+' as a space when `plus`. False when
 * an escape is malformed or the result has a NUL or bad UTF-8. */
bool url_decode(struct cw_buf *out, const char *s, size_t n, bool plus);
/* Open a page: doctype, head (title escaped), the site header with its
 * navigation; `crumbs` is HTML made with html_f (may be NULL). */
void page_begin(struct http_req *r, const char *title, const char *crumbs);
void page_end(struct http_req *r);
/* The stylesheet served at /static/style.css. */
extern const char http_stylesheet[];
/* ---- answer.c ---- */
/* A JSON string of s (NULL: null), invalid UTF-8 replaced. */
json_t *api_str(const char *s);
/* Answer with `j` (a new reference, taken) as JSON. */
void api_json(struct http_req *r, unsigned status, json_t *j);
/* An error page (or, under /api/, a JSON error): status and message. */
void http_error(struct http_req *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The page or JSON error of a failed read: 404 for CW_ENOTFOUND, 400 for
 * CW_EINVAL, 500 otherwise. */
void http_fail(struct http_req *r, const struct cw_err *err);
/* A link to a document page: /services/S/T (HTML-safe). */
void html_doc_href(struct cw_buf *b, const struct http_req *r,
		   const char *service, const char *type);

/* ---- pages.c ---- */
/* Route a page (not /api/, not /static/); false when nothing matched. */
bool pages_route(struct http_req *r);

/* ---- witness.c ---- */
/* Route /checkpoint and /tile/... (C2SP tlog-tiles); false otherwise. */
bool witness_route(struct http_req *r);

/* ---- api.c ---- */
/* Whether `token` is one of the store's API tokens. */
bool http_token_ok(struct http_req *r, const char *token);
/* CW_EINVAL naming the first of `cats` (one id a line) that the
 * taxonomy does not have. */
int http_check_categories(struct http_req *r, const char *cats,
			  struct cw_err *err);
/* Route /api/v1/... and the top-level feeds; false when nothing matched. */
bool api_route(struct http_req *r);

#endif
