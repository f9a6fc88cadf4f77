#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""TLS on procmgrd's TCP listeners, against the real daemon with real
certificates made by `openssl` here (a CA, a server certificate for
IP:127.0.0.1 and DNS:localhost, a client certificate, one from another CA),
and three independent clients: Python's ssl module, `openssl s_client` and
procctl -H tls://. Checks: TLS 1.3 negotiated, TLS 1.1 refused; a verified
client certificate authenticates (START without a token), a wrong-CA one is
refused, no certificate + token works; a stalled handshake is cut off within
--tls-handshake-timeout and holds a per-source slot only until then;
plaintext from a non-loopback address is refused (a private network
namespace gives the test one) while loopback plaintext works; a relay that
sees every byte never sees the token once TLS is on; pipelined requests and
a big reply survive partial TLS writes; no key material in a started
process; and an unreadable, broken or mismatched certificate or key fails
the start with one clear line. TAP output."""

import json
import os
import select
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pmtest  # noqa: E402
from pmtest import Daemon, Tap, free_port, process_gone, settled_fds, skip_all, wait_for  # noqa: E402

E = "org.procmgr.Error."
SCALE = pmtest.SCALE
NONLOOP = "192.0.2.1"       # TEST-NET-1, put on lo inside this test's own network namespace

if not os.access(os.environ.get("PROCMGRD", ""), os.X_OK) and not os.path.exists(
        os.path.join(os.environ.get("top_builddir", "."), "src/procmgrd")):
    skip_all("procmgrd not built")
if not shutil.which("openssl"):
    skip_all("the openssl command is needed to make certificates (apt-get install openssl)")

# As root, run again in a private network namespace (nothing of the host's network is
# touched) where lo also carries a non-loopback address: the only way to be a
# non-loopback TCP peer while talking to loopback only.
if os.geteuid() == 0 and not os.environ.get("PMTEST_TLS_NETNS") and shutil.which("unshare") and shutil.which("ip"):
    env = dict(os.environ, PMTEST_TLS_NETNS="1")
    os.execvpe("unshare", ["unshare", "--net", sys.executable, os.path.abspath(__file__)], env)
have_nonloop = False
if os.environ.get("PMTEST_TLS_NETNS"):
    have_nonloop = (subprocess.run(["ip", "link", "set", "lo", "up"]).returncode == 0 and
                    subprocess.run(["ip", "addr", "add", f"{NONLOOP}/32", "dev", "lo"]).returncode == 0)

t = Tap()
tmp = tempfile.mkdtemp(prefix="pmtest-tls-")
os.chmod(tmp, 0o755)
daemons = []
started = []


def path(name):
    return os.path.join(tmp, name)


def openssl(*args):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)}: {r.stderr}")


def make_ca(name):
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", f"/CN={name}", "-keyout", path(f"{name}.key"), "-out", path(f"{name}.pem"))


def make_cert(name, ca, ext):
    with open(path(f"{name}.ext"), "w") as f:
        f.write(ext + "\n")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", f"/CN={name}", "-keyout", path(f"{name}.key"), "-out", path(f"{name}.csr"))
    openssl("x509", "-req", "-in", path(f"{name}.csr"), "-CA", path(f"{ca}.pem"), "-CAkey", path(f"{ca}.key"),
            "-CAcreateserial", "-days", "2", "-extfile", path(f"{name}.ext"), "-out", path(f"{name}.pem"))
    os.chmod(path(f"{name}.key"), 0o600)


make_ca("ca")
make_ca("otherca")
make_cert("server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth")
make_cert("client", "ca", "extendedKeyUsage=clientAuth")
make_cert("intruder", "otherca", "extendedKeyUsage=clientAuth")
make_cert("elsewhere", "ca", "subjectAltName=DNS:elsewhere.example\nextendedKeyUsage=serverAuth")
TOKEN = os.urandom(24).hex()
with open(path("token"), "w") as f:
    f.write(TOKEN + "\n")
os.chmod(path("token"), 0o600)
with open(path("server.key")) as f:
    SERVER_KEY = f.read()
KEY_MARK = SERVER_KEY.splitlines()[1][:40]      # a line of the key's base64

TLS_ARGS = ["--tls-cert", path("server.pem"), "--tls-key", path("server.key"), "--tls-client-ca", path("ca.pem")]


def err(reply):
    return reply.get("error") if isinstance(reply, dict) else None


def context(cert=None, ca="ca"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(path(f"{ca}.pem"))
    if cert:
        ctx.load_cert_chain(path(f"{cert}.pem"), path(f"{cert}.key"))
    return ctx


class TlsClient(pmtest.Client):
    """pmtest's line client over Python's ssl module."""

    @classmethod
    def connect(cls, port, cert=None, host="127.0.0.1", ctx=None, source=None, name=None):
        raw = socket.create_connection((host, port), timeout=10 * SCALE,
                                       source_address=(source, 0) if source else None)
        s = (ctx or context(cert)).wrap_socket(raw, server_hostname=name or host)
        return cls(s)


def start(args, **kw):
    d = Daemon(args, **kw)
    daemons.append(d)
    return d


def procctl(*args, timeout=30):
    return subprocess.run([pmtest.PROCCTL, *args], capture_output=True, text=True, timeout=timeout * SCALE,
                          stdin=subprocess.DEVNULL)


try:
    d = start(["--backend=direct", "--token-file", path("token"), *TLS_ARGS])

    # --- Python's ssl module -------------------------------------------------------------
    c = TlsClient.connect(d.port)
    t.eq(c.sock.version(), "TLSv1.3", "Python ssl: TLS 1.3 negotiated")
    r = c.call(cmd="PING", id=1)
    t.ok(r.get("ok") and r.get("id") == 1, "Python ssl: PING over TLS", r)
    r = c.call(cmd="START", argv=["sleep", "300"])
    t.eq(err(r), E + "AuthRequired", "TLS without a client certificate: START still needs the token")
    r = c.call(cmd="START", argv=["sleep", "300"], token=TOKEN, id="tok")
    t.ok(r.get("ok") and r.get("id") == "tok", "TLS without a client certificate: START with the token", r)
    if r.get("pid"):
        started.append(r["pid"])
    c.close()

    c = TlsClient.connect(d.port, cert="client")
    r = c.call(cmd="START", argv=["sleep", "300"], id="cert")
    t.ok(r.get("ok") and isinstance(r.get("pid"), int), "client certificate: START without a token", r)
    spid = r.get("pid")
    if spid:
        started.append(spid)
        fds = settled_fds(spid)
        t.eq(fds, [0, 1, 2], "started over TLS: the child has only fds 0, 1, 2")
        with open(f"/proc/{spid}/environ", "rb") as f:
            env = f.read()
        t.ok(b"PRIVATE KEY" not in env and KEY_MARK.encode() not in env and TOKEN.encode() not in env
             and b"tls" not in env.lower() and b"CREDENTIALS_DIRECTORY" not in env,
             "started over TLS: no key, token or TLS path in the child's environment", env)
        targets = [os.readlink(f"/proc/{spid}/fd/{n}") for n in fds or []]
        t.ok(not any(tmp in x for x in targets), "no descriptor of the child points at the TLS files", targets)
    r = c.call(cmd="LIST", managed=True)
    t.ok(r.get("ok"), "client certificate: LIST (read access) without a token", err(r))

    # Pipelined requests and a big reply: partial TLS writes, records split across reads.
    n = 3000
    c.send("".join(json.dumps({"cmd": "PING", "id": i}) + "\n" for i in range(n)))
    ids = [json.loads(c.readline()).get("id") for _ in range(n)]
    t.eq(ids, list(range(n)), f"{n} pipelined PINGs over TLS answered in order")
    for i in range(4):
        c.send(json.dumps({"cmd": "LIST", "id": f"l{i}"}) + "\n")
    replies = [json.loads(c.readline()) for _ in range(4)]
    t.ok(all(x.get("ok") and x.get("id") == f"l{i}" and len(x.get("processes", [])) > 0
             for i, x in enumerate(replies)), "pipelined LIST replies over TLS complete and in order",
         [x.get("error") for x in replies])
    # A reader that stalls while big replies pile up: the TLS writes run into a full socket
    # (partial writes, WANT_WRITE) and resume from a moved, grown queue.
    n = 40
    c.send("".join(json.dumps({"cmd": "LIST", "id": i}) + "\n" for i in range(n)))
    time.sleep(0.5)
    replies = [json.loads(c.readline()) for _ in range(n)]
    t.ok([x.get("id") for x in replies] == list(range(n)) and all(x.get("ok") for x in replies),
         f"{n} LIST replies to a stalled TLS reader arrive whole and in order")
    c.close()
    # The same for a peer without a certificate (the 16 KiB pre-authentication mark).
    c = TlsClient.connect(d.port)
    n = 200
    c.send("".join(json.dumps({"cmd": "DESCRIBE", "id": i}) + "\n" for i in range(n)))
    time.sleep(0.5)
    replies = [json.loads(c.readline()) for _ in range(n)]
    t.ok([x.get("id") for x in replies] == list(range(n)) and all(x.get("ok") for x in replies),
         f"{n} DESCRIBE replies to an unauthenticated TLS peer that reads late, in order")
    c.close()

    # A wrong-CA client certificate: the handshake fails; nothing is answered.
    refused = False
    try:
        c = TlsClient.connect(d.port, cert="intruder")
        r = c.call(cmd="PING")
    except (ssl.SSLError, ConnectionError, EOFError, OSError) as e:
        refused = True
        t.diag(f"wrong-CA client certificate: {e!r}")
    t.ok(refused, "a client certificate from another CA is refused")

    # TLS 1.1: refused by the server even when the client allows it.
    warnings.simplefilter("ignore", DeprecationWarning)
    ctx = context()
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    refused, why = False, ""
    try:
        TlsClient.connect(d.port, ctx=ctx).call(cmd="PING")
    except (ssl.SSLError, ConnectionError, EOFError, OSError) as e:
        refused, why = True, repr(e)
    t.ok(refused, "Python ssl limited to TLS 1.1 is refused", why)

    # --- openssl s_client ------------------------------------------------------------------
    def s_client(*extra, data=b"PING\nEXIT\n"):
        return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{d.port}", "-CAfile",
                               path("ca.pem"), "-verify_return_error", "-verify_ip", "127.0.0.1", "-quiet",
                               "-ign_eof", *extra], input=data, capture_output=True, timeout=20 * SCALE)

    r = s_client("-tls1_2")
    out = r.stdout.decode(errors="replace")
    t.ok(r.returncode == 0 and "pong" in out, "openssl s_client -tls1_2: PING answered",
         out + r.stderr.decode(errors="replace"))
    r = s_client("-cert", path("client.pem"), "-key", path("client.key"),
                 data=b'{"cmd":"LIST","limit":1}\nEXIT\n')
    out = r.stdout.decode(errors="replace")
    t.ok('"ok":true' in out and '"processes"' in out, "openssl s_client with the client certificate: LIST", out)
    r = s_client("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    t.ok("pong" not in out and r.returncode != 0, "openssl s_client -tls1_1 is refused", out[-400:])

    # --- procctl -H tls:// -------------------------------------------------------------------
    r = procctl("-H", f"tls://127.0.0.1:{d.port}", "--tls-ca", path("ca.pem"), "ping")
    t.ok(r.returncode == 0 and "pong" in r.stdout, "procctl -H tls://127.0.0.1 verifies the IP SAN", r.stderr)
    r = procctl("-H", f"tls://localhost:{d.port}", "--tls-ca", path("ca.pem"), "--tls-cert", path("client.pem"),
                "--tls-key", path("client.key"), "--json", "start", "--", "sleep", "300")
    t.ok(r.returncode == 0 and '"ok":true' in r.stdout, "procctl tls://localhost with a client certificate: start",
         r.stdout + r.stderr)
    try:
        started.append(json.loads(r.stdout)["pid"])
    except (ValueError, KeyError):
        pass
    r = procctl("-H", f"tls://127.0.0.1:{d.port}", "--tls-ca", path("otherca.pem"), "ping")
    lines = r.stderr.strip().splitlines()
    t.ok(r.returncode == 2 and len(lines) == 1 and "did not verify" in lines[0],
         "procctl: a server certificate from another CA: exit 2, one clear line", r.stderr)
    r = procctl("-H", f"tls://127.0.0.1:{d.port}", "ping")
    t.ok(r.returncode == 2 and "did not verify" in r.stderr, "procctl: the system store does not trust the test CA",
         r.stderr)
    r = procctl("-H", f"tls://127.0.0.1:{d.port}", "--tls-ca", path("ca.pem"), "--tls-cert", path("intruder.pem"),
                "--tls-key", path("intruder.key"), "list")
    t.ok(r.returncode == 2 and "pong" not in r.stdout, "procctl with a wrong-CA client certificate: exit 2", r.stderr)
    r = procctl("-H", f"127.0.0.1:{d.port}", "--tls-ca", path("ca.pem"), "ping")
    t.ok(r.returncode == 2 and "tls://" in r.stderr, "procctl: --tls-ca without tls:// is a usage error", r.stderr)
    r = procctl("-H", f"tls://127.0.0.1:{d.port}", "--tls-ca", path("ca.pem"), "--token-file", path("token"),
                "start", "--", "sleep", "300")
    t.ok(r.returncode == 0, "procctl tls:// with --token-file: start", r.stderr)

    # Loopback plaintext still works while TLS is on.
    c = d.tcp()
    t.ok(c.call(cmd="PING").get("ok"), "loopback plaintext PING still answered with TLS configured")
    c.close()

    # --- the token never crosses the wire in clear --------------------------------------------
    class Relay(threading.Thread):
        """Forwards one port to the daemon and keeps every byte it carried."""

        def __init__(self, target):
            super().__init__(daemon=True)
            self.target = target
            self.srv = socket.socket()
            self.srv.bind(("127.0.0.1", 0))
            self.srv.listen(8)
            self.port = self.srv.getsockname()[1]
            self.seen = bytearray()
            self.stop = False

        def run(self):
            self.srv.settimeout(0.2)
            while not self.stop:
                try:
                    a, _ = self.srv.accept()
                except OSError:
                    continue
                b = socket.create_connection(("127.0.0.1", self.target))
                deadline = time.monotonic() + 30 * SCALE
                open_ = True
                while open_ and time.monotonic() < deadline:
                    rd, _, _ = select.select([a, b], [], [], 0.5)
                    for s in rd:
                        try:
                            data = s.recv(65536)
                            if data:
                                (b if s is a else a).sendall(data)
                        except OSError:     # a reset (one side closed with data unread)
                            data = b""
                        if not data:
                            open_ = False
                            break
                        self.seen += data
                a.close()
                b.close()

    relay = Relay(d.port)
    relay.start()
    r = procctl("-H", f"tls://127.0.0.1:{relay.port}", "--tls-ca", path("ca.pem"), "--token-file", path("token"),
                "list", "--limit", "1")
    t.ok(r.returncode == 0 and len(relay.seen) > 0, "procctl over TLS through the relay (the token authenticated)",
         r.stderr)
    t.ok(TOKEN.encode() not in relay.seen and b'"token"' not in relay.seen and relay.seen[:1] == b"\x16",
         "the relay saw a TLS session and never the token")
    relay.seen.clear()
    r = procctl("-H", f"127.0.0.1:{relay.port}", "--token-file", path("token"), "list", "--limit", "1")
    t.ok(r.returncode == 0 and TOKEN.encode() in relay.seen,
         "control: plaintext through the same relay shows the token (the relay does see clear text)")
    relay.stop = True

    # --- the stalled handshake ------------------------------------------------------------------
    hs = 1
    d2 = start(["--backend=direct", "--token-file", path("token"), "--tls-handshake-timeout", str(hs * SCALE),
                "--max-connections-per-source", "2", *TLS_ARGS])
    # Mid-handshake: a real ClientHello, the server's flight read, then silence.
    stalled = []
    for _ in range(2):
        inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = context().wrap_bio(inc, out, server_hostname="127.0.0.1")
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        s = socket.create_connection(("127.0.0.1", d2.port), timeout=10 * SCALE)
        s.sendall(out.read())
        t0 = time.monotonic()
        s.settimeout(5 * SCALE)
        first = s.recv(65536)
        stalled.append((s, t0, first))
    t.ok(all(x[2][:1] == b"\x16" for x in stalled), "the daemon answered the ClientHello (ServerHello…)")
    s3 = pmtest.Client.tcp("127.0.0.1", d2.port)
    r = s3.reply()
    t.eq(err(r), E + "LimitExceeded", "two stalled handshakes hold the source's two slots meanwhile")
    s3.close()
    for s, t0, _ in stalled:
        closed = False
        s.settimeout(hs * SCALE + 5 * SCALE)
        try:
            while s.recv(65536):
                pass
            closed = True
        except (socket.timeout, TimeoutError):
            pass
        except ConnectionError:
            closed = True
        took = time.monotonic() - t0
        t.ok(closed and took < hs * SCALE + 3 * SCALE, f"a stalled handshake is cut off within the timeout "
             f"({took:.2f}s, timeout {hs * SCALE}s)")
        s.close()
    # Nothing but the first byte: detection waits no longer than a handshake.
    s = socket.create_connection(("127.0.0.1", d2.port), timeout=10 * SCALE)
    s.sendall(b"\x16\x03")
    t0 = time.monotonic()
    s.settimeout(hs * SCALE + 5 * SCALE)
    try:
        data = s.recv(100)
    except (socket.timeout, TimeoutError):
        data = None
    except ConnectionError:
        data = b""
    t.ok(data == b"" and time.monotonic() - t0 < hs * SCALE + 3 * SCALE,
         "a TLS record header then silence: closed within the timeout")
    s.close()
    c = TlsClient.connect(d2.port, cert="client")
    t.ok(c.call(cmd="PING").get("ok"), "after the cut-off the source may connect again")
    c.close()

    # --- non-loopback plaintext --------------------------------------------------------------------
    if have_nonloop:
        port = free_port()
        d3 = start(["--backend=direct", "--token-file", path("token"), "--listen", f"{NONLOOP}:{port}", *TLS_ARGS])
        c = pmtest.Client(socket.create_connection((NONLOOP, port), timeout=10 * SCALE,
                                                   source_address=(NONLOOP, 0)))
        r = c.call(cmd="PING", id=7)
        t.ok(err(r) == E + "AccessDenied" and r.get("msg") == "TLS required" and r.get("id") == 7,
             f"plaintext PING from {NONLOOP}: AccessDenied 'TLS required'", r)
        t.ok(c.at_eof(), "… and the connection is closed")
        c.close()
        c = pmtest.Client(socket.create_connection((NONLOOP, port), timeout=10 * SCALE,
                                                   source_address=(NONLOOP, 0)))
        r = c.call(cmd="START", argv=["sleep", "300"], token=TOKEN)
        t.eq(err(r), E + "AccessDenied", f"plaintext START with the right token from {NONLOOP}: refused")
        t.ok(c.at_eof(), "… closed")
        c.close()
        c = TlsClient.connect(port, host=NONLOOP, source=NONLOOP, name="localhost")
        c.sock.settimeout(10 * SCALE)
        t.ok(c.call(cmd="PING").get("ok"), f"TLS from {NONLOOP} is served")
        c.close()
        c = pmtest.Client(socket.create_connection(("127.0.0.1", d3.port), timeout=10 * SCALE))
        t.ok(c.call(cmd="PING").get("ok"), "plaintext from 127.0.0.1 to the same daemon is served")
        c.close()
        nport = free_port()
        start(["--backend=direct", "--token-file", path("token"), "--listen", f"{NONLOOP}:{nport}"])
        c = pmtest.Client(socket.create_connection((NONLOOP, nport), timeout=10 * SCALE,
                                                   source_address=(NONLOOP, 0)))
        t.ok(c.call(cmd="PING").get("ok"), f"control: without TLS configured, plaintext from {NONLOOP} is served")
        c.close()
    else:
        t.ok(True, "# SKIP non-loopback plaintext: needs root, unshare and ip for a network namespace")

    # --- systemd credentials -----------------------------------------------------------------------
    creds = path("creds")
    os.mkdir(creds, 0o700)
    for src, dst in (("server.pem", "tls-cert"), ("server.key", "tls-key"), ("ca.pem", "tls-client-ca")):
        shutil.copy(path(src), os.path.join(creds, dst))
    # As root: the key is root's alone (0600 in a 0700 directory) and the daemon runs as
    # nobody, so it can only have read the key before dropping privileges.
    old_umask = os.umask(0)     # so that nobody may send READY=1 to the harness's socket
    try:
        d5 = start(["--backend=direct"] + (["--user", "nobody"] if os.geteuid() == 0 else []),
                   env={"CREDENTIALS_DIRECTORY": creds})
    finally:
        os.umask(old_umask)
    c = TlsClient.connect(d5.port, cert="client")
    r = c.call(cmd="LIST", limit=1)
    t.ok(r.get("ok"), "credentials tls-cert, tls-key, tls-client-ca: client certificate authenticates", err(r))
    c.close()
    if os.geteuid() == 0:
        with open(f"/proc/{d5.pid}/status") as f:
            uid = [line.split()[1] for line in f if line.startswith("Uid:")][0]
        t.eq(uid, "65534", "the daemon serving TLS runs as nobody (the root-only key was read before the drop)")

    # --- start failures ------------------------------------------------------------------------------
    with open(path("garbage.pem"), "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    cases = [
        ("a missing certificate", ["--tls-cert", path("nonexistent.pem"), "--tls-key", path("server.key")],
         "Cannot read TLS certificate"),
        ("a broken certificate", ["--tls-cert", path("garbage.pem"), "--tls-key", path("server.key")],
         "not a usable PEM certificate"),
        ("a key of another certificate", ["--tls-cert", path("server.pem"), "--tls-key", path("client.key")],
         "does not match"),
        ("a certificate as the key", ["--tls-cert", path("server.pem"), "--tls-key", path("server.pem")],
         "not an unencrypted PEM private key"),
        ("a missing client CA", ["--tls-cert", path("server.pem"), "--tls-key", path("server.key"),
                                 "--tls-client-ca", path("nonexistent-ca.pem")], "Cannot read TLS client CA"),
    ]
    for what, args, want in cases:
        p = subprocess.run([pmtest.PROCMGRD, "--listen", f"127.0.0.1:{free_port()}", "--backend=direct",
                            "--no-drop-privileges", *args], capture_output=True, text=True, timeout=20 * SCALE,
                           stdin=subprocess.DEVNULL)
        # The spawn helper (forked first) says that --no-drop-privileges keeps its privileges:
        # a notice of the development option, not part of the failure.
        lines = [x for x in (p.stdout + p.stderr).splitlines()
                 if x.strip() and "--no-drop-privileges: keeping every privilege" not in x]
        t.ok(p.returncode == 1 and len(lines) == 1 and want in lines[0] and KEY_MARK not in lines[0],
             f"{what}: the start fails (exit 1) with one clear line", lines)
    p = subprocess.run([pmtest.PROCMGRD, "--tls-cert", path("server.pem")], capture_output=True, text=True,
                       timeout=20 * SCALE, stdin=subprocess.DEVNULL)
    t.ok(p.returncode == 2 and "--tls-key" in p.stderr, "--tls-cert without --tls-key: usage error (exit 2)",
         p.stderr)

    for dd in daemons:
        t.ok(KEY_MARK not in dd.logtext() and TOKEN not in dd.logtext(), "no key or token in the daemon's log")
        break
finally:
    for pid in started:
        if not process_gone(pid):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
    for dd in daemons:
        dd.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
