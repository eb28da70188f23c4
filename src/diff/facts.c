/*
 * Facts that move between two versions of a provision (durations,
 * amounts, percentages, ages, places, laws, modal verbs, negations,
 * obligation and prohibition sentences), and the summary sentence made
 * from them with our templates. Patterns: data/diff/facts.json;
 * templates: data/diff/templates.json.
 */
#include <ctype.h>

#include <jansson.h>

#include "../util/json.h"
#include "diff_int.h"

#define MAX_RULE_FILE (1u << 20)
#define MAX_FACT_RULES 256
/* Facts listed per change: a rewritten 5-page section would otherwise
 * list hundreds of modal verbs; the first ones tell the story. */
#define MAX_FACTS_PER_CHANGE 24
/* Longest sentence kept as an obligation/prohibition value, bytes. */
#define MAX_SENTENCE 400
/* Two duty sentences whose word sets overlap this much (Jaccard) are one
 * reworded duty, not one removed and one added; 0.5 separated rewordings
 * from new duties on the ChatGPT and Airbnb histories we read. */
#define SENTENCE_SAME 0.5
/* A list item is in a duty when this share of its words is; the duty is
 * said by its items when they hold this share of its words */
#define DUTY_CONTAINED 0.8
#define DUTY_COVERED 0.6

static const char *const fact_names[CW_DIFF_FACT_NKINDS] = {
	"duration", "amount", "percent",  "age",	"place",
	"law",	    "modal",  "negation", "obligation", "prohibition",
};

const char *cw_diff_fact_kind_name(enum cw_diff_fact_kind kind)
{
	return (unsigned)kind < CW_DIFF_FACT_NKINDS ? fact_names[kind] : "?";
}

static int fact_kind_parse(const char *s)
{
	for (int i = 0; i < CW_DIFF_FACT_NKINDS; i++)
		if (strcmp(s, fact_names[i]) == 0)
			return i;
	return -1;
}

/* Compile one fact rule into fr; fr takes `name` on success. */
static int fact_rule(struct cw_diff_fact_rule *fr, const char *kind, char *name,
		     const char *pat, bool sentence, const char *path, size_t i,
		     struct cw_err *err)
{
	int k = fact_kind_parse(kind), ec;
	PCRE2_SIZE off;

	if (k < 0)
		return cw_err_set(err, CW_EPARSE,
				  "'%s': facts[%zu]: unknown kind '%s'", path,
				  i, kind);
	fr->re = cw_re_new(pat, CW_DIFF_RE_OPTIONS, &ec, &off);
	if (!fr->re) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		return cw_err_set(err, CW_EPARSE,
				  "'%s': facts[%zu] '%s': pattern offset %zu: "
				  "%s",
				  path, i, name, (size_t)off, (char *)msg);
	}
	fr->kind = (enum cw_diff_fact_kind)k;
	fr->name = name;
	fr->sentence = sentence;
	return CW_OK;
}

/* A rule's optional "needs" (non-empty strings) and "needs_fold". */
static int fact_needs(struct cw_diff_fact_rule *fr, json_t *it,
		      const struct cw_json_where *w, struct cw_err *err)
{
	json_t *v = json_object_get(it, "needs"), *x;
	size_t i;
	int rc = cw_json_bool(&fr->needs_fold, it, "needs_fold", false, w, err);

	if (rc || !v)
		return rc;
	if (!json_is_array(v) || json_array_size(v) == 0)
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s: 'needs' must be a non-empty "
				  "array of strings",
				  w->file, w->path);
	json_array_foreach(v, i, x)
	{
		if (!json_is_string(x) || !json_string_length(x))
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s: needs[%zu] must be a "
					  "non-empty string",
					  w->file, w->path, i);
		cw_strv_push(&fr->needs, json_string_value(x));
	}
	return CW_OK;
}

int cw_diff_facts_load(struct cw_diff_rules *r, const char *path,
		       struct cw_err *err)
{
	json_t *root = NULL, *arr, *it;
	size_t i;
	int rc = cw_json_load(&root, path, MAX_RULE_FILE, err);

	if (rc)
		return rc;
	arr = json_object_get(root, "facts");
	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > MAX_FACT_RULES) {
		rc = cw_err_set(err, CW_EPARSE,
				"'%s': 'facts' must be an array of 1 to %u "
				"rules",
				path, MAX_FACT_RULES);
		goto out;
	}
	r->facts = cw_calloc(json_array_size(arr), sizeof(*r->facts));
	json_array_foreach(arr, i, it)
	{
		static const char *const keys[] = { "kind",    "name",
						    "pattern", "sentence",
						    "needs",   "needs_fold",
						    NULL };
		char *kind = NULL, *name = NULL, *pat = NULL, at[32];
		struct cw_json_where w = { path, at };
		struct cw_diff_fact_rule *fr = &r->facts[r->n_facts];
		bool sentence = false;

		snprintf(at, sizeof(at), "facts[%zu]", i);
		if (!json_is_object(it)) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': %s: expected an object, got %s",
					path, at, cw_json_type_name(it));
			goto out;
		}
		if ((rc = cw_json_keys(it, keys, &w, err)) ||
		    (rc = cw_json_str(&kind, it, "kind", true, &w, err)) ||
		    (rc = cw_json_str(&name, it, "name", true, &w, err)) ||
		    (rc = cw_json_str(&pat, it, "pattern", true, &w, err)) ||
		    (rc = cw_json_bool(&sentence, it, "sentence", false, &w,
				       err))) {
			free(kind);
			free(name);
			free(pat);
			goto out;
		}
		rc = fact_rule(fr, kind, name, pat, sentence, path, i, err);
		free(kind);
		free(pat);
		if (rc) {
			free(name);
			goto out;
		}
		r->n_facts++;
		if ((rc = fact_needs(fr, it, &w, err)))
			goto out;
	}
out:
	json_decref(root);
	return rc;
}

/* Situations the summary code asks for; each must have a template. */
static const char *const situations[] = {
	"added",
	"removed",
	"moved",
	"moved_modified",
	"renumbered",
	"renumbered_modified",
	"split",
	"merged",
	"cosmetic",
	"editorial",
	"duration_shorter",
	"duration_longer",
	"changed",
	"fact_added",
	"fact_removed",
	"modal_changed",
	"negation_added",
	"negation_removed",
	"obligation_added",
	"obligation_removed",
	"prohibition_added",
	"prohibition_removed",
	"substantive",
};

static const char *const placeholders[] = {
	"title", "old", "new", "old_key", "new_key", "count", "noise", "kind",
};

static int check_template(const char *t, const char *path, const char *sit,
			  struct cw_err *err)
{
	for (const char *p = strchr(t, '{'); p; p = strchr(p + 1, '{')) {
		const char *e = strchr(p, '}');
		bool ok = false;
		if (!e)
			return cw_err_set(err, CW_EPARSE,
					  "'%s': template '%s': unclosed '{'",
					  path, sit);
		for (size_t i = 0;
		     i < sizeof(placeholders) / sizeof(*placeholders); i++)
			if (strlen(placeholders[i]) == (size_t)(e - p - 1) &&
			    memcmp(placeholders[i], p + 1,
				   (size_t)(e - p - 1)) == 0)
				ok = true;
		if (!ok)
			return cw_err_set(err, CW_EPARSE,
					  "'%s': template '%s': unknown "
					  "placeholder '%.*s'",
					  path, sit, (int)(e - p + 1), p);
	}
	return CW_OK;
}

int cw_diff_templates_load(struct cw_diff_rules *r, const char *path,
			   struct cw_err *err)
{
	json_t *root = NULL, *obj, *v;
	struct cw_json_where w = { path, "" };
	const char *k;
	int rc = cw_json_load(&root, path, MAX_RULE_FILE, err);

	if (rc)
		return rc;
	if ((rc = cw_json_obj(&obj, root, "templates", true, &w, err)))
		goto out;
	r->templates =
		cw_calloc(json_object_size(obj) + 1, sizeof(*r->templates));
	json_object_foreach(obj, k, v)
	{
		if (!json_is_string(v)) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': template '%s': expected a "
					"string",
					path, k);
			goto out;
		}
		if ((rc = check_template(json_string_value(v), path, k, err)))
			goto out;
		r->templates[r->n_templates].situation = cw_strdup(k);
		r->templates[r->n_templates].text =
			cw_strdup(json_string_value(v));
		r->n_templates++;
	}
	for (size_t i = 0; i < sizeof(situations) / sizeof(*situations); i++)
		if (!cw_diff_template(r, situations[i])) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': template '%s' is missing", path,
					situations[i]);
			goto out;
		}
out:
	json_decref(root);
	return rc;
}

const char *cw_diff_template(const struct cw_diff_rules *r,
			     const char *situation)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_templates; i++)
		if (strcmp(r->templates[i].situation, situation) == 0)
			return r->templates[i].text;
	return NULL;
}

/* ---- extraction ---- */

static const char *const number_words[] = {
	"zero",	    "one",	"two",	    "three",   "four",	  "five",
	"six",	    "seven",	"eight",    "nine",    "ten",	  "eleven",
	"twelve",   "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
	"eighteen", "nineteen", "twenty",
};
static const char *const tens_words[] = {
	"",	 "",	  "twenty",  "thirty", "forty",
	"fifty", "sixty", "seventy", "eighty", "ninety",
};

/* A number at the start of s (digits or English words up to 99);
 * -1 if none. */
static long read_number(const char *s, size_t len)
{
	char w[32];
	size_t n = 0;
	long v = -1;

	if (len > 0 && isdigit((unsigned char)s[0])) {
		v = 0;
		for (size_t i = 0;
		     i < len && (isdigit((unsigned char)s[i]) || s[i] == ',');
		     i++)
			if (s[i] != ',' && v < 100000000)
				v = v * 10 + (s[i] - '0');
		return v;
	}
	while (n < len && n + 1 < sizeof(w) &&
	       (isalpha((unsigned char)s[n]) || s[n] == '-')) {
		w[n] = (char)tolower((unsigned char)s[n]);
		n++;
	}
	w[n] = 0;
	for (size_t t = 2; t < 10; t++) {
		size_t tl = strlen(tens_words[t]);
		if (strncmp(w, tens_words[t], tl) == 0) {
			v = (long)t * 10;
			if (w[tl] == '-')
				for (size_t u = 1; u < 10; u++)
					if (strcmp(w + tl + 1,
						   number_words[u]) == 0)
						v += (long)u;
			return v;
		}
	}
	for (size_t u = 0; u <= 20; u++)
		if (strcmp(w, number_words[u]) == 0)
			return (long)u;
	return -1;
}

static void collapse(struct cw_buf *b, const char *s, size_t len, bool lower)
{
	bool sp = false;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isspace(c)) {
			sp = b->len > 0;
			continue;
		}
		if (c == '*' ||
		    (c == '_' && (i == 0 || i + 1 == len ||
				  !isalnum((unsigned char)s[i - 1]) ||
				  !isalnum((unsigned char)s[i + 1]))))
			continue;
		if (sp)
			cw_buf_addc(b, ' ');
		sp = false;
		cw_buf_addc(b, lower ? (char)tolower(c) : (char)c);
	}
}

/* "thirty (30) days" -> "30 days"; "1 month" stays. */
static char *norm_duration(const char *s, size_t len)
{
	long v = -1;
	const char *unit = NULL;
	static const char *const units[] = { "hour", "day", "week", "month",
					     "year" };
	struct cw_buf b = CW_BUF_INIT;

	for (size_t i = 0; i < len && v < 0; i++)
		if (isdigit((unsigned char)s[i]))
			v = read_number(s + i, len - i);
	if (v < 0)
		v = read_number(s, len);
	for (size_t u = 0; u < 5 && !unit; u++)
		for (size_t i = 0; i + strlen(units[u]) <= len; i++)
			if (cw_strncasecmp_ascii(s + i, units[u],
						 strlen(units[u])) == 0) {
				unit = units[u];
				break;
			}
	if (v < 0 || !unit) {
		collapse(&b, s, len, true);
		return cw_buf_detach(&b, NULL);
	}
	cw_buf_addf(&b, "%ld %s%s", v, unit, v == 1 ? "" : "s");
	return cw_buf_detach(&b, NULL);
}

/* Currency of an amount's text: ISO code, or NULL. */
static const char *currency_of(const char *s, size_t len)
{
	static const struct {
		const char *mark, *code;
	} marks[] = {
		{ "US$", "USD" },	   { "A$", "AUD" },
		{ "C$", "CAD" },	   { "\xe2\x82\xac", "EUR" },
		{ "\xc2\xa3", "GBP" },	   { "\xc2\xa5", "JPY" },
		{ "\xe2\x82\xb9", "INR" }, { "$", "USD" },
		{ "dollar", "USD" },	   { "euro", "EUR" },
		{ "pound", "GBP" },
	};
	static const char *const codes[] = {
		"USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF",
		"INR", "SGD", "NZD", "BRL", "MXN", "KRW", "CNY",
		"HKD", "SEK", "NOK", "DKK", "PLN",
	};

	/* an explicit three-letter code wins: "USD $500" is USD */
	for (size_t i = 0; i + 3 <= len; i++) {
		if ((i > 0 && isalpha((unsigned char)s[i - 1])) ||
		    (i + 3 < len && isalpha((unsigned char)s[i + 3])))
			continue;
		for (size_t c = 0; c < sizeof(codes) / sizeof(*codes); c++)
			if (memcmp(s + i, codes[c], 3) == 0)
				return codes[c];
	}
	for (size_t m = 0; m < sizeof(marks) / sizeof(*marks); m++) {
		size_t ml = strlen(marks[m].mark);
		for (size_t i = 0; i + ml <= len; i++)
			if (cw_strncasecmp_ascii(s + i, marks[m].mark, ml) == 0)
				return marks[m].code;
	}
	return NULL;
}

/* "$75K" -> "USD 75,000", "USD 1,000.00" -> "USD 1,000", "€50" -> "EUR 50". */
static char *norm_amount(const char *s, size_t len)
{
	const char *cur = currency_of(s, len);
	struct cw_buf b = CW_BUF_INIT;
	double v = 0, frac = 0, scale = 0.1, mult = 1;
	size_t i = 0;
	bool any = false;
	char num[64];

	while (i < len && !isdigit((unsigned char)s[i]))
		i++;
	for (; i < len && (isdigit((unsigned char)s[i]) || s[i] == ','); i++)
		if (s[i] != ',') {
			v = v * 10 + (s[i] - '0');
			any = true;
		}
	if (i + 1 < len && s[i] == '.' && isdigit((unsigned char)s[i + 1]))
		for (i++; i < len && isdigit((unsigned char)s[i]); i++) {
			frac += (s[i] - '0') * scale;
			scale /= 10;
		}
	while (i < len && s[i] == ' ')
		i++;
	if (i < len) {
		if (cw_strncasecmp_ascii(s + i, "thousand", 8) == 0 ||
		    s[i] == 'K' || s[i] == 'k')
			mult = 1e3;
		else if (cw_strncasecmp_ascii(s + i, "million", 7) == 0 ||
			 s[i] == 'M')
			mult = 1e6;
		else if (cw_strncasecmp_ascii(s + i, "billion", 7) == 0)
			mult = 1e9;
	}
	if (!any || !cur) {
		collapse(&b, s, len, false);
		return cw_buf_detach(&b, NULL);
	}
	v = (v + frac) * mult;
	if (v >= 1e15) {
		collapse(&b, s, len, false);
		return cw_buf_detach(&b, NULL);
	}
	{
		/* thousands separators on the whole part, cents if any */
		long long whole = (long long)v;
		long cents = (long)((v - (double)whole) * 100 + 0.5);
		char raw[32];
		int n = snprintf(raw, sizeof(raw), "%lld", whole), k = 0;
		if (cents >= 100) {
			whole++;
			cents -= 100;
			n = snprintf(raw, sizeof(raw), "%lld", whole);
		}
		for (int d = 0; d < n; d++) {
			if (d > 0 && (n - d) % 3 == 0)
				num[k++] = ',';
			num[k++] = raw[d];
		}
		num[k] = 0;
		if (cents)
			cw_buf_addf(&b, "%s %s.%02ld", cur, num, cents);
		else
			cw_buf_addf(&b, "%s %s", cur, num);
	}
	return cw_buf_detach(&b, NULL);
}

/* Days in a normalised duration, for "shrank"/"grew"; -1 if unknown. */
static double duration_days(const char *v)
{
	long n = read_number(v, strlen(v));
	const char *u = strchr(v, ' ');

	if (n < 0 || !u)
		return -1;
	u++;
	if (cw_str_startswith(u, "hour"))
		return (double)n / 24.0;
	if (cw_str_startswith(u, "day"))
		return (double)n;
	if (cw_str_startswith(u, "week"))
		return (double)n * 7;
	if (cw_str_startswith(u, "month"))
		return (double)n * 30.4;
	if (cw_str_startswith(u, "year"))
		return (double)n * 365.25;
	return -1;
}

/* Words a full stop follows without ending a sentence (lower case). */
static const char *const abbreviations[] = {
	"approx", "art", "cf",	 "co",	"corp", "dept", "dr",  "etc",
	"fig",	  "inc", "jr",	 "ltd", "mr",	"mrs",	"ms",  "no",
	"nos",	  "p",	 "para", "pp",	"prof", "sec",	"sr",  "st",
	"vol",	  "vs",	 "llc",	 "plc", "bros", "ave",	"esq", "ref",
};

static bool is_abbreviation(const char *w, size_t n)
{
	char low[8];

	if (n == 0 || n >= sizeof(low))
		return false;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)w[i]);
	low[n] = 0;
	for (size_t i = 0; i < sizeof(abbreviations) / sizeof(*abbreviations);
	     i++)
		if (strcmp(low, abbreviations[i]) == 0)
			return true;
	return false;
}

/*
 * Whether s[i] ends a sentence: a '.', '!' or '?' before a space or the
 * end, and the next word does not go on in lower case. A full stop does
 * not end one after an abbreviation ("Inc.", "etc.") or inside one with
 * stops of its own ("U.S.", "e.g."), after a single letter (an initial)
 * or after the number of a list item at the start of a line ("1. "); an
 * exclamation mark does not after a capitalised name ("Yahoo!").
 */
static bool sentence_end(const char *s, size_t len, size_t i)
{
	size_t j = i + 1, k = i, b;
	char c = s[i];

	if ((c != '.' && c != '!' && c != '?') ||
	    (i + 1 < len && !isspace((unsigned char)s[i + 1])))
		return false;
	while (j < len && (s[j] == ' ' || s[j] == '\t'))
		j++;
	if (j < len && s[j] != '\n' && islower((unsigned char)s[j]))
		return false;
	/* the word before the mark */
	while (k > 0 && !isspace((unsigned char)s[k - 1]))
		k--;
	b = k;
	while (b < i && !isalnum((unsigned char)s[b]))
		b++;
	if (c == '!')
		return !(b < i && isupper((unsigned char)s[b]));
	if (c != '.')
		return true;
	if (i - b == 1 && isalpha((unsigned char)s[b]))
		return false;
	if (memchr(s + b, '.', i - b) && i - b <= 6)
		return false;
	if (is_abbreviation(s + b, i - b))
		return false;
	if (b < i && isdigit((unsigned char)s[b])) {
		size_t l = k;
		bool digits = true;
		for (size_t x = b; x < i; x++)
			digits = digits &&
				 (isdigit((unsigned char)s[x]) || s[x] == '.');
		while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t'))
			l--;
		if (digits && (l == 0 || s[l - 1] == '\n'))
			return false;
	}
	return true;
}

static void sentence_bounds(const char *s, size_t len, size_t at, size_t *b,
			    size_t *e)
{
	size_t i = at;

	while (i > 0 && s[i - 1] != '\n' && !sentence_end(s, len, i - 1) &&
	       at - i < MAX_SENTENCE)
		i--;
	while (i < at && isspace((unsigned char)s[i]))
		i++;
	*b = i;
	i = at;
	while (i < len && s[i] != '\n' && !sentence_end(s, len, i) &&
	       i - *b < MAX_SENTENCE)
		i++;
	if (i < len && sentence_end(s, len, i))
		i++;
	*e = i;
}

static bool value_kind(enum cw_diff_fact_kind k)
{
	return k <= CW_DIFF_FACT_LAW;
}

void cw_diff_found_free(struct cw_diff_found *found, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(found[i].value);
	free(found);
}

/* Does s hold one of the rule's needs? The folded copy is made once, by
 * the first rule that asks for it. */
static bool has_need(const struct cw_diff_fact_rule *fr, const char *s,
		     size_t len, struct cw_buf *folded)
{
	const char *t = s;

	if (fr->needs_fold) {
		if (!folded->len) {
			cw_buf_add(folded, s, len);
			for (size_t i = 0; i < len; i++)
				if (folded->ptr[i] >= 'A' &&
				    folded->ptr[i] <= 'Z')
					folded->ptr[i] += 'a' - 'A';
		}
		t = folded->ptr;
	}
	for (size_t i = 0; i < fr->needs.n; i++)
		if (memmem(t, len, fr->needs.v[i], strlen(fr->needs.v[i])))
			return true;
	return false;
}

/* ---- duties over a list ---- */

/* Most list items taken from one lead-in */
#define MAX_LEAD_ITEMS 40

/* Columns of indentation of the line starting at `p` */
static size_t indent_of(const char *s, size_t len, size_t p, size_t *first)
{
	size_t col = 0;

	while (p < len && (s[p] == ' ' || s[p] == '\t')) {
		col += s[p] == '\t' ? 4 : 1;
		p++;
	}
	*first = p;
	return col;
}

/* After a list marker at s[p..e) ("*", "-", "+", "1.", "a)", "(iv)"): the
 * item's text; or 0 when the line is not a list item */
static size_t after_marker(const char *s, size_t p, size_t e)
{
	size_t q = p;

	if (q < e && strchr("*-+", s[q]) && q + 1 < e && s[q + 1] == ' ')
		return q + 2;
	if (q < e && s[q] == '(')
		q++;
	size_t d = q;
	while (q < e && q - d < 4 && isalnum((unsigned char)s[q]))
		q++;
	if (q == d || q - d > 3 || q >= e || (s[q] != '.' && s[q] != ')'))
		return 0;
	q++;
	if (q >= e || s[q] != ' ')
		return 0;
	return q + 1;
}

/* Whether s[a..e) ends with a word that leads into a list: "...
 * deceiving or misleading others, including" */
static bool lead_word_end(const char *s, size_t a, size_t e)
{
	static const char *const w[] = { "including", "include", "includes",
					 "following", "such as" };

	for (size_t i = 0; i < sizeof(w) / sizeof(*w); i++) {
		size_t n = strlen(w[i]);
		if (e - a > n &&
		    cw_strncasecmp_ascii(s + e - n, w[i], n) == 0 &&
		    !isalnum((unsigned char)s[e - n - 1]))
			return true;
	}
	return false;
}

/*
 * A duty that leads into a list ("for example, do not:" then "1.
 * Compromise the privacy of others", "2. Engage in regulated activity
 * ...") is said by its items: each item more indented than the lead-in's
 * line becomes a duty of its kind, and the lead-in, which says nothing of
 * its own, is dropped. Items that hold a duty of their own keep it.
 */
static void spread_lead_ins(struct cw_diff_found **fp, size_t *np, size_t *cap,
			    const char *s, size_t len)
{
	struct cw_diff_found *f = *fp;
	size_t nf = *np, n0 = nf;

	for (size_t k = 0; k < n0; k++) {
		size_t vl, ls, first, base, p, items = 0;
		enum cw_diff_fact_kind kind = f[k].kind;

		if (kind != CW_DIFF_FACT_OBLIGATION &&
		    kind != CW_DIFF_FACT_PROHIBITION)
			continue;
		/* the duty's line ends with a colon: "do not:", "Do not
		 * engage in ... This includes content that:" */
		vl = f[k].end;
		while (vl < len && s[vl] != '\n')
			vl++;
		while (vl > f[k].start &&
		       (s[vl - 1] == ' ' || s[vl - 1] == '\t' ||
			(vl >= 2 && (unsigned char)s[vl - 1] == 0xA0 &&
			 (unsigned char)s[vl - 2] == 0xC2)))
			vl -= s[vl - 1] == (char)0xA0 ? 2 : 1;
		if (vl <= f[k].start ||
		    (s[vl - 1] != ':' && !lead_word_end(s, f[k].start, vl)))
			continue;
		/* the lead-in's line and its indentation */
		ls = f[k].start;
		while (ls > 0 && s[ls - 1] != '\n')
			ls--;
		base = indent_of(s, len, ls, &first);
		p = f[k].end;
		while (p < len && s[p] != '\n')
			p++;
		while (p < len && items < MAX_LEAD_ITEMS) {
			size_t e, col, t;
			bool taken = false;
			p++; /* past the '\n' */
			e = p;
			while (e < len && s[e] != '\n')
				e++;
			col = indent_of(s, len, p, &first);
			if (first >= e) {
				p = e;
				continue; /* a blank line */
			}
			if (col <= base || !(t = after_marker(s, first, e)))
				break;
			for (size_t x = 0; x < nf && !taken; x++)
				taken = (f[x].kind == CW_DIFF_FACT_OBLIGATION ||
					 f[x].kind ==
						 CW_DIFF_FACT_PROHIBITION) &&
					f[x].start < e && t < f[x].end;
			if (!taken) {
				struct cw_buf b = CW_BUF_INIT;
				collapse(&b, s + t, e - t, false);
				CW_GROW(f, *cap, nf + 1);
				f[nf++] = (struct cw_diff_found){
					kind, cw_buf_detach(&b, NULL), t, e,
					true
				};
			}
			items++;
			p = e;
		}
		/* the lead-in is said by its items ("for example, do not:",
		 * or a numbered item's own heading: "1. Do not engage in
		 * dangerous or illegal activities. This includes content
		 * that:") */
		if (items)
			f[k].kind = CW_DIFF_FACT_NKINDS;
	}
	/* drop the lead-ins */
	size_t w = 0;
	for (size_t k = 0; k < nf; k++) {
		if (f[k].kind == CW_DIFF_FACT_NKINDS) {
			free(f[k].value);
			continue;
		}
		f[w++] = f[k];
	}
	*fp = f;
	*np = w;
}

void cw_diff_facts_extract(struct cw_diff_found **out, size_t *n,
			   const struct cw_diff_rules *rules, const char *s,
			   size_t len)
{
	struct cw_diff_found *f = NULL;
	size_t nf = 0, cap = 0;
	pcre2_match_data *md;
	bool utf_checked = false;
	struct cw_buf folded = CW_BUF_INIT; /* s, ASCII lower-cased */

	*out = NULL;
	*n = 0;
	if (!rules || rules->n_facts == 0 || len == 0)
		return;
	md = pcre2_match_data_create(16, NULL);
	for (size_t r = 0; r < rules->n_facts; r++) {
		const struct cw_diff_fact_rule *fr = &rules->facts[r];
		const pcre2_code *re;
		size_t pos = 0;

		if (fr->needs.n && !has_need(fr, s, len, &folded))
			continue;
		re = cw_re_code(fr->re, len);

		while (pos < len) {
			PCRE2_SIZE *ov;
			size_t ms, me, vs, ve;
			bool clash = false;
			struct cw_buf b = CW_BUF_INIT;
			int mrc = pcre2_match(
				re, (PCRE2_SPTR)s, len, pos,
				utf_checked ? PCRE2_NO_UTF_CHECK : 0, md, NULL);

			/* the first call checked the whole text's UTF-8
			 * (from offset 0); the thousands after it need not */
			if (mrc >= 0 || mrc == PCRE2_ERROR_NOMATCH)
				utf_checked = true;
			if (mrc < 0)
				break;
			ov = pcre2_get_ovector_pointer(md);
			ms = ov[0];
			me = ov[1];
			pos = me > ms ? me : ms + 1;
			if (fr->sentence)
				sentence_bounds(s, len, ms, &vs, &ve);
			else {
				vs = ms;
				ve = me;
			}
			/* one fact per span: earlier rules win (ages before
			 * durations), one duty per sentence */
			for (size_t k = 0; k < nf && !clash; k++) {
				bool same_family =
					(value_kind(f[k].kind) &&
					 value_kind(fr->kind)) ||
					((f[k].kind ==
						  CW_DIFF_FACT_OBLIGATION ||
					  f[k].kind ==
						  CW_DIFF_FACT_PROHIBITION) &&
					 fr->sentence);
				if (same_family && f[k].start < ve &&
				    vs < f[k].end)
					clash = true;
				if (f[k].kind == fr->kind &&
				    !value_kind(fr->kind) && !fr->sentence &&
				    f[k].start == vs)
					clash = true;
			}
			if (clash || ve <= vs)
				continue;
			if (fr->kind == CW_DIFF_FACT_DURATION) {
				CW_GROW(f, cap, nf + 1);
				f[nf++] = (struct cw_diff_found){
					fr->kind,
					norm_duration(s + vs, ve - vs), vs, ve,
					false
				};
				continue;
			}
			if (fr->kind == CW_DIFF_FACT_AMOUNT) {
				CW_GROW(f, cap, nf + 1);
				f[nf++] = (struct cw_diff_found){
					fr->kind, norm_amount(s + vs, ve - vs),
					vs, ve, false
				};
				continue;
			}
			if (fr->kind == CW_DIFF_FACT_AGE) {
				long v = -1;
				for (size_t i = vs; i < ve && v < 0; i++)
					if (isdigit((unsigned char)s[i]))
						v = read_number(s + i, ve - i);
				if (v < 0)
					continue;
				cw_buf_addf(&b, "%ld years", v);
			} else {
				collapse(&b, s + vs, ve - vs,
					 fr->kind == CW_DIFF_FACT_MODAL ||
						 fr->kind ==
							 CW_DIFF_FACT_NEGATION);
			}
			CW_GROW(f, cap, nf + 1);
			f[nf++] = (struct cw_diff_found){
				fr->kind, cw_buf_detach(&b, NULL), vs, ve, false
			};
		}
	}
	pcre2_match_data_free(md);
	cw_buf_release(&folded);
	spread_lead_ins(&f, &nf, &cap, s, len);
	*out = f;
	*n = nf;
}

/* ---- comparison ---- */

static uint64_t *word_set(const char *s, size_t *n)
{
	uint64_t *v = NULL;
	size_t cap = 0, k = 0, i = 0, len = strlen(s);

	while (i < len) {
		size_t j;
		char w[64];
		size_t wl = 0;
		while (i < len && !isalnum((unsigned char)s[i]))
			i++;
		j = i;
		while (j < len && isalnum((unsigned char)s[j])) {
			if (wl + 1 < sizeof(w))
				w[wl++] = (char)tolower((unsigned char)s[j]);
			j++;
		}
		if (j > i) {
			CW_GROW(v, cap, k + 1);
			v[k++] = cw_diff_hash(w, wl);
		}
		i = j;
	}
	*n = cw_sort_unique_u64(v, k);
	return v;
}

static bool sentences_same(const char *x, const char *y)
{
	size_t nx, ny;
	uint64_t *a = word_set(x, &nx), *b = word_set(y, &ny);
	double j = cw_diff_jaccard(a, nx, b, ny);

	free(a);
	free(b);
	return j >= SENTENCE_SAME;
}

static void add_fact(struct cw_diff_change *ch, size_t *cap,
		     enum cw_diff_fact_kind kind, const char *ov,
		     const char *nv)
{
	if (ch->n_facts >= MAX_FACTS_PER_CHANGE)
		return;
	/* the same move twice in one provision is said once */
	for (size_t i = 0; i < ch->n_facts; i++) {
		const struct cw_diff_fact *f = &ch->facts[i];
		if (f->kind == kind && (!ov) == (!f->old_value) &&
		    (!nv) == (!f->new_value) &&
		    (!ov || strcmp(ov, f->old_value) == 0) &&
		    (!nv || strcmp(nv, f->new_value) == 0))
			return;
	}
	CW_GROW(ch->facts, *cap, ch->n_facts + 1);
	ch->facts[ch->n_facts++] =
		(struct cw_diff_fact){ kind, ov ? cw_strdup(ov) : NULL,
				       nv ? cw_strdup(nv) : NULL };
}

/*
 * Duties of `x` that are list items (cw_diff_found.item) whose words are
 * in one duty of `y` of their kind, and the duties of `y` whose words the
 * items so found in them cover, are marked as matched (ux, uy): "don't
 * compromise the privacy of others, engage in regulated activity ..., or
 * promote ... illegal activity" became a list of those three and more, of
 * which only the more are new.
 */
static void covered_duties(const struct cw_diff_found *x, size_t nx, char *ux,
			   const struct cw_diff_found *y, size_t ny, char *uy)
{
	for (size_t j = 0; j < ny; j++) {
		size_t n_y, n_u = 0;
		uint64_t *wy, *u = NULL;
		bool any = false;

		if (y[j].kind != CW_DIFF_FACT_OBLIGATION &&
		    y[j].kind != CW_DIFF_FACT_PROHIBITION)
			continue;
		wy = word_set(y[j].value, &n_y);
		for (size_t i = 0; i < nx; i++) {
			size_t n_x;
			uint64_t *wx;
			if (ux[i] || !x[i].item || x[i].kind != y[j].kind)
				continue;
			wx = word_set(x[i].value, &n_x);
			if (cw_diff_containment(wx, n_x, wy, n_y) >=
			    DUTY_CONTAINED) {
				ux[i] = 1;
				any = true;
				u = cw_realloc(u, (n_u + n_x + 1) * sizeof(*u));
				memcpy(u + n_u, wx, n_x * sizeof(*u));
				n_u += n_x;
			}
			free(wx);
		}
		if (any) {
			n_u = cw_sort_unique_u64(u, n_u);
			if (cw_diff_containment(wy, n_y, u, n_u) >=
			    DUTY_COVERED)
				uy[j] = 1;
		}
		free(u);
		free(wy);
	}
}

/*
 * List items of `x` whose words the other side's text holds (the same
 * item under another lead-in, or in a sentence that was not a duty:
 * "Promoting or generating content related to child sexual abuse" and
 * "Relates to child sexual abuse or exploitation") are not new nor
 * dropped.
 */
static void items_in_text(const struct cw_diff_found *x, size_t nx, char *ux,
			  const char *t, size_t tlen)
{
	char *text = NULL;
	uint64_t *wt = NULL;
	size_t nt = 0;

	for (size_t i = 0; i < nx; i++) {
		size_t n_x;
		uint64_t *wx;
		if (ux[i] || !x[i].item)
			continue;
		if (!text) {
			text = cw_strndup(t, tlen);
			wt = word_set(text, &nt);
		}
		wx = word_set(x[i].value, &n_x);
		if (cw_diff_containment(wx, n_x, wt, nt) >= DUTY_CONTAINED)
			ux[i] = 1;
		free(wx);
	}
	free(text);
	free(wt);
}

bool cw_diff_facts_compare(struct cw_diff_change *ch,
			   const struct cw_diff_rules *rules, const char *a,
			   size_t alen, const char *b, size_t blen,
			   const char *wa, size_t walen, const char *wb,
			   size_t wblen)
{
	struct cw_diff_found *fa = NULL, *fb = NULL;
	size_t na = 0, nb = 0, cap = 0;
	char *ua, *ub;

	cw_diff_facts_extract(&fa, &na, rules, a, alen);
	cw_diff_facts_extract(&fb, &nb, rules, b, blen);
	ua = cw_calloc(na + 1, 1);
	ub = cw_calloc(nb + 1, 1);
	/* multiset difference per kind and value */
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++)
			if (!ub[j] && fa[i].kind == fb[j].kind &&
			    strcmp(fa[i].value, fb[j].value) == 0) {
				ua[i] = ub[j] = 1;
				break;
			}
	/* a reworded duty is not a new duty */
	for (size_t i = 0; i < na; i++) {
		if (ua[i] || (fa[i].kind != CW_DIFF_FACT_OBLIGATION &&
			      fa[i].kind != CW_DIFF_FACT_PROHIBITION))
			continue;
		for (size_t j = 0; j < nb; j++)
			if (!ub[j] && fb[j].kind == fa[i].kind &&
			    sentences_same(fa[i].value, fb[j].value)) {
				ua[i] = ub[j] = 1;
				break;
			}
	}
	/* a duty split into a list's items, or a list joined into one
	 * sentence, is neither dropped nor new */
	covered_duties(fa, na, ua, fb, nb, ub);
	covered_duties(fb, nb, ub, fa, na, ua);
	items_in_text(fa, na, ua, wb, wblen);
	items_in_text(fb, nb, ub, wa, walen);
	for (int k = 0; k < CW_DIFF_FACT_NKINDS; k++) {
		size_t i = 0, j = 0;
		/* pair the k-th removed with the k-th added value of the
		 * same kind: "30 days" -> "14 days", "may" -> "must" */
		for (;;) {
			while (i < na &&
			       (ua[i] ||
				fa[i].kind != (enum cw_diff_fact_kind)k))
				i++;
			while (j < nb &&
			       (ub[j] ||
				fb[j].kind != (enum cw_diff_fact_kind)k))
				j++;
			if (i >= na && j >= nb)
				break;
			if (i < na && j < nb && k != CW_DIFF_FACT_OBLIGATION &&
			    k != CW_DIFF_FACT_PROHIBITION &&
			    k != CW_DIFF_FACT_NEGATION &&
			    k != CW_DIFF_FACT_LAW) {
				add_fact(ch, &cap, (enum cw_diff_fact_kind)k,
					 fa[i].value, fb[j].value);
				i++;
				j++;
			} else if (i < na) {
				add_fact(ch, &cap, (enum cw_diff_fact_kind)k,
					 fa[i].value, NULL);
				i++;
			} else {
				add_fact(ch, &cap, (enum cw_diff_fact_kind)k,
					 NULL, fb[j].value);
				j++;
			}
		}
	}
	free(ua);
	free(ub);
	cw_diff_found_free(fa, na);
	cw_diff_found_free(fb, nb);
	return ch->n_facts > 0;
}

/* ---- summary ---- */

static void fill(struct cw_buf *out, const char *t,
		 const struct cw_diff_change *ch, const char *ov,
		 const char *nv, const char *kind)
{
	for (const char *p = t; *p; p++) {
		const char *e;
		size_t n;
		if (*p != '{' || !(e = strchr(p, '}'))) {
			cw_buf_addc(out, *p);
			continue;
		}
		n = (size_t)(e - p - 1);
#define IS(name) (n == strlen(name) && memcmp(p + 1, name, n) == 0)
		if (IS("title")) {
			if (ch->title[0])
				cw_buf_adds(out, ch->title);
			else
				cw_buf_addf(out, "Provision %s",
					    ch->new_key	  ? ch->new_key
					    : ch->old_key ? ch->old_key
							  : "?");
		} else if (IS("old")) {
			cw_buf_adds(out, ov ? ov : "");
		} else if (IS("new")) {
			cw_buf_adds(out, nv ? nv : "");
		} else if (IS("old_key")) {
			cw_buf_adds(out, ch->old_key ? ch->old_key : "");
		} else if (IS("new_key")) {
			cw_buf_adds(out, ch->new_key ? ch->new_key : "");
		} else if (IS("count")) {
			cw_buf_addf(out, "%zu",
				    ch->kind == CW_DIFF_SPLIT ? ch->n_new
							      : ch->n_old);
		} else if (IS("noise")) {
			for (size_t i = 0; i < ch->noise.n; i++)
				cw_buf_addf(out, "%s%s", i ? ", " : "",
					    ch->noise.v[i]);
			if (ch->noise.n == 0)
				cw_buf_adds(out, "whitespace");
		} else if (IS("kind")) {
			cw_buf_adds(out, kind ? kind : "");
		}
#undef IS
		p = e;
	}
}

/* Shorten a sentence for a summary line. */
static char *clip(const char *s)
{
	size_t n = strlen(s);

	if (n <= 140)
		return cw_strdup(s);
	/* cut on a UTF-8 boundary */
	n = 137;
	n = cw_utf8_floor(s, 0, n);
	return cw_asprintf("%.*s...", (int)n, s);
}

char *cw_diff_summary(const struct cw_diff_change *ch,
		      const struct cw_diff_rules *rules)
{
	/* priority of facts in the one sentence we write */
	static const enum cw_diff_fact_kind order[] = {
		CW_DIFF_FACT_DURATION,	  CW_DIFF_FACT_AMOUNT,
		CW_DIFF_FACT_PERCENT,	  CW_DIFF_FACT_AGE,
		CW_DIFF_FACT_PLACE,	  CW_DIFF_FACT_LAW,
		CW_DIFF_FACT_PROHIBITION, CW_DIFF_FACT_OBLIGATION,
		CW_DIFF_FACT_MODAL,	  CW_DIFF_FACT_NEGATION,
	};
	struct cw_buf out = CW_BUF_INIT;
	const char *sit = NULL;
	const struct cw_diff_fact *pick = NULL;
	char *clipped = NULL;

	switch (ch->kind) {
	case CW_DIFF_ADDED:
		sit = "added";
		break;
	case CW_DIFF_REMOVED:
		sit = "removed";
		break;
	case CW_DIFF_SPLIT:
		sit = "split";
		break;
	case CW_DIFF_MERGED:
		sit = "merged";
		break;
	default:
		break;
	}
	if (!sit && ch->materiality == CW_DIFF_SUBSTANTIVE) {
		/* a value that changed ("30 days" -> "14 days") says more than
		 * one that appeared or went; then by kind */
		for (int paired = 1; paired >= 0 && !pick; paired--)
			for (size_t o = 0;
			     o < sizeof(order) / sizeof(*order) && !pick; o++)
				for (size_t i = 0; i < ch->n_facts && !pick;
				     i++)
					if (ch->facts[i].kind == order[o] &&
					    (!paired ||
					     (ch->facts[i].old_value &&
					      ch->facts[i].new_value)))
						pick = &ch->facts[i];
	}
	if (pick) {
		const char *ov = pick->old_value, *nv = pick->new_value;
		switch (pick->kind) {
		case CW_DIFF_FACT_DURATION:
			if (ov && nv) {
				double d0 = duration_days(ov),
				       d1 = duration_days(nv);
				sit = d1 < d0	? "duration_shorter"
				      : d1 > d0 ? "duration_longer"
						: "changed";
			}
			break;
		case CW_DIFF_FACT_MODAL:
			if (ov && nv)
				sit = "modal_changed";
			break;
		case CW_DIFF_FACT_NEGATION:
			sit = nv ? "negation_added" : "negation_removed";
			break;
		case CW_DIFF_FACT_OBLIGATION:
			sit = nv ? "obligation_added" : "obligation_removed";
			break;
		case CW_DIFF_FACT_PROHIBITION:
			sit = nv ? "prohibition_added" : "prohibition_removed";
			break;
		default:
			break;
		}
		if (!sit)
			sit = ov && nv ? "changed"
			      : nv     ? "fact_added"
				       : "fact_removed";
		if (pick->kind == CW_DIFF_FACT_OBLIGATION ||
		    pick->kind == CW_DIFF_FACT_PROHIBITION)
			clipped = clip(nv ? nv : ov);
	}
	if (!sit) {
		if (ch->kind == CW_DIFF_MOVED)
			sit = ch->modified ? "moved_modified" : "moved";
		else if (ch->kind == CW_DIFF_RENUMBERED)
			sit = ch->modified ? "renumbered_modified"
					   : "renumbered";
		else if (ch->materiality == CW_DIFF_COSMETIC)
			sit = "cosmetic";
		else if (ch->materiality == CW_DIFF_SUBSTANTIVE)
			sit = "substantive";
		else
			sit = "editorial";
	}
	{
		const char *t = cw_diff_template(rules, sit);
		if (!t)
			t = "{title}: changed.";
		if (clipped)
			fill(&out, t, ch, pick->old_value ? clipped : NULL,
			     pick->new_value ? clipped : NULL,
			     cw_diff_fact_kind_name(pick->kind));
		else
			fill(&out, t, ch, pick ? pick->old_value : NULL,
			     pick ? pick->new_value : NULL,
			     pick ? cw_diff_fact_kind_name(pick->kind) : NULL);
	}
	free(clipped);
	return cw_buf_detach(&out, NULL);
}
