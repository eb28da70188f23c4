#ifndef CW_FETCH_H
#define CW_FETCH_H
/*
 * fetch: bytes from a URL with libcurl.
 *
 * Follows redirects (a capped number), enforces connect and total time
 * limits and a size cap, accepts gzip/deflate/brotli/zstd encodings and
 * reports the media type and charset. By default it refuses private,
 * loopback, link-local and metadata addresses, checked after DNS
 * resolution and on every redirect (CURLOPT_OPENSOCKETFUNCTION).
 * Each call is independent and thread-safe (cw_fetch_global_init() once).
 */
#include "../util/util.h"

struct cw_fetch_opts {
	long connect_timeout_ms;   /* default 10000 */
	long timeout_ms;           /* whole transfer, default 60000 */
	size_t max_bytes;          /* default 50 MiB */
	long max_redirects;        /* default 10 */
	bool allow_private;        /* allow loopback/private/link-local */
	const char *user_agent;    /* NULL: "clausewatch/<version>" */
	const char *accept_language; /* NULL: "en" */
	const char *if_none_match;   /* conditional request, optional */
	const char *if_modified_since;
};
#define CW_FETCH_OPTS_INIT { 10000, 60000, 50u << 20, 10, false, NULL, NULL, NULL, NULL }

struct cw_fetch_result {
	long status;          /* HTTP status, 0 if no response */
	struct cw_buf body;   /* decoded body bytes, as served (not converted) */
	char *final_url;      /* after redirects */
	char *content_type;   /* media type only, lower-case ("text/html") */
	char *charset;        /* from Content-Type, or NULL */
	char *etag;
	char *last_modified;
	double seconds;       /* total time */
};

void cw_fetch_result_init(struct cw_fetch_result *r);
void cw_fetch_result_release(struct cw_fetch_result *r);

int cw_fetch_global_init(void);

/*
 * GET `url` into `res` (which must be initialised).
 * Returns CW_OK for a 2xx answer, CW_EUNCHANGED for 304, CW_EHTTP for
 * another status (res->status set), CW_ENET / CW_ETIMEOUT / CW_ETOOBIG /
 * CW_EBLOCKED; the message names the URL and the cause.
 */
int cw_fetch_url(struct cw_fetch_result *res, const char *url,
		 const struct cw_fetch_opts *opts, struct cw_err *err);

#endif
