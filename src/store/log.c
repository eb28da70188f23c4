/*
 * The archive's log (store.h, "the log"; docs/log.md): every archived
 * snapshot page, recorded version, change record and stored analysis is a
 * leaf of an RFC 6962 Merkle tree, appended in the transaction that writes
 * the record.
 *
 * Tables (migration 6):
 *   log_leaves       idx, kind, record_id, page, program, logged_at, data
 *                    (the canonical leaf, the bytes that are hashed, as
 *                    written or packed since migration 8: leaf_pack) and
 *                    content (the SHA-256 of the record's bytes)
 *   log_nodes        (level, idx) -> the hash of the complete subtree of
 *                    2^level leaves from idx << level: every leaf hash
 *                    and every interior node of a complete subtree, just
 *                    under two rows a leaf (golang.org/x/mod/sumdb/tlog's
 *                    stored hashes), so a root or a proof reads at most
 *                    two hashes a level and a tile is one range query
 *   log_checkpoints  every signed checkpoint, by tree size
 *   log_meta         the range back-filled at migration
 *
 * A leaf is built from the record as it is in the store (leaf_build), at
 * append and again by cw_store_log_verify(), so the check recomputes what
 * was appended by the same code.
 */
#include <string.h>

#include "stmt.h"

#define PROGRAM "clausewatch " CW_VERSION
/* Entry bundles (tlog-tiles) prefix each entry with a uint16 length. */
#define LEAF_MAX 65535

/* ---- a leaf as stored ---- */

/*
 * The canonical leaf is JSON of about 300 bytes, mostly keys and hex
 * digits. log_leaves.data keeps it as written ('{' first), or packed
 * (LEAF_PACKED first): the JSON without the 64 hex digits of its
 * "sha256", which are those of the row's `content`, in a zstd frame
 * compressed against leaf_prefix below. Unpacking gives back the very
 * bytes that were hashed into the tree, and a leaf is stored packed only
 * when it does (leaf_pack checks); on the corpus store the leaves' data
 * goes from 2.34 MB to 0.61 MB (8,447 leaves; the table with its
 * rows from 3.3 MB to 1.4 MB).
 */
#define LEAF_PACKED 0x01
#define LEAF_HEX_AT "\"sha256\":\""

/*
 * What packed leaves are compressed against: the keys in their order and
 * the usual values. Data of the store's format: a packed leaf needs this
 * exact string to be read, so it never changes; another one would need
 * another first byte.
 */
static const char leaf_prefix[] =
	"Data Processor AgreementCommunity GuidelinesCommercial Terms"
	"Copyright Claims PolicyDeveloper TermsAcceptable Use Policy"
	"Privacy Policy"
	"{\"kind\":\"snapshot\",\"service\":\"\",\"type\":\"Terms of Service\","
	"\"seq\":1,\"page\":0,\"recorded\":\"2024-01-01T00:00:00Z\",\"url\":"
	"\"https://www.\",\"sha256\":\"\",\"program\":\"clausewatch 0.1.0\"}"
	"{\"kind\":\"analysis\",\"service\":\"\",\"type\":\"Privacy Policy\","
	"\"seq\":1,\"recorded\":\"2025-01-01T00:00:00Z\",\"url\":null,"
	"\"sha256\":\"\",\"program\":\"clausewatch 0.1.0\"}"
	"{\"kind\":\"change\",\"service\":\"\",\"type\":\"Terms of Service\","
	"\"seq\":2,\"from_seq\":1,\"recorded\":\"2025-01-01T00:00:00Z\","
	"\"url\":null,\"sha256\":\"\",\"program\":\"clausewatch 0.1.0\"}"
	"{\"kind\":\"version\",\"service\":\"\",\"type\":\"Terms of Service\","
	"\"seq\":1,\"recorded\":\"2026-01-01T00:00:00Z\",\"url\":null,"
	"\"sha256\":\"\",\"provisions_sha256\":\"\",\"program\":\"clausewatch "
	"0.1.0\"}";

/* Where the content's hex digits go in `json`: just after its first
 * `"sha256":"`, or SIZE_MAX. */
static size_t leaf_hex_at(const char *json, size_t len)
{
	const char *at = memmem(json, len, LEAF_HEX_AT, strlen(LEAF_HEX_AT));

	return at ? (size_t)(at - json) + strlen(LEAF_HEX_AT) : SIZE_MAX;
}

/*
 * The leaf `data` as stored (format above) into `out` (appended); CW_OK,
 * or CW_ESTORE naming the leaf when packed bytes do not unpack.
 */
static int leaf_unpack(struct cw_store *s, const void *data, size_t len,
		       const unsigned char content[32], struct cw_buf *out,
		       struct cw_err *err)
{
	const unsigned char *d = data;
	char hex[CW_SHA256_HEX], cut[LEAF_MAX + 1];
	size_t n, at;

	if (!len || d[0] != LEAF_PACKED) {
		cw_buf_add(out, data, len);
		return CW_OK;
	}
	ZSTD_DCtx_reset(s->dctx, ZSTD_reset_session_and_parameters);
	ZSTD_DCtx_refPrefix(s->dctx, leaf_prefix, sizeof(leaf_prefix) - 1);
	n = ZSTD_decompressDCtx(s->dctx, cut, sizeof(cut), d + 1, len - 1);
	if (ZSTD_isError(n) || (at = leaf_hex_at(cut, n)) == SIZE_MAX)
		return cw_err_set(
			err, CW_ESTORE,
			"'%s': a packed log leaf does not unpack (%s)", s->path,
			ZSTD_isError(n) ? ZSTD_getErrorName(n) : "no sha256");
	cw_hex_encode(hex, content, 32);
	cw_buf_add(out, cut, at);
	cw_buf_add(out, hex, 64);
	cw_buf_add(out, cut + at, n - at);
	return CW_OK;
}

/*
 * Leaf `json` as it is stored into `out` (cleared first): packed when
 * that gives back `json` exactly, else `json` itself.
 */
static void leaf_pack(struct cw_store *s, const char *json, size_t len,
		      const unsigned char content[32], struct cw_buf *out)
{
	struct cw_buf back = CW_BUF_INIT;
	char hex[CW_SHA256_HEX];
	size_t at = leaf_hex_at(json, len), bound, z;
	struct cw_err err = CW_ERR_INIT;

	cw_buf_clear(out);
	cw_hex_encode(hex, content, 32);
	if (len > LEAF_MAX || at == SIZE_MAX || len - at < 64 ||
	    memcmp(json + at, hex, 64))
		goto raw;
	{
		/* the JSON without the digits; the frame after the tag */
		char cut[LEAF_MAX];
		memcpy(cut, json, at);
		memcpy(cut + at, json + at + 64, len - at - 64);
		bound = ZSTD_compressBound(len - 64);
		cw_buf_addc(out, LEAF_PACKED);
		if (cw_buf_grow(out, bound))
			goto raw;
		ZSTD_CCtx_reset(s->cctx, ZSTD_reset_session_and_parameters);
		ZSTD_CCtx_setParameter(s->cctx, ZSTD_c_compressionLevel, 19);
		ZSTD_CCtx_refPrefix(s->cctx, leaf_prefix,
				    sizeof(leaf_prefix) - 1);
		z = ZSTD_compress2(s->cctx, out->ptr + 1, bound, cut, len - 64);
	}
	if (ZSTD_isError(z))
		goto raw;
	out->len = 1 + z;
	if (out->len < len &&
	    !leaf_unpack(s, out->ptr, out->len, content, &back, &err) &&
	    back.len == len && !memcmp(back.ptr, json, len)) {
		cw_buf_release(&back);
		return;
	}
raw:
	cw_buf_release(&back);
	cw_buf_clear(out);
	cw_buf_add(out, json, len);
}

/* SQL cw_leaf_data(data, content): the leaf's canonical JSON as text. */
static void leaf_data_sql(sqlite3_context *ctx, int argc, sqlite3_value **v)
{
	struct cw_store *s = sqlite3_user_data(ctx);
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	const void *content = sqlite3_value_blob(v[1]);

	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return; /* NULL */
	if (!content || sqlite3_value_bytes(v[1]) != 32) {
		sqlite3_result_error(ctx, "a log leaf without its content hash",
				     -1);
		return;
	}
	if (leaf_unpack(s, sqlite3_value_blob(v[0]),
			(size_t)sqlite3_value_bytes(v[0]), content, &out,
			&err)) {
		sqlite3_result_error(ctx, err.msg, -1);
	} else {
		sqlite3_result_text(ctx, out.len ? out.ptr : "", (int)out.len,
				    SQLITE_TRANSIENT);
	}
	cw_buf_release(&out);
}

int store_log_register(struct cw_store *s, struct cw_err *err)
{
	int r = sqlite3_create_function(s->db, "cw_leaf_data", 2,
					SQLITE_UTF8 | SQLITE_DETERMINISTIC, s,
					leaf_data_sql, NULL, NULL);

	if (r != SQLITE_OK)
		return cw_err_set(err, CW_ESTORE,
				  "'%s': registering the log's leaf reader: %s",
				  s->path, sqlite3_errstr(r));
	return CW_OK;
}

struct pack_row {
	int64_t idx;
	char *data;
	unsigned char content[32];
};
static const struct store_field pack_fields[] = {
	STORE_FIELD(I64, struct pack_row, idx),
	STORE_FIELD(STR, struct pack_row, data),
	STORE_FIELD(HASH, struct pack_row, content),
};
static const struct store_map pack_map =
	STORE_MAP(struct pack_row, pack_fields);

int store_log_pack(struct cw_store *s, struct cw_err *err)
{
	struct pack_row *rows = NULL;
	struct cw_buf b = CW_BUF_INIT;
	size_t n = 0;
	int rc = store_query_list(s,
				  "SELECT idx, CAST(data AS TEXT), content "
				  "FROM log_leaves WHERE substr(data, 1, 1) "
				  "= CAST('{' AS BLOB) ORDER BY idx",
				  "reading the log's leaves", STORE_NO_PARAMS,
				  &pack_map, NULL, NULL, (void **)&rows, &n,
				  err);

	for (size_t i = 0; !rc && i < n; i++) {
		leaf_pack(s, rows[i].data, strlen(rows[i].data),
			  rows[i].content, &b);
		rc = store_query_run(s,
				     "UPDATE log_leaves SET data = ?2 WHERE "
				     "idx = ?1",
				     "packing the log's leaves",
				     STORE_PARAMS(STORE_I64(rows[i].idx),
						  STORE_BLOB(b.ptr, b.len)),
				     err);
	}
	cw_buf_release(&b);
	store_map_free_array(&pack_map, rows, n);
	return rc;
}

/* ---- leaves ---- */

/* What a leaf is built from: the record's kind, id and page, and (at
 * append) its bytes, so they need not be read back. */
struct leaf_rec {
	const char *kind; /* "snapshot", "version", "change", "analysis" */
	int64_t record_id;
	int64_t page;
	const char *bytes; /* NULL: read from the store */
	size_t len;
	const struct cw_segmentation *seg; /* a version's, with bytes */
	const unsigned char *sha; /* the bytes' SHA-256 when the caller has
				     it already (NULL: hashed here) */
};

/* The record's fields that go into its leaf. */
struct leaf_meta {
	char *service, *type, *recorded, *url;
	int64_t seq, blob, from_seq;
};

static const struct store_field meta_fields[] = {
	STORE_FIELD(STR, struct leaf_meta, service),
	STORE_FIELD(STR, struct leaf_meta, type),
	STORE_FIELD(I64, struct leaf_meta, seq),
	STORE_FIELD(STR, struct leaf_meta, recorded),
	STORE_FIELD(STR, struct leaf_meta, url),
	STORE_FIELD(I64, struct leaf_meta, blob),
	STORE_FIELD(I64, struct leaf_meta, from_seq),
};
static const struct store_map meta_map =
	STORE_MAP(struct leaf_meta, meta_fields);

#define META_DOC                               \
	"JOIN documents d ON d.id = x.doc_id " \
	"JOIN services sv ON sv.id = d.service_id "

static int leaf_meta(struct cw_store *s, const struct leaf_rec *r,
		     struct leaf_meta *m, struct cw_err *err)
{
	struct store_params p =
		STORE_PARAMS(STORE_I64(r->record_id), STORE_I64(r->page));
	int rc;

	if (!strcmp(r->kind, "snapshot"))
		/* seq: the snapshot's place among its document's */
		rc = store_query_row(s,
				     "SELECT sv.sid, d.type, (SELECT count(*) "
				     "FROM "
				     "snapshots o WHERE o.doc_id = x.doc_id "
				     "AND o.id <= "
				     "x.id), x.fetched_at, pg.url, pg.blob, 0 "
				     "FROM "
				     "snapshots x JOIN snapshot_pages pg ON "
				     "pg.snapshot_id "
				     "= x.id AND pg.idx = ?2 " META_DOC "WHERE "
				     "x.id "
				     "= ?1",
				     "reading a snapshot for the log", p,
				     &meta_map, NULL, NULL, m, err);
	else if (!strcmp(r->kind, "version"))
		rc = store_query_row(s,
				     "SELECT sv.sid, d.type, x.seq, "
				     "x.recorded_at, (SELECT "
				     "url FROM snapshot_pages WHERE "
				     "snapshot_id = "
				     "x.snapshot_id AND idx = 0), x.text_blob, "
				     "0 FROM "
				     "versions x " META_DOC "WHERE x.id = ?1 "
				     "AND ?2 = 0",
				     "reading a version for the log", p,
				     &meta_map, NULL, NULL, m, err);
	else if (!strcmp(r->kind, "change"))
		rc = store_query_row(s,
				     "SELECT sv.sid, d.type, tv.seq, "
				     "tv.recorded_at, NULL, "
				     "x.json_blob, coalesce(fv.seq, 0) FROM "
				     "changes x "
				     "JOIN versions tv ON tv.id = x.to_version "
				     "LEFT JOIN "
				     "versions fv ON fv.id = "
				     "x.from_version " META_DOC "WHERE x.id = "
				     "?1 AND ?2 = 0",
				     "reading a change for the log", p,
				     &meta_map, NULL, NULL, m, err);
	else
		rc = store_query_row(s,
				     "SELECT sv.sid, d.type, x.seq, "
				     "x.recorded_at, NULL, "
				     "a.json_blob, 0 FROM analyses a JOIN "
				     "versions x ON "
				     "x.id = a.version_id " META_DOC
				     "WHERE a.version_id = ?1 AND ?2 = 0",
				     "reading an analysis for the log", p,
				     &meta_map, NULL, NULL, m, err);
	return rc;
}

static void hex32(char out[CW_SHA256_HEX], const unsigned char h[32])
{
	cw_hex_encode(out, h, 32);
}

/* The SHA-256 of the record's bytes and, for a version, of its
 * provision list (cw_segment_json, compact). */
static int leaf_content(struct cw_store *s, const struct leaf_rec *r,
			const struct leaf_meta *m, unsigned char content[32],
			unsigned char prov[32], struct cw_err *err)
{
	struct cw_buf b = CW_BUF_INIT;
	struct cw_segmentation *seg = NULL;
	const struct cw_segmentation *use = r->seg;
	bool version = !strcmp(r->kind, "version");
	int rc = CW_OK;

	if (r->bytes && r->sha) {
		memcpy(content, r->sha, 32);
	} else if (r->bytes) {
		cw_sha256(r->bytes, r->len, content);
	} else {
		if (version)
			rc = store_version_load(s, r->record_id, &b, &seg, err);
		else
			rc = store_blob_get(s, m->blob, &b, err);
		if (rc)
			goto done;
		cw_sha256(b.ptr, b.len, content);
		use = seg;
	}
	if (version) {
		json_t *j = cw_segment_json(use);
		char *dump = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

		cw_sha256(dump, strlen(dump), prov);
		free(dump);
		json_decref(j);
	}
done:
	cw_segment_free(seg);
	cw_buf_release(&b);
	return rc;
}

/*
 * The canonical leaf of record `r` as the store holds it now, into
 * `data` (cleared first), and the SHA-256 of the record's bytes. The
 * fields and their order are documented in docs/log.md; never change them.
 * CW_ENOTFOUND, err set, when the record is gone.
 */
static int leaf_build(struct cw_store *s, const struct leaf_rec *r,
		      const char *program, struct cw_buf *data,
		      unsigned char content[32], struct cw_err *err)
{
	struct leaf_meta m;
	unsigned char prov[32];
	char hex[CW_SHA256_HEX];
	json_t *j;
	char *dump;
	int rc;

	cw_buf_clear(data);
	rc = leaf_meta(s, r, &m, err);
	if (rc == CW_ENOTFOUND)
		return cw_err_set(err, CW_ENOTFOUND,
				  "the %s record %lld is gone", r->kind,
				  (long long)r->record_id);
	if (rc)
		return rc;
	rc = leaf_content(s, r, &m, content, prov, err);
	if (rc)
		goto done;
	j = json_object();
	json_object_set_new(j, "kind", json_string(r->kind));
	json_object_set_new(j, "service", cw_json_text(m.service));
	json_object_set_new(j, "type", cw_json_text(m.type));
	json_object_set_new(j, "seq", json_integer(m.seq));
	if (!strcmp(r->kind, "snapshot"))
		json_object_set_new(j, "page", json_integer(r->page));
	if (!strcmp(r->kind, "change"))
		json_object_set_new(j, "from_seq",
				    m.from_seq ? json_integer(m.from_seq)
					       : json_null());
	json_object_set_new(j, "recorded", cw_json_text(m.recorded));
	json_object_set_new(j, "url", cw_json_text(m.url));
	hex32(hex, content);
	json_object_set_new(j, "sha256", json_string(hex));
	if (!strcmp(r->kind, "version")) {
		hex32(hex, prov);
		json_object_set_new(j, "provisions_sha256", json_string(hex));
	}
	json_object_set_new(j, "program", cw_json_text(program));
	dump = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	cw_buf_adds(data, dump);
	free(dump);
	if (data->len > LEAF_MAX)
		rc = cw_err_set(err, CW_ETOOBIG,
				"the log leaf of %s/%s is over %d bytes",
				m.service, m.type, LEAF_MAX);
done:
	store_map_release(&meta_map, &m);
	return rc;
}

static int log_size(struct cw_store *s, int64_t *out, struct cw_err *err)
{
	return store_query_i64(s,
			       "SELECT coalesce(max(idx) + 1, 0) FROM "
			       "log_leaves",
			       "reading the log's size", STORE_NO_PARAMS, 0,
			       out, err);
}

static int node_get(struct cw_store *s, unsigned level, uint64_t idx,
		    cw_tlog_hash out, struct cw_err *err)
{
	struct store_stmt q;
	int rc, r;

	rc = store_stmt_prepare_with(
		&q, s, "SELECT hash FROM log_nodes WHERE level = ? AND idx = ?",
		"reading the log's tree",
		STORE_PARAMS(STORE_I64(level), STORE_I64((int64_t)idx)), err);
	if (rc)
		return rc;
	r = store_stmt_step(&q, err);
	if (r > 0) {
		size_t n = 0;
		const void *h = store_col_blob(&q, 0, &n);
		if (n == CW_TLOG_HASH)
			memcpy(out, h, CW_TLOG_HASH);
		else
			r = cw_err_set(err, CW_ESTORE,
				       "'%s': the log's node %u/%llu is not a "
				       "hash",
				       s->path, level, (unsigned long long)idx);
	} else if (r == 0) {
		r = cw_err_set(err, CW_ESTORE,
			       "'%s': the log has no node %u/%llu", s->path,
			       level, (unsigned long long)idx);
	}
	return store_stmt_finish(&q, r < 0 ? r : CW_OK, err);
}

static int node_put(struct cw_store *s, unsigned level, uint64_t idx,
		    const cw_tlog_hash h, struct cw_err *err)
{
	return store_query_run(s,
			       "INSERT INTO log_nodes (level, idx, hash) "
			       "VALUES (?, ?, ?)",
			       "writing the log's tree",
			       STORE_PARAMS(STORE_I64(level),
					    STORE_I64((int64_t)idx),
					    STORE_BLOB(h, CW_TLOG_HASH)),
			       err);
}

static int source_node(void *ctx, unsigned level, uint64_t index,
		       cw_tlog_hash out, struct cw_err *err)
{
	return node_get(ctx, level, index, out, err);
}

/*
 * Append the leaf of `r` (inside the caller's transaction). A change or
 * an analysis written again with the same bytes appends nothing; with
 * other bytes it appends a leaf that supersedes the earlier one.
 */
static int log_append(struct cw_store *s, const struct leaf_rec *r,
		      struct cw_err *err)
{
	struct cw_buf data = CW_BUF_INIT, packed = CW_BUF_INIT;
	unsigned char content[32];
	cw_tlog_hash h, left;
	char now[CW_TIME_ISO];
	int64_t size, same = 0;
	uint64_t idx;
	unsigned level = 0;
	int rc;

	rc = leaf_build(s, r, PROGRAM, &data, content, err);
	if (!rc && (!strcmp(r->kind, "change") || !strcmp(r->kind, "analysis")))
		rc = store_query_i64(s,
				     "SELECT content = ?3 FROM log_leaves "
				     "WHERE kind = ?1 "
				     "AND record_id = ?2 ORDER BY idx DESC "
				     "LIMIT 1",
				     "reading the log",
				     STORE_PARAMS(STORE_TEXT(r->kind),
						  STORE_I64(r->record_id),
						  STORE_BLOB(content, 32)),
				     0, &same, err);
	if (!rc && same)
		goto done;
	if (!rc)
		rc = log_size(s, &size, err);
	if (rc)
		goto done;
	cw_time_now_iso(now);
	leaf_pack(s, data.ptr, data.len, content, &packed);
	rc = store_query_run(s,
			     "INSERT INTO log_leaves (idx, kind, record_id, "
			     "page, program, "
			     "logged_at, data, content) VALUES (?, ?, ?, ?, ?, "
			     "?, ?, ?)",
			     "appending to the log",
			     STORE_PARAMS(STORE_I64(size), STORE_TEXT(r->kind),
					  STORE_I64(r->record_id),
					  STORE_I64(r->page),
					  STORE_TEXT(PROGRAM), STORE_TEXT(now),
					  STORE_BLOB(packed.ptr, packed.len),
					  STORE_BLOB(content, 32)),
			     err);
	if (rc)
		goto done;
	/* the leaf, then each complete subtree it closes */
	idx = (uint64_t)size;
	cw_tlog_leaf_hash(data.ptr, data.len, h);
	rc = node_put(s, 0, idx, h, err);
	while (!rc && (idx & 1)) {
		rc = node_get(s, level, idx - 1, left, err);
		if (rc)
			break;
		cw_tlog_node_hash(left, h, h);
		idx >>= 1;
		level++;
		rc = node_put(s, level, idx, h, err);
	}
done:
	cw_buf_release(&data);
	cw_buf_release(&packed);
	return rc;
}

int store_log_snapshot_page(struct cw_store *s, int64_t snapshot_id,
			    size_t page, const void *bytes, size_t len,
			    const unsigned char sha[32], struct cw_err *err)
{
	struct leaf_rec r = { .kind = "snapshot",
			      .record_id = snapshot_id,
			      .page = (int64_t)page,
			      .bytes = bytes,
			      .len = len,
			      .sha = sha };

	return log_append(s, &r, err);
}

int store_log_version(struct cw_store *s, int64_t version_id, const char *text,
		      size_t len, const unsigned char sha[32],
		      const struct cw_segmentation *seg, struct cw_err *err)
{
	struct leaf_rec r = { .kind = "version",
			      .record_id = version_id,
			      .bytes = text,
			      .len = len,
			      .seg = seg,
			      .sha = sha };

	return log_append(s, &r, err);
}

int store_log_record(struct cw_store *s, const char *kind, int64_t record_id,
		     const char *json, struct cw_err *err)
{
	struct leaf_rec r = { .kind = kind,
			      .record_id = record_id,
			      .bytes = json,
			      .len = strlen(json) };

	return log_append(s, &r, err);
}

/* ---- back-filling an existing store (migration 6) ---- */

struct backfill_row {
	char *kind;
	int64_t record_id, page;
};
static const struct store_field backfill_fields[] = {
	STORE_FIELD(STR, struct backfill_row, kind),
	STORE_FIELD(I64, struct backfill_row, record_id),
	STORE_FIELD(I64, struct backfill_row, page),
};
static const struct store_map backfill_map =
	STORE_MAP(struct backfill_row, backfill_fields);

int store_log_backfill(struct cw_store *s, struct cw_err *err)
{
	struct backfill_row *rows = NULL;
	size_t n = 0;
	int rc;

	/* every record, in the order it was recorded */
	rc = store_query_list(
		s,
		"SELECT kind, id, page FROM ("
		"SELECT 'snapshot' AS kind, n.id AS id, p.idx AS page, "
		"n.fetched_at AS t, 0 AS r FROM snapshots n JOIN "
		"snapshot_pages p ON p.snapshot_id = n.id "
		"UNION ALL SELECT 'version', v.id, 0, v.recorded_at, 1 FROM "
		"versions v "
		"UNION ALL SELECT 'change', c.id, 0, tv.recorded_at, 2 FROM "
		"changes c JOIN versions tv ON tv.id = c.to_version "
		"UNION ALL SELECT 'analysis', a.version_id, 0, v.recorded_at, "
		"3 FROM analyses a JOIN versions v ON v.id = a.version_id) "
		"ORDER BY t, r, id, page",
		"listing the records to log", STORE_NO_PARAMS, &backfill_map,
		NULL, NULL, (void **)&rows, &n, err);
	for (size_t i = 0; !rc && i < n; i++) {
		struct leaf_rec r = { .kind = rows[i].kind,
				      .record_id = rows[i].record_id,
				      .page = rows[i].page };
		rc = log_append(s, &r, err);
	}
	store_map_free_array(&backfill_map, rows, n);
	if (!rc && n)
		rc = store_query_run(s,
				     "INSERT INTO log_meta (key, value) "
				     "VALUES ('backfilled', ?)",
				     "recording the back-filled range",
				     STORE_PARAMS(STORE_I64((int64_t)n)), err);
	return rc;
}

/* ---- reading the log ---- */

int cw_store_log_size(struct cw_store *s, int64_t *out, struct cw_err *err)
{
	return log_size(s, out, err);
}

int cw_store_log_root(struct cw_store *s, uint64_t size, cw_tlog_hash out,
		      struct cw_err *err)
{
	struct cw_tlog_source src = { source_node, s };

	return cw_tlog_root(&src, size, out, err);
}

int cw_store_log_inclusion(struct cw_store *s, uint64_t index, uint64_t size,
			   struct cw_tlog_proof *out, struct cw_err *err)
{
	struct cw_tlog_source src = { source_node, s };

	return cw_tlog_inclusion(&src, index, size, out, err);
}

int cw_store_log_consistency(struct cw_store *s, uint64_t old, uint64_t size,
			     struct cw_tlog_proof *out, struct cw_err *err)
{
	struct cw_tlog_source src = { source_node, s };

	return cw_tlog_consistency(&src, old, size, out, err);
}

static const struct store_field leaf_fields[] = {
	STORE_FIELD(I64, struct cw_store_leaf, index),
	STORE_FIELD(STR, struct cw_store_leaf, kind),
	STORE_FIELD(I64, struct cw_store_leaf, record_id),
	STORE_FIELD(I64, struct cw_store_leaf, page),
	STORE_FIELD(STR, struct cw_store_leaf, program),
	STORE_FIELD(STR, struct cw_store_leaf, logged_at),
	STORE_FIELD(STR, struct cw_store_leaf, data),
	STORE_FIELD(HEX32, struct cw_store_leaf, content_sha256),
	STORE_FIELD(HEX32, struct cw_store_leaf, leaf_hash),
	STORE_FIELD(HASH, struct cw_store_leaf, hash),
};
static const struct store_map leaf_map =
	STORE_MAP(struct cw_store_leaf, leaf_fields);

#define LEAF_SELECT                                                         \
	"SELECT l.idx, l.kind, l.record_id, l.page, l.program, "            \
	"l.logged_at, cw_leaf_data(l.data, l.content), l.content, n.hash, " \
	"n.hash FROM "                                                      \
	"log_leaves l JOIN log_nodes n ON n.level = 0 AND n.idx = l.idx "

void cw_store_leaf_release(struct cw_store_leaf *l)
{
	store_map_release(&leaf_map, l);
}

void cw_store_leaves_free(struct cw_store_leaf *l, size_t n)
{
	store_map_free_array(&leaf_map, l, n);
}

int cw_store_log_leaves(struct cw_store *s, int64_t from, int64_t limit,
			struct cw_store_leaf **out, size_t *n,
			struct cw_err *err)
{
	return store_query_list(s,
				LEAF_SELECT "WHERE l.idx >= ? ORDER BY l.idx "
					    "LIMIT ?",
				"listing the log",
				STORE_PARAMS(STORE_I64(from), STORE_I64(limit)),
				&leaf_map, NULL, NULL, (void **)out, n, err);
}

int cw_store_log_find(struct cw_store *s, const char *kind, int64_t record_id,
		      int64_t page, struct cw_store_leaf *out,
		      struct cw_err *err)
{
	int rc = store_query_row(s,
				 LEAF_SELECT "WHERE l.kind = ? AND l.record_id "
					     "= ? AND l.page = ? ORDER BY "
					     "l.idx DESC LIMIT 1",
				 "finding a record in the log",
				 STORE_PARAMS(STORE_TEXT(kind),
					      STORE_I64(record_id),
					      STORE_I64(page)),
				 &leaf_map, NULL, NULL, out, err);

	if (rc == CW_ENOTFOUND)
		rc = cw_err_set(err, CW_ENOTFOUND,
				"the %s record %lld is not in the log", kind,
				(long long)record_id);
	return rc;
}

int cw_store_log_find_version(struct cw_store *s, const char *kind,
			      int64_t version_id, struct cw_store_leaf *out,
			      struct cw_err *err)
{
	int64_t id = version_id;
	int rc;

	if (!strcmp(kind, "change")) {
		rc = store_query_i64(s,
				     "SELECT id FROM changes WHERE to_version "
				     "= ?",
				     "finding a change",
				     STORE_PARAMS(STORE_I64(version_id)), 0,
				     &id, err);
		if (!rc && !id)
			return cw_err_set(err, CW_ENOTFOUND,
					  "no change record made this version "
					  "(the first version has none)");
		if (rc)
			return rc;
	}
	return cw_store_log_find(s, kind, id, 0, out, err);
}

int cw_store_log_tile(struct cw_store *s, unsigned level, uint64_t index,
		      unsigned width, struct cw_buf *out, struct cw_err *err)
{
	struct store_stmt q;
	uint64_t first = index * 256;
	unsigned got = 0;
	int rc, r;

	if (width < 1 || width > 256 || level > 7 ||
	    index > (UINT64_C(1) << 50))
		return cw_err_set(err, CW_ENOTFOUND, "no such tile");
	rc = store_stmt_prepare_with(
		&q, s,
		"SELECT hash FROM log_nodes WHERE level = ? AND idx >= ? AND "
		"idx < ? ORDER BY idx",
		"reading a tile",
		STORE_PARAMS(STORE_I64(8 * level), STORE_I64((int64_t)first),
			     STORE_I64((int64_t)(first + width))),
		err);
	if (rc)
		return rc;
	while ((r = store_stmt_step(&q, err)) > 0) {
		size_t n = 0;
		const void *h = store_col_blob(&q, 0, &n);
		cw_buf_add(out, h, n);
		got++;
	}
	rc = store_stmt_finish(&q, r, err);
	if (!rc && got != width)
		rc = cw_err_set(err, CW_ENOTFOUND,
				"tile %u/%llu of width %u is not in the log "
				"yet",
				level, (unsigned long long)index, width);
	return rc;
}

int cw_store_log_entries(struct cw_store *s, uint64_t index, unsigned width,
			 struct cw_buf *out, struct cw_err *err)
{
	struct store_stmt q;
	uint64_t first = index * 256;
	unsigned got = 0;
	int rc, r;

	if (width < 1 || width > 256 || index > (UINT64_C(1) << 50))
		return cw_err_set(err, CW_ENOTFOUND, "no such entry bundle");
	rc = store_stmt_prepare_with(
		&q, s,
		"SELECT cw_leaf_data(data, content) FROM log_leaves WHERE idx "
		">= ? "
		"AND idx < ? ORDER "
		"BY idx",
		"reading an entry bundle",
		STORE_PARAMS(STORE_I64((int64_t)first),
			     STORE_I64((int64_t)(first + width))),
		err);
	if (rc)
		return rc;
	while ((r = store_stmt_step(&q, err)) > 0) {
		size_t n = 0;
		const void *d = store_col_blob(&q, 0, &n);
		cw_buf_addc(out, (char)(n >> 8));
		cw_buf_addc(out, (char)(n & 0xff));
		cw_buf_add(out, d, n);
		got++;
	}
	rc = store_stmt_finish(&q, r, err);
	if (!rc && got != width)
		rc = cw_err_set(err, CW_ENOTFOUND,
				"entry bundle %llu of width %u is not in the "
				"log yet",
				(unsigned long long)index, width);
	return rc;
}

/* ---- checkpoints ---- */

static const struct store_field cp_fields[] = {
	STORE_FIELD(I64, struct cw_store_checkpoint, size),
	STORE_FIELD(HASH, struct cw_store_checkpoint, root),
	STORE_FIELD(STR, struct cw_store_checkpoint, note),
	STORE_FIELD(STR, struct cw_store_checkpoint, signed_at),
};
static const struct store_map cp_map =
	STORE_MAP(struct cw_store_checkpoint, cp_fields);

#define CP_SELECT "SELECT size, root, note, signed_at FROM log_checkpoints "

void cw_store_checkpoint_release(struct cw_store_checkpoint *c)
{
	store_map_release(&cp_map, c);
}

void cw_store_checkpoints_free(struct cw_store_checkpoint *c, size_t n)
{
	store_map_free_array(&cp_map, c, n);
}

int cw_store_log_checkpoints(struct cw_store *s,
			     struct cw_store_checkpoint **out, size_t *n,
			     struct cw_err *err)
{
	return store_query_list(s, CP_SELECT "ORDER BY size",
				"listing the checkpoints", STORE_NO_PARAMS,
				&cp_map, NULL, NULL, (void **)out, n, err);
}

static int latest_checkpoint(struct cw_store *s, struct cw_store_checkpoint *c,
			     struct cw_err *err)
{
	return store_query_row(s, CP_SELECT "ORDER BY size DESC LIMIT 1",
			       "reading the latest checkpoint", STORE_NO_PARAMS,
			       &cp_map, NULL, NULL, c, err);
}

/* Sign the tree as it is now (inside the caller's transaction). */
static int sign_new(struct cw_store *s, const struct cw_note_key *key,
		    int64_t size, const struct cw_store_checkpoint *last,
		    bool have_last, struct cw_err *err)
{
	struct cw_buf body = CW_BUF_INIT, note = CW_BUF_INIT;
	cw_tlog_hash root, old;
	char now[CW_TIME_ISO], ext[96];
	const char *exts[1];
	size_t n_ext = 0;
	int64_t filled = 0;
	int rc;

	/*
	 * Never sign a tree that does not extend the last one signed (C2SP
	 * tlog-checkpoint): its leaves must still give its root.
	 */
	if (have_last) {
		rc = cw_store_log_root(s, (uint64_t)last->size, old, err);
		if (rc)
			return rc;
		if (memcmp(old, last->root, CW_TLOG_HASH))
			return cw_err_set(err, CW_ESTORE,
					  "'%s': the log's first %lld leaves "
					  "no longer give the root of the "
					  "checkpoint signed at %s: refusing "
					  "to sign a tree inconsistent with it "
					  "(run 'log verify')",
					  s->path, (long long)last->size,
					  last->signed_at);
	} else {
		rc = store_query_i64(s,
				     "SELECT CAST(value AS INTEGER) FROM "
				     "log_meta WHERE key = 'backfilled'",
				     "reading the back-filled range",
				     STORE_NO_PARAMS, 0, &filled, err);
		if (rc)
			return rc;
		if (filled) {
			/* the first checkpoint says which leaves were made
			 * from records older than the log */
			snprintf(ext, sizeof(ext),
				 "clausewatch backfilled 0-%lld",
				 (long long)filled - 1);
			exts[n_ext++] = ext;
		}
	}
	rc = cw_store_log_root(s, (uint64_t)size, root, err);
	if (rc)
		return rc;
	cw_tlog_checkpoint_body(&body, key->name, (uint64_t)size, root, exts,
				n_ext);
	rc = cw_note_sign(key, body.ptr, body.len, &note, err);
	cw_time_now_iso(now);
	if (!rc)
		rc = store_query_run(s,
				     "INSERT INTO log_checkpoints (size, root, "
				     "note, signed_at) VALUES (?, ?, ?, ?)",
				     "recording a checkpoint",
				     STORE_PARAMS(STORE_I64(size),
						  STORE_BLOB(root, 32),
						  STORE_TEXT(cw_buf_str(&note)),
						  STORE_TEXT(now)),
				     err);
	cw_buf_release(&body);
	cw_buf_release(&note);
	return rc;
}

static int checkpoint_now(struct cw_store *s, const struct cw_note_key *key,
			  struct cw_store_checkpoint *out, struct cw_err *err)
{
	struct cw_store_checkpoint last;
	int64_t size;
	int rc, have;

	rc = log_size(s, &size, err);
	if (rc)
		return rc;
	have = latest_checkpoint(s, &last, err);
	if (have != CW_OK && have != CW_ENOTFOUND)
		return have;
	if (have == CW_OK && last.size == size) {
		/* the tree signed last must still be the tree */
		cw_tlog_hash now;
		rc = cw_store_log_root(s, (uint64_t)size, now, err);
		if (!rc && memcmp(now, last.root, CW_TLOG_HASH))
			rc = cw_err_set(err, CW_ESTORE,
					"'%s': the log's %lld leaves no longer "
					"give the root of the checkpoint "
					"signed at %s: refusing to sign or "
					"serve it (run 'log verify')",
					s->path, (long long)size,
					last.signed_at);
		if (rc) {
			cw_store_checkpoint_release(&last);
			return rc;
		}
		*out = last;
		return CW_OK;
	}
	if (have == CW_OK && last.size > size) {
		rc = cw_err_set(err, CW_ESTORE,
				"'%s': the log has %lld leaves but a "
				"checkpoint "
				"of %lld was signed: leaves were deleted (run "
				"'log verify')",
				s->path, (long long)size, (long long)last.size);
		cw_store_checkpoint_release(&last);
		return rc;
	}
	if (!key || !key->has_private) {
		if (have == CW_OK) {
			*out = last;
			return CW_OK;
		}
		return cw_err_set(err, CW_ENOTFOUND,
				  "'%s': no checkpoint signed yet", s->path);
	}
	rc = sign_new(s, key, size, &last, have == CW_OK, err);
	if (have == CW_OK)
		cw_store_checkpoint_release(&last);
	if (!rc)
		rc = latest_checkpoint(s, out, err);
	return rc;
}

int cw_store_log_checkpoint(struct cw_store *s, const struct cw_note_key *key,
			    struct cw_store_checkpoint *out, struct cw_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = cw_store_begin(s, err);
	if (rc)
		return rc;
	return store_tx_end(s, checkpoint_now(s, key, out, err), err);
}

/* ---- verifying ---- */

/* What a leaf's record says about itself, for messages. */
static void describe(const struct cw_store_leaf *l, char *out, size_t n)
{
	json_t *j = json_loadb(l->data, strlen(l->data), 0, NULL);
	const char *svc = NULL, *type = NULL;
	json_int_t seq = 0;

	if (j)
		(void)json_unpack(j, "{s?s s?s s?I}", "service", &svc, "type",
				  &type, "seq", &seq);
	snprintf(out, n, "leaf %lld (%s %lld of %s/%s)", (long long)l->index,
		 l->kind, (long long)seq, svc ? svc : "?", type ? type : "?");
	json_decref(j);
}

static int verify_leaf(struct cw_store *s, const struct cw_store_leaf *l,
		       bool latest, struct cw_store_log_report *rep,
		       struct cw_err *err)
{
	struct leaf_rec r = { .kind = l->kind,
			      .record_id = l->record_id,
			      .page = l->page };
	struct cw_buf data = CW_BUF_INIT;
	unsigned char content[32];
	char why[sizeof(err->msg)] = "", what[600], hex[CW_SHA256_HEX];
	cw_tlog_hash h;
	int rc = CW_OK;

	cw_tlog_leaf_hash(l->data, strlen(l->data), h);
	if (memcmp(h, l->hash, CW_TLOG_HASH)) {
		snprintf(why, sizeof(why),
			 "its hash in the tree is not the "
			 "hash of its bytes (the log was "
			 "edited)");
	} else if (!latest) {
		/* a change or analysis written again: the earlier bytes are
		 * gone, the later leaf stands for the record */
		rep->superseded++;
	} else if ((rc = leaf_build(s, &r, l->program, &data, content, err))) {
		if (rc == CW_ENOTFOUND)
			snprintf(why, sizeof(why),
				 "the record is gone "
				 "(deleted after it was "
				 "logged)");
		else /* a blob that no longer decodes was altered */
			snprintf(why, sizeof(why),
				 "its bytes cannot be read back (%.400s)",
				 err->msg);
	} else {
		hex32(hex, content);
		if (strcmp(hex, l->content_sha256))
			snprintf(why, sizeof(why),
				 "the stored bytes no longer have the SHA-256 "
				 "that was logged (altered)");
		else if (strcmp(cw_buf_str(&data), l->data))
			snprintf(why, sizeof(why),
				 "the record no longer says what was logged "
				 "(edited, or moved: logged %s, now %s)",
				 l->data, cw_buf_str(&data));
	}
	cw_buf_release(&data);
	if (!why[0])
		return CW_OK;
	/* the leaf named as it describes itself, only when it fails */
	describe(l, what, sizeof(what));
	return cw_err_set(err, CW_ESTORE, "%s: %s", what, why);
}

/* Records that no leaf stands for: written around the log. */
static int verify_coverage(struct cw_store *s, struct cw_err *err)
{
	struct backfill_row row;
	int rc = store_query_row(
		s,
		"SELECT kind, id, page FROM ("
		"SELECT 'snapshot' AS kind, p.snapshot_id AS id, p.idx AS "
		"page FROM snapshot_pages p "
		"UNION ALL SELECT 'version', id, 0 FROM versions "
		"UNION ALL SELECT 'change', id, 0 FROM changes "
		"UNION ALL SELECT 'analysis', version_id, 0 FROM analyses) r "
		"WHERE NOT EXISTS (SELECT 1 FROM log_leaves l WHERE l.kind = "
		"r.kind AND l.record_id = r.id AND l.page = r.page) LIMIT 1",
		"finding records outside the log", STORE_NO_PARAMS,
		&backfill_map, NULL, NULL, &row, err);

	if (rc == CW_ENOTFOUND)
		return CW_OK;
	if (rc)
		return rc;
	rc = cw_err_set(err, CW_ESTORE,
			"the %s record %lld is in the store but not in the "
			"log (inserted around it)",
			row.kind, (long long)row.record_id);
	store_map_release(&backfill_map, &row);
	return rc;
}

/* Every stored node equals the one the leaf hashes give, and there are
 * exactly as many as the tree has complete subtrees. */
static int verify_nodes(struct cw_store *s, const unsigned char *leaves,
			uint64_t n, struct cw_store_log_report *rep,
			struct cw_err *err)
{
	unsigned char *level = cw_malloc(n ? n * 32 : 1);
	uint64_t width = n, expected = 0;
	int64_t stored = 0;
	int rc = CW_OK;

	memcpy(level, leaves, n * 32);
	for (unsigned lv = 0; width; lv++) {
		for (uint64_t i = 0; i < width && !rc; i++) {
			cw_tlog_hash h;
			rc = node_get(s, lv, i, h, err);
			if (!rc && memcmp(h, level + 32 * i, 32))
				rc = cw_err_set(err, CW_ESTORE,
						"the log's node %u/%llu is not "
						"the hash of its leaves (the "
						"tree was edited)",
						lv, (unsigned long long)i);
		}
		expected += width;
		if (rc)
			break;
		for (uint64_t i = 0; i + 1 < width; i += 2)
			cw_tlog_node_hash(level + 32 * i, level + 32 * (i + 1),
					  level + 32 * (i / 2));
		width /= 2;
	}
	free(level);
	if (!rc)
		rc = store_query_i64(s, "SELECT count(*) FROM log_nodes",
				     "counting the log's nodes",
				     STORE_NO_PARAMS, 0, &stored, err);
	if (!rc && (uint64_t)stored != expected)
		rc = cw_err_set(err, CW_ESTORE,
				"the log has %lld nodes, its %llu leaves make "
				"%llu (rows added or removed)",
				(long long)stored, (unsigned long long)n,
				(unsigned long long)expected);
	rep->nodes = (int64_t)expected;
	return rc;
}

/* After verify_nodes, the stored nodes are the leaves' own: each root is
 * read from them in O(log n). */
static int verify_checkpoints(struct cw_store *s, uint64_t n,
			      const struct cw_note_key *key,
			      struct cw_store_log_report *rep,
			      struct cw_err *err)
{
	struct cw_store_checkpoint *cps = NULL;
	size_t ncp = 0;
	int rc;

	rc = cw_store_log_checkpoints(s, &cps, &ncp, err);
	for (size_t i = 0; !rc && i < ncp; i++) {
		struct cw_tlog_checkpoint body;
		cw_tlog_hash root;

		if ((uint64_t)cps[i].size > n) {
			rc = cw_err_set(err, CW_ESTORE,
					"the checkpoint of %lld leaves signed "
					"at %s is larger than the log (%llu): "
					"leaves were deleted",
					(long long)cps[i].size,
					cps[i].signed_at,
					(unsigned long long)n);
			break;
		}
		rc = cw_store_log_root(s, (uint64_t)cps[i].size, root, err);
		if (rc)
			break;
		if (memcmp(root, cps[i].root, 32)) {
			rc = cw_err_set(err, CW_ESTORE,
					"the checkpoint of %lld leaves signed "
					"at %s does not match the log's first "
					"%lld leaves (a leaf was altered, "
					"removed, inserted or reordered)",
					(long long)cps[i].size,
					cps[i].signed_at,
					(long long)cps[i].size);
			break;
		}
		rc = cw_tlog_checkpoint_parse(cps[i].note, strlen(cps[i].note),
					      &body, err);
		if (!rc && (body.size != (uint64_t)cps[i].size ||
			    memcmp(body.root, root, 32)))
			rc = cw_err_set(err, CW_ESTORE,
					"the checkpoint of %lld leaves: its "
					"signed text says otherwise",
					(long long)cps[i].size);
		if (!rc && key) {
			rc = cw_note_verify(cps[i].note, strlen(cps[i].note),
					    key, NULL, err);
			if (rc) {
				char inner[sizeof(err->msg)];
				snprintf(inner, sizeof(inner), "%s", err->msg);
				rc = cw_err_set(err, CW_ESTORE,
						"the checkpoint of %lld "
						"leaves: %s",
						(long long)cps[i].size, inner);
			}
		}
		cw_tlog_checkpoint_release(&body);
		if (!rc)
			rep->checkpoints++;
	}
	cw_store_checkpoints_free(cps, ncp);
	return rc;
}

int cw_store_log_verify(struct cw_store *s, const struct cw_note_key *key,
			struct cw_store_log_report *out, struct cw_err *err)
{
	unsigned char *leaves = NULL;
	int64_t size = 0, from = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = log_size(s, &size, err);
	if (rc)
		return rc;
	leaves = cw_malloc(size ? (size_t)size * 32 : 1);
	while (!rc && from < size) {
		struct cw_store_leaf *ls = NULL;
		size_t n = 0;

		rc = cw_store_log_leaves(s, from, 4096, &ls, &n, err);
		for (size_t i = 0; !rc && i < n; i++) {
			struct cw_store_leaf *l = &ls[i];
			int64_t latest = 0;

			if (l->index != from + (int64_t)i) {
				rc = cw_err_set(err, CW_ESTORE,
						"the log has no leaf %lld "
						"(deleted)",
						(long long)(from + (int64_t)i));
				break;
			}
			rc = store_query_i64(
				s,
				"SELECT max(idx) FROM log_leaves WHERE kind = "
				"? AND record_id = ? AND page = ?",
				"reading the log",
				STORE_PARAMS(STORE_TEXT(l->kind),
					     STORE_I64(l->record_id),
					     STORE_I64(l->page)),
				0, &latest, err);
			if (!rc)
				rc = verify_leaf(s, l, latest == l->index, out,
						 err);
			if (!rc)
				memcpy(leaves + 32 * l->index, l->hash, 32);
		}
		cw_store_leaves_free(ls, n);
		if (!rc && n == 0)
			rc = cw_err_set(err, CW_ESTORE,
					"the log has no leaf %lld (deleted)",
					(long long)from);
		from += (int64_t)n;
	}
	out->leaves = size;
	if (!rc)
		rc = verify_coverage(s, err);
	if (!rc)
		rc = verify_nodes(s, leaves, (uint64_t)size, out, err);
	if (!rc)
		rc = verify_checkpoints(s, (uint64_t)size, key, out, err);
	free(leaves);
	return rc;
}

/* ---- a document's records ---- */

int cw_store_log_doc(struct cw_store *s, int64_t doc_id,
		     struct cw_store_leaf **out, size_t *n, struct cw_err *err)
{
	/* the latest leaf of each record of the document */
	return store_query_list(s,
				LEAF_SELECT
				"WHERE l.idx IN (SELECT max(idx) FROM "
				"log_leaves "
				"k WHERE (k.kind = 'snapshot' AND k.record_id "
				"IN "
				"(SELECT id FROM snapshots WHERE doc_id = ?1)) "
				"OR "
				"(k.kind IN ('version', 'analysis') AND "
				"k.record_id IN (SELECT id FROM versions WHERE "
				"doc_id = ?1)) OR (k.kind = 'change' AND "
				"k.record_id IN (SELECT id FROM changes WHERE "
				"doc_id = ?1)) GROUP BY k.kind, k.record_id, "
				"k.page) ORDER BY l.idx",
				"listing a document's records in the log",
				STORE_PARAMS(STORE_I64(doc_id)), &leaf_map,
				NULL, NULL, (void **)out, n, err);
}

int cw_store_log_bytes(struct cw_store *s, const struct cw_store_leaf *l,
		       struct cw_buf *out, struct cw_buf *provisions,
		       struct cw_err *err)
{
	struct leaf_rec r = { .kind = l->kind,
			      .record_id = l->record_id,
			      .page = l->page };
	struct leaf_meta m;
	struct cw_segmentation *seg = NULL;
	int rc;

	rc = leaf_meta(s, &r, &m, err);
	if (rc == CW_ENOTFOUND)
		return cw_err_set(err, CW_ENOTFOUND,
				  "the %s record %lld is gone", l->kind,
				  (long long)l->record_id);
	if (rc)
		return rc;
	if (!strcmp(l->kind, "version")) {
		rc = store_version_load(s, l->record_id, out, &seg, err);
		if (!rc && provisions) {
			json_t *j = cw_segment_json(seg);
			char *dump = json_dumps(j, JSON_COMPACT |
							   JSON_PRESERVE_ORDER);
			cw_buf_adds(provisions, dump);
			free(dump);
			json_decref(j);
		}
		cw_segment_free(seg);
	} else {
		rc = store_blob_get(s, m.blob, out, err);
	}
	store_map_release(&meta_map, &m);
	return rc;
}
