#ifndef CW_EXTRACT_H
#define CW_EXTRACT_H
/*
 * extract: from fetched bytes to the clean text of a document.
 *
 * HTML is parsed as HTML5 (libgumbo), the declaration's `remove` selectors
 * are applied, then `select`, range selectors included; script, style and
 * similar elements are dropped; links are made absolute against the page
 * URL and the built-in `removeQueryParams` filter is applied; the result is
 * rendered as Markdown (headings, nested lists, paragraphs, tables, links,
 * emphasis) with normalised whitespace. PDF is turned into text with
 * poppler. Markdown and plain text pass through normalisation only (UTF-8
 * repaired, line endings unified, trailing spaces and runs of blank lines
 * collapsed).
 *
 * Limits: input size, DOM depth and output size are capped (opts); past
 * them extraction fails with CW_ETOOBIG or stops descending, never crashes.
 * Thread-safe; no global state.
 */
#include "../decl/decl.h"
#include "../util/util.h"

enum cw_extract_kind {
	CW_EXTRACT_AUTO = 0, /* sniff from content type, name and bytes */
	CW_EXTRACT_HTML,
	CW_EXTRACT_PDF,
	CW_EXTRACT_MARKDOWN,
	CW_EXTRACT_TEXT,
};

/* One fetched page. */
struct cw_extract_input {
	const char *data;
	size_t len;
	const char *url;  /* base for relative links; may be NULL */
	const char *name; /* file name or URL, for messages and sniffing */
	const char *content_type; /* "text/html", ...; NULL to sniff */
	const char *charset;	  /* from HTTP; NULL: BOM / <meta> / UTF-8 */
	enum cw_extract_kind kind;
};

struct cw_extract_opts {
	size_t max_input;  /* bytes per page, default 64 MiB */
	size_t max_output; /* bytes of text, default 16 MiB */
	int max_depth;	   /* DOM depth rendered, default 400 */
};
#define CW_EXTRACT_OPTS_INIT              \
	{                                 \
		64u << 20, 16u << 20, 400 \
	}

/*
 * Extract a document from its pages.
 *
 * out       [out] initialised buffer; receives the text (UTF-8, ends with
 *           one newline). Left empty on failure.
 * pages     `n` pages; for a combine declaration, page i is the document of
 *           decl->sources[i], joined in that order
 * decl      the declaration to apply, or NULL (HTML: the whole <body>)
 * warnings  optional; e.g. "filter 'cleanUrls' is a JavaScript filter of
 *           Open Terms Archive, not applied"
 * Returns CW_OK; CW_EEMPTY when the selectors match nothing or the result
 * is empty ("extraction failed", the message names the selector);
 * CW_ETOOBIG; CW_EINVAL when n does not match the declaration's sources;
 * CW_EPARSE for an unreadable PDF or an invalid selector.
 */
int cw_extract_document(struct cw_buf *out,
			const struct cw_extract_input *pages, size_t n,
			const struct cw_decl_doc *decl,
			struct cw_strv *warnings,
			const struct cw_extract_opts *opts, struct cw_err *err);

/* Guess the kind of an input from its content type, name and first bytes. */
enum cw_extract_kind cw_extract_sniff(const struct cw_extract_input *in);

/*
 * Normalise text that needs no parsing (Markdown, plain text): repair
 * UTF-8, CRLF/CR to LF, strip trailing blanks on lines, collapse 3+ newlines
 * to 2, strip leading blank lines, end with exactly one newline.
 */
int cw_extract_normalize(struct cw_buf *out, const char *text, size_t len,
			 struct cw_err *err);

#endif
