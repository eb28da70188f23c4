#ifndef CW_FUZZ_EXTRACT_H
#define CW_FUZZ_EXTRACT_H
/*
 * fuzz_extract: what the extraction harnesses (fuzz_html, fuzz_pdf)
 * require of a text that extraction returned.
 */
#include "../src/util/util.h"

/* Valid UTF-8, ending in exactly one newline, within `max_output` (and
 * the final newline). */
static inline bool fuzz_text_ok(const struct cw_buf *out, size_t max_output)
{
	return out->len && out->ptr[out->len - 1] == '\n' &&
	       !(out->len > 1 && out->ptr[out->len - 2] == '\n') &&
	       out->len <= max_output + 1 && cw_utf8_valid(out->ptr, out->len);
}

#endif
