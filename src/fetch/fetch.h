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
	long connect_timeout_ms;     /* default 10000 */
	long timeout_ms;	     /* whole transfer, default 60000 */
	size_t max_bytes;	     /* default 50 MiB */
	long max_redirects;	     /* default 10 */
	bool allow_private;	     /* allow loopback/private/link-local */
	const char *user_agent;	     /* NULL: "clausewatch/<version>" */
	const char *accept_language; /* NULL: "en" */
	const char *if_none_match;   /* conditional request, optional */
	const char *if_modified_since;
	/*
	 * Proxy URL, or NULL for none. Proxies named in the environment
	 * (http_proxy, ...) are ignored: through a proxy the guard would see
	 * the proxy's address, not the target's. With a proxy set, the proxy
	 * resolves the target and the address guard checks the proxy only.
	 */
	const char *proxy;
};
#define CW_FETCH_OPTS_INIT                                                  \
	{                                                                   \
		10000, 60000, 50u << 20, 10, false, NULL, NULL, NULL, NULL, \
			NULL                                                \
	}

struct cw_fetch_result {
	long status;	    /* HTTP status, 0 if no response */
	struct cw_buf body; /* decoded body bytes, as served (not converted) */
	char *final_url;    /* after redirects */
	char *content_type; /* media type only, lower-case ("text/html") */
	char *charset;	    /* from Content-Type, or NULL */
	char *etag;
	char *last_modified;
	double seconds;	   /* total time */
	long redirects;	   /* redirects followed */
	size_t wire_bytes; /* body bytes received, before decoding */
	unsigned refused;  /* browser: connections its proxy refused */
};

void cw_fetch_result_init(struct cw_fetch_result *r);
void cw_fetch_result_release(struct cw_fetch_result *r);

int cw_fetch_global_init(void);

/*
 * GET `url` into `res` (which must be initialised).
 * Returns CW_OK for a 2xx answer, CW_EUNCHANGED for 304 to a conditional
 * request (a 304 to any other is CW_EHTTP), CW_EHTTP for
 * another status (res->status set), CW_ENET / CW_ETIMEOUT / CW_ETOOBIG /
 * CW_EBLOCKED; the message names the URL and the cause.
 */
int cw_fetch_url(struct cw_fetch_result *res, const char *url,
		 const struct cw_fetch_opts *opts, struct cw_err *err);

/*
 * Split a Content-Type value ("text/html; charset=\"UTF-8\"") into its
 * media type (lower-case, parameters dropped) and charset (lower-case,
 * unquoted; NULL when absent or not a valid token). Either out-parameter
 * may be NULL.
 * [out] *media, *charset: new strings, caller frees; NULL on failure.
 * Returns CW_OK or CW_EINVAL (NULL, or no type/subtype of two tokens).
 */
int cw_fetch_parse_content_type(char **media, char **charset,
				const char *value);

/* ---- SSRF guard (ssrf.c) ---- */

struct sockaddr;

/*
 * Is `sa` an address a fetch may connect to? Refused: loopback, private
 * (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16,
 * fe80::/10), CGNAT 100.64/10, 0.0.0.0/8, multicast, reserved, and the
 * same inside IPv4-mapped, NAT64 and 6to4 IPv6 addresses. `allow_private`
 * allows all of these except the cloud metadata endpoints
 * (169.254.169.254, fd00:ec2::254), which are always refused.
 * Returns CW_OK or CW_EBLOCKED, the message naming the address and why.
 * Pure; thread-safe.
 */
int cw_fetch_check_addr(const struct sockaddr *sa, size_t salen,
			bool allow_private, struct cw_err *err);

/*
 * Guard state for one curl easy handle; must outlive the transfer.
 * `refused` holds the message of the last refused connection ("" if none):
 * curl reports a refusal as CURLE_COULDNT_CONNECT, this says why.
 */
struct cw_fetch_guard {
	bool allow_private;
	char refused[CW_ERR_MSG_MAX];
};

/*
 * Install the guard on a libcurl easy handle (`curl_easy` is a CURL *,
 * typed void * so that this header does not pull in curl.h): every
 * connection, including those of redirects, is checked after DNS
 * resolution with cw_fetch_check_addr(), and only http and https are
 * allowed (also as redirect targets). Used by cw_fetch_url() and by the
 * webhook delivery. Returns CW_OK or CW_ERROR.
 */
int cw_fetch_guard_install(void *curl_easy, struct cw_fetch_guard *guard,
			   struct cw_err *err);

/* ---- headless browser (browser.c) ---- */

struct cw_fetch_browser_opts {
	const char *binary; /* NULL: $CW_CHROMIUM, else "chromium" in PATH */
	long timeout_ms;    /* default 60000; the browser is killed past it */
	size_t max_bytes;   /* cap on the dumped DOM, default 50 MiB */
	bool allow_private; /* as in cw_fetch_opts */
	/*
	 * Virtual time the page's scripts get to write the page
	 * (--virtual-time-budget: timers run, the clock stands still while
	 * requests are pending, so it costs little real time). Default 10000,
	 * the wait Open Terms Archive gives a page's selectors
	 * (fetcher.waitForElementsTimeout); 0 dumps at the load event.
	 */
	long settle_ms;
	/*
	 * Fetch the page once with cw_fetch_url() first (default true): its
	 * HTTP status is reported (an error status fails as CW_EHTTP, as in
	 * cw_fetch_url), redirects are followed under the address guard, and
	 * the browser renders the final URL. Off only for tests.
	 */
	bool check_status;
	const char *user_agent; /* NULL: Chromium's own */
	/*
	 * false (default): the page loads what it links to on any host the
	 * address guard allows (scripts and styles of a CDN), every connection
	 * going through a guarding proxy. true: only the page's own host and
	 * port are reachable at all.
	 */
	bool origin_only;
};
#define CW_FETCH_BROWSER_OPTS_INIT                                      \
	{                                                               \
		NULL, 60000, 50u << 20, false, 10000, true, NULL, false \
	}

/*
 * Render `url` with headless Chromium (executeClientScripts) and put the
 * serialised DOM in res->body (res->content_type "text/html", charset
 * "utf-8", status that of the preflight fetch, or 200 without it;
 * final_url the URL rendered, after the preflight's redirects).
 * The browser runs with a fresh temporary profile that is removed after,
 * --no-sandbox only when running as root.
 * SSRF: the rendered URL's host is resolved here and every address checked
 * with cw_fetch_check_addr(). Then, by default, every connection of the
 * browser goes through a proxy on loopback that runs for this call only
 * (--proxy-server, --proxy-bypass-list=<-loopback>), resolves each target
 * itself and refuses it unless all its addresses pass the same check, so
 * sub-resources and scripted requests obey the same rule as any fetch;
 * Chromium itself resolves nothing but the proxy (--host-resolver-rules
 * "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"). With origin_only, there is no
 * proxy: Chromium is pinned to the checked address for that host and port
 * and resolves nothing else, so any other origin fails inside the browser.
 * res->refused counts the connections the proxy refused (the page is
 * rendered without them).
 * A page still loading at about 3/4 of timeout_ms is stopped and printed
 * as it stands (Chromium's --timeout).
 * Returns CW_OK, CW_ENOTFOUND (no chromium: the message names the Debian
 * package "chromium" and CW_CHROMIUM), CW_ETIMEOUT, CW_ETOOBIG, CW_EHTTP /
 * CW_ENET / CW_EBLOCKED from the preflight, CW_EUNSUPPORTED (not served as
 * HTML), CW_ENET (the browser failed or printed nothing; the message has
 * its exit status and the last line of its stderr).
 */
int cw_fetch_browser(struct cw_fetch_result *res, const char *url,
		     const struct cw_fetch_browser_opts *opts,
		     struct cw_err *err);

/*
 * The head of a request to the browser's proxy (browser.c), parsed: the
 * proxy's one parser of what the browser, a page's scripts included,
 * sends it. `head` is the head through its blank line (`len` bytes,
 * NUL-terminated). CONNECT needs host:port; a plain request needs an
 * http:// target and, with a body, a Content-Length; its head is
 * rewritten for the origin in *fwd (free it). CW_EINVAL with the status
 * line to answer and why.
 */
struct cw_fetch_proxy_head {
	char method[16], target[4096], version[16];
	char host[256], port[8];
	bool connect;
	long long body_left; /* a request body's bytes; -1 for a tunnel */
	char *fwd;	     /* a plain request's head for the origin */
	const char *status;  /* on failure: "400 Bad Request", ... */
	char why[CW_ERR_MSG_MAX];
};
int cw_fetch_proxy_head_parse(struct cw_fetch_proxy_head *out, const char *head,
			      size_t len);

#endif
