/*
 * segment.c: from heading candidates (heading.c) to the provision tree.
 *
 * Levels come from a stack of open headings, one entry per level, in the
 * manner of an outline: a candidate whose signature (Markdown level,
 * numbering style such as "1." / "a." / "(i)", bold line, lead-in) is
 * already open closes everything below that entry and takes its place; a
 * new signature opens a level below the current one. Three rules keep
 * this honest on real documents:
 *
 * - numbering must be in sequence: "3." continues an open "2." (gaps of up
 *   to CONT_GAP tolerated, for items that were not headings), a new level
 *   starts only at 1/a/i (or 2/b/ii when the first was lost), anything
 *   else (a year, an amount, a stray "5.") stays body text. When the same
 *   style is open at two levels (a list restarting inside a section), the
 *   deepest one it continues wins, preferring one of the same look;
 * - classes nest: Markdown headings only under Markdown headings;
 *   "Section n" above numbered and bold lines; lead-ins ("**Minimum
 *   age**. You must...") never contain a heading;
 * - a document title (a first, unnumbered heading whose kind never comes
 *   back) is part of the preamble, not a level above every section.
 *
 * Everything is one pass over the text plus linear passes over the
 * candidates; hashing reads each byte once per level it belongs to.
 */
#include "segment_int.h"

#define STACK_MAX 16
#define CANDS_PER_PROVISION 8
#define CONT_GAP 3	/* "4." may follow "1." when 2 and 3 were body */
#define TITLE_ZONE 1024 /* a document title sits in the first bytes */
#define LAST_MAX 64	/* numbering styles remembered (there are ~45) */
#define ATX_H1 8	/* signature of an unnumbered "# " heading */

struct sentry {
	int sig;
	int sclass;
	int deco;
	struct numlabel num; /* the interpretation in use */
	size_t acc;	     /* index into the accepted headings */
};

static bool continues(const struct numlabel *old, const struct numlabel *nw)
{
	if (nw->style == NS_SECTION || nw->style == NS_ARTICLE)
		return true;
	if (nw->style == NS_DECK) {
		int d = 0;
		while (d < nw->ncomp && old->comp[d] == nw->comp[d])
			d++;
		if (d == nw->ncomp)
			return false;
		if (nw->comp[d] <= old->comp[d] ||
		    nw->comp[d] > old->comp[d] + CONT_GAP)
			return false;
		for (int j = d + 1; j < nw->ncomp; j++)
			if (nw->comp[j] > 1)
				return false;
		return true;
	}
	return nw->comp[0] > old->comp[0] &&
	       nw->comp[0] <= old->comp[0] + CONT_GAP;
}

static bool is_start(const struct numlabel *nl)
{
	switch (nl->style) {
	case NS_SECTION:
	case NS_ARTICLE:
		return true;
	case NS_DECK:
		return nl->comp[nl->ncomp - 1] <= 2;
	default:
		return nl->comp[0] >= 1 && nl->comp[0] <= 2;
	}
}

/* The readings of a label: "i." is the ninth letter or roman one */
static int interps(const struct numlabel *nl, struct numlabel out[2])
{
	out[0] = *nl;
	out[0].alt_style = 0;
	if (!nl->alt_style)
		return 1;
	out[1] = out[0];
	out[1].style = nl->alt_style;
	out[1].comp[0] = nl->alt_value;
	return 2;
}

/* Same raw title text (blanks and emphasis around it ignored) */
static bool same_title(const char *t, const struct cand *a,
		       const struct cand *b)
{
	size_t as = a->tstart, ae = a->tend, bs = b->tstart, be = b->tend;

	while (as < ae && strchr(" \t*_", t[as]))
		as++;
	while (ae > as && strchr(" \t*_", t[ae - 1]))
		ae--;
	while (bs < be && strchr(" \t*_", t[bs]))
		bs++;
	while (be > bs && strchr(" \t*_", t[be - 1]))
		be--;
	return ae - as == be - bs && memcmp(t + as, t + bs, ae - as) == 0;
}

/*
 * The document title is not a level above every section: mark (level -1)
 * every candidate of signature `sig` when they are all unnumbered and all
 * carry the same title (pages often render the title twice). Returns
 * whether it did.
 */
static bool mark_title(struct candv *cv, const char *t, int sig, int sclass)
{
	const struct cand *first = NULL;

	for (size_t i = 0; i < cv->n; i++) {
		const struct cand *c = &cv->v[i];
		if (c->sig != sig || c->sclass != sclass)
			continue;
		if (c->num.style != NS_NONE)
			return false;
		if (!first)
			first = c;
		else if (!same_title(t, first, c))
			return false;
	}
	if (!first)
		return false;
	for (size_t i = 0; i < cv->n; i++)
		if (cv->v[i].sig == sig && cv->v[i].sclass == sclass)
			cv->v[i].level = -1;
	return true;
}

/*
 * "Your Privacy\n---\n\n1\. **Your Privacy.** Your privacy is ...": an
 * unnumbered heading directly followed by a numbered one with the same
 * title is the same provision twice; the numbered one, which carries the
 * document's number, stays.
 */
static void drop_echoes(struct candv *cv, const char *t)
{
	for (size_t i = 0; i + 1 < cv->n; i++) {
		struct cand *a = &cv->v[i];
		const struct cand *b = &cv->v[i + 1];
		bool blank = true;
		if (a->level < 0 || a->num.style != NS_NONE || !a->titleonly ||
		    b->num.style == NS_NONE || b->start < a->body)
			continue;
		for (size_t k = a->body; k < b->start && blank; k++)
			blank = strchr(" \t\r\n", t[k]) != NULL;
		if (!blank)
			continue;
		char *ta = cw_seg_title(t, a->tstart, a->tend);
		char *tb = cw_seg_title(t, b->tstart, b->tend);
		if (strlen(ta) == strlen(tb) &&
		    cw_strncasecmp_ascii(ta, tb, strlen(ta)) == 0)
			a->level = -1;
		free(ta);
		free(tb);
	}
}

/* The last accepted label of each numbering style, open or closed */
static const struct numlabel *last_of(const struct numlabel *last, size_t n,
				      int sig)
{
	for (size_t i = 0; i < n; i++)
		if (cw_seg_sig_of(&last[i]) == sig)
			return &last[i];
	return NULL;
}

static void remember(struct numlabel *last, size_t *n,
		     const struct numlabel *nl)
{
	int sig = cw_seg_sig_of(nl);

	for (size_t i = 0; i < *n; i++)
		if (cw_seg_sig_of(&last[i]) == sig) {
			last[i] = *nl;
			return;
		}
	if (*n < LAST_MAX)
		last[(*n)++] = *nl;
}

/* Items left in the body, by numbering style: where the last one was */
struct rejects {
	int sig[LAST_MAX];
	size_t at[LAST_MAX];
	size_t n;
};

static void reject_item(struct rejects *r, int sig, size_t at)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->sig[i] == sig) {
			r->at[i] = at;
			return;
		}
	if (r->n < LAST_MAX) {
		r->sig[r->n] = sig;
		r->at[r->n++] = at;
	}
}

/* An item of that style was left in the body after offset `at`: a list of
 * its own runs there, and its "2." does not continue a heading's "1." */
static bool rejected_since(const struct rejects *r, int sig, size_t at)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->sig[i] == sig)
			return r->at[i] > at;
	return false;
}

/*
 * Assign levels; move the accepted candidates to the front of cv (in
 * order), with level and parent (an index among the accepted) set. An item
 * (cand.item) only continues a numbering already open unless
 * `items_start`, and then starts one only when it opens a list.
 */
static void assign_levels(struct candv *cv, const char *text, int max_depth,
			  bool items_start)
{
	struct rejects rj = { .n = 0 };
	struct sentry st[STACK_MAX];
	struct numlabel last[LAST_MAX];
	size_t nlast = 0;
	int depth = 0;
	size_t nacc = 0;

	/* the document title: the first heading if unnumbered and its kind
	 * only ever carries that title; or the H1, when every H1 is that
	 * title, wherever it is (pages put navigation before it, and
	 * whether they do must not re-key every section below it) */
	if (cv->n > 1 && cv->v[0].num.style == NS_NONE &&
	    cv->v[0].start < TITLE_ZONE && cv->v[0].sclass <= SC_HEADING)
		mark_title(cv, text, cv->v[0].sig, cv->v[0].sclass);
	mark_title(cv, text, ATX_H1, SC_ATX);
	drop_echoes(cv, text);

	for (size_t i = 0; i < cv->n; i++) {
		struct cand c = cv->v[i];
		int k = -1;

		if (c.level < 0)
			continue;

		if (c.sclass == SC_ATX) {
			while (depth > 0 && (st[depth - 1].sclass != SC_ATX ||
					     st[depth - 1].sig >= c.sig))
				depth--;
		} else {
			struct numlabel in[2];
			int ni = c.num.style ? interps(&c.num, in) : 0;
			int best = -1, bestj = 0, same = -1, samej = 0;
			for (int d = depth - 1; d >= 0; d--) {
				/* only a numbered line continuing the
				 * numbering of a Markdown heading ("**2.4
				 * Retention**" after "### 2.3 Sharing") may
				 * take its place */
				bool atx = st[d].sclass == SC_ATX;
				if (atx && !ni)
					break;
				if (!ni) {
					if (st[d].sig == c.sig) {
						best = d;
						break;
					}
					continue;
				}
				for (int j = 0; j < ni; j++) {
					int es =
						atx ? (st[d].num.style
							       ? cw_seg_sig_of(
									 &st[d].num)
							       : -1)
						    : st[d].sig;
					if (cw_seg_sig_of(&in[j]) != es ||
					    !continues(&st[d].num, &in[j]))
						continue;
					if (best < 0) {
						best = d;
						bestj = j;
					}
					if (same < 0 && st[d].deco == c.deco) {
						same = d;
						samej = j;
					}
				}
			}
			if (same >= 0) {
				best = same;
				bestj = samej;
			}
			if (best >= 0 && c.item && ni &&
			    rejected_since(&rj, cw_seg_sig_of(&in[bestj]),
					   cv->v[st[best].acc].start))
				best = -1;
			if (best >= 0) {
				k = best;
				if (ni) {
					c.num = in[bestj];
					c.sig = cw_seg_sig_of(&c.num);
				}
			} else if (c.item && (!items_start || !c.lists)) {
				/* a list of sentences: body */
				reject_item(&rj, c.sig, c.start);
				continue;
			} else if (ni) {
				int j;
				for (j = 0; j < ni && !is_start(&in[j]); j++)
					;
				/* "5." after a part heading closed "4.": it
				 * continues the numbering seen last */
				for (int jj = 0; j == ni && jj < ni; jj++) {
					const struct numlabel *l =
						last_of(last, nlast,
							cw_seg_sig_of(&in[jj]));
					if (l && continues(l, &in[jj]))
						j = jj;
				}
				if (j == ni) {
					/* out of sequence: body */
					if (c.item)
						reject_item(&rj, c.sig,
							    c.start);
					continue;
				}
				c.num = in[j];
				c.sig = cw_seg_sig_of(&in[j]);
			}
			if (k < 0)
				while (depth > 0 &&
				       st[depth - 1].sclass > c.sclass)
					depth--;
		}
		if (k >= 0)
			depth = k;
		if (depth >= max_depth)
			continue; /* too deep: stays in its parent's body */
		c.level = depth + 1;
		c.parent = depth ? (long)st[depth - 1].acc : -1;
		if (c.num.style != NS_NONE)
			remember(last, &nlast, &c.num);
		st[depth] =
			(struct sentry){ c.sig, c.sclass, c.deco, c.num, nacc };
		depth++;
		cv->v[nacc++] = c;
	}
	cv->n = nacc;
}

/*
 * Levels, with the items (numbered sentences) taken as headings where they
 * continue a numbering already open ("4. Any content ... must satisfy all
 * of the following" after "3. The Privacy Policy describes ..."), and as
 * the start of one only in a text that has no heading of its own and when
 * they open nested lists ("1. Do not engage in dangerous or illegal
 * activities ... This includes:"): a policy that is nothing but such a
 * list is split at its items, while a list of prohibited uses under a
 * heading stays in that provision.
 */
static void choose_levels(struct candv *cv, const char *text, int max_depth)
{
	struct candv all = { NULL, 0, 0 };
	size_t items = 0;

	for (size_t i = 0; i < cv->n; i++)
		items += cv->v[i].item;
	if (items < 2) {
		assign_levels(cv, text, max_depth, false);
		return;
	}
	all.v = cw_malloc(cv->n * sizeof(*all.v));
	all.n = all.cap = cv->n;
	memcpy(all.v, cv->v, cv->n * sizeof(*all.v));
	assign_levels(cv, text, max_depth, false);
	if (cv->n == 0) {
		memcpy(cv->v, all.v, all.n * sizeof(*all.v));
		cv->n = all.n;
		assign_levels(cv, text, max_depth, true);
		/* one item alone does not make a list of provisions */
		size_t taken = 0;
		for (size_t i = 0; i < cv->n; i++)
			taken += cv->v[i].item;
		if (taken < 2)
			cv->n = 0;
	}
	free(all.v);
}

/*
 * Keep at most `cap` headings: drop the deepest levels first; if the top
 * level alone is too many, keep its first `cap`.
 */
static void apply_cap(struct candv *cv, size_t cap)
{
	size_t cnt[STACK_MAX + 1] = { 0 };
	size_t sum = 0;
	int keep = 0;
	long *map;
	size_t w = 0;

	if (cv->n <= cap)
		return;
	for (size_t i = 0; i < cv->n; i++)
		cnt[cv->v[i].level]++;
	for (int l = 1; l <= STACK_MAX; l++) {
		if (sum + cnt[l] > cap)
			break;
		sum += cnt[l];
		keep = l;
	}
	map = cw_malloc(cv->n * sizeof(*map));
	for (size_t i = 0; i < cv->n; i++) {
		struct cand c = cv->v[i];
		bool ok = keep ? c.level <= keep : (c.level == 1 && w < cap);
		map[i] = -1;
		if (!ok)
			continue;
		map[i] = (long)w;
		if (c.parent >= 0)
			c.parent = map[c.parent];
		cv->v[w++] = c;
	}
	cv->n = w;
	free(map);
}

struct bare_ref {
	const char *key;
	size_t i;
};

static int cmp_bare(const void *a, const void *b)
{
	const struct bare_ref *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/*
 * Keys of numbered headings that need no parent prefix: "5", "5.a",
 * "13.b". A number chain (through numbered ancestors only) is the
 * document's own name for a provision, so it is the key whenever it is
 * unique in the document; a heading that merely wraps the sections ("GitHub
 * Terms of Service", "Host Terms") then does not rename them when it comes
 * or goes. When a chain repeats (numbering restarting in each part), its
 * first occurrence keeps it and the later ones fall back to the parent's
 * key as prefix, as a repeated key takes "~2" after the first: a part
 * added after the others, or a later list that only some versions number,
 * does not rename what came before. Returns, per candidate, the bare key
 * to use, or NULL.
 */
static char **bare_keys(const struct candv *cv)
{
	char **bare = cw_calloc(cv->n + 1, sizeof(*bare));
	struct bare_ref *idx = cw_malloc((cv->n + 1) * sizeof(*idx));
	bool *dup = cw_calloc(cv->n + 1, sizeof(*dup));
	size_t m = 0;

	for (size_t i = 0; i < cv->n; i++) {
		const struct cand *c = &cv->v[i];
		long a = c->parent;
		if (c->num.style == NS_NONE || c->num.style == NS_DECK)
			continue;
		while (a >= 0 && cv->v[a].num.style == NS_NONE)
			a = cv->v[a].parent;
		if (a < 0)
			bare[i] = cw_strdup(c->num.text);
		else if (cv->v[a].num.style == NS_DECK)
			bare[i] = cw_asprintf("%s.%s", cv->v[a].num.text,
					      c->num.text);
		else if (bare[a])
			bare[i] = cw_asprintf("%s.%s", bare[a], c->num.text);
		if (bare[i])
			idx[m++] = (struct bare_ref){ bare[i], i };
	}
	/* this sort is the only non-linear step: n log n over at most
	 * max_provisions keys */
	qsort(idx, m, sizeof(*idx), cmp_bare);
	for (size_t k = 1; k < m; k++)
		if (strcmp(idx[k - 1].key, idx[k].key) == 0)
			dup[idx[k].i] = true;
	/* a chain is usable only if its numbered ancestors' are */
	for (size_t i = 0; i < cv->n; i++) {
		long a = cv->v[i].parent;
		if (!bare[i])
			continue;
		while (a >= 0 && cv->v[a].num.style == NS_NONE)
			a = cv->v[a].parent;
		if (dup[i] ||
		    (a >= 0 && cv->v[a].num.style != NS_DECK && !bare[a])) {
			free(bare[i]);
			bare[i] = NULL;
		}
	}
	free(idx);
	free(dup);
	return bare;
}

static bool all_space(const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(t[i] == ' ' || t[i] == '\n' || t[i] == '\t' ||
		      t[i] == '\r'))
			return false;
	return true;
}

/*
 * The invariants of segment.h, for CW_ASSERT: ranges inside the text and
 * non-empty, top-level provisions tiling [0, len), each child after its
 * parent and inside it. A failure is a bug here, never bad input.
 */
static __attribute__((unused)) bool tiles(const struct cw_segmentation *seg,
					  size_t len)
{
	size_t at = 0;

	for (size_t i = 0; i < seg->n; i++) {
		const struct cw_provision *p = &seg->items[i];
		const struct cw_provision *up;

		if (p->start >= p->end || p->end > len || p->body < p->start ||
		    p->body > p->end)
			return false;
		if (p->parent < 0) {
			if (p->start != at)
				return false;
			at = p->end;
			continue;
		}
		if ((size_t)p->parent >= i)
			return false;
		up = &seg->items[p->parent];
		if (p->start < up->start || p->end > up->end)
			return false;
	}
	return at == len;
}

int cw_segment_text(struct cw_segmentation **out, const char *text, size_t len,
		    const struct cw_segment_opts *opts, struct cw_err *err)
{
	struct cw_segment_opts o = CW_SEGMENT_OPTS_INIT;
	struct candv cv = { NULL, 0, 0 };
	struct cw_segmentation *seg;
	struct keyset ks;
	size_t pre = 0, n;

	*out = NULL;
	if (!text && len > 0)
		return cw_err_set(err, CW_EINVAL,
				  "segment: text is NULL with length %zu", len);
	if (opts)
		o = *opts;
	if (o.max_provisions < 1)
		o.max_provisions = 1;
	if (o.max_depth < 1)
		o.max_depth = 1;
	if (o.max_depth > STACK_MAX)
		o.max_depth = STACK_MAX;

	seg = cw_calloc(1, sizeof(*seg));
	*out = seg;
	if (len == 0)
		return CW_OK;

	/* candidates cost memory; past a few per provision kept they
	 * cannot change the result much: the corpus has 1.03 candidates per
	 * accepted heading, 5 at most in one file, so CANDS_PER_PROVISION
	 * leaves a wide margin */
	cw_seg_candidates(&cv, text, len,
			  o.max_provisions > SIZE_MAX / CANDS_PER_PROVISION
				  ? SIZE_MAX
				  : o.max_provisions * CANDS_PER_PROVISION);
	choose_levels(&cv, text, o.max_depth);
	/* a preamble when there is text before the first heading, or no
	 * heading at all */
	if (cv.n == 0 || (cv.v[0].start > 0 && !all_space(text, cv.v[0].start)))
		pre = 1;
	else if (cv.v[0].start > 0)
		cv.v[0].start = 0; /* leading blank lines join the first */
	apply_cap(&cv, o.max_provisions - pre);

	n = cv.n + pre;
	seg->items = cw_calloc(n, sizeof(*seg->items));
	seg->n = n;
	cw_seg_keyset_init(&ks, n);
	if (pre) {
		struct cw_provision *p = &seg->items[0];
		p->key = cw_seg_keyset_claim(&ks, cw_strdup("preamble"));
		p->title = cw_strdup("");
		p->level = 1;
		p->parent = -1;
		p->start = 0;
		p->end = cv.n ? cv.v[0].start : len;
		p->body = 0;
	}

	/* ranges: a heading ends where the next one at its level or above
	 * starts; `open` holds the headings not yet ended */
	size_t *open = cw_malloc((size_t)(STACK_MAX + 1) * sizeof(*open));
	int nopen = 0;
	for (size_t i = 0; i < cv.n; i++) {
		const struct cand *c = &cv.v[i];
		struct cw_provision *p = &seg->items[i + pre];
		while (nopen > 0 &&
		       seg->items[open[nopen - 1]].level >= c->level) {
			seg->items[open[--nopen]].end = c->start;
		}
		p->level = c->level;
		p->parent = c->parent >= 0 ? c->parent + (long)pre : -1;
		p->start = c->start;
		p->body = c->body;
		open[nopen++] = i + pre;
	}
	while (nopen > 0)
		seg->items[open[--nopen]].end = len;
	free(open);

	char **bare = bare_keys(&cv);
	for (size_t i = 0; i < cv.n; i++) {
		const struct cand *c = &cv.v[i];
		struct cw_provision *p = &seg->items[i + pre];
		const char *pk = p->parent >= 0 ? seg->items[p->parent].key
						: NULL;
		char *key;

		if (p->body > p->end)
			p->body = p->end;
		if (p->body < p->start)
			p->body = p->start;
		p->title = cw_seg_title(text, c->tstart, c->tend);
		if (c->num.style == NS_DECK) {
			key = cw_strdup(c->num.text);
		} else if (c->num.style != NS_NONE && bare[i]) {
			key = bare[i];
			bare[i] = NULL;
		} else if (c->num.style != NS_NONE) {
			key = pk ? cw_asprintf("%s.%s", pk, c->num.text)
				 : cw_strdup(c->num.text);
		} else {
			char *slug = cw_seg_slug(p->title);
			if (!*slug) {
				free(slug);
				slug = cw_asprintf("s%zu", i + 1);
			}
			key = pk ? cw_asprintf("%s.%s", pk, slug) : slug;
			if (pk)
				free(slug);
		}
		p->key = cw_seg_keyset_claim(&ks, key);
	}
	for (size_t i = 0; i < cv.n; i++)
		free(bare[i]);
	free(bare);
	for (size_t i = 0; i < n && !o.no_hashes; i++) {
		struct cw_provision *p = &seg->items[i];
		cw_sha256_hex(text + p->start, p->end - p->start, p->hash);
	}
	cw_seg_keyset_release(&ks);
	free(cv.v);
	CW_ASSERT(tiles(seg, len));
	return CW_OK;
}

void cw_segment_free(struct cw_segmentation *seg)
{
	if (!seg)
		return;
	for (size_t i = 0; i < seg->n; i++) {
		free(seg->items[i].key);
		free(seg->items[i].title);
	}
	free(seg->items);
	free(seg);
}

long cw_segment_find(const struct cw_segmentation *seg, const char *key)
{
	if (!seg || !key)
		return -1;
	for (size_t i = 0; i < seg->n; i++)
		if (strcmp(seg->items[i].key, key) == 0)
			return (long)i;
	return -1;
}

json_t *cw_segment_json(const struct cw_segmentation *seg)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < seg->n; i++) {
		const struct cw_provision *p = &seg->items[i];
		json_array_append_new(
			arr,
			json_pack("{sososiso sIsI}", "key",
				  cw_json_text(p->key), "title",
				  cw_json_text(p->title), "level", p->level,
				  "parent",
				  p->parent >= 0
					  ? cw_json_text(
						    seg->items[p->parent].key)
					  : json_null(),
				  "start", (json_int_t)p->start, "end",
				  (json_int_t)p->end));
	}
	return arr;
}
