/*
 * charset: which encoding an HTML page is in, and its conversion to UTF-8.
 *
 * Order (a simplification of the HTML Standard's "determining the
 * character encoding", section 13.2.3.2): the charset of the HTTP
 * Content-Type, a byte order mark, a <meta charset> or <meta http-equiv>
 * in the first 1024 bytes, else UTF-8. As in browsers, the labels
 * "iso-8859-1", "latin1" and "us-ascii" mean windows-1252.
 */
#include "extract_int.h"

#include <ctype.h>
#include <strings.h>

/* How far the <meta> prescan looks (HTML Standard: 1024 bytes). */
#define PRESCAN 1024

static bool label_is(const char *label, const char *const *names)
{
	for (; *names; names++)
		if (!strcasecmp(label, *names))
			return true;
	return false;
}

/* Copy the charset token that starts at s (after "charset="). */
static void take_token(char *out, size_t cap, const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '=' || *s == '"' || *s == '\''))
		s++;
	size_t n = 0;
	while (s < end && n + 1 < cap &&
	       (isalnum((unsigned char)*s) || *s == '-' || *s == '_' ||
		*s == ':' || *s == '.'))
		out[n++] = *s++;
	out[n] = '\0';
}

/* Find a charset in <meta> tags among the first PRESCAN bytes. */
static void prescan(char *out, size_t cap, const char *data, size_t len)
{
	size_t n = len < PRESCAN ? len : PRESCAN;
	out[0] = '\0';
	for (size_t i = 0; i + 5 < n; i++) {
		if (data[i] != '<' ||
		    cw_strncasecmp_ascii(data + i + 1, "meta", 4))
			continue;
		const char *end = memchr(data + i, '>', len - i);
		if (!end)
			return;
		for (const char *p = data + i + 5; p + 7 < end; p++) {
			if (!cw_strncasecmp_ascii(p, "charset", 7)) {
				const char *v = p + 7;
				while (v < end && *v == ' ')
					v++;
				if (v < end && *v == '=') {
					take_token(out, cap, v, end);
					if (out[0])
						return;
				}
			}
		}
	}
}

int cw_extract_decode_html(struct cw_buf *out, const char *data, size_t len,
			   const char *charset, const char *name,
			   struct cw_strv *warnings, struct cw_err *err)
{
	static const char *const utf8[] = { "utf-8", "utf8",
					    "unicode-1-1-utf-8", NULL };
	static const char *const latin[] = { "iso-8859-1", "latin1",
					     "us-ascii",   "ascii",
					     "iso8859-1",  "l1",
					     "cp1252",	   NULL };
	char found[64];
	const char *cs = charset && *charset ? charset : NULL;

	if (!cs && len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
		data += 3;
		len -= 3;
		cs = "UTF-8";
	} else if (!cs && len >= 2 && !memcmp(data, "\xFE\xFF", 2)) {
		cs = "UTF-16BE";
		data += 2;
		len -= 2;
	} else if (!cs && len >= 2 && !memcmp(data, "\xFF\xFE", 2)) {
		cs = "UTF-16LE";
		data += 2;
		len -= 2;
	}
	if (!cs) {
		prescan(found, sizeof(found), data, len);
		/* a page that is decoded at all is ASCII-compatible here, so a
		 * <meta> claiming UTF-16 means UTF-8 (HTML Standard 13.2.3.2) */
		if (found[0] && cw_strncasecmp_ascii(found, "utf-16", 6))
			cs = found;
	}
	if (!cs || label_is(cs, utf8)) {
		long r = cw_utf8_sanitize(out, data, len);
		if (r < 0)
			return cw_err_set(err, CW_ETOOBIG,
					  "'%s': page too large",
					  name ? name : "page");
		return CW_OK;
	}
	if (label_is(cs, latin))
		cs = "WINDOWS-1252";
	struct cw_err e2 = CW_ERR_INIT;
	int rc = cw_utf8_from_charset(out, data, len, cs, &e2);
	if (rc == CW_EUNSUPPORTED) {
		if (warnings)
			cw_strv_pushf(warnings,
				      "'%s': unknown charset '%s', read as "
				      "UTF-8",
				      name ? name : "page", cs);
		cw_buf_clear(out);
		if (cw_utf8_sanitize(out, data, len) < 0)
			return cw_err_set(err, CW_ETOOBIG,
					  "'%s': page too large",
					  name ? name : "page");
		return CW_OK;
	}
	if (rc) {
		if (err)
			*err = e2;
		return rc;
	}
	return CW_OK;
}
