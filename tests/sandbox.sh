#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/sandbox.sh - a throwaway real systemd system manager for integration tests
#
# Boots /lib/systemd/systemd as PID 1 of its own pid + mount + uts + cgroup (+ net)
# namespaces on the host's root file system.  The instance has its own /run (and so its
# own system bus, /run/systemd/private and journal sockets), a volatile journald,
# dbus-daemon and polkitd.  Nothing on the host is changed except the state directory
# and one child cgroup per hierarchy, both removed again by "stop".
#
# Usage:
#   tests/sandbox.sh start  NAME        boot an instance; exit 77 (reason on stderr) if
#                                       this machine cannot run one
#   tests/sandbox.sh exec   NAME CMD... run CMD inside (cwd = $PWD); CMD's exit status,
#                                       stdin/stdout/stderr pass through
#   tests/sandbox.sh stop   NAME        orderly poweroff, then remove everything
#   tests/sandbox.sh status NAME        print pid1, state dir and SystemState
#
# PID 1's console (systemd's own messages, errors of the set-up) is
# $SDNS_BASE/NAME/console.log; "start" prints it and the journal if it fails.
#
# Environment (for "start" unless noted):
#   SDNS_BASE=dir        state base dir (all commands); default /var/tmp/procmgr-sandbox.
#                        The instance's /run is $SDNS_BASE/NAME/run, so its journal can be
#                        read from the host: journalctl -D $SDNS_BASE/NAME/run/log/journal
#   SDNS_NET=1           private network namespace (only "lo", brought up by systemd)
#   SDNS_UNITS=dir       unit files (and *.d/ drop-in dirs) copied into the instance's
#                        /run/systemd/system.  Units need DefaultDependencies=no.
#   SDNS_ENABLE="u ..."  units pulled in at boot (Wants= on the boot target); "start"
#                        waits until they are active and fails otherwise
#   SDNS_POLKIT_ACTIONS=dir  *.policy files added to /usr/share/polkit-1/actions
#   SDNS_POLKIT_RULES=dir    *.rules files added to /etc/polkit-1/rules.d
#                        (both are copies under the state dir, bind-mounted inside;
#                        after changing them: sandbox.sh exec NAME systemctl restart polkit)
#   SDNS_ETC_OVERLAY=0|1 default 1: /etc inside is an overlay (lower: the host's /etc,
#                        upper: a tmpfs), so a test may run systemd-sysusers, useradd or
#                        edit files in /etc for this instance only.  0: the host's /etc,
#                        read-write - then do not write to it.
#   SDNS_OVERLAYS="/usr /var"  more directories made overlays like /etc (changes stay
#                        in the instance: e.g. dpkg -i of a package under test)
#   SDNS_TIMEOUT=secs    bound for every wait (default 10)
#   SDNS_FAST_STOP=1     "stop" sends SIGKILL instead of an orderly poweroff
#
# Names must be unique on the machine (the sdns-NAME cgroups sit next to each other):
# use something like ci-$$.  Typical use in a test:
#   N=ci-$$; trap 'tests/sandbox.sh stop $N' EXIT
#   tests/sandbox.sh start $N || exit      # 77 -> the test is skipped
#   tests/sandbox.sh exec $N ./tests/integration/...
#
# Inside the instance, as seen from "exec":
# - plain sd_bus_open_system(), busctl, systemctl, sd_journal_send(), journalctl work;
# - PIDs are those of the instance's pid namespace; a process started by "exec" may be
#   moved into a scope with StartTransientUnit (it is placed in the "harness" cgroup,
#   which lies inside the instance's cgroup namespace);
# - /tmp, /var, /home, /dev are the host's; /run and (by default) /etc are private;
# - there is no /dev/log (the socket is not linked into the shared /dev): use the
#   journal API or systemd-cat, not logger;
# - LoadCredential=/SetCredential= work ("/" is made rshared before systemd starts);
# - the environment of "exec" passes through, except variables naming host-side
#   sockets (DBUS_SYSTEM_BUS_ADDRESS, NOTIFY_SOCKET, JOURNAL_STREAM, LISTEN_*).
#
# Safety (see /work/shared/notes/systemd-sandbox.md, section 3b):
# - PID 1 gets container=... in its environment, so shutdown never remounts the shared
#   root superblock read-only, never swaps off and never detaches loop/DM devices;
# - /sys, /proc/sys and /proc/sysrq-trigger are read-only inside;
# - all generators and every non-essential unit wanted by the standard targets are
#   masked (systemd-tmpfiles-setup would otherwise empty the host's /tmp), the masks sit
#   in /run/systemd/system.control so that units in the host's /etc cannot override them;
# - journald keeps its journal in the private /run only and does not read /dev/kmsg.
#
# Only processes started here are ever signalled, by pid, checked against their start
# time.

set -u -o pipefail

SDNS_BASE=${SDNS_BASE:-/var/tmp/procmgr-sandbox}
SDNS_TIMEOUT=${SDNS_TIMEOUT:-10}
SYSTEMD=/lib/systemd/systemd
BOOT_TARGET=sdns.target
SELF=$(readlink -f -- "${BASH_SOURCE[0]}")

die() {
        echo "sandbox: $*" >&2
        exit 1
}

skip() {
        echo "sandbox: cannot run a systemd sandbox here: $*" >&2
        exit 77
}

# Bounded waits: poll every $POLL seconds until the deadline, $SDNS_TIMEOUT from now.
POLL=0.01
now_us() {
        echo "${EPOCHREALTIME//[!0-9]/}"
}
deadline() {
        echo $(( $(now_us) + SDNS_TIMEOUT * 1000000 ))
}
before() {
        (( $(now_us) < $1 ))
}

check_name() {
        [[ $1 =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$ ]] ||
                die "invalid instance name '$1' (use [A-Za-z0-9_.-], at most 48 characters)"
}

# Process state letter from /proc/PID/stat, empty if the pid is gone.  The comm field
# may contain spaces and ')', so split after the last ')'.
proc_state() {
        local stat
        stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
        stat=${stat##*) }
        echo "${stat%% *}"
}

# Start time (field 22) of a pid, empty if gone.
proc_starttime() {
        local stat f
        stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
        read -r -a f <<<"${stat##*) }"
        echo "${f[19]}"
}

# True while $pid1 is the process we started and has not exited (a zombie counts as
# exited: the host's init may reap orphans late).
pid1_alive() {
        local st
        [ -n "${pid1:-}" ] || return 1
        [ "$(proc_starttime "$pid1")" = "$pid1_start" ] || return 1
        st=$(proc_state "$pid1")
        [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# ---------------------------------------------------------------------------------------
# cgroups
#
# For every hierarchy the caller belongs to, print "MOUNTPOINT OWN-PATH MOUNT-OPTIONS
# NAME-INSIDE".  Exits 77 if the layout is not the hybrid/legacy v1 one this harness
# is built for.
cgroup_layout() {
        local id ctrls path mnt opts inside have_systemd=0 have_cpuacct_alone=0
        local -A mnt_of=()

        # superblock options of each cgroup v1 mount name the controllers it carries
        while read -r mnt fstype opts; do
                case $fstype in
                cgroup2) mnt_of[unified]=$mnt ;;
                cgroup)
                        local o key=""
                        for o in ${opts//,/ }; do
                                case $o in
                                rw|ro|relatime|noatime|nosuid|nodev|noexec|xattr|clone_children|release_agent=*|noprefix|cpuset_v2_mode|favordynmods) ;;
                                *) key=${key:+$key,}$o ;;
                                esac
                        done
                        mnt_of[$key]=$mnt
                        ;;
                esac
        done < <(findmnt -rn -t cgroup,cgroup2 -o TARGET,FSTYPE,OPTIONS)

        grep -q '^0::' /proc/self/cgroup && [ -n "${mnt_of[unified]:-}" ] ||
                skip "no cgroup2 (unified) mount for the hybrid layout"
        grep -q ':cpuacct:' /proc/self/cgroup && have_cpuacct_alone=1

        while IFS=: read -r id ctrls path; do
                if [ "$id" = 0 ]; then
                        echo "${mnt_of[unified]} $path - unified"
                        continue
                fi
                mnt=${mnt_of[$ctrls]:-}
                [ -n "$mnt" ] || skip "cgroup hierarchy '$ctrls' is not mounted"
                case $ctrls in
                name=systemd) have_systemd=1; opts=none,name=systemd; inside=systemd ;;
                name=*)       continue ;;
                # systemd wants cpu and cpuacct joined; with separate hierarchies only
                # cpuacct is given to the instance (CPUUsageNSec works, CPUWeight not).
                cpu)          [ $have_cpuacct_alone = 1 ] && continue
                              opts=cpu; inside=cpu ;;
                cpuacct)      opts=cpuacct; inside=cpu,cpuacct ;;
                *)            opts=$ctrls; inside=$ctrls ;;
                esac
                echo "$mnt $path $opts $inside"
        done </proc/self/cgroup

        [ $have_systemd = 1 ] || skip "no name=systemd cgroup v1 hierarchy (need the hybrid layout)"
}

# Create DIR as a child cgroup (another "exec" may race us to it); a cpuset child
# starts with empty sets, which would refuse tasks: give it its parent's.
cgroup_mkdir() {
        local dir=$1 f
        mkdir "$dir" 2>/dev/null || [ -d "$dir" ] || return
        for f in cpuset.cpus cpuset.mems; do
                [ -e "$dir/$f" ] && [ -z "$(cat "$dir/$f")" ] && { cat "${dir%/*}/$f" >"$dir/$f" || return; }
        done
        return 0
}

# Remove a cgroup subtree bottom-up; retried while the last processes exit.
cgroup_remove() {
        local dir=$1 end
        end=$(deadline)
        while [ -d "$dir" ]; do
                find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
                [ -d "$dir" ] || return 0
                before $end || break
                sleep $POLL
        done
        [ -d "$dir" ] || return 0
        echo "sandbox: cannot remove cgroup $dir; processes left:" >&2
        find "$dir" -name cgroup.procs -exec cat {} + >&2
        return 1
}

# ---------------------------------------------------------------------------------------
# The instance's /run, prepared on the host before boot.

# Units that must never run inside: they change the machine, not the instance.
STATIC_MASKS="
systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service
systemd-tmpfiles-setup-dev-early.service systemd-tmpfiles-clean.service
systemd-tmpfiles-clean.timer systemd-sysctl.service systemd-binfmt.service
proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount
systemd-modules-load.service modprobe@.service kmod-static-nodes.service
systemd-random-seed.service systemd-update-utmp.service
systemd-update-utmp-runlevel.service systemd-sysusers.service systemd-timesyncd.service
systemd-time-wait-sync.service systemd-udevd.service systemd-udevd-control.socket
systemd-udevd-kernel.socket systemd-udev-trigger.service systemd-udev-settle.service
systemd-remount-fs.service systemd-fsck-root.service systemd-fsck@.service
systemd-hwdb-update.service systemd-journal-catalog-update.service
systemd-update-done.service ldconfig.service systemd-machine-id-commit.service
systemd-firstboot.service systemd-journal-flush.service systemd-journald-audit.socket
systemd-pcrphase.service systemd-pcrphase-sysinit.service systemd-pcrphase-initrd.service
systemd-pstore.service systemd-repart.service systemd-boot-system-token.service
systemd-logind.service systemd-user-sessions.service systemd-initctl.socket
systemd-ask-password-console.path systemd-ask-password-wall.path
getty@.service serial-getty@.service console-getty.service container-getty@.service
dev-hugepages.mount dev-mqueue.mount sys-fs-fuse-connections.mount
sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount tmp.mount
apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer man-db.timer fstrim.timer
e2scrub_all.timer e2scrub_reap.service logrotate.timer
"

# Units the instance runs; never masked.
KEEP_UNITS="systemd-journald.service systemd-journald.socket systemd-journald-dev-log.socket
dbus.socket dbus.service polkit.service"

write_run_dir() {
        local run=$1 sys ctl u f dir
        sys=$run/systemd/system
        ctl=$run/systemd/system.control
        mkdir -p "$sys" "$ctl" "$run/systemd/journald.conf.d" "$run/systemd/system-generators" || return

        # Everything the standard targets would pull in on this host, plus the list
        # above, is masked, except what the instance runs and what the test deploys.
        local keep
        keep=" $(echo $KEEP_UNITS ${SDNS_ENABLE:-}) "
        if [ -n "${SDNS_UNITS:-}" ]; then
                for f in "$SDNS_UNITS"/*; do keep+="${f##*/} "; done
        fi
        for f in $STATIC_MASKS /etc/systemd/system/*.wants/* /lib/systemd/system/*.wants/* \
                 /usr/lib/systemd/system/*.wants/*; do
                u=${f##*/}
                case $u in *\*|*.target) continue ;; esac
                case $keep in *" $u "*) continue ;; esac
                ln -sfn /dev/null "$ctl/$u" || return
        done

        # Generators would read the host's fstab, init scripts, getty config...
        for dir in /lib/systemd/system-generators /usr/lib/systemd/system-generators \
                   /usr/local/lib/systemd/system-generators /etc/systemd/system-generators; do
                for f in "$dir"/*; do
                        [ -e "$f" ] && ln -sfn /dev/null "$run/systemd/system-generators/${f##*/}"
                done
        done

        cat >"$sys/$BOOT_TARGET" <<EOF
[Unit]
Description=procmgr test sandbox
Wants=systemd-journald.socket systemd-journald-dev-log.socket systemd-journald.service
Wants=dbus.socket dbus.service polkit.service ${SDNS_ENABLE:-}
EOF
        # dbus and polkit would pull sysinit.target and basic.target.
        for u in dbus.socket dbus.service polkit.service; do
                mkdir -p "$sys/$u.d"
                printf '[Unit]\nDefaultDependencies=no\nConflicts=shutdown.target\nBefore=shutdown.target\n' \
                        >"$sys/$u.d/sdns.conf" || return
        done
        printf '[Unit]\nAfter=dbus.socket\n' >>"$sys/polkit.service.d/sdns.conf"
        # /dev is the host's: no /dev/log symlink (stop would unlink it for everyone).
        mkdir -p "$sys/systemd-journald-dev-log.socket.d"
        printf '[Socket]\nSymlinks=\n' >"$sys/systemd-journald-dev-log.socket.d/sdns.conf"

        cat >"$run/systemd/journald.conf.d/zz-sdns.conf" <<EOF
[Journal]
Storage=volatile
RuntimeMaxUse=16M
ReadKMsg=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
Audit=no
EOF

        if [ -n "${SDNS_UNITS:-}" ]; then
                cp -R -- "$SDNS_UNITS"/. "$sys"/ || return
        fi
}

# Copy of a polkit directory with the test's files added; bind-mounted inside.
polkit_dir() {
        local host=$1 extra=$2 dst=$3
        cp -a -- "$host" "$dst" && cp -R -- "$extra"/. "$dst"/ &&
                find "$dst" -type f -exec chmod 0644 {} +
}

# ---------------------------------------------------------------------------------------
# PID 1 side: runs as PID 1 of the new namespaces, sets up the mount namespace and
# becomes systemd.  Its stdout/stderr is the pty of script(1), i.e. console.log.
boot() {
        local state=$SDNS_STATE name=$SDNS_NAME hostpid start f mnt path opts inside

        set -e
        # /proc is still the host's: "self" resolves to our host pid.
        read -r hostpid _ </proc/self/stat
        start=$(proc_starttime "$hostpid")
        echo "$hostpid $start" >"$state/pid1.tmp"
        mv "$state/pid1.tmp" "$state/pid1"

        mount -t proc -o nosuid,nodev,noexec proc /proc
        echo "sdns-$name" >/proc/sys/kernel/hostname
        for f in /proc/sys /proc/sysrq-trigger; do
                [ -e "$f" ] || continue
                mount --bind "$f" "$f"
                mount -o remount,bind,ro "$f"
        done
        # per-mount read-only, never "remount,ro" of the shared superblock
        mount -o remount,bind,ro,nosuid,nodev,noexec /sys

        mount -t tmpfs -o mode=0755,nosuid,nodev,noexec,size=1M tmpfs /sys/fs/cgroup
        while read -r mnt path opts inside; do
                if [ "$inside" = unified ]; then
                        mkdir /sys/fs/cgroup/unified
                        mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup/unified
                        continue
                fi
                mkdir "/sys/fs/cgroup/$inside"
                mount -t cgroup -o "nosuid,nodev,noexec,$opts" cgroup "/sys/fs/cgroup/$inside"
                if [[ $inside == *,* ]]; then
                        for f in ${inside//,/ }; do ln -s "$inside" "/sys/fs/cgroup/$f"; done
                fi
        done <"$state/cgroups"

        mount --bind "$state/run" /run

        if [ "${SDNS_ETC_OVERLAY:-1}" = 1 ]; then
                mount -t tmpfs -o mode=0700 tmpfs "$state/etc"
                mkdir "$state/etc/upper" "$state/etc/work"
                mount -t overlay -o "lowerdir=/etc,upperdir=$state/etc/upper,workdir=$state/etc/work" \
                        overlay /etc
        fi
        # More directories with a throwaway upper layer (a package installed in the
        # instance must not reach the host's /usr or /var/lib/dpkg).
        for f in ${SDNS_OVERLAYS:-}; do
                mnt=$state/overlay${f//\//_}
                mkdir -p "$mnt"
                mount -t tmpfs -o mode=0700 tmpfs "$mnt"
                mkdir "$mnt/upper" "$mnt/work"
                mount -t overlay -o "lowerdir=$f,upperdir=$mnt/upper,workdir=$mnt/work" overlay "$f"
        done
        # after the /etc overlay, which would hide it
        [ ! -d "$state/polkit/rules" ] || mount --bind "$state/polkit/rules" /etc/polkit-1/rules.d
        [ ! -d "$state/polkit/actions" ] ||
                mount --bind "$state/polkit/actions" /usr/share/polkit-1/actions

        mount --bind "$(tty)" /dev/console
        # systemd makes / shared only outside containers; credentials need it.
        mount --make-rshared /

        cd /
        exec </dev/null >/dev/console 2>&1
        exec env -i container=procmgr-sandbox TERM=dumb \
                "$SYSTEMD" --system --unit="$BOOT_TARGET" --log-target=console --show-status=no \
                systemd.hostname="sdns-$name"
}

# ---------------------------------------------------------------------------------------
# Host side.

load_instance() {
        name=$1
        check_name "$name"
        state=$SDNS_BASE/$name
        [ -d "$state" ] || die "no instance '$name' (no $state)"
        pid1= pid1_start=
        [ -r "$state/pid1" ] && read -r pid1 pid1_start <"$state/pid1"
        return 0
}

# PID 1 of a pid namespace turns into a zombie only after every other process in it
# is gone; its parent (unshare) may be reaped late by the host's init, so "Z" is "gone".
wait_pid1_gone() {
        local end
        end=$(deadline)
        while pid1_alive; do
                before $end || return 1
                sleep $POLL
        done
}

nsenter_pid1() {
        nsenter -t "$pid1" -m -p -u -C -n "$@"
}

print_console() {
        echo "---- console log of instance '$name' ($state/console.log) ----" >&2
        tail -n 40 "$state/console.log" >&2 2>/dev/null
        if [ -d "$state/run/log/journal" ]; then
                echo "---- journal of instance '$name' ----" >&2
                journalctl -D "$state/run/log/journal" --no-pager -q -n 60 >&2 2>&1
        fi
        echo "---- end of logs ----" >&2
}

# Kill PID 1 (the kernel then kills everything else in its pid namespace), remove the
# cgroups and the state dir.  $1 = orderly|fast.
teardown() {
        local mode=$1 rc=0

        if pid1_alive; then
                if [ "$mode" = orderly ]; then
                        kill -s SIGRTMIN+4 "$pid1" 2>/dev/null
                        wait_pid1_gone ||
                                echo "sandbox: '$name' did not power off within ${SDNS_TIMEOUT}s, killing it" >&2
                fi
                pid1_alive && kill -s KILL "$pid1" 2>/dev/null
                if ! wait_pid1_gone; then
                        echo "sandbox: PID 1 ($pid1) of '$name' does not die" >&2
                        return 1
                fi
        fi

        if [ -r "$state/cgroups" ]; then
                local mnt path opts inside
                while read -r mnt path opts inside; do
                        cgroup_remove "$mnt${path%/}/sdns-$name" || rc=1
                done <"$state/cgroups"
        fi
        # Keep the state (and so the cgroup list) for another "stop" if anything is left.
        [ $rc = 0 ] || return 1
        rm -rf --one-file-system -- "$state"
}

# Sockets first (cheap), then ask the instance's manager; every unit must be active
# ("is-active --quiet" succeeds if any one is).
READY_UNITS="systemd-journald.service dbus.service polkit.service"
instance_ready() {
        local units="$READY_UNITS ${SDNS_ENABLE:-}" want="" u
        for u in $units; do want+=" active"; done
        [ -S "$state/run/dbus/system_bus_socket" ] && [ -S "$state/run/systemd/private" ] || return
        [ " $(echo $(nsenter_pid1 systemctl is-active $units 2>/dev/null))" = "$want" ]
}

start_failed() {
        echo "sandbox: start of '$name' failed: $*" >&2
        print_console
        teardown fast
        exit 1
}

cmd_start() {
        local name=$1 state mnt path opts inside u t0 end

        t0=$(now_us)
        check_name "$name"
        [ "$(id -u)" = 0 ] || skip "not root"
        for u in unshare nsenter findmnt script busctl "$SYSTEMD" /usr/bin/dbus-daemon /usr/lib/polkit-1/polkitd; do
                command -v "$u" >/dev/null || skip "$u not found"
        done
        [ -d /sys/fs/cgroup ] && [ "$(stat -f -c %T /sys/fs/cgroup)" = tmpfs ] ||
                skip "/sys/fs/cgroup is not the v1/hybrid tmpfs layout"
        local layout
        layout=$(cgroup_layout) || exit
        unshare --pid --fork --mount --cgroup true 2>/dev/null ||
                skip "unshare --pid --mount --cgroup does not work here"

        mkdir -p -m 0755 "$SDNS_BASE" || die "cannot create $SDNS_BASE"
        state=$SDNS_BASE/$name
        mkdir -m 0700 "$state" 2>/dev/null || die "instance '$name' exists already ($state)"
        pid1= pid1_start=
        trap 'start_failed "interrupted"' INT TERM HUP

        : >"$state/console.log"
        mkdir "$state/etc" "$state/polkit"
        echo "$layout" >"$state/cgroups"
        write_run_dir "$state/run" || start_failed "cannot prepare $state/run"
        if [ -n "${SDNS_POLKIT_ACTIONS:-}" ]; then
                polkit_dir /usr/share/polkit-1/actions "$SDNS_POLKIT_ACTIONS" "$state/polkit/actions" ||
                        start_failed "cannot copy $SDNS_POLKIT_ACTIONS"
        fi
        if [ -n "${SDNS_POLKIT_RULES:-}" ]; then
                polkit_dir /etc/polkit-1/rules.d "$SDNS_POLKIT_RULES" "$state/polkit/rules" ||
                        start_failed "cannot copy $SDNS_POLKIT_RULES"
        fi

        while read -r mnt path opts inside; do
                cgroup_mkdir "$mnt${path%/}/sdns-$name" || start_failed "cannot create cgroup in $mnt"
        done <"$state/cgroups"

        # The future PID 1 enters the instance cgroups first: they become the roots of
        # its cgroup namespace.  script(1) gives it a pty, bound over /dev/console inside
        # (systemd drops a console that is not a tty), and copies it to console.log.
        # Our own fds go to /dev/null, so that callers capturing the output of "start"
        # do not wait for the instance.
        (
                while read -r mnt path opts inside; do
                        echo "$BASHPID" >"$mnt${path%/}/sdns-$name/cgroup.procs" || exit 1
                done <"$state/cgroups"
                export SDNS_STATE=$state SDNS_NAME=$name SDNS_ETC_OVERLAY=${SDNS_ETC_OVERLAY:-1} SDNS_OVERLAYS=${SDNS_OVERLAYS:-}
                export SHELL=/bin/sh
                net=
                [ "${SDNS_NET:-0}" = 1 ] && net=--net
                exec script -qfe -c "$(printf '%q ' unshare --pid --fork --mount --uts --cgroup $net \
                                        --propagation private "$SELF" __boot)" "$state/console.log"
        ) </dev/null >/dev/null 2>&1 &

        end=$(deadline)
        until [ -s "$state/pid1" ]; do
                kill -0 $! 2>/dev/null || start_failed "the namespaces could not be set up"
                before $end || start_failed "PID 1 did not start within ${SDNS_TIMEOUT}s"
                sleep $POLL
        done
        read -r pid1 pid1_start <"$state/pid1"

        until instance_ready; do
                pid1_alive || start_failed "PID 1 exited during boot"
                before $end || break
                sleep $POLL
        done
        if ! instance_ready; then
                nsenter_pid1 systemctl --no-pager --full list-units --all $READY_UNITS ${SDNS_ENABLE:-} >&2 2>&1
                start_failed "not ready within ${SDNS_TIMEOUT}s"
        fi
        trap - INT TERM HUP
        printf 'sandbox: %s up, PID 1 = %s, %d ms\n' "$name" "$pid1" $(( ($(now_us) - t0) / 1000 )) >&2
}

cmd_exec() {
        local name=$1 mnt path opts inside cg
        shift
        [ $# -gt 0 ] || die "exec: no command"
        load_instance "$name"
        pid1_alive || die "instance '$name' is not running"

        # Join <instance>/harness everywhere: a process outside the namespace root could
        # not be moved into a scope by the instance's systemd.
        while read -r mnt path opts inside; do
                cg=$mnt${path%/}/sdns-$name/harness
                cgroup_mkdir "$cg" && echo "$BASHPID" >"$cg/cgroup.procs" || die "cannot join $cg"
        done <"$state/cgroups"
        unset DBUS_SYSTEM_BUS_ADDRESS NOTIFY_SOCKET JOURNAL_STREAM LISTEN_PID LISTEN_FDS LISTEN_FDNAMES
        exec nsenter -t "$pid1" -m -p -u -C -n --wd="$PWD" -- "$@"
}

cmd_stop() {
        local name=$1 t0 mode=orderly
        t0=$(now_us)
        load_instance "$name"
        [ "${SDNS_FAST_STOP:-0}" = 1 ] && mode=fast
        teardown $mode || die "stop of '$name' incomplete; state kept in $state"
        printf 'sandbox: %s stopped (%s), %d ms\n' "$name" $mode $(( ($(now_us) - t0) / 1000 )) >&2
}

cmd_status() {
        local name=$1
        load_instance "$name"
        echo "state: $state"
        if pid1_alive; then
                echo "pid1: $pid1"
                echo "system-state: $(nsenter_pid1 systemctl is-system-running 2>/dev/null)"
        else
                echo "pid1: not running"
                return 3
        fi
}

usage() {
        sed -n '/^# Usage:/,/^# Environment/p' "$SELF" | sed '$d; s/^# \{0,1\}//' >&2
        exit 2
}

case ${1:-} in
__boot)  boot ;;
start)   [ $# = 2 ] || usage; cmd_start "$2" ;;
exec)    [ $# -ge 3 ] || usage; shift; cmd_exec "$@" ;;
stop)    [ $# = 2 ] || usage; cmd_stop "$2" ;;
status)  [ $# = 2 ] || usage; cmd_status "$2" ;;
*)       usage ;;
esac
