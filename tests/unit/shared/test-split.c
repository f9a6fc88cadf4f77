/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for split.c (command strings → argv, no shell) and parse-util.c. */

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shared/parse-util.h"
#include "shared/split.h"
#include "shared/strv.h"

static void check_split(const char *s, const char *const *want, size_t n) {
        _cleanup_strv_free_ char **l = NULL;
        int r = split_command(s, 100, &l);

        if (r != (int) n)
                fail_msg("'%s': got %d words, want %zu", s, r, n);
        for (size_t i = 0; i < n; i++)
                assert_string_equal(l[i], want[i]);
        assert_null(l[n]);
}

#define CHECK(s, ...)                                                                  \
        do {                                                                           \
                const char *const w_[] = { __VA_ARGS__ };                              \
                check_split(s, w_, sizeof(w_) / sizeof(w_[0]));                        \
        } while (0)

static void test_split(void **state) {
        _cleanup_strv_free_ char **l = NULL;

        CHECK("sleep 30", "sleep", "30");
        CHECK("  a\t b  ", "a", "b");
        CHECK("sh -c 'echo $HOME; ls *'", "sh", "-c", "echo $HOME; ls *");
        CHECK("echo \"a \\\"b\\\" c\"", "echo", "a \"b\" c");
        CHECK("a'b c'd", "ab cd");
        CHECK("''", "");
        CHECK("a\\ b", "a b");
        CHECK("x \"\\n\"", "x", "\\n");
        CHECK("a;b|c&&d", "a;b|c&&d");
        assert_int_equal(split_command("", 10, &l), 0);
        assert_null(l[0]);
        l = strv_free(l);
        assert_int_equal(split_command("   ", 10, &l), 0);
        l = strv_free(l);
        assert_int_equal(split_command("'open", 10, &l), -EINVAL);
        assert_int_equal(split_command("\"open", 10, &l), -EINVAL);
        assert_int_equal(split_command("trailing\\", 10, &l), -EINVAL);
        assert_int_equal(split_command("a b c", 2, &l), -E2BIG);
}

static void test_parse(void **state) {
        uint64_t u;
        unsigned x;
        int i;
        pid_t pid;

        assert_int_equal(parse_size("64M", &u), 0);
        assert_int_equal(u, 64ULL << 20);
        assert_int_equal(parse_size("1G", &u), 0);
        assert_int_equal(u, 1ULL << 30);
        assert_int_equal(parse_size("512k", &u), 0);
        assert_int_equal(u, 512ULL << 10);
        assert_int_equal(parse_size("64MiB", &u), 0);
        assert_int_equal(u, 64ULL << 20);
        assert_int_equal(parse_size("1000", &u), 0);
        assert_int_equal(u, 1000);
        assert_int_equal(parse_size("", &u), -EINVAL);
        assert_int_equal(parse_size("M", &u), -EINVAL);
        assert_int_equal(parse_size("-1", &u), -EINVAL);
        assert_int_equal(parse_size("99999999999T", &u), -ERANGE);

        assert_int_equal(safe_atou("42", &x), 0);
        assert_int_equal(x, 42);
        assert_int_equal(safe_atou("42x", &x), -EINVAL);
        assert_int_equal(safe_atou(" 42", &x), -EINVAL);
        assert_int_equal(safe_atou("-1", &x), -EINVAL);
        assert_int_equal(safe_atou("99999999999", &x), -ERANGE);
        assert_int_equal(safe_atoi("-5", &i), 0);
        assert_int_equal(i, -5);
        assert_int_equal(parse_pid("0", &pid), -ERANGE);
        assert_int_equal(parse_pid("123", &pid), 0);
        assert_int_equal(pid, 123);

        assert_int_equal(signal_from_string("TERM"), SIGTERM);
        assert_int_equal(signal_from_string("SIGKILL"), SIGKILL);
        assert_int_equal(signal_from_string("sighup"), SIGHUP);
        assert_int_equal(signal_from_string("9"), 9);
        assert_int_equal(signal_from_string("0"), -ERANGE);
        assert_int_equal(signal_from_string("999"), -ERANGE);
        assert_int_equal(signal_from_string("NOPE"), -EINVAL);
        assert_string_equal(signal_to_string(SIGTERM), "TERM");
        assert_null(signal_to_string(0));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_split),
                cmocka_unit_test(test_parse),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
