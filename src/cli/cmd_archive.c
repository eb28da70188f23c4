/*
 * The archive commands: init, declare, list, fetch, ingest, history,
 * show, stats (import-history is with the dataset commands,
 * cmd_dataset.c).
 */
#include <unistd.h>

#include "cli.h"
#include "../monitor/pipeline.h"

int cw_cli_open_store(struct cw_cli *cli, struct cw_store **out,
		      struct cw_err *err)
{
	char *path = cw_cli_db_path(cli);
	int rc = cw_store_open(out, path, err);

	free(path);
	return rc;
}

/* fetch and ingest run the pipeline, which fetches: they are in the full
 * program only (cli.h, "The two programs") */
#ifndef CW_CLI_LIGHT
int cw_cli_open_pipeline(struct cw_cli *cli, struct cw_pipeline *p,
			 struct cw_store **s, struct cw_err *err)
{
	int rc = cw_cli_open_store(cli, s, err);

	if (!rc)
		rc = cw_pipeline_init(p, *s, cw_cli_data_dir(), err);
	return rc;
}
#endif

static void print_warnings(const struct cw_cli *cli, const struct cw_strv *w)
{
	if (cli->quiet)
		return;
	for (size_t i = 0; i < w->n; i++)
		fprintf(stderr, "clausewatch: warning: %s\n", w->v[i]);
}

/* ---- init ---- */

/*
 * init [--origin NAME]: the store and the log's signing key. The origin
 * names the log in its checkpoints; without --origin it is asked for on a
 * terminal and derived otherwise (cw_cli_log_origin).
 */
int cw_cli_cmd_init(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_note_key key;
	struct cw_buf vkey = CW_BUF_INIT;
	const char *origin = NULL;
	char *path = NULL, *key_path = NULL, *derived = NULL;
	char answer[256];
	bool created = false;
	int rc;

	rc = cw_cli_options(argc, argv, "origin=", &origin);
	if (rc)
		return rc;
	if (optind != argc)
		return cw_cli_usage("init", "takes no arguments");
	path = cw_cli_db_path(cli);
	key_path = cw_cli_log_key_path(cli);
	if (!origin && !cw_file_exists(key_path) && isatty(0) && !cli->json) {
		derived = cw_cli_log_origin(cli);
		fprintf(stderr, "origin of the log [%s]: ", derived);
		if (fgets(answer, sizeof(answer), stdin) &&
		    answer[strcspn(answer, "\n")] != '\0')
			answer[strcspn(answer, "\n")] = '\0';
		else
			answer[0] = '\0';
		origin = answer[0] ? answer : derived;
	}
	rc = cw_store_open(&s, path, &err);
	if (!rc)
		rc = cw_cli_log_key(cli, true, origin, &key, &created, &err);
	if (rc)
		goto done;
	cw_note_vkey(&key, &vkey);
	explicit_bzero(&key, sizeof(key));
	if (cli->json) {
		cw_cli_print_json_take(json_pack(
			"{sosisosbso}", "store", cw_cli_jstr(path), "schema",
			cw_store_schema_version(s), "log_key",
			cw_cli_jstr(key_path), "key_created", created,
			"verifier_key", cw_cli_jstr(cw_buf_str(&vkey))));
	} else {
		printf("store '%s' ready (schema %d)\n", path,
		       cw_store_schema_version(s));
		printf("log key '%s' %s; verifier key:\n%s\n", key_path,
		       created ? "created" : "kept", cw_buf_str(&vkey));
	}
done:
	cw_buf_release(&vkey);
	cw_store_close(s);
	free(path);
	free(key_path);
	free(derived);
	return rc ? cw_cli_fail(&err) : CW_EXIT_OK;
}

/* ---- declare ---- */

static int store_service(struct cw_store *s, const struct cw_decl_service *svc,
			 struct cw_err *err)
{
	int rc = cw_store_begin(s, err);

	if (rc)
		return rc;
	rc = cw_store_put_service(s, svc->id, svc->name, svc->path, NULL, err);
	for (size_t i = 0; !rc && i < svc->n_docs; i++) {
		struct cw_buf json = CW_BUF_INIT;
		cw_decl_doc_to_json(&json, &svc->docs[i]);
		rc = cw_store_put_document(s, svc->id, svc->docs[i].type,
					   cw_buf_str(&json), NULL, err);
		cw_buf_release(&json);
	}
	if (rc) {
		cw_store_rollback(s);
		return rc;
	}
	return cw_store_commit(s, err);
}

int cw_cli_cmd_declare(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_strv warnings = CW_STRV_INIT;
	struct cw_decl_types *types = NULL;
	size_t services = 0, docs = 0, failed = 0;
	int rc;

	if (argc < 2)
		return cw_cli_usage("declare", "needs a file or folder");
	rc = cw_cli_open_store(cli, &s, &err);
	if (rc)
		return cw_cli_fail(&err);
	/* an unknown terms type is a warning here (validate refuses it):
	 * without the list, types are not checked, and that is said */
	if (cw_decl_types_load(&types, cw_cli_data_dir(), &err)) {
		cw_strv_pushf(&warnings, "terms types not checked: %s",
			      err.msg);
		err = (struct cw_err)CW_ERR_INIT;
	}
	for (int i = 1; i < argc; i++) {
		struct cw_decl_service **list = NULL, *one = NULL;
		size_t n = 0;

		if (cw_dir_exists(argv[i])) {
			/* a collection folder stands for its declarations/ */
			char *dir = cw_decl_collection_dir(argv[i]);
			rc = cw_decl_read_dir(&list, &n, dir, &warnings, &err);
			free(dir);
		} else {
			rc = cw_decl_read_file(&one, argv[i], &warnings, &err);
			if (!rc) {
				list = cw_malloc(sizeof(*list));
				list[0] = one;
				n = 1;
			}
		}
		if (rc) {
			cw_cli_item_error("%s", err.msg);
			failed++;
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			cw_decl_types_check(types, list[k], &warnings);
			rc = store_service(s, list[k], &err);
			if (rc) {
				cw_cli_item_error("%s", err.msg);
				failed++;
			} else {
				services++;
				docs += list[k]->n_docs;
			}
			cw_decl_service_free(list[k]);
		}
		free(list);
	}
	print_warnings(cli, &warnings);
	if (cli->json)
		cw_cli_print_json_take(json_pack(
			"{sIsIsIsI}", "services", (json_int_t)services,
			"documents", (json_int_t)docs, "warnings",
			(json_int_t)warnings.n, "failed", (json_int_t)failed));
	else if (!cli->quiet)
		printf("declared %zu services, %zu documents (%zu warnings, "
		       "%zu failed)\n",
		       services, docs, warnings.n, failed);
	cw_strv_release(&warnings);
	cw_decl_types_free(types);
	cw_store_close(s);
	if (failed)
		return services ? CW_EXIT_PARTIAL : CW_EXIT_FAIL;
	return CW_EXIT_OK;
}

/* ---- list ---- */

int cw_cli_cmd_list(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_store_doc *docs = NULL;
	size_t n = 0;
	const char *service;
	int rc;

	/* an unknown option is a usage error, not a service's name */
	rc = cw_cli_options(argc, argv, "");
	if (rc)
		return rc;
	if (argc - optind > 1)
		return cw_cli_usage("list", "takes at most one SERVICE");
	service = optind < argc ? argv[optind] : NULL;
	rc = cw_cli_open_store(cli, &s, &err);
	if (!rc)
		rc = cw_store_list_documents(s, service, NULL, &docs, &n, &err);
	/* a service asked for by name that has no document: not found
	 * (exit 3), as for every other command */
	if (!rc && service && n == 0)
		rc = cw_err_set(&err, CW_ENOTFOUND, "no service '%s'", service);
	if (rc) {
		cw_store_close(s);
		return cw_cli_fail(&err);
	}
	if (cli->json) {
		json_t *all = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(all, cw_view_doc_json(&docs[i]));
		cw_cli_print_json_take(json_pack("{so}", "documents", all));
	}
	for (size_t i = 0; !cli->json && i < n; i++)
		printf("%s/%s\t%lld versions\t%s\n", docs[i].service,
		       docs[i].type, (long long)docs[i].n_versions,
		       docs[i].latest_at ? docs[i].latest_at : "-");
	cw_store_docs_free(docs, n);
	cw_store_close(s);
	return CW_EXIT_OK;
}

/* ---- fetch ---- */

#ifndef CW_CLI_LIGHT
/* The version a fetch or ingest recorded or found unchanged, as a
 * version reference; null when there is none. */
static json_t *result_version(struct cw_store *s, const struct cw_store_doc *d,
			      const struct cw_pipeline_result *r)
{
	struct cw_err err = CW_ERR_INIT;
	json_t *j = NULL;

	if (r->version_seq <= 0 ||
	    cw_view_version_ref(&j, s, d->id, r->version_seq, &err))
		return json_null();
	return j;
}

/* One result of fetch or ingest: printed, or under --json appended to
 * `results`. */
static void print_result(const struct cw_cli *cli, struct cw_store *s,
			 const struct cw_store_doc *d,
			 const struct cw_pipeline_result *r, int rc,
			 const struct cw_err *err, json_t *results)
{
	if (cli->json) {
		json_t *o = json_pack(
			"{sosososo so}", "service", cw_cli_jstr(d->service),
			"type", cw_cli_jstr(d->type), "outcome",
			json_string(cw_store_outcome_name(r->outcome)),
			"version", result_version(s, d, r), "provisions",
			json_integer((json_int_t)r->n_provisions));
		json_array_append_new(results, o);
		if (!rc)
			return;
		json_object_set_new(o, "error", cw_cli_jstr(err->msg));
	}
	if (rc)
		cw_cli_item_error("%s/%s: %s: %s", d->service, d->type,
				  cw_store_outcome_name(r->outcome), err->msg);
	else
		printf("%s/%s: %s (version %lld, %zu provisions%s%s)\n",
		       d->service, d->type, cw_store_outcome_name(r->outcome),
		       (long long)r->version_seq, r->n_provisions,
		       r->stated_date[0] ? ", dated " : "", r->stated_date);
}

int cw_cli_cmd_fetch(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_pipeline_opts po;
	struct cw_pipeline pl;
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_store_doc *docs = NULL;
	char *service = NULL, *type = NULL, *version = NULL, *ref = NULL;
	size_t n = 0, failed = 0;
	json_t *results = NULL;
	bool no_browser = false;
	long timeout = 0;
	int rc;

	memset(&pl, 0, sizeof(pl));
	cw_pipeline_opts_init(&po);
	rc = cw_cli_options(argc, argv,
			    "allow-private-network no-browser timeout#1..3600 "
			    "pdf-timeout-ms#" CW_CLI_PDF_TIMEOUT_RANGE
			    " pdf-memory-mb#" CW_CLI_PDF_MEMORY_RANGE,
			    &po.fetch.allow_private, &no_browser, &timeout,
			    &po.extract.pdf_timeout_ms,
			    &po.extract.pdf_memory_mb);
	if (rc)
		return rc;
	if (no_browser)
		po.use_browser = false;
	if (timeout)
		po.fetch.timeout_ms = timeout * 1000;
	if (optind < argc) {
		ref = cw_strdup(argv[optind]);
		if (!cw_view_split_ref(ref, &service, &type, &version)) {
			service = ref;
			type = NULL;
		}
	}
	rc = cw_cli_open_pipeline(cli, &pl, &s, &err);
	pl.opts = po;
	if (!rc)
		rc = cw_store_list_documents(s, service, type, &docs, &n, &err);
	if (!rc && n == 0)
		rc = cw_err_set(&err, CW_ENOTFOUND,
				"no declared document matches '%s'",
				argc > optind ? argv[optind] : "(all)");
	if (rc) {
		free(ref);
		cw_pipeline_release(&pl);
		cw_store_close(s);
		return cw_cli_fail(&err);
	}
	cw_fetch_global_init();
	results = json_array();
	for (size_t i = 0; i < n; i++) {
		struct cw_decl_service *svc = NULL;
		struct cw_pipeline_result r;
		struct cw_strv warnings = CW_STRV_INIT;

		memset(&r, 0, sizeof(r));
		if (!docs[i].decl_json)
			continue; /* ingested from files: nothing to fetch */
		rc = cw_decl_doc_from_json(&svc, docs[i].service, docs[i].type,
					   docs[i].decl_json, &err);
		if (!rc)
			rc = cw_pipeline_fetch_document(&pl, &docs[i],
							&svc->docs[0], &r,
							&warnings, &err);
		print_warnings(cli, &warnings);
		print_result(cli, s, &docs[i], &r, rc, &err, results);
		if (rc)
			failed++;
		cw_strv_release(&warnings);
		cw_decl_service_free(svc);
	}
	if (cli->json)
		cw_cli_print_json_take(json_pack("{so}", "results", results));
	else
		json_decref(results);
	cw_store_docs_free(docs, n);
	cw_pipeline_release(&pl);
	cw_store_close(s);
	free(ref);
	if (failed)
		return failed == n ? CW_EXIT_FAIL : CW_EXIT_PARTIAL;
	return CW_EXIT_OK;
}

/* ---- ingest ---- */

int cw_cli_ensure_document(struct cw_store *s, const char *service,
			   const char *type, struct cw_store_doc *doc,
			   struct cw_err *err)
{
	int rc = cw_store_find_document(s, service, type, doc, err);

	if (rc != CW_ENOTFOUND)
		return rc;
	rc = cw_store_put_service(s, service, NULL, NULL, NULL, err);
	if (!rc)
		rc = cw_store_put_document(s, service, type, NULL, NULL, err);
	if (!rc)
		rc = cw_store_find_document(s, service, type, doc, err);
	return rc;
}

int cw_cli_cmd_ingest(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_store_doc doc;
	struct cw_decl_service *svc = NULL;
	struct cw_pipeline_result r;
	struct cw_pipeline pl;
	struct cw_strv warnings = CW_STRV_INIT;
	struct cw_buf *bufs = NULL;
	struct cw_extract_input *in = NULL;
	char *service, *type, *version, *ref = NULL;
	struct cw_extract_opts xo = CW_EXTRACT_OPTS_INIT;
	char at[CW_TIME_ISO];
	const char *url = NULL, *date = NULL;
	size_t npages;
	int rc;

	memset(&doc, 0, sizeof(doc));
	memset(&pl, 0, sizeof(pl));
	cw_time_now_iso(at);
	rc = cw_cli_options(argc, argv,
			    "date= url= "
			    "pdf-timeout-ms#" CW_CLI_PDF_TIMEOUT_RANGE
			    " pdf-memory-mb#" CW_CLI_PDF_MEMORY_RANGE,
			    &date, &url, &xo.pdf_timeout_ms, &xo.pdf_memory_mb);
	if (rc)
		return rc;
	if (date) {
		time_t t;
		if (cw_time_parse_iso(date, &t))
			return cw_cli_usage("ingest",
					    "bad --date '%s' (an ISO 8601 "
					    "date of the calendar expected)",
					    date);
		cw_time_iso(t, at);
	}
	if (argc - optind < 2)
		return cw_cli_usage("ingest", "needs SERVICE/TYPE and a FILE");
	ref = cw_strdup(argv[optind]);
	if (!cw_view_split_ref(ref, &service, &type, &version) || version) {
		free(ref);
		return cw_cli_usage("ingest", "'%s' is not SERVICE/TYPE",
				    argv[optind]);
	}
	npages = (size_t)(argc - optind - 1);
	bufs = cw_calloc(npages, sizeof(*bufs));
	in = cw_calloc(npages, sizeof(*in));
	for (size_t i = 0; i < npages; i++) {
		const char *path = argv[optind + 1 + i];

		rc = cw_file_read(&bufs[i], path, xo.max_input, &err);
		if (rc)
			goto fail;
		in[i].data = cw_buf_str(&bufs[i]);
		in[i].len = bufs[i].len;
		in[i].name = path;
		in[i].url = url;
	}
	rc = cw_cli_open_pipeline(cli, &pl, &s, &err);
	pl.opts.extract = xo;
	if (!rc)
		rc = cw_cli_ensure_document(s, service, type, &doc, &err);
	if (rc)
		goto fail;
	/* a declared document is extracted with its selectors */
	if (doc.decl_json) {
		rc = cw_decl_doc_from_json(&svc, service, type, doc.decl_json,
					   &err);
		if (rc)
			goto fail;
		if (svc->docs[0].n_sources != npages) {
			rc = cw_err_set(&err, CW_EINVAL,
					"'%s/%s' is declared with %zu page(s), "
					"%zu file(s) given",
					service, type, svc->docs[0].n_sources,
					npages);
			goto fail;
		}
		for (size_t i = 0; i < npages && !url; i++)
			in[i].url = svc->docs[0].sources[i].fetch;
	}
	rc = cw_pipeline_record_pages(&pl, doc.id, svc ? &svc->docs[0] : NULL,
				      in, npages, at, "ingest", &r, &warnings,
				      &err);
	print_warnings(cli, &warnings);
	{
		json_t *results = json_array();
		print_result(cli, s, &doc, &r, rc, &err, results);
		if (cli->json)
			cw_cli_print_json_take(
				json_pack("{so}", "results", results));
		else
			json_decref(results);
	}
	if (rc)
		goto fail_quiet;
	goto out;
fail:
	cw_cli_fail(&err);
fail_quiet:
	rc = cw_cli_exit_for(rc);
	goto cleanup;
out:
	rc = CW_EXIT_OK;
cleanup:
	for (size_t i = 0; i < npages; i++)
		cw_buf_release(&bufs[i]);
	free(bufs);
	free(in);
	cw_strv_release(&warnings);
	cw_decl_service_free(svc);
	cw_store_doc_release(&doc);
	cw_pipeline_release(&pl);
	cw_store_close(s);
	free(ref);
	return rc;
}
#endif

/* ---- history ---- */

int cw_cli_find_doc(struct cw_cli *cli, const char *arg, const char *cmd,
		    struct cw_store **s, struct cw_store_doc *doc,
		    char **version, char **ref, struct cw_err *err)
{
	char *service, *type;
	int rc;

	*ref = cw_strdup(arg);
	if (!cw_view_split_ref(*ref, &service, &type, version))
		return cw_err_set(err, CW_EINVAL,
				  "%s: '%s' is not SERVICE/TYPE", cmd, arg);
	rc = cw_cli_open_store(cli, s, err);
	if (!rc)
		rc = cw_store_find_document(*s, service, type, doc, err);
	return rc;
}

int cw_cli_cmd_history(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_store_doc doc;
	struct cw_store_version *vs = NULL;
	size_t n = 0;
	char *version = NULL, *ref = NULL;
	int rc;

	memset(&doc, 0, sizeof(doc));
	rc = cw_cli_options(argc, argv, "");
	if (rc)
		return rc;
	if (argc - optind != 1)
		return cw_cli_usage("history", "needs SERVICE/TYPE");
	rc = cw_cli_find_doc(cli, argv[optind], "history", &s, &doc, &version,
			     &ref, &err);
	if (!rc)
		rc = cw_store_list_versions(s, doc.id, &vs, &n, &err);
	if (rc) {
		rc = cw_cli_fail(&err);
		goto done;
	}
	if (cli->json) {
		json_t *o = NULL;
		rc = cw_view_document_history(&o, s, &doc, &err);
		if (rc) {
			rc = cw_cli_fail(&err);
			goto done;
		}
		cw_cli_print_json(o);
		json_decref(o);
	}
	for (size_t i = 0; !cli->json && i < n; i++)
		printf("%4lld  %s  %-10s  %7lld bytes  %4lld provisions  "
		       "%.12s  %s\n",
		       (long long)vs[i].seq, vs[i].recorded_at,
		       vs[i].stated_date ? vs[i].stated_date : "-",
		       (long long)vs[i].text_len, (long long)vs[i].n_provisions,
		       vs[i].text_hash, vs[i].origin);
	rc = CW_EXIT_OK;
done:
	cw_store_versions_free(vs, n);
	cw_store_doc_release(&doc);
	cw_store_close(s);
	free(ref);
	return rc;
}

/* ---- show ---- */

int cw_cli_cmd_show(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_store_doc doc;
	struct cw_store_version v;
	struct cw_segmentation *seg = NULL;
	struct cw_buf text = CW_BUF_INIT;
	const char *key = NULL;
	char *version = NULL, *ref = NULL;
	int rc;

	memset(&doc, 0, sizeof(doc));
	memset(&v, 0, sizeof(v));
	rc = cw_cli_options(argc, argv, "provision=", &key);
	if (rc)
		return rc;
	if (argc - optind != 1)
		return cw_cli_usage("show", "needs SERVICE/TYPE[@VERSION]");
	rc = cw_cli_find_doc(cli, argv[optind], "show", &s, &doc, &version,
			     &ref, &err);
	if (!rc)
		rc = cw_view_resolve_version(s, doc.id, version, &v, &err);
	if (!rc)
		rc = cw_store_load_text(s, v.id, &text, &err);
	if (!rc)
		rc = cw_store_load_provisions(s, v.id, &seg, &err);
	if (rc) {
		rc = cw_cli_fail(&err);
		goto done;
	}
	if (key) {
		long i = cw_segment_find(seg, key);
		const struct cw_provision *p;
		if (i < 0) {
			cw_err_set(&err, CW_ENOTFOUND,
				   "no provision '%s' in %s/%s version %lld",
				   key, doc.service, doc.type,
				   (long long)v.seq);
			rc = cw_cli_fail(&err);
			goto done;
		}
		p = &seg->items[i];
		if (cli->json) {
			cw_cli_print_json_take(json_pack(
				"{sososisIsIssso}", "key", cw_cli_jstr(p->key),
				"title", cw_cli_jstr(p->title), "level",
				p->level, "start", (json_int_t)p->start, "end",
				(json_int_t)p->end, "sha256", p->hash, "text",
				cw_cli_jstrn(text.ptr + p->start,
					     p->end - p->start)));
		} else {
			fwrite(text.ptr + p->start, 1, p->end - p->start,
			       stdout);
		}
		rc = CW_EXIT_OK;
		goto done;
	}
	if (cli->json) {
		/* the version's fields inline: {"service", "type", "seq",
		 * "recorded_at", "stated_date", "sha256", "provisions": [...],
		 * "text"} */
		json_t *o = json_pack("{soso}", "service",
				      cw_cli_jstr(doc.service), "type",
				      cw_cli_jstr(doc.type));
		json_t *ver = cw_view_version_ref_json(v.seq, v.recorded_at,
						       v.stated_date);
		json_object_update(o, ver);
		json_decref(ver);
		json_object_set_new(o, "sha256", json_string(v.text_hash));
		json_object_set_new(o, "provisions",
				    cw_cli_provisions_json(seg));
		json_object_set_new(o, "text",
				    cw_cli_jstrn(cw_buf_str(&text), text.len));
		cw_cli_print_json_take(o);
	} else {
		fwrite(cw_buf_str(&text), 1, text.len, stdout);
	}
	rc = CW_EXIT_OK;
done:
	cw_segment_free(seg);
	cw_buf_release(&text);
	cw_store_version_release(&v);
	cw_store_doc_release(&doc);
	cw_store_close(s);
	free(ref);
	return rc;
}

/* ---- stats ---- */

/*
 * The segmentation invariants of segment.h, checked on a stored version:
 * top-level provisions tile the text, children nest inside their parent
 * in order. Returns NULL or a description of the first violation.
 */
static const char *tiling_problem(const struct cw_segmentation *seg, size_t len)
{
	size_t pos = 0;

	for (size_t i = 0; i < seg->n; i++) {
		const struct cw_provision *p = &seg->items[i];

		if (p->start >= p->end || p->end > len)
			return "empty or out-of-range provision";
		if (p->parent < 0) {
			if (p->start != pos)
				return "top-level provisions leave a gap or "
				       "overlap";
			pos = p->end;
		} else {
			const struct cw_provision *up = &seg->items[p->parent];
			if (p->start < up->start || p->end > up->end)
				return "a provision lies outside its parent";
		}
	}
	if (pos != len && !(seg->n == 0 && len == 0))
		return "top-level provisions do not reach the end of the text";
	return NULL;
}

/* Every version of every document: text, provisions, tiling. */
static int verify_versions(struct cw_store *s, size_t *checked,
			   struct cw_err *err)
{
	struct cw_store_doc *docs = NULL;
	size_t n = 0;
	int rc = cw_store_list_documents(s, NULL, NULL, &docs, &n, err);

	*checked = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		struct cw_store_version *vs = NULL;
		size_t nv = 0;

		rc = cw_store_list_versions(s, docs[i].id, &vs, &nv, err);
		for (size_t k = 0; !rc && k < nv; k++) {
			struct cw_buf text = CW_BUF_INIT;
			struct cw_segmentation *seg = NULL;
			char h[CW_SHA256_HEX];
			const char *why = NULL;

			rc = cw_store_load_text(s, vs[k].id, &text, err);
			if (!rc)
				rc = cw_store_load_provisions(s, vs[k].id, &seg,
							      err);
			if (!rc) {
				cw_sha256_hex(cw_buf_str(&text), text.len, h);
				if (strcmp(h, vs[k].text_hash))
					why = "text does not match its hash";
				else if ((int64_t)seg->n != vs[k].n_provisions)
					why = "provision count mismatch";
				else
					why = tiling_problem(seg, text.len);
			}
			if (!rc && why)
				rc = cw_err_set(err, CW_ESTORE,
						"%s/%s version %lld: %s",
						docs[i].service, docs[i].type,
						(long long)vs[k].seq, why);
			if (!rc)
				(*checked)++;
			cw_segment_free(seg);
			cw_buf_release(&text);
		}
		cw_store_versions_free(vs, nv);
	}
	cw_store_docs_free(docs, n);
	return rc;
}

int cw_cli_cmd_stats(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_store_stats st;
	struct cw_store_log_report log;
	bool check = false;
	size_t verified = 0;
	int rc;

	rc = cw_cli_options(argc, argv, "check", &check);
	if (rc)
		return rc;
	if (optind < argc)
		return cw_cli_usage("stats", "takes no operand ('%s')",
				    argv[optind]);
	rc = cw_cli_open_store(cli, &s, &err);
	if (!rc)
		rc = cw_store_stats(s, &st, &err);
	if (!rc && check)
		rc = cw_store_check(s, &err);
	if (!rc && check)
		rc = verify_versions(s, &verified, &err);
	/* the log too: every leaf against its record (signatures are for
	 * `log verify`, which knows the key) */
	if (!rc && check)
		rc = cw_store_log_verify(s, NULL, &log, &err);
	if (rc) {
		cw_store_close(s);
		return cw_cli_fail(&err);
	}
	if (cli->json) {
		json_t *o = json_pack("{sIsIsIsIsIsIsIsIsIsI}", "services",
				      (json_int_t)st.services, "documents",
				      (json_int_t)st.documents, "snapshots",
				      (json_int_t)st.snapshots, "versions",
				      (json_int_t)st.versions, "attempts",
				      (json_int_t)st.attempts, "changes",
				      (json_int_t)st.changes, "blobs",
				      (json_int_t)st.blobs, "raw_bytes",
				      (json_int_t)st.raw_bytes, "stored_bytes",
				      (json_int_t)st.stored_bytes, "file_bytes",
				      (json_int_t)st.file_bytes);
		if (check) {
			json_object_set_new(o, "integrity", json_string("ok"));
			json_object_set_new(o, "verified_versions",
					    json_integer((json_int_t)verified));
			json_object_set_new(
				o, "log_leaves",
				json_integer((json_int_t)log.leaves));
		}
		cw_cli_print_json_take(o);
	} else {
		printf("services   %lld\ndocuments  %lld\nsnapshots  %lld\n"
		       "versions   %lld\nattempts   %lld\nchanges    %lld\n"
		       "blobs      %lld (%.1f MiB raw, %.2f MiB compressed)\n"
		       "store file %.2f MiB\n",
		       (long long)st.services, (long long)st.documents,
		       (long long)st.snapshots, (long long)st.versions,
		       (long long)st.attempts, (long long)st.changes,
		       (long long)st.blobs, st.raw_bytes / 1048576.0,
		       st.stored_bytes / 1048576.0, st.file_bytes / 1048576.0);
		if (check)
			printf("integrity  ok (%zu versions verified: text "
			       "hash, provisions, tiling; %lld log leaves "
			       "match their records)\n",
			       verified, (long long)log.leaves);
	}
	cw_store_close(s);
	return CW_EXIT_OK;
}
