/*
 * cmd_search: provisions found by their words.
 *
 *   clausewatch search WORDS... [--service S] [--type T] [--any]
 *       [--all-versions] [--limit N] [--offset N]
 *
 * What is shown is composed by the read side (cw_view_search); this file
 * parses the options and prints.
 */
#include <getopt.h>

#include "cli.h"

int cw_cli_cmd_search(struct cw_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "service", required_argument, NULL, 's' },
		{ "type", required_argument, NULL, 't' },
		{ "any", no_argument, NULL, 'a' },
		{ "all-versions", no_argument, NULL, 'A' },
		{ "limit", required_argument, NULL, 'l' },
		{ "offset", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct cw_view_search_query q = { .limit = 10 };
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_buf words = CW_BUF_INIT;
	json_t *res = NULL, *h;
	long v;
	size_t i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			q.service = optarg;
			break;
		case 't':
			q.type = optarg;
			break;
		case 'a':
			q.any = true;
			break;
		case 'A':
			q.all_versions = true;
			break;
		case 'l':
		case 'o':
			if (cw_parse_long(optarg, c == 'l' ? 1 : 0, 10000, &v))
				return cw_cli_usage(
					"search",
					"--%s '%s': expected %s..10000",
					c == 'l' ? "limit" : "offset", optarg,
					c == 'l' ? "1" : "0");
			if (c == 'l')
				q.limit = (size_t)v;
			else
				q.offset = (size_t)v;
			break;
		default:
			return CW_EXIT_USAGE;
		}
	}
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
