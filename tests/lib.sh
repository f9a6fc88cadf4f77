# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Shared by the shell integration tests (tests/integration/test-*.sh), sourced after
# "set -u -o pipefail": TAP output, the paths of the binaries, and starting the real
# procmgrd on a free loopback port. The Python tests have the same in tests/pmtest.py.
#
# Environment (read by tests/pmtest.py too; set by `make check-valgrind`):
#   PROCMGRD_WRAPPER        a command prefix, split on whitespace, put before
#                           "$PROCMGRD" by start_daemon (DAEMON_WRAPPER; a test that
#                           must not run the daemon through it empties DAEMON_WRAPPER)
#   PROCMGRD_TIMEOUT_SCALE  an integer the daemon waits are multiplied by ($SCALE)

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
top_srcdir=${top_srcdir:-$top}
top_builddir=${top_builddir:-$top}
PROCMGRD=${PROCMGRD:-$top_builddir/src/procmgrd}
PROCCTL=${PROCCTL:-$top_builddir/src/procctl}
SCALE=${PROCMGRD_TIMEOUT_SCALE:-1}
read -r -a DAEMON_WRAPPER <<<"${PROCMGRD_WRAPPER:-}"

# ---- TAP ----------------------------------------------------------------------------------

tests=0
failed=0
NOT_RUN=                # set by not_run: ok, check and is report "not ok" without looking
SKIP_REASON=            # set by skip_checks: ok, check and is report a numbered SKIP
# skipped DESC: the next test number as a TAP skip of DESC (SKIP_REASON says why).
skipped() {
        tests=$((tests + 1))
        echo "ok $tests - $* # SKIP $SKIP_REASON"
}
ok() {
        if [ -n "$SKIP_REASON" ]; then skipped "$*"; return; fi
        if [ -n "$NOT_RUN" ]; then not_ok "$* ($NOT_RUN)"; return; fi
        tests=$((tests + 1))
        echo "ok $tests - $*"
}
not_ok() {
        tests=$((tests + 1))
        failed=$((failed + 1))
        echo "not ok $tests - $*"
}
# diag [TEXT]: TEXT, or stdin, as TAP comment lines.
diag() {
        if [ $# -gt 0 ]; then
                sed 's/^/# /' <<<"$*"
        else
                sed 's/^/# /'
        fi
}
# check DESC COMMAND...: ok if COMMAND succeeds.
check() {
        local desc=$1
        shift
        if [ -n "$SKIP_REASON" ]; then skipped "$desc"; return; fi
        if [ -n "$NOT_RUN" ]; then not_ok "$desc ($NOT_RUN)"; return; fi
        if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
# is DESC GOT WANT: ok if GOT is WANT exactly; both shown on failure.
is() {
        if [ -n "$SKIP_REASON" ]; then
                skipped "$1"
        elif [ -n "$NOT_RUN" ]; then
                not_ok "$1 ($NOT_RUN)"
        elif [ "$2" = "$3" ]; then
                ok "$1"
        else
                not_ok "$1"
                printf "  got:      '%s'\n  expected: '%s'\n" "$2" "$3" | diag
        fi
}
# not_run REASON FUNCTION [ARG...]: every check of FUNCTION, a group of checks that an
# earlier failure made pointless, as "not ok DESC (REASON)", without running its
# commands (its arguments are still expanded, stderr discarded). So the plan never
# rests on a hand count of the checks that were skipped.
not_run() {
        local NOT_RUN=$1
        shift
        "$@" 2>/dev/null
}
# skip_checks REASON FUNCTION [ARG...]: every check of FUNCTION, a group this build or
# host cannot make, as a numbered "ok N - DESC # SKIP REASON", without running its
# commands (like not_run). The numbering and the plan stay right either way.
skip_checks() {
        local SKIP_REASON=$1
        shift
        "$@" 2>/dev/null
}
# bail REASON: stop the whole test as failed (TAP "Bail out!").
bail() {
        echo "Bail out! $*"
        exit 1
}
# skip_all REASON: the whole test is skipped. Exit status 0: tap-driver.sh reports any
# other, 77 too, as ERROR.
skip_all() {
        echo "1..0 # SKIP $*"
        exit 0
}
# done_testing: the plan; the exit status says whether everything passed.
done_testing() {
        echo "1..$tests"
        [ "$failed" -eq 0 ]
}

# rerun_in_mount_namespace NAME VAR: run this test again in a private mount namespace
# (its mounts vanish with it) with VAR=1 and T set to a fresh directory (mode 0755,
# removed afterwards); exits with its exit status.
rerun_in_mount_namespace() {
        local rc
        T=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 1
        chmod 0755 "$T"
        env "$2=1" T="$T" unshare --mount --propagation private "$BASH" "${BASH_SOURCE[-1]}"
        rc=$?
        rm -rf "$T"
        exit $rc
}

now_ms() {
        local us=${EPOCHREALTIME//[!0-9]/}
        echo $((us / 1000))
}

# ---- procmgrd -----------------------------------------------------------------------------

DAEMON_PIDS=()          # started by start_daemon; the test stops them
DAEMON_ENV=()           # VAR=VALUE... for every daemon start_daemon starts
DAEMON_ARGS=()          # options put before the ARGS of start_daemon
DAEMON_ATTEMPTS=8       # ports tried when the one picked is taken

# start_daemon NAME ARGS...: procmgrd, through $DAEMON_WRAPPER, on a free 127.0.0.1 port
# and the Unix socket $T/NAME.sock, log in $T/NAME.log; sets $PORT, $SOCK and $DPID and
# adds DPID to DAEMON_PIDS. Ready once it answers a ping over TCP (bounded: 100 × 0.1 s
# × $SCALE). Returns 1, the log shown, if it did not come up.
start_daemon() {
        local name=$1 attempt i
        shift

        SOCK=$T/$name.sock
        for ((attempt = 1; attempt <= DAEMON_ATTEMPTS; attempt++)); do
                PORT=$((20000 + (RANDOM * 7 + attempt * 131) % 40000))
                env "${DAEMON_ENV[@]}" "${DAEMON_WRAPPER[@]}" "$PROCMGRD" \
                        --listen "127.0.0.1:$PORT" --unix "$SOCK" --state-directory "$T/$name.state" \
                        --runtime-directory "$T/$name.run" \
                        "${DAEMON_ARGS[@]}" "$@" \
                        >"$T/$name.log" 2>&1 </dev/null &
                DPID=$!
                for ((i = 0; i < 100 * SCALE; i++)); do
                        kill -0 "$DPID" 2>/dev/null || break
                        if "$PROCCTL" -H "127.0.0.1:$PORT" --timeout 2 ping >/dev/null 2>&1 </dev/null &&
                           [ -S "$SOCK" ]; then
                                DAEMON_PIDS+=("$DPID")
                                return 0
                        fi
                        sleep 0.1
                done
                if kill -0 "$DPID" 2>/dev/null; then
                        kill -TERM "$DPID" 2>/dev/null
                        wait "$DPID" 2>/dev/null
                        echo "procmgrd ($name) did not answer within $((10 * SCALE)) s" | diag
                        diag <"$T/$name.log"
                        return 1
                fi
                wait "$DPID" 2>/dev/null
                if ! grep -qi "address already in use" "$T/$name.log"; then
                        echo "procmgrd ($name) exited during startup" | diag
                        diag <"$T/$name.log"
                        return 1
                fi
        done
        echo "no free port found for procmgrd ($name)" | diag
        return 1
}

# ---- tests/sandbox.sh ---------------------------------------------------------------------

# sandbox_skip_if_wrapped: a sandbox runs procmgrd as a unit of its own systemd, never
# through $PROCMGRD_WRAPPER; a run that exists for the wrapper (make check-valgrind)
# would repeat the plain run's test at ten times its timeouts, so the test skips there.
sandbox_skip_if_wrapped() {
        [ ${#DAEMON_WRAPPER[@]} = 0 ] ||
                skip_all "the sandbox runs procmgrd as a unit, not through PROCMGRD_WRAPPER (${DAEMON_WRAPPER[0]}); the plain run covers this test"
}

# sandbox_started RC ERRFILE DESC: judge `"$SANDBOX" start` (exit status RC, its stderr
# in ERRFILE): skip the whole test when no sandbox can run here (77), bail out with
# "not ok DESC (rc=RC)" when it failed otherwise; returns when it started.
sandbox_started() {
        if [ "$1" = 77 ]; then
                skip_all "$(sed -n 's/^sandbox: //p' "$2" | head -n 1)"
        fi
        if [ "$1" != 0 ]; then
                sed 's/^/# /' "$2"
                not_ok "$3 (rc=$1)"
                echo "1..$tests"
                exit 1
        fi
}

# sanitizer_unit_env BINARY: for a unit that runs BINARY under a system-call filter, the
# [Service] line a sanitizer build needs: LeakSanitizer stops the world at exit with
# ptrace, which the unit's filter refuses (the front died "failed", procctl hung there).
# Leaks are checked where the suite runs the binaries itself, outside units.
sanitizer_unit_env() {
        if grep -qa __asan_init "$1" 2>/dev/null; then
                printf 'Environment=ASAN_OPTIONS=detect_leaks=0\n'
        fi
}

# sandbox_units DIR SOCK TOKEN [ARG...]: the project's units as test copies in DIR, for
# SDNS_UNITS: DefaultDependencies=no, the socket on 127.0.0.1:5050 and SOCK, ExecStart=
# the build tree's procmgrd with ARGs, the credential "token" set to TOKEN (none if "").
sandbox_units() {
        local units=$1 sock=$2 token=$3
        sandbox_skip_if_wrapped
        shift 3
        mkdir -p "$units/procmgrd.service.d" "$units/procmgrd.socket.d" "$units/procmgr.slice.d" || return
        cp "$top_srcdir/systemd/procmgrd.socket" "$top_srcdir/systemd/procmgr.slice" "$units/" || return
        if [ -f "$top_builddir/systemd/procmgrd.service" ]; then
                cp "$top_builddir/systemd/procmgrd.service" "$units/"
        else
                sed -e 's|@sbindir[@]|/usr/sbin|g' "$top_srcdir/systemd/procmgrd.service.in" >"$units/procmgrd.service"
        fi || return
        printf '[Unit]\nDefaultDependencies=no\n\n[Socket]\nListenStream=\nListenStream=127.0.0.1:5050\nListenStream=%s\n' \
                "$sock" >"$units/procmgrd.socket.d/test.conf"
        printf '[Unit]\nDefaultDependencies=no\n\n[Service]\nExecStart=\nExecStart=%s %s\n' \
                "$PROCMGRD" "$*" >"$units/procmgrd.service.d/test.conf"
        [ -z "$token" ] || printf 'SetCredential=token:%s\n' "$token" >>"$units/procmgrd.service.d/test.conf"
        # The hardened front sees a private /tmp and no /home (PrivateTmp=, ProtectHome=):
        # the build tree, wherever it is (a CI clone under /tmp), is bound in read-only.
        printf 'BindReadOnlyPaths=%s\n' "$(cd "$top_builddir" && pwd -P)" >>"$units/procmgrd.service.d/test.conf"
        # A sanitizer build: LeakSanitizer stops the world at exit with ptrace, which the
        # front's system-call filter (~@debug) refuses, and its exit would read as a failure.
        # (Leaks are checked where the suite runs the daemon itself, outside units.)
        sanitizer_unit_env "$PROCMGRD" >>"$units/procmgrd.service.d/test.conf"
        printf '[Unit]\nDefaultDependencies=no\n' >"$units/procmgr.slice.d/test.conf"
        # The privileged half (procmgr-spawn.socket, procmgr-spawn@.service), from the build.
        mkdir -p "$units/procmgr-spawn@.service.d" "$units/procmgr-spawn.socket.d" || return
        cp "$top_srcdir/systemd/procmgr-spawn.socket" "$units/" || return
        sed -e 's|@pkglibexecdir[@]|/usr/libexec/procmgr|g' "$top_srcdir/systemd/procmgr-spawn@.service.in" \
                >"$units/procmgr-spawn@.service" || return
        printf '[Unit]\nDefaultDependencies=no\n\n[Service]\nExecStart=\nExecStart=%s\n' \
                "$top_builddir/src/procmgr-spawn" >"$units/procmgr-spawn@.service.d/test.conf"
        printf '[Unit]\nDefaultDependencies=no\n' >"$units/procmgr-spawn.socket.d/test.conf"
        # --no-drop-privileges: the daemon as root with every capability, as it asks for
        # (the unit makes it the unprivileged user procmgr otherwise, who may not exist).
        case " $* " in
        *" --no-drop-privileges "*)
                printf 'User=root\nGroup=root\nCapabilityBoundingSet=~\n' >>"$units/procmgrd.service.d/test.conf"
                printf '\n[Socket]\nSocketUser=root\nSocketGroup=root\n' >>"$units/procmgr-spawn.socket.d/test.conf"
                ;;
        esac
}

# ---- the tests that boot the real-systemd sandbox (tests/sandbox.sh) -----------------------

# sandbox_setup NAME: SANDBOX, SDNS_BASE (exported), N (NAME-PID: the instance), SOCK (the
# units' Unix socket inside), work (a fresh 0755 directory) and DAEMON_UNIT_ARGS
# (--no-drop-privileges where procmgrd has it, for sandbox_units); at exit sandbox_cleanup
# stops the instance and removes work (a test with more to clean traps its own function,
# which calls sandbox_cleanup). The whole test is skipped when procmgrd or procctl is not
# built.
sandbox_setup() {
        SANDBOX=${SANDBOX:-$top/tests/sandbox.sh}
        export SDNS_BASE=${SDNS_BASE:-/var/tmp/procmgr-sandbox}
        N=$1-$$
        SOCK=/run/procmgrd/procmgrd.sock
        work=$(mktemp -d "${TMPDIR:-/tmp}/test-$1.XXXXXX") || exit 1
        chmod 755 "$work"
        trap sandbox_cleanup EXIT
        local f
        for f in "$PROCMGRD" "$PROCCTL"; do
                [ -x "$f" ] || skip_all "$f not built"
        done
        DAEMON_UNIT_ARGS=
        if "$PROCMGRD" --help 2>/dev/null | grep -q -- --no-drop-privileges; then
                DAEMON_UNIT_ARGS=--no-drop-privileges
        fi
}
sandbox_cleanup() {
        [ -d "$SDNS_BASE/$N" ] && "$SANDBOX" stop "$N" >/dev/null 2>&1
        rm -rf -- "$work"
}

# sandbox_boot [--polkit] DESC: boots instance N with the units of $work/units (written by
# sandbox_units; procmgrd.socket enabled, a network namespace of its own; --polkit: the
# project's polkit policy and rules too). Where no sandbox can run here the whole test is
# skipped; a failed boot is "not ok DESC" and the end of the test (sandbox_started).
sandbox_boot() {
        local polkit=()
        if [ "$1" = --polkit ]; then
                polkit=(SDNS_POLKIT_ACTIONS="$top_srcdir/polkit" SDNS_POLKIT_RULES="$top_srcdir/polkit")
                shift
        fi
        env SDNS_NET=1 SDNS_UNITS="$work/units" SDNS_ENABLE=procmgrd.socket "${polkit[@]}" \
                "$SANDBOX" start "$N" 2>"$work/start.err"
        sandbox_started $? "$work/start.err" "$1"
}

# sandbox_deploy_bus: deploy procmgrd inside instance N as a package would for the D-Bus
# API, one check each: the user (sysusers), the journal's group, polkit restarted with the
# user known, the bus policy and activation file, dbus-daemon reloaded. /etc inside is the
# instance's own overlay: the policy goes where an admin's would; the activation file's
# directory (the host's /usr stays untouched) is named by a snippet.
sandbox_deploy_bus() {
        check "systemd-sysusers creates procmgr" eval 'in_sb systemd-sysusers "$top_srcdir/systemd/procmgrd.sysusers" 2>&1 | diag'
        check "the journal belongs to group systemd-journal" in_sb systemd-tmpfiles --create --prefix=/run/log/journal
        check "polkit restarts with the user known" in_sb systemctl restart polkit.service
        mkdir -p "$work/services" && cp "$top_srcdir/dbus/org.procmgr1.service" "$work/services/"
        printf '<busconfig><servicedir>%s</servicedir></busconfig>\n' "$work/services" >"$work/zz-test-services.conf"
        check "the bus policy and activation file are in place" \
                in_sb sh -c "mkdir -p /etc/dbus-1/system.d && cp '$top_srcdir/dbus/org.procmgr1.conf' '$work/zz-test-services.conf' /etc/dbus-1/system.d/"
        check "dbus-daemon reloads its configuration" in_sb systemctl reload dbus.service
}

# in_sb COMMAND...: COMMAND inside instance N. pc ARGS...: procctl --json over SOCK there.
# (For the sandbox tests; a test may define its own.)
in_sb() {
        "$SANDBOX" exec "$N" "$@"
}
pc() {
        in_sb "$PROCCTL" -U "$SOCK" --json "$@"
}

# retry COMMAND...: run COMMAND every 10 ms until it succeeds, for at most 10 s (times
# $SCALE): for kernel, journal or manager state that has no event to wait on.
retry() {
        local deadline=$(($(now_ms) + 10000 * SCALE))
        [ -z "$NOT_RUN$SKIP_REASON" ] || return 1
        until "$@"; do
                [ "$(now_ms)" -lt $deadline ] || return 1
                sleep 0.01
        done
}

# json EXPR: evaluate a Python expression on the JSON document on stdin (bound to j);
# prints "" for None/missing, lower-case true/false, "<Error>" when it can't.
json() {
        python3 -c '
import json, sys
try:
    j = json.loads(sys.stdin.read())
    v = eval(sys.argv[1])
except Exception as e:
    v = "<%s>" % type(e).__name__
if v is None:
    v = ""
elif v is True or v is False:
    v = str(v).lower()
print(v)' "$1"
}
