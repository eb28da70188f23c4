/*
 * record: the change record, its compaction, its redline refill and its
 * one JSON codec (see record.h and docs/internals/change-record.md).
 */
#include <jansson.h>
#include <math.h>

#include "record.h"

/* ---- life cycle ---- */

void cw_change_record_init(struct cw_change_record *r)
{
	memset(r, 0, sizeof(*r));
	r->schema = CW_CHANGE_RECORD_SCHEMA;
}

static void move_release(struct cw_change_move *m)
{
	free(m->key);
	free(m->old_key);
	free(m->title);
	free(m->audience);
	free(m->from);
	free(m->to);
	free(m->direction);
}

static void moves_free(struct cw_change_move *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		move_release(&m[i]);
	free(m);
}

static void entry_release(struct cw_change_entry *e)
{
	free(e->old_key);
	free(e->new_key);
	free(e->title);
	free(e->summary);
	free(e->old_prov);
	free(e->new_prov);
	for (size_t i = 0; i < e->n_facts; i++) {
		free(e->facts[i].old_value);
		free(e->facts[i].new_value);
	}
	free(e->facts);
	cw_strv_release(&e->noise);
	for (size_t i = 0; i < e->n_spans; i++)
		free(e->spans[i].text);
	free(e->spans);
	for (size_t i = 0; i < e->n_categories; i++) {
		struct cw_change_category *c = &e->categories[i];
		free(c->id);
		free(c->name);
		free(c->in);
		free(c->severity);
	}
	free(e->categories);
	moves_free(e->moves, e->n_moves);
}

void cw_change_record_release(struct cw_change_record *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		entry_release(&r->entries[i]);
	free(r->entries);
	cw_strv_release(&r->categories);
	moves_free(r->moves, r->n_moves);
	free(r->analysis_error);
	free(r->summary);
	cw_change_record_init(r);
}

/* ---- from a change list ---- */

/* A copy of s[0..n), repaired to valid UTF-8 without NUL bytes (a span
 * starts and ends on token boundaries, but the texts come from anywhere). */
static char *text_copy(const char *s, size_t n, size_t *len)
{
	struct cw_buf b = CW_BUF_INIT;
	char *out;

	if (cw_utf8_valid(s, n) && !memchr(s, 0, n)) {
		*len = n;
		return cw_strndup(s, n);
	}
	cw_utf8_sanitize(&b, s, n);
	*len = b.len;
	out = cw_strndup(b.ptr ? b.ptr : "", b.len);
	cw_buf_release(&b);
	return out;
}

static char *str_copy(const char *s)
{
	size_t n;

	return s ? text_copy(s, strlen(s), &n) : NULL;
}

static long *idx_copy(const long *v, size_t n)
{
	long *out = cw_calloc(n ? n : 1, sizeof(*out));

	if (n)
		memcpy(out, v, n * sizeof(*v));
	return out;
}

int cw_change_record_from_diff(struct cw_change_record *r,
			       const struct cw_diff *d)
{
	cw_change_record_init(r);
	r->entries = cw_calloc(d->n ? d->n : 1, sizeof(*r->entries));
	r->n = d->n;
	memcpy(r->counts, d->counts, sizeof(r->counts));
	for (size_t k = 0; k < d->n; k++) {
		const struct cw_diff_change *ch = &d->changes[k];
		struct cw_change_entry *e = &r->entries[k];

		e->kind = ch->kind;
		e->modified = ch->modified;
		e->materiality = ch->materiality;
		e->old_key = str_copy(ch->old_key);
		e->new_key = str_copy(ch->new_key);
		e->title = str_copy(ch->title);
		e->summary = str_copy(ch->summary);
		e->old_start = ch->old_start;
		e->old_end = ch->old_end;
		e->new_start = ch->new_start;
		e->new_end = ch->new_end;
		e->old_prov = idx_copy(ch->old_idx, ch->n_old);
		e->n_old_prov = ch->n_old;
		e->new_prov = idx_copy(ch->new_idx, ch->n_new);
		e->n_new_prov = ch->n_new;
		e->similarity = ch->similarity;
		e->facts = cw_calloc(ch->n_facts ? ch->n_facts : 1,
				     sizeof(*e->facts));
		e->n_facts = ch->n_facts;
		for (size_t i = 0; i < ch->n_facts; i++) {
			e->facts[i].kind = ch->facts[i].kind;
			e->facts[i].old_value =
				str_copy(ch->facts[i].old_value);
			e->facts[i].new_value =
				str_copy(ch->facts[i].new_value);
		}
		for (size_t i = 0; i < ch->noise.n; i++)
			cw_strv_push(&e->noise, ch->noise.v[i]);
		e->coarse = ch->coarse;
		e->spans = cw_calloc(ch->n_spans ? ch->n_spans : 1,
				     sizeof(*e->spans));
		e->n_spans = ch->n_spans;
		for (size_t i = 0; i < ch->n_spans; i++) {
			const struct cw_diff_span *s = &ch->spans[i];
			struct cw_change_span *o = &e->spans[i];
			bool del = s->op == CW_DIFF_OP_DEL;

			o->op = s->op;
			o->old_start = s->old_start;
			o->old_end = s->old_end;
			o->new_start = s->new_start;
			o->new_end = s->new_end;
			o->text = del ? text_copy(d->old_text + s->old_start,
						  s->old_end - s->old_start,
						  &o->text_len)
				      : text_copy(d->new_text + s->new_start,
						  s->new_end - s->new_start,
						  &o->text_len);
		}
	}
	return CW_OK;
}

/* ---- compaction and refill ---- */

void cw_change_record_compact(struct cw_change_record *r)
{
	for (size_t k = 0; k < r->n; k++) {
		struct cw_change_entry *e = &r->entries[k];

		for (size_t i = 0; i < e->n_spans; i++) {
			free(e->spans[i].text);
			e->spans[i].text = NULL;
			e->spans[i].text_len = 0;
		}
		e->similarity = round(e->similarity * 100) / 100;
	}
	r->compact = true;
}

void cw_change_record_fill_redline(struct cw_change_record *r, const char *old,
				   size_t old_len, const char *new,
				   size_t new_len)
{
	for (size_t k = 0; k < r->n; k++) {
		struct cw_change_entry *e = &r->entries[k];

		for (size_t i = 0; i < e->n_spans; i++) {
			struct cw_change_span *s = &e->spans[i];
			bool del = s->op == CW_DIFF_OP_DEL;
			const char *t = del ? old : new;
			size_t tlen = del ? old_len : new_len;
			size_t a = del ? s->old_start : s->new_start;
			size_t b = del ? s->old_end : s->new_end;

			if (b < a || b > tlen || !t ||
			    !cw_utf8_valid(t + a, b - a))
				continue;
			free(s->text);
			s->text = cw_strndup(t + a, b - a);
			s->text_len = b - a;
		}
	}
}

void cw_change_record_new_keys(const struct cw_change_record *r,
			       struct cw_strv *out)
{
	for (size_t k = 0; k < r->n; k++)
		if (r->entries[k].new_key)
			cw_strv_push(out, r->entries[k].new_key);
}

const struct cw_change_entry *
cw_change_record_find_new_key(const struct cw_change_record *r, const char *key)
{
	for (size_t k = 0; k < r->n; k++)
		if (r->entries[k].new_key &&
		    !strcmp(r->entries[k].new_key, key))
			return &r->entries[k];
	return NULL;
}

/* ---- encoding ---- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *index_array(const long *idx, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(idx[i]));
	return a;
}

static json_t *size_int(size_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *move_json(const struct cw_change_move *m, bool top)
{
	json_t *o = json_object();

	if (top) {
		json_object_set_new(o, "key", str_or_null(m->key));
		json_object_set_new(o, "old_key", str_or_null(m->old_key));
		json_object_set_new(o, "title", str_or_null(m->title));
	}
	json_object_set_new(o, "audience", str_or_null(m->audience));
	json_object_set_new(o, "from", str_or_null(m->from));
	json_object_set_new(o, "to", str_or_null(m->to));
	json_object_set_new(o, "direction", str_or_null(m->direction));
	return o;
}

static json_t *category_json(const struct cw_change_category *c)
{
	json_t *o;

	if (!c->name && !c->in && !c->has_confidence && !c->severity)
		return json_string(c->id);
	o = json_object();
	json_object_set_new(o, "id", json_string(c->id));
	if (c->name)
		json_object_set_new(o, "name", json_string(c->name));
	if (c->in)
		json_object_set_new(o, "in", json_string(c->in));
	if (c->has_confidence)
		json_object_set_new(o, "confidence", json_real(c->confidence));
	if (c->severity)
		json_object_set_new(o, "severity", json_string(c->severity));
	return o;
}

void *cw_change_entry_to_json(const struct cw_change_record *r,
			      const struct cw_change_entry *e)
{
	json_t *o = json_object();
	bool full = !r->compact;

	json_object_set_new(o, "kind", json_string(cw_diff_kind_name(e->kind)));
	json_object_set_new(o, "modified", json_boolean(e->modified));
	json_object_set_new(o, "old_key", str_or_null(e->old_key));
	json_object_set_new(o, "new_key", str_or_null(e->new_key));
	json_object_set_new(o, "title", str_or_null(e->title));
	json_object_set_new(
		o, "materiality",
		json_string(cw_diff_materiality_name(e->materiality)));
	json_object_set_new(o, "old_start", size_int(e->old_start));
	json_object_set_new(o, "old_end", size_int(e->old_end));
	json_object_set_new(o, "new_start", size_int(e->new_start));
	json_object_set_new(o, "new_end", size_int(e->new_end));
	if (e->kind == CW_DIFF_SPLIT || e->kind == CW_DIFF_MERGED) {
		/* provision indices of every part */
		json_object_set_new(o, "old_provisions",
				    index_array(e->old_prov, e->n_old_prov));
		json_object_set_new(o, "new_provisions",
				    index_array(e->new_prov, e->n_new_prov));
	}
	json_object_set_new(o, "similarity", json_real(e->similarity));
	if (full || e->n_facts) {
		json_t *facts = json_array();
		for (size_t i = 0; i < e->n_facts; i++) {
			const struct cw_change_fact *f = &e->facts[i];
			json_t *fo = json_object();
			json_object_set_new(
				fo, "kind",
				json_string(cw_diff_fact_kind_name(f->kind)));
			json_object_set_new(fo, "old",
					    str_or_null(f->old_value));
			json_object_set_new(fo, "new",
					    str_or_null(f->new_value));
			json_array_append_new(facts, fo);
		}
		json_object_set_new(o, "facts", facts);
	}
	if (full || e->noise.n) {
		json_t *noise = json_array();
		for (size_t i = 0; i < e->noise.n; i++)
			json_array_append_new(noise,
					      json_string(e->noise.v[i]));
		json_object_set_new(o, "noise", noise);
	}
	json_object_set_new(o, "summary", str_or_null(e->summary));
	if (full || e->coarse)
		json_object_set_new(o, "coarse", json_boolean(e->coarse));
	if (full || e->n_spans) {
		json_t *red = json_array();
		for (size_t i = 0; i < e->n_spans; i++) {
			const struct cw_change_span *s = &e->spans[i];
			json_t *so = json_object();
			bool del = s->op == CW_DIFF_OP_DEL;
			json_object_set_new(so, "op",
					    json_string(del ? "del" : "ins"));
			json_object_set_new(so, "old_start",
					    size_int(s->old_start));
			json_object_set_new(so, "old_end",
					    size_int(s->old_end));
			json_object_set_new(so, "new_start",
					    size_int(s->new_start));
			json_object_set_new(so, "new_end",
					    size_int(s->new_end));
			if (s->text)
				json_object_set_new(so, "text",
						    json_stringn(s->text,
								 s->text_len));
			json_array_append_new(red, so);
		}
		json_object_set_new(o, "redline", red);
	}
	if (e->has_categories) {
		json_t *cats = json_array();
		for (size_t i = 0; i < e->n_categories; i++)
			json_array_append_new(cats,
					      category_json(&e->categories[i]));
		json_object_set_new(o, "categories", cats);
	}
	if (e->n_moves) {
		json_t *moves = json_array();
		for (size_t i = 0; i < e->n_moves; i++)
			json_array_append_new(moves,
					      move_json(&e->moves[i], false));
		json_object_set_new(o, "exposure_moves", moves);
	}
	return o;
}

void *cw_change_record_to_json(const struct cw_change_record *r, unsigned flags)
{
	json_t *root = json_object(), *arr = json_array();

	if (flags & CW_CHANGE_JSON_SCHEMA)
		json_object_set_new(root, "schema",
				    json_integer(CW_CHANGE_RECORD_SCHEMA));
	if (r->summary)
		json_object_set_new(root, "summary", json_string(r->summary));
	for (size_t k = 0; k < r->n; k++)
		json_array_append_new(
			arr, cw_change_entry_to_json(r, &r->entries[k]));
	json_object_set_new(root, "changes", arr);
	if (flags & CW_CHANGE_JSON_COUNTS) {
		json_t *counts = json_object();
		for (int k = 0; k <= CW_DIFF_MERGED; k++)
			json_object_set_new(
				counts, cw_diff_kind_name((enum cw_diff_kind)k),
				size_int(r->counts[k]));
		json_object_set_new(root, "counts", counts);
	}
	if (r->has_categories) {
		json_t *cats = json_array();
		for (size_t i = 0; i < r->categories.n; i++)
			json_array_append_new(cats,
					      json_string(r->categories.v[i]));
		json_object_set_new(root, "categories", cats);
	}
	if (r->n_moves) {
		json_t *moves = json_array();
		for (size_t i = 0; i < r->n_moves; i++)
			json_array_append_new(moves,
					      move_json(&r->moves[i], true));
		json_object_set_new(root, "exposure_moves", moves);
	}
	if (r->analysis_error)
		json_object_set_new(root, "analysis",
				    json_pack("{ss}", "error",
					      r->analysis_error));
	return root;
}

int cw_change_record_encode(struct cw_buf *out,
			    const struct cw_change_record *r,
			    struct cw_err *err)
{
	json_t *j = cw_change_record_to_json(r, CW_CHANGE_JSON_SCHEMA |
							CW_CHANGE_JSON_COUNTS);
	char *txt = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
					      JSON_REAL_PRECISION(3))
		      : NULL;
	int rc;

	json_decref(j);
	if (!txt)
		return cw_err_set(err, CW_ERROR,
				  "change record: out of memory");
	rc = cw_buf_adds(out, txt);
	free(txt);
	return rc;
}

/* ---- decoding ---- */

/* Where in the record a field is, for messages: "changes[3].redline[1]". */
struct where {
	char at[96];
};

static int bad(struct cw_err *err, const struct where *w, const char *field,
	       const char *what)
{
	return cw_err_set(err, CW_EPARSE, "change record: %s%s%s: %s", w->at,
			  w->at[0] && field[0] ? "." : "", field, what);
}

/* An optional string (or null): *out a copy, or NULL. */
static int get_str(char **out, const json_t *o, const char *field,
		   const struct where *w, struct cw_err *err)
{
	const json_t *v = json_object_get(o, field);

	*out = NULL;
	if (!v || json_is_null(v))
		return CW_OK;
	if (!json_is_string(v))
		return bad(err, w, field, "expected a string or null");
	*out = cw_strndup(json_string_value(v), json_string_length(v));
	return CW_OK;
}

static int get_bool(bool *out, const json_t *o, const char *field,
		    const struct where *w, struct cw_err *err)
{
	const json_t *v = json_object_get(o, field);

	*out = false;
	if (!v)
		return CW_OK;
	if (!json_is_boolean(v))
		return bad(err, w, field, "expected true or false");
	*out = json_is_true(v);
	return CW_OK;
}

/* A byte offset or count: a non-negative integer. */
static int get_size(size_t *out, const json_t *o, const char *field,
		    const struct where *w, struct cw_err *err)
{
	const json_t *v = json_object_get(o, field);

	*out = 0;
	if (!v)
		return CW_OK;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad(err, w, field, "expected a non-negative integer");
	*out = (size_t)json_integer_value(v);
	return CW_OK;
}

static int get_real(double *out, bool *has, const json_t *o, const char *field,
		    const struct where *w, struct cw_err *err)
{
	const json_t *v = json_object_get(o, field);

	*out = 0;
	if (has)
		*has = v != NULL;
	if (!v)
		return CW_OK;
	if (!json_is_number(v))
		return bad(err, w, field, "expected a number");
	*out = json_number_value(v);
	return CW_OK;
}

/* An optional array: *out the array, or NULL when absent. */
static int get_array(const json_t **out, const json_t *o, const char *field,
		     const struct where *w, struct cw_err *err)
{
	const json_t *v = json_object_get(o, field);

	*out = NULL;
	if (!v)
		return CW_OK;
	if (!json_is_array(v))
		return bad(err, w, field, "expected an array");
	*out = v;
	return CW_OK;
}

static int get_name(int *out, const json_t *o, const char *field,
		    int (*parse)(const char *), const struct where *w,
		    struct cw_err *err)
{
	const json_t *v = json_object_get(o, field);

	if (!v)
		return bad(err, w, field, "missing");
	if (!json_is_string(v) || (*out = parse(json_string_value(v))) < 0)
		return bad(err, w, field, "expected a known name");
	return CW_OK;
}

static int fact_kind_parse(const char *name)
{
	for (int k = 0; k < CW_DIFF_FACT_NKINDS; k++)
		if (!strcmp(name,
			    cw_diff_fact_kind_name((enum cw_diff_fact_kind)k)))
			return k;
	return -1;
}

static int op_parse(const char *name)
{
	return !strcmp(name, "del")   ? CW_DIFF_OP_DEL
	       : !strcmp(name, "ins") ? CW_DIFF_OP_INS
				      : -1;
}

static void where_item(struct where *w, const struct where *parent,
		       const char *field, size_t i)
{
	int n = snprintf(w->at, sizeof(w->at), "%s%s%s[%zu]", parent->at,
			 parent->at[0] ? "." : "", field, i);

	if (n < 0 || (size_t)n >= sizeof(w->at)) /* cut: still a clue */
		w->at[sizeof(w->at) - 1] = '\0';
}

static int dec_moves(struct cw_change_move **out, size_t *n, const json_t *o,
		     const struct where *w, bool top, struct cw_err *err)
{
	const json_t *arr, *m;
	size_t i;
	int rc = get_array(&arr, o, "exposure_moves", w, err);

	if (rc || !arr)
		return rc;
	*out = cw_calloc(json_array_size(arr) ? json_array_size(arr) : 1,
			 sizeof(**out));
	json_array_foreach(arr, i, m)
	{
		struct cw_change_move *mv = &(*out)[i];
		struct where mw;

		where_item(&mw, w, "exposure_moves", i);
		*n = i + 1;
		if (!json_is_object(m))
			return bad(err, &mw, "", "expected an object");
		if (top &&
		    ((rc = get_str(&mv->key, m, "key", &mw, err)) ||
		     (rc = get_str(&mv->old_key, m, "old_key", &mw, err)) ||
		     (rc = get_str(&mv->title, m, "title", &mw, err))))
			return rc;
		if ((rc = get_str(&mv->audience, m, "audience", &mw, err)) ||
		    (rc = get_str(&mv->from, m, "from", &mw, err)) ||
		    (rc = get_str(&mv->to, m, "to", &mw, err)) ||
		    (rc = get_str(&mv->direction, m, "direction", &mw, err)))
			return rc;
	}
	return CW_OK;
}

static int dec_categories(struct cw_change_entry *e, const json_t *o,
			  const struct where *w, struct cw_err *err)
{
	const json_t *arr, *c;
	size_t i;
	int rc = get_array(&arr, o, "categories", w, err);

	if (rc || !arr)
		return rc;
	e->has_categories = true;
	e->categories =
		cw_calloc(json_array_size(arr) ? json_array_size(arr) : 1,
			  sizeof(*e->categories));
	json_array_foreach(arr, i, c)
	{
		struct cw_change_category *cat = &e->categories[i];
		struct where cw;

		where_item(&cw, w, "categories", i);
		e->n_categories = i + 1;
		if (json_is_string(c)) { /* a bare id */
			cat->id = cw_strdup(json_string_value(c));
			continue;
		}
		if (!json_is_object(c))
			return bad(err, &cw, "", "expected an id or an object");
		if (!json_is_string(json_object_get(c, "id")))
			return bad(err, &cw, "id", "expected a string");
		cat->id = cw_strdup(json_string_value(json_object_get(c, "i"
									 "d")));
		if ((rc = get_str(&cat->name, c, "name", &cw, err)) ||
		    (rc = get_str(&cat->in, c, "in", &cw, err)) ||
		    (rc = get_real(&cat->confidence, &cat->has_confidence, c,
				   "confidence", &cw, err)) ||
		    (rc = get_str(&cat->severity, c, "severity", &cw, err)))
			return rc;
	}
	return CW_OK;
}

static int dec_indices(long **out, size_t *n, const json_t *o,
		       const char *field, const struct where *w,
		       struct cw_err *err)
{
	const json_t *arr, *v;
	size_t i;
	int rc = get_array(&arr, o, field, w, err);

	if (rc)
		return rc;
	*out = cw_calloc(arr && json_array_size(arr) ? json_array_size(arr) : 1,
			 sizeof(**out));
	json_array_foreach(arr, i, v)
	{
		if (!json_is_integer(v))
			return bad(err, w, field, "expected integers");
		(*out)[i] = (long)json_integer_value(v);
		*n = i + 1;
	}
	return CW_OK;
}

/* Does entry `o` carry a field the compact form leaves out? */
static bool full_form(const json_t *o)
{
	const char *lists[] = { "facts", "noise", "redline" };

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		const json_t *a = json_object_get(o, lists[i]);
		if (json_is_array(a) && !json_array_size(a))
			return true;
	}
	return json_is_false(json_object_get(o, "coarse"));
}

static int dec_entry(struct cw_change_entry *e, const json_t *o,
		     const struct where *w, struct cw_err *err)
{
	const json_t *arr, *v;
	size_t i;
	int kind = 0, mat = 0, rc;

	if (!json_is_object(o))
		return bad(err, w, "", "expected an object");
	if ((rc = get_name(&kind, o, "kind", cw_diff_kind_parse, w, err)) ||
	    (rc = get_name(&mat, o, "materiality", cw_diff_materiality_parse, w,
			   err)))
		return rc;
	e->kind = (enum cw_diff_kind)kind;
	e->materiality = (enum cw_diff_materiality)mat;
	if ((rc = get_bool(&e->modified, o, "modified", w, err)) ||
	    (rc = get_str(&e->old_key, o, "old_key", w, err)) ||
	    (rc = get_str(&e->new_key, o, "new_key", w, err)) ||
	    (rc = get_str(&e->title, o, "title", w, err)) ||
	    (rc = get_str(&e->summary, o, "summary", w, err)) ||
	    (rc = get_size(&e->old_start, o, "old_start", w, err)) ||
	    (rc = get_size(&e->old_end, o, "old_end", w, err)) ||
	    (rc = get_size(&e->new_start, o, "new_start", w, err)) ||
	    (rc = get_size(&e->new_end, o, "new_end", w, err)) ||
	    (rc = dec_indices(&e->old_prov, &e->n_old_prov, o, "old_provisions",
			      w, err)) ||
	    (rc = dec_indices(&e->new_prov, &e->n_new_prov, o, "new_provisions",
			      w, err)) ||
	    (rc = get_real(&e->similarity, NULL, o, "similarity", w, err)) ||
	    (rc = get_bool(&e->coarse, o, "coarse", w, err)))
		return rc;
	if ((rc = get_array(&arr, o, "facts", w, err)))
		return rc;
	e->facts = cw_calloc(arr && json_array_size(arr) ? json_array_size(arr)
							 : 1,
			     sizeof(*e->facts));
	json_array_foreach(arr, i, v)
	{
		struct cw_change_fact *f = &e->facts[i];
		struct where fw;
		int fk;

		where_item(&fw, w, "facts", i);
		e->n_facts = i + 1;
		if (!json_is_object(v))
			return bad(err, &fw, "", "expected an object");
		if ((rc = get_name(&fk, v, "kind", fact_kind_parse, &fw,
				   err)) ||
		    (rc = get_str(&f->old_value, v, "old", &fw, err)) ||
		    (rc = get_str(&f->new_value, v, "new", &fw, err)))
			return rc;
		f->kind = (enum cw_diff_fact_kind)fk;
	}
	if ((rc = get_array(&arr, o, "noise", w, err)))
		return rc;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v))
			return bad(err, w, "noise", "expected strings");
		cw_strv_push(&e->noise, json_string_value(v));
	}
	if ((rc = get_array(&arr, o, "redline", w, err)))
		return rc;
	e->spans = cw_calloc(arr && json_array_size(arr) ? json_array_size(arr)
							 : 1,
			     sizeof(*e->spans));
	json_array_foreach(arr, i, v)
	{
		struct cw_change_span *s = &e->spans[i];
		struct where sw;
		int op;

		where_item(&sw, w, "redline", i);
		e->n_spans = i + 1;
		if (!json_is_object(v))
			return bad(err, &sw, "", "expected an object");
		if ((rc = get_name(&op, v, "op", op_parse, &sw, err)) ||
		    (rc = get_size(&s->old_start, v, "old_start", &sw, err)) ||
		    (rc = get_size(&s->old_end, v, "old_end", &sw, err)) ||
		    (rc = get_size(&s->new_start, v, "new_start", &sw, err)) ||
		    (rc = get_size(&s->new_end, v, "new_end", &sw, err)) ||
		    (rc = get_str(&s->text, v, "text", &sw, err)))
			return rc;
		s->op = (enum cw_diff_op)op;
		if (s->text)
			s->text_len =
				json_string_length(json_object_get(v, "text"));
	}
	if ((rc = dec_categories(e, o, w, err)))
		return rc;
	return dec_moves(&e->moves, &e->n_moves, o, w, false, err);
}

static int dec_record(struct cw_change_record *r, const json_t *root,
		      struct cw_err *err)
{
	struct where w = { "" };
	const json_t *v, *arr;
	size_t i;
	int rc;

	if (!json_is_object(root))
		return bad(err, &w, "(root)", "expected an object");
	v = json_object_get(root, "schema");
	r->schema = 0;
	if (v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			return bad(err, &w, "schema",
				   "expected a positive integer");
		if (json_integer_value(v) > CW_CHANGE_RECORD_SCHEMA)
			return cw_err_set(err, CW_EPARSE,
					  "change record: schema %lld is newer "
					  "than this program reads (%d)",
					  (long long)json_integer_value(v),
					  CW_CHANGE_RECORD_SCHEMA);
		r->schema = (int)json_integer_value(v);
	}
	if ((rc = get_str(&r->summary, root, "summary", &w, err)))
		return rc;
	if ((rc = get_array(&arr, root, "changes", &w, err)))
		return rc;
	r->compact = true;
	r->entries = cw_calloc(
		arr && json_array_size(arr) ? json_array_size(arr) : 1,
		sizeof(*r->entries));
	json_array_foreach(arr, i, v)
	{
		struct where ew;

		where_item(&ew, &w, "changes", i);
		r->n = i + 1;
		if ((rc = dec_entry(&r->entries[i], v, &ew, err)))
			return rc;
		if (full_form(v))
			r->compact = false;
	}
	v = json_object_get(root, "counts");
	if (v && !json_is_object(v))
		return bad(err, &w, "counts", "expected an object");
	for (int k = 0; v && k <= CW_DIFF_MERGED; k++)
		if ((rc = get_size(&r->counts[k], v,
				   cw_diff_kind_name((enum cw_diff_kind)k), &w,
				   err)))
			return rc;
	if ((rc = get_array(&arr, root, "categories", &w, err)))
		return rc;
	r->has_categories = arr != NULL;
	json_array_foreach(arr, i, v)
	{
		if (!json_is_string(v))
			return bad(err, &w, "categories", "expected strings");
		cw_strv_push(&r->categories, json_string_value(v));
	}
	if ((rc = dec_moves(&r->moves, &r->n_moves, root, &w, true, err)))
		return rc;
	v = json_object_get(root, "analysis");
	if (v) {
		if (!json_is_object(v))
			return bad(err, &w, "analysis", "expected an object");
		if ((rc = get_str(&r->analysis_error, v, "error", &w, err)))
			return rc;
		if (!r->analysis_error) /* an analysis note says why */
			r->analysis_error = cw_strdup("");
	}
	return CW_OK;
}

int cw_change_record_decode(struct cw_change_record *r, const char *json,
			    size_t len, struct cw_err *err)
{
	json_error_t je;
	json_t *root;
	int rc;

	cw_change_record_init(r);
	root = json_loadb(json ? json : "", json ? len : 0,
			  JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return cw_err_set(err, CW_EPARSE,
				  "change record: line %d, column %d: %s",
				  je.line, je.column, je.text);
	rc = dec_record(r, root, err);
	json_decref(root);
	if (rc)
		cw_change_record_release(r);
	return rc;
}
