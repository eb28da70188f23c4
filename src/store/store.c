/*
 * store: the SQLite backend of store.h.
 */
#include <unistd.h>

#include "store_int.h"

#define ZLEVEL_DEFAULT 6 /* see docs/internals/store.md for the measurement */
#define CHAIN_DEFAULT 48

int store_sqlerr(struct cw_store *s, struct cw_err *err, const char *what)
{
	return cw_err_set(err, CW_ESTORE, "'%s': %s: %s", s->path, what,
			  sqlite3_errmsg(s->db));
}

static bool tx_check(struct cw_store *s);
static int tx_lost_err(const struct cw_store *s, struct cw_err *err);

/* Every statement goes through here or store_exec: none may run in
 * autocommit while a caller believes its transaction is open. */
int store_prepare(struct cw_store *s, sqlite3_stmt **st, const char *sql,
		  struct cw_err *err)
{
	if (s->in_tx && tx_check(s)) {
		*st = NULL;
		return tx_lost_err(s, err);
	}
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return store_sqlerr(s, err, "preparing a statement");
	}
	return CW_OK;
}

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

static char *dirname_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return NULL;
	if (slash == path)
		return NULL;
	return cw_strndup(path, (size_t)(slash - path));
}

int cw_store_open(struct cw_store **out, const char *path, struct cw_err *err)
{
	struct cw_store *s;
	char *dir = dirname_of(path);
	const char *env;
	int rc;

	*out = NULL;
	if (dir) {
		rc = cw_mkdir_p(dir, err);
		free(dir);
		if (rc)
			return rc;
	}
	s = cw_calloc(1, sizeof(*s));
	s->path = cw_strdup(path);
	s->zlevel = ZLEVEL_DEFAULT;
	s->max_depth = CHAIN_DEFAULT;
	env = getenv("CW_STORE_ZLEVEL");
	if (env) {
		long v;
		if (!cw_parse_long(env, 1, 22, &v))
			s->zlevel = (int)v;
	}
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		rc = cw_err_set(err, CW_ESTORE, "'%s': %s", path,
				s->db ? sqlite3_errmsg(s->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 10000);
	/*
	 * WAL: readers never block the writer. synchronous=NORMAL in WAL mode
	 * loses nothing on a process crash (kill -9); only a power cut can
	 * drop the last transactions, never corrupt the file.
	 */
	rc = store_exec(s,
			"PRAGMA journal_mode = WAL;"
			"PRAGMA synchronous = NORMAL;"
			"PRAGMA foreign_keys = ON;",
			err);
	if (rc)
		goto fail;
	rc = store_migrate(s, err);
	if (rc)
		goto fail;
	s->cctx = ZSTD_createCCtx();
	s->dctx = ZSTD_createDCtx();
	if (!s->cctx || !s->dctx) {
		rc = cw_err_set(err, CW_ESTORE, "zstd: out of memory");
		goto fail;
	}
	*out = s;
	return CW_OK;
fail:
	cw_store_close(s);
	return rc;
}

void cw_store_close(struct cw_store *s)
{
	if (!s)
		return;
	if (s->in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	store_blob_cache_clear(s);
	sqlite3_close(s->db);
	ZSTD_freeCCtx(s->cctx);
	ZSTD_freeDCtx(s->dctx);
	free(s->path);
	free(s);
}

const char *cw_store_path(const struct cw_store *s)
{
	return s->path;
}

/*
 * Nested transactions are savepoints: an inner rollback undoes the inner
 * part only, and the outer transaction goes on. The monitor relies on it:
 * it records several documents in one transaction (fewer WAL writes) and
 * one document's failure must not undo the others.
 */
/* Has SQLite ended the open transaction behind our back? */
static bool tx_check(struct cw_store *s)
{
	if (s->in_tx && !s->tx_lost && sqlite3_get_autocommit(s->db)) {
		s->tx_lost = true;
		store_blob_cache_clear(s);
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
		return cw_err_set(err, CW_EINVAL, "commit without a transaction");
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
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		store_blob_cache_clear(s);
	}
	return rc;
}

void cw_store_rollback(struct cw_store *s)
{
	if (!s->in_tx)
		return;
	if (s->in_tx > 1) {
		if (!tx_check(s))
			sqlite3_exec(s->db, "ROLLBACK TO cw; RELEASE cw", NULL,
				     NULL, NULL);
		s->in_tx--;
		/* the statement may itself have cost the transaction */
		(void)tx_check(s);
	} else {
		s->in_tx = 0;
		s->tx_lost = false;
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	/* cached blobs may have been rolled back with their rows */
	store_blob_cache_clear(s);
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

/*
 * Close a transaction opened by a write function: commit on success (or
 * "unchanged"), roll back on failure. Inside a caller's transaction, the
 * commit only decrements the nesting depth.
 */
static int tx_end(struct cw_store *s, int rc, struct cw_err *err)
{
	int c;

	if (rc && rc != CW_EUNCHANGED) {
		cw_store_rollback(s);
		return rc;
	}
	c = cw_store_commit(s, err);
	return c ? c : rc;
}

static int err_rc(const struct cw_err *err)
{
	return err && err->rc ? err->rc : CW_ESTORE;
}

char *store_col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? cw_strdup((const char *)t) : NULL;
}

void store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* ---- services and documents ---- */

int cw_store_put_service(struct cw_store *s, const char *service,
			 const char *name, const char *decl_path,
			 int64_t *out_id, struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	char now[CW_TIME_ISO];
	int rc;

	cw_time_now_iso(now);
	rc = store_prepare(s, &st,
			   "INSERT INTO services (sid, name, decl_path, created_at) "
			   "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(sid) DO UPDATE SET "
			   "name = excluded.name, "
			   "decl_path = coalesce(excluded.decl_path, decl_path) "
			   "RETURNING id",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, name ? name : service, -1, SQLITE_TRANSIENT);
	store_bind_text(st, 3, decl_path);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = store_sqlerr(s, err, "storing a service");
	} else if (out_id) {
		*out_id = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return rc;
}

int cw_store_put_document(struct cw_store *s, const char *service,
			  const char *type, const char *decl_json,
			  int64_t *out_id, struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	char now[CW_TIME_ISO];
	int rc;

	cw_time_now_iso(now);
	rc = store_prepare(s, &st,
			   "INSERT INTO documents (service_id, type, decl_json, created_at) "
			   "SELECT id, ?2, ?3, ?4 FROM services WHERE sid = ?1 "
			   "ON CONFLICT(service_id, type) DO UPDATE SET "
			   "decl_json = coalesce(excluded.decl_json, decl_json) "
			   "RETURNING id",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
	store_bind_text(st, 3, decl_json);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		if (out_id)
			*out_id = sqlite3_column_int64(st, 0);
		break;
	case SQLITE_DONE:
		rc = cw_err_set(err, CW_ENOTFOUND, "no service '%s'", service);
		break;
	default:
		rc = store_sqlerr(s, err, "storing a document");
	}
	sqlite3_finalize(st);
	return rc;
}

void cw_store_doc_release(struct cw_store_doc *d)
{
	free(d->service);
	free(d->service_name);
	free(d->type);
	free(d->decl_json);
	free(d->latest_at);
	memset(d, 0, sizeof(*d));
}

void cw_store_docs_free(struct cw_store_doc *docs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cw_store_doc_release(&docs[i]);
	free(docs);
}

#define DOC_SELECT                                                             \
	"SELECT d.id, s.sid, s.name, d.type, d.decl_json, "                    \
	"(SELECT count(*) FROM versions v WHERE v.doc_id = d.id), "            \
	"(SELECT max(recorded_at) FROM versions v WHERE v.doc_id = d.id) "     \
	"FROM documents d JOIN services s ON s.id = d.service_id "

static void read_doc(sqlite3_stmt *st, struct cw_store_doc *d)
{
	d->id = sqlite3_column_int64(st, 0);
	d->service = store_col_str(st, 1);
	d->service_name = store_col_str(st, 2);
	d->type = store_col_str(st, 3);
	d->decl_json = store_col_str(st, 4);
	d->n_versions = sqlite3_column_int64(st, 5);
	d->latest_at = store_col_str(st, 6);
}

int cw_store_find_document(struct cw_store *s, const char *service,
			   const char *type, struct cw_store_doc *out,
			   struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_prepare(s, &st,
			   DOC_SELECT "WHERE s.sid = ?1 AND d.type = ?2", err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, service, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, type, -1, SQLITE_TRANSIENT);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		read_doc(st, out);
		break;
	case SQLITE_DONE:
		rc = cw_err_set(err, CW_ENOTFOUND, "no document '%s/%s'",
				service, type);
		break;
	default:
		rc = store_sqlerr(s, err, "finding a document");
	}
	sqlite3_finalize(st);
	return rc;
}

int cw_store_list_documents(struct cw_store *s, const char *service,
			    const char *type, struct cw_store_doc **out,
			    size_t *n, struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	struct cw_store_doc *docs = NULL;
	size_t cnt = 0, cap = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = store_prepare(s, &st,
			   DOC_SELECT "WHERE (?1 IS NULL OR s.sid = ?1) "
			   "AND (?2 IS NULL OR d.type = ?2) "
			   "ORDER BY s.sid, d.type",
			   err);
	if (rc)
		return rc;
	store_bind_text(st, 1, service);
	store_bind_text(st, 2, type);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		CW_GROW(docs, cap, cnt + 1);
		read_doc(st, &docs[cnt++]);
	}
	if (r != SQLITE_DONE) {
		rc = store_sqlerr(s, err, "listing documents");
		cw_store_docs_free(docs, cnt);
	} else {
		*out = docs;
		*n = cnt;
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- snapshots ---- */

/* The newest blob of a stream, to compress the next one against. */
static int64_t latest_page_blob(struct cw_store *s, int64_t doc_id, size_t idx)
{
	sqlite3_stmt *st = NULL;
	int64_t id = 0;

	if (store_prepare(s, &st,
			  "SELECT p.blob FROM snapshot_pages p JOIN snapshots n "
			  "ON n.id = p.snapshot_id WHERE n.doc_id = ? AND p.idx = ? "
			  "ORDER BY n.id DESC LIMIT 1",
			  NULL))
		return 0;
	sqlite3_bind_int64(st, 1, doc_id);
	sqlite3_bind_int64(st, 2, (int64_t)idx);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

static int add_snapshot(struct cw_store *s, int64_t doc_id,
			const struct cw_store_page *pages, size_t n,
			const char *fetched_at, int64_t *out_id, bool *out_new,
			struct cw_err *err)
{
	unsigned char all[32];
	sqlite3_stmt *st = NULL;
	int64_t sid;
	struct cw_buf hashes = CW_BUF_INIT;
	int rc;

	*out_new = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char h[32];
		cw_sha256(pages[i].data, pages[i].len, h);
		cw_buf_add(&hashes, h, 32);
	}
	cw_sha256(hashes.ptr, hashes.len, all);
	cw_buf_release(&hashes);

	rc = store_prepare(s, &st,
			   "SELECT id, hash FROM snapshots WHERE doc_id = ? "
			   "ORDER BY id DESC LIMIT 1",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, doc_id);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 1) == 32 &&
	    !memcmp(sqlite3_column_blob(st, 1), all, 32)) {
		*out_id = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		return CW_OK;
	}
	sqlite3_finalize(st);

	rc = store_prepare(s, &st,
			   "INSERT INTO snapshots (doc_id, fetched_at, hash, n_pages) "
			   "VALUES (?, ?, ?, ?)",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, doc_id);
	sqlite3_bind_text(st, 2, fetched_at, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, all, 32, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (int64_t)n);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return store_sqlerr(s, err, "storing a snapshot");
	}
	sqlite3_finalize(st);
	sid = sqlite3_last_insert_rowid(s->db);

	for (size_t i = 0; i < n; i++) {
		int64_t blob;

		rc = store_blob_put(s, pages[i].data, pages[i].len,
				    latest_page_blob(s, doc_id, i), &blob, err);
		if (rc)
			return rc;
		rc = store_prepare(s, &st,
				   "INSERT INTO snapshot_pages (snapshot_id, idx, "
				   "blob, url, content_type, charset) "
				   "VALUES (?, ?, ?, ?, ?, ?)",
				   err);
		if (rc)
			return rc;
		sqlite3_bind_int64(st, 1, sid);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_int64(st, 3, blob);
		store_bind_text(st, 4, pages[i].url);
		store_bind_text(st, 5, pages[i].content_type);
		store_bind_text(st, 6, pages[i].charset);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return store_sqlerr(s, err, "storing a snapshot page");
		}
		sqlite3_finalize(st);
	}
	*out_id = sid;
	*out_new = true;
	return CW_OK;
}

int cw_store_add_snapshot(struct cw_store *s, int64_t doc_id,
			  const struct cw_store_page *pages, size_t n,
			  const char *fetched_at, int64_t *out_id,
			  bool *out_new, struct cw_err *err)
{
	if (n == 0)
		return cw_err_set(err, CW_EINVAL, "a snapshot needs a page");
	return cw_store_begin(s, err) ? err_rc(err) :
	       tx_end(s, add_snapshot(s, doc_id, pages, n, fetched_at, out_id, out_new, err), err);
}

void cw_store_pages_free(struct cw_store_page_data *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cw_buf_release(&p[i].data);
		free(p[i].url);
		free(p[i].content_type);
		free(p[i].charset);
	}
	free(p);
}

int cw_store_get_snapshot(struct cw_store *s, int64_t snapshot_id,
			  struct cw_store_page_data **out, size_t *n,
			  struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	struct cw_store_page_data *pages = NULL;
	size_t cnt = 0, cap = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = store_prepare(s, &st,
			   "SELECT blob, url, content_type, charset FROM "
			   "snapshot_pages WHERE snapshot_id = ? ORDER BY idx",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, snapshot_id);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		CW_GROW(pages, cap, cnt + 1);
		memset(&pages[cnt], 0, sizeof(pages[cnt]));
		pages[cnt].url = store_col_str(st, 1);
		pages[cnt].content_type = store_col_str(st, 2);
		pages[cnt].charset = store_col_str(st, 3);
		rc = store_blob_get(s, sqlite3_column_int64(st, 0),
				    &pages[cnt].data, err);
		cnt++;
		if (rc)
			break;
	}
	sqlite3_finalize(st);
	if (!rc && cnt == 0)
		rc = cw_err_set(err, CW_ENOTFOUND, "no snapshot %lld",
				(long long)snapshot_id);
	if (rc) {
		cw_store_pages_free(pages, cnt);
		return rc;
	}
	*out = pages;
	*n = cnt;
	return CW_OK;
}

/* ---- attempts ---- */

const char *cw_store_outcome_name(int outcome)
{
	switch (outcome) {
	case CW_STORE_NEW_VERSION: return "new_version";
	case CW_STORE_UNCHANGED: return "unchanged";
	case CW_STORE_FAILED: return "failed";
	case CW_STORE_EXTRACT_FAILED: return "extraction_failed";
	}
	return "unknown";
}

int cw_store_add_attempt(struct cw_store *s, const struct cw_store_attempt *a,
			 struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = store_prepare(s, &st,
			       "INSERT INTO attempts (doc_id, at, url, status, "
			       "bytes, outcome, error, snapshot_id, seconds) "
			       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, a->doc_id);
	sqlite3_bind_text(st, 2, a->at, -1, SQLITE_TRANSIENT);
	store_bind_text(st, 3, a->url);
	sqlite3_bind_int64(st, 4, a->status);
	sqlite3_bind_int64(st, 5, a->bytes);
	sqlite3_bind_text(st, 6, cw_store_outcome_name(a->outcome), -1,
			  SQLITE_STATIC);
	store_bind_text(st, 7, a->error);
	if (a->snapshot_id)
		sqlite3_bind_int64(st, 8, a->snapshot_id);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_double(st, 9, a->seconds);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_sqlerr(s, err, "recording a fetch attempt");
	sqlite3_finalize(st);
	return rc;
}

/* ---- versions ---- */

void cw_store_version_release(struct cw_store_version *v)
{
	free(v->recorded_at);
	free(v->stated_date);
	free(v->origin);
	memset(v, 0, sizeof(*v));
}

void cw_store_versions_free(struct cw_store_version *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cw_store_version_release(&v[i]);
	free(v);
}

#define VERSION_SELECT                                                         \
	"SELECT v.id, v.doc_id, v.seq, v.recorded_at, v.stated_date, "         \
	"coalesce(v.snapshot_id, 0), b.hash, b.size, v.n_provisions, v.origin, " \
	"v.text_blob, v.provisions_blob "                                      \
	"FROM versions v JOIN blobs b ON b.id = v.text_blob "

static void hex32(const unsigned char *h, char out[CW_SHA256_HEX])
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[h[i] >> 4];
		out[2 * i + 1] = hx[h[i] & 15];
	}
	out[64] = '\0';
}

static void read_version(sqlite3_stmt *st, struct cw_store_version *v)
{
	v->id = sqlite3_column_int64(st, 0);
	v->doc_id = sqlite3_column_int64(st, 1);
	v->seq = sqlite3_column_int64(st, 2);
	v->recorded_at = store_col_str(st, 3);
	v->stated_date = store_col_str(st, 4);
	v->snapshot_id = sqlite3_column_int64(st, 5);
	if (sqlite3_column_bytes(st, 6) == 32)
		hex32(sqlite3_column_blob(st, 6), v->text_hash);
	v->text_len = sqlite3_column_int64(st, 7);
	v->n_provisions = sqlite3_column_int64(st, 8);
	v->origin = store_col_str(st, 9);
}

/* Latest version's id, seq and blobs; all 0 when there is none. */
static int latest_version(struct cw_store *s, int64_t doc_id, int64_t *id,
			  int64_t *seq, int64_t *text_blob, int64_t *prov_blob,
			  unsigned char hash[32], struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = store_prepare(s, &st,
			       "SELECT v.id, v.seq, v.text_blob, v.provisions_blob, "
			       "b.hash FROM versions v JOIN blobs b ON "
			       "b.id = v.text_blob WHERE v.doc_id = ? "
			       "ORDER BY v.seq DESC LIMIT 1",
			       err);
	*id = *seq = *text_blob = *prov_blob = 0;
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, doc_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*seq = sqlite3_column_int64(st, 1);
		*text_blob = sqlite3_column_int64(st, 2);
		*prov_blob = sqlite3_column_int64(st, 3);
		if (sqlite3_column_bytes(st, 4) == 32)
			memcpy(hash, sqlite3_column_blob(st, 4), 32);
	}
	sqlite3_finalize(st);
	return CW_OK;
}

static int record_version(struct cw_store *s, int64_t doc_id,
			  const struct cw_store_version_in *in,
			  int64_t *out_id, struct cw_err *err)
{
	unsigned char hash[32], last_hash[32] = { 0 };
	int64_t last_id, last_seq, last_text, last_prov, text_blob, prov_blob;
	struct cw_buf enc = CW_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc;

	rc = latest_version(s, doc_id, &last_id, &last_seq, &last_text,
			    &last_prov, last_hash, err);
	if (rc)
		return rc;
	cw_sha256(in->text, in->len, hash);
	if (last_id && !memcmp(hash, last_hash, 32)) {
		if (out_id)
			*out_id = last_id;
		return CW_EUNCHANGED;
	}
	rc = store_blob_put(s, in->text, in->len, last_text, &text_blob, err);
	if (rc)
		return rc;
	store_encode_provisions(&enc, in->seg);
	rc = store_blob_put(s, enc.ptr, enc.len, last_prov, &prov_blob, err);
	cw_buf_release(&enc);
	if (rc)
		return rc;
	rc = store_prepare(s, &st,
			   "INSERT INTO versions (doc_id, seq, recorded_at, "
			   "stated_date, snapshot_id, text_blob, provisions_blob, "
			   "n_provisions, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, doc_id);
	sqlite3_bind_int64(st, 2, last_seq + 1);
	sqlite3_bind_text(st, 3, in->recorded_at, -1, SQLITE_TRANSIENT);
	store_bind_text(st, 4, in->stated_date);
	if (in->snapshot_id)
		sqlite3_bind_int64(st, 5, in->snapshot_id);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int64(st, 6, text_blob);
	sqlite3_bind_int64(st, 7, prov_blob);
	sqlite3_bind_int64(st, 8, (int64_t)in->seg->n);
	sqlite3_bind_text(st, 9, in->origin ? in->origin : "unknown", -1,
			  SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_sqlerr(s, err, "recording a version");
	else if (out_id)
		*out_id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return rc;
}

int cw_store_record_version(struct cw_store *s, int64_t doc_id,
			    const struct cw_store_version_in *in,
			    int64_t *out_id, struct cw_err *err)
{
	if (!in->seg || !in->recorded_at)
		return cw_err_set(err, CW_EINVAL,
				  "a version needs provisions and a date");
	return cw_store_begin(s, err) ? err_rc(err) :
	       tx_end(s, record_version(s, doc_id, in, out_id, err), err);
}

int cw_store_list_versions(struct cw_store *s, int64_t doc_id,
			   struct cw_store_version **out, size_t *n,
			   struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	struct cw_store_version *vs = NULL;
	size_t cnt = 0, cap = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = store_prepare(s, &st,
			   VERSION_SELECT "WHERE v.doc_id = ? ORDER BY v.seq",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, doc_id);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		CW_GROW(vs, cap, cnt + 1);
		memset(&vs[cnt], 0, sizeof(vs[cnt]));
		read_version(st, &vs[cnt++]);
	}
	if (r != SQLITE_DONE) {
		rc = store_sqlerr(s, err, "listing versions");
		cw_store_versions_free(vs, cnt);
	} else {
		*out = vs;
		*n = cnt;
	}
	sqlite3_finalize(st);
	return rc;
}

static int one_version(struct cw_store *s, sqlite3_stmt *st,
		       struct cw_store_version *out, const char *what,
		       struct cw_err *err)
{
	int rc = CW_OK;

	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		read_version(st, out);
		break;
	case SQLITE_DONE:
		rc = cw_err_set(err, CW_ENOTFOUND, "no %s", what);
		break;
	default:
		rc = store_sqlerr(s, err, "reading a version");
	}
	sqlite3_finalize(st);
	return rc;
}

int cw_store_get_version(struct cw_store *s, int64_t doc_id, int64_t seq,
			 struct cw_store_version *out, struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	char what[64];
	int rc;

	memset(out, 0, sizeof(*out));
	if (seq >= 1) {
		rc = store_prepare(s, &st,
				   VERSION_SELECT "WHERE v.doc_id = ? AND v.seq = ?",
				   err);
		if (rc)
			return rc;
		sqlite3_bind_int64(st, 2, seq);
		snprintf(what, sizeof(what), "version %lld", (long long)seq);
	} else {
		rc = store_prepare(s, &st,
				   VERSION_SELECT "WHERE v.doc_id = ? "
				   "ORDER BY v.seq DESC LIMIT 1 OFFSET ?",
				   err);
		if (rc)
			return rc;
		sqlite3_bind_int64(st, 2, -seq);
		snprintf(what, sizeof(what), seq ? "version latest%lld" : "version",
			 (long long)seq);
	}
	sqlite3_bind_int64(st, 1, doc_id);
	return one_version(s, st, out, what, err);
}

int cw_store_get_version_at(struct cw_store *s, int64_t doc_id,
			    const char *at, struct cw_store_version *out,
			    struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	char what[96];
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_prepare(s, &st,
			   VERSION_SELECT "WHERE v.doc_id = ? AND v.recorded_at <= ? "
			   "ORDER BY v.recorded_at DESC, v.seq DESC LIMIT 1",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, doc_id);
	sqlite3_bind_text(st, 2, at, -1, SQLITE_TRANSIENT);
	snprintf(what, sizeof(what), "version at '%s'", at);
	return one_version(s, st, out, what, err);
}

static int version_blobs(struct cw_store *s, int64_t version_id,
			 int64_t *text_blob, int64_t *prov_blob,
			 struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = store_prepare(s, &st,
			       "SELECT text_blob, provisions_blob FROM versions "
			       "WHERE id = ?",
			       err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, version_id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*text_blob = sqlite3_column_int64(st, 0);
		*prov_blob = sqlite3_column_int64(st, 1);
	} else {
		rc = cw_err_set(err, CW_ENOTFOUND, "no version id %lld",
				(long long)version_id);
	}
	sqlite3_finalize(st);
	return rc;
}

int cw_store_load_text(struct cw_store *s, int64_t version_id,
		       struct cw_buf *out, struct cw_err *err)
{
	int64_t tb = 0, pb = 0;
	int rc = version_blobs(s, version_id, &tb, &pb, err);

	return rc ? rc : store_blob_get(s, tb, out, err);
}

int cw_store_load_provisions(struct cw_store *s, int64_t version_id,
			     struct cw_segmentation **out, struct cw_err *err)
{
	struct cw_buf text = CW_BUF_INIT, enc = CW_BUF_INIT;
	int64_t tb = 0, pb = 0;
	int rc;

	*out = NULL;
	rc = version_blobs(s, version_id, &tb, &pb, err);
	if (!rc)
		rc = store_blob_get(s, tb, &text, err);
	if (!rc)
		rc = store_blob_get(s, pb, &enc, err);
	if (!rc)
		rc = store_decode_provisions(out, enc.ptr, enc.len,
					     cw_buf_str(&text), text.len, err);
	cw_buf_release(&text);
	cw_buf_release(&enc);
	return rc;
}

/* ---- changes and analyses ---- */

static int64_t latest_change_blob(struct cw_store *s, int64_t doc_id)
{
	sqlite3_stmt *st = NULL;
	int64_t id = 0;

	if (store_prepare(s, &st,
			  "SELECT json_blob FROM changes WHERE doc_id = ? "
			  "ORDER BY id DESC LIMIT 1",
			  NULL))
		return 0;
	sqlite3_bind_int64(st, 1, doc_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

static int put_change(struct cw_store *s, const struct cw_store_change_in *c,
		      int64_t *out_id, struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t blob;
	int rc;

	rc = store_blob_put(s, c->json, strlen(c->json),
			    latest_change_blob(s, c->doc_id), &blob, err);
	if (rc)
		return rc;
	rc = store_prepare(s, &st,
			   "INSERT INTO changes (doc_id, from_version, to_version, "
			   "materiality, n_changes, json_blob) VALUES (?, ?, ?, ?, ?, ?) "
			   "ON CONFLICT(to_version) DO UPDATE SET "
			   "materiality = excluded.materiality, "
			   "n_changes = excluded.n_changes, json_blob = excluded.json_blob "
			   "RETURNING id",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, c->doc_id);
	if (c->from_version)
		sqlite3_bind_int64(st, 2, c->from_version);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, c->to_version);
	sqlite3_bind_text(st, 4, c->materiality ? c->materiality : "cosmetic",
			  -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, c->n_changes);
	sqlite3_bind_int64(st, 6, blob);
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = store_sqlerr(s, err, "recording a change");
	else if (out_id)
		*out_id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc;
}

int cw_store_put_change(struct cw_store *s, const struct cw_store_change_in *c,
			int64_t *out_id, struct cw_err *err)
{
	return cw_store_begin(s, err) ? err_rc(err) :
	       tx_end(s, put_change(s, c, out_id, err), err);
}

void cw_store_changes_free(struct cw_store_change *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].service);
		free(c[i].type);
		free(c[i].recorded_at);
		free(c[i].materiality);
		free(c[i].json);
	}
	free(c);
}

static int materiality_rank(const char *m)
{
	if (!m)
		return 0;
	if (!strcmp(m, "editorial"))
		return 1;
	if (!strcmp(m, "substantive"))
		return 2;
	return 0;
}

int cw_store_list_changes(struct cw_store *s,
			  const struct cw_store_change_query *q,
			  struct cw_store_change **out, size_t *n,
			  struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	struct cw_store_change *cs = NULL;
	size_t cnt = 0, cap = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = store_prepare(s, &st,
			   "SELECT c.id, c.doc_id, s.sid, d.type, "
			   "coalesce(c.from_version, 0), c.to_version, "
			   "coalesce(fv.seq, 0), tv.seq, tv.recorded_at, "
			   "c.materiality, c.n_changes, c.json_blob "
			   "FROM changes c JOIN documents d ON d.id = c.doc_id "
			   "JOIN services s ON s.id = d.service_id "
			   "JOIN versions tv ON tv.id = c.to_version "
			   "LEFT JOIN versions fv ON fv.id = c.from_version "
			   "WHERE (?1 IS NULL OR tv.recorded_at >= ?1) "
			   "AND (?2 IS NULL OR s.sid = ?2) "
			   "AND (?3 = 0 OR c.doc_id = ?3) "
			   "AND (CASE c.materiality WHEN 'substantive' THEN 2 "
			   "WHEN 'editorial' THEN 1 ELSE 0 END) >= ?4 "
			   "ORDER BY tv.recorded_at, c.id "
			   "LIMIT CASE WHEN ?5 > 0 THEN ?5 ELSE -1 END",
			   err);
	if (rc)
		return rc;
	store_bind_text(st, 1, q ? q->since : NULL);
	store_bind_text(st, 2, q ? q->service : NULL);
	sqlite3_bind_int64(st, 3, q ? q->doc_id : 0);
	sqlite3_bind_int(st, 4, materiality_rank(q ? q->min_materiality : NULL));
	sqlite3_bind_int64(st, 5, q ? q->limit : 0);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct cw_store_change *c;
		struct cw_buf json = CW_BUF_INIT;

		CW_GROW(cs, cap, cnt + 1);
		c = &cs[cnt++];
		memset(c, 0, sizeof(*c));
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
		if (rc)
			break;
	}
	if (!rc && r != SQLITE_DONE)
		rc = store_sqlerr(s, err, "listing changes");
	sqlite3_finalize(st);
	if (rc) {
		cw_store_changes_free(cs, cnt);
		return rc;
	}
	*out = cs;
	*n = cnt;
	return CW_OK;
}

static int put_analysis(struct cw_store *s, int64_t version_id,
			const char *json, struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t blob, base = 0;
	int rc;

	/* compress against the analysis of the previous version */
	if (!store_prepare(s, &st,
			   "SELECT a.json_blob FROM analyses a JOIN versions p "
			   "ON p.id = a.version_id JOIN versions v ON v.id = ? "
			   "AND p.doc_id = v.doc_id AND p.seq < v.seq "
			   "ORDER BY p.seq DESC LIMIT 1",
			   NULL)) {
		sqlite3_bind_int64(st, 1, version_id);
		if (sqlite3_step(st) == SQLITE_ROW)
			base = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	rc = store_blob_put(s, json, strlen(json), base, &blob, err);
	if (rc)
		return rc;
	rc = store_prepare(s, &st,
			   "INSERT INTO analyses (version_id, json_blob) VALUES "
			   "(?, ?) ON CONFLICT(version_id) DO UPDATE SET "
			   "json_blob = excluded.json_blob",
			   err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, version_id);
	sqlite3_bind_int64(st, 2, blob);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = store_sqlerr(s, err, "storing an analysis");
	sqlite3_finalize(st);
	return rc;
}

int cw_store_put_analysis(struct cw_store *s, int64_t version_id,
			  const char *json, struct cw_err *err)
{
	return cw_store_begin(s, err) ? err_rc(err) :
	       tx_end(s, put_analysis(s, version_id, json, err), err);
}

int cw_store_get_analysis(struct cw_store *s, int64_t version_id,
			  struct cw_buf *out, struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int64_t blob = 0;
	int rc = store_prepare(s, &st,
			       "SELECT json_blob FROM analyses WHERE version_id = ?",
			       err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, version_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		blob = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (!blob)
		return cw_err_set(err, CW_ENOTFOUND,
				  "version %lld has not been analysed",
				  (long long)version_id);
	return store_blob_get(s, blob, out, err);
}

/* ---- statistics and checks ---- */

static int64_t count(struct cw_store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = 0;

	if (store_prepare(s, &st, sql, NULL))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int cw_store_stats(struct cw_store *s, struct cw_store_stats *out,
		   struct cw_err *err)
{
	memset(out, 0, sizeof(*out));
	out->services = count(s, "SELECT count(*) FROM services");
	out->documents = count(s, "SELECT count(*) FROM documents");
	out->snapshots = count(s, "SELECT count(*) FROM snapshots");
	out->versions = count(s, "SELECT count(*) FROM versions");
	out->attempts = count(s, "SELECT count(*) FROM attempts");
	out->changes = count(s, "SELECT count(*) FROM changes");
	out->blobs = count(s, "SELECT count(*) FROM blobs");
	out->raw_bytes = count(s, "SELECT coalesce(sum(size), 0) FROM blobs");
	out->stored_bytes =
		count(s, "SELECT coalesce(sum(length(data)), 0) FROM blobs");
	if (!s->in_tx)
		sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
					  NULL, NULL);
	out->file_bytes = count(s, "SELECT page_count * page_size FROM "
				   "pragma_page_count(), pragma_page_size()");
	if (out->services < 0)
		return store_sqlerr(s, err, "reading statistics");
	return CW_OK;
}

int cw_store_check(struct cw_store *s, struct cw_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = store_prepare(s, &st, "PRAGMA integrity_check", err);

	if (rc)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		if (!r || strcmp(r, "ok"))
			rc = cw_err_set(err, CW_ESTORE,
					"'%s': integrity check: %s", s->path,
					r ? r : "?");
	}
	sqlite3_finalize(st);
	if (rc)
		return rc;
	rc = store_prepare(s, &st, "PRAGMA foreign_key_check", err);
	if (rc)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		rc = cw_err_set(err, CW_ESTORE,
				"'%s': foreign key violation in table '%s'",
				s->path, sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc;
}
