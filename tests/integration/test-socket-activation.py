#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""procmgrd started by the real systemd-socket-activate with a TCP and a Unix
listening socket passed in (sd_listen_fds): both serve the protocol, the
daemon is exec'd on the first connection, and SIGTERM ends it with status 0.
A passed socket that is not a listener is refused with a clear error."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pmtest  # noqa: E402
from pmtest import Client, Tap, free_port, settled_fds, skip_all, wait_for  # noqa: E402

ACTIVATE = shutil.which("systemd-socket-activate") or "/lib/systemd/systemd-socket-activate"
if not os.access(ACTIVATE, os.X_OK):
    skip_all("systemd-socket-activate not installed")

t = Tap()
tmp = tempfile.mkdtemp(prefix="pmtest-sa-")
path = os.path.join(tmp, "sock")
proc = None
for attempt in range(5):
    port = free_port()
    log = open(os.path.join(tmp, "log"), "w+")
    proc = subprocess.Popen([ACTIVATE, "-l", f"127.0.0.1:{port}", "-l", path, "--fdname=tcp:unix",
                             pmtest.PROCMGRD, "--no-auth", "--backend=direct"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    # systemd-socket-activate prints "Listening on ..." once its sockets are bound.
    if wait_for(lambda: "Listening on" in open(log.name).read() and os.path.exists(path)
                or proc.poll() is not None, timeout=10) and proc.poll() is None:
        break
    proc.wait(5)
try:
    t.ok(proc.poll() is None, "systemd-socket-activate holds the sockets", open(log.name).read())
    c = Client.tcp("127.0.0.1", port)
    r = c.call(cmd="PING", id="sa")
    t.ok(r.get("ok") and r.get("id") == "sa", "first TCP connection activates procmgrd and is served", r)
    t.ok("procmgrd" in open(f"/proc/{proc.pid}/comm").read(), "the activator exec'd into procmgrd (same pid)")
    r = c.call(cmd="INFO")
    t.ok(r.get("ok") and r.get("backend") == "direct", "INFO over the passed TCP socket", r)
    u = Client.unix(path)
    r = u.call(cmd="LIST", limit=1)
    t.ok(r.get("ok") and r.get("count") == 1, "the passed Unix socket serves too", r)
    r = u.call(cmd="START", argv=["sleep", "300"]) if os.geteuid() == 0 else c.call(cmd="START", argv=["sleep", "300"])
    t.ok(r.get("ok"), "START through a socket-activated daemon", r)
    if r.get("pid"):
        fds = settled_fds(r["pid"])
        t.eq(fds, [0, 1, 2], "the passed listening sockets are not inherited by started processes")
        with open(f"/proc/{r['pid']}/environ", "rb") as f:
            env = f.read()
        t.ok(b"LISTEN_FDS" not in env and b"LISTEN_PID" not in env, "nor the LISTEN_* variables")
        t.ok(c.call(cmd="STOP", pid=r["pid"]).get("ok"), "STOP it")
    c.close()
    u.close()
    proc.send_signal(signal.SIGTERM)
    t.eq(proc.wait(20), 0, "SIGTERM: exit status 0")
    t.ok(os.path.exists(path), "a passed Unix socket file belongs to the activator: left in place")
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait(5)

# A passed socket must be a listening stream socket.
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
os.set_inheritable(s.fileno(), True)
env = dict(os.environ, LISTEN_FDS="1")
p = subprocess.Popen(["/bin/sh", "-c", f'exec 3<&{s.fileno()}; LISTEN_PID=$$ exec "$0" "$@"', pmtest.PROCMGRD],
                     env=env, stderr=subprocess.PIPE, text=True, pass_fds=[s.fileno()])
_, errout = p.communicate(timeout=20)
t.ok(p.returncode != 0 and "listening stream socket" in errout, "a datagram socket is refused clearly", errout)
s.close()
shutil.rmtree(tmp, ignore_errors=True)
t.done()
