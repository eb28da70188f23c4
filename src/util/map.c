/*
 * util/map: see map.h for the layout (items in insertion order, an
 * open-addressing index of their positions).
 */
#include "map.h"

void cw_map_init(struct cw_map *m, unsigned flags, size_t max, size_t expect)
{
	memset(m, 0, sizeof(*m));
	m->flags = flags;
	m->max = max ? max : CW_MAP_MAX_DEFAULT;
	if (m->max > CW_MAP_MAX_LIMIT)
		m->max = CW_MAP_MAX_LIMIT;
	if (expect > m->max)
		expect = m->max;
	if (expect) {
		m->nslots = 16;
		while (m->nslots < 2 * expect)
			m->nslots *= 2;
		m->slots = cw_calloc(m->nslots, sizeof(*m->slots));
		m->items = cw_reallocarray(NULL, expect, sizeof(*m->items));
		m->cap = expect;
	}
}

void cw_map_release(struct cw_map *m)
{
	if (!(m->flags & (CW_MAP_BORROW | CW_MAP_U64)))
		for (size_t i = 0; i < m->n; i++)
			free((char *)m->items[i].key);
	free(m->items);
	free(m->slots);
	cw_map_init(m, m->flags, m->max, 0);
}

static uint64_t hash_bytes(const struct cw_map *m, const void *key, size_t len)
{
	uint64_t h = m->flags & CW_MAP_FOLD ? cw_fnv1a64_fold(key, len)
					    : cw_fnv1a64(key, len);

	return cw_mix64(h);
}

static bool same_key(const struct cw_map *m, const struct cw_map_item *it,
		     const void *key, size_t len, uint64_t h)
{
	if (it->hash != h)
		return false;
	if (m->flags & CW_MAP_U64)
		return true;
	if (it->len != len)
		return false;
	if (m->flags & CW_MAP_FOLD)
		return cw_strncasecmp_ascii(it->key, key, len) == 0;
	return memcmp(it->key, key, len) == 0;
}

/* Where the probe for hash `h` starts: byte-key hashes are mixed already,
 * 64-bit keys are the hash and get mixed here. */
static size_t home(const struct cw_map *m, uint64_t h, size_t mask)
{
	return (size_t)(m->flags & CW_MAP_U64 ? cw_mix64(h) : h) & mask;
}

/* The slot of the key (an empty one if absent). The index is never full:
 * it has at least twice as many slots as items. */
static size_t slot_of(const struct cw_map *m, const void *key, size_t len,
		      uint64_t h)
{
	size_t mask = m->nslots - 1, i = home(m, h, mask);

	while (m->slots[i] &&
	       !same_key(m, &m->items[m->slots[i] - 1], key, len, h))
		i = (i + 1) & mask;
	return i;
}

static void reindex(struct cw_map *m, size_t nslots)
{
	size_t mask = nslots - 1;

	free(m->slots);
	m->slots = cw_calloc(nslots, sizeof(*m->slots));
	m->nslots = nslots;
	for (size_t k = 0; k < m->n; k++) {
		size_t i = home(m, m->items[k].hash, mask);

		while (m->slots[i])
			i = (i + 1) & mask;
		m->slots[i] = (uint32_t)(k + 1);
	}
}

static bool find(const struct cw_map *m, const void *key, size_t len,
		 uint64_t h, size_t *idx)
{
	size_t i;

	if (!m->n)
		return false;
	i = slot_of(m, key, len, h);
	if (!m->slots[i])
		return false;
	*idx = m->slots[i] - 1;
	return true;
}

static int put(struct cw_map *m, const void *key, size_t len, uint64_t h,
	       size_t *idx)
{
	struct cw_map_item *it;
	size_t i;

	if (find(m, key, len, h, idx))
		return CW_EEXISTS;
	if (m->n >= m->max)
		return CW_ETOOBIG;
	if (2 * (m->n + 1) > m->nslots)
		reindex(m, m->nslots ? 2 * m->nslots : 16);
	CW_GROW(m->items, m->cap, m->n + 1);
	it = &m->items[m->n];
	it->hash = h;
	it->len = len;
	it->val = 0;
	if (m->flags & CW_MAP_U64)
		it->key = NULL;
	else if (m->flags & CW_MAP_BORROW)
		it->key = key;
	else
		it->key = cw_strndup(key, len);
	i = slot_of(m, key, len, h);
	CW_ASSERT(!m->slots[i]);
	m->slots[i] = (uint32_t)(m->n + 1);
	*idx = m->n++;
	CW_ASSERT(2 * m->n <= m->nslots);
	return CW_OK;
}

int cw_map_put(struct cw_map *m, const void *key, size_t len, size_t *idx)
{
	CW_ASSERT(!(m->flags & CW_MAP_U64));
	return put(m, key, len, hash_bytes(m, key, len), idx);
}

bool cw_map_find(const struct cw_map *m, const void *key, size_t len,
		 size_t *idx)
{
	CW_ASSERT(!(m->flags & CW_MAP_U64));
	return find(m, key, len, hash_bytes(m, key, len), idx);
}

int cw_map_put_u64(struct cw_map *m, uint64_t key, size_t *idx)
{
	CW_ASSERT(m->flags & CW_MAP_U64);
	return put(m, NULL, 0, key, idx);
}

bool cw_map_find_u64(const struct cw_map *m, uint64_t key, size_t *idx)
{
	CW_ASSERT(m->flags & CW_MAP_U64);
	return find(m, NULL, 0, key, idx);
}
