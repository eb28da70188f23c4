/*
 * dates.c: the date a document states for itself.
 *
 * A keyword ("Effective", "Effective date", "Last updated", "Last
 * modified", "Last revised", "Updated", "Revised", "Date of last
 * revision"), then a little filler (": ", "on", "as of", Markdown
 * emphasis), then a date in one of the forms real documents use:
 * "July 31, 2025", "July 31st, 2025", "Sept. 5 2024", "3 March 2024",
 * "21st of September, 2026", "2024-03-03", "03/31/2024" (month first
 * unless the first number cannot be a month), "31.03.2024", or "March
 * 2024" (the first of the month). The first such date in the first
 * HEAD_SPAN bytes wins; failing that, the last TAIL_SPAN bytes are searched.
 */
#include "segment_int.h"

#include <ctype.h>

#define HEAD_SPAN 8192
#define TAIL_SPAN 4096
#define FILLER_MAX 40

static const char *const months[12] = { "january", "february", "march",
					"april",   "may",      "june",
					"july",	   "august",   "september",
					"october", "november", "december" };

/* A month name (full, 3-letter or "Sept", with an optional '.') at t[p] */
static int month_at(const char *t, size_t p, size_t e, size_t *np)
{
	size_t q = p;

	while (q < e && isalpha((unsigned char)t[q]) && q - p < 10)
		q++;
	size_t n = q - p;
	if (n < 3 || (q < e && isalpha((unsigned char)t[q])))
		return 0;
	for (int m = 0; m < 12; m++) {
		size_t ml = strlen(months[m]);
		bool full = n == ml &&
			    cw_strncasecmp_ascii(t + p, months[m], n) == 0;
		bool abbr = (n == 3 || (m == 8 && n == 4)) &&
			    cw_strncasecmp_ascii(t + p, months[m], n) == 0;
		if (full || abbr) {
			if (!full && q < e && t[q] == '.')
				q++;
			*np = q;
			return m + 1;
		}
	}
	return 0;
}

static long num_at(const char *t, size_t p, size_t e, size_t *np, int maxd)
{
	long v = 0;
	size_t q = p;

	while (q < e && isdigit((unsigned char)t[q]) && (int)(q - p) < maxd)
		v = v * 10 + (t[q++] - '0');
	if (q == p || (q < e && isdigit((unsigned char)t[q])))
		return -1;
	*np = q;
	return v;
}

/* Blanks and Markdown emphasis: "**April 20****th****, 2025**" */
static size_t skip_sp(const char *t, size_t p, size_t e)
{
	while (p < e) {
		if (t[p] == ' ' || t[p] == '\t' || t[p] == '*' || t[p] == '_')
			p++;
		else if ((unsigned char)t[p] == 0xC2 && p + 1 < e &&
			 (unsigned char)t[p + 1] == 0xA0)
			p += 2;
		else
			break;
	}
	return p;
}

/* "st", "nd", "rd", "th" after a day, and "of" after that */
static size_t skip_ordinal(const char *t, size_t p, size_t e)
{
	if (e - p >= 2 &&
	    (cw_strncasecmp_ascii(t + p, "st", 2) == 0 ||
	     cw_strncasecmp_ascii(t + p, "nd", 2) == 0 ||
	     cw_strncasecmp_ascii(t + p, "rd", 2) == 0 ||
	     cw_strncasecmp_ascii(t + p, "th", 2) == 0) &&
	    (p + 2 >= e || !isalpha((unsigned char)t[p + 2])))
		p += 2;
	return p;
}

static int days_in(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a civil date (H. Hinnant, "chrono-Compatible
 * Low-Level Date Algorithms", days_from_civil). */
static long days_from_civil(long y, long m, long d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool valid(long y, long m, long d)
{
	return y >= 1990 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 &&
	       d <= days_in((int)y, (int)m);
}

/* Parse a date at t[p..e); on success set y/m/d and *np past it. */
static bool date_at(const char *t, size_t p, size_t e, long *y, long *m,
		    long *d, size_t *np)
{
	size_t q, r;
	long a, b, c;
	int mon;

	if ((mon = month_at(t, p, e, &q))) {
		/* "July 31, 2025" / "July 31st 2025" / "March 2024" */
		q = skip_sp(t, q, e);
		a = num_at(t, q, e, &r, 4);
		if (a >= 1 && a <= 31 && r - q <= 2) {
			r = skip_sp(t, r, e);
			r = skip_ordinal(t, r, e);
			r = skip_sp(t, r, e);
			if (r < e && t[r] == ',')
				r++;
			r = skip_sp(t, r, e);
			b = num_at(t, r, e, &q, 4);
			if (q - r == 4 && valid(b, mon, a)) {
				*y = b, *m = mon, *d = a, *np = q;
				return true;
			}
			return false;
		}
		if (a >= 1990 && r - q == 4 && valid(a, mon, 1)) {
			*y = a, *m = mon, *d = 1, *np = r;
			return true;
		}
		return false;
	}
	a = num_at(t, p, e, &q, 4);
	if (a < 0)
		return false;
	if (q - p == 4 && q + 1 < e && (t[q] == '-' || t[q] == '/')) {
		/* 2024-03-03 */
		char sep = t[q];
		b = num_at(t, q + 1, e, &r, 2);
		if (b < 0 || r >= e || t[r] != sep)
			return false;
		c = num_at(t, r + 1, e, &q, 2);
		if (c < 0 || !valid(a, b, c))
			return false;
		*y = a, *m = b, *d = c, *np = q;
		return true;
	}
	if (q - p > 2)
		return false;
	if (q < e && (t[q] == '/' || t[q] == '.') && q + 1 < e &&
	    isdigit((unsigned char)t[q + 1])) {
		/* 03/31/2024 (month first unless impossible), 31.03.2024 */
		char sep = t[q];
		b = num_at(t, q + 1, e, &r, 2);
		if (b < 0 || r >= e || t[r] != sep)
			return false;
		c = num_at(t, r + 1, e, &q, 4);
		if (c < 0 || q - r - 1 != 4)
			return false;
		long mm = a, dd = b;
		if (sep == '.' || a > 12) {
			mm = b;
			dd = a;
		}
		if (!valid(c, mm, dd))
			return false;
		*y = c, *m = mm, *d = dd, *np = q;
		return true;
	}
	/* "3 March 2024", "21st of September, 2026" */
	r = skip_ordinal(t, q, e);
	r = skip_sp(t, r, e);
	if (e - r > 3 && cw_strncasecmp_ascii(t + r, "of ", 3) == 0)
		r = skip_sp(t, r + 3, e);
	if (!(mon = month_at(t, r, e, &q)))
		return false;
	if (q < e && t[q] == ',')
		q++;
	q = skip_sp(t, q, e);
	b = num_at(t, q, e, &r, 4);
	if (r - q != 4 || !valid(b, mon, a))
		return false;
	*y = b, *m = mon, *d = a, *np = r;
	return true;
}

static const char *const keywords[] = {
	"date of last revision",
	"effective date",
	"last updated",
	"last modified",
	"last revised",
	"last update",
	"effective",
	"updated",
	"revised",
	"modified",
	"dated",
};

/* Filler words between a keyword and its date */
static const char *const fillers[] = { "on", "as",   "of", "date",
				       "is", "from", "in", "at" };

static size_t skip_filler(const char *t, size_t p, size_t e)
{
	size_t lim = p + FILLER_MAX < e ? p + FILLER_MAX : e;

	while (p < lim) {
		size_t q = skip_sp(t, p, lim);
		if (q < lim && strchr(":*_#-()[]", t[q])) {
			p = q + 1;
			continue;
		}
		bool hit = false;
		for (size_t i = 0; i < sizeof(fillers) / sizeof(*fillers);
		     i++) {
			size_t n = strlen(fillers[i]);
			if (lim - q > n &&
			    cw_strncasecmp_ascii(t + q, fillers[i], n) == 0 &&
			    !isalnum((unsigned char)t[q + n])) {
				p = q + n;
				hit = true;
				break;
			}
		}
		if (!hit)
			return q;
	}
	return p;
}

static bool search(const char *t, size_t a, size_t b, size_t len, time_t *out,
		   size_t *at, size_t *alen)
{
	for (size_t p = a; p < b; p++) {
		unsigned char c = (unsigned char)t[p];
		if (!isalpha(c) || (p > 0 && isalpha((unsigned char)t[p - 1])))
			continue;
		char lc = (char)tolower(c);
		if (lc != 'e' && lc != 'l' && lc != 'u' && lc != 'r' &&
		    lc != 'd' && lc != 'm')
			continue;
		for (size_t k = 0; k < sizeof(keywords) / sizeof(*keywords);
		     k++) {
			size_t n = strlen(keywords[k]);
			if (len - p < n ||
			    cw_strncasecmp_ascii(t + p, keywords[k], n) != 0)
				continue;
			/* "UpdatedJanuary 10, 2024": a scrape lost the space;
			 * only a month name may follow without one */
			bool glued = p + n < len &&
				     isalpha((unsigned char)t[p + n]);
			size_t q = glued ? p + n : skip_filler(t, p + n, len),
			       np;
			size_t dummy;
			if (glued && !month_at(t, q, len, &dummy))
				continue;
			long y, m, d;
			if (date_at(t, q, len < q + 40 ? len : q + 40, &y, &m,
				    &d, &np)) {
				*out = (time_t)(days_from_civil(y, m, d) *
						86400L);
				if (at)
					*at = q;
				if (alen)
					*alen = np - q;
				return true;
			}
			break;
		}
	}
	return false;
}

int cw_segment_stated_date(time_t *out, size_t *at, size_t *len,
			   const char *text, size_t textlen)
{
	size_t head = textlen < HEAD_SPAN ? textlen : HEAD_SPAN;

	if (!out || !text)
		return CW_ENOTFOUND;
	if (search(text, 0, head, textlen, out, at, len))
		return CW_OK;
	if (textlen > head) {
		size_t a = textlen - head > TAIL_SPAN ? textlen - TAIL_SPAN
						      : head;
		if (search(text, a, textlen, textlen, out, at, len))
			return CW_OK;
	}
	return CW_ENOTFOUND;
}
