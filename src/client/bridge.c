/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The stdio ↔ Unix socket relay behind `procctl bridge`; see bridge.h. */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/bridge.h"
#include "client/socket-trust.h"
#include "protocol/protocol.h"
#include "shared/fd-util.h"
#include "shared/macro.h"
#include "shared/socket-util.h"

typedef struct Pipe {
        char buf[BRIDGE_BUFFER_SIZE];
        size_t len;
        bool eof;               /* the source said EOF; nothing more comes */
} Pipe;

/* Moves bytes from fd into p. 0, or a negative errno; EOF sets p->eof. */
static int fill(int fd, Pipe *p) {
        ssize_t k;

        k = read(fd, p->buf + p->len, sizeof(p->buf) - p->len);
        if (k < 0)
                return errno == EINTR || errno == EAGAIN ? 0 : -errno;
        if (k == 0)
                p->eof = true;
        p->len += (size_t) k;
        return 0;
}

/* Writes what p holds to fd, as much as fd takes. */
static int drain(int fd, bool sock, Pipe *p) {
        ssize_t k;

        k = sock ? send(fd, p->buf, p->len, MSG_NOSIGNAL | MSG_DONTWAIT) : write(fd, p->buf, p->len);
        if (k < 0)
                return errno == EINTR || errno == EAGAIN ? 0 : -errno;
        memmove(p->buf, p->buf + k, p->len - (size_t) k);
        p->len -= (size_t) k;
        return 0;
}

/* One line on stderr, which ssh carries back: the client shows the last one. */
static void say(const char *format, ...) _printf_(1, 2);
static void say(const char *format, ...) {
        va_list ap;

        fputs("procctl: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int bridge_run(const char *unix_path, int in_fd, int out_fd) {
        static Pipe up, down;   /* 128 KiB: off the stack; one bridge per process */
        _cleanup_close_ int sock = -EBADF;
        SocketAddress a;
        bool shut = false, out_is_socket;
        struct stat st;
        int r;

        up = (Pipe) {};
        down = (Pipe) {};

        r = socket_address_parse_unix(unix_path, &a);
        if (r < 0) {
                say("invalid socket path '%s'", unix_path);
                return 2;
        }
        sock = socket_connect(&a);
        if (sock < 0) {
                say("cannot connect to unix:%s: %s", unix_path, strerror(-sock));
                return 2;
        }
        /* ssh may log in as root: the same StrictModes rule as procctl's own connects. */
        if (geteuid() == 0 && unix_path[0] == '/') {
                char why[256] = "";
                struct ucred cred;
                socklen_t l = sizeof(cred);

                r = getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &l) < 0 ? -errno :
                    socket_trust_check(unix_path, cred.uid,
                                       /* allow_peer= */ strcmp(unix_path, PROTOCOL_DEFAULT_UNIX_PATH) != 0,
                                       why, sizeof(why));
                if (r < 0) {
                        say("refusing to talk to unix:%s as root: %s", unix_path,
                            r == -EPERM ? why : strerror(-r));
                        return 2;
                }
        }

        /* Writes to a closed stdout must come back as EPIPE, not kill us mid-relay. */
        (void) signal(SIGPIPE, SIG_IGN);
        (void) fd_set_nonblock(sock, true);
        (void) fd_set_nonblock(in_fd, true);
        (void) fd_set_nonblock(out_fd, true);
        /* sshd hands a session pipes or a socketpair: send() only where it applies. */
        out_is_socket = fstat(out_fd, &st) >= 0 && S_ISSOCK(st.st_mode);

        for (;;) {
                struct pollfd p[3] = {
                        { .fd = in_fd, .events = !up.eof && up.len < sizeof(up.buf) ? POLLIN : 0 },
                        { .fd = sock, .events = (short) ((!down.eof && down.len < sizeof(down.buf) ? POLLIN : 0) |
                                                         (up.len > 0 ? POLLOUT : 0)) },
                        /* Always polled: POLLERR/POLLHUP tells that the reader went away. */
                        { .fd = out_fd, .events = down.len > 0 ? POLLOUT : 0 },
                };

                /* The client said all it will: pass the EOF on, keep reading the replies. */
                if (up.eof && up.len == 0 && !shut) {
                        (void) shutdown(sock, SHUT_WR);
                        shut = true;
                }
                /* The daemon closed and everything it said was delivered. */
                if (down.eof && down.len == 0)
                        return 0;
                /* An fd with nothing asked of it would still report POLLHUP (an EOF'd stdin, a
                 * closed socket while stdout is slow): leave it out rather than spin. */
                if (p[0].events == 0)
                        p[0].fd = -1;
                if (p[1].events == 0)
                        p[1].fd = -1;

                if (poll(p, ELEMENTSOF(p), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        say("poll: %s", strerror(errno));
                        return 2;
                }

                if (p[2].revents & (POLLERR | POLLHUP | POLLNVAL))
                        return 0;       /* the client is gone; nobody to answer */
                if (p[1].revents & POLLNVAL)
                        return 2;

                if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        r = fill(in_fd, &up);
                        if (r < 0)
                                up.eof = true;
                }
                if (p[1].revents & (POLLIN | POLLHUP | POLLERR) && !down.eof && down.len < sizeof(down.buf)) {
                        r = fill(sock, &down);
                        if (r < 0)
                                down.eof = true;
                }
                /* Pass on what just came without another poll round: the other side is
                 * almost always writable, and each round trip is one request. */
                if (up.len > 0 && (p[1].revents & (POLLOUT | POLLERR) || p[0].revents & POLLIN)) {
                        r = drain(sock, true, &up);
                        if (r < 0)
                                return 0;       /* the daemon is gone */
                }
                if (down.len > 0 && (p[2].revents & POLLOUT || p[1].revents & POLLIN)) {
                        r = drain(out_fd, out_is_socket, &down);
                        if (r < 0)
                                return 0;       /* the client is gone */
                }
        }
}
