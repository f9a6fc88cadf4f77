/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * JsonWriter: appends JSON text for the replies that are too hot for a jansson
 * tree (LIST, INFO). Output only, same bytes as reply_serialize(); it neither
 * parses nor validates, so callers hand it valid UTF-8.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

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
