/*
 * cmd_classify: the clause classifier's commands.
 *
 *   clausewatch train [--labels DIR] [--rules FILE] [--out FILE] [options]
 *   clausewatch eval [--labels DIR] [--rules FILE] [options]
 *   clausewatch embed [--corpus DIR] [--out FILE]
 *   clausewatch classify [--model FILE] [--sentence]  < lines
 *
 * Options of train and eval: --c X, --epochs N, --seed N, --min-docs N,
 * --pos-power X, --char-weight X, --rule-weight X, --ctx-weight X,
 * --max-docs N, --vectors FILE (word vectors written by `embed`; none by
 * default), --dense-weight X, --tune-c (per head, C by inner CV), --nb
 * (NB-SVM feature scaling).
 */
#include <getopt.h>
#include <unistd.h>

#include "cli.h"
#include "../analyze/taxonomy.h"
#include "../classify/classify.h"

#define LINE_MAX_BYTES CW_CLASSIFY_TEXT_MAX

/* The CLAUDETTE folder: $CW_SHARED/labels/claudette, else the shared
 * folder next to the source tree. Owned by the caller. */
static char *default_labels(void)
{
	const char *sh = getenv("CW_SHARED");

	if (sh && *sh)
		return cw_asprintf("%s/labels/claudette", sh);
	return cw_strdup(CW_SOURCE_ROOT "/../shared/labels/claudette");
}

/* The taxonomy id of classifier category `c` ("mandatory_arbitration"). */
static const char *cat_id(int c)
{
	return cw_taxonomy_claudette_id(cw_classify_cat_code(c));
}

enum {
	OPT_C = 256,
	OPT_EPOCHS,
	OPT_SEED,
	OPT_MINDOCS,
	OPT_POSPOW,
	OPT_CHARW,
	OPT_RULEW,
	OPT_MAXDOCS,
	OPT_CTXW,
	OPT_VECTORS,
	OPT_TUNEC,
	OPT_DENSEW,
	OPT_NB
};

/* Parse train/eval options; returns 0, or an exit code. */
static int parse_train_opts(int argc, char **argv, const char **labels,
			    const char **rules, const char **outp,
			    const char **vectors,
			    struct cw_classify_train_opts *o)
{
	static const struct option opts[] = {
		{ "labels", required_argument, NULL, 'l' },
		{ "rules", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "c", required_argument, NULL, OPT_C },
		{ "epochs", required_argument, NULL, OPT_EPOCHS },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "min-docs", required_argument, NULL, OPT_MINDOCS },
		{ "pos-power", required_argument, NULL, OPT_POSPOW },
		{ "char-weight", required_argument, NULL, OPT_CHARW },
		{ "rule-weight", required_argument, NULL, OPT_RULEW },
		{ "max-docs", required_argument, NULL, OPT_MAXDOCS },
		{ "ctx-weight", required_argument, NULL, OPT_CTXW },
		{ "vectors", required_argument, NULL, OPT_VECTORS },
		{ "tune-c", no_argument, NULL, OPT_TUNEC },
		{ "nb", no_argument, NULL, OPT_NB },
		{ "dense-weight", required_argument, NULL, OPT_DENSEW },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "l:r:o:", opts, NULL)) != -1) {
		long v;
		char *end;
		double d;

		switch (c) {
		case 'l':
			*labels = optarg;
			break;
		case 'r':
			*rules = optarg;
			break;
		case OPT_VECTORS:
			*vectors = optarg;
			break;
		case OPT_TUNEC:
			o->tune_c = true;
			break;
		case OPT_NB:
			o->nb = true;
			break;
		case 'o':
			if (!outp)
				return cw_cli_usage(argv[0], "no --out here");
			*outp = optarg;
			break;
		case OPT_EPOCHS:
		case OPT_SEED:
		case OPT_MINDOCS:
		case OPT_MAXDOCS:
			if (cw_parse_long(optarg, 0, 1000000000L, &v))
				return cw_cli_usage(argv[0],
						    "'%s' is not a number",
						    optarg);
			if (c == OPT_EPOCHS)
				o->max_epochs = (int)v;
			else if (c == OPT_SEED)
				o->seed = (unsigned long)v;
			else if (c == OPT_MINDOCS)
				o->min_docs = (int)v;
			else
				o->max_docs = (size_t)v;
			break;
		case OPT_C:
		case OPT_POSPOW:
		case OPT_CHARW:
		case OPT_RULEW:
		case OPT_CTXW:
		case OPT_DENSEW:
			d = strtod(optarg, &end);
			if (end == optarg || *end || d < 0 || d > 1e6)
				return cw_cli_usage(argv[0],
						    "'%s' is not a number",
						    optarg);
			if (c == OPT_C)
				o->c = d;
			else if (c == OPT_POSPOW)
				o->pos_power = d;
			else if (c == OPT_CHARW)
				o->char_weight = d;
			else if (c == OPT_RULEW)
				o->rule_weight = d;
			else if (c == OPT_CTXW)
				o->ctx_weight = d;
			else
				o->dense_weight = d;
			break;
		default:
			return CW_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cw_cli_extra_argument(argv[0], argv[optind]);
	return 0;
}

/* Load labels, rules and word vectors (when `vpath` is not NULL);
 * returns 0 or an exit code. */
static int load_inputs(struct cw_classify_labels **labels, struct cw_buf *rules,
		       struct cw_buf *vectors, const char *ldir,
		       const char *rpath, const char *vpath,
		       struct cw_classify_train_opts *o)
{
	struct cw_err err = CW_ERR_INIT;

	if (cw_classify_labels_load(labels, ldir, &err))
		return cw_cli_fail(&err);
	if (cw_file_read(rules, rpath, 1u << 20, &err))
		goto fail;
	if (vpath) {
		if (cw_file_read(vectors, vpath, CW_CLASSIFY_MODEL_MAX, &err))
			goto fail;
		o->vectors = vectors->ptr;
		o->vectors_len = vectors->len;
	}
	return 0;
fail:
	cw_classify_labels_free(*labels);
	*labels = NULL;
	return cw_cli_fail(&err);
}

int cw_cli_cmd_train(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_classify_train_opts o;
	struct cw_classify_labels *labels = NULL;
	struct cw_buf rules = CW_BUF_INIT, model = CW_BUF_INIT;
	struct cw_buf vectors = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	char *ldef = default_labels();
	char *rdef =
		cw_asprintf("%s/%s", cw_cli_data_dir(), CW_CLASSIFY_RULES_FILE);
	char *odef =
		cw_asprintf("%s/%s", cw_cli_data_dir(), CW_CLASSIFY_MODEL_FILE);
	const char *ldir = ldef, *rpath = rdef, *opath = odef, *vpath = NULL;
	int ex;

	cw_classify_train_opts_init(&o);
	o.quiet = cli->quiet;
	ex = parse_train_opts(argc, argv, &ldir, &rpath, &opath, &vpath, &o);
	if (ex)
		goto done;
	ex = load_inputs(&labels, &rules, &vectors, ldir, rpath, vpath, &o);
	if (ex)
		goto done;
	if (!cli->quiet)
		fprintf(stderr, "training on %zu sentences of %zu documents\n",
			cw_classify_labels_count(labels),
			cw_classify_labels_documents(labels));
	if (cw_classify_train(&model, labels, cw_buf_str(&rules), rpath, &o,
			      &err) ||
	    cw_file_write_atomic(opath, model.ptr, model.len, &err)) {
		ex = cw_cli_fail(&err);
		goto done;
	}
	if (cli->json) {
		cw_cli_print_json_take(json_pack(
			"{sosIsI}", "model", cw_cli_jstr(opath), "bytes",
			(json_int_t)model.len, "sentences",
			(json_int_t)cw_classify_labels_count(labels)));
	} else if (!cli->quiet) {
		printf("wrote %s (%zu bytes)\n", opath, model.len);
	}
done:
	cw_classify_labels_free(labels);
	cw_buf_release(&rules);
	cw_buf_release(&model);
	cw_buf_release(&vectors);
	free(ldef);
	free(rdef);
	free(odef);
	return ex;
}

/* The --json report of eval: shares to 4 places, seconds to 1. */
static json_t *eval_json(const struct cw_classify_eval_report *r)
{
	json_t *cats = json_array();

	for (int c = 0; c < CW_CLASSIFY_NCAT; c++) {
		const struct cw_classify_eval_cat *e = &r->cat[c];

		json_array_append_new(
			cats,
			json_pack("{sssssIsIsIsIsosososo}", "code",
				  cw_classify_cat_code(c), "id", cat_id(c),
				  "support", (json_int_t)e->support, "tp",
				  (json_int_t)e->tp, "fp", (json_int_t)e->fp,
				  "fn", (json_int_t)e->fn, "precision",
				  cw_cli_real(e->precision, 4), "recall",
				  cw_cli_real(e->recall, 4), "f1",
				  cw_cli_real(e->f1, 4), "threshold",
				  cw_cli_real(e->threshold_mean, 4)));
	}
	return json_pack(
		"{sIsIsIsososososososos o}", "folds", (json_int_t)r->nfolds,
		"documents", (json_int_t)r->ndocuments, "sentences",
		(json_int_t)r->nsentences, "categories", cats, "macro_f1",
		cw_cli_real(r->macro_f1, 4), "micro_f1",
		cw_cli_real(r->micro_f1, 4), "macro_f1_8",
		cw_cli_real(r->macro_f1_8, 4), "lexglue_macro_f1",
		cw_cli_real(r->lexglue_macro_f1, 4), "lexglue_micro_f1",
		cw_cli_real(r->lexglue_micro_f1, 4), "severity_accuracy",
		cw_cli_real(r->severity_total
				    ? (double)r->severity_correct /
					      (double)r->severity_total
				    : 0.0,
			    4),
		"seconds", cw_cli_real(r->seconds, 1));
}

int cw_cli_cmd_eval(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_classify_train_opts o;
	struct cw_classify_labels *labels = NULL;
	struct cw_classify_eval_report r;
	struct cw_buf rules = CW_BUF_INIT, vectors = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	char *ldef = default_labels();
	char *rdef =
		cw_asprintf("%s/%s", cw_cli_data_dir(), CW_CLASSIFY_RULES_FILE);
	const char *ldir = ldef, *rpath = rdef, *vpath = NULL;
	int ex;

	cw_classify_train_opts_init(&o);
	o.quiet = cli->quiet;
	ex = parse_train_opts(argc, argv, &ldir, &rpath, NULL, &vpath, &o);
	if (ex)
		goto done;
	ex = load_inputs(&labels, &rules, &vectors, ldir, rpath, vpath, &o);
	if (ex)
		goto done;
	if (cw_classify_eval(&r, labels, cw_buf_str(&rules), rpath, &o, &err)) {
		ex = cw_cli_fail(&err);
		goto done;
	}
	if (cli->json) {
		cw_cli_print_json_take(eval_json(&r));
	} else {
		printf("%zu-fold cross-validation by document (%zu documents, "
		       "%zu sentences)\n"
		       "target: level 2 or 3 (potentially or clearly "
		       "unfair)\n\n",
		       r.nfolds, r.ndocuments, r.nsentences);
		printf("%-5s %-28s %7s %6s %6s %6s %9s %6s %6s\n", "code",
		       "category", "support", "P", "R", "F1", "threshold", "fp",
		       "fn");
		for (int c = 0; c < CW_CLASSIFY_NCAT; c++) {
			const struct cw_classify_eval_cat *e = &r.cat[c];

			printf("%-5s %-28s %7zu %6.3f %6.3f %6.3f %9.3f %6zu "
			       "%6zu\n",
			       cw_classify_cat_code(c), cat_id(c), e->support,
			       e->precision, e->recall, e->f1,
			       e->threshold_mean, e->fp, e->fn);
		}
		printf("\nmacro-F1 (9 categories)      %.3f\n"
		       "micro-F1 (9 categories)      %.3f\n"
		       "macro-F1 (8, no pinc)        %.3f\n"
		       "LexGLUE-style macro / micro  %.3f / %.3f (8 labels + "
		       "\"none\")\n"
		       "severity (2 vs 3) accuracy   %.3f on %zu true "
		       "positives\n"
		       "time                         %.1f s\n",
		       r.macro_f1, r.micro_f1, r.macro_f1_8, r.lexglue_macro_f1,
		       r.lexglue_micro_f1,
		       r.severity_total ? (double)r.severity_correct /
						  (double)r.severity_total
					: 0.0,
		       r.severity_total, r.seconds);
	}
done:
	cw_classify_labels_free(labels);
	cw_buf_release(&rules);
	cw_buf_release(&vectors);
	free(ldef);
	free(rdef);
	return ex;
}

/* The versions corpus: $CW_SHARED/corpus, else the shared folder next to
 * the source tree. Owned by the caller. */
static char *default_corpus(void)
{
	const char *sh = getenv("CW_SHARED");

	if (sh && *sh)
		return cw_asprintf("%s/corpus", sh);
	return cw_strdup(CW_SOURCE_ROOT "/../shared/corpus");
}

int cw_cli_cmd_embed(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_classify_embed_opts o;
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	char *cdef = default_corpus();
	char *odef = cw_asprintf("%s/%s", cw_cli_data_dir(),
				 CW_CLASSIFY_VECTORS_FILE);
	const char *cdir = cdef, *opath = odef;
	int ex;

	cw_classify_embed_opts_init(&o);
	o.quiet = cli->quiet;
	ex = cw_cli_options(argc, argv, "corpus/c= out/o=", &cdir, &opath);
	if (ex)
		goto done;
	if (optind != argc) {
		ex = cw_cli_extra_argument(argv[0], argv[optind]);
		goto done;
	}
	if (cw_classify_embed_build(&out, cdir, &o, &err) ||
	    cw_file_write_atomic(opath, out.ptr, out.len, &err)) {
		ex = cw_cli_fail(&err);
		goto done;
	}
	if (cli->json) {
		cw_cli_print_json_take(json_pack("{sosI}", "vectors",
						 cw_cli_jstr(opath), "bytes",
						 (json_int_t)out.len));
	} else if (!cli->quiet) {
		printf("wrote %s (%zu bytes)\n", opath, out.len);
	}
done:
	cw_buf_release(&out);
	free(cdef);
	free(odef);
	return ex;
}

/*
 * Read one line of stdin into `b` (cleared first) without its end of line.
 * A line longer than LINE_MAX_BYTES is consumed to its end but not kept,
 * so memory stays bounded; *toolong says so. Returns false at end of input.
 */
static bool read_line(struct cw_buf *b, bool *toolong)
{
	char chunk[8192];
	bool any = false;

	cw_buf_clear(b);
	*toolong = false;
	while (fgets(chunk, sizeof(chunk), stdin)) {
		size_t n = strlen(chunk);
		bool eol = n && chunk[n - 1] == '\n';

		any = true;
		if (eol)
			n--;
		if (!*toolong && cw_buf_add(b, chunk, n))
			*toolong = true;
		if (eol)
			break;
	}
	if (b->len && b->ptr[b->len - 1] == '\r')
		cw_buf_truncate(b, b->len - 1);
	return any;
}

/* One line of output: {"categories": [{"id", "confidence" (2 places),
 * "severity"}], "claudette": [code...]}. */
static void print_result(const struct cw_classify_result *r)
{
	json_t *cats = json_array(), *codes = json_array();

	for (int c = 0; c < CW_CLASSIFY_NCAT; c++) {
		if (r->cat[c].severity == CW_CLASSIFY_SEV_NONE)
			continue;
		json_array_append_new(
			cats,
			json_pack(
				"{sssoss}", "id", cat_id(c), "confidence",
				cw_cli_real(r->cat[c].confidence, 2),
				"severity",
				cw_classify_severity_name(r->cat[c].severity)));
	}
	for (int c = 0; c < CW_CLASSIFY_NCAT; c++)
		if (r->cat[c].unfair)
			json_array_append_new(
				codes, json_string(cw_classify_cat_code(c)));
	cw_cli_print_json_take(
		json_pack("{soso}", "categories", cats, "claudette", codes));
}

int cw_cli_cmd_classify(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_classify_model *m = NULL;
	struct cw_err err = CW_ERR_INIT;
	char *mdef =
		cw_asprintf("%s/%s", cw_cli_data_dir(), CW_CLASSIFY_MODEL_FILE);
	const char *mpath = mdef;
	bool sentence = false, toolong;
	struct cw_buf line = CW_BUF_INIT;
	int ex;

	(void)cli;
	ex = cw_cli_options(argc, argv, "model/m= sentence/s", &mpath,
			    &sentence);
	if (ex)
		goto done;
	if (optind != argc) {
		ex = cw_cli_extra_argument(argv[0], argv[optind]);
		goto done;
	}
	if (cw_classify_model_load(&m, mpath, &err)) {
		ex = cw_cli_fail(&err);
		goto done;
	}
	cw_buf_init(&line, LINE_MAX_BYTES);
	while (read_line(&line, &toolong)) {
		struct cw_classify_result r;
		int rc;

		if (toolong)
			rc = cw_err_set(&err, CW_ETOOBIG,
					"line longer than %u bytes, not "
					"classified",
					LINE_MAX_BYTES);
		else if (sentence)
			rc = cw_classify_sentence(&r, m,
						  line.ptr ? line.ptr : "",
						  line.len, &err);
		else
			rc = cw_classify_text(&r, m, line.ptr ? line.ptr : "",
					      line.len, &err);
		if (rc) {
			/* keep one output line per input line */
			cw_cli_item_error("stdin: %s", err.msg);
			cw_cli_print_json_take(json_pack("{so}", "error",
							 cw_cli_jstr(err.msg)));
			ex = CW_EXIT_PARTIAL;
			continue;
		}
		print_result(&r);
	}
	if (ferror(stdin)) {
		cw_err_set(&err, CW_EIO, "stdin: read error");
		ex = cw_cli_fail(&err);
	}
done:
	cw_buf_release(&line);
	free(mdef);
	cw_classify_model_free(m);
	return ex;
}
