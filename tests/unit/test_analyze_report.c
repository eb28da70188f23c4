/*
 * Tests of the provision analysis (analyze.h): composition of rules, model,
 * facts and notes on the real Stability AI Terms of Service, the generated
 * text and its sources, the reader's view and its Markdown, exposure moves
 * between two real versions of a corpus document, and the checks of the
 * templates file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyze/analyze.h"
#include "segment/segment.h"
#include "helpers.h"

#define STABILITY_SEED "seeds/002_7ae7b45475604c64.txt"
#define CURSOR_DIR "corpus/versions/Cursor/Terms of Service"

static struct cw_analyze_ctx *ctx;

CW_TEST_DATA_FIXTURE(ctx, cw_analyze_ctx_new, cw_analyze_ctx_free, "",
		     "analyze")

struct doc {
	struct cw_buf text;
	struct cw_segmentation *seg;
	struct cw_analyze_doc ad;
	json_t *analysis; /* doc_analyzed()'s; doc_free() releases it */
};

static bool doc_load(struct doc *d, const char *rel, const char *service)
{
	static const char *const tracked[] = { "Terms of Service", "Privacy "
								   "Policy" };

	d->analysis = NULL;
	if (!cw_test_read_segmented(&d->text, &d->seg, rel))
		return false;
	memset(&d->ad, 0, sizeof(d->ad));
	d->ad.service = service;
	d->ad.type = "Terms of Service";
	d->ad.seq = 1;
	d->ad.date = "2025-07-31";
	d->ad.text = d->text.ptr;
	d->ad.len = d->text.len;
	d->ad.seg = d->seg;
	d->ad.tracked = tracked;
	d->ad.ntracked = 2;
	return true;
}

static void doc_free(struct doc *d)
{
	cw_segment_free(d->seg);
	cw_buf_release(&d->text);
	json_decref(d->analysis);
}

/* doc_load(), then the analysis of the document into d->analysis and *a. */
static bool doc_analyzed(struct doc *d, json_t **a, const char *rel,
			 const char *service)
{
	struct cw_err err = CW_ERR_INIT;

	if (!doc_load(d, rel, service))
		return false;
	assert_int_equal(cw_analyze_document(&d->analysis, ctx, &d->ad, &err),
			 CW_OK);
	*a = d->analysis;
	return true;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_t *cat_of(json_t *prov, const char *id)
{
	json_t *cats = json_object_get(prov, "categories");

	for (size_t i = 0; i < json_array_size(cats); i++)
		if (!strcmp(jstr(json_array_get(cats, i), "id"), id))
			return json_array_get(cats, i);
	fprintf(stderr, "no category %s\n", id);
	return NULL;
}

/* Every statement: text, and sources of which the first is a template. */
static size_t check_statements(const json_t *arr)
{
	json_t *s;
	size_t i;

	json_array_foreach(arr, i, s)
	{
		json_t *src = json_object_get(s, "source");
		assert_true(strlen(jstr(s, "text")) > 10);
		assert_true(json_array_size(src) >= 1);
		/* no placeholder left unfilled */
		assert_null(strchr(jstr(s, "text"), '{'));
		assert_true(cw_str_startswith(
				    json_string_value(json_array_get(src, 0)),
				    "template:") ||
			    cw_str_startswith(
				    json_string_value(json_array_get(src, 0)),
				    "taxonomy:"));
	}
	return json_array_size(arr);
}

static void test_analyze_report__stability_opt_out(void **state)
{
	struct cw_err err = CW_ERR_INIT;
	struct doc d;
	json_t *p, *c, *par;
	long i;

	(void)state;
	if (!doc_load(&d, STABILITY_SEED, "Stability AI")) {
		skip();
		return;
	}
	i = cw_segment_find(d.seg, "13.b");
	assert_true(i >= 0);
	assert_int_equal(cw_analyze_provision(&p, ctx, &d.ad, (size_t)i, &err),
			 CW_OK);
	assert_true(json_is_true(json_object_get(p, "analysed")));
	c = cat_of(p, "arbitration_opt_out");
	assert_non_null(c);
	par = json_array_get(json_object_get(c, "parameters"), 0);
	assert_string_equal(jstr(par, "name"), "opt_out_window");
	assert_string_equal(jstr(par, "value"), "30 days");
	{
		/* the span points at the words in the document */
		json_int_t s = json_integer_value(
			json_array_get(json_object_get(par, "span"), 0));
		json_int_t e = json_integer_value(
			json_array_get(json_object_get(par, "span"), 1));
		char *w = cw_strndup(d.text.ptr + s, (size_t)(e - s));
		assert_non_null(strstr(w, "30 days"));
		free(w);
	}
	/* the reading states the window, from its template and parameter */
	{
		json_t *s;
		size_t k;
		bool found = false;
		json_array_foreach(json_object_get(p, "reading"), k, s)
		{
			json_t *src = json_object_get(s, "source");
			if (!strcmp(json_string_value(json_array_get(src, 0)),
				    "template:reading.params.opt_out_window")) {
				assert_string_equal(
					json_string_value(
						json_array_get(src, 1)),
					"params:opt_out_window");
				assert_non_null(strstr(jstr(s, "text"), "30 "
									"day"
									"s"));
				found = true;
			}
		}
		assert_true(found);
	}
	assert_true(check_statements(json_object_get(p, "reading")) >= 3);
	assert_true(check_statements(json_object_get(json_object_get(p, "meanin"
									"g"),
						     "consumer")) >= 1);
	assert_true(check_statements(json_object_get(json_object_get(p, "meanin"
									"g"),
						     "operator")) >= 1);
	json_decref(p);

	/* a bad index is refused, not read past */
	assert_int_equal(cw_analyze_provision(&p, ctx, &d.ad, d.seg->n, &err),
			 CW_EINVAL);
	assert_null(p);
	doc_free(&d);
}

static void test_analyze_report__stability_document_and_view(void **state)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_buf md = CW_BUF_INIT;
	struct doc d;
	json_t *a, *p, *v, *cats, *c, *prev;
	size_t k;

	(void)state;
	if (!doc_analyzed(&d, &a, STABILITY_SEED, "Stability AI")) {
		skip();
		return;
	}
	assert_true(cw_analyze_is_current(a));
	assert_int_equal(json_array_size(json_object_get(a, "provisions")),
			 d.seg->n);
	/* the category set is what prevalence reads: sorted, distinct, and
	   holding what the provisions hold */
	cats = json_object_get(a, "categories");
	assert_true(json_array_size(cats) > 30);
	for (k = 1; k < json_array_size(cats); k++)
		assert_true(
			strcmp(json_string_value(json_array_get(cats, k - 1)),
			       json_string_value(json_array_get(cats, k))) < 0);
	p = cw_analyze_find(a, "4.a");
	assert_non_null(p);
	c = cat_of(p, "operator_end_user_responsibility");
	assert_non_null(c);
	assert_string_equal(jstr(json_object_get(json_object_get(c, "exposure"),
						 "operato"
						 "r"),
				 "level"),
			    "high");
	/* the provision's operator exposure is the highest of its categories */
	assert_string_equal(jstr(json_object_get(json_object_get(p, "exposure"),
						 "operato"
						 "r"),
				 "level"),
			    "high");

	prev = json_pack("{s{sisi}}", "operator_end_user_responsibility",
			 "services", 3, "of", 7);
	assert_int_equal(cw_analyze_view(&v, ctx, a, p, CW_AUDIENCE_OPERATOR,
					 NULL, NULL, prev, &err),
			 CW_OK);
	assert_string_equal(jstr(v, "audience"), "operator");
	check_statements(json_object_get(v, "legal_reading"));
	check_statements(json_object_get(v, "what_it_means"));
	check_statements(json_object_get(json_object_get(v, "compliance"),
					 "regulatory_landscape"));
	{
		/* the AI Act is there with its jurisdiction and date test */
		json_t *s;
		bool ai_act = false;
		json_array_foreach(
			json_object_get(json_object_get(v, "compliance"), "regu"
									  "lato"
									  "ry_"
									  "land"
									  "scap"
									  "e"),
			k, s) if (!strcmp(jstr(s, "instrument"), "eu_ai_act"))
		{
			ai_act = true;
			assert_true(json_is_boolean(json_object_get(s, "in_"
								       "effec"
								       "t")) ||
				    json_is_null(json_object_get(s, "in_"
								    "effect")));
		}
		assert_true(ai_act);
	}
	c = cat_of(v, "operator_end_user_responsibility");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(c, "prevalence"), "services")),
			 3);
	assert_int_equal(cw_analyze_render_md(&md, v), CW_OK);
	assert_non_null(strstr(md.ptr, "## 4.a Rights to Inputs and Outputs"));
	assert_non_null(strstr(md.ptr, "### What this means for you "
				       "(operator)"));
	assert_non_null(strstr(md.ptr, "5. Compliance considerations"));
	assert_non_null(strstr(md.ptr, "regulation:eu_ai_act/25"));
	json_decref(v);
	assert_int_equal(cw_analyze_view(&v, ctx, a, p, 5, NULL, NULL, NULL,
					 &err),
			 CW_EINVAL);
	json_decref(prev);
	cw_buf_release(&md);
	doc_free(&d);
}

/* Two real versions of a corpus document: every reported move agrees with
 * the levels of the two analyses, and every level change is reported. */
static void test_analyze_report__exposure_moves_real_versions(void **state)
{
	struct doc d1, d2;
	json_t *a1, *a2, *moves, *m, *p;
	size_t k, changes = 0;

	(void)state;
	if (!doc_analyzed(&d1, &a1, CURSOR_DIR "/2025-02-18.md", "Cursor")) {
		skip();
		return;
	}
	if (!doc_analyzed(&d2, &a2, CURSOR_DIR "/2025-09-18.md", "Cursor")) {
		doc_free(&d1);
		skip();
		return;
	}
	cw_analyze_exposure_moves(&moves, a1, a2, NULL);
	json_array_foreach(json_object_get(a2, "provisions"), k, p)
	{
		json_t *o = cw_analyze_find(a1, jstr(p, "key"));
		for (int a = 0; o && a < CW_AUDIENCE_COUNT; a++) {
			const char *an = cw_audience_name(a);
			const char *l1 =
				jstr(json_object_get(json_object_get(o, "exposu"
									"re"),
						     an),
				     "level");
			const char *l2 =
				jstr(json_object_get(json_object_get(p, "exposu"
									"re"),
						     an),
				     "level");
			if (strcmp(l1 ? l1 : "low", l2 ? l2 : "low"))
				changes++;
		}
	}
	/* these two versions differ in several levels (checked on the corpus) */
	assert_true(changes > 0);
	assert_int_equal(json_array_size(moves), changes);
	json_array_foreach(moves, k, m)
	{
		json_t *o = cw_analyze_find(a1, jstr(m, "old_key"));
		json_t *n = cw_analyze_find(a2, jstr(m, "key"));
		const char *an = jstr(m, "audience");
		const char *l1 = jstr(
			json_object_get(json_object_get(o, "exposure"), an),
			"level");
		const char *l2 = jstr(
			json_object_get(json_object_get(n, "exposure"), an),
			"level");
		assert_string_equal(jstr(m, "from"), l1 ? l1 : "low");
		assert_string_equal(jstr(m, "to"), l2 ? l2 : "low");
		assert_true(cw_level_parse(jstr(m, "to")) >
					    cw_level_parse(jstr(m, "from"))
				    ? !strcmp(jstr(m, "direction"), "up")
				    : !strcmp(jstr(m, "direction"), "down"));
	}
	/* a version against itself moves nothing */
	json_decref(moves);
	cw_analyze_exposure_moves(&moves, a2, a2, NULL);
	assert_int_equal(json_array_size(moves), 0);
	json_decref(moves);
	doc_free(&d1);
	doc_free(&d2);
}

/* A templates file missing a required sentence is refused at load, with
 * the file and the field named. */
static void test_analyze_report__templates_validated(void **state)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_analyze_ctx *bad = NULL;
	char dir[] = "/tmp/cw-analyze-tpl-XXXXXX";
	char *p;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (const char *const *sub =
		     (const char *const[]){ "taxonomy", "regulations", "model",
					    NULL };
	     *sub; sub++) {
		char *to = cw_asprintf("%s/%s", dir, *sub);
		assert_int_equal(symlink(cw_test_data_subdir(*sub), to), 0);
		free(to);
	}
	p = cw_asprintf("%s/analysis", dir);
	assert_int_equal(cw_mkdir_p(p, NULL), CW_OK);
	free(p);
	p = cw_asprintf("%s/analysis/templates.json", dir);
	{
		const char *js = "{\"reading\": {\"category_explicit\": "
				 "\"x\"}}";
		assert_int_equal(cw_file_write_atomic(p, js, strlen(js), NULL),
				 CW_OK);
	}
	assert_int_equal(cw_analyze_ctx_new(&bad, dir, &err), CW_EPARSE);
	assert_null(bad);
	assert_non_null(strstr(err.msg, "templates.json"));
	assert_non_null(strstr(err.msg, "reading.category_inferred"));
	unlink(p);
	free(p);
	for (const char *const *sub =
		     (const char *const[]){ "taxonomy", "regulations", "model",
					    NULL };
	     *sub; sub++) {
		p = cw_asprintf("%s/%s", dir, *sub);
		unlink(p);
		free(p);
	}
	p = cw_asprintf("%s/analysis", dir);
	rmdir(p);
	free(p);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_analyze_report__stability_opt_out),
		cmocka_unit_test(
			test_analyze_report__stability_document_and_view),
		cmocka_unit_test(
			test_analyze_report__exposure_moves_real_versions),
		cmocka_unit_test(test_analyze_report__templates_validated),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
