#ifndef CW_EXTRACT_INT_H
#define CW_EXTRACT_INT_H
/*
 * extract_int: private to the extract module.
 *
 * The HTML path is: bytes -> UTF-8 (charset.c) -> libgumbo tree, indexed in
 * document order (html.c) -> `remove` and `select` applied as flags and
 * ranges over that index, never by mutating gumbo's tree -> a small
 * mutable "render tree" holding only the selected content (html.c) ->
 * Markdown (markdown.c), following the conventions of the turndown
 * library as Open Terms Archive configures it, so that our text matches
 * theirs word for word.
 */
#include <gumbo.h>
#include <stdint.h>

#include "extract.h"

/* ---- charset.c ---- */

/*
 * Decode `data` to UTF-8 into `out`: the charset given (HTTP), else a BOM,
 * else <meta charset> / http-equiv in the first 1024 bytes, else UTF-8.
 * An unknown charset falls back to UTF-8 with a warning.
 */
int cw_extract_decode_html(struct cw_buf *out, const char *data, size_t len,
			   const char *charset, const char *name,
			   struct cw_strv *warnings, struct cw_err *err);

/* ---- url.c ---- */

/*
 * Resolve `ref` against `base` (either may be NULL) the way the WHATWG URL
 * parser serialises it (lower-case scheme and host, default port dropped,
 * dot segments removed, "/" for an empty path, unsafe bytes
 * percent-encoded). Returns false (out untouched) if the result would not
 * be a valid absolute URL.
 */
bool cw_extract_url_resolve(struct cw_buf *out, const char *base,
			    const char *ref, size_t ref_len);

/*
 * Remove the query parameters named in `names` from the absolute URL
 * `url`, re-serialising the query as URLSearchParams does. Returns true
 * and fills `out` only when at least one parameter was present.
 */
bool cw_extract_url_strip_params(struct cw_buf *out, const char *url,
				 const char *const *names, size_t n_names);

/* ---- the render tree (html.c builds it, markdown.c renders it) ---- */

enum cw_rn_kind {
	CW_RN_ROOT = 0,
	CW_RN_ELEMENT,
	CW_RN_TEXT,
};

/*
 * One node. Links are indices into the tree's array; 0 means "none"
 * (node 0 is the root, which is nobody's child or sibling). Text and
 * overridden attribute values live in the tree's arena.
 */
struct cw_rn {
	uint32_t parent, first, last, next, prev;
	uint32_t off, len; /* text, or the href/src override of an element */
	GumboTag tag;	   /* elements */
	const GumboElement *el; /* attributes, borrowed from gumbo; may be NULL */
	uint8_t kind;
	uint8_t has_url; /* off/len hold the element's href or src */
	uint8_t ws_only; /* markdown.c: no non-space text below */
	uint8_t has_vm;	 /* markdown.c: void/meaningful element below */
	uint8_t dead;	 /* markdown.c: text removed by whitespace collapse */
	uint8_t tskip; /* markdown.c: table rendered as plain cells, 0 unknown, 1 no, 2 yes */
};

struct cw_rtree {
	struct cw_rn *n;
	size_t len, cap;
	char *arena;
	size_t alen, acap;
};

void cw_rtree_init(struct cw_rtree *t);
void cw_rtree_release(struct cw_rtree *t);
/* Append a node as the last child of `parent`; returns its index. */
uint32_t cw_rtree_add(struct cw_rtree *t, uint32_t parent, uint8_t kind,
		      GumboTag tag, const GumboElement *el);
/* Copy bytes into the arena; returns their offset. */
uint32_t cw_rtree_store(struct cw_rtree *t, const char *s, size_t len);

/* ---- html.c ---- */

struct cw_extract_page_ctx {
	const struct cw_extract_input *in;
	const struct cw_decl_source *src; /* NULL: the whole body */
	const struct cw_extract_opts *opts;
	struct cw_strv *warnings;
	const struct cw_decl_doc *doc; /* src's document (its js), or NULL */
};

/* Extract one HTML page as Markdown into `out` (without final newline). */
int cw_extract_html(struct cw_buf *out, const struct cw_extract_page_ctx *ctx,
		    struct cw_err *err);

/* ---- filters.c ---- */

/* Is `name` a filter extract applies itself (removeQueryParams,
 * convertSpacesToStandard)? */
bool cw_extract_filter_native(const char *name);

/*
 * Will the runner apply the filters of ctx->src? True when the source
 * names a filter that is not native, the document has filters code and
 * the runner is available (then extract applies no filter of its own).
 */
bool cw_extract_filters_wanted(const struct cw_extract_page_ctx *ctx);

/*
 * Apply the filters of ctx->src to the UTF-8 page `html` in the runner;
 * on success `html` holds the filtered document. Messages name the page
 * and the filters file. Returns CW_OK, CW_EINVAL (a filter failed),
 * CW_ETIMEOUT, CW_ETOOBIG or CW_EIO (the runner could not run).
 */
int cw_extract_filters_run(struct cw_buf *html,
			   const struct cw_extract_page_ctx *ctx,
			   struct cw_err *err);

/*
 * Read the runner's answer (`n` bytes of JSON): the document into `html`
 * (replacing it; CW_ETOOBIG past html->max), its warnings appended to
 * `warnings` (may be NULL), or the failure it reports (CW_EINVAL, the
 * filter named). CW_EIO when it is not an answer. Exposed for the fuzz
 * harness.
 */
int cw_extract_filters_answer(struct cw_buf *html, struct cw_strv *warnings,
			      const char *a, size_t n, struct cw_err *err);

/* ---- markdown.c ---- */

/*
 * Render the children of the root of `t` as Markdown, appended to `out`
 * (trimmed as turndown does: no leading or trailing blank lines).
 * Modifies the tree (whitespace collapsing). CW_ETOOBIG past out->max.
 */
int cw_extract_markdown(struct cw_buf *out, struct cw_rtree *t,
			struct cw_err *err);

/* ---- pdf.c ---- */

/* ---- pdf_child.c ---- */

/*
 * The text of the PDF page `in` into `out` (at most out->max bytes), in
 * the helper process within the limits of `opts` (extract.h), or here
 * when opts->pdf_in_process. Messages name the input. Returns as
 * cw_extract_document() for a PDF.
 */
int cw_extract_pdf(struct cw_buf *out, const struct cw_extract_input *in,
		   const struct cw_extract_opts *opts, struct cw_err *err);

/* The PDF helper's answer (pdf_child.c, "The protocol"): its first line
 * is the magic, a return code and a length, within the head's size. */
#define CW_PDF_ANSWER_MAGIC "CWPDF1 "
#define CW_PDF_ANSWER_HEAD_MAX 64

/*
 * Read the helper's answer (`n` bytes of its standard output): the text
 * appended to `out` (CW_ETOOBIG past out->max), or the failure it
 * reports; CW_EIO when it is not an answer or is cut short. Exposed for
 * the fuzz harness.
 */
int cw_extract_pdf_answer(struct cw_buf *out, const char *a, size_t n,
			  struct cw_err *err);

#endif
