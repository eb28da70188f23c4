#ifndef CW_STORE_H
#define CW_STORE_H
/*
 * store: the one interface to persistence. Callers never see SQL.
 *
 * The embedded backend is SQLite (WAL mode, foreign keys on, numbered
 * migrations applied on open). What is kept:
 *
 * - services and their documents (service ID + terms type), with the
 *   declaration each document was loaded from (JSON, for re-extraction);
 * - snapshots: the raw bytes of each fetch of a document (one page, or
 *   several for a combine declaration), content-addressed by SHA-256;
 * - fetch attempts: every try, success or not, with status and error;
 * - versions: recorded only when the extracted text differs from the
 *   latest one; each keeps its text, the text's hash, the snapshot it came
 *   from, the recording date and the date the document states for itself,
 *   and its provisions (the segmentation);
 * - changes between consecutive versions (JSON produced by diff) and
 *   analyses (JSON produced by analyze), written in the same transaction as
 *   the version they belong to when the caller wraps them in one.
 * - a search index over the provisions' text (FTS5, see "search" below),
 *   written in the transaction that records the version;
 * - the log: every snapshot page, version, change and analysis is a leaf
 *   of an RFC 6962 Merkle tree, appended in the transaction that writes
 *   it, with the signed checkpoints of the tree (see "the log" below).
 *
 * Compactness: every byte string (snapshot page, version text, provision
 * list) goes into one content-addressed blob table, stored once per
 * distinct content and zstd-compressed with the previous blob of the same
 * stream (same document, same kind) as a prefix dictionary, so a long
 * history of small edits costs little. See docs/internals/store.md.
 *
 * Thread safety: a `struct cw_store` is used by one thread at a time; open
 * one handle per thread (SQLite serialises writers through WAL locking).
 * Durability: each transaction is atomic; kill -9 at any point leaves the
 * store consistent (SQLite WAL, synchronous=NORMAL).
 */
#include <stdint.h>

#include "../segment/segment.h"
#include "../util/tlog.h"
#include "../util/util.h"

struct cw_store; /* opaque handle */

/*
 * Open (creating if needed) the store at `path` and migrate it to the
 * current schema. Parent directories are created.
 *
 * out  [out] new handle, close with cw_store_close(); NULL on failure
 * Returns CW_OK or CW_ESTORE / CW_EIO with the path in the message.
 */
int cw_store_open(struct cw_store **out, const char *path, struct cw_err *err);
void cw_store_close(struct cw_store *s); /* NULL is a no-op */

/* The path the store was opened with (borrowed). */
const char *cw_store_path(const struct cw_store *s);

/*
 * A number that moves when another handle (another process, or another
 * thread's handle) has committed since this handle last looked; a
 * long-lived reader compares it to know when its caches are stale.
 */
int cw_store_data_version(struct cw_store *s, int64_t *out, struct cw_err *err);

/*
 * A number that moves when a version, a change or an analysis is added:
 * what a reader's caches of versions and analyses depend on (fetch
 * attempts and monitor rows leave it alone).
 */
int cw_store_content_mark(struct cw_store *s, int64_t *out, struct cw_err *err);

/* Schema version after migrations. */
int cw_store_schema_version(struct cw_store *s);

/*
 * Transactions. Every write function runs inside the caller's transaction
 * when one is open, else in its own. Begin is IMMEDIATE (takes the write
 * lock at once, so a transaction never fails half-way on a busy lock).
 * Transactions nest as savepoints: commit of an inner one keeps its
 * writes for the outer one to commit; rollback of an inner one undoes
 * only what was written since its begin, and the outer one goes on.
 */
int cw_store_begin(struct cw_store *s, struct cw_err *err);
int cw_store_commit(struct cw_store *s, struct cw_err *err);
void cw_store_rollback(struct cw_store *s);
bool cw_store_in_tx(const struct cw_store *s);
/*
 * SQLite rolls a whole transaction back by itself after some errors (disk
 * full, I/O error, out of memory). From then on, until the outermost
 * commit or rollback, begin and commit fail with CW_ESTORE rather than
 * write outside a transaction or report writes that were undone; this says
 * whether that happened, so a caller batching several documents can stop
 * the batch instead of treating it as one document's failure.
 */
bool cw_store_tx_lost(const struct cw_store *s);

/*
 * After a bulk write (an import that recorded most of what the store
 * holds): rewrite the file without its free and half-filled pages
 * (VACUUM) and refresh the planner's statistics (PRAGMA optimize), so the
 * file is as small as its contents. A no-op inside a transaction, and
 * when the versions recorded since open are fewer than half of those
 * stored: on a large store, a small import is not worth a rewrite of the
 * whole file.
 *
 * recorded  versions the caller recorded through this handle
 * Returns CW_OK or CW_ESTORE (the store is then as it was).
 */
int cw_store_compact(struct cw_store *s, int64_t recorded, struct cw_err *err);

/* ---- services and documents ---- */

struct cw_store_doc {
	int64_t id;
	char *service;	    /* service ID ("Claude.ai") */
	char *service_name; /* display name */
	char *type;	    /* terms type ("Terms of Service") */
	char *decl_json;    /* the document's declaration entry, or NULL */
	int64_t n_versions;
	char *latest_at; /* recording time of the latest version, or NULL */
};
void cw_store_doc_release(struct cw_store_doc *d);
void cw_store_docs_free(struct cw_store_doc *docs, size_t n);

/*
 * Create or update a service. `name` may be NULL (the ID is used).
 * out_id  [out] optional
 */
int cw_store_put_service(struct cw_store *s, const char *service,
			 const char *name, const char *decl_path,
			 int64_t *out_id, struct cw_err *err);

/*
 * Create or update a document of an existing service. `decl_json` (may be
 * NULL: a document ingested from a file) replaces the stored declaration.
 */
int cw_store_put_document(struct cw_store *s, const char *service,
			  const char *type, const char *decl_json,
			  int64_t *out_id, struct cw_err *err);

/* Find a document; CW_ENOTFOUND naming "SERVICE/TYPE" if absent. */
int cw_store_find_document(struct cw_store *s, const char *service,
			   const char *type, struct cw_store_doc *out,
			   struct cw_err *err);

/*
 * Documents matching `service` and `type` (each may be NULL: any), ordered
 * by service then type. *out is NULL when there are none.
 */
int cw_store_list_documents(struct cw_store *s, const char *service,
			    const char *type, struct cw_store_doc **out,
			    size_t *n, struct cw_err *err);

/* ---- snapshots and fetch attempts ---- */

struct cw_store_page {
	const char *data;
	size_t len;
	const char *url;	  /* may be NULL */
	const char *content_type; /* may be NULL */
	const char *charset;	  /* may be NULL */
};

/*
 * Archive one fetch of a document: its pages, in order. The bytes are
 * stored once (content-addressed); a snapshot identical to the latest one
 * of the document is not added again: *out_new is false and *out_id is the
 * existing snapshot.
 */
int cw_store_add_snapshot(struct cw_store *s, int64_t doc_id,
			  const struct cw_store_page *pages, size_t n,
			  const char *fetched_at, int64_t *out_id,
			  bool *out_new, struct cw_err *err);

/* The pages of a snapshot; free with cw_store_pages_free(). */
struct cw_store_page_data {
	struct cw_buf data;
	char *url;
	char *content_type;
	char *charset;
};
int cw_store_get_snapshot(struct cw_store *s, int64_t snapshot_id,
			  struct cw_store_page_data **out, size_t *n,
			  struct cw_err *err);
void cw_store_pages_free(struct cw_store_page_data *p, size_t n);

enum cw_store_outcome {
	CW_STORE_NEW_VERSION = 1,   /* a new version was recorded */
	CW_STORE_UNCHANGED = 2,	    /* fetched, text unchanged */
	CW_STORE_FAILED = 3,	    /* fetch failed */
	CW_STORE_EXTRACT_FAILED = 4 /* fetched, extraction gave nothing */
};
const char *cw_store_outcome_name(int outcome);

struct cw_store_attempt {
	int64_t doc_id;
	const char *at; /* ISO time */
	const char *url;
	long status; /* HTTP status, 0 if none */
	int64_t bytes;
	int outcome;	     /* enum cw_store_outcome */
	const char *error;   /* NULL on success */
	int64_t snapshot_id; /* 0 if none */
	double seconds;
};
int cw_store_add_attempt(struct cw_store *s, const struct cw_store_attempt *a,
			 struct cw_err *err);

/* ---- versions ---- */

struct cw_store_version_in {
	const char *text;
	size_t len;
	const struct cw_segmentation *seg; /* provisions of `text` */
	int64_t snapshot_id;		   /* 0 if none */
	const char *recorded_at;	   /* ISO time */
	const char *stated_date;	   /* "2025-07-31" or NULL */
	const char *origin;		   /* "fetch", "ingest", "import" */
};

struct cw_store_version {
	int64_t id;
	int64_t doc_id;
	int64_t seq; /* 1-based, in recording order */
	char *recorded_at;
	char *stated_date;   /* NULL if the document states none */
	int64_t snapshot_id; /* 0 if none */
	char text_hash[CW_SHA256_HEX];
	int64_t text_len;
	int64_t n_provisions;
	char *origin;
};
void cw_store_version_release(struct cw_store_version *v);
void cw_store_versions_free(struct cw_store_version *v, size_t n);

/*
 * Record a version of `doc_id` unless its text equals the latest
 * version's text (then CW_EUNCHANGED, *out_id the latest version).
 * Writes the text and the provision list; the caller wraps it with the
 * change and outbox rows in one transaction (cw_store_begin/commit).
 */
int cw_store_record_version(struct cw_store *s, int64_t doc_id,
			    const struct cw_store_version_in *in,
			    int64_t *out_id, struct cw_err *err);

/* Versions of a document in order; *out NULL when none. */
int cw_store_list_versions(struct cw_store *s, int64_t doc_id,
			   struct cw_store_version **out, size_t *n,
			   struct cw_err *err);

/*
 * One version: `seq` >= 1 is that version, 0 the latest, -1 the one before
 * the latest, and so on. CW_ENOTFOUND if there is none.
 */
int cw_store_get_version(struct cw_store *s, int64_t doc_id, int64_t seq,
			 struct cw_store_version *out, struct cw_err *err);

/* The version in force at ISO time `at` (latest recorded at or before). */
int cw_store_get_version_at(struct cw_store *s, int64_t doc_id, const char *at,
			    struct cw_store_version *out, struct cw_err *err);

/* Text of a version into `out` (appended). */
int cw_store_load_text(struct cw_store *s, int64_t version_id,
		       struct cw_buf *out, struct cw_err *err);

/* Provisions of a version (hashes recomputed from the text). */
int cw_store_load_provisions(struct cw_store *s, int64_t version_id,
			     struct cw_segmentation **out, struct cw_err *err);

/* ---- changes and analyses (JSON from later stages) ---- */

struct cw_store_change_in {
	int64_t doc_id;
	int64_t from_version; /* 0 for the first version */
	int64_t to_version;
	const char *materiality; /* highest: cosmetic, editorial, substantive */
	int64_t n_changes;	 /* provisions changed */
	const char *json;	 /* the structured summary */
};
int cw_store_put_change(struct cw_store *s, const struct cw_store_change_in *c,
			int64_t *out_id, struct cw_err *err);

struct cw_store_change {
	int64_t id;
	int64_t doc_id;
	char *service;
	char *type;
	int64_t from_version, to_version;
	int64_t from_seq, to_seq;
	char *recorded_at;
	char *materiality;
	int64_t n_changes;
	char *json;
};
void cw_store_changes_free(struct cw_store_change *c, size_t n);

/*
 * Changes, newest last (or first: `newest_first`). Filters may be NULL/0: `since` ISO time (on the
 * recording time of the new version), `service`, `doc_id`,
 * `min_materiality` ("editorial" means editorial and substantive).
 */
struct cw_store_change_query {
	const char *since;
	const char *service;
	int64_t doc_id;
	const char *min_materiality;
	int64_t limit;	   /* 0: no limit */
	const char *until; /* ISO time: recorded at or before it; NULL any */
	bool newest_first; /* the newest `limit` changes, newest first */
};
int cw_store_list_changes(struct cw_store *s,
			  const struct cw_store_change_query *q,
			  struct cw_store_change **out, size_t *n,
			  struct cw_err *err);

/*
 * Analysis of a version, one JSON document (the analyze stage's output),
 * replacing any earlier analysis of the same version.
 */
int cw_store_put_analysis(struct cw_store *s, int64_t version_id,
			  const char *json, struct cw_err *err);
/* CW_ENOTFOUND when the version has not been analysed. */
int cw_store_get_analysis(struct cw_store *s, int64_t version_id,
			  struct cw_buf *out, struct cw_err *err);

/* ---- statistics ---- */

struct cw_store_stats {
	int64_t services, documents, snapshots, versions, attempts, changes;
	int64_t blobs;
	int64_t raw_bytes;    /* sum of distinct blob sizes, uncompressed */
	int64_t stored_bytes; /* sum of compressed blob sizes */
	int64_t file_bytes;   /* size of the database file after checkpoint */
};
int cw_store_stats(struct cw_store *s, struct cw_store_stats *out,
		   struct cw_err *err);

/* PRAGMA integrity_check and foreign_key_check, and the search index's
 * own check (FTS5 'integrity-check', every provision text indexed once);
 * CW_ESTORE with the first problem in the message. */
int cw_store_check(struct cw_store *s, struct cw_err *err);

/* ---- search ----
 *
 * Provision text is indexed as versions are recorded, in the transaction
 * that records them (SQLite FTS5, ranked by bm25()). The unit is a
 * provision's own text: its heading and the words before its first
 * sub-provision, so that words are found in the provision that says them.
 * Each distinct text of a document is indexed once, however many versions
 * keep it; a hit names the latest version that has it. By default only
 * the current (latest) version of each document is searched, in an index
 * of its own. The index keeps no copy of the text: a hit's text is read
 * from the version that first had it.
 *
 * Words are letters and digits, lower-cased; words of one byte, and words
 * longer than CW_STORE_WORD_MAX characters, are not indexed; the rest are
 * stemmed (Snowball English), in documents and queries alike.
 */
#define CW_STORE_WORD_MAX 64
/* Distinct words of a query text that are looked for; a longer text's
 * later words are ignored (a provision rarely has this many). */
#define CW_STORE_SEARCH_WORDS 512
#define CW_STORE_SEARCH_LIMIT 20 /* hits when the query says 0 */
/* Around the matched words of a snippet (control characters, which
 * version text never holds, so a face can escape and then mark). */
#define CW_STORE_MARK_OPEN '\x02'
#define CW_STORE_MARK_CLOSE '\x03'

struct cw_store_hit;

enum cw_store_search_mode {
	CW_STORE_SEARCH_ALL = 0, /* every word must occur (a search box) */
	CW_STORE_SEARCH_ANY = 1, /* any word may: "similar to this text" */
};

struct cw_store_search {
	const char *text; /* free text: words, not a query language */
	size_t len;
	enum cw_store_search_mode mode;
	/* optional: words (lower-cased, unstemmed) to leave out of the query */
	bool (*skip)(const char *word, size_t n, void *arg);
	void *skip_arg;
	const char *service;	     /* only this service; NULL: any */
	const char *type;	     /* only this document type; NULL: any */
	const char *exclude_service; /* not this service; NULL: none */
	bool all_versions;	     /* also text no longer current */
	bool snippet;		     /* make each hit's snippet */
	size_t limit;  /* hits at most; 0: CW_STORE_SEARCH_LIMIT */
	size_t offset; /* hits to skip first (paging) */
	/*
	 * Optional: asked of each match in rank order (its names, snippet
	 * and text not read yet) whether to keep it: 1 keep, 0 pass over,
	 * or a failure with err set, which ends the search. With it, `limit`
	 * counts the hits kept and one query reads as far as it must.
	 */
	int (*keep)(const struct cw_store_hit *hit, void *arg,
		    struct cw_err *err);
	void *keep_arg;
};

struct cw_store_hit {
	int64_t doc_id;
	char *service;
	char *type;
	int64_t version_id; /* the latest version with this text */
	int64_t seq;	    /* its seq (the current one unless all_versions) */
	int64_t first_seq;  /* the first version that had this text */
	char *key;	    /* the provision's key in version `seq` */
	char *title;	    /* "" when the heading has none */
	double score;	    /* BM25, higher is closer; only for ordering */
	int64_t text_id;    /* the indexed text (stable while it is kept) */
	char *snippet;	    /* a few words around the matches, marked;
			     * NULL unless the query asked for it */
	char *text;	    /* the provision's own text */
};
void cw_store_hits_free(struct cw_store_hit *hits, size_t n);

/*
 * Provisions matching q->text, best first (ties: indexing order, so a
 * result is stable). *out is NULL when none matches or the text has no
 * word to look for.
 *
 * out  [out] new array of *n hits, free with cw_store_hits_free()
 * Returns CW_OK or CW_ESTORE.
 */
int cw_store_search(struct cw_store *s, const struct cw_store_search *q,
		    struct cw_store_hit **out, size_t *n, struct cw_err *err);

/* Provision texts in the index: of current versions, and in all (each
 * optional). */
int cw_store_search_size(struct cw_store *s, int64_t *current, int64_t *all,
			 struct cw_err *err);

/*
 * Split `text` into the words the index sees, calling `fn` for each:
 * words `skip` (optional) accepts are left out, the others are given
 * stemmed when `stem` is true, as the index holds them. For tests and
 * for callers that build their own statistics; `skip` and `fn` are both
 * called with `arg`. CW_ERROR when the stemmer
 * cannot be made.
 */
int cw_store_search_terms(const char *text, size_t len, bool stem,
			  bool (*skip)(const char *word, size_t n, void *arg),
			  void (*fn)(const char *term, size_t n, void *arg),
			  void *arg);

/* ---- monitoring: schedule, health, subscriptions, outbox (store_monitor.c) ----
 *
 * The monitor's state per document (when it is due, whether it is healthy,
 * the validators of its last fetch) and the notification side: watchlist
 * subscriptions and the outbox of alerts. Outbox rows are written inside the
 * transaction that records the change they announce, so an alert exists if
 * and only if its change does.
 */

/* Monitor state of one document; strings owned (cw_store_mon_release). */
struct cw_store_mon {
	int64_t doc_id;
	int64_t interval_s;  /* per-document schedule, 0: the global one */
	char *next_due;	     /* ISO; NULL: due now */
	char *last_check;    /* ISO of the last completed check, or NULL */
	bool failing;	     /* health: false ok, true failing */
	char *failing_since; /* ISO of the first failure of the streak */
	char *last_error;
	int64_t failures; /* consecutive failed checks */
	bool alerted;	  /* a health alert was raised for this streak */
	char *etag;	  /* validators of the last 200 (single page) */
	char *last_modified;
};
void cw_store_mon_release(struct cw_store_mon *m);

/* A document with its monitor state, for the scheduler and `status`. */
struct cw_store_mon_doc {
	struct cw_store_doc doc;
	struct cw_store_mon mon;
	int64_t latest_len; /* text length of the latest version, 0 if none */
};
void cw_store_mon_docs_free(struct cw_store_mon_doc *d, size_t n);

/*
 * Declared documents (decl_json set) with their state, ordered by id.
 * `due_before`: only those whose next_due is NULL or <= it (ISO); NULL: all
 * (declared or not, for `status`). *out NULL when none.
 */
int cw_store_mon_list(struct cw_store *s, const char *due_before,
		      struct cw_store_mon_doc **out, size_t *n,
		      struct cw_err *err);

/* The state of one document (zeroed defaults when none is stored yet). */
int cw_store_mon_get(struct cw_store *s, int64_t doc_id,
		     struct cw_store_mon *out, struct cw_err *err);

/* Write the whole state of m->doc_id (insert or replace). */
int cw_store_mon_put(struct cw_store *s, const struct cw_store_mon *m,
		     struct cw_err *err);

/* One document by id (CW_ENOTFOUND if none). */
int cw_store_get_document_by_id(struct cw_store *s, int64_t doc_id,
				struct cw_store_doc *out, struct cw_err *err);

/* One change by id, JSON included (CW_ENOTFOUND if none). */
int cw_store_get_change(struct cw_store *s, int64_t change_id,
			struct cw_store_change *out, struct cw_err *err);
void cw_store_change_release(struct cw_store_change *c);

/* A watchlist subscription. Lists are newline-separated ("" for none). */
struct cw_store_sub {
	int64_t id;
	char *channel;	       /* "webhook", "email", "feed" */
	char *target;	       /* URL, address or feed name */
	char *secret;	       /* webhook HMAC key, or NULL */
	char *min_materiality; /* cosmetic, editorial, substantive */
	char *cadence;	       /* immediate, daily, weekly */
	char *services;	       /* service IDs */
	char *documents;       /* "SERVICE/TYPE" */
	char *categories;      /* taxonomy category IDs */
	char *created_at;
	char *last_digest; /* ISO of the last digest sent, or NULL */
};
void cw_store_sub_release(struct cw_store_sub *sub);
void cw_store_subs_free(struct cw_store_sub *subs, size_t n);

/* Add a subscription (sub->id and created_at ignored). */
int cw_store_sub_add(struct cw_store *s, const struct cw_store_sub *sub,
		     int64_t *out_id, struct cw_err *err);
/* Remove one, with its undelivered outbox rows; CW_ENOTFOUND if absent. */
int cw_store_sub_remove(struct cw_store *s, int64_t id, struct cw_err *err);
/* All subscriptions by id; *out NULL when none. */
int cw_store_sub_list(struct cw_store *s, struct cw_store_sub **out, size_t *n,
		      struct cw_err *err);
int cw_store_sub_get(struct cw_store *s, int64_t id, struct cw_store_sub *out,
		     struct cw_err *err);
int cw_store_sub_set_digest(struct cw_store *s, int64_t id, const char *at,
			    struct cw_err *err);

/*
 * Outbox. A row is one alert for one subscription: a change (change_id),
 * a health alert (doc_id, payload) or, for digest subscriptions, a change
 * held until its digest goes out (state "held"). `idem_key` is unique: a
 * second row with the same key is not added (CW_EEXISTS, not an error for
 * callers that retry). States: pending -> sent | dead; held -> sent.
 */
struct cw_store_outbox {
	int64_t id;
	int64_t sub_id;
	int64_t change_id; /* 0 for a health alert */
	int64_t doc_id;
	char *kind; /* "change", "health" */
	char *idem_key;
	char *payload; /* JSON for health alerts, else NULL */
	char *state;
	int64_t attempts;
	char *next_try;
	char *created_at;
	char *last_error;
};
void cw_store_outbox_free(struct cw_store_outbox *o, size_t n);

int cw_store_outbox_add(struct cw_store *s, const struct cw_store_outbox *o,
			struct cw_err *err);
/*
 * Rows in `state` (pending: only next_try <= `now`; held: all of `sub_id`
 * when it is not 0), oldest first, at most `limit` (0: no limit).
 */
int cw_store_outbox_list(struct cw_store *s, const char *state, const char *now,
			 int64_t sub_id, int64_t limit,
			 struct cw_store_outbox **out, size_t *n,
			 struct cw_err *err);
/* Set a row's state, attempts, next_try and last_error (NULLs kept). */
int cw_store_outbox_update(struct cw_store *s, int64_t id, const char *state,
			   int64_t attempts, const char *next_try,
			   const char *last_error, struct cw_err *err);
/* Counts of rows per state, for `status`. */
struct cw_store_outbox_counts {
	int64_t pending, held, sent, dead;
};
int cw_store_outbox_count(struct cw_store *s,
			  struct cw_store_outbox_counts *out,
			  struct cw_err *err);
/*
 * Rows of feed subscriptions named `feed` (sent or pending), newest first,
 * at most `limit`: the entries of that Atom feed.
 */
int cw_store_outbox_feed(struct cw_store *s, const char *feed, int64_t limit,
			 struct cw_store_outbox **out, size_t *n,
			 struct cw_err *err);

/* ---- API tokens (token.c) ---- */

/* "cw_" and 64 hex digits, and the NUL. */
#define CW_STORE_TOKEN_LEN 68

struct cw_store_token {
	char *name;
	char *created_at;
	char *last_used_at; /* NULL: never used */
};
void cw_store_tokens_free(struct cw_store_token *t, size_t n);

/*
 * Make a token named `name` (1 to 64 bytes): 32 random bytes, written to
 * `token` once; the store keeps only its SHA-256. CW_EEXISTS when the
 * name is taken.
 */
int cw_store_token_add(struct cw_store *s, const char *name,
		       char token[CW_STORE_TOKEN_LEN], struct cw_err *err);
/* The tokens by name (never their hashes); *out NULL when none. */
int cw_store_token_list(struct cw_store *s, struct cw_store_token **out,
			size_t *n, struct cw_err *err);
/* CW_ENOTFOUND when there is no such token. */
int cw_store_token_remove(struct cw_store *s, const char *name,
			  struct cw_err *err);
/* *ok: `token` is one of the store's (its last use is then recorded). */
int cw_store_token_check(struct cw_store *s, const char *token, bool *ok,
			 struct cw_err *err);

/* ---- the log ----
 *
 * An append-only Merkle tree (RFC 6962) over the archive: each snapshot
 * page, version, change record and analysis appends one leaf when it is
 * written, in the same transaction. A leaf is a canonical JSON record
 * (docs/log.md): kind, service, type, seq, recorded time, URL, the
 * SHA-256 of the record's bytes, the program that wrote it. A change or
 * an analysis written again with new bytes appends a leaf that
 * supersedes the earlier one. Checkpoints are C2SP signed notes of the
 * tree's size and root; a tree is never signed unless it extends the last
 * one signed.
 */

struct cw_store_leaf {
	int64_t index;
	char *kind;	   /* "snapshot", "version", "change", "analysis" */
	int64_t record_id; /* the snapshot's, version's or change's id */
	int64_t page;	   /* a snapshot's page; 0 otherwise */
	char *program;	   /* "clausewatch 0.1.0" */
	char *logged_at;
	char *data; /* the canonical leaf: the bytes that are hashed */
	char content_sha256[CW_SHA256_HEX];
	char leaf_hash[CW_SHA256_HEX];
	cw_tlog_hash hash; /* the leaf hash, as bytes */
};
void cw_store_leaf_release(struct cw_store_leaf *l);
void cw_store_leaves_free(struct cw_store_leaf *l, size_t n);

/* The number of leaves. */
int cw_store_log_size(struct cw_store *s, int64_t *out, struct cw_err *err);
/* Leaves from index `from`, at most `limit`, in order. */
int cw_store_log_leaves(struct cw_store *s, int64_t from, int64_t limit,
			struct cw_store_leaf **out, size_t *n,
			struct cw_err *err);
/* The latest leaf of a record; CW_ENOTFOUND when it has none. */
int cw_store_log_find(struct cw_store *s, const char *kind, int64_t record_id,
		      int64_t page, struct cw_store_leaf *out,
		      struct cw_err *err);
/* The latest leaf of version `version_id` ("version"), of its analysis
 * ("analysis") or of the change that made it ("change"). */
int cw_store_log_find_version(struct cw_store *s, const char *kind,
			      int64_t version_id, struct cw_store_leaf *out,
			      struct cw_err *err);
/* The latest leaf of each record of document `doc_id`, in log order. */
int cw_store_log_doc(struct cw_store *s, int64_t doc_id,
		     struct cw_store_leaf **out, size_t *n, struct cw_err *err);
/*
 * The bytes of the record `l` stands for, as stored now (appended to
 * `out`); for a version, its provision list as the log hashes it
 * (cw_segment_json, compact) is appended to `provisions` (optional).
 */
int cw_store_log_bytes(struct cw_store *s, const struct cw_store_leaf *l,
		       struct cw_buf *out, struct cw_buf *provisions,
		       struct cw_err *err);
/* The root of the first `size` leaves (size <= the log's size). */
int cw_store_log_root(struct cw_store *s, uint64_t size, cw_tlog_hash out,
		      struct cw_err *err);
/* Proofs against the tree of `size` leaves (tlog.h). */
int cw_store_log_inclusion(struct cw_store *s, uint64_t index, uint64_t size,
			   struct cw_tlog_proof *out, struct cw_err *err);
int cw_store_log_consistency(struct cw_store *s, uint64_t old, uint64_t size,
			     struct cw_tlog_proof *out, struct cw_err *err);
/*
 * A tlog-tiles tile: `width` hashes (1..256) of tile `index` at tile
 * level `level` (Merkle level 8 * level), appended to `out`; an entry
 * bundle: the leaves of tile `index`, each after its big-endian uint16
 * length. CW_ENOTFOUND when the log does not hold the whole tile yet.
 */
int cw_store_log_tile(struct cw_store *s, unsigned level, uint64_t index,
		      unsigned width, struct cw_buf *out, struct cw_err *err);
int cw_store_log_entries(struct cw_store *s, uint64_t index, unsigned width,
			 struct cw_buf *out, struct cw_err *err);

struct cw_store_checkpoint {
	int64_t size;
	cw_tlog_hash root;
	char *note; /* the signed note, verbatim */
	char *signed_at;
};
void cw_store_checkpoint_release(struct cw_store_checkpoint *c);
void cw_store_checkpoints_free(struct cw_store_checkpoint *c, size_t n);
/*
 * The latest checkpoint. When the tree has grown since and `key` holds a
 * private key, a new one is signed first (its origin is the key's name),
 * but only if the tree still extends the last signed one: otherwise
 * CW_ESTORE saying so, and nothing is signed. Without a key the latest
 * signed one is returned (CW_ENOTFOUND when there is none).
 */
int cw_store_log_checkpoint(struct cw_store *s, const struct cw_note_key *key,
			    struct cw_store_checkpoint *out,
			    struct cw_err *err);
/* Every checkpoint, smallest tree first. */
int cw_store_log_checkpoints(struct cw_store *s,
			     struct cw_store_checkpoint **out, size_t *n,
			     struct cw_err *err);

struct cw_store_log_report {
	int64_t leaves, nodes, checkpoints;
	int64_t superseded; /* leaves of changes and analyses written again */
};
/*
 * Check the whole log against the store: each leaf rebuilt from its
 * record's stored bytes (blobs decompressed and hashed again) equals the
 * leaf logged; every record has a leaf; every stored node is the hash of
 * its leaves; every checkpoint's root is the tree's at its size and (with
 * `key`) its signature verifies. CW_ESTORE naming the first leaf or
 * record that does not match: altered bytes, a record deleted, inserted
 * or moved.
 */
int cw_store_log_verify(struct cw_store *s, const struct cw_note_key *key,
			struct cw_store_log_report *out, struct cw_err *err);

#endif
