#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# LOGS follow and WATCH's oom flag against a real systemd, journald and kernel: boots
# tests/sandbox.sh with the project's units (as test-scope.sh does) and runs
# follow-client.py inside it. TAP output; "1..0 # SKIP <reason>" when no sandbox can
# run here.

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
sandbox_setup follow

sandbox_units "$work/units" "$SOCK" follow-test-token $DAEMON_UNIT_ARGS || bail "cannot write the test units"
sandbox_boot "start sandbox $N"
ok "start sandbox $N"

in_sb "$PROCCTL" -U "$SOCK" ping >/dev/null 2>&1       # activates procmgrd
invocation=$(in_sb systemctl show -P InvocationID procmgrd.service)

# Bounded as a whole too (the client's loops have their own deadline).
"$SANDBOX" exec "$N" timeout $((300 * SCALE)) env PROCMGRD_TIMEOUT_SCALE="$SCALE" \
        python3 "$top_srcdir/tests/integration/follow-client.py" \
        "$SOCK" >"$work/client.out" 2>&1
rc=$?
while IFS= read -r line; do
        case $line in
        "PASS "*) ok "${line#PASS }" ;;
        "FAIL "*) not_ok "${line#FAIL }" ;;
        "TODO "*) tests=$((tests + 1)); echo "not ok $tests - ${line#TODO } # TODO" ;;
        *) diag "$line" ;;
        esac
done <"$work/client.out"
is "the client ran to its end" "$rc" 0

# ---- procctl logs -f under tmux: live lines, Ctrl-C ends it with exit 0 ------------------
if ! command -v tmux >/dev/null; then
        not_ok "procctl logs -f under tmux (tmux is not installed)"
        done_testing
        exit
fi
fifo=$work/tmux-follow-fifo   # this run's own: the sandbox shares /tmp with the host
in_sb sh -c "rm -f $fifo; mkfifo -m 666 $fifo"
reply=$(in_sb "$PROCCTL" -U "$SOCK" --json start --name tailme -- sh -c "echo before-follow; read x < $fifo; echo while-following; exec sleep 300")
is "start a process for logs -f" "$(json 'j["name"]' <<<"$reply")" tailme
pane_has() {
        in_sb tmux -L pmtest capture-pane -p -t pm | grep -q -- "$1"
}
in_sb tmux -L pmtest new-session -d -s pm -x 200 -y 50 \
        "$PROCCTL -U $SOCK logs -f tailme; echo PROCCTL-EXIT=\$?; sleep 30"
check "logs -f shows the backlog" retry pane_has before-follow
# Bounded: a process that is not there to read would hold the writer forever.
in_sb timeout $((10 * SCALE)) sh -c "echo go > $fifo"
check "logs -f shows a new line as it is written" retry pane_has while-following
in_sb tmux -L pmtest send-keys -t pm C-c
check "Ctrl-C ends logs -f with exit status 0" retry pane_has PROCCTL-EXIT=0
in_sb tmux -L pmtest kill-server 2>/dev/null
# One read of the FIFO only: a second open for reading races the writer's close (EOF).
in_sb "$PROCCTL" -U "$SOCK" stop tailme >/dev/null 2>&1
in_sb rm -f "$fifo"
# One daemon served the whole test: a crash would be hidden by socket activation starting
# another (and would read as lost records above).
is "procmgrd.service was never restarted (NRestarts)" "$(in_sb systemctl show -P NRestarts procmgrd.service)" 0
if [ "$(in_sb systemctl show -P InvocationID procmgrd.service)" != "$invocation" ]; then
        not_ok "one procmgrd invocation served the whole test"
        in_sb journalctl --no-pager -o cat -u procmgrd.service | tail -n 40 | diag
else
        ok "one procmgrd invocation served the whole test"
fi
done_testing
