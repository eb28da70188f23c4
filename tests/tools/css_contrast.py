#!/usr/bin/env python3
"""css_contrast: the WCAG 2 contrast ratios of the stylesheet's colour
pairs, in its light scheme and its dark one (the :root custom properties
and the prefers-color-scheme: dark block of src/http/html.c's stylesheet).

    css_contrast.py STYLE.css   ->  one line a pair; exit 1 below 4.5:1
"""
import re
import sys

css = open(sys.argv[1]).read()
dark_at = css.index("prefers-color-scheme:dark")


def props(block):
    out = {}
    for k, v in re.findall(r"--([a-z]+):#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", block):
        out[k] = "#" + (v if len(v) == 6 else "".join(c * 2 for c in v))
    return out


light = props(css[:dark_at])
dark = {**light, **props(css[dark_at:css.index("}}", dark_at)])}


def lum(hexc):
    c = [int(hexc[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def ratio(a, b):
    la, lb = sorted((lum(a), lum(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# text colour on the background it is drawn on
pairs = [("fg", "bg"), ("muted", "bg"), ("link", "bg"), ("warn", "bg"), ("ok", "bg"),
         ("fg", "panel"), ("muted", "panel"), ("link", "panel"),
         ("delfg", "del"), ("insfg", "ins")]
bad = 0
for name, scheme in (("light", light), ("dark", dark)):
    for f, b in pairs:
        r = ratio(scheme[f], scheme[b])
        print(f"{name}: --{f} on --{b}: {r:.2f}:1")
        bad += r < 4.5
sys.exit(1 if bad else 0)
