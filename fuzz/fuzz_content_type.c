/*
 * Fuzz the Content-Type parser of the fetch module: arbitrary bytes as a
 * header value. Checks what callers rely on: success gives a lower-case
 * "type/subtype" of RFC 9110 tokens, and a charset that is a lower-case
 * token when present (safe to hand to iconv and to print).
 */
#include <ctype.h>

#include "../src/fetch/fetch.h"

static bool token_chars(const char *s, bool allow_slash)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isupper(c))
			return false;
		if (!isalnum(c) && !strchr("!#$%&'*+-.^_`|~", c) &&
		    !(allow_slash && c == '/'))
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value, *media = NULL, *charset = NULL;
	int rc;

	if (size > 1u << 16)
		return 0;
	value = cw_strndup((const char *)data, size);
	rc = cw_fetch_parse_content_type(&media, &charset, value);
	if (rc == CW_OK) {
		if (!media || !token_chars(media, true) || !strchr(media, '/'))
			abort();
		if (charset && !token_chars(charset, false))
			abort();
	} else if (media || charset) {
		abort();
	}
	free(media);
	free(charset);
	free(value);
	return 0;
}
