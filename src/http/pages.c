#include "http_int.h"

bool pages_route(struct http_req *r)
{
	(void)r;
	return false;
}
