/*
 * SSRF guard: which addresses a fetch may connect to.
 *
 * The check runs on the address curl is about to connect to, after DNS
 * resolution, through CURLOPT_OPENSOCKETFUNCTION: a host name that resolves
 * to a private address is refused whatever it is called, and so is every
 * hop of a redirect chain (each new connection goes through the callback).
 * Checking the URL's host name before the transfer would miss both DNS
 * rebinding and redirects to internal hosts.
 *
 * Ranges: RFC 6890 (special-purpose registries), RFC 6598 (CGNAT),
 * RFC 4193 (unique local IPv6), RFC 4291 (link-local, multicast, mapped),
 * RFC 6052 (NAT64 well-known prefix), RFC 3056 (6to4).
 */
#include "fetch.h"
#include "fetch_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

/* What kind of address it is, or NULL for a public one. */
static const char *classify_v4(uint32_t a, bool *metadata)
{
	*metadata = false;
	if (a == 0xA9FEA9FEu) { /* 169.254.169.254: cloud metadata */
		*metadata = true;
		return "a cloud metadata address";
	}
	if ((a >> 24) == 0)
		return "in 0.0.0.0/8 (this network)";
	if ((a >> 24) == 10)
		return "private (10.0.0.0/8)";
	if ((a & 0xFFC00000u) == 0x64400000u)
		return "shared CGNAT space (100.64.0.0/10)";
	if ((a >> 24) == 127)
		return "loopback";
	if ((a & 0xFFFF0000u) == 0xA9FE0000u)
		return "link-local (169.254.0.0/16)";
	if ((a & 0xFFF00000u) == 0xAC100000u)
		return "private (172.16.0.0/12)";
	if ((a & 0xFFFFFF00u) == 0xC0000000u)
		return "IETF protocol assignments (192.0.0.0/24)";
	if ((a & 0xFFFF0000u) == 0xC0A80000u)
		return "private (192.168.0.0/16)";
	if ((a & 0xFFFE0000u) == 0xC6120000u)
		return "benchmarking space (198.18.0.0/15)";
	if ((a & 0xF0000000u) == 0xE0000000u)
		return "multicast (224.0.0.0/4)";
	if ((a & 0xF0000000u) == 0xF0000000u)
		return "reserved (240.0.0.0/4) or broadcast";
	return NULL;
}

static uint32_t v4_at(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static const char *classify_v6(const unsigned char *b, bool *metadata)
{
	/* fd00:ec2::254, the AWS IMDS IPv6 endpoint */
	static const unsigned char ec2[16] = { 0xfd, 0x00, 0x0e, 0xc2, 0, 0,
					       0,    0,	   0,	 0,    0, 0,
					       0,    0,	   0x02, 0x54 };
	static const unsigned char zero12[12] = { 0 };
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0,    0,
						  0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0,
						 0, 0,	  0,	0,    0, 0 };

	*metadata = false;
	if (memcmp(b, ec2, 16) == 0) {
		*metadata = true;
		return "a cloud metadata address";
	}
	/* IPv4 inside IPv6: judge the embedded address */
	if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0) {
		const char *why = classify_v4(v4_at(b + 12), metadata);
		return why ? why : NULL;
	}
	if (b[0] == 0x20 && b[1] == 0x02) { /* 6to4 2002:V4ADDR::/48 */
		const char *why = classify_v4(v4_at(b + 2), metadata);
		if (why)
			return why;
	}
	if (memcmp(b, zero12, 12) == 0) {
		/* ::, ::1 and the deprecated IPv4-compatible ::/96 */
		if (b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] <= 1)
			return b[15] ? "loopback" : "unspecified (::)";
		return "IPv4-compatible (::/96, deprecated)";
	}
	if ((b[0] & 0xfe) == 0xfc)
		return "unique local (fc00::/7)";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return "link-local (fe80::/10)";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
		return "site-local (fec0::/10, deprecated)";
	if (b[0] == 0xff)
		return "multicast (ff00::/8)";
	return NULL;
}

int cw_fetch_check_addr(const struct sockaddr *sa, size_t salen,
			bool allow_private, struct cw_err *err)
{
	char text[INET6_ADDRSTRLEN] = "?";
	const char *why = NULL;
	bool metadata = false;

	if (!sa)
		return cw_err_set(err, CW_EINVAL, "no address to check");
	if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		why = classify_v4(ntohl(in->sin_addr.s_addr), &metadata);
		inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
	} else if (sa->sa_family == AF_INET6 &&
		   salen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)sa;
		why = classify_v6(in6->sin6_addr.s6_addr, &metadata);
		inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
	} else {
		/* Unix sockets and anything else: never reachable from a URL */
		return cw_err_set(err, CW_EBLOCKED,
				  "address family %d is not allowed",
				  (int)sa->sa_family);
	}
	if (!why)
		return CW_OK;
	/*
	 * Metadata endpoints stay refused even with allow_private: no legal
	 * document lives there, and they hand out cloud credentials.
	 */
	if (metadata)
		return cw_err_set(err, CW_EBLOCKED,
				  "refused to connect to '%s': %s", text, why);
	if (allow_private)
		return CW_OK;
	return cw_err_set(err, CW_EBLOCKED,
			  "refused to connect to '%s': the address is %s "
			  "(allow the private network to fetch it)",
			  text, why);
}

static curl_socket_t open_socket(void *clientp, curlsocktype purpose,
				 struct curl_sockaddr *a)
{
	struct cw_fetch_guard *g = clientp;
	struct cw_err e = CW_ERR_INIT;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    cw_fetch_check_addr(&a->addr, a->addrlen, g->allow_private, &e)) {
		if (!e.rc)
			cw_err_set(&e, CW_EBLOCKED, "socket kind %d refused",
				   (int)purpose);
		snprintf(g->refused, sizeof(g->refused), "%s", e.msg);
		return CURL_SOCKET_BAD;
	}
	/* close-on-exec: the browser fetcher forks */
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

int cw_fetch_guard_install(void *curl_easy, struct cw_fetch_guard *guard,
			   struct cw_err *err)
{
	CURL *h = curl_easy;
	CURLcode c;

	guard->refused[0] = '\0';
	c = curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	if (!c)
		c = curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, guard);
	/* only web protocols, on the first request and on every redirect */
	if (!c)
		c = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (!c)
		c = curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
				     "http,https");
	if (c)
		return cw_err_set(err, CW_ERROR,
				  "cannot install the address guard: %s",
				  curl_easy_strerror(c));
	return CW_OK;
}
