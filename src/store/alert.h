#ifndef CW_STORE_ALERT_H
#define CW_STORE_ALERT_H
/*
 * The payload of a health alert in the outbox (struct cw_store_outbox's
 * `payload` for kind "health"): what the monitor says about a document
 * whose checks fail or recovered, typed, with its one JSON codec. The
 * monitor encodes it when it enqueues the alert (monitor/health.c);
 * notify decodes it to render the webhook body, the email and the feed.
 *
 * JSON: {"kind":"health","service","type","state":"failing"|"recovered",
 * "failing_since","failures","last_error","at"}, in that order; a member
 * whose field is NULL (or `has_failures` false) is left out.
 *
 * Ownership: the struct owns its strings; cw_store_health_alert_release().
 */
#include "../util/util.h"

struct cw_store_health_alert {
	char *service;
	char *type;
	char *state;	     /* "failing" or "recovered" */
	char *failing_since; /* ISO time the failure streak began */
	bool has_failures;
	int64_t failures; /* checks failed in a row */
	char *last_error;
	char *at; /* ISO time of the alert */
};

void cw_store_health_alert_release(struct cw_store_health_alert *a);

/* The payload's JSON (compact), appended to `out`. CW_OK or CW_ERROR. */
int cw_store_health_alert_encode(struct cw_buf *out,
				 const struct cw_store_health_alert *a,
				 struct cw_err *err);
/* The payload as a jansson object (json_t *, declared void *): the same
 * members as encoded. A new reference. */
void *cw_store_health_alert_to_json(const struct cw_store_health_alert *a);

/*
 * Read a payload. Every member is optional and type-checked ("kind", when
 * present, must be "health"). `a` is zeroed first and holds nothing after
 * a failure. Returns CW_OK or CW_EPARSE (naming the member).
 */
int cw_store_health_alert_decode(struct cw_store_health_alert *a,
				 const char *json, size_t len,
				 struct cw_err *err);

#endif
