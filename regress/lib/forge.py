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

"""Play a compromised child: take a descriptor of a running inboxd process
with pidfd_getfd(2) (root only) and write forged messages into it.

    forge.py PID FD MODE

MODE: badtype, truncated, oversize, random, fdpass, flood, forged-end.
The victim should be stopped (SIGSTOP) first so it does not interfere.
"""

import ctypes
import os
import re
import socket
import struct
import sys

PROTO = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                     "../../src/common/proto.h")


def imsg_types():
    text = open(PROTO).read()
    body = text[text.index("enum imsg_type {"):]
    body = body[:body.index("};")]
    names = re.findall(r"^\s*(IMSG_[A-Z0-9_]+)\s*,", body, re.M)
    return {n: i for i, n in enumerate(names)}


def getfd(pid, fd):
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    nfd = libc.syscall(438, pidfd, fd, 0)	# pidfd_getfd
    if nfd < 0:
        raise OSError(ctypes.get_errno(), "pidfd_getfd")
    return socket.socket(fileno=nfd)


def frame(t, payload, peerid=0, pid=0, fdmark=False):
    ln = 16 + len(payload)
    if fdmark:
        ln |= 0x80000000
    return struct.pack("=IIII", t, ln, peerid, pid) + payload


def u32(v):
    return b"i" + struct.pack("=I", v)


def u64(v):
    return b"l" + struct.pack("=Q", v)


def string(s):
    b = s.encode()
    return b"s" + struct.pack("=I", len(b)) + b


def main():
    pid, fd, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    T = imsg_types()
    s = getfd(pid, fd)
    if mode == "badtype":
        # a store's message, from a fetcher: not allowed from that peer
        s.sendall(frame(T["IMSG_STORE_COUNT"], u32(1) + u64(999999)))
    elif mode == "truncated":
        # a status whose fields stop half way
        s.sendall(frame(T["IMSG_FETCH_STATUS"], u32(0) + b"s\xff"))
    elif mode == "oversize":
        s.sendall(struct.pack("=IIII", T["IMSG_LOG"], 0x7fffffff, 0, 0))
    elif mode == "random":
        s.sendall(os.urandom(4096))
    elif mode == "fdpass":
        r, w = os.pipe()
        s.sendmsg([frame(T["IMSG_LOG"], u32(6) + string("x"), fdmark=True)],
                  [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                    struct.pack("=i", r))])
    elif mode == "flood":
        # as fast as possible, then stop: the receiver must stay bounded
        msg = frame(T["IMSG_LOG"], u32(6) + string("flood " * 100))
        s.setblocking(False)
        sent = 0
        try:
            for _ in range(200000):
                s.send(msg)
                sent += 1
        except BlockingIOError:
            pass
        print("flood: %d messages sent" % sent)
    elif mode == "forged-end":
        # on a store channel: claim to end a message never begun, with a
        # mailbox and uid of the attacker's choosing
        s.sendall(frame(T["IMSG_MSG_END"], u32(7) + string("INBOX") +
                        u32(1) + u32(1) + string("") + u64(0) +
                        string("0" * 64)))
    else:
        sys.exit("unknown mode " + mode)
    s.close()


if __name__ == "__main__":
    main()
