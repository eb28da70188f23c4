#ifndef CW_CLASSIFY_H
#define CW_CLASSIFY_H
/*
 * classify: which of the nine CLAUDETTE unfair-clause categories a sentence
 * or a provision belongs to, how confident we are, and how severe it is on
 * CLAUDETTE's scale (clearly fair, potentially unfair, clearly unfair).
 *
 * The model is learned by us (`clausewatch train`) from the CLAUDETTE
 * labels (../shared/labels/claudette): one-vs-rest linear SVMs (L2-loss,
 * dual coordinate descent, Hsieh et al., ICML 2008) over hashed TF-IDF
 * features (stemmed word unigrams and bigrams, character 3-5-grams inside
 * words, the words of the previous and next sentence as context) and
 * binary keyword-rule features whose patterns are data
 * (data/model/rules.json, copied into the model file at training time).
 * Margins are turned into probabilities with Platt scaling and each
 * category's decision threshold is chosen on out-of-fold scores of an inner
 * cross-validation by document, never on the data being evaluated.
 *
 * Heads per category c:
 *   unfair  level 2 or 3 of c vs everything else (the LexGLUE UNFAIR-ToS
 *           target: a sentence carries label c when it has tag c2 or c3);
 *   topic   any level of c (1, 2 or 3) vs the rest; only for categories
 *           whose training data has level-1 ("clearly fair") sentences;
 *   level3  among unfair sentences of c, level 3 vs level 2; only when both
 *           levels have enough examples, else the majority level is used.
 *
 * Boundaries: the classifier is a module of its own (src/classify/, this
 * header its only public one, classify_int.h private to its files, the way
 * git keeps xdiff behind xdiff.h). It uses util alone among our modules
 * (and PCRE2, libstemmer, utf8proc and jansson): a category is a CLAUDETTE
 * code or its enum value, never a taxonomy lookup. Which category of our
 * taxonomy a code stands for is analyze's knowledge
 * (cw_taxonomy_claudette_id()), and analyze calls the classifier.
 *
 * Thread safety: a loaded model is immutable; cw_classify_text() and
 * cw_classify_sentence() may be called from several threads at once.
 * Training and evaluation are single-threaded and deterministic: the same
 * labels, rules and options give the same model bytes.
 */
#include "../util/util.h"

/* The nine categories, in CLAUDETTE order, with CLAUDETTE's codes. */
enum cw_classify_cat {
	CW_CLASSIFY_A = 0, /* a    arbitration */
	CW_CLASSIFY_CH,	   /* ch   unilateral change */
	CW_CLASSIFY_CR,	   /* cr   content removal */
	CW_CLASSIFY_J,	   /* j    jurisdiction */
	CW_CLASSIFY_LAW,   /* law  choice of law */
	CW_CLASSIFY_LTD,   /* ltd  limitation of liability */
	CW_CLASSIFY_TER,   /* ter  unilateral termination */
	CW_CLASSIFY_USE,   /* use  contract by using */
	CW_CLASSIFY_PINC,  /* pinc privacy included by reference */
	CW_CLASSIFY_NCAT
};

/* Severity on CLAUDETTE's scale; NONE means "not of this category". */
enum cw_classify_severity {
	CW_CLASSIFY_SEV_NONE = 0,
	CW_CLASSIFY_SEV_CLEARLY_FAIR = 1,
	CW_CLASSIFY_SEV_POTENTIALLY_UNFAIR = 2,
	CW_CLASSIFY_SEV_CLEARLY_UNFAIR = 3,
};

/* The CLAUDETTE code ("a"); NULL when out of range. */
const char *cw_classify_cat_code(int cat);
/* Category of a CLAUDETTE code ("a"); -1 when unknown or NULL. */
int cw_classify_cat_from_code(const char *code);
/* "clearly_fair", "potentially_unfair", "clearly_unfair", or "none". */
const char *cw_classify_severity_name(int sev);

/* One category's verdict for a text. */
struct cw_classify_cat_result {
	/*
	 * Calibrated probability that the text is of this category at the
	 * reported severity: the unfair head's probability when unfair, the
	 * topic head's when clearly fair, else the larger of the two.
	 */
	double confidence;
	double p_unfair; /* probability of level 2 or 3 */
	double p_topic;	 /* probability of any level (= p_unfair when
				  the category has no topic head) */
	int severity;	 /* enum cw_classify_severity */
	bool unfair;	 /* severity >= POTENTIALLY_UNFAIR */
	long sentence;	 /* index of the sentence that decided it
				  (see cw_classify_result.nsentences), -1 if
				  none */
};

struct cw_classify_result {
	struct cw_classify_cat_result cat[CW_CLASSIFY_NCAT];
	size_t nsentences; /* sentences the text was split into */
};

/* Opaque loaded model. */
struct cw_classify_model;

/* Default file name of the model under the data directory. */
#define CW_CLASSIFY_MODEL_FILE "model/claudette.cwm"
/* Default rules file under the data directory. */
#define CW_CLASSIFY_RULES_FILE "model/rules.json"
/* Largest model file we load. */
#define CW_CLASSIFY_MODEL_MAX (64u << 20)
/* Longest text cw_classify_text() accepts (longer: CW_ETOOBIG). */
#define CW_CLASSIFY_TEXT_MAX (4u << 20)

/*
 * Load a model file (written by cw_classify_train()).
 *
 * out   [out] new model, free with cw_classify_model_free(); NULL on failure
 * path  the file; the error names it and the offset of a bad section
 * Returns CW_OK, CW_ENOTFOUND, CW_EIO, CW_ETOOBIG or CW_EPARSE.
 */
int cw_classify_model_load(struct cw_classify_model **out, const char *path,
			   struct cw_err *err);
/* Load `data_dir`/CW_CLASSIFY_MODEL_FILE (data_dir: $CW_DATA_DIR or the
 * CLI's data directory); same returns as cw_classify_model_load(). */
int cw_classify_model_load_dir(struct cw_classify_model **out,
			       const char *data_dir, struct cw_err *err);
/* The same from bytes in memory (copied); `name` is used in errors. */
int cw_classify_model_load_mem(struct cw_classify_model **out, const void *data,
			       size_t len, const char *name,
			       struct cw_err *err);
void cw_classify_model_free(struct cw_classify_model *m); /* NULL: no-op */

/*
 * Classify one sentence as is (no splitting, no context).
 *
 * out   [out] filled in full
 * Returns CW_OK, or CW_ETOOBIG past CW_CLASSIFY_TEXT_MAX.
 */
int cw_classify_sentence(struct cw_classify_result *out,
			 const struct cw_classify_model *m, const char *text,
			 size_t len, struct cw_err *err);

/*
 * Classify a sentence or a whole provision: the text is split into
 * sentences (full stops, semicolons, colons before a list, line breaks),
 * each is classified with its neighbours in the text as context, and per
 * category the sentence with the highest probability decides (max
 * aggregation).
 *
 * Returns CW_OK, or CW_ETOOBIG past CW_CLASSIFY_TEXT_MAX.
 */
int cw_classify_text(struct cw_classify_result *out,
		     const struct cw_classify_model *m, const char *text,
		     size_t len, struct cw_err *err);

/*
 * Split `text` into sentences: each [starts[i], ends[i]) byte range is
 * trimmed and non-empty. Exposed for tests and for callers that want the
 * per-sentence view. Appends to `out_ranges` as pairs (start, end).
 * Returns the number of sentences.
 */
size_t cw_classify_split(size_t **out_ranges, const char *text, size_t len);

/* ---- training and evaluation ---- */

/* The labelled sentences of CLAUDETTE's sentences_en.tsv. */
struct cw_classify_labels;

/*
 * Load `dir`/sentences_en.tsv (columns document, line, test_fold, tags,
 * unfair_tags, text). Errors name the file and line.
 * Returns CW_OK, CW_ENOTFOUND, CW_EIO, CW_ETOOBIG or CW_EPARSE.
 */
int cw_classify_labels_load(struct cw_classify_labels **out, const char *dir,
			    struct cw_err *err);
void cw_classify_labels_free(struct cw_classify_labels *l); /* NULL: no-op */
size_t cw_classify_labels_count(const struct cw_classify_labels *l);
size_t cw_classify_labels_documents(const struct cw_classify_labels *l);

struct cw_classify_train_opts {
	unsigned long seed; /* order of coordinate descent */
	int max_epochs;	    /* cap on dual coordinate descent passes */
	double c;	    /* SVM cost C */
	double pos_power;   /* positive class weight (neg/pos)^pos_power */
	int min_docs;	    /* keep a feature only if it occurs in at least
				  this many training documents */
	double char_weight; /* weight of the character n-gram block */
	double rule_weight; /* value of a rule feature that fires */
	bool nb;	    /* NB-SVM: features scaled by their log-count
				  ratio per head */
	bool tune_c;	    /* per head, choose C among c/3, c, 3c by the
				  inner cross-validation */
	double ctx_weight;  /* weight of the neighbouring sentences' block
				  (0: no context features) */
	size_t max_docs;    /* 0: all; else only the first N documents
				  (for quick tests) */
	/* word vectors (cw_classify_embed_build()), copied into the model;
	   NULL: no dense block */
	const void *vectors;
	size_t vectors_len;
	double dense_weight; /* weight of the dense (word vector) block */
	bool quiet;	     /* no progress on stderr */
};
/*
 * Defaults; how they were chosen is in train.c (by the 4-fold
 * cross-validation of `clausewatch eval`, a handful of settings tried).
 */
void cw_classify_train_opts_init(struct cw_classify_train_opts *opts);

/*
 * Train on every labelled sentence and write the serialised model to `out`
 * (appended; the caller initialises it). `rules_json` is the content of the
 * rules file (copied into the model), `rules_name` names it in errors.
 * Returns CW_OK, CW_EPARSE (bad rules) or CW_EINVAL.
 */
int cw_classify_train(struct cw_buf *out, const struct cw_classify_labels *l,
		      const char *rules_json, const char *rules_name,
		      const struct cw_classify_train_opts *opts,
		      struct cw_err *err);

/* ---- word vectors from unlabelled text ---- */

/* Default file of the word vectors under the data directory. */
#define CW_CLASSIFY_VECTORS_FILE "model/vectors.cwe"

struct cw_classify_embed_opts {
	int dim;	    /* vector size */
	int words;	    /* vocabulary: the most frequent stems */
	int min_count;	    /* a stem must occur this often */
	int window;	    /* co-occurrence window, words each side */
	unsigned long seed; /* random projection of the SVD */
	bool quiet;	    /* no progress on stderr */
};
void cw_classify_embed_opts_init(struct cw_classify_embed_opts *opts);

/*
 * Learn word vectors (PPMI + truncated SVD, see embed_train.c) from the
 * versions corpus at `corpus_dir` (its VERSIONS.tsv lists the files, paths
 * relative to it); services of the held-out evaluation documents are skipped.
 * Appends the serialised vectors to `out`. Deterministic.
 * Returns CW_OK, CW_ENOTFOUND, CW_EIO, CW_ETOOBIG, CW_EPARSE or CW_EINVAL.
 */
int cw_classify_embed_build(struct cw_buf *out, const char *corpus_dir,
			    const struct cw_classify_embed_opts *opts,
			    struct cw_err *err);

/* Counts and scores of one category in a cross-validation. */
struct cw_classify_eval_cat {
	size_t tp, fp, fn, support;
	double precision, recall, f1;
	double threshold_mean; /* mean probability threshold over folds */
};

struct cw_classify_eval_report {
	struct cw_classify_eval_cat cat[CW_CLASSIFY_NCAT];
	double macro_f1;   /* mean F1 of the nine categories */
	double micro_f1;   /* pooled over the nine categories */
	double macro_f1_8; /* the eight LexGLUE categories (no pinc) */
	/* LexGLUE UNFAIR-ToS scoring: eight labels plus a ninth column set
	   when a sentence has no label (gold or predicted) */
	double lexglue_macro_f1;
	double lexglue_micro_f1;
	/* severity: among sentences gold-unfair and predicted unfair in a
	   category, how often the predicted level (2/3) equals the gold one */
	size_t severity_total, severity_correct;
	size_t nsentences, ndocuments, nfolds;
	double seconds; /* wall time (informational only) */
};

/*
 * Cross-validate by document on the `test_fold` column: for each fold,
 * train on the other folds (thresholds from an inner CV on those folds
 * only) and predict the held-out fold. Counts are pooled over folds.
 * Returns CW_OK, CW_EPARSE or CW_EINVAL (fewer than two folds).
 */
int cw_classify_eval(struct cw_classify_eval_report *out,
		     const struct cw_classify_labels *l, const char *rules_json,
		     const char *rules_name,
		     const struct cw_classify_train_opts *opts,
		     struct cw_err *err);

#endif
