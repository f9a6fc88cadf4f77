/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One request line → Request: the JSON object form or the plain "CMD ARG..."
 * form (PROTOCOL.md; the plain form's words are read by the command's schema),
 * and typed access to its members. No sockets, no logging above debug: this
 * is the fuzz target.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "protocol/error.h"
#include "protocol/protocol.h"
#include "protocol/schema.h"

typedef struct Request {
        char cmd[PROTOCOL_CMD_MAX + 1];   /* upper-cased; "" when unparseable */
        json_t *args;                     /* owned: the request object (plain form: synthesized) */
        json_t *id;                       /* borrowed from args; NULL if absent */
        bool plain;                       /* came in the plain form */
        CommandParameters params;         /* typed arguments, once schema_validate_request() passed */
} Request;

void request_done(Request *req);

/* Parses one line (without the '\n'; a trailing '\r' is stripped here). On success
 * returns 0 and fills *req. On a bad request returns a negative errno, sets *ret_error
 * and writes a human message to msg (never NULL-terminated-less); req->id is kept when
 * the object could be parsed, so the error reply can echo it. An empty/blank line
 * returns -ENODATA (callers ignore it). */
int request_parse(const char *line, size_t len, Request *req, ErrorCode *ret_error,
                  char *msg, size_t msg_size);

/* True for the two spellings of a bare PING that need no parsing: the plain form "PING"
 * and the JSON object {"cmd":"PING"} (command in any case, blanks around it, an optional
 * trailing '\r'). Anything else (an id, a token, other members) takes the full path. */
bool request_is_bare_ping(const char *line, size_t len);

/* Typed access to members, with InvalidArgument messages that name the member.
 * Return 0 if absent (output untouched), 1 if present and valid, -EINVAL with msg set
 * otherwise. */
int request_get_string(const Request *req, const char *key, const char **ret, char *msg, size_t msg_size);
int request_get_int(const Request *req, const char *key, long long min, long long max, long long *ret,
                    char *msg, size_t msg_size);
int request_get_bool(const Request *req, const char *key, bool *ret, char *msg, size_t msg_size);
/* Present and of the given type (object/array); borrowed. */
int request_get_json(const Request *req, const char *key, json_type type, json_t **ret, char *msg,
                     size_t msg_size);
