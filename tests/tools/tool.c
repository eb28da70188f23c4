/*
 * tool: the option parser, stop flag and loopback helpers of the test
 * tools (see tool.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define NUM_MAX 100000000L

atomic_int tool_quit;

static void set_value(const struct tool_opt *o, const char *arg,
		      const char *prog)
{
	if (o->text) {
		*o->text = arg;
	} else if (o->num) {
		if (cw_parse_long(arg, 0, o->max ? o->max : NUM_MAX, o->num)) {
			fprintf(stderr, "%s: --%s: '%s' is not a number\n",
				prog, o->name, arg);
			exit(2);
		}
	} else if (o->fraction) {
		char *end;
		double v = strtod(arg, &end);

		if (*arg == '\0' || *end || !(v >= 0 && v <= 1)) {
			fprintf(stderr, "%s: --%s: '%s' is not in [0, 1]\n",
				prog, o->name, arg);
			exit(2);
		}
		*o->fraction = v;
	} else {
		o->each(arg);
	}
}

int tool_parse(int argc, char **argv, const struct tool_opt *opts,
	       const char *prog, const char *usage)
{
	struct option *longopts;
	size_t n = 0;
	int opt;

	while (opts[n].name)
		n++;
	longopts = cw_calloc(n + 1, sizeof(*longopts));
	for (size_t i = 0; i < n; i++) {
		longopts[i].name = opts[i].name;
		longopts[i].has_arg = required_argument;
		longopts[i].val = (int)i + 1;
	}
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt < 1 || (size_t)opt > n) {
			fprintf(stderr, "usage: %s\n", usage);
			exit(2);
		}
		set_value(&opts[opt - 1], optarg, prog);
	}
	free(longopts);
	return optind;
}

static void on_stop(int sig)
{
	(void)sig;
	tool_quit = 1;
}

void tool_signals(void (*on_usr1)(int sig))
{
	struct sigaction act;

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_stop;
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	if (on_usr1) {
		act.sa_handler = on_usr1;
		sigaction(SIGUSR1, &act, NULL);
	}
	signal(SIGPIPE, SIG_IGN);
}

void tool_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !tool_quit)
		;
}

void tool_wait_quit(void)
{
	while (!tool_quit)
		tool_sleep_ms(100);
}

struct sockaddr_in tool_loopback(long port)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

void tool_print_port(unsigned port)
{
	printf("%u\n", port);
	fflush(stdout);
}

int tool_listen(long port, unsigned *bound)
{
	struct sockaddr_in sa = tool_loopback(port);
	socklen_t len = sizeof(sa);
	int fd, one = 1, saved;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	*bound = ntohs(sa.sin_port);
	return fd;
}
