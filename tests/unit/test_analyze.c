/*
 * Tests of the governance knowledge of the analyze module: the taxonomy
 * and regulations as data (loader and validator), rule-based detection,
 * parameters, exposure and interpretive notes, on the real Stability AI
 * Terms of Service (../shared/seeds) and on real documents of the corpus.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyze/meaning.h"
#include "analyze/notes.h"
#include "analyze/params.h"
#include "analyze/taxonomy.h"
#include "classify/classify.h"
#include "diff/diff.h"
#include "segment/segment.h"
#include "helpers.h"

#define STABILITY_SEED "seeds/002_7ae7b45475604c64.txt"

static struct cw_taxonomy *tax; /* loaded once from the real data */

CW_TEST_DATA_FIXTURE(tax, cw_taxonomy_load, cw_taxonomy_free, "", "taxonomy")

/* ---- loading the real data ---- */

static void test_analyze__taxonomy_loads_real_data(void **state)
{
	static const char *const claudette[] = { "mandatory_arbitration",
						 "unilateral_change",
						 "content_removal",
						 "jurisdiction",
						 "choice_of_law",
						 "limitation_of_liability",
						 "unilateral_termination",
						 "contract_by_using",
						 "privacy_policy_by_"
						 "reference" };
	static const char *const required[] = { "operator_end_user_"
						"responsibility",
						"acceptable_use",
						"automated_access",
						"api_key_non_transfer",
						"training_on_user_data",
						"input_output_ownership",
						"indemnification",
						"warranty_disclaimer",
						"class_action_waiver",
						"arbitration_opt_out",
						"eligibility_min_age",
						"account_security",
						"credits_and_refunds",
						"auto_renewal",
						"inactivity_deletion",
						"export_controls",
						"copyright_complaints",
						"feedback_licence",
						"confidentiality",
						"assignment",
						"severability",
						"force_majeure",
						"notices",
						"beta_features",
						"third_party_services",
						"content_licence_to_provider",
						"moderation",
						"suspension",
						"data_retention",
						"subprocessors" };
	struct cw_taxonomy_stats st;

	(void)state;
	cw_taxonomy_stats(&st, tax);
	assert_true(st.categories >= 40);
	assert_true(st.instruments >= 17);
	assert_true(st.verified <= st.articles);
	for (size_t i = 0; i < sizeof(claudette) / sizeof(*claudette); i++) {
		const struct cw_tax_category *c =
			cw_taxonomy_find(tax, claudette[i]);
		assert_non_null(c);
		assert_non_null(c->claudette);
	}
	for (size_t i = 0; i < sizeof(required) / sizeof(*required); i++)
		assert_non_null(cw_taxonomy_find(tax, required[i]));
	/* every category is complete and its references resolved */
	for (size_t i = 0; i < cw_taxonomy_count(tax); i++) {
		const struct cw_tax_category *c = cw_taxonomy_at(tax, i);
		assert_true(c->npatterns > 0);
		assert_true(c->nactions > 0);
		assert_true(strlen(c->definition) > 20);
		assert_non_null(c->exposure[CW_AUDIENCE_CONSUMER].means);
		assert_non_null(c->exposure[CW_AUDIENCE_OPERATOR].means);
		assert_int_equal(cw_taxonomy_index(tax, c), (long)i);
		for (size_t r = 0; r < c->nregs; r++) {
			assert_non_null(c->regs[r].inst);
			assert_non_null(c->regs[r].art);
		}
	}
	assert_null(cw_taxonomy_find(tax, "no_such_category"));
	/* what a clause means, per audience, for the categories the Stability
	   analysis needs */
	{
		static const char *const explained[] = { "mandatory_"
							 "arbitration",
							 "limitation_of_"
							 "liability",
							 "operator_end_user_"
							 "responsibility",
							 "automated_access",
							 "api_key_non_transfer",
							 "eligibility_min_age",
							 "choice_of_law",
							 "jurisdiction" };
		for (size_t i = 0; i < sizeof(explained) / sizeof(*explained);
		     i++) {
			const struct cw_tax_category *c =
				cw_taxonomy_find(tax, explained[i]);
			assert_non_null(
				c->exposure[CW_AUDIENCE_CONSUMER].means);
			assert_non_null(
				c->exposure[CW_AUDIENCE_OPERATOR].means);
		}
	}
}

/*
 * The clause classifier's categories are CLAUDETTE codes; the taxonomy
 * names them. Each of the nine codes has its category in the real
 * taxonomy, and that category carries the code back.
 */
static void test_analyze__claudette_ids(void **state)
{
	(void)state;
	for (int c = 0; c < CW_CLASSIFY_NCAT; c++) {
		const char *code = cw_classify_cat_code(c);
		const char *id = cw_taxonomy_claudette_id(code);
		const struct cw_tax_category *cat = cw_taxonomy_find(tax, id);

		assert_non_null(id);
		assert_non_null(cat);
		assert_non_null(cat->claudette);
		assert_string_equal(cat->claudette, code);
	}
	assert_string_equal(
		cw_taxonomy_claudette_id(cw_classify_cat_code(CW_CLASSIFY_A)),
		"mandatory_arbitration");
	assert_string_equal(cw_taxonomy_claudette_id(
				    cw_classify_cat_code(CW_CLASSIFY_PINC)),
			    "privacy_policy_by_reference");
	assert_null(cw_taxonomy_claudette_id("nope"));
	assert_null(cw_taxonomy_claudette_id("mandatory_arbitration"));
	assert_null(cw_taxonomy_claudette_id(NULL));
}

static void test_analyze__regulation_lookup(void **state)
{
	const struct cw_tax_instrument *dsa, *aia, *gdpr;
	const struct cw_tax_article *a;
	bool staged_2025_08 = false;

	(void)state;
	dsa = cw_taxonomy_instrument(tax, "eu_dsa");
	assert_non_null(dsa);
	assert_string_equal(dsa->applies_from, "2024-02-17");
	a = cw_taxonomy_article(tax, "eu_dsa", "14");
	assert_non_null(a);
	assert_true(a->verified);
	aia = cw_taxonomy_instrument(tax, "eu_ai_act");
	assert_non_null(aia);
	assert_string_equal(aia->in_force, "2024-08-01");
	for (size_t i = 0; i < aia->nstages; i++)
		staged_2025_08 |= !strcmp(aia->stages[i].date, "2025-08-02");
	assert_true(staged_2025_08);
	a = cw_taxonomy_article(tax, "eu_ai_act", "50");
	assert_non_null(a);
	assert_string_equal(a->applies_from, "2026-08-02");
	gdpr = cw_taxonomy_instrument(tax, "eu_gdpr");
	assert_string_equal(gdpr->applies_from, "2018-05-25");
	assert_non_null(cw_taxonomy_article(tax, "us_faa", "§2"));
	assert_non_null(cw_taxonomy_article(tax, "us_ca_arl", "§17602"));
	assert_null(cw_taxonomy_article(tax, "eu_dsa", "9999"));
	/* dates decide whether a duty applies; the times are fixed here */
	{
		time_t before, after;
		assert_int_equal(cw_time_parse_iso("2025-01-01", &before),
				 CW_OK);
		assert_int_equal(cw_time_parse_iso("2026-09-01", &after),
				 CW_OK);
		a = cw_taxonomy_article(tax, "eu_ai_act", "50");
		assert_string_equal(cw_taxonomy_applies_from(aia, a), "2026-08-"
								      "02");
		assert_int_equal(cw_taxonomy_in_effect(aia, a, before), 0);
		assert_int_equal(cw_taxonomy_in_effect(aia, a, after), 1);
		a = cw_taxonomy_article(tax, "eu_ai_act", "5");
		assert_int_equal(cw_taxonomy_in_effect(aia, a, before), 0);
		a = cw_taxonomy_article(tax, "eu_dsa", "14");
		assert_string_equal(cw_taxonomy_applies_from(dsa, a), "2024-02-"
								      "17");
		assert_int_equal(cw_taxonomy_in_effect(dsa, a, before), 1);
		/* OSA section 72(1) binds every user-to-user service from
		   10 January 2024 (legislation.gov.uk); section 71 waits for
		   the category register: unknown */
		assert_int_equal(
			cw_taxonomy_in_effect(
				cw_taxonomy_instrument(tax, "uk_osa"),
				cw_taxonomy_article(tax, "uk_osa", "s.72"),
				before),
			1);
		assert_int_equal(
			cw_taxonomy_in_effect(
				cw_taxonomy_instrument(tax, "uk_osa"),
				cw_taxonomy_article(tax, "uk_osa", "s.71"),
				after),
			-1);
		/* the AI Act's definitions are Chapter I: from 2 February 2025,
		   not the general date */
		a = cw_taxonomy_article(tax, "eu_ai_act", "3");
		assert_string_equal(cw_taxonomy_applies_from(aia, a), "2025-02-"
								      "02");
		/* the FAA's chapter 4 reaches disputes from 3 March 2022 */
		a = cw_taxonomy_article(tax, "us_faa", "§402");
		assert_string_equal(
			cw_taxonomy_applies_from(
				cw_taxonomy_instrument(tax, "us_faa"), a),
			"2022-03-03");
	}
	/* a verified number names the page it was checked against; an
	   unverified one carries no source */
	for (size_t i = 0; i < cw_taxonomy_instrument_count(tax); i++) {
		const struct cw_tax_instrument *in =
			cw_taxonomy_instrument_at(tax, i);
		for (size_t k = 0; k < in->narticles; k++) {
			const struct cw_tax_article *x = &in->articles[k];
			if (x->verified)
				assert_true(cw_str_startswith(x->source, "htt"
									 "p"));
		}
	}
	assert_null(cw_taxonomy_instrument(tax, "nope"));
	/* instruments iterate in id order */
	for (size_t i = 1; i < cw_taxonomy_instrument_count(tax); i++)
		assert_true(strcmp(cw_taxonomy_instrument_at(tax, i - 1)->id,
				   cw_taxonomy_instrument_at(tax, i)->id) < 0);
}

/* ---- the validator, on fixtures we wrote ---- */

static int copy_file(const char *from, const char *to)
{
	struct cw_buf b = CW_BUF_INIT;
	int rc = cw_file_read(&b, from, 1u << 20, NULL);

	if (!rc)
		rc = cw_file_write_atomic(to, b.ptr, b.len, NULL);
	cw_buf_release(&b);
	return rc;
}

/* A data dir in a temporary folder: the mini fixtures plus `bad`. */
static char *make_data_dir(const char *tests, const char *bad)
{
	char tmpl[] = "/tmp/cw_test_analyze_XXXXXX";
	char *dir = cw_strdup(mkdtemp(tmpl));
	char *p, *q;

	p = cw_asprintf("%s/regulations", dir);
	assert_int_equal(cw_mkdir_p(p, NULL), CW_OK);
	free(p);
	p = cw_asprintf("%s/taxonomy/categories", dir);
	assert_int_equal(cw_mkdir_p(p, NULL), CW_OK);
	free(p);
	p = cw_asprintf("%s/data/analyze/mini/regulations/mini_reg.json",
			tests);
	q = cw_asprintf("%s/regulations/mini_reg.json", dir);
	assert_int_equal(copy_file(p, q), CW_OK);
	free(p);
	free(q);
	p = cw_asprintf("%s/data/analyze/mini/taxonomy/lexicon.json", tests);
	q = cw_asprintf("%s/taxonomy/lexicon.json", dir);
	assert_int_equal(copy_file(p, q), CW_OK);
	free(p);
	free(q);
	p = cw_asprintf("%s/data/analyze/bad/%s", tests, bad);
	/* reg_*.json fixtures are instruments, loaded before any category
	   (so their error comes first) */
	q = cw_str_startswith(bad, "reg_")
		    ? cw_asprintf("%s/regulations/%s", dir, bad)
		    : cw_asprintf("%s/taxonomy/categories/%s", dir, bad);
	assert_int_equal(copy_file(p, q), CW_OK);
	free(p);
	free(q);
	return dir;
}

static void remove_data_dir(const char *dir, const char *bad)
{
	char *p;
	p = cw_asprintf("%s/taxonomy/categories/%s", dir, bad);
	unlink(p);
	free(p);
	p = cw_asprintf("%s/regulations/%s", dir, bad);
	unlink(p);
	free(p);
	p = cw_asprintf("%s/taxonomy/lexicon.json", dir);
	unlink(p);
	free(p);
	p = cw_asprintf("%s/regulations/mini_reg.json", dir);
	unlink(p);
	free(p);
	static const char *const dirs[] = { "taxonomy/categories", "taxonomy",
					    "regulations", "" };
	for (size_t i = 0; i < 4; i++) {
		p = cw_asprintf("%s/%s", dir, dirs[i]);
		rmdir(p);
		free(p);
	}
}

static void test_analyze__validator_names_file_and_field(void **state)
{
	static const struct {
		const char *file, *expect;
	} cases[] = {
		{ "bad_level.json", "bad_level.json': "
				    "categories[1].exposure.consumer.base: "
				    "expected one of low, medium, high" },
		{ "bad_ref.json", "bad_ref.json': category 'test_cat': "
				  "regulations[0].article: "
				  "'mini_reg' has no article '99'" },
		{ "bad_instrument.json", "regulations[0].instrument: no "
					 "instrument 'no_such_law'" },
		{ "bad_regex.json", "bad_regex.json': "
				    "categories[0].detect.patterns[0].re: bad "
				    "pattern at offset" },
		{ "bad_param.json", "categories[0].params[0]: unknown "
				    "parameter 'liability_kap'" },
		{ "unknown_field.json", "categories[0].definiton: unknown "
					"field" },
		{ "bad_effect.json", "categories[0].exposure.operator."
				     "modifiers[0].effect: expected "
				     "an integer from -2 to 2" },
		{ "bad_claudette.json", "categories[0].claudette: code 'a' "
					"belongs to category "
					"'mandatory_arbitration', not "
					"'test_cat'" },
		{ "dup_id.json", "category 'test_cat' is also defined" },
		{ "bad_syntax.json", "bad_syntax.json':3:" },
		{ "bad_upper.json", "categories[0].detect.patterns[0].re: "
				    "upper-case letter at "
				    "offset 2" },
		{ "reg_no_source.json", "reg_no_source.json': "
					"articles[0].source: required when "
					"verified is true" },
		{ "reg_bad_source.json", "reg_bad_source.json': "
					 "articles[1].source: expected an "
					 "http(s):// address" },
		{ "bad_severity.json", "categories[0].severity: expected one "
				       "of clearly_fair, "
				       "potentially_unfair, clearly_unfair" },
		/* a valid file still lacks the nine CLAUDETTE categories */
		{ "good.json", "CLAUDETTE category 'mandatory_arbitration'" },
	};
	const char *tests = cw_test_tests_dir();

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct cw_err err = CW_ERR_INIT;
		struct cw_taxonomy *t = (struct cw_taxonomy *)1;
		char *dir = make_data_dir(tests, cases[i].file);
		int rc = cw_taxonomy_load(&t, dir, &err);

		if (!strstr(err.msg, cases[i].expect))
			fprintf(stderr, "case %s: got \"%s\"\n", cases[i].file,
				err.msg);
		assert_int_not_equal(rc, CW_OK);
		assert_null(t);
		assert_int_equal(err.rc, rc);
		assert_non_null(strstr(err.msg, cases[i].expect));
		remove_data_dir(dir, cases[i].file);
		free(dir);
	}
}

/* ---- helpers over a segmented document ---- */

struct doc {
	struct cw_buf text;
	struct cw_segmentation *seg;
};

static bool doc_load(struct doc *d, const char *rel)
{
	return cw_test_read_segmented(&d->text, &d->seg, rel);
}

static void doc_free(struct doc *d)
{
	cw_segment_free(d->seg);
	cw_buf_release(&d->text);
}

static const struct cw_provision *prov(const struct doc *d, const char *key)
{
	long i = cw_segment_find(d->seg, key);
	if (i < 0)
		fprintf(stderr, "no provision '%s'\n", key);
	assert_true(i >= 0);
	return &d->seg->items[i];
}

/* Is `id` among the categories the rules detect in provision `key`? */
static const struct cw_tax_match *detect_in(struct cw_tax_matches *m,
					    const struct doc *d,
					    const char *key, const char *id)
{
	const struct cw_provision *p = prov(d, key);

	cw_tax_matches_release(m);
	assert_int_equal(cw_taxonomy_detect(m, tax, p->title,
					    d->text.ptr + p->start,
					    p->end - p->start, NULL),
			 CW_OK);
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->items[i].cat->id, id))
			return &m->items[i];
	fprintf(stderr, "'%s' not detected in '%s'\n", id, key);
	return NULL;
}

/* Parameters of category `id` in provision `key`. */
static void params_in(struct cw_params *out, const struct doc *d,
		      const char *key, const char *id)
{
	const struct cw_provision *p = prov(d, key);

	cw_params_release(out);
	assert_int_equal(cw_params_for_category(out, cw_taxonomy_find(tax, id),
						d->text.ptr + p->start,
						p->end - p->start, p->start,
						NULL),
			 CW_OK);
}

static const struct cw_param *param_value(const struct cw_params *ps, int kind,
					  const char *value)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->items[i].kind == kind &&
		    (!value || !strcmp(ps->items[i].value, value)))
			return &ps->items[i];
	fprintf(stderr, "no %s = %s among %zu parameters:\n",
		cw_params_kind_name(kind), value ? value : "*", ps->n);
	for (size_t i = 0; i < ps->n; i++)
		fprintf(stderr, "  %s = %s\n",
			cw_params_kind_name(ps->items[i].kind),
			ps->items[i].value);
	return NULL;
}

/* The match of category `id` in provision `key`, which must be there. */
static const struct cw_tax_match *detected(struct cw_tax_matches *m,
					   const struct doc *d, const char *key,
					   const char *id)
{
	const struct cw_tax_match *hit = detect_in(m, d, key, id);

	assert_non_null(hit);
	return hit;
}

/* The parameter `kind` = `value` (any value when NULL) of category `id` in
 * provision `key`, which must be there. */
static const struct cw_param *param_of(struct cw_params *ps,
				       const struct doc *d, const char *key,
				       const char *id, int kind,
				       const char *value)
{
	const struct cw_param *p;

	params_in(ps, d, key, id);
	p = param_value(ps, kind, value);
	assert_non_null(p);
	return p;
}

/* The rating of category `cat` for `audience` on provision `key`. */
static void rate_in(struct cw_tax_rating *r, const struct cw_tax_category *cat,
		    int audience, const struct doc *d, const char *key)
{
	const struct cw_provision *p = prov(d, key);

	assert_int_equal(cw_taxonomy_rate(r, cat, audience,
					  d->text.ptr + p->start,
					  p->end - p->start, NULL),
			 CW_OK);
}

static bool has_reg(const struct cw_tax_category *c, const char *inst,
		    const char *art)
{
	for (size_t i = 0; i < c->nregs; i++)
		if (!strcmp(c->regs[i].instrument, inst) &&
		    (!art || !strcmp(c->regs[i].article, art)))
			return true;
	return false;
}

/* The span of a parameter must hold the words it was read from. */
static void assert_span_has(const struct doc *d, const struct cw_param *p,
			    const char *needle)
{
	char *span;

	assert_true(p->start < p->end);
	assert_true(p->end <= d->text.len);
	span = cw_strndup(d->text.ptr + p->start, p->end - p->start);
	if (!strcasestr(span, needle))
		fprintf(stderr, "span '%s' lacks '%s'\n", span, needle);
	assert_non_null(strcasestr(span, needle));
	free(span);
}

/* ---- the Stability AI Terms of Service, read for an operator ---- */

static void test_analyze__stability_operator(void **state)
{
	struct cw_tax_matches m = CW_TAX_MATCHES_INIT;
	struct cw_params ps = CW_PARAMS_INIT;
	const struct cw_tax_match *hit;
	const struct cw_param *p;
	struct cw_tax_rating r;
	struct doc d;

	(void)state;
	if (!doc_load(&d, STABILITY_SEED)) {
		skip();
		return;
	}

	/* arbitration: NAM as forum, its rules, the 30-day opt-out by
	   email, the informal period and the mass-arbitration threshold */
	assert_non_null(detect_in(&m, &d, "13.a", "mandatory_arbitration"));
	hit = detected(&m, &d, "13.d", "mandatory_arbitration");
	p = param_of(&ps, &d, "13.d", "mandatory_arbitration",
		     CW_PARAM_ARBITRATION_BODY, "NAM");
	assert_string_equal(p->detail, "National Arbitration and Mediation");
	assert_span_has(&d, p, "National Arbitration");
	p = param_value(&ps, CW_PARAM_ARBITRATION_RULES, NULL);
	assert_non_null(p);
	assert_non_null(strstr(p->value, "Comprehensive Dispute Resolution"));
	assert_true(has_reg(cw_taxonomy_find(tax, "mandatory_arbitration"),
			    "us_faa", "§2"));
	assert_true(has_reg(cw_taxonomy_find(tax, "mandatory_arbitration"),
			    "eu_uctd", "Annex 1(q)"));

	assert_non_null(detect_in(&m, &d, "13.b", "arbitration_opt_out"));
	p = param_of(&ps, &d, "13.b", "arbitration_opt_out",
		     CW_PARAM_OPT_OUT_WINDOW, "30 days");
	assert_true(p->number == 30);
	assert_string_equal(p->unit, "days");
	assert_span_has(&d, p, "within 30 days");
	p = param_value(&ps, CW_PARAM_OPT_OUT_METHOD,
			"email to legal@stability.ai");
	assert_non_null(p);
	assert_span_has(&d, p, "legal@stability.ai");

	/* the whole dispute section gives the same facts */
	params_in(&ps, &d, "13", "informal_dispute_resolution");
	assert_non_null(param_value(&ps, CW_PARAM_INFORMAL_RESOLUTION_PERIOD,
				    "60 days"));
	params_in(&ps, &d, "13", "mass_arbitration");
	assert_non_null(param_value(&ps, CW_PARAM_MASS_ARBITRATION_THRESHOLD,
				    "25 claimants"));
	assert_non_null(detect_in(&m, &d, "13.g", "class_action_waiver"));

	/* the $100-or-six-months cap */
	hit = detected(&m, &d, "11", "limitation_of_liability");
	assert_true(hit->explicit_text);
	p = param_of(&ps, &d, "11", "limitation_of_liability",
		     CW_PARAM_LIABILITY_CAP,
		     "greater of USD 100 or fees paid in the 6 months");
	assert_true(p->number == 100);
	assert_string_equal(p->unit, "USD");
	assert_true(p->number2 == 6);
	assert_string_equal(p->unit2, "months");
	assert_span_has(&d, p, "$100");
	assert_span_has(&d, p, "SIX MONTHS");
	assert_true(has_reg(hit->cat, "uk_cra", "s.65"));
	assert_true(has_reg(hit->cat, "eu_uctd", "Annex 1(b)"));
	assert_non_null(detect_in(&m, &d, "11", "warranty_disclaimer"));
	assert_non_null(detect_in(&m, &d, "11", "indemnification"));

	/* 18+ */
	hit = detected(&m, &d, "2.a", "eligibility_min_age");
	p = param_of(&ps, &d, "2.a", "eligibility_min_age", CW_PARAM_MIN_AGE,
		     "18 years");
	assert_true(p->number == 18);
	assert_true(has_reg(hit->cat, "eu_gdpr", "8"));
	assert_true(has_reg(hit->cat, "us_coppa", NULL));

	/* California law, Los Angeles courts (exclusive) */
	hit = detected(&m, &d, "13.j", "choice_of_law");
	assert_true(has_reg(hit->cat, "eu_rome_i", "6"));
	p = param_of(&ps, &d, "13.j", "choice_of_law", CW_PARAM_GOVERNING_LAW,
		     "California");
	assert_span_has(&d, p, "governed by");
	hit = detected(&m, &d, "13.j", "jurisdiction");
	assert_true(has_reg(hit->cat, "eu_brussels_ia", "18"));
	p = param_of(&ps, &d, "13.j", "jurisdiction", CW_PARAM_FORUM,
		     "Los Angeles, California");
	assert_string_equal(p->detail, "exclusive");

	/* bans on automated access and on transferring API keys */
	hit = detected(&m, &d, "3.b", "automated_access");
	assert_true(hit->explicit_text);
	assert_true(has_reg(hit->cat, "us_cfaa", NULL));
	{
		char *span = cw_strndup(d.text.ptr + prov(&d, "3.b")->start +
						hit->start,
					hit->end - hit->start);
		assert_true(strcasestr(span, "scrape") ||
			    strcasestr(span, "crawl"));
		free(span);
	}
	hit = detected(&m, &d, "3.b", "api_key_non_transfer");
	assert_true(hit->explicit_text);
	rate_in(&r, hit->cat, CW_AUDIENCE_OPERATOR, &d, "3.b");
	assert_int_equal(r.level, CW_LEVEL_MEDIUM);
	assert_int_equal(r.basis, CW_EVIDENCE_EXPLICIT);
	cw_tax_rating_release(&r);

	/* the operator answers for its end users' inputs */
	hit = detected(&m, &d, "4.a", "operator_end_user_responsibility");
	assert_true(has_reg(hit->cat, "eu_ai_act", "25"));
	assert_true(has_reg(hit->cat, "eu_dsa", "16"));
	assert_true(has_reg(hit->cat, "uk_osa", "s.10"));
	assert_true(has_reg(hit->cat, "us_cda_230", NULL));
	{
		rate_in(&r, hit->cat, CW_AUDIENCE_OPERATOR, &d, "4.a");
		assert_int_equal(r.level, CW_LEVEL_HIGH);
		/* the "Inputs" modifier fired, with its span */
		bool inputs = false;
		for (size_t i = 0; i < r.napplied; i++)
			inputs |= strstr(r.applied[i].mod->why, "content") &&
				  r.applied[i].end > r.applied[i].start;
		assert_true(inputs);
		cw_tax_rating_release(&r);
		/* a consumer reads the same clause as low exposure */
		rate_in(&r, hit->cat, CW_AUDIENCE_CONSUMER, &d, "4.a");
		assert_int_equal(r.level, CW_LEVEL_LOW);
		cw_tax_rating_release(&r);
	}
	assert_non_null(
		detect_in(&m, &d, "2.b", "operator_end_user_responsibility"));

	/* training on inputs, with an opt-out; credits expire; inactivity */
	params_in(&ps, &d, "4.c", "training_on_user_data");
	assert_non_null(param_value(&ps, CW_PARAM_TRAINING_ON_INPUTS, "yes"));
	assert_non_null(
		param_value(&ps, CW_PARAM_TRAINING_OPT_OUT, "available"));
	params_in(&ps, &d, "7.d", "credits_and_refunds");
	assert_non_null(param_value(&ps, CW_PARAM_CREDIT_EXPIRY, "1 year"));
	params_in(&ps, &d, "12.e", "inactivity_deletion");
	assert_non_null(param_value(&ps, CW_PARAM_INACTIVITY_PERIOD, "1 year"));
	params_in(&ps, &d, "12.e", "unilateral_termination");
	assert_non_null(
		param_value(&ps, CW_PARAM_TERMINATION_NOTICE, "no notice"));

	cw_params_release(&ps);
	cw_tax_matches_release(&m);
	doc_free(&d);
}

/* Every provision with a body gets at least one category. */
static void test_analyze__stability_every_provision_categorised(void **state)
{
	struct cw_tax_matches m = CW_TAX_MATCHES_INIT;
	size_t leaves = 0;
	struct doc d;

	(void)state;
	if (!doc_load(&d, STABILITY_SEED)) {
		skip();
		return;
	}
	for (size_t i = 0; i < d.seg->n; i++) {
		const struct cw_provision *p = &d.seg->items[i];
		bool leaf = i + 1 >= d.seg->n ||
			    d.seg->items[i + 1].parent != (long)i;
		if (!leaf)
			continue;
		leaves++;
		cw_tax_matches_release(&m);
		assert_int_equal(cw_taxonomy_detect(&m, tax, p->title,
						    d.text.ptr + p->start,
						    p->end - p->start, NULL),
				 CW_OK);
		if (m.n == 0)
			fprintf(stderr, "no category for '%s'\n", p->key);
		assert_true(m.n > 0);
		/* sorted by score, spans inside the provision */
		for (size_t k = 0; k < m.n; k++) {
			assert_true(m.items[k].score >=
				    m.items[k].cat->min_score);
			assert_true(m.items[k].end <= p->end - p->start);
			if (k)
				assert_true(m.items[k - 1].score >=
					    m.items[k].score);
		}
	}
	assert_true(leaves > 40);
	cw_tax_matches_release(&m);
	doc_free(&d);
}

/* The document types the notes tests track. */
static const char *const notes_tracked[] = { "Terms of Service", "Privacy "
								 "Policy" };

/* The notes of provision `key` into `n`; returns the provision. */
static const struct cw_provision *notes_at(struct cw_notes *n,
					   const struct doc *d, const char *key)
{
	const struct cw_provision *p = prov(d, key);

	assert_int_equal(cw_notes_find(n, tax, d->text.ptr, d->text.len,
				       p->start, p->end, d->seg, notes_tracked,
				       2, NULL),
			 CW_OK);
	return p;
}

static void test_analyze__stability_notes(void **state)
{
	struct cw_notes n = CW_NOTES_INIT;
	const struct cw_provision *p;
	bool promptly = false, aup = false, privacy = false, discretion = false;
	struct doc d;

	(void)state;
	if (!doc_load(&d, STABILITY_SEED)) {
		skip();
		return;
	}
	p = notes_at(&n, &d, "2.b");
	for (size_t i = 0; i < n.n; i++)
		promptly |= n.items[i].kind == CW_NOTE_VAGUE &&
			    !strcmp(n.items[i].term->term, "promptly") &&
			    !n.items[i].resolved;
	assert_true(promptly);
	cw_notes_release(&n);

	p = notes_at(&n, &d, "preamble");
	for (size_t i = 0; i < n.n; i++) {
		if (n.items[i].kind != CW_NOTE_UNTRACKED)
			continue;
		aup |= !strcmp(n.items[i].doc_type, "Acceptable Use Policy");
		privacy |= !strcmp(n.items[i].doc_type, "Privacy Policy");
		assert_true(n.items[i].start >= p->start &&
			    n.items[i].end <= p->end);
	}
	assert_true(aup);      /* not tracked: an evidence gap */
	assert_false(privacy); /* tracked: no note */
	cw_notes_release(&n);

	/* the per-document memo gives the same notes as the one-shot call */
	{
		struct cw_notes_doc *nd;
		assert_int_equal(cw_notes_doc_new(&nd, tax, d.text.ptr,
						  d.text.len, d.seg, NULL),
				 CW_OK);
		for (size_t i = 0; i < d.seg->n; i++) {
			const struct cw_provision *q = &d.seg->items[i];
			struct cw_notes a = CW_NOTES_INIT, b = CW_NOTES_INIT;
			assert_int_equal(cw_notes_find_in(&a, nd, q->start,
							  q->end, notes_tracked,
							  2, NULL),
					 CW_OK);
			assert_int_equal(cw_notes_find(&b, tax, d.text.ptr,
						       d.text.len, q->start,
						       q->end, d.seg,
						       notes_tracked, 2, NULL),
					 CW_OK);
			assert_int_equal(a.n, b.n);
			for (size_t k = 0; k < a.n; k++) {
				assert_int_equal(a.items[k].start,
						 b.items[k].start);
				assert_int_equal(a.items[k].resolved,
						 b.items[k].resolved);
			}
			cw_notes_release(&a);
			cw_notes_release(&b);
		}
		cw_notes_doc_free(nd);
	}

	p = notes_at(&n, &d, "12.b");
	for (size_t i = 0; i < n.n; i++)
		discretion |= n.items[i].kind == CW_NOTE_VAGUE &&
			      !strcmp(n.items[i].term->type, "discretion");
	assert_true(discretion);
	cw_notes_release(&n);
	doc_free(&d);
}

/*
 * The acceptable-use excerpt quoted in a commercial analysis page (seed
 * 001, the only line that opens with a quotation mark): operator
 * responsibility for end users, rated high for an operator, and the
 * undefined "appropriate controls" standard flagged, as that page does.
 */
static void test_analyze__seed_operator_controls(void **state)
{
	struct cw_tax_matches m = CW_TAX_MATCHES_INIT;
	struct cw_notes n = CW_NOTES_INIT;
	const struct cw_tax_match *hit = NULL;
	struct cw_tax_rating r;
	struct cw_buf b = CW_BUF_INIT;
	const char *start, *end;
	size_t ps, pe;
	bool controls_note = false, controls_mod = false;

	(void)state;
	if (!cw_test_read_shared(&b, "seeds/001_f116213d6b0cb2d6.txt")) {
		skip();
		return;
	}
	start = strstr(b.ptr, "\n\"");
	assert_non_null(start);
	start++;
	end = strchr(start, '\n');
	ps = (size_t)(start - b.ptr);
	pe = end ? (size_t)(end - b.ptr) : b.len;
	assert_int_equal(cw_taxonomy_detect(&m, tax, NULL, b.ptr + ps, pe - ps,
					    NULL),
			 CW_OK);
	for (size_t i = 0; i < m.n; i++)
		if (!strcmp(m.items[i].cat->id, "operator_end_user_"
						"responsibility"))
			hit = &m.items[i];
	assert_non_null(hit);
	assert_true(hit->explicit_text);
	assert_int_equal(cw_taxonomy_rate(&r, hit->cat, CW_AUDIENCE_OPERATOR,
					  b.ptr + ps, pe - ps, NULL),
			 CW_OK);
	assert_int_equal(r.level, CW_LEVEL_HIGH);
	for (size_t i = 0; i < r.napplied; i++)
		controls_mod |= strstr(r.applied[i].mod->why, "control") !=
				NULL;
	assert_true(controls_mod);
	cw_tax_rating_release(&r);
	assert_int_equal(cw_notes_find(&n, tax, b.ptr, b.len, ps, pe, NULL,
				       NULL, 0, NULL),
			 CW_OK);
	for (size_t i = 0; i < n.n; i++)
		controls_note |= n.items[i].kind == CW_NOTE_VAGUE &&
				 !strcmp(n.items[i].term->term, "appropriate "
								"controls") &&
				 !n.items[i].resolved;
	assert_true(controls_note);
	cw_notes_release(&n);
	cw_tax_matches_release(&m);
	cw_buf_release(&b);
}

/* ---- other real documents ---- */

static void test_analyze__corpus_documents(void **state)
{
	struct cw_params ps = CW_PARAMS_INIT;
	struct cw_tax_matches m = CW_TAX_MATCHES_INIT;
	const struct cw_param *p;
	struct doc d;
	int done = 0;

	(void)state;
	/* Cursor: AAA arbitration with a 30-day opt-out by email, a cap of
	   USD 100 or six months of fees, California law, San Francisco */
	if (doc_load(&d, "corpus/versions/Cursor/Terms of "
			 "Service/2025-09-18.md")) {
		assert_non_null(
			detect_in(&m, &d, "16.1", "mandatory_arbitration"));
		params_in(&ps, &d, "16", "mandatory_arbitration");
		assert_non_null(
			param_value(&ps, CW_PARAM_ARBITRATION_BODY, "AAA"));
		params_in(&ps, &d, "16.1", "arbitration_opt_out");
		assert_non_null(
			param_value(&ps, CW_PARAM_OPT_OUT_WINDOW, "30 days"));
		assert_non_null(param_value(&ps, CW_PARAM_OPT_OUT_METHOD,
					    "email to legal@cursor.com"));
		params_in(&ps, &d, "15", "limitation_of_liability");
		p = param_value(&ps, CW_PARAM_LIABILITY_CAP, NULL);
		assert_non_null(p);
		assert_true(p->number == 100 && p->number2 == 6);
		params_in(&ps, &d, "2", "eligibility_min_age");
		assert_non_null(param_value(&ps, CW_PARAM_MIN_AGE, "18 years"));
		params_in(&ps, &d, "17", "choice_of_law");
		assert_non_null(
			param_value(&ps, CW_PARAM_GOVERNING_LAW, "California"));
		params_in(&ps, &d, "17", "jurisdiction");
		assert_non_null(param_value(&ps, CW_PARAM_FORUM,
					    "San Francisco, California"));
		/* the model-training promise reads as "no" */
		params_in(&ps, &d, "1.3", "training_on_user_data");
		assert_non_null(
			param_value(&ps, CW_PARAM_TRAINING_ON_INPUTS, "no"));
		doc_free(&d);
		done++;
	}
	/* ChatGPT (European terms): the law of the user's residence, age 13,
	   a business cap of USD 100 or twelve months of fees */
	if (doc_load(&d, "corpus/versions/ChatGPT/Terms of "
			 "Service/2025-11-07.md")) {
		const char *age = "europe-terms-of-use.registration-and-access."
				  "minimum-age";
		params_in(&ps, &d, age, "eligibility_min_age");
		assert_non_null(param_value(&ps, CW_PARAM_MIN_AGE, "13 years"));
		params_in(&ps, &d,
			  "europe-terms-of-use.general-terms.governing-law",
			  "choice_of_law");
		assert_non_null(param_value(&ps, CW_PARAM_GOVERNING_LAW,
					    "law of the user's place of "
					    "residence"));
		params_in(&ps, &d,
			  "europe-terms-of-use.business-use-of-the-services-"
			  "addendum.limitation-of-liability",
			  "limitation_of_liability");
		p = param_value(&ps, CW_PARAM_LIABILITY_CAP, NULL);
		assert_non_null(p);
		assert_true(p->number == 100 && p->number2 == 12);
		doc_free(&d);
		done++;
	}
	/* Llama API acceptable use policy: provenance marks and disclosure to
	   end users read as the AI-output disclosure category, which the AI
	   Act's transparency article touches from August 2026 */
	if (doc_load(&d, "corpus/versions/Llama API/Acceptable Use Policy/"
			 "2026-08-18.md")) {
		const struct cw_tax_match *hit = NULL;
		cw_tax_matches_release(&m);
		assert_int_equal(cw_taxonomy_detect(&m, tax, NULL, d.text.ptr,
						    d.text.len, NULL),
				 CW_OK);
		for (size_t i = 0; i < m.n; i++)
			if (!strcmp(m.items[i].cat->id, "ai_output_disclosure"))
				hit = &m.items[i];
		assert_non_null(hit);
		assert_true(hit->explicit_text);
		assert_true(has_reg(hit->cat, "eu_ai_act", "50"));
		assert_string_equal(cw_taxonomy_article(tax, "eu_ai_act", "50")
					    ->applies_from,
				    "2026-08-02");
		doc_free(&d);
		done++;
	}
	if (!done)
		skip();
	cw_tax_matches_release(&m);
	cw_params_release(&ps);
}

/* ---- parameters, exposure and notes on sentences we wrote ---- */

static void test_analyze__params_own_sentences(void **state)
{
	static const char cap[] = "In no event shall our total liability "
				  "exceed the lesser of "
				  "\xe2\x82\xac"
				  "500 or the fees you paid to us during the "
				  "twelve (12) "
				  "months preceding the claim.";
	static const char age[] = "You must be at least sixteen (16) years of "
				  "age. Notice must "
				  "be given at least 30 days before renewal.";
	static const char optout[] = "To opt out of arbitration, send a letter "
				     "by certified mail "
				     "within forty-five days after you first "
				     "accept these terms.";
	static const char inactive[] = "Accounts may be closed after 24 months "
				       "of inactivity, and we "
				       "may change these terms with 15 days' "
				       "prior written notice.";
	struct cw_params ps = CW_PARAMS_INIT;
	const struct cw_param *p;
	int k;

	(void)state;
	k = CW_PARAM_LIABILITY_CAP;
	assert_int_equal(cw_params_extract(&ps, cap, strlen(cap), 1000, &k, 1,
					   NULL),
			 CW_OK);
	p = param_value(&ps, k,
			"lesser of EUR 500 or fees paid in the 12 months");
	assert_non_null(p);
	assert_string_equal(p->detail, "lesser of");
	assert_true(p->start >= 1000); /* spans carry the base offset */
	cw_params_release(&ps);

	assert_int_equal(cw_params_extract(&ps, age, strlen(age), 0, NULL, 0,
					   NULL),
			 CW_OK);
	assert_non_null(param_value(&ps, CW_PARAM_MIN_AGE, "16 years"));
	/* "at least 30 days" is not an age */
	assert_null(param_value(&ps, CW_PARAM_MIN_AGE, "30 years"));
	cw_params_release(&ps);

	assert_int_equal(cw_params_extract(&ps, optout, strlen(optout), 0, NULL,
					   0, NULL),
			 CW_OK);
	p = param_value(&ps, CW_PARAM_OPT_OUT_WINDOW, "45 days");
	assert_non_null(p);
	assert_non_null(param_value(&ps, CW_PARAM_OPT_OUT_METHOD, "mail"));
	cw_params_release(&ps);

	assert_int_equal(cw_params_extract(&ps, inactive, strlen(inactive), 0,
					   NULL, 0, NULL),
			 CW_OK);
	assert_non_null(
		param_value(&ps, CW_PARAM_INACTIVITY_PERIOD, "24 months"));
	p = param_value(&ps, CW_PARAM_CHANGE_NOTICE, "15 days");
	assert_non_null(p);
	cw_params_release(&ps);

	assert_int_equal(cw_params_number_word("thirty", 6), 30);
	assert_int_equal(cw_params_number_word("forty-five days", 15), 45);
	assert_int_equal(cw_params_number_word("1,000", 5), 1000);
	assert_int_equal(cw_params_number_word("many", 4), -1);
	assert_int_equal(cw_params_kind_from_name("forum"), CW_PARAM_FORUM);
	assert_int_equal(cw_params_kind_from_name("nope"), -1);
	k = 99;
	assert_int_equal(cw_params_extract(&ps, "x", 1, 0, &k, 1, NULL),
			 CW_EINVAL);
}

static void test_analyze__exposure_modifiers(void **state)
{
	static const char harsh[] = "We may terminate your account at any "
				    "time, for any reason, "
				    "without notice.";
	static const char fair[] = "We may terminate your account on 30 days' "
				   "notice; you may "
				   "appeal the decision.";
	static const char weak[] = "Disputes go to JAMS.";
	const struct cw_tax_category *ter = cw_taxonomy_find(tax, "unilateral_"
								  "terminatio"
								  "n");
	const struct cw_tax_category *arb = cw_taxonomy_find(tax, "mandatory_"
								  "arbitratio"
								  "n");
	struct cw_tax_rating r;

	(void)state;
	assert_int_equal(cw_taxonomy_rate(&r, ter, CW_AUDIENCE_CONSUMER, harsh,
					  strlen(harsh), NULL),
			 CW_OK);
	assert_int_equal(r.base, CW_LEVEL_HIGH);
	assert_int_equal(r.level, CW_LEVEL_HIGH);
	assert_true(r.napplied >= 3);
	assert_int_equal(r.basis, CW_EVIDENCE_EXPLICIT);
	cw_tax_rating_release(&r);

	assert_int_equal(cw_taxonomy_rate(&r, ter, CW_AUDIENCE_CONSUMER, fair,
					  strlen(fair), NULL),
			 CW_OK);
	assert_int_equal(r.level, CW_LEVEL_LOW); /* high - notice - appeal */
	for (size_t i = 0; i < r.napplied; i++)
		assert_true(r.applied[i].mod->effect <= 0);
	cw_tax_rating_release(&r);

	/* context: a change history and an EU/UK consumer raise the level */
	{
		const struct cw_tax_category *fees =
			cw_taxonomy_find(tax, "fees_and_price_changes");
		static const char price[] = "We will charge the fees listed.";
		assert_int_equal(cw_taxonomy_rate(&r, fees,
						  CW_AUDIENCE_CONSUMER, price,
						  strlen(price), NULL),
				 CW_OK);
		assert_int_equal(r.level, CW_LEVEL_MEDIUM);
		cw_taxonomy_rate_context(&r, tax, fees, CW_RATE_EU_UK_CONSUMER);
		assert_int_equal(r.level, CW_LEVEL_HIGH); /* cites Annex 1(l) */
		assert_null(r.applied[r.napplied - 1].mod->re);
		cw_tax_rating_release(&r);
		/* operators are not consumers: no grey-list effect */
		assert_int_equal(cw_taxonomy_rate(&r,
						  cw_taxonomy_find(tax, "severa"
									"bilit"
									"y"),
						  CW_AUDIENCE_OPERATOR, price,
						  strlen(price), NULL),
				 CW_OK);
		cw_taxonomy_rate_context(&r, tax,
					 cw_taxonomy_find(tax, "severability"),
					 CW_RATE_EU_UK_CONSUMER);
		assert_int_equal(r.level, CW_LEVEL_LOW);
		cw_taxonomy_rate_context(&r, tax,
					 cw_taxonomy_find(tax, "severability"),
					 CW_RATE_CHANGED_BEFORE);
		assert_int_equal(r.level, CW_LEVEL_MEDIUM);
		cw_tax_rating_release(&r);
	}

	/* only a weak cue: the rating stands but is marked inferred */
	assert_int_equal(cw_taxonomy_rate(&r, arb, CW_AUDIENCE_CONSUMER, weak,
					  strlen(weak), NULL),
			 CW_OK);
	assert_int_equal(r.basis, CW_EVIDENCE_INFERRED);
	cw_tax_rating_release(&r);

	/* a model's verdict joins the rule matches */
	{
		struct cw_tax_matches m = CW_TAX_MATCHES_INIT;
		assert_int_equal(cw_taxonomy_detect(&m, tax, NULL, harsh,
						    strlen(harsh), NULL),
				 CW_OK);
		assert_true(m.n > 0);
		assert_string_equal(m.items[0].cat->id, "unilateral_"
							"termination");
		assert_true(m.items[0].by_rules);
		assert_true(m.items[0].model < 0);
		assert_int_equal(cw_taxonomy_merge_model(&m, tax,
							 "unilateral_"
							 "termination",
							 0.9, NULL),
				 CW_OK);
		assert_true(m.items[0].model == 0.9);
		size_t before = m.n;
		assert_int_equal(cw_taxonomy_merge_model(
					 &m, tax, "choice_of_law", 0.4, NULL),
				 CW_OK);
		assert_int_equal(m.n, before + 1);
		for (size_t i = 0; i < m.n; i++)
			if (!strcmp(m.items[i].cat->id, "choice_of_law"))
				assert_false(m.items[i].by_rules ||
					     m.items[i].explicit_text);
		assert_int_equal(cw_taxonomy_merge_model(&m, tax, "nope", 0.5,
							 NULL),
				 CW_ENOTFOUND);
		assert_int_equal(cw_taxonomy_merge_model(
					 &m, tax, "choice_of_law", 1.5, NULL),
				 CW_EINVAL);
		cw_tax_matches_release(&m);
	}
	assert_int_equal(cw_taxonomy_rate(&r, ter, 7, harsh, strlen(harsh),
					  NULL),
			 CW_EINVAL);
	assert_int_equal(cw_audience_parse("business"), CW_AUDIENCE_OPERATOR);
	assert_int_equal(cw_level_parse("medium"), CW_LEVEL_MEDIUM);
	assert_int_equal(cw_level_parse("severe"), -1);
}

static void test_analyze__notes_own_text(void **state)
{
	/* a definition elsewhere resolves "reasonable"; a stated period
	   bounds "promptly"; the reader's own "at any time" is no concern */
	static const char doc[] = "1. Definitions\n\"Reasonable\" means within "
				  "industry practice.\n\n"
				  "2. Duties\nYou will act on reasonable "
				  "requests and reply "
				  "promptly, and in any case within 5 days. "
				  "You may cancel at any "
				  "time. We may act in our sole discretion.\n\n"
				  "3. Policies\nYou must follow our Acceptable "
				  "Use Policy and the "
				  "rules that we publish for each feature of "
				  "the service from";
	static const char *const tracked[] = { "Terms of Service" };
	const char *duties = strstr(doc, "2. Duties");
	const char *policies = strstr(doc, "3. Policies");
	struct cw_notes n = CW_NOTES_INIT;
	bool reasonable = false, promptly = false, anytime = false,
	     discretion = false, aup = false, cut = false;

	(void)state;
	assert_int_equal(
		cw_notes_find(&n, tax, doc, strlen(doc), (size_t)(duties - doc),
			      (size_t)(policies - doc), NULL, tracked, 1, NULL),
		CW_OK);
	for (size_t i = 0; i < n.n; i++) {
		const struct cw_note *x = &n.items[i];
		if (x->kind != CW_NOTE_VAGUE)
			continue;
		if (!strcmp(x->term->term, "reasonable")) {
			reasonable = x->resolved && x->where_at < 20 &&
				     strstr(x->where, "defined");
		}
		if (!strcmp(x->term->term, "promptly"))
			promptly = x->resolved && strstr(x->where, "bounded");
		if (!strcmp(x->term->term, "at any time"))
			anytime = true;
		if (!strcmp(x->term->term, "sole discretion"))
			discretion = !x->resolved;
		/* "discretion" alone is hidden by "sole discretion" */
		assert_string_not_equal(x->term->term, "in our discretion");
	}
	assert_true(reasonable);
	assert_true(promptly);
	assert_false(anytime);
	assert_true(discretion);
	cw_notes_release(&n);

	assert_int_equal(cw_notes_find(&n, tax, doc, strlen(doc),
				       (size_t)(policies - doc), strlen(doc),
				       NULL, tracked, 1, NULL),
			 CW_OK);
	for (size_t i = 0; i < n.n; i++) {
		aup |= n.items[i].kind == CW_NOTE_UNTRACKED;
		cut |= n.items[i].kind == CW_NOTE_TRUNCATED;
	}
	assert_true(aup);
	assert_true(cut);
	cw_notes_release(&n);

	assert_int_equal(cw_notes_find(&n, tax, doc, 10, 5, 20, NULL, NULL, 0,
				       NULL),
			 CW_EINVAL);
}

/* Hostile input: invalid UTF-8, NUL bytes, a long run with no full stop. */
static void test_analyze__bad_input(void **state)
{
	struct cw_tax_matches m = CW_TAX_MATCHES_INIT;
	struct cw_params ps = CW_PARAMS_INIT;
	struct cw_notes n = CW_NOTES_INIT;
	struct cw_err err = CW_ERR_INIT;
	static const char pat[] = "we may terminate \xff\xfe\0 at any time "
				  "arbitration liability exceed $";
	size_t len = 200000;
	char *junk = cw_malloc(len);

	(void)state;
	for (size_t i = 0; i < len; i++)
		junk[i] = pat[i % (sizeof(pat) - 1)];
	assert_int_equal(cw_taxonomy_detect(&m, tax, NULL, junk, len, &err),
			 CW_OK);
	assert_int_equal(cw_params_extract(&ps, junk, len, 0, NULL, 0, &err),
			 CW_OK);
	assert_int_equal(cw_notes_find(&n, tax, junk, len, 0, len, NULL, NULL,
				       0, &err),
			 CW_OK);
	assert_int_equal(cw_taxonomy_detect(&m, tax, NULL, junk,
					    (size_t)CW_TAXONOMY_TEXT_MAX + 1,
					    &err),
			 CW_ETOOBIG);
	assert_non_null(strstr(err.msg, "cap"));
	cw_tax_matches_release(&m);
	cw_params_release(&ps);
	cw_notes_release(&n);
	free(junk);
}

/* ---- meaning of a diff (meaning.h) ---- */

struct pair {
	char *old, *new;
	size_t olen, nlen;
	struct cw_segmentation *os, *ns;
	struct cw_diff_rules *rules;
	struct cw_diff *d;
	char *summary;
};

/* The diff of two corpus versions of `doc`, read for its meaning; false
 * (the test skips) without the corpus. */
static bool pair_explain(struct pair *p, const char *doc, const char *a,
			 const char *b)
{
	struct cw_err err = CW_ERR_INIT;
	char *dir = cw_test_shared_folder(doc), *pa, *pb;
	char *rdir = cw_asprintf("%s/diff", cw_test_data_dir());

	memset(p, 0, sizeof(*p));
	if (!dir) {
		free(rdir);
		return false;
	}
	pa = cw_asprintf("%s/%s.md", dir, a);
	pb = cw_asprintf("%s/%s.md", dir, b);
	p->old = cw_test_read(pa, &p->olen);
	p->new = cw_test_read(pb, &p->nlen);
	free(pa);
	free(pb);
	free(dir);
	assert_non_null(p->old);
	assert_non_null(p->new);
	assert_int_equal(cw_diff_rules_load(&p->rules, rdir, &err), CW_OK);
	free(rdir);
	assert_int_equal(cw_segment_text(&p->os, p->old, p->olen, NULL, &err),
			 CW_OK);
	assert_int_equal(cw_segment_text(&p->ns, p->new, p->nlen, NULL, &err),
			 CW_OK);
	{
		struct cw_diff_version va = { p->old, p->olen, p->os };
		struct cw_diff_version vb = { p->new, p->nlen, p->ns };
		assert_int_equal(cw_diff_compute(&p->d, &va, &vb, p->rules,
						 NULL, &err),
				 CW_OK);
	}
	assert_int_equal(cw_meaning_explain(p->d, &p->summary, tax, &err),
			 CW_OK);
	assert_non_null(p->summary);
	assert_true(strlen(p->summary) <= CW_MEANING_SUMMARY_MAX);
	return true;
}

static void pair_release(struct pair *p)
{
	free(p->summary);
	cw_diff_free(p->d);
	cw_segment_free(p->os);
	cw_segment_free(p->ns);
	cw_diff_rules_free(p->rules);
	free(p->old);
	free(p->new);
}

static const struct cw_diff_change *change_keyed(const struct cw_diff *d,
						 const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if ((d->changes[i].old_key &&
		     !strcmp(d->changes[i].old_key, key)) ||
		    (d->changes[i].new_key &&
		     !strcmp(d->changes[i].new_key, key)))
			return &d->changes[i];
	return NULL;
}

/* Amazon Prime, May 2021: arbitration dropped for the courts of King
 * County, and the date line is the document's date. */
static void test_analyze__meaning_of_a_forum_change(void **state)
{
	struct pair p;
	const struct cw_diff_change *c;

	(void)state;
	if (!pair_explain(&p, "corpus/versions/Amazon Prime/Terms of Service",
			  "2020-11-09", "2021-05-11"))
		skip();
	assert_non_null(strstr(p.summary, "mandatory arbitration removed"));
	assert_non_null(strstr(p.summary, "King County, Washington"));
	assert_non_null(strstr(p.summary, "The document's date changed from "
					  "June 30, 2020 to May 11, 2021"));
	/* most material first; the date and the link are presentation */
	assert_string_equal(p.d->changes[0].old_key, "disputes");
	for (size_t i = 1; i < p.d->n; i++)
		assert_true(p.d->changes[i].materiality <=
			    p.d->changes[i - 1].materiality);
	c = change_keyed(p.d, "preamble");
	assert_non_null(c);
	assert_int_equal(c->materiality, CW_DIFF_COSMETIC);
	c = change_keyed(p.d, "fees-and-renewal");
	assert_non_null(c);
	assert_int_equal(c->materiality, CW_DIFF_COSMETIC);
	pair_release(&p);
}

/* Yahoo 2013: "Yahoo!" became "Yahoo" everywhere, and nothing else. */
static void test_analyze__meaning_of_a_rename(void **state)
{
	struct pair p;

	(void)state;
	if (!pair_explain(&p, "corpus/versions/Yahoo/Terms of Service",
			  "2013-06-20", "2013-09-12"))
		skip();
	assert_non_null(strstr(p.summary, "Renamed: \xe2\x80\x9cYahoo!\xe2\x80"
					  "\x9d became "
					  "\xe2\x80\x9cYahoo\xe2\x80\x9d"));
	for (size_t i = 0; i < p.d->n; i++)
		assert_true(p.d->changes[i].materiality <= CW_DIFF_COSMETIC);
	pair_release(&p);
}

/* A list of prohibited uses under "do not:" grew five items: those are
 * the new prohibitions, the three that were one sentence before are not
 * new, and that sentence was not dropped. */
static void test_analyze__meaning_of_a_list_of_prohibitions(void **state)
{
	struct pair p;
	const struct cw_diff_change *c = NULL;
	size_t added = 0;

	(void)state;
	if (!pair_explain(&p,
			  "corpus/versions/DALL\xc2\xb7"
			  "E/Acceptable Use Policy",
			  "2024-10-19", "2025-01-30"))
		skip();
	for (size_t i = 0; i < p.d->n && !c; i++)
		if (!strcmp(p.d->changes[i].title, "Comply with applicable "
						   "laws"))
			c = &p.d->changes[i];
	assert_non_null(c);
	assert_int_equal(c->materiality, CW_DIFF_SUBSTANTIVE);
	for (size_t f = 0; f < c->n_facts; f++) {
		const struct cw_diff_fact *x = &c->facts[f];
		if (x->kind != CW_DIFF_FACT_PROHIBITION)
			continue;
		/* nothing dropped, and no new lead-in or old item */
		assert_null(x->old_value);
		assert_null(strstr(x->new_value, "do not:"));
		assert_null(strstr(x->new_value, "Compromise the privacy"));
		added++;
	}
	assert_true(added >= 5);
	assert_non_null(strstr(p.summary, "subliminal"));
	pair_release(&p);
}

/* A new EU representative, named as a company, is what changed; the
 * company the terms are with, named in both, is not said */
static void test_analyze__meaning_of_a_new_company(void **state)
{
	struct pair p;

	(void)state;
	if (!pair_explain(&p, "corpus/versions/Snapchat/Privacy Policy",
			  "2021-03-25", "2021-07-20"))
		skip();
	assert_non_null(strstr(p.summary, "Snap B.V. now named"));
	assert_null(strstr(p.summary, "Snap Inc"));
	assert_null(strstr(p.summary, "No substantive change"));
	pair_release(&p);
}

/* The copyright agent moved: said as the postal address it changed, in
 * whole, and substantive; a list number changed is not read into it */
static void test_analyze__meaning_of_a_new_address(void **state)
{
	struct pair p;
	bool moved = false;

	(void)state;
	if (!pair_explain(&p, "corpus/versions/Stack Overflow/Terms of Service",
			  "2022-10-05", "2023-08-18"))
		skip();
	assert_non_null(strstr(p.summary, "postal address changed from"));
	assert_non_null(strstr(p.summary, "14 Wall Street, 20th Floor, New "
					  "York, NY 10005"));
	for (size_t i = 0; i < p.d->n; i++)
		if (p.d->changes[i].summary &&
		    strstr(p.d->changes[i].summary, "postal address")) {
			assert_int_equal(p.d->changes[i].materiality,
					 CW_DIFF_SUBSTANTIVE);
			moved = true;
		}
	assert_true(moved);
	pair_release(&p);
}

/* Google Play's seller changed: the whole names are said, and where the
 * EU representative is */
static void test_analyze__meaning_of_a_new_entity(void **state)
{
	struct pair p;

	(void)state;
	if (!pair_explain(&p, "corpus/versions/Google Play/Terms of Service",
			  "2023-04-11", "2025-09-08"))
		skip();
	assert_non_null(strstr(p.summary, "the contracting entity "
					  "\xe2\x80\x9cGoogle "
					  "LLC\xe2\x80\x9d became "
					  "\xe2\x80\x9cGoogle "
					  "Digital Inc.\xe2\x80\x9d"));
	pair_release(&p);
	if (!pair_explain(&p, "corpus/versions/Snapchat/Privacy Policy",
			  "2021-03-25", "2021-07-20"))
		skip();
	assert_non_null(strstr(p.summary, "Snap B.V. now named as EU "
					  "representative (Keizersgracht 440 "
					  "B, 1016 GD Amsterdam"));
	pair_release(&p);
}

/* Dates read as dates, whatever their form. */
static void test_analyze__meaning_dates(void **state)
{
	(void)state;
	assert_true(cw_meaning_is_date("May 11, 2021", 12));
	assert_true(cw_meaning_is_date(" 11 May 2021.", 13));
	assert_true(cw_meaning_is_date("2021-05-11", 10));
	assert_true(cw_meaning_is_date("**December 1st, 2025**", 22));
	assert_false(cw_meaning_is_date("May we", 6));
	assert_false(cw_meaning_is_date("30 days", 7));
	assert_false(cw_meaning_is_date("", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_analyze__taxonomy_loads_real_data),
		cmocka_unit_test(test_analyze__claudette_ids),
		cmocka_unit_test(test_analyze__regulation_lookup),
		cmocka_unit_test(test_analyze__validator_names_file_and_field),
		cmocka_unit_test(test_analyze__stability_operator),
		cmocka_unit_test(
			test_analyze__stability_every_provision_categorised),
		cmocka_unit_test(test_analyze__stability_notes),
		cmocka_unit_test(test_analyze__seed_operator_controls),
		cmocka_unit_test(test_analyze__corpus_documents),
		cmocka_unit_test(test_analyze__params_own_sentences),
		cmocka_unit_test(test_analyze__exposure_modifiers),
		cmocka_unit_test(test_analyze__notes_own_text),
		cmocka_unit_test(test_analyze__bad_input),
		cmocka_unit_test(test_analyze__meaning_of_a_forum_change),
		cmocka_unit_test(test_analyze__meaning_of_a_rename),
		cmocka_unit_test(
			test_analyze__meaning_of_a_list_of_prohibitions),
		cmocka_unit_test(test_analyze__meaning_of_a_new_company),
		cmocka_unit_test(test_analyze__meaning_of_a_new_address),
		cmocka_unit_test(test_analyze__meaning_of_a_new_entity),
		cmocka_unit_test(test_analyze__meaning_dates),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
