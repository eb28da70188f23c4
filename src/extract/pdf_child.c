/*
 * pdf_child: a PDF's text made in a child process, with limits of time
 * and memory (extract.h, "PDFs"). Both sides of it live here: the caller
 * (cw_extract_pdf) and the helper (cw_extract_pdf_helper_main).
 *
 * Why a child process: poppler's text extraction is unbounded (a page on
 * which three texts are drawn 32,000 times at one place, an 8 KB file,
 * takes it 23 to 26 s and 320 MiB on two cores: the cost grows with the
 * square of the drawings) and it runs in whatever process calls it. Only a process can be given
 * a CPU and address-space limit and be killed at a deadline without
 * leaving anything half-done behind; a thread cannot be stopped.
 *
 * Why posix_spawn of /proc/self/exe rather than fork: the monitor has
 * threads (fetch, extraction workers). After fork() in a threaded
 * process only async-signal-safe calls are defined until exec, and
 * poppler allocates and takes locks at once; glibc makes malloc work
 * after fork, but a lock of GLib, fontconfig or poppler held by another
 * thread at the moment of the fork would stay held in the child for
 * ever. The child would also inherit the parent's whole address space
 * (page bodies, thread stacks), which RLIMIT_AS would then count. A new
 * image of the same program starts clean: posix_spawn (vfork-like in
 * glibc, safe with threads) runs the binary this process runs, which the
 * kernel resolves even when it was replaced on disk meanwhile, so the
 * helper is always the same version as its caller.
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

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define ANSWER_MAGIC "CWPDF1 "
/* The answer's first line: the magic, a return code and a length. */
#define ANSWER_HEAD_MAX 64
/* What is kept of the helper's standard error: its last lines. */
#define STDERR_TAIL (4u << 10)

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

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int answer(int rc, const char *body, size_t len)
{
	char head[ANSWER_HEAD_MAX];
	int n = snprintf(head, sizeof(head), ANSWER_MAGIC "%d %zu\n", rc, len);

	if (write_all(1, head, (size_t)n) || write_all(1, body, len))
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
	rc = cw_extract_pdf_text(&text, cw_buf_str(&pdf), pdf.len, &err);
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

/* ---- the caller's side ---- */

/* `fd` moved above the standard descriptors (close-on-exec), so that
 * the child's dup2 of one onto 0, 1 or 2 cannot clobber another. */
static int above_std(int fd)
{
	int moved;

	if (fd < 0 || fd > 2)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return moved;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The PDF in an anonymous file, positioned at its start. */
static int pdf_file(const char *data, size_t len, int *out)
{
	int fd = memfd_create("clausewatch-pdf", MFD_CLOEXEC);

	*out = -1;
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) || lseek(fd, 0, SEEK_SET) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	*out = above_std(fd);
	return *out < 0 ? -1 : 0;
}

/* Start the helper with `in` as its standard input; *out_fd and *err_fd
 * receive the read ends of its standard output and error. */
static int spawn_helper(pid_t *pid, int in, int *out_fd, int *err_fd,
			char **argv)
{
	int out[2] = { -1, -1 }, er[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	int e;

	/* close-on-exec everywhere: a child that another thread starts at
	 * the same moment must not hold the write ends (no EOF then) */
	if (pipe2(out, O_CLOEXEC) || pipe2(er, O_CLOEXEC)) {
		e = errno;
		goto fail;
	}
	out[1] = above_std(out[1]);
	er[1] = above_std(er[1]);
	if (out[1] < 0 || er[1] < 0) {
		e = errno;
		goto fail;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, er[1], 2);
	/* the caller's thread may block signals (the monitor's workers
	 * block SIGTERM) or ignore them (SIGPIPE): the helper starts with
	 * none blocked and the default actions, so SIGXCPU ends it */
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	sigaddset(&dflt, SIGXCPU);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dflt);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	e = posix_spawn(pid, "/proc/self/exe", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (e)
		goto fail;
	close_fd(&out[1]);
	close_fd(&er[1]);
	*out_fd = out[0];
	*err_fd = er[0];
	return 0;
fail:
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&er[0]);
	close_fd(&er[1]);
	errno = e;
	return -1;
}

/* What the helper left behind, read by the caller. */
struct run {
	struct cw_buf answer;	/* its standard output, capped */
	struct cw_buf errtail;	/* the end of its standard error */
	bool timed_out, toobig; /* stopped by the caller */
	int status;		/* from wait4 */
	struct rusage ru;
};

/* Read the helper's two pipes until both end or the deadline passes. */
static void collect(struct run *r, int *out, int *er, long deadline)
{
	while (*out >= 0 || *er >= 0) {
		struct pollfd pf[2];
		int *fds[2];
		int n = 0;
		long left = deadline - cw_time_mono_ms();

		if (left <= 0) {
			r->timed_out = true;
			return;
		}
		if (*out >= 0) {
			fds[n] = out;
			pf[n++] =
				(struct pollfd){ .fd = *out, .events = POLLIN };
		}
		if (*er >= 0) {
			fds[n] = er;
			pf[n++] =
				(struct pollfd){ .fd = *er, .events = POLLIN };
		}
		if (poll(pf, (nfds_t)n, (int)(left > 1000 ? 1000 : left)) < 0) {
			if (errno == EINTR)
				continue;
			return; /* the caller kills the helper */
		}
		for (int i = 0; i < n; i++) {
			char chunk[65536];
			ssize_t got;

			if (!pf[i].revents)
				continue;
			got = read(*fds[i], chunk, sizeof(chunk));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				close_fd(fds[i]);
				continue;
			}
			if (fds[i] == out) {
				if (cw_buf_add(&r->answer, chunk,
					       (size_t)got)) {
					r->toobig = true;
					return;
				}
			} else if (cw_buf_add(&r->errtail, chunk,
					      (size_t)got)) {
				/* keep the tail: start over when full */
				cw_buf_clear(&r->errtail);
				cw_buf_add(&r->errtail, chunk,
					   (size_t)got < STDERR_TAIL
						   ? (size_t)got
						   : STDERR_TAIL);
			}
		}
	}
}

/*
 * Reap the helper. Unless both its pipes ended (it is exiting), it is
 * killed first; a helper that closed them and lingers past the deadline
 * is killed then, so this never blocks for long.
 */
static void reap(struct run *r, pid_t pid, bool kill_now, long deadline)
{
	if (kill_now)
		kill(pid, SIGKILL);
	for (;;) {
		pid_t w = wait4(pid, &r->status, WNOHANG, &r->ru);

		if (w < 0 && errno == EINTR)
			continue;
		if (w != 0)
			return;
		if (cw_time_mono_ms() > deadline + 1000) {
			kill(pid, SIGKILL);
			while (wait4(pid, &r->status, 0, &r->ru) < 0 &&
			       errno == EINTR)
				;
			return;
		}
		poll(NULL, 0, 10);
	}
}

/* The last non-empty line of the helper's standard error, or "". */
static void last_line(const struct cw_buf *b, char *out, size_t n)
{
	const char *s = cw_buf_str(b);
	size_t end = b->len, start;

	while (end && (s[end - 1] == '\n' || s[end - 1] == '\r'))
		end--;
	start = end;
	while (start && s[start - 1] != '\n')
		start--;
	snprintf(out, n, "%.*s", (int)(end - start), s + start);
}

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

static double cpu_seconds(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_stime.tv_sec +
	       ((double)ru->ru_utime.tv_usec + (double)ru->ru_stime.tv_usec) /
		       1e6;
}

int cw_extract_pdf_answer(struct cw_buf *out, const char *a, size_t n,
			  struct cw_err *err)
{
	const char *nl, *p, *d;
	size_t k = strlen(ANSWER_MAGIC), len = 0, head;
	long rc = 0;
	bool neg;

	nl = memchr(a, '\n', n < ANSWER_HEAD_MAX ? n : ANSWER_HEAD_MAX);
	if (!nl || (size_t)(nl - a) < k || memcmp(a, ANSWER_MAGIC, k))
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
	char *argv[] = { a0, a1, a_in, a_out, a_cpu, a_mem, NULL };
	struct run r;
	int fd = -1, outfd = -1, errfd = -1, rc;
	long deadline;
	pid_t pid;

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
	memset(&r, 0, sizeof(r));
	/* the answer: its first line, then at most the text's cap */
	cw_buf_init(&r.answer, ANSWER_HEAD_MAX + cap);
	cw_buf_init(&r.errtail, STDERR_TAIL);

	if (pdf_file(in->data, in->len, &fd)) {
		rc = cw_err_set(err, CW_EIO,
				"cannot hand the PDF to its process: %s",
				strerror(errno));
		goto done;
	}
	deadline = cw_time_mono_ms() + timeout_ms;
	if (spawn_helper(&pid, fd, &outfd, &errfd, argv)) {
		rc = cw_err_set(err, CW_EIO,
				"cannot start the PDF process "
				"'/proc/self/exe': %s",
				strerror(errno));
		goto done;
	}
	close_fd(&fd);
	collect(&r, &outfd, &errfd, deadline);
	reap(&r, pid, r.timed_out || r.toobig || outfd >= 0 || errfd >= 0,
	     deadline);

	if (r.toobig) {
		rc = cw_err_set(err, CW_ETOOBIG, "text longer than %zu bytes",
				cap);
	} else if (r.timed_out || (WIFSIGNALED(r.status) &&
				   (WTERMSIG(r.status) == SIGXCPU ||
				    (WTERMSIG(r.status) == SIGKILL &&
				     cpu_seconds(&r.ru) >= (double)cpu_s)))) {
		/* the wall-clock deadline, or the CPU limit a little later */
		rc = cw_err_set(err, CW_ETIMEOUT,
				"PDF extraction took longer than %s s", secs);
	} else if ((!WIFEXITED(r.status) || WEXITSTATUS(r.status)) &&
		   out_of_memory(&r.errtail)) {
		rc = cw_err_set(err, CW_ETOOBIG,
				"PDF extraction used more than %ld MiB",
				memory_mb);
	} else if (WIFSIGNALED(r.status) && (WTERMSIG(r.status) == SIGTERM ||
					     WTERMSIG(r.status) == SIGINT ||
					     WTERMSIG(r.status) == SIGHUP)) {
		/* the whole group was told to stop (Ctrl-C, systemd's stop):
		 * not the PDF's fault */
		rc = cw_err_set(err, CW_EIO,
				"PDF extraction stopped by signal %d",
				WTERMSIG(r.status));
	} else if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) {
		rc = cw_extract_pdf_answer(out, cw_buf_str(&r.answer),
					   r.answer.len, err);
	} else {
		last_line(&r.errtail, line, sizeof(line));
		rc = cw_err_set(
			err, CW_EPARSE, "unreadable PDF: its process %s %d%s%s",
			WIFEXITED(r.status) ? "exited with" : "died of signal",
			WIFEXITED(r.status) ? WEXITSTATUS(r.status)
					    : WTERMSIG(r.status),
			line[0] ? ": " : "", line);
	}
done:
	close_fd(&fd);
	close_fd(&outfd);
	close_fd(&errfd);
	cw_buf_release(&r.answer);
	cw_buf_release(&r.errtail);
	return rc;
}

int cw_extract_pdf(struct cw_buf *out, const struct cw_extract_input *in,
		   const struct cw_extract_opts *opts, struct cw_err *err)
{
	const char *name = in->name ? in->name : (in->url ? in->url : "PDF");
	size_t start = out->len;
	int rc;

	if (opts->pdf_in_process)
		rc = cw_extract_pdf_text(out, in->data ? in->data : "", in->len,
					 err);
	else
		rc = pdf_in_child(out, in, opts, err);
	if (rc) {
		cw_buf_truncate(out, start);
		cw_err_prefix(err, "'%s': ", name);
	}
	return rc;
}
