#ifndef CW_PIPELINE_H
#define CW_PIPELINE_H
/*
 * pipeline: one document through fetch -> snapshot -> extract -> version
 * -> segment -> (diff -> change), recorded in the store. Used by the CLI's
 * fetch, ingest and import-history commands and by the monitor.
 *
 * Each recorded version is written in one transaction together with its
 * snapshot, provisions and its change against the previous version (the
 * change record of diff/record.h, compact), so a crash at any point leaves
 * either all of them or none. Fetch attempts are recorded in every case, also
 * when nothing changed and when the fetch or the extraction failed; a
 * failure never produces a version.
 *
 * Analysis of changes (pipeline_analyze.c), when enabled with
 * cw_pipeline_enable_analysis() (the monitor does): when a new version
 * changes a document, the provisions the change touches are analysed
 * (analyze.h) on both sides, in the transaction of the version, and the
 * stored change names, per changed provision, its taxonomy categories (old
 * and new side) and the moves of its exposure level, and the categories of
 * all changed provisions (docs/config.md, "Categories in changes"). The
 * old side is read from the previous version's stored analysis when there
 * is one. The whole new version is analysed and stored per version, as
 * `clausewatch analyze` stores it, by cw_pipeline_analyse_pending() after
 * the pass (the monitor calls it), off the path of the documents being
 * recorded. A first version is not analysed here: it has no change, and
 * `analyze` computes its analysis when it is first asked for.
 */
#include "../decl/decl.h"
#include "../diff/diff.h"
#include "../diff/record.h"
#include "../extract/extract.h"
#include "../fetch/fetch.h"
#include "../segment/segment.h"
#include "../store/store.h"

struct cw_pipeline_opts {
	struct cw_fetch_opts fetch;
	bool use_browser; /* allow headless Chromium for executeClientScripts */
	struct cw_extract_opts extract; /* caps, and the PDF limits */
};

/*
 * Block pages and cookie walls. Tuned on the version histories of
 * ../shared/corpus (3,983 consecutive pairs whose newer text has 2000
 * bytes or more, 142 pairs where it collapses below 20% of the one
 * before and below 2000 bytes). The collapsed ones are what a monitor
 * must not record: a heading alone ("GitHub Privacy Statement", 49 bytes
 * after 62 KB), "Redirecting to ...", "this page is being retired". Real
 * rewrites shrink a lot too (GitHub Copilot Terms of Service went from
 * 49,770 to 3,598 bytes, 7%), so a ratio alone would refuse them; what
 * the stubs share is both a collapse and a tiny size. Hence: under 20%
 * of the previous length *and* under 2000 bytes (test_monitor checks
 * both cases on the corpus). The monitor's settings blocked_ratio and
 * blocked_min_bytes (docs/config.md) replace these defaults.
 */
#define CW_PIPELINE_BLOCKED_RATIO 0.2
#define CW_PIPELINE_BLOCKED_MIN_BYTES 2000

struct cw_pipeline_stub;

/* The rule of what is not a version (the top of this file). */
struct cw_pipeline_guard {
	double blocked_ratio;		/* text < ratio x latest version ... */
	long blocked_min_bytes;		/* ... and < this many bytes: blocked;
				    below it, the phrases are looked for */
	struct cw_pipeline_stub *stubs; /* the phrases, owned */
	size_t n_stubs, cap_stubs;
};

/* The default ratio and size, and no phrases. */
void cw_pipeline_guard_init(struct cw_pipeline_guard *g);

/*
 * Add the phrases of `path` (data/monitor/not-a-version.json) to `g`.
 * Returns CW_OK, or the load error naming the file and the field (then g
 * has no phrases).
 */
int cw_pipeline_guard_load(struct cw_pipeline_guard *g, const char *path,
			   struct cw_err *err);
void cw_pipeline_guard_release(struct cw_pipeline_guard *g);

/*
 * May `text` (`len` bytes, as it would be recorded) be a version of a
 * document whose latest version has `prev_len` bytes (0: none)? Pure and
 * thread-safe.
 * Returns CW_OK, or CW_EEMPTY with err saying why in words a reader acts
 * on ("an error page, not a version: its 131 bytes say \"this page isn't
 * available\""); the caller names the input.
 */
int cw_pipeline_check_text(const struct cw_pipeline_guard *g, const char *text,
			   size_t len, int64_t prev_len, struct cw_err *err);

/*
 * A pipeline: the store it records into and the rules of the later stages
 * (loaded once from the data directory). Not thread-safe: one per thread.
 */
struct cw_taxonomy;

struct cw_pipeline {
	struct cw_store *store;	     /* borrowed */
	struct cw_diff_rules *rules; /* owned */
	struct cw_taxonomy *tax;     /* owned: what each change means
					(analyze/meaning.h) */
	struct cw_pipeline_opts opts;
	struct cw_pipeline_guard guard;	       /* what is not a version */
	struct cw_pipeline_analysis *analysis; /* owned; NULL: changes are
						  not analysed */
};

/*
 * Set up `p` over `store` with the rules under `data_dir` (diff/...,
 * monitor/not-a-version.json) and the taxonomy (taxonomy/...).
 * Returns CW_OK or the rules' load error (naming the file and field).
 */
int cw_pipeline_init(struct cw_pipeline *p, struct cw_store *store,
		     const char *data_dir, struct cw_err *err);
void cw_pipeline_release(struct cw_pipeline *p);

struct cw_pipeline_result {
	int outcome;	    /* enum cw_store_outcome */
	int64_t version_id; /* new or latest version, 0 if none */
	int64_t version_seq;
	int64_t snapshot_id; /* 0 if none */
	bool new_snapshot;
	bool refused; /* cw_pipeline_check_text() refused the text: the
			 error says why (outcome extraction_failed) */
	size_t n_provisions;
	size_t text_len;
	char stated_date[16]; /* "2025-07-31" or "" */
	int64_t change_id;    /* 0 if no change was recorded */
	char materiality[16]; /* of the recorded change, or "" */
	size_t n_changes;     /* provisions changed */
};

/* Default options (fetch and extraction defaults, browser allowed). */
void cw_pipeline_opts_init(struct cw_pipeline_opts *opts);

/*
 * Fetch every page of `doc`'s declaration (Chromium for pages declared
 * with executeClientScripts: true), then as cw_pipeline_record_pages().
 * A failed page records a failed attempt and returns its error.
 */
int cw_pipeline_fetch_document(struct cw_pipeline *p,
			       const struct cw_store_doc *doc,
			       const struct cw_decl_doc *decl,
			       struct cw_pipeline_result *out,
			       struct cw_strv *warnings, struct cw_err *err);

/*
 * Archive `pages` as a snapshot of document `doc_id`, extract them with
 * `decl` (NULL: whole page), and record a version if the text changed.
 * Returns CW_OK (see out->outcome), CW_EEMPTY when extraction gave nothing
 * or a text that is not a version (cw_pipeline_check_text(), out->refused;
 * recorded as extraction_failed, no version) or another failure.
 */
int cw_pipeline_record_pages(struct cw_pipeline *p, int64_t doc_id,
			     const struct cw_decl_doc *decl,
			     const struct cw_extract_input *pages, size_t n,
			     const char *at, const char *origin,
			     struct cw_pipeline_result *out,
			     struct cw_strv *warnings, struct cw_err *err);

/* The pages as the store records them, borrowing their bytes and
 * names (free the array only); *bytes is their total size. */
struct cw_store_page *
cw_pipeline_store_pages(const struct cw_extract_input *pages, size_t n,
			int64_t *bytes);

/* Record a failed check of document `doc_id` as an attempt (err may be
 * NULL: the record is then best effort). */
int cw_pipeline_record_failure(struct cw_store *s, int64_t doc_id,
			       const char *at, const char *url, long status,
			       const char *msg, double secs,
			       struct cw_err *err);

/*
 * The part of cw_pipeline_record_pages() that needs no store: extraction
 * and segmentation of the fetched pages. Pure and thread-safe (the
 * monitor runs it on worker threads, PDF pages included: each is read in
 * a process of its own, extract.h), so that only the store writes stay on
 * the store's thread.
 * cw_pipeline_record_pages() is exactly cw_pipeline_prepare() followed by
 * cw_pipeline_commit(), so both paths record the same versions.
 */
struct cw_pipeline_prepared {
	int xrc;		     /* extraction: CW_OK or its failure */
	struct cw_err xerr;	     /* why, when xrc != CW_OK */
	struct cw_buf text;	     /* the extracted text (xrc == CW_OK) */
	int src;		     /* segmentation: CW_OK or its failure */
	struct cw_err serr;	     /* why, when src != CW_OK */
	struct cw_segmentation *seg; /* provisions of text, owned */
};
void cw_pipeline_prepared_init(struct cw_pipeline_prepared *pp);
void cw_pipeline_prepared_release(struct cw_pipeline_prepared *pp);

/*
 * Extract `pages` with `decl` (NULL: whole page) and `xopts` (NULL:
 * defaults) and segment the text into `out` (initialised). Failures are
 * kept in out (xrc, src), not returned: cw_pipeline_commit() records them
 * as cw_pipeline_record_pages() does.
 */
void cw_pipeline_prepare(struct cw_pipeline_prepared *out,
			 const struct cw_decl_doc *decl,
			 const struct cw_extract_input *pages, size_t n,
			 const struct cw_extract_opts *xopts,
			 struct cw_strv *warnings);

/*
 * Record a prepared document: the store half of cw_pipeline_record_pages()
 * (same arguments and results). `pp` is not modified.
 */
int cw_pipeline_commit(struct cw_pipeline *p, int64_t doc_id,
		       const struct cw_pipeline_prepared *pp,
		       const struct cw_extract_input *pages, size_t n,
		       const char *at, const char *origin,
		       struct cw_pipeline_result *out, struct cw_err *err);

/*
 * Record an already extracted text (Markdown or plain text: normalised
 * here) as a version of `doc_id` at time `at`, if it differs from the
 * latest version. As extraction does for a Markdown page: binary data is
 * refused (CW_EUNSUPPORTED), invalid UTF-8 repaired with a warning naming
 * `name` (a file; NULL: "text") and the byte offset, a text there twice
 * recorded once with a warning (cw_extract_check_bytes(),
 * cw_extract_undouble()). CW_EEMPTY (out->refused) when the text is not a
 * version (cw_pipeline_check_text()): nothing is written. `warnings` is
 * optional.
 */
int cw_pipeline_record_text(struct cw_pipeline *p, int64_t doc_id,
			    const char *text, size_t len, const char *name,
			    const char *at, const char *origin,
			    struct cw_pipeline_result *out,
			    struct cw_strv *warnings, struct cw_err *err);

/*
 * Is the text (as cw_pipeline_record_text would record it) already the
 * document's text at time `at`? *done is true when the version in force
 * at `at` has the same text: the file was recorded, or repeated the
 * version before it. How an interrupted import knows what is done.
 * CW_EEMPTY (err says why) when it is not done because the text is not a
 * version (cw_pipeline_check_text() against the version in force then).
 */
int cw_pipeline_text_recorded(struct cw_pipeline *p, int64_t doc_id,
			      const char *text, size_t len, const char *at,
			      bool *done, struct cw_err *err);

/* ---- analysis of changes (pipeline_analyze.c) ---- */

/* What the analysis of changes cost so far (for `monitor --json`). */
struct cw_pipeline_analysis_stats {
	size_t changes;	   /* changes annotated with categories */
	size_t provisions; /* provisions analysed for them */
	size_t reused;	   /* changes whose old side was a stored analysis */
	size_t failed;	   /* changes left without categories, versions
				left unanalysed (an analysis error) */
	double seconds;	   /* CPU time of the thread annotating changes
				(store reads included) */
	size_t versions;   /* whole versions analysed and stored after the
				pass (cw_pipeline_analyse_pending) */
	size_t version_provisions; /* provisions in those */
	double version_seconds;	   /* CPU time spent on them */
};

/* Versions queued for their full analysis at most (past it, `analyze`
 * computes them when asked): bounds memory in a pass of many changes. */
#define CW_PIPELINE_PENDING_MAX 100000

/*
 * Analyse the changes `p` records from now on, with the taxonomy, model
 * and templates under `data_dir` (loaded at the first change, so that a
 * pass without changes pays nothing). If they cannot be loaded, changes
 * are recorded without categories and the error is kept in each change
 * ("analysis": {"error": ...}) and printed once on stderr: a broken
 * taxonomy file must not stop the monitoring.
 */
void cw_pipeline_enable_analysis(struct cw_pipeline *p, const char *data_dir);

/* Counters since cw_pipeline_enable_analysis(); zeros when disabled. */
void cw_pipeline_analysis_stats(const struct cw_pipeline *p,
				struct cw_pipeline_analysis_stats *out);

/* The two versions of a change, as record_change() has them. */
struct cw_pipeline_change_versions {
	int64_t doc_id;
	int64_t old_id, new_id; /* version ids (the new one just
					  recorded, in the open transaction) */
	int64_t old_seq, new_seq;
	const char *old_date, *new_date; /* "YYYY-MM-DD": stated, else the
					    recording date */
	const char *old_text, *new_text;
	size_t old_len, new_len;
	const struct cw_segmentation *old_seg, *new_seg;
};

/*
 * Annotate the change record `change` (cw_change_record_from_diff() of
 * `d`, modified in place) with categories and exposure moves, and queue
 * the new version for cw_pipeline_analyse_pending(). Runs inside the
 * caller's transaction (reads only). Analysis failures are not returned:
 * they leave the change without categories and with `analysis_error`
 * set. Returns CW_OK or a store error.
 */
int cw_pipeline_analyze_change(struct cw_pipeline *p,
			       struct cw_change_record *change,
			       const struct cw_diff *d,
			       const struct cw_pipeline_change_versions *v,
			       struct cw_err *err);
/*
 * Analyse in full and store every new version whose change was annotated
 * since the last call (skipping those analysed meanwhile), each in its own
 * transaction. Analysis errors are counted (stats.failed), not returned.
 * Returns CW_OK or a store error (the versions not done stay queued).
 */
int cw_pipeline_analyse_pending(struct cw_pipeline *p, struct cw_err *err);

/* Free the analysis state (cw_pipeline_release() calls it). */
void cw_pipeline_analysis_free(struct cw_pipeline_analysis *a);

#endif
