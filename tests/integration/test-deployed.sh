#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The production configuration, end to end, in the real-systemd sandbox: the project's
# units WITHOUT --no-drop-privileges, the sysusers file applied (user procmgr, group
# procmgr-admin, procmgr in systemd-journal), and the project's own polkit policy and
# rules. So procmgrd drops to user procmgr, connects to the bus as procmgr, and may
# only create scopes because 50-procmgr.rules says so; LOGS works through its journal
# group; a local non-root user is asked for authorization by polkit (and refused with
# no agent), and a member of procmgr-admin is allowed. TAP output; "1..0 # SKIP reason"
# when no sandbox can run here.

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
SANDBOX=${SANDBOX:-$top/tests/sandbox.sh}
export SDNS_BASE=${SDNS_BASE:-/var/tmp/procmgr-sandbox}
N=deployed-$$
SOCK=/run/procmgrd/procmgrd.sock

work=$(mktemp -d "${TMPDIR:-/tmp}/test-deployed.XXXXXX") || exit 1
chmod 755 "$work"
cleanup() {
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
as_nobody() {
        in_sb setpriv --reuid=65534 --regid=65534 --init-groups "$PROCCTL" -U "$SOCK" --json "$@" 2>/dev/null
}

# The system user, as a package would create it; polkitd re-reads rules naming it.
check "systemd-sysusers creates procmgr from procmgrd.sysusers" \
        eval 'in_sb systemd-sysusers "$top_srcdir/systemd/procmgrd.sysusers" 2>&1 | diag'
PM_UID=$(in_sb id -u procmgr)
# At boot systemd-tmpfiles gives the journal to group systemd-journal (the sandbox masks
# that unit, since it would also clean the host's /tmp): do just that part, in the
# instance's private /run.
check "the journal belongs to group systemd-journal, as after a boot" \
        in_sb systemd-tmpfiles --create --prefix=/run/log/journal
check "... and polkit restarts with the user known" in_sb systemctl restart polkit.service

reply=$(pc ping)
is "the first connection activates procmgrd" "$(json 'j["msg"]' <<<"$reply")" pong
MAIN=$(in_sb systemctl show -P MainPID procmgrd.service)
is "procmgrd runs as user procmgr" "$(in_sb awk '/^Uid:/ { print $2, $3, $4 }' "/proc/$MAIN/status")" \
        "$PM_UID $PM_UID $PM_UID"
is "... holding no capability (the network front, issue 16)" \
        "$(in_sb awk '/^Cap(Prm|Eff|Bnd):/ { print $2 }' "/proc/$MAIN/status" | xargs)" \
        "0000000000000000 0000000000000000 0000000000000000"
is "... with no_new_privs and a seccomp filter" \
        "$(in_sb awk '/^(NoNewPrivs|Seccomp):/ { print $2 }' "/proc/$MAIN/status" | xargs)" "1 2"
# The privileged half: procmgr-spawn@.service, started through procmgr-spawn.socket by
# procmgrd's connection.
HUNIT=$(in_sb systemctl list-units --plain --no-legend 'procmgr-spawn@*.service' | awk '{ print $1; exit }')
check "procmgrd's connection started a procmgr-spawn@.service instance ($HUNIT)" [ -n "$HUNIT" ]
HELPER=$(in_sb systemctl show -P MainPID "$HUNIT")
is "only user procmgr may connect to procmgr-spawn.socket" \
        "$(in_sb stat -c '%U %a' /run/procmgr-spawn/spawn.sock)" "procmgr 600"
is "its spawn helper runs as user procmgr" "$(in_sb awk '/^Uid:/ { print $2, $3, $4 }' "/proc/$HELPER/status")" \
        "$PM_UID $PM_UID $PM_UID"
is "... holding CAP_KILL only in its effective set" \
        "$(in_sb awk '/^CapEff:/ { print $2 }' "/proc/$HELPER/status")" 0000000000000020
is "INFO: backend systemd (the bus, as procmgr)" "$(pc info | json 'j["backend"]')" systemd

# START: StartTransientUnit as procmgr is allowed by 50-procmgr.rules only.
reply=$(pc start --name deployed --memory-max 64M -- sh -c 'echo deployed-hello; exec sleep 300')
pid=$(json 'j["pid"]' <<<"$reply")
unit=$(json 'j["unit"]' <<<"$reply")
is "START as root through the dropped daemon gets a scope" "$unit" "procmgr-deployed-$pid.scope"
is "... with MemoryMax" "$(in_sb systemctl show -P MemoryMax "$unit")" 67108864
is "... and the process runs as the caller (root)" "$(in_sb awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" 0
reply=$(pc status "$pid")
is "STATUS reads the scope's state over the bus" "$(json 'j["unit_state"]' <<<"$reply")" active/running
check "LOGS reads the process's output (procmgr is in systemd-journal)" \
        retry eval 'pc logs "$pid" | json "[l[\"message\"] for l in j[\"lines\"]]" | grep -q deployed-hello'

# 50-procmgr.rules grants user procmgr procmgr's scopes only (issue 16): another unit, or
# a verb STOP does not use, is refused (SIGCONT to running units: harmless either way).
as_procmgr_systemctl() {
        in_sb setpriv --reuid="$PM_UID" --regid="$(in_sb id -g procmgr)" --init-groups \
                systemctl --no-ask-password "$@" >"$work/sc.out" 2>&1
}
check "user procmgr may not kill units that are not procmgr's scopes" \
        eval '! as_procmgr_systemctl kill --signal=SIGCONT polkit.service && grep -Eqi "access denied|authentication required" "$work/sc.out"'
check "... nor restart procmgr's scope (a verb STOP does not use)" \
        eval '! as_procmgr_systemctl restart "$unit"'
check "... but may signal it (KillUnit, as STOP does)" as_procmgr_systemctl kill --signal=SIGCONT "$unit"

# polkit decides for local non-root users: nobody is asked to authenticate, which with no
# agent is a refusal; as a member of procmgr-admin, the rule allows it.
reply=$(as_nobody start -- sleep 300)
is "a local non-root user without authorization: START is AccessDenied" "$(json 'j["error"]' <<<"$reply")" \
        org.procmgr.Error.AccessDenied
reply=$(as_nobody stop "$pid")
is "... and STOP of root's process too" "$(json 'j["error"]' <<<"$reply")" org.procmgr.Error.AccessDenied
check "nobody joins procmgr-admin" eval 'in_sb gpasswd -a nobody procmgr-admin >/dev/null'
reply=$(as_nobody start --name admin -- sleep 300)
npid=$(json 'j["pid"]' <<<"$reply")
is "a procmgr-admin member may START" "$(json 'j["unit"]' <<<"$reply")" "procmgr-admin-$npid.scope"
is "... running as that member" "$(in_sb awk '/^Uid:/ { print $2 }' "/proc/$npid/status")" 65534
reply=$(as_nobody stop "$pid")
is "... and STOP root's process (stop-any)" "$(json 'j["stopped"]' <<<"$reply")" true
check "... whose scope is gone" retry eval '[ "$(in_sb systemctl show -P ActiveState "$unit")" != active ]'
reply=$(pc stop "$npid")
is "root stops the member's process" "$(json 'j["stopped"]' <<<"$reply")" true

check "the journal has procmgrd's records for the start" \
        eval 'in_sb journalctl -o cat --no-pager MESSAGE_ID=3a11ec9c07c14d6f92ae760166bd47da | grep -q "procmgr-deployed-$pid.scope"'

done_testing
