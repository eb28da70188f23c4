/*
 * answer: the two kinds of answer every handler ends with besides a page:
 * JSON, and an error (a page, or a JSON object under /api/).
 */
#include <stdarg.h>

#include "http_int.h"

json_t *api_str(const char *s)
{
	struct cw_buf b = CW_BUF_INIT;
	json_t *j;

	if (!s)
		return json_null();
	cw_utf8_sanitize(&b, s, strlen(s));
	j = json_stringn(b.ptr ? b.ptr : "", b.len);
	cw_buf_release(&b);
	return j;
}

void api_json(struct http_req *r, unsigned status, json_t *j)
{
	char *s;

	r->status = status;
	r->ctype = "application/json";
	cw_buf_clear(&r->out);
	s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
				      JSON_REAL_PRECISION(15))
	      : NULL;
	cw_buf_adds(&r->out, s ? s : "null");
	free(s);
	json_decref(j);
}

/* ---- errors ---- */

static bool wants_json(const struct http_req *r)
{
	return r->nseg >= 1 && !strcmp(r->seg[0], "api");
}

void http_error(struct http_req *r, unsigned status, const char *fmt, ...)
{
	char msg[CW_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	va_end(ap);
	cw_buf_clear(&r->out);
	r->status = status;
	r->cache = HTTP_CACHE_NONE;
	r->last_modified = 0;
	if (wants_json(r)) {
		api_json(r, status,
			 json_pack("{s:o,s:i}", "error", api_str(msg), "status",
				   (int)status));
		return;
	}
	page_begin(r,
		   status == 404   ? "Not found"
		   : status == 400 ? "Bad request"
				   : "Error",
		   NULL);
	html_f(&r->out,
	       "<h1>%s</h1>\n<p class=\"error\">%s</p>\n"
	       "<p><a href=\"%s/\">Back to the dashboard</a></p>\n",
	       status == 404   ? "Not found"
	       : status == 400 ? "Bad request"
	       : status == 405 ? "Method not allowed"
			       : "Something went wrong",
	       msg, r->srv->prefix);
	page_end(r);
}

void http_fail(struct http_req *r, const struct cw_err *err)
{
	const char *msg = err->msg[0] ? err->msg : cw_rc_name(err->rc);

	http_error(r,
		   err->rc == CW_ENOTFOUND ? 404
		   : err->rc == CW_EINVAL  ? 400
					   : 500,
		   "%s", msg);
}
