#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "store/store.h"
#include "store/store_int.h" /* the SQLite handle, to play SQLite's own rollback */

static char dbpath[256];

static int setup(void **state)
{
	char dir[] = "/tmp/cw-store-XXXXXX";
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/sub/dir/test.db", dir);
	return 0;
}

/* A segmentation with one top-level provision per paragraph. */
static struct cw_segmentation *paragraphs(const char *text, size_t len)
{
	struct cw_segmentation *seg = cw_calloc(1, sizeof(*seg));
	size_t cap = 0, start = 0;

	for (size_t i = 0; i <= len; i++) {
		bool cut = i == len || (i + 1 < len && text[i] == '\n' &&
					text[i + 1] == '\n');
		if (!cut || i + (i < len ? 2 : 0) <= start)
			continue;
		size_t end = i == len ? len : i + 2;
		CW_GROW(seg->items, cap, seg->n + 1);
		struct cw_provision *p = &seg->items[seg->n];
		p->key = cw_asprintf("p%zu", seg->n + 1);
		p->title = cw_strdup(seg->n ? "" : "First");
		p->level = 1;
		p->parent = -1;
		p->start = start;
		p->end = end;
		p->body = start;
		cw_sha256_hex(text + start, end - start, p->hash);
		seg->n++;
		start = end;
		if (end == len)
			break;
	}
	return seg;
}

static void record(struct cw_store *s, int64_t doc, const char *text,
		   const char *at, int expect)
{
	struct cw_err err = CW_ERR_INIT;
	size_t len = strlen(text);
	struct cw_segmentation *seg = paragraphs(text, len);
	struct cw_store_version_in in = {
		.text = text,
		.len = len,
		.seg = seg,
		.recorded_at = at,
		.origin = "test",
	};
	int64_t id = 0;
	int rc = cw_store_record_version(s, doc, &in, &id, &err);

	if (rc != expect)
		fail_msg("record: %d (%s), expected %d", rc, err.msg, expect);
	assert_true(id > 0);
	cw_segment_free(seg);
}

static void test_store__versions_roundtrip_and_dedupe(void **state)
{
	struct cw_store *s = NULL;
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc doc;
	struct cw_store_version v;
	struct cw_store_stats st;
	struct cw_buf text = CW_BUF_INIT;
	struct cw_segmentation *seg = NULL;
	int64_t doc_id;
	(void)state;

	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	/* archive, monitor, search, search over the version texts */
	assert_int_equal(cw_store_schema_version(s), 8);
	assert_int_equal(cw_store_put_service(s, "Acme", "Acme Inc.", NULL,
					      NULL, &err),
			 CW_OK);
	assert_int_equal(cw_store_put_document(s, "Acme", "Terms of Service",
					       "{\"fetch\":\"https://a.example/"
					       "tos\"}",
					       &doc_id, &err),
			 CW_OK);
	assert_int_equal(cw_store_put_document(s, "Nobody", "Terms of Service",
					       NULL, NULL, &err),
			 CW_ENOTFOUND);

	record(s, doc_id, "Intro.\n\n1. Terms\n\nYou agree.\n",
	       "2024-01-01T00:00:00Z", CW_OK);
	record(s, doc_id, "Intro.\n\n1. Terms\n\nYou agree.\n",
	       "2024-01-02T00:00:00Z", CW_EUNCHANGED);
	record(s, doc_id, "Intro.\n\n1. Terms\n\nYou must agree.\n",
	       "2024-01-03T00:00:00Z", CW_OK);
	/* flapping back to the first text: a new version, no new text blob */
	cw_store_stats(s, &st, &err);
	int64_t blobs_before = st.blobs;
	record(s, doc_id, "Intro.\n\n1. Terms\n\nYou agree.\n",
	       "2024-01-04T00:00:00Z", CW_OK);
	cw_store_stats(s, &st, &err);
	assert_int_equal(st.versions, 3);
	assert_int_equal(st.blobs, blobs_before);

	assert_int_equal(cw_store_find_document(s, "Acme", "Terms of Service",
						&doc, &err),
			 CW_OK);
	assert_int_equal(doc.n_versions, 3);
	assert_string_equal(doc.latest_at, "2024-01-04T00:00:00Z");
	cw_store_doc_release(&doc);

	assert_int_equal(cw_store_get_version(s, doc_id, -1, &v, &err), CW_OK);
	assert_int_equal(v.seq, 2);
	assert_int_equal(cw_store_load_text(s, v.id, &text, &err), CW_OK);
	assert_string_equal(text.ptr, "Intro.\n\n1. Terms\n\nYou must "
				      "agree.\n");
	assert_int_equal(cw_store_load_provisions(s, v.id, &seg, &err), CW_OK);
	assert_int_equal(seg->n, 3);
	assert_string_equal(seg->items[0].key, "p1");
	assert_string_equal(seg->items[0].title, "First");
	assert_int_equal(seg->items[2].end, text.len);
	char h[CW_SHA256_HEX];
	cw_sha256_hex(text.ptr + seg->items[2].start,
		      seg->items[2].end - seg->items[2].start, h);
	assert_string_equal(seg->items[2].hash, h);
	cw_segment_free(seg);
	cw_store_version_release(&v);

	assert_int_equal(cw_store_get_version_at(
				 s, doc_id, "2024-01-03T12:00:00Z", &v, &err),
			 CW_OK);
	assert_int_equal(v.seq, 2);
	cw_store_version_release(&v);
	assert_int_equal(cw_store_get_version(s, doc_id, 9, &v, &err),
			 CW_ENOTFOUND);
	assert_int_equal(cw_store_check(s, &err), CW_OK);
	cw_buf_release(&text);
	cw_store_close(s);
}

static void test_store__snapshots_stored_once(void **state)
{
	struct cw_store *s = NULL;
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_page pages[2] = {
		{ "<p>a</p>", 8, "https://a.example/1", "text/html", "utf-8" },
		{ "<p>b</p>", 8, "https://a.example/2", "text/html", NULL },
	};
	struct cw_store_page_data *got = NULL;
	size_t n = 0;
	int64_t id1, id2, doc;
	bool fresh;
	(void)state;

	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	assert_int_equal(
		cw_store_put_service(s, "Snap", NULL, NULL, NULL, &err), CW_OK);
	assert_int_equal(cw_store_put_document(s, "Snap", "Privacy Policy",
					       NULL, &doc, &err),
			 CW_OK);
	assert_int_equal(cw_store_add_snapshot(s, doc, pages, 2,
					       "2024-01-01T00:00:00Z", &id1,
					       &fresh, &err),
			 CW_OK);
	assert_true(fresh);
	assert_int_equal(cw_store_add_snapshot(s, doc, pages, 2,
					       "2024-01-02T00:00:00Z", &id2,
					       &fresh, &err),
			 CW_OK);
	assert_false(fresh);
	assert_int_equal(id1, id2);
	assert_int_equal(cw_store_get_snapshot(s, id1, &got, &n, &err), CW_OK);
	assert_int_equal(n, 2);
	assert_string_equal(got[1].data.ptr, "<p>b</p>");
	assert_string_equal(got[0].url, "https://a.example/1");
	assert_null(got[1].charset);
	cw_store_pages_free(got, n);

	struct cw_store_attempt a = {
		.doc_id = doc,
		.at = "2024-01-02T00:00:00Z",
		.url = "https://a.example/1",
		.status = 503,
		.outcome = CW_STORE_FAILED,
		.error = "HTTP 503",
	};
	assert_int_equal(cw_store_add_attempt(s, &a, &err), CW_OK);
	cw_store_close(s);
}

static void test_store__changes_filter_by_materiality(void **state)
{
	struct cw_store *s = NULL;
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_change *cs = NULL;
	struct cw_store_version v1, v2;
	size_t n = 0;
	int64_t doc;
	(void)state;

	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	assert_int_equal(cw_store_put_service(s, "Chg", NULL, NULL, NULL, &err),
			 CW_OK);
	assert_int_equal(cw_store_put_document(s, "Chg", "Terms of Service",
					       NULL, &doc, &err),
			 CW_OK);
	record(s, doc, "One.\n", "2024-02-01T00:00:00Z", CW_OK);
	record(s, doc, "Two.\n", "2024-02-02T00:00:00Z", CW_OK);
	record(s, doc, "Three.\n", "2024-02-03T00:00:00Z", CW_OK);
	assert_int_equal(cw_store_get_version(s, doc, 2, &v1, &err), CW_OK);
	assert_int_equal(cw_store_get_version(s, doc, 3, &v2, &err), CW_OK);
	struct cw_store_change_in c1 = { doc,	     0, v1.id,
					 "cosmetic", 1, "{\"a\":1}" };
	struct cw_store_change_in c2 = { doc,		v1.id, v2.id,
					 "substantive", 2,     "{\"b\":2}" };
	assert_int_equal(cw_store_begin(s, &err), CW_OK);
	assert_int_equal(cw_store_put_change(s, &c1, NULL, &err), CW_OK);
	assert_int_equal(cw_store_put_change(s, &c2, NULL, &err), CW_OK);
	assert_int_equal(cw_store_commit(s, &err), CW_OK);
	struct cw_store_change_query q = { .min_materiality = "editorial" };
	assert_int_equal(cw_store_list_changes(s, &q, &cs, &n, &err), CW_OK);
	assert_int_equal(n, 1);
	assert_string_equal(cs[0].json, "{\"b\":2}");
	assert_int_equal(cs[0].to_seq, 3);
	cw_store_changes_free(cs, n);
	struct cw_store_change_query q2 = { .since = "2024-02-03T00:00:00Z" };
	assert_int_equal(cw_store_list_changes(s, &q2, &cs, &n, &err), CW_OK);
	assert_int_equal(n, 1);
	cw_store_changes_free(cs, n);

	/* a rolled-back transaction leaves nothing behind */
	assert_int_equal(cw_store_begin(s, &err), CW_OK);
	record(s, doc, "Four.\n", "2024-02-04T00:00:00Z", CW_OK);
	cw_store_rollback(s);
	struct cw_store_version last;
	assert_int_equal(cw_store_get_version(s, doc, 0, &last, &err), CW_OK);
	assert_int_equal(last.seq, 3);
	cw_store_version_release(&last);
	cw_store_version_release(&v1);
	cw_store_version_release(&v2);
	cw_store_close(s);
}

/* A real history, compressed against itself: must be far smaller. */
static void test_store__real_history_compresses(void **state)
{
	const char *shared = getenv("CW_SHARED");
	char dir[1024];
	struct dirent **names = NULL;
	struct cw_store *s = NULL;
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_stats st;
	int64_t doc;
	int n, used = 0;
	size_t raw = 0;
	(void)state;

	snprintf(dir, sizeof(dir),
		 "%s/corpus/versions/Instagram/Terms of Service",
		 shared ? shared : "../shared");
	if (!cw_dir_exists(dir)) {
		print_message("skipped: '%s' not found\n", dir);
		skip();
	}
	n = scandir(dir, &names, NULL, alphasort);
	assert_true(n > 40);
	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	assert_int_equal(cw_store_put_service(s, "Instagram", NULL, NULL, NULL,
					      &err),
			 CW_OK);
	assert_int_equal(cw_store_put_document(s, "Instagram",
					       "Terms of Service", NULL, &doc,
					       &err),
			 CW_OK);
	assert_int_equal(cw_store_begin(s, &err), CW_OK);
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' && used < 120) {
			char *path =
				cw_asprintf("%s/%s", dir, names[i]->d_name);
			struct cw_buf b = CW_BUF_INIT;
			assert_int_equal(cw_file_read(&b, path, 1 << 24, &err),
					 CW_OK);
			struct cw_segmentation *seg = paragraphs(b.ptr, b.len);
			struct cw_store_version_in in = {
				.text = b.ptr,
				.len = b.len,
				.seg = seg,
				.recorded_at = names[i]->d_name,
				.origin = "import",
			};
			int rc = cw_store_record_version(s, doc, &in, NULL,
							 &err);
			if (rc != CW_OK && rc != CW_EUNCHANGED)
				fail_msg("%s", err.msg);
			raw += b.len;
			used++;
			cw_segment_free(seg);
			cw_buf_release(&b);
			free(path);
		}
		free(names[i]);
	}
	free(names);
	assert_int_equal(cw_store_commit(s, &err), CW_OK);
	assert_int_equal(cw_store_stats(s, &st, &err), CW_OK);
	print_message("%d versions, %zu raw bytes, %lld stored bytes (%.1fx)\n",
		      used, raw, (long long)st.stored_bytes,
		      (double)raw / (double)st.stored_bytes);
	/* delta compression against the previous version: at least 20x */
	assert_true((size_t)st.stored_bytes * 20 < raw);

	/* every version reads back byte for byte, in any order */
	struct cw_store_version *vs = NULL;
	size_t nv = 0;
	assert_int_equal(cw_store_list_versions(s, doc, &vs, &nv, &err), CW_OK);
	for (size_t k = nv; k-- > 0;) {
		struct cw_buf t = CW_BUF_INIT;
		char h[CW_SHA256_HEX];
		assert_int_equal(cw_store_load_text(s, vs[k].id, &t, &err),
				 CW_OK);
		cw_sha256_hex(t.ptr, t.len, h);
		assert_string_equal(h, vs[k].text_hash);
		cw_buf_release(&t);
	}
	cw_store_versions_free(vs, nv);
	assert_int_equal(cw_store_check(s, &err), CW_OK);
	cw_store_close(s);
}

/*
 * SQLite ends a whole transaction by itself after some errors (disk full,
 * I/O error). A batch of savepoints must then fail as a whole: no write
 * may slip into autocommit and no commit may report undone writes.
 */
static void test_store__lost_transaction_fails_the_batch(void **state)
{
	struct cw_store *s = NULL;
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc doc;
	(void)state;

	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	assert_int_equal(cw_store_begin(s, &err), CW_OK); /* the batch */
	assert_int_equal(
		cw_store_put_service(s, "Kept", NULL, NULL, NULL, &err), CW_OK);
	assert_int_equal(cw_store_begin(s, &err), CW_OK); /* a document */
	assert_int_equal(
		cw_store_put_service(s, "Lost", NULL, NULL, NULL, &err), CW_OK);
	/* what SQLite does on SQLITE_FULL inside a transaction */
	assert_int_equal(sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL),
			 SQLITE_OK);
	assert_false(cw_store_tx_lost(s));
	/* the next write must not run in autocommit */
	err = (struct cw_err)CW_ERR_INIT;
	assert_int_equal(cw_store_put_service(s, "Stray", NULL, NULL, NULL,
					      &err),
			 CW_ESTORE);
	assert_non_null(strstr(err.msg, "rolled back"));
	assert_true(cw_store_tx_lost(s));
	err = (struct cw_err)CW_ERR_INIT;
	assert_int_equal(cw_store_commit(s, &err),
			 CW_ESTORE); /* the document */
	err = (struct cw_err)CW_ERR_INIT;
	assert_int_equal(cw_store_commit(s, &err), CW_ESTORE); /* the batch */
	assert_false(cw_store_in_tx(s));
	assert_false(cw_store_tx_lost(s));
	/* nothing of it is stored, and the store works again */
	assert_int_equal(cw_store_put_document(s, "Kept", "Terms", NULL, NULL,
					       &err),
			 CW_ENOTFOUND);
	assert_int_equal(cw_store_put_document(s, "Stray", "Terms", NULL, NULL,
					       &err),
			 CW_ENOTFOUND);
	err = (struct cw_err)CW_ERR_INIT;
	assert_int_equal(cw_store_put_service(s, "Later", NULL, NULL, NULL,
					      &err),
			 CW_OK);
	assert_int_equal(cw_store_put_document(s, "Later", "Terms", NULL, NULL,
					       &err),
			 CW_OK);
	assert_int_equal(
		cw_store_find_document(s, "Later", "Terms", &doc, &err), CW_OK);
	cw_store_doc_release(&doc);
	cw_store_close(s);
}

/* A document of service `svc` with one version per text, recorded in order. */
static int64_t doc_with(struct cw_store *s, const char *svc,
			const char *const *texts, size_t n)
{
	struct cw_err err = CW_ERR_INIT;
	int64_t doc;

	assert_int_equal(cw_store_put_service(s, svc, NULL, NULL, NULL, &err),
			 CW_OK);
	assert_int_equal(cw_store_put_document(s, svc, "Terms of Service", NULL,
					       &doc, &err),
			 CW_OK);
	for (size_t i = 0; i < n; i++) {
		char at[32];
		snprintf(at, sizeof(at), "2025-01-%02zuT00:00:00Z", i + 1);
		record(s, doc, texts[i], at, CW_OK);
	}
	return doc;
}

/* A store opened at dbpath with one document of `svc` (its id in *doc
 * unless NULL) whose versions are `texts`. */
static struct cw_store *store_with(const char *svc, const char *const *texts,
				   size_t n, int64_t *doc)
{
	struct cw_store *s = NULL;
	struct cw_err err = CW_ERR_INIT;
	int64_t id;

	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	id = doc_with(s, svc, texts, n);
	if (doc)
		*doc = id;
	return s;
}

static size_t search(struct cw_store *s, struct cw_store_search *q,
		     const char *text, struct cw_store_hit **hits)
{
	struct cw_err err = CW_ERR_INIT;
	size_t n = 0;

	q->text = text;
	q->len = strlen(text);
	if (cw_store_search(s, q, hits, &n, &err))
		fail_msg("search: %s", err.msg);
	return n;
}

static void test_store__search_finds_stemmed_words_in_current_text(void **state)
{
	static const char *const acme[] = {
		"Disputes go to court.\n\nWe may end your account.\n\n",
		"Disputes are arbitrated individually.\n\nWe may end your "
		"account.\n\n",
	};
	static const char *const other[] = {
		"Any dispute is settled by binding arbitration.\n\nCookies are "
		"used.\n\n",
	};
	struct cw_store *s = store_with("Acme", acme, 2, NULL);
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_search q = { .snippet = true };
	struct cw_store_hit *h = NULL;
	size_t n;
	(void)state;

	doc_with(s, "Other", other, 1);

	/* "arbitration" finds "arbitrated" (stemmed), in both services;
	 * every word must occur ("of" would have to: stop words are the
	 * caller's to skip) */
	n = search(s, &q, "Arbitration DISPUTES", &h);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		assert_true(h[i].score > 0);
		assert_non_null(strchr(h[i].snippet, CW_STORE_MARK_OPEN));
		assert_string_equal(h[i].key, "p1");
	}
	assert_true(h[0].score >= h[1].score);
	cw_store_hits_free(h, n);

	/* an excluded service, and one service only */
	q.exclude_service = "Other";
	n = search(s, &q, "arbitration", &h);
	assert_int_equal(n, 1);
	assert_string_equal(h[0].service, "Acme");
	assert_int_equal(h[0].seq, 2);
	assert_int_equal(h[0].first_seq, 2);
	assert_string_equal(h[0].text, "Disputes are arbitrated "
				       "individually.\n\n");
	cw_store_hits_free(h, n);
	q.exclude_service = NULL;

	/* "court" is only in Acme's first version: found with all versions */
	n = search(s, &q, "court", &h);
	assert_int_equal(n, 0);
	assert_null(h);
	q.all_versions = true;
	n = search(s, &q, "court", &h);
	assert_int_equal(n, 1);
	assert_int_equal(h[0].seq, 1);
	cw_store_hits_free(h, n);

	/* an unchanged provision is one text, current in the latest version */
	q.all_versions = false;
	n = search(s, &q, "account", &h);
	assert_int_equal(n, 1);
	assert_int_equal(h[0].first_seq, 1);
	assert_int_equal(h[0].seq, 2);
	assert_string_equal(h[0].key, "p2");
	cw_store_hits_free(h, n);

	/* every word must occur, unless any may */
	n = search(s, &q, "arbitration cookies", &h);
	assert_int_equal(n, 0);
	q.mode = CW_STORE_SEARCH_ANY;
	n = search(s, &q, "arbitration cookies", &h);
	assert_int_equal(n, 3);
	cw_store_hits_free(h, n);
	/* no word to look for: nothing, not an error */
	n = search(s, &q, " , a ", &h);
	assert_int_equal(n, 0);

	assert_int_equal(cw_store_check(s, &err), CW_OK);
	cw_store_close(s);
}

/*
 * Run `sql` on the store's connection behind its back (to damage it), then
 * expect the store's check to give `rc`, with `says` in its message when
 * it fails.
 */
static void damage_then_check(struct cw_store *s, const char *sql, int rc,
			      const char *says)
{
	struct cw_err err = CW_ERR_INIT;

	assert_int_equal(sqlite3_exec(s->db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(cw_store_check(s, &err), rc);
	if (says)
		assert_non_null(strstr(err.msg, says));
}

/*
 * The current table follows the latest version: a text that leaves it is
 * found only with all versions, and found again when a later version
 * brings it back; hits read their text from the version that first had
 * it, and the check compares both tables with the versions' words.
 */
static void test_store__search_current_follows_versions(void **state)
{
	static const char *const acme[] = {
		"Disputes go to court.\n\nFees apply.\n\n",
		"Disputes are arbitrated.\n\nFees apply.\n\n",
		"Disputes go to court.\n\nFees apply.\n\nCookies are "
		"used.\n\n",
	};
	int64_t cur = 0, all = 0, doc;
	struct cw_store *s = store_with("Acme", acme, 2, &doc);
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_search q = { 0 };
	struct cw_store_hit *h = NULL;
	size_t n;
	(void)state;

	assert_int_equal(search(s, &q, "court", &h), 0);
	assert_int_equal(search(s, &q, "arbitrated", &h), 1);
	cw_store_hits_free(h, 1);
	assert_int_equal(cw_store_check(s, &err), CW_OK);

	/* version 3 says again what version 1 said: the same text, current */
	record(s, doc, acme[2], "2025-01-03T00:00:00Z", CW_OK);
	assert_int_equal(search(s, &q, "arbitrated", &h), 0);
	n = search(s, &q, "court", &h);
	assert_int_equal(n, 1);
	assert_int_equal(h[0].first_seq, 1);
	assert_int_equal(h[0].seq, 3);
	assert_string_equal(h[0].text, "Disputes go to court.\n\n");
	assert_null(h[0].snippet); /* not asked for */
	cw_store_hits_free(h, n);
	assert_int_equal(cw_store_search_size(s, &cur, &all, &err), CW_OK);
	assert_int_equal(cur, 3);
	assert_int_equal(all, 4);
	assert_int_equal(cw_store_check(s, &err), CW_OK);

	/* a current text missing from the current table is found out */
	damage_then_check(s,
			  "DELETE FROM current_fts WHERE rowid = "
			  "(SELECT max(id) FROM provision_texts)",
			  CW_ESTORE, "current");
	damage_then_check(s,
			  "INSERT INTO current_fts (current_fts) "
			  "VALUES ('rebuild')",
			  CW_OK, NULL);
	/* and a text that no longer reads what its words were made from */
	damage_then_check(s,
			  "UPDATE provision_texts SET start = start + 1 "
			  "WHERE id = 1",
			  CW_ESTORE, "does not read what was indexed");
	cw_store_close(s);
}

/* A store made before the index gets it filled when it is opened. */
static void test_store__search_index_filled_by_migration(void **state)
{
	static const char *const acme[] = {
		"Disputes go to court.\n\nFees apply.\n\n",
		"Disputes are arbitrated.\n\nFees apply.\n\n",
	};
	struct cw_store *s = store_with("Acme", acme, 2, NULL);
	struct cw_err err = CW_ERR_INIT;
	(void)state;

	/* back to schema 2: as if the versions had been recorded before */
	assert_int_equal(sqlite3_exec(s->db,
				      "DROP TABLE provision_fts;"
				      "DROP TABLE current_fts;"
				      "DROP VIEW provision_bodies;"
				      "DROP VIEW current_bodies;"
				      "DROP TABLE provision_texts;"
				      "DROP TABLE tokens;"
				      "DROP TABLE log_leaves;"
				      "DROP TABLE log_nodes;"
				      "DROP TABLE log_checkpoints;"
				      "DROP TABLE log_meta;"
				      "PRAGMA user_version = 2;",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	cw_store_close(s);

	/* migration 3 makes the first index, migration 4 the one of today
	 * (5 the tokens, 6 the log) */
	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	assert_int_equal(cw_store_schema_version(s), 8);
	struct cw_store_search q = { .all_versions = true };
	struct cw_store_hit *h = NULL;
	size_t n = search(s, &q, "court", &h);
	assert_int_equal(n, 1);
	assert_int_equal(h[0].seq, 1);
	cw_store_hits_free(h, n);
	n = search(s, &q, "fees", &h);
	assert_int_equal(n, 1);
	assert_int_equal(h[0].first_seq, 1);
	assert_int_equal(h[0].seq, 2);
	cw_store_hits_free(h, n);
	assert_int_equal(cw_store_check(s, &err), CW_OK);

	/* the check sees an index that lost a row */
	damage_then_check(s,
			  "DELETE FROM provision_fts WHERE rowid = "
			  "(SELECT max(id) FROM provision_texts)",
			  CW_ESTORE, "search index");
	cw_store_close(s);
}

/* A token works once made, is kept only as its hash, and stops working
 * once removed. */
static void test_store__tokens_hashed_and_checked(void **state)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_store_token *t = NULL;
	char tok[CW_STORE_TOKEN_LEN], other[CW_STORE_TOKEN_LEN];
	size_t n = 0;
	bool ok = false;
	sqlite3_stmt *st;
	(void)state;

	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	assert_int_equal(cw_store_token_add(s, "ci", tok, &err), CW_OK);
	assert_int_equal(strlen(tok), CW_STORE_TOKEN_LEN - 1);
	assert_int_equal(cw_store_token_add(s, "ci", other, &err), CW_EEXISTS);
	assert_int_equal(cw_store_token_add(s, "", other, &err), CW_EINVAL);
	assert_int_equal(cw_store_token_check(s, tok, &ok, &err), CW_OK);
	assert_true(ok);
	/* a token one digit off is refused */
	memcpy(other, tok, sizeof(tok));
	other[10] = other[10] == 'a' ? 'b' : 'a';
	assert_int_equal(cw_store_token_check(s, other, &ok, &err), CW_OK);
	assert_false(ok);
	assert_int_equal(cw_store_token_check(s, "cw_", &ok, &err), CW_OK);
	assert_false(ok);
	/* the token itself is nowhere in the table */
	assert_int_equal(sqlite3_prepare_v2(s->db,
					    "SELECT count(*) FROM tokens WHERE "
					    "hash = ?1 OR name = ?1",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, tok, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	sqlite3_finalize(st);
	assert_int_equal(cw_store_token_list(s, &t, &n, &err), CW_OK);
	assert_int_equal(n, 1);
	assert_string_equal(t[0].name, "ci");
	assert_non_null(t[0].last_used_at);
	cw_store_tokens_free(t, n);
	assert_int_equal(cw_store_token_remove(s, "ci", &err), CW_OK);
	assert_int_equal(cw_store_token_remove(s, "ci", &err), CW_ENOTFOUND);
	assert_int_equal(cw_store_token_check(s, tok, &ok, &err), CW_OK);
	assert_false(ok);
	cw_store_close(s);
}

/* Run one SQL statement on the store's connection. */
static void sql(struct cw_store *s, const char *q)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, q, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", q, msg);
}

static int verify(struct cw_store *s, const struct cw_note_key *k,
		  struct cw_err *err)
{
	struct cw_store_log_report rep;

	return cw_store_log_verify(s, k, &rep, err);
}

/*
 * Every version and change appends a leaf whose hash the tree holds; the
 * log verifies; a checkpoint signs the tree and is kept; an edit of a
 * record is named by verify; a tree that no longer extends the signed
 * one is not signed again.
 */
static void test_store__log_appends_and_verifies(void **state)
{
	static const char *const acme[] = {
		"Disputes go to court.\n\nFees apply.\n\n",
		"Disputes are arbitrated.\n\nFees apply.\n\n",
		"Disputes are arbitrated.\n\nNo fees.\n\n",
	};
	int64_t doc;
	struct cw_store *s = store_with("Acme", acme, 3, &doc);
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_change_in c = { .doc_id = doc, .to_version = 0 };
	struct cw_store_checkpoint cp, cp2;
	struct cw_store_version v;
	struct cw_store_leaf *ls = NULL;
	struct cw_note_key k;
	struct cw_tlog_proof p;
	cw_tlog_hash root;
	size_t n = 0;
	int64_t size = 0, vid = 0;
	(void)state;

	assert_int_equal(cw_store_get_version(s, doc, 0, &v, &err), CW_OK);
	vid = v.id;
	cw_store_version_release(&v);
	c.to_version = vid;
	c.json = "{\"changes\":[]}";
	assert_int_equal(cw_store_put_change(s, &c, NULL, &err), CW_OK);
	/* the same bytes again: no new leaf; other bytes: one more */
	assert_int_equal(cw_store_put_change(s, &c, NULL, &err), CW_OK);
	assert_int_equal(cw_store_log_size(s, &size, &err), CW_OK);
	assert_int_equal(size, 4);
	c.json = "{\"changes\":[1]}";
	assert_int_equal(cw_store_put_change(s, &c, NULL, &err), CW_OK);
	assert_int_equal(cw_store_log_size(s, &size, &err), CW_OK);
	assert_int_equal(size, 5);
	assert_int_equal(cw_store_log_leaves(s, 0, 10, &ls, &n, &err), CW_OK);
	assert_int_equal(n, 5);
	assert_string_equal(ls[0].kind, "version");
	assert_string_equal(ls[3].kind, "change");
	assert_non_null(strstr(ls[0].data, "\"service\":\"Acme\""));
	assert_non_null(strstr(ls[0].data, "\"seq\":1"));
	/* each leaf's inclusion proof leads to the root */
	assert_int_equal(cw_store_log_root(s, 5, root, &err), CW_OK);
	for (size_t i = 0; i < n; i++) {
		cw_tlog_hash got;
		assert_int_equal(cw_store_log_inclusion(s, i, 5, &p, &err),
				 CW_OK);
		assert_int_equal(cw_tlog_root_from_inclusion(i, 5, ls[i].hash,
							     &p, got, &err),
				 CW_OK);
		assert_memory_equal(got, root, 32);
		cw_tlog_proof_release(&p);
	}
	cw_store_leaves_free(ls, n);

	assert_int_equal(cw_note_key_new("test.example/log", &k, &err), CW_OK);
	/* no checkpoint yet, and none without a key */
	assert_int_equal(cw_store_log_checkpoint(s, NULL, &cp, &err),
			 CW_ENOTFOUND);
	assert_int_equal(cw_store_log_checkpoint(s, &k, &cp, &err), CW_OK);
	assert_int_equal(cp.size, 5);
	assert_memory_equal(cp.root, root, 32);
	assert_int_equal(cw_note_verify(cp.note, strlen(cp.note), &k, NULL,
					&err),
			 CW_OK);
	/* the tree has not grown: the same checkpoint */
	assert_int_equal(cw_store_log_checkpoint(s, &k, &cp2, &err), CW_OK);
	assert_string_equal(cp2.note, cp.note);
	cw_store_checkpoint_release(&cp2);
	cw_store_checkpoint_release(&cp);
	if (verify(s, &k, &err))
		fail_msg("verify: %s", err.msg);

	/* a version's seq edited: named */
	sql(s, "UPDATE versions SET seq = 9 WHERE seq = 2");
	assert_int_equal(verify(s, &k, &err), CW_ESTORE);
	assert_non_null(strstr(err.msg, "leaf 1 (version 2 of Acme/"));
	assert_non_null(strstr(err.msg, "no longer says what was logged"));
	sql(s, "UPDATE versions SET seq = 2 WHERE seq = 9");
	if (verify(s, &k, &err))
		fail_msg("verify after the undo: %s", err.msg);

	/* a record edited and the whole log made again from the store, as
	 * someone with SQL could: the new tree is whole but does not extend
	 * the signed one, so it is not signed, and verify says why */
	record(s, doc, "Disputes are arbitrated.\n\nNo fees at all.\n\n",
	       "2025-02-01T00:00:00Z", CW_OK);
	sql(s, "UPDATE versions SET recorded_at = '2024-12-31T00:00:00Z' "
	       "WHERE seq = 1");
	sql(s, "DELETE FROM log_leaves; DELETE FROM log_nodes;"
	       "DELETE FROM log_meta");
	assert_int_equal(cw_store_begin(s, &err), CW_OK);
	if (store_log_backfill(s, &err))
		fail_msg("backfill: %s", err.msg);
	assert_int_equal(cw_store_commit(s, &err), CW_OK);
	assert_int_equal(cw_store_log_checkpoint(s, &k, &cp, &err), CW_ESTORE);
	assert_non_null(strstr(err.msg, "refusing to sign"));
	assert_int_equal(cw_store_log_checkpoint(s, NULL, &cp, &err),
			 CW_ESTORE);
	assert_int_equal(verify(s, &k, &err), CW_ESTORE);
	assert_non_null(strstr(err.msg, "does not match the log's first 5"));
	cw_store_close(s);
}

/* A store made before the log gets a leaf for each record when opened,
 * and its first checkpoint names the back-filled range. */
static void test_store__log_backfilled_by_migration(void **state)
{
	static const char *const acme[] = {
		"One.\n\nTwo.\n\n",
		"One.\n\nThree.\n\n",
	};
	struct cw_store *s = store_with("Acme", acme, 2, NULL);
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_checkpoint cp;
	struct cw_note_key k;
	int64_t size = 0;
	(void)state;

	sql(s, "DROP TABLE log_leaves; DROP TABLE log_nodes;"
	       "DROP TABLE log_checkpoints; DROP TABLE log_meta;"
	       "PRAGMA user_version = 5;");
	cw_store_close(s);
	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	assert_int_equal(cw_store_schema_version(s), 8);
	assert_int_equal(cw_store_log_size(s, &size, &err), CW_OK);
	assert_int_equal(size, 2);
	if (verify(s, NULL, &err))
		fail_msg("verify: %s", err.msg);
	assert_int_equal(cw_note_key_new("test.example/log", &k, &err), CW_OK);
	assert_int_equal(cw_store_log_checkpoint(s, &k, &cp, &err), CW_OK);
	assert_non_null(strstr(cp.note, "\n2\n"));
	assert_non_null(strstr(cp.note, "clausewatch backfilled 0-1\n"));
	cw_store_checkpoint_release(&cp);
	cw_store_close(s);
}

/* How many of the log's leaves are stored as written ('{' first)? */
static int leaves_as_written(struct cw_store *s)
{
	sqlite3_stmt *st = NULL;
	int n;

	assert_int_equal(sqlite3_prepare_v2(s->db,
					    "SELECT count(*) FROM log_leaves "
					    "WHERE substr(data, 1, 1) = "
					    "CAST('{' AS BLOB)",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/*
 * The leaves are stored packed, and give back the canonical JSON that was
 * hashed: a store whose leaves were written as JSON (schema 7) reads the
 * same leaves before and after migration 8 packs them, its root is the
 * same, and the checkpoint signed before the migration still verifies.
 */
static void test_store__log_leaves_packed_by_migration(void **state)
{
	static const char *const acme[] = {
		"Disputes are arbitrated.\n\nNo fees.\n\n",
		"Disputes are arbitrated.\n\nSmall fees.\n\n",
		"Disputes go to court.\n\nSmall fees.\n\n",
	};
	struct cw_store *s = store_with("Acme", acme, 3, NULL);
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_checkpoint cp;
	struct cw_store_leaf *before = NULL, *after = NULL;
	size_t nb = 0, na = 0;
	struct cw_note_key k;
	cw_tlog_hash root, root2;
	(void)state;

	/* written packed */
	assert_int_equal(cw_store_log_leaves(s, 0, 100, &before, &nb, &err),
			 CW_OK);
	assert_int_equal(nb, 3); /* a leaf a version */
	assert_int_equal(leaves_as_written(s), 0);
	assert_int_equal(cw_store_log_root(s, nb, root, &err), CW_OK);
	assert_int_equal(cw_note_key_new("test.example/log", &k, &err), CW_OK);
	assert_int_equal(cw_store_log_checkpoint(s, &k, &cp, &err), CW_OK);
	cw_store_checkpoint_release(&cp);
	/* as schema 7 wrote them: the JSON itself, which still reads */
	sql(s, "UPDATE log_leaves SET data = CAST(cw_leaf_data(data, "
	       "content) AS BLOB); PRAGMA user_version = 7;");
	assert_int_equal(leaves_as_written(s), 3);
	if (verify(s, &k, &err))
		fail_msg("verify as written: %s", err.msg);
	cw_store_close(s);

	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	assert_int_equal(cw_store_schema_version(s), 8);
	assert_int_equal(leaves_as_written(s), 0);
	assert_int_equal(cw_store_log_leaves(s, 0, 100, &after, &na, &err),
			 CW_OK);
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_string_equal(after[i].data, before[i].data);
		assert_memory_equal(after[i].hash, before[i].hash, 32);
		assert_non_null(strstr(after[i].data, after[i].content_sha256));
	}
	assert_int_equal(cw_store_log_root(s, na, root2, &err), CW_OK);
	assert_memory_equal(root2, root, 32);
	if (verify(s, &k, &err))
		fail_msg("verify after packing: %s", err.msg);
	cw_store_leaves_free(before, nb);
	cw_store_leaves_free(after, na);
	cw_store_close(s);
}

/* Does the file at `path` hold the bytes of `needle`? */
static bool file_holds(const char *path, const char *needle)
{
	size_t len = 0;
	char *b = cw_test_read(path, &len);
	bool found = false;

	for (size_t i = 0; b && i + strlen(needle) <= len && !found; i++)
		found = !memcmp(b + i, needle, strlen(needle));
	free(b);
	return found;
}

/*
 * A webhook secret is kept sealed: it reads back whole, yet its bytes
 * are in no file of the store; the store and its key are the owner's
 * alone (0600); a secret a store kept in clear before is sealed when the
 * store is opened.
 */
static void test_store__secrets_sealed(void **state)
{
	const char *secret = "whsec-Very-Secret-Value-42";
	struct cw_store *s = NULL;
	struct cw_err err = CW_ERR_INIT;
	char channel[] = "webhook", target[] = "https://hooks.example/x";
	struct cw_store_sub sub = { .channel = channel,
				    .target = target,
				    .secret = (char *)secret };
	struct cw_store_sub got;
	struct stat st;
	char wal[600], key[600];
	int64_t id = 0;
	(void)state;

	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	assert_int_equal(cw_store_sub_add(s, &sub, &id, &err), CW_OK);
	assert_int_equal(cw_store_sub_get(s, id, &got, &err), CW_OK);
	assert_string_equal(got.secret, secret);
	cw_store_sub_release(&got);
	snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	snprintf(key, sizeof(key), "%s.secret-key", dbpath);
	assert_false(file_holds(wal, secret));
	assert_int_equal(stat(dbpath, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	cw_store_close(s);
	assert_false(file_holds(dbpath, secret));

	/* as a store from before sealing kept it */
	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	sql(s, "UPDATE subscriptions SET secret = 'old-clear-secret-77'; "
	       "PRAGMA user_version = 6;");
	cw_store_close(s);
	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	assert_int_equal(cw_store_sub_get(s, id, &got, &err), CW_OK);
	assert_string_equal(got.secret, "old-clear-secret-77");
	cw_store_sub_release(&got);
	cw_store_close(s);
	assert_false(file_holds(dbpath, "old-clear-secret-77"));
	/* another store's key does not open it */
	unlink(key);
	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	assert_int_not_equal(cw_store_sub_get(s, id, &got, &err), CW_OK);
	cw_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store__versions_roundtrip_and_dedupe),
		cmocka_unit_test(test_store__snapshots_stored_once),
		cmocka_unit_test(test_store__changes_filter_by_materiality),
		cmocka_unit_test(test_store__real_history_compresses),
		cmocka_unit_test_setup(
			test_store__lost_transaction_fails_the_batch, setup),
		cmocka_unit_test_setup(
			test_store__search_finds_stemmed_words_in_current_text,
			setup),
		cmocka_unit_test_setup(
			test_store__search_current_follows_versions, setup),
		cmocka_unit_test_setup(
			test_store__search_index_filled_by_migration, setup),
		cmocka_unit_test_setup(test_store__tokens_hashed_and_checked,
				       setup),
		cmocka_unit_test_setup(test_store__log_appends_and_verifies,
				       setup),
		cmocka_unit_test_setup(test_store__log_backfilled_by_migration,
				       setup),
		cmocka_unit_test_setup(
			test_store__log_leaves_packed_by_migration, setup),
		cmocka_unit_test_setup(test_store__secrets_sealed, setup),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
