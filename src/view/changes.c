/*
 * changes: recorded changes as the faces list them (view.h): the list
 * across the store, a document's timeline, and one provision followed
 * through the changes of its document.
 */
#include <string.h>

#include "view_int.h"

/* The record of a stored change; an empty one when it does not decode
 * (a listing shows what it can rather than stopping). */
static void record_of(struct cw_change_record *r,
		      const struct cw_store_change *c)
{
	if (cw_change_record_decode(r, c->json ? c->json : "{}",
				    c->json ? strlen(c->json) : 2, NULL))
		cw_change_record_init(r);
}

/*
 * Set "from" and "to" of `o` to the version references of a change's two
 * sides, the shape diff gives them; a side the store no longer has keeps
 * its number only.
 */
static void set_sides(json_t *o, struct cw_store *s,
		      const struct cw_store_change *c)
{
	const int64_t seqs[2] = { c->from_seq, c->to_seq };
	static const char *const keys[2] = { "from", "to" };

	for (int k = 0; k < 2; k++) {
		struct cw_err err = CW_ERR_INIT;
		json_t *ref = NULL;

		if (cw_view_version_ref(&ref, s, c->doc_id, seqs[k], &err))
			ref = cw_view_version_ref_json(seqs[k], NULL, NULL);
		json_object_set_new(o, keys[k], ref);
	}
}

json_t *cw_view_change_json(struct cw_store *s, const struct cw_store_change *c)
{
	struct cw_change_record r;
	json_t *j, *o;

	record_of(&r, c);
	j = cw_change_record_to_json(&r, 0);
	cw_change_record_release(&r);
	o = json_pack("{sssssIsIsssssIsO}", "service", c->service, "type",
		      c->type, "from", (json_int_t)c->from_seq, "to",
		      (json_int_t)c->to_seq, "recorded_at", c->recorded_at,
		      "materiality", c->materiality, "provisions",
		      (json_int_t)c->n_changes, "changes",
		      json_object_get(j, "changes"));
	/* the document summary of a record written since there is one */
	if (json_object_get(j, "summary"))
		json_object_set(o, "summary", json_object_get(j, "summary"));
	json_decref(j);
	set_sides(o, s, c);
	return o;
}

int cw_view_changes(json_t **out, struct cw_store *s,
		    const struct cw_store_change_query *q, struct cw_err *err)
{
	struct cw_store_change *cs = NULL;
	size_t n = 0;
	json_t *all;
	int rc = cw_store_list_changes(s, q, &cs, &n, err);

	*out = NULL;
	if (rc)
		return rc;
	all = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(all, cw_view_change_json(s, &cs[i]));
	*out = json_pack("{so}", "changes", all);
	cw_store_changes_free(cs, n);
	return CW_OK;
}

void view_follow_provision(const struct cw_store_change *cs, size_t n,
			   const char *key, int64_t upto_seq, view_event_fn fn,
			   void *arg)
{
	char *cur = cw_strdup(key);

	for (size_t i = n; i-- > 0;) {
		struct cw_change_record r;
		const struct cw_change_entry *e;
		bool ended = false;

		if (upto_seq > 0 && cs[i].to_seq > upto_seq)
			continue;
		record_of(&r, &cs[i]);
		e = cw_change_record_find_new_key(&r, cur);
		if (e) {
			fn(&cs[i], &r, e, cur, i, arg);
			if (e->kind == CW_DIFF_ADDED) {
				ended = true;
			} else if (e->old_key && strcmp(e->old_key, cur)) {
				free(cur);
				cur = cw_strdup(e->old_key);
			}
		}
		cw_change_record_release(&r);
		if (ended)
			break;
	}
	free(cur);
}

struct events_arg {
	struct cw_store *s;
	json_t *events;
};

/* A timeline event, oldest first: the entry and both sides. */
static void add_event(const struct cw_store_change *c,
		      const struct cw_change_record *r,
		      const struct cw_change_entry *e, const char *key,
		      size_t index, void *arg)
{
	struct events_arg *ea = arg;
	json_t *ev;

	(void)index;
	ev = json_pack("{sssIsIssso}", "recorded_at", c->recorded_at, "from",
		       (json_int_t)c->from_seq, "to", (json_int_t)c->to_seq,
		       "key", key, "change", cw_change_entry_to_json(r, e));
	set_sides(ev, ea->s, c);
	json_array_insert_new(ea->events, 0, ev);
}

/* Provision `key` followed back through the changes (oldest first). */
static json_t *provision_events(struct cw_store *s,
				const struct cw_store_change *cs, size_t n,
				const char *key)
{
	struct events_arg ea = { s, json_array() };

	view_follow_provision(cs, n, key, 0, add_event, &ea);
	return ea.events;
}

int cw_view_timeline(json_t **out, struct cw_store *s,
		     const struct cw_store_doc *doc, const char *key,
		     struct cw_err *err)
{
	struct cw_store_change_query q = { .doc_id = doc->id };
	struct cw_store_change *cs = NULL;
	struct cw_store_version *vs = NULL;
	size_t n = 0, nv = 0;
	int rc;

	*out = NULL;
	rc = cw_store_list_versions(s, doc->id, &vs, &nv, err);
	if (!rc)
		rc = cw_store_list_changes(s, &q, &cs, &n, err);
	if (rc)
		goto done;
	if (key) {
		*out = json_pack("{sssssssosI}", "service", doc->service,
				 "type", doc->type, "provision", key, "events",
				 provision_events(s, cs, n, key), "versions",
				 (json_int_t)nv);
	} else {
		json_t *all = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(all,
					      cw_view_change_json(s, &cs[i]));
		*out = json_pack("{sssssIso}", "service", doc->service, "type",
				 doc->type, "versions", (json_int_t)nv,
				 "changes", all);
	}
	json_object_set_new(*out, "first",
			    nv ? cw_view_version_json(&vs[0]) : json_null());
done:
	cw_store_changes_free(cs, n);
	cw_store_versions_free(vs, nv);
	return rc;
}
