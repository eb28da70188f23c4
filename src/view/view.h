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

#include "../store/store.h"
#include "../util/util.h"

/*
 * Split "SERVICE/TYPE[@VERSION]" in place at the last '/' (a terms type
 * never has a slash) and the last '@' after it. *version is NULL when
 * absent. False when `ref` has no '/' or an empty side.
 */
bool cw_view_split_ref(char *ref, char **service, char **type,
		       char **version);

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
 * A document with all its versions, oldest first:
 * {"service", "type", "versions": [version...]}.
 */
int cw_view_document_history(json_t **out, struct cw_store *s,
			     const struct cw_store_doc *doc,
			     struct cw_err *err);

#endif
