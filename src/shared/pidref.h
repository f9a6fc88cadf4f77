/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A reference to one process that survives pid reuse: the pid, a pidfd that
 * pins it (where the kernel has pidfds: Linux 5.3+, and not under valgrind),
 * and its start time (/proc/<pid>/stat field 22, in clock ticks since boot),
 * which with the pid identifies a process even without a pidfd. Signals go
 * through the pidfd when there is one, so a recycled pid is never signalled.
 * The same idea as systemd's PidRef, with the start time instead of the pidfd
 * inode. Reads the real /proc; never logs; no event loop (watching a PidRef
 * for exit is process-watch's job in the daemon).
 */

#include <errno.h> /* PIDREF_NULL */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct PidRef {
        pid_t pid;              /* 0: unset */
        int fd;                 /* pidfd, -EBADF where pidfds are unavailable */
        uint64_t start_ticks;   /* 0: unknown */
} PidRef;

#define PIDREF_NULL ((PidRef) { .fd = -EBADF })

static inline bool pidref_is_set(const PidRef *p) {
        return p && p->pid > 0;
}

/* Pins pid (pidfd first, then the start time, so both describe the same process).
 * -ESRCH when there is no such process. *p is left unset on failure. */
int pidref_set_pid(PidRef *p, pid_t pid);
/* The same, and -ESRCH unless its start time is expected_start_ticks (0: any). */
int pidref_set_pid_and_start(PidRef *p, pid_t pid, uint64_t expected_start_ticks);
/* The process at the other end of a connected AF_UNIX socket: SO_PEERPIDFD where the
 * kernel has it (6.5+: pins the very process that connected), else SO_PEERCRED's pid. */
int pidref_set_peer(PidRef *p, int sockfd);
/* Closes the pidfd and unsets *p. */
void pidref_done(PidRef *p);

/* 1 while the referenced process runs: the pidfd (if any) has not signalled exit, the
 * pid is not a zombie, and its start time is still the recorded one. 0 when it is gone
 * or the pid now belongs to another process. -EINVAL when unset. */
int pidref_is_alive(const PidRef *p);

int pidref_kill(const PidRef *p, int sig);
/* sig, then SIGCONT unless sig is SIGKILL or SIGCONT: a stopped process cannot act on
 * SIGTERM until it is continued. The SIGCONT is best effort. */
int pidref_kill_and_sigcont(const PidRef *p, int sig);

/* Plain pid helpers the above are made of. */
/* A pidfd for pid; -ENOSYS when pidfds are unavailable, -ESRCH when pid is gone. */
int pidfd_open_pid(pid_t pid);
/* Start time and state letter (R, S, Z, …) of pid from /proc/<pid>/stat; -ESRCH if gone. */
int pid_get_start_ticks(pid_t pid, uint64_t *ret_start_ticks, char *ret_state);
/* No /proc entry, or a zombie. */
bool pid_is_gone(pid_t pid);
