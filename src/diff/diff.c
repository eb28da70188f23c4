/*
 * cw_diff_compute: prepare the nodes of both sides, align them, and turn
 * the alignment into the change list (kinds, redlines, facts, noise,
 * materiality, summaries). See diff.h for the contract.
 */
#include <ctype.h>

#include "diff_int.h"

static const char *const kind_names[] = {
	"unchanged", "modified",   "added", "removed",
	"moved",     "renumbered", "split", "merged",
};
static const char *const mat_names[] = {
	"none",
	"cosmetic",
	"editorial",
	"substantive",
};

const char *cw_diff_kind_name(enum cw_diff_kind kind)
{
	return (unsigned)kind <= CW_DIFF_MERGED ? kind_names[kind] : "?";
}

const char *cw_diff_materiality_name(enum cw_diff_materiality m)
{
	return (unsigned)m <= CW_DIFF_SUBSTANTIVE ? mat_names[m] : "?";
}

int cw_diff_kind_parse(const char *name)
{
	for (int i = 0; i <= CW_DIFF_MERGED; i++)
		if (strcmp(name, kind_names[i]) == 0)
			return i;
	return -1;
}

int cw_diff_materiality_parse(const char *name)
{
	for (int i = 0; i <= CW_DIFF_SUBSTANTIVE; i++)
		if (strcmp(name, mat_names[i]) == 0)
			return i;
	return -1;
}

/* ---- nodes ---- */

static size_t own_end(const struct cw_segmentation *seg, size_t i)
{
	if (i + 1 < seg->n && seg->items[i + 1].parent == (long)i)
		return seg->items[i + 1].start;
	return seg->items[i].end;
}

static int check_seg(const struct cw_diff_version *v, const char *side,
		     const struct cw_diff_opts *o, struct cw_err *err)
{
	const struct cw_segmentation *seg = v->seg;

	if (!seg || (!v->text && v->len))
		return cw_err_set(err, CW_EINVAL,
				  "'%s': no text or segmentation", side);
	if (seg->n > o->max_provisions)
		return cw_err_set(err, CW_ETOOBIG,
				  "'%s': %zu provisions, more than the limit "
				  "%zu",
				  side, seg->n, o->max_provisions);
	for (size_t i = 0; i < seg->n; i++) {
		const struct cw_provision *p = &seg->items[i];
		if (p->start > p->end || p->end > v->len ||
		    p->body < p->start || p->body > p->end ||
		    p->parent >= (long)i || !p->key || !p->title)
			return cw_err_set(err, CW_EINVAL,
					  "'%s': provision %zu ('%s') does not "
					  "fit the text",
					  side, i, p->key ? p->key : "?");
	}
	return CW_OK;
}

static void build_side(struct cw_diff_side *s, const struct cw_diff_version *v,
		       const struct cw_diff_rules *rules)
{
	s->text = v->text;
	s->len = v->len;
	s->n = v->seg->n;
	s->rules = rules;
	cw_buf_init(&s->nb, 0);
	s->nodes = cw_calloc(s->n + 1, sizeof(*s->nodes));
	for (size_t i = 0; i < s->n; i++) {
		const struct cw_provision *p = &v->seg->items[i];
		struct cw_diff_node *d = &s->nodes[i];
		size_t oe = own_end(v->seg, i),
		       body = p->body < oe ? p->body : oe;

		d->idx = (long)i;
		d->start = p->start;
		d->own_end = oe;
		d->body = body;
		d->key = p->key;
		d->title = p->title;
		d->pair = -1;
		d->group = -1;
		d->exact_hash = cw_diff_hash(v->text + p->start, oe - p->start);
	}
}

/* Line starts of a text, to find the lines of a node. */
static size_t *line_starts(const char *t, size_t len, size_t n)
{
	size_t *v = cw_malloc(sizeof(size_t) * (n + 1));
	size_t k = 0;

	v[k++] = 0;
	for (size_t i = 0; i < len && k < n; i++)
		if (t[i] == '\n')
			v[k++] = i + 1;
	return v;
}

/* The line diff of the whole texts, and the map of equal lines. */
static void line_diff(struct cw_diff_side *a, struct cw_diff_side *b,
		      const struct cw_diff_opts *o)
{
	size_t i = 0, j = 0;

	cw_diff_lines(&a->lchanged, &a->nl, &b->lchanged, &b->nl, a->text,
		      a->len, b->text, b->len, o->max_cost);
	a->ls = line_starts(a->text, a->len, a->nl);
	b->ls = line_starts(b->text, b->len, b->nl);
	a->lmap = cw_malloc(sizeof(long) * (a->nl + 1));
	b->lmap = cw_malloc(sizeof(long) * (b->nl + 1));
	for (size_t k = 0; k < a->nl; k++)
		a->lmap[k] = -1;
	for (size_t k = 0; k < b->nl; k++)
		b->lmap[k] = -1;
	while (i < a->nl && j < b->nl) {
		if (a->lchanged[i]) {
			i++;
		} else if (b->lchanged[j]) {
			j++;
		} else {
			a->lmap[i] = (long)j;
			b->lmap[j] = (long)i;
			i++;
			j++;
		}
	}
}

static void side_release(struct cw_diff_side *s)
{
	free(s->ls);
	free(s->lchanged);
	free(s->lmap);
	for (size_t i = 0; i < s->n; i++)
		free(s->nodes[i].shingles);
	free(s->nodes);
	cw_buf_release(&s->nb);
	free(s->toks);
}

/* ---- changes ---- */

struct ctx {
	const struct cw_diff_rules *rules;
	const struct cw_diff_opts *opts;
	struct cw_diff_side *a, *b;
	struct cw_diff *d;
	size_t cap;
	/* sort keys per change: (new node position, tie, old position) */
	long *sk;
	size_t skcap;
};

static struct cw_diff_change *new_change(struct ctx *c, enum cw_diff_kind kind,
					 long npos, long tie, long opos)
{
	struct cw_diff_change *ch;

	CW_GROW(c->d->changes, c->cap, c->d->n + 1);
	CW_GROW(c->sk, c->skcap, 3 * (c->d->n + 1));
	ch = &c->d->changes[c->d->n];
	memset(ch, 0, sizeof(*ch));
	ch->kind = kind;
	ch->title = "";
	ch->similarity = 1.0;
	c->sk[3 * c->d->n] = npos;
	c->sk[3 * c->d->n + 1] = tie;
	c->sk[3 * c->d->n + 2] = opos;
	c->d->n++;
	return ch;
}

static void add_idx(long **v, size_t *n, long x)
{
	*v = cw_reallocarray(*v, *n + 1, sizeof(long));
	(*v)[(*n)++] = x;
}

/* Whether a and b differ in white space only. */
static bool same_but_spaces(const char *a, size_t alen, const char *b,
			    size_t blen)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < alen && isspace((unsigned char)a[i]))
			i++;
		while (j < blen && isspace((unsigned char)b[j]))
			j++;
		if (i == alen || j == blen)
			return i == alen && j == blen;
		if (a[i++] != b[j++])
			return false;
	}
}

/* Rules that fired a different number of times on the two sides: those
 * explain a cosmetic change. */
static void explain_noise(struct cw_diff_change *ch,
			  const struct cw_diff_rules *rules, const char *a,
			  size_t alen, size_t ahl, const char *b, size_t blen,
			  size_t bhl)
{
	struct cw_strv fa = CW_STRV_INIT, fb = CW_STRV_INIT;
	struct cw_buf tmp = CW_BUF_INIT;
	static const char *const names[] = {
		"invisible", "quotes_dashes", "phrase",	   "tracking_param",
		"date_line", "list_marker",   "rule_line", "heading_case",
		"emphasis",  "link",
	};
	size_t links = 0;

	cw_diff_noise_normalize(&tmp, rules, a, alen, ahl, &fa);
	cw_buf_clear(&tmp);
	cw_diff_noise_normalize(&tmp, rules, b, blen, bhl, &fb);
	cw_buf_release(&tmp);
	for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++) {
		size_t ca = 0, cb = 0;
		for (size_t i = 0; i < fa.n; i++)
			ca += strcmp(fa.v[i], names[k]) == 0;
		for (size_t i = 0; i < fb.n; i++)
			cb += strcmp(fb.v[i], names[k]) == 0;
		if (ca != cb)
			cw_strv_push(&ch->noise, names[k]);
		if (strcmp(names[k], "link") == 0)
			links = ca < cb ? ca : cb;
	}
	/* as many links on both sides, and more than spaces differ: a
	 * link's target changed */
	if (ch->noise.n == 0 && links > 0 && !same_but_spaces(a, alen, b, blen))
		cw_strv_push(&ch->noise, "link");
	if (ch->noise.n == 0)
		cw_strv_push(&ch->noise, "whitespace");
	cw_strv_release(&fa);
	cw_strv_release(&fb);
}

/* Facts of a one-sided change (added/removed): values and duties only;
 * every modal verb of a new section would drown them. */
static bool one_sided_facts(struct ctx *c, struct cw_diff_change *ch,
			    const char *a, size_t alen, const char *b,
			    size_t blen)
{
	size_t k = 0;

	cw_diff_facts_compare(ch, c->rules, a, alen, b, blen, c->a->text,
			      c->a->len, c->b->text, c->b->len);
	for (size_t i = 0; i < ch->n_facts; i++) {
		if (ch->facts[i].kind == CW_DIFF_FACT_MODAL ||
		    ch->facts[i].kind == CW_DIFF_FACT_NEGATION) {
			free(ch->facts[i].old_value);
			free(ch->facts[i].new_value);
			continue;
		}
		ch->facts[k++] = ch->facts[i];
	}
	ch->n_facts = k;
	return k > 0;
}

/* Redline, noise and facts of a pair whose own texts differ. */
static void compare_pair(struct ctx *c, struct cw_diff_change *ch,
			 const struct cw_diff_node *x,
			 const struct cw_diff_node *y)
{
	const char *at = c->a->text + x->start, *bt = c->b->text + y->start;
	size_t al = x->own_end - x->start, bl = y->own_end - y->start;

	if (!(c->opts->flags & CW_DIFF_NO_REDLINE)) {
		cw_diff_words(&ch->spans, &ch->n_spans, &ch->coarse, at, al, bt,
			      bl, c->opts->max_cost, c->opts->max_tokens);
		for (size_t k = 0; k < ch->n_spans; k++) {
			ch->spans[k].old_start += x->start;
			ch->spans[k].old_end += x->start;
			ch->spans[k].new_start += y->start;
			ch->spans[k].new_end += y->start;
			CW_ASSERT(ch->spans[k].old_end <= x->own_end &&
				  ch->spans[k].new_end <= y->own_end);
		}
	}
	if (x->norm_hash == y->norm_hash) {
		ch->materiality = CW_DIFF_COSMETIC;
		explain_noise(ch, c->rules, at, al, x->body - x->start, bt, bl,
			      y->body - y->start);
		return;
	}
	ch->materiality = cw_diff_facts_compare(ch, c->rules, at, al, bt, bl,
						c->a->text, c->a->len,
						c->b->text, c->b->len)
				  ? CW_DIFF_SUBSTANTIVE
				  : CW_DIFF_EDITORIAL;
}

/* A key component that is a slug of a title ("who-we-are") or a
 * synthetic "s4", not a number label ("3", "b", "iv", "2.1"). */
static bool is_slug(const char *k, size_t n)
{
	bool digit = false, dash = false;

	if (n >= 2 && k[0] == 's' && isdigit((unsigned char)k[1])) {
		size_t i = 1;
		while (i < n && isdigit((unsigned char)k[i]))
			i++;
		if (i == n)
			return true;
	}
	for (size_t i = 0; i < n; i++) {
		digit |= isdigit((unsigned char)k[i]) != 0;
		dash |= k[i] == '-';
	}
	return !digit && (dash || n > 4);
}

/*
 * Whether two keys name the same position: equal once the "~2" suffix of
 * repeated keys is dropped, or differing only in a last component that is
 * a title slug on both sides (a retitled unnumbered heading is not
 * renumbered).
 */
static bool keys_same(const char *x, const char *y)
{
	const char *tx = strchr(x, '~'), *ty = strchr(y, '~');
	size_t nx = tx ? (size_t)(tx - x) : strlen(x);
	size_t ny = ty ? (size_t)(ty - y) : strlen(y);
	size_t px = 0, py = 0;

	if (nx == ny && memcmp(x, y, nx) == 0)
		return true;
	for (size_t i = 0; i < nx; i++)
		if (x[i] == '.')
			px = i + 1;
	for (size_t i = 0; i < ny; i++)
		if (y[i] == '.')
			py = i + 1;
	if (px != py || memcmp(x, y, px) != 0)
		return false;
	return is_slug(x + px, nx - px) && is_slug(y + py, ny - py);
}

/* Whether a line starting in [start, end) is marked changed. */
static bool lines_touched(const size_t *ls, const char *marks, size_t n,
			  size_t start, size_t end)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ls[mid] < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = lo; k < n && ls[k] < end; k++)
		if (marks[k])
			return true;
	return false;
}

static void do_pair(struct ctx *c, long i, bool moved)
{
	const struct cw_diff_node *x = &c->a->nodes[i];
	const struct cw_diff_node *y = &c->b->nodes[x->pair];
	bool same_text = x->exact_hash == y->exact_hash &&
			 x->own_end - x->start == y->own_end - y->start;
	bool renum = !keys_same(x->key, y->key);
	/* a key that changed only because an ancestor's did (own text
	 * byte-identical) is not reported: the ancestor's change says it,
	 * and CW_DIFF_KEEP_UNCHANGED lists the pair with both keys */
	enum cw_diff_kind kind = moved	     ? CW_DIFF_MOVED
				 : same_text ? CW_DIFF_UNCHANGED
				 : renum     ? CW_DIFF_RENUMBERED
					     : CW_DIFF_MODIFIED;
	struct cw_diff_change *ch;

	/*
	 * Same text, kept in order by the alignment, yet a line diff of the
	 * whole texts cannot keep its lines in place (blocks around it moved
	 * the other way, or were merged): to a reader of a line diff it
	 * moved, so it is reported as moved.
	 */
	if (kind == CW_DIFF_UNCHANGED &&
	    (lines_touched(c->a->ls, c->a->lchanged, c->a->nl, x->start,
			   x->own_end) ||
	     lines_touched(c->b->ls, c->b->lchanged, c->b->nl, y->start,
			   y->own_end)))
		kind = CW_DIFF_MOVED;
	if (kind == CW_DIFF_UNCHANGED &&
	    !(c->opts->flags & CW_DIFF_KEEP_UNCHANGED)) {
		c->d->counts[CW_DIFF_UNCHANGED]++;
		return;
	}
	ch = new_change(c, kind, x->pair, 0, i);
	add_idx(&ch->old_idx, &ch->n_old, i);
	add_idx(&ch->new_idx, &ch->n_new, x->pair);
	ch->old_start = x->start;
	ch->old_end = x->own_end;
	ch->new_start = y->start;
	ch->new_end = y->own_end;
	ch->old_key = x->key;
	ch->new_key = y->key;
	ch->title = y->title[0] ? y->title : x->title;
	if (!same_text) {
		cw_diff_node_prepare(c->a, (size_t)i);
		cw_diff_node_prepare(c->b, (size_t)x->pair);
	}
	ch->similarity = same_text
				 ? 1.0
				 : cw_diff_jaccard(x->shingles, x->n_shingles,
						   y->shingles, y->n_shingles);
	if (same_text) {
		ch->materiality = kind == CW_DIFF_UNCHANGED ? CW_DIFF_NONE
							    : CW_DIFF_EDITORIAL;
		return;
	}
	/* a renumbered heading alone is not a modification */
	ch->modified = !(x->body_hash == y->body_hash && x->body_hash &&
			 strlen(x->title) == strlen(y->title) &&
			 cw_strncasecmp_ascii(x->title, y->title,
					      strlen(x->title)) == 0);
	if (kind == CW_DIFF_MODIFIED)
		ch->modified = true;
	compare_pair(c, ch, x, y);
	if (!ch->modified) {
		/* only the number or the place changed: references to it
		 * ("see Section 4") change meaning, so never cosmetic */
		ch->materiality = CW_DIFF_EDITORIAL;
		for (size_t k = 0; k < ch->n_facts; k++) {
			free(ch->facts[k].old_value);
			free(ch->facts[k].new_value);
		}
		ch->n_facts = 0;
	}
}

static void do_single(struct ctx *c, bool old, long i)
{
	struct cw_diff_side *s = old ? c->a : c->b;
	const struct cw_diff_node *x = &s->nodes[i];
	long npos = i, tie = 0;
	struct cw_diff_change *ch;
	const char *t = s->text + x->start;
	size_t len = x->own_end - x->start;
	bool facts;

	if (old) {
		/* place a removed provision after the new position of the
		 * nearest paired provision before it */
		long p = i - 1;
		while (p >= 0 && c->a->nodes[p].pair < 0)
			p--;
		npos = p >= 0 ? c->a->nodes[p].pair : -1;
		tie = 1;
	}
	ch = new_change(c, old ? CW_DIFF_REMOVED : CW_DIFF_ADDED, npos, tie,
			old ? i : -1);
	ch->modified = true;
	ch->similarity = 0.0;
	ch->title = x->title;
	if (old) {
		add_idx(&ch->old_idx, &ch->n_old, i);
		ch->old_start = x->start;
		ch->old_end = x->own_end;
		ch->old_key = x->key;
		facts = one_sided_facts(c, ch, t, len, "", 0);
	} else {
		add_idx(&ch->new_idx, &ch->n_new, i);
		ch->new_start = x->start;
		ch->new_end = x->own_end;
		ch->new_key = x->key;
		facts = one_sided_facts(c, ch, "", 0, t, len);
	}
	if (!(c->opts->flags & CW_DIFF_NO_REDLINE) && len > 0) {
		ch->spans = cw_malloc(sizeof(*ch->spans));
		ch->n_spans = 1;
		ch->spans[0] =
			old ? (struct cw_diff_span){ CW_DIFF_OP_DEL, x->start,
						     x->own_end, 0, 0 }
			    : (struct cw_diff_span){ CW_DIFF_OP_INS, 0, 0,
						     x->start, x->own_end };
	}
	if (facts)
		ch->materiality = CW_DIFF_SUBSTANTIVE;
	else
		ch->materiality = x->n_shingles > 0 ? CW_DIFF_EDITORIAL
						    : CW_DIFF_COSMETIC;
}

/* Own texts of several nodes, joined, for facts of a split or merge. */
static void join_nodes(struct cw_buf *out, const struct cw_diff_side *s,
		       const long *idx, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const struct cw_diff_node *x = &s->nodes[idx[k]];
		cw_buf_add(out, s->text + x->start, x->own_end - x->start);
		cw_buf_addc(out, '\n');
	}
}

static void do_group(struct ctx *c, const struct cw_diff_group *g)
{
	struct cw_diff_side *one = g->split ? c->a : c->b;
	struct cw_diff_side *many = g->split ? c->b : c->a;
	const struct cw_diff_node *x = &one->nodes[g->one];
	struct cw_buf ja = CW_BUF_INIT, jb = CW_BUF_INIT;
	struct cw_diff_change *ch;
	long first = g->many[0], last = g->many[g->n_many - 1];

	ch = new_change(c, g->split ? CW_DIFF_SPLIT : CW_DIFF_MERGED,
			g->split ? first : g->one, 0,
			g->split ? g->one : first);
	ch->modified = true;
	if (g->split) {
		add_idx(&ch->old_idx, &ch->n_old, g->one);
		for (size_t k = 0; k < g->n_many; k++)
			add_idx(&ch->new_idx, &ch->n_new, g->many[k]);
		ch->old_start = x->start;
		ch->old_end = x->own_end;
		ch->new_start = many->nodes[first].start;
		ch->new_end = many->nodes[last].own_end;
		ch->old_key = x->key;
		ch->new_key = many->nodes[first].key;
		ch->title = x->title;
		cw_buf_add(&ja, c->a->text + x->start, x->own_end - x->start);
		join_nodes(&jb, many, g->many, g->n_many);
	} else {
		for (size_t k = 0; k < g->n_many; k++)
			add_idx(&ch->old_idx, &ch->n_old, g->many[k]);
		add_idx(&ch->new_idx, &ch->n_new, g->one);
		ch->old_start = many->nodes[first].start;
		ch->old_end = many->nodes[last].own_end;
		ch->new_start = x->start;
		ch->new_end = x->own_end;
		ch->old_key = many->nodes[first].key;
		ch->new_key = x->key;
		ch->title = x->title;
		join_nodes(&ja, many, g->many, g->n_many);
		cw_buf_add(&jb, c->b->text + x->start, x->own_end - x->start);
	}
	{
		/* similarity of the whole against the union of its parts */
		uint64_t *u = NULL;
		size_t nu = 0;
		for (size_t k = 0; k < g->n_many; k++) {
			const struct cw_diff_node *y = &many->nodes[g->many[k]];
			u = cw_reallocarray(u, nu + y->n_shingles + 1,
					    sizeof(uint64_t));
			memcpy(u + nu, y->shingles,
			       y->n_shingles * sizeof(uint64_t));
			nu += y->n_shingles;
		}
		nu = cw_sort_unique_u64(u, nu);
		ch->similarity =
			cw_diff_jaccard(x->shingles, x->n_shingles, u, nu);
		free(u);
	}
	ch->materiality = cw_diff_facts_compare(ch, c->rules,
						ja.ptr ? ja.ptr : "", ja.len,
						jb.ptr ? jb.ptr : "", jb.len,
						c->a->text, c->a->len,
						c->b->text, c->b->len)
				  ? CW_DIFF_SUBSTANTIVE
				  : CW_DIFF_EDITORIAL;
	cw_buf_release(&ja);
	cw_buf_release(&jb);
}

/* The change list is sorted through an index array; qsort_r passes the
 * keys, so no global state is needed. */
static int change_cmp(const void *x, const void *y, void *keys)
{
	const long *sk = keys;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;

	for (int k = 0; k < 3; k++)
		if (sk[3 * i + k] != sk[3 * j + k])
			return sk[3 * i + k] < sk[3 * j + k] ? -1 : 1;
	return 0;
}

static void sort_changes(struct ctx *c)
{
	size_t n = c->d->n;
	size_t *ord = cw_malloc(sizeof(size_t) * (n + 1));
	struct cw_diff_change *sorted = cw_malloc(sizeof(*sorted) * (n + 1));

	for (size_t i = 0; i < n; i++)
		ord[i] = i;
	qsort_r(ord, n, sizeof(size_t), change_cmp, c->sk);
	for (size_t i = 0; i < n; i++)
		sorted[i] = c->d->changes[ord[i]];
	free(c->d->changes);
	c->d->changes = sorted;
	free(ord);
}

int cw_diff_compute(struct cw_diff **out, const struct cw_diff_version *old,
		    const struct cw_diff_version *new,
		    const struct cw_diff_rules *rules,
		    const struct cw_diff_opts *opts, struct cw_err *err)
{
	struct cw_diff_opts dflt = CW_DIFF_OPTS_INIT;
	struct cw_diff_side a = { 0 }, b = { 0 };
	struct cw_diff_alignment al;
	struct ctx c = { 0 };
	struct cw_diff *d;
	int rc;

	*out = NULL;
	if (!opts)
		opts = &dflt;
	if (!old || !new)
		return cw_err_set(err, CW_EINVAL, "diff: missing version");
	if ((rc = check_seg(old, "old", opts, err)) ||
	    (rc = check_seg(new, "new", opts, err)))
		return rc;
	build_side(&a, old, rules);
	build_side(&b, new, rules);
	line_diff(&a, &b, opts);
	cw_diff_align(&al, &a, &b);

	d = cw_calloc(1, sizeof(*d));
	d->old_text = old->text;
	d->old_len = old->len;
	d->new_text = new->text;
	d->new_len = new->len;
	c.rules = rules;
	c.opts = opts;
	c.a = &a;
	c.b = &b;
	c.d = d;
	for (size_t i = 0; i < a.n; i++) {
		if (a.nodes[i].pair >= 0)
			do_pair(&c, (long)i, al.moved[i]);
		else if (a.nodes[i].group < 0)
			do_single(&c, true, (long)i);
	}
	for (size_t j = 0; j < b.n; j++)
		if (b.nodes[j].pair < 0 && b.nodes[j].group < 0)
			do_single(&c, false, (long)j);
	for (size_t g = 0; g < al.n_groups; g++)
		do_group(&c, &al.groups[g]);
	d->n_old_prov = a.n;
	d->n_new_prov = b.n;
	d->old_pair = cw_malloc(sizeof(long) * (a.n + 1));
	d->new_pair = cw_malloc(sizeof(long) * (b.n + 1));
	for (size_t i = 0; i < a.n; i++)
		d->old_pair[i] = a.nodes[i].pair;
	for (size_t j = 0; j < b.n; j++)
		d->new_pair[j] = b.nodes[j].pair;
	for (size_t g = 0; g < al.n_groups; g++) {
		const struct cw_diff_group *gr = &al.groups[g];
		long *one = gr->split ? d->old_pair : d->new_pair;
		long *many = gr->split ? d->new_pair : d->old_pair;
		one[gr->one] = gr->many[0];
		for (size_t k = 0; k < gr->n_many; k++)
			many[gr->many[k]] = gr->one;
	}
	sort_changes(&c);
	for (size_t k = 0; k < d->n; k++) {
		struct cw_diff_change *ch = &d->changes[k];
		d->counts[ch->kind]++;
		ch->summary = cw_diff_summary(ch, rules);
	}
	free(c.sk);
	cw_diff_alignment_release(&al);
	side_release(&a);
	side_release(&b);
	*out = d;
	return CW_OK;
}

void cw_diff_free(struct cw_diff *d)
{
	if (!d)
		return;
	for (size_t k = 0; k < d->n; k++) {
		struct cw_diff_change *ch = &d->changes[k];
		free(ch->old_idx);
		free(ch->new_idx);
		free(ch->spans);
		for (size_t i = 0; i < ch->n_facts; i++) {
			free(ch->facts[i].old_value);
			free(ch->facts[i].new_value);
		}
		free(ch->facts);
		cw_strv_release(&ch->noise);
		free(ch->summary);
	}
	free(d->changes);
	free(d->old_pair);
	free(d->new_pair);
	free(d);
}
