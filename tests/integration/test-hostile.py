#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hostile peers (issue 15, items 1-3), against the real procmgrd over real sockets:
non-reading peers that pipeline requests (output queue bounds, a daemon-wide budget, and
a fresh PING still answered at once), the connection limit's shares (the Unix socket's
own, per source address) and the short idle timeout before authentication, and token
guessing (throttled per source, bounded held replies, logged once, weak tokens refused).
TAP output."""

import json
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pmtest  # noqa: E402
from pmtest import Daemon, Tap, skip_all, wait_for  # noqa: E402

E = "org.procmgr.Error."
TOKEN = "hostile-test-token-0123456789"

if not os.access(os.environ.get("PROCMGRD", ""), os.X_OK) and not os.path.exists(
        os.path.join(os.environ.get("top_builddir", "."), "src/procmgrd")):
    skip_all("procmgrd not built")

t = Tap()
tmp = tempfile.mkdtemp(prefix="pmtest-hostile-")
os.chmod(tmp, 0o755)
tokfile = os.path.join(tmp, "token")
with open(tokfile, "w") as f:
    f.write(TOKEN + "\n")
os.chmod(tokfile, 0o600)


def err(reply):
    return reply.get("error") if isinstance(reply, dict) else None


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def fresh_ping_ms(connect):
    t0 = time.monotonic()
    try:
        c = connect(timeout=5.0)
        try:
            r = c.call(cmd="PING")
        finally:
            c.close()
    except (OSError, EOFError, ValueError):
        return 1e9
    return (time.monotonic() - t0) * 1000.0 if r.get("ok") else 1e9


def p99(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * 0.99))] if xs else 1e9


# --- 1: non-reading peers pipelining DESCRIBE ------------------------------------------
# Each peer writes DESCRIBE lines as fast as the socket takes them and never reads. The
# daemon must stop reading from each of them at a small mark (they are not authenticated),
# keep all queues within a daemon-wide budget, and answer a fresh PING meanwhile.
FLOOD_CONNS = int(os.environ.get("HOSTILE_FLOOD_CONNS", "60"))
FLOOD_SECS = float(os.environ.get("HOSTILE_FLOOD_SECS", "4"))
# The 50 ms holds on a quiet machine (bench/run measures it there); `make -j check`
# next to other work on two cores adds scheduling delay of its own, so a busy machine gets
# 250 ms. Before the fix a fresh PING waited seconds either way.
P99_MS = 50 if os.getloadavg()[0] <= (os.cpu_count() or 1) else 250


def instrumented():
    """Under valgrind or a sanitizer, memory and time are the tool's: ASan keeps freed
    memory in quarantine (hundreds of MiB), valgrind runs the daemon 20-50 times slower."""
    if pmtest.WRAPPER:
        return True
    try:
        with open(pmtest.PROCMGRD, "rb") as f:
            data = f.read()
        return b"__asan_init" in data or b"__ubsan_handle" in data
    except OSError:
        return False


INSTRUMENTED = instrumented()
if INSTRUMENTED:
    P99_MS = 1000
# Under valgrind every reply costs tens of times more (make check-valgrind sets
# PROCMGRD_TIMEOUT_SCALE): the bounds stretch with it. A held-up loop still shows, as
# seconds per PING (before the fix a fresh PING waited ~50 s in the flood).
P99_MS *= pmtest.SCALE
UNIX_MS = 50 * pmtest.SCALE


def flood(port, n, secs, stop):
    line = b'{"cmd":"DESCRIBE"}\n' * 2000
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.setblocking(False)
        socks.append(s)
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline and not stop.is_set():
        progressed = False
        for s in socks:
            try:
                if s.send(line) > 0:
                    progressed = True
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                pass
        if not progressed:
            time.sleep(0.02)
    return socks


d = Daemon(["--backend=direct", "--token-file", tokfile, "--max-connections-per-source", "0"])
try:
    c = d.tcp()
    t.ok(c.call(cmd="DESCRIBE").get("ok"), "DESCRIBE answered before the flood")
    c.close()
    idle_ms = [fresh_ping_ms(d.tcp) for _ in range(20)]
    base = status_kib(d.pid, "VmRSS")
    stop = threading.Event()
    holder = {}
    th = threading.Thread(target=lambda: holder.setdefault("socks", flood(d.port, FLOOD_CONNS, FLOOD_SECS, stop)))
    th.start()
    time.sleep(0.5)
    tcp_ms, unix_ms = [], []
    t_end = time.monotonic() + FLOOD_SECS - 0.7
    while time.monotonic() < t_end:
        tcp_ms.append(fresh_ping_ms(d.tcp))
        unix_ms.append(fresh_ping_ms(d.unix))
        time.sleep(0.03)
    th.join()
    peak = status_kib(d.pid, "VmHWM")
    grown = (peak - base) / 1024.0
    t.diag(f"{FLOOD_CONNS} non-reading peers for {FLOOD_SECS} s: RSS {base} KiB, peak {peak} KiB "
           f"(+{grown:.1f} MiB); fresh PING p99 idle {p99(idle_ms):.1f} ms, flood TCP {p99(tcp_ms):.1f} ms, "
           f"Unix {p99(unix_ms):.1f} ms ({len(tcp_ms)} samples)")
    if INSTRUMENTED:
        t.ok(True, "# SKIP RSS under valgrind or a sanitizer is the tool's")
    else:
        t.ok(grown <= 64, f"{FLOOD_CONNS} non-reading peers cost <= 64 MiB", f"+{grown:.1f} MiB")
    t.ok(p99(tcp_ms) <= P99_MS, f"a fresh TCP PING keeps p99 <= {P99_MS} ms during the flood",
         f"{p99(tcp_ms):.1f} ms")
    t.ok(p99(unix_ms) <= P99_MS, f"a fresh Unix PING keeps p99 <= {P99_MS} ms during the flood",
         f"{p99(unix_ms):.1f} ms")
    # The flooders are still connected and still not reading; once they go away, the
    # daemon gives the memory back and serves as before.
    for s in holder.get("socks", []):
        s.close()
    t.ok(wait_for(lambda: fresh_ping_ms(d.tcp) < 1000, timeout=10), "served normally after the flood")
finally:
    d.cleanup()

# --- 1b: an authenticated reader after a big pipeline still gets every reply, in order --
d = Daemon(["--backend=direct", "--token-file", tokfile])
try:
    c = d.tcp()
    n = 3000
    c.send(json.dumps({"cmd": "AUTH", "token": TOKEN}) + "\n" +
           "".join(json.dumps({"cmd": "DESCRIBE", "id": i}) + "\n" for i in range(n)))
    t.ok(c.reply().get("ok"), "AUTH in a pipeline")
    ids = [c.reply().get("id") for _ in range(n)]
    t.eq(ids, list(range(n)), f"{n} pipelined DESCRIBE replies, all of them, in order")
    u = d.tcp()
    u.send("".join(json.dumps({"cmd": "DESCRIBE", "id": i}) + "\n" for i in range(n)))
    ids = [u.reply().get("id") for _ in range(n)]
    t.eq(ids, list(range(n)), f"and {n} for an unauthenticated reader (small mark, same replies)")
    c.close()
    u.close()
finally:
    d.cleanup()

# --- 2: the connection limit's shares --------------------------------------------------
d = Daemon(["--backend=direct", "--token-file", tokfile, "--max-connections", "4",
            "--max-connections-per-source", "0"])
try:
    cs = [d.tcp() for _ in range(4)]
    for x in cs:
        t.ok(x.call(cmd="PING").get("ok"), "TCP connection within the limit served")
    extra = d.tcp()
    t.eq(err(extra.reply()), E + "LimitExceeded", "TCP connection over the limit gets LimitExceeded")
    extra.close()
    us = [d.unix() for _ in range(4)]
    for u in us:
        t.ok(u.call(cmd="PING").get("ok"), "with TCP's share full, the Unix socket still serves its own")
    extra = d.unix()
    t.eq(err(extra.reply()), E + "LimitExceeded", "the Unix socket's share has its limit too")
    extra.close()
    for x in cs + us:
        x.close()
finally:
    d.cleanup()

d = Daemon(["--backend=direct", "--token-file", tokfile, "--max-connections-per-source", "3"])
try:
    cs = [d.tcp() for _ in range(3)]
    for x in cs:
        t.ok(x.call(cmd="PING").get("ok"), "connection within the per-source cap served")
    extra = d.tcp()
    r = extra.reply()
    t.ok(err(r) == E + "LimitExceeded" and "address" in r.get("msg", ""),
         "a fourth connection from the same address gets LimitExceeded", r)
    extra.close()
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.2", 0))
        s.connect(("127.0.0.1", d.port))
        other = pmtest.Client(s)
        t.ok(other.call(cmd="PING").get("ok"), "another address is not affected")
        other.close()
    except OSError as e:
        t.ok(True, f"# SKIP no second loopback address ({e})")
    cs[0].close()
    t.ok(wait_for(lambda: (lambda c: (c.call(cmd="PING").get("ok"), c.close())[0])(d.tcp()), timeout=5),
         "a slot of the source frees up when one of its connections closes")
    for x in cs[1:]:
        x.close()
finally:
    d.cleanup()

d = Daemon(["--backend=direct", "--token-file", tokfile, "--auth-idle-timeout", "1", "--idle-timeout", "300"])
try:
    anon = d.tcp()
    authed = d.tcp()
    local = d.unix()
    t.ok(anon.call(cmd="PING").get("ok") and local.call(cmd="PING").get("ok"), "short idle timeout daemon serves")
    t.ok(authed.call(cmd="AUTH", token=TOKEN).get("ok"), "AUTH")
    t0 = time.monotonic()
    t.ok(anon.at_eof(timeout=5), "a TCP peer that has not authenticated is closed after --auth-idle-timeout")
    t.ok(time.monotonic() - t0 <= 3.5, "after about the configured second", time.monotonic() - t0)
    time.sleep(1.2)
    t.ok(authed.call(cmd="PING").get("ok"), "an authenticated TCP peer keeps --idle-timeout")
    t.ok(local.call(cmd="PING").get("ok"), "a Unix peer keeps --idle-timeout")
    for x in (anon, authed, local):
        x.close()
finally:
    d.cleanup()

# --- 3: token guessing -----------------------------------------------------------------
GUESS_SECS = 3.0
d = Daemon(["--backend=direct", "--token-file", tokfile])
try:
    denied = []
    refused = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + GUESS_SECS

    def guesser(k):
        c = None
        i = 0
        while time.monotonic() < stop_at:
            try:
                if c is None:
                    c = d.tcp(timeout=10.0)
                r = c.call(cmd="AUTH", token=f"guess-{k}-{i}")
                i += 1
                with lock:
                    if err(r) == E + "AccessDenied":
                        denied.append(time.monotonic())
                    else:
                        refused[0] += 1
            except (OSError, EOFError, ValueError):
                if c:
                    c.close()
                c = None
        if c:
            c.close()

    ths = [threading.Thread(target=guesser, args=(k,)) for k in range(8)]
    t0 = t0_guess = time.monotonic()
    for th in ths:
        th.start()
    # Root on the Unix socket is not held up by the throttle.
    lat = [fresh_ping_ms(d.unix) for _ in range(10)]
    for th in ths:
        th.join()
    rate = max(0, len(denied) - 5) / (time.monotonic() - t0)
    t.diag(f"8 guessing threads from one address for {GUESS_SECS} s: {len(denied)} tokens checked and denied "
           f"({rate:.1f}/s after the first 5), {refused[0]} other replies")
    t.ok(rate <= 20, "<= 20 guesses/s from one address after the first few", f"{rate:.1f}/s")
    t.ok(p99(lat) <= UNIX_MS, "the Unix socket answers at once meanwhile", f"{p99(lat):.1f} ms")
    gaps = [b - a for a, b in zip(denied[5:], denied[6:])]
    t.ok(len(gaps) > 0 and max(gaps) >= 0.1, "the delay before AccessDenied grows", gaps[:10])

    # Held attempts are bounded: from a fresh source (127.0.0.3) that used up its free
    # failures, a crowd of parallel attempts gets some held and the rest refused at once.
    def from_addr(addr):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((addr, 0))
        s.connect(("127.0.0.1", d.port))
        return pmtest.Client(s, timeout=15.0)

    try:
        c = from_addr("127.0.0.3")
        for i in range(5):
            t.eq(err(c.call(cmd="AUTH", token=f"free-{i}")), E + "AccessDenied", "a free failure")
        c.close()
        crowd = [from_addr("127.0.0.3") for _ in range(14)]
        for i, x in enumerate(crowd):
            x.send(json.dumps({"cmd": "AUTH", "token": f"crowd-{i}"}) + "\n")
        t0 = time.monotonic()
        got = {}
        for x in crowd:
            x.sock.settimeout(0.5)
            try:
                e = err(x.reply())
                got[e] = got.get(e, 0) + 1
            except (OSError, EOFError, ValueError):
                pass
        t.ok(got.get(E + "LimitExceeded", 0) >= 14 - 8, "attempts over the bound of held ones are refused at once",
             got)
        # 6th failure: denied after 50 ms, then 100, 200, 400 ms: at most 4 in half a second.
        t.ok(got.get(E + "AccessDenied", 0) <= 4, "the held ones are checked one at a time, slower and slower", got)
        for x in crowd:
            x.close()
    except OSError as e:
        t.ok(True, f"# SKIP no third loopback address ({e})")

    log = d.logtext()
    lines = [x for x in log.splitlines() if "throttling token checks from this source" in x and "127.0.0.1:" in x]
    most = 1 + int((time.monotonic() - t0_guess) / 10)
    t.ok(1 <= len(lines) <= most, f"the throttle is logged once per interval ({most} at most so far)", lines)
    t.ok(TOKEN not in log, "the token never appears in the log")

    # The right token still works from a throttled source, once its turn comes (a fresh
    # source, 127.0.0.4: 127.0.0.1 may still have the guessers' last attempts in line).
    try:
        took = []
        for i in range(6):
            c = from_addr("127.0.0.4")
            t0 = time.monotonic()
            t.eq(err(c.call(cmd="AUTH", token=f"typo-{i}")), E + "AccessDenied", "a wrong token")
            took.append(time.monotonic() - t0)
            c.close()
        t.ok(max(took[:5]) < 0.05 and took[5] >= 0.05, "the first five are answered at once, the sixth after 50 ms",
             took)
        c7 = from_addr("127.0.0.4")
        t0 = time.monotonic()
        c7.send(json.dumps({"cmd": "AUTH", "token": "typo-6"}) + "\n")
        time.sleep(0.02)
        c = from_addr("127.0.0.4")
        # Pipelined behind the seventh: the AUTH waits for its turn, and the INFO behind it
        # must wait for the AUTH, not run unauthenticated meanwhile.
        c.send(json.dumps({"cmd": "AUTH", "token": TOKEN}) + "\n" + json.dumps({"cmd": "INFO"}) + "\n")
        t.eq(err(c7.reply()), E + "AccessDenied", "the seventh wrong token")
        t.ok(time.monotonic() - t0 >= 0.1, "is answered after 100 ms", time.monotonic() - t0)
        c7.close()
        t.ok(c.reply().get("ok"), "the right token is accepted from a throttled source, in its turn")
        r = c.reply()
        t.ok(r.get("ok"), "and authenticates the request pipelined behind it", r)
        c.close()
    except OSError as e:
        t.ok(True, f"# SKIP no fourth loopback address ({e})")
finally:
    d.cleanup()

# Weak tokens are refused at start, unless --allow-weak-token.
short = os.path.join(tmp, "short")
with open(short, "w") as f:
    f.write("short-token\n")
os.chmod(short, 0o600)
try:
    d = Daemon(["--backend=direct", "--token-file", short])
    d.cleanup()
    t.ok(False, "a token shorter than 16 bytes is refused at start")
except RuntimeError as e:
    t.ok("shorter than 16 bytes" in str(e) and "--allow-weak-token" in str(e),
         "a token shorter than 16 bytes is refused at start, with a clear line", str(e))
    t.ok("short-token" not in str(e).replace(short, ""), "the refusal does not show the token")
d = Daemon(["--backend=direct", "--token-file", short, "--allow-weak-token"])
try:
    t.ok("shorter than 16 bytes" in d.logtext(), "with --allow-weak-token a short token is warned about")
    c = d.tcp()
    t.ok(c.call(cmd="AUTH", token="short-token").get("ok"), "and works")
    c.close()
finally:
    d.cleanup()

os.unlink(short)
os.unlink(tokfile)
os.rmdir(tmp)
t.done()
