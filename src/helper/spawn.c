/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fork → (hold) → exec for started processes; see spawn.h. The daemon is
 * single-threaded, so the child may call ordinary libc functions between fork
 * and exec, but it allocates nothing it needs to free and never returns.
 */

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h> /* LOG_INFO, the stream's priority */
#include <unistd.h>

#include "helper/journal-stream.h"
#include "helper/privileges.h"
#include "helper/spawn.h"
#include "shared/fd-util.h"
#include "shared/macro.h"
#include "shared/string-util.h"
#include "shared/strv.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void spawn_request_done(SpawnRequest *req) {
        strv_free(req->argv);
        strv_free(req->envp);
        free(req->cwd);
        free(req->name);
        free(req->user);
        free(req->description);
        free(req->groups);
        *req = (SpawnRequest) {};
}

typedef struct ChildError {
        int error;
        SpawnFailure failure;
} ChildError;

_noreturn_ static void child_fail(int error_fd, int error, const char *step, const char *subject) {
        ChildError e = { .error = error > 0 ? error : EIO };

        strncpy(e.failure.step, step, sizeof(e.failure.step) - 1);
        if (subject)
                strncpy(e.failure.subject, subject, sizeof(e.failure.subject) - 1);
        (void) !write(error_fd, &e, sizeof(e));
        _exit(127);
}

static int child_reset_signals(void) {
        sigset_t ss;

        for (int sig = 1; sig < _NSIG; sig++) {
                if (sig == SIGKILL || sig == SIGSTOP)
                        continue;
                (void) signal(sig, SIG_DFL);
        }
        sigemptyset(&ss);
        return sigprocmask(SIG_SETMASK, &ss, NULL);
}

/* execvpe() without its allocation: a name without '/' is searched in the child's own
 * PATH, as the user it now runs as, so a directory that user cannot search hides what
 * is in it (no existence oracle through the daemon's rights). */
_noreturn_ static void child_exec(const SpawnRequest *req, int error_fd) {
        const char *name = req->argv[0], *path = DEFAULT_PATH;
        bool eacces = false;
        char buf[PATH_MAX];

        if (strchr(name, '/')) {
                execve(name, req->argv, req->envp);
                child_fail(error_fd, errno, "execve", name);
        }
        for (char **e = req->envp; e && *e; e++)
                if (strncmp(*e, "PATH=", 5) == 0)
                        path = *e + 5;
        for (const char *p = path; *p;) {
                size_t n = strcspn(p, ":");

                if (n > 0 && n + 1 + strlen(name) < sizeof(buf)) {
                        memcpy(buf, p, n);
                        buf[n] = '/';
                        strcpy(buf + n + 1, name);
                        execve(buf, req->argv, req->envp);
                        if (errno == EACCES)
                                eacces = true;  /* keep looking, as execvp() does */
                        else if (errno != ENOENT && errno != ENOTDIR)
                                child_fail(error_fd, errno, "execve", buf);
                }
                p += n;
                if (*p == ':')
                        p++;
        }
        child_fail(error_fd, eacces ? EACCES : ENOENT, "lookup", name);
}

int spawn_fork(const SpawnRequest *req, bool hold, const char *journal_identifier, SpawnedChild *ret) {
        _cleanup_close_ int hold_r = -EBADF, hold_w = -EBADF, err_r = -EBADF, err_w = -EBADF,
                            null_fd = -EBADF;
        int p[2];
        pid_t pid;

        if (!req || !req->argv || !req->argv[0])
                return -EINVAL;
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        err_r = p[0];
        err_w = p[1];
        if (hold) {
                if (pipe2(p, O_CLOEXEC) < 0)
                        return -errno;
                hold_r = p[0];
                hold_w = p[1];
        }
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (null_fd < 0)
                return -errno;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int out = -1, keep[3], r;

                hold_w = safe_close(hold_w);
                err_r = safe_close(err_r);
                (void) child_reset_signals();
                if (setsid() < 0)
                        child_fail(err_w, errno, "setsid", NULL);
                /* The daemon raised its own descriptor limit; don't pass that on. */
                if (req->nofile_soft > 0) {
                        struct rlimit rl;
                        if (getrlimit(RLIMIT_NOFILE, &rl) >= 0 && rl.rlim_cur > req->nofile_soft) {
                                rl.rlim_cur = req->nofile_soft;
                                (void) setrlimit(RLIMIT_NOFILE, &rl);
                        }
                }
                /* Go on only when released with SPAWN_RELEASE_BYTE. Anything else gives up: "x"
                 * (scope creation failed), or EOF (the daemon died before releasing us: don't
                 * run outside the scope). A byte, not EOF, is the release, because children
                 * forked meanwhile hold copies of the write end until they close everything. */
                if (hold_r >= 0) {
                        char c = 0;
                        ssize_t n;
                        do
                                n = read(hold_r, &c, 1);
                        while (n < 0 && errno == EINTR);
                        if (n != 1 || c != SPAWN_RELEASE_BYTE) {
                                ChildError e = { .error = ECANCELED, .failure.step = "hold" };
                                (void) !write(err_w, &e, sizeof(e));    /* for whoever still reads it */
                                _exit(126);
                        }
                        hold_r = safe_close(hold_r);
                }

                /* Identity, then capabilities (privileges.h). The helper holds CAP_SETUID and
                 * CAP_SETGID in its permitted set only; they become effective here, in the
                 * child, just for the switch. The helper itself is no longer uid 0, so the
                 * kernel does not clear the permitted set on setresuid(): that is done
                 * explicitly right after, for every child. A child of uid 0 gets the bounding
                 * set back from execve() (root's "ordinary" set, narrowed by the daemon). */
                if (req->change_identity) {
                        r = privileges_child_raise_setid();
                        if (r < 0)
                                child_fail(err_w, -r, "capabilities", NULL);
                        if (setgroups(req->n_groups, req->groups) < 0)
                                child_fail(err_w, errno, "setgroups", NULL);
                        if (setresgid(req->gid, req->gid, req->gid) < 0)
                                child_fail(err_w, errno, "setresgid", NULL);
                        if (setresuid(req->uid, req->uid, req->uid) < 0)
                                child_fail(err_w, errno, "setresuid", NULL);
                }
                r = privileges_child_clear();
                if (r < 0)
                        child_fail(err_w, -r, "capabilities", NULL);

                /* stdout/stderr to the journal, connected now that we are in our scope and
                 * are the user we run as: journald takes _UID (and the cgroup) from the
                 * connecting process. /dev/null when there is no journal. */
                if (journal_identifier)
                        out = journal_stream_fd(journal_identifier, req->scope_prefix, getpid(), LOG_INFO);
                if (dup2(null_fd, 0) < 0)
                        child_fail(err_w, errno, "stdin", NULL);
                if (dup2(out >= 0 ? out : null_fd, 1) < 0 || dup2(out >= 0 ? out : null_fd, 2) < 0)
                        child_fail(err_w, errno, "stdout", NULL);

                keep[0] = err_w;
                (void) close_all_fds_except(keep, 1);

                /* An explicit cwd must exist; the default (the user's home) falls back to
                 * "/", as for users like nobody whose home does not exist. */
                if (chdir(req->cwd ?: "/") < 0 && (req->cwd_explicit || chdir("/") < 0))
                        child_fail(err_w, errno, "chdir", req->cwd ?: "/");

                child_exec(req, err_w);
        }

        *ret = (SpawnedChild) {
                .pid = pid,
                .pidfd = -EBADF,
                .hold_fd = TAKE_FD(hold_w),
                .error_fd = TAKE_FD(err_r),
        };
        return 0;
}

int spawn_release(int hold_fd) {
        char c = SPAWN_RELEASE_BYTE;
        ssize_t n;
        int r = 0;

        if (hold_fd < 0)
                return -EBADF;
        do
                n = write(hold_fd, &c, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1)
                r = n < 0 ? -errno : -EIO;
        (void) safe_close(hold_fd);
        return r;
}

int spawn_read_result(int error_fd, SpawnFailure *ret) {
        ChildError e;
        ssize_t n;

        n = read(error_fd, &e, sizeof(e));
        if (n < 0)
                return -errno;
        if (n == 0)
                return 0;
        if ((size_t) n < sizeof(e))
                return EIO;
        e.failure.step[sizeof(e.failure.step) - 1] = '\0';
        e.failure.subject[sizeof(e.failure.subject) - 1] = '\0';
        if (ret)
                *ret = e.failure;
        return e.error > 0 ? e.error : EIO;
}

void spawn_failure_format(const SpawnFailure *f, int error, char *buf, size_t size) {
        char shown[sizeof(f->subject) + 16];

        string_sanitize(f->subject, 200, shown, sizeof(shown));
        if (strcmp(f->step, "lookup") == 0)
                (void) snprintf(buf, size, "cannot execute '%s': %s", shown,
                                error == ENOENT ? "command not found" : strerror(error));
        else if (strcmp(f->step, "execve") == 0)
                (void) snprintf(buf, size, "cannot execute '%s': %s", shown, strerror(error));
        else if (f->subject[0])
                (void) snprintf(buf, size, "%s %s: %s", f->step, shown, strerror(error));
        else
                (void) snprintf(buf, size, "%s: %s", f->step[0] ? f->step : "exec", strerror(error));
}
