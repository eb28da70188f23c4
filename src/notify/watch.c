/*
 * watch: which subscriptions want which change, and the outbox rows that
 * record it (see notify.h).
 */
#include <jansson.h>

#include "notify.h"

bool cw_notify_cadence_valid(const char *cadence)
{
	return cadence && (!strcmp(cadence, "immediate") ||
			   !strcmp(cadence, "daily") || !strcmp(cadence, "weekly"));
}

static int rank(const char *m)
{
	if (!m)
		return 0;
	if (!strcmp(m, "cosmetic"))
		return 1;
	if (!strcmp(m, "editorial"))
		return 2;
	if (!strcmp(m, "substantive"))
		return 3;
	return 0;
}

/* Is `item` one of the lines of `list`? */
static bool in_list(const char *list, const char *item)
{
	size_t n = strlen(item);
	const char *p = list;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len == n && !memcmp(p, item, n))
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

/*
 * 1 if a provision of the change carries one of `cats`, 0 if none does,
 * -1 if the change carries no categories at all (undecidable).
 */
static int category_match(const char *cats, const char *change_json)
{
	json_t *j, *c;
	size_t i, k;
	int seen = -1;

	if (!change_json)
		return -1;
	j = json_loads(change_json, 0, NULL);
	if (!j)
		return -1;
	json_array_foreach(json_object_get(j, "changes"), i, c) {
		json_t *arr = json_object_get(c, "categories"), *v;

		if (!json_is_array(arr))
			continue;
		if (seen < 0)
			seen = 0;
		json_array_foreach(arr, k, v) {
			const char *id = json_string_value(v);
			if (!id && json_is_object(v))
				id = json_string_value(json_object_get(v, "id"));
			if (id && in_list(cats, id)) {
				seen = 1;
				break;
			}
		}
		if (seen == 1)
			break;
	}
	json_decref(j);
	return seen;
}

bool cw_notify_sub_matches(const struct cw_store_sub *sub,
			   const char *service, const char *type,
			   const char *materiality, const char *change_json)
{
	bool any_scope = !(sub->services && *sub->services) &&
			 !(sub->documents && *sub->documents);
	char *ref;
	bool scoped;

	if (rank(materiality) < rank(sub->min_materiality))
		return false;
	ref = cw_asprintf("%s/%s", service, type);
	scoped = any_scope || in_list(sub->services, service) ||
		 in_list(sub->documents, ref);
	free(ref);
	if (!scoped)
		return false;
	if (sub->categories && *sub->categories &&
	    category_match(sub->categories, change_json) == 0)
		return false;
	return true;
}

int cw_notify_enqueue_change(struct cw_store *s, int64_t doc_id,
			     int64_t change_id, const char *materiality,
			     const char *change_json, size_t *n_enqueued,
			     struct cw_err *err)
{
	struct cw_store_sub *subs = NULL;
	struct cw_store_doc doc;
	size_t n = 0, added = 0;
	int rc;

	if (n_enqueued)
		*n_enqueued = 0;
	rc = cw_store_sub_list(s, &subs, &n, err);
	if (rc || n == 0)
		return rc;
	rc = cw_store_get_document_by_id(s, doc_id, &doc, err);
	if (rc) {
		cw_store_subs_free(subs, n);
		return rc;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		struct cw_store_outbox o;
		char key[96];

		if (!cw_notify_sub_matches(&subs[i], doc.service, doc.type,
					   materiality, change_json))
			continue;
		snprintf(key, sizeof(key), "cw-%lld-c%lld",
			 (long long)subs[i].id, (long long)change_id);
		memset(&o, 0, sizeof(o));
		o.sub_id = subs[i].id;
		o.change_id = change_id;
		o.doc_id = doc_id;
		o.kind = (char *)"change";
		o.idem_key = key;
		o.state = (char *)(strcmp(subs[i].cadence, "immediate") ? "held"
									 : "pending");
		rc = cw_store_outbox_add(s, &o, err);
		if (rc == CW_EEXISTS)
			rc = CW_OK;
		else if (!rc)
			added++;
	}
	cw_store_doc_release(&doc);
	cw_store_subs_free(subs, n);
	if (n_enqueued)
		*n_enqueued = added;
	return rc;
}

int cw_notify_enqueue_health(struct cw_store *s, int64_t doc_id,
			     const char *streak, const char *payload,
			     size_t *n_enqueued, struct cw_err *err)
{
	struct cw_store_sub *subs = NULL;
	struct cw_store_doc doc;
	size_t n = 0, added = 0;
	int rc;

	char stamp[CW_TIME_ISO];
	size_t k = 0;

	/* keys stay within [A-Za-z0-9-]: "2026-11-23T09:25:25Z" -> "20261123T092525Z" */
	for (const char *p = streak ? streak : ""; *p && k + 1 < sizeof(stamp); p++)
		if ((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z'))
			stamp[k++] = *p;
	stamp[k] = '\0';
	if (n_enqueued)
		*n_enqueued = 0;
	rc = cw_store_sub_list(s, &subs, &n, err);
	if (rc || n == 0)
		return rc;
	rc = cw_store_get_document_by_id(s, doc_id, &doc, err);
	if (rc) {
		cw_store_subs_free(subs, n);
		return rc;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		struct cw_store_outbox o;
		char key[128];

		/* operational alerts ignore materiality and cadence: they are
		 * about the monitor itself and cannot wait for a digest */
		if (!cw_notify_sub_matches(&subs[i], doc.service, doc.type,
					   "substantive", NULL))
			continue;
		snprintf(key, sizeof(key), "cw-%lld-h%lld-%s",
			 (long long)subs[i].id, (long long)doc_id, stamp);
		memset(&o, 0, sizeof(o));
		o.sub_id = subs[i].id;
		o.doc_id = doc_id;
		o.kind = (char *)"health";
		o.idem_key = key;
		o.payload = (char *)payload;
		o.state = (char *)"pending";
		rc = cw_store_outbox_add(s, &o, err);
		if (rc == CW_EEXISTS)
			rc = CW_OK;
		else if (!rc)
			added++;
	}
	cw_store_doc_release(&doc);
	cw_store_subs_free(subs, n);
	if (n_enqueued)
		*n_enqueued = added;
	return rc;
}
