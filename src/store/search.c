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
 * Words: the tokenizer "cw_stem" is ours, registered on each connection
 * through the fts5_api: text is lower-cased (utf8proc), split into runs of
 * letters and digits, words of one byte or over CW_STORE_WORD_MAX
 * characters are dropped, and the rest are stemmed by the Snowball English
 * stemmer (libstemmer), the words compare has always used. Ranking is
 * FTS5's bm25() (k1 = 1.2, b = 0.75).
 */
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
	return CW_OK;
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

/*
 * Index one provision of version `version_id`. A text the document had
 * before (in an earlier version, or earlier in this one) only moves its
 * last version on and is current again; a new one gets a row and its
 * words.
 */
static int index_provision(struct cw_store *s, int64_t doc_id,
			   int64_t service_id, int64_t version_id,
			   const char *own, size_t len,
			   const struct cw_provision *p, struct cw_err *err)
{
	unsigned char hash[32];
	struct store_stmt q;
	int64_t id = 0;
	int rc;

	cw_sha256(own, len, hash);
	rc = store_stmt_prepare(&q, s,
				"UPDATE provision_texts SET key = ?3, "
				"title = ?4, last_version = ?5, current = 1 "
				"WHERE doc_id = ?1 AND hash = ?2 RETURNING id",
				"indexing a provision", err);
	if (rc)
		return rc;
	store_bind_i64(&q, 1, doc_id);
	store_bind_blob(&q, 2, hash, 32);
	store_bind_text(&q, 3, p->key ? p->key : "");
	store_bind_text(&q, 4, p->title ? p->title : "");
	store_bind_i64(&q, 5, version_id);
	rc = store_stmt_run_id(&q, &id, err);
	if (rc != CW_ENOTFOUND)
		return rc; /* known text: its words are indexed already */
	rc = store_stmt_prepare(&q, s,
				"INSERT INTO provision_texts (doc_id, "
				"service_id, hash, key, title, first_version, "
				"last_version, current) "
				"VALUES (?1, ?6, ?2, ?3, ?4, ?5, ?5, 1) "
				"RETURNING id",
				"indexing a provision", err);
	if (rc)
		return rc;
	store_bind_i64(&q, 1, doc_id);
	store_bind_blob(&q, 2, hash, 32);
	store_bind_text(&q, 3, p->key ? p->key : "");
	store_bind_text(&q, 4, p->title ? p->title : "");
	store_bind_i64(&q, 5, version_id);
	store_bind_i64(&q, 6, service_id);
	rc = store_stmt_run_id(&q, &id, err);
	if (rc)
		return rc;
	rc = store_stmt_prepare(&q, s,
				"INSERT INTO provision_fts (rowid, body) "
				"VALUES (?1, ?2)",
				"indexing a provision's words", err);
	if (rc)
		return rc;
	store_bind_i64(&q, 1, id);
	store_bind_textn(&q, 2, own, len);
	return store_stmt_run(&q, err);
}

/* The document's rows stop being current; *service_id: its service. */
static int index_begin(struct cw_store *s, int64_t doc_id, int64_t *service_id,
		       struct cw_err *err)
{
	struct store_stmt q;
	int rc;

	rc = store_stmt_prepare(&q, s,
				"UPDATE provision_texts SET current = 0 "
				"WHERE doc_id = ?1 AND current",
				"indexing a version", err);
	if (rc)
		return rc;
	store_bind_i64(&q, 1, doc_id);
	rc = store_stmt_run(&q, err);
	if (!rc)
		rc = store_stmt_prepare(&q, s,
					"SELECT service_id FROM documents "
					"WHERE id = ?1",
					"indexing a version", err);
	if (rc)
		return rc;
	store_bind_i64(&q, 1, doc_id);
	return store_stmt_i64(&q, 0, service_id, err);
}

int store_search_index(struct cw_store *s, int64_t doc_id, int64_t version_id,
		       const char *text, size_t len,
		       const struct cw_segmentation *seg, struct cw_err *err)
{
	int64_t service_id;
	int rc = index_begin(s, doc_id, &service_id, err);

	for (size_t i = 0; !rc && i < seg->n; i++) {
		const struct cw_provision *p = &seg->items[i];
		size_t end = own_end(seg, i);

		if (p->start >= end || end > len)
			continue;
		rc = index_provision(s, doc_id, service_id, version_id,
				     text + p->start, end - p->start, p, err);
	}
	return rc;
}

struct version_ref {
	int64_t id, doc_id;
};

static const struct store_field version_ref_fields[] = {
	STORE_FIELD(I64, struct version_ref, id),
	STORE_FIELD(I64, struct version_ref, doc_id),
};
static const struct store_map version_ref_map =
	STORE_MAP(struct version_ref, version_ref_fields);

int store_search_backfill(struct cw_store *s, struct cw_err *err)
{
	struct version_ref *vs = NULL;
	struct store_stmt q;
	size_t n = 0;
	int rc;

	rc = store_stmt_prepare(&q, s,
				"SELECT id, doc_id FROM versions ORDER BY "
				"doc_id, seq",
				"listing versions to index", err);
	if (rc)
		return rc;
	rc = store_stmt_list(&q, &version_ref_map, NULL, NULL, (void **)&vs, &n,
			     err);
	/* in recording order: each row's last version ends up the latest */
	for (size_t i = 0; !rc && i < n; i++) {
		struct cw_buf text = CW_BUF_INIT;
		struct cw_segmentation *seg = NULL;

		rc = store_version_load(s, vs[i].id, &text, &seg, err);
		if (!rc)
			rc = store_search_index(s, vs[i].doc_id, vs[i].id,
						text.ptr, text.len, seg, err);
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
 * indexed texts): the 3,915 comparisons of `analyze --all` did not end in
 * ten minutes with every word, and take 151 s (39 ms each) with the 24
 * rarest.
 */
#define SEARCH_RARE_WORDS 24

/* How many indexed texts hold the stem of `w` (0 when none). */
static int64_t word_docs(struct cw_store *s, struct sb_stemmer *st,
			 const char *w, struct cw_err *err)
{
	const sb_symbol *stem =
		sb_stemmer_stem(st, (const sb_symbol *)w, (int)strlen(w));
	struct store_stmt q;
	int64_t docs = 0;
	int rc;

	if (!stem)
		return 0;
	rc = store_stmt_prepare(&q, s,
				"SELECT doc FROM temp.provision_vocab "
				"WHERE term = ?1",
				"reading the search vocabulary", err);
	if (rc)
		return rc;
	store_bind_textn(&q, 1, (const char *)stem,
			 (size_t)sb_stemmer_length(st));
	rc = store_stmt_step(&q, err);
	if (rc > 0)
		docs = store_col_i64(&q, 0);
	rc = store_stmt_finish(&q, rc < 0 ? rc : CW_OK, err);
	return rc ? rc : docs;
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
 * texts (and by at least one), in their order in the text. On a store
 * error the words are left as they are: the query is then slower, not
 * wrong.
 */
static void keep_rare(struct cw_store *s, struct qwords *qw)
{
	struct cw_err err = CW_ERR_INIT;
	struct sb_stemmer *st;
	struct rare *r;
	size_t n = 0, *at;

	if (qw->n <= SEARCH_RARE_WORDS || store_exec(s,
						     "CREATE VIRTUAL TABLE IF "
						     "NOT EXISTS "
						     "temp.provision_vocab "
						     "USING fts5vocab(main, "
						     "provision_fts, row)",
						     &err))
		return;
	st = sb_stemmer_new("english", NULL);
	if (!st)
		return;
	r = cw_calloc(qw->n, sizeof(*r));
	for (size_t i = 0; i < qw->n; i++) {
		int64_t d = word_docs(s, st, qw->buf + qw->at[i], &err);
		if (d < 0) {
			n = 0;
			break;
		}
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
		keep_rare(s, &qw);
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

/* What the ranking query gives of a hit; hit_names and hit_text the rest. */
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

/* The service, type and version numbers of a kept hit. */
static int hit_names(struct cw_store *s, struct cw_store_hit *h,
		     struct cw_err *err)
{
	struct store_stmt q;
	int rc;

	rc = store_stmt_prepare(&q, s,
				"SELECT sv.sid, d.type, lv.seq, fv.seq "
				"FROM provision_texts t "
				"JOIN documents d ON d.id = t.doc_id "
				"JOIN services sv ON sv.id = t.service_id "
				"JOIN versions lv ON lv.id = t.last_version "
				"JOIN versions fv ON fv.id = t.first_version "
				"WHERE t.id = ?1",
				"reading a search hit", err);
	if (rc)
		return rc;
	store_bind_i64(&q, 1, h->text_id);
	rc = store_stmt_step(&q, err);
	if (rc > 0) {
		h->service = store_col_str(&q, 0);
		h->type = store_col_str(&q, 1);
		h->seq = store_col_i64(&q, 2);
		h->first_seq = store_col_i64(&q, 3);
	} else if (rc == 0) {
		rc = cw_err_set(err, CW_ESTORE,
				"'%s': search hit %lld has no document",
				s->path, (long long)h->text_id);
	}
	return store_stmt_finish(&q, rc > 0 ? CW_OK : rc, err);
}

/*
 * The snippet and the text of a kept hit: computed in the ranking query
 * they would be made for every matching row, before the limit.
 */
static int hit_text(struct cw_store *s, struct cw_store_hit *h,
		    const char *match, struct cw_err *err)
{
	struct store_stmt q;
	int rc;

	rc = store_stmt_prepare(&q, s,
				"SELECT snippet(provision_fts, 0, char(2), "
				"char(3), '...', 24), body FROM provision_fts "
				"WHERE provision_fts MATCH ?1 AND rowid = ?2",
				"reading a search hit", err);
	if (rc)
		return rc;
	store_bind_text(&q, 1, match);
	store_bind_i64(&q, 2, h->text_id);
	rc = store_stmt_step(&q, err);
	if (rc > 0) {
		h->snippet = store_col_str(&q, 0);
		h->text = store_col_str(&q, 1);
	} else if (rc == 0) {
		rc = cw_err_set(err, CW_ESTORE,
				"'%s': search hit %lld has no text", s->path,
				(long long)h->text_id);
	}
	return store_stmt_finish(&q, rc > 0 ? CW_OK : rc, err);
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
			r = hit_names(q->s, &h, err);
			if (!r)
				r = hit_text(q->s, &h, match, err);
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
	 * Ranked on what the provision_texts row says alone; names, snippet
	 * (matched words between \x02 and \x03) and text are read for the
	 * hits kept. bm25() is better when more negative: its negation is
	 * the score.
	 */
	rc = store_stmt_prepare(&q, s,
				"SELECT t.id, -bm25(provision_fts) AS score, "
				"t.doc_id, "
				"t.last_version, t.key, t.title "
				"FROM provision_fts f JOIN provision_texts t "
				"ON t.id = f.rowid "
				"WHERE provision_fts MATCH ?1 AND (?5 OR "
				"t.current) "
				"AND (?2 IS NULL OR t.service_id = "
				"  (SELECT id FROM services WHERE sid = ?2)) "
				"AND (?4 IS NULL OR t.service_id IS NOT "
				"  (SELECT id FROM services WHERE sid = ?4)) "
				"AND (?3 IS NULL OR ?3 = "
				"  (SELECT type FROM documents WHERE id = "
				"t.doc_id)) "
				"ORDER BY score DESC, t.id LIMIT ?6 OFFSET ?7",
				"searching provisions", err);
	if (!rc) {
		store_bind_text(&q, 1, match);
		store_bind_text(&q, 2, sq->service);
		store_bind_text(&q, 3, sq->type);
		store_bind_text(&q, 4, sq->exclude_service);
		store_bind_i64(&q, 5, sq->all_versions);
		/* a keep function decides how far to read */
		store_bind_i64(&q, 6, sq->keep ? -1 : (int64_t)want);
		store_bind_i64(&q, 7, sq->keep ? 0 : (int64_t)sq->offset);
		rc = collect_hits(&q, sq, match, want, out, n, err);
	}
	free(match);
	return rc;
}

/* ---- checks ---- */

int store_search_check(struct cw_store *s, struct cw_err *err)
{
	struct store_stmt q;
	int64_t missing, texts, rows;
	int rc;

	/* FTS5 compares its index with its content, token by token */
	rc = store_stmt_prepare(&q, s,
				"INSERT INTO provision_fts (provision_fts) "
				"VALUES ('integrity-check')",
				"checking the search index", err);
	if (!rc)
		rc = store_stmt_run(&q, err);
	if (!rc)
		rc = store_stmt_prepare(&q, s,
					"SELECT count(*) FROM provision_texts",
					"checking the search index", err);
	if (!rc)
		rc = store_stmt_i64(&q, 0, &texts, err);
	if (!rc)
		rc = store_stmt_prepare(&q, s,
					"SELECT count(*) FROM provision_fts",
					"checking the search index", err);
	if (!rc)
		rc = store_stmt_i64(&q, 0, &rows, err);
	if (!rc)
		rc = store_stmt_prepare(&q, s,
					"SELECT count(*) FROM provision_texts "
					"t WHERE NOT "
					"EXISTS (SELECT 1 FROM provision_fts f "
					"WHERE f.rowid = t.id)",
					"checking the search index", err);
	if (!rc)
		rc = store_stmt_i64(&q, 0, &missing, err);
	if (rc)
		return rc;
	if (texts != rows || missing)
		return cw_err_set(err, CW_ESTORE,
				  "'%s': search index: %lld provision texts, "
				  "%lld indexed, %lld missing",
				  s->path, (long long)texts, (long long)rows,
				  (long long)missing);
	return CW_OK;
}

int cw_store_search_size(struct cw_store *s, int64_t *current, int64_t *all,
			 struct cw_err *err)
{
	struct store_stmt q;
	int64_t v;
	int rc;

	if (current) {
		rc = store_stmt_prepare(&q, s,
					"SELECT count(*) FROM provision_texts "
					"WHERE current",
					"counting the search index", err);
		if (!rc)
			rc = store_stmt_i64(&q, 0, &v, err);
		if (rc)
			return rc;
		*current = v;
	}
	if (all) {
		rc = store_stmt_prepare(&q, s,
					"SELECT count(*) FROM provision_texts",
					"counting the search index", err);
		if (!rc)
			rc = store_stmt_i64(&q, 0, &v, err);
		if (rc)
			return rc;
		*all = v;
	}
	return CW_OK;
}
