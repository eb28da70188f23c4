/*
 * email: alerts as multipart/alternative messages over SMTP with libcurl
 * (see notify.h).
 */
#include <unistd.h>

#include "notify_int.h"

/* A header value on one line: CR and LF become spaces (no injection). */
static void add_header_value(struct cw_buf *out, const char *v)
{
	for (; *v; v++)
		cw_buf_addc(out, *v == '\r' || *v == '\n' ? ' ' : *v);
}

static bool is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* RFC 2047 "B" encoding of a UTF-8 subject, in words of <= 45 bytes of
 * input so each encoded word stays under the 75-character limit. */
static void add_subject(struct cw_buf *out, const char *s)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqr"
				  "stuvwxyz0123456789+/";
	size_t n = strlen(s), i = 0;

	if (is_ascii(s)) {
		/* folded at blanks so lines stay within 78 characters
		 * (RFC 5322 2.1.1, 2.2.3); "Subject: " takes the first 9 */
		size_t col = 9;

		while (*s) {
			size_t w = strcspn(s + 1, " ") + 1;

			if (col + w > 76 && col > 9 && *s == ' ') {
				cw_buf_adds(out, "\r\n");
				col = 0;
			}
			for (size_t k = 0; k < w; k++)
				cw_buf_addc(out, s[k] == '\r' || s[k] == '\n'
							 ? ' '
							 : s[k]);
			col += w;
			s += w;
		}
		return;
	}
	while (i < n) {
		size_t end = i + 45 < n ? i + 45 : n;

		/* do not cut a UTF-8 sequence */
		if (end < n)
			end = cw_utf8_floor(s, i, end);
		cw_buf_adds(out, i ? "\r\n =?UTF-8?B?" : "=?UTF-8?B?");
		for (size_t k = i; k < end; k += 3) {
			unsigned v = (unsigned char)s[k] << 16;
			size_t left = end - k;

			if (left > 1)
				v |= (unsigned char)s[k + 1] << 8;
			if (left > 2)
				v |= (unsigned char)s[k + 2];
			cw_buf_addc(out, b64[(v >> 18) & 63]);
			cw_buf_addc(out, b64[(v >> 12) & 63]);
			cw_buf_addc(out, left > 1 ? b64[(v >> 6) & 63] : '=');
			cw_buf_addc(out, left > 2 ? b64[v & 63] : '=');
		}
		cw_buf_adds(out, "?=");
		i = end;
	}
}

/*
 * A body part in quoted-printable (RFC 2045 6.7): lines stay under 76
 * characters whatever the text, so long provisions survive SMTP's line
 * limit, and the dot-stuffing of the transport never meets a bare dot.
 */
static void add_qp(struct cw_buf *out, const char *s)
{
	size_t col = 0;

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char enc[4];
		size_t w;

		if (ch == '\n') {
			cw_buf_adds(out, "\r\n");
			col = 0;
			continue;
		}
		if (ch == '\r')
			continue;
		if ((ch >= 33 && ch <= 126 && ch != '=' &&
		     !(ch == '.' && col == 0)) ||
		    (ch == ' ' && s[1] != '\n' && s[1] != '\0')) {
			enc[0] = (char)ch;
			enc[1] = '\0';
			w = 1;
		} else {
			snprintf(enc, sizeof(enc), "=%02X", ch);
			w = 3;
		}
		if (col + w > 75) {
			cw_buf_adds(out, "=\r\n");
			col = 0;
		}
		cw_buf_adds(out, enc);
		col += w;
	}
	cw_buf_adds(out, "\r\n");
}

void cw_notify_email_build(struct cw_buf *out, const char *from, const char *to,
			   const char *subject, const char *idem_key,
			   const char *text, const char *html)
{
	char date[64], boundary[80], host[64] = "localhost";
	time_t now = time(NULL);
	struct tm tm;
	char hex[CW_SHA256_HEX];

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	/* a boundary that cannot occur in a QP body: it has '=_' */
	cw_sha256_hex(idem_key, strlen(idem_key), hex);
	snprintf(boundary, sizeof(boundary), "=_cw_%.32s", hex);
	if (from && strchr(from, '@'))
		snprintf(host, sizeof(host), "%s", strchr(from, '@') + 1);
	cw_buf_adds(out, "From: ");
	add_header_value(out, from);
	cw_buf_adds(out, "\r\nTo: ");
	add_header_value(out, to);
	cw_buf_adds(out, "\r\nSubject: ");
	add_subject(out, subject);
	cw_buf_addf(out, "\r\nDate: %s\r\nMessage-ID: <", date);
	add_header_value(out, idem_key);
	cw_buf_adds(out, "@");
	add_header_value(out, host);
	cw_buf_adds(out, ">\r\nX-Clausewatch-Idempotency-Key: ");
	add_header_value(out, idem_key);
	cw_buf_addf(out,
		    "\r\nMIME-Version: 1.0\r\n"
		    "Content-Type: multipart/alternative;\r\n "
		    "boundary=\"%s\"\r\n"
		    "\r\n--%s\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		    boundary, boundary);
	add_qp(out, text);
	cw_buf_addf(out,
		    "--%s\r\n"
		    "Content-Type: text/html; charset=utf-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		    boundary);
	add_qp(out, html);
	cw_buf_addf(out, "--%s--\r\n", boundary);
}

/* libcurl reads the message from the transfer, a piece at a time. */
static size_t read_msg(char *buf, size_t size, size_t n, void *ud)
{
	struct notify_xfer *x = ud;
	size_t left = x->len - x->off;
	size_t k = size * n < left ? size * n : left;

	memcpy(buf, x->body + x->off, k);
	x->off += k;
	return k;
}

/* "Name <a@b>" -> "<a@b>"; "a@b" -> "<a@b>" */
static char *angle_addr(const char *a)
{
	const char *lt = strchr(a, '<');

	if (lt)
		return cw_strdup(lt);
	return cw_asprintf("<%s>", a);
}

int cw_notify_email_setup(struct notify_xfer *x, const struct cw_notify_opts *o,
			  const char *to, char *msg, size_t len,
			  struct cw_err *err)
{
	CURL *c;

	x->body = msg;
	x->len = len;
	x->off = 0;
	if (!o->smtp_url || !*o->smtp_url)
		return cw_err_set(err, CW_EINVAL,
				  "email to '%s': no SMTP server "
				  "configured (smtp_url, --smtp-url)",
				  to);
	c = x->h = curl_easy_init();
	if (!c)
		return cw_err_set(err, CW_ERROR, "email: curl init failed");
	x->from = angle_addr(o->smtp_from ? o->smtp_from
					  : "clausewatch@localhost");
	x->rcpt = angle_addr(to);
	x->list = curl_slist_append(x->list, x->rcpt);
	curl_easy_setopt(c, CURLOPT_URL, o->smtp_url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, x->from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, x->list);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_msg);
	curl_easy_setopt(c, CURLOPT_READDATA, x);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
			 o->timeout_ms > 0 ? o->timeout_ms : 15000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->ebuf);
	if (o->smtp_user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, o->smtp_user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
				 o->smtp_password ? o->smtp_password : "");
		/* credentials only over TLS (smtps:// or STARTTLS) */
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	}
	return CW_OK;
}

int cw_notify_email_result(struct notify_xfer *x,
			   const struct cw_notify_opts *o, const char *to,
			   int cc, struct cw_err *err)
{
	if (cc == CURLE_OPERATION_TIMEDOUT)
		return cw_err_set(err, CW_ETIMEOUT,
				  "email to '%s' via '%s': timed out", to,
				  o->smtp_url);
	if (cc != CURLE_OK)
		return cw_err_set(err, CW_ENET, "email to '%s' via '%s': %s",
				  to, o->smtp_url,
				  x->ebuf[0]
					  ? x->ebuf
					  : curl_easy_strerror((CURLcode)cc));
	return CW_OK;
}
