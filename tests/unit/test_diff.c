/*
 * Tests of the diff module: word redline (correctness of the edit script,
 * cleanup, pathological inputs), noise rules, facts, alignment kinds on
 * crafted and real version pairs, renderings, and the agreement with git
 * over every consecutive version pair of the corpus.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diff/diff.h"
#include "segment/segment.h"
#include "helpers.h"

/* ---- environment ---- */

static struct cw_diff_rules *g_rules;

CW_TEST_DATA_FIXTURE(g_rules, cw_diff_rules_load, cw_diff_rules_free, "diff",
		     "rules")

/* A version: text, segmentation. */
struct ver {
	char *text;
	size_t len;
	struct cw_segmentation *seg;
};

static void ver_from_text(struct ver *v, const char *text, size_t len)
{
	struct cw_err err = CW_ERR_INIT;

	v->text = cw_strndup(text, len);
	v->len = len;
	assert_int_equal(cw_segment_text(&v->seg, v->text, v->len, NULL, &err),
			 CW_OK);
}

static bool ver_from_file(struct ver *v, const char *path)
{
	size_t len;
	char *t = cw_test_read(path, &len);

	if (!t)
		return false;
	ver_from_text(v, t, len);
	free(t);
	return true;
}

static void ver_release(struct ver *v)
{
	free(v->text);
	cw_segment_free(v->seg);
	memset(v, 0, sizeof(*v));
}

static struct cw_diff *diff_vers(const struct ver *a, const struct ver *b,
				 unsigned flags)
{
	struct cw_diff_version va = { a->text, a->len, a->seg };
	struct cw_diff_version vb = { b->text, b->len, b->seg };
	struct cw_diff_opts o = CW_DIFF_OPTS_INIT;
	struct cw_diff *d = NULL;
	struct cw_err err = CW_ERR_INIT;

	o.flags = flags;
	assert_int_equal(cw_diff_compute(&d, &va, &vb, g_rules, &o, &err),
			 CW_OK);
	return d;
}

static struct cw_diff *diff_strings(struct ver *a, struct ver *b, const char *x,
				    const char *y)
{
	ver_from_text(a, x, strlen(x));
	ver_from_text(b, y, strlen(y));
	return diff_vers(a, b, 0);
}

/* The change whose old or new key is `key`, or NULL. */
static const struct cw_diff_change *find_change(const struct cw_diff *d,
						const char *key)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct cw_diff_change *c = &d->changes[i];
		if ((c->old_key && strcmp(c->old_key, key) == 0) ||
		    (c->new_key && strcmp(c->new_key, key) == 0))
			return c;
	}
	return NULL;
}

static bool has_fact(const struct cw_diff_change *c, enum cw_diff_fact_kind k,
		     const char *ov, const char *nv)
{
	for (size_t i = 0; i < c->n_facts; i++) {
		const struct cw_diff_fact *f = &c->facts[i];
		if (f->kind != k)
			continue;
		if ((ov == NULL) != (f->old_value == NULL) ||
		    (nv == NULL) != (f->new_value == NULL))
			continue;
		if ((!ov || strcmp(ov, f->old_value) == 0) &&
		    (!nv || strcmp(nv, f->new_value) == 0))
			return true;
	}
	return false;
}

/* ---- word redline ---- */

/*
 * Check that the spans are a valid edit script: the tokens of `a` outside
 * deletions equal the tokens of `b` outside insertions, spans are ordered
 * and within bounds.
 */
static void check_script(const char *a, size_t al, const char *b, size_t bl,
			 const struct cw_diff_span *sp, size_t n)
{
	struct cw_buf ka = CW_BUF_INIT, kb = CW_BUF_INIT;
	size_t pa = 0, pb = 0, lasto = 0, lastn = 0;

	for (size_t i = 0; i <= n; i++) {
		size_t ea = i < n && sp[i].op == CW_DIFF_OP_DEL
				    ? sp[i].old_start
				    : al;
		size_t eb = i < n && sp[i].op == CW_DIFF_OP_INS
				    ? sp[i].new_start
				    : bl;
		if (i < n) {
			assert_true(sp[i].old_start <= sp[i].old_end);
			assert_true(sp[i].new_start <= sp[i].new_end);
			assert_true(sp[i].old_end <= al);
			assert_true(sp[i].new_end <= bl);
			assert_true(sp[i].old_start >= lasto);
			assert_true(sp[i].new_start >= lastn);
			lasto = sp[i].op == CW_DIFF_OP_DEL ? sp[i].old_end
							   : sp[i].old_start;
			lastn = sp[i].op == CW_DIFF_OP_INS ? sp[i].new_end
							   : sp[i].new_start;
		}
		if (i < n && sp[i].op == CW_DIFF_OP_DEL) {
			for (size_t k = pa; k < ea; k++)
				if (!strchr(" \t\n\r\f\v", a[k]))
					cw_buf_addc(&ka, a[k]);
			pa = sp[i].old_end;
		} else if (i < n) {
			for (size_t k = pb; k < eb; k++)
				if (!strchr(" \t\n\r\f\v", b[k]))
					cw_buf_addc(&kb, b[k]);
			pb = sp[i].new_end;
		} else {
			for (size_t k = pa; k < al; k++)
				if (!strchr(" \t\n\r\f\v", a[k]))
					cw_buf_addc(&ka, a[k]);
			for (size_t k = pb; k < bl; k++)
				if (!strchr(" \t\n\r\f\v", b[k]))
					cw_buf_addc(&kb, b[k]);
		}
	}
	assert_int_equal(ka.len, kb.len);
	assert_memory_equal(cw_buf_str(&ka), cw_buf_str(&kb), ka.len);
	cw_buf_release(&ka);
	cw_buf_release(&kb);
}

static void test_diff__words_replacement_offsets(void **state)
{
	const char *a = "You may opt out within 30 days of first use.";
	const char *b = "You may opt out within 14 days of first use.";
	struct cw_diff_span *sp;
	size_t n;
	bool coarse;

	(void)state;
	cw_diff_words(&sp, &n, &coarse, a, strlen(a), b, strlen(b), 0, 0);
	assert_int_equal(n, 2);
	assert_int_equal(sp[0].op, CW_DIFF_OP_DEL);
	assert_int_equal(sp[0].old_start, 23);
	assert_int_equal(sp[0].old_end, 25);
	assert_int_equal(sp[1].op, CW_DIFF_OP_INS);
	assert_int_equal(sp[1].new_start, 23);
	assert_int_equal(sp[1].new_end, 25);
	assert_false(coarse);
	check_script(a, strlen(a), b, strlen(b), sp, n);
	free(sp);
}

static void test_diff__words_cleanup_merges_short_equalities(void **state)
{
	/* Word by word, "the" and "of" survive as equalities between edits;
	 * a redline should show one phrase replaced by another. */
	const char *a = "We keep the logs of the service for audits.";
	const char *b = "We keep a copy of your chats for audits.";
	struct cw_diff_span *sp;
	size_t n;
	bool coarse;

	(void)state;
	cw_diff_words(&sp, &n, &coarse, a, strlen(a), b, strlen(b), 0, 0);
	assert_int_equal(n, 2);
	assert_int_equal(sp[0].old_start, strlen("We keep "));
	assert_int_equal(sp[0].old_end, strlen("We keep the logs of the "
					       "service"));
	assert_int_equal(sp[1].new_end, strlen("We keep a copy of your chats"));
	check_script(a, strlen(a), b, strlen(b), sp, n);
	free(sp);
}

static void test_diff__words_whitespace_only_is_empty(void **state)
{
	const char *a = "Terms  of\nService.";
	const char *b = "Terms of Service.";
	struct cw_diff_span *sp;
	size_t n;
	bool coarse;

	(void)state;
	cw_diff_words(&sp, &n, &coarse, a, strlen(a), b, strlen(b), 0, 0);
	assert_int_equal(n, 0);
	free(sp);
}

/* Deterministic pseudo-random words (xorshift), for big inputs. */
static void random_words(struct cw_buf *out, size_t bytes, uint64_t seed,
			 bool newlines)
{
	static const char *const w[] = {
		"the",	"service",     "may",	 "must", "terminate", "account",
		"data", "days",	       "notice", "law",	 "we",	      "you",
		"not",	"arbitration", "court",	 "fees", "of",	      "and"
	};
	uint64_t x = seed;

	while (out->len < bytes) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		cw_buf_adds(out, w[x % (sizeof(w) / sizeof(*w))]);
		if (x % 97 == 0)
			cw_buf_addf(out, " %lu", (unsigned long)(x % 100000));
		cw_buf_addc(out, newlines && x % 11 == 0 ? '\n' : ' ');
	}
}

static void test_diff__words_pathological_inputs_finish(void **state)
{
	struct cw_buf a = CW_BUF_INIT, b = CW_BUF_INIT;
	struct cw_diff_span *sp;
	size_t n;
	bool coarse;

	(void)state;
	/* two unrelated 1 MB single lines over a small vocabulary: the
	 * worst case of Myers (D close to N); the cost limit must kick in */
	random_words(&a, 1u << 20, 12345, false);
	random_words(&b, 1u << 20, 67890, false);
	cw_diff_words(&sp, &n, &coarse, a.ptr, a.len, b.ptr, b.len, 0, 0);
	assert_true(coarse);
	assert_true(n > 0);
	check_script(a.ptr, a.len, b.ptr, b.len, sp, n);
	free(sp);
	/* every line identical, one line changed in the middle */
	cw_buf_clear(&a);
	cw_buf_clear(&b);
	for (int i = 0; i < 20000; i++)
		cw_buf_adds(&a, "The same line again.\n");
	cw_buf_add(&b, a.ptr, a.len);
	memcpy(b.ptr + 10000 * 21, "The nice line again.", 20);
	cw_diff_words(&sp, &n, &coarse, a.ptr, a.len, b.ptr, b.len, 0, 0);
	assert_int_equal(n, 2);
	check_script(a.ptr, a.len, b.ptr, b.len, sp, n);
	free(sp);
	/* a tiny token cap: one replacement of everything, flagged */
	cw_diff_words(&sp, &n, &coarse, a.ptr, a.len, b.ptr, b.len, 0, 1000);
	assert_true(coarse);
	assert_int_equal(n, 2);
	assert_int_equal(sp[0].old_start, 0);
	free(sp);
	cw_buf_release(&a);
	cw_buf_release(&b);
}

static void test_diff__words_random_edits_are_valid_scripts(void **state)
{
	/* property: on random edits of real-ish text the script is valid */
	(void)state;
	for (uint64_t seed = 1; seed < 40; seed++) {
		struct cw_buf a = CW_BUF_INIT, b = CW_BUF_INIT;
		struct cw_diff_span *sp;
		size_t n;
		bool coarse;
		random_words(&a, 2000 + seed * 50, seed, true);
		cw_buf_add(&b, a.ptr, a.len / 3);
		random_words(&b, a.len / 3 + 200, seed * 7 + 1, true);
		cw_buf_add(&b, a.ptr + a.len / 2, a.len - a.len / 2);
		cw_diff_words(&sp, &n, &coarse, a.ptr, a.len, b.ptr, b.len,
			      seed % 3 ? 0 : 1, 0);
		check_script(a.ptr, a.len, b.ptr, b.len, sp, n);
		free(sp);
		cw_buf_release(&a);
		cw_buf_release(&b);
	}
}

/* ---- noise ---- */

static bool same_after_noise(const char *x, size_t xh, const char *y, size_t yh)
{
	struct cw_buf a = CW_BUF_INIT, b = CW_BUF_INIT;
	bool same;

	cw_diff_noise_normalize(&a, g_rules, x, strlen(x), xh, NULL);
	cw_diff_noise_normalize(&b, g_rules, y, strlen(y), yh, NULL);
	same = a.len == b.len &&
	       memcmp(cw_buf_str(&a), cw_buf_str(&b), a.len) == 0;
	cw_buf_release(&a);
	cw_buf_release(&b);
	return same;
}

static void test_diff__noise_rules(void **state)
{
	(void)state;
	/* quotes and dashes */
	assert_true(same_after_noise("You \xe2\x80\x9cUser\xe2\x80\x9d "
				     "\xe2\x80\x94 we",
				     0, "You \"User\" - we", 0));
	/* whitespace and line breaks */
	assert_true(same_after_noise("a  b\nc", 0, "a b c", 0));
	/* word joiner (U+2060) the ChatGPT pages put inside link texts */
	assert_true(same_after_noise("[Usage Policies\xe2\x81\xa0](https://x/)",
				     0, "[Usage Policies](https://x/)", 0));
	/* a link's target is presentation; the words linked are not */
	assert_true(same_after_noise("[x](https://a.com/p?id=3)", 0,
				     "[x](https://a.com/q(1)?id=4)", 0));
	assert_false(same_after_noise("[x](https://a.com/p)", 0,
				      "[y](https://a.com/p)", 0));
	/* tracking parameters of a bare address, but not real ones */
	assert_true(same_after_noise("see https://a.com/p?utm_source=x&id=3", 0,
				     "see https://a.com/p?id=3", 0));
	assert_true(same_after_noise("https://a.com/p?gclid=abc", 0,
				     "https://a.com/p", 0));
	assert_false(same_after_noise("see https://a.com/p?id=3", 0,
				      "see https://a.com/p?id=4", 0));
	/* letter case in headings only */
	assert_true(same_after_noise("## Opt Out\nText.", 10,
				     "## Opt out\nText.", 10));
	assert_false(same_after_noise("## Opt Out\nText here.", 10,
				      "## Opt Out\ntext here.", 10));
	/* list markers */
	assert_true(same_after_noise("* item one\n* item two", 0,
				     "1. item one\n2. item two", 0));
	/* the "last updated" line */
	assert_true(same_after_noise("Last updated: March 3, 2024\n\nTerms.", 0,
				     "Last updated: July 31, 2025\n\nTerms.",
				     0));
	assert_true(same_after_noise("Effective: April 29, 2025 ([previous "
				     "version](https://x/))\n",
				     0,
				     "Effective: May 1, 2026 ([previous "
				     "version](https://y/))\n",
				     0));
	/* but a dated sentence that says something is not a date line */
	assert_false(same_after_noise(
		"Effective January 1, 2024, fees are $10.", 0,
		"Effective January 1, 2024, fees are $12.", 0));
	/* words still count */
	assert_false(same_after_noise("You may opt out.", 0,
				      "You must opt out.", 0));
}

static void test_diff__rules_load_rejects_bad_files(void **state)
{
	char dir[] = "/tmp/cw-diff-rules-XXXXXX";
	char path[128];
	char src[4200];
	struct cw_diff_rules *r = NULL;
	struct cw_err err = CW_ERR_INIT;
	static const char *const names[] = { "facts.json", "templates.json" };

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* missing directory */
	assert_int_equal(cw_diff_rules_load(&r, "/nonexistent/cw", &err),
			 CW_ENOTFOUND);
	assert_null(r);
	/* a bad pattern is named with its file */
	for (size_t i = 0; i < 2; i++) {
		struct cw_buf b = CW_BUF_INIT;
		snprintf(src, sizeof(src), "%s/diff/%s", cw_test_data_dir(),
			 names[i]);
		assert_int_equal(cw_file_read(&b, src, 1u << 20, &err), CW_OK);
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		assert_int_equal(cw_file_write_atomic(path, b.ptr, b.len, &err),
				 CW_OK);
		cw_buf_release(&b);
	}
	snprintf(path, sizeof(path), "%s/noise.json", dir);
	{
		const char *bad = "{\"invisible\":[\"U+2060\"],\"map\":{},"
				  "\"phrases\":[],"
				  "\"tracking_params\":[],\"date_lines\":[\"("
				  "unclosed\"],"
				  "\"line_marker\":\"x\",\"casefold_headings\":"
				  "true,\"emphasis\":true}";
		assert_int_equal(cw_file_write_atomic(path, bad, strlen(bad),
						      &err),
				 CW_OK);
	}
	assert_int_equal(cw_diff_rules_load(&r, dir, &err), CW_EPARSE);
	assert_non_null(strstr(err.msg, "noise.json"));
	assert_non_null(strstr(err.msg, "date_lines"));
	{
		const char *bad = "{\"invisible\":[\"2060\"]}";
		assert_int_equal(cw_file_write_atomic(path, bad, strlen(bad),
						      &err),
				 CW_OK);
	}
	assert_int_equal(cw_diff_rules_load(&r, dir, &err), CW_EPARSE);
	assert_non_null(strstr(err.msg, "U+2019"));
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/noise.json", dir);
	unlink(path);
	rmdir(dir);
}

/* ---- facts ---- */

/* The facts of `s` by two rule sets are the same list. */
static void assert_same_facts(const struct cw_diff_rules *x,
			      const struct cw_diff_rules *y, const char *s,
			      size_t len, const char *name)
{
	struct cw_diff_found *fa, *fb;
	size_t na, nb;

	cw_diff_facts_extract(&fa, &na, x, s, len);
	cw_diff_facts_extract(&fb, &nb, y, s, len);
	if (na != nb)
		fail_msg("'%s': %zu facts with the needs, %zu without", name,
			 na, nb);
	for (size_t i = 0; i < na; i++)
		if (fa[i].kind != fb[i].kind || fa[i].start != fb[i].start ||
		    strcmp(fa[i].value, fb[i].value))
			fail_msg("'%s': fact %zu differs: '%s' / '%s'", name, i,
				 fa[i].value, fb[i].value);
	cw_diff_found_free(fa, na);
	cw_diff_found_free(fb, nb);
}

/*
 * A rule's "needs" only save time: the rules with them and the same rules
 * without them find the same facts, on crafted texts (a Kelvin sign in
 * "weeks", which the caseless pattern matches) and on the latest version
 * of every corpus document.
 */
static void test_diff__facts_needs_are_necessary(void **state)
{
	char dir[] = "/tmp/cw-diff-needs-XXXXXX";
	static const char *const names[] = { "noise.json", "templates.json",
					     "facts.json" };
	static const char *const crafted[] = {
		"Refunds within 14 WEE\xe2\x84\xaaS of the order.",
		"You must be 18 years old; the Digital Services Act applies.",
		"Orange County courts; the Republic of Ireland; no numbers.",
		"Nothing here at all.",
	};
	struct cw_diff_rules *bare = NULL;
	struct cw_err err = CW_ERR_INIT;
	char vdir[4096];
	DIR *top;
	struct dirent *e;
	size_t docs = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < 3; i++) {
		char src[4096], dst[4200];
		json_t *root, *facts, *it;
		size_t k;
		snprintf(src, sizeof(src), "%s/diff/%s", cw_test_data_dir(),
			 names[i]);
		snprintf(dst, sizeof(dst), "%s/%s", dir, names[i]);
		root = json_load_file(src, 0, NULL);
		assert_non_null(root);
		facts = json_object_get(root, "facts");
		json_array_foreach(facts, k, it)
		{
			json_object_del(it, "needs");
			json_object_del(it, "needs_fold");
		}
		assert_int_equal(json_dump_file(root, dst, 0), 0);
		json_decref(root);
	}
	assert_int_equal(cw_diff_rules_load(&bare, dir, &err), CW_OK);
	for (size_t i = 0; i < CW_TEST_LEN(crafted); i++)
		assert_same_facts(g_rules, bare, crafted[i], strlen(crafted[i]),
				  crafted[i]);
	snprintf(vdir, sizeof(vdir), "%s/corpus/versions",
		 cw_test_shared_dir());
	top = opendir(vdir);
	if (!top)
		printf("skipped: '%s' not found\n", vdir);
	while (top && (e = readdir(top))) {
		char sdir[8192];
		DIR *svc;
		struct dirent *t;
		if (e->d_name[0] == '.')
			continue;
		snprintf(sdir, sizeof(sdir), "%s/%s", vdir, e->d_name);
		svc = opendir(sdir);
		while (svc && (t = readdir(svc))) {
			char ddir[12288], last[256] = "", path[12800];
			DIR *doc;
			struct dirent *f;
			struct cw_buf b = CW_BUF_INIT;
			if (t->d_name[0] == '.')
				continue;
			snprintf(ddir, sizeof(ddir), "%s/%s", sdir, t->d_name);
			doc = opendir(ddir);
			while (doc && (f = readdir(doc)))
				if (f->d_name[0] != '.' &&
				    strcmp(f->d_name, last) > 0 &&
				    strlen(f->d_name) < sizeof(last))
					snprintf(last, sizeof(last), "%s",
						 f->d_name);
			if (doc)
				closedir(doc);
			if (!last[0])
				continue;
			snprintf(path, sizeof(path), "%s/%s", ddir, last);
			assert_int_equal(
				cw_file_read(&b, path, 64u << 20, &err), CW_OK);
			assert_same_facts(g_rules, bare, cw_buf_str(&b), b.len,
					  path);
			cw_buf_release(&b);
			docs++;
		}
		if (svc)
			closedir(svc);
	}
	if (top) {
		closedir(top);
		assert_true(docs > 100);
	}
	cw_diff_rules_free(bare);
	for (size_t i = 0; i < 3; i++) {
		char p[4200];
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void test_diff__facts_extraction(void **state)
{
	const char *t = "You must be at least 18 years of age. You may opt out "
			"within thirty (30) days. Our liability is limited to "
			"$100 or USD 1,000 or \xe2\x82\xac"
			"50, plus 15% interest. "
			"Disputes go to the courts of Ireland or Los Angeles "
			"County "
			"under the Federal Arbitration Act and the GDPR.";
	struct cw_diff_found *f;
	size_t n;
	bool age = false, dur = false, usd = false, eur = false, pct = false,
	     ireland = false, la = false, faa = false, gdpr = false,
	     duty = false;

	(void)state;
	cw_diff_facts_extract(&f, &n, g_rules, t, strlen(t));
	for (size_t i = 0; i < n; i++) {
		if (getenv("CW_TEST_VERBOSE"))
			fprintf(stderr, "fact %s '%s'\n",
				cw_diff_fact_kind_name(f[i].kind), f[i].value);
		const char *v = f[i].value;
		switch (f[i].kind) {
		case CW_DIFF_FACT_AGE:
			age |= strcmp(v, "18 years") == 0;
			break;
		case CW_DIFF_FACT_DURATION:
			dur |= strcmp(v, "30 days") == 0;
			/* an age is not also a duration */
			assert_string_not_equal(v, "18 years");
			break;
		case CW_DIFF_FACT_AMOUNT:
			usd |= strcmp(v, "USD 1,000") == 0;
			eur |= strcmp(v, "EUR 50") == 0;
			break;
		case CW_DIFF_FACT_PERCENT:
			pct |= strcmp(v, "15%") == 0;
			break;
		case CW_DIFF_FACT_PLACE:
			ireland |= strcmp(v, "courts of Ireland") == 0;
			la |= strcmp(v, "Los Angeles County") == 0;
			break;
		case CW_DIFF_FACT_LAW:
			faa |= strstr(v, "Federal Arbitration Act") != NULL;
			gdpr |= strcmp(v, "GDPR") == 0;
			break;
		case CW_DIFF_FACT_OBLIGATION:
			duty |= strstr(v, "You must be at least 18") == v;
			break;
		default:
			break;
		}
	}
	assert_true(age && dur && usd && eur && pct && ireland && la && faa &&
		    gdpr && duty);
	cw_diff_found_free(f, n);
}

static void test_diff__materiality_and_summary(void **state)
{
	struct ver a, b;
	struct cw_diff *d;
	const struct cw_diff_change *c;

	(void)state;
	d = diff_strings(&a, &b,
			 "# Terms\n\n## 1. Fees\n\nFees are due monthly.\n\n"
			 "## 2. Opt Out\n\nYou may opt out of arbitration "
			 "within 30 days.\n\n"
			 "## 3. Notices\n\nWe send notices by email to you.\n\n"
			 "## 4. Quotes\n\nThe \"Service\" is ours.\n",
			 "# Terms\n\n## 1. Fees\n\nFees are due monthly.\n\n"
			 "## 2. Opt Out\n\nYou may opt out of arbitration "
			 "within 14 days.\n\n"
			 "## 3. Notices\n\nWe send notices by e-mail to "
			 "you.\n\n"
			 "## 4. Quotes\n\nThe \xe2\x80\x9cService\xe2\x80\x9d "
			 "is ours.\n");
	c = find_change(d, "2");
	assert_non_null(c);
	assert_int_equal(c->kind, CW_DIFF_MODIFIED);
	assert_int_equal(c->materiality, CW_DIFF_SUBSTANTIVE);
	assert_true(has_fact(c, CW_DIFF_FACT_DURATION, "30 days", "14 days"));
	assert_string_equal(c->summary, "Opt Out: a period shrank from 30 days "
					"to 14 days.");
	c = find_change(d, "3");
	assert_non_null(c);
	assert_int_equal(c->materiality, CW_DIFF_EDITORIAL);
	c = find_change(d, "4");
	assert_non_null(c);
	assert_int_equal(c->materiality, CW_DIFF_COSMETIC);
	assert_null(find_change(d, "1"));
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);
}

static void test_diff__modal_and_negation(void **state)
{
	struct ver a, b;
	struct cw_diff *d;
	const struct cw_diff_change *c;

	(void)state;
	d = diff_strings(&a, &b,
			 "## 1. Content\n\nWe may use your content to train "
			 "models.\n\n"
			 "## 2. Sharing\n\nWe sell your data to partners.\n",
			 "## 1. Content\n\nWe will use your content to train "
			 "models.\n\n"
			 "## 2. Sharing\n\nWe do not sell your data to "
			 "partners.\n");
	c = find_change(d, "1");
	assert_non_null(c);
	assert_true(has_fact(c, CW_DIFF_FACT_MODAL, "may", "will"));
	assert_int_equal(c->materiality, CW_DIFF_SUBSTANTIVE);
	c = find_change(d, "2");
	assert_non_null(c);
	assert_true(has_fact(c, CW_DIFF_FACT_NEGATION, NULL, "not"));
	assert_true(has_fact(c, CW_DIFF_FACT_PROHIBITION, NULL,
			     "We do not sell your data to partners."));
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);
}

/* ---- alignment, crafted ---- */

static const char *const sec_text[] = {
	"Definitions. In these terms the words we use have the meanings set "
	"out here, and nothing else applies to them at all.",
	"Accounts. You need an account to use most features; keep your "
	"password secret and tell us at once if it leaks.",
	"Payments. Subscriptions renew each month until cancelled, and refunds "
	"follow the consumer law of your country of residence.",
	"Content. You own what you upload, and you give us a licence to host, "
	"copy and show it so the service can run.",
	"Termination. We may suspend accounts that break these terms, after a "
	"notice that explains the reason and the remedy.",
	"Liability. Our total liability is limited to the amount you paid us "
	"in the twelve months before the claim arose.",
};

static void build_doc(struct cw_buf *b, const int *order, size_t n,
		      const char *const *override)
{
	for (size_t i = 0; i < n; i++) {
		const char *t = override && override[i] ? override[i]
							: sec_text[order[i]];
		cw_buf_addf(b, "## %zu. Section %c\n\n%s\n\n", i + 1,
			    'A' + order[i], t);
	}
}

static void test_diff__align_renumbered(void **state)
{
	/* a section is inserted at the front: all others are renumbered */
	struct cw_buf x = CW_BUF_INIT, y = CW_BUF_INIT;
	int o1[] = { 1, 2, 3 }, o2[] = { 0, 1, 2, 3 };
	struct ver a, b;
	struct cw_diff *d;

	(void)state;
	build_doc(&x, o1, 3, NULL);
	build_doc(&y, o2, 4, NULL);
	d = diff_strings(&a, &b, x.ptr, y.ptr);
	assert_int_equal(d->counts[CW_DIFF_RENUMBERED], 3);
	assert_int_equal(d->counts[CW_DIFF_ADDED], 1);
	for (size_t i = 0; i < d->n; i++)
		if (d->changes[i].kind == CW_DIFF_RENUMBERED) {
			assert_false(d->changes[i].modified);
			assert_int_equal(d->changes[i].materiality,
					 CW_DIFF_EDITORIAL);
		}
	assert_string_equal(find_change(d, "1")->title, "Section A");
	/* the pairing follows each section to its new place */
	assert_int_equal(d->n_old_prov, 3);
	assert_int_equal(d->old_pair[0], 1);
	assert_int_equal(d->old_pair[2], 3);
	assert_int_equal(d->new_pair[0], -1);
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);
	cw_buf_release(&x);
	cw_buf_release(&y);
}

static void test_diff__align_moved(void **state)
{
	/* section F moves from the end to the second place (keys follow
	 * the new order, so it is also renumbered: moved wins) */
	struct cw_buf x = CW_BUF_INIT, y = CW_BUF_INIT;
	int o1[] = { 0, 1, 2, 3, 4, 5 }, o2[] = { 0, 5, 1, 2, 3, 4 };
	struct ver a, b;
	struct cw_diff *d;
	const struct cw_diff_change *c;

	(void)state;
	build_doc(&x, o1, 6, NULL);
	build_doc(&y, o2, 6, NULL);
	d = diff_strings(&a, &b, x.ptr, y.ptr);
	assert_int_equal(d->counts[CW_DIFF_MOVED], 1);
	c = find_change(d, "6");
	assert_non_null(c);
	assert_int_equal(c->kind, CW_DIFF_MOVED);
	assert_string_equal(c->old_key, "6");
	assert_string_equal(c->new_key, "2");
	assert_int_equal(d->counts[CW_DIFF_ADDED] + d->counts[CW_DIFF_REMOVED],
			 0);
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);
	cw_buf_release(&x);
	cw_buf_release(&y);
}

static void test_diff__align_split_and_merge(void **state)
{
	const char *whole = "Accounts and payments. You need an account to use "
			    "most features; keep "
			    "your password secret and tell us at once if it "
			    "leaks. Subscriptions "
			    "renew each month until cancelled, and refunds "
			    "follow the consumer law "
			    "of your country of residence.";
#define SPLIT_OLD                                                              \
	"## 1. Definitions\n\nIn these terms the words we use have the "       \
	"meanings set out here.\n\n"                                           \
	"## 2. Accounts and Payments\n\n%s\n\n"                                \
	"## 3. Content\n\nYou own what you upload, and you give us a licence " \
	"to host it.\n\n"
	const char *y = "## 1. Definitions\n\nIn these terms the words we use "
			"have the meanings set out here.\n\n"
			"## 2. Your Account\n\nYou need an account to use most "
			"features; keep your password "
			"secret and tell us at once if it leaks.\n\n"
			"## 3. Paying Us\n\nSubscriptions renew each month "
			"until cancelled, and refunds follow "
			"the consumer law of your country of residence.\n\n"
			"## 4. Content\n\nYou own what you upload, and you "
			"give us a licence to host it.\n\n";
	char *tx = cw_asprintf(SPLIT_OLD, whole);
	struct ver a, b;
	struct cw_diff *d;
	const struct cw_diff_change *c;

	(void)state;
	d = diff_strings(&a, &b, tx, y);
	assert_int_equal(d->counts[CW_DIFF_SPLIT], 1);
	c = find_change(d, "2");
	assert_non_null(c);
	assert_int_equal(c->kind, CW_DIFF_SPLIT);
	assert_int_equal(c->n_old, 1);
	assert_int_equal(c->n_new, 2);
	assert_string_equal(b.seg->items[c->new_idx[0]].title, "Your Account");
	assert_string_equal(b.seg->items[c->new_idx[1]].title, "Paying Us");
	cw_diff_free(d);
	/* the other way round it is a merge */
	d = diff_vers(&b, &a, 0);
	assert_int_equal(d->counts[CW_DIFF_MERGED], 1);
	c = find_change(d, "2");
	assert_non_null(c);
	assert_int_equal(c->kind, CW_DIFF_MERGED);
	assert_int_equal(c->n_old, 2);
	assert_int_equal(c->n_new, 1);
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);
	free(tx);
}

static void test_diff__parent_not_modified_by_child(void **state)
{
	struct ver a, b;
	struct cw_diff *d;

	(void)state;
	d = diff_strings(&a, &b,
			 "## 1. Use\n\nRules for use.\n\n### 1.1 Age\n\nYou "
			 "must be 13 or older.\n\n"
			 "### 1.2 Accounts\n\nOne account per person.\n",
			 "## 1. Use\n\nRules for use.\n\n### 1.1 Age\n\nYou "
			 "must be 18 or older.\n\n"
			 "### 1.2 Accounts\n\nOne account per person.\n");
	assert_int_equal(d->n, 1);
	assert_string_equal(d->changes[0].new_key, "1.1");
	/* offsets delimit the own text of 1.1, inside the texts */
	assert_true(d->changes[0].new_start < d->changes[0].new_end);
	assert_memory_equal(b.text + d->changes[0].new_start, "### 1.1", 7);
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);
}

/* Alignment on a segmentation built by hand (no segmenter involved). */
static void test_diff__align_hand_built_segmentation(void **state)
{
	const char *ta = "A\nalpha beta gamma delta epsilon\nB\nzeta eta theta "
			 "iota kappa\n";
	const char *tb = "B\nzeta eta theta iota kappa\nA\nalpha beta gamma "
			 "delta epsilon\n";
	struct cw_provision pa[2], pb[2];
	struct cw_segmentation sa = { pa, 2 }, sb = { pb, 2 };
	struct cw_diff_version va = { ta, strlen(ta), &sa },
			       vb = { tb, strlen(tb), &sb };
	struct cw_diff *d = NULL;
	struct cw_err err = CW_ERR_INIT;

	(void)state;
	memset(pa, 0, sizeof(pa));
	memset(pb, 0, sizeof(pb));
	{
		size_t sa_ = (size_t)(strstr(ta, "B\n") - ta);
		size_t sb_ = (size_t)(strstr(tb, "A\n") - tb);
		pa[0] = (struct cw_provision){
			(char *)"a", (char *)"A", 1, -1, 0, sa_, 2, ""
		};
		pa[1] = (struct cw_provision){ (char *)"b", (char *)"B",
					       1,	    -1,
					       sa_,	    strlen(ta),
					       sa_ + 2,	    "" };
		pb[0] = (struct cw_provision){
			(char *)"b", (char *)"B", 1, -1, 0, sb_, 2, ""
		};
		pb[1] = (struct cw_provision){ (char *)"a", (char *)"A",
					       1,	    -1,
					       sb_,	    strlen(tb),
					       sb_ + 2,	    "" };
	}
	assert_int_equal(cw_diff_compute(&d, &va, &vb, g_rules, NULL, &err),
			 CW_OK);
	assert_int_equal(d->n, 1);
	assert_int_equal(d->changes[0].kind, CW_DIFF_MOVED);
	assert_false(d->changes[0].modified);
	cw_diff_free(d);
	/* a segmentation that does not fit its text is refused */
	pb[1].end = strlen(tb) + 5;
	assert_int_equal(cw_diff_compute(&d, &va, &vb, g_rules, NULL, &err),
			 CW_EINVAL);
	assert_null(d);
	assert_non_null(strstr(err.msg, "new"));
}

/* ---- renderings ---- */

static void test_diff__json_and_markdown(void **state)
{
	struct ver a, b;
	struct cw_diff *d;
	json_t *j, *ch, *red;
	struct cw_buf md = CW_BUF_INIT, js = CW_BUF_INIT;

	(void)state;
	d = diff_strings(&a, &b,
			 "## 13. Disputes\n\n### b. Opt Out\n\nYou may opt out "
			 "within 30 days.\n",
			 "## 13. Disputes\n\n### b. Opt Out\n\nYou may opt out "
			 "within 14 days.\n");
	j = cw_diff_to_json(d);
	ch = json_array_get(json_object_get(j, "changes"), 0);
	assert_non_null(ch);
	assert_string_equal(json_string_value(json_object_get(ch, "kind")),
			    "modified");
	assert_string_equal(json_string_value(json_object_get(ch, "old_key")),
			    "13.b");
	assert_string_equal(json_string_value(json_object_get(ch, "title")),
			    "Opt Out");
	assert_string_equal(json_string_value(json_object_get(ch, "materialit"
								  "y")),
			    "substantive");
	red = json_object_get(ch, "redline");
	assert_int_equal(json_array_size(red), 2);
	{
		json_t *del = json_array_get(red, 0);
		size_t s =
			(size_t)json_integer_value(json_object_get(del, "old_"
									"star"
									"t"));
		assert_string_equal(
			json_string_value(json_object_get(del, "text")), "30");
		assert_memory_equal(a.text + s, "30", 2);
	}
	json_decref(j);
	assert_int_equal(cw_diff_to_json_buf(&js, d), CW_OK);
	assert_non_null(strstr(js.ptr, "\"changes\":["));
	assert_int_equal(cw_diff_to_markdown(&md, d), CW_OK);
	assert_non_null(strstr(md.ptr, "~~30~~**14**"));
	cw_buf_release(&md);
	cw_buf_release(&js);
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);
}

/* ---- real version pairs of the corpus ---- */

/* Diff two corpus versions of one document; false (and a "skipped"
 * line) when the corpus is not there. */
static bool corpus_pair(struct ver *a, struct ver *b, struct cw_diff **d,
			const char *doc, const char *old_file,
			const char *new_file)
{
	char pa[8192], pb[8192];

	snprintf(pa, sizeof(pa), "%s/corpus/versions/%s/%s",
		 cw_test_shared_dir(), doc, old_file);
	snprintf(pb, sizeof(pb), "%s/corpus/versions/%s/%s",
		 cw_test_shared_dir(), doc, new_file);
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	if (!cw_file_exists(pa) || !cw_file_exists(pb)) {
		printf("skipped: '%s' not found\n", pa);
		return false;
	}
	assert_true(ver_from_file(a, pa));
	assert_true(ver_from_file(b, pb));
	*d = diff_vers(a, b, 0);
	return true;
}

/* The change of `kind` whose title is `title`, or NULL. */
static const struct cw_diff_change *
find_titled(const struct cw_diff *d, enum cw_diff_kind kind, const char *title)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->changes[i].kind == kind &&
		    strcmp(d->changes[i].title, title) == 0)
			return &d->changes[i];
	return NULL;
}

static void test_diff__align_kinds_on_corpus_pairs(void **state)
{
	struct ver a, b;
	struct cw_diff *d = NULL;
	const struct cw_diff_change *c;

	(void)state;
	/* renumbered: a section inserted before "Kindle Vella Tokens" */
	if (!corpus_pair(&a, &b, &d, "Amazon Kindle Store/Terms of Service",
			 "2025-01-01.md", "2025-12-16.md"))
		skip();
	c = find_titled(d, CW_DIFF_RENUMBERED, "Kindle Vella Tokens");
	assert_non_null(c);
	assert_string_equal(c->old_key, "3");
	assert_string_equal(c->new_key, "4");
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);

	/* moved, text unchanged */
	assert_true(corpus_pair(&a, &b, &d, "Parler/Terms of Service",
				"2025-10-31.md", "2026-01-10.md"));
	c = find_titled(d, CW_DIFF_MOVED, "Blockchain Integration");
	assert_non_null(c);
	assert_false(c->modified);
	assert_int_equal(c->materiality, CW_DIFF_EDITORIAL);
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);

	/* split: "Termination" became two subsections */
	assert_true(corpus_pair(&a, &b, &d, "Discord/Terms of Service",
				"2022-11-11.md", "2022-12-08.md"));
	c = find_titled(d, CW_DIFF_SPLIT, "Termination");
	assert_non_null(c);
	assert_int_equal(c->n_old, 1);
	assert_true(c->n_new >= 2);
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);

	/* merged: "Exceptions" lost its heading and joined "Mass filings"
	 * before it */
	assert_true(corpus_pair(&a, &b, &d, "Discord/Terms of Service",
				"2023-11-09.md", "2024-03-15.md"));
	c = find_titled(d, CW_DIFF_MERGED, "Mass filings");
	assert_non_null(c);
	assert_true(c->n_old >= 2);
	assert_int_equal(c->n_new, 1);
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);
}

static void test_diff__facts_on_corpus_changes(void **state)
{
	struct ver a, b;
	struct cw_diff *d = NULL;
	const struct cw_diff_change *c = NULL;

	(void)state;
	/* a notice period: 7 days became 30 days */
	if (!corpus_pair(&a, &b, &d, "Mistral AI/Terms of Service",
			 "2024-02-08.md", "2024-02-27.md"))
		skip();
	for (size_t i = 0; i < d->n && !c; i++)
		if (strcmp(d->changes[i].title, "Substantial modification") ==
		    0)
			c = &d->changes[i];
	assert_non_null(c);
	assert_int_equal(c->materiality, CW_DIFF_SUBSTANTIVE);
	assert_true(has_fact(c, CW_DIFF_FACT_DURATION, "7 days", "30 days"));
	assert_string_equal(c->summary, "Substantial modification: a period "
					"grew "
					"from 7 days to 30 days.");
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);

	/* an age threshold: 13 became 16 */
	assert_true(corpus_pair(&a, &b, &d, "Lyft/Privacy Policy",
				"2022-12-12.md", "2023-12-13.md"));
	c = find_change(d, "childrens-data");
	assert_non_null(c);
	assert_true(has_fact(c, CW_DIFF_FACT_AGE, "13 years", "16 years"));
	assert_int_equal(c->materiality, CW_DIFF_SUBSTANTIVE);
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);

	/* a liability cap changed currency: EUR 500 -> USD 500 */
	assert_true(corpus_pair(&a, &b, &d, "YouTube/Terms of Service",
				"2021-02-23-1.md", "2021-02-23-2.md"));
	c = find_titled(d, CW_DIFF_MODIFIED, "Limitation of Liability");
	assert_non_null(c);
	assert_true(has_fact(c, CW_DIFF_FACT_AMOUNT, "EUR 500", "USD 500"));
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);

	/* a venue: Tarrant County -> Wichita County */
	assert_true(corpus_pair(&a, &b, &d, "X/Terms of Service",
				"2026-01-16.md", "2026-04-11.md"));
	c = NULL;
	for (size_t i = 0; i < d->n && !c; i++)
		if (has_fact(&d->changes[i], CW_DIFF_FACT_PLACE,
			     "courts located in Tarrant County",
			     "courts located in Wichita County"))
			c = &d->changes[i];
	assert_non_null(c);
	assert_int_equal(c->materiality, CW_DIFF_SUBSTANTIVE);
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);
}

static void test_diff__noise_on_corpus_pair(void **state)
{
	struct ver a, b;
	struct cw_diff *d = NULL;

	(void)state;
	/* OpenAI put a word joiner (U+2060) inside every link text: every
	 * change of this pair is cosmetic and says why */
	if (!corpus_pair(&a, &b, &d, "ChatGPT/Terms of Service",
			 "2024-08-20-2.md", "2024-10-19.md"))
		skip();
	assert_true(d->n >= 10);
	for (size_t i = 0; i < d->n; i++) {
		const struct cw_diff_change *c = &d->changes[i];
		assert_int_equal(c->kind, CW_DIFF_MODIFIED);
		assert_int_equal(c->materiality, CW_DIFF_COSMETIC);
		assert_int_equal(c->noise.n, 1);
		assert_string_equal(c->noise.v[0], "invisible");
	}
	cw_diff_free(d);
	ver_release(&a);
	ver_release(&b);
}

/* ---- agreement with git over the corpus ---- */

static int name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Sorted entries of a directory (no dot files). */
static size_t list_dir(char ***out, const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, cap = 0;

	*out = NULL;
	if (!dp)
		return 0;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		CW_GROW(v, cap, n + 1);
		v[n++] = cw_strdup(de->d_name);
	}
	closedir(dp);
	if (n)
		qsort(v, n, sizeof(char *), name_cmp);
	*out = v;
	return n;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Every document folder of the corpus: "<versions>/<service>/<type>". */
static size_t corpus_docs(struct cw_strv *docs)
{
	char root[4200];
	char **svc;
	size_t ns;

	snprintf(root, sizeof(root), "%s/corpus/versions",
		 cw_test_shared_dir());
	ns = list_dir(&svc, root);
	for (size_t i = 0; i < ns; i++) {
		char sdir[8400];
		char **types;
		size_t nt;
		snprintf(sdir, sizeof(sdir), "%s/%s", root, svc[i]);
		nt = list_dir(&types, sdir);
		for (size_t t = 0; t < nt; t++)
			cw_strv_pushf(docs, "%s/%s", sdir, types[t]);
		free_list(types, nt);
	}
	free_list(svc, ns);
	return docs->n;
}

/* Line start offsets of a text; lines[k] is the start of line k+1. */
static size_t line_starts(size_t **out, const char *t, size_t len)
{
	size_t *v = NULL, n = 0, cap = 0;

	CW_GROW(v, cap, 1);
	v[n++] = 0;
	for (size_t i = 0; i < len; i++)
		if (t[i] == '\n' && i + 1 < len) {
			CW_GROW(v, cap, n + 1);
			v[n++] = i + 1;
		}
	*out = v;
	return n;
}

static void shell_quote(struct cw_buf *b, const char *s)
{
	cw_buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			cw_buf_adds(b, "'\\''");
		else
			cw_buf_addc(b, *s);
	}
	cw_buf_addc(b, '\'');
}

/*
 * Run git diff --no-index --unified=0 on two files; mark the changed
 * lines (1-based) in ca/cb (sized to the line counts + 1).
 */
static bool git_changed_lines(const char *pa, const char *pb, char *ca,
			      size_t na, char *cb, size_t nb)
{
	struct cw_buf cmd = CW_BUF_INIT;
	char line[1024];
	FILE *fp;

	cw_buf_adds(&cmd, "git diff --no-index --no-color --unified=0 "
			  "--no-ext-diff -- ");
	shell_quote(&cmd, pa);
	cw_buf_addc(&cmd, ' ');
	shell_quote(&cmd, pb);
	fp = popen(cmd.ptr, "r");
	cw_buf_release(&cmd);
	if (!fp)
		return false;
	while (fgets(line, sizeof(line), fp)) {
		unsigned long os, oc = 1, ns, nc = 1;
		char *p;
		if (strncmp(line, "@@ -", 4) != 0)
			continue;
		p = line + 4;
		os = strtoul(p, &p, 10);
		if (*p == ',')
			oc = strtoul(p + 1, &p, 10);
		if (strncmp(p, " +", 2) != 0)
			continue;
		ns = strtoul(p + 2, &p, 10);
		if (*p == ',')
			nc = strtoul(p + 1, &p, 10);
		for (unsigned long k = os; k < os + oc && k <= na; k++)
			ca[k] = 1;
		for (unsigned long k = ns; k < ns + nc && k <= nb; k++)
			cb[k] = 1;
	}
	pclose(fp);
	return true;
}

/* Own-text owner of each line: the provision whose own text holds the
 * line's first byte (deepest provision containing it). */
static void line_owners(long *own, const struct ver *v, const size_t *ls,
			size_t nl)
{
	const struct cw_segmentation *s = v->seg;
	size_t p = 0;

	for (size_t k = 0; k < nl; k++) {
		long best = -1;
		/* provisions are in document order: advance while the next
		 * one starts at or before the line */
		while (p < s->n && s->items[p].start <= ls[k])
			p++;
		for (long q = (long)p - 1; q >= 0; q = s->items[q].parent) {
			if (s->items[q].start <= ls[k] &&
			    ls[k] < s->items[q].end) {
				best = q;
				break;
			}
		}
		own[k] = best;
	}
}

struct agree {
	size_t pairs, lines, lines_hit;
	size_t changes, changes_hit;
	size_t misses_shown;
};

static void agree_pair(struct agree *ag, const char *pa, const char *pb,
		       const struct ver *a, const struct ver *b)
{
	size_t *lsa, *lsb;
	size_t na = line_starts(&lsa, a->text, a->len);
	size_t nb = line_starts(&lsb, b->text, b->len);
	char *ca = cw_calloc(na + 2, 1), *cb = cw_calloc(nb + 2, 1);
	long *oa = cw_malloc(sizeof(long) * (na + 1));
	long *ob = cw_malloc(sizeof(long) * (nb + 1));
	char *ra = cw_calloc(a->seg->n + 1, 1),
	     *rb = cw_calloc(b->seg->n + 1, 1);
	char *la = cw_calloc(a->seg->n + 1, 1),
	     *lb = cw_calloc(b->seg->n + 1, 1);
	struct cw_diff *d = diff_vers(a, b, CW_DIFF_NO_REDLINE);

	assert_true(git_changed_lines(pa, pb, ca, na, cb, nb));
	line_owners(oa, a, lsa, na);
	line_owners(ob, b, lsb, nb);
	for (size_t k = 0; k < d->n; k++) {
		const struct cw_diff_change *c = &d->changes[k];
		for (size_t i = 0; i < c->n_old; i++)
			ra[c->old_idx[i]] = 1;
		for (size_t i = 0; i < c->n_new; i++)
			rb[c->new_idx[i]] = 1;
	}
	/* recall: each changed line in a reported provision, same side */
	for (size_t k = 0; k < na; k++) {
		if (!ca[k + 1])
			continue;
		ag->lines++;
		if (oa[k] >= 0)
			la[oa[k]] = 1;
		if (oa[k] >= 0 && ra[oa[k]])
			ag->lines_hit++;
		else if (ag->misses_shown++ < 10 || getenv("CW_TEST_VERBOSE"))
			fprintf(stderr, "  miss: '%s' old line %zu (%s)\n", pa,
				k + 1,
				oa[k] >= 0 ? a->seg->items[oa[k]].key : "-");
	}
	for (size_t k = 0; k < nb; k++) {
		if (!cb[k + 1])
			continue;
		ag->lines++;
		if (ob[k] >= 0)
			lb[ob[k]] = 1;
		if (ob[k] >= 0 && rb[ob[k]])
			ag->lines_hit++;
		else if (ag->misses_shown++ < 10 || getenv("CW_TEST_VERBOSE"))
			fprintf(stderr, "  miss: '%s' new line %zu (%s)\n", pb,
				k + 1,
				ob[k] >= 0 ? b->seg->items[ob[k]].key : "-");
	}
	/* precision: each reported change holds a changed line, or moved */
	for (size_t k = 0; k < d->n; k++) {
		const struct cw_diff_change *c = &d->changes[k];
		bool hit = c->kind == CW_DIFF_MOVED;
		for (size_t i = 0; i < c->n_old && !hit; i++)
			hit = la[c->old_idx[i]];
		for (size_t i = 0; i < c->n_new && !hit; i++)
			hit = lb[c->new_idx[i]];
		ag->changes++;
		ag->changes_hit += hit;
		if (!hit && (ag->misses_shown++ < 20 || getenv("CW_TEST_"
							       "VERBOSE")))
			fprintf(stderr, "  unconfirmed: '%s' %s %s -> %s\n", pb,
				cw_diff_kind_name(c->kind),
				c->old_key ? c->old_key : "-",
				c->new_key ? c->new_key : "-");
	}
	ag->pairs++;
	cw_diff_free(d);
	free(lsa);
	free(lsb);
	free(ca);
	free(cb);
	free(oa);
	free(ob);
	free(ra);
	free(rb);
	free(la);
	free(lb);
}

/*
 * Every pair by default; a sanitizer build (several times slower) takes
 * every 10th so CI stays within its time; CW_TEST_SAMPLE=N overrides.
 */
#if defined(__SANITIZE_ADDRESS__)
#define DEFAULT_SAMPLE 10
#else
#define DEFAULT_SAMPLE 1
#endif

static void test_diff__agreement_with_git(void **state)
{
	struct cw_strv docs = CW_STRV_INIT;
	struct agree ag = { 0 };
	const char *sample = getenv("CW_TEST_SAMPLE");
	long every = DEFAULT_SAMPLE;
	size_t seen = 0;
	double recall, precision;

	(void)state;
	if (corpus_docs(&docs) == 0) {
		cw_strv_release(&docs);
		printf("skipped: %s/corpus/versions not found\n",
		       cw_test_shared_dir());
		skip();
	}
	if (sample && *sample)
		cw_parse_long(sample, 1, 1000000, &every);
	if (every > 1)
		printf("agreement with git: every %ld-th version pair "
		       "(CW_TEST_SAMPLE=1 for all)\n",
		       every);
	for (size_t di = 0; di < docs.n; di++) {
		const char *only = getenv("CW_TEST_DOC");
		char **files;
		if (only && *only && !strstr(docs.v[di], only))
			continue;
		size_t nf = list_dir(&files, docs.v[di]);
		struct ver prev = { 0 };
		char *prev_path = NULL;
		for (size_t f = 0; f < nf; f++) {
			char *path = cw_asprintf("%s/%s", docs.v[di], files[f]);
			struct ver cur = { 0 };
			bool want = (seen++ % (size_t)every) == 0;
			if (f > 0 && want) {
				if (!prev.seg)
					assert_true(ver_from_file(&prev,
								  prev_path));
				assert_true(ver_from_file(&cur, path));
				agree_pair(&ag, prev_path, path, &prev, &cur);
			}
			ver_release(&prev);
			prev = cur;
			free(prev_path);
			prev_path = path;
		}
		ver_release(&prev);
		free(prev_path);
		free_list(files, nf);
	}
	cw_strv_release(&docs);
	recall = ag.lines ? 100.0 * (double)ag.lines_hit / (double)ag.lines
			  : 100.0;
	precision =
		ag.changes ? 100.0 * (double)ag.changes_hit / (double)ag.changes
			   : 100.0;
	printf("agreement with git: %zu pairs, %zu changed lines, recall "
	       "%.3f%% "
	       "(%zu/%zu), %zu changes reported, precision %.3f%% (%zu/%zu)\n",
	       ag.pairs, ag.lines, recall, ag.lines_hit, ag.lines, ag.changes,
	       precision, ag.changes_hit, ag.changes);
	assert_int_equal(ag.lines_hit, ag.lines);
	assert_true(precision >= 99.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff__words_replacement_offsets),
		cmocka_unit_test(
			test_diff__words_cleanup_merges_short_equalities),
		cmocka_unit_test(test_diff__words_whitespace_only_is_empty),
		cmocka_unit_test(test_diff__words_pathological_inputs_finish),
		cmocka_unit_test(
			test_diff__words_random_edits_are_valid_scripts),
		cmocka_unit_test(test_diff__noise_rules),
		cmocka_unit_test(test_diff__rules_load_rejects_bad_files),
		cmocka_unit_test(test_diff__facts_extraction),
		cmocka_unit_test(test_diff__facts_needs_are_necessary),
		cmocka_unit_test(test_diff__materiality_and_summary),
		cmocka_unit_test(test_diff__modal_and_negation),
		cmocka_unit_test(test_diff__align_renumbered),
		cmocka_unit_test(test_diff__align_moved),
		cmocka_unit_test(test_diff__align_split_and_merge),
		cmocka_unit_test(test_diff__parent_not_modified_by_child),
		cmocka_unit_test(test_diff__align_hand_built_segmentation),
		cmocka_unit_test(test_diff__json_and_markdown),
		cmocka_unit_test(test_diff__align_kinds_on_corpus_pairs),
		cmocka_unit_test(test_diff__facts_on_corpus_changes),
		cmocka_unit_test(test_diff__noise_on_corpus_pair),
		cmocka_unit_test(test_diff__agreement_with_git),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
