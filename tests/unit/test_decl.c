/*
 * Unit tests of the declaration module (src/decl/decl.h): every real Open
 * Terms Archive declaration in $CW_SHARED/corpus/declarations and in OTA's
 * contrib collection ($CW_SHARED/ota), OTA's validator fixtures, the files
 * we ship in $CW_DATA_DIR/declarations, and small fixtures in
 * tests/data/decl/. The real-data tests skip, saying so, when $CW_SHARED
 * is absent.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

#include "decl/decl.h"

/* ---- helpers ---- */

static char *env_dir(const char *var, const char *fallback_rel)
{
	const char *s = getenv(var);
	if (s && *s)
		return cw_strdup(s);
	const char *root = getenv("CW_SOURCE_ROOT");
	return cw_asprintf("%s/%s", root && *root ? root : CW_SOURCE_ROOT,
			   fallback_rel);
}

static char *decl_fixture(const char *name)
{
	char *tests = env_dir("CW_TESTS", "tests");
	char *p = cw_asprintf("%s/data/decl/%s", tests, name);
	free(tests);
	return p;
}

static bool any_contains(const struct cw_strv *sv, const char *a, const char *b)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strstr(sv->v[i], a) && (!b || strstr(sv->v[i], b)))
			return true;
	return false;
}

static void print_lines(const struct cw_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		printf("#   %s\n", sv->v[i]);
}

/* ---- declarations: real files ---- */

/*
 * Every collection of real declarations loads: no file is skipped, every
 * current document has at least one source with an http(s) URL, and every
 * history entry carries its validUntil.
 */
static void test_decl__corpus_loads(void **state)
{
	(void)state;
	char *shared = env_dir("CW_SHARED", "../shared");
	char *root = cw_asprintf("%s/corpus/declarations", shared);
	struct dirent **cols = NULL;
	size_t services = 0, docs = 0, combined = 0, sources = 0, history = 0,
	       files = 0, pdfs = 0, legacy_ok = 0;

	if (!cw_dir_exists(root)) {
		printf("# skipped: '%s' not found\n", root);
		free(root), free(shared);
		skip();
	}
	int ncol = scandir(root, &cols, NULL, alphasort);
	assert_true(ncol > 0);
	for (int i = 0; i < ncol; i++) {
		char *dir = cw_asprintf("%s/%s", root, cols[i]->d_name);
		if (cols[i]->d_name[0] == '.' || !cw_dir_exists(dir)) {
			free(dir);
			free(cols[i]);
			continue;
		}
		/* count the declaration files independently of the reader */
		struct dirent **names = NULL;
		int k = scandir(dir, &names, NULL, alphasort);
		for (int j = 0; j < k; j++) {
			if (cw_str_endswith(names[j]->d_name, ".json") &&
			    !cw_str_endswith(names[j]->d_name, ".history.json"))
				files++;
			free(names[j]);
		}
		free(names);

		struct cw_decl_service **v = NULL;
		size_t n = 0;
		struct cw_strv warn = CW_STRV_INIT;
		struct cw_err err = CW_ERR_INIT;
		assert_int_equal(cw_decl_read_dir(&v, &n, dir, &warn, &err),
				 CW_OK);
		if (any_contains(&warn, "(skipped)", NULL)) {
			print_lines(&warn);
			fail_msg("a declaration of '%s' failed to load", dir);
		}
		for (size_t s = 0; s < n; s++) {
			const struct cw_decl_service *svc = v[s];
			assert_non_null(svc->name);
			/* Twitter, Parler and Le Chat keep only history */
			assert_true(svc->n_docs > 0 || svc->n_history > 0);
			/* the ID is the file name */
			assert_true(strstr(svc->path, svc->id) != NULL);
			assert_true(cw_str_endswith(svc->path, ".json"));
			if (s > 0)
				assert_true(strcmp(v[s - 1]->path, svc->path) <
					    0);
			if (!strcmp(svc->id, "OpenAI") &&
			    cw_decl_find(svc, "Terms of Service"))
				legacy_ok++;
			for (size_t d = 0; d < svc->n_docs; d++) {
				const struct cw_decl_doc *doc = &svc->docs[d];
				assert_true(doc->n_sources >= 1);
				assert_int_equal(doc->valid_until, 0);
				combined += doc->combine;
				sources += doc->n_sources;
				for (size_t u = 0; u < doc->n_sources; u++) {
					assert_true(cw_str_startswith(
						doc->sources[u].fetch, "http"));
					pdfs += cw_decl_source_is_pdf(
						&doc->sources[u]);
				}
				assert_ptr_equal(cw_decl_find(svc, doc->type),
						 doc);
			}
			for (size_t h = 0; h < svc->n_history; h++) {
				assert_true(svc->history[h].valid_until > 0);
				assert_true(svc->history[h].n_sources >= 1);
			}
			services++;
			docs += svc->n_docs;
			history += svc->n_history;
		}
		for (size_t s = 0; s < n; s++)
			cw_decl_service_free(v[s]);
		free(v);
		cw_strv_release(&warn);
		free(dir);
		free(cols[i]);
	}
	free(cols);
	printf("# %zu services (%zu files), %zu documents, %zu combined, "
	       "%zu sources (%zu PDF), %zu history entries\n",
	       services, files, docs, combined, sources, pdfs, history);
	assert_int_equal(services, files);
	/* the corpus holds about 90 declaration files over five collections,
	 * with some 300 documents and 180 history entries */
	assert_true(services >= 60);
	assert_true(docs >= 2 * services);
	assert_true(combined > 0);
	assert_true(sources > docs);
	assert_true(history >= 100);
	assert_int_equal(legacy_ok, 1); /* GenAI/OpenAI.json uses "documents" */
	free(root), free(shared);
}

static struct cw_decl_service *read_real(const char *rel)
{
	char *shared = env_dir("CW_SHARED", "../shared");
	char *p = cw_asprintf("%s/corpus/declarations/%s", shared, rel);
	struct cw_decl_service *svc = NULL;
	struct cw_err err = CW_ERR_INIT;

	free(shared);
	if (!cw_file_exists(p)) {
		printf("# skipped: '%s' not found\n", p);
		free(p);
		return NULL;
	}
	if (cw_decl_read_file(&svc, p, NULL, &err) != CW_OK)
		fail_msg("%s", err.msg);
	free(p);
	return svc;
}

/* Claude.ai's Privacy Policy combines pages under a shared `select`. */
static void test_decl__combine_shared_defaults(void **state)
{
	(void)state;
	struct cw_decl_service *svc = read_real("GenAI/Claude.ai.json");
	if (!svc)
		skip();
	assert_string_equal(svc->id, "Claude.ai");
	assert_string_equal(svc->name, "Claude.ai");
	const struct cw_decl_doc *pp = cw_decl_find(svc, "Privacy Policy");
	assert_non_null(pp);
	assert_true(pp->combine);
	assert_true(pp->n_sources >= 2);
	for (size_t i = 0; i < pp->n_sources; i++) {
		/* the document-level select reached every source */
		assert_int_equal(pp->sources[i].n_select, 1);
		assert_string_equal(pp->sources[i].select[0].css, "main");
	}
	const struct cw_decl_doc *tos = cw_decl_find(svc, "Terms of Service");
	assert_non_null(tos);
	assert_false(tos->combine);
	assert_int_equal(tos->n_sources, 1);
	assert_true(cw_str_startswith(tos->sources[0].fetch, "https://"));
	assert_int_equal(tos->sources[0].execute_client_scripts, -1);
	assert_null(cw_decl_find(svc, "No Such Terms"));
	cw_decl_service_free(svc);
}

/* The older "documents" key of GenAI/OpenAI.json. */
static void test_decl__legacy_documents_key(void **state)
{
	(void)state;
	struct cw_decl_service *svc = read_real("GenAI/OpenAI.json");
	if (!svc)
		skip();
	assert_string_equal(svc->id, "OpenAI");
	assert_true(svc->n_docs >= 2);
	const struct cw_decl_doc *tos = cw_decl_find(svc, "Terms of Service");
	assert_non_null(tos);
	assert_int_equal(tos->sources[0].execute_client_scripts, 1);
	assert_true(tos->sources[0].n_remove > 0);
	cw_decl_service_free(svc);
}

/* ChatGPT.history.json: entries sorted per type by date, and
 * cw_decl_find_at picks the one in force (validUntil inclusive). */
static void test_decl__real_history(void **state)
{
	(void)state;
	struct cw_decl_service *svc = read_real("GenAI/ChatGPT.json");
	if (!svc)
		skip();
	assert_true(svc->n_history >= 2);
	for (size_t i = 1; i < svc->n_history; i++) {
		int t = strcmp(svc->history[i - 1].type, svc->history[i].type);
		assert_true(t < 0 ||
			    (t == 0 && svc->history[i - 1].valid_until <
					       svc->history[i].valid_until));
	}
	/* the first Terms of Service history entry and the next one */
	const struct cw_decl_doc *first = NULL, *second = NULL;
	for (size_t i = 0; i < svc->n_history; i++) {
		if (strcmp(svc->history[i].type, "Terms of Service") != 0)
			continue;
		if (!first)
			first = &svc->history[i];
		else if (!second)
			second = &svc->history[i];
	}
	assert_non_null(first);
	assert_non_null(second);
	const struct cw_decl_doc *cur = cw_decl_find(svc, "Terms of Service");
	assert_non_null(cur);
	assert_ptr_equal(cw_decl_find_at(svc, "Terms of Service", 0), first);
	assert_ptr_equal(cw_decl_find_at(svc, "Terms of Service",
					 first->valid_until),
			 first);
	assert_ptr_equal(cw_decl_find_at(svc, "Terms of Service",
					 first->valid_until + 1),
			 second);
	assert_ptr_equal(cw_decl_find_at(svc, "Terms of Service",
					 second->valid_until + 1),
			 cur);
	/* a different URL was in force before: the history is not the current
	 * declaration repeated */
	assert_string_not_equal(first->sources[0].fetch, cur->sources[0].fetch);
	assert_null(cw_decl_find_at(svc, "No Such Terms", 0));
	cw_decl_service_free(svc);
}

/* Le Chat.history.json spells some keys "ValidUntil": read, with a warning. */
static void test_decl__history_key_variant_warns(void **state)
{
	(void)state;
	char *shared = env_dir("CW_SHARED", "../shared");
	char *p = cw_asprintf("%s/corpus/declarations/genai-eu/Le Chat.json",
			      shared);
	struct cw_decl_service *svc = NULL;
	struct cw_strv warn = CW_STRV_INIT;
	struct cw_err err = CW_ERR_INIT;

	free(shared);
	if (!cw_file_exists(p)) {
		printf("# skipped: '%s' not found\n", p);
		free(p);
		skip();
	}
	assert_int_equal(cw_decl_read_file(&svc, p, &warn, &err), CW_OK);
	assert_true(svc->n_history > 0);
	assert_true(any_contains(&warn, "Le Chat.history.json'",
				 "ValidUntil: read as 'validUntil'"));
	for (size_t i = 0; i < svc->n_history; i++)
		assert_true(svc->history[i].valid_until > 0);
	cw_decl_service_free(svc);
	cw_strv_release(&warn);
	free(p);
}

/* ---- declarations: fixtures ---- */

static void test_decl__malformed_json_line_col(void **state)
{
	(void)state;
	char *p = decl_fixture("malformed.json");
	struct cw_decl_service *svc = (struct cw_decl_service *)p;
	struct cw_err err = CW_ERR_INIT;

	assert_int_equal(cw_decl_read_file(&svc, p, NULL, &err), CW_EPARSE);
	assert_null(svc);
	/* the missing comma: the next key starts on line 7, column 7 */
	char *want = cw_asprintf("'%s':7:", p);
	if (!strstr(err.msg, want))
		fail_msg("message '%s' lacks '%s'", err.msg, want);
	free(want);
	free(p);
}

static void test_decl__unknown_field_warns(void **state)
{
	(void)state;
	char *p = decl_fixture("unknown-field.json");
	struct cw_decl_service *svc = NULL;
	struct cw_strv warn = CW_STRV_INIT;
	struct cw_err err = CW_ERR_INIT;

	assert_int_equal(cw_decl_read_file(&svc, p, &warn, &err), CW_OK);
	assert_non_null(svc);
	assert_string_equal(svc->id, "unknown-field");
	assert_int_equal(warn.n, 2);
	assert_true(any_contains(&warn,
				 "unknown-field.json': colour: unknown "
				 "field 'colour'",
				 NULL));
	assert_true(any_contains(&warn,
				 "unknown-field.json': terms.Privacy "
				 "Policy: unknown field 'foo'",
				 NULL));
	const struct cw_decl_doc *pp = cw_decl_find(svc, "Privacy Policy");
	assert_non_null(pp);
	assert_string_equal(pp->sources[0].select[0].css, "article");
	cw_decl_service_free(svc);
	cw_strv_release(&warn);
	free(p);
}

static void test_decl__bad_range_names_path(void **state)
{
	(void)state;
	char *p = decl_fixture("bad-range.json");
	struct cw_decl_service *svc = NULL;
	struct cw_err err = CW_ERR_INIT;

	assert_int_equal(cw_decl_read_file(&svc, p, NULL, &err), CW_EINVAL);
	assert_null(svc);
	if (!strstr(err.msg, "terms.Terms of Service.select[1]: a range "
			     "needs exactly one of 'startBefore' and "
			     "'startAfter'"))
		fail_msg("message '%s'", err.msg);
	free(p);
}

static void test_decl__filters_ranges_and_defaults(void **state)
{
	(void)state;
	char *p = decl_fixture("filters.json");
	struct cw_decl_service *svc = NULL;
	struct cw_strv warn = CW_STRV_INIT;
	struct cw_err err = CW_ERR_INIT;

	assert_int_equal(cw_decl_read_file(&svc, p, &warn, &err), CW_OK);
	/* one JavaScript filter, and select/remove on the PDF of the combine
	 * come from the shared defaults, so no warning for them */
	if (warn.n != 1)
		print_lines(&warn);
	assert_int_equal(warn.n, 1);
	assert_true(any_contains(&warn,
				 "terms.Terms of Service.filter[1]: "
				 "filter 'cleanUrls' is a JavaScript "
				 "filter of Open Terms Archive, not "
				 "applied",
				 NULL));
	const struct cw_decl_doc *tos = cw_decl_find(svc, "Terms of Service");
	const struct cw_decl_source *s = &tos->sources[0];
	assert_int_equal(s->n_select, 2);
	assert_null(s->select[0].css);
	assert_string_equal(s->select[0].start_after, "#toc");
	assert_string_equal(s->select[0].end_before, "footer");
	assert_null(s->select[0].start_before);
	assert_null(s->select[0].end_after);
	assert_string_equal(s->select[1].css, ".body");
	assert_int_equal(s->n_remove, 1);
	assert_string_equal(s->remove[0].css, "nav");
	assert_int_equal(s->n_filters, 2);
	assert_string_equal(s->filters[0].name, "removeQueryParams");
	assert_int_equal(s->filters[0].params.n, 2);
	assert_string_equal(s->filters[0].params.v[1], "utm_medium");
	assert_string_equal(s->filters[0].param_json, "[\"utm_source\",\"utm_"
						      "medium\"]");
	assert_string_equal(s->filters[1].name, "cleanUrls");
	assert_int_equal(s->filters[1].params.n, 0);
	/* an object parameter is kept as declared, in its key order */
	assert_string_equal(s->filters[1].param_json, "{\"keep\":[\"id\"],"
						      "\"depth\":2}");
	assert_int_equal(s->execute_client_scripts, 0);
	assert_false(cw_decl_source_is_pdf(s));

	const struct cw_decl_doc *pp = cw_decl_find(svc, "Privacy Policy");
	assert_true(pp->combine);
	assert_int_equal(pp->n_sources, 3);
	/* source 0 takes every default */
	assert_string_equal(pp->sources[0].select[0].css, "article");
	assert_string_equal(pp->sources[0].remove[0].css, ".share");
	assert_string_equal(pp->sources[0].filters[0].params.v[0], "ref");
	assert_int_equal(pp->sources[0].execute_client_scripts, 1);
	/* source 1 keeps its own select and executeClientScripts */
	assert_int_equal(pp->sources[1].n_select, 1);
	assert_string_equal(pp->sources[1].select[0].css, "#cookies");
	assert_string_equal(pp->sources[1].remove[0].css, ".share");
	assert_int_equal(pp->sources[1].execute_client_scripts, 0);
	assert_true(cw_decl_source_is_pdf(&pp->sources[2]));
	assert_int_equal(pp->sources[2].execute_client_scripts, 1);
	cw_decl_service_free(svc);
	cw_strv_release(&warn);
	free(p);
}

static void test_decl__read_dir_skips_and_sorts(void **state)
{
	(void)state;
	char *dir = decl_fixture("dir");
	struct cw_decl_service **v = NULL;
	size_t n = 0;
	struct cw_strv warn = CW_STRV_INIT;
	struct cw_err err = CW_ERR_INIT;

	assert_int_equal(cw_decl_read_dir(&v, &n, dir, &warn, &err), CW_OK);
	/* B Broken.json has no fetch: reported and skipped */
	assert_int_equal(n, 2);
	assert_string_equal(v[0]->id, "A Service");
	assert_string_equal(v[1]->id, "C Service");
	assert_int_equal(warn.n, 1);
	assert_true(any_contains(&warn,
				 "B Broken.json': terms.Terms of "
				 "Service: expected 'fetch' or 'combine'",
				 "(skipped)"));
	assert_true(cw_decl_source_is_pdf(&v[1]->docs[0].sources[0]));

	/* the history beside A Service.json, sorted by type then date */
	const struct cw_decl_service *a = v[0];
	assert_int_equal(a->n_history, 3);
	assert_string_equal(a->history[0].type, "Privacy Policy");
	assert_string_equal(a->history[1].sources[0].fetch, "https://a.example/"
							    "tos-2021");
	assert_string_equal(a->history[2].sources[0].fetch, "https://a.example/"
							    "tos-2023");
	time_t t2021, t2023;
	assert_int_equal(cw_time_parse_iso("2022-05-31T22:00:00Z", &t2021),
			 CW_OK);
	assert_int_equal(cw_time_parse_iso("2024-01-31T12:00:00Z", &t2023),
			 CW_OK);
	assert_int_equal(a->history[1].valid_until, t2021); /* +02:00 applied */
	assert_ptr_equal(cw_decl_find_at(a, "Terms of Service", t2021),
			 &a->history[1]);
	assert_ptr_equal(cw_decl_find_at(a, "Terms of Service", t2021 + 1),
			 &a->history[2]);
	assert_ptr_equal(cw_decl_find_at(a, "Terms of Service", t2023 + 1),
			 cw_decl_find(a, "Terms of Service"));
	/* declared only in history: found before its end, absent after */
	assert_ptr_equal(cw_decl_find_at(a, "Privacy Policy",
					 t2021 - 86400 * 500),
			 &a->history[0]);
	assert_null(cw_decl_find_at(a, "Privacy Policy", t2021));

	for (size_t i = 0; i < n; i++)
		cw_decl_service_free(v[i]);
	free(v);
	cw_strv_release(&warn);
	free(dir);

	assert_int_equal(cw_decl_read_dir(&v, &n, "/nonexistent-cw-dir", NULL,
					  &err),
			 CW_ENOTFOUND);
	assert_null(v);
}

/* Invalid declarations, each with its JSON path in the message. */
static void test_decl__invalid_inputs(void **state)
{
	(void)state;
	static const struct {
		const char *json;
		int rc;
		const char *msg;
	} cases[] = {
		{ "[]", CW_EINVAL, "(top level): expected a JSON object" },
		{ "{\"terms\":{}}", CW_EINVAL, "missing 'name'" },
		{ "{\"name\":\"x\"}", CW_EINVAL, "missing 'terms' object" },
		{ "{\"name\":\"x\",\"terms\":{},\"documents\":{}}", CW_EINVAL,
		  "both 'terms'" },
		{ "{\"name\":\"x\",\"terms\":{\"T\":{\"fetch\":\"ftp://a\"}}}",
		  CW_EINVAL, "terms.T.fetch: 'ftp://a' is not an http(s) URL" },
		{ "{\"name\":\"x\",\"terms\":{\"T\":{\"fetch\":\"https://a\","
		  "\"select\":[\"a\",{\"startBefore\":\"h1\"}]}}}",
		  CW_EINVAL,
		  "terms.T.select[1]: a range needs exactly one of "
		  "'endBefore' and 'endAfter'" },
		{ "{\"name\":\"x\",\"terms\":{\"T\":{\"fetch\":\"https://a\","
		  "\"remove\":{\"startBefore\":\"a\",\"endAfter\":\"b\","
		  "\"middle\":\"c\"}}}}",
		  CW_EINVAL, "terms.T.remove: unknown range key 'middle'" },
		{ "{\"name\":\"x\",\"terms\":{\"T\":{\"fetch\":\"https://a\","
		  "\"select\":[\"\"]}}}",
		  CW_EINVAL, "terms.T.select[0]: empty string" },
		{ "{\"name\":\"x\",\"terms\":{\"T\":{\"fetch\":\"https://a\","
		  "\"select\":3}}}",
		  CW_EINVAL,
		  "terms.T.select: expected a CSS selector or a range" },
		{ "{\"name\":\"x\",\"terms\":{\"T\":{\"fetch\":\"https://a\","
		  "\"select\":\"a\",\"executeClientScripts\":\"yes\"}}}",
		  CW_EINVAL,
		  "terms.T.executeClientScripts: expected true or false" },
		{ "{\"name\":\"x\",\"terms\":{\"T\":{\"fetch\":\"https://a\","
		  "\"select\":\"a\",\"filter\":[{\"a\":[],\"b\":[]}]}}}",
		  CW_EINVAL, "terms.T.filter[0]: expected a filter name" },
		{ "{\"name\":\"x\",\"terms\":{\"T\":{\"select\":\"a\","
		  "\"combine\":[{\"fetch\":\"https://"
		  "a\"},{\"select\":\"b\"}]}}}",
		  CW_EINVAL, "terms.T.combine[1]: source without 'fetch'" },
		{ "{\"name\":\"x\",\"terms\":{\"T\":{\"combine\":[]}}}",
		  CW_EINVAL, "terms.T.combine: expected a non-empty array" },
		{ "{\"name\":\"x\",\"terms\":{\"T\":{\"fetch\":\"https://a\","
		  "\"combine\":[{\"fetch\":\"https://b\"}]}}}",
		  CW_EINVAL, "terms.T: both 'fetch' and 'combine'" },
		{ "{\"name\":\"x\",\"name\":\"y\",\"terms\":{}}", CW_EPARSE,
		  "'t.json':1:" },
		{ "{\"name\":\"x\",\"terms\":{\"T\":[[[[[[[[[[[[[[[[[[[[]]]]]]]"
		  "]]]]"
		  "]]]]]]]]]}}",
		  CW_ETOOBIG, "nested deeper than" },
		{ "{\"name\":\"x\"", CW_EPARSE, "'t.json':1:" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cw_decl_service *svc = NULL;
		struct cw_err err = CW_ERR_INIT;
		int rc = cw_decl_read_buffer(&svc, "t.json", cases[i].json,
					     strlen(cases[i].json), NULL, &err);
		if (rc != cases[i].rc || !strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: rc %s, message '%s', want %s '%s'",
				 i, cw_rc_name(rc), err.msg,
				 cw_rc_name(cases[i].rc), cases[i].msg);
		assert_null(svc);
	}
}

static void test_decl__size_cap(void **state)
{
	(void)state;
	size_t n = (4u << 20) + 16;
	char *big = cw_malloc(n);
	struct cw_decl_service *svc = NULL;
	struct cw_err err = CW_ERR_INIT;

	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	assert_int_equal(cw_decl_read_buffer(&svc, "big.json", big, n, NULL,
					     &err),
			 CW_ETOOBIG);
	assert_null(svc);
	assert_non_null(strstr(err.msg, "'big.json'"));
	free(big);
}

static void test_decl__pdf_urls(void **state)
{
	(void)state;
	static const struct {
		const char *url;
		bool pdf;
	} cases[] = {
		{ "https://a.example/terms.pdf", true },
		{ "https://a.example/Terms.PDF", true },
		{ "https://a.example/terms.pdf?version=3", true },
		{ "https://a.example/terms.pdfx", false },
		{ "https://a.example/pdf", false },
		{ "https://a.example/terms.html?file=x.pdf", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cw_decl_source s = { .fetch = (char *)cases[i].url };
		if (cw_decl_source_is_pdf(&s) != cases[i].pdf)
			fail_msg("'%s'", cases[i].url);
	}
	assert_false(cw_decl_source_is_pdf(NULL));
}

/* ---- declarations: Open Terms Archive's own collection and fixtures ---- */

/* $CW_SHARED/ota/<rel>, or NULL (with a message) when it is absent. */
static char *ota_dir(const char *rel)
{
	char *shared = env_dir("CW_SHARED", "../shared");
	char *p = cw_asprintf("%s/ota/%s", shared, rel);

	free(shared);
	if (!cw_dir_exists(p)) {
		printf("# skipped: '%s' not found (set CW_SHARED)\n", p);
		free(p);
		return NULL;
	}
	return p;
}

/* The number of *.json files of `dir` that are not history files, and of
 * history files whose service file is there, counted without the reader. */
static void count_files(const char *dir, size_t *mains, size_t *histories)
{
	struct dirent **names = NULL;
	int k = scandir(dir, &names, NULL, alphasort);

	*mains = *histories = 0;
	assert_true(k >= 0);
	for (int i = 0; i < k; i++) {
		const char *n = names[i]->d_name;
		if (cw_str_endswith(n, ".history.json")) {
			char *main = cw_asprintf("%s/%.*s.json", dir,
						 (int)(strlen(n) - 13), n);
			*histories += cw_file_exists(main);
			free(main);
		} else if (cw_str_endswith(n, ".json")) {
			(*mains)++;
		}
		free(names[i]);
	}
	free(names);
}

/*
 * The whole contrib collection of Open Terms Archive (379 services, 194 of
 * them with a history file beside) loads: no file is skipped, every history file is read,
 * and the only warnings are the JavaScript filters we do not run and pages
 * kept whole. GitLab's declaration, whose filter takes an address as its
 * option, is among them.
 */
static void test_decl__ota_collection_loads(void **state)
{
	(void)state;
	char *dir = ota_dir("contrib-declarations");
	struct cw_decl_service **v = NULL;
	size_t n = 0, mains, histories, with_history = 0, docs = 0, js = 0;
	struct cw_strv warn = CW_STRV_INIT;
	struct cw_err err = CW_ERR_INIT;
	bool gitlab = false;

	if (!dir)
		skip();
	count_files(dir, &mains, &histories);
	assert_int_equal(cw_decl_read_dir(&v, &n, dir, &warn, &err), CW_OK);
	for (size_t i = 0; i < warn.n; i++) {
		if (strstr(warn.v[i], "is a JavaScript filter of Open Terms "
				      "Archive, not applied")) {
			js++;
		} else if (!strstr(warn.v[i], "the whole page will be kept")) {
			print_lines(&warn);
			fail_msg("unexpected warning: %s", warn.v[i]);
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct cw_decl_service *svc = v[i];
		assert_true(svc->n_docs > 0 || svc->n_history > 0);
		with_history += svc->n_history > 0;
		docs += svc->n_docs;
		for (size_t d = 0; d < svc->n_docs; d++)
			for (size_t u = 0; u < svc->docs[d].n_sources; u++)
				assert_true(cw_str_startswith(
					svc->docs[d].sources[u].fetch, "http"));
		if (!strcmp(svc->id, "GitLab"))
			gitlab = cw_decl_find(svc, "Privacy Policy") != NULL;
		cw_decl_service_free(v[i]);
	}
	printf("# %zu services (%zu files), %zu documents, %zu with history "
	       "(%zu files), %zu JavaScript filter warnings\n",
	       n, mains, docs, with_history, histories, js);
	assert_int_equal(n, mains);
	assert_int_equal(with_history, histories);
	assert_true(n >= 370);
	assert_true(docs >= n);
	assert_true(gitlab);
	free(v);
	cw_strv_release(&warn);
	free(dir);
}

/* Read `path` as a history file: copied as X.history.json beside a minimal
 * X.json in a fresh directory, the way a collection lays them out. */
static int read_history_fixture(struct cw_decl_service **out, const char *path,
				struct cw_err *err)
{
	static const char main_json[] = "{\"name\":\"X\",\"terms\":{\"Terms of "
					"Service\":"
					"{\"fetch\":\"https://example.com/"
					"tos\",\"select\":\"main\"}}}";
	char tmpl[] = "/tmp/cw-test-decl-XXXXXX";
	struct cw_buf hist = CW_BUF_INIT;
	char *dir = mkdtemp(tmpl), *mp, *hp;
	int rc;

	assert_non_null(dir);
	mp = cw_asprintf("%s/X.json", dir);
	hp = cw_asprintf("%s/X.history.json", dir);
	assert_int_equal(cw_file_read(&hist, path, 1u << 20, err), CW_OK);
	assert_int_equal(cw_file_write_atomic(mp, main_json,
					      sizeof(main_json) - 1, err),
			 CW_OK);
	assert_int_equal(cw_file_write_atomic(hp, hist.ptr, hist.len, err),
			 CW_OK);
	rc = cw_decl_read_file(out, mp, NULL, err);
	assert_int_equal(unlink(hp), 0);
	assert_int_equal(unlink(mp), 0);
	assert_int_equal(rmdir(dir), 0);
	cw_buf_release(&hist);
	free(hp);
	free(mp);
	return rc;
}

/*
 * The fixtures of Open Terms Archive's declaration validator: every valid
 * declaration and history file loads; the invalid ones are refused with
 * their JSON path, or, where our reader is lenient by design (unknown
 * fields, a page without `select`), load with the warning that says so.
 * Two leniencies are the reader's alone (validate has neither, and declare
 * warns about the type): the terms type is not checked against
 * OTA's list of types ("Invalid Terms Type" loads), and a validUntil that
 * is a date without a time is read.
 */
static void test_decl__ota_validator_fixtures(void **state)
{
	(void)state;
	static const char *const valid[] = {
		"complex-service.json",		  "minimal-service.json",
		"multiple-source-documents.json", "pdf-document.json",
		"range-selectors.json",		  "service-with-filters.json",
	};
	static const struct {
		const char *file, *refused, *warned;
	} invalid[] = {
		{ "invalid-filter-object.json", "filter[0]: expected a filter",
		  NULL },
		{ "invalid-url.json", "is not an http(s) URL", NULL },
		{ "missing-fetch.json", "expected 'fetch' or 'combine'", NULL },
		{ "missing-name.json", "missing 'name'", NULL },
		{ "missing-terms.json", "missing 'terms' object", NULL },
		{ "additional-properties.json", NULL,
		  "unknown field 'unexpectedProperty'" },
		{ "missing-select.json", NULL, "the whole page will be kept" },
		{ "non-pdf-url-for-pdf.json", NULL,
		  "the whole page will be kept" },
		{ "invalid-terms-type.json", NULL, NULL },
	};
	static const char *const valid_history[] = { "pdf-history.json", "simpl"
									 "e-"
									 "histo"
									 "ry."
									 "jso"
									 "n" };
	char *root = ota_dir("validate-fixtures");
	struct cw_decl_service *svc = NULL;
	struct cw_strv warn = CW_STRV_INIT;
	struct cw_err err = CW_ERR_INIT;
	char *p;

	if (!root)
		skip();
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		p = cw_asprintf("%s/valid/%s", root, valid[i]);
		if (cw_decl_read_file(&svc, p, NULL, &err) != CW_OK)
			fail_msg("'%s' refused: %s", valid[i], err.msg);
		assert_true(svc->n_docs >= 1);
		cw_decl_service_free(svc);
		free(p);
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		int rc;
		p = cw_asprintf("%s/invalid/%s", root, invalid[i].file);
		rc = cw_decl_read_file(&svc, p, &warn, &err);
		if (invalid[i].refused) {
			assert_int_equal(rc, CW_EINVAL);
			assert_null(svc);
			if (!strstr(err.msg, invalid[i].refused))
				fail_msg("'%s': %s", invalid[i].file, err.msg);
			assert_non_null(strstr(err.msg, invalid[i].file));
		} else {
			assert_int_equal(rc, CW_OK);
			assert_int_equal(warn.n, invalid[i].warned ? 1 : 0);
			if (invalid[i].warned)
				assert_true(any_contains(
					&warn, invalid[i].warned, NULL));
			cw_decl_service_free(svc);
		}
		cw_strv_release(&warn);
		warn = (struct cw_strv)CW_STRV_INIT;
		free(p);
	}
	for (size_t i = 0; i < 2; i++) {
		p = cw_asprintf("%s/valid-history/%s", root, valid_history[i]);
		if (read_history_fixture(&svc, p, &err) != CW_OK)
			fail_msg("'%s' refused: %s", valid_history[i], err.msg);
		assert_int_equal(svc->n_history, 1);
		assert_string_equal(svc->history[0].type, "Privacy Policy");
		assert_true(svc->history[0].valid_until > 0);
		assert_ptr_equal(cw_decl_find_at(svc, "Privacy Policy",
						 svc->history[0].valid_until),
				 &svc->history[0]);
		cw_decl_service_free(svc);
		free(p);
	}
	/* a history entry without validUntil is refused; one whose
	 * validUntil is a date alone (OTA wants a date-time) is read as the
	 * start of that day, UTC, as cw_time_parse_iso() reads dates */
	p = cw_asprintf("%s/invalid-history/missing-valid-until.json", root);
	assert_int_equal(read_history_fixture(&svc, p, &err), CW_EINVAL);
	assert_null(svc);
	assert_non_null(strstr(err.msg, "history entry without 'validUntil'"));
	free(p);
	p = cw_asprintf("%s/invalid-history/invalid-date.json", root);
	assert_int_equal(read_history_fixture(&svc, p, &err), CW_OK);
	time_t day;
	assert_int_equal(cw_time_parse_iso("2023-12-31T00:00:00Z", &day),
			 CW_OK);
	assert_int_equal(svc->history[0].valid_until, day);
	cw_decl_service_free(svc);
	free(p);
	cw_strv_release(&warn);
	free(root);
}

/* ---- declarations back to JSON, for the store ---- */

static void assert_selectors_equal(const struct cw_decl_selector *a,
				   const struct cw_decl_selector *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *const fa[] = { a[i].css, a[i].start_before,
					   a[i].start_after, a[i].end_before,
					   a[i].end_after };
		const char *const fb[] = { b[i].css, b[i].start_before,
					   b[i].start_after, b[i].end_before,
					   b[i].end_after };
		for (size_t k = 0; k < 5; k++) {
			if (!fa[k] || !fb[k])
				assert_ptr_equal(fa[k], fb[k]);
			else
				assert_string_equal(fa[k], fb[k]);
		}
	}
}

/* Two documents declare the same thing (valid_until aside). */
static void assert_docs_equal(const struct cw_decl_doc *a,
			      const struct cw_decl_doc *b)
{
	assert_int_equal(a->n_sources, b->n_sources);
	assert_int_equal(a->combine || a->n_sources != 1,
			 b->combine || b->n_sources != 1);
	for (size_t s = 0; s < a->n_sources; s++) {
		const struct cw_decl_source *x = &a->sources[s];
		const struct cw_decl_source *y = &b->sources[s];
		assert_string_equal(x->fetch, y->fetch);
		assert_int_equal(x->n_select, y->n_select);
		assert_selectors_equal(x->select, y->select, x->n_select);
		assert_int_equal(x->n_remove, y->n_remove);
		assert_selectors_equal(x->remove, y->remove, x->n_remove);
		assert_int_equal(x->n_filters, y->n_filters);
		for (size_t f = 0; f < x->n_filters; f++) {
			assert_string_equal(x->filters[f].name,
					    y->filters[f].name);
			if (x->filters[f].param_json ||
			    y->filters[f].param_json)
				assert_string_equal(x->filters[f].param_json,
						    y->filters[f].param_json);
			assert_int_equal(x->filters[f].params.n,
					 y->filters[f].params.n);
			for (size_t k = 0; k < x->filters[f].params.n; k++)
				assert_string_equal(x->filters[f].params.v[k],
						    y->filters[f].params.v[k]);
		}
		assert_int_equal(x->execute_client_scripts,
				 y->execute_client_scripts);
	}
}

/* One document through the store's JSON and back: the same declaration,
 * and the same bytes when written again. Returns 1. */
static size_t round_trip(const struct cw_decl_service *svc,
			 const struct cw_decl_doc *doc)
{
	struct cw_buf j1 = CW_BUF_INIT, j2 = CW_BUF_INIT;
	struct cw_decl_service *back = NULL;
	struct cw_err err = CW_ERR_INIT;

	assert_int_equal(cw_decl_doc_to_json(&j1, doc), CW_OK);
	if (cw_decl_doc_from_json(&back, svc->id, doc->type, cw_buf_str(&j1),
				  &err) != CW_OK)
		fail_msg("'%s/%s': %s", svc->id, doc->type, err.msg);
	assert_int_equal(back->n_docs, 1);
	assert_string_equal(back->docs[0].type, doc->type);
	assert_docs_equal(doc, &back->docs[0]);
	assert_int_equal(cw_decl_doc_to_json(&j2, &back->docs[0]), CW_OK);
	assert_string_equal(cw_buf_str(&j1), cw_buf_str(&j2));
	cw_decl_service_free(back);
	cw_buf_release(&j1);
	cw_buf_release(&j2);
	return 1;
}

/*
 * Every document of every real declaration (the corpus's collections and
 * OTA's contrib collection, current and historical) survives the trip
 * through the JSON the store keeps, so a snapshot is re-extracted with the
 * declaration it was fetched under.
 */
static void test_decl__json_round_trip_real(void **state)
{
	(void)state;
	char *shared = env_dir("CW_SHARED", "../shared");
	char *croot = cw_asprintf("%s/corpus/declarations", shared);
	char *contrib = cw_asprintf("%s/ota/contrib-declarations", shared);
	struct cw_strv dirs = CW_STRV_INIT;
	struct dirent **cols = NULL;
	size_t trips = 0;

	if (!cw_dir_exists(croot) || !cw_dir_exists(contrib)) {
		printf("# skipped: '%s' or '%s' not found (set CW_SHARED)\n",
		       croot, contrib);
		free(croot), free(contrib), free(shared);
		skip();
	}
	int ncol = scandir(croot, &cols, NULL, alphasort);
	assert_true(ncol > 0);
	for (int i = 0; i < ncol; i++) {
		char *d = cw_asprintf("%s/%s", croot, cols[i]->d_name);
		if (cols[i]->d_name[0] != '.' && cw_dir_exists(d))
			cw_strv_push(&dirs, d);
		free(d);
		free(cols[i]);
	}
	free(cols);
	cw_strv_push(&dirs, contrib);
	for (size_t i = 0; i < dirs.n; i++) {
		struct cw_decl_service **v = NULL;
		size_t n = 0;
		struct cw_err err = CW_ERR_INIT;
		assert_int_equal(
			cw_decl_read_dir(&v, &n, dirs.v[i], NULL, &err), CW_OK);
		for (size_t s = 0; s < n; s++) {
			for (size_t d = 0; d < v[s]->n_docs; d++)
				trips += round_trip(v[s], &v[s]->docs[d]);
			for (size_t h = 0; h < v[s]->n_history; h++)
				trips += round_trip(v[s], &v[s]->history[h]);
			cw_decl_service_free(v[s]);
		}
		free(v);
	}
	printf("# %zu documents through the store's JSON and back\n", trips);
	assert_true(trips >= 1000);
	cw_strv_release(&dirs);
	free(croot), free(contrib), free(shared);
}

/* ---- validation: Open Terms Archive's rules ---- */

static struct cw_decl_types *load_types(void)
{
	char *data = env_dir("CW_DATA_DIR", "data");
	struct cw_decl_types *t = NULL;
	struct cw_err err = CW_ERR_INIT;

	if (cw_decl_types_load(&t, data, &err) != CW_OK)
		fail_msg("%s", err.msg);
	free(data);
	return t;
}

/* True if `r` has a problem of `sev` at exactly `path` whose message
 * holds `what`. */
static bool has_problem(const struct cw_decl_report *r,
			enum cw_decl_severity sev, const char *path,
			const char *what)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].severity == sev && !strcmp(r->v[i].path, path) &&
		    strstr(r->v[i].message, what))
			return true;
	return false;
}

static void print_report(const struct cw_decl_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		printf("#   %s '%s': %s: %s\n",
		       r->v[i].severity == CW_DECL_ERROR ? "E" : "W",
		       r->v[i].file, r->v[i].path, r->v[i].message);
}

/* Validate `json` as file `name` (a declaration unless it is named
 * X.history.json) into a fresh report. */
static void validate_text(struct cw_decl_report *r,
			  const struct cw_decl_types *t, const char *name,
			  const char *json)
{
	cw_decl_report_release(r);
	cw_decl_validate_buffer(r, t, name, NULL, CW_DECL_FILE_AUTO, json,
				strlen(json));
}

/*
 * The terms types: the list we ship is OTA's (44 names in 2.2.0, each
 * unique), a near miss gets its hint (a typo, the case, an alias), a name
 * far from all gets none, and declare's check names the file and path.
 */
static void test_decl__terms_types(void **state)
{
	(void)state;
	struct cw_decl_types *t = load_types();
	struct cw_strv warn = CW_STRV_INIT;
	struct cw_decl_service *svc = NULL;
	struct cw_err err = CW_ERR_INIT;
	const char *alias = NULL;
	char msg[CW_ERR_MSG_MAX];

	assert_int_equal(cw_decl_types_count(t), 44);
	assert_true(cw_decl_types_has(t, "Terms of Service"));
	assert_true(cw_decl_types_has(t, "Vulnerability Disclosure Policy"));
	assert_false(cw_decl_types_has(t, "terms of service"));
	assert_string_equal(cw_decl_types_suggest(t, "Privacy Polcy", &alias),
			    "Privacy Policy");
	assert_null(alias);
	assert_string_equal(cw_decl_types_suggest(t, "terms-of-service", NULL),
			    "Terms of Service");
	assert_string_equal(cw_decl_types_suggest(t, "Terms of Use", &alias),
			    "Terms of Service");
	assert_string_equal(alias, "Terms of Use");
	assert_string_equal(cw_decl_types_suggest(t, "Cookie Policy", &alias),
			    "Trackers Policy");
	assert_null(cw_decl_types_suggest(t, "Invalid Terms Type", NULL));
	assert_null(cw_decl_types_suggest(t, "", NULL));
	cw_decl_types_unknown(t, "Terms of Use", msg, sizeof(msg));
	assert_string_equal(msg, "unknown terms type 'Terms of Use'; did you "
				 "mean 'Terms of Service' (also known as "
				 "'Terms of Use')?");
	cw_decl_types_unknown(t, "Invalid Terms Type", msg, sizeof(msg));
	assert_non_null(strstr(msg, "not one of Open Terms Archive's 44"));

	const char *json = "{\"name\": \"X\", \"terms\": {\"Terms of Use\": "
			   "{\"fetch\": \"https://x.example/t\", \"select\": "
			   "\"main\"}}}";
	assert_int_equal(cw_decl_read_buffer(&svc, "X.json", json, strlen(json),
					     NULL, &err),
			 CW_OK);
	cw_decl_types_check(t, svc, &warn);
	assert_int_equal(warn.n, 1);
	assert_non_null(strstr(warn.v[0], "'X.json': terms.Terms of Use: "
					  "unknown terms type 'Terms of Use'; "
					  "did you mean 'Terms of Service'"));
	cw_decl_service_free(svc);
	cw_strv_release(&warn);

	/* a broken list fails naming the field */
	struct cw_decl_types *bad = NULL;
	const char *dup = "{\"version\": 1, \"types\": [{\"name\": \"A\"}, "
			  "{\"name\": \"A\"}]}";
	assert_int_equal(cw_decl_types_parse(&bad, "t.json", dup, strlen(dup),
					     &err),
			 CW_EPARSE);
	assert_null(bad);
	assert_non_null(strstr(err.msg, "types[1].name: 'A' is also types[0]"));
	const char *extra = "{\"version\": 1, \"types\": [{\"name\": \"A\", "
			    "\"alias\": []}]}";
	assert_int_equal(cw_decl_types_parse(&bad, "t.json", extra,
					     strlen(extra), &err),
			 CW_EPARSE);
	assert_non_null(strstr(err.msg, "alias"));
	cw_decl_types_free(t);
}

/*
 * OTA's validator fixtures, through validate: every valid declaration and
 * history file has no error, and every invalid one is refused for its own
 * reason, named at its JSON path.
 */
static void test_decl__validate_ota_fixtures(void **state)
{
	(void)state;
	static const char *const valid[] = {
		"complex-service.json",		  "minimal-service.json",
		"multiple-source-documents.json", "pdf-document.json",
		"range-selectors.json",		  "service-with-filters.json",
	};
	static const char *const valid_history[] = { "pdf-history.json", "simpl"
									 "e-"
									 "histo"
									 "ry."
									 "jso"
									 "n" };
	static const struct {
		const char *dir, *file, *path, *what;
	} invalid[] = {
		{ "invalid", "additional-properties.json", "",
		  "unknown property 'unexpectedProperty'" },
		{ "invalid", "invalid-filter-object.json",
		  "terms.Privacy Policy.filter[0]",
		  "a filter object has one key, the filter's name, with its "
		  "parameter as value; this one has 2 ('filterName', "
		  "'unexpectedAdditionalProperty')" },
		{ "invalid", "invalid-terms-type.json",
		  "terms.Invalid Terms Type",
		  "unknown terms type 'Invalid Terms Type'" },
		{ "invalid", "invalid-url.json", "terms.Privacy Policy.fetch",
		  "'not-a-valid-url' is not an absolute URL" },
		{ "invalid", "missing-fetch.json", "terms.Privacy Policy",
		  "missing 'fetch'" },
		{ "invalid", "missing-name.json", "", "missing 'name'" },
		{ "invalid", "missing-select.json", "terms.Privacy Policy",
		  "missing 'select': only a PDF" },
		{ "invalid", "missing-terms.json", "", "missing 'terms'" },
		{ "invalid", "non-pdf-url-for-pdf.json", "terms.Privacy Policy",
		  "'https://example.com/privacy.html' is not one" },
		{ "invalid-history", "invalid-date.json",
		  "Privacy Policy[0].validUntil",
		  "'2023-12-31' is not a date-time with a time zone" },
		{ "invalid-history", "missing-valid-until.json",
		  "Privacy Policy[0]", "missing 'validUntil'" },
	};
	char *root = ota_dir("validate-fixtures");
	struct cw_decl_types *t = NULL;
	struct cw_err err = CW_ERR_INIT;
	size_t ok_valid = 0, ok_history = 0, ok_invalid = 0, ok_ihistory = 0;

	if (!root)
		skip();
	t = load_types();
	for (size_t i = 0; i < 8; i++) {
		bool hist = i >= 6;
		const char *f = hist ? valid_history[i - 6] : valid[i];
		char *p = cw_asprintf("%s/%s/%s", root,
				      hist ? "valid-history" : "valid", f);
		struct cw_decl_report r = CW_DECL_REPORT_INIT;
		assert_int_equal(
			cw_decl_validate_path(&r, t, p,
					      hist ? CW_DECL_FILE_HISTORY
						   : CW_DECL_FILE_AUTO,
					      &err),
			CW_OK);
		if (r.errors)
			print_report(&r);
		assert_int_equal(r.errors, 0);
		assert_int_equal(r.files, 1);
		*(hist ? &ok_history : &ok_valid) += 1;
		cw_decl_report_release(&r);
		free(p);
	}
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		bool hist = !strcmp(invalid[i].dir, "invalid-history");
		char *p = cw_asprintf("%s/%s/%s", root, invalid[i].dir,
				      invalid[i].file);
		struct cw_decl_report r = CW_DECL_REPORT_INIT;
		cw_decl_validate_path(
			&r, t, p,
			hist ? CW_DECL_FILE_HISTORY : CW_DECL_FILE_AUTO, &err);
		if (!has_problem(&r, CW_DECL_ERROR, invalid[i].path,
				 invalid[i].what)) {
			print_report(&r);
			fail_msg("'%s': no error '%s' at '%s'", invalid[i].file,
				 invalid[i].what, invalid[i].path);
		}
		/* the one reason, not a cascade */
		assert_int_equal(r.errors, 1);
		assert_string_equal(r.v[0].file, p);
		*(hist ? &ok_ihistory : &ok_invalid) += 1;
		cw_decl_report_release(&r);
		free(p);
	}
	printf("# valid accepted %zu/6 + %zu/2 history; invalid refused "
	       "%zu/9 + %zu/2 history\n",
	       ok_valid, ok_history, ok_invalid, ok_ihistory);
	cw_decl_types_free(t);
	free(root);
}

/*
 * OTA's contrib collection is valid as a whole: no error in any of its
 * files, each declaration and history file read, and the collection
 * folder form (a folder holding declarations/) reads the same files.
 */
static void test_decl__validate_contrib(void **state)
{
	(void)state;
	char *contrib = ota_dir("contrib-declarations");
	struct cw_decl_report r = CW_DECL_REPORT_INIT;
	struct cw_decl_report r2 = CW_DECL_REPORT_INIT;
	struct cw_decl_types *t = NULL;
	struct cw_err err = CW_ERR_INIT;
	size_t mains = 0, histories = 0;

	if (!contrib)
		skip();
	t = load_types();
	assert_int_equal(cw_decl_validate_path(&r, t, contrib,
					       CW_DECL_FILE_AUTO, &err),
			 CW_OK);
	if (r.errors)
		print_report(&r);
	assert_int_equal(r.errors, 0);
	/* every history file, with or without its declaration */
	struct dirent **names = NULL;
	int k = scandir(contrib, &names, NULL, alphasort);
	for (int i = 0; i < k; i++) {
		if (cw_str_endswith(names[i]->d_name, ".history.json"))
			histories++;
		else if (cw_str_endswith(names[i]->d_name, ".json"))
			mains++;
		free(names[i]);
	}
	free(names);
	assert_int_equal(r.services, mains);
	assert_int_equal(r.files, mains + histories);
	assert_true(r.documents >= 800);
	printf("# contrib: %zu files, %zu services, %zu documents, %zu "
	       "history entries: %zu errors, %zu warnings\n",
	       r.files, r.services, r.documents, r.entries, r.errors,
	       r.warnings);

	char tmpl[] = "/tmp/cw-validate-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char *link = cw_asprintf("%s/declarations", tmpl);
	assert_int_equal(symlink(contrib, link), 0);
	assert_int_equal(cw_decl_validate_path(&r2, t, tmpl, CW_DECL_FILE_AUTO,
					       &err),
			 CW_OK);
	assert_int_equal(r2.files, r.files);
	assert_int_equal(r2.errors, 0);
	assert_int_equal(unlink(link), 0);
	assert_int_equal(rmdir(tmpl), 0);
	free(link);
	cw_decl_report_release(&r);
	cw_decl_report_release(&r2);
	cw_decl_types_free(t);
	free(contrib);
}

/*
 * The rules where OTA's schema has a subtlety, each against what OTA's
 * own validator (ajv over its schema) says of the same file, and ours
 * beyond it.
 */
static void test_decl__validate_rules(void **state)
{
	(void)state;
	struct cw_decl_types *t = load_types();
	struct cw_decl_report r = CW_DECL_REPORT_INIT;

	/* the PDF pattern: '.' before pdf is any character, a query after
	 * it is allowed, a fragment or a bare '?' is not */
	assert_true(cw_decl_url_is_pdf_pattern("https://x.example/a.pdf"));
	assert_true(cw_decl_url_is_pdf_pattern("http://x.example/a.PDF?v=2"));
	assert_true(cw_decl_url_is_pdf_pattern("https://x.example/p/?.pdf"));
	assert_true(cw_decl_url_is_pdf_pattern("https://x.example/apdf"));
	assert_true(cw_decl_url_is_pdf_pattern("https://xypdf"));
	assert_false(cw_decl_url_is_pdf_pattern("https://xpdf"));
	assert_false(cw_decl_url_is_pdf_pattern("https://x.example/a.pdf?"));
	assert_false(cw_decl_url_is_pdf_pattern("https://x.example/a.pdf#p"));
	assert_false(cw_decl_url_is_pdf_pattern("HTTPS://x.example/a.pdf"));
	assert_false(cw_decl_url_is_pdf_pattern("https://x.e\n/a.pdf"));
	assert_false(cw_decl_url_is_pdf_pattern(NULL));

	/* a PDF with select is a page (valid); with remove, refused */
	validate_text(&r, t, "P.json",
		      "{\"name\": \"P\", \"terms\": {\"Privacy Policy\": "
		      "{\"fetch\": \"https://x.example/a.pdf\", \"select\": "
		      "\"body\"}}}");
	assert_int_equal(r.errors, 0);
	validate_text(&r, t, "P.json",
		      "{\"name\": \"P\", \"terms\": {\"Privacy Policy\": "
		      "{\"fetch\": \"https://x.example/a.pdf\", \"remove\": "
		      "\"nav\"}}}");
	assert_true(has_problem(&r, CW_DECL_ERROR, "terms.Privacy Policy",
				"'remove' without 'select'"));

	/* filter parameters of any JSON type; an unknown filter warns */
	validate_text(&r, t, "F.json",
		      "{\"name\": \"F\", \"terms\": {\"Privacy Policy\": "
		      "{\"fetch\": \"https://x.example/p\", \"select\": "
		      "\"main\", "
		      "\"filter\": [{\"a\": 1}, {\"b\": null}, {\"c\": {\"d\": "
		      "[true]}}, {\"removeQueryParams\": [\"utm\"]}]}}}");
	assert_int_equal(r.errors, 0);
	assert_int_equal(r.warnings, 0); /* no folder: no filters file looked
					  * for */

	/* a combine: the same page twice is refused; two pages OTA files
	 * under one snapshot name warn; one without select anywhere warns */
	validate_text(&r, t, "C.json",
		      "{\"name\": \"C\", \"terms\": {\"Privacy Policy\": "
		      "{\"combine\": [{\"fetch\": \"https://x.example/p\"}, "
		      "{\"fetch\": \"https://x.example/p\"}, {\"fetch\": "
		      "\"https://x.example/p\", \"select\": \"h1\"}, "
		      "{\"fetch\": \"https://y.example/p\"}], \"select\": "
		      "\"main\"}}}");
	assert_true(has_problem(&r, CW_DECL_ERROR,
				"terms.Privacy Policy.combine[1]",
				"the same page as combine[0]"));
	assert_false(has_problem(&r, CW_DECL_ERROR,
				 "terms.Privacy Policy.combine[2]", ""));
	assert_true(has_problem(&r, CW_DECL_WARNING,
				"terms.Privacy Policy.combine[3]",
				"one snapshot name ('p'"));
	assert_int_equal(r.errors, 1);
	validate_text(&r, t, "C.json",
		      "{\"name\": \"C\", \"terms\": {\"Privacy Policy\": "
		      "{\"combine\": [{\"fetch\": \"https://x.example/p\"}], "
		      "\"fetch\": \"https://x.example/q\"}}}");
	assert_true(has_problem(&r, CW_DECL_ERROR, "terms.Privacy Policy",
				"'fetch' beside 'combine'"));
	assert_true(has_problem(&r, CW_DECL_WARNING,
				"terms.Privacy Policy.combine[0]",
				"the whole page is kept"));

	/* a slip of a key gets a hint; the old key 'documents' is named */
	validate_text(&r, t, "K.json",
		      "{\"name\": \"K\", \"Terms\": {}, \"terms\": {}}");
	assert_true(has_problem(&r, CW_DECL_ERROR, "",
				"unknown property 'Terms'; did you mean "
				"'terms'?"));
	validate_text(&r, t, "K.json", "{\"name\": \"K\", \"documents\": {}}");
	assert_true(has_problem(&r, CW_DECL_ERROR, "",
				"'documents' is the old name of 'terms'"));
	assert_int_equal(r.errors, 1);

	/* URLs: only http(s), with a host and URL characters */
	static const struct {
		const char *url, *what;
	} urls[] = {
		{ "ftp://x.example/t", "only http and https" },
		{ "https:///t", "has no host" },
		{ "https://x.example/a b", "' ' at byte 19" },
		{ "https://x.example/%zz", "not a %XX escape" },
		{ "https://x.example:8a/t", "the port is not a number" },
		{ "https://x.example/\xc3\xa9", "a non-ASCII character" },
		{ "//x.example/t", "not an absolute URL" },
	};
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		char *json = cw_asprintf("{\"name\": \"U\", \"terms\": "
					 "{\"Imprint\": "
					 "{\"fetch\": \"%s\", \"select\": "
					 "\"main\"}}}",
					 urls[i].url);
		validate_text(&r, t, "U.json", json);
		if (!has_problem(&r, CW_DECL_ERROR, "terms.Imprint.fetch",
				 urls[i].what)) {
			print_report(&r);
			fail_msg("'%s': expected '%s'", urls[i].url,
				 urls[i].what);
		}
		free(json);
	}
	validate_text(&r, t, "U.json",
		      "{\"name\": \"U\", \"terms\": {\"Imprint\": {\"fetch\": "
		      "\"https://u@[::1]:8080/a/b?c=d&e#f\", \"select\": "
		      "\"main\"}}}");
	assert_int_equal(r.errors, 0);

	/* history: RFC 3339 date-times with a time zone, leap years and
	 * seconds as ajv-formats checks them; a date given twice warns */
	static const struct {
		const char *date;
		bool ok;
	} dates[] = {
		{ "2020-02-29T00:00:00Z", true },
		{ "2021-02-29T00:00:00Z", false },
		{ "2020-01-01t00:00:00z", true },
		{ "2020-01-01 00:00:00+0100", true },
		{ "2020-01-01T00:00:00+01", true },
		{ "2020-01-01T00:00:00.123456Z", true },
		{ "2020-01-01T00:00:00", false },
		{ "2020-01-01T00:00:00.Z", false },
		{ "2020-01-01T24:00:00Z", false },
		{ "2016-12-31T23:59:60Z", true },
		{ "2016-12-31T22:59:60Z", false },
		{ "2016-12-31T23:00:00+24:00", false },
		{ "2023-12-31", false },
	};
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		char *json = cw_asprintf("{\"Imprint\": [{\"fetch\": "
					 "\"https://x.example/i\", "
					 "\"select\": \"main\", "
					 "\"validUntil\": \"%s\"}]}",
					 dates[i].date);
		validate_text(&r, t, "H.history.json", json);
		if ((r.errors == 0) != dates[i].ok)
			fail_msg("'%s': %zu errors", dates[i].date, r.errors);
		free(json);
	}
	validate_text(&r, t, "H.history.json",
		      "{\"Imprint\": [{\"fetch\": \"https://x.example/i\", "
		      "\"select\": \"main\", \"validUntil\": "
		      "\"2020-01-01T01:00:00+01:00\"}, {\"fetch\": "
		      "\"https://x.example/j\", \"select\": \"main\", "
		      "\"validUntil\": \"2020-01-01T00:00:00Z\"}, "
		      "{\"combine\": "
		      "[{\"fetch\": \"https://x.example/k\"}], \"select\": "
		      "\"main\"}]}");
	assert_int_equal(r.errors, 0);
	assert_true(has_problem(&r, CW_DECL_WARNING, "Imprint[1].validUntil",
				"the same date as Imprint[0]"));
	assert_true(has_problem(&r, CW_DECL_WARNING, "Imprint[2]",
				"no 'validUntil'"));
	assert_int_equal(r.entries, 3);

	/* a history file named as a declaration: the hint says so */
	validate_text(&r, t, "H.json",
		      "{\"Imprint\": [{\"fetch\": \"https://x.example/i\", "
		      "\"select\": \"main\", \"validUntil\": "
		      "\"2020-01-01T00:00:00Z\"}]}");
	assert_true(has_problem(&r, CW_DECL_ERROR, "",
				"its name must end in .history.json"));

	/* the file as a whole: syntax with line and column, a duplicated
	 * key a warning (JSON.parse keeps the last), nesting capped */
	validate_text(&r, t, "J.json", "{\"name\": \"J\",\n \"terms\": {,}}");
	assert_true(has_problem(&r, CW_DECL_ERROR, "", "line 2, column"));
	validate_text(&r, t, "J.json",
		      "{\"name\": \"J\", \"name\": \"K\", \"terms\": {}}");
	assert_int_equal(r.errors, 0);
	assert_true(has_problem(&r, CW_DECL_WARNING, "", "keeps the last"));
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 99);
	deep[199] = 0;
	deep[99] = ']';
	validate_text(&r, t, "D.json", deep);
	assert_int_equal(r.errors, 1);
	cw_decl_report_release(&r);
	cw_decl_types_free(t);
}

/* The declarations we ship load with no warning at all. */
static void test_decl__shipped_no_warnings(void **state)
{
	(void)state;
	char *data = env_dir("CW_DATA_DIR", "data");
	char *dir = cw_asprintf("%s/declarations", data);
	struct cw_decl_service **v = NULL;
	size_t n = 0;
	struct cw_strv warn = CW_STRV_INIT;
	struct cw_err err = CW_ERR_INIT;

	assert_int_equal(cw_decl_read_dir(&v, &n, dir, &warn, &err), CW_OK);
	if (warn.n)
		print_lines(&warn);
	assert_int_equal(warn.n, 0);
	/* count the files independently of the reader: each one loaded */
	struct dirent **names = NULL;
	int k = scandir(dir, &names, NULL, alphasort);
	size_t files = 0;
	for (int i = 0; i < k; i++) {
		if (cw_str_endswith(names[i]->d_name, ".json") &&
		    !cw_str_endswith(names[i]->d_name, ".history.json"))
			files++;
		free(names[i]);
	}
	free(names);
	printf("# %zu shipped declarations\n", n);
	assert_int_equal(n, files);
	assert_true(n >= 15);
	bool stability = false;
	for (size_t i = 0; i < n; i++) {
		for (size_t d = 0; d < v[i]->n_docs; d++)
			for (size_t s = 0; s < v[i]->docs[d].n_sources; s++) {
				const struct cw_decl_source *src =
					&v[i]->docs[d].sources[s];
				assert_true(cw_str_startswith(src->fetch, "http"
									  "s:/"
									  "/"));
				assert_true(cw_decl_source_is_pdf(src) ||
					    src->n_select > 0);
			}
		if (!strcmp(v[i]->id, "Stability AI"))
			stability = cw_decl_find(v[i], "Acceptable Use "
						       "Policy") &&
				    cw_decl_find(v[i], "Terms of Service");
		cw_decl_service_free(v[i]);
	}
	assert_true(stability);
	free(v);
	cw_strv_release(&warn);
	free(dir);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decl__corpus_loads),
		cmocka_unit_test(test_decl__combine_shared_defaults),
		cmocka_unit_test(test_decl__legacy_documents_key),
		cmocka_unit_test(test_decl__real_history),
		cmocka_unit_test(test_decl__history_key_variant_warns),
		cmocka_unit_test(test_decl__malformed_json_line_col),
		cmocka_unit_test(test_decl__unknown_field_warns),
		cmocka_unit_test(test_decl__bad_range_names_path),
		cmocka_unit_test(test_decl__filters_ranges_and_defaults),
		cmocka_unit_test(test_decl__read_dir_skips_and_sorts),
		cmocka_unit_test(test_decl__invalid_inputs),
		cmocka_unit_test(test_decl__size_cap),
		cmocka_unit_test(test_decl__pdf_urls),
		cmocka_unit_test(test_decl__shipped_no_warnings),
		cmocka_unit_test(test_decl__ota_collection_loads),
		cmocka_unit_test(test_decl__ota_validator_fixtures),
		cmocka_unit_test(test_decl__json_round_trip_real),
		cmocka_unit_test(test_decl__terms_types),
		cmocka_unit_test(test_decl__validate_ota_fixtures),
		cmocka_unit_test(test_decl__validate_contrib),
		cmocka_unit_test(test_decl__validate_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
