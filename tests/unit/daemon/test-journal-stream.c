/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for journal-stream.c: the stream header writer refuses control characters in
 * its fields (a newline in the identifier would forge the priority and forwarding lines),
 * whoever calls it; it checks before it connects, so no journald is needed. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "helper/journal-stream.h"

static void test_identifier_control_characters(void **state) {
        static const char *const bad[] = {
                "procmgrd\nx\n1\n0\n0\n0\n0", "a\n", "\n", "a\rb", "a\tb", "a\033[1mb", "a\x7f",
                "\x01",
        };
        (void) state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(journal_stream_fd(bad[i], NULL, getpid(), LOG_INFO), -EINVAL);
}

static void test_unit_prefix_control_characters(void **state) {
        (void) state;

        assert_int_equal(journal_stream_fd("ok", "procmgr-\n", getpid(), LOG_INFO), -EINVAL);
        assert_int_equal(journal_stream_fd("ok", "a\rb-", getpid(), LOG_INFO), -EINVAL);
}

/* A clean header is not refused: it connects, or fails for want of a journald. */
static void test_clean_fields_accepted(void **state) {
        static const char *const good[] = { "sleep", "my-app_1.2@x:y+z", "", "caf\xc3\xa9" };
        (void) state;

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                int fd = journal_stream_fd(good[i], "procmgr-", getpid(), LOG_INFO);
                assert_int_not_equal(fd, -EINVAL);
                if (fd >= 0)
                        close(fd);
        }
        int fd = journal_stream_fd(NULL, NULL, getpid(), LOG_INFO);
        assert_int_not_equal(fd, -EINVAL);
        if (fd >= 0)
                close(fd);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_identifier_control_characters),
                cmocka_unit_test(test_unit_prefix_control_characters),
                cmocka_unit_test(test_clean_fields_accepted),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
