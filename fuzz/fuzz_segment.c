/*
 * Fuzz the segmenter: arbitrary bytes as a version's text, segmented with
 * the default options and with tight caps chosen by the first byte; every
 * invariant of segment.h is checked and abort() reports a broken one.
 */
#include "../src/segment/segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct cw_segmentation *s, const char *t, size_t len,
		  const struct cw_segment_opts *o)
{
	size_t pos = 0;
	size_t *last;

	if (len == 0) {
		if (s->n != 0)
			abort();
		return;
	}
	if (s->n == 0 || s->n > o->max_provisions)
		abort();
	last = cw_calloc(s->n, sizeof(*last));
	for (size_t i = 0; i < s->n; i++) {
		const struct cw_provision *p = &s->items[i];
		char h[CW_SHA256_HEX];

		if (!p->key || !*p->key || !p->title || p->start >= p->end ||
		    p->end > len || p->body < p->start || p->body > p->end ||
		    p->level < 1 || p->level > o->max_depth)
			abort();
		if (p->parent < 0) {
			if (p->level != 1 || p->start != pos)
				abort();
			pos = p->end;
		} else {
			const struct cw_provision *q;
			if ((size_t)p->parent >= i)
				abort();
			q = &s->items[p->parent];
			if (p->level != q->level + 1 || p->start < q->body ||
			    p->end > q->end || p->start < last[p->parent])
				abort();
			last[p->parent] = p->end;
		}
		/* keys unique: quadratic, but fuzz inputs are small */
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->items[j].key, p->key) == 0)
				abort();
		if (cw_segment_find(s, p->key) != (long)i)
			abort();
		cw_sha256_hex(t + p->start, p->end - p->start, h);
		if (strcmp(h, p->hash) != 0)
			abort();
	}
	if (pos != len)
		abort();
	free(last);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_segment_opts def = CW_SEGMENT_OPTS_INIT;
	struct cw_segment_opts tight = { 1 + (size ? data[0] % 8 : 0),
					 1 + (size ? data[0] / 8 % 6 : 0),
					 false };
	const char *t = (const char *)data;
	struct cw_segmentation *s = NULL;
	time_t when;
	size_t at, len;

	if (cw_segment_text(&s, t, size, NULL, NULL) != CW_OK || !s)
		abort();
	check(s, t, size, &def);
	cw_segment_free(s);
	if (cw_segment_text(&s, t, size, &tight, NULL) != CW_OK || !s)
		abort();
	check(s, t, size, &tight);
	cw_segment_free(s);
	if (cw_segment_stated_date(&when, &at, &len, t, size) == CW_OK &&
	    (at + len > size || len == 0))
		abort();
	return 0;
}
