#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# LOGS follow and WATCH's oom flag against a real systemd, journald and kernel: boots
# tests/sandbox.sh with the project's units (as test-scope.sh does) and runs
# follow-client.py inside it. TAP output; "1..0 # SKIP <reason>" when no sandbox can
# run here.

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
SANDBOX=${SANDBOX:-$top/tests/sandbox.sh}
export SDNS_BASE=${SDNS_BASE:-/var/tmp/procmgr-sandbox}
N=follow-$$
SOCK=/run/procmgrd/procmgrd.sock

work=$(mktemp -d "${TMPDIR:-/tmp}/test-follow.XXXXXX") || exit 1
chmod 755 "$work"
cleanup() {
        [ -d "$SDNS_BASE/$N" ] && "$SANDBOX" stop "$N" >/dev/null 2>&1
        rm -rf -- "$work"
}
trap cleanup EXIT

for f in "$PROCMGRD" "$PROCCTL"; do
        [ -x "$f" ] || skip_all "$f not built"
done

units=$work/units
daemon_args=
if "$PROCMGRD" --help 2>/dev/null | grep -q -- --no-drop-privileges; then
        daemon_args=--no-drop-privileges
fi
sandbox_units "$units" "$SOCK" follow-test-token $daemon_args || bail "cannot write the test units"

SDNS_NET=1 SDNS_UNITS=$units SDNS_ENABLE=procmgrd.socket "$SANDBOX" start "$N" 2>"$work/start.err"
sandbox_started $? "$work/start.err" "start sandbox $N"
ok "start sandbox $N"

"$SANDBOX" exec "$N" env PROCMGRD_TIMEOUT_SCALE="$SCALE" python3 "$top_srcdir/tests/integration/follow-client.py" \
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
done_testing
