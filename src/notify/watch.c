/*
 * watch: which subscriptions want which change, and the outbox rows that
 * record it (see notify.h).
 */
#include "notify.h"

bool cw_notify_cadence_valid(const char *cadence)
{
	return cadence &&
	       (!strcmp(cadence, "immediate") || !strcmp(cadence, "daily") ||
		!strcmp(cadence, "weekly"));
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
 * Does a changed provision of `change` that carries one of `cats` (on its
 * old or new side) change at `min` or above? Each provision is judged at
 * its own materiality, so a cosmetic touch to an arbitration clause does
 * not pass a substantive-only arbitration watch because another provision
 * changed substantively.
 * 1 yes, 0 no, -1 undecidable: the change was not analysed (no categories
 * at the top nor on any provision; see notify.h).
 */
static int category_match(const char *cats, const char *min,
			  const struct cw_change_record *change)
{
	int seen = change->has_categories ? 0 : -1;

	for (size_t i = 0; i < change->n; i++) {
		const struct cw_change_entry *e = &change->entries[i];

		if (!e->has_categories)
			continue;
		if (seen < 0)
			seen = 0;
		if (rank(cw_diff_materiality_name(e->materiality)) < rank(min))
			continue;
		for (size_t k = 0; k < e->n_categories; k++)
			if (in_list(cats, e->categories[k].id))
				return 1;
	}
	return seen;
}

bool cw_notify_sub_matches(const struct cw_store_sub *sub, const char *service,
			   const char *type, const char *materiality,
			   const struct cw_change_record *change)
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
	/* categories are ANDed with the scope above; undecidable lets the
	   alert through: missing an alert is worse than one too many */
	if (sub->categories && *sub->categories && change &&
	    category_match(sub->categories, sub->min_materiality, change) == 0)
		return false;
	return true;
}

/*
 * One alert for every subscription that matches the document: a change
 * (change_id set) follows the subscription's materiality and cadence; a
 * health alert (payload set) ignores both, since it is about the monitor
 * itself and cannot wait for a digest.
 */
struct alert {
	const char *kind;
	int64_t change_id;
	const char *materiality;
	const struct cw_change_record *change;
	const char *payload;
	const char *stamp;
};

static int enqueue(struct cw_store *s, int64_t doc_id, const struct alert *a,
		   size_t *n_enqueued, struct cw_err *err)
{
	struct cw_store_sub *subs = NULL;
	struct cw_store_doc doc;
	size_t n = 0, added = 0;
	bool health = a->change_id == 0;
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
		char key[128];

		if (!cw_notify_sub_matches(&subs[i], doc.service, doc.type,
					   a->materiality, a->change))
			continue;
		if (health)
			snprintf(key, sizeof(key), "cw-%lld-h%lld-%s",
				 (long long)subs[i].id, (long long)doc_id,
				 a->stamp);
		else
			snprintf(key, sizeof(key), "cw-%lld-c%lld",
				 (long long)subs[i].id,
				 (long long)a->change_id);
		memset(&o, 0, sizeof(o));
		o.sub_id = subs[i].id;
		o.change_id = a->change_id;
		o.doc_id = doc_id;
		o.kind = (char *)a->kind;
		o.idem_key = key;
		o.payload = (char *)a->payload;
		o.state = (char *)(!health && strcmp(subs[i].cadence, "immediat"
								      "e")
					   ? "held"
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

int cw_notify_enqueue_change(struct cw_store *s, int64_t doc_id,
			     int64_t change_id, const char *materiality,
			     const struct cw_change_record *change,
			     size_t *n_enqueued, struct cw_err *err)
{
	struct alert a = { .kind = "change",
			   .change_id = change_id,
			   .materiality = materiality,
			   .change = change };
	return enqueue(s, doc_id, &a, n_enqueued, err);
}

int cw_notify_enqueue_health(struct cw_store *s, int64_t doc_id,
			     const char *streak, const char *payload,
			     size_t *n_enqueued, struct cw_err *err)
{
	struct alert a = { .kind = "health",
			   .materiality = "substantive",
			   .payload = payload };
	char stamp[CW_TIME_ISO];
	size_t k = 0;

	/* keys stay within [A-Za-z0-9-]: "2026-11-23T09:25:25Z" -> "20261123T092525Z" */
	for (const char *p = streak ? streak : ""; *p && k + 1 < sizeof(stamp);
	     p++)
		if ((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z'))
			stamp[k++] = *p;
	stamp[k] = '\0';
	a.stamp = stamp;
	return enqueue(s, doc_id, &a, n_enqueued, err);
}

int cw_notify_sub_check(const struct cw_store_sub *sub, struct cw_err *err)
{
	const char *ch = sub->channel ? sub->channel : "";
	const char *t = sub->target ? sub->target : "";
	const char *m = sub->min_materiality ? sub->min_materiality
					     : "cosmetic";
	const char *d = sub->documents ? sub->documents : "";

	if (strcmp(ch, "webhook") && strcmp(ch, "email") && strcmp(ch, "feed"))
		return cw_err_set(err, CW_EINVAL,
				  "give exactly one of webhook, email, feed");
	if (!*t)
		return cw_err_set(err, CW_EINVAL, "%s: no target given", ch);
	if (!strcmp(m, "cosmetic") + !strcmp(m, "editorial") +
		    !strcmp(m, "substantive") ==
	    0)
		return cw_err_set(err, CW_EINVAL,
				  "min-materiality '%s': expected cosmetic, "
				  "editorial or substantive",
				  m);
	if (sub->cadence && !cw_notify_cadence_valid(sub->cadence))
		return cw_err_set(err, CW_EINVAL,
				  "cadence '%s': expected immediate, daily or "
				  "weekly",
				  sub->cadence);
	if (!strcmp(ch, "webhook")) {
		if (!cw_str_startswith(t, "http://") &&
		    !cw_str_startswith(t, "https://"))
			return cw_err_set(err, CW_EINVAL,
					  "webhook '%s': expected an http(s) "
					  "URL",
					  t);
		if (!sub->secret || !*sub->secret)
			return cw_err_set(err, CW_EINVAL,
					  "a webhook needs a secret (the "
					  "HMAC-SHA256 signing key)");
	} else if (sub->secret) {
		return cw_err_set(err, CW_EINVAL,
				  "a secret goes with a webhook only");
	}
	if (!strcmp(ch, "email") && (!strchr(t, '@') || strpbrk(t, "\r\n<>,")))
		return cw_err_set(err, CW_EINVAL,
				  "email '%s': expected one address like "
				  "name@example.org",
				  t);
	for (const char *p = d; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n && !memchr(p, '/', n))
			return cw_err_set(err, CW_EINVAL,
					  "document '%.*s': expected "
					  "SERVICE/TYPE",
					  (int)n, p);
		p += n + (nl != NULL);
	}
	return CW_OK;
}
