/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * TLS for the TCP listeners (OpenSSL 3): the server context (certificate, key,
 * optional client CA), loaded once at start-up while files that only root may
 * read can still be read; and per connection a session over the connection's
 * non-blocking socket, driven by the connection's event handling (handshake,
 * read, write, each saying which socket event it waits for). tls_detect()
 * tells a TLS connection from a plaintext one by its first byte.
 *
 * Must NOT: know connections, requests or replies (the connection decides what
 * a verified client certificate means), block, or put key material anywhere:
 * not in logs, not in error messages, not in a descriptor a child could
 * inherit (files are read through O_CLOEXEC descriptors and wiped).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/macro.h"

typedef struct TlsContext TlsContext;
typedef struct TlsSession TlsSession;

/* Bytes a PEM file (certificate chain, key, CA bundle) may have: a system CA bundle is
 * about 200K. */
#define TLS_FILE_MAX (4U * 1024U * 1024U)

/* The default bound on a handshake, from the first byte to the Finished message. */
#define TLS_HANDSHAKE_TIMEOUT_DEFAULT_USEC (10U * 1000U * 1000U)

/* Reads the files and builds the server context: TLS 1.2 minimum, a client certificate
 * asked for (and checked against client_ca_file) only when client_ca_file is given.
 * Logs one clear error line (which file, what is wrong) and returns < 0 when a file
 * cannot be read or parsed, or the key does not belong to the certificate. */
int tls_context_new(const char *cert_file, const char *key_file, const char *client_ca_file, TlsContext **ret);
/* The same from PEM text in memory (the files' contents; used by the fuzzer too). */
int tls_context_new_from_pem(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                             const char *ca_pem, size_t ca_len, TlsContext **ret);
TlsContext *tls_context_free(TlsContext *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(TlsContext *, tls_context_free);
bool tls_context_verifies_clients(const TlsContext *t);

/* What the first bytes a peer sent are: a TLS record (a handshake, 0x16), plaintext,
 * or nothing yet. Pure, for the fuzzer. */
typedef enum TlsDetect {
        TLS_DETECT_MORE,
        TLS_DETECT_TLS,
        TLS_DETECT_PLAIN,
} TlsDetect;
TlsDetect tls_detect(const uint8_t *data, size_t len);

/* Once TLS is configured, plaintext is only for loopback peers (127.0.0.0/8, ::1 and
 * its IPv4-mapped form): is the peer of this TCP socket one? */
bool tls_plaintext_allowed(int fd);

/* A server session on fd (borrowed: the connection owns and closes it). */
int tls_session_new(TlsContext *t, int fd, TlsSession **ret);
TlsSession *tls_session_free(TlsSession *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(TlsSession *, tls_session_free);

/* Results of the operations below besides bytes / 1 (done) / 0 (EOF):
 * -EAGAIN: wait for tls_session_wants() on the socket and call again;
 * other < 0: the session failed (handshake refused, protocol error), close it. */

/* 1 when the handshake is complete, -EAGAIN while it waits, < 0 when it failed. */
int tls_session_handshake(TlsSession *s);
/* Like recv(): bytes read, 0 at the peer's close, -EAGAIN, or an error. */
ssize_t tls_session_read(TlsSession *s, void *buf, size_t len);
/* Like send(): bytes taken (a partial write returns what one record took), -EAGAIN or an
 * error. After -EAGAIN, the next call must offer at least the same bytes again (the
 * buffer may have moved). */
ssize_t tls_session_write(TlsSession *s, const void *buf, size_t len);
/* Socket events the session needs beyond the usual ones (EPOLLIN to read, EPOLLOUT to
 * write): during the handshake, what it waits for; later, EPOLLOUT when a read waits for
 * the socket to be writable, EPOLLIN when a write waits for it to be readable. */
uint32_t tls_session_wants(const TlsSession *s);
/* Decrypted or undecrypted bytes OpenSSL holds already: the socket will not signal them. */
bool tls_session_has_pending(const TlsSession *s);
/* The client presented a certificate and it verified against the client CA. */
bool tls_session_peer_verified(const TlsSession *s);
/* For log lines: "TLSv1.3" and the client certificate's subject (or ""), never keys. */
const char *tls_session_version(const TlsSession *s);
void tls_session_peer_subject(const TlsSession *s, char *buf, size_t size);
/* Best effort, never blocking: send close_notify. */
void tls_session_shutdown(TlsSession *s);
