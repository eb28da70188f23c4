/*
 * Sorting 64-bit keys without a comparison callback: the provision diff
 * sorts the word-shingle hashes of every provision of both versions, and
 * qsort's indirect comparisons were a sixth of its time. Short arrays are
 * sorted by insertion; longer ones by a least-significant-digit radix
 * sort, 8 bits at a time, that skips a digit all keys share (hashes
 * rarely do; small integers often).
 */
#include <string.h>

#include "util.h"

#define INSERTION_MAX 32

static void insertion_u64(uint64_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint64_t x = v[i];
		size_t j = i;

		while (j > 0 && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

void cw_sort_u64(uint64_t *v, size_t n)
{
	size_t count[8][256];
	uint64_t *tmp, *src, *dst;

	if (n <= INSERTION_MAX) {
		insertion_u64(v, n);
		return;
	}
	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++)
		for (unsigned d = 0; d < 8; d++)
			count[d][(v[i] >> (8 * d)) & 0xff]++;
	tmp = cw_malloc(n * sizeof(*tmp));
	src = v;
	dst = tmp;
	for (unsigned d = 0; d < 8; d++) {
		size_t *c = count[d], sum = 0;
		unsigned shift = 8 * d;

		/* a digit every key shares leaves the order as it is */
		if (c[(src[0] >> shift) & 0xff] == n)
			continue;
		for (unsigned b = 0; b < 256; b++) {
			size_t k = c[b];
			c[b] = sum;
			sum += k;
		}
		for (size_t i = 0; i < n; i++)
			dst[c[(src[i] >> shift) & 0xff]++] = src[i];
		{
			uint64_t *t = src;
			src = dst;
			dst = t;
		}
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(tmp);
}

size_t cw_sort_unique_u64(uint64_t *v, size_t n)
{
	size_t u = 0;

	cw_sort_u64(v, n);
	for (size_t i = 0; i < n; i++)
		if (u == 0 || v[u - 1] != v[i])
			v[u++] = v[i];
	return u;
}
