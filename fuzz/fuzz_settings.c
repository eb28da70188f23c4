/*
 * Fuzz the monitor's settings file reader (monitor/config.c): arbitrary
 * bytes as a config file (`key = value`, comments, [document "S/T"] and
 * [feed "NAME"] sections). Checks that nothing crashes or leaks and that
 * a refusal says where: the file and the line.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../src/monitor/monitor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void remove_file(void)
{
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_monitor_config c;
	struct cw_err err = CW_ERR_INIT;
	FILE *f;

	if (size > 1u << 16)
		return 0;
	if (!path[0]) {
		int fd;
		snprintf(path, sizeof(path), "/tmp/cw-fuzz-settings-XXXXXX");
		fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
		atexit(remove_file);
	}
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	cw_monitor_config_init(&c);
	if (cw_monitor_config_load(&c, path, &err) != CW_OK &&
	    !strstr(err.msg, path))
		abort();
	cw_monitor_config_release(&c);
	return 0;
}
