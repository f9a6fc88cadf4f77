/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The child side of START, shared by both backends. Everything that
 * allocates or asks NSS (argv, envp, user lookup, PATH search) is prepared in
 * the parent; after fork the child only: resets signals, setsid, optional
 * hold-pipe wait (so the parent can move it into a scope first), stdio (the
 * journal or /dev/null), closes every other descriptor, switches identity,
 * clears capabilities, and execs. Failures before exec are sent back over a
 * CLOEXEC pipe, so START can answer SpawnFailed with the real reason.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* Who asked for a process, for START's per-requester bound (--max-managed-per-user): a Unix
 * peer's uid, or one of these. */
#define REQUESTER_UNKNOWN INT64_C(-1)   /* found again at startup (a scope of an earlier run) */
#define REQUESTER_TCP INT64_C(-2)       /* TCP token holders: one principal, the token */

typedef struct SpawnRequest {
        char **argv;            /* argv[0] as given */
        char *path;             /* resolved executable */
        char **envp;            /* complete environment of the child */
        char *cwd;              /* working directory */
        bool cwd_explicit;      /* asked for: failing to enter it fails the start */
        char *name;             /* display name (default: basename of argv[0]) */
        char *user;             /* user name (or decimal uid) */
        uid_t uid;
        gid_t gid;
        gid_t *groups;          /* supplementary groups, resolved in the parent */
        size_t n_groups;
        bool change_identity;   /* false when the daemon already runs as uid */
        uint64_t memory_max;    /* UINT64_MAX = unset */
        uint64_t cpu_quota;     /* percent of one CPU; 0 = unset */
        uint64_t tasks_max;     /* UINT64_MAX = unset */
        char *description;      /* the command line, for logs and the scope Description= */
        const char *scope_prefix; /* systemd backend, borrowed: the child's scope is <prefix><pid>.scope */
        rlim_t nofile_soft;     /* RLIMIT_NOFILE soft limit for the child; 0 = leave as is */
        int64_t requester;      /* copied to Managed.requester, see REQUESTER_* */
} SpawnRequest;

void spawn_request_done(SpawnRequest *req);

typedef struct SpawnedChild {
        pid_t pid;
        int hold_fd;            /* write end, see spawn_release(); -EBADF if not held */
        int error_fd;           /* read end; EOF = exec'd, 4 bytes = errno of the failure */
} SpawnedChild;

/* Forks. With hold, the child waits on hold_fd: spawn_release() lets it go on; anything
 * else (writing "x", closing it, the daemon dying) makes it exit 126 without exec'ing.
 * Returns 0 and fills ret in the parent; the child never returns. */
int spawn_fork(const SpawnRequest *req, bool hold, const char *journal_identifier, SpawnedChild *ret);
#define SPAWN_RELEASE_BYTE 'g'
/* Lets a held child go on, and closes hold_fd (also on failure, which the child then
 * sees as EOF: it gives up). */
int spawn_release(int hold_fd);

/* Read the result of the error pipe (non-blocking; -EAGAIN if nothing yet): 0 = exec
 * succeeded, > 0 = the child's errno, with the step that failed in *ret_step. */
int spawn_read_result(int error_fd, const char **ret_step);
