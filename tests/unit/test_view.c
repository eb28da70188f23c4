/*
 * The read side on real documents: two services' Terms of Service from
 * ../shared/corpus recorded version by version through the real
 * segmenter, then read back the way the faces read them.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

#include "analyze/analyze.h"
#include "segment/segment.h"
#include "view/view.h"

static char dbpath[256];
static const char *services[] = { "Perplexity", "Cursor" };

/* Record every version of SERVICE/Terms of Service, dated by file name. */
static size_t import(struct cw_store *s, const char *shared,
		     const char *service)
{
	char *dir = cw_asprintf("%s/corpus/versions/%s/Terms of Service",
				shared, service);
	struct cw_err err = CW_ERR_INIT;
	int64_t doc_id = 0;
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	size_t recorded = 0;

	assert_true(n > 2);
	assert_int_equal(cw_store_put_service(s, service, NULL, NULL, NULL,
					      &err),
			 CW_OK);
	assert_int_equal(cw_store_put_document(s, service, "Terms of Service",
					       NULL, &doc_id, &err),
			 CW_OK);
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			char *path =
				cw_asprintf("%s/%s", dir, names[i]->d_name);
			char *at = cw_asprintf("%.10sT00:00:00Z",
					       names[i]->d_name);
			struct cw_buf b = CW_BUF_INIT;
			struct cw_segmentation *seg = NULL;
			assert_int_equal(cw_file_read(&b, path, 1 << 24, &err),
					 CW_OK);
			assert_int_equal(cw_segment_text(&seg, b.ptr, b.len,
							 NULL, &err),
					 CW_OK);
			struct cw_store_version_in in = {
				.text = b.ptr,
				.len = b.len,
				.seg = seg,
				.recorded_at = at,
				.origin = "import",
			};
			int rc = cw_store_record_version(s, doc_id, &in, NULL,
							 &err);
			assert_true(rc == CW_OK || rc == CW_EUNCHANGED);
			recorded += rc == CW_OK;
			cw_segment_free(seg);
			cw_buf_release(&b);
			free(at);
			free(path);
		}
		free(names[i]);
	}
	free(names);
	free(dir);
	return recorded;
}

static int setup(void **state)
{
	const char *shared = getenv("CW_SHARED");
	char dir[] = "/tmp/cw-view-XXXXXX";
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	char *probe;
	bool have;

	*state = NULL;
	probe = cw_asprintf("%s/corpus/versions/Perplexity/Terms of Service",
			    shared ? shared : "../shared");
	have = cw_dir_exists(probe);
	free(probe);
	if (!have)
		return 0; /* each test skips with a message */
	if (!mkdtemp(dir))
		return -1;
	snprintf(dbpath, sizeof(dbpath), "%s/view.db", dir);
	if (cw_store_open(&s, dbpath, &err))
		return -1;
	for (size_t i = 0; i < sizeof(services) / sizeof(*services); i++)
		import(s, shared ? shared : "../shared", services[i]);
	cw_store_close(s);
	*state = dbpath;
	return 0;
}

static struct cw_store *open_store(void **state)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;

	if (!*state) {
		print_message("skipped: ../shared/corpus not found (set "
			      "CW_SHARED)\n");
		skip();
	}
	assert_int_equal(cw_store_open(&s, *state, &err), CW_OK);
	return s;
}

/* Versions by number, offset, name and date: the date picks the version
 * in force then, the latest recorded at or before the end of that day. */
static void test_view__version_in_force_at_a_date(void **state)
{
	struct cw_store *s = open_store(state);
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc doc;
	struct cw_store_version v, *vs = NULL;
	size_t n = 0;
	char *version = NULL;

	assert_int_equal(cw_view_find_document(s,
					       "Perplexity/Terms of Service@-1",
					       &doc, &version, &err),
			 CW_OK);
	assert_string_equal(version, "-1");
	assert_int_equal(cw_store_list_versions(s, doc.id, &vs, &n, &err),
			 CW_OK);
	assert_true(n >= 3);

	assert_int_equal(cw_view_resolve_version(s, doc.id, version, &v, &err),
			 CW_OK);
	assert_int_equal(v.seq, vs[n - 2].seq);
	cw_store_version_release(&v);
	assert_int_equal(cw_view_resolve_version(s, doc.id, "latest", &v, &err),
			 CW_OK);
	assert_int_equal(v.seq, vs[n - 1].seq);
	cw_store_version_release(&v);
	assert_int_equal(cw_view_resolve_version(s, doc.id, "2", &v, &err),
			 CW_OK);
	assert_int_equal(v.seq, 2);
	cw_store_version_release(&v);

	/* the day a version was recorded: that version */
	char day[11];
	snprintf(day, sizeof(day), "%.10s", vs[1].recorded_at);
	assert_int_equal(cw_view_resolve_version(s, doc.id, day, &v, &err),
			 CW_OK);
	assert_int_equal(v.seq, vs[1].seq);
	cw_store_version_release(&v);
	/* the day before the second version: still the first */
	time_t t;
	char before[CW_TIME_ISO];
	assert_int_equal(cw_time_parse_iso(vs[1].recorded_at, &t), CW_OK);
	cw_time_iso(t - 86400, before);
	before[10] = '\0';
	assert_int_equal(cw_view_resolve_version(s, doc.id, before, &v, &err),
			 CW_OK);
	assert_int_equal(v.seq, vs[0].seq);
	cw_store_version_release(&v);
	/* before anything was recorded: not found; nonsense: invalid */
	assert_int_equal(cw_view_resolve_version(s, doc.id, "1999-01-01", &v,
						 &err),
			 CW_ENOTFOUND);
	assert_int_equal(cw_view_resolve_version(s, doc.id, "soon", &v, &err),
			 CW_EINVAL);
	assert_non_null(strstr(err.msg, "'soon'"));

	cw_store_versions_free(vs, n);
	free(version);
	cw_store_doc_release(&doc);
	cw_store_close(s);
}

static void test_view__bad_references_named(void **state)
{
	struct cw_store *s = open_store(state);
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc doc;

	assert_int_equal(cw_view_find_document(s, "Perplexity", &doc, NULL,
					       &err),
			 CW_EINVAL);
	assert_non_null(strstr(err.msg, "'Perplexity'"));
	assert_int_equal(cw_view_find_document(s, "Nobody/Terms of Service",
					       &doc, NULL, &err),
			 CW_ENOTFOUND);
	cw_store_close(s);
}

/* One shape for a version; the history lists every version and its hash
 * is the hash of the text the store gives back. */
static void test_view__history_shape(void **state)
{
	struct cw_store *s = open_store(state);
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc doc;
	json_t *h = NULL, *v;
	size_t i;

	assert_int_equal(cw_view_find_document(s, "Cursor/Terms of Service",
					       &doc, NULL, &err),
			 CW_OK);
	assert_int_equal(cw_view_document_history(&h, s, &doc, &err), CW_OK);
	assert_string_equal(json_string_value(json_object_get(h, "service")),
			    "Cursor");
	assert_int_equal(json_array_size(json_object_get(h, "versions")),
			 (size_t)doc.n_versions);
	json_array_foreach(json_object_get(h, "versions"), i, v)
	{
		static const char *keys[] = { "seq",	     "recorded_at",
					      "stated_date", "sha256",
					      "bytes",	     "provisions",
					      "origin",	     "snapshot" };
		struct cw_store_version sv;
		struct cw_buf text = CW_BUF_INIT;
		char hex[CW_SHA256_HEX];

		for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++)
			assert_non_null(json_object_get(v, keys[k]));
		assert_int_equal(json_object_size(v),
				 sizeof(keys) / sizeof(*keys));
		assert_int_equal(json_integer_value(json_object_get(v, "seq")),
				 (json_int_t)i + 1);
		assert_int_equal(
			cw_store_get_version(
				s, doc.id,
				json_integer_value(json_object_get(v, "seq")),
				&sv, &err),
			CW_OK);
		assert_int_equal(cw_store_load_text(s, sv.id, &text, &err),
				 CW_OK);
		cw_sha256_hex(text.ptr, text.len, hex);
		assert_string_equal(hex,
				    json_string_value(json_object_get(v, "sha25"
									 "6")));
		assert_int_equal(json_integer_value(json_object_get(v, "byte"
								       "s")),
				 (json_int_t)text.len);
		cw_buf_release(&text);
		cw_store_version_release(&sv);
	}
	json_decref(h);
	cw_store_doc_release(&doc);
	cw_store_close(s);
}

/* A provision page: computed once, stored, read back by a later session
 * with the same content; other platforms come from the other service. */
static void test_view__analysis_stored_and_compared(void **state)
{
	struct cw_store *s = open_store(state);
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_doc doc;
	struct cw_store_version ver;
	struct cw_view *v = NULL;
	struct cw_view_provision_query q = { .audience = CW_AUDIENCE_CONSUMER };
	json_t *first = NULL, *again = NULL, *p, *hit, *cmp = NULL;
	const char *data = getenv("CW_DATA_DIR");
	size_t i, k, hits = 0;

	assert_int_equal(cw_view_find_document(s, "Perplexity/Terms of Service",
					       &doc, NULL, &err),
			 CW_OK);
	assert_int_equal(cw_view_resolve_version(s, doc.id, NULL, &ver, &err),
			 CW_OK);
	assert_int_equal(cw_view_new(&v, s, data ? data : "data", &err), CW_OK);
	assert_int_equal(cw_view_analyze_document(&first, v, &doc, &ver, &q,
						  &err),
			 CW_OK);
	assert_true(json_array_size(json_object_get(first, "provisions")) > 3);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(first, "version"), "seq")),
			 ver.seq);
	cw_view_free(v);

	assert_int_equal(cw_view_new(&v, s, data ? data : "data", &err), CW_OK);
	assert_int_equal(cw_view_analyze_document(&again, v, &doc, &ver, &q,
						  &err),
			 CW_OK);
	assert_true(json_is_true(json_object_get(again, "from_store")));
	assert_true(json_equal(json_object_get(first, "provisions"),
			       json_object_get(again, "provisions")));
	/* other platforms: never the service itself */
	json_array_foreach(json_object_get(again, "provisions"), i, p)
	{
		json_t *others = json_object_get(p, "other_platforms");
		json_array_foreach(json_object_get(others, "hits"), k, hit)
		{
			assert_string_not_equal(
				json_string_value(json_object_get(hit, "servic"
								       "e")),
				"Perplexity");
			hits++;
		}
	}
	print_message("%zu comparisons shown\n", hits);

	/* compare on the first categorised provision's category */
	p = json_array_get(json_object_get(again, "provisions"), 0);
	const char *key = json_string_value(json_object_get(p, "key"));
	assert_int_equal(cw_view_compare(&cmp, v, &doc, &ver, key, NULL, 5,
					 &err),
			 CW_OK);
	assert_string_equal(json_string_value(json_object_get(cmp, "provisio"
								   "n")),
			    key);
	assert_true(json_is_object(json_object_get(cmp, "prevalence")));
	json_decref(cmp);
	assert_int_equal(cw_view_compare(&cmp, v, &doc, &ver, "no-such-key",
					 NULL, 5, &err),
			 CW_ENOTFOUND);
	assert_int_equal(cw_view_compare(&cmp, v, &doc, &ver, key,
					 "no_such_category", 5, &err),
			 CW_ENOTFOUND);
	q.key = "no-such-key";
	assert_int_equal(cw_view_analyze_document(&cmp, v, &doc, &ver, &q,
						  &err),
			 CW_ENOTFOUND);
	assert_null(cmp);

	json_decref(first);
	json_decref(again);
	cw_view_free(v);
	cw_store_version_release(&ver);
	cw_store_doc_release(&doc);
	cw_store_close(s);
}

/* Coverage figures agree with the list of uncategorised provisions. */
static void test_view__coverage_agrees_with_list(void **state)
{
	struct cw_store *s = open_store(state);
	struct cw_err err = CW_ERR_INIT;
	struct cw_view *v = NULL;
	const char *data = getenv("CW_DATA_DIR");
	json_t *all = NULL, *list = NULL, *cov;

	assert_int_equal(cw_view_new(&v, s, data ? data : "data", &err), CW_OK);
	assert_int_equal(cw_view_analyze_all(&all, v, &err), CW_OK);
	assert_int_equal(cw_view_uncategorised(&list, v, &err), CW_OK);
	cov = json_object_get(all, "coverage");
	assert_int_equal(json_integer_value(json_object_get(all, "documents")),
			 2);
	assert_true(json_integer_value(json_object_get(cov, "analysed")) > 0);
	assert_int_equal(json_integer_value(json_object_get(cov, "uncategorise"
								 "d")),
			 (json_int_t)json_array_size(list));
	json_decref(all);
	json_decref(list);
	cw_view_free(v);
	cw_store_close(s);
}

/* Search finds provisions of both services by their words; every word
 * must occur unless asked for any; the service filter holds. */
static void test_view__search(void **state)
{
	struct cw_store *s = open_store(state);
	struct cw_err err = CW_ERR_INIT;
	struct cw_view_search_query q = { .text = "arbitration", .limit = 50 };
	json_t *res = NULL, *h;
	size_t i, n, perplexity = 0, cursor = 0;

	assert_int_equal(cw_view_search(&res, s, &q, &err), CW_OK);
	n = json_array_size(json_object_get(res, "hits"));
	assert_true(n > 0);
	json_array_foreach(json_object_get(res, "hits"), i, h)
	{
		const char *svc = json_string_value(json_object_get(h, "servic"
								       "e"));
		const char *snip = json_string_value(json_object_get(h, "snippe"
									"t"));
		perplexity += !strcmp(svc, "Perplexity");
		cursor += !strcmp(svc, "Cursor");
		assert_non_null(strstr(snip, "["));
		assert_null(strchr(snip, '\n'));
		assert_true(json_integer_value(json_object_get(
				    json_object_get(h, "version"), "seq")) >=
			    1);
	}
	assert_true(perplexity > 0 && cursor > 0);
	json_decref(res);

	q.service = "Cursor";
	assert_int_equal(cw_view_search(&res, s, &q, &err), CW_OK);
	assert_int_equal(json_array_size(json_object_get(res, "hits")), cursor);
	json_decref(res);

	/* a word no provision has: nothing with every word, hits with any */
	q.service = NULL;
	q.text = "arbitration zzyzxquux";
	assert_int_equal(cw_view_search(&res, s, &q, &err), CW_OK);
	assert_int_equal(json_array_size(json_object_get(res, "hits")), 0);
	json_decref(res);
	q.any = true;
	assert_int_equal(cw_view_search(&res, s, &q, &err), CW_OK);
	assert_true(json_array_size(json_object_get(res, "hits")) > 0);
	json_decref(res);
	cw_store_close(s);
}

/* A dataset's file names: OTA's date-times and our day names are read,
 * with their dates checked; the export's names read back. */
static void test_view__dataset_file_names(void **state)
{
	static const struct {
		const char *name, *at;
	} good[] = {
		{ "2021-01-01T11-27-00Z.md", "2021-01-01T11:27:00Z" },
		{ "2021-01-01T11:27:00Z.md", "2021-01-01T11:27:00Z" },
		{ "2024-03-01.md", "2024-03-01T00:00:00Z" },
		{ "2024-03-01-2.md", "2024-03-01T00:00:02Z" },
		{ "2024-03-01-02.md", "2024-03-01T00:00:02Z" },
		{ "2024-03-01-86399.md", "2024-03-01T23:59:59Z" },
		{ "2024-02-29T23-59-59Z.md", "2024-02-29T23:59:59Z" },
		{ "2000-02-29.md", "2000-02-29T00:00:00Z" },
	};
	static const char *const bad[] = {
		"",
		"notes.md",
		"2024-03-01",
		"2024-03-01.txt",
		"2024-03-01.md.bak",
		"2024-03-01x.md",
		"2024-03-01-.md",
		"2024-03-01-86400.md",
		"2024-03-01-1234567.md",
		"2024-03-01-1a.md",
		"2023-02-29.md",
		"1900-02-29.md",
		"2024-13-01.md",
		"2024-04-31.md",
		"2024-00-10.md",
		"1969-12-31.md",
		"2024-03-01T24-00-00Z.md",
		"2024-03-01T10-60-00Z.md",
		"2024-03-01T10-00-60Z.md",
		"2024-03-01T10-00-00.md",
		"2024-03-01T10-00:00Z.md",
		"2024-03-01T10-00-00.123Z.md",
		"2024-03-01T10-00-00z.md",
		"2024-03-01T10-00-00Z",
	};
	char at[CW_TIME_ISO], name[CW_VIEW_DATASET_NAME_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		assert_int_equal(cw_view_dataset_name_time(good[i].name, at),
				 CW_OK);
		assert_string_equal(at, good[i].at);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		memcpy(at, "unchanged", 10);
		if (cw_view_dataset_name_time(bad[i], at) != CW_EINVAL)
			fail_msg("'%s' was read as a date", bad[i]);
		assert_string_equal(at, "unchanged");
	}
	assert_int_equal(
		cw_view_dataset_file_name("2024-03-01T10:00:00Z", name), CW_OK);
	assert_string_equal(name, "2024-03-01T10-00-00Z.md");
	/* fractions dropped as OTA drops milliseconds, offsets to UTC */
	assert_int_equal(cw_view_dataset_file_name("2024-03-01T10:00:00.789Z",
						   name),
			 CW_OK);
	assert_string_equal(name, "2024-03-01T10-00-00Z.md");
	assert_int_equal(cw_view_dataset_file_name("2024-03-01T11:30:05+01:00",
						   name),
			 CW_OK);
	assert_string_equal(name, "2024-03-01T10-30-05Z.md");
	assert_int_equal(cw_view_dataset_file_name("2024-03-01", name), CW_OK);
	assert_string_equal(name, "2024-03-01T00-00-00Z.md");
	assert_int_equal(cw_view_dataset_file_name("yesterday", name),
			 CW_EINVAL);
	assert_int_equal(cw_view_dataset_file_name("1969-07-20T20:17:00Z",
						   name),
			 CW_EINVAL);
}

/* Write `text` to DIR/REL, making the folders. */
static void put(const char *dir, const char *rel, const char *text)
{
	char *path = cw_asprintf("%s/%s", dir, rel);
	char *slash = strrchr(path, '/');
	struct cw_err err = CW_ERR_INIT;

	*slash = '\0';
	assert_int_equal(cw_mkdir_p(path, &err), CW_OK);
	*slash = '/';
	assert_int_equal(cw_file_write_atomic(path, text, strlen(text), &err),
			 CW_OK);
	free(path);
}

/* A dataset folder: the top folder found, README and hidden files passed
 * over, the versions sorted by service, type and time (not by name). */
static void test_view__dataset_folder_layout(void **state)
{
	char dir[] = "/tmp/cw-view-ds-XXXXXX";
	struct cw_err err = CW_ERR_INIT;
	struct cw_view_dataset *d = NULL;
	const struct cw_view_dataset_entry *e;
	struct cw_buf b = CW_BUF_INIT;
	char *path, *cmd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "ota-2024/README.md", "about\n");
	put(dir, "ota-2024/LICENSE", "licence\n");
	put(dir, "ota-2024/.DS_Store", "x");
	put(dir, "ota-2024/B/Terms of Service/2024-03-01T10-00-00Z.md", "b2\n");
	put(dir, "ota-2024/B/Terms of Service/2024-03-01-9.md", "b1\n");
	put(dir, "ota-2024/A/Privacy Policy/2021-01-01T11-27-00Z.md", "a\n");
	assert_int_equal(cw_view_dataset_open(&d, dir, &err), CW_OK);
	assert_string_equal(cw_view_dataset_top(d), "ota-2024");
	assert_int_equal(cw_view_dataset_count(d), 3);
	e = cw_view_dataset_entry(d, 0);
	assert_string_equal(e->service, "A");
	assert_string_equal(e->type, "Privacy Policy");
	assert_string_equal(e->at, "2021-01-01T11:27:00Z");
	e = cw_view_dataset_entry(d, 1);
	assert_string_equal(e->at, "2024-03-01T00:00:09Z");
	assert_int_equal(cw_view_dataset_read(d, 1, &b, &err), CW_OK);
	assert_string_equal(cw_buf_str(&b), "b1\n");
	e = cw_view_dataset_entry(d, 2);
	assert_string_equal(e->service, "B");
	assert_string_equal(e->at, "2024-03-01T10:00:00Z");
	cw_view_dataset_free(d);

	/* a file where no version lies, and a name that is not a date: the
	 * whole dataset is refused, naming the file */
	put(dir, "ota-2024/B/notes.txt", "x");
	assert_int_equal(cw_view_dataset_open(&d, dir, &err), CW_EINVAL);
	assert_null(d);
	assert_non_null(strstr(err.msg, "B/notes.txt"));
	path = cw_asprintf("%s/ota-2024/B/notes.txt", dir);
	assert_int_equal(unlink(path), 0);
	free(path);
	put(dir, "ota-2024/B/Terms of Service/2024-02-30.md", "x");
	assert_int_equal(cw_view_dataset_open(&d, dir, &err), CW_EINVAL);
	assert_non_null(strstr(err.msg, "2024-02-30.md"));
	/* two names for one time */
	path = cw_asprintf("%s/ota-2024/B/Terms of Service/2024-02-30.md", dir);
	assert_int_equal(unlink(path), 0);
	free(path);
	put(dir, "ota-2024/B/Terms of Service/2024-03-01T00-00-09Z.md", "x");
	assert_int_equal(cw_view_dataset_open(&d, dir, &err), CW_EINVAL);
	assert_non_null(strstr(err.msg, "name the same time"));
	assert_int_equal(cw_view_dataset_open(&d, "/nonexistent/ds", &err),
			 CW_ENOTFOUND);
	cw_buf_release(&b);
	cmd = cw_asprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_view__version_in_force_at_a_date),
		cmocka_unit_test(test_view__bad_references_named),
		cmocka_unit_test(test_view__history_shape),
		cmocka_unit_test(test_view__analysis_stored_and_compared),
		cmocka_unit_test(test_view__coverage_agrees_with_list),
		cmocka_unit_test(test_view__search),
		cmocka_unit_test(test_view__dataset_file_names),
		cmocka_unit_test(test_view__dataset_folder_layout),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
