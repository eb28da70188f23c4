/*
 * cmd_analyze: the governance analysis over the store.
 *
 *   clausewatch analyze SERVICE/TYPE[@VERSION] [--provision KEY]
 *       [--audience consumer|operator] [--jurisdiction eu|uk|us|...]
 *       [--format md|json] [--force]
 *   clausewatch analyze --all [--force] [--uncategorised]
 *   clausewatch compare SERVICE/TYPE[@VERSION] --provision KEY [--top N]
 *       [--category ID]
 *
 * A version's analysis (analyze.h) is computed once and stored with
 * cw_store_put_analysis(); later runs read it back. What depends on the
 * rest of the store is computed here at display time: how other platforms
 * handle a provision (BM25 over the latest versions of the other
 * services, compare.h), prevalence of a category (from the category sets
 * of the stored analyses of those versions), and the monitoring history
 * (recorded changes, followed through renumbering, and exposure moves
 * between the stored analyses of the versions around each change).
 */
#include <getopt.h>
#include <jansson.h>
#include <math.h>

#include "cli.h"
#include "../analyze/analyze.h"
#include "../compare/compare.h"

/* Changes whose surrounding versions are analysed for exposure moves, the
 * most recent first: each costs up to two version analyses the first time
 * (then they are stored). 24 covers every change of most corpus documents
 * (median 7 versions per document). */
#define HISTORY_MAX_CHANGES 24
/* How many similar provisions a provision page shows. */
#define OTHERS_TOP 3

struct latest {
	struct cw_store_doc doc;
	struct cw_store_version v;
	json_t *analysis;
};

struct session {
	struct cw_cli *cli;
	struct cw_store *s;
	struct cw_analyze_ctx *ctx;
	bool force;
	/* analyses of this run by version id (borrowed by callers) */
	int64_t *cache_id;
	json_t **cache;
	size_t ncache, capcache;
	size_t computed;        /* versions analysed (not read back) */
	size_t provisions;      /* provisions analysed in those */
	double analyse_seconds; /* time spent analysing */
	struct latest *all;     /* latest version of every document */
	size_t nall;
	struct cw_compare_index *idx;
	double index_seconds;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void session_release(struct session *ss)
{
	for (size_t i = 0; i < ss->ncache; i++)
		json_decref(ss->cache[i]);
	free(ss->cache);
	free(ss->cache_id);
	for (size_t i = 0; i < ss->nall; i++) {
		cw_store_doc_release(&ss->all[i].doc);
		cw_store_version_release(&ss->all[i].v);
	}
	free(ss->all);
	cw_compare_index_free(ss->idx);
	cw_analyze_ctx_free(ss->ctx);
	cw_store_close(ss->s);
}

/* Document types tracked for a service (for evidence-gap notes). */
static int tracked_types(struct session *ss, const char *service,
			 struct cw_strv *out, struct cw_err *err)
{
	struct cw_store_doc *docs = NULL;
	size_t n = 0;
	int rc = cw_store_list_documents(ss->s, service, NULL, &docs, &n, err);

	for (size_t i = 0; !rc && i < n; i++)
		cw_strv_push(out, docs[i].type);
	cw_store_docs_free(docs, n);
	return rc;
}

/* Keys of the provisions that changed up to version `seq`. */
static int changed_keys(struct session *ss, int64_t doc_id, int64_t seq,
			struct cw_strv *out, struct cw_err *err)
{
	struct cw_store_change_query q = { .doc_id = doc_id };
	struct cw_store_change *cs = NULL;
	size_t n = 0;
	int rc = cw_store_list_changes(ss->s, &q, &cs, &n, err);

	for (size_t i = 0; !rc && i < n; i++) {
		json_t *j, *c;
		size_t k;
		if (cs[i].from_version == 0 || cs[i].to_seq > seq)
			continue;
		j = json_loads(cs[i].json, 0, NULL);
		json_array_foreach(json_object_get(j, "changes"), k, c) {
			const char *nk = json_string_value(json_object_get(c, "new_key"));
			if (nk)
				cw_strv_push(out, nk);
		}
		json_decref(j);
	}
	cw_store_changes_free(cs, n);
	return rc;
}

/*
 * The analysis of a version: from this run's cache, else the store, else
 * computed and stored. Borrowed from the session.
 */
static int get_analysis(struct session *ss, const struct cw_store_doc *doc,
			const struct cw_store_version *v, json_t **out,
			struct cw_err *err)
{
	struct cw_buf stored = CW_BUF_INIT, text = CW_BUF_INIT;
	struct cw_segmentation *seg = NULL;
	struct cw_strv tracked = CW_STRV_INIT, changed = CW_STRV_INIT;
	json_t *a = NULL;
	char date[16];
	double t0;
	int rc;

	*out = NULL;
	for (size_t i = 0; i < ss->ncache; i++)
		if (ss->cache_id[i] == v->id) {
			*out = ss->cache[i];
			return CW_OK;
		}
	if (!ss->force) {
		rc = cw_store_get_analysis(ss->s, v->id, &stored, err);
		if (rc == CW_OK) {
			a = json_loadb(stored.ptr, stored.len, 0, NULL);
			if (!cw_analyze_is_current(a)) {
				json_decref(a);
				a = NULL;
			}
		} else if (rc != CW_ENOTFOUND) {
			goto done;
		}
	}
	if (!a) {
		rc = cw_store_load_text(ss->s, v->id, &text, err);
		if (!rc)
			rc = cw_store_load_provisions(ss->s, v->id, &seg, err);
		if (!rc)
			rc = tracked_types(ss, doc->service, &tracked, err);
		if (!rc)
			rc = changed_keys(ss, doc->id, v->seq, &changed, err);
		if (rc)
			goto done;
		snprintf(date, sizeof(date), "%.10s",
			 v->stated_date ? v->stated_date : v->recorded_at);
		struct cw_analyze_doc ad = {
			.service = doc->service, .type = doc->type, .seq = v->seq,
			.date = date, .text = text.ptr ? text.ptr : "",
			.len = text.len, .seg = seg,
			.tracked = (const char *const *)tracked.v,
			.ntracked = tracked.n,
			.changed_before = (const char *const *)changed.v,
			.nchanged_before = changed.n,
		};
		t0 = now_s();
		rc = cw_analyze_document(&a, ss->ctx, &ad, err);
		ss->analyse_seconds += now_s() - t0;
		if (rc)
			goto done;
		ss->computed++;
		ss->provisions += seg ? seg->n : 0;
		{
			char *js = json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER);
			rc = cw_store_put_analysis(ss->s, v->id, js, err);
			free(js);
			if (rc) {
				json_decref(a);
				a = NULL;
				goto done;
			}
		}
	}
	CW_GROW(ss->cache, ss->capcache, ss->ncache + 1);
	ss->cache_id = cw_reallocarray(ss->cache_id, ss->capcache,
				       sizeof(*ss->cache_id));
	ss->cache[ss->ncache] = a;
	ss->cache_id[ss->ncache++] = v->id;
	*out = a;
	rc = CW_OK;
done:
	cw_strv_release(&tracked);
	cw_strv_release(&changed);
	cw_segment_free(seg);
	cw_buf_release(&text);
	cw_buf_release(&stored);
	return rc;
}

/* The latest version of every document, analysed (stored when new). */
static int load_all(struct session *ss, struct cw_err *err)
{
	struct cw_store_doc *docs = NULL;
	size_t n = 0;
	int rc;

	if (ss->all)
		return CW_OK;
	rc = cw_store_list_documents(ss->s, NULL, NULL, &docs, &n, err);
	if (rc)
		return rc;
	ss->all = cw_calloc(n ? n : 1, sizeof(*ss->all));
	for (size_t i = 0; i < n; i++) {
		struct latest *l = &ss->all[ss->nall];
		if (cw_store_get_version(ss->s, docs[i].id, 0, &l->v, NULL))
			continue; /* no version yet */
		rc = get_analysis(ss, &docs[i], &l->v, &l->analysis, err);
		if (rc) {
			cw_store_version_release(&l->v);
			break;
		}
		l->doc = docs[i];
		memset(&docs[i], 0, sizeof(docs[i]));
		ss->nall++;
	}
	cw_store_docs_free(docs, n);
	return rc;
}

/* {category: {services, of}} over the services' latest versions. */
static json_t *prevalence(struct session *ss)
{
	json_t *per = json_object(), *out = json_object(), *set, *c;
	size_t services = 0, i;
	const char *k;

	/* per service, the union of its documents' category sets */
	for (size_t d = 0; d < ss->nall; d++) {
		const char *svc = ss->all[d].doc.service;
		set = json_object_get(per, svc);
		if (!set) {
			set = json_object();
			json_object_set_new(per, svc, set);
			services++;
		}
		json_array_foreach(json_object_get(ss->all[d].analysis, "categories"), i, c)
			json_object_set_new(set, json_string_value(c), json_true());
	}
	json_object_foreach(per, k, set) {
		const char *id;
		json_t *x;
		json_object_foreach(set, id, x) {
			json_t *e = json_object_get(out, id);
			if (!e) {
				e = json_pack("{sisI}", "services", 0, "of",
					      (json_int_t)services);
				json_object_set_new(out, id, e);
			}
			json_object_set_new(e, "services",
					    json_integer(json_integer_value(
						    json_object_get(e, "services")) + 1));
		}
	}
	json_decref(per);
	return out;
}

/* The BM25 index over every analysed provision of the latest versions. */
static int build_index(struct session *ss, struct cw_err *err)
{
	char *stop;
	double t0 = now_s();
	int rc;

	if (ss->idx)
		return CW_OK;
	rc = load_all(ss, err);
	if (rc)
		return rc;
	t0 = now_s();
	stop = cw_asprintf("%s/compare/stopwords.txt", cw_cli_data_dir());
	rc = cw_compare_index_new(&ss->idx, cw_file_exists(stop) ? stop : NULL, err);
	free(stop);
	if (rc)
		return rc;
	for (size_t d = 0; d < ss->nall; d++) {
		struct cw_buf text = CW_BUF_INIT;
		json_t *p;
		size_t i;

		rc = cw_store_load_text(ss->s, ss->all[d].v.id, &text, err);
		if (rc)
			return rc;
		json_array_foreach(json_object_get(ss->all[d].analysis, "provisions"), i, p) {
			json_t *cats = json_object_get(p, "categories"), *c;
			size_t nc = json_array_size(cats), k;
			size_t start = (size_t)json_integer_value(json_object_get(p, "start"));
			size_t end = (size_t)json_integer_value(json_object_get(p, "end"));
			const char **ids;

			if (!nc || end > text.len || start >= end)
				continue;
			ids = cw_calloc(nc + 1, sizeof(*ids));
			json_array_foreach(cats, k, c)
				ids[k] = json_string_value(json_object_get(c, "id"));
			struct cw_compare_entry e = {
				.service = ss->all[d].doc.service,
				.type = ss->all[d].doc.type,
				.key = json_string_value(json_object_get(p, "key")),
				.title = json_string_value(json_object_get(p, "title")),
				.text = text.ptr + start, .len = end - start,
				.categories = ids,
			};
			cw_compare_index_add(ss->idx, &e);
			free(ids);
		}
		cw_buf_release(&text);
	}
	cw_compare_index_build(ss->idx);
	ss->index_seconds = now_s() - t0;
	return CW_OK;
}

/* A short quote of an index entry, whitespace folded. */
static json_t *entry_quote(const struct cw_compare_entry *e)
{
	struct cw_buf b = CW_BUF_INIT;
	bool sp = false;
	json_t *j;

	for (size_t i = 0; i < e->len && b.len < CW_ANALYZE_QUOTE_MAX; i++) {
		char ch = e->text[i];
		if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r') {
			sp = b.len > 0;
			continue;
		}
		if (sp)
			cw_buf_addc(&b, ' ');
		sp = false;
		cw_buf_addc(&b, ch);
	}
	while (b.len && ((unsigned char)b.ptr[b.len - 1] & 0xC0) == 0x80)
		b.len--;
	if (b.len && ((unsigned char)b.ptr[b.len - 1] & 0xC0) == 0xC0)
		b.len--;
	if (b.ptr)
		b.ptr[b.len] = '\0';
	j = json_string(cw_buf_str(&b));
	cw_buf_release(&b);
	return j ? j : json_string("");
}

/* Similar provisions of other services for a provision's text. */
static json_t *others_for(struct session *ss, const char *service,
			  const char *text, size_t len, const char *category,
			  size_t top)
{
	struct cw_compare_hit *hits = NULL;
	size_t n = 0;
	json_t *arr = json_array();

	if (category)
		cw_compare_query(ss->idx, text, len, category, service, top, &hits, &n);
	for (size_t i = 0; i < n; i++) {
		const struct cw_compare_entry *e =
			cw_compare_index_entry(ss->idx, hits[i].entry);
		json_t *h = json_pack("{sfssssssss}", "score",
				      round(hits[i].score * 1000) / 1000, "service",
				      e->service, "type", e->type, "key", e->key,
				      "title", e->title ? e->title : "");
		json_object_set_new(h, "quote", entry_quote(e));
		json_object_set_new(h, "source", json_string("compare:bm25"));
		json_array_append_new(arr, h);
	}
	free(hits);
	return json_pack("{ss?so}", "category", category, "hits", arr);
}

/* ---- monitoring history ---- */

struct history {
	struct cw_store_change *cs;
	size_t n;
	json_t *moves;      /* per change index: moves array or NULL */
	size_t nversions;
};

static int history_load(struct session *ss, const struct cw_store_doc *doc,
			int64_t upto_seq, struct history *h, struct cw_err *err)
{
	struct cw_store_change_query q = { .doc_id = doc->id };
	struct cw_store_version *vs = NULL;
	size_t nv = 0, done = 0;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = cw_store_list_changes(ss->s, &q, &h->cs, &h->n, err);
	if (!rc)
		rc = cw_store_list_versions(ss->s, doc->id, &vs, &nv, err);
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
		json_t *older, *newer, *cj, *mv;

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
		rc = get_analysis(ss, doc, a, &older, err);
		if (!rc)
			rc = get_analysis(ss, doc, b, &newer, err);
		if (rc)
			goto done;
		cj = json_loads(c->json, 0, NULL);
		cw_analyze_exposure_moves(&mv, older, newer, cj);
		json_decref(cj);
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
static json_t *provision_history(const struct history *h, const char *key,
				 int64_t upto_seq)
{
	json_t *events = json_array(), *moves = json_array();
	char *cur = cw_strdup(key);

	for (size_t i = h->n; i-- > 0;) {
		json_t *j, *c;
		bool ended = false;
		size_t k;

		if (h->cs[i].to_seq > upto_seq)
			continue;
		j = json_loads(h->cs[i].json, 0, NULL);
		json_array_foreach(json_object_get(j, "changes"), k, c) {
			const char *nk = json_string_value(json_object_get(c, "new_key"));
			const char *ok = json_string_value(json_object_get(c, "old_key"));
			const char *kind = json_string_value(json_object_get(c, "kind"));
			json_t *mv, *m;
			size_t q;

			if (!nk || strcmp(nk, cur))
				continue;
			json_array_insert_new(events, 0, json_pack(
				"{sssIsIssss?ss?ss?ss?}", "recorded_at", h->cs[i].recorded_at,
				"from", (json_int_t)h->cs[i].from_seq, "to",
				(json_int_t)h->cs[i].to_seq, "key", cur, "old_key", ok,
				"kind", kind, "materiality",
				json_string_value(json_object_get(c, "materiality")),
				"summary", json_string_value(json_object_get(c, "summary"))));
			mv = json_array_get(h->moves, i);
			json_array_foreach(mv, q, m) {
				if (strcmp(json_string_value(json_object_get(m, "key")), cur))
					continue;
				json_t *mm = json_deep_copy(m);
				json_object_set_new(mm, "from_version",
						    json_integer(h->cs[i].from_seq));
				json_object_set_new(mm, "to_version",
						    json_integer(h->cs[i].to_seq));
				json_array_insert_new(moves, 0, mm);
			}
			if (kind && !strcmp(kind, "added"))
				ended = true;
			else if (ok && strcmp(ok, cur)) {
				free(cur);
				cur = cw_strdup(ok);
			}
			break;
		}
		json_decref(j);
		if (ended)
			break;
	}
	free(cur);
	return json_pack("{sIsoso}", "versions", (json_int_t)h->nversions,
			 "events", events, "moves", moves);
}

/* ---- commands ---- */

static int session_open(struct session *ss, struct cw_cli *cli,
			struct cw_err *err)
{
	memset(ss, 0, sizeof(*ss));
	ss->cli = cli;
	return cw_analyze_ctx_new(&ss->ctx, cw_cli_data_dir(), err);
}

/* Longest excerpt of a provision's own text in an --uncategorised line. */
#define UNCATEGORISED_EXCERPT 600

/* The largest character boundary of text[from..at] at or below `at`. */
static size_t utf8_floor(const char *text, size_t from, size_t at)
{
	while (at > from && ((unsigned char)text[at] & 0xC0) == 0x80)
		at--;
	return at;
}

/*
 * Category coverage of the latest versions: provisions analysed (a body
 * of their own, not a bare heading) and those no category reached.
 * With `list`, one JSON line per uncategorised provision goes to stdout
 * ({service, type, key, title, text}: an excerpt of its own text), the
 * work list for improving the taxonomy's detection rules.
 */
static int coverage(struct session *ss, bool list, size_t *analysed,
		    size_t *uncategorised, struct cw_err *err)
{
	*analysed = *uncategorised = 0;
	for (size_t d = 0; d < ss->nall; d++) {
		struct cw_buf text = CW_BUF_INIT;
		json_t *p;
		size_t i;
		int rc;

		if (list) {
			rc = cw_store_load_text(ss->s, ss->all[d].v.id, &text, err);
			if (rc)
				return rc;
		}
		json_array_foreach(json_object_get(ss->all[d].analysis, "provisions"), i, p) {
			size_t st, en;
			json_t *o;
			char *s;

			if (!json_is_true(json_object_get(p, "analysed")))
				continue;
			(*analysed)++;
			if (json_array_size(json_object_get(p, "categories")))
				continue;
			(*uncategorised)++;
			if (!list)
				continue;
			st = (size_t)json_integer_value(json_object_get(p, "start"));
			en = (size_t)json_integer_value(json_object_get(p, "end"));
			if (en > text.len || st > en)
				st = en = 0;
			if (en - st > UNCATEGORISED_EXCERPT)
				en = utf8_floor(text.ptr, st, st + UNCATEGORISED_EXCERPT);
			o = json_pack("{ssssss}", "service", ss->all[d].doc.service,
				      "type", ss->all[d].doc.type, "key",
				      json_string_value(json_object_get(p, "key")));
			json_object_set(o, "title", json_object_get(p, "title"));
			{
				json_t *t = json_stringn(text.ptr + st, en - st);
				json_object_set_new(o, "text", t ? t : json_null());
			}
			s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
			puts(s);
			free(s);
			json_decref(o);
		}
		cw_buf_release(&text);
	}
	return CW_OK;
}

/* analyze --all: every current document, with the index; figures. */
static int analyze_all(struct session *ss, bool list_uncategorised,
		       struct cw_err *err)
{
	double t0 = now_s(), tq;
	size_t queries = 0, provs = 0, analysed, uncat;
	json_t *prev;
	int rc;

	rc = cw_cli_open_store(ss->cli, &ss->s, err);
	if (!rc)
		rc = load_all(ss, err);
	if (!rc && list_uncategorised)
		return coverage(ss, true, &analysed, &uncat, err);
	if (!rc)
		rc = build_index(ss, err);
	if (!rc)
		rc = coverage(ss, false, &analysed, &uncat, err);
	if (rc)
		return rc;
	tq = now_s();
	/* what a provision page asks of the index: the top matches of every
	   analysed provision for its first category */
	for (size_t d = 0; d < ss->nall; d++) {
		struct cw_buf text = CW_BUF_INIT;
		json_t *p;
		size_t i;
		rc = cw_store_load_text(ss->s, ss->all[d].v.id, &text, err);
		if (rc)
			return rc;
		json_array_foreach(json_object_get(ss->all[d].analysis, "provisions"), i, p) {
			json_t *c = json_array_get(json_object_get(p, "categories"), 0);
			size_t st = (size_t)json_integer_value(json_object_get(p, "start"));
			size_t en = (size_t)json_integer_value(json_object_get(p, "end"));
			provs++;
			if (!c || en > text.len || st >= en)
				continue;
			json_decref(others_for(ss, ss->all[d].doc.service, text.ptr + st,
					       en - st,
					       json_string_value(json_object_get(c, "id")),
					       OTHERS_TOP));
			queries++;
		}
		cw_buf_release(&text);
	}
	tq = now_s() - tq;
	prev = prevalence(ss);
	if (ss->cli->json) {
		json_t *o = json_pack(
			"{sIsIsIsIsfsfsfsfsIsI}", "documents", (json_int_t)ss->nall,
			"provisions", (json_int_t)provs, "analysed_versions",
			(json_int_t)ss->computed, "analysed_provisions",
			(json_int_t)ss->provisions, "analyse_seconds",
			ss->analyse_seconds, "index_seconds", ss->index_seconds,
			"query_seconds", tq, "total_seconds", now_s() - t0,
			"index_entries", (json_int_t)cw_compare_index_size(ss->idx),
			"queries", (json_int_t)queries);
		json_object_set_new(o, "prevalence", prev);
		json_object_set_new(
			o, "coverage",
			json_pack("{sIsIsf}", "analysed", (json_int_t)analysed,
				  "uncategorised", (json_int_t)uncat,
				  "uncategorised_share",
				  analysed ? (double)uncat / (double)analysed : 0.0));
		char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		puts(s);
		free(s);
		json_decref(o);
	} else {
		printf("%zu documents, %zu provisions; analysed %zu versions "
		       "(%zu provisions) in %.2f s; index of %zu provisions "
		       "built in %.2f s; %zu queries in %.2f s; total %.2f s\n",
		       ss->nall, provs, ss->computed, ss->provisions,
		       ss->analyse_seconds, cw_compare_index_size(ss->idx),
		       ss->index_seconds, queries, tq, now_s() - t0);
		printf("%zu of %zu analysed provisions have no category (%.1f%%)\n",
		       uncat, analysed,
		       analysed ? 100.0 * (double)uncat / (double)analysed : 0.0);
		json_decref(prev);
	}
	return CW_OK;
}

int cw_cli_cmd_analyze(struct cw_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "provision", required_argument, NULL, 'p' },
		{ "audience", required_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "force", no_argument, NULL, 'F' },
		{ "all", no_argument, NULL, 'A' },
		{ "uncategorised", no_argument, NULL, 'U' },
		{ "jurisdiction", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct cw_err err = CW_ERR_INIT;
	struct session ss;
	struct cw_store_doc doc;
	struct cw_store_version v;
	struct history hist;
	struct cw_buf text = CW_BUF_INIT, md = CW_BUF_INIT;
	const char *key = NULL, *jurisdiction = NULL;
	char *version = NULL, *ref = NULL;
	int audience = CW_AUDIENCE_CONSUMER, c, rc;
	bool json_out = cli->json, all = false, force = false, from_store;
	bool uncategorised = false;
	json_t *analysis, *prev = NULL, *out = NULL, *views, *p;
	size_t i, shown = 0;

	memset(&doc, 0, sizeof(doc));
	memset(&v, 0, sizeof(v));
	memset(&hist, 0, sizeof(hist));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			key = optarg;
			break;
		case 'a':
			audience = cw_audience_parse(optarg);
			if (audience < 0)
				return cw_cli_usage("analyze",
						    "--audience '%s': expected consumer or operator",
						    optarg);
			break;
		case 'f':
			if (!strcmp(optarg, "json"))
				json_out = true;
			else if (!strcmp(optarg, "md"))
				json_out = false;
			else
				return cw_cli_usage("analyze",
						    "--format '%s': expected md or json",
						    optarg);
			break;
		case 'F':
			force = true;
			break;
		case 'A':
			all = true;
			break;
		case 'U':
			uncategorised = true;
			break;
		case 'j':
			if (!cw_analyze_jurisdiction_valid(optarg))
				return cw_cli_usage("analyze",
						    "--jurisdiction '%s': expected %s",
						    optarg, CW_ANALYZE_JURISDICTIONS);
			jurisdiction = optarg;
			break;
		default:
			return CW_EXIT_USAGE;
		}
	}
	if (all ? argc != optind : argc - optind != 1)
		return cw_cli_usage("analyze", "needs SERVICE/TYPE[@VERSION] or --all");
	if (uncategorised && !all)
		return cw_cli_usage("analyze", "--uncategorised goes with --all");
	rc = session_open(&ss, cli, &err);
	if (rc)
		return cw_cli_fail(&err);
	ss.force = force;
	if (all) {
		rc = analyze_all(&ss, uncategorised, &err);
		session_release(&ss);
		return rc ? cw_cli_fail(&err) : CW_EXIT_OK;
	}
	rc = cw_cli_find_doc(cli, argv[optind], "analyze", &ss.s, &doc, &version,
			     &ref, &err);
	if (!rc)
		rc = cw_view_resolve_version(ss.s, doc.id, version, &v, &err);
	if (!rc)
		rc = get_analysis(&ss, &doc, &v, &analysis, &err);
	from_store = ss.computed == 0;
	if (!rc && key && !cw_analyze_find(analysis, key))
		rc = cw_err_set(&err, CW_ENOTFOUND, "'%s/%s' version %lld: no provision '%s'",
				doc.service, doc.type, (long long)v.seq, key);
	/* other services and history (after the force pass above, read
	   from the store: --force recomputes only this document) */
	ss.force = false;
	if (!rc)
		rc = build_index(&ss, &err);
	if (!rc)
		rc = history_load(&ss, &doc, v.seq, &hist, &err);
	if (!rc)
		rc = cw_store_load_text(ss.s, v.id, &text, &err);
	if (rc) {
		rc = cw_cli_fail(&err);
		goto done;
	}
	prev = prevalence(&ss);
	views = json_array();
	json_array_foreach(json_object_get(analysis, "provisions"), i, p) {
		const char *pk = json_string_value(json_object_get(p, "key"));
		json_t *cats = json_object_get(p, "categories"), *view, *others, *h;
		size_t st = (size_t)json_integer_value(json_object_get(p, "start"));
		size_t en = (size_t)json_integer_value(json_object_get(p, "end"));

		if (key ? strcmp(pk, key) != 0 : !json_array_size(cats))
			continue;
		others = others_for(&ss, doc.service, text.ptr + st,
				    en <= text.len && st < en ? en - st : 0,
				    json_string_value(json_object_get(json_array_get(cats, 0), "id")),
				    OTHERS_TOP);
		h = provision_history(&hist, pk, v.seq);
		rc = cw_analyze_view_in(&view, ss.ctx, analysis, p, audience,
					jurisdiction, others, h, prev, &err);
		json_decref(others);
		json_decref(h);
		if (rc) {
			json_decref(views);
			rc = cw_cli_fail(&err);
			goto done;
		}
		json_array_append_new(views, view);
		shown++;
	}
	out = json_pack("{sssssIss?sssbso}", "service", doc.service, "type", doc.type,
			"version", (json_int_t)v.seq, "date",
			json_string_value(json_object_get(analysis, "date")),
			"audience", cw_audience_name(audience), "model",
			json_is_true(json_object_get(analysis, "model")),
			"provisions", views);
	json_object_set(out, "categories", json_object_get(analysis, "categories"));
	json_object_set_new(out, "jurisdiction",
			    jurisdiction ? json_string(jurisdiction) : json_null());
	/* whether this version's analysis was read back rather than computed */
	json_object_set_new(out, "from_store", json_boolean(from_store));
	if (json_out) {
		char *s = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
		puts(s);
		free(s);
	} else {
		printf("# %s: %s, version %lld (%s), for the %s%s%s\n\n",
		       doc.service, doc.type, (long long)v.seq,
		       json_string_value(json_object_get(analysis, "date")),
		       cw_audience_name(audience), jurisdiction ? " in " : "",
		       jurisdiction ? jurisdiction : "");
		printf("%zu provision%s analysed%s. Each statement ends with its "
		       "source in brackets.\n\n", shown, shown == 1 ? "" : "s",
		       json_is_true(json_object_get(analysis, "model"))
			       ? " by rules and the learned classifier"
			       : " by rules only (no model file)");
		json_array_foreach(views, i, p) {
			cw_buf_clear(&md);
			cw_analyze_render_md(&md, p);
			fputs(cw_buf_str(&md), stdout);
		}
	}
	rc = CW_EXIT_OK;
done:
	json_decref(out);
	json_decref(prev);
	history_release(&hist);
	cw_buf_release(&text);
	cw_buf_release(&md);
	cw_store_version_release(&v);
	cw_store_doc_release(&doc);
	free(ref);
	session_release(&ss);
	return rc;
}

int cw_cli_cmd_compare(struct cw_cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "provision", required_argument, NULL, 'p' },
		{ "top", required_argument, NULL, 't' },
		{ "category", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct cw_err err = CW_ERR_INIT;
	struct session ss;
	struct cw_store_doc doc;
	struct cw_store_version v;
	struct cw_buf text = CW_BUF_INIT;
	const char *key = NULL, *category = NULL;
	char *version = NULL, *ref = NULL;
	long top = 5;
	int c, rc;
	json_t *analysis, *p, *res = NULL, *h, *prev = NULL;
	size_t i;

	memset(&doc, 0, sizeof(doc));
	memset(&v, 0, sizeof(v));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			key = optarg;
			break;
		case 'c':
			category = optarg;
			break;
		case 't':
			if (cw_parse_long(optarg, 1, 1000, &top))
				return cw_cli_usage("compare", "--top '%s': expected 1..1000",
						    optarg);
			break;
		default:
			return CW_EXIT_USAGE;
		}
	}
	if (argc - optind != 1 || !key)
		return cw_cli_usage("compare", "needs SERVICE/TYPE --provision KEY");
	rc = session_open(&ss, cli, &err);
	if (rc)
		return cw_cli_fail(&err);
	rc = cw_cli_find_doc(cli, argv[optind], "compare", &ss.s, &doc, &version,
			     &ref, &err);
	if (!rc)
		rc = cw_view_resolve_version(ss.s, doc.id, version, &v, &err);
	if (!rc)
		rc = get_analysis(&ss, &doc, &v, &analysis, &err);
	if (!rc && !(p = cw_analyze_find(analysis, key)))
		rc = cw_err_set(&err, CW_ENOTFOUND, "'%s/%s' version %lld: no provision '%s'",
				doc.service, doc.type, (long long)v.seq, key);
	if (!rc && category && !cw_taxonomy_find(cw_analyze_taxonomy(ss.ctx), category))
		rc = cw_err_set(&err, CW_ENOTFOUND, "no category '%s' in the taxonomy",
				category);
	if (!rc && !category) {
		category = json_string_value(json_object_get(
			json_array_get(json_object_get(p, "categories"), 0), "id"));
		if (!category)
			rc = cw_err_set(&err, CW_ENOTFOUND,
					"'%s/%s' provision '%s': no category to compare on "
					"(give --category)", doc.service, doc.type, key);
	}
	if (!rc)
		rc = build_index(&ss, &err);
	if (!rc)
		rc = cw_store_load_text(ss.s, v.id, &text, &err);
	if (rc) {
		rc = cw_cli_fail(&err);
		goto done;
	}
	{
		size_t st = (size_t)json_integer_value(json_object_get(p, "start"));
		size_t en = (size_t)json_integer_value(json_object_get(p, "end"));
		res = others_for(&ss, doc.service, text.ptr + st,
				 en <= text.len && st < en ? en - st : 0, category,
				 (size_t)top);
	}
	prev = prevalence(&ss);
	if (cli->json) {
		json_t *o = json_pack("{sssssIsssOsO}", "service", doc.service, "type",
				      doc.type, "version", (json_int_t)v.seq,
				      "provision", key, "category",
				      json_object_get(res, "category"), "hits",
				      json_object_get(res, "hits"));
		json_t *pv = json_object_get(prev, category);
		json_object_set(o, "prevalence", pv ? pv : json_null());
		char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		puts(s);
		free(s);
		json_decref(o);
	} else {
		json_t *pv = json_object_get(prev, category);
		printf("%s/%s %s, category %s (%lld of %lld services):\n", doc.service,
		       doc.type, key, category,
		       (long long)json_integer_value(json_object_get(pv, "services")),
		       (long long)json_integer_value(json_object_get(pv, "of")));
		json_array_foreach(json_object_get(res, "hits"), i, h)
			printf("%8.3f  %s / %s  %s  %s\n",
			       json_number_value(json_object_get(h, "score")),
			       json_string_value(json_object_get(h, "service")),
			       json_string_value(json_object_get(h, "type")),
			       json_string_value(json_object_get(h, "key")),
			       json_string_value(json_object_get(h, "title")));
		if (!json_array_size(json_object_get(res, "hits")))
			printf("no provision of this category in other services\n");
	}
	rc = CW_EXIT_OK;
done:
	json_decref(res);
	json_decref(prev);
	cw_buf_release(&text);
	cw_store_version_release(&v);
	cw_store_doc_release(&doc);
	free(ref);
	session_release(&ss);
	return rc;
}
