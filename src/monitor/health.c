/*
 * health: failures are states of a document, not versions (monitor.h).
 */
#include "../store/alert.h"
#include "monitor.h"

static void set(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? cw_strdup(v) : NULL;
}

/* The outbox payload of a health alert (store/alert.h), appended to out. */
static int alert_payload(struct cw_buf *out, const struct cw_store_doc *doc,
			 const char *state, const char *since, int64_t failures,
			 const char *error, const char *now, struct cw_err *err)
{
	/* borrowed strings: the struct is only encoded, never released */
	struct cw_store_health_alert a = {
		.service = doc->service,
		.type = doc->type,
		.state = (char *)state,
		.failing_since = (char *)since,
		.has_failures = true,
		.failures = failures,
		.last_error = (char *)error,
		.at = (char *)now,
	};

	return cw_store_health_alert_encode(out, &a, err);
}

/* End the transaction of a health step: store `m` and commit when rc is
 * CW_OK, else roll back and return rc. */
static int put_and_commit(struct cw_store *s, struct cw_store_mon *m, int rc,
			  struct cw_err *err)
{
	if (!rc)
		rc = cw_store_mon_put(s, m, err);
	if (rc) {
		cw_store_rollback(s);
		return rc;
	}
	return cw_store_commit(s, err);
}

int cw_monitor_health_fail(struct cw_store *s, const struct cw_store_doc *doc,
			   struct cw_store_mon *m, const char *now,
			   const char *error, unsigned threshold, bool *alerted,
			   struct cw_err *err)
{
	int rc;

	*alerted = false;
	if (!m->failing) {
		m->failing = true;
		m->alerted = false;
		m->failures = 0;
		set(&m->failing_since, now);
	}
	m->failures++;
	set(&m->last_error, error);
	set(&m->last_check, now);
	rc = cw_store_begin(s, err);
	if (rc)
		return rc;
	if (!m->alerted && m->failures >= (int64_t)threshold) {
		struct cw_buf payload = CW_BUF_INIT;

		rc = alert_payload(&payload, doc, "failing", m->failing_since,
				   m->failures, error ? error : "", now, err);
		if (!rc)
			rc = cw_notify_enqueue_health(s, doc->id,
						      m->failing_since,
						      cw_buf_str(&payload),
						      NULL, err);
		cw_buf_release(&payload);
		if (!rc) {
			m->alerted = true;
			*alerted = true;
		}
	}
	return put_and_commit(s, m, rc, err);
}

int cw_monitor_health_recovered(struct cw_store *s,
				const struct cw_store_doc *doc,
				struct cw_store_mon *m, const char *now,
				bool *alerted, struct cw_err *err)
{
	int rc;

	*alerted = false;
	rc = cw_store_begin(s, err);
	if (rc)
		return rc;
	if (m->failing && m->alerted) {
		struct cw_buf payload = CW_BUF_INIT;
		char *streak;
		size_t added = 0;

		rc = alert_payload(&payload, doc, "recovered",
				   m->failing_since ? m->failing_since : "",
				   m->failures,
				   m->last_error ? m->last_error : "", now,
				   err);
		/* the key keeps upper-case letters and digits of the streak:
		 * "R" sets the recovery apart from the failure alert */
		streak = cw_asprintf("R%s",
				     m->failing_since ? m->failing_since : "");
		if (!rc)
			rc = cw_notify_enqueue_health(s, doc->id, streak,
						      cw_buf_str(&payload),
						      &added, err);
		free(streak);
		cw_buf_release(&payload);
		if (!rc && added)
			*alerted = true;
	}
	cw_monitor_health_ok(m, now);
	return put_and_commit(s, m, rc, err);
}

void cw_monitor_health_ok(struct cw_store_mon *m, const char *now)
{
	m->failing = false;
	m->alerted = false;
	m->failures = 0;
	set(&m->failing_since, NULL);
	set(&m->last_error, NULL);
	set(&m->last_check, now);
}
