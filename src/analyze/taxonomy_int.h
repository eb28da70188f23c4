#ifndef CW_TAXONOMY_INT_H
#define CW_TAXONOMY_INT_H
/*
 * Private to taxonomy.c and regulations.c: the taxonomy object and the
 * JSON field readers that produce "'file': path.to.field: expected ..."
 * errors.
 */
#include <jansson.h>

#include "taxonomy.h"

struct cw_taxonomy {
	struct cw_tax_category *cats;
	size_t ncats;
	struct cw_tax_instrument *insts; /* sorted by id */
	size_t ninsts;
	struct cw_tax_vague *vague;
	size_t nvague;
	struct cw_tax_docref *docrefs;
	size_t ndocrefs;
	char *truncation_note;
	char *untracked_note;
	size_t truncation_min_tail;
	struct cw_tax_modifier ctx_changed;  /* context modifiers (re NULL) */
	struct cw_tax_modifier ctx_grey;
};

/* Where a reader is: the file and the JSON path of the value. */
struct cw_tax_where {
	const char *file;
	const char *path; /* "categories[3].exposure" */
};

/* Fail on keys of `obj` not in the NULL-terminated `allowed`. */
int cw_taxonomy_jkeys(json_t *obj, const char *const *allowed,
		      const struct cw_tax_where *w, struct cw_err *err);
/*
 * Read obj[key] as a non-empty string into *out (a copy). A missing
 * optional key leaves *out NULL.
 */
int cw_taxonomy_jstr(char **out, json_t *obj, const char *key, bool required,
		     const struct cw_tax_where *w, struct cw_err *err);
/* obj[key] as an array of non-empty strings (missing optional: empty). */
int cw_taxonomy_jstrs(char ***out, size_t *n, json_t *obj, const char *key,
		      bool required, const struct cw_tax_where *w,
		      struct cw_err *err);
/* obj[key] as an array (missing optional: NULL with *n 0). */
int cw_taxonomy_jarr(json_t **out, json_t *obj, const char *key,
		     bool required, const struct cw_tax_where *w,
		     struct cw_err *err);
/* A "YYYY-MM-DD" date string (optional), checked for validity. */
int cw_taxonomy_jdate(char **out, json_t *obj, const char *key,
		      const struct cw_tax_where *w, struct cw_err *err);
/* Parse a JSON file (size-capped, duplicate keys rejected). */
int cw_taxonomy_jload(json_t **out, const char *path, struct cw_err *err);
/* Sorted list of "*.json" files in `dir` (full paths). */
int cw_taxonomy_list_json(struct cw_strv *out, const char *dir,
			  struct cw_err *err);
/* True for [a-z][a-z0-9_]* up to 64 bytes. */
bool cw_taxonomy_valid_id(const char *s);

int cw_taxonomy_load_instruments(struct cw_taxonomy *tax, const char *dir,
				 struct cw_err *err);
void cw_taxonomy_free_instruments(struct cw_taxonomy *tax);
void cw_taxonomy_free_strs(char **v, size_t n);

#endif
