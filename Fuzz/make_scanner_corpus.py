#!/usr/bin/env python3
"""Writes the FuzzScanner seed corpus (Fuzz/Corpus/FuzzScanner/): every built-in
rule's `match` examples from Patterns/content/*.yaml, each under a few of the
target's cut modes, plus a few longer texts that mix several kinds of value.

Seed format: byte 0 options (budget, cut mode, gap), byte 1 the cut parameter,
then the text (see the header of Sources/FuzzScanner/FuzzScanner.swift).
Needs python3-yaml."""
import glob
import hashlib
import os

import yaml

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, 'Corpus', 'FuzzScanner')
os.makedirs(out, exist_ok=True)
for old in glob.glob(os.path.join(out, '*')):
    os.remove(old)

texts = []
for path in sorted(glob.glob(os.path.join(here, '..', 'Patterns', 'content', '*.yaml'))):
    with open(path, encoding='utf-8') as f:
        for rule in yaml.safe_load(f)['rules']:
            texts += rule.get('examples', {}).get('match', [])
# Values side by side, as an API response and a log line would carry them.
texts.append('\n'.join(texts[i] for i in range(0, len(texts), 7)))
texts.append(' '.join(texts[i] for i in range(3, len(texts), 11)))
# Values glued into one digit run longer than any of them: lists separated by a
# space, a leading group that belongs to no value, a run past 120 bytes.
texts.append('ids 234-56-7891 345-67-8912 456-78-9123 567-89-1234 600-69-6960')
texts.append('1234 4539 5787 6362 1486 4716 4615 8332 2103 4916 3385 0608 2832')
texts.append('phone 2125551234 3125551234 4125551234; 2024/12/05 10:30')
texts.append('ssn ' + ' '.join('%03d-%02d-%04d' % (101 + 37 * i, 10 + i, 1000 + 17 * i) for i in range(16)))
# Numbers-only lines (metrics, CSV) where a required context word sits at the
# edge of its distance, before or after the value, or is missing.
filler = ';'.join('%d.%d' % (i, 7 * i % 10) for i in range(12))
texts.append(filler + ' phone' + ',' * 40 + ' 212 555 1234 ' + ',' * 44 + 'sin 046 454 286;' + filler)
texts.append(filler + ' 2125551234 ' + filler + ' 046-454-286 ' + ',' * 30 + 'aadhaar;' + filler)
# Values with their field names (FieldName): JSON members, a header, pairs, a
# name far ahead of its value in a long string, a key that must not be reported.
texts.append('{"user": {"contact_email": "alice.smith@mail.acme-corp.io"}, "cards": ["4000 1234 5678 9010"],'
             ' "note": "' + 'word ' * 30 + 'ssn 600-69-6960"}')
texts.append('GET /v1/orders?page=2&api_key=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 HTTP/1.1\r\n'
             'Cookie: theme=dark; session=AKIA2E4GQJ5NMWZRK7TP\r\n\r\n')
texts.append("AWS_ACCESS_KEY_ID=AKIA2E4GQJ5NMWZRK7TP\n{'AKIA2E4GQJ5NMWZRK7TP': '4069006792188143'}")

data_texts = [t.encode('utf-8') for t in texts]
# UTF-16LE text for WideText: a SQL Server query, a row whose strings lead with
# their lengths in bytes (50 reads as "2"), a file with its byte order mark.
def utf16(t):
    return t.encode('utf-16-le')
data_texts.append(bytes([1, 1, 0, 0x60, 0, 0, 1, 0]) + utf16("INSERT INTO t VALUES (N'4556 7375 8689 9855', N'AKIA2E4GQJ5NMWZRK7TP')"))
data_texts.append(bytes([0xd1, 50, 0]) + utf16('ann.lee@corp-mail.example') + bytes([40, 0]) + utf16('AKIA2E4GQJ5NMWZRK7TP') + bytes([0xfd, 0x10, 0]))
data_texts.append(b'\xff\xfe' + utf16('Name\tEmail\tCard\r\nAnn\tann.lee@corp-mail.example\t4000 1234 5678 9010\r\n'))

# (options, parameter): whole; fixed chunks of 5; one byte each; seeded cuts; fixed chunks with a gap.
modes = [(0x0c, 0), (0x00, 4), (0x04, 0), (0x08, 17), (0x10, 9)]
count = 0
for i, data in enumerate(data_texts):
    for options, parameter in modes[: 2 if i % 3 else 5]:
        seed = bytes([options, parameter]) + data
        name = hashlib.sha1(seed).hexdigest()[:16]
        with open(os.path.join(out, name), 'wb') as f:
            f.write(seed)
        count += 1
print(f'{count} seeds in {out}')
