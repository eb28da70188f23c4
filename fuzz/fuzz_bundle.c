/*
 * Fuzz the audit bundle reader (view/bundle.c): arbitrary bytes as a
 * bundle file, checked as `verify-bundle` checks one (tar reading through
 * libarchive, the manifest, proofs, the checkpoint's signature). Checks
 * that nothing crashes or leaks and that a bundle said to verify names
 * its document and its tree. The seed is a real bundle of a two-version
 * history we wrote.
 */

#include "fuzz_file.h"
#include "../src/view/view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_view_bundle_report rep;
	struct cw_err err = CW_ERR_INIT;
	const char *path;

	if (size > 1u << 20)
		return 0;
	path = fuzz_file(data, size);
	if (cw_view_bundle_verify(path, NULL, &rep, &err) == CW_OK &&
	    (!rep.service[0] || !rep.type[0] || rep.tree_size < 1))
		abort();
	return 0;
}
