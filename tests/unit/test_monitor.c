/*
 * Tests of the monitor module: the settings file (the shipped example),
 * durations, the schedule with its jitter, the block-page rule on the real
 * version histories of ../shared/corpus, health states with their
 * operational alerts (failing, recovered), the one-monitor-per-store
 * lock, and the analysis of recorded changes (categories and
 * exposure moves in the change, category watchlists) on real versions.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "analyze/analyze.h"
#include "monitor/monitor.h"
#include "helpers.h"

static char root[1024], shared[1100], dbpath[256];

static void paths(void)
{
	const char *r = getenv("CW_SOURCE_ROOT"), *s = getenv("CW_SHARED");

	snprintf(root, sizeof(root), "%s", r && *r ? r : ".");
	if (s && *s)
		snprintf(shared, sizeof(shared), "%s", s);
	else
		snprintf(shared, sizeof(shared), "%s/../shared", root);
}

static void test_monitor__example_config_parses(void **state)
{
	struct cw_monitor_config c;
	struct cw_err err = CW_ERR_INIT;
	struct cw_store_mon_doc d;
	char path[1200];

	(void)state;
	paths();
	snprintf(path, sizeof(path), "%s/data/clausewatch.conf.example", root);
	cw_monitor_config_init(&c);
	assert_int_equal(cw_monitor_config_load(&c, path, &err), CW_OK);
	assert_int_equal(c.interval_s, 12 * 3600);
	assert_true(c.jitter > 0.099 && c.jitter < 0.101);
	assert_int_equal(c.max_per_host, 2);
	assert_false(c.allow_private);
	assert_string_equal(c.smtp_url, "smtp://127.0.0.1:25");
	assert_int_equal(c.feed_paths.n, 1);
	assert_string_equal(c.feed_paths.v[0], "legal=/var/lib/clausewatch/"
					       "legal.atom");
	/* the per-document schedule of the example */
	memset(&d, 0, sizeof(d));
	d.doc.service = (char *)"Anthropic";
	d.doc.type = (char *)"Acceptable Use Policy";
	assert_int_equal(cw_monitor_interval(&c, &d), 6 * 3600);
	d.doc.type = (char *)"Terms of Service";
	assert_int_equal(cw_monitor_interval(&c, &d), 12 * 3600);
	/* flags after the file win */
	assert_int_equal(cw_monitor_config_set(&c, "allow_private_network",
					       "true", &err),
			 CW_OK);
	assert_true(c.allow_private);
	/* changes are analysed unless the settings say otherwise */
	assert_true(c.analysis);
	assert_int_equal(cw_monitor_config_set(&c, "analysis", "false", &err),
			 CW_OK);
	assert_false(c.analysis);
	assert_int_equal(cw_monitor_config_set(&c, "analysis", "maybe", &err),
			 CW_EINVAL);
	/* the delivery of a pass: the example's deadline and concurrency
	 * reach the notify options, 0 s or 0 sends are refused */
	struct cw_notify_opts no;
	assert_int_equal(c.delivery_deadline_s, 60);
	assert_int_equal(c.delivery_concurrency, 16);
	assert_int_equal(cw_monitor_config_set(&c, "delivery_deadline", "2m",
					       &err),
			 CW_OK);
	assert_int_equal(cw_monitor_config_set(&c, "delivery_concurrency", "4",
					       &err),
			 CW_OK);
	cw_monitor_notify_opts(&c, &no);
	assert_int_equal(no.deadline_s, 120);
	assert_int_equal(no.concurrency, 4);
	assert_null(no.stop);
	assert_int_equal(cw_monitor_config_set(&c, "delivery_deadline", "0",
					       &err),
			 CW_EINVAL);
	assert_int_equal(cw_monitor_config_set(&c, "delivery_concurrency", "0",
					       &err),
			 CW_EINVAL);
	/* the SMTP password from a file: one line, its newline dropped; an
	 * empty file is refused */
	{
		char pw[] = "/tmp/cw-test-smtp-pw-XXXXXX";
		int fd = mkstemp(pw);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "s3cret\n", 7), 7);
		close(fd);
		assert_int_equal(cw_monitor_config_set(&c, "smtp_password_file",
						       pw, &err),
				 CW_OK);
		assert_string_equal(c.smtp_password, "s3cret");
		fd = open(pw, O_WRONLY | O_TRUNC);
		close(fd);
		assert_int_equal(cw_monitor_config_set(&c, "smtp_password_file",
						       pw, &err),
				 CW_EINVAL);
		unlink(pw);
	}
	/* the PDF limits: the example's, then within their range only */
	assert_int_equal(c.pdf_timeout_ms, 20000);
	assert_int_equal(c.pdf_memory_mb, 1024);
	assert_int_equal(cw_monitor_config_set(&c, "pdf_timeout_ms", "3000",
					       &err),
			 CW_OK);
	assert_int_equal(c.pdf_timeout_ms, 3000);
	assert_int_equal(cw_monitor_config_set(&c, "pdf_memory_mb", "64", &err),
			 CW_EINVAL);
	assert_non_null(strstr(err.msg, "pdf_memory_mb"));
	assert_int_equal(c.pdf_memory_mb, 1024);
	cw_monitor_config_release(&c);
}

static void test_monitor__bad_settings_name_the_line(void **state)
{
	struct cw_monitor_config c;
	struct cw_err err = CW_ERR_INIT;
	char path[64];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/cw-test-monitor-%d.conf",
		 (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# ok\ninterval = 6h\n\nmax_per_host = lots\n", f);
	fclose(f);
	cw_monitor_config_init(&c);
	assert_int_equal(cw_monitor_config_load(&c, path, &err), CW_EINVAL);
	assert_non_null(strstr(err.msg, ":4:"));
	assert_non_null(strstr(err.msg, "max_per_host"));
	assert_int_equal(cw_monitor_config_set(&c, "no_such_key", "1", &err),
			 CW_EINVAL);
	assert_non_null(strstr(err.msg, "no_such_key"));
	assert_int_equal(cw_monitor_config_set(&c, "smtp_url", "http://x",
					       &err),
			 CW_EINVAL);
	assert_int_equal(cw_monitor_config_set(&c, "jitter", "150%", &err),
			 CW_EINVAL);
	cw_monitor_config_release(&c);
	unlink(path);
}

static void test_monitor__durations(void **state)
{
	long v;

	(void)state;
	assert_int_equal(cw_monitor_parse_duration("90", &v), CW_OK);
	assert_int_equal(v, 90);
	assert_int_equal(cw_monitor_parse_duration("15m", &v), CW_OK);
	assert_int_equal(v, 900);
	assert_int_equal(cw_monitor_parse_duration("7d", &v), CW_OK);
	assert_int_equal(v, 7 * 86400);
	assert_int_equal(cw_monitor_parse_duration("12 h", &v), CW_EINVAL);
	assert_int_equal(cw_monitor_parse_duration("-1h", &v), CW_EINVAL);
	assert_int_equal(cw_monitor_parse_duration("999999d", &v), CW_EINVAL);
	assert_int_equal(cw_monitor_parse_duration("", &v), CW_EINVAL);
}

static void test_monitor__schedule_spreads_within_the_jitter(void **state)
{
	struct cw_monitor_config c;
	time_t now = 1700000000, lo, hi;

	(void)state;
	cw_monitor_config_init(&c);
	/* the extremes of the draw stay within +-10% of 12 h */
	lo = cw_monitor_next_due(&c, 43200, false, now, 0.0);
	hi = cw_monitor_next_due(&c, 43200, false, now, 0.999999);
	assert_true(lo >= now + 43200 - 4320 && lo < now + 43200);
	assert_true(hi > now + 43200 && hi <= now + 43200 + 4320);
	assert_int_equal(cw_monitor_next_due(&c, 43200, false, now, 0.5),
			 now + 43200);
	/* a failing document comes back after an hour, not 12 */
	hi = cw_monitor_next_due(&c, 43200, true, now, 0.999999);
	assert_true(hi <= now + 3600 + 360);
	/* unless its interval is shorter anyway */
	assert_int_equal(cw_monitor_next_due(&c, 600, true, now, 0.5),
			 now + 600);
	cw_monitor_config_release(&c);
}

/* Size of FILE under corpus/versions/DOC. */
static long vsize(const char *doc, const char *file)
{
	char p[2400];
	struct stat st;

	snprintf(p, sizeof(p), "%s/corpus/versions/%s/%s", shared, doc, file);
	return stat(p, &st) ? -1 : (long)st.st_size;
}

/* The pipeline's rule with the monitor's settings `c`, on a text of `len`
 * bytes of one letter (no phrase of a stub in it). */
static bool looks_blocked(const struct cw_monitor_config *c, size_t len,
			  int64_t prev_len)
{
	struct cw_pipeline_guard g;
	char *text = cw_malloc(len + 1);
	int rc;

	memset(text, 'x', len);
	text[len] = '\0';
	cw_pipeline_guard_init(&g);
	g.blocked_ratio = c->blocked_ratio;
	g.blocked_min_bytes = c->blocked_min_bytes;
	rc = cw_pipeline_check_text(&g, text, len, prev_len, NULL);
	cw_pipeline_guard_release(&g);
	free(text);
	return rc != CW_OK;
}

static void test_monitor__block_page_rule_on_the_corpus(void **state)
{
	struct cw_monitor_config c;
	long a, b;

	(void)state;
	paths();
	if (vsize("GitHub Copilot/Privacy Policy", "2023-11-13.md") < 0)
		skip();
	cw_monitor_config_init(&c);
	/*
	 * Open Terms Archive recorded this 49-byte heading as a version of
	 * GitHub's privacy statement after a 62 KB one: a broken page. The
	 * rule refuses it.
	 */
	b = vsize("GitHub Copilot/Privacy Policy", "2023-11-13.md");
	assert_true(b > 0 && b < 100);
	assert_true(looks_blocked(&c, (size_t)b, 62416));
	/*
	 * A real rewrite that kept 7% of the text (GitHub Copilot's Terms of
	 * Service, 49,770 -> 3,598 bytes in the corpus) is not refused: the
	 * rule needs both the collapse and a tiny size.
	 */
	a = 49770;
	b = 3598;
	assert_false(looks_blocked(&c, (size_t)b, a));
	/* no previous version: nothing to compare with */
	assert_false(looks_blocked(&c, 10, 0));
	cw_monitor_config_release(&c);
}

/* Every consecutive pair of versions of the corpus whose newer text is
 * 2000 bytes or more passes the rule (no real version is refused). */
static void test_monitor__no_real_version_is_refused(void **state)
{
	struct cw_monitor_config c;
	struct cw_strv docs = CW_STRV_INIT;
	char base[1200];
	size_t pairs = 0, refused = 0;

	(void)state;
	paths();
	snprintf(base, sizeof(base), "%s/corpus/versions", shared);
	if (!cw_test_list_docs(&docs, base))
		skip();
	cw_monitor_config_init(&c);
	for (size_t k = 0; k < docs.n; k++) {
		char tdir[3600];
		struct dirent **names = NULL;
		int n;
		long prev = -1;

		snprintf(tdir, sizeof(tdir), "%s/%s", base, docs.v[k]);
		n = scandir(tdir, &names, NULL, alphasort);
		for (int i = 0; i < n; i++) {
			char f[4000];
			struct stat st;

			snprintf(f, sizeof(f), "%s/%s", tdir, names[i]->d_name);
			if (names[i]->d_name[0] != '.' && !stat(f, &st) &&
			    S_ISREG(st.st_mode)) {
				if (prev > 0 && st.st_size >= 2000) {
					pairs++;
					if (looks_blocked(&c,
							  (size_t)st.st_size,
							  prev))
						refused++;
				}
				prev = (long)st.st_size;
			}
			free(names[i]);
		}
		free(names);
	}
	cw_strv_release(&docs);
	print_message("%zu version pairs, %zu refused\n", pairs, refused);
	assert_true(pairs > 1000);
	assert_int_equal(refused, 0);
	cw_monitor_config_release(&c);
}

/* The corpus's version file SERVICE/TYPE/FILE into `b` (false: absent). */
static bool read_corpus_file(struct cw_buf *b, const char *doc,
			     const char *file)
{
	char p[2400];
	struct cw_err err = CW_ERR_INIT;

	snprintf(p, sizeof(p), "%s/corpus/versions/%s/%s", shared, doc, file);
	cw_buf_init(b, CW_MAX_DOCUMENT);
	return cw_file_read(b, p, CW_MAX_DOCUMENT, &err) == CW_OK;
}

/*
 * The phrases of data/monitor/not-a-version.json on every text of the
 * corpus under 2000 bytes, as first versions (nothing to collapse from):
 * the stubs are refused (Llama API's 131-byte "This page isn't
 * available", 41 times in its history), the short real documents are not.
 */
static void test_monitor__stub_phrases_on_the_corpus(void **state)
{
	static const char *const stubs[] = {
		"Llama API/Acceptable Use Policy", "Facebook/Live Policy",
		"Amazon.com/Terms of Service",	   "Le Chat/Privacy Policy",
		"Yahoo/Terms of Service",
	};
	static const char *const real[] = {
		"Amazon Web Services/Acceptable Use Policy",
		"Threads/Privacy Policy",
		"Threads/Terms of Service",
		"Snapchat/Privacy Policy",
		"TikTok/In-App Purchases Policy",
		"WhatsApp/Terms of Service",
		"Facebook/Data Processor Agreement",
	};
	struct cw_pipeline_guard g;
	struct cw_err err = CW_ERR_INIT;
	struct cw_strv docs = CW_STRV_INIT;
	struct cw_buf b;
	char base[1200], path[1200];
	size_t small = 0, refused = 0, llama = 0;
	bool hit[sizeof(stubs) / sizeof(stubs[0])] = { false };

	(void)state;
	paths();
	snprintf(base, sizeof(base), "%s/corpus/versions", shared);
	if (!cw_test_list_docs(&docs, base))
		skip();
	snprintf(path, sizeof(path), "%s/data/monitor/not-a-version.json",
		 root);
	cw_pipeline_guard_init(&g);
	assert_int_equal(cw_pipeline_guard_load(&g, path, &err), CW_OK);
	assert_true(g.n_stubs > 10);
	/* the Llama API stub, with its typographic apostrophe */
	assert_true(read_corpus_file(&b, "Llama API/Acceptable Use Policy",
				     "2025-11-11.md"));
	assert_int_equal(b.len, 131);
	assert_int_equal(cw_pipeline_check_text(&g, cw_buf_str(&b), b.len, 0,
						&err),
			 CW_EEMPTY);
	assert_non_null(strstr(err.msg, "an error page, not a version"));
	assert_non_null(strstr(err.msg, "page isn't available"));
	cw_buf_release(&b);
	for (size_t k = 0; k < docs.n; k++) {
		char tdir[3600];
		struct dirent **names = NULL;
		int n;

		snprintf(tdir, sizeof(tdir), "%s/%s", base, docs.v[k]);
		n = scandir(tdir, &names, NULL, alphasort);
		for (int i = 0; i < n; i++) {
			struct cw_err e = CW_ERR_INIT;
			const char *nm = names[i]->d_name;

			if (nm[0] != '.' &&
			    read_corpus_file(&b, docs.v[k], nm) &&
			    b.len < 2000) {
				small++;
				if (cw_pipeline_check_text(&g, cw_buf_str(&b),
							   b.len, 0, &e)) {
					refused++;
					llama += !strcmp(docs.v[k], stubs[0]);
					for (size_t r = 0;
					     r < sizeof(real) / sizeof(real[0]);
					     r++)
						if (!strcmp(docs.v[k], real[r]))
							fail_msg("%s/%s "
								 "refused: "
								 "%s",
								 docs.v[k], nm,
								 e.msg);
					for (size_t r = 0;
					     r <
					     sizeof(stubs) / sizeof(stubs[0]);
					     r++)
						hit[r] |= !strcmp(docs.v[k],
								  stubs[r]);
				}
			}
			cw_buf_release(&b);
			free(names[i]);
		}
		free(names);
	}
	print_message("%zu texts under 2000 bytes, %zu refused as stubs\n",
		      small, refused);
	assert_int_equal(llama, 41);
	for (size_t r = 0; r < sizeof(stubs) / sizeof(stubs[0]); r++)
		if (!hit[r])
			fail_msg("no stub of %s refused", stubs[r]);
	cw_strv_release(&docs);
	cw_pipeline_guard_release(&g);
}

/* Read the document's health state back: it is ok, with no failures. */
static void assert_reads_back_ok(struct cw_store *s, int64_t doc_id,
				 struct cw_store_mon *m)
{
	struct cw_err err = CW_ERR_INIT;

	cw_store_mon_release(m);
	assert_int_equal(cw_store_mon_get(s, doc_id, m, &err), CW_OK);
	assert_false(m->failing);
	assert_int_equal(m->failures, 0);
}

/* The outbox of `s` holds `want` pending messages. */
static void assert_pending(struct cw_store *s, int64_t want)
{
	struct cw_store_outbox_counts oc;
	struct cw_err err = CW_ERR_INIT;

	assert_int_equal(cw_store_outbox_count(s, &oc, &err), CW_OK);
	assert_int_equal(oc.pending, want);
}

/* A check of `doc` at `when` came back ok: whether that was announced. */
static bool recovered(struct cw_store *s, const struct cw_store_doc *doc,
		      struct cw_store_mon *m, const char *when)
{
	struct cw_err err = CW_ERR_INIT;
	bool alerted = false;

	assert_int_equal(cw_monitor_health_recovered(s, doc, m, when, &alerted,
						     &err),
			 CW_OK);
	return alerted;
}

static void test_monitor__health_streak_alerts_once(void **state)
{
	struct cw_store *s = NULL;
	struct cw_store_doc doc;
	struct cw_store_mon m;
	struct cw_store_sub sub;
	struct cw_err err = CW_ERR_INIT;
	bool alerted = false;
	int64_t doc_id = 0;
	char p[300];

	(void)state;
	snprintf(dbpath, sizeof(dbpath), "/tmp/cw-test-monitor-%d.db",
		 (int)getpid());
	unlink(dbpath);
	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	assert_int_equal(
		cw_store_put_service(s, "Acme", NULL, NULL, NULL, &err), CW_OK);
	assert_int_equal(cw_store_put_document(s, "Acme", "Terms of Service",
					       "{}", &doc_id, &err),
			 CW_OK);
	memset(&sub, 0, sizeof(sub));
	sub.channel = (char *)"feed";
	sub.target = (char *)"ops";
	sub.min_materiality = (char *)"substantive"; /* health ignores it */
	assert_int_equal(cw_store_sub_add(s, &sub, NULL, &err), CW_OK);
	assert_int_equal(cw_store_get_document_by_id(s, doc_id, &doc, &err),
			 CW_OK);
	assert_int_equal(cw_store_mon_get(s, doc_id, &m, &err), CW_OK);
	assert_false(m.failing);
	for (int i = 1; i <= 4; i++) {
		assert_int_equal(cw_monitor_health_fail(
					 s, &doc, &m, "2026-01-01T00:00:00Z",
					 "HTTP status 503", 3, &alerted, &err),
				 CW_OK);
		assert_int_equal(alerted, i == 3); /* at the threshold, once */
	}
	cw_store_mon_release(&m);
	assert_int_equal(cw_store_mon_get(s, doc_id, &m, &err), CW_OK);
	assert_true(m.failing);
	assert_int_equal(m.failures, 4);
	assert_string_equal(m.last_error, "HTTP status 503");
	assert_string_equal(m.failing_since, "2026-01-01T00:00:00Z");
	assert_pending(s, 1);
	/* recovery ends the streak; a new streak may alert again */
	cw_monitor_health_ok(&m, "2026-01-02T00:00:00Z");
	assert_int_equal(cw_store_mon_put(s, &m, &err), CW_OK);
	assert_reads_back_ok(s, doc_id, &m);
	assert_null(m.last_error);
	for (int i = 1; i <= 3; i++)
		assert_int_equal(cw_monitor_health_fail(s, &doc, &m,
							"2026-01-03T00:00:00Z",
							"selector 'main' "
							"matched nothing",
							3, &alerted, &err),
				 CW_OK);
	assert_true(alerted);
	assert_pending(s, 2);
	/* that streak alerted: its end is announced once, to the same
	 * subscription, and the state is ok again in the store */
	assert_true(recovered(s, &doc, &m, "2026-01-04T00:00:00Z"));
	assert_pending(s, 3);
	{
		struct cw_store_outbox *rows = NULL;
		size_t n = 0, recovered = 0;

		assert_int_equal(cw_store_outbox_list(s, "pending",
						      "9999-12-31T00:00:00Z", 0,
						      0, &rows, &n, &err),
				 CW_OK);
		for (size_t i = 0; i < n; i++)
			if (rows[i].payload && strstr(rows[i].payload, "\"state"
								       "\":"
								       "\"recov"
								       "ered"
								       "\"")) {
				recovered++;
				assert_string_equal(rows[i].kind, "health");
				assert_int_equal(rows[i].sub_id, 1);
				assert_non_null(strstr(rows[i].payload, "\"fail"
									"ing_"
									"since"
									"\":"
									"\"2026"
									"-01-"
									"03T00:"
									"00:"
									"00Z"
									"\""));
			}
		assert_int_equal(recovered, 1);
		cw_store_outbox_free(rows, n);
	}
	assert_reads_back_ok(s, doc_id, &m);
	/* an ok check of a healthy document announces nothing */
	assert_false(recovered(s, &doc, &m, "2026-01-05T00:00:00Z"));
	assert_pending(s, 3);
	cw_store_mon_release(&m);
	cw_store_doc_release(&doc);
	cw_store_close(s);
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

/* ---- analysis of changes (pipeline_analyze.c) ---- */

static void read_version(struct cw_buf *out, const char *name)
{
	cw_buf_clear(out);
	assert_int_equal(cw_test_read_version(out,
					      "Perplexity/Terms of Service",
					      name, 16u << 20),
			 CW_OK);
}

/* Version `seq` of Perplexity's Terms of Service, for cw_analyze_document(). */
static struct cw_analyze_doc perplexity_tos(int64_t seq, const char *date,
					    const struct cw_buf *text,
					    const struct cw_segmentation *seg)
{
	struct cw_analyze_doc d = { .service = "Perplexity",
				    .type = "Terms of Service",
				    .seq = seq,
				    .date = date,
				    .text = text->ptr,
				    .len = text->len,
				    .seg = seg };

	return d;
}

/* Category ids of provisions `idx` of an analysis, added to `ids`. */
static void ids_of(json_t *ids, const json_t *analysis, const json_t *idx)
{
	json_t *i, *c;
	size_t k, m;

	json_array_foreach(idx, k, i)
	{
		json_t *p = json_array_get(json_object_get(analysis, "provision"
								     "s"),
					   (size_t)json_integer_value(i));
		json_array_foreach(json_object_get(p, "categories"), m, c)
			json_object_set_new(
				ids,
				json_string_value(json_object_get(c, "id")),
				json_true());
	}
}

/* Outbox rows of subscription `sub` for change `change`. */
static size_t rows_for(struct cw_store *s, int64_t sub, int64_t change)
{
	struct cw_store_outbox *rows = NULL;
	struct cw_err err = CW_ERR_INIT;
	size_t n = 0, hits = 0;

	assert_int_equal(cw_store_outbox_list(s, "pending", "9999", sub, 0,
					      &rows, &n, &err),
			 CW_OK);
	for (size_t i = 0; i < n; i++)
		hits += rows[i].change_id == change;
	cw_store_outbox_free(rows, n);
	return hits;
}

/*
 * Three versions of Perplexity's Terms of Service through the pipeline
 * with analysis on: two real consecutive versions (whose change splits
 * provisions: several on the new side), then the newer one with its
 * arbitration agreement made confidential. The categories of each changed
 * provision must be those of an independent analysis of both versions
 * (the provisions the diff pairs, old and new side); the new version's
 * full analysis is stored after the pass and agrees with the independent
 * one; a stored analysis gives the old side of the next change; the
 * exposure move is reported; and only the matching subscription gets the
 * alert.
 */
static void test_monitor__changes_carry_categories(void **state)
{
	struct cw_store *s = NULL;
	struct cw_pipeline pl;
	struct cw_pipeline_result r1, r2, r3;
	struct cw_pipeline_analysis_stats st;
	struct cw_analyze_ctx *ctx = NULL;
	struct cw_store_change ch;
	struct cw_store_sub sub;
	struct cw_buf a = CW_BUF_INIT, b = CW_BUF_INIT, got = CW_BUF_INIT;
	struct cw_segmentation *sa = NULL, *sb = NULL;
	struct cw_err err = CW_ERR_INIT;
	json_t *j, *c, *an_a = NULL, *an_b = NULL, *an_stored = NULL;
	const char *data = getenv("CW_DATA_DIR");
	char dd[1200], *at93;
	int64_t doc_id = 0, sub_arb = 0, sub_train = 0;
	size_t k, total = 0;

	(void)state;
	paths();
	snprintf(dd, sizeof(dd), "%s", data && *data ? data : "");
	if (!*dd)
		snprintf(dd, sizeof(dd), "%s/data", root);
	{
		char probe[1400];
		snprintf(probe, sizeof(probe),
			 "%s/corpus/versions/Perplexity/Terms of "
			 "Service/2026-08-20.md",
			 shared);
		if (!cw_file_exists(probe))
			skip();
	}
	snprintf(dbpath, sizeof(dbpath), "/tmp/cw-test-monitor-an-%d.db",
		 (int)getpid());
	unlink(dbpath);
	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	assert_int_equal(cw_store_put_service(s, "Perplexity", NULL, NULL, NULL,
					      &err),
			 CW_OK);
	assert_int_equal(cw_store_put_document(s, "Perplexity",
					       "Terms of Service", NULL,
					       &doc_id, &err),
			 CW_OK);
	memset(&sub, 0, sizeof(sub));
	sub.channel = (char *)"feed";
	sub.target = (char *)"arbitration";
	sub.categories = (char *)"mandatory_arbitration";
	assert_int_equal(cw_store_sub_add(s, &sub, &sub_arb, &err), CW_OK);
	sub.target = (char *)"training";
	sub.categories = (char *)"training_on_user_data";
	assert_int_equal(cw_store_sub_add(s, &sub, &sub_train, &err), CW_OK);
	assert_int_equal(cw_pipeline_init(&pl, s, dd, &err), CW_OK);
	cw_pipeline_enable_analysis(&pl, dd);

	/* the first version: no change, no analysis */
	read_version(&a, "2026-08-15.md");
	assert_int_equal(cw_pipeline_record_text(&pl, doc_id, a.ptr, a.len,
						 NULL, "2026-08-15T00:00:00Z",
						 "ingest", &r1, NULL, &err),
			 CW_OK);
	assert_int_equal(r1.change_id, 0);
	cw_pipeline_analysis_stats(&pl, &st);
	assert_int_equal(st.versions, 0);
	assert_int_equal(cw_store_get_analysis(s, r1.version_id, &got, NULL),
			 CW_ENOTFOUND);

	/* the real next version: the changed provisions are analysed, the
	   whole new version only after the pass */
	read_version(&b, "2026-08-20.md");
	assert_int_equal(cw_pipeline_record_text(&pl, doc_id, b.ptr, b.len,
						 NULL, "2026-08-20T00:00:00Z",
						 "ingest", &r2, NULL, &err),
			 CW_OK);
	assert_true(r2.change_id > 0);
	cw_pipeline_analysis_stats(&pl, &st);
	assert_int_equal(st.changes, 1);
	assert_int_equal(st.reused, 0);
	assert_int_equal(st.failed, 0);
	assert_true(st.provisions > 0);
	assert_int_equal(st.versions, 0);
	assert_int_equal(cw_store_get_analysis(s, r2.version_id, &got, NULL),
			 CW_ENOTFOUND);
	assert_int_equal(cw_pipeline_analyse_pending(&pl, &err), CW_OK);
	cw_pipeline_analysis_stats(&pl, &st);
	assert_int_equal(st.versions, 1);
	assert_int_equal(cw_store_get_analysis(s, r1.version_id, &got, NULL),
			 CW_ENOTFOUND);
	cw_buf_clear(&got);
	assert_int_equal(cw_store_get_analysis(s, r2.version_id, &got, &err),
			 CW_OK);
	an_stored = json_loads(got.ptr, 0, NULL);
	assert_true(cw_analyze_is_current(an_stored));

	/* an independent analysis of both versions, from the normalised
	   texts the store holds */
	assert_int_equal(cw_analyze_ctx_new(&ctx, dd, &err), CW_OK);
	cw_buf_clear(&a);
	cw_buf_clear(&b);
	assert_int_equal(cw_store_load_text(s, r1.version_id, &a, &err), CW_OK);
	assert_int_equal(cw_store_load_text(s, r2.version_id, &b, &err), CW_OK);
	assert_int_equal(cw_segment_text(&sa, a.ptr, a.len, NULL, &err), CW_OK);
	assert_int_equal(cw_segment_text(&sb, b.ptr, b.len, NULL, &err), CW_OK);
	struct cw_analyze_doc da = perplexity_tos(1, "2026-08-15", &a, sa);
	struct cw_analyze_doc db = perplexity_tos(2, "2026-08-20", &b, sb);
	assert_int_equal(cw_analyze_document(&an_a, ctx, &da, &err), CW_OK);
	assert_int_equal(cw_analyze_document(&an_b, ctx, &db, &err), CW_OK);
	/* the stored full analysis has every provision of the version, with
	   the categories the independent analysis finds */
	assert_int_equal(json_array_size(json_object_get(an_stored, "provision"
								    "s")),
			 sb->n);
	assert_true(json_equal(json_object_get(an_stored, "categories"),
			       json_object_get(an_b, "categories")));
	json_decref(an_stored);

	memset(&ch, 0, sizeof(ch));
	assert_int_equal(cw_store_get_change(s, r2.change_id, &ch, &err),
			 CW_OK);
	j = json_loads(ch.json, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_array(json_object_get(j, "categories")));
	/* re-diff to learn each change's provision indices */
	{
		struct cw_diff_rules *rules = NULL;
		struct cw_diff *d = NULL;
		char ddir[1300];
		json_t *all = json_object();

		snprintf(ddir, sizeof(ddir), "%s/diff", dd);
		assert_int_equal(cw_diff_rules_load(&rules, ddir, &err), CW_OK);
		struct cw_diff_version va = { a.ptr, a.len, sa },
				       vb = { b.ptr, b.len, sb };
		assert_int_equal(cw_diff_compute(&d, &va, &vb, rules, NULL,
						 &err),
				 CW_OK);
		assert_int_equal(d->n,
				 json_array_size(json_object_get(j, "change"
								    "s")));
		for (size_t i = 0; i < d->n; i++) {
			json_t *want = json_object(), *oi = json_array(),
			       *ni = json_array();
			json_t *have = json_object(), *v;
			const char *id;

			for (size_t m = 0; m < d->changes[i].n_old; m++)
				json_array_append_new(
					oi,
					json_integer(d->changes[i].old_idx[m]));
			for (size_t m = 0; m < d->changes[i].n_new; m++)
				json_array_append_new(
					ni,
					json_integer(d->changes[i].new_idx[m]));
			ids_of(want, an_a, oi);
			ids_of(want, an_b, ni);
			c = json_array_get(json_object_get(j, "changes"), i);
			json_array_foreach(json_object_get(c, "categories"), k,
					   v)
			{
				json_object_set_new(
					have,
					json_string_value(
						json_object_get(v, "id")),
					json_true());
				assert_true(json_is_number(
					json_object_get(v, "confidence")));
				assert_non_null(json_string_value(
					json_object_get(v, "severity")));
			}
			assert_int_equal(json_object_size(have),
					 json_object_size(want));
			json_object_foreach(want, id, v)
			{
				assert_non_null(json_object_get(have, id));
				json_object_set_new(all, id, json_true());
			}
			total += json_object_size(want);
			json_decref(want);
			json_decref(have);
			json_decref(oi);
			json_decref(ni);
		}
		/* the document-level list is the union */
		assert_int_equal(json_array_size(json_object_get(j, "categorie"
								    "s")),
				 json_object_size(all));
		json_decref(all);
		cw_diff_free(d);
		cw_diff_rules_free(rules);
	}
	print_message("%zu categories over %zu changed provisions\n", total,
		      json_array_size(json_object_get(j, "changes")));
	assert_true(total > 0);
	json_decref(j);
	cw_store_change_release(&ch);

	/* the arbitration agreement becomes confidential: the old side is
	   read back from v2's stored analysis */
	at93 = strstr(b.ptr, "will be settled by final and binding "
			     "arbitration");
	assert_non_null(at93);
	{
		struct cw_buf e = CW_BUF_INIT;
		cw_buf_add(&e, b.ptr, (size_t)(at93 - b.ptr));
		cw_buf_adds(&e, "will be settled by final, binding and "
				"confidential "
				"arbitration");
		cw_buf_adds(&e, at93 + strlen("will be settled by final and "
					      "binding "
					      "arbitration"));
		assert_int_equal(
			cw_pipeline_record_text(&pl, doc_id, e.ptr, e.len, NULL,
						"2026-09-01T00:00:00Z",
						"ingest", &r3, NULL, &err),
			CW_OK);
		cw_buf_release(&e);
	}
	cw_pipeline_analysis_stats(&pl, &st);
	assert_int_equal(st.changes, 2);
	assert_int_equal(st.reused, 1);
	assert_int_equal(cw_pipeline_analyse_pending(&pl, &err), CW_OK);
	cw_pipeline_analysis_stats(&pl, &st);
	assert_int_equal(st.versions, 2);
	memset(&ch, 0, sizeof(ch));
	assert_int_equal(cw_store_get_change(s, r3.change_id, &ch, &err),
			 CW_OK);
	j = json_loads(ch.json, 0, NULL);
	{
		json_t *m, *found = NULL;
		json_array_foreach(
			json_object_get(j, "exposure_moves"), k,
			m) if (!strcmp(json_string_value(json_object_get(m,
									 "ke"
									 "y")),
				       "9.3") &&
			       !strcmp(json_string_value(
					       json_object_get(m, "audience")),
				       "operator")) found = m;
		assert_non_null(found);
		assert_string_equal(
			json_string_value(json_object_get(found, "from")), "med"
									   "iu"
									   "m");
		assert_string_equal(
			json_string_value(json_object_get(found, "to")), "hig"
									 "h");
	}
	json_decref(j);
	cw_store_change_release(&ch);
	assert_int_equal(rows_for(s, sub_arb, r3.change_id), 1);
	assert_int_equal(rows_for(s, sub_train, r3.change_id), 0);

	json_decref(an_a);
	json_decref(an_b);
	cw_analyze_ctx_free(ctx);
	cw_segment_free(sa);
	cw_segment_free(sb);
	cw_buf_release(&a);
	cw_buf_release(&b);
	cw_buf_release(&got);
	cw_pipeline_release(&pl);
	cw_store_close(s);
	unlink(dbpath);
	{
		char p[300];
		snprintf(p, sizeof(p), "%s-wal", dbpath);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", dbpath);
		unlink(p);
	}
}

static void test_monitor__one_monitor_per_store(void **state)
{
	struct cw_store *s = NULL;
	struct cw_monitor_config cfg;
	struct cw_monitor a, b, c;
	struct cw_err err = CW_ERR_INIT;
	char data[1100], p[300], want[400];

	(void)state;
	paths();
	snprintf(data, sizeof(data), "%s/data", root);
	snprintf(dbpath, sizeof(dbpath), "/tmp/cw-test-monitor-lock-%d.db",
		 (int)getpid());
	unlink(dbpath);
	cw_monitor_config_init(&cfg);
	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	assert_int_equal(cw_monitor_init(&a, s, data, &cfg, &err), CW_OK);
	/* flock belongs to the open file: a second monitor, even in this
	 * process, is refused, with the store and the holder's pid named */
	assert_int_equal(cw_monitor_init(&b, s, data, &cfg, &err), CW_EEXISTS);
	snprintf(want, sizeof(want),
		 "'%s': another monitor is running on this "
		 "store (pid %d)",
		 dbpath, (int)getpid());
	assert_string_equal(err.msg, want);
	cw_monitor_release(&a);
	assert_int_equal(cw_monitor_init(&c, s, data, &cfg, &err), CW_OK);
	cw_monitor_release(&c);
	cw_store_close(s);
	cw_monitor_config_release(&cfg);
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-monitor.lock", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monitor__example_config_parses),
		cmocka_unit_test(test_monitor__bad_settings_name_the_line),
		cmocka_unit_test(test_monitor__durations),
		cmocka_unit_test(
			test_monitor__schedule_spreads_within_the_jitter),
		cmocka_unit_test(test_monitor__block_page_rule_on_the_corpus),
		cmocka_unit_test(test_monitor__no_real_version_is_refused),
		cmocka_unit_test(test_monitor__stub_phrases_on_the_corpus),
		cmocka_unit_test(test_monitor__health_streak_alerts_once),
		cmocka_unit_test(test_monitor__changes_carry_categories),
		cmocka_unit_test(test_monitor__one_monitor_per_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
