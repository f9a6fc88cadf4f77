#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Restart policies against the real procmgrd (direct backend): on-failure and always,
the capped doubling backoff, `failed` after max_restarts, STOP ends a policy (also while
it waits), STATUS's restarts and restart_policy, a policy surviving a daemon restart, and
a restart storm (10 processes crash-looping while a client reconnects with `after`) that
loses no event. TAP output."""

import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pmtest  # noqa: E402
from pmtest import Daemon, Tap, skip_all, wait_for  # noqa: E402

if not os.path.exists(pmtest.PROCMGRD):
    skip_all("procmgrd not built")

E = "org.procmgr.Error."
t = Tap()
started = []


def unwatch(c):
    """UNWATCH, reading past the stream's last lines to its reply."""
    c.send('{"cmd":"UNWATCH","id":"unwatch"}\n')
    for _ in range(100000):
        r = c.reply()
        if r.get("id") == "unwatch":
            return r
    return None


def events_until(c, pred, limit=500):
    got = []
    for _ in range(limit):
        e = c.reply()
        got.append(e)
        if pred(e):
            break
    return got


def kinds(evs):
    return [e.get("event") for e in evs]


d = Daemon(["--no-auth", "--backend=direct"])
run_dir = os.path.join(d.tmp, "run")
try:
    ctl = d.unix()
    r = ctl.call(cmd="START", argv=["true"], restart="sometimes", name="x")
    t.eq(r.get("error"), E + "InvalidArgument", "an unknown restart mode is InvalidArgument")
    r = ctl.call(cmd="START", argv=["true"], restart="always")
    t.eq(r.get("error"), E + "InvalidArgument", "a restart policy needs a name")

    # on-failure: restarted after a failure, with a growing delay, then failed.
    w = d.unix()
    w.call(cmd="WATCH", name="crash")
    r = ctl.call(cmd="START", argv=["sh", "-c", "exit 7"], name="crash", restart="on-failure",
                 restart_sec=1, restart_max_sec=2, max_restarts=3)
    t.ok(r.get("ok"), "START with restart on-failure", r)
    evs = events_until(w, lambda e: e.get("event") == "failed")
    t.eq(kinds(evs), ["started", "exited", "restarted", "exited", "restarted", "exited", "restarted", "exited",
                      "failed"], "exits, restarts, then failed after max_restarts")
    rs = [e for e in evs if e.get("event") == "restarted"]
    t.eq([e.get("restarts") for e in rs], [1, 2, 3], "restarted events count the restarts")
    t.ok(len({e["pid"] for e in rs}) == 3 and all(e.get("name") == "crash" for e in rs), "each restart: new pid, same name", rs)
    ex = [e for e in evs if e.get("event") == "exited"]
    gaps = [(rs[i]["ts"] - ex[i]["ts"]) / 1e6 for i in range(3)]
    t.ok(0.9 <= gaps[0] < 1.9 * pmtest.SCALE + 1 and 1.9 <= gaps[1] and 1.9 <= gaps[2] < 3.5 * pmtest.SCALE,
         "backoff: 1 s, then doubled, capped at restart_max_sec (2 s)", gaps)
    f = evs[-1]
    t.ok(f.get("exit") == {"code": 7} and f.get("restarts") == 3, "failed: the last exit and the restarts", f)
    r = ctl.call(cmd="STATUS", name="crash")
    t.eq(r.get("error"), E + "NoSuchProcess", "after failed, the name is gone")
    unwatch(w)

    # on-failure and a clean exit: no restart. always: restarted after exit 0.
    w.call(cmd="WATCH", name="clean")
    ctl.call(cmd="START", argv=["true"], name="clean", restart="on-failure", restart_sec=0)
    evs = events_until(w, lambda e: e.get("event") == "exited")
    r = w.call(cmd="PING", id="p")
    t.ok(r.get("id") == "p", "on-failure: a clean exit is not restarted", r)
    r = ctl.call(cmd="START", argv=["true"], name="clean")
    t.ok(r.get("ok"), "… and the policy is gone (the name is free)", r)
    unwatch(w)

    # always, STATUS, and STOP ending the policy.
    w.call(cmd="WATCH", name="always")
    r = ctl.call(cmd="START", argv=["sh", "-c", "sleep 0.2"], name="always", restart="always", restart_sec=0,
                 max_restarts=100)
    evs = events_until(w, lambda e: e.get("event") == "restarted")
    t.ok(evs[-1].get("event") == "restarted", "always: restarted after exit 0", evs)
    r = ctl.call(cmd="STATUS", name="always")
    t.ok(r.get("ok") and r.get("restart_policy") == "always" and r.get("restarts", 0) >= 1,
         "STATUS: restart_policy and restarts", r)
    r = ctl.call(cmd="START", argv=["true"], name="always")
    t.eq(r.get("error"), E + "InvalidArgument", "a policy's name stays taken")
    r = ctl.call(cmd="STOP", name="always")
    t.ok(r.get("ok") or r.get("error") == E + "NoSuchProcess", "STOP by name", r)
    evs = events_until(w, lambda e: e.get("event") == "stopped" or e.get("id") == "q", limit=50) if r.get("ok") else []
    w.send('{"cmd":"PING","id":"late"}\n')
    time.sleep(0.5)         # a restart would come within restart_sec (0) plus a start
    more = events_until(w, lambda e: e.get("id") == "late", limit=50)
    t.ok(not any(e.get("event") == "restarted" for e in more), "after STOP no restart follows", more)
    r = ctl.call(cmd="STATUS", name="always")
    t.eq(r.get("error"), E + "NoSuchProcess", "after STOP the policy is gone")
    unwatch(w)

    # procctl: start --restart, events NAME (one line per event), --json, Ctrl-C ends it with 0.
    import subprocess
    pc = [pmtest.PROCCTL, "-U", d.unix_path]
    first_seq = d.unix().call(cmd="WATCH").get("seq")
    p = subprocess.run(pc + ["start", "--name", "cli", "--restart", "on-failure", "--restart-sec", "0",
                             "--max-restarts", "1", "--", "sh", "-c", "exit 2"], capture_output=True, text=True,
                       timeout=30 * pmtest.SCALE)
    t.ok(p.returncode == 0, "procctl start --restart on-failure", p.stderr)
    ev = subprocess.Popen(pc + ["events", "--follow-from", str(first_seq), "cli"], stdout=subprocess.PIPE,
                          text=True)
    lines = []
    for _ in range(10):
        ln = ev.stdout.readline()
        if not ln:
            break
        lines.append(ln.split())
        if ln.split()[3] == "failed":
            break
    ev.send_signal(signal.SIGINT)
    rc = ev.wait(10 * pmtest.SCALE)
    t.eq([x[3] for x in lines], ["started", "exited", "restarted", "exited", "failed"],
         "procctl events NAME: one line per event, from --follow-from")
    t.ok(lines and lines[1][-1] == "code=2" and "restarts=1" in lines[2], "… with the exit and the restart count", lines)
    t.eq(rc, 0, "Ctrl-C ends procctl events with exit 0")
    js = subprocess.Popen(pc + ["--json", "events", "--follow-from", str(first_seq)], stdout=subprocess.PIPE, text=True)
    objs = [json.loads(js.stdout.readline()) for _ in range(3)]
    js.send_signal(signal.SIGINT)
    js.wait(10 * pmtest.SCALE)
    t.ok(objs[0].get("ok") is True and objs[1].get("event") == "started" and "ok" not in objs[1],
         "procctl --json events prints the reply and the event lines", objs)
    r = subprocess.run(pc + ["events", "--follow-from", "x"], capture_output=True, text=True, timeout=10)
    t.ok(r.returncode == 2 and "follow-from" in r.stderr, "a bad --follow-from is a usage error", r.stderr)

    # A restart storm: 10 crash loops while the watcher reconnects with `after`.
    first = d.unix().call(cmd="WATCH").get("seq")
    seen = []
    names = [f"storm{i}" for i in range(10)]
    for n in names:
        r = ctl.call(cmd="START", argv=["sh", "-c", "exit 1"], name=n, restart="on-failure", restart_sec=0,
                     max_restarts=1000)
        assert r.get("ok"), r
    last = first
    deadline = time.monotonic() + 30 * pmtest.SCALE
    rounds = 0
    while time.monotonic() < deadline and rounds < 8:
        c = d.unix()
        r = c.call(cmd="WATCH", after=last)
        if r.get("lost"):
            break
        for _ in range(50):
            e = c.reply()
            seen.append(e)
            last = e["seq"]
        c.close()
        rounds += 1
    t.ok(not r.get("lost") and rounds > 3, f"reconnected {rounds} times with after, nothing lost", r)
    # Whatever the moment (running, waiting for its restart, being restarted), STOP ends it.
    stops = [ctl.call(cmd="STOP", name=n, signal="KILL") for n in names]
    t.ok(all(r.get("ok") for r in stops), "STOP by name ends each crash loop, whatever its moment",
         [r for r in stops if not r.get("ok")])
    # Catch up: everything up to now, from the last seq seen.
    final = d.unix().call(cmd="WATCH").get("seq")
    c = d.unix()
    r = c.call(cmd="WATCH", after=last)
    while last < final:
        e = c.reply()
        seen.append(e)
        last = e["seq"]
    seqs = [e["seq"] for e in seen]
    t.eq(seqs, list(range(first + 1, final + 1)), f"the storm's {len(seqs)} events: seq contiguous, none lost or repeated")
    t.ok(sum(1 for e in seen if e.get("event") == "restarted") >= 50, "the storm restarted processes many times")
    c.close()

    # STOP by name of a crash loop at any moment of its cycle (running, just exited with the
    # exit report on its way, waiting, being restarted) ends it: 5 rounds of 10 loops.
    failed_stops = []
    sw = d.unix()
    sw_first = sw.call(cmd="WATCH").get("seq")
    for rnd in range(5):
        for n in names:
            r = ctl.call(cmd="START", argv=["sh", "-c", "exit 1"], name=n, restart="on-failure", restart_sec=0,
                         max_restarts=1000)
            deadline = time.monotonic() + 10 * pmtest.SCALE
            # The name is free once the last round's process is reported gone (bounded).
            while not r.get("ok") and "is running" in r.get("msg", "") and time.monotonic() < deadline:
                time.sleep(0.01)
                r = ctl.call(cmd="START", argv=["sh", "-c", "exit 1"], name=n, restart="on-failure",
                             restart_sec=0, max_restarts=1000)
            assert r.get("ok"), r
        failed_stops += [r for r in (ctl.call(cmd="STOP", name=n, signal="KILL") for n in names) if not r.get("ok")]
    t.ok(not failed_stops, "STOP by name ends a crash loop at any moment of its cycle (50 tries)", failed_stops[:3])
    t.ok(pmtest.wait_for(lambda: all(ctl.call(cmd="STATUS", name=n).get("error") == "org.procmgr.Error.NoSuchProcess"
                                     for n in names)),
         "... and nothing of the loops runs on (STATUS by name: NoSuchProcess)")
    # Every process of those loops was announced (started/restarted) before its end.
    sw_last = d.unix().call(cmd="WATCH").get("seq")
    announced, unannounced, evs = set(), [], []
    while sw_first < sw_last and (not evs or evs[-1]["seq"] < sw_last) and len(evs) < 100000:
        evs.append(sw.reply())
    for e in evs:
        if e.get("event") in ("started", "restarted"):
            announced.add(e["pid"])
        elif e.get("event") in ("exited", "stopped") and e.get("pid") not in announced:
            unannounced.append(e)
    t.ok(evs and not unannounced, f"each of the loops' {len(evs)} events: a process ends only after it was announced",
         unannounced[:3])
    sw.close()

    # STOP of a policy waiting for its restart is authorized as a STOP of its process: an
    # unprivileged local user may not end root's policy.
    r = ctl.call(cmd="START", argv=["sh", "-c", "exit 1"], name="waiter", restart="on-failure", restart_sec=60)
    assert r.get("ok"), r
    t.ok(pmtest.wait_for(lambda: ctl.call(cmd="STATUS", name="waiter").get("error") == E + "NoSuchProcess"),
         "a policy waits 60 s for its restart")
    if os.geteuid() == 0:
        r = pmtest.as_user(65534, d.unix_path, [{"cmd": "STOP", "name": "waiter"}])[0]
        t.eq(r.get("error"), E + "AccessDenied", "another local user's STOP of a waiting policy: AccessDenied")
    else:
        t.ok(True, "# SKIP needs root to act as another user")
    r = ctl.call(cmd="STOP", name="waiter")
    t.ok(r.get("ok") and r.get("stopped") is True and r.get("exit") == {"code": 1},
         "its owner's STOP ends it, with the last exit", r)

    # A policy survives a daemon restart (direct backend: its former child is waited for).
    r = ctl.call(cmd="START", argv=["sleep", "300"], name="survivor", restart="always", restart_sec=0)
    old = r.get("pid")
    started.append(old)
    ctl.close()
    w.close()
    d.stop()
    with open(os.path.join(run_dir, "restart-policies.json")) as fh:
        saved = json.load(fh)
    t.ok([p.get("name") for p in saved] == ["survivor"], "the policy is in the runtime directory", saved)
    d2 = Daemon(["--no-auth", "--backend=direct", "--runtime-directory", run_dir,
                 "--state-directory", os.path.join(d.tmp, "state")])
    try:
        w2 = d2.unix()
        w2.call(cmd="WATCH", name="survivor")
        os.kill(old, signal.SIGKILL)
        evs = events_until(w2, lambda e: e.get("event") == "restarted", limit=5)
        e = evs[-1]
        t.ok(e.get("event") == "restarted" and e.get("pid") != old and e.get("restarts") == 1,
             "after a daemon restart the policy restarts its process when it ends", evs)
        r = d2.unix().call(cmd="STATUS", name="survivor")
        t.ok(r.get("ok") and r.get("restart_policy") == "always", "… and STATUS shows it", r)
        r = d2.unix().call(cmd="STOP", name="survivor")
        t.ok(r.get("ok"), "STOP ends it", r)
    finally:
        d2.cleanup()
finally:
    for p in started:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    d.cleanup()
t.done()
