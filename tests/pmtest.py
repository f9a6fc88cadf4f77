# SPDX-License-Identifier: LGPL-2.1-or-later
"""Test helpers for the integration tests: TAP output, starting the real
procmgrd with readiness from sd_notify (a NOTIFY_SOCKET we own, no sleeps),
and a raw line-protocol client over TCP or Unix sockets.

Every wait is bounded; only processes started here are signalled, by pid.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP_BUILDDIR = os.environ.get("top_builddir") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), ".."))
PROCMGRD = os.environ.get("PROCMGRD") or os.path.join(TOP_BUILDDIR, "src/procmgrd")
PROCCTL = os.environ.get("PROCCTL") or os.path.join(TOP_BUILDDIR, "src/procctl")
# The same environment as tests/lib.sh (set by `make check-valgrind`):
# a command prefix for procmgrd, e.g. "valgrind --error-exitcode=99 --leak-check=full",
WRAPPER = os.environ.get("PROCMGRD_WRAPPER", "").split()
# and an integer every wait for the daemon is multiplied by.
SCALE = int(os.environ.get("PROCMGRD_TIMEOUT_SCALE") or 1)
# Ports tried when the one picked is taken meanwhile (free_port() is racy).
DAEMON_ATTEMPTS = 8


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc, diag=None):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {desc}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.n} - {desc}", flush=True)
            if diag is not None:
                for line in str(diag).splitlines()[:40]:
                    print(f"# {line}", flush=True)
        return cond

    def eq(self, got, want, desc):
        return self.ok(got == want, desc, f"got:  {got!r}\nwant: {want!r}")

    def diag(self, msg):
        for line in str(msg).splitlines():
            print(f"# {line}", flush=True)

    def done(self):
        print(f"1..{self.n}", flush=True)
        sys.exit(1 if self.failed else 0)


def skip_all(reason):
    # The TAP driver reports exit 77 as an error: a TAP skip exits 0.
    print(f"1..0 # SKIP {reason}", flush=True)
    sys.exit(0)


def free_port():
    """A free loopback port (bind to 0, release). Racy: Daemon retries on EADDRINUSE."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    """procmgrd as a child of the test, ready once it sent READY=1."""

    def __init__(self, args, tmpdir=None, env=None, tcp=True, unix=True, wrapper=None):
        self.tmp = tmpdir or tempfile.mkdtemp(prefix="pmtest-")
        os.chmod(self.tmp, 0o755)
        self.port = None
        self.unix_path = None
        self.notify_path = os.path.join(self.tmp, "notify")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self.notify.bind(self.notify_path)
        e = dict(os.environ)
        e.update(env or {})
        e["NOTIFY_SOCKET"] = self.notify_path
        self.log = open(os.path.join(self.tmp, "daemon.log"), "w+")
        for attempt in range(1, DAEMON_ATTEMPTS + 1):
            argv = list(WRAPPER if wrapper is None else wrapper) + [PROCMGRD]
            if tcp:
                self.port = free_port()
                argv += ["--listen", f"127.0.0.1:{self.port}"]
            if unix:
                self.unix_path = os.path.join(self.tmp, "procmgrd.sock")
                argv += ["--unix", self.unix_path]
            # The event seq file: the test's own, not the host's /var/lib/procmgrd.
            argv += ["--state-directory", os.path.join(self.tmp, "state"),
                     "--runtime-directory", os.path.join(self.tmp, "run")]
            argv += args
            self.log.seek(0)
            self.log.truncate()
            self.proc = subprocess.Popen(argv, env=e, stdout=self.log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, close_fds=True)
            try:
                self.wait_ready()
                return
            except RuntimeError:
                if (not tcp or attempt == DAEMON_ATTEMPTS or self.proc.poll() is None
                        or "address already in use" not in self.logtext().lower()):
                    raise

    def wait_ready(self, timeout=20.0):
        deadline = time.monotonic() + timeout * SCALE
        while time.monotonic() < deadline:
            self.notify.settimeout(max(0.01, min(0.5, deadline - time.monotonic())))
            try:
                msg = self.notify.recv(4096)
            except socket.timeout:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"procmgrd exited with {self.proc.returncode}:\n{self.logtext()}")
                continue
            if b"READY=1" in msg.split(b"\n"):
                return
        raise RuntimeError(f"procmgrd not ready after {timeout * SCALE}s:\n{self.logtext()}")

    def logtext(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    @property
    def pid(self):
        return self.proc.pid

    def tcp(self, **kw):
        return Client.tcp("127.0.0.1", self.port, **kw)

    def unix(self, **kw):
        return Client.unix(self.unix_path, **kw)

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout * SCALE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            return None

    def cleanup(self):
        self.stop()
        self.notify.close()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Client:
    def __init__(self, sock, timeout=10.0):
        self.sock = sock
        self.sock.settimeout(timeout * SCALE)
        self.buf = b""

    @classmethod
    def tcp(cls, host, port, **kw):
        return cls(socket.create_connection((host, port), timeout=10 * SCALE), **kw)

    @classmethod
    def unix(cls, path, **kw):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10 * SCALE)
        s.connect(path)
        return cls(s, **kw)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def readline(self, limit=256 * 1024 * 1024):
        while b"\n" not in self.buf:
            if len(self.buf) > limit:
                raise RuntimeError("reply line too long")
            d = self.sock.recv(1 << 20)
            if not d:
                raise EOFError("connection closed")
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def reply(self):
        return json.loads(self.readline())

    def call(self, obj=None, **members):
        req = dict(obj or {})
        req.update(members)
        self.send(json.dumps(req) + "\n")
        return self.reply()

    def raw(self, line):
        self.send(line if line.endswith("\n") else line + "\n")
        return self.reply()

    def at_eof(self, timeout=None):
        """True if the server closed the connection (after any buffered data) within
        timeout seconds (default 5 times SCALE)."""
        self.sock.settimeout(5.0 * SCALE if timeout is None else timeout)
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    return True
                self.buf += d
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


def wait_for(pred, timeout=10.0, interval=0.01):
    """Poll pred() until true or timeout (times SCALE); for kernel state with no event to
    wait on."""
    deadline = time.monotonic() + timeout * SCALE
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(interval)
    return pred()


def proc_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


def process_gone(pid):
    s = proc_state(pid)
    return s is None or s in ("Z", "X")


def as_user(uid, path, requests):
    """Connect to the Unix socket PATH as uid/gid UID (no groups) in a forked child and
    send REQUESTS (dicts); returns the replies (dicts)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10 * SCALE)
            s.connect(path)
            f = s.makefile("rwb")
            out = []
            for req in requests:
                f.write((json.dumps(req) + "\n").encode())
                f.flush()
                out.append(json.loads(f.readline()))
            os.write(w, json.dumps(out).encode())
            os._exit(0)
        except BaseException as e:  # noqa: BLE001
            os.write(w, json.dumps([{"child_error": repr(e)}]).encode())
            os._exit(1)
    os.close(w)
    data = b""
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(data)


def settled_fds(pid, timeout=10.0):
    """The descriptors of a freshly exec'd process once its dynamic loader is done:
    ld.so briefly holds libraries open as fd 3+, an inherited descriptor never goes away."""
    def fds():
        try:
            return sorted(int(x) for x in os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            return None
    wait_for(lambda: fds() == [0, 1, 2], timeout=timeout)
    got = fds()
    if got and got != [0, 1, 2]:
        # Say what the extra descriptors are: the diagnosis of a leak starts there.
        for fd in got[3:]:
            try:
                print(f"# fd {fd} of {pid}: {os.readlink(f'/proc/{pid}/fd/{fd}')}", flush=True)
            except OSError:
                pass
    return got
