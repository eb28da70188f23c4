/*
 * cmd_watch: `clausewatch watch add|list|remove|feed`, the watchlists.
 *
 * Scope: --service and --document name what a subscription covers (any of
 * them; none: everything); --category narrows it to changes that touch a
 * provision of one of the named taxonomy categories (ORed among
 * themselves, ANDed with the scope; see notify.h). Category ids are
 * checked against the taxonomy of the data directory.
 */
#include <getopt.h>
#include <limits.h>

#include "../analyze/taxonomy.h"
#include "../notify/notify.h"
#include "cli.h"

static const char *const watch_usage =
	"watch add [--service S]... [--document S/T]... [--category C]... "
	"[--min-materiality cosmetic|editorial|substantive] "
	"[--cadence immediate|daily|weekly] "
	"(--webhook URL --secret KEY | --email ADDRESS | --feed NAME)\n"
	"       watch list | watch remove ID | watch feed NAME [--output FILE]";

static void add_line(struct cw_buf *b, const char *v)
{
	if (b->len)
		cw_buf_addc(b, '\n');
	for (; *v; v++) /* one item per line: a newline in a value is a space */
		cw_buf_addc(b, *v == '\n' || *v == '\r' ? ' ' : *v);
}

/* A list stored one item per line, as a JSON array of strings. */
static json_t *list_json(const char *l)
{
	json_t *arr = json_array();

	while (l && *l) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);

		json_array_append_new(arr, cw_cli_jstrn(l, len));
		l = nl ? nl + 1 : NULL;
	}
	return arr;
}

static void print_list_text(const char *label, const char *l)
{
	if (!l || !*l)
		return;
	printf(" %s ", label);
	for (; *l; l++)
		putchar(*l == '\n' ? ',' : *l);
}

/*
 * Check each line of `cats` against the taxonomy: CW_EXIT_OK, or a usage
 * error naming the first unknown id and the ids that contain it (or share
 * its first word), so "arbitration" suggests mandatory_arbitration.
 */
static int check_categories(const char *cats)
{
	struct cw_taxonomy *tax = NULL;
	struct cw_err err = CW_ERR_INIT;
	const char *p = cats;
	int ret = CW_EXIT_OK;

	if (!*cats)
		return CW_EXIT_OK;
	if (cw_taxonomy_load(&tax, cw_cli_data_dir(), &err))
		return cw_cli_fail(&err);
	while (p && *p && ret == CW_EXIT_OK) {
		const char *nl = strchr(p, '\n');
		char *id = cw_strndup(p, nl ? (size_t)(nl - p) : strlen(p));

		if (!cw_taxonomy_find(tax, id)) {
			struct cw_buf hint = CW_BUF_INIT;
			size_t w = strcspn(id, "_");
			char *word = cw_strndup(id, w);

			for (size_t i = 0; i < cw_taxonomy_count(tax); i++) {
				const char *c = cw_taxonomy_at(tax, i)->id;
				if ((*id && strstr(c, id)) ||
				    (w >= 4 && strstr(c, word)))
					cw_buf_addf(&hint, "%s%s",
						    hint.len ? ", " : "", c);
			}
			ret = cw_cli_usage("watch",
					   "--category '%s': no such category "
					   "in the taxonomy ('%s/taxonomy'); "
					   "%s%s",
					   id, cw_cli_data_dir(),
					   hint.len ? "did you mean "
						    : "ids look like "
						      "mandatory_arbitration",
					   cw_buf_str(&hint));
			free(word);
			cw_buf_release(&hint);
		}
		free(id);
		p = nl ? nl + 1 : NULL;
	}
	cw_taxonomy_free(tax);
	return ret;
}

static int watch_add(struct cw_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "service", required_argument, NULL, 's' },
		{ "document", required_argument, NULL, 'd' },
		{ "category", required_argument, NULL, 'c' },
		{ "min-materiality", required_argument, NULL, 'm' },
		{ "cadence", required_argument, NULL, 'k' },
		{ "webhook", required_argument, NULL, 'w' },
		{ "secret", required_argument, NULL, 'S' },
		{ "secret-file", required_argument, NULL, 'F' },
		{ "email", required_argument, NULL, 'e' },
		{ "feed", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct cw_buf svc = CW_BUF_INIT, docs = CW_BUF_INIT, cats = CW_BUF_INIT;
	struct cw_store_sub sub;
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	const char *channel = NULL, *target = NULL, *secret = NULL;
	const char *secret_file = NULL;
	char *secret_read = NULL;
	const char *mat = "cosmetic", *cadence = "immediate";
	int64_t id = 0;
	int c, rc, ret = CW_EXIT_OK, nchan = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			add_line(&svc, optarg);
			break;
		case 'd':
			if (!strchr(optarg, '/')) {
				ret = cw_cli_usage("watch",
						   "--document '%s': expected "
						   "SERVICE/TYPE",
						   optarg);
				goto done;
			}
			add_line(&docs, optarg);
			break;
		case 'c':
			add_line(&cats, optarg);
			break;
		case 'm':
			mat = optarg;
			break;
		case 'k':
			cadence = optarg;
			break;
		case 'w':
			channel = "webhook";
			target = optarg;
			nchan++;
			break;
		case 'S':
			secret = optarg;
			if (!cli->quiet)
				fprintf(stderr, "clausewatch: warning: "
						"--secret is "
						"visible to every user of this "
						"machine (ps, /proc); prefer "
						"--secret-file FILE or "
						"CLAUSEWATCH_WEBHOOK_SECRET\n");
			break;
		case 'F':
			secret_file = optarg;
			break;
		case 'e':
			channel = "email";
			target = optarg;
			nchan++;
			break;
		case 'f':
			channel = "feed";
			target = optarg;
			nchan++;
			break;
		default:
			ret = CW_EXIT_USAGE;
			goto done;
		}
	}
	if (nchan != 1) {
		ret = cw_cli_usage("watch",
				   "give exactly one of --webhook, --email, "
				   "--feed\nusage: clausewatch %s",
				   watch_usage);
		goto done;
	}
	/* the secret from a file or the environment keeps it out of argv */
	if (!secret && !secret_file && getenv("CLAUSEWATCH_WEBHOOK_SECRET") &&
	    *getenv("CLAUSEWATCH_WEBHOOK_SECRET"))
		secret = getenv("CLAUSEWATCH_WEBHOOK_SECRET");
	if (secret_file) {
		rc = cw_cli_read_secret(secret_file, &secret_read, &err);
		if (rc) {
			ret = cw_cli_fail(&err);
			goto done;
		}
		secret = secret_read;
	}
	ret = check_categories(cw_buf_str(&cats));
	if (ret != CW_EXIT_OK)
		goto done;
	memset(&sub, 0, sizeof(sub));
	sub.channel = (char *)channel;
	sub.target = (char *)target;
	sub.secret = (char *)secret;
	sub.min_materiality = (char *)mat;
	sub.cadence = (char *)cadence;
	sub.services = (char *)cw_buf_str(&svc);
	sub.documents = (char *)cw_buf_str(&docs);
	sub.categories = (char *)cw_buf_str(&cats);
	if (cw_notify_sub_check(&sub, &err)) {
		ret = cw_cli_usage("watch", "%s", err.msg);
		goto done;
	}
	rc = cw_cli_open_store(cli, &s, &err);
	if (!rc)
		rc = cw_store_sub_add(s, &sub, &id, &err);
	if (rc) {
		ret = cw_cli_fail(&err);
		goto done;
	}
	if (cli->json) {
		cw_cli_print_json_take(json_pack("{sI}", "id", (json_int_t)id));
	} else {
		printf("subscription %lld: %s %s, %s, %s and above",
		       (long long)id, channel, target, cadence, mat);
		if (cats.len)
			printf(";");
		print_list_text("categories (any of)", cw_buf_str(&cats));
		printf("\n");
	}
done:
	if (secret_read) {
		explicit_bzero(secret_read, strlen(secret_read));
		free(secret_read);
	}
	cw_store_close(s);
	cw_buf_release(&svc);
	cw_buf_release(&docs);
	cw_buf_release(&cats);
	return ret;
}

static int watch_list(struct cw_cli *cli)
{
	struct cw_store_sub *subs = NULL;
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	size_t n = 0;
	int rc;

	rc = cw_cli_open_store(cli, &s, &err);
	if (!rc)
		rc = cw_store_sub_list(s, &subs, &n, &err);
	if (rc) {
		cw_store_close(s);
		return cw_cli_fail(&err);
	}
	/* a target's password (https://user:pw@host) is never shown */
	for (size_t i = 0; i < n; i++)
		if (subs[i].target)
			cw_redact_credentials(subs[i].target);
	if (cli->json) {
		json_t *all = json_array();
		for (size_t i = 0; i < n; i++) {
			struct cw_store_sub *u = &subs[i];
			json_array_append_new(
				all,
				json_pack("{sIsosososososososo}", "id",
					  (json_int_t)u->id, "channel",
					  cw_cli_jstr(u->channel), "target",
					  cw_cli_jstr(u->target),
					  "min_materiality",
					  cw_cli_jstr(u->min_materiality),
					  "cadence", cw_cli_jstr(u->cadence),
					  "services", list_json(u->services),
					  "documents", list_json(u->documents),
					  "categories",
					  list_json(u->categories),
					  "created_at",
					  cw_cli_jstr(u->created_at)));
		}
		cw_cli_print_json_take(json_pack("{so}", "subscriptions", all));
	}
	for (size_t i = 0; !cli->json && i < n; i++) {
		struct cw_store_sub *u = &subs[i];

		printf("%lld\t%s %s\t%s, %s and above;", (long long)u->id,
		       u->channel, u->target, u->cadence, u->min_materiality);
		if (!*u->services && !*u->documents)
			printf(" every document");
		print_list_text("services", u->services);
		print_list_text("documents", u->documents);
		print_list_text("categories (any of)", u->categories);
		printf("\n");
	}
	cw_store_subs_free(subs, n);
	cw_store_close(s);
	return CW_EXIT_OK;
}

static int watch_remove(struct cw_cli *cli, const char *arg)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	long id;
	int rc;

	if (cw_parse_long(arg, 1, LONG_MAX, &id))
		return cw_cli_usage(
			"watch", "remove: '%s' is not a subscription id", arg);
	rc = cw_cli_open_store(cli, &s, &err);
	if (!rc)
		rc = cw_store_sub_remove(s, id, &err);
	cw_store_close(s);
	if (rc)
		return cw_cli_fail(&err);
	if (cli->json)
		cw_cli_print_json_take(json_pack("{sIsb}", "id", (json_int_t)id,
						 "removed", 1));
	else if (!cli->quiet)
		printf("subscription %ld removed\n", id);
	return CW_EXIT_OK;
}

static int watch_feed(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_buf xml = CW_BUF_INIT;
	const char *output = NULL, *base = NULL;
	int rc;

	rc = cw_cli_options(argc, argv, "output= base-url=", &output, &base);
	if (rc)
		return rc;
	if (optind + 1 != argc)
		return cw_cli_usage("watch", "feed NAME [--output FILE]");
	rc = cw_cli_open_store(cli, &s, &err);
	if (!rc)
		rc = cw_notify_feed_render(s, argv[optind], base, &xml, &err);
	if (!rc && output)
		rc = cw_file_write_atomic(output, xml.ptr, xml.len, &err);
	else if (!rc)
		fwrite(xml.ptr, 1, xml.len, stdout);
	cw_store_close(s);
	cw_buf_release(&xml);
	return rc ? cw_cli_fail(&err) : CW_EXIT_OK;
}

int cw_cli_cmd_watch(struct cw_cli *cli, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (!sub)
		return cw_cli_usage("watch",
				    "missing subcommand\nusage: clausewatch %s",
				    watch_usage);
	/* the subcommand's options start after it */
	optind = 1;
	if (!strcmp(sub, "add"))
		return watch_add(cli, argc - 1, argv + 1);
	if (!strcmp(sub, "list"))
		return watch_list(cli);
	if (!strcmp(sub, "remove") || !strcmp(sub, "rm")) {
		if (argc != 3)
			return cw_cli_usage("watch", "remove ID");
		return watch_remove(cli, argv[2]);
	}
	if (!strcmp(sub, "feed"))
		return watch_feed(cli, argc - 1, argv + 1);
	return cw_cli_usage("watch",
			    "unknown subcommand '%s'\nusage: clausewatch %s",
			    sub, watch_usage);
}
