#ifndef CW_UTIL_MAP_H
#define CW_UTIL_MAP_H
/*
 * util/map: a small hash map from byte-string or 64-bit keys to a 64-bit
 * value, for the tables that stages build while they work (keys seen in a
 * segmentation, titles of a version, tag names of a page).
 *
 * Layout: the items live in one array in insertion order, and an
 * open-addressing index (linear probing, a power of two at least twice
 * the number of items) holds item positions. So:
 *
 * - an item's position (`idx`) is dense and stable: 0, 1, 2... in the
 *   order keys were first added, never moved, so a caller may keep more
 *   data per key in an array of its own indexed by it;
 * - iteration is `for (i = 0; i < m->n; i++) m->items[i]`: deterministic,
 *   in insertion order, whatever the hashes;
 * - there is no removal (no caller needs it, and it keeps both invariants).
 *
 * Keys are hashed with FNV-1a then cw_mix64 (the mix spreads FNV's weak
 * low bits over the index mask); 64-bit keys with cw_mix64 alone. Growth
 * doubles the index and is capped: past `max` items an insertion fails
 * with CW_ETOOBIG and leaves the map as it was.
 *
 * Thread safety: none inside; one map per thread, or a lock around it.
 */
#include "util.h"

enum cw_map_flags {
	CW_MAP_FOLD = 1 << 0,	/* ASCII case-insensitive byte keys */
	CW_MAP_BORROW = 1 << 1, /* keys are the caller's, alive while the map
				 * is; default: the map keeps copies */
	CW_MAP_U64 = 1 << 2,	/* 64-bit keys (cw_map_put_u64 and friends) */
};

/* Default and largest `max`: positions must fit the 32-bit index. */
#define CW_MAP_MAX_DEFAULT (1u << 24)
#define CW_MAP_MAX_LIMIT (1u << 30)

struct cw_map_item {
	const char *key; /* byte keys: NUL-terminated when the map copies */
	size_t len;
	uint64_t hash; /* of the key; for CW_MAP_U64, the key itself */
	int64_t val;   /* the caller's; 0 when added */
};

struct cw_map {
	struct cw_map_item *items; /* in insertion order */
	size_t n;
	size_t cap;	 /* allocated items */
	uint32_t *slots; /* item position + 1; 0 is empty */
	size_t nslots;	 /* 0 or a power of two >= 2 * n */
	size_t max;	 /* most items */
	unsigned flags;	 /* enum cw_map_flags */
};

/*
 * Start an empty map. `max` 0 means CW_MAP_MAX_DEFAULT (and is clamped to
 * CW_MAP_MAX_LIMIT); `expect` sizes the first allocation (0: on demand).
 */
void cw_map_init(struct cw_map *m, unsigned flags, size_t max, size_t expect);
/* Free the map (and its key copies); it is empty and reusable after. */
void cw_map_release(struct cw_map *m);

/*
 * Find `key[0..len)`, adding it (with val 0) if absent.
 * idx  [out] the key's position in m->items
 * Returns CW_OK when added, CW_EEXISTS when already there, CW_ETOOBIG
 * when adding would pass `max` (nothing changes; *idx is untouched).
 */
int cw_map_put(struct cw_map *m, const void *key, size_t len, size_t *idx);
/* True and *idx set when `key[0..len)` is in the map. */
bool cw_map_find(const struct cw_map *m, const void *key, size_t len,
		 size_t *idx);

/* The same for a map made with CW_MAP_U64. */
int cw_map_put_u64(struct cw_map *m, uint64_t key, size_t *idx);
bool cw_map_find_u64(const struct cw_map *m, uint64_t key, size_t *idx);

#endif
