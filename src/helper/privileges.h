/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon's privilege drop (libcap) and the matching steps in a forked
 * child. Started as root, procmgrd resolves its service user, narrows the
 * capability bounding set to the keep-set of privileges.c (less CAP_DAC_OVERRIDE),
 * switches to that user and keeps only the keep-set (CAP_KILL effective;
 * CAP_SETUID/CAP_SETGID permitted only, raised to effective in the child right
 * before it switches user; CAP_DAC_OVERRIDE permitted only, raised just for the
 * open of a v1 cgroup.event_control), then verifies the result and fails closed
 * on any mismatch.
 *
 * The bounding set is inherited by every process procmgrd starts: a process
 * started as root gets exactly that set (CAP_KILL CAP_SETGID CAP_SETUID), not
 * root's full one — HOUSE-STYLE §6, option 1; documented in procmgrd(8).
 *
 * Since the privilege separation this drop is made twice: by procmgr-spawn
 * (the keep-set above) and by the network front (keep_none: every set empty).
 *
 * Nothing here knows about JSON, sockets or the bus. Library-style: logs only
 * in privileges_drop(), which is called once from run().
 */

#include <stdbool.h>
#include <sys/types.h>

#define PRIVILEGES_DEFAULT_USER "procmgr"

typedef struct PrivilegesConfig {
        bool enabled;           /* false with --no-drop-privileges */
        const char *user;       /* service user to switch to when started as root */
        bool user_explicit;     /* given on the command line: a missing user is an error */
        bool keep_none;         /* the network front: no capability at all, bounding set empty */
} PrivilegesConfig;

/* Call once, after sockets and the token are acquired and before the bus is
 * connected. Not root → nothing to do (0). Missing default user → stays uid 0
 * but still narrows capabilities to the keep-set (logged as a warning).
 * Returns < 0 (logged) when the drop or its verification failed: the caller
 * must exit. */
int privileges_drop(const PrivilegesConfig *c);

/* Does this process hold CAP_SETUID and CAP_SETGID in its permitted set, i.e. may a
 * forked child switch to another user? */
bool privileges_can_change_identity(void);

/* In a forked child, before setgroups()/setresgid()/setresuid(): raise CAP_SETUID and
 * CAP_SETGID from permitted to effective. 0 or negative errno. */
int privileges_child_raise_setid(void);

/* In a forked child, after the identity switch and before execve(): empty the
 * effective, permitted, inheritable and ambient sets. A process started as a non-root
 * user thus holds no capability at all; one started as root gets the bounding set back
 * from execve(). 0 or negative errno. */
int privileges_child_clear(void);

/* openat(dir_fd, path, flags) with CAP_DAC_OVERRIDE effective for that call only (the
 * v1 cgroup.event_control, root's and mode 0200, for OOM_WATCH): the previous
 * capability state is back before this returns, whatever the result; the process
 * aborts if it cannot be put back. Without CAP_DAC_OVERRIDE permitted, a plain
 * openat(). The fd, or negative errno. */
int privileges_openat_dac_override(int dir_fd, const char *path, int flags);
