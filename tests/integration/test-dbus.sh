#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The D-Bus API org.procmgr1 (issue 9) against the real things, in the real-systemd
# sandbox: the real dbus-daemon with the project's bus policy and activation file, the
# project's units (procmgrd.service enabled, so its Alias=dbus-org.procmgr1.service
# exists), sysusers and polkit policy and rules; procmgrd drops to user procmgr as in
# production. Checked with busctl and, as a second independent client, gdbus
# (libglib2.0-bin): introspection (exactly the contract's members), every method, the
# properties, busctl tree, the signals (ProcessStarted/Exited, InterfacesAdded/Removed,
# PropertiesChanged), GetManagedObjects, the org.procmgr.Error.* names, one access
# matrix run over the Unix socket and over D-Bus (a non-root caller refused without
# authorization, allowed by the project's polkit rule), and bus activation of a stopped
# daemon reaching the same daemon as the socket. TAP output; "1..0 # SKIP reason" when
# no sandbox can run here.

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
sandbox_setup dbus
DEST=org.procmgr1
MGR=/org/procmgr1
E=org.procmgr.Error.

command -v busctl >/dev/null || skip_all "busctl not installed"
command -v gdbus >/dev/null || skip_all "gdbus not installed (Debian package libglib2.0-bin)"

MONITOR_PID=
cleanup() {
        [ -n "$MONITOR_PID" ] && kill "$MONITOR_PID" 2>/dev/null
        sandbox_cleanup
}
trap cleanup EXIT

sandbox_units "$work/units" "$SOCK" "" || bail "cannot write the test units"
sandbox_boot --polkit "start sandbox $N"
ok "sandbox with the project's units, polkit policy and rules"

bc() {
        in_sb busctl --system "$@"
}
# bcall [busctl options] PATH INTERFACE METHOD [SIGNATURE ARGS...]: a call as root, JSON output.
bcall() {
        bc --json=short call -- "$DEST" "$@"
}
as_nobody() {
        in_sb setpriv --reuid=65534 --regid=65534 --init-groups env HOME=/ "$@"
}
gcall() {
        in_sb gdbus call --system --dest "$DEST" "$@"
}

# ---- deployment: user, journal, bus policy and activation file, the enabled unit -------
sandbox_deploy_bus
# Judged by the symlink itself, not systemctl's words; enable is idempotent, so it is
# retried (bounded) while the manager may still be busy with the reloads above. Its
# output is shown when the alias does not appear.
alias_link=/etc/systemd/system/dbus-org.procmgr1.service
check "systemctl enable procmgrd.service creates the alias dbus-org.procmgr1.service" \
        retry eval 'in_sb systemctl enable procmgrd.service >"$work/enable.out" 2>&1; in_sb test -L "$alias_link"'
in_sb test -L "$alias_link" || { diag <"$work/enable.out"; in_sb ls -l /etc/systemd/system | diag; }
check "org.procmgr1 is activatable" retry eval 'bc list --activatable --no-pager | grep -q "^org.procmgr1 "'

reply=$(pc ping)
is "the first socket connection starts procmgrd" "$(json 'j["msg"]' <<<"$reply")" pong
MAIN=$(in_sb systemctl show -P MainPID procmgrd.service)
PM_UID=$(in_sb id -u procmgr)
check "procmgrd owns org.procmgr1 as user procmgr (after its privilege drop)" \
        eval '[ "$(bc status --no-pager "$DEST" | sed -n "s/^EUID=//p")" = "$PM_UID" ] &&
              [ "$(bc status --no-pager "$DEST" | sed -n "s/^PID=//p")" = "$MAIN" ]'
reply=$(pc info)
is "INFO over the socket names the bus name" "$(json 'j["dbus"]' <<<"$reply")" org.procmgr1

# ---- introspection: exactly the contract's members ---------------------------------------
members() {     # members of interface $2 at path $1, sorted, one line
        bc introspect --no-pager "$DEST" "$1" | awk -v i="$2" '
                $2 == "interface" { on = ($1 == i); next }
                on && substr($1, 1, 1) == "." { print substr($1, 2) "/" $2 }' | sort | tr '\n' ' '
}
is "org.procmgr1.Manager has exactly the contract's members" "$(members "$MGR" org.procmgr1.Manager)" \
        "Backend/property GetInfo/method GetProcess/method ListProcesses/method NManaged/property Ping/method ProcessExited/signal ProcessStarted/signal Start/method Stop/method Version/property "
is "... with the signatures of the contract" \
        "$(bc introspect --no-pager "$DEST" "$MGR" org.procmgr1.Manager | awk '$2 == "method" || $2 == "signal" { print $1, $3, $4 }' | sort | tr '\n' ';')" \
        ".GetInfo - s;.GetProcess u o;.ListProcesses a{sv} a(uuussstdtus);.Ping - s;.ProcessExited ussosi -;.ProcessStarted usso -;.Start asa{sv} uso;.Stop ust bsi;"
check "/org/procmgr1 has the ObjectManager" \
        eval 'bc introspect --no-pager "$DEST" "$MGR" | grep -q "^org.freedesktop.DBus.ObjectManager *interface"'

# ---- a second client watches the signals ---------------------------------------------------
in_sb gdbus monitor --system --dest "$DEST" >"$work/monitor.log" 2>&1 &
MONITOR_PID=$!
check "gdbus monitor is watching org.procmgr1" retry grep -q "is owned by" "$work/monitor.log"

# ---- every method ----------------------------------------------------------------------------
is "Ping returns the version" "$(bcall "$MGR" org.procmgr1.Manager Ping | json 'j["data"][0]')" \
        "$(pc ping | json 'j["version"]')"
reply=$(bcall "$MGR" org.procmgr1.Manager GetInfo | json 'j["data"][0]')
is "GetInfo: INFO's reply as JSON text (backend)" "$(json 'j["backend"]' <<<"$reply")" systemd
is "... (dbus)" "$(json 'j["dbus"]' <<<"$reply")" org.procmgr1
reply=$(bcall "$MGR" org.procmgr1.Manager ListProcesses 'a{sv}' 2 limit u 4 sort s -pid)
is "ListProcesses with limit: 4 entries" "$(json 'len(j["data"][0])' <<<"$reply")" 4
is "... sorted by -pid" "$(json 'all(a[0] > b[0] for a, b in zip(j["data"][0], j["data"][0][1:]))' <<<"$reply")" true
is "... entries (pid, ppid, uid, user, name, state, start_usec, cpu%, rss, threads, unit)" \
        "$(json 'all(len(e) == 11 and e[3] != "" and e[6] > 10**15 for e in j["data"][0])' <<<"$reply")" true
reply=$(bcall "$MGR" org.procmgr1.Manager ListProcesses 'a{sv}' 1 user s root)
is "ListProcesses user=root: every entry uid 0" "$(json 'all(e[2] == 0 and e[3] == "root" for e in j["data"][0])' <<<"$reply")" true

reply=$(bcall "$MGR" org.procmgr1.Manager Start 'asa{sv}' 3 sh -c 'echo dbus-hello; exec sleep 300' \
        2 name s dbusnap memory_max t 67108864)
pid=$(json 'j["data"][0]' <<<"$reply")
unit=$(json 'j["data"][1]' <<<"$reply")
path=$(json 'j["data"][2]' <<<"$reply")
is "Start → (pid, unit, object)" "$unit $path" "procmgr-dbusnap-$pid.scope /org/procmgr1/process/dbusnap"
is "... the scope has MemoryMax" "$(in_sb systemctl show -P MemoryMax "$unit")" 67108864
check "... the process runs (exec was confirmed before the reply)" in_sb test -d "/proc/$pid"
check "ProcessStarted seen by gdbus monitor" retry grep -q "ProcessStarted (uint32 $pid, 'dbusnap', '$unit', objectpath '$path')" "$work/monitor.log"
check "InterfacesAdded for the process object" retry eval 'grep "InterfacesAdded" "$work/monitor.log" | grep -q "$path"'
check "PropertiesChanged for NManaged" retry eval 'grep PropertiesChanged "$work/monitor.log" | grep -q NManaged'
check "busctl tree shows the process object" eval 'bc tree --no-pager "$DEST" | grep -q "$path"'
is "get-property Manager NManaged" "$(bc get-property "$DEST" "$MGR" org.procmgr1.Manager NManaged)" "u 1"
is "get-property Manager Backend" "$(bc get-property "$DEST" "$MGR" org.procmgr1.Manager Backend)" 's "systemd"'
is "get-property Process PID, Name, Unit, UID, User" \
        "$(bc get-property "$DEST" "$path" org.procmgr1.Process PID Name Unit UID User | tr '\n' ' ')" \
        "u $pid s \"dbusnap\" s \"$unit\" u 0 s \"root\" "
is "get-property Process Command (from /proc, after the exec)" \
        "$(bc get-property "$DEST" "$path" org.procmgr1.Process Command)" 'as 2 "sleep" "300"'
check "get-property Process MemoryCurrent, CPUUsageNSec, ActiveState, Restarts" \
        eval '[[ "$(bc get-property "$DEST" "$path" org.procmgr1.Process MemoryCurrent CPUUsageNSec ActiveState Restarts | tr "\n" " ")" =~ ^t\ [1-9][0-9]*\ t\ [0-9]+\ s\ \"active\"\ u\ 0\ $ ]]'
is "GetProcess(pid) → the object" "$(bcall "$MGR" org.procmgr1.Manager GetProcess u "$pid" | json 'j["data"][0]')" "$path"
reply=$(gcall --object-path "$MGR" --method org.freedesktop.DBus.ObjectManager.GetManagedObjects)
check "GetManagedObjects (gdbus) has the object with its PID" \
        eval 'grep -q "objectpath '"'$path'"'" <<<"$reply" && grep -q "'"'PID'"': <uint32 $pid>" <<<"$reply"'
check "Process.GetLogs has the process's output" \
        retry eval 'bcall "$path" org.procmgr1.Process GetLogs u 10 | json "[e[2] for e in j[\"data\"][0]]" | grep -q dbus-hello'
reply=$(gcall --object-path "$path" --method org.procmgr1.Process.Stop "'TERM'" "uint64 5000000")
is "Process.Stop (gdbus) → (true, 'signal', 15)" "$reply" "(true, 'signal', 15)"
check "ProcessExited carries how it ended" \
        retry grep -q "ProcessExited (uint32 $pid, 'dbusnap', '$unit', objectpath '$path', 'signal', 15)" "$work/monitor.log"
check "InterfacesRemoved for the process object" retry eval 'grep InterfacesRemoved "$work/monitor.log" | grep -q "$path"'
check "busctl tree no longer shows it" eval '! bc tree --no-pager "$DEST" | grep -q "$path"'

reply=$(bcall "$MGR" org.procmgr1.Manager Start 'asa{sv}' 2 sleep 300 0)
pid2=$(json 'j["data"][0]' <<<"$reply")
reply=$(bcall "$MGR" org.procmgr1.Manager Stop ust "$pid2" KILL 0)
is "Manager.Stop → (true, 'signal', 9)" "$(json 'j["data"]' <<<"$reply")" "[True, 'signal', 9]"

# ---- errors carry the org.procmgr.Error.* names ----------------------------------------------
gerr() {        # the error name of a gdbus call, or "ok"
        local out
        out=$("$@" 2>&1) && { echo ok; return; }
        sed -n 's/.*GDBus\.Error:\([A-Za-z0-9_.]*\):.*/\1/p' <<<"$out" | head -n 1
}
is "Stop of no process: NoSuchProcess" \
        "$(gerr gcall --object-path "$MGR" --method org.procmgr1.Manager.Stop 999999 "'TERM'" "uint64 0")" "${E}NoSuchProcess"
is "GetProcess of an unmanaged process: NoSuchProcess" \
        "$(gerr gcall --object-path "$MGR" --method org.procmgr1.Manager.GetProcess 1)" "${E}NoSuchProcess"
is "an unknown option: InvalidArgument" \
        "$(gerr gcall --object-path "$MGR" --method org.procmgr1.Manager.ListProcesses "{'bogus': <'x'>}")" "${E}InvalidArgument"
is "an option of the wrong type: InvalidArgument" \
        "$(gerr gcall --object-path "$MGR" --method org.procmgr1.Manager.ListProcesses "{'limit': <'x'>}")" "${E}InvalidArgument"
is "Start of a missing command: SpawnFailed" \
        "$(gerr gcall --object-path "$MGR" --method org.procmgr1.Manager.Start "['/nonexistent/cmd']" "@a{sv} {}")" "${E}SpawnFailed"
is "Stop of PID 1: AccessDenied" \
        "$(gerr gcall --object-path "$MGR" --method org.procmgr1.Manager.Stop 1 "'TERM'" "uint64 0")" "${E}AccessDenied"

# ---- one access matrix, over the Unix socket and over D-Bus ----------------------------------
# WHO OPERATION EXPECTED ("ok" or the error name); "nobody" has no authorization, "admin" is
# nobody after joining procmgr-admin (50-procmgr.rules). Targets are root's processes.
MATRIX=(
        "nobody ping ok"
        "nobody info ok"
        "nobody list ok"
        "nobody status AccessDenied"
        "nobody logs AccessDenied"
        "nobody start AccessDenied"
        "nobody stop AccessDenied"
        "admin start ok"
        "admin stop ok"
)
root_target() {
        pc start --name "target$1" -- sleep 300 | json 'j["pid"]'
}
# over_socket OP TARGET / over_dbus OP TARGET: "ok" or the error name.
over_socket() {
        local out
        case $1 in
        ping | info | list) out=$(as_nobody "$PROCCTL" -U "$SOCK" --json "$1" 2>/dev/null) ;;
        status | logs | stop) out=$(as_nobody "$PROCCTL" -U "$SOCK" --json "$1" "$2" 2>/dev/null) ;;
        start) out=$(as_nobody "$PROCCTL" -U "$SOCK" --json start -- sleep 300 2>/dev/null) ;;
        esac
        if [ "$(json 'j["ok"]' <<<"$out")" = true ]; then
                [ "$1" = start ] && json 'j["pid"]' <<<"$out" >>"$work/started"
                echo ok
        else
                json 'j["error"]' <<<"$out"
        fi
}
over_dbus() {
        local out target_path
        case $1 in
        ping) out=$(gerr as_nobody gdbus call --system --dest "$DEST" --object-path "$MGR" --method org.procmgr1.Manager.Ping) ;;
        info) out=$(gerr as_nobody gdbus call --system --dest "$DEST" --object-path "$MGR" --method org.procmgr1.Manager.GetInfo) ;;
        list) out=$(gerr as_nobody gdbus call --system --dest "$DEST" --object-path "$MGR" --method org.procmgr1.Manager.ListProcesses "@a{sv} {}") ;;
        status) out=$(gerr as_nobody gdbus call --system --dest "$DEST" --object-path "$MGR" --method org.procmgr1.Manager.GetProcess "$2") ;;
        logs)
                target_path=$(bcall "$MGR" org.procmgr1.Manager GetProcess u "$2" | json 'j["data"][0]')
                out=$(gerr as_nobody gdbus call --system --dest "$DEST" --object-path "$target_path" --method org.procmgr1.Process.GetLogs 5) ;;
        stop) out=$(gerr as_nobody gdbus call --system --dest "$DEST" --object-path "$MGR" --method org.procmgr1.Manager.Stop "$2" "'TERM'" "uint64 0") ;;
        start)
                out=$(as_nobody gdbus call --system --dest "$DEST" --object-path "$MGR" --method org.procmgr1.Manager.Start "['sleep', '300']" "@a{sv} {}" 2>&1)
                if [[ $out =~ ^\(uint32\ ([0-9]+), ]]; then
                        echo "${BASH_REMATCH[1]}" >>"$work/started"
                        out=ok
                else
                        out=$(sed -n 's/.*GDBus\.Error:\([A-Za-z0-9_.]*\):.*/\1/p' <<<"$out" | head -n 1)
                fi ;;
        esac
        echo "$out"
}
joined=
k=0
for row in "${MATRIX[@]}"; do
        read -r who op want <<<"$row"
        [ "$want" = ok ] || want=$E$want
        if [ "$who" = admin ] && [ -z "$joined" ]; then
                check "nobody joins procmgr-admin" eval 'in_sb gpasswd -a nobody procmgr-admin >/dev/null'
                joined=1
        fi
        for transport in socket dbus; do
                k=$((k + 1))
                target=$(root_target "$k")
                is "$who $op over the $transport: $want" "$("over_$transport" "$op" "$target")" "$want"
        done
done
mapfile -t started <"$work/started"
is "an allowed D-Bus Start runs as the caller (nobody)" \
        "$(in_sb awk '/^Uid:/ { print $2 }' "/proc/${started[-1]:-0}/status")" 65534

# ---- bus activation of a stopped daemon: the same daemon as the socket ----------------------
check "procmgrd.service stops" in_sb systemctl stop procmgrd.service
is "... and is inactive" "$(in_sb systemctl is-active procmgrd.service)" inactive
is "a method call activates it (Ping)" "$(bcall "$MGR" org.procmgr1.Manager Ping | json 'j["type"]')" s
is "... through procmgrd.service (dbus-org.procmgr1.service)" "$(in_sb systemctl is-active procmgrd.service)" active
MAIN=$(in_sb systemctl show -P MainPID procmgrd.service)
is "... which owns the name" "$(bc status --no-pager "$DEST" | sed -n 's/^PID=//p')" "$MAIN"
is "... and serves the socket too (one daemon)" "$(pc info | json 'j["dbus"]')" org.procmgr1
is "... with the processes it manages still there" \
        "$(bc get-property "$DEST" "$MGR" org.procmgr1.Manager NManaged | awk '{ print ($2 > 0) }')" 1

# ---- --exit-idle: bus calls are activity; idle, the daemon gives the name back and exits;
# the next call activates it again ------------------------------------------------------------
in_sb sh -c "printf '[Service]\nExecStart=\nExecStart=%s --exit-idle 5\n' '$PROCMGRD' \
        >/run/systemd/system/procmgrd.service.d/zz-idle.conf"
check "procmgrd restarts with --exit-idle 5" eval 'in_sb systemctl daemon-reload && in_sb systemctl restart procmgrd.service'
MAIN=$(in_sb systemctl show -P MainPID procmgrd.service)
alive=1
t_end=$(($(now_ms) + 12000))
for ((i = 0; i < 60 && $(now_ms) < t_end; i++)); do    # calls for 12 s, longer than the idle time
        bcall "$MGR" org.procmgr1.Manager Ping >/dev/null || alive=0
        sleep 0.2
done
is "bus calls keep it from exiting (the same daemon after 12 s of calls)" \
        "$alive $(in_sb systemctl show -P MainPID procmgrd.service)" "1 $MAIN"
check "... which owns the name" eval '[ "$(bc status --no-pager "$DEST" | sed -n "s/^PID=//p")" = "$MAIN" ]'
check "idle, it exits by itself" retry eval '[ "$(in_sb systemctl is-active procmgrd.service)" != active ]'
check "... and no longer owns the name" eval '! bc status --no-pager "$DEST" 2>/dev/null | grep -q "^PID=$MAIN$"'
check "... and exited cleanly" eval '[ "$(in_sb systemctl show -P ExecMainStatus procmgrd.service)" = 0 ]'
is "the next call activates it again" "$(bcall "$MGR" org.procmgr1.Manager Ping | json 'j["type"]')" s
check "... a new daemon" eval '[ "$(in_sb systemctl show -P MainPID procmgrd.service)" != "$MAIN" ]'

# The processes started here live in their scopes; stop them by pid.
for p in "${started[@]}"; do
        pc stop "$p" >/dev/null 2>&1
done
done_testing
