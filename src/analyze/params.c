/*
 * params: extract the facts of a provision with their spans.
 *
 * Each extractor is a few PCRE2 patterns plus a little logic to
 * normalise what they capture. The patterns are compiled once
 * (pthread_once) and shared read-only by all threads.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <pthread.h>

#include "../util/re.h"
#include "params.h"
#include "taxonomy.h"

static const char *const kind_names[CW_PARAM_COUNT] = {
	"liability_cap",
	"arbitration_body",
	"arbitration_rules",
	"opt_out_window",
	"opt_out_method",
	"min_age",
	"governing_law",
	"forum",
	"change_notice",
	"termination_notice",
	"credit_expiry",
	"inactivity_period",
	"training_on_inputs",
	"training_opt_out",
	"informal_resolution_period",
	"mass_arbitration_threshold",
	"claims_time_limit",
	"contact_email",
};

const char *cw_params_kind_name(int kind)
{
	return kind >= 0 && kind < CW_PARAM_COUNT ? kind_names[kind] : NULL;
}

int cw_params_kind_from_name(const char *name)
{
	for (int i = 0; name && i < CW_PARAM_COUNT; i++)
		if (!strcmp(name, kind_names[i]))
			return i;
	return -1;
}

/* ---- numbers ---- */

static const struct {
	const char *w;
	long v;
} number_words[] = {
	{ "a", 1 },	     { "an", 1 },	   { "one", 1 },
	{ "two", 2 },	     { "three", 3 },	   { "four", 4 },
	{ "five", 5 },	     { "six", 6 },	   { "seven", 7 },
	{ "eight", 8 },	     { "nine", 9 },	   { "ten", 10 },
	{ "eleven", 11 },    { "twelve", 12 },	   { "thirteen", 13 },
	{ "fourteen", 14 },  { "fifteen", 15 },	   { "sixteen", 16 },
	{ "seventeen", 17 }, { "eighteen", 18 },   { "nineteen", 19 },
	{ "twenty", 20 },    { "twenty-one", 21 }, { "twenty-five", 25 },
	{ "thirty", 30 },    { "forty-five", 45 }, { "forty", 40 },
	{ "fifty", 50 },     { "sixty", 60 },	   { "seventy", 70 },
	{ "eighty", 80 },    { "ninety", 90 },	   { "hundred", 100 },
};

long cw_params_number_word(const char *s, size_t len)
{
	long v = 0;
	size_t i = 0;

	if (len && s[0] >= '0' && s[0] <= '9') {
		while (i < len &&
		       ((s[i] >= '0' && s[i] <= '9') || s[i] == ',')) {
			if (s[i] != ',') {
				if (v > 100000000)
					return -1;
				v = v * 10 + (s[i] - '0');
			}
			i++;
		}
		return v;
	}
	/* longest word first: "forty-five" before "forty" */
	for (size_t k = 0; k < sizeof(number_words) / sizeof(number_words[0]);
	     k++) {
		size_t n = strlen(number_words[k].w);
		if (n <= len &&
		    !cw_strncasecmp_ascii(s, number_words[k].w, n) &&
		    (n == len || !((s[n] | 32) >= 'a' && (s[n] | 32) <= 'z') ||
		     s[n] == '-')) {
			if (n < len && s[n] == '-')
				continue; /* "forty-" of a longer word */
			return number_words[k].v;
		}
	}
	return -1;
}

/* ---- patterns ---- */

#define NUM                                                                   \
	"(\\d{1,6}|an?|one|two|three|four|five|six|seven|eight|nine|ten|"     \
	"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|" \
	"nineteen|twenty-one|twenty-five|twenty|thirty|forty-five|forty|"     \
	"fifty|sixty|seventy|eighty|ninety)"
#define PAREN "(?:\\s*\\(\\d+\\))?"
#define UNIT "(days?|weeks?|months?|years?|hours?)"
#define BIZ "(?:calendar\\s+|business\\s+|consecutive\\s+)?"

enum rx_id {
	RX_CAP_TRIGGER,
	RX_CAP_AMOUNT,
	RX_CAP_AMOUNT_WORD,
	RX_CAP_MONTHS,
	RX_CAP_MONTHS2,
	RX_ARB_RULES,
	RX_ARB_RULES_MORE,
	RX_OPT_OUT,
	RX_WITHIN_PERIOD,
	RX_EMAIL,
	RX_MAIL,
	RX_FORM,
	RX_AGE1,
	RX_AGE2,
	RX_LAW_TRIGGER,
	RX_LAW_RESIDENCE,
	RX_LAW_BEFORE,
	RX_COURTS,
	RX_FORUM_PLACE,
	RX_NOTICE1,
	RX_NOTICE2,
	RX_NOTICE3,
	RX_NO_NOTICE,
	RX_VAGUE_NOTICE,
	RX_LAW_NOTICE,
	RX_EXPIRE1,
	RX_EXPIRE2,
	RX_INACTIVE1,
	RX_INACTIVE2,
	RX_INACTIVE3,
	RX_TRAIN_YES1,
	RX_TRAIN_YES2,
	RX_TRAIN_NO,
	RX_TRAIN_OPT1,
	RX_TRAIN_OPT2,
	RX_RESOLVE_CTX,
	RX_DAY_PERIOD,
	RX_MASS,
	RX_TIME_BAR,
	RX_SENTENCE_END,
	RX_EXCLUSIVE,
	RX_COUNT
};

#define CI PCRE2_CASELESS
static const struct {
	const char *src;
	uint32_t flags;
} rx_src[RX_COUNT] = {
	[RX_CAP_TRIGGER] = { "\\b(?:(?:shall|will|does|do)\\s+not\\s+exceed|"
			     "not\\s+to\\s+exceed|(?:is|be)\\s+limited\\s+to|"
			     "capped\\s+at|in\\s+no\\s+event\\s+exceed|"
			     "limited\\s+to\\s+the\\s+(?:greater|lesser)|"
			     "exceed\\s+the\\s+(?:greater|lesser))",
			     CI },
	[RX_CAP_AMOUNT] = { "(?:(US|U\\.S\\.)?\\s?(\\$)|\\b(USD|EUR|GBP)\\s?|"
			    "(\xe2\x82\xac)|(\xc2\xa3))\\s?(\\d{1,3}(?:[,.]\\d{"
			    "3})+(?:[.,]\\d{1,2})?|\\d+(?:[.,]\\d{1,2})?)",
			    CI },
	[RX_CAP_AMOUNT_WORD] = { "\\b(\\d{1,3}(?:[,.]\\d{3})+(?:[.,]\\d{1,2})?|"
				 "\\d+(?:[.,]\\d{1,2})?)\\s*(?:US\\s+|U\\.S\\."
				 "\\s+)?"
				 "(dollars|euros?|pounds)\\b",
				 CI },
	[RX_CAP_MONTHS] = { "\\b(?:amounts?|fees?|sums?|total)\\b[^.;]{0,80}?"
			    "\\b(?:paid|payable|pay|spent|charged)\\b[^.;]{0,"
			    "100}?"
			    "\\b(?:in|during|for|over|within)\\s+the\\s+"
			    "(?:preceding\\s+|previous\\s+|prior\\s+|last\\s+|"
			    "past\\s+)?" NUM PAREN "[\\s-]+(?:calendar\\s+|"
			    "consecutive\\s+)?months?",
			    CI },
	[RX_CAP_MONTHS2] = { "\\b" NUM PAREN "[\\s-]+(?:calendar\\s+|"
			     "consecutive\\s+)?months?\\s+"
			     "(?:preceding|prior\\s+to|before|immediately)",
			     CI },
	[RX_ARB_RULES] = { "(?i:\\b(?:under|pursuant\\s+to|in\\s+accordance\\s+"
			   "with|"
			   "administered\\s+under|governed\\s+by))\\s+"
			   "(?i:the\\s+|its\\s+|their\\s+)?(?i:then[- "
			   "]current\\s+|"
			   "then[- ]applicable\\s+)?"
			   "((?:(?:[A-Z][A-Za-z&'\xe2\x80\x99-]*|and|for|of|&)"
			   "\\s+){0,10}?"
			   "(?:Rules|Procedures|Protocol)\\b"
			   "(?:\\s+(?:and|&)\\s+(?:[A-Z][A-Za-z-]*\\s+){0,3}"
			   "(?:Procedures|Rules))?"
			   "(?:\\s+(?:for|of)(?:\\s+[A-Z][A-Za-z-]*)+)?)",
			   0 },
	[RX_ARB_RULES_MORE] = { "\\G\\s*(?:and/or|and|or|as\\s+well\\s+as)\\s+"
				"(?:the\\s+|its\\s+)?((?:[A-Z][A-Za-z-]*\\s+){"
				"1,6}"
				"(?:Rules|Procedures)(?:\\s+for(?:\\s+[A-Z][A-"
				"Za-z-]*)+)?)",
				0 },
	[RX_OPT_OUT] = { "\\bopt(?:[- ]|\\s+)?out\\b", CI },
	[RX_WITHIN_PERIOD] = { "\\bwithin\\s+" NUM PAREN "\\s*" BIZ UNIT "\\b"
			       "(?:\\s+(?:of|after|from|following)\\s+([^.,;()"
			       "\\n]{3,60}))?",
			       CI },
	[RX_EMAIL] = { "\\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,200}\\.[A-Za-"
		       "z]{2,24}\\b",
		       0 },
	[RX_MAIL] = { "\\b(?:by\\s+(?:postal\\s+|certified\\s+|registered\\s+|"
		      "first[- ]class\\s+)?mail|"
		      "postal\\s+address|mailing\\s+address|letter)\\b",
		      CI },
	[RX_FORM] = { "\\b(?:online\\s+form|web\\s+form|opt[- ]?out\\s+form|"
		      "form\\s+(?:at|available)|account\\s+settings)\\b",
		      CI },
	[RX_AGE1] = { "\\b(?:at\\s+least|minimum\\s+age\\s+(?:of|is|to\\s+use[^"
		      ".]{0,30}?is)|"
		      "must\\s+be|over\\s+the\\s+age\\s+of|older\\s+than|aged|"
		      "under\\s+the\\s+age\\s+of|age\\s+of)\\s+" NUM PAREN
		      "(?!\\s*" BIZ "(?:days?|weeks?|months?|hours?|percent|%))"
		      "(?:\\s*(?:years?|\\+|or\\s+older|or\\s+over))?",
		      CI },
	[RX_AGE2] = { "\\b" NUM PAREN "\\s+years?\\s+(?:of\\s+age|old)\\b",
		      CI },
	[RX_LAW_TRIGGER] = { "\\b(?:governed\\s+by|construed\\s+(?:and\\s+\\w+"
			     "\\s+)?"
			     "(?:in\\s+accordance\\s+with|according\\s+to|"
			     "under)|"
			     "interpreted\\s+(?:in\\s+accordance\\s+with|"
			     "according\\s+to|under)|"
			     "governing\\s+law\\s+(?:is|shall\\s+be|will\\s+be)"
			     "|"
			     "subject\\s+to\\s+the\\s+laws\\s+of|"
			     /* "the laws of the State of Kansas will apply" */
			     "(?:the\\s+)?laws?\\s+of(?=[^.;]{0,80}\\b(?:will|"
			     "shall)\\s+(?:apply|govern)))",
			     CI },
	[RX_LAW_RESIDENCE] = { "\\blaws?\\s+of\\s+the\\s+(?:jurisdiction|"
			       "country|state|place)\\s+"
			       "(?:where|in\\s+which)\\s+you\\s+(?:are\\s+(?:"
			       "a\\s+)?resident|reside|live|"
			       "are\\s+domiciled|have\\s+your\\s+habitual\\s+"
			       "residence)",
			       CI },
	/* "California law will govern": the place comes before the verb */
	[RX_LAW_BEFORE] = { "\\blaws?\\s+(?:will|shall|does|to)\\s+govern",
			    CI },
	[RX_COURTS] = { "\\b(?:courts?|tribunals?)\\b", CI },
	[RX_FORUM_PLACE] = { "\\G[^.;]{0,80}?(?i:(?:located|sitting|situated|"
			     "seated)\\s+)?"
			     "(?i:\\b(?:in|of|for|at))\\s+(?i:the\\s+)?"
			     "(?i:(?:county|city|state|commonwealth|province)"
			     "\\s+of\\s+)?"
			     "([A-Z][A-Za-z.]+(?:(?:\\s+|,\\s*)(?:[A-Z][A-Za-z."
			     "]+|County))*)",
			     0 },
	[RX_NOTICE1] = { "\\b" NUM PAREN "\\s*" BIZ UNIT "[\\x{2019}']?\\s+"
			 "(?:prior\\s+|advance\\s+|written\\s+|prior\\s+"
			 "written\\s+|"
			 "advance\\s+written\\s+)?notice\\b",
			 CI },
	[RX_NOTICE2] = { "\\bnotice\\s+(?:of\\s+)?(?:at\\s+least\\s+)?" NUM PAREN
			 "\\s*" BIZ UNIT "\\b",
			 CI },
	[RX_NOTICE3] = { "\\bat\\s+least\\s+" NUM PAREN "\\s*" BIZ UNIT "\\s+(?"
			 ":befor"
			 "e|"
			 "prior|"
			 "in\\s+"
			 "advanc"
			 "e)",
			 CI },
	[RX_NO_NOTICE] = { "\\bwithout\\s+(?:any\\s+)?(?:advance\\s+|prior\\s+)"
			   "?notice\\b",
			   CI },
	[RX_VAGUE_NOTICE] = { "\\b(?:with\\s+)?(?:advance|prior|reasonable)\\s+"
			      "notice\\b",
			      CI },
	[RX_LAW_NOTICE] = { "\\bnotice\\b[^.]{0,60}\\bin\\s+accordance\\s+"
			    "with\\s+"
			    "(?:applicable\\s+)?law\\b",
			    CI },
	[RX_EXPIRE1] = { "\\bexpir(?:e|es|ed|y|ation)\\b[^.;]{0,40}?\\b(?:"
			 "after|within|in|of)?\\s*" NUM PAREN "\\s*" BIZ UNIT
			 "\\b",
			 CI },
	[RX_EXPIRE2] = { "\\b(?:valid|available|usable)\\s+for\\s+" NUM PAREN
			 "\\s*" UNIT "\\b",
			 CI },
	[RX_INACTIVE1] = { "\\binactive\\s+for\\s+(?:over\\s+|more\\s+than\\s+|"
			   "at\\s+least\\s+|"
			   "a\\s+period\\s+of\\s+)?" NUM PAREN "\\s*" BIZ UNIT
			   "\\b",
			   CI },
	[RX_INACTIVE2] = { "\\b" NUM PAREN "\\s*" BIZ UNIT "\\s+of\\s+(?:"
			   "account\\s+)?"
			   "inactivity\\b",
			   CI },
	[RX_INACTIVE3] = { "\\b(?:not|haven['\\x{2019}]t|have\\s+not)\\s+(?:"
			   "logged\\s+in|"
			   "signed\\s+in|used[^.]{0,30}?)\\s+(?:for|in)\\s+"
			   "(?:over\\s+|more\\s+than\\s+|at\\s+least\\s+)?" NUM
				   PAREN "\\s*" BIZ UNIT "\\b",
			   CI },
	/* the provider must be the one using the data: "you may not use
	   Outputs to train a model" is a restriction, not a data use */
	[RX_TRAIN_YES1] = { "\\b(?:we|stability|the\\s+company|the\\s+provider)"
			    "\\s+"
			    "(?:may\\s+|will\\s+|can\\s+|might\\s+)?(?:also\\s+"
			    ")?"
			    "(?:use|using|process|analy[sz]e)\\b[^.]{0,80}\\b"
			    "(?:inputs?|outputs?|content|data|prompts?|"
			    "conversations?)\\b"
			    "[^.]{0,80}\\b(?:train|improve|develop)",
			    CI },
	[RX_TRAIN_YES2] = { "\\btrain(?:ing)?\\s+(?:our|its|their)\\s+(?:ai\\s+"
			    ")?models?\\b",
			    CI },
	[RX_TRAIN_NO] = { "\\b(?:do|does|will|shall)\\s+not\\s+(?:use|train)"
			  "\\b[^.]{0,80}"
			  "\\b(?:train|inputs?|content|data|prompts?)\\b",
			  CI },
	[RX_TRAIN_OPT1] = { "\\bopt(?:[- "
			    "]|\\s+)?out\\b[^.]{0,120}\\b(?:train|training|"
			    "improve)",
			    CI },
	[RX_TRAIN_OPT2] = { "\\b(?:train|training)\\b[^.]{0,120}\\bopt(?:[- "
			    "]|\\s+)?out\\b",
			    CI },
	[RX_RESOLVE_CTX] = { "\\b(?:resolve|resolution|negotiat|informal)",
			     CI },
	[RX_DAY_PERIOD] = { "\\b" NUM "[- "
			    "](day|month)\\s+(?:period|negotiation)",
			    CI },
	[RX_MASS] = { "\\b" NUM PAREN "\\s+or\\s+more\\s+(claimants|demands|"
		      "claims|"
		      "individuals|similar|arbitrations)",
		      CI },
	[RX_TIME_BAR] = { "\\bwithin\\s+" NUM PAREN "\\s*" UNIT "\\s+(?:after|"
			  "of|from)\\b"
			  "[^.]{0,80}\\b(?:claim|cause\\s+of\\s+action|arose|"
			  "arises|accru)",
			  CI },
	[RX_SENTENCE_END] = { "[.;](?=\\s|$)(?<!\\d\\.)|\\n\\s*\\n", 0 },
	[RX_EXCLUSIVE] = { "\\bexclusive(?:ly)?\\b", CI },
};

static struct cw_re *rx[RX_COUNT];
static pthread_once_t rx_once = PTHREAD_ONCE_INIT;

static void rx_init(void)
{
	for (int i = 0; i < RX_COUNT; i++) {
		int ec;
		PCRE2_SIZE eo;
		/* JIT-compiled once they have run enough (util/re.h) */
		rx[i] = cw_re_new(rx_src[i].src,
				  rx_src[i].flags | PCRE2_UTF |
					  PCRE2_MATCH_INVALID_UTF,
				  &ec, &eo);
		if (!rx[i]) {
			/* a bug in the table above, caught by the tests */
			PCRE2_UCHAR m[128];
			pcre2_get_error_message(ec, m, sizeof(m));
			fprintf(stderr, "params: pattern %d offset %zu: %s\n",
				i, (size_t)eo, (const char *)m);
			abort();
		}
	}
}

/* A match with up to 8 groups; unset groups have so == PCRE2_UNSET. */
struct m8 {
	size_t so[8], eo[8];
	int n;
};

static bool find(struct m8 *m, int id, const char *t, size_t len, size_t from)
{
	pcre2_match_data *md;
	pcre2_match_context *mc;
	int rc;

	if (from > len)
		return false;
	md = pcre2_match_data_create(8, NULL);
	mc = pcre2_match_context_create(NULL);
	if (!md || !mc)
		abort();
	/* same budget as the taxonomy: bounded gaps keep real matches far
	   below it */
	pcre2_set_match_limit(mc, 2000000u);
	pcre2_set_depth_limit(mc, 20000u);
	rc = pcre2_match(cw_re_code(rx[id], len - from), (PCRE2_SPTR)t, len,
			 from, 0, md, mc);
	if (rc > 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		m->n = rc;
		for (int i = 0; i < 8; i++) {
			bool set = i < rc && ov[2 * i] != PCRE2_UNSET;
			m->so[i] = set ? ov[2 * i] : (size_t)-1;
			m->eo[i] = set ? ov[2 * i + 1] : (size_t)-1;
		}
	}
	pcre2_match_context_free(mc);
	pcre2_match_data_free(md);
	return rc > 0;
}

static bool has(const struct m8 *m, int g)
{
	return g < 8 && m->so[g] != (size_t)-1;
}

/* End of the sentence that contains `at` (or len). */
static size_t sentence_end(const char *t, size_t len, size_t at)
{
	struct m8 m;
	return find(&m, RX_SENTENCE_END, t, len, at) ? m.eo[0] : len;
}

/* ---- output ---- */

void cw_params_release(struct cw_params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->items[i].value);
		free(p->items[i].detail);
	}
	free(p->items);
	p->items = NULL;
	p->n = p->cap = 0;
}

const struct cw_param *cw_params_find(const struct cw_params *p, int kind)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->items[i].kind == kind)
			return &p->items[i];
	return NULL;
}

struct ctx {
	struct cw_params *out;
	const char *t;
	size_t len, base;
	int kind;
	size_t count; /* values of this kind so far */
};

static struct cw_param *add(struct ctx *c, char *value, double number,
			    const char *unit, size_t start, size_t end)
{
	struct cw_param *p;

	/* the same value read twice (a clause repeated) is kept once */
	for (size_t i = 0; i < c->out->n; i++)
		if (c->out->items[i].kind == c->kind &&
		    !strcmp(c->out->items[i].value, value)) {
			free(value);
			return NULL;
		}
	if (c->count >= CW_PARAMS_MAX_PER_KIND) {
		free(value);
		return NULL;
	}
	CW_GROW(c->out->items, c->out->cap, c->out->n + 1);
	p = &c->out->items[c->out->n++];
	memset(p, 0, sizeof(*p));
	p->kind = c->kind;
	p->value = value;
	p->number = number;
	snprintf(p->unit, sizeof(p->unit), "%s", unit ? unit : "");
	p->number2 = NAN;
	p->start = c->base + start;
	p->end = c->base + end;
	c->count++;
	return p;
}

/* "year" / "Years" -> "years" */
static void plural_unit(char *out, size_t n, const char *s, size_t len)
{
	size_t k = 0;
	for (size_t i = 0; i < len && k + 2 < n; i++)
		out[k++] =
			(char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	if (k && out[k - 1] != 's' && k + 1 < n)
		out[k++] = 's';
	out[k] = 0;
}

/* Add a period read from groups `gn` (number) and `gu` (unit) of m. */
static struct cw_param *add_period(struct ctx *c, const struct m8 *m, int gn,
				   int gu)
{
	char unit[16];
	long v;

	if (!has(m, gn) || !has(m, gu))
		return NULL;
	v = cw_params_number_word(c->t + m->so[gn], m->eo[gn] - m->so[gn]);
	if (v < 0)
		return NULL;
	plural_unit(unit, sizeof(unit), c->t + m->so[gu],
		    m->eo[gu] - m->so[gu]);
	/* the unit field stays plural; the readable value says "1 year" */
	return add(c,
		   cw_asprintf("%ld %.*s", v,
			       (int)(strlen(unit) - (v == 1 ? 1 : 0)), unit),
		   (double)v, unit, m->so[0], m->eo[0]);
}

/* ---- places (governing law and forum) ---- */

/*
 * Jurisdictions a governing-law or forum clause names. A fact list
 * (names of places), not prose; longer names come first so "West
 * Virginia" beats "Virginia" and "England and Wales" beats "England".
 */
static const char *const places[] = {
	"England and Wales",
	"District of Columbia",
	"United States of America",
	"United States",
	"United Kingdom",
	"Northern Ireland",
	"New South Wales",
	"British Columbia",
	"Hong Kong",
	"South Korea",
	"Republic of Ireland",
	"the Netherlands",
	"Netherlands",
	"New Zealand",
	"Cayman Islands",
	"Czech Republic",
	"West Virginia",
	"North Carolina",
	"South Carolina",
	"North Dakota",
	"South Dakota",
	"New Hampshire",
	"New Jersey",
	"New Mexico",
	"New York",
	"Rhode Island",
	"Alabama",
	"Alaska",
	"Arizona",
	"Arkansas",
	"California",
	"Colorado",
	"Connecticut",
	"Delaware",
	"Florida",
	"Georgia",
	"Hawaii",
	"Idaho",
	"Illinois",
	"Indiana",
	"Iowa",
	"Kansas",
	"Kentucky",
	"Louisiana",
	"Maine",
	"Maryland",
	"Massachusetts",
	"Michigan",
	"Minnesota",
	"Mississippi",
	"Missouri",
	"Montana",
	"Nebraska",
	"Nevada",
	"Ohio",
	"Oklahoma",
	"Oregon",
	"Pennsylvania",
	"Tennessee",
	"Texas",
	"Utah",
	"Vermont",
	"Virginia",
	"Washington",
	"Wisconsin",
	"Wyoming",
	"England",
	"Scotland",
	"Ireland",
	"Germany",
	"France",
	"Luxembourg",
	"Switzerland",
	"Sweden",
	"Spain",
	"Italy",
	"Belgium",
	"Denmark",
	"Norway",
	"Finland",
	"Austria",
	"Poland",
	"Portugal",
	"Estonia",
	"Singapore",
	"Japan",
	"Canada",
	"Ontario",
	"Quebec",
	"Australia",
	"India",
	"Israel",
	"China",
	"Korea",
	"Brazil",
	"Mexico",
	"United Arab Emirates",
	"Dubai",
	"Cyprus",
	"Malta",
	"Gibraltar",
};

static bool word_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || (unsigned char)ch >= 0x80;
}

/*
 * The earliest place named in t[from, to) (longest on ties): its index in
 * `places` or -1, with its span.
 */
static int find_place(const char *t, size_t from, size_t to, size_t *ps,
		      size_t *pe)
{
	int best = -1;
	size_t bs = 0, bl = 0;

	for (size_t k = 0; k < sizeof(places) / sizeof(places[0]); k++) {
		size_t n = strlen(places[k]);
		for (size_t i = from; i + n <= to; i++) {
			if (cw_strncasecmp_ascii(t + i, places[k], n))
				continue;
			if ((i > 0 && word_char(t[i - 1])) ||
			    (i + n < to && word_char(t[i + n])))
				continue;
			if (best < 0 || i < bs || (i == bs && n > bl)) {
				best = (int)k;
				bs = i;
				bl = n;
			}
			break;
		}
	}
	if (best >= 0) {
		*ps = bs;
		*pe = bs + bl;
	}
	return best;
}

/* ---- extractors ---- */

static const char *currency_of(const struct m8 *m, const char *t)
{
	if (has(m, 2))
		return "USD";
	if (has(m, 3))
		return cw_strncasecmp_ascii(t + m->so[3], "EUR", 3) == 0 ? "EUR"
		       : cw_strncasecmp_ascii(t + m->so[3], "GBP", 3) == 0
			       ? "GBP"
			       : "USD";
	if (has(m, 4))
		return "EUR";
	if (has(m, 5))
		return "GBP";
	return "USD";
}

/*
 * "75,000", "10.000" (thousands), "100.00", "0,50" (decimals): the last
 * separator is a decimal point when one or two digits follow it, else all
 * separators group thousands.
 */
static double parse_amount(const char *s, size_t n)
{
	char buf[48];
	size_t k = 0, last = (size_t)-1;

	for (size_t i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '.')
			last = i;
	for (size_t i = 0; i < n && k + 1 < sizeof(buf); i++) {
		if (s[i] != ',' && s[i] != '.')
			buf[k++] = s[i];
		else if (i == last && n - i - 1 <= 2)
			buf[k++] = '.';
	}
	buf[k] = 0;
	return strtod(buf, NULL);
}

/* "USD 100" or "USD 0.01" */
static char *money(const char *cur, double amount)
{
	if (amount == floor(amount))
		return cw_asprintf("%s %.0f", cur, amount);
	return cw_asprintf("%s %.2f", cur, amount);
}

static void x_liability_cap(struct ctx *c)
{
	struct m8 t, a, mo;
	size_t from = 0;

	while (find(&t, RX_CAP_TRIGGER, c->t, c->len, from)) {
		size_t end = sentence_end(c->t, c->len, t.eo[0]);
		size_t wend = end < t.eo[0] + 400 ? end : t.eo[0] + 400;
		double amount = NAN, months = NAN;
		const char *cur = "";
		size_t last = t.eo[0];
		bool greater, lesser;
		struct cw_param *p;
		char *value;

		from = end > t.eo[0] ? end : t.eo[0] + 1;
		if (find(&a, RX_CAP_AMOUNT, c->t, wend, t.so[0])) {
			amount =
				parse_amount(c->t + a.so[6], a.eo[6] - a.so[6]);
			cur = currency_of(&a, c->t);
			last = a.eo[0] > last ? a.eo[0] : last;
		} else if (find(&a, RX_CAP_AMOUNT_WORD, c->t, wend, t.so[0])) {
			amount =
				parse_amount(c->t + a.so[1], a.eo[1] - a.so[1]);
			cur = (c->t[a.so[2]] | 32) == 'd'   ? "USD"
			      : (c->t[a.so[2]] | 32) == 'e' ? "EUR"
							    : "GBP";
			last = a.eo[0] > last ? a.eo[0] : last;
		}
		if (find(&mo, RX_CAP_MONTHS, c->t, wend, t.so[0]) ||
		    find(&mo, RX_CAP_MONTHS2, c->t, wend, t.so[0])) {
			long v = cw_params_number_word(c->t + mo.so[1],
						       mo.eo[1] - mo.so[1]);
			if (v > 0)
				months = (double)v;
			last = mo.eo[0] > last ? mo.eo[0] : last;
		}
		if (isnan(amount) && isnan(months))
			continue;
		greater =
			memmem(c->t + t.so[0], wend - t.so[0], "greater", 7) ||
			memmem(c->t + t.so[0], wend - t.so[0], "GREATER", 7);
		lesser = memmem(c->t + t.so[0], wend - t.so[0], "lesser", 6) ||
			 memmem(c->t + t.so[0], wend - t.so[0], "LESSER", 6);
		if (!isnan(amount) && !isnan(months)) {
			char *m = money(cur, amount);
			value = cw_asprintf("%s%s or fees paid in the %.0f "
					    "months",
					    lesser    ? "lesser of "
					    : greater ? "greater of "
						      : "",
					    m, months);
			free(m);
		} else if (!isnan(amount))
			value = money(cur, amount);
		else
			value = cw_asprintf("fees paid in the %.0f months",
					    months);
		p = add(c, value, amount, cur, t.so[0], last);
		if (!p)
			continue;
		p->number2 = months;
		if (!isnan(months))
			snprintf(p->unit2, sizeof(p->unit2), "months");
		if (greater || lesser)
			p->detail = cw_strdup(greater && !lesser ? "greater of"
								 : "lesser of");
	}
}

static const struct {
	const char *abbr, *full;
	const char *full_re; /* matched caseless */
	const char *abbr_re; /* matched as written, so "nam" or "icc" in
				running text do not count */
} bodies[] = {
	{ "AAA", "American Arbitration Association",
	  "\\bamerican\\s+arbitration\\s+association\\b", "\\bAAA\\b" },
	{ "JAMS", "JAMS",
	  "\\bjams\\s+(?:arbitration|rules|streamlined|comprehensive)",
	  "\\bJAMS\\b" },
	{ "NAM", "National Arbitration and Mediation",
	  "\\bnational\\s+arbitration\\s+(?:and|&)\\s+mediation\\b",
	  "\\bNAM\\b" },
	{ "ICC", "International Chamber of Commerce",
	  "\\binternational\\s+chamber\\s+of\\s+commerce\\b", "\\bICC\\b" },
	{ "ICDR", "International Centre for Dispute Resolution",
	  "\\binternational\\s+cent(?:re|er)\\s+for\\s+dispute\\s+"
	  "resolution\\b",
	  "\\bICDR\\b" },
	{ "LCIA", "London Court of International Arbitration",
	  "\\blondon\\s+court\\s+of\\s+international\\s+arbitration\\b",
	  "\\bLCIA\\b" },
	{ "SIAC", "Singapore International Arbitration Centre",
	  "\\bsingapore\\s+international\\s+arbitration\\s+cent(?:re|er)\\b",
	  "\\bSIAC\\b" },
	{ "HKIAC", "Hong Kong International Arbitration Centre",
	  "\\bhong\\s+kong\\s+international\\s+arbitration\\s+cent(?:re|er)\\b",
	  "\\bHKIAC\\b" },
	{ "ADR Services", "ADR Services, Inc.", "\\badr\\s+services\\b",
	  "\\bADRS\\b" },
	{ "FairClaims", "FairClaims", "\\bfairclaims\\b", "\\bFairClaims\\b" },
};
#define NBODIES (sizeof(bodies) / sizeof(bodies[0]))
static pcre2_code *body_rx[NBODIES];
static pthread_once_t body_once = PTHREAD_ONCE_INIT;

static void body_init(void)
{
	for (size_t i = 0; i < NBODIES; i++) {
		int ec;
		PCRE2_SIZE eo;
		char *src = cw_asprintf("(?i:%s)|%s", bodies[i].full_re,
					bodies[i].abbr_re);
		body_rx[i] = pcre2_compile((PCRE2_SPTR)src,
					   PCRE2_ZERO_TERMINATED,
					   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
					   &ec, &eo, NULL);
		free(src);
		if (!body_rx[i])
			abort(); /* a bug in the table, caught by the tests */
	}
}

static void x_arbitration_body(struct ctx *c)
{
	struct {
		size_t i, s, e;
	} found[NBODIES];
	size_t nf = 0;

	pthread_once(&body_once, body_init);
	if (!memmem(c->t, c->len, "rbitra", 6) &&
	    !memmem(c->t, c->len, "RBITRA", 6))
		return;
	for (size_t i = 0; i < NBODIES; i++) {
		pcre2_match_data *md =
			pcre2_match_data_create_from_pattern(body_rx[i], NULL);
		if (!md)
			abort();
		if (pcre2_match(body_rx[i], (PCRE2_SPTR)c->t, c->len, 0, 0, md,
				NULL) > 0) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			found[nf].i = i;
			found[nf].s = ov[0];
			found[nf].e = ov[1];
			nf++;
		}
		pcre2_match_data_free(md);
	}
	/* in order of appearance */
	for (size_t a = 0; a < nf; a++)
		for (size_t b = a + 1; b < nf; b++)
			if (found[b].s < found[a].s) {
				__typeof__(found[0]) tmp = found[a];
				found[a] = found[b];
				found[b] = tmp;
			}
	for (size_t k = 0; k < nf; k++) {
		struct cw_param *p = add(c, cw_strdup(bodies[found[k].i].abbr),
					 NAN, "", found[k].s, found[k].e);
		if (p)
			p->detail = cw_strdup(bodies[found[k].i].full);
	}
}

static char *trim_copy(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == ',' || s[n - 1] == '\n' ||
		     s[n - 1] == '.'))
		n--;
	while (n && (*s == ' ' || *s == '\n')) {
		s++;
		n--;
	}
	return cw_strndup(s, n);
}

static void x_arbitration_rules(struct ctx *c)
{
	struct m8 m, more;
	size_t from = 0;

	if (!memmem(c->t, c->len, "rbitra", 6) &&
	    !memmem(c->t, c->len, "RBITRA", 6))
		return;
	while (find(&m, RX_ARB_RULES, c->t, c->len, from)) {
		struct cw_buf b = CW_BUF_INIT;
		size_t end = m.eo[1];
		char *first = trim_copy(c->t + m.so[1], m.eo[1] - m.so[1]);

		from = m.eo[0];
		cw_buf_adds(&b, first);
		free(first);
		if (find(&more, RX_ARB_RULES_MORE, c->t, c->len, m.eo[1])) {
			char *second = trim_copy(c->t + more.so[1],
						 more.eo[1] - more.so[1]);
			cw_buf_addf(&b, "; %s", second);
			free(second);
			end = more.eo[1];
			from = end;
		}
		add(c, cw_buf_detach(&b, NULL), NAN, "", m.so[1], end);
		cw_buf_release(&b);
	}
}

static void x_opt_out_window(struct ctx *c)
{
	struct m8 o, w;
	size_t from = 0;

	while (find(&o, RX_OPT_OUT, c->t, c->len, from)) {
		size_t lim = o.eo[0] + 400 < c->len ? o.eo[0] + 400 : c->len;
		size_t at = o.eo[0];
		from = o.eo[0];
		while (find(&w, RX_WITHIN_PERIOD, c->t, lim, at)) {
			struct cw_param *p = add_period(c, &w, 1, 2);
			at = w.eo[0];
			if (p && has(&w, 3))
				p->detail = trim_copy(c->t + w.so[3],
						      w.eo[3] - w.so[3]);
		}
		from = lim > from ? lim : from;
	}
}

static void x_opt_out_method(struct ctx *c)
{
	struct m8 o, m;
	size_t from = 0;

	while (find(&o, RX_OPT_OUT, c->t, c->len, from)) {
		size_t lim = o.eo[0] + 300 < c->len ? o.eo[0] + 300 : c->len;
		from = lim;
		if (find(&m, RX_EMAIL, c->t, lim, o.so[0]))
			add(c,
			    cw_asprintf("email to %.*s",
					(int)(m.eo[0] - m.so[0]),
					c->t + m.so[0]),
			    NAN, "", m.so[0], m.eo[0]);
		if (find(&m, RX_MAIL, c->t, lim, o.so[0]))
			add(c, cw_strdup("mail"), NAN, "", m.so[0], m.eo[0]);
		if (find(&m, RX_FORM, c->t, lim, o.so[0]))
			add(c, cw_strdup("online form"), NAN, "", m.so[0],
			    m.eo[0]);
	}
}

static void x_min_age(struct ctx *c)
{
	static const int ids[] = { RX_AGE1, RX_AGE2 };
	for (size_t k = 0; k < 2; k++) {
		struct m8 m;
		size_t from = 0;
		while (find(&m, ids[k], c->t, c->len, from)) {
			long v = cw_params_number_word(c->t + m.so[1],
						       m.eo[1] - m.so[1]);
			from = m.eo[0];
			/* ages of consent and majority lie in this range; other
			   numbers after "at least" are not ages */
			if (v < 10 || v > 25)
				continue;
			add(c, cw_asprintf("%ld years", v), (double)v, "years",
			    m.so[0], m.eo[0]);
		}
	}
}

static void x_governing_law(struct ctx *c)
{
	struct m8 m;
	size_t from = 0;

	while (find(&m, RX_LAW_TRIGGER, c->t, c->len, from)) {
		size_t end = sentence_end(c->t, c->len, m.eo[0]);
		size_t lim = end < m.eo[0] + 200 ? end : m.eo[0] + 200;
		size_t ps, pe;
		int k = find_place(c->t, m.eo[0], lim, &ps, &pe);

		from = m.eo[0];
		if (k < 0)
			continue;
		add(c, cw_strdup(places[k]), NAN, "", m.so[0], pe);
	}
}

static void x_governing_law_more(struct ctx *c)
{
	struct m8 m;
	size_t from = 0;

	if (find(&m, RX_LAW_RESIDENCE, c->t, c->len, 0))
		add(c, cw_strdup("law of the user's place of residence"), NAN,
		    "", m.so[0], m.eo[0]);
	while (find(&m, RX_LAW_BEFORE, c->t, c->len, from)) {
		size_t back = m.so[0] > 40 ? m.so[0] - 40 : 0;
		size_t ps = 0, pe = 0, best_s = 0, best_e = 0;
		int k, best = -1;

		from = m.eo[0];
		/* the place nearest to the verb wins */
		while ((k = find_place(c->t, back, m.so[0], &ps, &pe)) >= 0) {
			best = k;
			best_s = ps;
			best_e = pe;
			back = pe;
		}
		if (best >= 0)
			add(c, cw_strdup(places[best]), NAN, "", best_s,
			    m.eo[0] > best_e ? m.eo[0] : best_e);
	}
}

static void x_forum(struct ctx *c)
{
	struct m8 m, p, ex;
	size_t from = 0;

	while (find(&m, RX_COURTS, c->t, c->len, from)) {
		size_t end = sentence_end(c->t, c->len, m.eo[0]);
		size_t ps, pe;
		char *phrase;
		struct cw_param *out;

		from = m.eo[0];
		if (!find(&p, RX_FORUM_PLACE, c->t, end, m.eo[0]))
			continue;
		/* accept the phrase only if it names a known place or a
		   county: "courts of competent jurisdiction" names none */
		phrase = trim_copy(c->t + p.so[1], p.eo[1] - p.so[1]);
		if (find_place(phrase, 0, strlen(phrase), &ps, &pe) < 0 &&
		    !strstr(phrase, "County") && !strstr(phrase, "COUNTY")) {
			free(phrase);
			continue;
		}
		out = add(c, phrase, NAN, "", m.so[0],
			  p.so[1] + strlen(phrase));
		if (out && find(&ex, RX_EXCLUSIVE, c->t, end,
				m.so[0] > 200 ? m.so[0] - 200 : 0))
			out->detail = cw_strdup("exclusive");
	}
}

static void x_notice(struct ctx *c)
{
	static const int ids[] = { RX_NOTICE1, RX_NOTICE2, RX_NOTICE3 };
	struct m8 m;
	size_t before = c->count;

	for (size_t k = 0; k < 3; k++) {
		size_t from = 0;
		while (find(&m, ids[k], c->t, c->len, from)) {
			from = m.eo[0];
			add_period(c, &m, 1, 2);
		}
	}
	if (find(&m, RX_NO_NOTICE, c->t, c->len, 0))
		add(c, cw_strdup("no notice"), 0, "days", m.so[0], m.eo[0]);
	if (c->count == before && find(&m, RX_LAW_NOTICE, c->t, c->len, 0))
		add(c, cw_strdup("notice as required by applicable law"), NAN,
		    "", m.so[0], m.eo[0]);
	if (c->count == before && find(&m, RX_VAGUE_NOTICE, c->t, c->len, 0))
		add(c, cw_strdup("notice, period not stated"), NAN, "", m.so[0],
		    m.eo[0]);
}

static void x_periods(struct ctx *c, const int *ids, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		struct m8 m;
		size_t from = 0;
		while (find(&m, ids[k], c->t, c->len, from)) {
			from = m.eo[0];
			add_period(c, &m, 1, 2);
		}
	}
}

static void x_training(struct ctx *c)
{
	struct m8 m;

	if (find(&m, RX_TRAIN_NO, c->t, c->len, 0)) {
		add(c, cw_strdup("no"), NAN, "", m.so[0], m.eo[0]);
		return;
	}
	if (find(&m, RX_TRAIN_YES1, c->t, c->len, 0) ||
	    find(&m, RX_TRAIN_YES2, c->t, c->len, 0))
		add(c, cw_strdup("yes"), NAN, "", m.so[0], m.eo[0]);
}

static void x_training_opt_out(struct ctx *c)
{
	struct m8 m;

	if (find(&m, RX_TRAIN_OPT1, c->t, c->len, 0) ||
	    find(&m, RX_TRAIN_OPT2, c->t, c->len, 0))
		add(c, cw_strdup("available"), NAN, "", m.so[0], m.eo[0]);
}

static void x_informal(struct ctx *c)
{
	struct m8 m, r;
	size_t from = 0;

	while (find(&m, RX_WITHIN_PERIOD, c->t, c->len, from)) {
		size_t back = m.so[0] > 120 ? m.so[0] - 120 : 0;
		from = m.eo[0];
		/* the period must be about resolving the dispute, not about
		   an opt-out or a notice nearby */
		if (find(&r, RX_RESOLVE_CTX, c->t, m.so[0], back))
			add_period(c, &m, 1, 2);
	}
	from = 0;
	while (find(&m, RX_DAY_PERIOD, c->t, c->len, from)) {
		from = m.eo[0];
		add_period(c, &m, 1, 2);
	}
}

static void x_mass(struct ctx *c)
{
	struct m8 m;

	if (find(&m, RX_MASS, c->t, c->len, 0)) {
		long v = cw_params_number_word(c->t + m.so[1],
					       m.eo[1] - m.so[1]);
		if (v > 1)
			add(c, cw_asprintf("%ld claimants", v), (double)v,
			    "claimants", m.so[0], m.eo[0]);
	}
}

static void x_email(struct ctx *c)
{
	struct m8 m;
	size_t from = 0;

	while (find(&m, RX_EMAIL, c->t, c->len, from)) {
		from = m.eo[0];
		add(c, cw_strndup(c->t + m.so[0], m.eo[0] - m.so[0]), NAN, "",
		    m.so[0], m.eo[0]);
	}
}

static void extract_kind(struct ctx *c)
{
	static const int expire[] = { RX_EXPIRE1, RX_EXPIRE2 };
	static const int inactive[] = { RX_INACTIVE1, RX_INACTIVE2,
					RX_INACTIVE3 };
	static const int timebar[] = { RX_TIME_BAR };

	switch (c->kind) {
	case CW_PARAM_LIABILITY_CAP:
		x_liability_cap(c);
		break;
	case CW_PARAM_ARBITRATION_BODY:
		x_arbitration_body(c);
		break;
	case CW_PARAM_ARBITRATION_RULES:
		x_arbitration_rules(c);
		break;
	case CW_PARAM_OPT_OUT_WINDOW:
		x_opt_out_window(c);
		break;
	case CW_PARAM_OPT_OUT_METHOD:
		x_opt_out_method(c);
		break;
	case CW_PARAM_MIN_AGE:
		x_min_age(c);
		break;
	case CW_PARAM_GOVERNING_LAW:
		x_governing_law(c);
		x_governing_law_more(c);
		break;
	case CW_PARAM_FORUM:
		x_forum(c);
		break;
	case CW_PARAM_CHANGE_NOTICE:
	case CW_PARAM_TERMINATION_NOTICE:
		x_notice(c);
		break;
	case CW_PARAM_CREDIT_EXPIRY:
		x_periods(c, expire, 2);
		break;
	case CW_PARAM_INACTIVITY_PERIOD:
		x_periods(c, inactive, 3);
		break;
	case CW_PARAM_TRAINING_ON_INPUTS:
		x_training(c);
		break;
	case CW_PARAM_TRAINING_OPT_OUT:
		x_training_opt_out(c);
		break;
	case CW_PARAM_INFORMAL_RESOLUTION_PERIOD:
		x_informal(c);
		break;
	case CW_PARAM_MASS_ARBITRATION_THRESHOLD:
		x_mass(c);
		break;
	case CW_PARAM_CLAIMS_TIME_LIMIT:
		x_periods(c, timebar, 1);
		break;
	case CW_PARAM_CONTACT_EMAIL:
		x_email(c);
		break;
	default:
		break;
	}
}

int cw_params_extract(struct cw_params *out, const char *text, size_t len,
		      size_t base, const int *kinds, size_t nkinds,
		      struct cw_err *err)
{
	struct ctx c = { out, text ? text : "", len, base, 0, 0 };

	if (len > CW_PARAMS_TEXT_MAX)
		return cw_err_set(err, CW_ETOOBIG,
				  "params: text of %zu bytes is over the %u "
				  "byte cap",
				  len, CW_PARAMS_TEXT_MAX);
	for (size_t i = 0; kinds && i < nkinds; i++)
		if (kinds[i] < 0 || kinds[i] >= CW_PARAM_COUNT)
			return cw_err_set(err, CW_EINVAL,
					  "params: unknown kind %d", kinds[i]);
	pthread_once(&rx_once, rx_init);
	for (size_t i = 0; i < (kinds ? nkinds : (size_t)CW_PARAM_COUNT); i++) {
		c.kind = kinds ? kinds[i] : (int)i;
		c.count = 0;
		extract_kind(&c);
	}
	return CW_OK;
}

int cw_params_for_category(struct cw_params *out,
			   const struct cw_tax_category *cat, const char *text,
			   size_t len, size_t base, struct cw_err *err)
{
	int kinds[CW_PARAM_COUNT];
	size_t n = 0;

	for (size_t i = 0; i < cat->nparams && n < CW_PARAM_COUNT; i++) {
		int k = cw_params_kind_from_name(cat->params[i]);
		if (k < 0)
			return cw_err_set(err, CW_EINVAL,
					  "params: category '%s' asks for "
					  "unknown parameter '%s'",
					  cat->id, cat->params[i]);
		kinds[n++] = k;
	}
	if (n == 0)
		return CW_OK;
	return cw_params_extract(out, text, len, base, kinds, n, err);
}
