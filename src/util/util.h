#ifndef CW_UTIL_H
#define CW_UTIL_H
/*
 * util: the pieces every stage shares.
 *
 * - errors: one `enum cw_rc` for the whole program and a caller-owned
 *   `struct cw_err` whose fixed-size message names the input and the place,
 *   so reporting an error never allocates;
 * - allocation: out of memory aborts (we are an application); hostile input
 *   is stopped by explicit caps, never by malloc failing;
 * - cw_buf: a growable, always NUL-terminated byte buffer with a maximum size;
 * - cw_strv: a growable vector of owned strings;
 * - CW_ASSERT for invariants (programmer errors, never input errors);
 * - hashing (SHA-256, FNV-1a, splitmix64), hex, files, UTF-8 and time;
 * - in their own headers: map.h (a small hash map) and json.h (validated
 *   readers of JSON fields, over jansson).
 *
 * Everything here is thread-safe unless a function says otherwise; no
 * function keeps global state.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Return codes. Zero is success, negative values are failures a caller can
 * act on. Numbers are never reused: add new codes at the end.
 */
enum cw_rc {
	CW_OK = 0,
	CW_ERROR = -1,	   /* unspecified failure; the message says more */
	CW_EINVAL = -2,	   /* bad argument or malformed input */
	CW_EIO = -3,	   /* read/write failure of a file or socket */
	CW_ENOTFOUND = -4, /* no such service, document, version, file */
	CW_ETOOBIG = -5,   /* a size, depth or count limit was hit */
	CW_EPARSE = -6,	   /* input could not be parsed (JSON, HTML, CSS) */
	CW_ENET = -7,	   /* network failure: DNS, connect, TLS, HTTP */
	CW_EEMPTY = -8,	   /* extraction produced nothing (selector missed) */
	CW_EEXISTS = -9,   /* already present */
	CW_EUNSUPPORTED = -10, /* a feature we do not handle (named) */
	CW_ESTORE = -11,     /* the store failed (SQLite/PostgreSQL message) */
	CW_ETIMEOUT = -12,   /* a time limit was hit */
	CW_EBLOCKED = -13,   /* refused by policy (private address, ...) */
	CW_EHTTP = -14,	     /* the server answered with an HTTP error status */
	CW_EUNCHANGED = -15, /* not an error for most callers: nothing new */
};

/* A short stable name for a return code ("CW_ETOOBIG"). Never NULL. */
const char *cw_rc_name(int rc);

#define CW_ERR_MSG_MAX 512

/*
 * Caller-owned error report. Functions that take a `struct cw_err *err`
 * accept NULL (no report wanted). On failure they set `rc` and a message
 * that is lower-case, has no full stop and quotes its subject:
 *   "'decl/Foo.json':12:5: expected ',' or '}'".
 */
struct cw_err {
	int rc;
	char msg[CW_ERR_MSG_MAX];
};
#define CW_ERR_INIT       \
	{                 \
		0,        \
		{         \
			0 \
		}         \
	}

/*
 * Record an error in `err` (if not NULL) and return `rc`, so that a failure
 * reads `return cw_err_set(err, CW_EINVAL, "'%s': empty", path);`.
 */
int cw_err_set(struct cw_err *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Put `fmt` in front of the message already in `err` ("while importing
 * 'x': " + old message). Returns err->rc (or `CW_ERROR` if err is NULL).
 */
int cw_err_prefix(struct cw_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- allocation: abort on out of memory ---- */

void *cw_malloc(size_t n);
void *cw_calloc(size_t count, size_t size);
void *cw_realloc(void *p, size_t n);
/* realloc for `count` items of `size` bytes; aborts on overflow */
void *cw_reallocarray(void *p, size_t count, size_t size);
char *cw_strdup(const char *s);
char *cw_strndup(const char *s, size_t n);
/* printf into a new string */
char *cw_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * CW_ASSERT(cond): an invariant that only a bug in our own code can break
 * (the tiling of a segmentation, a span inside its text, a buffer's
 * length below its capacity). Never for input errors: those are reported
 * through cw_err. Checked unless NDEBUG is defined (meson's b_ndebug;
 * the default debug and debugoptimized builds keep it); a failure prints
 * the condition and its place and aborts. The condition must have no
 * side effects and be cheap.
 */
#ifdef NDEBUG
#define CW_ASSERT(cond) ((void)sizeof(cond)) /* not evaluated */
#else
#define CW_ASSERT(cond) \
	((cond) ? (void)0 : cw_assert_fail(#cond, __FILE__, __LINE__, __func__))
#endif
void cw_assert_fail(const char *cond, const char *file, int line,
		    const char *func) __attribute__((noreturn));

/* Grow `*items` (of `*cap` elements) to hold at least `need` elements. */
#define CW_GROW(items, cap, need)                                      \
	do {                                                           \
		if ((need) > (cap)) {                                  \
			size_t cw_grow_n_ = (cap) ? (cap)*2 : 8;       \
			while (cw_grow_n_ < (need))                    \
				cw_grow_n_ *= 2;                       \
			(items) = cw_reallocarray((items), cw_grow_n_, \
						  sizeof(*(items)));   \
			(cap) = cw_grow_n_;                            \
		}                                                      \
	} while (0)

/* ---- cw_buf: a capped, NUL-terminated byte buffer ---- */

/*
 * `ptr` is always a valid NUL-terminated string (the empty string before
 * the first write), `len` excludes the NUL. `max` is the most bytes the
 * buffer may hold (0 means SIZE_MAX/2); an append past it fails with
 * CW_ETOOBIG and leaves the buffer as it was.
 */
struct cw_buf {
	char *ptr;
	size_t len;
	size_t cap;
	size_t max;
};
/*
 * Caps. A buffer that receives outside input (a file, the network,
 * standard input, a store blob, text a user typed) has a maximum: start
 * it with CW_BUF_INIT_MAX(cap) or cw_buf_init(), or fill it with a reader
 * that sets one (cw_file_read, the store's loaders, the fetch engine), and
 * report CW_ETOOBIG naming the input. CW_BUF_INIT (no maximum) is for
 * buffers built from data already bounded: our own constants, or an input
 * that was capped where it came in (output that is at most a constant
 * factor of it); a comment says so where that is not obvious. The readers
 * and their caps are listed in docs/internals/layout.md, and
 * scripts/check-layout fails on a raw read anywhere else.
 *
 * The caps of the kinds of outside input that have no cap of their own
 * module. Generous on purpose: the largest file in the test corpus
 * (../shared) is 5 MB, its largest document under 2 MB.
 */
#define CW_MAX_DOCUMENT (64u << 20) /* one document's bytes, as read */
#define CW_MAX_DATA_FILE (4u << 20) /* one of our data or settings files */

#define CW_BUF_INIT           \
	{                     \
		NULL, 0, 0, 0 \
	}
#define CW_BUF_INIT_MAX(max)      \
	{                         \
		NULL, 0, 0, (max) \
	}

void cw_buf_init(struct cw_buf *b, size_t max);
/* Free the memory and reset to empty; `max` is kept. */
void cw_buf_release(struct cw_buf *b);
/* Empty the buffer but keep its memory. */
void cw_buf_clear(struct cw_buf *b);
/* Take the string; the buffer is empty afterwards. Never NULL. */
char *cw_buf_detach(struct cw_buf *b, size_t *len);
int cw_buf_add(struct cw_buf *b, const void *data, size_t n);
int cw_buf_adds(struct cw_buf *b, const char *s);
int cw_buf_addc(struct cw_buf *b, char c);
int cw_buf_addf(struct cw_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Make room for `n` more bytes; CW_ETOOBIG past max. */
int cw_buf_grow(struct cw_buf *b, size_t n);
/* Shorten to `len` bytes (no-op if already shorter). */
void cw_buf_truncate(struct cw_buf *b, size_t len);
/* Borrowed string: the buffer's bytes, or "" before any write. */
const char *cw_buf_str(const struct cw_buf *b);

/* ---- cw_strv: a vector of owned strings ---- */

struct cw_strv {
	char **v;
	size_t n;
	size_t cap;
};
#define CW_STRV_INIT       \
	{                  \
		NULL, 0, 0 \
	}
void cw_strv_push(struct cw_strv *sv, const char *s); /* copies s */
void cw_strv_take(struct cw_strv *sv, char *s);	      /* owns s */
void cw_strv_pushf(struct cw_strv *sv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cw_strv_release(struct cw_strv *sv);

/* ---- hashing ---- */

/*
 * FNV-1a, 64 bit (Fowler, Noll, Vo; the parameters of
 * http://www.isthe.com/chongo/tech/comp/fnv/). Fast and simple, with weak
 * low bits for short keys: a table indexed by its low bits should pass the
 * result through cw_mix64() or accept some clustering.
 *
 * The bits are part of stored data: the classifier hashes feature names
 * with cw_mix64(cw_fnv1a64_from(CW_FNV1A64_OFFSET ^ seed, ...)), and its
 * model file depends on them. Never change these functions.
 */
#define CW_FNV1A64_OFFSET 0xcbf29ce484222325ull
#define CW_FNV1A64_PRIME 0x100000001b3ull

/* FNV-1a of data[0..len) continuing from state `h` (the offset basis, or
 * a previous result to hash several pieces as one). */
static inline uint64_t cw_fnv1a64_from(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= CW_FNV1A64_PRIME;
	}
	return h;
}

/* Sort n 64-bit keys ascending (sort.c): no callback, for hot paths. */
void cw_sort_u64(uint64_t *v, size_t n);
/* Sort, then drop repeats; returns how many distinct keys remain. */
size_t cw_sort_unique_u64(uint64_t *v, size_t n);

/* FNV-1a of data[0..len) from the standard offset basis. */
static inline uint64_t cw_fnv1a64(const void *data, size_t len)
{
	return cw_fnv1a64_from(CW_FNV1A64_OFFSET, data, len);
}

/* FNV-1a of data[0..len) with ASCII A-Z folded to a-z first (other bytes,
 * UTF-8 included, as they are), for case-insensitive keys. */
static inline uint64_t cw_fnv1a64_fold(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = CW_FNV1A64_OFFSET;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h ^= c;
		h *= CW_FNV1A64_PRIME;
	}
	return h;
}

/*
 * The splitmix64 finaliser (Steele, Lea, Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014; the constants of
 * Vigna's splitmix64.c): a bijective mix of all 64 bits.
 */
static inline uint64_t cw_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * splitmix64: advance `*state` by the golden-ratio increment and return
 * the mixed value. A fixed seed gives a fixed sequence on every platform
 * (training and embedding rely on that to be reproducible). Not for
 * secrets.
 */
static inline uint64_t cw_splitmix64(uint64_t *state)
{
	return cw_mix64(*state += 0x9e3779b97f4a7c15ull);
}

/*
 * Hex digits of data[0..n): out must hold 2 * n + 1 bytes and is
 * NUL-terminated. cw_hex_encode writes lower case (hashes, ids),
 * cw_hex_encode_upper upper case (percent-encoding, RFC 3986 2.1).
 */
void cw_hex_encode(char *out, const void *data, size_t n);
void cw_hex_encode_upper(char *out, const void *data, size_t n);

#define CW_SHA256_HEX 65 /* 64 hex digits and the NUL */
void cw_sha256_hex(const void *data, size_t len, char out[CW_SHA256_HEX]);
void cw_sha256(const void *data, size_t len, unsigned char out[32]);
/* n bytes from the kernel's random generator (getrandom(2)): keys,
 * nonces, tokens. CW_ERROR when it has none to give. */
int cw_random_bytes(void *out, size_t n);
/* HMAC-SHA256 of data with key, as lower-case hex */
void cw_hmac_sha256_hex(const void *key, size_t keylen, const void *data,
			size_t len, char out[CW_SHA256_HEX]);

/* ---- files ---- */

/*
 * Read the whole file at `path` into `out` (which must be initialised;
 * its max is raised to `max` if 0). Fails with CW_ETOOBIG when the file is
 * larger than `max`, CW_ENOTFOUND when it does not exist, CW_EIO otherwise;
 * the message names the path.
 */
int cw_file_read(struct cw_buf *out, const char *path, size_t max,
		 struct cw_err *err);
/*
 * Write `data` to `path` atomically (temporary file, fsync, rename), so a
 * crash leaves either the old or the new content.
 */
int cw_file_write_atomic(const char *path, const void *data, size_t len,
			 struct cw_err *err);
/*
 * Create `path` with `data` and permissions `mode` (0600 for a secret),
 * whole or not at all: CW_EEXISTS when it exists, never replaced.
 */
int cw_file_write_new(const char *path, const void *data, size_t len,
		      unsigned mode, struct cw_err *err);
/* rm -r, best effort (cleaning up after a failure already reported) */
void cw_remove_tree(const char *path);
/* mkdir -p */
int cw_mkdir_p(const char *path, struct cw_err *err);
bool cw_file_exists(const char *path);
bool cw_dir_exists(const char *path);

/* ---- secrets (seal.c) ---- */

/*
 * Secrets kept at rest (webhook keys): sealed with AES-256-GCM under a
 * 32-byte key kept in a file of mode 0600. A sealed value is text
 * ("cw1:" and base64); anything else is a value from before sealing.
 */
#define CW_SEAL_KEY 32
/* Read the key file; with `create`, make one when there is none. */
int cw_seal_key_load(const char *path, bool create,
		     unsigned char key[CW_SEAL_KEY], struct cw_err *err);
/* Append the sealed form of `plain` to `out`. */
int cw_seal(const unsigned char key[CW_SEAL_KEY], const char *plain,
	    struct cw_buf *out, struct cw_err *err);
/* *out: the secret (free it); CW_EINVAL when it does not open. */
int cw_unseal(const unsigned char key[CW_SEAL_KEY], const char *sealed,
	      char **out, struct cw_err *err);
bool cw_sealed(const char *s);
/* Replace the password of every "scheme://user:password@" in s with
 * "***", in place (s only gets shorter or stays). */
void cw_redact_credentials(char *s);

/* ---- HTML ---- */

/*
 * Append s[0..n) as HTML text or attribute value: & < > " ' escaped,
 * each invalid UTF-8 sequence replaced by U+FFFD, control characters other
 * than tab and newline dropped. The one escaper of every page, email and
 * feed the project writes.
 */
void cw_html_escape(struct cw_buf *out, const char *s, size_t n);

/* ---- UTF-8 ---- */

/* True if `s[0..len)` is valid UTF-8 (no overlongs, no surrogates). */
bool cw_utf8_valid(const char *s, size_t len);
/*
 * Append `s[0..len)` to `out`, replacing each invalid sequence with U+FFFD
 * and dropping NUL bytes. Returns the number of replacements, or a negative
 * cw_rc if `out` hit its maximum.
 */
long cw_utf8_sanitize(struct cw_buf *out, const char *s, size_t len);
/*
 * The invalid sequences of `s[0..len)` that cw_utf8_sanitize() would
 * replace: their number, and in *first (optional) the byte offset of the
 * first one (len when there is none). NUL bytes are not counted.
 */
size_t cw_utf8_scan(const char *s, size_t len, size_t *first);
/*
 * Decode one code point at `s` (at most `len` bytes). Returns its length in
 * bytes (1 for an invalid byte, with *cp = 0xFFFD), 0 if len is 0.
 */
size_t cw_utf8_decode(const char *s, size_t len, uint32_t *cp);
/*
 * The largest offset in [from, at] that is not inside a UTF-8 sequence:
 * `at` moved back over continuation bytes (10xxxxxx), stopping at `from`.
 * Cutting text[0..result) never splits a character. `text` must hold at
 * least at + 1 bytes.
 */
size_t cw_utf8_floor(const char *text, size_t from, size_t at);
/* Append the UTF-8 encoding of `cp` to `out`. */
int cw_utf8_encode(struct cw_buf *out, uint32_t cp);
/*
 * Convert `len` bytes in `charset` (an IANA name such as "windows-1252";
 * NULL or "" means UTF-8) to valid UTF-8 appended to `out`, with iconv.
 * Unknown charsets fail with CW_EUNSUPPORTED naming the charset.
 */
int cw_utf8_from_charset(struct cw_buf *out, const char *s, size_t len,
			 const char *charset, struct cw_err *err);

/* ---- time ---- */

#define CW_TIME_ISO 32
/* Format `t` as "2025-07-31T12:00:00Z" (UTC). */
void cw_time_iso(time_t t, char out[CW_TIME_ISO]);
/* Now, as above. */
void cw_time_now_iso(char out[CW_TIME_ISO]);
/*
 * Monotonic clock (CLOCK_MONOTONIC, unaffected by changes of the wall
 * clock), for deadlines and durations only: milliseconds, and seconds
 * with fractions. The origin is arbitrary.
 */
long cw_time_mono_ms(void);
double cw_time_mono_s(void);
/*
 * Parse an ISO 8601 date or date-time ("2025-07-31", "2025-07-31T10:00:00Z",
 * "2025-07-31T10:00:00+01:00", "2025-07-31T10:00:00.123Z") into UTC seconds.
 * Returns CW_OK or CW_EINVAL, also for a day the month does not have
 * ("2025-02-30", "2025-04-31", "2023-02-29").
 */
int cw_time_parse_iso(const char *s, time_t *out);
/* Is day `d` of month `mo` (1-12) of year `y` a day of the Gregorian
 * calendar? (2024-02-29 is, 2025-02-29 is not.) */
bool cw_time_valid_date(int y, int mo, int d);
/* The time of a UTC calendar date and time of day (timegm). */
time_t cw_time_utc(int y, int mo, int d, int h, int mi, int se);
/* `n` decimal digits at `s` into *out; false when one is not a digit. */
bool cw_parse_digits(const char *s, int n, int *out);

/* ---- small string helpers ---- */

bool cw_str_startswith(const char *s, const char *prefix);
bool cw_str_endswith(const char *s, const char *suffix);
/* ASCII case-insensitive comparison of n bytes */
int cw_strncasecmp_ascii(const char *a, const char *b, size_t n);
/*
 * Levenshtein distance between the bytes of `a` and `b` (insertions,
 * deletions and substitutions of one byte each), or `cap` + 1 when it is
 * over `cap` or a string is longer than 256 bytes. For "did you mean"
 * hints over short names; O(len(a) * len(b)) time, no allocation.
 */
size_t cw_str_distance(const char *a, const char *b, size_t cap);
/*
 * Parse a decimal integer in [min, max] from the whole of `s`.
 * Returns CW_OK or CW_EINVAL.
 */
int cw_parse_long(const char *s, long min, long max, long *out);

#include "banned.h"
#endif
