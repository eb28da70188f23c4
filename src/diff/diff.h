#ifndef CW_DIFF_H
#define CW_DIFF_H
/*
 * diff: provision-level changes between two versions of a document.
 *
 * Input: two versions, each its text and its segmentation (segment.h).
 * Output: a change list. Every provision of either side ends up in exactly
 * one class (enum cw_diff_kind); the list holds one entry per class
 * instance: a pair (old, new) for unchanged, modified, moved, renumbered;
 * one provision for added and removed; one old and several new for split;
 * several old and one new for merged.
 *
 * What is compared: the *own text* of a provision, from its start up to
 * its first child (or its end when it has none): its heading and the text
 * that introduces its children. A parent is therefore never reported
 * modified just because one of its children changed; each change is
 * reported on the deepest provision whose own text it touches. The
 * `old_start/old_end` and `new_start/new_end` of a change delimit those
 * own texts (byte offsets into the texts given), and every redline offset
 * lies inside them.
 *
 * Alignment (align.c), at every level of the tree at once, in passes,
 * each taking only provisions left unpaired by the previous ones:
 *   1. same key and same title (titles compared case-folded);
 *   2. same own text (hash of the noise-normalised text), in document
 *      order among equal texts: catches renumbered and moved provisions;
 *   3. same title, unique on both sides (renumbered and edited);
 *   4. same key with similar content (retitled);
 *   5. content similarity (Jaccard over hashed word 3-shingles), greedy
 *      best-first above CW_DIFF_SIM_PAIR;
 *   6. split / merged: an unpaired provision whose shingles are mostly
 *      covered by two or more unpaired provisions of the other side, each
 *      of which is mostly contained in it.
 * A pair is `moved` when it is outside the longest order-preserving chain
 * of pairs (LIS over document order), `renumbered` when its key changed;
 * both carry `modified` when the own text changed beyond the heading's
 * number.
 *
 * Redline (words.c): tokens are runs of letters and digits (any non-ASCII
 * UTF-8 sequence counts as a letter) and single punctuation characters;
 * whitespace separates tokens and is never a token. The edit script is
 * Myers' O(ND) algorithm in linear space (E. Myers, "An O(ND) Difference
 * Algorithm and Its Variations", Algorithmica 1986, section 4b), after
 * discarding tokens absent from the other side, with xdiff's cost limit
 * (git xdiff/xdiffi.c): past `max_cost` edit steps in one split the
 * furthest-reaching diagonal is taken, so the result stays a correct
 * (if longer) edit script. A semantic cleanup pass then folds short
 * equalities lying between edits into them (after N. Fraser's
 * diff-match-patch cleanupSemantic), so the redline reads by phrases.
 *
 * Noise, facts and summary sentences are data (data/diff/noise.json,
 * data/diff/facts.json, data/diff/templates.json), loaded and validated by
 * cw_diff_rules_load() into an immutable `struct cw_diff_rules`.
 *
 * Thread safety: cw_diff_compute() and the renderers are pure (inputs are
 * never modified, no global state); one `struct cw_diff_rules` may be
 * shared by any number of threads at once.
 */
#include "../segment/segment.h"
#include "../util/util.h"

/* Pair similarity (Jaccard of 3-shingles) needed by the content pass;
 * tuned on the corpus: below 0.5 unrelated boilerplate paragraphs of a
 * long policy began to pair up, above it real rewordings were missed. */
#define CW_DIFF_SIM_PAIR 0.5

enum cw_diff_kind {
	CW_DIFF_UNCHANGED = 0,
	CW_DIFF_MODIFIED,
	CW_DIFF_ADDED,
	CW_DIFF_REMOVED,
	CW_DIFF_MOVED,	    /* `modified` says whether the text changed too */
	CW_DIFF_RENUMBERED, /* key changed; `modified` as above */
	CW_DIFF_SPLIT,	    /* one old -> several new */
	CW_DIFF_MERGED,	    /* several old -> one new */
};

enum cw_diff_materiality {
	CW_DIFF_NONE = 0,    /* unchanged */
	CW_DIFF_COSMETIC,    /* only noise: whitespace, quotes, case, ... */
	CW_DIFF_EDITORIAL,   /* wording changed, no fact, modal or duty did */
	CW_DIFF_SUBSTANTIVE, /* a fact, modal verb, negation or duty moved */
};

enum cw_diff_op {
	CW_DIFF_OP_DEL = 1, /* old[old_start, old_end) deleted */
	CW_DIFF_OP_INS = 2, /* new[new_start, new_end) inserted */
};

/* One span of a redline. Offsets are absolute bytes into the texts. A
 * deletion has new_start == new_end (the point in the new text where it
 * was), an insertion old_start == old_end. A replacement is a deletion
 * immediately followed by an insertion. */
struct cw_diff_span {
	enum cw_diff_op op;
	size_t old_start, old_end;
	size_t new_start, new_end;
};

enum cw_diff_fact_kind {
	CW_DIFF_FACT_DURATION = 0, /* "30 days" */
	CW_DIFF_FACT_AMOUNT,	   /* "$100", "USD 100", "€50" */
	CW_DIFF_FACT_PERCENT,	   /* "15%" */
	CW_DIFF_FACT_AGE,	   /* "18 years of age", "age of 13" */
	CW_DIFF_FACT_PLACE,	 /* "courts of Ireland", "Los Angeles County" */
	CW_DIFF_FACT_LAW,	 /* "GDPR", "Federal Arbitration Act" */
	CW_DIFF_FACT_MODAL,	 /* may, must, shall, will, can, should */
	CW_DIFF_FACT_NEGATION,	 /* not, never, no ... */
	CW_DIFF_FACT_OBLIGATION, /* a sentence imposing a duty */
	CW_DIFF_FACT_PROHIBITION, /* a sentence forbidding something */
	CW_DIFF_FACT_NKINDS
};

/* A fact present on one side only (or a count that changed). `old_value`
 * is NULL for a fact added, `new_value` NULL for one removed; both set
 * for a pairing the summary reads as "changed from X to Y". Values are
 * normalised text ("30 days", "USD 100"); sentences are trimmed. */
struct cw_diff_fact {
	enum cw_diff_fact_kind kind;
	char *old_value;
	char *new_value;
};

/* One entry of the change list. */
struct cw_diff_change {
	enum cw_diff_kind kind;
	bool modified; /* own text changed (always for MODIFIED) */
	enum cw_diff_materiality materiality;
	/* Provision indices into the segmentations; -1 when absent. For a
	 * split, old[0] and new[0..n_new); for a merge, old[0..n_old), new[0]. */
	long *old_idx;
	size_t n_old;
	long *new_idx;
	size_t n_new;
	/* Own-text ranges; for split/merge, from the first to the last one. */
	size_t old_start, old_end; /* both 0 when there is no old side */
	size_t new_start, new_end; /* both 0 when there is no new side */
	const char *old_key;	   /* borrowed from the segmentation, or NULL */
	const char *new_key;
	const char *title; /* new title, else old; borrowed, never NULL */
	double similarity; /* of the pair, 1.0 when identical */
	/* Word redline (modified provisions; empty otherwise). */
	struct cw_diff_span *spans;
	size_t n_spans;
	bool coarse; /* the cost limit was hit: redline is coarser */
	/* Facts that moved. */
	struct cw_diff_fact *facts;
	size_t n_facts;
	/* Noise rules that explain a cosmetic change ("whitespace", ...). */
	struct cw_strv noise;
	char *summary; /* one sentence, from the templates */
};

/* The change list of one pair of versions. */
struct cw_diff {
	struct cw_diff_change *changes; /* document order of the new side */
	size_t n;
	/* counts per kind, provisions counted on their own side */
	size_t counts[CW_DIFF_MERGED + 1];
	/* Provision pairing, for following a provision through versions
	 * (the timeline): old_pair[i] is the index of the new provision
	 * that old provision i became (its first part for a split), or -1
	 * if it was removed; new_pair[j] likewise backwards. Unchanged
	 * pairs are here even when not in `changes`. */
	long *old_pair; /* n_old_prov entries */
	size_t n_old_prov;
	long *new_pair; /* n_new_prov entries */
	size_t n_new_prov;
	const char *old_text; /* borrowed: the texts given to compute */
	size_t old_len;
	const char *new_text;
	size_t new_len;
};

/* Immutable rules: noise normalisation, fact patterns, templates. */
struct cw_diff_rules;

/*
 * Load noise.json, facts.json and templates.json from `dir` (normally
 * "<data>/diff"), validating every field and compiling every pattern.
 *
 * out  [out] new rules, free with cw_diff_rules_free(); NULL on failure
 * Returns CW_OK, CW_ENOTFOUND (a file is missing), CW_EPARSE (bad JSON or
 * pattern; the message names file, field and position), CW_EINVAL.
 */
int cw_diff_rules_load(struct cw_diff_rules **out, const char *dir,
		       struct cw_err *err);
void cw_diff_rules_free(struct cw_diff_rules *rules); /* NULL: no-op */

enum cw_diff_flags {
	CW_DIFF_KEEP_UNCHANGED = 1u << 0, /* list unchanged pairs too */
	CW_DIFF_NO_REDLINE = 1u << 1,	  /* skip word diffs (alignment only) */
};

struct cw_diff_opts {
	unsigned flags;	       /* enum cw_diff_flags, OR'ed */
	size_t max_cost;       /* edit steps per Myers split before coarsening;
			      * 0: sqrt of the input size, at least 256 */
	size_t max_tokens;     /* word tokens per side of one redline; past it
			      * the provision is one deletion + insertion */
	size_t max_provisions; /* per side; past it CW_ETOOBIG */
};
#define CW_DIFF_OPTS_INIT              \
	{                              \
		0, 0, 1u << 21, 100000 \
	}

/* One side of a diff: the text and its segmentation (both borrowed). */
struct cw_diff_version {
	const char *text;
	size_t len;
	const struct cw_segmentation *seg;
};

/*
 * Align the provisions of `old` and `new`, diff the modified ones and
 * build the change summary.
 *
 * out    [out] new change list, free with cw_diff_free(); NULL on failure.
 *        It borrows the texts, the segmentations and the rules: keep them
 *        alive while it is used.
 * rules  NULL: no noise rules (only whitespace is cosmetic), no facts,
 *        plain summaries
 * opts   NULL means defaults
 * Returns CW_OK, CW_EINVAL (a segmentation does not fit its text) or
 * CW_ETOOBIG (more provisions than opts->max_provisions).
 */
int cw_diff_compute(struct cw_diff **out, const struct cw_diff_version *old,
		    const struct cw_diff_version *new,
		    const struct cw_diff_rules *rules,
		    const struct cw_diff_opts *opts, struct cw_err *err);
void cw_diff_free(struct cw_diff *diff); /* NULL is a no-op */

/*
 * JSON rendering (jansson): the change record of `diff` (record.h) in its
 * full form, {"changes":[...],"counts":{...}}; the members, their types
 * and the schema's versions are in docs/internals/change-record.md.
 * Unchanged pairs appear only if computed with CW_DIFF_KEEP_UNCHANGED.
 * Returns a new reference (json_decref it); the type is `json_t *` from
 * <jansson.h>, declared void * here so this header needs no jansson.
 */
void *cw_diff_to_json(const struct cw_diff *diff);
/* The same as a compact JSON string appended to `out`. */
int cw_diff_to_json_buf(struct cw_buf *out, const struct cw_diff *diff);
/* Markdown: one section per change with summary, facts and a redline
 * written ~~deleted~~ **inserted**. Appended to `out`. */
int cw_diff_to_markdown(struct cw_buf *out, const struct cw_diff *diff);
/* Terminal text: the redline as [-deleted-]{+inserted+}. */
int cw_diff_to_text(struct cw_buf *out, const struct cw_diff *diff);

/* Stable names: "modified", "substantive", "duration", "del". */
const char *cw_diff_kind_name(enum cw_diff_kind kind);
const char *cw_diff_materiality_name(enum cw_diff_materiality m);
const char *cw_diff_fact_kind_name(enum cw_diff_fact_kind kind);
/* Parse a kind or materiality name; -1 if unknown. */
int cw_diff_kind_parse(const char *name);
int cw_diff_materiality_parse(const char *name);

/* ---- lower-level pieces, exported for tests and the analyzer ---- */

/*
 * Word diff of a[0..alen) against b[0..blen). Spans are relative to a and
 * b. `max_cost` 0 means default. *coarse is set when the cost limit or
 * `max_tokens` was hit.
 *
 * out  [out] new array (free()), *n its length; NULL when equal
 */
void cw_diff_words(struct cw_diff_span **out, size_t *n, bool *coarse,
		   const char *a, size_t alen, const char *b, size_t blen,
		   size_t max_cost, size_t max_tokens);

/*
 * Normalise `s[0..len)` by the noise rules into `out` (initialised):
 * what remains differs between two texts only if they differ by more
 * than noise. `heading_len` bytes at the start are case-folded when the
 * rules say so. Names of the rules that changed something are pushed to
 * `fired` (may be NULL).
 */
void cw_diff_noise_normalize(struct cw_buf *out,
			     const struct cw_diff_rules *rules, const char *s,
			     size_t len, size_t heading_len,
			     struct cw_strv *fired);

/* One fact found in a text. */
struct cw_diff_found {
	enum cw_diff_fact_kind kind;
	char *value; /* normalised */
	size_t start, end;
	bool item; /* a duty said by a list item under a lead-in ("do not:") */
};
/*
 * Extract the facts of `s[0..len)`. out [out] new array (free each value,
 * then the array with cw_diff_found_free), *n its length.
 */
void cw_diff_facts_extract(struct cw_diff_found **out, size_t *n,
			   const struct cw_diff_rules *rules, const char *s,
			   size_t len);
void cw_diff_found_free(struct cw_diff_found *found, size_t n);

#endif
