/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for http-parse.c: head framing (CRLF and LF, incomplete), the request line
 * (methods, targets, versions, what is refused) and the status for /metrics. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shared/http-parse.h"

#define S(s) s, strlen(s)

static void test_head_length(void **state) {
        assert_int_equal(http_head_length(S("GET / HTTP/1.1\r\nHost: x\r\n\r\nBODY")), 27);
        assert_int_equal(http_head_length(S("GET / HTTP/1.0\n\n")), 16);
        assert_int_equal(http_head_length(S("GET / HTTP/1.1\r\nHost: x\r\n")), 0);
        assert_int_equal(http_head_length(S("GET / HTTP/1.1\r\n\r")), 0);
        assert_int_equal(http_head_length(S("")), 0);
}

static int status_of(const char *s) {
        HttpRequestLine rl;
        int r = http_parse_request_line(s, strlen(s), &rl);

        return r < 0 ? r : http_metrics_status(&rl);
}

static void test_request_line(void **state) {
        HttpRequestLine rl;
        char big[600];

        assert_int_equal(http_parse_request_line(S("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), &rl), 0);
        assert_string_equal(rl.method, "GET");
        assert_string_equal(rl.target, "/metrics");
        assert_int_equal(rl.minor, 1);

        assert_int_equal(status_of("GET /metrics HTTP/1.1\r\n\r\n"), 200);
        assert_int_equal(status_of("HEAD /metrics HTTP/1.0\n\n"), 200);
        assert_int_equal(status_of("GET /metrics?name[]=x HTTP/1.1\r\n\r\n"), 200);
        assert_int_equal(status_of("POST /metrics HTTP/1.1\r\n\r\n"), 405);
        assert_int_equal(status_of("DELETE /metrics HTTP/1.1\r\n\r\n"), 405);
        assert_int_equal(status_of("get /metrics HTTP/1.1\r\n\r\n"), 405);    /* methods are case-sensitive */
        assert_int_equal(status_of("GET / HTTP/1.1\r\n\r\n"), 404);
        assert_int_equal(status_of("GET /metricsx HTTP/1.1\r\n\r\n"), 404);
        assert_int_equal(status_of("GET /metrics/../etc HTTP/1.1\r\n\r\n"), 404);

        assert_int_equal(status_of("GET /metrics HTTP/2.0\r\n\r\n"), -EPROTONOSUPPORT);
        assert_int_equal(status_of("GET /metrics\r\n\r\n"), -EBADMSG);              /* HTTP/0.9 */
        assert_int_equal(status_of("GET  /metrics HTTP/1.1\r\n\r\n"), -EBADMSG);
        assert_int_equal(status_of("GET /metrics HTTP/1.1 x\r\n\r\n"), -EBADMSG);
        assert_int_equal(status_of("GET /met\x01rics HTTP/1.1\r\n\r\n"), -EBADMSG);
        assert_int_equal(status_of("G(T /metrics HTTP/1.1\r\n\r\n"), -EBADMSG);
        assert_int_equal(status_of("GET /metrics HTTP/1.1"), -EBADMSG);              /* no line end */
        assert_int_equal(status_of(" /metrics HTTP/1.1\r\n"), -EBADMSG);
        assert_int_equal(status_of("AVERYLONGMETHODNAMEX /metrics HTTP/1.1\r\n"), -E2BIG);

        memset(big, 'a', sizeof(big));
        memcpy(big, "GET /", 5);
        memcpy(big + 500, " HTTP/1.1\r\n", 12);
        assert_int_equal(status_of(big), -E2BIG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_head_length),
                cmocka_unit_test(test_request_line),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
