#ifndef CW_HTTP_H
#define CW_HTTP_H
/*
 * http: the web face. `clausewatch serve` starts this server: HTML pages
 * rendered on the server (usable without JavaScript) and a JSON API under
 * /api/v1, with Open Terms Archive's Collection API routes beside ours.
 * What a page or an API answer shows is composed by the read side
 * (view.h); this module routes requests, escapes and prints.
 *
 * Place in the layout: above view (and the stages view composes), below
 * cli. Routes, shapes and limits: docs/web.md; the API contract:
 * data/http/openapi.json.
 *
 * Threads: libmicrohttpd runs a pool of `threads` workers; each opens its
 * own store handle and read session on its first request (a store handle
 * is used by one thread at a time, store.h) and renews the session when
 * another process (the monitor) has committed to the store since.
 */
#include <stdbool.h>
#include <stddef.h>

#include "../util/util.h"

struct cw_note_key;

struct cw_http_opts {
	const char *db_path;  /* the store (opened by each worker) */
	const char *data_dir; /* analysis data and data/http/ */
	const char *host;     /* address to bind: "127.0.0.1" (default) */
	unsigned port;	      /* 8080 by default; 0: any free port */
	const char *base_url; /* links behind a proxy; NULL: http://host:port */
	unsigned threads;     /* worker threads; 0: 2 */
	unsigned max_connections; /* 0: 256 */
	bool quiet;		  /* no access log on stderr */
	/* signs /checkpoint when the log grew; NULL: the last one signed */
	const struct cw_note_key *log_key;
};
#define CW_HTTP_OPTS_INIT                         \
	{                                         \
		.host = "127.0.0.1", .port = 8080 \
	}

struct cw_http;

/*
 * Start serving. Returns CW_OK, or CW_EIO when the address cannot be
 * bound (the message names it) or CW_EINVAL for a bad option.
 * out  [out] stop with cw_http_stop()
 */
int cw_http_start(struct cw_http **out, const struct cw_http_opts *o,
		  struct cw_err *err);
/* The base URL pages link to ("http://127.0.0.1:8080"), borrowed. */
const char *cw_http_url(const struct cw_http *h);
/* The port actually bound (useful with port 0). */
unsigned cw_http_port(const struct cw_http *h);
/* Stop accepting, finish the requests under way, release everything. */
void cw_http_stop(struct cw_http *h); /* NULL is a no-op */

#endif
