#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The privilege drop of the real procmgrd (src/helper/privileges.c), its privilege
# separation (issue 16) and what started processes inherit, read from /proc/<pid>/status:
#  - started as root, procmgrd forks its spawn helper (procmgr-spawn) and both become user
#    'procmgr' with the supplementary groups of procmgrd.sysusers; the helper keeps exactly
#    the keep-set (CapPrm = CAP_DAC_OVERRIDE|CAP_KILL|CAP_SETGID|CAP_SETUID, CapBnd the
#    same less CAP_DAC_OVERRIDE, CapEff = CAP_KILL, CapInh = CapAmb = 0), the network
#    front nothing (every set 0, NoNewPrivs 1, Seccomp 2),
#    and the kernel refuses it setuid(0), kill() of another user's process and
#    socket(AF_PACKET) (a hook of --enable-test-hooks builds);
#  - the helper killed: the front says so, START works again with a new one, and what was
#    started before stays listed and stoppable; helper and listener both gone: START fails
#    with a clear SpawnFailed, LIST still works;
#  - a process started as nobody holds no capability at all, has only fds 0-2, the
#    minimal environment, its own session; NoNewPrivs stays 0 and Seccomp is the
#    helper's, not the front's (HOUSE-STYLE section 6, option 1: nothing added for children);
#  - a process started as root gets exactly the helper's bounding set, so never the
#    helper's CAP_DAC_OVERRIDE (permitted only, for the v1 OOM notification);
#  - CAP_KILL works (STOP of another user's process), --user, a uid-0 service user,
#    --no-drop-privileges, and a daemon that is not root.
#
# Needs root. The 'procmgr' user is created by systemd-sysusers from our
# procmgrd.sysusers only inside a private mount namespace, on an overlay of /etc
# that disappears with the namespace: the host's /etc is never changed. TAP output;
# skipped with "1..0 # SKIP <reason>" and exit 0 (tap-driver.sh reports any non-zero
# exit status, 77 too, as ERROR).

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# $PROCMGRD_WRAPPER (check-valgrind) is deliberately not used: what is asserted here is
# kernel state of the real process, and Debian 12's valgrind (3.19) lacks pidfd_open, so
# STOP and spawning behave differently under it. Waits still stretch with the scale.
DAEMON_WRAPPER=()

if [ -z "${PRIVTEST_INNER:-}" ]; then
        [ "$(id -u)" -eq 0 ] || skip_all "needs root: starts procmgrd as root to watch it drop privileges"
        [ -x "$PROCMGRD" ] && [ -x "$PROCCTL" ] || skip_all "procmgrd or procctl not built ($PROCMGRD, $PROCCTL)"
        command -v unshare >/dev/null || skip_all "unshare (util-linux) not installed"
        command -v systemd-sysusers >/dev/null || skip_all "systemd-sysusers not installed"
        command -v setpriv >/dev/null || skip_all "setpriv (util-linux) not installed"
        rerun_in_mount_namespace test-privileges PRIVTEST_INNER
fi

# ---------------------------------------------------------------------------
# Inside the namespace

STARTED_PIDS=()
cleanup() {
        local p
        for p in "${STARTED_PIDS[@]}"; do
                kill -KILL "$p" 2>/dev/null
        done
        for p in "${DAEMON_PIDS[@]}"; do
                stop_daemon "$p"
        done
}
trap cleanup EXIT

# status_line PID FIELD: the value of "FIELD:" in /proc/PID/status, blanks squeezed.
status_line() {
        sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s '\t ' ' ' | sed 's/ *$//'
}
hex_and() {
        printf '%016x' $((0x$1 & 0x$2))
}

# The private /etc: an overlay whose upper layer is a tmpfs of this namespace.
mkdir -p "$T/ovl"
mount -t tmpfs -o mode=0755 tmpfs "$T/ovl" &&
        mkdir -p "$T/ovl/upper" "$T/ovl/work" &&
        mount -t overlay -o "lowerdir=/etc,upperdir=$T/ovl/upper,workdir=$T/ovl/work" overlay /etc ||
        skip_all "cannot mount an overlay on /etc in a private mount namespace"
if ! systemd-sysusers "$top_srcdir/systemd/procmgrd.sysusers" >"$T/sysusers.log" 2>&1; then
        echo "Bail out! systemd-sysusers failed on procmgrd.sysusers"
        diag <"$T/sysusers.log"
        exit 1
fi

PM_UID=$(id -u procmgr 2>/dev/null)
PM_GID=$(id -g procmgr 2>/dev/null)
check "procmgrd.sysusers creates user procmgr" [ -n "$PM_UID" ] && [ "$PM_UID" -ne 0 ]
check "procmgrd.sysusers creates group procmgr-admin" eval 'getent group procmgr-admin >/dev/null'
check "procmgrd.sysusers puts procmgr into systemd-journal (LOGS)" \
        eval 'id -nG procmgr | tr " " "\n" | grep -qx systemd-journal'

# What the keep-set must look like: CAP_KILL (5), CAP_SETGID (6), CAP_SETUID (7) —
# within whatever bounding set this test itself runs with — in the bounding set (KEEP),
# and CAP_DAC_OVERRIDE (1) besides in the permitted set only (KEEP_PRM).
MY_BND=$(status_line self CapBnd)
KEEP=$(hex_and 00000000000000e0 "$MY_BND")
KEEP_PRM=$(hex_and 00000000000000e2 "$MY_BND")
KEEP_EFF=$(hex_and 0000000000000020 "$MY_BND")
ZERO=0000000000000000

# start_daemon (tests/lib.sh): the direct backend, and a secret no child may inherit.
DAEMON_ENV=(PROCMGR_TEST_SECRET=do-not-inherit)
DAEMON_ARGS=(--backend=direct)
DAEMON_ATTEMPTS=6
# gone PID: PID has exited (or was never there).
gone() {
        ! kill -0 "$1" 2>/dev/null
}
gone_or_zombie() {
        gone "$1" || [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ]
}
# stop_daemon PID: SIGTERM, bounded wait, then SIGKILL.
stop_daemon() {
        kill -TERM "$1" 2>/dev/null || return 0
        retry gone "$1"
        kill -KILL "$1" 2>/dev/null
        wait "$1" 2>/dev/null
}

# start_child ARGS...: procctl --json start; sets $CPID (empty on failure).
start_child() {
        CPID=$("$PROCCTL" --timeout 10 --json "$@" </dev/null 2>"$T/start.err" |
                sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p')
        if [ -n "$CPID" ]; then
                STARTED_PIDS+=("$CPID")
        else
                diag <"$T/start.err"
        fi
}

# ---------------------------------------------------------------------------
# 1. The default: root → procmgr with the keep-set

# helper_of PID: the spawn helper procmgrd PID forked (its only child; the processes it
# starts are the helper's children, not the front's).
helper_of() {
        local c
        c=$(cat "/proc/$1/task/$1/children" 2>/dev/null)
        c=${c%% *}
        [ -n "$c" ] && echo "$c"
}
# ppid_of PID: its parent (field 4 of /proc/PID/stat, after the command name).
ppid_of() {
        local s
        s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
        s=${s##*) }
        set -- $s
        echo "$2"
}
# worker_of PID: the helper worker serving the front (the listener's child that is not a
# started process: the first one).
worker_of() {
        local l
        l=$(helper_of "$1") || return 1
        helper_of "$l"
}

# A process of another user the front must not be able to signal (the test hook).
setpriv --reuid=65534 --regid=65534 --clear-groups sleep 300 </dev/null >/dev/null 2>&1 &
HOOK_TARGET=$!
STARTED_PIDS+=("$HOOK_TARGET")
retry grep -qx sleep "/proc/$HOOK_TARGET/comm"
HOOKS=()
# Test builds (configure --enable-test-hooks, as tools/build.sh and .ci/run configure) know it.
if "$PROCMGRD" --test-hook-refusals 1 --version >/dev/null 2>&1; then
        HOOKS=(--test-hook-refusals "$HOOK_TARGET")
fi

if ! start_daemon main --no-auth --default-user nobody "${HOOKS[@]}"; then
        echo "Bail out! procmgrd did not start as root"
        exit 1
fi
MAIN=$DPID
MAIN_PORT=$PORT
MAIN_SOCK=$SOCK
retry helper_of "$MAIN"
HELPER=$(helper_of "$MAIN")
check "procmgrd forked its spawn helper" [ -n "$HELPER" ]

is "daemon: Uid is procmgr's (real, effective, saved, fs)" "$(status_line "$MAIN" Uid)" \
        "$PM_UID $PM_UID $PM_UID $PM_UID"
is "daemon: Gid is procmgr's" "$(status_line "$MAIN" Gid)" "$PM_GID $PM_GID $PM_GID $PM_GID"
is "daemon: supplementary groups are procmgr's own" \
        "$(status_line "$MAIN" Groups | tr ' ' '\n' | sort -n | xargs)" \
        "$(id -G procmgr | tr ' ' '\n' | sort -n | xargs)"
is "daemon: CapInh empty" "$(status_line "$MAIN" CapInh)" "$ZERO"
is "spawn helper: Uid is procmgr's" "$(status_line "$HELPER" Uid)" "$PM_UID $PM_UID $PM_UID $PM_UID"
is "spawn helper: CapInh empty" "$(status_line "$HELPER" CapInh)" "$ZERO"
is "spawn helper: CapPrm = CAP_DAC_OVERRIDE CAP_KILL CAP_SETGID CAP_SETUID" "$(status_line "$HELPER" CapPrm)" "$KEEP_PRM"
is "spawn helper: CapEff = CAP_KILL only (SETUID/SETGID are raised in the child)" \
        "$(status_line "$HELPER" CapEff)" "$KEEP_EFF"
is "spawn helper: CapBnd = the keep-set less CAP_DAC_OVERRIDE" "$(status_line "$HELPER" CapBnd)" "$KEEP"
is "spawn helper: CapAmb empty" "$(status_line "$HELPER" CapAmb)" "$ZERO"
check "spawn helper: not dumpable (its own uid, the front's, cannot read its environment)" \
        eval '! setpriv --reuid="$PM_UID" --regid="$PM_GID" --clear-groups cat "/proc/$HELPER/environ" >/dev/null 2>&1'
check "spawn helper logs the drop" grep -q "Dropped privileges: running as uid $PM_UID" "$T/main.log"
# The front: it parses the network, so it holds nothing (issue 16).
for f in CapPrm CapEff CapBnd CapAmb; do
        is "front: $f is zero" "$(status_line "$MAIN" $f)" "$ZERO"
done
is "front: NoNewPrivs 1" "$(status_line "$MAIN" NoNewPrivs)" 1
is "front: Seccomp 2 (a filter)" "$(status_line "$MAIN" Seccomp)" 2
check "front logs its drop" grep -q "Dropped all privileges: the network front runs as uid $PM_UID" "$T/main.log"
hook_checks() {
        check "front: setuid(0) refused by the kernel" grep -q "test hook: setuid(0): Operation not permitted" "$T/main.log"
        check "front: kill() of another user's process refused by the kernel" \
                grep -q "test hook: kill($HOOK_TARGET, 0): Operation not permitted" "$T/main.log"
        check "front: socket(AF_PACKET) refused by the kernel" \
                grep -Eq "test hook: socket\(AF_PACKET\): (Address family not supported|Operation not permitted)" "$T/main.log"
}
if [ ${#HOOKS[@]} -gt 0 ]; then
        hook_checks
else
        skip_checks "procmgrd built without --enable-test-hooks" hook_checks
fi

# A child as nobody, over TCP (--default-user nobody).
start_child -H "127.0.0.1:$MAIN_PORT" start -- sleep 300
NB=$CPID
check "START over TCP as nobody succeeds" [ -n "$NB" ]
nobody_child_checks() {
        is "nobody child: Uid 65534" "$(status_line "$NB" Uid)" "65534 65534 65534 65534"
        is "nobody child: groups are nobody's own, none of the daemon's" \
                "$(status_line "$NB" Groups | tr ' ' '\n' | sort -n | xargs)" "$(id -G nobody | tr ' ' '\n' | sort -n | xargs)"
        for f in CapInh CapPrm CapEff CapAmb; do
                is "nobody child: $f is zero" "$(status_line "$NB" $f)" "$ZERO"
        done
        is "nobody child: CapBnd is the helper's (inherited, documented)" "$(status_line "$NB" CapBnd)" "$KEEP"
        is "nobody child: NoNewPrivs 0 (not set: setuid programs keep working)" "$(status_line "$NB" NoNewPrivs)" 0
        is "nobody child: Seccomp as the helper's (no filter added, none of the front's)" \
                "$(status_line "$NB" Seccomp)" "$(status_line "$HELPER" Seccomp)"
        is "nobody child: no seccomp filter at all" "$(status_line "$NB" Seccomp)" 0
        # ld.so holds libraries open as fd 3+ for a moment after exec; an inherited fd stays.
        retry eval '[ "$(ls "/proc/$NB/fd" 2>/dev/null | sort -n | xargs)" = "0 1 2" ]'
        is "nobody child: only fds 0, 1, 2" "$(ls "/proc/$NB/fd" | sort -n | xargs)" "0 1 2"
        is "nobody child: minimal environment" \
                "$(tr '\0' '\n' <"/proc/$NB/environ" | sed 's/=.*//' | sort | xargs)" "HOME LOGNAME PATH SHELL USER"
        check "nobody child: nothing of the daemon's environment" \
                eval '! tr "\0" "\n" <"/proc/$NB/environ" | grep -q PROCMGR_TEST_SECRET'
        # Field 6 of stat (after the comm in parentheses) is the session id.
        is "nobody child: dumpable again (its /proc entry belongs to nobody)" "$(stat -c %u "/proc/$NB")" 65534
        is "nobody child: leads its own session" \
                "$(sed 's/.*) //' "/proc/$NB/stat" | cut -d' ' -f4)" "$NB"
}
if [ -n "$NB" ]; then nobody_child_checks; else not_run "nobody child not started" nobody_child_checks; fi

# A child as root: a uid-0 caller on the Unix socket, its own user.
start_child -U "$MAIN_SOCK" start -- sleep 300
RC=$CPID
check "START over the Unix socket as root succeeds" [ -n "$RC" ]
root_child_checks() {
        is "root child: Uid 0" "$(status_line "$RC" Uid)" "0 0 0 0"
        is "root child: CapEff = the helper's bounding set" "$(status_line "$RC" CapEff)" \
                "$(status_line "$HELPER" CapBnd)"
        is "root child: CapPrm = the daemon's bounding set" "$(status_line "$RC" CapPrm)" "$KEEP"
        is "root child: CapInh and CapAmb empty" \
                "$(status_line "$RC" CapInh) $(status_line "$RC" CapAmb)" "$ZERO $ZERO"
        is "root child: CAP_DAC_OVERRIDE (the helper's, permitted) in none of its sets" \
                "$(for f in CapInh CapPrm CapEff CapBnd CapAmb; do hex_and 2 "$(status_line "$RC" $f)"; echo; done | sort -u)" "$ZERO"
}
if [ -n "$RC" ]; then root_child_checks; else not_run "root child not started" root_child_checks; fi

# The service user itself may manage units: no process ever runs as it.
"$PROCCTL" -U "$MAIN_SOCK" --timeout 10 --json start --user procmgr -- sleep 300 >"$T/out" 2>&1 </dev/null
check "START as procmgrd's own user is refused (AccessDenied)" grep -q "AccessDenied" "$T/out"

# CAP_KILL: the dropped daemon stops a process of another user it did not start.
setpriv --reuid=65534 --regid=65534 --clear-groups sleep 300 </dev/null >/dev/null 2>&1 &
FOREIGN=$!
STARTED_PIDS+=("$FOREIGN")
retry grep -qx sleep "/proc/$FOREIGN/comm"     # setpriv has switched user and exec'd
"$PROCCTL" -U "$MAIN_SOCK" --timeout 10 stop --timeout-ms 2000 "$FOREIGN" >"$T/out" 2>&1 </dev/null
rc=$?
kill -KILL "$FOREIGN" 2>/dev/null
wait "$FOREIGN" 2>/dev/null
check "STOP of another user's process works after the drop (CAP_KILL)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || diag <"$T/out"
for p in $NB $RC; do
        "$PROCCTL" -U "$MAIN_SOCK" --timeout 10 stop --signal KILL "$p" >/dev/null 2>&1 </dev/null
done

# The helper killed mid-run (issue 16): the front logs it, the next START is served by a
# new worker, a process started before stays listed and stoppable.
start_child -U "$MAIN_SOCK" start -- sleep 300
BEFORE=$CPID
# The worker to kill is the one that started BEFORE (its parent), not a guess at the
# listener's children; and it must be the listener's child, i.e. a worker.
WORKER=
[ -n "$BEFORE" ] && WORKER=$(ppid_of "$BEFORE")
check "a worker of the helper serves the front" eval '[ -n "$WORKER" ] && [ "$(ppid_of "$WORKER")" = "$HELPER" ]'
lost_count() {
        grep -c "Lost the connection to the spawn helper" "$T/main.log"
}
helper_kill_checks() {
        local lost_before
        lost_before=$(lost_count)
        kill -KILL "$WORKER"
        # Ready when the front has noticed this loss (a new line, not an older one) and the
        # listener (a subreaper) has adopted the orphan.
        retry eval '[ "$(lost_count)" -gt "$lost_before" ]'
        check "helper killed: the front logs it" eval '[ "$(lost_count)" -gt "$lost_before" ]'
        retry eval '[ "$(ppid_of "$BEFORE")" = "$HELPER" ]'
        start_child -U "$MAIN_SOCK" start -- sleep 300
        check "helper killed: the next START works (a new worker)" [ -n "$CPID" ]
        "$PROCCTL" -U "$MAIN_SOCK" --timeout 10 --json status "$BEFORE" >"$T/out" 2>&1 </dev/null
        check "helper killed: what was started before is still known" grep -q '"ok": *true' "$T/out"
        # Nothing took it down with the worker (no parent-death signal, no group or cgroup
        # kill): it runs until the STOP below, adopted by the listener.
        check "helper killed: what was started before still runs, adopted by the listener" \
                eval '! gone_or_zombie "$BEFORE" && [ "$(ppid_of "$BEFORE")" = "$HELPER" ]'
        "$PROCCTL" -U "$MAIN_SOCK" --timeout 10 stop --timeout-ms 2000 "$BEFORE" >"$T/out" 2>&1 </dev/null
        rc=$?
        # Gone once its new parent (the helper's listener, a subreaper) has reaped it. That
        # parent reaps at once, possibly between the group's SIGTERM and the leader's own:
        # still a stop done (process-stop.c), never NoSuchProcess.
        check "helper killed: what was started before can still be stopped" eval '[ $rc -eq 0 ] && retry gone_or_zombie "$BEFORE"'
        if [ $rc -ne 0 ]; then
                diag <"$T/out"
                tail -n 30 "$T/main.log" | diag
        fi
        LAST=$CPID      # still running when the helper goes away for good
        # Listener and worker gone: nothing can bring privilege back to the front.
        kill -KILL "$HELPER" "$(worker_of "$MAIN")" 2>/dev/null
        retry eval '! kill -0 "$HELPER" 2>/dev/null || grep -q Z "/proc/$HELPER/stat"'
        "$PROCCTL" -U "$MAIN_SOCK" --timeout 30 --json start -- sleep 300 >"$T/out" 2>&1 </dev/null
        check "helper gone: START fails with SpawnFailed naming the helper" \
                eval 'grep -q SpawnFailed "$T/out" && grep -q "spawn helper" "$T/out"'
        grep -q SpawnFailed "$T/out" || diag <"$T/out"
        "$PROCCTL" -U "$MAIN_SOCK" --timeout 10 --json list >"$T/out" 2>&1 </dev/null
        check "helper gone: LIST still works" grep -q '"ok": *true' "$T/out"
        "$PROCCTL" -U "$MAIN_SOCK" --timeout 30 --json stop "$LAST" >"$T/out" 2>&1 </dev/null
        check "helper gone: STOP fails with a message naming the helper" grep -q "spawn helper" "$T/out"
        "$PROCCTL" -U "$MAIN_SOCK" --timeout 10 --json status "$LAST" >"$T/out" 2>&1 </dev/null
        check "helper gone: nothing started is lost (STATUS of a running process)" grep -q '"ok": *true' "$T/out"
}
if [ -n "$WORKER" ]; then helper_kill_checks; else not_run "no helper worker found" helper_kill_checks; fi
stop_daemon "$MAIN"

# ---------------------------------------------------------------------------
# 2. Other ways to start

# --user with an unknown user: refuse to run at all.
"$PROCMGRD" --listen 127.0.0.1:1 --backend=direct --user no-such-user-procmgr-test >"$T/nouser.log" 2>&1 </dev/null &
p=$!
retry gone $p
kill -TERM $p 2>/dev/null
wait $p
rc=$?
check "--user with an unknown user: exits with failure" [ $rc -ne 0 ] && grep -q "Cannot find user" "$T/nouser.log"

# A service user of uid 0 (the same path as a missing default 'procmgr'): stays uid 0,
# still drops to the keep-set.
rootuser_checks() {
        local h
        retry helper_of "$DPID"
        h=$(helper_of "$DPID")
        is "--user root: stays uid 0" "$(status_line "$DPID" Uid)" "0 0 0 0"
        is "--user root: helper capabilities still the keep-set" \
                "$(status_line "$h" CapPrm)/$(status_line "$h" CapEff)/$(status_line "$h" CapBnd)" \
                "$KEEP_PRM/$KEEP_EFF/$KEEP"
        is "--user root: the front, uid 0, still holds no capability" \
                "$(status_line "$DPID" CapPrm)/$(status_line "$DPID" CapEff)/$(status_line "$DPID" CapBnd)" \
                "$ZERO/$ZERO/$ZERO"
        check "--user root: says so in the log" grep -q "staying uid 0" "$T/rootuser.log"
}
if start_daemon rootuser --user root; then
        rootuser_checks
        stop_daemon "$DPID"
else
        not_run "--user root daemon did not start" rootuser_checks
fi

# --no-drop-privileges: everything kept, loudly.
nodrop_checks() {
        is "--no-drop-privileges: uid 0 and all capabilities kept" \
                "$(status_line "$DPID" Uid)/$(status_line "$DPID" CapEff)" "0 0 0 0/$(status_line self CapEff)"
        check "--no-drop-privileges: says so in the log" grep -q -- "--no-drop-privileges" "$T/nodrop.log"
}
if start_daemon nodrop --no-drop-privileges; then
        nodrop_checks
        stop_daemon "$DPID"
else
        not_run "--no-drop-privileges daemon did not start" nodrop_checks
fi

# Started without one of the keep-set (a narrower CapabilityBoundingSet=): runs with
# what it has, says so, and never gains anything.
if command -v capsh >/dev/null; then
        DAEMON_WRAPPER=(capsh --drop=cap_kill -- -c 'exec "$0" "$@"')
        start_daemon nokill || DPID=
        DAEMON_WRAPPER=()
fi
nokill_checks() {
        local h
        retry helper_of "$DPID"
        h=$(helper_of "$DPID")
        is "started without CAP_KILL: helper CapPrm/CapEff/CapBnd without it" \
                "$(status_line "$h" CapPrm)/$(status_line "$h" CapEff)/$(status_line "$h" CapBnd)" \
                "$(hex_and 00000000000000c2 "$MY_BND")/$ZERO/$(hex_and 00000000000000c0 "$MY_BND")"
        check "started without CAP_KILL: warns" grep -q "Started without cap_kill" "$T/nokill.log"
}
if [ -n "${DPID:-}" ] && [ -f "$T/nokill.log" ] && kill -0 "$DPID" 2>/dev/null; then
        nokill_checks
        stop_daemon "$DPID"
else
        not_run "daemon did not start" nokill_checks
        [ -f "$T/nokill.log" ] && diag <"$T/nokill.log"
fi

# Not root: nothing to drop; starting as another user is refused.
chmod 0777 "$T"
# start_daemon tries another port when the one picked is taken by a test running beside.
DAEMON_WRAPPER=(setpriv --reuid=65534 --regid=65534 --clear-groups)
start_daemon nonroot --backend=direct --no-auth || bail "the daemon as uid 65534 did not start"
DAEMON_WRAPPER=()
is "not root: capabilities untouched (none)" "$(status_line "$DPID" CapPrm)" "$ZERO"
check "not root: logs that there is nothing to drop" grep -q "Not started as root" "$T/nonroot.log"
"$PROCCTL" -H "127.0.0.1:$PORT" --timeout 10 --json start --user root -- sleep 300 >"$T/out" 2>&1 </dev/null
check "not root: START as root is refused (AccessDenied)" grep -q "AccessDenied" "$T/out"
stop_daemon "$DPID"

done_testing
