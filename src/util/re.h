#ifndef CW_RE_H
#define CW_RE_H
/*
 * A PCRE2 pattern compiled when it is loaded, which checks it, and
 * JIT-compiled only once it has run over CW_RE_JIT_AFTER bytes of text.
 * The JIT compile of every pattern of the diff's rules cost a single
 * diff-files call more than all its matching, and the taxonomy's
 * hundreds of patterns more than that: a pattern that runs over little
 * text is cheaper interpreted, and one that runs over a whole batch gets
 * its JIT code after its first few documents. The JIT code is made on a
 * copy and published once (atomically): rules and taxonomy are shared by
 * the web server's threads, each running patterns while another may
 * cross the threshold. Both match the same.
 */
#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#define CW_RE_JIT_AFTER (256u * 1024)

struct cw_re;

/* Compile `pattern` with PCRE2 `options`; NULL on a bad pattern, with
 * the PCRE2 error code and offset. */
struct cw_re *cw_re_new(const char *pattern, uint32_t options, int *ec,
			PCRE2_SIZE *off);
/* The code to run over `len` bytes (the JIT copy once there is one). */
const pcre2_code *cw_re_code(struct cw_re *re, size_t len);
void cw_re_free(struct cw_re *re); /* NULL is a no-op */

#endif
