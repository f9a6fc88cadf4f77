/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Socket address parsing and the few socket calls both binaries make.
 * Every descriptor returned is O_CLOEXEC. No logging above debug.
 */

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "shared/fd-util.h" /* fd_set_nonblock(), which socket users need */

typedef struct SocketAddress {
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
                struct sockaddr_un un;
                struct sockaddr_storage storage;
        };
        socklen_t len;
} SocketAddress;

/* "127.0.0.1:5050", "[::1]:5050", "localhost:5050" (numeric only: no DNS), or "5050"
 * (all IPv6+IPv4 addresses). default_port is used when no ":PORT" is given (0 = required). */
int socket_address_parse_inet(const char *s, uint16_t default_port, SocketAddress *ret);
int socket_address_parse_unix(const char *path, SocketAddress *ret);

/* Bind and listen; for AF_UNIX a stale socket file is removed first (see
 * socket_unix_path_check()). Non-blocking. */
int socket_listen(const SocketAddress *a, int backlog);
/* May a listener be bound at path? 0: nothing there, or a stale socket of ours that
 * socket_listen() may replace. -ENOTSOCK: something that is not a socket (never
 * replaced); -EPERM: a socket owned by another user (*ret_owner says whom); -EADDRINUSE:
 * a socket somebody listens on. */
int socket_unix_path_check(const char *path, uid_t *ret_owner);
/* Blocking connect with SOCK_CLOEXEC. */
int socket_connect(const SocketAddress *a);

/* "127.0.0.1:5050", "[::1]:5050", "unix:/path". */
int socket_address_format(const SocketAddress *a, char *buf, size_t size);

