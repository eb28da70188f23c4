/*
 * html: everything a page prints goes through here. html_f() is the one
 * way to put a value into markup: its %s escapes (cw_html_escape), its %u
 * percent-encodes a path segment and escapes it, and only %S passes
 * markup that was itself made here. The page frame, the stylesheet and
 * the error pages live here too.
 */
#include <assert.h>
#include <stdarg.h>

#include "http_int.h"

void html_esc(struct cw_buf *b, const char *s)
{
	cw_html_escape(b, s ? s : "", s ? strlen(s) : 0);
}

void html_escn(struct cw_buf *b, const char *s, size_t n)
{
	cw_html_escape(b, s ? s : "", s ? n : 0);
}

void url_seg(struct cw_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;
	     p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~') {
			cw_buf_addc(b, (char)*p);
		} else {
			cw_buf_addc(b, '%');
			cw_buf_addc(b, hex[*p >> 4]);
			cw_buf_addc(b, hex[*p & 15]);
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool url_decode(struct cw_buf *out, const char *s, size_t n, bool plus)
{
	size_t start = out->len;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return false;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c == '\0' || cw_buf_addc(out, c) != CW_OK)
			return false;
	}
	return cw_utf8_valid(out->ptr ? out->ptr + start : "",
			     out->len - start);
}

void html_f(struct cw_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (const char *p = fmt; *p; p++) {
		const char *q = strchr(p, '%');
		if (!q) {
			cw_buf_adds(b, p);
			break;
		}
		cw_buf_add(b, p, (size_t)(q - p));
		p = q + 1;
		switch (*p) {
		case 's':
			html_esc(b, va_arg(ap, const char *));
			break;
		case 'S':
			cw_buf_adds(b, va_arg(ap, const char *));
			break;
		case 'u': {
			struct cw_buf u = CW_BUF_INIT;
			url_seg(&u, va_arg(ap, const char *));
			html_esc(b, cw_buf_str(&u));
			cw_buf_release(&u);
			break;
		}
		case 'd':
			cw_buf_addf(b, "%d", va_arg(ap, int));
			break;
		case 'z':
			/* %zu */
			cw_buf_addf(b, "%zu", va_arg(ap, size_t));
			p++;
			break;
		case 'l':
			if (p[1] == 'l') {
				cw_buf_addf(b, "%lld", va_arg(ap, long long));
				p += 2;
			} else {
				cw_buf_addf(b, "%ld", va_arg(ap, long));
				p++;
			}
			break;
		case '%':
			cw_buf_addc(b, '%');
			break;
		default:
			assert(!"html_f: unknown conversion");
			va_end(ap);
			return;
		}
	}
	va_end(ap);
}

void html_doc_href(struct cw_buf *b, const struct http_req *r,
		   const char *service, const char *type)
{
	html_f(b, "%s/services/%u/%u", r->srv->prefix, service, type);
}

/* ---- the frame ---- */

void page_begin(struct http_req *r, const char *title, const char *crumbs)
{
	const char *pre = r->srv->prefix;

	r->ctype = "text/html; charset=utf-8";
	html_f(&r->out,
	       "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	       "<meta charset=\"utf-8\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, "
	       "initial-scale=1\">\n"
	       "<meta name=\"color-scheme\" content=\"light dark\">\n"
	       "<title>%s · clausewatch</title>\n"
	       "<link rel=\"stylesheet\" href=\"%s/static/style.css\">\n"
	       "<link rel=\"alternate\" type=\"application/atom+xml\" "
	       "title=\"Changes\" href=\"%s/feed\">\n"
	       "</head>\n<body>\n"
	       "<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
	       "<header class=\"site\"><nav aria-label=\"Site\">"
	       "<a class=\"brand\" href=\"%s/\">clausewatch</a> "
	       "<a href=\"%s/changes\">Changes</a> "
	       "<a href=\"%s/search\">Search</a> "
	       "<a href=\"%s/watches\">Watches</a> "
	       "<a href=\"%s/status\">Status</a> "
	       "<a href=\"%s/api/v1/openapi.json\">API</a>"
	       "</nav>\n"
	       "<form class=\"qs\" role=\"search\" action=\"%s/search\" "
	       "method=\"get\"><label for=\"qs-q\">Search provisions</label> "
	       "<input id=\"qs-q\" type=\"search\" name=\"q\"> "
	       "<button type=\"submit\">Search</button></form>"
	       "</header>\n",
	       title, pre, pre, pre, pre, pre, pre, pre, pre, pre);
	if (crumbs)
		html_f(&r->out,
		       "<nav class=\"crumbs\" aria-label=\"Breadcrumb\">%S"
		       "</nav>\n",
		       crumbs);
	cw_buf_adds(&r->out, "<main id=\"main\">\n");
}

void page_end(struct http_req *r)
{
	cw_buf_adds(&r->out, "</main>\n<footer><p>clausewatch: every version "
			     "archived, "
			     "every change explained. Analyses are aids to "
			     "reading, "
			     "not legal "
			     "advice.</p></footer>\n</body>\n</html>\n");
}

/* ---- the stylesheet ---- */

/* Contrast: every text colour below is at least 4.5:1 on its background
 * (WCAG AA), in both schemes. */
const char http_stylesheet[] =
	":root{--bg:#fff;--fg:#1b1b1b;--muted:#555;--line:#d0d0d0;"
	"--link:#0645ad;--panel:#f5f5f2;--del:#ffe3e3;--ins:#dcf5dc;"
	"--delfg:#7a0000;--insfg:#004d00;--warn:#8a4b00;--ok:#1d5e20}\n"
	"@media (prefers-color-scheme:dark){:root{--bg:#15171a;--fg:#e6e6e6;"
	"--muted:#a9adb3;--line:#3a3d42;--link:#8ab4f8;--panel:#1f2226;"
	"--del:#4a1f1f;--ins:#1f3d22;--delfg:#ffc9c9;--insfg:#c4f0c4;"
	"--warn:#ffc46b;--ok:#9fe0a2}}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:var(--bg);color:var(--fg);"
	"font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif}\n"
	"a{color:var(--link)}\n"
	"a:focus,button:focus,input:focus,select:focus{outline:2px solid "
	"var(--link);outline-offset:2px}\n"
	".skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;"
	"background:var(--bg);padding:4px}\n"
	"header.site{display:flex;flex-wrap:wrap;gap:1em;align-items:center;"
	"justify-content:space-between;padding:.5em 1em;"
	"border-bottom:1px solid var(--line);background:var(--panel)}\n"
	"header.site nav a{margin-right:.8em}\n"
	".brand{font-weight:700;text-decoration:none}\n"
	".qs label,.visually-hidden{position:absolute;width:1px;height:1px;"
	"overflow:hidden;clip:rect(0 0 0 0)}\n"
	"main{max-width:72em;margin:0 auto;padding:1em}\n"
	".crumbs{max-width:72em;margin:0 auto;padding:.5em 1em 0;"
	"color:var(--muted)}\n"
	"footer{max-width:72em;margin:2em auto;padding:1em;"
	"border-top:1px solid var(--line);color:var(--muted);"
	"font-size:.9em}\n"
	"h1{font-size:1.6em;margin:.4em 0}h2{font-size:1.25em;margin-top:"
	"1.6em}h3{font-size:1.05em}\n"
	"table{border-collapse:collapse;width:100%}\n"
	"th,td{text-align:left;padding:.3em .5em;border-bottom:1px solid "
	"var(--line);vertical-align:top}\n"
	".muted,.meta{color:var(--muted)}\n"
	".error{color:var(--warn);font-weight:600}\n"
	".badge{display:inline-block;padding:0 .4em;border:1px solid "
	"var(--line);border-radius:.3em;font-size:.85em}\n"
	".substantive{color:var(--warn);border-color:var(--warn)}\n"
	".ok{color:var(--ok)}\n"
	".doc{display:grid;grid-template-columns:minmax(12em,1fr) 3fr;"
	"gap:1.5em}\n"
	"@media (max-width:50em){.doc{grid-template-columns:1fr}}\n"
	".outline ol{padding-left:1.1em;margin:0}.outline{font-size:.92em}\n"
	".provision{border-top:1px solid var(--line);padding:.4em 0}\n"
	".provision p,.text p{white-space:pre-wrap;margin:.3em 0}\n"
	"del{background:var(--del);color:var(--delfg)}\n"
	"ins{background:var(--ins);color:var(--insfg);"
	"text-decoration:none}\n"
	".sbs{display:grid;grid-template-columns:1fr 1fr;gap:1em}\n"
	".panel{background:var(--panel);padding:.6em 1em;"
	"border-radius:.3em}\n"
	"form.inline{display:inline}\n"
	"label{margin-right:.4em}\n"
	"input,select,button{font:inherit;color:inherit;"
	"background:var(--bg);border:1px solid var(--line);"
	"padding:.2em .4em}\n"
	"mark{background:#fff3a8;color:#1b1b1b}\n"
	"details summary{cursor:pointer}\n";
