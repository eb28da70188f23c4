/*
 * pipeline: see pipeline.h.
 */
#include "../analyze/meaning.h"
#include "../analyze/taxonomy.h"
#include "../notify/notify.h"
#include "pipeline.h"

int cw_pipeline_init(struct cw_pipeline *p, struct cw_store *store,
		     const char *data_dir, struct cw_err *err)
{
	char *dir = cw_asprintf("%s/diff", data_dir);
	char *stubs = cw_asprintf("%s/monitor/not-a-version.json", data_dir);
	int rc;

	memset(p, 0, sizeof(*p));
	p->store = store;
	cw_pipeline_opts_init(&p->opts);
	cw_pipeline_guard_init(&p->guard);
	rc = cw_diff_rules_load(&p->rules, dir, err);
	if (!rc)
		rc = cw_pipeline_guard_load(&p->guard, stubs, err);
	free(dir);
	free(stubs);
	if (!rc)
		rc = cw_taxonomy_load(&p->tax, data_dir, err);
	return rc;
}

void cw_pipeline_release(struct cw_pipeline *p)
{
	cw_diff_rules_free(p->rules);
	p->rules = NULL;
	cw_taxonomy_free(p->tax);
	p->tax = NULL;
	cw_pipeline_guard_release(&p->guard);
	cw_pipeline_analysis_free(p->analysis);
	p->analysis = NULL;
}

void cw_pipeline_opts_init(struct cw_pipeline_opts *opts)
{
	struct cw_fetch_opts f = CW_FETCH_OPTS_INIT;
	struct cw_extract_opts x = CW_EXTRACT_OPTS_INIT;

	memset(opts, 0, sizeof(*opts));
	opts->fetch = f;
	opts->extract = x;
	opts->use_browser = true;
}

/*
 * Diff the version just recorded (`vid`, text and provisions given) with
 * the one before it and store the change, inside the caller's transaction.
 */
static int record_change(struct cw_pipeline *p, int64_t doc_id, int64_t vid,
			 const char *text, size_t len,
			 const struct cw_segmentation *seg, const char *at,
			 struct cw_pipeline_result *out, struct cw_err *err)
{
	struct cw_store *s = p->store;
	struct cw_store_version prev;
	struct cw_segmentation *pseg = NULL;
	struct cw_buf ptext = CW_BUF_INIT, json = CW_BUF_INIT;
	struct cw_diff *d = NULL;
	struct cw_change_record rec;
	char *summary = NULL;
	enum cw_diff_materiality top = CW_DIFF_NONE;
	size_t changed = 0;
	int rc;

	memset(&prev, 0, sizeof(prev));
	cw_change_record_init(&rec);
	rc = cw_store_get_version(s, doc_id, -1, &prev, err);
	if (rc == CW_ENOTFOUND)
		return CW_OK; /* the first version: nothing to compare */
	if (rc)
		return rc;
	rc = cw_store_load_text(s, prev.id, &ptext, err);
	if (!rc)
		rc = cw_store_load_provisions(s, prev.id, &pseg, err);
	if (rc)
		goto done;
	struct cw_diff_version a = { cw_buf_str(&ptext), ptext.len, pseg };
	struct cw_diff_version b = { text, len, seg };
	rc = cw_diff_compute(&d, &a, &b, p->rules, NULL, err);
	/* the changes most material first, each saying what it means, and
	 * the document summary the alerts open with */
	if (!rc)
		rc = cw_meaning_explain(d, &summary, p->tax, err);
	if (rc)
		goto done;
	for (size_t i = 0; i < d->n; i++) {
		if (d->changes[i].kind == CW_DIFF_UNCHANGED)
			continue;
		changed++;
		if (d->changes[i].materiality > top)
			top = d->changes[i].materiality;
	}
	rc = cw_change_record_from_diff(&rec, d);
	if (rc)
		goto done;
	rec.summary = summary;
	summary = NULL;
	if (p->analysis) { /* categories and exposure moves: pipeline_analyze.c */
		char date[16], odate[16];
		snprintf(date, sizeof(date), "%.10s",
			 out->stated_date[0] ? out->stated_date : at);
		snprintf(odate, sizeof(odate), "%.10s",
			 prev.stated_date ? prev.stated_date
					  : prev.recorded_at);
		struct cw_pipeline_change_versions cv = {
			.doc_id = doc_id,
			.old_id = prev.id,
			.new_id = vid,
			.old_seq = prev.seq,
			.new_seq = prev.seq + 1,
			.old_date = odate,
			.new_date = date,
			.old_text = cw_buf_str(&ptext),
			.old_len = ptext.len,
			.old_seg = pseg,
			.new_text = text,
			.new_len = len,
			.new_seg = seg,
		};
		rc = cw_pipeline_analyze_change(p, &rec, d, &cv, err);
		if (rc)
			goto done;
	}
	/* stored without what derives from the two versions (record.h) */
	cw_change_record_compact(&rec);
	rc = cw_change_record_encode(&json, &rec, err);
	if (rc)
		goto done;
	struct cw_store_change_in c = {
		.doc_id = doc_id,
		.from_version = prev.id,
		.to_version = vid,
		.materiality =
			cw_diff_materiality_name(top ? top : CW_DIFF_COSMETIC),
		.n_changes = (int64_t)changed,
		.json = cw_buf_str(&json),
	};
	rc = cw_store_put_change(s, &c, &out->change_id, err);
	if (!rc) /* alerts in the same transaction as their change */
		rc = cw_notify_enqueue_change(s, doc_id, out->change_id,
					      c.materiality, &rec, NULL, err);
	snprintf(out->materiality, sizeof(out->materiality), "%s",
		 c.materiality);
	out->n_changes = changed;
done:
	cw_change_record_release(&rec);
	cw_diff_free(d);
	free(summary);
	cw_segment_free(pseg);
	cw_buf_release(&ptext);
	cw_buf_release(&json);
	cw_store_version_release(&prev);
	return rc;
}

/*
 * Segment `text` (unless `pre`, its segmentation, is given), read its
 * stated date and record it as a version with its change, inside the
 * caller's transaction.
 */
static int record_text_tx(struct cw_pipeline *p, int64_t doc_id,
			  const char *text, size_t len,
			  const struct cw_segmentation *pre,
			  int64_t snapshot_id, const char *at,
			  const char *origin, struct cw_pipeline_result *out,
			  struct cw_err *err)
{
	struct cw_store *s = p->store;
	struct cw_segmentation *own = NULL;
	const struct cw_segmentation *seg = pre;
	struct cw_store_version v;
	time_t stated;
	size_t dat, dlen;
	int64_t vid = 0;
	int rc;

	if (!seg) {
		rc = cw_segment_text(&own, text, len, NULL, err);
		if (rc)
			return rc;
		seg = own;
	}
	out->stated_date[0] = '\0';
	if (cw_segment_stated_date(&stated, &dat, &dlen, text, len) == CW_OK) {
		char iso[CW_TIME_ISO];
		cw_time_iso(stated, iso);
		memcpy(out->stated_date, iso, 10);
		out->stated_date[10] = '\0';
	}
	struct cw_store_version_in in = {
		.text = text,
		.len = len,
		.seg = seg,
		.snapshot_id = snapshot_id,
		.recorded_at = at,
		.stated_date = out->stated_date[0] ? out->stated_date : NULL,
		.origin = origin,
	};
	rc = cw_store_record_version(s, doc_id, &in, &vid, err);
	out->n_provisions = seg->n;
	out->text_len = len;
	if (rc == CW_EUNCHANGED) {
		out->outcome = CW_STORE_UNCHANGED;
		rc = CW_OK;
	} else if (rc == CW_OK) {
		out->outcome = CW_STORE_NEW_VERSION;
		rc = record_change(p, doc_id, vid, text, len, seg, at, out,
				   err);
	}
	cw_segment_free(own);
	if (rc)
		return rc;
	out->version_id = vid;
	if (vid && cw_store_get_version(s, doc_id, 0, &v, NULL) == CW_OK) {
		out->version_seq = v.seq;
		cw_store_version_release(&v);
	}
	return CW_OK;
}

/* The length of the latest version of `doc_id`, 0 when it has none. */
static int latest_len(struct cw_pipeline *p, int64_t doc_id, int64_t *len,
		      struct cw_err *err)
{
	struct cw_store_version v;
	int rc = cw_store_get_version(p->store, doc_id, 0, &v, err);

	*len = 0;
	if (rc == CW_ENOTFOUND)
		return CW_OK;
	if (rc)
		return rc;
	*len = v.text_len;
	cw_store_version_release(&v);
	return CW_OK;
}

/* cw_pipeline_check_text() against the latest version of `doc_id`:
 * CW_EEMPTY and out->refused when the text is not a version. */
static int check_text(struct cw_pipeline *p, int64_t doc_id, const char *text,
		      size_t len, struct cw_pipeline_result *out,
		      struct cw_err *err)
{
	int64_t prev = 0;
	int rc = latest_len(p, doc_id, &prev, err);

	if (rc)
		return rc;
	rc = cw_pipeline_check_text(&p->guard, text, len, prev, err);
	if (rc)
		out->refused = true;
	return rc;
}

/*
 * A text as cw_pipeline_record_text() records it: normalised, and once
 * when it is there twice (cw_extract_undouble). *copies (optional) is how
 * many times it was there.
 */
static int text_form(struct cw_buf *norm, const char *text, size_t len,
		     unsigned *copies, struct cw_err *err)
{
	int rc = cw_extract_normalize(norm, text, len, err);
	unsigned k = rc ? 1 : cw_extract_undouble(norm, 0);

	if (copies)
		*copies = k;
	return rc;
}

int cw_pipeline_record_text(struct cw_pipeline *p, int64_t doc_id,
			    const char *text, size_t len, const char *name,
			    const char *at, const char *origin,
			    struct cw_pipeline_result *out,
			    struct cw_strv *warnings, struct cw_err *err)
{
	struct cw_store *s = p->store;
	struct cw_buf norm = CW_BUF_INIT;
	unsigned copies = 1;
	int rc;

	memset(out, 0, sizeof(*out));
	/* binary data is refused, invalid UTF-8 repaired and said */
	rc = cw_extract_check_bytes(text, len, name, true, warnings, err);
	if (!rc)
		rc = text_form(&norm, text, len, &copies, err);
	if (!rc && copies > 1 && warnings)
		cw_strv_pushf(warnings,
			      "'%s': the text is there %u times over, "
			      "recorded once",
			      name ? name : "text", copies);
	if (!rc)
		rc = check_text(p, doc_id, cw_buf_str(&norm), norm.len, out,
				err);
	if (rc)
		goto done;
	rc = cw_store_begin(s, err);
	if (rc)
		goto done;
	rc = record_text_tx(p, doc_id, cw_buf_str(&norm), norm.len, NULL, 0, at,
			    origin, out, err);
	if (rc) {
		cw_store_rollback(s);
		goto done;
	}
	rc = cw_store_commit(s, err);
done:
	cw_buf_release(&norm);
	return rc;
}

int cw_pipeline_text_recorded(struct cw_pipeline *p, int64_t doc_id,
			      const char *text, size_t len, const char *at,
			      bool *done, struct cw_err *err)
{
	struct cw_buf norm = CW_BUF_INIT;
	struct cw_store_version v;
	char hex[CW_SHA256_HEX];
	int rc;

	*done = false;
	rc = text_form(&norm, text, len, NULL, err);
	if (rc)
		goto out;
	rc = cw_store_get_version_at(p->store, doc_id, at, &v, err);
	if (rc == CW_ENOTFOUND) {
		/* nothing in force then: not recorded, and maybe not a
		 * version at all */
		rc = cw_pipeline_check_text(&p->guard, cw_buf_str(&norm),
					    norm.len, 0, err);
		goto out;
	}
	if (rc)
		goto out;
	cw_sha256_hex(norm.ptr, norm.len, hex);
	/* the version in force at `at` has this text: it was recorded
	 * then, or the file repeated the version before it */
	*done = !strcmp(hex, v.text_hash);
	/* not recorded because it is not a version: that is why, not a
	 * version missing from the store */
	if (!*done)
		rc = cw_pipeline_check_text(&p->guard, cw_buf_str(&norm),
					    norm.len, v.text_len, err);
	cw_store_version_release(&v);
out:
	cw_buf_release(&norm);
	return rc;
}

void cw_pipeline_prepared_init(struct cw_pipeline_prepared *pp)
{
	memset(pp, 0, sizeof(*pp));
	cw_buf_init(&pp->text, 0);
	pp->xerr = (struct cw_err)CW_ERR_INIT;
	pp->serr = (struct cw_err)CW_ERR_INIT;
}

void cw_pipeline_prepared_release(struct cw_pipeline_prepared *pp)
{
	cw_buf_release(&pp->text);
	cw_segment_free(pp->seg);
	pp->seg = NULL;
}

void cw_pipeline_prepare(struct cw_pipeline_prepared *out,
			 const struct cw_decl_doc *decl,
			 const struct cw_extract_input *pages, size_t n,
			 const struct cw_extract_opts *xopts,
			 struct cw_strv *warnings)
{
	out->xrc = cw_extract_document(&out->text, pages, n, decl, warnings,
				       xopts, &out->xerr);
	if (out->xrc == CW_OK)
		out->src = cw_segment_text(&out->seg, cw_buf_str(&out->text),
					   out->text.len, NULL, &out->serr);
}

struct cw_store_page *
cw_pipeline_store_pages(const struct cw_extract_input *pages, size_t n,
			int64_t *bytes)
{
	struct cw_store_page *sp = cw_calloc(n ? n : 1, sizeof(*sp));

	*bytes = 0;
	for (size_t i = 0; i < n; i++) {
		sp[i].data = pages[i].data;
		sp[i].len = pages[i].len;
		sp[i].url = pages[i].url;
		sp[i].content_type = pages[i].content_type;
		sp[i].charset = pages[i].charset;
		*bytes += (int64_t)pages[i].len;
	}
	return sp;
}

int cw_pipeline_commit(struct cw_pipeline *p, int64_t doc_id,
		       const struct cw_pipeline_prepared *pp,
		       const struct cw_extract_input *pages, size_t n,
		       const char *at, const char *origin,
		       struct cw_pipeline_result *out, struct cw_err *err)
{
	struct cw_store *s = p->store;
	struct cw_store_page *sp;
	struct cw_err refusal = CW_ERR_INIT;
	int64_t bytes = 0;
	int rc, xrc = pp->xrc;
	const struct cw_err *xerr = &pp->xerr;

	memset(out, 0, sizeof(*out));
	if (pp->xrc == CW_OK && pp->src != CW_OK) {
		/* a text that cannot be segmented: nothing is recorded */
		if (err)
			*err = pp->serr;
		return pp->src;
	}
	sp = cw_pipeline_store_pages(pages, n, &bytes);
	rc = cw_store_begin(s, err);
	if (rc)
		goto done;
	if (xrc == CW_OK) {
		/* an error page or a wall is kept as a failed attempt, its
		 * bytes archived, as a failed extraction is */
		rc = check_text(p, doc_id, cw_buf_str(&pp->text), pp->text.len,
				out, &refusal);
		if (rc && !out->refused) {
			if (err)
				*err = refusal;
			goto rollback;
		}
		if (rc) {
			xrc = rc;
			xerr = &refusal;
		}
	}
	rc = cw_store_add_snapshot(s, doc_id, sp, n, at, &out->snapshot_id,
				   &out->new_snapshot, err);
	if (rc)
		goto rollback;
	if (xrc == CW_OK) {
		rc = record_text_tx(p, doc_id, cw_buf_str(&pp->text),
				    pp->text.len, pp->seg, out->snapshot_id, at,
				    origin, out, err);
		if (rc)
			goto rollback;
	} else {
		/* the raw bytes stay archived; no version, an attempt says why */
		out->outcome = CW_STORE_EXTRACT_FAILED;
	}
	struct cw_store_attempt a = {
		.doc_id = doc_id,
		.at = at,
		.url = n ? pages[0].url : NULL,
		.status = 0,
		.bytes = bytes,
		.outcome = out->outcome,
		.error = xrc ? xerr->msg : NULL,
		.snapshot_id = out->snapshot_id,
	};
	rc = cw_store_add_attempt(s, &a, err);
	if (rc)
		goto rollback;
	rc = cw_store_commit(s, err);
	if (!rc && xrc) {
		if (err)
			*err = *xerr;
		rc = xrc;
	}
	goto done;
rollback:
	cw_store_rollback(s);
done:
	free(sp);
	return rc;
}

int cw_pipeline_record_pages(struct cw_pipeline *p, int64_t doc_id,
			     const struct cw_decl_doc *decl,
			     const struct cw_extract_input *pages, size_t n,
			     const char *at, const char *origin,
			     struct cw_pipeline_result *out,
			     struct cw_strv *warnings, struct cw_err *err)
{
	struct cw_pipeline_prepared pp;
	int rc;

	cw_pipeline_prepared_init(&pp);
	cw_pipeline_prepare(&pp, decl, pages, n, &p->opts.extract, warnings);
	rc = cw_pipeline_commit(p, doc_id, &pp, pages, n, at, origin, out, err);
	cw_pipeline_prepared_release(&pp);
	return rc;
}

int cw_pipeline_record_failure(struct cw_store *s, int64_t doc_id,
			       const char *at, const char *url, long status,
			       const char *msg, double secs, struct cw_err *err)
{
	struct cw_store_attempt a = {
		.doc_id = doc_id,
		.at = at,
		.url = url,
		.status = status,
		.outcome = CW_STORE_FAILED,
		.error = msg,
		.seconds = secs,
	};
	return cw_store_add_attempt(s, &a, err);
}

int cw_pipeline_fetch_document(struct cw_pipeline *p,
			       const struct cw_store_doc *doc,
			       const struct cw_decl_doc *decl,
			       struct cw_pipeline_result *out,
			       struct cw_strv *warnings, struct cw_err *err)
{
	struct cw_store *s = p->store;
	const struct cw_pipeline_opts *opts = &p->opts;
	struct cw_fetch_result *res;
	struct cw_extract_input *in;
	char at[CW_TIME_ISO];
	double secs = 0;
	int rc = CW_OK;
	size_t n = decl->n_sources, done = 0;

	memset(out, 0, sizeof(*out));
	cw_time_now_iso(at);
	res = cw_calloc(n ? n : 1, sizeof(*res));
	in = cw_calloc(n ? n : 1, sizeof(*in));
	for (size_t i = 0; i < n; i++) {
		const struct cw_decl_source *src = &decl->sources[i];

		cw_fetch_result_init(&res[i]);
		done = i + 1;
		if (src->execute_client_scripts == 1 && opts->use_browser) {
			struct cw_fetch_browser_opts bo =
				CW_FETCH_BROWSER_OPTS_INIT;
			bo.allow_private = opts->fetch.allow_private;
			bo.timeout_ms = opts->fetch.timeout_ms;
			bo.max_bytes = opts->fetch.max_bytes;
			rc = cw_fetch_browser(&res[i], src->fetch, &bo, err);
		} else {
			rc = cw_fetch_url(&res[i], src->fetch, &opts->fetch,
					  err);
		}
		secs += res[i].seconds;
		if (rc) {
			(void)cw_pipeline_record_failure(
				s, doc->id, at, src->fetch, res[i].status,
				err ? err->msg : cw_rc_name(rc), secs, NULL);
			out->outcome = CW_STORE_FAILED;
			goto done;
		}
		in[i].data = cw_buf_str(&res[i].body);
		in[i].len = res[i].body.len;
		in[i].url = res[i].final_url ? res[i].final_url : src->fetch;
		in[i].name = src->fetch;
		in[i].content_type = res[i].content_type;
		in[i].charset = res[i].charset;
	}
	rc = cw_pipeline_record_pages(p, doc->id, decl, in, n, at, "fetch", out,
				      warnings, err);
done:
	for (size_t i = 0; i < done; i++)
		cw_fetch_result_release(&res[i]);
	free(res);
	free(in);
	return rc;
}
