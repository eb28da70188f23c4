/*
 * store: the SQLite backend of store.h: opening, documents, snapshots,
 * versions, changes and analyses. Statements go through stmt.h.
 */
#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>

#include "stmt.h"

#define ZLEVEL_DEFAULT 6 /* see docs/internals/store.md for the measurement */
#define CHAIN_DEFAULT 48

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
	/* a new store is the owner's alone: SQLite gives its -wal and -shm
	 * files the mode of the database file */
	{
		int fd =
			open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
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
	/* a migration may read and write blobs, and index words */
	s->cctx = ZSTD_createCCtx();
	s->dctx = ZSTD_createDCtx();
	if (!s->cctx || !s->dctx) {
		rc = cw_err_set(err, CW_ESTORE, "zstd: out of memory");
		goto fail;
	}
	rc = store_search_register(s, err);
	if (!rc)
		rc = store_log_register(s, err);
	if (!rc)
		rc = store_migrate(s, err);
	if (rc)
		goto fail;
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
	/*
	 * Closing has no one to report to: a transaction left open is
	 * undone, as the header promises, and SQLite frees what it can.
	 */
	if (s->in_tx)
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	store_blob_cache_clear(s);
	store_search_close(s);
	explicit_bzero(s->seal_key, sizeof(s->seal_key));
	(void)store_stmt_cache_clear(s);
	(void)sqlite3_close(s->db);
	ZSTD_freeCCtx(s->cctx);
	ZSTD_freeDCtx(s->dctx);
	free(s->path);
	free(s);
}

int cw_store_compact(struct cw_store *s, int64_t recorded, struct cw_err *err)
{
	int64_t versions;
	int rc;

	if (s->in_tx || recorded <= 0)
		return CW_OK;
	rc = store_query_i64(s, "SELECT count(*) FROM versions",
			     "counting versions", STORE_NO_PARAMS, 0, &versions,
			     err);
	if (rc || 2 * recorded < versions)
		return rc;
	/*
	 * Measured on the corpus store (4,305 versions imported): 29.2 MB
	 * after VACUUM against 30.4 MB before. Page sizes of 2, 8 and 16 KiB
	 * gave 29.3, 29.3 and 29.7 MB: the default 4 KiB stays.
	 */
	return store_exec(s, "VACUUM; PRAGMA optimize;", err);
}

const char *cw_store_path(const struct cw_store *s)
{
	return s->path;
}

int cw_store_data_version(struct cw_store *s, int64_t *out, struct cw_err *err)
{
	return store_query_i64(s, "PRAGMA data_version",
			       "reading the store's data version",
			       STORE_NO_PARAMS, 0, out, err);
}

int cw_store_content_mark(struct cw_store *s, int64_t *out, struct cw_err *err)
{
	return store_query_i64(s,
			       "SELECT coalesce((SELECT max(id) FROM "
			       "versions), 0) * 1000003 "
			       "+ (SELECT count(*) FROM analyses) "
			       "+ coalesce((SELECT max(id) FROM changes), 0) * "
			       "7919",
			       "reading the store's content mark",
			       STORE_NO_PARAMS, 0, out, err);
}

/* ---- services and documents ---- */

static int put_service(struct cw_store *s, const char *service,
		       const char *name, const char *decl_path, int64_t *out_id,
		       struct cw_err *err)
{
	char now[CW_TIME_ISO];
	int rc;

	cw_time_now_iso(now);
	rc = store_query_id(s,
			    "INSERT INTO services (sid, name, decl_path, "
			    "created_at) "
			    "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(sid) DO "
			    "UPDATE SET "
			    "name = excluded.name, "
			    "decl_path = coalesce(excluded.decl_path, "
			    "decl_path) "
			    "RETURNING id",
			    "storing a service",
			    STORE_PARAMS(STORE_TEXT(service),
					 STORE_TEXT(name ? name : service),
					 STORE_TEXT(decl_path),
					 STORE_TEXT(now)),
			    out_id, err);
	if (rc == CW_ENOTFOUND) /* an upsert always returns its row */
		rc = cw_err_set(err, CW_ESTORE,
				"'%s': storing a service: "
				"no row returned",
				s->path);
	return rc;
}

int cw_store_put_service(struct cw_store *s, const char *service,
			 const char *name, const char *decl_path,
			 int64_t *out_id, struct cw_err *err)
{
	int rc = cw_store_begin(s, err);

	return rc ? rc
		  : store_tx_end(s,
				 put_service(s, service, name, decl_path,
					     out_id, err),
				 err);
}

static int put_document(struct cw_store *s, const char *service,
			const char *type, const char *decl_json,
			int64_t *out_id, struct cw_err *err)
{
	char now[CW_TIME_ISO];
	int rc;

	cw_time_now_iso(now);
	rc = store_query_id(s,
			    "INSERT INTO documents (service_id, type, "
			    "decl_json, created_at) "
			    "SELECT id, ?2, ?3, ?4 FROM services WHERE sid "
			    "= ?1 "
			    "ON CONFLICT(service_id, type) DO UPDATE SET "
			    "decl_json = coalesce(excluded.decl_json, "
			    "decl_json) "
			    "RETURNING id",
			    "storing a document",
			    STORE_PARAMS(STORE_TEXT(service), STORE_TEXT(type),
					 STORE_TEXT(decl_json),
					 STORE_TEXT(now)),
			    out_id, err);
	if (rc == CW_ENOTFOUND)
		rc = cw_err_set(err, CW_ENOTFOUND, "no service '%s'", service);
	return rc;
}

int cw_store_put_document(struct cw_store *s, const char *service,
			  const char *type, const char *decl_json,
			  int64_t *out_id, struct cw_err *err)
{
	int rc = cw_store_begin(s, err);

	return rc ? rc
		  : store_tx_end(s,
				 put_document(s, service, type, decl_json,
					      out_id, err),
				 err);
}

static const struct store_field doc_fields[] = {
	STORE_FIELD(I64, struct cw_store_doc, id),
	STORE_FIELD(STR, struct cw_store_doc, service),
	STORE_FIELD(STR, struct cw_store_doc, service_name),
	STORE_FIELD(STR, struct cw_store_doc, type),
	STORE_FIELD(STR, struct cw_store_doc, decl_json),
	STORE_FIELD(I64, struct cw_store_doc, n_versions),
	STORE_FIELD(STR, struct cw_store_doc, latest_at),
};
static const struct store_map store_doc_map =
	STORE_MAP(struct cw_store_doc, doc_fields);

void cw_store_doc_release(struct cw_store_doc *d)
{
	store_map_release(&store_doc_map, d);
}

void cw_store_docs_free(struct cw_store_doc *docs, size_t n)
{
	store_map_free_array(&store_doc_map, docs, n);
}

#define DOC_SELECT                                                         \
	"SELECT d.id, s.sid, s.name, d.type, d.decl_json, "                \
	"(SELECT count(*) FROM versions v WHERE v.doc_id = d.id), "        \
	"(SELECT max(recorded_at) FROM versions v WHERE v.doc_id = d.id) " \
	"FROM documents d JOIN services s ON s.id = d.service_id "

int cw_store_find_document(struct cw_store *s, const char *service,
			   const char *type, struct cw_store_doc *out,
			   struct cw_err *err)
{
	int rc = store_query_row(
		s, DOC_SELECT "WHERE s.sid = ?1 AND d.type = ?2",
		"finding a document",
		STORE_PARAMS(STORE_TEXT(service), STORE_TEXT(type)),
		&store_doc_map, NULL, NULL, out, err);

	if (rc == CW_ENOTFOUND)
		rc = cw_err_set(err, CW_ENOTFOUND, "no document '%s/%s'",
				service, type);
	return rc;
}

int cw_store_get_document_by_id(struct cw_store *s, int64_t doc_id,
				struct cw_store_doc *out, struct cw_err *err)
{
	int rc = store_query_row(s, DOC_SELECT "WHERE d.id = ?1",
				 "reading a document",
				 STORE_PARAMS(STORE_I64(doc_id)),
				 &store_doc_map, NULL, NULL, out, err);

	if (rc == CW_ENOTFOUND)
		rc = cw_err_set(err, CW_ENOTFOUND, "no document with id %lld",
				(long long)doc_id);
	return rc;
}

int cw_store_list_documents(struct cw_store *s, const char *service,
			    const char *type, struct cw_store_doc **out,
			    size_t *n, struct cw_err *err)
{
	return store_query_list(
		s,
		DOC_SELECT "WHERE (?1 IS NULL OR s.sid = ?1) "
			   "AND (?2 IS NULL OR d.type = ?2) "
			   "ORDER BY s.sid, d.type",
		"listing documents",
		STORE_PARAMS(STORE_TEXT(service), STORE_TEXT(type)),
		&store_doc_map, NULL, NULL, (void **)out, n, err);
}

/* ---- snapshots ---- */

/* The newest blob of a stream, to compress the next one against (0: none). */
static int latest_page_blob(struct cw_store *s, int64_t doc_id, size_t idx,
			    int64_t *out, struct cw_err *err)
{
	return store_query_i64(s,
			       "SELECT p.blob FROM snapshot_pages p JOIN "
			       "snapshots n "
			       "ON n.id = p.snapshot_id WHERE n.doc_id = ? "
			       "AND p.idx = ? "
			       "ORDER BY n.id DESC LIMIT 1",
			       "finding a page's previous blob",
			       STORE_PARAMS(STORE_I64(doc_id),
					    STORE_I64((int64_t)idx)),
			       0, out, err);
}

/* Is the latest snapshot of `doc_id` the one with hash `all`? */
static int same_snapshot(struct cw_store *s, int64_t doc_id,
			 const unsigned char all[32], int64_t *out_id,
			 struct cw_err *err)
{
	/* a BLOB equals a BLOB when bytes and length do: memcmp of 32 */
	return store_query_i64(s,
			       "SELECT CASE WHEN hash = ?2 THEN id ELSE 0 END "
			       "FROM snapshots WHERE doc_id = ?1 "
			       "ORDER BY id DESC LIMIT 1",
			       "reading the latest snapshot",
			       STORE_PARAMS(STORE_I64(doc_id),
					    STORE_BLOB(all, 32)),
			       0, out_id, err);
}

static int add_page(struct cw_store *s, int64_t doc_id, int64_t sid, size_t i,
		    const struct cw_store_page *page, struct cw_err *err)
{
	int64_t blob, base;
	int rc;

	rc = latest_page_blob(s, doc_id, i, &base, err);
	if (!rc)
		rc = store_blob_put(s, page->data, page->len, base, &blob, err);
	if (rc)
		return rc;
	return store_query_run(
		s,
		"INSERT INTO snapshot_pages (snapshot_id, idx, "
		"blob, url, content_type, charset) "
		"VALUES (?, ?, ?, ?, ?, ?)",
		"storing a snapshot page",
		STORE_PARAMS(STORE_I64(sid), STORE_I64((int64_t)i),
			     STORE_I64(blob), STORE_TEXT(page->url),
			     STORE_TEXT(page->content_type),
			     STORE_TEXT(page->charset)),
		err);
}

static int add_snapshot(struct cw_store *s, int64_t doc_id,
			const struct cw_store_page *pages, size_t n,
			const char *fetched_at, int64_t *out_id, bool *out_new,
			struct cw_err *err)
{
	unsigned char all[32];
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

	rc = same_snapshot(s, doc_id, all, &sid, err);
	if (rc || sid) {
		cw_buf_release(&hashes);
		if (!rc)
			*out_id = sid;
		return rc;
	}
	rc = store_query_id(
		s,
		"INSERT INTO snapshots (doc_id, fetched_at, "
		"hash, n_pages) "
		"VALUES (?, ?, ?, ?) RETURNING id",
		"storing a snapshot",
		STORE_PARAMS(STORE_I64(doc_id), STORE_TEXT(fetched_at),
			     STORE_BLOB(all, 32), STORE_I64((int64_t)n)),
		&sid, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		rc = add_page(s, doc_id, sid, i, &pages[i], err);
		if (!rc)
			rc = store_log_snapshot_page(
				s, sid, i, pages[i].data, pages[i].len,
				(const unsigned char *)hashes.ptr + 32 * i,
				err);
		if (rc) {
			cw_buf_release(&hashes);
			return rc;
		}
	}
	cw_buf_release(&hashes);
	*out_id = sid;
	*out_new = true;
	return CW_OK;
}

int cw_store_add_snapshot(struct cw_store *s, int64_t doc_id,
			  const struct cw_store_page *pages, size_t n,
			  const char *fetched_at, int64_t *out_id,
			  bool *out_new, struct cw_err *err)
{
	int rc;

	if (n == 0)
		return cw_err_set(err, CW_EINVAL, "a snapshot needs a page");
	rc = cw_store_begin(s, err);
	if (rc)
		return rc;
	return store_tx_end(s,
			    add_snapshot(s, doc_id, pages, n, fetched_at,
					 out_id, out_new, err),
			    err);
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
	struct store_stmt q;
	struct cw_store_page_data *pages = NULL;
	size_t cnt = 0, cap = 0;
	int rc, r;

	*out = NULL;
	*n = 0;
	rc = store_stmt_prepare_with(&q, s,
				     "SELECT blob, url, content_type, charset "
				     "FROM snapshot_pages WHERE snapshot_id = "
				     "? ORDER BY idx",
				     "reading a snapshot",
				     STORE_PARAMS(STORE_I64(snapshot_id)), err);
	if (rc)
		return rc;
	/* a cw_buf is not a mapped field: the pages are read by hand */
	while ((r = store_stmt_step(&q, err)) > 0) {
		struct cw_store_page_data *p;

		CW_GROW(pages, cap, cnt + 1);
		p = &pages[cnt++];
		memset(p, 0, sizeof(*p));
		p->url = store_col_str(&q, 1);
		p->content_type = store_col_str(&q, 2);
		p->charset = store_col_str(&q, 3);
		r = store_blob_get(s, store_col_i64(&q, 0), &p->data, err);
		if (r)
			break;
	}
	rc = store_stmt_finish(&q, r, err);
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
	/* the names are what the attempts table's outcome column holds */
	static const char *const names[] = {
		[CW_STORE_NEW_VERSION] = "new_version",
		[CW_STORE_UNCHANGED] = "unchanged",
		[CW_STORE_FAILED] = "failed",
		[CW_STORE_EXTRACT_FAILED] = "extraction_failed",
	};

	if (outcome < 0 ||
	    (size_t)outcome >= sizeof(names) / sizeof(names[0]) ||
	    !names[outcome])
		return "unknown";
	return names[outcome];
}

int cw_store_add_attempt(struct cw_store *s, const struct cw_store_attempt *a,
			 struct cw_err *err)
{
	return store_query_run(
		s,
		"INSERT INTO attempts (doc_id, at, url, status, bytes, "
		"outcome, error, snapshot_id, seconds) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		"recording a fetch attempt",
		STORE_PARAMS(STORE_I64(a->doc_id), STORE_TEXT(a->at),
			     STORE_TEXT(a->url), STORE_I64(a->status),
			     STORE_I64(a->bytes),
			     STORE_TEXT(cw_store_outcome_name(a->outcome)),
			     STORE_TEXT(a->error), STORE_ID(a->snapshot_id),
			     STORE_DBL(a->seconds)),
		err);
}

/* ---- versions ---- */

static const struct store_field version_fields[] = {
	STORE_FIELD(I64, struct cw_store_version, id),
	STORE_FIELD(I64, struct cw_store_version, doc_id),
	STORE_FIELD(I64, struct cw_store_version, seq),
	STORE_FIELD(STR, struct cw_store_version, recorded_at),
	STORE_FIELD(STR, struct cw_store_version, stated_date),
	STORE_FIELD(I64, struct cw_store_version, snapshot_id),
	STORE_FIELD(HEX32, struct cw_store_version, text_hash),
	STORE_FIELD(I64, struct cw_store_version, text_len),
	STORE_FIELD(I64, struct cw_store_version, n_provisions),
	STORE_FIELD(STR, struct cw_store_version, origin),
};
static const struct store_map version_map =
	STORE_MAP(struct cw_store_version, version_fields);

void cw_store_version_release(struct cw_store_version *v)
{
	store_map_release(&version_map, v);
}

void cw_store_versions_free(struct cw_store_version *v, size_t n)
{
	store_map_free_array(&version_map, v, n);
}

#define VERSION_SELECT                                                 \
	"SELECT v.id, v.doc_id, v.seq, v.recorded_at, v.stated_date, " \
	"coalesce(v.snapshot_id, 0), b.hash, b.size, v.n_provisions, " \
	"v.origin "                                                    \
	"FROM versions v JOIN blobs b ON b.id = v.text_blob "

/* The latest version of a document, as record_version needs it. */
struct latest {
	int64_t id, seq, text_blob, prov_blob;
	unsigned char hash[32];
};

static const struct store_field latest_fields[] = {
	STORE_FIELD(I64, struct latest, id),
	STORE_FIELD(I64, struct latest, seq),
	STORE_FIELD(I64, struct latest, text_blob),
	STORE_FIELD(I64, struct latest, prov_blob),
	STORE_FIELD(HASH, struct latest, hash),
};
static const struct store_map latest_map =
	STORE_MAP(struct latest, latest_fields);

/* Latest version's id, seq, blobs and hash; all 0 when there is none. */
static int latest_version(struct cw_store *s, int64_t doc_id,
			  struct latest *out, struct cw_err *err)
{
	int rc = store_query_row(s,
				 "SELECT v.id, v.seq, v.text_blob, "
				 "v.provisions_blob, "
				 "b.hash FROM versions v JOIN blobs b ON "
				 "b.id = v.text_blob WHERE v.doc_id = ? "
				 "ORDER BY v.seq DESC LIMIT 1",
				 "reading the latest version",
				 STORE_PARAMS(STORE_I64(doc_id)), &latest_map,
				 NULL, NULL, out, err);

	return rc == CW_ENOTFOUND ? CW_OK : rc;
}

static int record_version(struct cw_store *s, int64_t doc_id,
			  const struct cw_store_version_in *in, int64_t *out_id,
			  struct cw_err *err)
{
	unsigned char hash[32];
	struct latest last;
	int64_t text_blob, prov_blob, id;
	struct cw_buf enc = CW_BUF_INIT;
	int rc;

	rc = latest_version(s, doc_id, &last, err);
	if (rc)
		return rc;
	cw_sha256(in->text, in->len, hash);
	if (last.id && !memcmp(hash, last.hash, 32)) {
		if (out_id)
			*out_id = last.id;
		return CW_EUNCHANGED;
	}
	rc = store_blob_put(s, in->text, in->len, last.text_blob, &text_blob,
			    err);
	if (rc)
		return rc;
	store_encode_provisions(&enc, in->seg);
	rc = store_blob_put(s, enc.ptr, enc.len, last.prov_blob, &prov_blob,
			    err);
	cw_buf_release(&enc);
	if (rc)
		return rc;
	rc = store_query_id(
		s,
		"INSERT INTO versions (doc_id, seq, "
		"recorded_at, "
		"stated_date, snapshot_id, text_blob, "
		"provisions_blob, "
		"n_provisions, origin) VALUES (?, ?, ?, ?, ?, "
		"?, ?, ?, ?) "
		"RETURNING id",
		"recording a version",
		STORE_PARAMS(STORE_I64(doc_id), STORE_I64(last.seq + 1),
			     STORE_TEXT(in->recorded_at),
			     STORE_TEXT(in->stated_date),
			     STORE_ID(in->snapshot_id), STORE_I64(text_blob),
			     STORE_I64(prov_blob),
			     STORE_I64((int64_t)in->seg->n),
			     STORE_TEXT(in->origin ? in->origin : "unknown")),
		&id, err);
	if (!rc)
		rc = store_search_index(s, doc_id, id, text_blob, in->text,
					in->len, in->seg, err);
	if (!rc)
		rc = store_log_version(s, id, in->text, in->len, hash, in->seg,
				       err);
	if (!rc && out_id)
		*out_id = id;
	return rc;
}

int cw_store_record_version(struct cw_store *s, int64_t doc_id,
			    const struct cw_store_version_in *in,
			    int64_t *out_id, struct cw_err *err)
{
	int rc;

	if (!in->seg || !in->recorded_at)
		return cw_err_set(err, CW_EINVAL,
				  "a version needs provisions and a date");
	rc = cw_store_begin(s, err);
	if (rc)
		return rc;
	return store_tx_end(s, record_version(s, doc_id, in, out_id, err), err);
}

int cw_store_list_versions(struct cw_store *s, int64_t doc_id,
			   struct cw_store_version **out, size_t *n,
			   struct cw_err *err)
{
	return store_query_list(s,
				VERSION_SELECT "WHERE v.doc_id = ? ORDER BY "
					       "v.seq",
				"listing versions",
				STORE_PARAMS(STORE_I64(doc_id)), &version_map,
				NULL, NULL, (void **)out, n, err);
}

/* The one row of `sql` into `out`; CW_ENOTFOUND naming `what` if none. */
static int one_version(struct cw_store *s, const char *sql,
		       struct store_params p, struct cw_store_version *out,
		       const char *what, struct cw_err *err)
{
	int rc = store_query_row(s, sql, "reading a version", p, &version_map,
				 NULL, NULL, out, err);

	if (rc == CW_ENOTFOUND)
		rc = cw_err_set(err, CW_ENOTFOUND, "no %s", what);
	return rc;
}

int cw_store_get_version(struct cw_store *s, int64_t doc_id, int64_t seq,
			 struct cw_store_version *out, struct cw_err *err)
{
	char what[64];

	if (seq >= 1) {
		snprintf(what, sizeof(what), "version %lld", (long long)seq);
		return one_version(s,
				   VERSION_SELECT "WHERE v.doc_id = ? AND "
						  "v.seq = ?",
				   STORE_PARAMS(STORE_I64(doc_id),
						STORE_I64(seq)),
				   out, what, err);
	}
	snprintf(what, sizeof(what), seq ? "version latest%lld" : "version",
		 (long long)seq);
	return one_version(s,
			   VERSION_SELECT "WHERE v.doc_id = ? "
					  "ORDER BY v.seq DESC "
					  "LIMIT 1 OFFSET ?",
			   STORE_PARAMS(STORE_I64(doc_id), STORE_I64(-seq)),
			   out, what, err);
}

int cw_store_get_version_at(struct cw_store *s, int64_t doc_id, const char *at,
			    struct cw_store_version *out, struct cw_err *err)
{
	char what[96];

	snprintf(what, sizeof(what), "version at '%s'", at);
	return one_version(s,
			   VERSION_SELECT "WHERE v.doc_id = ? AND "
					  "v.recorded_at <= ? "
					  "ORDER BY v.recorded_at DESC, "
					  "v.seq DESC LIMIT 1",
			   STORE_PARAMS(STORE_I64(doc_id), STORE_TEXT(at)), out,
			   what, err);
}

int cw_store_load_text(struct cw_store *s, int64_t version_id,
		       struct cw_buf *out, struct cw_err *err)
{
	return store_version_load(s, version_id, out, NULL, err);
}

int cw_store_load_provisions(struct cw_store *s, int64_t version_id,
			     struct cw_segmentation **out, struct cw_err *err)
{
	return store_version_load(s, version_id, NULL, out, err);
}

/* ---- changes and analyses ---- */

static int put_change(struct cw_store *s, const struct cw_store_change_in *c,
		      int64_t *out_id, struct cw_err *err)
{
	int64_t blob, base, id = 0;
	int rc;

	rc = store_query_i64(s,
			     "SELECT json_blob FROM changes WHERE doc_id = "
			     "? "
			     "ORDER BY id DESC LIMIT 1",
			     "finding the previous change",
			     STORE_PARAMS(STORE_I64(c->doc_id)), 0, &base, err);
	if (!rc)
		rc = store_blob_put(s, c->json, strlen(c->json), base, &blob,
				    err);
	if (rc)
		return rc;
	rc = store_query_id(
		s,
		"INSERT INTO changes (doc_id, from_version, "
		"to_version, "
		"materiality, n_changes, json_blob) VALUES (?, "
		"?, ?, ?, ?, ?) "
		"ON CONFLICT(to_version) DO UPDATE SET "
		"materiality = excluded.materiality, "
		"n_changes = excluded.n_changes, json_blob = "
		"excluded.json_blob "
		"RETURNING id",
		"recording a change",
		STORE_PARAMS(STORE_I64(c->doc_id), STORE_ID(c->from_version),
			     STORE_I64(c->to_version),
			     STORE_TEXT(c->materiality ? c->materiality
						       : "cosmetic"),
			     STORE_I64(c->n_changes), STORE_I64(blob)),
		&id, err);
	if (rc == CW_ENOTFOUND)
		rc = cw_err_set(err, CW_ESTORE,
				"'%s': recording a change: "
				"no row returned",
				s->path);
	if (!rc)
		rc = store_log_record(s, "change", id, c->json, err);
	if (!rc && out_id)
		*out_id = id;
	return rc;
}

int cw_store_put_change(struct cw_store *s, const struct cw_store_change_in *c,
			int64_t *out_id, struct cw_err *err)
{
	int rc = cw_store_begin(s, err);

	return rc ? rc : store_tx_end(s, put_change(s, c, out_id, err), err);
}

/* The last column of CHANGE_SELECT, the JSON's blob, is read by change_json. */
static const struct store_field change_fields[] = {
	STORE_FIELD(I64, struct cw_store_change, id),
	STORE_FIELD(I64, struct cw_store_change, doc_id),
	STORE_FIELD(STR, struct cw_store_change, service),
	STORE_FIELD(STR, struct cw_store_change, type),
	STORE_FIELD(I64, struct cw_store_change, from_version),
	STORE_FIELD(I64, struct cw_store_change, to_version),
	STORE_FIELD(I64, struct cw_store_change, from_seq),
	STORE_FIELD(I64, struct cw_store_change, to_seq),
	STORE_FIELD(STR, struct cw_store_change, recorded_at),
	STORE_FIELD(STR, struct cw_store_change, materiality),
	STORE_FIELD(I64, struct cw_store_change, n_changes),
	STORE_FIELD(OWNED, struct cw_store_change, json),
};
static const struct store_map change_map =
	STORE_MAP(struct cw_store_change, change_fields);
#define CHANGE_JSON_COL 11

#define CHANGE_SELECT                                         \
	"SELECT c.id, c.doc_id, s.sid, d.type, "              \
	"coalesce(c.from_version, 0), c.to_version, "         \
	"coalesce(fv.seq, 0), tv.seq, tv.recorded_at, "       \
	"c.materiality, c.n_changes, c.json_blob "            \
	"FROM changes c JOIN documents d ON d.id = c.doc_id " \
	"JOIN services s ON s.id = d.service_id "             \
	"JOIN versions tv ON tv.id = c.to_version "           \
	"LEFT JOIN versions fv ON fv.id = c.from_version "

static int change_json(struct store_stmt *q, void *elem, void *ctx,
		       struct cw_err *err)
{
	struct cw_store_change *c = elem;
	struct cw_buf json = CW_BUF_INIT;
	int rc;

	(void)ctx;
	rc = store_blob_get(q->s, store_col_i64(q, CHANGE_JSON_COL), &json,
			    err);
	c->json = cw_buf_detach(&json, NULL);
	return rc;
}

void cw_store_change_release(struct cw_store_change *c)
{
	if (c)
		store_map_release(&change_map, c);
}

void cw_store_changes_free(struct cw_store_change *c, size_t n)
{
	store_map_free_array(&change_map, c, n);
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
			  const struct cw_store_change_query *cq,
			  struct cw_store_change **out, size_t *n,
			  struct cw_err *err)
{
#define CHANGE_LIST(order)                                                 \
	CHANGE_SELECT "WHERE (?1 IS NULL OR tv.recorded_at >= ?1) "        \
		      "AND (?2 IS NULL OR s.sid = ?2) "                    \
		      "AND (?3 = 0 OR c.doc_id = ?3) "                     \
		      "AND (CASE c.materiality WHEN 'substantive' THEN 2 " \
		      "WHEN 'editorial' THEN 1 ELSE 0 END) >= ?4 "         \
		      "AND (?6 IS NULL OR tv.recorded_at <= ?6) "          \
		      "ORDER BY " order " LIMIT CASE WHEN ?5 > 0 THEN ?5 " \
		      "ELSE -1 END"
	return store_query_list(
		s,
		cq && cq->newest_first ? CHANGE_LIST("tv.recorded_at DESC, "
						     "c.id DESC")
				       : CHANGE_LIST("tv.recorded_at, c.id"),
		"listing changes",
		STORE_PARAMS(STORE_TEXT(cq ? cq->since : NULL),
			     STORE_TEXT(cq ? cq->service : NULL),
			     STORE_I64(cq ? cq->doc_id : 0),
			     STORE_I64(materiality_rank(cq ? cq->min_materiality
							   : NULL)),
			     STORE_I64(cq ? cq->limit : 0),
			     STORE_TEXT(cq ? cq->until : NULL)),
		&change_map, change_json, NULL, (void **)out, n, err);
#undef CHANGE_LIST
}

int cw_store_get_change(struct cw_store *s, int64_t change_id,
			struct cw_store_change *c, struct cw_err *err)
{
	int rc = store_query_row(s, CHANGE_SELECT "WHERE c.id = ?1",
				 "reading a change",
				 STORE_PARAMS(STORE_I64(change_id)),
				 &change_map, change_json, NULL, c, err);

	if (rc == CW_ENOTFOUND)
		rc = cw_err_set(err, CW_ENOTFOUND, "no change with id %lld",
				(long long)change_id);
	return rc;
}

static int put_analysis(struct cw_store *s, int64_t version_id,
			const char *json, struct cw_err *err)
{
	int64_t blob, base;
	int rc;

	/* compress against the analysis of the previous version */
	rc = store_query_i64(s,
			     "SELECT a.json_blob FROM analyses a JOIN "
			     "versions p "
			     "ON p.id = a.version_id JOIN versions v ON "
			     "v.id = ? "
			     "AND p.doc_id = v.doc_id AND p.seq < v.seq "
			     "ORDER BY p.seq DESC LIMIT 1",
			     "finding the previous analysis",
			     STORE_PARAMS(STORE_I64(version_id)), 0, &base,
			     err);
	if (!rc)
		rc = store_blob_put(s, json, strlen(json), base, &blob, err);
	if (rc)
		return rc;
	rc = store_query_run(
		s,
		"INSERT INTO analyses (version_id, json_blob) "
		"VALUES "
		"(?, ?) ON CONFLICT(version_id) DO UPDATE SET "
		"json_blob = excluded.json_blob",
		"storing an analysis",
		STORE_PARAMS(STORE_I64(version_id), STORE_I64(blob)), err);
	return rc ? rc : store_log_record(s, "analysis", version_id, json, err);
}

int cw_store_put_analysis(struct cw_store *s, int64_t version_id,
			  const char *json, struct cw_err *err)
{
	int rc = cw_store_begin(s, err);

	return rc ? rc
		  : store_tx_end(s, put_analysis(s, version_id, json, err),
				 err);
}

int cw_store_get_analysis(struct cw_store *s, int64_t version_id,
			  struct cw_buf *out, struct cw_err *err)
{
	int64_t blob;
	int rc = store_query_i64(s,
				 "SELECT json_blob FROM analyses WHERE "
				 "version_id = ?",
				 "reading an analysis",
				 STORE_PARAMS(STORE_I64(version_id)), 0, &blob,
				 err);
	if (rc)
		return rc;
	if (!blob)
		return cw_err_set(err, CW_ENOTFOUND,
				  "version %lld has not been analysed",
				  (long long)version_id);
	return store_blob_get(s, blob, out, err);
}

/* ---- statistics and checks ---- */

int cw_store_stats(struct cw_store *s, struct cw_store_stats *out,
		   struct cw_err *err)
{
	static const struct {
		const char *sql;
		size_t off;
	} counts[] = {
		{ "SELECT count(*) FROM services",
		  offsetof(struct cw_store_stats, services) },
		{ "SELECT count(*) FROM documents",
		  offsetof(struct cw_store_stats, documents) },
		{ "SELECT count(*) FROM snapshots",
		  offsetof(struct cw_store_stats, snapshots) },
		{ "SELECT count(*) FROM versions",
		  offsetof(struct cw_store_stats, versions) },
		{ "SELECT count(*) FROM attempts",
		  offsetof(struct cw_store_stats, attempts) },
		{ "SELECT count(*) FROM changes",
		  offsetof(struct cw_store_stats, changes) },
		{ "SELECT count(*) FROM blobs",
		  offsetof(struct cw_store_stats, blobs) },
		{ "SELECT coalesce(sum(size), 0) FROM blobs",
		  offsetof(struct cw_store_stats, raw_bytes) },
		{ "SELECT coalesce(sum(length(data)), 0) FROM blobs",
		  offsetof(struct cw_store_stats, stored_bytes) },
	};
	int rc;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		rc = store_query_i64(s, counts[i].sql, "reading statistics",
				     STORE_NO_PARAMS, 0,
				     (int64_t *)((char *)out + counts[i].off),
				     err);
		if (rc)
			return rc;
	}
	/*
	 * The file size is measured after folding the WAL into the file;
	 * a checkpoint that cannot run now (a reader holds the WAL) only
	 * makes the figure include less, so its result is not a failure.
	 */
	if (!s->in_tx)
		(void)sqlite3_wal_checkpoint_v2(
			s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	return store_query_i64(s,
			       "SELECT page_count * page_size FROM "
			       "pragma_page_count(), pragma_page_size()",
			       "reading statistics", STORE_NO_PARAMS, 0,
			       &out->file_bytes, err);
}

/* The first column of a check's first row (a pragma's report). */
struct check_row {
	char *text;
};
static const struct store_field check_fields[] = {
	STORE_FIELD(STR, struct check_row, text),
};
static const struct store_map check_map =
	STORE_MAP(struct check_row, check_fields);

int cw_store_check(struct cw_store *s, struct cw_err *err)
{
	struct check_row r;
	int rc = store_query_row(s, "PRAGMA integrity_check",
				 "checking integrity", STORE_NO_PARAMS,
				 &check_map, NULL, NULL, &r, err);

	if (!rc && !(r.text && !strcmp(r.text, "ok")))
		rc = cw_err_set(err, CW_ESTORE, "'%s': integrity check: %s",
				s->path, r.text ? r.text : "?");
	store_map_release(&check_map, &r);
	if (rc && rc != CW_ENOTFOUND)
		return rc;
	/* a row names a table with a violation; none is the good news */
	rc = store_query_row(s, "PRAGMA foreign_key_check",
			     "checking foreign keys", STORE_NO_PARAMS,
			     &check_map, NULL, NULL, &r, err);
	if (!rc)
		rc = cw_err_set(err, CW_ESTORE,
				"'%s': foreign key violation in table '%s'",
				s->path, r.text ? r.text : "?");
	store_map_release(&check_map, &r);
	if (rc && rc != CW_ENOTFOUND)
		return rc;
	return store_search_check(s, err);
}
