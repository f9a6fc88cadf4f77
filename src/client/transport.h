/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * How procctl reaches procmgrd: a small interface (open, write, read, release,
 * free) with one implementation per kind of target, so that client.c speaks
 * the line protocol without knowing the carrier.
 *
 *   socket  a Unix socket path, or TCP to HOST[:PORT]: numeric addresses and
 *           "localhost" parsed as before, other names resolved with
 *           getaddrinfo() and every address tried in order within the deadline
 *           (a fresh connection per call, as procctl always did);
 *   ssh     ssh://[USER@]HOST[:PORT]: `$PROCCTL_SSH -xT [-p PORT] [USER@]HOST --
 *           $PROCCTL_REMOTE` (default `ssh`, `procctl bridge`) as a child, the
 *           protocol over its stdin/stdout; one session kept for all calls of a
 *           Client (the menu), its stderr drained into a bounded tail so that a
 *           failure can be told in ssh's own last line;
 *   tls     tls://HOST[:PORT]: the socket carrier's TCP connection (its fd, taken with
 *           transport_socket_fd()), then a verifying TLS session per call on it
 *           (transport-tls.c over tls-client.[ch]).
 *
 * Never prints anything and never reads configuration: errors are negative
 * errnos, plus transport_error_detail() for what the carrier said. Must not
 * know the protocol (no JSON here).
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "shared/macro.h"
#include "shared/socket-util.h"
#include "shared/time-util.h"

typedef struct Transport Transport;

typedef struct TransportVTable {
        const char *name;                       /* "unix", "tcp", "ssh", "tls" */
        /* Connects, or checks that a kept session is still usable (reopening it when not).
         * Bounded by deadline (CLOCK_MONOTONIC, 0 = none). */
        int (*open)(Transport *t, usec_t deadline);
        /* All n bytes, or a negative errno (-ETIMEDOUT, -EPIPE…). */
        int (*write)(Transport *t, const void *p, size_t n, usec_t deadline);
        /* Some bytes (> 0), 0 at end of stream, or a negative errno. */
        ssize_t (*read)(Transport *t, void *p, size_t n, usec_t deadline);
        /* One exchange is over: ok = the reply came whole. Per-call carriers close here; a
         * kept session stays unless !ok. */
        void (*release)(Transport *t, bool ok);
        /* Why the carrier failed, in its own words (one line), or NULL. */
        const char *(*error_detail)(Transport *t);
        void (*free)(Transport *t);
} TransportVTable;

/* Implementations embed this first. */
struct Transport {
        const TransportVTable *vtable;
        char description[256];                  /* "127.0.0.1:5050", "unix:/path", "ssh://u@h:22" */
};

static inline int transport_open(Transport *t, usec_t deadline) {
        return t->vtable->open(t, deadline);
}
static inline int transport_write(Transport *t, const void *p, size_t n, usec_t deadline) {
        return t->vtable->write(t, p, n, deadline);
}
static inline ssize_t transport_read(Transport *t, void *p, size_t n, usec_t deadline) {
        return t->vtable->read(t, p, n, deadline);
}
static inline void transport_release(Transport *t, bool ok) {
        t->vtable->release(t, ok);
}
static inline const char *transport_error_detail(Transport *t) {
        return t && t->vtable->error_detail ? t->vtable->error_detail(t) : NULL;
}
Transport *transport_free(Transport *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Transport *, transport_free);

/* --- helpers for implementations (also what tls-client.c builds on) */

/* Milliseconds left until deadline for poll(); -1 = no deadline; -ETIMEDOUT once passed. */
int transport_poll_timeout(usec_t deadline);
/* Waits for events on fd (poll), -ETIMEDOUT at the deadline. */
int transport_fd_wait(int fd, short events, usec_t deadline);
/* Non-blocking fd I/O with a deadline. write: send(MSG_NOSIGNAL) on sockets, write()
 * with SIGPIPE ignored meanwhile on pipes. */
int transport_fd_write_all(int fd, const void *p, size_t n, usec_t deadline);
ssize_t transport_fd_read(int fd, void *p, size_t n, usec_t deadline);

/* TCP connect to each address of a (from getaddrinfo or the numeric parser) in order;
 * each but the last gets its share of the time left, so a black-holed first address does
 * not eat the whole deadline. Returns the connected non-blocking fd (TCP_NODELAY) or the
 * last address's error. */
int transport_connect_inet(const SocketAddress *a, size_t n, usec_t deadline);

/* Resolves "HOST", "HOST:PORT", "[V6]:PORT", "V6": numeric addresses and "localhost" with
 * the shared parser (no DNS), other names with getaddrinfo() (every address, in its
 * order). *ret: at least one address (caller frees). Returns 1 for a numeric address
 * (or localhost), 0 for a resolved name, -EINVAL for bad syntax, -EHOSTUNREACH when the name does
 * not resolve (*ret_gai: the getaddrinfo() error, for gai_strerror()). */
int transport_resolve_inet(const char *host, uint16_t default_port, SocketAddress **ret, size_t *ret_n,
                           int *ret_gai);

/* --- the implementations */

/* A Unix socket (one address) or TCP (the resolved list); a new connection per call. */
int transport_socket_new(const SocketAddress *a, size_t n, const char *description, Transport **ret);
/* A Unix socket named by the user (-U): run as root, the listening daemon's uid may own it
 * and its directories too (socket-trust.h), not only root. */
void transport_socket_trust_peer_owner(Transport *t);
/* The connected descriptor of an open socket carrier (still owned by it: closed at its
 * release), for a carrier that runs on top of it (tls); -EBADF when not open, -EINVAL for
 * another carrier. */
int transport_socket_fd(Transport *t);

/* ssh://[USER@]HOST[:PORT] split into its parts (caller frees them; *ret_user may be NULL,
 * *ret_port 0 = ssh's default). -EINVAL for anything ssh could take for an option or that
 * has blanks or control characters. Pure. */
int ssh_url_parse(const char *url, char **ret_user, char **ret_host, uint16_t *ret_port);
/* The argv run for url (caller frees): $PROCCTL_SSH (split without a shell, default
 * "ssh") -xT [-p PORT] [USER@]HOST -- then $PROCCTL_REMOTE's words (default "procctl
 * bridge"), each quoted for the remote POSIX shell so it sees exactly those words. Blank
 * variables count as unset. -EINVAL for a bad url, -EBADMSG when a variable does not split
 * (unbalanced quote, too many words). */
int ssh_build_argv(const char *url, const char *ssh_env, const char *remote_env, char ***ret);
int transport_ssh_new(const char *url, Transport **ret);

/* tls://HOST[:PORT] (transport-tls.c): TCP to a (resolved as for the socket carrier), then
 * a TLS session per call through the TlsClient given with transport_tls_set_client()
 * (owned from then on; -EINVAL for another carrier). */
typedef struct TlsClient TlsClient;
int transport_tls_new(const SocketAddress *a, size_t n, const char *description, Transport **ret);
int transport_tls_set_client(Transport *t, TlsClient *tls);
