/*
 * cmd_segment: split a file into provisions, without a store.
 *
 *   clausewatch [--json] segment [--max-provisions N] [--max-depth N] FILE
 *
 * The file goes through extraction first (HTML rendered to Markdown,
 * Markdown and text normalised), so the offsets printed are offsets into
 * the text that `clausewatch extract FILE` prints for the same file.
 * Human output is an indented tree of key, title and byte range; --json
 * prints {"provisions":[{"key","title","level","parent","start","end"}]}
 * with parent the parent's key, or null at the top level.
 */

#include "cli.h"
#include "../extract/extract.h"
#include "../segment/segment.h"

#define INPUT_MAX (64u << 20)

/*
 * Extraction is bound weakly: in a build whose extract module does not
 * provide these yet, the file is segmented as it is (and we say so).
 */
extern __typeof__(cw_extract_document) cw_extract_document
	__attribute__((weak));
extern __typeof__(cw_extract_normalize) cw_extract_normalize
	__attribute__((weak));

static int extract_text(struct cw_buf *text, const struct cw_buf *raw,
			const char *path, bool quiet, struct cw_err *err)
{
	if (cw_extract_document) {
		struct cw_extract_input in = { .data = raw->ptr,
					       .len = raw->len,
					       .name = path,
					       .kind = CW_EXTRACT_AUTO };
		struct cw_strv warnings = CW_STRV_INIT;
		int rc = cw_extract_document(text, &in, 1, NULL, &warnings,
					     NULL, err);
		for (size_t i = 0; i < warnings.n && !quiet; i++)
			fprintf(stderr, "clausewatch: warning: %s\n",
				warnings.v[i]);
		cw_strv_release(&warnings);
		return rc;
	}
	if (cw_extract_normalize)
		return cw_extract_normalize(text, raw->ptr, raw->len, err);
	if (!quiet)
		fprintf(stderr,
			"clausewatch: warning: extraction is not in "
			"this build; '%s' is segmented as it is\n",
			path);
	return cw_buf_add(text, raw->ptr, raw->len);
}

static void print_tree(const struct cw_segmentation *seg, const char *path,
		       const struct cw_buf *text)
{
	time_t when;
	size_t at, len;
	char iso[CW_TIME_ISO];

	printf("%s: %zu provisions, %zu bytes", path, seg->n, text->len);
	if (cw_segment_stated_date(&when, &at, &len, text->ptr, text->len) ==
	    CW_OK) {
		cw_time_iso(when, iso);
		printf(", stated date %.10s", iso);
	}
	putchar('\n');
	for (size_t i = 0; i < seg->n; i++) {
		const struct cw_provision *p = &seg->items[i];
		printf("%*s%s", 2 * (p->level - 1), "", p->key);
		if (*p->title)
			printf("  %s", p->title);
		printf("  [%zu, %zu)\n", p->start, p->end);
	}
}

int cw_cli_cmd_segment(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_segment_opts so = CW_SEGMENT_OPTS_INIT;
	struct cw_buf raw = CW_BUF_INIT, text = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	struct cw_segmentation *seg = NULL;
	const char *path;
	long max_provisions = 0, max_depth = 0;
	bool help = false;
	int rc, code = CW_EXIT_OK;

	rc = cw_cli_options(argc, argv,
			    "max-provisions#1..10000000 max-depth#1..16 help/h",
			    &max_provisions, &max_depth, &help);
	if (rc)
		return rc;
	if (help) {
		printf("usage: clausewatch [--json] segment "
		       "[--max-provisions N] [--max-depth N] FILE\n");
		return CW_EXIT_OK;
	}
	if (max_provisions)
		so.max_provisions = (size_t)max_provisions;
	if (max_depth)
		so.max_depth = (int)max_depth;
	if (optind != argc - 1)
		return cw_cli_usage(argv[0], "expected one FILE");
	path = argv[optind];

	rc = cw_file_read(&raw, path, INPUT_MAX, &err);
	if (rc == CW_OK) {
		cw_buf_init(&text, 0);
		rc = extract_text(&text, &raw, path, cli->quiet, &err);
		if (rc != CW_OK && !err.rc)
			cw_err_set(&err, rc, "'%s': extraction failed", path);
	}
	if (rc == CW_OK)
		rc = cw_segment_text(&seg, text.ptr, text.len, &so, &err);
	if (rc != CW_OK) {
		code = cw_cli_fail(&err);
		goto out;
	}
	if (cli->json)
		cw_cli_print_json_take(json_pack("{so}", "provisions",
						 cw_cli_provisions_json(seg)));
	else
		print_tree(seg, path, &text);
	if (fflush(stdout) != 0) {
		cw_err_set(&err, CW_EIO, "'stdout': write failed");
		code = cw_cli_fail(&err);
	}
out:
	cw_segment_free(seg);
	cw_buf_release(&text);
	cw_buf_release(&raw);
	return code;
}
