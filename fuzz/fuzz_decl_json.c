/*
 * Fuzz the reader of stored declarations (decl/decl_json.c): arbitrary
 * bytes as the JSON the store keeps for a document. Checks that what it
 * reads writes back to JSON that reads to the same JSON again (the store
 * re-extracts old snapshots with it, so the round trip must be exact).
 */
#include <string.h>

#include "../src/decl/decl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_decl_service *a = NULL, *b = NULL;
	struct cw_buf j1 = CW_BUF_INIT, j2 = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	char *text;

	if (size > 1u << 16)
		return 0;
	text = cw_strndup((const char *)data, size);
	if (cw_decl_doc_from_json(&a, "Fuzz", "Terms of Service", text, &err) ==
	    CW_OK) {
		if (!a || a->n_docs != 1 ||
		    cw_decl_doc_to_json(&j1, &a->docs[0]) ||
		    cw_decl_doc_from_json(&b, "Fuzz", "Terms of Service",
					  cw_buf_str(&j1), &err) ||
		    cw_decl_doc_to_json(&j2, &b->docs[0]) ||
		    strcmp(cw_buf_str(&j1), cw_buf_str(&j2)))
			abort();
	} else if (a) {
		abort();
	}
	cw_decl_service_free(a);
	cw_decl_service_free(b);
	cw_buf_release(&j1);
	cw_buf_release(&j2);
	free(text);
	return 0;
}
