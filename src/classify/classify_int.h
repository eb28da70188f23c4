#ifndef CW_CLASSIFY_INT_H
#define CW_CLASSIFY_INT_H
/*
 * classify_int: private to the classifier's files. Not part of the
 * contract: nothing outside src/classify/ includes it.
 *
 * The files, each using only those above it (no file calls back into one
 * that uses it):
 *
 *   category.c     category codes and severity names
 *   embed.c        word vectors as scoring reads them
 *   features.c     tokens, hashed features, keyword rules, vectorising
 *   model.c        the model file, scoring one sentence
 *   classify.c     sentence splitting, classifying a sentence or a text
 *   embed_train.c  learning word vectors from a corpus
 *   train.c        labels, the SVMs, calibration, a whole model
 *   eval.c         cross-validation
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "classify.h"

/*
 * Feature hashing (Weinberger et al., ICML 2009): every feature lands in a
 * bucket of a fixed space split by kind, so the kind of a bucket is known
 * from its number and kinds never collide with each other.
 *   words  (stemmed unigrams and bigrams)   [0, 2^19)
 *   chars  (3-5-grams inside words)         [2^19, 2^20 - 1024)
 *   rules  (one bucket per rule)            [2^20 - 1024, 2^20)
 *   ctx    (neighbouring sentences' words
 *           and rules, per side)            [2^20, 2^20 + 2^18)
 *   dense  (real-valued features)           [2^20 + 2^18, + 1024)
 */
#define CLS_WORD_BASE 0u
#define CLS_WORD_SPAN (1u << 19)
#define CLS_CHAR_BASE (1u << 19)
#define CLS_MAX_RULES 1024u
#define CLS_RULE_BASE ((1u << 20) - CLS_MAX_RULES)
#define CLS_CHAR_SPAN (CLS_RULE_BASE - CLS_CHAR_BASE)
#define CLS_CTX_BASE (1u << 20)
#define CLS_CTX_SPAN (1u << 18)
#define CLS_DENSE_BASE (CLS_CTX_BASE + CLS_CTX_SPAN)
#define CLS_MAX_DENSE 1024u
#define CLS_NBUCKETS (CLS_DENSE_BASE + CLS_MAX_DENSE)

enum cls_kind {
	CLS_KIND_WORD = 0,
	CLS_KIND_CHAR,
	CLS_KIND_RULE,
	CLS_KIND_CTX,
	CLS_KIND_DENSE,
	CLS_NKINDS
};

static inline enum cls_kind cls_bucket_kind(uint32_t b)
{
	if (b >= CLS_DENSE_BASE)
		return CLS_KIND_DENSE;
	if (b >= CLS_CTX_BASE)
		return CLS_KIND_CTX;
	if (b >= CLS_RULE_BASE)
		return CLS_KIND_RULE;
	return b >= CLS_CHAR_BASE ? CLS_KIND_CHAR : CLS_KIND_WORD;
}

/* A raw hashed feature of one sentence: its bucket and count. */
struct cls_feat {
	uint32_t bucket;
	float count;
};

/* Raw features of one sentence, buckets unique, in order of first
 * occurrence. */
struct cls_fvec {
	struct cls_feat *v;
	size_t n, cap;
};
void cls_fvec_release(struct cls_fvec *f);

/* Compiled keyword rules (data/model/rules.json). Immutable once built. */
struct cls_rules {
	size_t n;	    /* rules */
	char **id;	    /* rule ids */
	int *cat;	    /* category, -1 for "any" */
	size_t npat;	    /* patterns over all rules */
	pcre2_code **code;  /* compiled (and JIT-compiled if possible) */
	uint32_t *pat_rule; /* rule index of each pattern */
};
/* Parse and compile; errors name `name` and the rule. */
int cls_rules_compile(struct cls_rules *out, const char *json, const char *name,
		      struct cw_err *err);
void cls_rules_release(struct cls_rules *r);

/* The hash of feature names (FNV-1a then the splitmix64 finaliser). */
uint64_t cls_hash(uint64_t seed, const void *data, size_t len);

/* The word vector file (written by embed_train.c, read by embed.c). */
#define CLS_EMB_MAGIC "CWEMBED1"
#define CLS_EMB_DIM_MAX 512u	  /* largest vector size */
#define CLS_EMB_WORDS_MAX 200000u /* most words */

/* Word vectors (embed.c), immutable once parsed. */
struct cls_embed {
	uint32_t dim, n;
	uint32_t *bucket; /* unigram word bucket of each word, ascending */
	float *weight;	  /* smooth inverse frequency weight */
	float *vec;	  /* n * dim, unit rows */
	uint32_t *slot;	  /* open addressing: row + 1, 0 empty */
	size_t nslot;
};
/* Parse the bytes written by cw_classify_embed_build(). */
int cls_embed_parse(struct cls_embed *out, const void *data, size_t len,
		    const char *name, struct cw_err *err);
void cls_embed_release(struct cls_embed *e);
/* Row of a unigram bucket, -1 when the word has no vector. */
int32_t cls_embed_find(const struct cls_embed *e, uint32_t bucket);

/*
 * Per-thread scratch for feature extraction: a Snowball stemmer (not
 * thread-safe, so each extractor owns one), match data, buffers. With
 * word vectors (`emb` not NULL), a sentence also gets the dense block.
 */
struct cls_extractor;
struct cls_extractor *cls_extractor_new(const struct cls_rules *rules,
					const struct cls_embed *emb);
/* Append the unigram bucket of each token of text to (*tok)[*n...]. */
void cls_tokens(struct cls_extractor *x, const char *text, size_t len,
		uint32_t **tok, size_t *n, size_t *cap);
void cls_extractor_free(struct cls_extractor *x);
/* Raw features of text[0..len) into `out` (cleared first). */
void cls_extract(struct cls_fvec *out, struct cls_extractor *x,
		 const char *text, size_t len);

/* A sentence as sparse weighted features over compact indices. */
struct cls_svec {
	uint32_t *idx;
	float *val;
	size_t n, cap;
};
void cls_svec_release(struct cls_svec *s);

/*
 * Turn raw features into the model's input: sublinear TF ((1 + ln tf) * idf)
 * for words, chars and context, each of these blocks L2-normalised then
 * scaled by its weight wt[kind]; each fired rule set to wt[CLS_KIND_RULE];
 * a dense feature is its raw value times wt[CLS_KIND_DENSE]. `map` sends a
 * bucket to its compact index (-1: feature not kept).
 */
void cls_vectorize(struct cls_svec *out, const struct cls_fvec *raw,
		   const int32_t *map, const float *idf,
		   const double wt[CLS_NKINDS]);

/*
 * out = self plus the context features of its neighbours (either may be
 * NULL: first or last sentence, or a sentence classified alone): each word
 * and rule feature of `prev` and of `next` hashed, with its side, into the
 * context block.
 */
void cls_add_context(struct cls_fvec *out, const struct cls_fvec *self,
		     const struct cls_fvec *prev, const struct cls_fvec *next);

enum cls_head_kind {
	CLS_HEAD_UNFAIR = 0,
	CLS_HEAD_TOPIC = 1,
	CLS_HEAD_LEVEL3 = 2,
	CLS_HEAD_NKIND
};

struct cls_head {
	int cat;
	int kind;	/* enum cls_head_kind */
	double platt_a; /* p = 1 / (1 + exp(a * margin + b)) */
	double platt_b;
	double threshold; /* on p */
	float bias;
	float *w; /* nfeat weights */
};

struct cw_classify_model {
	double kw[CLS_NKINDS]; /* block weights (cls_vectorize) */
	char *rules_json;
	struct cls_rules rules;
	unsigned char *vectors; /* word vector file bytes, NULL: none */
	size_t vectors_len;
	struct cls_embed emb;
	uint32_t nfeat;
	uint32_t *bucket; /* kept buckets, ascending */
	float *idf;
	int32_t *map; /* CLS_NBUCKETS entries */
	size_t nheads;
	struct cls_head *heads;
	/* the heads' weights interleaved, wt[k * nheads + h]: scoring reads
	   one cache line per feature instead of one per feature and head */
	float *wt;
	int head_of[CW_CLASSIFY_NCAT][CLS_HEAD_NKIND]; /* -1: none */
	uint8_t level_default[CW_CLASSIFY_NCAT];       /* 2 or 3 */
};

/* Serialise (appends to out). */
void cls_model_write(struct cw_buf *out, const struct cw_classify_model *m);
/* Fill head_of[][], map and wt from heads and bucket. */
void cls_model_index(struct cw_classify_model *m);
/* Release what the model owns (not the struct). */
void cls_model_release(struct cw_classify_model *m);
double cls_platt(double a, double b, double margin);

/* Score one raw sentence into a result (its `sentence` fields set to si). */
void cls_model_score(struct cw_classify_result *out,
		     const struct cw_classify_model *m,
		     const struct cls_fvec *raw, struct cls_svec *scratch,
		     long si);

/* ---- labels (train.c) ---- */

struct cls_sentence {
	uint32_t doc;
	int fold;
	uint8_t level[CW_CLASSIFY_NCAT]; /* highest level tagged, 0 none */
	char *text;
};

struct cw_classify_labels {
	size_t n, cap;
	struct cls_sentence *s;
	struct cw_strv docs;
};

/* The word vectors (o->vectors, optional) and the compiled rules that a
 * training and an evaluation read; nothing to release on failure. */
int cls_train_inputs(const struct cw_classify_train_opts *o,
		     const char *rules_json, const char *rules_name,
		     struct cls_embed *emb, struct cls_rules *rules,
		     struct cw_err *err);

/* Train a model on the sentences where mask[i] (in memory). */
int cls_train_model(struct cw_classify_model *out,
		    const struct cw_classify_labels *l,
		    const struct cls_fvec *raw, const bool *mask,
		    const struct cw_classify_train_opts *opts,
		    struct cw_err *err);

/* Raw features of every labelled sentence; free each with
 * cls_fvec_release() and the array with free(). */
struct cls_fvec *cls_extract_all(const struct cw_classify_labels *l,
				 const struct cls_rules *rules,
				 const struct cls_embed *emb, bool context);
/* Block weights of a model trained with `o`. */
void cls_kind_weights(double kw[CLS_NKINDS],
		      const struct cw_classify_train_opts *o);

#endif
