/*
 * The log for witnesses and tlog clients (C2SP tlog-tiles; docs/log.md):
 *
 *   GET /checkpoint                 the latest signed checkpoint, signing
 *                                   a new one first when the tree grew
 *   GET /tile/<L>/<N>[.p/<W>]       hashes of tile N at level L
 *   GET /tile/entries/<N>[.p/<W>]   the leaves of tile N
 *
 * A tile is immutable once it exists (a partial one of width W too: the
 * tree only grows), so tiles are served as such; the checkpoint is asked
 * for again each time. The store refuses to sign a tree that does not
 * extend the last checkpoint, and the error is what is served then.
 */
#include <string.h>

#include "http_int.h"

static void checkpoint(struct http_req *r)
{
	struct cw_store_checkpoint cp;
	struct cw_err err = CW_ERR_INIT;

	if (cw_store_log_checkpoint(r->w->store, r->srv->opts->log_key, &cp,
				    &err)) {
		http_fail(r, &err);
		return;
	}
	cw_buf_adds(&r->out, cp.note);
	r->ctype = "text/plain; charset=utf-8";
	r->cache = HTTP_CACHE_REVALIDATE;
	cw_store_checkpoint_release(&cp);
}

/* A decimal without leading zeros in lo..hi. */
static bool small_number(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	unsigned v = 0;

	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 3)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static void tile(struct http_req *r)
{
	struct cw_buf rest = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	bool entries = !strcmp(r->seg[1], "entries");
	unsigned level = 0, width = 256;
	uint64_t index;
	char *dot;
	int rc;

	/* <N> spans the segments after the level, then maybe ".p/<W>" */
	for (size_t i = 2; i < r->nseg; i++) {
		if (i > 2)
			cw_buf_addc(&rest, '/');
		cw_buf_adds(&rest, r->seg[i]);
	}
	dot = strstr(rest.ptr ? rest.ptr : "", ".p/");
	if (dot) {
		*dot = '\0';
		if (!small_number(dot + 3, 1, 255, &width)) {
			http_error(r, 404, "not a partial tile's width");
			goto done;
		}
	}
	if ((!entries && !small_number(r->seg[1], 0, 63, &level)) ||
	    cw_tlog_tile_index_parse(cw_buf_str(&rest), &index)) {
		http_error(r, 404, "not a tile address");
		goto done;
	}
	rc = entries ? cw_store_log_entries(r->w->store, index, width, &r->out,
					    &err)
		     : cw_store_log_tile(r->w->store, level, index, width,
					 &r->out, &err);
	if (rc) {
		cw_buf_clear(&r->out);
		http_fail(r, &err);
		goto done;
	}
	r->ctype = "application/octet-stream";
	r->cache = HTTP_CACHE_IMMUTABLE;
done:
	cw_buf_release(&rest);
}

bool witness_route(struct http_req *r)
{
	bool cp = r->nseg == 1 && !strcmp(r->seg[0], "checkpoint");
	bool t = r->nseg >= 3 && !strcmp(r->seg[0], "tile");

	if (!cp && !t)
		return false;
	if (r->post) {
		r->allow = "GET, HEAD";
		http_error(r, 405, "the log is read with GET");
		return true;
	}
	if (cp)
		checkpoint(r);
	else
		tile(r);
	return true;
}
