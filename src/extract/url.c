/*
 * url: reference resolution (RFC 3986 section 5.2) with the serialisation
 * rules of the WHATWG URL Standard (https://url.spec.whatwg.org/), which
 * is what a browser DOM (and so Open Terms Archive's jsdom) produces for
 * `a.href`. Covered: special schemes (http, https, ws, wss, ftp, file)
 * with their authority, default ports, backslashes and dot segments;
 * other schemes keep an opaque path; non-ASCII host names become
 * Punycode (RFC 3492) after NFKC case folding, the core of UTS #46. Not
 * covered: IPv4 number forms and IPv6 canonicalisation.
 */
#include "extract_int.h"

#include <ctype.h>
#include <utf8proc.h>

/* Longest URL we resolve; longer references are left as they are. */
#define MAX_URL 16384

struct url {
	char scheme[16];
	bool special;
	bool has_auth;
	struct cw_buf auth; /* userinfo@host:port, already normalised */
	struct cw_buf path;
	struct cw_buf query; /* without '?' */
	bool has_query;
	struct cw_buf frag; /* without '#' */
	bool has_frag;
};

static void url_init(struct url *u)
{
	memset(u, 0, sizeof(*u));
	cw_buf_init(&u->auth, MAX_URL);
	cw_buf_init(&u->path, MAX_URL);
	cw_buf_init(&u->query, MAX_URL);
	cw_buf_init(&u->frag, MAX_URL);
}

static void url_release(struct url *u)
{
	cw_buf_release(&u->auth);
	cw_buf_release(&u->path);
	cw_buf_release(&u->query);
	cw_buf_release(&u->frag);
}

static int default_port(const char *scheme)
{
	if (!strcmp(scheme, "http") || !strcmp(scheme, "ws"))
		return 80;
	if (!strcmp(scheme, "https") || !strcmp(scheme, "wss"))
		return 443;
	if (!strcmp(scheme, "ftp"))
		return 21;
	return -1;
}

static bool is_special(const char *scheme)
{
	return default_port(scheme) > 0 || !strcmp(scheme, "file");
}

enum pset { SET_C0, SET_FRAG, SET_QUERY, SET_SQUERY, SET_PATH };

/* Percent-encode sets of the URL Standard, section 1.3. */
static bool must_encode(unsigned char c, enum pset set)
{
	if (c < 0x20 || c > 0x7e)
		return true;
	if (set == SET_C0)
		return false;
	if (c == ' ' || c == '"' || c == '<' || c == '>')
		return true;
	switch (set) {
	case SET_FRAG:
		return c == '`';
	case SET_QUERY:
		return c == '#';
	case SET_SQUERY:
		return c == '#' || c == '\'';
	case SET_PATH:
		return c == '#' || c == '?' || c == '`' || c == '{' || c == '}';
	default:
		return false;
	}
}

static void add_encoded(struct cw_buf *b, const char *s, size_t n,
			enum pset set)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (must_encode(c, set)) {
			char e[4] = { '%' };
			cw_hex_encode_upper(e + 1, &c, 1);
			cw_buf_add(b, e, 3);
		} else {
			cw_buf_addc(b, (char)c);
		}
	}
}

/* ---- IDNA: Punycode (RFC 3492, section 6.3) ---- */

static char pc_digit(uint32_t d)
{
	return (char)(d < 26 ? 'a' + d : '0' + d - 26);
}

static uint32_t pc_adapt(uint32_t delta, uint32_t points, bool first)
{
	delta = first ? delta / 700 : delta / 2;
	delta += delta / points;
	uint32_t k = 0;
	while (delta > ((36 - 1) * 26) / 2) {
		delta /= 36 - 1;
		k += 36;
	}
	return k + (36 * delta) / (delta + 38);
}

/* Append "xn--" and the Punycode of cp[0..n); false on overflow. */
static bool punycode(struct cw_buf *out, const uint32_t *cp, size_t n)
{
	uint32_t nn = 128, delta = 0, bias = 72, h, b = 0;
	cw_buf_adds(out, "xn--");
	for (size_t i = 0; i < n; i++)
		if (cp[i] < 0x80) {
			cw_buf_addc(out, (char)cp[i]);
			b++;
		}
	h = b;
	if (b)
		cw_buf_addc(out, '-');
	while (h < n) {
		uint32_t m = UINT32_MAX;
		for (size_t i = 0; i < n; i++)
			if (cp[i] >= nn && cp[i] < m)
				m = cp[i];
		if ((uint64_t)(m - nn) * (h + 1) + delta > UINT32_MAX)
			return false;
		delta += (m - nn) * (h + 1);
		nn = m;
		for (size_t i = 0; i < n; i++) {
			if (cp[i] < nn && ++delta == 0)
				return false;
			if (cp[i] == nn) {
				uint32_t q = delta;
				for (uint32_t k = 36;; k += 36) {
					uint32_t t = k <= bias ? 1
						     : k >= bias + 26
							     ? 26
							     : k - bias;
					if (q < t)
						break;
					cw_buf_addc(
						out,
						pc_digit(t +
							 (q - t) % (36 - t)));
					q = (q - t) / (36 - t);
				}
				cw_buf_addc(out, pc_digit(q));
				bias = pc_adapt(delta, h + 1, h == b);
				delta = 0;
				h++;
			}
		}
		delta++;
		nn++;
	}
	return true;
}

/* A host name with non-ASCII bytes, as its ASCII (A-label) form. */
static bool idna_host(struct cw_buf *out, const char *host, size_t n)
{
	utf8proc_uint8_t *mapped = NULL;
	char *tmp = cw_strndup(host, n);
	utf8proc_ssize_t ml = utf8proc_map(
		(const utf8proc_uint8_t *)tmp, 0, &mapped,
		UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
			UTF8PROC_COMPAT | UTF8PROC_CASEFOLD);
	free(tmp);
	if (ml < 0)
		return false;
	uint32_t *cp = cw_calloc((size_t)ml + 1, sizeof(uint32_t));
	size_t ncp = 0;
	for (utf8proc_ssize_t i = 0; i < ml;) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate(mapped + i, ml - i, &c);
		if (k <= 0) {
			free(cp);
			free(mapped);
			return false;
		}
		/* the full stops UTS #46 maps to '.' */
		if (c == 0x3002 || c == 0xFF0E || c == 0xFF61)
			c = '.';
		cp[ncp++] = (uint32_t)c;
		i += k;
	}
	bool ok = true;
	for (size_t i = 0; i < ncp && ok;) {
		size_t j = i;
		bool ascii = true;
		while (j < ncp && cp[j] != '.') {
			if (cp[j] >= 0x80)
				ascii = false;
			j++;
		}
		if (ascii) {
			for (size_t k = i; k < j; k++)
				cw_buf_addc(out, (char)cp[k]);
		} else {
			ok = punycode(out, cp + i, j - i);
		}
		if (j < ncp)
			cw_buf_addc(out, '.');
		i = j + 1;
	}
	free(cp);
	free(mapped);
	return ok;
}

/* Parse "//authority" content s[0..n) into u->auth; false if invalid. */
static bool parse_auth(struct url *u, const char *s, size_t n)
{
	cw_buf_clear(&u->auth);
	u->has_auth = true;
	const char *at = NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '@')
			at = s + i;
	const char *host = s;
	if (at) {
		add_encoded(&u->auth, s, (size_t)(at - s), SET_PATH);
		cw_buf_addc(&u->auth, '@');
		host = at + 1;
	}
	const char *end = s + n;
	const char *colon = NULL;
	if (*host == '[') {
		const char *rb = memchr(host, ']', (size_t)(end - host));
		if (!rb)
			return false;
		if (rb + 1 < end && rb[1] == ':')
			colon = rb + 1;
	} else {
		colon = memchr(host, ':', (size_t)(end - host));
	}
	const char *hend = colon ? colon : end;
	if (hend == host && u->special && strcmp(u->scheme, "file"))
		return false;
	bool non_ascii = false;
	for (const char *p = host; p < hend; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == ' ' || c == '<' || c == '>' || c == '^' || c == '|')
			return false;
		non_ascii |= c >= 0x80;
	}
	if (non_ascii && u->special) {
		if (!idna_host(&u->auth, host, (size_t)(hend - host)))
			return false;
	} else {
		for (const char *p = host; p < hend; p++) {
			unsigned char c = (unsigned char)*p;
			cw_buf_addc(&u->auth,
				    (char)(c < 0x80 ? tolower(c) : c));
		}
	}
	if (colon) {
		const char *p = colon + 1;
		long port = 0;
		bool any = false;
		for (; p < end; p++) {
			if (!isdigit((unsigned char)*p))
				return false;
			port = port * 10 + (*p - '0');
			if (port > 65535)
				return false;
			any = true;
		}
		if (any && port != default_port(u->scheme))
			cw_buf_addf(&u->auth, ":%ld", port);
	}
	return true;
}

/* Remove dot segments (RFC 3986 5.2.4, with WHATWG's "%2e" spellings). */
static bool is_dot(const char *s, size_t n)
{
	return (n == 1 && s[0] == '.') ||
	       (n == 3 && s[0] == '%' && s[1] == '2' &&
		(s[2] == 'e' || s[2] == 'E'));
}

static bool is_dotdot(const char *s, size_t n)
{
	if (n == 2)
		return s[0] == '.' && s[1] == '.';
	if (n == 4)
		return (is_dot(s, 1) && is_dot(s + 1, 3)) ||
		       (is_dot(s, 3) && is_dot(s + 3, 1));
	if (n == 6)
		return is_dot(s, 3) && is_dot(s + 3, 3);
	return false;
}

static void normalise_path(struct cw_buf *out, const char *p, size_t n,
			   bool special)
{
	/* segments after the leading '/' */
	cw_buf_clear(out);
	size_t i = 0;
	if (n && (p[0] == '/' || (special && p[0] == '\\')))
		i = 1;
	for (;;) {
		size_t j = i;
		while (j < n && p[j] != '/' && !(special && p[j] == '\\'))
			j++;
		const char *seg = p + i;
		size_t sl = j - i;
		bool last = j >= n;
		if (is_dotdot(seg, sl)) {
			/* drop the last segment of out */
			size_t k = out->len;
			while (k && out->ptr[k - 1] != '/')
				k--;
			if (k)
				k--;
			cw_buf_truncate(out, k);
			if (last)
				cw_buf_addc(out, '/');
		} else if (is_dot(seg, sl)) {
			if (last)
				cw_buf_addc(out, '/');
		} else {
			cw_buf_addc(out, '/');
			add_encoded(out, seg, sl, SET_PATH);
		}
		if (last)
			break;
		i = j + 1;
	}
	if (!out->len)
		cw_buf_addc(out, '/');
}

/* Split "path?query#frag" of s[0..n) into u (path raw, not normalised). */
static void split_rest(struct url *u, const char *s, size_t n,
		       struct cw_buf *rawpath)
{
	size_t q = n, h = n;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '#') {
			h = i;
			break;
		}
		if (s[i] == '?' && q == n)
			q = i;
	}
	if (q > h)
		q = h;
	cw_buf_clear(rawpath);
	cw_buf_add(rawpath, s, q);
	u->has_query = q < h;
	cw_buf_clear(&u->query);
	if (u->has_query)
		add_encoded(&u->query, s + q + 1, h - q - 1,
			    u->special ? SET_SQUERY : SET_QUERY);
	u->has_frag = h < n;
	cw_buf_clear(&u->frag);
	if (u->has_frag)
		add_encoded(&u->frag, s + h + 1, n - h - 1, SET_FRAG);
}

static size_t scheme_len(const char *s, size_t n)
{
	if (!n || !isalpha((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ':')
			return i < 16 ? i : 0;
		if (!isalnum(c) && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 0;
}

/* Parse an absolute URL; false if it is not one. */
static bool parse_abs(struct url *u, const char *s, size_t n)
{
	size_t sl = scheme_len(s, n);
	if (!sl)
		return false;
	for (size_t i = 0; i < sl; i++)
		u->scheme[i] = (char)tolower((unsigned char)s[i]);
	u->scheme[sl] = '\0';
	u->special = is_special(u->scheme);
	const char *r = s + sl + 1;
	size_t rn = n - sl - 1;
	struct cw_buf raw = CW_BUF_INIT;
	bool ok = true;
	if (u->special) {
		size_t k = 0;
		bool file = !strcmp(u->scheme, "file");
		/* file: "//" then a host, possibly empty ("file:///etc") */
		while (k < rn && (r[k] == '/' || r[k] == '\\') &&
		       (!file || k < 2))
			k++;
		size_t a = k;
		while (a < rn && r[a] != '/' && r[a] != '\\' && r[a] != '?' &&
		       r[a] != '#')
			a++;
		if (!parse_auth(u, r + k, a - k))
			ok = false;
		split_rest(u, r + a, rn - a, &raw);
		normalise_path(&u->path, raw.ptr ? raw.ptr : "", raw.len, true);
	} else if (rn >= 2 && r[0] == '/' && r[1] == '/') {
		size_t a = 2;
		while (a < rn && r[a] != '/' && r[a] != '?' && r[a] != '#')
			a++;
		if (!parse_auth(u, r + 2, a - 2))
			ok = false;
		split_rest(u, r + a, rn - a, &raw);
		if (raw.len)
			normalise_path(&u->path, raw.ptr, raw.len, false);
	} else {
		/* opaque path (mailto:, tel:, javascript:, data:) */
		split_rest(u, r, rn, &raw);
		cw_buf_clear(&u->path);
		add_encoded(&u->path, raw.ptr ? raw.ptr : "", raw.len, SET_C0);
		u->has_auth = false;
	}
	cw_buf_release(&raw);
	return ok;
}

static void serialise(struct cw_buf *out, const struct url *u)
{
	cw_buf_adds(out, u->scheme);
	cw_buf_addc(out, ':');
	if (u->has_auth) {
		cw_buf_adds(out, "//");
		cw_buf_add(out, u->auth.ptr ? u->auth.ptr : "", u->auth.len);
	}
	cw_buf_add(out, cw_buf_str(&u->path), u->path.len);
	if (u->has_query) {
		cw_buf_addc(out, '?');
		cw_buf_add(out, cw_buf_str(&u->query), u->query.len);
	}
	if (u->has_frag) {
		cw_buf_addc(out, '#');
		cw_buf_add(out, cw_buf_str(&u->frag), u->frag.len);
	}
}

/* Strip leading/trailing C0 controls and spaces, drop tabs and newlines. */
static void clean_input(struct cw_buf *b, const char *s, size_t n)
{
	while (n && (unsigned char)s[0] <= 0x20) {
		s++;
		n--;
	}
	while (n && (unsigned char)s[n - 1] <= 0x20)
		n--;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			cw_buf_addc(b, s[i]);
}

bool cw_extract_url_resolve(struct cw_buf *out, const char *base,
			    const char *ref, size_t ref_len)
{
	if (ref_len > MAX_URL || (base && strlen(base) > MAX_URL))
		return false;
	struct cw_buf in = CW_BUF_INIT;
	struct url b, u;
	bool ok = false;
	url_init(&b);
	url_init(&u);
	clean_input(&in, ref, ref_len);
	const char *s = cw_buf_str(&in);
	size_t n = in.len;

	size_t sl = scheme_len(s, n);
	bool have_base = false;
	if (base) {
		struct cw_buf bc = CW_BUF_INIT;
		clean_input(&bc, base, strlen(base));
		have_base = parse_abs(&b, cw_buf_str(&bc), bc.len);
		cw_buf_release(&bc);
	}
	if (sl) {
		char sch[16];
		for (size_t i = 0; i < sl; i++)
			sch[i] = (char)tolower((unsigned char)s[i]);
		sch[sl] = '\0';
		/* "http:foo" relative to an http base (URL Standard, scheme state) */
		if (have_base && is_special(sch) && !strcmp(sch, b.scheme) &&
		    !(sl + 1 < n && (s[sl + 1] == '/' || s[sl + 1] == '\\'))) {
			s += sl + 1;
			n -= sl + 1;
		} else {
			ok = parse_abs(&u, s, n);
			if (ok)
				serialise(out, &u);
			goto done;
		}
	}
	if (!have_base || (!b.special && !b.has_auth && !(n && s[0] == '#')))
		goto done;
	/* relative reference: RFC 3986 section 5.2.2 */
	memcpy(u.scheme, b.scheme, sizeof(u.scheme));
	u.special = b.special;
	struct cw_buf raw = CW_BUF_INIT;
	bool slash = n && (s[0] == '/' || (u.special && s[0] == '\\'));
	bool slash2 = n > 1 && slash &&
		      (s[1] == '/' || (u.special && s[1] == '\\'));
	ok = true;
	if (slash2) {
		size_t k = 0;
		while (k < n && (s[k] == '/' || (u.special && s[k] == '\\')))
			k++;
		if (!u.special)
			k = 2;
		size_t a = k;
		while (a < n && s[a] != '/' && !(u.special && s[a] == '\\') &&
		       s[a] != '?' && s[a] != '#')
			a++;
		ok = parse_auth(&u, s + k, a - k);
		split_rest(&u, s + a, n - a, &raw);
		normalise_path(&u.path, cw_buf_str(&raw), raw.len, u.special);
	} else {
		u.has_auth = b.has_auth;
		cw_buf_add(&u.auth, cw_buf_str(&b.auth), b.auth.len);
		split_rest(&u, s, n, &raw);
		if (slash) {
			normalise_path(&u.path, cw_buf_str(&raw), raw.len,
				       u.special);
		} else if (raw.len == 0) {
			cw_buf_add(&u.path, cw_buf_str(&b.path), b.path.len);
			if (!u.has_query) {
				u.has_query = b.has_query;
				cw_buf_add(&u.query, cw_buf_str(&b.query),
					   b.query.len);
			}
		} else {
			/* merge: the base path up to its last '/', then ref */
			struct cw_buf m = CW_BUF_INIT;
			const char *bp = cw_buf_str(&b.path);
			const char *ls = strrchr(bp, '/');
			if (ls)
				cw_buf_add(&m, bp, (size_t)(ls - bp) + 1);
			else
				cw_buf_addc(&m, '/');
			cw_buf_add(&m, raw.ptr, raw.len);
			normalise_path(&u.path, cw_buf_str(&m), m.len,
				       u.special);
			cw_buf_release(&m);
		}
	}
	cw_buf_release(&raw);
	if (ok)
		serialise(out, &u);
done:
	url_release(&b);
	url_release(&u);
	cw_buf_release(&in);
	return ok;
}

/* application/x-www-form-urlencoded: decode one name or value */
static void form_decode(struct cw_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			cw_buf_addc(out, ' ');
		} else if (s[i] == '%' && i + 2 < n &&
			   isxdigit((unsigned char)s[i + 1]) &&
			   isxdigit((unsigned char)s[i + 2])) {
			char h[3] = { s[i + 1], s[i + 2], 0 };
			cw_buf_addc(out, (char)strtol(h, NULL, 16));
			i += 2;
		} else {
			cw_buf_addc(out, s[i]);
		}
	}
}

static void form_encode(struct cw_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c == '*' || c == '-' || c == '.' ||
		    c == '_') {
			cw_buf_addc(out, (char)c);
		} else if (c == ' ') {
			cw_buf_addc(out, '+');
		} else {
			char e[4] = { '%' };
			cw_hex_encode_upper(e + 1, &c, 1);
			cw_buf_add(out, e, 3);
		}
	}
}

bool cw_extract_url_strip_params(struct cw_buf *out, const char *url,
				 const char *const *names, size_t n_names)
{
	const char *q = strchr(url, '?');
	if (!q)
		return false;
	const char *h = strchr(q, '#');
	size_t qn = h ? (size_t)(h - q - 1) : strlen(q + 1);
	const char *qs = q + 1;
	struct cw_buf name = CW_BUF_INIT, val = CW_BUF_INIT, nq = CW_BUF_INIT;
	bool found = false;
	size_t i = 0;
	while (i <= qn) {
		size_t j = i;
		while (j < qn && qs[j] != '&')
			j++;
		if (j > i) {
			const char *eq = memchr(qs + i, '=', j - i);
			size_t nl = eq ? (size_t)(eq - (qs + i)) : j - i;
			cw_buf_clear(&name);
			cw_buf_clear(&val);
			form_decode(&name, qs + i, nl);
			if (eq)
				form_decode(&val, eq + 1,
					    (size_t)(qs + j - eq - 1));
			bool drop = false;
			for (size_t k = 0; k < n_names; k++)
				if (!strcmp(cw_buf_str(&name), names[k]))
					drop = true;
			if (drop) {
				found = true;
			} else {
				if (nq.len)
					cw_buf_addc(&nq, '&');
				form_encode(&nq, cw_buf_str(&name), name.len);
				cw_buf_addc(&nq, '=');
				form_encode(&nq, cw_buf_str(&val), val.len);
			}
		}
		i = j + 1;
	}
	if (found) {
		cw_buf_add(out, url, (size_t)(q - url));
		if (nq.len) {
			cw_buf_addc(out, '?');
			cw_buf_add(out, nq.ptr, nq.len);
		}
		if (h)
			cw_buf_adds(out, h);
	}
	cw_buf_release(&name);
	cw_buf_release(&val);
	cw_buf_release(&nq);
	return found;
}
