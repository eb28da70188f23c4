/*
 * search: provision text in an FTS5 index (see "search" in store.h and
 * docs/internals/store.md).
 *
 * What is indexed: the own text of every distinct provision of each
 * document, over all its versions. A provision's own text runs from its
 * heading to its first sub-provision (or its end): the words a nested
 * provision holds are indexed once, in the provision that says them, not
 * again in every ancestor. Distinct means by SHA-256 per document: a
 * provision unchanged between versions is one row, which remembers the
 * first and the last version that had it; a new version adds rows only
 * for the provisions it changed, so the index grows with what changed, as
 * the blob table does, and not with the number of versions. "Current"
 * provisions are the rows whose last version is their document's latest.
 *
 * Two FTS5 tables hold the words: provision_fts of every text, and
 * current_fts of the current ones, which a default search ranks in (a
 * quarter of the rows, so a quarter of the bm25() work). Neither keeps a
 * copy of the text: both are external-content tables over views that
 * read a text's bytes from the version that first had it, through the
 * SQL function cw_text_slice() (the blob layer's decoded, cached text).
 *
 * Words: the tokenizer "cw_stem" is ours, registered on each connection
 * through the fts5_api: text is lower-cased (utf8proc), split into runs of
 * letters and digits, words of one byte or over CW_STORE_WORD_MAX
 * characters are dropped, and the rest are stemmed by the Snowball English
 * stemmer (libstemmer), the words compare has always used. Ranking is
 * FTS5's bm25() (k1 = 1.2, b = 0.75).
 */
#include <limits.h>

#include <libstemmer.h>
#include <utf8proc.h>

#include "stmt.h"

/* ---- words ---- */

/*
 * Split text[0, len) into lower-cased words, calling fn(word, n, start,
 * end, arg) with the word's byte range in `text`; a non-zero return stops
 * the split and is returned.
 */
typedef int (*word_fn)(const char *w, size_t n, size_t start, size_t end,
		       void *arg);

static int split_words(const char *text, size_t len, word_fn fn, void *arg)
{
	char word[CW_STORE_WORD_MAX * 4 + 8];
	size_t wl = 0, i = 0, ws = 0;
	bool cut = false;
	int rc;

	while (i <= len) {
		utf8proc_int32_t cp = ' ';
		utf8proc_ssize_t k = 1;
		utf8proc_category_t cat;

		if (i < len) {
			k = utf8proc_iterate((const utf8proc_uint8_t *)text + i,
					     (utf8proc_ssize_t)(len - i), &cp);
			if (k < 1) {
				k = 1;
				cp = ' ';
			}
		}
		cat = utf8proc_category(cp);
		if ((cat >= UTF8PROC_CATEGORY_LU &&
		     cat <= UTF8PROC_CATEGORY_LO) ||
		    cat == UTF8PROC_CATEGORY_ND) {
			if (!wl)
				ws = i;
			if (wl < CW_STORE_WORD_MAX * 4)
				wl += (size_t)utf8proc_encode_char(
					utf8proc_tolower(cp),
					(utf8proc_uint8_t *)word + wl);
			else
				cut = true;
		} else if (wl) {
			word[wl] = '\0';
			if (!cut && wl > 1) {
				rc = fn(word, wl, ws, i, arg);
				if (rc)
					return rc;
			}
			wl = 0;
			cut = false;
		}
		i += (size_t)k;
	}
	return 0;
}

struct stem_ctx {
	struct sb_stemmer *stemmer;
	int (*fn)(const char *term, size_t n, size_t start, size_t end,
		  void *arg);
	void *arg;
};

static int stem_word(const char *w, size_t n, size_t start, size_t end,
		     void *arg)
{
	struct stem_ctx *c = arg;
	const sb_symbol *st =
		sb_stemmer_stem(c->stemmer, (const sb_symbol *)w, (int)n);
	int sl = sb_stemmer_length(c->stemmer);

	if (st && sl > 0)
		return c->fn((const char *)st, (size_t)sl, start, end, c->arg);
	return c->fn(w, n, start, end, c->arg);
}

struct terms_ctx {
	bool (*skip)(const char *word, size_t n, void *arg);
	void (*fn)(const char *term, size_t n, void *arg);
	void *arg;
	struct stem_ctx stem;
};

static int term_out(const char *t, size_t n, size_t start, size_t end,
		    void *arg)
{
	struct terms_ctx *c = arg;

	(void)start;
	(void)end;
	c->fn(t, n, c->arg);
	return 0;
}

static int term_word(const char *w, size_t n, size_t start, size_t end,
		     void *arg)
{
	struct terms_ctx *c = arg;

	if (c->skip && c->skip(w, n, c->arg))
		return 0;
	if (!c->stem.stemmer)
		return term_out(w, n, start, end, c);
	return stem_word(w, n, start, end, &c->stem);
}

int cw_store_search_terms(const char *text, size_t len, bool stem,
			  bool (*skip)(const char *word, size_t n, void *arg),
			  void (*fn)(const char *term, size_t n, void *arg),
			  void *arg)
{
	struct terms_ctx c = { skip, fn, arg, { NULL, term_out, NULL } };

	c.stem.arg = &c;
	if (stem) {
		c.stem.stemmer = sb_stemmer_new("english", NULL);
		if (!c.stem.stemmer)
			return CW_ERROR;
	}
	split_words(text, len, term_word, &c);
	if (c.stem.stemmer)
		sb_stemmer_delete(c.stem.stemmer);
	return CW_OK;
}

/* ---- the FTS5 tokenizer ---- */

/* One instance per FTS5 table and connection, used by one thread. */
struct tokenizer {
	struct sb_stemmer *stemmer;
};

static int tok_create(void *ctx, const char **argv, int argc,
		      Fts5Tokenizer **out)
{
	struct tokenizer *t;

	(void)ctx;
	(void)argv;
	if (argc != 0)
		return SQLITE_ERROR; /* cw_stem takes no options */
	t = cw_calloc(1, sizeof(*t));
	t->stemmer = sb_stemmer_new("english", NULL);
	if (!t->stemmer) {
		free(t);
		return SQLITE_NOMEM;
	}
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *ft)
{
	struct tokenizer *t = (struct tokenizer *)ft;

	if (t) {
		sb_stemmer_delete(t->stemmer);
		free(t);
	}
}

struct tok_call {
	void *ctx;
	int (*token)(void *ctx, int flags, const char *tok, int n, int start,
		     int end);
};

static int tok_emit(const char *t, size_t n, size_t start, size_t end,
		    void *arg)
{
	struct tok_call *c = arg;

	return c->token(c->ctx, 0, t, (int)n, (int)start, (int)end);
}

static int tok_tokenize(Fts5Tokenizer *ft, void *ctx, int flags,
			const char *text, int len,
			int (*token)(void *ctx, int flags, const char *tok,
				     int n, int start, int end))
{
	struct tokenizer *t = (struct tokenizer *)ft;
	struct tok_call call = { ctx, token };
	struct stem_ctx sc = { t->stemmer, tok_emit, &call };

	/* documents and queries are split and stemmed alike */
	(void)flags;
	if (len <= 0)
		return SQLITE_OK;
	return split_words(text, (size_t)len, stem_word, &sc);
}

/*
 * cw_text_slice(blob, start, len): bytes [start, start + len) of the
 * decoded blob, as text. The views under the FTS5 tables (migration 4)
 * read a provision's own text with it from the version that first had
 * it, so the index keeps no copy of the text.
 */
static void text_slice(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct cw_store *s = sqlite3_user_data(ctx);
	struct cw_err err = CW_ERR_INIT;
	sqlite3_int64 id = sqlite3_value_int64(argv[0]);
	sqlite3_int64 start = sqlite3_value_int64(argv[1]);
	sqlite3_int64 len = sqlite3_value_int64(argv[2]);
	const char *data;
	size_t n;

	(void)argc;
	if (store_blob_view(s, id, &data, &n, &err)) {
		sqlite3_result_error(ctx, err.msg, -1);
		return;
	}
	if (start < 0 || len < 0 || len > INT_MAX || (uint64_t)start > n ||
	    (uint64_t)len > n - (uint64_t)start) {
		sqlite3_result_error(ctx,
				     "a provision text lies outside its "
				     "version text",
				     -1);
		return;
	}
	sqlite3_result_text(ctx, data + start, (int)len, SQLITE_TRANSIENT);
}

int store_search_register(struct cw_store *s, struct cw_err *err)
{
	static fts5_tokenizer tok = { tok_create, tok_delete, tok_tokenize };
	sqlite3_stmt *st = NULL;
	fts5_api *api = NULL;
	int r;

	/* the documented way to reach the fts5_api of a connection */
	r = sqlite3_prepare_v2(s->db, "SELECT fts5(?1)", -1, &st, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr",
					 NULL);
	if (r == SQLITE_OK && sqlite3_step(st) != SQLITE_ROW)
		r = sqlite3_errcode(s->db);
	if (sqlite3_finalize(st) != SQLITE_OK && r == SQLITE_OK)
		r = sqlite3_errcode(s->db);
	if (r != SQLITE_OK || !api || api->iVersion < 2)
		return cw_err_set(err, CW_ESTORE,
				  "'%s': SQLite has no FTS5 (%s)", s->path,
				  r != SQLITE_OK ? sqlite3_errstr(r)
						 : "no fts5_api");
	r = api->xCreateTokenizer(api, "cw_stem", NULL, &tok, NULL);
	if (r != SQLITE_OK)
		return cw_err_set(err, CW_ESTORE,
				  "'%s': registering the search tokenizer: %s",
				  s->path, sqlite3_errstr(r));
	r = sqlite3_create_function(s->db, "cw_text_slice", 3, SQLITE_UTF8, s,
				    text_slice, NULL, NULL);
	if (r != SQLITE_OK)
		return cw_err_set(err, CW_ESTORE,
				  "'%s': registering the search text: %s",
				  s->path, sqlite3_errstr(r));
	return CW_OK;
}

void store_search_close(struct cw_store *s)
{
	for (size_t i = 0; i < 2; i++)
		cw_map_release(&s->vocab[i].terms);
}

/* ---- keeping the index ---- */

/*
 * End of provision i's own text: where its first sub-provision starts, as
 * the analysis counts it (analyze.c), so that an analysed provision and an
 * indexed one are the same words.
 */
static size_t own_end(const struct cw_segmentation *seg, size_t i)
{
	if (i + 1 < seg->n && seg->items[i + 1].parent == (long)i)
		return seg->items[i + 1].start;
	return seg->items[i].end;
}

/* Values of provision_texts.current while a version is indexed. */
enum {
	TEXT_OLD = 0,	  /* not in the document's latest version */
	TEXT_CURRENT = 1, /* in it */
	TEXT_WAS = 2,	  /* was current; not yet seen in the new version */
};

/* Add the words of text `id` to one of the FTS5 tables. */
static int fts_add(struct cw_store *s, bool all, int64_t id, const char *own,
		   size_t len, struct cw_err *err)
{
	return store_query_run(
		s,
		all ? "INSERT INTO provision_fts (rowid, body) "
		      "VALUES (?1, ?2)"
		    : "INSERT INTO current_fts (rowid, body) "
		      "VALUES (?1, ?2)",
		"indexing a provision's words",
		STORE_PARAMS(STORE_I64(id), STORE_TEXTN(own, len)), err);
}

/* Where a version's text is: its blob and the version. */
struct index_at {
	int64_t doc_id, service_id, version_id, text_blob;
};

/* A text the document had already. */
struct known_text {
	int64_t id, current;
};

static const struct store_field known_text_fields[] = {
	STORE_FIELD(I64, struct known_text, id),
	STORE_FIELD(I64, struct known_text, current),
};
static const struct store_map known_text_map =
	STORE_MAP(struct known_text, known_text_fields);

/*
 * Index one provision of a version. A text the document had before (in
 * an earlier version, or earlier in this one) only moves its last version
 * on and is current again (its words join the current table if it had
 * left it); a new one gets a row and its words in both tables.
 */
static int index_provision(struct cw_store *s, const struct index_at *at,
			   size_t start, size_t len, const char *own,
			   const struct cw_provision *p, struct cw_err *err)
{
	const char *key = p->key ? p->key : "";
	const char *title = p->title ? p->title : "";
	struct known_text k;
	unsigned char hash[32];
	int64_t id;
	int rc;

	cw_sha256(own, len, hash);
	rc = store_query_row(s,
			     "SELECT id, current FROM provision_texts "
			     "WHERE doc_id = ?1 AND hash = ?2",
			     "indexing a provision",
			     STORE_PARAMS(STORE_I64(at->doc_id),
					  STORE_BLOB(hash, 32)),
			     &known_text_map, NULL, NULL, &k, err);
	if (rc == CW_OK) {
		rc = store_query_run(s,
				     "UPDATE provision_texts SET key = ?2, "
				     "title = ?3, last_version = ?4, "
				     "current = 1 WHERE id = ?1",
				     "indexing a provision",
				     STORE_PARAMS(STORE_I64(k.id),
						  STORE_TEXT(key),
						  STORE_TEXT(title),
						  STORE_I64(at->version_id)),
				     err);
		/* known text: its words are in the index already */
		if (!rc && k.current == TEXT_OLD)
			rc = fts_add(s, false, k.id, own, len, err);
		return rc;
	}
	if (rc != CW_ENOTFOUND)
		return rc;
	rc = store_query_id(
		s,
		"INSERT INTO provision_texts (doc_id, service_id, hash, key, "
		"title, first_version, last_version, current, text_blob, "
		"start, len) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 1, ?7, ?8, "
		"?9) RETURNING id",
		"indexing a provision",
		STORE_PARAMS(STORE_I64(at->doc_id), STORE_I64(at->service_id),
			     STORE_BLOB(hash, 32), STORE_TEXT(key),
			     STORE_TEXT(title), STORE_I64(at->version_id),
			     STORE_I64(at->text_blob),
			     STORE_I64((int64_t)start),
			     STORE_I64((int64_t)len)),
		&id, err);
	if (rc == CW_ENOTFOUND)
		rc = cw_err_set(err, CW_ESTORE,
				"'%s': indexing a provision: no row id",
				s->path);
	if (!rc)
		rc = fts_add(s, true, id, own, len, err);
	if (!rc)
		rc = fts_add(s, false, id, own, len, err);
	return rc;
}

/* Run `sql` with ?1 bound to the document. */
static int run_for_doc(struct cw_store *s, const char *sql, int64_t doc_id,
		       struct cw_err *err)
{
	return store_query_run(s, sql, "indexing a version",
			       STORE_PARAMS(STORE_I64(doc_id)), err);
}

int store_search_index(struct cw_store *s, int64_t doc_id, int64_t version_id,
		       int64_t text_blob, const char *text, size_t len,
		       const struct cw_segmentation *seg, struct cw_err *err)
{
	struct index_at at = { doc_id, 0, version_id, text_blob };
	int rc;

	s->search_gen++;
	rc = store_query_i64(s,
			     "SELECT service_id FROM documents WHERE id = ?1",
			     "indexing a version",
			     STORE_PARAMS(STORE_I64(doc_id)), 0, &at.service_id,
			     err);
	/* the texts of the version before are current until seen again */
	if (!rc)
		rc = run_for_doc(s,
				 "UPDATE provision_texts SET current = 2 "
				 "WHERE doc_id = ?1 AND current",
				 doc_id, err);
	for (size_t i = 0; !rc && i < seg->n; i++) {
		const struct cw_provision *p = &seg->items[i];
		size_t end = own_end(seg, i);

		if (p->start >= end || end > len)
			continue;
		rc = index_provision(s, &at, p->start, end - p->start,
				     text + p->start, p, err);
	}
	/*
	 * Those not seen leave the current table: an external-content FTS5
	 * table forgets a row's words when given them again ('delete').
	 */
	if (!rc)
		rc = run_for_doc(s,
				 "INSERT INTO current_fts (current_fts, rowid, "
				 "body) SELECT 'delete', id, "
				 "cw_text_slice(text_blob, start, len) "
				 "FROM provision_texts "
				 "WHERE doc_id = ?1 AND current = 2",
				 doc_id, err);
	if (!rc)
		rc = run_for_doc(s,
				 "UPDATE provision_texts SET current = 0 "
				 "WHERE doc_id = ?1 AND current = 2",
				 doc_id, err);
	return rc;
}

struct version_ref {
	int64_t id, doc_id, text_blob;
};

static const struct store_field version_ref_fields[] = {
	STORE_FIELD(I64, struct version_ref, id),
	STORE_FIELD(I64, struct version_ref, doc_id),
	STORE_FIELD(I64, struct version_ref, text_blob),
};
static const struct store_map version_ref_map =
	STORE_MAP(struct version_ref, version_ref_fields);

int store_search_backfill(struct cw_store *s, struct cw_err *err)
{
	struct version_ref *vs = NULL;
	size_t n = 0;
	int rc;

	rc = store_query_list(s,
			      "SELECT id, doc_id, text_blob FROM versions "
			      "ORDER BY doc_id, seq",
			      "listing versions to index", STORE_NO_PARAMS,
			      &version_ref_map, NULL, NULL, (void **)&vs, &n,
			      err);
	/* in recording order: each row's last version ends up the latest */
	for (size_t i = 0; !rc && i < n; i++) {
		struct cw_buf text = CW_BUF_INIT;
		struct cw_segmentation *seg = NULL;

		rc = store_version_load(s, vs[i].id, &text, &seg, err);
		if (!rc)
			rc = store_search_index(s, vs[i].doc_id, vs[i].id,
						vs[i].text_blob, text.ptr,
						text.len, seg, err);
		cw_segment_free(seg);
		cw_buf_release(&text);
	}
	free(vs);
	return rc;
}

/* ---- queries ---- */

/* The query's distinct words, in order of first appearance. */
struct qwords {
	char *buf; /* the words, NUL-separated */
	size_t len, cap;
	size_t *at; /* offsets of the words in buf */
	size_t n, cap_at;
	const struct cw_store_search *q;
};

static int add_qword(const char *w, size_t n, size_t start, size_t end,
		     void *arg)
{
	struct qwords *qw = arg;

	(void)start;
	(void)end;
	if (qw->q->skip && qw->q->skip(w, n, qw->q->skip_arg))
		return 0;
	for (size_t i = 0; i < qw->n; i++)
		if (!strcmp(qw->buf + qw->at[i], w))
			return 0;
	if (qw->n == CW_STORE_SEARCH_WORDS)
		return 1; /* enough: the rest of a long text adds little */
	CW_GROW(qw->buf, qw->cap, qw->len + n + 1);
	CW_GROW(qw->at, qw->cap_at, qw->n + 1);
	qw->at[qw->n++] = qw->len;
	memcpy(qw->buf + qw->len, w, n + 1);
	qw->len += n + 1;
	return 0;
}

/*
 * Words an "any word" query keeps: the rarest ones of the text. bm25()
 * reads every row that holds any query word, so an OR of every word of a
 * long provision ("the", "service", "use", ...) reads most of the index
 * for each query; the common words add almost nothing to the ranking
 * anyway (their IDF is near zero). Measured on the corpus store (24,332
 * indexed texts, 5,600 current): the 3,915 comparisons of `analyze --all`
 * did not end in ten minutes with every word; with the 24 rarest they
 * take about 6 ms each in the current table (docs/internals/store.md).
 */
#define SEARCH_RARE_WORDS 24

/*
 * The vocabulary of the current table (all: of every text), read whole
 * into s->vocab: reading it costs about 0.1 s on the corpus store, where
 * looking each query word up in fts5vocab cost 9 ms a query. It is read
 * again when this connection has indexed a version since, rolled back,
 * or another connection has committed (PRAGMA data_version).
 */
static int vocab_get(struct cw_store *s, bool all, struct search_vocab **out,
		     struct cw_err *err)
{
	struct search_vocab *v = &s->vocab[all];
	struct store_stmt q;
	int64_t dv;
	int rc;

	rc = store_query_i64(s, "PRAGMA data_version",
			     "reading the search vocabulary", STORE_NO_PARAMS,
			     0, &dv, err);
	if (rc)
		return rc;
	*out = v;
	if (v->loaded && v->data_version == dv && v->gen == s->search_gen &&
	    v->cache_gen == s->cache_gen)
		return CW_OK;
	cw_map_release(&v->terms);
	v->loaded = false;
	rc = store_exec(s,
			all ? "CREATE VIRTUAL TABLE IF NOT EXISTS "
			      "temp.provision_vocab USING fts5vocab(main, "
			      "provision_fts, row)"
			    : "CREATE VIRTUAL TABLE IF NOT EXISTS "
			      "temp.current_vocab USING fts5vocab(main, "
			      "current_fts, row)",
			err);
	if (!rc)
		rc = store_stmt_prepare(&q, s,
					all ? "SELECT term, doc FROM "
					      "temp.provision_vocab"
					    : "SELECT term, doc FROM "
					      "temp.current_vocab",
					"reading the search vocabulary", err);
	if (rc)
		return rc;
	while ((rc = store_stmt_step(&q, err)) > 0) {
		const char *term = store_col_text(&q, 0);
		size_t idx;

		if (!term)
			continue;
		if (cw_map_put(&v->terms, term, strlen(term), &idx) ==
		    CW_ETOOBIG) {
			rc = cw_err_set(err, CW_ETOOBIG,
					"'%s': the search vocabulary has more "
					"than %zu words",
					s->path, v->terms.max);
			break;
		}
		v->terms.items[idx].val = store_col_i64(&q, 1);
	}
	rc = store_stmt_finish(&q, rc < 0 ? rc : CW_OK, err);
	if (rc)
		return rc;
	v->loaded = true;
	v->data_version = dv;
	v->gen = s->search_gen;
	v->cache_gen = s->cache_gen;
	return CW_OK;
}

/* How many indexed texts hold the stem of `w` (0 when none). */
static int64_t word_docs(const struct search_vocab *v, struct sb_stemmer *st,
			 const char *w)
{
	const sb_symbol *stem =
		sb_stemmer_stem(st, (const sb_symbol *)w, (int)strlen(w));
	size_t idx;

	if (!stem ||
	    !cw_map_find(&v->terms, stem, (size_t)sb_stemmer_length(st), &idx))
		return 0;
	return v->terms.items[idx].val;
}

struct rare {
	int64_t docs;
	size_t word;
};

static int by_docs(const void *a, const void *b)
{
	const struct rare *x = a, *y = b;

	if (x->docs != y->docs)
		return x->docs < y->docs ? -1 : 1;
	return x->word < y->word ? -1 : x->word > y->word;
}

/*
 * Keep the SEARCH_RARE_WORDS words of `qw` held by the fewest indexed
 * texts of the table searched (and by at least one), in their order in
 * the text. On a store error the words are left as they are: the query is
 * then slower, not wrong.
 */
static void keep_rare(struct cw_store *s, struct qwords *qw, bool all)
{
	struct cw_err err = CW_ERR_INIT;
	struct search_vocab *v;
	struct sb_stemmer *st;
	struct rare *r;
	size_t n = 0, *at;

	if (qw->n <= SEARCH_RARE_WORDS || vocab_get(s, all, &v, &err))
		return;
	st = sb_stemmer_new("english", NULL);
	if (!st)
		return;
	r = cw_calloc(qw->n, sizeof(*r));
	for (size_t i = 0; i < qw->n; i++) {
		int64_t d = word_docs(v, st, qw->buf + qw->at[i]);

		if (d > 0)
			r[n++] = (struct rare){ d, i };
	}
	sb_stemmer_delete(st);
	if (n) {
		qsort(r, n, sizeof(*r), by_docs);
		if (n > SEARCH_RARE_WORDS)
			n = SEARCH_RARE_WORDS;
		/* back in text order, so the same text gives the same query */
		at = cw_calloc(n, sizeof(*at));
		for (size_t i = 0, k = 0; i < qw->n && k < n; i++)
			for (size_t j = 0; j < n; j++)
				if (r[j].word == i)
					at[k++] = qw->at[i];
		free(qw->at);
		qw->at = at;
		qw->n = qw->cap_at = n;
	}
	free(r);
}

/*
 * The FTS5 query for q->text: each word a quoted string (words are
 * letters and digits only, so nothing needs escaping and no word is read
 * as an operator), joined by OR for CW_STORE_SEARCH_ANY (the rarest
 * words only, keep_rare), else by the implicit AND. *out is NULL when
 * the text has no word to look for.
 */
static char *match_expr(struct cw_store *s, const struct cw_store_search *q)
{
	struct qwords qw = { .q = q };
	struct cw_buf b = CW_BUF_INIT;

	split_words(q->text, q->len, add_qword, &qw);
	if (q->mode == CW_STORE_SEARCH_ANY)
		keep_rare(s, &qw, q->all_versions);
	for (size_t i = 0; i < qw.n; i++) {
		if (i)
			cw_buf_adds(&b, q->mode == CW_STORE_SEARCH_ANY ? " OR "
								       : " ");
		cw_buf_addc(&b, '"');
		cw_buf_adds(&b, qw.buf + qw.at[i]);
		cw_buf_addc(&b, '"');
	}
	free(qw.buf);
	free(qw.at);
	return qw.n ? cw_buf_detach(&b, NULL) : NULL;
}

/* What the ranking query gives of a hit; hit_more() the rest. */
static const struct store_field hit_fields[] = {
	STORE_FIELD(I64, struct cw_store_hit, text_id),
	STORE_FIELD(DBL, struct cw_store_hit, score),
	STORE_FIELD(I64, struct cw_store_hit, doc_id),
	STORE_FIELD(I64, struct cw_store_hit, version_id),
	STORE_FIELD(STR, struct cw_store_hit, key),
	STORE_FIELD(STR, struct cw_store_hit, title),
	STORE_FIELD(OWNED, struct cw_store_hit, service),
	STORE_FIELD(OWNED, struct cw_store_hit, type),
	STORE_FIELD(OWNED, struct cw_store_hit, snippet),
	STORE_FIELD(OWNED, struct cw_store_hit, text),
};
static const struct store_map hit_map =
	STORE_MAP(struct cw_store_hit, hit_fields);

/* What is read for a kept hit besides the ranking query's columns. */
struct hit_more {
	char *service, *type;
	int64_t seq, first_seq;
	char *snippet, *text;
};

static const struct store_field hit_more_fields[] = {
	STORE_FIELD(STR, struct hit_more, service),
	STORE_FIELD(STR, struct hit_more, type),
	STORE_FIELD(I64, struct hit_more, seq),
	STORE_FIELD(I64, struct hit_more, first_seq),
	STORE_FIELD(STR, struct hit_more, snippet),
	STORE_FIELD(STR, struct hit_more, text),
};
static const struct store_map hit_more_map =
	STORE_MAP(struct hit_more, hit_more_fields);

/*
 * The service, type, version numbers and text of a kept hit, and its
 * snippet when asked for: computed in the ranking query they would be
 * made for every matching row, before the limit. A snippet is FTS5's,
 * which reads the text through the table's view and tokenizes it again,
 * so it is made only for a face that shows it (search), not for compare.
 */
static int hit_more(struct cw_store *s, struct cw_store_hit *h,
		    const char *match, bool all, bool snippet,
		    struct cw_err *err)
{
#define HIT_MORE(snip, fts)                                                  \
	"SELECT sv.sid, d.type, lv.seq, fv.seq, " snip ", "                  \
	"cw_text_slice(t.text_blob, t.start, t.len) FROM provision_texts t " \
	"JOIN documents d ON d.id = t.doc_id "                               \
	"JOIN services sv ON sv.id = t.service_id "                          \
	"JOIN versions lv ON lv.id = t.last_version "                        \
	"JOIN versions fv ON fv.id = t.first_version " fts "WHERE t.id = ?2"
#define SNIPPET(fts)                                                 \
	HIT_MORE("snippet(" fts ", 0, char(2), char(3), '...', 24)", \
		 "JOIN " fts " f ON f.rowid = t.id AND " fts " MATCH ?1 ")
	const char *sql = !snippet ? HIT_MORE("NULL", "")
			  : all	   ? SNIPPET("provision_fts")
				   : SNIPPET("current_fts");
#undef SNIPPET
#undef HIT_MORE
	struct hit_more m;
	int rc =
		store_query_row(s, sql, "reading a search hit",
				STORE_PARAMS(STORE_TEXT(snippet ? match : NULL),
					     STORE_I64(h->text_id)),
				&hit_more_map, NULL, NULL, &m, err);

	if (rc == CW_ENOTFOUND)
		return cw_err_set(err, CW_ESTORE,
				  "'%s': search hit %lld has no document or "
				  "no text",
				  s->path, (long long)h->text_id);
	if (rc)
		return rc;
	h->service = m.service;
	h->type = m.type;
	h->seq = m.seq;
	h->first_seq = m.first_seq;
	h->snippet = m.snippet;
	h->text = m.text;
	return CW_OK;
}

void cw_store_hits_free(struct cw_store_hit *hits, size_t n)
{
	store_map_free_array(&hit_map, hits, n);
}

/* Step through the ranked matches of `q`, keeping up to `want`. */
static int collect_hits(struct store_stmt *q, const struct cw_store_search *sq,
			const char *match, size_t want,
			struct cw_store_hit **out, size_t *n,
			struct cw_err *err)
{
	struct cw_store_hit *arr = NULL;
	size_t cnt = 0, cap = 0;
	int r = 0;

	while (cnt < want && (r = store_stmt_step(q, err)) > 0) {
		struct cw_store_hit h;

		memset(&h, 0, sizeof(h));
		store_row_map(q, 0, &hit_map, &h);
		r = sq->keep ? sq->keep(&h, sq->keep_arg, err) : 1;
		if (r > 0) {
			r = hit_more(q->s, &h, match, sq->all_versions,
				     sq->snippet, err);
			if (!r) {
				CW_GROW(arr, cap, cnt + 1);
				arr[cnt++] = h;
				continue;
			}
		}
		store_map_release(&hit_map, &h);
		if (r < 0)
			break;
	}
	r = store_stmt_finish(q, r < 0 ? r : CW_OK, err);
	if (r) {
		cw_store_hits_free(arr, cnt);
		return r;
	}
	*out = arr;
	*n = cnt;
	return CW_OK;
}

int cw_store_search(struct cw_store *s, const struct cw_store_search *sq,
		    struct cw_store_hit **out, size_t *n, struct cw_err *err)
{
	size_t want = sq->limit ? sq->limit : CW_STORE_SEARCH_LIMIT;
	struct store_stmt q;
	char *match;
	int rc;

	*out = NULL;
	*n = 0;
	match = match_expr(s, sq);
	if (!match)
		return CW_OK;
		/*
	 * Ranked on what the provision_texts row says alone; names, text and
	 * snippet (matched words between \x02 and \x03) are read for the
	 * hits kept. bm25() is better when more negative: its negation is the
	 * score. The current table holds a quarter of the texts, so ranking
	 * in it reads a quarter of the rows.
	 */
#define RANKED(fts)                                                        \
	"SELECT t.id, -bm25(" fts ") AS score, t.doc_id, t.last_version, " \
	"t.key, t.title FROM " fts " f JOIN provision_texts t ON t.id = "  \
	"f.rowid WHERE " fts " MATCH ?1 "                                  \
	"AND (?2 IS NULL OR t.service_id = "                               \
	"  (SELECT id FROM services WHERE sid = ?2)) "                     \
	"AND (?4 IS NULL OR t.service_id IS NOT "                          \
	"  (SELECT id FROM services WHERE sid = ?4)) "                     \
	"AND (?3 IS NULL OR ?3 = "                                         \
	"  (SELECT type FROM documents WHERE id = t.doc_id)) "             \
	"ORDER BY score DESC, t.id LIMIT ?6 OFFSET ?7"
	rc = store_stmt_prepare(&q, s,
				sq->all_versions ? RANKED("provision_fts")
						 : RANKED("current_fts"),
				"searching provisions", err);
#undef RANKED
	if (!rc) {
		store_bind_text(&q, 1, match);
		store_bind_text(&q, 2, sq->service);
		store_bind_text(&q, 3, sq->type);
		store_bind_text(&q, 4, sq->exclude_service);
		/* a keep function decides how far to read */
		store_bind_i64(&q, 6, sq->keep ? -1 : (int64_t)want);
		store_bind_i64(&q, 7, sq->keep ? 0 : (int64_t)sq->offset);
		rc = collect_hits(&q, sq, match, want, out, n, err);
	}
	free(match);
	return rc;
}

/* ---- checks ---- */

static int check_count(struct cw_store *s, const char *sql, int64_t *out,
		       struct cw_err *err)
{
	return store_query_i64(s, sql, "checking the search index",
			       STORE_NO_PARAMS, 0, out, err);
}

/*
 * Does each provision text still read, from its version text, the bytes
 * whose SHA-256 it was indexed under? The views give FTS5 these bytes
 * for snippets and deletes, and FTS5's own check does not read them for
 * an external-content table (SQLite 3.40).
 */
static int check_texts(struct cw_store *s, struct cw_err *err)
{
	struct store_stmt q;
	int rc;

	rc = store_stmt_prepare(&q, s,
				"SELECT id, hash, text_blob, start, len "
				"FROM provision_texts ORDER BY text_blob, id",
				"checking the search index", err);
	while (!rc && (rc = store_stmt_step(&q, err)) > 0) {
		unsigned char got[32];
		const void *want;
		const char *data;
		size_t hl = 0, n;
		int64_t id = store_col_i64(&q, 0);
		int64_t start = store_col_i64(&q, 3),
			len = store_col_i64(&q, 4);

		want = store_col_blob(&q, 1, &hl);
		rc = store_blob_view(s, store_col_i64(&q, 2), &data, &n, err);
		if (rc)
			break;
		if (start < 0 || len < 0 || (uint64_t)start > n ||
		    (uint64_t)len > n - (uint64_t)start) {
			rc = cw_err_set(err, CW_ESTORE,
					"'%s': search index: provision text "
					"%lld lies outside its version text",
					s->path, (long long)id);
			break;
		}
		cw_sha256(data + start, (size_t)len, got);
		if (hl != 32 || memcmp(got, want, 32)) {
			rc = cw_err_set(err, CW_ESTORE,
					"'%s': search index: provision text "
					"%lld does not read what was indexed",
					s->path, (long long)id);
			break;
		}
		rc = 0;
	}
	return store_stmt_finish(&q, rc < 0 ? rc : CW_OK, err);
}

int store_search_check(struct cw_store *s, struct cw_err *err)
{
	int64_t texts, rows, missing, cur, cur_rows, cur_missing;
	int rc;

	/*
	 * FTS5 compares each index with the text of its view, token by
	 * token; the docsize tables hold a row per indexed text.
	 */
	rc = store_exec(s,
			"INSERT INTO provision_fts (provision_fts) "
			"VALUES ('integrity-check');"
			"INSERT INTO current_fts (current_fts) "
			"VALUES ('integrity-check')",
			err);
	if (!rc)
		rc = check_count(s, "SELECT count(*) FROM provision_texts",
				 &texts, err);
	if (!rc)
		rc = check_count(s,
				 "SELECT count(*) FROM provision_fts_docsize",
				 &rows, err);
	if (!rc)
		rc = check_count(s,
				 "SELECT count(*) FROM provision_texts t "
				 "WHERE NOT EXISTS (SELECT 1 FROM "
				 "provision_fts_docsize f WHERE f.id = t.id)",
				 &missing, err);
	if (!rc)
		rc = check_count(s,
				 "SELECT count(*) FROM provision_texts "
				 "WHERE current",
				 &cur, err);
	if (!rc)
		rc = check_count(s, "SELECT count(*) FROM current_fts_docsize",
				 &cur_rows, err);
	if (!rc)
		rc = check_count(s,
				 "SELECT count(*) FROM provision_texts t "
				 "WHERE current AND NOT EXISTS (SELECT 1 FROM "
				 "current_fts_docsize f WHERE f.id = t.id)",
				 &cur_missing, err);
	if (rc)
		return rc;
	if (texts != rows || missing)
		return cw_err_set(err, CW_ESTORE,
				  "'%s': search index: %lld provision texts, "
				  "%lld indexed, %lld missing",
				  s->path, (long long)texts, (long long)rows,
				  (long long)missing);
	if (cur != cur_rows || cur_missing)
		return cw_err_set(err, CW_ESTORE,
				  "'%s': search index of current texts: %lld "
				  "current, %lld indexed, %lld missing",
				  s->path, (long long)cur, (long long)cur_rows,
				  (long long)cur_missing);
	return check_texts(s, err);
}

int cw_store_search_size(struct cw_store *s, int64_t *current, int64_t *all,
			 struct cw_err *err)
{
	int rc = CW_OK;

	if (current)
		rc = store_query_i64(s,
				     "SELECT count(*) FROM provision_texts "
				     "WHERE current",
				     "counting the search index",
				     STORE_NO_PARAMS, 0, current, err);
	if (!rc && all)
		rc = store_query_i64(s, "SELECT count(*) FROM provision_texts",
				     "counting the search index",
				     STORE_NO_PARAMS, 0, all, err);
	return rc;
}
