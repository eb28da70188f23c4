#include <errno.h>
#include <sys/random.h>

#include <nettle/hmac.h>
#include <nettle/sha2.h>

#include "util.h"

static void hex_with(char *out, const void *data, size_t n,
		     const char digits[16])
{
	const unsigned char *d = data;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void cw_hex_encode(char *out, const void *data, size_t n)
{
	hex_with(out, data, n, "0123456789abcdef");
}

void cw_hex_encode_upper(char *out, const void *data, size_t n)
{
	hex_with(out, data, n, "0123456789ABCDEF");
}

/* nettle's SHA-256, not OpenSSL's: the first OpenSSL digest of a process
 * set up its provider (reading openssl.cnf, about a millisecond), and
 * every SHA256() call fetched the algorithm again. Both use the CPU's SHA
 * instructions when it has them. */
void cw_sha256(const void *data, size_t len, unsigned char out[32])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, len, data);
	sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

void cw_sha256_hex(const void *data, size_t len, char out[CW_SHA256_HEX])
{
	unsigned char d[32];

	cw_sha256(data, len, d);
	cw_hex_encode(out, d, 32);
}

void cw_hmac_sha256_hex(const void *key, size_t keylen, const void *data,
			size_t len, char out[CW_SHA256_HEX])
{
	struct hmac_sha256_ctx c;
	unsigned char d[SHA256_DIGEST_SIZE];

	hmac_sha256_set_key(&c, keylen, key);
	hmac_sha256_update(&c, len, data);
	hmac_sha256_digest(&c, sizeof(d), d);
	cw_hex_encode(out, d, sizeof(d));
}

int cw_random_bytes(void *out, size_t n)
{
	unsigned char *p = out;

	while (n) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return CW_ERROR;
		p += got;
		n -= (size_t)got;
	}
	return CW_OK;
}
