#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""procctl's remote paths against real components (issue 11 SSH and many hosts; issue 15
item 15; issue 12's procctl niceties): a real OpenSSH sshd on a loopback port with its
own sshd_config, host key and authorized_keys in a temporary directory (the machine's
ssh configuration is never read or changed; the sshd is the test's child and only its
pid is signalled), a real procmgrd on a Unix socket in the same directory, and
PROCCTL_REMOTE pointing at the built `procctl bridge -U` that socket."""

import json
import os
import pwd
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pmtest  # noqa: E402
from pmtest import PROCCTL, SCALE, Daemon, Tap, free_port, process_gone, skip_all, wait_for  # noqa: E402

SSHD = shutil.which("sshd", path="/usr/sbin:/usr/bin:/sbin:/bin")
SSH = shutil.which("ssh")
KEYGEN = shutil.which("ssh-keygen")
E = "org.procmgr.Error."

if os.geteuid() != 0:
    skip_all("needs root: sshd with privilege separation, logins as root and a test user")
if not (SSHD and SSH and KEYGEN):
    skip_all("OpenSSH (openssh-server, openssh-client) is not installed; tools/install-deps.sh installs it")

t = Tap()
tmp = tempfile.mkdtemp(prefix="pmtest-remote-")
os.chmod(tmp, 0o755)
procs = []          # (Popen) started here, stopped by pid at the end
created_user = None


def run(args, env=None, stdin=None, timeout=60):
    e = dict(base_env)
    e.update(env or {})
    return subprocess.run([PROCCTL] + args, env=e, input=stdin, capture_output=True, text=True,
                          timeout=timeout * SCALE)


def keygen(path):
    subprocess.run([KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "pmtest", "-f", path], check=True)


def start_sshd():
    """sshd -D -e on a free loopback port; ready once it says it listens (its own line on
    stderr), retried when the port was taken meanwhile."""
    for attempt in range(8):
        port = free_port()
        cfg = os.path.join(tmp, "sshd_config")
        with open(cfg, "w") as f:
            f.write(f"""ListenAddress 127.0.0.1
Port {port}
HostKey {tmp}/host_key
AuthorizedKeysFile {tmp}/authorized_keys
PidFile none
# The key files live in a temporary directory, not in the users' homes.
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
LogLevel INFO
""")
        p = subprocess.Popen([SSHD, "-D", "-e", "-f", cfg], stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20 * SCALE
        log = b""
        while time.monotonic() < deadline:
            r, _, _ = select.select([p.stderr], [], [], max(0.0, deadline - time.monotonic()))
            if not r:
                break
            d = os.read(p.stderr.fileno(), 4096)
            if not d:
                break
            log += d
            if b"Server listening on" in log:
                return p, port
        p.kill()
        p.wait()
        if b"Address already in use" not in log:
            raise RuntimeError(f"sshd did not start: {log.decode(errors='replace')}")
    raise RuntimeError("sshd: no free port")


def children(pid):
    """Direct children of pid (from /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return out


def bridges():
    """Live `procctl bridge` processes relaying to this test's socket."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if (argv[0].endswith(b"procctl") and b"bridge" in argv and d_sock.encode() in argv
                    and not process_gone(int(d))):
                out.append(int(d))
    return out


def uid_of(pid):
    with open(f"/proc/{pid}/status") as f:
        return int([line.split()[1] for line in f if line.startswith("Uid:")][0])


try:
    # /run/sshd: the privilege separation directory sshd insists on (what the package's
    # unit creates at boot); created empty when missing, nothing else on the machine.
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)

    keygen(os.path.join(tmp, "host_key"))
    keygen(os.path.join(tmp, "user_key"))
    keygen(os.path.join(tmp, "stranger_key"))
    shutil.copy(os.path.join(tmp, "user_key.pub"), os.path.join(tmp, "authorized_keys"))
    os.chmod(os.path.join(tmp, "authorized_keys"), 0o644)

    d = Daemon(["--backend=direct"], tcp=False)
    d_sock = d.unix_path
    os.chmod(d_sock, 0o666)  # the unprivileged test user reaches it as any local user would

    sshd, port = start_sshd()
    procs.append(sshd)
    dead = free_port()  # nothing listens there

    with open(os.path.join(tmp, "host_key.pub")) as f:
        hk = " ".join(f.read().split()[:2])
    with open(os.path.join(tmp, "known_hosts"), "w") as f:
        f.write(f"[127.0.0.1]:{port} {hk}\n")
    ssh_config = os.path.join(tmp, "ssh_config")
    with open(ssh_config, "w") as f:
        f.write(f"""Host *
  User root
  IdentityFile {tmp}/user_key
  IdentitiesOnly yes
  UserKnownHostsFile {tmp}/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout {10 * SCALE}
""")

    base_env = dict(os.environ)
    base_env.update({
        "PROCCTL_SSH": f"{SSH} -F {ssh_config}",
        "PROCCTL_REMOTE": f"{PROCCTL} bridge -U {d_sock}",
        "PROCCTL_CONFIG": "",           # the machine's procctl.conf stays out of it
        "HOME": tmp,
    })
    base_env.pop("PROCMGR_TOKEN_FILE", None)
    H = f"ssh://root@127.0.0.1:{port}"
    H2 = f"ssh://127.0.0.1:{port}"      # the same sshd, user from ssh_config: another host string
    DEAD = f"ssh://root@127.0.0.1:{dead}"

    # --- one host over ssh
    r = run(["-H", H, "ping"])
    t.eq(r.returncode, 0, "ping over ssh exits 0")
    t.ok(r.stdout.startswith(f"pong from {H} "), "ping over ssh answers pong, naming the ssh target", r.stdout + r.stderr)

    r = run(["-H", H, "--json", "start", "--", "sleep", "300"])
    t.eq(r.returncode, 0, "start over ssh as root exits 0")
    try:
        pid = json.loads(r.stdout)["pid"]
    except (ValueError, KeyError):
        pid = None
    t.ok(pid, "start over ssh replies with a pid", r.stdout + r.stderr)
    if pid:
        # The daemon saw the SSH login user through SO_PEERCRED: a Unix caller's process
        # runs as the caller, here root (the test's sshd logs in as root).
        t.eq(uid_of(pid), 0, "SO_PEERCRED through the bridge: the process runs as the ssh login user (root)")
        r = run(["-H", H, "status", str(pid)])
        t.ok(r.returncode == 0 and "root" in r.stdout, "status over ssh shows the process and its user", r.stdout + r.stderr)

    # --- an unprivileged login user, created for this test and removed after it
    useradd = shutil.which("useradd", path="/usr/sbin:/usr/bin:/sbin")
    if useradd:
        name = f"pmssh{os.getpid() % 100000}"
        ok = subprocess.run([useradd, "-M", "-d", "/", "-s", "/bin/sh", "-p", "*", name],
                            capture_output=True).returncode == 0
        if ok:
            created_user = name
            uid = pwd.getpwnam(name).pw_uid
            U = f"ssh://{name}@127.0.0.1:{port}"
            r = run(["-H", U, "--json", "list", "--limit", "1"])
            t.eq(r.returncode, 0, "an unprivileged ssh user may LIST (as any local user)")
            r = run(["-H", U, "--json", "start", "--", "sleep", "300"])
            try:
                rep = json.loads(r.stdout)
            except ValueError:
                rep = {}
            t.ok(r.returncode == 1 and rep.get("error") == E + "AccessDenied",
                 f"the same START as root is denied to the unprivileged ssh user (uid {uid}): "
                 "the daemon saw that uid, not the bridge's owner", r.stdout + r.stderr)
            if pid:
                r = run(["-H", U, "--json", "stop", str(pid)])
                t.ok(r.returncode == 1 and E + "AccessDenied" in r.stdout,
                     "the unprivileged ssh user may not STOP root's process", r.stdout + r.stderr)
        else:
            t.diag("useradd failed; the unprivileged-user checks are left out")

    # --- tokens: a default one stays home, an explicit one is sent
    tok = os.path.join(tmp, "token")
    with open(tok, "w") as f:
        f.write("not-this-daemons-token-0123456789\n")
    os.chmod(tok, 0o600)
    r = run(["-H", H, "--json", "list", "--limit", "1"], env={"PROCMGR_TOKEN_FILE": tok})
    t.ok(r.returncode == 0, "over ssh, $PROCMGR_TOKEN_FILE is not sent (a wrong one would be AccessDenied)",
         r.stdout + r.stderr)
    r = run(["-H", H, "--json", "--token-file", tok, "list", "--limit", "1"])
    t.ok(r.returncode == 1 and "invalid token" in r.stdout, "over ssh, an explicit --token-file is sent",
         r.stdout + r.stderr)

    # --- errors from ssh: one clear line, exit 2
    r = run(["-H", DEAD, "ping"])
    t.eq(r.returncode, 2, "unreachable ssh host exits 2")
    lines = r.stderr.splitlines()
    t.ok(len(lines) == 1 and lines[0].startswith(f"procctl: {DEAD}: ssh: connect to host 127.0.0.1 port {dead}")
         and "Connection refused" in lines[0],
         "unreachable ssh host: one line, ssh's own, prefixed by the host", r.stderr)

    stranger_config = os.path.join(tmp, "ssh_config_stranger")
    with open(ssh_config) as f, open(stranger_config, "w") as g:
        g.write(f.read().replace(f"{tmp}/user_key", f"{tmp}/stranger_key"))
    r = run(["-H", H, "ping"], env={"PROCCTL_SSH": f"{SSH} -F {stranger_config}"})
    lines = r.stderr.splitlines()
    t.ok(r.returncode == 2 and len(lines) == 1 and lines[0].startswith(f"procctl: {H}: ")
         and "Permission denied" in lines[0],
         "refused authentication: exit 2, ssh's 'Permission denied' line prefixed by the host", (r.returncode, r.stderr))

    r = run(["-H", H, "ping"], env={"PROCCTL_REMOTE": f"{PROCCTL} bridge -U {tmp}/no-such.sock"})
    t.ok(r.returncode == 2 and r.stderr.strip().endswith(f"cannot connect to unix:{tmp}/no-such.sock: No such file or directory"),
         "no daemon behind the remote bridge: exit 2, the bridge's own line", r.stderr)

    # A remote side that never answers (and leaves at end of input, unlike a daemon-less
    # sleep would): --timeout bounds it, and the message says so.
    t0 = time.monotonic()
    r = run(["-H", H, "--timeout", "2", "ping"], env={"PROCCTL_REMOTE": "sh -c 'cat >/dev/null'"})
    took = time.monotonic() - t0
    t.ok(r.returncode == 2 and r.stderr.strip() == f"procctl: no reply from {H}: timed out waiting for procmgrd"
         and took < 2 + 10 * SCALE, "a silent remote side: exit 2 after --timeout, 'timed out'", (took, r.stderr))

    r = run(["-H", "ssh://-oProxyCommand=touch${IFS}x@h", "ping"])
    t.ok(r.returncode == 2 and "invalid address" in r.stderr, "an ssh target that looks like an option is refused", r.stderr)

    # --- many hosts
    r = run(["-H", f"{H},{DEAD}", "-H", H2, "ping"])
    t.eq(r.returncode, 2, "three hosts, one dead: exit status is the worst (2)")
    out = r.stdout.splitlines()
    t.ok(any(l.startswith(f"{H}: ") and "pong" in l for l in out) and any(l.startswith(f"{H2}: ") and "pong" in l for l in out),
         "the live hosts' output is there, each line prefixed by its host", r.stdout)
    t.ok(not any(l.startswith(DEAD) for l in out) and any(l.startswith(f"{DEAD}: ") and "Connection refused" in l
                                                          for l in r.stderr.splitlines()),
         "the dead host's error is on stderr, prefixed by it", r.stderr)
    # Prefixes padded to the longest host: the columns of the rows line up.
    width = max(len(H), len(H2), len(DEAD)) + 2
    t.ok(all(len(l) > width and l[width - 1] == " " and l[width] != " " for l in out),
         "prefixes are padded to one width", r.stdout)

    r = run(["-H", f"{H},{DEAD},{H2}", "--json", "ping"])
    objs = []
    for l in r.stdout.splitlines():
        try:
            objs.append(json.loads(l))
        except ValueError:
            objs.append(None)
    t.ok(len(objs) == 2 and all(o and o.get("ok") is True for o in objs)
         and sorted(o["host"] for o in objs) == sorted([H, H2]),
         "--json: one reply line per live host, each with its host member", r.stdout)
    t.eq(r.returncode, 2, "--json with a dead host still exits 2")

    r = run(["-H", f"{H},{H2}", "status", "999999"])
    t.ok(r.returncode == 1, "an error reply from every host (and no dead one): exit 1", (r.returncode, r.stderr))
    r = run(["-H", f"{H},{H2}", "list", "--limit", "1"])
    t.ok(r.returncode == 0, "list on two hosts exits 0", (r.returncode, r.stderr))
    t.ok(sum(1 for l in r.stdout.splitlines() if l.split(": ", 1)[-1].lstrip().startswith("PID ")) == 2,
         "list on two hosts: each table's header row is prefixed by its host", r.stdout)

    r = run(["-H", f"{H},{H2}", "--parallel", "1", "ping"])
    t.ok(r.returncode == 0 and r.stdout.count("pong") == 2, "--parallel 1 still reaches every host",
         (r.returncode, r.stdout + r.stderr))
    r = run(["-H", f"{H},{H2}", "--parallel", "0", "ping"])
    t.eq(r.returncode, 2, "--parallel 0 is a usage error")
    r = run(["-H", f"{H},{H2}"], stdin="6\n")
    t.ok(r.returncode == 2 and "one host at a time" in r.stderr, "the menu refuses several hosts", r.stderr)

    # --- the interactive menu over ssh: one session for all choices
    count = os.path.join(tmp, "ssh-runs")
    wrapper = f"sh -c 'echo run >> {count}; exec \"$0\" \"$@\"' {SSH} -F {ssh_config}"
    r = run(["-H", H], stdin="1\n2\n6\n", env={"PROCCTL_SSH": wrapper})
    t.eq(r.returncode, 0, "menu over ssh exits 0 after EXIT")
    t.ok(f"procmgr @ {H}" in r.stdout and "pong from" in r.stdout and "listed (of" in r.stdout,
         "menu over ssh: PING and LIST answered", r.stdout[-2000:] + r.stderr)
    try:
        with open(count) as f:
            runs = len(f.read().splitlines())
    except OSError:
        runs = 0
    t.eq(runs, 1, "menu over ssh: one ssh session for both choices")

    # --- no leftovers: the client killed mid-session, the bridge and ssh go away
    e = dict(base_env)
    client = subprocess.Popen([PROCCTL, "-H", H], env=e, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    procs.append(client)
    client.stdin.write(b"1\n")
    client.stdin.flush()
    got = b""
    deadline = time.monotonic() + 30 * SCALE
    while b"pong" not in got and time.monotonic() < deadline:
        rr, _, _ = select.select([client.stdout], [], [], max(0.0, deadline - time.monotonic()))
        if not rr:
            break
        chunk = os.read(client.stdout.fileno(), 4096)
        if not chunk:
            break
        got += chunk
    t.ok(b"pong" in got, "menu session answered before the client is killed", got[-500:])
    ssh_pids = children(client.pid)
    live = bridges()
    t.ok(len(ssh_pids) == 1 and len(live) == 1, "one ssh child and one remote bridge while the session lasts",
         f"ssh {ssh_pids}, bridges {live}")
    client.kill()
    client.wait(10 * SCALE)
    t.ok(wait_for(lambda: all(process_gone(p) for p in ssh_pids + live), timeout=15),
         "client killed: its ssh and the remote bridge exit (no leftover processes)",
         f"ssh {ssh_pids}, bridges {live}")
    for p in ssh_pids:  # reparented to us or init; reap it if it is ours
        try:
            os.waitpid(p, os.WNOHANG)
        except ChildProcessError:
            pass

    # --- the bridge alone: exits when either side closes
    b = subprocess.Popen([PROCCTL, "bridge", "-U", d_sock], env=e, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    procs.append(b)
    try:
        # EOF right after the requests: both replies must still come.
        outb, errb = b.communicate(input=b'{"cmd":"PING","id":1}\nPING\n', timeout=10 * SCALE)
    except subprocess.TimeoutExpired:
        b.kill()
        outb, errb = b.communicate()
    rl = outb.decode().splitlines()
    t.ok(b.returncode == 0 and len(rl) == 2 and all(json.loads(x).get("ok") for x in rl),
         "bridge: stdin closed after two requests, both replies delivered, exit 0", (outb + errb).decode())

    d2 = Daemon(["--backend=direct", "--idle-timeout", "1"], tcp=False)
    b = subprocess.Popen([PROCCTL, "bridge", "-U", d2.unix_path], env=e, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    procs.append(b)
    try:
        b.wait(15 * SCALE)      # the daemon closes the idle connection after 1 s
        closed = True
    except subprocess.TimeoutExpired:
        closed = False
    t.ok(closed and b.returncode == 0, "bridge: the daemon closing (idle timeout) ends it while stdin stays open",
         b.returncode)
    b.stdin.close()
    d2.cleanup()

    r = subprocess.run([PROCCTL, "bridge", "-U", os.path.join(tmp, "nothing.sock")], env=e, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=10 * SCALE)
    t.ok(r.returncode == 2 and r.stderr.startswith("procctl: cannot connect to unix:"),
         "bridge without a daemon: exit 2 and one line", r.stderr)
    r = run(["-H", H, "bridge"])
    t.eq(r.returncode, 2, "bridge with -H is a usage error")

    # --- --no-legend, --no-pager
    r = run(["-H", H, "--no-legend", "--no-pager", "list", "--limit", "2"])
    lines = r.stdout.splitlines()
    t.ok(r.returncode == 0 and len(lines) == 2 and not any("PID" in l or "listed" in l for l in lines),
         "--no-legend: rows only, no header or summary (--no-pager accepted)", r.stdout + r.stderr)

    # --- the configuration file supplies the host(s); the command line wins
    conf = os.path.join(tmp, "procctl.conf")
    with open(conf, "w") as f:
        f.write(f"# test\nhost = {H}\nbogus = 1\n")
    r = run(["ping"], env={"PROCCTL_CONFIG": conf})
    t.ok(r.returncode == 0 and r.stdout.startswith(f"pong from {H} "), "procctl.conf 'host' is used", r.stdout + r.stderr)
    t.ok(f"{conf}:3: unknown key 'bogus', ignored" in r.stderr, "an unknown key is warned about with file:line", r.stderr)
    r = run(["-U", d_sock, "ping"], env={"PROCCTL_CONFIG": conf})
    t.ok(r.returncode == 0 and f"pong from unix:{d_sock}" in r.stdout, "-U on the command line wins over the file's host",
         r.stdout + r.stderr)
    with open(conf, "w") as f:
        f.write(f"hosts = {H}, {H2}\nparallel = 2\n")
    r = run(["--json", "ping"], env={"PROCCTL_CONFIG": conf})
    t.ok(r.returncode == 0 and len(r.stdout.splitlines()) == 2, "procctl.conf 'hosts' fans out", r.stdout + r.stderr)
    os.makedirs(os.path.join(tmp, "xdg", "procmgr"), exist_ok=True)
    with open(os.path.join(tmp, "xdg", "procmgr", "procctl.conf"), "w") as f:
        f.write(f"host = {H2}\n")
    ex = dict(base_env)
    ex.pop("PROCCTL_CONFIG")
    ex["XDG_CONFIG_HOME"] = os.path.join(tmp, "xdg")
    r = subprocess.run([PROCCTL, "ping"], env=ex, capture_output=True, text=True, timeout=60 * SCALE)
    t.ok(r.returncode == 0 and r.stdout.startswith(f"pong from {H2} "), "$XDG_CONFIG_HOME/procmgr/procctl.conf is read",
         r.stdout + r.stderr)

    # --- -H NAME: resolved with getaddrinfo, every address tried in order (issue 15 item
    # 15). A private mount namespace gives procctl its own /etc/hosts, where the name has
    # addresses that refuse before the one the daemon listens on.
    unshare = shutil.which("unshare")
    if unshare:
        d3 = Daemon(["--backend=direct", "--no-auth"], unix=False)
        hosts = os.path.join(tmp, "hosts")
        with open(hosts, "w") as f:
            f.write("::1 pmtest-multi\n127.0.0.2 pmtest-multi\n127.0.0.1 pmtest-multi\n")
        ns = [unshare, "-m", "--propagation", "private", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', hosts]
        r = subprocess.run(ns + [PROCCTL, "-H", f"pmtest-multi:{d3.port}", "ping"], env=base_env,
                           capture_output=True, text=True, timeout=60 * SCALE)
        if "mount" in r.stderr and r.returncode != 0 and "procctl" not in r.stderr:
            t.diag(f"no private mount namespace here: {r.stderr.strip()}")
        else:
            t.ok(r.returncode == 0 and r.stdout.startswith(f"pong from pmtest-multi:{d3.port} "),
                 "-H NAME:PORT: the name resolves, refused addresses are skipped, the listening one answers",
                 r.stdout + r.stderr)
            r = subprocess.run(ns + [PROCCTL, "-H", f"pmtest-multi:{dead}", "ping"], env=base_env,
                               capture_output=True, text=True, timeout=60 * SCALE)
            t.ok(r.returncode == 2 and f"cannot connect to pmtest-multi:{dead}: Connection refused" in r.stderr,
                 "-H NAME:PORT with no address listening: exit 2, the last address's error", r.stderr)
        d3.cleanup()
    r = run(["-H", "nothing.invalid", "ping"])
    t.ok(r.returncode == 2 and "invalid address 'nothing.invalid': cannot resolve host name" in r.stderr,
         "-H with a name that does not resolve: exit 2, says so", r.stderr)

    if pid:
        run(["-H", H, "stop", str(pid)])
finally:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
    if created_user:
        subprocess.run(["userdel", created_user], capture_output=True)
    try:
        d.cleanup()
    except NameError:
        pass
    shutil.rmtree(tmp, ignore_errors=True)

t.done()
