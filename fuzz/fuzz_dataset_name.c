/*
 * Fuzz the file names of a dataset (view.h, cw_view_dataset_name_time):
 * arbitrary bytes as a name. Checks what the importer relies on: a name
 * that is read ends in ".md" and gives a well-formed UTC time, that time
 * names a file the exporter writes, and that file name reads back to the
 * same time (so an export always imports as it was).
 */
#include "../src/view/view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool well_formed(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	if (strlen(t) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? t[i] < '0' || t[i] > '9'
				    : t[i] != shape[i])
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char at[CW_TIME_ISO], again[CW_TIME_ISO];
	char file[CW_VIEW_DATASET_NAME_MAX];
	char *name;

	if (size > 256)
		return 0;
	name = cw_strndup((const char *)data, size);
	if (cw_view_dataset_name_time(name, at) == CW_OK) {
		if (!cw_str_endswith(name, ".md") || !well_formed(at))
			abort();
		if (cw_view_dataset_file_name(at, file) != CW_OK)
			abort();
		if (cw_view_dataset_name_time(file, again) != CW_OK ||
		    strcmp(at, again))
			abort();
	}
	free(name);
	return 0;
}
