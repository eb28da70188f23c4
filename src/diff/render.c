/*
 * Renderings of a change list: JSON (the change record's shape, record.c),
 * Markdown (reports, digests) and terminal text.
 */
#include <jansson.h>

#include "diff_int.h"
#include "record.h"

void *cw_diff_to_json(const struct cw_diff *d)
{
	struct cw_change_record r;
	json_t *j;

	/* one shape for the change list: the record's, in its full form */
	cw_change_record_from_diff(&r, d);
	j = cw_change_record_to_json(&r, CW_CHANGE_JSON_COUNTS);
	cw_change_record_release(&r);
	return j;
}

int cw_diff_to_json_buf(struct cw_buf *out, const struct cw_diff *d)
{
	json_t *j = cw_diff_to_json(d);
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc;

	json_decref(j);
	if (!s)
		return CW_ERROR;
	rc = cw_buf_adds(out, s);
	free(s);
	return rc;
}

/* Append text with newlines turned into spaces, for one-line context. */
static void add_flat(struct cw_buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cw_buf_addc(out, s[i] == '\n' ? ' ' : s[i]);
}

/*
 * The redline of a change in the old own text's frame: equal text printed
 * as is, deletions between `del_open`/`del_close`, insertions between
 * `ins_open`/`ins_close`. Long unchanged stretches are elided.
 */
static void redline(struct cw_buf *out, const struct cw_diff *d,
		    const struct cw_diff_change *ch, const char *del_open,
		    const char *del_close, const char *ins_open,
		    const char *ins_close)
{
	size_t pos = ch->old_start;

	for (size_t i = 0; i < ch->n_spans; i++) {
		const struct cw_diff_span *s = &ch->spans[i];
		size_t upto = s->old_start;
		if (upto > pos) {
			size_t n = upto - pos;
			if (n > 160) {
				add_flat(out, d->old_text + pos, 60);
				cw_buf_adds(out, " [...] ");
				add_flat(out, d->old_text + upto - 60, 60);
			} else {
				add_flat(out, d->old_text + pos, n);
			}
			pos = upto;
		}
		if (s->op == CW_DIFF_OP_DEL) {
			cw_buf_adds(out, del_open);
			add_flat(out, d->old_text + s->old_start,
				 s->old_end - s->old_start);
			cw_buf_adds(out, del_close);
			pos = s->old_end;
		} else {
			cw_buf_adds(out, ins_open);
			add_flat(out, d->new_text + s->new_start,
				 s->new_end - s->new_start);
			cw_buf_adds(out, ins_close);
		}
	}
	if (ch->old_end > pos) {
		size_t n = ch->old_end - pos;
		add_flat(out, d->old_text + pos, n > 120 ? 120 : n);
		if (n > 120)
			cw_buf_adds(out, " [...]");
	}
}

static void keys_line(struct cw_buf *out, const struct cw_diff_change *ch)
{
	if (ch->old_key && ch->new_key && strcmp(ch->old_key, ch->new_key) != 0)
		cw_buf_addf(out, "%s -> %s", ch->old_key, ch->new_key);
	else
		cw_buf_adds(out, ch->new_key   ? ch->new_key
				 : ch->old_key ? ch->old_key
					       : "?");
}

/* The facts a reader reads; returns how many lines. */
static size_t facts_lines(struct cw_buf *out, const struct cw_diff_change *ch,
			  const char *bullet)
{
	size_t lines = 0;

	for (size_t i = 0; i < ch->n_facts; i++) {
		const struct cw_diff_fact *f = &ch->facts[i];
		/* modal verbs and negations are detail for the JSON: a list
		 * of "may" and "not" tells a reader nothing */
		if (f->kind == CW_DIFF_FACT_MODAL ||
		    f->kind == CW_DIFF_FACT_NEGATION)
			continue;
		cw_buf_addf(out, "%s%s: ", bullet,
			    cw_diff_fact_kind_name(f->kind));
		if (f->old_value && f->new_value)
			cw_buf_addf(out, "\"%s\" -> \"%s\"\n", f->old_value,
				    f->new_value);
		else if (f->new_value)
			cw_buf_addf(out, "added \"%s\"\n", f->new_value);
		else
			cw_buf_addf(out, "removed \"%s\"\n", f->old_value);
		lines++;
	}
	return lines;
}

int cw_diff_to_markdown(struct cw_buf *out, const struct cw_diff *d)
{
	if (d->n == 0)
		return cw_buf_adds(out, "No changes.\n");
	for (size_t k = 0; k < d->n; k++) {
		const struct cw_diff_change *ch = &d->changes[k];
		cw_buf_adds(out, "### ");
		keys_line(out, ch);
		cw_buf_addf(out, " %s\n\n*%s%s, %s*\n\n%s\n\n",
			    ch->title[0] ? ch->title : "(untitled)",
			    cw_diff_kind_name(ch->kind),
			    ch->modified && ch->kind != CW_DIFF_MODIFIED &&
					    ch->kind != CW_DIFF_ADDED &&
					    ch->kind != CW_DIFF_REMOVED
				    ? " and modified"
				    : "",
			    cw_diff_materiality_name(ch->materiality),
			    ch->summary ? ch->summary : "");
		if (facts_lines(out, ch, "- "))
			cw_buf_addc(out, '\n');
		if (ch->n_spans && (ch->kind != CW_DIFF_ADDED &&
				    ch->kind != CW_DIFF_REMOVED)) {
			cw_buf_adds(out, "> ");
			redline(out, d, ch, "~~", "~~", "**", "**");
			cw_buf_adds(out, "\n\n");
		}
	}
	return CW_OK;
}

int cw_diff_to_text(struct cw_buf *out, const struct cw_diff *d)
{
	for (size_t k = 0; k < d->n; k++) {
		const struct cw_diff_change *ch = &d->changes[k];
		cw_buf_addf(out, "%-10s %-11s ", cw_diff_kind_name(ch->kind),
			    cw_diff_materiality_name(ch->materiality));
		keys_line(out, ch);
		cw_buf_addf(out, "  %s\n  %s\n", ch->title,
			    ch->summary ? ch->summary : "");
		facts_lines(out, ch, "    ");
		if (ch->n_spans && ch->kind != CW_DIFF_ADDED &&
		    ch->kind != CW_DIFF_REMOVED) {
			cw_buf_adds(out, "    ");
			redline(out, d, ch, "[-", "-]", "{+", "+}");
			cw_buf_addc(out, '\n');
		}
	}
	return CW_OK;
}
