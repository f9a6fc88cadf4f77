/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The wire protocol, pure: one request line → Request (JSON object form or
 * the plain "CMD ARG..." form, see PROTOCOL.md), replies → one line, and the
 * one table of error names. No sockets, no logging above debug: this is the
 * fuzz target.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "shared/macro.h"

#define PROTOCOL_VERSION 1
#define PROTOCOL_INTERFACE "org.procmgr.Manager1"
/* Bounds on client input that no configuration lifts. */
#define PROTOCOL_CMD_MAX 32
#define PROTOCOL_ARGV_MAX 4096
#define PROTOCOL_JSON_DEPTH_MAX 64

typedef enum ErrorCode {
        ERROR_INVALID_REQUEST,
        ERROR_UNKNOWN_COMMAND,
        ERROR_INVALID_ARGUMENT,
        ERROR_NO_SUCH_PROCESS,
        ERROR_ACCESS_DENIED,
        ERROR_AUTH_REQUIRED,
        ERROR_SPAWN_FAILED,
        ERROR_REQUEST_TOO_LARGE,
        ERROR_LIMIT_EXCEEDED,
        ERROR_TIMEOUT,
        ERROR_INTERNAL,
        _ERROR_MAX,
        _ERROR_INVALID = -EINVAL,
} ErrorCode;

const char *error_code_to_name(ErrorCode e);          /* "org.procmgr.Error.NoSuchProcess" */
ErrorCode error_code_from_name(const char *name);     /* full or short name; _ERROR_INVALID */
/* The one place that maps a negative errno to a wire error. */
ErrorCode error_code_from_errno(int r);

typedef struct Request {
        char cmd[PROTOCOL_CMD_MAX + 1];   /* upper-cased; "" when unparseable */
        json_t *args;                     /* owned: the request object (plain form: synthesized) */
        json_t *id;                       /* borrowed from args; NULL if absent */
        bool plain;                       /* came in the plain form */
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

/* Replies. `id` is borrowed and copied into the reply when non-NULL. */
json_t *reply_new_ok(json_t *id);
json_t *reply_new_error(json_t *id, ErrorCode e, const char *format, ...) _printf_(3, 4);
/* Compact one-line serialization with the terminating '\n'. NULL on OOM. */
char *reply_serialize(const json_t *reply, size_t *ret_len);

/* Copy a client-supplied string for use inside a message: truncated to max bytes,
 * control characters replaced by '?', so a reply line can never be broken. */
void string_sanitize(const char *s, size_t max, char *buf, size_t size);

/* A hand-written JSON writer for large or hot replies (LIST, INFO, PING): appends to one
 * growing buffer, with the same output as reply_serialize() would give for the same
 * values (compact, strings escaped like jansson: \" \\ \b \f \n \r \t, other control
 * characters as \u00XX, everything else verbatim). Errors are sticky: after a failed
 * allocation `oom` is set and further appends do nothing. */
typedef struct JsonWriter {
        char *buf;
        size_t len, alloc;
        bool oom;
} JsonWriter;

bool json_writer_reserve(JsonWriter *w, size_t more);
void json_writer_append(JsonWriter *w, const char *s, size_t n);
#define json_writer_literal(w, s) json_writer_append((w), "" s "", sizeof(s) - 1)
/* s must be valid UTF-8 (callers sanitize); writes the quotes too. */
void json_writer_string(JsonWriter *w, const char *s, size_t n);
void json_writer_int(JsonWriter *w, long long v);
void json_writer_uint(JsonWriter *w, unsigned long long v);
/* A value already rounded to one decimal, as jansson prints it with 15 digits ("7.7", "12.0"). */
void json_writer_decimal1(JsonWriter *w, double v);
/* The same for a value with at most two decimals (load averages, uptime): "3.7", "0.0". */
void json_writer_decimal2(JsonWriter *w, double v);
/* Any json_t (an id), compact, as reply_serialize() does. */
void json_writer_json(JsonWriter *w, const json_t *v);
/* Takes the buffer (NUL-terminated); NULL after an allocation failure. */
char *json_writer_steal(JsonWriter *w, size_t *ret_len);
void json_writer_done(JsonWriter *w);
