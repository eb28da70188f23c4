#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "compare/compare.h"
#include "segment/segment.h"

static const char *data_dir(void)
{
	const char *d = getenv("CW_DATA_DIR");
	return d ? d : CW_SOURCE_ROOT "/data";
}

static struct cw_compare_index *new_index(void)
{
	struct cw_compare_index *idx = NULL;
	struct cw_err err = CW_ERR_INIT;
	char *sw = cw_asprintf("%s/compare/stopwords.txt", data_dir());

	if (cw_compare_index_new(&idx, sw, &err))
		fail_msg("%s", err.msg);
	free(sw);
	return idx;
}

static void collect(const char *term, size_t n, void *arg)
{
	struct cw_buf *b = arg;
	cw_buf_add(b, term, n);
	cw_buf_addc(b, ' ');
}

static void test_compare__terms_are_stemmed_without_stopwords(void **state)
{
	struct cw_compare_index *idx = new_index();
	struct cw_buf b = CW_BUF_INIT;
	(void)state;
	cw_compare_terms(idx, "The Arbitrations of YOUR disputes, arbitrated.",
			 46, collect, &b);
	assert_string_equal(b.ptr, "arbitr disput arbitr ");
	cw_buf_release(&b);
	cw_compare_index_free(idx);
}

static void test_compare__ranks_by_bm25_within_category(void **state)
{
	struct cw_compare_index *idx = new_index();
	const char *arb[] = { "mandatory_arbitration", NULL };
	const char *law[] = { "choice_of_law", NULL };
	struct cw_compare_hit *hits = NULL;
	size_t n = 0;
	(void)state;

	struct cw_compare_entry e[] = {
		{ "A", "Terms of Service", "1", "Disputes",
		  "Disputes are resolved by binding arbitration under the AAA rules.", 66, arb },
		{ "B", "Terms of Service", "9", "Arbitration",
		  "Any dispute goes to individual arbitration; you may opt out of arbitration within 30 days.", 91, arb },
		{ "C", "Terms of Service", "4", "Law",
		  "These terms are governed by the laws of California, arbitration aside.", 70, law },
		{ "Q", "Terms of Service", "2", "Own",
		  "Arbitration of every dispute, opt out within 30 days.", 53, arb },
	};
	for (size_t i = 0; i < 4; i++)
		cw_compare_index_add(idx, &e[i]);
	cw_compare_index_build(idx);
	const char *q = "You may opt out of arbitration of a dispute within 30 days.";
	cw_compare_query(idx, q, strlen(q), "mandatory_arbitration", "Q", 5,
			 &hits, &n);
	assert_int_equal(n, 2);               /* C is another category, Q excluded */
	assert_int_equal(hits[0].entry, 1);   /* B shares the most terms */
	assert_int_equal(hits[1].entry, 0);
	assert_true(hits[0].score > hits[1].score);
	free(hits);
	cw_compare_query(idx, q, strlen(q), NULL, NULL, 10, &hits, &n);
	assert_int_equal(n, 4);
	free(hits);
	cw_compare_index_free(idx);
}

/* Real documents: an arbitration provision finds arbitration elsewhere. */
static void test_compare__real_corpus_neighbours(void **state)
{
	const char *shared = getenv("CW_SHARED");
	char root[1024];
	struct dirent **svcs = NULL;
	struct cw_compare_index *idx;
	int ns;
	size_t provisions = 0;
	(void)state;

	snprintf(root, sizeof(root), "%s/corpus/versions",
		 shared ? shared : CW_SOURCE_ROOT "/../shared");
	if (!cw_dir_exists(root)) {
		print_message("skipped: '%s' not found\n", root);
		skip();
	}
	idx = new_index();
	ns = scandir(root, &svcs, NULL, alphasort);
	for (int i = 0; i < ns; i++) {
		char *tos = cw_asprintf("%s/%s/Terms of Service", root, svcs[i]->d_name);
		struct dirent **fs = NULL;
		int nf = svcs[i]->d_name[0] == '.' ? -1 : scandir(tos, &fs, NULL, alphasort);
		if (nf > 0) {
			/* the latest version of each service's Terms of Service */
			char *path = cw_asprintf("%s/%s", tos, fs[nf - 1]->d_name);
			struct cw_buf b = CW_BUF_INIT;
			struct cw_segmentation *seg = NULL;
			if (!cw_file_read(&b, path, 1 << 24, NULL) &&
			    !cw_segment_text(&seg, b.ptr, b.len, NULL, NULL)) {
				for (size_t k = 0; k < seg->n; k++) {
					struct cw_provision *p = &seg->items[k];
					if (seg->items[k].parent >= 0)
						continue;
					struct cw_compare_entry e = {
						svcs[i]->d_name, "Terms of Service",
						p->key, p->title, b.ptr + p->start,
						p->end - p->start, NULL };
					cw_compare_index_add(idx, &e);
					provisions++;
				}
			}
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
	cw_compare_index_build(idx);
	assert_true(provisions > 300);

	const char *q = "Binding individual arbitration. You and we agree to resolve "
			"any dispute by final and binding arbitration, and you waive "
			"the right to a jury trial or to take part in a class action. "
			"You may opt out of arbitration within 30 days.";
	struct cw_compare_hit *hits = NULL;
	size_t n = 0, arbitration = 0;
	cw_compare_query(idx, q, strlen(q), NULL, NULL, 5, &hits, &n);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		const struct cw_compare_entry *e = cw_compare_index_entry(idx, hits[i].entry);
		print_message("%.2f %s %s %s\n", hits[i].score, e->service, e->key, e->title);
		char *lower = cw_strndup(e->text, e->len);
		for (char *c = lower; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		arbitration += strstr(lower, "arbitrat") != NULL;
		free(lower);
	}
	/* every one of the five nearest provisions deals with arbitration */
	assert_int_equal(arbitration, 5);
	free(hits);
	cw_compare_index_free(idx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compare__terms_are_stemmed_without_stopwords),
		cmocka_unit_test(test_compare__ranks_by_bm25_within_category),
		cmocka_unit_test(test_compare__real_corpus_neighbours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
