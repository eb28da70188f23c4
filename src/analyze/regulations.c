/*
 * regulations: the instruments of data/regulations (one file per
 * instrument).
 */
#include <dirent.h>

#include "taxonomy_int.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cw_taxonomy_list_json(struct cw_strv *out, const char *dir,
			  struct cw_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t first = out->n;

	if (!d)
		return cw_err_set(err, CW_ENOTFOUND, "'%s': cannot open folder",
				  dir);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !cw_str_endswith(de->d_name, ".jso"
									 "n"))
			continue;
		if (out->n - first >= CW_TAXONOMY_MAX_FILES) {
			closedir(d);
			return cw_err_set(err, CW_ETOOBIG,
					  "'%s': more than %u files", dir,
					  CW_TAXONOMY_MAX_FILES);
		}
		cw_strv_pushf(out, "%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (out->n > first)
		qsort(out->v + first, out->n - first, sizeof(char *), cmp_str);
	return CW_OK;
}

bool cw_taxonomy_valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* ---- instruments ---- */

static void free_instrument(struct cw_tax_instrument *in)
{
	free(in->id);
	free(in->name);
	free(in->citation);
	free(in->kind);
	free(in->in_force);
	free(in->applies_from);
	free(in->url);
	free(in->summary);
	free(in->file);
	cw_json_free_strs(in->jurisdictions, in->njurisdictions);
	for (size_t i = 0; i < in->nstages; i++) {
		free(in->stages[i].date);
		free(in->stages[i].what);
	}
	free(in->stages);
	for (size_t i = 0; i < in->narticles; i++) {
		struct cw_tax_article *a = &in->articles[i];
		free(a->id);
		free(a->title);
		free(a->requires);
		free(a->applies_from);
		free(a->commencement);
		free(a->source);
	}
	free(in->articles);
}

static const char *const inst_keys[] = {
	"id",	"name",	    "citation",	    "jurisdictions",
	"kind", "in_force", "applies_from", "stages",
	"url",	"summary",  "articles",	    NULL
};
static const char *const art_keys[] = { "id",		"title",
					"requires",	"verified",
					"source",	"applies_from",
					"commencement", NULL };
static const char *const stage_keys[] = { "date", "what", NULL };
static const char *const kinds[] = { "regulation", "directive", "statute",
				     NULL };

static int parse_article(struct cw_tax_article *a, json_t *v,
			 const struct cw_json_where *w, struct cw_err *err)
{
	json_t *ver;
	int rc;

	if (!json_is_object(v))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s: expected an object", w->file,
				  w->path);
	if ((rc = cw_json_keys(v, art_keys, w, err)) ||
	    (rc = cw_json_str(&a->id, v, "id", true, w, err)) ||
	    (rc = cw_json_str(&a->title, v, "title", true, w, err)) ||
	    (rc = cw_json_str(&a->requires, v, "requires", true, w, err)) ||
	    (rc = cw_json_date(&a->applies_from, v, "applies_from", w, err)) ||
	    (rc = cw_json_str(&a->commencement, v, "commencement", false, w,
			      err)) ||
	    (rc = cw_json_str(&a->source, v, "source", false, w, err)))
		return rc;
	ver = json_object_get(v, "verified");
	if (!ver || !json_is_boolean(ver))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s.verified: expected true or false",
				  w->file, w->path);
	a->verified = json_is_true(ver);
	/* a number counts as verified only with the page it was checked
	   against, so that a reader can check it again */
	if (a->source && !cw_str_startswith(a->source, "https://") &&
	    !cw_str_startswith(a->source, "http://"))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s.source: expected an http(s):// "
				  "address",
				  w->file, w->path);
	if (a->verified && !a->source)
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s.source: required when verified is "
				  "true "
				  "(the page the article was checked against)",
				  w->file, w->path);
	return CW_OK;
}

static int parse_instrument(struct cw_tax_instrument *in, json_t *root,
			    const char *file, struct cw_err *err)
{
	struct cw_json_where w = { file, "" };
	char path[128];
	json_t *arr, *v;
	size_t i;
	int rc;

	in->file = cw_strdup(file);
	if ((rc = cw_json_keys(root, inst_keys, &w, err)) ||
	    (rc = cw_json_str(&in->id, root, "id", true, &w, err)) ||
	    (rc = cw_json_str(&in->name, root, "name", true, &w, err)) ||
	    (rc = cw_json_str(&in->citation, root, "citation", true, &w,
			      err)) ||
	    (rc = cw_json_str(&in->kind, root, "kind", true, &w, err)) ||
	    (rc = cw_json_date(&in->in_force, root, "in_force", &w, err)) ||
	    (rc = cw_json_date(&in->applies_from, root, "applies_from", &w,
			       err)) ||
	    (rc = cw_json_str(&in->url, root, "url", true, &w, err)) ||
	    (rc = cw_json_str(&in->summary, root, "summary", true, &w, err)) ||
	    (rc = cw_json_strs(&in->jurisdictions, &in->njurisdictions, root,
			       "jurisdictions", true, CW_TAXONOMY_MAX_ITEMS, &w,
			       err)))
		return rc;
	if (!cw_taxonomy_valid_id(in->id))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': id: expected [a-z][a-z0-9_]*, got "
				  "'%s'",
				  file, in->id);
	for (i = 0; kinds[i] && strcmp(kinds[i], in->kind); i++)
		;
	if (!kinds[i])
		return cw_err_set(err, CW_EPARSE,
				  "'%s': kind: expected one of regulation, "
				  "directive, statute",
				  file);
	if (!cw_str_startswith(in->url, "https://"))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': url: expected an https:// address",
				  file);

	if ((rc = cw_json_arr(&arr, root, "stages", false,
			      CW_TAXONOMY_MAX_ITEMS, &w, err)))
		return rc;
	if (arr) {
		in->stages = cw_calloc(json_array_size(arr) + 1,
				       sizeof(*in->stages));
		json_array_foreach(arr, i, v)
		{
			struct cw_json_where sw = { file, path };
			snprintf(path, sizeof(path), "stages[%zu]", i);
			if (!json_is_object(v))
				return cw_err_set(err, CW_EPARSE,
						  "'%s': %s: expected an "
						  "object",
						  file, path);
			in->nstages++;
			if ((rc = cw_json_keys(v, stage_keys, &sw, err)) ||
			    (rc = cw_json_date(&in->stages[i].date, v, "date",
					       &sw, err)) ||
			    (rc = cw_json_str(&in->stages[i].what, v, "what",
					      true, &sw, err)))
				return rc;
			if (!in->stages[i].date)
				return cw_err_set(err, CW_EPARSE,
						  "'%s': %s.date: missing",
						  file, path);
		}
	}

	if ((rc = cw_json_arr(&arr, root, "articles", true,
			      CW_TAXONOMY_MAX_ITEMS, &w, err)))
		return rc;
	if (json_array_size(arr) == 0)
		return cw_err_set(err, CW_EPARSE, "'%s': articles: empty list",
				  file);
	in->articles = cw_calloc(json_array_size(arr), sizeof(*in->articles));
	json_array_foreach(arr, i, v)
	{
		struct cw_json_where aw = { file, path };
		snprintf(path, sizeof(path), "articles[%zu]", i);
		in->narticles++;
		if ((rc = parse_article(&in->articles[i], v, &aw, err)))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(in->articles[j].id, in->articles[i].id))
				return cw_err_set(err, CW_EPARSE,
						  "'%s': %s.id: '%s' repeats "
						  "articles[%zu]",
						  file, path,
						  in->articles[i].id, j);
	}
	return CW_OK;
}

static int cmp_inst(const void *a, const void *b)
{
	const struct cw_tax_instrument *x = a, *y = b;
	return strcmp(x->id, y->id);
}

int cw_taxonomy_load_instruments(struct cw_taxonomy *tax, const char *dir,
				 struct cw_err *err)
{
	struct cw_strv files = CW_STRV_INIT;
	int rc;

	if ((rc = cw_taxonomy_list_json(&files, dir, err)))
		goto out;
	if (files.n == 0) {
		rc = cw_err_set(err, CW_ENOTFOUND, "'%s': no instrument files",
				dir);
		goto out;
	}
	tax->insts = cw_calloc(files.n, sizeof(*tax->insts));
	for (size_t i = 0; i < files.n; i++) {
		json_t *root;
		if ((rc = cw_json_load(&root, files.v[i], CW_TAXONOMY_FILE_MAX,
				       err)))
			goto out;
		tax->ninsts++;
		rc = parse_instrument(&tax->insts[i], root, files.v[i], err);
		json_decref(root);
		if (rc)
			goto out;
	}
	qsort(tax->insts, tax->ninsts, sizeof(*tax->insts), cmp_inst);
	for (size_t i = 1; i < tax->ninsts; i++)
		if (!strcmp(tax->insts[i - 1].id, tax->insts[i].id)) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': id: '%s' is also defined in "
					"'%s'",
					tax->insts[i].file, tax->insts[i].id,
					tax->insts[i - 1].file);
			goto out;
		}
out:
	cw_strv_release(&files);
	return rc;
}

void cw_taxonomy_free_instruments(struct cw_taxonomy *tax)
{
	for (size_t i = 0; i < tax->ninsts; i++)
		free_instrument(&tax->insts[i]);
	free(tax->insts);
	tax->insts = NULL;
	tax->ninsts = 0;
}

/* ---- lookups ---- */

size_t cw_taxonomy_instrument_count(const struct cw_taxonomy *tax)
{
	return tax->ninsts;
}

const struct cw_tax_instrument *
cw_taxonomy_instrument_at(const struct cw_taxonomy *tax, size_t i)
{
	return i < tax->ninsts ? &tax->insts[i] : NULL;
}

const struct cw_tax_instrument *
cw_taxonomy_instrument(const struct cw_taxonomy *tax, const char *id)
{
	struct cw_tax_instrument key = { .id = (char *)id };

	if (!id || !tax->ninsts)
		return NULL;
	return bsearch(&key, tax->insts, tax->ninsts, sizeof(*tax->insts),
		       cmp_inst);
}

const struct cw_tax_article *cw_taxonomy_article(const struct cw_taxonomy *tax,
						 const char *instrument,
						 const char *article)
{
	const struct cw_tax_instrument *in =
		cw_taxonomy_instrument(tax, instrument);

	if (!in || !article)
		return NULL;
	for (size_t i = 0; i < in->narticles; i++)
		if (!strcmp(in->articles[i].id, article))
			return &in->articles[i];
	return NULL;
}

const char *cw_taxonomy_applies_from(const struct cw_tax_instrument *inst,
				     const struct cw_tax_article *art)
{
	if (art && art->applies_from)
		return art->applies_from;
	if (art && art->commencement)
		return NULL; /* a duty still waiting for its commencement */
	if (inst->applies_from)
		return inst->applies_from;
	return inst->in_force;
}

int cw_taxonomy_in_effect(const struct cw_tax_instrument *inst,
			  const struct cw_tax_article *art, time_t at)
{
	const char *from = cw_taxonomy_applies_from(inst, art);
	time_t t;

	if (!from || cw_time_parse_iso(from, &t) != CW_OK)
		return -1;
	return at >= t ? 1 : 0;
}
