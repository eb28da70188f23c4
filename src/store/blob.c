/*
 * The blob layer: content-addressed byte strings, zstd-compressed with an
 * optional base blob as prefix dictionary (ZSTD_CCtx_refPrefix). A new
 * version of a document compressed against the previous one costs about
 * the size of what changed, much as a git delta does; chains are cut at
 * s->max_depth so that reading any blob decodes a bounded number of bases.
 * A small cache of decoded blobs makes the common access pattern (the next
 * version of the same document) decode each base once.
 */
#include "store_int.h"

/* Largest raw blob we accept: bigger inputs are refused before this. */
#define BLOB_MAX_RAW (512u << 20)

static struct blob_cache_entry *cache_find(struct cw_store *s, int64_t id)
{
	for (int i = 0; i < BLOB_CACHE; i++)
		if (s->cache[i].id == id && id) {
			s->cache[i].stamp = ++s->clock;
			return &s->cache[i];
		}
	return NULL;
}

static struct blob_cache_entry *cache_slot(struct cw_store *s)
{
	struct blob_cache_entry *lru = &s->cache[0];

	for (int i = 0; i < BLOB_CACHE; i++) {
		if (!s->cache[i].id)
			return &s->cache[i];
		if (s->cache[i].stamp < lru->stamp)
			lru = &s->cache[i];
	}
	return lru;
}

void store_blob_cache_clear(struct cw_store *s)
{
	for (int i = 0; i < BLOB_CACHE; i++) {
		cw_buf_release(&s->cache[i].raw);
		s->cache[i].id = 0;
	}
}

/* Decode blob `id` into the cache (recursively decoding its base). */
static int blob_load(struct cw_store *s, int64_t id, int depth_left,
		     struct blob_cache_entry **out, struct cw_err *err)
{
	struct blob_cache_entry *e = cache_find(s, id), *be;
	sqlite3_stmt *st = NULL;
	int64_t base = 0, size;
	const void *z;
	size_t zlen, got;
	int rc;

	if (e) {
		*out = e;
		return CW_OK;
	}
	if (depth_left < 0)
		return cw_err_set(err, CW_ESTORE,
				  "'%s': blob %lld: base chain too deep",
				  s->path, (long long)id);
	rc = store_prepare(s, &st,
			   "SELECT base, size FROM blobs WHERE id = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return cw_err_set(err, CW_ESTORE, "'%s': blob %lld missing",
				  s->path, (long long)id);
	}
	base = sqlite3_column_int64(st, 0);
	size = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	if (size < 0 || (uint64_t)size > BLOB_MAX_RAW)
		return cw_err_set(err, CW_ESTORE, "'%s': blob %lld: bad size",
				  s->path, (long long)id);
	be = NULL;
	if (base) {
		rc = blob_load(s, base, depth_left - 1, &be, err);
		if (rc)
			return rc;
		/* pin the base while we decode: give it the newest stamp */
		be->stamp = ++s->clock;
	}
	rc = store_prepare(s, &st, "SELECT data FROM blobs WHERE id = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return cw_err_set(err, CW_ESTORE, "'%s': blob %lld missing",
				  s->path, (long long)id);
	}
	z = sqlite3_column_blob(st, 0);
	zlen = (size_t)sqlite3_column_bytes(st, 0);
	e = cache_slot(s);
	if (e == be) /* never evict the base we are about to use */
		e = &s->cache[(be - s->cache + 1) % BLOB_CACHE];
	cw_buf_release(&e->raw);
	e->id = 0;
	cw_buf_init(&e->raw, 0);
	if (cw_buf_grow(&e->raw, (size_t)size)) {
		sqlite3_finalize(st);
		return cw_err_set(err, CW_ETOOBIG, "blob too large");
	}
	ZSTD_DCtx_reset(s->dctx, ZSTD_reset_session_and_parameters);
	ZSTD_DCtx_setParameter(s->dctx, ZSTD_d_windowLogMax, 30);
	if (be)
		ZSTD_DCtx_refPrefix(s->dctx, be->raw.ptr, be->raw.len);
	got = ZSTD_decompressDCtx(s->dctx, e->raw.ptr, (size_t)size + 1, z,
				  zlen);
	sqlite3_finalize(st);
	if (ZSTD_isError(got) || got != (size_t)size)
		return cw_err_set(err, CW_ESTORE,
				  "'%s': blob %lld is corrupt (%s)", s->path,
				  (long long)id,
				  ZSTD_isError(got) ? ZSTD_getErrorName(got)
						    : "size mismatch");
	e->raw.len = got;
	e->raw.ptr[got] = '\0';
	e->id = id;
	e->stamp = ++s->clock;
	*out = e;
	return CW_OK;
}

int store_blob_view(struct cw_store *s, int64_t id, const char **data,
		    size_t *len, struct cw_err *err)
{
	struct blob_cache_entry *e;
	int rc = blob_load(s, id, s->max_depth + 1, &e, err);

	if (rc)
		return rc;
	*data = e->raw.ptr;
	*len = e->raw.len;
	return CW_OK;
}

int store_blob_get(struct cw_store *s, int64_t id, struct cw_buf *out,
		   struct cw_err *err)
{
	const char *d;
	size_t n;
	int rc = store_blob_view(s, id, &d, &n, err);

	if (rc)
		return rc;
	if (cw_buf_add(out, d, n))
		return cw_err_set(err, CW_ETOOBIG, "blob %lld too large",
				  (long long)id);
	return CW_OK;
}

int store_blob_put(struct cw_store *s, const void *raw, size_t len,
		   int64_t base, int64_t *out_id, struct cw_err *err)
{
	unsigned char hash[32];
	sqlite3_stmt *st = NULL;
	struct blob_cache_entry *be = NULL;
	int64_t depth = 0;
	size_t bound, zlen;
	void *z = NULL;
	int rc;

	if (len > BLOB_MAX_RAW)
		return cw_err_set(err, CW_ETOOBIG,
				  "%zu bytes is over the %u byte blob limit",
				  len, BLOB_MAX_RAW);
	cw_sha256(raw, len, hash);
	rc = store_prepare(s, &st, "SELECT id FROM blobs WHERE hash = ?", err);
	if (rc)
		return rc;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out_id = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		return CW_OK;
	}
	sqlite3_finalize(st);

	if (base) {
		rc = store_prepare(s, &st,
				   "SELECT depth FROM blobs WHERE id = ?", err);
		if (rc)
			return rc;
		sqlite3_bind_int64(st, 1, base);
		if (sqlite3_step(st) == SQLITE_ROW)
			depth = sqlite3_column_int64(st, 0) + 1;
		else
			base = 0;
		sqlite3_finalize(st);
		/* cut long chains so reads stay bounded */
		if (depth > s->max_depth) {
			base = 0;
			depth = 0;
		}
	}
	if (base) {
		rc = blob_load(s, base, s->max_depth + 1, &be, err);
		if (rc)
			return rc;
	}
	bound = ZSTD_compressBound(len);
	z = cw_malloc(bound);
	ZSTD_CCtx_reset(s->cctx, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_compressionLevel, s->zlevel);
	ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_checksumFlag, 1);
	if (be) {
		/* the window must reach back over the whole prefix */
		unsigned wlog = 17;
		while (wlog < 30 && ((size_t)1 << wlog) < be->raw.len + len)
			wlog++;
		ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_windowLog, (int)wlog);
		ZSTD_CCtx_refPrefix(s->cctx, be->raw.ptr, be->raw.len);
	}
	zlen = ZSTD_compress2(s->cctx, z, bound, raw, len);
	if (ZSTD_isError(zlen)) {
		free(z);
		return cw_err_set(err, CW_ESTORE, "zstd: %s",
				  ZSTD_getErrorName(zlen));
	}
	rc = store_prepare(s, &st,
			   "INSERT INTO blobs (hash, base, depth, size, data) "
			   "VALUES (?, ?, ?, ?, ?)", err);
	if (rc)
		goto free_z;
	sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
	if (base)
		sqlite3_bind_int64(st, 2, base);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, depth);
	sqlite3_bind_int64(st, 4, (int64_t)len);
	sqlite3_bind_blob(st, 5, z, (int)zlen, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_sqlerr(s, err, "storing a blob");
		sqlite3_finalize(st);
		goto free_z;
	}
	sqlite3_finalize(st);
	*out_id = sqlite3_last_insert_rowid(s->db);
free_z:
	free(z);
	return rc;
}
