#ifndef CW_NOTES_H
#define CW_NOTES_H
/*
 * notes: interpretive notes on a provision.
 *
 * Three kinds:
 * - vague: an undefined standard or a discretion ("sole discretion",
 *   "appropriate", "at any time", "promptly", "material") from the lexicon
 *   of data/taxonomy/lexicon.json, with our note on why it matters. Before
 *   a note is final the whole document is searched for what would resolve
 *   it: a definition ('"Material" means ...', '"Material": ...'), or for
 *   time terms a stated period near the term ("promptly, and within 5
 *   days"; "30 days' notice"). When found, the note says where (the
 *   provision key when a segmentation is given, and the byte offset) and
 *   is marked resolved; callers decide whether to show resolved notes.
 *   Following the "false vagueness" finding that a third of vague
 *   sentences are clarified elsewhere (Mathematics 11(10):2334, 2023).
 * - truncated: the provision seems to stop mid-sentence, so the text we
 *   hold may be incomplete (an evidence gap, not a reading of the terms).
 * - untracked: the provision relies on another document ("our Acceptable
 *   Use Policy") of a type that is not in the caller's list of tracked
 *   document types.
 *
 * Term matching is on whole words, ASCII case-insensitive, longest term
 * first, and a shorter term inside a longer match is not reported again
 * ("sole discretion" hides "discretion"). Pure and thread-safe.
 */
#include "../segment/segment.h"
#include "../util/util.h"

struct cw_taxonomy;
struct cw_tax_vague;

enum cw_note_kind {
	CW_NOTE_VAGUE = 0,
	CW_NOTE_TRUNCATED = 1,
	CW_NOTE_UNTRACKED = 2,
};
/* "vague", "truncated", "untracked". */
const char *cw_note_kind_name(int kind);

struct cw_note {
	int kind;			 /* enum cw_note_kind */
	const struct cw_tax_vague *term; /* the lexicon entry (vague), else
					    NULL; borrowed from the taxonomy */
	const char *text;  /* our note (borrowed from the taxonomy) */
	char *doc_type;	   /* untracked: the document type referenced */
	size_t start, end; /* span in the document */
	bool resolved;	   /* defined or bounded elsewhere */
	char *where;	   /* resolved: "defined in 'key' at offset N"
				   or "bounded here: '30 days'"; else NULL */
	size_t where_at;   /* resolved: offset of the resolving text */
};

struct cw_notes {
	struct cw_note *items;
	size_t n, cap;
};
#define CW_NOTES_INIT      \
	{                  \
		NULL, 0, 0 \
	}
void cw_notes_release(struct cw_notes *notes);

/* Longest document scanned (longer: CW_ETOOBIG). */
#define CW_NOTES_DOC_MAX (8u << 20)
/* Most notes per provision (the rest are dropped: a wall of notes helps no
   one; 64 is more than any provision of the corpus produced). */
#define CW_NOTES_MAX 64

/*
 * Notes on the provision doc[pstart, pend) of the document doc[0, doclen).
 *
 * out      initialised by the caller; notes appended in text order
 * seg      the document's segmentation, to name the provision that
 *          resolves a term; NULL gives offsets only
 * tracked  the document types we track for this service ("Privacy
 *          Policy", ...); NULL/0 means none is tracked
 * Returns CW_OK, CW_EINVAL (range outside the document) or CW_ETOOBIG.
 */
int cw_notes_find(struct cw_notes *out, const struct cw_taxonomy *tax,
		  const char *doc, size_t doclen, size_t pstart, size_t pend,
		  const struct cw_segmentation *seg, const char *const *tracked,
		  size_t ntracked, struct cw_err *err);

/*
 * The same for many provisions of one document: a cw_notes_doc remembers,
 * per lexicon term, where the document defines or bounds it, so the whole
 * document is searched once per term rather than once per provision
 * (on the corpus this halved the time notes take). The document text,
 * taxonomy and segmentation are borrowed and must outlive it. Not
 * thread-safe: one cw_notes_doc per thread.
 *
 * cw_notes_doc_new: out [out]; Returns CW_OK, CW_EINVAL or CW_ETOOBIG.
 * cw_notes_find_in: as cw_notes_find for doc[pstart, pend).
 */
struct cw_notes_doc;
int cw_notes_doc_new(struct cw_notes_doc **out, const struct cw_taxonomy *tax,
		     const char *doc, size_t len,
		     const struct cw_segmentation *seg, struct cw_err *err);
void cw_notes_doc_free(struct cw_notes_doc *d); /* NULL is a no-op */
int cw_notes_find_in(struct cw_notes *out, struct cw_notes_doc *d,
		     size_t pstart, size_t pend, const char *const *tracked,
		     size_t ntracked, struct cw_err *err);

#endif
