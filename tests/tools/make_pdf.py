#!/usr/bin/env python3
"""make_pdf: small PDFs of our own text, for the PDF tests and fuzz seeds.

    make_pdf.py OUT TEXT...            one page per TEXT (Helvetica, 12 pt)
    make_pdf.py --overlap N OUT        one page on which the same short text
                                       is drawn N times at the same place,
                                       in one deflated content stream
    make_pdf.py --overlap N --plain OUT   the same, the stream not deflated

The overlapping page is the hostile input of the PDF tests: poppler's
text extraction compares what is drawn at one place with what was drawn
there before (to drop the copies of fake bold), so its cost grows with
the square of the text objects, while their stream deflates to about 250
bytes per thousand. Measured with poppler 22.12 on two cores: N = 8000
is a 2.6 KB file read in 0.6 s, 16000 a 4.5 KB one in 2.7 s, 32000 an
8.4 KB one in 23 to 26 s and 320 MiB (docs/internals/monitor.md). The xref
offsets are exact, so poppler reads the file without reconstructing it.
"""
import sys
import zlib


def pdf(streams, deflate=False):
    """A PDF of one page per content stream (bytes)."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(streams)))
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(streams)} >>"
                .encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, s in enumerate(streams):
        objs.append((f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                     f"/Resources << /Font << /F1 3 0 R >> >> "
                     f"/Contents {5 + 2 * i} 0 R >>").encode())
        data, filt = s, b""
        if deflate:
            data, filt = zlib.compress(s, 9), b" /Filter /FlateDecode"
        objs.append(b"<< /Length %d%s >>\nstream\n" % (len(data), filt) +
                    data + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offs = []
    for n, body in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += (b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objs) + 1, xref))
    return bytes(out)


def escape(text):
    return (text.replace("\\", "\\\\").replace("(", "\\(")
            .replace(")", "\\)").encode("latin-1"))


def page(lines):
    """A content stream drawing `lines` one under the other."""
    s = b"BT /F1 12 Tf 14 TL 72 720 Td"
    for line in lines:
        s += b" (" + escape(line) + b") Tj T*"
    return s + b" ET"


def overlap(n):
    """`n` text objects drawn at the same place, three texts in turn."""
    return b"".join(b"BT /F1 12 Tf 72 700 Td (Overlapping terms of service "
                    b"%d) Tj ET\n" % (i % 3) for i in range(n))


def main(argv):
    deflate, n = True, None
    args = argv[1:]
    while args and args[0].startswith("--"):
        if args[0] == "--overlap" and len(args) > 1:
            n = int(args[1])
            args = args[2:]
        elif args[0] == "--plain":
            deflate = False
            args = args[1:]
        else:
            raise SystemExit(__doc__)
    if not args or (n is None and len(args) < 2):
        raise SystemExit(__doc__)
    if n is not None:
        data = pdf([overlap(n)], deflate)
    else:
        data = pdf([page(t.split("\n")) for t in args[1:]])
    with open(args[0], "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main(sys.argv)
