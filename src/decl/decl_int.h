#ifndef CW_DECL_INT_H
#define CW_DECL_INT_H
/*
 * decl_int: what the files of the declaration module share and the rest
 * of the program does not see (SQLite's btreeInt.h beside btree.h): the
 * caps that the reader and the validator hold to alike.
 */
#include <jansson.h>

#include "decl.h"

/* Largest declaration file: the largest real one (with its history) is
 * about 40 KiB; 4 MiB leaves room without letting a stray file in. */
#define MAX_FILE (4u << 20)
/* Deepest nesting of JSON values: a declaration needs 6 levels
 * (terms, type, combine, source, select, range). */
#define MAX_DEPTH 16

/* Depth of `v`, counted up to `cap` (so hostile nesting costs little). */
int cw_decl_json_depth(json_t *v, int cap);

/*
 * A JSON path as messages name it ("terms.Privacy Policy.combine[1]"):
 * append ".key" (no dot at the start) or "[i]" to path[size], cut short
 * if it would not fit. Returns the old length, to cut back to.
 */
size_t cw_decl_path_key(char *path, size_t size, const char *key);
size_t cw_decl_path_index(char *path, size_t size, size_t i);

#endif
