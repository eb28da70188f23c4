/*
 * Word-level redline: tokenizer, Myers' linear-space diff with a cost
 * limit, and a semantic cleanup pass. See diff.h for the contract.
 */
#include <limits.h>

#include "../util/map.h"
#include "diff_int.h"

/* ---- tokens ---- */

uint64_t cw_diff_hash(const void *data, size_t len)
{
	/* FNV-1a, 64 bit: fast, and collisions only cost a byte compare
	 * where it matters (token interning compares the bytes). */
	return cw_fnv1a64(data, len);
}

static bool is_word_byte(unsigned char c)
{
	/* Any byte of a multi-byte UTF-8 sequence counts as a letter, so
	 * "résiliation" and "€50" stay whole. */
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static bool is_space_byte(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

size_t cw_diff_tokenize(struct cw_diff_tok **toks, size_t *cap, const char *s,
			size_t len)
{
	size_t n = 0;
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t j = i + 1;

		if (is_space_byte(c)) {
			i++;
			continue;
		}
		if (is_word_byte(c))
			while (j < len && is_word_byte((unsigned char)s[j]))
				j++;
		CW_GROW(*toks, *cap, n + 1);
		(*toks)[n].start = i;
		(*toks)[n].end = j;
		(*toks)[n].id = 0;
		n++;
		i = j;
	}
	return n;
}

/*
 * Interning: token bytes -> dense id, 1, 2, ... in order of first
 * appearance (the bytes are borrowed from the texts). Token counts are
 * capped by max_tokens, far below the map's limit.
 */
static void intern_init(struct cw_map *t, size_t expect)
{
	cw_map_init(t, CW_MAP_BORROW, CW_MAP_MAX_LIMIT, expect);
}

static uint32_t intern_id(struct cw_map *t, const char *p, size_t len)
{
	size_t at = 0;
	int rc = cw_map_put(t, p, len, &at);

	CW_ASSERT(rc != CW_ETOOBIG);
	(void)rc;
	return (uint32_t)at + 1;
}

/* ---- Myers, linear space, after xdiff's xdl_split/xdl_recs_cmp ---- */

struct split {
	long i1, i2;
	bool min_lo, min_hi;
};

/*
 * xdiff's tuned constants (git xdiff/xdiffi.c): a "snake" of more than
 * SNAKE_CNT equal elements after HEUR_MIN_COST edit steps is taken as a
 * good enough split when its distance from the corner beats K_HEUR times
 * the cost so far. They keep our line diff aligned with git's, which the
 * agreement test compares us to.
 */
#define SNAKE_CNT 20
#define HEUR_MIN_COST 256
#define K_HEUR 4

struct myers {
	const uint32_t *a, *b; /* the sequences (ids) */
	char *ca, *cb;	       /* changed marks, per element */
	long *kvdf, *kvdb;     /* diagonal arrays, offset so index d works */
	long mxcost;
	bool coarse;
};

/*
 * Find the middle snake of a[off1, lim1) x b[off2, lim2), or, past
 * mxcost steps, the furthest-reaching forward or backward path as split
 * point (xdiff's cost limit: the result is still a valid edit script,
 * only not a minimal one). Returns nothing; writes *spl.
 */
static void myers_split(struct myers *m, long off1, long lim1, long off2,
			long lim2, bool need_min, struct split *spl)
{
	const uint32_t *a = m->a, *b = m->b;
	long *kvdf = m->kvdf, *kvdb = m->kvdb;
	long dmin = off1 - lim2, dmax = lim1 - off2;
	long fmid = off1 - off2, bmid = lim1 - lim2;
	bool odd = ((fmid - bmid) & 1) != 0;
	long fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
	long ec, d, i1, i2, prev1;

	kvdf[fmid] = off1;
	kvdb[bmid] = lim1;
	for (ec = 1;; ec++) {
		bool got_snake = false;

		/* forward: extend the furthest reaching path per diagonal */
		if (fmin > dmin)
			kvdf[--fmin - 1] = -1;
		else
			++fmin;
		if (fmax < dmax)
			kvdf[++fmax + 1] = -1;
		else
			--fmax;
		for (d = fmax; d >= fmin; d -= 2) {
			if (kvdf[d - 1] >= kvdf[d + 1])
				i1 = kvdf[d - 1] + 1;
			else
				i1 = kvdf[d + 1];
			prev1 = i1;
			i2 = i1 - d;
			while (i1 < lim1 && i2 < lim2 && a[i1] == b[i2]) {
				i1++;
				i2++;
			}
			if (i1 - prev1 > SNAKE_CNT)
				got_snake = true;
			kvdf[d] = i1;
			if (odd && bmin <= d && d <= bmax && kvdb[d] <= i1) {
				spl->i1 = i1;
				spl->i2 = i2;
				spl->min_lo = spl->min_hi = true;
				return;
			}
		}
		/* backward */
		if (bmin > dmin)
			kvdb[--bmin - 1] = LONG_MAX;
		else
			++bmin;
		if (bmax < dmax)
			kvdb[++bmax + 1] = LONG_MAX;
		else
			--bmax;
		for (d = bmax; d >= bmin; d -= 2) {
			if (kvdb[d - 1] < kvdb[d + 1])
				i1 = kvdb[d - 1];
			else
				i1 = kvdb[d + 1] - 1;
			prev1 = i1;
			i2 = i1 - d;
			while (i1 > off1 && i2 > off2 &&
			       a[i1 - 1] == b[i2 - 1]) {
				i1--;
				i2--;
			}
			if (prev1 - i1 > SNAKE_CNT)
				got_snake = true;
			kvdb[d] = i1;
			if (!odd && fmin <= d && d <= fmax && i1 <= kvdf[d]) {
				spl->i1 = i1;
				spl->i2 = i2;
				spl->min_lo = spl->min_hi = true;
				return;
			}
		}
		if (need_min)
			continue;
		/*
		 * Past HEUR_MIN_COST with a long snake in sight: take the
		 * diagonal that went furthest from its corner (penalised by
		 * its distance from the middle) if it ends in a snake.
		 */
		if (got_snake && ec > HEUR_MIN_COST) {
			long best = 0, v, dd;
			for (d = fmax; d >= fmin; d -= 2) {
				dd = d > fmid ? d - fmid : fmid - d;
				i1 = kvdf[d];
				i2 = i1 - d;
				v = (i1 - off1) + (i2 - off2) - dd;
				if (v > K_HEUR * ec && v > best &&
				    off1 + SNAKE_CNT <= i1 && i1 < lim1 &&
				    off2 + SNAKE_CNT <= i2 && i2 < lim2) {
					for (long k = 1; a[i1 - k] == b[i2 - k];
					     k++)
						if (k == SNAKE_CNT) {
							best = v;
							spl->i1 = i1;
							spl->i2 = i2;
							break;
						}
				}
			}
			if (best > 0) {
				spl->min_lo = true;
				spl->min_hi = false;
				return;
			}
			for (d = bmax; d >= bmin; d -= 2) {
				dd = d > bmid ? d - bmid : bmid - d;
				i1 = kvdb[d];
				i2 = i1 - d;
				v = (lim1 - i1) + (lim2 - i2) - dd;
				if (v > K_HEUR * ec && v > best && off1 < i1 &&
				    i1 <= lim1 - SNAKE_CNT && off2 < i2 &&
				    i2 <= lim2 - SNAKE_CNT) {
					for (long k = 0; a[i1 + k] == b[i2 + k];
					     k++)
						if (k == SNAKE_CNT - 1) {
							best = v;
							spl->i1 = i1;
							spl->i2 = i2;
							break;
						}
				}
			}
			if (best > 0) {
				spl->min_lo = false;
				spl->min_hi = true;
				return;
			}
		}
		if (ec < m->mxcost)
			continue;
		/*
		 * Too expensive: take the furthest forward or backward
		 * reaching point as the split (xdiff does the same).
		 */
		{
			long fbest = -1, fbest1 = -1, bbest = LONG_MAX,
			     bbest1 = -1;
			for (d = fmax; d >= fmin; d -= 2) {
				i1 = kvdf[d] < lim1 ? kvdf[d] : lim1;
				i2 = i1 - d;
				if (lim2 < i2) {
					i1 = lim2 + d;
					i2 = lim2;
				}
				if (fbest < i1 + i2) {
					fbest = i1 + i2;
					fbest1 = i1;
				}
			}
			for (d = bmax; d >= bmin; d -= 2) {
				i1 = kvdb[d] > off1 ? kvdb[d] : off1;
				i2 = i1 - d;
				if (i2 < off2) {
					i1 = off2 + d;
					i2 = off2;
				}
				if (i1 + i2 < bbest) {
					bbest = i1 + i2;
					bbest1 = i1;
				}
			}
			m->coarse = true;
			if ((lim1 + lim2) - bbest < fbest - (off1 + off2)) {
				spl->i1 = fbest1;
				spl->i2 = fbest - fbest1;
				spl->min_lo = true;
				spl->min_hi = false;
			} else {
				spl->i1 = bbest1;
				spl->i2 = bbest - bbest1;
				spl->min_lo = false;
				spl->min_hi = true;
			}
			return;
		}
	}
}

struct box {
	long off1, lim1, off2, lim2;
	bool need_min;
};

/* Mark the changed elements; an explicit stack instead of recursion, so
 * depth is bounded by memory, not by the C stack. */
static void myers_run(struct myers *m, long n1, long n2)
{
	struct box *stack = NULL;
	size_t sn = 0, scap = 0;

	CW_GROW(stack, scap, 1);
	stack[sn++] = (struct box){ 0, n1, 0, n2, false };
	while (sn > 0) {
		struct box bx = stack[--sn];
		struct split spl;

		while (bx.off1 < bx.lim1 && bx.off2 < bx.lim2 &&
		       m->a[bx.off1] == m->b[bx.off2]) {
			bx.off1++;
			bx.off2++;
		}
		while (bx.off1 < bx.lim1 && bx.off2 < bx.lim2 &&
		       m->a[bx.lim1 - 1] == m->b[bx.lim2 - 1]) {
			bx.lim1--;
			bx.lim2--;
		}
		if (bx.off1 == bx.lim1) {
			for (long i = bx.off2; i < bx.lim2; i++)
				m->cb[i] = 1;
			continue;
		}
		if (bx.off2 == bx.lim2) {
			for (long i = bx.off1; i < bx.lim1; i++)
				m->ca[i] = 1;
			continue;
		}
		myers_split(m, bx.off1, bx.lim1, bx.off2, bx.lim2, bx.need_min,
			    &spl);
		CW_GROW(stack, scap, sn + 2);
		stack[sn++] = (struct box){ spl.i1, bx.lim1, spl.i2, bx.lim2,
					    spl.min_hi };
		stack[sn++] = (struct box){ bx.off1, spl.i1, bx.off2, spl.i2,
					    spl.min_lo };
	}
	free(stack);
}

/* Integer square root, rough (xdiff's xdl_bogosqrt). */
static long bogosqrt(long n)
{
	long i;

	for (i = 1; n > 0; n >>= 2)
		i <<= 1;
	return i;
}

/*
 * xdiff's discard of repeated elements (git xdiff/xprepare.c,
 * xdl_cleanup_records): an element occurring at least sqrt(n) times on
 * the other side (capped at MAX_EQLIMIT) is left out of the Myers pass
 * when it sits in a run made mostly of elements without any match
 * (fewer than one in KPDIS_RUN kept), looking at most SIMSCAN_WINDOW
 * elements each way. Same constants as xdiff, so our line diff and
 * git's take the same shortcuts.
 */
#define MAX_EQLIMIT 1024
#define KPDIS_RUN 4
#define SIMSCAN_WINDOW 100

enum { DISCARD = 0, KEEP = 1, INVESTIGATE = 2 };

static bool discard_multimatch(const char *act, long i, long s, long e)
{
	long r, nomatch_before = 0, multi_before = 1, nomatch_after = 0,
		multi_after = 1;

	if (i - s > SIMSCAN_WINDOW)
		s = i - SIMSCAN_WINDOW;
	if (e - i > SIMSCAN_WINDOW)
		e = i + SIMSCAN_WINDOW;
	for (r = 1; i - r >= s; r++) {
		if (act[i - r] == DISCARD)
			nomatch_before++;
		else if (act[i - r] == INVESTIGATE)
			multi_before++;
		else
			break;
	}
	if (nomatch_before == 0)
		return false;
	for (r = 1; i + r <= e; r++) {
		if (act[i + r] == DISCARD)
			nomatch_after++;
		else if (act[i + r] == INVESTIGATE)
			multi_after++;
		else
			break;
	}
	if (nomatch_after == 0)
		return false;
	return (multi_before + multi_after) * KPDIS_RUN <
	       multi_before + multi_after + nomatch_before + nomatch_after;
}

/*
 * Mark changed elements of a[0,na) and b[0,nb) (ids < nids). Elements
 * that do not occur at all on the other side are marked first and left
 * out of the Myers pass (for two unrelated texts that removes most of the
 * work); with `git_compat`, repeated ones in runs of those too (see
 * above). a and b lie inside the whole sequences wa[0,wna), wb[0,wnb)
 * (the common prefix and suffix stripped): xdiff counts matches and sets
 * its limits over the whole files.
 */
static bool mark_changes(char *ca, char *cb, const uint32_t *a, long na,
			 const uint32_t *b, long nb, uint32_t nids,
			 size_t max_cost, bool git_compat, const uint32_t *wa,
			 long wna, const uint32_t *wb, long wnb)
{
	uint32_t *cnt_a = cw_calloc(nids, sizeof(uint32_t));
	uint32_t *cnt_b = cw_calloc(nids, sizeof(uint32_t));
	uint32_t *ra = cw_malloc(sizeof(uint32_t) * (size_t)(na + 1));
	uint32_t *rb = cw_malloc(sizeof(uint32_t) * (size_t)(nb + 1));
	long *ia = cw_malloc(sizeof(long) * (size_t)(na + 1));
	long *ib = cw_malloc(sizeof(long) * (size_t)(nb + 1));
	char *act_a = cw_malloc((size_t)na + 1),
	     *act_b = cw_malloc((size_t)nb + 1);
	long rna = 0, rnb = 0;
	struct myers m = { 0 };

	for (long i = 0; i < wna; i++)
		cnt_a[wa[i]]++;
	for (long i = 0; i < wnb; i++)
		cnt_b[wb[i]]++;
	{
		long lim_a = bogosqrt(wna);
		long lim_b = bogosqrt(wnb);
		if (lim_a > MAX_EQLIMIT)
			lim_a = MAX_EQLIMIT;
		if (lim_b > MAX_EQLIMIT)
			lim_b = MAX_EQLIMIT;
		for (long i = 0; i < na; i++) {
			uint32_t nm = cnt_b[a[i]];
			act_a[i] = nm == 0 ? DISCARD
				   : (git_compat && nm >= (uint32_t)lim_a)
					   ? INVESTIGATE
					   : KEEP;
		}
		for (long i = 0; i < nb; i++) {
			uint32_t nm = cnt_a[b[i]];
			act_b[i] = nm == 0 ? DISCARD
				   : (git_compat && nm >= (uint32_t)lim_b)
					   ? INVESTIGATE
					   : KEEP;
		}
	}
	for (long i = 0; i < na; i++) {
		if (act_a[i] == KEEP ||
		    (act_a[i] == INVESTIGATE &&
		     !discard_multimatch(act_a, i, 0, na - 1))) {
			ia[rna] = i;
			ra[rna++] = a[i];
		} else {
			ca[i] = 1;
		}
	}
	for (long i = 0; i < nb; i++) {
		if (act_b[i] == KEEP ||
		    (act_b[i] == INVESTIGATE &&
		     !discard_multimatch(act_b, i, 0, nb - 1))) {
			ib[rnb] = i;
			rb[rnb++] = b[i];
		} else {
			cb[i] = 1;
		}
	}
	free(act_a);
	free(act_b);
	free(cnt_a);
	free(cnt_b);
	if (rna > 0 || rnb > 0) {
		long ndiags = rna + rnb + 3;
		long *kvd = cw_malloc(sizeof(long) * 2 * (size_t)ndiags);
		char *rca = cw_calloc((size_t)rna + 1, 1);
		char *rcb = cw_calloc((size_t)rnb + 1, 1);

		m.a = ra;
		m.b = rb;
		m.ca = rca;
		m.cb = rcb;
		m.kvdf = kvd + rnb + 1;
		m.kvdb = m.kvdf + ndiags;
		m.mxcost = max_cost ? (long)max_cost : bogosqrt(ndiags);
		/* 256: xdiff's XDL_MAX_COST_MIN; below it the heuristic
		 * costs more readability than it saves time. */
		if (m.mxcost < 256)
			m.mxcost = 256;
		myers_run(&m, rna, rnb);
		for (long i = 0; i < rna; i++)
			if (rca[i])
				ca[ia[i]] = 1;
		for (long i = 0; i < rnb; i++)
			if (rcb[i])
				cb[ib[i]] = 1;
		free(kvd);
		free(rca);
		free(rcb);
	}
	free(ra);
	free(rb);
	free(ia);
	free(ib);
	return m.coarse;
}

/* ---- hunks and semantic cleanup ---- */

struct hunk {
	long a0, a1, b0,
		b1; /* token ranges [a0,a1) deleted, [b0,b1) inserted */
};

static size_t tok_bytes(const struct cw_diff_tok *t, long i0, long i1)
{
	return i1 > i0 ? t[i1 - 1].end - t[i0].start : 0;
}

static size_t max_sz(size_t x, size_t y)
{
	return x > y ? x : y;
}

/*
 * Fold an equality between two hunks into them when it is no longer than
 * the larger edit on each side of it (diff-match-patch's cleanupSemantic
 * rule, on bytes of word tokens). A stack makes it one pass: after a merge
 * the grown hunk is tried again against its left neighbour.
 */
static size_t cleanup_semantic(struct hunk *h, size_t n,
			       const struct cw_diff_tok *ta,
			       const struct cw_diff_tok *tb)
{
	size_t top = 0; /* h[0, top) is the result stack */

	for (size_t k = 0; k < n; k++) {
		h[top++] = h[k];
		while (top >= 2) {
			struct hunk *l = &h[top - 2], *r = &h[top - 1];
			size_t eq = tok_bytes(ta, l->a1, r->a0);
			size_t lmax = max_sz(tok_bytes(ta, l->a0, l->a1),
					     tok_bytes(tb, l->b0, l->b1));
			size_t rmax = max_sz(tok_bytes(ta, r->a0, r->a1),
					     tok_bytes(tb, r->b0, r->b1));
			if (eq > lmax || eq > rmax)
				break;
			l->a1 = r->a1;
			l->b1 = r->b1;
			top--;
		}
	}
	return top;
}

static size_t point_after(const struct cw_diff_tok *t, long i, size_t len)
{
	/* the offset where token i would start: right after token i-1 */
	(void)len;
	return i > 0 ? t[i - 1].end : 0;
}

void cw_diff_words(struct cw_diff_span **out, size_t *n, bool *coarse,
		   const char *a, size_t alen, const char *b, size_t blen,
		   size_t max_cost, size_t max_tokens)
{
	struct cw_diff_tok *ta = NULL, *tb = NULL;
	size_t capa = 0, capb = 0, na, nb;
	struct cw_map it;
	uint32_t *ida = NULL, *idb = NULL;
	char *ca = NULL, *cb = NULL;
	struct hunk *h = NULL;
	size_t nh = 0, hcap = 0;
	struct cw_diff_span *sp = NULL;
	size_t nsp = 0, spcap = 0;
	long pre = 0, suf = 0;

	*out = NULL;
	*n = 0;
	*coarse = false;
	if (max_tokens == 0)
		max_tokens = 1u << 21;
	na = cw_diff_tokenize(&ta, &capa, a, alen);
	nb = cw_diff_tokenize(&tb, &capb, b, blen);
	if (na > max_tokens || nb > max_tokens) {
		/* Too big to diff by words: one replacement of everything. */
		*coarse = true;
		CW_GROW(h, hcap, 1);
		h[nh++] = (struct hunk){ 0, (long)na, 0, (long)nb };
		goto spans;
	}
	intern_init(&it, na + nb);
	ida = cw_malloc(sizeof(uint32_t) * (na + 1));
	idb = cw_malloc(sizeof(uint32_t) * (nb + 1));
	for (size_t i = 0; i < na; i++)
		ida[i] = intern_id(&it, a + ta[i].start,
				   ta[i].end - ta[i].start);
	for (size_t i = 0; i < nb; i++)
		idb[i] = intern_id(&it, b + tb[i].start,
				   tb[i].end - tb[i].start);
	/* common prefix and suffix cost nothing to skip */
	while ((size_t)pre < na && (size_t)pre < nb && ida[pre] == idb[pre])
		pre++;
	while ((size_t)(pre + suf) < na && (size_t)(pre + suf) < nb &&
	       ida[na - 1 - (size_t)suf] == idb[nb - 1 - (size_t)suf])
		suf++;
	ca = cw_calloc(na + 1, 1);
	cb = cw_calloc(nb + 1, 1);
	*coarse = mark_changes(ca + pre, cb + pre, ida + pre,
			       (long)na - pre - suf, idb + pre,
			       (long)nb - pre - suf, (uint32_t)it.n + 1,
			       max_cost, false, (const uint32_t *)ida, (long)na,
			       (const uint32_t *)idb, (long)nb);
	cw_map_release(&it);
	/* marks -> hunks */
	{
		long i = 0, j = 0;
		while ((size_t)i < na || (size_t)j < nb) {
			if (((size_t)i < na && ca[i]) ||
			    ((size_t)j < nb && cb[j])) {
				struct hunk hk = { i, i, j, j };
				while ((size_t)hk.a1 < na && ca[hk.a1])
					hk.a1++;
				while ((size_t)hk.b1 < nb && cb[hk.b1])
					hk.b1++;
				CW_GROW(h, hcap, nh + 1);
				h[nh++] = hk;
				i = hk.a1;
				j = hk.b1;
			} else {
				i++;
				j++;
			}
		}
	}
	nh = cleanup_semantic(h, nh, ta, tb);
spans:
	for (size_t k = 0; k < nh; k++) {
		const struct hunk *hk = &h[k];

		CW_ASSERT(hk->a0 <= hk->a1 && (size_t)hk->a1 <= na);
		CW_ASSERT(hk->b0 <= hk->b1 && (size_t)hk->b1 <= nb);
		size_t opos = hk->a1 > hk->a0 ? ta[hk->a1 - 1].end
					      : point_after(ta, hk->a0, alen);
		size_t npos = hk->b1 > hk->b0 ? tb[hk->b0].start
					      : point_after(tb, hk->b0, blen);
		if (hk->a1 > hk->a0) {
			CW_GROW(sp, spcap, nsp + 1);
			sp[nsp++] = (struct cw_diff_span){ CW_DIFF_OP_DEL,
							   ta[hk->a0].start,
							   ta[hk->a1 - 1].end,
							   npos, npos };
		}
		if (hk->b1 > hk->b0) {
			CW_GROW(sp, spcap, nsp + 1);
			sp[nsp++] = (struct cw_diff_span){ CW_DIFF_OP_INS, opos,
							   opos,
							   tb[hk->b0].start,
							   tb[hk->b1 - 1].end };
		}
	}
	free(h);
	free(ca);
	free(cb);
	free(ida);
	free(idb);
	free(ta);
	free(tb);
	for (size_t k = 0; k < nsp; k++) {
		CW_ASSERT(sp[k].old_start <= sp[k].old_end &&
			  sp[k].old_end <= alen);
		CW_ASSERT(sp[k].new_start <= sp[k].new_end &&
			  sp[k].new_end <= blen);
	}
	*out = sp;
	*n = nsp;
}

/* ---- sliding groups of changed lines, as git does ---- */

/*
 * A group of changed lines that is bordered by equal lines can slide: if
 * its first line equals the line after it, the group may as well end one
 * line later. git slides every group as far up, then as far down as it
 * goes, lines it up with a change on the other side when it can, and
 * otherwise picks the position whose two borders score best by an
 * indentation heuristic (git xdiff/xdiffi.c, xdl_change_compact and the
 * "indent heuristic" of M. Haggerty, tuned on his diff-slider-tools
 * corpus). The agreement test holds our provisions against git's changed
 * lines, so our line diff places its groups the same way; the weights
 * below are git's, kept as they were tuned.
 */
#define IH_MAX_INDENT 200
#define IH_MAX_BLANKS 20
#define IH_START_OF_FILE 1
#define IH_END_OF_FILE 21
#define IH_TOTAL_BLANK (-30)
#define IH_POST_BLANK 6
#define IH_INDENT (-4)
#define IH_INDENT_BLANK 10
#define IH_OUTDENT 24
#define IH_OUTDENT_BLANK 17
#define IH_DEDENT 23
#define IH_DEDENT_BLANK 17
#define IH_WEIGHT 60
#define IH_MAX_SLIDING 100

struct lines {
	char *ch; /* changed marks, ch[-1] == ch[n] == 0 */
	long n;
	const uint32_t *id;
	const char *text;
	const struct cw_diff_tok *ln;
};

struct group {
	long start, end; /* [start, end) changed; end == start: empty */
};

/* Columns of leading blanks (tab to 8), or -1 for a blank line. */
static int indent_of(const struct lines *f, long i)
{
	int col = 0;

	for (size_t p = f->ln[i].start; p < f->ln[i].end; p++) {
		char c = f->text[p];
		if (c == ' ')
			col++;
		else if (c == '\t')
			col += 8 - col % 8;
		else if (!strchr("\r\f\v", c))
			return col;
		if (col >= IH_MAX_INDENT)
			return IH_MAX_INDENT;
	}
	return -1;
}

struct border {
	int eof, indent, pre_blank, pre_indent, post_blank, post_indent;
};

static void measure(const struct lines *f, long at, struct border *m)
{
	m->eof = at >= f->n;
	m->indent = m->eof ? -1 : indent_of(f, at);
	m->pre_blank = 0;
	m->pre_indent = -1;
	for (long i = at - 1; i >= 0; i--) {
		m->pre_indent = indent_of(f, i);
		if (m->pre_indent != -1)
			break;
		if (++m->pre_blank == IH_MAX_BLANKS) {
			m->pre_indent = 0;
			break;
		}
	}
	m->post_blank = 0;
	m->post_indent = -1;
	for (long i = at + 1; i < f->n; i++) {
		m->post_indent = indent_of(f, i);
		if (m->post_indent != -1)
			break;
		if (++m->post_blank == IH_MAX_BLANKS) {
			m->post_indent = 0;
			break;
		}
	}
}

struct score {
	int indent, penalty;
};

static void score_border(const struct border *m, struct score *s)
{
	int post = m->indent == -1 ? 1 + m->post_blank : 0;
	int total = m->pre_blank + post;
	int ind = m->indent != -1 ? m->indent : m->post_indent;

	if (m->pre_indent == -1 && m->pre_blank == 0)
		s->penalty += IH_START_OF_FILE;
	if (m->eof)
		s->penalty += IH_END_OF_FILE;
	s->penalty += IH_TOTAL_BLANK * total + IH_POST_BLANK * post;
	s->indent += ind;
	if (ind == -1 || m->pre_indent == -1 || ind == m->pre_indent)
		return;
	if (ind > m->pre_indent)
		s->penalty += total ? IH_INDENT_BLANK : IH_INDENT;
	else if (m->post_indent != -1 && m->post_indent > ind)
		s->penalty += total ? IH_OUTDENT_BLANK : IH_OUTDENT;
	else
		s->penalty += total ? IH_DEDENT_BLANK : IH_DEDENT;
}

static int score_cmp(const struct score *x, const struct score *y)
{
	return IH_WEIGHT * ((x->indent > y->indent) - (x->indent < y->indent)) +
	       (x->penalty - y->penalty);
}

static void group_first(const struct lines *f, struct group *g)
{
	g->start = g->end = 0;
	while (f->ch[g->end])
		g->end++;
}

static bool group_next(const struct lines *f, struct group *g)
{
	if (g->end == f->n)
		return false;
	g->start = g->end + 1;
	for (g->end = g->start; f->ch[g->end]; g->end++)
		;
	return true;
}

static bool group_prev(const struct lines *f, struct group *g)
{
	if (g->start == 0)
		return false;
	g->end = g->start - 1;
	for (g->start = g->end; f->ch[g->start - 1]; g->start--)
		;
	return true;
}

static bool slide_down(struct lines *f, struct group *g)
{
	if (g->end >= f->n || f->id[g->start] != f->id[g->end])
		return false;
	f->ch[g->start++] = 0;
	f->ch[g->end++] = 1;
	while (f->ch[g->end])
		g->end++;
	return true;
}

static bool slide_up(struct lines *f, struct group *g)
{
	if (g->start == 0 || f->id[g->start - 1] != f->id[g->end - 1])
		return false;
	f->ch[--g->start] = 1;
	f->ch[--g->end] = 0;
	while (f->ch[g->start - 1])
		g->start--;
	return true;
}

static void compact_side(struct lines *f, struct lines *o)
{
	struct group g, go;

	group_first(f, &g);
	group_first(o, &go);
	for (;;) {
		if (g.end != g.start) {
			long size, earliest, matching;
			do {
				size = g.end - g.start;
				matching = -1;
				while (slide_up(f, &g))
					group_prev(o, &go);
				earliest = g.end;
				if (go.end > go.start)
					matching = g.end;
				while (slide_down(f, &g)) {
					group_next(o, &go);
					if (go.end > go.start)
						matching = g.end;
				}
			} while (size != g.end - g.start);
			if (g.end == earliest) {
				/* cannot move */
			} else if (matching != -1) {
				while (go.end == go.start) {
					slide_up(f, &g);
					group_prev(o, &go);
				}
			} else {
				long shift = earliest, best = -1;
				struct score bs = { 0, 0 };
				if (g.end - size - 1 > shift)
					shift = g.end - size - 1;
				if (g.end - IH_MAX_SLIDING > shift)
					shift = g.end - IH_MAX_SLIDING;
				for (; shift <= g.end; shift++) {
					struct border m;
					struct score sc = { 0, 0 };
					measure(f, shift, &m);
					score_border(&m, &sc);
					measure(f, shift - size, &m);
					score_border(&m, &sc);
					if (best == -1 ||
					    score_cmp(&sc, &bs) <= 0) {
						bs = sc;
						best = shift;
					}
				}
				while (g.end > best) {
					slide_up(f, &g);
					group_prev(o, &go);
				}
			}
		}
		if (!group_next(f, &g))
			break;
		group_next(o, &go);
	}
}

/* Slide the changed groups of both sides (in place). */
static void compact(char *ca, size_t na, char *cb, size_t nb,
		    const uint32_t *ida, const uint32_t *idb, const char *ta,
		    const struct cw_diff_tok *la, const char *tb,
		    const struct cw_diff_tok *lb)
{
	char *pa = cw_calloc(na + 2, 1), *pb = cw_calloc(nb + 2, 1);
	struct lines fa = { pa + 1, (long)na, ida, ta, la };
	struct lines fb = { pb + 1, (long)nb, idb, tb, lb };

	memcpy(pa + 1, ca, na);
	memcpy(pb + 1, cb, nb);
	compact_side(&fa, &fb);
	compact_side(&fb, &fa);
	memcpy(ca, pa + 1, na);
	memcpy(cb, pb + 1, nb);
	free(pa);
	free(pb);
}

void cw_diff_lines(char **ca, size_t *na, char **cb, size_t *nb, const char *a,
		   size_t alen, const char *b, size_t blen, size_t max_cost)
{
	struct cw_diff_tok *la = NULL, *lb = NULL;
	size_t capa = 0, capb = 0;
	struct cw_map it;
	uint32_t *ida, *idb;
	const char *texts[2] = { a, b };
	size_t lens[2] = { alen, blen };
	struct cw_diff_tok **ls[2] = { &la, &lb };
	size_t *caps[2] = { &capa, &capb };
	size_t *ns[2] = { na, nb };

	/* lines as tokens: [start, end) without the newline */
	for (int s = 0; s < 2; s++) {
		size_t n = 0, i = 0;
		while (i < lens[s]) {
			const char *nl =
				memchr(texts[s] + i, '\n', lens[s] - i);
			size_t e = nl ? (size_t)(nl - texts[s]) : lens[s];
			CW_GROW(*ls[s], *caps[s], n + 1);
			(*ls[s])[n++] = (struct cw_diff_tok){ i, e, 0 };
			i = e + 1;
		}
		*ns[s] = n;
	}
	intern_init(&it, *na + *nb);
	ida = cw_malloc(sizeof(uint32_t) * (*na + 1));
	idb = cw_malloc(sizeof(uint32_t) * (*nb + 1));
	/* a line is compared with its newline, so a last line without one
	 * differs from the same text with one (as in git) */
	for (size_t i = 0; i < *na; i++)
		ida[i] =
			intern_id(&it, a + la[i].start,
				  la[i].end - la[i].start + (la[i].end < alen));
	for (size_t i = 0; i < *nb; i++)
		idb[i] =
			intern_id(&it, b + lb[i].start,
				  lb[i].end - lb[i].start + (lb[i].end < blen));
	*ca = cw_calloc(*na + 1, 1);
	*cb = cw_calloc(*nb + 1, 1);
	{
		/*
		 * git diff --unified=0 first drops the longest common byte
		 * tail, in 1 KiB blocks, then gives back what follows the
		 * first newline of the dropped part (git xdiff-interface.c,
		 * trim_common_tail): an optimisation that also makes an
		 * ambiguous insertion (a text pasted twice) land near the top.
		 * We do the same so our changed lines are git's.
		 */
		size_t blk = 1024, trimmed = 0, keep, ha, hb, pre = 0, suf = 0;
		size_t smaller = alen < blen ? alen : blen;
		while (blk + trimmed <= smaller &&
		       memcmp(a + alen - trimmed - blk,
			      b + blen - trimmed - blk, blk) == 0)
			trimmed += blk;
		keep = 0;
		while (keep < trimmed)
			if (a[alen - trimmed + keep++] == '\n')
				break;
		ha = alen - (trimmed - keep);
		hb = blen - (trimmed - keep);
		/* lines of the heads (the tails start on a line boundary) */
		size_t nha = 0, nhb = 0;
		while (nha < *na && la[nha].start < ha)
			nha++;
		while (nhb < *nb && lb[nhb].start < hb)
			nhb++;
		while (pre < nha && pre < nhb && ida[pre] == idb[pre])
			pre++;
		while (pre + suf < nha && pre + suf < nhb &&
		       ida[nha - 1 - suf] == idb[nhb - 1 - suf])
			suf++;
		mark_changes(*ca + pre, *cb + pre, ida + pre,
			     (long)(nha - pre - suf), idb + pre,
			     (long)(nhb - pre - suf), (uint32_t)it.n + 1,
			     max_cost, true, ida, (long)nha, idb, (long)nhb);
		compact(*ca, nha, *cb, nhb, ida, idb, a, la, b, lb);
	}
	cw_map_release(&it);
	free(ida);
	free(idb);
	free(la);
	free(lb);
}

/* ---- sets of shingle hashes (sorted arrays) ---- */

/* How many values two sorted arrays share. */
static size_t shared(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
	size_t i = 0, j = 0, both = 0;

	while (i < na && j < nb) {
		if (a[i] == b[j]) {
			both++;
			i++;
			j++;
		} else if (a[i] < b[j]) {
			i++;
		} else {
			j++;
		}
	}
	return both;
}

double cw_diff_jaccard(const uint64_t *a, size_t na, const uint64_t *b,
		       size_t nb)
{
	size_t both;

	if (na == 0 && nb == 0)
		return 1.0;
	both = shared(a, na, b, nb);
	return (double)both / (double)(na + nb - both);
}

double cw_diff_containment(const uint64_t *a, size_t na, const uint64_t *b,
			   size_t nb)
{
	if (na == 0)
		return 0.0;
	return (double)shared(a, na, b, nb) / (double)na;
}
