/*
 * tool_http: the libmicrohttpd side of the test tools (see tool.h): one
 * way to start a server on loopback and to answer with a short text.
 */
#ifndef CW_TESTS_TOOL_HTTP_H
#define CW_TESTS_TOOL_HTTP_H

#include <microhttpd.h>

#include "tool.h"

/*
 * Start a thread-per-connection server on 127.0.0.1:`port` that hands each
 * request to `on_request`, with the options `more` (an array ended by
 * MHD_OPTION_END, as for MHD_OPTION_ARRAY), and print its port. When it
 * cannot listen, ends the program with status 1 and a message naming
 * `prog`. Stop it with MHD_stop_daemon().
 */
struct MHD_Daemon *tool_http_start(const char *prog, long port,
				   MHD_AccessHandlerCallback on_request,
				   struct MHD_OptionItem *more);

/*
 * Queue `status` with `body` (copied) and, unless `ctype` is NULL, that
 * Content-Type.
 */
enum MHD_Result tool_http_text(struct MHD_Connection *c, unsigned status,
			       const char *ctype, const char *body);

#endif
