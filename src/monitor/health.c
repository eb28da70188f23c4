/*
 * health: failures are states of a document, not versions (monitor.h).
 */
#include <jansson.h>

#include "monitor.h"

bool cw_monitor_looks_blocked(const struct cw_monitor_config *c, size_t len,
			      int64_t prev_len)
{
	if (prev_len <= 0)
		return false; /* nothing to compare with: the first version */
	return (double)len < c->blocked_ratio * (double)prev_len &&
	       (long)len < c->blocked_min_bytes;
}

static void set(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? cw_strdup(v) : NULL;
}

int cw_monitor_health_fail(struct cw_store *s, const struct cw_store_doc *doc,
			   struct cw_store_mon *m, const char *now,
			   const char *error, unsigned threshold,
			   bool *alerted, struct cw_err *err)
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
		json_t *j = json_object();
		char *payload;

		json_object_set_new(j, "kind", json_string("health"));
		json_object_set_new(j, "service", json_string(doc->service));
		json_object_set_new(j, "type", json_string(doc->type));
		json_object_set_new(j, "state", json_string("failing"));
		json_object_set_new(j, "failing_since", json_string(m->failing_since));
		json_object_set_new(j, "failures", json_integer(m->failures));
		json_object_set_new(j, "last_error", json_string(error ? error : ""));
		json_object_set_new(j, "at", json_string(now));
		payload = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(j);
		rc = cw_notify_enqueue_health(s, doc->id, m->failing_since,
					      payload, NULL, err);
		free(payload);
		if (!rc) {
			m->alerted = true;
			*alerted = true;
		}
	}
	if (!rc)
		rc = cw_store_mon_put(s, m, err);
	if (rc) {
		cw_store_rollback(s);
		return rc;
	}
	return cw_store_commit(s, err);
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
		json_t *j = json_object();
		char *payload, *streak;
		size_t added = 0;

		json_object_set_new(j, "kind", json_string("health"));
		json_object_set_new(j, "service", json_string(doc->service));
		json_object_set_new(j, "type", json_string(doc->type));
		json_object_set_new(j, "state", json_string("recovered"));
		json_object_set_new(j, "failing_since",
				    json_string(m->failing_since ? m->failing_since : ""));
		json_object_set_new(j, "failures", json_integer(m->failures));
		json_object_set_new(j, "last_error",
				    json_string(m->last_error ? m->last_error : ""));
		json_object_set_new(j, "at", json_string(now));
		payload = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(j);
		/* the key keeps upper-case letters and digits of the streak:
		 * "R" sets the recovery apart from the failure alert */
		streak = cw_asprintf("R%s", m->failing_since ? m->failing_since : "");
		rc = cw_notify_enqueue_health(s, doc->id, streak, payload, &added,
					      err);
		free(streak);
		free(payload);
		if (!rc && added)
			*alerted = true;
	}
	cw_monitor_health_ok(m, now);
	if (!rc)
		rc = cw_store_mon_put(s, m, err);
	if (rc) {
		cw_store_rollback(s);
		return rc;
	}
	return cw_store_commit(s, err);
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
