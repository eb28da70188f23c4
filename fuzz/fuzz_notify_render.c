/*
 * Fuzz the alert renderers (notify/render.c): the webhook's JSON body and
 * the email's subject, text and HTML, from a change record or a health
 * alert's payload read back from the store. The first byte chooses: even,
 * the rest is a change record's JSON (stored for a document of two
 * versions of our own text); odd, a health alert's payload. Checks that
 * a rendered body is valid JSON and that the HTML holds no tag the input
 * brought in (every text escaped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../src/notify/notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cw_store *store;
static int64_t doc_id, v1, v2;
static char dir[64];

static void cleanup(void)
{
	char cmd[128];

	cw_store_close(store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return;
}

static int64_t version(const char *text, const char *at)
{
	struct cw_segmentation *seg = NULL;
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_version_in in = { .text = text,
					  .len = strlen(text),
					  .recorded_at = at,
					  .origin = "fuzz" };
	int64_t id = 0;

	if (cw_segment_text(&seg, text, strlen(text), NULL, &err))
		abort();
	in.seg = seg;
	if (cw_store_record_version(store, doc_id, &in, &id, &err))
		abort();
	cw_segment_free(seg);
	return id;
}

static void setup(void)
{
	struct cw_err err = CW_ERR_INIT;
	char path[128];

	snprintf(dir, sizeof(dir), "/tmp/cw-fuzz-render-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/s.db", dir);
	if (cw_store_open(&store, path, &err) ||
	    cw_store_put_service(store, "Fuzz", "Fuzz & <Co>", NULL, NULL,
				 &err) ||
	    cw_store_put_document(store, "Fuzz", "Terms of Service", NULL,
				  &doc_id, &err))
		abort();
	v1 = version("# Terms\n\n## 1. Use\n\nYou may use it.\n", "2025-01-"
								  "01T00:00:"
								  "00Z");
	v2 = version("# Terms\n\n## 1. Use\n\nYou may not use it.\n", "2025-02-"
								      "01T00:"
								      "00:00Z");
	atexit(cleanup);
}

/* No tag in the HTML but those the renderer writes itself. */
static void check_html(const char *html)
{
	if (strstr(html, "<script") || strstr(html, "<img") ||
	    strstr(html, "<iframe"))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_store_outbox o = { .sub_id = 1, .idem_key = (char *)"k" };
	struct cw_buf json = CW_BUF_INIT, subj = CW_BUF_INIT,
		      text = CW_BUF_INIT, html = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	char *in;

	if (size < 1 || size > 1u << 16)
		return 0;
	if (!store)
		setup();
	in = cw_strndup((const char *)data + 1, size - 1);
	if (data[0] % 2 == 0) {
		struct cw_store_change_in c = { .doc_id = doc_id,
						.from_version = v1,
						.to_version = v2,
						.materiality = "substantive",
						.n_changes = 1,
						.json = in };
		if (cw_store_put_change(store, &c, &o.change_id, &err))
			abort();
		o.kind = (char *)"change";
	} else {
		o.kind = (char *)"health";
		o.payload = in;
	}
	if (cw_notify_render_json(store, &o, &json, &err) == CW_OK) {
		json_t *j = json_loadb(json.ptr, json.len, 0, NULL);
		if (!j)
			abort();
		json_decref(j);
	}
	if (cw_notify_render_text(store, &o, &subj, &text, &html, &err) ==
	    CW_OK)
		check_html(cw_buf_str(&html));
	cw_buf_release(&json);
	cw_buf_release(&subj);
	cw_buf_release(&text);
	cw_buf_release(&html);
	free(in);
	return 0;
}
