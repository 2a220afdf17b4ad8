#!/usr/bin/env python3
"""Fake, format-valid example values for Patterns/content/*.yaml.

Every value printed here is made up from a seeded random generator and then
given whatever check digits or checksums its format carries, so that a rule's
`match` examples pass the rule's validator (Luhn, mod-97, Verhoeff, ABA 3-7-1,
base62-CRC32, PGP armour CRC-24) while being nobody's real number or key.
The `no_match` twins break exactly one property (checksum, range, prefix).

    python3 scripts/content-rules/make_examples.py            # prints NAME: VALUE lines
    python3 scripts/content-rules/make_examples.py NAME ...   # only those

The values in the YAML files were pasted from this output (seed fixed below),
so re-running it reproduces them byte for byte.
"""
import base64
import binascii
import json
import random
import re
import string
import sys
import os

# The check-digit helpers are the content corpus's (one copy in the repository).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Corpus"))
from fakes import b64url, base62, luhn_complete, luhn_ok, verhoeff_complete, verhoeff_ok  # noqa: E402

RNG = random.Random(20261205)
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 0-9A-Za-z
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64URL = string.ascii_letters + string.digits + "-_"
B64 = string.ascii_letters + string.digits + "+/"


def rand(alphabet, n):
    return "".join(RNG.choice(alphabet) for _ in range(n))


def digits(n):
    return "".join(RNG.choice(string.digits) for _ in range(n))


# --- check digits -------------------------------------------------------------

def luhn_break(num):
    """Same number with a wrong last digit."""
    last = (int(num[-1]) + 3) % 10
    return num[:-1] + str(last)


def card(prefix, length):
    while True:
        v = luhn_complete(prefix + digits(length - len(prefix) - 1))
        # stay clear of the well-known test numbers and of repeated digits
        if len(set(v[len(prefix):])) > 4:
            return v


def group(num, sizes, sep=" "):
    out, i = [], 0
    for s in sizes:
        out.append(num[i:i + s])
        i += s
    return sep.join(out)


IBAN_LENGTH = {"DE": 22, "GB": 22, "FR": 27, "NL": 18, "ES": 24, "IT": 27, "BE": 16, "CH": 21}


def iban_check(country, bban):
    rearranged = bban + country + "00"
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return "%02d" % (98 - int(numeric) % 97)


def iban(country, bban):
    assert len(bban) + 4 == IBAN_LENGTH[country]
    return country + iban_check(country, bban) + bban


def iban_spaced(v):
    return " ".join(v[i:i + 4] for i in range(0, len(v), 4))


def aba(prefix2):
    while True:
        body = prefix2 + digits(6)
        w = [3, 7, 1, 3, 7, 1, 3, 7]
        s = sum(int(d) * w[i] for i, d in enumerate(body))
        check = (10 - s % 10) % 10
        v = body + str(check)
        return v


def aadhaar():
    return verhoeff_complete(RNG.choice("23456789") + digits(10))


def sin():
    return luhn_complete(RNG.choice("1234567") + digits(7))


# GitHub / npm token checksum: CRC32 of the 30 random characters, in base62
# (alphabet 0-9A-Za-z), left-padded with '0' to 6 characters.
def crc_token(prefix):
    body = rand(ALNUM, 30)
    return prefix + body + base62(binascii.crc32(body.encode()) & 0xFFFFFFFF, 6)


def crc_token_broken(prefix):
    t = crc_token(prefix)
    last = t[-1]
    return t[:-1] + ("A" if last != "A" else "B")


def jwt(header, payload, sig_bytes=32):
    h = b64url(json.dumps(header, separators=(",", ":")).encode())
    p = b64url(json.dumps(payload, separators=(",", ":")).encode())
    s = b64url(bytes(RNG.getrandbits(8) for _ in range(sig_bytes))) if sig_bytes else ""
    return h + "." + p + "." + s


def fake_der(n):
    """A DER SEQUENCE header with the right length over random bytes: the
    base64 body starts with MII like a real key, but it is not one."""
    body = bytes(RNG.getrandbits(8) for _ in range(n))
    return bytes([0x30, 0x82, n >> 8, n & 0xFF]) + body


def pem(label, der, sep="\n"):
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return "-----BEGIN %s-----%s%s%s-----END %s-----" % (label, sep, sep.join(lines), sep, label)


def openssh_key():
    blob = b"openssh-key-v1\x00" + bytes(RNG.getrandbits(8) for _ in range(380))
    b = base64.b64encode(blob).decode()
    lines = [b[i:i + 70] for i in range(0, len(b), 70)]
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----"


def crc24(data):
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def pgp_private_block():
    # packet tag 5 (secret key), old format, 2-byte length, then random bytes
    body = bytes(RNG.getrandbits(8) for _ in range(300))
    packet = bytes([0x95, 0x01, 0x2C]) + body
    b = base64.b64encode(packet).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    check = base64.b64encode(crc24(packet).to_bytes(3, "big")).decode()
    return ("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n" + "\n".join(lines) + "\n=" + check
            + "\n-----END PGP PRIVATE KEY BLOCK-----")



# --- provider tokens: one spec per value, {class:N} = N random characters ----------

CLASSES = {
    "alnum": ALNUM, "hex": HEX, "HEX": "0123456789ABCDEF", "b64": B64, "b64url": B64URL,
    "digits": string.digits, "upper": string.ascii_uppercase, "lower": string.ascii_lowercase,
    "alpha": string.ascii_letters, "UD": string.ascii_uppercase + string.digits,
    "U2": string.ascii_uppercase + "234567", "ld": string.ascii_lowercase + string.digits,
}


def spec(s):
    return re.sub(r"\{(\w+):(\d+)\}", lambda m: rand(CLASSES[m.group(1)], int(m.group(2))), s)


def uuid4():
    h = rand(HEX, 32)
    h = h[:12] + "4" + h[13:16] + RNG.choice("89ab") + h[17:]
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def b64json(obj, url=False):
    raw = json.dumps(obj, separators=(",", ":")).encode()
    return (base64.urlsafe_b64encode(raw) if url else base64.b64encode(raw)).decode().rstrip("=")


# Bech32 (BIP 173), for age identities
_BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (b >> i) & 1 else 0
    return chk


def bech32(hrp, data8):
    acc, bits, data = 0, 0, []
    for b in data8:
        acc = (acc << 8) | b
        bits += 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    exp = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = _polymod(exp + data + [0] * 6) ^ 1
    check = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH[d] for d in data + check)


def age_identity():
    return bech32("age-secret-key-", bytes(RNG.getrandbits(8) for _ in range(32))).upper()


def discord_bot():
    uid = str(RNG.randint(10**17, 10**19 - 1))
    return (base64.b64encode(uid.encode()).decode().rstrip("=") + "." + rand(B64URL, 6) + "." + rand(B64URL, 38))


def azure_sig():
    raw = base64.b64encode(bytes(RNG.getrandbits(8) for _ in range(32))).decode()
    return raw.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


def putty_key():
    pub = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(RNG.getrandbits(8) for _ in range(32))).decode()
    priv = base64.b64encode(b"\x00\x00\x00\x20" + bytes(RNG.getrandbits(8) for _ in range(32))).decode()
    return ("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ed25519-key-20251205\n"
            "Public-Lines: 2\n%s\n%s\nPrivate-Lines: 1\n%s\nPrivate-MAC: %s" % (pub[:64], pub[64:], priv, rand(HEX, 64)))


def tokens():
    t = {}
    t["akia"] = spec("AKIA{U2:16}")
    t["asia"] = spec("ASIA{U2:16}")
    t["aws_secret"] = spec("{b64:40}")
    t["aws_secret_b"] = spec("{b64:40}")
    t["sigv4_sig"] = spec("{hex:64}")
    t["gcp_keyid"] = spec("{hex:40}")
    t["gcp_keyid_b"] = spec("{hex:40}")
    t["aiza"] = spec("AIza{b64url:35}")
    t["aiza_b"] = spec("AIza{b64url:35}")
    t["gocspx"] = spec("GOCSPX-{b64url:28}")
    t["gocspx_b"] = spec("GOCSPX-{b64url:28}")
    t["ya29"] = spec("ya29.a0A{b64url:170}")
    t["ya29_b"] = spec("ya29.c.c0A{b64url:200}")
    t["azure_key"] = spec("{b64:86}==")
    t["azure_key_b"] = spec("{b64:86}==")
    t["azure_sb_key"] = spec("{b64:43}=")
    t["azure_sb_key_b"] = spec("{b64:43}=")
    t["azure_sig"] = azure_sig()
    t["azure_sig_b"] = azure_sig()
    t["ghpat_fg"] = spec("github_pat_{alnum:22}_{alnum:59}")
    t["ghpat_fg_b"] = spec("github_pat_{alnum:22}_{alnum:59}")
    t["ghr"] = spec("ghr_{alnum:76}")
    t["ghr_b"] = spec("ghr_{alnum:76}")
    t["glpat"] = spec("glpat-{b64url:20}")
    t["glpat_routable"] = spec("glpat-{b64url:27}.01.{ld:9}")
    t["gldt"] = spec("gldt-{b64url:20}")
    t["glrt"] = spec("glrt-{b64url:20}")
    t["glptt"] = spec("glptt-{hex:40}")
    t["slack_bot"] = spec("xoxb-{digits:12}-{digits:13}-{alnum:24}")
    t["slack_user"] = spec("xoxp-{digits:12}-{digits:12}-{digits:13}-{hex:32}")
    t["slack_app"] = spec("xapp-1-A{UD:10}-{digits:13}-{hex:64}")
    t["slack_app_b"] = spec("xapp-1-A{UD:10}-{digits:13}-{hex:64}")
    t["slack_hook"] = spec("https://hooks.slack.com/services/T{UD:8}/B{UD:10}/{alnum:24}")
    t["slack_hook_b"] = spec("https://hooks.slack.com/services/T{UD:10}/B{UD:10}/{alnum:24}")
    t["stripe_sk"] = spec("sk_live_51{alnum:97}")
    t["stripe_rk"] = spec("rk_live_51{alnum:97}")
    t["whsec"] = spec("whsec_{alnum:32}")
    t["whsec_b"] = spec("whsec_{alnum:32}")
    t["twilio_sk"] = spec("SK{hex:32}")
    t["twilio_sk_b"] = spec("SK{hex:32}")
    t["twilio_token"] = spec("{hex:32}")
    t["twilio_token_b"] = spec("{hex:32}")
    t["sendgrid"] = spec("SG.{b64url:22}.{b64url:43}")
    t["sendgrid_b"] = spec("SG.{b64url:22}.{b64url:43}")
    t["mailgun"] = spec("key-{hex:32}")
    t["mailgun_b"] = spec("key-{hex:32}")
    t["pypi"] = spec("pypi-AgEIcHlwaS5vcmc{b64url:160}")
    t["pypi_b"] = spec("pypi-AgEIcHlwaS5vcmc{b64url:180}")
    t["docker"] = spec("dckr_pat_{b64url:27}")
    t["docker_b"] = spec("dckr_pat_{b64url:27}")
    t["heroku"] = spec("HRKU-AA{b64url:58}")
    t["heroku_b"] = spec("HRKU-AA{b64url:58}")
    t["heroku_uuid"] = uuid4()
    t["heroku_uuid_b"] = uuid4()
    t["shpat"] = spec("shpat_{hex:32}")
    t["shpss"] = spec("shpss_{hex:32}")
    t["square"] = spec("EAAA{b64url:60}")
    t["square_legacy"] = spec("sq0atp-{b64url:22}")
    t["square_secret"] = spec("sq0csp-{b64url:43}")
    t["square_secret_b"] = spec("sq0csp-{b64url:43}")
    t["openai_proj"] = spec("sk-proj-{b64url:74}T3BlbkFJ{b64url:74}")
    t["openai_legacy"] = spec("sk-{alnum:20}T3BlbkFJ{alnum:20}")
    t["anthropic"] = spec("sk-ant-api03-{b64url:93}AA")
    t["anthropic_b"] = spec("sk-ant-api03-{b64url:93}AA")
    t["hf"] = spec("hf_{alpha:34}")
    t["hf_b"] = spec("hf_{alpha:34}")
    t["dd_api"] = spec("{hex:32}")
    t["dd_api_b"] = spec("{hex:32}")
    t["dd_app"] = spec("{hex:40}")
    t["dd_app_b"] = spec("{hex:40}")
    t["sentry_key"] = spec("{hex:32}")
    t["sentry_key_b"] = spec("{hex:32}")
    t["sntrys"] = "sntrys_" + b64json({"iat": 1764892800.5, "url": "https://sentry.io", "region_url": "https://us.sentry.io", "org": "northwind"}) + "_" + spec("{b64:43}")
    t["sntryu"] = spec("sntryu_{hex:64}")
    t["discord_bot"] = discord_bot()
    t["discord_bot_b"] = discord_bot()
    t["discord_hook"] = spec("https://discord.com/api/webhooks/1{digits:18}/{b64url:68}")
    t["discord_hook_b"] = spec("https://discordapp.com/api/webhooks/1{digits:17}/{b64url:68}")
    t["telegram"] = spec("7{digits:9}:AA{b64url:33}")
    t["telegram_b"] = spec("6{digits:9}:AA{b64url:33}")
    t["url_pass"] = spec("{alnum:14}")
    t["url_pass_b"] = spec("Q{alnum:9}!{digits:3}")
    t["generic"] = spec("{alnum:32}")
    t["generic_b"] = spec("{hex:40}")
    t["generic_c"] = spec("{b64url:48}")
    t["atlassian"] = spec("ATATT3xFfGF0{b64url:160}={HEX:8}")
    t["atlassian_b"] = spec("ATATT3xFfGF0{b64url:160}={HEX:8}")
    t["linear"] = spec("lin_api_{alnum:40}")
    t["linear_b"] = spec("lin_api_{alnum:40}")
    t["nrak"] = spec("NRAK-{UD:27}")
    t["nrak_b"] = spec("NRAK-{UD:27}")
    t["nral"] = spec("{hex:36}NRAL")
    t["nral_b"] = spec("{hex:36}NRAL")
    t["pmak"] = spec("PMAK-{hex:24}-{hex:34}")
    t["pmak_b"] = spec("PMAK-{hex:24}-{hex:34}")
    t["doppler"] = spec("dp.pt.{alnum:43}")
    t["doppler_b"] = spec("dp.st.prd.{alnum:43}")
    t["vault"] = spec("hvs.CAESI{b64url:86}")
    t["vault_b"] = spec("hvb.AAAAAQ{b64url:132}")
    t["tfc"] = spec("{alnum:14}.atlasv1.{b64url:67}")
    t["tfc_b"] = spec("{alnum:14}.atlasv1.{b64url:67}")
    t["do"] = spec("dop_v1_{hex:64}")
    t["do_b"] = spec("doo_v1_{hex:64}")
    t["glsa"] = spec("glsa_{alnum:32}_{hex:8}")
    t["glsa_b"] = spec("glsa_{alnum:32}_{hex:8}")
    t["glc"] = "glc_" + b64json({"o": spec("{digits:6}"), "n": "stack-" + spec("{digits:6}") + "-hm-read-plainsight", "k": spec("{alnum:24}"), "m": {"r": "prod-us-east-0"}})
    t["glc_b"] = "glc_" + b64json({"o": spec("{digits:6}"), "n": "ci-writer", "k": spec("{alnum:24}"), "m": {"r": "prod-eu-west-2"}})
    t["ntn"] = spec("ntn_{digits:11}{alnum:35}")
    t["ntn_b"] = spec("ntn_{digits:11}{alnum:35}")
    t["notion_legacy"] = spec("secret_{alnum:43}")
    t["notion_legacy_b"] = spec("secret_{alnum:43}")
    t["airtable"] = spec("pat{alnum:14}.{hex:64}")
    t["airtable_b"] = spec("pat{alnum:14}.{hex:64}")
    t["figma"] = spec("figd_{b64url:40}")
    t["figma_b"] = spec("figd_{b64url:40}")
    t["mapbox"] = "sk." + b64json({"u": "northwind", "a": spec("{ld:25}")}, url=True) + "." + spec("{b64url:22}")
    t["mapbox_b"] = "sk." + b64json({"u": "acme-maps", "a": spec("{ld:25}")}, url=True) + "." + spec("{b64url:22}")
    t["cf_token"] = spec("{b64url:40}")
    t["cf_global"] = spec("{hex:37}")
    t["ltai"] = spec("LTAI5t{alnum:18}")
    t["ltai_b"] = spec("LTAI5t{alnum:18}")
    t["akid"] = spec("AKID{alnum:32}")
    t["akid_b"] = spec("AKID{alnum:32}")
    t["dapi"] = spec("dapi{hex:32}")
    t["dapi_b"] = spec("dapi{hex:32}-2")
    t["pulumi"] = spec("pul-{hex:40}")
    t["pulumi_b"] = spec("pul-{hex:40}")
    t["rubygems"] = spec("rubygems_{hex:48}")
    t["rubygems_b"] = spec("rubygems_{hex:48}")
    t["age"] = age_identity()
    t["age_b"] = age_identity()
    t["contentful"] = spec("CFPAT-{b64url:43}")
    t["contentful_b"] = spec("CFPAT-{b64url:43}")
    t["brevo"] = spec("xkeysib-{hex:64}-{alnum:16}")
    t["brevo_b"] = spec("xkeysib-{hex:64}-{alnum:16}")
    t["mailchimp"] = spec("{hex:32}-us14")
    t["mailchimp_b"] = spec("{hex:32}-us6")
    t["teams"] = "https://northwind.webhook.office.com/webhookb2/%s@%s/IncomingWebhook/%s/%s" % (uuid4(), uuid4(), rand(HEX, 32), uuid4())
    t["teams_b"] = "https://acmecorp.webhook.office.com/webhookb2/%s@%s/IncomingWebhook/%s/%s/%s" % (uuid4(), uuid4(), rand(HEX, 32), uuid4(), spec("{b64url:44}"))
    t["replicate"] = spec("r8_{alnum:37}")
    t["replicate_b"] = spec("r8_{alnum:37}")
    t["groq"] = spec("gsk_{alnum:52}")
    t["groq_b"] = spec("gsk_{alnum:52}")
    t["ops"] = "ops_" + b64json({"signInAddress": "northwind.1password.com", "userAuth": {"method": "SRPg-4096", "alg": "PBES2g-HS256", "iterations": 650000, "salt": spec("{b64url:22}")}, "email": spec("{ld:12}") + "@1passwordserviceaccounts.com", "srpX": spec("{hex:64}"), "muk": {"alg": "A256GCM", "ext": True, "k": spec("{b64url:43}"), "key_ops": ["encrypt", "decrypt"], "kty": "oct", "kid": "mp"}, "secretKey": "A3-" + spec("{UD:6}-{UD:6}-{UD:5}-{UD:5}-{UD:5}-{UD:5}"), "throttleSecret": {"seed": spec("{hex:64}"), "uuid": spec("{UD:26}")}, "deviceUuid": spec("{ld:26}")})
    t["ops_b"] = "ops_" + b64json({"signInAddress": "acme.1password.eu", "email": spec("{ld:12}") + "@1passwordserviceaccounts.eu", "srpX": spec("{hex:64}"), "secretKey": "A3-" + spec("{UD:6}-{UD:6}-{UD:5}-{UD:5}-{UD:5}-{UD:5}")})
    t["putty"] = putty_key()
    t["putty_b"] = putty_key()
    t["uuid"] = uuid4()
    t["md5"] = spec("{hex:32}")
    t["sha1"] = spec("{hex:40}")
    t["sha256"] = spec("{hex:64}")
    return t


def main():
    v = {}
    # payment cards
    v["visa16"] = card("4", 16)
    v["visa16_b"] = card("4", 16)
    v["mc16"] = card("53", 16)
    v["mc2series"] = card("2291", 16)
    v["amex15"] = card("37", 15)
    v["discover16"] = card("6011", 16)
    v["diners14"] = card("36", 14)
    v["jcb16"] = card("3530", 16)
    v["visa16_luhn_bad"] = luhn_break(card("4", 16))
    v["mc16_luhn_bad"] = luhn_break(card("55", 16))
    v["visa16_spaced"] = group(v["visa16_b"], [4, 4, 4, 4])
    v["mc16_dashed"] = group(v["mc2series"], [4, 4, 4, 4], "-")
    v["amex15_spaced"] = group(v["amex15"], [4, 6, 5])
    v["nobrand16_luhn_ok"] = card("9", 16)      # Luhn fine, no issuer starts with 9
    # US SSN (area 001-665, 667-899; group 01-99; serial 0001-9999)
    v["ssn_dashed"] = "%03d-%02d-%04d" % (RNG.randint(100, 665), RNG.randint(10, 99), RNG.randint(1000, 9999))
    v["ssn_dashed_b"] = "%03d-%02d-%04d" % (RNG.randint(667, 899), RNG.randint(10, 99), RNG.randint(1000, 9999))
    v["ssn_plain"] = "%03d%02d%04d" % (RNG.randint(100, 665), RNG.randint(10, 99), RNG.randint(1000, 9999))
    v["ssn_plain_b"] = "%03d%02d%04d" % (RNG.randint(100, 665), RNG.randint(10, 99), RNG.randint(1000, 9999))
    # IBAN
    v["iban_de"] = iban("DE", digits(18))
    v["iban_gb"] = iban("GB", "NWBK" + digits(14))
    v["iban_fr"] = iban("FR", digits(10) + rand(string.ascii_uppercase + string.digits, 11) + digits(2))
    v["iban_nl"] = iban("NL", "INGB" + digits(10))
    v["iban_es"] = iban("ES", digits(20))
    de = v["iban_de"]
    v["iban_de_bad"] = de[:2] + "%02d" % ((int(de[2:4]) + 1) % 97 or 2) + de[4:]
    v["iban_de_spaced"] = iban_spaced(v["iban_es"][:0] + iban("DE", digits(18)))
    v["iban_gb_spaced"] = iban_spaced(v["iban_gb"])
    # ABA routing
    v["aba"] = aba("0" + RNG.choice("123456789"))
    v["aba_b"] = aba("2" + RNG.choice("12"))
    a = aba("1" + RNG.choice("012"))
    v["aba_bad"] = a[:-1] + str((int(a[-1]) + 5) % 10)
    # national ids
    v["sin"] = sin()
    v["sin_b"] = sin()
    v["sin_bad"] = luhn_break(sin())
    v["aadhaar"] = aadhaar()
    v["aadhaar_b"] = aadhaar()
    a = aadhaar()
    v["aadhaar_bad"] = a[:-1] + str((int(a[-1]) + 1) % 10)
    # NANP (NPA and NXX start 2-9, NPA not N11, not 555-01xx)
    v["nanp"] = "%d%02d%d%02d%04d" % (RNG.randint(2, 9), RNG.randint(2, 99), RNG.randint(2, 9), RNG.randint(0, 99), RNG.randint(0, 9999))
    v["nanp_b"] = "%d%02d%d%02d%04d" % (RNG.randint(2, 9), RNG.randint(2, 99), RNG.randint(2, 9), RNG.randint(0, 99), RNG.randint(0, 9999))
    # tokens with a CRC32 checksum
    for p in ("ghp_", "gho_", "ghu_", "ghs_", "npm_"):
        v[p + "a"] = crc_token(p)
        v[p + "b"] = crc_token(p)
        v[p + "bad"] = crc_token_broken(p)
    # JWTs
    v["jwt_hs256"] = jwt({"alg": "HS256", "typ": "JWT"}, {"sub": "u-4821", "iss": "https://auth.corp.internal", "iat": 1764892800, "exp": 1764896400})
    v["jwt_rs256"] = jwt({"alg": "RS256", "kid": "k1", "typ": "JWT"}, {"sub": "svc-billing", "aud": "orders", "iat": 1764892800, "exp": 1796428800}, 64)
    v["jwt_none"] = jwt({"alg": "none", "typ": "JWT"}, {"sub": "admin", "iat": 1764892800}, 0)
    v["jwt_noalg"] = jwt({"typ": "JWT"}, {"sub": "x"})
    # key material
    v["pem_rsa"] = pem("RSA PRIVATE KEY", fake_der(600))
    v["pem_pkcs8"] = pem("PRIVATE KEY", fake_der(300))
    v["pem_ec"] = pem("EC PRIVATE KEY", bytes([0x30, 0x77]) + bytes(RNG.getrandbits(8) for _ in range(119)))
    v["pem_pkcs8_json"] = pem("PRIVATE KEY", fake_der(300), sep="\\n")
    v["openssh"] = openssh_key()
    v["pgp"] = pgp_private_block()
    v.update(tokens())
    v["pem_pkcs8_b64"] = base64.b64encode((pem("PRIVATE KEY", fake_der(300)) + "\n").encode()).decode()
    v["pem_rsa_b64"] = base64.b64encode((pem("RSA PRIVATE KEY", fake_der(400)) + "\n").encode()).decode()
    v["cert_b64"] = base64.b64encode((pem("CERTIFICATE", fake_der(300)) + "\n").encode()).decode()
    v["pem_rsa_b"] = pem("RSA PRIVATE KEY", fake_der(1190))
    v["openssh_b"] = openssh_key()
    v["pgp_b"] = pgp_private_block()
    names = sys.argv[1:] or list(v)
    for n in names:
        print("%s: %s" % (n, json.dumps(v[n]) if "\n" in v[n] else v[n]))


if __name__ == "__main__":
    main()
