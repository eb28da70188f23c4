/*
 * meaning: what a provision diff means (meaning.h).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <pthread.h>

#include "meaning.h"
#include "params.h"
#include "taxonomy.h"

/* Points kept per change, and named in its own summary. */
#define MAX_POINTS 12
#define POINTS_SAID 3
/* Longest quote of a duty, bytes. */
#define QUOTE_MAX 170
/* Quotes cut to these when whole ones leave a change out of the
 * document summary */
#define QUOTE_SHORT 120
#define QUOTE_SHORTER 80
/* Document summary sentences. */
#define MAX_SENTENCES 3

/* Ranks (higher first). A category's rank rises with its exposure. */
enum {
	RANK_RENAME = 8,
	RANK_DATE = 10,
	RANK_COSMETIC = 5,
	RANK_EDITORIAL = 15,
	RANK_WORDING = 20,  /* modal verbs only */
	RANK_NEGATION = 28, /* a negation moved, nothing else */
	RANK_SUBSTANTIVE = 30,
	RANK_QUOTE = 30,       /* + the salience of the words quoted */
	RANK_VALUE_ALONE = 40, /* a figure that appeared or went */
	RANK_ENTITY = 50,
	RANK_DUTY_REMOVED = 52,
	RANK_DUTY_ADDED = 56,
	RANK_CATEGORY = 60, /* + 12 per exposure level */
	RANK_PARAM_ALONE = 66,
	RANK_VALUE_CHANGED = 70,
	RANK_PARAM_CHANGED = 80,
};

/* ---- dates ---- */

static pthread_once_t rx_once = PTHREAD_ONCE_INIT;
static pcre2_code *rx_date, *rx_address;

#define MONTH                                                            \
	"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|" \
	"july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|"            \
	"nov(?:ember)?|dec(?:ember)?)\\.?"

static void rx_init(void)
{
	static const char pat[] = "\\b(?:" MONTH "\\s+\\d{1,2}(?:st|nd|rd|th)?,"
				  "?\\s+\\d{4}"
				  "|\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)"
				  "?" MONTH ",?\\s+\\d{4}"
				  "|" MONTH ",?\\s+\\d{4}"
				  "|" MONTH "\\s+\\d{1,2}(?:st|nd|rd|th)?"
				  "|\\d{4}-\\d{1,2}-\\d{1,2}"
				  "|\\d{1,2}[/.]\\d{1,2}[/.]\\d{2,4})\\b";
	int ec;
	PCRE2_SIZE off;

	/* what only a postal address holds: a number and a street, a street
	 * and a number, a post box, a post code */
	static const char addr[] =
		"\\b\\d{1,5}[A-Za-z]?,?\\s+(?:[A-Z][\\w'\xe2\x80\x99.-]*\\s+){"
		"0,4}"
		"(?:Street|St\\.?|Road|Rd\\.?|Avenue|Ave\\.?|Square|Lane|"
		"Boulevard|Blvd\\.?|Drive|Way|Place|Plaza|Parkway|Embankment|"
		"Court|Terrace|Quay)\\b"
		"|\\b(?:[A-Z][a-z]+\\s+){1,3}(?:Street|Road|Square|Avenue|Lane|"
		"Embankment|Quay)\\b"
		"|\\b\\w*(?:stra\xc3\x9f"
		"e|strasse|gracht|weg|laan|plein|gasse)"
		"\\s+\\d{1,4}\\b"
		"|\\bP\\.?\\s?O\\.?\\s+Box\\s+\\d+"
		"|\\b[A-Z]{2}\\s+\\d{5}(?:-\\d{4})?\\b"
		"|\\b[A-Z]{1,2}\\d[A-Z\\d]?\\s+\\d[A-Z]{2}\\b"
		"|\\b[A-Z]\\d{2}\\s+[A-Z0-9]{4}\\b"
		"|\\b\\d{4}\\s+[A-Z]{2}\\b(?=\\s+[A-Z])"
		"|\\b(?:Floor|Suite|Unit)\\s+\\w+";

	rx_date = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
				PCRE2_CASELESS, &ec, &off, NULL);
	rx_address = pcre2_compile((PCRE2_SPTR)addr, PCRE2_ZERO_TERMINATED, 0,
				   &ec, &off, NULL);
}

/* Whether s[a..b) holds a part of a postal address */
static bool address_part(const char *s, size_t a, size_t b)
{
	pcre2_match_data *md;
	bool ok;

	pthread_once(&rx_once, rx_init);
	if (!rx_address || b <= a)
		return false;
	md = pcre2_match_data_create_from_pattern(rx_address, NULL);
	ok = pcre2_match(rx_address, (PCRE2_SPTR)(s + a), b - a, 0, 0, md,
			 NULL) >= 0;
	pcre2_match_data_free(md);
	return ok;
}

/* The first date match in s[from, len): true with its span. */
static bool date_at(const char *s, size_t len, size_t from, size_t *ms,
		    size_t *me)
{
	pcre2_match_data *md;
	bool ok = false;

	pthread_once(&rx_once, rx_init);
	if (!rx_date)
		return false;
	md = pcre2_match_data_create_from_pattern(rx_date, NULL);
	if (pcre2_match(rx_date, (PCRE2_SPTR)s, len, from, 0, md, NULL) >= 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		*ms = ov[0];
		*me = ov[1];
		ok = true;
	}
	pcre2_match_data_free(md);
	return ok;
}

static bool trim_char(unsigned char c)
{
	return isspace(c) || c == ',' || c == '.' || c == ':' || c == ';' ||
	       c == '(' || c == ')' || c == '*' || c == '_';
}

/* The one date in s[0..n), with the same words around it on both
 * sides to be a date changed ("UpdatedNovember 6, 2023"): its span */
static bool date_in(const char *t, size_t n, size_t *a, size_t *b)
{
	size_t x, y, from = 0;

	if (!date_at(t, n, 0, a, b)) {
		/* a scrape that glued a word to it: "UpdatedNovember 6" */
		for (from = 1; from < n; from++)
			if (islower((unsigned char)t[from - 1]) &&
			    isupper((unsigned char)t[from]) &&
			    date_at(t + from, n - from, 0, a, b) && *a == 0)
				break;
		if (from >= n)
			return false;
		*a += from;
		*b += from;
	}
	/* no second date */
	return !date_at(t, n, *b, &x, &y);
}

bool cw_meaning_is_date(const char *s, size_t len)
{
	size_t b = 0, e = len, ms, me;

	while (b < e && trim_char((unsigned char)s[b]))
		b++;
	while (e > b && trim_char((unsigned char)s[e - 1]))
		e--;
	return e > b && date_at(s + b, e - b, 0, &ms, &me) && ms == 0 &&
	       me == e - b;
}

/*
 * Whether the edit [s, e) of `text` (own text [lo, hi)) lies inside a
 * date; the date's span in *ds, *de.
 */
static bool edit_in_date(const char *text, size_t lo, size_t hi, size_t s,
			 size_t e, size_t *ds, size_t *de)
{
	size_t from = s > lo + 40 ? s - 40 : lo, to = e + 40 < hi ? e + 40 : hi;
	size_t ms, me;

	while (s < e && trim_char((unsigned char)text[s]))
		s++;
	while (e > s && trim_char((unsigned char)text[e - 1]))
		e--;
	*ds = *de = 0;
	if (s == e)
		return true; /* punctuation or space only: no date of its own */
	while (from < to && date_at(text, to, from, &ms, &me)) {
		if (ms <= s && e <= me) {
			*ds = ms;
			*de = me;
			return true;
		}
		from = me;
	}
	return false;
}

/*
 * A line of a date of the document's: t[0..n) is a date, with before it
 * at most a word such as "Effective" or "Last updated" and marks.
 * Returns 'e' (takes effect), 'u' (updated), 'd' (a bare date) or 0;
 * the date's span in *ds, *de.
 */
static int date_line_kind(const char *t, size_t n, size_t *ds, size_t *de)
{
	static const char *const lead[] = {
		"effective", "updated", "last",	 "revised", "modified",
		"as",	     "of",	"from",	 "date",    "on",
		"dated",     "in",	"force", "since",
	};
	bool effective = false, updated = false;
	size_t i = 0;

	if (!date_at(t, n, 0, ds, de))
		return 0;
	/* after the date: marks only */
	for (size_t k = *de; k < n; k++)
		if (isalnum((unsigned char)t[k]))
			return 0;
	while (i < *ds) {
		size_t j;
		bool known = false;
		while (i < *ds && !isalpha((unsigned char)t[i])) {
			if (isdigit((unsigned char)t[i]))
				return 0;
			i++;
		}
		j = i;
		while (j < *ds && isalpha((unsigned char)t[j]))
			j++;
		if (j == i)
			break;
		for (size_t w = 0; w < sizeof(lead) / sizeof(*lead); w++)
			if (j - i == strlen(lead[w]) &&
			    cw_strncasecmp_ascii(t + i, lead[w], j - i) == 0)
				known = true;
		if (!known)
			return 0;
		effective = effective ||
			    cw_strncasecmp_ascii(t + i, "effective", j - i) ==
				    0;
		/* "Last updated", "Last modified on", "Revised" */
		updated = updated ||
			  (j - i == 7 &&
			   (cw_strncasecmp_ascii(t + i, "updated", 7) == 0 ||
			    cw_strncasecmp_ascii(t + i, "revised", 7) == 0)) ||
			  (j - i == 8 &&
			   cw_strncasecmp_ascii(t + i, "modified", 8) == 0);
		i = j;
	}
	return effective ? 'e' : updated ? 'u' : 'd';
}

/* A change whose every edit is inside a date: true with the first old
 * and new dates. */
static bool date_only(const struct cw_diff *d, const struct cw_diff_change *ch,
		      char **old_date, char **new_date)
{
	size_t os = 0, oe = 0, ns = 0, ne = 0, ds, de;

	if (ch->n_spans == 0 || ch->n_old != 1 || ch->n_new != 1)
		return false;
	for (size_t i = 0; i < ch->n_spans; i++) {
		const struct cw_diff_span *sp = &ch->spans[i];
		bool del = sp->op == CW_DIFF_OP_DEL;
		size_t *fs = del ? &os : &ns, *fe = del ? &oe : &ne;
		if (!edit_in_date(del ? d->old_text : d->new_text,
				  del ? ch->old_start : ch->new_start,
				  del ? ch->old_end : ch->new_end,
				  del ? sp->old_start : sp->new_start,
				  del ? sp->old_end : sp->new_end, &ds, &de))
			return false;
		/* the first date of each side */
		if (*fe == 0 && de > ds) {
			*fs = ds;
			*fe = de;
		}
	}
	if (oe == 0 || ne == 0)
		return false;
	*old_date = cw_strndup(d->old_text + os, oe - os);
	*new_date = cw_strndup(d->new_text + ns, ne - ns);
	return true;
}

/* ---- renames ---- */

/* Longest word pair read as a rename, bytes a side. */
#define RENAME_MAX 40

/* The run of non-space bytes around [s, e) of text. */
static void word_around(const char *text, size_t lo, size_t hi, size_t *s,
			size_t *e)
{
	while (*s > lo && !isspace((unsigned char)text[*s - 1]))
		(*s)--;
	while (*e < hi && !isspace((unsigned char)text[*e]))
		(*e)++;
}

static bool has_alnum(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isalnum((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

static bool has_alpha(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isalpha((unsigned char)s[i]) || (unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

static bool same_value(const char *a, const char *b);

/* Whether a and b differ only by quote marks and brackets. */
static bool same_but_quotes(const char *a, const char *b)
{
	static const char *const q[] = {
		"\"",
		"'",
		"(",
		")",
		"[",
		"]",
		"\xe2\x80\x9c",
		"\xe2\x80\x9d",
		"\xe2\x80\x98",
		"\xe2\x80\x99",
	};
	for (;;) {
		bool skipped = true;
		while (skipped) {
			skipped = false;
			for (size_t i = 0; i < sizeof(q) / sizeof(*q); i++) {
				size_t n = strlen(q[i]);
				if (!strncmp(a, q[i], n)) {
					a += n;
					skipped = true;
				}
				if (!strncmp(b, q[i], n)) {
					b += n;
					skipped = true;
				}
			}
		}
		if (!*a || !*b)
			return !*a && !*b;
		if (*a++ != *b++)
			return false;
	}
}

/* Markdown or a link's target in a word: "**", "](", "\\]", "://" */
static bool markup_in(const char *w)
{
	return strstr(w, "**") || strstr(w, "](") || strstr(w, "://") ||
	       strchr(w, '\\') || strstr(w, "__");
}

/* A name, a code or a figure: a capital letter or a digit in it */
static bool name_like(const char *w)
{
	for (; *w; w++)
		if (isupper((unsigned char)*w) || isdigit((unsigned char)*w))
			return true;
	return false;
}

/*
 * A company's name whose last words `w` start at `at` of t (not before
 * `lo`): with the capitalised words right before them, at most three
 * ("Google" before "LLC,"), without a trailing comma.
 */
static char *whole_name(const char *t, size_t lo, size_t at, const char *w)
{
	size_t a = at, n = strlen(w);

	for (int k = 0; k < 3 && a > lo + 1 && t[a - 1] == ' '; k++) {
		size_t b = a - 1;
		bool plain = true;
		while (b > lo && !isspace((unsigned char)t[b - 1]))
			b--;
		/* a capitalised word, not one that ends a clause or holds
		 * markup ("Limited,", "To:", "Region](https://...),") */
		for (size_t i = b; i + 1 < a; i++)
			plain = plain && !strchr("/()[]<>|=#:,;", t[i]);
		if (!isupper((unsigned char)t[b]) || b == a - 1 || !plain)
			break;
		a = b;
	}
	while (n > 0 && strchr(",; ", w[n - 1]))
		n--;
	return cw_asprintf("%.*s%.*s", (int)(at - a), t + a, (int)n, w);
}

/*
 * A change whose edits all replace one word by another the same way
 * ("Yahoo!" -> "Yahoo", "Twitter" -> "X"), or touch punctuation only:
 * true, with the words (NULL, NULL for punctuation only).
 */
static bool rename_only(const struct cw_diff *d,
			const struct cw_diff_change *ch, char **old_word,
			char **new_word, size_t *at_old, size_t *at_new)
{
	char *ow = NULL, *nw = NULL;
	size_t times = 0;

	*old_word = *new_word = NULL;
	if (ch->n_spans == 0 || ch->n_old != 1 || ch->n_new != 1 ||
	    ch->n_facts > 0)
		return false;
	for (size_t i = 0; i < ch->n_spans; i++) {
		const struct cw_diff_span *sp = &ch->spans[i];
		size_t os = sp->old_start, oe = sp->old_end, ns = sp->new_start,
		       ne = sp->new_end;
		/* a replacement is a deletion then an insertion */
		if (sp->op == CW_DIFF_OP_DEL && i + 1 < ch->n_spans &&
		    ch->spans[i + 1].op == CW_DIFF_OP_INS &&
		    ch->spans[i + 1].new_start == sp->new_start) {
			ns = ch->spans[i + 1].new_start;
			ne = ch->spans[i + 1].new_end;
			i++;
		}
		/* the words the edit is in, without the ending they share
		 * from its first mark on ("Yahoo!'s", "Yahoo's") */
		word_around(d->old_text, ch->old_start, ch->old_end, &os, &oe);
		word_around(d->new_text, ch->new_start, ch->new_end, &ns, &ne);
		{
			size_t k = 0, cut = 0;
			while (k < oe - os && k < ne - ns &&
			       d->old_text[oe - 1 - k] ==
				       d->new_text[ne - 1 - k])
				k++;
			for (size_t x = 1; x <= k; x++)
				if (!isalnum(
					    (unsigned char)d->old_text[oe - x]))
					cut = x;
			oe -= cut;
			ne -= cut;
			/* and the marks they open with ("(\"Yahoo!") */
			while (os < oe && ns < ne &&
			       d->old_text[os] == d->new_text[ns] &&
			       !isalnum((unsigned char)d->old_text[os])) {
				os++;
				ns++;
			}
		}
		if (oe - os > RENAME_MAX || ne - ns > RENAME_MAX || oe == os ||
		    ne == ns || !has_alpha(d->old_text + os, oe - os) ||
		    !has_alpha(d->new_text + ns, ne - ns))
			goto no;
		times++;
		if (!ow) {
			ow = cw_strndup(d->old_text + os, oe - os);
			nw = cw_strndup(d->new_text + ns, ne - ns);
			*at_old = os;
			*at_new = ns;
		} else if (strlen(ow) != oe - os || strlen(nw) != ne - ns ||
			   cw_strncasecmp_ascii(ow, d->old_text + os,
						oe - os) ||
			   cw_strncasecmp_ascii(nw, d->new_text + ns,
						ne - ns)) {
			/* the same words, case aside ("YAHOO!" in a
			 * heading) */
			goto no;
		}
	}
	/* the same word in other capitals or between other quotes is not
	 * a rename; nor is a link's target or markup ("central](https://",
	 * "a)**"); and a common word replaced once ("services" -> "at your
	 * direction") is an edit: a name has a capital or a digit, or the
	 * same replacement comes back */
	size_t da, db;
	if (!ow || same_value(ow, nw) || same_but_quotes(ow, nw) ||
	    /* a date is the document's date, said as one */
	    date_in(ow, strlen(ow), &da, &db) ||
	    date_in(nw, strlen(nw), &da, &db) || markup_in(ow) ||
	    markup_in(nw) ||
	    /* a street or a post code is an address, said as one */
	    address_part(ow, 0, strlen(ow)) ||
	    address_part(nw, 0, strlen(nw)) ||
	    (times < 2 && !(name_like(ow) && name_like(nw))))
		goto no;
	*old_word = ow;
	*new_word = nw;
	return true;
no:
	free(ow);
	free(nw);
	return false;
}

/* Whether s[i] starts a mark: ASCII punctuation or space, or one of
 * Unicode's general punctuation (U+2000 to U+203F: quotes, dashes,
 * apostrophes); its length in *n. */
static bool mark_at(const char *s, size_t len, size_t i, size_t *n)
{
	unsigned char c = (unsigned char)s[i];

	*n = 1;
	if (c < 0x80)
		return !isalnum(c);
	/* U+2000 to U+206F: spaces, quotes, dashes and invisible joiners */
	if (c == 0xe2 && i + 2 < len &&
	    ((unsigned char)s[i + 1] == 0x80 ||
	     ((unsigned char)s[i + 1] == 0x81 &&
	      (unsigned char)s[i + 2] <= 0xAF))) {
		*n = 3;
		return true;
	}
	/* U+00A0 and the soft hyphen U+00AD, U+FEFF */
	if (c == 0xc2 && i + 1 < len &&
	    ((unsigned char)s[i + 1] == 0xA0 ||
	     (unsigned char)s[i + 1] == 0xAD)) {
		*n = 2;
		return true;
	}
	if (c == 0xef && i + 2 < len && (unsigned char)s[i + 1] == 0xbb &&
	    (unsigned char)s[i + 2] == 0xbf) {
		*n = 3;
		return true;
	}
	return false;
}

/* Whether a[0..an) and b[0..bn) hold the same letters and digits in the
 * same order: what differs is marks and spaces ("don’t", "dont"). */
static bool same_alnum(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0, k;

	for (;;) {
		while (i < an && mark_at(a, an, i, &k))
			i += k;
		while (j < bn && mark_at(b, bn, j, &k))
			j += k;
		if (i == an || j == bn)
			return i == an && j == bn;
		if (a[i++] != b[j++])
			return false;
	}
}

/* A change whose every edit is marks and spaces only (quotes, commas,
 * apostrophes): no word moved. */
static bool punctuation_only(const struct cw_diff *d,
			     const struct cw_diff_change *ch)
{
	if (ch->n_spans == 0 || ch->n_old != 1 || ch->n_new != 1)
		return false;
	for (size_t i = 0; i < ch->n_spans; i++) {
		const struct cw_diff_span *sp = &ch->spans[i];
		const struct cw_diff_span *nx = i + 1 < ch->n_spans ? sp + 1
								    : NULL;
		if (sp->op == CW_DIFF_OP_DEL && nx &&
		    nx->op == CW_DIFF_OP_INS &&
		    nx->new_start == sp->new_start) {
			if (!same_alnum(d->old_text + sp->old_start,
					sp->old_end - sp->old_start,
					d->new_text + nx->new_start,
					nx->new_end - nx->new_start))
				return false;
			i++;
			continue;
		}
		if (sp->op == CW_DIFF_OP_DEL
			    ? has_alnum(d->old_text + sp->old_start,
					sp->old_end - sp->old_start)
			    : has_alnum(d->new_text + sp->new_start,
					sp->new_end - sp->new_start))
			return false;
	}
	return true;
}

/* Whether t[0..n) is a number of a list or section ("2", "3.1", "(b)",
 * "iv."), marks aside. */
static bool list_number(const char *t, size_t n)
{
	size_t a = 0, b = n, digits = 0, letters = 0;

	while (a < b && !isalnum((unsigned char)t[a]))
		a++;
	while (b > a && !isalnum((unsigned char)t[b - 1]))
		b--;
	if (a == b || b - a > 8)
		return false;
	for (size_t i = a; i < b; i++) {
		if (isdigit((unsigned char)t[i]))
			digits++;
		else if (isalpha((unsigned char)t[i]))
			letters++;
		else if (t[i] != '.' && t[i] != ')' && t[i] != '(')
			return false;
	}
	return digits > 0 ? letters == 0 : letters <= 4;
}

/* A change whose every edit replaces one list or section number by
 * another: the provisions were renumbered. */
static void line_around(const char *t, size_t lo, size_t hi, size_t at,
			size_t *ls, size_t *le);

static bool numbering_only(const struct cw_diff *d,
			   const struct cw_diff_change *ch)
{
	if (ch->n_spans == 0 || ch->n_old != 1 || ch->n_new != 1)
		return false;
	/* "18 months" -> "36 months" is a figure, not a number of a list */
	for (size_t i = 0; i < ch->n_facts; i++)
		if (ch->facts[i].kind <= CW_DIFF_FACT_LAW)
			return false;
	for (size_t i = 0; i < ch->n_spans; i++) {
		const struct cw_diff_span *sp = &ch->spans[i], *nx = sp + 1;
		if (sp->op != CW_DIFF_OP_DEL || i + 1 == ch->n_spans ||
		    nx->op != CW_DIFF_OP_INS ||
		    nx->new_start != sp->new_start ||
		    !list_number(d->old_text + sp->old_start,
				 sp->old_end - sp->old_start) ||
		    !list_number(d->new_text + nx->new_start,
				 nx->new_end - nx->new_start))
			return false;
		/* "900 Villa St." -> "990 Villa St." is an address */
		size_t ls, le;
		line_around(d->new_text, ch->new_start, ch->new_end,
			    nx->new_start, &ls, &le);
		if (address_part(d->new_text, ls, le))
			return false;
		i++;
	}
	return true;
}

/* Whether a name ends as a company's does ("OpenAI, L.L.C.", "X Corp"). */
static bool company_name(const char *w)
{
	static const char *const ends[] = {
		"llc",	"l.l.c",   "l.l.c.",   "inc",  "inc.",	"ltd",
		"ltd.", "limited", "gmbh",     "corp", "corp.", "b.v.",
		"bv",	"s.a.",	   "sa",       "plc",  "ag",	"s.r.l.",
		"sarl", "s.a.s.",  "pte",      "co.",  "llp",	"lp",
		"ab",	"a/s",	   "oy",       "oyj",  "n.v.",	"s.p.a.",
		"spa",	"k.k.",	   "pty",      "sas",  "kg",	"s.l.",
		"ltda", "ltda.",   "s.a.r.l.", "bvba", "ulc",
	};
	size_t n = strlen(w), k = n;

	while (k > 0 && w[k - 1] != ' ')
		k--;
	for (size_t i = 0; i < sizeof(ends) / sizeof(*ends); i++)
		if (same_value(w + k, ends[i]))
			return true;
	return false;
}

/* ---- points ---- */

struct point {
	int rank;
	char *text;
};

struct said {
	struct point p[MAX_POINTS];
	size_t n;
	int rank;      /* the change's: its best point's, or its kind's */
	char *summary; /* new summary, or NULL to keep the diff's */
	size_t index;  /* in document order */
	char *renamed_from, *renamed_to; /* a rename's words */
	bool punctuation;		 /* marks only moved */
	bool address;			 /* a postal address changed */
	char *date_line;   /* "The document's date changed…" when one of the
			    change's edits is a date replaced by a date */
	const char *topic; /* the category the provision is about, when its
			      title does not say it (borrowed) */
};

static void say(struct said *s, int rank, char *text)
{
	size_t at;

	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->p[i].text, text)) {
			free(text);
			return;
		}
	if (s->n == MAX_POINTS) {
		/* replace the weakest when this one is stronger */
		size_t w = 0;
		for (size_t i = 1; i < s->n; i++)
			if (s->p[i].rank < s->p[w].rank)
				w = i;
		if (s->p[w].rank >= rank) {
			free(text);
			return;
		}
		free(s->p[w].text);
		for (size_t i = w; i + 1 < s->n; i++)
			s->p[i] = s->p[i + 1];
		s->n--;
	}
	/* keep them sorted: rank, then order of saying */
	at = s->n;
	while (at > 0 && s->p[at - 1].rank < rank) {
		s->p[at] = s->p[at - 1];
		at--;
	}
	s->p[at] = (struct point){ rank, text };
	s->n++;
}

/* A category's name as it reads inside a sentence: "Mandatory
 * arbitration" -> "mandatory arbitration", "API key..." stays. */
static char *lower_name(const char *name)
{
	char *s = cw_strdup(name);

	if (s[0] && !isupper((unsigned char)s[1]))
		s[0] = (char)tolower((unsigned char)s[0]);
	return s;
}

static int category_rank(const struct cw_tax_category *cat)
{
	int lv = 0;

	for (int a = 0; a < CW_AUDIENCE_COUNT; a++)
		if (cat->exposure[a].base > lv)
			lv = cat->exposure[a].base;
	return RANK_CATEGORY + 12 * lv;
}

static const struct cw_tax_match *find_match(const struct cw_tax_matches *m,
					     const struct cw_tax_category *cat)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->items[i].cat == cat)
			return &m->items[i];
	return NULL;
}

static void param_phrase(struct cw_buf *b, int kind, const char *value);

/* The values of a category's parameters on one side, " (A; B)"; the
 * kinds named are marked in `said`. */
static void category_values(struct cw_buf *b, const struct cw_tax_category *cat,
			    const struct cw_params *p, bool *said)
{
	size_t n = 0;

	for (size_t i = 0; i < cat->nparams && n < 2; i++) {
		int k = cw_params_kind_from_name(cat->params[i]);
		const struct cw_param *v = k >= 0 ? cw_params_find(p, k) : NULL;
		if (!v || !v->value || k == CW_PARAM_CONTACT_EMAIL)
			continue;
		cw_buf_adds(b, n ? "; " : " (");
		param_phrase(b, k, v->value);
		said[k] = true;
		n++;
	}
	if (n)
		cw_buf_addc(b, ')');
}

static bool category_has_values(const struct cw_tax_category *cat,
				const struct cw_params *p)
{
	for (size_t i = 0; i < cat->nparams; i++) {
		int k = cw_params_kind_from_name(cat->params[i]);
		if (k >= 0 && k != CW_PARAM_CONTACT_EMAIL &&
		    cw_params_find(p, k))
			return true;
	}
	return false;
}

/*
 * Categories the rules find on one side and not the other. A category
 * counts on its side when its own words are there (a pattern of weight 1
 * or more) and it is either the side's strongest or scores half again
 * its threshold; and it is absent from the other side when the rules do
 * not find it there and it scores at most half as much there: a clause
 * that brushes a category in passing ("misuse of intellectual property"
 * in a disputes clause) is not a category gained or lost.
 */
static void
say_categories(struct said *s, const struct cw_diff *d,
	       const struct cw_diff_change *ch, const struct cw_tax_matches *a,
	       const struct cw_tax_matches *b, const struct cw_params *pa,
	       const struct cw_params *pb, bool *said_a, bool *said_b)
{
	for (int side = 0; side < 2; side++) {
		const struct cw_tax_matches *here = side ? b : a,
					    *there = side ? a : b;
		for (size_t i = 0; i < here->n; i++) {
			const struct cw_tax_match *m = &here->items[i], *o;
			double floor = m->cat->min_score > 1 ? m->cat->min_score
							     : 1;
			struct cw_buf t = CW_BUF_INIT;
			char *name;
			if (!m->by_rules || !m->explicit_text ||
			    (i > 0 && m->score < 1.5 * floor))
				continue;
			o = find_match(there, m->cat);
			if (o && (o->by_rules || o->score > m->score / 2))
				continue;
			/* its parameters on the other side: the category
			 * stayed, in words the rules miss; the values say
			 * what changed */
			if (category_has_values(m->cat, side ? pa : pb))
				continue;
			/* a provision that stays has none of its words left
			 * (or had none before) */
			if (ch->old_end > ch->old_start &&
			    ch->new_end > ch->new_start) {
				struct cw_tax_match tm;
				const char *ot = side ? d->old_text
						      : d->new_text;
				size_t ts = side ? ch->old_start
						 : ch->new_start,
				       te = side ? ch->old_end : ch->new_end;
				cw_taxonomy_score(&tm, m->cat, NULL, ot + ts,
						  te - ts);
				if (tm.score > 0)
					continue;
			}
			name = lower_name(m->cat->name);
			cw_buf_addf(&t, "%s %s", name,
				    side ? "added" : "removed");
			category_values(&t, m->cat, side ? pb : pa,
					side ? said_b : said_a);
			say(s, category_rank(m->cat), cw_buf_detach(&t, NULL));
			free(name);
		}
	}
}

/* How a parameter is named in a sentence: its label, and its value in
 * a phrase ("%s" the value). */
static const struct {
	int kind;
	const char *label, *phrase;
} param_words[] = {
	{ CW_PARAM_LIABILITY_CAP, "liability cap", "liability cap %s" },
	{ CW_PARAM_ARBITRATION_BODY, "arbitration body", "%s" },
	{ CW_PARAM_ARBITRATION_RULES, "arbitration rules", "%s" },
	{ CW_PARAM_OPT_OUT_WINDOW, "opt-out window", "opt-out within %s" },
	{ CW_PARAM_OPT_OUT_METHOD, "opt-out method", "opt-out by %s" },
	{ CW_PARAM_MIN_AGE, "minimum age", "minimum age %s" },
	{ CW_PARAM_GOVERNING_LAW, "governing law", "the law of %s" },
	{ CW_PARAM_FORUM, "courts", "courts in %s" },
	{ CW_PARAM_CHANGE_NOTICE, "notice of changes", "%s notice of changes" },
	{ CW_PARAM_TERMINATION_NOTICE, "notice of termination",
	  "%s notice of termination" },
	{ CW_PARAM_CREDIT_EXPIRY, "credit expiry", "credits expire after %s" },
	{ CW_PARAM_INACTIVITY_PERIOD, "inactivity period",
	  "inactivity period %s" },
	{ CW_PARAM_TRAINING_ON_INPUTS, "training on your inputs",
	  "training on your inputs: %s" },
	{ CW_PARAM_TRAINING_OPT_OUT, "training opt-out",
	  "training opt-out %s" },
	{ CW_PARAM_INFORMAL_RESOLUTION_PERIOD, "informal resolution period",
	  "informal resolution within %s" },
	{ CW_PARAM_MASS_ARBITRATION_THRESHOLD, "mass-arbitration threshold",
	  "mass arbitration from %s" },
	{ CW_PARAM_CLAIMS_TIME_LIMIT, "time limit for claims",
	  "claims within %s" },
	{ CW_PARAM_CONTACT_EMAIL, "contact address", "contact %s" },
};

static const char *param_label(int kind)
{
	for (size_t i = 0; i < sizeof(param_words) / sizeof(*param_words); i++)
		if (param_words[i].kind == kind)
			return param_words[i].label;
	return cw_params_kind_name(kind);
}

/* The value in its phrase, appended to b. */
static void param_phrase(struct cw_buf *b, int kind, const char *value)
{
	for (size_t i = 0; i < sizeof(param_words) / sizeof(*param_words); i++)
		if (param_words[i].kind == kind) {
			const char *at = strstr(param_words[i].phrase, "%s");
			const char *lab = param_words[i].label;
			const char *nw = strstr(value, "notice");
			if (nw && !strncmp(lab, "notice", 6)) {
				/* "no notice", "notice, period not stated":
				 * the value names the notice itself */
				cw_buf_add(b, value, (size_t)(nw - value));
				cw_buf_adds(b, lab);
				cw_buf_adds(b, nw + 6);
				return;
			}
			cw_buf_add(b, param_words[i].phrase,
				   (size_t)(at - param_words[i].phrase));
			cw_buf_adds(b, value);
			cw_buf_adds(b, at + 2);
			return;
		}
	cw_buf_adds(b, value);
}

static bool same_value(const char *a, const char *b)
{
	return strlen(a) == strlen(b) &&
	       cw_strncasecmp_ascii(a, b, strlen(a)) == 0;
}

/* Does text[0..len) hold `v` (ASCII case aside)? */
static size_t blank_len(const char *t, size_t i, size_t b);

/* Whether text names v, case aside, a blank (U+00A0 too, or a line
 * break) matching any run of blanks */
static bool names(const char *text, size_t len, const char *v)
{
	size_t n = strlen(v);

	if (!n || n > len)
		return false;
	for (size_t i = 0; i + n <= len; i++) {
		size_t p = i, q = 0, k;
		while (q < n && p < len) {
			if ((k = blank_len(v, q, n)) > 0) {
				size_t m = blank_len(text, p, len);
				if (!m)
					break;
				while (m) {
					p += m;
					m = p < len ? blank_len(text, p, len)
						    : 0;
				}
				q += k;
			} else if (tolower((unsigned char)text[p]) ==
				   tolower((unsigned char)v[q])) {
				p++;
				q++;
			} else {
				break;
			}
		}
		if (q == n)
			return true;
	}
	return false;
}

/* Does a value of `p` (any kind) name `v`, or `v` name it? */
static bool params_name(const struct cw_params *p, const char *v)
{
	for (size_t i = 0; i < p->n; i++) {
		const char *pv = p->items[i].value;
		if (pv && (names(pv, strlen(pv), v) || names(v, strlen(v), pv)))
			return true;
	}
	return false;
}

static void say_params(struct said *s, const struct cw_params *a,
		       const struct cw_params *b, const bool *said_a,
		       const bool *said_b)
{
	for (int k = 0; k < CW_PARAM_COUNT; k++) {
		const struct cw_param *pa = cw_params_find(a, k),
				      *pb = cw_params_find(b, k);
		const char *label = param_label(k);
		bool minor = k == CW_PARAM_CONTACT_EMAIL;
		if (pa && said_a[k])
			pa = NULL;
		if (pb && said_b[k])
			pb = NULL;
		if (pa && pb) {
			/* the same value anywhere on the other side is no
			 * change: the first one moved */
			bool kept = false;
			for (size_t i = 0; i < b->n && !kept; i++)
				kept = b->items[i].kind == k &&
				       same_value(b->items[i].value, pa->value);
			if (!kept)
				say(s,
				    minor ? RANK_VALUE_ALONE
					  : RANK_PARAM_CHANGED,
				    cw_asprintf("%s changed from %s to %s",
						label, pa->value, pb->value));
		} else if (pb || pa) {
			struct cw_buf t = CW_BUF_INIT;
			param_phrase(&t, k, pb ? pb->value : pa->value);
			cw_buf_adds(&t, pb ? " now" : " dropped");
			say(s, minor ? RANK_VALUE_ALONE : RANK_PARAM_ALONE,
			    cw_buf_detach(&t, NULL));
		}
	}
}

/* A duty's sentence for a summary, from its start: its subject ("you
 * must…") says whose duty it is. */
static char *quote(const char *s)
{
	size_t n = strlen(s);

	if (n <= QUOTE_MAX)
		return cw_asprintf("\xe2\x80\x9c%s\xe2\x80\x9d", s);
	n = cw_utf8_floor(s, 0, QUOTE_MAX - 3);
	while (n > 0 && s[n - 1] != ' ')
		n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == ','))
		n--;
	return cw_asprintf("\xe2\x80\x9c%.*s\xe2\x80\xa6\xe2\x80\x9d", (int)n,
			   s);
}

static const char *value_word(enum cw_diff_fact_kind k)
{
	switch (k) {
	case CW_DIFF_FACT_DURATION:
		return "period";
	case CW_DIFF_FACT_AMOUNT:
		return "amount";
	case CW_DIFF_FACT_PERCENT:
		return "percentage";
	case CW_DIFF_FACT_AGE:
		return "age";
	default:
		return "value";
	}
}

/* The diff's own facts; modal verbs and negations only set flags. */
static void say_facts(struct said *s, const struct cw_diff *d,
		      const struct cw_diff_change *ch,
		      const struct cw_params *pa, const struct cw_params *pb,
		      bool *modal_only, bool *negation)
{
	*modal_only = ch->n_facts > 0;
	*negation = false;
	for (size_t i = 0; i < ch->n_facts; i++) {
		const struct cw_diff_fact *f = &ch->facts[i];
		const char *ov = f->old_value, *nv = f->new_value;
		switch (f->kind) {
		case CW_DIFF_FACT_MODAL:
			/* "may" -> "must" gives or takes a duty */
			if ((ov && (!strcmp(ov, "must") || !strcmp(ov, "shal"
								       "l"))) !=
			    (nv && (!strcmp(nv, "must") || !strcmp(nv, "shal"
								       "l"))))
				*modal_only = false;
			continue;
		case CW_DIFF_FACT_NEGATION:
			*negation = true;
			continue;
		default:
			*modal_only = false;
			break;
		}
		switch (f->kind) {
		case CW_DIFF_FACT_DURATION:
		case CW_DIFF_FACT_AMOUNT:
		case CW_DIFF_FACT_PERCENT:
		case CW_DIFF_FACT_AGE:
			if (ov && nv && params_name(pa, ov) &&
			    params_name(pb, nv))
				; /* said by its parameter ("minimum age") */
			else if (ov && nv)
				say(s, RANK_VALUE_CHANGED,
				    cw_asprintf("%s changed from %s to %s",
						value_word(f->kind), ov, nv));
			else if (nv && !params_name(pb, nv))
				say(s, RANK_VALUE_ALONE,
				    cw_asprintf("new %s: %s",
						value_word(f->kind), nv));
			else if (ov && !params_name(pa, ov))
				say(s, RANK_VALUE_ALONE,
				    cw_asprintf("%s %s dropped",
						value_word(f->kind), ov));
			break;
		case CW_DIFF_FACT_PLACE:
		case CW_DIFF_FACT_LAW:
			/* an entity is added or removed only when the other
			 * version does not name it anywhere */
			if (nv && !names(d->old_text, d->old_len, nv) &&
			    !params_name(pb, nv))
				say(s, RANK_ENTITY,
				    cw_asprintf("%s now named", nv));
			if (ov && !names(d->new_text, d->new_len, ov) &&
			    !params_name(pa, ov))
				say(s, RANK_ENTITY,
				    cw_asprintf("%s no longer named", ov));
			break;
		case CW_DIFF_FACT_OBLIGATION:
		case CW_DIFF_FACT_PROHIBITION: {
			bool duty = f->kind == CW_DIFF_FACT_OBLIGATION;
			char *q = quote(nv ? nv : ov);
			if (nv)
				say(s, RANK_DUTY_ADDED,
				    cw_asprintf("new %s %s",
						duty ? "duty:" : "prohibition:",
						q));
			else
				say(s, RANK_DUTY_REMOVED,
				    cw_asprintf("%s dropped: %s",
						duty ? "duty" : "prohibition",
						q));
			free(q);
			break;
		}
		default:
			break;
		}
	}
}

/* Bytes of a company's address said beside its name */
#define ADDRESS_SAID 100
/* Most companies said a side of a change */
#define COMPANIES_SAID 2
/* Most words of a company's name before its form ("Snap B.V.") */
#define COMPANY_WORDS 4

/* Whether t[a..b) is a word that opens a sentence or a phrase, not a
 * name: "The", "If", "Your" */
static bool lead_word(const char *t, size_t a, size_t b)
{
	static const char *const w[] = {
		"the",	"if",	"by",	 "and", "or",  "our", "your",	"you",
		"with", "from", "to",	 "of",	"for", "at",  "in",	"on",
		"this", "that", "these", "a",	"an",  "as",  "between"
	};

	for (size_t i = 0; i < sizeof(w) / sizeof(*w); i++)
		if (strlen(w[i]) == b - a &&
		    cw_strncasecmp_ascii(t + a, w[i], b - a) == 0)
			return true;
	return false;
}

/* The length of the blank at t[i] (U+00A0 too), or 0 */
static size_t blank_len(const char *t, size_t i, size_t b)
{
	if (isspace((unsigned char)t[i]))
		return 1;
	return (unsigned char)t[i] == 0xC2 && i + 1 < b &&
			       (unsigned char)t[i + 1] == 0xA0
		       ? 2
		       : 0;
}

/* The name that words ws/we[0..nw) and a company's form ending at `e`
 * make, without the words that open a phrase ("If Acme LLC"); NULL when
 * nothing is left before the form */
static char *company_at(const char *t, const size_t *ws, const size_t *we,
			size_t nw, size_t e)
{
	size_t f = 0;

	struct cw_buf b = CW_BUF_INIT;

	while (f < nw && lead_word(t, ws[f], we[f]))
		f++;
	if (f == nw)
		return NULL;
	/* runs of blanks read as one space */
	for (size_t i = ws[f], k; i < e; i += k ? k : 1) {
		k = blank_len(t, i, e);
		if (!k)
			cw_buf_addc(&b, t[i]);
		else if (b.len && b.ptr[b.len - 1] != ' ')
			cw_buf_addc(&b, ' ');
	}
	return cw_buf_detach(&b, NULL);
}

/* Bytes around a company's name looked at for its role */
#define ROLE_WINDOW 120

/*
 * The role that the text around a company's name t[at..e) gives it ("EU
 * representative", "data protection officer"): the nearest of the roles
 * below within ROLE_WINDOW bytes and the same line, or NULL.
 */
static const char *role_near(const char *t, size_t a, size_t b, size_t at,
			     size_t e)
{
	/* words around a name, and the role they give it */
	static const struct {
		const char *words, *role;
	} roles[] = {
		{ "EU representative", "EU representative" },
		{ "UK representative", "UK representative" },
		{ "representative", "representative" },
		{ "data protection officer", "data protection officer" },
		{ "DPO", "DPO" },
		{ "data controller", "data controller" },
		{ "controller", "controller" },
		{ "data processor", "data processor" },
		{ "sub-processor", "sub-processor" },
		{ "processor", "processor" },
		{ "registered agent", "registered agent" },
		{ "contracting party", "contracting party" },
		{ "agreement is with", "contracting party" },
		{ "contract is with", "contracting party" },
		{ "contracting with", "contracting party" },
		{ "entity providing the", "provider of the service" },
		{ "offered to you by", "provider of the service" },
		{ "sold by", "seller" },
		{ "merchant of record", "merchant of record" },
	};
	size_t lo = at > a + ROLE_WINDOW ? at - ROLE_WINDOW : a;
	size_t hi = e + ROLE_WINDOW < b ? e + ROLE_WINDOW : b;
	const char *best = NULL;
	size_t bestd = SIZE_MAX;

	/* not across a line */
	for (size_t i = at; i > lo; i--)
		if (t[i - 1] == '\n') {
			lo = i;
			break;
		}
	for (size_t i = e; i < hi; i++)
		if (t[i] == '\n') {
			hi = i;
			break;
		}
	for (size_t r = 0; r < sizeof(roles) / sizeof(*roles); r++) {
		size_t n = strlen(roles[r].words);
		for (size_t i = lo; i + n <= hi; i++) {
			size_t d;
			if (cw_strncasecmp_ascii(t + i, roles[r].words, n) ||
			    (i > lo && isalnum((unsigned char)t[i - 1])) ||
			    (i + n < hi && isalpha((unsigned char)t[i + n]) &&
			     t[i + n] != 's'))
				continue;
			d = i >= e ? i - e : at > i + n ? at - (i + n) : 0;
			/* the longer of two at one place ("EU
			 * representative" over "representative") */
			if (d < bestd) {
				bestd = d;
				best = roles[r].role;
			}
		}
	}
	return best;
}

/* The point that says company `name` is now (or no longer) named, or -1 */
static long said_of(const struct said *s, const char *name, bool added)
{
	size_t n = strlen(name);
	const char *what = added ? " now named" : " no longer named";

	for (size_t i = 0; i < s->n; i++)
		if (!strncmp(s->p[i].text, name, n) &&
		    !strncmp(s->p[i].text + n, what, strlen(what)))
			return (long)i;
	return -1;
}

/*
 * Companies named in t[a..b) ("Snap B.V.", "OpenAI OpCo, LLC"): a form of
 * company (company_name()) written with a capital, after up to
 * COMPANY_WORDS capitalised words. Each that `other` (the other version's
 * whole text) does not name is said as now named (`added`) or no longer
 * named; at most COMPANIES_SAID. Returns how many were said.
 */
/* A company's form that may follow a comma: "Stack Exchange, Inc." */
static bool comma_form(const char *w)
{
	static const char *const f[] = { "inc",	  "inc.", "llc",     "l.l.c.",
					 "ltd",	  "ltd.", "limited", "corp",
					 "corp.", "plc",  "llp",     "lp" };

	for (size_t i = 0; i < sizeof(f) / sizeof(*f); i++)
		if (same_value(w, f[i]))
			return true;
	return false;
}

/* A word of a name: no link, markup or path in it */
static bool plain_word(const char *t, size_t a, size_t b)
{
	for (size_t i = a; i < b; i++)
		if (strchr("/()[]<>|=#", t[i]))
			return false;
	return true;
}

static char *address_of(const char *t, size_t lo, size_t hi, size_t es,
			size_t ee);

/* A company found, with what its places say of it */
struct company {
	char *name;
	const char *role; /* static */
	char *address;
	char *where; /* "the European Economic Area or Switzerland" */
};

/*
 * Where a company's role applies, from the line of its name t[at..e): "If
 * you reside within the European Economic Area or Switzerland your
 * agreement is with OpenAI Ireland Ltd" gives "the European Economic
 * Area or Switzerland"; NULL when the line says no place.
 */
static char *territory_near(const char *t, size_t a, size_t b, size_t at,
			    size_t e)
{
	static const char *const lead[] = {
		"reside in ",	       "reside within ", "are located in ",
		"are based in ",       "live in ",	 "are a resident of ",
		"are located within ",
	};
	size_t ls, le;

	line_around(t, a, b, at, &ls, &le);
	if (le < e)
		le = e;
	/* the name's sentence only ("If you live outside the United
	 * States, ... Pinterest Europe Ltd") */
	for (size_t i = at; i > ls + 1; i--)
		if ((t[i - 2] == '.' || t[i - 2] == ';') && t[i - 1] == ' ') {
			ls = i;
			break;
		}
	for (size_t i = e; i + 1 < le; i++)
		if ((t[i] == '.' || t[i] == ';') && t[i + 1] == ' ') {
			le = i;
			break;
		}
	for (size_t i = ls; i < le; i++)
		for (size_t w = 0; w < sizeof(lead) / sizeof(*lead); w++) {
			size_t n = strlen(lead[w]), p = i + n, end = p;
			int words = 0;
			if (i + n > le ||
			    cw_strncasecmp_ascii(t + i, lead[w], n))
				continue;
			/* capitalised words, "the", "or", "and" between */
			while (p < le && words < 10) {
				size_t q = p;
				while (q < le && isalpha((unsigned char)t[q]))
					q++;
				if (q == p)
					break;
				if (isupper((unsigned char)t[p]))
					end = q;
				else if (!((q - p == 3 &&
					    !strncmp(t + p, "the", 3)) ||
					   (q - p == 2 &&
					    !strncmp(t + p, "or", 2)) ||
					   (q - p == 3 &&
					    !strncmp(t + p, "and", 3))))
					break;
				words++;
				if (q >= le || t[q] != ' ')
					break;
				p = q + 1;
			}
			if (end > i + n)
				return cw_strndup(t + i + n, end - (i + n));
		}
	return NULL;
}

/* The postal address on the line of a company's name t[at..e), without
 * the name ("Snap B.V. Keizersgracht 440 B, 1016 GD Amsterdam"), or NULL */
static char *company_address(const char *t, size_t a, size_t b, size_t at,
			     size_t e)
{
	char *addr = address_of(t, a, b, e, e);
	size_t n = e - at, k = 0;

	if (!addr)
		return NULL;
	if (!strncmp(addr, t + at, n))
		k = n;
	while (addr[k] == ' ' || addr[k] == ',')
		k++;
	if (!strncmp(addr + k, "at ", 3))
		k += 3;
	{
		size_t m = strlen(addr);
		while (m > k && (addr[m - 1] == '.' || addr[m - 1] == ' '))
			addr[--m] = 0;
	}
	if (!addr[k] || strlen(addr + k) > ADDRESS_SAID) {
		free(addr);
		return NULL;
	}
	memmove(addr, addr + k, strlen(addr + k) + 1);
	return addr;
}

/*
 * Companies named in t[a..b) ("Snap B.V.", "OpenAI OpCo, LLC"): a form of
 * company (company_name()) written with a capital, after up to
 * COMPANY_WORDS capitalised words. Each that `other` (the other version's
 * whole text) does not name is said once as now named (`added`) or no
 * longer named, with the role and the postal address its places give it;
 * at most COMPANIES_SAID. Returns how many were said.
 */
static size_t say_companies(struct said *s, const char *t, size_t a, size_t b,
			    const char *other, size_t olen, bool added)
{
	size_t said = 0, i = a, nw = 0, nc = 0;
	size_t ws[COMPANY_WORDS], we[COMPANY_WORDS];
	struct company c[COMPANIES_SAID];
	bool comma = false;

	while (i < b) {
		size_t j, e, s0;
		char word[16];
		bool cap, form = false;
		while (i < b && blank_len(t, i, b)) {
			if (t[i] == '\n')
				nw = 0;
			i += blank_len(t, i, b);
		}
		for (j = i; j < b && !blank_len(t, j, b); j++)
			;
		if (j == i)
			break;
		/* the word without the marks around it */
		for (e = j; e > i && strchr(",;:)\"*", t[e - 1]); e--)
			;
		for (s0 = i; s0 < e && (unsigned char)t[s0] < 0x80 &&
			     !isalnum((unsigned char)t[s0]);
		     s0++)
			;
		cap = s0 < e && isupper((unsigned char)t[s0]);
		if (cap && e - s0 < sizeof(word)) {
			memcpy(word, t + s0, e - s0);
			word[e - s0] = 0;
			/* "LIMITED" in a clause in capitals is a word */
			form = company_name(word) && strcmp(word, "LIMITED");
		}
		/* after a comma only "Inc.", "LLC", "Ltd" ("OpenAI OpCo,
		 * LLC"; "Henderson, NV" is a place) */
		if (comma && !(form && comma_form(word)))
			nw = 0; /* "United States, Snap": the comma ended it */
		comma = false;
		if (form && s0 > i) {
			nw = 0; /* "(Co.)": a form in brackets abbreviates */
		} else if (form && nw > 0) {
			char *name = company_at(t, ws, we, nw, e);
			char *bare = name ? cw_strdup(name) : NULL;
			size_t nl = bare ? strlen(bare) : 0, k = 0;
			/* named in the other version, full stop aside
			 * ("Amazon.com, Inc" and "Amazon.com, Inc.") */
			while (nl > 0 && bare[nl - 1] == '.')
				nl--;
			if (bare)
				bare[nl] = 0;
			if (name && !names(other, olen, bare)) {
				while (k < nc && strcmp(c[k].name, name))
					k++;
				if (k == nc && nc < COMPANIES_SAID) {
					c[nc++] = (struct company){ name, NULL,
								    NULL,
								    NULL };
					name = NULL;
				}
				if (k < nc) {
					if (!c[k].role)
						c[k].role = role_near(t, a, b,
								      ws[0], e);
					if (!c[k].address)
						c[k].address = company_address(
							t, a, b, ws[0], e);
					if (!c[k].where)
						c[k].where = territory_near(
							t, a, b, ws[0], e);
				}
			}
			free(bare);
			free(name);
			nw = 0;
		} else if (cap && t[e - 1] != '.' && plain_word(t, s0, e) &&
			   (e == j || (t[e] == ',' && e + 1 == j))) {
			/* a capitalised word may be part of a name; after
			 * a comma only when a form follows ("OpenAI OpCo,
			 * LLC") */
			if (nw == COMPANY_WORDS) {
				memmove(ws, ws + 1, (nw - 1) * sizeof(*ws));
				memmove(we, we + 1, (nw - 1) * sizeof(*we));
				nw--;
			}
			ws[nw] = s0;
			we[nw++] = e;
			comma = e < j;
		} else {
			nw = 0;
		}
		i = j;
	}
	for (size_t k = 0; k < nc; k++) {
		/* once a diff side: the other side's call may have it */
		if (said_of(s, c[k].name, added) < 0) {
			say(s, RANK_ENTITY,
			    cw_asprintf("%s %s%s%s%s%s%s%s%s", c[k].name,
					added ? "now named" : "no longer named",
					c[k].role ? " as " : "",
					c[k].role ? c[k].role : "",
					c[k].where ? " for those in " : "",
					c[k].where ? c[k].where : "",
					c[k].address ? " (" : "",
					c[k].address ? c[k].address : "",
					c[k].address ? ")" : ""));
			said++;
		}
		free(c[k].name);
		free(c[k].address);
		free(c[k].where);
	}
	return said;
}

/* ---- quotes ---- */

/* Longest quote of an edit's words, bytes; most salience counted. */
#define EDIT_QUOTE_MAX 200
/* Edits quoted a change. */
#define EDITS_QUOTED 4
#define SALIENCE_MAX 12
/* Least salience for an edit to be quoted. */
#define SALIENCE_MIN 2
/* Rank a whole provision's quote has over an edit's */
#define PROVISION_QUOTED 8

static const char *const stop_words[] = {
	"the",	 "and",	   "for",    "with",  "that",  "this",	"from",
	"are",	 "you",	   "your",   "our",   "will",  "may",	"not",
	"any",	 "all",	   "can",    "has",   "have",  "its",	"their",
	"they",	 "them",   "been",   "was",   "were",  "which", "such",
	"also",	 "into",   "more",   "other", "these", "those", "than",
	"then",	 "there",  "when",   "where", "who",   "how",	"what",
	"about", "use",	   "used",   "using", "must",  "shall", "would",
	"could", "should", "please", "here",  "only",  "some",	"each",
};

static bool stop_word(const char *w, size_t n)
{
	char low[8];

	if (n >= sizeof(low))
		return false;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)w[i]);
	low[n] = 0;
	for (size_t i = 0; i < sizeof(stop_words) / sizeof(*stop_words); i++)
		if (!strcmp(low, stop_words[i]))
			return true;
	return false;
}

/* How much one word s[i, j) says: a name or a figure most, a content
 * word some; links, markup and the little words nothing. */
static double word_value(const char *s, size_t i, size_t j)
{
	size_t a = i, b = j, letters = 0;
	bool digit = false;

	/* an address, a link or markup: not words a reader reads for
	 * what changed */
	for (size_t k = i; k < j; k++) {
		if (s[k] == '/' || s[k] == '#' || s[k] == '@' || s[k] == '(' ||
		    s[k] == '[')
			return 0;
		digit = digit || isdigit((unsigned char)s[k]);
	}
	while (a < b && !isalnum((unsigned char)s[a]) &&
	       (unsigned char)s[a] < 0x80)
		a++;
	while (b > a && !isalnum((unsigned char)s[b - 1]) &&
	       (unsigned char)s[b - 1] < 0x80)
		b--;
	for (size_t k = a; k < b; k++)
		letters += isalpha((unsigned char)s[k]) ||
			   (unsigned char)s[k] >= 0x80;
	if (digit)
		return 1.5;
	if (letters < 3 || stop_word(s + a, b - a))
		return 0;
	return isupper((unsigned char)s[a]) ? 1.5 : 1;
}

struct word {
	size_t s, e;
	double v;
};

/* The words of s[0..n) with their values; returns how many. */
static size_t words_of(struct word **out, const char *s, size_t n)
{
	struct word *w = NULL;
	size_t k = 0, cap = 0, i = 0;

	while (i < n) {
		size_t j;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		j = i;
		while (j < n && !isspace((unsigned char)s[j]))
			j++;
		if (j > i) {
			CW_GROW(w, cap, k + 1);
			w[k++] = (struct word){ i, j, word_value(s, i, j) };
		}
		i = j;
	}
	*out = w;
	return k;
}

/* How much the words of s[0..n) say, up to SALIENCE_MAX; 0 when they
 * hold no letter (numbers and marks are the facts' to read). */
static double salience(const char *s, size_t n)
{
	struct word *w;
	size_t k;
	double v = 0;

	if (!has_alpha(s, n))
		return 0;
	k = words_of(&w, s, n);
	for (size_t i = 0; i < k; i++)
		v += w[i].v;
	free(w);
	return v > SALIENCE_MAX ? SALIENCE_MAX : v;
}

static bool edge_mark(unsigned char c, bool end)
{
	return !isalnum(c) && c < 0x80 && c != '"' &&
	       (end ? c != ')' && c != '%' : c != '(' && c != '$');
}

/*
 * The words of s[0..n) as a quote of at most about `max` bytes: all of
 * them when they fit, else the run of words that says the most (a name,
 * a figure), with an ellipsis where words were left out.
 */
static char *clip_words(const char *s, size_t n, size_t max)
{
	struct word *w;
	size_t k = words_of(&w, s, n), bi = 0, bj = k, j = 0;
	size_t a, b;
	double best = -1, sum = 0;
	char *q;

	if (k && w[k - 1].e - w[0].s > max) {
		/* the best window: two pointers over the words */
		for (size_t i = 0; i < k; i++) {
			if (j < i) {
				j = i;
				sum = 0;
			}
			while (j < k && w[j].e - w[i].s <= max)
				sum += w[j++].v;
			if (j > i && sum > best) {
				best = sum;
				bi = i;
				bj = j;
			}
			if (j > i)
				sum -= w[i].v;
		}
		if (bj == bi) /* one word longer than max */
			bj = bi + 1;
	}
	a = k ? w[bi].s : 0;
	b = k ? w[bj - 1].e : 0;
	if (b - a > 2 * max)
		b = a + cw_utf8_floor(s + a, 0, 2 * max);
	while (a < b && edge_mark((unsigned char)s[a], false))
		a++;
	while (b > a && edge_mark((unsigned char)s[b - 1], true))
		b--;
	{
		/* one line: runs of white space read as one space */
		struct cw_buf o = CW_BUF_INIT;
		cw_buf_adds(&o, "\xe2\x80\x9c");
		if (bi > 0)
			cw_buf_adds(&o, "\xe2\x80\xa6");
		/* as a reader reads it: a link by its words ("[Terms](…)"
		 * reads "Terms"), no emphasis marks */
		for (size_t i = a; i < b; i++) {
			if (isspace((unsigned char)s[i])) {
				if (i == a || !isspace((unsigned char)s[i - 1]))
					cw_buf_addc(&o, ' ');
				continue;
			}
			if (s[i] == ']' && i + 1 < b && s[i + 1] == '(') {
				int depth = 0;
				for (i++; i < b; i++) {
					depth += s[i] == '('   ? 1
						 : s[i] == ')' ? -1
							       : 0;
					if (depth == 0)
						break;
				}
				continue;
			}
			if (s[i] == '[' || s[i] == ']' || s[i] == '*' ||
			    (s[i] == '_' && (i + 1 >= b || s[i + 1] == '_' ||
					     i == a || s[i - 1] == '_')))
				continue;
			cw_buf_addc(&o, s[i]);
		}
		if (bj < k)
			cw_buf_adds(&o, "\xe2\x80\xa6");
		cw_buf_adds(&o, "\xe2\x80\x9d");
		q = cw_buf_detach(&o, NULL);
	}
	free(w);
	return q;
}

/* The bytes of quote q between its marks and ellipses. */
static void quote_core(const char *q, const char **at, size_t *n)
{
	size_t len = strlen(q);

	while (len >= 3 && (unsigned char)q[0] == 0xe2 &&
	       (unsigned char)q[1] == 0x80 &&
	       ((unsigned char)q[2] == 0x9c || (unsigned char)q[2] == 0xa6)) {
		q += 3;
		len -= 3;
	}
	while (len >= 3 && (unsigned char)q[len - 3] == 0xe2 &&
	       (unsigned char)q[len - 2] == 0x80 &&
	       ((unsigned char)q[len - 1] == 0x9d ||
		(unsigned char)q[len - 1] == 0xa6))
		len -= 3;
	*at = q;
	*n = len;
}

/* Whether a point said already quotes words of quote q (its first 24
 * bytes, or all of it when shorter). */
static bool quoted_before(const struct said *s, const char *q)
{
	const char *c;
	size_t n;
	char head[25];

	quote_core(q, &c, &n);
	if (n > 24)
		n = 24;
	if (n < 12)
		return false;
	memcpy(head, c, n);
	head[n] = 0;
	for (size_t i = 0; i < s->n; i++)
		if (strstr(s->p[i].text, head))
			return true;
	return false;
}

/* Words of context taken before an edit. */
#define CONTEXT_WORDS 3

/* Where the CONTEXT_WORDS words before `at` of text start (not before
 * `lo`, nor across a line or a sentence's end). */
static size_t words_back(const char *t, size_t lo, size_t at)
{
	size_t i = at;

	for (int w = 0; w < CONTEXT_WORDS && i > lo; w++) {
		size_t j = i;
		while (j > lo && t[j - 1] == ' ')
			j--;
		if (j == lo || t[j - 1] == '\n' || t[j - 1] == '.' ||
		    t[j - 1] == ';' || t[j - 1] == ':')
			break;
		while (j > lo && !isspace((unsigned char)t[j - 1]))
			j--;
		i = j;
	}
	return i;
}

/* Most words a quote takes after an edit to finish a name */
#define NAME_WORDS 4

/*
 * Where a name that an edit ends inside ends: the capitalised words right
 * after `at` of t[.., hi) ("you and Amazon [Digital] Services LLC"), at
 * most NAME_WORDS, not across a line or a sentence's end. `at` when the
 * edit ends no name.
 */
static size_t name_forward(const char *t, size_t at, size_t hi)
{
	size_t i = at;

	if (at == 0 || !isalnum((unsigned char)t[at - 1]))
		return at;
	/* the rest of the word the edit ends in */
	while (i < hi && isalnum((unsigned char)t[i]))
		i++;
	for (int w = 0; w < NAME_WORDS && i < hi; w++) {
		size_t j = i, k;
		if (t[j] != ' ')
			break;
		while (j < hi && t[j] == ' ')
			j++;
		if (j >= hi || !isupper((unsigned char)t[j]))
			break;
		k = j;
		while (k < hi && (isalnum((unsigned char)t[k]) || t[k] == '.' ||
				  t[k] == '&' || t[k] == '-'))
			k++;
		/* "Ltd." ends the name and may end the sentence */
		i = k;
	}
	while (i > at && t[i - 1] == '.')
		i--;
	return i;
}

/* Where a date that an edit ends inside ends ("began on May 18" and
 * ", 2022" after it); `at` when the edit ends no date. */
static size_t date_forward(const char *t, size_t at, size_t hi)
{
	size_t from = at > 24 ? at - 24 : 0, to = at + 24 < hi ? at + 24 : hi;
	size_t ms, me;

	while (from < at && date_at(t, to, from, &ms, &me)) {
		if (ms < at && me > at)
			return me;
		from = me > from ? me : from + 1;
	}
	return at;
}

struct edit {
	size_t os, oe, ns, ne; /* old and new bytes; empty for none */
	double v;	       /* salience */
};

/* Keep e among the EDITS_QUOTED most salient, strongest first. */
static void consider(struct edit *best, const struct cw_diff *d, struct edit e)
{
	e.v = salience(d->new_text + e.ns, e.ne - e.ns) +
	      0.8 * salience(d->old_text + e.os, e.oe - e.os);
	/* marks only: nothing to read */
	if (e.oe > e.os && e.ne > e.ns &&
	    same_alnum(d->old_text + e.os, e.oe - e.os, d->new_text + e.ns,
		       e.ne - e.ns))
		e.v = 0;
	/* a date is the document's date line, said apart */
	if ((e.ne == e.ns ||
	     cw_meaning_is_date(d->new_text + e.ns, e.ne - e.ns)) &&
	    (e.oe == e.os ||
	     cw_meaning_is_date(d->old_text + e.os, e.oe - e.os)))
		e.v = 0;
	for (size_t k = 0; k < EDITS_QUOTED; k++)
		if (e.v > best[k].v) {
			memmove(best + k + 1, best + k,
				(EDITS_QUOTED - k - 1) * sizeof(*best));
			best[k] = e;
			return;
		}
}

/* Where the sentence or line that starts at `at` of t[.., end) ends. */
static size_t chunk_end(const char *t, size_t at, size_t end)
{
	for (size_t i = at; i + 1 < end; i++)
		if (t[i] == '\n' ||
		    ((t[i] == '.' || t[i] == ';' || t[i] == ':') &&
		     isspace((unsigned char)t[i + 1]) && i + 2 < end &&
		     !islower((unsigned char)t[i + 2])))
			return i + 1;
	return end;
}

/* Whether the sentence t[a..b) (of 40 bytes or more, marks around it
 * aside) is in o[0..on) as it is */
static bool moved_sentence(const char *t, size_t a, size_t b, const char *o,
			   size_t on)
{
	char *v;
	bool in;

	while (a < b && (isspace((unsigned char)t[a]) || t[a] == '*'))
		a++;
	while (b > a && (isspace((unsigned char)t[b - 1]) || t[b - 1] == '*'))
		b--;
	if (b - a < 40)
		return false;
	v = cw_strndup(t + a, b - a);
	in = names(o, on, v);
	free(v);
	return in;
}

/* A lone insertion or deletion, a sentence or a line at a time: a long
 * one says several things. */
static void consider_chunks(struct edit *best, const struct cw_diff *d,
			    const struct cw_diff_change *ch, bool ins,
			    size_t s0, size_t e0, size_t at)
{
	const char *t = ins ? d->new_text : d->old_text;
	/* the provision on the other side */
	const char *o = ins ? d->old_text + ch->old_start
			    : d->new_text + ch->new_start;
	size_t on = ins ? ch->old_end - ch->old_start
			: ch->new_end - ch->new_start;

	for (size_t a = s0; a < e0;) {
		size_t b = chunk_end(t, a, e0);
		struct edit e = { 0, 0, 0, 0, 0 };
		/* a sentence that the other side has as it is moved, it
		 * was not added or dropped */
		if (moved_sentence(t, a, b, o, on)) {
			a = b;
			continue;
		}
		/* the other side is empty, at the edit's place there */
		if (ins) {
			e.ns = a;
			e.ne = b;
			e.os = e.oe = at;
		} else {
			e.os = a;
			e.oe = b;
			e.ns = e.ne = at;
		}
		consider(best, d, e);
		a = b;
	}
}

/* Lines of an address block taken around an edit, and their length */
#define ADDRESS_LINES 5
#define ADDRESS_LINE_MAX 80
#define ADDRESS_MAX 160

/* The line of t[lo..hi) around `at`: [*ls, *le) without trailing blanks */
static void line_around(const char *t, size_t lo, size_t hi, size_t at,
			size_t *ls, size_t *le)
{
	size_t a = at, b = at;

	while (a > lo && t[a - 1] != '\n')
		a--;
	while (b < hi && t[b] != '\n')
		b++;
	*ls = a;
	while (b > a && isspace((unsigned char)t[b - 1]))
		b--;
	*le = b;
}

/* A short line of an address block: no sentence in it ("If you reside
 * anywhere else, you can contact us at:"), no date line */
static bool address_line(const char *t, size_t a, size_t b)
{
	size_t ds, de, lower = 0;

	bool digit = false, lowercase = false, alnum = false;

	if (b <= a || b - a > ADDRESS_LINE_MAX ||
	    date_line_kind(t + a, b - a, &ds, &de) || t[a] == '#')
		return false;
	for (size_t i = a; i < b; i++) {
		digit = digit || isdigit((unsigned char)t[i]);
		lowercase = lowercase || islower((unsigned char)t[i]);
		alnum = alnum || isalnum((unsigned char)t[i]);
	}
	/* a setext underline; a heading in capitals ("OUR ADDRESS") */
	if (!alnum || (!digit && !lowercase && b - a > 4))
		return false;
	for (size_t i = a; i + 1 < b; i++)
		if ((t[i] == '.' || t[i] == ':') && t[i + 1] == ' ' && i > a &&
		    islower((unsigned char)t[i - 1]))
			return false;
	/* words in lower case, of three letters or more */
	for (size_t i = a; i < b; i++)
		if ((i == a || t[i - 1] == ' ') && i + 2 < b &&
		    islower((unsigned char)t[i]) &&
		    isalpha((unsigned char)t[i + 1]) &&
		    isalpha((unsigned char)t[i + 2]))
			lower++;
	return lower < 4;
}

/*
 * The postal address that the edit t[es..ee) (of provision t[lo..hi)) is
 * in, as one line ("14 Wall Street, 20th Floor, New York, NY 10005"):
 * the block of short lines around it (blank lines between them aside)
 * when one holds a part of an address, or the end of a sentence that
 * names one ("offered to you by: Meta Platforms Ireland Limited, Merrion
 * Road, Dublin 4"). NULL when the edit is in no address.
 */
static char *address_of(const char *t, size_t lo, size_t hi, size_t es,
			size_t ee)
{
	size_t ls, le, a, b, n = 1;
	struct cw_buf out = CW_BUF_INIT;
	bool part = false;

	line_around(t, lo, hi, es, &ls, &le);
	if (ee > le && ee - le > 2)
		return NULL; /* the edit goes on past its line */
	if (!address_line(t, ls, le)) {
		/* a long line: from the ": " or " at " before the edit to
		 * the end of its sentence */
		size_t from = es > ls + ADDRESS_MAX ? es - ADDRESS_MAX : ls;
		size_t k = es, z = ee;
		while (k > from &&
		       !(k >= from + 2 && t[k - 1] == ' ' && t[k - 2] == ':') &&
		       !(k >= from + 4 && !memcmp(t + k - 4, " at ", 4)))
			k--;
		while (z < le && z - ee < ADDRESS_MAX &&
		       !(t[z] == '.' && z + 2 < le && t[z + 1] == ' ' &&
			 isupper((unsigned char)t[z + 2])) &&
		       t[z] != '[' && t[z] != '@' && t[z] != '|' && t[z] != '<')
			z++;
		while (z > ee && (t[z - 1] == ' ' || t[z - 1] == ','))
			z--;
		if (k == from || z - k > ADDRESS_MAX || !address_part(t, k, z))
			return NULL;
		cw_buf_add(&out, t + k, z - k);
		return cw_buf_detach(&out, NULL);
	}
	a = ls;
	b = le;
	part = address_part(t, ls, le);
	/* the short lines before and after, a blank line between allowed */
	for (size_t p = ls; n < ADDRESS_LINES && p > lo;) {
		size_t s2, e2, q = p - 1;
		while (q > lo && isspace((unsigned char)t[q - 1]) &&
		       t[q - 1] != '\n')
			q--;
		if (q > lo && t[q - 1] == '\n')
			q--; /* one blank line */
		line_around(t, lo, hi, q > lo ? q - 1 : lo, &s2, &e2);
		if (e2 <= s2 || !address_line(t, s2, e2) || t[e2 - 1] == ':' ||
		    s2 >= p)
			break;
		part = part || address_part(t, s2, e2);
		a = s2;
		p = s2;
		n++;
	}
	for (size_t p = le; n < ADDRESS_LINES && p < hi;) {
		size_t s2, e2, q = p;
		while (q < hi && isspace((unsigned char)t[q]))
			q++;
		if (q >= hi)
			break;
		line_around(t, lo, hi, q, &s2, &e2);
		/* "Tel:", "Email:" end it */
		if (!address_line(t, s2, e2) || memchr(t + s2, ':', e2 - s2) ||
		    memchr(t + s2, '@', e2 - s2))
			break;
		part = part || address_part(t, s2, e2);
		b = e2;
		p = e2;
		n++;
	}
	if (!part)
		return NULL;
	/* the lines as one, ", " between them */
	for (size_t i = a; i < b; i++) {
		if (t[i] == '\n') {
			size_t m = out.len;
			while (m &&
			       (out.ptr[m - 1] == ' ' || out.ptr[m - 1] == ','))
				m--;
			cw_buf_truncate(&out, m);
			cw_buf_adds(&out, ", ");
			while (i + 1 < b && isspace((unsigned char)t[i + 1]))
				i++;
			continue;
		}
		if (t[i] == '*' || t[i] == '\\')
			continue;
		cw_buf_addc(&out, t[i]);
	}
	{
		size_t m = out.len;
		while (m && isspace((unsigned char)out.ptr[m - 1]))
			m--;
		cw_buf_truncate(&out, m);
	}
	if (out.len > ADDRESS_MAX) {
		cw_buf_release(&out);
		return NULL;
	}
	return cw_buf_detach(&out, NULL);
}

/* "postal address changed from “A” to “B”" for an edit inside an address
 * on both sides; false when it is not in one. */
static bool say_address(struct said *s, const struct cw_diff *d,
			const struct cw_diff_change *ch, size_t os, size_t oe,
			size_t ns, size_t ne)
{
	char *a = address_of(d->old_text, ch->old_start, ch->old_end, os, oe);
	char *b =
		a ? address_of(d->new_text, ch->new_start, ch->new_end, ns, ne)
		  : NULL;
	bool ok = a && b && strcmp(a, b);

	if (ok) {
		s->address = true;
		say(s, RANK_ENTITY,
		    cw_asprintf("postal address changed from \xe2\x80\x9c%s"
				"\xe2\x80\x9d to \xe2\x80\x9c%s\xe2\x80\x9d",
				a, b));
	}
	free(a);
	free(b);
	return ok;
}

/*
 * Where the body of the provision t[a..b) titled `title` starts: after its
 * first line when that line is its heading, at `a` when the heading leads
 * into text on its line ("**Automated Processes.** We use ...") or the
 * provision is one line.
 */
static size_t body_start(const char *t, size_t a, size_t b, const char *title)
{
	size_t e = a;

	while (e < b && t[e] != '\n')
		e++;
	if (e == b || e - a > strlen(title) + 16)
		return a;
	return e;
}

/* Words of its body that make an added or removed provision terms */
#define PROVISION_WORDS 20

/* The words of the body of an added or removed provision */
static size_t provision_words(const struct cw_diff *d,
			      const struct cw_diff_change *ch)
{
	bool added = ch->kind == CW_DIFF_ADDED;
	const char *t = added ? d->new_text : d->old_text;
	size_t a = added ? ch->new_start : ch->old_start,
	       b = added ? ch->new_end : ch->old_end, n = 0;
	bool in = false;

	a = body_start(t, a, b, ch->title);
	for (size_t i = a; i < b; i++) {
		bool w = isalpha((unsigned char)t[i]) ||
			 (unsigned char)t[i] >= 0x80;
		n += w && !in;
		in = w || (in && !isspace((unsigned char)t[i]));
	}
	return n;
}

/* The edits of a modified provision that say the most, quoted:
 * "“A” became “B”", "adds “C”", "drops “D”". */
static void say_quotes(struct said *s, const struct cw_diff *d,
		       const struct cw_diff_change *ch)
{
	struct edit best[EDITS_QUOTED];

	memset(best, 0, sizeof(best));

	if (ch->kind == CW_DIFF_ADDED || ch->kind == CW_DIFF_REMOVED) {
		/* a whole provision: the words of its body that say the
		 * most (its heading is its title already) */
		bool added = ch->kind == CW_DIFF_ADDED;
		const char *t = added ? d->new_text : d->old_text;
		size_t a = added ? ch->new_start : ch->old_start,
		       b = added ? ch->new_end : ch->old_end;
		char *q;
		a = body_start(t, a, b, ch->title);
		if (salience(t + a, b - a) < SALIENCE_MIN)
			return;
		q = clip_words(t + a, b - a, EDIT_QUOTE_MAX);
		/* a whole provision of terms came or went: more than an
		 * edit inside one says */
		if (!quoted_before(s, q))
			say(s,
			    RANK_QUOTE + PROVISION_QUOTED +
				    (int)salience(t + a, b - a),
			    cw_asprintf("%s %s", added ? "it says" : "it said",
					q));
		free(q);
		return;
	}
	for (size_t i = 0; i < ch->n_spans; i++) {
		const struct cw_diff_span *sp = &ch->spans[i];
		struct edit e = { 0, 0, 0, 0, 0 };
		bool replaced = sp->op == CW_DIFF_OP_DEL &&
				i + 1 < ch->n_spans &&
				ch->spans[i + 1].op == CW_DIFF_OP_INS &&
				ch->spans[i + 1].new_start == sp->new_start;
		if (replaced) {
			e.os = sp->old_start;
			e.oe = sp->old_end;
			e.ns = ch->spans[i + 1].new_start;
			e.ne = ch->spans[i + 1].new_end;
			i++;
			/* an address is said as one, a figure of it too
			 * ("900 Villa St." -> "990 Villa St."); a long
			 * passage replaced by another says what it drops
			 * and what it adds, a sentence at a time */
			if (say_address(s, d, ch, e.os, e.oe, e.ns, e.ne)) {
			} else if (e.oe - e.os > EDIT_QUOTE_MAX &&
				   e.ne - e.ns > EDIT_QUOTE_MAX) {
				consider_chunks(best, d, ch, false, e.os, e.oe,
						e.ns);
				consider_chunks(best, d, ch, true, e.ns, e.ne,
						e.os);
			} else {
				consider(best, d, e);
			}
		} else if (sp->op == CW_DIFF_OP_DEL) {
			consider_chunks(best, d, ch, false, sp->old_start,
					sp->old_end, sp->new_start);
		} else {
			consider_chunks(best, d, ch, true, sp->new_start,
					sp->new_end, sp->old_start);
		}
	}
	for (size_t k = 0; k < EDITS_QUOTED; k++) {
		const struct edit *e = &best[k];
		char *o, *n;
		if (e->v < SALIENCE_MIN)
			continue;
		/* with the words just before the edit, which say what it
		 * is about ("VeraSafe [Ireland] Ltd") */
		size_t ob = words_back(d->old_text, ch->old_start, e->os),
		       nb = words_back(d->new_text, ch->new_start, e->ns);
		/* and the rest of a name the edit ends in */
		size_t oe = e->oe > e->os ? name_forward(d->old_text, e->oe,
							 ch->old_end)
					  : e->oe,
		       ne = e->ne > e->ns ? name_forward(d->new_text, e->ne,
							 ch->new_end)
					  : e->ne;
		/* and of a date */
		if (e->oe > e->os)
			oe = date_forward(d->old_text, oe, ch->old_end);
		if (e->ne > e->ns)
			ne = date_forward(d->new_text, ne, ch->new_end);
		o = e->oe > e->os
			    ? clip_words(d->old_text + ob, oe - ob,
					 e->ne > e->ns ? EDIT_QUOTE_MAX / 2
						       : EDIT_QUOTE_MAX)
			    : NULL;
		n = e->ne > e->ns ? clip_words(d->new_text + nb, ne - nb,
					       o ? EDIT_QUOTE_MAX / 2
						 : EDIT_QUOTE_MAX)
				  : NULL;
		if ((o && n && same_value(o, n)) ||
		    quoted_before(s, n ? n : o)) {
			/* the duty it is in is quoted already */
		} else if (o && n)
			say(s, RANK_QUOTE + (int)e->v,
			    cw_asprintf("%s became %s", o, n));
		else if (n)
			say(s, RANK_QUOTE + (int)e->v,
			    cw_asprintf("adds %s", n));
		else if (o)
			say(s, RANK_QUOTE + (int)e->v,
			    cw_asprintf("drops %s", o));
		free(o);
		free(n);
	}
}

/* "Disputes", or for an untitled provision what it is. */
/* Bytes of a title said in a summary; a longer one (a heading that is a
 * sentence) is cut at a word */
#define TITLE_SAID 72

static char *change_title(const struct cw_diff_change *ch)
{
	const char *key = ch->new_key ? ch->new_key : ch->old_key;
	size_t n = strlen(ch->title);

	if (n > TITLE_SAID) {
		size_t cut = cw_utf8_floor(ch->title, 0, TITLE_SAID);
		while (cut > TITLE_SAID / 2 && ch->title[cut] != ' ')
			cut--;
		while (cut > 0 && strchr(" ,;:", ch->title[cut - 1]))
			cut--;
		return cw_asprintf("%.*s\xe2\x80\xa6", (int)cut, ch->title);
	}
	if (ch->title[0])
		return cw_strdup(ch->title);
	if (key && !strcmp(key, "preamble"))
		return cw_strdup("The opening text");
	return cw_asprintf("Provision %s", key ? key : "?");
}

/* "Disputes: a; b; c." with at most `n` points. */
/*
 * Append point text p to b, each quote in it (between U+201C and U+201D)
 * of more than qmax bytes cut to its first words and an ellipsis; qmax 0
 * keeps them whole.
 */
static void add_point(struct cw_buf *b, const char *p, size_t qmax)
{
	const char *open;

	while (qmax && (open = strstr(p, "\xe2\x80\x9c")) != NULL) {
		const char *in = open + 3;
		const char *close = strstr(in, "\xe2\x80\x9d");
		size_t n, cut;
		if (!close)
			break;
		n = (size_t)(close - in);
		cw_buf_add(b, p, (size_t)(in - p));
		if (n <= qmax) {
			cw_buf_add(b, in, n + 3);
		} else {
			cut = cw_utf8_floor(in, 0, qmax);
			while (cut > qmax / 2 && in[cut] != ' ')
				cut--;
			while (cut > 0 && strchr(" ,;:", in[cut - 1]))
				cut--;
			cw_buf_add(b, in, cut);
			cw_buf_adds(b, "\xe2\x80\xa6\xe2\x80\x9d");
		}
		p = close + 3;
	}
	cw_buf_adds(b, p);
}

static char *sentence(const struct cw_diff_change *ch, const struct said *s,
		      size_t n, const char *titles, size_t qmax)
{
	struct cw_buf b = CW_BUF_INIT;
	char *title = titles ? cw_strdup(titles) : change_title(ch);

	if (ch->kind == CW_DIFF_ADDED)
		cw_buf_addf(&b, "New provision %s", title);
	else if (ch->kind == CW_DIFF_REMOVED)
		cw_buf_addf(&b, "Provision %s removed", title);
	else
		cw_buf_adds(&b, title);
	free(title);
	if (s->topic) {
		/* said once: not when a point names the category */
		char *t = lower_name(s->topic);
		bool named = false;
		for (size_t i = 0; i < n && i < s->n && !named; i++)
			named = strstr(s->p[i].text, t) != NULL;
		if (!named)
			cw_buf_addf(&b, " (%s)", t);
		free(t);
	}
	for (size_t i = 0; i < n && i < s->n; i++) {
		cw_buf_adds(&b, i ? "; " : ": ");
		add_point(&b, s->p[i].text, qmax);
	}
	cw_buf_addc(&b, '.');
	return cw_buf_detach(&b, NULL);
}

/* The name of the strongest category the rules find in a provision
 * whose title does not say what it is about, unless the title holds the
 * name's first word ("Disputes" for dispute resolution). */
static const char *topic_of(const struct cw_diff_change *ch,
			    const struct cw_tax_matches *m)
{
	const struct cw_tax_match *best = NULL;
	char first[32];
	size_t n = 0;

	/* only a provision whose title says nothing of its subject
	 * ("S22", "4.5", none) */
	if (ch->title[0] && has_alpha(ch->title, strlen(ch->title)) &&
	    strlen(ch->title) > 4)
		return NULL;
	for (size_t i = 0; i < m->n && !best; i++)
		if (m->items[i].by_rules && m->items[i].explicit_text)
			best = &m->items[i];
	if (!best)
		return NULL;
	while (best->cat->name[n] && best->cat->name[n] != ' ' &&
	       n + 1 < sizeof(first)) {
		first[n] = best->cat->name[n];
		n++;
	}
	first[n] = 0;
	/* "Disputes" names dispute resolution: compare the stems */
	if (n > 5)
		first[n - 2] = 0;
	if (n >= 3 && names(ch->title, strlen(ch->title), first))
		return NULL;
	return best->cat->name;
}

static int side_read(struct cw_tax_matches *m, struct cw_params *p,
		     const struct cw_taxonomy *tax, const char *title,
		     const char *text, size_t start, size_t end,
		     struct cw_err *err)
{
	int rc = CW_OK;

	if (end <= start)
		return CW_OK;
	if (tax)
		rc = cw_taxonomy_detect(m, tax, title, text + start,
					end - start, err);
	if (!rc)
		rc = cw_params_extract(p, text + start, end - start, start,
				       NULL, 0, err);
	return rc;
}

/* A change that is presentation only: "{Title}: {what}.", cosmetic. */
static int presentation(struct said *s, struct cw_diff_change *ch,
			const char *what)
{
	char *t = change_title(ch);

	s->rank = RANK_COSMETIC;
	s->summary = cw_asprintf("%s: %s.", t, what);
	ch->materiality = CW_DIFF_COSMETIC;
	free(t);
	return CW_OK;
}

/* Everything a change says. */
static int read_change(struct said *s, const struct cw_diff *d,
		       struct cw_diff_change *ch, const struct cw_taxonomy *tax,
		       struct cw_err *err)
{
	struct cw_tax_matches ma = CW_TAX_MATCHES_INIT,
			      mb = CW_TAX_MATCHES_INIT;
	struct cw_params pa = CW_PARAMS_INIT, pb = CW_PARAMS_INIT;
	char *od = NULL, *nd = NULL;
	bool modal_only = false, negation = false;
	int rc;

	s->n = 0;
	s->summary = NULL;
	if (ch->materiality == CW_DIFF_NONE) {
		s->rank = 0;
		return CW_OK;
	}
	if (date_only(d, ch, &od, &nd)) {
		s->rank = RANK_DATE;
		s->summary = cw_asprintf("The document's date changed from %s "
					 "to %s.",
					 od, nd);
		ch->materiality = CW_DIFF_COSMETIC;
		free(od);
		free(nd);
		return CW_OK;
	}
	for (size_t i = 0; i < ch->n_spans && !s->date_line; i++) {
		const struct cw_diff_span *x = &ch->spans[i];
		size_t ds, de;
		int kind;
		/* a new line of date: "**Effective: January 1, 2026**" */
		if (x->op == CW_DIFF_OP_INS &&
		    (i == 0 || ch->spans[i - 1].op != CW_DIFF_OP_DEL ||
		     ch->spans[i - 1].new_start != x->new_start) &&
		    (kind = date_line_kind(d->new_text + x->new_start,
					   x->new_end - x->new_start, &ds,
					   &de)) != 0 &&
		    kind != 'd') {
			s->date_line =
				cw_asprintf("The document now says it %s %.*s.",
					    kind == 'e' ? "takes effect on"
							: "was updated on",
					    (int)(de - ds),
					    d->new_text + x->new_start + ds);
			break;
		}
	}
	for (size_t i = 0; i + 1 < ch->n_spans && !s->date_line; i++) {
		const struct cw_diff_span *x = &ch->spans[i], *y = x + 1;
		size_t oa, ob, na, nb;
		if (x->op == CW_DIFF_OP_DEL && y->op == CW_DIFF_OP_INS &&
		    y->new_start == x->new_start &&
		    date_in(d->old_text + x->old_start,
			    x->old_end - x->old_start, &oa, &ob) &&
		    date_in(d->new_text + y->new_start,
			    y->new_end - y->new_start, &na, &nb) &&
		    oa == na &&
		    !memcmp(d->old_text + x->old_start,
			    d->new_text + y->new_start, oa) &&
		    x->old_end - x->old_start - ob ==
			    y->new_end - y->new_start - nb &&
		    !memcmp(d->old_text + x->old_start + ob,
			    d->new_text + y->new_start + nb,
			    x->old_end - x->old_start - ob))
			s->date_line = cw_asprintf(
				"The document's date changed from "
				"%.*s to %.*s.",
				(int)(ob - oa), d->old_text + x->old_start + oa,
				(int)(nb - na),
				d->new_text + y->new_start + na);
	}
	size_t ro = 0, rn = 0;
	if (rename_only(d, ch, &s->renamed_from, &s->renamed_to, &ro, &rn) &&
	    punctuation_only(d, ch) &&
	    (strchr(s->renamed_from, ' ') ||
	     !same_alnum(s->renamed_from, strlen(s->renamed_from),
			 s->renamed_to, strlen(s->renamed_to)))) {
		/* "laws** – for" -> "laws**—for": the marks between words
		 * changed, not a name ("Yahoo!" -> "Yahoo" is one) */
		free(s->renamed_from);
		free(s->renamed_to);
		s->renamed_from = s->renamed_to = NULL;
	} else if (s->renamed_from) {
		char *t = change_title(ch);
		/* a company's new name is who the contract is with */
		bool firm = company_name(s->renamed_from) ||
			    company_name(s->renamed_to);
		s->rank = firm ? RANK_SUBSTANTIVE : RANK_RENAME;
		if (firm) {
			/* the whole names: "Google LLC" -> "Google Digital
			 * Inc.", not "LLC" -> "Digital Inc." */
			char *of = whole_name(d->old_text, ch->old_start, ro,
					      s->renamed_from);
			char *nf = whole_name(d->new_text, ch->new_start, rn,
					      s->renamed_to);
			free(s->renamed_from);
			free(s->renamed_to);
			s->renamed_from = of;
			s->renamed_to = nf;
			if (same_alnum(of, strlen(of), nf, strlen(nf))) {
				/* "VeraSafe, LLC " and "VeraSafe, LLC" */
				free(t);
				free(of);
				free(nf);
				s->renamed_from = s->renamed_to = NULL;
				return presentation(s, ch, "spacing only");
			}
		}
		s->summary = cw_asprintf(
			"%s: %s \xe2\x80\x9c%s\xe2\x80\x9d became "
			"\xe2\x80\x9c%s\xe2\x80\x9d.",
			t, firm ? "the contracting entity" : "renamed",
			s->renamed_from, s->renamed_to);
		ch->materiality = firm ? CW_DIFF_SUBSTANTIVE : CW_DIFF_COSMETIC;
		free(t);
		if (firm) {
			free(s->renamed_from);
			free(s->renamed_to);
			s->renamed_from = s->renamed_to = NULL;
		}
		return CW_OK;
	}
	if (numbering_only(d, ch)) {
		cw_strv_push(&ch->noise, "list_marker");
		return presentation(s, ch, "renumbered only");
	}
	if (punctuation_only(d, ch)) {
		s->punctuation = true;
		return presentation(s, ch, "punctuation only");
	}
	/* presentation only: nothing to read */
	if (ch->materiality == CW_DIFF_COSMETIC) {
		s->rank = RANK_COSMETIC;
		return CW_OK;
	}
	/* a reworded provision in which no fact moved keeps its
	 * categories: its values and edits are read, not its categories */
	{
		const struct cw_taxonomy *t =
			ch->materiality == CW_DIFF_EDITORIAL &&
					ch->kind != CW_DIFF_ADDED &&
					ch->kind != CW_DIFF_REMOVED
				? NULL
				: tax;
		rc = side_read(&ma, &pa, t, ch->title, d->old_text,
			       ch->old_start, ch->old_end, err);
		if (!rc)
			rc = side_read(&mb, &pb, t, ch->title, d->new_text,
				       ch->new_start, ch->new_end, err);
	}
	if (rc)
		goto out;
	s->topic = topic_of(ch, mb.n ? &mb : &ma);
	if (ch->materiality != CW_DIFF_COSMETIC) {
		bool said_a[CW_PARAM_COUNT] = { false },
		     said_b[CW_PARAM_COUNT] = { false };
		say_categories(s, d, ch, &ma, &mb, &pa, &pb, said_a, said_b);
		say_params(s, &pa, &pb, said_a, said_b);
		say_facts(s, d, ch, &pa, &pb, &modal_only, &negation);
		/* a company named or no longer named: who the terms are with,
		 * or who represents or receives the data */
		if (say_companies(s, d->new_text, ch->new_start, ch->new_end,
				  d->old_text, d->old_len, true) +
			    say_companies(s, d->old_text, ch->old_start,
					  ch->old_end, d->new_text, d->new_len,
					  false) >
		    0) {
			ch->materiality = CW_DIFF_SUBSTANTIVE;
			modal_only = false;
		}
		say_quotes(s, d, ch);
		/* where notices and requests go */
		if (s->address)
			ch->materiality = CW_DIFF_SUBSTANTIVE;
		/* a provision of terms added or removed, a sentence or
		 * more of them */
		if ((ch->kind == CW_DIFF_ADDED ||
		     ch->kind == CW_DIFF_REMOVED) &&
		    provision_words(d, ch) >= PROVISION_WORDS)
			ch->materiality = CW_DIFF_SUBSTANTIVE;
	}
	if (s->n) {
		s->rank = s->p[0].rank;
		s->summary = sentence(ch, s, POINTS_SAID, NULL, 0);
	} else if (ch->materiality == CW_DIFF_SUBSTANTIVE && modal_only &&
		   !negation && ch->kind != CW_DIFF_ADDED &&
		   ch->kind != CW_DIFF_REMOVED) {
		/* "can" became "may": the same terms, worded otherwise */
		char *t = change_title(ch);
		s->rank = RANK_WORDING;
		ch->materiality = CW_DIFF_EDITORIAL;
		s->summary = cw_asprintf("%s: wording changed; the same duties "
					 "and figures.",
					 t);
		free(t);
	} else {
		s->rank =
			ch->materiality == CW_DIFF_SUBSTANTIVE
				? (negation ? RANK_NEGATION : RANK_SUBSTANTIVE)
			: ch->materiality == CW_DIFF_EDITORIAL ? RANK_EDITORIAL
							       : RANK_COSMETIC;
	}
out:
	cw_tax_matches_release(&ma);
	cw_tax_matches_release(&mb);
	cw_params_release(&pa);
	cw_params_release(&pb);
	return rc;
}

static void said_release(struct said *s)
{
	free(s->date_line);
	s->date_line = NULL;
	free(s->renamed_from);
	free(s->renamed_to);
	s->renamed_from = s->renamed_to = NULL;
	for (size_t i = 0; i < s->n; i++)
		free(s->p[i].text);
	free(s->summary);
	s->n = 0;
	s->summary = NULL;
}

static int by_rank(const void *x, const void *y)
{
	const struct said *a = x, *b = y;

	if (a->rank != b->rank)
		return a->rank > b->rank ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* "Fees, Disputes and 3 others" */
static void list_titles(struct cw_buf *b, const struct cw_diff *d,
			const struct said *s, size_t n, int min_rank,
			int max_rank)
{
	size_t said = 0, total = 0;

	for (size_t i = 0; i < n; i++)
		if (s[i].rank >= min_rank && s[i].rank <= max_rank)
			total++;
	for (size_t i = 0; i < n && said < 3; i++) {
		char *t;
		if (s[i].rank < min_rank || s[i].rank > max_rank)
			continue;
		t = change_title(&d->changes[i]);
		cw_buf_addf(b, "%s%s",
			    said == 0			     ? ""
			    : said + 1 == total || said == 2 ? " and "
							     : ", ",
			    t);
		free(t);
		said++;
	}
	if (total > said)
		cw_buf_addf(b, " (%zu more)", total - said);
}

/* Most provisions named before a point they share */
#define SHARED_TITLES 2

/*
 * A modified provision whose first point is the first point of an earlier
 * one ("contact address changed from A to B" in three sections): the index
 * among picks of that one, or -1. Its other points are in its own
 * summary; the document's names it with the other.
 */
static long same_point(const struct cw_diff *d, const struct said *s,
		       const size_t *pick, size_t np, size_t i)
{
	if (s[i].n < 1 || d->changes[i].kind == CW_DIFF_ADDED ||
	    d->changes[i].kind == CW_DIFF_REMOVED)
		return -1;
	for (size_t j = 0; j < np; j++) {
		const struct said *x = &s[pick[j]];
		if (x->n && d->changes[pick[j]].kind != CW_DIFF_ADDED &&
		    d->changes[pick[j]].kind != CW_DIFF_REMOVED &&
		    !strcmp(x->p[0].text, s[i].p[0].text))
			return (long)j;
	}
	return -1;
}

/* "Submitting requests, Authorizing an agent and Your rights (2 more)":
 * the titles of idx[0..n) (at most SHARED_TITLES kept) of `total` */
static char *shared_titles(const struct cw_diff *d, const size_t *idx, size_t n,
			   size_t total)
{
	struct cw_buf b = CW_BUF_INIT;

	for (size_t m = 0; m < n; m++) {
		char *t = change_title(&d->changes[idx[m]]);
		cw_buf_addf(&b, "%s%s",
			    m == 0	 ? ""
			    : m + 1 == n ? " and "
					 : ", ",
			    t);
		free(t);
	}
	if (total > n)
		cw_buf_addf(&b, " (%zu more)", total - n);
	return cw_buf_detach(&b, NULL);
}

/*
 * The sentences of the best-ranked changes (at most MAX_SENTENCES, one a
 * change, the same sentence once; provisions whose one point is another's
 * first are named with it) into b: each change with one point first, then
 * one more point to each in turn while the whole fits in
 * CW_MEANING_SUMMARY_MAX. Returns how many sentences.
 */
static size_t said_sentences(struct cw_buf *b, const struct cw_diff *d,
			     const struct said *s, size_t n, size_t budget,
			     size_t qmax)
{
	size_t pick[MAX_SENTENCES], k[MAX_SENTENCES], np = 0;
	size_t with[MAX_SENTENCES][SHARED_TITLES], nwith[MAX_SENTENCES];
	char *text[MAX_SENTENCES] = { NULL };
	char *titles[MAX_SENTENCES] = { NULL };
	bool grew = true;

	for (size_t i = 0; i < n && np < MAX_SENTENCES; i++) {
		bool dup = false;
		long j;
		if (s[i].rank < RANK_SUBSTANTIVE)
			break;
		if ((j = same_point(d, s, pick, np, i)) >= 0) {
			if (nwith[j] < SHARED_TITLES)
				with[j][nwith[j]] = i;
			nwith[j]++;
			free(titles[j]);
			titles[j] = shared_titles(d, with[j],
						  nwith[j] < SHARED_TITLES
							  ? nwith[j]
							  : SHARED_TITLES,
						  nwith[j]);
			free(text[j]);
			text[j] = sentence(&d->changes[pick[j]], &s[pick[j]],
					   k[j], titles[j], qmax);
			continue;
		}
		text[np] =
			s[i].n ? sentence(&d->changes[i], &s[i], 1, NULL, qmax)
			       : cw_strdup(d->changes[i].summary
						   ? d->changes[i].summary
						   : "");
		for (size_t m = 0; m < np && !dup; m++)
			dup = !strcmp(text[m], text[np]);
		if (!text[np][0] || dup) {
			free(text[np]);
			text[np] = NULL;
			continue;
		}
		pick[np] = i;
		with[np][0] = i;
		nwith[np] = 1;
		k[np++] = 1;
	}
	while (grew) {
		grew = false;
		for (size_t j = 0; j < np; j++) {
			const struct said *x = &s[pick[j]];
			size_t total = 0;
			char *t;
			if (k[j] >= x->n)
				continue;
			t = sentence(&d->changes[pick[j]], x, k[j] + 1,
				     titles[j], qmax);
			for (size_t m = 0; m < np; m++)
				total += (m ? 1 : 0) +
					 strlen(m == j ? t : text[m]);
			if (total > budget) {
				free(t);
				continue;
			}
			free(text[j]);
			text[j] = t;
			k[j]++;
			grew = true;
		}
	}
	for (size_t j = 0; j < np; j++)
		free(titles[j]);
	/* the first sentences that fit, in rank order */
	for (size_t j = 0; j < np; j++) {
		if (b->len + (b->len > 0) + strlen(text[j]) > budget) {
			for (size_t m = j; m < np; m++)
				free(text[m]);
			return j;
		}
		cw_buf_addf(b, "%s%s", b->len ? " " : "", text[j]);
		free(text[j]);
	}
	return np;
}

/* What the cosmetic changes of a diff touched, in words: "punctuation,
 * links, numbering". */
static void presentation_kinds(struct cw_buf *b, const struct cw_diff *d,
			       const struct said *s, size_t n)
{
	static const char *const words[][2] = {
		{ "punctuation", "punctuation" },
		{ "quotes_dashes", "quotes and dashes" },
		{ "emphasis", "formatting" },
		{ "rule_line", "formatting" },
		{ "link", "links" },
		{ "tracking_param", "links" },
		{ "list_marker", "numbering" },
		{ "heading_case", "capitals" },
		{ "whitespace", "spacing" },
		{ "invisible", "invisible characters" },
		{ "phrase", "boilerplate phrases" },
		{ "date_line", "the date line" },
	};
	bool seen[sizeof(words) / sizeof(*words)] = { false };

	for (size_t i = 0; i < n; i++) {
		const struct cw_diff_change *ch = &d->changes[i];
		if (s[i].rank != RANK_COSMETIC)
			continue;
		for (size_t w = 0; w < sizeof(words) / sizeof(*words); w++) {
			bool hit = w == 0 && s[i].punctuation;
			for (size_t k = 0; k < ch->noise.n && !hit; k++)
				hit = !strcmp(ch->noise.v[k], words[w][0]);
			seen[w] = seen[w] || hit;
		}
	}
	for (size_t w = 0; w < sizeof(words) / sizeof(*words); w++) {
		bool dup = false;
		if (!seen[w])
			continue;
		for (size_t v = 0; v < w && !dup; v++)
			dup = seen[v] && !strcmp(words[v][1], words[w][1]);
		if (!dup)
			cw_buf_addf(b, "%s%s", b->len ? ", " : "", words[w][1]);
	}
}

/* At most CW_MEANING_SUMMARY_MAX bytes: the whole sentences that fit, or
 * the words that do and an ellipsis */
static void cap_summary(struct cw_buf *b)
{
	size_t cut;

	if (b->len <= CW_MEANING_SUMMARY_MAX)
		return;
	cut = cw_utf8_floor(b->ptr, 0, CW_MEANING_SUMMARY_MAX - 3);
	for (size_t i = cut; i > 1; i--)
		if (b->ptr[i - 1] == ' ' && b->ptr[i - 2] == '.') {
			cw_buf_truncate(b, i - 1);
			return;
		}
	while (cut > 0 && b->ptr[cut - 1] != ' ')
		cut--;
	cw_buf_truncate(b, cut ? cut - 1 : 0);
	cw_buf_adds(b, "\xe2\x80\xa6");
}

static char *document_summary(const struct cw_diff *d, const struct said *s,
			      size_t n)
{
	struct cw_buf b = CW_BUF_INIT;
	size_t sentences = 0;
	const char *date = NULL;
	size_t editorial = 0, cosmetic = 0;

	const struct said *rename = NULL;
	size_t renames = 0, reserve;
	static const size_t qmax[] = { 0, QUOTE_SHORT, QUOTE_SHORTER };

	for (size_t i = 0; i < n; i++) {
		if (s[i].date_line && !date)
			date = s[i].date_line;
		if (s[i].rank == RANK_DATE && !date)
			date = d->changes[i].summary;
		else if (s[i].rank >= RANK_EDITORIAL &&
			 s[i].rank < RANK_SUBSTANTIVE)
			editorial++;
		else if (s[i].rank == RANK_COSMETIC)
			cosmetic++;
		else if (s[i].rank == RANK_RENAME) {
			/* the first rename, and how many provisions it
			 * touched */
			if (!rename)
				rename = &s[i];
			renames +=
				same_value(s[i].renamed_from,
					   rename->renamed_from) &&
				same_value(s[i].renamed_to, rename->renamed_to);
		}
	}
	/* room is kept for a date the terms take effect on; the date of
	 * an update is said when there is room left */
	reserve = date && strstr(date, "takes effect") ? strlen(date) + 1 : 0;
	/* whole quotes, or shorter ones when they let one more change be
	 * said */
	for (size_t q = 0, best = 0; q < sizeof(qmax) / sizeof(*qmax); q++) {
		struct cw_buf t = CW_BUF_INIT;
		size_t ns = said_sentences(
			&t, d, s, n, CW_MEANING_SUMMARY_MAX - reserve, qmax[q]);
		if (q == 0 || ns > best) {
			cw_buf_release(&b);
			b = t;
			sentences = best = ns;
		} else {
			cw_buf_release(&t);
		}
	}
	if (sentences == 0 && editorial) {
		struct cw_buf l = CW_BUF_INIT, k = CW_BUF_INIT;
		list_titles(&l, d, s, n, RANK_EDITORIAL, RANK_SUBSTANTIVE - 1);
		presentation_kinds(&k, d, s, n);
		cw_buf_addf(&b, "No substantive change: %s reworded", l.ptr);
		if (k.len)
			cw_buf_addf(&b,
				    ", and presentation only (%s) in %zu "
				    "provision%s",
				    k.ptr, cosmetic, cosmetic == 1 ? "" : "s");
		cw_buf_adds(&b, "; no duty, figure, forum or category moved.");
		cw_buf_release(&l);
		cw_buf_release(&k);
		sentences++;
	}
	if (rename && sentences < MAX_SENTENCES) {
		char *r = cw_asprintf("Renamed: \xe2\x80\x9c%s\xe2\x80\x9d "
				      "became "
				      "\xe2\x80\x9c%s\xe2\x80\x9d in %zu "
				      "provision%s.",
				      rename->renamed_from, rename->renamed_to,
				      renames, renames == 1 ? "" : "s");
		/* when it fits beside the date kept for last */
		if (b.len + (b.len > 0) + strlen(r) + reserve <=
		    CW_MEANING_SUMMARY_MAX) {
			cw_buf_addf(&b, "%s%s", b.len ? " " : "", r);
			sentences++;
		}
		free(r);
	}
	if (sentences == 0 && cosmetic) {
		struct cw_buf l = CW_BUF_INIT, k = CW_BUF_INIT;
		list_titles(&l, d, s, n, RANK_COSMETIC, RANK_COSMETIC);
		presentation_kinds(&k, d, s, n);
		cw_buf_addf(&b,
			    "No substantive change: presentation only (%s) in "
			    "%s.",
			    k.len ? k.ptr : "formatting", l.ptr);
		cw_buf_release(&l);
		cw_buf_release(&k);
		sentences++;
	}
	if (date && sentences < MAX_SENTENCES &&
	    b.len + (b.len > 0) + strlen(date) <= CW_MEANING_SUMMARY_MAX)
		cw_buf_addf(&b, "%s%s", b.len ? " " : "", date);
	if (b.len == 0)
		cw_buf_adds(&b, "No provision changed.");
	cap_summary(&b);
	return cw_buf_detach(&b, NULL);
}

int cw_meaning_explain(struct cw_diff *d, char **summary,
		       const struct cw_taxonomy *tax, struct cw_err *err)
{
	struct said *s = cw_calloc(d->n + 1, sizeof(*s));
	struct cw_diff_change *sorted;
	int rc = CW_OK;

	*summary = NULL;
	for (size_t i = 0; i < d->n && !rc; i++) {
		s[i].index = i;
		rc = read_change(&s[i], d, &d->changes[i], tax, err);
	}
	if (rc)
		goto out;
	/* the new summaries, then the order of rank */
	for (size_t i = 0; i < d->n; i++)
		if (s[i].summary) {
			free(d->changes[i].summary);
			d->changes[i].summary = s[i].summary;
			s[i].summary = NULL;
		}
	qsort(s, d->n, sizeof(*s), by_rank);
	sorted = cw_calloc(d->n + 1, sizeof(*sorted));
	for (size_t i = 0; i < d->n; i++)
		sorted[i] = d->changes[s[i].index];
	free(d->changes);
	d->changes = sorted;
	*summary = document_summary(d, s, d->n);
out:
	for (size_t i = 0; i < d->n; i++)
		said_release(&s[i]);
	free(s);
	return rc;
}

json_t *cw_meaning_diff_json(const struct cw_diff *d, const char *summary)
{
	/* the summary first: it is what a reader reads */
	json_t *j = json_pack("{ss?}", "summary", summary);
	json_t *diff = cw_diff_to_json(d);

	json_object_update(j, diff);
	json_decref(diff);
	return j;
}
