/*
 * Fuzz the change record's decoder: arbitrary bytes as a stored record.
 * What decodes must encode, decode again and encode to the same bytes
 * (the codec is a fixed point after one pass), and survive the redline
 * refill against the input itself as both texts.
 */
#include "../src/diff/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_change_record r, again;
	struct cw_buf a = CW_BUF_INIT, b = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	const char *s = (const char *)data;

	if (cw_change_record_decode(&r, s, size, &err)) {
		if (r.n || r.entries || !err.msg[0])
			abort();
		return 0;
	}
	if (cw_change_record_encode(&a, &r, &err))
		abort();
	if (cw_change_record_decode(&again, a.ptr, a.len, &err))
		abort();
	if (cw_change_record_encode(&b, &again, &err) || a.len != b.len ||
	    memcmp(a.ptr, b.ptr, a.len))
		abort();
	cw_change_record_fill_redline(&r, s, size, s, size / 2);
	for (size_t k = 0; k < r.n; k++)
		for (size_t i = 0; i < r.entries[k].n_spans; i++)
			if (r.entries[k].spans[i].text &&
			    !cw_utf8_valid(r.entries[k].spans[i].text,
					   r.entries[k].spans[i].text_len))
				abort();
	cw_change_record_compact(&r);
	cw_buf_clear(&a);
	if (cw_change_record_encode(&a, &r, &err))
		abort();
	cw_change_record_release(&r);
	cw_change_record_release(&again);
	cw_buf_release(&a);
	cw_buf_release(&b);
	return 0;
}
