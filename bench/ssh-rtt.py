#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/ssh-rtt.py PROCMGRD PROCCTL OUTDIR ROUNDS N: the cost of `procctl bridge`
behind ssh. Starts its own sshd (loopback, free port, config and keys in OUTDIR; the
machine's ssh configuration is not used) and a procmgrd on a Unix socket in OUTDIR,
opens one ssh session running `procctl bridge -U SOCK` and one running `cat`, and
times N one-line round trips on each, in ROUNDS interleaved rounds: PING through
bridge + daemon against the same line echoed by cat over the same kind of session.
Prints key=value lines (bridge_us, cat_us, ratio: medians) or error=REASON. Every
process it starts is stopped by pid; every wait is bounded."""

import os
import select
import shutil
import socket
import statistics
import subprocess
import sys
import time

procmgrd, procctl, out = (os.path.abspath(x) for x in sys.argv[1:4])
rounds, n = int(sys.argv[4]), int(sys.argv[5])
SSHD = shutil.which("sshd", path="/usr/sbin:/usr/bin:/sbin:/bin")
SSH, KEYGEN = shutil.which("ssh"), shutil.which("ssh-keygen")
started = []


def fail(why):
    print(f"error={why}")
    sys.exit(0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_stderr(p, needle, secs):
    deadline, buf = time.monotonic() + secs, b""
    while time.monotonic() < deadline:
        r, _, _ = select.select([p.stderr], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        d = os.read(p.stderr.fileno(), 4096)
        if not d:
            break
        buf += d
        if needle in buf:
            return True
    return False


def session(remote):
    p = subprocess.Popen([SSH, "-F", f"{d}/ssh_config", "-xT", "-p", str(port), "root@127.0.0.1", "--"] + remote,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
    started.append(p)
    return p


def rtt(p, line, count):
    """Microseconds per round trip: write one line, read one line, count times."""
    f = p.stdout
    t0 = time.perf_counter()
    for _ in range(count):
        p.stdin.write(line)
        got = f.readline()
        if not got:
            fail("session closed")
    return (time.perf_counter() - t0) * 1e6 / count


if os.geteuid() != 0:
    fail("not root (sshd privilege separation)")
if not (SSHD and SSH and KEYGEN):
    fail("no OpenSSH (apt-get install openssh-server)")
try:
    d = os.path.join(out, "ssh")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    for k in ("host_key", "user_key"):
        if os.path.exists(f"{d}/{k}"):
            os.unlink(f"{d}/{k}")
            os.unlink(f"{d}/{k}.pub")
        subprocess.run([KEYGEN, "-q", "-t", "ed25519", "-N", "", "-f", f"{d}/{k}"], check=True)
    shutil.copy(f"{d}/user_key.pub", f"{d}/authorized_keys")
    port = free_port()
    with open(f"{d}/sshd_config", "w") as f:
        f.write(f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {d}/host_key\nAuthorizedKeysFile {d}/authorized_keys\n"
                "PidFile none\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nPermitRootLogin prohibit-password\n")
    with open(f"{d}/host_key.pub") as f:
        hk = " ".join(f.read().split()[:2])
    with open(f"{d}/known_hosts", "w") as f:
        f.write(f"[127.0.0.1]:{port} {hk}\n")
    with open(f"{d}/ssh_config", "w") as f:
        f.write(f"Host *\n IdentityFile {d}/user_key\n IdentitiesOnly yes\n UserKnownHostsFile {d}/known_hosts\n"
                " GlobalKnownHostsFile /dev/null\n StrictHostKeyChecking yes\n BatchMode yes\n")
    sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", f"{d}/sshd_config"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    started.append(sshd)
    if not wait_stderr(sshd, b"Server listening on", 20):
        fail("sshd did not start")
    sock = f"{d}/procmgrd.sock"
    daemon = subprocess.Popen([procmgrd, "--unix", sock, "--backend", "direct"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started.append(daemon)
    deadline = time.monotonic() + 20
    while not os.path.exists(sock) and time.monotonic() < deadline:
        time.sleep(0.01)
    if not os.path.exists(sock):
        fail("procmgrd did not start")

    bridge = session([procctl, "bridge", "-U", sock])
    cat = session(["cat"])
    ping = b'{"cmd":"PING"}\n'
    rtt(bridge, ping, 20)   # warm-up: the session is up, caches are warm
    rtt(cat, ping, 20)
    a, b, ratios = [], [], []
    for _ in range(rounds):
        x = rtt(bridge, ping, n)
        y = rtt(cat, ping, n)
        a.append(x)
        b.append(y)
        ratios.append(x / y)
    print(f"bridge_us={statistics.median(a):.0f}")
    print(f"cat_us={statistics.median(b):.0f}")
    print(f"ratio={statistics.median(ratios):.2f}")
finally:
    for p in reversed(started):
        if p.poll() is None:
            if p.stdin:
                p.stdin.close()
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
