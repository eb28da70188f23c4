/*
 * analysis: provision analyses as the faces show them (view.h).
 *
 * A version's analysis (analyze.h) is computed once and stored; later
 * sessions read it back (cw_analyze_load_stored). What depends on the
 * rest of the store is computed here at display time: how other
 * platforms handle a provision (BM25 over the latest versions of the
 * other services, compare.h), prevalence of a category (from the
 * category sets of the stored analyses of those versions), and the
 * monitoring history (recorded changes, followed through renumbering,
 * and exposure moves between the stored analyses of the versions around
 * each change).
 */
#include <math.h>
#include <string.h>

#include "../analyze/analyze.h"
#include "../compare/compare.h"
#include "view_int.h"

/* Changes whose surrounding versions are analysed for exposure moves, the
 * most recent first: each costs up to two version analyses the first time
 * (then they are stored). 24 covers every change of most corpus documents
 * (median 7 versions per document). */
#define HISTORY_MAX_CHANGES 24
/* How many similar provisions a provision page shows. */
#define OTHERS_TOP 3
/* Longest excerpt of a provision's own text in the uncategorised list. */
#define UNCATEGORISED_EXCERPT 600

struct latest {
	struct cw_store_doc doc;
	struct cw_store_version v;
	json_t *analysis; /* borrowed from the cache */
};

struct cw_view {
	struct cw_store *s; /* borrowed */
	char *data_dir;
	struct cw_analyze_ctx *ctx;
	bool force;
	/* analyses of this session by version id */
	int64_t *cache_id;
	json_t **cache;
	size_t ncache, capcache;
	struct cw_view_stats st;
	struct latest *all; /* latest version of every document */
	size_t nall;
	struct cw_compare *cmp;
	int64_t index_entries; /* current provisions in the search index */
};

/* `x` rounded to `places` decimals, for figures a reader compares. */
static double rounded(double x, int places)
{
	double k = pow(10, places);

	return round(x * k) / k;
}

int cw_view_new(struct cw_view **out, struct cw_store *s, const char *data_dir,
		struct cw_err *err)
{
	struct cw_view *v = cw_calloc(1, sizeof(*v));
	int rc = cw_analyze_ctx_new(&v->ctx, data_dir, err);

	*out = NULL;
	if (rc) {
		free(v);
		return rc;
	}
	v->s = s;
	v->data_dir = cw_strdup(data_dir);
	*out = v;
	return CW_OK;
}

void cw_view_free(struct cw_view *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->ncache; i++)
		json_decref(v->cache[i]);
	free(v->cache);
	free(v->cache_id);
	for (size_t i = 0; i < v->nall; i++) {
		cw_store_doc_release(&v->all[i].doc);
		cw_store_version_release(&v->all[i].v);
	}
	free(v->all);
	cw_compare_free(v->cmp);
	cw_analyze_ctx_free(v->ctx);
	free(v->data_dir);
	free(v);
}

void cw_view_set_force(struct cw_view *v, bool force)
{
	v->force = force;
}

const struct cw_analyze_ctx *cw_view_analyzer(const struct cw_view *v)
{
	return v->ctx;
}

void cw_view_stats(const struct cw_view *v, struct cw_view_stats *out)
{
	*out = v->st;
	out->index_entries = (size_t)v->index_entries;
}

int cw_view_analysis(json_t **out, struct cw_view *v,
		     const struct cw_store_doc *doc,
		     const struct cw_store_version *ver, struct cw_err *err)
{
	json_t *a = NULL;
	size_t nprov = 0;
	double t0;
	int rc;

	*out = NULL;
	for (size_t i = 0; i < v->ncache; i++)
		if (v->cache_id[i] == ver->id) {
			*out = v->cache[i];
			return CW_OK;
		}
	if (!v->force) {
		rc = cw_analyze_load_stored(&a, v->s, ver->id, err);
		if (rc)
			return rc;
	}
	if (!a) {
		t0 = cw_time_mono_s();
		rc = cw_analyze_version(&a, v->ctx, v->s, doc, ver, &nprov,
					NULL, err);
		v->st.analyse_seconds += cw_time_mono_s() - t0;
		if (rc)
			return rc;
		v->st.computed++;
		v->st.provisions += nprov;
	}
	CW_GROW(v->cache, v->capcache, v->ncache + 1);
	v->cache_id =
		cw_reallocarray(v->cache_id, v->capcache, sizeof(*v->cache_id));
	v->cache[v->ncache] = a;
	v->cache_id[v->ncache++] = ver->id;
	*out = a;
	return CW_OK;
}

/* The latest version of every document, analysed (stored when new). */
static int load_all(struct cw_view *v, struct cw_err *err)
{
	struct cw_store_doc *docs = NULL;
	size_t n = 0;
	int rc;

	if (v->all)
		return CW_OK;
	rc = cw_store_list_documents(v->s, NULL, NULL, &docs, &n, err);
	if (rc)
		return rc;
	v->all = cw_calloc(n ? n : 1, sizeof(*v->all));
	for (size_t i = 0; i < n; i++) {
		struct latest *l = &v->all[v->nall];
		if (cw_store_get_version(v->s, docs[i].id, 0, &l->v, NULL))
			continue; /* no version yet */
		rc = cw_view_analysis(&l->analysis, v, &docs[i], &l->v, err);
		if (rc) {
			cw_store_version_release(&l->v);
			break;
		}
		l->doc = docs[i];
		memset(&docs[i], 0, sizeof(docs[i]));
		v->nall++;
	}
	cw_store_docs_free(docs, n);
	return rc;
}

/* {category: {services, of}} over the services' latest versions. */
static json_t *prevalence(const struct cw_view *v)
{
	json_t *per = json_object(), *out = json_object(), *set, *c;
	size_t services = 0, i;
	const char *k;

	/* per service, the union of its documents' category sets */
	for (size_t d = 0; d < v->nall; d++) {
		const char *svc = v->all[d].doc.service;
		set = json_object_get(per, svc);
		if (!set) {
			set = json_object();
			json_object_set_new(per, svc, set);
			services++;
		}
		json_array_foreach(json_object_get(v->all[d].analysis, "categor"
								       "ies"),
				   i, c)
			json_object_set_new(set, json_string_value(c),
					    json_true());
	}
	json_object_foreach(per, k, set)
	{
		const char *id;
		json_t *x;
		json_object_foreach(set, id, x)
		{
			json_t *e = json_object_get(out, id);
			if (!e) {
				e = json_pack("{sisI}", "services", 0, "of",
					      (json_int_t)services);
				json_object_set_new(out, id, e);
			}
			json_object_set_new(
				e, "services",
				json_integer(json_integer_value(
						     json_object_get(e, "servic"
									"es")) +
					     1));
		}
	}
	json_decref(per);
	return out;
}

/* Own-text range [start, end) of an analysed provision inside `len`
 * bytes of text; false when it does not fit (a bare heading, or an
 * analysis of other text). */
static bool prov_range(const json_t *p, size_t len, size_t *start, size_t *end)
{
	*start = (size_t)json_integer_value(json_object_get(p, "start"));
	*end = (size_t)json_integer_value(json_object_get(p, "end"));
	return *end <= len && *start < *end;
}

/*
 * What compare needs: the analyses of the latest versions stored (its
 * category filter reads them) and a handle on the store's search index,
 * which the store keeps as versions are recorded.
 */
static int build_index(struct cw_view *v, struct cw_err *err)
{
	char *stop;
	double t0;
	int rc;

	if (v->cmp)
		return CW_OK;
	rc = load_all(v, err);
	if (rc)
		return rc;
	t0 = cw_time_mono_s();
	stop = cw_asprintf("%s/compare/stopwords.txt", v->data_dir);
	rc = cw_compare_new(&v->cmp, v->s, cw_file_exists(stop) ? stop : NULL,
			    err);
	free(stop);
	if (!rc)
		rc = cw_store_search_size(v->s, &v->index_entries, NULL, err);
	v->st.index_seconds = cw_time_mono_s() - t0;
	return rc;
}

/* Similar provisions of other services for a provision's text; NULL on
 * failure (err set). */
static json_t *others_for(struct cw_view *v, const char *service,
			  const char *text, size_t len, const char *category,
			  size_t top, struct cw_err *err)
{
	struct cw_store_hit *hits = NULL;
	size_t n = 0;
	json_t *arr;

	if (category && cw_compare_similar(v->cmp, text, len, category, service,
					   top, &hits, &n, err))
		return NULL;
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct cw_store_hit *e = &hits[i];
		json_t *h =
			json_pack("{sfssssssss}", "score", rounded(e->score, 3),
				  "service", e->service, "type", e->type, "key",
				  e->key, "title", e->title ? e->title : "");
		json_object_set_new(h, "quote",
				    cw_analyze_quote(e->text, strlen(e->text),
						     0, strlen(e->text)));
		json_object_set_new(h, "source", json_string("compare:bm25"));
		json_array_append_new(arr, h);
	}
	cw_store_hits_free(hits, n);
	return json_pack("{ss?so}", "category", category, "hits", arr);
}

/* ---- monitoring history ---- */

struct history {
	struct cw_store_change *cs;
	size_t n;
	json_t *moves; /* per change index: moves array or NULL */
	size_t nversions;
};

static int history_load(struct cw_view *v, const struct cw_store_doc *doc,
			int64_t upto_seq, struct history *h, struct cw_err *err)
{
	struct cw_store_change_query q = { .doc_id = doc->id };
	struct cw_store_version *vs = NULL;
	size_t nv = 0, done = 0;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = cw_store_list_changes(v->s, &q, &h->cs, &h->n, err);
	if (!rc)
		rc = cw_store_list_versions(v->s, doc->id, &vs, &nv, err);
	if (rc)
		goto done;
	h->nversions = 0;
	for (size_t i = 0; i < nv; i++)
		h->nversions += vs[i].seq <= upto_seq;
	h->moves = json_array();
	for (size_t i = 0; i < h->n; i++)
		json_array_append_new(h->moves, json_null());
	/* exposure moves around the most recent changes */
	for (size_t i = h->n; i-- > 0 && done < HISTORY_MAX_CHANGES;) {
		struct cw_store_change *c = &h->cs[i];
		const struct cw_store_version *a = NULL, *b = NULL;
		struct cw_change_record r;
		json_t *older, *newer, *mv;

		if (c->from_version == 0 || c->to_seq > upto_seq)
			continue;
		for (size_t k = 0; k < nv; k++) {
			if (vs[k].id == c->from_version)
				a = &vs[k];
			if (vs[k].id == c->to_version)
				b = &vs[k];
		}
		if (!a || !b)
			continue;
		rc = cw_view_analysis(&older, v, doc, a, err);
		if (!rc)
			rc = cw_view_analysis(&newer, v, doc, b, err);
		if (rc)
			goto done;
		/* a record that does not decode: keys taken as they are */
		if (cw_change_record_decode(&r, c->json ? c->json : "{}",
					    c->json ? strlen(c->json) : 2,
					    NULL)) {
			cw_analyze_exposure_moves(&mv, older, newer, NULL);
		} else {
			cw_analyze_exposure_moves(&mv, older, newer, &r);
			cw_change_record_release(&r);
		}
		json_array_set_new(h->moves, i, mv);
		done++;
	}
done:
	cw_store_versions_free(vs, nv);
	return rc;
}

static void history_release(struct history *h)
{
	cw_store_changes_free(h->cs, h->n);
	json_decref(h->moves);
}

/*
 * Events of provision `key` (as numbered in version `upto_seq`), oldest
 * first, following renumbering the way `timeline` does, with the exposure
 * moves recorded at those changes.
 */
struct history_arg {
	const struct history *h;
	json_t *events, *moves;
};

/* A history event and the exposure moves recorded at it, oldest first. */
static void add_history(const struct cw_store_change *c,
			const struct cw_change_record *r,
			const struct cw_change_entry *e, const char *key,
			size_t index, void *arg)
{
	struct history_arg *ha = arg;
	json_t *mv = json_array_get(ha->h->moves, index), *m;
	size_t q;

	(void)r;
	json_array_insert_new(
		ha->events, 0,
		json_pack("{sssIsIssss?ss?ss?ss?}", "recorded_at",
			  c->recorded_at, "from", (json_int_t)c->from_seq, "to",
			  (json_int_t)c->to_seq, "key", key, "old_key",
			  e->old_key, "kind", cw_diff_kind_name(e->kind),
			  "materiality",
			  cw_diff_materiality_name(e->materiality), "summary",
			  e->summary));
	json_array_foreach(mv, q, m)
	{
		json_t *mm;

		if (strcmp(json_string_value(json_object_get(m, "key")), key))
			continue;
		mm = json_deep_copy(m);
		json_object_set_new(mm, "from_version",
				    json_integer(c->from_seq));
		json_object_set_new(mm, "to_version", json_integer(c->to_seq));
		json_array_insert_new(ha->moves, 0, mm);
	}
}

static json_t *provision_history(const struct history *h, const char *key,
				 int64_t upto_seq)
{
	struct history_arg ha = { h, json_array(), json_array() };

	view_follow_provision(h->cs, h->n, key, upto_seq, add_history, &ha);
	return json_pack("{sIsoso}", "versions", (json_int_t)h->nversions,
			 "events", ha.events, "moves", ha.moves);
}

/* ---- compositions ---- */

static json_t *version_ref(const struct cw_store_version *ver)
{
	return cw_view_version_ref_json(ver->seq, ver->recorded_at,
					ver->stated_date);
}

static const char *first_category(const json_t *p)
{
	return json_string_value(json_object_get(
		json_array_get(json_object_get(p, "categories"), 0), "id"));
}

int cw_view_analyze_document(json_t **out, struct cw_view *v,
			     const struct cw_store_doc *doc,
			     const struct cw_store_version *ver,
			     const struct cw_view_provision_query *q,
			     struct cw_err *err)
{
	struct cw_buf text = CW_BUF_INIT;
	struct history hist;
	json_t *analysis = NULL, *prev = NULL, *views = NULL, *p;
	size_t computed = v->st.computed, i;
	bool from_store, force = v->force;
	int rc;

	*out = NULL;
	memset(&hist, 0, sizeof(hist));
	rc = cw_view_analysis(&analysis, v, doc, ver, err);
	from_store = v->st.computed == computed;
	if (!rc && q->key && !cw_analyze_find(analysis, q->key))
		rc = cw_err_set(err, CW_ENOTFOUND,
				"'%s/%s' version %lld: no provision '%s'",
				doc->service, doc->type, (long long)ver->seq,
				q->key);
	/* other services and history are read from the store: forcing
	   recomputes only this document */
	v->force = false;
	if (!rc)
		rc = build_index(v, err);
	if (!rc)
		rc = history_load(v, doc, ver->seq, &hist, err);
	if (!rc)
		rc = cw_store_load_text(v->s, ver->id, &text, err);
	v->force = force;
	if (rc)
		goto done;
	prev = prevalence(v);
	views = json_array();
	json_array_foreach(json_object_get(analysis, "provisions"), i, p)
	{
		const char *pk = json_string_value(json_object_get(p, "key"));
		json_t *cats = json_object_get(p, "categories"), *view, *others,
		       *h;
		size_t st, en;

		if (q->key ? strcmp(pk, q->key) != 0 : !json_array_size(cats))
			continue;
		if (!prov_range(p, text.len, &st, &en))
			st = en = 0;
		others = others_for(v, doc->service, text.ptr + st, en - st,
				    first_category(p), OTHERS_TOP, err);
		if (!others) {
			rc = err && err->rc ? err->rc : CW_ERROR;
			goto done;
		}
		h = provision_history(&hist, pk, ver->seq);
		rc = cw_analyze_view_in(&view, v->ctx, analysis, p, q->audience,
					q->jurisdiction, others, h, prev, err);
		json_decref(others);
		json_decref(h);
		if (rc)
			goto done;
		json_array_append_new(views, view);
	}
	*out = json_pack("{sssssosssbsO}", "service", doc->service, "type",
			 doc->type, "version", version_ref(ver), "audience",
			 cw_audience_name(q->audience), "model",
			 json_is_true(json_object_get(analysis, "model")),
			 "provisions", views);
	json_object_set(*out, "categories",
			json_object_get(analysis, "categories"));
	json_object_set_new(*out, "jurisdiction",
			    q->jurisdiction ? json_string(q->jurisdiction)
					    : json_null());
	json_object_set_new(*out, "from_store", json_boolean(from_store));
done:
	json_decref(views);
	json_decref(prev);
	history_release(&hist);
	cw_buf_release(&text);
	return rc;
}

int cw_view_compare(json_t **out, struct cw_view *v,
		    const struct cw_store_doc *doc,
		    const struct cw_store_version *ver, const char *key,
		    const char *category, size_t top, struct cw_err *err)
{
	struct cw_buf text = CW_BUF_INIT;
	json_t *analysis = NULL, *p = NULL, *res = NULL, *prev = NULL, *pv;
	size_t st, en;
	int rc;

	*out = NULL;
	rc = cw_view_analysis(&analysis, v, doc, ver, err);
	if (!rc && !(p = cw_analyze_find(analysis, key)))
		rc = cw_err_set(err, CW_ENOTFOUND,
				"'%s/%s' version %lld: no provision '%s'",
				doc->service, doc->type, (long long)ver->seq,
				key);
	if (!rc && category &&
	    !cw_taxonomy_find(cw_analyze_taxonomy(v->ctx), category))
		rc = cw_err_set(err, CW_ENOTFOUND,
				"no category '%s' in the taxonomy", category);
	if (!rc && !category && !(category = first_category(p)))
		rc = cw_err_set(err, CW_ENOTFOUND,
				"'%s/%s' provision '%s': no category to "
				"compare "
				"on (give --category)",
				doc->service, doc->type, key);
	if (!rc)
		rc = build_index(v, err);
	if (!rc)
		rc = cw_store_load_text(v->s, ver->id, &text, err);
	if (rc)
		goto done;
	if (!prov_range(p, text.len, &st, &en))
		st = en = 0;
	res = others_for(v, doc->service, text.ptr + st, en - st, category, top,
			 err);
	if (!res) {
		rc = err && err->rc ? err->rc : CW_ERROR;
		goto done;
	}
	prev = prevalence(v);
	pv = json_object_get(prev, category);
	*out = json_pack("{sssssosssOsOsO}", "service", doc->service, "type",
			 doc->type, "version", version_ref(ver), "provision",
			 key, "category", json_object_get(res, "category"),
			 "hits", json_object_get(res, "hits"), "prevalence",
			 pv ? pv : json_null());
done:
	json_decref(res);
	json_decref(prev);
	cw_buf_release(&text);
	return rc;
}

/*
 * Category coverage of the latest versions: provisions analysed (a body
 * of their own, not a bare heading) and those no category reached; with
 * `list` non-NULL, each uncategorised one appended to it.
 */
static int coverage(struct cw_view *v, json_t *list, size_t *analysed,
		    size_t *uncategorised, struct cw_err *err)
{
	*analysed = *uncategorised = 0;
	for (size_t d = 0; d < v->nall; d++) {
		struct cw_buf text = CW_BUF_INIT;
		json_t *p;
		size_t i;
		int rc;

		if (list) {
			rc = cw_store_load_text(v->s, v->all[d].v.id, &text,
						err);
			if (rc)
				return rc;
		}
		json_array_foreach(json_object_get(v->all[d].analysis, "provisi"
								       "ons"),
				   i, p)
		{
			size_t st, en;
			json_t *o, *t;

			if (!json_is_true(json_object_get(p, "analysed")))
				continue;
			(*analysed)++;
			if (json_array_size(json_object_get(p, "categories")))
				continue;
			(*uncategorised)++;
			if (!list)
				continue;
			st = (size_t)json_integer_value(
				json_object_get(p, "start"));
			en = (size_t)json_integer_value(
				json_object_get(p, "end"));
			if (en > text.len || st > en)
				st = en = 0;
			if (en - st > UNCATEGORISED_EXCERPT)
				en = cw_utf8_floor(text.ptr, st,
						   st + UNCATEGORISED_EXCERPT);
			o = json_pack(
				"{ssssss}", "service", v->all[d].doc.service,
				"type", v->all[d].doc.type, "key",
				json_string_value(json_object_get(p, "key")));
			json_object_set(o, "title",
					json_object_get(p, "title"));
			t = json_stringn(text.ptr + st, en - st);
			json_object_set_new(o, "text", t ? t : json_null());
			json_array_append_new(list, o);
		}
		cw_buf_release(&text);
	}
	return CW_OK;
}

int cw_view_uncategorised(json_t **out, struct cw_view *v, struct cw_err *err)
{
	size_t analysed, uncat;
	int rc = load_all(v, err);

	*out = NULL;
	if (rc)
		return rc;
	*out = json_array();
	rc = coverage(v, *out, &analysed, &uncat, err);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int cw_view_analyze_all(json_t **out, struct cw_view *v, struct cw_err *err)
{
	double t0 = cw_time_mono_s(), tq;
	size_t queries = 0, provs = 0, analysed, uncat;
	int rc;

	*out = NULL;
	rc = load_all(v, err);
	if (!rc)
		rc = build_index(v, err);
	if (!rc)
		rc = coverage(v, NULL, &analysed, &uncat, err);
	if (rc)
		return rc;
	tq = cw_time_mono_s();
	/* what a provision page asks of the index: the top matches of every
	   analysed provision for its first category */
	for (size_t d = 0; d < v->nall; d++) {
		struct cw_buf text = CW_BUF_INIT;
		json_t *p;
		size_t i;

		rc = cw_store_load_text(v->s, v->all[d].v.id, &text, err);
		if (rc)
			return rc;
		json_array_foreach(json_object_get(v->all[d].analysis, "provisi"
								       "ons"),
				   i, p)
		{
			const char *cat = first_category(p);
			size_t st, en;

			provs++;
			if (!cat || !prov_range(p, text.len, &st, &en))
				continue;
			json_t *o = others_for(v, v->all[d].doc.service,
					       text.ptr + st, en - st, cat,
					       OTHERS_TOP, err);

			if (!o) {
				cw_buf_release(&text);
				return err && err->rc ? err->rc : CW_ERROR;
			}
			json_decref(o);
			queries++;
		}
		cw_buf_release(&text);
	}
	tq = cw_time_mono_s() - tq;
	*out = json_pack("{sIsIsIsIsfsfsfsfsIsI}", "documents",
			 (json_int_t)v->nall, "provisions", (json_int_t)provs,
			 "analysed_versions", (json_int_t)v->st.computed,
			 "analysed_provisions", (json_int_t)v->st.provisions,
			 "analyse_seconds", rounded(v->st.analyse_seconds, 3),
			 "index_seconds", rounded(v->st.index_seconds, 3),
			 "query_seconds", rounded(tq, 3), "total_seconds",
			 rounded(cw_time_mono_s() - t0, 3), "index_entries",
			 (json_int_t)v->index_entries, "queries",
			 (json_int_t)queries);
	json_object_set_new(*out, "prevalence", prevalence(v));
	json_object_set_new(
		*out, "coverage",
		json_pack("{sIsIsf}", "analysed", (json_int_t)analysed,
			  "uncategorised", (json_int_t)uncat,
			  "uncategorised_share",
			  rounded(analysed ? (double)uncat / (double)analysed
					   : 0.0,
				  4)));
	return CW_OK;
}

int cw_view_category(json_t **out, struct cw_view *v, const char *id,
		     struct cw_err *err)
{
	const struct cw_taxonomy *tax = cw_analyze_taxonomy(v->ctx);
	const struct cw_tax_category *cat = cw_taxonomy_find(tax, id);
	json_t *list, *prev, *p, *c;
	size_t i, k;
	int rc;

	*out = NULL;
	if (!cat)
		return cw_err_set(err, CW_ENOTFOUND, "no category '%s'", id);
	rc = load_all(v, err);
	if (rc)
		return rc;
	list = json_array();
	for (size_t d = 0; d < v->nall; d++) {
		const struct latest *l = &v->all[d];
		json_array_foreach(json_object_get(l->analysis, "provisions"),
				   i, p)
		{
			json_array_foreach(json_object_get(p, "categories"), k,
					   c)
			{
				if (strcmp(json_string_value(
						   json_object_get(c, "id")),
					   id))
					continue;
				json_array_append_new(
					list,
					json_pack("{ss ss so sO? sO? sO? sO? "
						  "sO?}",
						  "service", l->doc.service,
						  "type", l->doc.type,
						  "version", version_ref(&l->v),
						  "key",
						  json_object_get(p, "key"),
						  "title",
						  json_object_get(p, "title"),
						  "confidence",
						  json_object_get(c, "confid"
								     "ence"),
						  "exposure",
						  json_object_get(c, "expos"
								     "ure"),
						  "parameters",
						  json_object_get(c, "param"
								     "eters")));
				break;
			}
		}
	}
	prev = prevalence(v);
	*out = json_pack("{ss ss ss ss* sO* so}", "id", cat->id, "name",
			 cat->name, "group", cat->group, "definition",
			 cat->definition, "prevalence",
			 json_object_get(prev, id), "provisions", list);
	json_decref(prev);
	return CW_OK;
}
