/*
 * pdf: the text of a PDF, page by page, with poppler-glib, in this
 * process. pdf_child.c runs it in a child process with limits, which is
 * how every caller but the fuzz harness reaches it (extract.h).
 *
 * Pages are separated by a blank line; the result goes through
 * cw_extract_normalize. Layout (columns, headings) is not reconstructed:
 * poppler's reading order is what we get.
 */
#include "extract_int.h"

#include <poppler.h>

/* More pages than any legal document we know of; bounds the work. */
#define MAX_PAGES 5000

int cw_extract_pdf_reader(struct cw_buf *out, const char *data, size_t len,
			  struct cw_err *err)
{
	GError *gerr = NULL;
	GBytes *bytes = g_bytes_new_static(data, len);
	PopplerDocument *doc =
		poppler_document_new_from_bytes(bytes, NULL, &gerr);
	struct cw_buf text = CW_BUF_INIT;
	int rc = CW_OK;

	if (!doc) {
		rc = cw_err_set(err, CW_EPARSE, "unreadable PDF: %s",
				gerr && gerr->message ? gerr->message
						      : "unknown error");
		goto done;
	}
	int pages = poppler_document_get_n_pages(doc);
	if (pages > MAX_PAGES) {
		rc = cw_err_set(err, CW_ETOOBIG, "%d pages, more than %d",
				pages, MAX_PAGES);
		goto done;
	}
	cw_buf_init(&text, out->max);
	for (int i = 0; i < pages; i++) {
		PopplerPage *page = poppler_document_get_page(doc, i);
		if (!page)
			continue;
		char *t = poppler_page_get_text(page);
		if (t) {
			if ((text.len && cw_buf_add(&text, "\n\n", 2)) ||
			    cw_buf_adds(&text, t))
				rc = CW_ETOOBIG;
			g_free(t);
		}
		g_object_unref(page);
		if (rc) {
			cw_err_set(err, rc, "text longer than %zu bytes",
				   out->max);
			goto done;
		}
	}
	rc = cw_extract_normalize(out, cw_buf_str(&text), text.len, err);
done:
	if (doc)
		g_object_unref(doc);
	if (gerr)
		g_error_free(gerr);
	g_bytes_unref(bytes);
	cw_buf_release(&text);
	return rc;
}
