/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The little HTTP/1.x that `procctl metrics --http` speaks: find the end of a
 * request head and parse its request line. Pure: buffer in, struct out, no
 * I/O, no allocation, no logging (fuzzed: tests/fuzz/fuzz-http.c). Must NOT
 * grow into a general HTTP server: one request per connection, no body, no
 * header is interpreted.
 */

#include <stddef.h>

#define HTTP_METHOD_MAX 16
#define HTTP_TARGET_MAX 256

typedef struct HttpRequestLine {
        char method[HTTP_METHOD_MAX + 1];       /* token characters only */
        char target[HTTP_TARGET_MAX + 1];       /* visible ASCII only */
        int minor;                              /* HTTP/1.<minor> */
} HttpRequestLine;

/* The length of the request head in buf[0..len) up to and including the empty line that
 * ends it ("\r\n\r\n", or "\n\n" from lenient clients); 0 when it is not complete yet. */
size_t http_head_length(const char *buf, size_t len);

/* Parses the request line at the start of buf[0..len) ("METHOD SP TARGET SP HTTP/1.x",
 * CRLF or LF). 0, or -EBADMSG when malformed, -E2BIG when method or target is too long,
 * -EPROTONOSUPPORT for another HTTP version. */
int http_parse_request_line(const char *buf, size_t len, HttpRequestLine *ret);

/* The status `procctl metrics --http` answers a parsed request with: 200 for GET or HEAD
 * of /metrics (a query string is ignored), 405 for another method, 404 for another path. */
int http_metrics_status(const HttpRequestLine *r);
