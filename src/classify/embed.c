/*
 * embed: the word vectors of the clause classifier as scoring uses them:
 * reading the file that embed_train.c writes (its layout is described
 * there) and finding a word's row from its unigram bucket. A sentence's
 * dense feature, the smooth-inverse-frequency weighted mean of its words'
 * vectors, is computed in features.c.
 */
#include <math.h>

#include "classify_int.h"

void cls_embed_release(struct cls_embed *e)
{
	free(e->bucket);
	free(e->weight);
	free(e->vec);
	free(e->slot);
	memset(e, 0, sizeof(*e));
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static float get_f32(const unsigned char *p)
{
	uint32_t v = get_u32(p);
	float f;

	memcpy(&f, &v, 4);
	return f;
}

int cls_embed_parse(struct cls_embed *out, const void *data, size_t len,
		    const char *name, struct cw_err *err)
{
	const unsigned char *p = data;
	unsigned char sum[32];
	uint32_t dim, n;
	size_t rowlen;

	memset(out, 0, sizeof(*out));
	if (len < 16 + 32 || memcmp(p, CLS_EMB_MAGIC, 8))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': not a word vector file", name);
	cw_sha256(p, len - 32, sum);
	if (memcmp(sum, p + len - 32, 32))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': word vectors: checksum mismatch",
				  name);
	dim = get_u32(p + 8);
	n = get_u32(p + 12);
	rowlen = 12 + (size_t)dim;
	if (dim < 1 || dim > CLS_EMB_DIM_MAX || n > CLS_EMB_WORDS_MAX ||
	    (len - 32 - 16) != (size_t)n * rowlen)
		return cw_err_set(err, CW_EPARSE,
				  "'%s': word vectors: bad size (%u words of "
				  "%u)",
				  name, n, dim);
	out->dim = dim;
	out->n = n;
	out->bucket = cw_calloc(n + 1, sizeof(*out->bucket));
	out->weight = cw_calloc(n + 1, sizeof(*out->weight));
	out->vec = cw_calloc((size_t)n * dim + 1, sizeof(*out->vec));
	for (uint32_t i = 0; i < n; i++) {
		const unsigned char *r = p + 16 + (size_t)i * rowlen;
		float sc = get_f32(r + 8);

		out->bucket[i] = get_u32(r);
		out->weight[i] = get_f32(r + 4);
		if (out->bucket[i] >= CLS_WORD_SPAN ||
		    (i && out->bucket[i] <= out->bucket[i - 1]) ||
		    !isfinite(out->weight[i]) || !isfinite(sc)) {
			cls_embed_release(out);
			return cw_err_set(err, CW_EPARSE,
					  "'%s': word vectors: bad word %u",
					  name, i);
		}
		for (uint32_t c = 0; c < dim; c++)
			out->vec[(size_t)i * dim + c] =
				(float)((signed char)r[12 + c]) * sc / 127.0f;
	}
	/* open addressing from bucket to row, at most half full */
	out->nslot = 1;
	while (out->nslot < 2 * (size_t)n + 2)
		out->nslot *= 2;
	out->slot = cw_calloc(out->nslot, sizeof(*out->slot));
	for (uint32_t i = 0; i < n; i++) {
		size_t h = (out->bucket[i] * 2654435761u) & (out->nslot - 1);

		while (out->slot[h])
			h = (h + 1) & (out->nslot - 1);
		out->slot[h] = i + 1;
	}
	return CW_OK;
}

int32_t cls_embed_find(const struct cls_embed *e, uint32_t bucket)
{
	size_t h;

	if (!e->n)
		return -1;
	h = (bucket * 2654435761u) & (e->nslot - 1);
	while (e->slot[h]) {
		if (e->bucket[e->slot[h] - 1] == bucket)
			return (int32_t)e->slot[h] - 1;
		h = (h + 1) & (e->nslot - 1);
	}
	return -1;
}
