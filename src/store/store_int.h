#ifndef CW_STORE_INT_H
#define CW_STORE_INT_H
/*
 * Private to the store module: the connection, the blob layer, the
 * provision-list codec and the migrations. The statement layer (stmt.h)
 * is the only file that calls SQLite's statement API.
 *
 * Files and who calls whom (each calls only files below it; no circles):
 *
 *	store.c ------------------------------+---------+
 *	   |          |                        |         |
 *	   +-------> log.c <------------------ migrate.c  |
 *	   |          |                        |         |
 *	   |        blob.c   store_monitor.c   |       codec.c
 *	   |          |          |             |
 *	stmt.c <------+----------+-------------+
 *
 * stmt.c is the connection: statements, row mapping, transactions.
 */
#include <sqlite3.h>
#include <zstd.h>

#include "../util/map.h"
#include "store.h"

#define BLOB_CACHE 8
/* More than the store's distinct statements, so all of them stay cached. */
#define STMT_CACHE 96

struct blob_cache_entry {
	int64_t id;
	struct cw_buf raw;
	unsigned long stamp;
	unsigned gen; /* s->cache_gen when decoded; older entries are stale */
};

/* A statement prepared once per connection (stmt.c). */
struct store_stmt_slot {
	const char *sql; /* the literal it was prepared from: the key */
	sqlite3_stmt *st;
	bool busy; /* handed out and not yet finished */
};

/*
 * The search vocabulary of one FTS5 table (search.c): each stemmed word
 * and the number of indexed texts that hold it (the item's val), read
 * whole on first use and again once the index may have changed.
 */
struct search_vocab {
	struct cw_map terms;
	bool loaded;
	int64_t data_version; /* PRAGMA data_version when read */
	unsigned gen;	      /* s->search_gen when read */
	unsigned cache_gen;   /* s->cache_gen when read */
};

struct cw_store {
	sqlite3 *db;
	char *path;
	int in_tx;    /* depth of cw_store_begin */
	bool tx_lost; /* SQLite rolled the open transaction back */
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	int zlevel;
	int max_depth; /* longest chain of prefix-compressed blobs */
	struct blob_cache_entry cache[BLOB_CACHE];
	unsigned long clock;
	/*
	 * Bumped whenever written rows may have been undone (rollback, a
	 * transaction lost): cached blobs decoded before are then stale, their
	 * ids free for reuse.
	 */
	unsigned cache_gen;
	struct store_stmt_slot stmts[STMT_CACHE];
	size_t n_stmts;
	unsigned search_gen; /* bumped at each version indexed */
	unsigned char seal_key[CW_SEAL_KEY]; /* webhook secrets' key */
	bool seal_loaded;
	struct search_vocab vocab[2]; /* current texts, all texts */
};

/* Apply the numbered migrations (migrate.c). */
int store_migrate(struct cw_store *s, struct cw_err *err);

/*
 * Put `raw` in the blob table, compressed with the blob `base` (0: none)
 * as a prefix. Content-addressed: if a blob with the same SHA-256 exists,
 * its id is returned and nothing is written.
 */
int store_blob_put(struct cw_store *s, const void *raw, size_t len,
		   int64_t base, int64_t *out_id, struct cw_err *err);
/* Decompress blob `id` into `out` (appended; an uncapped `out` gets the
 * blob cap, so what a store holds can never exhaust memory). */
int store_blob_get(struct cw_store *s, int64_t id, struct cw_buf *out,
		   struct cw_err *err);
/* Borrowed view of blob `id`, valid until the next blob call. */
int store_blob_view(struct cw_store *s, int64_t id, const char **data,
		    size_t *len, struct cw_err *err);
/* Free the decoded blobs (on close). */
void store_blob_cache_clear(struct cw_store *s);

/*
 * Version `version_id`'s text (appended to `text`, optional) and its
 * provisions (*seg, optional, free with cw_segment_free; NULL on failure).
 */
int store_version_load(struct cw_store *s, int64_t version_id,
		       struct cw_buf *text, struct cw_segmentation **seg,
		       struct cw_err *err);

/*
 * The log (log.c): append the leaf of a record just written, in the same
 * transaction; `sha` is the SHA-256 of the bytes, which the caller has
 * already computed for the content address. store_log_record is for a change or an analysis ("change",
 * "analysis"), whose bytes are its JSON.
 */
int store_log_snapshot_page(struct cw_store *s, int64_t snapshot_id,
			    size_t page, const void *bytes, size_t len,
			    const unsigned char sha[32], struct cw_err *err);
int store_log_version(struct cw_store *s, int64_t version_id, const char *text,
		      size_t len, const unsigned char sha[32],
		      const struct cw_segmentation *seg, struct cw_err *err);
int store_log_record(struct cw_store *s, const char *kind, int64_t record_id,
		     const char *json, struct cw_err *err);
/* Seal the webhook secrets a store older than sealing keeps in clear
 * (migration 7; store_monitor.c). */
int store_seal_secrets(struct cw_store *s, struct cw_err *err);
/* Log every record of a store older than the log (migration 6). */
int store_log_backfill(struct cw_store *s, struct cw_err *err);
/* The SQL function cw_leaf_data(data, content), the stored leaf as its
 * canonical JSON, kept on each connection (log.c). */
int store_log_register(struct cw_store *s, struct cw_err *err);
/* Pack the leaves stored as written (migration 8). */
int store_log_pack(struct cw_store *s, struct cw_err *err);

/* Provision list codec (codec.c): a compact byte encoding. */
void store_encode_provisions(struct cw_buf *out,
			     const struct cw_segmentation *seg);
int store_decode_provisions(struct cw_segmentation **out, const char *data,
			    size_t len, const char *text, size_t textlen,
			    struct cw_err *err);

/* Search index (search.c): the tokenizer and the text function, kept on
 * each connection. */
int store_search_register(struct cw_store *s, struct cw_err *err);
/* Free what the search keeps on the connection (on close). */
void store_search_close(struct cw_store *s);
/* Index the provisions of a version just recorded (same transaction);
 * `text_blob` holds `text`. */
int store_search_index(struct cw_store *s, int64_t doc_id, int64_t version_id,
		       int64_t text_blob, const char *text, size_t len,
		       const struct cw_segmentation *seg, struct cw_err *err);
/* Index every stored version (the migration that made the index). */
int store_search_backfill(struct cw_store *s, struct cw_err *err);
/* Is the index consistent with itself and with the versions? */
int store_search_check(struct cw_store *s, struct cw_err *err);

#endif
