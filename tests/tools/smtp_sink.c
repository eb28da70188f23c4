/*
 * smtp_sink: a minimal SMTP server on 127.0.0.1 for the email tests.
 *
 *   smtp_sink --dir DIR [--port P]
 *
 * Prints its port and a newline on stdout when it listens (port 0, the
 * default, lets the kernel choose); runs until SIGTERM or SIGINT. Each
 * accepted message is written to DIR/msg-NNNNNN.eml (written to a
 * temporary name, then renamed, so a reader never sees half a message),
 * preceded by two lines giving the envelope:
 *   X-Sink-Mail-From: <a@b>
 *   X-Sink-Rcpt-To: <c@d>, <e@f>
 * Dot-stuffing is undone (RFC 5321 4.5.2). Supported: HELO, EHLO, MAIL,
 * RCPT, DATA, RSET, NOOP, QUIT; no TLS, no AUTH. Caps: a line is at most
 * 4096 bytes, a message 16 MiB, 100 recipients.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool.h"

#define LINE_MAX_BYTES 4096
#define MSG_MAX_BYTES (16u << 20)
#define RCPT_MAX 100

static const char *out_dir;
static atomic_long seq;

struct conn {
	int fd;
	char in[LINE_MAX_BYTES * 2];
	size_t have;
};

static bool say(struct conn *c, const char *line)
{
	size_t n = strlen(line), off = 0;

	while (off < n) {
		ssize_t w = send(c->fd, line + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		off += (size_t)w;
	}
	return true;
}

/*
 * Read one line without its CRLF into `out`. Returns its length, -1 on
 * EOF or error, -2 when the line is longer than the cap (it is skipped).
 */
static long read_line(struct conn *c, char *out, size_t outn)
{
	for (;;) {
		char *nl = memchr(c->in, '\n', c->have);

		if (nl) {
			size_t n = (size_t)(nl - c->in), keep = n;
			long ret;

			if (keep > 0 && c->in[keep - 1] == '\r')
				keep--;
			if (keep >= outn) {
				ret = -2;
			} else {
				memcpy(out, c->in, keep);
				out[keep] = '\0';
				ret = (long)keep;
			}
			memmove(c->in, nl + 1, c->have - n - 1);
			c->have -= n + 1;
			return ret;
		}
		if (c->have == sizeof(c->in))
			c->have = 0; /* an overlong line: drop what we have */
		ssize_t r = recv(c->fd, c->in + c->have,
				 sizeof(c->in) - c->have, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c->have += (size_t)r;
	}
}

static bool save(const struct cw_buf *env, const struct cw_buf *msg)
{
	long n = atomic_fetch_add(&seq, 1) + 1;
	char path[4096], tmp[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/msg-%06ld.eml", out_dir, n);
	snprintf(tmp, sizeof(tmp), "%s/.msg-%06ld.tmp", out_dir, n);
	f = fopen(tmp, "wb");
	if (!f)
		return false;
	fwrite(env->ptr, 1, env->len, f);
	fwrite(msg->ptr, 1, msg->len, f);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		remove(tmp);
		return false;
	}
	return true;
}

static bool starts_ci(const char *s, const char *word)
{
	return cw_strncasecmp_ascii(s, word, strlen(word)) == 0;
}

static void *serve(void *arg)
{
	struct conn *c = arg;
	char line[LINE_MAX_BYTES];
	struct cw_buf from = CW_BUF_INIT, rcpt = CW_BUF_INIT;
	int nrcpt = 0;
	long n;

	say(c, "220 clausewatch-sink ESMTP ready\r\n");
	while ((n = read_line(c, line, sizeof(line))) != -1) {
		if (n == -2) {
			say(c, "500 line too long\r\n");
		} else if (starts_ci(line, "EHLO")) {
			say(c, "250-clausewatch-sink\r\n250-8BITMIME\r\n"
			       "250-SIZE 16777216\r\n250 OK\r\n");
		} else if (starts_ci(line, "HELO")) {
			say(c, "250 clausewatch-sink\r\n");
		} else if (starts_ci(line, "MAIL FROM:")) {
			cw_buf_clear(&from);
			cw_buf_clear(&rcpt);
			nrcpt = 0;
			/* the path only, not ESMTP parameters (SIZE=...) */
			cw_buf_add(&from, line + 10,
				   strcspn(line + 10, ">") +
					   (strchr(line + 10, '>') ? 1 : 0));
			say(c, "250 OK\r\n");
		} else if (starts_ci(line, "RCPT TO:")) {
			if (!from.len) {
				say(c, "503 MAIL first\r\n");
			} else if (nrcpt >= RCPT_MAX) {
				say(c, "452 too many recipients\r\n");
			} else {
				cw_buf_addf(
					&rcpt, "%s%.*s", nrcpt ? ", " : "",
					(int)(strcspn(line + 8, ">") +
					      (strchr(line + 8, '>') ? 1 : 0)),
					line + 8);
				nrcpt++;
				say(c, "250 OK\r\n");
			}
		} else if (starts_ci(line, "DATA")) {
			struct cw_buf msg = CW_BUF_INIT, env = CW_BUF_INIT;
			bool toobig = false, done = false;

			if (!nrcpt) {
				say(c, "503 RCPT first\r\n");
				continue;
			}
			cw_buf_init(&msg, MSG_MAX_BYTES);
			say(c, "354 end with <CRLF>.<CRLF>\r\n");
			while ((n = read_line(c, line, sizeof(line))) != -1) {
				const char *l = line;

				if (n == -2) {
					toobig = true;
					continue;
				}
				if (strcmp(line, ".") == 0) {
					done = true;
					break;
				}
				if (line[0] == '.')
					l++; /* undo dot-stuffing */
				if (cw_buf_adds(&msg, l) ||
				    cw_buf_adds(&msg, "\r\n"))
					toobig = true;
			}
			if (!done) {
				cw_buf_release(&msg);
				break;
			}
			cw_buf_addf(&env,
				    "X-Sink-Mail-From: %s\r\nX-Sink-Rcpt-To: "
				    "%s\r\n",
				    cw_buf_str(&from), cw_buf_str(&rcpt));
			if (toobig)
				say(c, "552 message too big\r\n");
			else if (!save(&env, &msg))
				say(c, "451 cannot store the message\r\n");
			else
				say(c, "250 OK: stored\r\n");
			cw_buf_release(&msg);
			cw_buf_release(&env);
			cw_buf_clear(&from);
			cw_buf_clear(&rcpt);
			nrcpt = 0;
		} else if (starts_ci(line, "RSET")) {
			cw_buf_clear(&from);
			cw_buf_clear(&rcpt);
			nrcpt = 0;
			say(c, "250 OK\r\n");
		} else if (starts_ci(line, "NOOP")) {
			say(c, "250 OK\r\n");
		} else if (starts_ci(line, "QUIT")) {
			say(c, "221 bye\r\n");
			break;
		} else {
			say(c, "502 command not implemented\r\n");
		}
	}
	cw_buf_release(&from);
	cw_buf_release(&rcpt);
	close(c->fd);
	free(c);
	return NULL;
}

int main(int argc, char **argv)
{
	static const char usage[] = "smtp_sink --dir DIR [--port P]";
	long port = 0;
	const struct tool_opt opts[] = {
		{ "dir", .text = &out_dir },
		{ "port", .num = &port, .max = 65535 },
		{ NULL },
	};
	struct cw_err e = CW_ERR_INIT;
	unsigned bound;
	int lfd;

	tool_parse(argc, argv, opts, "smtp_sink", usage);
	if (!out_dir) {
		fprintf(stderr, "usage: %s\n", usage);
		return 2;
	}
	if (cw_mkdir_p(out_dir, &e)) {
		fprintf(stderr, "smtp_sink: %s\n", e.msg);
		return 1;
	}
	tool_signals(NULL); /* accept() returns EINTR on SIGTERM */
	lfd = tool_listen(port, &bound);
	if (lfd < 0) {
		fprintf(stderr,
			"smtp_sink: cannot listen on 127.0.0.1:%ld: %s\n", port,
			strerror(errno));
		return 1;
	}
	tool_print_port(bound);
	while (!tool_quit) {
		struct pollfd p = { .fd = lfd, .events = POLLIN };
		pthread_t t;
		struct conn *c;
		int fd;

		if (poll(&p, 1, 200) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		c = cw_calloc(1, sizeof(*c));
		c->fd = fd;
		if (pthread_create(&t, NULL, serve, c) != 0) {
			close(fd);
			free(c);
			continue;
		}
		pthread_detach(t);
	}
	close(lfd);
	return 0;
}
