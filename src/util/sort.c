/*
 * Sorting 64-bit keys without a comparison callback: the provision diff
 * sorts the word-shingle hashes of every provision of both versions, and
 * qsort's indirect comparisons were a sixth of its time. Short arrays are
 * sorted by insertion, middle ones by quicksort, long ones by a
 * least-significant-digit radix sort, 8 bits at a time, that skips a
 * digit all keys share (hashes rarely do; small integers often).
 */
#include <string.h>

#include "util.h"

#define INSERTION_MAX 32
#define RADIX_MIN 2048

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

/* Quicksort (median of three, the smaller side first, insertion below
 * INSERTION_MAX) for the middle sizes, where the radix sort's counting
 * tables would cost more than the keys. */
static void quick_u64(uint64_t *v, size_t n)
{
	while (n > INSERTION_MAX) {
		uint64_t a = v[0], b = v[n / 2], c = v[n - 1], p, t;
		size_t i = 0, j = n - 1;

		p = a < b ? (b < c ? b : (a < c ? c : a))
			  : (a < c ? a : (b < c ? c : b));
		for (;;) {
			while (v[i] < p)
				i++;
			while (v[j] > p)
				j--;
			if (i >= j)
				break;
			t = v[i];
			v[i] = v[j];
			v[j] = t;
			i++;
			j--;
		}
		/* v[0..j] <= p <= v[j+1..n) */
		if (j + 1 < n - j - 1) {
			quick_u64(v, j + 1);
			v += j + 1;
			n -= j + 1;
		} else {
			quick_u64(v + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	insertion_u64(v, n);
}

void cw_sort_u64(uint64_t *v, size_t n)
{
	size_t count[8][256];
	uint64_t *tmp, *src, *dst;

	if (n <= INSERTION_MAX) {
		insertion_u64(v, n);
		return;
	}
	if (n < RADIX_MIN) {
		quick_u64(v, n);
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
