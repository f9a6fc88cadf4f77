/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Reply objects and their one-line serialization (the daemon), and reading
 * them (clients). Knows the envelope (ok, id, error, msg), never a command's
 * members; writes no sockets.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "protocol/error.h"
#include "shared/macro.h"

/* Replies. `id` is borrowed and copied into the reply when non-NULL. */
json_t *reply_new_ok(json_t *id);
json_t *reply_new_error(json_t *id, ErrorCode e, const char *format, ...) _printf_(3, 4);
/* Compact one-line serialization with the terminating '\n'. NULL on OOM. */
char *reply_serialize(const json_t *reply, size_t *ret_len);

/* Reading a reply (clients): its "ok" member, and the error name/message of a failed
 * reply (never NULL). */
bool reply_is_ok(const json_t *reply);
const char *reply_error_name(const json_t *reply);
const char *reply_error_message(const json_t *reply);
