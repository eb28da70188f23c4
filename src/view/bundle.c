/*
 * Audit bundles (view.h; docs/log.md, "Audit bundles"): one document's
 * archived records in a tar, each with its inclusion proof against one
 * signed checkpoint, checkable without the store.
 *
 * Layout, below one folder named after the document:
 *   README.txt            what the bundle is and how to check it
 *   manifest.json         the document, the checkpoint's size and root,
 *                         and one entry per file: its path, its proof,
 *                         kind, seq (and page), leaf index, SHA-256
 *   checkpoint            the signed checkpoint (C2SP signed note)
 *   log.vkey              the log's verifier key (C2SP vkey)
 *   snapshots/S-P.EXT     page P of snapshot S, the bytes fetched
 *   versions/N.md         version N's text
 *   provisions/N.json     version N's provision list (its leaf holds the
 *                         SHA-256 of these bytes as provisions_sha256)
 *   changes/N.json        the change record that made version N
 *   analyses/N.json       the analysis of version N
 *   proofs/<path>.tlog-proof  the record's C2SP tlog-proof; its extra
 *                         line is the record's leaf
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../util/json.h"
#include "view_int.h"

#define BUNDLE_FORMAT "clausewatch-bundle/1"
/* Caps on what a bundle may hold when it is read back. */
#define ENTRY_MAX (64u << 20)
#define TOTAL_MAX (1024u << 20)
#define ENTRIES_MAX 200000

/* ---- writing ---- */

struct tar_out {
	struct archive *a;
	const char *top;
	time_t now;
	const char *path;
};

static int tar_add(struct tar_out *t, const char *name, const void *data,
		   size_t len, struct cw_err *err)
{
	struct archive_entry *e = archive_entry_new();
	char *full = cw_asprintf("%s/%s", t->top, name);
	int rc = CW_OK;

	archive_entry_set_pathname(e, full);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, t->now, 0);
	if (archive_write_header(t->a, e) != ARCHIVE_OK ||
	    (len && archive_write_data(t->a, data, len) != (la_ssize_t)len))
		rc = cw_err_set(err, CW_EIO, "'%s': writing %s: %s", t->path,
				full, archive_error_string(t->a));
	archive_entry_free(e);
	free(full);
	return rc;
}

/* A file name's extension for a fetched page, from its first bytes. */
static const char *page_ext(const struct cw_buf *b)
{
	size_t i = 0;

	if (b->len >= 5 && !memcmp(b->ptr, "%PDF-", 5))
		return "pdf";
	while (i < b->len && i < 512 && strchr(" \t\r\n", b->ptr[i]))
		i++;
	if (i < b->len && b->ptr[i] == '<')
		return "html";
	return "bin";
}

/* A leaf's own fields (the JSON the log hashed). */
struct leaf_fields {
	json_int_t seq, page;
};

static void leaf_fields(const char *data, struct leaf_fields *f)
{
	json_t *j = json_loads(data, 0, NULL);

	f->seq = f->page = 0;
	if (j)
		(void)json_unpack(j, "{s:I, s?I}", "seq", &f->seq, "page",
				  &f->page);
	json_decref(j);
}

static const char *bundle_readme =
	"An audit bundle of clausewatch: records of one document as they were\n"
	"archived, and the proof that each is in the archive's signed log.\n"
	"\n"
	"Check it with `clausewatch verify-bundle FILE`, or without "
	"clausewatch:\n"
	"for each entry of manifest.json,\n"
	"  1. the SHA-256 of the file equals the sha256 (for provisions/, the\n"
	"     provisions_sha256) of the leaf in the extra line of its proof;\n"
	"  2. the leaf hash SHA-256(0x00 || leaf) with the proof's hashes "
	"gives\n"
	"     the root in `checkpoint` (RFC 6962 inclusion proof);\n"
	"  3. `checkpoint` is signed by the key in `log.vkey` (C2SP signed "
	"note,\n"
	"     Ed25519), and that key is the one the archive publishes.\n"
	"docs/log.md of clausewatch has a short script that does all three.\n";

struct export
{
	struct cw_store *s;
	struct tar_out tar;
	json_t *records;
	const struct cw_store_checkpoint *cp;
	struct cw_view_bundle_report *rep;
};

/* One file of the bundle, its proof and its manifest entry. */
static int export_file(struct export *x, const struct cw_store_leaf *l,
		       const char *path, const struct cw_buf *bytes,
		       const char *kind, const struct leaf_fields *f,
		       struct cw_err *err)
{
	struct cw_tlog_proof p;
	struct cw_buf proof = CW_BUF_INIT;
	char hex[CW_SHA256_HEX], *proof_path;
	json_t *e;
	int rc;

	rc = cw_store_log_inclusion(x->s, (uint64_t)l->index,
				    (uint64_t)x->cp->size, &p, err);
	if (rc)
		return rc;
	cw_tlog_proof_text(&proof, l->data, strlen(l->data), (uint64_t)l->index,
			   &p, x->cp->note);
	cw_tlog_proof_release(&p);
	proof_path = cw_asprintf("proofs/%s.tlog-proof", path);
	rc = tar_add(&x->tar, path, bytes->ptr, bytes->len, err);
	if (!rc)
		rc = tar_add(&x->tar, proof_path, proof.ptr, proof.len, err);
	cw_sha256_hex(bytes->ptr, bytes->len, hex);
	e = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "path", path, "proof",
		      proof_path, "kind", kind, "seq", f->seq, "index",
		      (json_int_t)l->index, "sha256", hex);
	if (!strcmp(kind, "snapshot"))
		json_object_set_new(e, "page", json_integer(f->page));
	json_array_append_new(x->records, e);
	x->rep->files++;
	x->rep->bytes += (int64_t)bytes->len;
	free(proof_path);
	cw_buf_release(&proof);
	return rc;
}

static int export_leaf(struct export *x, const struct cw_store_leaf *l,
		       struct cw_err *err)
{
	struct cw_buf bytes = CW_BUF_INIT, prov = CW_BUF_INIT;
	struct leaf_fields f;
	char path[96];
	int rc;

	leaf_fields(l->data, &f);
	rc = cw_store_log_bytes(x->s, l, &bytes,
				!strcmp(l->kind, "version") ? &prov : NULL,
				err);
	if (rc)
		goto done;
	if (!strcmp(l->kind, "snapshot"))
		snprintf(path, sizeof(path), "snapshots/%lld-%lld.%s",
			 (long long)f.seq, (long long)f.page, page_ext(&bytes));
	else if (!strcmp(l->kind, "version"))
		snprintf(path, sizeof(path), "versions/%lld.md",
			 (long long)f.seq);
	else if (!strcmp(l->kind, "change"))
		snprintf(path, sizeof(path), "changes/%lld.json",
			 (long long)f.seq);
	else
		snprintf(path, sizeof(path), "analyses/%lld.json",
			 (long long)f.seq);
	rc = export_file(x, l, path, &bytes, l->kind, &f, err);
	if (!rc && prov.len) {
		snprintf(path, sizeof(path), "provisions/%lld.json",
			 (long long)f.seq);
		rc = export_file(x, l, path, &prov, "provisions", &f, err);
	}
	x->rep->records++;
done:
	cw_buf_release(&bytes);
	cw_buf_release(&prov);
	return rc;
}

/* The document's folder name: "Service - Type", in safe characters. */
static char *top_name(const struct cw_store_doc *doc)
{
	char *t = cw_asprintf("%s - %s", doc->service, doc->type);

	for (char *p = t; *p; p++)
		if (*p == '/' || *p == '\\' || (unsigned char)*p < ' ')
			*p = '_';
	return t;
}

int cw_view_bundle_export(struct cw_store *s, const struct cw_store_doc *doc,
			  const struct cw_note_key *key, const char *path,
			  struct cw_view_bundle_report *out, struct cw_err *err)
{
	struct export x = { .s = s, .rep = out };
	struct cw_store_checkpoint cp;
	struct cw_store_leaf *ls = NULL;
	struct cw_buf vkey = CW_BUF_INIT, root = CW_BUF_INIT;
	char *top = top_name(doc), *tmp = cw_asprintf("%s.tmp", path);
	char *manifest = NULL;
	size_t n = 0;
	json_t *m = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = cw_store_log_checkpoint(s, key, &cp, err);
	if (rc) {
		free(top);
		free(tmp);
		return rc;
	}
	x.cp = &cp;
	rc = cw_store_log_doc(s, doc->id, &ls, &n, err);
	if (rc)
		goto done;
	x.tar.a = archive_write_new();
	x.tar.top = top;
	x.tar.path = path;
	x.tar.now = time(NULL);
	x.records = json_array();
	archive_write_set_format_pax_restricted(x.tar.a);
	if (archive_write_open_filename(x.tar.a, tmp) != ARCHIVE_OK) {
		rc = cw_err_set(err, CW_EIO, "'%s': %s", tmp,
				archive_error_string(x.tar.a));
		goto done;
	}
	cw_note_vkey(key, &vkey);
	cw_buf_addc(&vkey, '\n');
	rc = tar_add(&x.tar, "README.txt", bundle_readme, strlen(bundle_readme),
		     err);
	if (!rc)
		rc = tar_add(&x.tar, "checkpoint", cp.note, strlen(cp.note),
			     err);
	if (!rc)
		rc = tar_add(&x.tar, "log.vkey", vkey.ptr, vkey.len, err);
	for (size_t i = 0; !rc && i < n; i++)
		if (ls[i].index < cp.size)
			rc = export_leaf(&x, &ls[i], err);
	cw_base64_encode(&root, cp.root, CW_TLOG_HASH);
	m = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:o}", "format",
		      BUNDLE_FORMAT, "service", doc->service, "type", doc->type,
		      "origin", key->name, "tree_size", (json_int_t)cp.size,
		      "root", cw_buf_str(&root), "records", x.records);
	x.records = NULL;
	manifest = json_dumps(m, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (!rc)
		rc = tar_add(&x.tar, "manifest.json", manifest,
			     strlen(manifest), err);
	if (archive_write_close(x.tar.a) != ARCHIVE_OK && !rc)
		rc = cw_err_set(err, CW_EIO, "'%s': %s", tmp,
				archive_error_string(x.tar.a));
	if (!rc && rename(tmp, path) != 0)
		rc = cw_err_set(err, CW_EIO, "'%s': %s", path, strerror(errno));
	out->tree_size = cp.size;
	snprintf(out->origin, sizeof(out->origin), "%s", key->name);
done:
	if (x.tar.a)
		archive_write_free(x.tar.a);
	if (rc)
		unlink(tmp);
	json_decref(x.records);
	json_decref(m);
	free(manifest);
	cw_store_leaves_free(ls, n);
	cw_store_checkpoint_release(&cp);
	cw_buf_release(&vkey);
	cw_buf_release(&root);
	free(top);
	free(tmp);
	return rc;
}

/* ---- reading back ---- */

struct entry {
	char *name; /* below the top folder */
	struct cw_buf data;
};

struct bundle {
	struct entry *e;
	size_t n, cap;
};

static void bundle_release(struct bundle *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->e[i].name);
		cw_buf_release(&b->e[i].data);
	}
	free(b->e);
}

static const struct cw_buf *bundle_get(const struct bundle *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->e[i].name, name))
			return &b->e[i].data;
	return NULL;
}

/* A safe name below the top folder: no "..", no absolute path. */
static bool name_ok(const char *name)
{
	if (!*name || name[0] == '/')
		return false;
	for (const char *p = name; *p; p++)
		if ((p == name || p[-1] == '/') && p[0] == '.' && p[1] == '.' &&
		    (p[2] == '/' || !p[2]))
			return false;
	return true;
}

static int read_bundle(const char *path, struct bundle *b, struct cw_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t total = 0;
	int rc = CW_OK, r;

	archive_read_support_format_tar(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		rc = cw_err_set(err, CW_EIO, "'%s': %s", path,
				archive_error_string(a));
		goto done;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		const char *slash = name ? strchr(name, '/') : NULL;
		la_int64_t size = archive_entry_size(e);
		struct entry *x;

		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (!slash || !name_ok(slash + 1)) {
			rc = cw_err_set(err, CW_EINVAL,
					"'%s': entry '%s': not a file below "
					"the bundle's folder",
					path, name ? name : "");
			break;
		}
		if (size < 0 || (size_t)size > ENTRY_MAX ||
		    total + (size_t)size > TOTAL_MAX || b->n >= ENTRIES_MAX) {
			rc = cw_err_set(err, CW_ETOOBIG,
					"'%s': entry '%s': over the bundle's "
					"limits",
					path, name);
			break;
		}
		CW_GROW(b->e, b->cap, b->n + 1);
		x = &b->e[b->n++];
		x->name = cw_strdup(slash + 1);
		cw_buf_init(&x->data, (size_t)size + 1);
		if (cw_buf_grow(&x->data, (size_t)size) ||
		    archive_read_data(a, x->data.ptr, (size_t)size) != size) {
			rc = cw_err_set(err, CW_EINVAL,
					"'%s': entry '%s': cannot be read "
					"whole (%s)",
					path, name, archive_error_string(a));
			break;
		}
		x->data.len = (size_t)size;
		x->data.ptr[size] = '\0';
		total += (size_t)size;
	}
	if (!rc && r != ARCHIVE_EOF)
		rc = cw_err_set(err, CW_EINVAL, "'%s': not a whole tar (%s)",
				path, archive_error_string(a));
done:
	archive_read_free(a);
	return rc;
}

/* Check one manifest entry; the message names the file. */
static int check_record(const char *path, const struct bundle *b, json_t *rec,
			const char *service, const char *type, const char *note,
			const struct cw_tlog_checkpoint *cp, struct cw_err *err)
{
	const char *file = NULL, *proof_path = NULL, *kind = NULL;
	json_int_t seq = 0, page = 0, index = 0;
	const struct cw_buf *bytes, *proof;
	struct cw_tlog_proof_file pf;
	json_t *leaf = NULL;
	const char *lkind = NULL, *lsvc = NULL, *ltype = NULL, *lhash = NULL,
		   *lprov = NULL;
	json_int_t lseq = 0, lpage = 0;
	char hex[CW_SHA256_HEX];
	cw_tlog_hash lh, root;
	int rc;

	if (json_unpack(rec, "{s:s, s:s, s:s, s:I, s:I, s?I}", "path", &file,
			"proof", &proof_path, "kind", &kind, "seq", &seq,
			"index", &index, "page", &page))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': manifest.json: an entry without its "
				  "path, proof, kind, seq or index",
				  path);
	bytes = bundle_get(b, file);
	proof = bundle_get(b, proof_path);
	if (!bytes || !proof)
		return cw_err_set(err, CW_EINVAL, "'%s': '%s': %s is missing",
				  path, file, bytes ? "its proof" : "the file");
	rc = cw_tlog_proof_parse(proof->ptr, proof->len, &pf, err);
	if (rc)
		return cw_err_prefix(err, "'%s': '%s': ", path, proof_path);
	if (strcmp(pf.note, note)) {
		rc = cw_err_set(err, CW_EINVAL,
				"'%s': '%s': proves against another checkpoint "
				"than the bundle's",
				path, file);
		goto done;
	}
	leaf = json_loadb(pf.extra.ptr ? pf.extra.ptr : "", pf.extra.len, 0,
			  NULL);
	if (!leaf || json_unpack(leaf, "{s:s, s:s, s:s, s:I, s?I, s:s, s?s}",
				 "kind", &lkind, "service", &lsvc, "type",
				 &ltype, "seq", &lseq, "page", &lpage, "sha256",
				 &lhash, "provisions_sha256", &lprov)) {
		rc = cw_err_set(err, CW_EPARSE,
				"'%s': '%s': its proof carries no leaf", path,
				file);
		goto done;
	}
	/* the leaf must be this file's: same document, kind, seq, page */
	if (strcmp(lsvc, service) || strcmp(ltype, type) || lseq != seq ||
	    lpage != page || (int64_t)pf.index != (int64_t)index ||
	    strcmp(lkind, !strcmp(kind, "provisions") ? "version" : kind)) {
		rc = cw_err_set(err, CW_EINVAL,
				"'%s': '%s': its leaf is of another record "
				"(%s %lld of %s/%s)",
				path, file, lkind, (long long)lseq, lsvc,
				ltype);
		goto done;
	}
	cw_sha256_hex(bytes->ptr, bytes->len, hex);
	if (strcmp(hex, !strcmp(kind, "provisions") ? (lprov ? lprov : "")
						    : lhash)) {
		rc = cw_err_set(err, CW_EINVAL,
				"'%s': '%s': its SHA-256 is not the one the "
				"log holds (the file was altered)",
				path, file);
		goto done;
	}
	cw_tlog_leaf_hash(pf.extra.ptr, pf.extra.len, lh);
	rc = cw_tlog_root_from_inclusion(pf.index, cp->size, lh, &pf.proof,
					 root, err);
	if (rc) {
		rc = cw_err_prefix(err, "'%s': '%s': ", path, proof_path);
		goto done;
	}
	if (memcmp(root, cp->root, CW_TLOG_HASH))
		rc = cw_err_set(err, CW_EINVAL,
				"'%s': '%s': its inclusion proof does not lead "
				"to the checkpoint's root (the leaf or the "
				"proof was altered)",
				path, file);
done:
	json_decref(leaf);
	cw_tlog_proof_file_release(&pf);
	return rc;
}

int cw_view_bundle_verify(const char *path, const struct cw_note_key *trusted,
			  struct cw_view_bundle_report *out, struct cw_err *err)
{
	struct bundle b = { 0 };
	const struct cw_buf *note, *vkey_file, *mf;
	struct cw_note_key key;
	struct cw_tlog_checkpoint cp = { 0 };
	json_t *m = NULL, *records;
	const char *service = NULL, *type = NULL, *format = NULL;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = read_bundle(path, &b, err);
	if (rc)
		goto done;
	note = bundle_get(&b, "checkpoint");
	vkey_file = bundle_get(&b, "log.vkey");
	mf = bundle_get(&b, "manifest.json");
	if (!note || !vkey_file || !mf) {
		rc = cw_err_set(err, CW_EINVAL,
				"'%s': not a clausewatch bundle (no "
				"checkpoint, log.vkey or manifest.json)",
				path);
		goto done;
	}
	if (trusted) {
		key = *trusted;
	} else {
		rc = cw_note_key_parse(vkey_file->ptr, vkey_file->len, &key,
				       err);
		if (rc) {
			rc = cw_err_prefix(err, "'%s': log.vkey: ", path);
			goto done;
		}
		out->own_key = true;
	}
	rc = cw_note_verify(note->ptr, note->len, &key, NULL, err);
	if (!rc)
		rc = cw_tlog_checkpoint_parse(note->ptr, note->len, &cp, err);
	if (rc) {
		rc = cw_err_prefix(err, "'%s': checkpoint: ", path);
		goto done;
	}
	if (strcmp(cp.origin, key.name)) {
		rc = cw_err_set(err, CW_EINVAL,
				"'%s': checkpoint: its origin '%s' is not the "
				"key's name '%s'",
				path, cp.origin, key.name);
		goto done;
	}
	rc = cw_json_parse(&m, mf->ptr, mf->len, "manifest.json", err);
	if (!rc &&
	    json_unpack(m, "{s:s, s:s, s:s, s:o}", "format", &format, "service",
			&service, "type", &type, "records", &records))
		rc = cw_err_set(err, CW_EPARSE,
				"'%s': manifest.json: no format, service, "
				"type or records",
				path);
	if (!rc && strcmp(format, BUNDLE_FORMAT))
		rc = cw_err_set(err, CW_EUNSUPPORTED,
				"'%s': manifest.json: format '%s', not '%s'",
				path, format, BUNDLE_FORMAT);
	if (rc)
		goto done;
	for (i = 0; !rc && i < json_array_size(records); i++)
		rc = check_record(path, &b, json_array_get(records, i), service,
				  type, cw_buf_str(note), &cp, err);
	if (rc)
		goto done;
	/* nothing in the bundle that the manifest does not vouch for */
	for (i = 0; i < b.n; i++) {
		const char *nm = b.e[i].name;
		bool listed = !strcmp(nm, "checkpoint") ||
			      !strcmp(nm, "log.vkey") ||
			      !strcmp(nm, "manifest.json") ||
			      !strcmp(nm, "README.txt");

		for (size_t k = 0; !listed && k < json_array_size(records);
		     k++) {
			json_t *r = json_array_get(records, k);
			listed = !strcmp(nm, json_string_value(json_object_get(
						     r, "path"))) ||
				 !strcmp(nm, json_string_value(
						     json_object_get(r, "proo"
									"f")));
		}
		if (!listed) {
			rc = cw_err_set(err, CW_EINVAL,
					"'%s': '%s' is in the bundle but not "
					"in its manifest",
					path, nm);
			goto done;
		}
	}
	out->files = json_array_size(records);
	out->tree_size = (int64_t)cp.size;
	snprintf(out->origin, sizeof(out->origin), "%s", cp.origin);
	snprintf(out->service, sizeof(out->service), "%s", service);
	snprintf(out->type, sizeof(out->type), "%s", type);
done:
	json_decref(m);
	cw_tlog_checkpoint_release(&cp);
	bundle_release(&b);
	return rc;
}
