/*
 * cmd_log: the archive's log, and audit bundles (docs/log.md).
 *
 *   clausewatch log checkpoint        the latest signed checkpoint (a new
 *                                     one is signed when the tree grew)
 *   clausewatch log key               the verifier key
 *   clausewatch log leaves [--from N] [--limit N]
 *   clausewatch log prove SERVICE/TYPE[@VERSION] [--kind K]
 *                                     an inclusion proof (C2SP tlog-proof)
 *   clausewatch log consistency OLD_SIZE
 *                                     from OLD_SIZE to the latest checkpoint
 *   clausewatch log verify [--key VKEY]
 *   clausewatch export-bundle SERVICE/TYPE FILE
 *   clausewatch verify-bundle FILE [--key VKEY]
 */
#include "cli.h"

/*
 * A verifier key given as --key: the key's text, or a file holding it.
 * NULL `arg`: the store's own key, when there is one (*have false when
 * there is none).
 */
static int verifier_key(struct cw_cli *cli, const char *arg,
			struct cw_note_key *k, bool *have, struct cw_err *err)
{
	struct cw_buf b = CW_BUF_INIT;
	int rc;

	*have = false;
	if (!arg) {
		rc = cw_cli_log_key(cli, false, NULL, k, NULL, err);
		if (rc == CW_ENOTFOUND)
			return CW_OK;
		if (!rc) {
			k->has_private = false;
			explicit_bzero(k->seed, sizeof(k->seed));
			*have = true;
		}
		return rc;
	}
	if (cw_file_exists(arg)) {
		rc = cw_file_read(&b, arg, 4096, err);
		if (!rc)
			rc = cw_note_key_parse(b.ptr, b.len, k, err);
		if (rc && rc != CW_EIO && rc != CW_ETOOBIG)
			cw_err_prefix(err, "'%s': ", arg);
	} else {
		rc = cw_note_key_parse(arg, strlen(arg), k, err);
	}
	if (b.ptr)
		explicit_bzero(b.ptr, b.len);
	cw_buf_release(&b);
	if (!rc) {
		k->has_private = false;
		explicit_bzero(k->seed, sizeof(k->seed));
		*have = true;
	}
	return rc;
}

static json_t *proof_json(const struct cw_tlog_proof *p)
{
	json_t *a = json_array();

	for (size_t i = 0; i < p->n; i++) {
		struct cw_buf b = CW_BUF_INIT;
		cw_base64_encode(&b, p->h[i], CW_TLOG_HASH);
		json_array_append_new(a, json_string(cw_buf_str(&b)));
		cw_buf_release(&b);
	}
	return a;
}

static int log_checkpoint(struct cw_cli *cli, struct cw_store *s,
			  struct cw_err *err)
{
	struct cw_note_key k;
	struct cw_store_checkpoint cp;
	int rc = cw_cli_signing_key(cli, &k, err);

	if (!rc)
		rc = cw_store_log_checkpoint(s, &k, &cp, err);
	explicit_bzero(&k, sizeof(k));
	if (rc)
		return rc;
	if (cli->json)
		cw_cli_print_json_take(json_pack(
			"{s:I, s:s, s:s}", "tree_size", (json_int_t)cp.size,
			"signed_at", cp.signed_at, "checkpoint", cp.note));
	else
		fputs(cp.note, stdout);
	cw_store_checkpoint_release(&cp);
	return CW_OK;
}

static int log_key(struct cw_cli *cli, struct cw_err *err)
{
	struct cw_note_key k;
	struct cw_buf b = CW_BUF_INIT;
	int rc = cw_cli_signing_key(cli, &k, err);

	if (rc)
		return rc;
	cw_note_vkey(&k, &b);
	explicit_bzero(&k, sizeof(k));
	if (cli->json)
		cw_cli_print_json_take(
			json_pack("{s:s}", "verifier_key", cw_buf_str(&b)));
	else
		printf("%s\n", cw_buf_str(&b));
	cw_buf_release(&b);
	return CW_OK;
}

static int log_leaves(struct cw_cli *cli, struct cw_store *s, long from,
		      long limit, struct cw_err *err)
{
	struct cw_store_leaf *ls = NULL;
	json_t *arr = json_array();
	size_t n = 0;
	int rc = cw_store_log_leaves(s, from, limit, &ls, &n, err);

	for (size_t i = 0; !rc && i < n; i++) {
		json_t *d = json_loads(ls[i].data, 0, NULL);
		json_t *o = json_pack("{s:I, s:s, s:O, s:O, s:O, s:s, s:s}",
				      "index", (json_int_t)ls[i].index, "kind",
				      ls[i].kind, "service",
				      json_object_get(d, "service"), "type",
				      json_object_get(d, "type"), "seq",
				      json_object_get(d, "seq"),
				      "content_sha256", ls[i].content_sha256,
				      "leaf_hash", ls[i].leaf_hash);

		if (!cli->json)
			printf("%lld\t%s\t%s/%s\t%lld\t%s\t%s\n",
			       (long long)ls[i].index, ls[i].kind,
			       json_string_value(json_object_get(d, "service")),
			       json_string_value(json_object_get(d, "type")),
			       (long long)json_integer_value(
				       json_object_get(d, "seq")),
			       ls[i].content_sha256, ls[i].leaf_hash);
		json_array_append_new(arr, o);
		json_decref(d);
	}
	if (!rc && cli->json)
		cw_cli_print_json(arr);
	json_decref(arr);
	cw_store_leaves_free(ls, n);
	return rc;
}

static const char *const kinds[] = { "version", "change", "analysis", NULL };

static int log_prove(struct cw_cli *cli, struct cw_store *s, const char *ref,
		     const char *kind, struct cw_err *err)
{
	struct cw_store_doc doc;
	struct cw_store_version ver;
	struct cw_store_leaf leaf;
	struct cw_store_checkpoint cp;
	struct cw_tlog_proof p = { 0 };
	struct cw_note_key k;
	struct cw_buf text = CW_BUF_INIT;
	char *version = NULL;
	int rc;

	memset(&leaf, 0, sizeof(leaf));
	memset(&cp, 0, sizeof(cp));
	rc = cw_cli_find_version(s, ref, &doc, &version, &ver, err);
	free(version);
	if (rc)
		return rc;
	rc = cw_store_log_find_version(s, kind, ver.id, &leaf, err);
	if (!rc)
		rc = cw_cli_signing_key(cli, &k, err);
	if (!rc)
		rc = cw_store_log_checkpoint(s, &k, &cp, err);
	explicit_bzero(&k, sizeof(k));
	if (!rc)
		rc = cw_store_log_inclusion(s, (uint64_t)leaf.index,
					    (uint64_t)cp.size, &p, err);
	if (rc)
		goto done;
	if (cli->json) {
		cw_cli_print_json_take(json_pack(
			"{s:I, s:s, s:s, s:I, s:o, s:s}", "index",
			(json_int_t)leaf.index, "leaf", leaf.data, "leaf_hash",
			leaf.leaf_hash, "tree_size", (json_int_t)cp.size,
			"proof", proof_json(&p), "checkpoint", cp.note));
	} else {
		cw_tlog_proof_text(&text, leaf.data, strlen(leaf.data),
				   (uint64_t)leaf.index, &p, cp.note);
		fputs(cw_buf_str(&text), stdout);
	}
done:
	cw_buf_release(&text);
	cw_tlog_proof_release(&p);
	cw_store_checkpoint_release(&cp);
	cw_store_leaf_release(&leaf);
	cw_store_version_release(&ver);
	cw_store_doc_release(&doc);
	return rc;
}

static int log_consistency(struct cw_cli *cli, struct cw_store *s,
			   const char *old_arg, struct cw_err *err)
{
	struct cw_store_checkpoint cp;
	struct cw_tlog_proof p = { 0 };
	struct cw_note_key k;
	long old;
	int rc;

	if (cw_parse_long(old_arg, 1, 1000000000000L, &old))
		return cw_err_set(err, CW_EINVAL,
				  "'%s': not a tree size (1 or more)", old_arg);
	rc = cw_cli_signing_key(cli, &k, err);
	if (!rc)
		rc = cw_store_log_checkpoint(s, &k, &cp, err);
	explicit_bzero(&k, sizeof(k));
	if (rc)
		return rc;
	if (old > cp.size)
		rc = cw_err_set(err, CW_EINVAL,
				"%ld: larger than the latest checkpoint (%lld)",
				old, (long long)cp.size);
	if (!rc)
		rc = cw_store_log_consistency(s, (uint64_t)old,
					      (uint64_t)cp.size, &p, err);
	if (!rc && cli->json) {
		cw_cli_print_json_take(json_pack(
			"{s:I, s:I, s:o, s:s}", "old_size", (json_int_t)old,
			"tree_size", (json_int_t)cp.size, "proof",
			proof_json(&p), "checkpoint", cp.note));
	} else if (!rc) {
		/* one base64 hash a line, as tlog-witness sends them */
		for (size_t i = 0; i < p.n; i++) {
			struct cw_buf b = CW_BUF_INIT;
			cw_base64_encode(&b, p.h[i], CW_TLOG_HASH);
			printf("%s\n", cw_buf_str(&b));
			cw_buf_release(&b);
		}
	}
	cw_tlog_proof_release(&p);
	cw_store_checkpoint_release(&cp);
	return rc;
}

static int log_verify(struct cw_cli *cli, struct cw_store *s,
		      const char *key_arg, struct cw_err *err)
{
	struct cw_store_log_report rep;
	struct cw_note_key k;
	bool have = false;
	double t0 = cw_time_mono_s();
	int rc = verifier_key(cli, key_arg, &k, &have, err);

	if (!rc)
		rc = cw_store_log_verify(s, have ? &k : NULL, &rep, err);
	if (rc)
		return rc;
	if (cli->json)
		cw_cli_print_json_take(json_pack(
			"{s:b, s:I, s:I, s:I, s:I, s:b, s:o}", "ok", 1,
			"leaves", (json_int_t)rep.leaves, "nodes",
			(json_int_t)rep.nodes, "checkpoints",
			(json_int_t)rep.checkpoints, "superseded",
			(json_int_t)rep.superseded, "signatures_checked", have,
			"seconds", cw_cli_real(cw_time_mono_s() - t0, 3)));
	else
		printf("log verified: %lld leaves rebuilt from the stored "
		       "bytes (%lld superseded), %lld nodes, %lld checkpoints "
		       "%s\n",
		       (long long)rep.leaves, (long long)rep.superseded,
		       (long long)rep.nodes, (long long)rep.checkpoints,
		       have ? "with their signatures"
			    : "(no key: signatures not checked)");
	return CW_OK;
}

int cw_cli_cmd_log(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	const char *sub = argc > 1 ? argv[1] : "";
	const char *kind = "version", *key = NULL;
	long from = 0, limit = 1000000;
	int rc, nargs;

	if (argc < 2)
		return cw_cli_usage("log", "log checkpoint | key | leaves | "
					   "prove SERVICE/TYPE[@VERSION] | "
					   "consistency OLD_SIZE | verify");
	rc = cw_cli_options(argc - 1, argv + 1,
			    "from#0..1000000000000 limit#1..1000000000000 "
			    "kind= "
			    "key=",
			    &from, &limit, &kind, &key);
	if (rc)
		return rc;
	nargs = argc - 1 - optind;
	if (!strcmp(sub, "prove") || !strcmp(sub, "consistency") ? nargs != 1
								 : nargs != 0)
		return cw_cli_usage("log", "'%s': wrong number of arguments",
				    sub);
	if (!strcmp(sub, "prove")) {
		size_t i = 0;
		while (kinds[i] && strcmp(kinds[i], kind))
			i++;
		if (!kinds[i])
			return cw_cli_usage("log",
					    "--kind '%s': expected version, "
					    "change or analysis",
					    kind);
	}
	/* the store too for `log key`: its folder holds the key file */
	rc = cw_cli_open_store(cli, &s, &err);
	if (rc)
		return cw_cli_fail(&err);
	if (!strcmp(sub, "checkpoint"))
		rc = log_checkpoint(cli, s, &err);
	else if (!strcmp(sub, "key"))
		rc = log_key(cli, &err);
	else if (!strcmp(sub, "leaves"))
		rc = log_leaves(cli, s, from, limit, &err);
	else if (!strcmp(sub, "prove"))
		rc = log_prove(cli, s, argv[1 + optind], kind, &err);
	else if (!strcmp(sub, "consistency"))
		rc = log_consistency(cli, s, argv[1 + optind], &err);
	else if (!strcmp(sub, "verify"))
		rc = log_verify(cli, s, key, &err);
	else {
		cw_store_close(s);
		return cw_cli_usage("log", "unknown subcommand '%s'", sub);
	}
	cw_store_close(s);
	return rc ? cw_cli_fail(&err) : CW_EXIT_OK;
}

/* bundles are tar files (libarchive): in the full program only (cli.h,
 * "The two programs") */
#ifndef CW_CLI_LIGHT
int cw_cli_cmd_export_bundle(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_store_doc doc;
	struct cw_note_key k;
	struct cw_view_bundle_report rep;
	char *version = NULL;
	int rc;

	if (argc != 3)
		return cw_cli_usage("export-bundle", "export-bundle "
						     "SERVICE/TYPE FILE");
	memset(&doc, 0, sizeof(doc));
	rc = cw_cli_open_store(cli, &s, &err);
	if (!rc)
		rc = cw_view_find_document(s, argv[1], &doc, &version, &err);
	if (!rc && version)
		rc = cw_err_set(&err, CW_EINVAL,
				"'%s': a bundle holds every version; name the "
				"document without @VERSION",
				argv[1]);
	if (!rc)
		rc = cw_cli_signing_key(cli, &k, &err);
	if (!rc)
		rc = cw_view_bundle_export(s, &doc, &k, argv[2], &rep, &err);
	explicit_bzero(&k, sizeof(k));
	free(version);
	cw_store_doc_release(&doc);
	cw_store_close(s);
	if (rc)
		return cw_cli_fail(&err);
	if (cli->json)
		cw_cli_print_json_take(json_pack(
			"{s:s, s:I, s:I, s:I, s:I, s:s}", "bundle", argv[2],
			"records", (json_int_t)rep.records, "files",
			(json_int_t)rep.files, "bytes", (json_int_t)rep.bytes,
			"tree_size", (json_int_t)rep.tree_size, "origin",
			rep.origin));
	else
		printf("%s: %zu records (%zu files, %lld bytes) with their "
		       "proofs against the checkpoint of %lld leaves of '%s'\n",
		       argv[2], rep.records, rep.files, (long long)rep.bytes,
		       (long long)rep.tree_size, rep.origin);
	return CW_EXIT_OK;
}

int cw_cli_cmd_verify_bundle(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_view_bundle_report rep;
	struct cw_note_key k;
	const char *key = NULL;
	bool have = false;
	int rc;

	rc = cw_cli_options(argc, argv, "key=", &key);
	if (rc)
		return rc;
	if (optind != argc - 1)
		return cw_cli_usage("verify-bundle", "verify-bundle FILE "
						     "[--key VKEY]");
	/* no store: only a key that is named */
	if (key)
		rc = verifier_key(cli, key, &k, &have, &err);
	if (!rc)
		rc = cw_view_bundle_verify(argv[optind], have ? &k : NULL, &rep,
					   &err);
	if (rc)
		return cw_cli_fail(&err);
	if (cli->json)
		cw_cli_print_json_take(
			json_pack("{s:b, s:s, s:s, s:I, s:I, s:s, s:b}", "ok",
				  1, "service", rep.service, "type", rep.type,
				  "files", (json_int_t)rep.files, "tree_size",
				  (json_int_t)rep.tree_size, "origin",
				  rep.origin, "own_key", rep.own_key));
	else
		printf("%s: %zu files of %s/%s verified against the checkpoint "
		       "of %lld leaves of '%s'%s\n",
		       argv[optind], rep.files, rep.service, rep.type,
		       (long long)rep.tree_size, rep.origin,
		       rep.own_key ? " (with the bundle's own key: compare it "
				     "with the one the archive publishes, or "
				     "pass --key)"
				   : "");
	return CW_EXIT_OK;
}
#endif
