/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pid + pidfd + start time; see pidref.h. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shared/fileio.h"
#include "shared/macro.h"
#include "shared/pidref.h"
#include "shared/proc-parse.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

int pidfd_open_pid(pid_t pid) {
        if (pid <= 0)
                return -EINVAL;
        return RET_NERRNO(syscall(SYS_pidfd_open, pid, 0));
}

int pid_get_start_ticks(pid_t pid, uint64_t *ret_start_ticks, char *ret_state) {
        char path[32], buf[2048];
        ProcStat st;
        size_t n;
        int r;

        if (pid <= 0)
                return -EINVAL;
        (void) snprintf(path, sizeof(path), "/proc/%i/stat", (int) pid);
        r = read_virtual_file_at(AT_FDCWD, path, buf, sizeof(buf) - 1, &n);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        if (n == 0)
                return -ESRCH;
        buf[n] = '\0';
        /* The one stat parser; a line it refuses is -EBADMSG here, which callers treat
         * like a vanished process. */
        if (proc_parse_stat(buf, n, &st) < 0 || st.pid != pid)
                return -EBADMSG;
        if (ret_start_ticks)
                *ret_start_ticks = st.start_ticks;
        if (ret_state)
                *ret_state = st.state;
        return 0;
}

bool pid_is_gone(pid_t pid) {
        char state;
        int r;

        r = pid_get_start_ticks(pid, NULL, &state);
        if (r == -ESRCH || r == -EBADMSG)
                return true;
        return r >= 0 && (state == 'Z' || state == 'X');
}

static int pidref_pin(PidRef *p, pid_t pid, int pidfd, uint64_t expected_start_ticks) {
        _cleanup_close_ int fd = pidfd;
        uint64_t ticks;
        int r;

        if (!p || pid <= 0)
                return -EINVAL;
        if (fd < 0) {
                fd = pidfd_open_pid(pid);
                if (fd < 0 && fd != -ENOSYS)
                        return fd;
                if (fd < 0)
                        fd = -EBADF;
        }
        r = pid_get_start_ticks(pid, &ticks, NULL);
        if (r < 0)
                return r == -EBADMSG ? -ESRCH : r;
        if (expected_start_ticks != 0 && ticks != expected_start_ticks)
                return -ESRCH;
        *p = (PidRef) { .pid = pid, .fd = TAKE_FD(fd), .start_ticks = ticks };
        return 0;
}

int pidref_set_pid(PidRef *p, pid_t pid) {
        return pidref_pin(p, pid, -EBADF, 0);
}

int pidref_set_pid_and_start(PidRef *p, pid_t pid, uint64_t expected_start_ticks) {
        return pidref_pin(p, pid, -EBADF, expected_start_ticks);
}

int pidref_set_peer(PidRef *p, int sockfd) {
        _cleanup_close_ int pidfd = -EBADF;
        struct ucred uc = {};
        socklen_t l;
        int fd = -EBADF, r;

        if (!p || sockfd < 0)
                return -EINVAL;
        l = sizeof(uc);
        if (getsockopt(sockfd, SOL_SOCKET, SO_PEERCRED, &uc, &l) < 0)
                return -errno;
        if (uc.pid <= 0)
                return -ENODATA;
        l = sizeof(fd);
        if (getsockopt(sockfd, SOL_SOCKET, SO_PEERPIDFD, &fd, &l) >= 0)
                pidfd = fd;
        r = pidref_pin(p, uc.pid, TAKE_FD(pidfd), 0);
        if (r < 0)
                return r;
        /* With the peer's own pidfd: if it is still alive after the start time was read,
         * that start time is the peer's and not a recycled pid's. */
        if (pidref_is_alive(p) <= 0) {
                pidref_done(p);
                return -ESRCH;
        }
        return 0;
}

void pidref_done(PidRef *p) {
        if (!p)
                return;
        safe_close(p->fd);
        *p = PIDREF_NULL;
}

int pidref_is_alive(const PidRef *p) {
        uint64_t ticks;
        char state;
        int r;

        if (!pidref_is_set(p))
                return -EINVAL;
        if (p->fd >= 0) {
                struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

                /* A pidfd becomes readable when its process has exited. */
                r = poll(&pfd, 1, 0);
                if (r < 0)
                        return -errno;
                if (r > 0)
                        return 0;
        }
        r = pid_get_start_ticks(p->pid, &ticks, &state);
        if (r == -ESRCH || r == -EBADMSG)
                return 0;
        if (r < 0)
                return r;
        if (state == 'Z' || state == 'X')
                return 0;
        return p->start_ticks == 0 || ticks == p->start_ticks;
}

int pidref_kill(const PidRef *p, int sig) {
        if (!pidref_is_set(p))
                return -ESRCH;
        if (p->fd >= 0)
                return RET_NERRNO(syscall(SYS_pidfd_send_signal, p->fd, sig, NULL, 0));
        return RET_NERRNO(kill(p->pid, sig));
}

int pidref_kill_and_sigcont(const PidRef *p, int sig) {
        int r;

        r = pidref_kill(p, sig);
        if (r < 0)
                return r;
        if (sig != SIGKILL && sig != SIGCONT)
                (void) pidref_kill(p, SIGCONT);
        return 0;
}
