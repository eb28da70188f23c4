/*
 * features: from a sentence to hashed features for the clause classifier.
 *
 * Words are Unicode letters and digits (utf8proc categories L* and N*),
 * lower-cased; a token made of digits only becomes "0" so that "30 days"
 * and "14 days" share features. Word features are Snowball English stems
 * (libstemmer) as unigrams and bigrams; character features are the 3-, 4-
 * and 5-grams of each lower-cased token framed as "<token>" (grams never
 * cross a word boundary). Rule features fire when one of a rule's regular
 * expressions (PCRE2, caseless, data/model/rules.json) matches anywhere in
 * the sentence.
 */
#include <jansson.h>
#include <libstemmer.h>
#include <math.h>
#include <utf8proc.h>

#include "../util/json.h"
#include "classify_int.h"

/* Longest token kept, in bytes; the rest of a longer token is dropped
 * (URLs and hashes, of no use to the model). */
#define TOKEN_MAX 48
/* Most tokens per sentence we featurise (CLAUDETTE's longest sentence
 * has about 300 words); the rest is ignored so cost stays bounded. */
#define TOKENS_MAX 2000
#define RULES_JSON_MAX (1u << 20)
#define PATTERN_MAX 2000

struct cls_extractor {
	const struct cls_rules *rules;
	const struct cls_embed *emb; /* NULL: no dense feature */
	double *acc; /* emb->dim sums of the sentence's vectors */
	/* cls_tokens(): collect unigram buckets instead of features */
	uint32_t **tok;
	size_t *ntok, *captok;
	struct sb_stemmer *stemmer;
	pcre2_match_data *md;
	struct cls_fvec *out; /* the vector being filled */
	/* open-addressing table from bucket to its index in out->v, so that
	   repeated features are counted without sorting */
	uint32_t *slot; /* index + 1, 0 = empty */
	size_t nslot;	/* power of two */
};

void cls_fvec_release(struct cls_fvec *f)
{
	free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
}

void cls_svec_release(struct cls_svec *s)
{
	free(s->idx);
	free(s->val);
	s->idx = NULL;
	s->val = NULL;
	s->n = s->cap = 0;
}

/* FNV-1a (Fowler, Noll, Vo) followed by the splitmix64 finaliser, which
 * spreads FNV's weak low bits before we take a bucket modulo a span. */
uint64_t cls_hash(uint64_t seed, const void *data, size_t len)
{
	return cw_mix64(cw_fnv1a64_from(CW_FNV1A64_OFFSET ^ seed, data, len));
}

/*
 * Not util/map: this index belongs to the hashed feature vector being
 * built (a bucket, already a mixed hash, to its position in x->out), reset
 * for every sentence of the classifier's hot loop; it stores no keys of
 * its own and needs neither copies nor caps.
 */
static void rehash(struct cls_extractor *x, size_t nslot)
{
	struct cls_fvec *o = x->out;

	free(x->slot);
	x->nslot = nslot;
	x->slot = cw_calloc(nslot, sizeof(*x->slot));
	for (size_t i = 0; i < o->n; i++) {
		size_t h = (o->v[i].bucket * 2654435761u) & (nslot - 1);

		while (x->slot[h])
			h = (h + 1) & (nslot - 1);
		x->slot[h] = (uint32_t)i + 1;
	}
}

static void add_feat(struct cls_extractor *x, uint32_t bucket)
{
	struct cls_fvec *o = x->out;
	size_t h;

	/* keep the table at most half full */
	if (2 * (o->n + 1) > x->nslot)
		rehash(x, x->nslot ? 2 * x->nslot : 1024);
	h = (bucket * 2654435761u) & (x->nslot - 1);
	while (x->slot[h]) {
		struct cls_feat *f = &o->v[x->slot[h] - 1];

		if (f->bucket == bucket) {
			f->count += 1.0f;
			return;
		}
		h = (h + 1) & (x->nslot - 1);
	}
	CW_GROW(o->v, o->cap, o->n + 1);
	o->v[o->n].bucket = bucket;
	o->v[o->n].count = 1.0f;
	x->slot[h] = (uint32_t)++o->n;
}

static void add_word(struct cls_extractor *x, uint64_t seed, const void *s,
		     size_t len)
{
	add_feat(x, CLS_WORD_BASE +
			    (uint32_t)(cls_hash(seed, s, len) % CLS_WORD_SPAN));
}

static void add_chars(struct cls_extractor *x, const char *tok, size_t len)
{
	char framed[TOKEN_MAX + 2];

	framed[0] = '<';
	memcpy(framed + 1, tok, len);
	framed[len + 1] = '>';
	for (size_t n = 3; n <= 5; n++)
		for (size_t i = 0; i + n <= len + 2; i++)
			add_feat(x,
				 CLS_CHAR_BASE +
					 (uint32_t)(cls_hash(n, framed + i, n) %
						    CLS_CHAR_SPAN));
}

struct cls_extractor *cls_extractor_new(const struct cls_rules *rules,
					const struct cls_embed *emb)
{
	struct cls_extractor *x = cw_calloc(1, sizeof(*x));

	x->rules = rules;
	x->emb = emb && emb->n ? emb : NULL;
	if (x->emb)
		x->acc = cw_calloc(x->emb->dim + 1, sizeof(*x->acc));
	x->stemmer = sb_stemmer_new("english", NULL);
	if (!x->stemmer)
		abort(); /* only fails on out of memory */
	x->md = pcre2_match_data_create(4, NULL);
	if (!x->md)
		abort();
	return x;
}

void cls_extractor_free(struct cls_extractor *x)
{
	if (!x)
		return;
	sb_stemmer_delete(x->stemmer);
	pcre2_match_data_free(x->md);
	free(x->slot);
	free(x->acc);
	free(x);
}

static bool is_word_cp(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		       (cp >= '0' && cp <= '9');
	int c = utf8proc_category((utf8proc_int32_t)cp);
	return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
	       (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

static bool is_digit_cp(uint32_t cp)
{
	if (cp < 0x80)
		return cp >= '0' && cp <= '9';
	int c = utf8proc_category((utf8proc_int32_t)cp);
	return c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO;
}

/* Emit the features of one token; `prev` holds the previous stem. */
static void emit_token(struct cls_extractor *x, char *tok, size_t len,
		       bool digits, char *prev, size_t *prevlen)
{
	const sb_symbol *st;
	size_t slen;
	char pair[2 * TOKEN_MAX + 1];
	uint32_t uni;

	if (digits) {
		tok[0] = '0';
		len = 1;
	}
	if (!x->tok)
		add_chars(x, tok, len);
	st = sb_stemmer_stem(x->stemmer, (const sb_symbol *)tok, (int)len);
	if (st) {
		slen = (size_t)sb_stemmer_length(x->stemmer);
		if (slen > TOKEN_MAX)
			slen = TOKEN_MAX;
	} else {
		st = (const sb_symbol *)tok;
		slen = len;
	}
	uni = CLS_WORD_BASE + (uint32_t)(cls_hash(1, st, slen) % CLS_WORD_SPAN);
	if (x->tok) {
		CW_GROW(*x->tok, *x->captok, *x->ntok + 1);
		(*x->tok)[(*x->ntok)++] = uni;
		return;
	}
	add_feat(x, uni);
	if (x->emb) {
		int32_t r = cls_embed_find(x->emb, uni);

		if (r >= 0) {
			const float *v = x->emb->vec + (size_t)r * x->emb->dim;
			double w = x->emb->weight[r];

			for (uint32_t c = 0; c < x->emb->dim; c++)
				x->acc[c] += w * v[c];
		}
	}
	if (*prevlen) {
		memcpy(pair, prev, *prevlen);
		pair[*prevlen] = ' ';
		memcpy(pair + *prevlen + 1, st, slen);
		add_word(x, 2, pair, *prevlen + 1 + slen);
	}
	memcpy(prev, st, slen);
	*prevlen = slen;
}

/* Split text into tokens and emit each (emit_token); returns the number
 * of tokens, *upper and *letters count the letters. */
static size_t tokenize(struct cls_extractor *x, const char *text, size_t len,
		       size_t *upper, size_t *letters)
{
	char tok[TOKEN_MAX + 8];
	char prev[TOKEN_MAX];
	size_t tlen = 0, prevlen = 0, ntok = 0, i = 0;
	bool digits = true;

	while (i <= len && ntok < TOKENS_MAX) {
		uint32_t cp = 0;
		size_t k = i < len ? cw_utf8_decode(text + i, len - i, &cp) : 1;

		if (i < len && is_word_cp(cp)) {
			uint32_t lc =
				cp < 0x80 ? (uint32_t)((cp >= 'A' && cp <= 'Z')
							       ? cp + 32
							       : cp)
					  : (uint32_t)utf8proc_tolower(
						    (utf8proc_int32_t)cp);
			utf8proc_uint8_t enc[4];
			utf8proc_ssize_t el =
				utf8proc_encode_char((utf8proc_int32_t)lc, enc);

			if (el > 0 && tlen + (size_t)el <= TOKEN_MAX) {
				memcpy(tok + tlen, enc, (size_t)el);
				tlen += (size_t)el;
			}
			if (!is_digit_cp(cp)) {
				digits = false;
				(*letters)++;
				*upper += lc != cp;
			}
		} else if (tlen) {
			emit_token(x, tok, tlen, digits, prev, &prevlen);
			ntok++;
			tlen = 0;
			digits = true;
		}
		i += k;
	}
	return ntok;
}

void cls_tokens(struct cls_extractor *x, const char *text, size_t len,
		uint32_t **tok, size_t *n, size_t *cap)
{
	x->tok = tok;
	x->ntok = n;
	x->captok = cap;
	{
		size_t up = 0, let = 0;

		tokenize(x, text, len, &up, &let);
	}
	x->tok = NULL;
	x->ntok = x->captok = NULL;
}

void cls_extract(struct cls_fvec *out, struct cls_extractor *x,
		 const char *text, size_t len)
{
	size_t upper = 0, letters = 0;

	x->out = out;
	out->n = 0;
	if (x->nslot)
		memset(x->slot, 0, x->nslot * sizeof(*x->slot));
	if (x->emb)
		memset(x->acc, 0, x->emb->dim * sizeof(*x->acc));
	tokenize(x, text, len, &upper, &letters);
	if (x->rules) {
		const struct cls_rules *r = x->rules;
		uint32_t last = UINT32_MAX;

		for (size_t p = 0; p < r->npat; p++) {
			if (r->pat_rule[p] == last)
				continue; /* the rule already fired */
			int rc = pcre2_match(r->code[p], (PCRE2_SPTR)text, len,
					     0, 0, x->md, NULL);
			if (rc >= 0) {
				last = r->pat_rule[p];
				add_feat(x, CLS_RULE_BASE + last);
			}
		}
	}
	if (x->emb) {
		/* the dense block: the unit-length weighted mean vector */
		double nrm = 0;

		for (uint32_t c = 0; c < x->emb->dim; c++)
			nrm += x->acc[c] * x->acc[c];
		if (nrm > 0) {
			nrm = 1.0 / sqrt(nrm);
			CW_GROW(out->v, out->cap, out->n + x->emb->dim);
			for (uint32_t c = 0; c < x->emb->dim; c++) {
				out->v[out->n].bucket = CLS_DENSE_BASE + c;
				out->v[out->n].count = (float)(x->acc[c] * nrm);
				out->n++;
			}
		}
	}
	x->out = NULL;
}

void cls_vectorize(struct cls_svec *out, const struct cls_fvec *raw,
		   const int32_t *map, const float *idf,
		   const double wt[CLS_NKINDS])
{
	double norm[CLS_NKINDS] = { 0 };

	out->n = 0;
	if (out->cap < raw->n) {
		out->idx = cw_reallocarray(out->idx, raw->n, sizeof(*out->idx));
		out->val = cw_reallocarray(out->val, raw->n, sizeof(*out->val));
		out->cap = raw->n;
	}
	for (size_t i = 0; i < raw->n; i++) {
		int32_t k = map[raw->v[i].bucket];
		enum cls_kind kind = cls_bucket_kind(raw->v[i].bucket);
		double v;

		if (k < 0)
			continue;
		switch (kind) {
		case CLS_KIND_RULE:
			v = wt[kind];
			break;
		case CLS_KIND_DENSE:
			v = raw->v[i].count * wt[kind];
			break;
		default:
			v = (1.0 + log(raw->v[i].count)) * idf[k];
			norm[kind] += v * v;
			break;
		}
		out->idx[out->n] = (uint32_t)k;
		out->val[out->n] = (float)v;
		out->n++;
	}
	for (int kind = 0; kind < CLS_NKINDS; kind++)
		norm[kind] = norm[kind] > 0 ? wt[kind] / sqrt(norm[kind]) : 0;
	for (size_t i = 0, j = 0; i < raw->n && j < out->n; i++) {
		enum cls_kind kind = cls_bucket_kind(raw->v[i].bucket);

		if (map[raw->v[i].bucket] < 0)
			continue;
		if (kind != CLS_KIND_RULE && kind != CLS_KIND_DENSE)
			out->val[j] = (float)(out->val[j] * norm[kind]);
		j++;
	}
}

static int cmp_feat(const void *a, const void *b)
{
	const struct cls_feat *x = a, *y = b;

	return x->bucket < y->bucket ? -1 : x->bucket > y->bucket;
}

static void add_side(struct cls_fvec *out, const struct cls_fvec *nb,
		     uint32_t side)
{
	if (!nb)
		return;
	for (size_t i = 0; i < nb->n; i++) {
		uint32_t b = nb->v[i].bucket;
		enum cls_kind kind = cls_bucket_kind(b);
		uint32_t key[2] = { b, side };

		if (kind != CLS_KIND_WORD && kind != CLS_KIND_RULE)
			continue;
		CW_GROW(out->v, out->cap, out->n + 1);
		out->v[out->n].bucket =
			CLS_CTX_BASE +
			(uint32_t)(cls_hash(7, key, sizeof(key)) %
				   CLS_CTX_SPAN);
		out->v[out->n].count = nb->v[i].count;
		out->n++;
	}
}

void cls_add_context(struct cls_fvec *out, const struct cls_fvec *self,
		     const struct cls_fvec *prev, const struct cls_fvec *next)
{
	size_t base, w;

	out->n = 0;
	CW_GROW(out->v, out->cap, self->n + 1);
	if (self->n > 0) /* an empty sentence has no vector at all */
		memcpy(out->v, self->v, self->n * sizeof(*out->v));
	out->n = self->n;
	base = out->n;
	add_side(out, prev, 1);
	add_side(out, next, 2);
	/* merge repeated context buckets (hash collisions, shared words) */
	qsort(out->v + base, out->n - base, sizeof(*out->v), cmp_feat);
	w = base;
	for (size_t i = base; i < out->n; i++) {
		if (w > base && out->v[w - 1].bucket == out->v[i].bucket)
			out->v[w - 1].count += out->v[i].count;
		else
			out->v[w++] = out->v[i];
	}
	out->n = w;
}

/* ---- rules ---- */

void cls_rules_release(struct cls_rules *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->id[i]);
	for (size_t i = 0; i < r->npat; i++)
		pcre2_code_free(r->code[i]);
	free(r->id);
	free(r->cat);
	free(r->code);
	free(r->pat_rule);
	memset(r, 0, sizeof(*r));
}

int cls_rules_compile(struct cls_rules *out, const char *json, const char *name,
		      struct cw_err *err)
{
	struct cw_json_where w = { name, "" };
	json_t *root = NULL, *rules;
	size_t cappat = 0;
	int rc = CW_OK;

	memset(out, 0, sizeof(*out));
	if (strlen(json) > RULES_JSON_MAX)
		return cw_err_set(err, CW_ETOOBIG,
				  "'%s': rules file over %u bytes", name,
				  RULES_JSON_MAX);
	rc = cw_json_parse(&root, json, strlen(json), name, err);
	if (rc)
		return rc;
	if ((rc = cw_json_arr(&rules, root, "rules", true, CLS_MAX_RULES, &w,
			      err)))
		goto fail;
	out->id = cw_calloc(json_array_size(rules) + 1, sizeof(*out->id));
	out->cat = cw_calloc(json_array_size(rules) + 1, sizeof(*out->cat));
	for (size_t i = 0; i < json_array_size(rules); i++) {
		json_t *r = json_array_get(rules, i);
		const char *id = json_string_value(json_object_get(r, "id"));
		const char *cat = json_string_value(json_object_get(r, "categor"
								       "y"));
		json_t *pats = json_object_get(r, "patterns");

		if (!id || !*id) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': rules[%zu]: expected a string "
					"\"id\"",
					name, i);
			goto fail;
		}
		for (size_t j = 0; j < out->n; j++)
			if (!strcmp(out->id[j], id)) {
				rc = cw_err_set(err, CW_EPARSE,
						"'%s': rules[%zu]: duplicate "
						"id '%s'",
						name, i, id);
				goto fail;
			}
		out->id[out->n] = cw_strdup(id);
		out->cat[out->n] = -1;
		out->n++;
		if (cat && strcmp(cat, "any")) {
			out->cat[out->n - 1] = cw_classify_cat_from_code(cat);
			if (out->cat[out->n - 1] < 0) {
				rc = cw_err_set(err, CW_EPARSE,
						"'%s': rule '%s': unknown "
						"category '%s'",
						name, id, cat);
				goto fail;
			}
		}
		if (!json_is_array(pats) || json_array_size(pats) == 0) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': rule '%s': expected a non-empty "
					"array \"patterns\"",
					name, id);
			goto fail;
		}
		for (size_t j = 0; j < json_array_size(pats); j++) {
			const char *pat =
				json_string_value(json_array_get(pats, j));
			int ecode;
			PCRE2_SIZE eoff;
			pcre2_code *code;

			if (!pat || !*pat || strlen(pat) > PATTERN_MAX) {
				rc = cw_err_set(err, CW_EPARSE,
						"'%s': rule '%s': "
						"patterns[%zu]: expected a "
						"non-empty string of at most "
						"%d bytes",
						name, id, j, PATTERN_MAX);
				goto fail;
			}
			code = pcre2_compile((PCRE2_SPTR)pat,
					     PCRE2_ZERO_TERMINATED,
					     PCRE2_CASELESS, &ecode, &eoff,
					     NULL);
			if (!code) {
				PCRE2_UCHAR msg[160];

				pcre2_get_error_message(ecode, msg,
							sizeof(msg));
				rc = cw_err_set(err, CW_EPARSE,
						"'%s': rule '%s': "
						"patterns[%zu]: offset %zu: %s",
						name, id, j, (size_t)eoff,
						(char *)msg);
				goto fail;
			}
			/* JIT is an optimisation: without it matching still works */
			(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
			CW_GROW(out->code, cappat, out->npat + 1);
			out->pat_rule = cw_reallocarray(out->pat_rule, cappat,
							sizeof(*out->pat_rule));
			out->code[out->npat] = code;
			out->pat_rule[out->npat] = (uint32_t)(out->n - 1);
			out->npat++;
		}
	}
	json_decref(root);
	return CW_OK;
fail:
	json_decref(root);
	cls_rules_release(out);
	return rc;
}
