#ifndef CW_VIEW_H
#define CW_VIEW_H
/*
 * view: the read side. What a face (the command line, the web pages, the
 * JSON API) shows is composed here, once: a document and its versions,
 * the version in force at a date, a provision's analysis with prevalence,
 * how other platforms word it and its history, change lists and
 * timelines, search. The faces parse options or a request, call these
 * functions and print what they return; they compose nothing themselves.
 *
 * Place in the layout: above every pipeline stage it reads (store,
 * segment, diff, analyze, compare), below the faces (cli, http). Nothing
 * here includes a cli or http header.
 *
 * Shapes: the JSON objects built here are the one definition of what a
 * face shows (the README documents them). A version is always
 *   {"seq", "recorded_at", "stated_date" (string or null), "sha256",
 *    "bytes", "provisions", "origin", "snapshot" (0 when none)}
 * and a document in a list {"service", "type", "declared", "versions"
 * (how many), "latest" (recording time of the latest, or null)}.
 *
 * Ownership: every `json_t *` returned is a new reference the caller
 * json_decref()s; results written through `out` belong to the caller.
 * Thread safety: a `struct cw_view` is used by one thread at a time; the
 * free functions are pure.
 */
#include <jansson.h>

#include "../diff/diff.h"
#include "../store/store.h"
#include "../util/util.h"

struct cw_taxonomy;

/*
 * Split "SERVICE/TYPE[@VERSION]" in place at the last '/' (a terms type
 * never has a slash) and the last '@' after it. *version is NULL when
 * absent. False when `ref` has no '/' or an empty side.
 */
bool cw_view_split_ref(char *ref, char **service, char **type, char **version);

/*
 * The document named by "SERVICE/TYPE[@VERSION]".
 *
 * doc      [out] the document (cw_store_doc_release)
 * version  [out] optional: the "@VERSION" part, a copy the caller
 *          free()s, or NULL when absent
 * Returns CW_OK, CW_EINVAL (not SERVICE/TYPE: the message names `ref`)
 * or CW_ENOTFOUND.
 */
int cw_view_find_document(struct cw_store *s, const char *ref,
			  struct cw_store_doc *doc, char **version,
			  struct cw_err *err);

/*
 * A version of a document by name: a sequence number ("3"), an offset
 * from the latest ("0" the latest, "-1" the one before), "latest" or
 * NULL, or an ISO date or time: the version in force then, that is the
 * latest recorded at or before it (a bare date means the end of that
 * day, UTC).
 *
 * out  [out] the version (cw_store_version_release)
 * Returns CW_OK, CW_ENOTFOUND (no such version, or none yet at that
 * date) or CW_EINVAL (neither a number nor a date).
 */
int cw_view_resolve_version(struct cw_store *s, int64_t doc_id,
			    const char *name, struct cw_store_version *out,
			    struct cw_err *err);

/* The one JSON shape of a version and of a document (see above). */
json_t *cw_view_version_json(const struct cw_store_version *v);
json_t *cw_view_doc_json(const struct cw_store_doc *d);
/* The short form of a version used in change records and lists:
 * {"seq", "recorded_at", "stated_date"}. */
json_t *cw_view_version_ref_json(int64_t seq, const char *recorded_at,
				 const char *stated_date);

/*
 * The short form of version `seq` of document `doc_id`, read from the
 * store: what a change record's "from" and "to" and a fetch result's
 * "version" show.
 *
 * out  [out] {"seq", "recorded_at", "stated_date"}, a new reference
 * Returns CW_OK, CW_ENOTFOUND (no such version) or a store error.
 */
int cw_view_version_ref(json_t **out, struct cw_store *s, int64_t doc_id,
			int64_t seq, struct cw_err *err);

/*
 * A document with all its versions, oldest first:
 * {"service", "type", "versions": [version...]}.
 */
int cw_view_document_history(json_t **out, struct cw_store *s,
			     const struct cw_store_doc *doc,
			     struct cw_err *err);

/* ---- provision analyses (analysis.c) ---- */

/*
 * A read session over one store: the analyses it has read or computed
 * (each version's analysis is computed once and stored, cw_analyze_*
 * in analyze.h; later sessions read it back), the latest version of every
 * document with its analysis (for prevalence and how other platforms
 * word a provision), and the similarity index over those. What depends on
 * the rest of the store is composed here at display time: other
 * platforms' provisions (compare.h), prevalence of a category among the
 * services, and a provision's monitoring history (its recorded changes,
 * followed through renumbering, and the exposure moves between the
 * stored analyses of the versions around each change).
 */
struct cw_view;

/*
 * Open a session over `s` (borrowed: keep it open while the session is
 * used) with the analysis data of `data_dir` (taxonomy, regulations,
 * model, templates: see cw_analyze_ctx_new()).
 *
 * out  [out] free with cw_view_free(); NULL on failure
 */
int cw_view_new(struct cw_view **out, struct cw_store *s, const char *data_dir,
		struct cw_err *err);
void cw_view_free(struct cw_view *v); /* NULL is a no-op */
/* Recompute (and store again) analyses instead of reading them back;
 * off by default. */
void cw_view_set_force(struct cw_view *v, bool force);
/* The analysis context of the session (borrowed). */
const struct cw_analyze_ctx *cw_view_analyzer(const struct cw_view *v);

/* Figures of a session, for `analyze --all` and benchmarks. */
struct cw_view_stats {
	size_t computed;	/* versions analysed, not read back */
	size_t provisions;	/* provisions in those */
	double analyse_seconds; /* spent analysing them */
	double index_seconds;	/* building the similarity index */
	size_t index_entries;	/* provisions in the index */
};
void cw_view_stats(const struct cw_view *v, struct cw_view_stats *out);

/*
 * The analysis of a version: from the session, else the store, else
 * computed and stored.
 *
 * out  [out] borrowed from the session (valid until cw_view_free)
 */
int cw_view_analysis(json_t **out, struct cw_view *v,
		     const struct cw_store_doc *doc,
		     const struct cw_store_version *ver, struct cw_err *err);

/* What a provision page is asked for. */
struct cw_view_provision_query {
	const char *key; /* one provision; NULL: every categorised one */
	int audience;	 /* enum cw_audience (analyze.h) */
	const char *jurisdiction; /* the reader's place, or NULL (unknown) */
};

/*
 * The analysis of a version as a provision page shows it:
 *   {"service", "type", "version": {seq, recorded_at, stated_date},
 *    "audience", "model", "provisions": [view...], "categories",
 *    "jurisdiction", "from_store"}
 * where each view is cw_analyze_view_in()'s, with how other platforms
 * word it (the top 3 of the provision's first category), its history and
 * the prevalence of its categories; "from_store" says whether the
 * analysis was read back rather than computed by this call.
 *
 * out  [out] new reference
 * Returns CW_OK, CW_ENOTFOUND (no provision `q->key`) or an error.
 */
int cw_view_analyze_document(json_t **out, struct cw_view *v,
			     const struct cw_store_doc *doc,
			     const struct cw_store_version *ver,
			     const struct cw_view_provision_query *q,
			     struct cw_err *err);

/*
 * How other platforms word provision `key` of a version:
 *   {"service", "type", "version": {...}, "provision", "category",
 *    "hits": [{score, service, type, key, title, quote, source}],
 *    "prevalence": {services, of} or null}
 * on `category` (NULL: the provision's first category), the `top` best.
 * Returns CW_OK, CW_ENOTFOUND (no such provision or category, or no
 * category to compare on) or an error.
 */
int cw_view_compare(json_t **out, struct cw_view *v,
		    const struct cw_store_doc *doc,
		    const struct cw_store_version *ver, const char *key,
		    const char *category, size_t top, struct cw_err *err);

/*
 * Every current document analysed (stored when new), the similarity
 * index built, and the query a provision page makes run for every
 * categorised provision:
 *   {"documents", "provisions", "analysed_versions", "analysed_provisions",
 *    "analyse_seconds", "index_seconds", "query_seconds", "total_seconds",
 *    "index_entries", "queries", "prevalence": {id: {services, of}},
 *    "coverage": {analysed, uncategorised, uncategorised_share}}
 * Seconds are rounded to milliseconds, the share to 4 decimals.
 */
int cw_view_analyze_all(json_t **out, struct cw_view *v, struct cw_err *err);

/*
 * The analysed provisions of the current documents that no category
 * reached, the work list for the taxonomy's rules: an array of
 * {service, type, key, title, text} (`text` an excerpt of the own text,
 * at most 600 bytes, cut at a character boundary).
 */
int cw_view_uncategorised(json_t **out, struct cw_view *v, struct cw_err *err);

/*
 * A category of the taxonomy across the store: its definition and the
 * provisions of the current documents that carry it, side by side with
 * their key figures:
 *   {"id", "name", "group", "definition", "prevalence": {services, of}
 *    (absent when no current document has it), "provisions": [{"service",
 *    "type", "version": ref, "key", "title", "confidence", "exposure":
 *    {consumer, operator}, "parameters": [...]}]}
 * Returns CW_OK, CW_ENOTFOUND (no such category) or an error.
 */
int cw_view_category(json_t **out, struct cw_view *v, const char *id,
		     struct cw_err *err);

/* ---- recorded changes (changes.c) ---- */

/*
 * A recorded change as lists show it:
 *   {"service", "type", "from": version ref, "to": version ref,
 *    "recorded_at", "materiality", "provisions" (how many changed),
 *    "changes": [the change record's entries, docs/internals/
 *    change-record.md]}
 * A side the store no longer has keeps its number only.
 */
json_t *cw_view_change_json(struct cw_store *s,
			    const struct cw_store_change *c);

/* The changes matching `q`, oldest first: {"changes": [change...]}. */
int cw_view_changes(json_t **out, struct cw_store *s,
		    const struct cw_store_change_query *q, struct cw_err *err);

/*
 * A document's timeline: with `key` NULL
 *   {"service", "type", "versions" (how many), "changes": [change...],
 *    "first": the first version or null}
 * and with a provision key, that provision followed back through
 * renumbering and moves to where it was added:
 *   {"service", "type", "provision", "events": [{"recorded_at", "from",
 *    "to", "key" (as numbered then), "change": entry}...], "versions",
 *    "first"}
 * oldest first.
 */
int cw_view_timeline(json_t **out, struct cw_store *s,
		     const struct cw_store_doc *doc, const char *key,
		     struct cw_err *err);

/* ---- the diff of two versions (diff.c) ---- */

/* Two versions of a document, their texts and provisions, and the diff
 * between them (which borrows the rest: release it all together). */
struct cw_view_diff {
	struct cw_store_version from, to;
	struct cw_buf old_text, new_text;
	struct cw_segmentation *old_seg, *new_seg;
	struct cw_diff *diff; /* most material change first (meaning.h) */
	char *summary;	      /* the document summary */
};

/*
 * The provision diff of versions `from` and `to` of `doc`, each named as
 * cw_view_resolve_version() reads a name. `rules` (diff.h; NULL: none)
 * and `tax` (the taxonomy the meaning of each change is read with; NULL:
 * the diff's facts only) stay the caller's; `flags` are enum
 * cw_diff_flags. The changes come most material first, each with the
 * summary of what it means, and `summary` names the most material ones
 * (cw_meaning_explain).
 * Returns CW_OK, CW_ENOTFOUND / CW_EINVAL (a version), or an error; on
 * failure *out holds nothing to release.
 */
int cw_view_diff(struct cw_view_diff *out, struct cw_store *s,
		 const struct cw_store_doc *doc, const char *from,
		 const char *to, const struct cw_diff_rules *rules,
		 const struct cw_taxonomy *tax, unsigned flags,
		 struct cw_err *err);
/* The diff as `diff --json` prints it: cw_diff_to_json() with "summary",
 * "service", "type", "from" and "to" (version refs). New reference. */
json_t *cw_view_diff_json(const struct cw_view_diff *d,
			  const struct cw_store_doc *doc);
void cw_view_diff_release(struct cw_view_diff *d);

/* ---- search (search.c) ---- */

struct cw_view_search_query {
	const char *text;     /* the words looked for */
	bool any;	      /* any word may match (else every word must) */
	const char *service;  /* only this service, or NULL */
	const char *type;     /* only this document type, or NULL */
	bool all_versions;    /* also wording no longer in force */
	size_t limit, offset; /* a page of hits; limit 0: the store's default */
};

/*
 * Provisions whose own text holds the words, best first (BM25 over the
 * store's index, store.h):
 *   {"query", "all_versions", "hits": [{"service", "type", "version":
 *    version ref (the latest with this text), "first_seq", "key",
 *    "title", "score", "snippet" (matches in [brackets])}]}
 */
int cw_view_search(json_t **out, struct cw_store *s,
		   const struct cw_view_search_query *q, struct cw_err *err);

/* ---- audit bundles (bundle.c; docs/log.md) ---- */

struct cw_view_bundle_report {
	size_t records; /* records exported */
	size_t files;	/* files with a proof (a version has two) */
	int64_t bytes;	/* of those files */
	int64_t tree_size;
	char origin[256];
	char service[256], type[256]; /* verify: the bundle's document */
	bool own_key; /* verify: checked with the bundle's own log.vkey */
};

/*
 * Write the audit bundle of `doc` to `path` (a tar, made beside it and
 * renamed, so a failure leaves none): every record of the document the
 * log holds, each with its inclusion proof against the latest checkpoint,
 * which is signed with `key` first when the tree has grown.
 */
int cw_view_bundle_export(struct cw_store *s, const struct cw_store_doc *doc,
			  const struct cw_note_key *key, const char *path,
			  struct cw_view_bundle_report *out,
			  struct cw_err *err);
/*
 * Check a bundle without a store: the checkpoint's signature (by
 * `trusted`, or when NULL by the bundle's own log.vkey), and for every
 * file its SHA-256 against its leaf and its leaf against the checkpoint's
 * root. CW_EINVAL naming the first file that fails.
 */
int cw_view_bundle_verify(const char *path, const struct cw_note_key *trusted,
			  struct cw_view_bundle_report *out,
			  struct cw_err *err);

/* ---- Open Terms Archive datasets (dataset.c, dataset_read.c) ---- */

/*
 * A dataset is how Open Terms Archive publishes a collection: every
 * version of every document as one Markdown file,
 *
 *   <service>/<terms type>/<YYYY-MM-DDTHH-MM-SSZ>.md
 *
 * named by its recording time in UTC, the colons of the time written as
 * hyphens (file systems that refuse ':'), beside a README.md naming the
 * period (and, in OTA's releases, a LICENSE); a released ZIP holds it
 * all under one top folder named after the archive. Our own corpus names
 * files by day, "2024-03-01.md" and "2024-03-01-2.md" (the second version
 * of that day, dated 2 seconds later); both namings are read.
 * docs/dataset.md describes both directions.
 *
 * Caps: one file of a dataset is at most CW_VIEW_DATASET_FILE_MAX bytes
 * (the cap of a document, util.h); a ZIP holds at most
 * CW_VIEW_DATASET_ENTRIES_MAX entries and CW_VIEW_DATASET_TOTAL_MAX bytes
 * once uncompressed: generous for a collection of terms (our corpus of
 * 4,327 versions is 130 MB), small enough that a ZIP bomb stops before it
 * fills the disk.
 */
#define CW_VIEW_DATASET_FILE_MAX CW_MAX_DOCUMENT
#define CW_VIEW_DATASET_ENTRIES_MAX 1000000
#define CW_VIEW_DATASET_TOTAL_MAX ((int64_t)16 << 30)
/* "2024-03-01T10-00-00Z.md" and its NUL, with room to spare */
#define CW_VIEW_DATASET_NAME_MAX 32

/*
 * The file name of a version recorded at `recorded_at` (any ISO 8601
 * time cw_time_parse_iso() reads): "2024-03-01T10-00-00Z.md", seconds
 * kept, fractions dropped (as OTA drops milliseconds).
 * Returns CW_OK or CW_EINVAL (not a time).
 */
int cw_view_dataset_file_name(const char *recorded_at,
			      char out[CW_VIEW_DATASET_NAME_MAX]);

/*
 * The recording time a dataset's file name stands for, as
 * "YYYY-MM-DDTHH:MM:SSZ" in `out`. Read, and nothing else:
 *   "2024-03-01T10-00-00Z.md"  OTA's naming (also with ':' for '-')
 *   "2024-03-01.md"            the start of that day, UTC
 *   "2024-03-01-2.md"          that day plus 2 seconds (1 to 6 digits,
 *                              at most 86399, so it stays in its day)
 * Dates and times are checked (months, days in the month, hours).
 * Returns CW_OK or CW_EINVAL; `out` is written only on success.
 */
int cw_view_dataset_name_time(const char *name, char out[CW_TIME_ISO]);

/* What an export wrote. */
struct cw_view_dataset_summary {
	size_t services, documents, versions;
	int64_t bytes;		 /* of the versions' texts */
	char first[CW_TIME_ISO]; /* the earliest recording time ("" none) */
	char last[CW_TIME_ISO];	 /* the latest */
};

/*
 * Write every version of the store's documents (of `services` only when
 * it is not NULL and not empty) as a dataset in the folder `dir`: each
 * version's text byte for byte, named by cw_view_dataset_file_name(),
 * and a README.md (period, counts, origin; no export time, so the same
 * versions always give the same bytes). Documents without a version are
 * left out.
 *
 * Nothing is written into `dir` itself until the end: the dataset is
 * built in a hidden folder beside it (".<name>.partial-XXXXXX"), flushed
 * to disk, then renamed to `dir`, so a failure leaves no partial dataset
 * (and removes the hidden folder; a crash may leave it behind).
 *
 * out       [out] what was written; zeroed on failure
 * dir       must not exist, or be an empty folder; its parent is made
 * services  service IDs, each must have a document (NULL: all)
 * key       with it, the log's latest checkpoint (signed first when the
 *           log grew) is written as `checkpoint`, with `log.vkey`; NULL:
 *           neither
 * Returns CW_OK, CW_EEXISTS (`dir` exists and is not empty),
 * CW_ENOTFOUND (a service of `services` is not in the store),
 * CW_EINVAL (a service, type or time that cannot be a file name, or two
 * versions of a document recorded in the same second), CW_EIO or a
 * store error; the message names the folder, service or version.
 */
int cw_view_dataset_export(struct cw_view_dataset_summary *out,
			   struct cw_store *s, const char *dir,
			   const struct cw_strv *services,
			   const struct cw_note_key *key, struct cw_err *err);

/*
 * Reading a dataset, a folder or a ZIP file (libarchive). Opening reads
 * and checks the whole of it before anything is returned: every entry's
 * path (no absolute path, no ".." component), the layout
 * SERVICE/TYPE/NAME under the dataset's top folder, every NAME
 * (cw_view_dataset_name_time()), every size against the caps, and, for
 * a ZIP, every entry's data (the archive's checks: truncation, CRC),
 * which is kept in an unlinked temporary file meanwhile. So a bad
 * dataset is refused before a single version is recorded.
 *
 * The top folder is found, not named: while every file lies under one
 * folder, some deeper than SERVICE/TYPE/NAME and none named as a version
 * at that depth, that folder is the top and is stepped into. Files at the
 * top itself (README.md, LICENSE) are not versions and are passed over,
 * and so is any name starting with '.' and a ZIP's "__MACOSX" folder.
 * When a ZIP names one path twice the later entry is read, as unpacking
 * it would keep (OTA's releases can hold a version and its technical
 * upgrade under one name).
 *
 * Entries come sorted by service, type and time, so the versions of one
 * document are contiguous and oldest first. Not thread-safe.
 */
struct cw_view_dataset;

struct cw_view_dataset_entry {
	const char *service; /* the folder names */
	const char *type;
	const char *name;     /* where it is, for messages: the file's path,
			     or "ARCHIVE:ENTRY" */
	char at[CW_TIME_ISO]; /* the time its name stands for */
	int64_t size;
};

/*
 * out   [out] free with cw_view_dataset_free(); NULL on failure
 * path  a folder, or a ZIP file
 * Returns CW_OK, CW_ENOTFOUND (no such file or folder), CW_EINVAL (a bad
 * path, layout or name: the message names the dataset and the entry),
 * CW_EPARSE (not a ZIP, or a damaged one), CW_ETOOBIG (a cap) or CW_EIO.
 */
int cw_view_dataset_open(struct cw_view_dataset **out, const char *path,
			 struct cw_err *err);
void cw_view_dataset_free(struct cw_view_dataset *d); /* NULL is a no-op */
/* The number of versions, the folder stepped into ("" when none: both
 * borrowed), and how many entries a later one of the same name hid. */
size_t cw_view_dataset_count(const struct cw_view_dataset *d);
const char *cw_view_dataset_top(const struct cw_view_dataset *d);
size_t cw_view_dataset_hidden(const struct cw_view_dataset *d);
/* Entry `i` (< count), borrowed from `d`. */
const struct cw_view_dataset_entry *
cw_view_dataset_entry(const struct cw_view_dataset *d, size_t i);
/*
 * Append the bytes of entry `i` to `out` (initialised), at most
 * CW_VIEW_DATASET_FILE_MAX. Returns CW_OK, CW_ENOTFOUND or CW_EIO (a
 * folder's file gone or changed since opening), CW_ETOOBIG.
 */
int cw_view_dataset_read(struct cw_view_dataset *d, size_t i,
			 struct cw_buf *out, struct cw_err *err);

#endif
