/*
 * eval: cross-validation of the classifier by document.
 *
 * For each value f of the `test_fold` column, a model is trained (with its
 * own inner cross-validation for calibration and thresholds) on the
 * sentences of the other folds only, and predicts the sentences of fold f.
 * True and false positives and false negatives are pooled over the folds,
 * then turned into precision, recall and F1 per category.
 *
 * Two summaries: ours (macro and micro over the nine categories, pinc
 * included) and LexGLUE's UNFAIR-ToS scoring (Chalkidis et al., ACL 2022,
 * experiments/unfair_tos.py): eight labels (no pinc) plus a ninth column
 * that is 1 when a sentence has no label, macro and micro over the nine
 * columns. The second is comparable to the published table, the first is
 * the stricter one.
 */
#include <time.h>

#include "classify_int.h"

static double f1_of(size_t tp, size_t fp, size_t fn)
{
	return tp ? 2.0 * (double)tp / (double)(2 * tp + fp + fn) : 0.0;
}

int cw_classify_eval(struct cw_classify_eval_report *out,
		     const struct cw_classify_labels *l, const char *rules_json,
		     const char *rules_name,
		     const struct cw_classify_train_opts *opts,
		     struct cw_err *err)
{
	struct cw_classify_train_opts o;
	struct cls_rules rules;
	struct cls_embed emb = { 0 };
	struct cls_fvec *raw;
	struct cls_svec scratch = { 0 };
	bool *use, *mask;
	int folds[128];
	size_t nfolds = 0, lx_tp[9] = { 0 }, lx_fp[9] = { 0 }, lx_fn[9] = { 0 };
	double t0 = cw_time_mono_s(), thr_sum[CW_CLASSIFY_NCAT] = { 0 };
	size_t thr_n[CW_CLASSIFY_NCAT] = { 0 };
	int rc = CW_OK;
	/* developer aid: list the errors on stderr */
	bool dump = getenv("CW_CLASSIFY_EVAL_DUMP") != NULL;
	bool dump_all = dump && !strcmp(getenv("CW_CLASSIFY_EVAL_DUMP"), "all");

	memset(out, 0, sizeof(*out));
	if (opts)
		o = *opts;
	else
		cw_classify_train_opts_init(&o);
	rc = cls_train_inputs(&o, rules_json, rules_name, &emb, &rules, err);
	if (rc)
		return rc;
	use = cw_calloc(l->n + 1, sizeof(*use));
	mask = cw_calloc(l->n + 1, sizeof(*mask));
	for (size_t i = 0; i < l->n; i++) {
		bool seen = false;

		use[i] = !o.max_docs || l->s[i].doc < o.max_docs;
		if (!use[i])
			continue;
		out->nsentences++;
		for (size_t f = 0; f < nfolds; f++)
			seen |= folds[f] == l->s[i].fold;
		if (!seen && nfolds < 128)
			folds[nfolds++] = l->s[i].fold;
	}
	if (nfolds < 2) {
		rc = cw_err_set(err, CW_EINVAL,
				"cross-validation needs at least two folds, "
				"the labels have %zu",
				nfolds);
		goto done;
	}
	/* folds in ascending order, so the output does not depend on the
	   order of documents in the file */
	for (size_t a = 1; a < nfolds; a++)
		for (size_t b = a; b > 0 && folds[b - 1] > folds[b]; b--) {
			int t = folds[b];

			folds[b] = folds[b - 1];
			folds[b - 1] = t;
		}
	out->nfolds = nfolds;
	for (size_t d = 0; d < l->docs.n; d++)
		out->ndocuments += !o.max_docs || d < o.max_docs;
	raw = cls_extract_all(l, &rules, &emb, o.ctx_weight > 0);
	for (size_t f = 0; f < nfolds && rc == CW_OK; f++) {
		struct cw_classify_model m = { 0 };

		if (!o.quiet)
			fprintf(stderr, "fold %d (%zu/%zu)\n", folds[f], f + 1,
				nfolds);
		for (size_t i = 0; i < l->n; i++)
			mask[i] = use[i] && l->s[i].fold != folds[f];
		rc = cls_train_model(&m, l, raw, mask, &o, err);
		if (rc)
			break;
		for (size_t h = 0; h < m.nheads; h++)
			if (m.heads[h].kind == CLS_HEAD_UNFAIR) {
				thr_sum[m.heads[h].cat] += m.heads[h].threshold;
				thr_n[m.heads[h].cat]++;
			}
		for (size_t i = 0; i < l->n; i++) {
			struct cw_classify_result r;
			bool gold_any = false, pred_any = false;

			if (!use[i] || l->s[i].fold != folds[f])
				continue;
			cls_model_score(&r, &m, &raw[i], &scratch, 0);
			for (int c = 0; c < CW_CLASSIFY_NCAT; c++) {
				struct cw_classify_eval_cat *e = &out->cat[c];
				bool gold = l->s[i].level[c] >= 2;
				bool pred = r.cat[c].unfair;

				if (dump && (gold != pred || dump_all))
					fprintf(stderr,
						"%s\t%s\t%.2f\t%s\t%s\n",
						gold == pred
							? (gold ? "TP" : "TN")
						: pred ? "FP"
						       : "FN",
						cw_classify_cat_code(c),
						r.cat[c].p_unfair,
						l->docs.v[l->s[i].doc],
						l->s[i].text);
				e->support += gold;
				e->tp += gold && pred;
				e->fp += !gold && pred;
				e->fn += gold && !pred;
				if (gold && pred) {
					out->severity_total++;
					out->severity_correct +=
						r.cat[c].severity ==
						l->s[i].level[c];
				}
				if (c == CW_CLASSIFY_PINC)
					continue;
				/* LexGLUE columns 0-7 (order does not matter) */
				int k = c > CW_CLASSIFY_PINC ? c - 1 : c;
				lx_tp[k] += gold && pred;
				lx_fp[k] += !gold && pred;
				lx_fn[k] += gold && !pred;
				gold_any |= gold;
				pred_any |= pred;
			}
			lx_tp[8] += !gold_any && !pred_any;
			lx_fp[8] += gold_any && !pred_any;
			lx_fn[8] += !gold_any && pred_any;
		}
		cls_model_release(&m);
	}
	for (size_t i = 0; i < l->n; i++)
		cls_fvec_release(&raw[i]);
	free(raw);
	if (rc)
		goto done;
	{
		size_t tp = 0, fp = 0, fn = 0, tp8 = 0, fp8 = 0, fn8 = 0;
		double sum = 0, sum8 = 0, lsum = 0;

		for (int c = 0; c < CW_CLASSIFY_NCAT; c++) {
			struct cw_classify_eval_cat *e = &out->cat[c];

			e->precision = e->tp + e->fp
					       ? (double)e->tp /
							 (double)(e->tp + e->fp)
					       : 0;
			e->recall = e->tp + e->fn
					    ? (double)e->tp /
						      (double)(e->tp + e->fn)
					    : 0;
			e->f1 = f1_of(e->tp, e->fp, e->fn);
			e->threshold_mean =
				thr_n[c] ? thr_sum[c] / (double)thr_n[c] : 0;
			sum += e->f1;
			tp += e->tp;
			fp += e->fp;
			fn += e->fn;
			if (c != CW_CLASSIFY_PINC)
				sum8 += e->f1;
		}
		out->macro_f1 = sum / CW_CLASSIFY_NCAT;
		out->micro_f1 = f1_of(tp, fp, fn);
		out->macro_f1_8 = sum8 / (CW_CLASSIFY_NCAT - 1);
		for (int k = 0; k < 9; k++) {
			lsum += f1_of(lx_tp[k], lx_fp[k], lx_fn[k]);
			tp8 += lx_tp[k];
			fp8 += lx_fp[k];
			fn8 += lx_fn[k];
		}
		out->lexglue_macro_f1 = lsum / 9;
		out->lexglue_micro_f1 = f1_of(tp8, fp8, fn8);
	}
	out->seconds = cw_time_mono_s() - t0;
done:
	cls_svec_release(&scratch);
	free(use);
	free(mask);
	cls_rules_release(&rules);
	cls_embed_release(&emb);
	return rc;
}
