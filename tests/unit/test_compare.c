#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

#include "compare/compare.h"
#include "segment/segment.h"

static const char *data_dir(void)
{
	const char *d = getenv("CW_DATA_DIR");
	return d ? d : CW_SOURCE_ROOT "/data";
}

/* A new empty store in a temporary directory. */
static struct cw_store *new_store(void)
{
	char dir[] = "/tmp/cw-compare-XXXXXX";
	struct cw_store *s = NULL;
	struct cw_err err = CW_ERR_INIT;
	char *path;

	if (!mkdtemp(dir))
		fail_msg("mkdtemp");
	path = cw_asprintf("%s/store.db", dir);
	if (cw_store_open(&s, path, &err))
		fail_msg("%s", err.msg);
	free(path);
	return s;
}

static struct cw_compare *new_compare(struct cw_store *s)
{
	struct cw_compare *c = NULL;
	struct cw_err err = CW_ERR_INIT;
	char *sw = cw_asprintf("%s/compare/stopwords.txt", data_dir());

	if (cw_compare_new(&c, s, sw, &err))
		fail_msg("%s", err.msg);
	free(sw);
	return c;
}

/*
 * Record `text` as the Terms of Service of `svc`, with one provision per
 * paragraph (keys "1", "2", ...) unless `seg` is given; `categories`, when
 * not NULL, is stored as the analysis of provision "1".
 * Returns the version id.
 */
static int64_t record(struct cw_store *s, const char *svc, const char *text,
		      size_t len, struct cw_segmentation *seg,
		      const char *category)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_segmentation one = { 0 };
	struct cw_provision p = { 0 };
	int64_t doc, vid = 0;

	if (!seg) {
		p.key = (char *)"1";
		p.title = (char *)"";
		p.level = 1;
		p.parent = -1;
		p.end = len;
		cw_sha256_hex(text, len, p.hash);
		one.items = &p;
		one.n = 1;
		seg = &one;
	}
	struct cw_store_version_in in = {
		.text = text,
		.len = len,
		.seg = seg,
		.recorded_at = "2025-01-01T00:00:00Z",
		.origin = "test",
	};
	if (cw_store_put_service(s, svc, NULL, NULL, NULL, &err) ||
	    cw_store_put_document(s, svc, "Terms of Service", NULL, &doc,
				  &err) ||
	    cw_store_record_version(s, doc, &in, &vid, &err))
		fail_msg("%s: %s", svc, err.msg);
	if (category) {
		char *json = cw_asprintf("{\"provisions\":[{\"key\":\"1\","
					 "\"categories\":[{\"id\":\"%s\"}]}]}",
					 category);
		if (cw_store_put_analysis(s, vid, json, &err))
			fail_msg("%s", err.msg);
		free(json);
	}
	return vid;
}

static void collect(const char *term, size_t n, void *arg)
{
	struct cw_buf *b = arg;
	cw_buf_add(b, term, n);
	cw_buf_addc(b, ' ');
}

static void test_compare__terms_are_stemmed_without_stopwords(void **state)
{
	struct cw_store *s = new_store();
	struct cw_compare *c = new_compare(s);
	struct cw_buf b = CW_BUF_INIT;
	(void)state;
	cw_compare_terms(c, "The Arbitrations of YOUR disputes, arbitrated.",
			 46, collect, &b);
	assert_string_equal(b.ptr, "arbitr disput arbitr ");
	cw_buf_release(&b);
	cw_compare_free(c);
	cw_store_close(s);
}

static void test_compare__ranks_by_bm25_within_category(void **state)
{
	struct cw_store *s = new_store();
	struct cw_compare *c;
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_hit *hits = NULL;
	size_t n = 0;
	(void)state;

	static const struct {
		const char *svc, *text, *cat;
	} e[] = {
		{ "A",
		  "Disputes are resolved by binding arbitration under the AAA "
		  "rules.",
		  "mandatory_arbitration" },
		{ "B",
		  "Any dispute goes to individual arbitration; you may opt out "
		  "of arbitration within 30 days.",
		  "mandatory_arbitration" },
		{ "C",
		  "These terms are governed by the laws of California, "
		  "arbitration aside.",
		  "choice_of_law" },
		{ "Q", "Arbitration of every dispute, opt out within 30 days.",
		  "mandatory_arbitration" },
	};
	for (size_t i = 0; i < 4; i++)
		record(s, e[i].svc, e[i].text, strlen(e[i].text), NULL,
		       e[i].cat);
	c = new_compare(s);
	const char *q = "You may opt out of arbitration of a dispute within 30 "
			"days.";
	assert_int_equal(cw_compare_similar(c, q, strlen(q),
					    "mandatory_arbitration", "Q", 5,
					    &hits, &n, &err),
			 CW_OK);
	assert_int_equal(n, 2); /* C is another category, Q excluded */
	assert_string_equal(hits[0].service, "B"); /* B shares the most terms */
	assert_string_equal(hits[1].service, "A");
	assert_string_equal(hits[0].key, "1");
	assert_string_equal(hits[0].text, e[1].text);
	assert_true(hits[0].score > hits[1].score);
	cw_store_hits_free(hits, n);
	assert_int_equal(cw_compare_similar(c, q, strlen(q), NULL, NULL, 10,
					    &hits, &n, &err),
			 CW_OK);
	assert_int_equal(n, 4);
	cw_store_hits_free(hits, n);
	/* a category no provision has: nothing, after every candidate */
	assert_int_equal(cw_compare_similar(c, q, strlen(q), "no_such", NULL, 3,
					    &hits, &n, &err),
			 CW_OK);
	assert_int_equal(n, 0);
	assert_null(hits);
	cw_compare_free(c);
	cw_store_close(s);
}

/* Real documents: an arbitration provision finds arbitration elsewhere. */
static void test_compare__real_corpus_neighbours(void **state)
{
	const char *shared = getenv("CW_SHARED");
	char root[1024];
	struct dirent **svcs = NULL;
	struct cw_store *s;
	struct cw_compare *c;
	struct cw_err err = CW_ERR_INIT;
	int ns;
	int64_t provisions = 0;
	(void)state;

	snprintf(root, sizeof(root), "%s/corpus/versions",
		 shared ? shared : CW_SOURCE_ROOT "/../shared");
	if (!cw_dir_exists(root)) {
		print_message("skipped: '%s' not found\n", root);
		skip();
	}
	s = new_store();
	ns = scandir(root, &svcs, NULL, alphasort);
	for (int i = 0; i < ns; i++) {
		char *tos = cw_asprintf("%s/%s/Terms of Service", root,
					svcs[i]->d_name);
		struct dirent **fs = NULL;
		int nf = svcs[i]->d_name[0] == '.'
				 ? -1
				 : scandir(tos, &fs, NULL, alphasort);
		if (nf > 0) {
			/* the latest version of each service's Terms of Service */
			char *path =
				cw_asprintf("%s/%s", tos, fs[nf - 1]->d_name);
			struct cw_buf b = CW_BUF_INIT;
			struct cw_segmentation *seg = NULL;
			if (!cw_file_read(&b, path, 1 << 24, NULL) &&
			    !cw_segment_text(&seg, b.ptr, b.len, NULL, NULL))
				record(s, svcs[i]->d_name, b.ptr, b.len, seg,
				       NULL);
			cw_segment_free(seg);
			cw_buf_release(&b);
			free(path);
		}
		for (int k = 0; k < nf; k++)
			free(fs[k]);
		free(fs);
		free(tos);
		free(svcs[i]);
	}
	free(svcs);
	assert_int_equal(cw_store_search_size(s, &provisions, NULL, &err),
			 CW_OK);
	assert_true(provisions > 300);

	const char *q = "Binding individual arbitration. You and we agree to "
			"resolve "
			"any dispute by final and binding arbitration, and you "
			"waive "
			"the right to a jury trial or to take part in a class "
			"action. "
			"You may opt out of arbitration within 30 days.";
	struct cw_store_hit *hits = NULL;
	size_t n = 0, arbitration = 0;
	c = new_compare(s);
	assert_int_equal(cw_compare_similar(c, q, strlen(q), NULL, NULL, 5,
					    &hits, &n, &err),
			 CW_OK);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		print_message("%.2f %s %s %s\n", hits[i].score, hits[i].service,
			      hits[i].key, hits[i].title);
		char *lower = cw_strdup(hits[i].text);
		for (char *ch = lower; *ch; ch++)
			*ch = (char)(*ch >= 'A' && *ch <= 'Z' ? *ch + 32 : *ch);
		arbitration += strstr(lower, "arbitrat") != NULL;
		free(lower);
	}
	/* every one of the five nearest provisions deals with arbitration */
	assert_int_equal(arbitration, 5);
	cw_store_hits_free(hits, n);
	cw_compare_free(c);
	cw_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_compare__terms_are_stemmed_without_stopwords),
		cmocka_unit_test(test_compare__ranks_by_bm25_within_category),
		cmocka_unit_test(test_compare__real_corpus_neighbours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
