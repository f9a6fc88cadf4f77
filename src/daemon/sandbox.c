/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NoNewPrivs + a seccomp deny-list for the front; see sandbox.h. */

#include <errno.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "daemon/sandbox.h"
#include "shared/log.h"
#include "shared/macro.h"

/* What the front never needs once it runs: systemd's @privileged, @mount, @module,
 * @reboot, @swap, @clock, @raw-io, @cpu-emulation and @obsolete in spirit, plus exec
 * (the front starts nothing itself) and the keyring. ptrace stays allowed for the
 * sanitizers' leak checker; without CAP_SYS_PTRACE and with NoNewPrivs it reaches
 * only the front's own dumpable processes, of which there are none. Names this
 * libseccomp or architecture does not know are skipped. */
static const char *const deny[] = {
        "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
        "setfsuid", "setfsgid", "capset",
        "execve", "execveat",
        "chroot", "pivot_root", "mount", "umount2", "move_mount", "open_tree", "fsopen", "fsmount",
        "fsconfig", "fspick", "mount_setattr", "unshare", "setns",
        "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
        "reboot", "swapon", "swapoff", "acct",
        "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
        "sethostname", "setdomainname",
        "iopl", "ioperm", "mknod", "mknodat",
        "bpf", "perf_event_open", "userfaultfd", "fanotify_init", "open_by_handle_at",
        "quotactl", "vhangup", "lookup_dcookie", "nfsservctl", "personality",
        "add_key", "request_key", "keyctl",
        "process_vm_writev", "kcmp", "uselib", "ustat", "sysfs", "_sysctl",
        "modify_ldt", "vm86", "vm86old",
};

static inline void seccomp_releasep(scmp_filter_ctx *c) {
        if (*c)
                seccomp_release(*c);
}

int sandbox_apply(void) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        int r;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return log_error_errno(errno, "Cannot set no_new_privs: %m");

        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return log_error_errno(SYNTHETIC_ERRNO(ENOMEM), "Cannot set up a seccomp filter.");
        for (size_t i = 0; i < ELEMENTSOF(deny); i++) {
                int nr = seccomp_syscall_resolve_name(deny[i]);

                if (nr == __NR_SCMP_ERROR)
                        continue;
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
                if (r < 0 && r != -EDOM)        /* -EDOM: not on this architecture */
                        return log_error_errno(r, "Cannot add %s to the seccomp filter: %m", deny[i]);
        }
        /* socket(): AF_UNIX (1), AF_INET (2) and AF_INET6 (10) only. */
        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                             SCMP_A0(SCMP_CMP_EQ, AF_UNSPEC));
        for (int af = AF_INET + 1; r >= 0 && af < AF_INET6; af++)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                                     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t) af));
        if (r >= 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                                     SCMP_A0(SCMP_CMP_GT, AF_INET6));
        if (r < 0)
                return log_error_errno(r, "Cannot restrict socket families in the seccomp filter: %m");
        r = seccomp_load(ctx);
        if (r < 0)
                return log_error_errno(r, "Cannot load the seccomp filter: %m");
        log_debug("Sandboxed: no_new_privs, seccomp filter loaded.");
        return 0;
}
