/*
 * send: one rendered alert through its subscription's channel (see
 * notify.h). The outbox and the digests both deliver through here; it
 * calls only the channels (webhook.c, email.c).
 */
#include "notify.h"

int cw_notify_send(const struct cw_store_sub *sub, const char *idem_key,
		   const char *json, const char *subject, const char *text,
		   const char *html, const struct cw_notify_opts *o,
		   struct cw_err *err)
{
	if (!strcmp(sub->channel, "webhook")) {
		long status = 0;
		return cw_notify_webhook_post(sub->target, sub->secret,
					      idem_key, json, strlen(json), o,
					      &status, err);
	}
	if (!strcmp(sub->channel, "email")) {
		struct cw_buf msg = CW_BUF_INIT;
		int rc;

		cw_notify_email_build(
			&msg,
			o->smtp_from ? o->smtp_from : "clausewatch@localhost",
			sub->target, subject, idem_key, text, html);
		rc = cw_notify_email_send(o, sub->target, msg.ptr, msg.len,
					  err);
		cw_buf_release(&msg);
		return rc;
	}
	if (!strcmp(sub->channel, "feed"))
		return CW_OK; /* the feed is rendered from the outbox itself */
	return cw_err_set(err, CW_EINVAL,
			  "subscription %lld: unknown channel '%s'",
			  (long long)sub->id, sub->channel);
}
