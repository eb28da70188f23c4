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
 * poppler, in a child process of its own (below). Markdown and plain text
 * pass through normalisation only (UTF-8 repaired, line endings unified,
 * trailing spaces and runs of blank lines collapsed).
 *
 * Limits: input size, DOM depth and output size are capped (opts); past
 * them extraction fails with CW_ETOOBIG or stops descending, never crashes.
 * Thread-safe; no global state.
 *
 * PDFs: poppler's text extraction has no bound of its own (a page of
 * one text drawn many times at one place costs the square of its
 * characters: about 25 s for an 8 KB file) and keeps global state we do not
 * trust across threads. So a PDF is read by this same program run
 * again (/proc/self/exe, with CW_EXTRACT_PDF_HELPER as its first
 * argument, which cw_extract_pdf_helper_main() recognises), the PDF on its
 * standard input and the text back through a pipe, capped at max_output.
 * The child limits its own CPU time and address space (setrlimit) and the
 * caller kills it past its wall-clock deadline; a PDF past either limit
 * fails with CW_ETIMEOUT ("PDF extraction took longer than 20 s") or
 * CW_ETOOBIG ("PDF extraction used more than 1024 MiB").
 */
#include <signal.h>

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
	/* when the page was fetched: picks a filter's version in the
	 * .filters.history.js; 0: the current filters */
	time_t fetched_at;
};

struct cw_extract_opts {
	size_t max_input;    /* bytes per page, default 64 MiB */
	size_t max_output;   /* bytes of text, default 16 MiB */
	int max_depth;	     /* DOM depth rendered, default 400 */
	long pdf_timeout_ms; /* wall clock of one PDF's text, 20000; also its
				CPU time, rounded up to whole seconds */
	long pdf_memory_mb;  /* address space of the PDF's process, 1024 */
	/* optional: a program's stop flag (SIGTERM); a PDF's or a filter's
	 * process running when it is set is killed within 200 ms and the
	 * extraction fails with "stopped" */
	volatile sig_atomic_t *stop;
	/*
	 * PDF text in this process, with neither limit, by this reader
	 * (cw_extract_pdf_reader): for the fuzz harnesses and tests, never
	 * for untrusted input in a process that does anything else (and
	 * never from two threads at once: poppler's global state). A
	 * pointer, not a flag, so that only a program that sets it links
	 * poppler (cli.h, "The two programs").
	 */
	int (*pdf_in_process)(struct cw_buf *out, const char *data, size_t len,
			      struct cw_err *err);
	/*
	 * JavaScript filters (below, "JavaScript filters"). NULL or 0 take
	 * the defaults: node is $CW_NODE or `node` in PATH; the runner is
	 * $CW_FILTERS_RUNNER, else the source tree's, else the installed
	 * one; jsdom is looked for in $CW_FILTERS_MODULES, else
	 * ${XDG_DATA_HOME:-~/.local/share}/clausewatch/filters/node_modules
	 * (where `scripts/install-deps --filters` puts it).
	 */
	const char *node;
	const char *filters_runner;
	const char *filters_modules;
	long filters_timeout_ms; /* wall clock and CPU of one page's filters,
				    20000 */
	long filters_memory_mb;	 /* node's heap (--max-old-space-size), 512 */
	bool filters_off;	 /* never run them (the warning says so) */
};
/* The PDF limits that settings accept (docs/config.md): from 0.1 s to an
 * hour, from 128 MiB (the program itself, its libraries loaded, maps
 * about 100 MiB before poppler reads anything) to 1 TiB. Plain numbers:
 * flags quote them. */
#define CW_EXTRACT_PDF_TIMEOUT_MIN 100
#define CW_EXTRACT_PDF_TIMEOUT_MAX 3600000
#define CW_EXTRACT_PDF_MEMORY_MIN 128
#define CW_EXTRACT_PDF_MEMORY_MAX 1048576
#define CW_EXTRACT_OPTS_INIT                                     \
	{                                                        \
		.max_input = 64u << 20, .max_output = 16u << 20, \
		.max_depth = 400, .pdf_timeout_ms = 20000,       \
		.pdf_memory_mb = 1024,                           \
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
 * CW_ETOOBIG (also a PDF past its memory limit); CW_ETIMEOUT for a PDF
 * past its time limit; CW_EINVAL when n does not match the declaration's
 * sources; CW_EPARSE for an unreadable PDF (its process crashed included)
 * or an invalid selector; CW_EIO when the PDF's process cannot be run.
 */
int cw_extract_document(struct cw_buf *out,
			const struct cw_extract_input *pages, size_t n,
			const struct cw_decl_doc *decl,
			struct cw_strv *warnings,
			const struct cw_extract_opts *opts, struct cw_err *err);

/*
 * JavaScript filters. A declaration's filters other than the built-in
 * removeQueryParams are functions of the service's .filters.js (and, for
 * their earlier versions, .filters.history.js), read with the declaration
 * into decl->js. When a page's source names one and node with jsdom is
 * found, the page (decoded to UTF-8) goes to our runner
 * (src/extract/filters_runner.mjs) in a node process of its own, which
 * applies every filter of the source in the declared order, built-in
 * ones included, as Open Terms Archive's engine does: on the whole
 * document before `remove` and `select`, each given the document, its
 * parameter when it has a truthy one, and the source's declaration;
 * awaited when async. Its answer, the filtered document serialised, is
 * then parsed and extracted as any page. A filter that throws fails the
 * extraction (CW_EINVAL) naming the filters file, the filter and the
 * reason; past filters_timeout_ms CW_ETIMEOUT, past filters_memory_mb
 * CW_ETOOBIG. Without node or jsdom the filters are skipped with a
 * warning that says how to install them (docs/filters.md).
 */

/*
 * Is the filter runner usable with `opts` (NULL: defaults)? When not and
 * `why` is given, it receives the reason ("node not found in PATH").
 */
bool cw_extract_filters_available(const struct cw_extract_opts *opts, char *why,
				  size_t why_len);

/*
 * The text of the PDF `data` (`len` bytes), made here with poppler and
 * normalised, into `out` (at most out->max bytes): what the helper runs,
 * and what opts->pdf_in_process may be set to. Messages do not name the
 * input. Not to be called from two threads at once; no limit of time or
 * memory. Returns CW_OK, CW_EPARSE (unreadable) or CW_ETOOBIG.
 */
int cw_extract_pdf_reader(struct cw_buf *out, const char *data, size_t len,
			  struct cw_err *err);

/* The first argument that makes a program the PDF helper. */
#define CW_EXTRACT_PDF_HELPER "--clausewatch-internal-pdf-text"

/*
 * The PDF helper's side of the child process (see the top of this file).
 * Every program that extracts PDFs without pdf_in_process calls it first
 * thing in main():
 *
 *	int rc = cw_extract_pdf_helper_main(argc, argv);
 *	if (rc >= 0)
 *		return rc;
 *
 * Returns -1 at once, touching nothing, unless argv[1] is
 * CW_EXTRACT_PDF_HELPER; 2 when the other arguments are not the limits
 * it expects. Otherwise it applies the limits, reads the PDF from
 * standard input, writes the answer on standard output and ends the
 * process (_exit): status 0 when the answer was written, also for a PDF
 * that fails.
 */
int cw_extract_pdf_helper_main(int argc, char **argv);

/* Guess the kind of an input from its content type, name and first bytes. */
enum cw_extract_kind cw_extract_sniff(const struct cw_extract_input *in);

/*
 * Normalise text that needs no parsing (Markdown, plain text): repair
 * UTF-8, CRLF/CR to LF, strip trailing blanks on lines, collapse 3+ newlines
 * to 2, strip leading blank lines, end with exactly one newline.
 */
int cw_extract_normalize(struct cw_buf *out, const char *text, size_t len,
			 struct cw_err *err);

/*
 * A text that is the same block two to four times over, the copies
 * differing at most in whitespace (a page that renders its content twice,
 * once per screen size, under one selector: Amazon Prime's Terms of
 * Service of 2026-08-15 in ../shared/corpus is its 9 KB text twice), is
 * one document: keep its first copy. Works on text->ptr[start..len), the
 * rest of the buffer untouched; the text then ends with one newline. A
 * block of fewer than CW_EXTRACT_UNDOUBLE_MIN characters is left alone (a
 * heading said twice is not a document said twice). Linear in the text
 * for each number of copies tried.
 * Returns the number of copies found: 1 when the text is not repeated
 * (then it is untouched).
 */
/*
 * Are `len` bytes of input named `name` (a file, a URL; NULL: "text") a
 * document we can read? Binary data is refused: a NUL byte in the first
 * CW_EXTRACT_BINARY_PROBE bytes (git's test, xdiff's buffer_is_binary),
 * unless a UTF-16 or UTF-32 byte order mark starts it; then, when `utf8`
 * (Markdown and plain text, read as UTF-8), a text of which more than a
 * tenth of the bytes are invalid UTF-8. Fewer invalid sequences are
 * repaired (U+FFFD) by cw_extract_normalize(): one warning says how many
 * and the byte offset of the first ("'x.md': 2 invalid UTF-8 sequences
 * replaced with U+FFFD, the first at byte offset 1042").
 * Returns CW_OK or CW_EUNSUPPORTED naming the input and the offset.
 */
#define CW_EXTRACT_BINARY_PROBE 8000
int cw_extract_check_bytes(const char *data, size_t len, const char *name,
			   bool utf8, struct cw_strv *warnings,
			   struct cw_err *err);

#define CW_EXTRACT_UNDOUBLE_MAX 4
#define CW_EXTRACT_UNDOUBLE_MIN 200
unsigned cw_extract_undouble(struct cw_buf *text, size_t start);

#endif
