/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * procctl's TLS (-H tls://HOST[:PORT]): the client context (the CA file, or the
 * system's trust store; optionally a client certificate and key) and, per
 * call, a session on the connected non-blocking socket that verifies the
 * server's certificate for the host procctl was given (a DNS name or an IP
 * address, matched against the certificate's subjectAltName). TLS 1.2 minimum.
 *
 * Must NOT: print (failures are negative errnos, with one line of text in
 * tls_client_error()), wait (the caller polls for tls_client_wants()), or ever
 * talk to a server whose certificate did not verify.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "shared/macro.h"

typedef struct TlsClient TlsClient;

/* host: the name or address to verify (no port, no brackets). ca_file NULL: the system
 * store. cert_file/key_file: both or neither. On failure, err holds why (which file). */
int tls_client_new(const char *host, const char *ca_file, const char *cert_file, const char *key_file,
                   TlsClient **ret, char *err, size_t err_size);
TlsClient *tls_client_free(TlsClient *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(TlsClient *, tls_client_free);

/* A session on fd (borrowed) for one call; ends the previous one. */
int tls_client_start(TlsClient *t, int fd);
/* 1 when done, -EAGAIN (poll for tls_client_wants()), -EKEYREJECTED when the server's
 * certificate did not verify, other < 0 on failure (tls_client_error() says why). */
int tls_client_handshake(TlsClient *t);
/* Like send() and recv(): bytes, 0 at EOF (read), -EAGAIN, or an error. */
ssize_t tls_client_write(TlsClient *t, const void *buf, size_t len);
ssize_t tls_client_read(TlsClient *t, void *buf, size_t len);
/* POLLIN or POLLOUT: what the last -EAGAIN waits for. */
short tls_client_wants(const TlsClient *t);
/* Sends close_notify (best effort) and drops the session. */
void tls_client_end(TlsClient *t);
/* The last failure, one line ("the server's certificate did not verify: …"); NULL if none. */
const char *tls_client_error(const TlsClient *t);
