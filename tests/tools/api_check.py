#!/usr/bin/env python3
"""api_check: the JSON API of a running `clausewatch serve` against its
contract (data/http/openapi.json) and against the corpus files.

    api_check.py BASE_URL OPENAPI VERSIONS_DIR TOKEN

Prints one "ok - ..." or "not ok - ..." line a check (TAP-like, as the
shell tests do) and exits 1 when any failed. Every answer is validated
against the response schema the contract gives for its path, method and
status (jsonschema, Draft 2020-12); an answer the contract does not
describe fails.
"""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

import jsonschema

BASE, SPEC, VERSIONS, TOKEN = sys.argv[1:5]
doc = json.load(open(SPEC))
jsonschema.Draft202012Validator.check_schema({"$defs": doc["components"]["schemas"]})
failed = 0


def report(good, what):
    global failed
    print(("ok - " if good else "not ok - ") + what)
    failed += 0 if good else 1


def template_of(path):
    """The contract's path template that `path` (under /api/v1) fits."""
    segs = path.split("?")[0].strip("/").split("/") if path.strip("/") else []
    for t in doc["paths"]:
        ts = t.strip("/").split("/") if t.strip("/") else []
        if len(ts) == len(segs) and all(a.startswith("{") or a == urllib.parse.unquote(b) for a, b in zip(ts, segs)):
            return t
    return None


def call(method, path, body=None, token=None, headers=None):
    req = urllib.request.Request(BASE + "/api/v1" + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def check(method, path, want, body=None, token=None, what=None):
    """Call, then validate status and body against the contract."""
    status, headers, data = call(method, path, body, token)
    what = what or f"{method} {path}"
    report(status == want, f"{what}: status {status} (expected {want})")
    t = template_of(path)
    op = doc["paths"].get(t, {}).get(method.lower()) if t else None
    r = op and op["responses"].get(str(status))
    if not r:
        report(False, f"{what}: the contract has no {status} answer for {method} {t}")
        return status, headers, data
    ctype = (headers.get("Content-Type") or "").split(";")[0]
    content = r.get("content")
    if not content:
        report(len(data) == 0, f"{what}: no body, as the contract says")
        return status, headers, data
    if ctype not in content:
        report(False, f"{what}: Content-Type {ctype} not in the contract ({', '.join(content)})")
        return status, headers, data
    schema = dict(content[ctype]["schema"])
    schema["components"] = doc["components"]
    value = json.loads(data) if ctype == "application/json" else data.decode()
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(value), key=str)
    report(not errors, f"{what}: the answer fits the contract" +
           (f" ({errors[0].message[:200]} at {list(errors[0].absolute_path)})" if errors else ""))
    if "content-security-policy" not in {k.lower() for k in headers.keys()}:
        report(False, f"{what}: no Content-Security-Policy")
    return status, headers, data


q = urllib.parse.quote
svc, typ = "Vimeo", "Terms of Service"
check("GET", "/", 200)
check("GET", "/openapi.json", 200)
st, _, data = check("GET", "/services", 200)
services = json.loads(data)
report(any(s["id"] == svc and {"type": typ} in s["terms"] for s in services), "/services lists Vimeo's Terms of Service")
check("GET", f"/service/{q(svc)}", 200)
check("GET", "/service/No%20such%20service", 404)
check("GET", "/documents", 200)
check("GET", f"/documents?service={q(svc)}", 200)
check("GET", f"/documents/{q(svc)}/{q(typ)}", 200)
check("GET", f"/documents/{q(svc)}/{q(typ)}/versions/2", 200)
check("GET", f"/documents/{q(svc)}/{q(typ)}/versions/99", 404)
check("GET", f"/documents/{q(svc)}/{q(typ)}/timeline", 200)
check("GET", "/changes?limit=5", 200)
check("GET", "/changes?materiality=substantive&service=Vimeo", 200)
check("GET", "/changes?limit=abc", 400)
check("GET", "/changes?materiality=huge", 400)
st, _, data = check("GET", "/search?q=arbitration&service=Vimeo&limit=3", 200)
check("GET", "/search", 400)
key = json.loads(data)["hits"][0]["key"]
check("GET", f"/documents/{q(svc)}/{q(typ)}/provisions/{q(key, safe='')}", 200)
check("GET", f"/documents/{q(svc)}/{q(typ)}/provisions/{q(key, safe='')}?audience=operator&jurisdiction=eu", 200)
check("GET", f"/documents/{q(svc)}/{q(typ)}/provisions/{q(key, safe='')}?audience=bogus", 400)
check("GET", f"/documents/{q(svc)}/{q(typ)}/provisions/no-such-key", 404)

# the version at a date is the corpus file in force then, byte for byte
folder = os.path.join(VERSIONS, svc, typ)
files = sorted(f for f in os.listdir(folder) if f.endswith(".md"))
for f in (files[0], files[len(files) // 2], files[-1]):
    day = f[:10]
    st, _, data = check("GET", f"/version/{q(svc)}/{q(typ)}/{day}", 200)
    if st == 200:
        got = json.loads(data)
        want = open(os.path.join(folder, f), encoding="utf-8").read()
        # the archive keeps a version's text with trailing blanks of lines
        # and of the file dropped (the import's normalisation)
        norm = lambda t: "\n".join(l.rstrip() for l in t.split("\n")).strip("\n")
        report(norm(got["content"]) == norm(want),
               f"the version at {day} is {f} (but for trailing blanks)")
        report(got["fetchDate"].startswith(day), f"... and its fetchDate is {day}")
check("GET", f"/version/{q(svc)}/{q(typ)}/1990-01-01", 404, what="a date before the first version")
check("GET", f"/version/{q(svc)}/{q(typ)}/2999-01-01T00:00:00Z", 416, what="a date in the future")
check("GET", f"/version/{q(svc)}/{q(typ)}/not-a-date", 400, what="a bad date")

# conditional GETs
st, h, _ = call("GET", "/services")
st2, _, body = call("GET", "/services", headers={"If-None-Match": h["ETag"]})
report(st2 == 304 and not body, "If-None-Match with the ETag is a 304 without a body")
st, h, _ = call("GET", f"/feed/{q(svc)}")
report(st == 200 and h.get("Last-Modified"), "a feed has a Last-Modified")
st2, _, _ = call("GET", f"/feed/{q(svc)}", headers={"If-Modified-Since": h.get("Last-Modified", "")})
report(st2 == 304, "If-Modified-Since with it is a 304")
check("GET", "/feed/No%20such%20service", 404)
check("GET", f"/feed/{q(svc)}/No%20such%20type", 404)

# watches: a token is needed
check("GET", "/watches", 401, what="watches without a token")
check("GET", "/watches", 403, token="cw_" + "0" * 64, what="watches with a wrong token")
st, _, data = check("POST", "/watches", 201, token=TOKEN,
                    body={"feed": "legal", "min_materiality": "substantive", "documents": [f"{svc}/{typ}"],
                          "categories": ["mandatory_arbitration"]})
wid = json.loads(data)["id"] if st == 201 else 0
check("POST", "/watches", 400, token=TOKEN, body={"webhook": "https://example.org/hook"}, what="a webhook without a secret")
check("POST", "/watches", 400, token=TOKEN, body={"feed": "x", "categories": ["no_such_category"]}, what="an unknown category")
check("POST", "/watches", 400, token=TOKEN, body={"feed": "x", "colour": "red"}, what="an unknown field")
st, _, data = check("GET", "/watches", 200, token=TOKEN)
report(any(w["id"] == wid for w in json.loads(data).get("watches", [])), "the new watch is listed")
check("DELETE", f"/watches/{wid}", 204, token=TOKEN)
check("DELETE", f"/watches/{wid}", 404, token=TOKEN, what="removing it again")
check("GET", "/no/such/route", 404) if template_of("/no/such/route") else report(
    call("GET", "/no/such/route")[0] == 404, "an unknown API route is a 404")
sys.exit(1 if failed else 0)
