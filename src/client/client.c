/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* procctl's request/reply transport; see client.h. */

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "client/socket-trust.h"
#include "protocol/schema.h"
#include "shared/macro.h"
#include "shared/socket-util.h"
#include "shared/time-util.h"
#include "shared/utf8.h"

/* Milliseconds left until deadline for poll(); -1 = no deadline; -ETIMEDOUT once passed. */
static int poll_timeout(usec_t deadline) {
        usec_t n;

        if (deadline == 0)
                return -1;
        n = now(CLOCK_MONOTONIC);
        if (n >= deadline)
                return -ETIMEDOUT;
        return (int) MIN((deadline - n + USEC_PER_MSEC - 1) / USEC_PER_MSEC, (usec_t) 0x7fffffff);
}

static int fd_wait(int fd, short events, usec_t deadline) {
        struct pollfd p = { .fd = fd, .events = events };
        int t, k;

        for (;;) {
                t = poll_timeout(deadline);
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

Client *client_free(Client *c) {
        if (!c)
                return NULL;
        if (c->token) {
                explicit_bzero(c->token, strlen(c->token));
                free(c->token);
        }
        free(c);
        return NULL;
}

/* A bare IPv6 address ("::1") cannot carry a port, so bracket it for the shared parser. */
static int parse_host(const char *host, SocketAddress *ret) {
        char buf[INET6_ADDRSTRLEN + 3];
        const char *colon = strchr(host, ':');

        if (host[0] != '[' && colon && strchr(colon + 1, ':')) {
                if (strlen(host) + 3 > sizeof(buf))
                        return -EINVAL;
                (void) snprintf(buf, sizeof(buf), "[%s]", host);
                host = buf;
        }

        /* The shared parser reads a lone number as "this port on every address", which
         * means nothing to a client: insist on a host. */
        if (strspn(host, "0123456789") == strlen(host))
                return -EINVAL;

        return socket_address_parse_inet(host, PROTOCOL_DEFAULT_PORT, ret);
}

int client_new(const char *host, const char *unix_path, Client **ret) {
        _cleanup_(client_freep) Client *c = NULL;
        int r;

        assert_se(!(host && unix_path));

        c = calloc(1, sizeof(Client));
        if (!c)
                return -ENOMEM;
        c->timeout = CLIENT_DEFAULT_TIMEOUT_USEC;
        c->reply_max = CLIENT_REPLY_MAX;

        if (host)
                r = parse_host(host, &c->address);
        else if (unix_path) {
                r = socket_address_parse_unix(unix_path, &c->address);
                c->unix_explicit = true;
        }
        else if (access(PROTOCOL_DEFAULT_UNIX_PATH, F_OK) >= 0)
                r = socket_address_parse_unix(PROTOCOL_DEFAULT_UNIX_PATH, &c->address);
        else
                r = socket_address_parse_inet(CLIENT_DEFAULT_HOST, PROTOCOL_DEFAULT_PORT, &c->address);
        if (r < 0)
                return r;

        r = socket_address_format(&c->address, c->address_str, sizeof(c->address_str));
        if (r < 0)
                return r;

        *ret = TAKE_PTR(c);
        return 0;
}

int client_set_token_file(Client *c, const char *path) {
        _cleanup_close_ int fd = -EBADF;
        char buf[CLIENT_TOKEN_MAX + 1];
        size_t n = 0;
        ssize_t k;
        char *t;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        while (n < sizeof(buf)) {
                k = read(fd, buf + n, sizeof(buf) - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        k = -errno;
                        explicit_bzero(buf, sizeof(buf));
                        return (int) k;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        if (n > CLIENT_TOKEN_MAX) {
                explicit_bzero(buf, sizeof(buf));
                return -E2BIG;
        }

        if (n > 0 && buf[n - 1] == '\n')
                n--;
        if (n > 0 && buf[n - 1] == '\r')
                n--;
        if (n == 0 || memchr(buf, '\0', n) || memchr(buf, '\n', n)) {
                explicit_bzero(buf, sizeof(buf));
                return -EINVAL;
        }

        /* The token travels inside a JSON string, which must be UTF-8. */
        if (!utf8_is_valid(buf, n)) {
                explicit_bzero(buf, sizeof(buf));
                return -EILSEQ;
        }

        t = strndup(buf, n);
        explicit_bzero(buf, sizeof(buf));
        if (!t)
                return -ENOMEM;

        if (c->token) {
                explicit_bzero(c->token, strlen(c->token));
                free(c->token);
        }
        c->token = t;
        return 0;
}

static int client_connect(Client *c, usec_t deadline) {
        _cleanup_close_ int fd = -EBADF;
        int one = 1, error = 0, r;
        socklen_t l = sizeof(error);

        if (c->address.sa.sa_family == AF_UNIX) {
                /* Local connects do not hang on the network; the shared helper will do. */
                fd = socket_connect(&c->address);
                if (fd < 0)
                        return fd;
                /* As root, a socket others could replace is a socket others could fake. */
                if (geteuid() == 0 && c->address.un.sun_path[0] == '/') {
                        struct ucred cred;
                        socklen_t cl = sizeof(cred);

                        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0)
                                return -errno;
                        r = socket_trust_check(c->address.un.sun_path, cred.uid, c->unix_explicit, c->refused,
                                               sizeof(c->refused));
                        if (r < 0)
                                return r;
                }
                r = fd_set_nonblock(fd, true);
                if (r < 0)
                        return r;
                return TAKE_FD(fd);
        }

        /* TCP: non-blocking connect so that --timeout bounds an unreachable host too,
         * which socket_connect() (blocking, no deadline) cannot do. */
        fd = socket(c->address.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, &c->address.sa, c->address.len) < 0) {
                if (errno != EINPROGRESS)
                        return -errno;
                r = fd_wait(fd, POLLOUT, deadline);
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

static int send_all(int fd, const char *p, size_t n, usec_t deadline) {
        ssize_t k;
        int r;

        while (n > 0) {
                k = send(fd, p, n, MSG_NOSIGNAL);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                return -errno;
                        r = fd_wait(fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

/* Reads up to and excluding the first '\n' (a '\r' before it is dropped). */
static int receive_line(int fd, size_t max, usec_t deadline, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, len = 0;
        ssize_t k;
        char *nl;
        int r;

        for (;;) {
                if (len + 1 >= size) {
                        size_t ns;
                        char *b;

                        if (size > max + 1)
                                return -EMSGSIZE;
                        ns = size == 0 ? 4096 : MIN(size * 2, max + 2);
                        b = realloc(buf, ns);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                        size = ns;
                }

                k = recv(fd, buf + len, size - len - 1, 0);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN)
                                return -errno;
                        r = fd_wait(fd, POLLIN, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (k == 0)
                        return -ECONNRESET;

                nl = memchr(buf + len, '\n', (size_t) k);
                len += (size_t) k;
                if (nl) {
                        len = (size_t) (nl - buf);
                        if (len > max)
                                return -EMSGSIZE;
                        if (len > 0 && buf[len - 1] == '\r')
                                len--;
                        buf[len] = '\0';
                        *ret_len = len;
                        *ret = TAKE_PTR(buf);
                        return 0;
                }
                if (len > max)
                        return -EMSGSIZE;
        }
}

int client_call(Client *c, const json_t *request, char **ret_line, json_t **ret_reply) {
        json_auto_t *copy = NULL, *reply = NULL;
        _cleanup_free_ char *out = NULL, *line = NULL;
        _cleanup_close_ int fd = -EBADF;
        usec_t deadline = c->timeout > 0 ? now(CLOCK_MONOTONIC) + c->timeout : 0;
        size_t n, len = 0;
        int r;

        copy = json_copy((json_t *) request);   /* shallow: we only add a top-level member */
        if (!copy)
                return -ENOMEM;
        if (c->token && json_object_set_new(copy, SCHEMA_MEMBER_TOKEN, json_string(c->token)) < 0)
                return -ENOMEM;

        out = json_dumps(copy, JSON_COMPACT);
        if (!out)
                return -ENOMEM;
        n = strlen(out);

        c->stage = CLIENT_STAGE_CONNECT;
        fd = r = client_connect(c, deadline);
        if (fd >= 0) {
                c->stage = CLIENT_STAGE_SEND;
                /* JSON_COMPACT never emits a raw newline (strings are escaped), so this is one
                 * line; the '\n' takes the place of the terminating NUL. */
                out[n] = '\n';
                r = send_all(fd, out, n + 1, deadline);
        }
        explicit_bzero(out, n);   /* it held the token */
        if (r < 0)
                return r;

        c->stage = CLIENT_STAGE_RECEIVE;
        r = receive_line(fd, c->reply_max, deadline, &line, &len);
        if (r < 0)
                return r;

        reply = json_loadb(line, len, 0, NULL);
        if (!reply || !json_is_object(reply) || !json_is_boolean(json_object_get(reply, "ok")))
                return -EBADMSG;

        if (ret_line)
                *ret_line = TAKE_PTR(line);
        if (ret_reply)
                *ret_reply = TAKE_PTR(reply);
        return 0;
}

const char *client_strerror(int r) {
        switch (r) {
        case -ETIMEDOUT:
                return "timed out waiting for procmgrd";
        case -ECONNRESET:
                return "connection closed by procmgrd before a reply";
        case -EMSGSIZE:
                return "reply too large";
        case -EBADMSG:
                return "malformed reply (not a JSON object with \"ok\")";
        default:
                return strerror(r < 0 ? -r : r);
        }
}
