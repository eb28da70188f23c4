#ifndef CW_VIEW_INT_H
#define CW_VIEW_INT_H
/* view: what the read side's own files share (not for other modules). */
#include "../diff/record.h"
#include "view.h"

/*
 * Follow provision `key` back through the changes `cs[0..n)` of one
 * document (oldest first, as the store lists them), from the newest
 * change recorded up to version `upto_seq` (<= 0: every change): an entry
 * whose new key is the provision's key is an event of it, reported to
 * `fn` with the key the provision had then; a renumbering or move hands
 * the walk to the old key; an addition ends it. A record that does not
 * decode has no event.
 */
typedef void (*view_event_fn)(const struct cw_store_change *c,
			      const struct cw_change_record *r,
			      const struct cw_change_entry *e, const char *key,
			      size_t index, void *arg);
void view_follow_provision(const struct cw_store_change *cs, size_t n,
			   const char *key, int64_t upto_seq, view_event_fn fn,
			   void *arg);

#endif
