#!/usr/bin/env python3
"""dom_check: what a person sees of a page, from Chromium's --dump-dom.

    dom_check.py FILE [--need-outline] [--need-text TEXT]...

Fails (exit 1, one line per finding) when the DOM holds anything that
could run: a <script> element, an on* attribute, a javascript: URL, a
style attribute; when an in-page link (#id) points at no element; when
--need-outline is given and the page has no outline link; when a
--need-text is not in the page's visible text.
"""
import sys
from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links, self.bad, self.text = set(), [], [], []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed"):
            self.bad.append(f"a <{tag}> element")
        for k, v in attrs:
            v = v or ""
            if k.startswith("on"):
                self.bad.append(f"<{tag} {k}=...>")
            if k in ("href", "src", "action") and v.strip().lower().startswith("javascript:"):
                self.bad.append(f"<{tag} {k}={v!r}>")
            if k == "style":
                self.bad.append(f"<{tag} style=...>")
            if k == "id":
                self.ids.add(v)
            if tag == "a" and k == "href" and v.startswith("#"):
                self.links.append(v[1:])

    def handle_data(self, data):
        self.text.append(data)


def main():
    args = sys.argv[1:]
    page = Page()
    page.feed(open(args[0], encoding="utf-8").read())
    problems = list(page.bad)
    text = " ".join(page.text)
    i = 1
    while i < len(args):
        if args[i] == "--need-outline":
            outline = [l for l in page.links if l.startswith("p-")]
            if not outline:
                problems.append("no outline link")
        elif args[i] == "--need-text":
            i += 1
            if args[i] not in text:
                problems.append(f"text not shown: {args[i]!r}")
        i += 1
    for l in page.links:
        if l not in page.ids:
            problems.append(f"link #{l} points at nothing")
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


main()
