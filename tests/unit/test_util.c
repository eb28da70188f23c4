#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <unistd.h>

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

static void test_util__sha256_known_vector(void **state)
{
	char hex[CW_SHA256_HEX];
	(void)state;
	cw_sha256_hex("abc", 3, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_util__hmac_known_vector(void **state)
{
	char hex[CW_SHA256_HEX];
	(void)state;
	/* RFC 4231 test case 2 */
	cw_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_util__utf8_sanitize_replaces_invalid(void **state)
{
	struct cw_buf b = CW_BUF_INIT;
	(void)state;
	/* overlong slash, lone continuation, surrogate, truncated sequence */
	const char in[] = "a\xC0\xAF" "b\x80" "c\xED\xA0\x80" "d\xE2\x82";
	long bad = cw_utf8_sanitize(&b, in, sizeof(in) - 1);
	assert_true(bad > 0);
	assert_true(cw_utf8_valid(b.ptr, b.len));
	assert_non_null(strstr(b.ptr, "a"));
	assert_non_null(strstr(b.ptr, "d"));
	cw_buf_release(&b);
	assert_true(cw_utf8_valid("caf\xC3\xA9 \xE2\x80\x9Cq\xE2\x80\x9D", 13));
}

static void test_util__charset_windows1252(void **state)
{
	struct cw_buf b = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	(void)state;
	assert_int_equal(cw_utf8_from_charset(&b, "caf\xE9 \x93q\x94", 8,
					      "windows-1252", &err), CW_OK);
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
	assert_int_equal(cw_time_parse_iso("2022-06-21T10:27:21+01:00", &t), CW_OK);
	cw_time_iso(t, s);
	assert_string_equal(s, "2022-06-21T09:27:21Z");
	assert_int_equal(cw_time_parse_iso("2022-06-21T10:27:21.500Z", &t), CW_OK);
	assert_int_equal(cw_time_parse_iso("2022-13-01", &t), CW_EINVAL);
	assert_int_equal(cw_time_parse_iso("yesterday", &t), CW_EINVAL);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_util__buf_caps_growth),
		cmocka_unit_test(test_util__sha256_known_vector),
		cmocka_unit_test(test_util__hmac_known_vector),
		cmocka_unit_test(test_util__utf8_sanitize_replaces_invalid),
		cmocka_unit_test(test_util__charset_windows1252),
		cmocka_unit_test(test_util__time_parse_iso),
		cmocka_unit_test(test_util__file_read_caps_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
