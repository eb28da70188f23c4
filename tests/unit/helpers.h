/*
 * helpers: what the unit tests share: where their data is, reading a
 * file whole, the folders of the real corpus, and the group setup of
 * tests that share one object loaded from the data folder. Linked into
 * every unit test executable; not thread-safe (the returned paths are
 * static).
 */
#ifndef CW_TESTS_HELPERS_H
#define CW_TESTS_HELPERS_H

#include <stddef.h>

#include "util/util.h"

/* The number of elements of the array `a` */
#define CW_TEST_LEN(a) (sizeof(a) / sizeof(*(a)))

/*
 * The folders the tests read, from the environment tests/meson.build
 * sets, else below $CW_SOURCE_ROOT (else the source root compiled in):
 *   shared  $CW_SHARED     ../shared  (the real corpus and labels)
 *   tests   $CW_TESTS      tests      (golden files in tests/data)
 *   data    $CW_DATA_DIR   data       (the data files we ship)
 * The strings are static and stay valid until the program ends.
 */
const char *cw_test_shared_dir(void);
const char *cw_test_tests_dir(void);
const char *cw_test_data_dir(void);

/*
 * The folder `rel` below the shared folder, for the caller to free(); NULL
 * when there is no such folder (the test skips).
 */
char *cw_test_shared_folder(const char *rel);

/*
 * The whole file at `path` (at most 256 MiB), NUL-terminated, its length
 * in *len unless `len` is NULL. Free with free(). NULL when it cannot be
 * read.
 */
char *cw_test_read(const char *path, size_t *len);

/*
 * Read the file `rel` below the shared folder into `out` (at most 16 MiB).
 * False, with a line "skipped: PATH not found" on stderr, when it cannot
 * be read (the test skips).
 */
bool cw_test_read_shared(struct cw_buf *out, const char *rel);

struct cw_segmentation;

/*
 * Read the file `rel` below the shared folder into `text` (initialised
 * here) and segment it into `*seg` (NULL until then), asserting that the
 * segmentation succeeds. False, with the line of cw_test_read_shared(),
 * when the file cannot be read. In helpers_segment.c: only for test
 * executables linked with the segment module.
 */
bool cw_test_read_segmented(struct cw_buf *text, struct cw_segmentation **seg,
			    const char *rel);

/*
 * Append the corpus version `name` of document `doc` ("Service/Type", in
 * corpus/versions of the shared folder) to `out`, at most `max` bytes;
 * cw_file_read()'s result.
 */
int cw_test_read_version(struct cw_buf *out, const char *doc, const char *name,
			 size_t max);

/*
 * The folder `sub` below the data folder (the data folder itself when
 * `sub` is ""), in a static buffer that the next call overwrites.
 */
const char *cw_test_data_subdir(const char *sub);

/*
 * The end of a group setup that loaded something: returns `rc`, after a
 * line "`what`: <err's message>" on stderr when `rc` is not 0.
 */
int cw_test_setup_result(int rc, const char *what, const struct cw_err *err);

/*
 * Define setup() and teardown() for cmocka_run_group_tests when the tests
 * share one object `var` read from the data folder: setup() runs
 * `load(&var, <data>/<sub>, &err)` and fails, with a line
 * "`what`: <message>" on stderr, when the load fails; teardown() runs
 * `release(var)`.
 */
#define CW_TEST_DATA_FIXTURE(var, load, release, sub, what)                    \
	static int setup(void **state)                                         \
	{                                                                      \
		struct cw_err err_ = CW_ERR_INIT;                              \
		(void)state;                                                   \
		return cw_test_setup_result(                                   \
			load(&(var), cw_test_data_subdir(sub), &err_), (what), \
			&err_);                                                \
	}                                                                      \
	static int teardown(void **state)                                      \
	{                                                                      \
		(void)state;                                                   \
		release(var);                                                  \
		return 0;                                                      \
	}

/*
 * Append to `out` "A/B" for every folder `root`/A/B (the corpus keeps
 * service/document-type folders this way), skipping names that start
 * with a dot, in sorted order. Returns false when `root` cannot be opened.
 */
bool cw_test_list_docs(struct cw_strv *out, const char *root);

#endif
