/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Request head framing and request-line parsing for the metrics HTTP answer; see
 * http-parse.h. Everything here reads client bytes: every index is checked against len. */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "shared/http-parse.h"

size_t http_head_length(const char *buf, size_t len) {
        for (size_t i = 0; i < len; i++) {
                if (buf[i] != '\n')
                        continue;
                if (i + 1 < len && buf[i + 1] == '\n')
                        return i + 2;
                if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
                        return i + 3;
        }
        return 0;
}

/* RFC 9110 tchar. */
static bool is_tchar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

int http_parse_request_line(const char *buf, size_t len, HttpRequestLine *ret) {
        const char *eol = memchr(buf, '\n', len), *p = buf, *sp;
        size_t n;

        if (!eol)
                return -EBADMSG;
        if (eol > buf && eol[-1] == '\r')
                eol--;

        sp = memchr(p, ' ', (size_t) (eol - p));
        if (!sp || sp == p)
                return -EBADMSG;
        n = (size_t) (sp - p);
        if (n > HTTP_METHOD_MAX)
                return -E2BIG;
        for (size_t i = 0; i < n; i++)
                if (!is_tchar(p[i]))
                        return -EBADMSG;
        memcpy(ret->method, p, n);
        ret->method[n] = '\0';

        p = sp + 1;
        sp = memchr(p, ' ', (size_t) (eol - p));
        if (!sp || sp == p)
                return -EBADMSG;
        n = (size_t) (sp - p);
        if (n > HTTP_TARGET_MAX)
                return -E2BIG;
        for (size_t i = 0; i < n; i++)
                if (p[i] <= ' ' || p[i] >= 0x7f)
                        return -EBADMSG;
        memcpy(ret->target, p, n);
        ret->target[n] = '\0';

        p = sp + 1;
        if (eol - p != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.' || p[5] < '0' || p[5] > '9' ||
            p[7] < '0' || p[7] > '9')
                return -EBADMSG;
        if (p[5] != '1')
                return -EPROTONOSUPPORT;
        ret->minor = p[7] - '0';
        return 0;
}

int http_metrics_status(const HttpRequestLine *r) {
        size_t n = strcspn(r->target, "?");

        if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
                return 405;
        if (n != strlen("/metrics") || strncmp(r->target, "/metrics", n) != 0)
                return 404;
        return 200;
}
