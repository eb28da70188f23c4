/*
 * Word-level redline: tokenizer, Myers' linear-space diff with a cost
 * limit, and a semantic cleanup pass. See diff.h for the contract.
 */
#include <limits.h>

#include "diff_int.h"

/* ---- tokens ---- */

uint64_t cw_diff_hash(const void *data, size_t len)
{
	/* FNV-1a, 64 bit: fast, and collisions only cost a byte compare
	 * where it matters (token interning compares the bytes). */
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
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

/* Interning table: token bytes -> dense id. Open addressing. */
struct intern {
	struct slot {
		uint64_t h;
		const char *p;
		size_t len;
		uint32_t id;
		bool used;
	} *slots;
	size_t mask;
	uint32_t next;
};

static void intern_init(struct intern *t, size_t expect)
{
	size_t cap = 64;

	while (cap < expect * 2)
		cap *= 2;
	t->slots = cw_calloc(cap, sizeof(*t->slots));
	t->mask = cap - 1;
	t->next = 1;
}

static uint32_t intern_id(struct intern *t, const char *p, size_t len)
{
	uint64_t h = cw_diff_hash(p, len);
	size_t i = (size_t)h & t->mask;

	for (;;) {
		struct slot *s = &t->slots[i];
		if (!s->used) {
			s->used = true;
			s->h = h;
			s->p = p;
			s->len = len;
			s->id = t->next++;
			return s->id;
		}
		if (s->h == h && s->len == len && memcmp(s->p, p, len) == 0)
			return s->id;
		i = (i + 1) & t->mask;
	}
}

/* ---- Myers, linear space, after xdiff's xdl_split/xdl_recs_cmp ---- */

struct split {
	long i1, i2;
	bool min_lo, min_hi;
};

struct myers {
	const uint32_t *a, *b; /* the sequences (ids) */
	char *ca, *cb;         /* changed marks, per element */
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
	long ec, d, i1, i2;

	kvdf[fmid] = off1;
	kvdb[bmid] = lim1;
	for (ec = 1;; ec++) {
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
			i2 = i1 - d;
			while (i1 < lim1 && i2 < lim2 && a[i1] == b[i2]) {
				i1++;
				i2++;
			}
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
			i2 = i1 - d;
			while (i1 > off1 && i2 > off2 && a[i1 - 1] == b[i2 - 1]) {
				i1--;
				i2--;
			}
			kvdb[d] = i1;
			if (!odd && fmin <= d && d <= fmax && i1 <= kvdf[d]) {
				spl->i1 = i1;
				spl->i2 = i2;
				spl->min_lo = spl->min_hi = true;
				return;
			}
		}
		if (need_min || ec < m->mxcost)
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
 * Mark changed tokens of a[0,na) and b[0,nb) (ids). Tokens that do not
 * occur at all on the other side are marked first and left out of the
 * Myers pass (xdiff's xdl_cleanup_records does the same): for two
 * unrelated texts that removes most of the work.
 */
static bool mark_changes(char *ca, char *cb, const uint32_t *a, long na,
			 const uint32_t *b, long nb, uint32_t nids,
			 size_t max_cost)
{
	uint32_t *cnt_a = cw_calloc(nids, sizeof(uint32_t));
	uint32_t *cnt_b = cw_calloc(nids, sizeof(uint32_t));
	uint32_t *ra = cw_malloc(sizeof(uint32_t) * (size_t)(na + 1));
	uint32_t *rb = cw_malloc(sizeof(uint32_t) * (size_t)(nb + 1));
	long *ia = cw_malloc(sizeof(long) * (size_t)(na + 1));
	long *ib = cw_malloc(sizeof(long) * (size_t)(nb + 1));
	long rna = 0, rnb = 0;
	struct myers m = { 0 };

	for (long i = 0; i < na; i++)
		cnt_a[a[i]]++;
	for (long i = 0; i < nb; i++)
		cnt_b[b[i]]++;
	for (long i = 0; i < na; i++) {
		if (cnt_b[a[i]] == 0) {
			ca[i] = 1;
		} else {
			ia[rna] = i;
			ra[rna++] = a[i];
		}
	}
	for (long i = 0; i < nb; i++) {
		if (cnt_a[b[i]] == 0) {
			cb[i] = 1;
		} else {
			ib[rnb] = i;
			rb[rnb++] = b[i];
		}
	}
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
	long a0, a1, b0, b1; /* token ranges [a0,a1) deleted, [b0,b1) inserted */
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
	struct intern it;
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
		ida[i] = intern_id(&it, a + ta[i].start, ta[i].end - ta[i].start);
	for (size_t i = 0; i < nb; i++)
		idb[i] = intern_id(&it, b + tb[i].start, tb[i].end - tb[i].start);
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
			       (long)nb - pre - suf, it.next, max_cost);
	free(it.slots);
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
		size_t opos = hk->a1 > hk->a0 ? ta[hk->a1 - 1].end
					      : point_after(ta, hk->a0, alen);
		size_t npos = hk->b1 > hk->b0 ? tb[hk->b0].start
					      : point_after(tb, hk->b0, blen);
		if (hk->a1 > hk->a0) {
			CW_GROW(sp, spcap, nsp + 1);
			sp[nsp++] = (struct cw_diff_span){
				CW_DIFF_OP_DEL, ta[hk->a0].start,
				ta[hk->a1 - 1].end, npos, npos
			};
		}
		if (hk->b1 > hk->b0) {
			CW_GROW(sp, spcap, nsp + 1);
			sp[nsp++] = (struct cw_diff_span){
				CW_DIFF_OP_INS, opos, opos, tb[hk->b0].start,
				tb[hk->b1 - 1].end
			};
		}
	}
	free(h);
	free(ca);
	free(cb);
	free(ida);
	free(idb);
	free(ta);
	free(tb);
	*out = sp;
	*n = nsp;
}

void cw_diff_lines(char **ca, size_t *na, char **cb, size_t *nb, const char *a,
		   size_t alen, const char *b, size_t blen, size_t max_cost)
{
	struct cw_diff_tok *la = NULL, *lb = NULL;
	size_t capa = 0, capb = 0;
	struct intern it;
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
			const char *nl = memchr(texts[s] + i, '\n', lens[s] - i);
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
	for (size_t i = 0; i < *na; i++)
		ida[i] = intern_id(&it, a + la[i].start, la[i].end - la[i].start);
	for (size_t i = 0; i < *nb; i++)
		idb[i] = intern_id(&it, b + lb[i].start, lb[i].end - lb[i].start);
	*ca = cw_calloc(*na + 1, 1);
	*cb = cw_calloc(*nb + 1, 1);
	{
		size_t pre = 0, suf = 0;
		while (pre < *na && pre < *nb && ida[pre] == idb[pre])
			pre++;
		while (pre + suf < *na && pre + suf < *nb &&
		       ida[*na - 1 - suf] == idb[*nb - 1 - suf])
			suf++;
		mark_changes(*ca + pre, *cb + pre, ida + pre,
			     (long)(*na - pre - suf), idb + pre,
			     (long)(*nb - pre - suf), it.next, max_cost);
	}
	free(it.slots);
	free(ida);
	free(idb);
	free(la);
	free(lb);
}
