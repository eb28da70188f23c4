#!/usr/bin/env python3
"""api_check: the JSON API of a running `clausewatch serve` against its
contract (data/http/openapi.json) and against the corpus files.

    api_check.py BASE_URL OPENAPI VERSIONS_DIR TOKEN HOSTILE_SERVICE

Prints one "ok - ..." or "not ok - ..." line a check (TAP-like, as the
shell tests do) and exits 1 when any failed. Every answer is validated
against the response the contract gives for its path, method and status
(the body with jsonschema, Draft 2020-12; the headers it names must be
there); an answer the contract does not describe fails. Every answer,
whatever its status, must carry a Content-Security-Policy.
"""
import datetime
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import jsonschema

BASE, SPEC, VERSIONS, TOKEN, EVIL = sys.argv[1:6]
doc = json.load(open(SPEC))
jsonschema.Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})
ATOM = {"a": "http://www.w3.org/2005/Atom"}
failed = 0
answers = 0
no_csp = 0


def report(good, what):
    global failed
    print(("ok - " if good else "not ok - ") + what)
    failed += 0 if good else 1
    return good


def deref(node):
    """Follow the contract's local $refs ("#/components/...")."""
    while isinstance(node, dict) and "$ref" in node:
        target = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def validator(schema):
    schema = dict(schema)
    schema["components"] = doc["components"]
    return jsonschema.Draft202012Validator(schema)


def template_of(path):
    """The contract's path template that `path` (under /api/v1) fits."""
    segs = path.split("?")[0].strip("/").split("/") if path.strip("/") else []
    for t in doc["paths"]:
        ts = t.strip("/").split("/") if t.strip("/") else []
        if len(ts) == len(segs) and all(a.startswith("{") or a == urllib.parse.unquote(b) for a, b in zip(ts, segs)):
            return t
    return None


def call(method, path, body=None, token=None, headers=None, raw=None, top=False):
    """One request; every answer is checked for its CSP here."""
    global answers, no_csp
    data = raw if raw is not None else json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + ("" if top else "/api/v1") + path, method=method, data=data)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req) as r:
            st, h, out = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        st, h, out = e.code, e.headers, e.read()
    answers += 1
    if "default-src 'none'" not in (h.get("Content-Security-Policy") or ""):
        no_csp += 1
        report(False, f"{method} {path}: {st} without a Content-Security-Policy")
    return st, h, out


def check(method, path, want, body=None, token=None, what=None, headers=None, raw=None):
    """Call, then validate status, headers and body against the contract."""
    status, h, data = call(method, path, body, token, headers, raw)
    what = what or f"{method} {path}"
    report(status == want, f"{what}: status {status} (expected {want})")
    t = template_of(path)
    op = doc["paths"].get(t, {}).get(method.lower()) if t else None
    r = deref(op and op["responses"].get(str(status)))
    if not r:
        report(False, f"{what}: the contract has no {status} answer for {method} {t}")
        return status, h, data
    for name, spec in r.get("headers", {}).items():
        value = h.get(name)
        errors = value is not None and list(validator(spec["schema"]).iter_errors(value))
        report(value is not None and not errors, f"{what}: header {name} as the contract says ({value!r})")
    ctype = (h.get("Content-Type") or "").split(";")[0]
    content = r.get("content")
    if not content:
        report(len(data) == 0, f"{what}: no body, as the contract says")
        return status, h, data
    if ctype not in content:
        report(False, f"{what}: Content-Type {ctype} not in the contract ({', '.join(content)})")
        return status, h, data
    value = json.loads(data) if ctype == "application/json" else data.decode()
    errors = sorted(validator(content[ctype]["schema"]).iter_errors(value), key=str)
    report(not errors, f"{what}: the answer fits the contract" +
           (f" ({errors[0].message[:200]} at {list(errors[0].absolute_path)})" if errors else ""))
    return status, h, data


q = urllib.parse.quote
svc, typ = "Vimeo", "Terms of Service"
V = f"/documents/{q(svc)}/{q(typ)}"
check("GET", "/", 200)
st, _, data = check("GET", "/openapi.json", 200)
report(st == 200 and json.loads(data) == doc, "/openapi.json is data/http/openapi.json")
st, _, data = check("GET", "/services", 200)
services = json.loads(data)
report(any(s["id"] == svc and {"type": typ} in s["terms"] for s in services), "/services lists Vimeo's Terms of Service")
check("GET", f"/service/{q(svc)}", 200)
check("GET", "/service/No%20such%20service", 404)
check("GET", "/documents", 200)
check("GET", f"/documents?service={q(svc)}", 200)
check("GET", V, 200)
check("GET", f"{V}/versions/2", 200)
check("GET", f"{V}/versions/99", 404)
check("GET", f"{V}/versions/abc", 400)
check("GET", f"{V}/timeline", 200)
check("GET", "/changes?limit=5", 200)
check("GET", "/changes?materiality=substantive&service=Vimeo", 200)
check("GET", "/changes?limit=abc", 400)
check("GET", "/changes?since=yesterday", 400)
check("GET", "/changes?materiality=huge", 400)
st, _, data = check("GET", "/search?q=arbitration&service=Vimeo&limit=3", 200)
check("GET", "/search", 400)
check("GET", "/search?q=arbitration&offset=-1", 400)
key = json.loads(data)["hits"][0]["key"]
P = f"{V}/provisions/{q(key, safe='')}"
check("GET", P, 200)
check("GET", f"{P}?audience=operator&jurisdiction=eu", 200)
check("GET", f"{P}?audience=bogus", 400)
check("GET", f"{P}?jurisdiction=mars", 400)
check("GET", f"{V}/provisions/no-such-key", 404)
st, _, data = call("GET", "/no/such/route")
report(st == 404 and not list(validator({"$ref": "#/components/schemas/Error"}).iter_errors(json.loads(data))),
       "an unknown API route is a 404 {error, status}")


# The version at a date is the corpus file in force then. The archive
# keeps a version's text normalised (trailing blanks of lines dropped,
# runs of blank lines made one, one final newline), so the file is
# compared through the same normalisation.
def norm(text):
    out = []
    for line in text.split("\n"):
        line = line.rstrip()
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


def day(s, delta=0):
    return (datetime.date.fromisoformat(s) + datetime.timedelta(days=delta)).isoformat()


for s, t in ((svc, typ), ("Airbnb", typ), ("fal", typ)):
    folder = os.path.join(VERSIONS, s, t)
    files = sorted(f for f in os.listdir(folder) if f.endswith(".md"))
    texts = [norm(open(os.path.join(folder, f), encoding="utf-8").read()) for f in files]
    # the file in force at the end of each day: the last of that day's
    # (2021-08-18-1.md, 2021-08-18-2.md); a file whose text is the
    # previous one's records no version, so the version in force is
    # the first of that run of equal texts
    last = {}
    first_of_run = []
    for i, f in enumerate(files):
        last[f[:10]] = i
        first_of_run.append(first_of_run[-1] if i and texts[i] == texts[i - 1] else i)
    days = sorted(last)
    good = 0
    for n, d in enumerate(days):
        i = last[d]
        asks = [d]
        if n + 1 < len(days) and day(days[n + 1], -1) > d:
            asks.append(day(days[n + 1], -1))  # the day before the next one
        for a in asks:
            st, _, data = call("GET", f"/version/{q(s)}/{q(t)}/{a}")
            got = json.loads(data) if st == 200 else {}
            ok = (st == 200 and norm(got["content"]) == texts[i] and
                  got["fetchDate"].startswith(files[first_of_run[i]][:10]))
            good += ok
            if not ok:
                report(False, f"{s}/{t} at {a}: expected {files[i]}, got {st} {got.get('fetchDate')}")
    report(good == sum(1 + (n + 1 < len(days) and day(days[n + 1], -1) > d) for n, d in enumerate(days)),
           f"{s}/{t}: every date of its {len(files)} files, and the day before each, gives the file in force ({good} dates)")
    path = f"/version/{q(s)}/{q(t)}"
    check("GET", f"{path}/{days[0]}", 200, what=f"{s}/{t}: the first date")
    check("GET", f"{path}/{day(days[0], -1)}T23:59:59Z", 404, what=f"{s}/{t}: the second before the first day")
check("GET", f"/version/{q(svc)}/{q(typ)}/1990-01-01", 404, what="a date before the first version")
check("GET", f"/version/{q(svc)}/{q(typ)}/2999-01-01T00:00:00Z", 416, what="a date in the future")
check("GET", f"/version/{q(svc)}/{q(typ)}/not-a-date", 400, what="a bad date")
check("GET", f"/version/{q(svc)}/{q(typ)}/2020-13-01", 400, what="a month 13")
check("GET", f"/version/{q(svc)}/No%20such%20type/2020-01-01", 404, what="an unknown document")

# conditional GETs and HEAD
st, h, body = call("GET", "/services")
check("GET", "/services", 304, headers={"If-None-Match": h["ETag"]}, what="If-None-Match with the ETag")
check("GET", "/services", 200, headers={"If-None-Match": '"0000000000000000"'}, what="If-None-Match with another ETag")
st2, h2, body2 = call("HEAD", "/services")
report(st2 == 200 and not body2 and h2.get("ETag") == h["ETag"] and
       h2.get("Content-Length") == str(len(body)) and h2.get("Content-Type") == h.get("Content-Type"),
       "HEAD: the GET's status, ETag, type and length, and no body")
for feed in ("/feed", f"/feed/{q(svc)}", f"/feed/{q(svc)}/{q(typ)}"):
    st, h, data = check("GET", feed, 200)
    try:
        root = ET.fromstring(data)
        entries = root.findall("a:entry", ATOM)
        report(entries and all(e.find("a:updated", ATOM) is not None for e in entries),
               f"{feed} is an Atom feed with dated entries ({len(entries)})")
    except ET.ParseError as e:
        report(False, f"{feed} is well-formed XML ({e})")
    check("GET", feed, 304, headers={"If-Modified-Since": h.get("Last-Modified", "")},
          what=f"{feed} with If-Modified-Since its Last-Modified")
    check("GET", feed, 200, headers={"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"},
          what=f"{feed} modified since 1970")
# the top-level feed is the same feed
st, _, data = call("GET", "/feed", top=True)
report(st == 200 and data == call("GET", "/feed")[2], "/feed is served at the top level too")
check("GET", "/feed/No%20such%20service", 404)
check("GET", f"/feed/{q(svc)}/No%20such%20type", 404)

# the hostile service name: exact in JSON, escaped in XML (as text, in an
# attribute and in a link)
report(any(x["id"] == EVIL for x in services), "the hostile service name comes back exact in /services")
st, _, data = check("GET", f"/service/{q(EVIL, safe='')}", 200, what="the hostile service")
report(st == 200 and json.loads(data)["name"] == EVIL, "... its name exact")
st, _, data = call("GET", "/feed")
entry = [e for e in ET.fromstring(data).findall("a:entry", ATOM)
         if EVIL in [c.get("term") for c in e.findall("a:category", ATOM)]]
report(len(entry) == 1 and entry[0].find("a:title", ATOM).text.startswith(EVIL + " Terms of Service"),
       "the feed names the hostile service as text, in its title and as a category term")
report(entry and q(EVIL, safe="") in entry[0].find("a:link", ATOM).get("href"), "... and links it percent-encoded")

# watches: a token is needed
st, h, _ = check("GET", "/watches", 401, what="watches without a token")
check("GET", "/watches", 401, what="watches with another scheme", headers={"Authorization": "Basic " + TOKEN})
check("GET", "/watches", 403, token="cw_" + "0" * 64, what="watches with a wrong token")
check("POST", "/watches", 401, body={"feed": "x"}, what="adding without a token")
check("POST", "/watches", 403, token="x", body={"feed": "x"}, what="adding with a wrong token")
check("DELETE", "/watches/1", 401, what="removing without a token")
check("GET", "/watches", 200, headers={"Authorization": "bearer " + TOKEN}, what="the scheme in lower case")
# bodies: the server takes what the contract takes (but for the taxonomy's
# categories, which the contract does not list)
body_schema = validator(deref(doc["paths"]["/watches"]["post"]["requestBody"]["content"]["application/json"]["schema"]))
bodies = [
    ({"feed": "legal", "min_materiality": "substantive", "documents": [f"{svc}/{typ}"],
      "categories": ["mandatory_arbitration"]}, 201),
    ({"email": "legal@example.org", "cadence": "weekly", "services": [svc]}, 201),
    ({"webhook": "https://example.org/hook", "secret": "k"}, 201),
    ({"webhook": "https://example.org/hook"}, 400),
    ({"email": "legal@example.org", "secret": "k"}, 400),
    ({"feed": "x", "email": "legal@example.org"}, 400),
    ({}, 400),
    ({"feed": "x", "colour": "red"}, 400),
    ({"feed": "x", "services": "Vimeo"}, 400),
    ({"feed": "x", "min_materiality": "huge"}, 400),
    ({"feed": "x", "cadence": "hourly"}, 400),
    ([], 400),
]
made = []
for b, want in bodies:
    st, _, data = check("POST", "/watches", want, token=TOKEN, body=b, what=f"adding {json.dumps(b)}")
    report(body_schema.is_valid(b) == (want == 201), f"... the contract {'takes' if want == 201 else 'refuses'} it too")
    if st == 201:
        w = json.loads(data)
        made.append(w["id"])
        report(w["channel"] in b and w["target"] == b[w["channel"]] and w["signed"] == ("secret" in b),
               f"... the watch {w['id']} is what was sent")
check("POST", "/watches", 400, token=TOKEN, body={"feed": "x", "categories": ["no_such_category"]},
      what="an unknown category")
check("POST", "/watches", 400, token=TOKEN, raw=b'{"feed": "x"', what="a body that is not JSON")
check("POST", "/watches", 413, token=TOKEN, raw=b"x" * 70000, what="a body over 64 KiB")
st, _, data = check("GET", "/watches", 200, token=TOKEN)
listed = [w["id"] for w in json.loads(data).get("watches", [])] if st == 200 else []
report(set(made) <= set(listed), "the new watches are listed")
report(b"secret" not in data and b'"k"' not in data, "... never with their secret")
for wid in made:
    check("DELETE", f"/watches/{wid}", 204, token=TOKEN)
check("DELETE", f"/watches/{made[0] if made else 1}", 404, token=TOKEN, what="removing one again")
check("DELETE", "/watches/abc", 400, token=TOKEN, what="removing a watch that is not a number")
st, _, data = call("GET", "/watches", token=TOKEN)
report(st == 200 and not set(made) & {w["id"] for w in json.loads(data)["watches"]}, "the removed watches are gone")

# other methods: 405 with Allow, as JSON
for m, p, allow in (("POST", "/services", "GET, HEAD"), ("DELETE", "/documents", "GET, HEAD"),
                    ("PUT", "/services", "GET, HEAD, POST, DELETE"), ("POST", "/watches/1", "DELETE")):
    st, h, data = call(m, p, token=TOKEN, raw=b"{}")
    report(st == 405 and h.get("Allow") == allow and h.get("Content-Type") == "application/json" and
           json.loads(data)["status"] == 405, f"{m} {p}: 405 with Allow: {allow} ({st}, {h.get('Allow')})")
report(no_csp == 0, f"every one of the {answers} answers had a Content-Security-Policy")
sys.exit(1 if failed else 0)
