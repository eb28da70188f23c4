/*
 * scheduler: when a document is due again (see monitor.h).
 */
#include <limits.h>

#include "monitor.h"

long cw_monitor_interval(const struct cw_monitor_config *c,
			 const struct cw_store_mon_doc *d)
{
	size_t ls = strlen(d->doc.service), lt = strlen(d->doc.type);

	for (size_t i = 0; i < c->doc_intervals.n; i++) {
		const char *e = c->doc_intervals.v[i];
		long v;

		if (!strncmp(e, d->doc.service, ls) && e[ls] == '/' &&
		    !strncmp(e + ls + 1, d->doc.type, lt) &&
		    e[ls + 1 + lt] == '=' &&
		    !cw_parse_long(e + ls + 2 + lt, 1, LONG_MAX, &v))
			return v;
	}
	if (d->mon.interval_s > 0)
		return (long)d->mon.interval_s;
	return c->interval_s;
}

time_t cw_monitor_next_due(const struct cw_monitor_config *c, long interval,
			   bool failing, time_t now, double u)
{
	double span;

	if (failing && c->failing_retry_s > 0 && c->failing_retry_s < interval)
		interval = c->failing_retry_s;
	/* jitter: uniform in [-j, +j] x interval */
	span = (double)interval * c->jitter * (2 * u - 1);
	if (span < -(double)interval / 2)
		span = -(double)interval / 2;
	return now + interval + (time_t)span;
}
