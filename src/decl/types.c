/*
 * types: Open Terms Archive's terms types (decl.h), the names the keys of
 * a declaration's `terms` may take, read from data/terms-types.json, and
 * the hint for a name that is not one of them.
 *
 * The hint compares names folded to lower-case letters and digits, so
 * "terms-of-service" and "Terms Of Service" are the same name, against
 * every type's name and aliases: an equal folded name wins at once, else
 * the nearest by edit distance when it is within a quarter of the name's
 * length (at most 4). A quarter lets "Privacy Polcy" and "Terms of
 * Services" through but not "Invalid Terms Type" (10 edits from its
 * nearest name, "Imprint"'s alias "Legal Notice" or any other).
 */
#include "decl.h"

#include <jansson.h>

#include "../util/json.h"

/* The file is about 3 KiB; 256 KiB leaves room for a much longer list. */
#define MAX_FILE (256u << 10)
#define MAX_TYPES 1024
#define MAX_ALIASES 64
/* Longest folded name compared (cw_str_distance's own limit). */
#define FOLD_MAX 256

struct type_entry {
	char *name;
	char **aliases;
	size_t n_aliases;
};

struct cw_decl_types {
	struct type_entry *v;
	size_t n;
};

void cw_decl_types_free(struct cw_decl_types *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		cw_json_free_strs(t->v[i].aliases, t->v[i].n_aliases);
	}
	free(t->v);
	free(t);
}

static int parse_types(struct cw_decl_types *t, json_t *root, const char *name,
		       struct cw_err *err)
{
	static const char *const top_keys[] = { "_comment", "version", "source",
						"types", NULL };
	static const char *const type_keys[] = { "name", "aliases", NULL };
	struct cw_json_where w = { .file = name, .path = "" };
	json_t *types = NULL;
	long long version = 0;
	int rc;

	rc = cw_json_keys(root, top_keys, &w, err);
	if (!rc)
		rc = cw_json_int(&version, root, "version", true, 1, 1, &w,
				 err);
	if (!rc)
		rc = cw_json_arr(&types, root, "types", true, MAX_TYPES, &w,
				 err);
	if (rc)
		return rc;
	t->v = cw_calloc(json_array_size(types) + 1, sizeof(*t->v));
	for (size_t i = 0; i < json_array_size(types); i++) {
		json_t *o = json_array_get(types, i);
		char path[32];
		struct type_entry *e = &t->v[t->n];

		snprintf(path, sizeof(path), "types[%zu]", i);
		w.path = path;
		if (!json_is_object(o))
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s: expected an object, got "
					  "%s",
					  name, path, cw_json_type_name(o));
		rc = cw_json_keys(o, type_keys, &w, err);
		if (!rc)
			rc = cw_json_str(&e->name, o, "name", true, &w, err);
		if (rc)
			return rc;
		t->n++;
		rc = cw_json_strs(&e->aliases, &e->n_aliases, o, "aliases",
				  false, MAX_ALIASES, &w, err);
		if (rc)
			return rc;
		for (size_t k = 0; k + 1 < t->n; k++)
			if (!strcmp(t->v[k].name, e->name))
				return cw_err_set(err, CW_EPARSE,
						  "'%s': %s.name: '%s' is "
						  "also types[%zu]",
						  name, path, e->name, k);
	}
	return CW_OK;
}

int cw_decl_types_parse(struct cw_decl_types **out, const char *name,
			const char *json, size_t len, struct cw_err *err)
{
	struct cw_decl_types *t = NULL;
	json_t *root = NULL;
	int rc;

	*out = NULL;
	if (len > MAX_FILE)
		return cw_err_set(err, CW_ETOOBIG,
				  "'%s': %zu bytes, over the %u-byte limit",
				  name, len, MAX_FILE);
	rc = cw_json_parse(&root, json, len, name, err);
	if (rc)
		return rc;
	t = cw_calloc(1, sizeof(*t));
	rc = parse_types(t, root, name, err);
	json_decref(root);
	if (rc) {
		cw_decl_types_free(t);
		return rc;
	}
	*out = t;
	return CW_OK;
}

int cw_decl_types_load(struct cw_decl_types **out, const char *data_dir,
		       struct cw_err *err)
{
	char *path = cw_asprintf("%s/terms-types.json", data_dir);
	struct cw_buf b = CW_BUF_INIT;
	int rc;

	*out = NULL;
	rc = cw_file_read(&b, path, MAX_FILE, err);
	if (!rc)
		rc = cw_decl_types_parse(out, path, b.ptr, b.len, err);
	cw_buf_release(&b);
	free(path);
	return rc;
}

size_t cw_decl_types_count(const struct cw_decl_types *t)
{
	return t ? t->n : 0;
}

bool cw_decl_types_has(const struct cw_decl_types *t, const char *name)
{
	for (size_t i = 0; t && i < t->n; i++)
		if (!strcmp(t->v[i].name, name))
			return true;
	return false;
}

/* `s` folded to lower-case ASCII letters and digits; other bytes
 * dropped. False when it is too long to compare. */
static bool fold(const char *s, char out[FOLD_MAX + 1])
{
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			continue;
		if (n == FOLD_MAX)
			return false;
		out[n++] = (char)c;
	}
	out[n] = 0;
	return true;
}

const char *cw_decl_types_suggest(const struct cw_decl_types *t,
				  const char *name, const char **alias)
{
	char want[FOLD_MAX + 1], have[FOLD_MAX + 1];
	const char *best = NULL, *best_alias = NULL;
	size_t best_d, cap;

	if (alias)
		*alias = NULL;
	if (!t || !fold(name, want) || !want[0])
		return NULL;
	cap = strlen(want) / 4;
	if (cap < 1)
		cap = 1;
	if (cap > 4)
		cap = 4;
	best_d = cap + 1;
	for (size_t i = 0; i < t->n; i++) {
		const struct type_entry *e = &t->v[i];
		for (size_t k = 0; k <= e->n_aliases; k++) {
			const char *cand = k ? e->aliases[k - 1] : e->name;
			size_t d;
			if (!fold(cand, have))
				continue;
			d = cw_str_distance(want, have, cap);
			if (d < best_d) {
				best_d = d;
				best = e->name;
				best_alias = k ? cand : NULL;
			}
		}
	}
	if (alias)
		*alias = best_alias;
	return best;
}

void cw_decl_types_unknown(const struct cw_decl_types *t, const char *name,
			   char *out, size_t size)
{
	const char *alias = NULL;
	const char *hint = cw_decl_types_suggest(t, name, &alias);

	if (hint && alias)
		snprintf(out, size,
			 "unknown terms type '%s'; did you mean '%s' (also "
			 "known as '%s')?",
			 name, hint, alias);
	else if (hint)
		snprintf(out, size,
			 "unknown terms type '%s'; did you mean '%s'?", name,
			 hint);
	else
		snprintf(out, size,
			 "unknown terms type '%s': not one of Open Terms "
			 "Archive's %zu terms types (data/terms-types.json)",
			 name, cw_decl_types_count(t));
}

void cw_decl_types_check(const struct cw_decl_types *t,
			 const struct cw_decl_service *svc,
			 struct cw_strv *warnings)
{
	char msg[CW_ERR_MSG_MAX];
	const char *last = NULL;

	if (!t || !svc || !warnings)
		return;
	for (size_t i = 0; i < svc->n_docs; i++) {
		if (cw_decl_types_has(t, svc->docs[i].type))
			continue;
		cw_decl_types_unknown(t, svc->docs[i].type, msg, sizeof(msg));
		cw_strv_pushf(warnings, "'%s': terms.%s: %s", svc->path,
			      svc->docs[i].type, msg);
	}
	/* history is sorted by type: one warning per type, not per entry */
	for (size_t i = 0; i < svc->n_history; i++) {
		const char *type = svc->history[i].type;
		size_t plen = strlen(svc->path);
		if ((last && !strcmp(last, type)) || cw_decl_types_has(t, type))
			continue;
		last = type;
		if (cw_str_endswith(svc->path, ".json"))
			plen -= 5;
		cw_decl_types_unknown(t, type, msg, sizeof(msg));
		cw_strv_pushf(warnings, "'%.*s.history.json': %s: %s",
			      (int)plen, svc->path, type, msg);
	}
}
