/*
 * C2SP signed notes with Ed25519 keys (tlog.h), by nettle.
 *
 * A note is UTF-8 text ending in a newline, a blank line, then one line
 * per signature: U+2014, a space, the key name, a space, and the base64
 * of the 4-byte big-endian key ID and the 64-byte signature of the text.
 * The key ID of an Ed25519 key (signature type 0x01) is the first four
 * bytes of SHA-256(name || 0x0A || 0x01 || public key). The private key
 * form is the one of Go's golang.org/x/mod/sumdb/note package, so keys
 * move between the two.
 */
#include <string.h>

#include <nettle/base64.h>
#include <nettle/eddsa.h>

#include "tlog.h"

#define ED25519_TYPE 0x01
#define SIG_LEN 64
#define DASH "\xe2\x80\x94" /* U+2014 */

void cw_base64_encode(struct cw_buf *out, const void *data, size_t len)
{
	size_t n = BASE64_ENCODE_RAW_LENGTH(len);

	if (cw_buf_grow(out, n + 1))
		return;
	/* with the padding, without a NUL */
	base64_encode_raw(out->ptr + out->len, len, data);
	out->len += n;
	out->ptr[out->len] = '\0';
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int cw_base64_decode(struct cw_buf *out, const char *s, size_t len)
{
	if (len % 4)
		return CW_EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		int pad = 0;

		for (int k = 0; k < 4; k++) {
			char c = s[i + k];
			if (c == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad) /* a character after '=' */
				return CW_EINVAL;
			v[k] = b64_value(c);
			if (v[k] < 0)
				return CW_EINVAL;
		}
		unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 |
			     (unsigned)v[2] << 6 | (unsigned)v[3];
		/* canonical: the bits the padding drops must be zero */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return CW_EINVAL;
		cw_buf_addc(out, (char)(w >> 16));
		if (pad < 2)
			cw_buf_addc(out, (char)(w >> 8));
		if (pad < 1)
			cw_buf_addc(out, (char)w);
	}
	return CW_OK;
}

bool cw_note_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c <= ' ' || c >= 0x7f || c == '+')
			return false;
	}
	return true;
}

static uint32_t key_id(const char *name, const unsigned char pub[32])
{
	struct cw_buf b = CW_BUF_INIT;
	unsigned char h[32];

	cw_buf_adds(&b, name);
	cw_buf_addc(&b, '\n');
	cw_buf_addc(&b, ED25519_TYPE);
	cw_buf_add(&b, pub, 32);
	cw_sha256(b.ptr, b.len, h);
	cw_buf_release(&b);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	       (uint32_t)h[2] << 8 | h[3];
}

/* The public key of an Ed25519 seed. */
static void public_of(const unsigned char seed[32], unsigned char pub[32])
{
	ed25519_sha512_public_key(pub, seed);
}

int cw_note_key_new(const char *name, struct cw_note_key *out,
		    struct cw_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!cw_note_name_ok(name))
		return cw_err_set(err, CW_EINVAL,
				  "'%s': a key name is 1 to 255 printable "
				  "characters without spaces or '+'",
				  name);
	if (cw_random_bytes(out->seed, 32))
		return cw_err_set(err, CW_ERROR, "no random bytes for a key");
	public_of(out->seed, out->pub);
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->has_private = true;
	out->id = key_id(name, out->pub);
	return CW_OK;
}

static void key_text(const struct cw_note_key *k, const unsigned char *bytes,
		     struct cw_buf *out)
{
	unsigned char raw[33];

	raw[0] = ED25519_TYPE;
	memcpy(raw + 1, bytes, 32);
	cw_buf_addf(out, "%s+%08x+", k->name, (unsigned)k->id);
	cw_base64_encode(out, raw, sizeof(raw));
}

void cw_note_vkey(const struct cw_note_key *k, struct cw_buf *out)
{
	key_text(k, k->pub, out);
}

void cw_note_skey(const struct cw_note_key *k, struct cw_buf *out)
{
	cw_buf_adds(out, "PRIVATE+KEY+");
	key_text(k, k->seed, out);
}

int cw_note_key_parse(const char *text, size_t len, struct cw_note_key *out,
		      struct cw_err *err)
{
	const char *p = text, *end, *plus1, *plus2;
	struct cw_buf raw = CW_BUF_INIT;
	bool priv = false;
	char hex[9];
	unsigned long id;
	int rc = CW_OK;

	memset(out, 0, sizeof(*out));
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	end = text + len;
	if (len > 12 && !memcmp(p, "PRIVATE+KEY+", 12)) {
		priv = true;
		p += 12;
	}
	plus1 = memchr(p, '+', (size_t)(end - p));
	plus2 = plus1 ? memchr(plus1 + 1, '+', (size_t)(end - plus1 - 1))
		      : NULL;
	if (!plus2 || plus1 == p || (size_t)(plus1 - p) >= sizeof(out->name) ||
	    plus2 - plus1 - 1 != 8)
		return cw_err_set(err, CW_EPARSE,
				  "not a key: expected [PRIVATE+KEY+]NAME+"
				  "KEYID+BASE64");
	memcpy(out->name, p, (size_t)(plus1 - p));
	out->name[plus1 - p] = '\0';
	memcpy(hex, plus1 + 1, 8);
	hex[8] = '\0';
	if (!cw_note_name_ok(out->name) ||
	    strspn(hex, "0123456789abcdef") != 8 ||
	    cw_base64_decode(&raw, plus2 + 1, (size_t)(end - plus2 - 1)) ||
	    raw.len != 33 || (unsigned char)raw.ptr[0] != ED25519_TYPE) {
		rc = cw_err_set(err, CW_EPARSE,
				"key '%s': not an Ed25519 key of the C2SP "
				"form",
				out->name);
		goto done;
	}
	id = strtoul(hex, NULL, 16);
	if (priv) {
		memcpy(out->seed, raw.ptr + 1, 32);
		out->has_private = true;
		public_of(out->seed, out->pub);
	} else {
		memcpy(out->pub, raw.ptr + 1, 32);
	}
	out->id = key_id(out->name, out->pub);
	if (out->id != id)
		rc = cw_err_set(err, CW_EPARSE,
				"key '%s': its key ID %s is not the one of its "
				"key (%08x)",
				out->name, hex, (unsigned)out->id);
done:
	cw_buf_release(&raw);
	if (rc) {
		explicit_bzero(out->seed, sizeof(out->seed));
		out->has_private = false;
	}
	return rc;
}

int cw_note_sign(const struct cw_note_key *k, const char *text, size_t len,
		 struct cw_buf *out, struct cw_err *err)
{
	unsigned char sig[4 + SIG_LEN];

	if (!k->has_private)
		return cw_err_set(err, CW_EINVAL,
				  "key '%s': no private key to sign with",
				  k->name);
	if (len == 0 || text[len - 1] != '\n')
		return cw_err_set(err, CW_EINVAL,
				  "a note's text must end with a newline");
	ed25519_sha512_sign(k->pub, k->seed, len, (const unsigned char *)text,
			    sig + 4);
	sig[0] = (unsigned char)(k->id >> 24);
	sig[1] = (unsigned char)(k->id >> 16);
	sig[2] = (unsigned char)(k->id >> 8);
	sig[3] = (unsigned char)k->id;
	cw_buf_add(out, text, len);
	cw_buf_addf(out, "\n" DASH " %s ", k->name);
	cw_base64_encode(out, sig, sizeof(sig));
	cw_buf_addc(out, '\n');
	return CW_OK;
}

static bool ed25519_ok(const unsigned char pub[32], const unsigned char *sig,
		       const char *text, size_t len)
{
	return ed25519_sha512_verify(pub, len, (const unsigned char *)text,
				     sig) == 1;
}

int cw_note_verify(const char *note, size_t len, const struct cw_note_key *k,
		   size_t *text_len, struct cw_err *err)
{
	size_t split = 0, pos, nsig = 0;
	bool bad = false;

	/* the text ends at the last blank line: "\n\n" */
	for (size_t i = len; i >= 2; i--)
		if (note[i - 1] == '\n' && note[i - 2] == '\n') {
			split = i - 1;
			break;
		}
	if (!split || note[len - 1] != '\n' || memchr(note, '\0', len))
		return cw_err_set(err, CW_EPARSE,
				  "not a signed note: no blank line before "
				  "the signatures");
	for (pos = split + 1; pos < len;) {
		const char *line = note + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = (size_t)(nl - line), nl_len = strlen(k->name);
		struct cw_buf sig = CW_BUF_INIT;
		const char *b64;

		pos += n + 1;
		if (++nsig > 100)
			return cw_err_set(err, CW_ETOOBIG,
					  "signed note: more than 100 "
					  "signatures");
		if (n < 5 || memcmp(line, DASH " ", 4))
			return cw_err_set(err, CW_EPARSE,
					  "signed note: signature line %zu "
					  "does not start with an em dash",
					  nsig);
		/* not this key's name: another signer, ignored */
		if (n <= 4 + nl_len + 1 || memcmp(line + 4, k->name, nl_len) ||
		    line[4 + nl_len] != ' ')
			continue;
		b64 = line + 4 + nl_len + 1;
		if (cw_base64_decode(&sig, b64, (size_t)(line + n - b64)) ||
		    sig.len != 4 + SIG_LEN) {
			cw_buf_release(&sig);
			bad = true;
			continue;
		}
		uint32_t id = (uint32_t)(unsigned char)sig.ptr[0] << 24 |
			      (uint32_t)(unsigned char)sig.ptr[1] << 16 |
			      (uint32_t)(unsigned char)sig.ptr[2] << 8 |
			      (unsigned char)sig.ptr[3];
		if (id == k->id) {
			bool ok = ed25519_ok(k->pub,
					     (unsigned char *)sig.ptr + 4, note,
					     split);
			cw_buf_release(&sig);
			if (ok) {
				if (text_len)
					*text_len = split;
				return CW_OK;
			}
			bad = true;
			continue;
		}
		cw_buf_release(&sig);
	}
	if (bad)
		return cw_err_set(err, CW_EINVAL,
				  "the signature by '%s' does not verify",
				  k->name);
	return cw_err_set(err, CW_EINVAL, "no signature by '%s' (key %08x)",
			  k->name, (unsigned)k->id);
}
