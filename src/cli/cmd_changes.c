/*
 * The change commands over the store: diff, changes, timeline.
 * (diff-files, which needs no store, is in cmd_diff.c.)
 */
#include <jansson.h>

#include "cli.h"
#include "../analyze/taxonomy.h"
#include "../diff/record.h"

/* ---- diff SERVICE/TYPE [FROM [TO]] ---- */

int cw_cli_cmd_diff(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_store_doc doc;
	struct cw_view_diff vd;
	struct cw_buf out = CW_BUF_INIT;
	struct cw_diff_rules *rules = NULL;
	struct cw_taxonomy *tax = NULL;
	const char *format = NULL, *from = "-1", *to = "0";
	char *version = NULL, *ref = NULL, *rdir = NULL;
	bool all = false;
	int rc;

	memset(&doc, 0, sizeof(doc));
	memset(&vd, 0, sizeof(vd));
	rc = cw_cli_options(argc, argv, "format= all", &format, &all);
	if (rc)
		return rc;
	if (format && strcmp(format, "text") && strcmp(format, "md") &&
	    strcmp(format, "json"))
		return cw_cli_usage("diff", "--format is text, md or json");
	if (argc - optind < 1 || argc - optind > 3)
		return cw_cli_usage("diff", "needs SERVICE/TYPE [FROM [TO]]");
	if (argc - optind >= 2)
		from = argv[optind + 1];
	if (argc - optind == 3)
		to = argv[optind + 2];
	if (!format)
		format = cli->json ? "json" : "text";
	rc = cw_cli_find_doc(cli, argv[optind], "diff", &s, &doc, &version,
			     &ref, &err);
	if (!rc) {
		rdir = cw_asprintf("%s/diff", cw_cli_data_dir());
		rc = cw_diff_rules_load(&rules, rdir, &err);
	}
	if (!rc)
		rc = cw_taxonomy_load(&tax, cw_cli_data_dir(), &err);
	if (!rc)
		rc = cw_view_diff(&vd, s, &doc, from, to, rules, tax,
				  all ? CW_DIFF_KEEP_UNCHANGED : 0, &err);
	if (rc) {
		rc = cw_cli_fail(&err);
		goto done;
	}
	if (!strcmp(format, "json")) {
		cw_cli_print_json_take(cw_view_diff_json(&vd, &doc));
	} else {
		printf("%s%s/%s: version %lld (%s) -> version %lld (%s)\n\n",
		       strcmp(format, "md") ? "" : "# ", doc.service, doc.type,
		       (long long)vd.from.seq, vd.from.recorded_at,
		       (long long)vd.to.seq, vd.to.recorded_at);
		printf("%s\n\n", vd.summary);
		if (!strcmp(format, "md"))
			cw_diff_to_markdown(&out, vd.diff);
		else
			cw_diff_to_text(&out, vd.diff);
		fwrite(cw_buf_str(&out), 1, out.len, stdout);
	}
	rc = CW_EXIT_OK;
done:
	cw_view_diff_release(&vd);
	cw_diff_rules_free(rules);
	cw_taxonomy_free(tax);
	cw_buf_release(&out);
	cw_store_doc_release(&doc);
	cw_store_close(s);
	free(rdir);
	free(ref);
	return rc;
}

/* ---- changes ---- */

/* The summaries of a listed change (cw_view_change_json), one per
 * changed provision. */
static void print_summaries(const json_t *change, const char *indent)
{
	const json_t *e;
	size_t i;
	const char *doc = json_string_value(json_object_get(change, "summary"));

	if (doc) /* the document summary, then each provision's */
		printf("%s%s\n", indent, doc);
	json_array_foreach(json_object_get(change, "changes"), i, e)
	{
		const char *sum = json_string_value(json_object_get(e, "summar"
								       "y"));
		if (sum)
			printf("%s[%s] %s\n", indent,
			       json_string_value(json_object_get(e, "materialit"
								    "y")),
			       sum);
	}
}

/* A version number of a listed change's side. */
static long long side_seq(const json_t *change, const char *side)
{
	return (long long)json_integer_value(
		json_object_get(json_object_get(change, side), "seq"));
}

int cw_cli_cmd_changes(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_store_change_query q;
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	char since[CW_TIME_ISO];
	const char *since_arg = NULL;
	bool material = false;
	long limit = 0;
	json_t *list = NULL;
	int rc;

	memset(&q, 0, sizeof(q));
	rc = cw_cli_options(argc, argv,
			    "since= service= material min-materiality= "
			    "limit#1..1000000",
			    &since_arg, &q.service, &material,
			    &q.min_materiality, &limit);
	if (rc)
		return rc;
	if (since_arg) {
		time_t t;
		if (cw_time_parse_iso(since_arg, &t))
			return cw_cli_usage("changes",
					    "bad --since '%s' (an ISO date of "
					    "the calendar expected)",
					    since_arg);
		cw_time_iso(t, since);
		q.since = since;
	}
	if (q.min_materiality &&
	    cw_diff_materiality_parse(q.min_materiality) < 0)
		return cw_cli_usage("changes", "unknown materiality '%s'",
				    q.min_materiality);
	if (material && !q.min_materiality)
		q.min_materiality = "substantive";
	q.limit = limit;
	rc = cw_cli_open_store(cli, &s, &err);
	if (!rc)
		rc = cw_view_changes(&list, s, &q, &err);
	if (rc) {
		cw_store_close(s);
		return cw_cli_fail(&err);
	}
	if (cli->json) {
		cw_cli_print_json(list);
	} else {
		const json_t *ch;
		size_t i, n = json_array_size(json_object_get(list, "changes"));

		json_array_foreach(json_object_get(list, "changes"), i, ch)
		{
			long long np = (long long)json_integer_value(
				json_object_get(ch, "provisions"));
			printf("%s  %s/%s  v%lld -> v%lld  %s, %lld "
			       "provision%s\n",
			       json_string_value(json_object_get(ch, "recorded_"
								     "at")),
			       json_string_value(json_object_get(ch, "servic"
								     "e")),
			       json_string_value(json_object_get(ch, "type")),
			       side_seq(ch, "from"), side_seq(ch, "to"),
			       json_string_value(json_object_get(ch, "materiali"
								     "ty")),
			       np, np == 1 ? "" : "s");
			print_summaries(ch, "    ");
		}
		if (!n)
			printf("no changes recorded%s\n",
			       q.since || q.service || q.min_materiality
				       ? " matching the filters"
				       : "");
	}
	json_decref(list);
	cw_store_close(s);
	return CW_EXIT_OK;
}

/* ---- timeline ---- */

/* One line of `timeline --provision` from an event of provision_events. */
static void print_event(const json_t *e)
{
	json_t *ch = json_object_get(e, "change");
	json_t *from = json_object_get(e, "from"),
	       *to = json_object_get(e, "to");
	const char *sum = json_string_value(json_object_get(ch, "summary"));

	printf("%s  v%lld -> v%lld  %-10s %-11s %s\n",
	       json_string_value(json_object_get(e, "recorded_at")),
	       (long long)json_integer_value(json_object_get(from, "seq")),
	       (long long)json_integer_value(json_object_get(to, "seq")),
	       json_string_value(json_object_get(ch, "kind")),
	       json_string_value(json_object_get(ch, "materiality")),
	       sum ? sum : "");
}

int cw_cli_cmd_timeline(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_store_doc doc;
	const char *key = NULL;
	char *version = NULL, *ref = NULL;
	json_t *tl = NULL, *e, *first;
	size_t i, nv;
	int rc;

	memset(&doc, 0, sizeof(doc));
	rc = cw_cli_options(argc, argv, "provision=", &key);
	if (rc)
		return rc;
	if (argc - optind != 1)
		return cw_cli_usage("timeline", "needs SERVICE/TYPE");
	rc = cw_cli_find_doc(cli, argv[optind], "timeline", &s, &doc, &version,
			     &ref, &err);
	if (!rc)
		rc = cw_view_timeline(&tl, s, &doc, key, &err);
	if (rc) {
		rc = cw_cli_fail(&err);
		goto done;
	}
	nv = (size_t)json_integer_value(json_object_get(tl, "versions"));
	first = json_object_get(tl, "first");
	if (cli->json) {
		cw_cli_print_json(tl);
	} else if (key) {
		json_t *events = json_object_get(tl, "events");
		printf("%s/%s, provision %s: %zu change%s over %zu "
		       "versions\n",
		       doc.service, doc.type, key, json_array_size(events),
		       json_array_size(events) == 1 ? "" : "s", nv);
		json_array_foreach(events, i, e) print_event(e);
	} else {
		json_t *changes = json_object_get(tl, "changes");
		printf("%s/%s: %zu versions, %zu changes\n", doc.service,
		       doc.type, nv, json_array_size(changes));
		if (json_is_object(first))
			printf("%s  v1 first recorded\n",
			       json_string_value(json_object_get(first, "record"
									"ed_"
									"at")));
		json_array_foreach(changes, i, e)
		{
			long long np = (long long)json_integer_value(
				json_object_get(e, "provisions"));
			printf("%s  v%lld  %s, %lld provision%s\n",
			       json_string_value(json_object_get(e, "recorded_"
								    "at")),
			       side_seq(e, "to"),
			       json_string_value(json_object_get(e, "materialit"
								    "y")),
			       np, np == 1 ? "" : "s");
			print_summaries(e, "    ");
		}
	}
	rc = CW_EXIT_OK;
done:
	json_decref(tl);
	cw_store_doc_release(&doc);
	cw_store_close(s);
	free(ref);
	return rc;
}
