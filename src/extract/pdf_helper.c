/*
 * pdf_helper: the child's side of a PDF's text made in a child process
 * (pdf_child.c says why and the protocol): run as clausewatch
 * CW_EXTRACT_PDF_HELPER LIMITS..., it limits itself, reads the PDF on its
 * standard input, extracts it with poppler (pdf.c) and writes the answer.
 */
#include "extract_int.h"

#include "../util/child.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Sanitizers reserve terabytes of shadow address space at start: an
 * address-space limit cannot apply to such a build. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define AS_LIMIT 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || \
	__has_feature(thread_sanitizer)
#define AS_LIMIT 0
#endif
#endif
#ifndef AS_LIMIT
#define AS_LIMIT 1
#endif

/* ---- the helper: the child's side ---- */

static int answer(int rc, const char *body, size_t len)
{
	char head[CW_PDF_ANSWER_HEAD_MAX];
	int n = snprintf(head, sizeof(head), CW_PDF_ANSWER_MAGIC "%d %zu\n", rc,
			 len);

	if (cw_write_all(1, head, (size_t)n) || cw_write_all(1, body, len))
		return 1;
	return 0;
}

/* Limit this process: CPU seconds (SIGXCPU at `cpu_s`, SIGKILL a second
 * later), address space, no core file. */
static void limit_self(long cpu_s, long memory_mb)
{
	struct rlimit cpu = { (rlim_t)cpu_s, (rlim_t)cpu_s + 1 };
	struct rlimit core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &core);
	setrlimit(RLIMIT_CPU, &cpu);
	if (AS_LIMIT) {
		struct rlimit as = { (rlim_t)memory_mb << 20,
				     (rlim_t)memory_mb << 20 };
		setrlimit(RLIMIT_AS, &as);
	}
}

int cw_extract_pdf_helper_main(int argc, char **argv)
{
	long max_input, max_output, cpu_s, memory_mb;
	struct cw_buf pdf = CW_BUF_INIT, text = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	int rc, status;

	if (argc < 2 || strcmp(argv[1], CW_EXTRACT_PDF_HELPER))
		return -1;
	if (argc != 6 || cw_parse_long(argv[2], 0, LONG_MAX, &max_input) ||
	    cw_parse_long(argv[3], 0, LONG_MAX, &max_output) ||
	    cw_parse_long(argv[4], 1, 86400, &cpu_s) ||
	    cw_parse_long(argv[5], CW_EXTRACT_PDF_MEMORY_MIN,
			  CW_EXTRACT_PDF_MEMORY_MAX, &memory_mb)) {
		fprintf(stderr, "%s: internal: bad arguments\n", argv[1]);
		return 2;
	}
	/* nothing of the caller's but the three pipes: not its store, its
	 * sockets or its lock, whatever their close-on-exec flags say */
	close_range(3, ~0U, 0);
	/* a caller that dies (kill -9) takes its helper with it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	limit_self(cpu_s, memory_mb);

	cw_buf_init(&pdf, (size_t)max_input);
	for (;;) {
		char chunk[65536];
		ssize_t got = read(0, chunk, sizeof(chunk));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = cw_err_set(&err, CW_EIO, "cannot read the PDF: %s",
					strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		if (cw_buf_add(&pdf, chunk, (size_t)got)) {
			rc = cw_err_set(&err, CW_ETOOBIG, "more than %ld bytes",
					max_input);
			goto out;
		}
	}
	cw_buf_init(&text, (size_t)max_output);
	rc = cw_extract_pdf_reader(&text, cw_buf_str(&pdf), pdf.len, &err);
out:
	if (rc)
		status = answer(rc, err.msg, strlen(err.msg));
	else
		status = answer(CW_OK, cw_buf_str(&text), text.len);
	cw_buf_release(&pdf);
	cw_buf_release(&text);
	/* the answer is written (not buffered): what the libraries of this
	 * program would do at exit (GLib, libcurl, a sanitizer's leak
	 * check of a process that never freed its globals) is nothing the
	 * caller waits for */
	_exit(status);
}
