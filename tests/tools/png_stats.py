#!/usr/bin/env python3
"""png_stats: the mean brightness (0-255) and the number of distinct
colours of a PNG screenshot, for the page tests (no imaging library
needed: 8-bit RGB or RGBA, non-interlaced, as Chromium writes them).

    png_stats.py FILE   ->   "MEAN COLOURS"
"""
import struct
import sys
import zlib


def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise SystemExit(f"{path}: unsupported PNG layout")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    out = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pr) & 255
        out.append(bytes(line))
        prev = line
    return out, w, bpp


def main():
    rows, w, bpp = pixels(sys.argv[1])
    total, count, colours = 0, 0, set()
    for y in range(0, len(rows), 4):
        row = rows[y]
        for x in range(0, w, 4):
            r, g, b = row[x * bpp], row[x * bpp + 1], row[x * bpp + 2]
            total += (r * 299 + g * 587 + b * 114) // 1000
            count += 1
            colours.add((r, g, b))
    print(total // max(count, 1), len(colours))


main()
