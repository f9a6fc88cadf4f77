#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# procctl top against the real procmgrd (direct backend): without a terminal it prints
# one table; on a terminal (tmux: send-keys / capture-pane, bounded retries) it refreshes,
# changes the sort on a key and quits on 'q' with exit status 0. TAP output.

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

for f in "$PROCMGRD" "$PROCCTL"; do
        [ -x "$f" ] || skip_all "$f not built"
done
command -v tmux >/dev/null || skip_all "tmux is not installed"

T=$(mktemp -d "${TMPDIR:-/tmp}/test-top.XXXXXX") || exit 1
chmod 0755 "$T"
TMUX_SOCK=pmtest-top-$$
cleanup() {
        local p
        tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
        for p in "${DAEMON_PIDS[@]}"; do
                kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
        done
        rm -rf "$T"
}
trap cleanup EXIT

start_daemon top --no-auth --backend direct || bail "procmgrd did not start"

out=$("$PROCCTL" -U "$SOCK" top </dev/null 2>"$T/err")
rc=$?
is "top without a terminal exits 0" "$rc" 0
check "… and prints one table, sorted by cpu" grep -q "sorted by cpu" <<<"$out"
check "… with a header and process rows" grep -qE '^ +[0-9]+ ' <<<"$out"
is "… once (no screen control codes)" "$(grep -c $'\033' <<<"$out")" 0

pane() {
        tmux -L "$TMUX_SOCK" capture-pane -p -t top
}
pane_has() {
        pane | grep -q -- "$1"
}
tmux -L "$TMUX_SOCK" new-session -d -s top -x 160 -y 40 \
        "$PROCCTL -U $SOCK top; echo TOP-EXIT=\$?; sleep 60"
check "top on a terminal shows the table" retry pane_has "sorted by cpu"
check "… and the keys" retry pane_has "q quit"
tmux -L "$TMUX_SOCK" send-keys -t top m
check "'m' sorts by memory" retry pane_has "sorted by memory"
tmux -L "$TMUX_SOCK" send-keys -t top p
check "'p' sorts by pid" retry pane_has "sorted by pid"
tmux -L "$TMUX_SOCK" send-keys -t top q
check "'q' quits with exit status 0" retry pane_has "TOP-EXIT=0"
done_testing
