/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for protocol.c: both request forms, the InvalidRequest /
 * UnknownCommand / InvalidArgument boundaries of PROTOCOL.md, typed member
 * access, error names and reply serialization.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "protocol/error.h"
#include "protocol/reply.h"
#include "protocol/request.h"
#include "shared/string-util.h"

static int parse(const char *line, Request *req, ErrorCode *e, char *msg) {
        return request_parse(line, strlen(line), req, e, msg, 256);
}

static void test_json_form(void **state) {
        Request req;
        ErrorCode e = _ERROR_INVALID;
        char msg[256];
        long long pid = 0;

        assert_int_equal(parse("{\"cmd\":\"stop\",\"id\":7,\"pid\":1234,\"signal\":\"TERM\"}", &req, &e, msg), 0);
        assert_string_equal(req.cmd, "STOP");
        assert_false(req.plain);
        assert_non_null(req.id);
        assert_int_equal(json_integer_value(req.id), 7);
        assert_int_equal(request_get_int(&req, "pid", 1, 100000, &pid, msg, sizeof(msg)), 1);
        assert_int_equal(pid, 1234);
        request_done(&req);

        /* trailing CR and leading blanks */
        assert_int_equal(parse("  {\"cmd\":\"PING\"}\r", &req, &e, msg), 0);
        assert_string_equal(req.cmd, "PING");
        assert_null(req.id);
        request_done(&req);
}

static void test_plain_form(void **state) {
        Request req;
        ErrorCode e;
        char msg[256];
        json_t *argv;

        assert_int_equal(parse("stop 1234 KILL", &req, &e, msg), 0);
        assert_string_equal(req.cmd, "STOP");
        assert_true(req.plain);
        assert_int_equal(json_integer_value(json_object_get(req.args, "pid")), 1234);
        assert_string_equal(json_string_value(json_object_get(req.args, "signal")), "KILL");
        request_done(&req);

        assert_int_equal(parse("START sh -c 'echo \"a b\"; exit 3'", &req, &e, msg), 0);
        argv = json_object_get(req.args, "argv");
        assert_int_equal(json_array_size(argv), 3);
        assert_string_equal(json_string_value(json_array_get(argv, 0)), "sh");
        assert_string_equal(json_string_value(json_array_get(argv, 2)), "echo \"a b\"; exit 3");
        request_done(&req);

        assert_int_equal(parse("LOGS 12 30", &req, &e, msg), 0);
        assert_int_equal(json_integer_value(json_object_get(req.args, "lines")), 30);
        request_done(&req);

        assert_int_equal(parse("AUTH secret", &req, &e, msg), 0);
        assert_string_equal(json_string_value(json_object_get(req.args, "token")), "secret");
        request_done(&req);

        assert_int_equal(parse("list -cpu 5", &req, &e, msg), 0);
        assert_string_equal(json_string_value(json_object_get(req.args, "sort")), "-cpu");
        assert_int_equal(json_integer_value(json_object_get(req.args, "limit")), 5);
        request_done(&req);
}

static void test_errors(void **state) {
        static const struct {
                const char *line;
                ErrorCode e;
        } cases[] = {
                { "[1,2]", ERROR_INVALID_REQUEST },
                { "42", ERROR_INVALID_REQUEST },
                { "\"PING\"", ERROR_INVALID_REQUEST },
                { "null", ERROR_INVALID_REQUEST },
                { "true", ERROR_INVALID_REQUEST },
                { "{", ERROR_INVALID_REQUEST },
                { "{\"cmd\":\"PING\"} x", ERROR_INVALID_REQUEST },
                { "{\"id\":1}", ERROR_INVALID_REQUEST },
                { "{\"cmd\":1}", ERROR_INVALID_ARGUMENT },
                { "{\"cmd\":\"\"}", ERROR_INVALID_REQUEST },
                { "{\"cmd\":\"PING\",\"cmd\":\"LIST\"}", ERROR_INVALID_REQUEST },
                { "{\"cmd\":\"A B\"}", ERROR_UNKNOWN_COMMAND },
                { "STOP", ERROR_INVALID_ARGUMENT },
                { "STOP x", ERROR_INVALID_ARGUMENT },
                { "STOP 1 2 3", ERROR_INVALID_ARGUMENT },
                { "STATUS 1 2", ERROR_INVALID_ARGUMENT },
                { "START", ERROR_INVALID_ARGUMENT },
                { "START 'open", ERROR_INVALID_ARGUMENT },
                { "PING now", ERROR_INVALID_ARGUMENT },
                { "AUTH", ERROR_INVALID_ARGUMENT },
                { "\xff\xfe", ERROR_UNKNOWN_COMMAND },
                { "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ", ERROR_UNKNOWN_COMMAND },
        };
        char msg[256];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                Request req;
                ErrorCode e = _ERROR_INVALID;
                int r = parse(cases[i].line, &req, &e, msg);

                if (r >= 0 || e != cases[i].e)
                        fail_msg("'%s': r=%d error=%s (want %s) msg=%s", cases[i].line, r, error_code_to_name(e),
                                 error_code_to_name(cases[i].e), msg);
                assert_true(msg[0] != '\0');
                request_done(&req);
        }
}

static void test_nul_and_blank(void **state) {
        Request req;
        ErrorCode e;
        char msg[256];

        assert_int_equal(request_parse("PI\0NG", 5, &req, &e, msg, sizeof(msg)), -EBADMSG);
        assert_int_equal(e, ERROR_INVALID_REQUEST);
        request_done(&req);
        assert_int_equal(parse("   \r", &req, &e, msg), -ENODATA);
        assert_int_equal(parse("", &req, &e, msg), -ENODATA);
}

static void test_id_kept_on_error(void **state) {
        Request req;
        ErrorCode e;
        char msg[256];

        assert_true(parse("{\"cmd\":[],\"id\":\"abc\"}", &req, &e, msg) < 0);
        assert_non_null(req.id);
        assert_string_equal(json_string_value(req.id), "abc");
        request_done(&req);
}

static void test_getters(void **state) {
        Request req;
        ErrorCode e;
        char msg[256];
        const char *s = NULL;
        long long v = 0;
        bool b = false;
        json_t *j = NULL;

        assert_int_equal(parse("{\"cmd\":\"X\",\"s\":\"str\",\"n\":5.0,\"f\":1.5,\"b\":true,\"big\":99999999999,"
                               "\"a\":[],\"z\":null}", &req, &e, msg), 0);
        assert_int_equal(request_get_string(&req, "s", &s, msg, sizeof(msg)), 1);
        assert_string_equal(s, "str");
        assert_int_equal(request_get_string(&req, "n", &s, msg, sizeof(msg)), -EINVAL);
        assert_non_null(strstr(msg, "'n'"));
        assert_int_equal(request_get_int(&req, "n", 0, 10, &v, msg, sizeof(msg)), 1);
        assert_int_equal(v, 5);
        assert_int_equal(request_get_int(&req, "f", 0, 10, &v, msg, sizeof(msg)), -EINVAL);
        assert_int_equal(request_get_int(&req, "big", 0, 1000, &v, msg, sizeof(msg)), -ERANGE);
        assert_int_equal(request_get_int(&req, "missing", 0, 10, &v, msg, sizeof(msg)), 0);
        assert_int_equal(request_get_int(&req, "z", 0, 10, &v, msg, sizeof(msg)), 0);
        assert_int_equal(request_get_bool(&req, "b", &b, msg, sizeof(msg)), 1);
        assert_true(b);
        assert_int_equal(request_get_bool(&req, "s", &b, msg, sizeof(msg)), -EINVAL);
        assert_int_equal(request_get_json(&req, "a", JSON_ARRAY, &j, msg, sizeof(msg)), 1);
        assert_int_equal(request_get_json(&req, "a", JSON_OBJECT, &j, msg, sizeof(msg)), -EINVAL);
        request_done(&req);
}

static void test_replies(void **state) {
        _cleanup_(json_decrefp) json_t *id = json_pack("{s:i}", "x", 1);
        _cleanup_(json_decrefp) json_t *r = reply_new_error(id, ERROR_NO_SUCH_PROCESS, "no process %d", 5);
        _cleanup_(json_decrefp) json_t *ok = reply_new_ok(NULL);
        _cleanup_free_ char *line = NULL;
        size_t len;

        line = reply_serialize(r, &len);
        assert_non_null(line);
        assert_int_equal(strlen(line), len);
        assert_int_equal(line[len - 1], '\n');
        assert_null(memchr(line, '\n', len - 1));
        assert_string_equal(json_string_value(json_object_get(r, "error")), "org.procmgr.Error.NoSuchProcess");
        assert_string_equal(json_string_value(json_object_get(r, "msg")), "no process 5");
        assert_true(json_equal(json_object_get(r, "id"), id));
        assert_true(json_is_true(json_object_get(ok, "ok")));
        assert_null(json_object_get(ok, "id"));
}

static void test_error_names(void **state) {
        for (int i = 0; i < _ERROR_MAX; i++) {
                const char *n = error_code_to_name((ErrorCode) i);
                assert_true(strncmp(n, "org.procmgr.Error.", 18) == 0);
                assert_int_equal(error_code_from_name(n), i);
                assert_int_equal(error_code_from_name(n + 18), i);
        }
        assert_int_equal(error_code_from_name("nope"), _ERROR_INVALID);
        assert_int_equal(error_code_from_errno(-ESRCH), ERROR_NO_SUCH_PROCESS);
        assert_int_equal(error_code_from_errno(-EPERM), ERROR_ACCESS_DENIED);
        assert_int_equal(error_code_from_errno(-ETIMEDOUT), ERROR_TIMEOUT);
        assert_int_equal(error_code_from_errno(-EIO), ERROR_INTERNAL);
}

static void test_sanitize(void **state) {
        char buf[16];

        string_sanitize("a\nb\x01" "c", 32, buf, sizeof(buf));
        assert_string_equal(buf, "a?b?c");
        string_sanitize("abcdefghijklmnopqrstuvwxyz", 8, buf, sizeof(buf));
        assert_string_equal(buf, "abcde...");
}

static void test_bare_ping(void **state) {
        static const char *const yes[] = {
                "PING", "ping", "  Ping\r", "{\"cmd\":\"PING\"}", "{\"cmd\":\"ping\"}\r", " {\"cmd\":\"PiNg\"} ",
        };
        static const char *const no[] = {
                "", "PIN", "PINGS", "PING 1", "{\"cmd\":\"PING\",\"id\":1}", "{\"cmd\": \"PING\"}",
                "{\"cmd\":\"PING\",\"token\":\"x\"}", "{\"cmd\":\"PINGX\"}", "{\"CMD\":\"PING\"}", "[\"PING\"]",
        };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                assert_true(request_is_bare_ping(yes[i], strlen(yes[i])));
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                assert_false(request_is_bare_ping(no[i], strlen(no[i])));

        /* Whatever the fast path accepts, the full parser reads as a PING without id. */
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                Request req;
                ErrorCode e;
                char msg[128];

                assert_int_equal(request_parse(yes[i], strlen(yes[i]), &req, &e, msg, sizeof(msg)), 0);
                assert_string_equal(req.cmd, "PING");
                assert_null(req.id);
                request_done(&req);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_json_form),     cmocka_unit_test(test_plain_form),
                cmocka_unit_test(test_errors),        cmocka_unit_test(test_nul_and_blank),
                cmocka_unit_test(test_id_kept_on_error), cmocka_unit_test(test_getters),
                cmocka_unit_test(test_replies),       cmocka_unit_test(test_error_names),
                cmocka_unit_test(test_sanitize),      cmocka_unit_test(test_bare_ping),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
