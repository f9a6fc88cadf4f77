/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for shared/time-util.[ch]. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shared/time-util.h"

static void test_timespec_load(void **state) {
        struct timespec ts = { .tv_sec = 3, .tv_nsec = 999999999 };

        assert_int_equal(timespec_load(&ts), 3999999);
        ts = (struct timespec) { .tv_sec = 0, .tv_nsec = 999 };
        assert_int_equal(timespec_load(&ts), 0);
        ts = (struct timespec) { .tv_sec = -1 };
        assert_int_equal(timespec_load(&ts), 0);
        ts = (struct timespec) { .tv_sec = INT64_MAX };
        assert_true(timespec_load(&ts) == USEC_INFINITY);
}

static void test_now(void **state) {
        usec_t a = now(CLOCK_MONOTONIC), b = now(CLOCK_MONOTONIC);
        usec_t boot = now(CLOCK_BOOTTIME), real = now(CLOCK_REALTIME);

        assert_true(a > 0);
        assert_true(b >= a);
        assert_true(boot >= a);          /* BOOTTIME also counts suspend */
        assert_true(real > 1500000000ULL * USEC_PER_SEC);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_timespec_load),
                cmocka_unit_test(test_now),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
