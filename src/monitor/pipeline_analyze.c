/*
 * pipeline_analyze: the analysis stage of the pipeline for a recorded
 * change (see pipeline.h, "analysis of changes").
 *
 * Cost decides the shape. A version's full analysis runs the classifier
 * and the rules over every provision (about 3 ms a provision on the
 * corpus, half of it the classifier), so analysing both versions of every
 * change in full cost 64 ms of CPU per changed document in the monitor
 * bench, three times the rest of the second pass. An alert only needs the
 * provisions the change touches: those are analysed one by one
 * (cw_analyze_provision() is the same object the full analysis holds),
 * the old side read from the previous version's stored analysis when
 * there is one. The full analysis of the new version is queued and
 * computed after the pass (cw_pipeline_analyse_pending), so that the next
 * change of the document finds its old side stored and `analyze` finds it
 * ready. The inputs of each analysis are the ones `clausewatch analyze`
 * gives (cw_analyze_inputs_load): the document types tracked for the service and
 * the keys of the provisions changed up to that version, so a stored
 * analysis is the same whichever of the two computed it.
 *
 * The change record (diff/record.h) then gets, per changed provision,
 * its categories (id, name, in "old"|"new"|"both", confidence, severity)
 * and its exposure moves (audience, from, to, direction), and at the top
 * the sorted union of the category ids and every move with its provision
 * (key, old_key, title); docs/internals/change-record.md has the JSON.
 *
 * Exposure moves compare the rating each version's text earns: base
 * level plus the modifiers the text matches (analyze.h), the highest over
 * the provision's categories, a provision without categories counting as
 * low (as cw_analyze_exposure_moves() does). The "changed before" context
 * of the taxonomy (one level up for a provision changed in an earlier
 * version) is left out: every provision gains it by the very change being
 * reported, and an alert that says "exposure rose" for every changed
 * provision would say nothing.
 */
#include <jansson.h>

#include "../analyze/analyze.h"
#include "pipeline.h"

/* A version whose full analysis is to be computed and stored. */
struct pending {
	int64_t doc_id, version_id;
};

struct cw_pipeline_analysis {
	char *data_dir;
	struct pending *pending; /* versions to analyse in full */
	size_t npending, cappending;
	struct cw_analyze_ctx *ctx;
	bool tried;		    /* the context load was attempted */
	char error[CW_ERR_MSG_MAX]; /* why the load failed, else "" */
	struct cw_pipeline_analysis_stats st;
};

void cw_pipeline_enable_analysis(struct cw_pipeline *p, const char *data_dir)
{
	if (p->analysis)
		return;
	p->analysis = cw_calloc(1, sizeof(*p->analysis));
	p->analysis->data_dir = cw_strdup(data_dir);
}

void cw_pipeline_analysis_free(struct cw_pipeline_analysis *a)
{
	if (!a)
		return;
	cw_analyze_ctx_free(a->ctx);
	free(a->pending);
	free(a->data_dir);
	free(a);
}

void cw_pipeline_analysis_stats(const struct cw_pipeline *p,
				struct cw_pipeline_analysis_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (p->analysis)
		*out = p->analysis->st;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- annotation ---- */

/*
 * The level of a provision's own text for audience `an`: per category
 * base plus the effects of the modifiers its text matched (sources
 * "modifier:..."; context modifiers left out, see the top), clamped; the
 * highest over the categories; -1 without categories.
 */
static int text_level(const json_t *prov, const char *an)
{
	json_t *c, *m;
	size_t i, k;
	int best = -1;

	json_array_foreach(json_object_get(prov, "categories"), i, c)
	{
		json_t *e = json_object_get(json_object_get(c, "exposure"), an);
		int lv = cw_level_parse(
			json_string_value(json_object_get(e, "base")));

		if (lv < 0)
			continue;
		json_array_foreach(json_object_get(e, "modifiers"), k, m)
		{
			const char *src =
				json_string_value(json_object_get(m, "source"));
			if (src && cw_str_startswith(src, "modifier:"))
				lv += (int)json_integer_value(
					json_object_get(m, "effect"));
		}
		lv = lv < CW_LEVEL_LOW	  ? CW_LEVEL_LOW
		     : lv > CW_LEVEL_HIGH ? CW_LEVEL_HIGH
					  : lv;
		if (lv > best)
			best = lv;
	}
	return best;
}

/* Provision `idx` of an analysis, checked against the segmentation's key
 * (the analysis lists provisions in document order). */
static json_t *prov_at(const json_t *analysis,
		       const struct cw_segmentation *seg, long idx)
{
	json_t *pj;
	const char *key;

	if (!analysis || !seg || idx < 0 || (size_t)idx >= seg->n)
		return NULL;
	key = seg->items[idx].key;
	pj = json_array_get(json_object_get(analysis, "provisions"),
			    (size_t)idx);
	if (pj && json_string_value(json_object_get(pj, "key")) &&
	    !strcmp(json_string_value(json_object_get(pj, "key")), key))
		return pj;
	return cw_analyze_find(analysis, key);
}

/* The category `id` of entry `ce`, or NULL. */
static struct cw_change_category *entry_of(struct cw_change_entry *ce,
					   const char *id)
{
	for (size_t i = 0; i < ce->n_categories; i++)
		if (!strcmp(ce->categories[i].id, id))
			return &ce->categories[i];
	return NULL;
}

/* Add the categories of provision `pj` (side "old" or "new") to entry
 * `ce`, the new side's figures winning. */
static void add_categories(struct cw_change_entry *ce, const json_t *pj,
			   bool new_side)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(pj, "categories"), i, c)
	{
		const char *id = json_string_value(json_object_get(c, "id"));
		const char *name = json_string_value(json_object_get(c, "nam"
									"e"));
		const char *sev = json_string_value(json_object_get(c, "severit"
								       "y"));
		json_t *conf = json_object_get(c, "confidence");
		struct cw_change_category *e;

		if (!id)
			continue;
		e = entry_of(ce, id);
		if (!e) {
			ce->categories = cw_reallocarray(
				ce->categories, ce->n_categories + 1,
				sizeof(*ce->categories));
			e = &ce->categories[ce->n_categories++];
			memset(e, 0, sizeof(*e));
			e->id = cw_strdup(id);
			e->name = name ? cw_strdup(name) : NULL;
			e->in = cw_strdup(new_side ? "new" : "old");
		} else if (strcmp(e->in, new_side ? "new" : "old")) {
			free(e->in);
			e->in = cw_strdup("both");
		}
		if (new_side || !e->has_confidence) {
			if (json_is_number(conf)) {
				e->has_confidence = true;
				e->confidence = json_number_value(conf);
			}
			if (sev) {
				free(e->severity);
				e->severity = cw_strdup(sev);
			}
		}
	}
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_category(const void *a, const void *b)
{
	return strcmp(((const struct cw_change_category *)a)->id,
		      ((const struct cw_change_category *)b)->id);
}

/*
 * One side of a change: the version's stored analysis when there is one,
 * else its provisions analysed one by one as the change needs them
 * (cw_analyze_provision() gives the same object as the whole version's
 * analysis would hold, so reading one or the other is the same).
 */
struct side {
	const json_t *stored; /* or NULL */
	const struct cw_analyze_doc *doc;
	json_t **cache;	  /* per provision, computed ones */
	size_t *computed; /* counter to add to */
};

/* Provision `idx` of a side (borrowed), computing it if needed. CW_OK
 * with *out NULL for an index outside the segmentation. */
static int side_prov(const struct cw_analyze_ctx *ctx, struct side *sd,
		     long idx, json_t **out, struct cw_err *aerr)
{
	*out = NULL;
	if (!sd->doc->seg || idx < 0 || (size_t)idx >= sd->doc->seg->n)
		return CW_OK;
	if (sd->stored) {
		*out = prov_at(sd->stored, sd->doc->seg, idx);
		if (*out)
			return CW_OK;
	}
	if (!sd->cache[idx]) {
		int rc = cw_analyze_provision(&sd->cache[idx], ctx, sd->doc,
					      (size_t)idx, aerr);
		if (rc)
			return rc;
		(*sd->computed)++;
	}
	*out = sd->cache[idx];
	return CW_OK;
}

/* Analyse (or find) every provision the change touches, both sides. */
static int prepare_sides(const struct cw_analyze_ctx *ctx,
			 const struct cw_diff *d, struct side *old,
			 struct side *new, struct cw_err *aerr)
{
	json_t *pj;
	int rc = CW_OK;

	for (size_t i = 0; i < d->n && !rc; i++) {
		const struct cw_diff_change *c = &d->changes[i];
		for (size_t k = 0; k < c->n_old && !rc; k++)
			rc = side_prov(ctx, old, c->old_idx[k], &pj, aerr);
		for (size_t k = 0; k < c->n_new && !rc; k++)
			rc = side_prov(ctx, new, c->new_idx[k], &pj, aerr);
	}
	return rc;
}

static void move_set(struct cw_change_move *m, const char *an, int f, int t)
{
	m->audience = cw_strdup(an);
	m->from = cw_strdup(cw_level_name(f));
	m->to = cw_strdup(cw_level_name(t));
	m->direction = cw_strdup(t > f ? "up" : "down");
}

/* Annotate `rec` once prepare_sides() succeeded (lookups cannot fail). */
static void annotate(const struct cw_analyze_ctx *ctx,
		     struct cw_change_record *rec, const struct cw_diff *d,
		     struct side *old, struct side *new)
{
	struct cw_strv ids = CW_STRV_INIT;

	for (size_t i = 0; i < d->n && i < rec->n; i++) {
		const struct cw_diff_change *c = &d->changes[i];
		struct cw_change_entry *ce = &rec->entries[i];
		json_t *pj;
		size_t k;
		int lo[CW_AUDIENCE_COUNT], ln[CW_AUDIENCE_COUNT];

		for (int a = 0; a < CW_AUDIENCE_COUNT; a++)
			lo[a] = ln[a] = -1;
		ce->has_categories = true;
		for (k = 0; k < c->n_old; k++) {
			side_prov(ctx, old, c->old_idx[k], &pj, NULL);
			add_categories(ce, pj, false);
			for (int a = 0; a < CW_AUDIENCE_COUNT; a++) {
				int l = text_level(pj, cw_audience_name(a));
				lo[a] = l > lo[a] ? l : lo[a];
			}
		}
		for (k = 0; k < c->n_new; k++) {
			side_prov(ctx, new, c->new_idx[k], &pj, NULL);
			add_categories(ce, pj, true);
			for (int a = 0; a < CW_AUDIENCE_COUNT; a++) {
				int l = text_level(pj, cw_audience_name(a));
				ln[a] = l > ln[a] ? l : ln[a];
			}
		}
		for (k = 0; k < ce->n_categories; k++)
			cw_strv_push(&ids, ce->categories[k].id);
		/* a move needs both sides: an added or removed provision has
		   categories but no level to move from or to */
		for (int a = 0; c->n_old && c->n_new && a < CW_AUDIENCE_COUNT;
		     a++) {
			int f = lo[a] < 0 ? CW_LEVEL_LOW : lo[a];
			int t = ln[a] < 0 ? CW_LEVEL_LOW : ln[a];
			const char *an = cw_audience_name(a);
			struct cw_change_move *m;

			if (f == t)
				continue;
			ce->moves = cw_reallocarray(ce->moves, ce->n_moves + 1,
						    sizeof(*ce->moves));
			m = &ce->moves[ce->n_moves++];
			memset(m, 0, sizeof(*m));
			move_set(m, an, f, t);
			rec->moves = cw_reallocarray(rec->moves,
						     rec->n_moves + 1,
						     sizeof(*rec->moves));
			m = &rec->moves[rec->n_moves++];
			memset(m, 0, sizeof(*m));
			m->key = ce->new_key ? cw_strdup(ce->new_key) : NULL;
			m->old_key = ce->old_key ? cw_strdup(ce->old_key)
						 : NULL;
			m->title = ce->title ? cw_strdup(ce->title) : NULL;
			move_set(m, an, f, t);
		}
		if (ce->n_categories)
			qsort(ce->categories, ce->n_categories,
			      sizeof(*ce->categories), cmp_category);
	}
	if (ids.n)
		qsort(ids.v, ids.n, sizeof(*ids.v), cmp_id);
	rec->has_categories = true;
	for (size_t i = 0; i < ids.n; i++)
		if (!i || strcmp(ids.v[i], ids.v[i - 1]))
			cw_strv_push(&rec->categories, ids.v[i]);
	cw_strv_release(&ids);
}

static void note_error(struct cw_change_record *rec, const char *msg)
{
	free(rec->analysis_error);
	rec->analysis_error = cw_strdup(msg);
}

static bool load_ctx(struct cw_pipeline_analysis *a)
{
	if (!a->tried) {
		struct cw_err lerr = CW_ERR_INIT;
		a->tried = true;
		if (cw_analyze_ctx_new(&a->ctx, a->data_dir, &lerr)) {
			/* the message as is: prefixing it could cut its end */
			memcpy(a->error, lerr.msg, sizeof(a->error));
			fprintf(stderr,
				"clausewatch: warning: changes are "
				"recorded without categories: %s\n",
				lerr.msg);
		}
	}
	return a->ctx != NULL;
}

static void free_cache(json_t **cache, const struct cw_segmentation *seg)
{
	for (size_t i = 0; cache && seg && i < seg->n; i++)
		json_decref(cache[i]);
	free(cache);
}

int cw_pipeline_analyze_change(struct cw_pipeline *p,
			       struct cw_change_record *change,
			       const struct cw_diff *d,
			       const struct cw_pipeline_change_versions *v,
			       struct cw_err *err)
{
	struct cw_pipeline_analysis *a = p->analysis;
	struct cw_analyze_inputs in = CW_ANALYZE_INPUTS_INIT;
	struct cw_strv changed_new = CW_STRV_INIT;
	struct cw_err aerr = CW_ERR_INIT;
	struct cw_store_doc doc;
	json_t *older = NULL;
	json_t **ocache = NULL, **ncache = NULL;
	double t0 = cpu_now();
	int rc, arc = CW_OK;

	if (!load_ctx(a)) {
		note_error(change, a->error);
		a->st.failed++;
		return CW_OK;
	}
	memset(&doc, 0, sizeof(doc));
	rc = cw_store_get_document_by_id(p->store, v->doc_id, &doc, err);
	/* every recorded change: the one being recorded is not stored yet */
	if (!rc)
		rc = cw_analyze_inputs_load(&in, p->store, doc.service,
					    v->doc_id, 0, err);
	if (!rc)
		rc = cw_analyze_load_stored(&older, p->store, v->old_id, err);
	if (rc)
		goto done;
	/* the newer version's history includes the change being recorded */
	for (size_t i = 0; i < in.changed_before.n; i++)
		cw_strv_push(&changed_new, in.changed_before.v[i]);
	cw_change_record_new_keys(change, &changed_new);
	struct cw_analyze_doc od = {
		.service = doc.service,
		.type = doc.type,
		.seq = v->old_seq,
		.date = v->old_date,
		.text = v->old_text,
		.len = v->old_len,
		.seg = v->old_seg,
		.tracked = (const char *const *)in.tracked.v,
		.ntracked = in.tracked.n,
		.changed_before = (const char *const *)in.changed_before.v,
		.nchanged_before = in.changed_before.n,
	};
	struct cw_analyze_doc nd = od;
	nd.seq = v->new_seq;
	nd.date = v->new_date;
	nd.text = v->new_text;
	nd.len = v->new_len;
	nd.seg = v->new_seg;
	nd.changed_before = (const char *const *)changed_new.v;
	nd.nchanged_before = changed_new.n;
	ocache = cw_calloc(v->old_seg && v->old_seg->n ? v->old_seg->n : 1,
			   sizeof(*ocache));
	ncache = cw_calloc(v->new_seg && v->new_seg->n ? v->new_seg->n : 1,
			   sizeof(*ncache));
	struct side os = { older, &od, ocache, &a->st.provisions };
	struct side ns = { NULL, &nd, ncache, &a->st.provisions };
	if (older)
		a->st.reused++;
	arc = prepare_sides(a->ctx, d, &os, &ns, &aerr);
	if (arc) {
		/* the analysis failed, not the store: record the change anyway */
		note_error(change, aerr.msg);
		a->st.failed++;
		goto done;
	}
	annotate(a->ctx, change, d, &os, &ns);
	a->st.changes++;
	/* the whole new version is analysed after the pass (cw_pipeline_
	   analyse_pending), off the path of the documents being recorded */
	if (a->npending < CW_PIPELINE_PENDING_MAX) {
		CW_GROW(a->pending, a->cappending, a->npending + 1);
		a->pending[a->npending++] =
			(struct pending){ v->doc_id, v->new_id };
	}
done:
	free_cache(ocache, v->old_seg);
	free_cache(ncache, v->new_seg);
	json_decref(older);
	cw_analyze_inputs_release(&in);
	cw_strv_release(&changed_new);
	cw_store_doc_release(&doc);
	a->st.seconds += cpu_now() - t0;
	return rc;
}

/* Analyse version `vid` of document `doc_id` in full and store it, unless
 * a current analysis is stored already. */
static int analyse_pending(struct cw_pipeline *p, int64_t doc_id, int64_t vid,
			   struct cw_err *err)
{
	struct cw_pipeline_analysis *a = p->analysis;
	struct cw_store_version *vs = NULL, *v = NULL;
	struct cw_err aerr = CW_ERR_INIT;
	struct cw_store_doc doc;
	json_t *have = NULL, *j = NULL;
	size_t nv = 0, nprov = 0;
	bool failed = false;
	int rc;

	memset(&doc, 0, sizeof(doc));
	rc = cw_analyze_load_stored(&have, p->store, vid, err);
	if (rc || have)
		goto done;
	rc = cw_store_get_document_by_id(p->store, doc_id, &doc, err);
	if (!rc)
		rc = cw_store_list_versions(p->store, doc_id, &vs, &nv, err);
	for (size_t i = 0; !rc && i < nv; i++)
		if (vs[i].id == vid)
			v = &vs[i];
	if (rc || !v)
		goto done; /* removed since: nothing to analyse */
	rc = cw_analyze_version(&j, a->ctx, p->store, &doc, v, &nprov, &failed,
				&aerr);
	if (rc && failed) {
		/* `analyze` will try again when asked; nothing is stored */
		a->st.failed++;
		rc = CW_OK;
	} else if (rc) {
		if (err)
			*err = aerr;
	} else {
		a->st.versions++;
		a->st.version_provisions += nprov;
	}
done:
	json_decref(have);
	json_decref(j);
	cw_store_versions_free(vs, nv);
	cw_store_doc_release(&doc);
	return rc;
}

int cw_pipeline_analyse_pending(struct cw_pipeline *p, struct cw_err *err)
{
	struct cw_pipeline_analysis *a = p->analysis;
	double t0;
	size_t i;
	int rc = CW_OK;

	if (!a || !a->npending || !load_ctx(a))
		return CW_OK;
	t0 = cpu_now();
	for (i = 0; i < a->npending && !rc; i++)
		rc = analyse_pending(p, a->pending[i].doc_id,
				     a->pending[i].version_id, err);
	/* a store error keeps the rest for the next call */
	memmove(a->pending, a->pending + i - (rc ? 1 : 0),
		(a->npending - i + (rc ? 1 : 0)) * sizeof(*a->pending));
	a->npending -= i - (rc ? 1 : 0);
	a->st.version_seconds += cpu_now() - t0;
	return rc;
}
