/*
 * pdf_child: a PDF's text made in a child process, with limits of time
 * and memory (extract.h, "PDFs"): the caller's side (cw_extract_pdf).
 * The helper's side, the one that links poppler, is pdf_helper.c, so a
 * program that runs the helper but never is it (the light clausewatch,
 * cli.h "The two programs") loads no poppler.
 *
 * Why a child process: poppler's text extraction is unbounded (a page on
 * which three texts are drawn 32,000 times at one place, an 8 KB file,
 * takes it 23 to 26 s and 320 MiB on two cores: the cost grows with the
 * square of the drawings) and it runs in whatever process calls it. Only a process can be given
 * a CPU and address-space limit and be killed at a deadline without
 * leaving anything half-done behind; a thread cannot be stopped.
 *
 * Why a re-exec of /proc/self/exe (util/child.h says why posix_spawn):
 * poppler keeps global state and locks that a fresh image starts without;
 * the kernel resolves the binary this process runs even when it was
 * replaced on disk meanwhile, so the helper is always the same version as
 * its caller.
 *
 * The protocol: the PDF is the helper's standard input (a memfd holding
 * a copy, so that nothing has to be written to a pipe while the answer
 * is read); its arguments are the limits; the answer on its standard
 * output is one line "CWPDF1 RC LEN" and LEN bytes, the text when RC is
 * 0, else the reason. Its standard error is kept as a tail, for the
 * message of a crash and to tell memory exhaustion (poppler prints "Out
 * of memory" and aborts) from other crashes.
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

/* What is kept of the helper's standard error: its last lines. */
#define STDERR_TAIL (4u << 10)

/* ---- the caller's side ---- */

/* Did the helper run out of address space? poppler's allocator prints
 * "Out of memory" and aborts; C++ and GLib print these. */
static bool out_of_memory(const struct cw_buf *tail)
{
	static const char *const marks[] = { "Out of memory", "bad_alloc",
					     "failed to allocate",
					     "Cannot allocate memory" };
	const char *s = cw_buf_str(tail);

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (strstr(s, marks[i]))
			return true;
	return false;
}

int cw_extract_pdf_answer(struct cw_buf *out, const char *a, size_t n,
			  struct cw_err *err)
{
	const char *nl, *p, *d;
	size_t k = strlen(CW_PDF_ANSWER_MAGIC), len = 0, head;
	long rc = 0;
	bool neg;

	nl = memchr(a, '\n',
		    n < CW_PDF_ANSWER_HEAD_MAX ? n : CW_PDF_ANSWER_HEAD_MAX);
	if (!nl || (size_t)(nl - a) < k || memcmp(a, CW_PDF_ANSWER_MAGIC, k))
		return cw_err_set(err, CW_EIO,
				  "the PDF process gave no answer (does this "
				  "program call cw_extract_pdf_helper_main?)");
	/* "RC LEN": a small number, maybe negative, and a length, parsed
	 * by hand (the line is not NUL-terminated), digits bounded */
	p = a + k;
	neg = p < nl && *p == '-';
	p += neg;
	for (d = p; p < nl && p - d < 4 && *p >= '0' && *p <= '9'; p++)
		rc = rc * 10 + (*p - '0');
	if (p == d || p >= nl || *p != ' ')
		return cw_err_set(err, CW_EIO, "bad answer of the PDF process");
	rc = neg ? -rc : rc;
	for (d = ++p; p < nl && p - d < 15 && *p >= '0' && *p <= '9'; p++)
		len = len * 10 + (size_t)(*p - '0');
	if (p == d || p != nl)
		return cw_err_set(err, CW_EIO, "bad answer of the PDF process");
	head = (size_t)(nl - a) + 1;
	if (len != n - head)
		return cw_err_set(err, CW_EIO,
				  "truncated answer of the PDF process");
	if (rc == CW_OK) {
		if (cw_buf_add(out, a + head, len))
			return cw_err_set(err, CW_ETOOBIG,
					  "text longer than %zu bytes",
					  out->max);
		return CW_OK;
	}
	/* only the failures the helper can have; a reason is one message */
	if (rc != CW_EPARSE && rc != CW_ETOOBIG && rc != CW_EINVAL &&
	    rc != CW_EIO && rc != CW_EEMPTY)
		rc = CW_EPARSE;
	if (!len || !a[head])
		return cw_err_set(err, (int)rc,
				  "the PDF process failed without a reason");
	return cw_err_set(err, (int)rc, "%.*s",
			  (int)(len < CW_ERR_MSG_MAX ? len : CW_ERR_MSG_MAX),
			  a + head);
}

/* The seconds of a limit in milliseconds, as a message says them. */
static void seconds_str(long ms, char *out, size_t n)
{
	snprintf(out, n, "%g", (double)ms / 1000);
}

/*
 * The text of one PDF by the helper, within the limits of `o`. Messages
 * do not name the input (the caller prefixes them).
 */
static int pdf_in_child(struct cw_buf *out, const struct cw_extract_input *in,
			const struct cw_extract_opts *o, struct cw_err *err)
{
	long timeout_ms = o->pdf_timeout_ms > 0 ? o->pdf_timeout_ms : 20000;
	long memory_mb = o->pdf_memory_mb > 0 ? o->pdf_memory_mb : 1024;
	long cpu_s;
	/* the text's cap: the buffer's, else the options' */
	size_t cap = out->max ? out->max - out->len : o->max_output;
	char a0[] = "clausewatch-pdf", a1[] = CW_EXTRACT_PDF_HELPER;
	char a_in[32], a_out[32], a_cpu[32], a_mem[32], secs[32], line[256];
	char how[64];
	char *argv[] = { a0, a1, a_in, a_out, a_cpu, a_mem, NULL };
	struct cw_child_opts co = { 0 };
	struct cw_child_run r;
	int fd, rc;

	/* a library caller's values, held to the range of the settings */
	if (timeout_ms < CW_EXTRACT_PDF_TIMEOUT_MIN)
		timeout_ms = CW_EXTRACT_PDF_TIMEOUT_MIN;
	if (timeout_ms > CW_EXTRACT_PDF_TIMEOUT_MAX)
		timeout_ms = CW_EXTRACT_PDF_TIMEOUT_MAX;
	if (memory_mb < CW_EXTRACT_PDF_MEMORY_MIN)
		memory_mb = CW_EXTRACT_PDF_MEMORY_MIN;
	if (memory_mb > CW_EXTRACT_PDF_MEMORY_MAX)
		memory_mb = CW_EXTRACT_PDF_MEMORY_MAX;
	cpu_s = (timeout_ms + 999) / 1000;
	snprintf(a_in, sizeof(a_in), "%zu", in->len);
	snprintf(a_out, sizeof(a_out), "%zu", cap);
	snprintf(a_cpu, sizeof(a_cpu), "%ld", cpu_s);
	snprintf(a_mem, sizeof(a_mem), "%ld", memory_mb);
	seconds_str(timeout_ms, secs, sizeof(secs));

	fd = cw_child_memfd("clausewatch-pdf", in->data, in->len);
	if (fd < 0)
		return cw_err_set(err, CW_EIO,
				  "cannot hand the PDF to its process: %s",
				  strerror(errno));
	/* the helper limits itself (limit_self): no cpu_s here; the answer
	 * is its first line, then at most the text's cap */
	co.timeout_ms = timeout_ms;
	co.max_out = CW_PDF_ANSWER_HEAD_MAX + cap;
	co.err_tail = STDERR_TAIL;
	co.stop = o->stop;
	rc = cw_child_run(&r, "/proc/self/exe", argv, NULL, fd, &co, err);
	close(fd);
	if (rc) {
		rc = cw_err_set(err, CW_EIO,
				"cannot start the PDF process "
				"'/proc/self/exe': %s",
				strerror(errno));
		goto done;
	}

	if (r.stopped) {
		rc = cw_err_set(err, CW_EIO,
				"PDF extraction stopped: the program is "
				"stopping");
	} else if (r.toobig) {
		rc = cw_err_set(err, CW_ETOOBIG, "text longer than %zu bytes",
				cap);
	} else if (cw_child_out_of_time(&r, cpu_s)) {
		rc = cw_err_set(err, CW_ETIMEOUT,
				"PDF extraction took longer than %s s", secs);
	} else if ((!WIFEXITED(r.status) || WEXITSTATUS(r.status)) &&
		   out_of_memory(&r.errtail)) {
		rc = cw_err_set(err, CW_ETOOBIG,
				"PDF extraction used more than %ld MiB",
				memory_mb);
	} else if (cw_child_stopped(&r)) {
		/* the whole group was told to stop (Ctrl-C, systemd's stop):
		 * not the PDF's fault */
		rc = cw_err_set(err, CW_EIO,
				"PDF extraction stopped by signal %d",
				WTERMSIG(r.status));
	} else if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) {
		rc = cw_extract_pdf_answer(out, cw_buf_str(&r.out), r.out.len,
					   err);
	} else {
		cw_child_last_line(&r, line, sizeof(line));
		cw_child_status_str(&r, how, sizeof(how));
		rc = cw_err_set(err, CW_EPARSE,
				"unreadable PDF: its process %s%s%s", how,
				line[0] ? ": " : "", line);
	}
done:
	cw_child_run_release(&r);
	return rc;
}

int cw_extract_pdf(struct cw_buf *out, const struct cw_extract_input *in,
		   const struct cw_extract_opts *opts, struct cw_err *err)
{
	const char *name = in->name ? in->name : (in->url ? in->url : "PDF");
	size_t start = out->len;
	int rc;

	if (opts->pdf_in_process)
		rc = opts->pdf_in_process(out, in->data ? in->data : "",
					  in->len, err);
	else
		rc = pdf_in_child(out, in, opts, err);
	if (rc) {
		cw_buf_truncate(out, start);
		cw_err_prefix(err, "'%s': ", name);
	}
	return rc;
}
