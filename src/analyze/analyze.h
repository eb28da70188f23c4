#ifndef CW_ANALYZE_H
#define CW_ANALYZE_H
/*
 * analyze: the provision analysis of a document version, composed from the
 * parts of this module:
 *
 *   taxonomy.h  rule-based categories with evidence spans, exposure per
 *               audience with modifiers, regulations and their dates;
 *   params.h    facts with the spans they were read from;
 *   notes.h     vague standards (unless defined or bounded elsewhere) and
 *               evidence gaps;
 *
 * and from the learned CLAUDETTE classifier (confidence, severity), a
 * module of its own (src/classify/classify.h) that this one calls, naming
 * its categories by CLAUDETTE code (cw_taxonomy_claudette_id());
 *
 * plus our own generated text (a legal reading, and what the provision
 * means for a consumer and for an operator), rendered from templates that
 * are data (data/analysis/templates.json), never from C strings.
 *
 * Audit. Every statement of an analysis carries a `source` naming what
 * produced it: "rule:<category>#<pattern index>", "model:<code>",
 * "params:<kind>", "lexicon:<term>", "modifier:<category>/<audience>#<i>",
 * "taxonomy:<category>.<field>", "regulation:<instrument>/<article>",
 * "template:<template path>". A reader can follow any sentence back to the
 * pattern, model output or template behind it.
 *
 * Representation. Analyses are JSON (jansson) because they are stored as
 * JSON (cw_store_put_analysis) and rendered as JSON or Markdown; the schema
 * is documented in docs/analysis.md and summarised at each function.
 *
 * Scope of one provision: its "own text", from its heading to its first
 * child (the whole range for a leaf), so that a section and its
 * subsections do not report the same clause twice. Spans are byte offsets
 * in the whole document text.
 *
 * Thread safety: a context is immutable after cw_analyze_ctx_new(); the
 * analysis functions may run on several threads at once with one context.
 */
#include <jansson.h>

#include "../diff/record.h"
#include "../segment/segment.h"
#include "../store/store.h"
#include "../util/util.h"
#include "taxonomy.h"

/* Version of the stored analysis schema; bump when fields change meaning
 * (an older stored analysis is then recomputed). 2: regulations carry
 * verified_at, categories may carry a stated severity (severity_why), and
 * the privacy categories exist, so prevalence needs recomputed sets. */
#define CW_ANALYZE_SCHEMA 2
/* Templates file under the data directory. */
#define CW_ANALYZE_TEMPLATES_FILE "analysis/templates.json"
/* Largest templates file we load. */
#define CW_ANALYZE_TEMPLATES_MAX (1u << 20)
/* Longest excerpt of the document quoted next to an evidence span. */
#define CW_ANALYZE_QUOTE_MAX 200
/* Largest document analysed (the segmenter's and notes' caps are lower
   for a single provision; this bounds the whole). */
#define CW_ANALYZE_DOC_MAX (8u << 20)
/* A provision whose own text after its heading is shorter than this is a
   bare heading: listed, not analysed. */
#define CW_ANALYZE_MIN_BODY 16

struct cw_analyze_ctx;

/*
 * Load the taxonomy and regulations, the classifier model and the
 * templates from `data_dir`. The model is optional: when its file is
 * missing the analysis runs on the rules alone and says so
 * ("model": null in each output); any other model error fails.
 *
 * out  [out] free with cw_analyze_ctx_free(); NULL on failure
 * Returns CW_OK, CW_ENOTFOUND, CW_EIO, CW_ETOOBIG or CW_EPARSE (the message
 * names the file and the field).
 */
int cw_analyze_ctx_new(struct cw_analyze_ctx **out, const char *data_dir,
		       struct cw_err *err);
void cw_analyze_ctx_free(struct cw_analyze_ctx *ctx); /* NULL: no-op */
/* The loaded taxonomy (borrowed). */
const struct cw_taxonomy *cw_analyze_taxonomy(const struct cw_analyze_ctx *ctx);
/* Whether the learned model was loaded. */
bool cw_analyze_has_model(const struct cw_analyze_ctx *ctx);

/* What the analysis of one provision needs to know about its document. */
struct cw_analyze_doc {
	const char *service; /* "Stability AI" */
	const char *type;    /* "Terms of Service" */
	int64_t seq;	     /* version number, 0 when unknown */
	const char *date;    /* ISO date the version speaks for (its stated
				  date, else its recording date): regulations
				  are tested as in effect at that date */
	const char *text;    /* the whole version text */
	size_t len;
	const struct cw_segmentation *seg; /* its provisions */
	const char *const *tracked;	   /* document types tracked for the
				       service (evidence gaps) */
	size_t ntracked;
	/* keys of provisions that changed in an earlier version (the
	   taxonomy's "changed before" context raises their exposure); NULL
	   when no history is known */
	const char *const *changed_before;
	size_t nchanged_before;
};

/*
 * Analyse provision `index` of `doc`: returns a JSON object
 *   {key, title, level, parent, start, end, body_start, hash, analysed,
 *    categories: [{id, name, group, claudette, confidence, severity,
 *                  severity_source, rules:{score, confidence, explicit,
 *                  evidence:[{pattern, source, span, quote}]}|null,
 *                  model:{code, confidence, p_unfair, p_topic, severity,
 *                  source}|null, parameters:[...], exposure:{consumer,
 *                  operator}, regulations:[...], jurisdictions:[...],
 *                  implications:{text, source}, actions:[{text, source}]}],
 *    parameters, notes, exposure:{consumer, operator} (the highest level
 *    over the categories, with the category that sets it),
 *    reading:[{text, source}], meaning:{consumer:[...], operator:[...]}}
 * A bare heading gets analysed:false and empty lists.
 *
 * out  [out] new reference, json_decref() it; NULL on failure
 * Returns CW_OK, CW_EINVAL (index out of range, bad date) or CW_ETOOBIG.
 */
int cw_analyze_provision(json_t **out, const struct cw_analyze_ctx *ctx,
			 const struct cw_analyze_doc *doc, size_t index,
			 struct cw_err *err);

/*
 * Analyse every provision of a version: the document to store with
 * cw_store_put_analysis():
 *   {schema, service, type, version, date, model:bool, templates,
 *    categories:[ids present anywhere in the version, sorted],
 *    provisions:[cw_analyze_provision() objects in document order]}
 * `categories` is what prevalence counts, so that it can be read from a
 * stored analysis without recomputing anything.
 */
int cw_analyze_document(json_t **out, const struct cw_analyze_ctx *ctx,
			const struct cw_analyze_doc *doc, struct cw_err *err);

/*
 * Whether a stored analysis (parsed) is current: same schema. False for
 * anything that is not an object of this schema.
 */
bool cw_analyze_is_current(const json_t *analysis);

/* The provision object with `key` in an analysis, or NULL (borrowed). */
json_t *cw_analyze_find(const json_t *analysis, const char *key);

/*
 * Exposure moves between the stored analyses of two versions of a
 * document: for each provision of `newer`, the provision of `older` it
 * continues (same key, or the old key the change record gives for a
 * renumbering or move), and for each audience whose level differs:
 *   [{key, old_key, audience, from, to, direction:"up"|"down",
 *     categories_added:[...], categories_removed:[...]}]
 * plus, with from/to null, provisions that gained or lost categories
 * without a level change are left out (only level moves are reported).
 * `change` is the change record between the two versions (diff/record.h),
 * or NULL (keys taken as is).
 *
 * out  [out] new array
 */
void cw_analyze_exposure_moves(json_t **out, const json_t *older,
			       const json_t *newer,
			       const struct cw_change_record *change);

/*
 * The reader's view of one analysed provision, for audience `audience`
 * (enum cw_audience): the stored object's facts plus the sections of a
 * provision page, each statement with its source:
 *   {service, type, version, key, title, audience, categories,
 *    legal_reading, interpretive_notes, what_it_means, other_platforms,
 *    monitoring:{changes, events, moves, note}, compliance:{
 *    regulatory_landscape, exposure, jurisdiction_flags,
 *    contract_and_vendor, considerations}}
 * `others` (compare hits, may be NULL), `history` (timeline events and
 * exposure moves of this provision, may be NULL) and `prevalence`
 * ({category: {services, of}}, may be NULL) are added by the caller, who
 * has the store. `prov` and `doc_analysis` are borrowed.
 */
int cw_analyze_view(json_t **out, const struct cw_analyze_ctx *ctx,
		    const json_t *doc_analysis, const json_t *prov,
		    int audience, const json_t *others, const json_t *history,
		    const json_t *prevalence, struct cw_err *err);

/* Reader places cw_analyze_view_in() accepts, for messages. */
#define CW_ANALYZE_JURISDICTIONS "eu, eea, uk, us, us-ca or other"

/* Whether `j` is one of CW_ANALYZE_JURISDICTIONS (any case). */
bool cw_analyze_jurisdiction_valid(const char *j);

/*
 * cw_analyze_view() for a reader in a known place (`jurisdiction`, one of
 * CW_ANALYZE_JURISDICTIONS; NULL: unknown, the same as cw_analyze_view()).
 * The stored analysis does not depend on the reader; the view does:
 * - a consumer in the EU, EEA or UK gets the lexicon's grey-list context
 *   modifier on each category citing an Annex 1 point of Directive
 *   93/13/EEC or a paragraph of Schedule 2 to the Consumer Rights Act
 *   2015 (the modifier is listed with source
 *   "context:lexicon.context_modifiers#grey_list_consumer"), and the
 *   provision's consumer exposure is recomputed;
 * - each regulation of each category gets "applies_to_reader";
 * - the view gets "reader": {jurisdiction, grey_list_raised, applying,
 *   total, not_applying} and two statements in
 *   compliance.jurisdiction_flags ("reader" otherwise null).
 * Returns CW_OK or CW_EINVAL (bad audience or jurisdiction).
 */
int cw_analyze_view_in(json_t **out, const struct cw_analyze_ctx *ctx,
		       const json_t *doc_analysis, const json_t *prov,
		       int audience, const char *jurisdiction,
		       const json_t *others, const json_t *history,
		       const json_t *prevalence, struct cw_err *err);

/*
 * Markdown of a view (cw_analyze_view()): headings per section, each
 * statement followed by its source in brackets. Appended to `out`.
 */
int cw_analyze_render_md(struct cw_buf *out, const json_t *view);

/*
 * A short quote of doc[start, end) for a reader: whitespace runs folded to
 * one space, cut at CW_ANALYZE_QUOTE_MAX bytes on a UTF-8 boundary (a
 * source that is not valid UTF-8 says so). A new reference.
 */
json_t *cw_analyze_quote(const char *doc, size_t len, size_t start, size_t end);

/* ---- analyses kept in the store (stored.c) ---- */

/*
 * The inputs a version's analysis takes from the rest of the store, the
 * same whoever computes it (the monitor after a change, `analyze`, a
 * page), so a stored analysis does not depend on who stored it:
 * the document types tracked for the service (evidence gaps) and the new
 * keys of the changes recorded for the document up to version `upto_seq`
 * (<= 0: every recorded change).
 */
struct cw_analyze_inputs {
	struct cw_strv tracked;
	struct cw_strv changed_before;
};
#define CW_ANALYZE_INPUTS_INIT             \
	{                                  \
		CW_STRV_INIT, CW_STRV_INIT \
	}
int cw_analyze_inputs_load(struct cw_analyze_inputs *out, struct cw_store *s,
			   const char *service, int64_t doc_id,
			   int64_t upto_seq, struct cw_err *err);
void cw_analyze_inputs_release(struct cw_analyze_inputs *in);

/*
 * The stored analysis of version `version_id` when it is of the current
 * schema (cw_analyze_is_current), else *out NULL: an older or unreadable
 * one is to be recomputed, not shown.
 *
 * out  [out] new reference, or NULL
 * Returns CW_OK (found or not) or a store error.
 */
int cw_analyze_load_stored(json_t **out, struct cw_store *s, int64_t version_id,
			   struct cw_err *err);
/*
 * Compute the analysis of version `v` of document `doc` from what the
 * store holds (text, provisions, cw_analyze_inputs_load()) and store it,
 * replacing any earlier one. The analysis speaks for the version's stated
 * date, else its recording date.
 *
 * out              [out] new reference; NULL on failure
 * nprov            optional [out]: provisions analysed
 * analysis_failed  optional [out]: true when the store was read but the
 *                  analysis itself failed (nothing is stored then), false
 *                  for a store failure
 * Returns CW_OK, a store error or the analysis' error.
 */
int cw_analyze_version(json_t **out, const struct cw_analyze_ctx *ctx,
		       struct cw_store *s, const struct cw_store_doc *doc,
		       const struct cw_store_version *v, size_t *nprov,
		       bool *analysis_failed, struct cw_err *err);
/* Store `analysis` as the analysis of version `version_id`. */
int cw_analyze_save(struct cw_store *s, int64_t version_id,
		    const json_t *analysis, struct cw_err *err);

#endif
