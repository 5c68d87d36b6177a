#!/usr/bin/env python3
#
# Copyright (c) 2026 The inboxd authors
#
# Permission to use, copy, modify, and distribute this software for any
# purpose with or without fee is hereby granted, provided that the above
# copyright notice and this permission notice appear in all copies.
#
# THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
# WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
# MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
# ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
# WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
# ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
# OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
#


"""Deterministic RFC 5322 test message generator for the inboxd regress suite.

  mkmail.py --count N --size BYTES --seed S --outdir D [--first K]
  mkmail.py --huge MB --seed S --outdir D [--first K]

Writes D/msg-KKKKK.eml ... with CRLF line ends.  The same arguments always
give the same bytes.  Every fifth message carries body lines that trip up
naive clients: a lone ".", a line starting with "." and a line starting
with "From ", so POP3 dot-stuffing and mbox quoting get exercised.
"""

import argparse
import base64
import datetime
import email.utils
import hashlib
import os
import random
import sys

CRLF = b"\r\n"
BASE_DATE = datetime.datetime(2026, 1, 5, 9, 30, 0,
                              tzinfo=datetime.timezone(datetime.timedelta(hours=1)))

WORDS = ("mail", "fetch", "server", "inbox", "daemon", "queue", "report",
         "meeting", "invoice", "backup", "release", "ticket", "update",
         "schedule", "budget", "review", "network", "privilege", "sandbox",
         "message", "account", "delivery", "quarterly", "customer",
         "the", "a", "of", "and", "to", "in", "for", "with", "on", "is")

NAMES = (("Alice Example", "alice"), ("Bob Builder", "bob"),
         ("Carol Jones", "carol"), ("Dave Smith", "dave"),
         ("Zoë Müller", "zoe"), ("José Ñúñez", "jose"),
         ("Σωκράτης", "socrates"), ("山田太郎", "yamada"))

SUBJECTS = ("Quarterly report", "Re: invoice 4711", "Meeting moved",
            "Café menu für Montag", "Überprüfung der Rechnung",
            "Ελληνικά νέα", "日本語の件名", "Backup finished")


def encword_b(text):
    """RFC 2047 B encoding of one UTF-8 string."""
    raw = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return "=?UTF-8?B?" + raw + "?="


def encword_q(text):
    """RFC 2047 Q encoding in ISO-8859-1 (caller passes Latin-1 text)."""
    out = []
    for byte in text.encode("iso-8859-1"):
        ch = chr(byte)
        if ch == " ":
            out.append("_")
        elif ch.isalnum() and byte < 128:
            out.append(ch)
        else:
            out.append("=%02X" % byte)
    return "=?ISO-8859-1?Q?" + "".join(out) + "?="


def header_text(rng, text):
    """Return text as is if ASCII, else as an encoded word."""
    try:
        text.encode("ascii")
        return text
    except UnicodeEncodeError:
        pass
    try:
        text.encode("iso-8859-1")
        if rng.random() < 0.5:
            return encword_q(text)
    except UnicodeEncodeError:
        pass
    return encword_b(text)


def address(rng, name, local):
    return "%s <%s@example.org>" % (header_text(rng, name), local)


def text_lines(rng, nbytes, tricky):
    """Plain text lines of about nbytes bytes in total (CRLF included)."""
    lines = []
    if tricky:
        lines += [b"From the desk of the tester:", b".", b".hidden dot line",
                  b"..two dots", b""]
    total = sum(len(l) + 2 for l in lines)
    while total < nbytes:
        words = []
        width = rng.randint(30, 72)
        length = 0
        while length < width:
            w = rng.choice(WORDS)
            words.append(w)
            length += len(w) + 1
        line = " ".join(words).encode("ascii")
        lines.append(line)
        total += len(line) + 2
    return lines


def b64_lines(data):
    enc = base64.b64encode(data)
    return [enc[i:i + 76] for i in range(0, len(enc), 76)]


def headers(rng, seed, index, kind=""):
    frm = rng.choice(NAMES)
    to = rng.choice(NAMES)
    subj = header_text(rng, rng.choice(SUBJECTS))
    date = BASE_DATE + datetime.timedelta(minutes=17 * index)
    tag = hashlib.sha256(("%s:%d" % (seed, index)).encode()).hexdigest()[:16]
    hdrs = [
        "Return-Path: <%s@example.org>" % frm[1],
        "Message-ID: <mkmail%s.%s.%d.%s@inboxd.test>" % (kind, seed, index,
                                                         tag),
        "Date: " + email.utils.format_datetime(date),
        "From: " + address(rng, *frm),
        "To: " + address(rng, *to),
        "Subject: %s #%d%s" % (subj, index, " (%s)" % kind if kind else ""),
        "MIME-Version: 1.0",
        "X-Mkmail: seed=%s index=%d" % (seed, index),
    ]
    return [h.encode("ascii") for h in hdrs]


def message(seed, index, size):
    """Build one message of about size bytes as a list of lines."""
    rng = random.Random("%s:%d" % (seed, index))
    tricky = index % 5 == 0
    lines = headers(rng, seed, index)
    room = max(size - sum(len(l) + 2 for l in lines) - 120, 64)
    if size < 8192 or index % 3 != 0:
        lines += [b"Content-Type: text/plain; charset=us-ascii",
                  b"Content-Transfer-Encoding: 7bit", b""]
        lines += text_lines(rng, room, tricky)
        return lines
    boundary = ("=_mkmail_%s_%d" % (seed, index)).encode("ascii")
    text = text_lines(rng, min(room // 4, 4096), tricky)
    binlen = max((room - sum(len(l) + 2 for l in text) - 400) * 57 // 78, 1)
    lines += [b'Content-Type: multipart/mixed; boundary="' + boundary + b'"',
              b"", b"This is a multi-part message in MIME format.", b"",
              b"--" + boundary,
              b"Content-Type: text/plain; charset=us-ascii",
              b"Content-Transfer-Encoding: 7bit", b""]
    lines += text
    lines += [b"", b"--" + boundary,
              b"Content-Type: application/octet-stream; name=\"data-%d.bin\""
              % index,
              b"Content-Transfer-Encoding: base64",
              b"Content-Disposition: attachment; filename=\"data-%d.bin\""
              % index, b""]
    lines += b64_lines(rng.randbytes(binlen))
    lines += [b"", b"--" + boundary + b"--", b""]
    return lines


def write_lines(path, lines):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(CRLF.join(lines) + CRLF)
    os.replace(tmp, path)


def write_huge(path, seed, index, megabytes):
    """Stream one message with a megabytes-sized attachment."""
    rng = random.Random("%s:%d:huge" % (seed, index))
    boundary = ("=_mkmail_huge_%s_%d" % (seed, index)).encode("ascii")
    head = headers(rng, seed, index, "huge")
    head += [b'Content-Type: multipart/mixed; boundary="' + boundary + b'"',
             b"", b"--" + boundary,
             b"Content-Type: text/plain; charset=us-ascii", b"",
             b"A large attachment follows.", b"", b"--" + boundary,
             b"Content-Type: application/octet-stream; name=\"huge.bin\"",
             b"Content-Transfer-Encoding: base64", b""]
    target = megabytes * 1024 * 1024
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(CRLF.join(head) + CRLF)
        written = f.tell()
        chunk = 57 * 1024
        while written < target:
            lines = b64_lines(rng.randbytes(chunk))
            data = CRLF.join(lines) + CRLF
            f.write(data)
            written += len(data)
        f.write(b"--" + boundary + b"--" + CRLF)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="generate test messages")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--seed", default="1")
    ap.add_argument("--first", type=int, default=1,
                    help="index of the first message (default 1)")
    ap.add_argument("--huge", type=int, metavar="MB",
                    help="write one message of about MB mebibytes")
    ap.add_argument("--outdir", required=True)
    args = ap.parse_args()
    if args.count < 0 or args.size < 0 or args.first < 0:
        ap.error("negative numbers are not allowed")
    os.makedirs(args.outdir, exist_ok=True)
    if args.huge is not None:
        path = os.path.join(args.outdir, "msg-%05d.eml" % args.first)
        write_huge(path, args.seed, args.first, args.huge)
        return 0
    for index in range(args.first, args.first + args.count):
        path = os.path.join(args.outdir, "msg-%05d.eml" % index)
        write_lines(path, message(args.seed, index, args.size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
