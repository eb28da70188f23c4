/*
 * Numbered schema migrations. Each entry runs once, in order, in its own
 * transaction with the bump of `PRAGMA user_version`; entries are never
 * edited once released, only appended.
 */
#include "stmt.h"

/* A migration: SQL, then optionally C that fills what the SQL made. */
struct migration {
	const char *sql;
	int (*fill)(struct cw_store *s, struct cw_err *err);
};

/*
 * The columns migrations 3 and 4 give provision_texts (after its id): a
 * distinct own text of a provision of a document, the first and the last
 * version that had it, and whether the document's latest version has it.
 */
#define PROVISION_TEXT_COLUMNS                                      \
	"  doc_id INTEGER NOT NULL REFERENCES documents(id),"       \
	"  service_id INTEGER NOT NULL REFERENCES services(id),"    \
	"  hash BLOB NOT NULL," /* SHA-256 of the own text */       \
	"  key TEXT NOT NULL,"	/* in last_version */               \
	"  title TEXT NOT NULL,"                                    \
	"  first_version INTEGER NOT NULL REFERENCES versions(id)," \
	"  last_version INTEGER NOT NULL REFERENCES versions(id),"  \
	"  current INTEGER NOT NULL," /* 1: in the latest version */

static const struct migration migrations[] = {
	/* 1: the archive */
	{ "CREATE TABLE blobs ("
	  "  id INTEGER PRIMARY KEY,"
	  "  hash BLOB NOT NULL UNIQUE,"	 /* SHA-256 of the raw bytes */
	  "  base INTEGER REFERENCES blobs(id)," /* zstd prefix, or NULL */
	  "  depth INTEGER NOT NULL,"		 /* length of the base chain */
	  "  size INTEGER NOT NULL,"		 /* raw size */
	  "  data BLOB NOT NULL);"		 /* zstd frame */
	  "CREATE TABLE services ("
	  "  id INTEGER PRIMARY KEY,"
	  "  sid TEXT NOT NULL UNIQUE,"
	  "  name TEXT NOT NULL,"
	  "  decl_path TEXT,"
	  "  created_at TEXT NOT NULL);"
	  "CREATE TABLE documents ("
	  "  id INTEGER PRIMARY KEY,"
	  "  service_id INTEGER NOT NULL REFERENCES services(id),"
	  "  type TEXT NOT NULL,"
	  "  decl_json TEXT,"
	  "  created_at TEXT NOT NULL,"
	  "  UNIQUE (service_id, type));"
	  "CREATE TABLE snapshots ("
	  "  id INTEGER PRIMARY KEY,"
	  "  doc_id INTEGER NOT NULL REFERENCES documents(id),"
	  "  fetched_at TEXT NOT NULL,"
	  "  hash BLOB NOT NULL," /* SHA-256 over the page hashes */
	  "  n_pages INTEGER NOT NULL);"
	  "CREATE INDEX snapshots_doc ON snapshots(doc_id, id);"
	  "CREATE TABLE snapshot_pages ("
	  "  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),"
	  "  idx INTEGER NOT NULL,"
	  "  blob INTEGER NOT NULL REFERENCES blobs(id),"
	  "  url TEXT, content_type TEXT, charset TEXT,"
	  "  PRIMARY KEY (snapshot_id, idx)) WITHOUT ROWID;"
	  "CREATE TABLE attempts ("
	  "  id INTEGER PRIMARY KEY,"
	  "  doc_id INTEGER NOT NULL REFERENCES documents(id),"
	  "  at TEXT NOT NULL,"
	  "  url TEXT,"
	  "  status INTEGER NOT NULL DEFAULT 0,"
	  "  bytes INTEGER NOT NULL DEFAULT 0,"
	  "  outcome TEXT NOT NULL,"
	  "  error TEXT,"
	  "  snapshot_id INTEGER REFERENCES snapshots(id),"
	  "  seconds REAL);"
	  "CREATE INDEX attempts_doc ON attempts(doc_id, id);"
	  "CREATE TABLE versions ("
	  "  id INTEGER PRIMARY KEY,"
	  "  doc_id INTEGER NOT NULL REFERENCES documents(id),"
	  "  seq INTEGER NOT NULL,"
	  "  recorded_at TEXT NOT NULL,"
	  "  stated_date TEXT,"
	  "  snapshot_id INTEGER REFERENCES snapshots(id),"
	  "  text_blob INTEGER NOT NULL REFERENCES blobs(id),"
	  "  provisions_blob INTEGER NOT NULL REFERENCES blobs(id),"
	  "  n_provisions INTEGER NOT NULL,"
	  "  origin TEXT NOT NULL,"
	  "  UNIQUE (doc_id, seq));"
	  "CREATE TABLE changes ("
	  "  id INTEGER PRIMARY KEY,"
	  "  doc_id INTEGER NOT NULL REFERENCES documents(id),"
	  "  from_version INTEGER REFERENCES versions(id),"
	  "  to_version INTEGER NOT NULL UNIQUE REFERENCES versions(id),"
	  "  materiality TEXT NOT NULL,"
	  "  n_changes INTEGER NOT NULL,"
	  "  json_blob INTEGER NOT NULL REFERENCES blobs(id));"
	  "CREATE INDEX changes_doc ON changes(doc_id, id);"
	  "CREATE TABLE analyses ("
	  "  version_id INTEGER PRIMARY KEY REFERENCES versions(id),"
	  "  json_blob INTEGER NOT NULL REFERENCES blobs(id));",
	  NULL },
	/* 2: the monitor (schedule, health) and notifications (outbox) */
	{ "CREATE TABLE doc_monitor ("
	  "  doc_id INTEGER PRIMARY KEY REFERENCES documents(id),"
	  "  interval_s INTEGER NOT NULL DEFAULT 0," /* 0: global schedule */
	  "  next_due TEXT,"			     /* NULL: due now */
	  "  last_check TEXT,"
	  "  failing INTEGER NOT NULL DEFAULT 0,"
	  "  failing_since TEXT,"
	  "  last_error TEXT,"
	  "  failures INTEGER NOT NULL DEFAULT 0," /* consecutive */
	  "  alerted INTEGER NOT NULL DEFAULT 0,"
	  "  etag TEXT,"
	  "  last_modified TEXT);"
	  "CREATE TABLE subscriptions ("
	  "  id INTEGER PRIMARY KEY,"
	  "  channel TEXT NOT NULL,"
	  "  target TEXT NOT NULL,"
	  "  secret TEXT,"
	  "  min_materiality TEXT NOT NULL,"
	  "  cadence TEXT NOT NULL,"
	  "  services TEXT NOT NULL DEFAULT '',"
	  "  documents TEXT NOT NULL DEFAULT '',"
	  "  categories TEXT NOT NULL DEFAULT '',"
	  "  created_at TEXT NOT NULL,"
	  "  last_digest TEXT);"
	  "CREATE TABLE outbox ("
	  "  id INTEGER PRIMARY KEY,"
	  "  sub_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE "
	  "CASCADE,"
	  "  change_id INTEGER REFERENCES changes(id),"
	  "  doc_id INTEGER REFERENCES documents(id),"
	  "  kind TEXT NOT NULL,"
	  "  idem_key TEXT NOT NULL UNIQUE,"
	  "  payload TEXT,"
	  "  state TEXT NOT NULL,"
	  "  attempts INTEGER NOT NULL DEFAULT 0,"
	  "  next_try TEXT NOT NULL,"
	  "  created_at TEXT NOT NULL,"
	  "  last_error TEXT);"
	  "CREATE INDEX outbox_state ON outbox(state, next_try);"
	  "CREATE INDEX outbox_sub ON outbox(sub_id, state);",
	  NULL },
	/*
	 * 3: the search index (search.c): each distinct own text of a
	 * provision of a document, with the first and last version that had
	 * it, and its words in FTS5; the stored versions are indexed here.
	 */
	{ "CREATE TABLE provision_texts ("
	  "  id INTEGER PRIMARY KEY," /* = provision_fts rowid */
	  PROVISION_TEXT_COLUMNS "  UNIQUE (doc_id, hash));"
	  "CREATE INDEX provision_texts_last ON provision_texts(last_version);"
	  "CREATE VIRTUAL TABLE provision_fts USING fts5(body, tokenize = "
	  "'cw_stem');",
	  /* filled no longer: migration 4 makes the index again */
	  NULL },
	/*
	 * 4: the search index without a copy of the text, and a second FTS5
	 * table of current texts only (search.c). A text's words are read
	 * from the version text that first had it (`text_blob`, `start`,
	 * `len`) through the function cw_text_slice(); the two FTS5 tables
	 * are external-content tables over the views below.
	 */
	{ "DROP TABLE provision_fts;"
	  "DROP TABLE provision_texts;"
	  "CREATE TABLE provision_texts ("
	  "  id INTEGER PRIMARY KEY," /* = the FTS5 rowids */
	  PROVISION_TEXT_COLUMNS "  text_blob INTEGER NOT NULL REFERENCES "
	  "blobs(id),"		      /* first's */
	  "  start INTEGER NOT NULL," /* the own text's bytes in it */
	  "  len INTEGER NOT NULL,"
	  "  UNIQUE (doc_id, hash));"
	  "CREATE INDEX provision_texts_last ON provision_texts(last_version);"
	  "CREATE VIEW provision_bodies AS SELECT id, "
	  "cw_text_slice(text_blob, start, len) AS body FROM provision_texts;"
	  "CREATE VIEW current_bodies AS SELECT id, "
	  "cw_text_slice(text_blob, start, len) AS body FROM provision_texts "
	  "WHERE current;"
	  "CREATE VIRTUAL TABLE provision_fts USING fts5(body, "
	  "content = 'provision_bodies', content_rowid = 'id', "
	  "tokenize = 'cw_stem');"
	  "CREATE VIRTUAL TABLE current_fts USING fts5(body, "
	  "content = 'current_bodies', content_rowid = 'id', "
	  "tokenize = 'cw_stem');",
	  store_search_backfill },
	/* 5: API tokens, kept as their SHA-256 only (token.c) */
	{ "CREATE TABLE tokens ("
	  "  id INTEGER PRIMARY KEY,"
	  "  name TEXT NOT NULL UNIQUE,"
	  "  hash TEXT NOT NULL UNIQUE,"
	  "  created_at TEXT NOT NULL,"
	  "  last_used_at TEXT);",
	  NULL },
	/*
	 * 6: the log (log.c): the leaves, the stored hashes of the tree,
	 * the signed checkpoints; a store older than the log gets a leaf
	 * for each of its records, in the order they were recorded.
	 */
	{ "CREATE TABLE log_leaves ("
	  "  idx INTEGER PRIMARY KEY," /* 0-based leaf index */
	  "  kind TEXT NOT NULL,"
	  "  record_id INTEGER NOT NULL,"
	  "  page INTEGER NOT NULL DEFAULT 0,"
	  "  program TEXT NOT NULL,"
	  "  logged_at TEXT NOT NULL,"
	  "  data BLOB NOT NULL,"     /* the canonical leaf */
	  "  content BLOB NOT NULL);" /* SHA-256 of the record's bytes */
	  "CREATE INDEX log_leaves_record ON log_leaves(kind, record_id, "
	  "page, idx);"
	  "CREATE TABLE log_nodes ("
	  "  level INTEGER NOT NULL,"
	  "  idx INTEGER NOT NULL,"
	  "  hash BLOB NOT NULL,"
	  "  PRIMARY KEY (level, idx)) WITHOUT ROWID;"
	  "CREATE TABLE log_checkpoints ("
	  "  size INTEGER PRIMARY KEY,"
	  "  root BLOB NOT NULL,"
	  "  note TEXT NOT NULL,"
	  "  signed_at TEXT NOT NULL);"
	  "CREATE TABLE log_meta ("
	  "  key TEXT PRIMARY KEY,"
	  "  value TEXT NOT NULL);",
	  store_log_backfill },
	/* 7: webhook secrets sealed (store_monitor.c); no schema change */
	{ "SELECT 1;", store_seal_secrets },
	/*
	 * 8: the log's leaves packed (log.c, leaf_pack): the same bytes in
	 * the tree, a third of the room in the file; no schema change
	 */
	{ "SELECT 1;", store_log_pack },
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int cw_store_schema_version(struct cw_store *s)
{
	int64_t v;

	if (store_query_i64(s, "PRAGMA user_version",
			    "reading the schema version", STORE_NO_PARAMS, -1,
			    &v, NULL))
		return -1;
	return (int)v;
}

int store_migrate(struct cw_store *s, struct cw_err *err)
{
	int v = cw_store_schema_version(s);

	if (v < 0)
		return store_sqlerr(s, err, "reading the schema version");
	if (v > N_MIGRATIONS)
		return cw_err_set(err, CW_ESTORE,
				  "'%s': schema version %d is newer than this "
				  "clausewatch (%d)",
				  s->path, v, N_MIGRATIONS);
	for (; v < N_MIGRATIONS; v++) {
		char bump[64];
		int rc;

		rc = store_exec(s, "BEGIN IMMEDIATE", err);
		if (rc)
			return rc;
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
		rc = store_exec(s, migrations[v].sql, err);
		if (!rc && migrations[v].fill)
			rc = migrations[v].fill(s, err);
		if (!rc)
			rc = store_exec(s, bump, err);
		if (!rc)
			rc = store_exec(s, "COMMIT", err);
		if (rc) {
			/* the migration's failure is what is reported */
			(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return cw_err_prefix(err, "migration %d: ", v + 1);
		}
	}
	return CW_OK;
}
