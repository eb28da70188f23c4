/*
 * extract: dispatch by kind, apply the declaration per page, join the
 * pages of a combined document (see extract.h).
 */
#include "extract_int.h"

#include <strings.h>

/* Open Terms Archive joins the parts of a combined document with this. */
#define COMBINE_SEPARATOR "\n\n- - -\n\n"

static bool ends_with_ci(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && !strcasecmp(s + n - k, suf);
}

static bool type_is(const char *ct, const char *want)
{
	size_t k = strlen(want);
	while (*ct == ' ')
		ct++;
	return !cw_strncasecmp_ascii(ct, want, k) &&
	       (ct[k] == '\0' || ct[k] == ';' || ct[k] == ' ');
}

enum cw_extract_kind cw_extract_sniff(const struct cw_extract_input *in)
{
	if (in->kind != CW_EXTRACT_AUTO)
		return in->kind;
	const char *ct = in->content_type;
	if (ct) {
		if (type_is(ct, "application/pdf"))
			return CW_EXTRACT_PDF;
		if (type_is(ct, "text/html") || type_is(ct, "application/"
							    "xhtml+xml"))
			return CW_EXTRACT_HTML;
		if (type_is(ct, "text/markdown") || type_is(ct, "text/"
								"x-markdown"))
			return CW_EXTRACT_MARKDOWN;
		if (type_is(ct, "text/plain"))
			return CW_EXTRACT_TEXT;
	}
	size_t n = in->len < 1024 ? in->len : 1024;
	const char *d = in->data ? in->data : "";
	size_t i = 0;
	if (n >= 3 && !memcmp(d, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < n &&
	       (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
		i++;
	if (n - i >= 5 && !memcmp(d + i, "%PDF-", 5))
		return CW_EXTRACT_PDF;
	const char *name = in->name ? in->name : in->url;
	if (name) {
		if (ends_with_ci(name, ".pdf"))
			return CW_EXTRACT_PDF;
		if (ends_with_ci(name, ".html") || ends_with_ci(name, ".htm") ||
		    ends_with_ci(name, ".xhtml"))
			return CW_EXTRACT_HTML;
		if (ends_with_ci(name, ".md") || ends_with_ci(name, ".markdow"
								    "n"))
			return CW_EXTRACT_MARKDOWN;
		if (ends_with_ci(name, ".txt"))
			return CW_EXTRACT_TEXT;
	}
	if (i < n && d[i] == '<')
		return CW_EXTRACT_HTML;
	static const char *const marks[] = { "<html", "<body", "<div",
					     "<p>",   "<head", NULL };
	for (size_t k = i; k < n; k++) {
		if (d[k] != '<')
			continue;
		for (size_t j = 0; marks[j]; j++)
			if (n - k >= strlen(marks[j]) &&
			    !cw_strncasecmp_ascii(d + k, marks[j],
						  strlen(marks[j])))
				return CW_EXTRACT_HTML;
	}
	return CW_EXTRACT_TEXT;
}

/* JavaScript filters that will not run, one warning each, saying why. */
static void warn_filters(const struct cw_decl_doc *decl,
			 const struct cw_extract_opts *opts,
			 struct cw_strv *warnings)
{
	char why[256] = "";
	int avail = -1; /* unknown until a JavaScript filter is met */

	if (!decl || !warnings)
		return;
	for (size_t i = 0; i < decl->n_sources; i++) {
		const struct cw_decl_source *s = &decl->sources[i];
		for (size_t k = 0; k < s->n_filters; k++) {
			const char *f = s->filters[k].name;
			char *msg;
			if (!f || cw_extract_filter_native(f))
				continue;
			if (!decl->js.code && !decl->js.history) {
				msg = cw_asprintf("filter '%s' is a JavaScript "
						  "filter of Open Terms "
						  "Archive, not applied: no "
						  ".filters.js came with the "
						  "declaration",
						  f);
			} else {
				if (avail < 0)
					avail = cw_extract_filters_available(
						opts, why, sizeof(why));
				if (avail)
					continue;
				msg = cw_asprintf("filter '%s' is a JavaScript "
						  "filter of Open Terms "
						  "Archive, not applied: %s "
						  "(node and jsdom: "
						  "scripts/install-deps "
						  "--filters)",
						  f, why);
			}
			bool dup = false;
			for (size_t j = 0; j < warnings->n && !dup; j++)
				dup = !strcmp(warnings->v[j], msg);
			if (dup)
				free(msg);
			else
				cw_strv_take(warnings, msg);
		}
	}
}

static int extract_page(struct cw_buf *part, const struct cw_extract_input *in,
			const struct cw_decl_doc *doc,
			const struct cw_decl_source *src,
			const struct cw_extract_opts *opts,
			struct cw_strv *warnings, struct cw_err *err)
{
	const char *name = in->name ? in->name : (in->url ? in->url : "page");
	if (in->len > opts->max_input)
		return cw_err_set(err, CW_ETOOBIG,
				  "'%s': %zu bytes, more than %zu", name,
				  in->len, opts->max_input);
	if (!in->data && in->len)
		return cw_err_set(err, CW_EINVAL, "'%s': no data", name);
	enum cw_extract_kind kind = cw_extract_sniff(in);
	int rc;

	if (kind != CW_EXTRACT_PDF) {
		bool text = kind == CW_EXTRACT_MARKDOWN ||
			    kind == CW_EXTRACT_TEXT;

		rc = cw_extract_check_bytes(in->data ? in->data : "", in->len,
					    name, text, warnings, err);
		if (rc)
			return rc;
	}
	switch (kind) {
	case CW_EXTRACT_PDF:
		return cw_extract_pdf(part, in, opts, err);
	case CW_EXTRACT_MARKDOWN:
	case CW_EXTRACT_TEXT:
		return cw_extract_normalize(part, in->data ? in->data : "",
					    in->len, err);
	case CW_EXTRACT_HTML:
	case CW_EXTRACT_AUTO:
	default: {
		struct cw_extract_page_ctx ctx = { in, src, opts, warnings,
						   doc };
		return cw_extract_html(part, &ctx, err);
	}
	}
}

int cw_extract_document(struct cw_buf *out,
			const struct cw_extract_input *pages, size_t n,
			const struct cw_decl_doc *decl,
			struct cw_strv *warnings,
			const struct cw_extract_opts *opts, struct cw_err *err)
{
	static const struct cw_extract_opts defaults = CW_EXTRACT_OPTS_INIT;
	struct cw_extract_opts o = opts ? *opts : defaults;
	struct cw_buf part = CW_BUF_INIT;
	size_t start = out->len;
	int rc = CW_OK;

	if (!o.max_input)
		o.max_input = defaults.max_input;
	if (!o.max_output)
		o.max_output = defaults.max_output;
	if (o.pdf_timeout_ms <= 0)
		o.pdf_timeout_ms = defaults.pdf_timeout_ms;
	if (o.pdf_memory_mb <= 0)
		o.pdf_memory_mb = defaults.pdf_memory_mb;
	if (!n || !pages)
		return cw_err_set(err, CW_EINVAL, "no page to extract");
	if (decl && decl->n_sources != n)
		return cw_err_set(err, CW_EINVAL,
				  "'%s': %zu pages for a declaration of %zu "
				  "sources",
				  decl->type ? decl->type : "document", n,
				  decl->n_sources);
	warn_filters(decl, &o, warnings);
	cw_buf_init(&part, o.max_output);
	for (size_t i = 0; i < n; i++) {
		cw_buf_clear(&part);
		rc = extract_page(&part, &pages[i], decl,
				  decl ? &decl->sources[i] : NULL, &o, warnings,
				  err);
		if (rc)
			goto fail;
		while (part.len && part.ptr[part.len - 1] == '\n')
			cw_buf_truncate(&part, part.len - 1);
		if (!part.len) {
			const struct cw_extract_input *in = &pages[i];
			rc = cw_err_set(err, CW_EEMPTY,
					"'%s': extraction failed: empty text",
					in->name
						? in->name
						: (in->url ? in->url : "page"));
			goto fail;
		}
		if ((i && cw_buf_adds(out, COMBINE_SEPARATOR)) ||
		    cw_buf_add(out, part.ptr, part.len) ||
		    out->len - start > o.max_output) {
			rc = cw_err_set(err, CW_ETOOBIG,
					"text longer than %zu bytes",
					o.max_output);
			goto fail;
		}
	}
	if (cw_buf_addc(out, '\n')) {
		rc = cw_err_set(err, CW_ETOOBIG, "text longer than %zu bytes",
				o.max_output);
		goto fail;
	}
	/* a page that renders its text twice is one document */
	unsigned copies = cw_extract_undouble(out, start);
	if (copies > 1 && warnings)
		cw_strv_pushf(warnings,
			      "'%s': the text is there %u times over, "
			      "recorded once",
			      pages[0].name
				      ? pages[0].name
				      : (pages[0].url ? pages[0].url : "page"),
			      copies);
	cw_buf_release(&part);
	return CW_OK;
fail:
	cw_buf_truncate(out, start);
	cw_buf_release(&part);
	return rc;
}
