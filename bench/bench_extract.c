/*
 * bench_extract: extraction and segmentation throughput over the corpus.
 *
 *   bench_extract SNAPSHOTS_DIR VERSIONS_DIR ROUNDS
 *
 * Part 1 extracts every snapshot of SNAPSHOTS_DIR (service/type/ with
 * declaration.json, meta.json and source*.html) with its declaration and
 * segments the result, ROUNDS times. Part 2 normalises and segments every
 * version file under VERSIONS_DIR (service/type/date.md) once. Prints one
 * JSON object with bytes, seconds and peak RSS of each part.
 */
#include <dirent.h>
#include <jansson.h>
#include <sys/resource.h>
#include <time.h>

#include "../src/extract/extract.h"
#include "../src/segment/segment.h"

struct page {
	struct cw_buf html;
	char *url;
};

struct doc {
	struct cw_decl_service *svc;
	struct page *pages;
	size_t n;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void list(const char *dir, struct cw_strv *out)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.')
			cw_strv_push(out, names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

/* The page files of a snapshot, in declaration order (meta.json). */
static void page_files(const char *dir, struct cw_strv *out)
{
	char *meta = cw_asprintf("%s/meta.json", dir);
	json_t *m = json_load_file(meta, 0, NULL), *files, *f;
	size_t i;

	free(meta);
	files = m ? json_object_get(m, "files") : NULL;
	json_array_foreach(files, i, f)
	{
		const char *name = json_string_value(json_object_get(f, "fil"
									"e"));
		if (name)
			cw_strv_push(out, name);
	}
	json_decref(m);
	if (!out->n)
		cw_strv_push(out, "source.html");
}

static void load_docs(const char *root, struct doc **out, size_t *n)
{
	struct cw_strv services = CW_STRV_INIT;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	list(root, &services);
	for (size_t i = 0; i < services.n; i++) {
		struct cw_strv types = CW_STRV_INIT;
		char *sdir = cw_asprintf("%s/%s", root, services.v[i]);

		if (!cw_dir_exists(sdir)) {
			free(sdir);
			continue;
		}
		list(sdir, &types);
		for (size_t k = 0; k < types.n; k++) {
			char *tdir = cw_asprintf("%s/%s", sdir, types.v[k]);
			char *dpath = cw_asprintf("%s/declaration.json", tdir);
			struct cw_strv files = CW_STRV_INIT;
			struct doc d = { 0 };

			if (cw_decl_read_file(&d.svc, dpath, NULL, NULL) ==
				    CW_OK &&
			    d.svc->n_docs) {
				page_files(tdir, &files);
				d.pages = cw_calloc(files.n, sizeof(*d.pages));
				for (size_t p = 0; p < files.n; p++) {
					char *f = cw_asprintf("%s/%s", tdir,
							      files.v[p]);
					cw_file_read(&d.pages[p].html, f,
						     64u << 20, NULL);
					free(f);
				}
				d.n = files.n;
				CW_GROW(*out, cap, *n + 1);
				(*out)[(*n)++] = d;
			} else {
				cw_decl_service_free(d.svc);
			}
			cw_strv_release(&files);
			free(dpath);
			free(tdir);
		}
		cw_strv_release(&types);
		free(sdir);
	}
	cw_strv_release(&services);
}

int main(int argc, char **argv)
{
	struct doc *docs = NULL;
	size_t ndocs = 0, pages = 0, failed = 0, provisions = 0;
	size_t vfiles = 0, vprov = 0;
	double t0, t_extract, t_versions;
	long rounds;
	int64_t bytes = 0, vbytes = 0;
	struct rusage ru;

	if (argc != 4 || cw_parse_long(argv[3], 1, 1000, &rounds)) {
		fprintf(stderr, "usage: bench_extract SNAPSHOTS VERSIONS "
				"ROUNDS\n");
		return 2;
	}
	load_docs(argv[1], &docs, &ndocs);

	t0 = now();
	for (long r = 0; r < rounds; r++) {
		for (size_t i = 0; i < ndocs; i++) {
			struct doc *d = &docs[i];
			const struct cw_decl_doc *decl = &d->svc->docs[0];
			struct cw_extract_input *in =
				cw_calloc(d->n, sizeof(*in));
			struct cw_buf text = CW_BUF_INIT;
			struct cw_segmentation *seg = NULL;

			for (size_t p = 0; p < d->n; p++) {
				in[p].data = cw_buf_str(&d->pages[p].html);
				in[p].len = d->pages[p].html.len;
				in[p].url = p < decl->n_sources
						    ? decl->sources[p].fetch
						    : NULL;
				if (r == 0) {
					bytes += (int64_t)in[p].len;
					pages++;
				}
			}
			if (cw_extract_document(&text, in, d->n,
						d->n == decl->n_sources ? decl
									: NULL,
						NULL, NULL, NULL) == CW_OK) {
				cw_segment_text(&seg, text.ptr, text.len, NULL,
						NULL);
				if (r == 0 && seg)
					provisions += seg->n;
			} else if (r == 0) {
				failed++;
			}
			cw_segment_free(seg);
			cw_buf_release(&text);
			free(in);
		}
	}
	t_extract = now() - t0;

	/* part 2: every version of the corpus, normalised and segmented */
	t0 = now();
	{
		struct cw_strv services = CW_STRV_INIT;
		list(argv[2], &services);
		for (size_t i = 0; i < services.n; i++) {
			struct cw_strv types = CW_STRV_INIT;
			char *sdir =
				cw_asprintf("%s/%s", argv[2], services.v[i]);
			list(sdir, &types);
			for (size_t k = 0; k < types.n; k++) {
				struct cw_strv files = CW_STRV_INIT;
				char *tdir =
					cw_asprintf("%s/%s", sdir, types.v[k]);
				list(tdir, &files);
				for (size_t f = 0; f < files.n; f++) {
					char *path = cw_asprintf("%s/%s", tdir,
								 files.v[f]);
					struct cw_buf raw = CW_BUF_INIT,
						      norm = CW_BUF_INIT;
					struct cw_segmentation *seg = NULL;
					if (cw_file_read(&raw, path, 64u << 20,
							 NULL) == CW_OK &&
					    cw_extract_normalize(
						    &norm, cw_buf_str(&raw),
						    raw.len, NULL) == CW_OK &&
					    cw_segment_text(&seg, norm.ptr,
							    norm.len, NULL,
							    NULL) == CW_OK) {
						vfiles++;
						vbytes += (int64_t)raw.len;
						vprov += seg->n;
					}
					cw_segment_free(seg);
					cw_buf_release(&raw);
					cw_buf_release(&norm);
					free(path);
				}
				cw_strv_release(&files);
				free(tdir);
			}
			cw_strv_release(&types);
			free(sdir);
		}
		cw_strv_release(&services);
	}
	t_versions = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	printf("{\"documents\":%zu,\"pages\":%zu,\"bytes\":%lld,\"rounds\":%ld,"
	       "\"seconds\":%.6f,\"failed\":%zu,\"provisions\":%zu,"
	       "\"version_files\":%zu,\"version_bytes\":%lld,"
	       "\"version_seconds\":%.6f,\"version_provisions\":%zu,"
	       "\"peak_rss\":%ld}\n",
	       ndocs, pages, (long long)bytes, rounds, t_extract, failed,
	       provisions, vfiles, (long long)vbytes, t_versions, vprov,
	       ru.ru_maxrss * 1024L);
	for (size_t i = 0; i < ndocs; i++) {
		for (size_t p = 0; p < docs[i].n; p++)
			cw_buf_release(&docs[i].pages[p].html);
		free(docs[i].pages);
		cw_decl_service_free(docs[i].svc);
	}
	free(docs);
	return 0;
}
