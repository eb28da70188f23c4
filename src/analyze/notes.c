/*
 * notes: vague standards and discretion, truncated provisions, references
 * to documents we do not track.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>

#include "notes.h"
#include "taxonomy.h"

const char *cw_note_kind_name(int kind)
{
	switch (kind) {
	case CW_NOTE_VAGUE:
		return "vague";
	case CW_NOTE_TRUNCATED:
		return "truncated";
	case CW_NOTE_UNTRACKED:
		return "untracked";
	}
	return "unknown";
}

void cw_notes_release(struct cw_notes *notes)
{
	for (size_t i = 0; i < notes->n; i++) {
		free(notes->items[i].where);
		free(notes->items[i].doc_type);
	}
	free(notes->items);
	notes->items = NULL;
	notes->n = notes->cap = 0;
}

/* ---- patterns for bounds ---- */

#define NUMW                                                            \
	"(?:\\d{1,4}|one|two|three|four|five|six|seven|eight|nine|ten|" \
	"fourteen|fifteen|twenty|thirty|forty-five|sixty|ninety)"
static const char *const period_src = "\\b" NUMW "(?:\\s*\\(\\d+\\))?\\s*(?:"
				      "business\\s+|calendar\\s+)?"
				      "(?:days?|hours?|weeks?|months?)\\b";
static const char *const notice_src = "\\b" NUMW "(?:\\s*\\(\\d+\\))?\\s*(?:"
				      "business\\s+|calendar\\s+)?"
				      "(?:days?|weeks?|months?)['\\x{2019}]?"
				      "\\s+(?:prior\\s+|advance\\s+)?"
				      "(?:written\\s+)?notice\\b|\\bnotice\\s+"
				      "of\\s+(?:at\\s+least\\s+)?" NUMW
				      "\\s*(?:days?|weeks?|months?)\\b";
static pcre2_code *period_rx, *notice_rx;
static pthread_once_t rx_once = PTHREAD_ONCE_INIT;

static pcre2_code *compile(const char *src)
{
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
				      PCRE2_CASELESS | PCRE2_UTF |
					      PCRE2_MATCH_INVALID_UTF,
				      &ec, &eo, NULL);
	if (!c)
		abort(); /* a bug in the constants above */
	(void)pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
	return c;
}

static void rx_init(void)
{
	period_rx = compile(period_src);
	notice_rx = compile(notice_src);
}

static bool rx_find(pcre2_code *code, const char *t, size_t from, size_t to,
		    size_t *s, size_t *e)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
	int rc;

	if (!md)
		abort();
	rc = pcre2_match(code, (PCRE2_SPTR)t, to, from, 0, md, NULL);
	if (rc > 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		*s = ov[0];
		*e = ov[1];
	}
	pcre2_match_data_free(md);
	return rc > 0;
}

/* ---- word matching ---- */

static bool is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Does `term` (lower case, single spaces) match t at i, on word
 * boundaries? A space in the term matches any run of white space. Sets
 * *end past the match.
 */
static bool match_at(const char *t, size_t len, size_t i, const char *term,
		     size_t *end)
{
	size_t j = i;

	if (i > 0 && is_word((unsigned char)t[i - 1]))
		return false;
	for (const char *p = term; *p; p++) {
		if (*p == ' ') {
			if (j >= len || !is_space(t[j]))
				return false;
			while (j < len && is_space(t[j]))
				j++;
			continue;
		}
		if (j >= len)
			return false;
		char c = t[j];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c != *p)
			return false;
		j++;
	}
	if (j < len && is_word((unsigned char)t[j]))
		return false;
	*end = j;
	return true;
}

/* Next match of `term` in t[from, to); returns its start or (size_t)-1. */
static size_t find_term(const char *t, size_t from, size_t to, const char *term,
			size_t *end)
{
	char first = term[0];

	for (size_t i = from; i < to; i++) {
		char c = t[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c == first && match_at(t, to, i, term, end))
			return i;
	}
	return (size_t)-1;
}

/* ---- where ---- */

static const char *key_at(const struct cw_segmentation *seg, size_t off)
{
	const char *key = NULL;
	int level = 0;

	for (size_t i = 0; seg && i < seg->n; i++) {
		const struct cw_provision *p = &seg->items[i];
		if (p->start <= off && off < p->end && p->level > level) {
			key = p->key;
			level = p->level;
		}
	}
	return key;
}

static char *describe(const struct cw_segmentation *seg, const char *what,
		      size_t off, size_t pstart, size_t pend)
{
	const char *key = key_at(seg, off);

	if (off >= pstart && off < pend)
		return cw_asprintf("%s in this provision at offset %zu", what,
				   off);
	if (key)
		return cw_asprintf("%s in '%s' at offset %zu", what, key, off);
	return cw_asprintf("%s at offset %zu", what, off);
}

/*
 * A definition of `term` anywhere in the document: the term in quotes
 * followed by "means", "shall mean", "refers to", "is defined",
 * "has the meaning" or a colon; or the term followed directly by "means".
 * Returns the offset or (size_t)-1.
 */
static size_t find_definition(const char *doc, size_t len, const char *term)
{
	static const char *const verbs[] = {
		"means",	   "shall mean", "refers to", "is defined",
		"has the meaning", "will mean",	 NULL
	};
	size_t i = 0, e;

	while ((i = find_term(doc, i, len, term, &e)) != (size_t)-1) {
		size_t j = e;
		bool quoted = false;

		/* a closing quote: ASCII, or U+201D / U+2019 in UTF-8 */
		if (j < len && (doc[j] == '"' || doc[j] == '\'')) {
			quoted = true;
			j++;
		} else if (j + 2 < len && (unsigned char)doc[j] == 0xe2 &&
			   (unsigned char)doc[j + 1] == 0x80 &&
			   ((unsigned char)doc[j + 2] == 0x9d ||
			    (unsigned char)doc[j + 2] == 0x99)) {
			quoted = true;
			j += 3;
		}
		if (quoted && j < len && doc[j] == ':')
			return i;
		while (j < len && (is_space(doc[j]) || doc[j] == ')'))
			j++;
		for (size_t v = 0; verbs[v]; v++) {
			size_t ve;
			if (match_at(doc, len, j, verbs[v], &ve))
				return i;
		}
		i = e;
	}
	return (size_t)-1;
}

/*
 * A period bounding the term near [s, e): within 100 bytes either side,
 * not crossing a blank line. `rx` is the notice or the period pattern.
 */
static bool bounded_near(pcre2_code *rx, const char *doc, size_t len, size_t s,
			 size_t e, size_t *at)
{
	size_t from = s > 100 ? s - 100 : 0;
	size_t to = e + 100 < len ? e + 100 : len;
	size_t ms, me;

	if (!rx_find(rx, doc, from, to, &ms, &me))
		return false;
	*at = ms;
	return true;
}

/* Per-document memo of what resolves each vague term (see notes.h). */
#define UNKNOWN ((size_t)-2)
#define NONE ((size_t)-1)

struct cw_notes_doc {
	const struct cw_taxonomy *tax;
	const char *doc;
	size_t len;
	const struct cw_segmentation *seg;
	size_t *def;   /* per lexicon entry: definition offset, NONE, or
			      UNKNOWN until first asked */
	size_t *bound; /* per entry: offset of the first period or notice
			      bounding any occurrence, NONE or UNKNOWN */
};

int cw_notes_doc_new(struct cw_notes_doc **out, const struct cw_taxonomy *tax,
		     const char *doc, size_t len,
		     const struct cw_segmentation *seg, struct cw_err *err)
{
	struct cw_notes_doc *d;
	size_t nv = cw_taxonomy_vague_count(tax);

	*out = NULL;
	if (len > CW_NOTES_DOC_MAX)
		return cw_err_set(err, CW_ETOOBIG,
				  "notes: document of %zu bytes is over the %u "
				  "byte cap",
				  len, CW_NOTES_DOC_MAX);
	if (!doc && len)
		return cw_err_set(err, CW_EINVAL, "notes: no document text");
	d = cw_calloc(1, sizeof(*d));
	d->tax = tax;
	d->doc = doc ? doc : "";
	d->len = len;
	d->seg = seg;
	d->def = cw_calloc(nv + 1, sizeof(*d->def));
	d->bound = cw_calloc(nv + 1, sizeof(*d->bound));
	for (size_t i = 0; i < nv; i++)
		d->def[i] = d->bound[i] = UNKNOWN;
	*out = d;
	return CW_OK;
}

void cw_notes_doc_free(struct cw_notes_doc *d)
{
	if (!d)
		return;
	free(d->def);
	free(d->bound);
	free(d);
}

static void resolve(struct cw_note *n, size_t vi, struct cw_notes_doc *d,
		    size_t pstart, size_t pend)
{
	const struct cw_tax_vague *v = cw_taxonomy_vague_at(d->tax, vi);
	size_t at, i, e;
	pcre2_code *rx = NULL;

	if (!v->bound)
		return;
	if (d->def[vi] == UNKNOWN)
		d->def[vi] = find_definition(d->doc, d->len, v->term);
	if (d->def[vi] != NONE) {
		n->resolved = true;
		n->where_at = d->def[vi];
		n->where =
			describe(d->seg, "defined", d->def[vi], pstart, pend);
		return;
	}
	if (!strcmp(v->bound, "notice"))
		rx = notice_rx;
	else if (!strcmp(v->bound, "period"))
		rx = period_rx;
	if (!rx)
		return;
	/* this occurrence first, then the first bounded one anywhere */
	if (bounded_near(rx, d->doc, d->len, n->start, n->end, &at)) {
		n->resolved = true;
		n->where_at = at;
		n->where = describe(d->seg, "bounded", at, pstart, pend);
		return;
	}
	if (d->bound[vi] == UNKNOWN) {
		d->bound[vi] = NONE;
		i = 0;
		while ((i = find_term(d->doc, i, d->len, v->term, &e)) !=
		       NONE) {
			if (bounded_near(rx, d->doc, d->len, i, e, &at)) {
				d->bound[vi] = at;
				break;
			}
			i = e;
		}
	}
	if (d->bound[vi] != NONE) {
		n->resolved = true;
		n->where_at = d->bound[vi];
		n->where =
			describe(d->seg, "bounded", d->bound[vi], pstart, pend);
	}
}

static struct cw_note *push(struct cw_notes *out)
{
	struct cw_note *n;

	CW_GROW(out->items, out->cap, out->n + 1);
	n = &out->items[out->n++];
	memset(n, 0, sizeof(*n));
	return n;
}

static int cmp_note(const void *a, const void *b)
{
	const struct cw_note *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->kind - y->kind;
}

/* ---- truncation ---- */

static bool closes(const char *t, size_t n)
{
	unsigned char c = (unsigned char)t[n - 1];

	if (strchr(".;:!?)]}\"'*|>`", c))
		return true;
	/* ” ’ » in UTF-8 */
	if (n >= 3 && (unsigned char)t[n - 3] == 0xe2 &&
	    (unsigned char)t[n - 2] == 0x80 && (c == 0x9d || c == 0x99))
		return true;
	if (n >= 2 && (unsigned char)t[n - 2] == 0xc2 && c == 0xbb)
		return true;
	return false;
}

static bool truncated(const char *t, size_t n, size_t min_tail, size_t *at)
{
	size_t line, spaces = 0;
	unsigned char c;

	while (n && is_space(t[n - 1]))
		n--;
	if (!n)
		return false;
	/* an explicit ellipsis */
	if ((n >= 3 && !memcmp(t + n - 3, "...", 3)) ||
	    (n >= 3 && !memcmp(t + n - 3, "\xe2\x80\xa6", 3))) {
		*at = n;
		return true;
	}
	if (closes(t, n))
		return false;
	c = (unsigned char)t[n - 1];
	/* a heading or a label ends in a capital, a digit or a URL; a cut
	   sentence ends in a lower-case word or a comma */
	if (!((c >= 'a' && c <= 'z') || c == ','))
		return false;
	for (line = n; line > 0 && t[line - 1] != '\n'; line--)
		spaces += t[line - 1] == ' ';
	if (n - line < min_tail || spaces < 6)
		return false;
	/* list items often carry no full stop: not evidence of a cut */
	{
		size_t b = line;
		while (b < n && (t[b] == ' ' || t[b] == '\t'))
			b++;
		if (b < n &&
		    (t[b] == '*' || t[b] == '-' || t[b] == '+' || t[b] == '(' ||
		     (n - b >= 3 && !memcmp(t + b, "\xe2\x80\xa2", 3))))
			return false;
		while (b < n && t[b] >= '0' && t[b] <= '9')
			b++;
		if (b > line && b < n && t[b] == '.' && t[b - 1] >= '0' &&
		    t[b - 1] <= '9')
			return false;
	}
	/* the last word: a capitalised one ends an address or a name
	   ("... Tokyo, Japan"); "; and" / ", or" ends a list item whose next
	   item follows. Neither is a cut sentence (both seen on the corpus). */
	{
		size_t w = n;
		while (w > line && t[w - 1] != ' ')
			w--;
		if (t[w] >= 'A' && t[w] <= 'Z')
			return false;
		if ((n - w == 3 && !memcmp(t + w, "and", 3)) ||
		    (n - w == 2 && !memcmp(t + w, "or", 2))) {
			size_t b = w;
			while (b > line && t[b - 1] == ' ')
				b--;
			if (b > line && (t[b - 1] == ';' || t[b - 1] == ','))
				return false;
		}
	}
	*at = n;
	return true;
}

/*
 * Is the time term at `at` part of a right of the reader ("you may cancel
 * at any time") rather than a power of the provider? Looks back to the
 * start of the sentence (at most 160 bytes) for the last subject with a
 * modal: "you may/can" after any "we ..." means the reader's right, where
 * an open-ended time is no cause for concern.
 */
static bool user_right(const char *doc, size_t floor, size_t at)
{
	static const char *const ours[] = { "we may",	  "we can",   "we will",
					    "we reserve", "we might", "may we",
					    NULL };
	static const char *const yours[] = { "you may", "you can",
					     "you are free to", NULL };
	size_t from = at > floor + 160 ? at - 160 : floor;
	size_t last_we = 0, last_you = 0, e;
	bool we = false, you = false;

	for (size_t i = at; i > from; i--)
		if ((doc[i - 1] == '.' || doc[i - 1] == ';') &&
		    (i == at || is_space(doc[i]))) {
			from = i;
			break;
		}
	for (size_t k = 0; ours[k]; k++) {
		size_t i = from;
		while ((i = find_term(doc, i, at, ours[k], &e)) != (size_t)-1) {
			if (!we || i > last_we)
				last_we = i;
			we = true;
			i = e;
		}
	}
	for (size_t k = 0; yours[k]; k++) {
		size_t i = from;
		while ((i = find_term(doc, i, at, yours[k], &e)) !=
		       (size_t)-1) {
			if (!you || i > last_you)
				last_you = i;
			you = true;
			i = e;
		}
	}
	return you && (!we || last_you > last_we);
}

/* ---- entry point ---- */

int cw_notes_find(struct cw_notes *out, const struct cw_taxonomy *tax,
		  const char *doc, size_t doclen, size_t pstart, size_t pend,
		  const struct cw_segmentation *seg, const char *const *tracked,
		  size_t ntracked, struct cw_err *err)
{
	struct cw_notes_doc *d;
	int rc = cw_notes_doc_new(&d, tax, doc, doclen, seg, err);

	if (rc)
		return rc;
	rc = cw_notes_find_in(out, d, pstart, pend, tracked, ntracked, err);
	cw_notes_doc_free(d);
	return rc;
}

int cw_notes_find_in(struct cw_notes *out, struct cw_notes_doc *d,
		     size_t pstart, size_t pend, const char *const *tracked,
		     size_t ntracked, struct cw_err *err)
{
	const struct cw_taxonomy *tax = d->tax;
	const char *doc = d->doc;
	size_t doclen = d->len;
	size_t nv = cw_taxonomy_vague_count(tax);
	size_t *order = NULL, first = out->n, at;
	struct {
		size_t s, e;
	} *taken = NULL;
	size_t ntaken = 0, count = 0;
	struct cw_buf lower = CW_BUF_INIT;

	if (pstart > pend || pend > doclen)
		return cw_err_set(err, CW_EINVAL,
				  "notes: provision [%zu, %zu) is outside the "
				  "document of %zu bytes",
				  pstart, pend, doclen);
	pthread_once(&rx_once, rx_init);

	/* longest terms first, so "sole discretion" hides "discretion" */
	order = cw_calloc(nv + 1, sizeof(*order));
	for (size_t i = 0; i < nv; i++)
		order[i] = i;
	for (size_t i = 1; i < nv; i++)
		for (size_t j = i;
		     j > 0 &&
		     strlen(cw_taxonomy_vague_at(tax, order[j])->term) >
			     strlen(cw_taxonomy_vague_at(tax, order[j - 1])
					    ->term);
		     j--) {
			size_t tmp = order[j];
			order[j] = order[j - 1];
			order[j - 1] = tmp;
		}
	taken = cw_calloc(CW_NOTES_MAX + 1, sizeof(*taken));
	for (size_t k = 0; k < nv && count < CW_NOTES_MAX; k++) {
		const struct cw_tax_vague *v =
			cw_taxonomy_vague_at(tax, order[k]);
		size_t i = pstart, e;

		/* first occurrence not inside a longer term already noted */
		while ((i = find_term(doc, i, pend, v->term, &e)) !=
		       (size_t)-1) {
			bool inside = false;
			for (size_t t = 0; t < ntaken && !inside; t++)
				inside = i < taken[t].e && e > taken[t].s;
			if (!inside)
				break;
			i = e;
		}
		if (i == (size_t)-1)
			continue;
		if (!strcmp(v->type, "time") && user_right(doc, pstart, i))
			continue;
		struct cw_note *n = push(out);
		n->kind = CW_NOTE_VAGUE;
		n->term = v;
		n->text = v->note;
		n->start = i;
		n->end = e;
		resolve(n, order[k], d, pstart, pend);
		taken[ntaken].s = i;
		taken[ntaken].e = e;
		ntaken++;
		count++;
	}

	cw_taxonomy_lower(&lower, doc + pstart, pend - pstart);
	for (size_t k = 0;
	     k < cw_taxonomy_docref_count(tax) && count < CW_NOTES_MAX; k++) {
		const struct cw_tax_docref *r = cw_taxonomy_docref_at(tax, k);
		bool is_tracked = false;
		size_t s, e;

		for (size_t t = 0; t < ntracked && !is_tracked; t++)
			is_tracked = tracked[t] &&
				     !strcasecmp(tracked[t], r->type);
		if (is_tracked || !cw_taxonomy_match(r->compiled, lower.ptr,
						     pend - pstart, 0, &s, &e))
			continue;
		s += pstart;
		e += pstart;
		struct cw_note *n = push(out);
		n->kind = CW_NOTE_UNTRACKED;
		n->text = cw_taxonomy_untracked_note(tax);
		n->doc_type = cw_strdup(r->type);
		n->start = s;
		n->end = e;
		count++;
	}

	if (count < CW_NOTES_MAX &&
	    truncated(doc + pstart, pend - pstart,
		      cw_taxonomy_truncation_min_tail(tax), &at)) {
		struct cw_note *n = push(out);
		n->kind = CW_NOTE_TRUNCATED;
		n->text = cw_taxonomy_truncation_note(tax);
		n->start = pstart + at;
		n->end = pstart + at;
	}
	if (out->n > first)
		qsort(out->items + first, out->n - first, sizeof(*out->items),
		      cmp_note);
	free(order);
	free(taken);
	cw_buf_release(&lower);
	return CW_OK;
}
