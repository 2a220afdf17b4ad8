#!/usr/bin/env python3
"""Fails when a planted value of the content corpus appears unredacted in PlainSight's output.

    plainsight read content-corpus.pcap > out.jsonl 2> out.log       # no --reveal
    plainsight read content-corpus.pcap --format text > out.txt
    python3 Tests/Corpus/check_redaction.py out.jsonl out.log out.txt --truth content-corpus.truth.json

For every planted item it looks for: the value; its compact form (digits
only for number-shaped types, no spaces for IBAN/NINO); the random part of a
prefixed token (what follows AKIA, ghp_, sk_live_, ...); a JWT's signature;
each base64 line of a PEM key; the password of a URL; the value in base64
(standard and URL-safe, with or without padding) and percent-encoded; and
each of these as it looks inside a JSON string (`/` as `\\/`, line breaks as
`\\n`). Strings shorter than 8 characters are not looked for (too many
innocent matches). Decoys are not secrets and are not looked for.

Exit status 1 with one line per leak (file, line, item, which form; the
value itself shortened), 0 when nothing leaked, 2 on bad input.
"""
import argparse
import base64
import json
import sys
import urllib.parse

MIN_NEEDLE = 8


def needles(entry):
    """(form, bytes) pairs that must not appear in output."""
    value = entry["value"]
    forms = [("value", value)]
    for frag in entry.get("secret_fragments", []):
        if frag != value:
            forms.append(("fragment", frag))
    raw = value.encode()
    for name, enc in (("base64", base64.b64encode(raw)), ("base64url", base64.urlsafe_b64encode(raw))):
        forms.append((name, enc.decode()))
        forms.append((name, enc.rstrip(b"=").decode()))
    quoted = urllib.parse.quote_plus(value)
    if quoted != value:
        forms.append(("percent-encoded", quoted))
    out = []
    seen = set()
    for form, text in forms:
        variants = [text, json.dumps(text)[1:-1], json.dumps(text)[1:-1].replace("/", "\\/")]
        if "\r\n" in text or "\n" in text:
            variants.append(text.replace("\r\n", "\n"))
            variants.append(json.dumps(text.replace("\r\n", "\n"))[1:-1])
        for v in variants:
            b = v.encode()
            if len(b) >= MIN_NEEDLE and b not in seen:
                seen.add(b)
                out.append((form if v == text else form + " (JSON-escaped)", b))
    return out


def shortened(text):
    return "%s…%s (%d chars)" % (text[:2], text[-2:], len(text)) if len(text) > 6 else "*" * len(text)


def check(paths, truth):
    """[(path, line, item id, type, form, shortened value)] for every leak."""
    planted = [e for e in truth["items"] if e["kind"] == "planted"]
    table = [(e, form, b) for e in planted for form, b in needles(e)]
    leaks = []
    for path in paths:
        data = open(path, "rb").read()
        for e, form, b in table:
            start = 0
            while True:
                i = data.find(b, start)
                if i < 0:
                    break
                line = data.count(b"\n", 0, i) + 1
                leaks.append((path, line, e["id"], e["type"], form, shortened(b.decode("utf-8", "replace"))))
                start = i + len(b)
    return leaks


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 2)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", help="output of plainsight (findings, stats, logs) written without --reveal")
    ap.add_argument("--truth", required=True, help="content-corpus.truth.json")
    args = ap.parse_args()
    try:
        truth = json.load(open(args.truth))
        leaks = check(args.files, truth)
    except (OSError, ValueError) as e:
        print("check_redaction.py: %s" % e, file=sys.stderr)
        return 2
    planted = sum(1 for e in truth["items"] if e["kind"] == "planted")
    for path, line, ident, typ, form, text in leaks:
        print("%s:%d: %s %s appears unredacted (%s): %s" % (path, line, ident, typ, form, text))
    print("check_redaction.py: %d file(s), %d planted items: %s" % (
        len(args.files), planted, "%d leak(s)" % len(leaks) if leaks else "nothing leaked"), file=sys.stderr)
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
