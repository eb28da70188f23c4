/*
 * tool: what the test tools of tests/tools share. Each is a small program
 * that a test starts, that listens on 127.0.0.1 only (port 0 lets the
 * kernel choose), prints its port and a newline on stdout, and runs until
 * SIGTERM or SIGINT; fetch_bench is their client.
 *
 * Options are described by a table and parsed by tool_parse(); the stop
 * flag, the sleep that it cuts short and the loopback address are here so
 * that every tool stops and listens the same way. Set-up is
 * single-threaded; tool_quit may be read from any thread.
 */
#ifndef CW_TESTS_TOOL_H
#define CW_TESTS_TOOL_H

#include <netinet/in.h>
#include <stdatomic.h>

#include "util/util.h"

/*
 * One option "--name VALUE". Exactly one of the targets is set, and says
 * what VALUE is:
 *   text      the argument as given (borrowed from argv)
 *   num       a whole number from 0 to `max` (100,000,000 when 0)
 *   fraction  a number from 0 to 1
 *   each      called with the argument at each occurrence, in order
 * A table ends with an entry whose name is NULL.
 */
struct tool_opt {
	const char *name;
	const char **text;
	long *num;
	long max;
	double *fraction;
	void (*each)(const char *arg);
};

/*
 * Parse argv by `opts`. A value that does not parse ends the program with
 * status 2 and a message naming `prog` and the option; an unknown option
 * prints "usage: `usage`" and ends it the same way.
 * Returns the index of the first argument that is not an option.
 */
int tool_parse(int argc, char **argv, const struct tool_opt *opts,
	       const char *prog, const char *usage);

/* Set once SIGTERM or SIGINT has arrived. */
extern atomic_int tool_quit;

/*
 * Route SIGTERM and SIGINT to tool_quit (without SA_RESTART, so that a
 * blocking call returns EINTR), ignore SIGPIPE, and give SIGUSR1 to
 * `on_usr1` unless it is NULL.
 */
void tool_signals(void (*on_usr1)(int sig));

/* Sleep `ms` milliseconds, less once tool_quit is set. */
void tool_sleep_ms(long ms);

/* Sleep until tool_quit is set. */
void tool_wait_quit(void);

/* 127.0.0.1:`port` */
struct sockaddr_in tool_loopback(long port);

/* Print the port the tool listens on, and a newline, to stdout. */
void tool_print_port(unsigned port);

/*
 * A TCP socket listening on 127.0.0.1:`port`, its port in *bound.
 * Returns the socket, or -1 with errno set.
 */
int tool_listen(long port, unsigned *bound);

#endif
