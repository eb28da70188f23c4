/*
 * Fuzz the clause classifier's two inputs. First byte 0: the rest is the
 * body of a model file; the harness appends its SHA-256 so the loader's
 * structural checks (counts, order, ranges) are what gets exercised, not
 * just the checksum; a model that loads classifies one sentence. Any other
 * first byte: the rest is text, split into sentences (ranges checked) and
 * classified as a provision with the committed model (CW_DATA_DIR, else
 * the source tree's data/) when it is there. abort() reports a broken
 * invariant.
 */
#include <math.h>
#include <stdint.h>

#include "../src/classify/classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cw_classify_model *model;
static bool tried;

static void load(void)
{
	const char *dir = getenv("CW_DATA_DIR");
	char *fallback = cw_asprintf("%s/data", CW_SOURCE_ROOT);

	tried = true;
	/* absent model: the text path still fuzzes the splitter */
	if (cw_classify_model_load_dir(&model, dir && *dir ? dir : fallback,
				       NULL))
		model = NULL;
	free(fallback);
}

static void check(const struct cw_classify_result *r)
{
	for (int c = 0; c < CW_CLASSIFY_NCAT; c++) {
		const struct cw_classify_cat_result *x = &r->cat[c];

		if (x->severity < CW_CLASSIFY_SEV_NONE ||
		    x->severity > CW_CLASSIFY_SEV_CLEARLY_UNFAIR)
			abort();
		if (x->unfair !=
		    (x->severity >= CW_CLASSIFY_SEV_POTENTIALLY_UNFAIR))
			abort();
		if (isfinite(x->confidence) &&
		    (x->confidence < 0 || x->confidence > 1))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_classify_result r;

	if (size < 1)
		return 0;
	if (data[0] == 0) {
		struct cw_buf b = CW_BUF_INIT;
		struct cw_classify_model *m = NULL;
		unsigned char sum[32];

		cw_buf_add(&b, data + 1, size - 1);
		cw_sha256(b.ptr ? b.ptr : "", b.len, sum);
		cw_buf_add(&b, sum, 32);
		if (cw_classify_model_load_mem(&m, b.ptr, b.len, "fuzz",
					       NULL) == CW_OK) {
			static const char s[] = "We may end your account at "
						"any time.";

			cw_classify_sentence(&r, m, s, sizeof(s) - 1, NULL);
			check(&r);
			cw_classify_model_free(m);
		} else if (m) {
			abort(); /* failure must leave *out NULL */
		}
		cw_buf_release(&b);
		return 0;
	}
	{
		const char *t = (const char *)data + 1;
		size_t len = size - 1, *rg = NULL;
		size_t n = cw_classify_split(&rg, t, len);

		for (size_t i = 0; i < n; i++)
			if (rg[2 * i] >= rg[2 * i + 1] || rg[2 * i + 1] > len ||
			    (i && rg[2 * i] < rg[2 * i - 1]))
				abort();
		free(rg);
		if (!tried)
			load();
		if (model) {
			if (cw_classify_text(&r, model, t, len, NULL))
				abort();
			check(&r);
		}
	}
	return 0;
}
