/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Address parsing, listen/connect helpers; see socket-util.h. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/macro.h"
#include "shared/parse-util.h"
#include "shared/socket-util.h"

static int parse_port(const char *s, uint16_t *ret) {
        unsigned u;
        int r;

        r = safe_atou(s, &u);
        if (r < 0)
                return r;
        if (u == 0 || u > 65535)
                return -ERANGE;
        *ret = (uint16_t) u;
        return 0;
}

int socket_address_parse_inet(const char *s, uint16_t default_port, SocketAddress *ret) {
        SocketAddress a = {};
        char host[INET6_ADDRSTRLEN + 1];
        const char *port_str = NULL;
        uint16_t port = default_port;
        size_t hl;
        int r;

        if (!s || !*s)
                return -EINVAL;

        if (*s == '[') {
                const char *e = strchr(s, ']');
                if (!e)
                        return -EINVAL;
                hl = e - s - 1;
                if (hl >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s + 1, hl);
                host[hl] = '\0';
                if (e[1] == ':')
                        port_str = e + 2;
                else if (e[1] != '\0')
                        return -EINVAL;
                r = 6;
        } else {
                const char *c = strrchr(s, ':');
                if (!c) {
                        /* A bare number is a port on every address. */
                        if (parse_port(s, &port) >= 0) {
                                a.in6.sin6_family = AF_INET6;
                                a.in6.sin6_addr = in6addr_any;
                                a.in6.sin6_port = htons(port);
                                a.len = sizeof(a.in6);
                                *ret = a;
                                return 0;
                        }
                        hl = strlen(s);
                } else {
                        if (strchr(s, ':') != c)
                                return -EINVAL;   /* IPv6 must be bracketed when a port follows */
                        hl = c - s;
                        port_str = c + 1;
                }
                if (hl >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s, hl);
                host[hl] = '\0';
                r = 4;
        }

        if (port_str) {
                int k = parse_port(port_str, &port);
                if (k < 0)
                        return k;
        }
        if (port == 0)
                return -EINVAL;

        if (r == 4 && strcmp(host, "localhost") == 0)
                strcpy(host, "127.0.0.1");

        if (r == 6 && inet_pton(AF_INET6, host, &a.in6.sin6_addr) == 1) {
                a.in6.sin6_family = AF_INET6;
                a.in6.sin6_port = htons(port);
                a.len = sizeof(a.in6);
        } else if (r == 4 && inet_pton(AF_INET, host, &a.in.sin_addr) == 1) {
                a.in.sin_family = AF_INET;
                a.in.sin_port = htons(port);
                a.len = sizeof(a.in);
        } else
                return -EINVAL;

        *ret = a;
        return 0;
}

int socket_address_parse_unix(const char *path, SocketAddress *ret) {
        SocketAddress a = {};
        size_t l;

        if (!path || path[0] != '/')
                return -EINVAL;
        l = strlen(path);
        if (l >= sizeof(a.un.sun_path))
                return -ENAMETOOLONG;
        a.un.sun_family = AF_UNIX;
        memcpy(a.un.sun_path, path, l + 1);
        a.len = offsetof(struct sockaddr_un, sun_path) + l + 1;
        *ret = a;
        return 0;
}

int socket_unix_path_check(const char *path, uid_t *ret_owner) {
        _cleanup_close_ int fd = -EBADF;
        SocketAddress a;
        struct stat st;
        int r;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (ret_owner)
                *ret_owner = st.st_uid;
        if (!S_ISSOCK(st.st_mode))
                return -ENOTSOCK;
        if (st.st_uid != geteuid())
                return -EPERM;
        /* Ours, but is it stale? A live one belongs to a running daemon. */
        r = socket_address_parse_unix(path, &a);
        if (r < 0)
                return r;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, &a.sa, a.len) >= 0 || errno == EAGAIN || errno == EINPROGRESS)
                return -EADDRINUSE;
        return 0;
}

int socket_listen(const SocketAddress *a, int backlog) {
        _cleanup_close_ int fd = -EBADF;
        int one = 1;

        fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;

        if (a->sa.sa_family == AF_UNIX) {
                struct stat st;
                /* Remove a stale socket left by an earlier run, but never any other file type,
                 * nor another user's socket. */
                if (lstat(a->un.sun_path, &st) >= 0 && S_ISSOCK(st.st_mode) && st.st_uid == geteuid())
                        (void) unlink(a->un.sun_path);
        } else {
                (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }

        if (bind(fd, &a->sa, a->len) < 0)
                return -errno;
        if (listen(fd, backlog) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int socket_connect(const SocketAddress *a) {
        _cleanup_close_ int fd = -EBADF;

        fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, &a->sa, a->len) < 0)
                return -errno;
        if (a->sa.sa_family != AF_UNIX) {
                int one = 1;
                (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }
        return TAKE_FD(fd);
}

int socket_address_format(const SocketAddress *a, char *buf, size_t size) {
        char host[INET6_ADDRSTRLEN];
        int n;

        switch (a->sa.sa_family) {
        case AF_INET:
                if (!inet_ntop(AF_INET, &a->in.sin_addr, host, sizeof(host)))
                        return -errno;
                n = snprintf(buf, size, "%s:%u", host, ntohs(a->in.sin_port));
                break;
        case AF_INET6:
                if (IN6_IS_ADDR_V4MAPPED(&a->in6.sin6_addr)) {
                        if (!inet_ntop(AF_INET, &a->in6.sin6_addr.s6_addr[12], host, sizeof(host)))
                                return -errno;
                        n = snprintf(buf, size, "%s:%u", host, ntohs(a->in6.sin6_port));
                } else {
                        if (!inet_ntop(AF_INET6, &a->in6.sin6_addr, host, sizeof(host)))
                                return -errno;
                        n = snprintf(buf, size, "[%s]:%u", host, ntohs(a->in6.sin6_port));
                }
                break;
        case AF_UNIX:
                n = snprintf(buf, size, "unix:%s",
                             a->len > offsetof(struct sockaddr_un, sun_path) && a->un.sun_path[0] ? a->un.sun_path : "@");
                break;
        default:
                return -EAFNOSUPPORT;
        }
        return n < 0 || (size_t) n >= size ? -ENOBUFS : 0;
}
