#ifndef CW_TAXONOMY_INT_H
#define CW_TAXONOMY_INT_H
/*
 * Private to taxonomy.c and regulations.c: the taxonomy object and the
 * loading helpers they share. The JSON field readers that produce
 * "'file': path.to.field: expected ..." errors are util's (util/json.h).
 */
#include <jansson.h>

#include "../util/json.h"
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
	struct cw_tax_modifier ctx_changed; /* context modifiers (re NULL) */
	struct cw_tax_modifier ctx_grey;
};

/* Sorted list of "*.json" files in `dir` (full paths). */
int cw_taxonomy_list_json(struct cw_strv *out, const char *dir,
			  struct cw_err *err);
/* True for [a-z][a-z0-9_]* up to 64 bytes. */
bool cw_taxonomy_valid_id(const char *s);

int cw_taxonomy_load_instruments(struct cw_taxonomy *tax, const char *dir,
				 struct cw_err *err);
void cw_taxonomy_free_instruments(struct cw_taxonomy *tax);

#endif
