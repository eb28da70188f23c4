/*
 * The dataset commands: import-history (a dataset, folder or ZIP, into
 * the store) and export-dataset (the store's versions as a dataset).
 * What a dataset is, and reading and writing one, is the read side's
 * (view.h, "Open Terms Archive datasets"); here are the options, the
 * recording of what was read, and the printing.
 */
#include "cli.h"
#include "../monitor/pipeline.h"

/* ---- import-history ---- */

struct import_totals {
	size_t files, recorded, unchanged, skipped, failed, provisions;
	int64_t bytes;
};

/*
 * The versions [from, to) of the dataset, one document's, oldest first,
 * each in its own transaction (cw_pipeline_record_text).
 */
static void import_document(struct cw_cli *cli, struct cw_pipeline *pl,
			    struct cw_view_dataset *ds, size_t from, size_t to,
			    struct import_totals *t)
{
	const struct cw_view_dataset_entry *first =
		cw_view_dataset_entry(ds, from);
	struct cw_store_doc doc;
	struct cw_err err = CW_ERR_INIT;
	int rc;

	memset(&doc, 0, sizeof(doc));
	rc = cw_cli_ensure_document(pl->store, first->service, first->type,
				    &doc, &err);
	if (rc) {
		cw_cli_item_error("%s", err.msg);
		t->files += to - from;
		t->failed += to - from;
		goto done;
	}
	for (size_t i = from; i < to; i++) {
		const struct cw_view_dataset_entry *e =
			cw_view_dataset_entry(ds, i);
		struct cw_buf b = CW_BUF_INIT; /* the reader caps it */
		struct cw_pipeline_result r;

		t->files++;
		/*
		 * Resuming an interrupted import: versions are recorded in
		 * time order, one transaction each, so everything up to the
		 * latest recorded time is already in.
		 */
		if (doc.latest_at && strcmp(e->at, doc.latest_at) <= 0) {
			t->skipped++;
			continue;
		}
		rc = cw_view_dataset_read(ds, i, &b, &err);
		if (!rc)
			rc = cw_pipeline_record_text(pl, doc.id, cw_buf_str(&b),
						     b.len, e->at, "import", &r,
						     &err);
		if (rc) {
			cw_cli_item_error("'%s': %s", e->name, err.msg);
			t->failed++;
		} else if (r.outcome == CW_STORE_NEW_VERSION) {
			t->recorded++;
			t->provisions += r.n_provisions;
			t->bytes += (int64_t)b.len;
		} else {
			t->unchanged++;
		}
		cw_buf_release(&b);
	}
	if (!cli->quiet && !cli->json)
		fprintf(stderr, "imported %s/%s (%zu files)\n", first->service,
			first->type, to - from);
done:
	cw_store_doc_release(&doc);
}

int cw_cli_cmd_import_history(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_view_dataset *ds = NULL;
	struct cw_pipeline pl;
	struct import_totals t;
	size_t n;
	int rc;

	memset(&t, 0, sizeof(t));
	memset(&pl, 0, sizeof(pl));
	if (argc != 2)
		return cw_cli_usage("import-history", "needs one dataset: a "
						      "folder or a ZIP "
						      "file");
	/* the whole dataset is read and checked before anything is
	 * recorded: a bad one leaves the store as it was */
	rc = cw_view_dataset_open(&ds, argv[1], &err);
	if (rc)
		return cw_cli_fail(&err);
	if (!cli->quiet && !cli->json && cw_view_dataset_hidden(ds))
		fprintf(stderr,
			"clausewatch: warning: '%s': %zu paths named twice; "
			"the later entry of each is read\n",
			argv[1], cw_view_dataset_hidden(ds));
	rc = cw_cli_open_pipeline(cli, &pl, &s, &err);
	if (rc) {
		cw_view_dataset_free(ds);
		cw_store_close(s);
		return cw_cli_fail(&err);
	}
	n = cw_view_dataset_count(ds);
	for (size_t i = 0, j; i < n; i = j) {
		const struct cw_view_dataset_entry *a =
			cw_view_dataset_entry(ds, i);

		for (j = i + 1; j < n; j++) {
			const struct cw_view_dataset_entry *b =
				cw_view_dataset_entry(ds, j);
			if (strcmp(a->service, b->service) ||
			    strcmp(a->type, b->type))
				break;
		}
		import_document(cli, &pl, ds, i, j, &t);
	}
	if (cli->json)
		cw_cli_print_json_take(json_pack(
			"{sIsIsIsIsIsI}", "files", (json_int_t)t.files,
			"recorded", (json_int_t)t.recorded, "unchanged",
			(json_int_t)t.unchanged, "skipped",
			(json_int_t)t.skipped, "failed", (json_int_t)t.failed,
			"provisions", (json_int_t)t.provisions));
	else
		printf("%zu files: %zu versions recorded, %zu unchanged, %zu "
		       "already present, %zu failed; %zu provisions\n",
		       t.files, t.recorded, t.unchanged, t.skipped, t.failed,
		       t.provisions);
	cw_view_dataset_free(ds);
	cw_pipeline_release(&pl);
	cw_store_close(s);
	if (t.failed)
		return t.recorded || t.unchanged ? CW_EXIT_PARTIAL
						 : CW_EXIT_FAIL;
	return CW_EXIT_OK;
}

/* ---- export-dataset ---- */

int cw_cli_cmd_export_dataset(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_strv services = CW_STRV_INIT;
	struct cw_view_dataset_summary sum;
	struct cw_note_key key;
	int rc;

	rc = cw_cli_options(argc, argv, "service+", &services);
	if (rc)
		goto done;
	if (argc - optind != 1) {
		rc = cw_cli_usage("export-dataset", argc - optind ? "takes one "
								    "folder"
								  : "needs a "
								    "folder to "
								    "write");
		goto done;
	}
	rc = cw_cli_open_store(cli, &s, &err);
	if (!rc)
		rc = cw_cli_signing_key(cli, &key, &err);
	if (!rc)
		rc = cw_view_dataset_export(&sum, s, argv[optind], &services,
					    &key, &err);
	explicit_bzero(&key, sizeof(key));
	if (rc) {
		rc = cw_cli_fail(&err);
		goto done;
	}
	if (cli->json)
		cw_cli_print_json_take(json_pack(
			"{sosIsIsIsIsoso}", "dir", cw_cli_jstr(argv[optind]),
			"services", (json_int_t)sum.services, "documents",
			(json_int_t)sum.documents, "versions",
			(json_int_t)sum.versions, "bytes",
			(json_int_t)sum.bytes, "first",
			sum.versions ? json_string(sum.first) : json_null(),
			"last",
			sum.versions ? json_string(sum.last) : json_null()));
	else if (!cli->quiet)
		printf("wrote '%s': %zu versions of %zu documents of %zu "
		       "services, %s to %s\n",
		       argv[optind], sum.versions, sum.documents, sum.services,
		       sum.versions ? sum.first : "-",
		       sum.versions ? sum.last : "-");
	rc = CW_EXIT_OK;
done:
	cw_strv_release(&services);
	cw_store_close(s);
	return rc;
}
