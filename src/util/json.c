/*
 * util/json: the validated readers of json.h. Messages follow one pattern,
 * "'FILE': PATH.KEY: what was wrong", so a person editing a data file finds
 * the field at once.
 */
#include "json.h"

const char *cw_json_type_name(const json_t *v)
{
	if (!v)
		return "nothing";
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

/* The separator between the path and the key: none at the top. */
static const char *sep(const struct cw_json_where *w)
{
	return w->path[0] ? "." : "";
}

int cw_json_parse(json_t **out, const char *text, size_t len, const char *name,
		  struct cw_err *err)
{
	json_error_t je;

	*out = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &je);
	if (!*out)
		return cw_err_set(err, CW_EPARSE, "'%s':%d:%d: %s", name,
				  je.line, je.column, je.text);
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return cw_err_set(err, CW_EPARSE,
				  "'%s': expected an object at the top", name);
	}
	return CW_OK;
}

int cw_json_load(json_t **out, const char *path, size_t max, struct cw_err *err)
{
	struct cw_buf b = CW_BUF_INIT;
	int rc;

	*out = NULL;
	rc = cw_file_read(&b, path, max, err);
	if (!rc)
		rc = cw_json_parse(out, b.ptr, b.len, path, err);
	cw_buf_release(&b);
	return rc;
}

int cw_json_keys(json_t *obj, const char *const *allowed,
		 const struct cw_json_where *w, struct cw_err *err)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		bool ok = false;

		for (size_t i = 0; allowed[i]; i++)
			if (!strcmp(key, allowed[i])) {
				ok = true;
				break;
			}
		if (!ok)
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s%s%s: unknown field",
					  w->file, w->path, sep(w), key);
	}
	return CW_OK;
}

/*
 * obj[key] in *v, checked to be of `type` (a jansson type; JSON_REAL
 * accepts integers too, JSON_TRUE accepts both booleans). Returns CW_OK
 * with *v NULL for a missing optional key.
 */
static int get(json_t **v, json_t *obj, const char *key, bool required,
	       int type, const char *what, const struct cw_json_where *w,
	       struct cw_err *err)
{
	bool ok;

	*v = json_object_get(obj, key);
	if (!*v) {
		if (!required)
			return CW_OK;
		return cw_err_set(err, CW_EPARSE, "'%s': %s%s%s: missing",
				  w->file, w->path, sep(w), key);
	}
	if (type == JSON_REAL)
		ok = json_is_number(*v);
	else if (type == JSON_TRUE)
		ok = json_is_boolean(*v);
	else
		ok = (int)json_typeof(*v) == type;
	if (!ok)
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s%s%s: expected %s, got %s", w->file,
				  w->path, sep(w), key, what,
				  cw_json_type_name(*v));
	return CW_OK;
}

int cw_json_str(char **out, json_t *obj, const char *key, bool required,
		const struct cw_json_where *w, struct cw_err *err)
{
	json_t *v;
	int rc;

	*out = NULL;
	rc = get(&v, obj, key, required, JSON_STRING, "a string", w, err);
	if (rc || !v)
		return rc;
	if (json_string_length(v) == 0)
		return cw_err_set(err, CW_EPARSE, "'%s': %s%s%s: empty string",
				  w->file, w->path, sep(w), key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s%s%s: NUL byte in string", w->file,
				  w->path, sep(w), key);
	*out = cw_strdup(json_string_value(v));
	return CW_OK;
}

/* A real calendar date in YYYY-MM-DD form. */
static bool valid_date(const char *s)
{
	time_t t;
	char back[CW_TIME_ISO];

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	if (cw_time_parse_iso(s, &t) != CW_OK)
		return false;
	/* the round trip rejects 2023-02-30 and the like */
	cw_time_iso(t, back);
	return !strncmp(back, s, 10);
}

int cw_json_date(char **out, json_t *obj, const char *key,
		 const struct cw_json_where *w, struct cw_err *err)
{
	int rc = cw_json_str(out, obj, key, false, w, err);

	if (rc || !*out)
		return rc;
	if (!valid_date(*out)) {
		rc = cw_err_set(err, CW_EPARSE,
				"'%s': %s%s%s: expected a date YYYY-MM-DD, "
				"got '%s'",
				w->file, w->path, sep(w), key, *out);
		free(*out);
		*out = NULL;
	}
	return rc;
}

int cw_json_arr(json_t **out, json_t *obj, const char *key, bool required,
		size_t max, const struct cw_json_where *w, struct cw_err *err)
{
	int rc = get(out, obj, key, required, JSON_ARRAY, "an array", w, err);

	if (rc) {
		*out = NULL;
		return rc;
	}
	if (*out && json_array_size(*out) > max) {
		*out = NULL;
		return cw_err_set(err, CW_ETOOBIG,
				  "'%s': %s%s%s: more than %zu items", w->file,
				  w->path, sep(w), key, max);
	}
	return CW_OK;
}

void cw_json_free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int cw_json_strs(char ***out, size_t *n, json_t *obj, const char *key,
		 bool required, size_t max, const struct cw_json_where *w,
		 struct cw_err *err)
{
	json_t *arr, *v;
	size_t i;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = cw_json_arr(&arr, obj, key, required, max, w, err)))
		return rc;
	if (!arr)
		return CW_OK;
	if (required && json_array_size(arr) == 0)
		return cw_err_set(err, CW_EPARSE, "'%s': %s%s%s: empty list",
				  w->file, w->path, sep(w), key);
	*out = cw_calloc(json_array_size(arr) + 1, sizeof(char *));
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			cw_json_free_strs(*out, *n);
			*out = NULL;
			*n = 0;
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s%s%s[%zu]: expected a "
					  "non-empty string",
					  w->file, w->path, sep(w), key, i);
		}
		(*out)[(*n)++] = cw_strdup(json_string_value(v));
	}
	return CW_OK;
}

int cw_json_obj(json_t **out, json_t *obj, const char *key, bool required,
		const struct cw_json_where *w, struct cw_err *err)
{
	int rc = get(out, obj, key, required, JSON_OBJECT, "an object", w, err);

	if (rc)
		*out = NULL;
	return rc;
}

int cw_json_bool(bool *out, json_t *obj, const char *key, bool required,
		 const struct cw_json_where *w, struct cw_err *err)
{
	json_t *v;
	int rc = get(&v, obj, key, required, JSON_TRUE, "a boolean", w, err);

	if (!rc && v)
		*out = json_is_true(v);
	return rc;
}

int cw_json_int(long long *out, json_t *obj, const char *key, bool required,
		long long min, long long max, const struct cw_json_where *w,
		struct cw_err *err)
{
	json_t *v;
	int rc =
		get(&v, obj, key, required, JSON_INTEGER, "an integer", w, err);

	if (rc || !v)
		return rc;
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s%s%s: %lld is outside [%lld, %lld]",
				  w->file, w->path, sep(w), key,
				  (long long)json_integer_value(v), min, max);
	*out = json_integer_value(v);
	return CW_OK;
}

int cw_json_num(double *out, json_t *obj, const char *key, bool required,
		double min, double max, const struct cw_json_where *w,
		struct cw_err *err)
{
	json_t *v;
	int rc = get(&v, obj, key, required, JSON_REAL, "a number", w, err);
	double x;

	if (rc || !v)
		return rc;
	x = json_number_value(v);
	if (!(x >= min && x <= max))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s%s%s: %g is outside [%g, %g]",
				  w->file, w->path, sep(w), key, x, min, max);
	*out = x;
	return CW_OK;
}

json_t *cw_json_textn(const char *s, size_t len)
{
	struct cw_buf b = CW_BUF_INIT;
	json_t *j;

	if (!s)
		return json_null();
	if (cw_utf8_valid(s, len))
		return json_stringn(s, len);
	/* each invalid byte becomes U+FFFD, three bytes */
	cw_buf_init(&b, 3 * len + 1);
	cw_utf8_sanitize(&b, s, len);
	j = json_stringn(cw_buf_str(&b), b.len);
	cw_buf_release(&b);
	return j;
}

json_t *cw_json_text(const char *s)
{
	return cw_json_textn(s, s ? strlen(s) : 0);
}
