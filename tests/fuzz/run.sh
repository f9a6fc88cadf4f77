#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs every libFuzzer target for a bounded time: run.sh [SECONDS] (default 60, shared
# evenly between the targets). Each starts from the committed seed corpus
# (tests/fuzz/corpus/TARGET, only read) and writes the new interesting inputs it finds,
# and any crash artifact, to $FUZZ_OUT/TARGET (default: a new directory under $TMPDIR,
# kept and printed). Exit status non-zero when a target crashed, leaked or hit UB.
#
# Environment (set by `make fuzz-run`): FUZZ_BINDIR (the fuzz-* binaries), FUZZ_CORPUS
# (the seed corpora), FUZZ_DICT; FUZZ_JOBS runs that many fuzzing processes per target
# (default 1); FUZZ_ARGS adds libFuzzer options.

set -eu

seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
bindir=${FUZZ_BINDIR:-$here}
corpus=${FUZZ_CORPUS:-$here/corpus}
dict=${FUZZ_DICT:-$here/protocol.dict}
jobs=${FUZZ_JOBS:-1}
targets="protocol split proc-parse tls-detect http spawn-wire"

case $seconds in
''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/procmgr-fuzz.XXXXXX")}
n=$(echo $targets | wc -w)
each=$((seconds / n))
[ "$each" -ge 1 ] || each=1

status=0
for t in $targets; do
        bin=$bindir/fuzz-$t
        if [ ! -x "$bin" ]; then
                echo "$0: $bin not built (configure --enable-fuzzers CC=clang; make fuzzers)" >&2
                exit 2
        fi
        mkdir -p "$out/$t"
        echo "== fuzz-$t: ${each}s, new inputs in $out/$t"
        set -- -max_total_time="$each" -max_len=70000 -timeout=10 -rss_limit_mb=2048 \
                -print_final_stats=1 -artifact_prefix="$out/$t/"
        [ -f "$dict" ] && set -- "$@" -dict="$dict"
        [ "$jobs" -gt 1 ] && set -- "$@" -fork="$jobs" -ignore_crashes=0
        # The first directory receives new inputs; the committed corpus is only read.
        # shellcheck disable=SC2086
        if ! ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
             UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
             "$bin" "$@" ${FUZZ_ARGS:-} "$out/$t" "$corpus/$t" >"$out/$t.log" 2>&1; then
                status=1
                echo "!! fuzz-$t failed; artifacts and log:" >&2
                ls "$out/$t/" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | sed "s|^|   $out/$t/|" >&2 || true
                tail -n 40 "$out/$t.log" >&2
        fi
        grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
                "$out/$t.log" | sed 's/^/   /' || true
        grep -E '(INITED|DONE) ' "$out/$t.log" | tail -n 1 | sed 's/^/   /' || true
done
echo "== results in $out (move regressions to tests/fuzz/corpus/TARGET/crash-WHAT)"
exit $status
