/*
 * util/tlog: RFC 6962 hashing and proofs against the reference vectors of
 * the Certificate Transparency test suite, every proof of every small
 * tree against its own verifier, C2SP signed notes against the spec's
 * example, and the text formats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "util/tlog.h"

/* The reference leaves of RFC 6962's test suites (as hex). */
static const char *const ref_leaves[] = {
	"",
	"00",
	"10",
	"2021",
	"3031",
	"40414243",
	"5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};
/* MTH of the first n of them, n = 0..8. */
static const char *const ref_roots[] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void unhex(const char *hex, unsigned char *out, size_t *n)
{
	size_t len = strlen(hex);

	for (size_t i = 0; i < len / 2; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
	*n = len / 2;
}

static void hex_of(const unsigned char *h, char out[65])
{
	cw_hex_encode(out, h, 32);
}

/* The leaf hashes of the reference leaves, one after the other. */
static void ref_tree(unsigned char hashes[8 * 32])
{
	for (size_t i = 0; i < 8; i++) {
		unsigned char d[32];
		size_t n;
		unhex(ref_leaves[i], d, &n);
		cw_tlog_leaf_hash(d, n, hashes + 32 * i);
	}
}

static void assert_proof(const struct cw_tlog_proof *p, const char *const *want,
			 size_t n)
{
	assert_int_equal(p->n, n);
	for (size_t i = 0; i < n; i++) {
		char hex[65];
		hex_of(p->h[i], hex);
		assert_string_equal(hex, want[i]);
	}
}

static void test_tlog__rfc6962_roots(void **state)
{
	unsigned char hashes[8 * 32];
	struct cw_tlog_mem mem = { hashes, 0 };
	struct cw_tlog_source src = { cw_tlog_mem_node, &mem };
	struct cw_err err = CW_ERR_INIT;
	(void)state;

	ref_tree(hashes);
	for (uint64_t n = 0; n <= 8; n++) {
		cw_tlog_hash root;
		char hex[65];
		mem.n = n;
		assert_int_equal(cw_tlog_root(&src, n, root, &err), CW_OK);
		hex_of(root, hex);
		assert_string_equal(hex, ref_roots[n]);
	}
	/* the split is RFC 6962's (largest power of two below n) */
	assert_int_equal(cw_tlog_split(2), 1);
	assert_int_equal(cw_tlog_split(3), 2);
	assert_int_equal(cw_tlog_split(4), 2);
	assert_int_equal(cw_tlog_split(5), 4);
	assert_int_equal(cw_tlog_split(9), 8);
	assert_int_equal(cw_tlog_split(1000), 512);
}

static void test_tlog__rfc6962_proofs(void **state)
{
	unsigned char hashes[8 * 32];
	struct cw_tlog_mem mem = { hashes, 8 };
	struct cw_tlog_source src = { cw_tlog_mem_node, &mem };
	struct cw_err err = CW_ERR_INIT;
	struct cw_tlog_proof p;
	static const char *const incl0[] = {
		"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cf"
		"c7",
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de303"
		"1e",
		"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6"
		"e4",
	};
	static const char *const incl5[] = {
		"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e"
		"6b",
		"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0a"
		"e0",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614"
		"b7",
	};
	static const char *const cons2_8[] = {
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de303"
		"1e",
		"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6"
		"e4",
	};
	static const char *const cons6_8[] = {
		"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef"
		"6a",
		"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0a"
		"e0",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614"
		"b7",
	};
	static const char *const cons2_5[] = {
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de303"
		"1e",
		"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e"
		"6b",
	};
	(void)state;

	ref_tree(hashes);
	assert_int_equal(cw_tlog_inclusion(&src, 0, 8, &p, &err), CW_OK);
	assert_proof(&p, incl0, 3);
	cw_tlog_proof_release(&p);
	assert_int_equal(cw_tlog_inclusion(&src, 5, 8, &p, &err), CW_OK);
	assert_proof(&p, incl5, 3);
	cw_tlog_proof_release(&p);
	assert_int_equal(cw_tlog_consistency(&src, 2, 8, &p, &err), CW_OK);
	assert_proof(&p, cons2_8, 2);
	cw_tlog_proof_release(&p);
	assert_int_equal(cw_tlog_consistency(&src, 6, 8, &p, &err), CW_OK);
	assert_proof(&p, cons6_8, 3);
	cw_tlog_proof_release(&p);
	assert_int_equal(cw_tlog_consistency(&src, 2, 5, &p, &err), CW_OK);
	assert_proof(&p, cons2_5, 2);
	cw_tlog_proof_release(&p);
	/* out of range */
	assert_int_equal(cw_tlog_inclusion(&src, 8, 8, &p, &err), CW_EINVAL);
	assert_int_equal(cw_tlog_consistency(&src, 0, 8, &p, &err), CW_EINVAL);
}

/* Every inclusion and consistency proof of every tree of 1..40 leaves
 * verifies, and a proof with one flipped bit, or for the wrong index or
 * size, does not. */
static void test_tlog__every_proof_verifies(void **state)
{
	enum { N = 40 };
	unsigned char hashes[N * 32], roots[N + 1][32];
	struct cw_tlog_mem mem = { hashes, N };
	struct cw_tlog_source src = { cw_tlog_mem_node, &mem };
	struct cw_err err = CW_ERR_INIT;
	(void)state;

	for (unsigned i = 0; i < N; i++) {
		unsigned char d[2] = { (unsigned char)i,
				       (unsigned char)(i * 7) };
		cw_tlog_leaf_hash(d, 2, hashes + 32 * i);
	}
	for (uint64_t n = 0; n <= N; n++)
		assert_int_equal(cw_tlog_root(&src, n, roots[n], &err), CW_OK);
	for (uint64_t n = 1; n <= N; n++) {
		for (uint64_t i = 0; i < n; i++) {
			struct cw_tlog_proof p;
			cw_tlog_hash got;

			assert_int_equal(
				cw_tlog_inclusion(&src, i, n, &p, &err), CW_OK);
			assert_int_equal(cw_tlog_root_from_inclusion(
						 i, n, hashes + 32 * i, &p, got,
						 &err),
					 CW_OK);
			assert_memory_equal(got, roots[n], 32);
			if (i + 1 < n &&
			    !cw_tlog_root_from_inclusion(
				    i + 1, n, hashes + 32 * i, &p, got, &err))
				assert_memory_not_equal(got, roots[n], 32);
			if (p.n) {
				p.h[p.n - 1][7] ^= 0x10;
				assert_int_equal(cw_tlog_root_from_inclusion(
							 i, n, hashes + 32 * i,
							 &p, got, &err),
						 CW_OK);
				assert_memory_not_equal(got, roots[n], 32);
			}
			cw_tlog_proof_release(&p);
		}
		for (uint64_t m = 1; m <= n; m++) {
			struct cw_tlog_proof p;

			assert_int_equal(cw_tlog_consistency(&src, m, n, &p,
							     &err),
					 CW_OK);
			assert_int_equal(
				cw_tlog_verify_consistency(m, n, roots[m],
							   roots[n], &p, &err),
				CW_OK);
			if (m < n) {
				/* another old root: refused */
				assert_int_equal(cw_tlog_verify_consistency(
							 m, n, roots[m - 1],
							 roots[n], &p, &err),
						 CW_EINVAL);
				p.h[0][0] ^= 1;
				assert_int_equal(cw_tlog_verify_consistency(
							 m, n, roots[m],
							 roots[n], &p, &err),
						 CW_EINVAL);
			}
			cw_tlog_proof_release(&p);
		}
	}
}

/* The example of C2SP signed-note.md: a verifier key and a note it
 * verifies; the key ID is the one the key's name and bytes give. */
static void test_tlog__signed_note_example(void **state)
{
	const char *vkey = "example.com/foo+530d903a+"
			   "AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
	const char *note = "This is an example message.\n"
			   "\n"
			   "\xe2\x80\x94 example.com/foo "
			   "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7"
			   "Ztg1ERYNZ"
			   "XsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
	struct cw_note_key k;
	struct cw_err err = CW_ERR_INIT;
	struct cw_buf b = CW_BUF_INIT;
	size_t text_len = 0;
	char *bad;
	(void)state;

	assert_int_equal(cw_note_key_parse(vkey, strlen(vkey), &k, &err),
			 CW_OK);
	assert_string_equal(k.name, "example.com/foo");
	assert_int_equal(k.id, 0x530d903au);
	assert_false(k.has_private);
	cw_note_vkey(&k, &b);
	assert_string_equal(cw_buf_str(&b), vkey);
	cw_buf_release(&b);
	assert_int_equal(
		cw_note_verify(note, strlen(note), &k, &text_len, &err), CW_OK);
	assert_int_equal(text_len, strlen("This is an example message.\n"));
	/* one changed letter of the text */
	bad = cw_strdup(note);
	bad[5] = 'I';
	assert_int_equal(cw_note_verify(bad, strlen(bad), &k, NULL, &err),
			 CW_EINVAL);
	assert_non_null(strstr(err.msg, "does not verify"));
	free(bad);
	/* a key ID that does not match the key */
	assert_int_equal(cw_note_key_parse("example.com/foo+530d903b+AekyeRrm5"
					   "6hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U"
					   "2k",
					   strlen(vkey), &k, &err),
			 CW_EPARSE);
}

/* Signing is pinned: the seed of RFC 8032 7.1's TEST 1 gives that test's
 * public key and, over a checkpoint body, the signature Python's
 * cryptography (OpenSSL) makes with it (Ed25519 is deterministic). */
static void test_tlog__signature_pinned(void **state)
{
	const char *skey = "PRIVATE+KEY+example.org/log+1c66b9ea+"
			   "AZ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g";
	const char *vkey = "example.org/log+1c66b9ea+"
			   "AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
	const char *text = "example.org/log\n3\nAAAA\n";
	const char *want = "example.org/log\n3\nAAAA\n"
			   "\n"
			   "\xe2\x80\x94 example.org/log "
			   "HGa56mRLkvyaIKb49ZrjAKT7myoul4FKWp+ukKC0QJ2Vc6whEXc"
			   "3WzERPj7SV+v7tKFHMBQYLhghIyybJt+U3gV+Gw4=\n";
	struct cw_note_key k;
	struct cw_err err = CW_ERR_INIT;
	struct cw_buf b = CW_BUF_INIT;
	(void)state;

	assert_int_equal(cw_note_key_parse(skey, strlen(skey), &k, &err),
			 CW_OK);
	assert_true(k.has_private);
	cw_note_vkey(&k, &b);
	assert_string_equal(cw_buf_str(&b), vkey);
	cw_buf_clear(&b);
	assert_int_equal(cw_note_sign(&k, text, strlen(text), &b, &err), CW_OK);
	assert_string_equal(cw_buf_str(&b), want);
	assert_int_equal(cw_note_verify(b.ptr, b.len, &k, NULL, &err), CW_OK);
	cw_buf_release(&b);
}

/* A key of ours signs, its vkey verifies, another key does not; the
 * private key round-trips through its text form. */
static void test_tlog__sign_and_verify(void **state)
{
	struct cw_note_key k, k2, back, pub;
	struct cw_err err = CW_ERR_INIT;
	struct cw_buf note = CW_BUF_INIT, skey = CW_BUF_INIT,
		      vkey = CW_BUF_INIT;
	const char *text = "example.org/log\n3\nAAAA\n";
	(void)state;

	assert_int_equal(cw_note_key_new("example.org/log", &k, &err), CW_OK);
	assert_int_equal(cw_note_key_new("example.org/log", &k2, &err), CW_OK);
	assert_int_equal(cw_note_key_new("has space", &back, &err), CW_EINVAL);
	assert_int_equal(cw_note_sign(&k, text, strlen(text), &note, &err),
			 CW_OK);
	cw_note_skey(&k, &skey);
	assert_int_equal(cw_note_key_parse(skey.ptr, skey.len, &back, &err),
			 CW_OK);
	assert_true(back.has_private);
	assert_memory_equal(back.pub, k.pub, 32);
	assert_int_equal(back.id, k.id);
	cw_note_vkey(&k, &vkey);
	assert_int_equal(cw_note_key_parse(vkey.ptr, vkey.len, &pub, &err),
			 CW_OK);
	assert_int_equal(cw_note_verify(note.ptr, note.len, &pub, NULL, &err),
			 CW_OK);
	assert_int_equal(cw_note_verify(note.ptr, note.len, &k2, NULL, &err),
			 CW_EINVAL);
	assert_int_equal(cw_note_sign(&pub, text, strlen(text), &note, &err),
			 CW_EINVAL);
	assert_int_equal(cw_note_sign(&k, "no newline", 10, &note, &err),
			 CW_EINVAL);
	cw_buf_release(&note);
	cw_buf_release(&skey);
	cw_buf_release(&vkey);
}

static void test_tlog__text_formats(void **state)
{
	struct cw_buf b = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	struct cw_tlog_checkpoint c;
	struct cw_tlog_proof_file f;
	struct cw_tlog_proof p;
	cw_tlog_hash root, h2[2];
	uint64_t v;
	(void)state;

	/* tile paths: tlog-tiles' own example and the edges */
	cw_tlog_tile_index(&b, 1234067);
	assert_string_equal(cw_buf_str(&b), "x001/x234/067");
	cw_buf_clear(&b);
	cw_tlog_tile_index(&b, 0);
	assert_string_equal(cw_buf_str(&b), "000");
	assert_int_equal(cw_tlog_tile_index_parse("x001/x234/067", &v), CW_OK);
	assert_int_equal(v, 1234067);
	assert_int_equal(cw_tlog_tile_index_parse("1234", &v), CW_EINVAL);
	assert_int_equal(cw_tlog_tile_index_parse("x001/23", &v), CW_EINVAL);
	assert_int_equal(cw_tlog_tile_index_parse("067/", &v), CW_EINVAL);
	/* one way to write each index */
	assert_int_equal(cw_tlog_tile_index_parse("x000/001", &v), CW_EINVAL);
	assert_int_equal(cw_tlog_tile_index_parse("x001/000", &v), CW_OK);
	assert_int_equal(v, 1000);

	/* base64: RFC 4648 10's vectors, and strictness */
	cw_buf_clear(&b);
	cw_base64_encode(&b, "foob", 4);
	assert_string_equal(cw_buf_str(&b), "Zm9vYg==");
	cw_buf_clear(&b);
	assert_int_equal(cw_base64_decode(&b, "Zm9vYmFy", 8), CW_OK);
	assert_string_equal(cw_buf_str(&b), "foobar");
	assert_int_equal(cw_base64_decode(&b, "Zm9vYh==", 8), CW_EINVAL);
	assert_int_equal(cw_base64_decode(&b, "Zm9v YmFy", 9), CW_EINVAL);
	assert_int_equal(cw_base64_decode(&b, "Zg=a", 4), CW_EINVAL);

	/* a checkpoint body and back */
	memset(root, 0xab, 32);
	cw_buf_clear(&b);
	cw_tlog_checkpoint_body(&b, "example.org/log", 70000, root, NULL, 0);
	assert_int_equal(cw_tlog_checkpoint_parse(b.ptr, b.len, &c, &err),
			 CW_OK);
	assert_string_equal(c.origin, "example.org/log");
	assert_int_equal(c.size, 70000);
	assert_memory_equal(c.root, root, 32);
	cw_tlog_checkpoint_release(&c);
	assert_int_equal(cw_tlog_checkpoint_parse("o\n012\nAAAA\n", 11, &c,
						  &err),
			 CW_EPARSE);

	/* a proof file and back */
	memset(h2, 0x11, sizeof(h2));
	p.h = h2;
	p.n = 2;
	cw_buf_clear(&b);
	cw_tlog_proof_text(&b, "{}", 2, 5, &p, "o\n8\nAAAA\n\n- sig\n");
	assert_int_equal(cw_tlog_proof_parse(b.ptr, b.len, &f, &err), CW_OK);
	assert_int_equal(f.index, 5);
	assert_int_equal(f.proof.n, 2);
	assert_string_equal(cw_buf_str(&f.extra), "{}");
	assert_string_equal(f.note, "o\n8\nAAAA\n\n- sig\n");
	cw_tlog_proof_file_release(&f);
	assert_int_equal(cw_tlog_proof_parse("c2sp.org/tlog-proof@v1\nindex "
					     "x\n",
					     29, &f, &err),
			 CW_EPARSE);
	cw_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlog__rfc6962_roots),
		cmocka_unit_test(test_tlog__rfc6962_proofs),
		cmocka_unit_test(test_tlog__every_proof_verifies),
		cmocka_unit_test(test_tlog__signed_note_example),
		cmocka_unit_test(test_tlog__signature_pinned),
		cmocka_unit_test(test_tlog__sign_and_verify),
		cmocka_unit_test(test_tlog__text_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
