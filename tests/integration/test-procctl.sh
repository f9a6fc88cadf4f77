#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# procctl against the real procmgrd: every verb in human and --json form, the
# exit-status contract (0 ok, 1 error reply, 2 usage/connection error), the
# interactive menu over a pipe, and token authentication over TCP.
#
# Starts its own daemons (--listen on a free loopback port, --unix in a private
# directory; one with --no-auth, one with --token-file), waits for them by
# polling with a bounded number of pings, and kills only those daemon pids on
# exit. TAP output; skipped when the binaries are not built.

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# This test has never run the daemon through $PROCMGRD_WRAPPER.
DAEMON_WRAPPER=()

if [ ! -x "$PROCMGRD" ] || [ ! -x "$PROCCTL" ]; then
        skip_all "procmgrd or procctl not built ($PROCMGRD, $PROCCTL)"
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/test-procctl.XXXXXX") || exit 1
chmod 0755 "$T"   # started processes may run as nobody and get this as a path
STARTED_PIDS=()

cleanup() {
        local p
        # Processes this test started through the daemon, should an assertion have left
        # one behind: stop them through the daemon while it still runs.
        for p in "${STARTED_PIDS[@]}"; do
                "$PROCCTL" -U "$T/sock" --timeout 5 stop --signal KILL --timeout-ms 1000 "$p" \
                        >/dev/null 2>&1 </dev/null || true
        done
        for p in "${DAEMON_PIDS[@]}"; do
                kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
        done
        rm -rf "$T"
}
trap cleanup EXIT

# pc ARGS...: run procctl, stdin from /dev/null; sets $rc, output in $T/out and $T/err.
pc() {
        "$PROCCTL" --timeout 20 "$@" >"$T/out" 2>"$T/err" </dev/null
        rc=$?
}
# pc_in INPUT ARGS...: the same, with INPUT on stdin (a pipe).
pc_in() {
        local input=$1
        shift
        printf '%b' "$input" | "$PROCCTL" --timeout 20 "$@" >"$T/out" 2>"$T/err"
        rc=$?
}

# expect DESC RC [STDOUT-ERE [STDERR-ERE]]: judge the last pc run.
expect() {
        local desc=$1 want=$2 outre=${3-} errre=${4-} why=""

        if [ "$rc" -ne "$want" ]; then
                why="exit status $rc, wanted $want"
        elif [ -n "$outre" ] && ! grep -Eq -- "$outre" "$T/out"; then
                why="stdout does not match /$outre/"
        elif [ -n "$errre" ] && ! grep -Eq -- "$errre" "$T/err"; then
                why="stderr does not match /$errre/"
        fi
        if [ -z "$why" ]; then
                ok "$desc"
        else
                not_ok "$desc"
                { echo "$why"; head -n 20 "$T/out" | sed 's/^/stdout: /'; head -n 20 "$T/err" | sed 's/^/stderr: /'; } | diag
        fi
}

# One JSON object on one line with "ok" of the given value (true/false).
json_line_ok() {
        [ "$(wc -l <"$T/out")" -eq 1 ] && grep -Eq '^\{.*"ok": ?'"$1"'[,}]' "$T/out"
}

# As non-root the daemon cannot switch users; tell it so if it has the switch.
if [ "$(id -u)" -ne 0 ] && "$PROCMGRD" --help 2>&1 | grep -q -- --no-drop-privileges; then
        DAEMON_ARGS+=(--no-drop-privileges)
fi

# ---------------------------------------------------------------------------
# Daemon 1: TCP without authentication (development mode) + Unix socket

if ! start_daemon open --no-auth; then
        echo "Bail out! procmgrd --no-auth did not start"
        exit 1
fi
TCP=127.0.0.1:$PORT
OPEN_SOCK=$SOCK
# cleanup() stops leftovers through this socket.
ln -s "$OPEN_SOCK" "$T/sock"

# --- ping / describe
pc -H "$TCP" ping
expect "ping over TCP" 0 '^pong'
pc -U "$OPEN_SOCK" ping
expect "ping over the Unix socket" 0 '^pong'
# A relative -U is taken from the working directory (tools/run-dev.sh's banner uses one);
# the address shown is the absolute path.
PROCCTL_ABS=$(cd "$(dirname "$PROCCTL")" && pwd)/$(basename "$PROCCTL")
(cd "$(dirname "$OPEN_SOCK")" && exec "$PROCCTL_ABS" --timeout 20 -U "$(basename "$OPEN_SOCK")" ping) \
        >"$T/out" 2>"$T/err" </dev/null
rc=$?
expect "ping over a relative -U path" 0 "^pong from unix:/.*/$(basename "$OPEN_SOCK") "
pc -H "localhost:$PORT" ping
expect "-H localhost:PORT is accepted" 0 '^pong'
pc -H "$TCP" --json ping
expect "ping --json exits 0" 0
check "ping --json prints one reply line with ok:true and msg pong" \
        eval 'json_line_ok true && grep -q "\"pong\"" "$T/out"'
pc -H "$TCP" ping --json
check "--json is accepted after the command too" eval '[ $rc -eq 0 ] && json_line_ok true'
pc -H "$TCP" describe
expect "describe lists the commands" 0 'PING' ''
check "describe names START and STOP with arguments" \
        eval 'grep -Eq "^ *START" "$T/out" && grep -Eq "^ *STOP .*pid" "$T/out"'
pc -H "$TCP" --json describe
check "describe --json carries the interface name" \
        eval '[ $rc -eq 0 ] && json_line_ok true && grep -q "org.procmgr.Manager1" "$T/out"'

# --- list
pc -H "$TCP" list
expect "list prints the table header" 0 '^ *PID +USER +STATE +CPU% +RSS +THREADS +NAME +COMMAND$'
check "list ends with 'N processes listed (of TOTAL).'" \
        grep -Eq '^[0-9]+ process(es)? listed \(of [0-9]+\)\.$' "$T/out"
check "list shows this test's shell" grep -Eq "^ *$$ " "$T/out"
pc -H "$TCP" list --sort -cpu --limit 3
expect "list --sort -cpu --limit 3 lists 3" 0 '^3 processes listed \(of [0-9]+\)\.$'
check "list --limit 3 prints 3 rows" \
        eval '[ "$(grep -E "^ *[0-9]+ " "$T/out" | grep -vc " listed ")" -eq 3 ]'
pc -H "$TCP" list --sort rss
expect "list --sort rss" 0 'processes listed'
pc -H "$TCP" --json list --limit 2
check "list --json is one line with a processes array" \
        eval '[ $rc -eq 0 ] && json_line_ok true && grep -q "\"processes\"" "$T/out"'
pc -H "$TCP" list --sort no-such-field
expect "list --sort with an unknown field is an error reply (1)" 1 '' 'InvalidArgument'
# An unknown user is the same error for LIST as for START, not an empty list.
pc -H "$TCP" list --user nosuch-procctl-user
expect "list --user with an unknown user is an error reply (1)" 1 '' \
        "^procctl: unknown user 'nosuch-procctl-user' \(org\.procmgr\.Error\.InvalidArgument\)$"
pc -H "$TCP" start --user nosuch-procctl-user -- true
expect "start --user with an unknown user: the same error" 1 '' \
        "^procctl: unknown user 'nosuch-procctl-user' \(org\.procmgr\.Error\.InvalidArgument\)$"

# --- start / status / logs / stop of a process we start
pc -H "$TCP" start --name procctl-test --env PROCCTL_TEST=1 -- sleep 120
# Over TCP it runs as --default-user (nobody) when the daemon may switch users (issue 15 item 14).
if [ "$(id -u)" = 0 ]; then AS_USER=nobody; else AS_USER=$(id -un); fi
expect "start -- sleep 120 says the user it runs as" 0 "^Started PID [0-9]+ as $AS_USER (in unit [^ ]+|\\(no unit: direct backend\\))\$"
SPID=$(sed -nE 's/^Started PID ([0-9]+).*/\1/p' "$T/out")
if [ -n "$SPID" ]; then
        STARTED_PIDS+=("$SPID")
else
        SPID=999998
fi

pc -H "$TCP" status "$SPID"
expect "status of the started process" 0 "PID: $SPID\$"
check "status shows the command and that it is managed" \
        eval 'grep -Eq "Command: sleep 120$" "$T/out" && grep -Eq "Managed: yes$" "$T/out"'
pc -H "$TCP" --json status "$SPID"
check "status --json has the process object" \
        eval '[ $rc -eq 0 ] && json_line_ok true && grep -q "\"process\"" "$T/out"'
pc -H "$TCP" list --managed
expect "list --managed includes it" 0 "^ *$SPID .*sleep 120"
pc -H "$TCP" list --name sleep
expect "list --name sleep includes it" 0 "^ *$SPID "

pc -H "$TCP" logs --lines 5 "$SPID"
# The journal may be out of reach where no journald runs; then the daemon answers with an
# error reply, which must still come out as exit 1 with a named error.
if [ "$rc" -eq 0 ]; then
        ok "logs PID (exit 0)"
else
        expect "logs PID without a journal is an error reply" 1 '' '^procctl: .+ \(org\.procmgr\.Error\.[A-Za-z]+\)$'
fi

pc -H "$TCP" stop --timeout-ms 3000 "$SPID"
expect "stop the started process" 0 "^Stopped PID $SPID"
if [ "$rc" -eq 0 ]; then
        STARTED_PIDS=()
fi
pc -H "$TCP" status "$SPID"
expect "status of a stopped process is NoSuchProcess (1)" 1 '' 'NoSuchProcess'

# --- error replies: exit 1 with "procctl: MSG (ERROR)"
pc -H "$TCP" stop 999999
expect "stop 999999 exits 1" 1 '' '^procctl: .+ \(org\.procmgr\.Error\.NoSuchProcess\)$'
pc -H "$TCP" --json stop 999999
check "stop --json 999999 prints the error reply and exits 1" \
        eval '[ $rc -eq 1 ] && json_line_ok false && grep -q NoSuchProcess "$T/out"'
pc -H "$TCP" status 999999
expect "status 999999 exits 1" 1 '' 'NoSuchProcess'

# --- info
pc -H "$TCP" info
expect "info" 0 '^ *Hostname: .+'
check "info shows memory, CPUs and uptime" \
        eval 'grep -Eq "^ *Memory: .+ used of .+" "$T/out" && grep -Eq "^ *CPUs: [0-9]+" "$T/out" && grep -Eq "^ *Uptime: " "$T/out"'
pc -H "$TCP" --json info
check "info --json" eval '[ $rc -eq 0 ] && json_line_ok true && grep -q "\"memory\"" "$T/out"'

# --- usage errors: exit 2
pc -H "$TCP" frobnicate
expect "unknown command exits 2" 2 '' 'unknown command'
pc -H "$TCP" stop
expect "stop without PID exits 2" 2
pc -H "$TCP" stop notapid
expect "stop with a non-numeric PID exits 2" 2 '' 'invalid PID'
pc -H "$TCP" list --bogus
expect "unknown option exits 2" 2 '' 'unrecognized option'
# The argument count is checked once, from the verb table, with one message per verb.
pc -H "$TCP" ping extra
expect "ping with an argument exits 2" 2 '' "^procctl: 'ping' takes no arguments \(got 'extra'\)$"
pc -H "$TCP" list --managed extra
expect "list with an argument exits 2" 2 '' "'list' takes no arguments"
pc -H "$TCP" status 1 2
expect "status with two PIDs exits 2" 2 '' "^procctl: 'status' needs exactly one PID$"
pc -H "$TCP" stop --signal KILL
expect "stop with options but no PID exits 2" 2 '' "'stop' needs exactly one PID"
pc -H "$TCP" logs
expect "logs without PID or --unit exits 2" 2 '' "'logs' needs a PID or --unit UNIT"
pc -H "$TCP" logs --unit x.scope 1
expect "logs with a PID and --unit exits 2" 2 '' "'logs' takes either a PID or --unit, not both"
pc -H "$TCP" status --json 12x
expect "status with a bad PID after an option exits 2" 2 '' "status: invalid PID '12x'"
pc -H "$TCP" start
expect "start without a command exits 2" 2 '' "'start' needs a command"
pc -H "$TCP" start --memory-max lots -- true
expect "start --memory-max with a bad size exits 2" 2
pc -H "$TCP" -U "$OPEN_SOCK" ping
expect "-H together with -U exits 2" 2
pc -H "not-an-address" ping
expect "a non-numeric host exits 2" 2 '' 'invalid address'
pc --help
expect "--help exits 0" 0 'Usage: procctl'
pc --version
expect "--version exits 0" 0 'procctl'

# --- connection errors: exit 2
pc -H 127.0.0.1:1 ping
expect "refused connection exits 2" 2 '' 'cannot connect to 127\.0\.0\.1:1: Connection refused'
pc -U "$T/no-such.sock" ping
expect "missing Unix socket exits 2" 2 '' 'cannot connect'

# --- the menu over a pipe
pc_in '1\n6\n' -H "$TCP"
expect "menu: PING then EXIT" 0 'pong'
check "menu shows the numbered choices" \
        eval 'grep -q "1) PING" "$T/out" && grep -q "6) EXIT" "$T/out"'
pc_in '5\n2\n6\n' -H "$TCP"
expect "menu: INFO and LIST" 0 'Hostname:'
check "menu: LIST printed the table" grep -q 'processes listed' "$T/out"
pc_in '1\n' -H "$TCP"
expect "menu: end of input exits 0" 0 'pong'
pc_in '' -H "$TCP"
expect "menu: empty input exits 0" 0
pc_in '9\nfoo\n6\n' -H "$TCP"
expect "menu: invalid choices are reported, then EXIT" 0 '' 'invalid choice'
pc_in '3\nsleep 121\n6\n' -H "$TCP"
expect "menu: START asks for a command line" 0 '^Started PID [0-9]+|Started PID [0-9]+'
MPID=$(sed -nE 's/.*Started PID ([0-9]+).*/\1/p' "$T/out" | head -n 1)
if [ -n "$MPID" ]; then
        STARTED_PIDS+=("$MPID")
        pc_in "4\n$MPID\n6\n" -H "$TCP"
        expect "menu: STOP asks for a PID" 0 "Stopped PID $MPID"
        [ "$rc" -eq 0 ] && STARTED_PIDS=()
else
        not_ok "menu: STOP asks for a PID (no PID from START)"
fi
pc_in '4\n999999\n6\n' -H "$TCP"
expect "menu: an error reply does not end the menu" 0 '' 'NoSuchProcess'

# ---------------------------------------------------------------------------
# Daemon 2: TCP with a token

TOKEN="procctl-test-token-$$-$RANDOM$RANDOM"
printf '%s\n' "$TOKEN" >"$T/token"
printf 'wrong-%s\n' "$TOKEN" >"$T/wrong-token"
chmod 0600 "$T/token" "$T/wrong-token"

if start_daemon auth --token-file "$T/token"; then
        ATCP=127.0.0.1:$PORT

        pc -H "$ATCP" ping
        expect "token daemon: ping needs no token" 0 '^pong'
        pc -H "$ATCP" list
        expect "token daemon: list without token is AuthRequired (1)" 1 '' 'org\.procmgr\.Error\.AuthRequired'
        check "AuthRequired says what to type: --token-file FILE or PROCMGR_TOKEN_FILE" \
                eval 'grep -q -- "--token-file FILE" "$T/err" && grep -q "PROCMGR_TOKEN_FILE" "$T/err"'
        pc -H "$ATCP" --token-file "$T/token" list
        expect "token daemon: list with --token-file" 0 'processes listed'
        check "the token is printed nowhere" eval '! grep -qF "$TOKEN" "$T/out" "$T/err"'
        pc -H "$ATCP" --token-file "$T/wrong-token" list
        expect "token daemon: a wrong token is AccessDenied (1)" 1 '' 'org\.procmgr\.Error\.AccessDenied'
        check "the wrong token is printed nowhere" eval '! grep -qF "$TOKEN" "$T/out" "$T/err"'
        PROCMGR_TOKEN_FILE=$T/token pc -H "$ATCP" info
        expect "token daemon: \$PROCMGR_TOKEN_FILE is used" 0 'Hostname:'
        pc -H "$ATCP" --token-file "$T/no-such-token" list
        expect "unreadable token file exits 2" 2 '' 'token file'
        pc_in '2\n6\n' -H "$ATCP" --token-file "$T/token"
        expect "token daemon: the menu sends the token" 0 'processes listed'
else
        not_ok "procmgrd --token-file started"
fi

done_testing
