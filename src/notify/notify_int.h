#ifndef CW_NOTIFY_INT_H
#define CW_NOTIFY_INT_H
/*
 * notify_int: what the files of notify share and no other module sees
 * (SQLite's btree.h / btreeInt.h), and their tests.
 */
#include "notify.h"

/* ---- the outbox (outbox.c) ---- */

/*
 * The delay in seconds before attempt `attempts` + 1 of a row that failed
 * `attempts` times: o->backoff_s doubled at each attempt up to
 * o->backoff_max_s, drawn from its upper half; never less than 1 s.
 */
long cw_notify_backoff(const struct cw_notify_opts *o, int64_t attempts);

#endif
