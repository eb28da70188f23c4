/*
 * main: global options, then one command.
 *
 *   clausewatch [--db PATH] [--json] [--quiet] COMMAND [ARGS...]
 */
#include <getopt.h>
#include <unistd.h>

#include "cli.h"
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

static void usage(FILE *out)
{
	fprintf(out,
		"usage: clausewatch [--db PATH] [--json] [--quiet] COMMAND [ARGS]\n"
		"\n"
		"A self-hosted monitor for the legal documents of online platforms.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].fn)
			fprintf(out, "  %-15s %s\n", commands[i].name,
				commands[i].help);
	fprintf(out,
		"\n"
		"options:\n"
		"  --db PATH   the store (default $XDG_DATA_HOME/clausewatch/clausewatch.db)\n"
		"  --json      machine-readable output\n"
		"  --quiet     no progress on stderr\n"
		"\n"
		"exit codes: 0 ok, 1 failure, 2 usage, 3 not found,\n"
		"            4 extraction failed, 5 partial failure\n");
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
	fprintf(stderr, "clausewatch: unknown command '%s' (see 'clausewatch help')\n",
		name);
	return CW_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct cw_cli cli = { .prog = argv[0] };
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	bind_commands();
	/* '+': stop at the command name; its options are its own */
	while ((c = getopt_long(argc, argv, "+d:jqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cli.db_path = optarg;
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
		default:
			usage(stderr);
			return CW_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CW_EXIT_USAGE;
	}
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
			fprintf(stderr,
				"clausewatch: '%s' is not part of this build\n",
				argv[optind]);
			return CW_EXIT_USAGE;
		}
		/* each command parses its own options from a fresh getopt */
		optind++;
		{
			int sub_argc = argc - optind + 1;
			char **sub_argv = argv + optind - 1;
			optind = 0;
			return commands[i].fn(&cli, sub_argc, sub_argv);
		}
	}
	fprintf(stderr, "clausewatch: unknown command '%s' (see 'clausewatch help')\n",
		argv[optind]);
	return CW_EXIT_USAGE;
}
