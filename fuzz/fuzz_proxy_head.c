/*
 * Fuzz the browser proxy's request head parser (fetch/browser.c,
 * cw_fetch_proxy_head_parse): the bytes a page's scripts make the browser
 * send, CONNECT or plain requests, through the head's blank line. Checks
 * what the proxy relies on before it connects anywhere: a host and a port
 * 1..65535; a tunnel has no body and no rewritten head; a plain request's
 * rewritten head starts with its method and ends with the blank line.
 */
#include <stdlib.h>
#include <string.h>

#include "../src/fetch/fetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_fetch_proxy_head ph;
	char *head, *eoh;
	long port;

	if (size > 64u << 10)
		return 0;
	head = cw_strndup((const char *)data, size);
	eoh = strstr(head, "\r\n\r\n");
	if (!eoh) {
		free(head);
		return 0;
	}
	eoh[4] = '\0';
	if (cw_fetch_proxy_head_parse(&ph, head, (size_t)(eoh + 4 - head)) ==
	    CW_OK) {
		if (!ph.host[0] || cw_parse_long(ph.port, 1, 65535, &port))
			abort();
		if (ph.connect && (ph.fwd || ph.body_left != -1))
			abort();
		if (!ph.connect &&
		    (!ph.fwd || ph.body_left < 0 ||
		     strncmp(ph.fwd, ph.method, strlen(ph.method)) ||
		     strlen(ph.fwd) < 4 ||
		     strcmp(ph.fwd + strlen(ph.fwd) - 4, "\r\n\r\n")))
			abort();
	} else if (ph.fwd || !ph.status || !ph.why[0]) {
		abort();
	}
	free(ph.fwd);
	free(head);
	return 0;
}
