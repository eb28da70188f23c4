/*
 * html: parse a page, apply a declaration's `remove` and `select`, and
 * build the render tree of what was selected.
 *
 * Semantics follow Open Terms Archive's extraction (engine
 * src/archivist/extract): built-in filters run on the whole document,
 * then `remove` (CSS matches, then ranges), then `select` (each selector
 * in declaration order, each match in document order, a range selecting
 * the DOM Range between its start and end elements); links are made
 * absolute against the page; script and style are dropped; the selected
 * fragment is converted to Markdown.
 *
 * libgumbo's tree is never mutated. It is indexed once in document order
 * (pre-order number, parent, last descendant, depth); a removed subtree is
 * a flag, and a DOM Range between two boundary points is the interval of
 * pre-order numbers [A, B): a node lies (at least partly) in the range iff
 * pre(n) < B and last(n) >= A, which is what Range.cloneContents keeps.
 */
#include "extract_int.h"
#include "select.h"

#include <ctype.h>

/*
 * Nesting accepted before parsing. libgumbo 0.10 takes time quadratic in
 * the depth of open elements (measured here: 10,000 nested <div> take 4 s,
 * 30,000 take 38 s), so a cheap prescan refuses deeper input. Real pages
 * of the corpus nest at most about 40 deep by this count.
 */
#define MAX_PARSE_DEPTH 1024

/* ---- render tree storage ---- */

void cw_rtree_init(struct cw_rtree *t)
{
	memset(t, 0, sizeof(*t));
	cw_rtree_add(t, 0, CW_RN_ROOT, GUMBO_TAG_UNKNOWN, NULL);
}

void cw_rtree_release(struct cw_rtree *t)
{
	free(t->n);
	free(t->arena);
	memset(t, 0, sizeof(*t));
}

uint32_t cw_rtree_add(struct cw_rtree *t, uint32_t parent, uint8_t kind,
		      GumboTag tag, const GumboElement *el)
{
	CW_GROW(t->n, t->cap, t->len + 1);
	uint32_t i = (uint32_t)t->len++;
	struct cw_rn *r = &t->n[i];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->tag = tag;
	r->el = el;
	if (i == 0)
		return 0;
	r->parent = parent;
	struct cw_rn *p = &t->n[parent];
	if (p->last) {
		t->n[p->last].next = i;
		r->prev = p->last;
	} else {
		p->first = i;
	}
	p->last = i;
	return i;
}

uint32_t cw_rtree_store(struct cw_rtree *t, const char *s, size_t len)
{
	CW_GROW(t->arena, t->acap, t->alen + len + 1);
	uint32_t off = (uint32_t)t->alen;
	memcpy(t->arena + off, s, len);
	t->arena[off + len] = '\0';
	t->alen += len + 1;
	return off;
}

/* ---- nesting prescan ---- */

static const char *const void_names[] = {
	"area",	  "base",    "br",	 "col",	    "embed",  "hr",    "img",
	"input",  "link",    "meta",	 "param",   "source", "track", "wbr",
	"keygen", "command", "basefont", "bgsound", "frame",  "image", NULL
};

/* Elements whose start tag may close an open one of the same kind. */
static const char *const autoclose_names[] = {
	"p",	"li",	"dt",	"dd",	 "option",   "optgroup",
	"tr",	"td",	"th",	"thead", "tbody",    "tfoot",
	"rb",	"rt",	"rp",	"rtc",	 "colgroup", "caption",
	"html", "head", "body", NULL
};

/* Whether s is one of the NULL-ended names. */
static bool name_in(const char *s, const char *const *v)
{
	for (size_t i = 0; v[i]; i++)
		if (!strcmp(s, v[i]))
			return true;
	return false;
}

static bool is_void_name(const char *s)
{
	return name_in(s, void_names);
}

static bool is_autoclose_name(const char *s)
{
	return name_in(s, autoclose_names);
}

static bool is_rawtext_name(const char *s)
{
	return !strcmp(s, "script") || !strcmp(s, "style") ||
	       !strcmp(s, "textarea") || !strcmp(s, "title") ||
	       !strcmp(s, "xmp") || !strcmp(s, "iframe") ||
	       !strcmp(s, "noembed") || !strcmp(s, "noframes") ||
	       !strcmp(s, "plaintext");
}

static const char *find_ci(const char *s, const char *end, const char *pat)
{
	size_t pl = strlen(pat);
	for (; s + pl <= end; s++)
		if (!cw_strncasecmp_ascii(s, pat, pl))
			return s;
	return NULL;
}

/* End of a raw text element's content: "</name" then space, '/' or '>'. */
static const char *raw_end(const char *p, const char *end, const char *name)
{
	size_t nl = strlen(name);
	for (;;) {
		p = memchr(p, '<', (size_t)(end - p));
		if (!p || (size_t)(end - p) < nl + 2)
			return end;
		if (p[1] == '/' && !cw_strncasecmp_ascii(p + 2, name, nl)) {
			const char *q = p + 2 + nl;
			if (q >= end || *q == '>' || *q == '/' || *q == ' ' ||
			    *q == '\t' || *q == '\n' || *q == '\r' ||
			    *q == '\f')
				return p;
		}
		p++;
	}
}

/* Past the attributes of a tag, at its '>' (or end); quotes per the
 * tokenizer: only a value after '=' may be quoted. */
static const char *tag_end(const char *p, const char *end, bool *selfclose)
{
	bool after_eq = false;
	*selfclose = false;
	while (p < end) {
		char c = *p;
		if (c == '>') {
			*selfclose = p[-1] == '/';
			return p;
		}
		if (after_eq && (c == '"' || c == '\'')) {
			const char *q = memchr(p + 1, c, (size_t)(end - p - 1));
			if (!q)
				return end;
			p = q + 1;
			after_eq = false;
			continue;
		}
		if (c == '=')
			after_eq = true;
		else if (c != ' ' && c != '\t' && c != '\n' && c != '\r' &&
			 c != '\f')
			after_eq = false;
		p++;
	}
	return end;
}

/*
 * One pass over the page before libgumbo sees it:
 *
 * - copy it to `out` without its <script> and <style> elements, which
 *   extraction drops anyway and which make up most of the bytes of modern
 *   pages (63% of the corpus' HTML): libgumbo then tokenizes only what
 *   matters. A script containing "<!--" is kept (and dropped later), since
 *   the HTML tokenizer's escaped states could then end it elsewhere.
 * - estimate the nesting depth libgumbo will build: a stack of open
 *   element names where an end tag pops to its match (ignored if
 *   unmatched), void and self-closing elements never open, and elements
 *   that close each other implicitly (p, li, td...) are not counted.
 *
 * Returns false as soon as the depth passes `cap`.
 */
static bool prepare(struct cw_buf *out, const char *s, size_t n, size_t cap)
{
	char(*stack)[12] = cw_calloc(cap + 1, 12);
	size_t depth = 0;
	const char *end = s + n;
	const char *p = s, *copied = s;
	bool ok = true;
	while (p < end) {
		p = memchr(p, '<', (size_t)(end - p));
		if (!p)
			break;
		const char *tag_start = p;
		p++;
		if (p + 3 <= end && !memcmp(p, "!--", 3)) {
			const char *e = p + 3;
			if (e < end && *e == '>')
				e++;
			else if (e + 1 < end && e[0] == '-' && e[1] == '>')
				e += 2;
			else {
				const char *c = find_ci(e, end, "-->");
				e = c ? c + 3 : end;
			}
			p = e;
			continue;
		}
		bool closing = p < end && *p == '/';
		if (closing)
			p++;
		if (p >= end || !isalpha((unsigned char)*p)) {
			if (!closing && p < end && (*p == '!' || *p == '?')) {
				const char *e =
					memchr(p, '>', (size_t)(end - p));
				p = e ? e + 1 : end;
			}
			continue;
		}
		char name[12];
		size_t nl = 0;
		while (p < end && *p != '>' && *p != '/' && *p != ' ' &&
		       *p != '\t' && *p != '\n' && *p != '\r' && *p != '\f') {
			if (nl + 1 < sizeof(name))
				name[nl++] = (char)tolower((unsigned char)*p);
			p++;
		}
		name[nl] = '\0';
		bool selfclose;
		p = tag_end(p, end, &selfclose);
		if (p < end)
			p++;
		if (closing) {
			for (size_t k = depth; k > 0; k--) {
				if (!strcmp(stack[k - 1], name)) {
					depth = k - 1;
					break;
				}
			}
			continue;
		}
		if (!strcmp(name, "plaintext"))
			break;
		if (is_rawtext_name(name)) {
			const char *e = raw_end(p, end, name);
			bool drop = !strcmp(name, "style") ||
				    (!strcmp(name, "script") &&
				     !find_ci(p, e, "<!--"));
			if (drop) {
				/* the whole element goes, as OTA removes script and
				 * style before applying selectors (so :first-child
				 * and + never see them) */
				const char *e2 =
					e < end ? memchr(e, '>',
							 (size_t)(end - e))
						: NULL;
				e2 = e2 ? e2 + 1 : end;
				cw_buf_add(out, copied,
					   (size_t)(tag_start - copied));
				/* an empty comment in its place keeps the texts around
				 * it apart, as in a DOM the element was removed from */
				cw_buf_adds(out, "<!---->");
				copied = e2;
				p = e2;
				continue;
			}
			p = e;
			continue;
		}
		if (selfclose || is_void_name(name) || is_autoclose_name(name))
			continue;
		memcpy(stack[depth], name, sizeof(name));
		if (++depth > cap) {
			ok = false;
			break;
		}
	}
	cw_buf_add(out, copied, (size_t)(end - copied));
	free(stack);
	return ok;
}

/* ---- the document index ---- */

struct dom {
	GumboOutput *g;
	GumboNode **node;
	uint32_t *parent, *end, *depth;
	uint8_t *removed;
	size_t n, cap;
	uint32_t *ht; /* open addressing: index + 1, 0 empty */
	size_t htmask;
	/* children vectors shortened while selecting (see detach_removed) */
	struct detached {
		GumboVector *v;
		void **orig;
		unsigned len;
	} * det;
	size_t ndet;
};

static const GumboVector *kids(const GumboNode *g)
{
	if (g->type == GUMBO_NODE_DOCUMENT)
		return &g->v.document.children;
	if (g->type == GUMBO_NODE_ELEMENT || g->type == GUMBO_NODE_TEMPLATE)
		return &g->v.element.children;
	return NULL;
}

static size_t hash_ptr(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static void dom_index(struct dom *d)
{
	struct frame {
		const GumboNode *g;
		uint32_t idx;
		unsigned next;
	} *st = NULL;
	size_t sn = 0, scap = 0;

	const GumboNode *root = d->g->document;
	CW_GROW(st, scap, 1);
	st[sn++] = (struct frame){ root, 0, 0 };
	d->n = 0;
#define DOM_PUSH(gn, par, dep)                                                 \
	do {                                                                   \
		if (d->n + 1 > d->cap) {                                       \
			size_t nc = d->cap ? d->cap * 2 : 1024;                \
			d->node = cw_reallocarray(d->node, nc,                 \
						  sizeof(*d->node));           \
			d->parent = cw_reallocarray(d->parent, nc,             \
						    sizeof(uint32_t));         \
			d->end =                                               \
				cw_reallocarray(d->end, nc, sizeof(uint32_t)); \
			d->depth = cw_reallocarray(d->depth, nc,               \
						   sizeof(uint32_t));          \
			d->cap = nc;                                           \
		}                                                              \
		d->node[d->n] = (GumboNode *)(gn);                             \
		d->parent[d->n] = (par);                                       \
		d->depth[d->n] = (dep);                                        \
		d->end[d->n] = (uint32_t)d->n;                                 \
		d->n++;                                                        \
	} while (0)
	DOM_PUSH(root, 0, 0);
	while (sn) {
		struct frame *f = &st[sn - 1];
		const GumboVector *v = kids(f->g);
		if (!v || f->next >= v->length) {
			d->end[f->idx] = (uint32_t)(d->n - 1);
			sn--;
			continue;
		}
		const GumboNode *c = v->data[f->next++];
		uint32_t ci = (uint32_t)d->n;
		uint32_t dep = d->depth[f->idx] + 1;
		DOM_PUSH(c, f->idx, dep);
		if (kids(c)) {
			CW_GROW(st, scap, sn + 1);
			st[sn++] = (struct frame){ c, ci, 0 };
		}
	}
#undef DOM_PUSH
	free(st);
	d->removed = cw_calloc(d->n ? d->n : 1, 1);
	size_t hc = 16;
	while (hc < d->n * 2)
		hc *= 2;
	d->ht = cw_calloc(hc, sizeof(uint32_t));
	d->htmask = hc - 1;
	for (size_t i = 0; i < d->n; i++) {
		size_t h = hash_ptr(d->node[i]) & d->htmask;
		while (d->ht[h])
			h = (h + 1) & d->htmask;
		d->ht[h] = (uint32_t)i + 1;
	}
}

static int64_t dom_find(const struct dom *d, const GumboNode *g)
{
	size_t h = hash_ptr(g) & d->htmask;
	while (d->ht[h]) {
		if (d->node[d->ht[h] - 1] == g)
			return d->ht[h] - 1;
		h = (h + 1) & d->htmask;
	}
	return -1;
}

/*
 * OTA removes nodes before it selects, so structural selectors
 * (:first-child, +, ~, :nth-child) of `select` see the document without
 * them. The selector engine walks gumbo's children vectors, so while
 * selecting, the vectors of parents that lost children are swapped for
 * shortened copies (and index_within_parent renumbered); restore_removed
 * puts the originals back before gumbo frees the tree.
 */
static void detach_removed(struct dom *d)
{
	uint8_t *dirty = cw_calloc(d->n ? d->n : 1, 1);
	size_t cap = 0;
	for (size_t i = 1; i < d->n; i++)
		if (d->removed[i] && !d->removed[d->parent[i]])
			dirty[d->parent[i]] = 1;
	for (size_t p = 0; p < d->n; p++) {
		if (!dirty[p])
			continue;
		GumboNode *g = d->node[p];
		GumboVector *v = g->type == GUMBO_NODE_DOCUMENT
					 ? &g->v.document.children
					 : &g->v.element.children;
		void **kept =
			cw_calloc(v->length ? v->length : 1, sizeof(void *));
		unsigned k = 0;
		for (unsigned j = 0; j < v->length; j++) {
			GumboNode *c = v->data[j];
			int64_t ci = dom_find(d, c);
			if (ci >= 0 && d->removed[ci])
				continue;
			c->index_within_parent = k;
			kept[k++] = c;
		}
		CW_GROW(d->det, cap, d->ndet + 1);
		d->det[d->ndet++] = (struct detached){ v, v->data, v->length };
		v->data = kept;
		v->length = k;
	}
	free(dirty);
}

static void restore_removed(struct dom *d)
{
	for (size_t i = 0; i < d->ndet; i++) {
		struct detached *x = &d->det[i];
		free(x->v->data);
		x->v->data = x->orig;
		x->v->length = x->len;
		for (unsigned j = 0; j < x->len; j++)
			((GumboNode *)x->orig[j])->index_within_parent = j;
	}
	free(d->det);
	d->det = NULL;
	d->ndet = 0;
}

static void dom_free(struct dom *d)
{
	restore_removed(d);
	free(d->node);
	free(d->parent);
	free(d->end);
	free(d->depth);
	free(d->removed);
	free(d->ht);
	if (d->g)
		gumbo_destroy_output(&kGumboDefaultOptions, d->g);
}

static bool dom_is_removed(const struct dom *d, uint32_t i)
{
	for (;;) {
		if (d->removed[i])
			return true;
		if (i == 0)
			return false;
		i = d->parent[i];
	}
}

/* ---- applying selectors ---- */

struct entry {
	uint32_t start, stop; /* pre-order interval to copy */
	uint32_t top;	      /* its parent in the document (maps to root) */
	bool range;
	uint32_t a, b;	 /* range boundaries */
	uint32_t sc, ec; /* their containers (parents of start and end) */
};

struct sel {
	struct dom *d;
	const struct cw_extract_page_ctx *ctx;
	struct entry *e;
	size_t ne, ecap;
	struct cw_err *err;
};

static const char *page_name(const struct cw_extract_page_ctx *ctx)
{
	if (ctx->in->name)
		return ctx->in->name;
	return ctx->in->url ? ctx->in->url : "page";
}

/* Every element matching `css` (not removed when skip_removed), in order. */
static int match_all(struct sel *s, const char *css, bool skip_removed,
		     uint32_t **out, size_t *nout)
{
	struct cw_css *c = NULL;
	struct cw_err e2 = CW_ERR_INIT;
	*out = NULL;
	*nout = 0;
	int rc = cw_css_parse(&c, css, &e2);
	if (rc)
		return cw_err_set(s->err, CW_EPARSE, "'%s': %s",
				  page_name(s->ctx), e2.msg);
	GumboNode **m = NULL;
	size_t nm = 0;
	cw_css_select_all(&m, &nm, c, s->d->g->document);
	uint32_t *v = cw_calloc(nm ? nm : 1, sizeof(uint32_t));
	size_t k = 0;
	for (size_t i = 0; i < nm; i++) {
		int64_t idx = dom_find(s->d, m[i]);
		if (idx < 0)
			continue;
		if (skip_removed && dom_is_removed(s->d, (uint32_t)idx))
			continue;
		v[k++] = (uint32_t)idx;
	}
	free(m);
	cw_css_free(c);
	*out = v;
	*nout = k;
	return CW_OK;
}

static int first_match(struct sel *s, const char *css, bool skip_removed,
		       int64_t *out)
{
	uint32_t *v;
	size_t n;
	int rc = match_all(s, css, skip_removed, &v, &n);
	*out = (!rc && n) ? (int64_t)v[0] : -1;
	free(v);
	return rc;
}

static void selector_text(char *buf, size_t cap,
			  const struct cw_decl_selector *sel)
{
	if (sel->css)
		snprintf(buf, cap, "%s", sel->css);
	else
		snprintf(buf, cap, "{%s: %s, %s: %s}",
			 sel->start_before ? "startBefore" : "startAfter",
			 sel->start_before ? sel->start_before
					   : sel->start_after,
			 sel->end_before ? "endBefore" : "endAfter",
			 sel->end_before ? sel->end_before : sel->end_after);
}

/* Boundaries [a, b) of a range selector. */
static int range_bounds(struct sel *s, const struct cw_decl_selector *sel,
			bool skip_removed, uint32_t *a, uint32_t *b,
			uint32_t *common, uint32_t *containers)
{
	const char *sc = sel->start_before ? sel->start_before
					   : sel->start_after;
	const char *ec = sel->end_before ? sel->end_before : sel->end_after;
	int64_t si, ei;
	char txt[600];
	if (!sc || !ec) {
		selector_text(txt, sizeof(txt), sel);
		return cw_err_set(s->err, CW_EINVAL,
				  "'%s': range selector without start or end",
				  page_name(s->ctx));
	}
	int rc = first_match(s, sc, skip_removed, &si);
	if (!rc)
		rc = first_match(s, ec, skip_removed, &ei);
	if (rc)
		return rc;
	if (si < 0 || ei < 0) {
		selector_text(txt, sizeof(txt), sel);
		return cw_err_set(s->err, CW_EEMPTY,
				  "'%s': extraction failed: the %s selector "
				  "'%s' of range %s has no match",
				  page_name(s->ctx), si < 0 ? "start" : "end",
				  si < 0 ? sc : ec, txt);
	}
	const struct dom *d = s->d;
	*a = sel->start_before ? (uint32_t)si : d->end[si] + 1;
	*b = sel->end_before ? (uint32_t)ei : d->end[ei] + 1;
	/* deepest common ancestor of the two boundary containers */
	uint32_t x = d->parent[si], y = d->parent[ei];
	containers[0] = x;
	containers[1] = y;
	while (d->depth[x] > d->depth[y])
		x = d->parent[x];
	while (d->depth[y] > d->depth[x])
		y = d->parent[y];
	while (x != y) {
		x = d->parent[x];
		y = d->parent[y];
	}
	*common = x;
	return CW_OK;
}

static int apply_remove(struct sel *s, const struct cw_decl_source *src)
{
	struct dom *d = s->d;
	/* ranges are computed on the tree before any removal, as OTA does */
	for (size_t i = 0; i < src->n_remove; i++) {
		const struct cw_decl_selector *r = &src->remove[i];
		if (r->css)
			continue;
		uint32_t a, b, c, k2[2];
		int rc = range_bounds(s, r, false, &a, &b, &c, k2);
		if (rc)
			return rc;
		for (uint32_t k = a; k < b && k < d->n; k++)
			if (d->end[k] < b)
				d->removed[k] = 1;
	}
	for (size_t i = 0; i < src->n_remove; i++) {
		const struct cw_decl_selector *r = &src->remove[i];
		if (!r->css)
			continue;
		uint32_t *v;
		size_t n;
		int rc = match_all(s, r->css, false, &v, &n);
		if (rc)
			return rc;
		for (size_t k = 0; k < n; k++)
			d->removed[v[k]] = 1;
		free(v);
	}
	for (size_t k = 1; k < d->n; k++)
		if (d->removed[d->parent[k]])
			d->removed[k] = 1;
	return CW_OK;
}

static void add_entry(struct sel *s, struct entry e)
{
	CW_GROW(s->e, s->ecap, s->ne + 1);
	s->e[s->ne++] = e;
}

static int apply_select(struct sel *s, const struct cw_decl_source *src)
{
	struct dom *d = s->d;
	size_t n_sel = src ? src->n_select : 0;
	if (!n_sel) {
		/* no declaration: the whole body */
		for (size_t k = 0; k < d->n; k++) {
			const GumboNode *g = d->node[k];
			if (g->type == GUMBO_NODE_ELEMENT &&
			    g->v.element.tag == GUMBO_TAG_BODY) {
				add_entry(s, (struct entry){
						     (uint32_t)k, d->end[k],
						     d->parent[k], false, 0, 0,
						     0, 0 });
				return CW_OK;
			}
		}
		return cw_err_set(s->err, CW_EEMPTY,
				  "'%s': extraction failed: no <body>",
				  page_name(s->ctx));
	}
	for (size_t i = 0; i < n_sel; i++) {
		const struct cw_decl_selector *sel = &src->select[i];
		size_t before = s->ne;
		if (sel->css) {
			uint32_t *v;
			size_t n;
			int rc = match_all(s, sel->css, true, &v, &n);
			if (rc)
				return rc;
			for (size_t k = 0; k < n; k++)
				add_entry(s,
					  (struct entry){ v[k], d->end[v[k]],
							  d->parent[v[k]],
							  false, 0, 0, 0, 0 });
			free(v);
		} else {
			uint32_t a, b, c, k2[2];
			int rc = range_bounds(s, sel, true, &a, &b, &c, k2);
			if (rc)
				return rc;
			if (a < b && c + 1 <= d->end[c])
				add_entry(s, (struct entry){ c + 1, d->end[c],
							     c, true, a, b,
							     k2[0], k2[1] });
		}
		if (s->ne == before && n_sel > 1 && s->ctx->warnings) {
			char txt[600];
			selector_text(txt, sizeof(txt), sel);
			cw_strv_pushf(s->ctx->warnings,
				      "'%s': selector '%s' has no match",
				      page_name(s->ctx), txt);
		}
	}
	if (!s->ne) {
		char all[1200];
		size_t off = 0;
		all[0] = '\0';
		for (size_t i = 0; i < n_sel && off + 2 < sizeof(all); i++) {
			char txt[600];
			selector_text(txt, sizeof(txt), &src->select[i]);
			int w = snprintf(all + off, sizeof(all) - off, "%s%s",
					 i ? ", " : "", txt);
			if (w < 0)
				break;
			off += (size_t)w;
		}
		return cw_err_set(s->err, CW_EEMPTY,
				  "'%s': extraction failed: selector '%s' has "
				  "no match",
				  page_name(s->ctx), all);
	}
	return CW_OK;
}

/* ---- building the render tree ---- */

struct build {
	struct dom *d;
	const struct cw_extract_page_ctx *ctx;
	struct cw_rtree *t;
	uint32_t *rmap;
	uint8_t *forced;	   /* range ancestors kept (copy_entry) */
	const char *base;	   /* document base URL (page URL or <base>) */
	const char *const *params; /* removeQueryParams names, or NULL */
	size_t n_params;
	bool spaces; /* convertSpacesToStandard */
	struct cw_buf tmp, tmp2;
};

/* The OTA default list for a removeQueryParams filter given no names
 * (engine src/archivist/extract/exposedFilters.js). */
static const char *const default_params[] = { "fbclid",
					      "gclid",
					      "msclkid",
					      "mc_eid",
					      "dclid",
					      "oly_anon_id",
					      "oly_enc_id",
					      "_openstat",
					      "vero_conv",
					      "vero_id",
					      "wickedid",
					      "yclid",
					      "__s",
					      "rb_clickid",
					      "s_cid",
					      "ml_subscriber",
					      "ml_subscriber_hash",
					      "_hsenc",
					      "__hssc",
					      "__hstc",
					      "__hsfp",
					      "hsCtaTracking",
					      "mkt_tok" };

static void store_url(struct build *b, uint32_t r, const char *s, size_t n)
{
	b->t->n[r].off = cw_rtree_store(b->t, s, n);
	b->t->n[r].len = (uint32_t)n;
	b->t->n[r].has_url = 1;
}

/* Links: absolute, tracking parameters dropped. Returns true for an
 * email-protection link, which is replaced as OTA does. */
static bool fix_link(struct build *b, uint32_t r, const GumboElement *el)
{
	const GumboAttribute *h = gumbo_get_attribute(&el->attributes, "href");
	if (!h)
		return false;
	const char *v = h->value;
	cw_buf_clear(&b->tmp);
	bool abs = cw_extract_url_resolve(&b->tmp, b->base, v, strlen(v));
	if (!abs && b->ctx->in->url)
		abs = cw_extract_url_resolve(&b->tmp, b->ctx->in->url, v,
					     strlen(v));
	if (abs && b->n_params) {
		cw_buf_clear(&b->tmp2);
		if (cw_extract_url_strip_params(&b->tmp2, cw_buf_str(&b->tmp),
						b->params, b->n_params)) {
			store_url(b, r, b->tmp2.ptr, b->tmp2.len);
			return false;
		}
	}
	if (abs && v[0] && v[0] != '#') {
		if (strstr(v, "/email-protection")) {
			const char *hash = strchr(cw_buf_str(&b->tmp), '#');
			size_t n = hash ? (size_t)(hash - b->tmp.ptr)
					: b->tmp.len;
			store_url(b, r, b->tmp.ptr, n);
			return true;
		}
		store_url(b, r, b->tmp.ptr, b->tmp.len);
	}
	return false;
}

static void fix_image(struct build *b, uint32_t r, const GumboElement *el)
{
	const GumboAttribute *s = gumbo_get_attribute(&el->attributes, "src");
	if (!s || !b->n_params)
		return;
	cw_buf_clear(&b->tmp);
	if (!cw_extract_url_resolve(&b->tmp, b->base, s->value,
				    strlen(s->value)))
		return;
	cw_buf_clear(&b->tmp2);
	if (cw_extract_url_strip_params(&b->tmp2, cw_buf_str(&b->tmp),
					b->params, b->n_params))
		store_url(b, r, b->tmp2.ptr, b->tmp2.len);
}

/* Unicode space separators (Zs) to U+0020, for convertSpacesToStandard. */
static void add_text(struct build *b, uint32_t r, const char *s, size_t n)
{
	if (!b->spaces) {
		b->t->n[r].off = cw_rtree_store(b->t, s, n);
		b->t->n[r].len = (uint32_t)n;
		return;
	}
	cw_buf_clear(&b->tmp);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = cw_utf8_decode(s + i, n - i, &cp);
		if (cp == 0xA0 || cp == 0x1680 ||
		    (cp >= 0x2000 && cp <= 0x200A) || cp == 0x202F ||
		    cp == 0x205F || cp == 0x3000)
			cw_buf_addc(&b->tmp, ' ');
		else
			cw_buf_add(&b->tmp, s + i, k);
		i += k;
	}
	b->t->n[r].off = cw_rtree_store(b->t, cw_buf_str(&b->tmp), b->tmp.len);
	b->t->n[r].len = (uint32_t)b->tmp.len;
}

static void copy_entry(struct build *b, const struct entry *e)
{
	struct dom *d = b->d;
	int max_depth = b->ctx->opts->max_depth;
	b->rmap[e->top] = 0;
	/* Range.cloneContents also keeps, empty if need be, the ancestors of
	 * the boundary containers below the common ancestor */
	if (e->range)
		for (int k = 0; k < 2; k++)
			for (uint32_t x = k ? e->ec : e->sc; x != e->top && x;
			     x = d->parent[x])
				b->forced[x] = 1;
	uint32_t i = e->start;
	while (i <= e->stop) {
		if (d->removed[i] ||
		    (e->range && !(i < e->b && d->end[i] >= e->a) &&
		     !b->forced[i])) {
			i = d->end[i] + 1;
			continue;
		}
		const GumboNode *g = d->node[i];
		uint32_t rp = b->rmap[d->parent[i]];
		switch (g->type) {
		case GUMBO_NODE_ELEMENT: {
			GumboTag tag = g->v.element.tag;
			/* SVG and MathML elements follow no Markdown rule */
			GumboTag rtag = g->v.element.tag_namespace ==
							GUMBO_NAMESPACE_HTML
						? tag
						: GUMBO_TAG_UNKNOWN;
			/* script and style are dropped (OTA); a template's content
			 * is not part of the document tree in a DOM */
			if (tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE ||
			    tag == GUMBO_TAG_TEMPLATE) {
				i = d->end[i] + 1;
				continue;
			}
			if (max_depth > 0 &&
			    d->depth[i] > (uint32_t)max_depth) {
				/* past the depth cap elements are transparent: their
				 * text still counts, their structure no longer */
				b->rmap[i] = rp;
				break;
			}
			uint32_t r = cw_rtree_add(b->t, rp, CW_RN_ELEMENT, rtag,
						  &g->v.element);
			b->rmap[i] = r;
			bool skip = false;
			if (tag == GUMBO_TAG_A &&
			    fix_link(b, r, &g->v.element)) {
				uint32_t tx = cw_rtree_add(b->t, r, CW_RN_TEXT,
							   GUMBO_TAG_UNKNOWN,
							   NULL);
				static const char ep[] = "[email\xC2\xA0protect"
							 "ed]";
				add_text(b, tx, ep, sizeof(ep) - 1);
				skip = true;
			} else if (tag == GUMBO_TAG_IMG) {
				fix_image(b, r, &g->v.element);
			}
			if (skip) {
				i = d->end[i] + 1;
				continue;
			}
			break;
		}
		case GUMBO_NODE_TEXT:
		case GUMBO_NODE_WHITESPACE:
		case GUMBO_NODE_CDATA: {
			uint32_t r = cw_rtree_add(b->t, rp, CW_RN_TEXT,
						  GUMBO_TAG_UNKNOWN, NULL);
			add_text(b, r, g->v.text.text, strlen(g->v.text.text));
			break;
		}
		case GUMBO_NODE_TEMPLATE:
		default:
			i = d->end[i] + 1;
			continue;
		}
		i++;
	}
	if (e->range)
		for (int k = 0; k < 2; k++)
			for (uint32_t x = k ? e->ec : e->sc; x != e->top && x;
			     x = d->parent[x])
				b->forced[x] = 0;
}

/* The document base URL: the page URL, or the first <base href>. */
static char *doc_base(const struct dom *d, const char *page_url)
{
	for (size_t k = 0; k < d->n; k++) {
		const GumboNode *g = d->node[k];
		if (g->type != GUMBO_NODE_ELEMENT ||
		    g->v.element.tag != GUMBO_TAG_BASE)
			continue;
		const GumboAttribute *h =
			gumbo_get_attribute(&g->v.element.attributes, "href");
		if (!h)
			continue;
		struct cw_buf b = CW_BUF_INIT;
		if (cw_extract_url_resolve(&b, page_url, h->value,
					   strlen(h->value)))
			return cw_buf_detach(&b, NULL);
		cw_buf_release(&b);
		break;
	}
	return page_url ? cw_strdup(page_url) : NULL;
}

int cw_extract_html(struct cw_buf *out, const struct cw_extract_page_ctx *ctx,
		    struct cw_err *err)
{
	const struct cw_extract_input *in = ctx->in;
	const struct cw_decl_source *src = ctx->src;
	struct cw_buf utf8 = CW_BUF_INIT, lean = CW_BUF_INIT;
	struct dom d;
	struct sel s;
	struct build b;
	struct cw_rtree t;
	char *base = NULL;
	bool js;
	int rc;

	memset(&d, 0, sizeof(d));
	memset(&s, 0, sizeof(s));
	memset(&b, 0, sizeof(b));
	cw_rtree_init(&t);
	/* windows-1252 to UTF-8 may triple the size */
	cw_buf_init(&utf8, ctx->opts->max_input * 3 + 16);

	rc = cw_extract_decode_html(&utf8, in->data, in->len, in->charset,
				    page_name(ctx), ctx->warnings, err);
	if (rc)
		goto out;
	/* JavaScript filters, on the whole document before remove and
	 * select; the runner then applies the built-in filters too, in the
	 * declared order, so none is applied again below */
	js = src && cw_extract_filters_wanted(ctx);
	if (js) {
		rc = cw_extract_filters_run(&utf8, ctx, err);
		if (rc)
			goto out;
	}
	cw_buf_init(&lean, 0);
	if (!prepare(&lean, cw_buf_str(&utf8), utf8.len, MAX_PARSE_DEPTH)) {
		rc = cw_err_set(err, CW_ETOOBIG,
				"'%s': elements nested deeper than %d",
				page_name(ctx), MAX_PARSE_DEPTH);
		goto out;
	}
	cw_buf_release(&utf8);
	d.g = gumbo_parse_with_options(&kGumboDefaultOptions, cw_buf_str(&lean),
				       lean.len);
	if (!d.g) {
		rc = cw_err_set(err, CW_EPARSE,
				"'%s': HTML could not be parsed",
				page_name(ctx));
		goto out;
	}
	dom_index(&d);

	s.d = &d;
	s.ctx = ctx;
	s.err = err;
	if (src) {
		rc = apply_remove(&s, src);
		if (rc)
			goto out;
		detach_removed(&d);
	}
	rc = apply_select(&s, src);
	if (rc)
		goto out;

	b.d = &d;
	b.ctx = ctx;
	b.t = &t;
	b.rmap = cw_calloc(d.n ? d.n : 1, sizeof(uint32_t));
	b.forced = cw_calloc(d.n ? d.n : 1, 1);
	base = doc_base(&d, in->url);
	b.base = base;
	cw_buf_init(&b.tmp, 0);
	cw_buf_init(&b.tmp2, 0);
	for (size_t i = 0; src && !js && i < src->n_filters; i++) {
		const struct cw_decl_filter *f = &src->filters[i];
		if (!strcmp(f->name, "removeQueryParams")) {
			if (f->params.n) {
				b.params = (const char *const *)f->params.v;
				b.n_params = f->params.n;
			} else {
				b.params = default_params;
				b.n_params = sizeof(default_params) /
					     sizeof(default_params[0]);
			}
		} else if (!strcmp(f->name, "convertSpacesToStandard")) {
			b.spaces = true;
		}
	}
	for (size_t i = 0; i < s.ne; i++)
		copy_entry(&b, &s.e[i]);
	free(b.rmap);
	free(b.forced);
	cw_buf_release(&b.tmp);
	cw_buf_release(&b.tmp2);

	rc = cw_extract_markdown(out, &t, err);
out:
	free(base);
	free(s.e);
	cw_rtree_release(&t);
	dom_free(&d);
	cw_buf_release(&utf8);
	cw_buf_release(&lean);
	return rc;
}
