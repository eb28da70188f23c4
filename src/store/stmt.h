#ifndef CW_STORE_STMT_H
#define CW_STORE_STMT_H
/*
 * stmt: private to the store. The one place where SQL statements are
 * prepared, bound, stepped, mapped into structs and released, and where
 * the connection's transaction state is checked; every other store file
 * speaks to SQLite through it.
 *
 * A statement's life:
 *
 *	struct store_stmt q;
 *	rc = store_stmt_prepare(&q, s, SQL_LITERAL, "reading a thing", err);
 *	if (rc)
 *		return rc;
 *	store_bind_i64(&q, 1, id);
 *	r = store_stmt_row(&q, &thing_map, out, err);  // 1 row, 0 none, <0
 *	...
 *	return store_stmt_finish(&q, rc, err);
 *
 * or, where the statement is bound, stepped and finished in one go, one
 * call of the store_query_* functions at the end of this header:
 *
 *	return store_query_row(s, SQL_LITERAL, "reading a thing",
 *			       STORE_PARAMS(STORE_I64(id)), &thing_map,
 *			       NULL, NULL, out, err);
 *
 * Statements are cached per connection, keyed by the address of their SQL
 * text, which must therefore be a string literal (static storage, never
 * reused for other text). A cached statement is reset and its bindings
 * cleared when finished; a statement asked for while its cached copy is
 * in use (a query run inside the loop of the same query) is prepared for
 * that use alone and finalised when finished.
 *
 * Errors: every SQLite result is checked. A failed bind is remembered and
 * reported by the next step; store_stmt_finish() reports a failed reset
 * or finalise (an autocommit write whose commit failed shows up there)
 * unless an earlier error is already being returned. Messages name the
 * store's path and what the statement was doing.
 *
 * Not thread-safe, like the connection it belongs to.
 */
#include "store_int.h"

/* One use of a prepared statement (on the caller's stack). */
struct store_stmt {
	struct cw_store *s;
	sqlite3_stmt *st;
	struct store_stmt_slot *slot; /* cache slot, NULL: finalise at finish */
	const char *what;	      /* "storing a blob", for messages */
	int bind_rc;		      /* first failed bind's SQLite code */
	int bind_at;		      /* and its parameter index */
};

/*
 * Prepare `sql` (a string literal) for one use.
 * Fails with CW_ESTORE when SQLite refuses it or when the connection's
 * transaction was lost (see cw_store_tx_lost()); `q` then needs no finish.
 */
int store_stmt_prepare(struct store_stmt *q, struct cw_store *s,
		       const char *sql, const char *what, struct cw_err *err);

/* Bind parameter `i` (1-based). Text is copied; a blob must stay valid
 * until store_stmt_finish(). */
void store_bind_i64(struct store_stmt *q, int i, int64_t v);
void store_bind_double(struct store_stmt *q, int i, double v);
void store_bind_text(struct store_stmt *q, int i,
		     const char *t); /* NULL: NULL */
/* `n` bytes of UTF-8 at `t`, which must stay valid until the finish. */
void store_bind_textn(struct store_stmt *q, int i, const char *t, size_t n);
void store_bind_id(struct store_stmt *q, int i, int64_t id); /* 0: NULL */
void store_bind_blob(struct store_stmt *q, int i, const void *p, size_t n);

/*
 * Step once. Returns 1 for a row, 0 when done, or a negative cw_rc with
 * err set (CW_EEXISTS for a UNIQUE violation, else CW_ESTORE).
 */
int store_stmt_step(struct store_stmt *q, struct cw_err *err);

/*
 * Release `q` (reset or finalise) and return the result of the whole use:
 * `rc` when it is not CW_OK, else the release's own failure, else CW_OK.
 */
int store_stmt_finish(struct store_stmt *q, int rc, struct cw_err *err);

/* Step a write to completion (RETURNING rows are skipped) and finish. */
int store_stmt_run(struct store_stmt *q, struct cw_err *err);

/*
 * Run a write whose first result column is an id (INSERT ... RETURNING
 * id), put it in *out_id (optional), and finish. CW_ENOTFOUND, with err
 * not set, when the statement returned no row: the caller names what was
 * missing.
 */
int store_stmt_run_id(struct store_stmt *q, int64_t *out_id,
		      struct cw_err *err);

/* Run a query whose first column of its one row is an integer; *out is
 * `dflt` when there is no row. Finishes `q`. */
int store_stmt_i64(struct store_stmt *q, int64_t dflt, int64_t *out,
		   struct cw_err *err);

/* Columns of the current row. */
int64_t store_col_i64(const struct store_stmt *q, int i);
char *store_col_str(const struct store_stmt *q, int i); /* new, NULL for NULL */
/* Borrowed until the next step or finish; NULL for NULL. */
const char *store_col_text(const struct store_stmt *q, int i);
const void *store_col_blob(const struct store_stmt *q, int i, size_t *len);

/* ---- mapping rows into structs ---- */

enum store_field_kind {
	STORE_F_I64,   /* int64_t */
	STORE_F_BOOL,  /* bool, from an integer column */
	STORE_F_DBL,   /* double */
	STORE_F_STR,   /* char *, new string or NULL */
	STORE_F_HEX32, /* char[CW_SHA256_HEX], from a 32-byte blob */
	STORE_F_HASH,  /* unsigned char[32], from a 32-byte blob */
	STORE_F_OWNED, /* char * the row callback fills: no column, freed */
};

struct store_field {
	enum store_field_kind kind;
	size_t off; /* offsetof the member */
};
#define STORE_FIELD(kind, type, member)                \
	{                                              \
		STORE_F_##kind, offsetof(type, member) \
	}

/*
 * How the columns of a row, in order, fill a struct: the column count is
 * the number of fields that are not STORE_F_OWNED.
 */
struct store_map {
	const struct store_field *fields;
	size_t n;
	size_t size; /* sizeof the struct */
};
#define STORE_MAP(type, fields)                                          \
	{                                                                \
		fields, sizeof(fields) / sizeof(fields[0]), sizeof(type) \
	}

/* Fill `obj` from the current row's columns `first`, `first`+1, ... */
void store_row_map(const struct store_stmt *q, int first,
		   const struct store_map *map, void *obj);
/* Free the string fields of `obj` and zero it. */
void store_map_release(const struct store_map *map, void *obj);
/* store_map_release each of `n` structs of the array, then free it. */
void store_map_free_array(const struct store_map *map, void *arr, size_t n);

/*
 * Step once and map the row into `obj` (zeroed first). Returns 1 for a
 * row, 0 for none, negative on failure; does not finish `q`.
 */
int store_stmt_row(struct store_stmt *q, const struct store_map *map, void *obj,
		   struct cw_err *err);

/* Called for each row after the map has filled `elem`: fills what the
 * map cannot (blobs, derived fields). Returns CW_OK or a failure. */
typedef int (*store_row_fn)(struct store_stmt *q, void *elem, void *ctx,
			    struct cw_err *err);

/*
 * Every row as a new array of map->size structs (*out NULL when there is
 * none), `fn` optional; finishes `q`. On failure nothing leaks and *out is
 * NULL.
 */
int store_stmt_list(struct store_stmt *q, const struct store_map *map,
		    store_row_fn fn, void *ctx, void **out, size_t *n,
		    struct cw_err *err);

/* ---- one call per statement ---- */

/*
 * One parameter of a statement, bound as the store_bind_* function of the
 * same kind binds it. Written with the macros below, in the order of the
 * statement's parameters ?1, ?2, ...
 */
enum store_arg_kind {
	STORE_A_I64,   /* store_bind_i64 */
	STORE_A_ID,    /* store_bind_id: 0 is NULL */
	STORE_A_DBL,   /* store_bind_double */
	STORE_A_TEXT,  /* store_bind_text: copied, NULL is NULL */
	STORE_A_TEXTN, /* store_bind_textn: `len` bytes, not copied */
	STORE_A_BLOB,  /* store_bind_blob: `len` bytes, not copied */
};

struct store_arg {
	enum store_arg_kind kind;
	union {
		int64_t i64;
		double dbl;
		const char *text;
		const void *blob;
	} v;
	size_t len; /* STORE_A_TEXTN, STORE_A_BLOB */
};
/* An argument of kind STORE_A_<k> whose union member `m` is `x`. */
#define STORE_ARG(k, m, x, n) \
	((struct store_arg){ .kind = STORE_A_##k, .v.m = (x), .len = (n) })
#define STORE_I64(x) STORE_ARG(I64, i64, x, 0)
#define STORE_ID(x) STORE_ARG(ID, i64, x, 0)
#define STORE_DBL(x) STORE_ARG(DBL, dbl, x, 0)
#define STORE_TEXT(x) STORE_ARG(TEXT, text, x, 0)
#define STORE_TEXTN(p, n) STORE_ARG(TEXTN, text, p, n)
#define STORE_BLOB(p, n) STORE_ARG(BLOB, blob, p, n)

/* The parameters of one statement: STORE_PARAMS(STORE_I64(id), ...). */
struct store_params {
	const struct store_arg *arg;
	size_t n;
};
#define STORE_PARAMS(...)                                           \
	((struct store_params){                                     \
		(const struct store_arg[]){ __VA_ARGS__ },          \
		sizeof((const struct store_arg[]){ __VA_ARGS__ }) / \
			sizeof(struct store_arg) })
#define STORE_NO_PARAMS ((struct store_params){ NULL, 0 })

/*
 * store_stmt_prepare(), then bind `p` to ?1, ?2, ... A text or blob that
 * is not copied must stay valid until store_stmt_finish().
 */
int store_stmt_prepare_with(struct store_stmt *q, struct cw_store *s,
			    const char *sql, const char *what,
			    struct store_params p, struct cw_err *err);

/*
 * Each of these prepares `sql` (a string literal, as for
 * store_stmt_prepare), binds `p`, runs the statement and finishes it: the
 * store_stmt_* function of the same name in one call.
 */

/* store_stmt_run(): a write. */
int store_query_run(struct cw_store *s, const char *sql, const char *what,
		    struct store_params p, struct cw_err *err);
/* store_stmt_run_id(): CW_ENOTFOUND, err not set, when no row came back. */
int store_query_id(struct cw_store *s, const char *sql, const char *what,
		   struct store_params p, int64_t *out_id, struct cw_err *err);
/* store_stmt_i64(): *out is `dflt` when there is no row (or on failure). */
int store_query_i64(struct cw_store *s, const char *sql, const char *what,
		    struct store_params p, int64_t dflt, int64_t *out,
		    struct cw_err *err);
/*
 * The first row, mapped into `obj` (zeroed first) and then given to `fn`
 * (optional). CW_ENOTFOUND, with err not set, when there is no row: the
 * caller names what was missing; `obj` is then zeroed. On any failure
 * `obj` is released (store_map_release).
 */
int store_query_row(struct cw_store *s, const char *sql, const char *what,
		    struct store_params p, const struct store_map *map,
		    store_row_fn fn, void *ctx, void *obj, struct cw_err *err);
/* store_stmt_list(): every row; *out is NULL and *n 0 on failure. */
int store_query_list(struct cw_store *s, const char *sql, const char *what,
		     struct store_params p, const struct store_map *map,
		     store_row_fn fn, void *ctx, void **out, size_t *n,
		     struct cw_err *err);

/* ---- the connection ---- */

/* Set err from the connection's last error, prefixed by `what`. */
int store_sqlerr(struct cw_store *s, struct cw_err *err, const char *what);
/* Run SQL without results (schema, pragmas, transaction control). */
int store_exec(struct cw_store *s, const char *sql, struct cw_err *err);
/* Rows changed by the connection's last finished write. */
int64_t store_changes(const struct cw_store *s);
/* Finalise every cached statement (before closing the connection);
 * returns SQLITE_OK or the first failure's SQLite code. */
int store_stmt_cache_clear(struct cw_store *s);

/*
 * Close a transaction that a write function opened with cw_store_begin():
 * commit when `rc` is CW_OK or CW_EUNCHANGED, roll back otherwise. Inside
 * a caller's transaction the commit only releases the savepoint. Returns
 * `rc`, or the commit's failure.
 */
int store_tx_end(struct cw_store *s, int rc, struct cw_err *err);

#endif
