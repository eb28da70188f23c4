/*
 * Alignment of the provisions of two versions, in passes (see diff.h).
 * Works on nodes prepared by node.c: hashes of the noise-normalised own
 * text and its body, and sorted 3-shingle hashes.
 */
#include <ctype.h>

#include "../util/map.h"
#include "diff_int.h"

/* A shingle present in more nodes than this is boilerplate ("the
 * services and"); it is left out of the candidate index so the content
 * pass stays near-linear. 64 keeps every real pairing on the corpus. */
#define MAX_POSTING 64
/* Split/merge: a part must lie this much inside the whole, and the parts
 * together must cover this much of it (tuned on crafted splits and on
 * the Airbnb and Google histories, where sections were cut in two). */
#define PART_INSIDE 0.6
#define PARTS_COVER 0.5
/* Same title or same key pairs only with at least this similarity, so a
 * generic title ("General") does not pair unrelated text. */
#define SIM_TITLE 0.2
#define SIM_KEY 0.3

static void pair(struct cw_diff_side *a, long i, struct cw_diff_side *b, long j)
{
	/* every pass pairs only unpaired nodes; a slip here would drop a
	 * provision from the change list */
	if (a->nodes[i].pair >= 0 || b->nodes[j].pair >= 0)
		abort();
	a->nodes[i].pair = j;
	b->nodes[j].pair = i;
}

/* Keys compared without the "~2" suffix of repeated keys. */
static size_t key_base_len(const char *k)
{
	const char *t = strchr(k, '~');

	return t ? (size_t)(t - k) : strlen(k);
}

static bool titles_equal(const char *x, const char *y)
{
	size_t n = strlen(x);

	return n == strlen(y) && cw_strncasecmp_ascii(x, y, n) == 0;
}

static double sim(const struct cw_diff_node *x, const struct cw_diff_node *y)
{
	return cw_diff_jaccard(x->shingles, x->n_shingles, y->shingles,
			       y->n_shingles);
}

/*
 * String -> node index maps for keys and titles (ASCII case-insensitive,
 * keys borrowed from the nodes). A string seen twice maps to -2
 * (ambiguous), an absent one to -1. Node counts are bounded by the
 * segmentation's cap, far below the map's limit.
 */
static void smap_init(struct cw_map *m, size_t n)
{
	cw_map_init(m, CW_MAP_FOLD | CW_MAP_BORROW, CW_MAP_MAX_LIMIT, n);
}

static void smap_put(struct cw_map *m, const char *s, size_t n, long idx)
{
	size_t at = 0;
	int rc = cw_map_put(m, s, n, &at);

	CW_ASSERT(rc != CW_ETOOBIG);
	if (rc == CW_OK)
		m->items[at].val = idx;
	else if (rc == CW_EEXISTS)
		m->items[at].val = -2;
}

static long smap_get(const struct cw_map *m, const char *s, size_t n)
{
	size_t at;

	return cw_map_find(m, s, n, &at) ? (long)m->items[at].val : -1;
}

/* First line at or after `off`. */
static size_t line_at(const struct cw_diff_side *s, size_t off)
{
	size_t lo = 0, hi = s->nl;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->ls[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Per line, the node whose own text holds the line's first byte, or -1.
 * Own texts are disjoint and in document order, so one sweep does it. */
static long *line_owners(const struct cw_diff_side *s)
{
	long *own = cw_malloc(sizeof(long) * (s->nl + 1));
	size_t k = 0;

	for (size_t l = 0; l < s->nl; l++) {
		size_t at = s->ls[l];
		while (k < s->n && s->nodes[k].own_end <= at)
			k++;
		/* skip nodes with an empty own text starting here */
		own[l] = k < s->n && s->nodes[k].start <= at &&
					 at < s->nodes[k].own_end
				 ? (long)k
				 : -1;
	}
	return own;
}

/*
 * Pass 0: provisions the line diff of the whole texts keeps in place.
 * For each old provision, the new provision that receives most of its
 * lines as equal lines is its partner when those lines are the majority
 * of both. This is the strongest evidence there is: it settles repeated
 * texts (a document pasted twice, boilerplate paragraphs) and provisions
 * the segmenter cut differently, the way a line diff does.
 */
static void pass_lines(struct cw_diff_side *a, struct cw_diff_side *b)
{
	long *own_b;
	size_t *cnt, *nlines_b;
	long *touched;

	if (!a->lmap)
		return;
	own_b = line_owners(b);
	cnt = cw_calloc(b->n + 1, sizeof(size_t));
	nlines_b = cw_calloc(b->n + 1, sizeof(size_t));
	touched = cw_malloc(sizeof(long) * (b->nl + 1));
	for (size_t l = 0; l < b->nl; l++)
		if (own_b[l] >= 0)
			nlines_b[own_b[l]]++;
	for (size_t i = 0; i < a->n; i++) {
		struct cw_diff_node *x = &a->nodes[i];
		size_t nx = 0, nt = 0, best = 0;
		long bj = -1;
		for (size_t l = line_at(a, x->start);
		     l < a->nl && a->ls[l] < x->own_end; l++) {
			long m, y;
			nx++;
			if ((m = a->lmap[l]) < 0 || (y = own_b[m]) < 0)
				continue;
			if (cnt[y]++ == 0)
				touched[nt++] = y;
		}
		for (size_t t = 0; t < nt; t++) {
			long y = touched[t];
			if (cnt[y] > best) {
				best = cnt[y];
				bj = y;
			}
		}
		for (size_t t = 0; t < nt; t++)
			cnt[touched[t]] = 0;
		if (bj >= 0 && b->nodes[bj].pair < 0 && 2 * best > nx &&
		    2 * best > nlines_b[bj])
			pair(a, (long)i, b, bj);
	}
	free(own_b);
	free(cnt);
	free(nlines_b);
	free(touched);
}

/* Pass 1: same key and title. Keys are unique within one side. */
static void pass_key_title(struct cw_diff_side *a, struct cw_diff_side *b)
{
	struct cw_map m;

	smap_init(&m, b->n);
	for (size_t j = 0; j < b->n; j++)
		smap_put(&m, b->nodes[j].key, strlen(b->nodes[j].key), (long)j);
	for (size_t i = 0; i < a->n; i++) {
		long j = smap_get(&m, a->nodes[i].key, strlen(a->nodes[i].key));
		if (j >= 0 && a->nodes[i].pair < 0 && b->nodes[j].pair < 0 &&
		    titles_equal(a->nodes[i].title, b->nodes[j].title))
			pair(a, (long)i, b, j);
	}
	cw_map_release(&m);
}

/*
 * Pass 2: equal hashes (normalised own text, or body), in document order
 * among equal ones: the k-th old with hash h pairs the k-th new one.
 */
struct hent {
	uint64_t h; /* a hash, or a shingle in the index below */
	long idx;   /* a node of one side */
};

/* By hash, then by node: ties keep document order. */
static int hent_cmp(const void *x, const void *y)
{
	const struct hent *p = x, *q = y;

	if (p->h != q->h)
		return p->h < q->h ? -1 : 1;
	return p->idx < q->idx ? -1 : p->idx > q->idx;
}

static void pass_hash(struct cw_diff_side *a, struct cw_diff_side *b, bool body)
{
	struct hent *ha = cw_malloc(sizeof(*ha) * (a->n + 1));
	struct hent *hb = cw_malloc(sizeof(*hb) * (b->n + 1));
	size_t na = 0, nb = 0, i = 0, j = 0;

	for (size_t k = 0; k < a->n; k++)
		if (a->nodes[k].pair < 0 && (!body || a->nodes[k].body_hash))
			ha[na++] = (struct hent){ body ? a->nodes[k].body_hash
						       : a->nodes[k].norm_hash,
						  (long)k };
	for (size_t k = 0; k < b->n; k++)
		if (b->nodes[k].pair < 0 && (!body || b->nodes[k].body_hash))
			hb[nb++] = (struct hent){ body ? b->nodes[k].body_hash
						       : b->nodes[k].norm_hash,
						  (long)k };
	qsort(ha, na, sizeof(*ha), hent_cmp);
	qsort(hb, nb, sizeof(*hb), hent_cmp);
	while (i < na && j < nb) {
		if (ha[i].h < hb[j].h) {
			i++;
		} else if (ha[i].h > hb[j].h) {
			j++;
		} else {
			pair(a, ha[i].idx, b, hb[j].idx);
			i++;
			j++;
		}
	}
	free(ha);
	free(hb);
}

/* Pass 3: a title unique among the unpaired of both sides. */
static void pass_title(struct cw_diff_side *a, struct cw_diff_side *b)
{
	struct cw_map ma, mb;

	smap_init(&ma, a->n);
	smap_init(&mb, b->n);
	for (size_t i = 0; i < a->n; i++)
		if (a->nodes[i].pair < 0 && a->nodes[i].title[0])
			smap_put(&ma, a->nodes[i].title,
				 strlen(a->nodes[i].title), (long)i);
	for (size_t j = 0; j < b->n; j++)
		if (b->nodes[j].pair < 0 && b->nodes[j].title[0])
			smap_put(&mb, b->nodes[j].title,
				 strlen(b->nodes[j].title), (long)j);
	for (size_t i = 0; i < a->n; i++) {
		const char *t = a->nodes[i].title;
		long j;
		if (a->nodes[i].pair >= 0 || !t[0])
			continue;
		if (smap_get(&ma, t, strlen(t)) != (long)i)
			continue;
		j = smap_get(&mb, t, strlen(t));
		if (j < 0 || b->nodes[j].pair >= 0)
			continue;
		if (sim(&a->nodes[i], &b->nodes[j]) >= SIM_TITLE ||
		    (a->nodes[i].n_shingles < 5 && b->nodes[j].n_shingles < 5))
			pair(a, (long)i, b, j);
	}
	cw_map_release(&ma);
	cw_map_release(&mb);
}

/* Letters of a word compared: "misinform" and "misinformation" */
#define STEM 6
/* Most words of a title compared */
#define TITLE_WORDS 24

/* The stems of the words of 4+ letters of a title, sorted; how many */
static size_t title_stems(const char *t, char (*out)[STEM + 1])
{
	size_t n = 0;

	while (*t && n < TITLE_WORDS) {
		size_t k = 0;
		while (*t && !isalpha((unsigned char)*t))
			t++;
		while (isalpha((unsigned char)t[k]))
			k++;
		if (k >= 4) {
			size_t m = k < STEM ? k : STEM;
			for (size_t i = 0; i < m; i++)
				out[n][i] = (char)tolower((unsigned char)t[i]);
			out[n++][m] = 0;
		}
		t += k;
	}
	qsort(out, n, sizeof(*out),
	      (int (*)(const void *, const void *))strcmp);
	return n;
}

/*
 * Titles that speak of the same thing: at least two stems in common, and
 * at least TITLE_CLOSE of the shorter's ("Perform or facilitate
 * dangerous, illegal or malicious activities" and "Do not engage in
 * dangerous or illegal activities, or otherwise violate applicable law").
 */
#define TITLE_CLOSE 0.3
static bool titles_close(const char *x, const char *y)
{
	char a[TITLE_WORDS][STEM + 1], b[TITLE_WORDS][STEM + 1];
	size_t na = title_stems(x, a), nb = title_stems(y, b);
	size_t i = 0, j = 0, common = 0;

	while (i < na && j < nb) {
		int c = strcmp(a[i], b[j]);
		if (c == 0) {
			common++;
			/* a stem twice in one title counts once */
			while (i + 1 < na && !strcmp(a[i], a[i + 1]))
				i++;
			while (j + 1 < nb && !strcmp(b[j], b[j + 1]))
				j++;
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	return common >= 2 &&
	       (double)common >= TITLE_CLOSE * (double)(na < nb ? na : nb);
}

/* Pass 4: same key, similar content (a retitled provision), or a
 * rewritten one whose title still says the same thing. */
static void pass_key(struct cw_diff_side *a, struct cw_diff_side *b)
{
	struct cw_map m;

	smap_init(&m, b->n);
	for (size_t j = 0; j < b->n; j++)
		if (b->nodes[j].pair < 0)
			smap_put(&m, b->nodes[j].key,
				 key_base_len(b->nodes[j].key), (long)j);
	for (size_t i = 0; i < a->n; i++) {
		long j;
		if (a->nodes[i].pair >= 0)
			continue;
		j = smap_get(&m, a->nodes[i].key,
			     key_base_len(a->nodes[i].key));
		if (j >= 0 && b->nodes[j].pair < 0 &&
		    (sim(&a->nodes[i], &b->nodes[j]) >= SIM_KEY ||
		     titles_close(a->nodes[i].title, b->nodes[j].title)))
			pair(a, (long)i, b, j);
	}
	cw_map_release(&m);
}

/* Most unpaired provisions a side may have for pass_close_titles, which
 * compares every pair */
#define CLOSE_MAX 64
/* Least similarity of a pair found by its titles alone */
#define SIM_CLOSE 0.05

/*
 * Pass 5: what is left, paired by titles that say the same thing and
 * some shared text, the closest first: an item renumbered and rewritten
 * ("2. Generate and distribute content intended to misinform,
 * misrepresent or mislead" and "4. Do not engage in misinformation,
 * misrepresentation, or misleading activities"). Only among few.
 */
static void pass_close_titles(struct cw_diff_side *a, struct cw_diff_side *b)
{
	size_t ua = 0, ub = 0;

	for (size_t i = 0; i < a->n; i++)
		ua += a->nodes[i].pair < 0;
	for (size_t j = 0; j < b->n; j++)
		ub += b->nodes[j].pair < 0;
	if (!ua || !ub || ua > CLOSE_MAX || ub > CLOSE_MAX)
		return;
	for (size_t i = 0; i < a->n; i++) {
		long best = -1;
		double bs = SIM_CLOSE;
		if (a->nodes[i].pair >= 0 || !a->nodes[i].title[0])
			continue;
		for (size_t j = 0; j < b->n; j++) {
			double v;
			if (b->nodes[j].pair >= 0 || !b->nodes[j].title[0] ||
			    !titles_close(a->nodes[i].title, b->nodes[j].title))
				continue;
			v = sim(&a->nodes[i], &b->nodes[j]);
			if (v >= bs) {
				bs = v;
				best = (long)j;
			}
		}
		if (best >= 0)
			pair(a, (long)i, b, best);
	}
}

/* Inverted index of shingles -> nodes of one side, sorted by hent_cmp. */
struct index {
	struct hent *p;
	size_t n;
};

static void index_build(struct index *ix, const struct cw_diff_side *s,
			bool unpaired_only)
{
	size_t cap = 0;

	ix->p = NULL;
	ix->n = 0;
	for (size_t j = 0; j < s->n; j++) {
		if (unpaired_only && s->nodes[j].pair >= 0)
			continue;
		for (size_t k = 0; k < s->nodes[j].n_shingles; k++) {
			CW_GROW(ix->p, cap, ix->n + 1);
			ix->p[ix->n++] = (struct hent){ s->nodes[j].shingles[k],
							(long)j };
		}
	}
	if (ix->n)
		qsort(ix->p, ix->n, sizeof(*ix->p), hent_cmp);
}

/* First posting with shingle sh, and how many. */
static size_t index_find(const struct index *ix, uint64_t sh, size_t *count)
{
	size_t lo = 0, hi = ix->n, s;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->p[mid].h < sh)
			lo = mid + 1;
		else
			hi = mid;
	}
	s = lo;
	while (hi < ix->n && ix->p[hi].h == sh)
		hi++;
	*count = hi - s;
	return s;
}

/* Count shingles shared by node x with each node of the index; calls
 * back for every node sharing at least one. `shared` is a zeroed array
 * of the other side's size; it is zeroed again on return. */
struct cand {
	double sim;
	long i, j;
};

static int cand_cmp(const void *x, const void *y)
{
	const struct cand *p = x, *q = y;

	if (p->sim != q->sim)
		return p->sim > q->sim ? -1 : 1;
	if (p->i != q->i)
		return p->i < q->i ? -1 : 1;
	return p->j < q->j ? -1 : p->j > q->j;
}

static size_t shared_counts(const struct index *ix,
			    const struct cw_diff_node *x, uint32_t *shared,
			    long *touched)
{
	size_t nt = 0;

	for (size_t k = 0; k < x->n_shingles; k++) {
		size_t cnt, s = index_find(ix, x->shingles[k], &cnt);
		if (cnt > MAX_POSTING)
			continue;
		for (size_t q = s; q < s + cnt; q++) {
			long j = ix->p[q].idx;
			if (shared[j]++ == 0)
				touched[nt++] = j;
		}
	}
	return nt;
}

/* Pass 5: content similarity, greedy best-first. */
static void pass_content(struct cw_diff_side *a, struct cw_diff_side *b)
{
	struct index ix;
	uint32_t *shared = cw_calloc(b->n + 1, sizeof(uint32_t));
	long *touched = cw_malloc(sizeof(long) * (b->n + 1));
	struct cand *c = NULL;
	size_t nc = 0, cap = 0;

	index_build(&ix, b, true);
	for (size_t i = 0; i < a->n; i++) {
		const struct cw_diff_node *x = &a->nodes[i];
		size_t nt;
		if (x->pair >= 0 || x->n_shingles == 0)
			continue;
		nt = shared_counts(&ix, x, shared, touched);
		for (size_t t = 0; t < nt; t++) {
			long j = touched[t];
			const struct cw_diff_node *y = &b->nodes[j];
			/* exact Jaccard: the index skipped boilerplate */
			double s = sim(x, y);
			if (s >= CW_DIFF_SIM_PAIR) {
				CW_GROW(c, cap, nc + 1);
				c[nc++] = (struct cand){ s, (long)i, j };
			}
			shared[j] = 0;
		}
	}
	if (nc)
		qsort(c, nc, sizeof(*c), cand_cmp);
	for (size_t k = 0; k < nc; k++)
		if (a->nodes[c[k].i].pair < 0 && b->nodes[c[k].j].pair < 0)
			pair(a, c[k].i, b, c[k].j);
	free(c);
	free(ix.p);
	free(shared);
	free(touched);
}

/* Coverage of x by the union of parts, via a mark per shingle of x. */
static double coverage(const struct cw_diff_node *x,
		       const struct cw_diff_side *s, const long *parts,
		       size_t np)
{
	size_t hit = 0;

	if (x->n_shingles == 0)
		return 0.0;
	for (size_t k = 0; k < x->n_shingles; k++) {
		bool in = false;
		for (size_t p = 0; p < np && !in; p++) {
			const struct cw_diff_node *y = &s->nodes[parts[p]];
			/* binary search in the sorted shingles of y */
			size_t lo = 0, hi = y->n_shingles;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (y->shingles[mid] < x->shingles[k])
					lo = mid + 1;
				else
					hi = mid;
			}
			in = lo < y->n_shingles &&
			     y->shingles[lo] == x->shingles[k];
		}
		hit += in;
	}
	return (double)hit / (double)x->n_shingles;
}

static int long_cmp(const void *x, const void *y)
{
	long p = *(const long *)x, q = *(const long *)y;

	return p < q ? -1 : p > q;
}

/*
 * Pass 6: one node of side `one` whose text went to several nodes of side
 * `many`: a split (one = old) or a merge (one = new). Its parts are the
 * unpaired nodes of `many` that lie mostly inside it, plus its own pair
 * when that pair too lies inside it but covers only part of it.
 */
static void pass_groups(struct cw_diff_alignment *al, struct cw_diff_side *one,
			struct cw_diff_side *many, bool split)
{
	struct index ix;
	uint32_t *shared = cw_calloc(many->n + 1, sizeof(uint32_t));
	long *touched = cw_malloc(sizeof(long) * (many->n + 1));
	long *parts = cw_malloc(sizeof(long) * (many->n + 1));
	size_t gcap = al->n_groups;

	index_build(&ix, many, true);
	/* with unpaired nodes in `many`, any node of `one` may be a whole
	 * and any pair of it a part: both sides' nodes are read */
	if (ix.n) {
		cw_diff_side_prepare(one, false);
		cw_diff_side_prepare(many, false);
	}
	for (size_t i = 0; i < one->n; i++) {
		struct cw_diff_node *x = &one->nodes[i];
		size_t nt, np = 0;
		double cov;
		if (x->group >= 0 || x->n_shingles < 3)
			continue;
		nt = shared_counts(&ix, x, shared, touched);
		for (size_t t = 0; t < nt; t++) {
			long j = touched[t];
			struct cw_diff_node *y = &many->nodes[j];
			if (y->pair < 0 && y->group < 0 && y->n_shingles >= 2 &&
			    (double)shared[j] / (double)y->n_shingles >=
				    PART_INSIDE)
				parts[np++] = j;
			shared[j] = 0;
		}
		if (np == 0)
			continue;
		if (x->pair >= 0) {
			struct cw_diff_node *y = &many->nodes[x->pair];
			double alone;
			if (y->group >= 0 ||
			    cw_diff_containment(y->shingles, y->n_shingles,
						x->shingles,
						x->n_shingles) < PART_INSIDE)
				continue;
			alone = coverage(x, many, &x->pair, 1);
			parts[np++] = x->pair;
			cov = coverage(x, many, parts, np);
			/* the extra parts must explain a real share of x */
			if (alone > 0.8 || cov < alone + 0.15 ||
			    cov < PARTS_COVER)
				continue;
		} else {
			if (np < 2)
				continue;
			cov = coverage(x, many, parts, np);
			if (cov < PARTS_COVER)
				continue;
		}
		qsort(parts, np, sizeof(long), long_cmp);
		if (x->pair >= 0) {
			many->nodes[x->pair].pair = -1;
			x->pair = -1;
		}
		CW_GROW(al->groups, gcap, al->n_groups + 1);
		al->groups[al->n_groups] = (struct cw_diff_group){
			split, (long)i, cw_malloc(sizeof(long) * np), np
		};
		memcpy(al->groups[al->n_groups].many, parts, sizeof(long) * np);
		x->group = (long)al->n_groups;
		for (size_t p = 0; p < np; p++)
			many->nodes[parts[p]].group = (long)al->n_groups;
		al->n_groups++;
	}
	free(ix.p);
	free(shared);
	free(touched);
	free(parts);
}

/*
 * Moved pairs: those outside the heaviest chain of pairs increasing on
 * both sides, each pair weighing the lines of its own text. A line diff
 * (git's) keeps the largest number of equal lines in place and shows the
 * rest as deleted and inserted; weighing by lines makes us keep in place
 * what it keeps, so the block we call moved is the one it shows as
 * changed. Weighted LIS with a Fenwick tree of prefix maxima, O(n log n).
 */
static size_t lines_of(const struct cw_diff_side *s,
		       const struct cw_diff_node *x)
{
	size_t n = 1;

	if (s->lmap) {
		/* lines the line diff keeps in place: ties are then broken
		 * the way the line diff broke them */
		n = 1;
		for (size_t l = line_at(s, x->start);
		     l < s->nl && s->ls[l] < x->own_end; l++)
			n += 2 * (s->lchanged[l] == 0);
		return n;
	}
	for (const char *p = s->text + x->start, *e = s->text + x->own_end;
	     (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
		n++;
	return n;
}

static void mark_moved(struct cw_diff_alignment *al,
		       const struct cw_diff_side *a,
		       const struct cw_diff_side *b)
{
	size_t nb = b->n;
	/* Fenwick tree over new positions 1..nb: best chain weight ending at
	 * or before a position, and the old node ending that chain */
	uint64_t *fw = cw_calloc(nb + 1, sizeof(uint64_t));
	long *fi = cw_malloc(sizeof(long) * (nb + 1));
	long *prev = cw_malloc(sizeof(long) * (a->n + 1));
	uint64_t best = 0;
	long best_i = -1;

	for (size_t k = 0; k <= nb; k++)
		fi[k] = -1;
	al->moved = cw_calloc(a->n + 1, sizeof(bool));
	for (size_t i = 0; i < a->n; i++) {
		long j = a->nodes[i].pair;
		uint64_t w, q = 0;
		long qi = -1;
		if (j < 0)
			continue;
		al->moved[i] = true;
		/* best chain over new positions < j+1 */
		for (size_t k = (size_t)j; k > 0; k -= k & (~k + 1))
			if (fw[k] > q) {
				q = fw[k];
				qi = fi[k];
			}
		w = q + lines_of(a, &a->nodes[i]);
		prev[i] = qi;
		for (size_t k = (size_t)j + 1; k <= nb; k += k & (~k + 1))
			if (w > fw[k]) {
				fw[k] = w;
				fi[k] = (long)i;
			}
		if (w > best) {
			best = w;
			best_i = (long)i;
		}
	}
	for (long i = best_i; i >= 0; i = prev[i])
		al->moved[i] = false;
	free(fw);
	free(fi);
	free(prev);
}

void cw_diff_align(struct cw_diff_alignment *out, struct cw_diff_side *a,
		   struct cw_diff_side *b)
{
	memset(out, 0, sizeof(*out));
	pass_lines(a, b);
	pass_key_title(a, b);
	/* the passes below read the hashes and shingles of unpaired nodes */
	cw_diff_side_prepare(a, true);
	cw_diff_side_prepare(b, true);
	pass_hash(a, b, false);
	pass_hash(a, b, true);
	pass_title(a, b);
	pass_key(a, b);
	pass_content(a, b);
	pass_close_titles(a, b);
	pass_groups(out, a, b, true);
	pass_groups(out, b, a, false);
	mark_moved(out, a, b);
}

void cw_diff_alignment_release(struct cw_diff_alignment *al)
{
	for (size_t i = 0; i < al->n_groups; i++)
		free(al->groups[i].many);
	free(al->groups);
	free(al->moved);
	memset(al, 0, sizeof(*al));
}
