#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The client half of test-follow.sh, run inside the sandbox against the real
procmgrd and journald: LOGS follow (backlog, cursor, live lines within 250 ms of
journald's timestamp, end after the process is gone, after_cursor resume without
gap or duplicate, UNWATCH) and WATCH's oom flag for a scope the OOM killer ended.
Prints "PASS desc" / "FAIL desc: diag" lines for the shell to count."""

import errno
import json
import os
import socket
import sys
import tempfile
import time

SOCK = sys.argv[1]
SCALE = float(os.environ.get("PROCMGRD_TIMEOUT_SCALE", "1") or 1)
# Every loop below is bounded in count and by this overall deadline as well (a stream that
# keeps sending unrelated lines must not keep a loop alive).
DEADLINE = time.monotonic() + 240 * SCALE


def in_time():
    return time.monotonic() < DEADLINE


class C:
    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(20 * SCALE)
        self.s.connect(SOCK)
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError("closed")
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        return json.loads(ln)

    def call(self, **req):
        self.s.sendall((json.dumps(req) + "\n").encode())
        return self.line()


def check(cond, desc, diag=None):
    print(("PASS " if cond else "FAIL ") + desc + ("" if cond else f": {diag}"), flush=True)


# Ordering on the systemd backend: a process that ends at once (its exit may be reported
# before its scope's start is done) is announced started, then exited, in seq order.
# STARTs pipelined, so that exit reports of some arrive while others are still starting.
ow = C()
ow.call(cmd="WATCH")
oc = C()
n_quick = 30
oc.s.sendall("".join(json.dumps({"cmd": "START", "argv": ["true"], "id": i}) + "\n" for i in range(n_quick)).encode())
quick = set()
for _ in range(n_quick):
    r = oc.line()
    if r.get("ok"):
        quick.add(r["pid"])
check(len(quick) == n_quick, "%d pipelined STARTs of 'true' in scopes succeed" % n_quick, len(quick))
seen = {}
for _ in range(20 * n_quick):
    if not in_time() or all((p, "exited") in seen for p in quick):
        break
    e = ow.line()
    if e.get("pid") in quick and e.get("event") in ("started", "exited"):
        seen[(e["pid"], e["event"])] = e["seq"]
bad = [(p, seen.get((p, "started")), seen.get((p, "exited"))) for p in quick
       if not seen.get((p, "started"), 1 << 62) < seen.get((p, "exited"), -1)]
check(not bad, "systemd backend: every quick process is started, then exited, in seq order", bad[:5])
ow.s.close()
oc.s.close()


ctl = C()
# A process that writes a line, waits for us, then writes more and exits.
# A FIFO of this run's own (the sandbox shares /tmp with the host and other runs).
fifo_dir = tempfile.mkdtemp(prefix="follow-client.", dir="/tmp")
os.chmod(fifo_dir, 0o755)
fifo = os.path.join(fifo_dir, "fifo")
os.mkfifo(fifo, 0o666)


def fifo_open_writer():
    """The FIFO's write end, opened once its reader has opened it (bounded; an open for
    writing without a reader would block forever). It stays open, so the reader's next
    read waits for the next line: a writer reopened per line races the reader's EOF."""
    deadline = time.monotonic() + 10 * SCALE
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as e:
            if e.errno != errno.ENXIO or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


r = ctl.call(cmd="START", name="follower", argv=["sh", "-c", f"echo early-1; echo early-2; exec 3< {fifo}; "
                                                 "read x <&3; echo live-1; echo live-2; read x <&3; echo last-line"])
check(r.get("ok"), "START the writer", r)
pid = r.get("pid")
fifo_w = fifo_open_writer()

# Wait until the early lines are in the journal (plain LOGS), bounded.
deadline = time.monotonic() + 10 * SCALE
while time.monotonic() < deadline and in_time():
    r = ctl.call(cmd="LOGS", name="follower")
    if [x["message"] for x in r.get("lines", [])][-2:] == ["early-1", "early-2"]:
        break
    time.sleep(0.05)

f = C()
r = f.call(cmd="LOGS", name="follower", follow=True, id=1)
msgs = [x["message"] for x in r.get("lines", [])]
check(r.get("ok") and "early-1" in msgs and "early-2" in msgs and isinstance(r.get("cursor"), str),
      "LOGS follow: the backlog and a cursor", r)
cursor_after_early = r.get("cursor")
check(len(r.get("lines", [])) <= 10, "follow's backlog is 10 lines by default", len(r.get("lines", [])))

os.write(fifo_w, b"go\n")
got, lat = [], []
for _ in range(50):
    if not in_time():
        break
    e = f.line()
    if e.get("event") == "log":
        got.append(e)
        lat.append(time.time() * 1e6 - e["ts"])
    if [x["message"] for x in got if x["message"].startswith("live")] == ["live-1", "live-2"]:
        break
check([x["message"] for x in got] == ["live-1", "live-2"], "new lines arrive as log events, in order",
      [x.get("message") for x in got])
check(all("ok" not in x and x.get("pid") == pid and isinstance(x.get("cursor"), str) and isinstance(x.get("priority"), int)
          for x in got), "log events: pid, cursor, priority, no 'ok'", got)
# journald itself tells readers of new records through inotify, and coalesces those
# notifications for up to 250 ms (journalctl -f waits as long; bench/run compares the two):
# 250 ms of ours on top of that.
check(lat and max(lat) <= 500000 * SCALE, "each within 250 ms of journald's notification (500 ms of its timestamp)", lat)

# A second follower resumes after the early lines: no gap, no duplicate.
g = C()
r = g.call(cmd="LOGS", name="follower", follow=True, after_cursor=cursor_after_early)
check(r.get("ok") and r.get("lines") == [], "after_cursor: no backlog in the reply", r)
if not r.get("ok"):
    # Why is the writer gone? Its own journal lines and procmgrd's records of it.
    print("writer status:", ctl.call(cmd="STATUS", pid=pid), flush=True)
    print("writer log:", [(x.get("priority"), x.get("message")) for x in
                          ctl.call(cmd="LOGS", pid=pid, lines=30).get("lines", [])], flush=True)
res = []
for _ in range(50):
    if not in_time():
        break
    e = g.line()
    if e.get("event") == "log" and not e["message"].startswith("procmgr"):
        res.append(e["message"])
    if res[-1:] == ["live-2"]:
        break
check(res == ["live-1", "live-2"], "after_cursor: every line after the cursor, once", res)
r = g.call(cmd="UNWATCH", id="u")
for _ in range(1000):
    if r.get("id") == "u" or not in_time():
        break
    r = g.line()
check(r.get("ok") is True, "UNWATCH ends a follow")
r = g.call(cmd="PING", id="p")
check(r.get("id") == "p", "nothing of the follow after UNWATCH's reply", r)

os.write(fifo_w, b"go\n")
rest = []
for _ in range(100):
    if not in_time():
        break
    e = f.line()
    rest.append(e)
    if e.get("event") == "end":
        break
msgs = [e.get("message") for e in rest if e.get("event") == "log"]
check(rest and rest[-1].get("event") == "end" and "last-line" in msgs,
      "the last line, then 'end' once the process is gone", rest)
r = f.call(cmd="PING", id="after-end")
check(r.get("id") == "after-end", "the connection stays after 'end'", r)
r = f.call(cmd="LOGS", name="follower", follow=True)
check(r.get("error") == "org.procmgr.Error.NoSuchProcess", "follow by the name of a gone process: NoSuchProcess", r)
r = f.call(cmd="LOGS", pid=1, follow=True, after_cursor="not a cursor")
check(r.get("error") == "org.procmgr.Error.InvalidArgument", "a bad after_cursor is InvalidArgument", r)

# OOM: a scope with a small memory_max that allocates without bound.
w = C()
w.call(cmd="WATCH", name="hog")
# Bounded by itself: at most 2 GiB and 60 s, so that a missing OOM kill fails the checks
# below (it exits 3) instead of hanging the run.
r = ctl.call(cmd="START", name="hog", memory_max=32 * 1024 * 1024,
             argv=["python3", "-c", "import time\na = []\nend = time.monotonic() + 60\n"
                   "while len(a) < 2048 and time.monotonic() < end: a.append(b'x' * (1 << 20))\nraise SystemExit(3)"])
check(r.get("ok"), "START a memory hog with memory_max 32M", r)
ev = None
for _ in range(10):
    if not in_time():
        break
    e = w.line()
    if e.get("event") in ("exited", "stopped"):
        ev = e
        break
check(ev and ev.get("exit") == {"signal": "KILL"}, "the OOM killer's SIGKILL is the exit", ev)
# On cgroup v2 memory.events says it; on v1 the OOM notification armed before the process
# ran (cgroup.event_control) does, whether or not systemd removed the scope's cgroup first.
check(ev and ev.get("oom") is True, "exited with oom:true after the OOM kill", ev)
# And no false oom: a scope with a memory limit that is killed without an OOM (the
# removal of its cgroup signals the v1 notification too).
w2 = C()
w2.call(cmd="WATCH", name="no-hog")
r = ctl.call(cmd="START", name="no-hog", memory_max=32 * 1024 * 1024, argv=["sh", "-c", "kill -KILL $$"])
check(r.get("ok"), "START a process with memory_max 32M that kills itself", r)
ev = None
for _ in range(10):
    if not in_time():
        break
    e = w2.line()
    if e.get("event") in ("exited", "stopped"):
        ev = e
        break
check(ev and ev.get("exit") == {"signal": "KILL"} and "oom" not in ev, "a SIGKILL that is no OOM kill: no oom flag", ev)
os.close(fifo_w)
os.unlink(fifo)
os.rmdir(fifo_dir)
