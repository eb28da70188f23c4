/*
 * alert: the health alert payload of the outbox and its codec (alert.h).
 */
#include <stddef.h>

#include <jansson.h>

#include "alert.h"

/* The string members, in the order of the JSON; "failures" stands after
 * the first FAILURES_AT of them. */
static const struct {
	const char *key;
	size_t off;
} members[] = {
	{ "service", offsetof(struct cw_store_health_alert, service) },
	{ "type", offsetof(struct cw_store_health_alert, type) },
	{ "state", offsetof(struct cw_store_health_alert, state) },
	{ "failing_since",
	  offsetof(struct cw_store_health_alert, failing_since) },
	{ "last_error", offsetof(struct cw_store_health_alert, last_error) },
	{ "at", offsetof(struct cw_store_health_alert, at) },
};
#define N_MEMBERS (sizeof(members) / sizeof(members[0]))
#define FAILURES_AT 4

static char **member(struct cw_store_health_alert *a, size_t i)
{
	return (char **)((char *)a + members[i].off);
}

static const char *member_value(const struct cw_store_health_alert *a, size_t i)
{
	return *(char *const *)((const char *)a + members[i].off);
}

void cw_store_health_alert_release(struct cw_store_health_alert *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < N_MEMBERS; i++)
		free(*member(a, i));
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
	for (size_t i = 0; i < N_MEMBERS; i++) {
		if (i == FAILURES_AT && a->has_failures)
			json_object_set_new(j, "failures",
					    json_integer(a->failures));
		set_str(j, members[i].key, member_value(a, i));
	}
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
	for (size_t i = 0; i < N_MEMBERS && !rc; i++)
		rc = get_str(member(a, i), j, members[i].key, err);
done:
	json_decref(j);
	if (rc)
		cw_store_health_alert_release(a);
	return rc;
}
