/*
 * context: what an analysis reads, loaded once (see cw_analyze_ctx_new() in
 * analyze.h): the taxonomy with its regulations, the classifier's model
 * when there is one, and the templates of the report. analyze.c and
 * report.c read it through context_int.h; neither calls into this file.
 */
#include "../classify/classify.h"
#include "analyze.h"
#include "context_int.h"
#include "report_int.h"

int cw_analyze_ctx_new(struct cw_analyze_ctx **out, const char *data_dir,
		       struct cw_err *err)
{
	struct cw_analyze_ctx *ctx = cw_calloc(1, sizeof(*ctx));
	char *path = NULL;
	int rc;

	*out = NULL;
	rc = cw_taxonomy_load(&ctx->tax, data_dir, err);
	if (rc)
		goto fail;
	path = cw_asprintf("%s/%s", data_dir, CW_CLASSIFY_MODEL_FILE);
	if (cw_file_exists(path)) {
		rc = cw_classify_model_load(&ctx->model, path, err);
		if (rc)
			goto fail;
	}
	free(path);
	path = cw_asprintf("%s/%s", data_dir, CW_ANALYZE_TEMPLATES_FILE);
	rc = cw_analyze_templates_load(ctx, path, err);
	if (rc)
		goto fail;
	free(path);
	*out = ctx;
	return CW_OK;
fail:
	free(path);
	cw_analyze_ctx_free(ctx);
	return rc;
}

void cw_analyze_ctx_free(struct cw_analyze_ctx *ctx)
{
	if (!ctx)
		return;
	cw_taxonomy_free(ctx->tax);
	cw_classify_model_free(ctx->model);
	json_decref(ctx->tpl);
	free(ctx->tpl_path);
	free(ctx);
}

const struct cw_taxonomy *cw_analyze_taxonomy(const struct cw_analyze_ctx *ctx)
{
	return ctx->tax;
}

bool cw_analyze_has_model(const struct cw_analyze_ctx *ctx)
{
	return ctx->model != NULL;
}
