#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Debian package (issue 12), in tests/sandbox.sh's real systemd with /usr, /var
# and /etc as throwaway overlays (nothing reaches the host): `dpkg -i` of the built
# procmgr_*.deb creates the procmgr user and group, installs the units, polkit
# files, catalog (in journalctl's database), man pages and completion, enables and
# starts procmgrd.socket; `procctl info` then starts procmgrd.service through
# socket activation; the metrics units are installed but off; `dpkg --purge`
# removes the files, the enablement symlinks and the daemon.
#
# Not part of `make check`: it needs a built package. .ci/run builds one and runs
#     PROCMGR_DEB=../procmgr_VERSION_ARCH.deb tests/integration/test-deb.sh
# TAP output; "1..0 # SKIP <reason>" when no sandbox can run here.

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
SANDBOX=${SANDBOX:-$top/tests/sandbox.sh}
export SDNS_BASE=${SDNS_BASE:-/var/tmp/procmgr-sandbox}
N=deb-$$

DEB=${PROCMGR_DEB:-}
[ -n "$DEB" ] || DEB=$(ls -t "$top_srcdir"/../procmgr_*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] && [ -f "$DEB" ] || bail "no package: build it (dpkg-buildpackage -us -uc -b) and set PROCMGR_DEB"
DEB=$(readlink -f "$DEB")
for t in dpkg dpkg-deb; do
        command -v "$t" >/dev/null || skip_all "$t not installed"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/test-deb.XXXXXX") || exit 1
chmod 755 "$work"
cleanup() {
        [ -d "$SDNS_BASE/$N" ] && "$SANDBOX" stop "$N" >/dev/null 2>&1
        rm -rf -- "$work"
}
trap cleanup EXIT

diag "package: $DEB"
SDNS_NET=1 SDNS_OVERLAYS="/usr /var" "$SANDBOX" start "$N" 2>"$work/start.err"
sandbox_started $? "$work/start.err" "start sandbox $N with /usr, /var and /etc overlays"
ok "start sandbox $N with /usr, /var and /etc overlays"

in_sb() {
        "$SANDBOX" exec "$N" "$@"
}
# The package's files, as dpkg-deb lists them (directories left out).
dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' >"$work/files"
check "the package has files ($(wc -l <"$work/files"))" test -s "$work/files"
is "dpkg in the sandbox does not know procmgr yet" "$(in_sb dpkg-query -W -f='${Status}' procmgr 2>/dev/null)" ""
host_had_pkg=0
dpkg -s procmgr >/dev/null 2>&1 && host_had_pkg=1

# ---- install --------------------------------------------------------------------------------
# As on a Debian machine: container images ship a policy-rc.d that forbids starting
# services (this one is the instance's own copy, in the /usr overlay). man-db's trigger
# would rebuild every index: not what is tested, and slow.
in_sb rm -f /usr/sbin/policy-rc.d
echo "man-db man-db/auto-update boolean false" | in_sb debconf-set-selections 2>/dev/null
if in_sb env DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB" >"$work/install.log" 2>&1; then
        ok "dpkg -i $(basename "$DEB")"
else
        not_ok "dpkg -i $(basename "$DEB")"
        diag <"$work/install.log"
fi
is "dpkg says installed" "$(in_sb dpkg-query -W -f='${Status}' procmgr 2>&1)" "install ok installed"
missing=$(while read -r f; do in_sb test -e "$f" || echo "$f"; done <"$work/files")
is "every file of the package is there" "$missing" ""
for f in /usr/sbin/procmgrd /usr/bin/procctl /lib/systemd/system/procmgrd.socket \
        /lib/systemd/system/procmgrd.service /lib/systemd/system/procmgr-metrics.timer \
        /lib/systemd/system/procmgr-metrics-http.socket /usr/share/polkit-1/actions/org.procmgr.policy \
        /usr/share/polkit-1/rules.d/50-procmgr.rules /usr/lib/systemd/catalog/procmgrd.catalog \
        /usr/lib/sysusers.d/procmgr.conf /usr/share/man/man8/procmgrd.8.gz /usr/share/man/man1/procctl.1.gz \
        /usr/share/bash-completion/completions/procctl /usr/share/zsh/vendor-completions/_procctl; do
        check "installs $f" grep -qx "$f" "$work/files"
done
check "the user procmgr exists (sysusers)" eval 'in_sb getent passwd procmgr >/dev/null'
check "the group procmgr-admin exists (sysusers)" eval 'in_sb getent group procmgr-admin >/dev/null'
check "the catalog is in journalctl's database (the systemd trigger ran)" \
        grep -q "^9cb316d11798477d866ef9074afab208 procmgr" <<<"$(in_sb journalctl --list-catalog)"
is "procmgrd.socket is enabled" "$(in_sb systemctl is-enabled procmgrd.socket 2>&1)" enabled
is "procmgrd.socket is active" "$(in_sb systemctl is-active procmgrd.socket 2>&1)" active
is "procmgrd.service is not running before the first connection" \
        "$(in_sb systemctl is-active procmgrd.service 2>&1)" inactive
is "procmgr-metrics.timer is installed but off" "$(in_sb systemctl is-enabled procmgr-metrics.timer 2>&1)" disabled
is "procmgr-metrics-http.socket is installed but off" \
        "$(in_sb systemctl is-enabled procmgr-metrics-http.socket 2>&1)" disabled

# ---- socket activation ----------------------------------------------------------------------
out=$(in_sb /usr/bin/procctl info 2>&1)
rc=$?
diag "$out"
is "procctl info through /run/procmgrd/procmgrd.sock exits 0" "$rc" 0
check "... and shows the systemd backend" grep -q "Backend: systemd" <<<"$out"
is "procmgrd.service was started by socket activation" "$(in_sb systemctl is-active procmgrd.service 2>&1)" active
is "procmgrd runs as the procmgr user (its own privilege drop)" \
        "$(in_sb ps -o user= -p "$(in_sb systemctl show -P MainPID procmgrd.service)" 2>&1 | tr -d ' ')" procmgr
out=$(in_sb /usr/bin/procctl metrics 2>&1)
check "procctl metrics answers through the package's daemon" grep -q '^procmgr_build_info{.*backend="systemd"} 1$' <<<"$out"

# ---- cockpit-procmgr (the Cockpit page, its own package) --------------------------------------
if [ -n "${PROCMGR_COCKPIT_DEB:-}" ]; then
        if in_sb env DEBIAN_FRONTEND=noninteractive dpkg -i "$PROCMGR_COCKPIT_DEB" >"$work/cockpit.log" 2>&1; then
                ok "dpkg -i $(basename "$PROCMGR_COCKPIT_DEB")"
        else
                not_ok "dpkg -i $(basename "$PROCMGR_COCKPIT_DEB")"
                diag <"$work/cockpit.log"
        fi
        for f in manifest.json index.html procmgr.js procmgr.css; do
                check "the Cockpit page's $f is in /usr/share/cockpit/procmgr" in_sb test -s "/usr/share/cockpit/procmgr/$f"
        done
        check "cockpit-bridge lists the procmgr package"                 eval 'in_sb cockpit-bridge --packages 2>/dev/null | grep -q "^procmgr[[:space:]]"'
        check "dpkg --purge cockpit-procmgr" in_sb env DEBIAN_FRONTEND=noninteractive dpkg --purge cockpit-procmgr
        check "... removes the page" eval '! in_sb test -e /usr/share/cockpit/procmgr'
fi

# ---- purge ----------------------------------------------------------------------------------
if in_sb env DEBIAN_FRONTEND=noninteractive dpkg --purge procmgr >"$work/purge.log" 2>&1; then
        ok "dpkg --purge procmgr"
else
        not_ok "dpkg --purge procmgr"
        diag <"$work/purge.log"
fi
is "dpkg knows it no more" "$(in_sb dpkg-query -W -f='${Status}' procmgr 2>/dev/null)" ""
left=$(while read -r f; do in_sb test -e "$f" && echo "$f"; done <"$work/files")
is "none of its files is left" "$left" ""
is "no enablement symlink is left" \
        "$(in_sb find /etc/systemd/system -name 'procmgr*' 2>/dev/null)" ""
is "procmgrd.service is stopped" "$(in_sb systemctl is-active procmgrd.service 2>&1)" inactive
is "procmgrd.socket is stopped" "$(in_sb systemctl is-active procmgrd.socket 2>&1)" inactive
check "the catalog entries are gone from journalctl's database" \
        eval '! grep -q "^9cb316d11798477d866ef9074afab208" <<<"$(in_sb journalctl --list-catalog)"'
is "the host's dpkg database was not touched" "$(dpkg -s procmgr >/dev/null 2>&1 && echo 1 || echo 0)" "$host_had_pkg"

done_testing
