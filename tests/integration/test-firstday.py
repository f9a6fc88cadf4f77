#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What a first-day user and a greedy peer meet (issue 15, items 6, 8, 12, 14), against the
real procmgrd (direct backend) over real sockets: limits a backend cannot apply are
refused, never dropped (6); --max-managed and --max-managed-per-user answer LimitExceeded,
pipelined STARTs included (8); LOGS of an unknown pid is NoSuchProcess and a daemon with
no journal says so, both exit 1 in procctl (12); START's reply and procctl's line say whom
the process runs as (14). TAP output."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pmtest  # noqa: E402
from pmtest import Daemon, Tap, process_gone, skip_all, wait_for  # noqa: E402

E = "org.procmgr.Error."

if not os.path.exists(pmtest.PROCMGRD):
    skip_all("procmgrd not built")

t = Tap()
started = []       # pids this test started through the daemon; stopped at the end
daemons = []


def err(reply):
    return reply.get("error") if isinstance(reply, dict) else None


def procctl(d, *args, user=None):
    argv = [pmtest.PROCCTL, "-U", d.unix_path, "--timeout", str(10 * pmtest.SCALE)] + list(args)
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + argv
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30 * pmtest.SCALE,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def start(c, argv, **members):
    r = c.call(cmd="START", argv=argv, **members)
    if r.get("ok"):
        started.append(r["pid"])
    return r


def managed_count(c):
    r = c.call(cmd="LIST", managed=True)
    return r.get("count") if r.get("ok") else None


def unused_pid():
    with open("/proc/sys/kernel/pid_max") as f:
        pid = int(f.read()) - 1
    while os.path.exists(f"/proc/{pid}"):
        pid -= 1
    return pid


def stop_all(d):
    c = d.unix()
    for pid in started:
        if not process_gone(pid):
            c.call(cmd="STOP", pid=pid, timeout_ms=1000)
    c.close()


try:
    d = Daemon(["--backend", "direct", "--no-auth", "--max-managed", "4", "--max-managed-per-user", "2"])
    daemons.append(d)
    root = os.geteuid() == 0

    # --- item 6: limits on the direct backend --------------------------------------------
    u = d.unix()
    before = managed_count(u)
    for member, value in (("memory_max", 64 << 20), ("cpu_quota", 50), ("tasks_max", 16)):
        r = start(u, ["sleep", "30"], **{member: value})
        t.ok(err(r) == E + "InvalidArgument" and "systemd backend" in r.get("msg", "")
             and member in r.get("msg", ""),
             f"START with {member} on the direct backend: InvalidArgument 'limits need the systemd backend'",
             r)
    t.eq(managed_count(u), before, "nothing was started by the refused STARTs")
    rc, out, errs = procctl(d, "start", "--memory-max", "64M", "--", "sleep", "30")
    t.ok(rc == 1 and "limits need the systemd backend" in errs,
         "procctl start --memory-max on the direct backend fails with exit 1 and says why",
         f"rc={rc}\nstdout: {out}\nstderr: {errs}")

    # --- item 14: whom it runs as --------------------------------------------------------
    r = start(u, ["sleep", "300"], name="asroot")
    want = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    t.ok(r.get("ok") and r.get("user") == want, f"START over the Unix socket replies user '{want}'", r)
    tc = d.tcp()
    r = start(tc, ["sleep", "300"], name="overtcp")
    t.ok(r.get("ok") and r.get("user") == ("nobody" if root else want),
         "START over TCP replies the user it runs as (--default-user, nobody)", r)
    desc = u.call(cmd="DESCRIBE")
    cmd = [x for x in desc.get("commands", []) if x.get("name") == "START"]
    t.ok(cmd and any(x.get("name") == "user" for x in cmd[0].get("returns", [])),
         "DESCRIBE lists 'user' among START's returns", cmd)

    # --- item 8: --max-managed-per-user (TCP clients are one requester) ------------------
    # One TCP start is running (overtcp); the bound is 2.
    r = start(tc, ["sleep", "300"], name="tcp2")
    t.ok(r.get("ok"), "the second TCP START is within --max-managed-per-user=2", r)
    r = start(tc, ["sleep", "300"], name="tcp3")
    t.ok(err(r) == E + "LimitExceeded" and "--max-managed-per-user=2" in r.get("msg", ""),
         "the third TCP START is LimitExceeded, naming --max-managed-per-user", r)
    # Root on the Unix socket is not capped per user, only daemon-wide (4): 3 run now.
    r = start(u, ["sleep", "300"], name="root2")
    t.ok(r.get("ok"), "root on the Unix socket is not bound by the per-user cap", r)
    r = start(u, ["sleep", "300"], name="root3")
    t.ok(err(r) == E + "LimitExceeded" and "--max-managed=4" in r.get("msg", ""),
         "the fifth START is LimitExceeded, naming --max-managed", r)
    rc, out, errs = procctl(d, "start", "--", "sleep", "300")
    t.ok(rc == 1 and "LimitExceeded" in errs and "--max-managed" in errs,
         "procctl start over the limit exits 1 with the daemon's message",
         f"rc={rc}\nstdout: {out}\nstderr: {errs}")
    # A process that is gone frees its slot.
    victim = started[-1] if r.get("ok") else [p for p in started if not process_gone(p)][-1]
    r = u.call(cmd="STOP", pid=victim, timeout_ms=2000)
    t.ok(r.get("ok") and wait_for(lambda: managed_count(u) == 3), "STOP frees a slot", r)
    r = start(u, ["sleep", "300"], name="again")
    t.ok(r.get("ok"), "after a STOP, START is accepted again", r)
    tc.close()
    u.close()
    stop_all(d)

    # Pipelined STARTs cannot overshoot: the slot is taken when the process is forked.
    d2 = Daemon(["--backend", "direct", "--no-auth", "--max-managed", "100", "--max-managed-per-user", "3"])
    daemons.append(d2)
    tc = d2.tcp()
    tc.send("".join(json.dumps({"cmd": "START", "argv": ["sleep", "300"], "id": i}) + "\n" for i in range(8)))
    replies = [tc.reply() for _ in range(8)]
    for r in replies:
        if r.get("ok"):
            started.append(r["pid"])
    t.eq([bool(r.get("ok")) for r in replies], [True] * 3 + [False] * 5,
         "8 pipelined TCP STARTs with --max-managed-per-user=3: exactly the first 3 run")
    t.ok(all(err(r) == E + "LimitExceeded" for r in replies[3:]), "the others are LimitExceeded",
         replies[3:])
    tc.close()
    stop_all(d2)

    # A local non-root requester has a count of its own (by uid), apart from TCP and root.
    # polkit is not reachable here, so --admin-group lets it START at all.
    if root and not os.path.exists("/run/dbus/system_bus_socket"):
        import grp
        group = grp.getgrgid(65534).gr_name
        d3 = Daemon(["--backend", "direct", "--max-managed-per-user", "2", "--admin-group", group], tcp=False)
        daemons.append(d3)
        res = []
        for i in range(3):
            rc, out, errs = procctl(d3, "--json", "start", "--", "sleep", "300", user=65534)
            try:
                r = json.loads(out)
            except ValueError:
                r = {"rc": rc, "stderr": errs}
            if r.get("ok"):
                started.append(r["pid"])
            res.append(r)
        t.ok(res[0].get("ok") and res[1].get("ok") and res[0].get("user") == "nobody",
             "a local user (nobody, in --admin-group) starts two processes, as nobody", res[:2])
        t.ok(err(res[2]) == E + "LimitExceeded" and "started by you" in res[2].get("msg", ""),
             "its third START is LimitExceeded (--max-managed-per-user counts by uid)", res[2])
        u = d3.unix()
        r = start(u, ["sleep", "300"])
        t.ok(r.get("ok"), "root is not held to nobody's count", r)
        u.close()
        stop_all(d3)

    # Bad values are refused at start, with the --help hint (exit 2).
    for bad in (["--max-managed", "0"], ["--max-managed-per-user", "x"]):
        p = subprocess.run([pmtest.PROCMGRD] + bad, capture_output=True, text=True, timeout=10 * pmtest.SCALE)
        t.ok(p.returncode == 2 and "max-managed" in p.stderr, f"procmgrd {' '.join(bad)} is refused",
             p.stderr)

    # --- item 12: LOGS of an unknown pid; no journal ---------------------------------------
    nopid = unused_pid()
    u = d2.unix()
    r = u.call(cmd="LOGS", pid=nopid)
    t.ok(err(r) == E + "NoSuchProcess", f"LOGS of pid {nopid} that does not exist: NoSuchProcess", r)
    rc, out, errs = procctl(d2, "logs", str(nopid))
    t.ok(rc == 1 and "NoSuchProcess" in errs and "No entries" not in out,
         "procctl logs of an unknown pid exits 1 with NoSuchProcess", f"rc={rc}\nstdout: {out}\nstderr: {errs}")
    if root:
        rc, out, errs = procctl(d2, "logs", str(nopid), user=65534)
        t.ok(rc == 1 and "NoSuchProcess" in errs,
             "an unprivileged caller gets NoSuchProcess too (not AccessDenied)",
             f"rc={rc}\nstdout: {out}\nstderr: {errs}")
    if os.path.exists("/run/systemd/journal/stdout"):
        t.diag("journald runs here: the 'no journal' case is covered by the sandbox only")
    else:
        r = start(u, ["sleep", "300"], name="quiet")
        pid = r.get("pid")
        r = u.call(cmd="LOGS", pid=pid)
        t.ok(err(r) == E + "Internal" and "no journal" in r.get("msg", ""),
             "LOGS of a managed process without journald: Internal 'no journal to read'", r)
        rc, out, errs = procctl(d2, "logs", str(pid))
        t.ok(rc == 1 and "no journal to read" in errs and "No entries" not in out,
             "procctl logs without journald exits 1 and says there is no journal",
             f"rc={rc}\nstdout: {out}\nstderr: {errs}")
    u.close()
    stop_all(d2)
finally:
    for d in daemons:
        try:
            stop_all(d)
        except Exception:
            pass
        d.cleanup()
    for pid in started:
        if not process_gone(pid):
            t.diag(f"process {pid} still runs after its daemon stopped")

t.done()
