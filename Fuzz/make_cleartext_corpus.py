#!/usr/bin/env python3
"""Writes the seed corpus of FuzzCleartext (Fuzz/Corpus/FuzzCleartext/): each
cleartext login exchange of the project's captures and of a few real ones
(/work/shared/captures/real, when present) as a script for its analyzer
(format: Fuzz/Sources/FuzzCleartext/FuzzCleartext.swift), plus variants:
every chunk cut into small pieces (lines straddle chunks), a tiny budget and
a tiny depth (the cap paths), a gap in the server's direction, one in the
client's, and the connection as a sensor started mid-way sees it (each
direction first seen past its start, in the middle of a chunk).

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
    "mqtt",
    "kafka",
    "amqp",
    "nats",
    "socks",
    "smb",
    "kerberos",
    "sip",
    "rtsp",
    "irc",
    "vnc",
    "rsh",
    "rlogin",
    "http2",
    "mssql",
    "mongodb",
    "cassandra",
    "memcached",
    "nntp",
    "snmpv3",
    "radius",
    "tacacs",
    "websocket",  # not an app: FuzzCleartext's WebSocket frame reader (nil in `apps`)
    "stomp",
]
# Byte 1: bits 0-1 the budget (3: 64 bytes), bit 2 server ends first, bit 3 depth 300,
# bit 4 UDP (Kerberos and SIP; else TCP); for websocket, permessage-deflate not negotiated;
# bit 5, for websocket, the `mqtt` subprotocol chosen; bit 6, a STOMP one.
TINY_BUDGET, DEPTH_300, UDP, MQTT_INSIDE, STOMP_INSIDE = 0x03, 0x08, 0x10, 0x20, 0x40

OWN = {
    "http-auth-curl.pcap": "http", "http-curl.pcap": "http", "smtp-auth.pcap": "smtp", "smtp-python.pcap": "smtp",
    "ftp-rejected.pcap": "ftp", "ftp-python.pcap": "ftp", "ftp-data.pcap": "ftp", "pop3-python.pcap": "pop3", "imap-python.pcap": "imap",
    "redis-auth.pcap": "redis", "starttls-postgres.pcap": "postgresql", "mqtt-auth.pcap": "mqtt",
    "redis-auth.pcap": "redis", "starttls-postgres.pcap": "postgresql", "h2c-curl.pcap": "http2",
    "h2c-content.pcap": "http2", "nntp-python.pcap": "nntp", "content-br-zstd.pcap": "http",
    "grpc-gzip.pcap": "http2", "grpc-messages.pcap": ("http2", "http"),  # a tuple: the analyzer of each stream in turn
    "http-identity.pcap": "http", "saml-post.pcap": "http", "tacacs.pcap": "tacacs",
    "stomp-rabbitmq.pcap": "stomp",
}
# Which TCP streams of a capture are seeded (default: its first four). tacacs.pcap:
# an obfuscated login, the flagged ASCII and PAP logins, the unflagged one in clear.
# stomp-rabbitmq.pcap: the two STOMP connections (the Web STOMP ones are websocket_seeds').
STREAMS = {"tacacs.pcap": (0, 5, 6, 10), "stomp-rabbitmq.pcap": (0, 1)}
REAL = {
    "ndpi__http_auth.pcap": "http", "arkime__http-digestauth.pcap": "http", "ndpi__webdav.pcap": "http",
    "arkime__80211http.pcap": "http", "ndpi__pop3.pcap": "pop3", "ndpi__imap.pcap": "imap",
    "arkime__smtp-data-250.pcap": "smtp", "ndpi__ftp.pcap": "ftp", "zeek__ftp__ipv4.pcap": "ftp",
    "ndpi__mysql.pcapng": "mysql", "zeek__mysql__auth.pcap": "mysql", "ndpi__pgsql.pcap": "postgresql",
    "ndpi__telnet.pcap": "telnet", "zeek__ldap__simpleauth.pcap": "ldap", "zeek__ldap__sasl-ntlm.pcap": "ldap",
    "zeek__redis__auth.pcap": "redis", "ndpi__mqtt.pcap": "mqtt", "zeek__mqtt.pcap": "mqtt",
    "zeek__socks-auth.pcap": "socks", "zeek__socks-with-ssl.pcap": "socks", "arkime__smbtorture-ntlmssp.pcap": "smb",
    "zeek__smb__raw_ntlm_in_smb.pcap": "smb", "ndpi__smbv1.pcap": "smb", "ndpi__kerberos-login.pcap": "kerberos",
    "ndpi__rtsp.pcap": "rtsp", "zeek__irc-basic.pcap": "irc", "zeek__irc-more-commands.pcap": "irc",
    "zeek__rfb__vncmac.pcap": "vnc", "ndpi__rsh.pcap": "rsh", "zeek__http__cooper-grill-dvwa.pcapng": "http",
    "ndpi__mssql_tds.pcap": "mssql", "ndpi__nntp.pcap": "nntp",
}
# UDP protocols: each datagram is one chunk (the direction by destination port).
SNMP_REAL = ["arkime__SNMPv2c_get_requests.pcap", "ndpi__snmp.pcap"]
# SNMPv3 messages only (noAuthNoPriv, authNoPriv and authPriv sessions and traps).
SNMPV3_REAL = ["ndpi__snmp.pcap", "zeek__snmp__snmpv3_get_next.pcap"]
# SIP over UDP: each datagram one chunk (the direction by the first sender), fed to the TCP reader.
SIP_REAL = ["ndpi__sip.pcap"]
KERBEROS_REAL = ["ndpi__kerberos-login.pcap", "zeek__krb__auth.pcap", "arkime__krb5-udp.pcap"]


def broker_exchanges():
    """Byte-exact logins for the readers without a real capture (Kafka,
    AMQP 0-9-1, NATS), as the unit tests build them: (name, analyzer,
    [(direction, bytes)]), direction 0 to the server."""
    be16 = lambda v: struct.pack(">H", v)
    be32 = lambda v: struct.pack(">I", v)
    sized = lambda b: be32(len(b)) + b

    def kafka_request(api, version, corr, body, flexible=False):
        return sized(be16(api) + be16(version) + be32(corr) + be16(6) + b"client" + (b"\0" if flexible else b"") + body)

    plain = b"\0alice\0alice-secret"
    kafka = [
        (0, kafka_request(18, 3, 1, b"\x08librdka\x065.3.0\0", flexible=True)),
        (1, sized(be32(1) + be16(0) + b"\x01" + be32(0))),
        (0, kafka_request(17, 1, 2, be16(5) + b"PLAIN")),
        (1, sized(be32(2) + be16(0) + be32(1) + be16(5) + b"PLAIN")),
        (0, kafka_request(36, 2, 3, bytes([len(plain) + 1]) + plain + b"\0", flexible=True)),
        (1, sized(be32(3) + b"\0" + be16(58) + b"\0\x01" + be32(0) + be32(0) + b"\0")),
    ]
    scram_first, scram_final = b"n,,n=ingest,r=abc", b"c=biws,r=abcdef,p=cHJvb2Y="
    kafka_v0 = [
        (0, kafka_request(17, 0, 1, be16(13) + b"SCRAM-SHA-256")),
        (1, sized(be32(1) + be16(0) + be32(1) + be16(13) + b"SCRAM-SHA-256")),
        (0, sized(scram_first)), (1, sized(b"r=abcdef,s=c2FsdA==,i=4096")),
        (0, sized(scram_final)), (1, sized(b"v=dmVyaWZpZXI=")),
    ]

    def amqp_method(cls, method, args):
        payload = be16(cls) + be16(method) + args
        return b"\x01" + be16(0) + be32(len(payload)) + payload + b"\xce"

    longstr = lambda b: be32(len(b)) + b
    shortstr = lambda b: bytes([len(b)]) + b
    props = longstr(shortstr(b"product") + b"S" + longstr(b"pika"))
    amqplain = shortstr(b"LOGIN") + b"S" + longstr(b"guest") + shortstr(b"PASSWORD") + b"S" + longstr(b"guest")
    amqp = [
        (0, b"AMQP\0\0\x09\x01"),
        (1, amqp_method(10, 10, b"\0\x09" + props + longstr(b"AMQPLAIN PLAIN") + longstr(b"en_US"))),
        (0, amqp_method(10, 11, props + shortstr(b"AMQPLAIN") + longstr(amqplain) + shortstr(b"en_US"))),
        (1, amqp_method(10, 50, be16(403) + shortstr(b"ACCESS_REFUSED") + be16(0) + be16(0))),
    ]
    amqp_plain = [
        (0, b"AMQP\0\0\x09\x01"),
        (0, amqp_method(10, 11, props + shortstr(b"PLAIN") + longstr(b"\0orders\0pw") + shortstr(b"en_US"))),
        (1, amqp_method(10, 10, b"\0\x09" + props + longstr(b"PLAIN") + longstr(b"en_US"))),
        (1, b"\x08\0\0\0\0\0\0\xce"),
        (1, amqp_method(10, 30, be16(2047) + be32(131072) + be16(60))),
    ]
    nats = [
        (1, b'INFO {"server_id":"N1","version":"2.10.7","auth_required":true,"nonce":"abc"}\r\n'),
        (0, b'CONNECT {"verbose":false,"user":"billing","pass":"p\\"w\\u00e9","opts":{"a":[1,"]"]}}\r\nPING\r\n'),
        (1, b"PONG\r\n"),
    ]
    nats_token = [
        (1, b'INFO {"server_id":"N1"}\r\n'),
        (0, b'CONNECT {"auth_token":"t0k","jwt":"eyJ.eyJ.sig","nkey":"UABC","sig":"c2ln"}\r\n'),
        (1, b"-ERR 'Authorization Violation'\r\n"),
    ]
    return [
        ("own-kafka-plain", "kafka", kafka), ("own-kafka-scram-v0", "kafka", kafka_v0),
        ("own-amqp-amqplain", "amqp", amqp), ("own-amqp-plain", "amqp", amqp_plain),
        ("own-nats-password", "nats", nats), ("own-nats-token", "nats", nats_token),
    ]
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
        # SOCKS5 (RFC 1928, RFC 1929): offer, password, CONNECT by name, an IPv6 reply, then TLS-looking bytes.
        "own-socks5-tunnel": script("socks", [(0, b"\x05\x02\x00\x02"), (1, b"\x05\x02"), (0, b"\x01\x03bob\x05alice"),
                                              (1, b"\x01\x00"), (0, b"\x05\x01\x00\x03\x10mail.example.com\x01\xbb"),
                                              (1, b"\x05\x00\x00\x04" + bytes(15) + b"\x01\x9c\x40"),
                                              (0, b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00")]),
        # SOCKS4a: CONNECT to 0.0.0.1 with a user id and a host name, granted, then TLS-looking bytes.
        "own-socks4a-tunnel": script("socks", [(0, b"\x04\x01\x01\xbb\x00\x00\x00\x01alice\x00mail.example.com\x00"),
                                               (1, b"\x00\x5a\x00\x00\x00\x00\x00\x00"),
                                               (0, b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00")]),
    }


def websocket_seeds():
    """The WebSocket connections of websocket.pcap, mqtt-websocket.pcap and
    stomp-rabbitmq.pcap from their first frame (the reader's start: what
    follows each direction's HTTP head), whole, in small pieces, with a tiny
    budget, and as if deflate had not been agreed; MQTT's and STOMP's with
    their subprotocol chosen."""
    seeds = {}
    for name, options in (("websocket.pcap", 0), ("mqtt-websocket.pcap", MQTT_INSIDE),
                          ("stomp-rabbitmq.pcap", STOMP_INSIDE)):
        path = os.path.join(CAPTURES, name)
        if os.path.exists(path):
            seeds.update(websocket_connections(path, name[:-len(".pcap")], options))
    return seeds


def websocket_connections(path, stem, options):
    seeds = {}
    for n in streams(path):
        _, chunks = follow(path, n)
        if not chunks or b"upgrade: websocket" not in chunks[0][1].lower():
            continue  # the page and its favicon, plain HTTP
        framed, heads = [], [b"", b""]
        for direction, data in chunks:
            if heads[direction] is not None:
                heads[direction] += data
                end = heads[direction].find(b"\r\n\r\n")
                if end < 0:
                    continue
                data, heads[direction] = heads[direction][end + 4:], None
            if data:
                framed.append((direction, data))
        tag = "own-%s-%d" % (stem, n)
        seeds[tag] = script("websocket", framed, options=options)
        seeds[tag + "-pieces7"] = script("websocket", pieces(framed, 7), options=options)
        seeds[tag + "-budget64"] = script("websocket", pieces(framed, 30), options=options | TINY_BUDGET)
        seeds[tag + "-nodeflate"] = script("websocket", framed, options=options | UDP)
    return seeds


def database_logins():
    """Byte-exact logins of the database readers without a real capture
    (the same exchanges as Tests/InspectionTests/DatabaseLoginMoreTests.swift):
    name -> (analyzer, [(direction, bytes)]), direction 0 to the server."""
    le16, le32 = (lambda v: struct.pack("<H", v)), (lambda v: struct.pack("<i", v))
    be16, be32 = (lambda v: struct.pack(">H", v)), (lambda v: struct.pack(">i", v))
    ucs2 = lambda s: s.encode("utf-16-le")

    def tds(kind, body, status=1):
        return bytes([kind, status]) + be16(len(body) + 8) + bytes([0, 0, 1, 0]) + body

    def prelogin(kind, encryption):
        return tds(kind, bytes([0]) + be16(11) + be16(6) + bytes([1]) + be16(17) + be16(1) + b"\xff"
                   + bytes([16, 0, 7, 208, 0, 0, encryption]))

    def login7(user, password):
        data, fields = b"", b""
        for value, length in [(ucs2("WS01"), 4), (ucs2(user), len(user)),
                              (bytes(((b << 4 | b >> 4) & 0xFF) ^ 0xA5 for b in ucs2(password)), len(password)),
                              (ucs2("sqlcmd"), 6), (ucs2("db1"), 3), (b"", 0), (ucs2("ODBC"), 4), (b"", 0),
                              (ucs2("shop"), 4)]:
            fields += le16(94 + len(data)) + le16(length)
            data += value
        fields += bytes([0, 0x50, 0x56, 0xAB, 0xCD, 0xEF])  # client id
        fields += (le16(94 + len(data)) + le16(0)) * 3 + le32(0)  # SSPI, attach file, change password; cbSSPILong
        assert len(fields) == 58
        fixed = le32(94 + len(data)) + bytes([4, 0, 0, 0x74]) + le32(4096) + le32(7) + le32(1234) + le32(0)
        fixed += bytes([0xE0, 3, 0, 0]) + le32(0) + le32(0x409)
        return tds(0x10, fixed + fields + data)

    def token(kind, data):
        return bytes([kind]) + le16(len(data)) + data

    login_ack = tds(4, token(0xAD, bytes([1, 0x74, 0, 0, 4, 3]) + ucs2("SQL") + bytes([16, 0, 7, 208]))
                    + bytes([0xFD, 0, 0, 0xC1, 0]) + bytes(8))
    login_failed = tds(4, token(0xAA, le32(18456) + bytes([1, 14]) + le16(12) + ucs2("Login failed") + bytes([0, 0]) + le32(1)))

    def bson(*elements):
        body = b"".join(elements) + b"\0"
        return le32(len(body) + 4) + body

    def bstr(name, v):
        return b"\x02" + name.encode() + b"\0" + le32(len(v) + 1) + v.encode() + b"\0"

    def bbin(name, v):
        return b"\x05" + name.encode() + b"\0" + le32(len(v)) + b"\0" + v

    def bint(name, v):
        return b"\x10" + name.encode() + b"\0" + le32(v)

    def msg(request, response_to, doc):
        body = le32(request) + le32(response_to) + le32(2013) + le32(0) + b"\0" + doc
        return le32(len(body) + 4) + body

    ok = b"\x01ok\0" + struct.pack("<d", 1.0)
    final = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="

    def cql(version, opcode, body, flags=0):
        return bytes([version, flags]) + be16(0) + bytes([opcode]) + be32(len(body)) + body

    def cstr(s):
        return be16(len(s)) + s.encode()

    startup = lambda v: cql(v, 1, be16(1) + cstr("CQL_VERSION") + cstr("3.0.0"))
    authenticate = lambda v: cql(0x80 | v, 3, cstr("org.apache.cassandra.auth.PasswordAuthenticator"))
    plain_token = lambda v: cql(v, 0x0F, be32(13) + b"\0app\0password")

    def frame(payload):
        word = len(payload) | 1 << 17
        return bytes([word & 0xFF, word >> 8 & 0xFF, word >> 16]) + bytes(3) + payload + bytes(4)

    def mc(magic, opcode, key=b"", value=b"", status=0):
        return (bytes([magic, opcode]) + be16(len(key)) + bytes([0, 0]) + be16(status)
                + be32(len(key) + len(value)) + be32(1) + bytes(8) + key + value)

    return {
        "own-mssql-login": ("mssql", [(0, prelogin(0x12, 2)), (1, prelogin(4, 2)), (0, login7("sa", "Pa$$w0rd")),
                                      (1, login_ack)]),
        "own-mssql-rejected": ("mssql", [(0, login7("app", "wrong")), (1, login_failed)]),
        "own-mssql-encrypted": ("mssql", [(0, prelogin(0x12, 0)), (1, prelogin(4, 1))]),
        "own-mongodb-plain": ("mongodb", [
            (0, msg(1, 0, bson(bint("saslStart", 1), bstr("mechanism", "PLAIN"), bbin("payload", b"\0alice\0s3cret")))),
            (1, msg(7, 1, bson(bint("conversationId", 1), b"\x08done\0\x01", ok)))]),
        "own-mongodb-scram": ("mongodb", [
            (0, msg(1, 0, bson(bint("saslStart", 1), bstr("mechanism", "SCRAM-SHA-256"),
                               bbin("payload", b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO")))),
            (1, msg(8, 1, bson(bint("conversationId", 1), ok))),
            (0, msg(2, 0, bson(bint("saslContinue", 1), bbin("payload", final)))),
            (1, msg(9, 2, bson(b"\x01ok\0" + struct.pack("<d", 0.0))))]),
        "own-cassandra-v4": ("cassandra", [(0, startup(4)), (1, authenticate(4)), (0, plain_token(4)),
                                           (1, cql(0x84, 0x10, be32(-1)))]),
        "own-cassandra-v5": ("cassandra", [(0, startup(5)), (1, authenticate(5)), (0, frame(plain_token(5))),
                                           (1, frame(cql(0x85, 0, be32(0x100) + cstr("bad credentials"))))]),
        "own-memcached-sasl": ("memcached", [(0, mc(0x80, 0x20)), (1, mc(0x81, 0x20, value=b"PLAIN")),
                                             (0, mc(0x80, 0x21, b"PLAIN", b"\0user\0pass")),
                                             (1, mc(0x81, 0x21, value=b"Auth failure", status=0x20))]),
        "own-memcached-text": ("memcached", [(0, b"set k 0 900 5\r\nhello\r\nget k\r\n"),
                                             (1, b"STORED\r\nVALUE k 0 5\r\nhello\r\nEND\r\n")]),
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


def gap_event(direction, length):
    return bytes([0x02 | direction << 2]) + struct.pack("<H", max(1, min(length, 0xFFFF)))


def midstream(analyzer, chunks):
    """`chunks` as a sensor that started mid-connection sees them: the first
    third of each direction's bytes was never seen (a gap stands for them, so
    the direction is first seen past offset 0, inside a chunk), then the rest."""
    totals = [0, 0]
    for direction, data in chunks:
        totals[direction] += len(data)
    drop = [min(t // 3, 0xFFFF) for t in totals]
    seen, rest = [0, 0], []
    for direction, data in chunks:
        skip = max(0, min(len(data), drop[direction] - seen[direction]))
        seen[direction] += len(data)
        if skip < len(data):
            rest.append((direction, data[skip:]))
    body = script(analyzer, rest)
    gaps = b"".join(gap_event(d, drop[d]) for d in (0, 1) if drop[d] > 0)
    return body[:2] + gaps + body[2:]


def client_gap(analyzer, chunks, after=3, length=17):
    """A gap in the client's direction after the first `after` chunks."""
    head, tail = script(analyzer, chunks[:after]), script(analyzer, chunks[after:])
    return head + gap_event(0, length) + tail[2:]


def smb_seeds():
    """Byte-exact SMB sessions the real captures lack (MS-CIFS 2.2.4.53, MS-SMB2 2.2.5/2.2.6/2.2.41):
    SMB1 with a plaintext password, SMB2 NTLMSSP with an encrypting session, SMB2 then a transform header."""
    le16, le32 = (lambda v: struct.pack("<H", v)), (lambda v: struct.pack("<I", v))

    def nbss(m):
        return b"\x00" + struct.pack(">I", len(m))[1:] + m

    def smb1(command, words, data, status=0, reply=False):
        h = b"\xffSMB" + bytes([command]) + le32(status) + bytes([0x98 if reply else 0x18]) + le16(0x4001) + bytes(20)
        return nbss(h + bytes([len(words) // 2]) + words + le16(len(data)) + data)

    def smb2(command, body, status=0, reply=False):
        h = b"\xfeSMB" + le16(64) + le16(1) + le32(status) + le16(command) + le16(1) + le32(1 if reply else 0) + bytes(44)
        return nbss(h + body)

    ntlm = (b"NTLMSSP\x00" + le32(3) + le16(24) + le16(24) + le32(64) + le16(24) + le16(24) + le32(88)
            + bytes(8) + le16(4) + le16(4) + le32(112) + bytes(8) + bytes(8) + le32(0) + bytes(24) + bytes(range(24)) + b"user")
    negotiate_response = smb1(0x72, le16(0) + b"\x01" + bytes(31), bytes(8), reply=True)
    password = b"Secret1\x00"
    setup = smb1(0x73, b"\xff\x00" + bytes(12) + le16(len(password)) + le16(0) + bytes(8), password + b"alice\x00")
    setup2 = smb2(1, le16(25) + b"\x00\x01" + bytes(8) + le16(88) + le16(len(ntlm)) + bytes(8) + ntlm)
    def setup2_response(flags):
        return smb2(1, le16(9) + le16(flags) + le16(0) + le16(0), reply=True)
    transform = nbss(b"\xfdSMB" + bytes(48) + bytes(range(32)))
    return {
        "smb1-plaintext": script("smb", [(0, smb1(0x72, b"", b"\x02NT LM 0.12\x00")), (1, negotiate_response),
                                         (0, setup), (1, smb1(0x73, bytes(6), b"", reply=True))]),
        "smb2-encrypt-flag": script("smb", [(0, setup2), (1, setup2_response(4))]),
        "smb2-transform": script("smb", [(0, setup2), (1, setup2_response(0)), (0, transform), (1, transform)]),
        "smb2-pieces7": script("smb", pieces([(0, setup2), (1, setup2_response(0))], 7)),
    }
def content_seeds():
    """Bodies and mail for the content decoders: gzip, raw deflate, br, zstd, chunked, forms, multipart, MIME."""
    import base64, gzip, subprocess, zlib
    text = b"".join(b"line %d: card 4111 1111 1111 1111\r\n" % i for i in range(200))
    gz = gzip.compress(text, mtime=0)
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = raw.compress(text) + raw.flush()
    get = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    def chunked(body, size):
        return b"".join(b"%x\r\n%s\r\n" % (len(body[k:k + size]), body[k:k + size]) for k in range(0, len(body), size)) + b"0\r\n\r\n"
    seeds = {}
    seeds["content-http-gzip"] = script("http", [(0, get), (1, b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(gz) + gz)])
    seeds["content-http-deflate-chunked"] = script("http", [(0, get)] + pieces([(1, b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(raw, 100))], 37))
    # br and zstd by their command-line tools (the standard library has neither codec).
    for tool, coding in (("brotli", b"br"), ("zstd", b"zstd")):
        packed = subprocess.run([tool, "-c"] + (["-q"] if tool == "zstd" else []), input=text, capture_output=True, check=True).stdout
        seeds["content-http-%s-chunked" % tool] = script("http", [(0, get)] + pieces([(1, b"HTTP/1.1 200 OK\r\nContent-Encoding: " + coding + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(packed, 100))], 37))
        bomb = subprocess.run([tool, "-c"] + (["-q"] if tool == "zstd" else []), input=bytes(1 << 20), capture_output=True, check=True).stdout
        seeds["content-http-%s-bomb" % tool] = script("http", [(0, get), (1, b"HTTP/1.1 200 OK\r\nContent-Encoding: " + coding + b"\r\nContent-Length: %d\r\n\r\n" % len(bomb) + bomb)])
    bomb = gzip.compress(bytes(1 << 20), mtime=0)
    seeds["content-http-bomb"] = script("http", [(0, get), (1, b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb) + bomb)])
    form = b"user=j%C3%B6rg&pw=s3cr%20t+x&empty=&flag&bad=%zz%4"
    # gRPC-Web text over HTTP/1.1: base64 per frame (padded apart), a message then the trailers frame.
    frame = lambda flags, payload: bytes([flags]) + struct.pack(">I", len(payload)) + payload
    web = base64.b64encode(frame(0, b"\x0a\x18tok_abcdefghij0123456789")) + base64.b64encode(frame(0x80, b"grpc-status:0\r\n"))
    seeds["content-http-grpc-web-text"] = script("http", pieces([(0, b"POST /s/M HTTP/1.1\r\nContent-Type: application/grpc-web-text\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(web, 30))], 11))
    # A SAML response posted in a form (the POST binding): base64, percent-escaped, wrapped at 76.
    saml = base64.encodebytes(b'<samlp:Response><saml:Assertion ID="_5c1e9a7f3b2d4e6a" IssueInstant="2026-12-07T09:14:02Z">tok_abcdefghij0123456789</saml:Assertion></samlp:Response>')
    saml = b"SAMLResponse=" + saml.replace(b"+", b"%2B").replace(b"/", b"%2F").replace(b"=", b"%3D").replace(b"\n", b"%0D%0A") + b"&RelayState=%2F"
    seeds["content-http-saml-form"] = script("http", pieces([(0, b"POST /acs HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % len(saml) + saml)], 7))
    page = b'<form method="post" action="/acs"><input type="hidden" name="SAMLResponse" value="' + base64.b64encode(b'<saml:Assertion ID="_5c1e9a7f3b2d4e6a" IssueInstant="2026-12-07T09:14:02Z">tok_abcdefghij0123456789</saml:Assertion>').replace(b"+", b"&#x2b;").replace(b"=", b"&#61;") + b'"/></form>'
    seeds["content-http-saml-page"] = script("http", [(0, get), (1, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(page) + page)])
    # The redirect binding: raw DEFLATE, base64, percent-encoded, in a Location and a request line.
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    logout = deflater.compress(b'<samlp:LogoutRequest ID="id-1"><saml:NameID>tok_abcdefghij0123456789</saml:NameID></samlp:LogoutRequest>') + deflater.flush()
    slo = b"/slo?SAMLRequest=" + base64.b64encode(logout).replace(b"+", b"%2B").replace(b"/", b"%2F").replace(b"=", b"%3D") + b"&RelayState=%2F"
    seeds["content-http-saml-redirect"] = script("http", pieces([(0, b"GET " + slo + b" HTTP/1.1\r\nHost: a\r\n\r\n"), (1, b"HTTP/1.1 302 Found\r\nLocation: http://a" + slo + b"\r\nContent-Length: 0\r\n\r\n")], 9))
    seeds["content-http-form"] = script("http", pieces([(0, b"POST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n" % len(form) + form)], 5))
    multipart = (b"pre\r\n--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n-- no\r\n--B\r\n"
                 b"Content-Disposition: form-data;\r\n name=\"f\"; filename=\"x.csv\"\r\nContent-Type: text/csv\r\n\r\n1,2\r\n\x00\xff\r\n--B--\r\nepi")
    seeds["content-http-multipart"] = script("http", pieces([(0, b"POST / HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=B\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(multipart, 20))], 9))
    b64 = base64.encodebytes(bytes(range(256))).replace(b"\n", b"\r\n")
    mail = (b"Subject: x\r\nContent-Type: multipart/mixed;\r\n\tboundary=\"o\"\r\n\r\npre\r\n--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n"
            b"--i\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 =3D=\r\n5\r\n..dot\r\n--i--\r\n--o\r\n"
            b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"d.bin\"\r\n\r\n" + b64 + b"--o--\r\n.\r\n")
    client = b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n" + mail + b"QUIT\r\n"
    server = b"220 mx\r\n250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n"
    seeds["content-smtp-mime"] = script("smtp", [(1, server)] + pieces([(0, client)], 11))
    # The same mail chunked with BDAT (RFC 3030), read back by POP3 RETR (stuffed) and IMAP FETCH, stored by APPEND.
    body = mail[:-3]
    bdat = b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 100\r\n" + body[:100] + b"BDAT %d LAST\r\n" % (len(body) - 100) + body[100:] + b"QUIT\r\n"
    seeds["content-smtp-bdat"] = script("smtp", [(1, b"220 mx\r\n250 mx\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n221 bye\r\n")] + pieces([(0, bdat)], 11))
    pop3 = b"+OK ready\r\n+OK\r\n+OK in\r\n+OK 1 1\r\n.\r\n+OK\r\n" + mail + b"+OK\r\n" + mail[:200] + b".\r\n+OK bye\r\n"
    seeds["content-pop3-retr"] = script("pop3", [(0, b"USER a\r\nPASS b\r\nLIST\r\nRETR 1\r\nTOP 1 3\r\nQUIT\r\n")] + pieces([(1, pop3)], 13))
    nntp_server = (b"200 news\r\n101 caps\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n383 \r\n481 no\r\n381 p\r\n281 ok\r\n"
                   b"211 1 1 1 g\r\n220 1 <x@y>\r\n" + pop3[pop3.index(b"Subject"):pop3.index(b"+OK\r\n", 40)] + b"221 1 <x@y>\r\nSubject: x\r\n.\r\n"
                   b"222 1 <x@y>\r\n..281 no\r\n.\r\n340 go\r\n240 ok\r\n205 bye\r\n")
    nntp_client = (b"CAPABILITIES\r\nAUTHINFO SASL PLAIN\r\nAGEAYg==\r\nAUTHINFO USER a\r\nAUTHINFO PASS b\r\nGROUP g\r\n"
                   b"ARTICLE <x@y>\r\nHEAD 1\r\nBODY 1\r\nPOST\r\n" + mail + b"QUIT\r\n")
    seeds["content-nntp-article-post"] = script("nntp", [(1, nntp_server[:60])] + pieces([(0, nntp_client), (1, nntp_server[60:])], 13))
    imap_server = (b"* OK\r\na1 OK\r\n* 1 FETCH (BODY[] {%d}\r\n" % len(body) + body + b" BODY[HEADER.FIELDS (SUBJECT)] {12}\r\nSubject: x\r\n"
                   b" BODY[TEXT] {4}\r\nabcd)\r\na2 OK\r\n+ go\r\na3 OK\r\n* BYE\r\na4 OK\r\n")
    imap_client = b"a1 LOGIN a b\r\na2 FETCH 1 (BODY[] BODY[HEADER.FIELDS (SUBJECT)] BODY[TEXT])\r\na3 APPEND x {%d}\r\n" % len(body) + body + b"\r\na4 LOGOUT\r\n"
    seeds["content-imap-fetch-append"] = script("imap", pieces([(0, imap_client), (1, imap_server)], 17))
    # FTP after the login: the four ways to announce a data connection (RFC 959 PASV/PORT, RFC 2428 EPSV/EPRT).
    ftp_client = (b"USER a\r\nPASS b\r\nPASV\r\nRETR f.txt\r\nEPSV\r\nSTOR g\r\nPORT 10,0,0,1,4,1\r\nLIST\r\n"
                  b"EPRT |1|10.0.0.1|6275|\r\nNLST\r\nEPRT |2|1080::8:800:200C:417A|5282|\r\nAPPE h\r\nQUIT\r\n")
    ftp_server = (b"220 x\r\n331 p\r\n230 ok\r\n227 Entering Passive Mode (10,0,0,2,19,137)\r\n150 o\r\n226 d\r\n"
                  b"229 Entering Extended Passive Mode (|||6446|)\r\n150 o\r\n226 d\r\n200 ok\r\n150 o\r\n226 d\r\n"
                  b"200 ok\r\n150 o\r\n226 d\r\n200 ok\r\n150 o\r\n226 d\r\n221 bye\r\n")
    seeds["ftp-data-announcements"] = script("ftp", pieces([(0, ftp_client), (1, ftp_server)], 13))
    # HTTP/2 (RFC 9113): bodies in DATA frames, padded and not, gzip, trailers, RST_STREAM, a
    # form; header blocks with plain literals (RFC 7541 6.2.2) and static indices.
    def h2(kind, flags, stream, payload):
        return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload
    def lit(name, value):
        return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value
    post = lambda media: b"\x83\x86\x84" + lit(b"content-type", media)
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2(4, 0, 0, b"")
    h2_client = (preface + h2(1, 4, 1, post(b"application/json")) + h2(0, 0, 1, text[:300])
                 + h2(0, 8 | 1, 1, b"\x05" + text[300:400] + bytes(5))
                 + h2(1, 4, 3, post(b"application/x-www-form-urlencoded")) + h2(0, 1, 3, form)
                 + h2(1, 4, 5, post(b"text/plain")) + h2(0, 0, 5, b"cut short") + h2(3, 0, 5, b"\0\0\0\x08")
                 + h2(1, 4, 7, post(b"application/grpc")) + h2(0, 1, 7, b"\0\0\0\0\x02\x0a\0"))
    h2_server = (h2(4, 0, 0, b"") + h2(1, 4, 1, b"\x88" + lit(b"content-encoding", b"gzip"))
                 + b"".join(h2(0, 0, 1, gz[k:k + 50]) for k in range(0, len(gz), 50))
                 + h2(1, 4 | 1, 1, lit(b"x-trailer", b"done")) + h2(1, 4 | 1, 3, b"\x88"))
    seeds["content-http2-bodies"] = script("http2", [(0, h2_client), (1, h2_server)])
    seeds["content-http2-bodies-pieces7"] = script("http2", pieces([(0, h2_client), (1, h2_server)], 7))
    return seeds


def main():
    seeds = {}
    sources = [(os.path.join(CAPTURES, n), code, n) for n, code in OWN.items()]
    sources += [(os.path.join(REAL_DIR, n), code, "real-" + n) for n, code in REAL.items()]
    for path, codes, name in sources:
        if not os.path.exists(path):
            continue
        stem = name[:-len(".pcap")]
        found = streams(path)
        for k, n in enumerate([found[i] for i in STREAMS.get(name, range(4)) if i < len(found)]):
            _, chunks = follow(path, n)
            if not chunks:
                continue
            tag = "%s-%d" % (stem, n)
            code = codes[k] if isinstance(codes, tuple) else codes
            seeds[tag] = script(code, chunks)
            seeds[tag + "-pieces7"] = script(code, pieces(chunks, 7))
            if n == found[0]:
                seeds[tag + "-budget64"] = script(code, pieces(chunks, 30), options=TINY_BUDGET)
                seeds[tag + "-depth300"] = script(code, chunks, options=DEPTH_300)
                seeds[tag + "-servergap"] = script(code, chunks[:3], extra=bytes([0x06]) + struct.pack("<H", 50))
                seeds[tag + "-clientgap"] = client_gap(code, chunks)
                seeds[tag + "-midstream"] = midstream(code, chunks)
    for name, code, chunks in broker_exchanges():
        seeds[name] = script(code, chunks)
        seeds[name + "-pieces7"] = script(code, pieces(chunks, 7))
        seeds[name + "-budget64"] = script(code, pieces(chunks, 30), options=TINY_BUDGET)
    seeds.update(content_seeds())
    udp = [(os.path.join(REAL_DIR, name), "snmp", ("161", "162")) for name in SNMP_REAL]
    udp += [(os.path.join(REAL_DIR, name), "snmpv3", ("161", "162")) for name in SNMPV3_REAL]
    udp += [(os.path.join(REAL_DIR, name), "kerberos", ("88",)) for name in KERBEROS_REAL]
    # Our own RADIUS recording: PAP, CHAP, MS-CHAPv1/v2, accounting.
    udp += [(os.path.join(CAPTURES, "radius.pcap"), "radius", ("18120", "18121"))]
    for path, code, server_ports in udp:
        if not os.path.exists(path):
            continue
        name = os.path.basename(path)
        shown = "snmp.msgVersion == 3" if code == "snmpv3" else "udp"
        out = subprocess.run(["tshark", "-r", path, "-Y", shown, "-T", "fields", "-e", "udp.dstport", "-e", "udp.payload"],
                             check=True, capture_output=True, text=True).stdout
        datagrams = []
        for line in out.splitlines():
            port, _, payload = line.partition("\t")
            if payload:
                datagrams.append((0 if port in server_ports else 1, bytes.fromhex(payload.replace(":", ""))))
        # "-udp": ndpi__kerberos-login.pcap also has a TCP session, seeded above.
        suffix = "-udp" if code == "kerberos" else "-v3" if code == "snmpv3" else ""
        prefix = "own-" if path.startswith(CAPTURES) else "real-"
        seeds[prefix + name[:-len(".pcap")] + suffix] = script(code, datagrams[:40], options=UDP)
    seeds.update(smb_seeds())
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
        seeds["real-" + name[:-len(".pcap")] + "-udp"] = script("sip", datagrams[:40], options=UDP)
    seeds.update(own_exchanges())
    seeds.update(websocket_seeds())
    for name, (code, chunks) in database_logins().items():
        seeds[name] = script(code, chunks)
        seeds[name + "-pieces7"] = script(code, pieces(chunks, 7))
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("FuzzCleartext: %d seeds" % len(seeds))


if __name__ == "__main__":
    main()
