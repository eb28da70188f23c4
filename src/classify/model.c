/*
 * model: the classifier's file format, loading and scoring.
 *
 * File layout (all integers little-endian, floats IEEE-754 little-endian):
 *   "CWCLSMDL"            8 bytes magic
 *   u32 version           1
 *   u32 nbuckets          CLS_NBUCKETS (the hashing space it was built with)
 *   f64 kw[5]             block weights: word, char, rule, context, dense
 *   u32 len, bytes        the rules JSON the model was trained with
 *   u32 len, bytes        the word vectors (embed_train.c), len 0: none
 *   u32 nfeat             kept features
 *   u32 bucket[nfeat]     strictly ascending, < nbuckets
 *   f32 idf[nfeat]
 *   u8  level_default[9]  2 or 3
 *   u32 nheads
 *   per head: u32 cat, u32 kind, f64 platt_a, f64 platt_b, f64 threshold,
 *             f32 bias, f32 w[nfeat]
 *   32 bytes              SHA-256 of everything before it
 * The checksum catches a truncated or damaged file before any of it is
 * trusted; every count is checked against the bytes left before use.
 */
#include <math.h>

#include "classify_int.h"

#define MAGIC "CWCLSMDL"
#define VERSION 2u
#define MAX_HEADS 64u

static void put_u32(struct cw_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8),
			       (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };
	cw_buf_add(b, x, 4);
}

static void put_u64(struct cw_buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

static void put_f32(struct cw_buf *b, float f)
{
	uint32_t v;

	memcpy(&v, &f, 4);
	put_u32(b, v);
}

static void put_f64(struct cw_buf *b, double d)
{
	uint64_t v;

	memcpy(&v, &d, 8);
	put_u64(b, v);
}

void cls_model_write(struct cw_buf *out, const struct cw_classify_model *m)
{
	size_t start = out->len;
	size_t rl = m->rules_json ? strlen(m->rules_json) : 0;
	unsigned char sum[32];

	cw_buf_add(out, MAGIC, 8);
	put_u32(out, VERSION);
	put_u32(out, CLS_NBUCKETS);
	for (int k = 0; k < CLS_NKINDS; k++)
		put_f64(out, m->kw[k]);
	put_u32(out, (uint32_t)rl);
	cw_buf_add(out, m->rules_json ? m->rules_json : "", rl);
	put_u32(out, (uint32_t)m->vectors_len);
	if (m->vectors_len)
		cw_buf_add(out, m->vectors, m->vectors_len);
	put_u32(out, m->nfeat);
	for (uint32_t i = 0; i < m->nfeat; i++)
		put_u32(out, m->bucket[i]);
	for (uint32_t i = 0; i < m->nfeat; i++)
		put_f32(out, m->idf[i]);
	cw_buf_add(out, m->level_default, CW_CLASSIFY_NCAT);
	put_u32(out, (uint32_t)m->nheads);
	for (size_t h = 0; h < m->nheads; h++) {
		const struct cls_head *hd = &m->heads[h];

		put_u32(out, (uint32_t)hd->cat);
		put_u32(out, (uint32_t)hd->kind);
		put_f64(out, hd->platt_a);
		put_f64(out, hd->platt_b);
		put_f64(out, hd->threshold);
		put_f32(out, hd->bias);
		for (uint32_t i = 0; i < m->nfeat; i++)
			put_f32(out, hd->w[i]);
	}
	cw_sha256(out->ptr + start, out->len - start, sum);
	cw_buf_add(out, sum, 32);
}

void cls_model_index(struct cw_classify_model *m)
{
	for (int c = 0; c < CW_CLASSIFY_NCAT; c++)
		for (int k = 0; k < CLS_HEAD_NKIND; k++)
			m->head_of[c][k] = -1;
	for (size_t h = 0; h < m->nheads; h++)
		m->head_of[m->heads[h].cat][m->heads[h].kind] = (int)h;
	free(m->map);
	m->map = cw_malloc(CLS_NBUCKETS * sizeof(*m->map));
	for (uint32_t b = 0; b < CLS_NBUCKETS; b++)
		m->map[b] = -1;
	for (uint32_t i = 0; i < m->nfeat; i++)
		m->map[m->bucket[i]] = (int32_t)i;
	free(m->wt);
	m->wt = cw_calloc((size_t)m->nfeat * m->nheads + 1, sizeof(*m->wt));
	for (size_t h = 0; h < m->nheads; h++)
		for (uint32_t i = 0; i < m->nfeat; i++)
			m->wt[(size_t)i * m->nheads + h] = m->heads[h].w[i];
}

void cls_model_release(struct cw_classify_model *m)
{
	for (size_t h = 0; m->heads && h < m->nheads; h++)
		free(m->heads[h].w);
	free(m->heads);
	free(m->bucket);
	free(m->idf);
	free(m->map);
	free(m->wt);
	free(m->rules_json);
	free(m->vectors);
	cls_embed_release(&m->emb);
	cls_rules_release(&m->rules);
	memset(m, 0, sizeof(*m));
}

void cw_classify_model_free(struct cw_classify_model *m)
{
	if (!m)
		return;
	cls_model_release(m);
	free(m);
}

/* ---- reading ---- */

struct reader {
	const unsigned char *p;
	size_t len, off;
	bool bad;
};

static bool need(struct reader *r, size_t n)
{
	if (r->bad || r->len - r->off < n) {
		r->bad = true;
		return false;
	}
	return true;
}

static uint32_t get_u32(struct reader *r)
{
	const unsigned char *p;

	if (!need(r, 4))
		return 0;
	p = r->p + r->off;
	r->off += 4;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static float get_f32(struct reader *r)
{
	uint32_t v = get_u32(r);
	float f;

	memcpy(&f, &v, 4);
	return f;
}

static double get_f64(struct reader *r)
{
	uint64_t lo = get_u32(r), hi = get_u32(r);
	uint64_t v = lo | hi << 32;
	double d;

	memcpy(&d, &v, 8);
	return d;
}

int cw_classify_model_load_mem(struct cw_classify_model **out, const void *data,
			       size_t len, const char *name, struct cw_err *err)
{
	struct reader r = { data, len, 0, false };
	struct cw_classify_model *m = NULL;
	unsigned char sum[32];
	uint32_t v, rl;
	int rc;

	*out = NULL;
	if (len < 8 + 32 || memcmp(data, MAGIC, 8))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': not a clausewatch classifier model",
				  name);
	cw_sha256(data, len - 32, sum);
	if (memcmp(sum, (const unsigned char *)data + len - 32, 32))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': checksum mismatch (truncated or "
				  "damaged file)",
				  name);
	r.len = len - 32;
	r.off = 8;
	v = get_u32(&r);
	if (v != VERSION)
		return cw_err_set(err, CW_EPARSE,
				  "'%s': model format version %u, expected %u",
				  name, v, VERSION);
	if (get_u32(&r) != CLS_NBUCKETS)
		return cw_err_set(err, CW_EPARSE,
				  "'%s': built for another hashing space",
				  name);
	m = cw_calloc(1, sizeof(*m));
	for (int k = 0; k < CLS_NKINDS; k++) {
		m->kw[k] = get_f64(&r);
		if (!isfinite(m->kw[k]) || m->kw[k] < 0 || m->kw[k] > 1e6) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': offset %zu: bad block weight",
					name, r.off - 8);
			goto fail;
		}
	}
	rl = get_u32(&r);
	if (!need(&r, rl)) {
		rc = cw_err_set(err, CW_EPARSE,
				"'%s': offset %zu: rules past the end", name,
				r.off);
		goto fail;
	}
	m->rules_json = cw_strndup((const char *)r.p + r.off, rl);
	r.off += rl;
	rc = cls_rules_compile(&m->rules, m->rules_json, name, err);
	if (rc)
		goto fail;
	rl = get_u32(&r);
	if (!need(&r, rl)) {
		rc = cw_err_set(err, CW_EPARSE,
				"'%s': offset %zu: word vectors past the end",
				name, r.off);
		goto fail;
	}
	if (rl) {
		m->vectors = cw_malloc(rl);
		memcpy(m->vectors, r.p + r.off, rl);
		m->vectors_len = rl;
		r.off += rl;
		rc = cls_embed_parse(&m->emb, m->vectors, rl, name, err);
		if (rc)
			goto fail;
	}
	m->nfeat = get_u32(&r);
	if (m->nfeat > CLS_NBUCKETS || !need(&r, (size_t)m->nfeat * 8)) {
		rc = cw_err_set(err, CW_EPARSE,
				"'%s': offset %zu: bad feature count %u", name,
				r.off, m->nfeat);
		goto fail;
	}
	m->bucket = cw_calloc(m->nfeat + 1, sizeof(*m->bucket));
	m->idf = cw_calloc(m->nfeat + 1, sizeof(*m->idf));
	for (uint32_t i = 0; i < m->nfeat; i++) {
		m->bucket[i] = get_u32(&r);
		if (m->bucket[i] >= CLS_NBUCKETS ||
		    (i && m->bucket[i] <= m->bucket[i - 1])) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': offset %zu: feature buckets not "
					"ascending",
					name, r.off - 4);
			goto fail;
		}
	}
	for (uint32_t i = 0; i < m->nfeat; i++)
		m->idf[i] = get_f32(&r);
	if (!need(&r, CW_CLASSIFY_NCAT)) {
		rc = cw_err_set(err, CW_EPARSE, "'%s': truncated", name);
		goto fail;
	}
	memcpy(m->level_default, r.p + r.off, CW_CLASSIFY_NCAT);
	r.off += CW_CLASSIFY_NCAT;
	for (int c = 0; c < CW_CLASSIFY_NCAT; c++)
		if (m->level_default[c] != 2 && m->level_default[c] != 3) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': bad default level for category "
					"%d",
					name, c);
			goto fail;
		}
	v = get_u32(&r);
	if (v > MAX_HEADS) {
		rc = cw_err_set(err, CW_EPARSE, "'%s': %u heads, at most %u",
				name, v, MAX_HEADS);
		goto fail;
	}
	/* heads first, then their count: a failure below frees only what
	   exists */
	m->heads = cw_calloc(v + 1u, sizeof(*m->heads));
	m->nheads = v;
	for (size_t h = 0; h < m->nheads; h++) {
		struct cls_head *hd = &m->heads[h];
		uint32_t cat = get_u32(&r), kind = get_u32(&r);

		if (r.bad || cat >= CW_CLASSIFY_NCAT ||
		    kind >= CLS_HEAD_NKIND) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': offset %zu: head %zu: bad "
					"category or kind",
					name, r.off, h);
			goto fail;
		}
		hd->cat = (int)cat;
		hd->kind = (int)kind;
		hd->platt_a = get_f64(&r);
		hd->platt_b = get_f64(&r);
		hd->threshold = get_f64(&r);
		hd->bias = get_f32(&r);
		if (!need(&r, (size_t)m->nfeat * 4)) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': offset %zu: head %zu truncated",
					name, r.off, h);
			goto fail;
		}
		hd->w = cw_calloc(m->nfeat + 1, sizeof(*hd->w));
		for (uint32_t i = 0; i < m->nfeat; i++)
			hd->w[i] = get_f32(&r);
		if (!isfinite(hd->platt_a) || !isfinite(hd->platt_b) ||
		    !isfinite(hd->threshold)) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': head %zu: calibration not "
					"finite",
					name, h);
			goto fail;
		}
	}
	if (r.bad || r.off != r.len) {
		rc = cw_err_set(err, CW_EPARSE, "'%s': offset %zu: %s", name,
				r.off, r.bad ? "truncated" : "trailing bytes");
		goto fail;
	}
	cls_model_index(m);
	*out = m;
	return CW_OK;
fail:
	cw_classify_model_free(m);
	return rc;
}

int cw_classify_model_load(struct cw_classify_model **out, const char *path,
			   struct cw_err *err)
{
	struct cw_buf b = CW_BUF_INIT;
	int rc;

	*out = NULL;
	rc = cw_file_read(&b, path, CW_CLASSIFY_MODEL_MAX, err);
	if (rc == CW_OK)
		rc = cw_classify_model_load_mem(out, b.ptr, b.len, path, err);
	cw_buf_release(&b);
	return rc;
}

int cw_classify_model_load_dir(struct cw_classify_model **out,
			       const char *data_dir, struct cw_err *err)
{
	char *path = cw_asprintf("%s/%s", data_dir, CW_CLASSIFY_MODEL_FILE);
	int rc = cw_classify_model_load(out, path, err);

	free(path);
	return rc;
}

/* ---- scoring ---- */

double cls_platt(double a, double b, double margin)
{
	double f = a * margin + b;

	/* the stable form of 1 / (1 + exp(f)) from Lin, Lin and Weng (2007) */
	if (f >= 0)
		return exp(-f) / (1.0 + exp(-f));
	return 1.0 / (1.0 + exp(f));
}

static double head_prob(const struct cw_classify_model *m, int h,
			const double *margin)
{
	const struct cls_head *hd = &m->heads[h];

	return cls_platt(hd->platt_a, hd->platt_b, margin[h]);
}

void cls_model_score(struct cw_classify_result *out,
		     const struct cw_classify_model *m,
		     const struct cls_fvec *raw, struct cls_svec *scratch,
		     long si)
{
	double margin[MAX_HEADS];

	cls_vectorize(scratch, raw, m->map, m->idf, m->kw);
	for (size_t h = 0; h < m->nheads; h++)
		margin[h] = m->heads[h].bias;
	for (size_t i = 0; i < scratch->n; i++) {
		const float *w = m->wt + (size_t)scratch->idx[i] * m->nheads;
		double v = scratch->val[i];

		for (size_t h = 0; h < m->nheads; h++)
			margin[h] += w[h] * v;
	}
	memset(out, 0, sizeof(*out));
	out->nsentences = 1;
	for (int c = 0; c < CW_CLASSIFY_NCAT; c++) {
		struct cw_classify_cat_result *r = &out->cat[c];
		int hu = m->head_of[c][CLS_HEAD_UNFAIR];
		int ht = m->head_of[c][CLS_HEAD_TOPIC];
		int h3 = m->head_of[c][CLS_HEAD_LEVEL3];
		bool topic = false;

		r->sentence = -1;
		r->p_unfair = hu >= 0 ? head_prob(m, hu, margin) : 0;
		r->p_topic = ht >= 0 ? head_prob(m, ht, margin) : r->p_unfair;
		if (hu >= 0 && r->p_unfair >= m->heads[hu].threshold) {
			r->unfair = true;
			r->confidence = r->p_unfair;
			r->severity = m->level_default[c];
			if (h3 >= 0)
				r->severity =
					head_prob(m, h3, margin) >=
							m->heads[h3].threshold
						? CW_CLASSIFY_SEV_CLEARLY_UNFAIR
						: CW_CLASSIFY_SEV_POTENTIALLY_UNFAIR;
		} else {
			topic = ht >= 0 && r->p_topic >= m->heads[ht].threshold;
			r->severity = topic ? CW_CLASSIFY_SEV_CLEARLY_FAIR
					    : CW_CLASSIFY_SEV_NONE;
			r->confidence = topic ? r->p_topic
					      : (r->p_topic > r->p_unfair
							 ? r->p_topic
							 : r->p_unfair);
		}
		if (r->severity != CW_CLASSIFY_SEV_NONE)
			r->sentence = si;
	}
}
