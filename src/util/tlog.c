/*
 * RFC 6962 Merkle trees, their proofs, and the C2SP text formats of a
 * transparency log (tlog.h).
 *
 * Proof construction follows RFC 6962 2.1.1 (PATH) and 2.1.2 (PROOF,
 * SUBPROOF) literally, over complete-subtree hashes; verification follows
 * RFC 9162 2.1.3.2 and 2.1.4.2, in the bit-walking form that needs no
 * recursion (as transparency-dev/merkle's proof/verify.go states it).
 */
#include <string.h>

#include <nettle/sha2.h>

#include "tlog.h"

void cw_tlog_leaf_hash(const void *data, size_t len, cw_tlog_hash out)
{
	struct sha256_ctx c;
	unsigned char z = 0x00;

	sha256_init(&c);
	sha256_update(&c, 1, &z);
	sha256_update(&c, len, data);
	sha256_digest(&c, CW_TLOG_HASH, out);
}

void cw_tlog_node_hash(const cw_tlog_hash left, const cw_tlog_hash right,
		       cw_tlog_hash out)
{
	unsigned char in[1 + 2 * CW_TLOG_HASH];

	in[0] = 0x01;
	memcpy(in + 1, left, CW_TLOG_HASH);
	memcpy(in + 1 + CW_TLOG_HASH, right, CW_TLOG_HASH);
	cw_sha256(in, sizeof(in), out);
}

uint64_t cw_tlog_split(uint64_t n)
{
	uint64_t k = 1;

	CW_ASSERT(n >= 2);
	while (k < n - k) /* k < n/2, without overflow */
		k <<= 1;
	return k;
}

static bool pow2(uint64_t n)
{
	return n && !(n & (n - 1));
}

static unsigned log2_of(uint64_t n)
{
	unsigned l = 0;

	while ((UINT64_C(1) << l) < n)
		l++;
	return l;
}

int cw_tlog_subtree(const struct cw_tlog_source *src, uint64_t lo, uint64_t hi,
		    cw_tlog_hash out, struct cw_err *err)
{
	uint64_t n = hi - lo, k;
	cw_tlog_hash l, r;
	int rc;

	CW_ASSERT(lo < hi);
	if (pow2(n) && lo % n == 0) {
		unsigned lv = log2_of(n);
		return src->node(src->ctx, lv, lo >> lv, out, err);
	}
	k = cw_tlog_split(n);
	rc = cw_tlog_subtree(src, lo, lo + k, l, err);
	if (!rc)
		rc = cw_tlog_subtree(src, lo + k, hi, r, err);
	if (!rc)
		cw_tlog_node_hash(l, r, out);
	return rc;
}

int cw_tlog_root(const struct cw_tlog_source *src, uint64_t size,
		 cw_tlog_hash out, struct cw_err *err)
{
	if (size == 0) {
		cw_sha256("", 0, out);
		return CW_OK;
	}
	return cw_tlog_subtree(src, 0, size, out, err);
}

void cw_tlog_proof_release(struct cw_tlog_proof *p)
{
	free(p->h);
	p->h = NULL;
	p->n = 0;
}

static void proof_push(struct cw_tlog_proof *p, const cw_tlog_hash h)
{
	/* at most 64 hashes per path and 2 per level of a consistency proof */
	p->h = cw_reallocarray(p->h, p->n + 1, CW_TLOG_HASH);
	memcpy(p->h[p->n++], h, CW_TLOG_HASH);
}

/* RFC 6962 2.1.1: PATH(m, D[lo:hi]), appended leaf side first. */
static int path(const struct cw_tlog_source *src, uint64_t m, uint64_t lo,
		uint64_t hi, struct cw_tlog_proof *p, struct cw_err *err)
{
	uint64_t k;
	cw_tlog_hash h;
	int rc;

	if (hi - lo <= 1)
		return CW_OK;
	k = cw_tlog_split(hi - lo);
	if (m < lo + k) {
		rc = path(src, m, lo, lo + k, p, err);
		if (!rc)
			rc = cw_tlog_subtree(src, lo + k, hi, h, err);
	} else {
		rc = path(src, m, lo + k, hi, p, err);
		if (!rc)
			rc = cw_tlog_subtree(src, lo, lo + k, h, err);
	}
	if (!rc)
		proof_push(p, h);
	return rc;
}

int cw_tlog_inclusion(const struct cw_tlog_source *src, uint64_t index,
		      uint64_t size, struct cw_tlog_proof *out,
		      struct cw_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (index >= size)
		return cw_err_set(err, CW_EINVAL,
				  "leaf %llu is not in a tree of %llu",
				  (unsigned long long)index,
				  (unsigned long long)size);
	rc = path(src, index, 0, size, out, err);
	if (rc)
		cw_tlog_proof_release(out);
	return rc;
}

/* RFC 6962 2.1.2: SUBPROOF(m, D[lo:hi], b). */
static int subproof(const struct cw_tlog_source *src, uint64_t m, uint64_t lo,
		    uint64_t hi, bool whole, struct cw_tlog_proof *p,
		    struct cw_err *err)
{
	uint64_t n = hi - lo, k;
	cw_tlog_hash h;
	int rc;

	if (m == n) {
		if (whole)
			return CW_OK;
		rc = cw_tlog_subtree(src, lo, hi, h, err);
		if (!rc)
			proof_push(p, h);
		return rc;
	}
	k = cw_tlog_split(n);
	if (m <= k) {
		rc = subproof(src, m, lo, lo + k, whole, p, err);
		if (!rc)
			rc = cw_tlog_subtree(src, lo + k, hi, h, err);
	} else {
		rc = subproof(src, m - k, lo + k, hi, false, p, err);
		if (!rc)
			rc = cw_tlog_subtree(src, lo, lo + k, h, err);
	}
	if (!rc)
		proof_push(p, h);
	return rc;
}

int cw_tlog_consistency(const struct cw_tlog_source *src, uint64_t old,
			uint64_t size, struct cw_tlog_proof *out,
			struct cw_err *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (old == 0 || old > size)
		return cw_err_set(err, CW_EINVAL,
				  "no consistency proof from %llu to %llu "
				  "leaves (needs 0 < old <= new)",
				  (unsigned long long)old,
				  (unsigned long long)size);
	if (old == size)
		return CW_OK;
	rc = subproof(src, old, 0, size, true, out, err);
	if (rc)
		cw_tlog_proof_release(out);
	return rc;
}

/* The proof's hashes as one run of bytes (the array of arrays is one
 * object: its bytes may be walked through a byte pointer). */
static const unsigned char *proof_bytes(const struct cw_tlog_proof *p)
{
	return (const unsigned char *)p->h;
}

static unsigned bit_len(uint64_t x)
{
	unsigned n = 0;

	while (x) {
		n++;
		x >>= 1;
	}
	return n;
}

static unsigned ones(uint64_t x)
{
	unsigned n = 0;

	for (; x; x &= x - 1)
		n++;
	return n;
}

/* The inner part of a path: hash `seed` up through proof[0..inner). */
static void chain_inner(cw_tlog_hash seed, const unsigned char *proof,
			size_t inner, uint64_t index)
{
	for (size_t i = 0; i < inner; i++) {
		const unsigned char *h = proof + i * CW_TLOG_HASH;
		if ((index >> i) & 1)
			cw_tlog_node_hash(h, seed, seed);
		else
			cw_tlog_node_hash(seed, h, seed);
	}
}

/* The same for the right side of a consistency proof: only the hashes
 * where the path turns right count towards the old root. */
static void chain_inner_right(cw_tlog_hash seed, const unsigned char *proof,
			      size_t inner, uint64_t index)
{
	for (size_t i = 0; i < inner; i++)
		if ((index >> i) & 1)
			cw_tlog_node_hash(proof + i * CW_TLOG_HASH, seed, seed);
}

static void chain_border(cw_tlog_hash seed, const unsigned char *proof,
			 size_t n)
{
	for (size_t i = 0; i < n; i++)
		cw_tlog_node_hash(proof + i * CW_TLOG_HASH, seed, seed);
}

int cw_tlog_root_from_inclusion(uint64_t index, uint64_t size,
				const cw_tlog_hash leaf,
				const struct cw_tlog_proof *p, cw_tlog_hash out,
				struct cw_err *err)
{
	unsigned inner, border;

	if (index >= size)
		return cw_err_set(err, CW_EINVAL,
				  "index %llu is outside a tree of %llu",
				  (unsigned long long)index,
				  (unsigned long long)size);
	inner = bit_len(index ^ (size - 1));
	border = ones(index >> inner);
	if (p->n != (size_t)inner + border)
		return cw_err_set(err, CW_EINVAL,
				  "an inclusion proof of leaf %llu in %llu "
				  "has %u hashes, not %zu",
				  (unsigned long long)index,
				  (unsigned long long)size, inner + border,
				  p->n);
	memcpy(out, leaf, CW_TLOG_HASH);
	chain_inner(out, proof_bytes(p), inner, index);
	chain_border(out, proof_bytes(p) + inner * CW_TLOG_HASH, border);
	return CW_OK;
}

static unsigned trailing_zeros(uint64_t x)
{
	unsigned n = 0;

	while (!(x & 1)) {
		n++;
		x >>= 1;
	}
	return n;
}

int cw_tlog_verify_consistency(uint64_t old, uint64_t size,
			       const cw_tlog_hash root1,
			       const cw_tlog_hash root2,
			       const struct cw_tlog_proof *p,
			       struct cw_err *err)
{
	unsigned shift, inner, border;
	uint64_t index;
	const unsigned char *rest;
	size_t n_rest;
	cw_tlog_hash seed, h1, h2;

	if (old == 0 || old > size)
		return cw_err_set(err, CW_EINVAL,
				  "no consistency between %llu and %llu leaves",
				  (unsigned long long)old,
				  (unsigned long long)size);
	if (old == size) {
		if (p->n)
			return cw_err_set(err, CW_EINVAL,
					  "a proof between equal sizes must be "
					  "empty");
		if (memcmp(root1, root2, CW_TLOG_HASH))
			return cw_err_set(err, CW_EINVAL,
					  "two roots of %llu leaves differ",
					  (unsigned long long)old);
		return CW_OK;
	}
	if (p->n == 0)
		return cw_err_set(err, CW_EINVAL, "empty consistency proof");
	shift = trailing_zeros(old);
	index = (old - 1) >> shift;
	inner = bit_len(index ^ ((size - 1) >> shift));
	border = ones(index >> inner);
	/* the old root is the first hash of the path unless old is a
	 * power of two, where the proof leaves it out */
	if (pow2(old)) {
		memcpy(seed, root1, CW_TLOG_HASH);
		rest = proof_bytes(p);
		n_rest = p->n;
	} else {
		memcpy(seed, p->h[0], CW_TLOG_HASH);
		rest = proof_bytes(p) + CW_TLOG_HASH;
		n_rest = p->n - 1;
	}
	if (n_rest != (size_t)inner + border)
		return cw_err_set(err, CW_EINVAL,
				  "a consistency proof from %llu to %llu "
				  "has %u hashes after its seed, not %zu",
				  (unsigned long long)old,
				  (unsigned long long)size, inner + border,
				  n_rest);
	memcpy(h1, seed, CW_TLOG_HASH);
	chain_inner_right(h1, rest, inner, index);
	chain_border(h1, rest + inner * CW_TLOG_HASH, border);
	memcpy(h2, seed, CW_TLOG_HASH);
	chain_inner(h2, rest, inner, index);
	chain_border(h2, rest + inner * CW_TLOG_HASH, border);
	if (memcmp(h1, root1, CW_TLOG_HASH))
		return cw_err_set(err, CW_EINVAL,
				  "the proof does not lead to the old root "
				  "of %llu leaves",
				  (unsigned long long)old);
	if (memcmp(h2, root2, CW_TLOG_HASH))
		return cw_err_set(err, CW_EINVAL,
				  "the proof does not lead to the new root "
				  "of %llu leaves",
				  (unsigned long long)size);
	return CW_OK;
}

int cw_tlog_mem_node(void *ctx, unsigned level, uint64_t index,
		     cw_tlog_hash out, struct cw_err *err)
{
	const struct cw_tlog_mem *m = ctx;
	uint64_t lo = index << level, n = UINT64_C(1) << level;
	cw_tlog_hash l, r;

	if (lo + n > m->n || lo + n < lo)
		return cw_err_set(err, CW_EINVAL,
				  "no node %u/%llu in a tree of %llu", level,
				  (unsigned long long)index,
				  (unsigned long long)m->n);
	if (level == 0) {
		memcpy(out, m->leaves + index * CW_TLOG_HASH, CW_TLOG_HASH);
		return CW_OK;
	}
	cw_tlog_mem_node(ctx, level - 1, 2 * index, l, err);
	cw_tlog_mem_node(ctx, level - 1, 2 * index + 1, r, err);
	cw_tlog_node_hash(l, r, out);
	return CW_OK;
}

/* ---- checkpoints ---- */

void cw_tlog_checkpoint_body(struct cw_buf *out, const char *origin,
			     uint64_t size, const cw_tlog_hash root,
			     const char *const *ext, size_t n_ext)
{
	cw_buf_addf(out, "%s\n%llu\n", origin, (unsigned long long)size);
	cw_base64_encode(out, root, CW_TLOG_HASH);
	cw_buf_addc(out, '\n');
	for (size_t i = 0; i < n_ext; i++)
		cw_buf_addf(out, "%s\n", ext[i]);
}

void cw_tlog_checkpoint_release(struct cw_tlog_checkpoint *c)
{
	free(c->origin);
	c->origin = NULL;
}

/* The next line of text[*pos..len), without its newline; false at the end
 * or when the line has no newline. */
static bool next_line(const char *text, size_t len, size_t *pos,
		      const char **line, size_t *n)
{
	const char *nl;

	if (*pos >= len)
		return false;
	nl = memchr(text + *pos, '\n', len - *pos);
	if (!nl)
		return false;
	*line = text + *pos;
	*n = (size_t)(nl - *line);
	*pos = (size_t)(nl - text) + 1;
	return true;
}

/* A decimal without leading zeros (but "0"), fitting in 63 bits. */
static int parse_count(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
		return CW_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return CW_EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > INT64_MAX)
		return CW_EINVAL;
	*out = v;
	return CW_OK;
}

static int decode_hash(const char *s, size_t n, cw_tlog_hash out)
{
	struct cw_buf b = CW_BUF_INIT;
	int rc = cw_base64_decode(&b, s, n);

	if (!rc && b.len != CW_TLOG_HASH)
		rc = CW_EINVAL;
	if (!rc)
		memcpy(out, b.ptr, CW_TLOG_HASH);
	cw_buf_release(&b);
	return rc;
}

int cw_tlog_checkpoint_parse(const char *text, size_t len,
			     struct cw_tlog_checkpoint *out, struct cw_err *err)
{
	size_t pos = 0, n;
	const char *line;

	memset(out, 0, sizeof(*out));
	if (!next_line(text, len, &pos, &line, &n) || n == 0 ||
	    memchr(line, '\0', n))
		return cw_err_set(err, CW_EPARSE,
				  "checkpoint: line 1: no origin");
	out->origin = cw_strndup(line, n);
	if (!next_line(text, len, &pos, &line, &n) ||
	    parse_count(line, n, &out->size)) {
		cw_tlog_checkpoint_release(out);
		return cw_err_set(err, CW_EPARSE,
				  "checkpoint: line 2: not a tree size");
	}
	if (!next_line(text, len, &pos, &line, &n) ||
	    decode_hash(line, n, out->root)) {
		cw_tlog_checkpoint_release(out);
		return cw_err_set(err, CW_EPARSE,
				  "checkpoint: line 3: not a base64 SHA-256 "
				  "root hash");
	}
	return CW_OK;
}

/* ---- offline proofs ---- */

#define PROOF_HEADER "c2sp.org/tlog-proof@v1"

void cw_tlog_proof_text(struct cw_buf *out, const void *extra, size_t extra_len,
			uint64_t index, const struct cw_tlog_proof *p,
			const char *note)
{
	cw_buf_adds(out, PROOF_HEADER "\n");
	if (extra) {
		cw_buf_adds(out, "extra ");
		cw_base64_encode(out, extra, extra_len);
		cw_buf_addc(out, '\n');
	}
	cw_buf_addf(out, "index %llu\n", (unsigned long long)index);
	for (size_t i = 0; i < p->n; i++) {
		cw_base64_encode(out, p->h[i], CW_TLOG_HASH);
		cw_buf_addc(out, '\n');
	}
	cw_buf_addc(out, '\n');
	cw_buf_adds(out, note);
}

void cw_tlog_proof_file_release(struct cw_tlog_proof_file *f)
{
	cw_buf_release(&f->extra);
	cw_tlog_proof_release(&f->proof);
	free(f->note);
	f->note = NULL;
}

int cw_tlog_proof_parse(const char *text, size_t len,
			struct cw_tlog_proof_file *out, struct cw_err *err)
{
	size_t pos = 0, n, lineno = 1;
	const char *line;

	memset(out, 0, sizeof(*out));
	if (!next_line(text, len, &pos, &line, &n) ||
	    n != strlen(PROOF_HEADER) || memcmp(line, PROOF_HEADER, n))
		return cw_err_set(err, CW_EPARSE,
				  "line 1: not a " PROOF_HEADER " proof");
	if (!next_line(text, len, &pos, &line, &n))
		goto bad;
	lineno++;
	if (n > 6 && !memcmp(line, "extra ", 6)) {
		if (cw_base64_decode(&out->extra, line + 6, n - 6))
			goto bad;
		if (!next_line(text, len, &pos, &line, &n))
			goto bad;
		lineno++;
	}
	if (n < 7 || memcmp(line, "index ", 6) ||
	    parse_count(line + 6, n - 6, &out->index))
		goto bad;
	for (;;) {
		cw_tlog_hash h;

		if (!next_line(text, len, &pos, &line, &n))
			goto bad;
		lineno++;
		if (n == 0)
			break;
		if (out->proof.n >= 128 || decode_hash(line, n, h))
			goto bad;
		proof_push(&out->proof, h);
	}
	if (pos >= len) {
		lineno++;
		goto bad;
	}
	out->note = cw_strndup(text + pos, len - pos);
	return CW_OK;
bad:
	cw_tlog_proof_file_release(out);
	return cw_err_set(err, CW_EPARSE, "line %zu: not what a tlog proof has",
			  lineno);
}

/* ---- tile paths ---- */

void cw_tlog_tile_index(struct cw_buf *out, uint64_t index)
{
	char groups[8][4];
	int n = 0;

	do {
		snprintf(groups[n++], sizeof(groups[0]), "%03u",
			 (unsigned)(index % 1000));
		index /= 1000;
	} while (index);
	while (n-- > 1)
		cw_buf_addf(out, "x%s/", groups[n]);
	cw_buf_adds(out, groups[0]);
}

int cw_tlog_tile_index_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int groups = 0;

	for (;;) {
		bool last = *s != 'x';

		if (!last)
			s++;
		if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' &&
		      s[1] <= '9' && s[2] >= '0' && s[2] <= '9'))
			return CW_EINVAL;
		if (++groups > 6)
			return CW_EINVAL;
		v = v * 1000 + (uint64_t)((s[0] - '0') * 100 +
					  (s[1] - '0') * 10 + (s[2] - '0'));
		s += 3;
		if (last)
			break;
		if (v == 0) /* "x000/..." is not how any index is written */
			return CW_EINVAL;
		if (*s++ != '/')
			return CW_EINVAL;
	}
	if (*s)
		return CW_EINVAL;
	*out = v;
	return CW_OK;
}
