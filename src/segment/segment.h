#ifndef CW_SEGMENT_H
#define CW_SEGMENT_H
/*
 * segment: a version's text becomes a tree of provisions.
 *
 * Input is the extracted text of one version (Markdown as rendered by
 * extract, or plain text). Output is a flat array of provisions in document
 * order; the tree is given by `parent` indices. Invariants (tests check them
 * on every version of the corpus):
 *
 * - items[i].start < items[i].end, offsets are bytes into the input text;
 * - the top-level provisions (parent == -1) tile the text: the first starts
 *   at 0, each starts where the previous ends, the last ends at `len`;
 *   nothing is lost or counted twice;
 * - a child's range lies inside its parent's range, and the children of one
 *   parent are in order and do not overlap;
 * - text before the first heading is a provision with key "preamble",
 *   level 1 (only when that text is not empty);
 * - keys are unique within one segmentation (a repeated key gets a suffix
 *   "~2", "~3").
 *
 * Keys. A numbered heading's key is its chain of numbers through its
 * numbered ancestors: "3", "3.b" ("b." under "3."), "13.b", "IV" (roman
 * numerals as written), "2.a.i"; a multi-level number is absolute ("1.1",
 * "4.2.1", whatever the parent), as is "Section 3" -> "3". Unnumbered
 * ancestors (a part heading "Host Terms", a document title that some
 * versions lose) are left out, so that they do not rename the sections
 * when they come or go; only when a chain repeats in the document
 * (numbering that restarts in each part) is it put under its parent's
 * key ("guest-terms.1"). An unnumbered heading (Markdown heading, bold
 * line, bold lead-in "**Minimum age**. ...") gets a slug of its title
 * under its parent's key: "registration-and-access.minimum-age" (ASCII
 * letters and digits in lower case, other scripts kept as UTF-8, anything
 * else a '-'; past 64 bytes cut at a word and tagged with 6 hex digits of
 * a hash of the whole title). A slug, not an ordinal, because inserting an
 * unrelated section must not rename the others: diff matches provisions
 * of two versions by key first. "s<n>" (n the heading's ordinal) is used
 * only when a title has no letter or digit. On the corpus, 98% of the
 * provisions whose text is unchanged between two versions keep their key.
 *
 * What is a heading: Markdown ATX and setext headings (also inside list
 * items); numbered lines with a title ("1. Who We Are", "**1\. Fees**",
 * "1.  **FEES**. Text", "A. License. Text", "(a) **Access.** Text",
 * "2.\nAccount Creation"); multi-level numbers even without a title ("1.1
 * We grant ..."); "Section 3", "Article II"; whole bold lines (also when
 * the bold closes on a later line); all-caps lines; short title-like
 * paragraphs of their own followed by text ("Child Exploitation"); bold
 * lead-ins; in plain-text scrapes a short title line followed by a line
 * starting with "." ("Minimum age\n. You must ..."). A list item "1.  I.
 * Account" takes the document's roman numeral, not the renderer's list
 * number. Numbering must run in sequence (also across a part heading that
 * closed it: "4." ... "Host Terms" ... "5."), so dates, amounts, "U.S."
 * or a stray "5." are body text; a numbered item that is a plain sentence
 * ("1. Don't compromise the privacy of others, including:") stays in the
 * body of the provision that lists it. Runs of 3+ bare titles (a table of
 * contents) are body text. The document title (a first unnumbered heading
 * whose kind only ever carries that title, or the H1 when every H1 is that
 * title) is part of the preamble. Dated lines ("Effective: July 31, 2025")
 * are never headings. Levels follow the nesting of the numbering and of
 * the Markdown levels; see segment.c.
 *
 * Cost: linear in the text (each line is looked at through a bounded
 * window) plus an n log n sort of the number chains, and SHA-256 of each
 * provision (each byte hashed once per level it belongs to); about 250
 * MB/s of CPU on the corpus.
 *
 * Pure and thread-safe: no global state.
 */
#include "../util/json.h"
#include "../util/util.h"

struct cw_provision {
	char *key;    /* "3.b", "13", "preamble", "s4" (unnumbered heading n) */
	char *title;  /* "Use Restrictions"; "" when the heading has none */
	int level;    /* 1 for top-level, 2 for their children, ... */
	long parent;  /* index into the array, -1 for top-level */
	size_t start; /* byte range [start, end) in the text, heading ... */
	size_t end;   /* ... through the end of its last descendant */
	size_t body;  /* offset where the text after the heading starts */
	char hash[CW_SHA256_HEX]; /* SHA-256 of text[start, end); "" under
				     cw_segment_opts.no_hashes */
};

struct cw_segmentation {
	struct cw_provision *items;
	size_t n;
};

struct cw_segment_opts {
	size_t max_provisions; /* cap on provisions; past it, deeper levels merge */
	int max_depth;	       /* deepest level kept (default 6) */
	/* leave every hash "" (default false): for a caller that never
	 * reads them, as the provision diff of two files does not */
	bool no_hashes;
};
#define CW_SEGMENT_OPTS_INIT    \
	{                       \
		20000, 6, false \
	}

/*
 * Segment `text[0..len)`.
 *
 * out   [out] new segmentation, free with cw_segment_free(); NULL on failure
 * opts  NULL means defaults
 * Returns CW_OK, or CW_EINVAL if text is NULL with len > 0.
 * An empty text gives an empty segmentation.
 */
int cw_segment_text(struct cw_segmentation **out, const char *text, size_t len,
		    const struct cw_segment_opts *opts, struct cw_err *err);
void cw_segment_free(struct cw_segmentation *seg); /* NULL is a no-op */

/*
 * The provisions, in order, as JSON: [{"key", "title", "level", "parent"
 * (the parent's key or null), "start", "end"}]. Dumped compact, this is
 * also the provision list the archive's log hashes (docs/log.md), so its
 * shape never changes. New reference.
 */
json_t *cw_segment_json(const struct cw_segmentation *seg);

/*
 * The date a document states for itself ("Effective: July 31, 2025",
 * "Last updated on 3 March 2024", "Last modified: 2024-03-03"), searched
 * in the first part of the text and at its end. Returns CW_OK with *out set
 * to midnight UTC of that date and *at and *len set to the span the date was
 * read from, or CW_ENOTFOUND.
 */
int cw_segment_stated_date(time_t *out, size_t *at, size_t *len,
			   const char *text, size_t textlen);

/* Index of the provision with `key`, or -1. */
long cw_segment_find(const struct cw_segmentation *seg, const char *key);

#endif
