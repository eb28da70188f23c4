/*
 * Tests of the monitor module: the settings file (the shipped example),
 * durations, the schedule with its jitter, the block-page rule on the real
 * version histories of ../shared/corpus, and health states with their
 * operational alert.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/monitor.h"

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
	assert_string_equal(c.feed_paths.v[0], "legal=/var/lib/clausewatch/legal.atom");
	/* the per-document schedule of the example */
	memset(&d, 0, sizeof(d));
	d.doc.service = (char *)"Anthropic";
	d.doc.type = (char *)"Acceptable Use Policy";
	assert_int_equal(cw_monitor_interval(&c, &d), 6 * 3600);
	d.doc.type = (char *)"Terms of Service";
	assert_int_equal(cw_monitor_interval(&c, &d), 12 * 3600);
	/* flags after the file win */
	assert_int_equal(cw_monitor_config_set(&c, "allow_private_network", "true", &err),
			 CW_OK);
	assert_true(c.allow_private);
	cw_monitor_config_release(&c);
}

static void test_monitor__bad_settings_name_the_line(void **state)
{
	struct cw_monitor_config c;
	struct cw_err err = CW_ERR_INIT;
	char path[64];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/cw-test-monitor-%d.conf", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# ok\ninterval = 6h\n\nmax_per_host = lots\n", f);
	fclose(f);
	cw_monitor_config_init(&c);
	assert_int_equal(cw_monitor_config_load(&c, path, &err), CW_EINVAL);
	assert_non_null(strstr(err.msg, ":4:"));
	assert_non_null(strstr(err.msg, "max_per_host"));
	assert_int_equal(cw_monitor_config_set(&c, "no_such_key", "1", &err), CW_EINVAL);
	assert_non_null(strstr(err.msg, "no_such_key"));
	assert_int_equal(cw_monitor_config_set(&c, "smtp_url", "http://x", &err),
			 CW_EINVAL);
	assert_int_equal(cw_monitor_config_set(&c, "jitter", "150%", &err), CW_EINVAL);
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
	assert_int_equal(cw_monitor_next_due(&c, 43200, false, now, 0.5), now + 43200);
	/* a failing document comes back after an hour, not 12 */
	hi = cw_monitor_next_due(&c, 43200, true, now, 0.999999);
	assert_true(hi <= now + 3600 + 360);
	/* unless its interval is shorter anyway */
	assert_int_equal(cw_monitor_next_due(&c, 600, true, now, 0.5), now + 600);
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
	assert_true(cw_monitor_looks_blocked(&c, (size_t)b, 62416));
	/*
	 * A real rewrite that kept 7% of the text (GitHub Copilot's Terms of
	 * Service, 49,770 -> 3,598 bytes in the corpus) is not refused: the
	 * rule needs both the collapse and a tiny size.
	 */
	a = 49770;
	b = 3598;
	assert_false(cw_monitor_looks_blocked(&c, (size_t)b, a));
	/* no previous version: nothing to compare with */
	assert_false(cw_monitor_looks_blocked(&c, 10, 0));
	cw_monitor_config_release(&c);
}

/* Every consecutive pair of versions of the corpus whose newer text is
 * 2000 bytes or more passes the rule (no real version is refused). */
static void test_monitor__no_real_version_is_refused(void **state)
{
	struct cw_monitor_config c;
	char base[1200];
	DIR *svc;
	struct dirent *e;
	size_t pairs = 0, refused = 0;

	(void)state;
	paths();
	snprintf(base, sizeof(base), "%s/corpus/versions", shared);
	svc = opendir(base);
	if (!svc)
		skip();
	cw_monitor_config_init(&c);
	while ((e = readdir(svc))) {
		char sdir[2400];
		DIR *types;
		struct dirent *t;

		if (e->d_name[0] == '.')
			continue;
		snprintf(sdir, sizeof(sdir), "%s/%s", base, e->d_name);
		types = opendir(sdir);
		if (!types)
			continue;
		while ((t = readdir(types))) {
			char tdir[3600];
			struct dirent **names = NULL;
			int n;
			long prev = -1;

			if (t->d_name[0] == '.')
				continue;
			snprintf(tdir, sizeof(tdir), "%s/%s", sdir, t->d_name);
			n = scandir(tdir, &names, NULL, alphasort);
			for (int i = 0; i < n; i++) {
				char f[4000];
				struct stat st;

				snprintf(f, sizeof(f), "%s/%s", tdir, names[i]->d_name);
				if (names[i]->d_name[0] != '.' && !stat(f, &st) &&
				    S_ISREG(st.st_mode)) {
					if (prev > 0 && st.st_size >= 2000) {
						pairs++;
						if (cw_monitor_looks_blocked(&c, (size_t)st.st_size,
									     prev))
							refused++;
					}
					prev = (long)st.st_size;
				}
				free(names[i]);
			}
			free(names);
		}
		closedir(types);
	}
	closedir(svc);
	print_message("%zu version pairs, %zu refused\n", pairs, refused);
	assert_true(pairs > 1000);
	assert_int_equal(refused, 0);
	cw_monitor_config_release(&c);
}

static void test_monitor__health_streak_alerts_once(void **state)
{
	struct cw_store *s = NULL;
	struct cw_store_doc doc;
	struct cw_store_mon m;
	struct cw_store_sub sub;
	struct cw_store_outbox_counts oc;
	struct cw_err err = CW_ERR_INIT;
	bool alerted = false;
	int64_t doc_id = 0;
	char p[300];

	(void)state;
	snprintf(dbpath, sizeof(dbpath), "/tmp/cw-test-monitor-%d.db", (int)getpid());
	unlink(dbpath);
	assert_int_equal(cw_store_open(&s, dbpath, &err), CW_OK);
	assert_int_equal(cw_store_put_service(s, "Acme", NULL, NULL, NULL, &err), CW_OK);
	assert_int_equal(cw_store_put_document(s, "Acme", "Terms of Service", "{}",
					       &doc_id, &err), CW_OK);
	memset(&sub, 0, sizeof(sub));
	sub.channel = (char *)"feed";
	sub.target = (char *)"ops";
	sub.min_materiality = (char *)"substantive"; /* health ignores it */
	assert_int_equal(cw_store_sub_add(s, &sub, NULL, &err), CW_OK);
	assert_int_equal(cw_store_get_document_by_id(s, doc_id, &doc, &err), CW_OK);
	assert_int_equal(cw_store_mon_get(s, doc_id, &m, &err), CW_OK);
	assert_false(m.failing);
	for (int i = 1; i <= 4; i++) {
		assert_int_equal(cw_monitor_health_fail(s, &doc, &m, "2026-01-01T00:00:00Z",
							"HTTP status 503", 3, &alerted,
							&err), CW_OK);
		assert_int_equal(alerted, i == 3); /* at the threshold, once */
	}
	cw_store_mon_release(&m);
	assert_int_equal(cw_store_mon_get(s, doc_id, &m, &err), CW_OK);
	assert_true(m.failing);
	assert_int_equal(m.failures, 4);
	assert_string_equal(m.last_error, "HTTP status 503");
	assert_string_equal(m.failing_since, "2026-01-01T00:00:00Z");
	assert_int_equal(cw_store_outbox_count(s, &oc, &err), CW_OK);
	assert_int_equal(oc.pending, 1);
	/* recovery ends the streak; a new streak may alert again */
	cw_monitor_health_ok(&m, "2026-01-02T00:00:00Z");
	assert_int_equal(cw_store_mon_put(s, &m, &err), CW_OK);
	cw_store_mon_release(&m);
	assert_int_equal(cw_store_mon_get(s, doc_id, &m, &err), CW_OK);
	assert_false(m.failing);
	assert_int_equal(m.failures, 0);
	assert_null(m.last_error);
	for (int i = 1; i <= 3; i++)
		assert_int_equal(cw_monitor_health_fail(s, &doc, &m, "2026-01-03T00:00:00Z",
							"selector 'main' matched nothing",
							3, &alerted, &err), CW_OK);
	assert_true(alerted);
	assert_int_equal(cw_store_outbox_count(s, &oc, &err), CW_OK);
	assert_int_equal(oc.pending, 2);
	cw_store_mon_release(&m);
	cw_store_doc_release(&doc);
	cw_store_close(s);
	unlink(dbpath);
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
		cmocka_unit_test(test_monitor__schedule_spreads_within_the_jitter),
		cmocka_unit_test(test_monitor__block_page_rule_on_the_corpus),
		cmocka_unit_test(test_monitor__no_real_version_is_refused),
		cmocka_unit_test(test_monitor__health_streak_alerts_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
