/*
 * helpers: paths, whole-file reads, corpus folders and the end of a group
 * setup for the unit tests (see helpers.h).
 */
#include <dirent.h>

#include "helpers.h"

#ifndef CW_SOURCE_ROOT
#define CW_SOURCE_ROOT "."
#endif

static const char *env_dir(char *buf, size_t n, const char *var,
			   const char *rel)
{
	const char *v = getenv(var);
	const char *root = getenv("CW_SOURCE_ROOT");

	if (v && *v)
		return v;
	if (!buf[0])
		snprintf(buf, n, "%s/%s", root && *root ? root : CW_SOURCE_ROOT,
			 rel);
	return buf;
}

const char *cw_test_shared_dir(void)
{
	static char buf[4096];

	return env_dir(buf, sizeof(buf), "CW_SHARED", "../shared");
}

const char *cw_test_tests_dir(void)
{
	static char buf[4096];

	return env_dir(buf, sizeof(buf), "CW_TESTS", "tests");
}

const char *cw_test_data_dir(void)
{
	static char buf[4096];

	return env_dir(buf, sizeof(buf), "CW_DATA_DIR", "data");
}

char *cw_test_shared_folder(const char *rel)
{
	char *path = cw_asprintf("%s/%s", cw_test_shared_dir(), rel);

	if (cw_dir_exists(path))
		return path;
	free(path);
	return NULL;
}

char *cw_test_read(const char *path, size_t *len)
{
	struct cw_buf b = CW_BUF_INIT;

	if (cw_file_read(&b, path, 256u << 20, NULL)) {
		cw_buf_release(&b);
		return NULL;
	}
	return cw_buf_detach(&b, len);
}

bool cw_test_read_shared(struct cw_buf *out, const char *rel)
{
	struct cw_err err = CW_ERR_INIT;
	char *path = cw_asprintf("%s/%s", cw_test_shared_dir(), rel);
	bool ok = cw_file_read(out, path, 1u << 24, &err) == CW_OK;

	if (!ok)
		fprintf(stderr, "skipped: %s not found\n", path);
	free(path);
	return ok;
}

int cw_test_read_version(struct cw_buf *out, const char *doc, const char *name,
			 size_t max)
{
	struct cw_err err = CW_ERR_INIT;
	char *path = cw_asprintf("%s/corpus/versions/%s/%s",
				 cw_test_shared_dir(), doc, name);
	int rc = cw_file_read(out, path, max, &err);

	free(path);
	return rc;
}

const char *cw_test_data_subdir(const char *sub)
{
	static char buf[8200];

	snprintf(buf, sizeof(buf), "%s%s%s", cw_test_data_dir(),
		 *sub ? "/" : "", sub);
	return buf;
}

int cw_test_setup_result(int rc, const char *what, const struct cw_err *err)
{
	if (rc)
		fprintf(stderr, "%s: %s\n", what, err->msg);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool cw_test_list_docs(struct cw_strv *out, const char *root)
{
	DIR *d = opendir(root);
	struct dirent *e;
	size_t first = out->n;

	if (!d)
		return false;
	while ((e = readdir(d))) {
		char *sub;
		DIR *d2;
		struct dirent *e2;

		if (e->d_name[0] == '.')
			continue;
		sub = cw_asprintf("%s/%s", root, e->d_name);
		d2 = opendir(sub);
		free(sub);
		if (!d2)
			continue;
		while ((e2 = readdir(d2)))
			if (e2->d_name[0] != '.')
				cw_strv_pushf(out, "%s/%s", e->d_name,
					      e2->d_name);
		closedir(d2);
	}
	closedir(d);
	qsort(out->v + first, out->n - first, sizeof(char *), cmp_str);
	return true;
}
