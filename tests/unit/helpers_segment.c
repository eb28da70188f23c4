/*
 * helpers_segment: the helpers of helpers.h that need the segment module,
 * linked only into the test executables that link it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "helpers.h"
#include "segment/segment.h"

bool cw_test_read_segmented(struct cw_buf *text, struct cw_segmentation **seg,
			    const char *rel)
{
	struct cw_err err = CW_ERR_INIT;

	cw_buf_init(text, 0);
	*seg = NULL;
	if (!cw_test_read_shared(text, rel))
		return false;
	assert_int_equal(cw_segment_text(seg, text->ptr, text->len, NULL, &err),
			 CW_OK);
	return true;
}
