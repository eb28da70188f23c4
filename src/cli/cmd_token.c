/*
 * cmd_token: the tokens that allow writes over the web API.
 *
 *   clausewatch token add NAME     make one; it is shown this once
 *   clausewatch token list         names and dates (never the tokens)
 *   clausewatch token remove NAME
 */
#include "cli.h"

int cw_cli_cmd_token(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_store_token *t = NULL;
	char tok[CW_STORE_TOKEN_LEN];
	const char *sub = argc > 1 ? argv[1] : "";
	size_t n = 0;
	int rc;

	if (!strcmp(sub, "list")			    ? argc != 2
	    : !strcmp(sub, "add") || !strcmp(sub, "remove") ? argc != 3
							    : true)
		return cw_cli_usage("token", "token add NAME | token list | "
					     "token remove NAME");
	rc = cw_cli_open_store(cli, &s, &err);
	if (!rc && !strcmp(sub, "add"))
		rc = cw_store_token_add(s, argv[2], tok, &err);
	else if (!rc && !strcmp(sub, "remove"))
		rc = cw_store_token_remove(s, argv[2], &err);
	else if (!rc)
		rc = cw_store_token_list(s, &t, &n, &err);
	cw_store_close(s);
	if (rc)
		return cw_cli_fail(&err);
	if (!strcmp(sub, "add")) {
		if (cli->json)
			cw_cli_print_json_take(json_pack("{s:o,s:s}", "name",
							 cw_cli_jstr(argv[2]),
							 "token", tok));
		else
			printf("%s\n(token '%s': keep it now, it is not shown "
			       "again; send it as 'Authorization: Bearer "
			       "TOKEN')\n",
			       tok, argv[2]);
	} else if (!strcmp(sub, "remove")) {
		if (cli->json)
			cw_cli_print_json_take(json_pack("{s:o,s:b}", "name",
							 cw_cli_jstr(argv[2]),
							 "removed", 1));
		else if (!cli->quiet)
			printf("token '%s' removed\n", argv[2]);
	} else if (cli->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(
				a,
				json_pack("{s:o,s:o,s:o}", "name",
					  cw_cli_jstr(t[i].name), "created_at",
					  cw_cli_jstr(t[i].created_at),
					  "last_used_at",
					  cw_cli_jstr(t[i].last_used_at)));
		cw_cli_print_json_take(json_pack("{s:o}", "tokens", a));
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%s\tmade %s\tlast used %s\n", t[i].name,
			       t[i].created_at,
			       t[i].last_used_at ? t[i].last_used_at : "never");
	}
	cw_store_tokens_free(t, n);
	return CW_EXIT_OK;
}
