#ifndef CW_UTIL_JSON_H
#define CW_UTIL_JSON_H
/*
 * util/json: validated readers of JSON fields, over jansson.
 *
 * Our data files (taxonomy, regulations, noise rules, fact patterns,
 * settings) are JSON that a person edits. A bad edit must fail at load with
 * a message naming the file and the field, never later with a wrong
 * result. Each reader below takes the object, the key, whether the key is
 * required, and a `struct cw_json_where` naming the file and the JSON path
 * of the object, and fails with CW_EPARSE (CW_ETOOBIG past a count limit)
 * and a message of the form
 *
 *   'data/taxonomy/x.json': categories[3].exposure: expected a string, got an integer
 *
 * A missing optional key is not an error: the reader leaves its default
 * (NULL, 0, or *out untouched as each function says).
 *
 * Thread safety: all functions are reentrant; they keep no state.
 */
#include <jansson.h>

#include "util.h"

/* Where a reader is: the file and the JSON path of the object read. */
struct cw_json_where {
	const char *file; /* named in messages */
	const char *path; /* "categories[3]"; "" for the top-level object */
};

/*
 * A JSON string of s[0..len) (NULL: null); invalid UTF-8 becomes U+FFFD,
 * so stored text or a file name never makes a NULL value. New reference.
 */
json_t *cw_json_textn(const char *s, size_t len);
json_t *cw_json_text(const char *s);

/* "an object", "a string", ... for messages. Never NULL. */
const char *cw_json_type_name(const json_t *v);

/*
 * Parse the file at `path` (at most `max` bytes, duplicate keys rejected)
 * into *out, which must be an object at the top.
 *
 * out  [out] new reference, json_decref() it; NULL on failure
 * Returns CW_OK, CW_ENOTFOUND, CW_EIO, CW_ETOOBIG or CW_EPARSE (with the
 * line and column of a syntax error).
 */
int cw_json_load(json_t **out, const char *path, size_t max,
		 struct cw_err *err);

/*
 * Parse text[0..len) as above; `name` stands for the text in messages (a
 * file name, or "rules" for text handed over by a caller).
 */
int cw_json_parse(json_t **out, const char *text, size_t len, const char *name,
		  struct cw_err *err);

/* Fail on a key of `obj` that is not in the NULL-terminated `allowed`. */
int cw_json_keys(json_t *obj, const char *const *allowed,
		 const struct cw_json_where *w, struct cw_err *err);

/*
 * obj[key] as a non-empty string without NUL bytes.
 * out  [out] a copy, free() it; NULL when an optional key is missing or on
 *      failure
 */
int cw_json_str(char **out, json_t *obj, const char *key, bool required,
		const struct cw_json_where *w, struct cw_err *err);

/*
 * obj[key] as a "YYYY-MM-DD" calendar date (optional; 2023-02-30 fails).
 * out  [out] a copy, free() it; NULL when missing or on failure
 */
int cw_json_date(char **out, json_t *obj, const char *key,
		 const struct cw_json_where *w, struct cw_err *err);

/*
 * obj[key] as an array of at most `max` items.
 * out  [out] borrowed from obj; NULL when an optional key is missing
 */
int cw_json_arr(json_t **out, json_t *obj, const char *key, bool required,
		size_t max, const struct cw_json_where *w, struct cw_err *err);

/*
 * obj[key] as an array of at most `max` non-empty strings; a required
 * array must not be empty.
 * out  [out] a NULL-terminated vector of copies, free with
 *      cw_json_free_strs(); NULL (and *n 0) when an optional key is
 *      missing or on failure
 */
int cw_json_strs(char ***out, size_t *n, json_t *obj, const char *key,
		 bool required, size_t max, const struct cw_json_where *w,
		 struct cw_err *err);
void cw_json_free_strs(char **v, size_t n);

/*
 * obj[key] as an object.
 * out  [out] borrowed from obj; NULL when an optional key is missing
 */
int cw_json_obj(json_t **out, json_t *obj, const char *key, bool required,
		const struct cw_json_where *w, struct cw_err *err);

/* obj[key] as true or false; *out is left as it is when optional and
 * missing. */
int cw_json_bool(bool *out, json_t *obj, const char *key, bool required,
		 const struct cw_json_where *w, struct cw_err *err);

/* obj[key] as an integer in [min, max]; *out is left as it is when
 * optional and missing. */
int cw_json_int(long long *out, json_t *obj, const char *key, bool required,
		long long min, long long max, const struct cw_json_where *w,
		struct cw_err *err);

/* obj[key] as a number (integer or real) in [min, max]; *out is left as
 * it is when optional and missing. */
int cw_json_num(double *out, json_t *obj, const char *key, bool required,
		double min, double max, const struct cw_json_where *w,
		struct cw_err *err);

#endif
