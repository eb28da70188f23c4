/*
 * charset: which encoding an HTML page is in, and its conversion to UTF-8.
 *
 * Order (a simplification of the HTML Standard's "determining the
 * character encoding", section 13.2.3.2): a byte order mark, the charset
 * of the HTTP Content-Type, a <meta charset> or <meta http-equiv> in the
 * first 1024 bytes, else UTF-8. A label counts only if the WHATWG
 * Encoding Standard lists it (its table of labels, below): any other
 * label (UTF-32, IBM037, a typo) is ignored, as browsers ignore it, and
 * the next step decides. So "iso-8859-1", "latin1" and "us-ascii" mean
 * windows-1252, and a page never becomes a version of U+FFFD because a
 * server names a charset no browser would use.
 */
#include "extract_int.h"

#include <ctype.h>
#include <strings.h>

/*
 * The WHATWG Encoding Standard's encodings, each with its labels (case
 * is ignored), and the iconv name that decodes it here: "" for UTF-8 (our
 * own sanitizer), NULL for the two that iconv does not have by that
 * name and that we decode ourselves or refuse (x-user-defined,
 * replacement).
 */
struct encoding {
	const char *iconv;
	const char *labels; /* space-separated */
};
static const struct encoding encodings[] = {
	{ "", "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 "
	      "x-unicode20utf8" },
	{ "IBM866", "866 cp866 csibm866 ibm866" },
	{ "ISO-8859-2", "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 "
			"iso_8859-2 iso_8859-2:1987 l2 latin2" },
	{ "ISO-8859-3", "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 "
			"iso_8859-3 iso_8859-3:1988 l3 latin3" },
	{ "ISO-8859-4", "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 "
			"iso_8859-4 iso_8859-4:1988 l4 latin4" },
	{ "ISO-8859-5", "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 "
			"iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988" },
	{ "ISO-8859-6", "arabic asmo-708 csiso88596e csiso88596i "
			"csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e "
			"iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 "
			"iso_8859-6:1987" },
	{ "ISO-8859-7", "csisolatingreek ecma-118 elot_928 greek greek8 "
			"iso-8859-7 iso-ir-126 iso8859-7 iso88597 iso_8859-7 "
			"iso_8859-7:1987 sun_eu_greek" },
	{ "ISO-8859-8", "csiso88598e csisolatinhebrew hebrew iso-8859-8 "
			"iso-8859-8-e iso-ir-138 iso8859-8 iso88598 iso_8859-8 "
			"iso_8859-8:1988 visual" },
	{ "ISO-8859-8", "csiso88598i iso-8859-8-i logical" },
	{ "ISO-8859-10", "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 "
			 "iso885910 l6 latin6" },
	{ "ISO-8859-13", "iso-8859-13 iso8859-13 iso885913" },
	{ "ISO-8859-14", "iso-8859-14 iso8859-14 iso885914" },
	{ "ISO-8859-15", "csisolatin9 iso-8859-15 iso8859-15 iso885915 "
			 "iso_8859-15 l9" },
	{ "ISO-8859-16", "iso-8859-16" },
	{ "KOI8-R", "cskoi8r koi koi8 koi8-r koi8_r" },
	{ "KOI8-U", "koi8-ru koi8-u" },
	{ "MACINTOSH", "csmacintosh mac macintosh x-mac-roman" },
	{ "WINDOWS-874", "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 "
			 "windows-874" },
	{ "WINDOWS-1250", "cp1250 windows-1250 x-cp1250" },
	{ "WINDOWS-1251", "cp1251 windows-1251 x-cp1251" },
	{ "WINDOWS-1252", "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 "
			  "ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 "
			  "iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii "
			  "windows-1252 x-cp1252" },
	{ "WINDOWS-1253", "cp1253 windows-1253 x-cp1253" },
	{ "WINDOWS-1254", "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 "
			  "iso88599 iso_8859-9 iso_8859-9:1989 l5 latin5 "
			  "windows-1254 x-cp1254" },
	{ "WINDOWS-1255", "cp1255 windows-1255 x-cp1255" },
	{ "WINDOWS-1256", "cp1256 windows-1256 x-cp1256" },
	{ "WINDOWS-1257", "cp1257 windows-1257 x-cp1257" },
	{ "WINDOWS-1258", "cp1258 windows-1258 x-cp1258" },
	{ "MAC-CYRILLIC", "x-mac-cyrillic x-mac-ukrainian" },
	{ "GBK", "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 "
		 "gbk iso-ir-58 x-gbk" },
	{ "GB18030", "gb18030" },
	{ "BIG5-HKSCS", "big5 big5-hkscs cn-big5 csbig5 x-x-big5" },
	{ "EUC-JP", "cseucpkdfmtjapanese euc-jp x-euc-jp" },
	{ "ISO-2022-JP", "csiso2022jp iso-2022-jp" },
	{ "WINDOWS-31J", "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis "
			 "windows-31j x-sjis" },
	{ "CP949", "cseuckr csksc56011987 euc-kr iso-ir-149 korean "
		   "ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 "
		   "windows-949" },
	{ NULL, "csiso2022kr hz-gb-2312 iso-2022-cn iso-2022-cn-ext "
		"iso-2022-kr replacement" },
	{ "UTF-16BE", "unicodefffe utf-16be" },
	{ "UTF-16LE", "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff "
		      "utf-16 utf-16le" },
	{ NULL, "x-user-defined" },
};

/* The encoding a label names (surrounding white space ignored), or NULL
 * when the Encoding Standard does not list it. */
static const struct encoding *encoding_of(const char *label)
{
	size_t n;

	while (*label == ' ' || *label == '\t')
		label++;
	n = strlen(label);
	while (n && (label[n - 1] == ' ' || label[n - 1] == '\t'))
		n--;
	if (n == 0)
		return NULL;
	for (size_t i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++)
		for (const char *p = encodings[i].labels; *p;) {
			size_t k = strcspn(p, " ");
			if (k == n && !strncasecmp(p, label, n))
				return &encodings[i];
			p += k;
			p += *p == ' ';
		}
	return NULL;
}

/* How far the <meta> prescan looks (HTML Standard: 1024 bytes). */
#define PRESCAN 1024

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
	const struct encoding *enc = NULL;
	const char *what = name ? name : "page";
	char found[64];
	struct cw_err e2 = CW_ERR_INIT;
	int rc;

	/* 1. a byte order mark wins over every label */
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
		data += 3;
		len -= 3;
		enc = &encodings[0];
	} else if (len >= 2 && (!memcmp(data, "\xFE\xFF", 2) ||
				!memcmp(data, "\xFF\xFE", 2))) {
		enc = encoding_of(data[0] == '\xFE' ? "utf-16be" : "utf-16le");
		data += 2;
		len -= 2;
	}
	/* 2. the transport's label, if the Encoding Standard knows it */
	if (!enc && charset && *charset) {
		enc = encoding_of(charset);
		if (!enc && warnings)
			cw_strv_pushf(warnings,
				      "'%s': charset '%s' is not an encoding "
				      "label browsers know: ignored",
				      what, charset);
	}
	/* 3. a <meta> among the first bytes; a page decoded at all is
	 * ASCII-compatible here, so one claiming UTF-16 means UTF-8, and
	 * x-user-defined means windows-1252 (HTML Standard 13.2.3.2) */
	if (!enc) {
		prescan(found, sizeof(found), data, len);
		if (found[0])
			enc = encoding_of(found);
		if (enc &&
		    (!strncmp(enc->iconv ? enc->iconv : "x", "UTF-16", 6)))
			enc = &encodings[0];
		else if (enc && !enc->iconv &&
			 !strcmp(enc->labels, "x-user-defined"))
			enc = encoding_of("windows-1252");
	}
	/* 4. else UTF-8 */
	if (!enc || !enc->iconv || !enc->iconv[0]) {
		if (enc && !enc->iconv && strcmp(enc->labels, "x-user-defined"))
			return cw_err_set(err, CW_EUNSUPPORTED,
					  "'%s': charset '%s' is the "
					  "replacement encoding: the page "
					  "cannot be read",
					  what, charset ? charset : found);
		if (enc && !enc->iconv) {
			/* x-user-defined: 0x80..0xFF are U+F780..U+F7FF */
			for (size_t i = 0; i < len; i++) {
				unsigned char c = (unsigned char)data[i];
				rc = c < 0x80
					     ? cw_buf_addc(out, (char)c)
					     : cw_utf8_encode(out, 0xF700u + c);
				if (rc)
					return cw_err_set(err, CW_ETOOBIG,
							  "'%s': page too "
							  "large",
							  what);
			}
			return CW_OK;
		}
		if (cw_utf8_sanitize(out, data, len) < 0)
			return cw_err_set(err, CW_ETOOBIG,
					  "'%s': page too large", what);
		return CW_OK;
	}
	rc = cw_utf8_from_charset(out, data, len, enc->iconv, &e2);
	if (rc == CW_EUNSUPPORTED) {
		/* an encoding this system's iconv lacks */
		if (warnings)
			cw_strv_pushf(warnings,
				      "'%s': no decoder for '%s' here, read "
				      "as UTF-8",
				      what, enc->iconv);
		cw_buf_clear(out);
		if (cw_utf8_sanitize(out, data, len) < 0)
			return cw_err_set(err, CW_ETOOBIG,
					  "'%s': page too large", what);
		return CW_OK;
	}
	if (rc && err)
		*err = e2;
	return rc;
}
