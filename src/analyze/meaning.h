#ifndef CW_MEANING_H
#define CW_MEANING_H
/*
 * meaning: what a provision diff means, read from the two sides of each
 * change rather than from its tokens.
 *
 * For every change of a diff (diff.h) the two sides' own texts are read
 * as the analysis reads a provision: the taxonomy's categories found by
 * its rules (a category gained or lost: "mandatory arbitration removed"),
 * the parameters (params.h) with old and new values ("courts: Santa
 * Clara County, California -> King County, Washington"), and the facts
 * the diff already found (figures, periods, ages, duties and
 * prohibitions as short quotes, named laws and places), a named entity
 * counted as removed only when the other version no longer names it at
 * all. A change whose only edits are a date is "the document's date
 * changed". Modal verbs and negations are left to the diff's detail.
 *
 * Each point has a rank: categories by the higher of their consumer and
 * operator exposure, then values that changed, then duties, then
 * entities. A change's rank is its best point's; the document summary
 * names the best-ranked changes in at most three sentences and
 * CW_MEANING_SUMMARY_MAX bytes.
 *
 * Pure: the taxonomy is read only; thread-safe (patterns compiled once
 * under a pthread_once).
 */
#include <jansson.h>

#include "../diff/diff.h"
#include "../util/util.h"

struct cw_taxonomy;

/* The document summary's cap, bytes. */
#define CW_MEANING_SUMMARY_MAX 600

/*
 * Read the meaning of every change of `d` (whose old_text and new_text
 * are set, as cw_diff_compute() leaves them): each change with something
 * to say gets a new `summary` (the old one freed), `d->changes` is put in
 * order of rank (most material first, then document order), and
 * `*summary` is the document summary (free()).
 *
 * tax   the taxonomy, or NULL (then only the diff's own facts are read)
 * Returns CW_OK; CW_ETOOBIG when a side is past the taxonomy's text cap.
 */
int cw_meaning_explain(struct cw_diff *d, char **summary,
		       const struct cw_taxonomy *tax, struct cw_err *err);

/* The diff as JSON (cw_diff_to_json()) with the document summary first:
 * {"summary", "changes", "counts"}. New reference. */
json_t *cw_meaning_diff_json(const struct cw_diff *d, const char *summary);

/* Whether `s[0..len)` is one date ("May 11, 2021", "11 May 2021",
 * "2021-05-11", "5/11/2021"), surrounding spaces and punctuation aside. */
bool cw_meaning_is_date(const char *s, size_t len);

#endif
