/*
 * Fuzz the audit bundle reader (view/bundle.c): arbitrary bytes as a
 * bundle file, checked as `verify-bundle` checks one (tar reading through
 * libarchive, the manifest, proofs, the checkpoint's signature). Checks
 * that nothing crashes or leaks and that a bundle said to verify names
 * its document and its tree. The seed is a real bundle of a two-version
 * history we wrote.
 */
#include <stdio.h>
#include <unistd.h>

#include "../src/view/view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void remove_file(void)
{
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_view_bundle_report rep;
	struct cw_err err = CW_ERR_INIT;
	FILE *f;

	if (size > 1u << 20)
		return 0;
	if (!path[0]) {
		int fd;
		snprintf(path, sizeof(path), "/tmp/cw-fuzz-bundle-XXXXXX");
		fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
		atexit(remove_file);
	}
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	if (cw_view_bundle_verify(path, NULL, &rep, &err) == CW_OK &&
	    (!rep.service[0] || !rep.type[0] || rep.tree_size < 1))
		abort();
	return 0;
}
