#ifndef CW_PARAMS_H
#define CW_PARAMS_H
/*
 * params: the facts of a provision, each with the byte span it was read
 * from: liability caps, arbitration body and rules, opt-out windows and
 * methods, minimum age, governing law, forum, notice periods, credit
 * expiry, inactivity period, data uses.
 *
 * Extraction is by patterns over the provision text (PCRE2, caseless
 * unless a capitalised name is being read). It is deliberately
 * conservative: a parameter is reported only when its own wording is
 * found, never guessed from the category alone. Which parameters a
 * category asks for is data (the "params" list of a taxonomy category);
 * the names below are the vocabulary of that list.
 *
 * Pure and thread-safe; patterns are compiled once on first use under a
 * pthread_once.
 */
#include "../util/util.h"

struct cw_tax_category;

enum cw_param_kind {
	CW_PARAM_LIABILITY_CAP = 0,  /* "greater of USD 100 or fees paid in
					   the 6 months" */
	CW_PARAM_ARBITRATION_BODY,   /* "NAM" (with its full name) */
	CW_PARAM_ARBITRATION_RULES,  /* "Comprehensive Dispute Resolution
					   Rules and Procedures" */
	CW_PARAM_OPT_OUT_WINDOW,     /* 30 days */
	CW_PARAM_OPT_OUT_METHOD,     /* "email to legal@x", "mail" */
	CW_PARAM_MIN_AGE,	     /* 18 years */
	CW_PARAM_GOVERNING_LAW,	     /* "California" */
	CW_PARAM_FORUM,		     /* "Los Angeles, California" */
	CW_PARAM_CHANGE_NOTICE,	     /* 30 days / "advance notice" / none */
	CW_PARAM_TERMINATION_NOTICE, /* as above, for termination */
	CW_PARAM_CREDIT_EXPIRY,	     /* 1 year */
	CW_PARAM_INACTIVITY_PERIOD,  /* 1 year */
	CW_PARAM_TRAINING_ON_INPUTS, /* "yes" / "no" */
	CW_PARAM_TRAINING_OPT_OUT,   /* "available" */
	CW_PARAM_INFORMAL_RESOLUTION_PERIOD, /* 60 days */
	CW_PARAM_MASS_ARBITRATION_THRESHOLD, /* 25 claimants */
	CW_PARAM_CLAIMS_TIME_LIMIT,	     /* 1 year */
	CW_PARAM_CONTACT_EMAIL,		     /* an address named in the text */
	CW_PARAM_COUNT
};

/* "liability_cap", ...; NULL when out of range. */
const char *cw_params_kind_name(int kind);
/* Kind from its name; -1 when unknown. */
int cw_params_kind_from_name(const char *name);

struct cw_param {
	int kind;	/* enum cw_param_kind */
	char *value;	/* normalised, readable: "30 days", "NAM" */
	double number;	/* the quantity (days, years, amount, age), or
			      NAN when there is none */
	char unit[16];	/* "days", "months", "years", "USD", "claimants",
			      "" */
	double number2; /* a second quantity (the months of a "fees paid
			      in N months" cap), or NAN */
	char unit2[16];
	char *detail;	   /* extra reading ("greater of", "exclusive", the
			      full name of an arbitration body), or NULL */
	size_t start, end; /* byte span in the caller's coordinates (the
			      text offset plus `base`) */
};

struct cw_params {
	struct cw_param *items;
	size_t n, cap;
};
#define CW_PARAMS_INIT     \
	{                  \
		NULL, 0, 0 \
	}
void cw_params_release(struct cw_params *p);

/* Longest text the extractors scan (longer: CW_ETOOBIG). */
#define CW_PARAMS_TEXT_MAX (4u << 20)
/* Most values kept per kind and text (forum clauses repeat). */
#define CW_PARAMS_MAX_PER_KIND 8

/*
 * Extract parameters of the given kinds from text[0..len).
 *
 * out    initialised by the caller; parameters are appended in order of
 *        kinds, then of position
 * base   added to every span (the provision's offset in its document)
 * kinds  the kinds wanted; NULL with nkinds 0 means all
 * Returns CW_OK, CW_EINVAL (unknown kind) or CW_ETOOBIG.
 */
int cw_params_extract(struct cw_params *out, const char *text, size_t len,
		      size_t base, const int *kinds, size_t nkinds,
		      struct cw_err *err);

/* The same for the parameters a taxonomy category lists. */
int cw_params_for_category(struct cw_params *out,
			   const struct cw_tax_category *cat, const char *text,
			   size_t len, size_t base, struct cw_err *err);

/* The first parameter of `kind` in `p`, or NULL. */
const struct cw_param *cw_params_find(const struct cw_params *p, int kind);

/*
 * Read a small English or decimal number ("thirty", "30", "one",
 * "a") at the start of s[0..len). Returns the value or -1.
 */
long cw_params_number_word(const char *s, size_t len);

#endif
