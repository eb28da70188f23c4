/*
 * Declarations back to JSON, for the store.
 */
#include <jansson.h>

#include "decl.h"

#include "../util/json.h"

/* The stored declaration's key for the service's filters code. */
#define JS_KEY "x-clausewatch-filters"

static json_t *selector_json(const struct cw_decl_selector *sel)
{
	json_t *o;

	if (sel->css)
		return json_string(sel->css);
	o = json_object();
	if (sel->start_before)
		json_object_set_new(o, "startBefore",
				    json_string(sel->start_before));
	if (sel->start_after)
		json_object_set_new(o, "startAfter",
				    json_string(sel->start_after));
	if (sel->end_before)
		json_object_set_new(o, "endBefore",
				    json_string(sel->end_before));
	if (sel->end_after)
		json_object_set_new(o, "endAfter", json_string(sel->end_after));
	return o;
}

static json_t *selectors_json(const struct cw_decl_selector *sel, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, selector_json(&sel[i]));
	return a;
}

static json_t *source_json(const struct cw_decl_source *src)
{
	json_t *o = json_object();

	if (src->fetch)
		json_object_set_new(o, "fetch", json_string(src->fetch));
	if (src->n_select)
		json_object_set_new(o, "select",
				    selectors_json(src->select, src->n_select));
	if (src->n_remove)
		json_object_set_new(o, "remove",
				    selectors_json(src->remove, src->n_remove));
	if (src->n_filters) {
		json_t *a = json_array();
		for (size_t i = 0; i < src->n_filters; i++) {
			const struct cw_decl_filter *f = &src->filters[i];
			json_t *p = f->param_json
					    ? json_loads(f->param_json,
							 JSON_DECODE_ANY, NULL)
					    : NULL;
			if (!p && f->params.n) {
				p = json_array();
				for (size_t k = 0; k < f->params.n; k++)
					json_array_append_new(
						p, json_string(f->params.v[k]));
			}
			if (p) {
				json_t *fo = json_object();
				json_object_set_new(fo, f->name, p);
				json_array_append_new(a, fo);
			} else {
				json_array_append_new(a, json_string(f->name));
			}
		}
		json_object_set_new(o, "filter", a);
	}
	if (src->execute_client_scripts >= 0)
		json_object_set_new(o, "executeClientScripts",
				    json_boolean(src->execute_client_scripts));
	return o;
}

int cw_decl_doc_to_json(struct cw_buf *out, const struct cw_decl_doc *doc)
{
	json_t *o;
	char *text;
	int rc;

	/*
	 * Shared defaults were applied to each source when the declaration
	 * was read, so a combine document is written with per-source fields.
	 */
	if (doc->combine || doc->n_sources != 1) {
		json_t *a = json_array();
		o = json_object();
		for (size_t i = 0; i < doc->n_sources; i++)
			json_array_append_new(a, source_json(&doc->sources[i]));
		json_object_set_new(o, "combine", a);
	} else {
		o = source_json(&doc->sources[0]);
	}
	/* the filters code rides with the declaration, under a key of ours
	 * that Open Terms Archive's format does not have (decl.h) */
	if (doc->js.code || doc->js.history) {
		json_t *js = json_object();
		json_object_set_new(js, "name", cw_json_text(doc->js.name));
		if (doc->js.code)
			json_object_set_new(js, "code",
					    cw_json_text(doc->js.code));
		if (doc->js.history)
			json_object_set_new(js, "history",
					    cw_json_text(doc->js.history));
		if (doc->js.dep_names.n) {
			json_t *deps = json_object();
			for (size_t i = 0; i < doc->js.dep_names.n; i++)
				json_object_set_new(
					deps, doc->js.dep_names.v[i],
					cw_json_text(doc->js.dep_codes.v[i]));
			json_object_set_new(js, "imports", deps);
		}
		json_object_set_new(o, JS_KEY, js);
	}
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text)
		return CW_ERROR;
	rc = cw_buf_adds(out, text);
	free(text);
	return rc;
}

int cw_decl_doc_from_json(struct cw_decl_service **out, const char *service,
			  const char *type, const char *json,
			  struct cw_err *err)
{
	json_t *entry, *root, *terms, *js;
	json_error_t je;
	char *text;
	int rc;

	*out = NULL;
	entry = json_loads(json, 0, &je);
	if (!entry)
		return cw_err_set(err, CW_EPARSE,
				  "stored declaration of '%s/%s':%d:%d: %s",
				  service, type, je.line, je.column, je.text);
	js = json_incref(json_object_get(entry, JS_KEY));
	if (js)
		json_object_del(entry, JS_KEY);
	root = json_object();
	terms = json_object();
	json_object_set_new(root, "name", json_string(service));
	json_object_set_new(terms, type, entry);
	json_object_set_new(root, "terms", terms);
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	rc = cw_decl_read_buffer(out, service, text, strlen(text), NULL, err);
	free(text);
	if (!rc && json_is_object(js)) {
		struct cw_decl_js *d = &(*out)->docs[0].js;
		const char *name = json_string_value(json_object_get(js, "nam"
									 "e"));
		const char *code = json_string_value(json_object_get(js, "cod"
									 "e"));
		const char *hist = json_string_value(json_object_get(js, "histo"
									 "ry"));

		d->name = cw_strdup(name ? name : "filters.js");
		d->code = code ? cw_strdup(code) : NULL;
		d->history = hist ? cw_strdup(hist) : NULL;
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(js, "imports"), k, v)
		{
			if (!json_is_string(v) ||
			    d->dep_names.n >= CW_DECL_JS_DEPS_MAX)
				continue;
			cw_strv_push(&d->dep_names, k);
			cw_strv_push(&d->dep_codes, json_string_value(v));
		}
	}
	json_decref(js);
	return rc;
}
