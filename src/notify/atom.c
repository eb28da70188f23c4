/*
 * atom: one Atom 1.0 feed (RFC 4287) per watchlist name (see notify.h).
 *
 * Ids are tag URIs (RFC 4151) built from the alert's idempotency key, so
 * an entry keeps its id however often the feed is rewritten, and a feed
 * reader shows each alert once.
 */
#include <jansson.h>

#include "notify.h"

#define FEED_ENTRIES 100
#define TAG "tag:clausewatch.invalid,2026:"

/* Escape for XML: C0 controls other than tab and newline are not allowed
 * in XML 1.0 at all, and cw_html_escape() drops them. */
static void esc(struct cw_buf *out, const char *s)
{
	cw_html_escape(out, s ? s : "", s ? strlen(s) : 0);
}

/* The time the alert's subject was recorded: the change's version, or
 * the row's creation (health alerts). */
static char *entry_time(struct cw_store *s, const struct cw_store_outbox *o)
{
	struct cw_store_change c;
	char *t = NULL;

	if (o->change_id &&
	    cw_store_get_change(s, o->change_id, &c, NULL) == CW_OK) {
		t = c.recorded_at ? cw_strdup(c.recorded_at) : NULL;
		cw_store_change_release(&c);
	}
	return t ? t
		 : cw_strdup(o->created_at ? o->created_at
					   : "1970-01-01T00:00:00Z");
}

int cw_notify_feed_render(struct cw_store *s, const char *name,
			  const char *base_url, struct cw_buf *out,
			  struct cw_err *err)
{
	struct cw_store_outbox *rows = NULL;
	struct cw_store_sub *subs = NULL;
	size_t n = 0, nsubs = 0;
	bool known = false;
	char now[CW_TIME_ISO];
	char *updated = NULL;
	int rc;

	rc = cw_store_sub_list(s, &subs, &nsubs, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < nsubs; i++)
		if (!strcmp(subs[i].channel, "feed") &&
		    !strcmp(subs[i].target, name))
			known = true;
	cw_store_subs_free(subs, nsubs);
	if (!known)
		return cw_err_set(err, CW_ENOTFOUND,
				  "no feed watchlist named '%s'", name);
	rc = cw_store_outbox_feed(s, name, FEED_ENTRIES, &rows, &n, err);
	if (rc)
		return rc;
	cw_time_now_iso(now);
	updated = n ? entry_time(s, &rows[0]) : cw_strdup(now);
	cw_buf_adds(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
			 "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  "
			 "<id>" TAG "feed:");
	esc(out, name);
	cw_buf_adds(out, "</id>\n  <title>clausewatch: ");
	esc(out, name);
	cw_buf_adds(out, "</title>\n  <updated>");
	esc(out, updated);
	cw_buf_adds(out, "</updated>\n  "
			 "<author><name>clausewatch</name></author>\n"
			 "  <generator>clausewatch</generator>\n");
	if (base_url) {
		cw_buf_adds(out, "  <link rel=\"alternate\" href=\"");
		esc(out, base_url);
		cw_buf_adds(out, "\"/>\n");
	}
	for (size_t i = 0; i < n; i++) {
		struct cw_buf subj = CW_BUF_INIT, text = CW_BUF_INIT,
			      html = CW_BUF_INIT;
		struct cw_err e = CW_ERR_INIT;
		char *t;

		if (cw_notify_render_text(s, &rows[i], &subj, &text, &html,
					  &e)) {
			cw_buf_release(&subj);
			cw_buf_release(&text);
			cw_buf_release(&html);
			continue; /* a change removed since: no entry */
		}
		t = entry_time(s, &rows[i]);
		cw_buf_adds(out, "  <entry>\n    <id>" TAG);
		esc(out, rows[i].idem_key);
		cw_buf_adds(out, "</id>\n    <title>");
		/* the subject without the mail tag */
		esc(out, cw_str_startswith(subj.ptr ? subj.ptr : "", "[clausewa"
								     "tch] ")
				 ? subj.ptr + 14
				 : cw_buf_str(&subj));
		cw_buf_adds(out, "</title>\n    <updated>");
		esc(out, t);
		cw_buf_adds(out, "</updated>\n    <category term=\"");
		esc(out, rows[i].kind);
		cw_buf_adds(out, "\"/>\n    <summary type=\"text\">");
		esc(out, cw_buf_str(&text));
		cw_buf_adds(out, "</summary>\n    <content type=\"html\">");
		esc(out, cw_buf_str(&html));
		cw_buf_adds(out, "</content>\n  </entry>\n");
		free(t);
		cw_buf_release(&subj);
		cw_buf_release(&text);
		cw_buf_release(&html);
	}
	cw_buf_adds(out, "</feed>\n");
	free(updated);
	cw_store_outbox_free(rows, n);
	return CW_OK;
}
