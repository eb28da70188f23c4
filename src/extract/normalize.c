/*
 * normalize: text that needs no parsing (Markdown, plain text).
 */
#include "extract_int.h"

int cw_extract_normalize(struct cw_buf *out, const char *text, size_t len,
			 struct cw_err *err)
{
	struct cw_buf clean = CW_BUF_INIT;
	int rc = CW_OK;
	size_t start = out->len;

	cw_buf_init(&clean, out->max);
	if (cw_utf8_sanitize(&clean, text, len) < 0) {
		rc = CW_ETOOBIG;
		goto done;
	}
	const char *s = cw_buf_str(&clean);
	size_t n = clean.len;
	size_t blank = 0; /* empty lines pending */
	bool any = false; /* a non-empty line was written */
	for (size_t i = 0; i <= n;) {
		/* one line: s[i..e), up to the first '\n' or '\r' */
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n;
		const char *cr = memchr(s + i, '\r', e - i);
		if (cr)
			e = (size_t)(cr - s);
		size_t le = e;
		while (le > i && (s[le - 1] == ' ' || s[le - 1] == '\t'))
			le--;
		if (le == i) {
			blank++;
		} else {
			if (any && cw_buf_add(out, "\n\n", blank ? 2 : 1)) {
				rc = CW_ETOOBIG;
				break;
			}
			if (cw_buf_add(out, s + i, le - i)) {
				rc = CW_ETOOBIG;
				break;
			}
			any = true;
			blank = 0;
		}
		if (e >= n)
			break;
		i = e +
		    ((s[e] == '\r' && e + 1 < n && s[e + 1] == '\n') ? 2 : 1);
	}
	if (!rc && any && cw_buf_addc(out, '\n'))
		rc = CW_ETOOBIG;
done:
	if (rc) {
		cw_buf_truncate(out, start);
		cw_err_set(err, CW_ETOOBIG, "text longer than %zu bytes",
			   out->max);
	}
	cw_buf_release(&clean);
	return rc;
}
