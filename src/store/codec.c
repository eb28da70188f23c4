/*
 * Provision list codec: the segmentation of a version as bytes.
 *
 * Layout: "CWP1", varint n, then per provision: varint key length, key,
 * varint title length, title, varint level, varint parent+1, varint start,
 * varint end-start, varint body-start. Hashes are not stored: they are
 * derived from the text on load. The encoding is small and, being nearly
 * identical between consecutive versions, compresses to almost nothing
 * against the previous version's list.
 */
#include "store_int.h"

static void put_varint(struct cw_buf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (unsigned char)(v & 0x7F);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	cw_buf_add(b, tmp, n);
}

static int get_varint(const unsigned char **p, const unsigned char *end,
		      uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		unsigned char c = *(*p)++;
		v |= (uint64_t)(c & 0x7F) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

void store_encode_provisions(struct cw_buf *out,
			     const struct cw_segmentation *seg)
{
	cw_buf_add(out, "CWP1", 4);
	put_varint(out, seg->n);
	for (size_t i = 0; i < seg->n; i++) {
		const struct cw_provision *p = &seg->items[i];
		size_t kl = strlen(p->key), tl = strlen(p->title);

		put_varint(out, kl);
		cw_buf_add(out, p->key, kl);
		put_varint(out, tl);
		cw_buf_add(out, p->title, tl);
		put_varint(out, (uint64_t)p->level);
		put_varint(out, (uint64_t)(p->parent + 1));
		put_varint(out, p->start);
		put_varint(out, p->end - p->start);
		put_varint(out, p->body - p->start);
	}
}

static char *get_str(const unsigned char **p, const unsigned char *end)
{
	uint64_t n;

	if (get_varint(p, end, &n) || n > (uint64_t)(end - *p))
		return NULL;
	char *s = cw_strndup((const char *)*p, (size_t)n);
	*p += n;
	return s;
}

int store_decode_provisions(struct cw_segmentation **out, const char *data,
			    size_t len, const char *text, size_t textlen,
			    struct cw_err *err)
{
	const unsigned char *p = (const unsigned char *)data, *end = p + len;
	struct cw_segmentation *seg;
	uint64_t n, v[5];

	*out = NULL;
	if (len < 4 || memcmp(p, "CWP1", 4))
		return cw_err_set(err, CW_ESTORE, "provision list: bad header");
	p += 4;
	if (get_varint(&p, end, &n) || n > len)
		return cw_err_set(err, CW_ESTORE, "provision list: bad count");
	seg = cw_calloc(1, sizeof(*seg));
	seg->items = cw_calloc(n ? n : 1, sizeof(*seg->items));
	for (uint64_t i = 0; i < n; i++) {
		struct cw_provision *pr = &seg->items[i];

		pr->key = get_str(&p, end);
		pr->title = pr->key ? get_str(&p, end) : NULL;
		seg->n = i + 1;
		if (!pr->title)
			goto corrupt;
		for (int k = 0; k < 5; k++)
			if (get_varint(&p, end, &v[k]))
				goto corrupt;
		pr->level = (int)v[0];
		pr->parent = (long)v[1] - 1;
		pr->start = v[2];
		pr->end = v[2] + v[3];
		pr->body = v[2] + v[4];
		if (pr->end > textlen || pr->end < pr->start ||
		    pr->body > pr->end || pr->parent >= (long)i)
			goto corrupt;
		cw_sha256_hex(text + pr->start, pr->end - pr->start, pr->hash);
	}
	*out = seg;
	return CW_OK;
corrupt:
	cw_segment_free(seg);
	return cw_err_set(err, CW_ESTORE, "provision list: corrupt entry");
}
