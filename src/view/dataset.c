/*
 * dataset: the store's versions written as an Open Terms Archive dataset,
 * and the file names of a dataset read both ways (view.h, "Open Terms
 * Archive datasets"; docs/dataset.md).
 *
 * OTA's engine names a version by its fetch date, an ISO 8601 time with
 * the milliseconds dropped and ':' written '-'; its README names the
 * period between the first and the last version. We write the same
 * layout with a README of our own, and no export time anywhere, so two
 * exports of the same versions are equal byte for byte (the integration
 * test compares them).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include "view.h"

/* ---- file names ---- */

int cw_view_dataset_file_name(const char *recorded_at,
			      char out[CW_VIEW_DATASET_NAME_MAX])
{
	char check[CW_TIME_ISO];
	struct tm tm;
	time_t t;

	if (cw_time_parse_iso(recorded_at, &t) || !gmtime_r(&t, &tm))
		return CW_EINVAL;
	if (!strftime(out, CW_VIEW_DATASET_NAME_MAX, "%Y-%m-%dT%H-%M-%SZ.md",
		      &tm))
		return CW_EINVAL;
	/* a name the reader would refuse (a year before 1970 or past 9999)
	 * is no name at all: an export must read back */
	return cw_view_dataset_name_time(out, check);
}

int cw_view_dataset_name_time(const char *name, char out[CW_TIME_ISO])
{
	size_t len = strlen(name);
	const char *p = name + 10, *end;
	int y, mo, d, h = 0, mi = 0, se = 0;
	long extra = 0;

	/* "YYYY-MM-DD" and ".md" at least: then p <= end below */
	if (len < 13 || strcmp(name + len - 3, ".md"))
		return CW_EINVAL;
	end = name + len - 3;
	if (!cw_parse_digits(name, 4, &y) || name[4] != '-' ||
	    !cw_parse_digits(name + 5, 2, &mo) || name[7] != '-' ||
	    !cw_parse_digits(name + 8, 2, &d))
		return CW_EINVAL;
	if (y < 1970 || !cw_time_valid_date(y, mo, d))
		return CW_EINVAL;
	if (*p == 'T') {
		/* "THH-MM-SSZ" (OTA) or "THH:MM:SSZ": 10 bytes, one separator */
		char sep = p[3];

		if (end - p != 10 || (sep != '-' && sep != ':') ||
		    !cw_parse_digits(p + 1, 2, &h) ||
		    !cw_parse_digits(p + 4, 2, &mi) || p[6] != sep ||
		    !cw_parse_digits(p + 7, 2, &se) || p[9] != 'Z')
			return CW_EINVAL;
		if (h > 23 || mi > 59 || se > 59)
			return CW_EINVAL;
	} else if (*p == '-') {
		/* the N-th version of the day, N seconds after midnight; at
		 * most 86399 so that it never passes the next day's first */
		size_t n = (size_t)(end - p - 1);

		if (n < 1 || n > 6)
			return CW_EINVAL;
		for (size_t i = 0; i < n; i++) {
			if (p[1 + i] < '0' || p[1 + i] > '9')
				return CW_EINVAL;
			extra = extra * 10 + (p[1 + i] - '0');
		}
		if (extra > 86399)
			return CW_EINVAL;
	} else if (p != end) {
		return CW_EINVAL;
	}
	cw_time_iso(cw_time_utc(y, mo, d, h, mi, se) + extra, out);
	return CW_OK;
}

/* ---- export ---- */

struct export
{
	struct cw_store *s;
	const struct cw_note_key *key; /* signs the checkpoint; NULL: none */
	char *tmp;		       /* the hidden folder being filled */
	struct cw_view_dataset_summary sum;
	time_t first, last;
	char *last_service; /* the service of the last document written */
	struct cw_buf text; /* one version's text at a time */
};

/* A service ID or terms type as one folder name: not empty, no '/', not
 * hidden (the reader passes over names starting with '.'), within
 * NAME_MAX. */
static bool folder_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= 255 && name[0] != '.' && !strchr(name, '/');
}

/* `dir` must not exist, or be an empty folder (not a link to one). */
static int check_target(const char *dir, struct cw_err *err)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	bool empty = true;

	if (lstat(dir, &st) != 0) {
		if (errno == ENOENT)
			return CW_OK;
		return cw_err_set(err, CW_EIO, "'%s': %s", dir,
				  strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return cw_err_set(err, CW_EEXISTS,
				  "'%s' exists and is not a folder: a dataset "
				  "is written to a new or empty folder",
				  dir);
	d = opendir(dir);
	if (!d)
		return cw_err_set(err, CW_EIO, "'%s': %s", dir,
				  strerror(errno));
	while (empty && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	if (!empty)
		return cw_err_set(err, CW_EEXISTS,
				  "'%s' exists and is not empty: a dataset is "
				  "written to a new or empty folder",
				  dir);
	return CW_OK;
}

static int make_dir(const char *path, struct cw_err *err)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return cw_err_set(err, CW_EIO, "'%s': %s", path,
				  strerror(errno));
	return CW_OK;
}

/*
 * Write a new file. Not cw_file_write_atomic(): the whole folder is
 * renamed into place at the end, so a file needs neither its own
 * temporary name nor its own fsync (one syncfs() before the rename).
 * EEXIST is CW_EEXISTS: two versions with one name.
 */
static int write_file(const char *path, const char *data, size_t len,
		      struct cw_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return cw_err_set(err, errno == EEXIST ? CW_EEXISTS : CW_EIO,
				  "'%s': %s", path, strerror(errno));
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return cw_err_set(err, CW_EIO, "'%s': %s", path,
					  strerror(e));
		}
		data += n;
		len -= (size_t)n;
	}
	if (close(fd) != 0)
		return cw_err_set(err, CW_EIO, "'%s': %s", path,
				  strerror(errno));
	return CW_OK;
}

/* One version into `folder`, the document's folder in the hidden one. */
static int export_version(struct export *ex, const struct cw_store_doc *doc,
			  const struct cw_store_version *v, const char *folder,
			  struct cw_err *err)
{
	char name[CW_VIEW_DATASET_NAME_MAX];
	char *path;
	time_t t;
	int rc;

	if (cw_view_dataset_file_name(v->recorded_at, name) ||
	    cw_time_parse_iso(v->recorded_at, &t))
		return cw_err_set(err, CW_EINVAL,
				  "'%s/%s' version %lld: its recording time "
				  "'%s' cannot name a dataset file",
				  doc->service, doc->type, (long long)v->seq,
				  v->recorded_at);
	cw_buf_clear(&ex->text);
	rc = cw_store_load_text(ex->s, v->id, &ex->text, err);
	if (rc)
		return rc;
	path = cw_asprintf("%s/%s", folder, name);
	rc = write_file(path, cw_buf_str(&ex->text), ex->text.len, err);
	free(path);
	if (rc == CW_EEXISTS)
		return cw_err_set(err, CW_EINVAL,
				  "'%s/%s' version %lld was recorded in the "
				  "same second as an earlier one (%s): a "
				  "dataset names a version by its second",
				  doc->service, doc->type, (long long)v->seq,
				  v->recorded_at);
	if (rc)
		return rc;
	if (!ex->sum.versions || t < ex->first)
		ex->first = t;
	if (!ex->sum.versions || t > ex->last)
		ex->last = t;
	ex->sum.versions++;
	ex->sum.bytes += (int64_t)ex->text.len;
	return CW_OK;
}

/* Every version of one document; a document without one is left out. */
static int export_document(struct export *ex, const struct cw_store_doc *doc,
			   struct cw_err *err)
{
	struct cw_store_version *vs = NULL;
	char *service_dir = NULL, *folder = NULL;
	size_t n = 0;
	int rc;

	rc = cw_store_list_versions(ex->s, doc->id, &vs, &n, err);
	if (rc || n == 0)
		goto done;
	if (!folder_name_ok(doc->service) || !folder_name_ok(doc->type)) {
		rc = cw_err_set(err, CW_EINVAL,
				"'%s/%s': a service or terms type that cannot "
				"be a folder name (empty, hidden, with a '/' "
				"or over 255 bytes)",
				doc->service, doc->type);
		goto done;
	}
	service_dir = cw_asprintf("%s/%s", ex->tmp, doc->service);
	folder = cw_asprintf("%s/%s", service_dir, doc->type);
	rc = make_dir(service_dir, err);
	if (!rc)
		rc = make_dir(folder, err);
	for (size_t i = 0; !rc && i < n; i++)
		rc = export_version(ex, doc, &vs[i], folder, err);
	if (rc)
		goto done;
	ex->sum.documents++;
	if (!ex->last_service || strcmp(ex->last_service, doc->service)) {
		/* documents come ordered by service (store.h) */
		free(ex->last_service);
		ex->last_service = cw_strdup(doc->service);
		ex->sum.services++;
	}
done:
	free(folder);
	free(service_dir);
	cw_store_versions_free(vs, n);
	return rc;
}

/* The documents of `service` (NULL: all of them). */
static int export_service(struct export *ex, const char *service,
			  struct cw_err *err)
{
	struct cw_store_doc *docs = NULL;
	size_t n = 0;
	int rc = cw_store_list_documents(ex->s, service, NULL, &docs, &n, err);

	if (!rc && service && n == 0)
		rc = cw_err_set(err, CW_ENOTFOUND,
				"no service '%s' in the store", service);
	for (size_t i = 0; !rc && i < n; i++)
		rc = export_document(ex, &docs[i], err);
	cw_store_docs_free(docs, n);
	return rc;
}

/* "March 1, 2024": the day as the README says it. */
static void long_date(time_t t, char *out, size_t size)
{
	static const char *const months[12] = {
		"January",   "February", "March",    "April",
		"May",	     "June",	 "July",     "August",
		"September", "October",	 "November", "December"
	};
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, size, "%s %d, %d", months[tm.tm_mon], tm.tm_mday,
		 tm.tm_year + 1900);
}

static void plural(struct cw_buf *b, size_t n, const char *one,
		   const char *many)
{
	cw_buf_addf(b, "%zu %s", n, n == 1 ? one : many);
}

/* Append `text` (one paragraph, single spaces) cut into lines of at most
 * 78 bytes at spaces (a longer word stands on a line of its own), and an
 * empty line after it. */
static void add_paragraph(struct cw_buf *out, const char *text)
{
	size_t col = 0;

	while (*text) {
		size_t n = strcspn(text, " ");

		if (col && col + 1 + n > 78) {
			cw_buf_addc(out, '\n');
			col = 0;
		} else if (col) {
			cw_buf_addc(out, ' ');
			col++;
		}
		cw_buf_add(out, text, n);
		col += n;
		text += n;
		while (*text == ' ')
			text++;
	}
	cw_buf_adds(out, "\n\n");
}

/* The README: what the dataset holds, where it comes from, its layout. */
static int write_readme(struct export *ex, struct cw_err *err)
{
	/* both built of our own words and a few numbers */
	struct cw_buf b = CW_BUF_INIT, p = CW_BUF_INIT;
	const struct cw_view_dataset_summary *sum = &ex->sum;
	char *path = cw_asprintf("%s/README.md", ex->tmp);
	int rc;

	cw_buf_adds(&b, "# Versions of terms, from a clausewatch store\n\n");
	if (sum->versions == 0) {
		cw_buf_adds(&p, "This dataset holds no version: the store had "
				"none to export.");
	} else {
		char a[64], z[64];

		long_date(ex->first, a, sizeof(a));
		long_date(ex->last, z, sizeof(z));
		cw_buf_adds(&p, "This dataset holds ");
		plural(&p, sum->versions, "version", "versions");
		cw_buf_adds(&p, " of ");
		plural(&p, sum->documents, "document", "documents");
		cw_buf_adds(&p, " from ");
		plural(&p, sum->services, "service", "services");
		if (!strcmp(a, z))
			cw_buf_addf(&p, ", recorded on %s", a);
		else
			cw_buf_addf(&p, ", recorded between %s and %s", a, z);
		cw_buf_addf(&p, " (from %s to %s, UTC).", sum->first,
			    sum->last);
	}
	add_paragraph(&b, cw_buf_str(&p));
	add_paragraph(&b, "The versions come from a clausewatch store. "
			  "clausewatch archives the legal documents of online "
			  "platforms (terms of service, privacy policies, "
			  "acceptable use policies) and records a new version "
			  "of a document each time its text changes. Each file "
			  "here is the text of one version exactly as the "
			  "store keeps it, named after the time clausewatch "
			  "recorded it.");
	cw_buf_adds(&b, "## Layout\n\n");
	add_paragraph(&b, "The layout is the one Open Terms Archive gives its "
			  "datasets, so what reads those reads this one:");
	cw_buf_adds(&b, "    README.md                           this file\n");
	if (ex->key)
		cw_buf_adds(&b, "    checkpoint                          the "
				"store's signed log checkpoint\n"
				"    log.vkey                            the "
				"key "
				"that signed it\n");
	cw_buf_adds(&b, "    <service>/<terms type>/<time>.md    one version "
			"of one document\n\n");
	add_paragraph(&b, "`<time>` is the recording time in UTC written "
			  "`YYYY-MM-DDTHH-MM-SSZ`, hyphens standing for the "
			  "colons that some file systems refuse "
			  "(`2024-03-01T10-00-00Z.md`). In a document's "
			  "folder, the names sort from the oldest version to "
			  "the newest.");
	if (ex->key)
		add_paragraph(&b, "Every version here is a leaf of the store's "
				  "signed log (an RFC 6962 Merkle tree), and "
				  "`checkpoint` is the log's signed size and "
				  "root when the dataset was written: the leaf "
				  "of a version holds the SHA-256 of its file. "
				  "`clausewatch log prove SERVICE/TYPE@N` on "
				  "the "
				  "store gives the proof that ties a file to "
				  "this checkpoint; clausewatch's docs/log.md "
				  "says how to check one.");
	add_paragraph(&b, "`clausewatch import-history PATH` loads this "
			  "folder, or a ZIP of it, into a store.");
	cw_buf_truncate(&b, b.len - 1); /* one newline at the end */
	rc = write_file(path, cw_buf_str(&b), b.len, err);
	cw_buf_release(&p);
	cw_buf_release(&b);
	free(path);
	return rc;
}

/*
 * The log's signed checkpoint (docs/log.md), taken after the versions were
 * read, so it covers every one of them, and the verifier key beside it.
 */
static int write_checkpoint(struct export *ex, struct cw_err *err)
{
	struct cw_store_checkpoint cp;
	struct cw_buf vkey = CW_BUF_INIT;
	char *path;
	int rc;

	if (!ex->key)
		return CW_OK;
	rc = cw_store_log_checkpoint(ex->s, ex->key, &cp, err);
	if (rc)
		return rc;
	path = cw_asprintf("%s/checkpoint", ex->tmp);
	rc = write_file(path, cp.note, strlen(cp.note), err);
	free(path);
	cw_note_vkey(ex->key, &vkey);
	cw_buf_addc(&vkey, '\n');
	path = cw_asprintf("%s/log.vkey", ex->tmp);
	if (!rc)
		rc = write_file(path, vkey.ptr, vkey.len, err);
	free(path);
	cw_buf_release(&vkey);
	cw_store_checkpoint_release(&cp);
	return rc;
}

/* What is in the hidden folder reaches the disk before it gets its name
 * (one syncfs() for all the files rather than an fsync() each). */
static int flush(const char *path, struct cw_err *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = CW_OK;

	if (fd < 0)
		return cw_err_set(err, CW_EIO, "'%s': %s", path,
				  strerror(errno));
	if (syncfs(fd) != 0)
		rc = cw_err_set(err, CW_EIO, "'%s': %s", path, strerror(errno));
	if (close(fd) != 0 && !rc)
		rc = cw_err_set(err, CW_EIO, "'%s': %s", path, strerror(errno));
	return rc;
}

/* "a/b/" -> parent "a", base "b"; "b" -> ".", "b"; "/b" -> "/", "b". */
static void split_dir(const char *dir, char **parent, char **base)
{
	size_t n = strlen(dir);
	const char *slash;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	*base = cw_strndup(dir, n);
	slash = strrchr(*base, '/');
	if (!slash) {
		*parent = cw_strdup(".");
		return;
	}
	*parent = slash == *base ? cw_strdup("/")
				 : cw_strndup(*base, (size_t)(slash - *base));
	memmove(*base, slash + 1, strlen(slash + 1) + 1);
}

int cw_view_dataset_export(struct cw_view_dataset_summary *out,
			   struct cw_store *s, const char *dir,
			   const struct cw_strv *services,
			   const struct cw_note_key *key, struct cw_err *err)
{
	struct export ex;
	char *parent = NULL, *base = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&ex, 0, sizeof(ex));
	ex.s = s;
	ex.key = key;
	if (!*dir)
		return cw_err_set(err, CW_EINVAL,
				  "'': a dataset needs a folder name");
	cw_buf_init(&ex.text, 0);
	rc = check_target(dir, err);
	if (rc)
		return rc;
	split_dir(dir, &parent, &base);
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		rc = cw_err_set(err, CW_EEXISTS,
				"'%s' exists and is not empty: a dataset is "
				"written to a new or empty folder",
				dir);
		goto done;
	}
	rc = cw_mkdir_p(parent, err);
	if (rc)
		goto done;
	ex.tmp = cw_asprintf("%s/.%s.partial-XXXXXX", parent, base);
	if (!mkdtemp(ex.tmp)) {
		rc = cw_err_set(err, CW_EIO, "'%s': %s", ex.tmp,
				strerror(errno));
		free(ex.tmp);
		ex.tmp = NULL;
		goto done;
	}
	if (!services || services->n == 0)
		rc = export_service(&ex, NULL, err);
	for (size_t i = 0; !rc && services && i < services->n; i++) {
		bool seen = false;

		for (size_t k = 0; k < i && !seen; k++)
			seen = !strcmp(services->v[k], services->v[i]);
		if (!seen)
			rc = export_service(&ex, services->v[i], err);
	}
	if (ex.sum.versions) {
		cw_time_iso(ex.first, ex.sum.first);
		cw_time_iso(ex.last, ex.sum.last);
	}
	if (!rc)
		rc = write_readme(&ex, err);
	if (!rc)
		rc = write_checkpoint(&ex, err);
	if (!rc)
		rc = flush(ex.tmp, err);
	/* rename() replaces an empty folder, and fails on a full one that
	 * appeared meanwhile */
	if (!rc && rename(ex.tmp, dir) != 0)
		rc = cw_err_set(err,
				errno == ENOTEMPTY || errno == EEXIST
					? CW_EEXISTS
					: CW_EIO,
				"'%s': %s", dir, strerror(errno));
	if (!rc)
		*out = ex.sum;
done:
	if (rc && ex.tmp)
		cw_remove_tree(ex.tmp);
	free(ex.tmp);
	free(ex.last_service);
	cw_buf_release(&ex.text);
	free(parent);
	free(base);
	return rc;
}
