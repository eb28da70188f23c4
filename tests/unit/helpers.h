/*
 * helpers: what the unit tests share: where their data is, reading a
 * file whole, and the folders of the real corpus. Linked into every unit
 * test executable; not thread-safe (the returned paths are static).
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
 * Append to `out` "A/B" for every folder `root`/A/B (the corpus keeps
 * service/document-type folders this way), skipping names that start
 * with a dot, in sorted order. Returns false when `root` cannot be opened.
 */
bool cw_test_list_docs(struct cw_strv *out, const char *root);

#endif
