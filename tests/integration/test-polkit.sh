#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Authorization of Unix-socket callers through a REAL polkitd, with our
# polkit/org.procmgr.policy and polkit/50-procmgr.rules, talking to the real
# procmgrd after its privilege drop to user 'procmgr' (so the policy's owner
# annotation is what lets it ask about other users' processes):
#  - nobody may LIST but not START (AccessDenied) without a rule;
#  - with a test rule granting nobody org.procmgr.start/.stop: START works, STOP of
#    its own started process works, STOP of a process procmgrd did not start
#    (org.procmgr.stop-any) and START as root (org.procmgr.start-as-user) stay denied;
#  - group procmgr-admin (50-procmgr.rules) grants stop-any;
#  - root is always allowed;
#  - polkitd gone: --admin-group decides (member allowed, non-member denied).
#
# Everything runs in a private mount namespace: a private system bus (dbus-daemon
# --system --address=...), polkitd on it, /usr/share/polkit-1/actions and /etc (for
# the rules and the users made by systemd-sysusers from procmgrd.sysusers) overlaid,
# so the host's files are untouched. Needs root. TAP output; skipped with
# "1..0 # SKIP <reason>" and exit 0 (tap-driver.sh reports exit 77 as ERROR) only
# when root, polkitd, dbus-daemon or the namespace tools are missing.

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
POLKITD=${POLKITD:-/usr/lib/polkit-1/polkitd}
# $PROCMGRD_WRAPPER (check-valgrind) is deliberately not used: what is asserted here is
# kernel state of the real process, and Debian 12's valgrind (3.19) lacks pidfd_open, so
# STOP and spawning behave differently under it. Waits still stretch with the scale.

if [ -z "${POLKITTEST_INNER:-}" ]; then
        [ "$(id -u)" -eq 0 ] || skip_all "needs root: runs polkitd and procmgrd as root in a private mount namespace"
        [ -x "$PROCMGRD" ] && [ -x "$PROCCTL" ] || skip_all "procmgrd or procctl not built ($PROCMGRD, $PROCCTL)"
        [ -x "$POLKITD" ] || skip_all "polkitd not installed ($POLKITD; apt-get install polkitd)"
        command -v dbus-daemon >/dev/null || skip_all "dbus-daemon not installed (apt-get install dbus)"
        for t in unshare setpriv systemd-sysusers busctl; do
                command -v $t >/dev/null || skip_all "$t not installed"
        done
        rerun_in_mount_namespace test-polkit POLKITTEST_INNER
fi

# ---------------------------------------------------------------------------
# Inside the namespace

PIDS=()                 # everything we started, killed in reverse order on exit
cleanup() {
        local i
        for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
                kill -CONT "${PIDS[$i]}" 2>/dev/null    # in case a test left one stopped
                kill -TERM "${PIDS[$i]}" 2>/dev/null
        done
        for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
                wait "${PIDS[$i]}" 2>/dev/null
        done
}
trap cleanup EXIT

bail() {
        echo "Bail out! $*"
        for f in "$T"/*.log; do
                echo "--- $f"
                tail -n 20 "$f"
        done | diag
        exit 1
}

# /etc overlay (users, rules) and actions overlay (our policy next to the host's).
mkdir -p "$T/ovl" "$T/actions"
mount -t tmpfs -o mode=0755 tmpfs "$T/ovl" &&
        mkdir -p "$T/ovl/upper" "$T/ovl/work" &&
        mount -t overlay -o "lowerdir=/etc,upperdir=$T/ovl/upper,workdir=$T/ovl/work" overlay /etc ||
        skip_all "cannot mount an overlay on /etc in a private mount namespace"
cp "$top_srcdir/polkit/org.procmgr.policy" "$T/actions/"
chmod 0644 "$T/actions/org.procmgr.policy"
mount -t overlay -o "lowerdir=$T/actions:/usr/share/polkit-1/actions" overlay /usr/share/polkit-1/actions ||
        skip_all "cannot overlay /usr/share/polkit-1/actions"
mkdir -p /etc/polkit-1/rules.d
install -m 0644 "$top_srcdir/polkit/50-procmgr.rules" /etc/polkit-1/rules.d/50-procmgr.rules
systemd-sysusers "$top_srcdir/systemd/procmgrd.sysusers" >"$T/sysusers.log" 2>&1 || bail "systemd-sysusers failed"

# A private system bus.
mkdir -p "$T/bus"
chmod 0755 "$T/bus"
dbus-daemon --system --nofork --nopidfile --address="unix:path=$T/bus/system_bus_socket" >"$T/dbus.log" 2>&1 &
PIDS+=($!)
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/bus/system_bus_socket"
bus_up() {
        [ -S "$T/bus/system_bus_socket" ] && busctl --system list >/dev/null 2>&1
}
retry bus_up || bail "private dbus-daemon did not come up"

POLKIT_PID=
polkit_named() {
        busctl --system status org.freedesktop.PolicyKit1 >/dev/null 2>&1
}
start_polkitd() {
        "$POLKITD" --no-debug >>"$T/polkitd.log" 2>&1 &
        POLKIT_PID=$!
        PIDS+=("$POLKIT_PID")
        retry polkit_named
}
stop_polkitd() {
        kill -TERM "$POLKIT_PID" 2>/dev/null
        wait "$POLKIT_PID" 2>/dev/null
        retry eval '! polkit_named'
}
start_polkitd || bail "polkitd did not take its bus name"

# procmgrd as root; it drops to 'procmgr' before it connects to the bus.
SOCK=$T/procmgrd.sock
"$PROCMGRD" --unix "$SOCK" --backend=direct --admin-group procmgr-admin --log-level debug \
        >"$T/procmgrd.log" 2>&1 </dev/null &
DAEMON=$!
PIDS+=("$DAEMON")
daemon_up() {
        "$PROCCTL" -U "$SOCK" --timeout 2 ping >/dev/null 2>&1 </dev/null
}
retry daemon_up || bail "procmgrd did not start"

# as_nobody ARGS...: procctl --json as uid/gid 65534 without groups; reply in $T/out, $rc.
as_nobody() {
        setpriv --reuid=65534 --regid=65534 --clear-groups \
                "$PROCCTL" -U "$SOCK" --timeout 20 --json "$@" >"$T/out" 2>"$T/err" </dev/null
        rc=$?
}
as_root() {
        "$PROCCTL" -U "$SOCK" --timeout 20 --json "$@" >"$T/out" 2>"$T/err" </dev/null
        rc=$?
}
# expect DESC ok|ERRORNAME: judge the last reply.
expect() {
        local desc=$1 want=$2 good
        if [ "$want" = ok ]; then
                grep -Eq '"ok": ?true' "$T/out" && good=1 || good=
        else
                grep -Eq '"ok": ?false' "$T/out" && grep -q "org.procmgr.Error.$want" "$T/out" && good=1 || good=
        fi
        if [ -n "$good" ]; then
                ok "$desc"
        else
                not_ok "$desc"
                { echo "wanted $want, rc $rc"; cat "$T/out" "$T/err"; tail -n 5 "$T/procmgrd.log"; } | diag
        fi
}
reply_pid() {
        sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' "$T/out"
}
uid_of() {
        sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null
}

# A process nobody owns that procmgrd did not start (STOP of it needs stop-any).
setpriv --reuid=65534 --regid=65534 --clear-groups sleep 300 </dev/null >/dev/null 2>&1 &
FOREIGN=$!
PIDS+=("$FOREIGN")

PM_UID=$(id -u procmgr)
if [ "$(uid_of "$DAEMON")" = "$PM_UID" ]; then
        ok "procmgrd runs as procmgr (uid $PM_UID) while it asks polkit"
else
        not_ok "procmgrd runs as procmgr (uid $PM_UID) while it asks polkit"
fi

# --- 1. No rule for nobody: the policy defaults (no for inactive/any sessions).
as_nobody list --limit 1
expect "nobody: LIST needs no authorization" ok
as_nobody start -- sleep 300
expect "nobody: START without authorization is AccessDenied" AccessDenied
if grep -q "polkit: org.procmgr.start denied for uid=65534" "$T/procmgrd.log"; then
        ok "the denial came from polkit, not from the fallback"
else
        not_ok "the denial came from polkit, not from the fallback"
        grep -i "polkit" "$T/procmgrd.log" | diag
fi
if grep -q "polkit check of .* failed" "$T/procmgrd.log"; then
        not_ok "polkit answered (no error such as a missing owner annotation)"
        grep "polkit check" "$T/procmgrd.log" | diag
else
        ok "polkit answered (no error such as a missing owner annotation)"
fi
as_root start -- sleep 300
expect "root: START is allowed" ok
ROOT_CHILD=$(reply_pid)
[ -n "$ROOT_CHILD" ] && PIDS+=("$ROOT_CHILD")

# --- 2. A test rule grants nobody start and stop (not stop-any, not start-as-user).
cat >/etc/polkit-1/rules.d/10-procmgr-test.rules <<'EOF'
polkit.addRule(function(action, subject) {
        if ((action.id == "org.procmgr.start" || action.id == "org.procmgr.stop") && subject.user == "nobody")
                return polkit.Result.YES;
});
EOF
chmod 0644 /etc/polkit-1/rules.d/10-procmgr-test.rules
# polkitd does not see new files below an overlay: restart it.
stop_polkitd && start_polkitd || bail "polkitd did not restart"

as_nobody start -- sleep 300
expect "nobody with the test rule: START is allowed" ok
NB_CHILD=$(reply_pid)
[ -n "$NB_CHILD" ] && PIDS+=("$NB_CHILD")
if [ -n "$NB_CHILD" ] && [ "$(uid_of "$NB_CHILD")" = 65534 ]; then
        ok "nobody's process runs as nobody"
else
        not_ok "nobody's process runs as nobody"
fi
as_nobody start --user root -- sleep 300
expect "nobody with the test rule: START as root (start-as-user) is AccessDenied" AccessDenied
# A second passwd entry for uid 65534 with group root is not nobody itself (start-as-user).
echo "nobody-alias:x:65534:0:alias:/:/usr/sbin/nologin" >>/etc/passwd
as_nobody start --user nobody-alias -- sleep 300
expect "nobody with the test rule: START as a same-uid alias with another group is AccessDenied" AccessDenied
sed -i '/^nobody-alias:/d' /etc/passwd
as_nobody stop "$FOREIGN"
expect "nobody with the test rule: STOP of a process procmgrd did not start (stop-any) is AccessDenied" \
        AccessDenied
# org.procmgr.stop covers one's own managed processes; another user's needs stop-any.
if [ -n "$ROOT_CHILD" ]; then
        as_nobody stop "$ROOT_CHILD"
        expect "nobody with the test rule: STOP of root's managed process (stop-any) is AccessDenied" \
                AccessDenied
else
        not_ok "nobody with the test rule: STOP of root's managed process (no process)"
fi
if [ -n "$NB_CHILD" ]; then
        as_nobody stop --signal KILL "$NB_CHILD"
        expect "nobody with the test rule: STOP of its own started process is allowed" ok
else
        not_ok "nobody with the test rule: STOP of its own started process is allowed (no process)"
fi

# The subject must still be the process that asked when the decision is made: its pid
# could be recycled otherwise. Two deterministic cases (python3 as a raw client that
# sends START and then waits, so we choose when it dies).
CLIENT='
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"{\"cmd\":\"START\",\"argv\":[\"sleep\",\"" + sys.argv[2].encode() + b"\"]}\n")
time.sleep(float(sys.argv[3]))'
# wait_log PATTERN...: bounded wait for a line in procmgrd's log matching one of them.
wait_log() {
        local p args=()
        for p in "$@"; do
                args+=(-e "$p")
        done
        retry grep -q "${args[@]}" "$T/procmgrd.log"
}
no_process() {
        if pgrep -x -f "sleep $1" >/dev/null; then
                PIDS+=($(pgrep -x -f "sleep $1"))
                return 1
        fi
        return 0
}
if [ -x /usr/bin/python3 ]; then
        # a) It dies while polkitd is thinking (polkitd stopped meanwhile): the answer
        #    (here: polkit's own error about the vanished pid) is void.
        kill -STOP "$POLKIT_PID"
        setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c "$CLIENT" "$SOCK" 307 30 &
        C=$!
        PIDS+=("$C")
        wait_log "pid=$C: START"
        sleep 0.2
        kill -KILL "$C"
        wait "$C" 2>/dev/null
        kill -CONT "$POLKIT_PID"
        if wait_log "pid=$C: peer process went away while polkit checked, denying org.procmgr.start"; then
                ok "peer gone while polkit checked: denied"
        else
                not_ok "peer gone while polkit checked: denied"
                tail -n 8 "$T/procmgrd.log" | diag
        fi
        check_desc="peer gone while polkit checked: nothing started"
        sleep 0.2
        if no_process 307; then ok "$check_desc"; else not_ok "$check_desc"; fi

        # b) It is gone before procmgrd even accepts the connection (procmgrd stopped).
        kill -STOP "$DAEMON"
        setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c "$CLIENT" "$SOCK" 308 0
        kill -CONT "$DAEMON"
        if wait_log "peer process start time unknown, denying org.procmgr.start" \
                    "peer process is gone, denying org.procmgr.start"; then
                ok "peer gone before accept: denied"
        else
                not_ok "peer gone before accept: denied"
                tail -n 8 "$T/procmgrd.log" | diag
        fi
        sleep 0.2
        if no_process 308; then ok "peer gone before accept: nothing started"; else not_ok "peer gone before accept: nothing started"; fi
fi

# --- 3. 50-procmgr.rules: group procmgr-admin gets every procmgr action.
gpasswd -a nobody procmgr-admin >/dev/null 2>&1 || usermod -a -G procmgr-admin nobody
as_nobody stop --timeout-ms 2000 "$FOREIGN"
expect "nobody in procmgr-admin: STOP of any process (stop-any) is allowed" ok
setpriv --reuid=65534 --regid=65534 --clear-groups sleep 300 </dev/null >/dev/null 2>&1 &
FOREIGN2=$!
PIDS+=("$FOREIGN2")

# --- 4. Root never needs polkit.
as_root stop --timeout-ms 2000 "$ROOT_CHILD"
expect "root: STOP is allowed" ok

# --- 5. polkitd gone: the --admin-group fallback decides.
stop_polkitd || bail "polkitd did not stop"
as_nobody start -- sleep 300
expect "polkit unreachable, nobody in --admin-group: START is allowed" ok
FB_CHILD=$(reply_pid)
[ -n "$FB_CHILD" ] && PIDS+=("$FB_CHILD")
if grep -q "polkit is not reachable" "$T/procmgrd.log"; then
        ok "the fallback is logged"
else
        not_ok "the fallback is logged"
fi
gpasswd -d nobody procmgr-admin >/dev/null 2>&1 || bail "cannot take nobody out of procmgr-admin"
as_nobody stop "$FOREIGN2"
expect "polkit unreachable, nobody not in --admin-group: STOP is AccessDenied" AccessDenied
as_root stop --timeout-ms 2000 "$FOREIGN2"
expect "polkit unreachable: root still may STOP" ok
[ -n "$FB_CHILD" ] && as_root stop --signal KILL "$FB_CHILD"

done_testing
