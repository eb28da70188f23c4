/*
 * fetch_bench: drive the multi fetch engine against a fixture server and
 * report throughput, peak RSS and the outcome of every request.
 *
 *   fetch_bench --base http://127.0.0.1:PORT --docs N [--transfers T]
 *               [--per-host K] [--timeout-ms MS] [--attempts A]
 *               [--backoff-ms MS] [--passes P]
 *
 * Fetches BASE/doc/0 .. BASE/doc/N-1, P times (between passes it asks the
 * server for the next pass and sends the validators it got, so unchanged
 * documents come back as 304). Prints one summary line per pass.
 */
#include <sys/resource.h>
#include <time.h>

#include "fetch/multi.h"
#include "tool.h"

struct bench {
	long ndocs;
	char **etags;
	size_t by_rc[32];
	size_t bytes;
	size_t attempts;
};

static void on_done(void *ctx, struct cw_fetch_multi_result *r)
{
	struct bench *b = ctx;
	long i = (long)(intptr_t)r->userdata;
	int k = -r->rc;

	if (k >= 0 && k < 32)
		b->by_rc[k]++;
	b->bytes += r->res.body.len;
	b->attempts += r->attempts;
	if (r->rc == CW_OK && r->res.etag) {
		free(b->etags[i]);
		b->etags[i] = r->res.etag;
		r->res.etag = NULL; /* taken */
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const char usage[] = "fetch_bench --base URL --docs N ...";
	struct cw_fetch_multi_opts mo = CW_FETCH_MULTI_OPTS_INIT;
	struct bench b;
	const char *base = NULL;
	long passes = 1, transfers = 128, per_host = 128, attempts;
	const struct tool_opt opts[] = {
		{ "base", .text = &base },
		{ "docs", .num = &b.ndocs },
		{ "transfers", .num = &transfers },
		{ "per-host", .num = &per_host },
		{ "timeout-ms", .num = &mo.fetch.timeout_ms },
		{ "attempts", .num = &attempts },
		{ "backoff-ms", .num = &mo.backoff_ms },
		{ "passes", .num = &passes },
		{ NULL },
	};

	memset(&b, 0, sizeof(b));
	mo.fetch.allow_private = true;
	mo.fetch.timeout_ms = 5000;
	mo.fetch.connect_timeout_ms = 2000;
	mo.host_delay_ms = 0;
	mo.backoff_ms = 200;
	attempts = (long)mo.max_attempts;
	tool_parse(argc, argv, opts, "fetch_bench", usage);
	if (!base || b.ndocs <= 0) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	mo.max_transfers = (unsigned)transfers;
	mo.max_per_host = (unsigned)per_host;
	mo.max_attempts = (unsigned)attempts;
	b.etags = cw_calloc((size_t)b.ndocs, sizeof(char *));
	mo.on_done = on_done;
	mo.ctx = &b;
	for (long pass = 0; pass < passes; pass++) {
		struct cw_fetch_multi *m = NULL;
		struct cw_fetch_multi_stats st;
		struct cw_err e = CW_ERR_INIT;
		struct rusage ru;
		double t0, dt;

		memset(b.by_rc, 0, sizeof(b.by_rc));
		b.bytes = b.attempts = 0;
		if (pass > 0) {
			struct cw_fetch_result r;
			char *u = cw_asprintf("%s/_pass", base);

			cw_fetch_result_init(&r);
			cw_fetch_url(&r, u, &mo.fetch, NULL);
			cw_fetch_result_release(&r);
			free(u);
		}
		if (cw_fetch_multi_new(&m, &mo, &e)) {
			fprintf(stderr, "fetch_bench: %s\n", e.msg);
			return 1;
		}
		for (long i = 0; i < b.ndocs; i++) {
			char *u = cw_asprintf("%s/doc/%ld", base, i);
			struct cw_fetch_multi_req rq = { u, b.etags[i], NULL,
							 (void *)(intptr_t)i };

			cw_fetch_multi_add(m, &rq, NULL);
			free(u);
		}
		t0 = now_s();
		if (cw_fetch_multi_run(m, &e)) {
			fprintf(stderr, "fetch_bench: %s\n", e.msg);
			return 1;
		}
		dt = now_s() - t0;
		cw_fetch_multi_stats(&st, m);
		getrusage(RUSAGE_SELF, &ru);
		printf("pass %ld: %ld docs in %.2f s = %.0f docs/min, %zu "
		       "bytes, "
		       "%zu attempts, %zu retries, peak %zu transfers, "
		       "peak RSS %ld KiB; outcomes:",
		       pass, b.ndocs, dt, (double)b.ndocs * 60.0 / dt, b.bytes,
		       b.attempts, st.retries, st.peak_running, ru.ru_maxrss);
		for (int k = 0; k < 32; k++)
			if (b.by_rc[k])
				printf(" %s=%zu", cw_rc_name(-k), b.by_rc[k]);
		printf("\n");
		fflush(stdout);
		cw_fetch_multi_free(m);
	}
	for (long i = 0; i < b.ndocs; i++)
		free(b.etags[i]);
	free(b.etags);
	return 0;
}
