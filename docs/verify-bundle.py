#!/usr/bin/env python3
"""Check a clausewatch audit bundle with nothing but SHA-256 and Ed25519.

    python3 verify-bundle.py BUNDLE.tar [VERIFIER_KEY]

VERIFIER_KEY is the archive's published key (`clausewatch log key`, or
the server's /checkpoint origin and key); without it the bundle's own
log.vkey is used, which proves the bundle whole but not whose it is.
Needs Python 3 and the `cryptography` package (Debian: python3-cryptography)
for Ed25519. Exits 0 when every file checks, 1 naming the first that does
not. docs/log.md explains each step.
"""
import base64
import hashlib
import json
import sys
import tarfile

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def fail(msg):
    print("verify-bundle.py: " + msg, file=sys.stderr)
    sys.exit(1)


def sha256(b):
    return hashlib.sha256(b).digest()


def parse_vkey(text):
    # <name>+<hex key id>+<base64(0x01 || 32-byte Ed25519 public key)>
    name, key_id, raw = text.strip().split("+", 2)
    raw = base64.b64decode(raw, validate=True)
    if raw[0] != 0x01 or len(raw) != 33:
        fail("the verifier key is not an Ed25519 key")
    if sha256(name.encode() + b"\n" + raw)[:4].hex() != key_id:
        fail("the verifier key's ID does not match its key")
    return name, bytes.fromhex(key_id), raw[1:]


def check_note(note, name, key_id, pub):
    # the signed text ends at the last blank line; signatures follow
    cut = note.rindex(b"\n\n") + 1
    text, sigs = note[:cut], note[cut + 1:].decode().splitlines()
    for line in sigs:
        dash, signer, b64 = line.split(" ")
        sig = base64.b64decode(b64, validate=True)
        if dash == "\u2014" and signer == name and sig[:4] == key_id:
            try:
                Ed25519PublicKey.from_public_bytes(pub).verify(sig[4:], text)
                return text.decode().split("\n")
            except InvalidSignature:
                fail("checkpoint: the signature by %s does not verify" % name)
    fail("checkpoint: no signature by %s" % name)


def node(left, right):
    return sha256(b"\x01" + left + right)


def root_from_inclusion(index, size, leaf_hash, proof):
    # RFC 9162 2.1.3.2
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return None
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def main():
    if len(sys.argv) not in (2, 3):
        fail("usage: verify-bundle.py BUNDLE.tar [VERIFIER_KEY]")
    files = {}
    with tarfile.open(sys.argv[1]) as tar:
        for m in tar.getmembers():
            if m.isfile():
                files[m.name.split("/", 1)[1]] = tar.extractfile(m).read()
    vkey = sys.argv[2] if len(sys.argv) == 3 else files["log.vkey"].decode()
    name, key_id, pub = parse_vkey(vkey)
    lines = check_note(files["checkpoint"], name, key_id, pub)
    origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2])
    if origin != name:
        fail("checkpoint: origin %s is not the key's %s" % (origin, name))
    manifest = json.loads(files["manifest.json"])
    for rec in manifest["records"]:
        path = rec["path"]
        proof = files[rec["proof"]].decode()
        head, note = proof.split("\n\n", 1)
        if note.encode() != files["checkpoint"]:
            fail("%s: proves against another checkpoint" % path)
        head = head.split("\n")
        if head[0] != "c2sp.org/tlog-proof@v1" or not head[1].startswith("extra "):
            fail("%s: not a tlog proof with its leaf" % path)
        leaf_bytes = base64.b64decode(head[1][6:], validate=True)
        index = int(head[2].split(" ")[1])
        hashes = [base64.b64decode(h, validate=True) for h in head[3:]]
        leaf = json.loads(leaf_bytes)
        want_kind = "version" if rec["kind"] == "provisions" else rec["kind"]
        if (leaf["kind"], leaf["service"], leaf["type"], leaf["seq"], index) != (
                want_kind, manifest["service"], manifest["type"], rec["seq"],
                rec["index"]):
            fail("%s: its leaf is of another record" % path)
        field = "provisions_sha256" if rec["kind"] == "provisions" else "sha256"
        if sha256(files[path]).hex() != leaf[field]:
            fail("%s: its SHA-256 is not the one the log holds" % path)
        got = root_from_inclusion(index, size, sha256(b"\x00" + leaf_bytes),
                                  hashes)
        if got != root:
            fail("%s: its inclusion proof does not lead to the root" % path)
    print("%s: %d files verified against %s at %d leaves"
          % (sys.argv[1], len(manifest["records"]), origin, size))


if __name__ == "__main__":
    main()
