/*
 * Fuzz the filter runner's answer reader (extract/filters.c,
 * cw_extract_filters_answer): the JSON a node process writes back. Checks
 * what extraction relies on: success leaves the document within the
 * buffer's cap and NUL-terminated; a failure leaves a message and the
 * buffer as it was when the answer was not a document.
 */
#include <stdlib.h>
#include <string.h>

#include "../src/extract/extract_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_buf html = CW_BUF_INIT;
	struct cw_strv w = CW_STRV_INIT;
	struct cw_err err = CW_ERR_INIT;
	int rc;

	if (size > 1u << 20)
		return 0;
	cw_buf_init(&html, 4096);
	cw_buf_adds(&html, "<p>before</p>");
	rc = cw_extract_filters_answer(&html, &w, (const char *)data, size,
				       &err);
	if (rc == CW_OK) {
		if (html.len > html.max || strlen(cw_buf_str(&html)) > html.len)
			abort();
	} else {
		if (!err.msg[0])
			abort();
		if (rc == CW_EIO && strcmp(cw_buf_str(&html), "<p>before</p>"))
			abort();
	}
	cw_strv_release(&w);
	cw_buf_release(&html);
	return 0;
}
