#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The browser half of test-cockpit.sh, run inside the sandbox: headless Chromium,
driven over the DevTools protocol on --remote-debugging-pipe (fds 3 and 4,
NUL-terminated JSON; stdlib only), loads the procmgr Cockpit page served by
cockpit-ws and checks it against the real procmgrd: the process the shell started is
listed, a start from the form (typed keys, a real mouse click) appears in the table
and in procctl's list, the details pane shows its memory and its log line, an error
is shown with its org.procmgr.Error.* name, the filter and sorting work, the Stop
button stops it, and the page logged no console error. Writes a screenshot.
Prints "PASS desc" / "FAIL desc: diag" lines for the shell to count.

Every wait is a bounded poll of a DOM condition (PROCMGRD_TIMEOUT_SCALE scales
the bounds). Chromium runs in its own session (process group), which alone is
killed at the end, with its profile in a temporary directory."""

import argparse
import base64
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SCALE = float(os.environ.get("PROCMGRD_TIMEOUT_SCALE", "1") or 1)
MAX_MESSAGE = 64 * 1024 * 1024  # a screenshot is the largest reply
MAX_EVENTS = 10000

failures = 0


def report(ok, desc, diag=""):
    global failures
    if ok:
        print("PASS " + desc, flush=True)
    else:
        failures += 1
        print("FAIL " + desc + (": " + diag if diag else ""), flush=True)


class Browser:
    """Chromium with a DevTools pipe; one page target, attached in flat mode."""

    def __init__(self, chromium, profile, log):
        to_child_r, self.to_child = os.pipe2(os.O_CLOEXEC)
        self.from_child, from_child_w = os.pipe2(os.O_CLOEXEC)

        def fds():
            # Chromium reads commands on fd 3 and writes replies on fd 4.
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        args = [chromium, "--headless=new", "--no-sandbox", "--remote-debugging-pipe",
                "--user-data-dir=" + profile, "--no-first-run", "--no-default-browser-check",
                "--disable-gpu", "--disable-dev-shm-usage", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--disable-breakpad",
                "--disable-component-update", "--metrics-recording-only", "--mute-audio",
                "--window-size=1360,820", "--force-device-scale-factor=1", "--lang=en-US",
                "about:blank"]
        env = dict(os.environ, HOME=profile, LANG="C.UTF-8", TZ="UTC")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                     preexec_fn=fds, pass_fds=(3, 4), start_new_session=True, env=env)
        os.close(to_child_r)
        os.close(from_child_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def close(self):
        try:
            if self.proc.poll() is None:
                try:
                    self.call("Browser.close", timeout=5 * SCALE)
                except Exception:
                    pass
                try:
                    self.proc.wait(timeout=10 * SCALE)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            # Its own process group, made by start_new_session: only what we started.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            os.close(self.to_child)
            os.close(self.from_child)

    def _read(self, deadline):
        """One message, or None at the deadline."""
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.from_child], [], [], left)
            if not r:
                return None
            d = os.read(self.from_child, 1 << 20)
            if not d:
                raise EOFError("chromium closed its DevTools pipe (exit status %s)" % self.proc.poll())
            self.buf += d
            if len(self.buf) > MAX_MESSAGE:
                raise ValueError("a DevTools message over %d bytes" % MAX_MESSAGE)
        msg, _, self.buf = self.buf.partition(b"\0")
        return json.loads(msg)

    def call(self, method, params=None, timeout=None, session=True):
        self.next_id += 1
        mid = self.next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.to_child, data):]
        deadline = time.monotonic() + (timeout or 30 * SCALE)
        while True:
            m = self._read(deadline)
            if m is None:
                raise TimeoutError("no reply to " + method)
            if m.get("id") == mid:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m and len(self.events) < MAX_EVENTS:
                self.events.append(m)

    def pump(self, seconds):
        """Collect events for up to SECONDS."""
        deadline = time.monotonic() + seconds
        while True:
            m = self._read(deadline)
            if m is None:
                return
            if "method" in m and len(self.events) < MAX_EVENTS:
                self.events.append(m)

    def open_page(self):
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.call(domain + ".enable")

    def js(self, expression):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError("page exception in %r: %s" % (expression[:80], r["exceptionDetails"]))
        return r["result"].get("value")

    def wait_for(self, expression, seconds=20):
        """Poll EXPRESSION (truthy = done) every 50 ms, bounded; returns its last value."""
        deadline = time.monotonic() + seconds * SCALE
        value = None
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            self.pump(0.05)
        return value

    def click(self, selector):
        """A real mouse click at the middle of the element SELECTOR."""
        box = self.js("(() => { const e = document.querySelector(%s); if (!e) return null;"
                      " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
                      " return [r.x + r.width / 2, r.y + r.height / 2]; })()" % json.dumps(selector))
        if not box:
            raise RuntimeError("no element " + selector)
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1})

    def type_into(self, selector, text):
        """Focus SELECTOR, empty it, and type TEXT as the keyboard would insert it."""
        self.click(selector)
        self.js("document.querySelector(%s).select()" % json.dumps(selector))
        self.call("Input.insertText", {"text": text})

    def errors(self):
        out = []
        for e in self.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console.%s: %s" % (p["type"], " ".join(
                    str(a.get("value", a.get("description", ""))) for a in p.get("args", []))))
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append("exception: %s %s" % (d.get("text", ""), d.get("exception", {}).get("description", "")))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                en = p["entry"]
                out.append("log: %s %s" % (en.get("text", ""), en.get("url", "")))
        return out


def procctl(args, ns):
    r = subprocess.run([ns.procctl, "-U", ns.sock, "--json"] + args, capture_output=True, text=True,
                       timeout=30 * SCALE)
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {"ok": False, "raw": r.stdout + r.stderr}


def listed(ns):
    """pid → entry of procctl's list of managed processes."""
    reply = procctl(["list", "--managed"], ns)
    return {p["pid"]: p for p in reply.get("processes", [])}


def row_pids(b):
    return b.js("[...document.querySelectorAll('#process-rows tr')].map(tr => +tr.dataset.pid)")


def scenario(b, ns):
    b.open_page()
    b.call("Page.navigate", {"url": ns.url})
    row = "#process-rows tr[data-pid='%d']" % ns.pid
    ok = b.wait_for("!!document.querySelector(%s)" % json.dumps(row), 30)
    report(ok, "the page loads and lists the process the test started (pid %d)" % ns.pid,
           "rows: %s; status: %s; error: %s" % (row_pids(b) if ok is not None else "?",
                                               b.js("document.getElementById('daemon-status').textContent"),
                                               b.js("document.getElementById('error-text').textContent")))
    if not ok:
        return
    report(b.js("document.querySelector(%s).classList.contains('pm-managed')" % json.dumps(row)) and
           ns.name in b.js("document.querySelector(%s + ' .pm-name').textContent" % json.dumps(row)),
           "... marked managed, under its START name %r" % ns.name)
    report(b.wait_for("/procmgrd .* managed/.test(document.getElementById('daemon-status').textContent)", 10),
           "the header shows the daemon's Version and NManaged properties",
           b.js("document.getElementById('daemon-status').textContent"))
    pids = row_pids(b)
    managed = b.js("[...document.querySelectorAll('#process-rows tr')].map(tr => tr.classList.contains('pm-managed'))")
    report(len(pids) > 2 and managed[0] and not managed[-1] and managed == sorted(managed, reverse=True),
           "managed processes are listed first, then the others", "managed flags: %s" % managed)
    report(pids[managed.count(True):] == sorted(pids[managed.count(True):]), "... sorted by pid", str(pids))

    # ---- the command line is split into argv without a shell --------------------------------
    cases = [("sleep  300", ["sleep", "300"]),
             ("sh -c 'echo $HOME; exit 3'", ["sh", "-c", "echo $HOME; exit 3"]),
             ('a "b \\"c\\" $d" e\\ f \'\'', ["a", 'b "c" $d', "e f", ""]),
             ("echo *.c >out | cat", ["echo", "*.c", ">out", "|", "cat"])]
    for line, want in cases:
        got = b.js("procmgrSplitCommand(%s)" % json.dumps(line))
        report(got == want, "the form splits %r into %r" % (line, want), repr(got))
    got = b.js("(() => { try { procmgrSplitCommand(%s); return 'no error'; } catch (e) { return e.message; } })()"
               % json.dumps("echo 'unterminated"))
    report("unterminated" in got, "... and refuses an unterminated quote", repr(got))

    # ---- sorting and the filter ----------------------------------------------------------
    b.click("#processes th[data-key='pid']")
    ok = b.wait_for("document.querySelector(\"#processes th[data-key='pid']\").getAttribute('aria-sort') == 'descending'", 5)
    pids = row_pids(b)
    n = managed.count(True)
    report(ok and pids[n:] == sorted(pids[n:], reverse=True), "a click on the PID header sorts descending", str(pids))
    b.click("#processes th[data-key='pid']")
    b.type_into("#filter", ns.name)
    ok = b.wait_for("(() => { const r = [...document.querySelectorAll('#process-rows tr')];"
                    " return r.length == 1 && r[0].dataset.pid == '%d'; })()" % ns.pid, 5)
    report(ok, "the filter box keeps only the rows that match", str(row_pids(b)))
    b.js("(() => { const f = document.getElementById('filter'); f.value = '';"
         " f.dispatchEvent(new Event('input')); })()")
    b.wait_for("document.querySelectorAll('#process-rows tr').length > 2", 5)

    # ---- an error is shown with its name ---------------------------------------------------
    b.type_into("#start-command", "/nonexistent/procmgr-cockpit-test")
    b.click("#start-button")
    ok = b.wait_for("!document.getElementById('error').hidden && document.getElementById('error-text').textContent", 15)
    report(ok and "SpawnFailed" in ok, "a failing Start shows the org.procmgr.Error name in the page", str(ok))
    b.click("#error-close")

    # ---- start from the form ---------------------------------------------------------------
    b.type_into("#start-command", "sh -c 'echo %s; exec sleep 300'" % ns.marker)
    b.type_into("#start-name", ns.form_name)
    b.type_into("#start-memory", "64M")
    b.type_into("#start-cpu", "50")
    b.type_into("#start-tasks", "16")
    b.click("#start-button")
    sel = "[...document.querySelectorAll('#process-rows tr.pm-managed')].find(tr => tr.querySelector('.pm-name').textContent.startsWith(%s))" % json.dumps(ns.form_name)
    new_pid = b.wait_for("(() => { const tr = %s; return tr ? +tr.dataset.pid : 0; })()" % sel, 20)
    report(bool(new_pid), "a process started from the form appears in the table",
           "notice: %s; error: %s" % (b.js("document.getElementById('notice').textContent"),
                                      b.js("document.getElementById('error-text').textContent")))
    if not new_pid:
        return
    entry = listed(ns).get(new_pid)
    report(entry is not None and entry.get("managed") is True and
           ("-%s-" % ns.form_name) in entry.get("unit", ""),
           "... and in procctl list (pid %d, name %s)" % (new_pid, ns.form_name), json.dumps(entry))
    unit = (entry or {}).get("unit") or ""
    limits = subprocess.run(["systemctl", "show", "-P", "MemoryMax", "-P", "TasksMax", unit],
                            capture_output=True, text=True, timeout=30 * SCALE).stdout.split()
    report(unit != "" and limits == ["67108864", "16"],
           "... in a scope with the form's limits (MemoryMax=64M, TasksMax=16)", "%s: %s" % (unit, limits))

    # ---- details: live figures and the log tail --------------------------------------------
    ok = b.wait_for("!document.getElementById('details').hidden && "
                    "document.getElementById('details-title').textContent.indexOf('%d') >= 0" % new_pid, 10)
    report(ok, "the details pane opens for the started process")
    mem = b.wait_for("(() => { const d = document.querySelector(\"#details-fields dd[data-field='Memory']\");"
                     " return d && /[0-9].*(B|KiB|MiB)$/.test(d.textContent) ? d.textContent : ''; })()", 10)
    report(bool(mem), "... with its memory (MemoryCurrent)", str(mem))
    # sh runs echo, then execs sleep: the 2 s refresh shows the new Command.
    command = "(() => { const d = document.querySelector(\"#details-fields dd[data-field='Command']\"); return d ? d.textContent : ''; })()"
    ok = b.wait_for(command + " == 'sleep 300'", 15)
    report(ok, "... its Command property, refreshed after sh's exec", repr(b.js(command)))
    log = b.wait_for("document.getElementById('details-log').textContent.indexOf(%s) >= 0" % json.dumps(ns.marker), 15)
    report(log, "... and its log tail (GetLogs) with the line it printed",
           repr(b.js("document.getElementById('details-log').textContent")))

    # ---- the screenshot: a couple of processes listed, the details pane open ----------------
    b.js("document.activeElement && document.activeElement.blur()")
    b.pump(0.3)  # let the last layout settle; the shot is not a synchronization point
    shot = b.call("Page.captureScreenshot", {"format": "png"})
    with open(ns.screenshot, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    report(os.path.getsize(ns.screenshot) > 10000, "a screenshot of the page is written (%s)" % ns.screenshot)

    # ---- stop with the row's button ----------------------------------------------------------
    b.click("#process-rows tr[data-pid='%d'] .pm-stop" % new_pid)
    gone = b.wait_for("!document.querySelector(\"#process-rows tr[data-pid='%d'].pm-managed\")" % new_pid, 20)
    report(gone, "the Stop button stops it: gone from the table's managed rows")
    notice = b.wait_for("document.getElementById('notice').textContent.indexOf('Stopped pid %d ') == 0 &&"
                        " document.getElementById('notice').textContent" % new_pid, 15)
    report(notice, "... the page says how it ended (Stop's reply)",
           repr(b.js("document.getElementById('notice').textContent")))
    report(new_pid not in listed(ns), "... and from procctl list")
    note = "(() => { const d = document.querySelector(\"#details-fields dd[data-field='Note']\"); return d ? d.textContent : ''; })()"
    report(b.wait_for(note + ".indexOf('Exited by signal 15') == 0", 15),
           "... and the details pane saw its ProcessExited signal", repr(b.js(note)))
    report(ns.pid in listed(ns) and ns.pid in row_pids(b), "the process the test started is still listed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--url", required=True)
    ap.add_argument("--procctl", required=True)
    ap.add_argument("--sock", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--form-name", default="cockpit-web")
    ap.add_argument("--marker", default="hello-from-cockpit")
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--log", required=True)
    ns = ap.parse_args()

    profile = tempfile.mkdtemp(prefix="procmgr-chromium.")
    b = None
    try:
        with open(ns.log, "ab") as log:
            b = Browser(ns.chromium, profile, log)
            try:
                scenario(b, ns)
            except Exception as e:  # a broken step ends the run, reported
                report(False, "the browser scenario ran to its end", "%s: %s" % (type(e).__name__, e))
            try:
                b.pump(0.2)
            except Exception:
                pass
            errs = b.errors()
            report(not errs, "no console errors or exceptions in the page", "; ".join(errs)[:2000])
    finally:
        if b:
            b.close()
        shutil.rmtree(profile, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
