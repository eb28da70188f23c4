/*
 * Unit tests of the CSS selector engine (src/extract/select.h): matching on
 * small documents written here, parse errors, every selector of the real
 * Open Terms Archive declarations in $CW_SHARED, and the real snapshots,
 * where each declared selector must find the content it was written for.
 */
#include <dirent.h>
#include <strings.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <gumbo.h>
#include <jansson.h>

#include "extract/select.h"

/* ---- helpers ---- */

static char *shared_dir(void)
{
	const char *s = getenv("CW_SHARED");
	if (s && *s)
		return cw_strdup(s);
	const char *root = getenv("CW_SOURCE_ROOT");
	return cw_asprintf("%s/../shared",
			   root && *root ? root : CW_SOURCE_ROOT);
}

/* The `id` attribute of each element matching `sel` in `html`, joined by
 * spaces in document order ("-" for an element without id). */
static char *ids(const char *html, const char *sel)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_css *css = NULL;
	struct cw_buf b = CW_BUF_INIT;

	if (cw_css_parse(&css, sel, &err) != CW_OK) {
		fprintf(stderr, "%s\n", err.msg);
		fail_msg("selector '%s' did not parse", sel);
	}
	GumboOutput *doc = gumbo_parse(html);
	GumboNode **v = NULL;
	size_t n = 0;
	cw_css_select_all(&v, &n, css, doc->document);
	for (size_t i = 0; i < n; i++) {
		GumboAttribute *id =
			gumbo_get_attribute(&v[i]->v.element.attributes, "id");
		cw_buf_addf(&b, "%s%s", i ? " " : "", id ? id->value : "-");
	}
	/* cw_css_matches and cw_css_select_first agree with select_all */
	GumboNode *first = cw_css_select_first(css, doc->document);
	assert_ptr_equal(first, n ? v[0] : NULL);
	for (size_t i = 0; i < n; i++)
		assert_true(cw_css_matches(css, v[i]));
	free(v);
	gumbo_destroy_output(&kGumboDefaultOptions, doc);
	cw_css_free(css);
	return cw_buf_detach(&b, NULL);
}

#define assert_ids(html, sel, want)                                        \
	do {                                                               \
		char *got_ = ids((html), (sel));                           \
		if (strcmp(got_, (want)) != 0)                             \
			fail_msg("'%s': got '%s', want '%s'", (sel), got_, \
				 (want));                                  \
		free(got_);                                                \
	} while (0)

/* ---- matching on small documents ---- */

static const char *const doc1 = "<!DOCTYPE html><html id=h><head id=hd><title "
				"id=t>x</title></head>"
				"<body id=b>"
				"<div id=d1 class='main Content'>"
				"<p id=p1 class=lead>one</p>"
				"<p id=p2 lang=en-US data-x='a b c'>two</p>"
				"<span id=s1></span>"
				"<p id=p3 title='Hello World'>three</p>"
				"<p id=p4><em id=e1>four</em></p>"
				"</div>"
				"<section id=sec><div id=d2 class=main><p "
				"id=p5>five</p></div></section>"
				"<ul id=ul><li id=l1><li id=l2><li id=l3><li "
				"id=l4><li id=l5><li "
				"id=l6></ul>"
				"<x-widget id=w1 ROLE=main></x-widget>"
				"</body></html>";

static void test_select__basic(void **state)
{
	(void)state;
	assert_ids(doc1, "p", "p1 p2 p3 p4 p5");
	assert_ids(doc1, "*",
		   "h hd t b d1 p1 p2 s1 p3 p4 e1 sec d2 p5 ul l1 l2 "
		   "l3 l4 l5 l6 w1");
	assert_ids(doc1, ".main", "d1 d2");
	assert_ids(doc1, ".main.Content", "d1");
	assert_ids(doc1, "#p3", "p3");
	assert_ids(doc1, "p#p3.lead", "");
	assert_ids(doc1, "div p", "p1 p2 p3 p4 p5");
	assert_ids(doc1, "section p", "p5");
	assert_ids(doc1, "body > p", "");
	assert_ids(doc1, "body > div > p", "p1 p2 p3 p4");
	assert_ids(doc1, "section > p", "");
	assert_ids(doc1, "body  >  section>div   p", "p5");
	assert_ids(doc1, "x-widget", "w1");
	assert_ids(doc1, "nosuch", "");
}

static void test_select__list_document_order_no_duplicates(void **state)
{
	(void)state;
	/* each element once, in document order, whatever the list order */
	assert_ids(doc1, "#p5, p, .lead, div", "d1 p1 p2 p3 p4 d2 p5");
	assert_ids(doc1, "em,span", "s1 e1");
}

static void test_select__case(void **state)
{
	(void)state;
	/* tag and attribute names ignore case; class and id values do not */
	assert_ids(doc1, "DIV.main", "d1 d2");
	assert_ids(doc1, "X-Widget[role=main]", "w1");
	assert_ids(doc1, "[ROLE]", "w1");
	assert_ids(doc1, ".content", "");
	assert_ids(doc1, ".Content", "d1");
	assert_ids(doc1, "#P3", "");
	assert_ids(doc1, "[title='hello world']", "");
	assert_ids(doc1, "[title='hello world' i]", "p3");
	assert_ids(doc1, "[title='Hello World' s]", "p3");
}

static void test_select__attribute_operators(void **state)
{
	(void)state;
	assert_ids(doc1, "[lang]", "p2");
	assert_ids(doc1, "[lang=en-US]", "p2");
	assert_ids(doc1, "[lang=en]", "");
	assert_ids(doc1, "[lang|=en]", "p2");
	assert_ids(doc1, "[lang|=en-U]", "");
	assert_ids(doc1, "[data-x~=b]", "p2");
	assert_ids(doc1, "[data-x~='a b']", "");
	assert_ids(doc1, "[data-x~='']", "");
	assert_ids(doc1, "[title^=Hell]", "p3");
	assert_ids(doc1, "[title^='']", "");
	assert_ids(doc1, "[title$=\"World\"]", "p3");
	assert_ids(doc1, "[title*='o W']", "p3");
	assert_ids(doc1, "[title*=xyz]", "");
	assert_ids(doc1, "[class^=mai]", "d1 d2");
	assert_ids(doc1, "[class=main]", "d2");
	assert_ids(doc1, "[ id = 'p1' ]", "p1");
	assert_ids(doc1, "p[id^=p][id$='4']", "p4");
}

static void test_select__strings_and_escapes(void **state)
{
	(void)state;
	const char *html = "<p id=a class='xl:sticky'></p>"
			   "<p id=b title='it&#39;s \"q\"'></p>"
			   "<p id=c class='\xc3\xa9t\xc3\xa9'></p>"
			   "<p id=d data-v='a\\b'></p>"
			   "<p id=1x></p>";
	assert_ids(html, ".xl\\:sticky", "a");
	assert_ids(html, ".xl\\3A sticky", "a");
	assert_ids(html, ".xl\\00003asticky", "a");
	assert_ids(html, "[title='it\\'s \"q\"']", "b");
	assert_ids(html, "[title=\"it's \\\"q\\\"\"]", "b");
	assert_ids(html, "[title=\"it's \\22q\\22\"]", "b");
	assert_ids(html, ".\xc3\xa9t\xc3\xa9", "c");
	assert_ids(html, ".\\e9t\\E9", "c");
	assert_ids(html, "[data-v='a\\\\b']", "d");
	/* an id starting with a digit is accepted, as HTML allows it */
	assert_ids(html, "#1x", "1x");
	assert_ids(html, "#\\31 x", "1x");
}

static const char *const doc2 = "<div id=r>"
				"<h2 id=h1>A</h2><p id=a1></p><p id=a2></p>"
				"<h2 id=h2>B</h2><div id=dd></div><p id=a3></p>"
				"<h3 id=h3>C</h3><p id=a4> </p>"
				"</div>";

static void test_select__sibling_combinators(void **state)
{
	(void)state;
	assert_ids(doc2, "h2 + p", "a1");
	assert_ids(doc2, "h2 ~ p", "a1 a2 a3 a4");
	assert_ids(doc2, "h2 + div + p", "a3");
	assert_ids(doc2, "h3 ~ p", "a4");
	assert_ids(doc2, "h3 ~ h2", "");
	assert_ids(doc2, "#h1 ~ h2 + div", "dd");
	assert_ids(doc2, "div > h2 ~ p + p", "a2");
	/* sibling then descendant: a p preceded by an h2 inside #r */
	assert_ids(doc2, "#r h2 ~ p", "a1 a2 a3 a4");
}

static void test_select__structural_pseudo_classes(void **state)
{
	(void)state;
	assert_ids(doc1, "li:nth-child(2n+1)", "l1 l3 l5");
	assert_ids(doc1, "li:nth-child(odd)", "l1 l3 l5");
	assert_ids(doc1, "li:nth-child(EVEN)", "l2 l4 l6");
	assert_ids(doc1, "li:nth-child(2n)", "l2 l4 l6");
	assert_ids(doc1, "li:nth-child(3)", "l3");
	assert_ids(doc1, "li:nth-child( -n + 3 )", "l1 l2 l3");
	assert_ids(doc1, "li:nth-child(n+5)", "l5 l6");
	assert_ids(doc1, "li:nth-child(3n-1)", "l2 l5");
	assert_ids(doc1, "li:nth-child(-2n+4)", "l2 l4");
	assert_ids(doc1, "li:nth-child(0n+2)", "l2");
	assert_ids(doc1, "li:first-child", "l1");
	assert_ids(doc1, "li:last-child", "l6");
	assert_ids(doc1, "li:only-child", "");
	assert_ids(doc1, "p:only-child", "p5");
	assert_ids(doc1, "em:only-child", "e1");
	/* d1's children are p p span p p: the span is the third child */
	assert_ids(doc1, "#d1 > :nth-child(3)", "s1");
	assert_ids(doc1, "#d1 > p:nth-of-type(3)", "p3");
	assert_ids(doc1, "#d1 > p:first-of-type", "p1");
	assert_ids(doc1, "#d1 > p:last-of-type", "p4");
	assert_ids(doc1, "#d1 > span:first-of-type:last-of-type", "s1");
	assert_ids(doc2, "h2:first-of-type", "h1");
	assert_ids(doc2, "h2:last-of-type", "h2");
	assert_ids(doc2, "h2:nth-of-type(2)", "h2");
	assert_ids(doc2, "p:nth-of-type(even)", "a2 a4");
	/* :empty: no element and no text; whitespace counts as text */
	assert_ids(doc2, "p:empty", "a1 a2 a3");
	assert_ids(doc1, ":root", "h");
	assert_ids(doc1, "HTML:ROOT > body", "b");
}

static void test_select__not(void **state)
{
	(void)state;
	assert_ids(doc1, "p:not(.lead)", "p2 p3 p4 p5");
	assert_ids(doc1, "p:not(.lead, [lang], #p5)", "p3 p4");
	assert_ids(doc1, "#d1 > :not(p)", "s1");
	assert_ids(doc1, "li:not(:nth-child(2n+1))", "l2 l4 l6");
	assert_ids(doc1, "p:not(section p)", "p1 p2 p3 p4");
	assert_ids(doc1, "p:not(:not(.lead))", "p1");
	assert_ids(doc1, "div:not(.Content).main", "d2");
}

static void test_select__has(void **state)
{
	(void)state;
	assert_ids(doc1, "p:has(em)", "p4");
	assert_ids(doc1, "div:has(> p.lead)", "d1");
	assert_ids(doc1, "section:has(> p)", "");
	assert_ids(doc1, "section:has(p)", "sec");
	assert_ids(doc1, "li:has(*)", "");
	assert_ids(doc1, "body > :has(> em, > .main)", "sec");
	assert_ids(doc1, "body > :has(em, #p5)", "d1 sec");
	assert_ids(doc1, ":has(> title)", "hd");
	assert_ids(doc1, "html:has(title)", "h");
	assert_ids(doc1, "div:not(:has(em))", "d2");
	assert_ids(doc1, "*:has([lang|=en]):not(body, html)", "d1");
}

static void test_select__deep_tree(void **state)
{
	(void)state;
	/* 3,000 nested divs and a selector with many descendant combinators
	 * that fails at the top: backtracking without the restart rules would
	 * not finish */
	struct cw_buf b = CW_BUF_INIT;
	for (int i = 0; i < 3000; i++)
		cw_buf_adds(&b, "<div>");
	cw_buf_adds(&b, "<span id=leaf></span>");
	assert_ids(b.ptr, "section div div div div div div div div span", "");
	assert_ids(b.ptr, "body div div div div div div div div span", "leaf");
	assert_ids(b.ptr, "body > div > div div > div div span:only-child",
		   "leaf");
	/* every div holds the span; only the innermost holds it as a child */
	struct cw_buf want = CW_BUF_INIT;
	for (int i = 0; i < 3000; i++)
		cw_buf_adds(&want, i ? " -" : "-");
	assert_ids(b.ptr, "div:has(span#leaf)", want.ptr);
	assert_ids(b.ptr, "div:not(:has(> span))", want.ptr + 2);
	cw_buf_release(&want);
	cw_buf_release(&b);
}

/*
 * A long list of mixed siblings (past the size where ranks are cached),
 * with the expected answers counted here the plain way.
 */
static void test_select__long_sibling_lists(void **state)
{
	(void)state;
	static const char *const types[] = { "p",   "span", "x-a",
					     "X-B", "p",    "x-a" };
	enum { N = 150 };
	struct cw_buf html = CW_BUF_INIT;
	char *type[N + 1];
	cw_buf_adds(&html, "<div id=w>");
	for (int i = 1; i <= N; i++) {
		/* an irregular pattern of the six types */
		type[i] = cw_strdup(types[(i * i + i / 3) % 6]);
		cw_buf_addf(&html, "<%s id=c%d>t</%s>", type[i], i, type[i]);
		if (i % 5 == 0)
			cw_buf_adds(&html, "text <!-- c --> ");
	}
	cw_buf_adds(&html, "</div>");

	for (size_t t = 0; t < 4; t++) {
		const char *ty = types[t];
		struct cw_buf want_nth = CW_BUF_INIT, want_last = CW_BUF_INIT,
			      want_first = CW_BUF_INIT, want_sib = CW_BUF_INIT;
		int count = 0, total = 0, last = 0, first = 0;
		bool seen_p = false;
		for (int i = 1; i <= N; i++)
			if (!strcasecmp(type[i], ty))
				total++, last = i, first = first ? first : i;
		for (int i = 1; i <= N; i++) {
			bool same = !strcasecmp(type[i], ty);
			count += same;
			/* every third of its type, from the second */
			if (same && count % 3 == 2)
				cw_buf_addf(&want_nth, "%sc%d",
					    want_nth.len ? " " : "", i);
			if (same && seen_p)
				cw_buf_addf(&want_sib, "%sc%d",
					    want_sib.len ? " " : "", i);
			if (!strcmp(type[i], "p"))
				seen_p = true;
		}
		cw_buf_addf(&want_last, "c%d", last);
		cw_buf_addf(&want_first, "c%d", first);
		char *sel = cw_asprintf("#w > %s:nth-of-type(3n+2)", ty);
		assert_ids(html.ptr, sel, cw_buf_str(&want_nth));
		free(sel);
		sel = cw_asprintf("#w > %s:last-of-type", ty);
		assert_ids(html.ptr, sel, want_last.ptr);
		free(sel);
		sel = cw_asprintf("div %s:first-of-type", ty);
		assert_ids(html.ptr, sel, want_first.ptr);
		free(sel);
		sel = cw_asprintf("p ~ %s", ty);
		assert_ids(html.ptr, sel, cw_buf_str(&want_sib));
		free(sel);
		(void)total;
		cw_buf_release(&want_nth);
		cw_buf_release(&want_last);
		cw_buf_release(&want_first);
		cw_buf_release(&want_sib);
	}
	assert_ids(html.ptr, "#w > :nth-child(77)", "c77");
	assert_ids(html.ptr, "#w > :nth-child(n+149)", "c149 c150");
	assert_ids(html.ptr, "#w > :last-child", "c150");
	assert_ids(html.ptr, "#w > :first-child + *", "c2");
	for (int i = 1; i <= N; i++)
		free(type[i]);
	cw_buf_release(&html);
}

/* ---- parse errors ---- */

static void expect_error(const char *sel, int col, const char *what)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_css *css = (struct cw_css *)&err; /* must be reset to NULL */
	char want[64];

	assert_int_equal(cw_css_parse(&css, sel, &err), CW_EPARSE);
	assert_null(css);
	assert_int_equal(err.rc, CW_EPARSE);
	snprintf(want, sizeof(want), " col %d: ", col);
	if (!strstr(err.msg, want) || !strstr(err.msg, what) ||
	    !strstr(err.msg, "selector '"))
		fail_msg("'%s': message '%s' lacks '%s' or '%s'", sel, err.msg,
			 want, what);
}

static void test_select__parse_errors(void **state)
{
	(void)state;
	expect_error("", 1, "expected selector");
	expect_error("div[", 5, "expected attribute name");
	expect_error("div[x", 6, "expected ']'");
	expect_error("a[href='x]", 8, "unterminated string");
	expect_error("a[x=]", 5, "expected attribute value");
	expect_error("a[x=1 2]", 7, "expected ']'");
	expect_error("a,", 3, "expected selector");
	expect_error(",a", 1, "unexpected character");
	expect_error("a >", 4, "expected selector");
	expect_error("> a", 1, "unexpected character");
	expect_error("p::before", 2, "pseudo-elements");
	expect_error("p:hover", 2, "unsupported pseudo-class ':hover'");
	expect_error("p:is(a)", 2, "unsupported pseudo-class ':is'");
	expect_error("li:nth-child(2n+)", 17, "expected a number");
	expect_error("li:nth-child(foo)", 14, "expected an+b");
	expect_error("li:nth-child(2n of p)", 17, "expected ')'");
	expect_error("li:first-child(1)", 3, "takes no argument");
	expect_error("p:not(.a", 9, "expected ')'");
	expect_error("p:not()", 7, "unexpected character");
	expect_error(".1a", 2, "expected class name");
	expect_error("svg|rect", 4, "namespaces");
	expect_error("a\\", 2, "unexpected character");
	expect_error("div)", 4, "unexpected character");
	expect_error("a:has(b:not(:has(c)))", 13, "':has' inside ':has'");
	expect_error("a:has(+ b)", 2, "':has' takes compound selectors");
	expect_error("a:has(b c)", 2, "':has' takes compound selectors");
	expect_error("a:has(b, ~ c)", 2, "':has' takes compound selectors");
	expect_error("p:not(:not(:not(:not(:not(:not(:not(:not(:not(a)))))))))",
		     42, "too deeply nested");
}

static void test_select__length_cap(void **state)
{
	(void)state;
	struct cw_err err = CW_ERR_INIT;
	struct cw_css *css = NULL;
	size_t n = 20000;
	char *s = cw_malloc(n + 1);
	memset(s, 'a', n);
	s[n] = 0;
	assert_int_equal(cw_css_parse(&css, s, &err), CW_ETOOBIG);
	assert_null(css);
	free(s);
}

/* ---- real declarations ---- */

/* Every CSS selector in select/remove (plain or range keys) under `v`. */
static void collect_selectors(json_t *v, struct cw_strv *out)
{
	static const char *const range_keys[] = { "startBefore", "startAfter",
						  "endBefore", "endAfter" };
	if (json_is_string(v)) {
		cw_strv_push(out, json_string_value(v));
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) collect_selectors(x, out);
	} else if (json_is_object(v)) {
		for (size_t k = 0; k < 4; k++) {
			json_t *s = json_object_get(v, range_keys[k]);
			if (json_is_string(s))
				cw_strv_push(out, json_string_value(s));
		}
	}
}

static void walk_declaration(json_t *v, struct cw_strv *out)
{
	if (json_is_object(v)) {
		const char *key;
		json_t *x;
		json_object_foreach(v, key, x)
		{
			if (!strcmp(key, "select") || !strcmp(key, "remove"))
				collect_selectors(x, out);
			else
				walk_declaration(x, out);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) walk_declaration(x, out);
	}
}

static int collect_file(const char *path, struct cw_strv *out)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root) {
		fprintf(stderr, "'%s':%d:%d: %s\n", path, jerr.line,
			jerr.column, jerr.text);
		return -1;
	}
	walk_declaration(root, out);
	json_decref(root);
	return 0;
}

/* Files under `dir` (recursively) whose name ends with `suffix`. */
static void find_files(const char *dir, const char *suffix, struct cw_strv *out)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		if (nm[0] != '.') {
			char *p = cw_asprintf("%s/%s", dir, nm);
			if (cw_dir_exists(p))
				find_files(p, suffix, out);
			else if (cw_str_endswith(nm, suffix))
				cw_strv_push(out, p);
			free(p);
		}
		free(names[i]);
	}
	free(names);
}

static void test_select__every_real_selector_parses(void **state)
{
	(void)state;
	char *shared = shared_dir();
	char *decl = cw_asprintf("%s/corpus/declarations", shared);
	char *snap = cw_asprintf("%s/corpus/snapshots", shared);
	struct cw_strv files = CW_STRV_INIT, sels = CW_STRV_INIT;

	if (!cw_dir_exists(decl)) {
		free(shared), free(decl), free(snap);
		skip();
	}
	find_files(decl, ".json", &files);
	find_files(snap, "declaration.json", &files);
	/* and the declarations we ship */
	const char *data = getenv("CW_DATA_DIR");
	char *ours = data && *data ? cw_asprintf("%s/declarations", data)
				   : cw_asprintf("%s/data/declarations",
						 CW_SOURCE_ROOT);
	size_t before = files.n;
	find_files(ours, ".json", &files);
	assert_true(files.n > before);
	free(ours);
	for (size_t i = 0; i < files.n; i++)
		assert_int_equal(collect_file(files.v[i], &sels), 0);
	size_t failed = 0;
	for (size_t i = 0; i < sels.n; i++) {
		struct cw_err err = CW_ERR_INIT;
		struct cw_css *css = NULL;
		if (cw_css_parse(&css, sels.v[i], &err) != CW_OK) {
			fprintf(stderr, "%s\n", err.msg);
			failed++;
		}
		cw_css_free(css);
	}
	printf("# %zu files, %zu selectors, %zu failed to parse\n", files.n,
	       sels.n, failed);
	/* the corpus holds about 150 declaration files and 170 snapshots */
	assert_true(files.n >= 100);
	assert_true(sels.n >= 300);
	assert_int_equal(failed, 0);
	cw_strv_release(&files);
	cw_strv_release(&sels);
	free(shared), free(decl), free(snap);
}

/* The plain CSS selectors of `select` for the source fetched from `url`:
 * its own, else the document's shared ones. */
static void source_selects(json_t *doc, const char *url, struct cw_strv *out)
{
	json_t *sel = json_object_get(doc, "select");
	json_t *combine = json_object_get(doc, "combine");
	size_t i;
	json_t *src;
	json_array_foreach(combine, i, src)
	{
		json_t *f = json_object_get(src, "fetch");
		if (json_is_string(f) && !strcmp(json_string_value(f), url) &&
		    json_object_get(src, "select"))
			sel = json_object_get(src, "select");
	}
	if (json_is_string(sel)) {
		cw_strv_push(out, json_string_value(sel));
	} else if (json_is_array(sel)) {
		json_t *x;
		json_array_foreach(sel, i, x) if (json_is_string(x))
			cw_strv_push(out, json_string_value(x));
	}
}

/*
 * Each snapshot holds the HTML Open Terms Archive fetched and the
 * declaration it extracted with: every plain `select` selector of an HTML
 * source must find at least one element there, as it did for them.
 */
static void test_select__real_snapshots_select_content(void **state)
{
	(void)state;
	char *shared = shared_dir();
	char *snap = cw_asprintf("%s/corpus/snapshots", shared);
	struct cw_strv metas = CW_STRV_INIT;
	size_t checked = 0, missed = 0;

	if (!cw_dir_exists(snap)) {
		free(shared), free(snap);
		skip();
	}
	find_files(snap, "meta.json", &metas);
	for (size_t m = 0; m < metas.n; m++) {
		char *dir = cw_strndup(metas.v[m],
				       strlen(metas.v[m]) - strlen("/meta."
								   "json"));
		char *dpath = cw_asprintf("%s/declaration.json", dir);
		json_t *meta = json_load_file(metas.v[m], 0, NULL);
		json_t *decl = json_load_file(dpath, 0, NULL);
		assert_non_null(meta);
		assert_non_null(decl);
		json_t *terms = json_object_get(decl, "terms");
		if (!terms)
			terms = json_object_get(decl, "documents");
		json_t *doc = json_object_get(
			terms, json_string_value(json_object_get(meta, "documen"
								       "t_"
								       "typ"
								       "e")));
		size_t i;
		json_t *f;
		json_array_foreach(json_object_get(meta, "files"), i, f)
		{
			const char *ext =
				json_string_value(json_object_get(f, "ext"));
			if (!doc || !ext || strcmp(ext, ".html") != 0)
				continue;
			struct cw_strv sels = CW_STRV_INIT;
			source_selects(
				doc,
				json_string_value(json_object_get(f, "url")),
				&sels);
			char *hpath = cw_asprintf(
				"%s/%s", dir,
				json_string_value(json_object_get(f, "file")));
			struct cw_buf html = CW_BUF_INIT;
			if (sels.n && cw_file_read(&html, hpath, 64u << 20,
						   NULL) == CW_OK) {
				GumboOutput *out = gumbo_parse_with_options(
					&kGumboDefaultOptions, html.ptr,
					html.len);
				for (size_t k = 0; k < sels.n; k++) {
					struct cw_css *css = NULL;
					assert_int_equal(cw_css_parse(&css,
								      sels.v[k],
								      NULL),
							 CW_OK);
					checked++;
					if (!cw_css_select_first(
						    css, out->document)) {
						fprintf(stderr,
							"# no match: '%s' in "
							"'%s'\n",
							sels.v[k], hpath);
						missed++;
					}
					cw_css_free(css);
				}
				gumbo_destroy_output(&kGumboDefaultOptions,
						     out);
			}
			cw_buf_release(&html);
			free(hpath);
			cw_strv_release(&sels);
		}
		json_decref(meta);
		json_decref(decl);
		free(dpath);
		free(dir);
	}
	printf("# %zu snapshot selectors checked, %zu without a match\n",
	       checked, missed);
	/* 27 snapshots in the corpus hold 32 plain select selectors */
	assert_true(checked >= 25);
	assert_int_equal(missed, 0);
	cw_strv_release(&metas);
	free(shared), free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select__basic),
		cmocka_unit_test(
			test_select__list_document_order_no_duplicates),
		cmocka_unit_test(test_select__case),
		cmocka_unit_test(test_select__attribute_operators),
		cmocka_unit_test(test_select__strings_and_escapes),
		cmocka_unit_test(test_select__sibling_combinators),
		cmocka_unit_test(test_select__structural_pseudo_classes),
		cmocka_unit_test(test_select__not),
		cmocka_unit_test(test_select__has),
		cmocka_unit_test(test_select__deep_tree),
		cmocka_unit_test(test_select__long_sibling_lists),
		cmocka_unit_test(test_select__parse_errors),
		cmocka_unit_test(test_select__length_cap),
		cmocka_unit_test(test_select__every_real_selector_parses),
		cmocka_unit_test(test_select__real_snapshots_select_content),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
