#!/usr/bin/env python3
"""Checks Patterns/content/*.yaml the way the engine will run them.

For every rule: required fields, id uniqueness over all files, id prefix ==
category, known severity / validator names, window and digit limits, the
regex compiles with PCRE2 (8-bit, no UTF, the library the engine links), and
every example string goes through a simulation of the engine:

  1. prefilter   keywords: every case-insensitive occurrence of a keyword;
                 digits: every maximal run of digits (a single ' ', '-' or '.'
                 allowed between two digits) holding the declared digit count;
  2. window      the regex runs from hit.start - before to hit.end + after:
                 pcre2_match gets the whole buffer (so lookbehinds see what is
                 before the window) with length = window end and start offset
                 = window start, so nothing past the window can be matched;
  3. value       the capture group `group` (0 = whole match);
  4. allow       exact values and patterns (pattern searched in the value);
  5. validator   a Python twin of the Swift validator named in the rule
                 (same rules as /work/scan-brief.md describes);
  6. min_entropy Shannon bits per byte of the value;
  7. context     require: a word within `distance` bytes either side of the
                 match (case-insensitive), else no finding.

A `match` example must give at least one finding, a `no_match` example none.

    python3 scripts/content-rules/check_rules.py [Patterns/content] [-v] [--rule ID]

-v prints, for each no_match example, the stage that stopped it, which is
how to tell a regex that is too loose (stopped only by a validator) from one
that is right.  --cross runs every rule on every other rule's examples and
lists the overlaps (one string, two rules), which show double reporting.
--window-only runs each regex on the window's bytes alone (an engine that
does not show PCRE2 the bytes before the window); the built-in examples give
the same results either way.  --decoys FILE runs every rule on each line of FILE (one string a line, "\n"
escapes allowed) and lists what fires.  Exit status 1 when anything fails.
"""
import ctypes
import ctypes.util
import glob
import json
import base64
import math
import os
import re
import sys

import yaml

# --- PCRE2 through ctypes -------------------------------------------------------

_lib = ctypes.CDLL(ctypes.util.find_library("pcre2-8") or "libpcre2-8.so.0")
_lib.pcre2_compile_8.restype = ctypes.c_void_p
_lib.pcre2_compile_8.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint32,
                                 ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p]
_lib.pcre2_match_data_create_from_pattern_8.restype = ctypes.c_void_p
_lib.pcre2_match_data_create_from_pattern_8.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
_lib.pcre2_match_8.restype = ctypes.c_int
_lib.pcre2_match_8.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_size_t,
                               ctypes.c_uint32, ctypes.c_void_p, ctypes.c_void_p]
_lib.pcre2_get_ovector_pointer_8.restype = ctypes.POINTER(ctypes.c_size_t)
_lib.pcre2_get_ovector_pointer_8.argtypes = [ctypes.c_void_p]
_lib.pcre2_get_error_message_8.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
_lib.pcre2_pattern_info_8.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p]
_lib.pcre2_jit_compile_8.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
PCRE2_INFO_CAPTURECOUNT = 4
PCRE2_JIT_COMPLETE = 1
PCRE2_UNSET = ctypes.c_size_t(-1).value
PCRE2_NO_UTF_CHECK = 0x40000000


class Regex:
    def __init__(self, pattern):
        err = ctypes.c_int()
        off = ctypes.c_size_t()
        raw = pattern.encode("latin-1")
        self.code = _lib.pcre2_compile_8(raw, len(raw), 0, ctypes.byref(err), ctypes.byref(off), None)
        if not self.code:
            buf = ctypes.create_string_buffer(256)
            _lib.pcre2_get_error_message_8(err.value, buf, 256)
            raise ValueError("offset %d: %s" % (off.value, buf.value.decode()))
        n = ctypes.c_uint32()
        _lib.pcre2_pattern_info_8(self.code, PCRE2_INFO_CAPTURECOUNT, ctypes.byref(n))
        self.groups = n.value
        self.jit = _lib.pcre2_jit_compile_8(self.code, PCRE2_JIT_COMPLETE) == 0
        self.md = _lib.pcre2_match_data_create_from_pattern_8(self.code, None)

    def finditer(self, subject, start=0, end=None):
        """Matches wholly inside subject[start:end]; lookbehind sees subject[:start]."""
        end = len(subject) if end is None else end
        pos = start
        while pos <= end:
            rc = _lib.pcre2_match_8(self.code, subject, end, pos, 0, self.md, None)
            if rc < 0:
                return
            ov = _lib.pcre2_get_ovector_pointer_8(self.md)
            spans = []
            for g in range(self.groups + 1):
                a, b = ov[2 * g], ov[2 * g + 1]
                spans.append(None if a == PCRE2_UNSET else (a, b))
            yield spans
            s, e = spans[0]
            pos = e if e > s else e + 1

    def search(self, subject):
        for spans in self.finditer(subject):
            return spans
        return None


# --- validators (Python twins of Sources/Scanning/Validators) --------------------

def _digits(v, seps=b" -"):
    out = bytearray()
    for c in v:
        if 48 <= c <= 57:
            out.append(c)
        elif c in seps:
            continue
        else:
            return None
    return out.decode()


def _luhn(n):
    total = 0
    for i, ch in enumerate(reversed(n)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def v_payment_card(v):
    n = _digits(v)
    if not n or not 12 <= len(n) <= 19 or not _luhn(n):
        return False
    L, p2, p3, p4, p6 = len(n), int(n[:2]), int(n[:3]), int(n[:4]), int(n[:6])
    if n[0] == "4":
        return L in (13, 16, 19)
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return L == 16
    if p2 in (34, 37):
        return L == 15
    if p4 == 6011 or 644 <= p3 <= 649 or p2 == 65 or 622126 <= p6 <= 622925:
        return 16 <= L <= 19
    if 300 <= p3 <= 305 or p2 in (36, 38, 39):
        return 14 <= L <= 19
    if 3528 <= p4 <= 3589:
        return 16 <= L <= 19
    if p2 == 62:
        return 16 <= L <= 19
    if p2 in (50, 56, 57, 58) or n[0] == "6":
        return 12 <= L <= 19
    return False


IBAN_LEN = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}


def v_iban(v):
    s = v.replace(b" ", b"").decode("latin-1")
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+", s) or IBAN_LEN.get(s[:2]) != len(s):
        return False
    return int("".join(str(int(c, 36)) for c in s[4:] + s[:4])) % 97 == 1


def v_us_ssn(v):
    s = v.decode("latin-1")
    m = re.fullmatch(r"(\d{3})-?(\d{2})-?(\d{4})|(\d{3}) (\d{2}) (\d{4})", s)
    if not m:
        return False
    a, g, n = [x for x in m.groups() if x is not None]
    return a not in ("000", "666") and a[0] != "9" and g != "00" and n != "0000"


def v_aba(v):
    n = _digits(v, b"")
    if not n or len(n) != 9:
        return False
    p = int(n[:2])
    if not (p <= 12 or 21 <= p <= 32 or 61 <= p <= 72 or p == 80):
        return False
    w = [3, 7, 1] * 3
    return sum(int(d) * w[i] for i, d in enumerate(n)) % 10 == 0


def v_uk_nino(v):
    s = v.replace(b" ", b"").decode("latin-1").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{6}[A-D]", s):
        return False
    if s[0] in "DFIQUV" or s[1] in "DFIOQUV" or s[:2] in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"):
        return False
    return True


def v_ca_sin(v):
    n = _digits(v)
    return bool(n) and len(n) == 9 and n[0] not in "08" and _luhn(n)


_VD = [[0,1,2,3,4,5,6,7,8,9],[1,2,3,4,0,6,7,8,9,5],[2,3,4,0,1,7,8,9,5,6],[3,4,0,1,2,8,9,5,6,7],
       [4,0,1,2,3,9,5,6,7,8],[5,9,8,7,6,0,4,3,2,1],[6,5,9,8,7,1,0,4,3,2],[7,6,5,9,8,2,1,0,4,3],
       [8,7,6,5,9,3,2,1,0,4],[9,8,7,6,5,4,3,2,1,0]]
_VP = [[0,1,2,3,4,5,6,7,8,9],[1,5,7,6,2,8,3,0,9,4],[5,8,0,3,7,9,6,1,4,2],[8,9,1,6,0,4,3,5,2,7],
       [9,4,5,3,1,2,6,8,7,0],[4,2,8,6,5,7,3,9,0,1],[2,7,9,3,8,0,6,4,1,5],[7,0,4,6,9,1,3,2,5,8]]


def v_aadhaar(v):
    n = _digits(v)
    if not n or len(n) != 12 or n[0] in "01":
        return False
    c = 0
    for i, ch in enumerate(reversed(n)):
        c = _VD[c][_VP[i % 8][int(ch)]]
    return c == 0


def v_nanp(v):
    n = re.sub(rb"[^0-9]", b"", v).decode()
    if len(n) == 11 and n[0] == "1":
        n = n[1:]
    if len(n) != 10:
        return False
    npa, nxx, line = n[:3], n[3:6], n[6:]
    if npa[0] in "01" or nxx[0] in "01" or npa[1:] == "11":
        return False
    if nxx == "555" and line.startswith("01"):
        return False
    return True


E164_CC = set("1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98".split())
E164_CC |= {str(x) for x in list(range(210, 300)) + list(range(350, 390)) + list(range(420, 424))
            + list(range(500, 510)) + list(range(590, 600)) + list(range(670, 700)) + list(range(850, 890))
            + list(range(960, 999))}


def v_e164(v):
    s = v.decode("latin-1")
    if not re.fullmatch(r"\+[1-9]\d{7,14}", s):
        return False
    d = s[1:]
    return any(d[:k] in E164_CC for k in (1, 2, 3))


RESERVED = re.compile(r"(^|\.)(example|test|invalid|localhost)$|(^|\.)example\.(com|net|org)$", re.I)


def v_email(v):
    s = v.decode("latin-1")
    if s.count("@") != 1:
        return False
    local, domain = s.split("@")
    if not 1 <= len(local) <= 64 or len(domain) > 253:
        return False
    labels = domain.split(".")
    if len(labels) < 2 or not re.fullmatch(r"[A-Za-z]{2,63}", labels[-1]):
        return False
    if any(not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?", l) for l in labels):
        return False
    return not RESERVED.search(domain)


def _b64url_decode(s):
    s += "=" * (-len(s) % 4)
    return base64.urlsafe_b64decode(s)


def v_jwt(v):
    parts = v.decode("latin-1").split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(_b64url_decode(parts[0]))
        _b64url_decode(parts[1])
    except Exception:
        return False
    return isinstance(h, dict) and "alg" in h


def v_pem(v):
    s = v.decode("latin-1").replace("\\r", "").replace("\\n", "\n")
    m = re.fullmatch(r"-----BEGIN ([A-Z0-9 ]+)-----\r?\n(.*?)\r?\n-----END \1-----", s, re.S)
    if not m or not m.group(1).endswith(("PRIVATE KEY", "PRIVATE KEY BLOCK")):
        return False
    body = [l.strip() for l in m.group(2).split("\n")]
    body = [l for l in body if l and ":" not in l and not l.startswith("=")]
    if not body:
        return False
    try:
        base64.b64decode("".join(body), validate=True)
    except Exception:
        return False
    return True


B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def v_base62_crc32(v):
    import binascii
    s = v.decode("latin-1")
    m = re.fullmatch(r"(?:gh[pousr]_|npm_)([A-Za-z0-9]{30})([A-Za-z0-9]{6})", s)
    if not m:
        return False
    n = binascii.crc32(m.group(1).encode()) & 0xFFFFFFFF
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(6, "0") == m.group(2)


def v_luhn(v):
    n = _digits(v)
    return bool(n) and _luhn(n)


VALIDATORS = {
    "payment-card": v_payment_card, "iban": v_iban, "us-ssn": v_us_ssn, "aba-routing": v_aba,
    "uk-nino": v_uk_nino, "ca-sin": v_ca_sin, "in-aadhaar": v_aadhaar, "nanp-phone": v_nanp,
    "e164-phone": v_e164, "email": v_email, "jwt": v_jwt, "pem": v_pem,
    "base62-crc32": v_base62_crc32, "luhn": v_luhn,
}


def entropy(b):
    if not b:
        return 0.0
    counts = {}
    for c in b:
        counts[c] = counts.get(c, 0) + 1
    n = len(b)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


# --- prefilter ------------------------------------------------------------------

def keyword_hits(data, keywords):
    low = data.lower()
    for kw in keywords:
        k = kw.lower().encode("utf-8")
        i = low.find(k)
        while i >= 0:
            yield i, i + len(k)
            i = low.find(k, i + 1)


def digit_runs(data, lo, hi):
    """Maximal runs of digits with single ' ', '-' or '.' between digits."""
    i, n = 0, len(data)
    while i < n:
        if not 48 <= data[i] <= 57:
            i += 1
            continue
        start, count, j = i, 0, i
        end = i
        while j < n:
            if 48 <= data[j] <= 57:
                count += 1
                j += 1
                end = j
            elif data[j] in b" -." and j + 1 < n and 48 <= data[j + 1] <= 57:
                j += 1
            else:
                break
        if lo <= count <= hi:
            yield start, end
        i = end


# --- the rule model -----------------------------------------------------------------

SEVERITIES = {"info", "low", "medium", "high", "critical"}
MAX_WINDOW = 4096
MAX_DIGITS = 40
REQUIRED = ["id", "category", "severity", "description", "regex", "remediation", "examples"]
KNOWN = set(REQUIRED) | {"group", "keywords", "trigger", "digits", "window", "validator", "min_entropy",
                         "context", "allow", "redact", "references"}


class Rule:
    def __init__(self, d, where):
        self.d, self.where = d, where
        self.id = d.get("id")
        self.errors = []
        for f in REQUIRED:
            if f not in d:
                self.errors.append("missing field %s" % f)
        for f in d:
            if f not in KNOWN:
                self.errors.append("unknown field %s" % f)
        if self.errors:
            return
        if not re.fullmatch(r"(pii|secret)\.[a-z0-9]+(-[a-z0-9]+)*", self.id):
            self.errors.append("bad id")
        if self.id.split(".")[0] != d["category"]:
            self.errors.append("id prefix != category")
        if d["severity"] not in SEVERITIES:
            self.errors.append("bad severity")
        try:
            self.rx = Regex(d["regex"])
        except ValueError as e:
            self.errors.append("regex: %s" % e)
            return
        self.group = d.get("group", 0)
        if self.group > self.rx.groups:
            self.errors.append("group %d > %d groups" % (self.group, self.rx.groups))
        if ("keywords" in d) == (d.get("trigger") == "digits"):
            self.errors.append("need exactly one of keywords / trigger: digits")
        self.keywords = d.get("keywords")
        if self.keywords is not None:
            for k in self.keywords:
                if len(k.encode()) < 3 and k != "@":
                    self.errors.append("keyword %r shorter than 3 bytes" % k)
        if d.get("trigger") == "digits":
            lo, hi = d["digits"]
            if not 1 <= lo <= hi <= MAX_DIGITS:
                self.errors.append("digits out of range")
            self.digits = (lo, hi)
        self.before, self.after = d.get("window", [0, 128])
        if not (0 <= self.before <= MAX_WINDOW and 0 <= self.after <= MAX_WINDOW):
            self.errors.append("window over %d" % MAX_WINDOW)
        self.validator = d.get("validator")
        if self.validator and self.validator not in VALIDATORS:
            self.errors.append("unknown validator %s" % self.validator)
        self.min_entropy = d.get("min_entropy")
        ctx = d.get("context")
        self.ctx = None
        if ctx:
            if ctx.get("effect") not in ("require", "raise") or not ctx.get("words"):
                self.errors.append("bad context")
            self.ctx = ([w.lower().encode() for w in ctx["words"]], ctx.get("distance", 64), ctx["effect"])
        allow = d.get("allow") or {}
        self.allow_values = {str(x).encode() for x in allow.get("values", [])}
        self.allow_patterns = []
        for p in allow.get("patterns", []):
            try:
                self.allow_patterns.append(Regex(p))
            except ValueError as e:
                self.errors.append("allow pattern %r: %s" % (p, e))
        red = d.get("redact")
        if red is not None and not (isinstance(red, list) and len(red) == 2 and all(isinstance(x, int) for x in red)):
            self.errors.append("redact must be [start, end]")
        ex = d["examples"]
        self.match = ex.get("match") or []
        self.no_match = ex.get("no_match") or []
        if len(self.match) < 2:
            self.errors.append("fewer than 2 match examples")
        if len(self.no_match) < 3:
            self.errors.append("fewer than 3 no_match examples")

    def hits(self, data):
        if self.keywords is not None:
            return keyword_hits(data, self.keywords)
        return digit_runs(data, *self.digits)

    def scan(self, text):
        """(findings, furthest stage reached by any candidate)."""
        data = text.encode("utf-8")
        stages = ["no prefilter hit"]
        findings, seen = [], set()
        for hs, he in self.hits(data):
            stages.append("regex")
            ws, we = max(0, hs - self.before), min(len(data), he + self.after)
            if WINDOW_ONLY:
                # the engine hands PCRE2 the window alone: nothing before it is visible
                matches = [[None if sp is None else (sp[0] + ws, sp[1] + ws) for sp in m]
                           for m in self.rx.finditer(data[ws:we])]
            else:
                matches = self.rx.finditer(data, ws, we)
            for spans in matches:
                if spans[0] in seen:
                    continue
                seen.add(spans[0])
                vs = spans[self.group]
                if vs is None:
                    continue
                value = data[vs[0]:vs[1]]
                stages.append("allow")
                if value in self.allow_values or any(p.search(value) for p in self.allow_patterns):
                    continue
                stages.append("validator")
                if self.validator and not VALIDATORS[self.validator](value):
                    continue
                stages.append("min_entropy")
                if self.min_entropy is not None and entropy(value) < self.min_entropy:
                    continue
                stages.append("context")
                if self.ctx and self.ctx[2] == "require":
                    ms, me = spans[0]
                    low = data[max(0, ms - self.ctx[1]):me + self.ctx[1]].lower()
                    if not any(w in low for w in self.ctx[0]):
                        continue
                findings.append(value)
        order = ["no prefilter hit", "regex", "allow", "validator", "min_entropy", "context"]
        furthest = max(stages, key=order.index)
        return findings, furthest


WINDOW_ONLY = "--window-only" in sys.argv


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    if "--decoys" in sys.argv:
        args.remove(sys.argv[sys.argv.index("--decoys") + 1])
    verbose = "-v" in sys.argv
    only = None
    if "--rule" in sys.argv:
        only = sys.argv[sys.argv.index("--rule") + 1]
        args = [a for a in args if a != only]
    root = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "Patterns", "content")
    files = sorted(glob.glob(os.path.join(root, "*.yaml")))
    ids, failures, count = {}, 0, 0
    all_rules = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        rules = doc.get("rules") or []
        print("%s: %d rules" % (os.path.basename(path), len(rules)))
        for i, d in enumerate(rules):
            r = Rule(d, path)
            all_rules.append(r)
            count += 1
            if r.id in ids:
                r.errors.append("duplicate id (also in %s)" % ids[r.id])
            ids[r.id] = os.path.basename(path)
            if only and r.id != only:
                continue
            if not r.errors:
                for ex in r.match:
                    found, stage = r.scan(ex)
                    if not found:
                        r.errors.append("match example gives nothing (stopped at %s): %r" % (stage, ex[:120]))
                for ex in r.no_match:
                    found, stage = r.scan(ex)
                    if found:
                        r.errors.append("no_match example finds %r: %r" % (found[0][:60], ex[:120]))
                    elif verbose:
                        print("   %-34s no_match stopped at %-16s %r" % (r.id, stage, ex[:70]))
            if r.errors:
                failures += 1
                print("FAIL %s" % r.id)
                for e in r.errors:
                    print("     " + e)
            elif verbose:
                print("ok   %s%s" % (r.id, "" if r.rx.jit else " (no JIT)"))
    if "--cross" in sys.argv:
        for r in all_rules:
            for ex in r.match + r.no_match:
                others = [o.id for o in all_rules if o is not r and not o.errors and o.scan(ex)[0]]
                if others:
                    print("cross %-34s %s <- %r" % (r.id, ",".join(others), ex[:80]))
    if "--decoys" in sys.argv:
        path = sys.argv[sys.argv.index("--decoys") + 1]
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n").replace("\\n", "\n")
                if not line:
                    continue
                hits = [(o.id, o.scan(line)[0]) for o in all_rules if not o.errors]
                hits = [(i, v) for i, v in hits if v]
                for i, v in hits:
                    print("decoy %-34s %r <- %r" % (i, v[0][:40], line[:80]))
    print("%d rules, %d failing" % (count, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
