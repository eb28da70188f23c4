#ifndef CW_SELECT_H
#define CW_SELECT_H
/*
 * select: CSS selectors over a libgumbo tree, private to extract.
 *
 * Covers what real declarations use: type, universal, .class, #id, [attr],
 * [attr=v], [attr~=v], [attr|=v], ^=, $=, *= (quoted or bare values, the
 * `i` flag), descendant, child (>), adjacent (+) and general sibling (~)
 * combinators, :not(list), :nth-child(an+b / odd / even), :nth-of-type,
 * :first-child, :last-child, :only-child, :first-of-type, :last-of-type,
 * :empty, :root, :has() of simple descendants, and selector lists (a, b).
 * Anything else fails to parse with CW_EPARSE and the column.
 *
 * Parsed selectors are immutable and may be shared between threads.
 */
#include <gumbo.h>

#include "../util/util.h"

struct cw_css; /* a parsed selector list */

/*
 * Parse `text`. Fails with CW_EPARSE, the message quoting the selector
 * and the column ("selector 'div[' col 5: expected attribute name").
 * Nesting depth of :not()/:has() and total length are capped.
 */
int cw_css_parse(struct cw_css **out, const char *text, struct cw_err *err);
void cw_css_free(struct cw_css *css); /* NULL is a no-op */

/* True if `node` (an element) matches any selector of the list. */
bool cw_css_matches(const struct cw_css *css, const GumboNode *node);

/*
 * Every element under `root` (root included) that matches, in document
 * order, without duplicates. *out is NULL when there are none; free(*out).
 */
void cw_css_select_all(GumboNode ***out, size_t *n, const struct cw_css *css,
		       GumboNode *root);

/* The first matching element in document order, or NULL. */
GumboNode *cw_css_select_first(const struct cw_css *css, GumboNode *root);

#endif
