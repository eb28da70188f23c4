#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "util.h"

static void to_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void cw_sha256(const void *data, size_t len, unsigned char out[32])
{
	SHA256(data, len, out);
}

void cw_sha256_hex(const void *data, size_t len, char out[CW_SHA256_HEX])
{
	unsigned char d[32];

	SHA256(data, len, d);
	to_hex(d, 32, out);
}

void cw_hmac_sha256_hex(const void *key, size_t keylen, const void *data,
			size_t len, char out[CW_SHA256_HEX])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;

	HMAC(EVP_sha256(), key, (int)keylen, data, len, d, &dlen);
	to_hex(d, dlen, out);
}
