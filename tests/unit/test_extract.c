/*
 * Unit tests of the extract module (src/extract/extract.h).
 *
 * The key test is fidelity: every snapshot of $CW_SHARED/corpus/snapshots
 * is extracted with its declaration and compared word for word with the
 * Markdown Open Terms Archive recorded for it (expected.md).
 *
 * Word agreement of a document: both texts are split on whitespace into
 * words; L is the length of a longest common subsequence of the two word
 * sequences (computed exactly with Myers' O((N+M)D) algorithm, "An O(ND)
 * Difference Algorithm and Its Variations", Algorithmica 1986); agreement
 * = L / max(N, M). It is 1 only for identical word sequences, and it
 * penalises both missing and extra words. The aggregate figures weigh
 * documents by size: sum(L) / sum(max(N, M)), over all snapshots and over
 * those whose declaration uses no JavaScript filter.
 *
 * Set CW_EXTRACT_DUMP=DIR to write our text of each snapshot to DIR.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "decl/decl.h"
#include "extract/extract.h"
#include "extract/extract_int.h"
#include "helpers.h"

/* What the fidelity test requires of both aggregates. */
#define FIDELITY_MIN 0.99

/* ---- helpers ---- */

/* Extract `html` with a declaration given as JSON text of one terms entry. */
static int extract_html(struct cw_buf *out, const char *html, size_t len,
			const char *entry_json, struct cw_strv *warnings,
			struct cw_err *err)
{
	struct cw_decl_service *svc = NULL;
	const struct cw_decl_doc *doc = NULL;
	if (entry_json) {
		char *json = cw_asprintf("{\"name\":\"T\",\"terms\":{\"Terms "
					 "of Service\":%s}}",
					 entry_json);
		struct cw_err e2 = CW_ERR_INIT;
		int rc = cw_decl_read_buffer(&svc, "T.json", json, strlen(json),
					     NULL, &e2);
		free(json);
		if (rc)
			fail_msg("declaration did not parse: %s", e2.msg);
		doc = &svc->docs[0];
	}
	struct cw_extract_input in = { .data = html,
				       .len = len,
				       .url = "https://example.org/legal/terms",
				       .name = "test.html",
				       .kind = CW_EXTRACT_HTML };
	int rc = cw_extract_document(out, &in, 1, doc, warnings, NULL, err);
	cw_decl_service_free(svc);
	return rc;
}

/* ---- word agreement ---- */

static uint64_t hash_word(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t *words(const char *s, size_t *n)
{
	uint64_t *v = NULL;
	size_t cap = 0;
	*n = 0;
	for (size_t i = 0; s[i];) {
		while (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' ||
		       s[i] == '\r')
			i++;
		if (!s[i])
			break;
		size_t j = i;
		while (s[j] && s[j] != ' ' && s[j] != '\n' && s[j] != '\t' &&
		       s[j] != '\r')
			j++;
		CW_GROW(v, cap, *n + 1);
		v[(*n)++] = hash_word(s + i, j - i);
		i = j;
	}
	return v;
}

/* Length of a longest common subsequence, via Myers' shortest edit script
 * (LCS = (N + M - D) / 2). Returns -1 if D would exceed max_d. */
static long lcs(const uint64_t *a, long n, const uint64_t *b, long m,
		long max_d)
{
	long off = max_d + 1;
	long *v = cw_calloc((size_t)(2 * max_d + 3), sizeof(long));
	long result = -1;
	for (long d = 0; d <= max_d; d++) {
		for (long k = -d; k <= d; k += 2) {
			long x;
			if (k == -d ||
			    (k != d && v[off + k - 1] < v[off + k + 1]))
				x = v[off + k + 1];
			else
				x = v[off + k - 1] + 1;
			long y = x - k;
			while (x < n && y < m && a[x] == b[y]) {
				x++;
				y++;
			}
			v[off + k] = x;
			if (x >= n && y >= m) {
				result = (n + m - d) / 2;
				goto done;
			}
		}
	}
done:
	free(v);
	return result;
}

struct agreement {
	long ours, expected, common;
};

static struct agreement agree(const char *ours, const char *expected)
{
	size_t n, m;
	uint64_t *a = words(ours, &n);
	uint64_t *b = words(expected, &m);
	struct agreement r = { (long)n, (long)m, 0 };
	long d_cap = (long)(n + m);
	if (d_cap > 200000)
		d_cap = 200000;
	r.common = lcs(a, (long)n, b, (long)m, d_cap);
	if (r.common < 0)
		r.common = 0;
	free(a);
	free(b);
	return r;
}

/* ---- fidelity over the corpus ---- */

static bool uses_js_filter(const struct cw_decl_doc *doc)
{
	for (size_t i = 0; i < doc->n_sources; i++)
		for (size_t k = 0; k < doc->sources[i].n_filters; k++) {
			const char *f = doc->sources[i].filters[k].name;
			if (strcmp(f, "removeQueryParams") && strcmp(f, "conver"
									"tSpace"
									"sToSta"
									"ndar"
									"d"))
				return true;
		}
	return false;
}

/* Extract one snapshot directory; returns false if it is not one. */
static bool run_snapshot(const char *dir, const char *label,
			 struct agreement *res, bool *js, double *secs,
			 size_t *in_bytes, bool *identical)
{
	char *p = cw_asprintf("%s/declaration.json", dir);
	size_t dl = 0, ml = 0, el = 0;
	char *decl_json = cw_test_read(p, &dl);
	free(p);
	p = cw_asprintf("%s/meta.json", dir);
	char *meta_json = cw_test_read(p, &ml);
	free(p);
	p = cw_asprintf("%s/expected.md", dir);
	char *expected = cw_test_read(p, &el);
	free(p);
	if (!decl_json || !meta_json || !expected) {
		free(decl_json);
		free(meta_json);
		free(expected);
		return false;
	}

	struct cw_decl_service *svc = NULL;
	struct cw_err err = CW_ERR_INIT;
	int rc = cw_decl_read_buffer(&svc, label, decl_json, dl, NULL, &err);
	if (rc)
		fail_msg("%s: declaration: %s", label, err.msg);
	assert_true(svc->n_docs >= 1);
	const struct cw_decl_doc *doc = &svc->docs[0];
	*js = uses_js_filter(doc);

	json_error_t jerr;
	json_t *meta = json_loads(meta_json, 0, &jerr);
	assert_non_null(meta);
	json_t *files = json_object_get(meta, "files");
	size_t nf = json_array_size(files);
	assert_int_equal(nf, doc->n_sources);

	/* page i is the snapshot of decl->sources[i] (matched by URL) */
	struct cw_extract_input *pages = cw_calloc(nf, sizeof(*pages));
	char **datas = cw_calloc(nf, sizeof(char *));
	*in_bytes = 0;
	for (size_t i = 0; i < doc->n_sources; i++) {
		size_t pick = i;
		for (size_t k = 0; k < nf; k++) {
			const char *u = json_string_value(
				json_object_get(json_array_get(files, k), "ur"
									  "l"));
			if (u && !strcmp(u, doc->sources[i].fetch))
				pick = k;
		}
		json_t *f = json_array_get(files, pick);
		const char *file = json_string_value(json_object_get(f, "fil"
									"e"));
		char *fp = cw_asprintf("%s/%s", dir, file);
		size_t len = 0;
		datas[i] = cw_test_read(fp, &len);
		assert_non_null(datas[i]);
		pages[i] = (struct cw_extract_input){
			.data = datas[i],
			.len = len,
			.url = json_string_value(json_object_get(f, "url")),
			.name = label,
			.kind = CW_EXTRACT_AUTO
		};
		pages[i].name = fp;
		*in_bytes += len;
		(void)fp;
	}

	struct cw_buf out = CW_BUF_INIT;
	struct cw_strv warnings = CW_STRV_INIT;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = cw_extract_document(&out, pages, nf, doc, &warnings, NULL, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*secs = (double)(t1.tv_sec - t0.tv_sec) +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (rc)
		print_message("%s: extraction failed: %s\n", label, err.msg);

	const char *dump = getenv("CW_EXTRACT_DUMP");
	if (dump && *dump) {
		char *name = cw_strdup(label);
		for (char *c = name; *c; c++)
			if (*c == '/' || *c == ' ')
				*c = '_';
		char *op = cw_asprintf("%s/%s.md", dump, name);
		cw_file_write_atomic(op, cw_buf_str(&out), out.len, NULL);
		free(op);
		free(name);
	}
	*res = agree(cw_buf_str(&out), expected);
	/* byte for byte, but for the final newline OTA's files lack */
	*identical = out.len == el + 1 && !memcmp(out.ptr, expected, el);

	for (size_t i = 0; i < nf; i++) {
		free(datas[i]);
		free((char *)pages[i].name);
	}
	free(datas);
	free(pages);
	cw_buf_release(&out);
	cw_strv_release(&warnings);
	json_decref(meta);
	cw_decl_service_free(svc);
	free(decl_json);
	free(meta_json);
	free(expected);
	return true;
}

static void test_extract__fidelity_with_open_terms_archive(void **state)
{
	(void)state;
	char *root = cw_test_shared_folder("corpus/snapshots");
	if (!root)
		skip();
	/* service/type directories, sorted */
	struct cw_strv dirs = CW_STRV_INIT;
	assert_true(cw_test_list_docs(&dirs, root));

	const char *only = getenv("CW_EXTRACT_ONLY");
	long all_common = 0, all_max = 0, nojs_common = 0, nojs_max = 0;
	size_t docs = 0, nojs_docs = 0, bytes = 0, identical = 0;
	double secs = 0;
	print_message("%-52s %7s %7s %7s %8s\n", "snapshot", "ours", "expect",
		      "common", "agree");
	for (size_t i = 0; i < dirs.n; i++) {
		if (only && *only && !strstr(dirs.v[i], only))
			continue;
		char *dir = cw_asprintf("%s/%s", root, dirs.v[i]);
		struct agreement a;
		bool js;
		double s;
		size_t b;
		bool same;
		if (run_snapshot(dir, dirs.v[i], &a, &js, &s, &b, &same)) {
			identical += same;
			long mx = a.ours > a.expected ? a.ours : a.expected;
			print_message("%-52s %7ld %7ld %7ld %7.4f%s\n",
				      dirs.v[i], a.ours, a.expected, a.common,
				      mx ? (double)a.common / (double)mx : 1.0,
				      js ? " (JS filter)" : "");
			all_common += a.common;
			all_max += mx;
			docs++;
			if (!js) {
				nojs_common += a.common;
				nojs_max += mx;
				nojs_docs++;
			}
			secs += s;
			bytes += b;
		}
		free(dir);
	}
	cw_strv_release(&dirs);
	free(root);
	assert_true(docs > 0);
	double all = all_max ? (double)all_common / (double)all_max : 1.0;
	double nojs = nojs_max ? (double)nojs_common / (double)nojs_max : 1.0;
	print_message("word agreement, all %zu snapshots: %.4f\n", docs, all);
	print_message("word agreement, %zu snapshots without JavaScript "
		      "filter: %.4f\n",
		      nojs_docs, nojs);
	print_message("byte-identical to OTA's version: %zu of %zu\n",
		      identical, docs);
	print_message("extraction time: %.3f s for %.1f MB of HTML (%.1f "
		      "MB/s)\n",
		      secs, (double)bytes / 1e6,
		      secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
	if (!only || !*only) {
		assert_true(all >= FIDELITY_MIN);
		assert_true(nojs >= FIDELITY_MIN);
	}
}

/* ---- behaviour on small pages written here ---- */

static char *run(const char *html, const char *entry, int want_rc)
{
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	int rc = extract_html(&out, html, strlen(html), entry, NULL, &err);
	if (rc != want_rc)
		fail_msg("rc %d (%s), wanted %d", rc, err.msg, want_rc);
	return cw_buf_detach(&out, NULL);
}

static void assert_extracts(const char *html, const char *entry,
			    const char *want)
{
	char *got = run(html, entry, CW_OK);
	if (strcmp(got, want)) {
		print_message("got:\n%s\nwanted:\n%s\n", got, want);
		fail();
	}
	free(got);
}

static void test_extract__golden_page(void **state)
{
	(void)state;
	const char *dir = cw_test_tests_dir();
	char *p1 = cw_asprintf("%s/data/extract/terms.html", dir);
	char *p2 = cw_asprintf("%s/data/extract/terms.declaration.json", dir);
	char *p3 = cw_asprintf("%s/data/extract/terms.expected.md", dir);
	size_t hl, dl;
	char *html = cw_test_read(p1, &hl);
	char *decl = cw_test_read(p2, &dl);
	char *want = cw_test_read(p3, NULL);
	assert_non_null(html);
	assert_non_null(decl);
	assert_non_null(want);
	struct cw_decl_service *svc = NULL;
	struct cw_err err = CW_ERR_INIT;
	assert_int_equal(cw_decl_read_buffer(&svc, "Example.json", decl, dl,
					     NULL, &err),
			 CW_OK);
	struct cw_extract_input in = { .data = html,
				       .len = hl,
				       .url = svc->docs[0].sources[0].fetch,
				       .name = p1 };
	struct cw_buf out = CW_BUF_INIT;
	assert_int_equal(cw_extract_document(&out, &in, 1, &svc->docs[0], NULL,
					     NULL, &err),
			 CW_OK);
	assert_string_equal(cw_buf_str(&out), want);
	cw_buf_release(&out);
	cw_decl_service_free(svc);
	free(html);
	free(decl);
	free(want);
	free(p1);
	free(p2);
	free(p3);
}

static void test_extract__markdown_conventions(void **state)
{
	(void)state;
	/* headings: setext for 1-2, ATX beyond; underline as long as the text */
	assert_extracts("<h1>Title</h1><h2>Sub</h2><h4>Deep</h4>", NULL,
			"Title\n=====\n\nSub\n---\n\n#### Deep\n");
	/* lists: marker width indents continuation lines, nested lists */
	assert_extracts("<ol><li>a<ul><li>b</li></ul></li><li>c</li></ol>",
			NULL, "1.  a\n    *   b\n2.  c\n");
	/* emphasis, strong, whitespace inside inline elements moves out */
	assert_extracts("<p>x<em> y </em>z <strong>w</strong></p>", NULL,
			"x _y_ z **w**\n");
	/* escapes at line start and anywhere */
	assert_extracts("<p>- 2. a_b*c [d]</p><p>2. e</p>", NULL,
			"\\- 2. a\\_b\\*c \\[d\\]\n\n2\\. e\n");
	/* a table with a header row, and a cell spanning two columns */
	assert_extracts("<table><thead><tr><th>A</th><th>B</th></tr></thead>"
			"<tr><td colspan=2>wide</td></tr></table>",
			NULL, "| A   | B   |\n| --- | --- |\n| wide |     |\n");
	/* whitespace runs collapse, <br> is two spaces and a newline */
	assert_extracts("<p>a \n\t b<br>c</p>", NULL, "a b  \nc\n");
	/* block content inside a link stays on one line */
	assert_extracts("<a href=\"/x\"><div>Go</div></a>", NULL,
			"[Go](https://example.org/x)\n");
}

static void test_extract__select_order_and_remove(void **state)
{
	(void)state;
	const char *html = "<div id=a>A <span class=x>hidden</span></div>"
			   "<div id=b>B</div><p class=c>C</p>";
	/* each selector in declaration order, each match in document order */
	assert_extracts(html,
			"{\"fetch\":\"https://example.org/"
			"\",\"select\":[\".c\",\"div\"],"
			"\"remove\":[\".x\"]}",
			"C\n\nA\n\nB\n");
	/* a removed element is never selected */
	char *got = run(html,
			"{\"fetch\":\"https://example.org/\",\"select\":\"#b\","
			"\"remove\":\"div\"}",
			CW_EEMPTY);
	free(got);
}

static void test_extract__range_selectors(void **state)
{
	(void)state;
	const char *html = "<body><h1>T</h1><p id=s>start</p><p>middle</p>"
			   "<p id=e>end</p><p>after</p></body>";
	assert_extracts(html,
			"{\"fetch\":\"https://example.org/\",\"select\":{"
			"\"startBefore\":\"#s\",\"endAfter\":\"#e\"}}",
			"start\n\nmiddle\n\nend\n");
	assert_extracts(html,
			"{\"fetch\":\"https://example.org/\",\"select\":{"
			"\"startAfter\":\"#s\",\"endBefore\":\"#e\"}}",
			"middle\n");
	/* a range in `remove` deletes what lies between its ends */
	assert_extracts(html,
			"{\"fetch\":\"https://example.org/"
			"\",\"select\":\"body\","
			"\"remove\":[{\"startAfter\":\"h1\",\"endBefore\":\"#"
			"e\"}]}",
			"T\n=\n\nend\n\nafter\n");
	/* a range whose end lies deeper than its start */
	assert_extracts("<div><p id=s>one</p><section><p>two</p><p "
			"id=e>three</p>"
			"<p>four</p></section></div>",
			"{\"fetch\":\"https://example.org/\",\"select\":{"
			"\"startBefore\":\"#s\",\"endAfter\":\"#e\"}}",
			"one\n\ntwo\n\nthree\n");
}

static void test_extract__selector_without_match_fails(void **state)
{
	(void)state;
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	const char *html = "<main>text</main>";
	int rc = extract_html(&out, html, strlen(html),
			      "{\"fetch\":\"https://example.org/"
			      "\",\"select\":\".nowhere\"}",
			      NULL, &err);
	assert_int_equal(rc, CW_EEMPTY);
	assert_non_null(strstr(err.msg, ".nowhere"));
	assert_non_null(strstr(err.msg, "extraction failed"));
	assert_int_equal(out.len, 0);
	/* a range end that matches nothing names itself too */
	rc = extract_html(&out, html, strlen(html),
			  "{\"fetch\":\"https://example.org/"
			  "\",\"select\":{\"startBefore\":"
			  "\"main\",\"endAfter\":\"#gone\"}}",
			  NULL, &err);
	assert_int_equal(rc, CW_EEMPTY);
	assert_non_null(strstr(err.msg, "#gone"));
	/* an invalid selector is a parse error */
	rc = extract_html(&out, html, strlen(html),
			  "{\"fetch\":\"https://example.org/"
			  "\",\"select\":\"div[\"}",
			  NULL, &err);
	assert_int_equal(rc, CW_EPARSE);
	cw_buf_release(&out);
}

static void test_extract__links_and_filters(void **state)
{
	(void)state;
	const char *html = "<p><a href=\"a/../b?gclid=1&amp;q=x y\">l</a> "
			   "<a href=\"HTTPS://Example.ORG:443\">h</a> "
			   "<a href=\"mailto:x@example.org\">m</a> <a "
			   "href=\"#top\">t</a></p>";
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	struct cw_strv w = CW_STRV_INIT;
	int rc = extract_html(&out, html, strlen(html),
			      "{\"fetch\":\"https://example.org/legal/"
			      "terms\",\"select\":\"p\","
			      "\"filter\":[\"removeQueryParams\",\"cleanUrls\"]"
			      "}",
			      &w, &err);
	assert_int_equal(rc, CW_OK);
	assert_string_equal(cw_buf_str(&out), "[l](https://example.org/legal/"
					      "b?q=x+y) "
					      "[h](https://example.org/) "
					      "[m](mailto:x@example.org) "
					      "[t](#top)\n");
	/* the JavaScript filter is named in a warning, the built-in one is not */
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.v[0], "'cleanUrls'"));
	cw_strv_release(&w);
	/* serialised as a browser does: IDNA host, dot segments, encoding */
	assert_extracts("<a href=\"https://B\xC3\xBC"
			"cher.example/a/./b/../c d\">x</a> "
			"<a href=\"//other.org\">y</a> <a "
			"href=\"file:///etc/x\">z</a>",
			NULL,
			"[x](https://xn--bcher-kva.example/a/c%20d) "
			"[y](https://other.org/) "
			"[z](file:///etc/x)\n");
	cw_buf_release(&out);
}

static void test_extract__combine_joins_pages(void **state)
{
	(void)state;
	const char *json = "{\"name\":\"T\",\"terms\":{\"Privacy "
			   "Policy\":{\"select\":\"main\","
			   "\"combine\":[{\"fetch\":\"https://example.org/a\"},"
			   "{\"fetch\":\"https://example.org/b\"}]}}}";
	struct cw_decl_service *svc = NULL;
	struct cw_err err = CW_ERR_INIT;
	assert_int_equal(cw_decl_read_buffer(&svc, "T.json", json, strlen(json),
					     NULL, &err),
			 CW_OK);
	const char *a = "<main><p>first</p></main>", *b = "<main><p>second</"
							  "p></main>";
	struct cw_extract_input in[2] = {
		{ .data = a, .len = strlen(a), .url = "https://example.org/a" },
		{ .data = b, .len = strlen(b), .url = "https://example.org/b" },
	};
	struct cw_buf out = CW_BUF_INIT;
	assert_int_equal(cw_extract_document(&out, in, 2, &svc->docs[0], NULL,
					     NULL, &err),
			 CW_OK);
	assert_string_equal(cw_buf_str(&out), "first\n\n- - -\n\nsecond\n");
	/* the page count must match the sources */
	cw_buf_clear(&out);
	assert_int_equal(cw_extract_document(&out, in, 1, &svc->docs[0], NULL,
					     NULL, &err),
			 CW_EINVAL);
	cw_buf_release(&out);
	cw_decl_service_free(svc);
}

static void test_extract__charset(void **state)
{
	(void)state;
	/* windows-1252 declared in <meta>: 0xE9 is e-acute, 0x92 a quote */
	const char *html = "<meta charset=\"windows-1252\"><p>caf\xE9 l\x92"
			   "eau</p>";
	assert_extracts(html, NULL,
			"caf\xC3\xA9 l\xE2\x80\x99"
			"eau\n");
	/* the HTTP charset wins over <meta> */
	struct cw_extract_input in = { .data = html,
				       .len = strlen(html),
				       .charset = "iso-8859-15",
				       .kind = CW_EXTRACT_HTML };
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	assert_int_equal(cw_extract_document(&out, &in, 1, NULL, NULL, NULL,
					     &err),
			 CW_OK);
	assert_non_null(strstr(cw_buf_str(&out), "caf\xC3\xA9"));
	assert_null(strstr(cw_buf_str(&out), "\xE2\x80\x99"));
	cw_buf_release(&out);
}

/* What the page's text comes out as when served with `charset`. */
static char *decoded(const char *html, const char *charset, int *rc)
{
	struct cw_extract_input in = { .data = html,
				       .len = strlen(html),
				       .charset = charset,
				       .kind = CW_EXTRACT_HTML };
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;

	*rc = cw_extract_document(&out, &in, 1, NULL, NULL, NULL, &err);
	return cw_buf_detach(&out, NULL);
}

/*
 * Labels count only when the WHATWG Encoding Standard lists them: a
 * UTF-8 page served as UTF-32 or IBM037 (labels no browser honours)
 * reads as UTF-8, not as a page of U+FFFD; the standard's aliases work;
 * a byte order mark wins over the label; <meta> x-user-defined means
 * windows-1252; the replacement encoding is refused.
 */
static void test_extract__charset_labels(void **state)
{
	const char *utf8 = "<p>caf\xC3\xA9 \xE2\x80\x94 na\xC3\xAFve</p>";
	const char *want = "caf\xC3\xA9 \xE2\x80\x94 na\xC3\xAFve\n";
	char *t;
	int rc;
	(void)state;

	for (const char *const *l =
		     (const char *const[]){ "UTF-32", "IBM037", "utf-7",
					    "x-bogus", " utf8 ", NULL };
	     *l; l++) {
		t = decoded(utf8, *l, &rc);
		assert_int_equal(rc, CW_OK);
		assert_string_equal(t, want);
		free(t);
	}
	/* aliases of windows-1252 and of ISO-8859-2 */
	t = decoded("<p>l\x92"
		    "eau</p>",
		    "cp819", &rc);
	assert_string_equal(t, "l\xE2\x80\x99"
			       "eau\n");
	free(t);
	t = decoded("<p>\xB1</p>", "l2", &rc);
	assert_string_equal(t, "\xC4\x85\n"); /* a with ogonek */
	free(t);
	/* a UTF-8 byte order mark wins over a label */
	t = decoded("\xEF\xBB\xBF<p>caf\xC3\xA9</p>", "windows-1252", &rc);
	assert_string_equal(t, "caf\xC3\xA9\n");
	free(t);
	t = decoded("<meta charset=x-user-defined><p>l\x92"
		    "eau</p>",
		    NULL, &rc);
	assert_string_equal(t, "l\xE2\x80\x99"
			       "eau\n");
	free(t);
	t = decoded("<p>x</p>", "iso-2022-kr", &rc);
	assert_int_equal(rc, CW_EUNSUPPORTED);
	free(t);
}

/* ---- bad input ---- */

static int extract_bytes(struct cw_buf *out, const char *data, size_t len,
			 enum cw_extract_kind kind, struct cw_err *err)
{
	struct cw_extract_input in = {
		.data = data, .len = len, .name = "bad", .kind = kind
	};
	return cw_extract_document(out, &in, 1, NULL, NULL, NULL, err);
}

static void test_extract__bad_input(void **state)
{
	(void)state;
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;

	/* empty input: nothing to extract */
	assert_int_equal(extract_bytes(&out, "", 0, CW_EXTRACT_HTML, &err),
			 CW_EEMPTY);
	assert_int_equal(extract_bytes(&out, "", 0, CW_EXTRACT_TEXT, &err),
			 CW_EEMPTY);

	/* binary garbage (NUL bytes in it) as HTML: refused, nothing written
	 * (it used to extract to whatever text the bytes made) */
	size_t n = 1 << 16;
	char *g = cw_malloc(n);
	uint32_t x = 2463534242u; /* xorshift32 */
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		g[i] = (char)(x & 0xff);
	}
	int rc = extract_bytes(&out, g, n, CW_EXTRACT_HTML, &err);
	assert_int_equal(rc, CW_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "binary data (a NUL byte at offset"));
	assert_int_equal(out.len, 0);
	rc = extract_bytes(&out, g, n, CW_EXTRACT_AUTO, &err);
	assert_int_equal(rc, CW_EUNSUPPORTED);
	assert_int_equal(out.len, 0);
	/* the same bytes without their NULs: a result or "empty", valid
	 * UTF-8 either way */
	for (size_t i = 0; i < n; i++)
		g[i] = g[i] ? g[i] : ' ';
	rc = extract_bytes(&out, g, n, CW_EXTRACT_HTML, &err);
	assert_true(rc == CW_OK || rc == CW_EEMPTY);
	assert_true(cw_utf8_valid(out.ptr ? out.ptr : "", out.len));
	cw_buf_clear(&out);
	/* garbage that claims to be a PDF */
	memcpy(g, "%PDF-1.4\n", 9);
	assert_int_equal(extract_bytes(&out, g, n, CW_EXTRACT_AUTO, &err),
			 CW_EPARSE);
	free(g);

	/* invalid UTF-8 is repaired, never passed on */
	const char *bad = "<p>ok \xC3\x28 \xFF\xFE \xED\xA0\x80 end</p>";
	assert_int_equal(extract_bytes(&out, bad, strlen(bad), CW_EXTRACT_HTML,
				       &err),
			 CW_OK);
	assert_true(cw_utf8_valid(out.ptr, out.len));
	assert_non_null(strstr(out.ptr, "\xEF\xBF\xBD"));
	assert_non_null(strstr(out.ptr, "end"));
	cw_buf_clear(&out);
	cw_buf_release(&out);
}

static char *nested(size_t depth, const char *open, const char *close,
		    const char *mid)
{
	struct cw_buf b = CW_BUF_INIT;
	for (size_t i = 0; i < depth; i++)
		cw_buf_adds(&b, open);
	cw_buf_adds(&b, mid);
	for (size_t i = 0; i < depth; i++)
		cw_buf_adds(&b, close);
	return cw_buf_detach(&b, NULL);
}

static void test_extract__deep_nesting_is_bounded(void **state)
{
	(void)state;
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;

	/* 100,000 nested elements: refused before parsing, as too deep */
	char *h = nested(100000, "<div>", "</div>", "deep");
	assert_int_equal(extract_bytes(&out, h, strlen(h), CW_EXTRACT_HTML,
				       &err),
			 CW_ETOOBIG);
	assert_non_null(strstr(err.msg, "nested"));
	assert_int_equal(out.len, 0);
	free(h);
	/* unclosed inline elements nest as deep */
	h = nested(100000, "<b>", "", "deep");
	assert_int_equal(extract_bytes(&out, h, strlen(h), CW_EXTRACT_HTML,
				       &err),
			 CW_ETOOBIG);
	free(h);
	/* deeper than the rendering cap but parseable: the text is kept */
	h = nested(900, "<div>", "</div>", "deep text");
	assert_int_equal(extract_bytes(&out, h, strlen(h), CW_EXTRACT_HTML,
				       &err),
			 CW_OK);
	assert_string_equal(out.ptr, "deep text\n");
	cw_buf_clear(&out);
	free(h);
	/* many siblings that close properly are not "deep" */
	struct cw_buf wide = CW_BUF_INIT;
	for (int i = 0; i < 5000; i++)
		cw_buf_adds(&wide, "<div><p>x</p></div>");
	assert_int_equal(extract_bytes(&out, wide.ptr, wide.len,
				       CW_EXTRACT_HTML, &err),
			 CW_OK);
	cw_buf_release(&wide);
	cw_buf_release(&out);
}

static void test_extract__size_caps(void **state)
{
	(void)state;
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;

	/* a 200 MB page is over the 64 MiB input cap: refused at once */
	size_t n = 200u << 20;
	char *big = cw_malloc(n);
	memset(big, 'a', n);
	memcpy(big, "<p>", 3);
	assert_int_equal(extract_bytes(&out, big, n, CW_EXTRACT_HTML, &err),
			 CW_ETOOBIG);
	assert_int_equal(out.len, 0);
	free(big);

	/* the output cap: a small one is hit, and nothing partial is left */
	struct cw_buf page = CW_BUF_INIT;
	for (int i = 0; i < 2000; i++)
		cw_buf_adds(&page, "<p>some words of a clause</p>");
	struct cw_extract_opts o = CW_EXTRACT_OPTS_INIT;
	o.max_output = 4096;
	struct cw_extract_input in = { .data = page.ptr,
				       .len = page.len,
				       .kind = CW_EXTRACT_HTML };
	assert_int_equal(cw_extract_document(&out, &in, 1, NULL, NULL, &o,
					     &err),
			 CW_ETOOBIG);
	assert_int_equal(out.len, 0);
	o.max_input = 1024;
	o.max_output = 0;
	assert_int_equal(cw_extract_document(&out, &in, 1, NULL, NULL, &o,
					     &err),
			 CW_ETOOBIG);
	cw_buf_release(&page);
	cw_buf_release(&out);
}

/* ---- PDF ---- */

/* A PDF of one page per content stream, with exact xref offsets. */
static char *make_pdf_streams(const char *const *streams, size_t n, size_t *len)
{
	struct cw_buf b = CW_BUF_INIT;
	/* 0 free, 1 catalog, 2 pages, 3 font, then a page and its content each */
	size_t nobj = 4 + 2 * n;
	size_t *offs = cw_calloc(nobj, sizeof(size_t));
	cw_buf_adds(&b, "%PDF-1.4\n");
	offs[1] = b.len;
	cw_buf_adds(&b, "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
	offs[2] = b.len;
	cw_buf_adds(&b, "2 0 obj << /Type /Pages /Kids [");
	for (size_t i = 0; i < n; i++)
		cw_buf_addf(&b, "%zu 0 R ", 4 + 2 * i);
	cw_buf_addf(&b, "] /Count %zu >> endobj\n", n);
	offs[3] = b.len;
	cw_buf_adds(&b, "3 0 obj << /Type /Font /Subtype /Type1 /BaseFont "
			"/Helvetica >> endobj\n");
	for (size_t i = 0; i < n; i++) {
		const char *stream = streams[i];
		offs[4 + 2 * i] = b.len;
		cw_buf_addf(&b,
			    "%zu 0 obj << /Type /Page /Parent 2 0 R /MediaBox "
			    "[0 0 612 792] "
			    "/Resources << /Font << /F1 3 0 R >> >> /Contents "
			    "%zu 0 R >> endobj\n",
			    4 + 2 * i, 5 + 2 * i);
		offs[5 + 2 * i] = b.len;
		cw_buf_addf(&b,
			    "%zu 0 obj << /Length %zu >> stream\n%s\nendstream "
			    "endobj\n",
			    5 + 2 * i, strlen(stream), stream);
	}
	size_t xref = b.len;
	cw_buf_addf(&b, "xref\n0 %zu\n0000000000 65535 f \n", nobj);
	for (size_t i = 1; i < nobj; i++)
		cw_buf_addf(&b, "%010zu 00000 n \n", offs[i]);
	cw_buf_addf(&b,
		    "trailer << /Size %zu /Root 1 0 R "
		    ">>\nstartxref\n%zu\n%%%%EOF\n",
		    nobj, xref);
	free(offs);
	return cw_buf_detach(&b, len);
}

/* A PDF of one page per string. */
static char *make_pdf(const char *const *texts, size_t n, size_t *len)
{
	char **streams = cw_calloc(n, sizeof(*streams));
	char *pdf;

	for (size_t i = 0; i < n; i++)
		streams[i] = cw_asprintf("BT /F1 18 Tf 72 700 Td (%s) Tj ET",
					 texts[i]);
	pdf = make_pdf_streams((const char *const *)streams, n, len);
	for (size_t i = 0; i < n; i++)
		free(streams[i]);
	free(streams);
	return pdf;
}

/*
 * The hostile PDF of tests/tools/make_pdf.py --overlap 32000 --plain: one
 * page on which three texts are drawn 32,000 times at one place. poppler
 * takes about 25 s and 320 MiB on it (two cores).
 */
static char *make_hostile_pdf(size_t *len)
{
	struct cw_buf s = CW_BUF_INIT;
	const char *stream;
	char *pdf;

	for (int i = 0; i < 32000; i++)
		cw_buf_addf(&s,
			    "BT /F1 12 Tf 72 700 Td (Overlapping terms of "
			    "service %d) Tj ET\n",
			    i % 3);
	stream = cw_buf_str(&s);
	pdf = make_pdf_streams(&stream, 1, len);
	cw_buf_release(&s);
	return pdf;
}

static void test_extract__pdf_text(void **state)
{
	(void)state;
	const char *texts[] = { "Terms of Service page one", "Section 2 on "
							     "page two" };
	size_t len;
	char *pdf = make_pdf(texts, 2, &len);
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	struct cw_extract_input in = { .data = pdf,
				       .len = len,
				       .name = "terms.pdf" };
	assert_int_equal(cw_extract_sniff(&in), CW_EXTRACT_PDF);
	assert_int_equal(cw_extract_document(&out, &in, 1, NULL, NULL, NULL,
					     &err),
			 CW_OK);
	assert_string_equal(out.ptr, "Terms of Service page one\n\nSection 2 "
				     "on page two\n");
	cw_buf_clear(&out);
	/* truncated: unreadable, a parse error naming the file */
	in.len = len / 3;
	assert_int_equal(cw_extract_document(&out, &in, 1, NULL, NULL, NULL,
					     &err),
			 CW_EPARSE);
	assert_non_null(strstr(err.msg, "terms.pdf"));
	assert_int_equal(out.len, 0);
	cw_buf_release(&out);
	free(pdf);
}

/* The same text in this process and from the helper process; the helper
 * keeps to the output cap and names the file in its failures. */
static void test_extract__pdf_in_process_and_helper(void **state)
{
	(void)state;
	const char *texts[] = { "Acceptable Use", "(c) Section 3" };
	size_t len;
	char *pdf = make_pdf(texts, 2, &len);
	struct cw_extract_opts o = CW_EXTRACT_OPTS_INIT;
	struct cw_buf a = CW_BUF_INIT, b = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	struct cw_extract_input in = { .data = pdf,
				       .len = len,
				       .name = "aup.pdf" };

	assert_int_equal(cw_extract_document(&a, &in, 1, NULL, NULL, &o, &err),
			 CW_OK);
	o.pdf_in_process = cw_extract_pdf_reader;
	assert_int_equal(cw_extract_document(&b, &in, 1, NULL, NULL, &o, &err),
			 CW_OK);
	assert_string_equal(a.ptr, "Acceptable Use\n\n(c) Section 3\n");
	assert_string_equal(a.ptr, b.ptr);
	cw_buf_clear(&a);
	/* the text's cap holds in the helper too */
	o.pdf_in_process = NULL;
	o.max_output = 8;
	assert_int_equal(cw_extract_document(&a, &in, 1, NULL, NULL, &o, &err),
			 CW_ETOOBIG);
	assert_string_equal(err.msg, "'aup.pdf': text longer than 8 bytes");
	assert_int_equal(a.len, 0);
	/* not a PDF at all: poppler's reason, from the helper */
	o.max_output = 0;
	in.data = "%PDF-1.4\nnothing else";
	in.len = strlen(in.data);
	assert_int_equal(cw_extract_document(&a, &in, 1, NULL, NULL, &o, &err),
			 CW_EPARSE);
	assert_true(cw_str_startswith(err.msg, "'aup.pdf': unreadable PDF: "));
	cw_buf_release(&a);
	cw_buf_release(&b);
	free(pdf);
}

/*
 * A hostile PDF (poppler needs about 25 s and 320 MiB for it) stops at
 * its limits with its cause: the wall-clock deadline, and the address
 * space. The only time asserted is a generous bound on the limited run.
 */
static void test_extract__pdf_limits(void **state)
{
	(void)state;
	struct cw_extract_opts o = CW_EXTRACT_OPTS_INIT;
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	size_t len;
	char *pdf = make_hostile_pdf(&len);
	struct cw_extract_input in = { .data = pdf,
				       .len = len,
				       .name = "hostile.pdf" };
	long t0;

	o.pdf_timeout_ms = 1500;
	t0 = cw_time_mono_ms();
	assert_int_equal(cw_extract_document(&out, &in, 1, NULL, NULL, &o,
					     &err),
			 CW_ETIMEOUT);
	assert_true(cw_time_mono_ms() - t0 < 15000);
	assert_string_equal(err.msg, "'hostile.pdf': PDF extraction took "
				     "longer than 1.5 s");
	assert_int_equal(out.len, 0);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	/* (a sanitizer's shadow memory leaves no address space to limit) */
	o.pdf_timeout_ms = 120000;
	o.pdf_memory_mb = 200;
	assert_int_equal(cw_extract_document(&out, &in, 1, NULL, NULL, &o,
					     &err),
			 CW_ETOOBIG);
	assert_string_equal(err.msg, "'hostile.pdf': PDF extraction used more "
				     "than 200 MiB");
	assert_int_equal(out.len, 0);
#endif
	cw_buf_release(&out);
	free(pdf);
}

/* The helper's answer as its caller reads it. */
static void test_extract__pdf_answer(void **state)
{
	(void)state;
	struct cw_buf out = CW_BUF_INIT_MAX(16);
	struct cw_err err = CW_ERR_INIT;
#define ANSWER(s) cw_extract_pdf_answer(&out, s, sizeof(s) - 1, &err)

	assert_int_equal(ANSWER("CWPDF1 0 5\nTerms"), CW_OK);
	assert_string_equal(out.ptr, "Terms");
	cw_buf_clear(&out);
	assert_int_equal(ANSWER("CWPDF1 -6 11\nunreadable!"), CW_EPARSE);
	assert_string_equal(err.msg, "unreadable!");
	/* a code the helper never sends is read as a parse error */
	assert_int_equal(ANSWER("CWPDF1 -11 2\nno"), CW_EPARSE);
	assert_int_equal(ANSWER("CWPDF1 0 17\n12345678901234567"), CW_ETOOBIG);
	assert_int_equal(out.len, 0);
	assert_int_equal(ANSWER("CWPDF1 0 6\nTerms"), CW_EIO);
	assert_non_null(strstr(err.msg, "truncated"));
	assert_int_equal(ANSWER("CWPDF1 0 4\nTerms"), CW_EIO);
	assert_int_equal(ANSWER("CWPDF1 0 x\n"), CW_EIO);
	assert_int_equal(ANSWER("CWPDF1 0\n"), CW_EIO);
	assert_int_equal(ANSWER("CWPDF1 -6 0\n"), CW_EPARSE);
	assert_non_null(strstr(err.msg, "without a reason"));
	/* a program that is not the helper printed something else */
	assert_int_equal(ANSWER("[==========] Running 17 test(s).\n"), CW_EIO);
	assert_non_null(strstr(err.msg, "no answer"));
	assert_int_equal(ANSWER(""), CW_EIO);
	assert_int_equal(out.len, 0);
#undef ANSWER
	cw_buf_release(&out);
}

/* ---- text, Markdown, sniffing ---- */

static void test_extract__normalize(void **state)
{
	(void)state;
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	const char *in = "\n\n  \r\n# Title  \r\n\r\n\r\n\r\nText\twith "
			 "tab\t\rline\n\n\n";
	assert_int_equal(cw_extract_normalize(&out, in, strlen(in), &err),
			 CW_OK);
	assert_string_equal(out.ptr, "# Title\n\nText\twith tab\nline\n");
	cw_buf_clear(&out);
	const char *bad = "a\xFF"
			  "b\0c";
	assert_int_equal(cw_extract_normalize(&out, bad, 5, &err), CW_OK);
	assert_string_equal(out.ptr, "a\xEF\xBF\xBD"
				     "bc\n");
	cw_buf_release(&out);
}

static void test_extract__sniff(void **state)
{
	(void)state;
	struct cw_extract_input in = { .data = "<!doctype html><p>x",
				       .len = 19 };
	assert_int_equal(cw_extract_sniff(&in), CW_EXTRACT_HTML);
	in.content_type = "application/pdf";
	assert_int_equal(cw_extract_sniff(&in), CW_EXTRACT_PDF);
	in.content_type = "text/markdown; charset=utf-8";
	assert_int_equal(cw_extract_sniff(&in), CW_EXTRACT_MARKDOWN);
	in.content_type = NULL;
	in.data = "# Terms\n\nSome text";
	in.len = strlen(in.data);
	in.name = "terms.md";
	assert_int_equal(cw_extract_sniff(&in), CW_EXTRACT_MARKDOWN);
	in.name = NULL;
	assert_int_equal(cw_extract_sniff(&in), CW_EXTRACT_TEXT);
	in.kind = CW_EXTRACT_HTML;
	assert_int_equal(cw_extract_sniff(&in), CW_EXTRACT_HTML);
}

/* Every real snapshot page also extracts without a declaration. */
static void test_extract__whole_body_of_real_pages(void **state)
{
	(void)state;
	char *path = cw_test_shared_folder("corpus/snapshots/DeepSeek/Terms of "
					   "Service");
	if (!path)
		skip();
	DIR *d = opendir(path);
	struct dirent *e;
	size_t pages = 0;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "source", 6))
			continue;
		char *f = cw_asprintf("%s/%s", path, e->d_name);
		size_t len;
		char *html = cw_test_read(f, &len);
		struct cw_extract_input in = { .data = html,
					       .len = len,
					       .name = f };
		struct cw_buf out = CW_BUF_INIT;
		struct cw_err err = CW_ERR_INIT;
		assert_int_equal(cw_extract_document(&out, &in, 1, NULL, NULL,
						     NULL, &err),
				 CW_OK);
		/* the whole body holds at least what the declaration selects */
		assert_non_null(strstr(out.ptr, "DeepSeek Terms of Use"));
		cw_buf_release(&out);
		free(html);
		free(f);
		pages++;
	}
	closedir(d);
	free(path);
	assert_true(pages > 0);
}

/* ---- JavaScript filters (docs/filters.md), on real declarations ---- */

/* The contrib collection's declaration `name`.json, read with its filters
 * files; NULL (the test skips, saying why) without ../shared or jsdom. */
static struct cw_decl_service *filters_service(const char *name)
{
	char why[256];
	char *dir = cw_test_shared_folder("ota/contrib-declarations");
	struct cw_decl_service *svc = NULL;
	struct cw_err err = CW_ERR_INIT;

	if (!dir) {
		print_message("skipped: ota/contrib-declarations not found in "
			      "the shared folder\n");
		return NULL;
	}
	if (!cw_extract_filters_available(NULL, why, sizeof(why))) {
		print_message("skipped: JavaScript filters cannot run: %s "
			      "(scripts/install-deps --filters)\n",
			      why);
		free(dir);
		return NULL;
	}
	char *path = cw_asprintf("%s/%s.json", dir, name);
	if (cw_decl_read_file(&svc, path, NULL, &err))
		fail_msg("%s: %s", path, err.msg);
	free(path);
	free(dir);
	return svc;
}

static int extract_with(struct cw_buf *out, const char *html,
			const struct cw_decl_doc *doc, time_t at,
			const struct cw_extract_opts *o, struct cw_err *err)
{
	struct cw_extract_input in = { .data = html,
				       .len = strlen(html),
				       .url = doc->sources[0].fetch,
				       .name = "page.html",
				       .kind = CW_EXTRACT_HTML,
				       .fetched_at = at };
	struct cw_strv w = CW_STRV_INIT;
	int rc;

	cw_buf_clear(out);
	rc = cw_extract_document(out, &in, 1, doc, &w, o, err);
	for (size_t i = 0; i < w.n; i++)
		print_message("warning: %s\n", w.v[i]);
	cw_strv_release(&w);
	return rc;
}

/* Bing's four filters: the modules of other services removed, navigation
 * headers, module names and hidden text gone; the rest kept. */
static void test_extract__js_filters_remove_what_they_target(void **state)
{
	static const char page[] =
		"<html><body><h1>Privacy</h1><div class=\"div_content\">"
		"<div class=\"divModuleDescription\"><span id=\"moduleName\">"
		"mainteamsmodule</span><p>Teams text</p></div>"
		"<div class=\"divModuleDescription\"><span id=\"moduleName\">"
		"mainbingmodule</span><p>Bing text</p>"
		"<div class=\"navigationHeader\">Jump to</div>"
		"<p class=\"displayNone\">Hidden text</p></div>"
		"</div></body></html>";
	struct cw_decl_service *svc = filters_service("Bing");
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	(void)state;

	if (!svc)
		skip();
	const struct cw_decl_doc *doc = cw_decl_find(svc, "Privacy Policy");
	assert_non_null(doc);
	assert_non_null(doc->js.code);
	if (extract_with(&out, page, doc, 0, NULL, &err))
		fail_msg("%s", err.msg);
	const char *t = cw_buf_str(&out);
	assert_non_null(strstr(t, "Bing text"));
	assert_null(strstr(t, "Teams text"));
	assert_null(strstr(t, "mainbingmodule"));
	assert_null(strstr(t, "Jump to"));
	assert_null(strstr(t, "Hidden text"));

	/* the same page through the store's declaration JSON: the filter
	 * code rides with it */
	struct cw_buf j = CW_BUF_INIT, again = CW_BUF_INIT;
	struct cw_decl_service *back = NULL;
	assert_int_equal(cw_decl_doc_to_json(&j, doc), CW_OK);
	assert_int_equal(cw_decl_doc_from_json(&back, svc->id, doc->type,
					       cw_buf_str(&j), &err),
			 CW_OK);
	assert_non_null(back->docs[0].js.code);
	if (extract_with(&again, page, &back->docs[0], 0, NULL, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(cw_buf_str(&again), t);
	cw_decl_service_free(back);
	cw_buf_release(&j);
	cw_buf_release(&again);
	cw_buf_release(&out);
	cw_decl_service_free(svc);
}

/* Zoom rewrites its links (amp_device_id dropped, as its regular
 * expression does: the '?' goes too); Gmail's filters are Google's,
 * re-exported, and run with the built-in removeQueryParams in order. */
static void test_extract__js_filters_rewrite_links(void **state)
{
	static const char zoom[] = "<main><p>See <a "
				   "href=\"/privacy?amp_device_id=abc&x=1\">"
				   "privacy</a>.</p></main>";
	static const char gmail[] = "<div role=\"article\"><p><a "
				    "href=\"/t?utm_source=a&k=1\">"
				    "terms</a></p><p><a "
				    "data-name=\"country-version\" href=\"/c\">"
				    "country</a></p></div>";
	struct cw_decl_service *svc = filters_service("Zoom");
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	(void)state;

	if (!svc)
		skip();
	if (extract_with(&out, zoom, cw_decl_find(svc, "Terms of Service"), 0,
			 NULL, &err))
		fail_msg("%s", err.msg);
	assert_non_null(strstr(cw_buf_str(&out), "(https://zoom.us/"
						 "privacyx=1)"));
	cw_decl_service_free(svc);

	svc = filters_service("Gmail");
	const struct cw_decl_doc *doc = cw_decl_find(svc, "Terms of Service");
	assert_int_equal(doc->js.dep_names.n, 1);
	assert_string_equal(doc->js.dep_names.v[0], "Google.filters.js");
	if (extract_with(&out, gmail, doc, 0, NULL, &err))
		fail_msg("%s", err.msg);
	assert_non_null(strstr(cw_buf_str(&out), "(https://policies.google.com/"
						 "t?k=1)"));
	/* removeCountryVersion: the country link's paragraph removed */
	assert_null(strstr(cw_buf_str(&out), "country"));
	cw_buf_release(&out);
	cw_decl_service_free(svc);
}

/* Instagram's cleanUrls lives only in its .filters.history.js: applied
 * to a snapshot of 2021 (the redirect undone); for one of today there is
 * no such filter any more (a warning), and the link stays. */
/* Empty a selector (its strings freed), to be set again by the test. */
static void selector_clear(struct cw_decl_selector *s)
{
	free(s->css);
	free(s->start_before);
	free(s->start_after);
	free(s->end_before);
	free(s->end_after);
	memset(s, 0, sizeof(*s));
}

static void test_extract__js_filters_history_by_date(void **state)
{
	static const char page[] = "<div><p><a "
				   "href=\"https://l.facebook.com/"
				   "l.php?u=https%3A%2F%2F"
				   "example.com%2Fa&h=AT0\">out</a></p></div>";
	struct cw_decl_service *svc = filters_service("Instagram");
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	struct cw_decl_doc *doc = NULL;
	(void)state;

	if (!svc)
		skip();
	for (size_t i = 0; i < svc->n_history + svc->n_docs && !doc; i++) {
		struct cw_decl_doc *d =
			i < svc->n_history ? &svc->history[i]
					   : &svc->docs[i - svc->n_history];
		for (size_t k = 0; k < d->sources[0].n_filters; k++)
			if (!strcmp(d->sources[0].filters[k].name, "cleanUrls"))
				doc = d;
	}
	if (!doc) {
		print_message("skipped: no Instagram document uses "
			      "cleanUrls\n");
		cw_decl_service_free(svc);
		skip();
	}
	assert_non_null(doc->js.history);
	/* a page of one <div>: select it whatever the declaration says */
	for (size_t k = 0; k < doc->sources[0].n_select; k++)
		selector_clear(&doc->sources[0].select[k]);
	for (size_t k = 0; k < doc->sources[0].n_remove; k++)
		selector_clear(&doc->sources[0].remove[k]);
	doc->sources[0].select[0].css = cw_strdup("div");
	doc->sources[0].n_select = 1;
	doc->sources[0].n_remove = 0;
	if (extract_with(&out, page, doc, 1609459200 /* 2021-01-01 */, NULL,
			 &err))
		fail_msg("%s", err.msg);
	assert_non_null(strstr(cw_buf_str(&out), "(https://example.com/a)"));
	if (extract_with(&out, page, doc, 0, NULL, &err))
		fail_msg("%s", err.msg);
	assert_non_null(strstr(cw_buf_str(&out), "l.facebook.com"));
	cw_buf_release(&out);
	cw_decl_service_free(svc);
}

/* A filter that throws fails the extraction naming the filters file, the
 * filter and the reason (Bing's ToS filter on a module without a name). */
static void test_extract__js_filter_failure_is_named(void **state)
{
	static const char page[] = "<main><div class=\"divModuleDescription\">"
				   "<p>x</p></div></main>";
	struct cw_decl_service *svc = filters_service("Bing");
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	(void)state;

	if (!svc)
		skip();
	assert_int_equal(extract_with(&out, page,
				      cw_decl_find(svc, "Terms of Service"), 0,
				      NULL, &err),
			 CW_EINVAL);
	assert_non_null(strstr(err.msg, "'Bing.filters.js'"));
	assert_non_null(strstr(err.msg, "filter "
					"'removeIrrelevantModulesFromTos' "
					"failed: TypeError"));
	assert_int_equal(out.len, 0);
	cw_buf_release(&out);
	cw_decl_service_free(svc);
}

/* A filter that never ends is stopped at its deadline; without node the
 * filters are skipped with a warning that says how to install them. */
static void test_extract__js_filter_limits(void **state)
{
	static const char decl[] = "{\"name\":\"Spin\",\"terms\":{\"Terms of "
				   "Service\":{"
				   "\"fetch\":\"https://example.com/"
				   "t\",\"select\":\"main\","
				   "\"filter\":[\"spin\"]}}}";
	static const char page[] = "<main><p>text</p></main>";
	struct cw_decl_service *svc = filters_service("Bing"); /* the skip */
	struct cw_extract_opts o = CW_EXTRACT_OPTS_INIT;
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	char dir[] = "/tmp/cw-test-filters-XXXXXX";
	(void)state;

	if (!svc)
		skip();
	cw_decl_service_free(svc);
	assert_non_null(mkdtemp(dir));
	char *jp = cw_asprintf("%s/Spin.json", dir);
	char *fp = cw_asprintf("%s/Spin.filters.js", dir);
	FILE *f = fopen(jp, "w");
	assert_non_null(f);
	fputs(decl, f);
	assert_int_equal(fclose(f), 0);
	f = fopen(fp, "w");
	assert_non_null(f);
	fputs("export function spin() { for (;;) {} }\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(cw_decl_read_file(&svc, jp, NULL, &err), CW_OK);

	o.filters_timeout_ms = 3000;
	assert_int_equal(extract_with(&out, page, &svc->docs[0], 0, &o, &err),
			 CW_ETIMEOUT);
	assert_non_null(strstr(err.msg, "took longer than 3 s"));

	struct cw_extract_input in = { .data = page,
				       .len = strlen(page),
				       .kind = CW_EXTRACT_HTML };
	struct cw_strv w = CW_STRV_INIT;
	o.node = "/nonexistent/node";
	assert_int_equal(cw_extract_document(&out, &in, 1, &svc->docs[0], &w,
					     &o, &err),
			 CW_OK);
	assert_string_equal(cw_buf_str(&out), "text\n");
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.v[0], "scripts/install-deps --filters"));
	cw_strv_release(&w);
	unlink(jp);
	unlink(fp);
	rmdir(dir);
	free(jp);
	free(fp);
	cw_buf_release(&out);
	cw_decl_service_free(svc);
}

/* Two copies of one block, differing only in whitespace, are one text:
 * the first copy is kept, the rest of the buffer untouched. */
static void test_extract__undouble_keeps_one_copy(void **state)
{
	struct cw_buf b = CW_BUF_INIT;
	char block[600];
	(void)state;
	/* a block of 300 characters and more */
	snprintf(block, sizeof(block), "%s",
		 "Terms\n=====\n\n1. Fees\n\nFees are charged monthly in "
		 "advance and may change with 30 days' notice to you by "
		 "email.\n\n2. Termination\n\nYou may cancel at any time; we "
		 "may suspend an account that breaks these terms, after "
		 "notice, unless the law requires otherwise. Our liability "
		 "is limited to the fees you paid in the last twelve months.");
	cw_buf_adds(&b, "HEAD:");
	cw_buf_addf(&b, "%s\n\n%s\n", block, block);
	assert_int_equal(cw_extract_undouble(&b, 5), 2);
	assert_int_equal(b.len, 5 + strlen(block) + 1);
	assert_memory_equal(b.ptr + 5, block, strlen(block));
	assert_string_equal(b.ptr + b.len - 1, "\n");
	/* the second copy wrapped differently, three copies */
	cw_buf_clear(&b);
	cw_buf_addf(&b, "%s\n%s\n\n%s", block, block, block);
	for (size_t i = strlen(block) + 1; i < b.len; i++)
		if (b.ptr[i] == ' ' && i % 7 == 0)
			b.ptr[i] = '\n';
	assert_int_equal(cw_extract_undouble(&b, 0), 3);
	assert_int_equal(b.len, strlen(block) + 1);
	/* not a repeat: one word differs; untouched */
	cw_buf_clear(&b);
	cw_buf_addf(&b, "%s\n\n%s\n", block, block);
	b.ptr[b.len - 10] = 'X';
	size_t len = b.len;
	assert_int_equal(cw_extract_undouble(&b, 0), 1);
	assert_int_equal(b.len, len);
	/* a short line said twice is not a document said twice */
	cw_buf_clear(&b);
	cw_buf_adds(&b, "Reload page\n\nReload page\n");
	assert_int_equal(cw_extract_undouble(&b, 0), 1);
	cw_buf_release(&b);
}

/* Amazon Prime's Terms of Service of 2026-08-15 in the corpus is its
 * text twice: extracted once, as long as one copy. */
static void test_extract__doubled_page_of_the_corpus(void **state)
{
	struct cw_buf raw = CW_BUF_INIT, out = CW_BUF_INIT_MAX(16u << 20);
	struct cw_strv warnings = CW_STRV_INIT;
	struct cw_err err = CW_ERR_INIT;
	struct cw_extract_input in;
	(void)state;
	if (cw_test_read_version(&raw, "Amazon Prime/Terms of Service",
				 "2026-08-15.md", 16u << 20))
		skip();
	memset(&in, 0, sizeof(in));
	in.data = raw.ptr;
	in.len = raw.len;
	in.name = "2026-08-15.md";
	assert_int_equal(cw_extract_document(&out, &in, 1, NULL, &warnings,
					     NULL, &err),
			 CW_OK);
	assert_true(out.len > raw.len / 2 - 100 && out.len < raw.len / 2 + 100);
	/* the provision that came twice is there once */
	const char *lim = strstr(out.ptr, "\nLimitation of Liability\n");
	assert_non_null(lim);
	assert_null(strstr(lim + 1, "\nLimitation of Liability\n"));
	assert_int_equal(warnings.n, 1);
	assert_non_null(strstr(warnings.v[0], "2026-08-15.md': the text is "
					      "there 2 times over"));
	cw_strv_release(&warnings);
	cw_buf_release(&out);
	cw_buf_release(&raw);
}

/* Binary data is refused naming the input and the offset; invalid UTF-8
 * in a text is repaired with a warning that says where. */
static void test_extract__binary_refused_invalid_utf8_reported(void **state)
{
	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
	struct cw_strv warnings = CW_STRV_INIT;
	struct cw_err err = CW_ERR_INIT;
	struct cw_buf out = CW_BUF_INIT_MAX(1u << 20);
	struct cw_extract_input in;
	(void)state;
	memset(&in, 0, sizeof(in));
	in.data = png;
	in.len = sizeof(png) - 1;
	in.name = "logo.md";
	assert_int_equal(cw_extract_document(&out, &in, 1, NULL, &warnings,
					     NULL, &err),
			 CW_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "'logo.md': binary data (a NUL byte "
					"at offset 8)"));
	assert_int_equal(out.len, 0);
	/* mostly not UTF-8: not text */
	char noise[400];
	for (size_t i = 0; i < sizeof(noise); i++)
		noise[i] = (char)(0x80 + i % 64);
	assert_int_equal(cw_extract_check_bytes(noise, sizeof(noise), "n.md",
						true, &warnings, &err),
			 CW_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "'n.md': not UTF-8 text"));
	/* a Latin-1 letter in a UTF-8 text: repaired, and said where */
	static const char latin[] = "Fees \xe9re charged monthly.\n";
	in.data = latin;
	in.len = sizeof(latin) - 1;
	in.name = "fees.md";
	err = (struct cw_err)CW_ERR_INIT;
	assert_int_equal(cw_extract_document(&out, &in, 1, NULL, &warnings,
					     NULL, &err),
			 CW_OK);
	assert_int_equal(warnings.n, 1);
	assert_string_equal(warnings.v[0], "'fees.md': 1 invalid UTF-8 "
					   "sequence replaced "
					   "with U+FFFD, the first at byte "
					   "offset 5");
	assert_non_null(strstr(out.ptr, "Fees \xef\xbf\xbdre"));
	/* UTF-16 with its byte order mark is not taken for binary */
	assert_int_equal(cw_extract_check_bytes("\xff\xfeT\0e\0", 6, "u.txt",
						false, NULL, &err),
			 CW_OK);
	cw_strv_release(&warnings);
	cw_buf_release(&out);
}

int main(int argc, char **argv)
{
	/* PDFs are read by this program run again (extract.h) */
	int helper = cw_extract_pdf_helper_main(argc, argv);
	if (helper >= 0)
		return helper;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract__golden_page),
		cmocka_unit_test(test_extract__markdown_conventions),
		cmocka_unit_test(test_extract__select_order_and_remove),
		cmocka_unit_test(test_extract__range_selectors),
		cmocka_unit_test(test_extract__selector_without_match_fails),
		cmocka_unit_test(test_extract__links_and_filters),
		cmocka_unit_test(test_extract__combine_joins_pages),
		cmocka_unit_test(test_extract__charset),
		cmocka_unit_test(test_extract__charset_labels),
		cmocka_unit_test(test_extract__bad_input),
		cmocka_unit_test(test_extract__deep_nesting_is_bounded),
		cmocka_unit_test(test_extract__size_caps),
		cmocka_unit_test(test_extract__pdf_text),
		cmocka_unit_test(test_extract__pdf_in_process_and_helper),
		cmocka_unit_test(test_extract__pdf_limits),
		cmocka_unit_test(test_extract__pdf_answer),
		cmocka_unit_test(test_extract__normalize),
		cmocka_unit_test(test_extract__sniff),
		cmocka_unit_test(
			test_extract__js_filters_remove_what_they_target),
		cmocka_unit_test(test_extract__js_filters_rewrite_links),
		cmocka_unit_test(test_extract__js_filters_history_by_date),
		cmocka_unit_test(test_extract__js_filter_failure_is_named),
		cmocka_unit_test(test_extract__js_filter_limits),
		cmocka_unit_test(test_extract__whole_body_of_real_pages),
		cmocka_unit_test(test_extract__undouble_keeps_one_copy),
		cmocka_unit_test(test_extract__doubled_page_of_the_corpus),
		cmocka_unit_test(
			test_extract__binary_refused_invalid_utf8_reported),
		cmocka_unit_test(
			test_extract__fidelity_with_open_terms_archive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
