/*
 * taxonomy: loading and validating data/taxonomy, rule-based detection of
 * categories, exposure rating.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>

#include "../util/re.h"
#include "params.h"
#include "taxonomy_int.h"

/*
 * Backtracking cap per match. Our patterns use bounded gaps ([^.]{0,120}),
 * so a legitimate match needs far fewer steps; 2M was chosen as ~100x the
 * worst count seen on the corpus's longest provisions, low enough that a
 * pathological pattern gives up in milliseconds.
 */
#define MATCH_LIMIT 2000000u
#define DEPTH_LIMIT 20000u

/* The CLAUDETTE categories whose ids the classifier relies on. */
static const char *const claudette_ids[][2] = {
	{ "a", "mandatory_arbitration" },
	{ "ch", "unilateral_change" },
	{ "cr", "content_removal" },
	{ "j", "jurisdiction" },
	{ "law", "choice_of_law" },
	{ "ltd", "limitation_of_liability" },
	{ "ter", "unilateral_termination" },
	{ "use", "contract_by_using" },
	{ "pinc", "privacy_policy_by_reference" },
};
#define NCLAUDETTE (sizeof(claudette_ids) / sizeof(claudette_ids[0]))

const char *cw_taxonomy_claudette_id(const char *code)
{
	if (!code)
		return NULL;
	for (size_t k = 0; k < NCLAUDETTE; k++)
		if (!strcmp(code, claudette_ids[k][0]))
			return claudette_ids[k][1];
	return NULL;
}

static const char *const level_names[] = { "low", "medium", "high" };
static const char *const audience_names[] = { "consumer", "operator", NULL };

const char *cw_level_name(int level)
{
	return level >= 0 && level <= 2 ? level_names[level] : "unknown";
}

int cw_level_parse(const char *name)
{
	for (int i = 0; name && i < 3; i++)
		if (!strcmp(name, level_names[i]))
			return i;
	return -1;
}

const char *cw_audience_name(int audience)
{
	return audience >= 0 && audience < CW_AUDIENCE_COUNT
		       ? audience_names[audience]
		       : "unknown";
}

int cw_audience_parse(const char *name)
{
	if (!name)
		return -1;
	if (!strcmp(name, "consumer"))
		return CW_AUDIENCE_CONSUMER;
	if (!strcmp(name, "operator") || !strcmp(name, "business"))
		return CW_AUDIENCE_OPERATOR;
	return -1;
}

const char *cw_evidence_name(int basis)
{
	return basis == CW_EVIDENCE_EXPLICIT ? "explicit" : "inferred";
}

/* ---- regular expressions ---- */

/*
 * Compile `re` as UTF-8 (so \x{2019} can name the typographic apostrophe),
 * tolerant of invalid UTF-8 in subjects. Patterns are lower case and are
 * matched against ASCII-lower-cased text rather than compiled caseless:
 * caseless matching made the corpus scan about 40% slower (measured over
 * every pattern on the 90 current ToS/AUP documents). \b and \w stay
 * ASCII (no PCRE2_UCP), which saved another 12%. JIT-compiled once a
 * pattern has run over enough text (util/re.h), interpreted before.
 */
static struct cw_re *compile_re(const char *re, char *msg, size_t msglen)
{
	int ecode;
	PCRE2_SIZE eoff;
	struct cw_re *code = cw_re_new(re, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
				       &ecode, &eoff);

	/* an upper-case letter could never match lower-cased text; only
	   escapes (\S, \W, \B, ...) may use one */
	for (size_t i = 0; code && re[i]; i++)
		if (re[i] >= 'A' && re[i] <= 'Z' &&
		    (i == 0 || re[i - 1] != '\\')) {
			snprintf(msg, msglen,
				 "upper-case letter at offset %zu (patterns "
				 "match lower-cased text)",
				 i);
			cw_re_free(code);
			return NULL;
		}
	if (!code) {
		PCRE2_UCHAR buf[160];
		pcre2_get_error_message(ecode, buf, sizeof(buf));
		snprintf(msg, msglen, "bad pattern at offset %zu: %s",
			 (size_t)eoff, (const char *)buf);
		return NULL;
	}
	return code; /* JIT-compiled once it has run enough (re.h) */
}

/*
 * Match data and context are made once per thread and reused: creating
 * them per call cost more than most matches (measured with perf on the
 * corpus).
 */
static _Thread_local pcre2_match_data *tl_md;
static _Thread_local pcre2_match_context *tl_mc;

bool cw_taxonomy_match(const void *compiled, const char *text, size_t len,
		       size_t from, size_t *start, size_t *end)
{
	const pcre2_code *code;
	PCRE2_SIZE *ov;
	int rc;

	if (!compiled || from > len)
		return false;
	code = cw_re_code((struct cw_re *)compiled, len - from);
	if (!tl_md) {
		/* one pair is enough: callers only read the whole match */
		tl_md = pcre2_match_data_create(1, NULL);
		tl_mc = pcre2_match_context_create(NULL);
		if (!tl_md || !tl_mc)
			abort(); /* out of memory */
		pcre2_set_match_limit(tl_mc, MATCH_LIMIT);
		pcre2_set_depth_limit(tl_mc, DEPTH_LIMIT);
	}
	rc = pcre2_match(code, (PCRE2_SPTR)(text ? text : ""), len, from, 0,
			 tl_md, tl_mc);
	if (rc == 0)
		rc = 1; /* ovector too small for the groups: whole match is set */
	if (rc > 0) {
		ov = pcre2_get_ovector_pointer(tl_md);
		*start = ov[0];
		*end = ov[1];
	}
	return rc > 0;
}

void cw_taxonomy_lower(struct cw_buf *out, const char *text, size_t len)
{
	char *p;

	cw_buf_clear(out);
	if (cw_buf_grow(out, len))
		abort(); /* callers cap len well below the buffer maximum */
	p = out->ptr;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		p[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	p[len] = 0;
	out->len = len;
}

/* ---- loading categories ---- */

static void free_modifiers(struct cw_tax_modifier *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].re);
		free(m[i].why);
		cw_re_free(m[i].compiled);
	}
	free(m);
}

static void free_category(struct cw_tax_category *c)
{
	free(c->id);
	free(c->name);
	free(c->group);
	free(c->claudette);
	free(c->definition);
	for (size_t i = 0; i < c->npatterns; i++) {
		free(c->patterns[i].re);
		cw_re_free(c->patterns[i].compiled);
	}
	free(c->patterns);
	cw_json_free_strs(c->params, c->nparams);
	for (int a = 0; a < CW_AUDIENCE_COUNT; a++) {
		free_modifiers(c->exposure[a].modifiers,
			       c->exposure[a].nmodifiers);
		free(c->exposure[a].means);
	}
	for (size_t i = 0; i < c->nregs; i++) {
		free(c->regs[i].instrument);
		free(c->regs[i].article);
		free(c->regs[i].why);
	}
	free(c->regs);
	free(c->implications);
	cw_json_free_strs(c->actions, c->nactions);
	free(c->severity);
	free(c->severity_why);
	free(c->file);
}

static int compile_into(void **out, const char *re,
			const struct cw_json_where *w, struct cw_err *err)
{
	char msg[200];

	*out = compile_re(re, msg, sizeof(msg));
	if (!*out)
		return cw_err_set(err, CW_EPARSE, "'%s': %s.re: %s", w->file,
				  w->path, msg);
	return CW_OK;
}

static int parse_number(double *out, json_t *obj, const char *key, double lo,
			double hi, bool required, double dflt,
			const struct cw_json_where *w, struct cw_err *err)
{
	json_t *v = json_object_get(obj, key);

	*out = dflt;
	if (!v) {
		if (!required)
			return CW_OK;
		return cw_err_set(err, CW_EPARSE, "'%s': %s.%s: missing",
				  w->file, w->path, key);
	}
	if (!json_is_number(v) || json_number_value(v) < lo ||
	    json_number_value(v) > hi || isnan(json_number_value(v)))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s.%s: expected a number in [%g, %g]",
				  w->file, w->path, key, lo, hi);
	*out = json_number_value(v);
	return CW_OK;
}

static const char *const pattern_keys[] = { "re", "weight", "scope", NULL };
static const char *const modifier_keys[] = { "re", "effect", "why", NULL };
static const char *const detect_keys[] = { "patterns", "min_score", NULL };
static const char *const exposure_keys[] = { "base", "modifiers", "means",
					     NULL };
static const char *const regref_keys[] = { "instrument", "article", "why",
					   NULL };
static const char *const category_keys[] = { "id",
					     "name",
					     "claudette",
					     "definition",
					     "detect",
					     "params",
					     "exposure",
					     "severity",
					     "regulations",
					     "contract_implications",
					     "compliance_actions",
					     NULL };
static const char *const severity_keys[] = { "level", "why", NULL };
/* CLAUDETTE's scale, as classify.h names it */
static const char *const severities[] = { "clearly_fair", "potentially_unfair",
					  "clearly_unfair", NULL };

/*
 * The optional stated severity of a category: {"level", "why"}. Only a
 * category without a CLAUDETTE code may state one (for the nine, the
 * learned model speaks).
 */
static int parse_severity(struct cw_tax_category *c, json_t *v,
			  const char *cpath, const char *file,
			  struct cw_err *err)
{
	char path[128];
	struct cw_json_where w = { file, path };
	size_t i;
	int rc;

	if (!v)
		return CW_OK;
	snprintf(path, sizeof(path), "%s.severity", cpath);
	if (!json_is_object(v))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s: expected an object", file, path);
	if (c->claudette)
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s: a CLAUDETTE category takes its "
				  "severity from the model, not from data",
				  file, path);
	if ((rc = cw_json_keys(v, severity_keys, &w, err)) ||
	    (rc = cw_json_str(&c->severity, v, "level", true, &w, err)) ||
	    (rc = cw_json_str(&c->severity_why, v, "why", true, &w, err)))
		return rc;
	for (i = 0; severities[i] && strcmp(severities[i], c->severity); i++)
		;
	if (!severities[i])
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s: expected one of clearly_fair, "
				  "potentially_unfair, clearly_unfair",
				  file, path);
	return CW_OK;
}

static int parse_patterns(struct cw_tax_category *c, json_t *detect,
			  const char *cpath, const char *file,
			  struct cw_err *err)
{
	char path[192];
	struct cw_json_where w = { file, path };
	json_t *arr, *v;
	size_t i;
	int rc;

	snprintf(path, sizeof(path), "%s.detect", cpath);
	if (!json_is_object(detect))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s: expected an object", file, path);
	if ((rc = cw_json_keys(detect, detect_keys, &w, err)) ||
	    (rc = parse_number(&c->min_score, detect, "min_score", 0.01, 100,
			       false, 1.0, &w, err)) ||
	    (rc = cw_json_arr(&arr, detect, "patterns", true,
			      CW_TAXONOMY_MAX_ITEMS, &w, err)))
		return rc;
	if (json_array_size(arr) == 0)
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s.patterns: empty list", file, path);
	c->patterns = cw_calloc(json_array_size(arr), sizeof(*c->patterns));
	json_array_foreach(arr, i, v)
	{
		struct cw_tax_pattern *p = &c->patterns[i];
		char *scope = NULL;

		snprintf(path, sizeof(path), "%s.detect.patterns[%zu]", cpath,
			 i);
		if (!json_is_object(v))
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s: expected an object", file,
					  path);
		c->npatterns++;
		if ((rc = cw_json_keys(v, pattern_keys, &w, err)) ||
		    (rc = cw_json_str(&p->re, v, "re", true, &w, err)) ||
		    (rc = parse_number(&p->weight, v, "weight", 0.01, 10, false,
				       1.0, &w, err)) ||
		    (rc = cw_json_str(&scope, v, "scope", false, &w, err)))
			return rc;
		if (scope && strcmp(scope, "text") && strcmp(scope, "title")) {
			free(scope);
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s.scope: expected one of "
					  "text, title",
					  file, path);
		}
		p->title = scope && !strcmp(scope, "title");
		free(scope);
		if ((rc = compile_into(&p->compiled, p->re, &w, err)))
			return rc;
	}
	return CW_OK;
}

static int parse_modifiers(struct cw_tax_exposure *e, json_t *arr,
			   const char *epath, const char *file,
			   struct cw_err *err)
{
	char path[224];
	struct cw_json_where w = { file, path };
	json_t *v, *eff;
	size_t i;
	int rc;

	e->modifiers =
		cw_calloc(json_array_size(arr) + 1, sizeof(*e->modifiers));
	json_array_foreach(arr, i, v)
	{
		struct cw_tax_modifier *m = &e->modifiers[i];

		snprintf(path, sizeof(path), "%s.modifiers[%zu]", epath, i);
		if (!json_is_object(v))
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s: expected an object", file,
					  path);
		e->nmodifiers++;
		if ((rc = cw_json_keys(v, modifier_keys, &w, err)) ||
		    (rc = cw_json_str(&m->re, v, "re", true, &w, err)) ||
		    (rc = cw_json_str(&m->why, v, "why", true, &w, err)))
			return rc;
		eff = json_object_get(v, "effect");
		if (!json_is_integer(eff) || json_integer_value(eff) < -2 ||
		    json_integer_value(eff) > 2)
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s.effect: expected an "
					  "integer from -2 to 2",
					  file, path);
		m->effect = (int)json_integer_value(eff);
		if ((rc = compile_into(&m->compiled, m->re, &w, err)))
			return rc;
	}
	return CW_OK;
}

static int parse_exposure(struct cw_tax_category *c, json_t *exp,
			  const char *cpath, const char *file,
			  struct cw_err *err)
{
	char path[192];
	struct cw_json_where w = { file, path };
	int rc;

	snprintf(path, sizeof(path), "%s.exposure", cpath);
	if (!json_is_object(exp))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s: expected an object", file, path);
	if ((rc = cw_json_keys(exp, audience_names, &w, err)))
		return rc;
	for (int a = 0; a < CW_AUDIENCE_COUNT; a++) {
		json_t *e = json_object_get(exp, audience_names[a]);
		json_t *mods;
		char *base = NULL;

		snprintf(path, sizeof(path), "%s.exposure.%s", cpath,
			 audience_names[a]);
		if (!e || !json_is_object(e))
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s: expected an object", file,
					  path);
		if ((rc = cw_json_keys(e, exposure_keys, &w, err)) ||
		    (rc = cw_json_str(&base, e, "base", true, &w, err)) ||
		    (rc = cw_json_str(&c->exposure[a].means, e, "means", false,
				      &w, err))) {
			free(base);
			return rc;
		}
		c->exposure[a].base = cw_level_parse(base);
		free(base);
		if (c->exposure[a].base < 0)
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s.base: expected one of low, "
					  "medium, high",
					  file, path);
		if ((rc = cw_json_arr(&mods, e, "modifiers", false,
				      CW_TAXONOMY_MAX_ITEMS, &w, err)))
			return rc;
		if (mods && (rc = parse_modifiers(&c->exposure[a], mods, path,
						  file, err)))
			return rc;
	}
	return CW_OK;
}

static int parse_regrefs(struct cw_tax_category *c, json_t *arr,
			 const char *cpath, const char *file,
			 struct cw_err *err)
{
	char path[192];
	struct cw_json_where w = { file, path };
	json_t *v;
	size_t i;
	int rc;

	c->regs = cw_calloc(json_array_size(arr) + 1, sizeof(*c->regs));
	json_array_foreach(arr, i, v)
	{
		struct cw_tax_regref *r = &c->regs[i];

		snprintf(path, sizeof(path), "%s.regulations[%zu]", cpath, i);
		if (!json_is_object(v))
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s: expected an object", file,
					  path);
		c->nregs++;
		if ((rc = cw_json_keys(v, regref_keys, &w, err)) ||
		    (rc = cw_json_str(&r->instrument, v, "instrument", true, &w,
				      err)) ||
		    (rc = cw_json_str(&r->article, v, "article", true, &w,
				      err)) ||
		    (rc = cw_json_str(&r->why, v, "why", true, &w, err)))
			return rc;
	}
	return CW_OK;
}

static int parse_category(struct cw_tax_category *c, json_t *v,
			  const char *group, const char *cpath,
			  const char *file, struct cw_err *err)
{
	struct cw_json_where w = { file, cpath };
	json_t *arr;
	int rc;

	c->file = cw_strdup(file);
	c->group = cw_strdup(group);
	if (!json_is_object(v))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s: expected an object", file, cpath);
	if ((rc = cw_json_keys(v, category_keys, &w, err)) ||
	    (rc = cw_json_str(&c->id, v, "id", true, &w, err)) ||
	    (rc = cw_json_str(&c->name, v, "name", true, &w, err)) ||
	    (rc = cw_json_str(&c->claudette, v, "claudette", false, &w, err)) ||
	    (rc = cw_json_str(&c->definition, v, "definition", true, &w,
			      err)) ||
	    (rc = cw_json_strs(&c->params, &c->nparams, v, "params", false,
			       CW_TAXONOMY_MAX_ITEMS, &w, err)) ||
	    (rc = cw_json_str(&c->implications, v, "contract_implications",
			      true, &w, err)) ||
	    (rc = cw_json_strs(&c->actions, &c->nactions, v,
			       "compliance_actions", true,
			       CW_TAXONOMY_MAX_ITEMS, &w, err)))
		return rc;
	if (!cw_taxonomy_valid_id(c->id))
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s.id: expected [a-z][a-z0-9_]*, got "
				  "'%s'",
				  file, cpath, c->id);
	if (c->claudette) {
		size_t k;
		for (k = 0; k < NCLAUDETTE; k++)
			if (!strcmp(c->claudette, claudette_ids[k][0]))
				break;
		if (k == NCLAUDETTE)
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s.claudette: expected one of "
					  "a, ch, cr, j, law, ltd, ter, use, "
					  "pinc",
					  file, cpath);
		if (strcmp(c->id, claudette_ids[k][1]))
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s.claudette: code '%s' "
					  "belongs to category '%s', not '%s'",
					  file, cpath, c->claudette,
					  claudette_ids[k][1], c->id);
	}
	for (size_t i = 0; i < c->nparams; i++)
		if (cw_params_kind_from_name(c->params[i]) < 0)
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s.params[%zu]: unknown "
					  "parameter '%s'",
					  file, cpath, i, c->params[i]);
	if ((rc = parse_patterns(c, json_object_get(v, "detect"), cpath, file,
				 err)) ||
	    (rc = parse_exposure(c, json_object_get(v, "exposure"), cpath, file,
				 err)) ||
	    (rc = parse_severity(c, json_object_get(v, "severity"), cpath, file,
				 err)) ||
	    (rc = cw_json_arr(&arr, v, "regulations", true,
			      CW_TAXONOMY_MAX_ITEMS, &w, err)) ||
	    (rc = parse_regrefs(c, arr, cpath, file, err)))
		return rc;
	return CW_OK;
}

static int load_categories(struct cw_taxonomy *tax, const char *dir,
			   struct cw_err *err)
{
	struct cw_strv files = CW_STRV_INIT;
	size_t cap = 0;
	int rc;

	if ((rc = cw_taxonomy_list_json(&files, dir, err)))
		goto out;
	if (files.n == 0) {
		rc = cw_err_set(err, CW_ENOTFOUND, "'%s': no category files",
				dir);
		goto out;
	}
	for (size_t f = 0; f < files.n; f++) {
		static const char *const file_keys[] = { "group", "categories",
							 NULL };
		struct cw_json_where w = { files.v[f], "" };
		json_t *root, *arr, *v;
		char *group = NULL;
		size_t i;

		if ((rc = cw_json_load(&root, files.v[f], CW_TAXONOMY_FILE_MAX,
				       err)))
			goto out;
		if ((rc = cw_json_keys(root, file_keys, &w, err)) ||
		    (rc = cw_json_str(&group, root, "group", true, &w, err)) ||
		    (rc = cw_json_arr(&arr, root, "categories", true,
				      CW_TAXONOMY_MAX_ITEMS, &w, err))) {
			free(group);
			json_decref(root);
			goto out;
		}
		if (tax->ncats + json_array_size(arr) > CW_TAXONOMY_MAX_ITEMS) {
			free(group);
			json_decref(root);
			rc = cw_err_set(err, CW_ETOOBIG,
					"'%s': more than %u categories in all",
					files.v[f], CW_TAXONOMY_MAX_ITEMS);
			goto out;
		}
		json_array_foreach(arr, i, v)
		{
			char cpath[64];
			snprintf(cpath, sizeof(cpath), "categories[%zu]", i);
			CW_GROW(tax->cats, cap, tax->ncats + 1);
			memset(&tax->cats[tax->ncats], 0, sizeof(*tax->cats));
			tax->ncats++;
			rc = parse_category(&tax->cats[tax->ncats - 1], v,
					    group, cpath, files.v[f], err);
			if (rc)
				break;
		}
		free(group);
		json_decref(root);
		if (rc)
			goto out;
	}
out:
	cw_strv_release(&files);
	return rc;
}

/* ---- lexicon ---- */

static int load_lexicon(struct cw_taxonomy *tax, const char *path,
			struct cw_err *err)
{
	static const char *const top_keys[] = {
		"vague_terms",	  "referenced_documents", "truncation",
		"untracked_note", "context_modifiers",	  NULL
	};
	static const char *const ctx_keys[] = { "id", "effect", "why", NULL };
	static const char *const vague_keys[] = { "term", "type", "note",
						  "bound", NULL };
	static const char *const doc_keys[] = { "type", "re", NULL };
	static const char *const trunc_keys[] = { "min_tail_bytes", "note",
						  NULL };
	static const char *const types[] = { "discretion", "time", "standard",
					     "scope", NULL };
	static const char *const bounds[] = { "notice", "period", "definition",
					      NULL };
	char path_buf[96];
	struct cw_json_where w = { path, "" }, iw = { path, path_buf };
	json_t *root, *arr, *v, *tr;
	size_t i;
	int rc;

	if ((rc = cw_json_load(&root, path, CW_TAXONOMY_FILE_MAX, err)))
		return rc;
	if ((rc = cw_json_keys(root, top_keys, &w, err)) ||
	    (rc = cw_json_str(&tax->untracked_note, root, "untracked_note",
			      true, &w, err)) ||
	    (rc = cw_json_arr(&arr, root, "vague_terms", true,
			      CW_TAXONOMY_MAX_ITEMS, &w, err)))
		goto out;
	tax->vague = cw_calloc(json_array_size(arr) + 1, sizeof(*tax->vague));
	json_array_foreach(arr, i, v)
	{
		struct cw_tax_vague *t = &tax->vague[i];
		size_t k;

		snprintf(path_buf, sizeof(path_buf), "vague_terms[%zu]", i);
		if (!json_is_object(v)) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': %s: expected an object", path,
					path_buf);
			goto out;
		}
		tax->nvague++;
		if ((rc = cw_json_keys(v, vague_keys, &iw, err)) ||
		    (rc = cw_json_str(&t->term, v, "term", true, &iw, err)) ||
		    (rc = cw_json_str(&t->type, v, "type", true, &iw, err)) ||
		    (rc = cw_json_str(&t->note, v, "note", true, &iw, err)) ||
		    (rc = cw_json_str(&t->bound, v, "bound", false, &iw, err)))
			goto out;
		for (k = 0; types[k] && strcmp(types[k], t->type); k++)
			;
		if (!types[k]) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': %s.type: expected one of "
					"discretion, time, standard, scope",
					path, path_buf);
			goto out;
		}
		for (k = 0;
		     t->bound && bounds[k] && strcmp(bounds[k], t->bound); k++)
			;
		if (t->bound && !bounds[k]) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': %s.bound: expected one of "
					"notice, period, definition",
					path, path_buf);
			goto out;
		}
		for (const char *p = t->term; *p; p++)
			if (*p >= 'A' && *p <= 'Z') {
				rc = cw_err_set(err, CW_EPARSE,
						"'%s': %s.term: expected lower "
						"case",
						path, path_buf);
				goto out;
			}
	}
	if ((rc = cw_json_arr(&arr, root, "referenced_documents", true,
			      CW_TAXONOMY_MAX_ITEMS, &w, err)))
		goto out;
	tax->docrefs =
		cw_calloc(json_array_size(arr) + 1, sizeof(*tax->docrefs));
	json_array_foreach(arr, i, v)
	{
		struct cw_tax_docref *d = &tax->docrefs[i];

		snprintf(path_buf, sizeof(path_buf),
			 "referenced_documents[%zu]", i);
		if (!json_is_object(v)) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': %s: expected an object", path,
					path_buf);
			goto out;
		}
		tax->ndocrefs++;
		if ((rc = cw_json_keys(v, doc_keys, &iw, err)) ||
		    (rc = cw_json_str(&d->type, v, "type", true, &iw, err)) ||
		    (rc = cw_json_str(&d->re, v, "re", true, &iw, err)) ||
		    (rc = compile_into(&d->compiled, d->re, &iw, err)))
			goto out;
	}
	if ((rc = cw_json_arr(&arr, root, "context_modifiers", true,
			      CW_TAXONOMY_MAX_ITEMS, &w, err)))
		goto out;
	json_array_foreach(arr, i, v)
	{
		struct cw_tax_modifier *m;
		json_t *eff;
		char *id = NULL;

		snprintf(path_buf, sizeof(path_buf), "context_modifiers[%zu]",
			 i);
		if (!json_is_object(v)) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': %s: expected an object", path,
					path_buf);
			goto out;
		}
		if ((rc = cw_json_keys(v, ctx_keys, &iw, err)) ||
		    (rc = cw_json_str(&id, v, "id", true, &iw, err)))
			goto out;
		m = !strcmp(id, "changed_before")	? &tax->ctx_changed
		    : !strcmp(id, "grey_list_consumer") ? &tax->ctx_grey
							: NULL;
		free(id);
		if (!m || m->why) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': %s.id: expected one of "
					"changed_before, grey_list_consumer "
					"(each once)",
					path, path_buf);
			goto out;
		}
		eff = json_object_get(v, "effect");
		if (!json_is_integer(eff) || json_integer_value(eff) < -2 ||
		    json_integer_value(eff) > 2) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': %s.effect: expected an integer "
					"from -2 to 2",
					path, path_buf);
			goto out;
		}
		m->effect = (int)json_integer_value(eff);
		if ((rc = cw_json_str(&m->why, v, "why", true, &iw, err)))
			goto out;
	}
	if (!tax->ctx_changed.why || !tax->ctx_grey.why) {
		rc = cw_err_set(err, CW_EPARSE,
				"'%s': context_modifiers: both changed_before "
				"and grey_list_consumer are required",
				path);
		goto out;
	}
	tr = json_object_get(root, "truncation");
	w.path = "truncation";
	if (!tr || !json_is_object(tr)) {
		rc = cw_err_set(err, CW_EPARSE,
				"'%s': truncation: expected an object", path);
		goto out;
	}
	{
		double tail;
		if ((rc = cw_json_keys(tr, trunc_keys, &w, err)) ||
		    (rc = cw_json_str(&tax->truncation_note, tr, "note", true,
				      &w, err)) ||
		    (rc = parse_number(&tail, tr, "min_tail_bytes", 1, 10000,
				       true, 0, &w, err)))
			goto out;
		tax->truncation_min_tail = (size_t)tail;
	}
out:
	json_decref(root);
	return rc;
}

/* ---- whole taxonomy ---- */

static int cross_check(struct cw_taxonomy *tax, struct cw_err *err)
{
	for (size_t i = 0; i < tax->ncats; i++) {
		struct cw_tax_category *c = &tax->cats[i];

		for (size_t j = 0; j < i; j++)
			if (!strcmp(tax->cats[j].id, c->id))
				return cw_err_set(err, CW_EPARSE,
						  "'%s': category '%s' is also "
						  "defined in '%s'",
						  c->file, c->id,
						  tax->cats[j].file);
		for (size_t r = 0; r < c->nregs; r++) {
			struct cw_tax_regref *ref = &c->regs[r];
			ref->inst =
				cw_taxonomy_instrument(tax, ref->instrument);
			if (!ref->inst)
				return cw_err_set(err, CW_EPARSE,
						  "'%s': category '%s': "
						  "regulations[%zu].instrument:"
						  " "
						  "no instrument '%s' in "
						  "regulations/",
						  c->file, c->id, r,
						  ref->instrument);
			ref->art = cw_taxonomy_article(tax, ref->instrument,
						       ref->article);
			if (!ref->art)
				return cw_err_set(err, CW_EPARSE,
						  "'%s': category '%s': "
						  "regulations[%zu].article: "
						  "'%s' has no article '%s'",
						  c->file, c->id, r,
						  ref->instrument,
						  ref->article);
		}
	}
	for (size_t k = 0; k < NCLAUDETTE; k++) {
		const struct cw_tax_category *c =
			cw_taxonomy_find(tax, claudette_ids[k][1]);
		if (!c || !c->claudette)
			return cw_err_set(err, CW_EPARSE,
					  "taxonomy: CLAUDETTE category '%s' "
					  "(code '%s') is missing or has no "
					  "claudette field",
					  claudette_ids[k][1],
					  claudette_ids[k][0]);
	}
	return CW_OK;
}

int cw_taxonomy_load(struct cw_taxonomy **out, const char *data_dir,
		     struct cw_err *err)
{
	struct cw_taxonomy *tax = cw_calloc(1, sizeof(*tax));
	char *p;
	int rc;

	*out = NULL;
	p = cw_asprintf("%s/regulations", data_dir);
	rc = cw_taxonomy_load_instruments(tax, p, err);
	free(p);
	if (rc)
		goto fail;
	p = cw_asprintf("%s/taxonomy/categories", data_dir);
	rc = load_categories(tax, p, err);
	free(p);
	if (rc)
		goto fail;
	p = cw_asprintf("%s/taxonomy/lexicon.json", data_dir);
	rc = load_lexicon(tax, p, err);
	free(p);
	if (rc)
		goto fail;
	if ((rc = cross_check(tax, err)))
		goto fail;
	*out = tax;
	return CW_OK;
fail:
	cw_taxonomy_free(tax);
	return rc;
}

void cw_taxonomy_free(struct cw_taxonomy *tax)
{
	if (!tax)
		return;
	for (size_t i = 0; i < tax->ncats; i++)
		free_category(&tax->cats[i]);
	free(tax->cats);
	cw_taxonomy_free_instruments(tax);
	for (size_t i = 0; i < tax->nvague; i++) {
		free(tax->vague[i].term);
		free(tax->vague[i].type);
		free(tax->vague[i].note);
		free(tax->vague[i].bound);
	}
	free(tax->vague);
	for (size_t i = 0; i < tax->ndocrefs; i++) {
		free(tax->docrefs[i].type);
		free(tax->docrefs[i].re);
		cw_re_free(tax->docrefs[i].compiled);
	}
	free(tax->docrefs);
	free(tax->truncation_note);
	free(tax->untracked_note);
	free(tax->ctx_changed.why);
	free(tax->ctx_grey.why);
	free(tax);
}

size_t cw_taxonomy_count(const struct cw_taxonomy *tax)
{
	return tax->ncats;
}

const struct cw_tax_category *cw_taxonomy_at(const struct cw_taxonomy *tax,
					     size_t i)
{
	return i < tax->ncats ? &tax->cats[i] : NULL;
}

const struct cw_tax_category *cw_taxonomy_find(const struct cw_taxonomy *tax,
					       const char *id)
{
	for (size_t i = 0; id && i < tax->ncats; i++)
		if (!strcmp(tax->cats[i].id, id))
			return &tax->cats[i];
	return NULL;
}

long cw_taxonomy_index(const struct cw_taxonomy *tax,
		       const struct cw_tax_category *cat)
{
	if (!cat || cat < tax->cats || cat >= tax->cats + tax->ncats)
		return -1;
	return (long)(cat - tax->cats);
}

void cw_taxonomy_stats(struct cw_taxonomy_stats *out,
		       const struct cw_taxonomy *tax)
{
	memset(out, 0, sizeof(*out));
	out->categories = tax->ncats;
	out->instruments = tax->ninsts;
	for (size_t i = 0; i < tax->ninsts; i++) {
		out->articles += tax->insts[i].narticles;
		for (size_t j = 0; j < tax->insts[i].narticles; j++)
			out->verified += tax->insts[i].articles[j].verified;
	}
	for (size_t i = 0; i < tax->ncats; i++)
		out->references += tax->cats[i].nregs;
}

size_t cw_taxonomy_vague_count(const struct cw_taxonomy *tax)
{
	return tax->nvague;
}

const struct cw_tax_vague *cw_taxonomy_vague_at(const struct cw_taxonomy *tax,
						size_t i)
{
	return i < tax->nvague ? &tax->vague[i] : NULL;
}

size_t cw_taxonomy_docref_count(const struct cw_taxonomy *tax)
{
	return tax->ndocrefs;
}

const struct cw_tax_docref *cw_taxonomy_docref_at(const struct cw_taxonomy *tax,
						  size_t i)
{
	return i < tax->ndocrefs ? &tax->docrefs[i] : NULL;
}

const char *cw_taxonomy_truncation_note(const struct cw_taxonomy *tax)
{
	return tax->truncation_note ? tax->truncation_note : "";
}

const char *cw_taxonomy_untracked_note(const struct cw_taxonomy *tax)
{
	return tax->untracked_note ? tax->untracked_note : "";
}

size_t cw_taxonomy_truncation_min_tail(const struct cw_taxonomy *tax)
{
	return tax->truncation_min_tail;
}

/* ---- detection ---- */

void cw_tax_matches_release(struct cw_tax_matches *m)
{
	free(m->items);
	m->items = NULL;
	m->n = m->cap = 0;
}

static bool score_lower(struct cw_tax_match *out,
			const struct cw_tax_category *cat, const char *title,
			size_t tlen, const char *text, size_t len)
{
	double best = 0;

	memset(out, 0, sizeof(*out));
	out->cat = cat;
	for (size_t i = 0; i < cat->npatterns; i++) {
		const struct cw_tax_pattern *p = &cat->patterns[i];
		size_t s, e;
		bool hit;

		if (p->title)
			hit = title && cw_taxonomy_match(p->compiled, title,
							 tlen, 0, &s, &e);
		else
			hit = cw_taxonomy_match(p->compiled, text, len, 0, &s,
						&e);
		if (!hit)
			continue;
		out->score += p->weight;
		if (out->nevidence < CW_TAXONOMY_MAX_EVIDENCE)
			out->evidence[out->nevidence++] =
				(struct cw_tax_span){ i, s, e };
		if (p->title)
			continue;
		if (p->weight >= 1.0)
			out->explicit_text = true;
		if (p->weight > best || (p->weight == best && s < out->start)) {
			best = p->weight;
			out->start = s;
			out->end = e;
		}
	}
	out->confidence = 1.0 - exp(-out->score);
	out->by_rules = out->score >= cat->min_score;
	out->model = -1;
	return out->by_rules;
}

bool cw_taxonomy_score(struct cw_tax_match *out,
		       const struct cw_tax_category *cat, const char *title,
		       const char *text, size_t len)
{
	struct cw_buf lt = CW_BUF_INIT, lti = CW_BUF_INIT;
	bool hit;

	cw_taxonomy_lower(&lt, text ? text : "", len);
	if (title)
		cw_taxonomy_lower(&lti, title, strlen(title));
	hit = score_lower(out, cat, title ? lti.ptr : NULL, lti.len, lt.ptr,
			  len);
	cw_buf_release(&lt);
	cw_buf_release(&lti);
	return hit;
}

static int cmp_match(const void *a, const void *b)
{
	const struct cw_tax_match *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->cat < y->cat ? -1 : x->cat > y->cat;
}

int cw_taxonomy_detect(struct cw_tax_matches *out,
		       const struct cw_taxonomy *tax, const char *title,
		       const char *text, size_t len, struct cw_err *err)
{
	struct cw_buf lt = CW_BUF_INIT, lti = CW_BUF_INIT;
	size_t first = out->n;

	if (len > CW_TAXONOMY_TEXT_MAX)
		return cw_err_set(err, CW_ETOOBIG,
				  "detect: text of %zu bytes is over the %u "
				  "byte cap",
				  len, CW_TAXONOMY_TEXT_MAX);
	/* lower-case once for all the categories */
	cw_taxonomy_lower(&lt, text ? text : "", len);
	if (title)
		cw_taxonomy_lower(&lti, title, strlen(title));
	for (size_t i = 0; i < tax->ncats; i++) {
		struct cw_tax_match m;
		if (!score_lower(&m, &tax->cats[i], title ? lti.ptr : NULL,
				 lti.len, lt.ptr, len))
			continue;
		CW_GROW(out->items, out->cap, out->n + 1);
		out->items[out->n++] = m;
	}
	cw_buf_release(&lt);
	cw_buf_release(&lti);
	if (out->n > first)
		qsort(out->items + first, out->n - first, sizeof(*out->items),
		      cmp_match);
	return CW_OK;
}

int cw_taxonomy_merge_model(struct cw_tax_matches *m,
			    const struct cw_taxonomy *tax, const char *id,
			    double confidence, struct cw_err *err)
{
	const struct cw_tax_category *cat = cw_taxonomy_find(tax, id);
	struct cw_tax_match *x;

	if (!cat)
		return cw_err_set(err, CW_ENOTFOUND,
				  "merge: no category '%s' in the taxonomy",
				  id ? id : "(null)");
	if (!(confidence >= 0 && confidence <= 1))
		return cw_err_set(err, CW_EINVAL,
				  "merge: confidence %g for '%s' is outside "
				  "[0, 1]",
				  confidence, id);
	for (size_t i = 0; i < m->n; i++)
		if (m->items[i].cat == cat) {
			m->items[i].model = confidence;
			return CW_OK;
		}
	CW_GROW(m->items, m->cap, m->n + 1);
	x = &m->items[m->n++];
	memset(x, 0, sizeof(*x));
	x->cat = cat;
	x->score = confidence;
	x->confidence = confidence;
	x->model = confidence;
	qsort(m->items, m->n, sizeof(*m->items), cmp_match);
	return CW_OK;
}

/* ---- exposure ---- */

void cw_tax_rating_release(struct cw_tax_rating *r)
{
	free(r->applied);
	r->applied = NULL;
	r->napplied = 0;
}

int cw_taxonomy_rate(struct cw_tax_rating *out,
		     const struct cw_tax_category *cat, int audience,
		     const char *text, size_t len, struct cw_err *err)
{
	const struct cw_tax_exposure *e;
	struct cw_buf lt = CW_BUF_INIT;
	struct cw_tax_match m;
	int level;

	memset(out, 0, sizeof(*out));
	if (audience < 0 || audience >= CW_AUDIENCE_COUNT)
		return cw_err_set(err, CW_EINVAL, "rate: unknown audience %d",
				  audience);
	if (len > CW_TAXONOMY_TEXT_MAX)
		return cw_err_set(err, CW_ETOOBIG,
				  "rate: text of %zu bytes is over the %u "
				  "byte cap",
				  len, CW_TAXONOMY_TEXT_MAX);
	e = &cat->exposure[audience];
	out->audience = audience;
	out->base = e->base;
	level = e->base;
	cw_taxonomy_lower(&lt, text ? text : "", len);
	if (e->nmodifiers)
		out->applied = cw_calloc(e->nmodifiers, sizeof(*out->applied));
	for (size_t i = 0; i < e->nmodifiers; i++) {
		size_t s, t;
		if (!cw_taxonomy_match(e->modifiers[i].compiled, lt.ptr, len, 0,
				       &s, &t))
			continue;
		out->applied[out->napplied++] =
			(struct cw_tax_applied){ &e->modifiers[i], s, t };
		level += e->modifiers[i].effect;
	}
	out->level = level < CW_LEVEL_LOW    ? CW_LEVEL_LOW
		     : level > CW_LEVEL_HIGH ? CW_LEVEL_HIGH
					     : level;
	score_lower(&m, cat, NULL, 0, lt.ptr, len);
	out->basis = m.explicit_text ? CW_EVIDENCE_EXPLICIT
				     : CW_EVIDENCE_INFERRED;
	cw_buf_release(&lt);
	return CW_OK;
}

static bool cites_grey_list(const struct cw_tax_category *cat)
{
	for (size_t r = 0; r < cat->nregs; r++) {
		const char *in = cat->regs[r].instrument;
		const char *art = cat->regs[r].article;
		if ((!strcmp(in, "eu_uctd") && cw_str_startswith(art, "Annex "
								      "1(")) ||
		    (!strcmp(in, "uk_cra") &&
		     cw_str_startswith(art, "Sch 2 para") &&
		     strcmp(art, "Sch 2 para 23")))
			return true;
	}
	return false;
}

void cw_taxonomy_rate_context(struct cw_tax_rating *r,
			      const struct cw_taxonomy *tax,
			      const struct cw_tax_category *cat,
			      unsigned context)
{
	const struct cw_tax_modifier *add[2];
	size_t nadd = 0;
	int level = r->base;

	if ((context & CW_RATE_CHANGED_BEFORE) && tax->ctx_changed.why)
		add[nadd++] = &tax->ctx_changed;
	if ((context & CW_RATE_EU_UK_CONSUMER) &&
	    r->audience == CW_AUDIENCE_CONSUMER && tax->ctx_grey.why &&
	    cites_grey_list(cat))
		add[nadd++] = &tax->ctx_grey;
	if (!nadd)
		return;
	r->applied = cw_reallocarray(r->applied, r->napplied + nadd,
				     sizeof(*r->applied));
	for (size_t i = 0; i < nadd; i++)
		r->applied[r->napplied++] =
			(struct cw_tax_applied){ add[i], 0, 0 };
	for (size_t i = 0; i < r->napplied; i++)
		level += r->applied[i].mod->effect;
	r->level = level < CW_LEVEL_LOW	   ? CW_LEVEL_LOW
		   : level > CW_LEVEL_HIGH ? CW_LEVEL_HIGH
					   : level;
}

void cw_taxonomy_jurisdictions(struct cw_strv *out,
			       const struct cw_tax_category *cat)
{
	for (size_t r = 0; r < cat->nregs; r++) {
		const struct cw_tax_instrument *in = cat->regs[r].inst;
		for (size_t j = 0; in && j < in->njurisdictions; j++) {
			bool seen = false;
			for (size_t k = 0; k < out->n && !seen; k++)
				seen = !strcmp(out->v[k], in->jurisdictions[j]);
			if (!seen)
				cw_strv_push(out, in->jurisdictions[j]);
		}
	}
}
