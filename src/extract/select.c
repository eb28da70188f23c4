/*
 * select: a CSS selector engine over libgumbo trees (see select.h).
 *
 * The grammar follows Selectors Level 4 (https://www.w3.org/TR/selectors-4/)
 * restricted to what declarations use; tokens follow CSS Syntax Level 3
 * (https://www.w3.org/TR/css-syntax-3/, identifiers, strings and escapes,
 * section 4.3) and An+B follows CSS Syntax section 6.
 *
 * A parsed selector list is a tree of plain arrays: a list holds complex
 * selectors, a complex selector holds compounds joined by combinators, a
 * compound holds simple selectors. Matching goes right to left from the
 * candidate element, as browsers do.
 */
#include "select.h"
#include "../util/map.h"

#include <ctype.h>

/* Longest selector text accepted; the longest in the Open Terms Archive
 * declarations we studied is an `img[src="data:..."]` of about 1,100 bytes. */
#define MAX_TEXT 16384
/* Nesting of :not() and :has(). */
#define MAX_DEPTH 8
/* Compounds in one complex selector: bounds the matcher's recursion. */
#define MAX_COMPOUNDS 32
/* Selectors in one list, simple selectors in one compound. */
#define MAX_LIST 256
#define MAX_SIMPLE 64

enum simple_kind {
	K_TYPE,	     /* name: lower-case tag name */
	K_UNIVERSAL, /* * */
	K_ID,	     /* name */
	K_CLASS,     /* name */
	K_ATTR,	     /* name (lower-case), op, value, icase */
	K_FIRST_CHILD,
	K_LAST_CHILD,
	K_ONLY_CHILD,
	K_FIRST_OF_TYPE,
	K_LAST_OF_TYPE,
	K_EMPTY,
	K_ROOT,
	K_NTH_CHILD,   /* a, b */
	K_NTH_OF_TYPE, /* a, b */
	K_NOT,	       /* sub */
	K_HAS,	       /* sub, relative selectors */
	K_SCOPE,       /* the element a :has() argument is relative to */
};

enum attr_op {
	OP_EXISTS,
	OP_EQ,	     /* = */
	OP_INCLUDES, /* ~= */
	OP_DASH,     /* |= */
	OP_PREFIX,   /* ^= */
	OP_SUFFIX,   /* $= */
	OP_SUBSTR,   /* *= */
};

struct simple {
	enum simple_kind kind;
	enum attr_op op;
	bool icase;
	char *name;
	char *value;
	long a, b;
	struct cw_css *sub;
};

struct compound {
	/* combinator between this compound and the one before it (to its
	 * left): ' ', '>', '+', '~'; 0 for the first compound */
	char comb;
	struct simple *simples;
	size_t n;
};

struct complex {
	struct compound *compounds;
	size_t n;
};

struct cw_css {
	struct complex *sels;
	size_t n;
};

/* ---- freeing ---- */

void cw_css_free(struct cw_css *css)
{
	if (!css)
		return;
	for (size_t i = 0; i < css->n; i++) {
		struct complex *cx = &css->sels[i];
		for (size_t j = 0; j < cx->n; j++) {
			struct compound *cp = &cx->compounds[j];
			for (size_t k = 0; k < cp->n; k++) {
				free(cp->simples[k].name);
				free(cp->simples[k].value);
				cw_css_free(cp->simples[k].sub);
			}
			free(cp->simples);
		}
		free(cx->compounds);
	}
	free(css->sels);
	free(css);
}

/* ---- parsing ---- */

struct parser {
	const char *s; /* NUL-terminated, len bytes */
	size_t len;
	size_t pos;
	int depth;
	bool in_has; /* inside :has(), where :has() may not nest */
	bool failed;
	struct cw_err *err;
};

static int fail(struct parser *p, size_t at, const char *what)
{
	if (!p->failed) {
		p->failed = true;
		cw_err_set(p->err, CW_EPARSE, "selector '%.200s%s' col %zu: %s",
			   p->s, p->len > 200 ? "..." : "", at + 1, what);
	}
	return CW_EPARSE;
}

static int peek(const struct parser *p, size_t ahead)
{
	return p->pos + ahead < p->len ? (unsigned char)p->s[p->pos + ahead]
				       : -1;
}

static bool is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool skip_ws(struct parser *p)
{
	bool any = false;
	while (is_ws(peek(p, 0))) {
		p->pos++;
		any = true;
	}
	return any;
}

static bool is_name_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c >= 0x80;
}

static bool is_name_char(int c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

/* CSS Syntax 4.3.8: a backslash starts an escape unless a newline or the
 * end of input follows it. */
static bool valid_escape(const struct parser *p, size_t ahead)
{
	int c = peek(p, ahead + 1);
	return peek(p, ahead) == '\\' && c != -1 && c != '\n' && c != '\r' &&
	       c != '\f';
}

/* CSS Syntax 4.3.9: would the next characters start an identifier? */
static bool starts_ident(const struct parser *p)
{
	int c = peek(p, 0);
	if (c == '-') {
		int d = peek(p, 1);
		return is_name_start(d) || d == '-' ||
		       (d == '\\' && valid_escape(p, 1));
	}
	return is_name_start(c) || (c == '\\' && valid_escape(p, 0));
}

/* Consume an escape (the backslash is at p->pos) into `out`
 * (CSS Syntax 4.3.7). */
static int consume_escape(struct parser *p, struct cw_buf *out)
{
	size_t at = p->pos;
	p->pos++; /* backslash */
	int c = peek(p, 0);
	if (c == -1)
		return fail(p, at, "escape at end of selector");
	if (isxdigit(c)) {
		uint32_t cp = 0;
		for (int i = 0; i < 6 && isxdigit(peek(p, 0)); i++) {
			int h = peek(p, 0);
			cp = cp * 16 +
			     (uint32_t)(isdigit(h) ? h - '0'
						   : (h | 0x20) - 'a' + 10);
			p->pos++;
		}
		/* one whitespace after a hex escape belongs to it */
		if (peek(p, 0) == '\r' && peek(p, 1) == '\n')
			p->pos += 2;
		else if (is_ws(peek(p, 0)))
			p->pos++;
		if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
			cp = 0xFFFD;
		return cw_utf8_encode(out, cp);
	}
	/* any other character stands for itself, multi-byte ones whole */
	uint32_t cp;
	size_t n = cw_utf8_decode(p->s + p->pos, p->len - p->pos, &cp);
	cw_buf_add(out, p->s + p->pos, n);
	p->pos += n;
	return CW_OK;
}

/*
 * Consume a run of name characters and escapes. With `ident`, the run must
 * start like a CSS identifier; without it (ids, bare attribute values) a
 * leading digit is tolerated, as the HTML parsers that declarations were
 * written against tolerate it.
 */
static int consume_name(struct parser *p, char **out, bool ident,
			const char *what)
{
	struct cw_buf b = CW_BUF_INIT;
	size_t start = p->pos;

	*out = NULL;
	if (ident && !starts_ident(p))
		return fail(p, start, what);
	for (;;) {
		int c = peek(p, 0);
		if (is_name_char(c)) {
			cw_buf_addc(&b, (char)c);
			p->pos++;
		} else if (c == '\\' && valid_escape(p, 0)) {
			if (consume_escape(p, &b)) {
				cw_buf_release(&b);
				return CW_EPARSE;
			}
		} else {
			break;
		}
	}
	if (b.len == 0) {
		cw_buf_release(&b);
		return fail(p, start, what);
	}
	*out = cw_buf_detach(&b, NULL);
	return CW_OK;
}

/* A quoted string (CSS Syntax 4.3.5); p->pos is at the quote. */
static int consume_string(struct parser *p, char **out)
{
	struct cw_buf b = CW_BUF_INIT;
	size_t start = p->pos;
	int quote = peek(p, 0);

	*out = NULL;
	p->pos++;
	for (;;) {
		int c = peek(p, 0);
		if (c == -1) {
			cw_buf_release(&b);
			return fail(p, start, "unterminated string");
		}
		if (c == quote) {
			p->pos++;
			break;
		}
		if (c == '\n' || c == '\r' || c == '\f') {
			cw_buf_release(&b);
			return fail(p, p->pos, "newline in string");
		}
		if (c == '\\') {
			int d = peek(p, 1);
			if (d == -1) {
				cw_buf_release(&b);
				return fail(p, p->pos,
					    "escape at end of selector");
			}
			if (d == '\n' || d == '\f') {
				p->pos += 2; /* escaped newline: a line break */
				continue;
			}
			if (d == '\r') {
				p->pos += peek(p, 2) == '\n' ? 3 : 2;
				continue;
			}
			if (consume_escape(p, &b)) {
				cw_buf_release(&b);
				return CW_EPARSE;
			}
			continue;
		}
		cw_buf_addc(&b, (char)c);
		p->pos++;
	}
	*out = cw_buf_detach(&b, NULL);
	return CW_OK;
}

static void lower_ascii(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static struct simple *add_simple(struct compound *cp, size_t *cap,
				 enum simple_kind kind)
{
	CW_GROW(cp->simples, *cap, cp->n + 1);
	struct simple *s = &cp->simples[cp->n++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	return s;
}

/* [attr], [attr op value], [attr op value i]; p->pos is at '['. */
static int parse_attr(struct parser *p, struct simple *s)
{
	p->pos++;
	skip_ws(p);
	if (peek(p, 0) == '|' || peek(p, 0) == '*')
		return fail(p, p->pos,
			    "attribute namespaces are not supported");
	if (consume_name(p, &s->name, true, "expected attribute name"))
		return CW_EPARSE;
	lower_ascii(s->name);
	if (peek(p, 0) == '|' && peek(p, 1) != '=')
		return fail(p, p->pos,
			    "attribute namespaces are not supported");
	skip_ws(p);
	int c = peek(p, 0);
	if (c == ']') {
		p->pos++;
		s->op = OP_EXISTS;
		return CW_OK;
	}
	size_t opat = p->pos;
	if (c == '=') {
		s->op = OP_EQ;
		p->pos++;
	} else if (peek(p, 1) == '=' &&
		   (c == '~' || c == '|' || c == '^' || c == '$' || c == '*')) {
		s->op = c == '~'   ? OP_INCLUDES
			: c == '|' ? OP_DASH
			: c == '^' ? OP_PREFIX
			: c == '$' ? OP_SUFFIX
				   : OP_SUBSTR;
		p->pos += 2;
	} else {
		return fail(p, opat, "expected ']' or an attribute operator");
	}
	skip_ws(p);
	c = peek(p, 0);
	if (c == '"' || c == '\'') {
		if (consume_string(p, &s->value))
			return CW_EPARSE;
	} else if (consume_name(p, &s->value, false,
				"expected attribute value")) {
		return CW_EPARSE;
	}
	skip_ws(p);
	c = peek(p, 0);
	if ((c == 'i' || c == 'I' || c == 's' || c == 'S') &&
	    !is_name_char(peek(p, 1)) && peek(p, 1) != '\\') {
		s->icase = (c == 'i' || c == 'I');
		p->pos++;
		skip_ws(p);
	}
	if (peek(p, 0) != ']')
		return fail(p, p->pos, "expected ']'");
	p->pos++;
	return CW_OK;
}

/* Parse decimal digits at p->pos into *out, capped so it cannot overflow. */
static int parse_digits(struct parser *p, long *out)
{
	size_t start = p->pos;
	long v = 0;
	if (!isdigit(peek(p, 0)))
		return fail(p, start, "expected a number");
	while (isdigit(peek(p, 0))) {
		if (v > 100000000L)
			return fail(p, start, "number too large");
		v = v * 10 + (peek(p, 0) - '0');
		p->pos++;
	}
	*out = v;
	return CW_OK;
}

/* An+B (CSS Syntax section 6), up to the closing parenthesis. */
static int parse_nth(struct parser *p, long *a, long *b)
{
	skip_ws(p);
	size_t start = p->pos;
	if (starts_ident(p) || isalpha(peek(p, 0))) {
		/* odd, even, n, -n, n+1, n-1 ... spelled as an ident */
		size_t q = p->pos;
		while (isalpha(peek(p, 0)) || peek(p, 0) == '-')
			p->pos++;
		size_t wl = p->pos - q;
		const char *w = p->s + q;
		if (wl == 3 && !cw_strncasecmp_ascii(w, "odd", 3)) {
			*a = 2, *b = 1;
			goto close;
		}
		if (wl == 4 && !cw_strncasecmp_ascii(w, "even", 4)) {
			*a = 2, *b = 0;
			goto close;
		}
		p->pos = q;
	}
	int sign = 1;
	if (peek(p, 0) == '+' || peek(p, 0) == '-') {
		sign = peek(p, 0) == '-' ? -1 : 1;
		p->pos++;
	}
	long num = 1;
	bool has_num = false;
	if (isdigit(peek(p, 0))) {
		if (parse_digits(p, &num))
			return CW_EPARSE;
		has_num = true;
	}
	if (peek(p, 0) == 'n' || peek(p, 0) == 'N') {
		p->pos++;
		*a = sign * num;
		*b = 0;
		skip_ws(p);
		int c = peek(p, 0);
		if (c == '+' || c == '-') {
			p->pos++;
			skip_ws(p);
			long v;
			if (parse_digits(p, &v))
				return CW_EPARSE;
			*b = c == '-' ? -v : v;
		}
	} else if (has_num) {
		*a = 0;
		*b = sign * num;
	} else {
		return fail(p, start, "expected an+b, odd or even");
	}
close:
	skip_ws(p);
	if (peek(p, 0) != ')')
		return fail(p, p->pos, "expected ')' after an+b");
	p->pos++;
	return CW_OK;
}

static int parse_list(struct parser *p, struct cw_css **out, bool relative,
		      bool nested);

/* A pseudo-class; p->pos is at ':'. */
static int parse_pseudo(struct parser *p, struct compound *cp, size_t *cap)
{
	static const struct {
		const char *name;
		enum simple_kind kind;
		bool fn;
	} table[] = {
		{ "first-child", K_FIRST_CHILD, false },
		{ "last-child", K_LAST_CHILD, false },
		{ "only-child", K_ONLY_CHILD, false },
		{ "first-of-type", K_FIRST_OF_TYPE, false },
		{ "last-of-type", K_LAST_OF_TYPE, false },
		{ "empty", K_EMPTY, false },
		{ "root", K_ROOT, false },
		{ "nth-child", K_NTH_CHILD, true },
		{ "nth-of-type", K_NTH_OF_TYPE, true },
		{ "not", K_NOT, true },
		{ "has", K_HAS, true },
	};
	size_t at = p->pos;
	char *name = NULL;
	char msg[160];

	p->pos++;
	if (peek(p, 0) == ':')
		return fail(p, at, "pseudo-elements are not supported");
	if (consume_name(p, &name, true, "expected pseudo-class name"))
		return CW_EPARSE;
	lower_ascii(name);
	bool fn = peek(p, 0) == '(';
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(name, table[i].name) != 0)
			continue;
		if (fn != table[i].fn) {
			snprintf(msg, sizeof(msg),
				 fn ? "':%s' takes no argument"
				    : "':%s' needs an argument",
				 name);
			free(name);
			return fail(p, at, msg);
		}
		free(name);
		struct simple *s = add_simple(cp, cap, table[i].kind);
		if (!fn)
			return CW_OK;
		p->pos++; /* ( */
		if (s->kind == K_NTH_CHILD || s->kind == K_NTH_OF_TYPE)
			return parse_nth(p, &s->a, &s->b);
		if (p->depth >= MAX_DEPTH)
			return fail(p, at, "too deeply nested");
		/* Selectors 4 forbids :has() inside :has(); it also keeps the
		 * cost of matching to one subtree walk per candidate */
		if (s->kind == K_HAS && p->in_has)
			return fail(p, at, "':has' inside ':has'");
		bool was_in_has = p->in_has;
		p->depth++;
		p->in_has = was_in_has || s->kind == K_HAS;
		int rc = parse_list(p, &s->sub, s->kind == K_HAS, true);
		p->depth--;
		p->in_has = was_in_has;
		if (rc)
			return rc;
		/* :has() of one compound, a descendant or a child: what the
		 * header promises, and what can be matched in linear time */
		for (size_t k = 0; s->kind == K_HAS && k < s->sub->n; k++) {
			const struct complex *cx = &s->sub->sels[k];
			if (cx->n != 2 || cx->compounds[1].comb == '+' ||
			    cx->compounds[1].comb == '~')
				return fail(p, at,
					    "':has' takes compound selectors, "
					    "each optionally after '>'");
		}
		if (peek(p, 0) != ')')
			return fail(p, p->pos, "expected ')'");
		p->pos++;
		return CW_OK;
	}
	snprintf(msg, sizeof(msg), "unsupported pseudo-class ':%.100s'", name);
	free(name);
	return fail(p, at, msg);
}

/* A compound selector: [type|*] then any of #id .class [attr] :pseudo. */
static int parse_compound(struct parser *p, struct compound *cp)
{
	size_t cap = 0;
	size_t start = p->pos;

	if (peek(p, 0) == '*') {
		p->pos++;
		add_simple(cp, &cap, K_UNIVERSAL);
	} else if (starts_ident(p)) {
		struct simple *s = add_simple(cp, &cap, K_TYPE);
		if (consume_name(p, &s->name, true, "expected type selector"))
			return CW_EPARSE;
		lower_ascii(s->name);
	}
	if (peek(p, 0) == '|')
		return fail(p, p->pos, "namespaces are not supported");
	for (;;) {
		int c = peek(p, 0);
		if (cp->n >= MAX_SIMPLE)
			return fail(p, p->pos, "too many simple selectors");
		if (c == '#') {
			p->pos++;
			struct simple *s = add_simple(cp, &cap, K_ID);
			if (consume_name(p, &s->name, false,
					 "expected id after '#'"))
				return CW_EPARSE;
		} else if (c == '.') {
			p->pos++;
			struct simple *s = add_simple(cp, &cap, K_CLASS);
			if (consume_name(p, &s->name, true,
					 "expected class name after '.'"))
				return CW_EPARSE;
		} else if (c == '[') {
			struct simple *s = add_simple(cp, &cap, K_ATTR);
			if (parse_attr(p, s))
				return CW_EPARSE;
		} else if (c == ':') {
			if (parse_pseudo(p, cp, &cap))
				return CW_EPARSE;
		} else {
			break;
		}
	}
	if (cp->n == 0)
		return fail(p, start,
			    p->pos >= p->len ? "expected selector"
					     : "unexpected character");
	return CW_OK;
}

static bool is_comb(int c)
{
	return c == '>' || c == '+' || c == '~';
}

/* A complex selector; for :has() a relative one, whose leftmost compound
 * is the scope element, joined by a leading combinator or a descendant. */
static int parse_complex(struct parser *p, struct complex *cx, bool relative,
			 bool nested)
{
	size_t cap = 0;
	char comb = 0;

	skip_ws(p);
	if (relative) {
		CW_GROW(cx->compounds, cap, 1);
		struct compound *scope = &cx->compounds[cx->n++];
		memset(scope, 0, sizeof(*scope));
		size_t scap = 0;
		add_simple(scope, &scap, K_SCOPE);
		comb = ' ';
		if (is_comb(peek(p, 0))) {
			comb = (char)peek(p, 0);
			p->pos++;
			skip_ws(p);
		}
	}
	for (;;) {
		if (cx->n >= MAX_COMPOUNDS)
			return fail(p, p->pos, "too many compound selectors");
		CW_GROW(cx->compounds, cap, cx->n + 1);
		struct compound *cp = &cx->compounds[cx->n++];
		memset(cp, 0, sizeof(*cp));
		cp->comb = comb;
		if (parse_compound(p, cp))
			return CW_EPARSE;
		bool ws = skip_ws(p);
		int c = peek(p, 0);
		if (is_comb(c)) {
			comb = (char)c;
			p->pos++;
			skip_ws(p);
		} else if (c == -1 || c == ',' || (nested && c == ')')) {
			return CW_OK;
		} else if (ws) {
			comb = ' ';
		} else {
			return fail(p, p->pos, "unexpected character");
		}
	}
}

/* A selector list, up to the end of input or, when nested, to ')'. */
static int parse_list(struct parser *p, struct cw_css **out, bool relative,
		      bool nested)
{
	struct cw_css *css = cw_calloc(1, sizeof(*css));
	size_t cap = 0;

	*out = css;
	for (;;) {
		if (css->n >= MAX_LIST)
			return fail(p, p->pos, "too many selectors in list");
		CW_GROW(css->sels, cap, css->n + 1);
		struct complex *cx = &css->sels[css->n++];
		memset(cx, 0, sizeof(*cx));
		if (parse_complex(p, cx, relative, nested))
			return CW_EPARSE;
		if (peek(p, 0) != ',')
			return CW_OK;
		p->pos++;
	}
}

int cw_css_parse(struct cw_css **out, const char *text, struct cw_err *err)
{
	struct parser p = { .s = text, .err = err };
	struct cw_css *css = NULL;

	*out = NULL;
	if (!text)
		return cw_err_set(err, CW_EINVAL, "selector is NULL");
	p.len = strlen(text);
	if (p.len > MAX_TEXT)
		return cw_err_set(err, CW_ETOOBIG,
				  "selector '%.60s...' is %zu bytes, over %d",
				  text, p.len, MAX_TEXT);
	if (parse_list(&p, &css, false, false) == CW_OK && p.pos < p.len)
		fail(&p, p.pos, "unexpected character");
	if (p.failed) {
		cw_css_free(css);
		return CW_EPARSE;
	}
	*out = css;
	return CW_OK;
}

/* ---- matching ---- */

static bool is_element(const GumboNode *n)
{
	return n && (n->type == GUMBO_NODE_ELEMENT ||
		     n->type == GUMBO_NODE_TEMPLATE);
}

static const GumboVector *children_of(const GumboNode *n)
{
	if (n->type == GUMBO_NODE_DOCUMENT)
		return &n->v.document.children;
	if (is_element(n))
		return &n->v.element.children;
	return NULL;
}

static const GumboNode *parent_element(const GumboNode *n)
{
	return is_element(n->parent) ? n->parent : NULL;
}

/* The element's tag name and its length, lower-case for known tags. */
static const char *tag_name(const GumboNode *n, size_t *len)
{
	const GumboElement *e = &n->v.element;
	if (e->tag != GUMBO_TAG_UNKNOWN) {
		const char *s = gumbo_normalized_tagname(e->tag);
		*len = strlen(s);
		return s;
	}
	GumboStringPiece piece = e->original_tag;
	gumbo_tag_from_original_text(&piece);
	*len = piece.length;
	return piece.data ? piece.data : "";
}

static bool same_type(const GumboNode *a, const GumboNode *b)
{
	if (a->v.element.tag != b->v.element.tag)
		return false;
	if (a->v.element.tag != GUMBO_TAG_UNKNOWN)
		return true;
	size_t la, lb;
	const char *na = tag_name(a, &la), *nb = tag_name(b, &lb);
	return la == lb && !cw_strncasecmp_ascii(na, nb, la);
}

/*
 * Per-call matching state. The selector is immutable and shared; what a
 * call learns about the tree is kept here and freed when the call ends.
 *
 * - sibling positions: :nth-child() and friends need an element's rank
 *   among its siblings. Counting on each test is quadratic on long lists
 *   (50,000 <li> took 15 s for li:nth-child(2n)), so parents with many
 *   children get their ranks computed once, in a small direct-mapped
 *   cache.
 * - chain memo: the result of walking the ancestors (descendant
 *   combinator) or earlier siblings (~) from a given element for a given
 *   compound, so each walk is done once per element rather than once per
 *   element below or after it (quadratic on flat lists: "h1 ~ li").
 */
#define SIB_SLOTS 32	    /* parents whose ranks are cached at once */
#define SIB_MIN 32	    /* fewer children than this: just count */
#define MEMO_MAX (1u << 18) /* chain memo entries (10 MiB); then none */

struct sib_ranks {
	const GumboNode *parent;
	size_t n;	/* children of parent */
	uint32_t *rank; /* [4][n]: among elements from the start, from
			       the end, among same type from the start, end */
};

/* Not util/map: a cache keyed by four pointers and an index, that stops
 * filling at MEMO_MAX instead of failing (it is correct without it). */
struct memo_entry {
	const void *cx;
	const GumboNode *m;
	const GumboNode *scope;
	size_t idx;
	int result; /* enum match_result + 1; 0 is an empty slot */
};

struct mctx {
	struct sib_ranks sib[SIB_SLOTS];
	struct memo_entry *memo;
	size_t memo_cap, memo_n;
	const GumboNode **path; /* stack of the chain walks under way */
	size_t path_n, path_cap;
};

static void mctx_release(struct mctx *c)
{
	for (size_t i = 0; i < SIB_SLOTS; i++)
		free(c->sib[i].rank);
	free(c->memo);
	free(c->path);
}

static size_t hash_ptr(const void *p)
{
	return (size_t)cw_mix64((uint64_t)(uintptr_t)p);
}

/*
 * A type number per element child: the GumboTag for known tags, and for
 * custom elements GUMBO_TAG_UNKNOWN + 1 + k, k numbering distinct names
 * (ASCII case-insensitive) in order of first appearance.
 */
static void type_ids(const GumboVector *ch, uint32_t *tid, size_t *ntypes)
{
	struct cw_map names;

	/* the names are the tree's, alive for the call; the page's own cap
	 * (64 MiB) keeps their count far below the map's limit (2^30) */
	cw_map_init(&names, CW_MAP_FOLD | CW_MAP_BORROW, CW_MAP_MAX_LIMIT, 0);
	for (unsigned i = 0; i < ch->length; i++) {
		const GumboNode *c = ch->data[i];
		size_t len, k = 0;
		const char *name;
		int rc;

		if (!is_element(c))
			continue;
		if (c->v.element.tag != GUMBO_TAG_UNKNOWN) {
			tid[i] = (uint32_t)c->v.element.tag;
			continue;
		}
		name = tag_name(c, &len);
		rc = cw_map_put(&names, name, len, &k);
		CW_ASSERT(rc != CW_ETOOBIG);
		tid[i] = (uint32_t)(GUMBO_TAG_UNKNOWN + 1 + k);
	}
	*ntypes = (size_t)GUMBO_TAG_UNKNOWN + 1 + names.n;
	cw_map_release(&names);
}

static const struct sib_ranks *ranks_of(struct mctx *c, const GumboNode *parent)
{
	struct sib_ranks *s = &c->sib[hash_ptr(parent) % SIB_SLOTS];
	if (s->parent == parent)
		return s;
	const GumboVector *ch = children_of(parent);
	size_t n = ch->length, ntypes;
	free(s->rank);
	s->parent = parent;
	s->n = n;
	s->rank = cw_reallocarray(NULL, 4 * n, sizeof(*s->rank));
	uint32_t *tid = cw_reallocarray(NULL, n, sizeof(*tid));
	type_ids(ch, tid, &ntypes);
	uint32_t *count = cw_calloc(ntypes, sizeof(*count));
	uint32_t all = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_element(ch->data[i]))
			continue;
		s->rank[i] = ++all;
		s->rank[2 * n + i] = ++count[tid[i]];
	}
	memset(count, 0, ntypes * sizeof(*count));
	all = 0;
	for (size_t i = n; i-- > 0;) {
		if (!is_element(ch->data[i]))
			continue;
		s->rank[n + i] = ++all;
		s->rank[3 * n + i] = ++count[tid[i]];
	}
	free(count);
	free(tid);
	return s;
}

/*
 * 1-based position of `n` among its element siblings (those of its type
 * with `of_type`), counted from the start or, with `from_end`, the end.
 * An element without a parent is alone among its siblings.
 */
static long position(struct mctx *c, const GumboNode *n, bool of_type,
		     bool from_end)
{
	const GumboNode *parent = n->parent;
	const GumboVector *sib = parent ? children_of(parent) : NULL;
	long pos = 1;
	if (!sib)
		return 1;
	if (sib->length >= SIB_MIN) {
		const struct sib_ranks *r = ranks_of(c, parent);
		return r->rank[(of_type ? 2 : 0) * r->n +
			       (from_end ? r->n : 0) + n->index_within_parent];
	}
	if (!from_end) {
		for (size_t i = n->index_within_parent; i-- > 0;) {
			const GumboNode *m = sib->data[i];
			if (is_element(m) && (!of_type || same_type(m, n)))
				pos++;
		}
	} else {
		for (size_t i = n->index_within_parent + 1; i < sib->length;
		     i++) {
			const GumboNode *m = sib->data[i];
			if (is_element(m) && (!of_type || same_type(m, n)))
				pos++;
		}
	}
	return pos;
}

/* First or last among element siblings: no walk beyond the neighbour. */
static bool is_edge(const GumboNode *n, bool last)
{
	const GumboVector *sib = n->parent ? children_of(n->parent) : NULL;
	if (!sib)
		return true;
	if (!last) {
		for (size_t i = n->index_within_parent; i-- > 0;)
			if (is_element(sib->data[i]))
				return false;
	} else {
		for (size_t i = n->index_within_parent + 1; i < sib->length;
		     i++)
			if (is_element(sib->data[i]))
				return false;
	}
	return true;
}

static const char *attr_value(const GumboNode *n, const char *name)
{
	const GumboVector *attrs = &n->v.element.attributes;
	size_t nl = strlen(name);
	for (unsigned i = 0; i < attrs->length; i++) {
		const GumboAttribute *a = attrs->data[i];
		if (strlen(a->name) == nl &&
		    !cw_strncasecmp_ascii(a->name, name, nl))
			return a->value ? a->value : "";
	}
	return NULL;
}

static bool bytes_eq(const char *a, const char *b, size_t n, bool icase)
{
	return icase ? !cw_strncasecmp_ascii(a, b, n) : !memcmp(a, b, n);
}

/* Does the whitespace-separated list `list` contain `word`? */
static bool list_has(const char *list, const char *word, bool icase)
{
	size_t wl = strlen(word);
	if (wl == 0)
		return false;
	for (const char *q = list; *q;) {
		while (*q && is_ws((unsigned char)*q))
			q++;
		const char *start = q;
		while (*q && !is_ws((unsigned char)*q))
			q++;
		if ((size_t)(q - start) == wl &&
		    bytes_eq(start, word, wl, icase))
			return true;
	}
	return false;
}

static bool match_attr(const struct simple *s, const GumboNode *n)
{
	const char *v = attr_value(n, s->name);
	if (!v)
		return false;
	if (s->op == OP_EXISTS)
		return true;
	size_t vl = strlen(v), wl = strlen(s->value);
	const char *w = s->value;
	switch (s->op) {
	case OP_EQ:
		return vl == wl && bytes_eq(v, w, wl, s->icase);
	case OP_INCLUDES:
		for (const char *q = w; *q; q++)
			if (is_ws((unsigned char)*q))
				return false;
		return list_has(v, w, s->icase);
	case OP_DASH:
		return (vl == wl || (vl > wl && v[wl] == '-')) &&
		       bytes_eq(v, w, wl, s->icase);
	case OP_PREFIX:
		return wl > 0 && vl >= wl && bytes_eq(v, w, wl, s->icase);
	case OP_SUFFIX:
		return wl > 0 && vl >= wl &&
		       bytes_eq(v + vl - wl, w, wl, s->icase);
	case OP_SUBSTR:
		if (wl == 0 || vl < wl)
			return false;
		if (!s->icase)
			return memmem(v, vl, w, wl) != NULL;
		for (size_t i = 0; i + wl <= vl; i++)
			if (bytes_eq(v + i, w, wl, true))
				return true;
		return false;
	case OP_EXISTS:
		break;
	}
	return true;
}

static bool nth(long a, long b, long pos)
{
	if (a == 0)
		return pos == b;
	long d = pos - b;
	return d % a == 0 && d / a >= 0;
}

static bool is_empty(const GumboNode *n)
{
	const GumboVector *ch = &n->v.element.children;
	for (unsigned i = 0; i < ch->length; i++) {
		const GumboNode *c = ch->data[i];
		if (is_element(c))
			return false;
		if ((c->type == GUMBO_NODE_TEXT ||
		     c->type == GUMBO_NODE_CDATA ||
		     c->type == GUMBO_NODE_WHITESPACE) &&
		    c->v.text.text && c->v.text.text[0])
			return false;
	}
	return true;
}

static bool match_list(struct mctx *c, const struct cw_css *css,
		       const GumboNode *n, const GumboNode *scope);
static bool match_has(struct mctx *c, const struct cw_css *css,
		      const GumboNode *n);
static const GumboNode *walk_next(const GumboNode *n, const GumboNode *root);

static bool match_simple(struct mctx *c, const struct simple *s,
			 const GumboNode *n, const GumboNode *scope)
{
	switch (s->kind) {
	case K_TYPE: {
		size_t len;
		const char *t = tag_name(n, &len);
		return strlen(s->name) == len &&
		       !cw_strncasecmp_ascii(t, s->name, len);
	}
	case K_UNIVERSAL:
		return true;
	case K_ID: {
		const char *v = attr_value(n, "id");
		return v && !strcmp(v, s->name);
	}
	case K_CLASS: {
		const char *v = attr_value(n, "class");
		return v && list_has(v, s->name, false);
	}
	case K_ATTR:
		return match_attr(s, n);
	case K_FIRST_CHILD:
		return is_edge(n, false);
	case K_LAST_CHILD:
		return is_edge(n, true);
	case K_ONLY_CHILD:
		return is_edge(n, false) && is_edge(n, true);
	case K_FIRST_OF_TYPE:
		return position(c, n, true, false) == 1;
	case K_LAST_OF_TYPE:
		return position(c, n, true, true) == 1;
	case K_EMPTY:
		return is_empty(n);
	case K_ROOT:
		return n->parent && n->parent->type == GUMBO_NODE_DOCUMENT;
	case K_NTH_CHILD:
		return nth(s->a, s->b, position(c, n, false, false));
	case K_NTH_OF_TYPE:
		return nth(s->a, s->b, position(c, n, true, false));
	case K_NOT:
		return !match_list(c, s->sub, n, NULL);
	case K_HAS:
		return match_has(c, s->sub, n);
	case K_SCOPE:
		return n == scope;
	}
	return false;
}

static bool match_compound(struct mctx *c, const struct compound *cp,
			   const GumboNode *n, const GumboNode *scope)
{
	for (size_t i = 0; i < cp->n; i++)
		if (!match_simple(c, &cp->simples[i], n, scope))
			return false;
	return true;
}

enum match_result {
	MATCHED,
	NOT_MATCHED_RESTART_FROM_LATER_SIBLING,
	NOT_MATCHED_RESTART_FROM_DESCENDANT,
	NOT_MATCHED_GLOBALLY,
};

static const GumboNode *prev_element(const GumboNode *n)
{
	const GumboVector *sib = n->parent ? children_of(n->parent) : NULL;
	if (!sib)
		return NULL;
	for (size_t i = n->index_within_parent; i-- > 0;)
		if (is_element(sib->data[i]))
			return sib->data[i];
	return NULL;
}

static const GumboNode *next_for(const GumboNode *n, char comb)
{
	return comb == ' ' || comb == '>' ? parent_element(n) : prev_element(n);
}

static struct memo_entry *memo_slot(struct mctx *c, const void *cx, size_t idx,
				    const GumboNode *m, const GumboNode *scope)
{
	if (!c->memo_cap)
		return NULL;
	size_t h = hash_ptr(m) ^ hash_ptr(scope) ^ (hash_ptr(cx) + idx);
	for (size_t i = h & (c->memo_cap - 1);;
	     i = (i + 1) & (c->memo_cap - 1)) {
		struct memo_entry *e = &c->memo[i];
		if (!e->result || (e->cx == cx && e->idx == idx && e->m == m &&
				   e->scope == scope))
			return e;
	}
}

static void memo_put(struct mctx *c, const void *cx, size_t idx,
		     const GumboNode *m, const GumboNode *scope, int result)
{
	if (c->memo_n >= MEMO_MAX)
		return; /* correct without it, only slower */
	if (2 * (c->memo_n + 1) > c->memo_cap) {
		struct memo_entry *old = c->memo;
		size_t old_cap = c->memo_cap;
		c->memo_cap = old_cap ? old_cap * 2 : 1024;
		c->memo = cw_calloc(c->memo_cap, sizeof(*c->memo));
		c->memo_n = 0;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].result) {
				*memo_slot(c, old[i].cx, old[i].idx, old[i].m,
					   old[i].scope) = old[i];
				c->memo_n++;
			}
		free(old);
	}
	struct memo_entry *e = memo_slot(c, cx, idx, m, scope);
	if (!e->result)
		c->memo_n++;
	*e = (struct memo_entry){ cx, m, scope, idx, result + 1 };
}

static enum match_result match_from(struct mctx *c, const struct complex *cx,
				    size_t idx, const GumboNode *n,
				    const GumboNode *scope);

/*
 * The walk of a descendant or general sibling combinator: try compound
 * `idx` on `m`, then on each next ancestor (or earlier sibling) until a
 * result settles it. The result depends only on (idx, m, scope), so it is
 * memoised for every element the walk went through.
 */
static enum match_result walk_chain(struct mctx *c, const struct complex *cx,
				    size_t idx, const GumboNode *m,
				    const GumboNode *scope, char comb,
				    enum match_result not_found)
{
	enum match_result result = not_found;
	size_t base = c->path_n;

	for (; m; m = next_for(m, comb)) {
		struct memo_entry *e = memo_slot(c, cx, idx, m, scope);
		if (e && e->result) {
			result = (enum match_result)(e->result - 1);
			break;
		}
		CW_GROW(c->path, c->path_cap, c->path_n + 1);
		c->path[c->path_n++] = m;
		/* walks nested in this call push above ours and pop back */
		enum match_result r = match_from(c, cx, idx, m, scope);
		if (r == MATCHED || r == NOT_MATCHED_GLOBALLY ||
		    (comb == '~' && r == NOT_MATCHED_RESTART_FROM_DESCENDANT)) {
			result = r;
			break;
		}
	}
	for (size_t i = base; i < c->path_n; i++)
		memo_put(c, cx, idx, c->path[i], scope, (int)result);
	c->path_n = base;
	return result;
}

/*
 * Match compounds [0..idx] of `cx` with compound idx at `n`.
 *
 * A plain backtracking matcher is exponential on selectors such as
 * "a a a a b" in deep trees. The result codes and their propagation are
 * those of WebKit's SelectorChecker as carried into Servo's `selectors`
 * crate (matching.rs, matches_complex_selector_internal): a failure below
 * a child or sibling combinator tells the caller how far up the selector
 * it is worth retrying; with the chain memo, each element is tried at
 * most once per compound.
 */
static enum match_result match_from(struct mctx *c, const struct complex *cx,
				    size_t idx, const GumboNode *n,
				    const GumboNode *scope)
{
	const struct compound *cp = &cx->compounds[idx];
	if (!match_compound(c, cp, n, scope))
		return NOT_MATCHED_RESTART_FROM_LATER_SIBLING;
	if (idx == 0)
		return MATCHED;
	char comb = cp->comb;
	enum match_result not_found =
		comb == '+' || comb == '~' ? NOT_MATCHED_RESTART_FROM_DESCENDANT
					   : NOT_MATCHED_GLOBALLY;
	const GumboNode *m = next_for(n, comb);
	if (!m)
		return not_found;
	if (comb == ' ' || comb == '~')
		return walk_chain(c, cx, idx - 1, m, scope, comb, not_found);
	enum match_result r = match_from(c, cx, idx - 1, m, scope);
	if (comb == '>' && r != MATCHED && r != NOT_MATCHED_GLOBALLY)
		return NOT_MATCHED_RESTART_FROM_DESCENDANT;
	return r;
}

static bool match_list(struct mctx *c, const struct cw_css *css,
		       const GumboNode *n, const GumboNode *scope)
{
	for (size_t i = 0; i < css->n; i++) {
		const struct complex *cx = &css->sels[i];
		if (match_from(c, cx, cx->n - 1, n, scope) == MATCHED)
			return true;
	}
	return false;
}

/*
 * Does some element strictly inside `e` match compound `cp`? Computed
 * bottom-up over the whole subtree, each finished element memoised, so
 * that asking again for any element of it costs one lookup: :has(p) over
 * a whole document is then linear, not quadratic in the depth.
 */
static bool subtree_has(struct mctx *c, const struct compound *cp,
			const GumboNode *e)
{
	struct frame {
		const GumboNode *node;
		unsigned next;
		bool found;
	} *st = NULL;
	size_t cap = 0, k = 0;
	bool result = false;

	struct memo_entry *hit = memo_slot(c, cp, SIZE_MAX, e, NULL);
	if (hit && hit->result)
		return hit->result - 1;
	CW_GROW(st, cap, 1);
	st[k++] = (struct frame){ e, 0, false };
	while (k > 0) {
		struct frame *top = &st[k - 1];
		const GumboVector *ch = children_of(top->node);
		const GumboNode *x = NULL;
		while (ch && top->next < ch->length && !x) {
			const GumboNode *y = ch->data[top->next++];
			if (is_element(y))
				x = y;
		}
		if (x) {
			struct memo_entry *m =
				memo_slot(c, cp, SIZE_MAX, x, NULL);
			if (m && m->result) {
				top->found |= (m->result - 1) ||
					      match_compound(c, cp, x, NULL);
			} else {
				CW_GROW(st, cap, k + 1);
				st[k++] = (struct frame){ x, 0, false };
			}
			continue;
		}
		/* every child done: record, and tell the parent */
		bool found = top->found;
		const GumboNode *done = top->node;
		memo_put(c, cp, SIZE_MAX, done, NULL, found);
		k--;
		if (k > 0)
			st[k - 1].found |= found ||
					   match_compound(c, cp, done, NULL);
		else
			result = found;
	}
	free(st);
	return result;
}

/*
 * :has(): some element inside `n` matches one of the relative selectors,
 * each the scope compound then a descendant or child compound (the parser
 * allows no other shape).
 */
static bool match_has(struct mctx *c, const struct cw_css *css,
		      const GumboNode *n)
{
	for (size_t i = 0; i < css->n; i++) {
		const struct compound *first = &css->sels[i].compounds[1];
		if (first->comb == ' ') {
			if (subtree_has(c, first, n))
				return true;
			continue;
		}
		const GumboVector *ch = children_of(n);
		for (unsigned k = 0; ch && k < ch->length; k++)
			if (is_element(ch->data[k]) &&
			    match_compound(c, first, ch->data[k], n))
				return true;
	}
	return false;
}

/* Walk the subtree of `root` in document order, root first. */
static const GumboNode *walk_next(const GumboNode *n, const GumboNode *root)
{
	const GumboVector *ch = children_of(n);
	if (ch) {
		for (unsigned i = 0; i < ch->length; i++)
			if (is_element(ch->data[i]))
				return ch->data[i];
	}
	while (n && n != root) {
		const GumboNode *parent = n->parent;
		const GumboVector *sib = parent ? children_of(parent) : NULL;
		if (!sib)
			return NULL;
		for (size_t i = n->index_within_parent + 1; i < sib->length;
		     i++)
			if (is_element(sib->data[i]))
				return sib->data[i];
		n = parent;
	}
	return NULL;
}

bool cw_css_matches(const struct cw_css *css, const GumboNode *node)
{
	struct mctx c = { 0 };
	if (!css || !is_element(node))
		return false;
	bool r = match_list(&c, css, node, NULL);
	mctx_release(&c);
	return r;
}

void cw_css_select_all(GumboNode ***out, size_t *n, const struct cw_css *css,
		       GumboNode *root)
{
	struct mctx c = { 0 };
	GumboNode **v = NULL;
	size_t cap = 0, len = 0;

	*out = NULL;
	*n = 0;
	if (!css || !root)
		return;
	for (const GumboNode *m = root; m; m = walk_next(m, root)) {
		if (is_element(m) && match_list(&c, css, m, NULL)) {
			CW_GROW(v, cap, len + 1);
			v[len++] = (GumboNode *)m;
		}
	}
	mctx_release(&c);
	*out = v;
	*n = len;
}

GumboNode *cw_css_select_first(const struct cw_css *css, GumboNode *root)
{
	struct mctx c = { 0 };
	GumboNode *found = NULL;

	if (!css || !root)
		return NULL;
	for (const GumboNode *m = root; m && !found; m = walk_next(m, root))
		if (is_element(m) && match_list(&c, css, m, NULL))
			found = (GumboNode *)m;
	mctx_release(&c);
	return found;
}
