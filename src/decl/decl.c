/*
 * decl: Open Terms Archive's declaration files, read as is (see
 * decl.h). The format is that of OTA's JSON schema
 * (scripts/declarations/validate/service.schema.js in
 * OpenTermsArchive/engine); where a real file strays from it in a way whose
 * meaning is clear, we read it and warn, so one odd file does not stop a
 * collection from loading.
 */
#include "decl.h"
#include "decl_int.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>

#define MAX_DOCS 256	 /* terms types in one file */
#define MAX_SOURCES 512	 /* pages of one combine; TikTok has a dozen */
#define MAX_ITEMS 512	 /* selectors, filters or parameters in one list */
#define MAX_HISTORY 4096 /* history entries of one service */
#define MAX_STRING 16384 /* one URL or selector, in bytes */

/* Where we are, for messages: the file and a JSON path. */
struct ctx {
	const char *file;
	struct cw_strv *warnings;
	struct cw_err *err;
	bool has_js; /* a .filters.js is beside the file */
	char path[512];
};

static int invalid(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int invalid(struct ctx *c, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return cw_err_set(c->err, CW_EINVAL, "'%s': %s: %s", c->file,
			  c->path[0] ? c->path : "(top level)", what);
}

static void warn(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void warn(struct ctx *c, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (!c->warnings)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	cw_strv_pushf(c->warnings, "'%s': %s: %s", c->file,
		      c->path[0] ? c->path : "(top level)", what);
}

/* Append ".key" or "[i]" to the path; returns the old length for pop(). */
size_t cw_decl_path_key(char *path, size_t size, const char *key)
{
	size_t len = strlen(path);
	snprintf(path + len, size - len, "%s%s", len ? "." : "", key);
	return len;
}

size_t cw_decl_path_index(char *path, size_t size, size_t i)
{
	size_t len = strlen(path);
	snprintf(path + len, size - len, "[%zu]", i);
	return len;
}

static size_t push_key(struct ctx *c, const char *key)
{
	return cw_decl_path_key(c->path, sizeof(c->path), key);
}

static size_t push_index(struct ctx *c, size_t i)
{
	return cw_decl_path_index(c->path, sizeof(c->path), i);
}

static void pop(struct ctx *c, size_t len)
{
	c->path[len] = 0;
}

/* ---- freeing ---- */

static void selectors_free(struct cw_decl_selector *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].css);
		free(v[i].start_before);
		free(v[i].start_after);
		free(v[i].end_before);
		free(v[i].end_after);
	}
	free(v);
}

static void filters_free(struct cw_decl_filter *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].param_json);
		cw_strv_release(&v[i].params);
	}
	free(v);
}

static void source_release(struct cw_decl_source *s)
{
	free(s->fetch);
	selectors_free(s->select, s->n_select);
	selectors_free(s->remove, s->n_remove);
	filters_free(s->filters, s->n_filters);
	memset(s, 0, sizeof(*s));
}

static void js_release(struct cw_decl_js *js)
{
	free(js->name);
	free(js->code);
	free(js->history);
	cw_strv_release(&js->dep_names);
	cw_strv_release(&js->dep_codes);
}

static void doc_release(struct cw_decl_doc *d)
{
	js_release(&d->js);
	for (size_t i = 0; i < d->n_sources; i++)
		source_release(&d->sources[i]);
	free(d->sources);
	free(d->type);
	memset(d, 0, sizeof(*d));
}

void cw_decl_service_free(struct cw_decl_service *svc)
{
	if (!svc)
		return;
	for (size_t i = 0; i < svc->n_docs; i++)
		doc_release(&svc->docs[i]);
	free(svc->docs);
	for (size_t i = 0; i < svc->n_history; i++)
		doc_release(&svc->history[i]);
	free(svc->history);
	free(svc->id);
	free(svc->name);
	free(svc->path);
	free(svc->imported_from);
	free(svc);
}

/* ---- values ---- */

/* A non-empty string of bounded length, copied to *out. */
static int get_string(struct ctx *c, json_t *v, char **out)
{
	if (!json_is_string(v))
		return invalid(c, "expected a string");
	size_t len = json_string_length(v);
	if (len == 0)
		return invalid(c, "empty string");
	if (len > MAX_STRING)
		return cw_err_set(c->err, CW_ETOOBIG,
				  "'%s': %s: string of %zu bytes, over %d",
				  c->file, c->path, len, MAX_STRING);
	*out = cw_strndup(json_string_value(v), len);
	return CW_OK;
}

int cw_decl_json_depth(json_t *v, int cap)
{
	size_t n = json_is_object(v)  ? json_object_size(v)
		   : json_is_array(v) ? json_array_size(v)
				      : 0;
	void *it = json_is_object(v) ? json_object_iter(v) : NULL;
	int d = 0;

	if (cap <= 0)
		return 1;
	for (size_t i = 0; i < n && d < cap; i++) {
		json_t *x = it ? json_object_iter_value(it)
			       : json_array_get(v, i);
		int e = cw_decl_json_depth(x, cap - 1);
		if (e > d)
			d = e;
		if (it)
			it = json_object_iter_next(v, it);
	}
	return d + 1;
}

/* A range object: exactly one start key and one end key. */
static int get_range(struct ctx *c, json_t *v, struct cw_decl_selector *s)
{
	const char *k;
	json_t *x;
	int rc;

	json_object_foreach(v, k, x)
	{
		char **slot = !strcmp(k, "startBefore")	 ? &s->start_before
			      : !strcmp(k, "startAfter") ? &s->start_after
			      : !strcmp(k, "endBefore")	 ? &s->end_before
			      : !strcmp(k, "endAfter")	 ? &s->end_after
							 : NULL;
		if (!slot)
			return invalid(c,
				       "unknown range key '%s' (expected "
				       "startBefore|startAfter and "
				       "endBefore|endAfter)",
				       k);
		size_t len = push_key(c, k);
		rc = get_string(c, x, slot);
		pop(c, len);
		if (rc)
			return rc;
	}
	if (!s->start_before == !s->start_after)
		return invalid(c, "a range needs exactly one of 'startBefore' "
				  "and 'startAfter'");
	if (!s->end_before == !s->end_after)
		return invalid(c, "a range needs exactly one of 'endBefore' "
				  "and 'endAfter'");
	return CW_OK;
}

static int get_selector(struct ctx *c, json_t *v, struct cw_decl_selector *s)
{
	if (json_is_string(v))
		return get_string(c, v, &s->css);
	if (json_is_object(v))
		return get_range(c, v, s);
	return invalid(c, "expected a CSS selector or a range object");
}

/* select or remove: a selector, a range or an array mixing them. */
static int get_selectors(struct ctx *c, json_t *v,
			 struct cw_decl_selector **out, size_t *n)
{
	struct cw_decl_selector *list = NULL;
	size_t count = json_is_array(v) ? json_array_size(v) : 1;
	int rc = CW_OK;

	if (count > MAX_ITEMS)
		return cw_err_set(c->err, CW_ETOOBIG,
				  "'%s': %s: %zu selectors, over %d", c->file,
				  c->path, count, MAX_ITEMS);
	list = cw_calloc(count ? count : 1, sizeof(*list));
	if (json_is_array(v)) {
		for (size_t i = 0; i < count && !rc; i++) {
			size_t len = push_index(c, i);
			rc = get_selector(c, json_array_get(v, i), &list[i]);
			pop(c, len);
		}
	} else {
		rc = get_selector(c, v, &list[0]);
	}
	if (rc) {
		selectors_free(list, count);
		return rc;
	}
	*out = list;
	*n = count;
	return CW_OK;
}

static int get_params(struct ctx *c, json_t *v, struct cw_strv *params)
{
	if (!json_is_array(v))
		return invalid(c, "expected an array of parameter names");
	if (json_array_size(v) > MAX_ITEMS)
		return cw_err_set(c->err, CW_ETOOBIG,
				  "'%s': %s: too many parameters", c->file,
				  c->path);
	for (size_t i = 0; i < json_array_size(v); i++) {
		char *s = NULL;
		size_t len = push_index(c, i);
		int rc = get_string(c, json_array_get(v, i), &s);
		pop(c, len);
		if (rc)
			return rc;
		cw_strv_take(params, s);
	}
	return CW_OK;
}

/* True if `v` is an array of strings (a list of parameter names). */
static bool is_name_list(json_t *v)
{
	if (!json_is_array(v))
		return false;
	for (size_t i = 0; i < json_array_size(v); i++)
		if (!json_is_string(json_array_get(v, i)))
			return false;
	return true;
}

/* filter: names, or one-key objects {name: [params]}. Only the built-in
 * removeQueryParams is ours to apply; the others are JavaScript functions
 * of the service's .filters.js, which we do not run. */
static int get_filters(struct ctx *c, json_t *v, struct cw_decl_filter **out,
		       size_t *n)
{
	struct cw_decl_filter *list = NULL;
	size_t count;
	int rc = CW_OK;

	if (!json_is_array(v))
		return invalid(c, "expected an array of filters");
	count = json_array_size(v);
	if (count > MAX_ITEMS)
		return cw_err_set(c->err, CW_ETOOBIG,
				  "'%s': %s: %zu filters, over %d", c->file,
				  c->path, count, MAX_ITEMS);
	list = cw_calloc(count ? count : 1, sizeof(*list));
	for (size_t i = 0; i < count && !rc; i++) {
		json_t *f = json_array_get(v, i);
		size_t len = push_index(c, i);
		if (json_is_string(f)) {
			rc = get_string(c, f, &list[i].name);
		} else if (json_is_object(f) && json_object_size(f) == 1) {
			const char *k =
				json_object_iter_key(json_object_iter(f));
			json_t *pv = json_object_get(f, k);
			list[i].name = cw_strdup(k);
			size_t l2 = push_key(c, k);
			/* OTA hands a JavaScript filter its options as any
			 * JSON value (GitLab's removeCloudflareEmailProtection
			 * takes an address, the validator's fixtures an
			 * object): kept as JSON for the filter runner, and as
			 * names when it is a list of strings. */
			list[i].param_json =
				json_dumps(pv, JSON_COMPACT | JSON_ENCODE_ANY);
			if (!strcmp(k, "removeQueryParams") || is_name_list(pv))
				rc = get_params(c, pv, &list[i].params);
			pop(c, l2);
		} else {
			rc = invalid(c, "expected a filter name or an object "
					"with one key");
		}
		if (!rc && strcmp(list[i].name, "removeQueryParams") != 0) {
			/* with a .filters.js, extract runs it (and says so
			 * when it cannot) */
			if (!c->has_js)
				warn(c,
				     "filter '%s' is a JavaScript filter of "
				     "Open Terms Archive, not applied: no "
				     ".filters.js beside the declaration",
				     list[i].name);
		} else if (!rc && !list[i].params.n)
			warn(c, "filter 'removeQueryParams' without parameter "
				"names does nothing");
		pop(c, len);
	}
	if (rc) {
		filters_free(list, count);
		return rc;
	}
	*out = list;
	*n = count;
	return CW_OK;
}

static int get_bool(struct ctx *c, json_t *v, int *out)
{
	if (!json_is_boolean(v))
		return invalid(c, "expected true or false");
	*out = json_is_true(v) ? 1 : 0;
	return CW_OK;
}

bool cw_decl_source_is_pdf(const struct cw_decl_source *src)
{
	/* OTA's schema: ^https?://.+.[pP][dD][fF](\?.+)?$ */
	if (!src || !src->fetch)
		return false;
	const char *q = strchr(src->fetch, '?');
	size_t len = q ? (size_t)(q - src->fetch) : strlen(src->fetch);
	return len >= 4 &&
	       !cw_strncasecmp_ascii(src->fetch + len - 4, ".pdf", 4);
}

/* A line terminator of JavaScript at s[0..): \n, \r, U+2028 or U+2029
 * (what a '.' of a JavaScript pattern does not match); its length in
 * bytes, or 0. */
static size_t js_line_break(const unsigned char *s)
{
	if (s[0] == '\n' || s[0] == '\r')
		return 1;
	if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))
		return 3;
	return 0;
}

bool cw_decl_url_is_pdf_pattern(const char *url)
{
	const unsigned char *rest;
	size_t len, chars = 0;

	if (!url)
		return false;
	if (cw_str_startswith(url, "https://"))
		rest = (const unsigned char *)url + 8;
	else if (cw_str_startswith(url, "http://"))
		rest = (const unsigned char *)url + 7;
	else
		return false;
	len = strlen((const char *)rest);
	for (size_t i = 0; i < len; i++)
		if (js_line_break(rest + i))
			return false;
	/* ".+." before "pdf": two characters at least (UTF-16 units, as
	 * JavaScript counts: a 4-byte UTF-8 sequence is two); then the end,
	 * or '?' and one character at least. */
	for (size_t k = 0; k + 3 <= len; k++) {
		if ((rest[k] & 0xc0) != 0x80)
			chars += rest[k] >= 0xf0 ? 2 : 1;
		if (chars < 3 ||
		    cw_strncasecmp_ascii((const char *)rest + k, "pdf", 3))
			continue;
		if (k + 3 == len || (rest[k + 3] == '?' && k + 4 < len))
			return true;
	}
	return false;
}

char *cw_decl_collection_dir(const char *dir)
{
	char *sub = cw_asprintf("%s/declarations", dir);

	if (cw_dir_exists(sub))
		return sub;
	free(sub);
	return cw_strdup(dir);
}

/* ---- sources and documents ---- */

/* Fields of a source, read from `obj` into `s`; `shared` is the key set a
 * combine source may carry (no `combine` itself). */
static int read_source_field(struct ctx *c, const char *k, json_t *x,
			     struct cw_decl_source *s, bool *known)
{
	size_t len = push_key(c, k);
	int rc = CW_OK;

	*known = true;
	if (!strcmp(k, "fetch")) {
		rc = get_string(c, x, &s->fetch);
		if (!rc && !cw_str_startswith(s->fetch, "https://") &&
		    !cw_str_startswith(s->fetch, "http://"))
			rc = invalid(c, "'%s' is not an http(s) URL", s->fetch);
	} else if (!strcmp(k, "select")) {
		rc = get_selectors(c, x, &s->select, &s->n_select);
	} else if (!strcmp(k, "remove")) {
		rc = get_selectors(c, x, &s->remove, &s->n_remove);
	} else if (!strcmp(k, "filter")) {
		rc = get_filters(c, x, &s->filters, &s->n_filters);
	} else if (!strcmp(k, "executeClientScripts")) {
		rc = get_bool(c, x, &s->execute_client_scripts);
	} else {
		*known = false;
	}
	pop(c, len);
	return rc;
}

static void copy_selectors(struct cw_decl_selector **out, size_t *n,
			   const struct cw_decl_selector *src, size_t count)
{
	*out = cw_calloc(count ? count : 1, sizeof(**out));
	*n = count;
	for (size_t i = 0; i < count; i++) {
		const struct cw_decl_selector *a = &src[i];
		struct cw_decl_selector *b = &(*out)[i];
		b->css = a->css ? cw_strdup(a->css) : NULL;
		b->start_before = a->start_before ? cw_strdup(a->start_before)
						  : NULL;
		b->start_after = a->start_after ? cw_strdup(a->start_after)
						: NULL;
		b->end_before = a->end_before ? cw_strdup(a->end_before) : NULL;
		b->end_after = a->end_after ? cw_strdup(a->end_after) : NULL;
	}
}

/* Give `s` the document-level defaults it does not set itself. */
static void apply_defaults(struct cw_decl_source *s,
			   const struct cw_decl_source *def, bool has_select,
			   bool has_remove, bool has_filter)
{
	if (!has_select && def->select)
		copy_selectors(&s->select, &s->n_select, def->select,
			       def->n_select);
	if (!has_remove && def->remove)
		copy_selectors(&s->remove, &s->n_remove, def->remove,
			       def->n_remove);
	if (!has_filter && def->filters) {
		s->filters = cw_calloc(def->n_filters, sizeof(*s->filters));
		s->n_filters = def->n_filters;
		for (size_t i = 0; i < def->n_filters; i++) {
			s->filters[i].name = cw_strdup(def->filters[i].name);
			if (def->filters[i].param_json)
				s->filters[i].param_json =
					cw_strdup(def->filters[i].param_json);
			for (size_t k = 0; k < def->filters[i].params.n; k++)
				cw_strv_push(&s->filters[i].params,
					     def->filters[i].params.v[k]);
		}
	}
	if (s->execute_client_scripts < 0)
		s->execute_client_scripts = def->execute_client_scripts;
}

/* Warnings about a source: `own_extract` says whether select or remove
 * were set on the source itself rather than inherited. */
static void check_source(struct ctx *c, const struct cw_decl_source *s,
			 bool own_extract)
{
	if (cw_decl_source_is_pdf(s)) {
		if (own_extract)
			warn(c, "'%s' is a PDF: select and remove do not apply",
			     s->fetch);
	} else if (!s->n_select) {
		warn(c, "no 'select' for '%s': the whole page will be kept",
		     s->fetch);
	}
}

/*
 * One DOC: a single source or a combine with shared defaults. In history,
 * `valid_until` reads the entry's validUntil.
 */
static int read_doc(struct ctx *c, const char *type, json_t *v,
		    struct cw_decl_doc *doc, bool history)
{
	struct cw_decl_source def = { .execute_client_scripts = -1 };
	bool has_valid_until = false;
	json_t *combine = NULL;
	const char *k;
	json_t *x;
	int rc = CW_OK;

	memset(doc, 0, sizeof(*doc));
	doc->type = cw_strdup(type);
	if (!json_is_object(v))
		return invalid(c, "expected an object");
	json_object_foreach(v, k, x)
	{
		bool known;
		if (!strcmp(k, "combine")) {
			combine = x;
			continue;
		}
		if (history && (!strcmp(k, "validUntil") || !strcmp(k, "ValidUn"
								       "ti"
								       "l"))) {
			size_t len = push_key(c, k);
			if (!json_is_string(x) ||
			    cw_time_parse_iso(json_string_value(x),
					      &doc->valid_until) != CW_OK)
				rc = invalid(c, "expected an ISO 8601 "
						"date-time");
			else if (k[0] == 'V')
				warn(c, "read as 'validUntil'");
			pop(c, len);
			if (rc)
				goto fail;
			has_valid_until = true;
			continue;
		}
		rc = read_source_field(c, k, x, &def, &known);
		if (rc)
			goto fail;
		if (!known)
			warn(c, "unknown field '%s'", k);
	}
	if (history && !has_valid_until) {
		rc = invalid(c, "history entry without 'validUntil'");
		goto fail;
	}
	if (!combine) {
		if (!def.fetch) {
			rc = invalid(c, "expected 'fetch' or 'combine'");
			goto fail;
		}
		doc->sources = cw_calloc(1, sizeof(*doc->sources));
		doc->sources[0] = def;
		doc->n_sources = 1;
		check_source(c, &doc->sources[0], def.select || def.remove);
		return CW_OK;
	}
	if (def.fetch) {
		rc = invalid(c, "both 'fetch' and 'combine'");
		goto fail;
	}
	size_t len = push_key(c, "combine");
	size_t count = json_is_array(combine) ? json_array_size(combine) : 0;
	if (!json_is_array(combine) || count == 0) {
		rc = invalid(c, "expected a non-empty array of sources");
		pop(c, len);
		goto fail;
	}
	if (count > MAX_SOURCES) {
		rc = cw_err_set(c->err, CW_ETOOBIG,
				"'%s': %s: %zu sources, over %d", c->file,
				c->path, count, MAX_SOURCES);
		pop(c, len);
		goto fail;
	}
	doc->combine = true;
	doc->sources = cw_calloc(count, sizeof(*doc->sources));
	for (size_t i = 0; i < count && !rc; i++) {
		json_t *src = json_array_get(combine, i);
		struct cw_decl_source *s = &doc->sources[i];
		size_t l2 = push_index(c, i);
		s->execute_client_scripts = -1;
		doc->n_sources++;
		if (!json_is_object(src)) {
			rc = invalid(c, "expected a source object");
		} else {
			json_object_foreach(src, k, x)
			{
				bool known;
				if (!strcmp(k, "combine")) {
					rc = invalid(c, "'combine' inside a "
							"combined source");
					break;
				}
				rc = read_source_field(c, k, x, s, &known);
				if (rc)
					break;
				if (!known)
					warn(c, "unknown field '%s'", k);
			}
		}
		if (!rc && !s->fetch)
			rc = invalid(c, "source without 'fetch'");
		if (!rc) {
			bool own_select = json_object_get(src, "select");
			bool own_remove = json_object_get(src, "remove");
			apply_defaults(s, &def, own_select, own_remove,
				       json_object_get(src, "filter") != NULL);
			check_source(c, s, own_select || own_remove);
		}
		pop(c, l2);
	}
	pop(c, len);
	if (rc)
		goto fail;
	source_release(&def);
	return CW_OK;
fail:
	source_release(&def);
	return rc;
}

/* ---- files ---- */

static json_t *load(struct ctx *c, const char *json, size_t len, int *rc)
{
	json_error_t jerr;
	json_t *root;

	if (len > MAX_FILE) {
		*rc = cw_err_set(c->err, CW_ETOOBIG,
				 "'%s': %zu bytes, over the %u-byte limit",
				 c->file, len, MAX_FILE);
		return NULL;
	}
	/* A duplicated key would silently hide a document; no real file has
	 * one, so it is an error. */
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		*rc = cw_err_set(c->err, CW_EPARSE, "'%s':%d:%d: %s", c->file,
				 jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		*rc = invalid(c, "expected a JSON object");
		return NULL;
	}
	if (cw_decl_json_depth(root, MAX_DEPTH + 1) > MAX_DEPTH) {
		json_decref(root);
		*rc = cw_err_set(c->err, CW_ETOOBIG,
				 "'%s': nested deeper than %d levels", c->file,
				 MAX_DEPTH);
		return NULL;
	}
	*rc = CW_OK;
	return root;
}

static int read_main(struct ctx *c, json_t *root, struct cw_decl_service *svc)
{
	json_t *terms = json_object_get(root, "terms");
	json_t *legacy = json_object_get(root, "documents");
	const char *k;
	json_t *x;
	int rc;

	json_object_foreach(root, k, x)
	{
		size_t len = push_key(c, k);
		rc = CW_OK;
		if (!strcmp(k, "name"))
			rc = get_string(c, x, &svc->name);
		else if (!strcmp(k, "importedFrom"))
			rc = get_string(c, x, &svc->imported_from);
		else if (strcmp(k, "terms") != 0 && strcmp(k, "documents") != 0)
			warn(c, "unknown field '%s'", k);
		pop(c, len);
		if (rc)
			return rc;
	}
	if (!svc->name)
		return invalid(c, "missing 'name'");
	if (terms && legacy)
		return invalid(c, "both 'terms' and its old name 'documents'");
	if (!terms)
		terms = legacy;
	const char *key = terms == legacy ? "documents" : "terms";
	if (!json_is_object(terms))
		return invalid(c, "missing 'terms' object");
	size_t count = json_object_size(terms);
	if (count > MAX_DOCS)
		return cw_err_set(c->err, CW_ETOOBIG,
				  "'%s': %s: %zu documents, over %d", c->file,
				  key, count, MAX_DOCS);
	svc->docs = cw_calloc(count ? count : 1, sizeof(*svc->docs));
	json_object_foreach(terms, k, x)
	{
		size_t l1 = push_key(c, key);
		size_t l2 = push_key(c, k);
		rc = read_doc(c, k, x, &svc->docs[svc->n_docs++], false);
		pop(c, l2);
		pop(c, l1);
		if (rc)
			return rc;
	}
	return CW_OK;
}

static int cmp_history(const void *a, const void *b)
{
	const struct cw_decl_doc *x = a, *y = b;
	int t = strcmp(x->type, y->type);
	if (t)
		return t;
	return (x->valid_until > y->valid_until) -
	       (x->valid_until < y->valid_until);
}

static int read_history(struct ctx *c, json_t *root,
			struct cw_decl_service *svc)
{
	const char *k;
	json_t *x;
	size_t total = 0;
	int rc;

	json_object_foreach(root, k, x)
	{
		if (json_is_array(x))
			total += json_array_size(x);
	}
	if (total > MAX_HISTORY)
		return cw_err_set(c->err, CW_ETOOBIG,
				  "'%s': %zu history entries, over %d", c->file,
				  total, MAX_HISTORY);
	svc->history = cw_calloc(total ? total : 1, sizeof(*svc->history));
	json_object_foreach(root, k, x)
	{
		size_t l1 = push_key(c, k);
		if (!json_is_array(x)) {
			rc = invalid(c, "expected an array of earlier "
					"declarations");
			pop(c, l1);
			return rc;
		}
		for (size_t i = 0; i < json_array_size(x); i++) {
			size_t l2 = push_index(c, i);
			rc = read_doc(c, k, json_array_get(x, i),
				      &svc->history[svc->n_history++], true);
			pop(c, l2);
			if (rc) {
				pop(c, l1);
				return rc;
			}
		}
		pop(c, l1);
	}
	/* equal dates keep no particular order: none occur in real files */
	qsort(svc->history, svc->n_history, sizeof(*svc->history), cmp_history);
	return CW_OK;
}

/* The service ID: the file name without its directory and ".json". */
static char *service_id(const char *name)
{
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	size_t len = strlen(base);
	if (len > 5 && cw_str_endswith(base, ".json"))
		len -= 5;
	return cw_strndup(base, len);
}

static int read_service(struct cw_decl_service **out, const char *name,
			const char *json, size_t len, bool has_js,
			struct cw_strv *warnings, struct cw_err *err)
{
	struct ctx c = {
		.file = name, .warnings = warnings, .err = err, .has_js = has_js
	};
	struct cw_decl_service *svc;
	int rc;

	*out = NULL;
	json_t *root = load(&c, json, len, &rc);
	if (!root)
		return rc;
	svc = cw_calloc(1, sizeof(*svc));
	svc->id = service_id(name);
	svc->path = cw_strdup(name);
	rc = read_main(&c, root, svc);
	json_decref(root);
	if (rc) {
		cw_decl_service_free(svc);
		return rc;
	}
	*out = svc;
	return CW_OK;
}

int cw_decl_read_buffer(struct cw_decl_service **out, const char *name,
			const char *json, size_t len, struct cw_strv *warnings,
			struct cw_err *err)
{
	return read_service(out, name, json, len, false, warnings, err);
}

/* `base`.`suffix` read whole into *out (NULL when absent). */
static int read_js(char **out, const char *base, const char *suffix,
		   struct cw_err *err)
{
	char *p = cw_asprintf("%s%s", base, suffix);
	struct cw_buf b = CW_BUF_INIT;
	int rc = CW_OK;

	*out = NULL;
	if (cw_file_exists(p)) {
		rc = cw_file_read(&b, p, CW_DECL_JS_MAX, err);
		if (rc == CW_ETOOBIG)
			cw_err_set(err, CW_ETOOBIG,
				   "'%s': over the %u-byte limit", p,
				   CW_DECL_JS_MAX);
		if (!rc)
			*out = cw_buf_detach(&b, NULL);
	}
	cw_buf_release(&b);
	free(p);
	return rc;
}

/*
 * The files of the same folder that `code` imports: every quoted
 * "./NAME.js" after the word `from` or `import` (ES module syntax; a
 * filters file has no other way to name a sibling), NAME without '/'.
 * Names not yet in `names` are appended.
 */
static void scan_imports(const char *code, struct cw_strv *names)
{
	for (const char *p = code; p && (p = strstr(p, "./")); p += 2) {
		const char *q = p, *end;
		bool seen = false;
		char *name;

		/* the quote before, then `from` or `import` before it */
		if (q == code || (q[-1] != '\'' && q[-1] != '"'))
			continue;
		q--;
		while (q > code && (q[-1] == ' ' || q[-1] == '\t' ||
				    q[-1] == '\n' || q[-1] == '\r'))
			q--;
		if (!((q - code >= 4 && !memcmp(q - 4, "from", 4)) ||
		      (q - code >= 6 && !memcmp(q - 6, "import", 6))))
			continue;
		end = p + 2 + strcspn(p + 2, "'\"/\n");
		if (*end != p[-1] || end - (p + 2) < 4 ||
		    memcmp(end - 3, ".js", 3))
			continue;
		name = cw_strndup(p + 2, (size_t)(end - (p + 2)));
		for (size_t i = 0; i < names->n && !seen; i++)
			seen = !strcmp(names->v[i], name);
		if (seen || names->n >= CW_DECL_JS_DEPS_MAX)
			free(name);
		else
			cw_strv_take(names, name);
	}
}

/* The sibling files `code` and `history` import, transitively, read from
 * the folder of `base` into `names` and `codes`. */
static int read_deps(struct cw_strv *names, struct cw_strv *codes,
		     const char *base, const char *code, const char *history,
		     struct cw_err *err)
{
	const char *slash = strrchr(base, '/');
	int dlen = slash ? (int)(slash - base + 1) : 0;
	int rc = CW_OK;

	scan_imports(code, names);
	scan_imports(history, names);
	/* names grows while it is read: each file may import more */
	for (size_t i = 0; i < names->n && !rc; i++) {
		char *dep = NULL;
		char *p = cw_asprintf("%.*s%s", dlen, base, names->v[i]);

		rc = read_js(&dep, p, "", err);
		free(p);
		if (!rc && !dep)
			dep = cw_strdup(""); /* missing: node will say so */
		if (!rc) {
			scan_imports(dep, names);
			cw_strv_take(codes, dep);
		}
	}
	return rc;
}

/* The service's filters code into every document, current and past. */
static void give_js(struct cw_decl_service *svc, const char *base,
		    const char *code, const char *history,
		    const struct cw_strv *dep_names,
		    const struct cw_strv *dep_codes)
{
	const char *slash = strrchr(base, '/');
	char *name = cw_asprintf("%s.filters.js", slash ? slash + 1 : base);

	for (size_t k = 0; k < svc->n_docs + svc->n_history; k++) {
		struct cw_decl_doc *d =
			k < svc->n_docs ? &svc->docs[k]
					: &svc->history[k - svc->n_docs];
		d->js.name = cw_strdup(name);
		d->js.code = code ? cw_strdup(code) : NULL;
		d->js.history = history ? cw_strdup(history) : NULL;
		for (size_t i = 0; i < dep_names->n; i++) {
			cw_strv_push(&d->js.dep_names, dep_names->v[i]);
			cw_strv_push(&d->js.dep_codes, dep_codes->v[i]);
		}
	}
	free(name);
}

int cw_decl_read_file(struct cw_decl_service **out, const char *path,
		      struct cw_strv *warnings, struct cw_err *err)
{
	char *base = NULL, *code = NULL, *history = NULL;
	struct cw_strv dep_names = CW_STRV_INIT, dep_codes = CW_STRV_INIT;
	struct cw_buf b = CW_BUF_INIT;
	struct cw_decl_service *svc = NULL;
	char *hpath = NULL;
	int rc;

	*out = NULL;
	if (cw_str_endswith(path, ".history.json"))
		return cw_err_set(err, CW_EINVAL,
				  "'%s': a history file, read with its "
				  "declaration",
				  path);
	rc = cw_file_read(&b, path, MAX_FILE, err);
	if (rc == CW_ETOOBIG)
		cw_err_set(err, CW_ETOOBIG, "'%s': over the %u-byte limit",
			   path, MAX_FILE);
	if (rc)
		goto done;
	size_t plen = strlen(path);
	if (cw_str_endswith(path, ".json"))
		plen -= 5;
	base = cw_strndup(path, plen);
	rc = read_js(&code, base, ".filters.js", err);
	if (!rc)
		rc = read_js(&history, base, ".filters.history.js", err);
	if (!rc)
		rc = read_deps(&dep_names, &dep_codes, base, code, history,
			       err);
	if (rc)
		goto done;
	rc = read_service(&svc, path, b.ptr, b.len, code || history, warnings,
			  err);
	if (rc)
		goto done;

	hpath = cw_asprintf("%s.history.json", base);
	if (cw_file_exists(hpath)) {
		struct ctx c = { .file = hpath,
				 .warnings = warnings,
				 .err = err,
				 .has_js = code || history };
		cw_buf_clear(&b);
		rc = cw_file_read(&b, hpath, MAX_FILE, err);
		if (rc)
			goto done;
		json_t *root = load(&c, b.ptr, b.len, &rc);
		if (!root)
			goto done;
		rc = read_history(&c, root, svc);
		json_decref(root);
		if (rc)
			goto done;
	}
	if (code || history)
		give_js(svc, base, code, history, &dep_names, &dep_codes);
	*out = svc;
	svc = NULL;
done:
	cw_decl_service_free(svc);
	free(base);
	free(code);
	free(history);
	cw_strv_release(&dep_names);
	cw_strv_release(&dep_codes);
	free(hpath);
	cw_buf_release(&b);
	return rc;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_declaration(const struct dirent *d)
{
	return d->d_name[0] != '.' && cw_str_endswith(d->d_name, ".json") &&
	       !cw_str_endswith(d->d_name, ".history.json");
}

int cw_decl_read_dir(struct cw_decl_service ***out, size_t *n, const char *dir,
		     struct cw_strv *warnings, struct cw_err *err)
{
	struct dirent **names = NULL;
	struct cw_decl_service **list = NULL;
	size_t count = 0;

	*out = NULL;
	*n = 0;
	if (!cw_dir_exists(dir))
		return cw_err_set(err, CW_ENOTFOUND, "'%s': no such directory",
				  dir);
	/* strcmp, not alphasort: the order must not depend on the locale */
	int k = scandir(dir, &names, is_declaration, cmp_names);
	if (k < 0)
		return cw_err_set(err, CW_EIO, "'%s': cannot read: %s", dir,
				  strerror(errno));
	list = cw_calloc(k ? (size_t)k : 1, sizeof(*list));
	for (int i = 0; i < k; i++) {
		struct cw_err e = CW_ERR_INIT;
		char *p = cw_asprintf("%s/%s", dir, names[i]->d_name);
		if (cw_decl_read_file(&list[count], p, warnings, &e) == CW_OK)
			count++;
		else if (warnings)
			cw_strv_pushf(warnings, "%s (skipped)", e.msg);
		free(p);
		free(names[i]);
	}
	free(names);
	*out = list;
	*n = count;
	return CW_OK;
}

const struct cw_decl_doc *cw_decl_find(const struct cw_decl_service *svc,
				       const char *type)
{
	for (size_t i = 0; svc && i < svc->n_docs; i++)
		if (!strcmp(svc->docs[i].type, type))
			return &svc->docs[i];
	return NULL;
}

const struct cw_decl_doc *cw_decl_find_at(const struct cw_decl_service *svc,
					  const char *type, time_t t)
{
	if (!svc)
		return NULL;
	/* history is sorted by type then validUntil: the first entry of the
	 * type still valid at t is the one in force (validUntil inclusive) */
	for (size_t i = 0; i < svc->n_history; i++) {
		const struct cw_decl_doc *h = &svc->history[i];
		if (!strcmp(h->type, type) && h->valid_until >= t)
			return h;
	}
	return cw_decl_find(svc, type);
}
