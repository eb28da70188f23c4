/*
 * cmd_monitor: `clausewatch monitor` (the service) and `clausewatch
 * status` (the health of every tracked document and of the outbox).
 */
#include <getopt.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../monitor/monitor.h"
#include "cli.h"

/* the monitor fetches: it is in the full program only (cli.h, "The two
 * programs"); status only reads the store */
#ifndef CW_CLI_LIGHT
static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* The config file: --config, else $CLAUSEWATCH_CONFIG, else the user's
 * ~/.config/clausewatch/clausewatch.conf when it exists. Owned. */
static char *config_path(const char *opt)
{
	const char *env = getenv("CLAUSEWATCH_CONFIG");
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *p;

	if (opt)
		return cw_strdup(opt);
	if (env && *env)
		return cw_strdup(env);
	if (xdg && *xdg)
		p = cw_asprintf("%s/clausewatch/clausewatch.conf", xdg);
	else if (home && *home)
		p = cw_asprintf("%s/.config/clausewatch/clausewatch.conf",
				home);
	else
		return NULL;
	if (cw_file_exists(p))
		return p;
	free(p);
	return NULL;
}

/* Command-line flags that set a config key of the same name (dashes for
 * underscores); each takes a value. */
static const char *const value_flags[] = {
	"interval",
	"jitter",
	"failing-retry",
	"poll",
	"max-transfers",
	"max-per-host",
	"host-delay-ms",
	"fetch-attempts",
	"timeout-ms",
	"connect-timeout-ms",
	"max-bytes",
	"max-inflight-bytes",
	"extract-budget-bytes",
	"health-threshold",
	"blocked-ratio",
	"blocked-min-bytes",
	"user-agent",
	"smtp-url",
	"smtp-from",
	"smtp-user",
	"smtp-password",
	"smtp-password-file",
	"smtp-allow-plain",
	"base-url",
	"delivery-timeout-ms",
	"delivery-attempts",
	"delivery-backoff",
	"delivery-deadline",
	"delivery-concurrency",
	"workers",
	"pdf-timeout-ms",
	"pdf-memory-mb",
};
#define N_VALUE_FLAGS (sizeof(value_flags) / sizeof(value_flags[0]))

static long peak_rss_kib(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return ru.ru_maxrss;
}

#define JI(v) ((json_int_t)(v))

/* The --json line of one pass: seconds to 3 places, rates to 1. */
static json_t *stats_json(const struct cw_monitor_stats *st,
			  const struct cw_pipeline_analysis_stats *an,
			  double per_min)
{
	json_t *fails = json_object();
	json_t *o;

	for (size_t k = 1; k < sizeof(st->by_rc) / sizeof(st->by_rc[0]); k++)
		if (st->by_rc[k])
			json_object_set_new(fails, cw_rc_name(-(int)k),
					    json_integer(JI(st->by_rc[k])));
	o = json_pack("{sIsIsososIsIsIsIsIsIsIsIsIso}", "due", JI(st->due),
		      "checked", JI(st->checked), "seconds",
		      cw_cli_real(st->seconds, 3), "docs_per_min",
		      cw_cli_real(per_min, 1), "new_versions",
		      JI(st->new_versions), "unchanged", JI(st->unchanged),
		      "not_modified", JI(st->not_modified), "failed",
		      JI(st->failed), "extract_failed", JI(st->extract_failed),
		      "blocked", JI(st->blocked), "health_alerts",
		      JI(st->health_alerts), "retries", JI(st->retries),
		      "peak_rss_kib", JI(peak_rss_kib()), "failures", fails);
	json_object_set_new(o, "delivery",
			    json_pack("{sIsIsIsIsIsI}", "sent",
				      JI(st->delivery.sent), "retried",
				      JI(st->delivery.retried), "dead",
				      JI(st->delivery.dead), "digests",
				      JI(st->delivery.digests), "feeds",
				      JI(st->delivery.feeds), "left",
				      JI(st->delivery.left)));
	json_object_set_new(
		o, "analysis",
		json_pack("{sIsIsIsIsosIsIso}", "changes", JI(an->changes),
			  "provisions", JI(an->provisions), "reused",
			  JI(an->reused), "failed", JI(an->failed),
			  "cpu_seconds", cw_cli_real(an->seconds, 3),
			  "versions", JI(an->versions), "version_provisions",
			  JI(an->version_provisions), "version_cpu_seconds",
			  cw_cli_real(an->version_seconds, 3)));
	return o;
}

static void print_stats(const struct cw_cli *cli,
			const struct cw_monitor_stats *st,
			const struct cw_pipeline_analysis_stats *an)
{
	double per_min =
		st->seconds > 0 ? (double)st->checked * 60 / st->seconds : 0;

	if (cli->json) {
		cw_cli_print_json_take(stats_json(st, an, per_min));
		fflush(stdout);
		return;
	}
	printf("checked %zu of %zu due in %.1f s (%.0f documents/min): %zu new "
	       "versions, %zu unchanged (%zu not modified), %zu failed, %zu "
	       "extraction failed, %zu blocked; %zu health alerts; alerts sent "
	       "%zu, to retry %zu, given up %zu, digests %zu\n",
	       st->checked, st->due, st->seconds, per_min, st->new_versions,
	       st->unchanged, st->not_modified, st->failed, st->extract_failed,
	       st->blocked, st->health_alerts, st->delivery.sent,
	       st->delivery.retried, st->delivery.dead, st->delivery.digests);
	if (an->changes || an->failed || an->versions)
		printf("analysed %zu changes (%zu provisions) in %.2f s CPU, "
		       "then "
		       "%zu new versions in full (%zu provisions) in %.2f "
		       "s%s\n",
		       an->changes, an->provisions, an->seconds, an->versions,
		       an->version_provisions, an->version_seconds,
		       an->failed ? "; analysis errors left some without "
				    "categories"
				  : "");
	fflush(stdout);
}

static void sleep_s(long s)
{
	for (long i = 0; i < s * 10 && !stop_flag; i++) {
		struct timespec ts = { 0, 100000000L };
		nanosleep(&ts, NULL);
	}
}

int cw_cli_cmd_monitor(struct cw_cli *cli, int argc, char **argv)
{
	struct option opts[N_VALUE_FLAGS + 11];
	struct cw_monitor_config cfg;
	struct cw_monitor mon;
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_strv sets = CW_STRV_INIT;
	const char *config_opt = NULL;
	bool once = false, force = false, digest_now = false, verbose = false;
	bool allow_private = false, no_browser = false, deliver_only = false;
	bool no_analysis = false;
	char *cpath = NULL;
	struct sigaction act;
	int c, rc, ret = CW_EXIT_OK;
	size_t k = 0;

	for (size_t i = 0; i < N_VALUE_FLAGS; i++)
		opts[k++] = (struct option){ value_flags[i], required_argument,
					     NULL, 1000 + (int)i };
	opts[k++] = (struct option){ "once", no_argument, NULL, 'o' };
	opts[k++] = (struct option){ "force", no_argument, NULL, 'f' };
	opts[k++] = (struct option){ "config", required_argument, NULL, 'c' };
	opts[k++] = (struct option){ "allow-private-network", no_argument, NULL,
				     'p' };
	opts[k++] = (struct option){ "no-browser", no_argument, NULL, 'B' };
	opts[k++] = (struct option){ "digest-now", no_argument, NULL, 'D' };
	opts[k++] = (struct option){ "deliver-only", no_argument, NULL, 'd' };
	opts[k++] = (struct option){ "verbose", no_argument, NULL, 'v' };
	opts[k++] = (struct option){ "set", required_argument, NULL, 's' };
	opts[k++] = (struct option){ "no-analysis", no_argument, NULL, 'A' };
	opts[k] = (struct option){ NULL, 0, NULL, 0 };

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			once = true;
			break;
		case 'f':
			force = true;
			break;
		case 'c':
			config_opt = optarg;
			break;
		case 'p':
			allow_private = true;
			break;
		case 'B':
			no_browser = true;
			break;
		case 'D':
			digest_now = true;
			break;
		case 'd':
			deliver_only = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'A':
			no_analysis = true;
			break;
		case 's':
			cw_strv_push(&sets, optarg);
			break;
		default:
			if (c >= 1000 && c < 1000 + (int)N_VALUE_FLAGS) {
				char *key = cw_strdup(value_flags[c - 1000]);
				if (!strcmp(key, "smtp-password") &&
				    !cli->quiet)
					fprintf(stderr, "clausewatch: warning: "
							"--smtp-password is "
							"visible "
							"to every user of this "
							"machine (ps, /proc); "
							"prefer "
							"--smtp-password-file "
							"FILE or "
							"CLAUSEWATCH_SMTP_"
							"PASSWORD\n");
				for (char *q = key; *q; q++)
					if (*q == '-')
						*q = '_';
				cw_strv_pushf(&sets, "%s=%s", key, optarg);
				free(key);
				break;
			}
			cw_strv_release(&sets);
			return CW_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cw_strv_release(&sets);
		return cw_cli_extra_argument("monitor", argv[optind]);
	}
	cw_monitor_config_init(&cfg);
	cpath = config_path(config_opt);
	rc = cpath ? cw_monitor_config_load(&cfg, cpath, &err) : CW_OK;
	/* flags after the file: they win */
	for (size_t i = 0; !rc && i < sets.n; i++) {
		char *kv = cw_strdup(sets.v[i]), *eq = strchr(kv, '=');
		if (!eq) {
			rc = cw_err_set(&err, CW_EINVAL,
					"--set '%s': expected KEY=VALUE", kv);
		} else {
			*eq = '\0';
			rc = cw_monitor_config_set(&cfg, kv, eq + 1, &err);
		}
		free(kv);
	}
	cw_strv_release(&sets);
	free(cpath);
	if (rc) {
		cw_monitor_config_release(&cfg);
		cw_cli_fail(&err);
		return CW_EXIT_USAGE;
	}
	if (!rc)
		rc = cw_monitor_config_check(&cfg, &err);
	if (rc) {
		cw_monitor_config_release(&cfg);
		return cw_cli_fail(&err);
	}
	if (allow_private)
		cfg.allow_private = true;
	if (no_browser)
		cfg.use_browser = false;
	rc = cw_cli_open_store(cli, &s, &err);
	if (!rc)
		rc = cw_monitor_init(&mon, s, cw_cli_data_dir(), &cfg, &err);
	if (rc) {
		cw_store_close(s);
		cw_monitor_config_release(&cfg);
		return cw_cli_fail(&err);
	}
	/* changes get taxonomy categories and exposure moves (pipeline.h) */
	if (no_analysis)
		cfg.analysis = false;
	if (cfg.analysis)
		cw_pipeline_enable_analysis(&mon.pl, cw_cli_data_dir());
	mon.stop = &stop_flag;
	mon.verbose = verbose && !cli->quiet;
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_stop;
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	cw_fetch_global_init();
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	/* a long-lived monitor sends alerts beside its passes (monitor.h) */
	if (!once && !deliver_only && !digest_now &&
	    cw_monitor_deliverer_start(&mon, &err)) {
		ret = cw_cli_fail(&err);
		cw_monitor_release(&mon);
		cw_store_close(s);
		cw_monitor_config_release(&cfg);
		return ret;
	}
	if (!once && !cli->quiet)
		fprintf(stderr,
			"clausewatch: monitoring (every %ld s by default, "
			"polling every %ld s); SIGTERM stops\n",
			cfg.interval_s, cfg.poll_s);
	do {
		struct cw_monitor_stats st;
		struct cw_notify_opts no;
		struct cw_pipeline_analysis_stats an0, an;

		memset(&st, 0, sizeof(st));
		cw_pipeline_analysis_stats(&mon.pl, &an0);
		if (deliver_only) {
			cw_monitor_notify_opts(&cfg, &no);
			no.stop = &stop_flag;
			no.digest_now = digest_now;
			rc = cw_notify_deliver(s, &no, 0, &st.delivery, &err);
		} else if (digest_now) {
			cw_monitor_notify_opts(&cfg, &no);
			no.stop = &stop_flag;
			no.digest_now = true;
			rc = cw_monitor_pass(&mon, force, &st, &err);
			if (!rc && !stop_flag)
				rc = cw_notify_deliver(s, &no, 0, &st.delivery,
						       &err);
		} else {
			rc = cw_monitor_pass(&mon, force, &st, &err);
		}
		force = false;
		if (rc) {
			ret = cw_cli_fail(&err);
			if (once)
				break;
			sleep_s(cfg.poll_s); /* a busy store: try again later */
			continue;
		}
		/* the full analyses of the versions this pass recorded, after
		   it: off the path of the documents (pipeline.h) */
		if (!rc && cw_pipeline_analyse_pending(&mon.pl, &err))
			ret = cw_cli_fail(&err);
		/* what the deliverer sent meanwhile counts with this pass */
		cw_monitor_deliverer_take(&mon, &st.delivery);
		/* this pass's share of the analysis counters */
		cw_pipeline_analysis_stats(&mon.pl, &an);
		an.changes -= an0.changes;
		an.provisions -= an0.provisions;
		an.reused -= an0.reused;
		an.failed -= an0.failed;
		an.seconds -= an0.seconds;
		an.versions -= an0.versions;
		an.version_provisions -= an0.version_provisions;
		an.version_seconds -= an0.version_seconds;
		if (once || st.due || st.delivery.sent || st.delivery.retried)
			print_stats(cli, &st, &an);
		/* a pass where every document checked failed is a failure
		 * of the run, whatever the cause (a cron job must see it) */
		if (once && st.checked &&
		    st.failed + st.extract_failed + st.blocked >= st.checked &&
		    ret == CW_EXIT_OK) {
			if (!cli->quiet && !cli->json)
				fprintf(stderr,
					"clausewatch: all %zu documents "
					"checked failed\n",
					st.checked);
			ret = CW_EXIT_FAIL;
		}
		if (!once)
			sleep_s(cfg.poll_s);
	} while (!once && !stop_flag);
	cw_monitor_release(&mon);
	cw_store_close(s);
	cw_monitor_config_release(&cfg);
	return ret;
}

#else
#define JI(v) ((json_int_t)(v))
#endif

int cw_cli_cmd_status(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	struct cw_store_mon_doc *docs = NULL;
	struct cw_store_outbox_counts oc;
	size_t n = 0, failing = 0, unchecked = 0;
	bool only_failing = false;
	json_t *list;
	int rc;

	rc = cw_cli_options(argc, argv, "failing", &only_failing);
	if (rc)
		return rc;
	list = json_array();
	rc = cw_cli_open_store(cli, &s, &err);
	if (!rc)
		rc = cw_store_mon_list(s, NULL, &docs, &n, &err);
	if (!rc)
		rc = cw_store_outbox_count(s, &oc, &err);
	if (rc) {
		json_decref(list);
		cw_store_close(s);
		return cw_cli_fail(&err);
	}
	for (size_t i = 0; i < n; i++) {
		const struct cw_store_mon *m = &docs[i].mon;
		const char *state = m->failing	    ? "failing"
				    : m->last_check ? "ok"
						    : "unchecked";

		if (m->failing)
			failing++;
		else if (!m->last_check)
			unchecked++;
		if (only_failing && !m->failing)
			continue;
		if (cli->json) {
			json_array_append_new(
				list,
				json_pack("{sososbsssIsIsososososb}", "service",
					  cw_cli_jstr(docs[i].doc.service),
					  "type", cw_cli_jstr(docs[i].doc.type),
					  "declared",
					  docs[i].doc.decl_json != NULL,
					  "state", state, "failures",
					  JI(m->failures), "versions",
					  JI(docs[i].doc.n_versions),
					  "failing_since",
					  cw_cli_jstr(m->failing_since),
					  "last_error",
					  cw_cli_jstr(m->last_error),
					  "last_check",
					  cw_cli_jstr(m->last_check),
					  "next_due", cw_cli_jstr(m->next_due),
					  "alerted", m->alerted != 0));
			continue;
		}
		printf("%s/%s\t%s", docs[i].doc.service, docs[i].doc.type,
		       state);
		if (m->failing)
			printf(" since %s (%lld checks%s): %s",
			       m->failing_since, (long long)m->failures,
			       m->alerted ? ", alert sent" : "",
			       m->last_error ? m->last_error : "");
		else if (m->last_check)
			printf(" (checked %s)", m->last_check);
		printf("\tnext %s\n", m->next_due	      ? m->next_due
				      : docs[i].doc.decl_json ? "now"
							      : "never (not "
								"declared)");
	}
	if (cli->json) {
		cw_cli_print_json_take(json_pack(
			"{sOsIsIs{sIsIsIsI}}", "documents", list, "failing",
			JI(failing), "unchecked", JI(unchecked), "outbox",
			"pending", JI(oc.pending), "held", JI(oc.held), "sent",
			JI(oc.sent), "dead", JI(oc.dead)));
	} else {
		printf("%zu documents: %zu ok, %zu failing, %zu not checked "
		       "yet; "
		       "alerts: %lld pending, %lld held for digests, %lld "
		       "sent, "
		       "%lld given up\n",
		       n, n - failing - unchecked, failing, unchecked,
		       (long long)oc.pending, (long long)oc.held,
		       (long long)oc.sent, (long long)oc.dead);
	}
	json_decref(list);
	cw_store_mon_docs_free(docs, n);
	cw_store_close(s);
	return CW_EXIT_OK;
}
