/*
 * request: what a handler reads of a request: its query parameters, its
 * headers, the fields of a posted form, its path split into decoded
 * segments, and the worker's read session.
 */
#include <microhttpd.h>

#include "../diff/diff.h"
#include "http_int.h"

struct cw_view *http_view(struct http_req *r, struct cw_err *err)
{
	struct http_worker *w = r->w;
	int64_t dv = 0, mark = 0;

	if (cw_store_data_version(w->store, &dv, err))
		return NULL;
	if (w->view && w->view_version != dv) {
		/* something was committed: only new versions, changes or
		 * analyses make the session stale (the monitor's checks
		 * commit too) */
		if (cw_store_content_mark(w->store, &mark, err))
			return NULL;
		w->view_version = dv;
		if (mark != w->view_mark) {
			cw_view_free(w->view);
			w->view = NULL;
		}
	}
	if (!w->view) {
		if (cw_store_content_mark(w->store, &mark, err) ||
		    cw_view_new(&w->view, w->store, r->srv->opts->data_dir,
				err))
			return NULL;
		w->view_version = dv;
		w->view_mark = mark;
	}
	return w->view;
}

/* ---- request parts ---- */

static const char *own(struct http_req *r, struct cw_buf *b)
{
	char *s = cw_buf_detach(b, NULL);

	if (!s)
		s = cw_strdup("");
	cw_strv_take(&r->owned, s);
	return s;
}

const char *http_arg(struct http_req *r, const char *name)
{
	const char *v = MHD_lookup_connection_value(
		r->conn, MHD_GET_ARGUMENT_KIND, name);
	struct cw_buf b = CW_BUF_INIT_MAX(HTTP_BODY_MAX);

	if (!v)
		return NULL;
	/* '+' was made a space already; what is left is %XX */
	if (!url_decode(&b, v, strlen(v), false)) {
		cw_buf_release(&b);
		return NULL;
	}
	return own(r, &b);
}

const char *http_header(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_form(struct http_req *r, const char *name)
{
	const char *p = r->body, *end = r->body ? r->body + r->body_len : NULL;
	size_t nl = strlen(name);

	while (p && p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *fe = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(fe - p));

		if (eq && (size_t)(eq - p) == nl && !memcmp(p, name, nl)) {
			struct cw_buf b = CW_BUF_INIT_MAX(HTTP_BODY_MAX);
			if (!url_decode(&b, eq + 1, (size_t)(fe - eq - 1),
					true)) {
				cw_buf_release(&b);
				return NULL;
			}
			return own(r, &b);
		}
		p = amp ? amp + 1 : NULL;
	}
	return NULL;
}

/* Split the raw path into decoded segments; false for a path no route
 * can match (too many or too long segments, a bad escape). */
bool http_split_path(struct http_req *r)
{
	const char *p = r->path;

	while (*p == '/')
		p++;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		struct cw_buf b = CW_BUF_INIT_MAX(HTTP_SEGMENT_MAX);

		if (r->nseg == HTTP_MAX_SEGMENTS)
			return false;
		if (!url_decode(&b, p, n, false)) {
			cw_buf_release(&b);
			return false;
		}
		r->seg[r->nseg++] = (char *)own(r, &b);
		if (!e)
			break;
		p = e + 1;
	}
	/* "/services/" is "/services" */
	if (r->nseg && !r->seg[r->nseg - 1][0])
		r->nseg--;
	return true;
}

bool http_arg_time(struct http_req *r, const char *name, bool end_of_day,
		   char out[CW_TIME_ISO], const char **set)
{
	const char *v = http_arg(r, name);
	time_t t;

	*set = NULL;
	if (!v || !*v)
		return true;
	if (cw_time_parse_iso(v, &t)) {
		http_error(r, 400, "%s '%s': expected an ISO 8601 date", name,
			   v);
		return false;
	}
	cw_time_iso(t + (end_of_day && strlen(v) == 10 ? 86399 : 0), out);
	*set = out;
	return true;
}

bool http_arg_materiality(struct http_req *r, const char *name,
			  const char **out)
{
	const char *v = http_arg(r, name);

	*out = v && *v ? v : NULL;
	if (*out && cw_diff_materiality_parse(*out) < 0) {
		http_error(r, 400,
			   "%s '%s': expected cosmetic, editorial or "
			   "substantive",
			   name, *out);
		return false;
	}
	return true;
}
