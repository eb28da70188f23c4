#ifndef CW_STORE_INT_H
#define CW_STORE_INT_H
/*
 * Private to the store module: the SQLite handle, the blob layer and the
 * provision-list codec.
 */
#include <sqlite3.h>
#include <zstd.h>

#include "store.h"

#define BLOB_CACHE 8

struct blob_cache_entry {
	int64_t id;
	struct cw_buf raw;
	unsigned long stamp;
};

struct cw_store {
	sqlite3 *db;
	char *path;
	int in_tx;              /* depth of cw_store_begin */
	bool tx_lost;           /* SQLite rolled the open transaction back */
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	int zlevel;
	int max_depth;          /* longest chain of prefix-compressed blobs */
	struct blob_cache_entry cache[BLOB_CACHE];
	unsigned long clock;
};

/* Set err from the connection's last error, prefixed by `what`. */
int store_sqlerr(struct cw_store *s, struct cw_err *err, const char *what);
/* Prepare; on failure sets err. */
int store_prepare(struct cw_store *s, sqlite3_stmt **st, const char *sql,
		  struct cw_err *err);
int store_exec(struct cw_store *s, const char *sql, struct cw_err *err);

/* A text column as a new string, or NULL for SQL NULL. */
char *store_col_str(sqlite3_stmt *st, int i);
/* Bind `s` as text, or NULL when `s` is NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *s);

/* Apply the numbered migrations (migrate.c). */
int store_migrate(struct cw_store *s, struct cw_err *err);

/*
 * Put `raw` in the blob table, compressed with the blob `base` (0: none)
 * as a prefix. Content-addressed: if a blob with the same SHA-256 exists,
 * its id is returned and nothing is written.
 */
int store_blob_put(struct cw_store *s, const void *raw, size_t len,
		   int64_t base, int64_t *out_id, struct cw_err *err);
/* Decompress blob `id` into `out` (appended). */
int store_blob_get(struct cw_store *s, int64_t id, struct cw_buf *out,
		   struct cw_err *err);
/* Borrowed view of blob `id`, valid until the next blob call. */
int store_blob_view(struct cw_store *s, int64_t id, const char **data,
		    size_t *len, struct cw_err *err);
void store_blob_cache_clear(struct cw_store *s);

/* Provision list codec (codec.c): a compact byte encoding. */
void store_encode_provisions(struct cw_buf *out,
			     const struct cw_segmentation *seg);
int store_decode_provisions(struct cw_segmentation **out, const char *data,
			    size_t len, const char *text, size_t textlen,
			    struct cw_err *err);

#endif
