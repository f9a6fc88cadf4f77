#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# METRICS with the systemd backend (issue 12), in tests/sandbox.sh's real systemd:
# the per-process series come from each scope's cgroup files (memory, peak, CPU,
# tasks, OOM kills: a child killed under MemoryMax= is counted), `promtool check
# metrics` accepts the text, and the shipped units work: procmgr-metrics.service
# (and its timer) writes the textfile, procmgr-metrics-http.socket answers
# GET /metrics on 127.0.0.1:9851 (test copies running the build tree's procctl).
# TAP output; "1..0 # SKIP <reason>" when no sandbox can run here.

set -u -o pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
sandbox_setup metrics
OUT=/run/pm-textfile/procmgr.prom

command -v promtool >/dev/null || bail "promtool is missing: apt-get install prometheus"

# ---- units: procmgrd's, and the metrics units as test copies -------------------------------
units=$work/units
sandbox_units "$units" "$SOCK" "" $DAEMON_UNIT_ARGS || bail "cannot write the test units"
for u in procmgr-metrics.service procmgr-metrics-http@.service; do
        if [ -f "$top_builddir/systemd/$u" ]; then
                cp "$top_builddir/systemd/$u" "$units/"
        else
                sed -e 's|@bindir[@]|/usr/bin|g' "$top_srcdir/systemd/$u.in" >"$units/$u"
        fi || bail "cannot copy $u"
done
cp "$top_srcdir/systemd/procmgr-metrics.timer" "$top_srcdir/systemd/procmgr-metrics-http.socket" "$units/" ||
        bail "cannot copy the metrics units"
mkdir -p "$units/procmgr-metrics.service.d" "$units/procmgr-metrics.timer.d" \
        "$units/procmgr-metrics-http.socket.d" "$units/procmgr-metrics-http@.service.d"
# The build tree may be below /root or /home (ProtectHome=) or /tmp (PrivateTmp=): it is
# bound into the copies read-only.
tree=$(cd "$top_builddir" && pwd -P)
printf '[Unit]\nDefaultDependencies=no\n\n[Service]\nProtectHome=no\nBindReadOnlyPaths=%s\nExecStart=\nExecStart=%s -U %s metrics --output ${PROCMGR_METRICS_FILE}\nEnvironment=PROCMGR_METRICS_FILE=%s\n' \
        "$tree" "$PROCCTL" "$SOCK" "$OUT" >"$units/procmgr-metrics.service.d/test.conf"
sanitizer_unit_env "$PROCCTL" >>"$units/procmgr-metrics.service.d/test.conf"
printf '[Unit]\nDefaultDependencies=no\n' >"$units/procmgr-metrics.timer.d/test.conf"
printf '[Unit]\nDefaultDependencies=no\n' >"$units/procmgr-metrics-http.socket.d/test.conf"
printf '[Unit]\nDefaultDependencies=no\n\n[Service]\nProtectHome=no\nBindReadOnlyPaths=%s\nExecStart=\nExecStart=%s -U %s metrics --http\n' \
        "$tree" "$PROCCTL" "$SOCK" >"$units/procmgr-metrics-http@.service.d/test.conf"
sanitizer_unit_env "$PROCCTL" >>"$units/procmgr-metrics-http@.service.d/test.conf"
# DynamicUser= as shipped, unless the build tree is closed to other users (then root).
if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$PROCCTL" 2>/dev/null; then
        printf 'DynamicUser=no\n' >>"$units/procmgr-metrics-http@.service.d/test.conf"
        diag "the build tree is not open to other users: the HTTP service copy runs as root"
fi

sandbox_boot "start sandbox $N"
ok "start sandbox $N with procmgrd.socket"

# value FAMILY LABELS TEXT-FILE: the sample's value, "" if absent.
value() {
        awk -v k="$1$2" 'index($0, k " ") == 1 { print $2 }' "$3"
}
ge() {  # ge A B: A >= B (numbers, A may be a real)
        awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 >= b + 0) }'
}

# ---- scopes and their cgroup figures --------------------------------------------------------
reply=$(pc start --name web -- sleep 3001)
web=$(json 'j["pid"]' <<<"$reply")
web_unit=$(json 'j["unit"]' <<<"$reply")
is "START web into a scope" "$web_unit" "procmgr-web-$web.scope"
reply=$(pc start --name hog -- python3 -c 'import time; b = bytearray(24 << 20); time.sleep(3000)')
hog=$(json 'j["pid"]' <<<"$reply")
hog_unit=$(json 'j["unit"]' <<<"$reply")
# A scope whose child is OOM-killed under MemoryMax= while the main process lives on.
reply=$(pc start --name oomer --memory-max 32M -- sh -c 'python3 -c "b = bytearray(200 << 20)"; exec sleep 3002')
oomer=$(json 'j["pid"]' <<<"$reply")
oomer_unit=$(json 'j["unit"]' <<<"$reply")
hog_big() {
        in_sb "$PROCCTL" -U "$SOCK" metrics >"$work/m.txt" &&
                ge "$(value procmgr_process_memory_bytes "{name=\"hog\",unit=\"$hog_unit\",user=\"root\"}" "$work/m.txt")" $((24 << 20)) &&
                ge "$(value procmgr_process_oom_kills_total "{name=\"oomer\",unit=\"$oomer_unit\",user=\"root\"}" "$work/m.txt")" 1
}
check "the hog has allocated and the oomer's child was OOM-killed" retry hog_big
in_sb "$PROCCTL" -U "$SOCK" metrics >"$work/m.txt"
diag "$(grep -c . "$work/m.txt") lines"
out=$(promtool check metrics <"$work/m.txt" 2>&1)
is "promtool check metrics accepts the systemd backend's output (no error, no lint)" "$? $out" "0 "
is "build_info names the systemd backend" \
        "$(value procmgr_build_info '{version="'"$("$PROCCTL" --version | awk '{ print $NF }')"'",backend="systemd"}' "$work/m.txt")" 1

L="{name=\"web\",unit=\"$web_unit\",user=\"root\"}"
H="{name=\"hog\",unit=\"$hog_unit\",user=\"root\"}"
O="{name=\"oomer\",unit=\"$oomer_unit\",user=\"root\"}"
mem=$(value procmgr_process_memory_bytes "$L" "$work/m.txt")
check "web: memory from the scope's cgroup, > 0 ($mem)" ge "$mem" 1
cg_mem=$(in_sb cat "/sys/fs/cgroup/memory/procmgr.slice/$web_unit/memory.usage_in_bytes")
check "web: the same order as the cgroup's memory.usage_in_bytes ($cg_mem)" \
        awk -v a="$mem" -v b="$cg_mem" 'BEGIN { exit !(a > b / 2 && a < b * 2 + 1048576) }'
check "hog: memory >= 24 MiB" ge "$(value procmgr_process_memory_bytes "$H" "$work/m.txt")" $((24 << 20))
check "hog: peak >= 24 MiB" ge "$(value procmgr_process_memory_peak_bytes "$H" "$work/m.txt")" $((24 << 20))
check "hog: CPU seconds > 0 (cpuacct)" \
        awk -v a="$(value procmgr_process_cpu_seconds_total "$H" "$work/m.txt")" 'BEGIN { exit !(a > 0) }'
is "web: tasks 1 (pids.current)" "$(value procmgr_process_tasks "$L" "$work/m.txt")" 1
is "web: no OOM kill" "$(value procmgr_process_oom_kills_total "$L" "$work/m.txt")" 0
check "oomer: the OOM kill of its child is counted (memory oom_kill)" \
        ge "$(value procmgr_process_oom_kills_total "$O" "$work/m.txt")" 1
is "oomer: still up" "$(value procmgr_process_up "$O" "$work/m.txt")" 1
is "restarts 0" "$(value procmgr_process_restarts_total "$L" "$work/m.txt")" 0
is "one up series per managed process, none for unmanaged ones" \
        "$(grep -c '^procmgr_process_up{' "$work/m.txt")" 3

# ---- procmgr-metrics.service and its timer: the textfile -------------------------------------
in_sb mkdir -p "${OUT%/*}"
check "systemctl start procmgr-metrics.service succeeds" in_sb timeout $((60 * SCALE)) systemctl start procmgr-metrics.service
in_sb cat "$OUT" >"$work/tf.txt" 2>/dev/null
check "... and wrote the textfile with web's series" grep -q "^procmgr_process_up$L 1\$" "$work/tf.txt"
out=$(promtool check metrics <"$work/tf.txt" 2>&1)
is "promtool accepts the textfile" "$? $out" "0 "
is "the textfile is 0644" "$(in_sb stat -c %a "$OUT")" 644
in_sb rm -f "$OUT"
check "systemctl start procmgr-metrics.timer" in_sb systemctl start procmgr-metrics.timer
check "... runs the service at once (OnActiveSec=0): the textfile is back" retry in_sb test -s "$OUT"
is "... and no temporary file is left in the directory" "$(in_sb ls -A "${OUT%/*}")" procmgr.prom

# ---- procmgr-metrics-http.socket ------------------------------------------------------------
check "systemctl start procmgr-metrics-http.socket" in_sb systemctl start procmgr-metrics-http.socket
http() {
        in_sb python3 - "$@" <<'EOF'
import sys, urllib.request, urllib.error
req = urllib.request.Request("http://127.0.0.1:9851" + sys.argv[2], method=sys.argv[1])
try:
    with urllib.request.urlopen(req, timeout=20) as r:
        print(r.status, r.headers.get("Content-Type"))
        sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.headers.get("Allow"))
EOF
}
http GET /metrics >"$work/h.txt"
is "GET http://127.0.0.1:9851/metrics: 200, format 0.0.4" "$(head -n 1 "$work/h.txt")" \
        "200 text/plain; version=0.0.4; charset=utf-8"
check "... with web's series" grep -q "^procmgr_process_up$L 1\$" "$work/h.txt"
tail -n +2 "$work/h.txt" >"$work/hb.txt"
out=$(promtool check metrics <"$work/hb.txt" 2>&1)
is "promtool accepts the HTTP body" "$? $out" "0 "
is "POST: 405 with Allow" "$(http POST /metrics | head -n 1)" "405 GET, HEAD"
is "another path: 404" "$(http GET /secret | head -n 1 | cut -d' ' -f1)" 404
is "no failed instance of the per-connection service" \
        "$(in_sb systemctl list-units --failed --no-legend 'procmgr-metrics-http@*' | wc -l)" 0

done_testing
