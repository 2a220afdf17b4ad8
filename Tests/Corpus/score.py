#!/usr/bin/env python3
"""Scores PlainSight's pii/secret findings on the content corpus against its truth file.

    plainsight read content-corpus.pcap --reveal > findings.jsonl
    python3 Tests/Corpus/score.py content-corpus.pcap content-corpus.truth.json findings.jsonl
    python3 Tests/Corpus/score.py ... --json            # machine-readable result
    python3 Tests/Corpus/score.py --self-test           # checks this scorer and check_redaction.py

A finding (category pii or secret) counts for a planted item when it names
the item's server endpoint (transport, ip, port) and direction, its rule is
one of the item's acceptable rule ids (truth "rules", plus --alias), and its
evidence is the item's value compared as the item's "match" says:
  exact         the same string
  exact-ci      the same string ignoring case (emails)
  digits        the same digits (separators, '+' and brackets ignored: cards, SSN, phones, ...)
  compact       the same without spaces, ignoring case (IBAN, NINO)
  pem           the evidence (line ends normalised) is part of the block and holds its BEGIN line
  alternatives  the value or one of the listed alternatives (password in a URL: whole URL, user:pass, pass)
Each planted value is unique, and the engine reports one finding per (rule,
value, server endpoint), so a second finding for an item already found is a
false positive ("duplicate"). Any other finding is a false positive, named by
why: a decoy, the right value under a rule not accepted for it, the wrong
direction or flow, a fragment of a value (a match cut short by a chunk
header or a soft line break), or nothing planted at all.

Precision = matched findings / all pii+secret findings; recall = items found /
items planted, overall and per type. Exit status: 0 when overall precision
>= 0.97, overall recall >= 0.95 and every type's recall >= 0.90 (change with
--min-precision, --min-recall, --min-type-recall); 1 below a target; 2 on bad
input (unreadable files, a truth file for another capture, findings written
without --reveal).
Values are shown shortened unless --show-values (they are fake, but the
habit is the point).
"""
import argparse
import base64
import hashlib
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

SCORED_CATEGORIES = ("pii", "secret")
LISTED = 60  # misses and false positives listed in the Markdown output
TARGETS = {"precision": 0.97, "recall": 0.95, "type_recall": 0.90}


class InputError(Exception):
    pass


# ------------------------------------------------------------------ matching
def normalise(mode, s):
    s = s.strip()
    if mode == "digits":
        return "".join(ch for ch in s if ch.isdigit())
    if mode == "compact":
        return s.replace(" ", "").upper()
    if mode == "exact-ci":
        return s.lower()
    if mode == "pem":
        return s.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\r\n", "\n").strip()
    return s


def value_matches(entry, evidence):
    mode = entry["match"]
    if mode == "pem":
        e, v = normalise("pem", evidence), normalise("pem", entry["value"])
        return "-----BEGIN" in e and e in v
    if mode == "alternatives":
        return evidence.strip() in [entry["value"]] + entry.get("alternatives", [])
    return normalise(mode, evidence) == normalise(mode, entry["value"])


def decoy_matches(entry, evidence):
    """A decoy is named by a finding holding it, part of it (>= 6 characters) or its digits."""
    e, v = evidence.strip(), entry["value"]
    if e == v or (len(e) >= 6 and e in v) or (len(v) >= 6 and v in e):
        return True
    de, dv = normalise("digits", e), normalise("digits", v)
    return len(dv) >= 6 and de == dv


def is_fragment(entry, evidence):
    """A piece of the entry's value (a match cut short by a chunk header or a soft line break, or an
    email-shaped piece of a URL with a password)."""
    mode = entry["match"] if entry["match"] in ("digits", "compact") else "exact"
    e, v = normalise(mode, evidence), normalise(mode, entry["value"])
    return len(e) >= 4 and e in v


def endpoint(flow):
    return (flow.get("transport"), flow["server"]["ip"], int(flow["server"]["port"]))


def shown(value, reveal):
    if reveal or len(value) <= 6:
        return value if reveal else value[:1] + "*" * max(0, len(value) - 1)
    return "%s…%s (%d chars)" % (value[:3], value[-2:], len(value))


# ------------------------------------------------------------------- loading
def load_truth(path, capture=None):
    try:
        truth = json.load(open(path))
    except (OSError, ValueError) as e:
        raise InputError("truth %s: %s" % (path, e))
    if capture is not None:
        try:
            digest = hashlib.sha256(open(capture, "rb").read()).hexdigest()
        except OSError as e:
            raise InputError("capture %s: %s" % (capture, e))
        if digest != truth.get("capture_sha256"):
            raise InputError("%s is not the capture %s describes (sha256 differs): regenerate both together"
                             % (capture, path))
    return truth


def load_findings(path):
    out = []
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError as e:
        raise InputError("findings %s: %s" % (path, e))
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            raise InputError("%s:%d: not JSON (run plainsight with --format json)" % (path, n))
        if rec.get("type") == "finding" and rec.get("category") in SCORED_CATEGORIES:
            out.append(rec)
    redacted = [f for f in out if "*" in str(f.get("evidence", ""))]
    if out and len(redacted) * 2 > len(out):
        raise InputError("%s: %d of %d findings have redacted evidence: score findings written with --reveal"
                         % (path, len(redacted), len(out)))
    return out


# ------------------------------------------------------------------- scoring
def score(truth, findings, aliases=(), reveal=False, targets=TARGETS):
    """The result document (see --json)."""
    items = truth["items"]
    planted = [e for e in items if e["kind"] == "planted"]
    alias = {}
    for a in aliases:
        rule, _, typ = a.partition("=")
        alias.setdefault(typ, set()).add(rule)
    rule_type = {}
    for t, spec in truth["types"].items():
        for rule in list(spec["rules"]) + sorted(alias.get(t, ())):
            rule_type.setdefault(rule, t)

    def accepted(rule, entry):
        return rule in entry["rules"] or rule in alias.get(entry["type"], ())

    by_server = {}
    for e in items:
        if e["flow"]:
            by_server.setdefault(endpoint(e["flow"]), []).append(e)
    found = {}  # item id -> finding index
    false_positives = []
    normalised_matches = 0
    for k, f in enumerate(findings):
        ev, rule, direction = str(f.get("evidence", "")), f.get("rule", ""), f.get("direction")
        here = by_server.get(endpoint(f["flow"]), [])
        cands = [e for e in here if e["kind"] == "planted" and value_matches(e, ev)]
        good = [e for e in cands if accepted(rule, e) and e["direction"] == direction]
        reason = None
        if good:
            fresh = [e for e in good if e["id"] not in found]
            if fresh:
                found[fresh[0]["id"]] = k
                if ev.strip() != fresh[0]["value"]:
                    normalised_matches += 1
                continue
            reason = "duplicate of %s" % good[0]["id"]
        elif cands:
            e = cands[0]
            reason = ("rule not accepted for %s %s" % (e["type"], e["id"]) if not accepted(rule, e)
                      else "direction %s, planted %s (%s)" % (direction, e["direction"], e["id"]))
        else:
            decoys = [e for e in here if e["kind"] == "decoy" and decoy_matches(e, ev)]
            if decoys:
                reason = decoys[0]["type"] + " (%s)" % decoys[0]["id"]
            else:
                part_of = [e for e in here if is_fragment(e, ev)]
                elsewhere = [e for e in items if e["kind"] == "planted" and value_matches(e, ev)]
                reason = ("fragment of %s %s (%s)" % (part_of[0]["kind"], part_of[0]["type"], part_of[0]["id"])
                          if part_of else "planted in another flow (%s)" % elsewhere[0]["id"] if elsewhere
                          else "not planted")
        false_positives.append({
            "rule": rule, "type": rule_type.get(rule, rule), "evidence": shown(ev, reveal),
            "server": "%s %s:%s" % endpoint(f["flow"]), "direction": direction, "reason": reason})

    def ratio(a, b):
        return round(a / b, 4) if b else None

    types = {}
    for t in truth["types"]:
        sel = [e for e in planted if e["type"] == t]
        tp = sum(1 for e in sel if e["id"] in found)
        fp = sum(1 for x in false_positives if x["type"] == t)
        types[t] = {"planted": len(sel), "found": tp, "recall": ratio(tp, len(sel)), "false_positives": fp,
                    "precision": ratio(tp, tp + fp)}
    for x in false_positives:
        if x["type"] not in types:
            types.setdefault(x["type"], {"planted": 0, "found": 0, "recall": None, "false_positives": 0,
                                         "precision": 0.0})
            types[x["type"]]["false_positives"] += 1
    carriers = {}
    for e in planted:
        key = "%s / %s" % (e["carrier"]["protocol"], "+".join(e["carrier"]["encoding"]))
        c = carriers.setdefault(key, {"planted": 0, "found": 0})
        c["planted"] += 1
        c["found"] += e["id"] in found
    for c in carriers.values():
        c["recall"] = ratio(c["found"], c["planted"])
    facts = {}
    for fact in ("split", "out_of_order", "retransmitted", "one_byte_segments"):
        sel = [e for e in planted if e.get(fact)]
        facts[fact] = {"planted": len(sel), "found": sum(e["id"] in found for e in sel),
                       "recall": ratio(sum(e["id"] in found for e in sel), len(sel))}
    sel = [e for e in planted if not e.get("raw_visible")]
    facts["not_whole_on_the_wire"] = {"planted": len(sel), "found": sum(e["id"] in found for e in sel),
                             "recall": ratio(sum(e["id"] in found for e in sel), len(sel))}
    tp = len(found)
    overall = {"planted": len(planted), "found": tp, "recall": ratio(tp, len(planted)),
               "findings": len(findings), "false_positives": len(false_positives),
               "precision": ratio(tp, len(findings)), "normalised_matches": normalised_matches}
    failures = []
    if overall["precision"] is None or overall["precision"] < targets["precision"]:
        failures.append("overall precision %s < %.2f" % (overall["precision"], targets["precision"]))
    if overall["recall"] is None or overall["recall"] < targets["recall"]:
        failures.append("overall recall %s < %.2f" % (overall["recall"], targets["recall"]))
    for t, v in types.items():
        if v["planted"] and v["recall"] < targets["type_recall"]:
            failures.append("%s recall %s < %.2f" % (t, v["recall"], targets["type_recall"]))
    missed = [{"id": e["id"], "type": e["type"], "value": shown(e["value"], reveal),
               "server": "%s %s:%s" % endpoint(e["flow"]), "direction": e["direction"],
               "carrier": e["carrier"], "split": e.get("split"), "out_of_order": e.get("out_of_order"),
               "raw_visible": e.get("raw_visible")} for e in planted if e["id"] not in found]
    return {"overall": overall, "types": types, "carriers": carriers, "segmentation": facts,
            "false_positives": false_positives, "missed": missed, "targets": targets,
            "pass": not failures, "failures": failures}


def fmt(x):
    return "–" if x is None else "%.3f" % x


def markdown(result):
    out = ["| Type | Planted | Found | Recall | False positives | Precision |", "|---|---:|---:|---:|---:|---:|"]
    for t, v in sorted(result["types"].items()):
        out.append("| %s | %d | %d | %s | %d | %s |" % (t, v["planted"], v["found"], fmt(v["recall"]),
                                                        v["false_positives"], fmt(v["precision"])))
    o = result["overall"]
    out.append("| **overall** | **%d** | **%d** | **%s** | **%d** | **%s** |" % (
        o["planted"], o["found"], fmt(o["recall"]), o["false_positives"], fmt(o["precision"])))
    out += ["", "| Carrier / encoding | Planted | Found | Recall |", "|---|---:|---:|---:|"]
    for k, v in sorted(result["carriers"].items()):
        out.append("| %s | %d | %d | %s |" % (k, v["planted"], v["found"], fmt(v["recall"])))
    out += ["", "| Delivery | Planted | Found | Recall |", "|---|---:|---:|---:|"]
    for k, v in result["segmentation"].items():
        out.append("| %s | %d | %d | %s |" % (k.replace("_", " "), v["planted"], v["found"], fmt(v["recall"])))
    if result["false_positives"]:
        out += ["", "False positives:"]
        for x in result["false_positives"][:LISTED]:
            out.append("- %s %s at %s %s: %s" % (x["rule"], x["evidence"], x["server"], x["direction"], x["reason"]))
        if len(result["false_positives"]) > LISTED:
            out.append("- ... and %d more (--json lists all)" % (len(result["false_positives"]) - LISTED))
    if result["missed"]:
        out += ["", "Missed:"]
        if len(result["missed"]) > LISTED:
            out.append("- ... %d listed of %d (--json lists all)" % (LISTED, len(result["missed"])))
        for x in result["missed"][:LISTED]:
            c = x["carrier"]
            out.append("- %s %s %s at %s %s, %s %s (%s)%s%s" % (
                x["id"], x["type"], x["value"], x["server"], x["direction"], c["protocol"], c["field"],
                "+".join(c["encoding"]), ", split" if x["split"] else "", ", out of order" if x["out_of_order"] else ""))
    out.append("")
    out.append("PASS" if result["pass"] else "FAIL: " + "; ".join(result["failures"]))
    return "\n".join(out)


# ----------------------------------------------------------------- self-test
def synthetic_finding(entry, rule=None, evidence=None, direction=None):
    return {"type": "finding", "ts": "2024-12-05T10:00:00Z", "rule": rule or entry["rules"][0],
            "category": (rule or entry["rules"][0]).split(".")[0], "severity": "high",
            "flow": dict(entry["flow"], id="Cselftest"), "direction": direction or entry["direction"],
            "app": entry["carrier"]["protocol"], "message": "self-test", "evidence": evidence or entry["value"],
            "count": 1}


def write_jsonl(path, records):
    with open(path, "w") as f:
        for rec in records:
            f.write(json.dumps(rec) + "\n")


def self_test():
    import fakes
    import make_corpus
    import check_redaction

    assert fakes.self_test()
    tmp = tempfile.mkdtemp(prefix="corpus-selftest-")
    try:
        c, truth, problems = make_corpus.write(tmp)
        assert not problems, problems
        capture, truth_path = os.path.join(tmp, make_corpus.CAPTURE), os.path.join(tmp, make_corpus.TRUTH)
        c2, truth2, _ = make_corpus.write(os.path.join(tmp, "again"))
        assert open(capture, "rb").read() == open(os.path.join(tmp, "again", make_corpus.CAPTURE), "rb").read(), \
            "generation is not deterministic"
        truth = load_truth(truth_path, capture)
        planted = [e for e in truth["items"] if e["kind"] == "planted"]
        decoys = [e for e in truth["items"] if e["kind"] == "decoy"]
        for e in planted:
            assert e["flow"] and e["direction"] and e["carrier"], e["id"]
            if e["type"] in truth["types"] and truth["types"][e["type"]]["context_word"]:
                assert truth["types"][e["type"]]["context_word"] in e["label"].lower(), e["id"]

        # 1. A perfect run, with evidence in the other shapes the matcher accepts.
        perfect = []
        for k, e in enumerate(planted):
            ev = e["value"]
            if e["match"] == "digits" and k % 2:
                ev = "".join(ch for ch in ev if ch.isdigit())
            elif e["match"] == "pem" and k % 2:
                ev = "\n".join(ev.replace("\r\n", "\n").split("\n")[:3])
            elif e["match"] == "alternatives" and k % 2:
                ev = e["alternatives"][-1]
            perfect.append(synthetic_finding(e, evidence=ev))
        perfect.append({"type": "finding", "rule": "credential.http-bearer", "category": "credential",
                        "flow": planted[0]["flow"], "direction": "to_server", "evidence": "x"})  # not scored
        path = os.path.join(tmp, "perfect.jsonl")
        write_jsonl(path, perfect)
        r = score(truth, load_findings(path))
        assert r["pass"] and r["overall"]["recall"] == 1.0 and r["overall"]["precision"] == 1.0, r["failures"]
        assert r["overall"]["findings"] == len(planted)

        # 2. A bad run: one type never found, decoys reported, a duplicate, a wrong rule, a wrong direction,
        #    a value that was never planted.
        dropped = "in-aadhaar"
        bad = [synthetic_finding(e) for e in planted if e["type"] != dropped]
        kinds = sorted({e["type"] for e in decoys})
        decoy_findings = [synthetic_finding(dict(next(e for e in decoys if e["type"] == k),
                                                 rules=["pii.payment-card"])) for k in kinds]
        bad += decoy_findings
        email = next(e for e in planted if e["type"] == "email")
        bad.append(synthetic_finding(email, evidence=email["value"].upper()))            # duplicate (same value)
        jwt = next(e for e in planted if e["type"] == "jwt")
        bad.append(synthetic_finding(jwt, rule="secret.generic-api-key"))                 # wrong rule
        card = next(e for e in planted if e["type"] == "payment-card")
        bad.append(synthetic_finding(card, direction="to_client" if card["direction"] == "to_server"
                                     else "to_server"))                                    # wrong direction
        bad.append(synthetic_finding(card, evidence="4929 1234 5678 9014"))               # not planted
        bad.append(synthetic_finding(email, evidence=email["value"][3:]))                 # a fragment
        path = os.path.join(tmp, "bad.jsonl")
        write_jsonl(path, bad)
        r = score(truth, load_findings(path))
        n_dropped = sum(1 for e in planted if e["type"] == dropped)
        assert r["overall"]["found"] == len(planted) - n_dropped
        assert r["types"][dropped]["recall"] == 0.0 and not r["pass"]
        assert r["overall"]["false_positives"] == len(kinds) + 5, r["overall"]
        reasons = [x["reason"] for x in r["false_positives"]]
        assert sum(x.startswith("decoy:") for x in reasons) == len(kinds), reasons
        assert any(x.startswith("duplicate") for x in reasons)
        assert any(x.startswith("rule not accepted") for x in reasons)
        assert any(x.startswith("direction") for x in reasons)
        assert any(x == "not planted" for x in reasons)
        assert any(x.startswith("fragment of planted email") for x in reasons)
        assert any(f.startswith(dropped) for f in r["failures"])
        # --alias makes the other rule id count for the type (then the JWT is a duplicate, not a wrong rule).
        r2 = score(truth, load_findings(path), aliases=["secret.generic-api-key=jwt"])
        assert not any(x["reason"].startswith("rule not accepted") for x in r2["false_positives"])

        # 3. The thresholds. Recall: one item missed in each of 16 types passes (every type >= 0.9, overall
        #    >= 0.95); one missed in every type plus a few more fails overall. Precision: the most false
        #    positives 0.97 allows passes, one more fails.
        by_type = {}
        for e in planted:
            by_type.setdefault(e["type"], []).append(e)
        names = sorted(by_type, key=lambda t: -len(by_type[t]))
        for miss, should_pass in ((set(by_type[t][0]["id"] for t in names[:16]), True),
                                  (set(v[0]["id"] for v in by_type.values()) |
                                   set(by_type[t][1]["id"] for t in names[:4]), False)):
            write_jsonl(path, [synthetic_finding(e) for e in planted if e["id"] not in miss])
            r = score(truth, load_findings(path))
            assert r["pass"] == should_pass, (len(miss), r["overall"], r["failures"])
            assert should_pass or any(f.startswith("overall recall") for f in r["failures"])
        most = int(len(planted) / TARGETS["precision"] - len(planted) + 1e-9)
        for extra, should_pass in ((most, True), (most + 1, False)):
            noise = [synthetic_finding(card, evidence="9%015d" % n) for n in range(extra)]
            write_jsonl(path, [synthetic_finding(e) for e in planted] + noise)
            r = score(truth, load_findings(path))
            assert r["pass"] == should_pass, (extra, r["overall"], r["failures"])
        # 4. Redacted evidence is refused.
        write_jsonl(path, [synthetic_finding(e, evidence=e["value"][:2] + "****") for e in planted])
        try:
            load_findings(path)
            raise AssertionError("redacted findings accepted")
        except InputError:
            pass

        # 5. check_redaction: redacted output passes; a value, its digits, its base64 or a JSON-escaped
        #    PEM line fails.
        safe = [synthetic_finding(e, evidence=e["value"][:4] + "****" + e["value"][-4:]
                                  if len(e["value"]) >= 24 else "****" + e["value"][-2:]) for e in planted]
        write_jsonl(path, safe)
        assert check_redaction.check([path], truth) == []
        card_digits = "".join(ch for ch in card["value"] if ch.isdigit())
        pem = next(e for e in planted if e["type"] == "private-key")
        leaks = [("full value", jwt["value"]), ("digits", card_digits),
                 ("base64", base64.b64encode(email["value"].encode()).decode()),
                 ("json pem", json.dumps(pem["value"])[1:-1])]
        for what, text in leaks:
            write_jsonl(path, safe + [{"type": "log", "message": "oops " + text}])
            found = check_redaction.check([path], truth)
            assert found, what
        print("score.py self-test: %d planted items, %d decoys; perfect, bad, threshold, redacted-input and "
              "redaction checks behave" % (len(planted), len(decoys)))
    finally:
        shutil.rmtree(tmp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 2)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("capture", nargs="?")
    ap.add_argument("truth", nargs="?")
    ap.add_argument("findings", nargs="?", help="JSON Lines from plainsight read CAPTURE --reveal")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--alias", action="append", default=[], metavar="RULE=TYPE",
                    help="also accept RULE for TYPE (e.g. secret.aws-sigv4=aws-access-key-id)")
    ap.add_argument("--show-values", action="store_true", help="print values of misses and false positives whole")
    ap.add_argument("--min-precision", type=float, default=TARGETS["precision"])
    ap.add_argument("--min-recall", type=float, default=TARGETS["recall"])
    ap.add_argument("--min-type-recall", type=float, default=TARGETS["type_recall"])
    ap.add_argument("--self-test", action="store_true", help="check the scorer on synthetic findings")
    args = ap.parse_args()
    if args.self_test:
        self_test()
        return 0
    if not (args.capture and args.truth and args.findings):
        ap.error("CAPTURE TRUTH FINDINGS are required (or --self-test)")
    try:
        truth = load_truth(args.truth, args.capture)
        findings = load_findings(args.findings)
    except InputError as e:
        print("score.py: %s" % e, file=sys.stderr)
        return 2
    targets = {"precision": args.min_precision, "recall": args.min_recall, "type_recall": args.min_type_recall}
    result = score(truth, findings, args.alias, args.show_values, targets)
    print(json.dumps(result, indent=1) if args.json else markdown(result))
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
