/*
 * Noise rules: what may change in a provision without the change meaning
 * anything (data/diff/noise.json), and the rules object that carries them
 * together with the fact patterns and templates.
 */
#include <ctype.h>

#include <jansson.h>
#include <utf8proc.h>

#include "../util/json.h"
#include "diff_int.h"

/* Caps on the rule files: they are ours, but a bad edit must fail loudly
 * rather than make every diff slow. */
#define MAX_RULE_FILE (1u << 20)
#define MAX_RULE_ITEMS 4096

/* ---- shared loading helpers ---- */

static int compile_re(struct cw_re **out, const char *pattern, const char *path,
		      const char *field, struct cw_err *err)
{
	int ec;
	PCRE2_SIZE off;

	*out = cw_re_new(pattern, CW_DIFF_RE_OPTIONS, &ec, &off);
	if (!*out) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		return cw_err_set(err, CW_EPARSE,
				  "'%s': %s: pattern offset %zu: %s", path,
				  field, (size_t)off, (char *)msg);
	}
	return CW_OK;
}

/* "U+2019" -> 0x2019 */
static int parse_cp(uint32_t *cp, const char *s, const char *path,
		    const char *field, struct cw_err *err)
{
	char *end = NULL;
	unsigned long v;

	if (strncmp(s, "U+", 2) != 0)
		goto bad;
	v = strtoul(s + 2, &end, 16);
	if (!end || *end || end == s + 2 || v > 0x10FFFF)
		goto bad;
	*cp = (uint32_t)v;
	return CW_OK;
bad:
	return cw_err_set(err, CW_EPARSE,
			  "'%s': %s: expected a code point like \"U+2019\", "
			  "got '%s'",
			  path, field, s);
}

/* root[field] as an array of non-empty strings, borrowed into *arr */
static int string_array(json_t **arr, json_t *root, const char *field,
			const struct cw_json_where *w, struct cw_err *err)
{
	size_t i;
	json_t *v;
	int rc = cw_json_arr(arr, root, field, true, MAX_RULE_ITEMS, w, err);

	if (rc)
		return rc;
	json_array_foreach(*arr, i, v)
	{
		if (!json_is_string(v) || json_string_length(v) == 0)
			return cw_err_set(err, CW_EPARSE,
					  "'%s': %s[%zu]: expected a non-empty "
					  "string",
					  w->file, field, i);
	}
	return CW_OK;
}

int cw_diff_noise_load(struct cw_diff_rules *r, const char *path,
		       struct cw_err *err)
{
	json_t *root = NULL, *v, *x;
	struct cw_json_where w = { path, "" };
	char *marker = NULL;
	const char *k;
	size_t i;
	int rc;

	rc = cw_json_load(&root, path, MAX_RULE_FILE, err);
	if (rc)
		return rc;
	if ((rc = string_array(&v, root, "invisible", &w, err)))
		goto out;
	r->invisible = cw_calloc(json_array_size(v) + 1, sizeof(uint32_t));
	json_array_foreach(v, i, x)
	{
		if ((rc = parse_cp(&r->invisible[i], json_string_value(x), path,
				   "invisible", err)))
			goto out;
		r->n_invisible++;
	}
	if ((rc = cw_json_obj(&v, root, "map", true, &w, err)))
		goto out;
	r->map_from = cw_calloc(json_object_size(v) + 1, sizeof(uint32_t));
	r->map_to = cw_calloc(json_object_size(v) + 1, sizeof(char *));
	json_object_foreach(v, k, x)
	{
		if (!json_is_string(x)) {
			rc = cw_err_set(err, CW_EPARSE,
					"'%s': map['%s']: expected a string",
					path, k);
			goto out;
		}
		if ((rc = parse_cp(&r->map_from[r->n_map], k, path, "map",
				   err)))
			goto out;
		r->map_to[r->n_map++] = cw_strdup(json_string_value(x));
	}
	if ((rc = string_array(&v, root, "phrases", &w, err)))
		goto out;
	r->phrases = cw_calloc(json_array_size(v) + 1, sizeof(char *));
	json_array_foreach(v, i, x)
	{
		r->phrases[r->n_phrases++] = cw_strdup(json_string_value(x));
		r->phrase_first[(unsigned char)json_string_value(x)[0]] = true;
	}
	if ((rc = string_array(&v, root, "tracking_params", &w, err)))
		goto out;
	r->params = cw_calloc(json_array_size(v) + 1, sizeof(*r->params));
	json_array_foreach(v, i, x)
	{
		const char *s = json_string_value(x);
		size_t n = strlen(s);
		struct cw_diff_param_rule *p = &r->params[r->n_params++];
		p->prefix = s[n - 1] == '*';
		p->name = cw_strndup(s, p->prefix ? n - 1 : n);
	}
	if ((rc = string_array(&v, root, "date_lines", &w, err)))
		goto out;
	r->date_lines =
		cw_calloc(json_array_size(v) + 1, sizeof(*r->date_lines));
	json_array_foreach(v, i, x)
	{
		if ((rc = compile_re(&r->date_lines[i], json_string_value(x),
				     path, "date_lines", err)))
			goto out;
		r->n_date_lines++;
	}
	if ((rc = cw_json_str(&marker, root, "line_marker", true, &w, err)) ||
	    (rc = compile_re(&r->list_marker, marker, path, "line_marker",
			     err)) ||
	    (rc = cw_json_bool(&r->casefold_headings, root, "casefold_headings",
			       true, &w, err)) ||
	    (rc = cw_json_bool(&r->drop_emphasis, root, "emphasis", true, &w,
			       err)) ||
	    (rc = cw_json_bool(&r->drop_link_targets, root, "link_targets",
			       false, &w, err)))
		goto out;
out:
	free(marker);
	json_decref(root);
	return rc;
}

int cw_diff_rules_load(struct cw_diff_rules **out, const char *dir,
		       struct cw_err *err)
{
	struct cw_diff_rules *r = cw_calloc(1, sizeof(*r));
	char *p = NULL;
	int rc;

	*out = NULL;
	p = cw_asprintf("%s/noise.json", dir);
	rc = cw_diff_noise_load(r, p, err);
	free(p);
	if (rc)
		goto fail;
	p = cw_asprintf("%s/facts.json", dir);
	rc = cw_diff_facts_load(r, p, err);
	free(p);
	if (rc)
		goto fail;
	p = cw_asprintf("%s/templates.json", dir);
	rc = cw_diff_templates_load(r, p, err);
	free(p);
	if (rc)
		goto fail;
	*out = r;
	return CW_OK;
fail:
	cw_diff_rules_free(r);
	return rc;
}

void cw_diff_rules_free(struct cw_diff_rules *r)
{
	if (!r)
		return;
	free(r->invisible);
	for (size_t i = 0; i < r->n_map; i++)
		free(r->map_to[i]);
	free(r->map_from);
	free(r->map_to);
	for (size_t i = 0; i < r->n_phrases; i++)
		free(r->phrases[i]);
	free(r->phrases);
	for (size_t i = 0; i < r->n_params; i++)
		free(r->params[i].name);
	free(r->params);
	for (size_t i = 0; i < r->n_date_lines; i++)
		cw_re_free(r->date_lines[i]);
	free(r->date_lines);
	cw_re_free(r->list_marker);
	for (size_t i = 0; i < r->n_facts; i++) {
		free(r->facts[i].name);
		cw_re_free(r->facts[i].re);
		cw_strv_release(&r->facts[i].needs);
	}
	free(r->facts);
	for (size_t i = 0; i < r->n_templates; i++) {
		free(r->templates[i].situation);
		free(r->templates[i].text);
	}
	free(r->templates);
	free(r);
}

/* ---- normalisation ---- */

static void fire(struct cw_strv *fired, const char *name)
{
	if (fired)
		cw_strv_push(fired, name);
}

/* `opts` is PCRE2_NO_UTF_CHECK once the whole text was found valid. */
static bool line_matches(struct cw_re *re, pcre2_match_data *md, const char *s,
			 size_t len, uint32_t opts)
{
	return pcre2_match(cw_re_code(re, len), (PCRE2_SPTR)s, len, 0, opts, md,
			   NULL) >= 0;
}

/* Length of a line marker at s (0 if none). */
static size_t marker_len(struct cw_re *re, pcre2_match_data *md, const char *s,
			 size_t len, uint32_t opts)
{
	if (pcre2_match(cw_re_code(re, len), (PCRE2_SPTR)s, len, 0,
			PCRE2_ANCHORED | opts, md, NULL) >= 0)
		return pcre2_get_ovector_pointer(md)[1];
	return 0;
}

static bool param_is_tracking(const struct cw_diff_rules *r, const char *s,
			      size_t n)
{
	for (size_t i = 0; i < r->n_params; i++) {
		size_t pl = strlen(r->params[i].name);
		if (r->params[i].prefix
			    ? n >= pl && memcmp(s, r->params[i].name, pl) == 0
			    : n == pl && memcmp(s, r->params[i].name, pl) == 0)
			return true;
	}
	return false;
}

static bool url_stop(unsigned char c)
{
	return c == '&' || c == ')' || c == '#' || c == '"' || c == '>' ||
	       c == ']' || c == ' ' || c == '\n' || c == '\t';
}

/* Whitespace-collapsing appender. */
struct norm {
	struct cw_buf *out;
	bool space; /* a space is pending */
	/* PCRE2_NO_UTF_CHECK when the text is valid UTF-8: checked once
	 * here, not again by every pattern on every line */
	uint32_t match_opts;
};

static void emit(struct norm *nm, const char *s, size_t n)
{
	if (nm->space && nm->out->len > 0)
		cw_buf_addc(nm->out, ' ');
	nm->space = false;
	cw_buf_add(nm->out, s, n);
}

/* True for an ASCII byte that norm_line() copies as it is whatever comes
 * around it: not a space, not one that may start a URL, a tracking
 * parameter, emphasis or a dropped phrase, not a heading's capital. */
static inline bool plain_byte(const struct cw_diff_rules *r, unsigned char c,
			      bool heading)
{
	if (c >= 0x80 || c <= ' ' || c == '?' || c == '&' || c == 'h' ||
	    c == '*' || c == '_' || c == '\x7f')
		return false;
	if (!r)
		return true;
	if (c == ']' && r->drop_link_targets)
		return false;
	if (r->phrase_first[c])
		return false;
	return !(heading && r->casefold_headings && c >= 'A' && c <= 'Z');
}

/* Normalise one line (no '\n') into nm. */
static void norm_line(struct norm *nm, const struct cw_diff_rules *r,
		      pcre2_match_data *md, const char *s, size_t len,
		      bool heading, struct cw_strv *fired)
{
	size_t i = 0;
	bool in_url = false;

	/* leading markers: "* ", "1. ", "(a) ", "## " */
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (r && r->list_marker) {
		size_t m;
		int guard = 0;
		while (guard++ < 4 &&
		       (m = marker_len(r->list_marker, md, s + i, len - i,
				       nm->match_opts)) > 0) {
			i += m;
			fire(fired, "list_marker");
		}
	}
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		uint32_t cp;
		size_t n;

		/* a run of bytes that no rule below looks at goes out whole */
		if (plain_byte(r, c, heading)) {
			size_t j = i + 1;
			while (j < len &&
			       plain_byte(r, (unsigned char)s[j], heading))
				j++;
			emit(nm, s + i, j - i);
			i = j;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' ||
		    c == '\v') {
			nm->space = true;
			in_url = false;
			i++;
			continue;
		}
		if (r && (c == '?' || c == '&') && in_url) {
			size_t j = i + 1, eq;
			while (j < len && !url_stop((unsigned char)s[j]) &&
			       s[j] != '=')
				j++;
			eq = j;
			if (eq < len && s[eq] == '=' &&
			    param_is_tracking(r, s + i + 1, eq - i - 1)) {
				j = eq;
				while (j < len &&
				       !url_stop((unsigned char)s[j]))
					j++;
				fire(fired, "tracking_param");
				/* keep a '?' only if parameters follow */
				if (c == '?' && j < len && s[j] == '&') {
					emit(nm, "?", 1);
					j++;
				}
				i = j;
				continue;
			}
		}
		/* a link's target: "[Terms](https://x/terms)" reads as
		 * "[Terms]()", so a moved page or a changed path is
		 * presentation, and the words linked still count */
		if (r && r->drop_link_targets && c == ']' && i + 1 < len &&
		    s[i + 1] == '(') {
			size_t j = i + 2;
			int depth = 1;
			while (j < len && depth > 0) {
				depth += s[j] == '(' ? 1 : s[j] == ')' ? -1 : 0;
				j++;
			}
			if (depth == 0 && j - i > 3) {
				emit(nm, "]()", 3);
				fire(fired, "link");
				i = j;
				continue;
			}
		}
		if (c == 'h' && len - i > 7 &&
		    (memcmp(s + i, "http://", 7) == 0 ||
		     (len - i > 8 && memcmp(s + i, "https://", 8) == 0)))
			in_url = true;
		if (r && r->drop_emphasis &&
		    (c == '*' || (c == '_' && !in_url &&
				  (i == 0 || i + 1 == len ||
				   !isalnum((unsigned char)s[i - 1]) ||
				   !isalnum((unsigned char)s[i + 1]))))) {
			fire(fired, "emphasis");
			i++;
			continue;
		}
		if (r) {
			bool hit = false;
			for (size_t p = 0; p < r->n_phrases; p++) {
				size_t pl = strlen(r->phrases[p]);
				if ((unsigned char)r->phrases[p][0] == c &&
				    len - i >= pl &&
				    memcmp(s + i, r->phrases[p], pl) == 0) {
					i += pl;
					hit = true;
					fire(fired, "phrase");
					break;
				}
			}
			if (hit)
				continue;
		}
		if (c < 0x80) {
			char ch = (char)c;
			if (heading && r && r->casefold_headings && c >= 'A' &&
			    c <= 'Z') {
				ch = (char)(c - 'A' + 'a');
				fire(fired, "heading_case");
			}
			emit(nm, &ch, 1);
			i++;
			continue;
		}
		n = cw_utf8_decode(s + i, len - i, &cp);
		if (r) {
			bool done = false;
			for (size_t k = 0; k < r->n_invisible && !done; k++)
				if (r->invisible[k] == cp) {
					fire(fired, "invisible");
					done = true;
				}
			for (size_t k = 0; k < r->n_map && !done; k++)
				if (r->map_from[k] == cp) {
					fire(fired, "quotes_dashes");
					if (strcmp(r->map_to[k], " ") == 0)
						nm->space = true;
					else
						emit(nm, r->map_to[k],
						     strlen(r->map_to[k]));
					done = true;
				}
			if (done) {
				i += n;
				continue;
			}
			if (heading && r->casefold_headings) {
				utf8proc_int32_t lc =
					utf8proc_tolower((utf8proc_int32_t)cp);
				if ((uint32_t)lc != cp) {
					fire(fired, "heading_case");
					emit(nm, "", 0);
					cw_utf8_encode(nm->out, (uint32_t)lc);
					i += n;
					continue;
				}
			}
		}
		emit(nm, s + i, n);
		i += n;
	}
	nm->space = true;
}

void cw_diff_noise_normalize(struct cw_buf *out, const struct cw_diff_rules *r,
			     const char *s, size_t len, size_t heading_len,
			     struct cw_strv *fired)
{
	struct norm nm = { out, false,
			   cw_utf8_valid(s, len) ? PCRE2_NO_UTF_CHECK : 0 };
	size_t i = 0;
	/* one match block for every pattern: 16 pairs is plenty, we only
	 * read the whole match */
	pcre2_match_data *md = r ? pcre2_match_data_create(16, NULL) : NULL;

	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - s) : len;
		size_t ll = e - i;
		bool drop = false;

		if (r && ll > 0 && ll < 400) {
			/* setext underlines and horizontal rules carry no
			 * words; date lines are the "last updated" noise */
			size_t k = 0;
			while (k < ll && strchr("-=*_ \t", s[i + k]))
				k++;
			if (k == ll && ll >= 3) {
				drop = true;
				fire(fired, "rule_line");
			}
			for (size_t d = 0; !drop && d < r->n_date_lines; d++)
				if (line_matches(r->date_lines[d], md, s + i,
						 ll, nm.match_opts)) {
					drop = true;
					fire(fired, "date_line");
				}
		}
		if (!drop)
			norm_line(&nm, r, md, s + i, ll, i < heading_len,
				  fired);
		i = e + 1;
	}
	pcre2_match_data_free(md);
}
