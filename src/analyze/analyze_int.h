#ifndef CW_ANALYZE_INT_H
#define CW_ANALYZE_INT_H
/*
 * Private to analyze.c and report.c: the context and the helpers they
 * share.
 */
#include <jansson.h>

#include "analyze.h"

struct cw_classify_model;

struct cw_analyze_ctx {
	struct cw_taxonomy *tax;
	struct cw_classify_model *model; /* NULL: rules only */
	json_t *tpl;                     /* data/analysis/templates.json */
	char *tpl_path;
};

/* Load and check the templates file (report.c). */
int cw_analyze_templates_load(struct cw_analyze_ctx *ctx, const char *path,
			      struct cw_err *err);
/* Add "reading" and "meaning" to an analysed provision (report.c). */
void cw_analyze_text(const struct cw_analyze_ctx *ctx, json_t *prov);
/* [start, end] */
json_t *cw_analyze_span(size_t start, size_t end);
/* A folded, capped quote of doc[start, end). */
json_t *cw_analyze_quote(const char *doc, size_t len, size_t start, size_t end);

#endif
