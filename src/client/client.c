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
#include "client/transport.h"
#include "protocol/schema.h"
#include "shared/macro.h"
#include "shared/socket-util.h"
#include "shared/time-util.h"
#include "shared/utf8.h"

Client *client_free(Client *c) {
        if (!c)
                return NULL;
        if (c->token) {
                explicit_bzero(c->token, strlen(c->token));
                free(c->token);
        }
        transport_free(c->transport);
        free(c);
        return NULL;
}

int client_new_full(const char *host, const char *unix_path, Client **ret, int *ret_gai) {
        _cleanup_(client_freep) Client *c = NULL;
        _cleanup_free_ SocketAddress *list = NULL;
        SocketAddress a;
        size_t n = 0;
        bool tls = false;
        int r, gai = 0;

        assert_se(!(host && unix_path));
        if (ret_gai)
                *ret_gai = 0;

        c = calloc(1, sizeof(Client));
        if (!c)
                return -ENOMEM;
        c->timeout = CLIENT_DEFAULT_TIMEOUT_USEC;
        c->reply_max = CLIENT_REPLY_MAX;

        if (host && strncmp(host, "ssh://", 6) == 0) {
                r = transport_ssh_new(host, &c->transport);
                if (r < 0)
                        return r;
                (void) snprintf(c->address_str, sizeof(c->address_str), "%s", host);
                *ret = TAKE_PTR(c);
                return 0;
        }
        /* tls:// resolves and connects like TCP, then speaks TLS (client_set_tls()). Other
         * schemes are refused rather than resolved as host names. */
        if (host && strncmp(host, "tls://", 6) == 0) {
                host += 6;
                tls = true;
        }
        if (host && strstr(host, "://"))
                return -EPROTONOSUPPORT;

        if (host) {
                r = transport_resolve_inet(host, PROTOCOL_DEFAULT_PORT, &list, &n, &gai);
                if (r < 0) {
                        if (ret_gai)
                                *ret_gai = gai;
                        return r;
                }
                /* A name is shown as typed (its addresses are tried in turn); a numeric
                 * address (and localhost) as the one address. */
                if (r > 0) {
                        char s[sizeof(c->address_str) - 6];

                        r = socket_address_format(&list[0], s, sizeof(s));
                        if (r >= 0)
                                (void) snprintf(c->address_str, sizeof(c->address_str), "%s%s",
                                                tls ? "tls://" : "", s);
                } else
                        r = snprintf(c->address_str, sizeof(c->address_str), "%s%s", tls ? "tls://" : "",
                                     host) < 0 ? -EINVAL : 0;
                if (r < 0)
                        return r;
                r = (tls ? transport_tls_new : transport_socket_new)(list, n, c->address_str, &c->transport);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(c);
                return 0;
        }

        if (unix_path)
                r = socket_address_parse_unix(unix_path, &a);
        else if (access(PROTOCOL_DEFAULT_UNIX_PATH, F_OK) >= 0)
                r = socket_address_parse_unix(PROTOCOL_DEFAULT_UNIX_PATH, &a);
        else
                r = socket_address_parse_inet(CLIENT_DEFAULT_HOST, PROTOCOL_DEFAULT_PORT, &a);
        if (r < 0)
                return r;

        r = socket_address_format(&a, c->address_str, sizeof(c->address_str));
        if (r < 0)
                return r;
        r = transport_socket_new(&a, 1, c->address_str, &c->transport);
        if (r < 0)
                return r;
        if (unix_path)
                transport_socket_trust_peer_owner(c->transport);

        *ret = TAKE_PTR(c);
        return 0;
}

int client_set_tls(Client *c, TlsClient *tls) {
        return transport_tls_set_client(c->transport, tls);
}

int client_new(const char *host, const char *unix_path, Client **ret) {
        return client_new_full(host, unix_path, ret, NULL);
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

/* Reads up to and excluding the first '\n' (a '\r' before it is dropped). */
static int receive_line(Transport *t, size_t max, usec_t deadline, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, len = 0;
        ssize_t k;
        char *nl;

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

                k = transport_read(t, buf + len, size - len - 1, deadline);
                if (k < 0)
                        return (int) k;
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
        r = transport_open(c->transport, deadline);
        if (r >= 0) {
                c->stage = CLIENT_STAGE_SEND;
                /* JSON_COMPACT never emits a raw newline (strings are escaped), so this is one
                 * line; the '\n' takes the place of the terminating NUL. */
                out[n] = '\n';
                r = transport_write(c->transport, out, n + 1, deadline);
        }
        explicit_bzero(out, n);   /* it held the token */
        if (r >= 0) {
                c->stage = CLIENT_STAGE_RECEIVE;
                r = receive_line(c->transport, c->reply_max, deadline, &line, &len);
        }
        if (r >= 0) {
                reply = json_loadb(line, len, 0, NULL);
                if (!reply || !json_is_object(reply) || !json_is_boolean(json_object_get(reply, "ok")))
                        r = -EBADMSG;
        }
        /* A kept session that said something else than a reply (a login shell's message)
         * is not one to send the next request into. */
        transport_release(c->transport, r >= 0);
        if (r < 0)
                return r;

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

const char *client_error_detail(Client *c) {
        return c ? transport_error_detail(c->transport) : NULL;
}
