#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""WATCH / UNWATCH against the real procmgrd (direct backend): event lines and their
members, replies in order between stream lines, one stream per connection, UNWATCH,
`after` resume and `lost`, seq persisted across a daemon restart, filters, visibility
as STATUS, overflow of a watcher that does not read (while other connections are still
served), and the memory of a thousand idle watchers. TAP output."""

import json
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pmtest  # noqa: E402
from pmtest import Daemon, Tap, skip_all, wait_for  # noqa: E402

if not os.path.exists(pmtest.PROCMGRD):
    skip_all("procmgrd not built")

E = "org.procmgr.Error."
t = Tap()
is_root = os.geteuid() == 0


def instrumented():
    """Under valgrind or a sanitizer, memory is the tool's (ASan's quarantine and redzones)."""
    if pmtest.WRAPPER:
        return True
    try:
        with open(pmtest.PROCMGRD, "rb") as f:
            data = f.read()
        return b"__asan_init" in data or b"__ubsan_handle" in data
    except OSError:
        return False


valgrind = instrumented()
state = None


def next_line(c):
    return json.loads(c.readline())


def unwatch(c):
    """UNWATCH, reading past the stream's last lines to its reply."""
    c.send('{"cmd":"UNWATCH","id":"unwatch"}\n')
    for _ in range(100000):
        r = c.reply()
        if r.get("id") == "unwatch":
            return r
    return None


def events_until(c, pred, limit=200):
    """Lines from c until pred(line) holds (bounded in count; reads time out by SCALE)."""
    got = []
    for _ in range(limit):
        ln = next_line(c)
        got.append(ln)
        if pred(ln):
            return got
    return got


def start(c, argv, **kw):
    r = c.call(cmd="START", argv=argv, **kw)
    assert r.get("ok"), r
    return r


def newest_seq(daemon):
    """WATCH's reply on a connection of its own: the newest seq."""
    c = daemon.unix()
    try:
        return c.call(cmd="WATCH").get("seq")
    finally:
        c.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


d = Daemon(["--no-auth", "--backend=direct", "--event-history", "1024"])
state = os.path.join(d.tmp, "state")
try:
    ctl = d.unix()
    r = ctl.call(cmd="DESCRIBE")
    names = [x["name"] for x in r.get("commands", [])]
    t.ok("WATCH" in names and "UNWATCH" in names and r.get("version") == 2, "DESCRIBE lists WATCH and UNWATCH, version 2")
    watch_args = {a["name"] for x in r["commands"] if x["name"] == "WATCH" for a in x["args"]}
    t.ok({"after", "pid", "name", "unit"} <= watch_args, "WATCH's arguments are described", watch_args)

    w = d.unix()
    r = w.call(cmd="WATCH", id=5)
    t.ok(r.get("ok") is True and r.get("id") == 5 and r.get("seq") == 0, "WATCH replies with the newest seq (none yet)", r)
    r = w.call(cmd="WATCH")
    t.eq(r.get("error"), E + "InvalidArgument", "a second stream on one connection is InvalidArgument")

    p1 = start(ctl, ["sh", "-c", "exit 3"], name="three")["pid"]
    ev = events_until(w, lambda e: e.get("event") == "exited")
    t.ok([e["event"] for e in ev] == ["started", "exited"], "started, then exited", ev)
    t.ok(all("ok" not in e for e in ev), "stream lines carry no 'ok'")
    ex = ev[-1]
    t.ok(ex.get("pid") == p1 and ex.get("name") == "three" and ex.get("unit") is None
         and ex.get("exit") == {"code": 3}, "exited: pid, name, unit, exit code", ex)
    t.ok(ev[0]["seq"] == 1 and ex["seq"] == 2 and isinstance(ex.get("ts"), int)
         and abs(ex["ts"] / 1e6 - time.time()) < 60, "seq grows by one, ts in µs", ev)

    start(ctl, ["sh", "-c", "kill -KILL $$"], name="killed")
    ev = events_until(w, lambda e: e.get("event") == "exited")
    t.eq(ev[-1].get("exit"), {"signal": "KILL"}, "exited by a signal: its name")
    t.ok("oom" not in ev[-1], "no oom flag on the direct backend", ev[-1])

    p = start(ctl, ["sleep", "60"], name="sleeper")["pid"]
    ev = events_until(w, lambda e: e.get("event") == "started")
    r = ctl.call(cmd="STOP", pid=p)
    ev = events_until(w, lambda e: e.get("event") == "stopped")
    t.ok(ev[-1].get("pid") == p and ev[-1].get("exit") == {"signal": "TERM"}, "STOP gives 'stopped' with STOP's exit", ev)

    # Replies in order between stream lines.
    w.send('{"cmd":"PING","id":"a"}\n')
    start(ctl, ["true"], name="between")
    w.send('{"cmd":"PING","id":"b"}\n')
    lines = events_until(w, lambda e: e.get("id") == "b")
    ids = [x.get("id") for x in lines if "ok" in x]
    t.eq(ids, ["a", "b"], "replies keep their order on a streaming connection")

    # UNWATCH: its reply, then nothing more of the stream.
    w.send('{"cmd":"UNWATCH","id":"u"}\n')
    lines = events_until(w, lambda e: e.get("id") == "u")
    t.ok(lines[-1].get("ok") is True, "UNWATCH replies ok", lines)
    start(ctl, ["true"], name="after-unwatch")
    r = w.call(cmd="PING", id="p")
    t.eq(r.get("id"), "p", "no stream line after UNWATCH's reply")
    last = newest_seq(d)

    # after: the retained events, in order, before new ones.
    r = w.call(cmd="WATCH", after=2)
    # (The exit of 'after-unwatch' may have come in between.)
    t.ok(r.get("ok") and "lost" not in r and r.get("seq", 0) >= last, "WATCH again after UNWATCH; after within the history", r)
    last = r.get("seq", last)
    ev = [next_line(w) for _ in range(last - 2)]
    t.eq([e["seq"] for e in ev], list(range(3, last + 1)), "after=2 replays seq 3… in order")
    unwatch(w)

    # Filters.
    r = w.call(cmd="WATCH", name="only-me")
    start(ctl, ["true"], name="not-me")
    pm = start(ctl, ["true"], name="only-me")["pid"]
    ev = events_until(w, lambda e: e.get("event") == "exited")
    t.ok(all(e.get("name") == "only-me" for e in ev) and ev[-1]["pid"] == pm, "name filter", ev)
    unwatch(w)
    ps = start(ctl, ["sleep", "60"], name="bypid")["pid"]
    w.call(cmd="WATCH", pid=ps)
    start(ctl, ["true"], name="other")
    ctl.call(cmd="STOP", pid=ps)
    ev = events_until(w, lambda e: e.get("event") == "stopped")
    t.ok(len(ev) == 1 and ev[0]["pid"] == ps, "pid filter", ev)
    unwatch(w)
    r = w.call(cmd="WATCH", after="x")
    t.eq(r.get("error"), E + "InvalidArgument", "after must be an int")
    r = w.call(cmd="WATCH", after=-1)
    t.eq(r.get("error"), E + "InvalidArgument", "after must not be negative")

    # Started before exited, for processes that end at once: STARTs pipelined, so that
    # the helper's exit reports of some arrive while others are still being started.
    n = 60
    w.call(cmd="WATCH")
    ctl.send("".join('{"cmd":"START","argv":["true"],"id":%d}\n' % i for i in range(n)))
    pids = set()
    for _ in range(n):
        r = ctl.reply()
        if r.get("ok"):
            pids.add(r["pid"])
    t.eq(len(pids), n, "%d pipelined STARTs of 'true' succeed" % n)
    seen = {}
    deadline = time.monotonic() + 30 * pmtest.SCALE
    for _ in range(10 * n):
        if sum(1 for p in pids if (p, "exited") in seen) == n or time.monotonic() > deadline:
            break
        e = next_line(w)
        if e.get("pid") in pids and e.get("event") in ("started", "exited"):
            seen[(e["pid"], e["event"])] = e["seq"]
    bad = [p for p in pids if not (seen.get((p, "started"), 1 << 62) < seen.get((p, "exited"), -1))]
    t.ok(not bad, "every quick process: started, then exited, in seq order", [(p, seen.get((p, "started")), seen.get((p, "exited"))) for p in bad][:5])
    unwatch(w)

    # Visibility as STATUS: an unprivileged Unix caller sees only its own processes.
    if is_root:
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(rfd)
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                c = pmtest.Client.unix(d.unix_path)
                r = c.call(cmd="WATCH")
                os.write(wfd, b"ready\n")
                ev = events_until(c, lambda e: e.get("name") == "mine" and e.get("event") == "exited")
                os.write(wfd, (json.dumps([e.get("name") for e in ev]) + "\n").encode())
            finally:
                os._exit(0)
        os.close(wfd)
        rf = os.fdopen(rfd)
        rf.readline()
        start(ctl, ["true"], name="roots")
        start(ctl, ["true"], name="mine", user="nobody")
        seen = json.loads(rf.readline() or "null")
        os.waitpid(pid, 0)
        t.eq(seen, ["mine", "mine"], "an unprivileged watcher sees only its own processes' events")
    else:
        t.ok(True, "# SKIP visibility needs root")

    # Names: STOP/STATUS/LOGS by name; a live managed name is unique.
    pn = start(ctl, ["sleep", "60"], name="named")["pid"]
    r = ctl.call(cmd="START", argv=["sleep", "60"], name="named")
    t.eq(r.get("error"), E + "InvalidArgument", "START with a live managed name is InvalidArgument")
    r = ctl.call(cmd="STATUS", name="named")
    t.ok(r.get("ok") and r["process"]["pid"] == pn, "STATUS by name", r)
    r = ctl.call(cmd="STATUS", name="nobody-has-this")
    t.eq(r.get("error"), E + "NoSuchProcess", "STATUS of an unknown name is NoSuchProcess")
    r = ctl.call(cmd="STATUS", name="named", pid=pn)
    t.eq(r.get("error"), E + "InvalidArgument", "pid and name together are InvalidArgument")
    r = ctl.call(cmd="STATUS")
    t.ok(r.get("error") == E + "InvalidArgument" and "pid" in r.get("msg", ""), "STATUS without pid or name", r)
    r = ctl.call(cmd="LOGS", name="nobody-has-this")
    t.eq(r.get("error"), E + "NoSuchProcess", "LOGS of an unknown name is NoSuchProcess")
    w.call(cmd="WATCH", name="named")
    r = ctl.call(cmd="STOP", name="named")
    t.ok(r.get("ok") and r.get("pid") == pn, "STOP by name", r)
    ev = next_line(w)
    t.ok(ev.get("event") == "stopped" and ev.get("pid") == pn, "WATCH by name sees it stopped", ev)
    unwatch(w)
    pn2 = start(ctl, ["true"], name="named")["pid"]
    t.ok(pn2 != pn, "the name is free again once its process is gone")
    d1 = start(ctl, ["sleep", "60"])["pid"]
    d2 = start(ctl, ["sleep", "60"])["pid"]
    r = ctl.call(cmd="STOP", name="sleep")
    t.ok(r.get("error") == E + "InvalidArgument" and "pid" in r.get("msg", ""),
         "a derived name shared by two processes is ambiguous", r)
    for p in (d1, d2):
        ctl.call(cmd="STOP", pid=p, signal="KILL")
    # The name is taken when START is sent to the spawn helper, not when its answer comes:
    # of pipelined STARTs with one name, on two connections, exactly one runs.
    c2 = d.unix()
    line = json.dumps({"cmd": "START", "argv": ["sleep", "60"], "name": "twin"}) + "\n"
    ctl.send(line * 3)
    c2.send(line * 3)
    rs = [ctl.reply() for _ in range(3)] + [c2.reply() for _ in range(3)]
    oks = [x for x in rs if x.get("ok")]
    t.ok(len(oks) == 1 and all(x.get("error") == E + "InvalidArgument" for x in rs if not x.get("ok")),
         "six pipelined STARTs of one name on two connections: exactly one runs", rs)
    for x in oks:
        ctl.call(cmd="STOP", pid=x["pid"], signal="KILL")
    c2.close()
    # STOP by name pipelined right behind its START (in the same turn, before the helper
    # answered): stopped, or a NoSuchProcess that says why, never a bare "none".
    ctl.send(json.dumps({"cmd": "START", "argv": ["sleep", "60"], "name": "early"}) + "\n" +
             json.dumps({"cmd": "STOP", "name": "early"}) + "\n")
    rs, rt = ctl.reply(), ctl.reply()
    t.ok(rs.get("ok") and (rt.get("ok") or (rt.get("error") == E + "NoSuchProcess" and
                                             "has not been answered" in rt.get("msg", ""))),
         "STOP by name pipelined behind its START: stopped, or told the START is on its way", (rs, rt))
    if rs.get("ok") and not rt.get("ok"):
        ctl.call(cmd="STOP", pid=rs["pid"], signal="KILL")

    # A watcher that does not read: overflow, then its stream ends; others are served.
    slow = d.unix()
    slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.send('{"cmd":"WATCH"}\n')
    before = newest_seq(d)
    pinger = d.unix()
    pings_ok = True
    batch = 50
    n = 0
    deadline = time.monotonic() + 120 * pmtest.SCALE
    while n < 6000 and time.monotonic() < deadline:
        ctl.send("".join(json.dumps({"cmd": "START", "argv": ["true"], "name": "n" * 55 + "%05d" % (n + i)}) + "\n"
                         for i in range(batch)))
        for _ in range(batch):
            ctl.reply()
        n += batch
        pings_ok = pings_ok and pinger.call(cmd="PING").get("ok") is True
        if n >= 1000:
            # Enough for the history (1024) plus the buffers: has it overflowed?
            seq_now = newest_seq(d)
            # The history (1024) plus what the kernel and the 64 KiB queue hold (~1000
            # lines of this size), with a margin.
            if seq_now - before > 4 * 1024:
                break
    t.ok(pings_ok, "other connections are answered while a watcher does not read")
    seen = []
    slow.sock.settimeout(10 * pmtest.SCALE)
    for _ in range(100000):
        try:
            ln = slow.readline()
        except (EOFError, OSError):
            break
        o = json.loads(ln)
        seen.append(o)
        if o.get("event") == "overflow":
            break
    t.ok(seen and seen[-1].get("event") == "overflow" and isinstance(seen[-1].get("seq"), int),
         "a watcher that does not read gets 'overflow'", seen[-1:] if seen else None)
    seqs = [o["seq"] for o in seen if "event" in o and o["event"] != "overflow"]
    t.ok(seqs == list(range(seqs[0], seqs[0] + len(seqs))) if seqs else False,
         "what it got before the overflow is contiguous")
    r = slow.call(cmd="WATCH")
    t.ok(r.get("ok") is True, "after an overflow the connection may WATCH again", r)
    slow.close()
    last = newest_seq(d)
    r = w.call(cmd="WATCH", after=1)
    t.ok(r.get("lost") is True, "after older than the history: lost", r)
    first = next_line(w)
    t.eq(first.get("seq"), r.get("seq") - 1024 + 1, "… and the oldest retained event comes first")
    unwatch(w)

    # A thousand idle watchers, once the START flood above has settled (its last exits).
    def settled():
        a = newest_seq(d)
        time.sleep(0.3)
        return newest_seq(d) == a
    wait_for(settled, timeout=60)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard >= 2100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (2100, hard))
        before_kib = rss_kib(d.pid)
        many = []
        for i in range(1000):
            # One at a time (the reply read before the next connect): the accept backlog
            # is not what is measured here.
            c = d.unix()
            assert c.call(cmd="WATCH").get("ok")
            many.append(c)
        grown = rss_kib(d.pid) - before_kib
        if valgrind:
            t.ok(True, "# SKIP memory under valgrind or a sanitizer is the tool's")
        else:
            t.ok(grown <= 16 * 1024, f"1000 idle watchers cost {grown} KiB (≤ 16 MiB)")
        pe = start(ctl, ["true"], name="fanout")["pid"]
        # (Late events of the START flood above may come first: bounded, but generous.)
        got = sum(1 for c in many[::100] if any(next_line(c).get("pid") == pe for _ in range(10000)))
        t.eq(got, 10, "every watcher gets the next event")
        for c in many:
            c.close()
    else:
        t.ok(True, "# SKIP cannot raise RLIMIT_NOFILE")

    # seq never goes back: a restarted daemon numbers above everything handed out.
    last = newest_seq(d)
    ctl.close()
    w.close()
    pinger.close()
    d.stop()
    with open(os.path.join(state, "event-seq")) as f:
        reserved = int(f.read().strip())
    t.ok(reserved >= last, "the seq file covers every seq handed out", (reserved, last))
    d2 = Daemon(["--no-auth", "--backend=direct", "--state-directory", state])
    try:
        c = d2.unix()
        r = c.call(cmd="WATCH", after=last)
        t.ok(r.get("ok") and r.get("seq") >= last, "after a restart the newest seq is not older", r)
        c2 = d2.unix()
        start(c2, ["true"], name="reborn")
        e = next_line(c)
        t.ok(e.get("seq", 0) > last, "after a restart new events number above the old ones", (e, last))
        r2 = d2.unix().call(cmd="WATCH", after=last - 1)
        t.ok(r2.get("lost") is True, "events of the earlier daemon are lost, and said so", r2)
    finally:
        d2.cleanup()
finally:
    d.cleanup()
t.done()
