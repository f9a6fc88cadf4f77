/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The single serializer of the process object; see process-json.h. Strings are
 * written as they are when they are valid UTF-8 (nearly always, checked in one
 * pass) and with U+FFFD for bad bytes otherwise. cpu_percent is printed with one
 * decimal; NaN, negative and absurd values become 0. The byte sequence is what
 * jansson would print for the same object (tests/unit/test-proc.c keeps a jansson
 * oracle to prove it), so STATUS' json_t, parsed from this text, dumps the same.
 */

#include <math.h> /* isfinite() only: a macro, no -lm */
#include <stdio.h>
#include <string.h>

#include "shared/macro.h"
#include "shared/utf8.h"
#include "daemon/process-json.h"

/* A string member value: valid UTF-8 as is, anything else with U+FFFD for bad bytes. */
static void write_string_sanitized(JsonWriter *w, const char *s) {
        char stack[512];
        _cleanup_free_ char *heap = NULL;
        char *buf = stack;
        size_t len, l;

        if (!s) {
                json_writer_literal(w, "\"\"");
                return;
        }
        len = strlen(s);
        if (utf8_is_valid(s, len)) {
                json_writer_string(w, s, len);
                return;
        }
        if (UTF8_SANITIZED_MAX(len) > sizeof(stack)) {
                heap = malloc(UTF8_SANITIZED_MAX(len));
                if (!heap) {
                        w->oom = true;
                        return;
                }
                buf = heap;
        }
        l = utf8_sanitize(s, len, 0, buf, UTF8_SANITIZED_MAX(len));
        json_writer_string(w, buf, l);
}

void process_info_write_json(JsonWriter *w, const ProcessInfo *p, bool managed, const char *unit) {
        char state[2], uidbuf[16];

        state[0] = p->state ?: '?';
        state[1] = '\0';
        if (!p->user)
                (void) snprintf(uidbuf, sizeof(uidbuf), "%u", (unsigned) p->uid);

        json_writer_literal(w, "{\"pid\":");
        json_writer_int(w, p->pid);
        json_writer_literal(w, ",\"ppid\":");
        json_writer_int(w, p->ppid);
        json_writer_literal(w, ",\"name\":");
        write_string_sanitized(w, p->name);
        json_writer_literal(w, ",\"user\":");
        write_string_sanitized(w, p->user ?: uidbuf);
        json_writer_literal(w, ",\"state\":");
        write_string_sanitized(w, state);
        json_writer_literal(w, ",\"cpu_percent\":");
        /* one decimal; NaN, negative and absurd values become 0 */
        json_writer_decimal1(w, isfinite(p->cpu_percent) ? p->cpu_percent : 0.0);
        json_writer_literal(w, ",\"rss\":");
        json_writer_uint(w, MIN(p->rss, (uint64_t) INT64_MAX));
        json_writer_literal(w, ",\"threads\":");
        json_writer_uint(w, p->threads);
        json_writer_literal(w, ",\"start_time\":");
        json_writer_uint(w, MIN(p->start_time, (uint64_t) INT64_MAX));
        json_writer_literal(w, ",\"cmdline\":");
        write_string_sanitized(w, p->cmdline);
        if (managed)
                json_writer_literal(w, ",\"managed\":true,\"unit\":");
        else
                json_writer_literal(w, ",\"managed\":false,\"unit\":");
        if (unit)
                write_string_sanitized(w, unit);
        else
                json_writer_literal(w, "null");
        json_writer_literal(w, "}");
}

json_t *process_info_to_json(const ProcessInfo *p, bool managed, const char *unit) {
        _cleanup_free_ char *buf = NULL;
        JsonWriter w = {};
        size_t len;

        if (!p)
                return NULL;
        /* One object per STATUS: parsing it back costs microseconds and keeps one serializer. */
        (void) json_writer_reserve(&w, 512);
        process_info_write_json(&w, p, managed, unit);
        buf = json_writer_steal(&w, &len);
        if (!buf)
                return NULL;
        return json_loadb(buf, len, 0, NULL);
}
