/*
 * validate: Open Terms Archive's rules for declaration and history files
 * (decl.h, "validation"), applied to the JSON as written.
 *
 * OTA's schema makes a document one of three shapes, exactly one of which
 * must match (JSON Schema's oneOf): a single page {fetch, select, remove?,
 * filter?, executeClientScripts?}, a combined document {combine: [page,
 * ...], and shared select, remove, filter, executeClientScripts}, or a PDF
 * {fetch} whose URL matches the PDF pattern. No key outside its shape is
 * allowed. The three cannot overlap (only the combined one has `combine`,
 * only the single page `select`, and the PDF nothing else), so we pick the
 * shape from the keys present and report what that shape forbids or
 * misses, which names the real mistake instead of three failed branches:
 * a page without `combine` or `select` is read as a PDF, and if its URL is
 * not a PDF's, what it misses is `select`. History entries have the same
 * shapes with `validUntil` beside them, required for a single page or a
 * PDF (the schema leaves it optional for a combined entry).
 *
 * Every problem is reported, not the first only (as OTA's validator runs
 * its schema with allErrors), each with its JSON path.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>

#include "decl.h"
#include "decl_int.h"
#include "../util/json.h"

/* A service's X.filters.js, read for the names of its filters; the
 * largest real one is about 6 KiB. */
#define MAX_FILTERS_JS (1u << 20)
/* Files of one folder. */
#define MAX_DIR_FILES 100000

struct vctx {
	struct cw_decl_report *r;
	const struct cw_decl_types *types;
	const char *file;
	const char *dir; /* where X.filters.js would be; NULL: not checked */
	char *service;	 /* the service ID, from the file name */
	int filters_js;	 /* -1 not read yet, 0 absent, 1 read */
	struct cw_buf js;
	char path[512];
};

enum shape { SHAPE_PAGE, SHAPE_COMBINE, SHAPE_PDF };

/* ---- the report ---- */

void cw_decl_report_release(struct cw_decl_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].file);
		free(r->v[i].path);
		free(r->v[i].message);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static void report_add(struct cw_decl_report *r, enum cw_decl_severity sev,
		       const char *file, const char *path, const char *msg)
{
	if (r->n == r->alloc) {
		r->alloc = r->alloc ? 2 * r->alloc : 16;
		r->v = cw_realloc(r->v, r->alloc * sizeof(*r->v));
	}
	r->v[r->n++] = (struct cw_decl_problem){
		.severity = sev,
		.file = cw_strdup(file),
		.path = cw_strdup(path),
		.message = cw_strdup(msg),
	};
	if (sev == CW_DECL_ERROR)
		r->errors++;
	else
		r->warnings++;
}

static void problem(struct vctx *c, enum cw_decl_severity sev, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
static void problem(struct vctx *c, enum cw_decl_severity sev, const char *fmt,
		    ...)
{
	char msg[CW_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_add(c->r, sev, c->file, c->path, msg);
}

#define ERR CW_DECL_ERROR
#define WARN CW_DECL_WARNING

static size_t push_key(struct vctx *c, const char *key)
{
	return cw_decl_path_key(c->path, sizeof(c->path), key);
}

static size_t push_index(struct vctx *c, size_t i)
{
	return cw_decl_path_index(c->path, sizeof(c->path), i);
}

static void pop(struct vctx *c, size_t len)
{
	c->path[len] = 0;
}

/* ---- keys ---- */

/* True if `key` is one of the NULL-terminated `set`. */
static bool in_set(const char *key, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(key, *set))
			return true;
	return false;
}

/* `s` in ASCII lower case, cut to out[64]. */
static void lower_copy(const char *s, char out[64])
{
	size_t i;

	for (i = 0; s[i] && i < 63; i++)
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	out[i] = 0;
}

/* An unknown key, with the allowed key it is a slip of, if any. */
static void unknown_key(struct vctx *c, const char *key,
			const char *const *allowed, const char *where)
{
	const char *near = NULL;
	size_t best = 3;
	char x[64], y[64];

	lower_copy(key, x);
	for (const char *const *a = allowed; *a; a++) {
		lower_copy(*a, y);
		size_t d = cw_str_distance(x, y, 2);
		if (d < best) {
			best = d;
			near = *a;
		}
	}
	if (near)
		problem(c, ERR, "unknown property '%s'; did you mean '%s'?",
			key, near);
	else
		problem(c, ERR, "unknown property '%s' (%s)", key, where);
}

/* ---- values ---- */

/* A JavaScript line terminator at s (see cw_decl_url_is_pdf_pattern). */
static bool has_line_break(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == '\n' || *p == '\r' ||
		    (p[0] == 0xe2 && p[1] == 0x80 &&
		     (p[2] == 0xa8 || p[2] == 0xa9)))
			return true;
	return false;
}

/* A string matching ^.+$ as JavaScript reads it: OTA's rule for a CSS
 * selector and for a filter's name. */
static bool check_line(struct vctx *c, json_t *v, const char *what)
{
	if (!json_is_string(v)) {
		problem(c, ERR, "expected %s, got %s", what,
			cw_json_type_name(v));
		return false;
	}
	if (json_string_length(v) == 0) {
		problem(c, ERR, "an empty %s", what + 2 /* "a " */);
		return false;
	}
	if (strlen(json_string_value(v)) != json_string_length(v) ||
	    has_line_break(json_string_value(v))) {
		problem(c, ERR, "%s on more than one line", what);
		return false;
	}
	return true;
}

static bool is_hex(int ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F');
}

/* RFC 3986 unreserved and sub-delims characters, and those of `extra`. */
static bool url_char(int ch, const char *extra)
{
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return true;
	return ch && (strchr("-._~!$&'()*+,;=", ch) || strchr(extra, ch));
}

/*
 * The characters of s[from..to) are those `extra` allows beside the
 * unreserved ones, sub-delims and percent escapes; else the offending
 * byte's offset.
 */
static bool url_part(const char *s, size_t from, size_t to, const char *extra,
		     size_t *bad)
{
	for (size_t i = from; i < to; i++) {
		if (s[i] == '%' && i + 2 < to + 1 && is_hex(s[i + 1]) &&
		    is_hex(s[i + 2])) {
			i += 2;
			continue;
		}
		if (!url_char((unsigned char)s[i], extra)) {
			*bad = i;
			return false;
		}
	}
	return true;
}

/*
 * A fetch URL: an absolute http(s) URL of RFC 3986's characters (OTA's
 * schema: format "uri", checked by ajv-formats on those characters, with
 * any scheme; we fetch only http and https, so another scheme is an
 * error here). Returns true when it is one.
 */
static bool check_url(struct vctx *c, json_t *v)
{
	const char *s;
	size_t len, i, host, end, bad = 0;

	if (!json_is_string(v)) {
		problem(c, ERR, "expected a URL, got %s", cw_json_type_name(v));
		return false;
	}
	s = json_string_value(v);
	len = strlen(s);
	if (len != json_string_length(v) || len == 0) {
		problem(c, ERR, "an empty URL");
		return false;
	}
	for (i = 0; i < len && s[i] != ':' && s[i] != '/'; i++)
		;
	if (i == len || s[i] != ':' || i == 0) {
		problem(c, ERR,
			"'%s' is not an absolute URL (expected https://...)",
			s);
		return false;
	}
	if (!(i == 4 && !cw_strncasecmp_ascii(s, "http", 4)) &&
	    !(i == 5 && !cw_strncasecmp_ascii(s, "https", 5))) {
		problem(c, ERR,
			"'%s': a '%.*s' URL; only http and https URLs are "
			"fetched",
			s, (int)i, s);
		return false;
	}
	if (strncmp(s + i, "://", 3)) {
		problem(c, ERR,
			"'%s' is not an absolute URL (expected '//' after "
			"'%.*s:')",
			s, (int)i, s);
		return false;
	}
	host = i + 3;
	end = host + strcspn(s + host, "/?#");
	/* userinfo@, then the host: a name, an IPv4 address or [IPv6] */
	{
		const char *at = memchr(s + host, '@', end - host);
		size_t h = at ? (size_t)(at - s) + 1 : host;
		size_t hend;
		if (at && !url_part(s, host, h - 1, ":", &bad))
			goto bad_char;
		if (s[h] == '[') {
			const char *close = memchr(s + h, ']', end - h);
			if (!close) {
				problem(c, ERR,
					"'%s': an unclosed '[' in the "
					"host",
					s);
				return false;
			}
			for (size_t k = h + 1; s + k < close; k++)
				if (!is_hex((unsigned char)s[k]) &&
				    s[k] != ':' && s[k] != '.') {
					bad = k;
					goto bad_char;
				}
			hend = (size_t)(close - s) + 1;
		} else {
			hend = h + strcspn(s + h, ":/?#");
			if (hend > end)
				hend = end;
			if (!url_part(s, h, hend, "", &bad))
				goto bad_char;
		}
		if (hend == h) {
			problem(c, ERR, "'%s' has no host", s);
			return false;
		}
		if (hend < end) {
			if (s[hend] != ':') {
				bad = hend;
				goto bad_char;
			}
			for (size_t k = hend + 1; k < end; k++)
				if (s[k] < '0' || s[k] > '9') {
					problem(c, ERR,
						"'%s': the port is not a "
						"number",
						s);
					return false;
				}
		}
	}
	/* path and query, then one fragment */
	{
		const char *hash = strchr(s + end, '#');
		size_t fend = hash ? (size_t)(hash - s) : len;
		if (!url_part(s, end, fend, ":@/?", &bad))
			goto bad_char;
		if (hash && !url_part(s, fend + 1, len, ":@/?", &bad))
			goto bad_char;
	}
	return true;
bad_char:
	if ((unsigned char)s[bad] >= 0x80)
		problem(c, ERR,
			"'%s': a non-ASCII character at byte %zu, which a URL "
			"holds percent-encoded",
			s, bad);
	else if (s[bad] == '%')
		problem(c, ERR, "'%s': '%%' at byte %zu is not a %%XX escape",
			s, bad);
	else
		problem(c, ERR,
			"'%s': '%c' at byte %zu cannot be in a URL "
			"(percent-encode it)",
			s, s[bad], bad);
	return false;
}

/* select or remove: a selector, a range, or an array of them. */
static void check_range(struct vctx *c, json_t *v)
{
	static const char *const starts[] = { "startBefore", "startAfter",
					      NULL };
	static const char *const ends[] = { "endBefore", "endAfter", NULL };
	int n_start = 0, n_end = 0;
	const char *k;
	json_t *x;

	json_object_foreach(v, k, x)
	{
		size_t len = push_key(c, k);
		if (in_set(k, starts) || in_set(k, ends)) {
			n_start += in_set(k, starts);
			n_end += in_set(k, ends);
			check_line(c, x, "a CSS selector");
		} else {
			problem(c, WARN,
				"unknown range key '%s': a range has "
				"startBefore or startAfter, and endBefore or "
				"endAfter (Open Terms Archive ignores others)",
				k);
		}
		pop(c, len);
	}
	if (n_start != 1 || n_end != 1)
		problem(c, ERR,
			"a range needs exactly one of 'startBefore' and "
			"'startAfter' and one of 'endBefore' and 'endAfter'");
}

static void check_selector(struct vctx *c, json_t *v)
{
	if (json_is_object(v))
		check_range(c, v);
	else if (json_is_string(v))
		check_line(c, v, "a CSS selector");
	else
		problem(c, ERR, "expected a CSS selector or a range, got %s",
			cw_json_type_name(v));
}

static void check_selectors(struct vctx *c, json_t *v, bool is_select)
{
	if (!json_is_array(v)) {
		if (json_is_string(v) || json_is_object(v))
			check_selector(c, v);
		else
			problem(c, ERR,
				"expected a CSS selector, a range or an array "
				"of them, got %s",
				cw_json_type_name(v));
		return;
	}
	if (is_select && json_array_size(v) == 0)
		problem(c, WARN, "an empty list, which selects nothing");
	for (size_t i = 0; i < json_array_size(v); i++) {
		size_t len = push_index(c, i);
		check_selector(c, json_array_get(v, i));
		pop(c, len);
	}
}

/*
 * The service's filter files, read once into c->js: X.filters.js, and
 * X.filters.history.js, where OTA finds the earlier versions of a filter
 * that history entries use. False when there is neither.
 */
static bool read_filters_js(struct vctx *c)
{
	static const char *const suffixes[] = { ".filters.js", ".filters."
							       "history.js" };

	if (c->filters_js >= 0)
		return c->filters_js == 1;
	c->filters_js = 0;
	for (size_t i = 0; i < 2; i++) {
		struct cw_buf b = CW_BUF_INIT;
		struct cw_err e = CW_ERR_INIT;
		char *p =
			cw_asprintf("%s/%s%s", c->dir, c->service, suffixes[i]);
		if (cw_file_exists(p) &&
		    cw_file_read(&b, p, MAX_FILTERS_JS, &e) == CW_OK) {
			cw_buf_add(&c->js, b.ptr, b.len);
			cw_buf_add(&c->js, "\n", 1);
			c->filters_js = 1;
		}
		cw_buf_release(&b);
		free(p);
	}
	return c->filters_js == 1;
}

/* True if `word` is in `text` with no identifier character either side. */
static bool has_word(const char *text, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = strstr(text, word); p; p = strstr(p + 1, word)) {
		unsigned char a = p > text ? (unsigned char)p[-1] : ' ';
		unsigned char b = (unsigned char)p[n];
		bool ident_a = a == '_' || a == '$' || (a >= '0' && a <= '9') ||
			       ((a | 32) >= 'a' && (a | 32) <= 'z');
		bool ident_b = b == '_' || b == '$' || (b >= '0' && b <= '9') ||
			       ((b | 32) >= 'a' && (b | 32) <= 'z');
		if (!ident_a && !ident_b)
			return true;
	}
	return false;
}

/* A filter's name: the built-in removeQueryParams, or a function of the
 * service's X.filters.js; OTA skips any other without a word. */
static void check_filter_name(struct vctx *c, const char *name, json_t *param)
{
	if (!strcmp(name, "removeQueryParams")) {
		bool names = json_is_array(param);
		for (size_t i = 0; names && i < json_array_size(param); i++)
			names = json_is_string(json_array_get(param, i));
		if (!param || !names)
			problem(c, WARN,
				"removeQueryParams takes an array of "
				"parameter names");
		return;
	}
	if (!c->dir || !c->service)
		return;
	if (!read_filters_js(c))
		problem(c, WARN,
			"filter '%s' is not built in and there is no "
			"'%s.filters.js' to define it: Open Terms Archive "
			"skips it",
			name, c->service);
	else if (!has_word(cw_buf_str(&c->js), name))
		problem(c, WARN,
			"filter '%s' is not built in and '%s.filters.js' does "
			"not mention it: Open Terms Archive skips it",
			name, c->service);
}

/* filter: names, or one-key objects {name: parameter of any JSON type}. */
static void check_filters(struct vctx *c, json_t *v)
{
	if (!json_is_array(v)) {
		problem(c, ERR, "expected an array of filters, got %s",
			cw_json_type_name(v));
		return;
	}
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *f = json_array_get(v, i);
		size_t len = push_index(c, i);
		if (json_is_string(f)) {
			if (check_line(c, f, "a filter name"))
				check_filter_name(c, json_string_value(f),
						  NULL);
		} else if (json_is_object(f) && json_object_size(f) == 1) {
			void *it = json_object_iter(f);
			check_filter_name(c, json_object_iter_key(it),
					  json_object_iter_value(it));
		} else if (json_is_object(f)) {
			struct cw_buf keys = CW_BUF_INIT;
			const char *k;
			json_t *x;
			json_object_foreach(f, k, x)
			{
				if (keys.len < 200)
					cw_buf_addf(&keys, "%s'%s'",
						    keys.len ? ", " : "", k);
			}
			problem(c, ERR,
				"a filter object has one key, the filter's "
				"name, with its parameter as value; this one "
				"has %zu%s%s%s",
				json_object_size(f), keys.len ? " (" : "",
				cw_buf_str(&keys), keys.len ? ")" : "");
			cw_buf_release(&keys);
		} else {
			problem(c, ERR,
				"expected a filter name or a one-key object "
				"{name: parameter}, got %s",
				cw_json_type_name(f));
		}
		pop(c, len);
	}
}

/*
 * validUntil: a date-time as RFC 3339 writes it, with a time zone (OTA's
 * schema: format "date-time", which ajv-formats checks as below). *ms is
 * the time in milliseconds since the epoch, UTC.
 */
static bool date_time(const char *s, long long *ms)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, se, tzh = 0, tzm = 0, sign = 1;
	long long frac = 0, scale = 1000;
	const char *p = s + 19;

	/* YYYY-MM-DD, one separator (T, t or a space), HH:MM:SS */
	if (strlen(s) < 20 || !cw_parse_digits(s, 4, &y) || s[4] != '-' ||
	    !cw_parse_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !cw_parse_digits(s + 8, 2, &d) ||
	    !(s[10] == 'T' || s[10] == 't' || s[10] == ' ') ||
	    !cw_parse_digits(s + 11, 2, &h) || s[13] != ':' ||
	    !cw_parse_digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !cw_parse_digits(s + 17, 2, &se))
		return false;
	if (mo < 1 || mo > 12 || d < 1)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > days[mo - 1] + (mo == 2 && leap))
		return false;
	if (*p == '.') {
		if (!(p[1] >= '0' && p[1] <= '9'))
			return false;
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	}
	/* the time zone is required: Z, z, +HH, +HHMM or +HH:MM */
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (!cw_parse_digits(p + 1, 2, &tzh))
			return false;
		p += 3;
		if (*p == ':')
			p++;
		if (*p) {
			if (!cw_parse_digits(p, 2, &tzm))
				return false;
			p += 2;
		}
	} else {
		return false;
	}
	if (*p || tzh > 23 || tzm > 59)
		return false;
	if (h > 23 || mi > 59 || se > 59) {
		/* a leap second: 23:59:60 in UTC */
		int umi = mi - tzm * sign;
		int uh = h - tzh * sign - (umi < 0 ? 1 : 0);
		if (se != 60 || !(uh == 23 || uh == -1) ||
		    !(umi == 59 || umi == -1))
			return false;
		se = 59;
	}
	*ms = ((long long)cw_time_utc(y, mo, d, h, mi, se) -
	       sign * (tzh * 3600LL + tzm * 60LL)) *
		      1000 +
	      frac;
	return true;
}

static void check_valid_until(struct vctx *c, json_t *v, long long *ms,
			      bool *ok)
{
	*ok = false;
	if (!json_is_string(v))
		problem(c, ERR, "expected a date-time, got %s",
			cw_json_type_name(v));
	else if (!date_time(json_string_value(v), ms))
		problem(c, ERR,
			"'%s' is not a date-time with a time zone as RFC 3339 "
			"writes it (such as 2023-12-31T23:59:59Z)",
			json_string_value(v));
	else
		*ok = true;
}

static void check_bool(struct vctx *c, json_t *v)
{
	if (!json_is_boolean(v))
		problem(c, ERR, "expected true or false, got %s",
			cw_json_type_name(v));
}

/* ---- documents ---- */

/* OTA's name for a combined page's snapshot: the URL's path segments
 * joined with '-' (its SourceDocument id), written to out[size]. */
static void snapshot_name(const char *url, char *out, size_t size)
{
	const char *p = strstr(url, "://");
	size_t n = 0;

	out[0] = 0;
	if (!p)
		return;
	p += 3;
	p += strcspn(p, "/?#");
	while (*p == '/') {
		size_t seg;
		p++;
		seg = strcspn(p, "/?#");
		if (seg && n + seg + 2 < size) {
			if (n)
				out[n++] = '-';
			memcpy(out + n, p, seg);
			n += seg;
			out[n] = 0;
		}
		p += seg;
	}
}

/* A page's fields as extraction sees them (its own, else the combined
 * document's), as one canonical JSON text, to compare pages. */
static char *effective_source(json_t *src, json_t *doc)
{
	static const char *const keys[] = {
		"fetch", "select", "remove", "filter", "executeClientScripts",
		NULL
	};
	json_t *o = json_object();
	char *s;

	for (const char *const *k = keys; *k; k++) {
		json_t *x = json_object_get(src, *k);
		if (!x && strcmp(*k, "fetch"))
			x = json_object_get(doc, *k);
		if (x)
			json_object_set(o, *k, x);
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

/* A field a page may have (fetch, select, remove, filter,
 * executeClientScripts), checked; false for any other key. */
static bool check_page_field(struct vctx *c, const char *k, json_t *x)
{
	if (!strcmp(k, "fetch"))
		check_url(c, x);
	else if (!strcmp(k, "select") || !strcmp(k, "remove"))
		check_selectors(c, x, k[0] == 's');
	else if (!strcmp(k, "filter"))
		check_filters(c, x);
	else if (!strcmp(k, "executeClientScripts"))
		check_bool(c, x);
	else
		return false;
	return true;
}

static const char *const page_keys[] = {
	"fetch", "select", "remove", "filter", "executeClientScripts", NULL
};

/* One page of a combine. */
static void check_combined_page(struct vctx *c, json_t *src, json_t *doc)
{
	const char *k;
	json_t *x;

	if (!json_is_object(src)) {
		problem(c, ERR, "expected a page object, got %s",
			cw_json_type_name(src));
		return;
	}
	json_object_foreach(src, k, x)
	{
		size_t len = push_key(c, k);
		check_page_field(c, k, x);
		pop(c, len);
		if (!in_set(k, page_keys))
			unknown_key(c, k, page_keys,
				    !strcmp(k, "combine") ? "a combined page "
							    "cannot combine"
							  : "a combined page "
							    "holds fetch, "
							    "select, remove, "
							    "filter and "
							    "executeClientScrip"
							    "ts");
	}
	x = json_object_get(src, "fetch");
	if (!x)
		problem(c, ERR, "missing 'fetch'");
	else if (json_is_string(x) && !json_object_get(src, "select") &&
		 !json_object_get(doc, "select") &&
		 !cw_decl_url_is_pdf_pattern(json_string_value(x)))
		problem(c, WARN,
			"no 'select' here or for the document, and '%s' is "
			"not a PDF: the whole page is kept",
			json_string_value(x));
}

static void check_combine(struct vctx *c, json_t *list, json_t *doc)
{
	size_t n;
	char **canon, **names;

	if (!json_is_array(list)) {
		problem(c, ERR, "expected an array of pages, got %s",
			cw_json_type_name(list));
		return;
	}
	n = json_array_size(list);
	if (n == 0)
		problem(c, WARN, "an empty list: the document has no page");
	canon = cw_calloc(n + 1, sizeof(*canon));
	names = cw_calloc(n + 1, sizeof(*names));
	for (size_t i = 0; i < n; i++) {
		json_t *src = json_array_get(list, i);
		json_t *fetch = json_object_get(src, "fetch");
		size_t len = push_index(c, i);

		check_combined_page(c, src, doc);
		if (json_is_object(src) && json_is_string(fetch)) {
			char name[512];
			canon[i] = effective_source(src, doc);
			snapshot_name(json_string_value(fetch), name,
				      sizeof(name));
			names[i] = cw_strdup(name);
			for (size_t j = 0; j < i; j++) {
				if (canon[j] && !strcmp(canon[j], canon[i])) {
					problem(c, ERR,
						"the same page as combine[%zu]"
						": its text would be in the "
						"document twice",
						j);
					break;
				}
				if (names[j] && !strcmp(names[j], names[i]) &&
				    strcmp(json_string_value(json_object_get(
						   json_array_get(list, j),
						   "fetch")),
					   json_string_value(fetch))) {
					problem(c, WARN,
						"Open Terms Archive files this "
						"page and combine[%zu] under "
						"one snapshot name ('%s', from "
						"the URL's path): one "
						"snapshot replaces the other",
						j, name);
					break;
				}
			}
		}
		pop(c, len);
	}
	for (size_t i = 0; i < n; i++) {
		free(canon[i]);
		free(names[i]);
	}
	free(canon);
	free(names);
}

/*
 * One document of `terms`, or one entry of a history file (`history`);
 * *until and *has_until receive its validUntil.
 */
static void check_doc(struct vctx *c, json_t *v, bool history, long long *until,
		      bool *has_until)
{
	static const char *const combine_keys[] = {
		"combine", "select", "remove", "filter", "executeClientScripts",
		NULL
	};
	static const char *const pdf_keys[] = { "fetch", NULL };
	json_t *fetch, *x;
	enum shape shape;
	const char *const *allowed;
	bool pdf_url;
	const char *k;

	*has_until = false;
	if (!json_is_object(v)) {
		problem(c, ERR, "expected an object, got %s",
			cw_json_type_name(v));
		return;
	}
	fetch = json_object_get(v, "fetch");
	shape = json_object_get(v, "combine")  ? SHAPE_COMBINE
		: json_object_get(v, "select") ? SHAPE_PAGE
					       : SHAPE_PDF;
	/* and validUntil in a history entry, whatever the shape */
	allowed = shape == SHAPE_COMBINE ? combine_keys
		  : shape == SHAPE_PAGE	 ? page_keys
					 : pdf_keys;
	pdf_url = json_is_string(fetch) &&
		  cw_decl_url_is_pdf_pattern(json_string_value(fetch));
	json_object_foreach(v, k, x)
	{
		size_t len = push_key(c, k);
		bool known = true;
		/* a combined document's 'fetch' is refused below, whatever
		 * its value */
		if (!strcmp(k, "fetch") && shape == SHAPE_COMBINE)
			;
		else if (!strcmp(k, "validUntil") && history)
			check_valid_until(c, x, until, has_until);
		else if (!strcmp(k, "combine"))
			check_combine(c, x, v);
		else
			known = check_page_field(c, k, x);
		pop(c, len);
		if (in_set(k, allowed) || (history && !strcmp(k, "validUntil")))
			continue;
		if (!strcmp(k, "fetch"))
			problem(c, ERR,
				"'fetch' beside 'combine': a combined "
				"document's pages are the entries of "
				"'combine'");
		else if (known && shape == SHAPE_PDF && pdf_url)
			problem(c, ERR,
				"'%s' without 'select': a page without "
				"'select' is a PDF, which takes only 'fetch' "
				"(add 'select' if it is an HTML page)",
				k);
		else if (!known && !strcmp(k, "validUntil"))
			problem(c, ERR,
				"'validUntil' in a declaration: an earlier "
				"declaration goes in the history file");
		else if (!known)
			unknown_key(c, k, allowed,
				    "not a property of a document");
	}
	if (shape != SHAPE_COMBINE && !fetch)
		problem(c, ERR, "missing 'fetch'%s",
			shape == SHAPE_PDF ? " (or 'combine')" : "");
	if (shape == SHAPE_PDF && json_is_string(fetch) && !pdf_url &&
	    !cw_strncasecmp_ascii(json_string_value(fetch), "http", 4))
		problem(c, ERR,
			"missing 'select': only a PDF (an http(s) URL ending "
			"in .pdf) goes without one, and '%s' is not one",
			json_string_value(fetch));
	if (history && !json_object_get(v, "validUntil")) {
		if (shape == SHAPE_COMBINE)
			problem(c, WARN,
				"no 'validUntil': Open Terms Archive's schema "
				"allows it for a combined entry, but its "
				"engine then takes the entry for the current "
				"declaration");
		else
			problem(c, ERR, "missing 'validUntil'");
	}
}

/* ---- files ---- */

static void check_terms(struct vctx *c, const char *type)
{
	char msg[CW_ERR_MSG_MAX];

	if (c->types && !cw_decl_types_has(c->types, type)) {
		cw_decl_types_unknown(c->types, type, msg, sizeof(msg));
		problem(c, ERR, "%s", msg);
	}
}

static void check_service(struct vctx *c, json_t *root)
{
	static const char *const top[] = { "name", "terms", "importedFrom",
					   NULL };
	json_t *terms = json_object_get(root, "terms");
	const char *k;
	json_t *x;
	bool history_like = json_object_size(root) > 0;

	c->r->services++;
	json_object_foreach(root, k, x)
	{
		size_t len = push_key(c, k);
		if (!json_is_array(x))
			history_like = false;
		if (!strcmp(k, "name") || !strcmp(k, "importedFrom")) {
			if (!json_is_string(x))
				problem(c, ERR, "expected a string, got %s",
					cw_json_type_name(x));
			else if (!json_string_length(x) && k[0] == 'n')
				problem(c, WARN, "an empty name");
		}
		pop(c, len);
		if (in_set(k, top))
			continue;
		if (!strcmp(k, "documents"))
			problem(c, ERR,
				"'documents' is the old name of 'terms', "
				"which Open Terms Archive now requires");
		else
			unknown_key(c, k, top,
				    "a declaration holds name, terms and "
				    "importedFrom");
	}
	if (!json_object_get(root, "name"))
		problem(c, ERR, "missing 'name'%s",
			history_like ? " (if this is a history file, its "
				       "name must end in .history.json)"
				     : "");
	if (!terms) {
		if (!json_object_get(root, "documents"))
			problem(c, ERR, "missing 'terms'");
		return;
	}
	size_t l1 = push_key(c, "terms");
	if (!json_is_object(terms)) {
		problem(c, ERR, "expected an object of terms types, got %s",
			cw_json_type_name(terms));
		pop(c, l1);
		return;
	}
	json_object_foreach(terms, k, x)
	{
		long long until;
		bool has;
		size_t l2 = push_key(c, k);
		c->r->documents++;
		check_terms(c, k);
		check_doc(c, x, false, &until, &has);
		pop(c, l2);
	}
	pop(c, l1);
}

static void check_history(struct vctx *c, json_t *root)
{
	const char *k;
	json_t *x;

	json_object_foreach(root, k, x)
	{
		size_t l1 = push_key(c, k);
		check_terms(c, k);
		if (!json_is_array(x)) {
			problem(c, ERR,
				"expected an array of earlier declarations, "
				"got %s",
				cw_json_type_name(x));
			pop(c, l1);
			continue;
		}
		size_t n = json_array_size(x);
		long long *until = cw_calloc(n + 1, sizeof(*until));
		bool *has = cw_calloc(n + 1, sizeof(*has));
		for (size_t i = 0; i < n; i++) {
			size_t l2 = push_index(c, i);
			c->r->entries++;
			check_doc(c, json_array_get(x, i), true, &until[i],
				  &has[i]);
			/* OTA sorts the entries by date (real files list them
			 * in any order), so only a date given twice is
			 * suspicious: which entry was in force is then
			 * undecided */
			for (size_t j = 0; has[i] && j < i; j++) {
				if (!has[j] || until[j] != until[i])
					continue;
				size_t l3 = push_key(c, "validUntil");
				problem(c, WARN,
					"the same date as %s[%zu]: which of "
					"the two was in force then is "
					"undecided",
					k, j);
				pop(c, l3);
				break;
			}
			pop(c, l2);
		}
		free(until);
		free(has);
		pop(c, l1);
	}
}

/* The service ID of a file name: its base name without ".history.json"
 * or ".json". */
static char *service_of(const char *name)
{
	const char *base = strrchr(name, '/');
	size_t len;

	base = base ? base + 1 : name;
	len = strlen(base);
	if (cw_str_endswith(base, ".history.json"))
		len -= strlen(".history.json");
	else if (cw_str_endswith(base, ".json"))
		len -= 5;
	return cw_strndup(base, len);
}

void cw_decl_validate_buffer(struct cw_decl_report *r,
			     const struct cw_decl_types *types,
			     const char *name, const char *dir,
			     enum cw_decl_file_kind kind, const char *json,
			     size_t len)
{
	struct vctx c = { .r = r,
			  .types = types,
			  .file = name,
			  .dir = dir,
			  .filters_js = -1,
			  .js = CW_BUF_INIT };
	json_error_t jerr;
	json_t *root;

	r->files++;
	if (kind == CW_DECL_FILE_AUTO)
		kind = cw_str_endswith(name, ".history.json")
			       ? CW_DECL_FILE_HISTORY
			       : CW_DECL_FILE_SERVICE;
	if (len > MAX_FILE) {
		problem(&c, ERR, "%zu bytes, over the %u-byte limit", len,
			MAX_FILE);
		return;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root && json_error_code(&jerr) == json_error_duplicate_key) {
		/* JSON.parse keeps the last of two equal keys: OTA reads the
		 * file, but one of the two is lost */
		problem(&c, WARN,
			"line %d, column %d: %s: Open Terms Archive keeps the "
			"last one",
			jerr.line, jerr.column, jerr.text);
		root = json_loadb(json, len, 0, &jerr);
	}
	if (!root) {
		problem(&c, ERR, "line %d, column %d: %s", jerr.line,
			jerr.column, jerr.text);
		return;
	}
	if (cw_decl_json_depth(root, MAX_DEPTH + 1) > MAX_DEPTH)
		problem(&c, ERR, "nested deeper than %d levels", MAX_DEPTH);
	else if (!json_is_object(root))
		problem(&c, ERR, "expected a JSON object, got %s",
			cw_json_type_name(root));
	else {
		c.service = service_of(name);
		if (kind == CW_DECL_FILE_HISTORY)
			check_history(&c, root);
		else
			check_service(&c, root);
	}
	free(c.service);
	cw_buf_release(&c.js);
	json_decref(root);
}

static void validate_file(struct cw_decl_report *r,
			  const struct cw_decl_types *types, const char *path,
			  enum cw_decl_file_kind kind)
{
	struct cw_buf b = CW_BUF_INIT;
	struct cw_err e = CW_ERR_INIT;
	const char *slash = strrchr(path, '/');
	char *dir = slash ? cw_strndup(path, (size_t)(slash - path))
			  : cw_strdup(".");
	int rc = cw_file_read(&b, path, MAX_FILE, &e);

	if (rc == CW_ETOOBIG) {
		r->files++;
		report_add(r, ERR, path, "", "over the 4 MiB limit");
	} else if (rc) {
		r->files++;
		report_add(r, ERR, path, "", e.msg);
	} else {
		cw_decl_validate_buffer(r, types, path, dir, kind, b.ptr,
					b.len);
	}
	cw_buf_release(&b);
	free(dir);
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_json(const struct dirent *d)
{
	return d->d_name[0] != '.' && cw_str_endswith(d->d_name, ".json");
}

int cw_decl_validate_path(struct cw_decl_report *r,
			  const struct cw_decl_types *types, const char *path,
			  enum cw_decl_file_kind kind, struct cw_err *err)
{
	struct dirent **names = NULL;
	char *dir;
	int k;

	if (!cw_dir_exists(path)) {
		if (!cw_file_exists(path)) {
			r->files++;
			report_add(r, ERR, path, "", "no such file or folder");
			return cw_err_set(err, CW_ENOTFOUND,
					  "'%s': no such file or folder", path);
		}
		validate_file(r, types, path, kind);
		return CW_OK;
	}
	dir = cw_decl_collection_dir(path);
	/* strcmp, not alphasort: the order must not depend on the locale */
	k = scandir(dir, &names, is_json, cmp_names);
	if (k < 0) {
		int rc = cw_err_set(err, CW_EIO, "'%s': cannot read: %s", dir,
				    strerror(errno));
		report_add(r, ERR, dir, "", err->msg);
		free(dir);
		return rc;
	}
	for (int i = 0; i < k; i++) {
		if (i < MAX_DIR_FILES) {
			char *p = cw_asprintf("%s/%s", dir, names[i]->d_name);
			/* in a folder, a file's name says what it is */
			validate_file(r, types, p, CW_DECL_FILE_AUTO);
			free(p);
		}
		free(names[i]);
	}
	if (k > MAX_DIR_FILES)
		report_add(r, ERR, dir, "",
			   "over 100000 files: the rest "
			   "not read");
	free(names);
	free(dir);
	(void)kind;
	return CW_OK;
}
