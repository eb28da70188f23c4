/*
 * tool_http: starting a test tool's HTTP server and short answers (see
 * tool_http.h).
 */
#include "tool_http.h"

struct MHD_Daemon *tool_http_start(const char *prog, long port,
				   MHD_AccessHandlerCallback on_request,
				   struct MHD_OptionItem *more)
{
	struct sockaddr_in sa = tool_loopback(port);
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;

	d = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
		0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&sa, MHD_OPTION_ARRAY, more, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "%s: cannot listen on 127.0.0.1:%ld\n", prog,
			port);
		exit(1);
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	tool_print_port(info ? (unsigned)info->port : (unsigned)port);
	return d;
}

enum MHD_Result tool_http_text(struct MHD_Connection *c, unsigned status,
			       const char *ctype, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (ctype)
		MHD_add_response_header(r, "Content-Type", ctype);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}
