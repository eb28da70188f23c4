/*
 * Patterns compiled at load, JIT-compiled once they have run over enough
 * text (re.h).
 */
#include <stdatomic.h>

#include "re.h"
#include "util.h"

struct cw_re {
	pcre2_code *code;	   /* interpreted */
	_Atomic(pcre2_code *) jit; /* a JIT-compiled copy, once made */
	atomic_size_t ran;	   /* bytes given to the interpreter */
};

struct cw_re *cw_re_new(const char *pattern, uint32_t options, int *ec,
			PCRE2_SIZE *off)
{
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)pattern,
					 PCRE2_ZERO_TERMINATED, options, ec,
					 off, NULL);
	struct cw_re *re;

	if (!code)
		return NULL;
	re = cw_calloc(1, sizeof(*re));
	re->code = code;
	atomic_init(&re->jit, NULL);
	atomic_init(&re->ran, 0);
	return re;
}

const pcre2_code *cw_re_code(struct cw_re *re, size_t len)
{
	pcre2_code *jit = atomic_load_explicit(&re->jit, memory_order_acquire);
	size_t before;

	if (jit)
		return jit;
	before = atomic_fetch_add_explicit(&re->ran, len, memory_order_relaxed);
	/* only the call that crosses the threshold makes the copy */
	if (before < CW_RE_JIT_AFTER && before + len >= CW_RE_JIT_AFTER) {
		jit = pcre2_code_copy(re->code);
		if (!jit)
			cw_assert_fail("pcre2_code_copy", __FILE__, __LINE__,
				       __func__);
		/* JIT is an optimisation; without it the copy is
		 * interpreted as the original is */
		(void)pcre2_jit_compile(jit, PCRE2_JIT_COMPLETE);
		atomic_store_explicit(&re->jit, jit, memory_order_release);
		return jit;
	}
	return re->code;
}

void cw_re_free(struct cw_re *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	pcre2_code_free(atomic_load(&re->jit));
	free(re);
}
