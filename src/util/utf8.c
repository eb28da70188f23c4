#include <errno.h>
#include <iconv.h>

#include "util.h"

size_t cw_utf8_floor(const char *text, size_t from, size_t at)
{
	while (at > from && ((unsigned char)text[at] & 0xC0) == 0x80)
		at--;
	return at;
}

size_t cw_utf8_decode(const char *str, size_t len, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t c, min;
	size_t n;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		c &= 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		c &= 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		goto invalid;
	}
	if (len < n)
		goto invalid;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			goto invalid;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		goto invalid;
	*cp = c;
	return n;
invalid:
	*cp = 0xFFFD;
	return 1;
}

bool cw_utf8_valid(const char *s, size_t len)
{
	size_t i = 0;
	uint32_t cp;

	while (i < len) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		size_t n = cw_utf8_decode(s + i, len - i, &cp);
		if (cp == 0xFFFD && n == 1)
			return false;
		i += n;
	}
	return true;
}

int cw_utf8_encode(struct cw_buf *out, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return cw_buf_add(out, b, n);
}

/* Are the 8 bytes at s ASCII, none of them NUL? */
static bool ascii8(const char *s)
{
	const uint64_t high = 0x8080808080808080u, ones = 0x0101010101010101u;
	uint64_t w;

	memcpy(&w, s, 8);
	return !(w & high) && !((w - ones) & ~w & high);
}

long cw_utf8_sanitize(struct cw_buf *out, const char *s, size_t len)
{
	size_t i = 0, run = 0;
	long bad = 0;
	uint32_t cp;
	int rc;

	/* copy valid runs in one go; only invalid bytes are re-encoded */
	while (i < len) {
		unsigned char c;
		size_t n;

		/* most texts are mostly ASCII: skip it a word at a time */
		while (len - i >= 8 && ascii8(s + i))
			i += 8;
		if (i >= len)
			break;
		c = (unsigned char)s[i];
		if (c && c < 0x80) {
			i++;
			continue;
		}
		n = c ? cw_utf8_decode(s + i, len - i, &cp) : 1;
		if (c && !(cp == 0xFFFD && n == 1)) {
			i += n;
			continue;
		}
		rc = cw_buf_add(out, s + run, i - run);
		if (rc)
			return rc;
		if (c) {
			rc = cw_utf8_encode(out, 0xFFFD);
			if (rc)
				return rc;
			bad++;
		}
		i++;
		run = i;
	}
	rc = cw_buf_add(out, s + run, len - run);
	return rc ? rc : bad;
}

size_t cw_utf8_scan(const char *s, size_t len, size_t *first)
{
	size_t i = 0, bad = 0;
	uint32_t cp;

	if (first)
		*first = len;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n;

		if (c < 0x80) {
			i++;
			continue;
		}
		n = cw_utf8_decode(s + i, len - i, &cp);
		if (cp == 0xFFFD && n == 1) {
			if (!bad++ && first)
				*first = i;
		}
		i += n;
	}
	return bad;
}

static bool is_utf8_name(const char *cs)
{
	return !cs || !*cs || !cw_strncasecmp_ascii(cs, "utf-8", 6) ||
	       !cw_strncasecmp_ascii(cs, "utf8", 5) ||
	       !cw_strncasecmp_ascii(cs, "us-ascii", 9) ||
	       !cw_strncasecmp_ascii(cs, "ascii", 6);
}

int cw_utf8_from_charset(struct cw_buf *out, const char *s, size_t len,
			 const char *charset, struct cw_err *err)
{
	iconv_t cd;
	char obuf[16384];
	char *in = (char *)s;
	size_t inleft = len;
	const char *name = charset;
	long r;

	if (is_utf8_name(charset)) {
		r = cw_utf8_sanitize(out, s, len);
		return r < 0 ? cw_err_set(err, (int)r,
					  "text over the size limit")
			     : CW_OK;
	}
	/* WHATWG maps latin1 and ascii labels to windows-1252 */
	if (!cw_strncasecmp_ascii(charset, "iso-8859-1", 11) ||
	    !cw_strncasecmp_ascii(charset, "latin1", 7))
		name = "WINDOWS-1252";
	cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return cw_err_set(err, CW_EUNSUPPORTED, "unknown charset '%s'",
				  charset);
	while (inleft) {
		char *o = obuf;
		size_t oleft = sizeof(obuf);
		size_t rv = iconv(cd, &in, &inleft, &o, &oleft);
		int e = errno;

		if (cw_buf_add(out, obuf, sizeof(obuf) - oleft)) {
			iconv_close(cd);
			return cw_err_set(err, CW_ETOOBIG,
					  "text over the size limit");
		}
		if (rv == (size_t)-1 && e != E2BIG) {
			/* invalid or truncated byte: replace and go on */
			if (cw_utf8_encode(out, 0xFFFD)) {
				iconv_close(cd);
				return cw_err_set(err, CW_ETOOBIG,
						  "text over the size limit");
			}
			in++;
			inleft--;
		}
	}
	iconv_close(cd);
	return CW_OK;
}
