#!/usr/bin/env python3
"""Independent verifier of a Vigie evidence bundle (no Vigie code): hashlib + `cryptography`.

usage: register_verify_bundle.py BUNDLE_DIR [--key HEX]   exit 0 when everything verifies, 1 otherwise.

--key HEX pins the station key the verifier trusts (the one the service published); without it the
key shipped in the bundle is used, which proves nothing until compared out of band.

Checks, from the bundle's files only:
  1. MANIFEST.sha256 is signed (Ed25519) by the key in station-ed25519.pub;
  2. every file has the SHA-256 the manifest lists, and every file is listed;
  3. each chain.jsonl entry: payload SHA-256, entry hash recomputed from its fields, Ed25519 signatures;
  4. the flight seal (signed) covers every earlier entry of the flight, and the tlog / .rrd / video
     files carry the digests the chain recorded.
Entry hash = SHA-256("vigie-register-entry-v1\\n" id \\n station \\n station_seq \\n kind \\n subject \\n
recorded_at \\n payload_sha256 \\n prev_hash); signatures are over the 64 hex characters of the hash.
"""
import hashlib
import json
import os
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SIGNED_KINDS = {"station", "flight_seal", "journal_seal"}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def entry_hash(e):
    text = "vigie-register-entry-v1\n" + "\n".join(
        [str(e["id"]), e["station"], str(e["station_seq"]), e["kind"], e["subject"], e["recorded_at"],
         e["payload_sha256"], e["prev_hash"]])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def main(bundle, pinned=None):
    problems = []
    for root, dirs, files in os.walk(bundle):
        for name in dirs + files:
            if os.path.islink(os.path.join(root, name)):
                problems.append(f"{os.path.join(root, name)}: symbolic link; a bundle holds plain files only")
    if problems:
        for p in problems:
            print("FAIL", p)
        return 1
    pub_hex = open(os.path.join(bundle, "station-ed25519.pub")).read().strip()
    if pinned is not None and pinned.lower() != pub_hex.lower():
        problems.append(f"station-ed25519.pub: the bundle ships key {pub_hex}, not the pinned key {pinned}")
        pub_hex = pinned.lower()
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(pub_hex))

    def verify(sig, message):
        try:
            key.verify(sig, message)
            return True
        except InvalidSignature:
            return False

    manifest = open(os.path.join(bundle, "MANIFEST.sha256"), "rb").read()
    sig = open(os.path.join(bundle, "MANIFEST.sha256.sig"), "rb").read()
    if not verify(sig, manifest):
        problems.append("MANIFEST.sha256: Ed25519 signature does not verify")

    listed = {}
    for n, line in enumerate(manifest.decode("utf-8").splitlines(), 1):
        digest, sep, rel = line.partition("  ")
        if not sep:
            problems.append(f"MANIFEST.sha256 line {n}: malformed")
            continue
        listed[rel] = digest
        path = os.path.join(bundle, rel)
        if not os.path.isfile(path):
            problems.append(f"{rel}: listed but missing")
        elif sha256_file(path) != digest:
            problems.append(f"{rel}: SHA-256 differs from the manifest")
    for root, _dirs, files in os.walk(bundle):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), bundle).replace(os.sep, "/")
            if rel not in listed and rel not in ("MANIFEST.sha256", "MANIFEST.sha256.sig"):
                problems.append(f"{rel}: present but not in the manifest")

    info = json.load(open(os.path.join(bundle, "bundle.json")))
    entries = [json.loads(l) for l in open(os.path.join(bundle, "chain.jsonl"), encoding="utf-8") if l.strip()]
    for e in entries:
        if e["payload"] is not None and hashlib.sha256(e["payload"].encode("utf-8")).hexdigest() != e["payload_sha256"]:
            problems.append(f"chain.jsonl entry {e['id']}: payload does not match payload_sha256")
        if entry_hash(e) != e["hash"]:
            problems.append(f"chain.jsonl entry {e['id']}: hash does not match its fields")
        if e["signature"] is not None:
            if not verify(bytes.fromhex(e["signature"]), e["hash"].encode("ascii")):
                problems.append(f"chain.jsonl entry {e['id']}: signature does not verify")
        elif e["kind"] in SIGNED_KINDS:
            problems.append(f"chain.jsonl entry {e['id']}: {e['kind']} entry is not signed")
        if e["kind"] == "station" and e["station"] == info["station_id"] and e["payload"]:
            if json.loads(e["payload"])["public_key_hex"] != pub_hex:
                problems.append(f"chain.jsonl entry {e['id']}: station key differs from station-ed25519.pub")

    subject = "flight:" + info["flight_id"]
    seals = [e for e in entries if e["kind"] == "flight_seal" and e["subject"] == subject]
    if not seals:
        problems.append("chain.jsonl: no seal for flight " + info["flight_id"])
    else:
        seal_entry = seals[0]
        seal = json.loads(seal_entry["payload"])
        covered = {(c["station_seq"], c["hash"]) for c in seal["covered_entries"]}
        for e in entries:
            if e["subject"] == subject and e["station"] == seal_entry["station"] and e["station_seq"] < seal_entry["station_seq"]:
                if (e["station_seq"], e["hash"]) not in covered:
                    problems.append(f"chain.jsonl entry {e['id']}: not covered by the signed flight seal")
        by_id = {e["id"]: e for e in entries}
        for f in info["files"]:
            if f["role"] in ("tlog", "rrd"):
                chained = (seal.get(f["role"]) or {}).get("sha256")
            else:
                e = by_id.get(f["entry_id"])
                chained = json.loads(e["payload"])["file"]["sha256"] if e and e["payload"] else None
            if chained is None or chained != listed.get(f["bundle_path"]):
                problems.append(f"{f['bundle_path']}: digest in the chain does not match the file")

    if problems:
        for p in problems:
            print("FAIL", p)
        return 1
    print(f"OK flight {info['flight_id']} station {info['station_id']} key {pub_hex} "
          f"({'pinned' if pinned else 'shipped in the bundle, not pinned'}): "
          f"{len(listed)} files, {len(entries)} chain entries")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    key = None
    if len(args) == 3 and args[1] == "--key":
        key = args[2]
        args = args[:1]
    if len(args) != 1:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(args[0], key))
