/*
 * analyze: one provision's analysis composed from rules, model, facts and
 * notes; a version's analysis; exposure moves between two versions. See
 * analyze.h. The context it reads is context.c's; the text of the analysis
 * comes from report.c (templates).
 */
#include <ctype.h>
#include <math.h>

#include "../classify/classify.h"
#include "analyze.h"
#include "context_int.h"
#include "report_int.h"
#include "notes.h"
#include "params.h"

/* ---- small JSON helpers ---- */

static json_t *span_json(size_t start, size_t end)
{
	return json_pack("[II]", (json_int_t)start, (json_int_t)end);
}

/*
 * A short quote of doc[start, end) for the reader of an audit trail:
 * whitespace runs folded to one space, cut at CW_ANALYZE_QUOTE_MAX bytes on
 * a UTF-8 boundary.
 */
json_t *cw_analyze_quote(const char *doc, size_t len, size_t start, size_t end)
{
	struct cw_buf b = CW_BUF_INIT;
	bool space = false;
	json_t *j;

	if (start > len)
		start = len;
	if (end > len)
		end = len;
	for (size_t i = start; i < end && b.len < CW_ANALYZE_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)doc[i];
		if (isspace(c)) {
			space = b.len > 0;
			continue;
		}
		if (space)
			cw_buf_addc(&b, ' ');
		space = false;
		cw_buf_addc(&b, (char)c);
	}
	/* do not end inside a multi-byte sequence */
	while (b.len && ((unsigned char)b.ptr[b.len - 1] & 0xC0) == 0x80)
		b.len--;
	if (b.len && ((unsigned char)b.ptr[b.len - 1] & 0xC0) == 0xC0)
		b.len--;
	if (b.ptr)
		b.ptr[b.len] = '\0';
	j = json_stringn(cw_buf_str(&b), b.len);
	if (!j) /* not valid UTF-8 in the source: say so rather than fail */
		j = json_string("(quote not valid UTF-8)");
	cw_buf_release(&b);
	return j;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* ---- categories of one provision ---- */

/* The classifier's severity for a name the taxonomy loader accepted. */
static int severity_from_name(const char *name)
{
	static const int sevs[] = { CW_CLASSIFY_SEV_CLEARLY_FAIR,
				    CW_CLASSIFY_SEV_POTENTIALLY_UNFAIR,
				    CW_CLASSIFY_SEV_CLEARLY_UNFAIR };

	for (size_t i = 0; i < sizeof(sevs) / sizeof(*sevs); i++)
		if (!strcmp(cw_classify_severity_name(sevs[i]), name))
			return sevs[i];
	return CW_CLASSIFY_SEV_POTENTIALLY_UNFAIR;
}

/* Severity on CLAUDETTE's scale for a category match; see header notes. */
static void severity_of(const struct cw_tax_match *m,
			const struct cw_classify_result *cr, bool have_model,
			const struct cw_tax_rating *consumer, json_t *cat)
{
	int code = m->cat->claudette
			   ? cw_classify_cat_from_code(m->cat->claudette)
			   : -1;

	if (code >= 0 && have_model) {
		int sev = cr->cat[code].severity;
		/*
		 * The rules found the category but the model saw no sentence
		 * of it: the model's unfair head is below its threshold, so on
		 * CLAUDETTE's scale the clause reads as fair.
		 */
		if (sev == CW_CLASSIFY_SEV_NONE)
			sev = CW_CLASSIFY_SEV_CLEARLY_FAIR;
		json_object_set_new(
			cat, "severity",
			json_string(cw_classify_severity_name(sev)));
		json_object_set_new(cat, "severity_source",
				    json_sprintf("model:%s",
						 m->cat->claudette));
		return;
	}
	if (m->cat->severity) {
		/*
		 * The taxonomy states the category's usual severity. Consumer
		 * modifiers found in this provision move it one step in their
		 * net direction, between clearly fair and potentially unfair
		 * (only the model, trained on annotated level-3 clauses, says
		 * "clearly unfair" from the text; a stated clearly_unfair is
		 * kept as stated).
		 */
		int sev = severity_from_name(m->cat->severity);
		const char *how = "";
		if (consumer->level > consumer->base &&
		    sev == CW_CLASSIFY_SEV_CLEARLY_FAIR) {
			sev = CW_CLASSIFY_SEV_POTENTIALLY_UNFAIR;
			how = ", raised by the consumer modifiers";
		} else if (consumer->level < consumer->base &&
			   sev == CW_CLASSIFY_SEV_POTENTIALLY_UNFAIR) {
			sev = CW_CLASSIFY_SEV_CLEARLY_FAIR;
			how = ", lowered by the consumer modifiers";
		}
		json_object_set_new(
			cat, "severity",
			json_string(cw_classify_severity_name(sev)));
		json_object_set_new(cat, "severity_source",
				    json_sprintf("taxonomy:%s.severity%s",
						 m->cat->id, how));
		json_object_set_new(cat, "severity_why",
				    json_string(m->cat->severity_why));
		return;
	}
	/*
	 * No learned head and no stated severity: derive from the consumer
	 * exposure, which is what the CLAUDETTE scale judges (fairness to
	 * the consumer). High maps to potentially unfair, not clearly
	 * unfair: only the model says "clearly".
	 */
	json_object_set_new(
		cat, "severity",
		json_string(cw_classify_severity_name(
			consumer->level == CW_LEVEL_LOW
				? CW_CLASSIFY_SEV_CLEARLY_FAIR
				: CW_CLASSIFY_SEV_POTENTIALLY_UNFAIR)));
	json_object_set_new(cat, "severity_source",
			    json_sprintf("derived:exposure.consumer=%s",
					 cw_level_name(consumer->level)));
}

static json_t *rating_json(const struct cw_tax_rating *r,
			   const struct cw_tax_category *cat, const char *doc,
			   size_t doclen, size_t base)
{
	json_t *mods = json_array();

	for (size_t i = 0; i < r->napplied; i++) {
		const struct cw_tax_applied *a = &r->applied[i];
		const struct cw_tax_exposure *ex = &cat->exposure[r->audience];
		json_t *o = json_pack("{si}", "effect", a->mod->effect);
		json_object_set_new(o, "why", json_string(a->mod->why));
		if (a->mod->re && a->mod >= ex->modifiers &&
		    a->mod < ex->modifiers + ex->nmodifiers) {
			json_object_set_new(
				o, "source",
				json_sprintf("modifier:%s/%s#%zu", cat->id,
					     cw_audience_name(r->audience),
					     (size_t)(a->mod - ex->modifiers)));
			json_object_set_new(o, "span",
					    span_json(base + a->start,
						      base + a->end));
			json_object_set_new(o, "quote",
					    cw_analyze_quote(doc, doclen,
							     base + a->start,
							     base + a->end));
		} else {
			json_object_set_new(o, "source",
					    json_string("context:lexicon."
							"context_modifiers"));
		}
		json_array_append_new(mods, o);
	}
	return json_pack("{ssssssso}", "level", cw_level_name(r->level), "base",
			 cw_level_name(r->base), "basis",
			 cw_evidence_name(r->basis), "modifiers", mods);
}

static json_t *regulations_json(const struct cw_tax_category *cat,
				const char *date)
{
	json_t *arr = json_array();
	time_t at = 0;
	bool have_at = date && cw_time_parse_iso(date, &at) == CW_OK;

	for (size_t i = 0; i < cat->nregs; i++) {
		const struct cw_tax_regref *r = &cat->regs[i];
		json_t *jur = json_array();
		json_t *o;
		const char *from = cw_taxonomy_applies_from(r->inst, r->art);
		int eff = have_at ? cw_taxonomy_in_effect(r->inst, r->art, at)
				  : -1;

		for (size_t k = 0; k < r->inst->njurisdictions; k++)
			json_array_append_new(
				jur, json_string(r->inst->jurisdictions[k]));
		o = json_pack("{ss ss ss ss ss? so sb ss? so ss}", "instrument",
			      r->instrument, "name", r->inst->name, "citation",
			      r->inst->citation ? r->inst->citation : "",
			      "article", r->article, "article_title",
			      r->art ? r->art->title : NULL, "jurisdictions",
			      jur, "verified",
			      r->art ? r->art->verified : false, "applies_from",
			      from, "in_effect",
			      eff < 0 ? json_null() : json_boolean(eff == 1),
			      "why", r->why ? r->why : "");
		json_object_set_new(o, "source",
				    json_sprintf("regulation:%s/%s",
						 r->instrument, r->article));
		json_object_set_new(o, "verified_at",
				    r->art && r->art->source
					    ? json_string(r->art->source)
					    : json_null());
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *params_json(const struct cw_params *ps, const char *doc,
			   size_t doclen)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < ps->n; i++) {
		const struct cw_param *p = &ps->items[i];
		json_t *o = json_pack("{ssss}", "name",
				      cw_params_kind_name(p->kind), "value",
				      p->value ? p->value : "");
		if (!isnan(p->number)) {
			json_object_set_new(o, "number", json_real(p->number));
			json_object_set_new(o, "unit", json_string(p->unit));
		}
		if (!isnan(p->number2)) {
			json_object_set_new(o, "number2",
					    json_real(p->number2));
			json_object_set_new(o, "unit2", json_string(p->unit2));
		}
		json_object_set_new(o, "detail", str_or_null(p->detail));
		json_object_set_new(o, "span", span_json(p->start, p->end));
		json_object_set_new(o, "quote",
				    cw_analyze_quote(doc, doclen, p->start,
						     p->end));
		json_object_set_new(o, "source",
				    json_sprintf("params:%s",
						 cw_params_kind_name(p->kind)));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *notes_json(const struct cw_notes *n, const char *doc,
			  size_t doclen)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n->n; i++) {
		const struct cw_note *note = &n->items[i];
		json_t *o = json_pack("{ss}", "kind",
				      cw_note_kind_name(note->kind));

		json_object_set_new(o, "term",
				    note->term ? json_string(note->term->term)
					       : json_null());
		json_object_set_new(o, "type",
				    note->term ? json_string(note->term->type)
					       : json_null());
		json_object_set_new(o, "doc_type", str_or_null(note->doc_type));
		json_object_set_new(o, "note", str_or_null(note->text));
		json_object_set_new(o, "span",
				    span_json(note->start, note->end));
		json_object_set_new(o, "quote",
				    cw_analyze_quote(doc, doclen, note->start,
						     note->end));
		json_object_set_new(o, "resolved",
				    json_boolean(note->resolved));
		json_object_set_new(o, "where", str_or_null(note->where));
		if (note->kind == CW_NOTE_VAGUE)
			json_object_set_new(o, "source",
					    json_sprintf("lexicon:%s",
							 note->term->term));
		else if (note->kind == CW_NOTE_UNTRACKED)
			json_object_set_new(o, "source",
					    json_sprintf("lexicon:docref:%s",
							 note->doc_type));
		else
			json_object_set_new(o, "source",
					    json_string("lexicon:truncation"));
		json_array_append_new(arr, o);
	}
	return arr;
}

static bool key_in(const char *key, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i], key))
			return true;
	return false;
}

/* One category match as JSON; the ratings are filled in `rate`. */
static int category_json(json_t **out, const struct cw_analyze_ctx *ctx,
			 const struct cw_analyze_doc *doc,
			 const struct cw_provision *p, size_t own_end,
			 const struct cw_tax_match *m,
			 const struct cw_classify_result *cr, bool changed,
			 struct cw_err *err)
{
	const struct cw_tax_category *cat = m->cat;
	const char *text = doc->text + p->start;
	size_t len = own_end - p->start;
	struct cw_tax_rating rate[CW_AUDIENCE_COUNT];
	struct cw_params ps = CW_PARAMS_INIT;
	struct cw_strv jur = CW_STRV_INIT;
	json_t *o, *ev, *expj, *acts, *jj;
	double conf = 0;
	int rc;

	memset(rate, 0, sizeof(rate));
	o = json_pack("{ssssss}", "id", cat->id, "name", cat->name, "group",
		      cat->group);
	json_object_set_new(o, "claudette", str_or_null(cat->claudette));
	if (m->by_rules) {
		ev = json_array();
		for (size_t i = 0; i < m->nevidence; i++) {
			const struct cw_tax_span *s = &m->evidence[i];
			const struct cw_tax_pattern *pat =
				&cat->patterns[s->pattern];
			json_t *e = json_pack("{sI}", "pattern",
					      (json_int_t)s->pattern);
			json_object_set_new(e, "source",
					    json_sprintf("rule:%s#%zu", cat->id,
							 s->pattern));
			json_object_set_new(e, "weight",
					    json_real(pat->weight));
			if (pat->title) {
				json_object_set_new(e, "in",
						    json_string("title"));
				json_object_set_new(e, "quote",
						    json_string(p->title));
			} else {
				json_object_set_new(e, "in",
						    json_string("text"));
				json_object_set_new(
					e, "span",
					span_json(p->start + s->start,
						  p->start + s->end));
				json_object_set_new(
					e, "quote",
					cw_analyze_quote(doc->text, doc->len,
							 p->start + s->start,
							 p->start + s->end));
			}
			json_array_append_new(ev, e);
		}
		json_object_set_new(
			o, "rules",
			json_pack("{sfsfsbso}", "score", m->score, "confidence",
				  1.0 - exp(-m->score), "explicit",
				  m->explicit_text, "evidence", ev));
		conf = 1.0 - exp(-m->score);
	} else {
		json_object_set_new(o, "rules", json_null());
	}
	{
		int code = cat->claudette
				   ? cw_classify_cat_from_code(cat->claudette)
				   : -1;
		if (code >= 0 && ctx->model) {
			const struct cw_classify_cat_result *r = &cr->cat[code];
			json_t *mo = json_pack(
				"{sssfsfsfssss}", "code", cat->claudette,
				"confidence", r->confidence, "p_unfair",
				r->p_unfair, "p_topic", r->p_topic, "severity",
				cw_classify_severity_name(r->severity),
				"source", "");
			json_object_set_new(mo, "source",
					    json_sprintf("model:%s",
							 cat->claudette));
			json_object_set_new(mo, "decided",
					    json_boolean(r->severity !=
							 CW_CLASSIFY_SEV_NONE));
			json_object_set_new(o, "model", mo);
			if (r->severity != CW_CLASSIFY_SEV_NONE &&
			    r->confidence > conf)
				conf = r->confidence;
		} else {
			json_object_set_new(o, "model", json_null());
		}
	}
	json_object_set_new(o, "confidence",
			    json_real(round(conf * 1000) / 1000));

	rc = cw_params_for_category(&ps, cat, text, len, p->start, err);
	if (rc)
		goto fail;
	json_object_set_new(o, "parameters",
			    params_json(&ps, doc->text, doc->len));

	expj = json_object();
	for (int a = 0; a < CW_AUDIENCE_COUNT; a++) {
		rc = cw_taxonomy_rate(&rate[a], cat, a, text, len, err);
		if (rc)
			goto fail;
		if (changed)
			cw_taxonomy_rate_context(&rate[a], ctx->tax, cat,
						 CW_RATE_CHANGED_BEFORE);
		json_object_set_new(expj, cw_audience_name(a),
				    rating_json(&rate[a], cat, doc->text,
						doc->len, p->start));
	}
	json_object_set_new(o, "exposure", expj);
	severity_of(m, cr, ctx->model != NULL, &rate[CW_AUDIENCE_CONSUMER], o);
	json_object_set_new(o, "regulations", regulations_json(cat, doc->date));
	cw_taxonomy_jurisdictions(&jur, cat);
	jj = json_array();
	for (size_t i = 0; i < jur.n; i++)
		json_array_append_new(jj, json_string(jur.v[i]));
	json_object_set_new(o, "jurisdictions", jj);
	if (cat->implications) {
		json_t *im = json_pack("{ss}", "text", cat->implications);
		json_object_set_new(im, "source",
				    json_sprintf("taxonomy:%s.contract_"
						 "implications",
						 cat->id));
		json_object_set_new(o, "implications", im);
	} else {
		json_object_set_new(o, "implications", json_null());
	}
	acts = json_array();
	for (size_t i = 0; i < cat->nactions; i++) {
		json_t *a = json_pack("{ss}", "text", cat->actions[i]);
		json_object_set_new(a, "source",
				    json_sprintf("taxonomy:%s.compliance_"
						 "actions[%zu]",
						 cat->id, i));
		json_array_append_new(acts, a);
	}
	json_object_set_new(o, "actions", acts);
	cw_strv_release(&jur);
	cw_params_release(&ps);
	for (int a = 0; a < CW_AUDIENCE_COUNT; a++)
		cw_tax_rating_release(&rate[a]);
	*out = o;
	return CW_OK;
fail:
	cw_strv_release(&jur);
	cw_params_release(&ps);
	for (int a = 0; a < CW_AUDIENCE_COUNT; a++)
		cw_tax_rating_release(&rate[a]);
	json_decref(o);
	return rc;
}

/* End of a provision's own text: its first child's start, else its end. */
static size_t own_end_of(const struct cw_segmentation *seg, size_t i)
{
	if (i + 1 < seg->n && seg->items[i + 1].parent == (long)i)
		return seg->items[i + 1].start;
	return seg->items[i].end;
}

static bool has_body(const char *text, size_t from, size_t to)
{
	size_t n = 0;

	for (size_t i = from; i < to; i++)
		if (!isspace((unsigned char)text[i]))
			n++;
	return n >= CW_ANALYZE_MIN_BODY;
}

int cw_analyze_provision(json_t **out, const struct cw_analyze_ctx *ctx,
			 const struct cw_analyze_doc *doc, size_t index,
			 struct cw_err *err)
{
	struct cw_tax_matches m = CW_TAX_MATCHES_INIT;
	struct cw_notes notes = CW_NOTES_INIT;
	struct cw_classify_result cr;
	const struct cw_provision *p;
	json_t *o = NULL, *cats, *expo;
	size_t own_end;
	bool changed;
	int rc, best[CW_AUDIENCE_COUNT];
	const char *best_cat[CW_AUDIENCE_COUNT] = { NULL, NULL };

	*out = NULL;
	memset(&cr, 0, sizeof(cr));
	if (!doc->seg || index >= doc->seg->n)
		return cw_err_set(err, CW_EINVAL, "'%s/%s': no provision %zu",
				  doc->service, doc->type, index);
	if (doc->len > CW_ANALYZE_DOC_MAX)
		return cw_err_set(err, CW_ETOOBIG,
				  "'%s/%s': %zu bytes, more than the %u we "
				  "analyse",
				  doc->service, doc->type, doc->len,
				  CW_ANALYZE_DOC_MAX);
	p = &doc->seg->items[index];
	own_end = own_end_of(doc->seg, index);
	if (p->end > doc->len || own_end < p->start || p->body > own_end)
		return cw_err_set(err, CW_EINVAL,
				  "'%s/%s': provision '%s' lies outside the "
				  "text",
				  doc->service, doc->type, p->key);
	o = json_pack("{sssssisIsIsIss}", "key", p->key, "title", p->title,
		      "level", p->level, "start", (json_int_t)p->start, "end",
		      (json_int_t)own_end, "body_start", (json_int_t)p->body,
		      "hash", p->hash);
	json_object_set_new(
		o, "parent",
		p->parent >= 0 ? json_string(doc->seg->items[p->parent].key)
			       : json_null());
	cats = json_array();
	json_object_set_new(o, "categories", cats);
	if (!has_body(doc->text, p->body, own_end)) {
		json_object_set_new(o, "analysed", json_false());
		json_object_set_new(o, "notes", json_array());
		json_object_set_new(o, "exposure", json_null());
		json_object_set_new(o, "reading", json_array());
		json_object_set_new(o, "meaning", json_object());
		*out = o;
		return CW_OK;
	}
	json_object_set_new(o, "analysed", json_true());
	changed = doc->changed_before &&
		  key_in(p->key, doc->changed_before, doc->nchanged_before);
	json_object_set_new(o, "changed_before", json_boolean(changed));

	rc = cw_taxonomy_detect(&m, ctx->tax, p->title, doc->text + p->start,
				own_end - p->start, err);
	if (rc)
		goto fail;
	if (ctx->model) {
		rc = cw_classify_text(&cr, ctx->model, doc->text + p->start,
				      own_end - p->start, err);
		if (rc)
			goto fail;
		for (int c = 0; c < CW_CLASSIFY_NCAT; c++) {
			if (cr.cat[c].severity == CW_CLASSIFY_SEV_NONE)
				continue;
			rc = cw_taxonomy_merge_model(
				&m, ctx->tax,
				cw_taxonomy_claudette_id(
					cw_classify_cat_code(c)),
				cr.cat[c].confidence, err);
			if (rc)
				goto fail;
		}
	}
	for (int a = 0; a < CW_AUDIENCE_COUNT; a++)
		best[a] = -1;
	for (size_t i = 0; i < m.n; i++) {
		json_t *cj;
		rc = category_json(&cj, ctx, doc, p, own_end, &m.items[i], &cr,
				   changed, err);
		if (rc)
			goto fail;
		for (int a = 0; a < CW_AUDIENCE_COUNT; a++) {
			int lv = cw_level_parse(
				json_string_value(json_object_get(
					json_object_get(json_object_get(cj, "ex"
									    "po"
									    "su"
									    "r"
									    "e"),
							cw_audience_name(a)),
					"level")));
			if (lv > best[a]) {
				best[a] = lv;
				best_cat[a] = m.items[i].cat->id;
			}
		}
		json_array_append_new(cats, cj);
	}
	expo = json_object();
	for (int a = 0; a < CW_AUDIENCE_COUNT; a++)
		json_object_set_new(
			expo, cw_audience_name(a),
			best[a] < 0 ? json_null()
				    : json_pack("{ssss}", "level",
						cw_level_name(best[a]),
						"category", best_cat[a]));
	json_object_set_new(o, "exposure", expo);

	rc = cw_notes_find(&notes, ctx->tax, doc->text, doc->len, p->start,
			   own_end, doc->seg, doc->tracked, doc->ntracked, err);
	if (rc)
		goto fail;
	json_object_set_new(o, "notes",
			    notes_json(&notes, doc->text, doc->len));
	cw_analyze_text(ctx, o);
	cw_notes_release(&notes);
	cw_tax_matches_release(&m);
	*out = o;
	return CW_OK;
fail:
	cw_notes_release(&notes);
	cw_tax_matches_release(&m);
	json_decref(o);
	return cw_err_prefix(err, "'%s/%s' provision '%s': ", doc->service,
			     doc->type, p->key);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int cw_analyze_document(json_t **out, const struct cw_analyze_ctx *ctx,
			const struct cw_analyze_doc *doc, struct cw_err *err)
{
	json_t *root, *provs, *cats;
	struct cw_strv ids = CW_STRV_INIT;

	*out = NULL;
	provs = json_array();
	for (size_t i = 0; doc->seg && i < doc->seg->n; i++) {
		json_t *pj, *c;
		size_t k;
		int rc = cw_analyze_provision(&pj, ctx, doc, i, err);
		if (rc) {
			json_decref(provs);
			cw_strv_release(&ids);
			return rc;
		}
		json_array_foreach(json_object_get(pj, "categories"), k, c)
			cw_strv_push(&ids, json_string_value(
						   json_object_get(c, "id")));
		json_array_append_new(provs, pj);
	}
	if (ids.n)
		qsort(ids.v, ids.n, sizeof(*ids.v), cmp_str);
	cats = json_array();
	for (size_t i = 0; i < ids.n; i++)
		if (!i || strcmp(ids.v[i], ids.v[i - 1]))
			json_array_append_new(cats, json_string(ids.v[i]));
	cw_strv_release(&ids);
	root = json_pack("{sisssssIss?sbss}", "schema", CW_ANALYZE_SCHEMA,
			 "service", doc->service, "type", doc->type, "version",
			 (json_int_t)doc->seq, "date", doc->date, "model",
			 ctx->model != NULL, "templates",
			 CW_ANALYZE_TEMPLATES_FILE);
	json_object_set_new(root, "categories", cats);
	json_object_set_new(root, "provisions", provs);
	*out = root;
	return CW_OK;
}

bool cw_analyze_is_current(const json_t *analysis)
{
	return json_is_object(analysis) &&
	       json_integer_value(json_object_get(analysis, "schema")) ==
		       CW_ANALYZE_SCHEMA &&
	       json_is_array(json_object_get(analysis, "provisions"));
}

json_t *cw_analyze_find(const json_t *analysis, const char *key)
{
	json_t *p;
	size_t i;

	json_array_foreach(
		json_object_get(analysis, "provisions"), i,
		p) if (!strcmp(json_string_value(json_object_get(p, "key")),
			       key)) return p;
	return NULL;
}

/* ---- exposure moves ---- */

/* The old key of `key` in a change record: a renumbering or move gives
 * old_key != new_key; an addition has no old key (NULL). */
static const char *old_key_of(const struct cw_change_record *change,
			      const char *key, bool *added)
{
	const struct cw_change_entry *e =
		cw_change_record_find_new_key(change, key);

	*added = false;
	if (!e)
		return key;
	if (e->kind == CW_DIFF_ADDED) {
		*added = true;
		return NULL;
	}
	return e->old_key;
}

static int level_of(const json_t *prov, const char *audience)
{
	json_t *e =
		json_object_get(json_object_get(prov, "exposure"), audience);
	const char *l = json_string_value(json_object_get(e, "level"));

	return l ? cw_level_parse(l) : -1;
}

/* Category ids of `a` that are not in `b`. */
static json_t *cats_minus(const json_t *a, const json_t *b)
{
	json_t *out = json_array(), *c, *d;
	size_t i, k;

	json_array_foreach(json_object_get(a, "categories"), i, c)
	{
		const char *id = json_string_value(json_object_get(c, "id"));
		bool found = false;
		json_array_foreach(json_object_get(b, "categories"), k, d)
			found |=
			!strcmp(id, json_string_value(json_object_get(d, "i"
									 "d")));
		if (!found)
			json_array_append_new(out, json_string(id));
	}
	return out;
}

void cw_analyze_exposure_moves(json_t **out, const json_t *older,
			       const json_t *newer,
			       const struct cw_change_record *change)
{
	json_t *moves = json_array(), *np;
	size_t i;

	json_array_foreach(json_object_get(newer, "provisions"), i, np)
	{
		const char *key = json_string_value(json_object_get(np, "key"));
		const char *ok = key;
		bool added = false;
		json_t *op;

		if (change)
			ok = old_key_of(change, key, &added);
		if (added || !ok || !(op = cw_analyze_find(older, ok)))
			continue;
		for (int a = 0; a < CW_AUDIENCE_COUNT; a++) {
			const char *an = cw_audience_name(a);
			int lo = level_of(op, an), ln = level_of(np, an);
			/* a bare heading (no level) counts as low: a clause that
			   appears under a heading is a move up */
			if (lo < 0)
				lo = CW_LEVEL_LOW;
			if (ln < 0)
				ln = CW_LEVEL_LOW;
			if (lo == ln)
				continue;
			json_array_append_new(
				moves,
				json_pack("{ss ss ss ss ss ss so so}", "key",
					  key, "old_key", ok, "audience", an,
					  "from", cw_level_name(lo), "to",
					  cw_level_name(ln), "direction",
					  ln > lo ? "up" : "down",
					  "categories_added",
					  cats_minus(np, op),
					  "categories_removed",
					  cats_minus(op, np)));
		}
	}
	*out = moves;
}
