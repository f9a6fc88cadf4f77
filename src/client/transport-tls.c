/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tls carrier (-H tls://HOST[:PORT]): wraps the socket carrier, whose connection per
 * call (every resolved address in turn, within the deadline) it takes with
 * transport_socket_fd(), and runs a verifying TLS session (tls-client.[ch]) on it. Nothing
 * is written before the server's certificate has verified. Must not connect by itself.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "client/tls-client.h"
#include "client/transport.h"

typedef struct TlsTransport {
        Transport base;
        Transport *socket;      /* the socket carrier: resolution, connect, deadlines */
        TlsClient *tls;         /* owned; set by transport_tls_set_client() before the first open */
        int fd;                 /* the socket carrier's, while a session runs (not ours to close) */
} TlsTransport;

static int tls_wait(TlsTransport *s, usec_t deadline) {
        return transport_fd_wait(s->fd, tls_client_wants(s->tls), deadline);
}

static void tls_end(TlsTransport *s, bool ok) {
        tls_client_end(s->tls);
        s->fd = -EBADF;
        transport_release(s->socket, ok);
}

static int tls_open(Transport *t, usec_t deadline) {
        TlsTransport *s = (TlsTransport *) t;
        int r;

        if (!s->tls)
                return -EINVAL;
        tls_end(s, false);

        r = transport_open(s->socket, deadline);
        if (r < 0)
                return r;
        s->fd = transport_socket_fd(s->socket);
        if (s->fd < 0)
                return s->fd;

        r = tls_client_start(s->tls, s->fd);
        while (r >= 0) {
                r = tls_client_handshake(s->tls);
                if (r != -EAGAIN)
                        return r < 0 ? r : 0;
                r = tls_wait(s, deadline);
        }
        return r;
}

static int tls_write(Transport *t, const void *p, size_t n, usec_t deadline) {
        TlsTransport *s = (TlsTransport *) t;
        const char *q = p;
        ssize_t k;
        int r;

        while (n > 0) {
                k = tls_client_write(s->tls, q, n);
                if (k == -EINTR)
                        continue;
                if (k == -EAGAIN) {
                        r = tls_wait(s, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (k < 0)
                        return (int) k;
                q += k;
                n -= (size_t) k;
        }
        return 0;
}

static ssize_t tls_read(Transport *t, void *p, size_t n, usec_t deadline) {
        TlsTransport *s = (TlsTransport *) t;
        ssize_t k;
        int r;

        for (;;) {
                k = tls_client_read(s->tls, p, n);
                if (k != -EAGAIN && k != -EINTR)
                        return k;
                if (k == -EAGAIN) {
                        r = tls_wait(s, deadline);
                        if (r < 0)
                                return r;
                }
        }
}

static void tls_release(Transport *t, bool ok) {
        /* A session per call, on the socket carrier's connection per call. */
        tls_end((TlsTransport *) t, ok);
}

static const char *tls_error_detail(Transport *t) {
        TlsTransport *s = (TlsTransport *) t;
        const char *e = s->tls ? tls_client_error(s->tls) : NULL;

        return e ?: transport_error_detail(s->socket);
}

static void tls_free(Transport *t) {
        TlsTransport *s = (TlsTransport *) t;

        tls_client_free(s->tls);
        transport_free(s->socket);
        free(s);
}

static const TransportVTable tls_vtable = {
        .name = "tls",
        .open = tls_open,
        .write = tls_write,
        .read = tls_read,
        .release = tls_release,
        .error_detail = tls_error_detail,
        .free = tls_free,
};

int transport_tls_new(const SocketAddress *a, size_t n, const char *description, Transport **ret) {
        TlsTransport *s;
        int r;

        s = calloc(1, sizeof(TlsTransport));
        if (!s)
                return -ENOMEM;
        s->base.vtable = &tls_vtable;
        s->fd = -EBADF;
        r = transport_socket_new(a, n, description, &s->socket);
        if (r < 0) {
                free(s);
                return r;
        }
        (void) snprintf(s->base.description, sizeof(s->base.description), "%s", description);
        *ret = &s->base;
        return 0;
}

int transport_tls_set_client(Transport *t, TlsClient *tls) {
        TlsTransport *s = (TlsTransport *) t;

        if (t->vtable != &tls_vtable)
                return -EINVAL;
        tls_client_free(s->tls);
        s->tls = tls;
        return 0;
}
