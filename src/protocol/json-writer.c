/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hand-written JSON writer for hot replies; see json-writer.h. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/json-writer.h"
#include "shared/macro.h"

bool json_writer_reserve(JsonWriter *w, size_t more) {
        size_t need, n;
        char *p;

        if (w->oom)
                return false;
        need = w->len + more + 1;       /* room for the NUL of json_writer_steal() */
        if (need <= w->alloc)
                return true;
        n = MAX(need, w->alloc * 2);
        n = MAX(n, (size_t) 256);
        p = realloc(w->buf, n);
        if (!p) {
                w->oom = true;
                return false;
        }
        w->buf = p;
        w->alloc = n;
        return true;
}

void json_writer_append(JsonWriter *w, const char *s, size_t n) {
        if (!json_writer_reserve(w, n))
                return;
        memcpy(w->buf + w->len, s, n);
        w->len += n;
}

void json_writer_string(JsonWriter *w, const char *s, size_t n) {
        static const char hex[] = "0123456789ABCDEF";
        const unsigned char *p = (const unsigned char *) s, *e = p + n;
        char *o;

        /* Worst case every byte becomes \u00XX. */
        if (!json_writer_reserve(w, n * 6 + 2))
                return;
        o = w->buf + w->len;
        *o++ = '"';
        for (; p < e; p++) {
                unsigned char c = *p;

                if (c >= 0x20 && c != '"' && c != '\\') {
                        *o++ = (char) c;
                        continue;
                }
                *o++ = '\\';
                switch (c) {
                case '"':  *o++ = '"'; break;
                case '\\': *o++ = '\\'; break;
                case '\b': *o++ = 'b'; break;
                case '\f': *o++ = 'f'; break;
                case '\n': *o++ = 'n'; break;
                case '\r': *o++ = 'r'; break;
                case '\t': *o++ = 't'; break;
                default:
                        *o++ = 'u';
                        *o++ = '0';
                        *o++ = '0';
                        *o++ = hex[c >> 4];
                        *o++ = hex[c & 15];
                }
        }
        *o++ = '"';
        w->len = (size_t) (o - w->buf);
}

void json_writer_uint(JsonWriter *w, unsigned long long v) {
        char tmp[24];
        size_t n = sizeof(tmp);

        do {
                tmp[--n] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        json_writer_append(w, tmp + n, sizeof(tmp) - n);
}

void json_writer_int(JsonWriter *w, long long v) {
        if (v < 0) {
                json_writer_literal(w, "-");
                json_writer_uint(w, -(unsigned long long) v);
        } else
                json_writer_uint(w, (unsigned long long) v);
}

void json_writer_decimal1(JsonWriter *w, double v) {
        uint64_t t;

        /* Only the values round1()-style code produces: finite, >= 0, < 1e12. */
        if (!(v > 0) || v >= 1e12) {
                json_writer_literal(w, "0.0");
                return;
        }
        t = (uint64_t) (v * 10.0 + 0.5);
        json_writer_uint(w, t / 10);
        if (json_writer_reserve(w, 2)) {
                w->buf[w->len++] = '.';
                w->buf[w->len++] = (char) ('0' + t % 10);
        }
}

void json_writer_decimal2(JsonWriter *w, double v) {
        uint64_t t, f;

        if (!(v > 0) || v >= 1e12) {
                json_writer_literal(w, "0.0");
                return;
        }
        t = (uint64_t) (v * 100.0 + 0.5);
        f = t % 100;
        json_writer_uint(w, t / 100);
        if (!json_writer_reserve(w, 3))
                return;
        w->buf[w->len++] = '.';
        w->buf[w->len++] = (char) ('0' + f / 10);
        if (f % 10 != 0)
                w->buf[w->len++] = (char) ('0' + f % 10);
}

void json_writer_json(JsonWriter *w, const json_t *v) {
        _cleanup_free_ char *s = NULL;

        if (!v) {
                json_writer_literal(w, "null");
                return;
        }
        s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
        if (!s) {
                w->oom = true;
                return;
        }
        json_writer_append(w, s, strlen(s));
}

char *json_writer_steal(JsonWriter *w, size_t *ret_len) {
        char *s;

        if (w->oom || !json_writer_reserve(w, 0)) {
                json_writer_done(w);
                return NULL;
        }
        w->buf[w->len] = '\0';
        s = TAKE_PTR(w->buf);
        if (ret_len)
                *ret_len = w->len;
        *w = (JsonWriter) {};
        return s;
}

void json_writer_done(JsonWriter *w) {
        free(w->buf);
        *w = (JsonWriter) {};
}
