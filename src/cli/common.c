#include <unistd.h>

#include "cli.h"

int cw_cli_exit_for(int rc)
{
	switch (rc) {
	case CW_OK:
		return CW_EXIT_OK;
	case CW_ENOTFOUND:
		return CW_EXIT_NOTFOUND;
	case CW_EEMPTY:
		return CW_EXIT_EMPTY;
	case CW_EINVAL:
	default:
		return CW_EXIT_FAIL;
	}
}

int cw_cli_fail(const struct cw_err *err)
{
	fprintf(stderr, "clausewatch: %s\n",
		err->msg[0] ? err->msg : cw_rc_name(err->rc));
	return cw_cli_exit_for(err->rc ? err->rc : CW_ERROR);
}

int cw_cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "clausewatch %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'clausewatch help')\n");
	return CW_EXIT_USAGE;
}

char *cw_cli_db_path(const struct cw_cli *cli)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	if (cli->db_path)
		return cw_strdup(cli->db_path);
	if (xdg && *xdg)
		return cw_asprintf("%s/clausewatch/clausewatch.db", xdg);
	return cw_asprintf("%s/.local/share/clausewatch/clausewatch.db",
			   home && *home ? home : ".");
}

void cw_cli_print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	puts(s ? s : "null");
	free(s);
}

void cw_cli_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

const char *cw_cli_data_dir(void)
{
	const char *env = getenv("CW_DATA_DIR");

	if (env && *env)
		return env;
	if (cw_dir_exists(CW_SOURCE_ROOT "/data"))
		return CW_SOURCE_ROOT "/data";
	return "/usr/local/share/clausewatch";
}
