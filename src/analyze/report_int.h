#ifndef CW_ANALYZE_REPORT_INT_H
#define CW_ANALYZE_REPORT_INT_H
/*
 * report_int: what report.c gives the other files of the analyze module
 * (context.c loads the templates, analyze.c adds the text of an analysed
 * provision). report.c itself calls neither of them.
 */
#include <jansson.h>

#include "context_int.h"

/* Load and check the templates file into ctx->tpl and ctx->tpl_path. */
int cw_analyze_templates_load(struct cw_analyze_ctx *ctx, const char *path,
			      struct cw_err *err);
/* Add "reading" and "meaning" to an analysed provision. */
void cw_analyze_text(const struct cw_analyze_ctx *ctx, json_t *prov);

#endif
