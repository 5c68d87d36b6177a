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

"""A scripted IMAP/POP3 server for the inboxd regress tests.

It complements the real Dovecot the tests run: it speaks what Dovecot will
not (XOAUTH2 and OAUTHBEARER, a POP3 server without UIDL or PIPELINING)
and misbehaves on demand (connections cut after N bytes or inside a
message, stalls, garbage, absurd literals, endless lines).

  fakeserver.py --proto imap|pop3 --maildir DIR [--port N]
      [--transcript FILE] [--env-file FILE] [--tls CERT KEY |
      --starttls CERT KEY] [options]

The mailbox is DIR/*.eml in name order, served byte for byte.  UIDs start
at 1 in that order and are never reused while the process runs; files
added later get the next UIDs.  Expunge (IMAP) and QUIT after DELE (POP3)
remove the files.  Every line the client sends, every line the server
sends (message data only as its size) and events such as
"AUTH-OK XOAUTH2 user=alice" are appended to the transcript as
"CONN C: ...", "CONN S: ..." and "CONN E: ...", CONN counting
connections from 1.  Faults hit the first connection only (see
--fault-connections and --cut-always).  Standard library only.
"""

import argparse
import base64
import binascii
import hashlib
import json
import os
import re
import select
import shlex
import signal
import socket
import ssl
import stat
import sys
import threading
import time
import traceback

LINE_MAX = 65536
LITERAL_MAX = 1 << 20
ENDLESS_MAX = 64 << 20
GARBAGE_LEN = 512
HUGE_LITERAL = 999999999999
HUGE_TAIL = 65536
DRAIN_MAX = 1 << 20
LOG_MAX = 300
CLIENT_LOG_MAX = 8192

XOAUTH2_ERROR = base64.b64encode(b'{"status":"401"}')
OAUTHBEARER_ERROR = base64.b64encode(json.dumps({
    "status": "invalid_token",
    "schemes": "bearer",
    "scope": "https://mail.example.com/",
}).encode())
SASL_MECHS = ("PLAIN", "XOAUTH2", "OAUTHBEARER")

IMAP_CAPS = ("IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE UIDPLUS UNSELECT "
             "AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER")
POP3_CAPS = ("TOP,USER,UIDL,PIPELINING,RESP-CODES,AUTH-RESP-CODE,"
             "SASL PLAIN XOAUTH2 OAUTHBEARER")
SYSTEM_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")


class Closed(Exception):
    """The client went away, or stayed silent for too long."""


class Cut(Exception):
    """A fault ends the session on purpose."""


class TooLong(Exception):
    """A client line exceeded LINE_MAX."""


def escape(data):
    """Make bytes printable on one transcript line."""
    out = bytearray()
    for b in data:
        if b < 0x20 or b >= 0x7f:
            out += b"\\x%02x" % b
        else:
            out.append(b)
    return bytes(out)


class Transcript:
    """Append-only record of all sessions, one line per entry."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.fd = None
        if path:
            self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                              0o644)

    def write(self, conn, kind, data, limit=None):
        if self.fd is None:
            return
        if isinstance(data, str):
            data = data.encode("utf-8", "replace")
        more = b""
        if limit is not None and len(data) > limit:
            more = b"...[%d bytes]" % len(data)
            data = data[:limit]
        line = b"%d %s: %s%s\n" % (conn, kind.encode(), escape(data), more)
        with self.lock:
            os.write(self.fd, line)


class Message:
    """One file of the mailbox as a session sees it."""

    def __init__(self, uid, name, size, mtime):
        self.uid = uid
        self.name = name
        self.size = size
        self.mtime = mtime


class Mailbox:
    """The *.eml files of one directory, with UIDs and flags in memory."""

    def __init__(self, path, uidvalidity):
        self.path = path
        self.uidvalidity = uidvalidity
        self.lock = threading.Lock()
        self.uids = {}
        self.flags = {}
        self.next_uid = 1
        self.scan()

    def scan(self):
        """Give new files the next UIDs (in name order); list what is there."""
        try:
            names = sorted(n for n in os.listdir(self.path)
                           if n.endswith(".eml"))
        except OSError:
            names = []
        out = []
        with self.lock:
            for name in names:
                try:
                    st = os.stat(os.path.join(self.path, name))
                except OSError:
                    continue
                if not stat.S_ISREG(st.st_mode):
                    continue
                if name not in self.uids:
                    self.uids[name] = self.next_uid
                    self.flags[self.next_uid] = set()
                    self.next_uid += 1
                out.append(Message(self.uids[name], name, st.st_size,
                                   st.st_mtime))
        out.sort(key=lambda m: m.uid)
        return out

    def uidnext(self):
        with self.lock:
            return self.next_uid

    def read(self, msg):
        try:
            with open(os.path.join(self.path, msg.name), "rb") as f:
                return f.read()
        except OSError:
            return None

    def delete(self, msg):
        try:
            os.unlink(os.path.join(self.path, msg.name))
            return True
        except OSError:
            return False

    def get_flags(self, msg):
        with self.lock:
            return set(self.flags.get(msg.uid, ()))

    def change_flags(self, msg, how, flags):
        """Apply FLAGS/+FLAGS/-FLAGS; return the new set."""
        with self.lock:
            cur = self.flags.setdefault(msg.uid, set())
            if how == "+":
                cur |= flags
            elif how == "-":
                cur -= flags
            else:
                cur.clear()
                cur |= flags
            return set(cur)


class Conn:
    """One client connection: buffered input, fault-aware output."""

    def __init__(self, sock, num, opts, transcript):
        self.sock = sock
        self.num = num
        self.opts = opts
        self.tr = transcript
        self.rbuf = bytearray()
        self.sent = 0
        self.bodies = 0
        self.stalled = False
        self.tls = False
        self.faulty = num <= opts.fault_connections
        sock.settimeout(opts.idle_timeout)

    def log(self, kind, data, limit=None):
        self.tr.write(self.num, kind, data, limit)

    def event(self, text):
        self.log("E", text)

    def _fill(self):
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            raise Closed("idle timeout") from None
        except OSError as e:
            raise Closed("read: %s" % e) from None
        if not data:
            raise Closed("EOF from client")
        self.rbuf += data

    def readline(self):
        """Next line without its CRLF (a bare LF is accepted too)."""
        while True:
            i = self.rbuf.find(b"\n")
            if i >= 0:
                break
            if len(self.rbuf) > LINE_MAX:
                self.rbuf.clear()
                raise TooLong()
            self._fill()
        line = bytes(self.rbuf[:i])
        del self.rbuf[:i + 1]
        if line.endswith(b"\r"):
            line = line[:-1]
        self.log("C", line, CLIENT_LOG_MAX)
        if len(line) > LINE_MAX:
            raise TooLong()
        return line

    def readexact(self, n):
        while len(self.rbuf) < n:
            self._fill()
        data = bytes(self.rbuf[:n])
        del self.rbuf[:n]
        return data

    def input_waiting(self, wait):
        """True if the client has sent more than we have read."""
        if self.rbuf:
            return True
        if self.tls and self.sock.pending():
            return True
        try:
            r, _, _ = select.select([self.sock], [], [], wait)
        except (OSError, ValueError):
            return False
        return bool(r)

    def _raw(self, data):
        try:
            self.sock.sendall(data)
        except TimeoutError:
            raise Closed("write timeout") from None
        except OSError as e:
            raise Closed("write: %s" % e) from None
        self.sent += len(data)

    def send(self, data):
        """Send, applying the byte-count faults of this connection."""
        o = self.opts
        while data:
            if (self.faulty and o.stall_after_bytes is not None and
                    not self.stalled):
                k = o.stall_after_bytes - self.sent
                if 0 <= k < len(data):
                    self._raw(data[:k])
                    data = data[k:]
                    self.stalled = True
                    self.event("STALL %g s after %d bytes" %
                               (o.stall_seconds, self.sent))
                    time.sleep(o.stall_seconds)
                    self.event("STALL end")
                    continue
            if self.faulty and o.cut_after_bytes is not None:
                k = o.cut_after_bytes - self.sent
                if k <= len(data):
                    self._raw(data[:max(k, 0)])
                    raise Cut("after %d bytes" % self.sent)
            self._raw(data)
            return

    def send_line(self, line):
        self.log("S", line, LOG_MAX)
        self.send(line + b"\r\n")

    def send_body(self, data, what):
        """Message data: an IMAP literal or a POP3 RETR body."""
        self.bodies += 1
        self.log("S", "[%s %d: %d bytes]" % (what, self.bodies, len(data)))
        if self.faulty and self.opts.cut_in_literal == self.bodies:
            half = len(data) // 2
            self.send(data[:half])
            raise Cut("in %s %d after %d of %d bytes" %
                      (what, self.bodies, half, len(data)))
        self.send(data)

    def start_tls(self, ctx):
        # Plaintext sent ahead of the handshake must never count as
        # protected input (the STARTTLS command injection attack).
        if self.rbuf:
            self.event("STARTTLS-INJECTION discarded %d bytes" %
                       len(self.rbuf))
            self.rbuf.clear()
        try:
            self.sock = ctx.wrap_socket(self.sock, server_side=True)
        except (ssl.SSLError, OSError) as e:
            raise Closed("TLS handshake: %s" % e) from None
        self.tls = True
        self.event("TLS %s" % self.sock.version())

    def close(self, cut):
        """Close; after a cut without close_notify, as a crash would."""
        try:
            self.sock.settimeout(0.5)
            if self.tls and not cut:
                try:
                    self.sock = self.sock.unwrap()
                except (ssl.SSLError, OSError, ValueError):
                    pass
            self.sock.shutdown(socket.SHUT_WR)
            # Read what the client still sends: closing with unread
            # input would reset the connection and could destroy data
            # the client has not read yet.
            got = 0
            while got < DRAIN_MAX:
                data = self.sock.recv(65536)
                if not data:
                    break
                got += len(data)
        except (OSError, ValueError):
            pass
        finally:
            self.sock.close()

    def silent(self):
        """Read and record whatever comes until the client gives up."""
        while True:
            try:
                self.readline()
            except TooLong:
                continue

    def garbage(self):
        # a line of random bytes, ended: without the end a client rightly
        # waits for more (the stall tests cover that)
        data = bytearray(os.urandom(GARBAGE_LEN))
        data[0] |= 0x80
        data[-2:] = b"\r\n"
        self.event("GARBAGE %d bytes" % len(data))
        self.send(bytes(data))
        self.silent()

    def endless(self, prefix):
        self.event("ENDLESS-LINE up to %d bytes" % ENDLESS_MAX)
        self.send(prefix)
        chunk = b"x" * 65536
        left = ENDLESS_MAX - len(prefix)
        while left > 0:
            self.send(chunk[:left])
            left -= len(chunk)
        raise Cut("endless line ended after %d bytes" % self.sent)


class SaslResult:
    """Outcome of checking one SASL client response."""

    def __init__(self, ok, user, reason="", challenge=None, expect=None):
        self.ok = ok
        self.user = user
        self.reason = reason
        self.challenge = challenge
        self.expect = expect


def b64decode(data):
    """Base64 as SASL uses it ("=" is an empty response); None if bad."""
    if data == b"=":
        return b""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def as_str(b):
    """Bytes from the client as str, for the transcript."""
    return b.decode("utf-8", "replace")


def sasl_plain(opts, data):
    parts = data.split(b"\0")
    if len(parts) != 3:
        return SaslResult(False, "", "malformed PLAIN response")
    authz, authc, pw = parts
    if authz not in (b"", authc):
        return SaslResult(False, as_str(authc), "authzid %s" % as_str(authz))
    if authc != opts.user.encode() or pw != opts.password.encode():
        return SaslResult(False, as_str(authc), "wrong password")
    return SaslResult(True, as_str(authc))


def sasl_xoauth2(opts, data):
    # user=U ^A auth=Bearer T ^A ^A (Google's XOAUTH2)
    if not data.endswith(b"\x01\x01"):
        return SaslResult(False, "", "malformed XOAUTH2 response")
    kv = {}
    for field in data[:-2].split(b"\x01"):
        key, sep, value = field.partition(b"=")
        if not sep:
            return SaslResult(False, "", "malformed XOAUTH2 field")
        kv[key] = value
    user = kv.get(b"user", b"")
    if user != opts.user.encode():
        return SaslResult(False, as_str(user), "unknown user",
                          XOAUTH2_ERROR, b"")
    if kv.get(b"auth") != b"Bearer " + opts.token.encode():
        return SaslResult(False, as_str(user), "bad token",
                          XOAUTH2_ERROR, b"")
    return SaslResult(True, as_str(user))


def saslname(b):
    return b.replace(b"=2C", b",").replace(b"=3D", b"=")


def sasl_oauthbearer(opts, data):
    # RFC 7628: gs2 header "n,a=U," ^A kvpairs (each ending in ^A) ^A
    head, sep, rest = data.partition(b"\x01")
    if not sep or not rest.endswith(b"\x01\x01"):
        return SaslResult(False, "", "malformed OAUTHBEARER response")
    gs2 = head.split(b",")
    if len(gs2) != 3 or gs2[0] not in (b"n", b"y") or gs2[2] != b"":
        return SaslResult(False, "", "bad gs2 header")
    user = None
    if gs2[1]:
        if not gs2[1].startswith(b"a="):
            return SaslResult(False, "", "bad gs2 authzid")
        user = saslname(gs2[1][2:])
    kv = {}
    for field in rest[:-2].split(b"\x01"):
        key, sep, value = field.partition(b"=")
        if not sep:
            return SaslResult(False, "", "malformed OAUTHBEARER pair")
        kv[key] = value
    shown = as_str(user) if user is not None else ""
    if user is not None and user != opts.user.encode():
        return SaslResult(False, shown, "unknown user",
                          OAUTHBEARER_ERROR, b"AQ==")
    if kv.get(b"auth") != b"Bearer " + opts.token.encode():
        return SaslResult(False, shown, "bad token",
                          OAUTHBEARER_ERROR, b"AQ==")
    return SaslResult(True, as_str(user) if user is not None else opts.user)


def sasl_check(opts, mech, data):
    if mech == "PLAIN":
        return sasl_plain(opts, data)
    if mech == "XOAUTH2":
        return sasl_xoauth2(opts, data)
    return sasl_oauthbearer(opts, data)


class Protocol:
    """What IMAP and POP3 sessions share: faults, SASL exchanges."""

    def __init__(self, conn, opts, mailbox, starttls_ctx):
        self.c = conn
        self.o = opts
        self.mb = mailbox
        self.ctx = starttls_ctx
        self.fault_done = False

    def greeting_fault(self, prefix):
        """Nothing, garbage or an endless line instead of the greeting.

        A fault that applies ends the session (Closed or Cut)."""
        c, o = self.c, self.o
        if not c.faulty:
            return
        if o.no_greeting:
            c.event("NO-GREETING")
            c.silent()
        if o.fault_at is None:
            self.line_fault(prefix)

    def command_fault(self, names, prefix):
        """Garbage or an endless line instead of a command's answer."""
        c, o = self.c, self.o
        if (c.faulty and not self.fault_done and o.fault_at is not None and
                o.fault_at.upper() in names):
            self.line_fault(prefix)

    def line_fault(self, prefix):
        self.fault_done = True
        if self.o.garbage:
            self.c.garbage()
        if self.o.endless_line:
            self.c.endless(prefix)

    def sasl(self, mech, initial, cont):
        """Run one SASL exchange; return (SaslResult or None, error text).

        cont is the continuation prefix ("+ ").  None as result means the
        client cancelled or sent something that is not base64."""
        if initial is None:
            self.c.send_line(cont)
            initial = self.c.readline()
        if initial == b"*":
            self.c.event("AUTH-CANCEL %s" % mech)
            return None, "cancelled"
        data = b64decode(initial)
        if data is None:
            self.c.event("AUTH-FAIL %s bad base64" % mech)
            return None, "invalid base64"
        res = sasl_check(self.o, mech, data)
        if res.ok:
            self.c.event("AUTH-OK %s user=%s" % (mech, res.user))
            return res, ""
        if res.challenge is not None:
            self.c.send_line(cont + res.challenge)
            reply = self.c.readline()
            if reply == b"*":
                self.c.event("AUTH-FAIL %s user=%s %s, then cancel" %
                             (mech, res.user, res.reason))
                return None, "cancelled"
            if reply != res.expect:
                self.c.event("AUTH-ERROR-REPLY %s unexpected %r" %
                             (mech, reply))
        self.c.event("AUTH-FAIL %s user=%s %s" % (mech, res.user,
                                                   res.reason))
        return res, ""


#
# IMAP
#

def parse_set(s, star):
    """Ranges of an IMAP sequence set, "*" being star; None if malformed."""
    out = []
    for part in s.split(","):
        ends = part.split(":")
        if len(ends) > 2:
            return None
        vals = []
        for e in ends:
            if e == "*":
                vals.append(star)
            elif re.fullmatch(r"[1-9][0-9]{0,9}", e) and int(e) < 1 << 32:
                vals.append(int(e))
            else:
                return None
        out.append((min(vals), max(vals)))
    return out


def in_set(ranges, n):
    return any(lo <= n <= hi for lo, hi in ranges)


def tokenize(line, lits):
    """IMAP arguments: atoms as str, strings and literals as bytes, lists.

    An atom keeps a bracketed part whole, so BODY[HEADER.FIELDS (A B)]<0.5>
    is one atom.  A literal stands in the line as NUL index NUL."""
    stack = [[]]
    i, n = 0, len(line)
    while i < n:
        ch = line[i:i + 1]
        if ch == b" ":
            i += 1
        elif ch == b"(":
            stack.append([])
            i += 1
        elif ch == b")":
            if len(stack) == 1:
                raise ValueError("unbalanced parenthesis")
            done = stack.pop()
            stack[-1].append(done)
            i += 1
        elif ch == b'"':
            i, s = quoted(line, i + 1)
            stack[-1].append(s)
        elif ch == b"\0":
            j = line.index(b"\0", i + 1)
            stack[-1].append(lits[int(line[i + 1:j])])
            i = j + 1
        else:
            j = i
            while j < n and line[j:j + 1] not in (b" ", b"(", b")", b"\0",
                                                  b'"'):
                if line[j:j + 1] == b"[":
                    k = line.find(b"]", j)
                    if k < 0:
                        raise ValueError("unbalanced bracket")
                    j = k + 1
                else:
                    j += 1
            stack[-1].append(line[i:j].decode("latin-1"))
            i = j
    if len(stack) != 1:
        raise ValueError("unbalanced parenthesis")
    return stack[0]


def quoted(line, i):
    buf = bytearray()
    while i < len(line):
        c = line[i]
        if c == 0x5c and i + 1 < len(line):
            buf.append(line[i + 1])
            i += 2
        elif c == 0x22:
            return i + 1, bytes(buf)
        else:
            buf.append(c)
            i += 1
    raise ValueError("unterminated string")


def astring(tok):
    if isinstance(tok, str):
        return tok.encode("latin-1")
    if isinstance(tok, bytes):
        return tok
    return None


def split_header(data):
    for sep in (b"\r\n\r\n", b"\n\n"):
        i = data.find(sep)
        if i >= 0:
            return data[:i + len(sep)], data[i + len(sep):]
    return data, b""


def header_fields(header, names, negate):
    fields = []
    for line in header.splitlines(keepends=True):
        if line in (b"\r\n", b"\n"):
            break
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line
        else:
            fields.append(line)
    out = [f for f in fields
           if (f.split(b":", 1)[0].strip().upper() in names) != negate]
    return b"".join(out) + b"\r\n"


BODY_RE = re.compile(r"(BODY(?:\.PEEK)?)\[([^\]]*)\](?:<(\d+)\.(\d+)>)?")
FIELDS_RE = re.compile(r"HEADER\.FIELDS(\.NOT)? ?\(([^)]*)\)")


class FetchItem:
    """One FETCH data item: what to send and under which name."""

    def __init__(self, kind, name=None, section="", fields=None,
                 negate=False, partial=None, peek=True):
        self.kind = kind
        self.name = name
        self.section = section
        self.fields = fields
        self.negate = negate
        self.partial = partial
        self.peek = peek


def fetch_item(atom):
    """Parse one FETCH item; a list for the FAST macro; None if unknown."""
    up = atom.upper()
    if up in ("UID", "FLAGS", "RFC822.SIZE", "INTERNALDATE"):
        return [FetchItem(up)]
    if up == "FAST":
        return [FetchItem("FLAGS"), FetchItem("INTERNALDATE"),
                FetchItem("RFC822.SIZE")]
    if up == "RFC822":
        return [FetchItem("BODY", b"RFC822", "", peek=False)]
    if up == "RFC822.HEADER":
        return [FetchItem("BODY", b"RFC822.HEADER", "HEADER")]
    if up == "RFC822.TEXT":
        return [FetchItem("BODY", b"RFC822.TEXT", "TEXT", peek=False)]
    m = BODY_RE.fullmatch(up)
    if not m:
        return None
    sect = m.group(2).strip()
    item = FetchItem("BODY", peek=m.group(1) == "BODY.PEEK")
    if m.group(3) is not None:
        item.partial = (int(m.group(3)), int(m.group(4)))
    f = FIELDS_RE.fullmatch(sect)
    if f:
        item.fields = [x.strip('"').encode() for x in f.group(2).split()]
        item.negate = f.group(1) is not None
        item.section = "HEADER.FIELDS%s (%s)" % (
            f.group(1) or "", " ".join(x.decode() for x in item.fields))
    elif sect in ("", "HEADER", "TEXT"):
        item.section = sect
    else:
        return None
    item.name = ("BODY[%s]" % item.section).encode()
    if item.partial is not None:
        item.name += b"<%d>" % item.partial[0]
    return [item]


def body_section(item, data):
    header, body = split_header(data)
    if item.fields is not None:
        out = header_fields(header, item.fields, item.negate)
    elif item.section == "HEADER":
        out = header
    elif item.section == "TEXT":
        out = body
    else:
        out = data
    if item.partial is not None:
        start, count = item.partial
        out = out[start:start + count]
    return out


def flag_list(flags):
    order = {f: i for i, f in enumerate(SYSTEM_FLAGS)}
    return " ".join(sorted(flags, key=lambda f: (order.get(f, 99), f)))


class Imap(Protocol):
    """The IMAP4rev1 subset a mail fetcher needs."""

    def __init__(self, conn, opts, mailbox, starttls_ctx):
        super().__init__(conn, opts, mailbox, starttls_ctx)
        self.state = "noauth"
        self.msgs = []
        self.readonly = False
        self.huge_done = False
        self.table = {
            "CAPABILITY": (self.cmd_capability, "any"),
            "NOOP": (self.cmd_noop, "any"),
            "LOGOUT": (self.cmd_logout, "any"),
            "ID": (self.cmd_id, "any"),
            "STARTTLS": (self.cmd_starttls, "noauth"),
            "LOGIN": (self.cmd_login, "noauth"),
            "AUTHENTICATE": (self.cmd_authenticate, "noauth"),
            "ENABLE": (self.cmd_enable, "auth"),
            "SELECT": (self.cmd_select, "auth"),
            "EXAMINE": (self.cmd_select, "auth"),
            "STATUS": (self.cmd_status, "auth"),
            "LIST": (self.cmd_list, "auth"),
            "LSUB": (self.cmd_list, "auth"),
            "IDLE": (self.cmd_idle, "auth"),
            "CHECK": (self.cmd_noop, "selected"),
            "FETCH": (self.cmd_fetch, "selected"),
            "STORE": (self.cmd_store, "selected"),
            "SEARCH": (self.cmd_search, "selected"),
            "EXPUNGE": (self.cmd_expunge, "selected"),
            "CLOSE": (self.cmd_close, "selected"),
            "UNSELECT": (self.cmd_unselect, "selected"),
            "UID": (self.cmd_uid, "selected"),
        }

    def caps(self):
        caps = self.o.caps.split() if self.o.caps else IMAP_CAPS.split()
        if self.c.tls:
            return [x for x in caps
                    if x.upper() not in ("STARTTLS", "LOGINDISABLED")]
        if self.ctx is not None and "STARTTLS" not in caps:
            caps.insert(1, "STARTTLS")
        return caps

    def has(self, cap):
        return cap.upper() in (x.upper() for x in self.caps())

    def capstring(self):
        return " ".join(self.caps()).encode()

    def reply(self, tag, status, msg):
        self.c.send_line(b"%s %s %s" % (tag, status, msg))

    def run(self):
        self.greeting_fault(b"* OK ")
        self.c.send_line(b"* OK [CAPABILITY %s] fakeserver ready." %
                         self.capstring())
        while True:
            try:
                line, lits, err = self.read_command()
            except TooLong:
                self.c.send_line(b"* BYE Line too long.")
                return
            if err is not None and lits is None:
                self.c.send_line(b"* BYE " + err)
                return
            if err is not None:
                tag = line.split(b" ", 1)[0].replace(b"\0", b"")
                self.c.send_line(b"%s BAD %s" % (tag or b"*", err))
                continue
            if not self.dispatch(line, lits):
                return

    def read_command(self):
        """A command line with its literals: (line, literals, error).

        An error with literals None means the session cannot go on."""
        line = b""
        lits = []
        err = None
        while True:
            part = self.c.readline()
            if b"\0" in part:
                err = b"NUL in command."
            m = re.search(rb"\{(\d+)(\+?)\}$", part)
            if not m:
                line += part
                return line, lits, err
            size = int(m.group(1))
            if size > LITERAL_MAX:
                return None, None, b"Literal too large."
            if m.group(2):
                if not self.has("LITERAL+"):
                    err = b"LITERAL+ not advertised."
            else:
                self.c.send_line(b"+ Ready for literal data")
            data = self.c.readexact(size)
            self.c.log("C", b"[literal %d bytes] " % size + data, LOG_MAX)
            lits.append(data)
            line += part[:m.start()] + b"\0%d\0" % (len(lits) - 1)

    def dispatch(self, line, lits):
        try:
            toks = tokenize(line, lits)
        except (ValueError, IndexError):
            self.c.send_line(b"* BAD Syntax error.")
            return True
        if len(toks) < 2 or not isinstance(toks[0], str) or \
                not isinstance(toks[1], str):
            self.c.send_line(b"* BAD Missing tag or command.")
            return True
        tag = toks[0].encode("latin-1")
        cmd = toks[1].upper()
        args = toks[2:]
        names = {cmd}
        if cmd == "UID" and args and isinstance(args[0], str):
            names |= {args[0].upper(), "UID " + args[0].upper()}
        self.command_fault(names, b"* ")
        entry = self.table.get(cmd)
        if entry is None:
            self.reply(tag, b"BAD", b"Unknown command.")
            return True
        func, state = entry
        if state == "noauth" and self.state != "noauth":
            self.reply(tag, b"BAD", b"Already authenticated.")
            return True
        if state in ("auth", "selected") and self.state == "noauth":
            self.reply(tag, b"BAD", b"Not authenticated.")
            return True
        if state == "selected" and self.state != "selected":
            self.reply(tag, b"BAD", b"No mailbox selected.")
            return True
        return func(tag, cmd, args) is not False

    def cmd_capability(self, tag, cmd, args):
        self.c.send_line(b"* CAPABILITY " + self.capstring())
        self.reply(tag, b"OK", b"Capability completed.")

    def cmd_noop(self, tag, cmd, args):
        if self.state == "selected":
            self.refresh()
        self.reply(tag, b"OK", b"%s completed." % cmd.encode())

    def cmd_logout(self, tag, cmd, args):
        if self.c.faulty and self.o.cut_before_quit:
            raise Cut("on LOGOUT")
        self.c.send_line(b"* BYE Logging out.")
        self.reply(tag, b"OK", b"Logout completed.")
        return False

    def cmd_id(self, tag, cmd, args):
        if not self.has("ID"):
            self.reply(tag, b"BAD", b"Unknown command.")
            return
        self.c.send_line(b'* ID ("name" "fakeserver")')
        self.reply(tag, b"OK", b"ID completed.")

    def cmd_enable(self, tag, cmd, args):
        if not self.has("ENABLE"):
            self.reply(tag, b"BAD", b"Unknown command.")
            return
        self.c.send_line(b"* ENABLED")
        self.reply(tag, b"OK", b"Enabled.")

    def cmd_starttls(self, tag, cmd, args):
        if self.ctx is None or self.c.tls:
            self.reply(tag, b"NO", b"TLS not available.")
            return
        self.reply(tag, b"OK", b"Begin TLS negotiation now.")
        self.c.start_tls(self.ctx)

    def logged_in(self, tag):
        self.state = "auth"
        self.reply(tag, b"OK", b"Logged in.")

    def cmd_login(self, tag, cmd, args):
        if self.has("LOGINDISABLED"):
            self.reply(tag, b"NO", b"[PRIVACYREQUIRED] LOGIN disabled.")
            return
        if len(args) != 2 or None in (astring(args[0]), astring(args[1])):
            self.reply(tag, b"BAD", b"LOGIN needs user and password.")
            return
        user, pw = astring(args[0]), astring(args[1])
        if user == self.o.user.encode() and pw == self.o.password.encode():
            self.c.event("AUTH-OK LOGIN user=%s" % as_str(user))
            self.logged_in(tag)
            return
        self.c.event("AUTH-FAIL LOGIN user=%s" % as_str(user))
        self.reply(tag, b"NO", b"[AUTHENTICATIONFAILED] "
                   b"Authentication failed.")

    def cmd_authenticate(self, tag, cmd, args):
        if len(args) not in (1, 2) or not isinstance(args[0], str):
            self.reply(tag, b"BAD", b"AUTHENTICATE needs a mechanism.")
            return
        mech = args[0].upper()
        if mech not in SASL_MECHS or not self.has("AUTH=" + mech):
            self.reply(tag, b"NO", b"Unsupported authentication mechanism.")
            return
        initial = None
        if len(args) == 2:
            if not self.has("SASL-IR"):
                self.c.event("AUTH-FAIL %s initial response without "
                             "SASL-IR" % mech)
                self.reply(tag, b"BAD", b"SASL-IR not advertised.")
                return
            initial = astring(args[1])
        res, err = self.sasl(mech, initial, b"+ ")
        if res is None:
            self.reply(tag, b"BAD", b"Authentication %s." % err.encode())
        elif res.ok:
            self.logged_in(tag)
        else:
            self.reply(tag, b"NO", b"[AUTHENTICATIONFAILED] "
                       b"Authentication failed.")

    def cmd_select(self, tag, cmd, args):
        if len(args) != 1 or astring(args[0]) is None:
            self.reply(tag, b"BAD", b"%s needs a mailbox." % cmd.encode())
            return
        self.state = "auth"
        if astring(args[0]).upper() != b"INBOX":
            self.reply(tag, b"NO", b"[NONEXISTENT] Mailbox doesn't exist.")
            return
        self.msgs = self.mb.scan()
        self.readonly = cmd == "EXAMINE"
        self.c.send_line(b"* FLAGS (%s)" % flag_list(SYSTEM_FLAGS).encode())
        self.c.send_line(b"* OK [PERMANENTFLAGS (%s \\*)] Flags "
                         b"permitted." % flag_list(SYSTEM_FLAGS).encode())
        self.c.send_line(b"* %d EXISTS" % len(self.msgs))
        self.c.send_line(b"* 0 RECENT")
        self.c.send_line(b"* OK [UIDVALIDITY %d] UIDs valid." %
                         self.mb.uidvalidity)
        self.c.send_line(b"* OK [UIDNEXT %d] Predicted next UID." %
                         self.mb.uidnext())
        self.state = "selected"
        code = b"[READ-ONLY]" if self.readonly else b"[READ-WRITE]"
        self.reply(tag, b"OK", code + b" %s completed." % cmd.encode())

    def cmd_status(self, tag, cmd, args):
        if (len(args) != 2 or astring(args[0]) is None or
                not isinstance(args[1], list)):
            self.reply(tag, b"BAD", b"STATUS needs a mailbox and items.")
            return
        if astring(args[0]).upper() != b"INBOX":
            self.reply(tag, b"NO", b"[NONEXISTENT] Mailbox doesn't exist.")
            return
        msgs = self.mb.scan()
        values = {
            "MESSAGES": len(msgs),
            "RECENT": 0,
            "UIDNEXT": self.mb.uidnext(),
            "UIDVALIDITY": self.mb.uidvalidity,
            "UNSEEN": sum(1 for m in msgs
                          if "\\Seen" not in self.mb.get_flags(m)),
        }
        out = []
        for item in args[1]:
            if not isinstance(item, str) or item.upper() not in values:
                self.reply(tag, b"BAD", b"Unknown STATUS item.")
                return
            out.append(b"%s %d" % (item.upper().encode(),
                                   values[item.upper()]))
        self.c.send_line(b"* STATUS INBOX (%s)" % b" ".join(out))
        self.reply(tag, b"OK", b"Status completed.")

    def cmd_list(self, tag, cmd, args):
        if len(args) != 2 or None in (astring(args[0]), astring(args[1])):
            self.reply(tag, b"BAD", b"%s needs two arguments." %
                       cmd.encode())
            return
        pattern = astring(args[1]).upper()
        if pattern == b"":
            self.c.send_line(b'* %s (\\Noselect) "/" ""' % cmd.encode())
        elif pattern in (b"*", b"%", b"INBOX"):
            self.c.send_line(b'* %s (\\HasNoChildren) "/" INBOX' %
                             cmd.encode())
        self.reply(tag, b"OK", b"%s completed." % cmd.encode())

    def refresh(self):
        """Report files that appeared or vanished since the last look."""
        now = self.mb.scan()
        present = {m.uid for m in now}
        i = 0
        while i < len(self.msgs):
            if self.msgs[i].uid not in present:
                self.c.send_line(b"* %d EXPUNGE" % (i + 1))
                del self.msgs[i]
            else:
                i += 1
        top = self.msgs[-1].uid if self.msgs else 0
        new = [m for m in now if m.uid > top]
        if new:
            self.msgs.extend(new)
            self.c.send_line(b"* %d EXISTS" % len(self.msgs))

    def cmd_idle(self, tag, cmd, args):
        if not self.has("IDLE"):
            self.reply(tag, b"BAD", b"Unknown command.")
            return
        self.c.send_line(b"+ idling")
        deadline = time.monotonic() + self.o.idle_timeout
        while time.monotonic() < deadline:
            if self.c.input_waiting(0.2):
                line = self.c.readline()
                if line.upper() == b"DONE":
                    self.reply(tag, b"OK", b"Idle completed.")
                else:
                    self.reply(tag, b"BAD", b"Expected DONE.")
                return
            if self.state == "selected":
                self.refresh()
        self.c.send_line(b"* BYE Idle timeout.")
        return False

    def cmd_uid(self, tag, cmd, args):
        sub = args[0].upper() if args and isinstance(args[0], str) else ""
        if sub == "FETCH":
            return self.fetch(tag, args[1:], True)
        if sub == "STORE":
            return self.store(tag, args[1:], True)
        if sub == "SEARCH":
            return self.search(tag, args[1:], True)
        if sub == "EXPUNGE" and self.has("UIDPLUS"):
            return self.uid_expunge(tag, args[1:])
        self.reply(tag, b"BAD", b"Unknown UID command.")
        return True

    def cmd_fetch(self, tag, cmd, args):
        return self.fetch(tag, args, False)

    def cmd_store(self, tag, cmd, args):
        return self.store(tag, args, False)

    def cmd_search(self, tag, cmd, args):
        return self.search(tag, args, False)

    def targets(self, tag, setarg, uid):
        """(msn, Message) pairs named by a sequence set; None if bad."""
        if not isinstance(setarg, str):
            self.reply(tag, b"BAD", b"Invalid sequence set.")
            return None
        if uid:
            star = self.msgs[-1].uid if self.msgs else 0
        else:
            star = len(self.msgs)
        ranges = parse_set(setarg, star)
        if ranges is None or (not uid and
                              any(hi > len(self.msgs) for _, hi in ranges)):
            self.reply(tag, b"BAD", b"Invalid sequence set.")
            return None
        return [(i, m) for i, m in enumerate(self.msgs, 1)
                if in_set(ranges, m.uid if uid else i)]

    def fetch(self, tag, args, uid):
        if len(args) != 2:
            self.reply(tag, b"BAD", b"FETCH needs a set and items.")
            return True
        atoms = args[1] if isinstance(args[1], list) else [args[1]]
        items = []
        for a in atoms:
            got = fetch_item(a) if isinstance(a, str) else None
            if got is None:
                self.reply(tag, b"BAD", b"Unsupported FETCH item.")
                return True
            items.extend(got)
        if uid and not any(i.kind == "UID" for i in items):
            items.insert(0, FetchItem("UID"))
        targets = self.targets(tag, args[0], uid)
        if targets is None:
            return True
        for msn, msg in targets:
            self.fetch_one(msn, msg, items)
        self.reply(tag, b"OK", b"Fetch completed.")
        return True

    def huge_literal(self, msn, msg):
        self.huge_done = True
        self.c.event("HUGE-LITERAL {%d}" % HUGE_LITERAL)
        self.c.send_line(b"* %d FETCH (UID %d BODY[] {%d}" %
                         (msn, msg.uid, HUGE_LITERAL))
        self.c.send(b"x" * HUGE_TAIL)
        raise Cut("after huge literal announcement")

    def fetch_one(self, msn, msg, items):
        bodies = [i for i in items if i.kind == "BODY"]
        data = None
        if bodies:
            if (self.c.faulty and self.o.huge_literal and
                    not self.huge_done):
                self.huge_literal(msn, msg)
            data = self.mb.read(msg)
            if data is None:
                self.c.event("VANISHED uid=%d file=%s" % (msg.uid, msg.name))
                return
        seen = False
        if (not self.readonly and any(not i.peek for i in bodies) and
                "\\Seen" not in self.mb.get_flags(msg)):
            self.mb.change_flags(msg, "+", {"\\Seen"})
            seen = True
        pieces = []
        for item in items:
            pieces.append(self.fetch_piece(msg, item, data))
        if seen and not any(i.kind == "FLAGS" for i in items):
            pieces.append(self.fetch_piece(msg, FetchItem("FLAGS"), data))
        self.send_fetch(msn, pieces)

    def fetch_piece(self, msg, item, data):
        if item.kind == "UID":
            return b"UID %d" % msg.uid
        if item.kind == "FLAGS":
            return b"FLAGS (%s)" % flag_list(self.mb.get_flags(msg)).encode()
        if item.kind == "RFC822.SIZE":
            return b"RFC822.SIZE %d" % msg.size
        if item.kind == "INTERNALDATE":
            t = time.strftime("%d-%b-%Y %H:%M:%S +0000",
                              time.gmtime(msg.mtime))
            return b'INTERNALDATE "%s"' % t.encode()
        return (item.name, body_section(item, data))

    def send_fetch(self, msn, pieces):
        out = b"* %d FETCH (" % msn
        for n, p in enumerate(pieces):
            if n:
                out += b" "
            if isinstance(p, tuple):
                out += p[0] + b" {%d}" % len(p[1])
                self.c.send_line(out)
                self.c.send_body(p[1], "literal")
                out = b""
            else:
                out += p
        self.c.send_line(out + b")")

    def store(self, tag, args, uid):
        if len(args) < 3 or not isinstance(args[1], str):
            self.reply(tag, b"BAD", b"STORE needs a set, an item and flags.")
            return True
        m = re.fullmatch(r"([+-]?)FLAGS(\.SILENT)?", args[1].upper())
        raw = args[2] if isinstance(args[2], list) else args[2:]
        if not m or not all(isinstance(f, str) for f in raw):
            self.reply(tag, b"BAD", b"Invalid STORE arguments.")
            return True
        if self.readonly:
            self.reply(tag, b"NO", b"[READ-ONLY] Mailbox is read-only.")
            return True
        canon = {f.lower(): f for f in SYSTEM_FLAGS}
        flags = {canon.get(f.lower(), f) for f in raw}
        targets = self.targets(tag, args[0], uid)
        if targets is None:
            return True
        for msn, msg in targets:
            now = self.mb.change_flags(msg, m.group(1), flags)
            if m.group(2):
                continue
            extra = b" UID %d" % msg.uid if uid else b""
            self.c.send_line(b"* %d FETCH (FLAGS (%s)%s)" %
                             (msn, flag_list(now).encode(), extra))
        self.reply(tag, b"OK", b"Store completed.")
        return True

    def search(self, tag, args, uid):
        keys = [a.upper() if isinstance(a, str) else a for a in args]
        if keys[:1] == ["CHARSET"]:
            keys = keys[2:]
        preds = []
        i = 0
        while i < len(keys):
            k = keys[i]
            i += 1
            p = self.search_key(k, keys[i] if i < len(keys) else None)
            if p is None:
                self.reply(tag, b"BAD", b"Unsupported SEARCH key.")
                return True
            if k == "UID":
                i += 1
            preds.append(p)
        found = []
        for msn, msg in enumerate(self.msgs, 1):
            if all(p(msn, msg) for p in preds):
                found.append(msg.uid if uid else msn)
        self.c.send_line(b"* SEARCH" + b"".join(b" %d" % n for n in found))
        self.reply(tag, b"OK", b"Search completed.")
        return True

    def search_key(self, key, arg):
        """A predicate (msn, msg) -> bool for one key; None if unknown."""
        flags = {"DELETED": ("\\Deleted", True),
                 "UNDELETED": ("\\Deleted", False),
                 "SEEN": ("\\Seen", True), "UNSEEN": ("\\Seen", False),
                 "FLAGGED": ("\\Flagged", True),
                 "UNFLAGGED": ("\\Flagged", False)}
        if not isinstance(key, str):
            return None
        if key == "ALL":
            return lambda n, m: True
        if key in flags:
            flag, want = flags[key]
            return lambda n, m: (flag in self.mb.get_flags(m)) == want
        if key == "UID":
            star = self.msgs[-1].uid if self.msgs else 0
            r = parse_set(arg, star) if isinstance(arg, str) else None
            return None if r is None else (lambda n, m: in_set(r, m.uid))
        r = parse_set(key, len(self.msgs))
        return None if r is None else (lambda n, m: in_set(r, n))

    def expunge(self, uids, quiet):
        """Remove \\Deleted messages (those in uids, if given)."""
        if self.c.faulty and self.o.cut_before_expunge:
            raise Cut("before expunge")
        i = 0
        while i < len(self.msgs):
            msg = self.msgs[i]
            if ("\\Deleted" not in self.mb.get_flags(msg) or
                    (uids is not None and not in_set(uids, msg.uid))):
                i += 1
                continue
            if self.mb.delete(msg):
                self.c.event("EXPUNGED uid=%d file=%s" % (msg.uid, msg.name))
            else:
                self.c.event("EXPUNGE-FAILED uid=%d file=%s" %
                             (msg.uid, msg.name))
            if not quiet:
                self.c.send_line(b"* %d EXPUNGE" % (i + 1))
            del self.msgs[i]

    def cmd_expunge(self, tag, cmd, args):
        if self.readonly:
            self.reply(tag, b"NO", b"[READ-ONLY] Mailbox is read-only.")
            return
        self.expunge(None, False)
        self.reply(tag, b"OK", b"Expunge completed.")

    def uid_expunge(self, tag, args):
        star = self.msgs[-1].uid if self.msgs else 0
        ranges = None
        if len(args) == 1 and isinstance(args[0], str):
            ranges = parse_set(args[0], star)
        if ranges is None:
            self.reply(tag, b"BAD", b"Invalid sequence set.")
            return True
        if self.readonly:
            self.reply(tag, b"NO", b"[READ-ONLY] Mailbox is read-only.")
            return True
        self.expunge(ranges, False)
        self.reply(tag, b"OK", b"Expunge completed.")
        return True

    def cmd_close(self, tag, cmd, args):
        if not self.readonly:
            self.expunge(None, True)
        self.state = "auth"
        self.msgs = []
        self.reply(tag, b"OK", b"Close completed.")

    def cmd_unselect(self, tag, cmd, args):
        if not self.has("UNSELECT"):
            self.reply(tag, b"BAD", b"Unknown command.")
            return
        self.state = "auth"
        self.msgs = []
        self.reply(tag, b"OK", b"Unselect completed.")


#
# POP3
#

def dot_stuff(data):
    """RETR body: leading dots doubled, ending in CRLF (RFC 1939)."""
    out = re.sub(rb"(^|\n)\.", rb"\1..", data)
    if out and not out.endswith(b"\r\n"):
        out += b"\r\n"
    return out


def top_lines(data, n):
    header, body = split_header(data)
    lines = body.splitlines(keepends=True)
    return header + b"".join(lines[:n])


def uidl_of(name):
    """The file name without .eml, restricted to what UIDL allows."""
    stem = name[:-4] if name.endswith(".eml") else name
    uidl = "".join(c if "!" <= c <= "~" else "_" for c in stem)
    return uidl[:70].encode()


class Pop3(Protocol):
    """POP3 (RFC 1939) with CAPA, SASL, STLS."""

    def __init__(self, conn, opts, mailbox, starttls_ctx):
        super().__init__(conn, opts, mailbox, starttls_ctx)
        self.state = "auth"
        self.user = None
        self.msgs = []
        self.deleted = set()
        self.stamp = b""
        if opts.apop:
            self.stamp = b"<%d.%d.%s@fakeserver>" % (
                os.getpid(), int(time.time()), os.urandom(4).hex().encode())
        self.table = {
            "CAPA": (self.cmd_capa, "any"),
            "QUIT": (self.cmd_quit, "any"),
            "NOOP": (self.cmd_noop, "any"),
            "USER": (self.cmd_user, "auth"),
            "PASS": (self.cmd_pass, "auth"),
            "APOP": (self.cmd_apop, "auth"),
            "AUTH": (self.cmd_auth, "auth"),
            "STLS": (self.cmd_stls, "auth"),
            "STAT": (self.cmd_stat, "trans"),
            "LIST": (self.cmd_list, "trans"),
            "UIDL": (self.cmd_uidl, "trans"),
            "RETR": (self.cmd_retr, "trans"),
            "TOP": (self.cmd_top, "trans"),
            "DELE": (self.cmd_dele, "trans"),
            "RSET": (self.cmd_rset, "trans"),
        }

    def caps(self):
        raw = self.o.caps if self.o.caps else POP3_CAPS
        caps = [c.strip() for c in raw.split(",") if c.strip()]
        drop = set()
        if self.o.no_uidl:
            drop.add("UIDL")
        if self.o.no_pipelining:
            drop.add("PIPELINING")
        if self.c.tls:
            drop.add("STLS")
        caps = [c for c in caps if c.split()[0].upper() not in drop]
        if self.ctx is not None and not self.c.tls and \
                not any(c.upper() == "STLS" for c in caps):
            caps.append("STLS")
        return caps

    def has(self, cap):
        return any(c.split()[0].upper() == cap for c in self.caps())

    def mechs(self):
        for c in self.caps():
            words = c.upper().split()
            if words[0] == "SASL":
                return words[1:]
        return []

    def ok(self, msg):
        self.c.send_line(b"+OK " + msg)

    def err(self, msg):
        self.c.send_line(b"-ERR " + msg)

    def run(self):
        self.greeting_fault(b"+OK ")
        greet = b"+OK fakeserver ready."
        if self.stamp:
            greet += b" " + self.stamp
        self.c.send_line(greet)
        while True:
            try:
                line = self.c.readline()
            except TooLong:
                self.err(b"Line too long.")
                return
            if self.o.no_pipelining and self.c.input_waiting(0.05):
                self.c.event("PIPELINING-VIOLATION")
                self.err(b"[SYS/PERM] Pipelining not supported.")
                return
            cmd, _, rest = line.partition(b" ")
            cmd = cmd.decode("latin-1").upper()
            self.command_fault({cmd}, b"+OK ")
            if not self.dispatch(cmd, rest):
                return

    def dispatch(self, cmd, rest):
        entry = self.table.get(cmd)
        if entry is None:
            self.err(b"Unknown command.")
            return True
        func, state = entry
        if state != "any" and state != self.state:
            self.err(b"Command not valid in this state.")
            return True
        return func(rest) is not False

    def cmd_capa(self, rest):
        if self.o.no_capa:
            self.err(b"Unknown command.")
            return
        self.ok(b"Capability list follows.")
        for c in self.caps():
            self.c.send_line(c.encode())
        self.c.send_line(b".")

    def cmd_noop(self, rest):
        self.ok(b"")

    def cmd_quit(self, rest):
        if self.state != "trans":
            self.ok(b"Bye.")
            return False
        if self.c.faulty and self.o.cut_before_quit:
            raise Cut("on QUIT, %d messages marked" % len(self.deleted))
        failed = 0
        for msg in self.msgs:
            if msg.uid not in self.deleted:
                continue
            if self.mb.delete(msg):
                self.c.event("DELETED uid=%d file=%s" % (msg.uid, msg.name))
            else:
                self.c.event("DELETE-FAILED uid=%d file=%s" %
                             (msg.uid, msg.name))
                failed += 1
        if failed:
            self.err(b"[SYS/TEMP] Some messages were not deleted.")
        else:
            self.ok(b"Bye.")
        return False

    def enter(self, mech, user):
        self.c.event("AUTH-OK %s user=%s" % (mech, as_str(user)))
        self.state = "trans"
        self.msgs = self.mb.scan()
        self.deleted = set()
        self.ok(b"Logged in.")

    def cmd_user(self, rest):
        if not self.has("USER"):
            self.err(b"USER not supported.")
            return
        if not rest:
            self.err(b"USER needs a name.")
            return
        self.user = rest
        self.ok(b"")

    def cmd_pass(self, rest):
        user, self.user = self.user, None
        if user is None:
            self.err(b"USER first.")
            return
        if user == self.o.user.encode() and rest == self.o.password.encode():
            self.enter("USER", user)
            return
        self.c.event("AUTH-FAIL USER user=%s" % as_str(user))
        self.err(b"[AUTH] Authentication failed.")

    def cmd_apop(self, rest):
        if not self.stamp:
            self.err(b"APOP not supported.")
            return
        user, _, digest = rest.partition(b" ")
        want = hashlib.md5(self.stamp + self.o.password.encode()).hexdigest()
        if user == self.o.user.encode() and digest.lower() == want.encode():
            self.enter("APOP", user)
            return
        self.c.event("AUTH-FAIL APOP user=%s" % as_str(user))
        self.err(b"[AUTH] Authentication failed.")

    def cmd_auth(self, rest):
        if not rest:
            self.ok(b"Mechanisms follow.")
            for m in self.mechs():
                self.c.send_line(m.encode())
            self.c.send_line(b".")
            return
        words = rest.split(b" ")
        mech = words[0].decode("latin-1").upper()
        if len(words) > 2 or mech not in SASL_MECHS or \
                mech not in self.mechs():
            self.err(b"Unsupported authentication mechanism.")
            return
        initial = words[1] if len(words) == 2 else None
        res, err = self.sasl(mech, initial, b"+ ")
        if res is None:
            self.err(b"Authentication %s." % err.encode())
        elif res.ok:
            self.enter(mech, res.user.encode())
        else:
            self.err(b"[AUTH] Authentication failed.")

    def cmd_stls(self, rest):
        if self.ctx is None or self.c.tls:
            self.err(b"TLS not available.")
            return
        self.ok(b"Begin TLS negotiation.")
        self.c.start_tls(self.ctx)

    def live(self):
        return [(i, m) for i, m in enumerate(self.msgs, 1)
                if m.uid not in self.deleted]

    def message(self, arg):
        """The Message numbered arg, or None after an -ERR."""
        if not re.fullmatch(rb"[1-9][0-9]{0,9}", arg):
            self.err(b"Invalid message number.")
            return None
        n = int(arg)
        if n > len(self.msgs):
            self.err(b"No such message.")
            return None
        msg = self.msgs[n - 1]
        if msg.uid in self.deleted:
            self.err(b"Message is deleted.")
            return None
        return msg

    def cmd_stat(self, rest):
        live = self.live()
        self.ok(b"%d %d" % (len(live), sum(m.size for _, m in live)))

    def listing(self, rest, value):
        if rest:
            msg = self.message(rest)
            if msg is not None:
                self.ok(b"%s %s" % (rest, value(msg)))
            return
        self.ok(b"")
        for i, m in self.live():
            self.c.send_line(b"%d %s" % (i, value(m)))
        self.c.send_line(b".")

    def cmd_list(self, rest):
        self.listing(rest, lambda m: b"%d" % m.size)

    def cmd_uidl(self, rest):
        if self.o.no_uidl:
            self.err(b"Unknown command.")
            return
        self.listing(rest, lambda m: uidl_of(m.name))

    def send_message(self, msg, data):
        self.ok(b"%d octets" % msg.size)
        self.c.send_body(dot_stuff(data), "body")
        self.c.send_line(b".")

    def cmd_retr(self, rest):
        msg = self.message(rest)
        if msg is None:
            return
        data = self.mb.read(msg)
        if data is None:
            self.err(b"Message vanished.")
            return
        self.send_message(msg, data)

    def cmd_top(self, rest):
        num, _, lines = rest.partition(b" ")
        if not re.fullmatch(rb"[0-9]{1,9}", lines):
            self.err(b"TOP needs a message and a line count.")
            return
        msg = self.message(num)
        if msg is None:
            return
        data = self.mb.read(msg)
        if data is None:
            self.err(b"Message vanished.")
            return
        self.send_message(msg, top_lines(data, int(lines)))

    def cmd_dele(self, rest):
        msg = self.message(rest)
        if msg is None:
            return
        self.deleted.add(msg.uid)
        self.ok(b"Marked.")

    def cmd_rset(self, rest):
        self.deleted = set()
        self.ok(b"")


#
# Server
#

def session(sock, num, opts, mailbox, tr, tls_ctx, starttls_ctx, slots):
    conn = Conn(sock, num, opts, tr)
    conn.event("CONNECT%s" % (" faulty" if conn.faulty and opts.any_fault
                               else ""))
    cut = False
    try:
        if tls_ctx is not None:
            conn.start_tls(tls_ctx)
        cls = Imap if opts.proto == "imap" else Pop3
        cls(conn, opts, mailbox, starttls_ctx).run()
    except Cut as e:
        conn.event("CUT %s" % e)
        cut = True
    except Closed as e:
        conn.event("CLOSED %s" % e)
    except Exception as e:
        conn.event("ERROR %s" % e)
        traceback.print_exc()
    finally:
        conn.close(cut)
        conn.event("END")
        slots.release()


def tls_context(pair):
    if pair is None:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(pair[0], pair[1])
    return ctx


def write_env(path, opts, port):
    values = [("FAKE_PORT", str(port)), ("FAKE_PID", str(os.getpid())),
              ("FAKE_PROTO", opts.proto),
              ("FAKE_MAILDIR", os.path.abspath(opts.maildir)),
              ("FAKE_TRANSCRIPT",
               os.path.abspath(opts.transcript) if opts.transcript else "")]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        for k, v in values:
            f.write("%s=%s\n" % (k, shlex.quote(v)))
    os.rename(tmp, path)


def positive(value):
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return n


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Scripted IMAP/POP3 server for the inboxd tests.")
    p.add_argument("--proto", choices=("imap", "pop3"), required=True)
    p.add_argument("--port", type=positive, default=0,
                   help="TCP port on 127.0.0.1; 0 picks a free one")
    p.add_argument("--maildir", required=True,
                   help="directory whose *.eml files are the mailbox")
    p.add_argument("--transcript", help="append the session record here")
    p.add_argument("--env-file", help="write FAKE_PORT=... here when ready")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"),
                   help="implicit TLS")
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"),
                   help="offer STARTTLS (IMAP) or STLS (POP3)")
    p.add_argument("--caps", help="IMAP: space-separated capabilities; "
                   "POP3: comma-separated CAPA lines")
    p.add_argument("--uidvalidity", type=positive, default=1234567,
                   help="IMAP UIDVALIDITY (default 1234567)")
    p.add_argument("--user", default="alice", help="default alice")
    p.add_argument("--password", default="secret-alice-pw",
                   help="default secret-alice-pw")
    p.add_argument("--token", default="fake-token-alice",
                   help="accepted OAuth2 bearer token (default "
                   "fake-token-alice)")
    p.add_argument("--apop", action="store_true",
                   help="POP3: APOP timestamp in the greeting")
    p.add_argument("--no-capa", action="store_true",
                   help="POP3: CAPA answers -ERR")
    p.add_argument("--no-uidl", action="store_true",
                   help="POP3: UIDL answers -ERR, not in CAPA")
    p.add_argument("--no-pipelining", action="store_true",
                   help="POP3: no PIPELINING in CAPA; a pipelined "
                   "command gets -ERR and the connection closes")
    p.add_argument("--cut-after-bytes", type=positive, metavar="N",
                   help="close after N bytes of output")
    p.add_argument("--cut-in-literal", type=positive, metavar="K",
                   help="close halfway through the K-th message sent "
                   "(IMAP FETCH literal, POP3 RETR/TOP body)")
    p.add_argument("--cut-before-quit", action="store_true",
                   help="close on QUIT (POP3, nothing deleted) or "
                   "LOGOUT (IMAP) without answering")
    p.add_argument("--cut-before-expunge", action="store_true",
                   help="IMAP: close on EXPUNGE, UID EXPUNGE or CLOSE "
                   "without expunging")
    p.add_argument("--stall-after-bytes", type=positive, metavar="N",
                   help="pause before output byte N+1")
    p.add_argument("--stall-seconds", type=float, default=3.0,
                   metavar="T", help="length of the pause (default 3)")
    p.add_argument("--garbage", action="store_true",
                   help="512 random bytes instead of the greeting, "
                   "then silence")
    p.add_argument("--huge-literal", action="store_true",
                   help="IMAP: answer the first body FETCH with "
                   "{999999999999}, 64 KiB, then close")
    p.add_argument("--endless-line", action="store_true",
                   help="a greeting without CRLF, 64 MiB long, then "
                   "close")
    p.add_argument("--no-greeting", action="store_true",
                   help="accept, send nothing, record what comes")
    p.add_argument("--fault-at", metavar="COMMAND",
                   help="garbage or endless line instead of this "
                   "command's answer, not the greeting")
    p.add_argument("--fault-connections", type=positive, default=1,
                   help="how many connections the faults hit (default 1)")
    p.add_argument("--cut-always", action="store_true",
                   help="faults hit every connection")
    p.add_argument("--idle-timeout", type=float, default=60.0,
                   help="close a connection silent this long, and end "
                   "IDLE after it (default 60 s)")
    p.add_argument("--max-connections", type=positive, default=32,
                   help="concurrent sessions; more are closed at once")
    opts = p.parse_args(argv)
    imap_only = ("huge_literal", "cut_before_expunge")
    pop3_only = ("apop", "no_capa", "no_uidl", "no_pipelining")
    for name in imap_only if opts.proto == "pop3" else pop3_only:
        if getattr(opts, name):
            p.error("--%s does not apply to %s" %
                    (name.replace("_", "-"), opts.proto))
    if opts.tls and opts.starttls:
        p.error("--tls and --starttls exclude each other")
    if opts.garbage and opts.endless_line:
        p.error("--garbage and --endless-line exclude each other")
    if opts.fault_at and not (opts.garbage or opts.endless_line):
        p.error("--fault-at needs --garbage or --endless-line")
    if opts.cut_in_literal == 0:
        p.error("--cut-in-literal counts from 1")
    if not 0 < opts.uidvalidity < 1 << 32:
        p.error("--uidvalidity must be in 1..4294967295")
    if opts.stall_seconds < 0 or opts.idle_timeout <= 0:
        p.error("times must be positive")
    if not os.path.isdir(opts.maildir):
        p.error("%s: not a directory" % opts.maildir)
    if opts.cut_always:
        opts.fault_connections = 1 << 62
    opts.any_fault = any(getattr(opts, f) not in (None, False) for f in (
        "cut_after_bytes", "cut_in_literal", "cut_before_quit",
        "cut_before_expunge", "stall_after_bytes", "garbage", "huge_literal",
        "endless_line", "no_greeting"))
    return opts


def terminate(signum, frame):
    raise SystemExit(0)


def main(argv):
    opts = parse_args(argv)
    tls_ctx = tls_context(opts.tls)
    starttls_ctx = tls_context(opts.starttls)
    mailbox = Mailbox(opts.maildir, opts.uidvalidity)
    tr = Transcript(opts.transcript)
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", opts.port))
    ls.listen(16)
    if opts.env_file:
        write_env(opts.env_file, opts, ls.getsockname()[1])
    slots = threading.BoundedSemaphore(opts.max_connections)
    num = 0
    try:
        while True:
            sock, _ = ls.accept()
            num += 1
            if not slots.acquire(blocking=False):
                tr.write(num, "E", "REFUSED too many connections")
                sock.close()
                continue
            threading.Thread(target=session, daemon=True,
                             args=(sock, num, opts, mailbox, tr, tls_ctx,
                                   starttls_ctx, slots)).start()
    finally:
        ls.close()
        sys.stderr.flush()
        # Sessions are daemon threads with all output already written;
        # exiting at once keeps a stop fast even during a stall.
        os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
