/*
 * html: the one HTML and XML escaper (util.h).
 */
#include "util.h"

void cw_html_escape(struct cw_buf *out, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t k;

		switch (c) {
		case '<':
			cw_buf_adds(out, "&lt;");
			i++;
			continue;
		case '>':
			cw_buf_adds(out, "&gt;");
			i++;
			continue;
		case '&':
			cw_buf_adds(out, "&amp;");
			i++;
			continue;
		case '"':
			cw_buf_adds(out, "&quot;");
			i++;
			continue;
		case '\'':
			cw_buf_adds(out, "&#39;");
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x80) {
			if (c >= 0x20 || c == '\n' || c == '\t')
				cw_buf_addc(out, (char)c);
			i++;
			continue;
		}
		k = cw_utf8_decode(s + i, n - i, &cp);
		if (k == 1) /* an invalid byte */
			cw_buf_adds(out, "\xef\xbf\xbd");
		else
			cw_buf_add(out, s + i, k);
		i += k;
	}
}
