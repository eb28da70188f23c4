#include "util.h"

#define BUF_DEFAULT_MAX (SIZE_MAX / 2)

void cw_buf_init(struct cw_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void cw_buf_release(struct cw_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

void cw_buf_clear(struct cw_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

char *cw_buf_detach(struct cw_buf *b, size_t *len)
{
	char *p = b->ptr ? b->ptr : cw_strdup("");

	if (len)
		*len = b->len;
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

int cw_buf_grow(struct cw_buf *b, size_t n)
{
	size_t max = b->max ? b->max : BUF_DEFAULT_MAX;
	size_t need, cap;

	/* overflow-checked: len + n + 1 must fit, and len + n within max */
	if (n > max || b->len > max - n)
		return CW_ETOOBIG;
	need = b->len + n + 1;
	if (need <= b->cap)
		return CW_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->ptr = cw_realloc(b->ptr, cap);
	if (b->cap == 0)
		b->ptr[0] = '\0';
	b->cap = cap;
	CW_ASSERT(b->len + n < b->cap);
	return CW_OK;
}

int cw_buf_add(struct cw_buf *b, const void *data, size_t n)
{
	int rc = cw_buf_grow(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->ptr + b->len, data, n);
	b->len += n;
	CW_ASSERT(b->len < b->cap);
	b->ptr[b->len] = '\0';
	return CW_OK;
}

int cw_buf_adds(struct cw_buf *b, const char *s)
{
	return cw_buf_add(b, s, strlen(s));
}

int cw_buf_addc(struct cw_buf *b, char c)
{
	return cw_buf_add(b, &c, 1);
}

int cw_buf_addf(struct cw_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return CW_EINVAL;
	rc = cw_buf_grow(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	CW_ASSERT(b->len < b->cap && b->ptr[b->len] == '\0');
	return CW_OK;
}

void cw_buf_truncate(struct cw_buf *b, size_t len)
{
	CW_ASSERT(b->len == 0 || b->len < b->cap);
	if (len < b->len) {
		b->len = len;
		b->ptr[len] = '\0';
	}
}

const char *cw_buf_str(const struct cw_buf *b)
{
	return b->ptr ? b->ptr : "";
}
