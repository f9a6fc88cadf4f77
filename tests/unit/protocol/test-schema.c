/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for schema.c: the table is well formed, the plain form and the
 * JSON form of a request mean the same, validation accepts each argument's
 * type and range and refuses everything else with a message naming the
 * member, typed parameters and defaults land where handlers read them, and
 * DESCRIBE publishes exactly the ArgSpecs that validate.
 */

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "protocol/request.h"
#include "protocol/schema.h"
#include "shared/macro.h"

static int parse(const char *line, Request *req, ErrorCode *e, char *msg) {
        return request_parse(line, strlen(line), req, e, msg, 256);
}

/* Parses a JSON line and validates it against its command's schema. */
static int validate_line(const char *line, Request *req, char *msg) {
        ErrorCode e;
        const CommandSchema *c;

        assert_int_equal(parse(line, req, &e, msg), 0);
        c = schema_command_find(req->cmd);
        assert_non_null(c);
        return schema_validate_request(c, req, msg, 256);
}

static void test_table(void **state) {
        const CommandSchema *t;
        size_t n;

        t = schema_commands(&n);
        assert_true(n >= 10);
        for (size_t i = 0; i < n; i++) {
                size_t n_rest = 0;
                bool optional_seen = false;

                assert_ptr_equal(schema_command_find(t[i].name), &t[i]);
                assert_true(strlen(t[i].name) <= PROTOCOL_CMD_MAX);
                for (const char *p = t[i].name; *p; p++)
                        assert_true(*p >= 'A' && *p <= 'Z');
                assert_non_null(t[i].summary);
                assert_non_null(t[i].returns);

                for (const ArgSpec *a = t[i].args; a->name; a++) {
                        assert_non_null(schema_type_to_string(a->type));
                        assert_true(a->offset < sizeof(CommandParameters));
                        /* Members are unique and never the envelope's. */
                        for (const ArgSpec *b = a + 1; b->name; b++)
                                assert_string_not_equal(a->name, b->name);
                        assert_string_not_equal(a->name, SCHEMA_MEMBER_CMD);
                        assert_string_not_equal(a->name, SCHEMA_MEMBER_ID);
                        if (a->type == SCHEMA_TYPE_INT)
                                assert_true(a->min <= a->max);
                        if (a->flags & SCHEMA_PLAIN_REST) {
                                n_rest++;
                                assert_int_equal(a->type, SCHEMA_TYPE_ARRAY);
                                assert_false(a->flags & SCHEMA_PLAIN_POSITIONAL);
                        }
                        /* Plain words are read in order: required ones must come first. */
                        if (a->flags & SCHEMA_PLAIN_POSITIONAL) {
                                if (arg_spec_plain_required(a))
                                        assert_false(optional_seen);
                                else
                                        optional_seen = true;
                        }
                }
                assert_true(n_rest <= 1);
        }
        assert_null(schema_command_find("NOPE"));
        assert_null(schema_command_find("ping"));       /* request.c upper-cases first */
        assert_string_equal(schema_type_to_string(SCHEMA_TYPE_PID), "int");
        assert_string_equal(schema_type_to_string(SCHEMA_TYPE_SIGNAL), "any");
        assert_null(schema_type_to_string(_SCHEMA_TYPE_MAX));
}

static void test_usage(void **state) {
        static const struct {
                const char *cmd, *usage;
        } cases[] = {
                { "STOP", " PID [SIGNAL]" },
                { "STATUS", " PID" },
                { "LOGS", " PID [LINES]" },
                { "LIST", " [SORT [LIMIT]]" },
                { "AUTH", " TOKEN" },
                { "PING", "" },
        };
        char buf[64];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                schema_plain_usage(schema_command_find(cases[i].cmd), buf, sizeof(buf));
                assert_string_equal(buf, cases[i].usage);
        }
        /* Truncates, never overflows. */
        schema_plain_usage(schema_command_find("STOP"), buf, 5);
        assert_string_equal(buf, " PID");
}

/* The plain form yields the members the JSON form would carry. */
static void test_plain_is_json(void **state) {
        static const struct {
                const char *plain, *json;
        } cases[] = {
                { "STOP 12 KILL", "{\"cmd\":\"STOP\",\"pid\":12,\"signal\":\"KILL\"}" },
                { "stop 12", "{\"cmd\":\"STOP\",\"pid\":12}" },
                { "STATUS 7", "{\"cmd\":\"STATUS\",\"pid\":7}" },
                { "LOGS 7 30", "{\"cmd\":\"LOGS\",\"pid\":7,\"lines\":30}" },
                { "LIST -rss 3", "{\"cmd\":\"LIST\",\"sort\":\"-rss\",\"limit\":3}" },
                { "LIST", "{\"cmd\":\"LIST\"}" },
                { "AUTH 's p'", "{\"cmd\":\"AUTH\",\"token\":\"s p\"}" },
                { "START sleep 1", "{\"cmd\":\"START\",\"argv\":[\"sleep\",\"1\"]}" },
                { "INFO", "{\"cmd\":\"INFO\"}" },
                { "FROB a b", "{\"cmd\":\"FROB\"}" },   /* unknown: dispatch names it */
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Request plain, json;
                ErrorCode e;
                char msg[256];

                assert_int_equal(parse(cases[i].plain, &plain, &e, msg), 0);
                assert_int_equal(parse(cases[i].json, &json, &e, msg), 0);
                assert_true(plain.plain);
                assert_string_equal(plain.cmd, json.cmd);
                if (!json_equal(plain.args, json.args))
                        fail_msg("'%s' is not %s", cases[i].plain, cases[i].json);
                request_done(&plain);
                request_done(&json);
        }
}

static void test_plain_errors(void **state) {
        static const struct {
                const char *line, *msg;
        } cases[] = {
                { "STOP", "usage: STOP PID [SIGNAL]" },
                { "STOP 1 2 3", "usage: STOP PID [SIGNAL]" },
                { "STOP x", "invalid pid 'x'" },
                { "LOGS", "usage: LOGS PID [LINES]" },
                { "LOGS 1 many", "invalid lines 'many'" },
                { "LIST a 1 2", "usage: LIST [SORT [LIMIT]]" },
                { "AUTH", "usage: AUTH TOKEN" },
                { "EXIT now", "EXIT takes no arguments" },
                { "START", "START needs a command line" },
                { "START 'open", "unterminated quote in command line" },
                { "FROB 1 2 3 4 5 6 7 8 9", "too many or malformed arguments for FROB" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Request req;
                ErrorCode e = _ERROR_INVALID;
                char msg[256];

                assert_int_equal(parse(cases[i].line, &req, &e, msg), -EINVAL);
                assert_int_equal(e, ERROR_INVALID_ARGUMENT);
                assert_string_equal(msg, cases[i].msg);
                request_done(&req);
        }
}

/* A JSON value of each wire type, and one of another type. */
static const char *value_of(const ArgSpec *a, bool right) {
        switch (a->type) {
        case SCHEMA_TYPE_STRING:
                return right ? "\"x\"" : "5";
        case SCHEMA_TYPE_INT:
        case SCHEMA_TYPE_PID:
                return right ? "1" : "\"1\"";
        case SCHEMA_TYPE_BOOL:
                return right ? "true" : "\"yes\"";
        case SCHEMA_TYPE_ARRAY:
                return right ? "[\"x\"]" : "{}";
        case SCHEMA_TYPE_OBJECT:
                return right ? "{}" : "[]";
        case SCHEMA_TYPE_SIGNAL:
                return right ? "\"TERM\"" : "[]";
        default:
                return NULL;
        }
}

/* Every argument of every command: its type passes, another type, an out-of-range value
 * and (when required) its absence are InvalidArgument with the member named. */
static void test_validate_each_argument(void **state) {
        const CommandSchema *t;
        size_t n;

        t = schema_commands(&n);
        for (size_t i = 0; i < n; i++)
                for (const ArgSpec *a = t[i].args; a->name; a++) {
                        char line[512], base[256] = "", msg[256];
                        Request req;

                        /* The other required members, valid, so only this one can fail. */
                        for (const ArgSpec *b = t[i].args; b->name; b++)
                                if (b != a && (b->flags & SCHEMA_REQUIRED)) {
                                        size_t l = strlen(base);
                                        (void) snprintf(base + l, sizeof(base) - l, ",\"%s\":%s", b->name,
                                                        value_of(b, true));
                                }

                        (void) snprintf(line, sizeof(line), "{\"cmd\":\"%s\"%s,\"%s\":%s}", t[i].name, base,
                                        a->name, value_of(a, true));
                        if (validate_line(line, &req, msg) != 0)
                                fail_msg("%s refused: %s", line, msg);
                        request_done(&req);

                        (void) snprintf(line, sizeof(line), "{\"cmd\":\"%s\"%s,\"%s\":%s}", t[i].name, base,
                                        a->name, value_of(a, false));
                        assert_int_equal(validate_line(line, &req, msg), -EINVAL);
                        assert_non_null(strstr(msg, a->name));
                        request_done(&req);

                        if (a->type == SCHEMA_TYPE_INT)
                                for (size_t k = 0; k < 2; k++) {
                                        long long bad;

                                        if (k == 0 ? a->min == INT64_MIN : a->max == INT64_MAX)
                                                continue;
                                        bad = k == 0 ? (long long) a->min - 1 : (long long) a->max + 1;
                                        (void) snprintf(line, sizeof(line), "{\"cmd\":\"%s\"%s,\"%s\":%lld}",
                                                        t[i].name, base, a->name, bad);
                                        assert_int_equal(validate_line(line, &req, msg), -ERANGE);
                                        assert_non_null(strstr(msg, a->name));
                                        request_done(&req);
                                }
                        if (a->type == SCHEMA_TYPE_PID)
                                for (size_t k = 0; k < 3; k++) {
                                        static const char *const bad[] = { "0", "-1", "2147483648" };
                                        (void) snprintf(line, sizeof(line), "{\"cmd\":\"%s\"%s,\"%s\":%s}",
                                                        t[i].name, base, a->name, bad[k]);
                                        assert_int_equal(validate_line(line, &req, msg), -EINVAL);
                                        assert_non_null(strstr(msg, "pid"));
                                        request_done(&req);
                                }

                        (void) snprintf(line, sizeof(line), "{\"cmd\":\"%s\"%s}", t[i].name, base);
                        if (a->flags & SCHEMA_REQUIRED) {
                                assert_int_equal(validate_line(line, &req, msg), -EINVAL);
                                assert_non_null(strstr(msg, "missing"));
                                assert_non_null(strstr(msg, a->name));
                        } else
                                assert_int_equal(validate_line(line, &req, msg), 0);
                        request_done(&req);

                        /* Unknown members are ignored (PROTOCOL.md). */
                        (void) snprintf(line, sizeof(line), "{\"cmd\":\"%s\"%s,\"no_such_member\":[1]}",
                                        t[i].name, base);
                        if (!(a->flags & SCHEMA_REQUIRED))
                                assert_int_equal(validate_line(line, &req, msg), 0);
                        request_done(&req);
                }
}

static void test_typed_parameters(void **state) {
        Request req;
        char msg[256];

        /* Defaults where nothing is given. */
        assert_int_equal(validate_line("{\"cmd\":\"STOP\",\"pid\":42}", &req, msg), 0);
        assert_int_equal(req.params.stop.pid, 42);
        assert_int_equal(req.params.stop.signal, SIGTERM);
        assert_int_equal(req.params.stop.timeout_ms, SCHEMA_STOP_TIMEOUT_MS_DEFAULT);
        request_done(&req);

        assert_int_equal(validate_line("{\"cmd\":\"STOP\",\"pid\":42.0,\"signal\":9,\"timeout_ms\":0,"
                                       "\"token\":\"t\",\"id\":[1]}", &req, msg), 0);
        assert_int_equal(req.params.stop.pid, 42);
        assert_int_equal(req.params.stop.signal, SIGKILL);
        assert_int_equal(req.params.stop.timeout_ms, 0);
        request_done(&req);

        assert_int_equal(validate_line("{\"cmd\":\"STOP\",\"pid\":1,\"signal\":\"SIGHUP\"}", &req, msg), 0);
        assert_int_equal(req.params.stop.signal, SIGHUP);
        request_done(&req);
        assert_int_equal(validate_line("{\"cmd\":\"STOP\",\"pid\":1,\"signal\":999}", &req, msg), -EINVAL);
        request_done(&req);
        assert_int_equal(validate_line("{\"cmd\":\"STOP\",\"pid\":1,\"signal\":\"NOPE\"}", &req, msg),
                         -EINVAL);
        request_done(&req);

        assert_int_equal(validate_line("{\"cmd\":\"LIST\"}", &req, msg), 0);
        assert_null(req.params.list.sort);
        assert_int_equal(req.params.list.limit, -1);
        assert_false(req.params.list.managed);
        request_done(&req);
        assert_int_equal(validate_line("{\"cmd\":\"LIST\",\"sort\":\"-cpu\",\"limit\":3,\"user\":\"root\","
                                       "\"name\":null,\"managed\":true}", &req, msg), 0);
        assert_string_equal(req.params.list.sort, "-cpu");
        assert_int_equal(req.params.list.limit, 3);
        assert_string_equal(req.params.list.user, "root");
        assert_null(req.params.list.name);                       /* null is absent */
        assert_true(req.params.list.managed);
        request_done(&req);

        assert_int_equal(validate_line("{\"cmd\":\"START\",\"argv\":[\"a\"],\"env\":{\"A\":\"1\"},"
                                       "\"memory_max\":1048576}", &req, msg), 0);
        assert_true(json_is_array(req.params.start.argv));
        assert_true(json_is_object(req.params.start.env));
        assert_null(req.params.start.command);
        assert_int_equal(req.params.start.memory_max, 1048576);
        assert_int_equal(req.params.start.cpu_quota, 0);
        assert_int_equal(req.params.start.tasks_max, -1);
        request_done(&req);

        assert_int_equal(validate_line("{\"cmd\":\"LOGS\",\"unit\":\"u.scope\"}", &req, msg), 0);
        assert_int_equal(req.params.logs.pid, 0);
        assert_string_equal(req.params.logs.unit, "u.scope");
        assert_int_equal(req.params.logs.lines, SCHEMA_LOGS_LINES_DEFAULT);
        request_done(&req);

        assert_int_equal(validate_line("{\"cmd\":\"AUTH\",\"token\":\"t\"}", &req, msg), 0);
        assert_string_equal(req.params.auth.token, "t");
        request_done(&req);
}

/* DESCRIBE's lists are the table: same names, wire types and required flags, and a range
 * exactly for the ints. */
static void test_describe(void **state) {
        const CommandSchema *t;
        size_t n;

        t = schema_commands(&n);
        for (size_t i = 0; i < n; i++) {
                _cleanup_(json_decrefp) json_t *args = schema_describe_args(&t[i]),
                                              *returns = schema_describe_returns(&t[i]);
                size_t k = 0;

                assert_true(json_is_array(args));
                assert_true(json_is_array(returns));
                for (const ArgSpec *a = t[i].args; a->name; a++, k++) {
                        json_t *o = json_array_get(args, k);

                        assert_string_equal(json_string_value(json_object_get(o, "name")), a->name);
                        assert_string_equal(json_string_value(json_object_get(o, "type")),
                                            schema_type_to_string(a->type));
                        assert_true(json_is_boolean(json_object_get(o, "required")));
                        assert_int_equal(json_is_true(json_object_get(o, "required")),
                                         !!(a->flags & SCHEMA_REQUIRED));
                        if (a->type == SCHEMA_TYPE_INT) {
                                assert_int_equal(json_object_size(o), 5);
                                assert_int_equal(json_integer_value(json_object_get(o, "min")), a->min);
                                assert_int_equal(json_integer_value(json_object_get(o, "max")), a->max);
                        } else
                                assert_int_equal(json_object_size(o), 3);
                }
                assert_int_equal(json_array_size(args), k);
                k = 0;
                for (const ReturnSpec *r = t[i].returns; r->name; r++, k++) {
                        json_t *o = json_array_get(returns, k);
                        assert_string_equal(json_string_value(json_object_get(o, "name")), r->name);
                }
                assert_int_equal(json_array_size(returns), k);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_usage),
                cmocka_unit_test(test_plain_is_json),
                cmocka_unit_test(test_plain_errors),
                cmocka_unit_test(test_validate_each_argument),
                cmocka_unit_test(test_typed_parameters),
                cmocka_unit_test(test_describe),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
