#!/usr/bin/env python3
"""Writes the seed corpus of FuzzCleartext (Fuzz/Corpus/FuzzCleartext/): each
cleartext login exchange of the project's captures and of a few real ones
(/work/shared/captures/real, when present) as a script for its analyzer
(format: Fuzz/Sources/FuzzCleartext/FuzzCleartext.swift), plus variants:
every chunk cut into small pieces (lines straddle chunks), a tiny budget and
a tiny depth (the cap paths), and a gap in the server's direction.

Needs tshark (`-z follow,tcp,raw` gives each connection's payload in order,
with directions). Deterministic; re-running it rewrites the folder.

    python3 Fuzz/make_cleartext_corpus.py        # from the repository root
"""

import os
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_tls_corpus import follow, pieces, streams  # noqa: E402

CAPTURES = os.path.join(HERE, "..", "Captures")
REAL_DIR = "/work/shared/captures/real"
OUT = os.path.join(HERE, "Corpus", "FuzzCleartext")

# Byte 0 of a script: the analyzer's index in this list, the same order as
# `apps` in FuzzCleartext.swift (append new ones at the end of both).
ANALYZERS = [
    "http",
    "smtp",
    "pop3",
    "imap",
    "ftp",
    "redis",
    "mysql",
    "postgresql",
    "telnet",
    "ldap",
    "snmp",
    "http2",
]
# Byte 1: bits 0-1 the budget (3: 64 bytes), bit 2 server ends first, bit 3 depth 300.
TINY_BUDGET, DEPTH_300 = 0x03, 0x08

OWN = {
    "http-auth-curl.pcap": "http", "http-curl.pcap": "http", "smtp-auth.pcap": "smtp", "smtp-python.pcap": "smtp",
    "ftp-rejected.pcap": "ftp", "ftp-python.pcap": "ftp", "pop3-python.pcap": "pop3", "imap-python.pcap": "imap",
    "redis-auth.pcap": "redis", "starttls-postgres.pcap": "postgresql", "h2c-curl.pcap": "http2",
}
REAL = {
    "ndpi__http_auth.pcap": "http", "arkime__http-digestauth.pcap": "http", "ndpi__webdav.pcap": "http",
    "arkime__80211http.pcap": "http", "ndpi__pop3.pcap": "pop3", "ndpi__imap.pcap": "imap",
    "arkime__smtp-data-250.pcap": "smtp", "ndpi__ftp.pcap": "ftp", "zeek__ftp__ipv4.pcap": "ftp",
    "ndpi__mysql.pcapng": "mysql", "zeek__mysql__auth.pcap": "mysql", "ndpi__pgsql.pcap": "postgresql",
    "ndpi__telnet.pcap": "telnet", "zeek__ldap__simpleauth.pcap": "ldap", "zeek__ldap__sasl-ntlm.pcap": "ldap",
    "zeek__redis__auth.pcap": "redis",
}
# SNMP: each UDP datagram is one chunk (the direction by destination port).
SNMP_REAL = ["arkime__SNMPv2c_get_requests.pcap", "ndpi__snmp.pcap"]
MAX_SCRIPT = 32 * 1024


def script(analyzer, chunks, extra=b"", options=0):
    """`analyzer` is a name in ANALYZERS."""
    out = bytearray([ANALYZERS.index(analyzer), options])
    total = 0
    for direction, data in chunks:
        data = data[:0xFFFF]
        if not data or total + len(data) > MAX_SCRIPT:
            continue
        total += len(data)
        if len(data) <= 63:
            out += bytes([(len(data) << 2) | direction]) + data
        else:
            out += bytes([direction]) + struct.pack("<H", len(data)) + data
    return bytes(out) + extra


def main():
    seeds = {}
    sources = [(os.path.join(CAPTURES, n), code, n) for n, code in OWN.items()]
    sources += [(os.path.join(REAL_DIR, n), code, "real-" + n) for n, code in REAL.items()]
    for path, code, name in sources:
        if not os.path.exists(path):
            continue
        stem = name[:-len(".pcap")]
        for n in streams(path)[:4]:
            _, chunks = follow(path, n)
            if not chunks:
                continue
            tag = "%s-%d" % (stem, n)
            seeds[tag] = script(code, chunks)
            seeds[tag + "-pieces7"] = script(code, pieces(chunks, 7))
            if n == streams(path)[0]:
                seeds[tag + "-budget64"] = script(code, pieces(chunks, 30), options=TINY_BUDGET)
                seeds[tag + "-depth300"] = script(code, chunks, options=DEPTH_300)
                seeds[tag + "-servergap"] = script(code, chunks[:3], extra=bytes([0x06]) + struct.pack("<H", 50))
    for name in SNMP_REAL:
        path = os.path.join(REAL_DIR, name)
        if not os.path.exists(path):
            continue
        out = subprocess.run(["tshark", "-r", path, "-Y", "udp", "-T", "fields", "-e", "udp.dstport", "-e", "udp.payload"],
                             check=True, capture_output=True, text=True).stdout
        datagrams = []
        for line in out.splitlines():
            port, _, payload = line.partition("\t")
            if payload:
                datagrams.append((0 if port in ("161", "162") else 1, bytes.fromhex(payload.replace(":", ""))))
        seeds["real-" + name[:-len(".pcap")]] = script("snmp", datagrams[:40])
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("FuzzCleartext: %d seeds" % len(seeds))


if __name__ == "__main__":
    main()
