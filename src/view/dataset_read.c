/*
 * dataset_read: an Open Terms Archive dataset read from a folder or a
 * ZIP file (view.h, "Open Terms Archive datasets").
 *
 * Both kinds go through one path. First every entry is listed with its
 * path inside the dataset (a folder by walking it, a ZIP by libarchive's
 * reader of the central directory, whose data is copied to an unlinked
 * temporary file as it is read); then the paths are checked and the top
 * folder found (layout()); then the versions are sorted. Reading an
 * entry afterwards is a file read or a read of the temporary copy.
 *
 * Why a copy of a ZIP's data: the versions of a document must be
 * recorded oldest first, and a ZIP need not hold them in that order (OTA
 * writes them in the order of its history, documents interleaved), while
 * libarchive reads entries in archive order only. The copy also means a
 * damaged entry (a bad CRC, data cut short) is found before any version
 * is recorded. Only the seekable ZIP reader is enabled: it starts from
 * the central directory at the end of the file, so a ZIP cut short is
 * refused at once rather than read up to where it was cut.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "view.h"

/* Folders nested deeper than this are refused: a dataset needs 3 levels
 * and a top folder or two; a link loop stops here. */
#define WALK_MAX_DEPTH 8

/* An entry as listed, before the layout is read. */
struct raw {
	char *rel;    /* its path in the dataset, as written */
	char *file;   /* a folder's file: its path; NULL for a ZIP entry */
	int64_t off;  /* a ZIP entry: where its bytes are in the copy */
	int64_t size; /* its bytes */
	size_t order; /* its place in the listing (archive order) */
	/* set by layout(): */
	char *norm;	 /* rel without "." or empty components */
	const char *cur; /* norm past the top folders */
	int depth;	 /* components from cur */
};

struct item {
	struct cw_view_dataset_entry pub;
	char *service, *type, *name;
	const char *file; /* borrowed from its raw */
	int64_t off;
	size_t order;
};

struct cw_view_dataset {
	char *path;
	bool zip;
	struct raw *raws;
	size_t n_raws, cap_raws;
	struct item *items;
	size_t n, cap;
	struct cw_buf top; /* the folders stepped into, "a/b" */
	size_t hidden;
	int spool; /* the ZIP's data, unlinked; -1 */
	int64_t spooled;
};

static void add_raw(struct cw_view_dataset *d, char *rel, char *file,
		    int64_t off, int64_t size)
{
	struct raw *r;

	CW_GROW(d->raws, d->cap_raws, d->n_raws + 1);
	r = &d->raws[d->n_raws];
	memset(r, 0, sizeof(*r));
	r->rel = rel;
	r->file = file;
	r->off = off;
	r->size = size;
	r->order = d->n_raws++;
}

/* ---- a folder ---- */

static int walk(struct cw_view_dataset *d, const char *dir, const char *rel,
		int depth, struct cw_err *err)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort), rc = CW_OK;

	if (n < 0)
		return cw_err_set(err, CW_EIO, "'%s': %s", dir,
				  strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		char *full, *r;
		struct stat st;

		/* hidden names are passed over (".", "..", ".DS_Store") */
		if (rc || nm[0] == '.')
			continue;
		full = cw_asprintf("%s/%s", dir, nm);
		r = rel ? cw_asprintf("%s/%s", rel, nm) : cw_strdup(nm);
		if (stat(full, &st) != 0) {
			rc = cw_err_set(err, CW_EIO, "'%s': %s", full,
					strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			if (depth + 1 > WALK_MAX_DEPTH)
				rc = cw_err_set(err, CW_ETOOBIG,
						"'%s': folders nested deeper "
						"than %d levels",
						full, WALK_MAX_DEPTH);
			else
				rc = walk(d, full, r, depth + 1, err);
		} else if (!S_ISREG(st.st_mode)) {
			rc = cw_err_set(err, CW_EINVAL,
					"'%s': neither a file nor a folder",
					full);
		} else if (d->n_raws >= CW_VIEW_DATASET_ENTRIES_MAX) {
			rc = cw_err_set(err, CW_ETOOBIG,
					"'%s': more than %d files", d->path,
					CW_VIEW_DATASET_ENTRIES_MAX);
		} else {
			add_raw(d, r, full, -1, (int64_t)st.st_size);
			r = full = NULL;
		}
		free(full);
		free(r);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---- a ZIP ---- */

static int open_spool(struct cw_view_dataset *d, struct cw_err *err)
{
	const char *tmpdir = getenv("TMPDIR");
	char *tmpl = cw_asprintf("%s/clausewatch-dataset-XXXXXX",
				 tmpdir && *tmpdir ? tmpdir : "/tmp");
	int rc = CW_OK;

	d->spool = mkostemp(tmpl, O_CLOEXEC);
	if (d->spool < 0)
		rc = cw_err_set(err, CW_EIO, "'%s': %s", tmpl, strerror(errno));
	else
		unlink(tmpl); /* gone with the process, even on a crash */
	free(tmpl);
	return rc;
}

static int spool_write(struct cw_view_dataset *d, const char *entry,
		       const char *data, size_t len, struct cw_err *err)
{
	while (len) {
		ssize_t n = write(d->spool, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cw_err_set(err, CW_EIO,
					  "'%s': entry '%s': the temporary "
					  "copy: %s",
					  d->path, entry, strerror(errno));
		data += n;
		len -= (size_t)n;
		d->spooled += n;
	}
	return CW_OK;
}

/* The data of the current entry into the copy, within the caps. */
static int copy_entry(struct cw_view_dataset *d, struct archive *a,
		      const char *entry, int64_t *size, struct cw_err *err)
{
	char chunk[65536];

	*size = 0;
	for (;;) {
		la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
		int rc;

		if (n == 0)
			return CW_OK;
		if (n < 0)
			return cw_err_set(err, CW_EPARSE,
					  "'%s': entry '%s': %s", d->path,
					  entry, archive_error_string(a));
		*size += n;
		if (*size > (int64_t)CW_VIEW_DATASET_FILE_MAX)
			return cw_err_set(err, CW_ETOOBIG,
					  "'%s': entry '%s': over the %u byte "
					  "limit of a file",
					  d->path, entry,
					  CW_VIEW_DATASET_FILE_MAX);
		if (d->spooled + n > CW_VIEW_DATASET_TOTAL_MAX)
			return cw_err_set(err, CW_ETOOBIG,
					  "'%s': entry '%s': over the %lld "
					  "byte limit of a whole dataset",
					  d->path, entry,
					  (long long)CW_VIEW_DATASET_TOTAL_MAX);
		rc = spool_write(d, entry, chunk, (size_t)n, err);
		if (rc)
			return rc;
	}
}

static int read_zip(struct cw_view_dataset *d, struct cw_err *err)
{
	/*
	 * libarchive hands out names in the charset of the current locale,
	 * and ours is "C" (main never calls setlocale): a UTF-8 name such as
	 * "DALL·E" would have none. A UTF-8 locale for this thread while the
	 * archive is read (libarchive picks the charset up when it opens the
	 * archive) keeps every name as the ZIP wrote it.
	 */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t was = utf8 ? uselocale(utf8) : (locale_t)0;
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	int rc = open_spool(d, err);

	if (!rc)
		archive_read_support_format_zip_seekable(a);
	if (!rc && archive_read_open_filename(a, d->path, 65536) != ARCHIVE_OK)
		rc = cw_err_set(err, CW_EPARSE,
				"'%s': not a ZIP file, or one cut short (%s)",
				d->path, archive_error_string(a));
	while (!rc) {
		int r = archive_read_next_header(a, &e);
		const char *name;
		int64_t off = d->spooled, size = 0;

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': a damaged ZIP, after %zu "
					"entries: %s",
					d->path, d->n_raws,
					archive_error_string(a));
			break;
		}
		name = archive_entry_pathname_utf8(e);
		if (!name)
			name = archive_entry_pathname(e);
		if (!name || !*name) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': entry %zu has no name", d->path,
					d->n_raws + 1);
		} else if (archive_entry_filetype(e) == AE_IFDIR) {
			/* its path is checked with the files' (layout()) */
			add_raw(d, cw_strdup(name), NULL, -2, 0);
		} else if (archive_entry_filetype(e) != AE_IFREG) {
			rc = cw_err_set(err, CW_EINVAL,
					"'%s': entry '%s' is not a file",
					d->path, name);
		} else if (archive_entry_is_encrypted(e)) {
			rc = cw_err_set(err, CW_EUNSUPPORTED,
					"'%s': entry '%s' is encrypted",
					d->path, name);
		} else if (d->n_raws >= CW_VIEW_DATASET_ENTRIES_MAX) {
			rc = cw_err_set(err, CW_ETOOBIG,
					"'%s': more than %d entries", d->path,
					CW_VIEW_DATASET_ENTRIES_MAX);
		} else if (archive_entry_size_is_set(e) &&
			   archive_entry_size(e) >
				   (la_int64_t)CW_VIEW_DATASET_FILE_MAX) {
			/* refused before a byte is inflated */
			rc = cw_err_set(err, CW_ETOOBIG,
					"'%s': entry '%s': %lld bytes, over "
					"the %u byte limit of a file",
					d->path, name,
					(long long)archive_entry_size(e),
					CW_VIEW_DATASET_FILE_MAX);
		} else {
			rc = copy_entry(d, a, name, &size, err);
			if (!rc)
				add_raw(d, cw_strdup(name), NULL, off, size);
		}
	}
	if (archive_read_free(a) != ARCHIVE_OK && !rc)
		rc = cw_err_set(err, CW_EPARSE, "'%s': closing the ZIP",
				d->path);
	if (utf8) {
		uselocale(was);
		freelocale(utf8);
	}
	return rc;
}

/* ---- the layout ---- */

/* How an entry is named in messages: the file, or "ARCHIVE: ENTRY". */
static int entry_error(const struct cw_view_dataset *d, const struct raw *r,
		       int code, const char *why, struct cw_err *err)
{
	if (d->zip)
		return cw_err_set(err, code, "'%s': entry '%s': %s", d->path,
				  r->rel, why);
	return cw_err_set(err, code, "'%s': %s", r->file, why);
}

/*
 * Check a path and normalise it into r->norm: "." and empty components
 * dropped. An absolute path, a ".." anywhere and (in a ZIP, whose
 * separator is '/') a backslash are refused even in an entry that would
 * be passed over. Sets *skip for a hidden name or "__MACOSX".
 */
static int normalise(const struct cw_view_dataset *d, struct raw *r, bool *skip,
		     struct cw_err *err)
{
	struct cw_buf b = CW_BUF_INIT; /* no longer than r->rel */
	const char *p = r->rel;

	*skip = false;
	if (p[0] == '/')
		return entry_error(d, r, CW_EINVAL,
				   "an absolute path: a dataset's paths are "
				   "relative to it",
				   err);
	if (d->zip && strchr(p, '\\'))
		return entry_error(d, r, CW_EINVAL,
				   "a backslash in the path: ZIP paths "
				   "separate folders with '/'",
				   err);
	r->depth = 0;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			cw_buf_release(&b);
			return entry_error(d, r, CW_EINVAL,
					   "a '..' component leads out of "
					   "the dataset",
					   err);
		}
		if (n && !(n == 1 && p[0] == '.')) {
			if (p[0] == '.' || (r->depth == 0 && n == 8 &&
					    !memcmp(p, "__MACOSX", 8)))
				*skip = true;
			if (b.len)
				cw_buf_addc(&b, '/');
			cw_buf_add(&b, p, n);
			r->depth++;
		}
		p += n + (slash ? 1 : 0);
	}
	r->norm = cw_buf_detach(&b, NULL);
	r->cur = r->norm;
	if (r->depth == 0)
		*skip = true;
	return CW_OK;
}

/* Whether a file at depth 3 is named as a version: then it lies where
 * versions lie, and the current level is the dataset's top. */
static bool a_version_here(const struct raw *r)
{
	char at[CW_TIME_ISO];

	return r->depth == 3 &&
	       !cw_view_dataset_name_time(strrchr(r->cur, '/') + 1, at);
}

/* Step into one top folder while every file lies under it, some deeper
 * than SERVICE/TYPE/NAME and none named as a version at that depth (a
 * stray file there is reported as misplaced afterwards, not taken for
 * the sign that there is no top). */
static void find_top(struct cw_view_dataset *d, struct raw **files, size_t n)
{
	while (n) {
		const char *first = files[0]->cur;
		size_t len = strcspn(first, "/");
		bool one = true, deeper = false;

		for (size_t i = 0; i < n && one; i++) {
			const struct raw *r = files[i];

			one = r->depth >= 2 && !a_version_here(r) &&
			      !strncmp(r->cur, first, len) &&
			      r->cur[len] == '/';
			deeper |= r->depth > 3;
		}
		if (!one || !deeper)
			return;
		if (d->top.len)
			cw_buf_addc(&d->top, '/');
		cw_buf_add(&d->top, first, len);
		for (size_t i = 0; i < n; i++) {
			files[i]->cur += len + 1;
			files[i]->depth--;
		}
	}
}

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = strcmp(x->service, y->service);

	if (!c)
		c = strcmp(x->type, y->type);
	if (!c)
		c = strcmp(x->pub.at, y->pub.at);
	if (!c)
		c = x->order < y->order ? -1 : x->order > y->order;
	return c;
}

static int add_item(struct cw_view_dataset *d, const struct raw *r,
		    struct cw_err *err)
{
	const char *s = r->cur, *t = strchr(s, '/') + 1;
	const char *nm = strchr(t, '/') + 1;
	struct item *it;
	char at[CW_TIME_ISO];

	if (cw_view_dataset_name_time(nm, at))
		return entry_error(d, r, CW_EINVAL,
				   "the file name is not a version's date "
				   "(YYYY-MM-DDTHH-MM-SSZ.md, YYYY-MM-DD.md or "
				   "YYYY-MM-DD-N.md)",
				   err);
	if (r->size > (int64_t)CW_VIEW_DATASET_FILE_MAX)
		return entry_error(d, r, CW_ETOOBIG,
				   "over the byte limit of a file (64 MiB)",
				   err);
	CW_GROW(d->items, d->cap, d->n + 1);
	it = &d->items[d->n++];
	memset(it, 0, sizeof(*it));
	it->service = cw_strndup(s, (size_t)(t - 1 - s));
	it->type = cw_strndup(t, (size_t)(nm - 1 - t));
	it->name = d->zip ? cw_asprintf("%s:%s", d->path, r->rel)
			  : cw_strdup(r->file);
	memcpy(it->pub.at, at, sizeof(at));
	it->pub.service = it->service;
	it->pub.type = it->type;
	it->pub.name = it->name;
	it->pub.size = r->size;
	it->file = r->file;
	it->off = r->off;
	it->order = r->order;
	return CW_OK;
}

/* Paths checked, the top found, the versions listed and sorted. */
static int layout(struct cw_view_dataset *d, struct cw_err *err)
{
	struct raw **files = cw_calloc(d->n_raws + 1, sizeof(*files));
	size_t nf = 0, keep = 0;
	int rc = CW_OK;

	for (size_t i = 0; !rc && i < d->n_raws; i++) {
		bool skip;

		rc = normalise(d, &d->raws[i], &skip, err);
		/* folders of a ZIP (off -2) count for their paths only */
		if (!rc && !skip && d->raws[i].off != -2)
			files[nf++] = &d->raws[i];
	}
	if (!rc)
		find_top(d, files, nf);
	for (size_t i = 0; !rc && i < nf; i++) {
		const struct raw *r = files[i];

		if (r->depth == 1)
			continue; /* README.md, LICENSE: not versions */
		if (r->depth != 3)
			rc = entry_error(d, r, CW_EINVAL,
					 "not where a version lies: "
					 "SERVICE/TYPE/DATE.md under the "
					 "dataset's top",
					 err);
		else
			rc = add_item(d, r, err);
	}
	free(files);
	if (rc || d->n == 0)
		return rc; /* and qsort() is not given NULL */
	qsort(d->items, d->n, sizeof(*d->items), item_cmp);
	/*
	 * One time twice in a document: one path named twice in a ZIP (the
	 * later entry stands, as unpacking keeps it), or two names that mean
	 * the same time ("2024-03-01.md", "2024-03-01T00-00-00Z.md"): an
	 * error, reported once the list is whole again (every item owned
	 * once).
	 */
	for (size_t i = 1; i < d->n; i++) {
		struct item *a = &d->items[keep], *b = &d->items[i];

		if (strcmp(a->service, b->service) ||
		    strcmp(a->type, b->type) || strcmp(a->pub.at, b->pub.at) ||
		    (strcmp(a->name, b->name) && rc)) {
			d->items[++keep] = *b;
		} else if (strcmp(a->name, b->name)) {
			rc = cw_err_set(err, CW_EINVAL,
					"'%s' and '%s' name the same time, %s",
					a->name, b->name, a->pub.at);
			d->items[++keep] = *b;
		} else {
			free(a->service);
			free(a->type);
			free(a->name);
			*a = *b; /* b is later in the archive */
			d->hidden++;
		}
	}
	d->n = keep + 1;
	return rc;
}

/* ---- the interface ---- */

int cw_view_dataset_open(struct cw_view_dataset **out, const char *path,
			 struct cw_err *err)
{
	struct cw_view_dataset *d;
	struct stat st;
	int rc;

	*out = NULL;
	if (stat(path, &st) != 0)
		return cw_err_set(err, errno == ENOENT ? CW_ENOTFOUND : CW_EIO,
				  "'%s': %s", path,
				  errno == ENOENT ? "no such file or folder"
						  : strerror(errno));
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return cw_err_set(err, CW_EINVAL,
				  "'%s': neither a folder nor a ZIP file",
				  path);
	d = cw_calloc(1, sizeof(*d));
	d->path = cw_strdup(path);
	d->zip = !S_ISDIR(st.st_mode);
	d->spool = -1;
	cw_buf_init(&d->top, 0);
	rc = d->zip ? read_zip(d, err) : walk(d, path, NULL, 0, err);
	if (!rc)
		rc = layout(d, err);
	if (rc) {
		cw_view_dataset_free(d);
		return rc;
	}
	*out = d;
	return CW_OK;
}

void cw_view_dataset_free(struct cw_view_dataset *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].service);
		free(d->items[i].type);
		free(d->items[i].name);
	}
	for (size_t i = 0; i < d->n_raws; i++) {
		free(d->raws[i].rel);
		free(d->raws[i].file);
		free(d->raws[i].norm);
	}
	/* an unlinked copy that was only read: nothing to lose */
	if (d->spool >= 0)
		close(d->spool);
	cw_buf_release(&d->top);
	free(d->items);
	free(d->raws);
	free(d->path);
	free(d);
}

size_t cw_view_dataset_count(const struct cw_view_dataset *d)
{
	return d->n;
}

const char *cw_view_dataset_top(const struct cw_view_dataset *d)
{
	return cw_buf_str(&d->top);
}

size_t cw_view_dataset_hidden(const struct cw_view_dataset *d)
{
	return d->hidden;
}

const struct cw_view_dataset_entry *
cw_view_dataset_entry(const struct cw_view_dataset *d, size_t i)
{
	CW_ASSERT(i < d->n);
	return &d->items[i].pub;
}

int cw_view_dataset_read(struct cw_view_dataset *d, size_t i,
			 struct cw_buf *out, struct cw_err *err)
{
	const struct item *it;
	char chunk[65536];
	int64_t left, off;

	CW_ASSERT(i < d->n);
	it = &d->items[i];
	left = it->pub.size;
	off = it->off;
	if (it->file)
		return cw_file_read(out, it->file, CW_VIEW_DATASET_FILE_MAX,
				    err);
	/* the copy holds what copy_entry() counted, within the caps */
	while (left > 0) {
		size_t want = left < (int64_t)sizeof(chunk) ? (size_t)left
							    : sizeof(chunk);
		ssize_t n = pread(d->spool, chunk, want, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cw_err_set(
				err, CW_EIO, "'%s': the temporary copy: %s",
				it->name,
				n < 0 ? strerror(errno) : "cut short");
		if (cw_buf_add(out, chunk, (size_t)n))
			return cw_err_set(err, CW_ETOOBIG,
					  "'%s': over the buffer limit",
					  it->name);
		off += n;
		left -= n;
	}
	return CW_OK;
}
