#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Shell completion (issue 12): sources shell-completion/bash/procctl in bash, sets
# COMP_WORDS/COMP_CWORD as readline would, calls _procctl and checks COMPREPLY: verbs,
# global and per-verb options, signal names, and the pid, name and unit of a process
# a real daemon (started here, direct backend) manages, fetched by the script's own
# `procctl --json list --managed` through the -U the command line names. The zsh
# script is checked for syntax with zsh -n when zsh is installed. TAP output.

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
BASH_COMPLETION_SCRIPT=$top_srcdir/shell-completion/bash/procctl
ZSH_COMPLETION_SCRIPT=$top_srcdir/shell-completion/zsh/_procctl

T=$(mktemp -d "${TMPDIR:-/tmp}/test-completion.XXXXXX") || exit 1
chmod 755 "$T"
started=()
cleanup() {
        local p
        for p in "${started[@]}"; do "$PROCCTL" -U "$SOCK" stop -s KILL "$p" >/dev/null 2>&1; done
        for p in "${DAEMON_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
        rm -rf -- "$T"
}
trap cleanup EXIT

for f in "$PROCMGRD" "$PROCCTL"; do
        [ -x "$f" ] || skip_all "$f not built"
done

# complete WORD...: COMPREPLY (sorted, one line) for the command line WORD... with the
# cursor in the last word, in a fresh bash that sourced the script.
complete_words() {
        bash -c '
                __procctl_cmd=$1; shift
                . "$BASH_COMPLETION_SCRIPT" || exit 9
                COMP_WORDS=("$@")
                COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                COMP_LINE="$*"
                COMP_POINT=${#COMP_LINE}
                _procctl procctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
                printf "%s\n" "${COMPREPLY[@]}" | sort -u | tr "\n" " " | sed "s/ \$//"
        ' complete "$PROCCTL" "$@"
}
export BASH_COMPLETION_SCRIPT

is "the script registers _procctl for procctl" \
        "$(bash -c '. "$BASH_COMPLETION_SCRIPT"; complete -p procctl')" "complete -F _procctl procctl"

# ---- without a daemon: verbs, options, signal names ------------------------------------------
is "verbs" "$(complete_words procctl "")" "describe help info list logs metrics ping start status stop"
is "verbs by prefix" "$(complete_words procctl st)" "start status stop"
is "verbs after global options" "$(complete_words procctl -U /x --json me)" "metrics"
is "global options" "$(complete_words procctl --t)" "--timeout --token-file"
is "list's options" "$(complete_words procctl list --)" \
        "--help --host --json --limit --managed --name --sort --timeout --token-file --unix --user --version"
is "metrics' options" "$(complete_words procctl metrics --h)" "--help --host --http"
is "signal names after --signal" "$(complete_words procctl stop --signal K)" "KILL"
is "signal names with SIG" "$(complete_words procctl stop -s SIGH)" "SIGHUP"
is "signal names, all TERM-like" "$(complete_words procctl stop --signal TE)" "TERM"
is "sort fields" "$(complete_words procctl list --sort -r)" "-rss"
is "commands after start --" "$(complete_words procctl start --name x -- bas)" "$(compgen -c -- bas | sort -u | tr '\n' ' ' | sed 's/ $//')"
is "no PID list when the daemon cannot be reached (bounded, quiet)" \
        "$(complete_words procctl -U "$T/nosuch.sock" stop "")" ""

# ---- with a daemon: pids, names, units from a quick LIST -----------------------------------
start_daemon completion --backend direct || bail "procmgrd did not start"
reply=$("$PROCCTL" -U "$SOCK" --json start --name napper -- sleep 300)
pid=$(json 'j["pid"]' <<<"$reply")
[ -n "$pid" ] && started+=("$pid")
check "a managed process to complete ($pid)" test -n "$pid"
# A loaded machine (make -j2 check beside other work) may need more than the 1 s a user
# gets; the bound itself is checked against a mute daemon below, with the default.
export PROCCTL_COMPLETION_TIMEOUT=$((10 * SCALE))
"$PROCCTL" -U "$SOCK" list >/dev/null     # the first scan, outside the completion's time
is "stop completes the managed pid" "$(complete_words procctl -U "$SOCK" stop "")" "$pid"
is "status completes it by prefix" "$(complete_words procctl -U "$SOCK" status "${pid:0:1}")" "$pid"
is "--unix=PATH is used too" "$(complete_words procctl --unix="$SOCK" logs -n 5 "")" "$pid"
is "no second PID" "$(complete_words procctl -U "$SOCK" stop "$pid" "")" ""
is "list --name completes the managed process's name" "$(complete_words procctl -U "$SOCK" list --name "")" "sleep"
# A daemon that never answers: a Unix socket that listens and reads nothing.
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8); print("ready", flush=True); time.sleep(60)' \
        "$T/mute.sock" >"$T/mute.out" &
mute=$!
retry grep -q ready "$T/mute.out"
unset PROCCTL_COMPLETION_TIMEOUT
t0=$(now_ms)
out=$(complete_words procctl -U "$T/mute.sock" stop "")
t=$(($(now_ms) - t0))
kill "$mute" 2>/dev/null; wait "$mute" 2>/dev/null
is "a daemon that does not answer gives no PIDs" "$out" ""
check "... after at most a few seconds (bounded: --timeout 1, timeout 2 by default; took $t ms)" test "$t" -lt 4000

# ---- zsh ------------------------------------------------------------------------------------
if command -v zsh >/dev/null; then
        check "zsh -n accepts _procctl" zsh -n "$ZSH_COMPLETION_SCRIPT"
        check "the zsh script starts with #compdef procctl" grep -qx '#compdef procctl' "$ZSH_COMPLETION_SCRIPT"
else
        diag "zsh is not installed: _procctl only checked by grep"
        check "the zsh script starts with #compdef procctl" grep -qx '#compdef procctl' "$ZSH_COMPLETION_SCRIPT"
fi

done_testing
