/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for daemon/bus-call.[ch]: process object paths (escaping both ways) and the
 * org.procmgr.Error.* map. The method calls themselves run against the real dbus-daemon
 * in tests/integration/test-dbus.sh. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/bus-call.h"

static void test_path(void **state) {
        /* Every character START allows in a name: [A-Za-z0-9-_.@:+]. */
        static const char *const names[] = { "napper", "a-b_c.d@e:f+g", "0", "x_2d" };

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_free_ char *path = NULL, *back = NULL;

                assert_int_equal(bus_process_path(names[i], &path), 0);
                assert_true(strncmp(path, BUS_PROCESS_PREFIX "/", strlen(BUS_PROCESS_PREFIX) + 1) == 0);
                assert_true(sd_bus_object_path_is_valid(path));
                assert_int_equal(bus_process_path_decode(path, &back), 1);
                assert_string_equal(back, names[i]);
        }
}

static void test_path_plain(void **state) {
        _cleanup_free_ char *path = NULL;

        assert_int_equal(bus_process_path("napper", &path), 0);
        assert_string_equal(path, "/org/procmgr1/process/napper");
        path = mfree(path);
        assert_int_equal(bus_process_path("a-b", &path), 0);
        assert_string_equal(path, "/org/procmgr1/process/a_2db");
}

static void test_path_decode_other(void **state) {
        char *name = (char *) 1;

        /* The prefix itself, paths elsewhere, deeper paths: no process. */
        assert_int_equal(bus_process_path_decode(BUS_PROCESS_PREFIX, &name), 0);
        assert_null(name);
        assert_int_equal(bus_process_path_decode("/org/procmgr1", &name), 0);
        assert_null(name);
        assert_int_equal(bus_process_path_decode("/org/procmgr1/processx", &name), 0);
        assert_null(name);
        assert_int_equal(bus_process_path_decode("/org/procmgr1/process/a/b", &name), 0);
        assert_null(name);
}

static void test_error_map(void **state) {
        sd_bus_error e = SD_BUS_ERROR_NULL;

        assert_true(bus_error_map_register() >= 0);
        assert_int_equal(sd_bus_error_set(&e, "org.procmgr.Error.NoSuchProcess", "no process 7"), -ESRCH);
        assert_int_equal(sd_bus_error_get_errno(&e), ESRCH);
        sd_bus_error_free(&e);
        assert_int_equal(sd_bus_error_set(&e, "org.procmgr.Error.AccessDenied", "no"), -EACCES);
        sd_bus_error_free(&e);
        assert_int_equal(sd_bus_error_set(&e, "org.procmgr.Error.InvalidArgument", "bad"), -EINVAL);
        sd_bus_error_free(&e);
        assert_int_equal(sd_bus_error_set(&e, "org.procmgr.Error.Timeout", "slow"), -ETIMEDOUT);
        sd_bus_error_free(&e);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_path),
                cmocka_unit_test(test_path_plain),
                cmocka_unit_test(test_path_decode_other),
                cmocka_unit_test(test_error_map),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
