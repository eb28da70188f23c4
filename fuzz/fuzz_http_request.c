/*
 * Fuzz what the web server parses of a request by itself: a path split
 * into percent-decoded segments, a query value or form field decoded,
 * and the escaper every page prints through. Checks what the pages rely
 * on: a decoded value is valid UTF-8 without NUL, encoding it again and
 * decoding gives it back, a path has at most HTTP_MAX_SEGMENTS segments,
 * and escaped text holds no markup character.
 */
#include "../src/http/http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_markup(const struct cw_buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (strchr("<>\"'", b->ptr[i]) && b->ptr[i])
			__builtin_trap();
	if (!cw_utf8_valid(b->ptr ? b->ptr : "", b->len))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char *z = cw_strndup(s, size);
	struct cw_buf d = CW_BUF_INIT, e = CW_BUF_INIT, back = CW_BUF_INIT;
	struct http_req r;

	for (int plus = 0; plus < 2; plus++) {
		cw_buf_clear(&d);
		if (url_decode(&d, s, size, plus)) {
			if (memchr(d.ptr ? d.ptr : "", '\0', d.len) ||
			    !cw_utf8_valid(d.ptr ? d.ptr : "", d.len))
				__builtin_trap();
			cw_buf_clear(&e);
			cw_buf_clear(&back);
			url_seg(&e, cw_buf_str(&d));
			if (!url_decode(&back, e.ptr ? e.ptr : "", e.len,
					false) ||
			    back.len != d.len ||
			    (d.len && memcmp(back.ptr, d.ptr, d.len)))
				__builtin_trap();
		}
	}
	cw_buf_clear(&e);
	html_escn(&e, s, size);
	no_markup(&e);

	memset(&r, 0, sizeof(r));
	r.path = z;
	if (http_split_path(&r)) {
		if (r.nseg > HTTP_MAX_SEGMENTS)
			__builtin_trap();
		for (size_t i = 0; i < r.nseg; i++)
			if (!cw_utf8_valid(r.seg[i], strlen(r.seg[i])))
				__builtin_trap();
	}
	r.body = z;
	r.body_len = strlen(z);
	for (const char *n = "q\0token\0channel\0"; *n; n += strlen(n) + 1) {
		const char *v = http_form(&r, n);
		if (v && !cw_utf8_valid(v, strlen(v)))
			__builtin_trap();
	}
	cw_strv_release(&r.owned);
	cw_buf_release(&d);
	cw_buf_release(&e);
	cw_buf_release(&back);
	free(z);
	return 0;
}
