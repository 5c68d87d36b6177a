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

"""A fault-injecting TCP proxy between inboxd and a test server.

Forwards 127.0.0.1:LISTEN to 127.0.0.1:TARGET and, towards the client:
slows to RATE bytes/s, cuts the connection after N bytes, stalls for T
seconds after N bytes, or injects bytes.  Faults apply to the first
connection only, unless --every is given, so a client that reconnects
recovers.  It stops by itself after --lifetime seconds.
"""

import argparse
import asyncio
import os
import signal
import time


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", type=int, required=True)
    p.add_argument("--target", type=int, required=True)
    p.add_argument("--rate", type=int, default=0, help="bytes/s, 0: no limit")
    p.add_argument("--cut-after", type=int, default=-1)
    p.add_argument("--cuts", default="",
                   help="comma list: connection i is cut after the i-th")
    p.add_argument("--stall-after", type=int, default=-1)
    p.add_argument("--stall-seconds", type=float, default=0)
    p.add_argument("--inject-after", type=int, default=-1)
    p.add_argument("--inject", default="")
    p.add_argument("--every", action="store_true")
    p.add_argument("--lifetime", type=float, default=600)
    p.add_argument("--log", default=None)
    return p.parse_args()


class Proxy:
    def __init__(self, args):
        self.a = args
        self.conns = 0

    def log(self, msg):
        if self.a.log:
            with open(self.a.log, "a") as f:
                f.write("%.3f %s\n" % (time.time(), msg))

    async def pipe_up(self, r, w):
        try:
            while True:
                data = await r.read(65536)
                if not data:
                    break
                w.write(data)
                await w.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            w.close()

    async def pipe_down(self, r, w, faulty, n):
        sent = 0
        stalled = injected = False
        a = self.a
        try:
            while True:
                data = await r.read(16384 if a.rate else 65536)
                if not data:
                    break
                if faulty and a.cut_after >= 0 and \
                        sent + len(data) >= a.cut_after:
                    w.write(data[:a.cut_after - sent])
                    await w.drain()
                    self.log("conn %d: cut after %d bytes" % (n, a.cut_after))
                    w.transport.abort()
                    return
                if faulty and not stalled and a.stall_after >= 0 and \
                        sent + len(data) >= a.stall_after:
                    k = a.stall_after - sent
                    w.write(data[:k])
                    await w.drain()
                    self.log("conn %d: stall %.1fs" % (n, a.stall_seconds))
                    await asyncio.sleep(a.stall_seconds)
                    stalled = True
                    data = data[k:]
                    sent += k
                if faulty and not injected and a.inject_after >= 0 and \
                        sent + len(data) >= a.inject_after:
                    k = a.inject_after - sent
                    w.write(data[:k] + a.inject.encode())
                    data = data[k:]
                    sent += k
                    injected = True
                w.write(data)
                await w.drain()
                sent += len(data)
                if a.rate:
                    await asyncio.sleep(len(data) / a.rate)
        except (ConnectionError, OSError):
            pass
        finally:
            w.close()

    async def handle(self, cr, cw):
        self.conns += 1
        n = self.conns
        faulty = self.a.every or n == 1
        cuts = [int(x) for x in self.a.cuts.split(",") if x]
        if cuts:
            # one cut per connection, in order; then clean connections
            faulty = n <= len(cuts)
            self.a.cut_after = cuts[n - 1] if faulty else -1
        try:
            sr, sw = await asyncio.open_connection("127.0.0.1", self.a.target)
        except OSError:
            cw.close()
            return
        self.log("conn %d opened" % n)
        await asyncio.gather(self.pipe_up(cr, sw),
                             self.pipe_down(sr, cw, faulty, n))
        self.log("conn %d closed" % n)


async def main():
    a = parse()
    prox = Proxy(a)
    srv = await asyncio.start_server(prox.handle, "127.0.0.1", a.listen)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with srv:
        try:
            await asyncio.wait_for(stop, a.lifetime)
        except asyncio.TimeoutError:
            pass


if __name__ == "__main__":
    os.setpgrp()
    asyncio.run(main())
