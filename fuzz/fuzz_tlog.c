/*
 * Fuzz the log's text parsers (util/tlog.h): the first byte picks one of
 * a tlog-proof file, a checkpoint, a signed note (checked with a fixed
 * key), a key, a tile index or base64; the rest is the input. Checks what
 * callers rely on: what parses prints back to the same meaning (a proof
 * file and a checkpoint survive a round trip), a verified note's text is
 * a prefix ending in a newline, and a parsed key's ID is its own.
 */
#include <string.h>

#include "../src/util/tlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A verifier key of our own making, fixed so runs repeat. */
static const char vkey[] = "fuzz.example/"
			   "log+9e5634e5+AcXPa1oDL5L3AzfAhaLy1RbDV3/"
			   "eUoVtvj0d90UP9Yvr";

static void proof_case(const char *s, size_t n)
{
	struct cw_tlog_proof_file f, g;
	struct cw_buf b = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;

	if (cw_tlog_proof_parse(s, n, &f, &err))
		return;
	cw_tlog_proof_text(&b, f.extra.len ? f.extra.ptr : NULL, f.extra.len,
			   f.index, &f.proof, f.note);
	if (cw_tlog_proof_parse(b.ptr, b.len, &g, &err))
		abort();
	if (g.index != f.index || g.proof.n != f.proof.n ||
	    strcmp(g.note, f.note) ||
	    (f.proof.n &&
	     memcmp(g.proof.h, f.proof.h, f.proof.n * CW_TLOG_HASH)))
		abort();
	cw_tlog_proof_file_release(&g);
	cw_tlog_proof_file_release(&f);
	cw_buf_release(&b);
}

static void checkpoint_case(const char *s, size_t n)
{
	struct cw_tlog_checkpoint c, d;
	struct cw_buf b = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;

	if (cw_tlog_checkpoint_parse(s, n, &c, &err))
		return;
	if (!memchr(c.origin, '\n', strlen(c.origin))) {
		cw_tlog_checkpoint_body(&b, c.origin, c.size, c.root, NULL, 0);
		if (cw_tlog_checkpoint_parse(b.ptr, b.len, &d, &err) ||
		    d.size != c.size || memcmp(d.root, c.root, CW_TLOG_HASH) ||
		    strcmp(d.origin, c.origin))
			abort();
		cw_tlog_checkpoint_release(&d);
	}
	cw_tlog_checkpoint_release(&c);
	cw_buf_release(&b);
}

static void note_case(const char *s, size_t n)
{
	struct cw_note_key k;
	struct cw_err err = CW_ERR_INIT;
	size_t text = 0;

	if (cw_note_key_parse(vkey, strlen(vkey), &k, &err))
		abort();
	if (cw_note_verify(s, n, &k, &text, &err) == CW_OK &&
	    (text == 0 || text > n || s[text - 1] != '\n'))
		abort();
}

static void key_case(const char *s, size_t n)
{
	struct cw_note_key k, back;
	struct cw_buf b = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;

	if (cw_note_key_parse(s, n, &k, &err))
		return;
	if (!cw_note_name_ok(k.name))
		abort();
	cw_note_vkey(&k, &b);
	if (cw_note_key_parse(b.ptr, b.len, &back, &err) || back.id != k.id ||
	    memcmp(back.pub, k.pub, 32))
		abort();
	cw_buf_release(&b);
}

static void tile_case(const char *s)
{
	struct cw_buf b = CW_BUF_INIT;
	uint64_t v;

	if (cw_tlog_tile_index_parse(s, &v))
		return;
	/* one way to write each index: it prints back as it was */
	cw_tlog_tile_index(&b, v);
	if (strcmp(cw_buf_str(&b), s))
		abort();
	cw_buf_release(&b);
}

static void base64_case(const char *s, size_t n)
{
	struct cw_buf b = CW_BUF_INIT, e = CW_BUF_INIT;

	if (cw_base64_decode(&b, s, n) == CW_OK) {
		cw_base64_encode(&e, b.ptr, b.len);
		/* the decoder is strict: only canonical text decodes */
		if (e.len != n || memcmp(e.ptr ? e.ptr : "", s, n))
			abort();
	}
	cw_buf_release(&b);
	cw_buf_release(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	size_t n;

	if (size < 1 || size > 1u << 16)
		return 0;
	n = size - 1;
	s = cw_strndup((const char *)data + 1, n);
	n = strlen(s); /* the formats are text: NUL ends them */
	switch (data[0] % 6) {
	case 0:
		proof_case(s, n);
		break;
	case 1:
		checkpoint_case(s, n);
		break;
	case 2:
		note_case(s, n);
		break;
	case 3:
		key_case(s, n);
		break;
	case 4:
		tile_case(s);
		break;
	default:
		base64_case(s, n);
	}
	free(s);
	return 0;
}
