#include "util.h"

/*
 * Out of memory is not a condition this program recovers from: every
 * caller would only unwind and exit. Input sizes are capped explicitly, so
 * reaching this means the machine is truly out of memory.
 */
/* Never returns: the callers below rely on it, and the compiler knows. */
static void oom(size_t n) __attribute__((noreturn));
static void oom(size_t n)
{
	fprintf(stderr, "clausewatch: out of memory (%zu bytes)\n", n);
	abort();
}

void *cw_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *cw_calloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		oom(count * size);
	return p;
}

void *cw_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

void *cw_reallocarray(void *p, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		oom(SIZE_MAX);
	return cw_realloc(p, count * size);
}

char *cw_strdup(const char *s)
{
	return cw_strndup(s, strlen(s));
}

char *cw_strndup(const char *s, size_t n)
{
	char *p = cw_malloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *cw_asprintf(const char *fmt, ...)
{
	va_list ap, ap2;
	char small[256];
	int n;
	char *p;

	/*
	 * Most results are short: format into a stack buffer first. This also
	 * avoids vsnprintf(NULL, 0, ...), on which gcc 12 with -fPIC and
	 * -fsanitize=undefined reports a spurious "null format string"
	 * (-Wformat-truncation), which stopped the sanitizer build.
	 */
	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	if ((size_t)n < sizeof(small)) {
		va_end(ap2);
		return cw_strndup(small, (size_t)n);
	}
	p = cw_malloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

void cw_strv_push(struct cw_strv *sv, const char *s)
{
	cw_strv_take(sv, cw_strdup(s));
}

void cw_strv_take(struct cw_strv *sv, char *s)
{
	CW_GROW(sv->v, sv->cap, sv->n + 1);
	sv->v[sv->n++] = s;
}

void cw_strv_pushf(struct cw_strv *sv, const char *fmt, ...)
{
	va_list ap;
	char msg[2048];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cw_strv_push(sv, msg);
}

void cw_strv_release(struct cw_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}
