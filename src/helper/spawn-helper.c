/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procmgr-spawn's request loop; see spawn-helper.h. Single-threaded and
 * blocking: poll() on the connection and a signalfd for SIGCHLD. A request is
 * decoded (spawn-wire), checked again, acted on, and answered before the next
 * one is read.
 */

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper/privileges.h"
#include "helper/process-stop.h"
#include "helper/spawn-helper.h"
#include "helper/spawn.h"
#include "shared/fd-util.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/pidref.h"
#include "shared/spawn-wire.h"

#define CHILDREN_MAX 65536U     /* bounded table of live children: pid → start time */

typedef struct Child {
        pid_t pid;
        uint64_t start_ticks;
} Child;

typedef struct Helper {
        int fd;
        pid_t front;
        Child *children;
        size_t n_children;
} Helper;

static int reply(Helper *h, const SpawnWireMessage *m, const int *fds, size_t n_fds) {
        _cleanup_free_ void *buf = NULL;
        size_t size;
        int r;

        r = spawn_wire_encode(m, &buf, &size);
        if (r < 0)
                return r;
        return spawn_wire_send(h->fd, buf, size, fds, n_fds);
}

static int reply_error(Helper *h, SpawnWireType type, uint32_t id, int error) {
        SpawnWireMessage m = { .type = type, .id = id };

        if (type == SPAWN_WIRE_SPAWN_REPLY)
                m.spawn_reply.error = error;
        else if (type == SPAWN_WIRE_OOM_WATCH_REPLY)
                m.oom_watch_reply.error = error;
        else
                m.signal_reply.error = error;
        return reply(h, &m, NULL, 0);
}

/* ---- SPAWN ------------------------------------------------------------------------------ */

static int check_spawn(const SpawnWireSpawn *s) {
        bool change = s->flags & SPAWN_WIRE_CHANGE_IDENTITY;

        if (s->argc == 0 || s->argv[0][0] == '\0')
                return -EINVAL;
        if (s->cwd[0] != '\0' && s->cwd[0] != '/')
                return -EINVAL;
        /* Users and groups must exist: nothing runs under an id nobody owns. */
        if (!getpwuid((uid_t) s->uid) || !getgrgid((gid_t) s->gid))
                return -ESRCH;
        for (uint32_t i = 0; i < s->n_groups; i++)
                if (!getgrgid((gid_t) s->groups[i]))
                        return -ESRCH;
        if (!change)
                /* Without the switch the child runs as we do: say so rather than pretend. */
                return (uid_t) s->uid == geteuid() ? 0 : -EPERM;
        if (!privileges_can_change_identity())
                return -EPERM;
        /* Our own service user may manage units through polkit: never hand it out. */
        if (geteuid() != 0 && (uid_t) s->uid == geteuid())
                return -EPERM;
        return 0;
}

static int children_add(Helper *h, pid_t pid, uint64_t ticks) {
        Child *a;

        if (h->n_children >= CHILDREN_MAX)
                return -EMFILE;
        a = reallocarray(h->children, h->n_children + 1, sizeof(Child));
        if (!a)
                return -ENOMEM;
        h->children = a;
        a[h->n_children++] = (Child) { .pid = pid, .start_ticks = ticks };
        return 0;
}

static int handle_spawn(Helper *h, uint32_t id, const SpawnWireSpawn *s) {
        gid_t groups[SPAWN_WIRE_GROUPS_MAX];
        SpawnedChild child;
        SpawnWireMessage m = { .type = SPAWN_WIRE_SPAWN_REPLY, .id = id };
        int fds[SPAWN_WIRE_FDS_MAX], r;
        size_t n_fds = 0;

        r = check_spawn(s);
        if (r < 0)
                return reply_error(h, SPAWN_WIRE_SPAWN_REPLY, id, r);
        for (uint32_t i = 0; i < s->n_groups; i++)
                groups[i] = (gid_t) s->groups[i];
        SpawnRequest req = {
                .argv = s->argv,
                .envp = s->envp,
                .cwd = s->cwd[0] ? (char *) s->cwd : NULL,
                .cwd_explicit = s->flags & SPAWN_WIRE_CWD_EXPLICIT,
                .uid = (uid_t) s->uid,
                .gid = (gid_t) s->gid,
                .groups = groups,
                .n_groups = s->n_groups,
                .change_identity = s->flags & SPAWN_WIRE_CHANGE_IDENTITY,
                .scope_prefix = s->unit_prefix[0] ? s->unit_prefix : NULL,
                .nofile_soft = (rlim_t) s->nofile_soft,
        };
        r = spawn_fork(&req, s->flags & SPAWN_WIRE_HOLD, s->identifier[0] ? s->identifier : NULL, &child);
        if (r < 0)
                return reply_error(h, SPAWN_WIRE_SPAWN_REPLY, id, r);

        /* Pinned while it cannot have exited unseen: it is our child, not reaped yet. */
        (void) pid_get_start_ticks(child.pid, &child.start_ticks, NULL);
        child.pidfd = pidfd_open_pid(child.pid);        /* none under valgrind or old kernels */
        r = children_add(h, child.pid, child.start_ticks);
        m.spawn_reply.pid = child.pid;
        m.spawn_reply.start_ticks = child.start_ticks;
        if (child.pidfd >= 0) {
                m.spawn_reply.fds |= SPAWN_WIRE_FD_PIDFD;
                fds[n_fds++] = child.pidfd;
        }
        m.spawn_reply.fds |= SPAWN_WIRE_FD_ERROR;
        fds[n_fds++] = child.error_fd;
        if (child.hold_fd >= 0) {
                m.spawn_reply.fds |= SPAWN_WIRE_FD_HOLD;
                fds[n_fds++] = child.hold_fd;
        }
        if (r >= 0)
                r = reply(h, &m, fds, n_fds);
        if (r < 0 && child.hold_fd < 0)
                /* Nobody will know it runs: it must not. (A held child gives up by itself
                 * when its hold pipe closes below.) */
                (void) kill(child.pid, SIGKILL);
        for (size_t i = 0; i < n_fds; i++)
                (void) safe_close(fds[i]);
        return r;
}

/* ---- SIGNAL ----------------------------------------------------------------------------- */

/* The pid a pidfd refers to, from /proc/self/fdinfo ("Pid:"; -1 once it is reaped). */
static int pidfd_get_pid(int fd, pid_t *ret) {
        char path[64], buf[1024];
        _cleanup_close_ int f = -EBADF;
        const char *p;
        ssize_t n;

        (void) snprintf(path, sizeof(path), "/proc/self/fdinfo/%i", fd);
        f = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (f < 0)
                return -errno;
        n = read(f, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        p = strstr(buf, "\nPid:");
        if (!p)
                return -EBADF;  /* not a pidfd */
        *ret = (pid_t) strtol(p + 5, NULL, 10);
        return 0;
}

static int do_signal(Helper *h, const SpawnWireSignal *s, int pidfd) {
        _cleanup_(pidref_done) PidRef p = PIDREF_NULL;
        uint64_t ticks = 0;
        pid_t fd_pid = 0;
        int r;

        if (s->signal <= 0 || s->signal >= _NSIG)
                return -EINVAL;
        if (s->pid <= 1)        /* never PID 1 (nor a group or "everyone") */
                return -EPERM;
        if (s->pid == getpid() || s->pid == getppid() || (h->front > 0 && s->pid == h->front))
                return -EPERM;
        if (s->start_ticks == 0)
                return -EINVAL; /* the front always names the process it means */
        if (!!(s->flags & SPAWN_WIRE_HAS_PIDFD) != (pidfd >= 0))
                return -EBADMSG;
        if (pidfd >= 0) {
                r = pidfd_get_pid(pidfd, &fd_pid);
                if (r < 0)
                        return r;
                if (fd_pid != s->pid)
                        return -ESRCH;  /* stale (reaped: -1) or another process */
                p = (PidRef) { .pid = s->pid, .fd = fcntl(pidfd, F_DUPFD_CLOEXEC, 3), .start_ticks = s->start_ticks };
                if (p.fd < 0)
                        return -errno;
                /* Pinned now; the start time says it is the process the front meant. */
                r = pid_get_start_ticks(s->pid, &ticks, NULL);
                if (r < 0)
                        return r;
                if (ticks != s->start_ticks)
                        return -ESRCH;
        } else {
                r = pidref_set_pid_and_start(&p, s->pid, s->start_ticks);
                if (r < 0)
                        return r;
        }
        return process_stop_signal_pinned(&p, s->signal, s->flags & SPAWN_WIRE_GROUP);
}

/* ---- OOM_WATCH -------------------------------------------------------------------------- */

/* A scope name as procmgrd makes them: no path separators, no dot files. */
static bool scope_name_ok(const char *unit) {
        size_t n = strlen(unit);

        if (n < strlen("x.scope") || n > SPAWN_WIRE_UNIT_MAX || unit[0] == '.' ||
            strcmp(unit + n - strlen(".scope"), ".scope") != 0)
                return false;
        return strspn(unit, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.-@\\") == n;
}

/* Arm the v1 memory controller's OOM notification of a scope below procmgr.slice: an
 * eventfd registered through cgroup.event_control (root-only there: opened with
 * CAP_DAC_OVERRIDE raised for that call; the front has no privilege) for
 * memory.oom_control. Both go back to the front, which watches the
 * eventfd and reads memory.oom_control to tell an OOM from the cgroup's removal. */
static int oom_watch(const char *unit, int *ret_efd, int *ret_ofd) {
        _cleanup_close_ int sdfd = -EBADF, dfd = -EBADF, cfd = -EBADF, efd = -EBADF, ofd = -EBADF;
        char line[64];
        int n;

        if (!scope_name_ok(unit))
                return -EINVAL;
        sdfd = open("/sys/fs/cgroup/memory/procmgr.slice", O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (sdfd < 0)
                return -errno;
        dfd = openat(sdfd, unit, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0)
                return -errno;
        ofd = openat(dfd, "memory.oom_control", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (ofd < 0)
                return -errno;
        /* Root's, mode 0200: the one open made with CAP_DAC_OVERRIDE (privileges.c). */
        cfd = privileges_openat_dac_override(dfd, "cgroup.event_control", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (cfd < 0)
                return cfd;
        efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (efd < 0)
                return -errno;
        n = snprintf(line, sizeof(line), "%d %d", efd, ofd);
        if (write(cfd, line, (size_t) n) != n)
                return errno > 0 ? -errno : -EIO;
        *ret_efd = TAKE_FD(efd);
        *ret_ofd = TAKE_FD(ofd);
        return 0;
}

static int handle_oom_watch(Helper *h, uint32_t id, const SpawnWireOomWatch *w) {
        SpawnWireMessage m = { .type = SPAWN_WIRE_OOM_WATCH_REPLY, .id = id };
        int fds[2] = { -EBADF, -EBADF }, r;

        r = oom_watch(w->unit, &fds[0], &fds[1]);
        if (r < 0) {
                log_debug_errno(r, "Cannot arm the OOM notification of %s: %m", w->unit);
                return reply_error(h, SPAWN_WIRE_OOM_WATCH_REPLY, id, r);
        }
        r = reply(h, &m, fds, 2);
        (void) safe_close(fds[0]);
        (void) safe_close(fds[1]);
        return r;
}

/* ---- the loop --------------------------------------------------------------------------- */

static int reap(Helper *h) {
        for (;;) {
                SpawnWireMessage m = { .type = SPAWN_WIRE_EXIT };
                siginfo_t si = {};
                int r;

                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0)
                        return errno == ECHILD ? 0 : -errno;
                if (si.si_pid == 0)
                        return 0;
                m.exit.pid = si.si_pid;
                for (size_t i = 0; i < h->n_children; i++)
                        if (h->children[i].pid == si.si_pid) {
                                m.exit.start_ticks = h->children[i].start_ticks;
                                h->children[i] = h->children[--h->n_children];
                                break;
                        }
                if (si.si_code == CLD_EXITED)
                        m.exit.code = si.si_status;
                else
                        m.exit.signal = si.si_status;
                r = reply(h, &m, NULL, 0);
                if (r < 0)
                        return r;
        }
}

static int handle_message(Helper *h, const void *buf, ssize_t n, int *fds, size_t n_fds) {
        SpawnWireMessage m;
        uint32_t id = 0;
        int r;

        if (n >= 16)
                memcpy(&id, (const uint8_t *) buf + 12, sizeof(id));
        r = n < 0 ? (int) n : spawn_wire_decode(buf, (size_t) n, &m);
        if (r < 0) {
                log_warning_errno(r, "Refusing a malformed request from the front: %m");
                /* Answered, so the front does not wait for nothing; the type it expects is
                 * unknown, and both reply types start with the error. */
                return reply_error(h, SPAWN_WIRE_SIGNAL_REPLY, id, r);
        }
        switch (m.type) {
        case SPAWN_WIRE_SPAWN:
                r = n_fds == 0 ? handle_spawn(h, m.id, &m.spawn)
                               : reply_error(h, SPAWN_WIRE_SPAWN_REPLY, m.id, -EBADMSG);
                break;
        case SPAWN_WIRE_SIGNAL:
                r = n_fds > 1 ? -EBADMSG : do_signal(h, &m.signal, n_fds == 1 ? fds[0] : -EBADF);
                if (r < 0)
                        log_debug_errno(r, "Refusing to signal %i: %m", (int) m.signal.pid);
                r = reply_error(h, SPAWN_WIRE_SIGNAL_REPLY, m.id, r < 0 ? r : 0);
                break;
        case SPAWN_WIRE_OOM_WATCH:
                r = n_fds == 0 ? handle_oom_watch(h, m.id, &m.oom_watch)
                               : reply_error(h, SPAWN_WIRE_OOM_WATCH_REPLY, m.id, -EBADMSG);
                break;
        default:
                r = reply_error(h, SPAWN_WIRE_SIGNAL_REPLY, m.id, -EBADMSG);
        }
        spawn_wire_message_done(&m);
        return r;
}

int spawn_helper_serve(int fd, pid_t front) {
        _cleanup_close_ int sfd = -EBADF;
        _cleanup_free_ uint8_t *buf = malloc(SPAWN_WIRE_MESSAGE_MAX + 1);
        Helper h = { .fd = fd, .front = front };
        sigset_t ss;
        int r = 0;

        if (!buf)
                return -ENOMEM;
        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return -errno;
        sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0)
                return -errno;

        for (;;) {
                struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
                int fds[SPAWN_WIRE_FDS_MAX];
                size_t n_fds = 0;
                ssize_t n;

                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (p[1].revents) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) > 0)
                                ;
                        r = reap(&h);
                        if (r < 0)
                                break;
                }
                if (!p[0].revents)
                        continue;
                n = spawn_wire_recv(fd, buf, SPAWN_WIRE_MESSAGE_MAX + 1, MSG_DONTWAIT, fds, &n_fds);
                if (n == -EAGAIN)
                        continue;
                if (n == 0 || (n < 0 && n != -EMSGSIZE && n != -EBADMSG)) {
                        r = n < 0 ? (int) n : 0;        /* the front is gone */
                        break;
                }
                r = handle_message(&h, buf, n, fds, n_fds);
                for (size_t i = 0; i < n_fds; i++)
                        (void) safe_close(fds[i]);
                if (r < 0)
                        break;
        }
        /* Our children keep running (the front's pidfds still see them end); whoever
         * adopts them reaps them. */
        free(h.children);
        return r == -EPIPE || r == -ECONNRESET ? 0 : r;
}

/* ---- --listen mode: the listener ------------------------------------------------------ */

static int listener_run(int control_fd, pid_t front) {
        _cleanup_close_ int sfd = -EBADF;
        sigset_t ss;

        /* Orphans of a dead worker come to us, and are reaped here. */
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &ss, NULL) < 0)
                return -errno;
        sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0)
                return -errno;

        for (;;) {
                struct pollfd p[2] = { { .fd = control_fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
                int pair[2], r;
                char c;
                ssize_t n;
                pid_t pid;

                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (p[1].revents) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) > 0)
                                ;
                        while (waitpid(-1, NULL, WNOHANG) > 0)
                                ;
                }
                if (!p[0].revents)
                        continue;
                n = recv(control_fd, &c, 1, MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        continue;
                if (n <= 0)
                        return 0;       /* the front is gone */

                if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
                        log_error_errno(errno, "Cannot create a connection for the front: %m");
                        (void) send(control_fd, "!", 1, MSG_NOSIGNAL);
                        continue;
                }
                pid = fork();
                if (pid == 0) {
                        (void) safe_close(control_fd);
                        (void) safe_close(sfd);
                        (void) safe_close(pair[1]);
                        _exit(spawn_helper_serve(pair[0], front) < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
                }
                (void) safe_close(pair[0]);
                if (pid < 0) {
                        log_error_errno(errno, "Cannot fork a spawn worker: %m");
                        (void) send(control_fd, "!", 1, MSG_NOSIGNAL);
                } else {
                        log_debug("Spawn worker %i serves a new connection of the front.", (int) pid);
                        r = spawn_wire_send(control_fd, "c", 1, &pair[1], 1);
                        if (r < 0)
                                log_warning_errno(r, "Cannot hand a connection to the front: %m");
                }
                (void) safe_close(pair[1]);
        }
}

int spawn_helper_fork(const PrivilegesConfig *c, int *ret_control_fd, pid_t *ret_pid) {
        int pair[2], r;
        pid_t front = getpid(), pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                r = -errno;
                (void) safe_close(pair[0]);
                (void) safe_close(pair[1]);
                return r;
        }
        if (pid == 0) {
                int keep[1] = { pair[1] };

                (void) close_all_fds_except(keep, 1);
                /* The front's death ends us (EOF on the control socket), and if it is killed
                 * before we are set up, this. */
                (void) prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
                if (getppid() != front)
                        _exit(EXIT_FAILURE);
                r = privileges_drop(c);
                if (r < 0)
                        _exit(EXIT_FAILURE);
                r = listener_run(pair[1], front);
                _exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
        }
        (void) safe_close(pair[1]);
        *ret_control_fd = pair[0];
        if (ret_pid)
                *ret_pid = pid;
        return 0;
}

int spawn_helper_request_connection(int control_fd) {
        int fds[SPAWN_WIRE_FDS_MAX];
        size_t n_fds = 0;
        char c;
        ssize_t n;

        n = send(control_fd, "c", 1, MSG_NOSIGNAL);
        if (n < 0)
                return -errno;
        n = spawn_wire_recv(control_fd, &c, 1, 0, fds, &n_fds);
        if (n < 0)
                return (int) n;
        if (n == 0)
                return -ECONNRESET;
        if (c != 'c' || n_fds != 1) {
                for (size_t i = 0; i < n_fds; i++)
                        (void) safe_close(fds[i]);
                return -EIO;
        }
        return fds[0];
}
