#ifndef CW_FUZZ_FILE_H
#define CW_FUZZ_FILE_H
/*
 * For harnesses of readers that take a path: the input written to one
 * temporary file per process (removed at exit), whose path is returned.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_path[64];

static void fuzz_remove_file(void)
{
	unlink(fuzz_path);
}

static const char *fuzz_file(const uint8_t *data, size_t size)
{
	FILE *f;

	if (!fuzz_path[0]) {
		int fd;
		snprintf(fuzz_path, sizeof(fuzz_path), "/tmp/cw-fuzz-XXXXXX");
		fd = mkstemp(fuzz_path);
		if (fd < 0)
			abort();
		close(fd);
		atexit(fuzz_remove_file);
	}
	f = fopen(fuzz_path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	return fuzz_path;
}

#endif
