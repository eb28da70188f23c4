/*
 * clausewatch extract [--declaration FILE [--type TYPE]] [--url URL] FILE...
 *
 * Extracts the text of local files as the monitor would, without the
 * store: HTML through the declaration's selectors (or the whole <body>),
 * PDF through poppler, Markdown and text normalised. Several files are the
 * pages of a combined document, in the declaration's order.
 */

#include "../extract/extract.h"
#include "cli.h"

static void usage_line(void)
{
	printf("usage: clausewatch [--json] extract [--declaration FILE "
	       "[--type TYPE]]\n"
	       "                   [--url URL] [--pdf-timeout-ms N] "
	       "[--pdf-memory-mb N] FILE...\n");
}

/* The declaration reader and extraction may both report a filter we do
 * not run; keep the first, longer message (it names the file). */
static void dedupe(struct cw_strv *w)
{
	size_t k = 0;
	for (size_t i = 0; i < w->n; i++) {
		bool dup = false;
		size_t li = strlen(w->v[i]);
		for (size_t j = 0; j < k && !dup; j++) {
			size_t lj = strlen(w->v[j]);
			dup = lj >= li && !strcmp(w->v[j] + lj - li, w->v[i]);
		}
		if (dup)
			free(w->v[i]);
		else
			w->v[k++] = w->v[i];
	}
	w->n = k;
}

int cw_cli_cmd_extract(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_extract_opts eopts = CW_EXTRACT_OPTS_INIT;
	const char *decl_path = NULL, *type = NULL, *url = NULL;
	struct cw_decl_service *svc = NULL;
	const struct cw_decl_doc *doc = NULL;
	struct cw_extract_input *pages = NULL;
	struct cw_buf *files = NULL;
	struct cw_buf out = CW_BUF_INIT;
	struct cw_strv warnings = CW_STRV_INIT;
	struct cw_err err = CW_ERR_INIT;
	bool help = false;
	int rc, code = CW_EXIT_OK;
	size_t n = 0;

	rc = cw_cli_options(argc, argv,
			    "declaration/d= type/t= url/u= help/h "
			    "pdf-timeout-ms#" CW_CLI_PDF_TIMEOUT_RANGE
			    " pdf-memory-mb#" CW_CLI_PDF_MEMORY_RANGE,
			    &decl_path, &type, &url, &help,
			    &eopts.pdf_timeout_ms, &eopts.pdf_memory_mb);
	if (rc)
		return rc;
	if (help) {
		usage_line();
		return CW_EXIT_OK;
	}
	if (optind >= argc)
		return cw_cli_usage(argv[0], "expected at least one FILE");
	if (type && !decl_path)
		return cw_cli_usage(argv[0], "'--type' needs '--declaration'");

	if (decl_path) {
		rc = cw_decl_read_file(&svc, decl_path, &warnings, &err);
		if (rc) {
			code = cw_cli_fail(&err);
			goto out;
		}
		if (type) {
			doc = cw_decl_find(svc, type);
		} else if (svc->n_docs == 1) {
			doc = &svc->docs[0];
		} else {
			code = cw_cli_usage(argv[0],
					    "'%s' declares %zu documents: "
					    "choose one "
					    "with --type",
					    decl_path, svc->n_docs);
			goto out;
		}
		if (!doc) {
			cw_err_set(&err, CW_ENOTFOUND,
				   "'%s': no document of type '%s'", decl_path,
				   type);
			code = cw_cli_fail(&err);
			goto out;
		}
	}

	n = (size_t)(argc - optind);
	pages = cw_calloc(n, sizeof(*pages));
	files = cw_calloc(n, sizeof(*files));
	for (size_t i = 0; i < n; i++) {
		const char *path = argv[optind + (int)i];
		cw_buf_init(&files[i], 0);
		/* one byte more than extraction accepts, so it reports the cap */
		rc = cw_file_read(&files[i], path, eopts.max_input + 1, &err);
		if (rc) {
			code = cw_cli_fail(&err);
			goto out;
		}
		pages[i] = (struct cw_extract_input){
			.data = cw_buf_str(&files[i]),
			.len = files[i].len,
			.url = url ? url
				   : (doc && i < doc->n_sources
					      ? doc->sources[i].fetch
					      : NULL),
			.name = path,
			.kind = CW_EXTRACT_AUTO,
		};
	}

	cw_buf_init(&out, 0);
	rc = cw_extract_document(&out, pages, n, doc, &warnings, &eopts, &err);
	if (rc) {
		code = cw_cli_fail(&err);
		goto out;
	}
	dedupe(&warnings);
	if (cli->json) {
		json_t *w = json_array();
		for (size_t i = 0; i < warnings.n; i++)
			json_array_append_new(w, cw_cli_jstr(warnings.v[i]));
		cw_cli_print_json_take(
			json_pack("{soso}", "text",
				  cw_cli_jstrn(cw_buf_str(&out), out.len),
				  "warnings", w));
	} else {
		fwrite(out.ptr, 1, out.len, stdout);
		if (!cli->quiet)
			for (size_t i = 0; i < warnings.n; i++)
				fprintf(stderr, "clausewatch: warning: %s\n",
					warnings.v[i]);
	}
	if (fflush(stdout) != 0) {
		cw_err_set(&err, CW_EIO, "cannot write to standard output");
		code = cw_cli_fail(&err);
	}
out:
	for (size_t i = 0; files && i < n; i++)
		cw_buf_release(&files[i]);
	free(files);
	free(pages);
	cw_buf_release(&out);
	cw_strv_release(&warnings);
	cw_decl_service_free(svc);
	return code;
}
