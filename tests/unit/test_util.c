#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <unistd.h>

#include "util/json.h"
#include "util/map.h"
#include "util/util.h"

static void test_util__buf_caps_growth(void **state)
{
	struct cw_buf b;
	(void)state;
	cw_buf_init(&b, 8);
	assert_int_equal(cw_buf_adds(&b, "12345678"), CW_OK);
	assert_int_equal(cw_buf_addc(&b, '9'), CW_ETOOBIG);
	assert_string_equal(cw_buf_str(&b), "12345678");
	cw_buf_release(&b);
}

/* Edit distances, and the cap that stops early. */
static void test_util__str_distance(void **state)
{
	(void)state;
	assert_int_equal(cw_str_distance("", "", 3), 0);
	assert_int_equal(cw_str_distance("kitten", "sitting", 5), 3);
	assert_int_equal(cw_str_distance("privacypolcy", "privacypolicy", 3),
			 1);
	assert_int_equal(cw_str_distance("abc", "abc", 0), 0);
	/* over the cap: cap + 1, whether the lengths or the rows say so */
	assert_int_equal(cw_str_distance("kitten", "sitting", 2), 3);
	assert_int_equal(cw_str_distance("a", "abcdef", 2), 3);
	char longer[300];
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	assert_int_equal(cw_str_distance(longer, longer, 4), 5);
}

static void test_util__sha256_known_vector(void **state)
{
	char hex[CW_SHA256_HEX];
	(void)state;
	cw_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177"
				 "a9cb410ff61f20015ad");
}

static void test_util__hmac_known_vector(void **state)
{
	char hex[CW_SHA256_HEX];
	(void)state;
	/* RFC 4231 test case 2 */
	cw_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d273"
				 "9839dec58b964ec3843");
}

static void test_util__utf8_sanitize_replaces_invalid(void **state)
{
	struct cw_buf b = CW_BUF_INIT;
	(void)state;
	/* overlong slash, lone continuation, surrogate, truncated sequence */
	const char in[] = "a\xC0\xAF"
			  "b\x80"
			  "c\xED\xA0\x80"
			  "d\xE2\x82";
	long bad = cw_utf8_sanitize(&b, in, sizeof(in) - 1);
	assert_true(bad > 0);
	assert_true(cw_utf8_valid(b.ptr, b.len));
	assert_non_null(strstr(b.ptr, "a"));
	assert_non_null(strstr(b.ptr, "d"));
	cw_buf_release(&b);
	assert_true(cw_utf8_valid("caf\xC3\xA9 \xE2\x80\x9Cq\xE2\x80\x9D", 13));
}

/* Invalid bytes and NULs after ASCII runs of every length (the runs are
 * skipped eight bytes at a time): replaced and dropped as one at a time. */
static void test_util__utf8_sanitize_after_ascii_runs(void **state)
{
	(void)state;
	for (size_t k = 0; k <= 20; k++) {
		struct cw_buf in = CW_BUF_INIT, want = CW_BUF_INIT;
		struct cw_buf b = CW_BUF_INIT;
		long bad;

		for (size_t i = 0; i < k; i++)
			cw_buf_addc(&in, 'x');
		cw_buf_add(&in, "\x80", 1);
		for (size_t i = 0; i < k; i++)
			cw_buf_addc(&in, 'y');
		cw_buf_add(&in, "\0", 1);
		for (size_t i = 0; i < k; i++)
			cw_buf_addc(&in, 'z');
		cw_buf_adds(&in, "\xE2\x80\x9Cwwwwwwwww");
		for (size_t i = 0; i < k; i++)
			cw_buf_addc(&want, 'x');
		cw_buf_adds(&want, "\xEF\xBF\xBD");
		for (size_t i = 0; i < k; i++)
			cw_buf_addc(&want, 'y');
		for (size_t i = 0; i < k; i++)
			cw_buf_addc(&want, 'z');
		cw_buf_adds(&want, "\xE2\x80\x9Cwwwwwwwww");
		bad = cw_utf8_sanitize(&b, in.ptr, in.len);
		assert_int_equal(bad, 1);
		assert_int_equal(b.len, want.len);
		assert_memory_equal(b.ptr, want.ptr, want.len);
		cw_buf_release(&in);
		cw_buf_release(&want);
		cw_buf_release(&b);
	}
}

static void test_util__charset_windows1252(void **state)
{
	struct cw_buf b = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	(void)state;
	assert_int_equal(cw_utf8_from_charset(&b, "caf\xE9 \x93q\x94", 8,
					      "windows-1252", &err),
			 CW_OK);
	assert_string_equal(b.ptr, "caf\xC3\xA9 \xE2\x80\x9Cq\xE2\x80\x9D");
	cw_buf_release(&b);
	assert_int_equal(cw_utf8_from_charset(&b, "x", 1, "no-such-cs", &err),
			 CW_EUNSUPPORTED);
	assert_non_null(strstr(err.msg, "no-such-cs"));
	cw_buf_release(&b);
}

static void test_util__time_parse_iso(void **state)
{
	time_t t;
	char s[CW_TIME_ISO];
	(void)state;
	assert_int_equal(cw_time_parse_iso("2025-07-31", &t), CW_OK);
	cw_time_iso(t, s);
	assert_string_equal(s, "2025-07-31T00:00:00Z");
	assert_int_equal(cw_time_parse_iso("2022-06-21T10:27:21+01:00", &t),
			 CW_OK);
	cw_time_iso(t, s);
	assert_string_equal(s, "2022-06-21T09:27:21Z");
	assert_int_equal(cw_time_parse_iso("2022-06-21T10:27:21.500Z", &t),
			 CW_OK);
	assert_int_equal(cw_time_parse_iso("2022-13-01", &t), CW_EINVAL);
	assert_int_equal(cw_time_parse_iso("yesterday", &t), CW_EINVAL);
}

/* timegm() moves a day past the month's end into the next month: the
 * parser refuses it instead (2025-02-30 was stored as 2025-03-02) */
static void test_util__time_parse_iso_refuses_impossible_days(void **state)
{
	time_t t;
	char s[CW_TIME_ISO];
	(void)state;
	assert_int_equal(cw_time_parse_iso("2025-02-30", &t), CW_EINVAL);
	assert_int_equal(cw_time_parse_iso("2025-02-29", &t), CW_EINVAL);
	assert_int_equal(cw_time_parse_iso("2025-04-31T10:00:00Z", &t),
			 CW_EINVAL);
	assert_int_equal(cw_time_parse_iso("1900-02-29", &t), CW_EINVAL);
	assert_int_equal(cw_time_parse_iso("2025-01-00", &t), CW_EINVAL);
	assert_int_equal(cw_time_parse_iso("2024-02-29", &t), CW_OK);
	cw_time_iso(t, s);
	assert_string_equal(s, "2024-02-29T00:00:00Z");
	assert_int_equal(cw_time_parse_iso("2000-02-29", &t), CW_OK);
	assert_int_equal(cw_time_parse_iso("2025-12-31T23:59:59Z", &t), CW_OK);
	assert_true(cw_time_valid_date(2024, 2, 29));
	assert_false(cw_time_valid_date(2025, 2, 29));
	assert_false(cw_time_valid_date(2025, 13, 1));
}

static void test_util__file_read_caps_size(void **state)
{
	struct cw_buf b = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	char path[] = "/tmp/cw-test-XXXXXX";
	int fd = mkstemp(path);
	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	assert_int_equal(cw_file_read(&b, path, 5, &err), CW_ETOOBIG);
	assert_non_null(strstr(err.msg, path));
	cw_buf_clear(&b);
	assert_int_equal(cw_file_read(&b, path, 100, &err), CW_OK);
	assert_int_equal(b.len, 10);
	cw_buf_release(&b);
	unlink(path);
	assert_int_equal(cw_file_read(&b, path, 100, &err), CW_ENOTFOUND);
}

static void test_util__fnv1a64_known_values(void **state)
{
	(void)state;
	/* the published FNV-1a 64 test vectors */
	assert_true(cw_fnv1a64("", 0) == 0xcbf29ce484222325ull);
	assert_true(cw_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cull);
	assert_true(cw_fnv1a64("foobar", 6) == 0x85944171f73967e8ull);
	/* pieces chain into the hash of the whole */
	assert_true(cw_fnv1a64_from(cw_fnv1a64("foo", 3), "bar", 3) ==
		    0x85944171f73967e8ull);
	/* folding touches ASCII letters only */
	assert_true(cw_fnv1a64_fold("FooBAR", 6) == 0x85944171f73967e8ull);
	assert_true(cw_fnv1a64_fold("\xc3\x89", 2) ==
		    cw_fnv1a64("\xc3\x89", 2));
	assert_true(cw_fnv1a64_fold("\xc3\x89", 2) !=
		    cw_fnv1a64("\xc3\xa9", 2));
}

static void test_util__splitmix64_known_values(void **state)
{
	uint64_t s = 0;

	(void)state;
	/* the first outputs of the reference splitmix64.c from seed 0 */
	assert_true(cw_splitmix64(&s) == 0xe220a8397b1dcdafull);
	assert_true(cw_splitmix64(&s) == 0x6e789e6aa1b965f4ull);
	assert_true(cw_splitmix64(&s) == 0x06c45d188009454full);
	assert_true(s == 3 * 0x9e3779b97f4a7c15ull);
	assert_true(cw_mix64(0x9e3779b97f4a7c15ull) == 0xe220a8397b1dcdafull);
	assert_true(cw_mix64(0) == 0);
}

static void test_util__hex_encode(void **state)
{
	const unsigned char d[] = { 0x00, 0x0f, 0xa5, 0xff };
	char out[2 * sizeof(d) + 1];

	(void)state;
	memset(out, 'x', sizeof(out));
	cw_hex_encode(out, d, sizeof(d));
	assert_string_equal(out, "000fa5ff");
	cw_hex_encode_upper(out, d, sizeof(d));
	assert_string_equal(out, "000FA5FF");
	cw_hex_encode(out, d, 0);
	assert_string_equal(out, "");
}

static void test_util__utf8_floor_multibyte(void **state)
{
	/* "aé€😀": a at 0, é at 1-2, € at 3-5, 😀 at 6-9 */
	const char *t = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";

	(void)state;
	assert_int_equal(cw_utf8_floor(t, 0, 0), 0);
	assert_int_equal(cw_utf8_floor(t, 0, 1), 1);
	assert_int_equal(cw_utf8_floor(t, 0, 2), 1);
	assert_int_equal(cw_utf8_floor(t, 0, 5), 3);
	assert_int_equal(cw_utf8_floor(t, 0, 9), 6);
	assert_int_equal(cw_utf8_floor(t, 0, 10), 10); /* the NUL */
	/* never below `from`, even inside a sequence */
	assert_int_equal(cw_utf8_floor(t, 8, 9), 8);
	/* stray continuation bytes at the start stop at `from` */
	assert_int_equal(cw_utf8_floor("\x80\x80", 0, 1), 0);
}

static void test_util__mono_clock(void **state)
{
	long ms = cw_time_mono_ms();
	double s = cw_time_mono_s();

	(void)state;
	assert_true(ms >= 0);
	assert_true(cw_time_mono_ms() >= ms);
	assert_true(cw_time_mono_s() >= s);
	/* the same clock in two units */
	assert_true(s * 1000 - (double)ms < 1000 && s * 1000 - (double)ms > -1);
}

static json_t *parse(const char *text)
{
	json_t *o = NULL;

	assert_int_equal(cw_json_parse(&o, text, strlen(text), "t.json", NULL),
			 CW_OK);
	return o;
}

static void test_util__json_readers(void **state)
{
	static const char *const keys[] = { "s", "n", "b", "a",
					    "d", "o", "r", NULL };
	json_t *o = parse("{\"s\": \"x\", \"n\": 3, \"b\": true, \"r\": 0.5,"
			  " \"a\": [\"p\", \"q\"], \"d\": \"2024-02-29\","
			  " \"o\": {}}");
	struct cw_json_where w = { "t.json", "" };
	struct cw_err err = CW_ERR_INIT;
	char *s = NULL, **v = NULL;
	size_t n = 0;
	long long i = 0;
	double r = 0;
	bool b = false;
	json_t *x = NULL;

	(void)state;
	assert_int_equal(cw_json_keys(o, keys, &w, &err), CW_OK);
	assert_int_equal(cw_json_str(&s, o, "s", true, &w, &err), CW_OK);
	assert_string_equal(s, "x");
	free(s);
	assert_int_equal(cw_json_str(&s, o, "none", false, &w, &err), CW_OK);
	assert_null(s);
	assert_int_equal(cw_json_int(&i, o, "n", true, 0, 10, &w, &err), CW_OK);
	assert_int_equal(i, 3);
	assert_int_equal(cw_json_num(&r, o, "r", true, 0, 1, &w, &err), CW_OK);
	assert_true(r == 0.5);
	assert_int_equal(cw_json_num(&r, o, "n", true, 0, 10, &w, &err), CW_OK);
	assert_true(r == 3);
	assert_int_equal(cw_json_bool(&b, o, "b", true, &w, &err), CW_OK);
	assert_true(b);
	b = false;
	assert_int_equal(cw_json_bool(&b, o, "none", false, &w, &err), CW_OK);
	assert_false(b); /* left as it was */
	assert_int_equal(cw_json_strs(&v, &n, o, "a", true, 8, &w, &err),
			 CW_OK);
	assert_int_equal(n, 2);
	assert_string_equal(v[1], "q");
	assert_null(v[2]);
	cw_json_free_strs(v, n);
	assert_int_equal(cw_json_date(&s, o, "d", &w, &err), CW_OK);
	assert_string_equal(s, "2024-02-29");
	free(s);
	assert_int_equal(cw_json_obj(&x, o, "o", true, &w, &err), CW_OK);
	assert_non_null(x);
	json_decref(o);
}

/* Each failure names the file, the path and the field. */
static void test_util__json_reader_errors(void **state)
{
	static const char *const keys[] = { "s", NULL };
	json_t *o = parse("{\"s\": \"\", \"n\": 30, \"b\": 1, \"e\": [],"
			  " \"a\": [\"p\", 2], \"d\": \"2023-02-30\"}");
	struct cw_json_where w = { "t.json", "items[2]" };
	struct cw_err err = CW_ERR_INIT;
	char *s = NULL, **v = NULL;
	size_t n = 9;
	long long i = 7;
	bool b = false;
	json_t *x = NULL;

	(void)state;
	assert_int_equal(cw_json_keys(o, keys, &w, &err), CW_EPARSE);
	assert_string_equal(err.msg, "'t.json': items[2].n: unknown field");
	assert_int_equal(cw_json_str(&s, o, "s", true, &w, &err), CW_EPARSE);
	assert_string_equal(err.msg, "'t.json': items[2].s: empty string");
	assert_int_equal(cw_json_str(&s, o, "n", true, &w, &err), CW_EPARSE);
	assert_string_equal(err.msg, "'t.json': items[2].n: expected a string, "
				     "got an integer");
	assert_null(s);
	assert_int_equal(cw_json_str(&s, o, "q", true, &w, &err), CW_EPARSE);
	assert_string_equal(err.msg, "'t.json': items[2].q: missing");
	assert_int_equal(cw_json_int(&i, o, "n", true, 0, 10, &w, &err),
			 CW_EPARSE);
	assert_string_equal(err.msg, "'t.json': items[2].n: 30 is outside "
				     "[0, 10]");
	assert_int_equal(i, 7);
	assert_int_equal(cw_json_bool(&b, o, "b", true, &w, &err), CW_EPARSE);
	assert_string_equal(err.msg, "'t.json': items[2].b: expected a "
				     "boolean, "
				     "got an integer");
	assert_int_equal(cw_json_strs(&v, &n, o, "a", true, 8, &w, &err),
			 CW_EPARSE);
	assert_string_equal(err.msg, "'t.json': items[2].a[1]: expected a "
				     "non-empty string");
	assert_null(v);
	assert_int_equal(n, 0);
	assert_int_equal(cw_json_strs(&v, &n, o, "e", true, 8, &w, &err),
			 CW_EPARSE);
	assert_string_equal(err.msg, "'t.json': items[2].e: empty list");
	assert_int_equal(cw_json_arr(&x, o, "a", true, 1, &w, &err),
			 CW_ETOOBIG);
	assert_string_equal(err.msg, "'t.json': items[2].a: more than 1 items");
	assert_null(x);
	assert_int_equal(cw_json_obj(&x, o, "a", true, &w, &err), CW_EPARSE);
	assert_string_equal(err.msg, "'t.json': items[2].a: expected an "
				     "object, "
				     "got an array");
	assert_int_equal(cw_json_date(&s, o, "d", &w, &err), CW_EPARSE);
	assert_string_equal(err.msg, "'t.json': items[2].d: expected a date "
				     "YYYY-MM-DD, got '2023-02-30'");
	assert_null(s);
	json_decref(o);
	/* at the top level the path is left out */
	w.path = "";
	o = parse("{}");
	assert_int_equal(cw_json_arr(&x, o, "rules", true, 4, &w, &err),
			 CW_EPARSE);
	assert_string_equal(err.msg, "'t.json': rules: missing");
	json_decref(o);
}

static void test_util__json_load_errors(void **state)
{
	char path[] = "/tmp/cw_json_XXXXXX";
	int fd = mkstemp(path);
	struct cw_err err = CW_ERR_INIT;
	json_t *o = NULL;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"a\": 1,\n \"a\": 2}", 18), 18);
	assert_int_equal(close(fd), 0);
	assert_int_equal(cw_json_load(&o, path, 1024, &err), CW_EPARSE);
	assert_null(o);
	/* names the file, the line and the column */
	assert_true(strncmp(err.msg, "'", 1) == 0);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "':2:"));
	assert_non_null(strstr(err.msg, "duplicate"));
	assert_int_equal(cw_json_load(&o, path, 10, &err), CW_ETOOBIG);
	assert_null(o);
	assert_int_equal(cw_json_parse(&o, "[1]", 3, "x.json", &err),
			 CW_EPARSE);
	assert_string_equal(err.msg, "'x.json': expected an object at the top");
	assert_null(o);
	unlink(path);
}

static void test_util__map_growth_and_order(void **state)
{
	struct cw_map m;
	char key[32];
	size_t idx;

	(void)state;
	cw_map_init(&m, 0, 0, 0);
	assert_false(cw_map_find(&m, "x", 1, &idx));
	/* many times the first index size: several doublings */
	for (size_t i = 0; i < 5000; i++) {
		int n = snprintf(key, sizeof(key), "key-%zu", i);

		assert_int_equal(cw_map_put(&m, key, (size_t)n, &idx), CW_OK);
		assert_int_equal(idx, i);
		m.items[idx].val = (int64_t)i * 3;
	}
	assert_int_equal(m.n, 5000);
	assert_true(m.nslots >= 2 * m.n);
	for (size_t i = 0; i < 5000; i++) {
		int n = snprintf(key, sizeof(key), "key-%zu", i);

		assert_true(cw_map_find(&m, key, (size_t)n, &idx));
		assert_int_equal(idx, i);
		assert_int_equal(m.items[idx].val, (int64_t)i * 3);
		/* an existing key is found, not added */
		assert_int_equal(cw_map_put(&m, key, (size_t)n, &idx),
				 CW_EEXISTS);
		assert_int_equal(idx, i);
	}
	/* iteration is insertion order, and the map owns NUL-ended copies */
	assert_string_equal(m.items[0].key, "key-0");
	assert_string_equal(m.items[4999].key, "key-4999");
	assert_false(cw_map_find(&m, "key-5000", 8, &idx));
	/* a prefix is another key */
	assert_false(cw_map_find(&m, "key-1", 4, &idx));
	cw_map_release(&m);
	assert_int_equal(m.n, 0);
	assert_false(cw_map_find(&m, "key-0", 5, &idx));
}

static void test_util__map_collisions(void **state)
{
	struct cw_map m;
	size_t idx;

	(void)state;
	/* 64-bit keys that agree in their low bits: every one lands in the
	 * same probe run unless the mix spreads them; both ways must work */
	cw_map_init(&m, CW_MAP_U64, 0, 4);
	for (uint64_t i = 0; i < 1000; i++)
		assert_int_equal(cw_map_put_u64(&m, i << 32, &idx), CW_OK);
	for (uint64_t i = 0; i < 1000; i++) {
		assert_true(cw_map_find_u64(&m, i << 32, &idx));
		assert_int_equal(idx, i);
	}
	assert_false(cw_map_find_u64(&m, 1, &idx));
	assert_int_equal(cw_map_put_u64(&m, 0, &idx), CW_EEXISTS);
	assert_int_equal(idx, 0);
	cw_map_release(&m);

	/* case folding: one key, several spellings; bytes past ASCII kept */
	cw_map_init(&m, CW_MAP_FOLD | CW_MAP_BORROW, 0, 0);
	assert_int_equal(cw_map_put(&m, "Terms", 5, &idx), CW_OK);
	assert_int_equal(cw_map_put(&m, "TERMS", 5, &idx), CW_EEXISTS);
	assert_true(cw_map_find(&m, "terms", 5, &idx));
	assert_int_equal(cw_map_put(&m, "\xc3\x89t\xc3\xa9", 5, &idx), CW_OK);
	assert_false(cw_map_find(&m, "\xc3\xa9t\xc3\xa9", 5, &idx));
	cw_map_release(&m);
}

static void test_util__map_cap(void **state)
{
	struct cw_map m;
	size_t idx = 99;

	(void)state;
	cw_map_init(&m, 0, 3, 0);
	assert_int_equal(cw_map_put(&m, "a", 1, &idx), CW_OK);
	assert_int_equal(cw_map_put(&m, "b", 1, &idx), CW_OK);
	assert_int_equal(cw_map_put(&m, "c", 1, &idx), CW_OK);
	idx = 99;
	assert_int_equal(cw_map_put(&m, "d", 1, &idx), CW_ETOOBIG);
	assert_int_equal(idx, 99);
	assert_int_equal(m.n, 3);
	assert_false(cw_map_find(&m, "d", 1, &idx));
	/* a key already there is still found when full */
	assert_int_equal(cw_map_put(&m, "b", 1, &idx), CW_EEXISTS);
	assert_int_equal(idx, 1);
	cw_map_release(&m);
}

static void test_util__buf_cap_errors(void **state)
{
	struct cw_buf b = CW_BUF_INIT_MAX(8);

	(void)state;
	assert_int_equal(cw_buf_adds(&b, "12345678"), CW_OK);
	assert_int_equal(cw_buf_addc(&b, '9'), CW_ETOOBIG);
	assert_int_equal(cw_buf_addf(&b, "%d", 1), CW_ETOOBIG);
	assert_string_equal(cw_buf_str(&b), "12345678");
	cw_buf_release(&b);
	assert_int_equal(b.max, 8); /* kept */
	assert_int_equal(cw_buf_grow(&b, SIZE_MAX), CW_ETOOBIG);
}

/* Sealed secrets open with their key only; passwords in URLs are hidden
 * in place, never making the text longer. */
static int u64_order(const void *x, const void *y)
{
	uint64_t p = *(const uint64_t *)x, q = *(const uint64_t *)y;

	return p < q ? -1 : p > q;
}

/* cw_sort_u64 against qsort: short arrays (insertion), middle ones
 * (quicksort), long ones (radix),
 * keys that share digits (the skipped passes), repeats for the unique
 * variant. */
static void test_util__sort_u64(void **state)
{
	static const size_t sizes[] = { 0,   1,	  2,	31,   32,   33,
					100, 500, 1000, 2047, 2048, 4099 };
	uint64_t seed = 0x9E3779B97F4A7C15ull;

	(void)state;
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		for (int kind = 0; kind < 3; kind++) {
			size_t n = sizes[si], u;
			uint64_t *a = cw_malloc((n + 1) * sizeof(*a));
			uint64_t *b = cw_malloc((n + 1) * sizeof(*b));

			for (size_t i = 0; i < n; i++) {
				seed = seed * 6364136223846793005ull +
				       1442695040888963407ull;
				/* 0: hashes; 1: small numbers (the high
				 * digits all zero); 2: few values */
				a[i] = kind == 0   ? seed
				       : kind == 1 ? seed >> 52
						   : (seed >> 60) << 40;
			}
			memcpy(b, a, n * sizeof(*a));
			cw_sort_u64(a, n);
			if (n)
				qsort(b, n, sizeof(*b), u64_order);
			if (n)
				assert_memory_equal(a, b, n * sizeof(*a));
			u = cw_sort_unique_u64(a, n);
			for (size_t i = 1; i < u; i++)
				assert_true(a[i - 1] < a[i]);
			if (kind == 2 && n > 100)
				assert_true(u <= 16);
			free(a);
			free(b);
		}
	}
}

static void test_util__seal_and_redact(void **state)
{
	unsigned char k1[CW_SEAL_KEY], k2[CW_SEAL_KEY];
	struct cw_buf b = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	char *plain = NULL;
	char s1[] = "'https://ops:hunter2@hooks.example/x': refused; "
		    "smtps://a:b@mail.example and ftp://x@y/ stay";
	(void)state;

	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	assert_int_equal(cw_seal(k1, "the secret", &b, &err), CW_OK);
	assert_true(cw_sealed(cw_buf_str(&b)));
	assert_null(strstr(cw_buf_str(&b), "secret"));
	assert_int_equal(cw_unseal(k1, cw_buf_str(&b), &plain, &err), CW_OK);
	assert_string_equal(plain, "the secret");
	free(plain);
	assert_int_equal(cw_unseal(k2, cw_buf_str(&b), &plain, &err),
			 CW_EINVAL);
	b.ptr[10] ^= 1; /* one character of the sealed text */
	assert_int_not_equal(cw_unseal(k1, cw_buf_str(&b), &plain, &err),
			     CW_OK);
	cw_buf_release(&b);
	cw_redact_credentials(s1);
	assert_string_equal(s1, "'https://ops:***@hooks.example/x': refused; "
				"smtps://a:*@mail.example and ftp://x@y/ "
				"stay");
}

/* A value sealed by another AES-256-GCM (Python's cryptography, over
 * OpenSSL) opens: key bytes 0..31, nonce bytes 100..111. */
static void test_util__unseal_pinned(void **state)
{
	unsigned char key[CW_SEAL_KEY];
	struct cw_err err = CW_ERR_INIT;
	char sealed[] = "cw1:ZGVmZ2hpamtsbW5vP3OtAxq2M+ZfDy+"
			"Ev0gZmCGwY36bM3izzBsZ"
			"W1D6csxu+Hla";
	char *plain = NULL;
	(void)state;

	for (int i = 0; i < CW_SEAL_KEY; i++)
		key[i] = (unsigned char)i;
	assert_int_equal(cw_unseal(key, sealed, &plain, &err), CW_OK);
	assert_string_equal(plain, "whsec_example-secret");
	free(plain);
	/* the last character is in the tag */
	sealed[strlen(sealed) - 1] = 'b';
	assert_int_equal(cw_unseal(key, sealed, &plain, &err), CW_EINVAL);
	assert_null(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_util__buf_caps_growth),
		cmocka_unit_test(test_util__str_distance),
		cmocka_unit_test(test_util__sha256_known_vector),
		cmocka_unit_test(test_util__hmac_known_vector),
		cmocka_unit_test(test_util__unseal_pinned),
		cmocka_unit_test(test_util__utf8_sanitize_replaces_invalid),
		cmocka_unit_test(test_util__utf8_sanitize_after_ascii_runs),
		cmocka_unit_test(test_util__charset_windows1252),
		cmocka_unit_test(test_util__time_parse_iso),
		cmocka_unit_test(
			test_util__time_parse_iso_refuses_impossible_days),
		cmocka_unit_test(test_util__file_read_caps_size),
		cmocka_unit_test(test_util__fnv1a64_known_values),
		cmocka_unit_test(test_util__splitmix64_known_values),
		cmocka_unit_test(test_util__hex_encode),
		cmocka_unit_test(test_util__utf8_floor_multibyte),
		cmocka_unit_test(test_util__mono_clock),
		cmocka_unit_test(test_util__json_readers),
		cmocka_unit_test(test_util__json_reader_errors),
		cmocka_unit_test(test_util__json_load_errors),
		cmocka_unit_test(test_util__map_growth_and_order),
		cmocka_unit_test(test_util__map_collisions),
		cmocka_unit_test(test_util__map_cap),
		cmocka_unit_test(test_util__buf_cap_errors),
		cmocka_unit_test(test_util__seal_and_redact),
		cmocka_unit_test(test_util__sort_u64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
