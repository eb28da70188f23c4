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
 * - SHA-256, files, UTF-8 and time helpers.
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
	CW_ERROR = -1,       /* unspecified failure; the message says more */
	CW_EINVAL = -2,      /* bad argument or malformed input */
	CW_EIO = -3,         /* read/write failure of a file or socket */
	CW_ENOTFOUND = -4,   /* no such service, document, version, file */
	CW_ETOOBIG = -5,     /* a size, depth or count limit was hit */
	CW_EPARSE = -6,      /* input could not be parsed (JSON, HTML, CSS) */
	CW_ENET = -7,        /* network failure: DNS, connect, TLS, HTTP */
	CW_EEMPTY = -8,      /* extraction produced nothing (selector missed) */
	CW_EEXISTS = -9,     /* already present */
	CW_EUNSUPPORTED = -10, /* a feature we do not handle (named) */
	CW_ESTORE = -11,     /* the store failed (SQLite/PostgreSQL message) */
	CW_ETIMEOUT = -12,   /* a time limit was hit */
	CW_EBLOCKED = -13,   /* refused by policy (private address, ...) */
	CW_EHTTP = -14,      /* the server answered with an HTTP error status */
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
#define CW_ERR_INIT { 0, { 0 } }

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

/* Grow `*items` (of `*cap` elements) to hold at least `need` elements. */
#define CW_GROW(items, cap, need)                                              \
	do {                                                                   \
		if ((need) > (cap)) {                                          \
			size_t cw_grow_n_ = (cap) ? (cap) * 2 : 8;             \
			while (cw_grow_n_ < (need))                            \
				cw_grow_n_ *= 2;                               \
			(items) = cw_reallocarray((items), cw_grow_n_,         \
						  sizeof(*(items)));           \
			(cap) = cw_grow_n_;                                    \
		}                                                              \
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
#define CW_BUF_INIT { NULL, 0, 0, 0 }

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
#define CW_STRV_INIT { NULL, 0, 0 }
void cw_strv_push(struct cw_strv *sv, const char *s);     /* copies s */
void cw_strv_take(struct cw_strv *sv, char *s);           /* owns s */
void cw_strv_pushf(struct cw_strv *sv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cw_strv_release(struct cw_strv *sv);

/* ---- hashing ---- */

#define CW_SHA256_HEX 65 /* 64 hex digits and the NUL */
void cw_sha256_hex(const void *data, size_t len, char out[CW_SHA256_HEX]);
void cw_sha256(const void *data, size_t len, unsigned char out[32]);
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
/* mkdir -p */
int cw_mkdir_p(const char *path, struct cw_err *err);
bool cw_file_exists(const char *path);
bool cw_dir_exists(const char *path);

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
 * Decode one code point at `s` (at most `len` bytes). Returns its length in
 * bytes (1 for an invalid byte, with *cp = 0xFFFD), 0 if len is 0.
 */
size_t cw_utf8_decode(const char *s, size_t len, uint32_t *cp);
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
 * Parse an ISO 8601 date or date-time ("2025-07-31", "2025-07-31T10:00:00Z",
 * "2025-07-31T10:00:00+01:00", "2025-07-31T10:00:00.123Z") into UTC seconds.
 * Returns CW_OK or CW_EINVAL.
 */
int cw_time_parse_iso(const char *s, time_t *out);

/* ---- small string helpers ---- */

bool cw_str_startswith(const char *s, const char *prefix);
bool cw_str_endswith(const char *s, const char *suffix);
/* ASCII case-insensitive comparison of n bytes */
int cw_strncasecmp_ascii(const char *a, const char *b, size_t n);
/*
 * Parse a decimal integer in [min, max] from the whole of `s`.
 * Returns CW_OK or CW_EINVAL.
 */
int cw_parse_long(const char *s, long min, long max, long *out);

#include "banned.h"
#endif
