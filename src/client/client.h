/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * procctl's connection to procmgrd: resolve the target (Unix socket path or
 * numeric HOST[:PORT]), connect with a deadline, send one request object as one
 * line and read one reply line, bounded in size and time. One Client is one
 * target; every call opens a fresh connection, so an interactive session never
 * trips over the daemon's idle timeout. Never prints anything: errors are
 * negative errnos for the caller to explain (see client_strerror()).
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "protocol/protocol.h"
#include "protocol/reply.h"
#include "shared/macro.h"
#include "shared/socket-util.h"

#define CLIENT_DEFAULT_HOST "127.0.0.1"
#define CLIENT_DEFAULT_TIMEOUT_USEC (30 * USEC_PER_SEC)
/* Bound on one reply line: LIST of every process of a busy host stays far below. */
#define CLIENT_REPLY_MAX (64U * 1024U * 1024U)
/* A token file is a secret of a few dozen bytes, not a document. */
#define CLIENT_TOKEN_MAX 4096

/* Where the last client_call() failed, so messages can say "cannot connect" or "no reply". */
typedef enum ClientStage {
        CLIENT_STAGE_CONNECT,
        CLIENT_STAGE_SEND,
        CLIENT_STAGE_RECEIVE,
} ClientStage;

typedef struct Client {
        SocketAddress address;
        char address_str[128];          /* "127.0.0.1:5050", "[::1]:5050", "unix:/path" */
        usec_t timeout;                 /* per call, covers connect+send+receive; 0 = none */
        char *token;                    /* added as "token" to each request when set */
        size_t reply_max;
        ClientStage stage;
        bool unix_explicit;             /* the Unix socket was named (-U), not the default */
        char refused[256];              /* why the socket was not trusted (-EPERM from connect) */
} Client;

Client *client_free(Client *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Client *, client_free);

/* host: "HOST", "HOST:PORT", "[V6]:PORT", "V6" (numeric addresses and "localhost").
 * unix_path: absolute path. Both NULL: the default Unix socket when it exists, else
 * 127.0.0.1:5050. -EINVAL for an unparseable address (never both non-NULL). */
int client_new(const char *host, const char *unix_path, Client **ret);

/* Reads the token file: at most CLIENT_TOKEN_MAX bytes, trailing "\n"/"\r\n" stripped.
 * -EINVAL when empty or containing a NUL or newline inside, -E2BIG when too long. */
int client_set_token_file(Client *c, const char *path);

/* Sends request (borrowed; "token" is added to a copy when set) and returns the raw
 * reply line without its '\n' in *ret_line (caller frees) and the parsed object in
 * *ret_reply (either may be NULL). Errors: connect errors as-is (-ECONNREFUSED,
 * -ENOENT…), -ETIMEDOUT, -ECONNRESET when the daemon closed the connection before a
 * full line, -EMSGSIZE when the reply exceeds reply_max, -EBADMSG when the reply is
 * not a JSON object with a boolean "ok". */
int client_call(Client *c, const json_t *request, char **ret_line, json_t **ret_reply);

/* Human text for the errors of client_call(), for "cannot …: %s" messages. */
const char *client_strerror(int r);
