/*
 * Fuzz the rule side of analyze on arbitrary text: category detection,
 * parameter extraction, exposure rating and interpretive notes, with the
 * real taxonomy (CW_DATA_DIR, else the source tree's data/). The first
 * byte picks where the provision starts inside the text, so notes see a
 * provision that is a strict part of its document. Spans and levels are
 * checked; abort() reports a broken invariant.
 */
#include <stdint.h>

#include "../src/analyze/notes.h"
#include "../src/analyze/params.h"
#include "../src/analyze/taxonomy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cw_taxonomy *tax;

static void load(void)
{
	struct cw_err err = CW_ERR_INIT;
	const char *dir = getenv("CW_DATA_DIR");
	char *fallback = cw_asprintf("%s/data", CW_SOURCE_ROOT);

	if (cw_taxonomy_load(&tax, dir && *dir ? dir : fallback, &err)) {
		fprintf(stderr, "fuzz_rules: %s\n", err.msg);
		abort();
	}
	free(fallback);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tracked[] = { "Privacy Policy" };
	struct cw_tax_matches m = CW_TAX_MATCHES_INIT;
	struct cw_params ps = CW_PARAMS_INIT;
	struct cw_notes n = CW_NOTES_INIT;
	const char *t = (const char *)data;
	size_t pstart;

	if (!tax)
		load();
	if (size > (1u << 20))
		return 0;
	pstart = size ? (size_t)data[0] % (size + 1) : 0;
	if (cw_taxonomy_detect(&m, tax, "Title", t, size, NULL))
		abort();
	for (size_t i = 0; i < m.n; i++) {
		struct cw_tax_rating r;
		if (m.items[i].end > size || m.items[i].start > m.items[i].end)
			abort();
		for (int a = 0; a < CW_AUDIENCE_COUNT; a++) {
			if (cw_taxonomy_rate(&r, m.items[i].cat, a, t, size,
					     NULL))
				abort();
			if (r.level < CW_LEVEL_LOW || r.level > CW_LEVEL_HIGH)
				abort();
			cw_tax_rating_release(&r);
		}
	}
	if (cw_params_extract(&ps, t, size, 7, NULL, 0, NULL))
		abort();
	for (size_t i = 0; i < ps.n; i++)
		if (ps.items[i].start < 7 || ps.items[i].end > size + 7 ||
		    ps.items[i].start > ps.items[i].end || !ps.items[i].value)
			abort();
	if (cw_notes_find(&n, tax, t, size, pstart, size, NULL, tracked, 1,
			  NULL))
		abort();
	for (size_t i = 0; i < n.n; i++)
		if (n.items[i].start < pstart || n.items[i].end > size ||
		    !n.items[i].text)
			abort();
	cw_tax_matches_release(&m);
	cw_params_release(&ps);
	cw_notes_release(&n);
	return 0;
}
