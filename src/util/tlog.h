#ifndef CW_UTIL_TLOG_H
#define CW_UTIL_TLOG_H
/*
 * util/tlog: the pieces of a transparency log that know no store.
 *
 * - RFC 6962 Merkle tree hashing: leaf = SHA-256(0x00 || data), node =
 *   SHA-256(0x01 || left || right), a tree of n > 1 leaves split at the
 *   largest power of two smaller than n, the empty tree SHA-256("").
 * - Proofs: inclusion and consistency proofs built from any source of
 *   complete-subtree hashes (the store keeps them; tests keep them in
 *   memory), and their verification (RFC 9162 2.1.3.2 and 2.1.4.2).
 * - Text formats of C2SP: the checkpoint body (tlog-checkpoint), the
 *   offline proof (tlog-proof) and tile paths (tlog-tiles).
 * - Signed notes (C2SP signed-note) with Ed25519 keys: key files, the
 *   verifier key, signing and verifying.
 *
 * Hashes are 32 bytes. Every function is reentrant.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define CW_TLOG_HASH 32
typedef unsigned char cw_tlog_hash[CW_TLOG_HASH];

void cw_tlog_leaf_hash(const void *data, size_t len, cw_tlog_hash out);
void cw_tlog_node_hash(const cw_tlog_hash left, const cw_tlog_hash right,
		       cw_tlog_hash out);
/* The largest power of two smaller than n (n >= 2). */
uint64_t cw_tlog_split(uint64_t n);

/*
 * A source of hashes: the hash of the complete subtree of 2^level leaves
 * that starts at leaf index << level. Returns CW_OK or an error in err.
 */
struct cw_tlog_source {
	int (*node)(void *ctx, unsigned level, uint64_t index, cw_tlog_hash out,
		    struct cw_err *err);
	void *ctx;
};

/* MTH(D[lo:hi]) for 0 <= lo < hi, lo a multiple of the split of the
 * range above it (as every range of the RFC's recursion is). */
int cw_tlog_subtree(const struct cw_tlog_source *src, uint64_t lo, uint64_t hi,
		    cw_tlog_hash out, struct cw_err *err);
/* The root of the first `size` leaves (size 0: SHA-256 of nothing). */
int cw_tlog_root(const struct cw_tlog_source *src, uint64_t size,
		 cw_tlog_hash out, struct cw_err *err);

/* A proof: hashes in order (RFC 6962: the leaf's sibling first). */
struct cw_tlog_proof {
	cw_tlog_hash *h;
	size_t n;
};
void cw_tlog_proof_release(struct cw_tlog_proof *p);

/* The inclusion proof of leaf `index` in the tree of `size` leaves. */
int cw_tlog_inclusion(const struct cw_tlog_source *src, uint64_t index,
		      uint64_t size, struct cw_tlog_proof *out,
		      struct cw_err *err);
/* The consistency proof from the tree of `old` leaves to that of `size`
 * (0 < old <= size; old == size gives an empty proof). */
int cw_tlog_consistency(const struct cw_tlog_source *src, uint64_t old,
			uint64_t size, struct cw_tlog_proof *out,
			struct cw_err *err);

/* The root an inclusion proof leads to; CW_EINVAL when the proof cannot
 * be one for (index, size) (wrong length, index out of range). */
int cw_tlog_root_from_inclusion(uint64_t index, uint64_t size,
				const cw_tlog_hash leaf,
				const struct cw_tlog_proof *p, cw_tlog_hash out,
				struct cw_err *err);
/* Does the proof show the tree of old leaves with root1 to be a prefix
 * of the tree of size leaves with root2? CW_OK, or CW_EINVAL saying why. */
int cw_tlog_verify_consistency(uint64_t old, uint64_t size,
			       const cw_tlog_hash root1,
			       const cw_tlog_hash root2,
			       const struct cw_tlog_proof *p,
			       struct cw_err *err);

/* A memory source over leaf hashes (tests, whole-tree checks): complete
 * subtrees are computed, so a level-L node costs 2^L hashes. */
struct cw_tlog_mem {
	const unsigned char *leaves; /* n hashes, one after the other */
	uint64_t n;
};
int cw_tlog_mem_node(void *ctx, unsigned level, uint64_t index,
		     cw_tlog_hash out, struct cw_err *err);

/* ---- C2SP text formats ---- */

/*
 * A checkpoint body: "<origin>\n<size>\n<base64 root>\n" and then each of
 * the optional extension lines with its newline.
 */
void cw_tlog_checkpoint_body(struct cw_buf *out, const char *origin,
			     uint64_t size, const cw_tlog_hash root,
			     const char *const *ext, size_t n_ext);
struct cw_tlog_checkpoint {
	char *origin;
	uint64_t size;
	cw_tlog_hash root;
};
void cw_tlog_checkpoint_release(struct cw_tlog_checkpoint *c);
/* Parse the text of a checkpoint note (signatures not checked here). */
int cw_tlog_checkpoint_parse(const char *text, size_t len,
			     struct cw_tlog_checkpoint *out,
			     struct cw_err *err);

/* An offline proof (c2sp.org/tlog-proof@v1): `extra` (may be NULL), the
 * leaf index, the inclusion proof, a blank line and the checkpoint note. */
void cw_tlog_proof_text(struct cw_buf *out, const void *extra, size_t extra_len,
			uint64_t index, const struct cw_tlog_proof *p,
			const char *note);
struct cw_tlog_proof_file {
	struct cw_buf extra; /* decoded; empty when absent */
	uint64_t index;
	struct cw_tlog_proof proof;
	char *note; /* the checkpoint note, verbatim */
};
void cw_tlog_proof_file_release(struct cw_tlog_proof_file *f);
int cw_tlog_proof_parse(const char *text, size_t len,
			struct cw_tlog_proof_file *out, struct cw_err *err);

/* The path of tile `index` below "tile/<level>/": "x001/x234/067". */
void cw_tlog_tile_index(struct cw_buf *out, uint64_t index);
/* Parse "x001/x234/067" (the whole of it); CW_EINVAL if not one. */
int cw_tlog_tile_index_parse(const char *s, uint64_t *out);

/* ---- signed notes (Ed25519) ---- */

struct cw_note_key {
	char name[256];
	unsigned char pub[32];
	unsigned char seed[32]; /* the private key; only when has_private */
	bool has_private;
	uint32_t id; /* SHA-256(name || 0x0A || 0x01 || pub)[:4] */
};

/* A valid key name: 1..255 bytes of printable ASCII but space and '+'. */
bool cw_note_name_ok(const char *name);
/* A new random key named `name`. */
int cw_note_key_new(const char *name, struct cw_note_key *out,
		    struct cw_err *err);
/* "<name>+<hex id>+<base64(0x01 || pub)>" */
void cw_note_vkey(const struct cw_note_key *k, struct cw_buf *out);
/* "PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>" */
void cw_note_skey(const struct cw_note_key *k, struct cw_buf *out);
/* Parse either form (a trailing newline is allowed). */
int cw_note_key_parse(const char *text, size_t len, struct cw_note_key *out,
		      struct cw_err *err);
/* Sign `text` (which must end in a newline): out gets the note, the text,
 * a blank line and "— <name> <base64(id || signature)>\n". */
int cw_note_sign(const struct cw_note_key *k, const char *text, size_t len,
		 struct cw_buf *out, struct cw_err *err);
/* Verify note[0..len) with key k: CW_OK when a signature by k verifies;
 * *text_len (optional) gets the length of the signed text. */
int cw_note_verify(const char *note, size_t len, const struct cw_note_key *k,
		   size_t *text_len, struct cw_err *err);

/* Standard base64 (RFC 4648 4), with padding. */
void cw_base64_encode(struct cw_buf *out, const void *data, size_t len);
/* Decode strictly (padding required, no other characters): CW_EINVAL. */
int cw_base64_decode(struct cw_buf *out, const char *s, size_t len);

#endif
