#!/usr/bin/env python3
"""Writes the seed corpus of FuzzValidators (Fuzz/Corpus/FuzzValidators/): for each
validator, values it accepts and near misses it refuses (the shapes of the ScanningTests
cases), in the format of Fuzz/Sources/FuzzValidators/FuzzValidators.swift: byte 0 the
index in Validator.allCases, then the value.

    python3 Fuzz/make_validators_corpus.py        # from the repository root
"""

import base64
import hashlib
import os
import shutil
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "Corpus", "FuzzValidators")

# The order of Validator.allCases (Sources/Scanning/Validators/Validator.swift).
VALIDATORS = ["payment-card", "iban", "us-ssn", "aba-routing", "uk-nino", "ca-sin", "in-aadhaar",
              "nanp-phone", "e164-phone", "email", "jwt", "pem", "base62-crc32", "luhn"]

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(prefix, random):
    crc = zlib.crc32(random.encode())
    digits = ""
    for _ in range(6):
        digits = BASE62[crc % 62] + digits
        crc //= 62
    return prefix + random + digits


def pem(label, newline="\n", headers=()):
    body = base64.b64encode(hashlib.sha512(label.encode()).digest() * 2).decode()
    lines = ["-----BEGIN %s-----" % label] + list(headers) + ([""] if headers else [])
    lines += [body[i:i + 64] for i in range(0, len(body), 64)] + ["-----END %s-----" % label]
    return newline.join(lines) + newline


SEEDS = {
    "payment-card": ["4111 1111 1111 1111", "3782-822463-10005", "6011000990139424", "2223003122003222",
                     "4111111111111112", "5018123456789014", "36227206271667"],
    "iban": ["DE89 3704 0044 0532 0130 00", "GB29NWBK60161331926819", "MT84MALT011000012345MTLCAST001S",
             "NO9386011117947", "DE99370400440532013000", "us64svbkus6s3300958879"],
    "us-ssn": ["536-22-8145", "536228145", "666-12-3456", "078-05-1120", "53-622-8145"],
    "aba-routing": ["011000015", "021000021", "123456789", "000000000"],
    "uk-nino": ["AB 12 34 56 C", "QQ 12 34 56 C", "ab123456d", "NT123456A"],
    "ca-sin": ["130 692 544", "046-454-286", "800000002"],
    "in-aadhaar": ["2341 2341 2346", "4987-6543-2102", "234123412364"],
    "nanp-phone": ["(415) 867-2345", "+1 415 867 2345", "415.555.0123", "1-411-867-2345"],
    "e164-phone": ["+44 20 7946 0958", "+353 1 234 5678", "+1 415 867 2345", "+999 1234 5678", "+880 1712 345678"],
    "email": ["alice@corp.acme-widgets.io", "user@example.com", "a..b@x.io", "user@xn--80ak6aa92e.xn--p1ai",
              "a@host.localhost"],
    "jwt": [b64url(b'{"alg":"HS256","typ":"JWT"}') + "." + b64url(b'{"iss":"joe","iat":1700000000,"exp":1700003600}') + ".c2lnbmF0dXJl",
            b64url(b'{"alg":"none"}') + "." + b64url(b'{"sub":"1"}') + ".",
            b64url(b'not json') + "." + b64url(b'{}') + ".c2ln",
            b64url(b'{"alg":"RS256"}') + "." + b64url(b'{"iat":-9223372036854775808,"exp":9223372036854775807}') + ".c2ln",
            # Raw JSON: the target also reads the value as a token's header and payload.
            '{"alg":"H\\u0053256","iss":"\\ud83d\\ude00","iat":1e3,"exp":-0.5E+2}',
            '{"alg":"ES256","jwk":{"k":[1,-2.5e3,{"a":[true,false,null,"}"]}],"e":{}},"alg":"none"}',
            ' {"typ" : "JWT" ,\r\n "alg":"PS256"}\t'],
    "pem": [pem("PRIVATE KEY"), pem("RSA PRIVATE KEY", "\r\n", ["Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF"]),
            pem("OPENSSH PRIVATE KEY", "\\n"), pem("PGP PRIVATE KEY BLOCK", headers=["Version: GnuPG v2"]),
            "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n"],
    "base62-crc32": [token("ghp_", "A" * 30), token("npm_", "q7Zr0x9Lk2Mv8Nc4Pb6Td1Ye3Ug5Hw0"),
                     token("gho_", "0" * 30)[:-1] + "Z"],
    "luhn": ["79927398713", "7992-7398 713", "79927398710"],
}


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    for name, values in SEEDS.items():
        index = VALIDATORS.index(name)
        for number, value in enumerate(values):
            with open(os.path.join(OUT, "%s-%d.bin" % (name, number)), "wb") as f:
                f.write(bytes([index]) + value.encode())
    print("%d seeds in %s" % (sum(len(v) for v in SEEDS.values()), OUT))


if __name__ == "__main__":
    main()
