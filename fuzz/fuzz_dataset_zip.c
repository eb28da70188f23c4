/*
 * Fuzz the dataset reader on a ZIP (view.h, cw_view_dataset_open): the
 * bytes are the archive, handed over as a file through a memfd. Checks
 * what import-history relies on: it opens or fails with a message and
 * nothing to free; every entry it lists has a service, a type and a
 * time, comes sorted, and reads back with exactly its size.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "../src/view/view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(struct cw_view_dataset *d)
{
	const struct cw_view_dataset_entry *prev = NULL;

	for (size_t i = 0; i < cw_view_dataset_count(d); i++) {
		const struct cw_view_dataset_entry *e =
			cw_view_dataset_entry(d, i);
		struct cw_buf b = CW_BUF_INIT;
		struct cw_err err = CW_ERR_INIT;

		if (!*e->service || !*e->type || strchr(e->service, '/') ||
		    strchr(e->type, '/') || strlen(e->at) != 20)
			abort();
		if (prev && !strcmp(prev->service, e->service) &&
		    !strcmp(prev->type, e->type) &&
		    strcmp(prev->at, e->at) >= 0)
			abort(); /* one document's versions, strictly in time */
		if (cw_view_dataset_read(d, i, &b, &err) != CW_OK ||
		    (int64_t)b.len != e->size)
			abort();
		cw_buf_release(&b);
		prev = e;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_view_dataset *d = NULL;
	char path[64];
	int fd;

	if (size > 1u << 20)
		return 0;
	fd = memfd_create("fuzz.zip", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (cw_view_dataset_open(&d, path, &err) == CW_OK) {
		check(d);
		cw_view_dataset_free(d);
	} else if (d || !err.msg[0]) {
		abort();
	}
	close(fd);
	return 0;
}
