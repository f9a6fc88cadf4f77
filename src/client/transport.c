/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* procctl's carriers: shared helpers and the socket one (Unix, TCP); see transport.h. */

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/socket-trust.h"
#include "client/transport.h"
#include "shared/macro.h"
#include "shared/socket-util.h"
#include "shared/time-util.h"

Transport *transport_free(Transport *t) {
        if (t)
                t->vtable->free(t);
        return NULL;
}

int transport_poll_timeout(usec_t deadline) {
        usec_t n;

        if (deadline == 0)
                return -1;
        n = now(CLOCK_MONOTONIC);
        if (n >= deadline)
                return -ETIMEDOUT;
        return (int) MIN((deadline - n + USEC_PER_MSEC - 1) / USEC_PER_MSEC, (usec_t) 0x7fffffff);
}

int transport_fd_wait(int fd, short events, usec_t deadline) {
        struct pollfd p = { .fd = fd, .events = events };
        int t, k;

        for (;;) {
                t = transport_poll_timeout(deadline);
                if (t == -ETIMEDOUT)
                        return t;
                k = poll(&p, 1, t);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -ETIMEDOUT;
                return 0;
        }
}

/* write() to a pipe whose reader is gone raises SIGPIPE; a command must report that as
 * an error instead of dying silently, so ignore it for the length of one call. */
static ssize_t write_nosigpipe(int fd, const void *p, size_t n) {
        struct sigaction ign = { .sa_handler = SIG_IGN }, old;
        ssize_t k;
        int saved;

        k = send(fd, p, n, MSG_NOSIGNAL);
        if (k >= 0 || errno != ENOTSOCK)
                return k;

        (void) sigaction(SIGPIPE, &ign, &old);
        k = write(fd, p, n);
        saved = errno;
        (void) sigaction(SIGPIPE, &old, NULL);
        errno = saved;
        return k;
}

int transport_fd_write_all(int fd, const void *p, size_t n, usec_t deadline) {
        const char *q = p;
        ssize_t k;
        int r;

        while (n > 0) {
                k = write_nosigpipe(fd, q, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                return -errno;
                        r = transport_fd_wait(fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                q += k;
                n -= (size_t) k;
        }
        return 0;
}

ssize_t transport_fd_read(int fd, void *p, size_t n, usec_t deadline) {
        ssize_t k;
        int r;

        for (;;) {
                k = read(fd, p, n);
                if (k >= 0)
                        return k;
                if (errno == EINTR)
                        continue;
                if (errno != EAGAIN)
                        return -errno;
                r = transport_fd_wait(fd, POLLIN, deadline);
                if (r < 0)
                        return r;
        }
}

static int connect_one(const SocketAddress *a, usec_t deadline) {
        _cleanup_close_ int fd = -EBADF;
        int one = 1, error = 0, r;
        socklen_t l = sizeof(error);

        /* Non-blocking connect so that the deadline bounds an unreachable host too, which
         * socket_connect() (blocking, no deadline) cannot do. */
        fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, &a->sa, a->len) < 0) {
                if (errno != EINPROGRESS)
                        return -errno;
                r = transport_fd_wait(fd, POLLOUT, deadline);
                if (r < 0)
                        return r;
                if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &l) < 0)
                        return -errno;
                if (error != 0)
                        return -error;
        }
        (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        return TAKE_FD(fd);
}

int transport_connect_inet(const SocketAddress *a, size_t n, usec_t deadline) {
        int r = -EHOSTUNREACH;

        for (size_t i = 0; i < n; i++) {
                usec_t d = deadline;

                /* Not the last address: half of what is left at most, as curl does, so the
                 * next one still gets a chance. */
                if (deadline > 0 && i + 1 < n) {
                        usec_t t = now(CLOCK_MONOTONIC);
                        if (t >= deadline)
                                return -ETIMEDOUT;
                        d = t + (deadline - t) / 2;
                }
                r = connect_one(&a[i], d);
                if (r >= 0)
                        return r;
        }
        return r;
}

/* "HOST[:PORT]" / "[V6][:PORT]" / "V6" → host part and port (default_port when absent).
 * Everything but the split itself (what a valid host is) is left to the resolver. */
static int split_host_port(const char *s, uint16_t default_port, char **ret_host, uint16_t *ret_port) {
        const char *colon, *end;
        char *host;
        unsigned port = default_port;

        if (s[0] == '[') {
                end = strchr(s, ']');
                if (!end || end == s + 1)
                        return -EINVAL;
                host = strndup(s + 1, (size_t) (end - s - 1));
                colon = end[1] == ':' ? end + 1 : NULL;
                if (!colon && end[1] != '\0') {
                        free(host);
                        return -EINVAL;
                }
        } else {
                colon = strchr(s, ':');
                if (colon && strchr(colon + 1, ':'))
                        colon = NULL;           /* a bare IPv6 address: no port */
                host = colon ? strndup(s, (size_t) (colon - s)) : strdup(s);
        }
        if (!host)
                return -ENOMEM;
        if (host[0] == '\0') {
                free(host);
                return -EINVAL;
        }
        if (colon) {
                char *e;
                unsigned long v;

                errno = 0;
                v = strtoul(colon + 1, &e, 10);
                if (colon[1] < '0' || colon[1] > '9' || *e != '\0' || errno != 0 || v == 0 || v > 65535) {
                        free(host);
                        return -EINVAL;
                }
                port = (unsigned) v;
        }
        *ret_host = host;
        *ret_port = (uint16_t) port;
        return 0;
}

int transport_resolve_inet(const char *s, uint16_t default_port, SocketAddress **ret, size_t *ret_n,
                           int *ret_gai) {
        _cleanup_free_ SocketAddress *list = NULL;
        _cleanup_free_ char *host = NULL;
        struct addrinfo hints = {
                .ai_family = AF_UNSPEC,
                /* No AI_ADDRCONFIG: on a host with only loopback configured it drops
                 * every answer; an address of a family we cannot reach just fails fast. */
                .ai_socktype = SOCK_STREAM,
        }, *res = NULL;
        char portstr[8];
        uint16_t port;
        size_t n = 0;
        int r;

        *ret_gai = 0;

        /* A lone number would be "this port on every address" to the shared parser, which
         * means nothing to a client: insist on a host. */
        if (s[0] == '\0' || strspn(s, "0123456789") == strlen(s))
                return -EINVAL;

        list = calloc(1, sizeof(SocketAddress));
        if (!list)
                return -ENOMEM;

        /* Numeric addresses and "localhost": the shared parser, exactly as before (no DNS,
         * localhost is 127.0.0.1). */
        r = split_host_port(s, default_port, &host, &port);
        if (r < 0)
                return r;
        {
                _cleanup_free_ char *b = NULL;
                if (strchr(host, ':'))
                        r = asprintf(&b, "[%s]:%u", host, port);
                else
                        r = asprintf(&b, "%s:%u", host, port);
                if (r < 0)
                        return -ENOMEM;
                r = socket_address_parse_inet(b, 0, &list[0]);
        }
        if (r >= 0) {
                *ret = TAKE_PTR(list);
                *ret_n = 1;
                return 1;
        }

        /* A name. Reject what only a typo (or an attempt at an option) looks like. */
        if (host[0] == '-' || strchr(host, ':') || strpbrk(host, " \t/\\@[]"))
                return -EINVAL;

        (void) snprintf(portstr, sizeof(portstr), "%u", port);
        r = getaddrinfo(host, portstr, &hints, &res);
        if (r != 0) {
                *ret_gai = r;
                return r == EAI_MEMORY ? -ENOMEM : -EHOSTUNREACH;
        }

        for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
                if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
                    ai->ai_addrlen <= sizeof(list[0].storage))
                        n++;
        if (n == 0) {
                freeaddrinfo(res);
                *ret_gai = EAI_NONAME;
                return -EHOSTUNREACH;
        }
        free(list);
        list = calloc(n, sizeof(SocketAddress));
        if (!list) {
                freeaddrinfo(res);
                return -ENOMEM;
        }
        n = 0;
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
                if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
                    ai->ai_addrlen <= sizeof(list[0].storage)) {
                        memcpy(&list[n].storage, ai->ai_addr, ai->ai_addrlen);
                        list[n].len = ai->ai_addrlen;
                        n++;
                }
        freeaddrinfo(res);

        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}

/* --- the socket carrier */

typedef struct SocketTransport {
        Transport base;
        SocketAddress *addresses;
        size_t n_addresses;
        int fd;
        bool trust_peer_owner;          /* -U: the listening daemon's uid may own the path too */
        char refused[384];              /* why root's procctl did not trust the Unix socket */
} SocketTransport;

/* As root, a socket others could replace is a socket others could fake (socket-trust.h). */
static int socket_check_trust(SocketTransport *s, int fd) {
        const char *path = s->addresses[0].un.sun_path;
        char why[256] = "";
        struct ucred cred;
        socklen_t l = sizeof(cred);
        int r;

        if (geteuid() != 0 || path[0] != '/')
                return 0;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &l) < 0)
                return -errno;
        r = socket_trust_check(path, cred.uid, s->trust_peer_owner, why, sizeof(why));
        if (r == -EPERM)
                (void) snprintf(s->refused, sizeof(s->refused),
                                "refusing to talk to it as root: %s, so others could replace it with a fake "
                                "procmgrd (see procctl(1), FILES)", why);
        return r;
}

static int socket_open(Transport *t, usec_t deadline) {
        SocketTransport *s = (SocketTransport *) t;
        int r;

        s->fd = safe_close(s->fd);

        if (s->addresses[0].sa.sa_family == AF_UNIX) {
                /* Local connects do not hang on the network; the shared helper will do. */
                _cleanup_close_ int fd = socket_connect(&s->addresses[0]);
                if (fd < 0)
                        return fd;
                r = socket_check_trust(s, fd);
                if (r < 0)
                        return r;
                r = fd_set_nonblock(fd, true);
                if (r < 0)
                        return r;
                s->fd = TAKE_FD(fd);
                return 0;
        }

        r = transport_connect_inet(s->addresses, s->n_addresses, deadline);
        if (r < 0)
                return r;
        s->fd = r;
        return 0;
}

static int socket_write(Transport *t, const void *p, size_t n, usec_t deadline) {
        return transport_fd_write_all(((SocketTransport *) t)->fd, p, n, deadline);
}

static ssize_t socket_read(Transport *t, void *p, size_t n, usec_t deadline) {
        return transport_fd_read(((SocketTransport *) t)->fd, p, n, deadline);
}

static void socket_release(Transport *t, _unused_ bool ok) {
        SocketTransport *s = (SocketTransport *) t;

        /* A fresh connection per call: an interactive session never trips over the daemon's
         * idle timeout. */
        s->fd = safe_close(s->fd);
}

static const char *socket_error_detail(Transport *t) {
        SocketTransport *s = (SocketTransport *) t;

        return s->refused[0] ? s->refused : NULL;
}

static void socket_free(Transport *t) {
        SocketTransport *s = (SocketTransport *) t;

        safe_close(s->fd);
        free(s->addresses);
        free(s);
}

static const TransportVTable socket_vtable = {
        .name = "socket",
        .open = socket_open,
        .write = socket_write,
        .read = socket_read,
        .release = socket_release,
        .error_detail = socket_error_detail,
        .free = socket_free,
};

int transport_socket_new(const SocketAddress *a, size_t n, const char *description, Transport **ret) {
        SocketTransport *s;

        if (n == 0)
                return -EINVAL;
        s = calloc(1, sizeof(SocketTransport));
        if (!s)
                return -ENOMEM;
        s->base.vtable = &socket_vtable;
        s->fd = -EBADF;
        s->addresses = calloc(n, sizeof(SocketAddress));
        if (!s->addresses) {
                free(s);
                return -ENOMEM;
        }
        memcpy(s->addresses, a, n * sizeof(SocketAddress));
        s->n_addresses = n;
        (void) snprintf(s->base.description, sizeof(s->base.description), "%s", description);
        *ret = &s->base;
        return 0;
}

int transport_socket_fd(Transport *t) {
        if (!t || t->vtable != &socket_vtable)
                return -EINVAL;
        return ((SocketTransport *) t)->fd;     /* -EBADF when not open */
}

void transport_socket_trust_peer_owner(Transport *t) {
        assert_se(t->vtable == &socket_vtable);
        ((SocketTransport *) t)->trust_peer_owner = true;
}
