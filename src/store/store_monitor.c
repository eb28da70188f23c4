/*
 * store_monitor: the monitor's state per document, subscriptions and the
 * outbox (see the "monitoring" section of store.h). Migration 2 made the
 * tables.
 */
#include "store_int.h"

/* Step a write statement to completion and finalise it. */
static int step_done(struct cw_store *s, sqlite3_stmt *st, const char *what,
		     struct cw_err *err)
{
	int r = sqlite3_step(st), rc = CW_OK;

	if (r != SQLITE_DONE) {
		if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE)
			rc = cw_err_set(err, CW_EEXISTS, "'%s': %s: already there",
					s->path, what);
		else
			rc = store_sqlerr(s, err, what);
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- monitor state ---- */

void cw_store_mon_release(struct cw_store_mon *m)
{
	if (!m)
		return;
	free(m->next_due);
	free(m->last_check);
	free(m->failing_since);
	free(m->last_error);
	free(m->etag);
	free(m->last_modified);
	memset(m, 0, sizeof(*m));
}

void cw_store_mon_docs_free(struct cw_store_mon_doc *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cw_store_doc_release(&d[i].doc);
		cw_store_mon_release(&d[i].mon);
	}
	free(d);
}

#define MON_COLS                                                               \
	"m.interval_s, m.next_due, m.last_check, m.failing, m.failing_since, " \
	"m.last_error, m.failures, m.alerted, m.etag, m.last_modified "

static void read_mon(sqlite3_stmt *st, int c, struct cw_store_mon *m)
{
	m->interval_s = sqlite3_column_int64(st, c);
	m->next_due = store_col_str(st, c + 1);
	m->last_check = store_col_str(st, c + 2);
	m->failing = sqlite3_column_int(st, c + 3) != 0;
	m->failing_since = store_col_str(st, c + 4);
	m->last_error = store_col_str(st, c + 5);
	m->failures = sqlite3_column_int64(st, c + 6);
	m->alerted = sqlite3_column_int(st, c + 7) != 0;
	m->etag = store_col_str(st, c + 8);
	m->last_modified = store_col_str(st, c + 9);
}

int cw_store_mon_list(struct cw_store *s, const char *due_before,
		      struct cw_store_mon_doc **out, size_t *n,
		      struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	struct cw_store_mon_doc *ds = NULL;
	size_t cnt = 0, cap = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	/*
	 * The latest version's length comes from its text blob's raw size:
	 * the monitor compares a new extraction with it (block pages).
	 */
	rc = store_prepare(
		s, &st,
		"SELECT d.id, sv.sid, sv.name, d.type, d.decl_json, "
		"(SELECT count(*) FROM versions v WHERE v.doc_id = d.id), "
		"(SELECT max(recorded_at) FROM versions v WHERE v.doc_id = d.id), "
		"coalesce((SELECT b.size FROM versions v JOIN blobs b "
		"  ON b.id = v.text_blob WHERE v.doc_id = d.id "
		"  ORDER BY v.seq DESC LIMIT 1), 0), "
		"m.doc_id IS NOT NULL, " MON_COLS
		"FROM documents d JOIN services sv ON sv.id = d.service_id "
		"LEFT JOIN doc_monitor m ON m.doc_id = d.id "
		"WHERE ?1 IS NULL OR (d.decl_json IS NOT NULL AND "
		"  (m.next_due IS NULL OR m.next_due <= ?1)) "
		"ORDER BY d.id",
		err);
	if (rc)
		return rc;
	store_bind_text(st, 1, due_before);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct cw_store_mon_doc *d;

		CW_GROW(ds, cap, cnt + 1);
		d = &ds[cnt++];
		memset(d, 0, sizeof(*d));
		d->doc.id = sqlite3_column_int64(st, 0);
		d->doc.service = store_col_str(st, 1);
		d->doc.service_name = store_col_str(st, 2);
		d->doc.type = store_col_str(st, 3);
		d->doc.decl_json = store_col_str(st, 4);
		d->doc.n_versions = sqlite3_column_int64(st, 5);
		d->doc.latest_at = store_col_str(st, 6);
		d->latest_len = sqlite3_column_int64(st, 7);
		d->mon.doc_id = d->doc.id;
		if (sqlite3_column_int(st, 8))
			read_mon(st, 9, &d->mon);
	}
	if (r != SQLITE_DONE)
		rc = store_sqlerr(s, err, "listing monitored documents");
	sqlite3_finalize(st);
	if (rc) {
		cw_store_mon_docs_free(ds, cnt);
		return rc;
	}
	*out = ds;
	*n = cnt;
	return CW_OK;
}

int cw_store_mon_get(struct cw_store *s, int64_t doc_id,
		     struct cw_store_mon *out, struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	memset(out, 0, sizeof(*out));
	out->doc_id = doc_id;
	rc = store_prepare(s, &st,
			   "SELECT " MON_COLS "FROM doc_monitor m WHERE m.doc_id = ?1",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, doc_id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		read_mon(st, 0, out);
	else if (r != SQLITE_DONE)
		rc = store_sqlerr(s, err, "reading a document's monitor state");
	sqlite3_finalize(st);
	return rc;
}

int cw_store_mon_put(struct cw_store *s, const struct cw_store_mon *m,
		     struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(
		s, &st,
		"INSERT OR REPLACE INTO doc_monitor (doc_id, interval_s, next_due, "
		"last_check, failing, failing_since, last_error, failures, alerted, "
		"etag, last_modified) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
		err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, m->doc_id);
	sqlite3_bind_int64(st, 2, m->interval_s);
	store_bind_text(st, 3, m->next_due);
	store_bind_text(st, 4, m->last_check);
	sqlite3_bind_int(st, 5, m->failing);
	store_bind_text(st, 6, m->failing_since);
	store_bind_text(st, 7, m->last_error);
	sqlite3_bind_int64(st, 8, m->failures);
	sqlite3_bind_int(st, 9, m->alerted);
	store_bind_text(st, 10, m->etag);
	store_bind_text(st, 11, m->last_modified);
	return step_done(s, st, "writing a document's monitor state", err);
}

int cw_store_get_document_by_id(struct cw_store *s, int64_t doc_id,
				struct cw_store_doc *out, struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	memset(out, 0, sizeof(*out));
	rc = store_prepare(s, &st,
			   "SELECT d.id, sv.sid, sv.name, d.type, d.decl_json "
			   "FROM documents d JOIN services sv ON sv.id = d.service_id "
			   "WHERE d.id = ?1",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, doc_id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->service = store_col_str(st, 1);
		out->service_name = store_col_str(st, 2);
		out->type = store_col_str(st, 3);
		out->decl_json = store_col_str(st, 4);
	} else if (r == SQLITE_DONE) {
		rc = cw_err_set(err, CW_ENOTFOUND, "no document with id %lld",
				(long long)doc_id);
	} else {
		rc = store_sqlerr(s, err, "reading a document");
	}
	sqlite3_finalize(st);
	return rc;
}

void cw_store_change_release(struct cw_store_change *c)
{
	if (!c)
		return;
	free(c->service);
	free(c->type);
	free(c->recorded_at);
	free(c->materiality);
	free(c->json);
	memset(c, 0, sizeof(*c));
}

int cw_store_get_change(struct cw_store *s, int64_t change_id,
			struct cw_store_change *c, struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	memset(c, 0, sizeof(*c));
	rc = store_prepare(s, &st,
			   "SELECT c.id, c.doc_id, sv.sid, d.type, "
			   "coalesce(c.from_version, 0), c.to_version, "
			   "coalesce(fv.seq, 0), tv.seq, tv.recorded_at, "
			   "c.materiality, c.n_changes, c.json_blob "
			   "FROM changes c JOIN documents d ON d.id = c.doc_id "
			   "JOIN services sv ON sv.id = d.service_id "
			   "JOIN versions tv ON tv.id = c.to_version "
			   "LEFT JOIN versions fv ON fv.id = c.from_version "
			   "WHERE c.id = ?1",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, change_id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		struct cw_buf json = CW_BUF_INIT;

		c->id = sqlite3_column_int64(st, 0);
		c->doc_id = sqlite3_column_int64(st, 1);
		c->service = store_col_str(st, 2);
		c->type = store_col_str(st, 3);
		c->from_version = sqlite3_column_int64(st, 4);
		c->to_version = sqlite3_column_int64(st, 5);
		c->from_seq = sqlite3_column_int64(st, 6);
		c->to_seq = sqlite3_column_int64(st, 7);
		c->recorded_at = store_col_str(st, 8);
		c->materiality = store_col_str(st, 9);
		c->n_changes = sqlite3_column_int64(st, 10);
		rc = store_blob_get(s, sqlite3_column_int64(st, 11), &json, err);
		c->json = cw_buf_detach(&json, NULL);
	} else if (r == SQLITE_DONE) {
		rc = cw_err_set(err, CW_ENOTFOUND, "no change with id %lld",
				(long long)change_id);
	} else {
		rc = store_sqlerr(s, err, "reading a change");
	}
	sqlite3_finalize(st);
	if (rc)
		cw_store_change_release(c);
	return rc;
}

/* ---- subscriptions ---- */

void cw_store_sub_release(struct cw_store_sub *sub)
{
	if (!sub)
		return;
	free(sub->channel);
	free(sub->target);
	free(sub->secret);
	free(sub->min_materiality);
	free(sub->cadence);
	free(sub->services);
	free(sub->documents);
	free(sub->categories);
	free(sub->created_at);
	free(sub->last_digest);
	memset(sub, 0, sizeof(*sub));
}

void cw_store_subs_free(struct cw_store_sub *subs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cw_store_sub_release(&subs[i]);
	free(subs);
}

int cw_store_sub_add(struct cw_store *s, const struct cw_store_sub *sub,
		     int64_t *out_id, struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	char now[CW_TIME_ISO];
	int rc;

	cw_time_now_iso(now);
	rc = store_prepare(s, &st,
			   "INSERT INTO subscriptions (channel, target, secret, "
			   "min_materiality, cadence, services, documents, "
			   "categories, created_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
			   err);
	if (rc)
		return rc;
	store_bind_text(st, 1, sub->channel);
	store_bind_text(st, 2, sub->target);
	store_bind_text(st, 3, sub->secret);
	store_bind_text(st, 4, sub->min_materiality ? sub->min_materiality : "cosmetic");
	store_bind_text(st, 5, sub->cadence ? sub->cadence : "immediate");
	store_bind_text(st, 6, sub->services ? sub->services : "");
	store_bind_text(st, 7, sub->documents ? sub->documents : "");
	store_bind_text(st, 8, sub->categories ? sub->categories : "");
	store_bind_text(st, 9, now);
	rc = step_done(s, st, "adding a subscription", err);
	if (!rc && out_id)
		*out_id = sqlite3_last_insert_rowid(s->db);
	return rc;
}

int cw_store_sub_remove(struct cw_store *s, int64_t id, struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = cw_store_begin(s, err);
	if (rc)
		return rc;
	rc = store_prepare(s, &st, "DELETE FROM outbox WHERE sub_id = ?1", err);
	if (!rc) {
		sqlite3_bind_int64(st, 1, id);
		rc = step_done(s, st, "removing a subscription's alerts", err);
	}
	if (!rc)
		rc = store_prepare(s, &st, "DELETE FROM subscriptions WHERE id = ?1",
				   err);
	if (!rc) {
		sqlite3_bind_int64(st, 1, id);
		rc = step_done(s, st, "removing a subscription", err);
	}
	if (!rc && sqlite3_changes(s->db) == 0)
		rc = cw_err_set(err, CW_ENOTFOUND, "no subscription %lld",
				(long long)id);
	if (rc) {
		cw_store_rollback(s);
		return rc;
	}
	return cw_store_commit(s, err);
}

#define SUB_COLS                                                               \
	"SELECT id, channel, target, secret, min_materiality, cadence, "       \
	"services, documents, categories, created_at, last_digest "            \
	"FROM subscriptions "

static void read_sub(sqlite3_stmt *st, struct cw_store_sub *sub)
{
	sub->id = sqlite3_column_int64(st, 0);
	sub->channel = store_col_str(st, 1);
	sub->target = store_col_str(st, 2);
	sub->secret = store_col_str(st, 3);
	sub->min_materiality = store_col_str(st, 4);
	sub->cadence = store_col_str(st, 5);
	sub->services = store_col_str(st, 6);
	sub->documents = store_col_str(st, 7);
	sub->categories = store_col_str(st, 8);
	sub->created_at = store_col_str(st, 9);
	sub->last_digest = store_col_str(st, 10);
}

int cw_store_sub_list(struct cw_store *s, struct cw_store_sub **out,
		      size_t *n, struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	struct cw_store_sub *subs = NULL;
	size_t cnt = 0, cap = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = store_prepare(s, &st, SUB_COLS "ORDER BY id", err);
	if (rc)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		CW_GROW(subs, cap, cnt + 1);
		memset(&subs[cnt], 0, sizeof(subs[cnt]));
		read_sub(st, &subs[cnt++]);
	}
	if (r != SQLITE_DONE)
		rc = store_sqlerr(s, err, "listing subscriptions");
	sqlite3_finalize(st);
	if (rc) {
		cw_store_subs_free(subs, cnt);
		return rc;
	}
	*out = subs;
	*n = cnt;
	return CW_OK;
}

int cw_store_sub_get(struct cw_store *s, int64_t id, struct cw_store_sub *out,
		     struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	memset(out, 0, sizeof(*out));
	rc = store_prepare(s, &st, SUB_COLS "WHERE id = ?1", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		read_sub(st, out);
	else if (r == SQLITE_DONE)
		rc = cw_err_set(err, CW_ENOTFOUND, "no subscription %lld",
				(long long)id);
	else
		rc = store_sqlerr(s, err, "reading a subscription");
	sqlite3_finalize(st);
	return rc;
}

int cw_store_sub_set_digest(struct cw_store *s, int64_t id, const char *at,
			    struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(s, &st,
			   "UPDATE subscriptions SET last_digest = ?2 WHERE id = ?1",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, at);
	return step_done(s, st, "updating a subscription", err);
}

/* ---- outbox ---- */

void cw_store_outbox_free(struct cw_store_outbox *o, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(o[i].kind);
		free(o[i].idem_key);
		free(o[i].payload);
		free(o[i].state);
		free(o[i].next_try);
		free(o[i].created_at);
		free(o[i].last_error);
	}
	free(o);
}

int cw_store_outbox_add(struct cw_store *s, const struct cw_store_outbox *o,
			struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	char now[CW_TIME_ISO];
	int rc;

	cw_time_now_iso(now);
	rc = store_prepare(s, &st,
			   "INSERT INTO outbox (sub_id, change_id, doc_id, kind, "
			   "idem_key, payload, state, attempts, next_try, "
			   "created_at) VALUES (?1,?2,?3,?4,?5,?6,?7,0,?8,?9)",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, o->sub_id);
	if (o->change_id)
		sqlite3_bind_int64(st, 2, o->change_id);
	else
		sqlite3_bind_null(st, 2);
	if (o->doc_id)
		sqlite3_bind_int64(st, 3, o->doc_id);
	else
		sqlite3_bind_null(st, 3);
	store_bind_text(st, 4, o->kind);
	store_bind_text(st, 5, o->idem_key);
	store_bind_text(st, 6, o->payload);
	store_bind_text(st, 7, o->state ? o->state : "pending");
	store_bind_text(st, 8, o->next_try ? o->next_try : now);
	store_bind_text(st, 9, now);
	return step_done(s, st, "adding an alert to the outbox", err);
}

#define OUTBOX_COLS                                                            \
	"SELECT o.id, o.sub_id, coalesce(o.change_id, 0), "                    \
	"coalesce(o.doc_id, 0), o.kind, o.idem_key, o.payload, o.state, "      \
	"o.attempts, o.next_try, o.created_at, o.last_error FROM outbox o "

static int outbox_rows(struct cw_store *s, sqlite3_stmt *st,
		       struct cw_store_outbox **out, size_t *n,
		       struct cw_err *err)
{
	struct cw_store_outbox *os = NULL;
	size_t cnt = 0, cap = 0;
	int r, rc = CW_OK;

	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct cw_store_outbox *o;

		CW_GROW(os, cap, cnt + 1);
		o = &os[cnt++];
		memset(o, 0, sizeof(*o));
		o->id = sqlite3_column_int64(st, 0);
		o->sub_id = sqlite3_column_int64(st, 1);
		o->change_id = sqlite3_column_int64(st, 2);
		o->doc_id = sqlite3_column_int64(st, 3);
		o->kind = store_col_str(st, 4);
		o->idem_key = store_col_str(st, 5);
		o->payload = store_col_str(st, 6);
		o->state = store_col_str(st, 7);
		o->attempts = sqlite3_column_int64(st, 8);
		o->next_try = store_col_str(st, 9);
		o->created_at = store_col_str(st, 10);
		o->last_error = store_col_str(st, 11);
	}
	if (r != SQLITE_DONE)
		rc = store_sqlerr(s, err, "listing the outbox");
	sqlite3_finalize(st);
	if (rc) {
		cw_store_outbox_free(os, cnt);
		return rc;
	}
	*out = os;
	*n = cnt;
	return CW_OK;
}

int cw_store_outbox_list(struct cw_store *s, const char *state,
			 const char *now, int64_t sub_id, int64_t limit,
			 struct cw_store_outbox **out, size_t *n,
			 struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_prepare(s, &st,
			   OUTBOX_COLS "WHERE o.state = ?1 "
			   "AND (?2 IS NULL OR o.next_try <= ?2) "
			   "AND (?3 = 0 OR o.sub_id = ?3) ORDER BY o.id "
			   "LIMIT CASE WHEN ?4 > 0 THEN ?4 ELSE -1 END",
			   err);
	if (rc)
		return rc;
	store_bind_text(st, 1, state);
	store_bind_text(st, 2, now);
	sqlite3_bind_int64(st, 3, sub_id);
	sqlite3_bind_int64(st, 4, limit);
	return outbox_rows(s, st, out, n, err);
}

int cw_store_outbox_feed(struct cw_store *s, const char *feed, int64_t limit,
			 struct cw_store_outbox **out, size_t *n,
			 struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_prepare(s, &st,
			   OUTBOX_COLS "JOIN subscriptions u ON u.id = o.sub_id "
			   "WHERE u.channel = 'feed' AND u.target = ?1 "
			   "AND o.state IN ('pending', 'sent', 'held') "
			   "ORDER BY o.id DESC "
			   "LIMIT CASE WHEN ?2 > 0 THEN ?2 ELSE -1 END",
			   err);
	if (rc)
		return rc;
	store_bind_text(st, 1, feed);
	sqlite3_bind_int64(st, 2, limit);
	return outbox_rows(s, st, out, n, err);
}

int cw_store_outbox_update(struct cw_store *s, int64_t id, const char *state,
			   int64_t attempts, const char *next_try,
			   const char *last_error, struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = store_prepare(s, &st,
			   "UPDATE outbox SET state = coalesce(?2, state), "
			   "attempts = ?3, next_try = coalesce(?4, next_try), "
			   "last_error = coalesce(?5, last_error) WHERE id = ?1",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, state);
	sqlite3_bind_int64(st, 3, attempts);
	store_bind_text(st, 4, next_try);
	store_bind_text(st, 5, last_error);
	return step_done(s, st, "updating an alert", err);
}

int cw_store_outbox_count(struct cw_store *s,
			  struct cw_store_outbox_counts *out,
			  struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc, r;

	memset(out, 0, sizeof(*out));
	rc = store_prepare(s, &st,
			   "SELECT state, count(*) FROM outbox GROUP BY state", err);
	if (rc)
		return rc;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(st, 0);
		int64_t k = sqlite3_column_int64(st, 1);

		if (!state)
			continue;
		if (!strcmp(state, "pending"))
			out->pending = k;
		else if (!strcmp(state, "held"))
			out->held = k;
		else if (!strcmp(state, "sent"))
			out->sent = k;
		else if (!strcmp(state, "dead"))
			out->dead = k;
	}
	if (r != SQLITE_DONE)
		rc = store_sqlerr(s, err, "counting the outbox");
	sqlite3_finalize(st);
	return rc;
}
