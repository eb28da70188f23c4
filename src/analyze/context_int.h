#ifndef CW_ANALYZE_CONTEXT_INT_H
#define CW_ANALYZE_CONTEXT_INT_H
/*
 * context_int: the analysis context, private to the analyze module. It is
 * made and freed by context.c and only read by analyze.c and report.c,
 * which may run on several threads at once with one context.
 */
#include <jansson.h>

#include "analyze.h"

struct cw_classify_model;

struct cw_analyze_ctx {
	struct cw_taxonomy *tax;
	struct cw_classify_model *model; /* NULL: rules only */
	json_t *tpl;			 /* data/analysis/templates.json */
	char *tpl_path;
};

#endif
