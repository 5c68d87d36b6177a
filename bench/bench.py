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

"""Measuring half of the inboxd benchmark; bench/run.sh drives it.

  bench.py timed OUT -- CMD...      one client run under /usr/bin/time -v
  bench.py ixd OUT --conf F ...     one inboxd run: check or cold start
  bench.py scale OUT --conf F ...   many accounts: start, idle, reload
  bench.py report RESULTS           the table

Results are appended to OUT as one tab-separated line per run:
set client proto kind wall_s cpu_s rss_kib detail (key=value,...).
Wall time is taken here, around the process or the event, with
time.monotonic(); RSS and CPU come from /usr/bin/time -v for clients
and from /proc for the daemon's long-lived processes.
"""

import argparse
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def append(path, fields):
    with open(path, "a") as f:
        f.write("\t".join(str(x) for x in fields) + "\n")


def detail(d):
    return ",".join("%s=%s" % (k, v) for k, v in d.items()) or "-"


# --- /proc ---------------------------------------------------------------

def machine_busy():
    """CPU seconds the whole machine spent busy since boot (all CPUs):
    /proc/stat's user, nice, system, irq and softirq ticks (not steal:
    time another guest took from this one)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:8]]
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")


def proc_stat(pid):
    """(ppid, cpu seconds) of a process, or None when it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            rest = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(rest[1]), proc_cpu(pid, int(rest[11]) + int(rest[12]))


def proc_cpu(pid, ticks):
    """CPU seconds used.  utime + stime in /proc/PID/stat are sampled at
    the clock tick: a fetcher that ran for 8 ms can show 0.  The
    scheduler's own sum in /proc/PID/sched is exact; use it if there."""
    try:
        with open("/proc/%d/sched" % pid) as f:
            for line in f:
                if line.startswith("se.sum_exec_runtime"):
                    return float(line.split()[-1]) / 1000.0
    except (OSError, ValueError):
        pass
    return ticks / CLK_TCK


def proc_status(pid, key):
    """A kB figure from /proc/PID/status (VmHWM, VmRSS), 0 if gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_pss(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return 0


def proc_role(pid):
    """'parent', 'store', 'control', 'fetch NAME' from the title."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cl = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    cl = cl.strip()
    m = re.match(r"inboxd: (.*)$", cl)
    return m.group(1) if m else "parent"


def daemon_pids(parent):
    """The parent and its children, by role."""
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = proc_stat(int(name))
        if st is not None and st[0] == parent:
            role = proc_role(int(name))
            if role is not None:
                kids[int(name)] = role
    kids[parent] = "parent"
    return kids


def descendants(root):
    """root and every process below it."""
    kids = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = proc_stat(int(name))
            if st is not None:
                kids.setdefault(st[0], []).append(int(name))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def tree_cpu(root):
    return sum(cpu_secs(descendants(root)).values()) if root else 0.0


def cpu_secs(pids):
    out = {}
    for pid in pids:
        st = proc_stat(pid)
        if st is not None:
            out[pid] = st[1]
    return out


def wakeups(pids):
    """Voluntary context switches of each process: a process blocked in
    its event loop counts one each time something wakes it."""
    return {pid: proc_status(pid, "voluntary_ctxt_switches") for pid in pids}


def quiesce(pids, still, limit):
    """Wait until no process has used CPU for `still` seconds (`limit`
    at most); the seconds waited."""
    t0 = time.monotonic()
    last = cpu_secs(pids)
    t_last = t0
    while time.monotonic() - t0 < limit:
        time.sleep(0.1)
        now = cpu_secs(pids)
        if any(now.get(p, 0) != last.get(p, 0) for p in now):
            last = now
            t_last = time.monotonic()
        elif time.monotonic() - t_last >= still:
            break
    return time.monotonic() - t0


# --- running inboxd --------------------------------------------------------

STATE_RE = re.compile(r"^fetch (\S+): (\S+): ([a-z]+)$")
START_RE = re.compile(r"^parent: started fetch (\S+), pid (\d+)$")
ATTACH_RE = re.compile(r"^store: attached (\S+)$")


class Daemon:
    """inboxd -d -v with its log read line by line and time-stamped as
    each line arrives, so that events need no polling."""

    def __init__(self, inboxd, conf, logpath, nofile=None):
        self.cv = threading.Condition()
        self.states = {}	# account -> [(t, state)]
        self.started = {}	# account -> [(t, pid)]
        self.attached = set()
        self.stored = 0
        self.lines = 0
        self.eof = False
        self.log = open(logpath, "a")

        def limits():
            if nofile:
                import resource
                resource.setrlimit(resource.RLIMIT_NOFILE,
                                   (nofile, nofile))
        self.t_exec = time.monotonic()
        self.p = subprocess.Popen([inboxd, "-d", "-v", "-f", conf],
                                  stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE,
                                  preexec_fn=limits)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        """Whole reads, not lines: the observer must cost little CPU on a
        machine the run keeps busy (a fetch logs a line per message).
        Each line is stamped with the time its read returned."""
        fd = self.p.stderr.fileno()
        rest = b""
        while True:
            chunk = os.read(fd, 1 << 16)
            t = time.monotonic()
            if not chunk:
                break
            data = rest + chunk
            end = data.rfind(b"\n") + 1
            rest = data[end:]
            lines = data[:end].decode(errors="replace").splitlines()
            stamp = "%.6f " % (t - self.t_exec)
            self.log.write("".join(stamp + ln + "\n" for ln in lines))
            with self.cv:
                self.lines += len(lines)
                self.stored += data.count(b"audit event=stored ", 0, end)
                for line in lines:
                    if not line.startswith(("fetch ", "parent: started ",
                                            "store: attached ")):
                        continue
                    self._event(t, line)
        with self.cv:
            self.eof = True
            self.cv.notify_all()
        self.log.flush()

    def _event(self, t, line):
        m = STATE_RE.match(line)
        if m and m.group(1) == m.group(2):
            self.states.setdefault(m.group(1), []).append((t, m.group(3)))
            self.cv.notify_all()
            return
        m = START_RE.match(line)
        if m:
            self.started.setdefault(m.group(1), []).append(
                (t, int(m.group(2))))
            self.cv.notify_all()
            return
        m = ATTACH_RE.match(line)
        if m:
            self.attached.add(m.group(1))
            self.cv.notify_all()

    def wait(self, pred, timeout):
        """Wait until pred() holds (called with the lock held)."""
        end = time.monotonic() + timeout
        with self.cv:
            while not pred():
                if self.eof:
                    raise RuntimeError("inboxd exited")
                left = end - time.monotonic()
                if left <= 0:
                    raise RuntimeError("timeout")
                self.cv.wait(left)

    def first_state(self, acct, states, after):
        for t, st in self.states.get(acct, []):
            if t >= after and st in states:
                return t, st
        return None

    def stop(self):
        kids = list(daemon_pids(self.p.pid))
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        # children end when the parent's channel closes; make sure
        for pid in kids:
            if pid != self.p.pid and proc_stat(pid) is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        self.reader.join(5)
        self.log.close()


def wait_socket(path, d, timeout=20):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if d.p.poll() is not None:
            raise RuntimeError("inboxd exited at start")
        if time.monotonic() > end:
            raise RuntimeError("no control socket")
        time.sleep(0.005)


def db_count(db, account=None):
    """Committed rows only: a separate read-only connection."""
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=30)
    try:
        if account is None:
            return c.execute("select count(*) from messages").fetchone()[0]
        return c.execute("select count(*) from messages m join accounts a "
                         "on a.id = m.account_id where a.name = ?",
                         (account,)).fetchone()[0]
    finally:
        c.close()


def hwm_by_role(pids):
    out = {}
    for pid, role in pids.items():
        r = role.split()[0]
        out[r] = max(out.get(r, 0), proc_status(pid, "VmHWM"))
    return out


def cmd_ixd(a):
    """One inboxd run.  warm: the daemon is up, `inboxctl check` starts
    the clock and the account's return to idle stops it.  cold: the
    clock starts at exec and stops when the account is idle or pushing
    after its first check."""
    d = Daemon(a.inboxd, a.conf, a.log)
    res = None
    try:
        wait_socket(a.socket, d)
        if a.mode == "warm":
            d.wait(lambda: a.account in d.attached, 20)
            pids = daemon_pids(d.p.pid)
            before = cpu_secs(pids)
            busy0 = machine_busy()
            t0 = time.monotonic()
            subprocess.run([a.inboxctl, "-s", a.socket, "check",
                            a.account], check=True,
                           stdout=subprocess.DEVNULL)
            done = ("idle", "error")
        else:
            t0 = d.t_exec
            before = {}
            busy0 = None
            done = ("idle", "push", "error")
        d.wait(lambda: d.first_state(a.account, done, t0) is not None,
               a.timeout)
        busy1 = machine_busy()
        t1, st = d.first_state(a.account, done, t0)
        if st == "error":
            raise RuntimeError("the check failed; see %s" % a.log)
        pids = daemon_pids(d.p.pid)
        after = cpu_secs(pids)
        n = db_count(a.db, a.account)
        if n != a.total:
            raise RuntimeError("%d stored, %d expected" % (n, a.total))
        cpu = sum(after[p] - before.get(p, 0) for p in after)
        hwm = hwm_by_role(pids)
        info = {"msgs": n, "bytes": a.bytes}
        if busy0 is not None:
            info["busy"] = "%.2f" % (busy1 - busy0)
        by_role = {}
        for pid, role in pids.items():
            r = role.split()[0]
            by_role[r] = (by_role.get(r, 0) + after.get(pid, 0) -
                          before.get(pid, 0))
        for r, secs in by_role.items():
            info["cpu_" + r] = "%.3f" % secs
        for role in ("fetch", "store", "parent", "control"):
            info["hwm_" + role] = hwm.get(role, 0)
        # what of the fetcher's memory is its own, at the end
        for pid, role in pids.items():
            if role.startswith("fetch "):
                info["anon_fetch"] = proc_status(pid, "RssAnon")
                info["file_fetch"] = proc_status(pid, "RssFile")
        res = [a.set, "inboxd", a.proto, a.mode, "%.4f" % (t1 - t0),
               "%.3f" % cpu, max(hwm.values()), detail(info)]
    finally:
        d.stop()
    append(a.out, res)


# --- clients under /usr/bin/time -------------------------------------------

def parse_time_v(path):
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().rpartition(": ")
            out[k] = v
    return (float(out.get("User time (seconds)", 0)) +
            float(out.get("System time (seconds)", 0)),
            int(out.get("Maximum resident set size (kbytes)", 0)),
            int(out.get("Exit status", 1)))


def cmd_timed(a):
    tv = a.out + ".time"
    cmd = ["/usr/bin/time", "-v", "-o", tv] + a.argv
    with open(a.log, "ab") as log:
        busy0 = machine_busy()
        t0 = time.monotonic()
        try:
            rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, timeout=a.timeout).returncode
        except subprocess.TimeoutExpired:
            rc = -1
        t1 = time.monotonic()
        busy1 = machine_busy()
    cpu, rss = 0.0, 0
    if os.path.exists(tv):
        cpu, rss, _ = parse_time_v(tv)
        os.unlink(tv)
    info = {"msgs": a.total, "bytes": a.bytes,
            "busy": "%.2f" % (busy1 - busy0)}
    if rc != 0:
        info["failed"] = "rc%d" % rc
    elif a.count:
        # what arrived, counted by the caller's command
        got = subprocess.run(["sh", "-c", a.count], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout.split()
        if got[:1] != [str(a.total).encode()]:
            info["failed"] = "got%s" % (got[0].decode() if got else "none")
    append(a.out, [a.set, a.client, a.proto, "warm", "%.4f" % (t1 - t0),
                   "%.2f" % cpu, rss, detail(info)])
    return 0


# --- many accounts -----------------------------------------------------------

def totals(pids):
    rss = sum(proc_status(p, "VmRSS") for p in pids)
    pss = sum(proc_pss(p) for p in pids)
    return rss, pss


def cmd_scale(a):
    """Start with many accounts, wait for every one to push, then idle,
    then a reload that changes one account."""
    names = [l.strip() for l in open(a.accounts) if l.strip()]
    n = len(names)
    out = {}
    dc0 = tree_cpu(a.dovecot_pid)
    d = Daemon(a.inboxd, a.conf, a.log, nofile=a.nofile)
    try:
        wait_socket(a.socket, d, 60)
        out["socket_s"] = "%.3f" % (time.monotonic() - d.t_exec)

        def settled():
            ok = 0
            for nm in names:
                s = d.states.get(nm)
                if s and s[-1][1] in ("push", "idle"):
                    ok += 1
            return ok

        try:
            d.wait(lambda: settled() == n, a.timeout)
            t_all = time.monotonic()
        except RuntimeError as e:
            out["error"] = "%s: %d of %d accounts settled" % (e, settled(),
                                                              n)
            t_all = None
        errors = sum(1 for nm in names
                     if any(st == "error" for _, st in d.states.get(nm, [])))
        out["accounts_with_errors"] = errors
        stored = db_count(a.db)
        out["stored"] = stored
        out["expected"] = a.total
        if t_all is not None:
            out["start_to_all_stored_s"] = "%.3f" % (t_all - d.t_exec)
        pids = daemon_pids(d.p.pid)
        out["processes"] = len(pids)
        cpu = cpu_secs(pids)
        for pid, role in pids.items():
            k = "start_cpu_%s_s" % role.split()[0]
            out[k] = out.get(k, 0) + cpu.get(pid, 0)
        for k in [k for k in out if k.startswith("start_cpu_")]:
            out[k] = "%.2f" % out[k]
        if a.dovecot_pid:
            out["start_cpu_dovecot_s"] = "%.2f" % (tree_cpu(a.dovecot_pid) -
                                                   dc0)
        rss, pss = totals(pids)
        out["rss_total_kib"] = rss
        out["pss_total_kib"] = pss
        byrole = {}
        for pid, role in pids.items():
            byrole.setdefault(role.split()[0], []).append(pid)
        for role, ps in sorted(byrole.items()):
            out["rss_%s_kib" % role] = max(proc_status(p, "VmRSS")
                                           for p in ps)
            out["fds_%s" % role] = max(proc_fds(p) for p in ps)
        out["fetch_rss_median_kib"] = int(statistics.median(
            proc_status(p, "VmRSS") for p in byrole.get("fetch", [0])))
        # the end of the fetch: the store checkpoints its WAL a moment
        # after the last commit.  That is not idle; counted apart.
        before = cpu_secs(pids)
        out["settle_s"] = "%.2f" % quiesce(pids, 1.0, 10.0)
        after = cpu_secs(pids)
        for role, ps in sorted(byrole.items()):
            out["settle_cpu_%s_s" % role] = "%.3f" % sum(
                after.get(p, 0) - before.get(p, 0) for p in ps)
        # idle: what polling and IDLE cost when nothing happens.  Each
        # wake-up is one voluntary context switch; the server's own
        # keepalives during IDLE (Dovecot: "* OK Still here" every
        # imap_idle_notify_interval) wake every fetcher.
        before = cpu_secs(pids)
        wbefore = wakeups(pids)
        time.sleep(a.idle)
        after = cpu_secs(pids)
        wafter = wakeups(pids)
        out["idle_s"] = a.idle
        out["idle_cpu_s"] = "%.3f" % sum(after[p] - before.get(p, 0)
                                         for p in after)
        for role, ps in sorted(byrole.items()):
            out["idle_cpu_%s_s" % role] = "%.3f" % sum(
                after.get(p, 0) - before.get(p, 0) for p in ps)
        for role, ps in sorted(byrole.items()):
            out["idle_wakeups_%s" % role] = sum(
                max(0, wafter.get(p, 0) - wbefore.get(p, 0)) for p in ps)
        # reload with one account changed
        victim = names[0]
        with open(a.conf) as f:
            text = f.read()
        pat = 'account "%s" {\n' % victim
        if pat not in text:
            raise RuntimeError("cannot find account %s" % victim)
        text = text.replace(pat, pat + "\tmax-size 100M\n", 1)
        with open(a.conf + ".new", "w") as f:
            f.write(text)
        os.rename(a.conf + ".new", a.conf)
        old = {p: r for p, r in pids.items()}
        pbefore = cpu_secs([d.p.pid])
        t0 = time.monotonic()
        r = subprocess.run([a.inboxctl, "-s", a.socket, "reload"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        t1 = time.monotonic()
        out["reload_reply"] = r.stdout.decode().strip().replace(",", ";")
        out["reload_cmd_s"] = "%.4f" % (t1 - t0)
        try:
            d.wait(lambda: d.first_state(victim, ("push", "idle"), t1)
                   is not None, 60)
            out["reload_to_push_s"] = "%.4f" % (
                d.first_state(victim, ("push", "idle"), t1)[0] - t0)
        except RuntimeError as e:
            out["reload_to_push_s"] = str(e)
        time.sleep(1)
        out["reload_parent_cpu_s"] = "%.3f" % (
            cpu_secs([d.p.pid])[d.p.pid] - pbefore[d.p.pid])
        now = daemon_pids(d.p.pid)
        out["reload_restarted"] = sum(1 for p, r in old.items()
                                      if r.startswith("fetch ") and
                                      p not in now)
    finally:
        d.stop()
    with open(a.out, "a") as f:
        for k, v in out.items():
            f.write("%s\t%s\n" % (k, v))


# --- the table ---------------------------------------------------------------

def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 8:
                continue
            info = dict(kv.split("=", 1) for kv in p[7].split(",")
                        if "=" in kv)
            rows.append({"set": p[0], "client": p[1], "proto": p[2],
                         "kind": p[3], "wall": float(p[4]),
                         "cpu": float(p[5]), "rss": int(p[6]),
                         "info": info})
    return rows


def mib(kib):
    return "%.1f" % (kib / 1024.0)


NCPU = os.cpu_count() or 1


def cpu_budget(st, proto, raw, ixd):
    """What the server spent serving the raw client (the machine's busy
    time less the client's own), plus what inboxd's processes spent:
    spread over every CPU, the least wall time inboxd could take."""
    server = max(raw["busy"] - raw["cpu"], 0.0)
    need = server + ixd["cpu"]
    best = need / NCPU
    return ("    %s/%s: server %.2f s + inboxd %.2f s = %.2f s of CPU: "
            "at best %.3f s on %d CPUs = %.2f x raw; inboxd took %.3f s "
            "with the machine %.0f%% busy" %
            (st, proto, server, ixd["cpu"], need, best, NCPU,
             raw["wall"] / best if best > 0 else 0, ixd["wall"],
             100 * ixd["busy"] / (NCPU * ixd["wall"])
             if ixd["wall"] > 0 else 0))


def cmd_report(a):
    rows = load(a.results)
    groups = {}
    order = []
    for r in rows:
        k = (r["set"], r["proto"], r["client"], r["kind"])
        if k not in groups:
            order.append(k)
        groups.setdefault(k, []).append(r)
    summary = {}
    for k in order:
        rs = groups[k]
        ok = [r for r in rs if "failed" not in r["info"]]
        if not ok:
            summary[k] = None
            continue
        wall = statistics.median(r["wall"] for r in ok)
        summary[k] = {
            "wall": wall,
            "cpu": statistics.median(r["cpu"] for r in ok),
            "rss": max(r["rss"] for r in ok),
            "msgs": int(ok[0]["info"]["msgs"]),
            "bytes": int(ok[0]["info"]["bytes"]),
            "n": len(ok), "failed": len(rs) - len(ok),
            "info": ok[0]["info"],
            "hwm": {x: max(int(r["info"].get("hwm_" + x, 0)) for r in ok)
                    for x in ("fetch", "store", "parent")},
            # the fetcher's own share of its peak: shared library pages
            # (file-backed, mostly OpenSSL) do not grow while streaming
            "own": max(int(r["info"].get("hwm_fetch", 0)) -
                       int(r["info"].get("file_fetch", 0)) for r in ok),
            "cpus": {x: statistics.median(
                float(r["info"].get("cpu_" + x, 0)) for r in ok)
                for x in ("fetch", "store", "parent")},
            # the whole machine's busy CPU seconds during the run
            "busy": statistics.median(
                float(r["info"].get("busy", 0)) for r in ok),
        }
    hdr = ("%-4s %-15s %-5s %9s %8s %8s %9s %7s %6s %9s" %
           ("set", "client", "proto", "seconds", "msg/s", "MB/s",
            "RSS MiB", "CPU s", "runs", "t/inboxd"))
    print(hdr)
    print("-" * len(hdr))
    goals = []
    floors = []
    budgets = []
    for st in sorted({k[0] for k in order}):
        for proto in ("imap", "pop3"):
            keys = [k for k in order if k[0] == st and k[1] == proto]
            if not keys:
                continue
            ixd = summary.get((st, proto, "inboxd", "warm"))
            for k in keys:
                s = summary[k]
                name = k[2] + (" (cold)" if k[3] == "cold" else "")
                if s is None:
                    print("%-4s %-15s %-5s %9s" % (st, name, proto,
                                                    "failed"))
                    continue
                vs = ("%.2fx" % (s["wall"] / ixd["wall"])
                      if ixd and k[2] != "inboxd" else "")
                print(("%-4s %-15s %-5s %9.3f %8.0f %8.1f %9s %7.2f %6s "
                       "%9s" % (st, name, proto, s["wall"],
                                s["msgs"] / s["wall"],
                                s["bytes"] / s["wall"] / 1e6, mib(s["rss"]),
                                s["cpu"], "%d%s" % (
                                    s["n"], "+%dF" % s["failed"]
                                    if s["failed"] else ""), vs)).rstrip())
                if k[2] == "inboxd" and k[3] == "warm":
                    h, c = s["hwm"], s["cpus"]
                    print("%31s peak RSS MiB: fetch %s (own %s), store %s, "
                          "parent %s" % ("", mib(h["fetch"]), mib(s["own"]),
                                         mib(h["store"]), mib(h["parent"])))
                    print("%31s CPU s: fetch %.3f, store %.3f, parent %.3f" %
                          ("", c["fetch"], c["store"], c["parent"]))
            raw = summary.get((st, proto, "raw", "warm"))
            peers = [(summary[k]["wall"], k[2]) for k in keys
                     if k[2] not in ("inboxd", "raw") and k[3] == "warm"
                     and summary[k] is not None]
            if ixd is None:
                continue
            line = "     inboxd %s/%s:" % (st, proto)
            if raw:
                ratio = raw["wall"] / ixd["wall"]
                line += " %.2f x raw throughput" % ratio
                if st in ("A", "B"):
                    goals.append((st, proto, ratio))
            if peers:
                best = min(peers)
                line += ", %.1f x the fastest peer (%s)" % (
                    best[0] / ixd["wall"], best[1])
            print(line)
            if raw and raw["busy"] > 0:
                budgets.append(cpu_budget(st, proto, raw, ixd))
        fk = (st, "-", "sqlite floor", "floor")
        if fk in groups:
            floors.append(st)
            fl = summary[fk]
            if fl is None:
                print("%-4s %-15s %-5s %9s" % (st, fk[2], "-", "failed"))
            else:
                print(("%-4s %-15s %-5s %9.3f %8.0f %8.1f %9s %7s %6s "
                       "%9s" % (st, fk[2], "-", fl["wall"],
                                fl["msgs"] / fl["wall"],
                                fl["bytes"] / fl["wall"] / 1e6, "-", "-",
                                "%d%s" % (fl["n"], "+%dF" % fl["failed"]
                                          if fl["failed"] else ""), "-")))
                for proto in ("imap", "pop3"):
                    raw = summary.get((st, proto, "raw", "warm"))
                    ixd = summary.get((st, proto, "inboxd", "warm"))
                    if not raw and not ixd:
                        continue
                    line = "     inboxd %s/%s: store floor %.3f s =" % (
                        st, proto, fl["wall"])
                    parts = []
                    if raw:
                        parts.append(" %.2f x the raw client's time" %
                                     (fl["wall"] / raw["wall"]))
                    if ixd:
                        parts.append(" %.2f x inboxd's" %
                                     (fl["wall"] / ixd["wall"]))
                    print(line + ",".join(parts))
        print()
    print("Goals (printed, not enforced):")
    for st, proto, ratio in goals:
        print("  inboxd >= 0.8 x raw on %s/%s: %.3f  %s" %
              (st, proto, ratio, "met" if ratio >= 0.8 else "MISSED"))
    for st in floors:
        fl = summary[(st, "-", "sqlite floor", "floor")]
        if st not in ("A", "B") or fl is None:
            continue
        line = "  %s: durable SQLite alone takes %.3f s" % (st, fl["wall"])
        what = " = %.2f x the raw client's time on %s/%s"
        for proto in ("imap", "pop3"):
            raw = summary.get((st, proto, "raw", "warm"))
            if raw:
                line += what % (fl["wall"] / raw["wall"], st, proto)
                what = ", %.2f x on %s/%s"
        print(line)
    if budgets:
        print("  CPU budget (the machine's busy CPU time, /proc/stat, "
              "%d CPUs):" % NCPU)
        for line in budgets:
            print(line)
    for proto in ("imap", "pop3"):
        c = summary.get(("C", proto, "inboxd", "warm"))
        if c:
            h = c["hwm"]["fetch"]
            print("  fetcher peak RSS < 8 MiB on C/%s: %s MiB  %s "
                  "(its own share: %s MiB)" %
                  (proto, mib(h), "met" if h < 8192 else "MISSED",
                   mib(c["own"])))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("timed")
    t.add_argument("out")
    for k in ("set", "client", "proto", "log"):
        t.add_argument("--" + k, required=True)
    t.add_argument("--total", type=int, required=True)
    t.add_argument("--bytes", type=int, required=True)
    t.add_argument("--timeout", type=float, default=900)
    t.add_argument("--count", help="shell command printing what arrived")
    t.add_argument("argv", nargs=argparse.REMAINDER)

    x = sub.add_parser("ixd")
    x.add_argument("out")
    for k in ("inboxd", "inboxctl", "conf", "socket", "db", "log",
              "account", "set", "proto"):
        x.add_argument("--" + k, required=True)
    x.add_argument("--mode", choices=("warm", "cold"), default="warm")
    x.add_argument("--total", type=int, required=True)
    x.add_argument("--bytes", type=int, required=True)
    x.add_argument("--timeout", type=float, default=900)

    s = sub.add_parser("scale")
    s.add_argument("out")
    for k in ("inboxd", "inboxctl", "conf", "socket", "db", "log",
              "accounts"):
        s.add_argument("--" + k, required=True)
    s.add_argument("--total", type=int, required=True)
    s.add_argument("--idle", type=float, default=60)
    s.add_argument("--timeout", type=float, default=600)
    s.add_argument("--nofile", type=int, default=0)
    s.add_argument("--dovecot-pid", type=int, default=0)

    r = sub.add_parser("report")
    r.add_argument("results")

    a = ap.parse_args()
    if a.cmd == "timed":
        if a.argv[:1] == ["--"]:
            a.argv = a.argv[1:]
        if not a.argv:
            ap.error("timed: no command")
        return cmd_timed(a)
    if a.cmd == "ixd":
        cmd_ixd(a)
    elif a.cmd == "scale":
        cmd_scale(a)
    else:
        cmd_report(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
