/*
 * Fuzz the declaration reader: arbitrary bytes as an Open Terms Archive
 * declaration file, with warnings collected.
 */
#include "../src/decl/decl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_decl_service *svc = NULL;
	struct cw_strv warnings = CW_STRV_INIT;
	struct cw_err err = CW_ERR_INIT;

	int rc = cw_decl_read_buffer(&svc, "fuzz.json", (const char *)data,
				     size, &warnings, &err);
	if ((rc == CW_OK) != (svc != NULL))
		abort();
	if (svc) {
		for (size_t i = 0; i < svc->n_docs; i++) {
			const struct cw_decl_doc *d = &svc->docs[i];
			if (cw_decl_find(svc, d->type) == NULL || !d->n_sources)
				abort();
			(void)cw_decl_find_at(svc, d->type, 0);
			for (size_t s = 0; s < d->n_sources; s++)
				(void)cw_decl_source_is_pdf(&d->sources[s]);
		}
	}
	cw_decl_service_free(svc);
	cw_strv_release(&warnings);
	return 0;
}
