/*
 * Renderings of a change list: JSON (jansson; what the store records and
 * the API serves), Markdown (reports, digests) and terminal text.
 */
#include <jansson.h>

#include "diff_int.h"

/* Text of a span, repaired to valid UTF-8 (a span always starts and ends
 * on token boundaries, but the texts may come from anywhere). */
static json_t *json_text(const char *s, size_t n)
{
	if (cw_utf8_valid(s, n) && !memchr(s, 0, n))
		return json_stringn(s, n);
	{
		struct cw_buf b = CW_BUF_INIT;
		json_t *j;
		cw_utf8_sanitize(&b, s, n);
		j = json_stringn(b.ptr ? b.ptr : "", b.len);
		cw_buf_release(&b);
		return j;
	}
}

static json_t *json_str_or_null(const char *s)
{
	if (!s)
		return json_null();
	return json_text(s, strlen(s));
}

static json_t *index_array(const long *idx, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(idx[i]));
	return a;
}

void *cw_diff_to_json(const struct cw_diff *d)
{
	json_t *root = json_object(), *arr = json_array(), *counts = json_object();

	for (size_t k = 0; k < d->n; k++) {
		const struct cw_diff_change *ch = &d->changes[k];
		json_t *o = json_object(), *facts = json_array(),
		       *red = json_array(), *noise = json_array();

		json_object_set_new(o, "kind", json_string(cw_diff_kind_name(ch->kind)));
		json_object_set_new(o, "modified", json_boolean(ch->modified));
		json_object_set_new(o, "old_key", json_str_or_null(ch->old_key));
		json_object_set_new(o, "new_key", json_str_or_null(ch->new_key));
		json_object_set_new(o, "title", json_str_or_null(ch->title));
		json_object_set_new(o, "materiality",
				    json_string(cw_diff_materiality_name(ch->materiality)));
		json_object_set_new(o, "old_start", json_integer((json_int_t)ch->old_start));
		json_object_set_new(o, "old_end", json_integer((json_int_t)ch->old_end));
		json_object_set_new(o, "new_start", json_integer((json_int_t)ch->new_start));
		json_object_set_new(o, "new_end", json_integer((json_int_t)ch->new_end));
		if (ch->kind == CW_DIFF_SPLIT || ch->kind == CW_DIFF_MERGED) {
			/* provision indices of every part */
			json_object_set_new(o, "old_provisions",
					    index_array(ch->old_idx, ch->n_old));
			json_object_set_new(o, "new_provisions",
					    index_array(ch->new_idx, ch->n_new));
		}
		json_object_set_new(o, "similarity", json_real(ch->similarity));
		for (size_t i = 0; i < ch->n_facts; i++) {
			const struct cw_diff_fact *f = &ch->facts[i];
			json_t *fo = json_object();
			json_object_set_new(fo, "kind",
					    json_string(cw_diff_fact_kind_name(f->kind)));
			json_object_set_new(fo, "old", json_str_or_null(f->old_value));
			json_object_set_new(fo, "new", json_str_or_null(f->new_value));
			json_array_append_new(facts, fo);
		}
		json_object_set_new(o, "facts", facts);
		for (size_t i = 0; i < ch->noise.n; i++)
			json_array_append_new(noise, json_string(ch->noise.v[i]));
		json_object_set_new(o, "noise", noise);
		json_object_set_new(o, "summary", json_str_or_null(ch->summary));
		json_object_set_new(o, "coarse", json_boolean(ch->coarse));
		for (size_t i = 0; i < ch->n_spans; i++) {
			const struct cw_diff_span *s = &ch->spans[i];
			json_t *so = json_object();
			bool del = s->op == CW_DIFF_OP_DEL;
			json_object_set_new(so, "op", json_string(del ? "del" : "ins"));
			json_object_set_new(so, "old_start", json_integer((json_int_t)s->old_start));
			json_object_set_new(so, "old_end", json_integer((json_int_t)s->old_end));
			json_object_set_new(so, "new_start", json_integer((json_int_t)s->new_start));
			json_object_set_new(so, "new_end", json_integer((json_int_t)s->new_end));
			json_object_set_new(so, "text",
					    del ? json_text(d->old_text + s->old_start,
							    s->old_end - s->old_start)
						: json_text(d->new_text + s->new_start,
							    s->new_end - s->new_start));
			json_array_append_new(red, so);
		}
		json_object_set_new(o, "redline", red);
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "changes", arr);
	for (int k = 0; k <= CW_DIFF_MERGED; k++)
		json_object_set_new(counts, cw_diff_kind_name((enum cw_diff_kind)k),
				    json_integer((json_int_t)d->counts[k]));
	json_object_set_new(root, "counts", counts);
	return root;
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
		cw_buf_adds(out, ch->new_key ? ch->new_key
				 : ch->old_key ? ch->old_key : "?");
}

static void facts_lines(struct cw_buf *out, const struct cw_diff_change *ch,
			const char *bullet)
{
	for (size_t i = 0; i < ch->n_facts; i++) {
		const struct cw_diff_fact *f = &ch->facts[i];
		cw_buf_addf(out, "%s%s: ", bullet, cw_diff_fact_kind_name(f->kind));
		if (f->old_value && f->new_value)
			cw_buf_addf(out, "\"%s\" -> \"%s\"\n", f->old_value,
				    f->new_value);
		else if (f->new_value)
			cw_buf_addf(out, "added \"%s\"\n", f->new_value);
		else
			cw_buf_addf(out, "removed \"%s\"\n", f->old_value);
	}
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
				    ? " and modified" : "",
			    cw_diff_materiality_name(ch->materiality),
			    ch->summary ? ch->summary : "");
		facts_lines(out, ch, "- ");
		if (ch->n_facts)
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
