/*
 * markdown: render the render tree as Markdown.
 *
 * The output must match Open Terms Archive's versions word for word, so
 * this follows the conventions of the converter OTA uses, turndown 7.2
 * (https://github.com/mixmark-io/turndown) with its default options and
 * the GFM table rules of joplin-turndown-plugin-gfm: setext headings for
 * levels 1-2 and ATX beyond, `*   ` bullets and `1.  ` numbers with
 * continuation lines indented by the marker's width, `_em_`, `**strong**`,
 * inline links and images, `* * *` rules, `> ` quotes, indented code
 * blocks, backslash escapes of Markdown characters in text, pipe tables
 * with an empty header row when the table has none, and `<br>` for line
 * breaks inside cells. The algorithm is turndown's: whitespace is first
 * collapsed over the whole tree (collapse-whitespace, block elements
 * ending runs), then each element's content is rendered and wrapped by the
 * rule for its tag, siblings being joined with at most two newlines.
 * Everything here is our own code; only the conventions are theirs.
 *
 * Cost: each element's content is built once and copied into its parent,
 * so time is O(output size x nesting depth), and depth is capped when the
 * tree is built.
 */
#include "extract_int.h"

#include <strings.h>

#define NONE 0u

struct md {
	struct cw_rtree *t;
	/* per-depth scratch buffers, so that no element allocates */
	struct cw_buf **content, **rep, **tmp;
	size_t depths;
	size_t max;
	int rc;
};

/* ---- element classes (turndown's lists) ---- */

static bool is_block_tag(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_ADDRESS:
	case GUMBO_TAG_ARTICLE:
	case GUMBO_TAG_ASIDE:
	case GUMBO_TAG_AUDIO:
	case GUMBO_TAG_BLOCKQUOTE:
	case GUMBO_TAG_BODY:
	case GUMBO_TAG_CANVAS:
	case GUMBO_TAG_CENTER:
	case GUMBO_TAG_DD:
	case GUMBO_TAG_DIR:
	case GUMBO_TAG_DIV:
	case GUMBO_TAG_DL:
	case GUMBO_TAG_DT:
	case GUMBO_TAG_FIELDSET:
	case GUMBO_TAG_FIGCAPTION:
	case GUMBO_TAG_FIGURE:
	case GUMBO_TAG_FOOTER:
	case GUMBO_TAG_FORM:
	case GUMBO_TAG_FRAMESET:
	case GUMBO_TAG_H1:
	case GUMBO_TAG_H2:
	case GUMBO_TAG_H3:
	case GUMBO_TAG_H4:
	case GUMBO_TAG_H5:
	case GUMBO_TAG_H6:
	case GUMBO_TAG_HEADER:
	case GUMBO_TAG_HGROUP:
	case GUMBO_TAG_HR:
	case GUMBO_TAG_HTML:
	case GUMBO_TAG_ISINDEX:
	case GUMBO_TAG_LI:
	case GUMBO_TAG_MAIN:
	case GUMBO_TAG_MENU:
	case GUMBO_TAG_NAV:
	case GUMBO_TAG_NOFRAMES:
	case GUMBO_TAG_NOSCRIPT:
	case GUMBO_TAG_OL:
	case GUMBO_TAG_OUTPUT:
	case GUMBO_TAG_P:
	case GUMBO_TAG_PRE:
	case GUMBO_TAG_SECTION:
	case GUMBO_TAG_TABLE:
	case GUMBO_TAG_TBODY:
	case GUMBO_TAG_TD:
	case GUMBO_TAG_TFOOT:
	case GUMBO_TAG_TH:
	case GUMBO_TAG_THEAD:
	case GUMBO_TAG_TR:
	case GUMBO_TAG_UL:
		return true;
	default:
		return false;
	}
}

static bool is_void_tag(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_AREA:
	case GUMBO_TAG_BASE:
	case GUMBO_TAG_BR:
	case GUMBO_TAG_COL:
	case GUMBO_TAG_EMBED:
	case GUMBO_TAG_HR:
	case GUMBO_TAG_IMG:
	case GUMBO_TAG_INPUT:
	case GUMBO_TAG_KEYGEN:
	case GUMBO_TAG_LINK:
	case GUMBO_TAG_META:
	case GUMBO_TAG_PARAM:
	case GUMBO_TAG_SOURCE:
	case GUMBO_TAG_TRACK:
	case GUMBO_TAG_WBR:
		return true;
	default:
		return false;
	}
}

static bool is_meaningful_tag(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_A:
	case GUMBO_TAG_TABLE:
	case GUMBO_TAG_THEAD:
	case GUMBO_TAG_TBODY:
	case GUMBO_TAG_TFOOT:
	case GUMBO_TAG_TH:
	case GUMBO_TAG_TD:
	case GUMBO_TAG_IFRAME:
	case GUMBO_TAG_SCRIPT:
	case GUMBO_TAG_AUDIO:
	case GUMBO_TAG_VIDEO:
		return true;
	default:
		return false;
	}
}

static bool is_elem(const struct cw_rtree *t, uint32_t i, GumboTag tag)
{
	return i && t->n[i].kind == CW_RN_ELEMENT && t->n[i].tag == tag;
}

static bool is_block(const struct cw_rtree *t, uint32_t i)
{
	return t->n[i].kind == CW_RN_ELEMENT && is_block_tag(t->n[i].tag);
}

static char *text_of(const struct cw_rtree *t, uint32_t i)
{
	return t->arena + t->n[i].off;
}

/* JavaScript's \s: the characters trim() removes. */
static bool js_space(uint32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000 ||
	       c == 0xfeff;
}

static bool ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Length of the whitespace character at s, 0 if none. */
static size_t space_at(const char *s, size_t n)
{
	uint32_t cp;
	if (!n)
		return 0;
	size_t k = cw_utf8_decode(s, n, &cp);
	return js_space(cp) ? k : 0;
}

/* Length of the whitespace character ending at s[n-1], 0 if none. */
static size_t space_before(const char *s, size_t n)
{
	if (!n)
		return 0;
	/* the start of the last character, at most 4 bytes back */
	size_t k = n - cw_utf8_floor(s, n > 4 ? n - 4 : 0, n - 1);
	uint32_t cp;
	if (cw_utf8_decode(s + n - k, k, &cp) != k)
		return 0;
	return js_space(cp) ? k : 0;
}

/* ---- buffers with a sticky size error ---- */

static void put(struct md *m, struct cw_buf *b, const char *s, size_t n)
{
	if (m->rc)
		return;
	if (cw_buf_add(b, s, n))
		m->rc = CW_ETOOBIG;
}

static void puts_(struct md *m, struct cw_buf *b, const char *s)
{
	put(m, b, s, strlen(s));
}

static void putc_(struct md *m, struct cw_buf *b, char c)
{
	put(m, b, &c, 1);
}

/* ---- tree edits ---- */

static void unlink_node(struct cw_rtree *t, uint32_t i)
{
	struct cw_rn *r = &t->n[i];
	struct cw_rn *p = &t->n[r->parent];
	if (r->prev)
		t->n[r->prev].next = r->next;
	else
		p->first = r->next;
	if (r->next)
		t->n[r->next].prev = r->prev;
	else
		p->last = r->prev;
	r->dead = 1;
	r->next = r->prev = NONE;
}

/*
 * Whitespace collapsing, as turndown's collapse-whitespace: runs of ASCII
 * whitespace become one space; a space is dropped at the start of a text
 * that follows a space or a block boundary, and at the end of a text
 * before a block boundary or <br>; inside <pre> nothing changes; void
 * elements (but <br>) protect the space after them. Texts left empty are
 * removed.
 */
static uint32_t cw_next(const struct cw_rtree *t, uint32_t prev, uint32_t cur)
{
	const struct cw_rn *c = &t->n[cur];
	if ((prev && t->n[prev].parent == cur) ||
	    is_elem(t, cur, GUMBO_TAG_PRE))
		return c->next ? c->next : c->parent;
	if (c->first)
		return c->first;
	return c->next ? c->next : c->parent;
}

static uint32_t cw_remove(struct cw_rtree *t, uint32_t i)
{
	uint32_t nx = t->n[i].next ? t->n[i].next : t->n[i].parent;
	unlink_node(t, i);
	return nx;
}

static void collapse(struct cw_rtree *t)
{
	if (!t->n[0].first)
		return;
	uint32_t prev_text = NONE, prev = NONE;
	bool keep_leading = false;
	uint32_t node = cw_next(t, NONE, 0);
	while (node != 0) {
		struct cw_rn *r = &t->n[node];
		if (r->kind == CW_RN_TEXT) {
			char *s = text_of(t, node);
			size_t w = 0;
			for (size_t i = 0; i < r->len;) {
				if (ascii_space(s[i])) {
					while (i < r->len && ascii_space(s[i]))
						i++;
					s[w++] = ' ';
				} else {
					s[w++] = s[i++];
				}
			}
			size_t start = 0;
			bool prev_space =
				!prev_text ||
				(t->n[prev_text].len &&
				 text_of(t,
					 prev_text)[t->n[prev_text].len - 1] ==
					 ' ');
			if (prev_space && !keep_leading && w && s[0] == ' ')
				start = 1;
			if (start)
				memmove(s, s + 1, w - 1);
			r->len = (uint32_t)(w - start);
			s[r->len] = '\0';
			if (!r->len) {
				node = cw_remove(t, node);
				continue;
			}
			prev_text = node;
		} else if (r->kind == CW_RN_ELEMENT) {
			if (is_block_tag(r->tag) || r->tag == GUMBO_TAG_BR) {
				if (prev_text) {
					struct cw_rn *p = &t->n[prev_text];
					if (p->len &&
					    text_of(t, prev_text)[p->len - 1] ==
						    ' ')
						text_of(t,
							prev_text)[--p->len] =
							'\0';
				}
				prev_text = NONE;
				keep_leading = false;
			} else if (is_void_tag(r->tag) ||
				   r->tag == GUMBO_TAG_PRE) {
				prev_text = NONE;
				keep_leading = true;
			} else if (prev_text) {
				keep_leading = false;
			}
		}
		uint32_t nx = cw_next(t, prev, node);
		prev = node;
		node = nx;
	}
	if (prev_text) {
		struct cw_rn *p = &t->n[prev_text];
		if (p->len && text_of(t, prev_text)[p->len - 1] == ' ')
			text_of(t, prev_text)[--p->len] = '\0';
		if (!p->len)
			unlink_node(t, prev_text);
	}
}

/* Blank-ness inputs, bottom-up: children always follow their parent. */
static void compute_flags(struct cw_rtree *t)
{
	for (size_t i = 0; i < t->len; i++) {
		struct cw_rn *r = &t->n[i];
		r->ws_only = 1;
		r->has_vm = 0;
		if (r->kind == CW_RN_TEXT) {
			const char *s = text_of(t, (uint32_t)i);
			for (size_t k = 0; k < r->len;) {
				size_t w = space_at(s + k, r->len - k);
				if (!w) {
					r->ws_only = 0;
					break;
				}
				k += w;
			}
		}
	}
	for (size_t i = t->len; i-- > 1;) {
		struct cw_rn *r = &t->n[i];
		if (r->dead)
			continue;
		struct cw_rn *p = &t->n[r->parent];
		p->ws_only &= r->ws_only;
		if (r->kind == CW_RN_ELEMENT)
			p->has_vm |= r->has_vm | is_void_tag(r->tag) |
				     is_meaningful_tag(r->tag);
	}
}

static bool is_blank(const struct cw_rtree *t, uint32_t i)
{
	const struct cw_rn *r = &t->n[i];
	return !is_void_tag(r->tag) && !is_meaningful_tag(r->tag) &&
	       r->ws_only && !r->has_vm;
}

/* ---- textContent edges ---- */

/* Next node in document order inside `root`'s subtree, or NONE. */
static uint32_t next_in(const struct cw_rtree *t, uint32_t i, uint32_t root)
{
	if (t->n[i].first)
		return t->n[i].first;
	while (i != root) {
		if (t->n[i].next)
			return t->n[i].next;
		i = t->n[i].parent;
	}
	return NONE;
}

/* Previous node in reverse document order (last descendants first). */
static uint32_t prev_in(const struct cw_rtree *t, uint32_t i, uint32_t root)
{
	if (t->n[i].last)
		return t->n[i].last;
	while (i != root) {
		if (t->n[i].prev)
			return t->n[i].prev;
		i = t->n[i].parent;
	}
	return NONE;
}

/* Does the textContent of `i` end (last) or start (!last) with a space? */
static bool text_edge_is_space(const struct cw_rtree *t, uint32_t i, bool last)
{
	if (t->n[i].kind == CW_RN_TEXT)
		return t->n[i].len &&
		       text_of(t, i)[last ? t->n[i].len - 1 : 0] == ' ';
	for (uint32_t k = last ? prev_in(t, i, i) : next_in(t, i, i); k;
	     k = last ? prev_in(t, k, i) : next_in(t, k, i)) {
		if (t->n[k].kind == CW_RN_TEXT && t->n[k].len)
			return text_of(t, k)[last ? t->n[k].len - 1 : 0] == ' ';
	}
	return false;
}

/* turndown's isFlankedByWhitespace */
static bool flanked(const struct cw_rtree *t, uint32_t i, bool left)
{
	uint32_t s = left ? t->n[i].prev : t->n[i].next;
	if (!s)
		return false;
	if (t->n[s].kind == CW_RN_TEXT)
		return text_edge_is_space(t, s, left);
	if (is_block(t, s))
		return false;
	return text_edge_is_space(t, s, left);
}

/*
 * Leading (or trailing) whitespace of the textContent of element i, as
 * turndown's edgeWhitespace splits it: `ascii` receives the length of the
 * run of ASCII whitespace at the outer edge. Returns false when the text
 * is all whitespace (then `ws` holds all of it when leading).
 */
static bool edge_ws(struct md *m, uint32_t i, bool trailing, struct cw_buf *ws,
		    size_t *ascii)
{
	const struct cw_rtree *t = m->t;
	cw_buf_clear(ws);
	if (!trailing) {
		for (uint32_t k = next_in(t, i, i); k; k = next_in(t, k, i)) {
			if (t->n[k].kind != CW_RN_TEXT)
				continue;
			const char *s = text_of(t, k);
			size_t n = t->n[k].len, p = 0;
			while (p < n) {
				size_t w = space_at(s + p, n - p);
				if (!w) {
					put(m, ws, s, p);
					goto lead_done;
				}
				p += w;
			}
			put(m, ws, s, n);
		}
		*ascii = 0;
		while (*ascii < ws->len && ascii_space(ws->ptr[*ascii]))
			(*ascii)++;
		return false;
	lead_done:
		*ascii = 0;
		while (*ascii < ws->len && ascii_space(ws->ptr[*ascii]))
			(*ascii)++;
		return true;
	}
	/* trailing: collect backwards, then the string is reversed by parts */
	size_t nparts = 0, pcap = 0;
	struct part {
		const char *s;
		size_t n;
	} *parts = NULL;
	bool found = false;
	for (uint32_t k = prev_in(t, i, i); k; k = prev_in(t, k, i)) {
		if (t->n[k].kind != CW_RN_TEXT)
			continue;
		const char *s = text_of(t, k);
		size_t n = t->n[k].len, p = n;
		while (p > 0) {
			size_t w = space_before(s, p);
			if (!w)
				break;
			p -= w;
		}
		CW_GROW(parts, pcap, nparts + 1);
		parts[nparts++] = (struct part){ s + p, n - p };
		if (p > 0) {
			found = true;
			break;
		}
	}
	*ascii = 0;
	if (found) {
		for (size_t q = nparts; q-- > 0;)
			put(m, ws, parts[q].s, parts[q].n);
		while (*ascii < ws->len &&
		       ascii_space(ws->ptr[ws->len - 1 - *ascii]))
			(*ascii)++;
	}
	free(parts);
	return found;
}

/* ---- attributes ---- */

static const char *attr(const struct cw_rtree *t, uint32_t i, const char *name)
{
	const GumboElement *el = t->n[i].el;
	if (!el)
		return NULL;
	const GumboAttribute *a = gumbo_get_attribute(&el->attributes, name);
	return a ? a->value : NULL;
}

/* getAttribute('href') / ('src') with our override (absolute URL) */
static const char *url_attr(const struct cw_rtree *t, uint32_t i,
			    const char *name)
{
	if (t->n[i].has_url)
		return text_of(t, i);
	return attr(t, i, name);
}

/* turndown's cleanAttribute: runs of newlines (and what follows) -> \n */
static void clean_attr(struct md *m, struct cw_buf *out, const char *s)
{
	if (!s)
		return;
	for (size_t i = 0; s[i];) {
		if (s[i] == '\n') {
			while (s[i]) {
				if (s[i] == '\n') {
					i++;
					continue;
				}
				size_t w = space_at(s + i, strlen(s + i));
				if (!w)
					break;
				i += w;
			}
			putc_(m, out, '\n');
		} else {
			putc_(m, out, s[i++]);
		}
	}
}

/* turndown's escapeLinkDestination: \ before < > ( ), <...> around a
 * destination with a space */
static void put_destination(struct md *m, struct cw_buf *r, const char *d)
{
	bool space = strchr(d, ' ') != NULL;
	if (space)
		putc_(m, r, '<');
	for (; *d; d++) {
		if (*d == '<' || *d == '>' || *d == '(' || *d == ')')
			putc_(m, r, '\\');
		putc_(m, r, *d);
	}
	if (space)
		putc_(m, r, '>');
}

/* The "](destination "title")" that ends a link or an image; `tmp` is
 * scratch for the cleaned title. */
static void put_link_tail(struct md *m, struct cw_buf *r, struct cw_buf *tmp,
			  const char *dest, const char *title)
{
	puts_(m, r, "](");
	put_destination(m, r, dest);
	cw_buf_clear(tmp);
	clean_attr(m, tmp, title);
	if (tmp->len) {
		puts_(m, r, " \"");
		for (size_t k = 0; k < tmp->len; k++) {
			if (tmp->ptr[k] == '"')
				putc_(m, r, '\\');
			putc_(m, r, tmp->ptr[k]);
		}
		putc_(m, r, '"');
	}
	putc_(m, r, ')');
}

/* ---- joining ---- */

static void join(struct md *m, struct cw_buf *out, const char *s, size_t n)
{
	size_t tr = 0, ld = 0;
	while (tr < out->len && out->ptr[out->len - 1 - tr] == '\n')
		tr++;
	while (ld < n && s[ld] == '\n')
		ld++;
	size_t nl = tr > ld ? tr : ld;
	if (nl > 2)
		nl = 2;
	cw_buf_truncate(out, out->len - tr);
	put(m, out, "\n\n", nl);
	put(m, out, s + ld, n - ld);
}

/* ---- escaping (turndown 7 escape rules) ---- */

static void escape_text(struct md *m, struct cw_buf *out, const char *s,
			size_t n)
{
	size_t i = 0;
	/* line-start rules apply at the start of the text only */
	if (n && s[0] == '-') {
		puts_(m, out, "\\-");
		i = 1;
	} else if (n >= 2 && s[0] == '+' && s[1] == ' ') {
		puts_(m, out, "\\+ ");
		i = 2;
	} else if (n && s[0] == '=') {
		putc_(m, out, '\\');
		while (i < n && s[i] == '=')
			putc_(m, out, s[i++]);
	} else if (n && s[0] == '#') {
		size_t k = 0;
		while (k < n && s[k] == '#')
			k++;
		if (k <= 6 && k < n && s[k] == ' ') {
			putc_(m, out, '\\');
			put(m, out, s, k + 1);
			i = k + 1;
		}
	} else if (n >= 3 && !memcmp(s, "~~~", 3)) {
		puts_(m, out, "\\~~~");
		i = 3;
	} else if (n && s[0] == '>') {
		puts_(m, out, "\\>");
		i = 1;
	} else if (n && s[0] >= '0' && s[0] <= '9') {
		size_t k = 0;
		while (k < n && s[k] >= '0' && s[k] <= '9')
			k++;
		if (k + 1 < n && s[k] == '.' && s[k + 1] == ' ') {
			put(m, out, s, k);
			puts_(m, out, "\\. ");
			i = k + 2;
		}
	}
	size_t run = i;
	for (; i < n; i++) {
		char c = s[i];
		if (c == '\\' || c == '*' || c == '`' || c == '[' || c == ']' ||
		    c == '_') {
			put(m, out, s + run, i - run);
			putc_(m, out, '\\');
			run = i;
		}
	}
	put(m, out, s + run, n - run);
}

/* ---- tables (joplin-turndown-plugin-gfm conventions) ---- */

static uint32_t parent_table(const struct cw_rtree *t, uint32_t i)
{
	for (uint32_t p = t->n[i].parent; p; p = t->n[p].parent)
		if (is_elem(t, p, GUMBO_TAG_TABLE))
			return p;
	return NONE;
}

static bool is_section(const struct cw_rtree *t, uint32_t i)
{
	return is_elem(t, i, GUMBO_TAG_THEAD) ||
	       is_elem(t, i, GUMBO_TAG_TBODY) || is_elem(t, i, GUMBO_TAG_TFOOT);
}

/* table.rows, in tree order; calls fn for each, stops when it returns true */
static uint32_t first_row(const struct cw_rtree *t, uint32_t table,
			  size_t *nrows, size_t *maxcols)
{
	uint32_t first = NONE;
	*nrows = 0;
	*maxcols = 0;
	for (uint32_t c = t->n[table].first; c; c = t->n[c].next) {
		uint32_t lo = c, hi = c;
		bool sec = is_section(t, c);
		if (sec) {
			lo = t->n[c].first;
			hi = t->n[c].last;
		}
		if (!lo)
			continue;
		for (uint32_t r = lo;; r = t->n[r].next) {
			if (is_elem(t, r, GUMBO_TAG_TR)) {
				if (!first)
					first = r;
				(*nrows)++;
				size_t nc = 0;
				for (uint32_t k = t->n[r].first; k;
				     k = t->n[k].next)
					nc++;
				if (nc > *maxcols)
					*maxcols = nc;
			}
			if (r == hi || !sec)
				break;
		}
	}
	return first;
}

static bool contains_table(const struct cw_rtree *t, uint32_t i)
{
	for (uint32_t k = next_in(t, i, i); k; k = next_in(t, k, i))
		if (is_elem(t, k, GUMBO_TAG_TABLE))
			return true;
	return false;
}

static bool table_skipped(struct cw_rtree *t, uint32_t table)
{
	if (!table)
		return true;
	if (t->n[table].tskip)
		return t->n[table].tskip == 2;
	size_t nrows, maxcols;
	uint32_t r0 = first_row(t, table, &nrows, &maxcols);
	bool skip = false;
	if (nrows == 1) {
		size_t nc = 0;
		for (uint32_t k = t->n[r0].first; k; k = t->n[k].next)
			nc++;
		skip = nc <= 1;
	}
	if (!skip)
		skip = contains_table(t, table);
	t->n[table].tskip = skip ? 2 : 1;
	return skip;
}

static bool is_heading_row(const struct cw_rtree *t, uint32_t tr)
{
	if (!tr)
		return false;
	uint32_t p = t->n[tr].parent;
	if (is_elem(t, p, GUMBO_TAG_THEAD))
		return true;
	if (t->n[p].first != tr)
		return false;
	bool first_tbody = false;
	if (is_elem(t, p, GUMBO_TAG_TBODY)) {
		uint32_t ps = t->n[p].prev;
		first_tbody = !ps || (is_elem(t, ps, GUMBO_TAG_THEAD) &&
				      t->n[ps].ws_only);
	}
	if (!is_elem(t, p, GUMBO_TAG_TABLE) && !first_tbody)
		return false;
	for (uint32_t k = t->n[tr].first; k; k = t->n[k].next)
		if (!is_elem(t, k, GUMBO_TAG_TH))
			return false;
	return true;
}

static void trim_js(const char **s, size_t *n)
{
	size_t w;
	while (*n && (w = space_at(*s, *n)) != 0) {
		*s += w;
		*n -= w;
	}
	while (*n && (w = space_before(*s, *n)) != 0)
		*n -= w;
}

static size_t utf16_len(const char *s, size_t n)
{
	size_t u = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += cw_utf8_decode(s + i, n - i, &cp);
		u += cp >= 0x10000 ? 2 : 1;
	}
	return u;
}

/* Does the second line of the trimmed content start with "| ---"? (the
 * plugin's test for a header row already rendered) */
static bool second_line_is_divider(const char *c, size_t n)
{
	trim_js(&c, &n);
	const char *nl = memchr(c, '\n', n);
	if (!nl)
		return false;
	/* blank lines do not count: the plugin collapses newline runs first */
	while (nl < c + n && *nl == '\n')
		nl++;
	size_t rest = (size_t)(c + n - nl);
	return rest >= 5 && !memcmp(nl, "| ---", 5);
}

static void cell(struct md *m, struct cw_buf *out, const char *c, size_t n,
		 uint32_t node, size_t index)
{
	puts_(m, out, index == 0 ? "| " : " ");
	trim_js(&c, &n);
	size_t start = out->len;
	for (size_t i = 0; i < n; i++) {
		if (c[i] == '\n' && i + 1 < n && c[i + 1] == '\r') {
			puts_(m, out, "<br>");
			i++;
		} else if (c[i] == '\n') {
			puts_(m, out, "<br>");
		} else if (c[i] == '|') {
			/* a run of pipes becomes one escaped pipe */
			while (i + 1 < n && c[i + 1] == '|')
				i++;
			puts_(m, out, "\\|");
		} else {
			putc_(m, out, c[i]);
		}
	}
	/* padded to 3 characters as JavaScript counts them (UTF-16) */
	for (size_t u = utf16_len(out->ptr ? out->ptr + start : "",
				  out->len - start);
	     u < 3; u++)
		putc_(m, out, ' ');
	if (node) {
		const char *cs = attr(m->t, node, "colspan");
		long span = cs ? strtol(cs, NULL, 10) : 1;
		for (long k = 1; k < span && k < 1000; k++)
			puts_(m, out, " |    ");
	}
	puts_(m, out, " |");
}

/* ---- rendering ---- */

static void process(struct md *m, uint32_t parent, bool in_code, size_t depth,
		    struct cw_buf *out);

static void ensure_depth(struct md *m, size_t depth)
{
	if (depth < m->depths)
		return;
	size_t nd = m->depths ? m->depths * 2 : 16;
	while (nd <= depth)
		nd *= 2;
	m->content = cw_reallocarray(m->content, nd, sizeof(*m->content));
	m->rep = cw_reallocarray(m->rep, nd, sizeof(*m->rep));
	m->tmp = cw_reallocarray(m->tmp, nd, sizeof(*m->tmp));
	for (size_t i = m->depths; i < nd; i++) {
		/* separately allocated, so pointers stay valid as this grows */
		m->content[i] = cw_malloc(sizeof(struct cw_buf));
		m->rep[i] = cw_malloc(sizeof(struct cw_buf));
		m->tmp[i] = cw_malloc(sizeof(struct cw_buf));
		cw_buf_init(m->content[i], m->max);
		cw_buf_init(m->rep[i], m->max);
		cw_buf_init(m->tmp[i], m->max);
	}
	m->depths = nd;
}

/* textContent of node i appended to out */
static void text_content(struct md *m, struct cw_buf *out, uint32_t i)
{
	const struct cw_rtree *t = m->t;
	for (uint32_t k = next_in(t, i, i); k; k = next_in(t, k, i))
		if (t->n[k].kind == CW_RN_TEXT)
			put(m, out, text_of(t, k), t->n[k].len);
}

static size_t element_index(const struct cw_rtree *t, uint32_t i)
{
	size_t k = 0;
	for (uint32_t s = t->n[i].prev; s; s = t->n[s].prev)
		if (t->n[s].kind == CW_RN_ELEMENT)
			k++;
	return k;
}

static size_t child_index(const struct cw_rtree *t, uint32_t i)
{
	size_t k = 0;
	for (uint32_t s = t->n[i].prev; s; s = t->n[s].prev)
		k++;
	return k;
}

/* The rule for element i applied to `c` (its rendered content). */
static void apply_rule(struct md *m, uint32_t i, const char *c, size_t n,
		       size_t depth, struct cw_buf *r)
{
	struct cw_rtree *t = m->t;
	struct cw_rn *e = &t->n[i];
	GumboTag tag = e->tag;
	struct cw_buf *tmp = m->tmp[depth];
	bool block = is_block_tag(tag);

	if (is_blank(t, i)) {
		if (block)
			puts_(m, r, "\n\n");
		return;
	}
	switch (tag) {
	case GUMBO_TAG_TD:
	case GUMBO_TAG_TH:
		if (table_skipped(t, parent_table(t, i)))
			put(m, r, c, n);
		else
			cell(m, r, c, n, i, child_index(t, i));
		return;
	case GUMBO_TAG_TR: {
		uint32_t table = parent_table(t, i);
		if (table_skipped(t, table)) {
			put(m, r, c, n);
			return;
		}
		putc_(m, r, '\n');
		put(m, r, c, n);
		if (is_heading_row(t, i)) {
			size_t nrows, cols;
			first_row(t, table, &nrows, &cols);
			putc_(m, r, '\n');
			for (size_t k = 0; k < cols; k++)
				cell(m, r, "---", 3, NONE, k);
		}
		return;
	}
	case GUMBO_TAG_TABLE: {
		if (table_skipped(t, i)) {
			put(m, r, c, n);
			return;
		}
		size_t nrows, cols;
		first_row(t, i, &nrows, &cols);
		puts_(m, r, "\n\n");
		if (cols && !second_line_is_divider(c, n)) {
			putc_(m, r, '|');
			for (size_t k = 0; k < cols; k++)
				puts_(m, r, "     |");
			puts_(m, r, "\n|");
			for (size_t k = 0; k < cols; k++)
				puts_(m, r, " --- |");
		}
		for (size_t k = 0; k < n; k++) {
			if (c[k] == '\n' && k > 0 && c[k - 1] == '\n')
				continue;
			putc_(m, r, c[k]);
		}
		puts_(m, r, "\n\n");
		return;
	}
	case GUMBO_TAG_THEAD:
	case GUMBO_TAG_TBODY:
	case GUMBO_TAG_TFOOT:
		put(m, r, c, n);
		return;
	case GUMBO_TAG_S:
	case GUMBO_TAG_DEL:
	case GUMBO_TAG_STRIKE:
		putc_(m, r, '~');
		put(m, r, c, n);
		putc_(m, r, '~');
		return;
	case GUMBO_TAG_INPUT: {
		const char *ty = attr(t, i, "type");
		if (ty && !strcasecmp(ty, "checkbox") &&
		    is_elem(t, e->parent, GUMBO_TAG_LI)) {
			puts_(m, r, attr(t, i, "checked") ? "[x] " : "[ ] ");
			return;
		}
		put(m, r, c, n);
		return;
	}
	case GUMBO_TAG_P:
		puts_(m, r, "\n\n");
		put(m, r, c, n);
		puts_(m, r, "\n\n");
		return;
	case GUMBO_TAG_BR:
		puts_(m, r, "  \n");
		return;
	case GUMBO_TAG_H1:
	case GUMBO_TAG_H2:
	case GUMBO_TAG_H3:
	case GUMBO_TAG_H4:
	case GUMBO_TAG_H5:
	case GUMBO_TAG_H6: {
		int level = tag == GUMBO_TAG_H1	  ? 1
			    : tag == GUMBO_TAG_H2 ? 2
			    : tag == GUMBO_TAG_H3 ? 3
			    : tag == GUMBO_TAG_H4 ? 4
			    : tag == GUMBO_TAG_H5 ? 5
						  : 6;
		puts_(m, r, "\n\n");
		if (level < 3) {
			put(m, r, c, n);
			putc_(m, r, '\n');
			size_t u = utf16_len(c, n);
			for (size_t k = 0; k < u; k++)
				putc_(m, r, level == 1 ? '=' : '-');
		} else {
			put(m, r, "######", (size_t)level);
			putc_(m, r, ' ');
			put(m, r, c, n);
		}
		puts_(m, r, "\n\n");
		return;
	}
	case GUMBO_TAG_BLOCKQUOTE: {
		while (n && c[0] == '\n') {
			c++;
			n--;
		}
		while (n && c[n - 1] == '\n')
			n--;
		puts_(m, r, "\n\n> ");
		for (size_t k = 0; k < n; k++) {
			putc_(m, r, c[k]);
			if (c[k] == '\n')
				puts_(m, r, "> ");
		}
		puts_(m, r, "\n\n");
		return;
	}
	case GUMBO_TAG_UL:
	case GUMBO_TAG_OL: {
		uint32_t p = e->parent;
		bool last_el = false;
		if (is_elem(t, p, GUMBO_TAG_LI)) {
			uint32_t k = t->n[p].last;
			while (k && t->n[k].kind != CW_RN_ELEMENT)
				k = t->n[k].prev;
			last_el = k == i;
		}
		if (last_el) {
			putc_(m, r, '\n');
			put(m, r, c, n);
		} else {
			puts_(m, r, "\n\n");
			put(m, r, c, n);
			puts_(m, r, "\n\n");
		}
		return;
	}
	case GUMBO_TAG_LI: {
		char prefix[32];
		uint32_t p = e->parent;
		if (is_elem(t, p, GUMBO_TAG_OL)) {
			const char *st = attr(t, p, "start");
			long idx = (long)element_index(t, i);
			if (st && *st) {
				char *endp;
				long v = strtol(st, &endp, 10);
				if (*endp)
					snprintf(prefix, sizeof(prefix),
						 "NaN.  ");
				else
					snprintf(prefix, sizeof(prefix),
						 "%ld.  ", v + idx);
			} else {
				snprintf(prefix, sizeof(prefix), "%ld.  ",
					 idx + 1);
			}
		} else {
			snprintf(prefix, sizeof(prefix), "*   ");
		}
		size_t pl = strlen(prefix);
		/* "paragraph" content (ending in a newline) keeps one, even
		 * when it is nothing but newlines */
		bool ends_nl = n && c[n - 1] == '\n';
		while (n && c[0] == '\n') {
			c++;
			n--;
		}
		size_t tn = 0;
		while (tn < n && c[n - 1 - tn] == '\n')
			tn++;
		puts_(m, r, prefix);
		for (size_t k = 0; k < n - tn; k++) {
			putc_(m, r, c[k]);
			if (c[k] == '\n')
				put(m, r, "                                ",
				    pl);
		}
		if (ends_nl) {
			putc_(m, r, '\n');
			put(m, r, "                                ", pl);
		}
		if (e->next)
			putc_(m, r, '\n');
		return;
	}
	case GUMBO_TAG_PRE:
		if (e->first && is_elem(t, e->first, GUMBO_TAG_CODE)) {
			cw_buf_clear(tmp);
			text_content(m, tmp, e->first);
			puts_(m, r, "\n\n    ");
			for (size_t k = 0; k < tmp->len; k++) {
				putc_(m, r, tmp->ptr[k]);
				if (tmp->ptr[k] == '\n')
					puts_(m, r, "    ");
			}
			puts_(m, r, "\n\n");
			return;
		}
		break;
	case GUMBO_TAG_HR:
		puts_(m, r, "\n\n* * *\n\n");
		return;
	case GUMBO_TAG_A: {
		const char *href = url_attr(t, i, "href");
		if (!href || !*href)
			break;
		/* link text on one line: Open Terms Archive's versions never
		 * break it, even around block content */
		trim_js(&c, &n);
		putc_(m, r, '[');
		put(m, r, c, n);
		put_link_tail(m, r, tmp, href, attr(t, i, "title"));
		return;
	}
	case GUMBO_TAG_EM:
	case GUMBO_TAG_I:
	case GUMBO_TAG_STRONG:
	case GUMBO_TAG_B: {
		const char *cc = c;
		size_t cn = n;
		trim_js(&cc, &cn);
		if (!cn)
			return;
		const char *d = (tag == GUMBO_TAG_EM || tag == GUMBO_TAG_I)
					? "_"
					: "**";
		puts_(m, r, d);
		put(m, r, c, n);
		puts_(m, r, d);
		return;
	}
	case GUMBO_TAG_CODE: {
		bool sole = is_elem(t, e->parent, GUMBO_TAG_PRE) && !e->prev &&
			    !e->next;
		if (sole)
			break;
		if (!n)
			return;
		cw_buf_clear(tmp);
		for (size_t k = 0; k < n; k++) {
			if (c[k] == '\r' && k + 1 < n && c[k + 1] == '\n')
				continue;
			putc_(m, tmp,
			      (c[k] == '\n' || c[k] == '\r') ? ' ' : c[k]);
		}
		const char *s = cw_buf_str(tmp);
		size_t sn = tmp->len;
		bool extra = (sn && (s[0] == '`' || s[sn - 1] == '`'));
		if (!extra && sn >= 2 && s[0] == ' ' && s[sn - 1] == ' ') {
			for (size_t k = 1; k + 1 < sn; k++)
				if (s[k] != ' ')
					extra = true;
		}
		/* the shortest run of backticks not found in the content */
		size_t dl = 1;
		for (;;) {
			bool found = false;
			for (size_t k = 0; k < sn;) {
				if (s[k] != '`') {
					k++;
					continue;
				}
				size_t run = 0;
				while (k < sn && s[k] == '`') {
					run++;
					k++;
				}
				if (run == dl)
					found = true;
			}
			if (!found)
				break;
			dl++;
		}
		for (size_t k = 0; k < dl; k++)
			putc_(m, r, '`');
		if (extra)
			putc_(m, r, ' ');
		put(m, r, s, sn);
		if (extra)
			putc_(m, r, ' ');
		for (size_t k = 0; k < dl; k++)
			putc_(m, r, '`');
		return;
	}
	case GUMBO_TAG_IMG: {
		const char *src = url_attr(t, i, "src");
		if (!src || !*src)
			return;
		puts_(m, r, "![");
		cw_buf_clear(tmp);
		clean_attr(m, tmp, attr(t, i, "alt"));
		escape_text(m, r, cw_buf_str(tmp), tmp->len);
		put_link_tail(m, r, tmp, src, attr(t, i, "title"));
		return;
	}
	default:
		break;
	}
	if (block)
		puts_(m, r, "\n\n");
	put(m, r, c, n);
	if (block)
		puts_(m, r, "\n\n");
}

/* turndown's replacementForNode, into r */
static void replacement(struct md *m, uint32_t i, bool in_code, size_t depth,
			struct cw_buf *r)
{
	struct cw_rtree *t = m->t;
	ensure_depth(m, depth + 2);
	struct cw_buf *c = m->content[depth];
	bool code = in_code || t->n[i].tag == GUMBO_TAG_CODE;
	cw_buf_clear(c);
	process(m, i, code, depth + 1, c);

	const char *cs = cw_buf_str(c);
	size_t cn = c->len;
	struct cw_buf lead = CW_BUF_INIT, trail = CW_BUF_INIT;
	if (!is_block(t, i)) {
		size_t la = 0, ta = 0;
		bool nonws = edge_ws(m, i, false, &lead, &la);
		if (nonws)
			edge_ws(m, i, true, &trail, &ta);
		if (la && flanked(t, i, true)) {
			/* drop the ASCII part */
			memmove(lead.ptr, lead.ptr + la, lead.len - la + 1);
			lead.len -= la;
		}
		if (ta && flanked(t, i, false)) {
			trail.len -= ta;
			trail.ptr[trail.len] = '\0';
		}
		if (lead.len || trail.len)
			trim_js(&cs, &cn);
	}
	put(m, r, cw_buf_str(&lead), lead.len);
	apply_rule(m, i, cs, cn, depth, r);
	put(m, r, cw_buf_str(&trail), trail.len);
	cw_buf_release(&lead);
	cw_buf_release(&trail);
}

static void process(struct md *m, uint32_t parent, bool in_code, size_t depth,
		    struct cw_buf *out)
{
	struct cw_rtree *t = m->t;
	ensure_depth(m, depth + 2);
	for (uint32_t k = t->n[parent].first; k && !m->rc; k = t->n[k].next) {
		struct cw_buf *r = m->rep[depth];
		cw_buf_clear(r);
		if (t->n[k].kind == CW_RN_TEXT) {
			if (in_code)
				put(m, r, text_of(t, k), t->n[k].len);
			else
				escape_text(m, r, text_of(t, k), t->n[k].len);
		} else {
			replacement(m, k, in_code, depth, r);
		}
		join(m, out, cw_buf_str(r), r->len);
	}
}

int cw_extract_markdown(struct cw_buf *out, struct cw_rtree *t,
			struct cw_err *err)
{
	struct md m;
	memset(&m, 0, sizeof(m));
	m.t = t;
	m.max = out->max ? out->max : (16u << 20);
	collapse(t);
	compute_flags(t);

	struct cw_buf body = CW_BUF_INIT;
	cw_buf_init(&body, m.max);
	process(&m, 0, false, 0, &body);
	int rc = m.rc;
	if (!rc) {
		/* postProcess: no leading tabs/newlines, no trailing whitespace */
		const char *s = cw_buf_str(&body);
		size_t n = body.len;
		while (n && (s[0] == '\t' || s[0] == '\r' || s[0] == '\n')) {
			s++;
			n--;
		}
		size_t w;
		while (n && (w = space_before(s, n)) != 0)
			n -= w;
		if (cw_buf_add(out, s, n))
			rc = CW_ETOOBIG;
	}
	if (rc == CW_ETOOBIG)
		cw_err_set(err, CW_ETOOBIG, "text longer than %zu bytes",
			   m.max);
	cw_buf_release(&body);
	for (size_t i = 0; i < m.depths; i++) {
		cw_buf_release(m.content[i]);
		cw_buf_release(m.rep[i]);
		cw_buf_release(m.tmp[i]);
		free(m.content[i]);
		free(m.rep[i]);
		free(m.tmp[i]);
	}
	free(m.content);
	free(m.rep);
	free(m.tmp);
	return rc;
}
