#ifndef CW_TAXONOMY_H
#define CW_TAXONOMY_H
/*
 * taxonomy: the governance knowledge of clausewatch, loaded from data.
 *
 * A data directory holds
 *   taxonomy/categories/<group>.json  {"group": ..., "categories": [...]}
 *   taxonomy/lexicon.json             vague terms, referenced documents
 *   regulations/<instrument>.json     one instrument with its articles
 * (docs/internals or the files themselves describe the fields; every field
 * is checked on load). Loading validates everything before anything is
 * used: types, enumerations, regular expressions (PCRE2), parameter names,
 * duplicate ids, and every reference from a category to a regulation
 * article. An error names the file and the field:
 *   "'data/taxonomy/categories/use.json': categories[3].exposure.consumer.
 *    base: expected one of low, medium, high".
 *
 * What a loaded taxonomy offers:
 * - categories: id, definition, detection patterns, parameters to extract,
 *   exposure per audience with modifiers, regulation references (resolved
 *   to the instrument and article), contract implications, actions;
 * - rule-based detection of categories in a text, with the matched spans
 *   (for audit: a reader sees which pattern fired where);
 * - exposure rating of a text for a category and audience: base level,
 *   modifiers found (with spans and reasons), evidence basis;
 * - regulation lookup by instrument id and article id.
 *
 * A loaded taxonomy is immutable: every function taking a const taxonomy
 * may be called from several threads at once. Returned pointers are
 * borrowed from the taxonomy and live until cw_taxonomy_free().
 */
#include "../util/util.h"

/* Exposure levels, ordered. */
enum cw_level { CW_LEVEL_LOW = 0, CW_LEVEL_MEDIUM = 1, CW_LEVEL_HIGH = 2 };
/* "low", "medium", "high". */
const char *cw_level_name(int level);
/* Level from its name; -1 when unknown. */
int cw_level_parse(const char *name);

/* Who reads the analysis. */
enum cw_audience {
	CW_AUDIENCE_CONSUMER = 0, /* an individual user of the service */
	CW_AUDIENCE_OPERATOR = 1, /* a business building on it (API customer) */
	CW_AUDIENCE_COUNT
};
/* "consumer", "operator". */
const char *cw_audience_name(int audience);
/* Audience from its name ("business" is accepted for operator); -1. */
int cw_audience_parse(const char *name);

/* Caps on what we load and scan. */
#define CW_TAXONOMY_FILE_MAX (4u << 20) /* one JSON file */
#define CW_TAXONOMY_MAX_FILES 256	/* files per folder */
#define CW_TAXONOMY_MAX_ITEMS 4096	/* entries of any one list */
#define CW_TAXONOMY_TEXT_MAX (8u << 20) /* text given to detect/rate */
#define CW_TAXONOMY_MAX_EVIDENCE 8	/* spans kept per detection */

/* ---- regulations ---- */

struct cw_tax_article {
	char *id;	    /* "14", "Annex 1(q)", "s.62", "§2" */
	char *title;	    /* short title, our words */
	char *requires;	    /* what it requires, our words */
	bool verified;	    /* true only where we are sure of the number */
	char *applies_from; /* "YYYY-MM-DD" when it differs from the
			      instrument's, else NULL */
	char *commencement; /* free text when no date is known, else NULL */
	char *source;	    /* the page the number was checked against
			      (required when verified), else NULL */
};

struct cw_tax_stage {
	char *date; /* "YYYY-MM-DD" */
	char *what;
};

struct cw_tax_instrument {
	char *id;	    /* "eu_dsa" */
	char *name;	    /* "Digital Services Act" */
	char *citation;	    /* "Regulation (EU) 2022/2065" */
	char *kind;	    /* regulation, directive, statute */
	char *in_force;	    /* "YYYY-MM-DD" or NULL */
	char *applies_from; /* "YYYY-MM-DD" or NULL */
	char *url;
	char *summary;
	char **jurisdictions; /* "EU", "UK", "US", "US-CA" ... */
	size_t njurisdictions;
	struct cw_tax_stage *stages;
	size_t nstages;
	struct cw_tax_article *articles;
	size_t narticles;
	char *file; /* the file it came from */
};

/* ---- categories ---- */

struct cw_tax_pattern {
	char *re;	/* PCRE2 source, matched caseless, UTF-8 */
	double weight;	/* contribution to the detection score */
	bool title;	/* matched against the provision title only */
	void *compiled; /* private */
};

struct cw_tax_modifier {
	char *re;	/* PCRE2 source */
	int effect;	/* -2..2 levels; 0 = noted without effect */
	char *why;	/* our reason, shown with the rating */
	void *compiled; /* private */
};

struct cw_tax_exposure {
	int base;    /* enum cw_level */
	char *means; /* what such a provision means for this audience,
			      our words; NULL when the data has none */
	struct cw_tax_modifier *modifiers;
	size_t nmodifiers;
};

struct cw_tax_regref {
	char *instrument;		      /* instrument id */
	char *article;			      /* article id within it */
	char *why;			      /* why it touches the category */
	const struct cw_tax_instrument *inst; /* resolved on load */
	const struct cw_tax_article *art;     /* resolved on load */
};

struct cw_tax_category {
	char *id; /* "mandatory_arbitration" */
	char *name;
	char *group;	 /* the file's group: "disputes" */
	char *claudette; /* CLAUDETTE code ("a") or NULL */
	char *definition;
	struct cw_tax_pattern *patterns;
	size_t npatterns;
	double min_score; /* detection threshold on the summed weights */
	char **params;	  /* parameter names (see params.h) */
	size_t nparams;
	struct cw_tax_exposure exposure[CW_AUDIENCE_COUNT];
	struct cw_tax_regref *regs;
	size_t nregs;
	char *severity;	    /* stated severity on CLAUDETTE's scale
			      ("clearly_fair", "potentially_unfair",
			      "clearly_unfair") for a category the model
			      does not cover, or NULL (then derived from the
			      consumer exposure) */
	char *severity_why; /* why, our words; NULL with severity */
	char *implications; /* contract and vendor implications */
	char **actions;	    /* compliance actions */
	size_t nactions;
	char *file;
};

/* ---- lexicon (used by notes.h) ---- */

struct cw_tax_vague {
	char *term;  /* "sole discretion" (lower case) */
	char *type;  /* discretion, time, standard, scope */
	char *note;  /* why it matters, our words */
	char *bound; /* what would resolve it: "notice", "period",
			      "definition", or NULL (nothing does) */
};

struct cw_tax_docref {
	char *type;	/* "Acceptable Use Policy" */
	char *re;	/* how a reference to it reads */
	void *compiled; /* private */
};

struct cw_taxonomy;

/*
 * Load and validate everything under `data_dir` (the folder holding
 * taxonomy/ and regulations/).
 *
 * out   [out] new taxonomy, free with cw_taxonomy_free(); NULL on failure
 * Returns CW_OK; CW_ENOTFOUND (a folder or file is missing), CW_EIO,
 * CW_ETOOBIG (a cap above), CW_EPARSE (bad JSON or a bad field).
 */
int cw_taxonomy_load(struct cw_taxonomy **out, const char *data_dir,
		     struct cw_err *err);
void cw_taxonomy_free(struct cw_taxonomy *tax); /* NULL is a no-op */

/* Categories in load order (files sorted by name, then file order). */
size_t cw_taxonomy_count(const struct cw_taxonomy *tax);
const struct cw_tax_category *cw_taxonomy_at(const struct cw_taxonomy *tax,
					     size_t i);
/* The category with `id`, or NULL. */
const struct cw_tax_category *cw_taxonomy_find(const struct cw_taxonomy *tax,
					       const char *id);
/* Index of a category in load order, or -1. */
long cw_taxonomy_index(const struct cw_taxonomy *tax,
		       const struct cw_tax_category *cat);
/*
 * The id of the category that CLAUDETTE code `code` ("a") stands for
 * ("mandatory_arbitration"), or NULL when `code` is not one of the nine
 * codes. Needs no loaded taxonomy: the loader checks every category's
 * `claudette` field against the same table, so a loaded taxonomy that has
 * the category carries this code. This is how analyze and the CLI name the
 * clause classifier's categories, which are CLAUDETTE codes.
 */
const char *cw_taxonomy_claudette_id(const char *code);

/* Instruments, sorted by id. */
size_t cw_taxonomy_instrument_count(const struct cw_taxonomy *tax);
const struct cw_tax_instrument *
cw_taxonomy_instrument_at(const struct cw_taxonomy *tax, size_t i);
const struct cw_tax_instrument *
cw_taxonomy_instrument(const struct cw_taxonomy *tax, const char *id);
/* The article `article` of instrument `instrument`, or NULL. */
const struct cw_tax_article *cw_taxonomy_article(const struct cw_taxonomy *tax,
						 const char *instrument,
						 const char *article);

/*
 * The date from which an article applies: its own applies_from, else the
 * instrument's applies_from, else its in_force date; NULL when none is
 * known (or the article has only a commencement note). `art` may be NULL
 * for the instrument as a whole.
 */
const char *cw_taxonomy_applies_from(const struct cw_tax_instrument *inst,
				     const struct cw_tax_article *art);
/*
 * Whether the article applies at time `at` (UTC seconds): 1 yes, 0 not
 * yet, -1 unknown (no date). Callers pass the time; nothing here reads the
 * clock.
 */
int cw_taxonomy_in_effect(const struct cw_tax_instrument *inst,
			  const struct cw_tax_article *art, time_t at);

/* Counts for reports. */
struct cw_taxonomy_stats {
	size_t categories, instruments, articles, verified, references;
};
void cw_taxonomy_stats(struct cw_taxonomy_stats *out,
		       const struct cw_taxonomy *tax);

/* The lexicon. */
size_t cw_taxonomy_vague_count(const struct cw_taxonomy *tax);
const struct cw_tax_vague *cw_taxonomy_vague_at(const struct cw_taxonomy *tax,
						size_t i);
size_t cw_taxonomy_docref_count(const struct cw_taxonomy *tax);
const struct cw_tax_docref *cw_taxonomy_docref_at(const struct cw_taxonomy *tax,
						  size_t i);
/* Notes of the lexicon file (borrowed, never NULL). */
const char *cw_taxonomy_truncation_note(const struct cw_taxonomy *tax);
const char *cw_taxonomy_untracked_note(const struct cw_taxonomy *tax);
/* Minimum length of a last line for it to count as a cut sentence. */
size_t cw_taxonomy_truncation_min_tail(const struct cw_taxonomy *tax);

/*
 * Find the first match of a compiled pattern (a `compiled` member above)
 * in text[from, len). Patterns are lower case (the loader rejects others)
 * and are not caseless: pass text lower-cased by cw_taxonomy_lower().
 * Returns true and sets *start and *end on a match; false on no match or
 * when the match limit is hit (a hostile pattern or text cannot hang us).
 */
bool cw_taxonomy_match(const void *compiled, const char *text, size_t len,
		       size_t from, size_t *start, size_t *end);
/*
 * ASCII-lower-case text[0..len) into `out` (cleared first); bytes of 0x80
 * and above are kept, so UTF-8 stays valid and offsets are unchanged.
 */
void cw_taxonomy_lower(struct cw_buf *out, const char *text, size_t len);

/* ---- detection ---- */

struct cw_tax_span {
	size_t pattern;	   /* index into the category's patterns */
	size_t start, end; /* byte range in the text (title matches: in the
			      title) */
};

struct cw_tax_match {
	const struct cw_tax_category *cat;
	double score;	    /* summed weights of the patterns that matched */
	double confidence;  /* 1 - exp(-score): a monotone squashing of the
			      score, not a calibrated probability */
	bool explicit_text; /* a pattern of weight >= 1 matched the text */
	size_t start, end;  /* the strongest text match (earliest on ties);
			      both 0 when only the title matched */
	struct cw_tax_span evidence[CW_TAXONOMY_MAX_EVIDENCE];
	size_t nevidence;
	bool by_rules; /* the rules reached the category's threshold */
	double model;  /* the model's confidence (cw_taxonomy_merge_model),
			      or -1 when no model spoke for this category */
};

struct cw_tax_matches {
	struct cw_tax_match *items;
	size_t n, cap;
};
#define CW_TAX_MATCHES_INIT \
	{                   \
		NULL, 0, 0  \
	}
void cw_tax_matches_release(struct cw_tax_matches *m);

/*
 * Detect categories in a provision by the rules of the taxonomy.
 *
 * out    [out] initialised by the caller; matches are appended, sorted by
 *        score (highest first, ties in taxonomy order)
 * title  the provision's heading, or NULL
 * Returns CW_OK, or CW_ETOOBIG past CW_TAXONOMY_TEXT_MAX.
 */
int cw_taxonomy_detect(struct cw_tax_matches *out,
		       const struct cw_taxonomy *tax, const char *title,
		       const char *text, size_t len, struct cw_err *err);

/*
 * Fold a model's verdict (e.g. the clause classifier's, whose CLAUDETTE
 * codes cw_taxonomy_claudette_id() turns into ids) into rule matches: when the rules found category
 * `id`, its `model` field is set; otherwise a match is added with
 * by_rules false, explicit_text false (so exposure is "inferred"), no
 * spans, and score = confidence = the model's confidence. The list stays
 * sorted by score.
 *
 * Returns CW_OK, CW_ENOTFOUND (no category `id`) or CW_EINVAL (confidence
 * outside [0, 1]).
 */
int cw_taxonomy_merge_model(struct cw_tax_matches *m,
			    const struct cw_taxonomy *tax, const char *id,
			    double confidence, struct cw_err *err);

/*
 * Score one category on a text (what detect computes for each category).
 * Returns true when the category reaches its threshold; `out` is filled
 * either way.
 */
bool cw_taxonomy_score(struct cw_tax_match *out,
		       const struct cw_tax_category *cat, const char *title,
		       const char *text, size_t len);

/* ---- exposure ---- */

enum cw_evidence {
	CW_EVIDENCE_EXPLICIT =
		0, /* the category's own language is in the text */
	CW_EVIDENCE_INFERRED = 1, /* from weaker cues or a model */
};
/* "explicit", "inferred". */
const char *cw_evidence_name(int basis);

struct cw_tax_applied {
	const struct cw_tax_modifier *mod;
	size_t start, end; /* where its pattern matched in the text */
};

struct cw_tax_rating {
	int audience; /* enum cw_audience */
	int base;     /* the category's base level */
	int level;    /* base + effects, clamped to low..high */
	int basis;    /* enum cw_evidence */
	struct cw_tax_applied *applied; /* modifiers found, in data order */
	size_t napplied;
};

/*
 * Rate the exposure of `text` (a provision of category `cat`) for an
 * audience: start at the base level, add the effect of each modifier whose
 * pattern matches, clamp. The basis is explicit when a detection pattern of
 * the category with weight >= 1 matches the text, else inferred.
 *
 * out  [out] release with cw_tax_rating_release()
 * Returns CW_OK, CW_EINVAL (bad audience) or CW_ETOOBIG.
 */
int cw_taxonomy_rate(struct cw_tax_rating *out,
		     const struct cw_tax_category *cat, int audience,
		     const char *text, size_t len, struct cw_err *err);
void cw_tax_rating_release(struct cw_tax_rating *r);

/* Facts about the reader or the history that move a rating. */
enum cw_rate_context {
	CW_RATE_CHANGED_BEFORE = 1u << 0, /* this provision changed in an
					       earlier version */
	CW_RATE_EU_UK_CONSUMER = 1u << 1, /* the reader is a consumer in the
					       EU or UK */
};

/*
 * Apply the context modifiers of the lexicon ("context_modifiers") to a
 * rating made by cw_taxonomy_rate(): CW_RATE_CHANGED_BEFORE applies
 * "changed_before"; CW_RATE_EU_UK_CONSUMER applies "grey_list_consumer"
 * when the audience is consumer and the category cites a grey-list item
 * (an Annex 1 point of Directive 93/13/EEC or a paragraph of Schedule 2
 * to the Consumer Rights Act 2015). Applied entries have start == end ==
 * 0 and a modifier whose `re` is NULL; the level is recomputed. Call it
 * once per rating: a second call applies the modifiers again.
 */
void cw_taxonomy_rate_context(struct cw_tax_rating *r,
			      const struct cw_taxonomy *tax,
			      const struct cw_tax_category *cat,
			      unsigned context);

/*
 * The distinct jurisdictions of a category's regulations, in order of
 * first appearance, appended to `out` ("EU", "UK", "US", ...).
 */
void cw_taxonomy_jurisdictions(struct cw_strv *out,
			       const struct cw_tax_category *cat);

#endif
