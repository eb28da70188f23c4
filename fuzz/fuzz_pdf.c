/*
 * Fuzz PDF extraction (extract/pdf.c and the helper's answer in
 * extract/pdf_child.c). The input is a PDF, extracted in this process
 * through cw_extract_document() as any page (the helper process would be
 * this harness run again, and its coverage would not count), with a small
 * output cap so that long texts hit it; then the same bytes are read as
 * an answer of the helper, the reader of what comes back through its pipe.
 *
 * Inputs are cut at INPUT_MAX bytes: poppler's text extraction costs the
 * square of the characters drawn at one place, and a deflated content
 * stream multiplies them by up to a thousand, so a larger input can take
 * minutes in poppler (the reason for the helper's limits) and stop the
 * fuzzer on a timeout that is not ours. Measured: the slowest shape we
 * know (tests/tools/make_pdf.py --overlap) takes about 2 s at 4 KiB and
 * 23 to 26 s at 8 KiB. The seeds (fuzz/corpus/pdf/) are made by make_pdf.py.
 *
 * Checked: a text is valid UTF-8, ends in one newline, within the cap; a
 * failure leaves no partial text and names the input; the return codes
 * are those extract.h documents for a PDF.
 */
#include "../src/extract/extract_int.h"
#include "fuzz_extract.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INPUT_MAX 4096
#define OUTPUT_MAX (16u << 10)

static void check_pdf(const char *data, size_t size)
{
	struct cw_extract_opts o = CW_EXTRACT_OPTS_INIT;
	struct cw_extract_input in = { .data = data,
				       .len = size,
				       .name = "fuzz.pdf",
				       .kind = CW_EXTRACT_PDF };
	struct cw_buf out = CW_BUF_INIT;
	struct cw_err err = CW_ERR_INIT;
	int rc;

	o.max_output = OUTPUT_MAX;
	o.pdf_in_process = cw_extract_pdf_reader;
	rc = cw_extract_document(&out, &in, 1, NULL, NULL, &o, &err);
	if (rc == CW_OK) {
		if (!fuzz_text_ok(&out, o.max_output))
			abort();
	} else {
		if (out.len || !strstr(err.msg, "'fuzz.pdf': "))
			abort();
		if (rc != CW_EEMPTY && rc != CW_ETOOBIG && rc != CW_EPARSE)
			abort();
	}
	cw_buf_release(&out);
}

static void check_answer(const char *data, size_t size)
{
	struct cw_buf out = CW_BUF_INIT_MAX(OUTPUT_MAX);
	struct cw_err err = CW_ERR_INIT;
	int rc = cw_extract_pdf_answer(&out, data, size, &err);

	if (rc == CW_OK) {
		if (out.len > OUTPUT_MAX || out.len >= size)
			abort();
	} else {
		if (out.len || !err.msg[0] || err.rc != rc)
			abort();
		if (rc != CW_EPARSE && rc != CW_ETOOBIG && rc != CW_EINVAL &&
		    rc != CW_EIO && rc != CW_EEMPTY)
			abort();
	}
	cw_buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > INPUT_MAX)
		size = INPUT_MAX;
	check_pdf((const char *)data, size);
	check_answer((const char *)data, size);
	return 0;
}
