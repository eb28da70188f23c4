/*
 * report: the generated text of an analysis (templates as data), the
 * reader's view of a provision and its Markdown. See analyze.h.
 *
 * A template is a string with {placeholders}. A sentence whose placeholder
 * has no value is not rendered at all: a half-filled sentence would state
 * something we do not know.
 */
#include <ctype.h>
#include <strings.h>

#include "../util/json.h"
#include "analyze.h"
#include "context_int.h"
#include "report_int.h"
#include "params.h"

/* Templates every analysis needs; checked on load so that a broken data
   file fails at start-up with its field named, not in the middle of a
   report. Optional ones (per-category meanings, per-parameter readings)
   are looked up when used. */
static const char *const required[] = {
	"reading.category_explicit",
	"reading.category_inferred",
	"reading.model_only",
	"reading.severity_model",
	"reading.severity_derived",
	"notes.vague",
	"notes.vague_resolved",
	"notes.truncated",
	"notes.untracked",
	"meaning.consumer.low",
	"meaning.consumer.medium",
	"meaning.consumer.high",
	"meaning.operator.low",
	"meaning.operator.medium",
	"meaning.operator.high",
	"meaning.modifier_up",
	"meaning.modifier_down",
	"meaning.modifier_noted",
	"compliance.landscape",
	"compliance.not_in_effect",
	"compliance.no_date",
	"compliance.unverified",
	"compliance.exposure",
	"compliance.jurisdiction",
	"compliance.no_regulation",
	"monitoring.changed",
	"monitoring.unchanged",
	"monitoring.moved",
	"monitoring.renamed",
	"others.prevalence",
	"others.none",
	"reading.severity_stated",
	"compliance.reader",
	"compliance.reader_grey",
};

static const json_t *tpl_node(const json_t *root, const char *path)
{
	const json_t *cur = root;
	const char *p = path;

	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		cur = json_object_getn(cur, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

static const char *tpl_at(const struct cw_analyze_ctx *ctx, const char *path)
{
	return json_string_value(tpl_node(ctx->tpl, path));
}

int cw_analyze_templates_load(struct cw_analyze_ctx *ctx, const char *path,
			      struct cw_err *err)
{
	int rc = cw_json_load(&ctx->tpl, path, CW_ANALYZE_TEMPLATES_MAX, err);

	if (rc)
		return rc;
	ctx->tpl_path = cw_strdup(path);
	for (size_t i = 0; i < sizeof(required) / sizeof(*required); i++)
		if (!json_is_string(tpl_node(ctx->tpl, required[i])))
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s: expected a string", path,
					  required[i]);
	/* the optional groups, when present, hold only strings */
	{
		const char *k;
		json_t *v, *w;
		const char *kk;
		json_object_foreach(
			json_object_get(json_object_get(ctx->tpl, "reading"),
					"params"),
			k, v)
		{
			if (cw_params_kind_from_name(k) < 0)
				return cw_err_set(err, CW_EPARSE,
						  "'%s': reading.params.%s: no "
						  "such parameter",
						  path, k);
			if (!json_is_string(v))
				return cw_err_set(err, CW_EPARSE,
						  "'%s': reading.params.%s: "
						  "expected a string",
						  path, k);
		}
		json_object_foreach(
			json_object_get(json_object_get(ctx->tpl, "meaning"),
					"categories"),
			k, v)
		{
			if (!cw_taxonomy_find(ctx->tax, k))
				return cw_err_set(err, CW_EPARSE,
						  "'%s': "
						  "meaning.categories.%s: no "
						  "such category",
						  path, k);
			json_object_foreach(
				v, kk,
				w) if (cw_audience_parse(kk) < 0 ||
				       !json_is_string(
					       w)) return cw_err_set(err,
								     CW_EPARSE,
								     "'%s': "
								     "meaning."
								     "categorie"
								     "s.%s.%s: "
								     "expected "
								     "consumer "
								     "or "
								     "operator "
								     "with a "
								     "string",
								     path, k,
								     kk);
		}
	}
	return CW_OK;
}

struct var {
	const char *name;
	const char *value;
};

/* Render `tpl`; false when a placeholder has no value (nothing appended). */
static bool render(struct cw_buf *out, const char *tpl, const struct var *v,
		   size_t nv)
{
	size_t mark = out->len;

	for (const char *p = tpl; *p;) {
		const char *close;
		size_t n;
		bool found = false;

		if (*p != '{' || !(close = strchr(p + 1, '}'))) {
			cw_buf_addc(out, *p++);
			continue;
		}
		n = (size_t)(close - p - 1);
		for (size_t i = 0; i < nv; i++)
			if (strlen(v[i].name) == n &&
			    !memcmp(v[i].name, p + 1, n)) {
				if (!v[i].value) {
					cw_buf_truncate(out, mark);
					return false;
				}
				cw_buf_adds(out, v[i].value);
				found = true;
				break;
			}
		if (!found) {
			cw_buf_truncate(out, mark);
			return false;
		}
		p = close + 1;
	}
	return true;
}

/*
 * Append a statement {text, source:[template:path, extra...]} to `arr`
 * when the template exists and renders. `extra` is stolen (may be NULL).
 */
static bool stmt(json_t *arr, const struct cw_analyze_ctx *ctx,
		 const char *path, const struct var *v, size_t nv,
		 json_t *extra)
{
	const char *tpl = tpl_at(ctx, path);
	struct cw_buf b = CW_BUF_INIT;
	json_t *src;

	if (!tpl || !render(&b, tpl, v, nv)) {
		json_decref(extra);
		cw_buf_release(&b);
		return false;
	}
	src = json_array();
	json_array_append_new(src, json_sprintf("template:%s", path));
	if (json_is_array(extra))
		json_array_extend(src, extra);
	else if (json_is_string(extra))
		json_array_append(src, extra);
	json_decref(extra);
	json_array_append_new(arr, json_pack("{ssso}", "text", cw_buf_str(&b),
					     "source", src));
	cw_buf_release(&b);
	return true;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* "Mandatory arbitration" -> "mandatory arbitration"; "API keys" kept. */
static char *lower_first(const char *s)
{
	char *r = cw_strdup(s ? s : "");
	if (r[0] && isupper((unsigned char)r[0]) &&
	    !(r[1] && isupper((unsigned char)r[1])))
		r[0] = (char)tolower((unsigned char)r[0]);
	return r;
}

static void pct(char out[16], double x)
{
	snprintf(out, 16, "%.0f%%", x * 100);
}

/* "potentially_unfair" -> "potentially unfair" */
static char *words(const char *s)
{
	char *r = cw_strdup(s ? s : "");
	for (char *p = r; *p; p++)
		if (*p == '_')
			*p = ' ';
	return r;
}

void cw_analyze_text(const struct cw_analyze_ctx *ctx, json_t *prov)
{
	json_t *reading = json_array(), *meaning = json_object(), *c;
	struct cw_strv seen = CW_STRV_INIT;
	size_t i;

	json_array_foreach(json_object_get(prov, "categories"), i, c)
	{
		json_t *rules = json_object_get(c, "rules");
		json_t *model = json_object_get(c, "model");
		char *name = lower_first(jstr(c, "name"));
		char *sev = words(jstr(c, "severity"));
		char cp[16], path[128];
		json_t *p;
		size_t k;

		if (json_is_object(rules)) {
			json_t *ev = json_array_get(
				json_object_get(rules, "evidence"), 0);
			struct var v[] = { { "name_lc", name },
					   { "definition", NULL },
					   { "evidence_source",
					     jstr(ev, "source") } };
			const struct cw_tax_category *cat =
				cw_taxonomy_find(ctx->tax, jstr(c, "id"));
			v[1].value = cat ? cat->definition : NULL;
			json_t *src = json_array();
			size_t e;
			json_t *evi;
			json_array_foreach(json_object_get(rules, "evidence"),
					   e, evi)
				json_array_append_new(
					src, json_string(jstr(evi, "source")));
			json_array_append_new(src, json_sprintf("taxonomy:%s."
								"definition",
								jstr(c, "id")));
			stmt(reading, ctx,
			     json_is_true(json_object_get(rules, "explicit"))
				     ? "reading.category_explicit"
				     : "reading.category_inferred",
			     v, 3, src);
		} else {
			const struct cw_tax_category *cat =
				cw_taxonomy_find(ctx->tax, jstr(c, "id"));
			pct(cp, json_number_value(json_object_get(model, "confi"
									 "denc"
									 "e")));
			struct var v[] = { { "name_lc", name },
					   { "confidence_pct", cp },
					   { "definition",
					     cat ? cat->definition : NULL } };
			stmt(reading, ctx, "reading.model_only", v, 3,
			     json_pack("[s]", jstr(model, "source")));
		}
		if (json_is_object(model) &&
		    cw_str_startswith(jstr(c, "severity_source"), "model:")) {
			pct(cp, json_number_value(json_object_get(model, "confi"
									 "denc"
									 "e")));
			struct var v[] = { { "severity_text", sev },
					   { "confidence_pct", cp } };
			stmt(reading, ctx, "reading.severity_model", v, 2,
			     json_pack("[s]", jstr(model, "source")));
		} else if (cw_str_startswith(jstr(c, "severity_source"), "taxon"
									 "omy"
									 ":")) {
			struct var v[] = { { "severity_text", sev },
					   { "why", jstr(c, "severity_why") } };
			stmt(reading, ctx, "reading.severity_stated", v, 2,
			     json_pack("[s]", jstr(c, "severity_source")));
		} else {
			struct var v[] = { { "severity_text", sev } };
			stmt(reading, ctx, "reading.severity_derived", v, 1,
			     json_pack("[s]", jstr(c, "severity_source")));
		}
		json_array_foreach(json_object_get(c, "parameters"), k, p)
		{
			char *detail = NULL, *id;
			bool dup = false;
			id = cw_asprintf("%s=%s", jstr(p, "name"),
					 jstr(p, "value"));
			for (size_t s = 0; s < seen.n; s++)
				dup |= !strcmp(seen.v[s], id);
			if (dup) {
				free(id);
				continue;
			}
			cw_strv_take(&seen, id);
			if (jstr(p, "detail"))
				detail = cw_asprintf(" (%s)", jstr(p, "detai"
								      "l"));
			struct var v[] = { { "value", jstr(p, "value") },
					   { "detail_paren",
					     detail ? detail : "" } };
			snprintf(path, sizeof(path), "reading.params.%s",
				 jstr(p, "name"));
			stmt(reading, ctx, path, v, 2,
			     json_pack("[s]", jstr(p, "source")));
			free(detail);
		}
		free(name);
		free(sev);
	}

	for (int a = 0; a < CW_AUDIENCE_COUNT; a++) {
		const char *an = cw_audience_name(a);
		json_t *arr = json_array();
		json_t *top =
			json_object_get(json_object_get(prov, "exposure"), an);
		const char *topcat = jstr(top, "category");
		char path[160];

		if (topcat) {
			snprintf(path, sizeof(path), "meaning.%s.%s", an,
				 jstr(top, "level"));
			/* the source names the category that set the level */
			stmt(arr, ctx, path, NULL, 0,
			     json_sprintf("exposure:%s/%s=%s", topcat, an,
					  jstr(top, "level")));
		}
		json_array_foreach(json_object_get(prov, "categories"), i, c)
		{
			snprintf(path, sizeof(path), "meaning.categories.%s.%s",
				 jstr(c, "id"), an);
			if (!stmt(arr, ctx, path, NULL, 0,
				  json_sprintf("category:%s", jstr(c, "id")))) {
				/* no template of ours: the taxonomy's own
				   reading for this audience, when it has one */
				const struct cw_tax_category *cat =
					cw_taxonomy_find(ctx->tax,
							 jstr(c, "id"));
				if (cat && cat->exposure[a].means) {
					char *src = cw_asprintf("taxonomy:%s."
								"exposure.%s."
								"means",
								cat->id, an);
					json_array_append_new(
						arr,
						json_pack("{sss[s]}", "text",
							  cat->exposure[a].means,
							  "source", src));
					free(src);
				}
			}
			if (!topcat || strcmp(topcat, jstr(c, "id")))
				continue;
			json_t *mods = json_object_get(
				json_object_get(json_object_get(c, "exposure"),
						an),
				"modifiers");
			size_t k;
			json_t *m;
			json_array_foreach(mods, k, m)
			{
				json_int_t eff = json_integer_value(
					json_object_get(m, "effect"));
				struct var v[] = { { "why", jstr(m, "why") } };
				stmt(arr, ctx,
				     eff > 0   ? "meaning.modifier_up"
				     : eff < 0 ? "meaning.modifier_down"
					       : "meaning.modifier_noted",
				     v, 1, json_pack("[s]", jstr(m, "source")));
			}
		}
		json_object_set_new(meaning, an, arr);
	}
	cw_strv_release(&seen);
	json_object_set_new(prov, "reading", reading);
	json_object_set_new(prov, "meaning", meaning);
}

/* ---- the reader's view ---- */

static bool arr_has_str(const json_t *arr, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i,
			   v) if (!strcmp(json_string_value(v), s)) return true;
	return false;
}

static json_t *notes_view(const struct cw_analyze_ctx *ctx, const json_t *prov)
{
	json_t *out = json_array(), *n;
	size_t i;

	json_array_foreach(json_object_get(prov, "notes"), i, n)
	{
		const char *kind = jstr(n, "kind");
		json_t *tmp = json_array();
		char path[64];

		if (!strcmp(kind, "vague") &&
		    json_is_true(json_object_get(n, "resolved")))
			snprintf(path, sizeof(path), "notes.vague_resolved");
		else
			snprintf(path, sizeof(path), "notes.%s", kind);
		struct var v[] = { { "term", jstr(n, "term") },
				   { "type", jstr(n, "type") },
				   { "note", jstr(n, "note") },
				   { "where", jstr(n, "where") },
				   { "doc_type", jstr(n, "doc_type") } };
		if (stmt(tmp, ctx, path, v, 5,
			 json_pack("[s]", jstr(n, "source")))) {
			json_t *s = json_array_get(tmp, 0);
			json_object_set(s, "kind", json_object_get(n, "kind"));
			json_object_set(s, "term", json_object_get(n, "term"));
			json_object_set(s, "resolved",
					json_object_get(n, "resolved"));
			json_object_set(s, "span", json_object_get(n, "span"));
			json_object_set(s, "quote",
					json_object_get(n, "quote"));
			json_array_append(out, s);
		}
		json_decref(tmp);
	}
	return out;
}

static json_t *compliance_view(const struct cw_analyze_ctx *ctx,
			       const json_t *doc, const json_t *prov,
			       const char *an)
{
	json_t *land = json_array(), *flags = json_array(),
	       *contract = json_array();
	json_t *cons = json_array(), *expo = json_array(), *c;
	json_t *seen = json_array(), *jur = json_object();
	const char *date = jstr(doc, "date");
	size_t i;

	json_array_foreach(json_object_get(prov, "categories"), i, c)
	{
		json_t *r, *e = json_object_get(json_object_get(c, "exposure"),
						an);
		size_t k;
		char *capa = cw_strdup(an);
		capa[0] = (char)toupper((unsigned char)capa[0]);
		struct var ev[] = { { "audience_cap", capa },
				    { "level", jstr(e, "level") },
				    { "category", jstr(c, "name") },
				    { "basis", jstr(e, "basis") },
				    { "base", jstr(e, "base") } };
		json_t *src = json_array();
		json_t *m;
		json_array_append_new(src, json_sprintf("taxonomy:%s.exposure.%"
							"s",
							jstr(c, "id"), an));
		json_array_foreach(json_object_get(e, "modifiers"), k, m)
			json_array_append_new(src, json_string(jstr(m, "sourc"
								       "e")));
		stmt(expo, ctx, "compliance.exposure", ev, 5, src);
		if (json_array_size(expo)) {
			json_t *last =
				json_array_get(expo, json_array_size(expo) - 1);
			if (!json_object_get(last, "level")) {
				json_object_set_new(last, "category",
						    json_string(jstr(c, "id")));
				json_object_set(last, "level",
						json_object_get(e, "level"));
				json_object_set(last, "basis",
						json_object_get(e, "basis"));
				json_object_set(last, "modifiers",
						json_object_get(e, "modifier"
								   "s"));
			}
		}
		free(capa);

		json_array_foreach(json_object_get(c, "regulations"), k, r)
		{
			char *id = cw_asprintf("%s/%s", jstr(r, "instrument"),
					       jstr(r, "article"));
			char *label = NULL, *tparen = NULL;
			json_t *tmp = json_array(), *s, *j;
			size_t q;

			if (arr_has_str(seen, id)) {
				free(id);
				json_decref(tmp);
				continue;
			}
			json_array_append_new(seen, json_string(id));
			label = cw_strdup(jstr(r, "article"));
			if (jstr(r, "article_title"))
				tparen = cw_asprintf(" (%s)", jstr(r, "article_"
								      "title"));
			struct var v[] = { { "instrument", jstr(r, "name") },
					   { "citation", jstr(r, "citation") },
					   { "article_label", label },
					   { "article_title_paren",
					     tparen ? tparen : "" },
					   { "why", jstr(r, "why") } };
			json_t *rsrc = json_pack("[s]", jstr(r, "source"));
			json_array_append_new(rsrc, json_sprintf("taxonomy:%s."
								 "regulations",
								 jstr(c, "i"
									 "d")));
			if (stmt(tmp, ctx, "compliance.landscape", v, 5,
				 rsrc)) {
				s = json_array_get(tmp, 0);
				json_t *in = json_object_get(r, "in_effect");
				struct cw_buf extra = CW_BUF_INIT;
				cw_buf_adds(&extra, jstr(s, "text"));
				if (json_is_false(in)) {
					struct var w[] = { { "date", date },
							   { "applies_from",
							     jstr(r, "applies_"
								     "fro"
								     "m") } };
					json_t *t2 = json_array();
					if (stmt(t2, ctx,
						 "compliance.not_in_effect", w,
						 2, NULL)) {
						cw_buf_addc(&extra, ' ');
						cw_buf_adds(&extra,
							    jstr(json_array_get(
									 t2, 0),
								 "text"));
					}
					json_decref(t2);
				} else if (json_is_null(in) || !in) {
					cw_buf_addc(&extra, ' ');
					cw_buf_adds(&extra, tpl_at(ctx, "compli"
									"ance."
									"no_"
									"dat"
									"e"));
				}
				if (!json_is_true(json_object_get(r, "verifie"
								     "d"))) {
					cw_buf_addc(&extra, ' ');
					cw_buf_adds(&extra, tpl_at(ctx, "compli"
									"ance."
									"unveri"
									"fie"
									"d"));
				}
				json_object_set_new(
					s, "text",
					json_string(cw_buf_str(&extra)));
				cw_buf_release(&extra);
				json_object_set(s, "instrument",
						json_object_get(r, "instrumen"
								   "t"));
				json_object_set(s, "article",
						json_object_get(r, "article"));
				json_object_set(s, "jurisdictions",
						json_object_get(r, "jurisdictio"
								   "ns"));
				json_object_set(s, "in_effect",
						json_object_get(r, "in_"
								   "effect"));
				json_object_set(s, "verified",
						json_object_get(r, "verified"));
				json_object_set(s, "applies_from",
						json_object_get(r, "applies_"
								   "from"));
				json_array_append(land, s);
			}
			json_decref(tmp);
			/* jurisdiction -> instruments */
			json_array_foreach(json_object_get(r, "jurisdictions"),
					   q, j)
			{
				json_t *list = json_object_get(
					jur, json_string_value(j));
				if (!list) {
					list = json_array();
					json_object_set_new(
						jur, json_string_value(j),
						list);
				}
				if (!arr_has_str(list, jstr(r, "name")))
					json_array_append_new(
						list,
						json_string(jstr(r, "name")));
			}
			free(id);
			free(label);
			free(tparen);
		}
		json_t *im = json_object_get(c, "implications");
		if (json_is_object(im))
			json_array_append(contract, im);
		json_t *a;
		json_array_foreach(json_object_get(c, "actions"), k, a)
			json_array_append(cons, a);
	}
	if (!json_array_size(land))
		stmt(land, ctx, "compliance.no_regulation", NULL, 0, NULL);
	{
		const char *k;
		json_t *list, *x;
		json_object_foreach(jur, k, list)
		{
			struct cw_buf b = CW_BUF_INIT;
			size_t q;
			json_array_foreach(list, q, x)
			{
				if (q)
					cw_buf_adds(&b, "; ");
				cw_buf_adds(&b, json_string_value(x));
			}
			struct var v[] = { { "jurisdiction", k },
					   { "instruments", cw_buf_str(&b) } };
			if (stmt(flags, ctx, "compliance.jurisdiction", v, 2,
				 json_pack("[s]", "regulations:jurisdictions")))
				json_object_set_new(
					json_array_get(flags,
						       json_array_size(flags) -
							       1),
					"jurisdiction", json_string(k));
			cw_buf_release(&b);
		}
	}
	json_decref(seen);
	json_decref(jur);
	return json_pack(
		"{sososososo}", "regulatory_landscape", land, "exposure",
		json_pack("{sOso}", "level",
			  json_object_get(
				  json_object_get(json_object_get(prov, "exposu"
									"re"),
						  an),
				  "level")
				  ? json_object_get(
					    json_object_get(
						    json_object_get(prov, "expo"
									  "sur"
									  "e"),
						    an),
					    "level")
				  : json_null(),
			  "by_category", expo),
		"jurisdiction_flags", flags, "contract_and_vendor", contract,
		"considerations", cons);
}

/* A new reference to `j`, or a new empty array when it is NULL. */
static json_t *ref_or_array(json_t *j)
{
	return j ? json_incref(j) : json_array();
}

static json_t *monitoring_view(const struct cw_analyze_ctx *ctx,
			       const json_t *history, const char *an)
{
	json_t *st = json_array(), *e;
	size_t i, n = json_array_size(json_object_get(history, "events"));
	char nb[32], vb[32];

	snprintf(nb, sizeof(nb), "%zu", n);
	snprintf(vb, sizeof(vb), "%lld",
		 (long long)json_integer_value(json_object_get(history, "versio"
									"ns")));
	{
		struct var v[] = { { "n", nb }, { "versions", vb } };
		stmt(st, ctx, n ? "monitoring.changed" : "monitoring.unchanged",
		     v, 2, json_pack("[s]", "store:changes"));
	}
	json_array_foreach(json_object_get(history, "events"), i, e)
	{
		const char *ok = jstr(e, "old_key"), *k = jstr(e, "key");
		char tb[32];
		if (!ok || !k || !strcmp(ok, k))
			continue;
		snprintf(tb, sizeof(tb), "%lld",
			 (long long)json_integer_value(
				 json_object_get(e, "to")));
		struct var v[] = { { "old_key", ok }, { "to", tb } };
		stmt(st, ctx, "monitoring.renamed", v, 2,
		     json_pack("[s]", "store:changes"));
	}
	json_array_foreach(json_object_get(history, "moves"), i, e)
	{
		char fb[32], tb[32];
		if (strcmp(jstr(e, "audience"), an))
			continue;
		snprintf(fb, sizeof(fb), "%lld",
			 (long long)json_integer_value(
				 json_object_get(e, "from_version")));
		snprintf(tb, sizeof(tb), "%lld",
			 (long long)json_integer_value(
				 json_object_get(e, "to_version")));
		struct var v[] = { { "from", fb },
				   { "to", tb },
				   { "audience", an },
				   { "old", jstr(e, "from") },
				   { "new", jstr(e, "to") } };
		stmt(st, ctx, "monitoring.moved", v, 5,
		     json_pack("[s]", "store:analyses"));
	}
	return json_pack("{sososo}", "events",
			 ref_or_array(json_object_get(history, "events")),
			 "moves",
			 ref_or_array(json_object_get(history, "moves")),
			 "statements", st);
}

/* ---- the reader's place ---- */

/* Whether instrument jurisdiction `j` ("EU", "EEA", "US-CA") covers a
 * reader in `reader` ("eu", "us", "us-ca"): the same place, the EEA for an
 * EU reader, or a part of the reader's country ("US-CA" for "us": state
 * law binds only readers in that state, so it is counted as applying,
 * the reader's state being unknown). */
static bool place_covers(const char *j, const char *reader)
{
	size_t n = strlen(reader);

	if (!strcasecmp(j, reader))
		return true;
	if (!strcasecmp(reader, "eu") && !strcasecmp(j, "EEA"))
		return true;
	return !strncasecmp(j, reader, n) && j[n] == '-';
}

/*
 * Apply what depends on where the reader is to a copy of a stored
 * provision (the stored analysis itself does not know its reader):
 * - a consumer in the EU or UK reads a category that cites a grey-list
 *   item with the lexicon's "grey_list_consumer" modifier
 *   (cw_taxonomy_rate_context), and the provision's consumer exposure is
 *   recomputed;
 * - each regulation gets "applies_to_reader" (its jurisdictions cover
 *   the reader's place).
 * Returns the reader summary for the view:
 *   {jurisdiction, grey_list_raised:[category ids], applying, total,
 *    not_applying:[instrument/article]}
 */
static json_t *apply_reader(json_t *prov, const struct cw_analyze_ctx *ctx,
			    int audience, const char *reader)
{
	bool eu_uk = !strcasecmp(reader, "eu") || !strcasecmp(reader, "eea") ||
		     !strcasecmp(reader, "uk");
	json_t *raised = json_array(), *notap = json_array(), *c;
	json_t *seen = json_object();
	size_t i, applying = 0, total = 0;
	int best = -1;
	const char *best_cat = NULL;

	json_array_foreach(json_object_get(prov, "categories"), i, c)
	{
		const struct cw_tax_category *cat =
			cw_taxonomy_find(ctx->tax, jstr(c, "id"));
		json_t *e =
			json_object_get(json_object_get(c, "exposure"),
					cw_audience_name(CW_AUDIENCE_CONSUMER));
		json_t *r;
		size_t k;
		int lv = cw_level_parse(jstr(e, "level"));

		if (cat && eu_uk && audience == CW_AUDIENCE_CONSUMER &&
		    lv >= 0) {
			struct cw_tax_rating rt;
			memset(&rt, 0, sizeof(rt));
			rt.audience = CW_AUDIENCE_CONSUMER;
			rt.base = rt.level = lv;
			cw_taxonomy_rate_context(&rt, ctx->tax, cat,
						 CW_RATE_EU_UK_CONSUMER);
			for (size_t a = 0; a < rt.napplied; a++) {
				json_t *m = json_pack(
					"{sissss}", "effect",
					rt.applied[a].mod->effect, "why",
					rt.applied[a].mod->why, "source",
					"context:lexicon.context_modifiers#"
					"grey_list_consumer");
				json_array_append_new(json_object_get(e, "modif"
									 "ier"
									 "s"),
						      m);
			}
			if (rt.napplied) {
				json_object_set_new(
					e, "level",
					json_string(cw_level_name(rt.level)));
				json_array_append_new(raised,
						      json_string(cat->id));
				lv = rt.level;
			}
			cw_tax_rating_release(&rt);
		}
		if (audience == CW_AUDIENCE_CONSUMER && lv > best) {
			best = lv;
			best_cat = jstr(c, "id");
		}
		json_array_foreach(json_object_get(c, "regulations"), k, r)
		{
			json_t *j;
			size_t q;
			bool ok = false;
			char *id = cw_asprintf("%s/%s", jstr(r, "instrument"),
					       jstr(r, "article"));
			json_array_foreach(json_object_get(r, "jurisdictions"),
					   q, j) ok |=
				place_covers(json_string_value(j), reader);
			json_object_set_new(r, "applies_to_reader",
					    json_boolean(ok));
			if (!json_object_get(seen, id)) {
				json_object_set_new(seen, id, json_true());
				total++;
				if (ok)
					applying++;
				else
					json_array_append_new(notap,
							      json_string(id));
			}
			free(id);
		}
	}
	/* the provision's consumer exposure follows its categories */
	if (audience == CW_AUDIENCE_CONSUMER && best >= 0 &&
	    json_array_size(raised)) {
		json_t *ex = json_object_get(prov, "exposure");
		if (json_is_object(ex))
			json_object_set_new(
				ex, cw_audience_name(CW_AUDIENCE_CONSUMER),
				json_pack("{ssss}", "level",
					  cw_level_name(best), "category",
					  best_cat));
	}
	json_decref(seen);
	return json_pack("{sssosIsIso}", "jurisdiction", reader,
			 "grey_list_raised", raised, "applying",
			 (json_int_t)applying, "total", (json_int_t)total,
			 "not_applying", notap);
}

/* The reader statements of the jurisdiction flags. */
static void reader_flags(json_t *flags, const struct cw_analyze_ctx *ctx,
			 const json_t *reader)
{
	char ap[32], tot[32];
	struct cw_buf cats = CW_BUF_INIT;
	json_t *x;
	size_t i;
	char *up = cw_strdup(jstr(reader, "jurisdiction"));

	for (char *p = up; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	snprintf(ap, sizeof(ap), "%lld",
		 (long long)json_integer_value(json_object_get(reader, "applyin"
								       "g")));
	snprintf(tot, sizeof(tot), "%lld",
		 (long long)json_integer_value(json_object_get(reader, "tota"
								       "l")));
	{
		struct var v[] = { { "jurisdiction", up },
				   { "applying", ap },
				   { "total", tot } };
		if (stmt(flags, ctx, "compliance.reader", v, 3,
			 json_pack("[s]", "regulations:jurisdictions")))
			json_object_set_new(
				json_array_get(flags,
					       json_array_size(flags) - 1),
				"jurisdiction", json_string(up));
	}
	json_array_foreach(json_object_get(reader, "grey_list_raised"), i, x)
	{
		if (i)
			cw_buf_adds(&cats, ", ");
		cw_buf_adds(&cats, json_string_value(x));
	}
	if (cats.len) {
		struct var v[] = { { "jurisdiction", up },
				   { "categories", cw_buf_str(&cats) } };
		if (stmt(flags, ctx, "compliance.reader_grey", v, 2,
			 json_pack("[s]", "context:lexicon.context_modifiers#"
					  "grey_list_consumer")))
			json_object_set_new(
				json_array_get(flags,
					       json_array_size(flags) - 1),
				"jurisdiction", json_string(up));
	}
	cw_buf_release(&cats);
	free(up);
}

int cw_analyze_view(json_t **out, const struct cw_analyze_ctx *ctx,
		    const json_t *doc_analysis, const json_t *prov,
		    int audience, const json_t *others, const json_t *history,
		    const json_t *prevalence, struct cw_err *err)
{
	return cw_analyze_view_in(out, ctx, doc_analysis, prov, audience, NULL,
				  others, history, prevalence, err);
}

int cw_analyze_view_in(json_t **out, const struct cw_analyze_ctx *ctx,
		       const json_t *doc_analysis, const json_t *prov_in,
		       int audience, const char *jurisdiction,
		       const json_t *others, const json_t *history,
		       const json_t *prevalence, struct cw_err *err)
{
	const char *an = cw_audience_name(audience);
	json_t *v, *op, *params, *c, *cats, *own, *reader = NULL;
	const json_t *prov;
	size_t i;

	*out = NULL;
	if (audience < 0 || audience >= CW_AUDIENCE_COUNT)
		return cw_err_set(err, CW_EINVAL,
				  "audience %d: expected 0 or 1", audience);
	if (jurisdiction && !cw_analyze_jurisdiction_valid(jurisdiction))
		return cw_err_set(err, CW_EINVAL,
				  "jurisdiction '%s': expected %s",
				  jurisdiction, CW_ANALYZE_JURISDICTIONS);
	own = json_deep_copy(prov_in);
	if (jurisdiction && *jurisdiction)
		reader = apply_reader(own, ctx, audience, jurisdiction);
	prov = own;
	params = json_array();
	cats = json_deep_copy(json_object_get(prov, "categories"));
	json_array_foreach(cats, i, c)
	{
		json_t *p, *pv;
		size_t k;
		json_array_foreach(json_object_get(c, "parameters"), k, p)
			json_array_append(params, p);
		pv = json_object_get(prevalence, jstr(c, "id"));
		if (pv)
			json_object_set(c, "prevalence", pv);
	}
	v = json_pack("{sOsOsOsOsOsOss}", "service",
		      json_object_get(doc_analysis, "service"), "type",
		      json_object_get(doc_analysis, "type"), "version",
		      json_object_get(doc_analysis, "version"), "date",
		      json_object_get(doc_analysis, "date")
			      ? json_object_get(doc_analysis, "date")
			      : json_null(),
		      "key", json_object_get(prov, "key"), "title",
		      json_object_get(prov, "title"), "audience", an);
	json_object_set(v, "span",
			json_pack("[OO]", json_object_get(prov, "start"),
				  json_object_get(prov, "end")));
	json_decref(json_object_get(v, "span"));
	json_object_set(
		v, "exposure",
		json_object_get(json_object_get(prov, "exposure"), an)
			? json_object_get(json_object_get(prov, "exposure"), an)
			: json_null());
	json_object_set_new(v, "categories", cats);
	json_object_set_new(v, "parameters", params);
	json_object_set(v, "legal_reading", json_object_get(prov, "reading"));
	json_object_set_new(v, "interpretive_notes", notes_view(ctx, prov));
	json_object_set_new(v, "what_it_means",
			    ref_or_array(json_object_get(
				    json_object_get(prov, "meaning"), an)));
	op = json_object();
	{
		json_t *st = json_array();
		const char *cat = jstr(others, "category");
		json_t *pv = cat ? json_object_get(prevalence, cat) : NULL;
		if (pv) {
			char sb[32], ob[32];
			snprintf(sb, sizeof(sb), "%lld",
				 (long long)json_integer_value(
					 json_object_get(pv, "services")));
			snprintf(ob, sizeof(ob), "%lld",
				 (long long)json_integer_value(
					 json_object_get(pv, "of")));
			struct var w[] = { { "services", sb }, { "of", ob } };
			stmt(st, ctx, "others.prevalence", w, 2,
			     json_pack("[s]", "store:analyses.categories"));
		}
		if (others && !json_array_size(json_object_get(others, "hits")))
			stmt(st, ctx, "others.none", NULL, 0,
			     json_pack("[s]", "compare:bm25"));
		json_object_set_new(op, "category",
				    cat ? json_string(cat) : json_null());
		json_object_set_new(op, "statements", st);
		json_object_set_new(op, "hits",
				    ref_or_array(json_object_get(others, "hit"
									 "s")));
	}
	json_object_set_new(v, "other_platforms", op);
	json_object_set_new(v, "monitoring", monitoring_view(ctx, history, an));
	json_object_set_new(v, "compliance",
			    compliance_view(ctx, doc_analysis, prov, an));
	if (reader) {
		reader_flags(json_object_get(json_object_get(v, "compliance"),
					     "jurisdiction_flags"),
			     ctx, reader);
		json_object_set_new(v, "reader", reader);
	} else {
		json_object_set_new(v, "reader", json_null());
	}
	json_decref(own);
	*out = v;
	return CW_OK;
}

bool cw_analyze_jurisdiction_valid(const char *j)
{
	static const char *const ok[] = { "eu",	   "eea",   "uk", "us",
					  "us-ca", "other", NULL };

	for (size_t i = 0; j && ok[i]; i++)
		if (!strcasecmp(ok[i], j))
			return true;
	return false;
}

/* ---- Markdown ---- */

static void md_sources(struct cw_buf *out, const json_t *s)
{
	json_t *src = json_object_get(s, "source"), *x;
	size_t i;

	cw_buf_adds(out, " `[");
	if (json_is_string(src))
		cw_buf_adds(out, json_string_value(src));
	json_array_foreach(src, i, x)
	{
		if (i)
			cw_buf_adds(out, "; ");
		cw_buf_adds(out, json_string_value(x));
	}
	cw_buf_adds(out, "]`");
}

static void md_list(struct cw_buf *out, const json_t *arr, const char *empty)
{
	json_t *s;
	size_t i;

	if (!json_array_size(arr) && empty) {
		cw_buf_addf(out, "- %s\n", empty);
		return;
	}
	json_array_foreach(arr, i, s)
	{
		cw_buf_addf(out, "- %s", jstr(s, "text"));
		md_sources(out, s);
		cw_buf_addc(out, '\n');
	}
}

int cw_analyze_render_md(struct cw_buf *out, const json_t *v)
{
	json_t *c, *h, *comp = json_object_get(v, "compliance");
	json_t *op = json_object_get(v, "other_platforms");
	size_t i;
	int rc;

	cw_buf_addf(out, "## %s%s%s\n\n", jstr(v, "key"),
		    jstr(v, "title") && *jstr(v, "title") ? " " : "",
		    jstr(v, "title") ? jstr(v, "title") : "");
	if (json_array_size(json_object_get(v, "categories"))) {
		cw_buf_adds(out, "Categories:");
		json_array_foreach(json_object_get(v, "categories"), i, c)
			cw_buf_addf(out, "%s %s (confidence %.2f, %s)",
				    i ? ";" : "", jstr(c, "name"),
				    json_number_value(json_object_get(c, "confi"
									 "denc"
									 "e")),
				    jstr(c, "severity"));
		cw_buf_adds(out, "\n\n");
	}
	if (json_array_size(json_object_get(v, "parameters"))) {
		cw_buf_adds(out, "Facts:\n");
		json_array_foreach(json_object_get(v, "parameters"), i, c)
			cw_buf_addf(out, "- %s: %s (\"%s\") `[%s]`\n",
				    jstr(c, "name"), jstr(c, "value"),
				    jstr(c, "quote"), jstr(c, "source"));
		cw_buf_addc(out, '\n');
	}
	cw_buf_adds(out, "### Legal reading\n\n");
	md_list(out, json_object_get(v, "legal_reading"),
		"No category of the taxonomy was found in this provision.");
	cw_buf_adds(out, "\n### Interpretive notes\n\n");
	md_list(out, json_object_get(v, "interpretive_notes"), "None.");
	cw_buf_addf(out, "\n### What this means for you (%s)\n\n",
		    jstr(v, "audience"));
	md_list(out, json_object_get(v, "what_it_means"), "Nothing specific.");
	cw_buf_adds(out, "\n### How other platforms handle this\n\n");
	md_list(out, json_object_get(op, "statements"), NULL);
	json_array_foreach(json_object_get(op, "hits"), i, h)
		cw_buf_addf(out, "- %s / %s, %s %s (BM25 %.2f): \"%s\"\n",
			    jstr(h, "service"), jstr(h, "type"), jstr(h, "key"),
			    jstr(h, "title") ? jstr(h, "title") : "",
			    json_number_value(json_object_get(h, "score")),
			    jstr(h, "quote") ? jstr(h, "quote") : "");
	cw_buf_adds(out, "\n### Monitoring\n\n");
	md_list(out,
		json_object_get(json_object_get(v, "monitoring"), "statements"),
		NULL);
	json_array_foreach(json_object_get(json_object_get(v, "monitoring"),
					   "events"),
			   i, h)
		cw_buf_addf(
			out, "- %s: version %lld -> %lld, %s (%s)\n",
			jstr(h, "recorded_at") ? jstr(h, "recorded_at") : "?",
			(long long)json_integer_value(json_object_get(h, "fro"
									 "m")),
			(long long)json_integer_value(json_object_get(h, "to")),
			jstr(h, "kind") ? jstr(h, "kind") : "changed",
			jstr(h, "materiality") ? jstr(h, "materiality") : "?");
	cw_buf_adds(out, "\n### Compliance analysis\n\n");
	cw_buf_adds(out, "1. Regulatory landscape\n\n");
	md_list(out, json_object_get(comp, "regulatory_landscape"), NULL);
	cw_buf_adds(out, "\n2. Exposure rating\n\n");
	md_list(out,
		json_object_get(json_object_get(comp, "exposure"), "by_"
								   "category"),
		"No rating: no category.");
	cw_buf_adds(out, "\n3. Jurisdiction flags\n\n");
	md_list(out, json_object_get(comp, "jurisdiction_flags"), "None.");
	cw_buf_adds(out, "\n4. Contract and vendor implications\n\n");
	md_list(out, json_object_get(comp, "contract_and_vendor"),
		"None noted.");
	cw_buf_adds(out, "\n5. Compliance considerations\n\n");
	rc = CW_OK;
	md_list(out, json_object_get(comp, "considerations"), "None noted.");
	cw_buf_addc(out, '\n');
	return rc;
}
