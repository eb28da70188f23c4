/*
 * node: what the aligner and the change records know of a provision
 * beyond its bytes, made on first need (diff_int.h,
 * cw_diff_node_prepare): the hashes of its noise-normalised text and
 * body, and the sorted hashes of its word 3-shingles.
 */
#include "diff_int.h"

/* A normalised body shorter than this is too generic ("Yes.", a lone
 * link) to pair on its hash alone. */
#define MIN_BODY_HASH 40

/* Sorted unique hashes of word 3-shingles (unigrams for texts of fewer
 * than three tokens), over ASCII-lower-cased tokens of s. */
static uint64_t *shingles(const char *s, size_t len, size_t *n,
			  struct cw_diff_tok **toks, size_t *tcap)
{
	size_t nt = cw_diff_tokenize(toks, tcap, s, len);
	uint64_t *th = cw_malloc(sizeof(uint64_t) * (nt + 1));
	uint64_t *sh;
	size_t k = 0;

	for (size_t i = 0; i < nt; i++)
		th[i] = cw_fnv1a64_fold(s + (*toks)[i].start,
					(*toks)[i].end - (*toks)[i].start);
	if (nt < 3) {
		sh = th;
		k = nt;
	} else {
		sh = cw_malloc(sizeof(uint64_t) * nt);
		for (size_t i = 0; i + 2 < nt; i++)
			sh[k++] = th[i] * 0x9E3779B97F4A7C15ull ^
				  (th[i + 1] * 0xC2B2AE3D27D4EB4Full) ^
				  (th[i + 2] + 0x165667B19E3779F9ull);
		free(th);
	}
	*n = cw_sort_unique_u64(sh, k);
	return sh;
}

void cw_diff_node_prepare(struct cw_diff_side *s, size_t i)
{
	struct cw_diff_node *d = &s->nodes[i];
	struct cw_buf *nb = &s->nb;
	size_t hl;

	if (d->prepared)
		return;
	d->prepared = true;
	cw_buf_clear(nb);
	cw_diff_noise_normalize(nb, s->rules, s->text + d->start,
				d->body - d->start, d->body - d->start, NULL);
	hl = nb->len;
	cw_buf_addc(nb, '\n');
	cw_diff_noise_normalize(nb, s->rules, s->text + d->body,
				d->own_end - d->body, 0, NULL);
	d->norm_hash = cw_diff_hash(nb->ptr, nb->len);
	d->body_hash =
		nb->len - hl - 1 >= MIN_BODY_HASH
			? cw_diff_hash(nb->ptr + hl + 1, nb->len - hl - 1)
			: 0;
	d->shingles = shingles(nb->ptr + hl + 1, nb->len - hl - 1,
			       &d->n_shingles, &s->toks, &s->tcap);
	/* a heading-only node is known by its heading */
	if (d->n_shingles == 0) {
		free(d->shingles);
		d->shingles = shingles(nb->ptr, hl, &d->n_shingles, &s->toks,
				       &s->tcap);
	}
}

void cw_diff_side_prepare(struct cw_diff_side *s, bool unpaired_only)
{
	for (size_t i = 0; i < s->n; i++)
		if (!unpaired_only || s->nodes[i].pair < 0)
			cw_diff_node_prepare(s, i);
}
