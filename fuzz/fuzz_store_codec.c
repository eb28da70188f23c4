/*
 * Fuzz the store's provision list codec (store/codec.c), which decodes
 * bytes read back from the store against the version's text: the input
 * is a text and an encoded list (the first two bytes say where the text
 * ends). Checks that a list that decodes has its ranges inside the text
 * and parents before children, and that what it encodes to decodes and
 * encodes to the same bytes again (the store rewrites lists it read).
 */
#include <string.h>

#include "../src/store/store_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_segmentation *seg = NULL;
	struct cw_buf again = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	size_t cut;
	char *text;

	if (size < 2 || size > 1u << 16)
		return 0;
	cut = ((size_t)data[0] << 8 | data[1]) % (size - 1);
	text = cw_strndup((const char *)data + 2, cut);
	if (store_decode_provisions(&seg, (const char *)data + 2 + cut,
				    size - 2 - cut, text, strlen(text),
				    &err) == CW_OK) {
		for (size_t i = 0; i < seg->n; i++) {
			const struct cw_provision *p = &seg->items[i];
			if (p->start > p->end || p->end > strlen(text) ||
			    p->parent >= (long)i)
				abort();
		}
		struct cw_segmentation *seg2 = NULL;
		struct cw_buf third = CW_BUF_INIT;

		store_encode_provisions(&again, seg);
		if (store_decode_provisions(&seg2, again.ptr, again.len, text,
					    strlen(text), &err))
			abort();
		store_encode_provisions(&third, seg2);
		if (third.len != again.len ||
		    memcmp(third.ptr, again.ptr, again.len))
			abort();
		cw_segment_free(seg2);
		cw_buf_release(&third);
	} else if (seg) {
		abort();
	}
	cw_segment_free(seg);
	cw_buf_release(&again);
	free(text);
	return 0;
}
