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
	size_t refused; /* of the failed: not a version (pipeline.h) */
	int64_t bytes;
};

/* A failure of the store itself (a full disk, a locked or broken file):
 * it would fail every file after it too, so the import stops there. */
static bool store_failure(int rc)
{
	return rc == CW_ESTORE || rc == CW_EIO;
}

/*
 * The versions [from, to) of the dataset, one document's, oldest first,
 * each in its own transaction (cw_pipeline_record_text). Returns CW_OK,
 * or a store failure (err set) that stops the whole import.
 */
static int import_document(struct cw_cli *cli, struct cw_pipeline *pl,
			   struct cw_view_dataset *ds, size_t from, size_t to,
			   struct import_totals *t, struct cw_err *stop)
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
		t->files += to - from;
		t->failed += to - from;
		if (store_failure(rc)) {
			*stop = err;
			goto done;
		}
		cw_cli_item_error("%s", err.msg);
		rc = CW_OK;
		goto done;
	}
	for (size_t i = from; i < to; i++) {
		const struct cw_view_dataset_entry *e =
			cw_view_dataset_entry(ds, i);
		struct cw_buf b = CW_BUF_INIT; /* the reader caps it */
		struct cw_pipeline_result r;
		struct cw_strv warnings = CW_STRV_INIT;
		bool done = false;

		t->files++;
		rc = cw_view_dataset_read(ds, i, &b, &err);
		/*
		 * Resuming: a file is done when the document's text at its
		 * time is the file's text (its version, or the one it
		 * repeated, is recorded), not because a later one is. A file
		 * older than the latest version that is not in the store
		 * cannot go in its place: it is named, never passed over.
		 */
		if (!rc && doc.latest_at && strcmp(e->at, doc.latest_at) <= 0) {
			rc = cw_pipeline_text_recorded(pl, doc.id,
						       cw_buf_str(&b), b.len,
						       e->at, &done, &err);
			if (!rc && done) {
				t->skipped++;
				cw_buf_release(&b);
				continue;
			}
			if (!rc)
				rc = cw_err_set(&err, CW_EINVAL,
						"not in the store, and a later "
						"version of %s/%s is: it "
						"cannot be recorded in its "
						"place (import into a new "
						"store to have it)",
						e->service, e->type);
		}
		if (!rc)
			rc = cw_pipeline_record_text(pl, doc.id, cw_buf_str(&b),
						     b.len, e->name, e->at,
						     "import", &r, &warnings,
						     &err);
		for (size_t w = 0; w < warnings.n; w++)
			if (!cli->quiet)
				fprintf(stderr, "clausewatch: warning: %s\n",
					warnings.v[w]);
		cw_strv_release(&warnings);
		cw_buf_release(&b);
		if (rc && store_failure(rc)) {
			t->failed++;
			cw_err_prefix(&err, "'%s': ", e->name);
			*stop = err;
			goto done;
		}
		if (rc == CW_EEMPTY) {
			/* an error page, a wall, an empty file: the history
			 * goes on without it */
			cw_cli_item_error("'%s': not recorded: %s", e->name,
					  err.msg);
			t->failed++;
			t->refused++;
			err = (struct cw_err)CW_ERR_INIT;
			rc = CW_OK;
		} else if (rc) {
			/* extraction's messages name the file already */
			size_t nl = strlen(e->name);
			bool named = err.msg[0] == '\'' &&
				     !strncmp(err.msg + 1, e->name, nl) &&
				     err.msg[nl + 1] == '\'';
			if (named)
				cw_cli_item_error("%s", err.msg);
			else
				cw_cli_item_error("'%s': %s", e->name, err.msg);
			t->failed++;
			err = (struct cw_err)CW_ERR_INIT;
			rc = CW_OK;
		} else if (r.outcome == CW_STORE_NEW_VERSION) {
			t->recorded++;
			t->provisions += r.n_provisions;
			t->bytes += (int64_t)r.text_len;
		} else {
			t->unchanged++;
		}
	}
	if (!cli->quiet && !cli->json)
		fprintf(stderr, "imported %s/%s (%zu files)\n", first->service,
			first->type, to - from);
done:
	cw_store_doc_release(&doc);
	return stop->rc;
}

int cw_cli_cmd_import_history(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT, stop = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_view_dataset *ds = NULL;
	struct cw_pipeline pl;
	struct import_totals t;
	size_t n;
	int rc;

	memset(&t, 0, sizeof(t));
	memset(&pl, 0, sizeof(pl));
	rc = cw_cli_options(argc, argv, "");
	if (rc)
		return rc;
	if (argc - optind != 1)
		return cw_cli_usage("import-history", "needs one dataset: a "
						      "folder or a ZIP "
						      "file");
	/* the whole dataset is read and checked before anything is
	 * recorded: a bad one leaves the store as it was */
	rc = cw_view_dataset_open(&ds, argv[optind], &err);
	if (rc)
		return cw_cli_fail(&err);
	if (!cli->quiet && !cli->json && cw_view_dataset_hidden(ds))
		fprintf(stderr,
			"clausewatch: warning: '%s': %zu paths named twice; "
			"the later entry of each is read\n",
			argv[optind], cw_view_dataset_hidden(ds));
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
		if (import_document(cli, &pl, ds, i, j, &t, &stop))
			break;
	}
	if (stop.rc) {
		/* one message, and the files not reached are not counted */
		cw_cli_item_error("%s; the import stopped there (run it again "
				  "to resume: what is recorded is kept)",
				  stop.msg);
	}
	/* a bulk import leaves the file as small as what it holds */
	if (!stop.rc && cw_store_compact(s, (int64_t)t.recorded, &err)) {
		cw_cli_item_error("%s", err.msg);
		err = (struct cw_err)CW_ERR_INIT;
	}
	if (cli->json)
		cw_cli_print_json_take(json_pack(
			"{sIsIsIsIsIsIsI}", "files", (json_int_t)t.files,
			"recorded", (json_int_t)t.recorded, "unchanged",
			(json_int_t)t.unchanged, "skipped",
			(json_int_t)t.skipped, "failed", (json_int_t)t.failed,
			"refused", (json_int_t)t.refused, "provisions",
			(json_int_t)t.provisions));
	else
		printf("%zu files: %zu versions recorded, %zu unchanged, %zu "
		       "already present, %zu failed (%zu not a version); %zu "
		       "provisions\n",
		       t.files, t.recorded, t.unchanged, t.skipped, t.failed,
		       t.refused, t.provisions);
	cw_view_dataset_free(ds);
	cw_pipeline_release(&pl);
	cw_store_close(s);
	if (stop.rc)
		return CW_EXIT_PARTIAL; /* stopped: resumable */
	if (t.failed)
		return t.recorded || t.unchanged || t.skipped ? CW_EXIT_PARTIAL
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
