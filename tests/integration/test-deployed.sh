#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The production configuration, end to end, in the real-systemd sandbox: the project's
# units WITHOUT --no-drop-privileges, the sysusers file applied (user procmgr, group
# procmgr-admin, procmgr in systemd-journal), and the project's own polkit policy and
# rules. So procmgrd drops to user procmgr, connects to the bus as procmgr, and may
# only create scopes because 50-procmgr.rules says so; LOGS works through its journal
# group; a local non-root user is asked for authorization by polkit (and refused with
# no agent), and a member of procmgr-admin is allowed. TAP output; "1..0 # SKIP reason"
# when no sandbox can run here.

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
sandbox_setup deployed

sandbox_units "$work/units" "$SOCK" "" || bail "cannot write the test units"
sandbox_boot --polkit "start sandbox $N"
ok "sandbox with the project's units, polkit policy and rules"

as_nobody() {
        in_sb setpriv --reuid=65534 --regid=65534 --init-groups "$PROCCTL" -U "$SOCK" --json "$@" 2>/dev/null
}

# The system user, as `make install` and a boot create it (issue 15 item 10): the build
# tree installed into a staging root, its sysusers file put where systemd-sysusers looks
# (the instance's private /etc), and plain `systemd-sysusers`, without a file argument, as
# systemd-sysusers.service runs it. polkitd re-reads rules naming the user.
(unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
 make -C "$top_builddir" DESTDIR="$work/dest" install) >"$work/install.log" 2>&1 ||
        { tail -n 20 "$work/install.log" | diag; bail "make DESTDIR=… install failed"; }
sysusersdir=$(sed -n 's|^sysusersdir = ||p' "$top_builddir/Makefile" | head -n 1)
check "make install puts the sysusers file where systemd-sysusers reads (*.conf)" \
        eval 'ls "$work/dest$sysusersdir"/*.conf >/dev/null 2>&1'
check "plain systemd-sysusers (no file argument) creates procmgr from the installed file" \
        eval 'in_sb sh -c "mkdir -p /etc/sysusers.d && cp \"$work/dest$sysusersdir\"/*.conf /etc/sysusers.d/ &&
                systemd-sysusers" 2>&1 | diag; in_sb id -u procmgr >/dev/null'
PM_UID=$(in_sb id -u procmgr)
# At boot systemd-tmpfiles gives the journal to group systemd-journal (the sandbox masks
# that unit, since it would also clean the host's /tmp): do just that part, in the
# instance's private /run.
check "the journal belongs to group systemd-journal, as after a boot" \
        in_sb systemd-tmpfiles --create --prefix=/run/log/journal
check "... and polkit restarts with the user known" in_sb systemctl restart polkit.service

reply=$(pc ping)
is "the first connection activates procmgrd" "$(json 'j["msg"]' <<<"$reply")" pong
MAIN=$(in_sb systemctl show -P MainPID procmgrd.service)
is "procmgrd runs as user procmgr" "$(in_sb awk '/^Uid:/ { print $2, $3, $4 }' "/proc/$MAIN/status")" \
        "$PM_UID $PM_UID $PM_UID"
is "... holding no capability (the network front, issue 16)" \
        "$(in_sb awk '/^Cap(Prm|Eff|Bnd):/ { print $2 }' "/proc/$MAIN/status" | xargs)" \
        "0000000000000000 0000000000000000 0000000000000000"
is "... with no_new_privs and a seccomp filter" \
        "$(in_sb awk '/^(NoNewPrivs|Seccomp):/ { print $2 }' "/proc/$MAIN/status" | xargs)" "1 2"
# The privileged half: procmgr-spawn@.service, started through procmgr-spawn.socket by
# procmgrd's connection.
HUNIT=$(in_sb systemctl list-units --plain --no-legend 'procmgr-spawn@*.service' | awk '{ print $1; exit }')
check "procmgrd's connection started a procmgr-spawn@.service instance ($HUNIT)" [ -n "$HUNIT" ]
HELPER=$(in_sb systemctl show -P MainPID "$HUNIT")
is "only user procmgr may connect to procmgr-spawn.socket" \
        "$(in_sb stat -c '%U %a' /run/procmgr-spawn/spawn.sock)" "procmgr 600"
is "its spawn helper runs as user procmgr" "$(in_sb awk '/^Uid:/ { print $2, $3, $4 }' "/proc/$HELPER/status")" \
        "$PM_UID $PM_UID $PM_UID"
is "... holding CAP_KILL only in its effective set" \
        "$(in_sb awk '/^CapEff:/ { print $2 }' "/proc/$HELPER/status")" 0000000000000020
is "... CAP_KILL CAP_SETGID CAP_SETUID in its bounding set, CAP_DAC_OVERRIDE besides in its permitted set" \
        "$(in_sb awk '/^Cap(Prm|Bnd):/ { print $1, $2 }' "/proc/$HELPER/status" | xargs)" \
        "CapPrm: 00000000000000e2 CapBnd: 00000000000000e0"
is "INFO: backend systemd (the bus, as procmgr)" "$(pc info | json 'j["backend"]')" systemd

# START: StartTransientUnit as procmgr is allowed by 50-procmgr.rules only.
reply=$(pc start --name deployed --memory-max 64M -- sh -c 'echo deployed-hello; exec sleep 300')
pid=$(json 'j["pid"]' <<<"$reply")
unit=$(json 'j["unit"]' <<<"$reply")
is "START as root through the dropped daemon gets a scope" "$unit" "procmgr-deployed-$pid.scope"
is "... with MemoryMax" "$(in_sb systemctl show -P MemoryMax "$unit")" 67108864
is "... and the process runs as the caller (root)" "$(in_sb awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" 0
is "... with the helper's bounding set as its capabilities, never its CAP_DAC_OVERRIDE" \
        "$(in_sb awk '/^Cap(Prm|Eff|Bnd):/ { print $2 }' "/proc/$pid/status" | xargs)" \
        "00000000000000e0 00000000000000e0 00000000000000e0"
reply=$(pc status "$pid")
is "STATUS reads the scope's state over the bus" "$(json 'j["unit_state"]' <<<"$reply")" active/running
check "LOGS reads the process's output (procmgr is in systemd-journal)" \
        retry eval 'pc logs "$pid" | json "[l[\"message\"] for l in j[\"lines\"]]" | grep -q deployed-hello'

# 50-procmgr.rules grants user procmgr procmgr's scopes only (issue 16): another unit, or
# a verb STOP does not use, is refused (SIGCONT to running units: harmless either way).
as_procmgr_systemctl() {
        in_sb setpriv --reuid="$PM_UID" --regid="$(in_sb id -g procmgr)" --init-groups \
                systemctl --no-ask-password "$@" >"$work/sc.out" 2>&1
}
check "user procmgr may not kill units that are not procmgr's scopes" \
        eval '! as_procmgr_systemctl kill --signal=SIGCONT polkit.service && grep -Eqi "access denied|authentication required" "$work/sc.out"'
check "... nor restart procmgr's scope (a verb STOP does not use)" \
        eval '! as_procmgr_systemctl restart "$unit"'
check "... but may signal it (KillUnit, as STOP does)" as_procmgr_systemctl kill --signal=SIGCONT "$unit"

# polkit decides for local non-root users: nobody is asked to authenticate, which with no
# agent is a refusal; as a member of procmgr-admin, the rule allows it.
reply=$(as_nobody start -- sleep 300)
is "a local non-root user without authorization: START is AccessDenied" "$(json 'j["error"]' <<<"$reply")" \
        org.procmgr.Error.AccessDenied
reply=$(as_nobody stop "$pid")
is "... and STOP of root's process too" "$(json 'j["error"]' <<<"$reply")" org.procmgr.Error.AccessDenied
check "nobody joins procmgr-admin" eval 'in_sb gpasswd -a nobody procmgr-admin >/dev/null'
reply=$(as_nobody start --name admin -- sleep 300)
npid=$(json 'j["pid"]' <<<"$reply")
is "a procmgr-admin member may START" "$(json 'j["unit"]' <<<"$reply")" "procmgr-admin-$npid.scope"
is "... running as that member" "$(in_sb awk '/^Uid:/ { print $2 }' "/proc/$npid/status")" 65534
reply=$(as_nobody stop "$pid")
is "... and STOP root's process (stop-any)" "$(json 'j["stopped"]' <<<"$reply")" true
check "... whose scope is gone" retry eval '[ "$(in_sb systemctl show -P ActiveState "$unit")" != active ]'
reply=$(pc stop "$npid")
is "root stops the member's process" "$(json 'j["stopped"]' <<<"$reply")" true

check "the journal has procmgrd's records for the start" \
        eval 'in_sb journalctl -o cat --no-pager MESSAGE_ID=3a11ec9c07c14d6f92ae760166bd47da | grep -q "procmgr-deployed-$pid.scope"'

# --- issue 15 item 8: procmgr.slice bounds the threads of all managed processes ----------
is "procmgr.slice carries TasksMax=" "$(in_sb systemctl show -P TasksMax procmgr.slice)" 16384

# --- issue 10: the oom flag in the deployed configuration (cgroup v1) ----------------------
# The helper runs as user procmgr; cgroup.event_control is root's, mode 0200. It arms the
# OOM notification with CAP_DAC_OVERRIDE, raised for that one open: a memory hog in a
# scope with MemoryMax ends with oom:true on an open WATCH stream, and neither half logs
# that the notification could not be armed (which left only the late, racy read at exit).
oom_checks() {
        local hog hpid ev
        is "WATCH of the hog's name is open" "$(sed -n 's/^watch //p' "$work/oom.out" | json 'j["ok"]')" true
        hog=$(sed -n 's/^start //p' "$work/oom.out")
        hpid=$(json 'j["pid"]' <<<"$hog")
        is "START of a memory hog with MemoryMax=32M" "$(json 'j["unit"]' <<<"$hog")" "procmgr-oomhog-$hpid.scope"
        ev=$(sed -n 's/^event //p' "$work/oom.out")
        is "its exit is the OOM killer's SIGKILL" "$(json '(j["event"], j["exit"])' <<<"$ev")" "('exited', {'signal': 'KILL'})"
        is "... and the exited event carries oom: true" "$(json 'j.get("oom")' <<<"$ev")" true
        [ -n "$ev" ] || diag <"$work/oom.out"
        # Read once the exit is recorded: every line the START logged came before it.
        check "the journal has procmgrd's record of the hog's exit" \
                retry eval 'in_sb journalctl -o cat --no-pager MESSAGE_ID=9cb316d11798477d866ef9074afab208 PROCMGR_PID="$hpid" | grep -q .'
        in_sb journalctl -o cat --no-pager -p debug |
                grep -E "Cannot (watch .* for OOM kills|arm the OOM notification)" >"$work/oom-warn.out"
        check "no 'Cannot arm the OOM notification' / 'Cannot watch ... for OOM kills' line in the journal" \
                eval '! [ -s "$work/oom-warn.out" ]'
        diag <"$work/oom-warn.out"
        is "... and the helper holds CAP_KILL only in its effective set after arming it" \
                "$(in_sb awk '/^CapEff:/ { print $2 }' "/proc/$HELPER/status")" 0000000000000020
}
if in_sb test -d /sys/fs/cgroup/memory; then
        # The client: WATCH by name, then START the hog on a second connection, then the
        # stream's lines until its exit (bounded in count and time).
        cat >"$work/oom-client.py" <<'EOF'
import json, os, socket, sys, time
SCALE = float(os.environ.get("PROCMGRD_TIMEOUT_SCALE", "1") or 1)
deadline = time.monotonic() + 90 * SCALE


def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(90 * SCALE)
    s.connect(sys.argv[1])
    return s, s.makefile("rb")


w, wf = conn()
w.sendall(b'{"cmd": "WATCH", "name": "oomhog"}\n')
print("watch " + json.dumps(json.loads(wf.readline())), flush=True)
c, cf = conn()
# The hog bounds itself (as follow-client.py's): at most 2 GiB and 60 s, then exit 3, so
# a missing OOM kill fails the checks instead of hanging the run.
hog = ("import time\na = []\nend = time.monotonic() + 60\n"
       "while len(a) < 2048 and time.monotonic() < end: a.append(b'x' * (1 << 20))\nraise SystemExit(3)")
c.sendall((json.dumps({"cmd": "START", "name": "oomhog", "memory_max": 32 * 1024 * 1024,
                       "argv": ["python3", "-c", hog]}) + "\n").encode())
print("start " + json.dumps(json.loads(cf.readline())), flush=True)
for _ in range(20):
    if time.monotonic() > deadline:
        break
    e = json.loads(wf.readline())
    if e.get("event") in ("exited", "stopped"):
        print("event " + json.dumps(e), flush=True)
        break
EOF
        in_sb timeout $((120 * SCALE)) env PROCMGRD_TIMEOUT_SCALE="$SCALE" \
                python3 "$work/oom-client.py" "$SOCK" >"$work/oom.out" 2>&1
        oom_checks
else
        skip_checks "no v1 memory controller here (on v2 memory.events is read at exit)" oom_checks
fi

# --- issue 15 item 4: a derived name with newlines cannot forge the stream header --------
# A program named like a journald stdout stream header: identifier "procmgrd", then the
# unit, priority 1 and the forwarding flags. Its output must be recorded under the
# sanitized name, with the default priority.
evil_dir=$work/evil
mkdir -m 0755 "$evil_dir"
evil_name=$'procmgrd\nx\n1\n0\n0\n0\n0'
printf '#!/bin/sh\necho header-injection-marker-$$\nexec sleep 300\n' >"$evil_dir/$evil_name"
chmod 0755 "$evil_dir/$evil_name"
reply=$(pc start -- "$evil_dir/$evil_name")
epid=$(json 'j["pid"]' <<<"$reply")
is "START of a program whose name holds newlines: the derived name is sanitized" \
        "$(json 'j["name"]' <<<"$reply")" procmgrd_x_1_0_0_0_0
journal_fields() {
        in_sb journalctl -o json --no-pager "MESSAGE=header-injection-marker-$epid" |
                json '"%s %s" % (j["SYSLOG_IDENTIFIER"], j["PRIORITY"])'
}
check "its output reaches the journal" retry eval '[ -n "$(in_sb journalctl -o cat --no-pager "MESSAGE=header-injection-marker-$epid")" ]'
is "... recorded with the sanitized identifier and priority 6, not SYSLOG_IDENTIFIER=procmgrd PRIORITY=1" \
        "$(journal_fields)" "procmgrd_x_1_0_0_0_0 6"
[ -z "$epid" ] || pc stop "$epid" >/dev/null

# --- issue 15 item 9: the socket directory is systemd's ----------------------------------
# Another user made /run/procmgrd before the socket unit started (world-writable, with a
# socket of their own in it): systemd takes it over, root's again, mode 0755.
check "procmgrd.socket and .service stop" in_sb systemctl stop procmgrd.socket procmgrd.service
in_sb sh -c 'rm -rf /run/procmgrd && mkdir -m 0777 /run/procmgrd &&
        python3 -c "import socket; socket.socket(socket.AF_UNIX).bind(\"/run/procmgrd/procmgrd.sock\")" &&
        chown -R 65534:65534 /run/procmgrd'
check "procmgrd.socket starts over a /run/procmgrd another user made" in_sb systemctl start procmgrd.socket
is "... which is root's again, mode 0755" "$(in_sb stat -c '%U:%G %a' /run/procmgrd)" "root:root 755"
is "... and the socket in it is systemd's" "$(in_sb stat -c '%U %F' "$SOCK")" "root socket"
is "... and reaches procmgrd" "$(pc ping | json 'j["msg"]')" pong

# A symlink planted there (to a directory its maker controls) is not followed: the unit
# fails and nothing is bound in the target.
mkdir -m 0777 "$work/evil-run"
chown 65534:65534 "$work/evil-run"
in_sb systemctl stop procmgrd.socket procmgrd.service
in_sb sh -c "rm -rf /run/procmgrd && ln -s '$work/evil-run' /run/procmgrd && chown -h 65534:65534 /run/procmgrd"
check "procmgrd.socket refuses to start when /run/procmgrd is a symlink" eval '! in_sb systemctl start procmgrd.socket 2>/dev/null'
is "... and binds nothing in the link's target" "$(ls -A "$work/evil-run")" ""

# root's procctl refuses the default socket when its directory is another user's (here
# with a fake daemon of that user behind it), exit 2; the real one afterwards works.
in_sb sh -c 'rm -f /run/procmgrd && mkdir -m 0755 /run/procmgrd && chown 65534:65534 /run/procmgrd'
in_sb sh -c "setpriv --reuid=65534 --regid=65534 --clear-groups '$PROCMGRD' --unix /run/procmgrd/procmgrd.sock \
        --backend direct >'$work/fake.log' 2>&1 & fake=\$!
        for i in \$(seq 1 $((500 * SCALE))); do   # until it answers (nobody is not held to the check)
                setpriv --reuid=65534 --regid=65534 --clear-groups '$PROCCTL' ping >/dev/null 2>&1 && break
                sleep 0.01
        done
        '$PROCCTL' ping >'$work/fake-ping.out' 2>&1; echo \$? >'$work/fake-ping.rc'
        kill \$fake; wait \$fake" 2>/dev/null
is "root's procctl refuses the default socket in another user's /run/procmgrd (exit 2)" \
        "$(cat "$work/fake-ping.rc")" 2
check "... saying why" grep -q "unix:/run/procmgrd/procmgrd.sock: refusing to talk to it as root: /run/procmgrd is owned by uid 65534" \
        "$work/fake-ping.out"
in_sb rm -rf /run/procmgrd
check "procmgrd.socket starts again" in_sb systemctl start procmgrd.socket
is "... and root's procctl reaches procmgrd at the default path" "$(in_sb "$PROCCTL" --json ping | json 'j["msg"]')" pong

done_testing
