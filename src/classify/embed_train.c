/*
 * embed_train: learning the word vectors of the clause classifier from
 * unlabelled terms of service (cw_classify_embed_build()); embed.c reads
 * them back and looks words up when a sentence is scored.
 *
 * Method: positive pointwise mutual information over a symmetric window,
 * with the context distribution smoothed to the power 0.75, factorised by a
 * truncated SVD; word vector = U_k * sqrt(Sigma_k), rows L2-normalised
 * (Levy, Goldberg and Dagan, "Improving distributional similarity with
 * lessons learned from word embeddings", TACL 2015: PPMI+SVD with these
 * two settings is on par with skip-gram on similarity tasks). The SVD is
 * the randomised range finder with power iterations of Halko, Martinsson
 * and Tropp, "Finding structure with randomness", SIAM Review 53 (2011),
 * Algorithms 4.4 and 5.1, finished by a cyclic Jacobi eigensolver on the
 * small Gram matrix (Golub and Van Loan, Matrix Computations, 8.5).
 *
 * Words are the classifier's own tokens (Snowball stems, digits folded, see
 * features.c), identified by their unigram hash bucket, so that a vector is
 * found from the same bucket the sparse features use.
 *
 * A sentence's dense feature is the smooth-inverse-frequency weighted mean
 * of its words' vectors, weight a / (a + p(w)) with a = 1e-3 (Arora, Liang
 * and Ma, "A simple but tough-to-beat baseline for sentence embeddings",
 * ICLR 2017), L2-normalised.
 *
 * Input: the versions corpus (../shared/corpus: VERSIONS.tsv lists the
 * files). Paragraphs (lines) are deduplicated over the whole corpus, so the
 * hundreds of near-identical versions of one document count once. The
 * services of the held-out CLAUDETTE documents are excluded (see
 * `heldout` below). Everything is single-threaded and visits files in the
 * order of VERSIONS.tsv with a fixed-seed generator: the same corpus gives
 * the same bytes.
 *
 * File layout (little-endian):
 *   "CWEMBED1"            magic
 *   u32 dim, u32 n        vector size, words
 *   per word: u32 bucket (strictly ascending), f32 weight, f32 scale,
 *             i8 q[dim]   (vector = q * scale / 127)
 *   32 bytes              SHA-256 of everything before it
 */
#include <math.h>
#include <strings.h>

#include "classify_int.h"

#define VERSIONS_MAX (64u << 20)
#define DOC_MAX (16u << 20)
#define CORPUS_TOKENS_MAX 100000000u
#define SIF_A 1e-3

/*
 * Services of the ten CLAUDETTE documents held out to measure the project
 * (the authors' fold 4) and the services whose text they contain: nothing
 * of theirs may shape a feature. Matched case-insensitively as a prefix of
 * the service name. Microsoft's services agreement is also Skype's terms.
 */
static const char *const heldout[] = {
	"amazon", "booking", "evernote", "linkedin", "skype",	  "snap",
	"tiktok", "visa",    "western",	 "yelp",     "microsoft",
};

void cw_classify_embed_opts_init(struct cw_classify_embed_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dim = 64;
	o->words = 12000;
	o->min_count = 10;
	o->window = 4;
	o->seed = 20260101;
}

static bool is_heldout(const char *service)
{
	for (size_t i = 0; i < sizeof(heldout) / sizeof(heldout[0]); i++)
		if (!strncasecmp(service, heldout[i], strlen(heldout[i])))
			return true;
	return false;
}

/* ---- a set of 64-bit paragraph hashes ---- */

/*
 * This set and the pair counts below are not util/map: the set holds
 * values that are hashes already (one array, 0 empty), and the pair map
 * is walked in slot order to build the co-occurrence matrix, so another
 * table would change the order of the float sums and the vectors' bits.
 */

struct hset {
	uint64_t *v; /* 0 = empty */
	size_t n, cap;
};

/* Insert h; false when it was already there. */
static bool hset_add(struct hset *s, uint64_t h)
{
	size_t i;

	if (!h)
		h = 1;
	if (2 * (s->n + 1) > s->cap) {
		struct hset t = { cw_calloc(s->cap ? 2 * s->cap : 1u << 16,
					    sizeof(uint64_t)),
				  0, s->cap ? 2 * s->cap : 1u << 16 };

		for (size_t k = 0; k < s->cap; k++)
			if (s->v[k])
				hset_add(&t, s->v[k]);
		free(s->v);
		*s = t;
	}
	i = (size_t)(h & (s->cap - 1));
	while (s->v[i]) {
		if (s->v[i] == h)
			return false;
		i = (i + 1) & (s->cap - 1);
	}
	s->v[i] = h;
	s->n++;
	return true;
}

/* ---- co-occurrence counts: a map from a word pair to a count ---- */

struct pmap {
	uint32_t *key; /* i * n + j + 1, 0 = empty */
	float *val;
	size_t n, cap;
};

static void pmap_add(struct pmap *m, uint32_t key, float v)
{
	size_t i;

	if (2 * (m->n + 1) > m->cap) {
		struct pmap t = { 0 };

		t.cap = m->cap ? 2 * m->cap : 1u << 20;
		t.key = cw_calloc(t.cap, sizeof(*t.key));
		t.val = cw_calloc(t.cap, sizeof(*t.val));
		for (size_t k = 0; k < m->cap; k++)
			if (m->key[k])
				pmap_add(&t, m->key[k], m->val[k]);
		free(m->key);
		free(m->val);
		*m = t;
	}
	i = (size_t)((key * 2654435761u) & (m->cap - 1));
	while (m->key[i] && m->key[i] != key)
		i = (i + 1) & (m->cap - 1);
	if (!m->key[i]) {
		m->key[i] = key;
		m->n++;
	}
	m->val[i] += v;
}

/* ---- dense linear algebra on column-major V x l blocks ---- */

struct spm { /* CSR, n x n */
	size_t n;
	size_t *row;
	uint32_t *col;
	float *val;
};

/* y (n x l, column-major) = M x, or M^T x when `t`: the same sums in
 * the same order either way. */
static void spm_mul(double *y, const struct spm *m, const double *x, size_t l,
		    bool t)
{
	size_t n = m->n;

	memset(y, 0, n * l * sizeof(*y));
	for (size_t i = 0; i < n; i++)
		for (size_t k = m->row[i]; k < m->row[i + 1]; k++) {
			size_t j = m->col[k];
			size_t to = t ? j : i, from = t ? i : j;
			double v = m->val[k];

			for (size_t c = 0; c < l; c++)
				y[c * n + to] += v * x[c * n + from];
		}
}

/* Orthonormalise the l columns of q (n x l) in place: modified
 * Gram-Schmidt, twice ("twice is enough", Giraud et al. 2005). A column
 * that vanishes is left zero. */
static void orth(double *q, size_t n, size_t l)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t c = 0; c < l; c++) {
			double *a = q + c * n, nrm = 0;

			for (size_t p = 0; p < c; p++) {
				const double *b = q + p * n;
				double d = 0;

				for (size_t i = 0; i < n; i++)
					d += a[i] * b[i];
				for (size_t i = 0; i < n; i++)
					a[i] -= d * b[i];
			}
			for (size_t i = 0; i < n; i++)
				nrm += a[i] * a[i];
			nrm = sqrt(nrm);
			for (size_t i = 0; i < n; i++)
				a[i] = nrm > 1e-300 ? a[i] / nrm : 0;
		}
}

/* Eigen-decomposition of the symmetric l x l matrix a (destroyed) by
 * cyclic Jacobi rotations: eigenvalues in ev, eigenvectors in the columns
 * of v (row-major v[i * l + j]: component i of vector j). */
static void jacobi(double *a, double *v, double *ev, size_t l)
{
	for (size_t i = 0; i < l; i++)
		for (size_t j = 0; j < l; j++)
			v[i * l + j] = i == j;
	for (int sweep = 0; sweep < 100; sweep++) {
		double off = 0, tot = 0;

		for (size_t i = 0; i < l; i++)
			for (size_t j = 0; j < l; j++) {
				tot += a[i * l + j] * a[i * l + j];
				if (i != j)
					off += a[i * l + j] * a[i * l + j];
			}
		if (off <= 1e-22 * tot)
			break;
		for (size_t p = 0; p < l; p++)
			for (size_t q = p + 1; q < l; q++) {
				double apq = a[p * l + q], theta, t, c, s;

				if (fabs(apq) < 1e-300)
					continue;
				theta = (a[q * l + q] - a[p * l + p]) /
					(2 * apq);
				t = (theta >= 0 ? 1.0 : -1.0) /
				    (fabs(theta) + sqrt(theta * theta + 1));
				c = 1 / sqrt(t * t + 1);
				s = t * c;
				for (size_t k = 0; k < l; k++) {
					double akp = a[k * l + p],
					       akq = a[k * l + q];

					a[k * l + p] = c * akp - s * akq;
					a[k * l + q] = s * akp + c * akq;
				}
				for (size_t k = 0; k < l; k++) {
					double apk = a[p * l + k],
					       aqk = a[q * l + k];

					a[p * l + k] = c * apk - s * aqk;
					a[q * l + k] = s * apk + c * aqk;
				}
				for (size_t k = 0; k < l; k++) {
					double vkp = v[k * l + p],
					       vkq = v[k * l + q];

					v[k * l + p] = c * vkp - s * vkq;
					v[k * l + q] = s * vkp + c * vkq;
				}
			}
	}
	for (size_t i = 0; i < l; i++)
		ev[i] = a[i * l + i];
}

/* ---- building ---- */

struct tokstream {
	uint32_t *tok; /* unigram buckets; UINT32_MAX ends a paragraph */
	size_t n, cap;
};

static void put_u32(struct cw_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)v, (unsigned char)(v >> 8),
			       (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };
	cw_buf_add(b, x, 4);
}

static void put_f32(struct cw_buf *b, float f)
{
	uint32_t v;

	memcpy(&v, &f, 4);
	put_u32(b, v);
}

struct wordrank {
	uint32_t bucket, count;
};

static int cmp_rank(const void *x, const void *y)
{
	const struct wordrank *a = x, *b = y;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return a->bucket < b->bucket ? -1 : a->bucket > b->bucket;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/* Read the corpus into a token stream of unique paragraphs. */
static int read_corpus(struct tokstream *ts, size_t *nfiles,
		       const char *corpus_dir, bool quiet, struct cw_err *err)
{
	struct cw_buf idx = CW_BUF_INIT, doc = CW_BUF_INIT;
	struct cls_extractor *x = cls_extractor_new(NULL, NULL);
	struct hset seen = { 0 };
	char *path = cw_asprintf("%s/VERSIONS.tsv", corpus_dir);
	char *p, *end;
	size_t lineno = 0, nskip = 0;
	int rc;

	*nfiles = 0;
	rc = cw_file_read(&idx, path, VERSIONS_MAX, err);
	if (rc)
		goto done;
	p = idx.ptr;
	end = idx.ptr + idx.len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *f[4];
		size_t nf = 0;
		char *q, *fp;

		if (!nl)
			nl = end;
		*nl = 0;
		lineno++;
		q = p;
		f[nf++] = q;
		while (nf < 4 && (q = strchr(q, '\t'))) {
			*q++ = 0;
			f[nf++] = q;
		}
		p = nl + 1;
		if (lineno == 1 || (nf == 1 && !*f[0]))
			continue;
		if (nf < 4) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s':%zu: expected service, "
					"document_type, seq, file",
					path, lineno);
			goto done;
		}
		if ((q = strchr(f[3], '\t')))
			*q = 0;
		if (is_heldout(f[0])) {
			nskip++;
			continue;
		}
		fp = cw_asprintf("%s/%s", corpus_dir, f[3]);
		cw_buf_clear(&doc);
		rc = cw_file_read(&doc, fp, DOC_MAX, err);
		free(fp);
		if (rc)
			goto done;
		(*nfiles)++;
		for (char *a = doc.ptr, *de = doc.ptr + doc.len; a < de;) {
			char *e = memchr(a, '\n', (size_t)(de - a));
			size_t n0 = ts->n;

			if (!e)
				e = de;
			if (e - a > 20 &&
			    hset_add(&seen, cls_hash(0, a, (size_t)(e - a)))) {
				cls_tokens(x, a, (size_t)(e - a), &ts->tok,
					   &ts->n, &ts->cap);
				if (ts->n > n0) {
					CW_GROW(ts->tok, ts->cap, ts->n + 1);
					ts->tok[ts->n++] = UINT32_MAX;
				}
			}
			if (ts->n > CORPUS_TOKENS_MAX) {
				rc = cw_err_set(err, CW_ETOOBIG,
						"'%s': more than %u tokens",
						corpus_dir, CORPUS_TOKENS_MAX);
				goto done;
			}
			a = e + 1;
		}
	}
	if (!quiet)
		fprintf(stderr,
			"embed: %zu files (%zu of held-out services skipped), "
			"%zu unique paragraphs, %zu tokens\n",
			*nfiles, nskip, seen.n, ts->n);
	if (!*nfiles)
		rc = cw_err_set(err, CW_EPARSE, "'%s': no corpus files", path);
done:
	free(seen.v);
	free(path);
	cls_extractor_free(x);
	cw_buf_release(&idx);
	cw_buf_release(&doc);
	return rc;
}

int cw_classify_embed_build(struct cw_buf *out, const char *corpus_dir,
			    const struct cw_classify_embed_opts *opts,
			    struct cw_err *err)
{
	struct cw_classify_embed_opts o;
	struct tokstream ts = { 0 };
	struct wordrank *rank = NULL;
	uint32_t *count = NULL, *id = NULL, *word = NULL;
	int32_t *wid = NULL;
	struct pmap pm = { 0 };
	struct spm m = { 0 };
	double *rowsum = NULL, *colpow = NULL, *om = NULL, *y = NULL, *g = NULL,
	       *ev = NULL, *ub = NULL, *vec = NULL;
	size_t nfiles, nv = 0, l, total = 0;
	uint64_t rs;
	int rc;

	if (opts)
		o = *opts;
	else
		cw_classify_embed_opts_init(&o);
	if (o.dim < 2 || o.dim > (int)CLS_EMB_DIM_MAX || o.words < o.dim ||
	    o.words > (int)CLS_EMB_WORDS_MAX || o.window < 1 || o.window > 20)
		return cw_err_set(err, CW_EINVAL, "bad embedding options");
	rc = read_corpus(&ts, &nfiles, corpus_dir, o.quiet, err);
	if (rc)
		goto done;
	/* vocabulary: the most frequent stems */
	count = cw_calloc(CLS_WORD_SPAN, sizeof(*count));
	for (size_t i = 0; i < ts.n; i++)
		if (ts.tok[i] != UINT32_MAX) {
			count[ts.tok[i]]++;
			total++;
		}
	rank = cw_calloc(CLS_WORD_SPAN, sizeof(*rank));
	for (uint32_t b = 0; b < CLS_WORD_SPAN; b++)
		if (count[b] >= (uint32_t)o.min_count)
			rank[nv++] = (struct wordrank){ b, count[b] };
	qsort(rank, nv, sizeof(*rank), cmp_rank);
	if (nv > (size_t)o.words)
		nv = (size_t)o.words;
	if (nv < (size_t)o.dim + 16) {
		rc = cw_err_set(err, CW_EINVAL,
				"'%s': only %zu words occur %d times or more",
				corpus_dir, nv, o.min_count);
		goto done;
	}
	/* rows in ascending bucket order (the file's order) */
	word = cw_calloc(nv + 1, sizeof(*word));
	for (size_t i = 0; i < nv; i++)
		word[i] = rank[i].bucket;
	qsort(word, nv, sizeof(*word), cmp_u32);
	wid = cw_malloc(CLS_WORD_SPAN * sizeof(*wid));
	for (uint32_t b = 0; b < CLS_WORD_SPAN; b++)
		wid[b] = -1;
	for (size_t i = 0; i < nv; i++)
		wid[word[i]] = (int32_t)i;
	/* co-occurrences within `window` words in a paragraph, both ways */
	for (size_t i = 0; i < ts.n; i++) {
		int32_t a;

		if (ts.tok[i] == UINT32_MAX || (a = wid[ts.tok[i]]) < 0)
			continue;
		for (size_t d = 1; d <= (size_t)o.window && i + d < ts.n; d++) {
			int32_t b;

			if (ts.tok[i + d] == UINT32_MAX)
				break;
			if ((b = wid[ts.tok[i + d]]) < 0)
				continue;
			pmap_add(&pm,
				 (uint32_t)a * (uint32_t)nv + (uint32_t)b + 1,
				 1);
			pmap_add(&pm,
				 (uint32_t)b * (uint32_t)nv + (uint32_t)a + 1,
				 1);
		}
	}
	/* PPMI with context smoothing 0.75, as a CSR matrix */
	rowsum = cw_calloc(nv + 1, sizeof(*rowsum));
	colpow = cw_calloc(nv + 1, sizeof(*colpow));
	{
		double cpsum = 0;
		size_t nnz = 0;
		uint32_t *keys = cw_calloc(pm.n + 1, sizeof(*keys));
		float *vals = cw_calloc(pm.n + 1, sizeof(*vals));

		for (size_t k = 0; k < pm.cap; k++)
			if (pm.key[k]) {
				keys[nnz++] = pm.key[k] - 1;
			}
		qsort(keys, nnz, sizeof(*keys), cmp_u32);
		/* look the counts up in key order so sums are deterministic */
		for (size_t k = 0; k < nnz; k++) {
			size_t s = (size_t)(((keys[k] + 1) * 2654435761u) &
					    (pm.cap - 1));

			while (pm.key[s] != keys[k] + 1)
				s = (s + 1) & (pm.cap - 1);
			vals[k] = pm.val[s];
			rowsum[keys[k] / nv] += vals[k];
			colpow[keys[k] % nv] += vals[k];
		}
		for (size_t j = 0; j < nv; j++) {
			colpow[j] = pow(colpow[j], 0.75);
			cpsum += colpow[j];
		}
		m.n = nv;
		m.row = cw_calloc(nv + 1, sizeof(*m.row));
		m.col = cw_calloc(nnz + 1, sizeof(*m.col));
		m.val = cw_calloc(nnz + 1, sizeof(*m.val));
		for (size_t k = 0, w = 0; k < nnz; k++) {
			size_t i = keys[k] / nv, j = keys[k] % nv;
			double pmi = log((double)vals[k] * cpsum /
					 (rowsum[i] * colpow[j]));

			if (pmi > 0) {
				m.col[w] = (uint32_t)j;
				m.val[w] = (float)pmi;
				w++;
				m.row[i + 1] = w;
			}
		}
		for (size_t i = 1; i <= nv; i++)
			if (m.row[i] < m.row[i - 1])
				m.row[i] = m.row[i - 1];
		if (!o.quiet)
			fprintf(stderr,
				"embed: %zu words, %zu co-occurring pairs, %zu "
				"positive\n",
				nv, nnz, m.row[nv]);
		free(keys);
		free(vals);
	}
	/* randomised SVD */
	l = (size_t)o.dim + 16;
	om = cw_calloc(nv * l + 1, sizeof(*om));
	y = cw_calloc(nv * l + 1, sizeof(*y));
	rs = o.seed;
	for (size_t k = 0; k < nv * l; k++)
		om[k] = (double)(cw_splitmix64(&rs) >> 11) /
				9007199254740992.0 * 2 -
			1;
	spm_mul(y, &m, om, l, false);
	orth(y, nv, l);
	for (int it = 0; it < 3; it++) {
		spm_mul(om, &m, y, l, true);
		orth(om, nv, l);
		spm_mul(y, &m, om, l, false);
		orth(y, nv, l);
	}
	/* Q = y; Z = M^T Q; G = Z^T Z = Q^T M M^T Q; eig(G) = U_B, sigma^2 */
	spm_mul(om, &m, y, l, true);
	g = cw_calloc(l * l + 1, sizeof(*g));
	for (size_t a = 0; a < l; a++)
		for (size_t b = a; b < l; b++) {
			double d = 0;

			for (size_t i = 0; i < nv; i++)
				d += om[a * nv + i] * om[b * nv + i];
			g[a * l + b] = g[b * l + a] = d;
		}
	ev = cw_calloc(l + 1, sizeof(*ev));
	ub = cw_calloc(l * l + 1, sizeof(*ub));
	jacobi(g, ub, ev, l);
	{
		/* the dim largest eigenvalues, in descending order */
		size_t *ord = cw_calloc(l + 1, sizeof(*ord));

		for (size_t i = 0; i < l; i++)
			ord[i] = i;
		for (size_t i = 1; i < l; i++)
			for (size_t j = i; j > 0 && ev[ord[j]] > ev[ord[j - 1]];
			     j--) {
				size_t t = ord[j];

				ord[j] = ord[j - 1];
				ord[j - 1] = t;
			}
		vec = cw_calloc(nv * (size_t)o.dim + 1, sizeof(*vec));
		for (size_t c = 0; c < (size_t)o.dim; c++) {
			size_t e = ord[c];
			/* U column = Q u_e, scaled by sqrt(sigma) = lambda^(1/4) */
			double sc = pow(ev[e] > 0 ? ev[e] : 0, 0.25);
			double sum = 0;

			for (size_t i = 0; i < nv; i++) {
				double u = 0;

				for (size_t a = 0; a < l; a++)
					u += y[a * nv + i] * ub[a * l + e];
				vec[i * (size_t)o.dim + c] = u * sc;
				sum += u;
			}
			/* fix the sign of each column (eigenvectors have none) */
			if (sum < 0)
				for (size_t i = 0; i < nv; i++)
					vec[i * (size_t)o.dim + c] =
						-vec[i * (size_t)o.dim + c];
		}
		free(ord);
	}
	/* write */
	{
		size_t start = out->len;
		unsigned char sum[32];
		signed char *q = cw_calloc((size_t)o.dim + 1, 1);

		cw_buf_add(out, CLS_EMB_MAGIC, 8);
		put_u32(out, (uint32_t)o.dim);
		put_u32(out, (uint32_t)nv);
		for (size_t i = 0; i < nv; i++) {
			double *v = vec + i * (size_t)o.dim, nrm = 0, mx = 0;
			double p = (double)count[word[i]] / (double)total;

			for (size_t c = 0; c < (size_t)o.dim; c++)
				nrm += v[c] * v[c];
			nrm = nrm > 0 ? sqrt(nrm) : 1;
			for (size_t c = 0; c < (size_t)o.dim; c++) {
				v[c] /= nrm;
				if (fabs(v[c]) > mx)
					mx = fabs(v[c]);
			}
			if (mx <= 0)
				mx = 1;
			for (size_t c = 0; c < (size_t)o.dim; c++)
				q[c] = (signed char)lrint(v[c] / mx * 127);
			put_u32(out, word[i]);
			put_f32(out, (float)(SIF_A / (SIF_A + p)));
			put_f32(out, (float)mx);
			cw_buf_add(out, q, (size_t)o.dim);
		}
		free(q);
		cw_sha256(out->ptr + start, out->len - start, sum);
		cw_buf_add(out, sum, 32);
	}
done:
	free(ts.tok);
	free(rank);
	free(count);
	free(id);
	free(word);
	free(wid);
	free(pm.key);
	free(pm.val);
	free(m.row);
	free(m.col);
	free(m.val);
	free(rowsum);
	free(colpow);
	free(om);
	free(y);
	free(g);
	free(ev);
	free(ub);
	free(vec);
	return rc;
}
