/*
 * The blob layer: content-addressed byte strings, zstd-compressed with an
 * optional base blob as prefix dictionary (ZSTD_CCtx_refPrefix). A new
 * version of a document compressed against the previous one costs about
 * the size of what changed, much as a git delta does; chains are cut at
 * s->max_depth so that reading any blob decodes a bounded number of bases.
 * A small cache of decoded blobs makes the common access pattern (the next
 * version of the same document) decode each base once.
 */
#include "stmt.h"

/* Largest raw blob we accept: bigger inputs are refused before this. */
#define BLOB_MAX_RAW (512u << 20)

static struct blob_cache_entry *cache_find(struct cw_store *s, int64_t id)
{
	for (int i = 0; i < BLOB_CACHE; i++)
		if (s->cache[i].id == id && id &&
		    s->cache[i].gen == s->cache_gen) {
			s->cache[i].stamp = ++s->clock;
			return &s->cache[i];
		}
	return NULL;
}

static struct blob_cache_entry *cache_slot(struct cw_store *s)
{
	struct blob_cache_entry *lru = &s->cache[0];

	for (int i = 0; i < BLOB_CACHE; i++) {
		if (!s->cache[i].id || s->cache[i].gen != s->cache_gen)
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

static int blob_missing(struct cw_store *s, int64_t id, struct cw_err *err)
{
	return cw_err_set(err, CW_ESTORE, "'%s': blob %lld missing", s->path,
			  (long long)id);
}

/* A blob's row without its data. */
struct blob_head {
	int64_t base; /* 0: none */
	int64_t size; /* raw size */
};
static const struct store_field blob_head_fields[] = {
	STORE_FIELD(I64, struct blob_head, base),
	STORE_FIELD(I64, struct blob_head, size),
};
static const struct store_map blob_head_map =
	STORE_MAP(struct blob_head, blob_head_fields);

static int blob_head(struct cw_store *s, int64_t id, struct blob_head *out,
		     struct cw_err *err)
{
	int rc = store_query_row(s, "SELECT base, size FROM blobs WHERE id = ?",
				 "reading a blob", STORE_PARAMS(STORE_I64(id)),
				 &blob_head_map, NULL, NULL, out, err);

	return rc == CW_ENOTFOUND ? blob_missing(s, id, err) : rc;
}

/* Decompress blob `id`'s frame into `e` (its base, if any, is `be`). */
static int blob_decode(struct cw_store *s, int64_t id, int64_t size,
		       struct blob_cache_entry *be, struct blob_cache_entry *e,
		       struct cw_err *err)
{
	struct store_stmt q;
	const void *z;
	size_t zlen, got;
	int rc = store_stmt_prepare_with(&q, s,
					 "SELECT data FROM blobs WHERE id = ?",
					 "reading a blob",
					 STORE_PARAMS(STORE_I64(id)), err);
	if (rc)
		return rc;
	rc = store_stmt_step(&q, err);
	if (rc == 0)
		rc = blob_missing(s, id, err);
	if (rc < 0)
		return store_stmt_finish(&q, rc, err);
	z = store_col_blob(&q, 0, &zlen);
	cw_buf_release(&e->raw);
	e->id = 0;
	cw_buf_init(&e->raw, BLOB_MAX_RAW); /* size was checked against it */
	if (cw_buf_grow(&e->raw, (size_t)size))
		return store_stmt_finish(
			&q, cw_err_set(err, CW_ETOOBIG, "blob too large"), err);
	ZSTD_DCtx_reset(s->dctx, ZSTD_reset_session_and_parameters);
	ZSTD_DCtx_setParameter(s->dctx, ZSTD_d_windowLogMax, 30);
	if (be)
		ZSTD_DCtx_refPrefix(s->dctx, be->raw.ptr, be->raw.len);
	got = ZSTD_decompressDCtx(s->dctx, e->raw.ptr, (size_t)size + 1, z,
				  zlen);
	rc = store_stmt_finish(&q, CW_OK, err);
	if (rc)
		return rc;
	if (ZSTD_isError(got) || got != (size_t)size)
		return cw_err_set(err, CW_ESTORE,
				  "'%s': blob %lld is corrupt (%s)", s->path,
				  (long long)id,
				  ZSTD_isError(got) ? ZSTD_getErrorName(got)
						    : "size mismatch");
	e->raw.len = got;
	e->raw.ptr[got] = '\0';
	return CW_OK;
}

/* Decode blob `id` into the cache (recursively decoding its base). */
static int blob_load(struct cw_store *s, int64_t id, int depth_left,
		     struct blob_cache_entry **out, struct cw_err *err)
{
	struct blob_cache_entry *e = cache_find(s, id), *be = NULL;
	struct blob_head head;
	int rc;

	if (e) {
		*out = e;
		return CW_OK;
	}
	if (depth_left < 0)
		return cw_err_set(err, CW_ESTORE,
				  "'%s': blob %lld: base chain too deep",
				  s->path, (long long)id);
	rc = blob_head(s, id, &head, err);
	if (rc)
		return rc;
	if (head.size < 0 || (uint64_t)head.size > BLOB_MAX_RAW)
		return cw_err_set(err, CW_ESTORE, "'%s': blob %lld: bad size",
				  s->path, (long long)id);
	if (head.base) {
		rc = blob_load(s, head.base, depth_left - 1, &be, err);
		if (rc)
			return rc;
		/* pin the base while we decode: give it the newest stamp */
		be->stamp = ++s->clock;
	}
	e = cache_slot(s);
	if (e == be) /* never evict the base we are about to use */
		e = &s->cache[(be - s->cache + 1) % BLOB_CACHE];
	rc = blob_decode(s, id, head.size, be, e, err);
	if (rc)
		return rc;
	e->id = id;
	e->gen = s->cache_gen;
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
	/* an uncapped buffer gets the blob cap, as cw_file_read does */
	if (!out->max)
		out->max = BLOB_MAX_RAW;
	if (cw_buf_add(out, d, n))
		return cw_err_set(err, CW_ETOOBIG,
				  "'%s': blob %lld: %zu bytes, over the cap of "
				  "%zu",
				  s->path, (long long)id, n, out->max);
	return CW_OK;
}

/* The id of the blob whose raw bytes hash to `hash`, 0 if none. */
static int blob_find(struct cw_store *s, const unsigned char hash[32],
		     int64_t *out, struct cw_err *err)
{
	return store_query_i64(s, "SELECT id FROM blobs WHERE hash = ?",
			       "finding a blob",
			       STORE_PARAMS(STORE_BLOB(hash, 32)), 0, out, err);
}

/* Depth a blob based on `base` gets: -1 when `base` does not exist. */
static int blob_depth(struct cw_store *s, int64_t base, int64_t *out,
		      struct cw_err *err)
{
	return store_query_i64(s, "SELECT depth + 1 FROM blobs WHERE id = ?",
			       "reading a blob", STORE_PARAMS(STORE_I64(base)),
			       -1, out, err);
}

int store_blob_put(struct cw_store *s, const void *raw, size_t len,
		   int64_t base, int64_t *out_id, struct cw_err *err)
{
	unsigned char hash[32];
	struct blob_cache_entry *be = NULL;
	int64_t depth = 0, found;
	size_t bound, zlen;
	void *z = NULL;
	int rc;

	if (len > BLOB_MAX_RAW)
		return cw_err_set(err, CW_ETOOBIG,
				  "%zu bytes is over the %u byte blob limit",
				  len, BLOB_MAX_RAW);
	cw_sha256(raw, len, hash);
	rc = blob_find(s, hash, &found, err);
	if (rc)
		return rc;
	if (found) {
		*out_id = found;
		return CW_OK;
	}
	if (base) {
		rc = blob_depth(s, base, &depth, err);
		if (rc)
			return rc;
		/* a missing base, or a long chain cut so reads stay bounded */
		if (depth < 0 || depth > s->max_depth) {
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
	rc = store_query_id(s,
			    "INSERT INTO blobs (hash, base, depth, size, "
			    "data) "
			    "VALUES (?, ?, ?, ?, ?) RETURNING id",
			    "storing a blob",
			    STORE_PARAMS(STORE_BLOB(hash, 32), STORE_ID(base),
					 STORE_I64(depth),
					 STORE_I64((int64_t)len),
					 STORE_BLOB(z, zlen)),
			    out_id, err);
	free(z);
	return rc;
}

/* ---- a version's text and provisions ---- */

/* The blobs of a version's text and of its provision list. */
struct version_blobs {
	int64_t text, provisions;
};
static const struct store_field version_blobs_fields[] = {
	STORE_FIELD(I64, struct version_blobs, text),
	STORE_FIELD(I64, struct version_blobs, provisions),
};
static const struct store_map version_blobs_map =
	STORE_MAP(struct version_blobs, version_blobs_fields);

static int version_blobs(struct cw_store *s, int64_t version_id,
			 struct version_blobs *out, struct cw_err *err)
{
	int rc = store_query_row(s,
				 "SELECT text_blob, provisions_blob FROM "
				 "versions "
				 "WHERE id = ?",
				 "reading a version",
				 STORE_PARAMS(STORE_I64(version_id)),
				 &version_blobs_map, NULL, NULL, out, err);

	if (rc == CW_ENOTFOUND)
		rc = cw_err_set(err, CW_ENOTFOUND, "no version id %lld",
				(long long)version_id);
	return rc;
}

int store_version_load(struct cw_store *s, int64_t version_id,
		       struct cw_buf *text_out, struct cw_segmentation **seg,
		       struct cw_err *err)
{
	struct cw_buf text = CW_BUF_INIT, enc = CW_BUF_INIT;
	struct version_blobs vb;
	int rc;

	if (seg)
		*seg = NULL;
	rc = version_blobs(s, version_id, &vb, err);
	if (!rc && !seg)
		return store_blob_get(s, vb.text, text_out, err);
	if (!rc)
		rc = store_blob_get(s, vb.text, &text, err);
	if (!rc)
		rc = store_blob_get(s, vb.provisions, &enc, err);
	if (!rc)
		rc = store_decode_provisions(seg, enc.ptr, enc.len,
					     cw_buf_str(&text), text.len, err);
	if (!rc && text_out)
		rc = cw_buf_add(text_out, text.ptr, text.len)
			     ? cw_err_set(err, CW_ETOOBIG,
					  "version %lld too large",
					  (long long)version_id)
			     : CW_OK;
	if (rc && seg) {
		cw_segment_free(*seg);
		*seg = NULL;
	}
	cw_buf_release(&text);
	cw_buf_release(&enc);
	return rc;
}
