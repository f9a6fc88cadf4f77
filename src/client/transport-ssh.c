/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ssh carrier: ssh as a child speaking the protocol over its stdin/stdout
 * to `procctl bridge` on the remote host (see transport.h). Must not interpret
 * anything the user typed with a local shell, must not leave the child behind
 * (release(false) and free reap it, bounded, SIGTERM then SIGKILL), and keeps
 * at most SSH_STDERR_MAX bytes of what ssh says.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/transport.h"
#include "shared/fd-util.h"
#include "shared/macro.h"
#include "shared/split.h"
#include "shared/string-util.h"
#include "shared/strv.h"

#define SSH_DEFAULT_PROGRAM "ssh"
#define SSH_DEFAULT_REMOTE "procctl bridge"
#define SSH_ARGV_MAX 256
/* ssh's stderr: the tail kept for the error line (a banner or -v output may be long). */
#define SSH_STDERR_MAX 4096
/* After stdin closes, how long ssh gets to leave on its own before SIGTERM, then SIGKILL. */
#define SSH_EXIT_GRACE_USEC (2 * USEC_PER_SEC)

typedef struct SshTransport {
        Transport base;
        char **argv;
        pid_t pid;
        int in_fd, out_fd, err_fd;      /* our ends: ssh's stdin, stdout, stderr */
        char err[SSH_STDERR_MAX];       /* tail of ssh's stderr */
        size_t err_len;
        char detail[SSH_STDERR_MAX];    /* the last line of it, after a failure */
        int status;                     /* exit status once reaped, -1 before */
} SshTransport;

/* A user or host part that ssh could read as an option, or that carries blanks, control
 * characters or another '@': refused rather than passed on. */
static bool ssh_word_ok(const char *s) {
        if (!s || s[0] == '\0' || s[0] == '-')
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f || *p == '@' || *p == '/' || *p == '\\' ||
                    *p == '\'' || *p == '"' || *p == '`' || *p == '$' || *p == ';')
                        return false;
        return true;
}

int ssh_url_parse(const char *url, char **ret_user, char **ret_host, uint16_t *ret_port) {
        _cleanup_free_ char *user = NULL, *host = NULL;
        const char *s, *at, *hp, *colon = NULL;
        unsigned long port = 0;

        if (strncmp(url, "ssh://", 6) != 0)
                return -EINVAL;
        s = url + 6;

        at = strrchr(s, '@');
        if (at) {
                user = strndup(s, (size_t) (at - s));
                if (!user)
                        return -ENOMEM;
                if (!ssh_word_ok(user))
                        return -EINVAL;
                hp = at + 1;
        } else
                hp = s;

        if (hp[0] == '[') {
                const char *end = strchr(hp, ']');

                if (!end || end == hp + 1)
                        return -EINVAL;
                host = strndup(hp + 1, (size_t) (end - hp - 1));
                if (end[1] == ':')
                        colon = end + 1;
                else if (end[1] != '\0')
                        return -EINVAL;
                if (host && strspn(host, "0123456789abcdefABCDEF:.") != strlen(host))
                        return -EINVAL;
        } else {
                colon = strchr(hp, ':');
                host = colon ? strndup(hp, (size_t) (colon - hp)) : strdup(hp);
                if (host && (!ssh_word_ok(host) || strpbrk(host, "[]:")))
                        return -EINVAL;
        }
        if (!host)
                return -ENOMEM;
        if (host[0] == '\0')
                return -EINVAL;

        if (colon) {
                char *e;

                errno = 0;
                port = strtoul(colon + 1, &e, 10);
                if (colon[1] < '0' || colon[1] > '9' || *e != '\0' || errno != 0 || port == 0 || port > 65535)
                        return -EINVAL;
        }

        if (ret_user)
                *ret_user = TAKE_PTR(user);
        if (ret_host)
                *ret_host = TAKE_PTR(host);
        if (ret_port)
                *ret_port = (uint16_t) port;
        return 0;
}

/* One word for the remote POSIX shell, which ssh hands the joined command line: plain
 * when it is made of harmless characters, else in single quotes ('\'' for a quote). */
static char *shell_quote(const char *w) {
        static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./:,@%";
        size_t n = 2;
        char *q, *p;

        if (w[0] != '\0' && strspn(w, safe) == strlen(w))
                return strdup(w);
        for (const char *c = w; *c; c++)
                n += *c == '\'' ? 4 : 1;
        q = p = malloc(n + 1);
        if (!q)
                return NULL;
        *p++ = '\'';
        for (const char *c = w; *c; c++) {
                if (*c == '\'') {
                        memcpy(p, "'\\''", 4);
                        p += 4;
                } else
                        *p++ = *c;
        }
        *p++ = '\'';
        *p = '\0';
        return q;
}

int ssh_build_argv(const char *url, const char *ssh_env, const char *remote_env, char ***ret) {
        _cleanup_strv_free_ char **argv = NULL, **prog = NULL, **remote = NULL;
        _cleanup_free_ char *user = NULL, *host = NULL;
        size_t n = 0;
        uint16_t port;
        int r;

        r = ssh_url_parse(url, &user, &host, &port);
        if (r < 0)
                return r;

        /* The environment's words: -EBADMSG, so that the caller blames them, not the URL. */
        r = split_command(ssh_env && *ssh_env ? ssh_env : SSH_DEFAULT_PROGRAM, SSH_ARGV_MAX, &prog);
        if (r == 0) {
                prog = strv_free(prog);
                r = split_command(SSH_DEFAULT_PROGRAM, SSH_ARGV_MAX, &prog);
        }
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;
        r = split_command(remote_env && *remote_env ? remote_env : SSH_DEFAULT_REMOTE, SSH_ARGV_MAX, &remote);
        if (r == 0) {
                /* Blank: as if unset. */
                remote = strv_free(remote);
                r = split_command(SSH_DEFAULT_REMOTE, SSH_ARGV_MAX, &remote);
        }
        if (r < 0)
                return r == -ENOMEM ? r : -EBADMSG;

        for (char **w = prog; *w; w++) {
                r = strv_extend(&argv, &n, *w);
                if (r < 0)
                        return r;
        }
        /* No X11 or agent surprises on a pipe, no pty: the protocol is bytes. */
        r = strv_extend(&argv, &n, "-xT");
        if (r >= 0 && port > 0) {
                char p[8];

                (void) snprintf(p, sizeof(p), "%u", port);
                r = strv_extend(&argv, &n, "-p");
                if (r >= 0)
                        r = strv_extend(&argv, &n, p);
        }
        if (r < 0)
                return r;
        if (user) {
                char *uh;

                if (asprintf(&uh, "%s@%s", user, host) < 0)
                        return -ENOMEM;
                r = strv_consume(&argv, &n, uh);
        } else
                r = strv_extend(&argv, &n, host);
        if (r >= 0)
                r = strv_extend(&argv, &n, "--");
        for (char **w = remote; r >= 0 && *w; w++)
                r = strv_consume(&argv, &n, shell_quote(*w));
        if (r < 0)
                return r;

        *ret = TAKE_PTR(argv);
        return 0;
}

/* Reads what ssh wrote to stderr, keeping the last SSH_STDERR_MAX bytes. Returns 0 at end
 * of stream, 1 while it may say more. */
static int ssh_drain_stderr(SshTransport *s) {
        char buf[1024];
        ssize_t k;

        _Static_assert(1024 < SSH_STDERR_MAX, "stderr chunk must fit the tail");
        if (s->err_fd < 0)
                return 0;
        for (;;) {
                k = read(s->err_fd, buf, sizeof(buf));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 1;
                        s->err_fd = safe_close(s->err_fd);
                        return 0;
                }
                if (k == 0) {
                        s->err_fd = safe_close(s->err_fd);
                        return 0;
                }
                /* buf is smaller than err: keep the newest bytes of both. */
                {
                        size_t keep = MIN(s->err_len, sizeof(s->err) - (size_t) k);

                        memmove(s->err, s->err + s->err_len - keep, keep);
                        memcpy(s->err + keep, buf, (size_t) k);
                        s->err_len = keep + (size_t) k;
                }
        }
}

/* Waits for fd (events) while draining stderr, so ssh never blocks on a full stderr pipe. */
static int ssh_wait(SshTransport *s, int fd, short events, usec_t deadline) {
        for (;;) {
                struct pollfd p[2] = {
                        { .fd = fd, .events = events },
                        { .fd = s->err_fd, .events = POLLIN },
                };
                int t, k;

                t = transport_poll_timeout(deadline);
                if (t == -ETIMEDOUT)
                        return t;
                k = poll(p, s->err_fd >= 0 ? 2 : 1, t);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -ETIMEDOUT;
                if (s->err_fd >= 0 && p[1].revents != 0)
                        (void) ssh_drain_stderr(s);
                if (p[0].revents != 0)
                        return 0;
        }
}

/* Ends the session: closes our ends, lets ssh leave (bounded), reaps it, and keeps its
 * last stderr line when it failed. */
static void ssh_close(SshTransport *s) {
        usec_t deadline = now(CLOCK_MONOTONIC) + SSH_EXIT_GRACE_USEC;
        bool termed = false;

        s->in_fd = safe_close(s->in_fd);
        s->out_fd = safe_close(s->out_fd);

        while (s->pid > 0) {
                int st;
                pid_t p = waitpid(s->pid, &st, WNOHANG);

                if (p < 0 && errno == EINTR)
                        continue;
                if (p != 0) {
                        s->status = p < 0 ? 255 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                        s->pid = 0;
                        break;
                }
                if (now(CLOCK_MONOTONIC) >= deadline) {
                        (void) kill(s->pid, termed ? SIGKILL : SIGTERM);
                        deadline = now(CLOCK_MONOTONIC) + SSH_EXIT_GRACE_USEC;
                        termed = true;
                }
                /* Its stderr closes when it exits (or a grandchild keeps it: then 10 ms). */
                if (s->err_fd >= 0) {
                        struct pollfd pf = { .fd = s->err_fd, .events = POLLIN };
                        if (poll(&pf, 1, 10) > 0)
                                (void) ssh_drain_stderr(s);
                } else
                        (void) usleep(10000);
        }
        (void) ssh_drain_stderr(s);
        s->err_fd = safe_close(s->err_fd);

        s->detail[0] = '\0';
        /* Ended by us (a timeout, or a session that would not leave): our own message
         * ("timed out …") says more than whatever ssh printed last. */
        if (s->status != 0 && s->status != -1 && !termed) {
                /* The last non-empty line is ssh's verdict ("Connection refused",
                 * "Permission denied (publickey)") or the remote procctl's. */
                size_t e = s->err_len;

                while (e > 0 && (s->err[e - 1] == '\n' || s->err[e - 1] == '\r' || s->err[e - 1] == ' '))
                        e--;
                if (e > 0) {
                        size_t b = e;

                        while (b > 0 && s->err[b - 1] != '\n')
                                b--;
                        (void) snprintf(s->detail, sizeof(s->detail), "%.*s", (int) (e - b), s->err + b);
                        (void) string_replace_control(s->detail, '?');
                } else
                        (void) snprintf(s->detail, sizeof(s->detail), "ssh exited with status %d", s->status);
        }
        s->err_len = 0;
}

static int ssh_spawn(SshTransport *s) {
        int in[2] = { -EBADF, -EBADF }, out[2] = { -EBADF, -EBADF }, err[2] = { -EBADF, -EBADF };
        int r;
        pid_t pid;

        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
                r = -errno;
                goto fail;
        }

        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                r = -errno;
                goto fail;
        }
        if (pid == 0) {
                sigset_t ss;
                int keep[] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };

                if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
                    dup2(err[1], STDERR_FILENO) < 0)
                        _exit(255);
                (void) close_all_fds_except(keep, ELEMENTSOF(keep));
                (void) sigemptyset(&ss);
                (void) sigprocmask(SIG_SETMASK, &ss, NULL);
                (void) signal(SIGPIPE, SIG_DFL);
                execvp(s->argv[0], s->argv);
                dprintf(STDERR_FILENO, "cannot run %s: %s\n", s->argv[0], strerror(errno));
                _exit(255);
        }

        s->pid = pid;
        s->status = -1;
        s->err_len = 0;
        s->detail[0] = '\0';
        s->in_fd = in[1];
        s->out_fd = out[0];
        s->err_fd = err[0];
        safe_close(in[0]);
        safe_close(out[1]);
        safe_close(err[1]);
        (void) fd_set_nonblock(s->in_fd, true);
        (void) fd_set_nonblock(s->out_fd, true);
        (void) fd_set_nonblock(s->err_fd, true);
        return 0;

fail:
        for (size_t i = 0; i < 2; i++) {
                safe_close(in[i]);
                safe_close(out[i]);
                safe_close(err[i]);
        }
        return r;
}

static int ssh_open(Transport *t, _unused_ usec_t deadline) {
        SshTransport *s = (SshTransport *) t;

        if (s->pid > 0) {
                /* Kept from an earlier call. Between exchanges nothing may be readable: data
                 * or end of stream means the bridge went away (e.g. the daemon's idle
                 * timeout), so start afresh instead of sending into a closed session. */
                struct pollfd p = { .fd = s->out_fd, .events = POLLIN };

                (void) ssh_drain_stderr(s);
                if (poll(&p, 1, 0) == 0)
                        return 0;
                ssh_close(s);
        }
        return ssh_spawn(s);
}

static int ssh_write(Transport *t, const void *p, size_t n, usec_t deadline) {
        SshTransport *s = (SshTransport *) t;
        struct sigaction ign = { .sa_handler = SIG_IGN }, old;
        const char *q = p;
        int r = 0;

        /* ssh gone: EPIPE for the caller to explain, not a silent death by SIGPIPE. */
        (void) sigaction(SIGPIPE, &ign, &old);
        while (n > 0) {
                ssize_t k = write(s->in_fd, q, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN) {
                                r = -errno;
                                break;
                        }
                        /* Full pipe: wait with stderr drained meanwhile. */
                        r = ssh_wait(s, s->in_fd, POLLOUT, deadline);
                        if (r < 0)
                                break;
                        continue;
                }
                q += k;
                n -= (size_t) k;
        }
        (void) sigaction(SIGPIPE, &old, NULL);
        return r;
}

static ssize_t ssh_read(Transport *t, void *p, size_t n, usec_t deadline) {
        SshTransport *s = (SshTransport *) t;
        ssize_t k;
        int r;

        for (;;) {
                k = read(s->out_fd, p, n);
                if (k >= 0)
                        return k;
                if (errno == EINTR)
                        continue;
                if (errno != EAGAIN)
                        return -errno;
                r = ssh_wait(s, s->out_fd, POLLIN, deadline);
                if (r < 0)
                        return r;
        }
}

static void ssh_release(Transport *t, bool ok) {
        SshTransport *s = (SshTransport *) t;

        /* The session is kept for the next call; a failed one is ended and explained. */
        if (!ok)
                ssh_close(s);
}

static const char *ssh_error_detail(Transport *t) {
        SshTransport *s = (SshTransport *) t;

        return s->detail[0] ? s->detail : NULL;
}

static void ssh_free(Transport *t) {
        SshTransport *s = (SshTransport *) t;

        ssh_close(s);
        strv_free(s->argv);
        free(s);
}

static const TransportVTable ssh_vtable = {
        .name = "ssh",
        .open = ssh_open,
        .write = ssh_write,
        .read = ssh_read,
        .release = ssh_release,
        .error_detail = ssh_error_detail,
        .free = ssh_free,
};

int transport_ssh_new(const char *url, Transport **ret) {
        _cleanup_strv_free_ char **argv = NULL;
        SshTransport *s;
        int r;

        r = ssh_build_argv(url, getenv("PROCCTL_SSH"), getenv("PROCCTL_REMOTE"), &argv);
        if (r < 0)
                return r;

        s = calloc(1, sizeof(SshTransport));
        if (!s)
                return -ENOMEM;
        s->base.vtable = &ssh_vtable;
        s->argv = TAKE_PTR(argv);
        s->in_fd = s->out_fd = s->err_fd = -EBADF;
        s->status = -1;
        (void) snprintf(s->base.description, sizeof(s->base.description), "%s", url);
        *ret = &s->base;
        return 0;
}
