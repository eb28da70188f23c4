/*
 * stmt: statements, row mapping and transaction state of a store
 * connection (see stmt.h).
 */
#include <assert.h>
#include <stddef.h>

#include "stmt.h"

int store_sqlerr(struct cw_store *s, struct cw_err *err, const char *what)
{
	return cw_err_set(err, CW_ESTORE, "'%s': %s: %s", s->path, what,
			  sqlite3_errmsg(s->db));
}

/* ---- transaction state ---- */

/* Has SQLite ended the open transaction behind our back? */
static bool tx_check(struct cw_store *s)
{
	if (s->in_tx && !s->tx_lost && sqlite3_get_autocommit(s->db)) {
		s->tx_lost = true;
		s->cache_gen++;
	}
	return s->tx_lost;
}

static int tx_lost_err(const struct cw_store *s, struct cw_err *err)
{
	return cw_err_set(err, CW_ESTORE,
			  "'%s': the open transaction was rolled back after an "
			  "earlier error; nothing of it was committed",
			  s->path);
}

/* Every statement goes through here or store_exec: none may run in
 * autocommit while a caller believes its transaction is open. */
int store_exec(struct cw_store *s, const char *sql, struct cw_err *err)
{
	char *msg = NULL;

	if (s->in_tx && tx_check(s))
		return tx_lost_err(s, err);
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int rc = cw_err_set(err, CW_ESTORE, "'%s': %s", s->path,
				    msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return rc;
	}
	return CW_OK;
}

/*
 * Nested transactions are savepoints: an inner rollback undoes the inner
 * part only, and the outer transaction goes on. The monitor relies on it:
 * it records several documents in one transaction (fewer WAL writes) and
 * one document's failure must not undo the others.
 */
int cw_store_begin(struct cw_store *s, struct cw_err *err)
{
	int rc;

	if (s->in_tx && tx_check(s))
		return tx_lost_err(s, err);
	rc = store_exec(s, s->in_tx ? "SAVEPOINT cw" : "BEGIN IMMEDIATE", err);
	if (!rc)
		s->in_tx++;
	return rc;
}

int cw_store_commit(struct cw_store *s, struct cw_err *err)
{
	int rc;

	if (!s->in_tx)
		return cw_err_set(err, CW_EINVAL,
				  "commit without a transaction");
	if (tx_check(s)) {
		cw_store_rollback(s);
		return tx_lost_err(s, err);
	}
	if (s->in_tx > 1) {
		rc = store_exec(s, "RELEASE cw", err);
		if (rc) {
			cw_store_rollback(s);
			return rc;
		}
		s->in_tx--;
		return CW_OK;
	}
	s->in_tx = 0;
	rc = store_exec(s, "COMMIT", err);
	if (rc) {
		/* nothing more to report: the commit's failure is the news */
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		s->cache_gen++;
	}
	return rc;
}

void cw_store_rollback(struct cw_store *s)
{
	if (!s->in_tx)
		return;
	/*
	 * A rollback that fails leaves SQLite's own rollback (the connection
	 * is then in autocommit, which tx_check sees) or nothing to undo; its
	 * result has no one to go to, the caller is already failing.
	 */
	if (s->in_tx > 1) {
		if (!tx_check(s))
			(void)sqlite3_exec(s->db, "ROLLBACK TO cw; RELEASE cw",
					   NULL, NULL, NULL);
		s->in_tx--;
		/* the statement may itself have cost the transaction */
		(void)tx_check(s);
	} else {
		s->in_tx = 0;
		s->tx_lost = false;
		if (!sqlite3_get_autocommit(s->db))
			(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	/* cached blobs may have been rolled back with their rows */
	s->cache_gen++;
}

bool cw_store_tx_lost(const struct cw_store *s)
{
	return s->tx_lost;
}

/* Is a transaction open (a caller's or a batch)? */
bool cw_store_in_tx(const struct cw_store *s)
{
	return s->in_tx > 0;
}

int store_tx_end(struct cw_store *s, int rc, struct cw_err *err)
{
	int c;

	if (rc && rc != CW_EUNCHANGED) {
		cw_store_rollback(s);
		return rc;
	}
	c = cw_store_commit(s, err);
	return c ? c : rc;
}

/* ---- statements ---- */

static struct store_stmt_slot *slot_find(struct cw_store *s, const char *sql)
{
	for (size_t i = 0; i < s->n_stmts; i++)
		if (s->stmts[i].sql == sql) {
			/* the key is the literal's address: same text */
			assert(!strcmp(sqlite3_sql(s->stmts[i].st), sql));
			return &s->stmts[i];
		}
	return NULL;
}

int store_stmt_prepare(struct store_stmt *q, struct cw_store *s,
		       const char *sql, const char *what, struct cw_err *err)
{
	struct store_stmt_slot *slot;

	memset(q, 0, sizeof(*q));
	q->s = s;
	q->what = what;
	if (s->in_tx && tx_check(s))
		return tx_lost_err(s, err);
	slot = slot_find(s, sql);
	if (slot && !slot->busy) {
		slot->busy = true;
		q->slot = slot;
		q->st = slot->st;
		return CW_OK;
	}
	if (!slot && s->n_stmts < STMT_CACHE) {
		slot = &s->stmts[s->n_stmts];
		if (sqlite3_prepare_v3(s->db, sql, -1,
				       SQLITE_PREPARE_PERSISTENT, &slot->st,
				       NULL) != SQLITE_OK) {
			slot->st = NULL;
			return store_sqlerr(s, err, "preparing a statement");
		}
		s->n_stmts++;
		slot->sql = sql;
		slot->busy = true;
		q->slot = slot;
		q->st = slot->st;
		return CW_OK;
	}
	/* in use by an outer loop, or the cache is full: this use only */
	if (sqlite3_prepare_v2(s->db, sql, -1, &q->st, NULL) != SQLITE_OK) {
		q->st = NULL;
		return store_sqlerr(s, err, "preparing a statement");
	}
	return CW_OK;
}

int store_stmt_cache_clear(struct cw_store *s)
{
	int rc = SQLITE_OK;

	for (size_t i = 0; i < s->n_stmts; i++) {
		/* each was reset when last finished: this cannot repeat an
		 * old step's error, only report a new failure */
		int r = sqlite3_finalize(s->stmts[i].st);

		if (r != SQLITE_OK && rc == SQLITE_OK)
			rc = r;
		s->stmts[i].st = NULL;
	}
	s->n_stmts = 0;
	return rc;
}

/*
 * Bind `a` to parameter `i`. The first failure is kept and reported by
 * the next step, so a caller binds every parameter without checking.
 */
static void bind_arg(struct store_stmt *q, int i, const struct store_arg *a)
{
	sqlite3_stmt *st = q->st;
	int r = SQLITE_MISUSE;

	switch (a->kind) {
	case STORE_A_I64:
		r = sqlite3_bind_int64(st, i, a->v.i64);
		break;
	case STORE_A_ID:
		r = a->v.i64 ? sqlite3_bind_int64(st, i, a->v.i64)
			     : sqlite3_bind_null(st, i);
		break;
	case STORE_A_DBL:
		r = sqlite3_bind_double(st, i, a->v.dbl);
		break;
	case STORE_A_TEXT:
		r = a->v.text ? sqlite3_bind_text(st, i, a->v.text, -1,
						  SQLITE_TRANSIENT)
			      : sqlite3_bind_null(st, i);
		break;
	case STORE_A_TEXTN:
	case STORE_A_BLOB:
		/* SQLite takes a length as an int: a longer value is too big */
		if (a->len > INT32_MAX)
			r = SQLITE_TOOBIG;
		else if (a->kind == STORE_A_TEXTN)
			r = sqlite3_bind_text(st, i, a->v.text, (int)a->len,
					      SQLITE_STATIC);
		else
			r = sqlite3_bind_blob(st, i, a->v.blob, (int)a->len,
					      SQLITE_STATIC);
		break;
	}
	if (r != SQLITE_OK && !q->bind_rc) {
		q->bind_rc = r;
		q->bind_at = i;
	}
}

void store_bind_i64(struct store_stmt *q, int i, int64_t v)
{
	bind_arg(q, i, &STORE_I64(v));
}

void store_bind_text(struct store_stmt *q, int i, const char *t)
{
	bind_arg(q, i, &STORE_TEXT(t));
}

void store_bind_textn(struct store_stmt *q, int i, const char *t, size_t n)
{
	bind_arg(q, i, &STORE_TEXTN(t, n));
}

void store_bind_double(struct store_stmt *q, int i, double v)
{
	bind_arg(q, i, &STORE_DBL(v));
}

void store_bind_blob(struct store_stmt *q, int i, const void *p, size_t n)
{
	bind_arg(q, i, &STORE_BLOB(p, n));
}

void store_bind_id(struct store_stmt *q, int i, int64_t id)
{
	bind_arg(q, i, &STORE_ID(id));
}

int store_stmt_step(struct store_stmt *q, struct cw_err *err)
{
	int r;

	if (q->bind_rc)
		return cw_err_set(err, CW_ESTORE, "'%s': %s: parameter %d: %s",
				  q->s->path, q->what, q->bind_at,
				  sqlite3_errstr(q->bind_rc));
	r = sqlite3_step(q->st);
	if (r == SQLITE_ROW)
		return 1;
	if (r == SQLITE_DONE)
		return 0;
	if (sqlite3_extended_errcode(q->s->db) == SQLITE_CONSTRAINT_UNIQUE)
		return cw_err_set(err, CW_EEXISTS, "'%s': %s: already there",
				  q->s->path, q->what);
	return store_sqlerr(q->s, err, q->what);
}

int store_stmt_finish(struct store_stmt *q, int rc, struct cw_err *err)
{
	int r;

	if (!q->st)
		return rc;
	if (q->slot) {
		r = sqlite3_reset(q->st);
		/* bound blobs belong to the caller: drop them with the use */
		(void)sqlite3_clear_bindings(q->st); /* always SQLITE_OK */
		q->slot->busy = false;
	} else {
		r = sqlite3_finalize(q->st);
	}
	q->st = NULL;
	q->slot = NULL;
	/*
	 * A reset or finalise after a failed step repeats that step's error,
	 * which the caller has (rc < 0); otherwise it is news: an autocommit
	 * statement's commit can fail here.
	 */
	if (r != SQLITE_OK && (rc == CW_OK || rc == CW_EUNCHANGED))
		return cw_err_set(err, CW_ESTORE, "'%s': %s: %s", q->s->path,
				  q->what, sqlite3_errstr(r));
	return rc;
}

int store_stmt_run(struct store_stmt *q, struct cw_err *err)
{
	int r;

	while ((r = store_stmt_step(q, err)) > 0)
		;
	return store_stmt_finish(q, r, err);
}

int store_stmt_run_id(struct store_stmt *q, int64_t *out_id, struct cw_err *err)
{
	int r = store_stmt_step(q, err);

	if (r == 0)
		return store_stmt_finish(q, CW_ENOTFOUND, err);
	if (r > 0) {
		if (out_id)
			*out_id = sqlite3_column_int64(q->st, 0);
		/* step to the end: the write is complete only then */
		while ((r = store_stmt_step(q, err)) > 0)
			;
	}
	return store_stmt_finish(q, r, err);
}

int store_stmt_i64(struct store_stmt *q, int64_t dflt, int64_t *out,
		   struct cw_err *err)
{
	int r = store_stmt_step(q, err);

	*out = r > 0 ? sqlite3_column_int64(q->st, 0) : dflt;
	return store_stmt_finish(q, r > 0 ? CW_OK : r, err);
}

int64_t store_col_i64(const struct store_stmt *q, int i)
{
	return sqlite3_column_int64(q->st, i);
}

char *store_col_str(const struct store_stmt *q, int i)
{
	const unsigned char *t = sqlite3_column_text(q->st, i);

	return t ? cw_strdup((const char *)t) : NULL;
}

const char *store_col_text(const struct store_stmt *q, int i)
{
	return (const char *)sqlite3_column_text(q->st, i);
}

int64_t store_changes(const struct cw_store *s)
{
	return sqlite3_changes64(s->db);
}

const void *store_col_blob(const struct store_stmt *q, int i, size_t *len)
{
	const void *p = sqlite3_column_blob(q->st, i);

	*len = (size_t)sqlite3_column_bytes(q->st, i);
	return p;
}

/* ---- row mapping ---- */

void store_row_map(const struct store_stmt *q, int first,
		   const struct store_map *map, void *obj)
{
	char *base = obj;
	int c = first;

	for (size_t i = 0; i < map->n; i++) {
		const struct store_field *f = &map->fields[i];
		void *m = base + f->off;
		size_t len;
		const void *blob;

		switch (f->kind) {
		case STORE_F_I64:
			*(int64_t *)m = sqlite3_column_int64(q->st, c++);
			break;
		case STORE_F_BOOL:
			*(bool *)m = sqlite3_column_int64(q->st, c++) != 0;
			break;
		case STORE_F_DBL:
			*(double *)m = sqlite3_column_double(q->st, c++);
			break;
		case STORE_F_STR:
			*(char **)m = store_col_str(q, c++);
			break;
		case STORE_F_HEX32:
			blob = store_col_blob(q, c++, &len);
			if (blob && len == 32)
				cw_hex_encode(m, blob, 32);
			break;
		case STORE_F_HASH:
			blob = store_col_blob(q, c++, &len);
			if (blob && len == 32)
				memcpy(m, blob, 32);
			break;
		case STORE_F_OWNED:
			break;
		}
	}
}

void store_map_release(const struct store_map *map, void *obj)
{
	char *base = obj;

	for (size_t i = 0; i < map->n; i++) {
		const struct store_field *f = &map->fields[i];

		if (f->kind == STORE_F_STR || f->kind == STORE_F_OWNED)
			free(*(char **)(base + f->off));
	}
	memset(obj, 0, map->size);
}

void store_map_free_array(const struct store_map *map, void *arr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_map_release(map, (char *)arr + i * map->size);
	free(arr);
}

int store_stmt_row(struct store_stmt *q, const struct store_map *map, void *obj,
		   struct cw_err *err)
{
	int r;

	memset(obj, 0, map->size);
	r = store_stmt_step(q, err);
	if (r > 0)
		store_row_map(q, 0, map, obj);
	return r;
}

int store_stmt_list(struct store_stmt *q, const struct store_map *map,
		    store_row_fn fn, void *ctx, void **out, size_t *n,
		    struct cw_err *err)
{
	char *arr = NULL;
	size_t cnt = 0, cap = 0;
	int r;

	*out = NULL;
	*n = 0;
	while ((r = store_stmt_step(q, err)) > 0) {
		char *elem;

		if (cnt == cap) {
			cap = cap ? 2 * cap : 8;
			arr = cw_reallocarray(arr, cap, map->size);
		}
		elem = arr + cnt++ * map->size;
		memset(elem, 0, map->size);
		store_row_map(q, 0, map, elem);
		if (fn) {
			r = fn(q, elem, ctx, err);
			if (r)
				break;
		}
	}
	r = store_stmt_finish(q, r, err);
	if (r) {
		store_map_free_array(map, arr, cnt);
		return r;
	}
	*out = arr;
	*n = cnt;
	return CW_OK;
}

/* ---- one call per statement ---- */

int store_stmt_prepare_with(struct store_stmt *q, struct cw_store *s,
			    const char *sql, const char *what,
			    struct store_params p, struct cw_err *err)
{
	int rc = store_stmt_prepare(q, s, sql, what, err);

	if (rc)
		return rc;
	/* a statement has far fewer parameters than an int holds */
	for (size_t i = 0; i < p.n; i++)
		bind_arg(q, (int)i + 1, &p.arg[i]);
	return CW_OK;
}

int store_query_run(struct cw_store *s, const char *sql, const char *what,
		    struct store_params p, struct cw_err *err)
{
	struct store_stmt q;
	int rc = store_stmt_prepare_with(&q, s, sql, what, p, err);

	return rc ? rc : store_stmt_run(&q, err);
}

int store_query_id(struct cw_store *s, const char *sql, const char *what,
		   struct store_params p, int64_t *out_id, struct cw_err *err)
{
	struct store_stmt q;
	int rc = store_stmt_prepare_with(&q, s, sql, what, p, err);

	return rc ? rc : store_stmt_run_id(&q, out_id, err);
}

int store_query_i64(struct cw_store *s, const char *sql, const char *what,
		    struct store_params p, int64_t dflt, int64_t *out,
		    struct cw_err *err)
{
	struct store_stmt q;
	int rc;

	*out = dflt;
	rc = store_stmt_prepare_with(&q, s, sql, what, p, err);
	return rc ? rc : store_stmt_i64(&q, dflt, out, err);
}

int store_query_row(struct cw_store *s, const char *sql, const char *what,
		    struct store_params p, const struct store_map *map,
		    store_row_fn fn, void *ctx, void *obj, struct cw_err *err)
{
	struct store_stmt q;
	int rc;

	memset(obj, 0, map->size);
	rc = store_stmt_prepare_with(&q, s, sql, what, p, err);
	if (rc)
		return rc;
	rc = store_stmt_row(&q, map, obj, err);
	if (rc == 0)
		rc = CW_ENOTFOUND;
	else if (rc > 0)
		rc = fn ? fn(&q, obj, ctx, err) : CW_OK;
	rc = store_stmt_finish(&q, rc, err);
	if (rc)
		store_map_release(map, obj);
	return rc;
}

int store_query_list(struct cw_store *s, const char *sql, const char *what,
		     struct store_params p, const struct store_map *map,
		     store_row_fn fn, void *ctx, void **out, size_t *n,
		     struct cw_err *err)
{
	struct store_stmt q;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_stmt_prepare_with(&q, s, sql, what, p, err);
	return rc ? rc : store_stmt_list(&q, map, fn, ctx, out, n, err);
}
