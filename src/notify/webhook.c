/*
 * webhook: signed JSON POSTs (see notify.h and notify_int.h).
 *
 * The signature covers a timestamp and the body, as Stripe's webhook
 * signatures do ("t=...,v1=..." over "t.body"): a receiver that refuses a
 * timestamp more than five minutes from its clock turns a captured request
 * into one that cannot be replayed later, and the idempotency key covers
 * the redeliveries inside that window.
 */
#include "notify_int.h"

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

int cw_notify_webhook_setup(struct notify_xfer *x, const char *url,
			    const char *secret, const char *idem_key,
			    char *body, size_t len, int64_t t,
			    const struct cw_notify_opts *o, struct cw_err *err)
{
	char sig[CW_NOTIFY_SIG_MAX], line[256 + CW_NOTIFY_SIG_MAX];
	CURL *c;

	x->body = body;
	x->len = len;
	if (!cw_str_startswith(url, "http://") && !cw_str_startswith(url, "http"
									  "s:/"
									  "/"))
		return cw_err_set(err, CW_EINVAL,
				  "webhook '%s': not an http(s) URL", url);
	c = x->h = curl_easy_init();
	if (!c)
		return cw_err_set(err, CW_ERROR,
				  "webhook '%s': curl init failed", url);
	x->guard.allow_private = o->allow_private;
	if (cw_fetch_guard_install(c, &x->guard, err))
		return cw_err_prefix(err, "webhook '%s': ", url);
	cw_notify_sign(sig, secret ? secret : "", t, body ? body : "", len);
	x->list = curl_slist_append(x->list, "Content-Type: application/json");
	snprintf(line, sizeof(line), "X-Clausewatch-Signature: %s", sig);
	x->list = curl_slist_append(x->list, line);
	snprintf(line, sizeof(line), "Idempotency-Key: %s", idem_key);
	x->list = curl_slist_append(x->list, line);
	snprintf(line, sizeof(line), "X-Clausewatch-Delivery: %s", idem_key);
	x->list = curl_slist_append(x->list, line);
	x->list = curl_slist_append(x->list, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->list);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
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
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x->seen);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->ebuf);
	return CW_OK;
}

int cw_notify_webhook_result(struct notify_xfer *x, const char *url, int cc,
			     long *status, struct cw_err *err)
{
	*status = 0;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, status);
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return cw_err_set(err, CW_ETIMEOUT, "webhook '%s': timed out",
				  url);
	if (cc == CURLE_COULDNT_CONNECT && x->guard.refused[0])
		return cw_err_set(err, CW_EBLOCKED, "webhook '%s': %s", url,
				  x->guard.refused);
	if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && *status))
		return cw_err_set(err, CW_ENET, "webhook '%s': %s", url,
				  x->ebuf[0]
					  ? x->ebuf
					  : curl_easy_strerror((CURLcode)cc));
	if (*status < 200 || *status > 299)
		return cw_err_set(err, CW_EHTTP, "webhook '%s': HTTP %ld", url,
				  *status);
	return CW_OK;
}

int cw_notify_webhook_post(const char *url, const char *secret,
			   const char *idem_key, const char *body, size_t len,
			   const struct cw_notify_opts *o, long *status,
			   struct cw_err *err)
{
	struct notify_xfer x;
	char *copy = cw_malloc(len + 1);
	int rc;

	memset(&x, 0, sizeof(x));
	memcpy(copy, body, len);
	copy[len] = '\0';
	*status = 0;
	rc = cw_notify_webhook_setup(&x, url, secret, idem_key, copy, len,
				     (int64_t)time(NULL), o, err);
	if (!rc)
		rc = cw_notify_webhook_result(
			&x, url, (int)curl_easy_perform(x.h), status, err);
	notify_xfer_release(&x);
	return rc;
}
