#ifndef CW_SEGMENT_INT_H
#define CW_SEGMENT_INT_H
/*
 * segment internals, shared by segment.c (levels, ranges), heading.c (line
 * classification) and keys.c (titles, slugs, unique keys). Not part of the
 * contract; nothing outside src/segment/ includes this.
 */
#include "../util/map.h"
#include "segment.h"

/* Numbering styles of a heading label ("1.", "(a)", "IV.", "2.3.1", ...). */
enum numstyle {
	NS_NONE = 0,
	NS_DEC,	    /* 1.  1)  (1) */
	NS_ALPHA_L, /* a.  a)  (a) */
	NS_ALPHA_U, /* A.  A)  (A) */
	NS_ROMAN_L, /* iv. iv) (iv) */
	NS_ROMAN_U, /* IV. IV) (IV) */
	NS_DECK,    /* 1.1, 1.1.1, ... (depth in ncomp) */
	NS_SECTION, /* Section 3, SECTION 3. */
	NS_ARTICLE, /* Article II, ARTICLE 5 */
};

enum numpunct { NP_DOT = 0, NP_PAREN, NP_BOTH, NP_NONE };

#define CW_SEG_MAX_COMP 4

struct numlabel {
	int style; /* enum numstyle; NS_NONE: no label */
	int punct; /* enum numpunct */
	int ncomp; /* components: 1, or 2..4 for NS_DECK */
	long comp[CW_SEG_MAX_COMP];
	int alt_style; /* "i", "v", "x", ...: alpha or roman */
	long alt_value;
	char text[24]; /* the label as it goes into keys: "3", "b" */
};

/* Signature classes: what may contain what (lower contains higher). */
enum sigclass {
	SC_ATX = 0, /* Markdown headings, setext included: levels 1..6 */
	SC_STRONG,  /* "Section 3", "Article II" */
	SC_HEADING, /* numbered lines, bold lines, all-caps lines */
	SC_LEADIN,  /* a bold or plain title at the start of a paragraph */
};

/* Signatures of unnumbered, non-Markdown headings */
enum { SIG_BOLDLINE = 100, SIG_CAPS, SIG_LEADIN, SIG_PLAINLEAD, SIG_PLAINLINE };

/* One heading candidate, in document order. */
struct cand {
	size_t start;  /* first byte of the heading line */
	size_t body;   /* first byte of the text after the heading */
	size_t tstart; /* raw title span in the text (not yet cleaned) */
	size_t tend;
	int sig;	/* 1..6 Markdown level; >= 16 see sig_of() */
	int sclass;	/* enum sigclass */
	int deco;	/* 1 bold, 2 Markdown list marker "1.  " */
	bool titleonly; /* the heading has no body text on its line(s) */
	bool item;	/* a numbered sentence, not a title: a heading only
			   where it continues a numbering, or in a text
			   with no other heading */
	bool lists;	/* ... that opens a nested list */
	struct numlabel num;
	/* filled while assigning levels */
	int level;   /* 0: rejected */
	long parent; /* index into the accepted headings, -1 top */
};

struct candv {
	struct cand *v;
	size_t n, cap;
};

/* heading.c: the candidates of text[0..len), in order; the scan stops
 * looking for more at max_cands (the rest is body text). */
void cw_seg_candidates(struct candv *out, const char *text, size_t len,
		       size_t max_cands);

/* The signature of a numbering style: equal for "1." and "2.", different
 * for "1." and "(1)" or "1.1". */
int cw_seg_sig_of(const struct numlabel *nl);

/* keys.c */
/* Cleaned title of text[a..b): Markdown markup and escapes removed, spaces
 * collapsed, trailing punctuation dropped, at most 200 bytes. */
char *cw_seg_title(const char *text, size_t a, size_t b);
/* Slug of a cleaned title ("Use of our brand" -> "use-of-our-brand"), at
 * most 48 bytes; "" when the title has no letter or digit. */
char *cw_seg_slug(const char *title);

/* A set of keys for uniqueness. */
struct keyset {
	struct cw_map keys;  /* borrowed: the provisions own their keys */
	struct cw_map bases; /* base keys seen twice; val: next "~n" to try */
};
void cw_seg_keyset_init(struct keyset *ks, size_t expect);
void cw_seg_keyset_release(struct keyset *ks);
/* Make `key` unique ("x", "x~2", "x~3"...), insert it; returns the owned,
 * possibly new, string (the argument is consumed). */
char *cw_seg_keyset_claim(struct keyset *ks, char *key);

#endif
