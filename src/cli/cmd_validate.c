/*
 * validate: Open Terms Archive's rules over declaration files, folders
 * and collection folders (decl.h, "validation"), no store needed: what a
 * declaration's author runs in CI instead of OTA's validator.
 *
 *   validate [--history] [--strict] PATH...
 *
 * Exit 0 when no file has an error (nor, with --strict, a warning), 1
 * otherwise, 2 for usage.
 */
#include "cli.h"
#include "../decl/decl.h"

static const char *severity_name(enum cw_decl_severity s)
{
	return s == CW_DECL_ERROR ? "error" : "warning";
}

static void print_human(const struct cw_cli *cli,
			const struct cw_decl_report *r, bool valid)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct cw_decl_problem *p = &r->v[i];
		if (p->path[0])
			printf("'%s': %s: %s: %s\n", p->file, p->path,
			       severity_name(p->severity), p->message);
		else
			printf("'%s': %s: %s\n", p->file,
			       severity_name(p->severity), p->message);
	}
	if (cli->quiet)
		return;
	printf("%zu files (%zu services, %zu documents, %zu history "
	       "entries): %s, %zu error%s, %zu warning%s\n",
	       r->files, r->services, r->documents, r->entries,
	       valid ? "valid" : "invalid", r->errors,
	       r->errors == 1 ? "" : "s", r->warnings,
	       r->warnings == 1 ? "" : "s");
}

static void print_json(const struct cw_decl_report *r, bool valid, bool strict)
{
	json_t *list = json_array();

	for (size_t i = 0; i < r->n; i++) {
		const struct cw_decl_problem *p = &r->v[i];
		json_array_append_new(
			list,
			json_pack("{sosososo}", "file", cw_cli_jstr(p->file),
				  "path", cw_cli_jstr(p->path), "severity",
				  cw_cli_jstr(severity_name(p->severity)),
				  "message", cw_cli_jstr(p->message)));
	}
	cw_cli_print_json_take(json_pack(
		"{sbsbsIsIsIsIsIsIso}", "valid", valid, "strict", strict,
		"files", (json_int_t)r->files, "services",
		(json_int_t)r->services, "documents", (json_int_t)r->documents,
		"history_entries", (json_int_t)r->entries, "errors",
		(json_int_t)r->errors, "warnings", (json_int_t)r->warnings,
		"problems", list));
}

int cw_cli_cmd_validate(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_decl_report r = CW_DECL_REPORT_INIT;
	struct cw_decl_types *types = NULL;
	struct cw_err err = CW_ERR_INIT;
	bool history = false, strict = false, valid;
	int rc;

	rc = cw_cli_options(argc, argv, "history strict", &history, &strict);
	if (rc)
		return rc;
	if (optind >= argc)
		return cw_cli_usage(argv[0], "needs a file or folder");
	if (cw_decl_types_load(&types, cw_cli_data_dir(), &err))
		return cw_cli_fail(&err);
	for (int i = optind; i < argc; i++)
		(void)cw_decl_validate_path(&r, types, argv[i],
					    history ? CW_DECL_FILE_HISTORY
						    : CW_DECL_FILE_AUTO,
					    &err);
	valid = r.errors == 0 && !(strict && r.warnings);
	if (cli->json) {
		char msg[CW_ERR_MSG_MAX];
		print_json(&r, valid, strict);
		snprintf(msg, sizeof(msg),
			 "%zu errors and %zu warnings in %zu files", r.errors,
			 r.warnings, r.files);
		if (!valid)
			cw_cli_report_json(msg, CW_EXIT_FAIL);
	} else {
		print_human(cli, &r, valid);
	}
	cw_decl_report_release(&r);
	cw_decl_types_free(types);
	return valid ? CW_EXIT_OK : CW_EXIT_FAIL;
}
