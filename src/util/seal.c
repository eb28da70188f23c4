/*
 * Secrets at rest (util.h, "secrets"): AES-256-GCM with a random 96-bit
 * nonce per value, by nettle. A sealed value is text, so it
 * fits a TEXT column: "cw1:" and the base64 of nonce || ciphertext ||
 * 16-byte tag. The key is 32 random bytes in a file of mode 0600.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <nettle/gcm.h>
#include <nettle/memops.h>

#include "tlog.h" /* base64 */
#include "util.h"

#define SEAL_PREFIX "cw1:"
#define NONCE 12
#define TAG 16

bool cw_sealed(const char *s)
{
	return s && !strncmp(s, SEAL_PREFIX, strlen(SEAL_PREFIX));
}

int cw_seal_key_load(const char *path, bool create,
		     unsigned char key[CW_SEAL_KEY], struct cw_err *err)
{
	struct cw_buf b = CW_BUF_INIT;
	int rc = cw_file_read(&b, path, 64, err);

	if (rc == CW_ENOTFOUND && create) {
		if (cw_random_bytes(key, CW_SEAL_KEY))
			return cw_err_set(err, CW_ERROR,
					  "no random bytes for a key");
		rc = cw_file_write_new(path, key, CW_SEAL_KEY, 0600, err);
		if (rc != CW_EEXISTS)
			return rc;
		/* another process made it first */
		rc = cw_file_read(&b, path, 64, err);
	}
	if (!rc && b.len != CW_SEAL_KEY)
		rc = cw_err_set(err, CW_EINVAL,
				"'%s': not a secrets key (%zu bytes, not %d)",
				path, b.len, CW_SEAL_KEY);
	if (!rc)
		memcpy(key, b.ptr, CW_SEAL_KEY);
	if (b.ptr)
		explicit_bzero(b.ptr, b.len);
	cw_buf_release(&b);
	return rc;
}

int cw_seal(const unsigned char key[CW_SEAL_KEY], const char *plain,
	    struct cw_buf *out, struct cw_err *err)
{
	size_t n = strlen(plain);
	unsigned char *raw = cw_malloc(NONCE + n + TAG);
	struct gcm_aes256_ctx c;
	bool ok = cw_random_bytes(raw, NONCE) == CW_OK;

	if (ok) {
		gcm_aes256_set_key(&c, key);
		gcm_aes256_set_iv(&c, NONCE, raw);
		gcm_aes256_encrypt(&c, n, raw + NONCE,
				   (const unsigned char *)plain);
		gcm_aes256_digest(&c, TAG, raw + NONCE + n);
		explicit_bzero(&c, sizeof(c));
		cw_buf_adds(out, SEAL_PREFIX);
		cw_base64_encode(out, raw, NONCE + n + TAG);
	}
	free(raw);
	return ok ? CW_OK
		  : cw_err_set(err, CW_ERROR,
			       "no random bytes for sealing a secret");
}

int cw_unseal(const unsigned char key[CW_SEAL_KEY], const char *sealed,
	      char **out, struct cw_err *err)
{
	struct cw_buf raw = CW_BUF_INIT;
	struct gcm_aes256_ctx c;
	unsigned char tag[TAG];
	char *plain = NULL;
	bool ok;
	size_t n;

	*out = NULL;
	if (!cw_sealed(sealed) ||
	    cw_base64_decode(&raw, sealed + strlen(SEAL_PREFIX),
			     strlen(sealed + strlen(SEAL_PREFIX))) ||
	    raw.len < NONCE + TAG) {
		cw_buf_release(&raw);
		return cw_err_set(err, CW_EINVAL, "not a sealed secret");
	}
	n = raw.len - NONCE - TAG;
	plain = cw_malloc(n + 1);
	gcm_aes256_set_key(&c, key);
	gcm_aes256_set_iv(&c, NONCE, (const unsigned char *)raw.ptr);
	gcm_aes256_decrypt(&c, n, (unsigned char *)plain,
			   (const unsigned char *)raw.ptr + NONCE);
	gcm_aes256_digest(&c, TAG, tag);
	explicit_bzero(&c, sizeof(c));
	/* the tag compared in constant time */
	ok = memeql_sec(tag, raw.ptr + NONCE + n, TAG);
	cw_buf_release(&raw);
	if (!ok) {
		explicit_bzero(plain, n + 1);
		free(plain);
		return cw_err_set(err, CW_EINVAL,
				  "a sealed secret does not open with this "
				  "key (another store's key, or altered)");
	}
	plain[n] = '\0';
	*out = plain;
	return CW_OK;
}

void cw_redact_credentials(char *s)
{
	/* "scheme://user:password@host" -> "scheme://user:***@host" */
	for (char *p = strstr(s, "://"); p; p = strstr(p + 1, "://")) {
		char *auth = p + 3, *end = auth + strcspn(auth, "/?# \t\n'\"");
		char *at = memchr(auth, '@', (size_t)(end - auth));
		char *colon = at ? memchr(auth, ':', (size_t)(at - auth))
				 : NULL;

		if (colon && at - colon > 1) {
			/* never longer than the password it replaces */
			size_t stars = (size_t)(at - colon - 1) < 3
					       ? (size_t)(at - colon - 1)
					       : 3;
			memmove(colon + 1 + stars, at, strlen(at) + 1);
			memset(colon + 1, '*', stars);
		}
	}
}
