/*
 * cmd_analyze: the governance analysis over the store.
 *
 *   clausewatch analyze SERVICE/TYPE[@VERSION] [--provision KEY]
 *       [--audience consumer|operator] [--jurisdiction eu|uk|us|...]
 *       [--format md|json] [--force]
 *   clausewatch analyze --all [--force] [--uncategorised]
 *   clausewatch compare SERVICE/TYPE[@VERSION] --provision KEY [--top N]
 *       [--category ID]
 *
 * What is shown is composed by the read side (view.h: cw_view_analyze_*,
 * cw_view_compare); this file parses the options and prints.
 */

#include "cli.h"
#include "../analyze/analyze.h"

/* Open the store and a read session over it. */
static int session_open(struct cw_cli *cli, struct cw_store **s,
			struct cw_view **v, struct cw_err *err)
{
	int rc = cw_cli_open_store(cli, s, err);

	*v = NULL;
	if (!rc)
		rc = cw_view_new(v, *s, cw_cli_data_dir(), err);
	return rc;
}

/* analyze --all: every current document, with the index; figures. */
static int analyze_all(struct cw_cli *cli, struct cw_view *v,
		       bool list_uncategorised, struct cw_err *err)
{
	json_t *o = NULL, *e, *cov;
	size_t i;
	int rc;

	if (list_uncategorised) {
		/* one JSON line per provision, the taxonomy's work list */
		rc = cw_view_uncategorised(&o, v, err);
		json_array_foreach(o, i, e) cw_cli_print_json(e);
		json_decref(o);
		return rc;
	}
	rc = cw_view_analyze_all(&o, v, err);
	if (rc)
		return rc;
	cov = json_object_get(o, "coverage");
	if (cli->json) {
		cw_cli_print_json(o);
	} else {
#define N(k) ((size_t)json_integer_value(json_object_get(o, k)))
#define F(k) json_number_value(json_object_get(o, k))
		size_t analysed =
			(size_t)json_integer_value(json_object_get(cov, "analys"
									"ed"));
		size_t uncat =
			(size_t)json_integer_value(json_object_get(cov, "uncate"
									"gorise"
									"d"));
		printf("%zu documents, %zu provisions; analysed %zu versions "
		       "(%zu provisions) in %.2f s; index of %zu provisions "
		       "built in %.2f s; %zu queries in %.2f s; total %.2f s\n",
		       N("documents"), N("provisions"), N("analysed_versions"),
		       N("analysed_provisions"), F("analyse_seconds"),
		       N("index_entries"), F("index_seconds"), N("queries"),
		       F("query_seconds"), F("total_seconds"));
		printf("%zu of %zu analysed provisions have no category "
		       "(%.1f%%)\n",
		       uncat, analysed,
		       analysed ? 100.0 * (double)uncat / (double)analysed
				: 0.0);
#undef N
#undef F
	}
	json_decref(o);
	return CW_OK;
}

/* The Markdown form of cw_view_analyze_document()'s result. */
static void print_md(const struct cw_store_doc *doc,
		     const struct cw_store_version *ver, const json_t *out,
		     int audience, const char *jurisdiction)
{
	struct cw_buf md = CW_BUF_INIT;
	const json_t *views = json_object_get(out, "provisions"), *p;
	size_t shown = json_array_size(views), i;
	bool model = json_is_true(json_object_get(out, "model"));

	printf("# %s: %s, version %lld (%.10s), for the %s%s%s\n\n",
	       doc->service, doc->type, (long long)ver->seq,
	       ver->stated_date ? ver->stated_date : ver->recorded_at,
	       cw_audience_name(audience), jurisdiction ? " in " : "",
	       jurisdiction ? jurisdiction : "");
	printf("%zu provision%s analysed%s. Each statement ends with its "
	       "source in brackets.\n\n",
	       shown, shown == 1 ? "" : "s",
	       model ? " by rules and the learned classifier"
		     : " by rules only (no model file)");
	json_array_foreach(views, i, p)
	{
		cw_buf_clear(&md);
		cw_analyze_render_md(&md, p);
		fputs(cw_buf_str(&md), stdout);
	}
	cw_buf_release(&md);
}

int cw_cli_cmd_analyze(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_view *v = NULL;
	struct cw_store_doc doc;
	struct cw_store_version ver;
	struct cw_view_provision_query q = { .audience = CW_AUDIENCE_CONSUMER };
	const char *audience = NULL, *format = NULL;
	char *version = NULL;
	bool json_out = cli->json, all = false, force = false;
	bool uncategorised = false;
	json_t *out = NULL;
	int rc;

	memset(&doc, 0, sizeof(doc));
	memset(&ver, 0, sizeof(ver));
	rc = cw_cli_options(argc, argv,
			    "provision= audience= format= force all "
			    "uncategorised jurisdiction=",
			    &q.key, &audience, &format, &force, &all,
			    &uncategorised, &q.jurisdiction);
	if (rc)
		return rc;
	if (audience) {
		q.audience = cw_audience_parse(audience);
		if (q.audience < 0)
			return cw_cli_usage("analyze",
					    "--audience '%s': expected "
					    "consumer or operator",
					    audience);
	}
	if (format && !strcmp(format, "json"))
		json_out = true;
	else if (format && !strcmp(format, "md"))
		json_out = false;
	else if (format)
		return cw_cli_usage("analyze",
				    "--format '%s': expected md or json",
				    format);
	if (q.jurisdiction && !cw_analyze_jurisdiction_valid(q.jurisdiction))
		return cw_cli_usage("analyze",
				    "--jurisdiction '%s': expected %s",
				    q.jurisdiction, CW_ANALYZE_JURISDICTIONS);
	if (all ? argc != optind : argc - optind != 1)
		return cw_cli_usage("analyze", "needs SERVICE/TYPE[@VERSION] "
					       "or --all");
	if (uncategorised && !all)
		return cw_cli_usage("analyze", "--uncategorised goes with "
					       "--all");
	rc = session_open(cli, &s, &v, &err);
	if (rc)
		goto done;
	cw_view_set_force(v, force);
	if (all) {
		rc = analyze_all(cli, v, uncategorised, &err);
		goto done;
	}
	rc = cw_cli_find_version(s, argv[optind], &doc, &version, &ver, &err);
	if (!rc)
		rc = cw_view_analyze_document(&out, v, &doc, &ver, &q, &err);
	if (rc)
		goto done;
	if (json_out)
		cw_cli_print_json(out);
	else
		print_md(&doc, &ver, out, q.audience, q.jurisdiction);
done:
	json_decref(out);
	cw_store_version_release(&ver);
	cw_store_doc_release(&doc);
	free(version);
	cw_view_free(v);
	cw_store_close(s);
	return rc ? cw_cli_fail(&err) : CW_EXIT_OK;
}

int cw_cli_cmd_compare(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_view *v = NULL;
	struct cw_store_doc doc;
	struct cw_store_version ver;
	const char *key = NULL, *category = NULL;
	char *version = NULL;
	long top = 5;
	int rc;
	json_t *res = NULL, *h, *pv;
	size_t i;

	memset(&doc, 0, sizeof(doc));
	memset(&ver, 0, sizeof(ver));
	rc = cw_cli_options(argc, argv,
			    "provision= top#1..1000 category=", &key, &top,
			    &category);
	if (rc)
		return rc;
	if (argc - optind != 1 || !key)
		return cw_cli_usage("compare", "needs SERVICE/TYPE --provision "
					       "KEY");
	rc = session_open(cli, &s, &v, &err);
	if (!rc)
		rc = cw_cli_find_version(s, argv[optind], &doc, &version, &ver,
					 &err);
	if (!rc)
		rc = cw_view_compare(&res, v, &doc, &ver, key, category,
				     (size_t)top, &err);
	if (rc)
		goto done;
	if (cli->json) {
		cw_cli_print_json(res);
	} else {
		pv = json_object_get(res, "prevalence");
		printf("%s/%s %s, category %s (%lld of %lld services):\n",
		       doc.service, doc.type, key,
		       json_string_value(json_object_get(res, "category")),
		       (long long)json_integer_value(json_object_get(pv, "servi"
									 "ce"
									 "s")),
		       (long long)json_integer_value(json_object_get(pv, "o"
									 "f")));
		json_array_foreach(json_object_get(res, "hits"), i, h)
			printf("%8.3f  %s / %s  %s  %s\n",
			       json_number_value(json_object_get(h, "score")),
			       json_string_value(json_object_get(h, "service")),
			       json_string_value(json_object_get(h, "type")),
			       json_string_value(json_object_get(h, "key")),
			       json_string_value(json_object_get(h, "title")));
		if (!json_array_size(json_object_get(res, "hits")))
			printf("no provision of this category in other "
			       "services\n");
	}
done:
	json_decref(res);
	cw_store_version_release(&ver);
	cw_store_doc_release(&doc);
	free(version);
	cw_view_free(v);
	cw_store_close(s);
	return rc ? cw_cli_fail(&err) : CW_EXIT_OK;
}
