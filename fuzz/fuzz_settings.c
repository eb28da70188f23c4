/*
 * Fuzz the monitor's settings file reader (monitor/config.c): arbitrary
 * bytes as a config file (`key = value`, comments, [document "S/T"] and
 * [feed "NAME"] sections). Checks that nothing crashes or leaks and that
 * a refusal says where: the file and the line.
 */
#include <string.h>

#include "fuzz_file.h"
#include "../src/monitor/monitor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_monitor_config c;
	struct cw_err err = CW_ERR_INIT;
	const char *path;

	if (size > 1u << 16)
		return 0;
	path = fuzz_file(data, size);
	cw_monitor_config_init(&c);
	if (cw_monitor_config_load(&c, path, &err) != CW_OK &&
	    !strstr(err.msg, path))
		abort();
	cw_monitor_config_release(&c);
	return 0;
}
