/*
 * cmd_serve: the web server (src/http/).
 *
 *   clausewatch serve [--listen HOST:PORT] [--base-url URL] [--threads N]
 *       [--quiet]
 *
 * Prints the URL to open, then serves until SIGTERM or SIGINT, and stops
 * after finishing the requests under way.
 */
#include <pthread.h>
#include <signal.h>

#include "../http/http.h"
#include "cli.h"

/* "HOST:PORT", "[V6]:PORT" or ":PORT" into host (a copy) and port. */
static bool split_listen(const char *s, char **host, unsigned *port)
{
	const char *colon = strrchr(s, ':');
	long p;

	if (!colon || cw_parse_long(colon + 1, 0, 65535, &p))
		return false;
	*port = (unsigned)p;
	if (colon == s) {
		*host = cw_strdup("127.0.0.1");
	} else if (s[0] == '[' && colon[-1] == ']') {
		*host = cw_strndup(s + 1, (size_t)(colon - s - 2));
	} else {
		*host = cw_strndup(s, (size_t)(colon - s));
	}
	return **host != '\0';
}

int cw_cli_cmd_serve(struct cw_cli *cli, int argc, char **argv)
{
	struct cw_http_opts o = CW_HTTP_OPTS_INIT;
	struct cw_http *h = NULL;
	struct cw_err err = CW_ERR_INIT;
	struct cw_store *s = NULL;
	const char *listen = NULL;
	char *host = NULL, *db = NULL;
	long threads = 2;
	bool quiet = cli->quiet, created = false;
	struct cw_note_key key;
	sigset_t set;
	int rc, sig;

	rc = cw_cli_options(argc, argv, "listen= base-url= threads#1..64 quiet",
			    &listen, &o.base_url, &threads, &quiet);
	if (rc)
		return rc;
	if (optind != argc)
		return cw_cli_extra_argument(argv[0], argv[optind]);
	if (listen && !split_listen(listen, &host, &o.port))
		return cw_cli_usage(
			"serve", "--listen '%s': expected HOST:PORT", listen);
	if (host)
		o.host = host;
	/* the store is made and migrated once here, before the workers
	 * open their own handles; the log's key is made if there is none,
	 * so /checkpoint always has a signer */
	rc = cw_cli_open_store(cli, &s, &err);
	cw_store_close(s);
	if (!rc)
		rc = cw_cli_log_key(cli, true, NULL, &key, &created, &err);
	if (!rc && created && !quiet)
		fprintf(stderr,
			"clausewatch: made the log's signing key (origin "
			"'%s')\n",
			key.name);
	o.log_key = &key;
	db = cw_cli_db_path(cli);
	o.db_path = db;
	o.data_dir = cw_cli_data_dir();
	o.threads = (unsigned)threads;
	o.quiet = quiet;
	/* the workers inherit the mask: the signals come to sigwait() */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (!rc)
		rc = cw_http_start(&h, &o, &err);
	if (rc) {
		explicit_bzero(&key, sizeof(key));
		free(host);
		free(db);
		return cw_cli_fail(&err);
	}
	if (cli->json)
		cw_cli_print_json_take(json_pack("{s:o,s:i}", "url",
						 cw_cli_jstr(cw_http_url(h)),
						 "port", (int)cw_http_port(h)));
	else
		printf("clausewatch: serving %s on %s (open %s/)\n", db,
		       cw_http_url(h), cw_http_url(h));
	fflush(stdout);
	sigwait(&set, &sig);
	if (!quiet)
		fprintf(stderr, "clausewatch: %s: stopping\n",
			sig == SIGTERM ? "SIGTERM" : "SIGINT");
	cw_http_stop(h);
	explicit_bzero(&key, sizeof(key));
	free(host);
	free(db);
	return CW_EXIT_OK;
}
