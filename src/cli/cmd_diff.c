/*
 * clausewatch diff-files [--format text|markdown|json] OLD NEW
 * clausewatch diff-files --batch LIST
 *
 * Compares two files without a store: each goes through extraction (as
 * `clausewatch extract FILE` prints it, so offsets refer to that text)
 * and segmentation, then the provision diff. --batch reads pairs "OLD<TAB>
 * NEW" from LIST (one per line, "-" for stdin) and prints one line per
 * pair: the bench and large comparisons use it.
 *
 * Each diff is read for its meaning (analyze/meaning.h) with the
 * taxonomy: the changes come most material first and the output opens
 * with the document summary; --quiet --batch prints no pair and reads no
 * meaning.
 */
#include <jansson.h>
#include <limits.h>

#include "../analyze/meaning.h"
#include "../analyze/taxonomy.h"
#include "../diff/diff.h"
#include "../extract/extract.h"
#include "../segment/segment.h"
#include "cli.h"

enum fmt { FMT_TEXT, FMT_MARKDOWN, FMT_JSON };

/* One side: the path, its extracted text and segmentation. */
struct side {
	char *path;
	struct cw_buf text;
	struct cw_segmentation *seg;
};

static void side_release(struct side *s)
{
	free(s->path);
	cw_buf_release(&s->text);
	cw_segment_free(s->seg);
	memset(s, 0, sizeof(*s));
}

static int side_load(struct side *s, const char *path, struct cw_err *err)
{
	static const struct cw_extract_opts eopts = CW_EXTRACT_OPTS_INIT;
	struct cw_segment_opts sopts = CW_SEGMENT_OPTS_INIT;
	struct cw_buf raw = CW_BUF_INIT;
	struct cw_extract_input in;
	int rc;

	memset(s, 0, sizeof(*s));
	s->path = cw_strdup(path);
	cw_buf_init(&s->text, 0);
	rc = cw_file_read(&raw, path, eopts.max_input + 1, err);
	if (rc)
		goto out;
	in = (struct cw_extract_input){
		.data = cw_buf_str(&raw),
		.len = raw.len,
		.name = path,
		.kind = CW_EXTRACT_AUTO,
	};
	rc = cw_extract_document(&s->text, &in, 1, NULL, NULL, &eopts, err);
	if (rc)
		goto out;
	/* the diff reads no provision hash; hashing every provision (each
	 * byte once per level it belongs to, 350 KB for two 67 KB versions)
	 * was the most of segmenting them */
	sopts.no_hashes = true;
	rc = cw_segment_text(&s->seg, cw_buf_str(&s->text), s->text.len, &sopts,
			     err);
out:
	cw_buf_release(&raw);
	if (rc)
		cw_err_prefix(err, "'%s': ", path);
	return rc;
}

static int diff_sides(struct cw_diff **out, const struct side *a,
		      const struct side *b, const struct cw_diff_rules *rules,
		      unsigned flags, struct cw_err *err)
{
	struct cw_diff_version va = { cw_buf_str(&a->text), a->text.len,
				      a->seg };
	struct cw_diff_version vb = { cw_buf_str(&b->text), b->text.len,
				      b->seg };
	struct cw_diff_opts o = CW_DIFF_OPTS_INIT;

	o.flags = flags;
	return cw_diff_compute(out, &va, &vb, rules, &o, err);
}

static void print_diff(const struct cw_diff *d, const char *summary, enum fmt f,
		       const char *pa, const char *pb)
{
	struct cw_buf out = CW_BUF_INIT;

	if (f == FMT_JSON) {
		json_t *j = cw_meaning_diff_json(d, summary);
		/* the command's contract is {"summary", "changes":[...]} */
		json_object_del(j, "counts");
		cw_cli_print_json_take(j);
		return;
	}
	if (f == FMT_MARKDOWN) {
		cw_buf_addf(&out, "## Changes from %s to %s\n\n%s\n\n", pa, pb,
			    summary);
		cw_diff_to_markdown(&out, d);
	} else {
		cw_buf_addf(&out, "%s -> %s: %zu change%s", pa, pb, d->n,
			    d->n == 1 ? "" : "s");
		for (int k = CW_DIFF_MODIFIED; k <= CW_DIFF_MERGED; k++)
			if (d->counts[k])
				cw_buf_addf(&out, ", %zu %s", d->counts[k],
					    cw_diff_kind_name(
						    (enum cw_diff_kind)k));
		cw_buf_addf(&out, "\n\n%s\n\n", summary);
		cw_diff_to_text(&out, d);
	}
	fputs(cw_buf_str(&out), stdout);
	cw_buf_release(&out);
}

/* A line of the --batch list holds two paths and a tab (and a '\r'). */
#define LIST_LINE_MAX (2 * PATH_MAX + 2)

/*
 * Read one line of `fp` into buf (LIST_LINE_MAX + 1 bytes), without its
 * '\n'. Returns -1 at the end, 1 when the line was longer than
 * LIST_LINE_MAX (the rest of it is skipped), else 0; *len is its length.
 */
static int read_list_line(FILE *fp, char *buf, size_t *len)
{
	size_t n = 0;
	bool over = false;
	int ch;

	while ((ch = getc(fp)) != EOF && ch != '\n') {
		if (n < LIST_LINE_MAX)
			buf[n++] = (char)ch;
		else
			over = true;
	}
	buf[n] = 0;
	*len = n;
	if (ch == EOF && n == 0 && !over)
		return -1;
	return over ? 1 : 0;
}

/* --batch: pairs from a list; consecutive pairs sharing a file reuse its
 * extraction and segmentation. */
static int run_batch(const char *list, const struct cw_diff_rules *rules,
		     const struct cw_taxonomy *tax, bool json, bool quiet)
{
	FILE *fp = strcmp(list, "-") == 0 ? stdin : fopen(list, "r");
	static char line[LIST_LINE_MAX + 1];
	size_t n, lineno = 0, pairs = 0, failed = 0, changes = 0;
	struct side prev = { 0 }, cur = { 0 };
	struct cw_err err = CW_ERR_INIT;
	int got;

	if (!fp) {
		cw_err_set(&err, CW_ENOTFOUND, "'%s': cannot open the list",
			   list);
		return cw_cli_fail(&err);
	}
	while ((got = read_list_line(fp, line, &n)) >= 0) {
		char *tab, *pa, *pb, *summary = NULL;
		struct cw_diff *d = NULL;
		lineno++;
		if (got > 0) {
			cw_cli_item_error("'%s':%zu: line longer than %d bytes "
					  "(two paths and a tab)",
					  list, lineno, LIST_LINE_MAX);
			failed++;
			continue;
		}
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (n == 0 || line[0] == '#')
			continue;
		tab = strchr(line, '\t');
		if (!tab) {
			cw_cli_item_error("'%s':%zu: expected OLD<TAB>NEW",
					  list, lineno);
			failed++;
			continue;
		}
		*tab = 0;
		pa = line;
		pb = tab + 1;
		if (!prev.path || strcmp(prev.path, pa) != 0) {
			side_release(&prev);
			if (side_load(&prev, pa, &err)) {
				cw_cli_item_error("%s", err.msg);
				side_release(&prev);
				failed++;
				continue;
			}
		}
		if (side_load(&cur, pb, &err) ||
		    diff_sides(&d, &prev, &cur, rules, 0, &err) ||
		    ((json || !quiet) &&
		     cw_meaning_explain(d, &summary, tax, &err))) {
			cw_cli_item_error("%s", err.msg);
			cw_diff_free(d);
			side_release(&cur);
			failed++;
			continue;
		}
		pairs++;
		changes += d->n;
		if (json) {
			cw_cli_print_json_take(
				json_pack("{sososo}", "old", cw_cli_jstr(pa),
					  "new", cw_cli_jstr(pb), "diff",
					  cw_meaning_diff_json(d, summary)));
		} else if (!quiet) {
			size_t sub = 0;
			for (size_t k = 0; k < d->n; k++)
				sub += d->changes[k].materiality ==
				       CW_DIFF_SUBSTANTIVE;
			printf("%s\t%s\t%zu changes\t%zu substantive\t%s\n", pa,
			       pb, d->n, sub, summary);
		}
		free(summary);
		cw_diff_free(d);
		/* the new side is the old side of the next pair */
		side_release(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
	}
	side_release(&prev);
	if (fp != stdin)
		fclose(fp);
	if (!json)
		fprintf(stderr, "%zu pairs, %zu changes, %zu failed\n", pairs,
			changes, failed);
	return failed ? (pairs ? CW_EXIT_PARTIAL : CW_EXIT_FAIL) : CW_EXIT_OK;
}

static void usage_line(void)
{
	printf("usage: clausewatch [--json] diff-files [--format "
	       "text|markdown|json]\n"
	       "                   [--all] OLD NEW\n"
	       "       clausewatch [--json] diff-files --batch LIST\n");
}

int cw_cli_cmd_diff_files(struct cw_cli *cli, int argc, char **argv)
{
	enum fmt f = cli->json ? FMT_JSON : FMT_TEXT;
	const char *batch = NULL, *format = NULL;
	unsigned flags = 0;
	struct cw_diff_rules *rules = NULL;
	struct cw_taxonomy *tax = NULL;
	struct side a = { 0 }, b = { 0 };
	struct cw_diff *d = NULL;
	struct cw_err err = CW_ERR_INIT;
	char *dir = NULL, *summary = NULL;
	bool all = false, help = false;
	int code;

	code = cw_cli_options(argc, argv, "format/f= batch/b= all/a help/h",
			      &format, &batch, &all, &help);
	if (code)
		return code;
	if (help) {
		usage_line();
		return CW_EXIT_OK;
	}
	if (format && strcmp(format, "text") == 0)
		f = FMT_TEXT;
	else if (format && strcmp(format, "markdown") == 0)
		f = FMT_MARKDOWN;
	else if (format && strcmp(format, "json") == 0)
		f = FMT_JSON;
	else if (format)
		return cw_cli_usage(argv[0], "unknown format '%s'", format);
	if (all)
		flags |= CW_DIFF_KEEP_UNCHANGED;
	if (!batch && argc - optind != 2)
		return cw_cli_usage(argv[0], "expected OLD and NEW");
	if (batch && argc - optind != 0)
		return cw_cli_usage(argv[0], "'--batch' takes no other file");
	dir = cw_asprintf("%s/diff", cw_cli_data_dir());
	if (cw_diff_rules_load(&rules, dir, &err)) {
		code = cw_cli_fail(&err);
		goto out;
	}
	if ((!batch || f == FMT_JSON || !cli->quiet) &&
	    cw_taxonomy_load(&tax, cw_cli_data_dir(), &err)) {
		code = cw_cli_fail(&err);
		goto out;
	}
	if (batch) {
		code = run_batch(batch, rules, tax, f == FMT_JSON, cli->quiet);
		goto out;
	}
	if (side_load(&a, argv[optind], &err) ||
	    side_load(&b, argv[optind + 1], &err) ||
	    diff_sides(&d, &a, &b, rules, flags, &err) ||
	    cw_meaning_explain(d, &summary, tax, &err)) {
		code = cw_cli_fail(&err);
		goto out;
	}
	print_diff(d, summary, f, argv[optind], argv[optind + 1]);
out:
	free(summary);
	cw_taxonomy_free(tax);
	cw_diff_free(d);
	side_release(&a);
	side_release(&b);
	cw_diff_rules_free(rules);
	free(dir);
	return code;
}
