/*
 * Tests of the segment module on the real documents in $CW_SHARED (the
 * Stability AI seed and the Open Terms Archive corpus, read at run time)
 * and on fixtures of our own in tests/data/segment/.
 *
 * CW_TEST_SAMPLE=N limits the corpus-wide tiling test to N files spread
 * over the corpus (for slow sanitizer builds); by default every file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ftw.h>

#include "extract/extract.h"
#include "segment/segment.h"

/* ---- helpers ---- */

static char shared_dir[4096];

static const char *shared(void)
{
	const char *s = getenv("CW_SHARED");
	const char *root = getenv("CW_SOURCE_ROOT");

	if (s && *s)
		return s;
	snprintf(shared_dir, sizeof(shared_dir), "%s/../shared",
		 root && *root ? root : CW_SOURCE_ROOT);
	return shared_dir;
}

/* Read $CW_SHARED/<rel> into b; false (and a skip message) when absent. */
static bool read_shared(struct cw_buf *b, const char *rel)
{
	struct cw_err err = CW_ERR_INIT;
	char *path = cw_asprintf("%s/%s", shared(), rel);
	bool ok = cw_file_read(b, path, 64u << 20, &err) == CW_OK;

	if (!ok)
		print_message("skipped: %s not found\n", path);
	free(path);
	return ok;
}

static void read_fixture(struct cw_buf *b, const char *name)
{
	struct cw_err err = CW_ERR_INIT;
	const char *t = getenv("CW_TESTS");
	char *path = t && *t ? cw_asprintf("%s/data/segment/%s", t, name)
			     : cw_asprintf("%s/tests/data/segment/%s",
					   CW_SOURCE_ROOT, name);

	if (cw_file_read(b, path, 1u << 20, &err) != CW_OK)
		fail_msg("%s", err.msg);
	free(path);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The invariants of segment.h. Returns NULL when they hold, else a static
 * description of the first one broken. Hashes are checked when asked.
 */
static const char *check_invariants(const struct cw_segmentation *s,
				    const char *text, size_t len, bool hashes)
{
	static char why[256];
	size_t pos = 0;
	size_t *last_child_end;
	const char **keys;
	const char *res = NULL;

	if (len == 0)
		return s->n == 0 ? NULL : "provisions for an empty text";
	if (s->n == 0)
		return "no provision for a non-empty text";
	last_child_end = cw_calloc(s->n, sizeof(*last_child_end));
	keys = cw_calloc(s->n, sizeof(*keys));
	for (size_t i = 0; i < s->n && !res; i++) {
		const struct cw_provision *p = &s->items[i];
		keys[i] = p->key;
		if (!p->key || !*p->key || !p->title) {
			snprintf(why, sizeof(why), "%zu: no key or title", i);
			res = why;
		} else if (p->start >= p->end || p->end > len) {
			snprintf(why, sizeof(why), "%s: bad range [%zu,%zu)",
				 p->key, p->start, p->end);
			res = why;
		} else if (p->body < p->start || p->body > p->end) {
			snprintf(why, sizeof(why), "%s: body outside", p->key);
			res = why;
		} else if (p->parent < 0) {
			if (p->level != 1 || p->start != pos) {
				snprintf(why, sizeof(why),
					 "%s: top level at %zu, expected %zu",
					 p->key, p->start, pos);
				res = why;
			}
			pos = p->end;
		} else {
			const struct cw_provision *q;
			if ((size_t)p->parent >= i) {
				snprintf(why, sizeof(why), "%s: parent after",
					 p->key);
				res = why;
				break;
			}
			q = &s->items[p->parent];
			if (p->level != q->level + 1 || p->start < q->body ||
			    p->end > q->end ||
			    p->start < last_child_end[p->parent]) {
				snprintf(why, sizeof(why),
					 "%s: not nested in %s or overlaps",
					 p->key, q->key);
				res = why;
			}
			last_child_end[p->parent] = p->end;
		}
		if (!res && strcmp(p->key, "preamble") == 0 &&
		    (i != 0 || p->level != 1 || p->start != 0)) {
			snprintf(why, sizeof(why), "preamble not first");
			res = why;
		}
		if (!res && hashes) {
			char h[CW_SHA256_HEX];
			cw_sha256_hex(text + p->start, p->end - p->start, h);
			if (strcmp(h, p->hash) != 0) {
				snprintf(why, sizeof(why), "%s: wrong hash",
					 p->key);
				res = why;
			}
		}
	}
	if (!res && pos != len) {
		snprintf(why, sizeof(why), "top level ends at %zu of %zu", pos,
			 len);
		res = why;
	}
	if (!res) {
		qsort(keys, s->n, sizeof(*keys), cmp_str);
		for (size_t i = 1; i < s->n && !res; i++)
			if (strcmp(keys[i - 1], keys[i]) == 0) {
				snprintf(why, sizeof(why), "key '%s' twice",
					 keys[i]);
				res = why;
			}
	}
	free(keys);
	free(last_child_end);
	return res;
}

static struct cw_segmentation *segment_ok(const char *text, size_t len,
					  const struct cw_segment_opts *opts)
{
	struct cw_segmentation *s = NULL;
	struct cw_err err = CW_ERR_INIT;
	const char *why;

	assert_int_equal(cw_segment_text(&s, text, len, opts, &err), CW_OK);
	assert_non_null(s);
	why = check_invariants(s, text, len, true);
	if (why)
		fail_msg("invariant broken: %s", why);
	return s;
}

static const struct cw_provision *get(const struct cw_segmentation *s,
				      const char *key)
{
	long i = cw_segment_find(s, key);

	if (i < 0)
		fail_msg("no provision '%s'", key);
	return &s->items[i];
}

/* Assert key, title, level and parent key (NULL for top level). */
static void expect(const struct cw_segmentation *s, const char *key,
		   const char *title, int level, const char *parent)
{
	const struct cw_provision *p = get(s, key);

	assert_string_equal(p->title, title);
	assert_int_equal(p->level, level);
	if (parent)
		assert_string_equal(s->items[p->parent].key, parent);
	else
		assert_int_equal(p->parent, -1);
}

static size_t count_top(const struct cw_segmentation *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += s->items[i].parent < 0;
	return n;
}

/* ---- the Stability AI seed (plain text) ---- */

static void test_segment__stability_seed(void **state)
{
	struct cw_buf b = CW_BUF_INIT;
	struct cw_segmentation *s;
	(void)state;

	if (!read_shared(&b, "seeds/002_7ae7b45475604c64.txt"))
		skip();
	s = segment_ok(b.ptr, b.len, NULL);
	/* 13 numbered sections and the preamble, nothing else on top */
	assert_int_equal(count_top(s), 14);
	assert_string_equal(s->items[0].key, "preamble");
	for (int i = 1; i <= 13; i++) {
		char k[8];
		snprintf(k, sizeof(k), "%d", i);
		assert_int_equal(get(s, k)->level, 1);
	}
	expect(s, "1", "Who We Are", 1, NULL);
	expect(s, "2.a", "Minimum age", 2, "2");
	expect(s, "3.b", "Use Restrictions", 2, "3");
	expect(s, "13.b", "Opt Out", 2, "13");
	expect(s, "12.i", "Use of our brand", 2, "12");
	expect(s, "13.i", "Equitable relief", 2, "13");
	/* plain-text lead-ins: a title line, then a line starting with "." */
	expect(s, "7.d.expiration", "Expiration", 3, "7.d");
	/* the text after "a. Minimum age" starts on the "." line */
	const struct cw_provision *p = get(s, "2.a");
	assert_memory_equal(b.ptr + p->body, ". You must", 10);
	/* "IMPORTANT ARBITRATION NOTICE\n:" is preamble text, not a heading */
	assert_true(get(s, "1")->start >
		    (size_t)(strstr(b.ptr, "IMPORTANT ARBITRATION") - b.ptr));
	cw_segment_free(s);
	cw_buf_release(&b);
}

/* ---- keys across the versions of each corpus document ---- */

static const struct cw_segmentation *sort_by;

static int cmp_by_hash(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	return strcmp(sort_by->items[i].hash, sort_by->items[j].hash);
}

/* The folder part of a path: its length up to the last '/' */
static size_t dir_len(const char *path)
{
	const char *sl = strrchr(path, '/');

	return sl ? (size_t)(sl - path) : 0;
}

/* Indices of the provisions of `s` in the order of their hashes */
static size_t *by_hash(const struct cw_segmentation *s)
{
	size_t *idx = cw_malloc((s->n + 1) * sizeof(*idx));

	for (size_t i = 0; i < s->n; i++)
		idx[i] = i;
	sort_by = s;
	qsort(idx, s->n, sizeof(*idx), cmp_by_hash);
	return idx;
}

/* The length of the run of equal hashes at idx[k] */
static size_t hash_run(const struct cw_segmentation *s, const size_t *idx,
		       size_t k)
{
	size_t r = 1;

	while (k + r < s->n &&
	       !strcmp(s->items[idx[k]].hash, s->items[idx[k + r]].hash))
		r++;
	return r;
}

static const char *parent_key(const struct cw_segmentation *s,
			      const struct cw_provision *p)
{
	return p->parent >= 0 ? s->items[p->parent].key : "";
}

/*
 * Count the provisions that `a` and `b` each have once, with the same
 * text, title and parent key, but under another key: a key that moved
 * although nothing of the provision or of its place did. Prints the first
 * few.
 */
static size_t moved_keys(const struct cw_segmentation *a,
			 const struct cw_segmentation *b, const char *path,
			 size_t *matched)
{
	size_t *ia = by_hash(a), *ib = by_hash(b), moved = 0;
	size_t i = 0, j = 0;
	static size_t shown;

	while (i < a->n && j < b->n) {
		const struct cw_provision *p = &a->items[ia[i]];
		const struct cw_provision *q = &b->items[ib[j]];
		int c = strcmp(p->hash, q->hash);
		size_t ra = hash_run(a, ia, i), rb = hash_run(b, ib, j);

		if (c < 0) {
			i += ra;
			continue;
		}
		if (c > 0) {
			j += rb;
			continue;
		}
		if (ra == 1 && rb == 1 && !strcmp(p->title, q->title) &&
		    !strcmp(parent_key(a, p), parent_key(b, q))) {
			(*matched)++;
			if (strcmp(p->key, q->key)) {
				moved++;
				if (shown++ < 20)
					print_message("key moved: '%s' -> '%s' "
						      "in %s\n",
						      p->key, q->key, path);
			}
		}
		i += ra;
		j += rb;
	}
	free(ia);
	free(ib);
	return moved;
}

/* ---- Markdown versions of the corpus ---- */

static struct cw_segmentation *corpus_doc(struct cw_buf *b, const char *rel)
{
	char *path = cw_asprintf("corpus/versions/%s", rel);
	bool ok = read_shared(b, path);

	free(path);
	return ok ? segment_ok(b->ptr, b->len, NULL) : NULL;
}

/* The `n`-th tab-separated field of `line` (up to its end), as a string. */
static char *field(const char *line, int n)
{
	const char *p = line;
	size_t len;

	for (; n > 0 && p; n--) {
		p = strchr(p, '\t');
		if (p)
			p++;
	}
	if (!p)
		fail_msg("corpus_provisions.tsv: too few fields in '%s'", line);
	len = strcspn(p, "\t");
	return cw_strndup(p, len);
}

/* The segmentation of a corpus version as the pipeline records its text
 * (a text there twice once), or NULL (and a skip message) when absent */
static struct cw_segmentation *recorded_doc(struct cw_buf *b, const char *rel)
{
	char *path = cw_asprintf("corpus/versions/%s", rel);
	bool ok = read_shared(b, path);

	free(path);
	if (!ok)
		return NULL;
	cw_extract_undouble(b, 0);
	return segment_ok(b->ptr, b->len, NULL);
}

static const char *parent_title(const struct cw_segmentation *s,
				const struct cw_provision *p)
{
	return p->parent >= 0 ? s->items[p->parent].title : "";
}

/* Index of the provision of `s` titled `title`, when it is the only one;
 * else -1 */
static long only_titled(const struct cw_segmentation *s, const char *title)
{
	long at = -1;

	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->items[i].title, title)) {
			if (at >= 0)
				return -1;
			at = (long)i;
		}
	return at;
}

/*
 * Two versions of a document keep their keys: no unchanged provision moves
 * (moved_keys), and every title that each has once, under a parent of
 * the same title, is under the same key in both.
 */
static void same_keys(const char *rel_a, const char *rel_b)
{
	struct cw_buf ba = CW_BUF_INIT, bb = CW_BUF_INIT;
	struct cw_segmentation *a = recorded_doc(&ba, rel_a);
	struct cw_segmentation *b = a ? recorded_doc(&bb, rel_b) : NULL;
	size_t matched = 0, titled = 0;

	if (!b) {
		cw_segment_free(a);
		cw_buf_release(&ba);
		skip();
	}
	assert_int_equal(moved_keys(a, b, rel_b, &matched), 0);
	for (size_t i = 0; i < a->n; i++) {
		const struct cw_provision *p = &a->items[i];
		long j;
		if (!*p->title || only_titled(a, p->title) != (long)i ||
		    (j = only_titled(b, p->title)) < 0 ||
		    strcmp(parent_title(a, p), parent_title(b, &b->items[j])))
			continue;
		titled++;
		if (strcmp(p->key, b->items[j].key))
			fail_msg("'%s' is '%s' in %s but '%s' in %s", p->title,
				 p->key, rel_a, b->items[j].key, rel_b);
	}
	assert_true(titled > 0);
	cw_segment_free(a);
	cw_segment_free(b);
	cw_buf_release(&ba);
	cw_buf_release(&bb);
}

/*
 * Check the cases of `test` in tests/data/segment/corpus_provisions.tsv
 * (its format is at its top): every document of that test segments, and
 * has what the lines under it say.
 */
static void check_corpus_cases(const char *test)
{
	struct cw_buf table = CW_BUF_INIT, b = CW_BUF_INIT;
	struct cw_segmentation *s = NULL;
	bool mine = false;
	size_t docs = 0;
	char *line, *next;

	read_fixture(&table, "corpus_provisions.tsv");
	for (line = table.ptr; line && *line; line = next) {
		char *what, *arg;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!*line || *line == '#')
			continue;
		what = field(line, 0);
		arg = field(line, 1);
		if (!strcmp(what, "test")) {
			mine = !strcmp(arg, test);
		} else if (!mine) {
			/* another test's case */
		} else if (!strcmp(what, "doc")) {
			cw_segment_free(s);
			cw_buf_clear(&b);
			if (!(s = corpus_doc(&b, arg)))
				skip();
			docs++;
		} else if (!strcmp(what, "top")) {
			assert_int_equal(count_top(s), strtoul(arg, NULL, 10));
		} else if (!strcmp(what, "first")) {
			assert_string_equal(s->items[0].key, arg);
		} else if (!strcmp(what, "stable")) {
			char *other = field(line, 2);
			same_keys(arg, other);
			free(other);
			docs++;
		} else if (!strcmp(what, "absent")) {
			assert_int_equal(cw_segment_find(s, arg), -1);
		} else if (!strcmp(what, "want")) {
			char *title = field(line, 2), *level = field(line, 3);
			char *parent = field(line, 4);

			expect(s, arg, title, (int)strtol(level, NULL, 10),
			       strcmp(parent, "-") ? parent : NULL);
			free(title);
			free(level);
			free(parent);
		} else {
			fail_msg("corpus_provisions.tsv: unknown line '%s'",
				 line);
		}
		free(what);
		free(arg);
	}
	assert_true(docs > 0);
	cw_segment_free(s);
	cw_buf_release(&b);
	cw_buf_release(&table);
}

static void test_segment__markdown_numbered_sections(void **state)
{
	(void)state;
	check_corpus_cases("markdown_numbered_sections");
}

static void test_segment__markdown_unnumbered_headings(void **state)
{
	(void)state;
	check_corpus_cases("markdown_unnumbered_headings");
}

static void test_segment__keys_between_versions(void **state)
{
	(void)state;
	check_corpus_cases("keys_between_versions");
}

/* ---- every version of the corpus ---- */

static struct cw_strv walk_files;

static int collect(const char *path, const struct stat *st, int flag,
		   struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_F && cw_str_endswith(path, ".md"))
		cw_strv_push(&walk_files, path);
	return 0;
}

/* CPU time of this thread: the machine may be busy with other work */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Every version of the corpus into walk_files, in order (file names are
 * dates); *step is how far apart the files read are (CW_TEST_SAMPLE).
 * False, with a message, when the corpus is absent.
 */
static bool corpus_walk(size_t *step)
{
	char *dir = cw_asprintf("%s/corpus/versions", shared());
	const char *sample = getenv("CW_TEST_SAMPLE");

	*step = 1;
	if (!cw_dir_exists(dir)) {
		print_message("skipped: %s not found\n", dir);
		free(dir);
		return false;
	}
	walk_files = (struct cw_strv)CW_STRV_INIT;
	assert_int_equal(nftw(dir, collect, 16, FTW_PHYS), 0);
	qsort(walk_files.v, walk_files.n, sizeof(char *), cmp_str);
	assert_true(walk_files.n > 0);
	if (sample && *sample) {
		long n;
		if (cw_parse_long(sample, 1, 1000000, &n) == CW_OK &&
		    (size_t)n < walk_files.n)
			*step = walk_files.n / (size_t)n;
	}
	free(dir);
	return true;
}

static void test_segment__tiling_whole_corpus(void **state)
{
	size_t step, files = 0, provs = 0, bytes = 0, maxn = 0;
	struct cw_buf b = CW_BUF_INIT;
	double t0, spent = 0;
	(void)state;

	if (!corpus_walk(&step))
		skip();
	for (size_t i = 0; i < walk_files.n; i += step) {
		struct cw_err err = CW_ERR_INIT;
		struct cw_segmentation *s = NULL;
		const char *why;

		cw_buf_clear(&b);
		if (cw_file_read(&b, walk_files.v[i], 64u << 20, &err))
			fail_msg("%s", err.msg);
		t0 = now_s();
		assert_int_equal(cw_segment_text(&s, b.ptr, b.len, NULL, &err),
				 CW_OK);
		spent += now_s() - t0;
		/* hashes are recomputed for one file in 25 */
		why = check_invariants(s, b.ptr, b.len, files % 25 == 0);
		if (why)
			fail_msg("'%s': %s", walk_files.v[i], why);
		files++;
		provs += s->n;
		bytes += b.len;
		if (s->n > maxn)
			maxn = s->n;
		cw_segment_free(s);
	}
	print_message("tiling: %zu files, %zu bytes, %zu provisions (at most "
		      "%zu in one file), segmented in %.2f s of CPU (%.1f "
		      "MB/s)\n",
		      files, bytes, provs, maxn, spent,
		      spent > 0 ? (double)bytes / spent / 1e6 : 0.0);
	cw_buf_release(&b);
	cw_strv_release(&walk_files);
}

static void test_segment__keys_stable_whole_corpus(void **state)
{
	struct cw_buf ba = CW_BUF_INIT, bb = CW_BUF_INIT;
	size_t step, pairs = 0, matched = 0, moved = 0;
	(void)state;

	if (!corpus_walk(&step))
		skip();
	/* file names are dates: in order, each version and the next */
	for (size_t i = 0; i + 1 < walk_files.n; i += step) {
		const char *pa = walk_files.v[i], *pb = walk_files.v[i + 1];
		struct cw_err err = CW_ERR_INIT;
		struct cw_segmentation *a, *b;

		if (dir_len(pa) != dir_len(pb) ||
		    strncmp(pa, pb, dir_len(pa)) != 0)
			continue;
		cw_buf_clear(&ba);
		cw_buf_clear(&bb);
		if (cw_file_read(&ba, pa, 64u << 20, &err) ||
		    cw_file_read(&bb, pb, 64u << 20, &err))
			fail_msg("%s", err.msg);
		/* a text there twice is recorded once */
		cw_extract_undouble(&ba, 0);
		cw_extract_undouble(&bb, 0);
		assert_int_equal(
			cw_segment_text(&a, ba.ptr, ba.len, NULL, &err), CW_OK);
		assert_int_equal(
			cw_segment_text(&b, bb.ptr, bb.len, NULL, &err), CW_OK);
		moved += moved_keys(a, b, pb, &matched);
		pairs++;
		cw_segment_free(a);
		cw_segment_free(b);
	}
	print_message("keys: %zu pairs of versions, %zu provisions found "
		      "again unchanged, %zu under another key\n",
		      pairs, matched, moved);
	/* what moves is in pages that repeat their headings (several
	 * copies of the terms, a summary before them) or lose an earlier
	 * list numbered like a later one: 162 of 82,591 (0.2%) when this
	 * was written, 229 of 81,698 with every repeated number chain
	 * prefixed */
	assert_true(pairs > 0 && matched > 0);
	if (moved * 400 > matched)
		fail_msg("%zu of %zu unchanged provisions moved (more than "
			 "0.25%%)",
			 moved, matched);
	cw_strv_release(&walk_files);
	cw_buf_release(&ba);
	cw_buf_release(&bb);
}

/* ---- stated dates ---- */

static void expect_date(const char *rel, const char *iso, const char *span)
{
	struct cw_buf b = CW_BUF_INIT;
	time_t t;
	size_t at = 0, len = 0;
	char got[CW_TIME_ISO];

	if (!read_shared(&b, rel))
		skip();
	assert_int_equal(cw_segment_stated_date(&t, &at, &len, b.ptr, b.len),
			 CW_OK);
	cw_time_iso(t, got);
	assert_string_equal(got, iso);
	assert_int_equal(len, strlen(span));
	assert_memory_equal(b.ptr + at, span, len);
	cw_buf_release(&b);
}

static void test_segment__stated_date(void **state)
{
	(void)state;
	expect_date("seeds/002_7ae7b45475604c64.txt", "2025-07-31T00:00:00Z",
		    "July 31, 2025");
	/* "Updated: April 29, 2025" */
	expect_date("corpus/versions/ChatGPT/Terms of Service/2025-11-07.md",
		    "2025-04-29T00:00:00Z", "April 29, 2025");
	/* "Last Modified: 2022-02-09" */
	expect_date("corpus/versions/Tumblr/Privacy Policy/2022-02-09.md",
		    "2022-02-09T00:00:00Z", "2022-02-09");
	/* "Last modified: January 04, 2021" */
	expect_date("corpus/versions/WhatsApp/Privacy Policy/2022-01-17.md",
		    "2021-01-04T00:00:00Z", "January 04, 2021");
	/* "... Privacy Policy, effective 21 September 2026" */
	expect_date("corpus/versions/Snapchat/Privacy Policy/2026-08-05.md",
		    "2026-09-21T00:00:00Z", "21 September 2026");
	/* "**Effective 6 February 2025**" */
	expect_date("corpus/versions/Mistral AI/Developer Terms/2025-02-06.md",
		    "2025-02-06T00:00:00Z", "6 February 2025");
	/* "UpdatedJanuary 10, 2024": the scrape lost the space */
	expect_date("corpus/versions/OpenAI/Acceptable Use "
		    "Policy/2024-01-11.md",
		    "2024-01-10T00:00:00Z", "January 10, 2024");
	/* "Last updated: January 23rd, 2026" */
	expect_date("corpus/versions/Perplexity/Terms of Service/2026-08-20.md",
		    "2026-01-23T00:00:00Z", "January 23rd, 2026");
}

static void test_segment__stated_date_forms(void **state)
{
	static const struct {
		const char *text, *iso;
	} ok[] = {
		{ "Updated March 3, 2024\n", "2024-03-03T00:00:00Z" },
		{ "Last updated on 3 March 2024.", "2024-03-03T00:00:00Z" },
		{ "Effective date: 2024-03-03", "2024-03-03T00:00:00Z" },
		{ "**Last Updated:** **April 20****th****, 2025**", "2025-04-"
								    "20T00:00:"
								    "00Z" },
		{ "Last revised: 03/31/2024", "2024-03-31T00:00:00Z" },
		{ "Effective as of Sept. 5, 2023", "2023-09-05T00:00:00Z" },
		{ "Last modified 29 February 2024", "2024-02-29T00:00:00Z" },
		{ "Updated: March 2024", "2024-03-01T00:00:00Z" },
	};
	static const char *const bad[] = {
		"",
		"Updated whenever we like.",
		"Effective: February 30, 2024",
		"Last updated: 2024-13-01",
		"Our effective rate is 31 percent",
		"Updates 2024-03-03",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		time_t t;
		size_t at, len;
		char got[CW_TIME_ISO];
		assert_int_equal(cw_segment_stated_date(&t, &at, &len,
							ok[i].text,
							strlen(ok[i].text)),
				 CW_OK);
		cw_time_iso(t, got);
		assert_string_equal(got, ok[i].iso);
		assert_true(at + len <= strlen(ok[i].text));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		time_t t;
		assert_int_equal(cw_segment_stated_date(&t, NULL, NULL, bad[i],
							strlen(bad[i])),
				 CW_ENOTFOUND);
	}
}

/* ---- our fixtures ---- */

static void test_segment__keys_stable_across_insertions(void **state)
{
	struct cw_buf b1 = CW_BUF_INIT, b2 = CW_BUF_INIT;
	struct cw_segmentation *s1, *s2;
	static const char *const same[] = {
		"accounts.who-may-sign-up",
		"accounts.keeping-it-safe",
		"1",
		"2",
		"ending-the-agreement",
	};
	(void)state;

	read_fixture(&b1, "stable_v1.md");
	read_fixture(&b2, "stable_v2.md");
	s1 = segment_ok(b1.ptr, b1.len, NULL);
	s2 = segment_ok(b2.ptr, b2.len, NULL);
	/* the document title is part of the preamble */
	assert_string_equal(s1->items[0].key, "preamble");
	assert_int_equal(cw_segment_find(s1, "sample-service-terms"), -1);
	/* a section and a lead-in were inserted in v2: the others keep
	 * their keys, titles and (unchanged text) hashes */
	for (size_t i = 0; i < sizeof(same) / sizeof(*same); i++) {
		const struct cw_provision *p = get(s1, same[i]);
		const struct cw_provision *q = get(s2, same[i]);
		assert_string_equal(p->title, q->title);
		assert_string_equal(p->hash, q->hash);
	}
	expect(s2, "accounts.verification", "Verification", 2, "accounts");
	expect(s2, "content-you-share", "Content you share", 1, NULL);
	/* a number chain unique in the document needs no parent prefix */
	expect(s1, "1", "Fees", 2, "payments");
	cw_segment_free(s1);
	cw_segment_free(s2);
	cw_buf_release(&b1);
	cw_buf_release(&b2);
}

/* no_hashes leaves every hash empty and changes nothing else */
static void test_segment__no_hashes(void **state)
{
	struct cw_buf b = CW_BUF_INIT;
	struct cw_segment_opts o = CW_SEGMENT_OPTS_INIT;
	struct cw_segmentation *with, *without = NULL;
	struct cw_err err = CW_ERR_INIT;
	(void)state;

	read_fixture(&b, "stable_v2.md");
	o.no_hashes = true;
	with = segment_ok(b.ptr, b.len, NULL);
	assert_int_equal(cw_segment_text(&without, b.ptr, b.len, &o, &err),
			 CW_OK);
	assert_null(check_invariants(without, b.ptr, b.len, false));
	assert_true(with->n > 3);
	assert_int_equal(without->n, with->n);
	for (size_t i = 0; i < with->n; i++) {
		const struct cw_provision *p = &with->items[i];
		const struct cw_provision *q = &without->items[i];
		assert_string_equal(q->key, p->key);
		assert_string_equal(q->title, p->title);
		assert_int_equal(q->level, p->level);
		assert_int_equal(q->parent, p->parent);
		assert_int_equal(q->start, p->start);
		assert_int_equal(q->end, p->end);
		assert_int_equal(q->body, p->body);
		assert_int_equal(strlen(p->hash), 64);
		assert_string_equal(q->hash, "");
	}
	cw_segment_free(with);
	cw_segment_free(without);
	cw_buf_release(&b);
}

static void test_segment__plain_text_scrape(void **state)
{
	struct cw_buf b = CW_BUF_INIT;
	struct cw_segmentation *s;
	(void)state;

	read_fixture(&b, "plain_scrape.txt");
	s = segment_ok(b.ptr, b.len, NULL);
	assert_int_equal(count_top(s), 4);
	expect(s, "1", "Using the Service", 1, NULL);
	expect(s, "1.a", "Minimum age", 2, "1");
	expect(s, "1.b", "Conduct", 2, "1");
	/* number and title on separate lines */
	expect(s, "2", "Billing", 1, NULL);
	expect(s, "2.late-fees", "Late fees", 2, "2");
	expect(s, "3", "Contact", 1, NULL);
	/* "1.5 million", "U.S." and "2024." are not headings */
	assert_int_equal(s->n, 7);
	cw_segment_free(s);
	cw_buf_release(&b);
}

/* ---- bad input ---- */

static void test_segment__bad_input(void **state)
{
	struct cw_segmentation *s = NULL;
	struct cw_err err = CW_ERR_INIT;
	(void)state;

	assert_int_equal(cw_segment_text(&s, NULL, 5, NULL, &err), CW_EINVAL);
	assert_null(s);
	assert_non_null(strstr(err.msg, "NULL"));
	s = segment_ok("", 0, NULL);
	assert_int_equal(s->n, 0);
	cw_segment_free(s);
	s = segment_ok(NULL, 0, NULL);
	assert_int_equal(s->n, 0);
	cw_segment_free(s);
	cw_segment_free(NULL);

	/* no newline at all */
	s = segment_ok("1. Scope", 8, NULL);
	expect(s, "1", "Scope", 1, NULL);
	cw_segment_free(s);
	s = segment_ok("\n\n\n", 3, NULL);
	assert_int_equal(s->n, 1);
	cw_segment_free(s);

	/* binary: NUL bytes, invalid UTF-8, stray markup */
	size_t n = 1u << 20;
	char *bin = cw_malloc(n);
	uint32_t x = 2463534242u;
	static const char alpha[] = "#*_1.a()\n\n IVX-=Section "
				    "\xC2\xA0\x00\xFF";
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		bin[i] = (x & 1) ? (char)(x >> 8)
				 : alpha[(x >> 8) % (sizeof(alpha) - 1)];
	}
	s = segment_ok(bin, n, NULL);
	cw_segment_free(s);

	/* a 1 MB single line, as heading and as text */
	memset(bin, 'a', n);
	memcpy(bin, "# ", 2);
	s = segment_ok(bin, n, NULL);
	assert_int_equal(s->n, 1);
	assert_true(strlen(s->items[0].title) <= 200);
	cw_segment_free(s);
	bin[0] = 'A';
	s = segment_ok(bin, n, NULL);
	assert_int_equal(s->n, 1);
	assert_string_equal(s->items[0].key, "preamble");
	cw_segment_free(s);
	free(bin);
}

static void test_segment__caps_on_provisions(void **state)
{
	struct cw_buf b = CW_BUF_INIT;
	struct cw_segment_opts small = { 100, 6, false },
			       flat = { 20000, 1, false };
	struct cw_segmentation *s;
	(void)state;

	/* 100,000 headings, two levels: "## Part n" and "1. Item" */
	for (int i = 0; i < 50000; i++)
		cw_buf_addf(&b, "## Part %d\n\n1. Item one\n\ntext\n\n", i);
	s = segment_ok(b.ptr, b.len, NULL);
	assert_true(s->n <= 20000);
	/* the deeper level went first: only parts are left */
	for (size_t i = 0; i < s->n; i++)
		assert_int_equal(s->items[i].level, 1);
	cw_segment_free(s);
	s = segment_ok(b.ptr, b.len, &small);
	assert_true(s->n <= 100);
	cw_segment_free(s);

	/* 100,000 identical headings: keys stay unique, fast */
	cw_buf_clear(&b);
	for (int i = 0; i < 100000; i++)
		cw_buf_adds(&b, "**Same.** Again and again.\n\n");
	s = segment_ok(b.ptr, b.len, NULL);
	assert_int_equal(s->n, 20000);
	assert_string_equal(s->items[1].key, "same~2");
	cw_segment_free(s);

	/* max_depth 1: nothing below the top level */
	cw_buf_clear(&b);
	cw_buf_adds(&b, "1. One\n\na. Sub\n\ntext\n\n2. Two\n\ntext\n");
	s = segment_ok(b.ptr, b.len, &flat);
	assert_int_equal(s->n, 2);
	assert_int_equal(cw_segment_find(s, "1.a"), -1);
	cw_segment_free(s);
	cw_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment__stability_seed),
		cmocka_unit_test(test_segment__markdown_numbered_sections),
		cmocka_unit_test(test_segment__markdown_unnumbered_headings),
		cmocka_unit_test(test_segment__keys_between_versions),
		cmocka_unit_test(test_segment__tiling_whole_corpus),
		cmocka_unit_test(test_segment__keys_stable_whole_corpus),
		cmocka_unit_test(test_segment__stated_date),
		cmocka_unit_test(test_segment__stated_date_forms),
		cmocka_unit_test(test_segment__keys_stable_across_insertions),
		cmocka_unit_test(test_segment__no_hashes),
		cmocka_unit_test(test_segment__plain_text_scrape),
		cmocka_unit_test(test_segment__bad_input),
		cmocka_unit_test(test_segment__caps_on_provisions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
