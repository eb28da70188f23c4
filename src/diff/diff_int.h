#ifndef CW_DIFF_INT_H
#define CW_DIFF_INT_H
/*
 * Private to src/diff/: the pieces diff.c assembles.
 */
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "../util/re.h"

#include "diff.h"

/* ---- words.c ---- */

/* A word token of a text: bytes [start, end), `id` equal for equal bytes
 * (ids are shared by the two sides of one diff). */
struct cw_diff_tok {
	size_t start, end;
	uint32_t id;
};

/* Split s[0..len) into tokens (appended to *toks). Returns the count. */
size_t cw_diff_tokenize(struct cw_diff_tok **toks, size_t *cap, const char *s,
			size_t len);

/*
 * Line diff of two texts (lines without their newline compared whole, as
 * git does): (*ca)[i] is 1 when line i (0-based) of a is deleted, (*cb)[j]
 * when line j of b is inserted. Free both arrays.
 */
void cw_diff_lines(char **ca, size_t *na, char **cb, size_t *nb, const char *a,
		   size_t alen, const char *b, size_t blen, size_t max_cost);

/* ---- re.c: the rules' patterns ---- */

/* Patterns of the rules: util/re.h, compiled with UTF and UCP. */
#define CW_DIFF_RE_OPTIONS (PCRE2_UTF | PCRE2_UCP)

/* ---- noise.c: the rules ---- */

struct cw_diff_param_rule {
	char *name;
	bool prefix; /* "utm_" matches every parameter starting with it */
};

struct cw_diff_fact_rule {
	enum cw_diff_fact_kind kind;
	char *name; /* for messages */
	struct cw_re *re;
	bool sentence; /* the value is the enclosing sentence */
	/* "needs": the pattern cannot match a text that holds none of
	 * these (ASCII case folded when needs_fold), so it is not run */
	struct cw_strv needs;
	bool needs_fold;
};

struct cw_diff_template {
	char *situation; /* "duration_shorter", "added", ... */
	char *text;	 /* "{title}: the period shrank from {old} to {new}." */
};

struct cw_diff_rules {
	/* noise */
	uint32_t *invisible; /* code points dropped */
	size_t n_invisible;
	uint32_t *map_from; /* code points replaced ... */
	char **map_to;	    /* ... by these strings */
	size_t n_map;
	char **phrases; /* literal phrases dropped */
	size_t n_phrases;
	bool phrase_first[256];		   /* the first bytes of the phrases */
	struct cw_diff_param_rule *params; /* URL query parameters dropped */
	size_t n_params;
	struct cw_re **date_lines; /* lines matching are dropped */
	size_t n_date_lines;
	struct cw_re *list_marker; /* at a line start, dropped */
	bool casefold_headings;
	bool drop_emphasis;	/* Markdown * and _ runs */
	bool drop_link_targets; /* the (URL) of a Markdown [text](URL) */
	/* facts */
	struct cw_diff_fact_rule *facts;
	size_t n_facts;
	/* templates */
	struct cw_diff_template *templates;
	size_t n_templates;
};

int cw_diff_noise_load(struct cw_diff_rules *r, const char *path,
		       struct cw_err *err);
int cw_diff_facts_load(struct cw_diff_rules *r, const char *path,
		       struct cw_err *err);
int cw_diff_templates_load(struct cw_diff_rules *r, const char *path,
			   struct cw_err *err);
/* Template text for a situation, or NULL. */
const char *cw_diff_template(const struct cw_diff_rules *r,
			     const char *situation);

/* ---- align.c ---- */

/* One provision as the aligner sees it. */
struct cw_diff_node {
	long idx; /* into the segmentation */
	size_t start, own_end, body;
	const char *key;
	const char *title;
	uint64_t norm_hash;  /* hash of the noise-normalised own text */
	uint64_t exact_hash; /* hash of the own text bytes */
	uint64_t body_hash;  /* hash of the normalised own text minus heading */
	uint64_t *shingles;  /* sorted, unique */
	size_t n_shingles;
	long pair;  /* index into the other side's nodes, or -1 */
	long group; /* split/merge group id, or -1 */
	/* norm_hash, body_hash and the shingles are made on first need
	 * (cw_diff_node_prepare): most provisions of two versions pair by
	 * their lines or their key and title and never need them */
	bool prepared;
};

struct cw_diff_side {
	struct cw_diff_node *nodes;
	size_t n;
	const char *text;
	size_t len;
	/* the line diff of the two texts, from this side */
	size_t *ls;	/* line starts */
	char *lchanged; /* per line: deleted/inserted */
	long *lmap;	/* per line: the equal line on the other side, or -1 */
	size_t nl;
	/* for cw_diff_node_prepare */
	const struct cw_diff_rules *rules;
	struct cw_buf nb;
	struct cw_diff_tok *toks;
	size_t tcap;
};

/*
 * Make node i's norm_hash, body_hash and shingles, once (diff.c). Every
 * reader of those fields prepares the node first: the aligner prepares
 * the unpaired nodes before its first pass that reads them, and every
 * node of both sides before a split or merge search that can use them.
 */
void cw_diff_node_prepare(struct cw_diff_side *s, size_t i);
/* The same for every node (`unpaired_only`: those with no pair yet). */
void cw_diff_side_prepare(struct cw_diff_side *s, bool unpaired_only);

/* A split or merge found by the aligner. */
struct cw_diff_group {
	bool split; /* true: one old (one[0]) -> many new */
	long one;   /* node index on the "one" side */
	long *many; /* node indices on the other side, document order */
	size_t n_many;
};

struct cw_diff_alignment {
	struct cw_diff_group *groups;
	size_t n_groups;
	bool *moved; /* per old node: its pair is out of order */
};

void cw_diff_align(struct cw_diff_alignment *out, struct cw_diff_side *a,
		   struct cw_diff_side *b);
void cw_diff_alignment_release(struct cw_diff_alignment *al);
double cw_diff_jaccard(const uint64_t *a, size_t na, const uint64_t *b,
		       size_t nb);
/* |a ∩ b| / |a| */
double cw_diff_containment(const uint64_t *a, size_t na, const uint64_t *b,
			   size_t nb);

/* ---- facts.c ---- */

/* Compare the facts of both sides of a change, a[0..alen) of version
 * text wa[0..walen) and b[0..blen) of wb[0..wblen): fills change->facts
 * and returns true when something material moved. A list item whose
 * words the other version holds anywhere is not new nor dropped. */
bool cw_diff_facts_compare(struct cw_diff_change *ch,
			   const struct cw_diff_rules *rules, const char *a,
			   size_t alen, const char *b, size_t blen,
			   const char *wa, size_t walen, const char *wb,
			   size_t wblen);
/* Write the summary sentence of a change. */
char *cw_diff_summary(const struct cw_diff_change *ch,
		      const struct cw_diff_rules *rules);

uint64_t cw_diff_hash(const void *data, size_t len);

#endif
