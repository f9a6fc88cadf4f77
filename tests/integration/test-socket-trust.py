#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Socket trust (issue 15, item 9), real procmgrd and procctl over real Unix sockets:
procctl running as root refuses a socket that others could replace (a directory on the
way writable by group or others and not sticky, a directory, symlink or socket owned by a
user who is neither root nor the daemon's), with a clear message and exit 2, while other
users are not held to it; `procmgrd --unix PATH` never replaces what is not its own stale
socket (a file, a symlink, another user's socket, a socket somebody listens on) and at exit
removes only the socket it bound. The default path (/run/procmgrd, made by systemd) is
covered in the sandbox by test-deployed.sh. Needs root. TAP output."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pmtest  # noqa: E402
from pmtest import Daemon, Tap, skip_all  # noqa: E402

if os.geteuid() != 0:
    skip_all("needs root: the check applies to procctl running as root, and chown")
if not os.path.exists(pmtest.PROCMGRD):
    skip_all("procmgrd not built")
if not shutil.which("setpriv"):
    skip_all("setpriv not installed")

NOBODY = 65534
t = Tap()
base = tempfile.mkdtemp(prefix="pmtest-trust-")
os.chmod(base, 0o755)
daemons = []


def procctl(path, *args, user=None):
    argv = [pmtest.PROCCTL, "-U", path, "--timeout", str(10 * pmtest.SCALE)] + list(args or ["ping"])
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] + argv
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30 * pmtest.SCALE, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr


def daemon_in(d):
    """A procmgrd listening at d/procmgrd.sock (the daemon makes the file, root-owned)."""
    dm = Daemon(["--backend", "direct"], tmpdir=d, tcp=False)
    daemons.append(dm)
    return dm


def procmgrd_fails(path):
    p = subprocess.run([pmtest.PROCMGRD, "--unix", path, "--backend", "direct"], capture_output=True, text=True,
                       timeout=20 * pmtest.SCALE, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr


try:
    # --- procctl as root -------------------------------------------------------------------
    d = os.path.join(base, "open")
    os.mkdir(d)
    dm = daemon_in(d)
    sock = dm.unix_path
    rc, out = procctl(sock)
    t.ok(rc == 0 and "pong" in out, "root's procctl talks to a socket in a root-owned 0755 directory", out)

    os.chmod(d, 0o777)
    rc, out = procctl(sock)
    t.ok(rc == 2 and "refusing to talk to" in out and f"directory {d} is writable by everyone" in out,
         "root's procctl refuses a socket in a world-writable directory, saying which, exit 2", f"rc={rc}\n{out}")
    os.chmod(d, 0o775)
    rc, out = procctl(sock)
    t.ok(rc == 2 and "writable by its group" in out, "... and in a group-writable one", f"rc={rc}\n{out}")
    rc, out = procctl(sock, user=NOBODY)
    t.ok(rc == 0 and "pong" in out, "another user's procctl is not held to it (root only, like StrictModes)",
         f"rc={rc}\n{out}")
    os.chmod(d, 0o1777)
    rc, out = procctl(sock)
    t.ok(rc == 0, "a sticky world-writable directory (as /tmp) is accepted: the socket is root's", out)

    os.chmod(d, 0o755)
    os.chown(d, NOBODY, NOBODY)
    rc, out = procctl(sock)
    t.ok(rc == 2 and f"{d} is owned by uid {NOBODY}" in out,
         "root's procctl refuses a socket in a directory owned by another user", f"rc={rc}\n{out}")
    os.chown(d, 0, 0)

    # A symlink on the way, owned by another user (in a sticky directory, where that user
    # could have made it): refused even though its target is fine.
    sticky = os.path.join(base, "sticky")
    os.mkdir(sticky)
    os.chmod(sticky, 0o1777)
    link = os.path.join(sticky, "link")
    os.symlink(d, link)
    os.lchown(link, NOBODY, NOBODY)
    rc, out = procctl(os.path.join(link, "procmgrd.sock"))
    t.ok(rc == 2 and f"{link} is owned by uid {NOBODY}" in out,
         "root's procctl refuses a path through another user's symlink", f"rc={rc}\n{out}")
    os.lchown(link, 0, 0)
    rc, out = procctl(os.path.join(link, "procmgrd.sock"))
    t.ok(rc == 0, "... and accepts it through root's own symlink", out)

    # --- procmgrd --unix never replaces what is not its own stale socket ------------------
    d2 = os.path.join(base, "listen")
    os.mkdir(d2)
    target = os.path.join(d2, "file")
    with open(target, "w") as f:
        f.write("precious\n")

    rc, out = procmgrd_fails(target)
    t.ok(rc == 1 and "is not a socket: refusing to replace it" in out,
         "procmgrd --unix on a regular file: exit 1, clear message", f"rc={rc}\n{out}")
    t.ok(open(target).read() == "precious\n", "... and the file is untouched")

    lpath = os.path.join(d2, "link.sock")
    os.symlink(target, lpath)
    rc, out = procmgrd_fails(lpath)
    t.ok(rc == 1 and "is not a socket" in out and os.path.islink(lpath) and open(target).read() == "precious\n",
         "procmgrd --unix on a symlink: refused, link and target untouched", f"rc={rc}\n{out}")

    foreign = os.path.join(d2, "foreign.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(foreign)
    s.close()                                   # stale, but not ours
    os.chown(foreign, NOBODY, NOBODY)
    ino = os.lstat(foreign).st_ino
    rc, out = procmgrd_fails(foreign)
    t.ok(rc == 1 and f"socket of uid {NOBODY}, not ours" in out and os.lstat(foreign).st_ino == ino,
         "procmgrd --unix on another user's socket: refused, socket untouched", f"rc={rc}\n{out}")

    live = os.path.join(d2, "live.sock")
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(live)
    ls.listen(4)
    rc, out = procmgrd_fails(live)
    t.ok(rc == 1 and "Another process listens on" in out and os.path.exists(live),
         "procmgrd --unix on a socket somebody listens on: refused", f"rc={rc}\n{out}")
    ls.close()

    # Our own stale socket (the listener above is gone) is replaced.
    stale = live
    p = subprocess.Popen([pmtest.PROCMGRD, "--unix", stale, "--backend", "direct", "--exit-idle", "30"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)
    ok = pmtest.wait_for(lambda: procctl(stale)[0] == 0 or p.poll() is not None, timeout=10)
    t.ok(ok and p.poll() is None, "procmgrd --unix replaces its own user's stale socket")

    # At exit it removes only the socket it bound: here somebody replaced it meanwhile.
    os.unlink(stale)
    other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    other.bind(stale)
    ino = os.lstat(stale).st_ino
    p.terminate()
    p.wait(20 * pmtest.SCALE)
    t.ok(os.path.exists(stale) and os.lstat(stale).st_ino == ino,
         "at exit procmgrd leaves a socket that is not the one it bound")
    other.close()
finally:
    for dm in daemons:
        dm.stop()
        dm.notify.close()
        dm.log.close()
    shutil.rmtree(base, ignore_errors=True)

t.done()
