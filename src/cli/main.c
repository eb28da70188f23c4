/*
 * main: global options, then one command.
 *
 *   clausewatch [--db PATH] [--log-key FILE] [--json] [--quiet] COMMAND
 *               [ARGS...]
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <unistd.h>

#include "cli.h"
#include "../extract/extract.h"
#include "../fetch/fetch.h"

struct command {
	const char *name;
	cw_cli_cmd_fn fn;
	const char *help;
};

#define CW_CLI_ENTRY(fn, name, help) { name, NULL, help },
static struct command commands[] = { CW_CLI_COMMANDS(CW_CLI_ENTRY) };
#undef CW_CLI_ENTRY

/* Commands are weak symbols: a family not linked into this build is NULL. */
static void bind_commands(void)
{
	size_t i = 0;
#define CW_CLI_BIND(f, name, help) commands[i++].fn = cw_cli_cmd_##f;
	CW_CLI_COMMANDS(CW_CLI_BIND)
#undef CW_CLI_BIND
}

static bool json_mode; /* --json: errors are JSON objects */

#ifdef CW_CLI_LIGHT
#define CW_CLI_LIGHT_BUILD 1 /* every command is there, some by run_full */
/*
 * Run the full program in this one's place, with the same arguments, for
 * a command this one does not carry (cli.h, "The two programs"): the
 * clausewatch-full beside this program, else the installed one.
 */
static int run_full(char **argv)
{
	char self[PATH_MAX], *full = NULL;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int e;

	if (n > 0) {
		char *slash;
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			full = cw_asprintf("%s/clausewatch-full", self);
			if (access(full, X_OK)) {
				free(full);
				full = NULL;
			}
		}
	}
	if (!full)
		full = cw_strdup(CW_LIBEXECDIR "/clausewatch-full");
	execv(full, argv);
	e = errno;
	{
		char msg[CW_ERR_MSG_MAX];
		snprintf(msg, sizeof(msg),
			 "cannot run '%s' (the full program, which this "
			 "command needs): %s",
			 full, strerror(e));
		if (json_mode)
			cw_cli_report_json(msg, CW_EXIT_FAIL);
		else
			fprintf(stderr, "clausewatch: %s\n", msg);
	}
	free(full);
	return CW_EXIT_FAIL;
}
#else
#define CW_CLI_LIGHT_BUILD 0
#endif

static void usage(FILE *out)
{
	fprintf(out, "usage: clausewatch [--db PATH] [--log-key FILE] [--json] "
		     "[--quiet] COMMAND [ARGS]\n"
		     "\n"
		     "A self-hosted monitor for the legal documents of online "
		     "platforms.\n"
		     "\n"
		     "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].fn || CW_CLI_LIGHT_BUILD)
			fprintf(out, "  %-15s %s\n", commands[i].name,
				commands[i].help);
	fprintf(out, "\n"
		     "options:\n"
		     "  --db PATH   the store (default "
		     "$XDG_DATA_HOME/clausewatch/clausewatch.db)\n"
		     "  --log-key FILE  the log's signing key (default: the "
		     "store's path + .log-key)\n"
		     "  --json      machine-readable output\n"
		     "  --quiet     no progress on stderr\n"
		     "\n"
		     "exit codes: 0 ok, 1 failure, 2 usage, 3 not found,\n"
		     "            4 extraction failed, 5 partial failure\n");
}

static int unknown_command(const char *name)
{
	char msg[CW_ERR_MSG_MAX];

	if (!json_mode) {
		fprintf(stderr,
			"clausewatch: unknown command '%s' (see "
			"'clausewatch help')\n",
			name);
		return CW_EXIT_USAGE;
	}
	snprintf(msg, sizeof(msg), "unknown command '%s'", name);
	cw_cli_report_json(msg, CW_EXIT_USAGE);
	return CW_EXIT_USAGE;
}

/* The usage text on stderr, or under --json the usage error `why`. */
static int usage_error(const char *why)
{
	if (json_mode)
		cw_cli_report_json(why, CW_EXIT_USAGE);
	else
		usage(stderr);
	return CW_EXIT_USAGE;
}

/*
 * --json is known before the global options are parsed, so that a bad
 * global option is reported as JSON too: look for it among the options
 * before the command name.
 */
static bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json"))
			return true;
		if (!strcmp(argv[i], "--db") || !strcmp(argv[i], "-d"))
			i++;
	}
	return false;
}

/*
 * Under --json, a command that failed without reporting (getopt is
 * silent then, and a command returns CW_EXIT_USAGE on an option it does
 * not know) still ends with an error object; getopt left optind past the
 * offending option and optopt its letter.
 */
static void report_unreported(int code, int argc, char **argv)
{
	char msg[CW_ERR_MSG_MAX];

	const char *item;
	size_t n_items;

	if (!json_mode || code == CW_EXIT_OK || cw_cli_error_reported())
		return;
	item = cw_cli_item_errors(&n_items);
	if (item && n_items == 1)
		snprintf(msg, sizeof(msg), "%s", item);
	else if (item)
		snprintf(msg, sizeof(msg), "%zu items failed, the last: %s",
			 n_items, item);
	else if (code == CW_EXIT_USAGE && optind > 1 && optind <= argc &&
		 argv[optind - 1][0] == '-')
		snprintf(msg, sizeof(msg),
			 "%s: unknown option or missing "
			 "value: '%s'",
			 argv[0], argv[optind - 1]);
	else if (code == CW_EXIT_USAGE && optopt)
		snprintf(msg, sizeof(msg),
			 "%s: unknown option or missing "
			 "value: '-%c'",
			 argv[0], optopt);
	else if (code == CW_EXIT_USAGE)
		snprintf(msg, sizeof(msg), "%s: bad arguments", argv[0]);
	else if (code == CW_EXIT_PARTIAL)
		snprintf(msg, sizeof(msg), "%s: some items failed", argv[0]);
	else
		snprintf(msg, sizeof(msg), "%s: failed", argv[0]);
	cw_cli_report_json(msg, code);
}

/* `clausewatch help CMD` and `clausewatch CMD --help`: the command's
 * synopsis from the table; the full option list is in the README. */
static int command_help(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name))
			continue;
		printf("clausewatch %s: %s\n"
		       "every option of every command: README.md, 'The command "
		       "line'; settings: docs/config.md\n",
		       name, commands[i].help);
		return CW_EXIT_OK;
	}
	return unknown_command(name);
}

int main(int argc, char **argv)
{
	struct cw_cli cli = { .prog = argv[0] };
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "log-key", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* this program run again to read one PDF (extract.h) */
#ifdef CW_CLI_LIGHT
	if (argc > 1 && !strcmp(argv[1], CW_EXTRACT_PDF_HELPER))
		return run_full(argv);
#else
	c = cw_extract_pdf_helper_main(argc, argv);
	if (c >= 0)
		return c;
#endif
	bind_commands();
	json_mode = wants_json(argc, argv);
	cw_cli_set_json_errors(json_mode);
	/* under --json getopt stays silent; the error is reported as JSON */
	opterr = !json_mode;
	/* '+': stop at the command name; its options are its own */
	while ((c = getopt_long(argc, argv, "+d:jqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cli.db_path = optarg;
			break;
		case 'k':
			cli.log_key = optarg;
			break;
		case 'j':
			cli.json = true;
			break;
		case 'q':
			cli.quiet = true;
			break;
		case 'h':
			usage(stdout);
			return CW_EXIT_OK;
		case 'V':
			printf("clausewatch %s\n", CW_VERSION);
			return CW_EXIT_OK;
		default: {
			char msg[CW_ERR_MSG_MAX];
			snprintf(msg, sizeof(msg),
				 "unknown option or missing value: '%s'",
				 argv[optind - 1]);
			return usage_error(msg);
		}
		}
	}
	if (optind >= argc)
		return usage_error("no command given");
	if (!strcmp(argv[optind], "help")) {
		if (optind + 1 < argc)
			return command_help(argv[optind + 1]);
		usage(stdout);
		return CW_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, argv[optind]))
			continue;
		if (optind + 1 < argc && (!strcmp(argv[optind + 1], "--help") ||
					  !strcmp(argv[optind + 1], "-h")))
			return command_help(argv[optind]);
		if (!commands[i].fn) {
			char msg[CW_ERR_MSG_MAX];
#ifdef CW_CLI_LIGHT
			return run_full(argv);
#endif
			snprintf(msg, sizeof(msg),
				 "'%s' is not part of this build",
				 argv[optind]);
			if (json_mode)
				cw_cli_report_json(msg, CW_EXIT_USAGE);
			else
				fprintf(stderr, "clausewatch: %s\n", msg);
			return CW_EXIT_USAGE;
		}
		/* each command parses its own options from a fresh getopt */
		optind++;
		{
			int sub_argc = argc - optind + 1;
			char **sub_argv = argv + optind - 1;
			int code;
			optind = 0;
			optopt = 0;
			code = commands[i].fn(&cli, sub_argc, sub_argv);
			report_unreported(code, sub_argc, sub_argv);
			return code;
		}
	}
	return unknown_command(argv[optind]);
}
