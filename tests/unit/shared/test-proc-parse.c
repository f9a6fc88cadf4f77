/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for shared/proc-parse.c: the pure stat/status/cmdline parsers with
 * odd comms, old kernels and invalid lines, and the uptime and btime parsers.
 * (tests/fuzz/fuzz-proc-parse.c feeds them anything.)
 */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "shared/proc-parse.h"

/* ---------------------------------------------------------------------------
 * proc_parse_stat */

#define STAT_TAIL " 1 0 0 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 4 0 777 10000000 33 18446744073709551615 " \
                  "1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 1000 2000 2000 2050 0\n"

static int parse(const char *s, ProcStat *st) {
        return proc_parse_stat(s, strlen(s), st);
}

static void test_parse_stat_plain(void **state) {
        ProcStat st;

        assert_int_equal(parse("1234 (bash) S" STAT_TAIL, &st), 0);
        assert_int_equal(st.pid, 1234);
        assert_string_equal(st.comm, "bash");
        assert_int_equal(st.state, 'S');
        assert_int_equal(st.ppid, 1);
        assert_int_equal(st.utime, 250);
        assert_int_equal(st.stime, 150);
        assert_int_equal(st.num_threads, 4);
        assert_int_equal(st.start_ticks, 777);
        assert_int_equal(st.rss_pages, 33);
        assert_int_equal(st.arg_start, 1000);
        assert_int_equal(st.arg_end, 2000);
}

static void test_parse_stat_odd_comms(void **state) {
        static const struct {
                const char *line;
                const char *comm;
        } cases[] = {
                { "5 (a b c) R" STAT_TAIL,          "a b c"          },
                { "5 (x) y) R" STAT_TAIL,           "x) y"           },
                { "5 ()) R" STAT_TAIL,              ")"              },
                { "5 ((() R" STAT_TAIL,             "(("             },
                { "5 (new\nline) R" STAT_TAIL,      "new\nline"      },
                { "5 () R" STAT_TAIL,               ""               },
                { "5 () S 9 9 () R" STAT_TAIL,      ") S 9 9 ("      },
                { "5 (\xff\xfe) R" STAT_TAIL,       "\xff\xfe"       },
        };
        ProcStat st;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                assert_int_equal(parse(cases[i].line, &st), 0);
                assert_int_equal(st.pid, 5);
                assert_string_equal(st.comm, cases[i].comm);
                assert_int_equal(st.state, 'R');
                assert_int_equal(st.ppid, 1);
                assert_int_equal(st.start_ticks, 777);
        }
}

static void test_parse_stat_long_comm(void **state) {
        char line[512], comm[101];
        ProcStat st;

        memset(comm, 'k', 100);
        comm[100] = '\0';
        snprintf(line, sizeof(line), "9 (%s) I" STAT_TAIL, comm);
        assert_int_equal(parse(line, &st), 0);
        assert_int_equal(strlen(st.comm), sizeof(st.comm) - 1);
        assert_int_equal(st.state, 'I');
        assert_int_equal(st.rss_pages, 33);
}

static void test_parse_stat_no_nul_terminator(void **state) {
        char buf[] = "77 (cat) R" STAT_TAIL "garbage (x) beyond";
        size_t len = strlen("77 (cat) R" STAT_TAIL);
        ProcStat st;

        /* only len bytes count: the ')' in the garbage must not be seen */
        assert_int_equal(proc_parse_stat(buf, len, &st), 0);
        assert_string_equal(st.comm, "cat");
        assert_int_equal(st.arg_end, 2000);
}

static void test_parse_stat_old_kernel(void **state) {
        /* Linux < 3.5: 44 fields, no arg_start/arg_end */
        const char *s = "3 (init) S 0 3 3 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 5 100 7 "
                        "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
        ProcStat st;

        assert_int_equal(parse(s, &st), 0);
        assert_int_equal(st.rss_pages, 7);
        assert_int_equal(st.arg_start, 0);
        assert_int_equal(st.arg_end, 0);
}

static void test_parse_stat_invalid(void **state) {
        static const char *const bad[] = {
                "",
                "1234",
                "1234 bash S 1",
                "1234 (bash S" STAT_TAIL,
                "0 (zero) S" STAT_TAIL,
                "-1 (neg) S" STAT_TAIL,
                "x (bash) S" STAT_TAIL,
                "1234 (bash)",
                "1234 (bash) S",
                "1234 (bash) S 1 0 0 0",                        /* truncated before rss */
                "1234 (bash) S x 0 0 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 4 0 777 10000000 33\n",
                "1234 (bash) S 1 0 0 0 -1 4194560 100 0 0 0 25a 150 0 0 20 0 4 0 777 10000000 33\n",
                "99999999999 (big) S" STAT_TAIL,
        };
        ProcStat st;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(parse(bad[i], &st), -EINVAL);
}

/* ---------------------------------------------------------------------------
 * status, cmdline, UTF-8 */

static void test_parse_status_uid(void **state) {
        const char *s = "Name:\tx\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t5\t5\t5\t5\n";
        uid_t uid = 42;

        assert_int_equal(proc_parse_status_uid(s, strlen(s), &uid), 0);
        assert_int_equal(uid, 1000);                    /* real, not effective */
        assert_int_equal(proc_parse_status_uid("Name:\tUid:\t3\n", 13, &uid), -ENODATA);
        assert_int_equal(proc_parse_status_uid("Uid:\tabc\n", 9, &uid), -EINVAL);
        assert_int_equal(proc_parse_status_uid("Uid:\t99999999999\t0\n", 19, &uid), -ERANGE);
        assert_int_equal(proc_parse_status_uid("", 0, &uid), -ENODATA);
        assert_int_equal(uid, 1000);                    /* untouched on failure */
}

static void test_cmdline_normalize(void **state) {
        char out[64];

        assert_int_equal(proc_cmdline_normalize("a\0b\0c\0", 6, out, sizeof(out)), 5);
        assert_string_equal(out, "a b c");
        assert_int_equal(proc_cmdline_normalize("x\0\0\0\0", 5, out, sizeof(out)), 1);
        assert_string_equal(out, "x");
        assert_int_equal(proc_cmdline_normalize("", 0, out, sizeof(out)), 0);
        assert_string_equal(out, "");
        assert_int_equal(proc_cmdline_normalize("\0\0", 2, out, sizeof(out)), 0);
        /* setproctitle() style: no NULs at all */
        proc_cmdline_normalize("sshd: user [priv]", 17, out, sizeof(out));
        assert_string_equal(out, "sshd: user [priv]");
        /* invalid bytes become U+FFFD, valid multibyte survives */
        proc_cmdline_normalize("\xff\0caf\xc3\xa9\0", 8, out, sizeof(out));
        assert_string_equal(out, "\xef\xbf\xbd caf\xc3\xa9");
        /* a sequence cut by a NUL is invalid, the NUL still separates */
        proc_cmdline_normalize("\xc3\0x", 3, out, sizeof(out));
        assert_string_equal(out, "\xef\xbf\xbd x");
        /* truncation never splits a character */
        assert_int_equal(proc_cmdline_normalize("ab\xc3\xa9", 4, out, 4), 2);
        assert_string_equal(out, "ab");
        assert_int_equal(proc_cmdline_normalize("a\xff", 2, out, 4), 1);
        assert_string_equal(out, "a");
}

static void test_parse_uptime_btime(void **state) {
        usec_t u;
        uint64_t b;

        assert_int_equal(proc_parse_uptime("12345.67 2345.10\n", &u), 0);
        assert_true(u == 12345670000ULL);
        assert_int_equal(proc_parse_uptime("7\n", &u), 0);
        assert_true(u == 7 * USEC_PER_SEC);
        assert_int_equal(proc_parse_uptime("0.1234567", &u), 0);
        assert_true(u == 123456);
        assert_int_equal(proc_parse_uptime("x", &u), -EINVAL);

        assert_int_equal(proc_parse_btime("btime 1700000000\n", &b), 0);
        assert_true(b == 1700000000);
        assert_int_equal(proc_parse_btime("cpu 1 2 3\nintr 5\nbtime 42\nprocesses 9\n", &b), 0);
        assert_true(b == 42);
        assert_int_equal(proc_parse_btime("cpu 1 2 3\nxbtime 42\n", &b), -ENODATA);
        assert_int_equal(proc_parse_btime("btime x\n", &b), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_uptime_btime),
                cmocka_unit_test(test_parse_stat_plain),
                cmocka_unit_test(test_parse_stat_odd_comms),
                cmocka_unit_test(test_parse_stat_long_comm),
                cmocka_unit_test(test_parse_stat_no_nul_terminator),
                cmocka_unit_test(test_parse_stat_old_kernel),
                cmocka_unit_test(test_parse_stat_invalid),
                cmocka_unit_test(test_parse_status_uid),
                cmocka_unit_test(test_cmdline_normalize),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
