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

# Analyzer codes of the option byte (bits 0-3); bits 4-5 budget, bit 7 depth 300.
HTTP, SMTP, POP3, IMAP, FTP, REDIS, MYSQL, POSTGRESQL, TELNET, LDAP, SNMP = range(11)

OWN = {
    "http-auth-curl.pcap": HTTP, "http-curl.pcap": HTTP, "smtp-auth.pcap": SMTP, "smtp-python.pcap": SMTP,
    "ftp-rejected.pcap": FTP, "ftp-python.pcap": FTP, "pop3-python.pcap": POP3, "imap-python.pcap": IMAP,
    "redis-auth.pcap": REDIS, "starttls-postgres.pcap": POSTGRESQL,
}
REAL = {
    "ndpi__http_auth.pcap": HTTP, "arkime__http-digestauth.pcap": HTTP, "ndpi__webdav.pcap": HTTP,
    "arkime__80211http.pcap": HTTP, "ndpi__pop3.pcap": POP3, "ndpi__imap.pcap": IMAP,
    "arkime__smtp-data-250.pcap": SMTP, "ndpi__ftp.pcap": FTP, "zeek__ftp__ipv4.pcap": FTP,
    "ndpi__mysql.pcapng": MYSQL, "zeek__mysql__auth.pcap": MYSQL, "ndpi__pgsql.pcap": POSTGRESQL,
    "ndpi__telnet.pcap": TELNET, "zeek__ldap__simpleauth.pcap": LDAP, "zeek__ldap__sasl-ntlm.pcap": LDAP,
    "zeek__redis__auth.pcap": REDIS,
}
# SNMP: each UDP datagram is one chunk (the direction by destination port).
SNMP_REAL = ["arkime__SNMPv2c_get_requests.pcap", "ndpi__snmp.pcap"]
MAX_SCRIPT = 32 * 1024


def script(options, chunks, extra=b""):
    out = bytearray([options])
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
                seeds[tag + "-budget64"] = script(code | 0x30, pieces(chunks, 30))
                seeds[tag + "-depth300"] = script(code | 0x80, chunks)
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
        seeds["real-" + name[:-len(".pcap")]] = script(SNMP, datagrams[:40])
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("FuzzCleartext: %d seeds" % len(seeds))


if __name__ == "__main__":
    main()
