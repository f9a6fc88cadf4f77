/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Privilege drop of procmgrd and the capability steps of a forked child; see
 * privileges.h. The sequence (HOUSE-STYLE §5.12): resolve the user while
 * root → drop the bounding set (CAP_SETPCAP last) → keep-caps on →
 * setgroups/setresgid → setresuid → keep-caps off → cap_set_proc(keep-set) →
 * clear ambient → verify, trying to regain a dropped capability.
 */

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/log.h"
#include "shared/macro.h"
#include "helper/privileges.h"

/* cap_free() takes any object libcap allocated (cap_t, text from cap_to_text()). */
static inline void cap_freep(void *p) {
        if (*(void **) p)
                (void) cap_free(*(void **) p);
}

#define GROUPS_MAX 256

/* "cap_kill"; cap_to_name() allocates, so copy into the caller's buffer. */
static const char *cap_name(cap_value_t c, char *buf, size_t size) {
        char *n = cap_to_name(c);

        snprintf(buf, size, "%s", n ?: "?");
        if (n)
                (void) cap_free(n);
        return buf;
}
#define CAP_NAME(c) cap_name((c), (char[32]) {}, 32)

/* The keep-set: every capability procmgrd holds after the drop, and why. Anything not
 * listed is removed from the effective, permitted, inheritable, ambient and bounding
 * sets. Deliberately not kept:
 *  - CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH: LIST/STATUS read /proc/PID/{stat,status,cmdline}
 *    of other users, which are world-readable (0444; no hidepid on /proc). Without ptrace
 *    access the kernel only zeroes stat fields we do not report (kstkeip, wchan, …).
 *  - CAP_SETPCAP: needed only for PR_CAPBSET_DROP during the drop itself; dropped last.
 *  - CAP_DAC_READ_SEARCH & co.: LOGS reads the journal through the service user's
 *    supplementary groups (procmgrd.sysusers puts 'procmgr' into systemd-journal). */
static const struct {
        cap_value_t cap;
        bool effective;         /* false: permitted only, raised where it is used */
        bool bounding;          /* false: taken out of the bounding set, so that no started
                                 * process (a uid-0 one gets the bounding set at execve())
                                 * ever holds it */
} keep_table[] = {
        /* STOP signals processes of other users (kill permission check of
         * pidfd_send_signal); used by the daemon itself, so effective. */
        { CAP_KILL, true, true },
        /* START with another user: the forked child calls setresuid(). Permitted only;
         * privileges_child_raise_setid() makes it effective in the child just before. */
        { CAP_SETUID, false, true },
        /* START with another user: setgroups() and setresgid() in the child, same rule. */
        { CAP_SETGID, false, true },
        /* OOM_WATCH on cgroup v1: cgroup.event_control is root's, mode 0200, and the helper
         * runs as user procmgr. Permitted only, raised by privileges_openat_dac_override()
         * around that one openat(); never in the bounding set, and cleared with the rest in
         * every child (privileges_child_clear()). It adds nothing the helper could not do:
         * with CAP_SETUID/CAP_SETGID it can already become any user, the owner of any file. */
        { CAP_DAC_OVERRIDE, false, false },
};

/* Entries of keep_table we could not get because we were started without them (a
 * narrower CapabilityBoundingSet=, capsh --drop): they are dropped like the rest, and
 * the feature that needs them fails later with a clear error (START as another user is
 * refused without CAP_SETUID/CAP_SETGID). Missing never means more privilege. */
static bool keep_missing[ELEMENTSOF(keep_table)];

static bool cap_is_kept(cap_value_t c) {
        for (size_t i = 0; i < ELEMENTSOF(keep_table); i++)
                if (keep_table[i].cap == c)
                        return !keep_missing[i];
        return false;
}

/* Kept and to stay in the bounding set (started processes inherit that set). */
static bool cap_is_bounded(cap_value_t c) {
        for (size_t i = 0; i < ELEMENTSOF(keep_table); i++)
                if (keep_table[i].cap == c)
                        return !keep_missing[i] && keep_table[i].bounding;
        return false;
}

static int keep_table_check_available(void) {
        _cleanup_(cap_freep) cap_t cur = cap_get_proc();

        if (!cur)
                return log_oom();
        for (size_t i = 0; i < ELEMENTSOF(keep_table); i++) {
                cap_flag_value_t v = CAP_CLEAR;

                (void) cap_get_flag(cur, keep_table[i].cap, CAP_PERMITTED, &v);
                keep_missing[i] = v != CAP_SET || (keep_table[i].bounding && cap_get_bound(keep_table[i].cap) <= 0);
                if (keep_missing[i])
                        log_warning("Started without %s: the features needing it will not work.",
                                    CAP_NAME(keep_table[i].cap));
        }
        return 0;
}

/* Kernel capabilities this system knows; libcap asks the kernel (cap_last_cap + 1). */
static cap_value_t cap_count(void) {
        cap_value_t n = cap_max_bits();

        return n > 0 ? n : CAP_LAST_CAP + 1;
}

static cap_t keep_set_new(void) {
        _cleanup_(cap_freep) cap_t c = cap_init();

        if (!c)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(keep_table); i++) {
                cap_value_t v = keep_table[i].cap;

                if (keep_missing[i])
                        continue;
                if (cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET) < 0)
                        return NULL;
                if (keep_table[i].effective && cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0)
                        return NULL;
        }
        return TAKE_PTR(c);
}

static int drop_bounding_set(void) {
        cap_value_t n = cap_count();
        int r;

        for (cap_value_t c = 0; c < n; c++) {
                if (c == CAP_SETPCAP || cap_is_bounded(c))
                        continue;
                r = cap_get_bound(c);
                if (r < 0)
                        break;          /* beyond what the kernel knows */
                if (r == 0)
                        continue;       /* already gone (e.g. the unit's CapabilityBoundingSet=) */
                if (cap_drop_bound(c) < 0)
                        return log_error_errno(errno, "Failed to drop %s from the bounding set%s: %m",
                                               CAP_NAME(c),
                                               errno == EPERM ? " (CAP_SETPCAP is missing)" : "");
        }
        /* Last, as every drop above needed it. */
        if (!cap_is_bounded(CAP_SETPCAP) && cap_get_bound(CAP_SETPCAP) > 0 && cap_drop_bound(CAP_SETPCAP) < 0)
                return log_error_errno(errno, "Failed to drop cap_setpcap from the bounding set: %m");
        return 0;
}

static int switch_user(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups) {
        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return log_error_errno(errno, "PR_SET_KEEPCAPS failed: %m");
        if (setgroups(n_groups, groups) < 0)
                return log_error_errno(errno, "setgroups() failed: %m");
        if (setresgid(gid, gid, gid) < 0)
                return log_error_errno(errno, "setresgid(%u) failed: %m", (unsigned) gid);
        if (setresuid(uid, uid, uid) < 0)
                return log_error_errno(errno, "setresuid(%u) failed: %m", (unsigned) uid);
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return log_error_errno(errno, "PR_SET_KEEPCAPS failed: %m");
        return 0;
}

static bool groups_equal(const gid_t *a, size_t na, const gid_t *b, size_t nb) {
        /* Same set; the kernel sorts the list, NSS does not. */
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++) {
                bool found = false;
                for (size_t j = 0; j < nb && !found; j++)
                        found = a[i] == b[j];
                if (!found)
                        return false;
        }
        return true;
}

/* OpenSSH-style: check what we got instead of trusting the calls that got us there. */
static int verify(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups) {
        _cleanup_(cap_freep) cap_t want = NULL, have = NULL, probe = NULL;
        uid_t ru, eu, su;
        gid_t rg, eg, sg, now_groups[GROUPS_MAX];
        cap_value_t n = cap_count(), v;
        int k;

        if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
                return log_error_errno(errno, "getresuid()/getresgid() failed: %m");
        if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
                return log_error_errno(SYNTHETIC_ERRNO(EPERM),
                                       "Privilege drop incomplete: uids %u/%u/%u gids %u/%u/%u, wanted %u/%u.",
                                       (unsigned) ru, (unsigned) eu, (unsigned) su, (unsigned) rg,
                                       (unsigned) eg, (unsigned) sg, (unsigned) uid, (unsigned) gid);
        k = getgroups(ELEMENTSOF(now_groups), now_groups);
        if (k < 0 || !groups_equal(now_groups, (size_t) k, groups, n_groups))
                return log_error_errno(SYNTHETIC_ERRNO(EPERM), "Privilege drop incomplete: unexpected supplementary groups.");

        want = keep_set_new();
        have = cap_get_proc();
        if (!want || !have)
                return log_oom();
        if (cap_compare(want, have) != 0) {
                _cleanup_(cap_freep) char *text = cap_to_text(have, NULL);
                return log_error_errno(SYNTHETIC_ERRNO(EPERM), "Privilege drop incomplete: capabilities are '%s'.",
                                       strna(text));
        }
        for (cap_value_t c = 0; c < n; c++) {
                int b = cap_get_bound(c);
                if (b < 0)
                        break;
                if ((b > 0) != cap_is_bounded(c))
                        return log_error_errno(SYNTHETIC_ERRNO(EPERM),
                                               "Privilege drop incomplete: %s %s the bounding set.", CAP_NAME(c),
                                               b > 0 ? "is still in" : "is missing from");
                if (cap_get_ambient(c) > 0)
                        return log_error_errno(SYNTHETIC_ERRNO(EPERM),
                                               "Privilege drop incomplete: %s is still ambient.", CAP_NAME(c));
        }
        if (prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0) != 0)
                return log_error_errno(SYNTHETIC_ERRNO(EPERM), "Privilege drop incomplete: keep-caps still set.");

        /* Try to get a dropped capability back: must fail. */
        probe = cap_dup(have);
        v = CAP_SYS_ADMIN;
        if (!probe || cap_set_flag(probe, CAP_PERMITTED, 1, &v, CAP_SET) < 0 ||
            cap_set_flag(probe, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0)
                return log_oom();
        if (cap_set_proc(probe) >= 0)
                return log_error_errno(SYNTHETIC_ERRNO(EPERM), "Privilege drop failed: cap_sys_admin could be regained.");
        /* Without CAP_SETUID there must be no way back to uid 0 either. With it (START as
         * another user) that way exists by design; the bounding set is the boundary. */
        if (uid != 0 && !cap_is_kept(CAP_SETUID) && (setuid(0) >= 0 || seteuid(0) >= 0))
                return log_error_errno(SYNTHETIC_ERRNO(EPERM), "Privilege drop failed: uid 0 could be regained.");
        return 0;
}

typedef struct UserLookup {
        int error;              /* 0, or the errno of a failed lookup (ESRCH: no such user) */
        uid_t uid;
        gid_t gid;
        int n_groups;           /* < 0: more than GROUPS_MAX */
        gid_t groups[GROUPS_MAX];
} UserLookup;

/* getpwnam() + getgrouplist() in a short-lived child. NSS modules, once loaded, stay in
 * a process for good (libnss_systemd brings libm along: ~640 KiB resident), and the
 * daemon needs the service user exactly once; done in a child, an idle procmgrd never
 * carries them. Returns < 0 only when the child could not do its job at all. */
static int lookup_user(const char *name, UserLookup *ret) {
        _cleanup_close_ int rfd = -EBADF, wfd = -EBADF;
        int fds[2], status;
        UserLookup u = {};
        size_t got = 0;
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        rfd = fds[0];
        wfd = fds[1];
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                struct passwd *pw;

                errno = 0;
                pw = getpwnam(name);
                if (!pw)
                        u.error = errno > 0 ? errno : ESRCH;
                else {
                        u.uid = pw->pw_uid;
                        u.gid = pw->pw_gid;
                        u.n_groups = GROUPS_MAX;
                        if (pw->pw_uid != 0 && getgrouplist(pw->pw_name, pw->pw_gid, u.groups, &u.n_groups) < 0)
                                u.n_groups = -1;
                }
                _exit(write(wfd, &u, sizeof(u)) == (ssize_t) sizeof(u) ? 0 : 1);
        }
        wfd = safe_close(wfd);
        while (got < sizeof(u)) {
                ssize_t n = read(rfd, (char *) &u + got, sizeof(u) - got);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t) n;
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (got != sizeof(u))
                return -EIO;
        *ret = u;
        return 0;
}

int privileges_drop(const PrivilegesConfig *c) {
        _cleanup_(cap_freep) cap_t keep = NULL;
        _cleanup_(cap_freep) char *keep_text = NULL;
        gid_t groups[GROUPS_MAX];
        size_t n_groups = 0;
        uid_t uid = 0;
        gid_t gid = 0;
        int r;

        if (!c->enabled) {
                log_notice("--no-drop-privileges: keeping every privilege procmgrd was started with.");
                return 0;
        }
        if (geteuid() != 0) {
                log_info("Not started as root (uid %u): no privileges to drop.", (unsigned) geteuid());
                return 0;
        }

        /* 1. Resolve the user now, while NSS and every file are still reachable. */
        UserLookup *pw = malloc(sizeof(UserLookup));
        if (!pw)
                return log_oom();
        r = lookup_user(c->user, pw);
        if (r < 0) {
                free(pw);
                return log_error_errno(r, "Cannot look up user '%s': %m", c->user);
        }
        if (pw->error != 0) {
                r = pw->error;
                free(pw);
                if (c->user_explicit)
                        return log_error_errno(r, "Cannot find user '%s'.", c->user);
                log_warning("User '%s' does not exist (install procmgr.conf into sysusers.d and run systemd-sysusers): "
                            "staying uid 0, but dropping to %s.", c->user,
                            c->keep_none ? "no capability at all" : "the capability keep-set");
        } else if (pw->uid == 0) {
                free(pw);
                log_warning("User '%s' is uid 0: staying uid 0, dropping to %s.", c->user,
                            c->keep_none ? "no capability at all" : "the capability keep-set");
        } else {
                uid = pw->uid;
                gid = pw->gid;
                /* Supplementary groups of the service user (e.g. systemd-journal for LOGS). */
                if (pw->n_groups < 0) {
                        free(pw);
                        return log_error_errno(SYNTHETIC_ERRNO(E2BIG), "User '%s' has more than %d groups.",
                                               c->user, GROUPS_MAX);
                }
                n_groups = (size_t) pw->n_groups;
                memcpy(groups, pw->groups, n_groups * sizeof(gid_t));
                free(pw);
        }

        if (c->keep_none)
                /* The front: nothing is kept, so nothing can be missing either. */
                for (size_t i = 0; i < ELEMENTSOF(keep_table); i++)
                        keep_missing[i] = true;
        else {
                r = keep_table_check_available();
                if (r < 0)
                        return r;
        }
        keep = keep_set_new();
        if (!keep)
                return log_oom();

        /* 2. Bounding set, while CAP_SETPCAP is still effective. */
        r = drop_bounding_set();
        if (r < 0)
                return r;

        /* 3.–6. Identity. Staying root: no groups but our primary one. */
        r = switch_user(uid, gid, groups, n_groups);
        if (r < 0)
                return r;

        /* 7. The keep-set; inheritable empty. */
        if (cap_set_proc(keep) < 0)
                return log_error_errno(errno, "cap_set_proc() failed: %m");
        /* 8. Ambient. */
        if (cap_reset_ambient() < 0)
                return log_error_errno(errno, "Cannot clear the ambient capability set: %m");

        /* 9. Verify. */
        r = verify(uid, gid, groups, n_groups);
        if (r < 0)
                return r;

        /* The token lives in our memory: no core dump of us, whatever fs.suid_dumpable says
         * (systemd-coredump sets it to 2). Started processes are dumpable again after execve. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return log_error_errno(errno, "Cannot make procmgrd non-dumpable: %m");

        keep_text = cap_to_text(keep, NULL);
        if (c->keep_none) {
                log_info("Dropped all privileges: the network front runs as uid %u gid %u with no capability.",
                         (unsigned) uid, (unsigned) gid);
                return 0;
        }
        log_info("Dropped privileges: running as uid %u gid %u, capabilities '%s', bounding set the same.",
                 (unsigned) uid, (unsigned) gid, strna(keep_text));
        return 0;
}

bool privileges_can_change_identity(void) {
        _cleanup_(cap_freep) cap_t c = cap_get_proc();
        cap_flag_value_t u = CAP_CLEAR, g = CAP_CLEAR;

        if (!c)
                return false;
        (void) cap_get_flag(c, CAP_SETUID, CAP_PERMITTED, &u);
        (void) cap_get_flag(c, CAP_SETGID, CAP_PERMITTED, &g);
        return u == CAP_SET && g == CAP_SET;
}

int privileges_child_raise_setid(void) {
        _cleanup_(cap_freep) cap_t c = cap_get_proc();
        static const cap_value_t v[] = { CAP_SETUID, CAP_SETGID };

        if (!c)
                return -errno;
        if (cap_set_flag(c, CAP_EFFECTIVE, ELEMENTSOF(v), v, CAP_SET) < 0)
                return -errno;
        return cap_set_proc(c) < 0 ? -errno : 0;
}

int privileges_child_clear(void) {
        _cleanup_(cap_freep) cap_t c = NULL;

        if (cap_reset_ambient() < 0 && errno != EINVAL)
                return -errno;
        c = cap_init();
        if (!c)
                return -errno;
        return cap_set_proc(c) < 0 ? -errno : 0;
}

int privileges_openat_dac_override(int dir_fd, const char *path, int flags) {
        _cleanup_(cap_freep) cap_t saved = cap_get_proc(), raised = NULL;
        static const cap_value_t v = CAP_DAC_OVERRIDE;
        cap_flag_value_t have = CAP_CLEAR;
        int fd, r;

        if (!saved)
                return -errno;
        (void) cap_get_flag(saved, CAP_DAC_OVERRIDE, CAP_PERMITTED, &have);
        if (have != CAP_SET) {
                /* Not ours (a narrower unit): the plain open, refused or not on its own. */
                fd = openat(dir_fd, path, flags);
                return fd < 0 ? -errno : fd;
        }
        /* Both states are built before the raise: putting the saved one back is then a
         * bare capset() that only lowers, which the kernel does not refuse. */
        raised = cap_dup(saved);
        if (!raised || cap_set_flag(raised, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0)
                return -ENOMEM;
        if (cap_set_proc(raised) < 0)
                return -errno;
        fd = openat(dir_fd, path, flags);
        r = fd < 0 ? -errno : fd;
        /* Whatever the result: never go on with it effective. */
        assert_se(cap_set_proc(saved) >= 0);
        return r;
}
