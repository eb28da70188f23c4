#ifndef CW_FETCH_INT_H
#define CW_FETCH_INT_H
/*
 * fetch_int: private to src/fetch. One configured libcurl easy transfer,
 * shared by the single fetch (fetch.c) and the multi engine (multi.c), so
 * both apply the same options, caps, guard and error mapping.
 */
#include <curl/curl.h>

#include "fetch.h"

struct cw_fetch_xfer {
	CURL *h;
	struct cw_fetch_result *res; /* borrowed; body receives the bytes */
	struct cw_fetch_guard guard;
	struct curl_slist *headers;
	char errbuf[CURL_ERROR_SIZE];
	size_t max_bytes;
	long max_redirects;
	long timeout_ms;
	bool toobig;
	bool conditional; /* If-None-Match or If-Modified-Since sent */
	/*
	 * Optional admission hook of the multi engine, asked before `n` more
	 * bytes are kept: return true to pause the transfer instead
	 * (CURL_WRITEFUNC_PAUSE); curl delivers the same bytes again once the
	 * transfer is resumed.
	 */
	bool (*gate)(void *ctx, struct cw_fetch_xfer *x, size_t n);
	void *gate_ctx;
};

/*
 * Create the easy handle for GET `url` with `opts` (NULL: defaults) and
 * make it write into `res` (initialised by the caller).
 * Returns CW_OK or CW_ERROR; on failure nothing is left to release.
 */
int cw_fetch_xfer_setup(struct cw_fetch_xfer *x, struct cw_fetch_result *res,
			const char *url, const struct cw_fetch_opts *opts,
			struct cw_err *err);

/*
 * After the transfer ended with `code`: fill status, final URL, media type,
 * charset, validators and time in x->res, and map the outcome to a cw_rc
 * with a message naming `url` (see cw_fetch_url()).
 */
int cw_fetch_xfer_finish(struct cw_fetch_xfer *x, CURLcode code,
			 const char *url, struct cw_err *err);

/* Clean up the easy handle and headers; the result stays. */
void cw_fetch_xfer_release(struct cw_fetch_xfer *x);

#endif
