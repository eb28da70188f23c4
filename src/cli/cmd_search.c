/*
 * cmd_search: provisions found by their words.
 *
 *   clausewatch search WORDS... [--service S] [--type T] [--any]
 *       [--all-versions] [--limit N] [--offset N]
 *
 * What is shown is composed by the read side (cw_view_search); this file
 * parses the options and prints.
 */
#include "cli.h"

int cw_cli_cmd_search(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_view_search_query q = { .limit = 10 };
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_buf words = CW_BUF_INIT;
	json_t *res = NULL, *h;
	long limit = 10, offset = 0;
	size_t i;
	int rc;

	rc = cw_cli_options(argc, argv,
			    "service= type= any all-versions limit#1..10000 "
			    "offset#0..10000",
			    &q.service, &q.type, &q.any, &q.all_versions,
			    &limit, &offset);
	if (rc)
		return rc;
	q.limit = (size_t)limit;
	q.offset = (size_t)offset;
	if (argc == optind)
		return cw_cli_usage("search", "needs the WORDS to look for");
	for (int k = optind; k < argc; k++) {
		if (k > optind)
			cw_buf_addc(&words, ' ');
		cw_buf_adds(&words, argv[k]);
	}
	q.text = cw_buf_str(&words);
	rc = cw_cli_open_store(cli, &s, &err);
	if (!rc)
		rc = cw_view_search(&res, s, &q, &err);
	if (rc)
		goto done;
	if (cli->json) {
		cw_cli_print_json(res);
	} else {
		json_array_foreach(json_object_get(res, "hits"), i, h)
		{
			json_t *ver = json_object_get(h, "version");
			printf("%8.3f  %s / %s  v%lld  %s  %s\n    %s\n",
			       json_number_value(json_object_get(h, "score")),
			       json_string_value(json_object_get(h, "service")),
			       json_string_value(json_object_get(h, "type")),
			       (long long)json_integer_value(
				       json_object_get(ver, "seq")),
			       json_string_value(json_object_get(h, "key")),
			       json_string_value(json_object_get(h, "title")),
			       json_string_value(json_object_get(h, "snippe"
								    "t")));
		}
		if (!json_array_size(json_object_get(res, "hits")))
			printf("no provision holds %s\n", q.any ? "any of "
								  "these words"
								: "all these "
								  "words");
	}
done:
	json_decref(res);
	cw_buf_release(&words);
	cw_store_close(s);
	return rc ? cw_cli_fail(&err) : CW_EXIT_OK;
}
