/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reply building and serialization; see reply.h. */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/protocol.h"
#include "protocol/reply.h"

json_t *reply_new_ok(json_t *id) {
        json_t *r = json_object();

        if (!r)
                return NULL;
        if (json_object_set_new(r, "ok", json_true()) < 0 ||
            (id && json_object_set(r, "id", id) < 0))
                return json_decref(r), NULL;
        return r;
}

json_t *reply_new_error(json_t *id, ErrorCode e, const char *format, ...) {
        char buf[512];
        va_list ap;
        json_t *r;

        va_start(ap, format);
        (void) vsnprintf(buf, sizeof(buf), format, ap);
        va_end(ap);

        r = json_object();
        if (!r)
                return NULL;
        /* json_string() refuses invalid UTF-8; messages only embed sanitized client text,
         * but keep a fallback so an error reply can never be lost. */
        if (json_object_set_new(r, "ok", json_false()) < 0 ||
            (id && json_object_set(r, "id", id) < 0) ||
            json_object_set_new(r, "error", json_string(error_code_to_name(e))) < 0 ||
            json_object_set_new(r, "msg", json_string(buf) ?: json_string("(unprintable message)")) < 0)
                return json_decref(r), NULL;
        return r;
}

/* Does j contain a real that %.15g would not round-trip? Bounded by the request depth limit. */
static bool json_needs_full_precision(const json_t *j, unsigned depth) {
        const char *key;
        json_t *v;
        size_t i;

        if (!j || depth > PROTOCOL_JSON_DEPTH_MAX)
                return false;
        if (json_is_real(j)) {
                char buf[32];
                double d = json_real_value(j);
                (void) snprintf(buf, sizeof(buf), "%.15g", d);
                return strtod(buf, NULL) != d;
        }
        if (json_is_object(j))
                json_object_foreach((json_t *) j, key, v)
                        if (json_needs_full_precision(v, depth + 1))
                                return true;
        if (json_is_array(j))
                json_array_foreach(j, i, v)
                        if (json_needs_full_precision(v, depth + 1))
                                return true;
        return false;
}

char *reply_serialize(const json_t *reply, size_t *ret_len) {
        char *s;
        size_t n;

        /* 15 significant digits, so 7.7 stays 7.7 instead of 7.7000000000000002 — unless the
         * client's id holds a real that needs 17 to come back unchanged. */
        s = json_dumps(reply, JSON_COMPACT | JSON_ENCODE_ANY |
                                      JSON_REAL_PRECISION(json_needs_full_precision(json_object_get(reply, "id"), 0)
                                                                  ? 17 : 15));
        if (!s)
                return NULL;
        n = strlen(s);
        /* json_dumps allocated exactly n+1; make room for the newline. */
        char *t = realloc(s, n + 2);
        if (!t)
                return free(s), NULL;
        t[n] = '\n';
        t[n + 1] = '\0';
        if (ret_len)
                *ret_len = n + 1;
        return t;
}

/* ---------------------------------------------------------------------------
 * The reading side, for clients */

bool reply_is_ok(const json_t *reply) {
        return json_is_true(json_object_get(reply, "ok"));
}

const char *reply_error_name(const json_t *reply) {
        const char *s = json_string_value(json_object_get(reply, "error"));
        return s ?: error_code_to_name(ERROR_INTERNAL);
}

const char *reply_error_message(const json_t *reply) {
        const char *s = json_string_value(json_object_get(reply, "msg"));
        return s ?: "request failed";
}
