#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""METRICS (issue 12) against the real procmgrd (direct backend) over real sockets:
the Prometheus text that `promtool check metrics` accepts, series only for managed
processes (labelled name/unit/user), DESCRIBE, `procctl metrics`, the atomic textfile
write of `--output` (a reader never sees a partial file: every write is a new inode
renamed into place), and `--http`: one request on standard input answered on standard
output (GET/HEAD /metrics, 404, 405, 400, 505, 431 for an oversized head), also through
systemd-socket-activate --accept --inetd on a loopback port, as procmgr-metrics-http.socket
runs it. The cgroup figures of scopes are tested in test-metrics-sandbox.sh. TAP output."""

import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pmtest  # noqa: E402
from pmtest import PROCCTL, SCALE, Daemon, Tap, free_port, skip_all, wait_for  # noqa: E402

for b in (pmtest.PROCMGRD, PROCCTL):
    if not os.access(b, os.X_OK):
        skip_all(f"{b} not built")

PROMTOOL = shutil.which("promtool")
t = Tap()
tmp = tempfile.mkdtemp(prefix="pmtest-metrics-")
os.chmod(tmp, 0o755)
d = Daemon(["--backend", "direct"])
started = []


def procctl(*args, stdin=None, stdout=subprocess.PIPE, timeout=30):
    return subprocess.run([PROCCTL, "-U", d.unix_path, *args], stdin=stdin, stdout=stdout,
                          stderr=subprocess.PIPE, timeout=timeout * SCALE)


def promtool_ok(text, what):
    if not PROMTOOL:
        t.ok(False, f"promtool check metrics accepts {what}", "promtool not installed: apt-get install prometheus")
        return
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(), capture_output=True, timeout=60)
    t.ok(p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(),
         f"promtool check metrics accepts {what} (no error, no lint)",
         p.stdout.decode() + p.stderr.decode())


def series(text, family):
    """{labels-string: value} of one family's samples."""
    out = {}
    for line in text.splitlines():
        m = re.match(re.escape(family) + r"(\{.*\})? (\S+)$", line)
        if m:
            out[m.group(1) or ""] = float(m.group(2))
    return out


try:
    c = d.unix()
    for argv, name in ((["sleep", "300"], None), (["sleep", "301"], None),
                       (["sleep", "302"], "web.1@x:y+z")):
        req = {"cmd": "START", "argv": argv}
        if name:
            req["name"] = name
        r = c.call(req)
        t.ok(r.get("ok"), f"START {argv} {name or ''}", r)
        if r.get("ok"):
            started.append(r["pid"])

    # ---- the command and procctl metrics -------------------------------------------
    r = c.call(cmd="DESCRIBE")
    m = [x for x in r.get("commands", []) if x["name"] == "METRICS"]
    t.ok(len(m) == 1 and m[0]["access"] == "read" and m[0]["returns"][0]["name"] == "text",
         "DESCRIBE lists METRICS (access read, returns text)", m)
    r = c.call(cmd="METRICS", id=7)
    t.ok(r.get("ok") and r.get("id") == 7 and isinstance(r.get("text"), str), "METRICS replies {ok, id, text}",
         str(r)[:300])
    text = r.get("text", "")

    p = procctl("metrics")
    t.eq(p.returncode, 0, "procctl metrics exits 0")
    out = p.stdout.decode()
    promtool_ok(out, "procctl metrics' output (direct backend)")
    t.ok(out.startswith("# HELP procmgr_") and out.endswith("\n"), "the text starts with a HELP line and ends with a newline",
         out[:200])
    names = {line.split("{")[0].split(" ")[0] for line in out.splitlines() if not line.startswith("#")}
    t.ok(names and all(n.startswith("procmgr_") for n in names), "every metric name starts with procmgr_", names)
    for fam in ("procmgr_host_cpu_seconds_total", "procmgr_host_memory_total_bytes",
                "procmgr_host_memory_available_bytes", "procmgr_host_load1", "procmgr_host_processes"):
        t.ok(series(out, fam), f"host figure {fam} is there")
    modes = {k for k in series(out, "procmgr_host_cpu_seconds_total")}
    t.ok('{mode="idle"}' in modes and '{mode="user"}' in modes and '{mode="system"}' in modes,
         "CPU seconds by mode (user, system, idle, ...)", modes)
    t.eq(series(out, "procmgr_managed_processes"), {"": 3.0}, "procmgr_managed_processes counts the 3 started")

    up = series(out, "procmgr_process_up")
    web = '{name="web.1@x:y+z",unit="",user="root"}'
    sl = '{name="sleep",unit="",user="root"}'
    t.eq(up, {web: 1.0, sl: 1.0},
         "procmgr_process_up: one series per managed name/unit/user (the two sleeps merged), none for "
         "unmanaged processes")
    mem = series(out, "procmgr_process_memory_bytes")
    t.ok(mem.get(web, 0) > 0 and mem.get(sl, 0) > mem.get(web, 0) / 4, "memory of managed processes (RSS, > 0)", mem)
    t.ok(not series(out, "procmgr_process_oom_kills_total") and not series(out, "procmgr_process_memory_peak_bytes"),
         "no peak and no OOM kill series without a scope (documented: /proc/<pid>/stat only)")
    t.eq(series(out, "procmgr_process_tasks").get(sl), 2.0, "tasks: the two sleeps' threads summed")
    t.ok(web in series(out, "procmgr_process_cpu_seconds_total"), "CPU seconds of a managed process")
    t.eq(series(out, "procmgr_process_restarts_total").get(web), 0.0, "restarts 0 (no restart policies yet)")
    t.ok(all(set(re.findall(r'(\w+)="', k)) == {"name", "unit", "user"}
             for fam in ("procmgr_process_up", "procmgr_process_memory_bytes") for k in series(out, fam)),
         "per-process series carry exactly the labels name, unit, user")

    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    if os.geteuid() == 0 and shutil.which("setpriv") and \
            subprocess.run(nobody + ["test", "-x", PROCCTL]).returncode == 0:
        p = subprocess.run(nobody + [PROCCTL, "-U", d.unix_path, "metrics"], capture_output=True, timeout=30 * SCALE)
        t.ok(p.returncode == 0 and b"procmgr_process_up{" in p.stdout,
             "an unprivileged local user may read METRICS (access read, like INFO)", p.stderr)
    else:
        t.diag("not root, or the build tree is closed to uid 65534: the unprivileged METRICS check is left out")
    p = procctl("--json", "metrics")
    t.ok(p.returncode == 0 and p.stdout.startswith(b'{"ok":true,"text":"# HELP'), "procctl --json metrics prints the reply line",
         p.stdout[:100])
    p = procctl("metrics", "extra")
    t.eq(p.returncode, 2, "procctl metrics with an argument is a usage error (exit 2)")

    r = c.call(cmd="STOP", pid=started[2])
    t.ok(r.get("ok"), "STOP web.1", r)
    out = procctl("metrics").stdout.decode()
    t.eq(series(out, "procmgr_process_up"), {sl: 1.0}, "a stopped process's series are gone")

    # ---- --output: the atomic textfile write ---------------------------------------
    outdir = os.path.join(tmp, "textfile")
    os.mkdir(outdir)
    target = os.path.join(outdir, "procmgr.prom")
    p = procctl("metrics", "--output", target)
    t.ok(p.returncode == 0 and os.path.exists(target), "procctl metrics --output FILE writes FILE", p.stderr)
    st = os.stat(target)
    t.eq(stat.S_IMODE(st.st_mode), 0o644, "the file is 0644 (a textfile collector runs as another user)")
    with open(target) as f:
        promtool_ok(f.read(), "the textfile")

    # A reader opening the file again and again while it is rewritten: every read must be
    # a whole file (the final family's last line present), and each write a new inode.
    stop = threading.Event()
    reads, partial = [0], []

    def reader():
        while not stop.is_set():
            try:
                with open(target, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                partial.append(b"<missing>")
                continue
            reads[0] += 1
            if not data.endswith(b"\n") or b"procmgr_process_up{" not in data:
                partial.append(data[-80:])

    th = threading.Thread(target=reader)
    th.start()
    fails, replaced, writes = 0, 0, 0
    deadline = time.monotonic() + 30 * SCALE
    for i in range(40):
        if time.monotonic() > deadline:
            break
        writes += 1
        # The file as it was, held open across the write: a rename leaves it unlinked and
        # untouched; a write in place would change (truncate) it.
        with open(target, "rb") as old:
            before = old.read()
            fails += procctl("metrics", "--output", target).returncode != 0
            old.seek(0)
            replaced += os.fstat(old.fileno()).st_nlink == 0 and old.read() == before
    stop.set()
    th.join(10)
    # 40 unless a slow (sanitizer) build hit the deadline first; some must have run.
    t.ok(writes >= 10 and fails == 0, f"{writes} rewrites succeed", fails)
    t.ok(reads[0] > 0 and not partial, f"a concurrent reader never saw a partial or missing file ({reads[0]} reads)",
         partial[:3])
    t.eq(replaced, writes, "every write replaced the file by rename: the old one unlinked, its content untouched")
    t.eq(sorted(os.listdir(outdir)), ["procmgr.prom"], "no temporary file is left behind")
    p = procctl("metrics", "--output", os.path.join(tmp, "no-such-dir", "x.prom"))
    t.ok(p.returncode == 2 and b"cannot write" in p.stderr, "an unwritable --output fails with exit 2 and says why",
         p.stderr)
    p = procctl("--json", "metrics", "--output", target)
    t.eq(p.returncode, 2, "--json with --output is a usage error")

    # ---- --http: one request on standard input ---------------------------------------
    def http(request, close_write=True):
        a, b = socket.socketpair()
        with a, b:
            proc = subprocess.Popen([PROCCTL, "-U", d.unix_path, "metrics", "--http"], stdin=b.fileno(),
                                    stdout=b.fileno(), stderr=subprocess.PIPE)
            b.close()
            a.settimeout(20 * SCALE)
            try:
                a.sendall(request)
                if close_write:
                    a.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            data = b""
            while True:
                try:
                    chunk = a.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                data += chunk
            rc = proc.wait(20 * SCALE)
            proc.stderr.close()
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode(errors="replace").split("\r\n")
        status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/1.1 ") else None
        headers = {k.lower(): v for k, _, v in (x.partition(": ") for x in lines[1:])}
        return status, headers, body, rc

    st_, h, body, rc = http(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n", close_write=False)
    t.ok(st_ == 200 and rc == 0, "GET /metrics: 200", (st_, h, rc))
    t.eq(h.get("content-type"), "text/plain; version=0.0.4; charset=utf-8", "Content-Type of format 0.0.4")
    t.eq(int(h.get("content-length", -1)), len(body), "Content-Length is the body's length")
    t.eq(h.get("connection"), "close", "Connection: close (one request per connection)")
    promtool_ok(body.decode(), "the HTTP body")
    st_, h, body, rc = http(b"HEAD /metrics?x=1 HTTP/1.0\n\n")
    t.ok(st_ == 200 and body == b"" and int(h.get("content-length", 0)) > 0, "HEAD /metrics: headers only", (st_, h))
    for req, want, desc in (
            (b"POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 405, "POST is refused: 405"),
            (b"DELETE /metrics HTTP/1.1\r\n\r\n", 405, "DELETE is refused: 405"),
            (b"GET / HTTP/1.1\r\n\r\n", 404, "another path: 404"),
            (b"GET /metrics HTTP/2.0\r\n\r\n", 505, "another HTTP version: 505"),
            (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "a TLS hello: 400"),
            (b"GET /metrics HTTP/1.1\r\nHost: x\r\n", 400, "a head cut short by EOF: 400"),
            (b"GET /" + b"a" * 300 + b" HTTP/1.1\r\n\r\n", 414, "a target over 256 bytes: 414"),
            (b"GET /metrics HTTP/1.1\r\nX-Pad: " + b"a" * 9000 + b"\r\n\r\n", 431,
             "a head over 8 KiB: 431, without reading it all")):
        st_, h, body, rc = http(req)
        t.ok(st_ == want and rc == 0, desc, (st_, h, body[:80], rc))
        if want == 405:
            t.eq(h.get("allow"), "GET, HEAD", "405 names the allowed methods")
    st_, h, body, rc = http(b"")
    t.ok(st_ is None and rc == 0, "a connection closed without a request gets no answer, exit 0", (st_, rc))

    # The daemon gone: 503, and the service instance fails (exit 1).
    a, b = socket.socketpair()
    with a, b:
        proc = subprocess.Popen([PROCCTL, "-U", os.path.join(tmp, "nosuch.sock"), "metrics", "--http"],
                                stdin=b.fileno(), stdout=b.fileno(), stderr=subprocess.DEVNULL)
        b.close()
        a.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
        a.settimeout(20 * SCALE)
        data = a.recv(4096)
        rc = proc.wait(20 * SCALE)
    t.ok(data.startswith(b"HTTP/1.1 503 ") and rc == 1, "no daemon: 503 and exit 1", (data[:40], rc))

    # ---- the same through a real listening socket, as procmgr-metrics-http.socket -------
    ssa = shutil.which("systemd-socket-activate")
    if not ssa:
        t.ok(False, "systemd-socket-activate is installed (Debian package systemd)")
    else:
        act = None
        for attempt in range(8):
            port = free_port()
            act = subprocess.Popen([ssa, "--accept", "--inetd", "-l", f"127.0.0.1:{port}",
                                    PROCCTL, "-U", d.unix_path, "metrics", "--http"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

            def listening():
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    return True
                except OSError:
                    return False
            if wait_for(lambda: listening() or act.poll() is not None, timeout=10) and act.poll() is None:
                break
            act.wait(10)
            act = None
        t.ok(act is not None, "systemd-socket-activate --accept --inetd listens on a loopback port")
        if act:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=20 * SCALE) as resp:
                    body = resp.read().decode()
                    t.ok(resp.status == 200 and "procmgr_process_up{" in body,
                         "GET http://127.0.0.1:PORT/metrics over TCP: 200 with the metrics", resp.status)
                try:
                    urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/metrics", data=b"x",
                                                                  method="PUT"), timeout=20 * SCALE)
                    t.ok(False, "PUT over TCP: 405")
                except urllib.error.HTTPError as e:
                    t.eq(e.code, 405, "PUT over TCP: 405")
            finally:
                act.terminate()
                act.wait(10)
finally:
    try:
        c = d.unix()
        for pid in started:
            c.call(cmd="STOP", pid=pid, signal="KILL")
    except Exception:
        pass
    d.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)

t.done()
