#ifndef CW_UTIL_CHILD_H
#define CW_UTIL_CHILD_H
/*
 * util/child: run a program in a process of its own, its standard input a
 * file, its standard output read back within a cap and a wall-clock
 * deadline, the tail of its standard error kept for messages. For the
 * work we do not trust to stay within bounds in our own process (a PDF's
 * text, a declaration's JavaScript filters).
 *
 * Why posix_spawn rather than fork: the monitor has threads. After fork()
 * in a threaded process only async-signal-safe calls are defined until
 * exec, and a lock held by another thread at the moment of the fork would
 * stay held in the child for ever; the child would also inherit the
 * parent's whole address space, which an address-space limit would then
 * count. posix_spawn (vfork-like in glibc) is safe with threads.
 *
 * The child starts with no signal blocked and the default actions for
 * SIGPIPE, SIGXCPU, SIGINT, SIGTERM and SIGHUP (the caller's thread may
 * block or ignore them), and with the descriptors the caller marked
 * close-on-exec closed: every descriptor made here is.
 *
 * Thread safety: each call is independent; safe from several threads.
 */
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "util.h"

struct cw_child_opts {
	long timeout_ms; /* wall clock from the start; killed past it */
	/*
	 * CPU seconds, set on the child with prlimit() once it runs (SIGXCPU
	 * at cpu_s, SIGKILL a second later); 0: none (a child that limits
	 * itself). The few instructions before prlimit lands are within
	 * the wall-clock deadline anyway.
	 */
	long cpu_s;
	size_t max_out;	 /* standard output kept; past it: toobig */
	size_t err_tail; /* bytes of the end of standard error kept */
	/* optional: when it becomes non-zero (a signal handler's flag: the
	 * program is stopping) the child is killed within 200 ms and the
	 * run ends with `stopped` set */
	volatile sig_atomic_t *stop;
};

/* What the child left behind. */
struct cw_child_run {
	struct cw_buf out;	/* its standard output, at most max_out */
	struct cw_buf errtail;	/* the end of its standard error */
	bool timed_out, toobig; /* stopped by us */
	bool stopped;		/* killed because o->stop was set */
	int status;		/* from wait4 */
	struct rusage ru;
};

/*
 * Run `path` (a path, or a command name looked up in PATH when it holds
 * no '/') with `argv` and `envp` (NULL: this process's environment),
 * `in_fd` as its standard input (the caller keeps it and closes it), and
 * wait for it: until both its output pipes end, or the deadline, or
 * max_out. A child still running then is killed (SIGKILL) and reaped.
 *
 * r    [out] initialised here; release with cw_child_run_release(), also
 *      on failure
 * Returns CW_OK when the child ran (whatever its status: read r), or
 * CW_EIO when it could not be started (errno kept, the message names
 * `path`).
 */
int cw_child_run(struct cw_child_run *r, const char *path, char *const *argv,
		 char *const *envp, int in_fd, const struct cw_child_opts *o,
		 struct cw_err *err);
void cw_child_run_release(struct cw_child_run *r);

/* An anonymous file (memfd, close-on-exec, above the standard
 * descriptors) holding `data`, positioned at its start; -1 on failure,
 * errno set. */
int cw_child_memfd(const char *name, const char *data, size_t len);

/* Did the child end of SIGXCPU, or of SIGKILL after using its CPU
 * seconds (`cpu_s` > 0), or was it stopped at the deadline? */
bool cw_child_out_of_time(const struct cw_child_run *r, long cpu_s);

/* Was the child told to stop as part of its group (SIGTERM, SIGINT,
 * SIGHUP: Ctrl-C, systemd's stop), which is no fault of its input? */
bool cw_child_stopped(const struct cw_child_run *r);

/* The last non-empty line of the child's standard error into `out`
 * (`n` bytes), or "". */
void cw_child_last_line(const struct cw_child_run *r, char *out, size_t n);

/* "exited with 3" or "died of signal 9", for messages. */
void cw_child_status_str(const struct cw_child_run *r, char *out, size_t n);

/* Write all of `p` to `fd`, retrying on EINTR; 0 or -1 (errno). */
int cw_write_all(int fd, const char *p, size_t n);

#endif
