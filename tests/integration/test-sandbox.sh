#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Checks tests/sandbox.sh: boots a real systemd instance and asserts that what the
# procmgr integration tests rely on works inside it - transient scopes with
# accounting, KillUnit, the journal, polkitd with test policies, units deployed at
# boot, credentials, the /etc overlay - and that two instances do not interfere and
# nothing is left behind.  TAP output.  If no sandbox can run here ("start" exits 77),
# the whole test is skipped with "1..0 # SKIP <reason>" and exit status 0: Automake's
# tap-driver.sh reports a non-zero exit status as ERROR, also 77.

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
SANDBOX=${SANDBOX:-$top/tests/sandbox.sh}
export SDNS_BASE=${SDNS_BASE:-/var/tmp/procmgr-sandbox}
A=sbx-$$-a
B=sbx-$$-b
UINT64_MAX=18446744073709551615

# value of "KEY rest" from a key/value report
field() {
        sed -n "s/^$2 //p" <<<"$1"
}
fixtures=$(mktemp -d "${TMPDIR:-/tmp}/test-sandbox.XXXXXX") || exit 1
marker=/tmp/test-sandbox-marker.$$
cleanup() {
        local n
        for n in $A $B; do
                [ -d "$SDNS_BASE/$n" ] && "$SANDBOX" stop "$n" 2>/dev/null
        done
        rm -rf -- "$fixtures" "$marker"
}
trap cleanup EXIT

# ---- fixtures: a socket-activated echo service, a polkit action and a rule --------------
mkdir -p "$fixtures/units" "$fixtures/actions" "$fixtures/rules"
cat >"$fixtures/units/sbx-echo.socket" <<'EOF'
[Unit]
Description=sandbox test echo socket
DefaultDependencies=no

[Socket]
ListenStream=127.0.0.1:5050
Accept=yes
EOF
cat >"$fixtures/units/sbx-echo@.service" <<'EOF'
[Unit]
Description=sandbox test echo
DefaultDependencies=no

[Service]
StandardInput=socket
ExecStart=/bin/cat
EOF
cat >"$fixtures/actions/org.procmgr.sandbox-test.policy" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE policyconfig PUBLIC "-//freedesktop//DTD PolicyKit Policy Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/PolicyKit/1/policyconfig.dtd">
<policyconfig>
  <action id="org.procmgr.sandbox-test">
    <description>sandbox test action</description>
    <message>sandbox test action</message>
    <defaults>
      <allow_any>no</allow_any>
      <allow_inactive>no</allow_inactive>
      <allow_active>no</allow_active>
    </defaults>
  </action>
</policyconfig>
EOF
cat >"$fixtures/rules/50-sandbox-test.rules" <<'EOF'
polkit.addRule(function(action, subject) {
        if (action.id == "org.procmgr.sandbox-test" && subject.user == "nobody")
                return polkit.Result.YES;
});
EOF

echo "host /tmp must survive" >"$marker"

# ---- start ----------------------------------------------------------------------------
t0=$(now_ms)
SDNS_NET=1 SDNS_UNITS=$fixtures/units SDNS_ENABLE=sbx-echo.socket \
        SDNS_POLKIT_ACTIONS=$fixtures/actions SDNS_POLKIT_RULES=$fixtures/rules \
        "$SANDBOX" start "$A" 2>"$fixtures/start.err"
rc=$?
t_start=$(($(now_ms) - t0))
sandbox_started $rc "$fixtures/start.err" "start instance $A"
ok "start instance $A"
echo "# start: $t_start ms"

in_a() {
        "$SANDBOX" exec "$A" "$@"
}

is "instance reaches SystemState running" "$(in_a systemctl is-system-running 2>&1)" running
is "exec passes the exit status through" "$(in_a sh -c 'exit 7'; echo $?)" 7
is "exec runs in the instance's UTS namespace" "$(in_a hostname)" "sdns-$A"

# ---- transient scope: StartTransientUnit, accounting, KillUnit --------------------------
# Shell functions used inside the instance, prepended to each inside script: retry from
# tests/lib.sh, and helpers of this test.
INSIDE_LIB="SCALE=$SCALE NOT_RUN=
$(declare -f now_ms retry)"'
SD="org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager"
is_active() { [ "$(systemctl is-active "$1")" = active ]; }
# Fork a sleep that waits on a pipe, put it into scope $1, then let it exec: memory is
# charged where it is allocated, so the exec must happen inside the scope.
scope_sleep() {
        local hold
        hold=$(mktemp -u /tmp/sbx-hold.XXXXXX) && mkfifo "$hold" || return
        ( read -r _ <"$hold"; exec sleep 300 ) &
        pid=$!
        busctl call $SD StartTransientUnit "ssa(sv)a(sa(sv))" "$1" fail 5 \
                PIDs au 1 $pid Description s "sandbox test" MemoryAccounting b true \
                CPUAccounting b true TasksAccounting b true 0 >/dev/null
        echo "startunit $?"
        retry is_active "$1"
        echo go >"$hold"
        rm -f "$hold"
        retry grep -qx sleep /proc/$pid/comm
}
'

report=$(in_a bash -s <<EOF 2>&1
$INSIDE_LIB
scope_sleep sbx-sleep.scope
echo "active \$(systemctl is-active sbx-sleep.scope)"
echo "cgroup \$(sed -n 's/^[0-9]*:memory://p' /proc/\$pid/cgroup)"
path=\$(busctl call \$SD GetUnit s sbx-sleep.scope | sed 's/^o "\(.*\)"$/\1/')
for p in MemoryCurrent TasksCurrent CPUUsageNSec; do
        echo "\$p \$(busctl get-property org.freedesktop.systemd1 "\$path" org.freedesktop.systemd1.Scope \$p)"
done
busctl call \$SD KillUnit ssi sbx-sleep.scope all 15 >/dev/null
echo "killunit \$?"
gone() { local s; s=\$(cat /proc/\$pid/stat 2>/dev/null) || return 0; s=\${s##*) }; [ "\${s%% *}" = Z ]; }
retry gone
wait \$pid
echo "exit \$?"
collected() { [ "\$(systemctl show -P LoadState sbx-sleep.scope)" = not-found ]; }
retry collected && echo "collected yes"
EOF
)
echo "$report" | sed 's/^/#   inside: /'
is "StartTransientUnit of a scope for a forked PID" "$(field "$report" startunit)" 0
is "scope is active" "$(field "$report" active)" active
is "the PID is in the scope's cgroup" "$(field "$report" cgroup)" /system.slice/sbx-sleep.scope
mem=$(field "$report" MemoryCurrent)
check "MemoryCurrent is a number > 0 ($mem)" \
        eval '[[ $mem =~ ^t\ [0-9]+$ ]] && [ "${mem#t }" != $UINT64_MAX ] && [ "${mem#t }" -gt 0 ]'
is "TasksCurrent is 1" "$(field "$report" TasksCurrent)" "t 1"
cpu=$(field "$report" CPUUsageNSec)
check "CPUUsageNSec is a number ($cpu)" eval '[[ $cpu =~ ^t\ [0-9]+$ ]] && [ "${cpu#t }" != $UINT64_MAX ]'
is "KillUnit succeeds" "$(field "$report" killunit)" 0
is "KillUnit's SIGTERM ended the process" "$(field "$report" exit)" 143
is "the dead scope is garbage-collected" "$(field "$report" collected)" yes

# ---- journal ----------------------------------------------------------------------------
tag=sbx-test-$$
in_a systemd-cat -t "$tag" echo "hello $$"
check "journal round trip inside (systemd-cat -> journalctl)" \
        retry eval '[ "$(in_a journalctl -q -t "$tag" -o cat --no-pager)" = "hello $$" ]'
check "the instance's journal is readable from the host" \
        eval '[ "$(journalctl -q -D "$SDNS_BASE/$A/run/log/journal" -t "$tag" -o cat --no-pager)" = "hello $$" ]'

# ---- polkit -----------------------------------------------------------------------------
report=$(in_a bash -s <<'EOF' 2>&1
authz() {
        local stat start
        stat=$(cat /proc/$1/stat) && stat=${stat##*) } && start=$(cut -d' ' -f20 <<<"$stat")
        busctl call org.freedesktop.PolicyKit1 /org/freedesktop/PolicyKit1/Authority \
                org.freedesktop.PolicyKit1.Authority CheckAuthorization "(sa{sv})sa{ss}us" \
                unix-process 3 pid u $1 start-time t $start uid i $2 "$3" 0 0 "" 2>&1
}
echo "root-manage $(authz $$ 0 org.freedesktop.systemd1.manage-units)"
setpriv --reuid=65534 --regid=65534 --clear-groups sleep 60 &
nobody=$!
for ((i = 0; i < 500; i++)); do grep -qx sleep /proc/$nobody/comm && break; sleep 0.01; done
echo "nobody-manage $(authz $nobody 65534 org.freedesktop.systemd1.manage-units)"
echo "nobody-rule $(authz $nobody 65534 org.procmgr.sandbox-test)"
kill $nobody
EOF
)
echo "$report" | sed 's/^/#   inside: /'
is "polkit: root may manage-units" "$(field "$report" root-manage)" "(bba{ss}) true false 0"
is "polkit: nobody gets a challenge for manage-units" \
        "$(field "$report" nobody-manage)" "(bba{ss}) false true 0"
is "polkit: SDNS_POLKIT_ACTIONS/RULES grant nobody the test action" \
        "$(field "$report" nobody-rule)" "(bba{ss}) true false 0"

# ---- units deployed at boot, credentials, /etc overlay ----------------------------------
is "SDNS_UNITS + SDNS_ENABLE: socket unit listens on 127.0.0.1:5050 in the private netns" \
        "$(in_a timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5050; echo ping >&3; read -r l <&3; echo "$l"' 2>&1)" ping
is "SetCredential= reaches the service (/ is shared)" \
        "$(in_a systemd-run -q --wait --pipe -p DefaultDependencies=no -p SetCredential=sbx:secret \
                sh -c 'cat "$CREDENTIALS_DIRECTORY/sbx"' 2>&1)" secret
user=sbxuser$$
is "systemd-sysusers creates a user inside" \
        "$(echo "u $user - \"sandbox test\"" | in_a sh -c 'systemd-sysusers - >/dev/null 2>&1 && getent passwd "$1" | cut -d: -f1' sh "$user")" \
        "$user"
check "... but not on the host" eval '! getent passwd "$user" >/dev/null'

# ---- a second instance in parallel ------------------------------------------------------
t0=$(now_ms)
"$SANDBOX" start "$B" 2>"$fixtures/start.err"
rc=$?
t_start_b=$(($(now_ms) - t0))
is "start a second instance $B while $A runs" $rc 0
[ $rc = 0 ] || sed 's/^/# /' "$fixtures/start.err"
echo "# start (second instance): $t_start_b ms"
for n in $A $B; do
        "$SANDBOX" exec "$n" bash -s <<EOF >"$fixtures/par-$n" 2>&1
$INSIDE_LIB
scope_sleep sbx-par.scope
EOF
done
is "the same scope name starts in both instances" \
        "$(field "$(cat "$fixtures/par-$A")" startunit) $(field "$(cat "$fixtures/par-$B")" startunit)" "0 0"
"$SANDBOX" exec "$B" busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
        org.freedesktop.systemd1.Manager KillUnit ssi sbx-par.scope all 9 >/dev/null 2>&1
b_scope_ended() {
        [ "$("$SANDBOX" exec "$B" systemctl is-active sbx-par.scope)" != active ]
}
check "KillUnit in $B ends $B's scope" retry b_scope_ended
is "... and leaves $A's scope of the same name alone" "$(in_a systemctl is-active sbx-par.scope)" active

# ---- stop -------------------------------------------------------------------------------
t0=$(now_ms)
SDNS_FAST_STOP=1 "$SANDBOX" stop "$B" 2>/dev/null
rc=$?
echo "# stop (SDNS_FAST_STOP=1): $(($(now_ms) - t0)) ms"
is "fast stop of $B" $rc 0
t0=$(now_ms)
"$SANDBOX" stop "$A" 2>/dev/null
rc=$?
echo "# stop (orderly): $(($(now_ms) - t0)) ms"
is "orderly stop of $A" $rc 0

left=$(ls -d "$SDNS_BASE/$A" "$SDNS_BASE/$B" 2>/dev/null
       find /sys/fs/cgroup -maxdepth 5 -type d -name "sdns-sbx-$$-*" 2>/dev/null)
is "no state dir and no cgroup left" "$left" ""
is "the host's /tmp is intact" "$(cat "$marker" 2>&1)" "host /tmp must survive"

done_testing
