#ifndef CW_DECL_H
#define CW_DECL_H
/*
 * decl: which documents to track, where they live and how to extract
 * them, read from Open Terms Archive's declaration JSON as is.
 *
 * The module sits between util and fetch in the pipeline: it knows
 * documents and their sources, not bytes; fetch never includes it, and
 * extract, monitor and the CLI read it to know what to fetch and how to
 * cut a page. It depends on util and jansson only.
 *
 * A file declares one service: {"name": ..., "terms": {TYPE: DOC, ...}}
 * (the older key "documents" is accepted for "terms"). DOC is a single
 * source (fetch + select/remove/filter/executeClientScripts), a PDF source
 * (fetch only), or {"combine": [SOURCE, ...]} with shared defaults at DOC
 * level. A `<service>.history.json` file maps TYPE to earlier DOCs, each
 * with "validUntil". Unknown fields are warnings, not failures; malformed
 * JSON fails with 'file':line:col.
 *
 * Thread safety: no global state; every reader returns a fresh service,
 * which is not modified after reading and may be read from several threads.
 */
#include <time.h>

#include "../util/util.h"

/* One selector of `select` or `remove`: a CSS selector or a range. */
struct cw_decl_selector {
	char *css; /* set for a plain CSS selector, else NULL */
	/* range: exactly one start and one end are set, others NULL */
	char *start_before;
	char *start_after;
	char *end_before;
	char *end_after;
};

/*
 * One filter: a name, its parameter as declared, and for removeQueryParams
 * (which extract applies itself) the parameter names. Other filters are
 * JavaScript functions of the service's .filters.js file; Open Terms
 * Archive hands them the parameter as any JSON value.
 */
struct cw_decl_filter {
	char *name;	       /* "removeQueryParams", "cleanUrls", ... */
	char *param_json;      /* the parameter as compact JSON, or NULL */
	struct cw_strv params; /* the parameter when a list of strings */
};

/* One page to fetch and how to extract it (shared defaults applied). */
struct cw_decl_source {
	char *fetch; /* URL */
	struct cw_decl_selector *select;
	size_t n_select;
	struct cw_decl_selector *remove;
	size_t n_remove;
	struct cw_decl_filter *filters;
	size_t n_filters;
	int execute_client_scripts; /* -1 absent, 0 false, 1 true */
};

/*
 * A service's JavaScript filters, as read with its declaration: the bytes
 * of `<service>.filters.js` and `<service>.filters.history.js` beside it
 * (extract runs them with node and jsdom, docs/filters.md). Each document
 * holds its own copy, and cw_decl_doc_to_json() writes them into the
 * stored declaration, so a snapshot is re-extracted with the filter code
 * it was fetched under.
 */
struct cw_decl_js {
	char *name;    /* "Bing.filters.js", for messages; NULL when none */
	char *code;    /* the .filters.js text, or NULL */
	char *history; /* the .filters.history.js text, or NULL */
	/* the files of the same folder they import ("./Google.filters.js",
	 * as Gmail's re-exports Google's filters), by name, and their text */
	struct cw_strv dep_names, dep_codes;
};
/* Files a filters file may pull in (transitively). */
#define CW_DECL_JS_DEPS_MAX 16

/* One document of a service (a terms type), current or historical. */
struct cw_decl_doc {
	char *type;			/* "Terms of Service" */
	struct cw_decl_source *sources; /* 1, or several for combine */
	size_t n_sources;
	bool combine;	      /* declared with "combine" */
	time_t valid_until;   /* history entries; 0 for current */
	struct cw_decl_js js; /* the service's filters code, if any */
};

struct cw_decl_service {
	char *id;   /* file name without .json: the service ID */
	char *name; /* "name" */
	char *path; /* file read */
	char *imported_from;
	struct cw_decl_doc *docs; /* current documents, in file order */
	size_t n_docs;
	struct cw_decl_doc *history; /* from .history.json, by type then date */
	size_t n_history;
};

/*
 * Read a declaration file (and its .history.json beside it, when present).
 *
 * out       [out] new service, free with cw_decl_service_free()
 * warnings  optional; receives one line per warning, each naming the file
 *           and the JSON path ("'X.json': terms.Privacy Policy: unknown
 *           field 'foo'"; "... filter 'cleanUrls' is a JavaScript filter
 *           ..., not applied" when no X.filters.js is beside the file)
 *
 * X.filters.js and X.filters.history.js beside the file, when present, are
 * read into every document's `js` (at most CW_DECL_JS_MAX bytes each).
 * Returns CW_OK, CW_ENOTFOUND, CW_EPARSE (file:line:col in the message)
 * or CW_EINVAL (valid JSON, invalid declaration; the JSON path named).
 */
int cw_decl_read_file(struct cw_decl_service **out, const char *path,
		      struct cw_strv *warnings, struct cw_err *err);

/* The size of a filters file read with a declaration; the contrib
 * collection's largest is 3 KB. */
#define CW_DECL_JS_MAX (1u << 20)

/* Same, from a buffer; `name` is used in messages and as the service ID. */
int cw_decl_read_buffer(struct cw_decl_service **out, const char *name,
			const char *json, size_t len, struct cw_strv *warnings,
			struct cw_err *err);

/*
 * Read every *.json (not *.history.json) declaration under `dir`, sorted
 * by file name. A file that fails is reported in `warnings` and skipped;
 * returns CW_OK if at least the directory could be read.
 */
int cw_decl_read_dir(struct cw_decl_service ***out, size_t *n, const char *dir,
		     struct cw_strv *warnings, struct cw_err *err);

void cw_decl_service_free(struct cw_decl_service *svc); /* NULL no-op */

/* The current document of `type`, or NULL. */
const struct cw_decl_doc *cw_decl_find(const struct cw_decl_service *svc,
				       const char *type);

/*
 * The declaration that was in force at time `t` for `type`: the history
 * entry with the smallest validUntil >= t, else the current one. NULL if
 * the type was never declared.
 */
const struct cw_decl_doc *cw_decl_find_at(const struct cw_decl_service *svc,
					  const char *type, time_t t);

/*
 * Serialise one document declaration back to Open Terms Archive's JSON
 * (the value of terms[TYPE]), appended to `out`. The store keeps it so a
 * snapshot can be re-extracted with the declaration it was fetched under.
 */
int cw_decl_doc_to_json(struct cw_buf *out, const struct cw_decl_doc *doc);

/*
 * Read back a document declaration stored by cw_decl_doc_to_json().
 * out  [out] a service holding that one document (docs[0]); free with
 *      cw_decl_service_free()
 */
int cw_decl_doc_from_json(struct cw_decl_service **out, const char *service,
			  const char *type, const char *json,
			  struct cw_err *err);

/*
 * True if the document is a PDF source for extraction: its URL's path
 * (before any '?') ends in .pdf. Narrower than the URL pattern by which
 * Open Terms Archive's schema lets a source go without `select`
 * (cw_decl_url_is_pdf_pattern): "/privacy/?.pdf" matches that pattern but
 * is an HTML page.
 */
bool cw_decl_source_is_pdf(const struct cw_decl_source *src);

/*
 * True if `url` matches the pattern of Open Terms Archive's schema for a
 * PDF source, ^https?://.+.[pP][dD][fF](\?.+)?$, as JavaScript reads it
 * (the '.' before "pdf" is any character, and no '.' matches a line
 * break). Only such a source may be declared without `select`.
 */
bool cw_decl_url_is_pdf_pattern(const char *url);

/*
 * Resolve a folder given for declarations: an Open Terms Archive
 * collection folder (one that holds `declarations/`) stands for that
 * subfolder; any other folder for itself.
 * Returns a new string, free() it.
 */
char *cw_decl_collection_dir(const char *dir);

/* ---- terms types (types.c) ---- */

/*
 * Open Terms Archive's list of terms types, the only keys `terms` may
 * hold, with their aliases, read from data/terms-types.json. Read-only
 * once loaded: may be shared between threads.
 */
struct cw_decl_types;

/*
 * Load `<data_dir>/terms-types.json`.
 * out  [out] free with cw_decl_types_free(); NULL on failure
 * Returns CW_OK, CW_ENOTFOUND, CW_EPARSE or CW_ETOOBIG, the file and the
 * field named in err.
 */
int cw_decl_types_load(struct cw_decl_types **out, const char *data_dir,
		       struct cw_err *err);
/* The same from text; `name` stands for it in messages. */
int cw_decl_types_parse(struct cw_decl_types **out, const char *name,
			const char *json, size_t len, struct cw_err *err);
void cw_decl_types_free(struct cw_decl_types *t); /* NULL no-op */
/* Number of types. */
size_t cw_decl_types_count(const struct cw_decl_types *t);
/* True if `name` is one of the types (exactly, as OTA compares). */
bool cw_decl_types_has(const struct cw_decl_types *t, const char *name);
/*
 * The type meant by an unknown `name`, or NULL: the type whose name or
 * alias it equals but for case, spaces and punctuation, else the nearest
 * name or alias by edit distance when close enough (a typo, not another
 * type). Borrowed from `t`. *alias (optional) is the alias matched, or
 * NULL when the type's own name was.
 */
const char *cw_decl_types_suggest(const struct cw_decl_types *t,
				  const char *name, const char **alias);
/*
 * The message for an unknown terms type: "unknown terms type 'X'; did you
 * mean 'Y'?" ('X' is an alias of 'Y'), or, with no near miss, naming the
 * list. Written to out[size].
 */
void cw_decl_types_unknown(const struct cw_decl_types *t, const char *name,
			   char *out, size_t size);
/*
 * One warning per document and history entry of `svc` whose type is not
 * in `t`, naming the file and JSON path as the reader's warnings do
 * ("'X.json': terms.Terms of Use: unknown terms type ...").
 */
void cw_decl_types_check(const struct cw_decl_types *t,
			 const struct cw_decl_service *svc,
			 struct cw_strv *warnings);

/* ---- validation (validate.c) ---- */

/*
 * Validation applies Open Terms Archive's rules for declaration and
 * history files as OTA's validator applies them (its JSON schema,
 * scripts/declarations/validate/service.schema.js and
 * service.history.schema.js in OpenTermsArchive/engine), on the JSON as
 * written: what the reader above leniently accepts with a warning (an
 * unknown field, a page without `select`, the old key "documents") is an
 * error here, as it is for OTA. Warnings are what OTA accepts but is
 * likely a mistake (a combined page that OTA files under the same
 * snapshot name as another, two history entries ending at the same date,
 * a filter no file defines). Rules of ours beyond OTA's: a fetch URL is
 * http(s) (OTA's schema takes any URI scheme; nothing else is fetched),
 * and a combine lists no source twice (its text would be there twice).
 */
enum cw_decl_severity {
	CW_DECL_ERROR = 0,   /* OTA refuses the file */
	CW_DECL_WARNING = 1, /* accepted, but suspicious */
};

struct cw_decl_problem {
	enum cw_decl_severity severity;
	char *file;    /* as given */
	char *path;    /* JSON path: "terms.Privacy Policy.combine[1].fetch";
			* "" for the file as a whole */
	char *message; /* lower case, no full stop */
};

/* The problems of everything validated so far, in the order found. */
struct cw_decl_report {
	struct cw_decl_problem *v;
	size_t n, alloc;
	size_t errors, warnings;
	size_t files;	  /* files read (declarations and histories) */
	size_t services;  /* declaration files */
	size_t documents; /* terms of declaration files */
	size_t entries;	  /* entries of history files */
};
#define CW_DECL_REPORT_INIT \
	{                   \
		0           \
	}
void cw_decl_report_release(struct cw_decl_report *r);

enum cw_decl_file_kind {
	CW_DECL_FILE_AUTO = 0,	  /* by name: X.history.json is a history */
	CW_DECL_FILE_SERVICE = 1, /* a declaration file */
	CW_DECL_FILE_HISTORY = 2, /* a history file, whatever its name */
};

/*
 * Validate one file's text, adding its problems to `r`. `name` names it
 * in problems; `dir` (optional) is the folder it is in, where a service's
 * X.filters.js is looked for.
 */
void cw_decl_validate_buffer(struct cw_decl_report *r,
			     const struct cw_decl_types *types,
			     const char *name, const char *dir,
			     enum cw_decl_file_kind kind, const char *json,
			     size_t len);

/*
 * Validate a file, a folder of declarations (every *.json, histories
 * included, sorted by name) or a collection folder (its declarations/),
 * adding to `r`. A file that cannot be read is an error of `r`.
 * Returns CW_OK, or CW_ENOTFOUND when `path` does not exist (err says so).
 */
int cw_decl_validate_path(struct cw_decl_report *r,
			  const struct cw_decl_types *types, const char *path,
			  enum cw_decl_file_kind kind, struct cw_err *err);

#endif
