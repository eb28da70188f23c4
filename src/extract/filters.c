/*
 * filters: a declaration's JavaScript filters applied to a page by our
 * runner (filters_runner.mjs) in a node process of its own (extract.h,
 * "JavaScript filters"; docs/filters.md).
 *
 * The protocol: one JSON object on the runner's standard input (the page,
 * its URL, the filters in declared order with their parameters, the
 * source's declaration, the filters code, the snapshot's date), one JSON
 * object on its standard output ({"html", "warnings"} or {"error",
 * "filter"}). JSON both ways because the page and the code are text that
 * node reads as strings anyway, and jansson is a parser we already trust
 * with limits; the answer is capped before it is parsed.
 *
 * The limits: a wall-clock deadline and the same number of CPU seconds
 * (prlimit on the child, util/child.h), and node's heap through
 * --max-old-space-size. Not RLIMIT_AS: V8 reserves address space far
 * beyond what it uses (measured here: node 20 maps 711 MiB at start for a
 * 40 MiB resident set, and does not start at all under a 512 MiB
 * RLIMIT_AS), and jsdom's heap grows inside those reservations, so an
 * address-space limit says little about a page's filters and a tight one
 * stops node first.
 */
#include "extract_int.h"

#include <errno.h>
#include <jansson.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../util/child.h"
#include "../util/json.h"

#ifndef CW_FILTERS_RUNNER_INSTALLED
#define CW_FILTERS_RUNNER_INSTALLED \
	"/usr/local/share/clausewatch/filters_runner.mjs"
#endif
#define RUNNER_IN_TREE CW_SOURCE_ROOT "/src/extract/filters_runner.mjs"

#define TIMEOUT_DEFAULT 20000
#define MEMORY_DEFAULT 512
/* what is kept of node's standard error: the end of a stack trace */
#define STDERR_TAIL (4u << 10)

bool cw_extract_filter_native(const char *name)
{
	return !strcmp(name, "removeQueryParams") || !strcmp(name, "convertSpac"
								   "esToStandar"
								   "d");
}

static const char *env_or(const char *set, const char *var)
{
	const char *e;

	if (set && *set)
		return set;
	e = getenv(var);
	return e && *e ? e : NULL;
}

/* `cmd` as a path when it holds a '/', else looked up in PATH; NULL. */
static char *find_command(const char *cmd)
{
	const char *path = getenv("PATH"), *p;

	if (strchr(cmd, '/'))
		return access(cmd, X_OK) ? NULL : cw_strdup(cmd);
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char *full = cw_asprintf("%.*s/%s", (int)n, n ? p : ".", cmd);

		if (!access(full, X_OK))
			return full;
		free(full);
		p += n + (end ? 1 : 0);
	}
	return NULL;
}

static char *runner_path(const struct cw_extract_opts *o)
{
	const char *r = env_or(o ? o->filters_runner : NULL, "CW_FILTERS_"
							     "RUNNER");

	if (r)
		return cw_strdup(r);
	if (cw_file_exists(RUNNER_IN_TREE))
		return cw_strdup(RUNNER_IN_TREE);
	return cw_strdup(CW_FILTERS_RUNNER_INSTALLED);
}

static char *modules_path(const struct cw_extract_opts *o)
{
	const char *m = env_or(o ? o->filters_modules : NULL, "CW_FILTERS_"
							      "MODULES");
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (m)
		return cw_strdup(m);
	if (xdg && *xdg)
		return cw_asprintf("%s/clausewatch/filters/node_modules", xdg);
	return cw_asprintf("%s/.local/share/clausewatch/filters/node_modules",
			   home && *home ? home : "/nonexistent");
}

/* What the runner needs, found: node, the script, jsdom's folder. */
struct tools {
	char *node, *runner, *modules;
};

static void tools_release(struct tools *t)
{
	free(t->node);
	free(t->runner);
	free(t->modules);
}

static bool tools_find(struct tools *t, const struct cw_extract_opts *o,
		       char *why, size_t why_len)
{
	const char *node = env_or(o ? o->node : NULL, "CW_NODE");
	char *jsdom;
	bool ok;

	memset(t, 0, sizeof(*t));
	if (o && o->filters_off) {
		if (why)
			snprintf(why, why_len, "filters are turned off");
		return false;
	}
	t->node = find_command(node ? node : "node");
	if (!t->node) {
		if (why)
			snprintf(why, why_len, "'%s' not found",
				 node ? node : "node");
		return false;
	}
	t->runner = runner_path(o);
	if (!cw_file_exists(t->runner)) {
		if (why)
			snprintf(why, why_len, "no filter runner at '%s'",
				 t->runner);
		return false;
	}
	t->modules = modules_path(o);
	jsdom = cw_asprintf("%s/jsdom/package.json", t->modules);
	ok = cw_file_exists(jsdom);
	free(jsdom);
	if (!ok && why)
		snprintf(why, why_len, "jsdom not found in '%s'", t->modules);
	return ok;
}

bool cw_extract_filters_available(const struct cw_extract_opts *opts, char *why,
				  size_t why_len)
{
	struct tools t;
	bool ok = tools_find(&t, opts, why, why_len);

	tools_release(&t);
	return ok;
}

static bool names_js(const struct cw_decl_source *src)
{
	for (size_t i = 0; src && i < src->n_filters; i++)
		if (!cw_extract_filter_native(src->filters[i].name))
			return true;
	return false;
}

bool cw_extract_filters_wanted(const struct cw_extract_page_ctx *ctx)
{
	const struct cw_decl_doc *doc = ctx->doc;

	if (!doc || !(doc->js.code || doc->js.history) || !names_js(ctx->src))
		return false;
	return cw_extract_filters_available(ctx->opts, NULL, 0);
}

/* A selector list as the declaration wrote it: one value, or an array. */
static json_t *unwrap(json_t *list)
{
	if (!json_is_array(list))
		return json_null();
	if (json_array_size(list) == 1)
		return json_incref(json_array_get(list, 0));
	return json_incref(list);
}

/*
 * The source's declaration as Open Terms Archive hands it to a filter:
 * {fetch, select, remove, filter: [names]}, from the declaration's own
 * JSON (decl keeps how it is written).
 */
static json_t *context_json(const struct cw_extract_page_ctx *ctx)
{
	const struct cw_decl_doc *doc = ctx->doc;
	const struct cw_decl_source *src = ctx->src;
	struct cw_buf b = CW_BUF_INIT;
	json_t *all = NULL, *s, *o = json_object(), *names = json_array();

	if (!cw_decl_doc_to_json(&b, doc))
		all = json_loads(cw_buf_str(&b), 0, NULL);
	cw_buf_release(&b);
	s = json_object_get(all, "combine");
	s = s ? json_array_get(s, (size_t)(src - doc->sources)) : all;
	json_object_set_new(o, "fetch", cw_json_text(src->fetch));
	json_object_set_new(o, "select", unwrap(json_object_get(s, "select")));
	json_object_set_new(o, "remove", unwrap(json_object_get(s, "remove")));
	for (size_t i = 0; i < src->n_filters; i++)
		json_array_append_new(names,
				      cw_json_text(src->filters[i].name));
	json_object_set_new(o, "filter", names);
	json_decref(all);
	return o;
}

static char *request(const struct cw_buf *html,
		     const struct cw_extract_page_ctx *ctx)
{
	const struct cw_decl_doc *doc = ctx->doc;
	const struct cw_decl_source *src = ctx->src;
	json_t *o = json_object(), *filters = json_array(), *imports;
	char *text;

	json_object_set_new(o, "service", cw_json_text(doc->js.name));
	json_object_set_new(o, "html", cw_json_textn(html->ptr, html->len));
	json_object_set_new(o, "url", cw_json_text(ctx->in->url));
	for (size_t i = 0; i < src->n_filters; i++) {
		const struct cw_decl_filter *f = &src->filters[i];
		json_t *fo = json_object();
		json_t *p = f->param_json ? json_loads(f->param_json,
						       JSON_DECODE_ANY, NULL)
					  : NULL;

		json_object_set_new(fo, "name", cw_json_text(f->name));
		if (p)
			json_object_set_new(fo, "param", p);
		json_array_append_new(filters, fo);
	}
	json_object_set_new(o, "filters", filters);
	json_object_set_new(o, "context", context_json(ctx));
	json_object_set_new(o, "code", cw_json_text(doc->js.code));
	json_object_set_new(o, "history", cw_json_text(doc->js.history));
	imports = json_object();
	for (size_t i = 0; i < doc->js.dep_names.n; i++)
		json_object_set_new(imports, doc->js.dep_names.v[i],
				    cw_json_text(doc->js.dep_codes.v[i]));
	json_object_set_new(o, "imports", imports);
	if (ctx->in->fetched_at) {
		char iso[CW_TIME_ISO];
		cw_time_iso(ctx->in->fetched_at, iso);
		json_object_set_new(o, "at", json_string(iso));
	} else {
		json_object_set_new(o, "at", json_null());
	}
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

int cw_extract_filters_answer(struct cw_buf *html, struct cw_strv *warnings,
			      const char *a, size_t n, struct cw_err *err)
{
	json_t *o = json_loadb(a, n, 0, NULL), *h, *e, *w;
	int rc;

	if (!json_is_object(o)) {
		json_decref(o);
		return cw_err_set(err, CW_EIO,
				  "the filter runner gave no answer");
	}
	h = json_object_get(o, "html");
	e = json_object_get(o, "error");
	if (json_is_string(e)) {
		const char *f = json_string_value(json_object_get(o, "filter"));
		/* a filter may throw an empty message: say that much */
		const char *why = json_string_length(e) ? json_string_value(e)
							: "no reason given";
		if (f && *f)
			rc = cw_err_set(err, CW_EINVAL,
					"filter '%s' failed: %s", f, why);
		else if (json_string_length(e))
			rc = cw_err_set(err, CW_EINVAL, "%s", why);
		else
			rc = cw_err_set(err, CW_EINVAL,
					"the filter runner failed: %s", why);
	} else if (!json_is_string(h)) {
		rc = cw_err_set(err, CW_EIO, "bad answer of the filter runner");
	} else {
		cw_buf_clear(html);
		rc = cw_buf_add(html, json_string_value(h),
				json_string_length(h))
			     ? cw_err_set(err, CW_ETOOBIG,
					  "filtered page longer than %zu bytes",
					  html->max)
			     : CW_OK;
		w = json_object_get(o, "warnings");
		for (size_t i = 0; !rc && warnings && i < json_array_size(w);
		     i++) {
			const char *s = json_string_value(json_array_get(w, i));
			if (s)
				cw_strv_pushf(warnings, "%s", s);
		}
	}
	json_decref(o);
	return rc;
}

/* Did node run out of heap? V8 prints this before it aborts. */
static bool out_of_heap(const struct cw_child_run *r)
{
	const char *s = cw_buf_str(&r->errtail);

	return strstr(s, "heap out of memory") || strstr(s, "Reached heap "
							    "limit");
}

static int run(struct cw_buf *html, const struct cw_extract_page_ctx *ctx,
	       const struct tools *t, struct cw_err *err)
{
	const struct cw_extract_opts *o = ctx->opts;
	long timeout_ms = o->filters_timeout_ms > 0 ? o->filters_timeout_ms
						    : TIMEOUT_DEFAULT;
	long memory_mb = o->filters_memory_mb > 0 ? o->filters_memory_mb
						  : MEMORY_DEFAULT;
	char heap[64], line[256], how[64];
	char *argv[] = { t->node, heap, t->runner, t->modules, NULL };
	struct cw_child_opts co = { 0 };
	struct cw_child_run r;
	char *req = request(html, ctx);
	int fd, rc;

	if (!req)
		return cw_err_set(err, CW_EIO,
				  "cannot write the filters' "
				  "request");
	snprintf(heap, sizeof(heap), "--max-old-space-size=%ld", memory_mb);
	fd = cw_child_memfd("clausewatch-filters", req, strlen(req));
	free(req);
	if (fd < 0)
		return cw_err_set(err, CW_EIO,
				  "cannot hand the page to the filter runner: "
				  "%s",
				  strerror(errno));
	co.timeout_ms = timeout_ms;
	co.cpu_s = (timeout_ms + 999) / 1000;
	/* JSON may escape a byte as six ("\u0001"): the page's cap, six
	 * times, and room for the warnings */
	co.max_out = 6 * (html->max ? html->max : o->max_input) + (64u << 10);
	co.err_tail = STDERR_TAIL;
	co.stop = o->stop;
	rc = cw_child_run(&r, t->node, argv, NULL, fd, &co, err);
	close(fd);
	if (rc)
		goto done;
	if (r.stopped)
		rc = cw_err_set(err, CW_EIO,
				"the filters stopped: the program is "
				"stopping");
	else if (r.toobig)
		rc = cw_err_set(err, CW_ETOOBIG,
				"the filtered page is longer than %zu bytes",
				co.max_out);
	else if (cw_child_out_of_time(&r, co.cpu_s))
		rc = cw_err_set(err, CW_ETIMEOUT,
				"the filters took longer than %g s",
				(double)timeout_ms / 1000);
	else if ((!WIFEXITED(r.status) || WEXITSTATUS(r.status)) &&
		 out_of_heap(&r))
		rc = cw_err_set(err, CW_ETOOBIG,
				"the filters used more than %ld MiB",
				memory_mb);
	else if (cw_child_stopped(&r))
		rc = cw_err_set(err, CW_EIO, "the filters stopped by signal %d",
				WTERMSIG(r.status));
	else if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0)
		rc = cw_extract_filters_answer(html, ctx->warnings,
					       cw_buf_str(&r.out), r.out.len,
					       err);
	else {
		cw_child_last_line(&r, line, sizeof(line));
		cw_child_status_str(&r, how, sizeof(how));
		rc = cw_err_set(err, CW_EIO, "the filter runner %s%s%s", how,
				line[0] ? ": " : "", line);
	}
done:
	cw_child_run_release(&r);
	return rc;
}

int cw_extract_filters_run(struct cw_buf *html,
			   const struct cw_extract_page_ctx *ctx,
			   struct cw_err *err)
{
	const char *name = ctx->in->name
				   ? ctx->in->name
				   : (ctx->in->url ? ctx->in->url : "page");
	struct tools t;
	char why[256];
	int rc;

	if (!tools_find(&t, ctx->opts, why, sizeof(why)))
		rc = cw_err_set(err, CW_EIO, "cannot run the filters: %s", why);
	else
		rc = run(html, ctx, &t, err);
	tools_release(&t);
	if (rc)
		cw_err_prefix(err, "'%s': '%s': ", name, ctx->doc->js.name);
	return rc;
}
