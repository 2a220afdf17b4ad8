"""Fake but format-valid values for the content corpus, and the checks they pass.

Every generator takes a `random.Random` and returns a value no real person,
account or provider ever issued: names and domains are made up, numbers are
drawn at random and only made to satisfy the published structure (check
digits, ranges, lengths) so that a validating scanner accepts them. The
`valid_*` functions are independent Python versions of those structural
checks; make_corpus.py asserts with them that every planted value passes
and every decoy fails (a decoy that accidentally passed would be a planted
item with the wrong label).

Formats, with the documents they follow:
- payment cards: Luhn (ISO/IEC 7812-1 annex B), issuer prefixes and lengths
  as published by the card schemes (Visa 4; Mastercard 51-55, 2221-2720;
  Amex 34, 37; Discover 6011, 644-649, 65; JCB 3528-3589; Diners 36).
- IBAN: ISO 13616 (mod-97 = 1 after moving the first four characters to the
  end, letters A=10..Z=35), country lengths from the SWIFT IBAN registry.
- US SSN: SSA rules since 2011 (no area 000, 666, 900-999; no group 00; no serial 0000).
- ABA routing number: 3-7-1 weighted checksum, Federal Reserve prefixes 01-12, 21-32, 61-72, 80.
- UK NINO: HMRC NIM39110 (first letter not D F I Q U V, second not D F I O Q U V,
  prefixes BG GB KN NK NT TN ZZ never issued, suffix A-D).
- Canadian SIN: Luhn over 9 digits, first digit not 0 or 8.
- Aadhaar: 12 digits, first digit 2-9, Verhoeff check digit (UIDAI).
- NANP phone: NPA and NXX start with 2-9, not N11; 555-0100..0199 is reserved for fiction.
- E.164: '+', country code, at most 15 digits.
- GitHub (ghp_) and npm (npm_) tokens: 30 random base62 characters and a
  6-character checksum, base62 (0-9A-Za-z) of the CRC-32 of the random part,
  left-padded with '0' (github.blog 2021-04-05 "Behind GitHub's new
  authentication token formats"; npm's 2021 token format announcement).
- AWS access key id: AKIA/ASIA + 16 of [A-Z2-7]; secret access key: 40 of [A-Za-z0-9/+].
- Slack bot token xoxb-<digits>-<digits>-<24 alnum>; Stripe live secret key
  sk_live_<alnum>; Google API key AIza + 35 of [A-Za-z0-9_-]; SendGrid
  SG.<22>.<43> (base64url alphabet); JWT RFC 7519 (base64url header.payload.signature).
"""
import base64
import json
import string
import struct
import zlib

DIGITS = string.digits
UPPER = string.ascii_uppercase
ALNUM = string.ascii_letters + string.digits
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase  # the order GitHub's checksum uses
B64URL = string.ascii_letters + string.digits + "-_"
B32 = UPPER + "234567"


def rand_str(r, alphabet, n):
    return "".join(r.choice(alphabet) for _ in range(n))


def digits_of(value):
    return "".join(c for c in value if c.isdigit())


def longest_digit_run(s):
    best = run = 0
    for c in s:
        run = run + 1 if c.isdigit() else 0
        best = max(best, run)
    return best


# ----------------------------------------------------------------- checksums
def luhn_ok(digits):
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_complete(partial):
    """The digit that makes partial + digit Luhn-valid."""
    for d in DIGITS:
        if luhn_ok(partial + d):
            return partial + d
    raise AssertionError("unreachable")


VERHOEFF_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
VERHOEFF_P = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]
VERHOEFF_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def verhoeff_ok(digits):
    c = 0
    for i, ch in enumerate(reversed(digits)):
        c = VERHOEFF_D[c][VERHOEFF_P[i % 8][int(ch)]]
    return c == 0


def verhoeff_complete(partial):
    c = 0
    for i, ch in enumerate(reversed(partial)):
        c = VERHOEFF_D[c][VERHOEFF_P[(i + 1) % 8][int(ch)]]
    return partial + str(VERHOEFF_INV[c])


def base62(n, width):
    out = ""
    while n:
        n, rem = divmod(n, 62)
        out = BASE62[rem] + out
    return out.rjust(width, "0")


def base62_crc32(body):
    return base62(zlib.crc32(body.encode()) & 0xFFFFFFFF, 6)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# ------------------------------------------------------------ payment cards
CARD_BRANDS = {
    # brand: (prefixes, length, grouping)
    "visa": (["4"], 16, (4, 4, 4, 4)),
    "mastercard": (["51", "52", "53", "54", "55"], 16, (4, 4, 4, 4)),
    "mastercard-2": ([str(p) for p in range(2221, 2721)], 16, (4, 4, 4, 4)),
    "amex": (["34", "37"], 15, (4, 6, 5)),
    "discover": (["6011", "65"] + [str(p) for p in range(644, 650)], 16, (4, 4, 4, 4)),
    "jcb": ([str(p) for p in range(3528, 3590)], 16, (4, 4, 4, 4)),
    "diners": (["36"], 14, (4, 6, 4)),
}
# Published test numbers: card validators allowlist them (decoys, never planted).
WELL_KNOWN_TEST_CARDS = ["4111111111111111", "4242424242424242", "5555555555554444", "378282246310005"]


def card_brand(digits):
    """The brand whose prefix and length `digits` has (Luhn not checked); also Maestro, UnionPay."""
    n = len(digits)
    for brand, (prefixes, length, _) in CARD_BRANDS.items():
        if n == length and any(digits.startswith(p) for p in prefixes):
            return brand.split("-")[0]
    if digits.startswith("4") and n in (13, 19):
        return "visa"
    if digits.startswith(("6011", "65")) and n == 19:
        return "discover"
    if digits.startswith(("300", "301", "302", "303", "304", "305", "38", "39")) and n == 14:
        return "diners"
    if digits.startswith("62") and 16 <= n <= 19:
        return "unionpay"
    if digits[:2] in ("50", "56", "57", "58", "63", "67", "68", "69") and 12 <= n <= 19:
        return "maestro"
    return None


def valid_card(value):
    """What a permissive card validator would accept: Luhn and any known brand's prefix/length."""
    d = digits_of(value)
    return 12 <= len(d) <= 19 and luhn_ok(d) and card_brand(d) is not None


def group(digits, sizes, sep):
    out, i = [], 0
    for s in sizes:
        out.append(digits[i:i + s])
        i += s
    return sep.join(out)


def card(r, brand, fmt):
    prefixes, length, sizes = CARD_BRANDS[brand]
    while True:
        p = r.choice(prefixes)
        d = luhn_complete(p + rand_str(r, DIGITS, length - len(p) - 1))
        if d not in WELL_KNOWN_TEST_CARDS and len(set(d)) > 3:
            break
    return {"plain": d, "space": group(d, sizes, " "), "dash": group(d, sizes, "-")}[fmt]


def card_luhn_invalid(r, fmt="plain"):
    p = r.choice(["4", "52", "6011"])
    d = luhn_complete(p + rand_str(r, DIGITS, 16 - len(p) - 1))
    d = d[:-1] + str((int(d[-1]) + r.randint(1, 9)) % 10)
    assert not luhn_ok(d)
    return d if fmt == "plain" else group(d, (4, 4, 4, 4), " ")


def card_luhn_no_brand(r):
    """Luhn-valid 16 digits whose prefix no scheme uses (99..., 1...)."""
    return luhn_complete(r.choice(["99", "18", "07"]) + rand_str(r, DIGITS, 13))


# ------------------------------------------------------------------- emails
FIRST = ["amelia", "tomasz", "keiko", "rahul", "ines", "oluwaseun", "marta", "pieter", "leila", "bruno",
         "siobhan", "dmitri", "ana", "yusuf", "camille", "henrik", "priya", "mateo", "hana", "jonas",
         "farah", "lukas", "noor", "emeka", "sofia", "arjun", "elin", "kwame", "giulia", "tariq"]
LAST = ["okafor", "lindqvist", "moreau", "nakamura", "quintero", "haddad", "brennan", "kowalczyk", "osei",
        "varga", "delacroix", "sundberg", "ferreira", "abernathy", "tanaka", "mbeki", "rossi", "novak",
        "ivanova", "castellanos", "whitfield", "achterberg", "demir", "lindgren", "oyelaran", "marchetti"]
# Made-up organisation domains (not RFC 2606/6761 reserved, so an email validator must accept them).
MAIL_DOMAINS = ["copperleaf-mail.net", "brightwater-logistics.com", "northgate-health.org", "fernhill-bank.co.uk",
                "quillstone.io", "larkspur-retail.de", "tidewell-insurance.com", "orchard-payroll.fr",
                "saltmarsh-legal.ca", "kestrel-analytics.in"]


def email(r, used):
    while True:
        f, l = r.choice(FIRST), r.choice(LAST)
        local = r.choice([f + "." + l, f[0] + l, f + "_" + l, f + "." + l + str(r.randint(2, 99)),
                          f + "+" + r.choice(["billing", "hr", "orders"])])
        v = local + "@" + r.choice(MAIL_DOMAINS)
        if v not in used:
            used.add(v)
            return v


RESERVED_EMAILS = ["jane.doe@example.com", "ops@example.org", "billing@example.net", "dev@api.test",
                   "noreply@mail.invalid", "admin@corp.example"]


def valid_email_domain(value):
    domain = value.rsplit("@", 1)[-1].lower()
    labels = domain.split(".")
    reserved = {"example", "test", "invalid", "localhost"}
    return (len(labels) >= 2 and labels[-1].isalpha() and 2 <= len(labels[-1]) <= 63
            and labels[-1] not in reserved and not (len(labels) >= 2 and labels[-2] == "example")
            and "example" not in labels)


# --------------------------------------------------------------------- US SSN
def valid_ssn(value):
    d = digits_of(value)
    if len(d) != 9:
        return False
    area, grp, serial = int(d[:3]), int(d[3:5]), int(d[5:])
    return area not in (0, 666) and area < 900 and grp != 0 and serial != 0


def ssn(r, fmt):
    while True:
        area = r.randint(1, 899)
        if area == 666:
            continue
        d = "%03d%02d%04d" % (area, r.randint(1, 99), r.randint(1, 9999))
        if d not in ("078051120", "219099999", "123456789"):  # famous published numbers
            break
    return d if fmt == "plain" else "%s-%s-%s" % (d[:3], d[3:5], d[5:])


INVALID_SSNS = ["000-12-3456", "666-41-2087", "912-55-3011", "473-00-8812", "538-27-0000", "987-65-4320"]


# ---------------------------------------------------------------------- IBAN
# country: (length, BBAN shape: n digits, a upper letters, c upper alnum)
IBAN_SHAPES = {
    "DE": (22, "18n"), "GB": (22, "4a14n"), "FR": (27, "10n11c2n"), "ES": (24, "20n"), "IT": (27, "1a10n12c"),
    "NL": (18, "4a10n"), "BE": (16, "12n"), "CH": (21, "5n12c"), "PL": (28, "24n"), "SE": (24, "20n"),
    "NO": (15, "11n"), "AT": (20, "16n"), "IE": (22, "4a14n"), "DK": (18, "14n"), "PT": (25, "21n"),
}


def iban_check_digits(country, bban):
    s = bban + country + "00"
    num = "".join(str(int(c, 36)) for c in s)
    return "%02d" % (98 - int(num) % 97)


def valid_iban(value):
    v = value.replace(" ", "").upper()
    if len(v) < 5 or v[:2] not in IBAN_SHAPES or IBAN_SHAPES[v[:2]][0] != len(v):
        return False
    s = v[4:] + v[:4]
    if not s.isalnum():
        return False
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def _bban(r, shape):
    out, num = "", ""
    for ch in shape:
        if ch.isdigit():
            num += ch
            continue
        n, num = int(num), ""
        out += rand_str(r, {"n": DIGITS, "a": UPPER, "c": UPPER + DIGITS}[ch], n)
    return out


def iban(r, country, fmt):
    length, shape = IBAN_SHAPES[country]
    bban = _bban(r, shape)
    v = country + iban_check_digits(country, bban) + bban
    assert len(v) == length and valid_iban(v)
    return v if fmt == "plain" else " ".join(v[i:i + 4] for i in range(0, len(v), 4))


def iban_bad_checksum(r, country, fmt):
    v = iban(r, country, "plain")
    bad = v[:2] + "%02d" % ((int(v[2:4]) + r.randint(1, 40)) % 97 + 2) + v[4:]
    if valid_iban(bad):
        bad = v[:2] + ("11" if v[2:4] != "11" else "12") + v[4:]
    assert not valid_iban(bad)
    return bad if fmt == "plain" else " ".join(bad[i:i + 4] for i in range(0, len(bad), 4))


# ------------------------------------------------------------- ABA routing
def valid_aba(value):
    d = digits_of(value)
    if len(d) != 9:
        return False
    p = int(d[:2])
    if not (0 <= p <= 12 or 21 <= p <= 32 or 61 <= p <= 72 or p == 80):
        return False
    w = [3, 7, 1] * 3
    return sum(int(c) * k for c, k in zip(d, w)) % 10 == 0


def aba(r):
    p = r.choice(list(range(1, 13)) + list(range(21, 33)))
    while True:
        d8 = "%02d" % p + rand_str(r, DIGITS, 6)
        for last in DIGITS:
            if valid_aba(d8 + last):
                return d8 + last


def aba_bad(r):
    v = aba(r)
    return v[:-1] + str((int(v[-1]) + 5) % 10)


# ------------------------------------------------------------------ UK NINO
NINO_FIRST = [c for c in UPPER if c not in "DFIQUV"]
NINO_SECOND = [c for c in UPPER if c not in "DFIOQUV"]
NINO_NEVER = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def valid_nino(value):
    v = value.replace(" ", "").upper()
    return (len(v) == 9 and v[0] in NINO_FIRST and v[1] in NINO_SECOND and v[:2] not in NINO_NEVER
            and v[2:8].isdigit() and v[8] in "ABCD")


def nino(r, fmt):
    while True:
        pre = r.choice(NINO_FIRST) + r.choice(NINO_SECOND)
        if pre not in NINO_NEVER:
            break
    d = rand_str(r, DIGITS, 6)
    suf = r.choice("ABCD")
    return pre + d + suf if fmt == "plain" else "%s %s %s %s %s" % (pre, d[:2], d[2:4], d[4:], suf)


INVALID_NINOS = ["QQ123456C", "BG 48 19 27 A", "GB305512D", "AB123456E"]


# ------------------------------------------------------------- Canadian SIN
def valid_sin(value):
    d = digits_of(value)
    return len(d) == 9 and d[0] not in "08" and luhn_ok(d)


def sin(r, fmt):
    d = luhn_complete(r.choice("1234567") + rand_str(r, DIGITS, 7))
    return {"plain": d, "space": group(d, (3, 3, 3), " "), "dash": group(d, (3, 3, 3), "-")}[fmt]


def sin_bad(r):
    d = sin(r, "plain")
    return group(d[:-1] + str((int(d[-1]) + 3) % 10), (3, 3, 3), " ")


# ------------------------------------------------------------------ Aadhaar
def valid_aadhaar(value):
    d = digits_of(value)
    return len(d) == 12 and d[0] in "23456789" and verhoeff_ok(d)


def aadhaar(r, fmt):
    while True:
        d = verhoeff_complete(r.choice("2345789") + rand_str(r, DIGITS, 10))
        if not valid_card(d):
            break
    return d if fmt == "plain" else group(d, (4, 4, 4), " ")


def aadhaar_bad(r):
    d = aadhaar(r, "plain")
    bad = d[:-1] + str((int(d[-1]) + 1) % 10)
    assert not verhoeff_ok(bad)
    return group(bad, (4, 4, 4), " ")


# ---------------------------------------------------------------------- phones
NPAS = [206, 212, 213, 303, 312, 404, 415, 503, 512, 617, 646, 702, 713, 718, 805, 917, 972, 480, 619, 919]


def valid_nanp(value):
    d = digits_of(value)
    if len(d) == 11 and d[0] == "1":
        d = d[1:]
    if len(d) != 10:
        return False
    npa, nxx, line = d[:3], d[3:6], d[6:]
    return (npa[0] in "23456789" and nxx[0] in "23456789" and npa[1:] != "11" and nxx[1:] != "11"
            and not (nxx == "555" and 100 <= int(line) <= 199))


def nanp(r, fmt):
    while True:
        npa = r.choice(NPAS)
        nxx = r.randint(200, 999)
        line = r.randint(0, 9999)
        d = "%03d%03d%04d" % (npa, nxx, line)
        if valid_nanp(d):
            break
    return {"paren": "(%s) %s-%s" % (d[:3], d[3:6], d[6:]), "dash": "%s-%s-%s" % (d[:3], d[3:6], d[6:]),
            "dot": "%s.%s.%s" % (d[:3], d[3:6], d[6:])}[fmt]


# country code: (national significant number pattern as (leading digits, total NSN length), grouping)
E164_PLANS = {
    "44": (["7"], 10, (4, 6)), "49": (["151", "160", "176"], 11, (3, 8)), "33": (["6", "7"], 9, (1, 2, 2, 2, 2)),
    "91": (["9", "8", "7"], 10, (5, 5)), "61": (["4"], 9, (3, 3, 3)), "81": (["90", "80"], 10, (2, 4, 4)),
    "34": (["6"], 9, (3, 3, 3)), "39": (["3"], 10, (3, 3, 4)), "31": (["6"], 9, (1, 8)),
    "46": (["70", "73"], 9, (2, 3, 2, 2)), "353": (["8"], 9, (2, 3, 4)), "65": (["8", "9"], 8, (4, 4)),
}


def valid_e164(value):
    if not value.startswith("+"):
        return False
    d = digits_of(value)
    return 8 <= len(d) <= 15 and any(d.startswith(cc) for cc in E164_PLANS)


def e164(r, fmt):
    while True:
        cc = r.choice(sorted(E164_PLANS))
        leads, n, sizes = E164_PLANS[cc]
        lead = r.choice(leads)
        nsn = lead + rand_str(r, DIGITS, n - len(lead))
        if not valid_card(cc + nsn):
            break
    return "+" + cc + nsn if fmt == "plain" else "+" + cc + " " + group(nsn, sizes, " ")


# ------------------------------------------------------------------ secrets
def _no_lookalikes(s):
    """Random material that embeds no other provider's literal and no long digit run."""
    low = s.lower()
    return longest_digit_run(s) < 6 and not any(k in low for k in ("akia", "asia", "aiza", "ghp_", "npm_", "xox",
                                                                      "sk_live", "eyj", "sg.", "-----"))


def crc_token(r, prefix):
    while True:
        body = rand_str(r, ALNUM, 30)
        if _no_lookalikes(body):
            return prefix + "_" + body + base62_crc32(body)


def valid_crc_token(value):
    body, check = value[4:-6], value[-6:]
    return len(value) == 40 and value[3] == "_" and base62_crc32(body) == check


def crc_token_bad(r, prefix):
    t = crc_token(r, prefix)
    body = t[4:-6]
    for ch in "Zq7":
        bad = t[:4] + body + (base62_crc32(body)[:-1] + ch)
        if not valid_crc_token(bad):
            return bad
    raise AssertionError("unreachable")


def aws_key_id(r, prefix="AKIA"):
    while True:
        v = prefix + rand_str(r, B32, 16)
        if "EXAMPLE" not in v and longest_digit_run(v) < 6:
            return v


def aws_secret(r):
    while True:
        v = rand_str(r, ALNUM + "/+", 40)
        if _no_lookalikes(v) and any(c.isupper() for c in v) and any(c.isdigit() for c in v) and "EXAMPLE" not in v:
            return v


AWS_DOC_KEY_ID = "AKIAIOSFODNN7EXAMPLE"          # AWS documentation's example (allowlisted)
AWS_DOC_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def _tail(r, alphabet, n):
    while True:
        v = rand_str(r, alphabet, n)
        if _no_lookalikes(v):
            return v


def slack_bot(r):
    # team and bot ids: 10-12 digits, never a card-shaped run (a 13-19 digit run could pass Luhn).
    return "xoxb-%s-%s-%s" % ("1" + rand_str(r, DIGITS, r.randint(9, 11)), "2" + rand_str(r, DIGITS, r.randint(9, 11)),
                               _tail(r, ALNUM, 24))


def stripe_live(r):
    return "sk_live_" + _tail(r, ALNUM, r.choice([24, 24, 99]))


def google_api_key(r):
    return "AIza" + _tail(r, ALNUM + "-_", 35)


def sendgrid(r):
    return "SG." + _tail(r, B64URL, 22) + "." + _tail(r, B64URL, 43)


def jwt(r, alg, claims):
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig_len = {"HS256": 32, "HS512": 64, "RS256": 256, "ES256": 64}[alg]
    sig = b64url(bytes(r.getrandbits(8) for _ in range(sig_len)))
    return header + "." + payload + "." + sig


def valid_jwt(value):
    parts = value.split(".")
    if len(parts) != 3:
        return False
    try:
        h = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except ValueError:
        return False
    return isinstance(h, dict) and "alg" in h


def jwt_no_alg(r):
    """Three base64url parts whose header is JSON without "alg": not a JWT."""
    header = b64url(json.dumps({"typ": "JWT", "kid": "k%d" % r.randint(1, 9)}, separators=(",", ":")).encode())
    payload = b64url(json.dumps({"n": r.randint(1, 999)}, separators=(",", ":")).encode())
    return header + "." + payload + "." + b64url(bytes(r.getrandbits(8) for _ in range(32)))


# PEM private keys: a DER-shaped start (so the base64 begins the way real keys
# do) and random bytes for the rest; not a usable key.
PEM_KINDS = {
    "RSA PRIVATE KEY": (bytes.fromhex("308204a40201000282010100"), 1190, 64),
    "PRIVATE KEY": (bytes.fromhex("308204be020100300d06092a864886f70d0101010500048204a8"), 1218, 64),
    "EC PRIVATE KEY": (bytes.fromhex("307702010104"), 121, 64),
    "OPENSSH PRIVATE KEY": (b"openssh-key-v1\x00\x00\x00\x00\x04none\x00\x00\x00\x04none", 380, 70),
}


def pem(r, kind, newline="\n"):
    head, total, width = PEM_KINDS[kind]
    while True:
        der = head + bytes(r.getrandbits(8) for _ in range(total - len(head)))
        body = base64.b64encode(der).decode()
        if _no_lookalikes(body.replace("-----", "")):
            break
    lines = [body[i:i + width] for i in range(0, len(body), width)]
    return newline.join(["-----BEGIN %s-----" % kind] + lines + ["-----END %s-----" % kind])


def fake_public_pem(r):
    body = base64.b64encode(bytes.fromhex("30820122300d06092a864886f70d01010105000382010f00") +
                            bytes(r.getrandbits(8) for _ in range(270))).decode()
    return "\n".join(["-----BEGIN PUBLIC KEY-----"] + [body[i:i + 64] for i in range(0, len(body), 64)]
                     + ["-----END PUBLIC KEY-----"])


DB_HOSTS = ["db-orders.corp-internal.net", "pg01.fernhill-ops.com", "mq.tidewell-svc.io", "cache-7.quillstone.io",
            "mongo-a.larkspur-data.de", "sql.orchard-payroll.fr"]


def url_password(r):
    scheme, port, path = r.choice([("postgres", 5432, "/orders"), ("postgresql", 5432, "/billing"),
                                   ("mysql", 3306, "/crm"), ("mongodb", 27017, "/events"), ("amqp", 5672, "/prod"),
                                   ("redis", 6379, "/0"), ("https", 443, "/api/v2/")])
    user = "" if scheme == "redis" else r.choice(["svc_orders", "app", "etl_reader", "billing", "deploy", "report"])
    while True:
        pw = rand_str(r, ALNUM, r.randint(12, 18)) + r.choice(["", "-", "_", "~"]) + rand_str(r, ALNUM, 3)
        if _no_lookalikes(pw):
            break
    host = r.choice(DB_HOSTS)
    full = "%s://%s:%s@%s:%d%s" % (scheme, user, pw, host, port, path)
    return full, pw, ["%s://%s:%s@%s" % (scheme, user, pw, host), "%s://%s:%s@%s:%d" % (scheme, user, pw, host, port),
                      "%s:%s" % (user, pw), pw]


# ------------------------------------------------------------------ decoys
def uuid4(r):
    h = "%032x" % r.getrandbits(128)
    h = h[:12] + "4" + h[13:16] + r.choice("89ab") + h[17:]
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def hex_digest(r, nbytes):
    """Hex of the given length with no run of 6 or more digits (so no number-shaped PII hides in it)."""
    while True:
        v = "%0*x" % (nbytes * 2, r.getrandbits(nbytes * 8))
        if longest_digit_run(v) < 6:
            return v


def png_base64(r, size=12):
    """A small valid PNG (RGB gradient with noise), base64 (an inline image: must not look like a secret)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b""
    for y in range(size):
        rows += b"\x00" + bytes((x * 20 + r.randint(0, 9)) % 256 if i == 0 else (y * 20) % 256 if i == 1 else 128
                                for x in range(size) for i in range(3))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
    return base64.b64encode(png).decode()


# ----------------------------------------------------------- self-test data
def self_test():
    """Known vectors for the checks above (run by score.py --self-test)."""
    assert base62_crc32("zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ") == "0mLq17"   # base62-token.js published vector
    assert verhoeff_ok("2363") and verhoeff_complete("236") == "2363"   # Verhoeff's worked example
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")
    assert valid_iban("GB82 WEST 1234 5698 7654 32") and not valid_iban("GB82 WEST 1234 5698 7654 33")
    assert valid_iban("DE89370400440532013000")
    assert valid_aba("011000015") and not valid_aba("011000016")
    assert valid_sin("046 454 286") is False  # first digit 0 is not issued
    assert luhn_ok("046454286")
    assert not valid_ssn("078-05-112") and not valid_ssn("666-12-3456") and valid_ssn("123-45-6788")
    assert valid_nino("AB123456C") and not valid_nino("QQ123456C")
    assert valid_card("4111111111111111") and not valid_card("4111111111111112")
    assert valid_nanp("(415) 555-2671") and not valid_nanp("(415) 555-0123")
    return True
