/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* procctl's verb table and dispatch_verb() (src/client/procctl.c): command lines run
 * through procctl_run() in process. Every case here is settled before a connection: a
 * count the table allows goes on to connect to a socket that does not exist, which shows
 * as "cannot connect" instead of a usage error. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/procctl.h"

#define NO_SOCKET "/nonexistent/procctl-unit-test.sock"

/* Runs "procctl -U NO_SOCKET ARGS..." (NULL-terminated) with stdout and stderr captured;
 * returns the exit status, stderr in *ret_err (caller frees). */
static int run(char **ret_err, ...) {
        char *argv[32] = { strdup("procctl"), strdup("-U"), strdup(NO_SOCKET) };
        int argc = 3, saved_out, saved_err, r;
        FILE *out = tmpfile(), *err = tmpfile();
        const char *a;
        va_list ap;
        long size;

        assert_non_null(out);
        assert_non_null(err);
        va_start(ap, ret_err);
        while ((a = va_arg(ap, const char *))) {
                assert_true(argc < (int) ELEMENTSOF(argv) - 1);
                argv[argc++] = strdup(a);
        }
        va_end(ap);

        fflush(stdout);
        fflush(stderr);
        saved_out = dup(STDOUT_FILENO);
        saved_err = dup(STDERR_FILENO);
        assert_true(saved_out >= 0 && saved_err >= 0);
        assert_true(dup2(fileno(out), STDOUT_FILENO) >= 0 && dup2(fileno(err), STDERR_FILENO) >= 0);

        r = procctl_run(argc, argv);

        fflush(stdout);
        fflush(stderr);
        assert_true(dup2(saved_out, STDOUT_FILENO) >= 0 && dup2(saved_err, STDERR_FILENO) >= 0);
        close(saved_out);
        close(saved_err);

        size = ftell(err);
        assert_true(size >= 0);
        *ret_err = calloc(1, (size_t) size + 1);
        assert_non_null(*ret_err);
        rewind(err);
        assert_int_equal(fread(*ret_err, 1, (size_t) size, err), (size_t) size);
        fclose(out);
        fclose(err);
        for (int i = 0; i < argc; i++)
                free(argv[i]);
        return r;
}

/* The command line is a usage error (exit 2) whose first line is "procctl: MESSAGE". */
#define assert_usage_error(message, ...)                                                \
        do {                                                                            \
                char *_e = NULL;                                                        \
                assert_int_equal(run(&_e, __VA_ARGS__, NULL), 2);                       \
                assert_string_equal(strtok(_e, "\n"), "procctl: " message);             \
                free(_e);                                                               \
        } while (0)

/* The command line passed dispatch_verb() and went on to connect. */
#define assert_reaches_connect(...)                                                     \
        do {                                                                            \
                char *_e = NULL;                                                        \
                assert_int_equal(run(&_e, __VA_ARGS__, NULL), 2);                       \
                assert_non_null(strstr(_e, "procctl: cannot connect to unix:" NO_SOCKET)); \
                free(_e);                                                               \
        } while (0)

static void test_no_arguments(void **state) {
        (void) state;
        assert_usage_error("'ping' takes no arguments (got 'x')", "ping", "x");
        assert_usage_error("'info' takes no arguments (got 'a')", "info", "a", "b");
        assert_usage_error("'describe' takes no arguments (got 'x')", "describe", "x");
        assert_usage_error("'list' takes no arguments (got 'x')", "list", "--managed", "x");
        assert_reaches_connect("ping");
        assert_reaches_connect("list", "--limit", "3", "--json");
}

static void test_exactly_one_pid(void **state) {
        (void) state;
        assert_usage_error("'status' needs exactly one PID", "status");
        assert_usage_error("'status' needs exactly one PID", "status", "1", "2");
        /* Options are not arguments. */
        assert_usage_error("'stop' needs exactly one PID", "stop", "--signal", "KILL");
        assert_usage_error("'stop' needs exactly one PID", "stop", "1", "--timeout-ms", "5");
        assert_usage_error("stop: invalid PID 'x'", "stop", "x");
        assert_usage_error("status: invalid PID '0'", "status", "0");
        assert_reaches_connect("status", "1");
        assert_reaches_connect("stop", "-s", "KILL", "--timeout-ms", "5", "1");
}

static void test_pid_or_unit(void **state) {
        (void) state;
        assert_usage_error("'logs' needs a PID or --unit UNIT", "logs");
        assert_usage_error("'logs' needs a PID or --unit UNIT", "logs", "1", "2");
        assert_usage_error("'logs' takes either a PID or --unit, not both", "logs", "--unit", "u.scope", "1");
        assert_reaches_connect("logs", "-n", "5", "1");
        assert_reaches_connect("logs", "--unit", "u.scope");
}

static void test_at_least_one(void **state) {
        (void) state;
        assert_usage_error("'start' needs a command: procctl start [OPTIONS] -- PROGRAM [ARGS...]", "start");
        assert_usage_error("'start' needs a command: procctl start [OPTIONS] -- PROGRAM [ARGS...]",
                           "start", "--name", "n", "--");
        assert_reaches_connect("start", "--", "sleep", "1");
        assert_reaches_connect("start", "--env", "A=1", "--", "sh", "-c", "true", "x", "y", "z");
}

static void test_unknown_and_local(void **state) {
        char *e = NULL;

        (void) state;
        assert_usage_error("unknown command 'frobnicate'", "frobnicate");
        assert_usage_error("unrecognized option '--bogus'", "status", "--bogus", "1");
        assert_usage_error("option '--signal' requires an argument", "stop", "--signal");
        /* help takes any number of arguments and needs no daemon. */
        assert_int_equal(run(&e, "help", "a", "b", NULL), 0);
        assert_string_equal(e, "");
        free(e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_arguments),
                cmocka_unit_test(test_exactly_one_pid),
                cmocka_unit_test(test_pid_or_unit),
                cmocka_unit_test(test_at_least_one),
                cmocka_unit_test(test_unknown_and_local),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
