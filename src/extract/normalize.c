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

/*
 * The text as whitespace-squeezed characters: no leading or trailing
 * whitespace, every inner run of it one ' '. How two copies of a block
 * that differ only in line breaks and spacing compare equal, without a
 * copy of the text.
 */
struct squeeze {
	const char *s;
	size_t n, i; /* s[i..n) is left */
	bool space;  /* a run of whitespace was skipped before s[i] */
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

static void squeeze_init(struct squeeze *q, const char *s, size_t n)
{
	q->s = s;
	q->n = n;
	q->i = 0;
	while (q->i < n && is_ws(s[q->i]))
		q->i++;
	q->space = false;
}

/* The next squeezed character, -1 at the end. */
static int squeeze_next(struct squeeze *q)
{
	if (q->space) {
		q->space = false;
		return ' ';
	}
	if (q->i >= q->n)
		return -1;
	int c = (unsigned char)q->s[q->i++];
	size_t j = q->i;
	while (j < q->n && is_ws(q->s[j]))
		j++;
	if (j > q->i && j < q->n)
		q->space = true; /* inner run: one space before s[j] */
	q->i = j;
	return c;
}

unsigned cw_extract_undouble(struct cw_buf *text, size_t start)
{
	const char *s = text->ptr ? text->ptr + start : "";
	size_t n = text->len - start, len = 0;
	struct squeeze q;

	squeeze_init(&q, s, n);
	while (squeeze_next(&q) >= 0)
		len++;
	for (unsigned k = 2; k <= CW_EXTRACT_UNDOUBLE_MAX; k++) {
		/* k copies of b characters, k - 1 spaces between them */
		struct squeeze c[CW_EXTRACT_UNDOUBLE_MAX];
		size_t b;
		bool same = true;

		if (len < k * CW_EXTRACT_UNDOUBLE_MIN + (k - 1) ||
		    (len - (k - 1)) % k)
			continue;
		b = (len - (k - 1)) / k;
		for (unsigned j = 0; j < k; j++) {
			squeeze_init(&c[j], s, n);
			for (size_t x = 0; x < j * (b + 1); x++)
				(void)squeeze_next(&c[j]);
		}
		for (size_t x = 0; x < b && same; x++) {
			int ch = squeeze_next(&c[0]);
			for (unsigned j = 1; j < k && same; j++)
				same = squeeze_next(&c[j]) == ch;
		}
		/* each copy ends where the next begins, at a space */
		if (!same || squeeze_next(&c[0]) != ' ')
			continue;
		/* c[0] stands after the first copy and its whitespace: cut
		 * at the copy's last character, end with one newline */
		size_t cut = c[0].i;
		while (cut > 0 && is_ws(s[cut - 1]))
			cut--;
		cw_buf_truncate(text, start + cut);
		(void)cw_buf_addc(text, '\n'); /* shorter than it was */
		return k;
	}
	return 1;
}

int cw_extract_check_bytes(const char *data, size_t len, const char *name,
			   bool utf8, struct cw_strv *warnings,
			   struct cw_err *err)
{
	size_t head = len < CW_EXTRACT_BINARY_PROBE ? len
						    : CW_EXTRACT_BINARY_PROBE;
	const char *nul;
	size_t bad, first;

	if (!name)
		name = "text";
	/* UTF-16 and UTF-32 text has NUL bytes: its BOM says so */
	bool wide = len >= 2 && (((unsigned char)data[0] == 0xff &&
				  (unsigned char)data[1] == 0xfe) ||
				 ((unsigned char)data[0] == 0xfe &&
				  (unsigned char)data[1] == 0xff));
	nul = wide || !len ? NULL : memchr(data, '\0', head);
	if (nul)
		return cw_err_set(err, CW_EUNSUPPORTED,
				  "'%s': binary data (a NUL byte at offset "
				  "%zu), not a text, Markdown, HTML or PDF "
				  "document",
				  name, (size_t)(nul - data));
	if (!utf8)
		return CW_OK; /* a page's charset is the HTML reader's */
	bad = cw_utf8_scan(data, len, &first);
	if (!bad)
		return CW_OK;
	/* text in another encoding has a few bytes that are not UTF-8 (an
	 * accented letter here and there); a file that is mostly not is not
	 * text at all */
	if (bad > len / 10)
		return cw_err_set(err, CW_EUNSUPPORTED,
				  "'%s': not UTF-8 text: %zu of its %zu bytes "
				  "are invalid UTF-8, the first at offset %zu",
				  name, bad, len, first);
	if (warnings)
		cw_strv_pushf(warnings,
			      "'%s': %zu invalid UTF-8 sequence%s replaced "
			      "with "
			      "U+FFFD, the first at byte offset %zu",
			      name, bad, bad == 1 ? "" : "s", first);
	return CW_OK;
}
