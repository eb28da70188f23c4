#ifndef CW_PIPELINE_H
#define CW_PIPELINE_H
/*
 * pipeline: one document through fetch -> snapshot -> extract -> version
 * -> segment -> (diff -> change), recorded in the store. Used by the CLI's
 * fetch, ingest and import-history commands and by the monitor.
 *
 * Each recorded version is written in one transaction together with its
 * snapshot, provisions and its change against the previous version (the
 * structured summary of diff.h, as JSON), so a crash at any point leaves
 * either all of them or none. Fetch attempts are recorded in every case, also
 * when nothing changed and when the fetch or the extraction failed; a
 * failure never produces a version.
 */
#include "../diff/diff.h"
#include "../extract/extract.h"
#include "../fetch/declaration.h"
#include "../fetch/fetch.h"
#include "../segment/segment.h"
#include "../store/store.h"

struct cw_pipeline_opts {
	struct cw_fetch_opts fetch;
	bool use_browser;   /* allow headless Chromium for executeClientScripts */
};

/*
 * A pipeline: the store it records into and the rules of the later stages
 * (loaded once from the data directory). Not thread-safe: one per thread.
 */
struct cw_pipeline {
	struct cw_store *store;        /* borrowed */
	struct cw_diff_rules *rules;   /* owned */
	struct cw_pipeline_opts opts;
};

/*
 * Set up `p` over `store` with the rules under `data_dir` (diff/...).
 * Returns CW_OK or the rules' load error (naming the file and field).
 */
int cw_pipeline_init(struct cw_pipeline *p, struct cw_store *store,
		     const char *data_dir, struct cw_err *err);
void cw_pipeline_release(struct cw_pipeline *p);

struct cw_pipeline_result {
	int outcome;             /* enum cw_store_outcome */
	int64_t version_id;      /* new or latest version, 0 if none */
	int64_t version_seq;
	int64_t snapshot_id;     /* 0 if none */
	bool new_snapshot;
	size_t n_provisions;
	size_t text_len;
	char stated_date[16];    /* "2025-07-31" or "" */
	int64_t change_id;       /* 0 if no change was recorded */
	char materiality[16];    /* of the recorded change, or "" */
	size_t n_changes;        /* provisions changed */
};

/* Default options (fetch defaults, browser allowed). */
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
 * (recorded as extraction_failed, no version) or another failure.
 */
int cw_pipeline_record_pages(struct cw_pipeline *p, int64_t doc_id,
			     const struct cw_decl_doc *decl,
			     const struct cw_extract_input *pages, size_t n,
			     const char *at, const char *origin,
			     struct cw_pipeline_result *out,
			     struct cw_strv *warnings, struct cw_err *err);

/*
 * Record an already extracted text (Markdown or plain text: normalised
 * here) as a version of `doc_id` at time `at`, if it differs from the
 * latest version.
 */
int cw_pipeline_record_text(struct cw_pipeline *p, int64_t doc_id,
			    const char *text, size_t len, const char *at,
			    const char *origin, struct cw_pipeline_result *out,
			    struct cw_err *err);

#endif
