#ifndef CW_CLI_H
#define CW_CLI_H
/*
 * cli: the `clausewatch` command. main.c parses the global options and
 * dispatches to one function per command; each command family lives in
 * its own cmd_<family>.c.
 *
 * Exit codes (documented in the README and `clausewatch help`):
 *   0  success
 *   1  failure (the message on stderr names the input and the cause)
 *   2  usage error (unknown command or option, missing argument)
 *   3  not found (service, document, version or provision)
 *   4  extraction failed (selectors matched nothing, empty result)
 *   5  some items failed while others succeeded (batch commands)
 */
#include <getopt.h>
#include <jansson.h>

#include "../store/store.h"
#include "../util/tlog.h"
#include "../util/util.h"
#include "../view/view.h"

enum cw_exit {
	CW_EXIT_OK = 0,
	CW_EXIT_FAIL = 1,
	CW_EXIT_USAGE = 2,
	CW_EXIT_NOTFOUND = 3,
	CW_EXIT_EMPTY = 4,
	CW_EXIT_PARTIAL = 5,
};

struct cw_cli {
	const char *db_path; /* --db, or NULL for the default location */
	const char *log_key; /* --log-key, or NULL: beside the store */
	bool json;	     /* --json */
	bool quiet;	     /* --quiet */
	const char *prog;    /* argv[0] */
};

/* A command: argv[0] is the command name, options follow. */
typedef int (*cw_cli_cmd_fn)(struct cw_cli *cli, int argc, char **argv);

/* Map a cw_rc to an exit code. */
int cw_cli_exit_for(int rc);
/*
 * Report an error on stderr and return its exit code: "clausewatch:
 * <msg>", or under --json one line {"error": "<msg>", "code": N} with N
 * the exit code returned. cw_cli_fail takes the code from err->rc
 * (cw_cli_exit_for); cw_cli_usage returns CW_EXIT_USAGE.
 */
int cw_cli_fail(const struct cw_err *err);
int cw_cli_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print {"error": msg, "code": code} on stderr (any mode). */
void cw_cli_report_json(const char *msg, int code);
/* Errors as JSON objects from now on (main sets it for --json). */
void cw_cli_set_json_errors(bool on);
/* True once an error was reported through the functions above. */
bool cw_cli_error_reported(void);
/*
 * One failed item of a batch (a file, a line, a document) while the
 * command goes on: "clausewatch: <msg>" on stderr in every mode. Under
 * --json the command's final error object carries the last such message
 * (main reports it when the command ends with a failure).
 */
void cw_cli_item_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
/* The last item error and (*n) how many there were; NULL when none. */
const char *cw_cli_item_errors(size_t *n);
/* The store path: --db, else $XDG_DATA_HOME/clausewatch/clausewatch.db,
 * else ~/.local/share/clausewatch/clausewatch.db. Owned by the caller. */
char *cw_cli_db_path(const struct cw_cli *cli);
/* Print `j` on stdout as one line of compact JSON, keys in the order
 * they were set, reals with 15 significant digits; `j` stays the
 * caller's. Every --json output goes through it. */
void cw_cli_print_json(const json_t *j);
/* The same, then json_decref(j): for a value built to be printed. */
void cw_cli_print_json_take(json_t *j);
/* The provisions of a segmentation, in order: [{"key", "title", "level",
 * "parent" (the parent's key or null), "start", "end"}]. New reference. */
json_t *cw_cli_provisions_json(const struct cw_segmentation *seg);
/* A JSON string of `s` (NULL: null); invalid UTF-8 becomes U+FFFD, so
 * a file name or stored text never makes a NULL value. New reference. */
json_t *cw_cli_jstr(const char *s);
json_t *cw_cli_jstrn(const char *s, size_t len);
/* A JSON real rounded to `decimals` places (seconds 3, shares 4). */
json_t *cw_cli_real(double v, int decimals);
/* Path of the project's data/ directory: $CW_DATA_DIR, else the source
 * tree's data/, else the installed share dir. Borrowed. */
const char *cw_cli_data_dir(void);

/*
 * The log's signing key (docs/log.md): the file --log-key names, else
 * the store's path with ".log-key" after it. With `create`, a missing key
 * is made (origin `origin`, or cw_cli_log_origin()), written with mode
 * 0600, and *created (optional) set. CW_ENOTFOUND when there is none and
 * `create` is false.
 */
int cw_cli_log_key(struct cw_cli *cli, bool create, const char *origin,
		   struct cw_note_key *out, bool *created, struct cw_err *err);
/* The signing key for a command that signs: cw_cli_log_key() with
 * `create`, saying on stderr (unless --quiet) when it was just made. */
int cw_cli_signing_key(struct cw_cli *cli, struct cw_note_key *k,
		       struct cw_err *err);
/* A secret from a file (one line; a trailing newline is dropped), so it
 * never sits in argv. *out: the caller's, to wipe and free. */
int cw_cli_read_secret(const char *path, char **out, struct cw_err *err);
/* The key file's path; the caller frees it. */
char *cw_cli_log_key_path(const struct cw_cli *cli);
/* An origin for a new log: "<host name>/clausewatch/<store file name
 * without .db>", in the characters a key name allows. Caller frees. */
char *cw_cli_log_origin(const struct cw_cli *cli);

/* Open the store named by --db (or the default location). */
int cw_cli_open_store(struct cw_cli *cli, struct cw_store **out,
		      struct cw_err *err);
/* Open the store and set up a pipeline over it (monitor/pipeline.h);
 * on failure *s may be open: cw_store_close() it. */
struct cw_pipeline;
int cw_cli_open_pipeline(struct cw_cli *cli, struct cw_pipeline *p,
			 struct cw_store **s, struct cw_err *err);
/* The document SERVICE/TYPE, made (service and document, undeclared)
 * when the store has none; `doc` is the caller's to release. */
int cw_cli_ensure_document(struct cw_store *s, const char *service,
			   const char *type, struct cw_store_doc *doc,
			   struct cw_err *err);
/*
 * Open the store and find the document of "SERVICE/TYPE[@VERSION]".
 * *ref holds the split copy of `arg` (free it); *version points into it.
 * Versions are then named as cw_view_resolve_version() reads them.
 */
int cw_cli_find_doc(struct cw_cli *cli, const char *arg, const char *cmd,
		    struct cw_store **s, struct cw_store_doc *doc,
		    char **version, char **ref, struct cw_err *err);
/* Commands, one per family file; a family not linked in is reported. */
/*
 * Find SERVICE/TYPE[@VERSION] (cw_view_find_document) and resolve its
 * version (cw_view_resolve_version): *version is the caller's to free,
 * whatever the result.
 */
int cw_cli_find_version(struct cw_store *s, const char *arg,
			struct cw_store_doc *doc, char **version,
			struct cw_store_version *ver, struct cw_err *err);
/*
 * Parse a command's options (argv[0] is the command) from a spec of
 * space-separated words, one per option, and after it one destination
 * per word, in the spec's order:
 *   "force"            a flag                  bool *
 *   "service="         a value; the last wins   const char **
 *   "limit#1..10000"   a whole number in range  long *
 *   "service+"         a value, repeatable      struct cw_strv * (each
 *                      value pushed, in order)
 * A word may name a short option after a slash: "model/m=", "help/h".
 * Returns CW_EXIT_OK with optind at the first operand, or the usage exit
 * code (a number out of range is reported here; getopt's '?' is
 * reported by getopt, or under --json by main).
 */
#define CW_CLI_MAX_OPTIONS 16
/* The ranges of --pdf-timeout-ms and --pdf-memory-mb (extract, ingest,
 * fetch) in an option spec: those of the settings (extract.h). */
#define CW_CLI_STR_(x) #x
#define CW_CLI_STR(x) CW_CLI_STR_(x)
#define CW_CLI_PDF_TIMEOUT_RANGE               \
	CW_CLI_STR(CW_EXTRACT_PDF_TIMEOUT_MIN) \
	".." CW_CLI_STR(CW_EXTRACT_PDF_TIMEOUT_MAX)
#define CW_CLI_PDF_MEMORY_RANGE               \
	CW_CLI_STR(CW_EXTRACT_PDF_MEMORY_MIN) \
	".." CW_CLI_STR(CW_EXTRACT_PDF_MEMORY_MAX)
int cw_cli_options(int argc, char **argv, const char *spec, ...);
/* The usage error of getopt's '?': an unknown option or a missing value. */
int cw_cli_bad_option(const char *cmd, const char *arg);
/* The usage error for an operand the command does not take. */
int cw_cli_extra_argument(const char *cmd, const char *arg);

/*
 * The two programs. clausewatch-full carries every command. clausewatch,
 * the program users run, is built from the same sources with
 * CW_CLI_LIGHT: it leaves out the commands that fetch (fetch, ingest,
 * import-history, monitor, watch), serve or write tar files
 * (export-bundle, verify-bundle, the datasets), so the linker, with
 * --as-needed, gives it none of libcurl, libmicrohttpd, GLib or libarchive
 * to load; and it reads PDFs only through the helper process (extract.h),
 * which is clausewatch-full, so poppler is not loaded either. It starts in
 * a few milliseconds, with about 80 libraries fewer (`make bench`,
 * "start-up"). For a command it leaves out, its table entry is NULL (the
 * weak symbols below) and main() runs clausewatch-full in its place with
 * the same arguments: the one beside it, else the one installed under
 * CW_LIBEXECDIR; so does the PDF helper's argument. Output, exit codes and
 * global options are the full program's own, since it is the same code.
 */
#define CW_CLI_COMMANDS(X)                                                    \
	X(init, "init",                                                       \
	  "create the store and the log's key: init [--origin N]")            \
	X(declare, "declare", "load declarations: declare PATH...")           \
	X(validate, "validate",                                               \
	  "check declarations by Open Terms Archive's rules: validate "       \
	  "[--history] [--strict] PATH...")                                   \
	X(list, "list", "list services and documents")                        \
	X(fetch, "fetch", "fetch documents: fetch [SERVICE[/TYPE]]")          \
	X(ingest, "ingest", "archive a local file: ingest SERVICE/TYPE FILE") \
	X(import_history, "import-history",                                   \
	  "import a dataset, a folder or a ZIP: import-history PATH")         \
	X(export_dataset, "export-dataset",                                   \
	  "write an Open Terms Archive dataset: export-dataset DIR "          \
	  "[--service NAME]...")                                              \
	X(history, "history", "versions of a document: history SERVICE/TYPE") \
	X(show, "show",                                                       \
	  "show a version: show SERVICE/TYPE[@VERSION] [--provision KEY]")    \
	X(extract, "extract",                                                 \
	  "extract text: extract [--declaration F --type T] FILE...")         \
	X(segment, "segment", "split a file into provisions: segment FILE")   \
	X(stats, "stats", "what the store holds")                             \
	X(diff, "diff",                                                       \
	  "provision diff of two versions: diff SERVICE/TYPE [FROM [TO]]")    \
	X(diff_files, "diff-files",                                           \
	  "provision diff of two files: diff-files OLD NEW")                  \
	X(changes, "changes",                                                 \
	  "recorded changes: changes [--since DATE] [--service S] "           \
	  "[--material]")                                                     \
	X(timeline, "timeline",                                               \
	  "governance timeline: timeline SERVICE/TYPE [--provision KEY]")     \
	X(train, "train", "train the clause classifier from labelled data")   \
	X(eval, "eval", "cross-validate the clause classifier")               \
	X(embed, "embed",                                                     \
	  "learn the classifier's word vectors from the corpus")              \
	X(classify, "classify", "classify lines of stdin")                    \
	X(analyze, "analyze",                                                 \
	  "provision analysis: analyze SERVICE/TYPE [--provision KEY]")       \
	X(search, "search",                                                   \
	  "provisions by their words: search WORDS... [--service S] "         \
	  "[--type T] [--any] [--all-versions] [--limit N]")                  \
	X(compare, "compare",                                                 \
	  "similar provisions elsewhere: compare SERVICE/TYPE --provision "   \
	  "KEY")                                                              \
	X(monitor, "monitor",                                                 \
	  "run the monitoring service: monitor [--once] [--force]")           \
	X(status, "status", "health of every tracked document")               \
	X(watch, "watch", "subscriptions: watch add|list|remove")             \
	X(token, "token",                                                     \
	  "API tokens for writes: token add NAME | list | remove NAME")       \
	X(serve, "serve",                                                     \
	  "the web pages and API: serve [--listen HOST:PORT] [--base-url U]") \
	X(log, "log",                                                         \
	  "the signed log: log checkpoint|key|leaves|prove|consistency|"      \
	  "verify")                                                           \
	X(export_bundle, "export-bundle",                                     \
	  "an audit bundle: export-bundle SERVICE/TYPE FILE")                 \
	X(verify_bundle, "verify-bundle",                                     \
	  "check an audit bundle, no store needed: verify-bundle FILE")

#define CW_CLI_DECLARE(fn, name, help)                                 \
	int cw_cli_cmd_##fn(struct cw_cli *cli, int argc, char **argv) \
		__attribute__((weak));
CW_CLI_COMMANDS(CW_CLI_DECLARE)
#undef CW_CLI_DECLARE

#endif
