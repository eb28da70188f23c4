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

#include <cmocka.h>
#include <jansson.h>

#include "extract/extract.h"
#include "fetch/declaration.h"

/* What the fidelity test requires of both aggregates. */
#define FIDELITY_MIN 0.99

/* ---- helpers ---- */

static char *shared_dir(void)
{
	const char *s = getenv("CW_SHARED");
	if (s && *s)
		return cw_strdup(s);
	const char *root = getenv("CW_SOURCE_ROOT");
	return cw_asprintf("%s/../shared", root && *root ? root : CW_SOURCE_ROOT);
}

static char *tests_dir(void)
{
	const char *s = getenv("CW_TESTS");
	if (s && *s)
		return cw_strdup(s);
	const char *root = getenv("CW_SOURCE_ROOT");
	return cw_asprintf("%s/tests", root && *root ? root : CW_SOURCE_ROOT);
}

static char *read_all(const char *path, size_t *len)
{
	struct cw_buf b = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	if (cw_file_read(&b, path, 256u << 20, &err)) {
		cw_buf_release(&b);
		return NULL;
	}
	return cw_buf_detach(&b, len);
}

/* Extract `html` with a declaration given as JSON text of one terms entry. */
static int extract_html(struct cw_buf *out, const char *html, size_t len,
			const char *entry_json, struct cw_strv *warnings,
			struct cw_err *err)
{
	struct cw_decl_service *svc = NULL;
	const struct cw_decl_doc *doc = NULL;
	if (entry_json) {
		char *json = cw_asprintf("{\"name\":\"T\",\"terms\":{\"Terms of Service\":%s}}",
					 entry_json);
		struct cw_err e2 = CW_ERR_INIT;
		int rc = cw_decl_read_buffer(&svc, "T.json", json, strlen(json), NULL, &e2);
		free(json);
		if (rc)
			fail_msg("declaration did not parse: %s", e2.msg);
		doc = &svc->docs[0];
	}
	struct cw_extract_input in = { .data = html, .len = len,
		.url = "https://example.org/legal/terms", .name = "test.html",
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
		while (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')
			i++;
		if (!s[i])
			break;
		size_t j = i;
		while (s[j] && s[j] != ' ' && s[j] != '\n' && s[j] != '\t' && s[j] != '\r')
			j++;
		CW_GROW(v, cap, *n + 1);
		v[(*n)++] = hash_word(s + i, j - i);
		i = j;
	}
	return v;
}

/* Length of a longest common subsequence, via Myers' shortest edit script
 * (LCS = (N + M - D) / 2). Returns -1 if D would exceed max_d. */
static long lcs(const uint64_t *a, long n, const uint64_t *b, long m, long max_d)
{
	long off = max_d + 1;
	long *v = cw_calloc((size_t)(2 * max_d + 3), sizeof(long));
	long result = -1;
	for (long d = 0; d <= max_d; d++) {
		for (long k = -d; k <= d; k += 2) {
			long x;
			if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
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
			if (strcmp(f, "removeQueryParams") && strcmp(f, "convertSpacesToStandard"))
				return true;
		}
	return false;
}

/* Extract one snapshot directory; returns false if it is not one. */
static bool run_snapshot(const char *dir, const char *label, struct agreement *res,
			 bool *js, double *secs, size_t *in_bytes)
{
	char *p = cw_asprintf("%s/declaration.json", dir);
	size_t dl = 0, ml = 0, el = 0;
	char *decl_json = read_all(p, &dl);
	free(p);
	p = cw_asprintf("%s/meta.json", dir);
	char *meta_json = read_all(p, &ml);
	free(p);
	p = cw_asprintf("%s/expected.md", dir);
	char *expected = read_all(p, &el);
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
			const char *u = json_string_value(json_object_get(json_array_get(files, k), "url"));
			if (u && !strcmp(u, doc->sources[i].fetch))
				pick = k;
		}
		json_t *f = json_array_get(files, pick);
		const char *file = json_string_value(json_object_get(f, "file"));
		char *fp = cw_asprintf("%s/%s", dir, file);
		size_t len = 0;
		datas[i] = read_all(fp, &len);
		assert_non_null(datas[i]);
		pages[i] = (struct cw_extract_input){ .data = datas[i], .len = len,
			.url = json_string_value(json_object_get(f, "url")),
			.name = label, .kind = CW_EXTRACT_AUTO };
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
	*secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_extract__fidelity_with_open_terms_archive(void **state)
{
	(void)state;
	char *shared = shared_dir();
	char *root = cw_asprintf("%s/corpus/snapshots", shared);
	free(shared);
	if (!cw_dir_exists(root)) {
		free(root);
		skip();
	}
	/* service/type directories, sorted */
	struct cw_strv dirs = CW_STRV_INIT;
	DIR *d = opendir(root);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *sd = cw_asprintf("%s/%s", root, e->d_name);
		DIR *d2 = opendir(sd);
		if (d2) {
			struct dirent *e2;
			while ((e2 = readdir(d2)))
				if (e2->d_name[0] != '.')
					cw_strv_pushf(&dirs, "%s/%s", e->d_name, e2->d_name);
			closedir(d2);
		}
		free(sd);
	}
	closedir(d);
	qsort(dirs.v, dirs.n, sizeof(char *), cmp_str);

	const char *only = getenv("CW_EXTRACT_ONLY");
	long all_common = 0, all_max = 0, nojs_common = 0, nojs_max = 0;
	size_t docs = 0, nojs_docs = 0, bytes = 0;
	double secs = 0;
	print_message("%-52s %7s %7s %7s %8s\n", "snapshot", "ours", "expect", "common",
		      "agree");
	for (size_t i = 0; i < dirs.n; i++) {
		if (only && *only && !strstr(dirs.v[i], only))
			continue;
		char *dir = cw_asprintf("%s/%s", root, dirs.v[i]);
		struct agreement a;
		bool js;
		double s;
		size_t b;
		if (run_snapshot(dir, dirs.v[i], &a, &js, &s, &b)) {
			long mx = a.ours > a.expected ? a.ours : a.expected;
			print_message("%-52s %7ld %7ld %7ld %7.4f%s\n", dirs.v[i], a.ours,
				      a.expected, a.common, mx ? (double)a.common / (double)mx : 1.0,
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
	print_message("word agreement, %zu snapshots without JavaScript filter: %.4f\n",
		      nojs_docs, nojs);
	print_message("extraction time: %.3f s for %.1f MB of HTML (%.1f MB/s)\n", secs,
		      (double)bytes / 1e6, secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
	if (!only || !*only) {
		assert_true(all >= FIDELITY_MIN);
		assert_true(nojs >= FIDELITY_MIN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract__fidelity_with_open_terms_archive),
	};
	(void)tests_dir;
	(void)extract_html;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
