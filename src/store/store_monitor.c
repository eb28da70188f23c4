/*
 * store_monitor: the monitor's state per document, subscriptions and the
 * outbox (see the "monitoring" section of store.h). Migration 2 made the
 * tables.
 */
#include <stddef.h>

#include "stmt.h"

/* ---- monitor state ---- */

#define MON_FIELDS(type, m)                              \
	STORE_FIELD(I64, type, m interval_s),            \
		STORE_FIELD(STR, type, m next_due),      \
		STORE_FIELD(STR, type, m last_check),    \
		STORE_FIELD(BOOL, type, m failing),      \
		STORE_FIELD(STR, type, m failing_since), \
		STORE_FIELD(STR, type, m last_error),    \
		STORE_FIELD(I64, type, m failures),      \
		STORE_FIELD(BOOL, type, m alerted),      \
		STORE_FIELD(STR, type, m etag),          \
		STORE_FIELD(STR, type, m last_modified)

#define MON_COLS                                                               \
	"m.interval_s, m.next_due, m.last_check, m.failing, m.failing_since, " \
	"m.last_error, m.failures, m.alerted, m.etag, m.last_modified "

static const struct store_field mon_fields[] = {
	MON_FIELDS(struct cw_store_mon, ),
};
static const struct store_map mon_map =
	STORE_MAP(struct cw_store_mon, mon_fields);

/*
 * A document and its state in one row; a document without a state row
 * reads as NULLs, that is as the zeroed defaults.
 */
static const struct store_field mon_doc_fields[] = {
	STORE_FIELD(I64, struct cw_store_mon_doc, doc.id),
	STORE_FIELD(STR, struct cw_store_mon_doc, doc.service),
	STORE_FIELD(STR, struct cw_store_mon_doc, doc.service_name),
	STORE_FIELD(STR, struct cw_store_mon_doc, doc.type),
	STORE_FIELD(STR, struct cw_store_mon_doc, doc.decl_json),
	STORE_FIELD(I64, struct cw_store_mon_doc, doc.n_versions),
	STORE_FIELD(STR, struct cw_store_mon_doc, doc.latest_at),
	STORE_FIELD(I64, struct cw_store_mon_doc, latest_len),
	STORE_FIELD(I64, struct cw_store_mon_doc, mon.doc_id),
	MON_FIELDS(struct cw_store_mon_doc, mon.),
};
static const struct store_map mon_doc_map =
	STORE_MAP(struct cw_store_mon_doc, mon_doc_fields);

void cw_store_mon_release(struct cw_store_mon *m)
{
	if (m)
		store_map_release(&mon_map, m);
}

void cw_store_mon_docs_free(struct cw_store_mon_doc *d, size_t n)
{
	store_map_free_array(&mon_doc_map, d, n);
}

int cw_store_mon_list(struct cw_store *s, const char *due_before,
		      struct cw_store_mon_doc **out, size_t *n,
		      struct cw_err *err)
{
	/*
	 * The latest version's length comes from its text blob's raw size:
	 * the monitor compares a new extraction with it (block pages).
	 */
	return store_query_list(s,
				"SELECT d.id, sv.sid, sv.name, d.type, "
				"d.decl_json, "
				"(SELECT count(*) FROM versions v WHERE "
				"v.doc_id = d.id), "
				"(SELECT max(recorded_at) FROM versions v "
				"WHERE v.doc_id = d.id), "
				"coalesce((SELECT b.size FROM versions v JOIN "
				"blobs b "
				"  ON b.id = v.text_blob WHERE v.doc_id = d.id "
				"  ORDER BY v.seq DESC LIMIT 1), 0), "
				"d.id, " MON_COLS "FROM documents d JOIN "
				"services sv ON sv.id = "
				"d.service_id "
				"LEFT JOIN doc_monitor m ON m.doc_id = d.id "
				"WHERE ?1 IS NULL OR (d.decl_json IS NOT NULL "
				"AND "
				"  (m.next_due IS NULL OR m.next_due <= ?1)) "
				"ORDER BY d.id",
				"listing monitored documents",
				STORE_PARAMS(STORE_TEXT(due_before)),
				&mon_doc_map, NULL, NULL, (void **)out, n, err);
}

int cw_store_mon_get(struct cw_store *s, int64_t doc_id,
		     struct cw_store_mon *out, struct cw_err *err)
{
	int rc = store_query_row(s,
				 "SELECT " MON_COLS "FROM doc_monitor m WHERE "
				 "m.doc_id = ?1",
				 "reading a document's monitor state",
				 STORE_PARAMS(STORE_I64(doc_id)), &mon_map,
				 NULL, NULL, out, err);

	/* a document without a state row has the zeroed defaults */
	out->doc_id = doc_id;
	return rc == CW_ENOTFOUND ? CW_OK : rc;
}

int cw_store_mon_put(struct cw_store *s, const struct cw_store_mon *m,
		     struct cw_err *err)
{
	return store_query_run(
		s,
		"INSERT OR REPLACE INTO doc_monitor (doc_id, "
		"interval_s, next_due, "
		"last_check, failing, failing_since, "
		"last_error, failures, alerted, "
		"etag, last_modified) VALUES "
		"(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
		"writing a document's monitor state",
		STORE_PARAMS(STORE_I64(m->doc_id), STORE_I64(m->interval_s),
			     STORE_TEXT(m->next_due), STORE_TEXT(m->last_check),
			     STORE_I64(m->failing),
			     STORE_TEXT(m->failing_since),
			     STORE_TEXT(m->last_error), STORE_I64(m->failures),
			     STORE_I64(m->alerted), STORE_TEXT(m->etag),
			     STORE_TEXT(m->last_modified)),
		err);
}

/* ---- subscriptions ---- */

static const struct store_field sub_fields[] = {
	STORE_FIELD(I64, struct cw_store_sub, id),
	STORE_FIELD(STR, struct cw_store_sub, channel),
	STORE_FIELD(STR, struct cw_store_sub, target),
	STORE_FIELD(STR, struct cw_store_sub, secret),
	STORE_FIELD(STR, struct cw_store_sub, min_materiality),
	STORE_FIELD(STR, struct cw_store_sub, cadence),
	STORE_FIELD(STR, struct cw_store_sub, services),
	STORE_FIELD(STR, struct cw_store_sub, documents),
	STORE_FIELD(STR, struct cw_store_sub, categories),
	STORE_FIELD(STR, struct cw_store_sub, created_at),
	STORE_FIELD(STR, struct cw_store_sub, last_digest),
};
static const struct store_map sub_map =
	STORE_MAP(struct cw_store_sub, sub_fields);

#define SUB_COLS                                                         \
	"SELECT id, channel, target, secret, min_materiality, cadence, " \
	"services, documents, categories, created_at, last_digest "      \
	"FROM subscriptions "

/* The key that seals webhook secrets: "<store>.secret-key", mode 0600,
 * made when the first secret is stored. */
static int seal_key(struct cw_store *s, bool create, struct cw_err *err)
{
	char *path;
	int rc;

	if (s->seal_loaded)
		return CW_OK;
	path = cw_asprintf("%s.secret-key", s->path);
	rc = cw_seal_key_load(path, create, s->seal_key, err);
	free(path);
	if (!rc)
		s->seal_loaded = true;
	return rc;
}

/* A subscription's secret as read: opened when sealed (row callback). */
static int open_secret(struct store_stmt *q, void *elem, void *ctx,
		       struct cw_err *err)
{
	struct cw_store_sub *sub = elem;
	char *plain = NULL;
	int rc;

	(void)ctx;
	if (!cw_sealed(sub->secret))
		return CW_OK;
	rc = seal_key(q->s, false, err);
	if (!rc)
		rc = cw_unseal(q->s->seal_key, sub->secret, &plain, err);
	if (rc)
		return cw_err_prefix(err,
				     "subscription %lld: ", (long long)sub->id);
	explicit_bzero(sub->secret, strlen(sub->secret));
	free(sub->secret);
	sub->secret = plain;
	return CW_OK;
}

int store_seal_secrets(struct cw_store *s, struct cw_err *err)
{
	struct cw_store_sub *subs = NULL;
	size_t n = 0;
	int rc = store_query_list(s,
				  SUB_COLS "WHERE secret IS NOT NULL AND "
					   "secret NOT LIKE 'cw1:%'",
				  "reading the secrets to seal",
				  STORE_NO_PARAMS, &sub_map, NULL, NULL,
				  (void **)&subs, &n, err);

	for (size_t i = 0; !rc && i < n; i++) {
		struct cw_buf b = CW_BUF_INIT;

		rc = seal_key(s, true, err);
		if (!rc)
			rc = cw_seal(s->seal_key, subs[i].secret, &b, err);
		if (!rc)
			rc = store_query_run(
				s,
				"UPDATE subscriptions SET secret = ? WHERE "
				"id = ?",
				"sealing a secret",
				STORE_PARAMS(STORE_TEXT(cw_buf_str(&b)),
					     STORE_I64(subs[i].id)),
				err);
		cw_buf_release(&b);
	}
	store_map_free_array(&sub_map, subs, n);
	return rc;
}

void cw_store_sub_release(struct cw_store_sub *sub)
{
	if (sub)
		store_map_release(&sub_map, sub);
}

void cw_store_subs_free(struct cw_store_sub *subs, size_t n)
{
	store_map_free_array(&sub_map, subs, n);
}

int cw_store_sub_add(struct cw_store *s, const struct cw_store_sub *sub,
		     int64_t *out_id, struct cw_err *err)
{
	char now[CW_TIME_ISO];
	struct cw_buf sealed = CW_BUF_INIT;
	int rc = CW_OK;

	cw_time_now_iso(now);
	/* the secret is kept sealed, never in clear */
	if (sub->secret)
		rc = seal_key(s, true, err);
	if (!rc && sub->secret)
		rc = cw_seal(s->seal_key, sub->secret, &sealed, err);
	if (rc)
		return rc;
	rc = store_query_id(
		s,
		"INSERT INTO subscriptions (channel, target, "
		"secret, "
		"min_materiality, cadence, services, "
		"documents, "
		"categories, created_at) VALUES "
		"(?1,?2,?3,?4,?5,?6,?7,?8,?9) "
		"RETURNING id",
		"adding a subscription",
		STORE_PARAMS(
			STORE_TEXT(sub->channel), STORE_TEXT(sub->target),
			STORE_TEXT(sub->secret ? cw_buf_str(&sealed) : NULL),
			STORE_TEXT(sub->min_materiality ? sub->min_materiality
							: "cosmetic"),
			STORE_TEXT(sub->cadence ? sub->cadence : "immediate"),
			STORE_TEXT(sub->services ? sub->services : ""),
			STORE_TEXT(sub->documents ? sub->documents : ""),
			STORE_TEXT(sub->categories ? sub->categories : ""),
			STORE_TEXT(now)),
		out_id, err);
	cw_buf_release(&sealed);
	return rc;
}

/* Run "DELETE ... WHERE <column> = ?1" for `id`; *deleted: rows removed. */
static int delete_by_id(struct cw_store *s, const char *sql, int64_t id,
			const char *what, int64_t *deleted, struct cw_err *err)
{
	int rc =
		store_query_run(s, sql, what, STORE_PARAMS(STORE_I64(id)), err);

	*deleted = rc ? 0 : store_changes(s);
	return rc;
}

static int sub_remove(struct cw_store *s, int64_t id, struct cw_err *err)
{
	int64_t n;
	int rc;

	rc = delete_by_id(s, "DELETE FROM outbox WHERE sub_id = ?1", id,
			  "removing a subscription's alerts", &n, err);
	if (!rc)
		rc = delete_by_id(s, "DELETE FROM subscriptions WHERE id = ?1",
				  id, "removing a subscription", &n, err);
	if (!rc && n == 0)
		rc = cw_err_set(err, CW_ENOTFOUND, "no subscription %lld",
				(long long)id);
	return rc;
}

int cw_store_sub_remove(struct cw_store *s, int64_t id, struct cw_err *err)
{
	int rc = cw_store_begin(s, err);

	return rc ? rc : store_tx_end(s, sub_remove(s, id, err), err);
}

int cw_store_sub_list(struct cw_store *s, struct cw_store_sub **out, size_t *n,
		      struct cw_err *err)
{
	return store_query_list(s, SUB_COLS "ORDER BY id",
				"listing subscriptions", STORE_NO_PARAMS,
				&sub_map, open_secret, NULL, (void **)out, n,
				err);
}

int cw_store_sub_get(struct cw_store *s, int64_t id, struct cw_store_sub *out,
		     struct cw_err *err)
{
	int rc = store_query_row(s, SUB_COLS "WHERE id = ?1",
				 "reading a subscription",
				 STORE_PARAMS(STORE_I64(id)), &sub_map,
				 open_secret, NULL, out, err);

	if (rc == CW_ENOTFOUND)
		rc = cw_err_set(err, CW_ENOTFOUND, "no subscription %lld",
				(long long)id);
	return rc;
}

int cw_store_sub_set_digest(struct cw_store *s, int64_t id, const char *at,
			    struct cw_err *err)
{
	return store_query_run(s,
			       "UPDATE subscriptions SET last_digest = ?2 "
			       "WHERE id = ?1",
			       "updating a subscription",
			       STORE_PARAMS(STORE_I64(id), STORE_TEXT(at)),
			       err);
}

/* ---- outbox ---- */

static const struct store_field outbox_fields[] = {
	STORE_FIELD(I64, struct cw_store_outbox, id),
	STORE_FIELD(I64, struct cw_store_outbox, sub_id),
	STORE_FIELD(I64, struct cw_store_outbox, change_id),
	STORE_FIELD(I64, struct cw_store_outbox, doc_id),
	STORE_FIELD(STR, struct cw_store_outbox, kind),
	STORE_FIELD(STR, struct cw_store_outbox, idem_key),
	STORE_FIELD(STR, struct cw_store_outbox, payload),
	STORE_FIELD(STR, struct cw_store_outbox, state),
	STORE_FIELD(I64, struct cw_store_outbox, attempts),
	STORE_FIELD(STR, struct cw_store_outbox, next_try),
	STORE_FIELD(STR, struct cw_store_outbox, created_at),
	STORE_FIELD(STR, struct cw_store_outbox, last_error),
};
static const struct store_map outbox_map =
	STORE_MAP(struct cw_store_outbox, outbox_fields);

#define OUTBOX_COLS                                                       \
	"SELECT o.id, o.sub_id, coalesce(o.change_id, 0), "               \
	"coalesce(o.doc_id, 0), o.kind, o.idem_key, o.payload, o.state, " \
	"o.attempts, o.next_try, o.created_at, o.last_error FROM outbox o "

void cw_store_outbox_free(struct cw_store_outbox *o, size_t n)
{
	store_map_free_array(&outbox_map, o, n);
}

int cw_store_outbox_add(struct cw_store *s, const struct cw_store_outbox *o,
			struct cw_err *err)
{
	char now[CW_TIME_ISO];

	cw_time_now_iso(now);
	return store_query_run(
		s,
		"INSERT INTO outbox (sub_id, change_id, "
		"doc_id, kind, "
		"idem_key, payload, state, attempts, next_try, "
		"created_at) VALUES "
		"(?1,?2,?3,?4,?5,?6,?7,0,?8,?9)",
		"adding an alert to the outbox",
		STORE_PARAMS(STORE_I64(o->sub_id), STORE_ID(o->change_id),
			     STORE_ID(o->doc_id), STORE_TEXT(o->kind),
			     STORE_TEXT(o->idem_key), STORE_TEXT(o->payload),
			     STORE_TEXT(o->state ? o->state : "pending"),
			     STORE_TEXT(o->next_try ? o->next_try : now),
			     STORE_TEXT(now)),
		err);
}

int cw_store_outbox_list(struct cw_store *s, const char *state, const char *now,
			 int64_t sub_id, int64_t limit,
			 struct cw_store_outbox **out, size_t *n,
			 struct cw_err *err)
{
	return store_query_list(s,
				OUTBOX_COLS "WHERE o.state = ?1 "
					    "AND (?2 IS NULL OR o.next_try <= "
					    "?2) "
					    "AND (?3 = 0 OR o.sub_id = ?3) "
					    "ORDER BY o.id "
					    "LIMIT CASE WHEN ?4 > 0 THEN ?4 "
					    "ELSE -1 END",
				"listing the outbox",
				STORE_PARAMS(STORE_TEXT(state), STORE_TEXT(now),
					     STORE_I64(sub_id),
					     STORE_I64(limit)),
				&outbox_map, NULL, NULL, (void **)out, n, err);
}

int cw_store_outbox_feed(struct cw_store *s, const char *feed, int64_t limit,
			 struct cw_store_outbox **out, size_t *n,
			 struct cw_err *err)
{
	return store_query_list(s,
				OUTBOX_COLS "JOIN subscriptions u ON u.id = "
					    "o.sub_id "
					    "WHERE u.channel = 'feed' AND "
					    "u.target = ?1 "
					    "AND o.state IN ('pending', "
					    "'sent', 'held') "
					    "ORDER BY o.id DESC "
					    "LIMIT CASE WHEN ?2 > 0 THEN ?2 "
					    "ELSE -1 END",
				"listing a feed",
				STORE_PARAMS(STORE_TEXT(feed),
					     STORE_I64(limit)),
				&outbox_map, NULL, NULL, (void **)out, n, err);
}

int cw_store_outbox_update(struct cw_store *s, int64_t id, const char *state,
			   int64_t attempts, const char *next_try,
			   const char *last_error, struct cw_err *err)
{
	/* an error naming a URL never keeps the password in it */
	char *clean = last_error ? cw_strdup(last_error) : NULL;
	int rc;

	if (clean)
		cw_redact_credentials(clean);
	rc = store_query_run(s,
			     "UPDATE outbox SET state = coalesce(?2, "
			     "state), "
			     "attempts = ?3, next_try = coalesce(?4, "
			     "next_try), "
			     "last_error = coalesce(?5, last_error) WHERE "
			     "id = ?1",
			     "updating an alert",
			     STORE_PARAMS(STORE_I64(id), STORE_TEXT(state),
					  STORE_I64(attempts),
					  STORE_TEXT(next_try),
					  STORE_TEXT(clean)),
			     err);
	free(clean);
	return rc;
}

/* Store the count of `state` in its field of `out` (unknown states: none). */
static int outbox_state_count(struct store_stmt *q, void *elem, void *ctx,
			      struct cw_err *err)
{
	struct cw_store_outbox_counts *out = ctx;
	const char *state = store_col_text(q, 0);
	int64_t k = store_col_i64(q, 1);

	(void)elem;
	(void)err;
	if (!state)
		return CW_OK;
	if (!strcmp(state, "pending"))
		out->pending = k;
	else if (!strcmp(state, "held"))
		out->held = k;
	else if (!strcmp(state, "sent"))
		out->sent = k;
	else if (!strcmp(state, "dead"))
		out->dead = k;
	return CW_OK;
}

int cw_store_outbox_count(struct cw_store *s,
			  struct cw_store_outbox_counts *out,
			  struct cw_err *err)
{
	static const struct store_map no_fields = { NULL, 0, 1 };
	void *rows = NULL;
	size_t n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_query_list(s,
			      "SELECT state, count(*) FROM outbox GROUP BY "
			      "state",
			      "counting the outbox", STORE_NO_PARAMS,
			      &no_fields, outbox_state_count, out, &rows, &n,
			      err);
	free(rows);
	return rc;
}
