/*
 * Tests of the change record (diff/record.h): its codec against the JSON
 * the code stored before the record had a type (version-less records,
 * made here by that code path), round trips on real version pairs of
 * ../shared/corpus, the refill of the redline, and the errors on bad
 * input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <math.h>

#include "helpers.h"
#include "diff/record.h"

static struct cw_diff_rules *g_rules;

CW_TEST_DATA_FIXTURE(g_rules, cw_diff_rules_load, cw_diff_rules_free, "diff",
		     "rules")

/* ---- the code path before the record: render.c and pipeline.c ---- */

static json_t *old_text(const char *s, size_t n)
{
	if (cw_utf8_valid(s, n) && !memchr(s, 0, n))
		return json_stringn(s, n);
	{
		struct cw_buf b = CW_BUF_INIT;
		json_t *j;
		cw_utf8_sanitize(&b, s, n);
		j = json_stringn(b.ptr ? b.ptr : "", b.len);
		cw_buf_release(&b);
		return j;
	}
}

static json_t *old_str_or_null(const char *s)
{
	return s ? old_text(s, strlen(s)) : json_null();
}

/* The four offsets of a change or a span, as the old code set them. */
static void old_offsets(json_t *o, size_t old_start, size_t old_end,
			size_t new_start, size_t new_end)
{
	json_object_set_new(o, "old_start",
			    json_integer((json_int_t)old_start));
	json_object_set_new(o, "old_end", json_integer((json_int_t)old_end));
	json_object_set_new(o, "new_start",
			    json_integer((json_int_t)new_start));
	json_object_set_new(o, "new_end", json_integer((json_int_t)new_end));
}

static json_t *old_index_array(const long *idx, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(idx[i]));
	return a;
}

/* cw_diff_to_json() as it was written before the record existed. */
static json_t *old_diff_to_json(const struct cw_diff *d)
{
	json_t *root = json_object(), *arr = json_array(),
	       *counts = json_object();

	for (size_t k = 0; k < d->n; k++) {
		const struct cw_diff_change *ch = &d->changes[k];
		json_t *o = json_object(), *facts = json_array(),
		       *red = json_array(), *noise = json_array();

		json_object_set_new(o, "kind",
				    json_string(cw_diff_kind_name(ch->kind)));
		json_object_set_new(o, "modified", json_boolean(ch->modified));
		json_object_set_new(o, "old_key", old_str_or_null(ch->old_key));
		json_object_set_new(o, "new_key", old_str_or_null(ch->new_key));
		json_object_set_new(o, "title", old_str_or_null(ch->title));
		json_object_set_new(
			o, "materiality",
			json_string(cw_diff_materiality_name(ch->materiality)));
		old_offsets(o, ch->old_start, ch->old_end, ch->new_start,
			    ch->new_end);
		if (ch->kind == CW_DIFF_SPLIT || ch->kind == CW_DIFF_MERGED) {
			json_object_set_new(o, "old_provisions",
					    old_index_array(ch->old_idx,
							    ch->n_old));
			json_object_set_new(o, "new_provisions",
					    old_index_array(ch->new_idx,
							    ch->n_new));
		}
		json_object_set_new(o, "similarity", json_real(ch->similarity));
		for (size_t i = 0; i < ch->n_facts; i++) {
			const struct cw_diff_fact *f = &ch->facts[i];
			json_t *fo = json_object();
			json_object_set_new(
				fo, "kind",
				json_string(cw_diff_fact_kind_name(f->kind)));
			json_object_set_new(fo, "old",
					    old_str_or_null(f->old_value));
			json_object_set_new(fo, "new",
					    old_str_or_null(f->new_value));
			json_array_append_new(facts, fo);
		}
		json_object_set_new(o, "facts", facts);
		for (size_t i = 0; i < ch->noise.n; i++)
			json_array_append_new(noise,
					      json_string(ch->noise.v[i]));
		json_object_set_new(o, "noise", noise);
		json_object_set_new(o, "summary", old_str_or_null(ch->summary));
		json_object_set_new(o, "coarse", json_boolean(ch->coarse));
		for (size_t i = 0; i < ch->n_spans; i++) {
			const struct cw_diff_span *s = &ch->spans[i];
			json_t *so = json_object();
			bool del = s->op == CW_DIFF_OP_DEL;
			json_object_set_new(so, "op",
					    json_string(del ? "del" : "ins"));
			old_offsets(so, s->old_start, s->old_end, s->new_start,
				    s->new_end);
			json_object_set_new(
				so, "text",
				del ? old_text(d->old_text + s->old_start,
					       s->old_end - s->old_start)
				    : old_text(d->new_text + s->new_start,
					       s->new_end - s->new_start));
			json_array_append_new(red, so);
		}
		json_object_set_new(o, "redline", red);
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "changes", arr);
	for (int k = 0; k <= CW_DIFF_MERGED; k++)
		json_object_set_new(counts,
				    cw_diff_kind_name((enum cw_diff_kind)k),
				    json_integer((json_int_t)d->counts[k]));
	json_object_set_new(root, "counts", counts);
	return root;
}

/* pipeline.c's change_json_compact() before the record: what it stored. */
static char *old_compact(json_t *j)
{
	json_t *changes, *c, *r;
	size_t i, k;

	changes = json_object_get(j, "changes");
	json_array_foreach(changes, i, c)
	{
		json_t *sim = json_object_get(c, "similarity");
		const char *drop[] = { "facts", "noise", "redline" };

		json_array_foreach(json_object_get(c, "redline"), k, r)
			json_object_del(r, "text");
		for (size_t n = 0; n < sizeof(drop) / sizeof(drop[0]); n++) {
			json_t *a = json_object_get(c, drop[n]);
			if (json_is_array(a) && !json_array_size(a))
				json_object_del(c, drop[n]);
		}
		if (json_is_false(json_object_get(c, "coarse")))
			json_object_del(c, "coarse");
		if (json_is_real(sim))
			json_object_set_new(
				c, "similarity",
				json_real(round(json_real_value(sim) * 100) /
					  100));
	}
	return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
				     JSON_REAL_PRECISION(3));
}

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

/* "{"schema":1," + the rest of a version-less record `old` */
static char *with_schema(const char *old)
{
	assert_true(old[0] == '{');
	return cw_asprintf("{\"schema\":%d,%s", CW_CHANGE_RECORD_SCHEMA,
			   old + 1);
}

/* ---- versions ---- */

struct ver {
	struct cw_buf text;
	struct cw_segmentation *seg;
};

static bool ver_load(struct ver *v, const char *path)
{
	struct cw_err err = CW_ERR_INIT;

	memset(v, 0, sizeof(*v));
	cw_buf_init(&v->text, 64u << 20);
	if (cw_file_read(&v->text, path, 64u << 20, &err))
		return false;
	assert_int_equal(cw_segment_text(&v->seg, cw_buf_str(&v->text),
					 v->text.len, NULL, &err),
			 CW_OK);
	return true;
}

static void ver_release(struct ver *v)
{
	cw_buf_release(&v->text);
	cw_segment_free(v->seg);
}

static struct cw_diff *diff_of(const struct ver *a, const struct ver *b)
{
	struct cw_diff_version va = { cw_buf_str(&a->text), a->text.len,
				      a->seg };
	struct cw_diff_version vb = { cw_buf_str(&b->text), b->text.len,
				      b->seg };
	struct cw_diff *d = NULL;
	struct cw_err err = CW_ERR_INIT;

	assert_int_equal(cw_diff_compute(&d, &va, &vb, g_rules, NULL, &err),
			 CW_OK);
	return d;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(struct cw_strv *out, const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;

	while (dp && (de = readdir(dp)))
		if (de->d_name[0] != '.')
			cw_strv_push(out, de->d_name);
	if (dp)
		closedir(dp);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), name_cmp);
}

/*
 * Every check on one pair: the record's full JSON is the old change list
 * JSON; its stored form is the old stored bytes plus the schema; the old
 * bytes (version-less) and the new ones decode to the same record and
 * re-encode to the new bytes; the refill gives back the old redline text.
 */
static void check_pair(const struct ver *a, const struct ver *b,
		       size_t *entries, size_t *spans)
{
	struct cw_diff *d = diff_of(a, b);
	struct cw_change_record r, back, old;
	struct cw_buf enc = CW_BUF_INIT, again = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	json_t *oj = old_diff_to_json(d), *nj;
	char *os = dump(oj), *ns, *ostored, *want;

	assert_int_equal(cw_change_record_from_diff(&r, d), CW_OK);
	nj = cw_change_record_to_json(&r, CW_CHANGE_JSON_COUNTS);
	ns = dump(nj);
	assert_string_equal(ns, os);

	{
		json_t *copy = json_deep_copy(oj); /* old_compact edits it */
		ostored = old_compact(copy);
		json_decref(copy);
	}
	want = with_schema(ostored);
	cw_change_record_compact(&r);
	assert_int_equal(cw_change_record_encode(&enc, &r, &err), CW_OK);
	assert_string_equal(cw_buf_str(&enc), want);

	/* round trip of the stored form */
	assert_int_equal(cw_change_record_decode(&back, enc.ptr, enc.len, &err),
			 CW_OK);
	assert_int_equal(back.schema, CW_CHANGE_RECORD_SCHEMA);
	assert_true(back.compact);
	assert_int_equal(back.n, d->n);
	assert_int_equal(cw_change_record_encode(&again, &back, &err), CW_OK);
	assert_string_equal(cw_buf_str(&again), want);

	/* a record stored by the old code: no schema, same record */
	cw_buf_clear(&again);
	assert_int_equal(cw_change_record_decode(&old, ostored, strlen(ostored),
						 &err),
			 CW_OK);
	assert_int_equal(old.schema, 0);
	assert_int_equal(cw_change_record_encode(&again, &old, &err), CW_OK);
	assert_string_equal(cw_buf_str(&again), want);

	/* the refill puts back what the old JSON quoted */
	cw_change_record_fill_redline(&old, a->text.ptr, a->text.len,
				      b->text.ptr, b->text.len);
	for (size_t k = 0; k < old.n; k++) {
		json_t *reds = json_object_get(
			json_array_get(json_object_get(oj, "changes"), k), "red"
									   "lin"
									   "e");
		(*entries)++;
		assert_int_equal(old.entries[k].n_spans, json_array_size(reds));
		for (size_t i = 0; i < old.entries[k].n_spans; i++) {
			const struct cw_change_span *s =
				&old.entries[k].spans[i];
			const char *t = json_string_value(
				json_object_get(json_array_get(reds, i), "tex"
									 "t"));
			bool del = s->op == CW_DIFF_OP_DEL;
			const char *src = del ? a->text.ptr + s->old_start
					      : b->text.ptr + s->new_start;
			size_t n = del ? s->old_end - s->old_start
				       : s->new_end - s->new_start;

			if (!cw_utf8_valid(src, n) || memchr(src, 0, n))
				continue; /* repaired in the old JSON only */
			assert_non_null(s->text);
			assert_int_equal(s->text_len, strlen(t));
			assert_memory_equal(s->text, t, s->text_len);
			(*spans)++;
		}
	}
	cw_change_record_release(&r);
	cw_change_record_release(&back);
	cw_change_record_release(&old);
	cw_buf_release(&enc);
	cw_buf_release(&again);
	json_decref(oj);
	json_decref(nj);
	free(os);
	free(ns);
	free(ostored);
	free(want);
	cw_diff_free(d);
}

/* Consecutive versions of the corpus documents, at most this many pairs. */
#define MAX_PAIRS 60

static void test_record__corpus_round_trip(void **state)
{
	struct cw_strv svcs = CW_STRV_INIT;
	char root[4200];
	size_t pairs = 0, entries = 0, spans = 0;

	(void)state;
	snprintf(root, sizeof(root), "%s/corpus/versions",
		 cw_test_shared_dir());
	if (!cw_dir_exists(root)) {
		printf("skipped: '%s' not found (real version pairs are "
		       "needed)\n",
		       root);
		skip();
	}
	list_dir(&svcs, root);
	/* one document in every few services, spread over the corpus */
	for (size_t i = 0; i < svcs.n && pairs < MAX_PAIRS; i += 3) {
		struct cw_strv types = CW_STRV_INIT;
		char sdir[8400];

		snprintf(sdir, sizeof(sdir), "%s/%s", root, svcs.v[i]);
		list_dir(&types, sdir);
		for (size_t t = 0; t < types.n && t < 1 && pairs < MAX_PAIRS;
		     t++) {
			struct cw_strv files = CW_STRV_INIT;
			char ddir[12700], path[13000];
			struct ver prev, cur;
			bool have = false;

			snprintf(ddir, sizeof(ddir), "%s/%s", sdir, types.v[t]);
			list_dir(&files, ddir);
			for (size_t f = 0; f < files.n && pairs < MAX_PAIRS;
			     f++) {
				if (!cw_str_endswith(files.v[f], ".md"))
					continue;
				snprintf(path, sizeof(path), "%s/%s", ddir,
					 files.v[f]);
				if (!ver_load(&cur, path)) {
					ver_release(&cur);
					continue;
				}
				if (have) {
					check_pair(&prev, &cur, &entries,
						   &spans);
					pairs++;
					ver_release(&prev);
				}
				prev = cur;
				have = true;
			}
			if (have)
				ver_release(&prev);
			cw_strv_release(&files);
		}
		cw_strv_release(&types);
	}
	cw_strv_release(&svcs);
	printf("change record: %zu corpus pairs, %zu entries, %zu redline "
	       "spans refilled, all byte-identical to the old code path\n",
	       pairs, entries, spans);
	assert_true(pairs > 0);
}

/* ---- records the old code stored, by hand ---- */

static void round_trip(const char *json, const char *want)
{
	struct cw_change_record r;
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;

	assert_int_equal(cw_change_record_decode(&r, json, strlen(json), &err),
			 CW_OK);
	assert_int_equal(cw_change_record_encode(&out, &r, &err), CW_OK);
	assert_string_equal(cw_buf_str(&out), want);
	cw_change_record_release(&r);
	cw_buf_release(&out);
}

/* An annotated record as pipeline_analyze.c wrote it before the record
 * had a type: categories and moves per provision and at the top. */
static void test_record__annotated_old_record(void **state)
{
	const char *old =
		"{\"changes\":[{\"kind\":\"modified\",\"modified\":true,"
		"\"old_key\":\"9.3\",\"new_key\":\"9.3\",\"title\":"
		"\"Arbitration\","
		"\"materiality\":\"substantive\",\"old_start\":10,\"old_end\":"
		"90,"
		"\"new_start\":12,\"new_end\":99,\"similarity\":0.87,"
		"\"facts\":[{\"kind\":\"duration\",\"old\":\"30 days\",\"new\":"
		"\"10 days\"}],\"summary\":\"Arbitration: shorter.\","
		"\"redline\":[{\"op\":\"del\",\"old_start\":20,\"old_end\":27,"
		"\"new_start\":22,\"new_end\":22},{\"op\":\"ins\",\"old_"
		"start\":27,"
		"\"old_end\":27,\"new_start\":22,\"new_end\":29}],"
		"\"categories\":[{\"id\":\"class_action_waiver\",\"name\":"
		"\"Class "
		"action "
		"waiver\",\"in\":\"both\",\"confidence\":0.853,\"severity\":"
		"\"potentially_unfair\"},{\"id\":\"mandatory_arbitration\","
		"\"name\":"
		"\"Mandatory arbitration\",\"in\":\"new\",\"confidence\":0.0,"
		"\"severity\":\"clearly_fair\"}],\"exposure_moves\":[{"
		"\"audience\":"
		"\"operator\",\"from\":\"medium\",\"to\":\"high\","
		"\"direction\":"
		"\"up\"}]},{\"kind\":\"split\",\"modified\":true,\"old_key\":"
		"\"4\","
		"\"new_key\":\"4\",\"title\":\"Fees\",\"materiality\":"
		"\"editorial\","
		"\"old_start\":0,\"old_end\":5,\"new_start\":0,\"new_end\":9,"
		"\"old_provisions\":[3],\"new_provisions\":[3,4],"
		"\"similarity\":1.0,"
		"\"noise\":[\"whitespace\"],\"summary\":null,\"coarse\":true,"
		"\"categories\":[]}],\"counts\":{\"unchanged\":5,\"modified\":"
		"1,"
		"\"added\":0,\"removed\":0,\"moved\":0,\"renumbered\":0,"
		"\"split\":1,"
		"\"merged\":0},\"categories\":[\"class_action_waiver\","
		"\"mandatory_arbitration\"],\"exposure_moves\":[{\"key\":\"9."
		"3\","
		"\"old_key\":\"9.3\",\"title\":\"Arbitration\",\"audience\":"
		"\"operator\",\"from\":\"medium\",\"to\":\"high\","
		"\"direction\":"
		"\"up\"}]}";
	const char *failed =
		"{\"changes\":[{\"kind\":\"added\",\"modified\":true,\"old_"
		"key\":"
		"null,\"new_key\":\"12\",\"title\":\"New\",\"materiality\":"
		"\"substantive\",\"old_start\":0,\"old_end\":0,\"new_start\":5,"
		"\"new_end\":50,\"similarity\":0.0,\"summary\":\"New: "
		"added.\"}],"
		"\"counts\":{\"unchanged\":0,\"modified\":0,\"added\":1,"
		"\"removed\":"
		"0,\"moved\":0,\"renumbered\":0,\"split\":0,\"merged\":0},"
		"\"analysis\":{\"error\":\"taxonomy: not found\"}}";
	struct cw_change_record r;
	struct cw_err err = CW_ERR_INIT;
	char *want;

	(void)state;
	want = with_schema(old);
	round_trip(old, want);
	round_trip(want, want);
	free(want);
	want = with_schema(failed);
	round_trip(failed, want);
	free(want);

	/* the typed view of it */
	assert_int_equal(cw_change_record_decode(&r, old, strlen(old), &err),
			 CW_OK);
	assert_int_equal(r.schema, 0);
	assert_int_equal(r.n, 2);
	assert_true(r.has_categories);
	assert_int_equal(r.categories.n, 2);
	assert_string_equal(r.categories.v[1], "mandatory_arbitration");
	assert_int_equal(r.n_moves, 1);
	assert_string_equal(r.moves[0].key, "9.3");
	assert_int_equal(r.entries[0].kind, CW_DIFF_MODIFIED);
	assert_int_equal(r.entries[0].materiality, CW_DIFF_SUBSTANTIVE);
	assert_int_equal(r.entries[0].n_facts, 1);
	assert_int_equal(r.entries[0].facts[0].kind, CW_DIFF_FACT_DURATION);
	assert_string_equal(r.entries[0].facts[0].new_value, "10 days");
	assert_int_equal(r.entries[0].n_spans, 2);
	assert_int_equal(r.entries[0].spans[1].op, CW_DIFF_OP_INS);
	assert_int_equal(r.entries[0].spans[1].new_end, 29);
	assert_null(r.entries[0].spans[1].text);
	assert_int_equal(r.entries[0].n_categories, 2);
	assert_true(r.entries[0].categories[0].has_confidence);
	assert_true(fabs(r.entries[0].categories[0].confidence - 0.853) < 1e-9);
	assert_string_equal(r.entries[0].categories[1].in, "new");
	assert_int_equal(r.entries[0].n_moves, 1);
	assert_string_equal(r.entries[0].moves[0].to, "high");
	assert_int_equal(r.entries[1].kind, CW_DIFF_SPLIT);
	assert_int_equal(r.entries[1].n_new_prov, 2);
	assert_int_equal(r.entries[1].new_prov[1], 4);
	assert_true(r.entries[1].coarse);
	assert_null(r.entries[1].summary);
	assert_true(r.entries[1].has_categories);
	assert_int_equal(r.entries[1].n_categories, 0);
	assert_int_equal(r.counts[CW_DIFF_UNCHANGED], 5);
	assert_null(r.analysis_error);
	cw_change_record_release(&r);

	/* the refill: spans inside their texts get their text, others not */
	assert_int_equal(cw_change_record_decode(&r, old, strlen(old), &err),
			 CW_OK);
	{
		char a[100], b[100];
		memset(a, 'a', sizeof(a));
		memset(b, 'b', sizeof(b));
		memcpy(a + 20, "30 days", 7);
		memcpy(b + 22, "10 days", 7);
		cw_change_record_fill_redline(&r, a, sizeof(a), b, 25);
		assert_string_equal(r.entries[0].spans[0].text, "30 days");
		assert_null(r.entries[0].spans[1].text); /* past the new text */
		cw_change_record_fill_redline(&r, a, sizeof(a), b, sizeof(b));
		assert_string_equal(r.entries[0].spans[1].text, "10 days");
	}
	cw_change_record_release(&r);
}

/* The first stored form kept empty lists and false flags (only the span
 * text was dropped): it reads back as is, and renders as it was. */
static void test_record__uncompacted_old_record(void **state)
{
	const char *old =
		"{\"changes\":[{\"kind\":\"removed\",\"modified\":false,"
		"\"old_key\":\"2\",\"new_key\":null,\"title\":\"Gone\","
		"\"materiality\":\"substantive\",\"old_start\":3,\"old_end\":"
		"40,"
		"\"new_start\":0,\"new_end\":0,\"similarity\":0.12345678901234,"
		"\"facts\":[],\"noise\":[],\"summary\":\"Gone: removed.\","
		"\"coarse\":false,\"redline\":[]}],\"counts\":{\"unchanged\":1,"
		"\"modified\":0,\"added\":0,\"removed\":1,\"moved\":0,"
		"\"renumbered\":0,\"split\":0,\"merged\":0}}";
	struct cw_change_record r;
	struct cw_err err = CW_ERR_INIT;
	json_t *j;
	char *s;

	(void)state;
	assert_int_equal(cw_change_record_decode(&r, old, strlen(old), &err),
			 CW_OK);
	assert_false(r.compact);
	j = cw_change_record_to_json(&r, CW_CHANGE_JSON_COUNTS);
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_string_equal(s, old);
	free(s);
	json_decref(j);
	cw_change_record_release(&r);
	/* and "{}", what a reader used for a missing record, is empty */
	assert_int_equal(cw_change_record_decode(&r, "{}", 2, &err), CW_OK);
	assert_int_equal(r.n, 0);
	assert_false(r.has_categories);
	cw_change_record_release(&r);
}

/* ---- bad input ---- */

static void bad(const char *json, const char *what)
{
	struct cw_change_record r;
	struct cw_err err = CW_ERR_INIT;

	assert_int_equal(cw_change_record_decode(&r, json, strlen(json), &err),
			 CW_EPARSE);
	if (!strstr(err.msg, what)) {
		fprintf(stderr, "'%s': message '%s' lacks '%s'\n", json,
			err.msg, what);
		fail();
	}
	assert_int_equal(r.n, 0);
	assert_null(r.entries);
}

static void test_record__bad_input_errors(void **state)
{
	(void)state;
	bad("", "change record: line 1");
	bad("{\"changes\":[", "change record: line 1");
	bad("[]", "(root): expected an object");
	bad("{\"schema\":\"1\"}", "schema: expected a positive integer");
	bad("{\"schema\":99}", "schema 99 is newer");
	bad("{\"changes\":{}}", "changes: expected an array");
	bad("{\"changes\":[3]}", "changes[0]: expected an object");
	bad("{\"changes\":[{\"materiality\":\"none\"}]}", "changes[0].kind: "
							  "missing");
	bad("{\"changes\":[{\"kind\":\"edited\",\"materiality\":\"none\"}]}",
	    "changes[0].kind: expected a known name");
	bad("{\"changes\":[{\"kind\":\"added\"}]}", "changes[0].materiality: "
						    "missing");
	bad("{\"changes\":[{\"kind\":\"added\",\"materiality\":\"none\","
	    "\"old_start\":-1}]}",
	    "changes[0].old_start: expected a non-negative");
	bad("{\"changes\":[{\"kind\":\"added\",\"materiality\":\"none\","
	    "\"title\":7}]}",
	    "changes[0].title: expected a string or null");
	bad("{\"changes\":[{\"kind\":\"added\",\"materiality\":\"none\","
	    "\"modified\":1}]}",
	    "changes[0].modified: expected true or false");
	bad("{\"changes\":[{\"kind\":\"added\",\"materiality\":\"none\"},"
	    "{\"kind\":\"added\",\"materiality\":\"none\",\"redline\":[{\"op\":"
	    "\"swap\"}]}]}",
	    "changes[1].redline[0].op: expected a known name");
	bad("{\"changes\":[{\"kind\":\"added\",\"materiality\":\"none\","
	    "\"facts\":[{\"kind\":\"colour\"}]}]}",
	    "changes[0].facts[0].kind: expected a known name");
	bad("{\"changes\":[{\"kind\":\"added\",\"materiality\":\"none\","
	    "\"categories\":[1]}]}",
	    "changes[0].categories[0]: expected an id");
	bad("{\"changes\":[{\"kind\":\"added\",\"materiality\":\"none\","
	    "\"categories\":[{\"name\":\"x\"}]}]}",
	    "changes[0].categories[0].id: expected a string");
	bad("{\"changes\":[{\"kind\":\"added\",\"materiality\":\"none\","
	    "\"similarity\":\"high\"}]}",
	    "changes[0].similarity: expected a number");
	bad("{\"changes\":[],\"categories\":[1]}", "categories: expected "
						   "strings");
	bad("{\"changes\":[],\"exposure_moves\":[{\"key\":3}]}", "exposure_"
								 "moves[0].key:"
								 " expected a "
								 "string or "
								 "null");
	bad("{\"changes\":[],\"analysis\":\"failed\"}", "analysis: expected an "
							"object");
	bad("{\"changes\":[],\"counts\":{\"added\":-2}}", "added: expected a "
							  "non-negative "
							  "integer");
	bad("{\"changes\":[],\"changes\":[]}", "duplicate");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record__corpus_round_trip),
		cmocka_unit_test(test_record__annotated_old_record),
		cmocka_unit_test(test_record__uncompacted_old_record),
		cmocka_unit_test(test_record__bad_input_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
