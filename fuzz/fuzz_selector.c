/*
 * Fuzz the CSS selector parser and matcher: parse the input as a selector
 * and, when it parses, run it over a small fixed document that exercises
 * every kind of selector (classes, ids, attributes, siblings, nesting,
 * empty and unknown elements).
 */
#include <gumbo.h>

#include "../src/extract/select.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char doc_html[] =
	"<!DOCTYPE html><html lang=en><head><title>t</title></head><body>"
	"<header id=top class='nav main'><a href='/legal' rel=nofollow>x</a>"
	"</header><main id=content role=main data-x='a b c'>"
	"<h1>T</h1><p class=lead>1</p><p lang=en-US>2</p><p></p>"
	"<ul><li>a<li class=x>b<li>c<li><em>d</em></ul>"
	"<section><div><span>s</span></div><div class='Main main'></div>"
	"</section><x-widget ROLE=note>w</x-widget>"
	"<table><tr><td>1<td>2</table></main>"
	"<footer role=contentinfo><p>f</p></footer></body></html>";

static GumboOutput *doc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_css *css = NULL;

	if (!doc)
		doc = gumbo_parse(doc_html); /* kept for the whole run */
	char *text = cw_strndup((const char *)data, size);
	if (cw_css_parse(&css, text, NULL) == CW_OK) {
		GumboNode **v = NULL;
		size_t n = 0;
		cw_css_select_all(&v, &n, css, doc->document);
		GumboNode *first = cw_css_select_first(css, doc->document);
		if ((n == 0) != (first == NULL) || (n && v[0] != first))
			abort();
		for (size_t i = 0; i < n; i++)
			if (!cw_css_matches(css, v[i]))
				abort();
		free(v);
		cw_css_free(css);
	}
	free(text);
	return 0;
}
