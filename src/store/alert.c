/*
 * alert: the health alert payload of the outbox and its codec (alert.h).
 */
#include <jansson.h>

#include "alert.h"

void cw_store_health_alert_release(struct cw_store_health_alert *a)
{
	if (!a)
		return;
	free(a->service);
	free(a->type);
	free(a->state);
	free(a->failing_since);
	free(a->last_error);
	free(a->at);
	memset(a, 0, sizeof(*a));
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v)
		json_object_set_new(o, k, json_string(v));
}

void *cw_store_health_alert_to_json(const struct cw_store_health_alert *a)
{
	json_t *j = json_object();

	json_object_set_new(j, "kind", json_string("health"));
	set_str(j, "service", a->service);
	set_str(j, "type", a->type);
	set_str(j, "state", a->state);
	set_str(j, "failing_since", a->failing_since);
	if (a->has_failures)
		json_object_set_new(j, "failures", json_integer(a->failures));
	set_str(j, "last_error", a->last_error);
	set_str(j, "at", a->at);
	return j;
}

int cw_store_health_alert_encode(struct cw_buf *out,
				 const struct cw_store_health_alert *a,
				 struct cw_err *err)
{
	json_t *j = cw_store_health_alert_to_json(a);
	char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc;

	json_decref(j);
	if (!txt)
		return cw_err_set(err, CW_ERROR, "health alert: out of memory");
	rc = cw_buf_adds(out, txt);
	free(txt);
	return rc;
}

static int get_str(char **out, const json_t *o, const char *k,
		   struct cw_err *err)
{
	const json_t *v = json_object_get(o, k);

	if (!v)
		return CW_OK;
	if (!json_is_string(v))
		return cw_err_set(err, CW_EPARSE,
				  "health alert: %s: expected a string", k);
	*out = cw_strdup(json_string_value(v));
	return CW_OK;
}

int cw_store_health_alert_decode(struct cw_store_health_alert *a,
				 const char *json, size_t len,
				 struct cw_err *err)
{
	json_error_t je;
	json_t *j, *v;
	int rc = CW_OK;

	memset(a, 0, sizeof(*a));
	j = json_loadb(json ? json : "", json ? len : 0, JSON_REJECT_DUPLICATES,
		       &je);
	if (!j)
		return cw_err_set(err, CW_EPARSE, "health alert: %s", je.text);
	if (!json_is_object(j)) {
		rc = cw_err_set(err, CW_EPARSE, "health alert: not an object");
		goto done;
	}
	v = json_object_get(j, "kind");
	if (v && (!json_is_string(v) || strcmp(json_string_value(v), "healt"
								     "h"))) {
		rc = cw_err_set(err, CW_EPARSE,
				"health alert: kind: not \"health\"");
		goto done;
	}
	v = json_object_get(j, "failures");
	if (v && !json_is_integer(v)) {
		rc = cw_err_set(err, CW_EPARSE,
				"health alert: failures: expected an integer");
		goto done;
	}
	a->has_failures = v != NULL;
	a->failures = v ? (int64_t)json_integer_value(v) : 0;
	if ((rc = get_str(&a->service, j, "service", err)) ||
	    (rc = get_str(&a->type, j, "type", err)) ||
	    (rc = get_str(&a->state, j, "state", err)) ||
	    (rc = get_str(&a->failing_since, j, "failing_since", err)) ||
	    (rc = get_str(&a->last_error, j, "last_error", err)) ||
	    (rc = get_str(&a->at, j, "at", err)))
		goto done;
done:
	json_decref(j);
	if (rc)
		cw_store_health_alert_release(a);
	return rc;
}
