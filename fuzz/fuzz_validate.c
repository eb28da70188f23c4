/*
 * Fuzz the declaration validator and the terms types reader: arbitrary
 * bytes validated as a declaration and as a history file (against a small
 * list of types, so the near-miss hint runs), and read as a terms types
 * file. Checks the report's own invariants (counts agree with the list,
 * every problem has a file, a path and a message) and that a suggested
 * type is always one of the list.
 */
#include "../src/decl/decl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char types_json[] = "{\"version\": 1, \"types\": [{\"name\": "
				 "\"Terms of Service\", "
				 "\"aliases\": [\"Terms of Use\"]}, {\"name\": "
				 "\"Privacy Policy\"}, "
				 "{\"name\": \"Imprint\", \"aliases\": "
				 "[\"Legal Notice\"]}]}";

static void check_report(const struct cw_decl_report *r)
{
	size_t errors = 0;

	for (size_t i = 0; i < r->n; i++) {
		const struct cw_decl_problem *p = &r->v[i];
		if (!p->file || !p->path || !p->message || !p->message[0])
			abort();
		errors += p->severity == CW_DECL_ERROR;
	}
	if (errors != r->errors || r->n - errors != r->warnings)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_decl_types *types = NULL, *read = NULL;
	struct cw_decl_report r = CW_DECL_REPORT_INIT;
	struct cw_err err = CW_ERR_INIT;

	if (cw_decl_types_parse(&types, "types.json", types_json,
				sizeof(types_json) - 1, &err) != CW_OK)
		abort();
	cw_decl_validate_buffer(&r, types, "fuzz.json", NULL,
				CW_DECL_FILE_SERVICE, (const char *)data, size);
	cw_decl_validate_buffer(&r, types, "fuzz.history.json", NULL,
				CW_DECL_FILE_AUTO, (const char *)data, size);
	check_report(&r);
	if (r.files != 2)
		abort();
	/* a suggestion, for any name, is one of the types */
	char name[48];
	size_t n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	memcpy(name, data, n);
	name[n] = 0;
	const char *s = cw_decl_types_suggest(types, name, NULL);
	if (s && !cw_decl_types_has(types, s))
		abort();
	if (cw_decl_types_parse(&read, "fuzz-types.json", (const char *)data,
				size, &err) == CW_OK) {
		s = cw_decl_types_suggest(read, name, NULL);
		if (s && !cw_decl_types_has(read, s))
			abort();
	} else if (read) {
		abort();
	}
	cw_decl_types_free(read);
	cw_decl_report_release(&r);
	cw_decl_types_free(types);
	return 0;
}
