#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Cockpit page (cockpit/procmgr/, issue 12) in a real browser against the real
# things, in the real-systemd sandbox: the project's units, bus policy and sysusers as
# test-dbus.sh deploys them (procmgrd owns org.procmgr1 as user procmgr), Debian's
# cockpit-ws with --local-session=cockpit-bridge on the sandbox's own loopback, the page
# found by the bridge through XDG_DATA_DIRS (a copy of the source directory, as
# `make install` lays it out), and headless Chromium driven over its DevTools pipe by
# cockpit-browser.py. Checked: the page lists a process started with procctl, starts one
# from the form (it appears in the table and in procctl list, in a scope with the form's
# limits), shows its memory and log, shows an error by its name, filters and sorts,
# stops it with its Stop button (gone from procctl list), with no console error; the
# screenshot is written to tests/integration/test-cockpit.png in the build tree.
# TAP output; "1..0 # SKIP reason" when Chromium, cockpit-ws or a sandbox is missing.

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
SANDBOX=${SANDBOX:-$top/tests/sandbox.sh}
export SDNS_BASE=${SDNS_BASE:-/var/tmp/procmgr-sandbox}
N=cockpit-$$
SOCK=/run/procmgrd/procmgrd.sock
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
COCKPIT_WS=${COCKPIT_WS:-/usr/lib/cockpit/cockpit-ws}
COCKPIT_BRIDGE=${COCKPIT_BRIDGE:-/usr/bin/cockpit-bridge}
WS_PORT=9090            # the sandbox's own network namespace: nobody else's port
SHOT=$top_builddir/tests/integration/test-cockpit.png

sandbox_skip_if_wrapped        # check-valgrind: before Chromium and Cockpit are even looked for
for f in "$PROCMGRD" "$PROCCTL"; do
        [ -x "$f" ] || skip_all "$f not built"
done
[ -x "$CHROMIUM" ] || skip_all "$CHROMIUM not installed (Debian package chromium)"
[ -x "$COCKPIT_WS" ] || skip_all "$COCKPIT_WS not installed (Debian package cockpit-ws)"
[ -x "$COCKPIT_BRIDGE" ] || skip_all "$COCKPIT_BRIDGE not installed (Debian package cockpit-bridge)"
[ -f /usr/share/cockpit/base1/cockpit.js ] || [ -f /usr/share/cockpit/base1/cockpit.js.gz ] ||
        skip_all "Cockpit's base1/cockpit.js not installed (Debian package cockpit-bridge)"
command -v busctl >/dev/null || skip_all "busctl not installed"

work=$(mktemp -d "${TMPDIR:-/tmp}/test-cockpit.XXXXXX") || exit 1
chmod 755 "$work"
cleanup() {
        # Everything started inside (cockpit-ws, Chromium, the processes) ends with it.
        [ -d "$SDNS_BASE/$N" ] && "$SANDBOX" stop "$N" >/dev/null 2>&1
        rm -rf -- "$work"
}
trap cleanup EXIT

sandbox_units "$work/units" "$SOCK" "" || bail "cannot write the test units"
SDNS_NET=1 SDNS_UNITS=$work/units SDNS_ENABLE=procmgrd.socket \
        SDNS_POLKIT_ACTIONS=$top_srcdir/polkit SDNS_POLKIT_RULES=$top_srcdir/polkit \
        "$SANDBOX" start "$N" 2>"$work/start.err"
sandbox_started $? "$work/start.err" "start sandbox $N"
ok "sandbox with the project's units, polkit policy and rules"

in_sb() {
        "$SANDBOX" exec "$N" "$@"
}
pc() {
        in_sb "$PROCCTL" -U "$SOCK" --json "$@"
}

# ---- deployment as in test-dbus.sh: user, bus policy, the enabled unit --------------------
sandbox_deploy_bus
check "systemctl enable procmgrd.service" eval 'in_sb systemctl enable procmgrd.service >/dev/null 2>&1'
is "procmgrd answers" "$(pc ping | json 'j["msg"]')" pong
check "procmgrd owns org.procmgr1" retry eval 'in_sb busctl --system status --no-pager org.procmgr1 >/dev/null 2>&1'

# ---- the page where the bridge looks for packages, as installed ---------------------------
mkdir -p "$work/share/cockpit/procmgr"
cp "$top_srcdir"/cockpit/procmgr/{manifest.json,index.html,procmgr.js,procmgr.css} "$work/share/cockpit/procmgr/" ||
        bail "cannot copy the page"
check "cockpit-ws runs (--no-tls --local-session=cockpit-bridge, 127.0.0.1:$WS_PORT)" \
        in_sb systemd-run --quiet --unit=test-cockpit-ws -p DefaultDependencies=no \
        --setenv=XDG_DATA_DIRS="$work/share:/usr/share" --setenv=HOME=/root \
        "$COCKPIT_WS" --no-tls --local-session="$COCKPIT_BRIDGE" --address 127.0.0.1 --port "$WS_PORT"
check "... and listens" retry in_sb bash -c "exec 3<>/dev/tcp/127.0.0.1/$WS_PORT"

# ---- a process for the page to find ---------------------------------------------------------
reply=$(pc start --name cockpit-napper -- sleep 300)
pid=$(json 'j["pid"]' <<<"$reply")
check "procctl starts cockpit-napper" test -n "$pid"

# ---- the browser ---------------------------------------------------------------------------
rm -f "$SHOT"
timeout -k 5 $((150 * SCALE)) "$SANDBOX" exec "$N" env PROCMGRD_TIMEOUT_SCALE="$SCALE" \
        python3 "$top_srcdir/tests/integration/cockpit-browser.py" \
        --chromium "$CHROMIUM" --url "http://127.0.0.1:$WS_PORT/cockpit/@localhost/procmgr/index.html" \
        --procctl "$PROCCTL" --sock "$SOCK" --pid "$pid" --name cockpit-napper \
        --screenshot "$SHOT" --log "$work/chromium.log" >"$work/browser.out" 2>&1
rc=$?
while IFS= read -r line; do
        case $line in
        "PASS "*) ok "${line#PASS }" ;;
        "FAIL "*) not_ok "${line#FAIL }" ;;
        *) diag "$line" ;;
        esac
done <"$work/browser.out"
is "the browser scenario exits cleanly" "$rc" 0
if [ "$rc" != 0 ]; then
        echo "chromium's log (tail):" | diag
        tail -n 30 "$work/chromium.log" | diag
        echo "cockpit-ws:" | diag
        in_sb journalctl --no-pager -n 30 -u test-cockpit-ws.service 2>&1 | diag
fi

pc stop "$pid" >/dev/null 2>&1
done_testing
