#ifndef CW_DIFF_RECORD_H
#define CW_DIFF_RECORD_H
/*
 * The change record: what the store keeps of one diff between two
 * versions of a document, and what every face and alert reads back.
 *
 * diff owns it. It is made from a change list (cw_change_record_from_diff),
 * annotated by the monitor's analysis (the categories and exposure moves
 * below, filled through the struct), compacted before it is stored
 * (cw_change_record_compact), and encoded to or decoded from its one JSON
 * form (cw_change_record_encode, cw_change_record_decode). Readers that
 * show the redline put its text back from the two versions' texts with
 * cw_change_record_fill_redline. The schema, its versions and the rule for
 * changing it are in docs/internals/change-record.md.
 *
 * Ownership: a record owns every string and array it points to (none is
 * borrowed from the diff or the texts it came from); free it with
 * cw_change_record_release(). Thread safety: none needed, no global state.
 */
#include "diff.h"

/* Version written in the "schema" field of a stored record. Records
 * without the field are the version-less JSON stored before it existed;
 * they decode the same way (their fields are the same). */
#define CW_CHANGE_RECORD_SCHEMA 1

/* A taxonomy category of a changed provision (the monitor's analysis).
 * An entry with only `id` set is written as a bare string. */
struct cw_change_category {
	char *id;
	char *name; /* NULL when absent */
	char *in;   /* "old", "new" or "both"; NULL when absent */
	bool has_confidence;
	double confidence;
	char *severity; /* NULL when absent */
};

/* An exposure level that moved between the versions' texts. In a
 * provision's list only the audience and levels are written; in the
 * record's list also the provision (key, old_key, title; NULL: null). */
struct cw_change_move {
	char *key;
	char *old_key;
	char *title;
	char *audience;	 /* "consumer", ... */
	char *from, *to; /* level names */
	char *direction; /* "up" or "down" */
};

/* One redline span; `text` is what it deleted or inserted when filled
 * (from_diff or fill_redline), NULL otherwise (the stored form). */
struct cw_change_span {
	enum cw_diff_op op;
	size_t old_start, old_end;
	size_t new_start, new_end;
	char *text; /* valid UTF-8, `text_len` bytes, or NULL */
	size_t text_len;
};

struct cw_change_fact {
	enum cw_diff_fact_kind kind;
	char *old_value; /* NULL: added */
	char *new_value; /* NULL: removed */
};

/* One changed provision (an entry of struct cw_diff's list). */
struct cw_change_entry {
	enum cw_diff_kind kind;
	bool modified;
	enum cw_diff_materiality materiality;
	char *old_key, *new_key; /* NULL when that side has none */
	char *title;		 /* NULL only in records decoded so */
	char *summary;		 /* NULL when none */
	size_t old_start, old_end, new_start, new_end;
	/* Provision indices: from a diff, every entry's; decoded, only a
	 * split's or merge's (the only ones written). */
	long *old_prov;
	size_t n_old_prov;
	long *new_prov;
	size_t n_new_prov;
	double similarity;
	struct cw_change_fact *facts;
	size_t n_facts;
	struct cw_strv noise;
	bool coarse;
	struct cw_change_span *spans;
	size_t n_spans;
	/* analysis (monitor): has_categories is false when it did not run */
	bool has_categories;
	struct cw_change_category *categories;
	size_t n_categories;
	struct cw_change_move *moves;
	size_t n_moves;
};

struct cw_change_record {
	int schema; /* 0: decoded from a version-less record */
	/* Compact form (the stored one): empty lists and a false `coarse`
	 * are left out when encoding. Set by cw_change_record_compact() and
	 * by decoding a record written so. */
	bool compact;
	struct cw_change_entry *entries;
	size_t n;
	size_t counts[CW_DIFF_MERGED + 1]; /* per kind, as struct cw_diff */
	/* analysis (monitor): the union of every entry's category ids,
	 * sorted; has_categories false when the analysis did not run */
	bool has_categories;
	struct cw_strv categories;
	struct cw_change_move *moves; /* every entry's, with the provision */
	size_t n_moves;
	char *analysis_error; /* why the analysis failed, or NULL */
	/* the document summary (analyze/meaning.h), or NULL in a record
	   written before there was one */
	char *summary;
};

/* An empty record (no entries, version CW_CHANGE_RECORD_SCHEMA). */
void cw_change_record_init(struct cw_change_record *r);
void cw_change_record_release(struct cw_change_record *r);

/*
 * The record of change list `d`, every string copied (texts repaired to
 * valid UTF-8), the redline text filled from the diff's texts. `r` is
 * initialised here. Returns CW_OK.
 */
int cw_change_record_from_diff(struct cw_change_record *r,
			       const struct cw_diff *d);

/*
 * Compact `r` for storing: drop the redline text (the offsets stay; it is
 * derived from the two versions), round similarities to two decimals, and
 * set `compact`. On the corpus this takes the stored records from about
 * 4.7 to under 2 MiB.
 */
void cw_change_record_compact(struct cw_change_record *r);

/*
 * Put each span's text back from the versions' texts (old for a deletion,
 * new for an insertion). A span outside its text, or whose text is not
 * valid UTF-8, keeps no text rather than a wrong one. `old` may be NULL
 * with `old_len` 0 (a first version).
 */
void cw_change_record_fill_redline(struct cw_change_record *r, const char *old,
				   size_t old_len, const char *new,
				   size_t new_len);

/* The new keys of the entries, in order, pushed to `out` (entries
 * without a new key are skipped). */
void cw_change_record_new_keys(const struct cw_change_record *r,
			       struct cw_strv *out);

/* The first entry whose new key is `key`, or NULL (borrowed): how a
 * provision is followed back through its changes (timeline, history). */
const struct cw_change_entry *
cw_change_record_find_new_key(const struct cw_change_record *r,
			      const char *key);

enum cw_change_record_json {
	CW_CHANGE_JSON_SCHEMA = 1u << 0, /* write the "schema" field */
	CW_CHANGE_JSON_COUNTS = 1u << 1, /* write "counts" */
};

/*
 * The record as a jansson object (json_t *, declared void * as in diff.h):
 * {"schema"?, "changes": [...], "counts"?, "categories"?,
 * "exposure_moves"?, "analysis"?}. `flags` OR'ed enum
 * cw_change_record_json. A new reference; NULL only when out of memory.
 */
void *cw_change_record_to_json(const struct cw_change_record *r,
			       unsigned flags);
/* One entry as a jansson object (the elements of "changes"). */
void *cw_change_entry_to_json(const struct cw_change_record *r,
			      const struct cw_change_entry *e);

/*
 * The stored form: the record with its schema version, its counts, reals
 * to three significant digits, compact JSON, appended to `out`. The
 * caller compacts first for the stored size. Returns CW_OK or CW_ERROR.
 */
int cw_change_record_encode(struct cw_buf *out,
			    const struct cw_change_record *r,
			    struct cw_err *err);

/*
 * Read a record from `json[0..len)`: the stored form of any version up
 * to CW_CHANGE_RECORD_SCHEMA, version-less records included. Every field
 * is type-checked; a field absent takes its empty value, except an
 * entry's "kind" and "materiality", which are required. `r` is
 * initialised here and holds nothing after a failure.
 * Returns CW_OK or CW_EPARSE (the message names the entry and field).
 */
int cw_change_record_decode(struct cw_change_record *r, const char *json,
			    size_t len, struct cw_err *err);

#endif
