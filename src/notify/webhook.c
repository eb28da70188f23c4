/*
 * webhook: signed JSON POSTs (see notify.h).
 *
 * The signature covers a timestamp and the body, as Stripe's webhook
 * signatures do ("t=...,v1=..." over "t.body"): a receiver that refuses a
 * timestamp more than five minutes from its clock turns a captured request
 * into one that cannot be replayed later, and the idempotency key covers
 * the redeliveries inside that window.
 */
#include <curl/curl.h>

#include "../fetch/fetch.h"
#include "notify.h"

void cw_notify_sign(char out[CW_NOTIFY_SIG_MAX], const char *secret, int64_t t,
		    const char *body, size_t len)
{
	struct cw_buf msg = CW_BUF_INIT;
	char hex[CW_SHA256_HEX];

	cw_buf_addf(&msg, "%lld.", (long long)t);
	cw_buf_add(&msg, body, len);
	cw_hmac_sha256_hex(secret, strlen(secret), msg.ptr, msg.len, hex);
	cw_buf_release(&msg);
	snprintf(out, CW_NOTIFY_SIG_MAX, "t=%lld,v1=%s", (long long)t, hex);
}

/* The receiver's answer is read and dropped, up to a small cap. */
static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	size_t *seen = ud;

	(void)p;
	*seen += size * n;
	return *seen > (64u << 10) ? 0 : size * n;
}

int cw_notify_webhook_post(const char *url, const char *secret,
			   const char *idem_key, const char *body, size_t len,
			   const struct cw_notify_opts *o, long *status,
			   struct cw_err *err)
{
	struct cw_fetch_guard guard;
	struct curl_slist *h = NULL;
	char sig[CW_NOTIFY_SIG_MAX], line[256 + CW_NOTIFY_SIG_MAX];
	char ebuf[CURL_ERROR_SIZE] = "";
	size_t seen = 0;
	CURLcode cc;
	CURL *c;
	int rc = CW_OK;

	*status = 0;
	if (!cw_str_startswith(url, "http://") && !cw_str_startswith(url, "http"
									  "s:/"
									  "/"))
		return cw_err_set(err, CW_EINVAL,
				  "webhook '%s': not an http(s) URL", url);
	c = curl_easy_init();
	if (!c)
		return cw_err_set(err, CW_ERROR,
				  "webhook '%s': curl init failed", url);
	memset(&guard, 0, sizeof(guard));
	guard.allow_private = o->allow_private;
	if (cw_fetch_guard_install(c, &guard, err)) {
		curl_easy_cleanup(c);
		return cw_err_prefix(err, "webhook '%s': ", url);
	}
	cw_notify_sign(sig, secret ? secret : "", (int64_t)time(NULL), body,
		       len);
	h = curl_slist_append(h, "Content-Type: application/json");
	snprintf(line, sizeof(line), "X-Clausewatch-Signature: %s", sig);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "Idempotency-Key: %s", idem_key);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line), "X-Clausewatch-Delivery: %s", idem_key);
	h = curl_slist_append(h, line);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "clausewatch/" CW_VERSION);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
			 o->timeout_ms > 0 ? o->timeout_ms : 15000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	/* no redirects: a receiver that moves must be re-subscribed, and a
	 * redirect must not turn the POST into a request elsewhere */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &seen);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		rc = cw_err_set(err, CW_ETIMEOUT, "webhook '%s': timed out",
				url);
	else if (cc == CURLE_COULDNT_CONNECT && guard.refused[0])
		rc = cw_err_set(err, CW_EBLOCKED, "webhook '%s': %s", url,
				guard.refused);
	else if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && *status))
		rc = cw_err_set(err, CW_ENET, "webhook '%s': %s", url,
				ebuf[0] ? ebuf : curl_easy_strerror(cc));
	else if (*status < 200 || *status > 299)
		rc = cw_err_set(err, CW_EHTTP, "webhook '%s': HTTP %ld", url,
				*status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}
