/*
 * Fuzz the provision diff: the input is split in two at its first 0xFF
 * byte (or in the middle when there is none), both halves are segmented
 * and diffed with the project's rules, and the result is rendered as
 * JSON, Markdown and text. Invariants of diff.h are checked and abort()
 * reports a broken one: every provision of either side is in exactly one
 * change (or unchanged), offsets lie inside the texts, redline spans are
 * ordered and inside their change.
 */
#include <jansson.h>

#include "../src/diff/diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cw_diff_rules *rules(void)
{
	/* loaded once per process: the rules are immutable */
	static struct cw_diff_rules *r;
	static bool tried;

	if (!tried) {
		const char *d = getenv("CW_DATA_DIR");
		char *dir = cw_asprintf("%s/diff",
					d && *d ? d : CW_SOURCE_ROOT "/data");
		struct cw_err err = CW_ERR_INIT;
		tried = true;
		if (cw_diff_rules_load(&r, dir, &err)) {
			fprintf(stderr, "fuzz_diff: %s\n", err.msg);
			abort();
		}
		free(dir);
	}
	return r;
}

static void check(const struct cw_diff *d, const struct cw_segmentation *sa,
		  const struct cw_segmentation *sb, size_t la, size_t lb)
{
	unsigned char *seen_a = cw_calloc(sa->n + 1, 1);
	unsigned char *seen_b = cw_calloc(sb->n + 1, 1);

	for (size_t k = 0; k < d->n; k++) {
		const struct cw_diff_change *c = &d->changes[k];
		size_t po = c->old_start, pn = c->new_start;
		if (c->old_start > c->old_end || c->old_end > la ||
		    c->new_start > c->new_end || c->new_end > lb)
			abort();
		for (size_t i = 0; i < c->n_old; i++)
			if (c->old_idx[i] < 0 ||
			    (size_t)c->old_idx[i] >= sa->n ||
			    seen_a[c->old_idx[i]]++)
				abort();
		for (size_t i = 0; i < c->n_new; i++)
			if (c->new_idx[i] < 0 ||
			    (size_t)c->new_idx[i] >= sb->n ||
			    seen_b[c->new_idx[i]]++)
				abort();
		for (size_t i = 0; i < c->n_spans; i++) {
			const struct cw_diff_span *s = &c->spans[i];
			if (s->old_start > s->old_end ||
			    s->new_start > s->new_end || s->old_end > la ||
			    s->new_end > lb)
				abort();
			if (c->kind != CW_DIFF_ADDED &&
			    c->kind != CW_DIFF_REMOVED &&
			    (s->old_start < po || s->new_start < pn))
				abort();
			po = s->op == CW_DIFF_OP_DEL ? s->old_end
						     : s->old_start;
			pn = s->op == CW_DIFF_OP_INS ? s->new_end
						     : s->new_start;
		}
		if (!c->summary || !c->title)
			abort();
	}
	free(seen_a);
	free(seen_b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *cut = memchr(data, 0xFF, size);
	size_t la = cut ? (size_t)(cut - data) : size / 2;
	size_t lb = cut ? size - la - 1 : size - la;
	char *a = cw_strndup((const char *)data, la);
	char *b = cw_strndup((const char *)data + size - lb, lb);
	struct cw_segmentation *sa = NULL, *sb = NULL;
	struct cw_diff *d = NULL;
	struct cw_err err = CW_ERR_INIT;
	struct cw_diff_opts o = CW_DIFF_OPTS_INIT;

	/* memchr may stop at a NUL inside: work on what strndup kept */
	la = strlen(a);
	lb = strlen(b);
	if (cw_segment_text(&sa, a, la, NULL, &err) ||
	    cw_segment_text(&sb, b, lb, NULL, &err))
		goto out;
	{
		struct cw_diff_version va = { a, la, sa }, vb = { b, lb, sb };
		/* small caps on some inputs, to reach the coarse paths */
		if (size > 0 && data[0] == '!') {
			o.max_cost = 1;
			o.max_tokens = 64;
		}
		if (cw_diff_compute(&d, &va, &vb, rules(), &o, &err) != CW_OK)
			abort();
	}
	check(d, sa, sb, la, lb);
	{
		json_t *j = cw_diff_to_json(d);
		struct cw_buf out = CW_BUF_INIT;
		if (!j)
			abort();
		json_decref(j);
		cw_diff_to_json_buf(&out, d);
		cw_diff_to_markdown(&out, d);
		cw_diff_to_text(&out, d);
		cw_buf_release(&out);
	}
out:
	cw_diff_free(d);
	cw_segment_free(sa);
	cw_segment_free(sb);
	free(a);
	free(b);
	return 0;
}
