#!/usr/bin/env python3
"""Writes the content corpus: a capture with planted fake PII and secrets and
decoys, and the truth file that says where each one is.

    python3 Tests/Corpus/make_corpus.py --out DIR            # DIR/content-corpus.pcap, DIR/content-corpus.truth.json
    python3 Tests/Corpus/make_corpus.py --out DIR --verify   # and check the capture with tshark
    python3 Tests/Corpus/make_corpus.py --out DIR --summary  # counts per type and carrier (Markdown)

Classic pcap, Ethernet/IPv4, TCP with full handshakes and FINs, UDP for
syslog; IPv4 and TCP checksums are correct. The carriers are HTTP/1.1
(headers, query strings, JSON, url-encoded forms, multipart uploads, chunked
and gzip/deflate bodies, both directions), SMTP DATA with MIME
(quoted-printable and base64 parts, attachments), FTP control with PASV data
connections both ways, a Telnet session (items in the server's output, part
of it one byte per segment), syslog over UDP 514, a line-based JSON protocol
on TCP 7777 (both directions, heavily segmented), and one TLS flow whose
encrypted records hold card-number-looking bytes (never to be scanned).
Segments are cut at random points and inside planted values, some delivered
out of order, some retransmitted whole or overlapping.

Deterministic: the same seed gives the same bytes (gzip with mtime 0; only
the system zlib's deflate output could differ between zlib versions).
Standard library only; the frame helpers come from Fuzz/make_corpus.py.
"""
import argparse
import base64
import gzip
import hashlib
import importlib.util
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fakes  # noqa: E402


def _frame_helpers():
    """ether/ipv4/tcp/udp/csum of Fuzz/make_corpus.py (loaded under another name: same file name as this one)."""
    path = os.path.join(HERE, "..", "..", "Fuzz", "make_corpus.py")
    spec = importlib.util.spec_from_file_location("fuzz_make_corpus", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


frames = _frame_helpers()

SEED = 5
CAPTURE = "content-corpus.pcap"
TRUTH = "content-corpus.truth.json"
START_US = 1733392800 * 1_000_000  # 2024-12-05T10:00:00Z

# ----------------------------------------------------------------- the types
# rules: the rule ids a finding may carry to count for the type (the first is
# the one the rule files are expected to use; score.py --alias adds more).
# context: the word placed near every value of the type (rules may require
# it); every label of such a type contains it.
# match: how score.py compares evidence with the value (see score.py).
TYPES = {
    "payment-card": dict(rules=["pii.payment-card", "pii.credit-card"], context=None, match="digits",
                         labels=["card_number", "card", "pan", "cc_number", "payment_card"],
                         formats=["plain", "space", "dash"]),
    "email": dict(rules=["pii.email", "pii.email-address"], context=None, match="exact-ci",
                  labels=["email", "contact_email", "user", "reply_to", "owner_email"], formats=["plain"]),
    "us-ssn": dict(rules=["pii.us-ssn", "pii.us-ssn-plain"], context="ssn", match="digits",
                   labels=["ssn", "SSN", "customer_ssn", "applicant_ssn"], formats=["dash", "plain"]),
    "iban": dict(rules=["pii.iban"], context=None, match="compact",
                 labels=["iban", "IBAN", "payout_iban", "account_iban"], formats=["plain", "space"]),
    "phone-e164": dict(rules=["pii.phone-e164", "pii.e164-phone", "pii.phone-number", "pii.phone"], context="phone",
                       match="digits", labels=["phone", "Phone", "mobile_phone", "phone_number"],
                       formats=["plain", "space"]),
    "phone-nanp": dict(rules=["pii.phone-nanp", "pii.nanp-phone", "pii.us-phone", "pii.phone-number", "pii.phone"],
                       context="phone", match="digits", labels=["phone", "Phone", "work_phone", "phone_number"],
                       formats=["paren", "dash", "dot"]),
    "uk-nino": dict(rules=["pii.uk-nino"], context="nino", match="compact",
                    labels=["nino", "NINO", "employee_nino"], formats=["plain", "space"]),
    "ca-sin": dict(rules=["pii.ca-sin"], context="sin", match="digits",
                   labels=["sin", "SIN", "employee_sin"], formats=["space", "dash", "plain"]),
    "in-aadhaar": dict(rules=["pii.in-aadhaar"], context="aadhaar", match="digits",
                       labels=["aadhaar", "Aadhaar", "aadhaar_no"], formats=["space", "plain"]),
    "aba-routing": dict(rules=["pii.aba-routing", "pii.us-aba-routing"], context="routing", match="digits",
                        labels=["routing_number", "routing", "aba_routing", "Routing number"], formats=["plain"]),
    "aws-access-key-id": dict(rules=["secret.aws-access-key-id"], context=None, match="exact",
                              labels=["aws_access_key_id", "AWS_ACCESS_KEY_ID", "access_key", "accessKeyId"],
                              formats=["AKIA", "AKIA", "AKIA", "ASIA"]),
    "aws-secret-access-key": dict(rules=["secret.aws-secret-access-key"], context="aws_secret_access_key",
                                  match="exact", labels=["aws_secret_access_key", "AWS_SECRET_ACCESS_KEY"],
                                  formats=["plain"]),
    "github-token": dict(rules=["secret.github-token", "secret.github-pat", "secret.github-classic-token"],
                         context=None, match="exact", labels=["github_token", "GITHUB_TOKEN", "token", "gh_pat"],
                         formats=["plain"]),
    "npm-token": dict(rules=["secret.npm-token", "secret.npm-access-token"], context=None, match="exact",
                      labels=["npm_token", "NPM_TOKEN", "_authToken"], formats=["plain"]),
    "slack-bot-token": dict(rules=["secret.slack-bot-token", "secret.slack-token"], context=None, match="exact",
                            labels=["slack_token", "SLACK_BOT_TOKEN", "bot_token"], formats=["plain"]),
    "stripe-secret-key": dict(rules=["secret.stripe-secret-key", "secret.stripe-live-secret-key", "secret.stripe-key"],
                              context=None, match="exact", labels=["stripe_key", "STRIPE_SECRET_KEY", "api_key"],
                              formats=["plain"]),
    "google-api-key": dict(rules=["secret.gcp-api-key", "secret.google-api-key"], context=None, match="exact",
                           labels=["google_api_key", "maps_key", "GOOGLE_API_KEY", "key"], formats=["plain"]),
    "sendgrid-api-key": dict(rules=["secret.sendgrid-api-key"], context=None, match="exact",
                             labels=["sendgrid_api_key", "SENDGRID_API_KEY", "mail_api_key"], formats=["plain"]),
    "jwt": dict(rules=["secret.jwt"], context=None, match="exact",
                labels=["access_token", "id_token", "token", "session"], formats=["HS256", "HS256", "RS256", "ES256"]),
    "private-key": dict(rules=["secret.private-key", "secret.pem-private-key", "secret.rsa-private-key",
                               "secret.ssh-private-key", "secret.openssh-private-key", "secret.ec-private-key"],
                        context=None, match="pem", labels=["private_key"],
                        formats=["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"]),
    "url-password": dict(rules=["secret.url-password", "secret.password-in-url", "secret.uri-credentials"],
                         context=None, match="alternatives",
                         labels=["database_url", "DATABASE_URL", "dsn", "broker_url"], formats=["plain"]),
}
for _name, _t in TYPES.items():
    assert _t["context"] is None or all(_t["context"] in label.lower() for label in _t["labels"]), _name
    _t["category"] = _t["rules"][0].split(".")[0]

SINGLE_LINE = [t for t in TYPES if t != "private-key"]
CONTEXT_TYPES = [t for t, v in TYPES.items() if v["context"]]


def raw_safe(typ, fmt):
    """True when the value survives url-encoding unchanged (so its context word stays next to it on the wire)."""
    if TYPES[typ]["context"] is None:
        return True
    return typ != "phone-e164" and fmt not in ("space", "paren")


# ---------------------------------------------------------------------- items
class Item:
    """A planted value or a decoy, and where it ended up."""

    def __init__(self, ident, kind, typ, value, label, rules=None, match="exact", alternatives=(), fragments=(),
                 fmt=None):
        self.id, self.kind, self.type, self.value, self.label = ident, kind, typ, value, label
        self.rules, self.match, self.fmt = rules, match, fmt
        self.alternatives = list(alternatives)
        self.fragments = list(fragments)
        self.where = {}
        self.flow = None
        self.direction = None
        self.facts = {"split": False, "out_of_order": False, "retransmitted": False, "one_byte_segments": False}
        self.raw_visible = None
        self.context_nearby = []

    def truth(self):
        d = {"id": self.id, "kind": self.kind, "type": self.type, "rules": self.rules, "value": self.value,
             "match": self.match}
        if self.alternatives:
            d["alternatives"] = self.alternatives
        if self.fmt:
            d["format"] = self.fmt
        d["context_word"] = TYPES[self.type]["context"] if self.kind == "planted" else None
        d["label"] = self.label
        d["flow"] = self.flow
        d["direction"] = self.direction
        d["carrier"] = self.where
        d.update(self.facts)
        d["raw_visible"] = self.raw_visible
        d["context_nearby"] = self.context_nearby
        d["secret_fragments"] = self.fragments
        return d


class Text:
    """Bytes being composed, with the spans where items sit (an encoded region holds its items too)."""

    def __init__(self, s=b""):
        self.buf = bytearray()
        self.spans = []  # [item, start, end]
        self.add(s)

    def add(self, s):
        self.buf += s if isinstance(s, (bytes, bytearray)) else s.encode()
        return self

    def val(self, item, shown=None):
        v = (shown if shown is not None else item.value).encode()
        self.spans.append([item, len(self.buf), len(self.buf) + len(v)])
        self.buf += v
        return self

    def kv(self, item, sep=": ", end="\r\n", label=None):
        return self.add((label if label is not None else item.label) + sep).val(item).add(end)

    def cat(self, other):
        off = len(self.buf)
        self.buf += other.buf
        self.spans += [[it, s + off, e + off] for it, s, e in other.spans]
        return self

    def region(self, data, items):
        start = len(self.buf)
        self.buf += data
        self.spans += [[it, start, len(self.buf)] for it in items]
        return self

    @staticmethod
    def mapped(inner, out, posmap):
        """`inner` transformed into `out`; posmap[i] is where inner byte i starts in out."""
        t = Text(bytes(out))
        n = len(inner.buf)
        t.spans = [[it, posmap[s], posmap[e] if e < n else len(out)] for it, s, e in inner.spans]
        return t

    def items(self):
        seen = []
        for it, _, _ in self.spans:
            if it not in seen:
                seen.append(it)
        return seen

    def bytes(self):
        return bytes(self.buf)

    def __len__(self):
        return len(self.buf)


def place(items, **where):
    for it in items:
        if not it.where:
            it.where = dict(where)


# ------------------------------------------------------------------ encodings
def chunked(body, r, cut_inside=0.5, sizes=(40, 300)):
    """HTTP/1.1 chunked coding (RFC 9112 §7.1) of a Text; chunk boundaries fall inside some values."""
    data = body.bytes()
    cuts = set()
    pos = 0
    while True:
        pos += r.randint(*sizes)
        if pos >= len(data):
            break
        cuts.add(pos)
    for it, s, e in body.spans:
        if e - s > 2 and r.random() < cut_inside:
            cuts.add(r.randint(s + 1, e - 1))
    bounds = [0] + sorted(cuts) + [len(data)]
    out, posmap = bytearray(), [0] * len(data)
    for a, b in zip(bounds, bounds[1:]):
        if a == b:
            continue
        out += b"%x\r\n" % (b - a)
        for i in range(a, b):
            posmap[i] = len(out) + i - a
        out += data[a:b] + b"\r\n"
    out += b"0\r\n\r\n"
    return Text.mapped(body, out, posmap)


def quoted_printable(body, r, break_inside=0.5):
    """RFC 2045 §6.7 quoted-printable of a CRLF text, with soft line breaks inside some values.

    Half the breaks inside a value that holds a '.' go just before it: the next
    line then starts with '.', which SMTP dot-stuffs (RFC 5321 §4.5.2), so a
    reader must undo the stuffing before the quoted-printable."""
    data = body.bytes()
    forced = set()
    for it, s, e in body.spans:
        if e - s > 3 and r.random() < break_inside:
            dots = [i for i in range(s + 1, e) if data[i] == ord(".")]
            forced.add(r.choice(dots) if dots and r.random() < 0.5 else r.randint(s + 1, e - 1))
    out, posmap, col = bytearray(), [0] * len(data), 0
    i = 0
    while i < len(data):
        if data[i:i + 2] == b"\r\n":
            posmap[i] = posmap[i + 1] = len(out)
            out += b"\r\n"
            col = 0
            i += 2
            continue
        c = data[i]
        at_eol = data[i + 1:i + 3] == b"\r\n" or i + 1 == len(data)
        if (33 <= c <= 126 and c != ord("=")) or (c in (9, 32) and not at_eol):
            enc = bytes([c])
        else:
            enc = b"=%02X" % c
        if i in forced or col + len(enc) > 75:
            out += b"=\r\n"
            col = 0
        posmap[i] = len(out)
        out += enc
        col += len(enc)
        i += 1
    return Text.mapped(body, out, posmap)


def mime_base64(data):
    b = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return b


# ------------------------------------------------------------------- capture
class Capture:
    """A classic pcap in memory (Ethernet, IPv4)."""

    def __init__(self):
        self.out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.ts = START_US
        self.ident = {}
        self.packets = 0

    def tick(self, us):
        self.ts += us

    def ip(self, src, dst, proto, l4):
        s, d = bytes(map(int, src.split("."))), bytes(map(int, dst.split(".")))
        ident = self.ident.get(src, 0x100)
        self.ident[src] = (ident + 1) & 0xFFFF
        frame = frames.ether(0x0800, frames.ipv4(proto, l4, src=s, dst=d, ident=ident))
        self.out += struct.pack("<IIII", self.ts // 1_000_000, self.ts % 1_000_000, len(frame), len(frame))
        self.out += frame
        self.packets += 1
        self.ts += 90

    def tcp(self, src, dst, seq, ack, flags, payload=b""):
        seg = bytearray(frames.tcp(src[1], dst[1], seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, flags, payload))
        pseudo = bytes(map(int, src[0].split("."))) + bytes(map(int, dst[0].split("."))) + \
            struct.pack(">BBH", 0, 6, len(seg))
        seg[16:18] = struct.pack(">H", frames.csum(pseudo + bytes(seg)))
        self.ip(src[0], dst[0], 6, bytes(seg))

    def udp(self, src, dst, payload):
        dgram = bytearray(frames.udp(src[1], dst[1], payload))
        pseudo = bytes(map(int, src[0].split("."))) + bytes(map(int, dst[0].split("."))) + \
            struct.pack(">BBH", 0, 17, len(dgram))
        c = frames.csum(pseudo + bytes(dgram)) or 0xFFFF
        dgram[6:8] = struct.pack(">H", c)
        self.ip(src[0], dst[0], 17, bytes(dgram))


FIN, SYN, PSH, ACK = 0x01, 0x02, 0x08, 0x10
TO_SERVER, TO_CLIENT = 0, 1
DIRECTION = ["to_server", "to_client"]


class Policy:
    """How a message is cut into segments and delivered.

    sizes: segment payload sizes drawn from this range (capped at 1460);
    cut_inside: chance that a cut falls inside each value the message holds;
    reorder: chance that a segment touching a value swaps places with the next;
    dup: chance that a segment is sent again after the next one;
    overlap: chance that two adjacent segments are retransmitted as one.
    """

    def __init__(self, name, sizes, cut_inside=0.0, reorder=0.0, dup=0.0, overlap=0.0):
        self.name, self.sizes, self.cut_inside = name, sizes, cut_inside
        self.reorder, self.dup, self.overlap = reorder, dup, overlap


WHOLE = Policy("whole", (1460, 1460))
NORMAL = Policy("normal", (300, 1460), cut_inside=0.5, reorder=0.15, dup=0.05)
HARD = Policy("hard", (1, 90), cut_inside=0.9, reorder=0.35, dup=0.2, overlap=0.1)
BYTES = Policy("one-byte", (1, 1))


class TCPConn:
    def __init__(self, corpus, client, server):
        self.c, self.cap, self.r = corpus, corpus.cap, corpus.r
        self.ends = [client, server]
        self.next = [self.r.getrandbits(32), self.r.getrandbits(32)]
        self.streams = [bytearray(), bytearray()]
        self.spans = [[], []]  # per direction: (item, start, end) in stream offsets
        self.key = {"transport": "tcp", "client": {"ip": client[0], "port": client[1]},
                    "server": {"ip": server[0], "port": server[1]}}
        corpus.conns.append(self)

    def seg(self, d, seq, flags, payload=b""):
        self.cap.tcp(self.ends[d], self.ends[1 - d], seq, self.next[1 - d], flags, payload)

    def open(self):
        self.cap.tick(5000)
        self.cap.tcp(self.ends[0], self.ends[1], self.next[0], 0, SYN)
        self.next[0] += 1
        self.cap.tick(300)
        self.seg(1, self.next[1], SYN | ACK)
        self.next[1] += 1
        self.seg(0, self.next[0], ACK)
        return self

    def close(self):
        self.cap.tick(500)
        self.seg(0, self.next[0], FIN | ACK)
        self.next[0] += 1
        self.seg(1, self.next[1], FIN | ACK)
        self.next[1] += 1
        self.seg(0, self.next[0], ACK)

    def send(self, d, text, policy=NORMAL):
        if not isinstance(text, Text):
            text = Text(text)
        data = text.bytes()
        if not data:
            return
        r = self.r
        base = len(self.streams[d])
        cuts = set()
        pos = 0
        while True:
            pos += min(1460, r.randint(*policy.sizes))
            if pos >= len(data):
                break
            cuts.add(pos)
        for it, s, e in text.spans:
            if e - s > 1 and r.random() < policy.cut_inside:
                cuts.add(r.randint(s + 1, e - 1))
        bounds = [0] + sorted(cuts) + [len(data)]
        segs = [(a, b) for a, b in zip(bounds, bounds[1:])]
        touches = [[i for i, (a, b) in enumerate(segs) if a < e and s < b] for _, s, e in text.spans]
        valued = set(i for t in touches for i in t)
        order = list(range(len(segs)))
        i = 0
        late = set()
        while i < len(order) - 1:
            if (order[i] in valued or order[i + 1] in valued) and r.random() < policy.reorder:
                order[i], order[i + 1] = order[i + 1], order[i]
                late.add(order[i + 1])
                late.add(order[i])
                i += 2
            else:
                i += 1
        emitted, resent = [], set()
        for k, idx in enumerate(order):
            emitted.append((segs[idx], idx))
            if k > 0 and r.random() < policy.dup:
                prev = order[k - 1]
                emitted.append((segs[prev], prev))
                resent.add(prev)
            if k > 0 and r.random() < policy.overlap and abs(order[k - 1] - idx) == 1:
                a, b = min(order[k - 1], idx), max(order[k - 1], idx)
                emitted.append(((segs[a][0], segs[b][1]), None))
                resent.update((a, b))
        start_seq = self.next[d]
        for (a, b), idx in emitted:
            last = b == len(data)
            self.seg(d, start_seq + a, ACK | (PSH if last else 0), data[a:b])
        self.next[d] += len(data)
        self.cap.tick(200)
        self.seg(1 - d, self.next[1 - d], ACK)
        self.streams[d] += data
        for (it, s, e), t in zip(text.spans, touches):
            self.spans[d].append((it, base + s, base + e))
            if it.flow is None:
                it.flow, it.direction = self.key, DIRECTION[d]
                it.facts["split"] = len(t) > 1
                it.facts["out_of_order"] = any(x in late for x in t)
                it.facts["retransmitted"] = any(x in resent for x in t)
                it.facts["one_byte_segments"] = policy is BYTES
                it.facts["segmentation"] = policy.name


class UDPFlow:
    def __init__(self, corpus, client, server):
        self.c, self.cap = corpus, corpus.cap
        self.ends = [client, server]
        self.streams = [bytearray(), bytearray()]
        self.spans = [[], []]
        self.key = {"transport": "udp", "client": {"ip": client[0], "port": client[1]},
                    "server": {"ip": server[0], "port": server[1]}}
        corpus.conns.append(self)

    def send(self, d, text):
        if not isinstance(text, Text):
            text = Text(text)
        base = len(self.streams[d])
        self.cap.tick(3000)
        self.cap.udp(self.ends[d], self.ends[1 - d], text.bytes())
        self.streams[d] += text.bytes()
        for it, s, e in text.spans:
            self.spans[d].append((it, base + s, base + e))
            if it.flow is None:
                it.flow, it.direction = self.key, DIRECTION[d]
                it.facts["segmentation"] = "datagram"


# ---------------------------------------------------------------------- decoys
DECOY_LIMITED = {
    "test-card": list(fakes.WELL_KNOWN_TEST_CARDS),
    "invalid-ssn": list(fakes.INVALID_SSNS),
    "reserved-email": list(fakes.RESERVED_EMAILS),
    "invalid-nino": list(fakes.INVALID_NINOS),
    "placeholder": ["YOUR_API_KEY", "AKIAXXXXXXXXXXXXXXXX", "<token>", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
                    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "${NPM_TOKEN}", "changeme"],
    "aws-doc-example": [fakes.AWS_DOC_KEY_ID, fakes.AWS_DOC_SECRET],
    "version-string": ["10.0.19045.3693", "1.2.840.113549.1.1.11", "6.1.7601.17514", "v2.14.3", "3.7.1"],
}
DECOY_KINDS = ["luhn-invalid-card", "luhn-valid-unbranded", "test-card", "order-id", "timestamp", "uuid", "hash",
               "invalid-ssn", "bad-iban", "placeholder", "aws-doc-example", "reserved-email", "version-string",
               "ip-address", "phone-like-no-context", "fiction-phone", "bad-checksum-token", "bad-checksum-id",
               "invalid-nino", "jwt-no-alg"]
PLACEHOLDER_LABEL = {"YOUR_API_KEY": "api_key", "AKIAXXXXXXXXXXXXXXXX": "aws_access_key_id", "<token>": "token",
                     "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx": "stripe_key", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx":
                     "github_token", "${NPM_TOKEN}": "npm_token", "changeme": "password"}


class Corpus:
    def __init__(self, seed=SEED):
        self.r = random.Random(seed)
        self.cap = Capture()
        self.items = []
        self.conns = []
        self.views = []  # decoded content: (flow key, direction, kind, bytes)
        self.used = set()
        self.count = {t: 0 for t in TYPES}
        self.decoy_count = {k: 0 for k in DECOY_KINDS}
        self.limited = {k: list(v) for k, v in DECOY_LIMITED.items()}  # decoys with a fixed list of values
        self.brands = 0
        self.hosts = 0
        self.ports = set()

    # ---- endpoints
    def client(self, ip=None):
        self.hosts += 1
        while True:
            port = self.r.randint(40000, 60999)
            if port not in self.ports:
                self.ports.add(port)
                return (ip or "10.10.%d.%d" % (self.hosts // 200, 10 + self.hosts % 200), port)

    # ---- planted values
    def pick(self, allowed):
        low = min(self.count[t] for t in allowed)
        return self.r.choice([t for t in allowed if self.count[t] == low])

    def plant(self, typ=None, allowed=SINGLE_LINE, fmts=None, label=None, newline="\n", query_safe=False):
        r = self.r
        if fmts == "raw-safe":
            allowed = [t for t in allowed if any(raw_safe(t, f) for f in TYPES[t]["formats"])]
        picked = typ is None
        typ = typ or self.pick(allowed)
        spec = TYPES[typ]
        if fmts == "raw-safe":
            choices = [f for f in spec["formats"] if raw_safe(typ, f)]
        else:
            choices = [f for f in spec["formats"] if fmts is None or f in fmts]
        fmt = r.choice(choices)
        alternatives, fragments = [], []
        for _ in range(100):
            if typ == "payment-card":
                brands = list(fakes.CARD_BRANDS)
                v = fakes.card(r, brands[self.brands % len(brands)], fmt)
            elif typ == "email":
                v = fakes.email(r, self.used)
            elif typ == "us-ssn":
                v = fakes.ssn(r, fmt)
            elif typ == "iban":
                v = fakes.iban(r, r.choice(sorted(fakes.IBAN_SHAPES)), fmt)
            elif typ == "phone-e164":
                v = fakes.e164(r, fmt)
            elif typ == "phone-nanp":
                v = fakes.nanp(r, fmt)
            elif typ == "uk-nino":
                v = fakes.nino(r, fmt)
            elif typ == "ca-sin":
                v = fakes.sin(r, fmt)
            elif typ == "in-aadhaar":
                v = fakes.aadhaar(r, fmt)
            elif typ == "aba-routing":
                v = fakes.aba(r)
            elif typ == "aws-access-key-id":
                v = fakes.aws_key_id(r, fmt)
            elif typ == "aws-secret-access-key":
                v = fakes.aws_secret(r)
            elif typ == "github-token":
                v = fakes.crc_token(r, "ghp")
            elif typ == "npm-token":
                v = fakes.crc_token(r, "npm")
            elif typ == "slack-bot-token":
                v = fakes.slack_bot(r)
            elif typ == "stripe-secret-key":
                v = fakes.stripe_live(r)
            elif typ == "google-api-key":
                v = fakes.google_api_key(r)
            elif typ == "sendgrid-api-key":
                v = fakes.sendgrid(r)
            elif typ == "jwt":
                iat = 1733392800 - r.randint(0, 86400)
                claims = {"sub": "user-%d" % r.randint(1000, 9999), "iss": r.choice(
                    ["https://auth.quillstone.io", "https://login.fernhill-bank.co.uk", "orders-api"]),
                    "iat": iat, "exp": iat + r.choice([900, 3600, 86400, 31536000]),
                    "scope": r.choice(["orders:read", "admin", "payments:write"])}
                v = fakes.jwt(r, fmt, claims)
                fragments.append(v.rsplit(".", 1)[1])
            elif typ == "private-key":
                v = fakes.pem(r, fmt, newline)
                fragments += [line.strip() for line in v.split("\n")[1:-1] if len(line.strip()) >= 32]
            elif typ == "url-password":
                v, pw, alternatives = fakes.url_password(r)
                fragments.append(pw)
            else:
                raise AssertionError(typ)
            if (v not in self.used or typ == "email") and not (query_safe and "+" in v):
                break
        assert v not in self.used or typ == "email", v
        self.used.add(v)
        if typ == "payment-card":
            self.brands += 1
        assert self.valid(typ, v), (typ, v)
        if picked:
            self.count[typ] += 1
        item = Item("P%04d" % (len(self.items) + 1), "planted", typ, v, label or r.choice(spec["labels"]),
                    rules=spec["rules"], match=spec["match"], alternatives=alternatives,
                    fragments=self.fragments(typ, v) + fragments, fmt=fmt)
        self.items.append(item)
        return item

    def plants(self, n, allowed=SINGLE_LINE, fmts=None):
        return [self.plant(allowed=allowed, fmts=fmts) for _ in range(n)]

    @staticmethod
    def valid(typ, v):
        return {
            "payment-card": fakes.valid_card, "email": fakes.valid_email_domain, "us-ssn": fakes.valid_ssn,
            "iban": fakes.valid_iban, "phone-e164": fakes.valid_e164, "phone-nanp": fakes.valid_nanp,
            "uk-nino": fakes.valid_nino, "ca-sin": fakes.valid_sin, "in-aadhaar": fakes.valid_aadhaar,
            "aba-routing": fakes.valid_aba, "github-token": fakes.valid_crc_token, "npm-token": fakes.valid_crc_token,
            "jwt": fakes.valid_jwt,
        }.get(typ, lambda _: True)(v)

    @staticmethod
    def fragments(typ, v):
        """Strings that must never appear in output without --reveal (check_redaction.py)."""
        out = [v]
        compact = fakes.digits_of(v) if TYPES[typ]["match"] == "digits" else v.replace(" ", "")
        if compact != v and len(compact) >= 8:
            out.append(compact)
        for prefix in ("AKIA", "ASIA", "ghp_", "npm_", "xoxb-", "sk_live_", "AIza", "SG."):
            if v.startswith(prefix) and len(v) - len(prefix) >= 16:
                out.append(v[len(prefix):])
        return out

    # ---- decoys
    def decoy(self, kind=None, kinds=DECOY_KINDS):
        r = self.r
        if kind is None:
            open_kinds = [k for k in kinds if k not in self.limited or self.limited[k]]
            low = min(self.decoy_count[k] for k in open_kinds)
            kind = r.choice([k for k in open_kinds if self.decoy_count[k] == low])
        label = None
        if kind in self.limited:
            v = self.limited[kind].pop(0)
        if kind == "luhn-invalid-card":
            v, label = fakes.card_luhn_invalid(r, r.choice(["plain", "space"])), r.choice(["card_number", "card"])
        elif kind == "luhn-valid-unbranded":
            v, label = fakes.card_luhn_no_brand(r), r.choice(["tracking_number", "parcel_id"])
        elif kind == "test-card":
            label = "card_number"
        elif kind == "order-id":
            v, label = r.choice(["%010d" % r.randint(10 ** 9, 10 ** 10 - 1),
                                 "ORD-%d-%06d" % (r.randint(2019, 2024), r.randint(0, 999999))]), "order_id"
        elif kind == "timestamp":
            t = 1733392800 + r.randint(-10 ** 7, 10 ** 6)
            v, label = r.choice([str(t), str(t * 1000 + r.randint(0, 999))]), r.choice(["created_at", "ts", "updated"])
        elif kind == "uuid":
            v, label = fakes.uuid4(r), r.choice(["id", "request_id", "trace_id"])
        elif kind == "hash":
            n = r.choice([16, 20, 32])
            v, label = fakes.hex_digest(r, n), {16: "md5", 20: "sha1", 32: "sha256"}[n]
        elif kind == "invalid-ssn":
            label = r.choice(["ssn", "SSN"])
        elif kind == "bad-iban":
            country = r.choice(sorted(fakes.IBAN_SHAPES))
            v, label = fakes.iban_bad_checksum(r, country, r.choice(["plain", "space"])), "iban"
        elif kind == "placeholder":
            label = PLACEHOLDER_LABEL[v]
        elif kind == "aws-doc-example":
            label = "aws_access_key_id" if v.startswith("AKIA") else "aws_secret_access_key"
        elif kind == "reserved-email":
            label = "email"
        elif kind == "version-string":
            label = r.choice(["version", "build"])
        elif kind == "ip-address":
            v = r.choice(["192.168.%d.%d" % (r.randint(0, 255), r.randint(1, 254)),
                          "172.%d.%d.%d" % (r.randint(16, 31), r.randint(0, 255), r.randint(1, 254))])
            label = r.choice(["client_ip", "remote_addr"])
        elif kind == "phone-like-no-context":
            v, label = fakes.digits_of(fakes.nanp(r, "dash")), r.choice(["ref", "ticket"])
        elif kind == "fiction-phone":
            v = "(%d) 555-01%02d" % (r.choice(fakes.NPAS), r.randint(0, 99))
            label = "phone"
        elif kind == "bad-checksum-token":
            pre = r.choice(["ghp", "npm"])
            v, label = fakes.crc_token_bad(r, pre), {"ghp": "github_token", "npm": "npm_token"}[pre]
        elif kind == "bad-checksum-id":
            which = r.choice(["aadhaar", "sin", "routing"])
            v = {"aadhaar": fakes.aadhaar_bad, "sin": fakes.sin_bad, "routing": fakes.aba_bad}[which](r)
            label = {"aadhaar": "aadhaar", "sin": "SIN", "routing": "routing_number"}[which]
        elif kind == "invalid-nino":
            label = "nino"
        elif kind == "jwt-no-alg":
            v, label = fakes.jwt_no_alg(r), "token"
        elif kind in ("png-base64", "message-id", "public-key-pem", "tls-encrypted"):
            raise AssertionError("placed by its carrier: " + kind)
        return self.decoy_item(kind, v, label)

    def decoy_item(self, kind, v, label):
        assert v not in self.used, v
        self.used.add(v)
        self.decoy_count[kind] = self.decoy_count.get(kind, 0) + 1
        item = Item("D%04d" % (len(self.items) + 1), "decoy", "decoy:" + kind, v, label or "", match="exact")
        self.items.append(item)
        return item

    def decoys(self, n, kinds=DECOY_KINDS):
        return [self.decoy(kinds=kinds) for _ in range(n)]

    def view(self, conn, d, kind, data):
        self.views.append((conn.key, DIRECTION[d], kind, bytes(data)))


# ------------------------------------------------------------------ rendering
def json_text(pairs, pretty=False):
    """A JSON object from (key, Item | scalar) pairs; an Item's value is written as is (it needs no escaping)."""
    t = Text("{")
    for k, (key, v) in enumerate(pairs):
        t.add(("," if k else "") + ("\n  " if pretty else "") + json.dumps(key) + ": ")
        if isinstance(v, Item):
            assert json.dumps(v.value) == '"' + v.value + '"', v.value
            t.add('"').val(v).add('"')
        else:
            t.add(json.dumps(v))
    return t.add(("\n" if pretty else "") + "}")


def item_pairs(items):
    return [(it.label, it) for it in items]


def kv_lines(items, sep=": ", end="\r\n"):
    t = Text()
    for it in items:
        t.kv(it, sep=sep, end=end)
    return t


def shuffle(r, items):
    items = list(items)
    r.shuffle(items)
    return items


# ------------------------------------------------------------------------ HTTP
UA = ["curl/8.5.0", "python-requests/2.31.0", "okhttp/4.12.0", "Go-http-client/1.1"]


def http_message(start, headers, body=None, coding=None, chunk=False, r=None, conn=None, d=None, view_kind=None):
    """An HTTP/1.1 message as a Text: body (Text) coded (gzip | deflate) and/or chunked."""
    t = Text(start + "\r\n")
    for name, value in headers:
        t.add(name + ": ")
        if isinstance(value, Text):
            t.cat(value)
        else:
            t.add(value)
        t.add("\r\n")
    if body is None:
        return t.add("\r\n")
    if conn is not None and view_kind:
        conn.c.view(conn, d, view_kind, body.bytes())
    wire = body
    if coding == "gzip":
        wire = Text().region(gzip.compress(body.bytes(), compresslevel=6, mtime=0), body.items())
    elif coding == "deflate":
        wire = Text().region(zlib.compress(body.bytes(), 6), body.items())
    if coding:
        t.add("Content-Encoding: %s\r\n" % coding)
    if chunk:
        wire = chunked(wire, r)
        t.add("Transfer-Encoding: chunked\r\n\r\n")
    else:
        t.add("Content-Length: %d\r\n\r\n" % len(wire))
    return t.cat(wire)


def form_body(pairs):
    """application/x-www-form-urlencoded (percent-encoding, '+' for space)."""
    t = Text()
    for k, (name, v) in enumerate(pairs):
        t.add(("&" if k else "") + urllib.parse.quote_plus(name) + "=")
        if isinstance(v, Item):
            t.val(v, urllib.parse.quote_plus(v.value, safe="-_.~"))
        else:
            t.add(urllib.parse.quote_plus(str(v)))
    return t


def multipart_body(r, parts):
    """multipart/form-data (RFC 7578): parts are (name, filename or None, content type, Text)."""
    boundary = "----psform" + fakes.hex_digest(r, 8)
    t = Text()
    for name, filename, ctype, content in parts:
        t.add("--" + boundary + "\r\n")
        disp = 'form-data; name="%s"' % name + ('; filename="%s"' % filename if filename else "")
        t.add("Content-Disposition: " + disp + "\r\n")
        if ctype:
            t.add("Content-Type: " + ctype + "\r\n")
        t.add("\r\n").cat(content).add("\r\n")
    t.add("--" + boundary + "--\r\n")
    return t, boundary


def http_carrier(c):
    r = c.r
    api, internal, upload, web = ("10.20.0.10", 80), ("10.20.0.11", 8080), ("10.20.0.12", 80), ("10.20.0.13", 3000)

    def where(items, field, encoding, decoded_as=None):
        place(items, protocol="http", field=field, encoding=encoding, decoded_as=decoded_as)

    # --- api: keep-alive, four exchanges
    for round_ in range(3):
        conn = TCPConn(c, c.client(), api).open()
        # 1. query string and bearer JWT; JSON response
        email, gkey, tok = c.plant("email", query_safe=True), c.plant("google-api-key"), c.plant("jwt")
        where([email, gkey], "query", ["plain"])
        where([tok], "header:Authorization", ["plain"])
        target = Text("GET /v1/customers/lookup?email=").val(email).add("&key=").val(gkey).add(
            "&fields=all HTTP/1.1")
        req = Text().cat(target).add("\r\nHost: api.quillstone.io\r\nUser-Agent: %s\r\nAccept: application/json\r\n"
                                     % r.choice(UA)).add("Authorization: Bearer ").val(tok).add("\r\n\r\n")
        conn.send(TO_SERVER, req, NORMAL)
        items = c.plants(5) + c.decoys(3)
        where(items, "json-body", ["plain"], "http-response-body")
        body = json_text(item_pairs(shuffle(r, items)), pretty=True)
        conn.send(TO_CLIENT, http_message("HTTP/1.1 200 OK", [("Content-Type", "application/json")], body, r=r,
                                          conn=conn, d=TO_CLIENT, view_kind="http-response-body"), NORMAL)
        # 2. JSON POST with X-Api-Key; chunked response
        key = c.plant("stripe-secret-key")
        where([key], "header:X-Api-Key", ["plain"])
        items = c.plants(5) + c.decoys(2)
        where(items, "json-body", ["plain"], "http-request-body")
        body = json_text(item_pairs(shuffle(r, items)))
        conn.send(TO_SERVER, http_message("POST /v1/payments HTTP/1.1", [
            ("Host", "api.quillstone.io"), ("Content-Type", "application/json"), ("X-Api-Key", Text().val(key))],
            body, r=r, conn=conn, d=TO_SERVER, view_kind="http-request-body"), NORMAL)
        items = c.plants(4) + c.decoys(2)
        where(items, "json-body", ["chunked"], "http-response-body")
        body = json_text(item_pairs(shuffle(r, items)), pretty=True)
        conn.send(TO_CLIENT, http_message("HTTP/1.1 201 Created", [("Content-Type", "application/json")], body,
                                          chunk=True, r=r, conn=conn, d=TO_CLIENT, view_kind="http-response-body"),
                  HARD if round_ == 1 else NORMAL)
        # 3. url-encoded form; redirect
        items = c.plants(6, fmts="raw-safe") + c.decoys(1)
        where(items, "form", ["percent-encoded"], "http-form-value")
        pairs = [("name", r.choice(fakes.FIRST).title())] + item_pairs(shuffle(r, items)) + [("submit", "Save")]
        body = form_body(pairs)
        for name, v in pairs:
            if isinstance(v, Item):
                c.view(conn, TO_SERVER, "http-form-value", v.value.encode())
        conn.send(TO_SERVER, http_message("POST /v1/employees HTTP/1.1", [
            ("Host", "api.quillstone.io"), ("Content-Type", "application/x-www-form-urlencoded")], body, r=r), NORMAL)
        conn.send(TO_CLIENT, "HTTP/1.1 303 See Other\r\nLocation: /v1/employees/%d\r\nContent-Length: 0\r\n\r\n"
                  % r.randint(100, 999), WHOLE)
        # 4. chunked + gzip JSON report
        items = c.plants(8) + c.decoys(3)
        where(items, "json-body", ["gzip", "chunked"], "http-response-body")
        rows = Text("[")
        for k in range(0, len(items), 3):
            rows.add("," if k else "").cat(json_text(item_pairs(items[k:k + 3])))
        rows.add("]")
        conn.send(TO_SERVER, "GET /v1/reports/latest HTTP/1.1\r\nHost: api.quillstone.io\r\nAccept-Encoding: gzip\r\n"
                  "\r\n", WHOLE)
        conn.send(TO_CLIENT, http_message("HTTP/1.1 200 OK", [("Content-Type", "application/json")], rows,
                                          coding="gzip", chunk=True, r=r, conn=conn, d=TO_CLIENT,
                                          view_kind="http-response-body"), NORMAL)
        conn.close()

    # --- internal: config in a gzip text response, gzip request body, token headers, SigV4
    for round_ in range(2):
        conn = TCPConn(c, c.client(), internal).open()
        gh, sess = c.plant("github-token"), c.plant("jwt")
        where([gh], "query", ["plain"])
        where([sess], "header:Cookie", ["plain"])
        req = Text("GET /internal/config?format=env&token=").val(gh).add(
            " HTTP/1.1\r\nHost: config.internal:8080\r\nCookie: session=").val(sess).add(
            "; csrftoken=%s\r\n\r\n" % fakes.hex_digest(r, 16))
        conn.send(TO_SERVER, req, NORMAL)
        env = [c.plant("aws-access-key-id"), c.plant("aws-secret-access-key"), c.plant("url-password"),
               c.plant("slack-bot-token"), c.plant("sendgrid-api-key")] + c.plants(2, allowed=[
                   "npm-token", "stripe-secret-key", "google-api-key", "github-token"]) + c.decoys(2, kinds=[
                       "placeholder", "aws-doc-example", "version-string", "hash"])
        where(env, "text-body", ["gzip"], "http-response-body")
        body = Text("# rendered %s\n" % "2024-12-05T10:00:00Z")
        for it in env:
            body.add(it.label.upper() + "=").val(it).add("\n")
        conn.send(TO_CLIENT, http_message("HTTP/1.1 200 OK", [("Content-Type", "text/plain; charset=utf-8")], body,
                                          coding="gzip", r=r, conn=conn, d=TO_CLIENT, view_kind="http-response-body"),
                  HARD if round_ else NORMAL)
        # gzip-compressed request body
        items = c.plants(6, allowed=[t for t in SINGLE_LINE if TYPES[t]["category"] == "secret"]) + c.plants(2)
        where(items, "json-body", ["gzip"], "http-request-body")
        body = json_text([("name", "deploy-hook"), ("events", "push")] + item_pairs(items))
        conn.send(TO_SERVER, http_message("PUT /internal/webhooks/7 HTTP/1.1", [
            ("Host", "config.internal:8080"), ("Content-Type", "application/json")], body, coding="gzip", r=r,
            conn=conn, d=TO_SERVER, view_kind="http-request-body"), NORMAL)
        conn.send(TO_CLIENT, "HTTP/1.1 204 No Content\r\n\r\n", WHOLE)
        # token and SigV4 Authorization headers
        gh2 = c.plant("github-token")
        where([gh2], "header:Authorization", ["plain"])
        conn.send(TO_SERVER, Text("GET /internal/repos HTTP/1.1\r\nHost: config.internal:8080\r\nAuthorization: "
                                  "token ").val(gh2).add("\r\n\r\n"), NORMAL)
        items = c.plants(3) + c.decoys(2)
        where(items, "json-body", ["deflate"], "http-response-body")
        body = json_text(item_pairs(items))
        conn.send(TO_CLIENT, http_message("HTTP/1.1 200 OK", [("Content-Type", "application/json")], body,
                                          coding="deflate", r=r, conn=conn, d=TO_CLIENT,
                                          view_kind="http-response-body"), NORMAL)
        pem = c.plant("private-key", label="deploy.pem")
        where([pem], "text-body", ["gzip"] if round_ else ["plain"], "http-response-body")
        conn.send(TO_SERVER, "GET /internal/keys/deploy.pem HTTP/1.1\r\nHost: config.internal:8080\r\n\r\n", WHOLE)
        conn.send(TO_CLIENT, http_message("HTTP/1.1 200 OK", [("Content-Type", "application/x-pem-file")],
                                          Text().val(pem).add("\n"), coding="gzip" if round_ else None, r=r,
                                          conn=conn, d=TO_CLIENT, view_kind="http-response-body"), NORMAL)
        akid = c.plant("aws-access-key-id", fmts=["AKIA"])
        where([akid], "header:Authorization (SigV4)", ["plain"])
        conn.send(TO_SERVER, Text("GET /reports/2024/q4.csv HTTP/1.1\r\nHost: s3.eu-west-1.amazonaws.com\r\n"
                                  "x-amz-date: 20241205T100000Z\r\nx-amz-content-sha256: %s\r\n"
                                  "Authorization: AWS4-HMAC-SHA256 Credential=" % fakes.hex_digest(r, 32)).val(
            akid).add("/20241205/eu-west-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                      "Signature=%s\r\n\r\n" % fakes.hex_digest(r, 32)), NORMAL)
        conn.send(TO_CLIENT, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", WHOLE)
        conn.close()

    # --- uploads: multipart with a note, a key file, a records file
    for round_ in range(2):
        conn = TCPConn(c, c.client(), upload).open()
        note = c.plants(2, allowed=["email", "payment-card", "iban", "jwt"]) + c.decoys(1)
        pem = c.plant("private-key", label="id_rsa")
        records = c.plants(6) + c.decoys(2)
        npmrc = c.plant("npm-token")
        where(note, "multipart:description", ["plain"], "http-multipart-part")
        where([pem], "multipart:file", ["plain"], "http-multipart-part")
        where(records, "multipart:file", ["plain"], "http-multipart-part")
        where([npmrc], "multipart:file", ["plain"], "http-multipart-part")
        text = Text("Please rotate these. Contact ").val(note[0]).add(" about ").val(note[1]).add(
            " (ticket %s: " % note[2].label).val(note[2]).add(").")
        rec = kv_lines(records, end="\n")
        npm_file = Text("registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=").val(npmrc).add("\n")
        parts = [("description", None, None, text),
                 ("key", "id_rsa", "application/octet-stream", Text().val(pem).add("\n")),
                 ("records", "records-%d.txt" % round_, "text/plain", rec),
                 ("npmrc", ".npmrc", "text/plain", npm_file)]
        for _, _, _, part in parts:
            c.view(conn, TO_SERVER, "http-multipart-part", part.bytes())
        body, boundary = multipart_body(r, parts)
        conn.send(TO_SERVER, http_message("POST /upload HTTP/1.1", [
            ("Host", "files.quillstone.io"), ("Content-Type", "multipart/form-data; boundary=" + boundary)],
            body, r=r), NORMAL)
        who = c.plant("email")
        where([who], "json-body", ["plain"], "http-response-body")
        body = json_text([("status", "stored"), ("uploaded_by", who), ("files", 3)])
        conn.send(TO_CLIENT, http_message("HTTP/1.1 200 OK", [("Content-Type", "application/json")], body, r=r,
                                          conn=conn, d=TO_CLIENT, view_kind="http-response-body"), WHOLE)
        conn.close()

    # --- web page on port 3000: emails and a phone in HTML, inline PNG, reserved addresses, gzip
    conn = TCPConn(c, c.client(), web).open()
    conn.send(TO_SERVER, "GET /contact HTTP/1.1\r\nHost: intranet.quillstone.io:3000\r\nAccept-Encoding: gzip, "
              "deflate\r\n\r\n", WHOLE)
    emails = [c.plant("email") for _ in range(3)]
    phone = c.plant("phone-nanp")
    png = c.decoy_item("png-base64", fakes.png_base64(r), "img")
    fiction = c.decoy("fiction-phone")
    reserved = c.decoy("reserved-email")
    where(emails + [phone], "html", ["gzip"], "http-response-body")
    where([png, fiction, reserved], "html", ["gzip"], "http-response-body")
    html = Text("<!doctype html>\n<html><head><title>Contact</title><script src=\"/js/jquery-3.7.1.min.js\">"
                "</script></head>\n<body>\n<img alt=\"logo\" src=\"data:image/png;base64,").val(png).add("\">\n<ul>\n")
    for e in emails:
        html.add('<li><a href="mailto:').val(e).add('">%s</a></li>\n' % e.value.split("@")[0])
    html.add("</ul>\n<p>Front desk phone: ").val(phone).add("</p>\n<p>Sample listing phone: ").val(fiction).add(
        "</p>\n<p>Docs: write to ").val(reserved).add("</p>\n</body></html>\n")
    conn.send(TO_CLIENT, http_message("HTTP/1.1 200 OK", [("Content-Type", "text/html; charset=utf-8")], html,
                                      coding="gzip", r=r, conn=conn, d=TO_CLIENT, view_kind="http-response-body"),
              NORMAL)
    conn.close()

    # --- batch upload: chunked request body (values cut by chunk boundaries), Slack bearer
    conn = TCPConn(c, c.client(), api).open()
    slack = c.plant("slack-bot-token")
    where([slack], "header:Authorization", ["plain"])
    items = c.plants(10) + c.decoys(3)
    where(items, "ndjson-body", ["chunked"], "http-request-body")
    body = Text()
    for k in range(0, len(items), 2):
        body.cat(json_text(item_pairs(items[k:k + 2]))).add("\n")
    conn.send(TO_SERVER, http_message("POST /v1/batch HTTP/1.1", [
        ("Host", "api.quillstone.io"), ("Content-Type", "application/x-ndjson"),
        ("Authorization", Text("Bearer ").val(slack))], body, chunk=True, r=r, conn=conn, d=TO_SERVER,
        view_kind="http-request-body"), HARD)
    conn.send(TO_CLIENT, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", WHOLE)
    conn.close()


# ------------------------------------------------------------------------ SMTP
def smtp_carrier(c):
    r = c.r
    servers = [("10.20.0.25", 25), ("10.20.0.26", 587)]
    for n, server in enumerate(servers):
        conn = TCPConn(c, c.client(), server).open()
        conn.send(TO_CLIENT, "220 mx%d.fernhill-bank.co.uk ESMTP Postfix\r\n" % (n + 1), WHOLE)
        conn.send(TO_SERVER, "EHLO ws-%03d.corp.lan\r\n" % r.randint(1, 300), WHOLE)
        conn.send(TO_CLIENT, "250-mx%d.fernhill-bank.co.uk\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
                  "250 SMTPUTF8\r\n" % (n + 1), WHOLE)
        for m in range(3):
            kind = [0, 1, 2, 3, 1, 3][n * 3 + m]
            sender, rcpt = c.plant("email", label="From"), c.plant("email", label="To")
            place([sender, rcpt], protocol="smtp", field="envelope+header", encoding=["plain"], decoded_as=None)
            conn.send(TO_SERVER, Text("MAIL FROM:<").val(sender).add(">\r\n"), WHOLE)
            conn.send(TO_CLIENT, "250 2.1.0 Ok\r\n", WHOLE)
            conn.send(TO_SERVER, Text("RCPT TO:<").val(rcpt).add(">\r\n"), WHOLE)
            conn.send(TO_CLIENT, "250 2.1.5 Ok\r\n", WHOLE)
            conn.send(TO_SERVER, "DATA\r\n", WHOLE)
            conn.send(TO_CLIENT, "354 End data with <CR><LF>.<CR><LF>\r\n", WHOLE)
            msg = mail_message(c, conn, sender, rcpt, kind)
            conn.send(TO_SERVER, dot_stuffed(msg).add("\r\n.\r\n"), NORMAL if m != 1 else HARD)
            conn.send(TO_CLIENT, "250 2.0.0 Ok: queued as %s\r\n" % fakes.rand_str(r, "BCDFGHJKLMNPQRSTVWXZ", 11),
                      WHOLE)
        conn.send(TO_SERVER, "QUIT\r\n", WHOLE)
        conn.send(TO_CLIENT, "221 2.0.0 Bye\r\n", WHOLE)
        conn.close()


def dot_stuffed(msg):
    """RFC 5321 §4.5.2: a line of the message that starts with '.' gets one more."""
    data = msg.bytes()
    out, posmap = bytearray(), [0] * len(data)
    for i, b in enumerate(data):
        if b == ord(".") and (i == 0 or data[i - 2:i] == b"\r\n"):
            out += b"."
        posmap[i] = len(out)
        out.append(b)
    return Text.mapped(msg, out, posmap)


def mail_message(c, conn, sender, rcpt, kind):
    """One RFC 5322 message with MIME parts; kind picks the structure."""
    r = c.r
    mid = c.decoy_item("message-id", "%s.%s@mx.fernhill-bank.co.uk" % (fakes.hex_digest(r, 6), fakes.hex_digest(r, 3)),
                       "Message-ID")
    place([mid], protocol="smtp", field="header:Message-ID", encoding=["plain"], decoded_as=None)
    subject = r.choice(["Payroll changes for December", "Vendor onboarding", "Re: access for the new hire",
                        "Q4 refunds", "Credentials for staging"])
    t = Text("From: %s <" % r.choice(fakes.FIRST).title()).val(sender).add(">\r\nTo: <").val(rcpt).add(
        ">\r\nSubject: %s\r\nDate: Thu, 05 Dec 2024 10:%02d:%02d +0000\r\nMessage-ID: <" % (
            subject, r.randint(0, 59), r.randint(0, 59))).val(mid).add(">\r\nMIME-Version: 1.0\r\n")
    boundary = "=_b_" + fakes.hex_digest(r, 8)

    def letter(n, decoys=1):
        items = c.plants(n) + c.decoys(decoys)
        body = Text("Hello,\r\n\r\nhere are the details we discussed (Grüße aus dem Büro):\r\n\r\n")
        for it in shuffle(r, items):
            body.add("  ").kv(it)
        body.add("\r\nRegards,\r\nFinance operations\r\n")
        return body, items

    def part(ctype, cte, content, items, disposition=None):
        p = Text("Content-Type: %s\r\n" % ctype)
        if disposition:
            p.add("Content-Disposition: %s\r\n" % disposition)
        p.add("Content-Transfer-Encoding: %s\r\n\r\n" % cte)
        c.view(conn, TO_SERVER, "smtp-message-part", content.bytes())
        if cte == "quoted-printable":
            place(items, protocol="smtp", field="mime-part:" + ctype, encoding=["quoted-printable"],
                  decoded_as="smtp-message-part")
            return p.cat(quoted_printable(content, r))
        if cte == "base64":
            place(items, protocol="smtp", field="mime-part:" + ctype, encoding=["base64"],
                  decoded_as="smtp-message-part")
            return p.region(mime_base64(content.bytes()), items)
        place(items, protocol="smtp", field="mime-part:" + ctype, encoding=["plain"], decoded_as="smtp-message-part")
        return p.cat(content)

    if kind == 0:
        # multipart/mixed: quoted-printable letter, base64 records attachment
        body, items = letter(5)
        recs = c.plants(6) + c.decoys(2)
        att = kv_lines(recs)
        t.add('Content-Type: multipart/mixed; boundary="%s"\r\n\r\nThis is a multi-part message in MIME format.\r\n'
              % boundary)
        t.add("--%s\r\n" % boundary).cat(part("text/plain; charset=utf-8", "quoted-printable", body, items))
        t.add("\r\n--%s\r\n" % boundary).cat(part('text/plain; name="employees.txt"', "base64", att, recs,
                                                  'attachment; filename="employees.txt"'))
        t.add("\r\n--%s--\r\n" % boundary)
    elif kind == 1:
        # multipart/mixed(multipart/alternative(7bit text, base64 HTML), base64 key file)
        inner = "=_a_" + fakes.hex_digest(r, 8)
        body, items = letter(4)
        html_items = c.plants(4) + c.decoys(1)
        html = Text("<html><body><p>Updated records:</p><table>\r\n")
        for it in html_items:
            html.add("<tr><td>%s</td><td>" % it.label).val(it).add("</td></tr>\r\n")
        html.add("</table></body></html>\r\n")
        pem = c.plant("private-key", label="tls.key")
        t.add('Content-Type: multipart/mixed; boundary="%s"\r\n\r\n' % boundary)
        t.add('--%s\r\nContent-Type: multipart/alternative; boundary="%s"\r\n\r\n' % (boundary, inner))
        t.add("--%s\r\n" % inner).cat(part("text/plain; charset=utf-8", "8bit", body, items))
        t.add("\r\n--%s\r\n" % inner).cat(part("text/html; charset=utf-8", "base64", html, html_items))
        t.add("\r\n--%s--\r\n" % inner)
        t.add("\r\n--%s\r\n" % boundary).cat(part('application/octet-stream; name="tls.key"', "base64",
                                                  Text().val(pem).add("\n"), [pem], 'attachment; filename="tls.key"'))
        t.add("\r\n--%s--\r\n" % boundary)
    elif kind == 2:
        # a single base64 text body
        body, items = letter(6, decoys=2)
        t.cat(part("text/plain; charset=utf-8", "base64", body, items))
    else:
        # nested: mixed(alternative(qp text, qp html), key file, aws credentials file)
        inner = "=_a_" + fakes.hex_digest(r, 8)
        body, items = letter(4)
        html_items = c.plants(3)
        html = Text("<html><body>")
        for it in html_items:
            html.add("<p>%s: " % it.label).val(it).add("</p>")
        html.add("</body></html>\r\n")
        pem = c.plant("private-key", label="server.key")
        pub = c.decoy_item("public-key-pem", fakes.fake_public_pem(r), "server.pub")
        keyfile = Text().val(pem).add("\n").val(pub).add("\n")
        creds = [c.plant("aws-access-key-id"), c.plant("aws-secret-access-key")]
        credfile = Text("[default]\n").add("aws_access_key_id = ").val(creds[0]).add("\n").add(
            "aws_secret_access_key = ").val(creds[1]).add("\nregion = eu-west-1\n")
        t.add('Content-Type: multipart/mixed; boundary="%s"\r\n\r\n' % boundary)
        t.add("--%s\r\nContent-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n" % (boundary, inner))
        t.add("--%s\r\n" % inner).cat(part("text/plain; charset=utf-8", "quoted-printable", body, items))
        t.add("\r\n--%s\r\n" % inner).cat(part("text/html; charset=utf-8", "quoted-printable", html, html_items))
        t.add("\r\n--%s--\r\n" % inner)
        t.add("\r\n--%s\r\n" % boundary).cat(part('application/x-pem-file; name="server.key"', "base64", keyfile,
                                                  [pem, pub], 'attachment; filename="server.key"'))
        t.add("\r\n--%s\r\n" % boundary).cat(part('text/plain; name="credentials"', "base64", credfile, creds,
                                                  'attachment; filename="credentials"'))
        t.add("\r\n--%s--\r\n" % boundary)
    return t


# ------------------------------------------------------------------------- FTP
def ftp_carrier(c):
    r = c.r
    server_ip = "10.20.0.21"
    client = c.client()
    ctl = TCPConn(c, client, (server_ip, 21)).open()
    ctl.send(TO_CLIENT, "220 (vsFTPd 3.0.5)\r\n", WHOLE)
    ctl.send(TO_SERVER, "USER hr-sync\r\n", WHOLE)
    ctl.send(TO_CLIENT, "331 Please specify the password.\r\n", WHOLE)
    ctl.send(TO_SERVER, "PASS Hr-sync-demo-pw\r\n", WHOLE)
    ctl.send(TO_CLIENT, "230 Login successful.\r\n", WHOLE)
    ctl.send(TO_SERVER, "TYPE I\r\n", WHOLE)
    ctl.send(TO_CLIENT, "200 Switching to Binary mode.\r\n", WHOLE)
    transfers = [("RETR", "customers-2024-12.txt", TO_CLIENT, 14, HARD), ("STOR", "deploy.env", TO_SERVER, 8, NORMAL),
                 ("RETR", "id_ed25519", TO_CLIENT, 0, NORMAL), ("STOR", "payroll-export.txt", TO_SERVER, 10, NORMAL),
                 ("RETR", "server.pem", TO_CLIENT, 0, HARD)]
    for verb, name, d, n, policy in transfers:
        port = r.randint(50000, 50999)
        ctl.send(TO_SERVER, "PASV\r\n", WHOLE)
        ctl.send(TO_CLIENT, "227 Entering Passive Mode (%s,%d,%d).\r\n" % (server_ip.replace(".", ","), port >> 8,
                                                                           port & 255), WHOLE)
        ctl.send(TO_SERVER, "%s %s\r\n" % (verb, name), WHOLE)
        data = TCPConn(c, (client[0], c.client()[1]), (server_ip, port)).open()
        ctl.send(TO_CLIENT, "150 Opening BINARY mode data connection for %s.\r\n" % name, WHOLE)
        if name in ("id_ed25519", "server.pem"):
            pem = c.plant("private-key", fmts=["OPENSSH PRIVATE KEY"] if name == "id_ed25519" else [
                "PRIVATE KEY", "RSA PRIVATE KEY"], label=name)
            items, content = [pem], Text().val(pem).add("\n")
        elif name == "deploy.env":
            items = c.plants(n, allowed=[t for t in SINGLE_LINE if TYPES[t]["category"] == "secret"]) + c.decoys(
                2, kinds=["placeholder", "aws-doc-example", "bad-checksum-token", "uuid"])
            content = Text()
            for it in items:
                content.add(it.label.upper().replace(" ", "_") + "=").val(it).add("\n")
        else:
            items = c.plants(n) + c.decoys(3)
            content = Text()
            for k in range(0, len(items), 3):
                content.add("# record %d\n" % (k // 3 + 1)).cat(kv_lines(items[k:k + 3], end="\n")).add("\n")
        place(items, protocol="ftp-data", field="file:" + name, encoding=["plain"], decoded_as="ftp-data")
        c.view(data, d, "ftp-data", content.bytes())
        data.send(d, content, policy)
        data.close()
        ctl.send(TO_CLIENT, "226 Transfer complete.\r\n", WHOLE)
    ctl.send(TO_SERVER, "QUIT\r\n", WHOLE)
    ctl.send(TO_CLIENT, "221 Goodbye.\r\n", WHOLE)
    ctl.close()


# ---------------------------------------------------------------------- Telnet
IAC, DO, WILL = 255, 253, 251


def telnet_carrier(c):
    r = c.r
    conn = TCPConn(c, c.client(), ("10.20.0.23", 23)).open()
    conn.send(TO_CLIENT, bytes([IAC, DO, 24, IAC, DO, 31, IAC, WILL, 1, IAC, WILL, 3]), WHOLE)
    conn.send(TO_SERVER, bytes([IAC, WILL, 24, IAC, WILL, 31, IAC, DO, 1, IAC, DO, 3]), WHOLE)
    conn.send(TO_CLIENT, "\r\nUbuntu 22.04.4 LTS\r\nhr-files login: ", WHOLE)

    def typed(text, echo=True):
        for ch in text:
            conn.send(TO_SERVER, ch.encode(), WHOLE)
            if echo:
                conn.send(TO_CLIENT, (ch if ch != "\r" else "\r\n").encode(), WHOLE)

    typed("jdoe\r")
    conn.send(TO_CLIENT, "Password: ", WHOLE)
    typed("telnet-demo-pw\r", echo=False)
    conn.send(TO_CLIENT, "\r\nLast login: Thu Dec  5 09:58:01 2024 from 10.10.0.7\r\n$ ", WHOLE)
    for command, n, kinds in [("cat /srv/hr/contacts.txt", 12, SINGLE_LINE),
                              ("grep -h -i key /etc/app/*.conf", 8,
                               [t for t in SINGLE_LINE if TYPES[t]["category"] == "secret"])]:
        typed(command + "\r")
        items = c.plants(n, allowed=kinds) + c.decoys(3)
        place(items, protocol="telnet", field="server-output", encoding=["plain"], decoded_as=None)
        lines = [Text().kv(it, sep=": " if k % 2 else " = ") for k, it in enumerate(items)]
        # Half the lines one byte per segment (a slow terminal), the rest in ordinary segments.
        for k, line in enumerate(lines):
            conn.send(TO_CLIENT, line, BYTES if k % 2 == 0 else NORMAL)
        conn.send(TO_CLIENT, "$ ", WHOLE)
    for command, policy in [("cat ~/.ssh/id_rsa", BYTES), ("sudo cat /etc/ssl/private/api.key", NORMAL)]:
        typed(command + "\r")
        pem = c.plant("private-key", label=command.split("/")[-1], newline="\r\n")
        place([pem], protocol="telnet", field="server-output", encoding=["plain"], decoded_as=None)
        conn.send(TO_CLIENT, Text().val(pem).add("\r\n"), policy)
        conn.send(TO_CLIENT, "$ ", WHOLE)
    typed("exit\r")
    conn.send(TO_CLIENT, "logout\r\n", WHOLE)
    conn.close()


# ---------------------------------------------------------------------- syslog
def syslog_carrier(c):
    r = c.r
    server = ("10.20.0.50", 514)
    hosts = ["app-01", "pay-gw", "auth-2"]
    for sender in range(2):
        flow = UDPFlow(c, c.client(), server)
        for k in range(12):
            items = c.plants(2 if k % 3 else 1) + (c.decoys(1) if k % 2 else [])
            place(items, protocol="syslog", field="message", encoding=["plain"], decoded_as=None)
            host = hosts[(sender + k) % len(hosts)]
            if k % 2:
                head = "<134>1 2024-12-05T10:%02d:%02d.%03dZ %s orders %d - - " % (
                    k, r.randint(0, 59), r.randint(0, 999), host, r.randint(1000, 9999))
            else:
                head = "<13>Dec  5 10:%02d:%02d %s payments[%d]: " % (k, r.randint(0, 59), host, r.randint(100, 999))
            t = Text(head + r.choice(["request failed", "validation error", "debug dump", "user updated"]))
            for it in items:
                t.add(" %s=" % it.label).val(it)
            flow.send(TO_SERVER, t)


# ------------------------------------------------------------------ custom TCP
def custom_carrier(c):
    r = c.r
    server = ("10.20.0.77", 7777)
    for round_ in range(2):
        conn = TCPConn(c, c.client(), server).open()
        conn.send(TO_SERVER, '{"hello":"psx/1","client":"ledger-sync"}\n', WHOLE)
        conn.send(TO_CLIENT, '{"ok":true,"server":"ledger"}\n', WHOLE)
        for k in range(6):
            items = c.plants(3) + c.decoys(1)
            place(items, protocol="custom-tcp", field="json-line", encoding=["plain"], decoded_as=None)
            line = Text('{"op":"put","seq":%d,"record":' % k).cat(json_text(item_pairs(items))).add("}\n")
            conn.send(TO_SERVER, line, HARD if k % 2 == 0 else NORMAL)
            items = c.plants(2) + (c.decoys(1) if k % 2 else [])
            place(items, protocol="custom-tcp", field="json-line", encoding=["plain"], decoded_as=None)
            line = Text('{"ok":true,"seq":%d,"previous":' % k).cat(json_text(item_pairs(items))).add("}\n")
            conn.send(TO_CLIENT, line, HARD if k % 2 == 1 else NORMAL)
        conn.close()


# ------------------------------------------------------------------------- TLS
def tls_carrier(c):
    """A TLS 1.2 handshake and application data records: encrypted, so never scanned.

    The records' bytes are random except that some carry ASCII text shaped like
    a card number, an AWS key id and an email (decoys: a scanner that read them
    would report them)."""
    r = c.r
    conn = TCPConn(c, c.client(), ("10.20.0.44", 443)).open()

    def record(ctype, body):
        return bytes([ctype, 3, 3]) + len(body).to_bytes(2, "big") + body

    def handshake(htype, body):
        return bytes([htype]) + len(body).to_bytes(3, "big") + body

    rand = lambda n: bytes(r.getrandbits(8) for _ in range(n))  # noqa: E731
    sni = b"pay.quillstone.io"
    ext_sni = b"\x00\x00" + (len(sni) + 5).to_bytes(2, "big") + (len(sni) + 3).to_bytes(2, "big") + b"\x00" + \
        len(sni).to_bytes(2, "big") + sni
    # supported_groups x25519 secp256r1, ec_point_formats uncompressed, signature_algorithms.
    exts = ext_sni + bytes.fromhex("000a00060004001d0017000b00020100000d00080006040308040401")
    suites = bytes.fromhex("c02fc030c02bc02ccca8009c002f")
    hello = b"\x03\x03" + rand(32) + b"\x20" + rand(32) + len(suites).to_bytes(2, "big") + suites + b"\x01\x00" + \
        len(exts).to_bytes(2, "big") + exts
    ch = record(22, handshake(1, hello))
    ch = b"\x16\x03\x01" + ch[3:]
    conn.send(TO_SERVER, ch, WHOLE)
    sexts = bytes.fromhex("ff01000100000b00020100")
    sh = b"\x03\x03" + rand(32) + b"\x20" + rand(32) + b"\xc0\x2f\x00" + len(sexts).to_bytes(2, "big") + sexts
    conn.send(TO_CLIENT, record(22, handshake(2, sh) + handshake(14, b"")), WHOLE)
    conn.send(TO_SERVER, record(22, handshake(16, b"\x41\x04" + rand(64)[:64])) + record(20, b"\x01") +
              record(22, rand(40)), WHOLE)
    conn.send(TO_CLIENT, record(20, b"\x01") + record(22, rand(40)), WHOLE)
    planted_like = [fakes.card(r, "visa", "plain"), fakes.aws_key_id(r), fakes.email(r, set(c.used))]
    for k, shaped in enumerate(planted_like):
        d = c.decoy_item("tls-encrypted", shaped, "")
        place([d], protocol="tls", field="application-data", encoding=["tls"], decoded_as=None)
        body = Text(rand(24)).add(b"card=" if k == 0 else b" ").val(d).add(rand(40))
        conn.send(TO_SERVER if k % 2 == 0 else TO_CLIENT, Text(bytes([23, 3, 3]) + len(body).to_bytes(2, "big")).cat(
            body), NORMAL)
    conn.send(TO_SERVER, record(21, rand(26)), WHOLE)
    conn.close()


# ---------------------------------------------------------------------- checks
LOOKALIKES = [
    ("digit run", re.compile(rb"\d(?:[ .-]?\d){8,}")),
    ("aws key id", re.compile(rb"(?:AKIA|ASIA)[A-Z2-7]{16}")),
    ("crc token", re.compile(rb"(?:gh[pousr]|npm)_[A-Za-z0-9]{20,}")),
    ("slack", re.compile(rb"xox[abpr]-")),
    ("stripe", re.compile(rb"[sr]k_live_")),
    ("google key", re.compile(rb"AIza[0-9A-Za-z_-]{30,}")),
    ("sendgrid", re.compile(rb"SG\.[\w-]{20,}\.")),
    ("jwt", re.compile(rb"eyJ[\w-]{8,}\.[\w-]{8,}")),
    ("private key", re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY")),
    ("email", re.compile(rb"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("url password", re.compile(rb"://[^/\s:@]*:[^/\s@]+@")),
    ("iban", re.compile(rb"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){3,7}")),
    ("nino", re.compile(rb"\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")),
]


# Number-shaped text that is in the corpus on purpose without a label: the
# syslog (RFC 5424) version digit before the ISO date.
BENIGN = re.compile(rb"1 \d{4}-\d\d-\d\d$")


def lookalike_check(c):
    """Every candidate-looking string in every stream and decoded view is a labelled item (or part of one)."""
    values = sorted({it.value.encode() for it in c.items}, key=len, reverse=True)
    problems = []
    views = [(conn.key, DIRECTION[d], "stream", bytes(conn.streams[d]), conn.spans[d]) for conn in c.conns
             for d in (0, 1)]
    for key, direction, kind, data, spans in views + [v + ([],) for v in c.views]:
        masked = bytearray(data)
        for _, s, e in spans:  # where an item sits on the wire, encoded or cut by chunk/line breaks
            masked[s:e] = b"\x00" * (e - s)
        for v in values:
            start = 0
            while True:
                i = masked.find(v, start)
                if i < 0:
                    break
                masked[i:i + len(v)] = b"\x00" * len(v)
                start = i + len(v)
        if kind == "stream" and key["server"]["port"] == 443:
            continue  # encrypted bytes: random, never scanned
        for name, rx in LOOKALIKES:
            for m in rx.finditer(bytes(masked)):
                if BENIGN.match(m.group()):
                    continue
                problems.append("%s %s:%d %s %s: unlabelled %s %r" % (
                    key["transport"], key["server"]["ip"], key["server"]["port"], direction, kind, name, m.group()))
    return problems


CONTEXT_DISTANCE = 64


def nearby_words(it, views):
    """Context words of the types within CONTEXT_DISTANCE bytes of the value (where it is seen whole)."""
    words = set()
    v = it.value.encode()
    for data in views:
        i = data.find(v)
        if i >= 0:
            window = data[max(0, i - CONTEXT_DISTANCE):i + len(v) + CONTEXT_DISTANCE].lower()
            words.update(w for w in {t["context"] for t in TYPES.values() if t["context"]} if w.encode() in window)
    return words


def locate(c):
    """raw_visible and uniqueness: each value is in its own flow's stream or decoded views, nowhere else."""
    problems = []
    by_flow = {}
    for conn in c.conns:
        by_flow[json.dumps(conn.key, sort_keys=True)] = conn
    decoded = {}
    for key, direction, kind, data in c.views:
        decoded.setdefault((json.dumps(key, sort_keys=True), direction), []).append(data)
    all_streams = [(json.dumps(conn.key, sort_keys=True), bytes(conn.streams[d])) for conn in c.conns for d in (0, 1)]
    for it in c.items:
        if it.flow is None:
            problems.append("%s %s never sent" % (it.id, it.type))
            continue
        fk = json.dumps(it.flow, sort_keys=True)
        d = DIRECTION.index(it.direction)
        v = it.value.encode()
        it.raw_visible = v in bytes(by_flow[fk].streams[d])
        if not it.raw_visible and not any(v in data for data in decoded.get((fk, it.direction), [])):
            problems.append("%s %s: value neither in the stream nor in a decoded view" % (it.id, it.type))
        it.context_nearby = sorted(nearby_words(it, [bytes(by_flow[fk].streams[d])] +
                                                decoded.get((fk, it.direction), [])))
        elsewhere = [k for k, s in all_streams if k != fk and v in s]
        if elsewhere:
            problems.append("%s %s: value also in another flow" % (it.id, it.type))
    return problems


def build(seed=SEED):
    c = Corpus(seed)
    http_carrier(c)
    smtp_carrier(c)
    ftp_carrier(c)
    telnet_carrier(c)
    syslog_carrier(c)
    custom_carrier(c)
    tls_carrier(c)
    problems = locate(c) + lookalike_check(c)
    for it in c.items:
        if it.kind == "decoy" and it.type in ("decoy:luhn-invalid-card", "decoy:test-card") and \
                it.value not in fakes.WELL_KNOWN_TEST_CARDS:
            assert not fakes.valid_card(it.value), it.value
    return c, problems


def truth_document(c, pcap_bytes, seed):
    return {
        "generator": "Tests/Corpus/make_corpus.py",
        "seed": seed,
        "capture": CAPTURE,
        "capture_sha256": hashlib.sha256(pcap_bytes).hexdigest(),
        "packets": c.cap.packets,
        "types": {t: {"rules": v["rules"], "category": v["category"], "context_word": v["context"],
                      "match": v["match"]} for t, v in TYPES.items()},
        "flows": [conn.key for conn in c.conns],
        "items": [it.truth() for it in c.items],
    }


def summary(truth):
    """Markdown tables: planted items per type and carrier; decoys per kind and carrier."""
    items = truth["items"]
    carriers = sorted({it["carrier"]["protocol"] for it in items})
    lines = []
    for kind, title in (("planted", "Planted items"), ("decoy", "Decoys")):
        rows = sorted({it["type"] for it in items if it["kind"] == kind})
        lines.append("| %s | %s | total | split | out of order | not whole on the wire |" % (title, " | ".join(carriers)))
        lines.append("|---" * (len(carriers) + 5) + "|")
        for t in rows:
            sel = [it for it in items if it["type"] == t]
            counts = [sum(1 for it in sel if it["carrier"]["protocol"] == p) for p in carriers]
            lines.append("| %s | %s | %d | %d | %d | %d |" % (
                t, " | ".join(str(n) if n else "" for n in counts), len(sel), sum(it["split"] for it in sel),
                sum(it["out_of_order"] for it in sel), sum(not it["raw_visible"] for it in sel)))
        sel = [it for it in items if it["kind"] == kind]
        lines.append("| **all** | %s | **%d** | %d | %d | %d |" % (
            " | ".join(str(sum(1 for it in sel if it["carrier"]["protocol"] == p)) for p in carriers), len(sel),
            sum(it["split"] for it in sel), sum(it["out_of_order"] for it in sel),
            sum(not it["raw_visible"] for it in sel)))
        lines.append("")
    enc = {}
    for it in items:
        if it["kind"] == "planted":
            k = "+".join(it["carrier"]["encoding"])
            enc[k] = enc.get(k, 0) + 1
    lines.append("Planted items by encoding: " + ", ".join("%s %d" % kv for kv in sorted(enc.items())))
    return "\n".join(lines)


# --------------------------------------------------------------------- tshark
def tshark(*args):
    return subprocess.run(["tshark", *args], check=True, capture_output=True, text=True).stdout


def mail_parts(data):
    """The decoded leaf parts of an RFC 5322 message (Python's email package)."""
    import email
    import email.policy
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    return [part.get_payload(decode=True) or b"" for part in msg.walk() if not part.is_multipart()]


def verify(pcap, c):
    """The capture as tshark reads it: every TCP stream reassembles (in order, duplicates dropped) to the bytes
    the generator meant, and every value that is not visible on the wire is in what tshark decodes."""
    problems = []
    followed = []
    tcp_conns = [conn for conn in c.conns if isinstance(conn, TCPConn)]
    args = ["-r", pcap, "-q", "-o", "tcp.reassemble_out_of_order:TRUE"]
    for k in range(len(tcp_conns)):
        args += ["-z", "follow,tcp,raw,%d" % k]
    out = tshark(*args)
    # One block per -z follow (printed in no particular order), named by its "Filter: tcp.stream eq N" line.
    blocks = {}
    for block in out.split("Follow: tcp,raw")[1:]:
        m = re.search(r"Filter: tcp\.stream eq (\d+)", block)
        blocks[int(m.group(1))] = block
    if len(blocks) != len(tcp_conns):
        problems.append("tshark followed %d TCP streams, %d written" % (len(blocks), len(tcp_conns)))
    for k, conn in enumerate(tcp_conns):
        block = blocks.get(k, "")
        got = [bytearray(), bytearray()]
        for line in block.splitlines():
            if not line.strip() or line.startswith(("=", "Filter", "Node")):
                continue
            got[1 if line.startswith("\t") else 0] += bytes.fromhex(line.strip())
        followed.append(bytes(got[0]))
        for d in (0, 1):
            if bytes(got[d]) != bytes(conn.streams[d]):
                problems.append("stream %d (%s:%d) %s: tshark reassembled %d bytes, %d written" % (
                    k, conn.key["server"]["ip"], conn.key["server"]["port"], DIRECTION[d], len(got[d]),
                    len(conn.streams[d])))
    # Decoded content as tshark exports it (HTTP bodies de-chunked and decompressed, mail, FTP data).
    tmp = tempfile.mkdtemp(prefix="content-corpus-")
    try:
        for proto in ("http", "imf", "ftp-data"):
            os.makedirs(os.path.join(tmp, proto))
            tshark("-r", pcap, "-q", "-o", "tcp.reassemble_out_of_order:TRUE", "--export-objects",
                   "%s,%s" % (proto, os.path.join(tmp, proto)))
        exported = []
        for proto in ("http", "imf", "ftp-data"):
            for name in sorted(os.listdir(os.path.join(tmp, proto))):
                data = open(os.path.join(tmp, proto, name), "rb").read()
                exported.append(data)
                exported.append(urllib.parse.unquote_plus(data.decode("latin-1")).encode("latin-1"))
                if proto == "imf":
                    exported += mail_parts(data.replace(b"\r\n..", b"\r\n."))  # tshark keeps dot-stuffing
        # tshark's SMTP dissector loses some mails whose DATA arrives heavily out of order: decode the
        # mails of the streams tshark reassembled too.
        for stream in followed:
            for m in re.finditer(rb"\r\nDATA\r\n(.*?)\r\n\.\r\n", stream, re.S):
                exported += mail_parts(m.group(1).replace(b"\r\n..", b"\r\n."))
        udp = tshark("-r", pcap, "-Y", "udp", "-T", "fields", "-e", "udp.payload")
        exported += [bytes.fromhex(x.replace(":", "")) for x in udp.split()]
    finally:
        shutil.rmtree(tmp)
    hidden = [it for it in c.items if not it.raw_visible and it.where.get("protocol") != "tls"]
    missing = [it for it in hidden if not any(it.value.encode() in data for data in exported)]
    for it in missing:
        problems.append("%s %s (%s %s): not in what tshark decodes" % (
            it.id, it.type, it.where.get("field"), "+".join(it.where.get("encoding", []))))
    return problems, len(hidden) - len(missing), len(hidden)


def write(out_dir, seed=SEED):
    c, problems = build(seed)
    os.makedirs(out_dir, exist_ok=True)
    pcap = bytes(c.cap.out)
    with open(os.path.join(out_dir, CAPTURE), "wb") as f:
        f.write(pcap)
    truth = truth_document(c, pcap, seed)
    with open(os.path.join(out_dir, TRUTH), "w") as f:
        json.dump(truth, f, indent=1, sort_keys=False)
        f.write("\n")
    return c, truth, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="folder for content-corpus.pcap and content-corpus.truth.json")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--verify", action="store_true", help="check the capture with tshark")
    ap.add_argument("--summary", action="store_true", help="print the counts as Markdown tables")
    args = ap.parse_args()
    c, truth, problems = write(args.out, args.seed)
    planted = sum(1 for it in c.items if it.kind == "planted")
    print("%s: %d packets, %d bytes, %d flows; %d planted items, %d decoys" % (
        os.path.join(args.out, CAPTURE), c.cap.packets, len(c.cap.out), len(c.conns), planted,
        len(c.items) - planted), file=sys.stderr)
    if args.summary:
        print(summary(truth))
    if args.verify:
        if not shutil.which("tshark"):
            sys.exit("tshark is not installed (apt-get install tshark)")
        more, found, hidden = verify(os.path.join(args.out, CAPTURE), c)
        problems += more
        print("tshark: %d TCP streams reassemble as written; %d of %d values hidden by an encoding found in "
              "what tshark decodes" % (sum(isinstance(x, TCPConn) for x in c.conns), found, hidden),
              file=sys.stderr)
    for p in problems:
        print("problem: " + p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
