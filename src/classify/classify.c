/*
 * classify: the public face of the clause classifier (see classify.h):
 * sentence splitting, classifying a sentence or a whole provision with a
 * loaded model.
 */
#include <ctype.h>

#include "classify_int.h"

/* ---- sentence splitting ---- */

/* Words after which a full stop does not end a sentence. */
static const char *const abbrevs[] = {
	"e.g",	 "i.e", "etc",	"inc", "ltd", "co", "corp",   "no",
	"nos",	 "vs",	"v",	"mr",  "mrs", "ms", "dr",     "st",
	"art",	 "sec", "para", "u.s", "u.k", "cf", "approx", "incl",
	"l.l.c", "llc", "s.a",	"b.v", "p",
};

static bool is_abbrev(const char *text, size_t dot)
{
	size_t s = dot;
	char w[16];
	size_t n;

	while (s > 0 &&
	       (isalpha((unsigned char)text[s - 1]) || text[s - 1] == '.'))
		s--;
	n = dot - s;
	if (n == 0 || n >= sizeof(w))
		return n == 0 ? false : false;
	if (n == 1)
		return true; /* an initial: "J. Smith", "(a." */
	for (size_t i = 0; i < n; i++)
		w[i] = (char)tolower((unsigned char)text[s + i]);
	w[n] = 0;
	for (size_t i = 0; i < sizeof(abbrevs) / sizeof(abbrevs[0]); i++)
		if (!strcmp(w, abbrevs[i]))
			return true;
	return false;
}

static void push_range(size_t **r, size_t *n, size_t *cap, const char *t,
		       size_t a, size_t b)
{
	while (a < b && isspace((unsigned char)t[a]))
		a++;
	while (b > a && isspace((unsigned char)t[b - 1]))
		b--;
	if (a >= b)
		return;
	CW_GROW(*r, *cap, 2 * (*n + 1));
	(*r)[2 * *n] = a;
	(*r)[2 * *n + 1] = b;
	(*n)++;
}

size_t cw_classify_split(size_t **out_ranges, const char *text, size_t len)
{
	size_t n = 0, cap = 0, start = 0;
	size_t *r = NULL;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		size_t j;

		if (c == '\n') {
			push_range(&r, &n, &cap, text, start, i);
			start = i + 1;
			continue;
		}
		if (c != '.' && c != '!' && c != '?' && c != ';')
			continue;
		/* closing quotes and brackets stay with the sentence */
		j = i + 1;
		while (j < len &&
		       (text[j] == '"' || text[j] == '\'' || text[j] == ')'))
			j++;
		if (j < len && text[j] != ' ' && text[j] != '\t')
			continue;
		if (c == '.' && is_abbrev(text, i))
			continue;
		if (c == '.') {
			/* a sentence starts with a capital, digit, bracket or
			   quote; "... 5.3 of the terms" does not split */
			size_t k = j;

			while (k < len && (text[k] == ' ' || text[k] == '\t'))
				k++;
			if (k < len && !isupper((unsigned char)text[k]) &&
			    !isdigit((unsigned char)text[k]) &&
			    text[k] != '(' && text[k] != '"' &&
			    (unsigned char)text[k] < 0x80)
				continue;
		}
		push_range(&r, &n, &cap, text, start, j);
		start = j;
	}
	push_range(&r, &n, &cap, text, start, len);
	*out_ranges = r;
	return n;
}

/* ---- classifying ---- */

int cw_classify_sentence(struct cw_classify_result *out,
			 const struct cw_classify_model *m, const char *text,
			 size_t len, struct cw_err *err)
{
	struct cls_extractor *x;
	struct cls_fvec raw = { 0 };
	struct cls_svec s = { 0 };

	memset(out, 0, sizeof(*out));
	if (len > CW_CLASSIFY_TEXT_MAX)
		return cw_err_set(err, CW_ETOOBIG,
				  "text of %zu bytes, at most %u classified",
				  len, CW_CLASSIFY_TEXT_MAX);
	x = cls_extractor_new(&m->rules, &m->emb);
	cls_extract(&raw, x, text, len);
	cls_model_score(out, m, &raw, &s, 0);
	cls_fvec_release(&raw);
	cls_svec_release(&s);
	cls_extractor_free(x);
	return CW_OK;
}

int cw_classify_text(struct cw_classify_result *out,
		     const struct cw_classify_model *m, const char *text,
		     size_t len, struct cw_err *err)
{
	struct cls_extractor *x;
	struct cls_fvec *raw, ctx = { 0 };
	struct cls_svec s = { 0 };
	size_t *ranges = NULL, n;
	bool context = m->kw[CLS_KIND_CTX] > 0;

	memset(out, 0, sizeof(*out));
	for (int c = 0; c < CW_CLASSIFY_NCAT; c++)
		out->cat[c].sentence = -1;
	if (len > CW_CLASSIFY_TEXT_MAX)
		return cw_err_set(err, CW_ETOOBIG,
				  "text of %zu bytes, at most %u classified",
				  len, CW_CLASSIFY_TEXT_MAX);
	n = cw_classify_split(&ranges, text, len);
	x = cls_extractor_new(&m->rules, &m->emb);
	/* every sentence first: each is scored with its neighbours in the
	   provision, as the model was trained with its neighbours in the
	   document */
	raw = cw_calloc(n + 1, sizeof(*raw));
	for (size_t i = 0; i < n; i++)
		cls_extract(&raw[i], x, text + ranges[2 * i],
			    ranges[2 * i + 1] - ranges[2 * i]);
	for (size_t i = 0; i < n; i++) {
		struct cw_classify_result r;

		if (context) {
			cls_add_context(&ctx, &raw[i], i ? &raw[i - 1] : NULL,
					i + 1 < n ? &raw[i + 1] : NULL);
			cls_model_score(&r, m, &ctx, &s, (long)i);
		} else {
			cls_model_score(&r, m, &raw[i], &s, (long)i);
		}
		for (int c = 0; c < CW_CLASSIFY_NCAT; c++) {
			struct cw_classify_cat_result *a = &out->cat[c];
			const struct cw_classify_cat_result *b = &r.cat[c];

			/* max aggregation: the most severe verdict wins, then
			   the most confident one */
			if (i == 0 || b->severity > a->severity ||
			    (b->severity == a->severity &&
			     b->confidence > a->confidence)) {
				double pu = a->p_unfair > b->p_unfair
						    ? a->p_unfair
						    : b->p_unfair;
				double pt = a->p_topic > b->p_topic
						    ? a->p_topic
						    : b->p_topic;

				*a = *b;
				a->p_unfair = i ? pu : b->p_unfair;
				a->p_topic = i ? pt : b->p_topic;
			} else {
				if (b->p_unfair > a->p_unfair)
					a->p_unfair = b->p_unfair;
				if (b->p_topic > a->p_topic)
					a->p_topic = b->p_topic;
			}
		}
	}
	out->nsentences = n;
	for (size_t i = 0; i < n; i++)
		cls_fvec_release(&raw[i]);
	free(raw);
	cls_fvec_release(&ctx);
	cls_svec_release(&s);
	cls_extractor_free(x);
	free(ranges);
	return CW_OK;
}
