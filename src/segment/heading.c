/*
 * heading.c: which lines of a version's text are headings.
 *
 * One pass over the lines; each line is looked at through a bounded window
 * (LINE_WINDOW bytes) so that a megabyte-long line costs no more than a
 * short one. A line is a candidate when it is:
 *
 * - a Markdown ATX heading ("## 3. Fees") or a setext heading (a line
 *   underlined with "===" or "---"): sigclass SC_ATX, always a heading;
 * - "Section 3 ..." / "Article II ...": SC_STRONG;
 * - a numbered line with a title: "1. Who We Are", "**1\. Fees**",
 *   "1.  **PURPOSE**. This Agreement", "A. License and Restrictions. If
 *   Apple...", "(a) **Access.** We may", or a number alone on its line
 *   followed by a title line ("2.\nAccount Creation"); multi-level numbers
 *   ("1.1 We grant you ...") need no title: SC_HEADING;
 * - a whole bold line ("**Guest Terms**") or an all-caps line: SC_HEADING;
 * - a bold lead-in ("**Minimum age**. You must ...") or, in plain-text
 *   scrapes, a short title line followed by a line that starts with "."
 *   ("Sharing your LoRA\n.  If you choose ..."): SC_LEADIN.
 *
 * A numbered line that is a plain sentence ("1. Don't compromise the
 * privacy of others, including:") is an item, a candidate of its own kind:
 * segment.c makes it a heading only where it continues a numbering of
 * headings, or where a text with no heading of its own is a list of such
 * sentences; lists of prohibited uses otherwise stay inside the provision
 * that introduces them. Whether a candidate really becomes a heading
 * (numbering in sequence, nesting) is decided in segment.c.
 */
#include "segment_int.h"

#include <ctype.h>

/* Bytes of a line looked at for a heading; longer lines are not titles. */
#define LINE_WINDOW 512
/* Longest title, in words, of a title-only line and of a lead-in. */
#define TITLE_MAX_WORDS 16
#define LEADIN_MAX_WORDS 10
/* Bytes of an item's title: its first clause, cut at a word */
#define ITEM_TITLE_MAX 120

struct line {
	size_t s;  /* first byte */
	size_t e;  /* end of visible content (trailing blanks and \r cut) */
	size_t nx; /* first byte of the next line */
};

/* Space, tab or U+00A0 (the scrapes are full of NBSP): its length or 0. */
static size_t ws_len(const char *t, size_t p, size_t e)
{
	if (p >= e)
		return 0;
	if (t[p] == ' ' || t[p] == '\t')
		return 1;
	if ((unsigned char)t[p] == 0xC2 && p + 1 < e &&
	    (unsigned char)t[p + 1] == 0xA0)
		return 2;
	return 0;
}

static size_t skip_ws(const char *t, size_t p, size_t e)
{
	size_t k;

	while ((k = ws_len(t, p, e)) > 0)
		p += k;
	return p;
}

/* The line starting at `p` (< len) */
static struct line line_from(const char *t, size_t len, size_t p)
{
	const char *nl = memchr(t + p, '\n', len - p);
	size_t e = nl ? (size_t)(nl - t) : len;
	size_t nx = nl ? e + 1 : len;
	size_t ce = e;

	/* trailing blanks (and a CR) are not content */
	while (ce > p) {
		unsigned char c = (unsigned char)t[ce - 1];
		if (c == ' ' || c == '\t' || c == '\r')
			ce--;
		else if (c == 0xA0 && ce - 1 > p &&
			 (unsigned char)t[ce - 2] == 0xC2)
			ce -= 2;
		else
			break;
	}
	return (struct line){ p, ce, nx };
}

/* ---- numbering labels ---- */

static int roman_value(const char *s, size_t n)
{
	static const struct {
		const char *r;
		int v;
	} tab[] = { { "m", 1000 }, { "cm", 900 }, { "d", 500 }, { "cd", 400 },
		    { "c", 100 },  { "xc", 90 },  { "l", 50 },	{ "xl", 40 },
		    { "x", 10 },   { "ix", 9 },	  { "v", 5 },	{ "iv", 4 },
		    { "i", 1 } };
	char low[8];
	size_t i = 0, k;
	int v = 0;

	if (n == 0 || n > 7)
		return 0;
	for (k = 0; k < n; k++)
		low[k] = (char)tolower((unsigned char)s[k]);
	/* greedy decoding of the canonical form; anything left is not roman */
	for (k = 0; k < sizeof(tab) / sizeof(tab[0]) && i < n; k++) {
		size_t rl = strlen(tab[k].r);
		int reps = 0;
		while (i + rl <= n && memcmp(low + i, tab[k].r, rl) == 0 &&
		       reps < (rl == 1 ? 3 : 1)) {
			v += tab[k].v;
			i += rl;
			reps++;
		}
	}
	return i == n ? v : 0;
}

static bool is_label_end(const char *t, size_t p, size_t e)
{
	return p >= e || ws_len(t, p, e) > 0 || t[p] == '*' || t[p] == '_';
}

/*
 * Parse a label at t[p..e): "1." "1)" "(1)" "1\." "a." "(iv)" "IV." "1.2"
 * "1.2.3." "Section 3" "ARTICLE II.". Returns the position after it, or 0.
 */
static size_t parse_label_raw(const char *t, size_t p, size_t e,
			      struct numlabel *nl)
{
	size_t q = p;
	bool open = false;

	memset(nl, 0, sizeof(*nl));
	if (q < e && t[q] == '(') {
		open = true;
		q++;
	}
	if (!open && e - q > 8 &&
	    (cw_strncasecmp_ascii(t + q, "section", 7) == 0 ||
	     cw_strncasecmp_ascii(t + q, "article", 7) == 0) &&
	    ws_len(t, q + 7, e)) {
		int style = (t[q] == 's' || t[q] == 'S') ? NS_SECTION
							 : NS_ARTICLE;
		size_t r = skip_ws(t, q + 7, e), s0 = r;
		if (r < e && isdigit((unsigned char)t[r])) {
			while (r < e && r - s0 < 8 &&
			       (isdigit((unsigned char)t[r]) ||
				(t[r] == '.' && r + 1 < e &&
				 isdigit((unsigned char)t[r + 1]))))
				r++;
		} else {
			while (r < e && r - s0 < 7 &&
			       strchr("IVXLCivxlc", t[r]))
				r++;
			if (!roman_value(t + s0, r - s0))
				return 0;
		}
		if (r == s0 || r - s0 >= sizeof(nl->text))
			return 0;
		memcpy(nl->text, t + s0, r - s0);
		nl->text[r - s0] = '\0';
		nl->ncomp = 1;
		nl->comp[0] = 0;
		if (r < e && (t[r] == '.' || t[r] == ':'))
			r++;
		if (!is_label_end(t, r, e))
			return 0;
		nl->style = style;
		nl->punct = NP_NONE;
		return r;
	}
	if (q < e && isdigit((unsigned char)t[q])) {
		long v = 0;
		size_t d0 = q;
		while (q < e && isdigit((unsigned char)t[q]) && q - d0 < 3)
			v = v * 10 + (t[q++] - '0');
		if (q < e && isdigit((unsigned char)t[q]))
			return 0; /* 4 digits: a year or an amount */
		nl->comp[0] = v;
		nl->ncomp = 1;
		for (;;) {
			size_t r = q;
			if (r < e && t[r] == '\\')
				r++;
			if (!(r + 1 < e && t[r] == '.' &&
			      isdigit((unsigned char)t[r + 1])))
				break;
			r++;
			v = 0;
			d0 = r;
			while (r < e && isdigit((unsigned char)t[r]) &&
			       r - d0 < 3)
				v = v * 10 + (t[r++] - '0');
			if (r < e && isdigit((unsigned char)t[r]))
				return 0;
			if (nl->ncomp == CW_SEG_MAX_COMP)
				return 0;
			nl->comp[nl->ncomp++] = v;
			q = r;
		}
		if (nl->ncomp > 1) {
			if (open)
				return 0;
			if (q < e && t[q] == '\\' && q + 1 < e &&
			    t[q + 1] == '.')
				q += 2;
			else if (q < e && t[q] == '.')
				q++;
			if (!is_label_end(t, q, e))
				return 0;
			nl->style = NS_DECK;
			nl->punct = NP_NONE;
			size_t o = 0;
			for (int i = 0; i < nl->ncomp; i++)
				o += (size_t)snprintf(nl->text + o,
						      sizeof(nl->text) - o,
						      i ? ".%ld" : "%ld",
						      nl->comp[i]);
			return q;
		}
		nl->style = NS_DEC;
		snprintf(nl->text, sizeof(nl->text), "%ld", nl->comp[0]);
	} else if (q < e && isalpha((unsigned char)t[q])) {
		size_t a0 = q;
		while (q < e && isalpha((unsigned char)t[q]) && q - a0 < 8)
			q++;
		size_t n = q - a0;
		bool upper = isupper((unsigned char)t[a0]);
		for (size_t k = a0; k < q; k++)
			if (!!isupper((unsigned char)t[k]) != upper)
				return 0;
		int rv = roman_value(t + a0, n);
		if (n == 1) {
			nl->style = upper ? NS_ALPHA_U : NS_ALPHA_L;
			nl->comp[0] = tolower((unsigned char)t[a0]) - 'a' + 1;
			if (rv) {
				nl->alt_style = upper ? NS_ROMAN_U : NS_ROMAN_L;
				nl->alt_value = rv;
			}
		} else if (rv) {
			nl->style = upper ? NS_ROMAN_U : NS_ROMAN_L;
			nl->comp[0] = rv;
		} else {
			return 0;
		}
		nl->ncomp = 1;
		memcpy(nl->text, t + a0, n);
		nl->text[n] = '\0';
	} else {
		return 0;
	}
	/* the closing punctuation */
	if (q < e && t[q] == ')') {
		nl->punct = open ? NP_BOTH : NP_PAREN;
		q++;
	} else if (open) {
		return 0;
	} else if (q < e && t[q] == '.') {
		nl->punct = NP_DOT;
		q++;
	} else if (q + 1 < e && t[q] == '\\' && t[q + 1] == '.') {
		nl->punct = NP_DOT;
		q += 2;
	} else {
		return 0;
	}
	if (!is_label_end(t, q, e))
		return 0;
	return q;
}

static size_t parse_label(const char *t, size_t p, size_t e,
			  struct numlabel *nl)
{
	size_t r = parse_label_raw(t, p, e, nl);

	if (!r)
		memset(nl, 0, sizeof(*nl));
	return r;
}

/* Skip an empty anchor link "[](#x)" that some pages put before a title */
static size_t skip_anchor(const char *t, size_t p, size_t e)
{
	if (e - p > 4 && t[p] == '[' && t[p + 1] == ']' && t[p + 2] == '(') {
		const char *cp = memchr(t + p + 3, ')', e - p - 3);
		if (cp)
			return (size_t)(cp - t) + 1;
	}
	return p;
}

/* Skip what may open a heading's text before its number: "**", "__",
 * "[" ("### [**13.3 Our service providers**](#x)") */
static size_t skip_openers(const char *t, size_t p, size_t e)
{
	for (int i = 0; i < 3 && p < e; i++) {
		if (t[p] == '[')
			p++;
		else if (p + 1 < e && (t[p] == '*' || t[p] == '_') &&
			 t[p + 1] == t[p])
			p += 2;
		else
			break;
	}
	return p;
}

/*
 * Markdown levels order the headings; a multi-level number refines them so
 * that "### 2.3" sits under "### 2." as its numbering says.
 */
static int atx_sig(int level, const struct numlabel *nl)
{
	return level * 8 + (nl->style == NS_DECK ? nl->ncomp - 1 : 0);
}

/* ---- what a title looks like ---- */

struct tstats {
	int words;	/* words with a letter or digit */
	int longw;	/* words of 4+ letters */
	int capw;	/* ... of which capitalised (or not Latin) */
	bool first_up;	/* first letter upper case, a digit, or not Latin */
	bool has_lower; /* some ASCII lower-case letter */
	int letters;
	char last;	     /* last visible character (markup skipped) */
	bool connective_end; /* ends with "and", "or", "the", "our" ... */
};

static bool is_markup(char c)
{
	return c == '*' || c == '_' || c == '\\' || c == '`' || c == '[' ||
	       c == ']';
}

static void title_stats(const char *t, size_t a, size_t b, struct tstats *st)
{
	/* words that end a phrase leading into more text, "... for" or a
	 * list that follows: "Don't compromise the privacy of others,
	 * including" */
	static const char *const conn[] = {
		"and",	"or",	     "the",	  "of",	     "to",
		"our",	"a",	     "an",	  "in",	     "for",
		"with", "by",	     "your",	  "any",     "as",
		"that", "which",     "including", "include", "includes",
		"from", "following", "such",	  "like",    "than"
	};
	size_t p = a;
	bool seen_first = false;
	size_t lw_s = 0, lw_e = 0;

	memset(st, 0, sizeof(*st));
	while (p < b) {
		size_t k = ws_len(t, p, b);
		if (k) {
			p += k;
			continue;
		}
		/* a link target "](...)" is not words */
		if (t[p] == ']' && p + 1 < b && t[p + 1] == '(') {
			const char *cp = memchr(t + p, ')', b - p);
			p = cp ? (size_t)(cp - t) + 1 : b;
			continue;
		}
		size_t ws = p;
		int wl = 0, nletters = 0;
		bool cap = false, first = true, word = false;
		while (p < b && !ws_len(t, p, b)) {
			unsigned char c = (unsigned char)t[p];
			if (c == ']' && p + 1 < b && t[p + 1] == '(')
				break;
			if (isalnum(c) || c >= 0x80) {
				if (first) {
					cap = isupper(c) || isdigit(c) ||
					      (c >= 0xC3 && c != 0xE2);
					first = false;
					if (!seen_first) {
						st->first_up = cap;
						seen_first = true;
					}
				}
				if (isalpha(c))
					nletters++;
				if (islower(c))
					st->has_lower = true;
				word = true;
				wl++;
			}
			if (!is_markup((char)c) && c != ' ')
				st->last = (char)c;
			p++;
		}
		if (word) {
			st->words++;
			st->letters += nletters;
			if (wl >= 4) {
				st->longw++;
				if (cap)
					st->capw++;
			}
			lw_s = ws;
			lw_e = p;
		}
	}
	/* the last word, without markup, against the connectives */
	while (lw_s < lw_e && !isalpha((unsigned char)t[lw_s]))
		lw_s++;
	while (lw_e > lw_s && !isalpha((unsigned char)t[lw_e - 1]))
		lw_e--;
	for (size_t i = 0; i < sizeof(conn) / sizeof(conn[0]); i++)
		if (strlen(conn[i]) == lw_e - lw_s &&
		    memcmp(conn[i], t + lw_s, lw_e - lw_s) == 0)
			st->connective_end = true;
}

/* Mostly capitalised words: "License and Restrictions", "MINIMUM AGE" */
static bool titleish(const struct tstats *st)
{
	return st->first_up && 3 * st->capw >= 2 * st->longw;
}

/* A whole line (or bold span) that reads as a title */
static bool title_ok(const struct tstats *st, int maxw)
{
	if (st->words < 1 || st->words > maxw || !st->first_up ||
	    st->connective_end)
		return false;
	switch (st->last) {
	case ',':
	case ';':
	case '!':
		return false;
	case '.':
		/* "Equitable relief." is a title, "Don't do that." is not
		 * told apart here: both are short; longer ones must be
		 * capitalised like a title ("Updates to the Services or
		 * Software and Changes to These Terms.") */
		return st->words <= 4 ? st->first_up : titleish(st);
	case ':':
		return st->words <= 5;
	default:
		return true;
	}
}

/* "Effective: July 31, 2025", "Last updated ...": a date line, not a title */
static bool is_date_line(const char *t, size_t a, size_t b)
{
	static const char *const kw[] = { "effective",	  "last updated",
					  "updated",	  "last modified",
					  "last revised", "revised",
					  "date",	  "version",
					  "dernière" };
	size_t p = a;
	bool digit = false;

	/* markup, blanks and an emoji or two before the keyword */
	while (p < b && p < a + 24 && !isalnum((unsigned char)t[p]))
		p++;
	for (size_t q = p; q < b && q < p + 80; q++)
		if (isdigit((unsigned char)t[q]))
			digit = true;
	if (!digit)
		return false;
	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
		size_t n = strlen(kw[i]);
		if (b - p >= n && cw_strncasecmp_ascii(t + p, kw[i], n) == 0)
			return true;
	}
	return false;
}

/* A setext underline: indentation (a heading in a list item), then only
 * '=' or only '-' (2+) */
static int setext_level(const char *t, const struct line *ln)
{
	size_t p = ln->s, n = 0;
	char c;

	while (p < ln->e && t[p] == ' ' && p - ln->s < 16)
		p++;
	if (p >= ln->e || (t[p] != '=' && t[p] != '-'))
		return 0;
	c = t[p];
	while (p < ln->e && t[p] == c) {
		p++;
		n++;
	}
	if (p != ln->e || n < 2)
		return 0;
	return c == '=' ? 1 : 2;
}

static bool is_blank(const struct line *ln)
{
	return ln->s >= ln->e;
}

/* The line starts a list bullet, table, quote or thematic break */
static bool is_block_markup(const char *t, size_t p, size_t e)
{
	char c = t[p];

	if (c == '|' || c == '>')
		return true;
	if ((c == '*' || c == '-' || c == '+') && p + 1 < e &&
	    (t[p + 1] == ' ' || t[p + 1] == '\t'))
		return true;
	if (c == '-' && p + 1 >= e)
		return true;
	return false;
}

static bool ends_sentence(const char *t, const struct line *ln)
{
	size_t p = ln->e;

	while (p > ln->s && is_markup(t[p - 1]))
		p--;
	if (p == ln->s)
		return true;
	return strchr(".!?:", t[p - 1]) != NULL;
}

/* Find "**" or "__" closing a bold span opened before t[p] */
static size_t find_bold_close(const char *t, size_t p, size_t e, char m)
{
	size_t lim = p + 300 < e ? p + 300 : e;

	for (size_t q = p; q + 1 < lim; q++)
		if (t[q] == m && t[q + 1] == m)
			return q;
	return 0;
}

/*
 * Lines are computed as the scan reaches them and kept in a small ring, so
 * memory does not grow with the number of lines: classify() looks at most
 * one line back and LOOKAHEAD lines ahead.
 */
#define WIN 8
#define LOOKAHEAD 3

struct ctx {
	const char *t;
	size_t len;
	struct line win[WIN]; /* line i is win[i % WIN] */
	size_t have;	      /* lines computed so far */
	size_t next;	      /* offset of line `have` */
	struct candv *out;
	size_t max_cands;  /* stop looking past this many candidates */
	bool prev_heading; /* the previous non-blank line was a heading */
	bool has_prev_nb;
	struct line prev_nb; /* the previous non-blank line */
};

/* Line i, or NULL past the end of the text */
static const struct line *line_at(struct ctx *c, size_t i)
{
	while (c->have <= i && c->next < c->len) {
		struct line ln = line_from(c->t, c->len, c->next);
		c->win[c->have % WIN] = ln;
		c->have++;
		c->next = ln.nx;
	}
	return i < c->have ? &c->win[i % WIN] : NULL;
}

static void emit(struct ctx *c, const struct cand *cd)
{
	CW_GROW(c->out->v, c->out->cap, c->out->n + 1);
	c->out->v[c->out->n++] = *cd;
}

/* A title-only heading from tstart to tend whose body starts at `body`. */
static void emit_title(struct ctx *c, struct cand *cd, size_t tstart,
		       size_t tend, size_t body, int sig, int sclass)
{
	cd->tstart = tstart;
	cd->tend = tend;
	cd->body = body;
	cd->titleonly = true;
	cd->sig = sig;
	cd->sclass = sclass;
	emit(c, cd);
	c->prev_heading = true;
}

int cw_seg_sig_of(const struct numlabel *nl)
{
	if (nl->style == NS_DECK)
		return 16 + NS_DECK * 8 + nl->ncomp;
	return 16 + nl->style * 8 + nl->punct;
}

/*
 * Title and body of what follows a label or starts a paragraph, from
 * t[p..e) of line i. Fills cd->tstart/tend/body/titleonly/deco; returns
 * false when there is no title.
 */
static bool title_after(struct ctx *c, size_t i, size_t p, size_t e,
			bool bold_open, char m, bool numbered, struct cand *cd)
{
	const char *t = c->t;
	const struct line *ln = line_at(c, i);
	struct tstats st;

	p = skip_ws(t, p, e);
	if (!bold_open && p + 1 < e &&
	    ((t[p] == '*' && t[p + 1] == '*') ||
	     (t[p] == '_' && t[p + 1] == '_'))) {
		bold_open = true;
		m = t[p];
		p += 2;
	}
	if (bold_open) {
		size_t z = find_bold_close(t, p, e, m);
		if (!z) {
			/* "1.  **YOUR RELATIONSHIP WITH YAHOO  \n\n    **":
			 * the bold closes alone on a later line */
			size_t j = i + 1;
			const struct line *lj;
			while ((lj = line_at(c, j)) && j < i + LOOKAHEAD &&
			       is_blank(lj))
				j++;
			if (!lj || j >= i + LOOKAHEAD)
				return false;
			size_t a = skip_ws(t, lj->s, lj->e);
			if (lj->e - a != 2 || t[a] != m || t[a + 1] != m)
				return false;
			title_stats(t, p, e, &st);
			if (!title_ok(&st, TITLE_MAX_WORDS))
				return false;
			cd->deco |= 1;
			cd->tstart = p;
			cd->tend = e;
			cd->titleonly = true;
			cd->body = lj->nx;
			return true;
		}
		if (z == p && numbered) {
			/* "**1.** Title" : the bold held the label only */
			return title_after(c, i, z + 2, e, false, 0, numbered,
					   cd);
		}
		title_stats(t, p, z, &st);
		size_t r = z + 2;
		size_t rest = r;
		while (rest < e && (t[rest] == '.' || t[rest] == ':' ||
				    ws_len(t, rest, e) || is_markup(t[rest])))
			rest++;
		cd->deco |= 1;
		cd->tstart = p;
		cd->tend = z;
		if (rest >= e) {
			/* the whole line is bold */
			if (!title_ok(&st, numbered ? TITLE_MAX_WORDS : 12))
				return false;
			cd->titleonly = true;
			cd->body = ln->nx;
			return true;
		}
		/* a lead-in: "**Title**. Body" / "**Title.** Body"; under a
		 * number ("3. **Don't repurpose or distribute output from our
		 * services to harm others** - for example") the number says
		 * it is a provision, and its title may be as long as a
		 * heading's */
		if (st.words < 1 ||
		    st.words >
			    (numbered ? TITLE_MAX_WORDS : LEADIN_MAX_WORDS) ||
		    !st.first_up)
			return false;
		if (!numbered) {
			bool punct = st.last == '.' || st.last == ':' ||
				     (r < e && (t[r] == '.' || t[r] == ':'));
			if (!punct)
				return false;
		}
		cd->titleonly = false;
		cd->body = rest;
		return true;
	}
	if (p >= e) {
		/* "2." alone: the title is on the next line */
		const struct line *nx = line_at(c, i + 1);
		if (!numbered || !nx || is_blank(nx))
			return false;
		size_t a = skip_ws(t, nx->s, nx->e);
		size_t b = nx->e - a > LINE_WINDOW ? a + LINE_WINDOW : nx->e;
		struct numlabel tmp;
		if (parse_label(t, a, b, &tmp))
			return false;
		title_stats(t, a, b, &st);
		if (!title_ok(&st, TITLE_MAX_WORDS))
			return false;
		cd->tstart = a;
		cd->tend = nx->e;
		cd->titleonly = true;
		cd->body = nx->nx;
		return true;
	}
	if (!numbered)
		return false;
	/* "1. Who We Are": the rest of the line is the title */
	title_stats(t, p, e, &st);
	if (e - p <= 200 && title_ok(&st, TITLE_MAX_WORDS)) {
		cd->tstart = p;
		cd->tend = e;
		cd->titleonly = true;
		cd->body = ln->nx;
		return true;
	}
	/* "A. License and Restrictions. If Apple ..." */
	size_t lim = p + 100 < e ? p + 100 : e;
	for (size_t q = p; q + 1 < lim; q++) {
		if (t[q] == '.' && ws_len(t, q + 1, e)) {
			title_stats(t, p, q + 1, &st);
			size_t r = skip_ws(t, q + 1, e);
			if (st.words <= 8 && titleish(&st) && st.words >= 1 &&
			    r < e && !islower((unsigned char)t[r])) {
				cd->tstart = p;
				cd->tend = q;
				cd->titleonly = false;
				cd->body = r;
				return true;
			}
			break;
		}
	}
	return false;
}

/* A plain title has no digits, links, table cells, colons or sentence
 * breaks ("San Francisco, CA 94104", "Attn: Legal", "Company No. 4629") */
static bool plain_title_chars(const char *t, size_t a, size_t b)
{
	for (size_t p = a; p < b; p++) {
		char ch = t[p];
		if (isdigit((unsigned char)ch) || ch == '[' || ch == '|' ||
		    ch == ':' || ch == '@' || ch == '/')
			return false;
		if ((ch == '.' || ch == '!' || ch == '?') && p + 1 < b &&
		    t[p + 1] == ' ')
			return false;
	}
	return true;
}

/* Page furniture that looks like a title */
static bool is_nav(const char *t, size_t a, size_t b)
{
	static const char *const nav[] = { "return to top",
					   "back to top",
					   "top",
					   "close",
					   "close tooltip",
					   "skip to content",
					   "skip to main content",
					   "print",
					   "share",
					   "menu",
					   "home" };
	for (size_t i = 0; i < sizeof(nav) / sizeof(*nav); i++) {
		size_t n = strlen(nav[i]);
		if (b - a == n && cw_strncasecmp_ascii(t + a, nav[i], n) == 0)
			return true;
	}
	return false;
}

/*
 * Line i is followed (after blank lines) by an indented list item: "1. Do
 * not engage in ... This includes:\n    1. Relates to ..."
 */
static bool opens_list(struct ctx *c, size_t i)
{
	const struct line *nx;
	size_t j = i + 1, p;
	struct numlabel nl;

	while ((nx = line_at(c, j)) && is_blank(nx) && j < i + LOOKAHEAD)
		j++;
	if (!nx || is_blank(nx))
		return false;
	p = skip_ws(c->t, nx->s, nx->e);
	if (p - nx->s < 2 || p >= nx->e)
		return false;
	return is_block_markup(c->t, p, nx->e) ||
	       parse_label(c->t, p, nx->e, &nl) > 0;
}

/*
 * A numbered sentence, as a candidate of its own kind (segment.c takes it
 * where it continues a numbering, or where it opens a list in a text that
 * has no other heading). Its title is its first clause, up to a sentence
 * end, a colon or a dash, and at most ITEM_TITLE_MAX bytes cut at a word;
 * its body is the whole line.
 */
static void emit_item(struct ctx *c, size_t i, struct cand *cd, size_t lr)
{
	const char *t = c->t;
	size_t e = line_at(c, i)->e, a = skip_ws(t, lr, e), q, end;

	/* "2.  [Contracts are Binding – Please Read!](#contracts)": an
	 * entry of a table of contents */
	if (a < e && t[a] == '[' && t[e - 1] == ')')
		return;
	end = e - a > ITEM_TITLE_MAX ? a + ITEM_TITLE_MAX : e;
	for (q = a; q < end; q++) {
		bool stop = (t[q] == '.' || t[q] == ':' || t[q] == ';') &&
			    (q + 1 >= e || ws_len(t, q + 1, e));
		/* " - " and the dashes U+2013, U+2014 between words */
		if (t[q] == ' ' && q + 2 < e && t[q + 2] == ' ' &&
		    t[q + 1] == '-')
			stop = true;
		if (t[q] == ' ' && q + 4 < e &&
		    (unsigned char)t[q + 1] == 0xE2 &&
		    (unsigned char)t[q + 2] == 0x80 &&
		    ((unsigned char)t[q + 3] == 0x93 ||
		     (unsigned char)t[q + 3] == 0x94))
			stop = true;
		if (stop)
			break;
	}
	if (q == end && end < e) {
		/* cut at the last word boundary */
		while (q > a && t[q] != ' ')
			q--;
		if (q == a)
			q = end;
	}
	/* "... malicious activities, including": the lead into the list is
	 * not part of the title */
	for (const char *const *w =
		     (const char *const[]){ "including", "such as", NULL };
	     *w; w++) {
		size_t n = strlen(*w);
		if (q - a > n && cw_strncasecmp_ascii(t + q - n, *w, n) == 0 &&
		    t[q - n - 1] == ' ') {
			q -= n;
			while (q > a && (t[q - 1] == ' ' || t[q - 1] == ','))
				q--;
		}
	}
	cd->tstart = a;
	cd->tend = q;
	cd->body = a;
	cd->titleonly = false;
	cd->item = true;
	cd->lists = opens_list(c, i);
	cd->sig = cw_seg_sig_of(&cd->num);
	cd->sclass = SC_HEADING;
	emit(c, cd);
}

static void classify(struct ctx *c, size_t i)
{
	const char *t = c->t;
	const struct line *ln = line_at(c, i);
	const struct line *nx = line_at(c, i + 1);
	const struct line *pv = i > 0 ? line_at(c, i - 1) : NULL;
	size_t e = ln->e - ln->s > LINE_WINDOW ? ln->s + LINE_WINDOW : ln->e;
	size_t p = ln->s;
	struct cand cd;
	int col = 0;

	memset(&cd, 0, sizeof(cd));
	cd.start = ln->s;
	while (p < e && col < 16) {
		if (t[p] == ' ' || t[p] == '\t') {
			col += t[p] == '\t' ? 4 : 1;
			p++;
		} else if (ws_len(t, p, e) == 2) {
			p += 2; /* NBSP: a scrape's visual indent, not Markdown's */
		} else {
			break;
		}
	}
	if (p >= e)
		return;
	/* setext: "Title\n=====", also inside a list item ("*   What Is
	 * Personal Data at Apple?\n    -------") */
	if (nx && t[p] != '#' && !setext_level(t, ln)) {
		int lv = setext_level(t, nx);
		size_t q = p;
		if (lv && is_block_markup(t, p, e)) {
			if (t[p] == '|' || t[p] == '>' || p + 1 >= e)
				lv = 0;
			else
				q = skip_ws(t, p + 1, e);
		}
		if (lv) {
			q = skip_openers(t, skip_anchor(t, q, e), e);
			size_t r = parse_label(t, q, e, &cd.num);
			cd.tstart = r ? skip_ws(t, r, e) : q;
			cd.tend = ln->e;
			cd.body = nx->nx;
			cd.sig = atx_sig(lv, &cd.num);
			cd.sclass = SC_ATX;
			cd.titleonly = true;
			if (is_date_line(t, p, e))
				return;
			emit(c, &cd);
			c->prev_heading = true;
			return;
		}
	}
	if (t[p] == '#') {
		size_t q = p;
		while (q < e && t[q] == '#' && q - p < 7)
			q++;
		int lv = (int)(q - p);
		if (lv > 6 || (q < e && !ws_len(t, q, e)))
			return;
		q = skip_ws(t, q, e);
		size_t te = ln->e;
		while (te > q && t[te - 1] == '#')
			te--;
		size_t r = skip_openers(t, skip_anchor(t, q, e), e);
		size_t lr = parse_label(t, r, e, &cd.num);
		cd.tstart = lr ? skip_ws(t, lr, e) : q;
		cd.tend = te > cd.tstart ? te : cd.tstart;
		struct tstats st;
		title_stats(t, cd.tstart, cd.tend < e ? cd.tend : e, &st);
		if (!lr && st.words == 0)
			return; /* "### " with nothing: no information */
		if (is_date_line(t, q, e))
			return;
		cd.body = ln->nx;
		cd.sig = atx_sig(lv, &cd.num);
		cd.sclass = SC_ATX;
		cd.titleonly = true;
		emit(c, &cd);
		c->prev_heading = true;
		return;
	}
	/* below: only what is not indented (deeper lines are list items) */
	if (col >= 4 || is_block_markup(t, p, e))
		return;

	bool bold = false;
	char m = 0;
	size_t q = p;
	if (q + 1 < e && ((t[q] == '*' && t[q + 1] == '*') ||
			  (t[q] == '_' && t[q + 1] == '_'))) {
		bold = true;
		m = t[q];
		q += 2;
	}
	size_t lr = parse_label(t, q, e, &cd.num);
	if (lr) {
		if (cd.num.style != NS_DECK && cd.num.punct == NP_DOT &&
		    lr + 1 < e && t[lr] == ' ' && t[lr + 1] == ' ') {
			/* "1.  I. Account Registration": the list number is
			 * the renderer's, the roman numeral the document's */
			struct numlabel inner;
			size_t ir =
				parse_label(t, skip_ws(t, lr, e), e, &inner);
			cd.deco |= 2;
			if (ir && inner.style != NS_DEC) {
				cd.num = inner;
				lr = ir;
			}
		}
		if (!title_after(c, i, lr, e, bold, m, true, &cd)) {
			if (cd.num.style != NS_DECK) {
				if (col == 0)
					emit_item(c, i, &cd, lr);
				return;
			}
			/* "1.1 We grant you ...": numbered, no title; a
			 * number alone on its line is a stray (tooltips) */
			cd.tstart = cd.tend = lr;
			cd.body = skip_ws(t, lr, e);
			if (cd.body >= ln->e)
				return;
			cd.titleonly = false;
		}
		if (is_date_line(t, cd.tstart, cd.tend))
			return;
		cd.sig = cw_seg_sig_of(&cd.num);
		cd.sclass = (cd.num.style == NS_SECTION ||
			     cd.num.style == NS_ARTICLE)
				    ? SC_STRONG
				    : SC_HEADING;
		if (cd.deco & 1)
			cd.deco &= ~2;
		emit(c, &cd);
		c->prev_heading = true;
		return;
	}
	if (bold) {
		if (!title_after(c, i, q, e, true, m, false, &cd))
			return;
		if (is_date_line(t, p, e))
			return;
		cd.sig = cd.titleonly ? SIG_BOLDLINE : SIG_LEADIN;
		cd.sclass = cd.titleonly ? SC_HEADING : SC_LEADIN;
		emit(c, &cd);
		c->prev_heading = true;
		return;
	}

	/* plain-text scrapes: an all-caps line, or "Title\n. Body" */
	bool prev_ok = !c->has_prev_nb || c->prev_heading ||
		       ends_sentence(t, &c->prev_nb) || (pv && is_blank(pv));
	if (!prev_ok || ln->e - p > 160)
		return;
	struct tstats st;
	title_stats(t, p, ln->e, &st);
	char nc = nx && !is_blank(nx) ? t[skip_ws(t, nx->s, nx->e)] : 0;
	if (nc == '.' && st.words <= 8 && title_ok(&st, 8) && st.last != '.' &&
	    st.last != ':' && !is_date_line(t, p, e)) {
		emit_title(c, &cd, p, ln->e, nx->s, SIG_PLAINLEAD, SC_LEADIN);
		return;
	}
	/* a short title-like paragraph of its own between blank lines,
	 * followed by text: "Child Exploitation" (pages that style a <p>
	 * as their headings) */
	const struct line *nn = nx ? line_at(c, i + 2) : NULL;
	if (nc == 0 && pv && is_blank(pv) && nn && st.words <= 8 &&
	    title_ok(&st, 8) && titleish(&st) && !strchr(".:;,!?)", st.last) &&
	    plain_title_chars(t, p, ln->e) && !is_date_line(t, p, e) &&
	    st.has_lower && !is_nav(t, p, ln->e)) {
		size_t a = skip_ws(t, nn->s, nn->e);
		if (nn->e - a > 2 * (ln->e - p) && !is_blank(nn)) {
			emit_title(c, &cd, p, ln->e, ln->nx, SIG_PLAINLINE,
				   SC_HEADING);
			return;
		}
	}
	if (!st.has_lower && st.letters >= 4 && st.words <= 12 && st.first_up &&
	    !strchr(".,;:", st.last) && !st.connective_end &&
	    !(nc && strchr(".,;:)", nc)) && !is_date_line(t, p, e)) {
		emit_title(c, &cd, p, ln->e, ln->nx, SIG_CAPS, SC_HEADING);
	}
}

/*
 * Runs of 3+ title-only candidates of one kind with nothing but blank
 * lines between them are a table of contents, not sections.
 */
static void drop_tocs(struct candv *cv, const char *t)
{
	size_t i = 0, w = 0;

	while (i < cv->n) {
		size_t j = i + 1;
		if (cv->v[i].sclass >= SC_HEADING && cv->v[i].titleonly) {
			while (j < cv->n && cv->v[j].sig == cv->v[i].sig &&
			       cv->v[j].titleonly &&
			       cv->v[j - 1].body <= cv->v[j].start) {
				size_t a = cv->v[j - 1].body,
				       b = cv->v[j].start;
				bool blank = true;
				for (size_t k = a; k < b && blank; k++)
					if (!isspace((unsigned char)t[k]))
						blank = false;
				if (!blank)
					break;
				j++;
			}
			if (j - i < 3) {
				j = i + 1;
			} else {
				i = j;
				continue;
			}
		}
		cv->v[w++] = cv->v[i];
		i = j;
	}
	cv->n = w;
}

void cw_seg_candidates(struct candv *out, const char *text, size_t len,
		       size_t max_cands)
{
	struct ctx c;
	bool fence = false;
	const struct line *ln;

	memset(&c, 0, sizeof(c));
	c.t = text;
	c.len = len;
	c.out = out;
	c.max_cands = max_cands;
	for (size_t i = 0; (ln = line_at(&c, i)) != NULL; i++) {
		size_t p = skip_ws(text, ln->s, ln->e);
		if (is_blank(ln))
			continue;
		/* fenced code: nothing inside is a heading */
		if (ln->e - p >= 3 && (memcmp(text + p, "```", 3) == 0 ||
				       memcmp(text + p, "~~~", 3) == 0)) {
			fence = !fence;
			c.prev_nb = *ln;
			c.has_prev_nb = true;
			c.prev_heading = false;
			continue;
		}
		if (!fence && out->n < max_cands) {
			size_t before = out->n;
			classify(&c, i);
			/* an item is a sentence, not a heading, for the
			 * lines after it */
			c.prev_heading = out->n > before &&
					 !out->v[out->n - 1].item;
			if (c.prev_heading) {
				/* a heading's extra lines (setext underline,
				 * title on the next line) are not looked at */
				size_t b = out->v[out->n - 1].body;
				const struct line *nl;
				while ((nl = line_at(&c, i + 1)) != NULL &&
				       nl->nx <= b && nl->s < b)
					i++;
			}
		}
		ln = line_at(&c, i);
		c.prev_nb = *ln;
		c.has_prev_nb = true;
	}
	drop_tocs(out, text);
}
