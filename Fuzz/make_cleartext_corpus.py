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
    "sip",
    "rtsp",
    "irc",
    "vnc",
    "rsh",
    "rlogin",
]
# Byte 1: bits 0-1 the budget (3: 64 bytes), bit 2 server ends first, bit 3 depth 300.
TINY_BUDGET, DEPTH_300 = 0x03, 0x08

OWN = {
    "http-auth-curl.pcap": "http", "http-curl.pcap": "http", "smtp-auth.pcap": "smtp", "smtp-python.pcap": "smtp",
    "ftp-rejected.pcap": "ftp", "ftp-python.pcap": "ftp", "pop3-python.pcap": "pop3", "imap-python.pcap": "imap",
    "redis-auth.pcap": "redis", "starttls-postgres.pcap": "postgresql",
}
REAL = {
    "ndpi__http_auth.pcap": "http", "arkime__http-digestauth.pcap": "http", "ndpi__webdav.pcap": "http",
    "arkime__80211http.pcap": "http", "ndpi__pop3.pcap": "pop3", "ndpi__imap.pcap": "imap",
    "arkime__smtp-data-250.pcap": "smtp", "ndpi__ftp.pcap": "ftp", "zeek__ftp__ipv4.pcap": "ftp",
    "ndpi__mysql.pcapng": "mysql", "zeek__mysql__auth.pcap": "mysql", "ndpi__pgsql.pcap": "postgresql",
    "ndpi__telnet.pcap": "telnet", "zeek__ldap__simpleauth.pcap": "ldap", "zeek__ldap__sasl-ntlm.pcap": "ldap",
    "zeek__redis__auth.pcap": "redis", "ndpi__rtsp.pcap": "rtsp", "zeek__irc-basic.pcap": "irc",
    "zeek__irc-more-commands.pcap": "irc", "zeek__rfb__vncmac.pcap": "vnc", "ndpi__rsh.pcap": "rsh",
}
# SNMP: each UDP datagram is one chunk (the direction by destination port).
SNMP_REAL = ["arkime__SNMPv2c_get_requests.pcap", "ndpi__snmp.pcap"]
# SIP over UDP: each datagram one chunk (the direction by the first sender), fed to the TCP reader.
SIP_REAL = ["ndpi__sip.pcap"]
MAX_SCRIPT = 32 * 1024


def own_exchanges():
    """Byte-exact logins built from the specifications (as in LegacyLoginTests)."""
    challenge, response = bytes(range(0x30, 0x40)), bytes(range(0xC0, 0xD0))
    return {
        # RFC 6143 7.1-7.2: 3.8, one type (VNC Authentication), SecurityResult OK; and 3.3 None.
        "own-vnc38-auth": script("vnc", [(1, b"RFB 003.008\n"), (0, b"RFB 003.008\n"), (1, b"\x01\x02"), (0, b"\x02"),
                                         (1, challenge), (0, response), (1, b"\x00\x00\x00\x00"), (0, b"\x01")]),
        "own-vnc33-none": script("vnc", [(1, b"RFB 003.003\n"), (0, b"RFB 003.003\n"), (1, b"\x00\x00\x00\x01")]),
        # RFC 1282: rlogin handshake, prompt, typed password, accepted.
        "own-rlogin": script("rlogin", [(0, b"\x00lns\x00root\x00xterm/38400\x00"), (1, b"\x00Password: "),
                                        (0, b"toor\r"), (1, b"\r\nLast login: today\r\n# ")]),
        # IRC SASL PLAIN and NickServ IDENTIFY.
        "own-irc-sasl": script("irc", [(0, b"CAP REQ :sasl\r\nAUTHENTICATE PLAIN\r\n"), (1, b"AUTHENTICATE +\r\n"),
                                       (0, b"AUTHENTICATE AHRpbQBwdzE=\r\n"), (1, b":irc 903 tim :ok\r\n"),
                                       (0, b"PRIVMSG NickServ :IDENTIFY hunter2\r\n"),
                                       (1, b":NickServ!s@s NOTICE tim :Invalid password\r\n")]),
        # RTSP Basic then Digest (RFC 2326 10.2).
        "own-rtsp-auth": script("rtsp", [(0, b"DESCRIBE rtsp://cam/ RTSP/1.0\r\nCSeq: 2\r\nAuthorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n"),
                                         (1, b"RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nContent-Length: 0\r\n\r\n"),
                                         (0, b"DESCRIBE rtsp://cam/ RTSP/1.0\r\nCSeq: 3\r\nAuthorization: Digest username=\"a\", response=\"ff\"\r\n\r\n"),
                                         (1, b"RTSP/1.0 200 OK\r\nCSeq: 3\r\nContent-Length: 4\r\n\r\nv=0\n"),
                                         (1, b"$\x00\x00\x02ab")]),
        # rexec-shaped opening read as rsh (the port is not in the script).
        "own-rsh": script("rsh", [(0, b"1022\x00lns\x00root\x00mkdir testdir\x00"), (1, b"\x00")]),
    }


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
    for name in SIP_REAL:
        path = os.path.join(REAL_DIR, name)
        if not os.path.exists(path):
            continue
        out = subprocess.run(["tshark", "-r", path, "-Y", "sip", "-T", "fields", "-e", "ip.src", "-e", "udp.payload"],
                             check=True, capture_output=True, text=True).stdout
        datagrams, first = [], None
        for line in out.splitlines():
            src, _, payload = line.partition("\t")
            first = first or src
            if payload:
                datagrams.append((0 if src == first else 1, bytes.fromhex(payload.replace(":", ""))))
        seeds["real-" + name[:-len(".pcap")]] = script("sip", datagrams[:40])
    seeds.update(own_exchanges())
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("FuzzCleartext: %d seeds" % len(seeds))


if __name__ == "__main__":
    main()
