/*
 * Fuzz HTML extraction: the input is a page, extracted once with a fixed
 * declaration that uses every kind of selector (CSS select, range select,
 * CSS and range remove, the removeQueryParams filter) and once without a
 * declaration (the whole body), with small caps so deep or large inputs
 * hit them. Checked: the result is valid UTF-8 ending in one newline and
 * within the output cap, and a failure leaves no partial text.
 */
#include "../src/extract/extract.h"
#include "fuzz_extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char s_main[] = "main, article", s_h1[] = "h1", s_footer[] = "footer",
	    s_ad[] = ".ad, script", s_nav[] = "nav", s_p[] = "p:first-child",
	    s_url[] = "https://example.org/legal/terms?x=1",
	    s_frq[] = "removeQueryParams", s_utm[] = "utm_source";
static char *params[] = { s_utm };

static struct cw_decl_selector sel[] = {
	{ .css = s_main },
	{ .start_before = s_h1, .end_after = s_footer },
};
static struct cw_decl_selector rem[] = {
	{ .css = s_ad },
	{ .start_after = s_nav, .end_before = s_p },
};
static struct cw_decl_filter filters[] = {
	{ .name = s_frq, .params = { params, 1, 1 } },
};
static struct cw_decl_source source = {
	.fetch = s_url,
	.select = sel,
	.n_select = 2,
	.remove = rem,
	.n_remove = 2,
	.filters = filters,
	.n_filters = 1,
	.execute_client_scripts = -1,
};
static struct cw_decl_doc doc = { .sources = &source, .n_sources = 1 };

static void check(const struct cw_decl_doc *d, const uint8_t *data, size_t size,
		  enum cw_extract_kind kind)
{
	struct cw_extract_opts o = CW_EXTRACT_OPTS_INIT;
	struct cw_extract_input in = { .data = (const char *)data,
				       .len = size,
				       .url = s_url,
				       .name = "fuzz",
				       .kind = kind };
	struct cw_buf out = CW_BUF_INIT;
	struct cw_strv w = CW_STRV_INIT;
	struct cw_err err = CW_ERR_INIT;

	o.max_input = 1u << 20;
	o.max_output = 1u << 20;
	o.max_depth = 64;
	/* an input that sniffs as a PDF is read here, as fuzz_pdf reads it:
	 * a helper process would be this harness run again */
	o.pdf_in_process = cw_extract_pdf_reader;
	int rc = cw_extract_document(&out, &in, 1, d, &w, &o, &err);
	if (rc == CW_OK) {
		if (!fuzz_text_ok(&out, o.max_output))
			abort();
	} else {
		if (out.len || !err.msg[0])
			abort();
		/* CW_EUNSUPPORTED: binary data, refused (extract.h) */
		if (rc != CW_EEMPTY && rc != CW_ETOOBIG && rc != CW_EPARSE &&
		    rc != CW_EUNSUPPORTED)
			abort();
	}
	cw_buf_release(&out);
	cw_strv_release(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(&doc, data, size, CW_EXTRACT_HTML);
	check(NULL, data, size, CW_EXTRACT_HTML);
	check(NULL, data, size, CW_EXTRACT_AUTO);
	return 0;
}
