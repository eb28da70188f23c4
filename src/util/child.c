/*
 * child: a program run in a process of its own within a deadline and a cap
 * on its output (child.h). Grown out of the PDF helper's caller
 * (extract/pdf_child.c), which it still serves.
 */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int cw_write_all(int fd, const char *p, size_t n)
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

int cw_child_memfd(const char *name, const char *data, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (cw_write_all(fd, data, len) || lseek(fd, 0, SEEK_SET) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return above_std(fd);
}

/* Start the child with `in` as its standard input; *out_fd and *err_fd
 * receive the read ends of its standard output and error. */
static int spawn(pid_t *pid, const char *path, char *const *argv,
		 char *const *envp, int in, int *out_fd, int *err_fd)
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
	if (strchr(path, '/'))
		e = posix_spawn(pid, path, &fa, &at, argv,
				envp ? envp : environ);
	else
		e = posix_spawnp(pid, path, &fa, &at, argv,
				 envp ? envp : environ);
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

/* Read the child's two pipes until both end or the deadline passes. */
static void collect(struct cw_child_run *r, int *out, int *er, long deadline,
		    size_t tail, volatile sig_atomic_t *stop)
{
	long slice = stop ? 200 : 1000;

	while (*out >= 0 || *er >= 0) {
		struct pollfd pf[2];
		int *fds[2];
		int n = 0;
		long left = deadline - cw_time_mono_ms();

		if (stop && *stop) {
			r->stopped = true;
			return;
		}
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
		if (poll(pf, (nfds_t)n, (int)(left > slice ? slice : left)) <
		    0) {
			if (errno == EINTR)
				continue;
			return; /* the caller kills the child */
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
				if (cw_buf_add(&r->out, chunk, (size_t)got)) {
					r->toobig = true;
					return;
				}
			} else if (cw_buf_add(&r->errtail, chunk,
					      (size_t)got)) {
				/* keep the tail: start over when full */
				cw_buf_clear(&r->errtail);
				cw_buf_add(&r->errtail, chunk,
					   (size_t)got < tail ? (size_t)got
							      : tail);
			}
		}
	}
}

/*
 * Reap the child. Unless both its pipes ended (it is exiting), it is
 * killed first; a child that closed them and lingers past the deadline
 * is killed then, so this never blocks for long.
 */
static void reap(struct cw_child_run *r, pid_t pid, bool kill_now,
		 long deadline)
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

int cw_child_run(struct cw_child_run *r, const char *path, char *const *argv,
		 char *const *envp, int in_fd, const struct cw_child_opts *o,
		 struct cw_err *err)
{
	int outfd = -1, errfd = -1;
	long deadline;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	cw_buf_init(&r->out, o->max_out);
	cw_buf_init(&r->errtail, o->err_tail);
	deadline = cw_time_mono_ms() + o->timeout_ms;
	if (spawn(&pid, path, argv, envp, in_fd, &outfd, &errfd)) {
		int e = errno;

		cw_err_set(err, CW_EIO, "cannot start '%s': %s", path,
			   strerror(e));
		errno = e;
		return CW_EIO;
	}
	if (o->cpu_s > 0) {
		struct rlimit cpu = { (rlim_t)o->cpu_s, (rlim_t)o->cpu_s + 1 };
		/* a child that already ended has nothing left to limit */
		prlimit(pid, RLIMIT_CPU, &cpu, NULL);
	}
	collect(r, &outfd, &errfd, deadline, o->err_tail, o->stop);
	reap(r, pid,
	     r->timed_out || r->toobig || r->stopped || outfd >= 0 ||
		     errfd >= 0,
	     deadline);
	close_fd(&outfd);
	close_fd(&errfd);
	return CW_OK;
}

void cw_child_run_release(struct cw_child_run *r)
{
	cw_buf_release(&r->out);
	cw_buf_release(&r->errtail);
}

static double cpu_seconds(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_stime.tv_sec +
	       ((double)ru->ru_utime.tv_usec + (double)ru->ru_stime.tv_usec) /
		       1e6;
}

bool cw_child_out_of_time(const struct cw_child_run *r, long cpu_s)
{
	/* the wall-clock deadline, or the CPU limit a little later */
	return r->timed_out || (WIFSIGNALED(r->status) &&
				(WTERMSIG(r->status) == SIGXCPU ||
				 (WTERMSIG(r->status) == SIGKILL && cpu_s > 0 &&
				  cpu_seconds(&r->ru) >= (double)cpu_s)));
}

bool cw_child_stopped(const struct cw_child_run *r)
{
	return WIFSIGNALED(r->status) &&
	       (WTERMSIG(r->status) == SIGTERM ||
		WTERMSIG(r->status) == SIGINT || WTERMSIG(r->status) == SIGHUP);
}

void cw_child_last_line(const struct cw_child_run *r, char *out, size_t n)
{
	const char *s = cw_buf_str(&r->errtail);
	size_t end = r->errtail.len, start;

	while (end && (s[end - 1] == '\n' || s[end - 1] == '\r'))
		end--;
	start = end;
	while (start && s[start - 1] != '\n')
		start--;
	snprintf(out, n, "%.*s", (int)(end - start), s + start);
}

void cw_child_status_str(const struct cw_child_run *r, char *out, size_t n)
{
	snprintf(out, n, "%s %d",
		 WIFEXITED(r->status) ? "exited with" : "died of signal",
		 WIFEXITED(r->status) ? WEXITSTATUS(r->status)
				      : WTERMSIG(r->status));
}
