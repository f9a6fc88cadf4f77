#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Security regressions found in review, against the real procmgrd: what a
non-root Unix caller may read (LOGS: only its own process and that process's
own scope, never another unit through a pid it owns), and the token file's
permissions. Needs root (to be another user on the Unix socket). TAP output."""

import json
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pmtest import Daemon, Tap, as_user, skip_all  # noqa: E402

E = "org.procmgr.Error."
NOBODY = 65534

if not os.access(os.environ.get("PROCMGRD", ""), os.X_OK) and not os.path.exists(
        os.path.join(os.environ.get("top_builddir", "."), "src/procmgrd")):
    skip_all("procmgrd not built")
if os.geteuid() != 0:
    skip_all("needs root to call the daemon as another user")


def err(reply):
    return reply.get("error") if isinstance(reply, dict) else None


t = Tap()

# A process nobody owns, not started through procmgrd.
own = subprocess.Popen(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "sleep", "300"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
d = Daemon(["--backend=direct", "--no-auth"])
try:
    sock = d.unix_path
    replies = as_user(NOBODY, sock, [
        {"cmd": "LOGS", "pid": own.pid, "unit": "ssh.service", "lines": 5},
        {"cmd": "LOGS", "pid": own.pid, "unit": "procmgrd.service", "lines": 5},
        {"cmd": "LOGS", "unit": "ssh.service", "lines": 5},
        {"cmd": "LOGS", "pid": 1, "lines": 5},
        {"cmd": "LOGS", "pid": own.pid, "lines": 5},
    ])
    t.ok(len(replies) == 5 and "child_error" not in replies[0], "nobody talked to the Unix socket", replies)
    if len(replies) == 5:
        # Before the fix the unit was read with only the pid's ownership checked: any
        # unit's journal (sshd, other users' scopes) through a pid one owns.
        t.eq(err(replies[0]), E + "AccessDenied", "LOGS with an own pid and a foreign unit is denied")
        t.eq(err(replies[1]), E + "AccessDenied", "LOGS with an own pid and the daemon's unit is denied")
        t.eq(err(replies[2]), E + "AccessDenied", "LOGS of a unit alone is denied")
        t.eq(err(replies[3]), E + "AccessDenied", "LOGS of PID 1 is denied")
        t.ok(err(replies[4]) != E + "AccessDenied", "LOGS of an own process is allowed (lines, or no journal)",
             replies[4])
    else:
        for _ in range(5):
            t.ok(False, "LOGS check (no reply)")
    # Root may still ask for any unit.
    c = d.unix()
    r = c.call(cmd="LOGS", pid=own.pid, unit="ssh.service", lines=1)
    t.ok(err(r) != E + "AccessDenied", "root may read any unit's LOGS", r)
    c.close()
finally:
    d.cleanup()
    own.send_signal(signal.SIGKILL)
    own.wait(10)

# --- the token file: readable by others is refused (warned about with --allow-weak-token),
# never logged itself --------------------------------------------------------------------
with tempfile.TemporaryDirectory() as tmp:
    os.chmod(tmp, 0o755)
    tok = os.path.join(tmp, "token")
    with open(tok, "w") as f:
        f.write("sec-review-token-1\n")
    os.chmod(tok, 0o644)
    try:
        d = Daemon(["--backend=direct", "--token-file", tok])
        d.cleanup()
        t.ok(False, "a world-readable token file is refused at start")
    except RuntimeError as e:
        log = str(e)
        t.ok("readable by" in log and tok in log and "--allow-weak-token" in log,
             "a world-readable token file is refused at start, with a clear line", log)
        t.ok("sec-review-token-1" not in log, "the refusal does not show the token")
    os.chmod(tok, 0o640)
    try:
        d = Daemon(["--backend=direct", "--token-file", tok])
        d.cleanup()
        t.ok(False, "a group-readable token file is refused at start")
    except RuntimeError as e:
        t.ok("readable by its group" in str(e), "a group-readable token file is refused at start", str(e))
    os.chmod(tok, 0o644)
    d = Daemon(["--backend=direct", "--token-file", tok, "--allow-weak-token"])
    try:
        log = d.logtext()
        t.ok("readable by" in log and tok in log, "with --allow-weak-token it is warned about", log)
        t.ok("sec-review-token-1" not in log, "the warning does not show the token")
    finally:
        d.cleanup()
    os.chmod(tok, 0o600)
    d = Daemon(["--backend=direct", "--token-file", tok])
    try:
        t.ok("readable by" not in d.logtext(), "a 0600 token file is not warned about", d.logtext())
    finally:
        d.cleanup()

t.done()
