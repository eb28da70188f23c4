/*
 * keys.c: titles, slugs and unique keys of provisions.
 */
#include "segment_int.h"
#include "../util/map.h"

#include <ctype.h>

#define TITLE_MAX 200  /* bytes of a cleaned title */
#define TITLE_SCAN 800 /* bytes of raw heading text looked at */
#define SLUG_MAX 64    /* bytes of a slug, hash tag included */

/* Length of the UTF-8 sequence starting with byte c (1 for invalid) */
static size_t u8len(unsigned char c)
{
	if (c >= 0xF0 && c < 0xF8)
		return 4;
	if (c >= 0xE0)
		return c < 0xF0 ? 3 : 1;
	if (c >= 0xC2)
		return 2;
	return 1;
}

/* Cut `s` (of n bytes) to at most `max` bytes on a UTF-8 boundary. */
static size_t u8cut(const char *s, size_t n, size_t max)
{
	size_t p = 0;

	while (p < n) {
		size_t k = u8len((unsigned char)s[p]);
		if (p + k > max || p + k > n)
			break;
		p += k;
	}
	return p;
}

static bool is_space_at(const char *t, size_t p, size_t b, size_t *k)
{
	if (t[p] == ' ' || t[p] == '\t' || t[p] == '\n' || t[p] == '\r') {
		*k = 1;
		return true;
	}
	if ((unsigned char)t[p] == 0xC2 && p + 1 < b &&
	    (unsigned char)t[p + 1] == 0xA0) {
		*k = 2;
		return true;
	}
	return false;
}

/* A dash or a full stop that may end a heading before its text */
static size_t trailing_punct(const char *s, size_t n)
{
	if (n && strchr(".:;,-", s[n - 1]))
		return 1;
	/* U+2013 EN DASH, U+2014 EM DASH */
	if (n >= 3 && (unsigned char)s[n - 3] == 0xE2 &&
	    (unsigned char)s[n - 2] == 0x80 &&
	    ((unsigned char)s[n - 1] == 0x93 ||
	     (unsigned char)s[n - 1] == 0x94))
		return 3;
	return 0;
}

char *cw_seg_title(const char *t, size_t a, size_t b)
{
	struct cw_buf out = CW_BUF_INIT;
	size_t p = a, k;
	bool space = false;

	if (b > a + TITLE_SCAN)
		b = a + TITLE_SCAN;
	cw_buf_grow(&out, b - a + 1);
	while (p < b) {
		char c = t[p];
		if (is_space_at(t, p, b, &k)) {
			space = out.len > 0;
			p += k;
			continue;
		}
		if (c == ']' && p + 1 < b && t[p + 1] == '(') {
			/* link target: skip "(...)" */
			const char *cp = memchr(t + p, ')', b - p);
			p = cp ? (size_t)(cp - t) + 1 : b;
			continue;
		}
		if (c == '\\' && p + 1 < b &&
		    ispunct((unsigned char)t[p + 1])) {
			p++;
			c = t[p];
		} else if (c == '*' || c == '`' || c == '[' || c == ']' ||
			   (c == '!' && p + 1 < b && t[p + 1] == '[')) {
			p++;
			continue;
		} else if (c == '_') {
			bool edge = p == a || p + 1 >= b || t[p - 1] == ' ' ||
				    t[p + 1] == ' ' || t[p - 1] == '_' ||
				    t[p + 1] == '_' || t[p - 1] == '*' ||
				    t[p + 1] == '*';
			if (edge) {
				p++;
				continue;
			}
		}
		if (space)
			cw_buf_addc(&out, ' ');
		space = false;
		cw_buf_addc(&out, c);
		p++;
	}
	/* drop trailing punctuation and blanks: "Opt Out." -> "Opt Out" */
	for (;;) {
		size_t n = out.len;
		while (n && out.ptr[n - 1] == ' ')
			n--;
		size_t tp = trailing_punct(out.ptr, n);
		n -= tp;
		cw_buf_truncate(&out, n);
		if (!tp)
			break;
	}
	/* leading punctuation left over from a label ("- Title") */
	size_t lead = 0;
	while (lead < out.len &&
	       (out.ptr[lead] == ' ' || out.ptr[lead] == '-' ||
		out.ptr[lead] == ':' || out.ptr[lead] == '.'))
		lead++;
	size_t n = u8cut(out.ptr + lead, out.len - lead, TITLE_MAX);
	char *res = cw_strndup(out.len ? out.ptr + lead : "", n);
	cw_buf_release(&out);
	return res;
}

static uint64_t fnv1a(const char *s);

char *cw_seg_slug(const char *title)
{
	char buf[SLUG_MAX * 2 + 8];
	size_t o = 0, p = 0, n = strlen(title);
	bool sep = false;

	while (p < n && o < SLUG_MAX + 8) {
		unsigned char c = (unsigned char)title[p];
		if (isalnum(c)) {
			if (sep && o)
				buf[o++] = '-';
			sep = false;
			buf[o++] = (char)tolower(c);
			p++;
			continue;
		}
		if (c == '\'') {
			p++;
			continue;
		}
		if (c < 0x80) {
			sep = true;
			p++;
			continue;
		}
		size_t k = u8len(c);
		if (p + k > n)
			k = n - p;
		if (k == 3 && c == 0xE2 &&
		    (unsigned char)title[p + 1] == 0x80) {
			/* general punctuation: quotes and dashes; an
			 * apostrophe (U+2019, U+2018) joins its word */
			unsigned char d = (unsigned char)title[p + 2];
			if (d != 0x99 && d != 0x98)
				sep = true;
			p += 3;
			continue;
		}
		if (k == 2 && c == 0xC2) {
			sep = true; /* NBSP, guillemets, section sign */
			p += 2;
			continue;
		}
		if (sep && o)
			buf[o++] = '-';
		sep = false;
		memcpy(buf + o, title + p, k);
		o += k;
		p += k;
	}
	while (o && buf[o - 1] == '-')
		o--;
	if (o > SLUG_MAX || p < n) {
		/* Long titles differ at the end as often as at the start
		 * ("Who can view ... in ChatGPT Business?" / "... for
		 * Teachers?"): keep the head, cut at a word boundary, and
		 * add a short hash of the whole title so that the key stays
		 * distinct and, for the same title, the same. */
		char tag[8];
		size_t cut = u8cut(buf, o, SLUG_MAX - 7);
		for (size_t q = cut; q > SLUG_MAX / 2; q--)
			if (buf[q] == '-') {
				cut = q;
				break;
			}
		snprintf(tag, sizeof(tag), "-%06x",
			 (unsigned)(fnv1a(title) & 0xFFFFFF));
		while (cut && buf[cut - 1] == '-')
			cut--;
		memcpy(buf + cut, tag, 7);
		o = cut + 7;
	}
	return cw_strndup(buf, o);
}

/* FNV-1a of a NUL-terminated key */
static uint64_t fnv1a(const char *s)
{
	return cw_fnv1a64(s, strlen(s));
}

/* Keys and bases are bounded by the segmentation's provision cap, far
 * below the maps' limit. */
void cw_seg_keyset_init(struct keyset *ks, size_t expect)
{
	cw_map_init(&ks->keys, CW_MAP_BORROW, CW_MAP_MAX_LIMIT, expect);
	cw_map_init(&ks->bases, 0, CW_MAP_MAX_LIMIT, 0);
}

void cw_seg_keyset_release(struct keyset *ks)
{
	cw_map_release(&ks->keys);
	cw_map_release(&ks->bases);
}

static bool keyset_has(const struct keyset *ks, const char *key)
{
	size_t at;

	return cw_map_find(&ks->keys, key, strlen(key), &at);
}

/* Next suffix to try for `base` (2 for a new base); valid until the next
 * base is added. */
static int64_t *suffix_slot(struct keyset *ks, const char *base)
{
	size_t at = 0;
	int rc = cw_map_put(&ks->bases, base, strlen(base), &at);

	CW_ASSERT(rc != CW_ETOOBIG);
	if (rc == CW_OK)
		ks->bases.items[at].val = 2;
	return &ks->bases.items[at].val;
}

char *cw_seg_keyset_claim(struct keyset *ks, char *key)
{
	size_t at = 0;
	int rc;

	if (keyset_has(ks, key)) {
		/* "x" taken: "x~2", "x~3", ...; the side table remembers the
		 * next number per base so that n repeats cost O(n), and a
		 * literal "x~2" in the text only moves us on */
		int64_t *next = suffix_slot(ks, key);
		for (;; (*next)++) {
			char *alt =
				cw_asprintf("%s~%lld", key, (long long)*next);
			if (!keyset_has(ks, alt)) {
				(*next)++;
				free(key);
				key = alt;
				break;
			}
			free(alt);
		}
	}
	/* borrowed: the caller's provision owns the key from here on */
	rc = cw_map_put(&ks->keys, key, strlen(key), &at);
	CW_ASSERT(rc == CW_OK);
	(void)rc;
	return key;
}
