#include "util.h"

const char *cw_rc_name(int rc)
{
	switch (rc) {
	case CW_OK:
		return "CW_OK";
	case CW_ERROR:
		return "CW_ERROR";
	case CW_EINVAL:
		return "CW_EINVAL";
	case CW_EIO:
		return "CW_EIO";
	case CW_ENOTFOUND:
		return "CW_ENOTFOUND";
	case CW_ETOOBIG:
		return "CW_ETOOBIG";
	case CW_EPARSE:
		return "CW_EPARSE";
	case CW_ENET:
		return "CW_ENET";
	case CW_EEMPTY:
		return "CW_EEMPTY";
	case CW_EEXISTS:
		return "CW_EEXISTS";
	case CW_EUNSUPPORTED:
		return "CW_EUNSUPPORTED";
	case CW_ESTORE:
		return "CW_ESTORE";
	case CW_ETIMEOUT:
		return "CW_ETIMEOUT";
	case CW_EBLOCKED:
		return "CW_EBLOCKED";
	case CW_EHTTP:
		return "CW_EHTTP";
	case CW_EUNCHANGED:
		return "CW_EUNCHANGED";
	}
	return "CW_E?";
}

int cw_err_set(struct cw_err *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return rc;
	err->rc = rc;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

int cw_err_prefix(struct cw_err *err, const char *fmt, ...)
{
	char head[CW_ERR_MSG_MAX], old[CW_ERR_MSG_MAX];
	va_list ap;

	if (!err)
		return CW_ERROR;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	/* truncation is acceptable: the message keeps its beginning */
	memcpy(old, err->msg, sizeof(old));
	{
		size_t h = strlen(head), o = strnlen(old, sizeof(old) - 1);
		if (h > sizeof(err->msg) - 1)
			h = sizeof(err->msg) - 1;
		if (o > sizeof(err->msg) - 1 - h)
			o = sizeof(err->msg) - 1 - h;
		memcpy(err->msg, head, h);
		memcpy(err->msg + h, old, o);
		err->msg[h + o] = '\0';
	}
	return err->rc ? err->rc : CW_ERROR;
}

void cw_assert_fail(const char *cond, const char *file, int line,
		    const char *func)
{
	fprintf(stderr, "clausewatch: %s:%d: %s: assertion '%s' failed\n", file,
		line, func, cond);
	abort();
}
