/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for the uid → name cache of shared/user-util.[ch]. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shared/macro.h"
#include "shared/user-util.h"

static void test_uid_to_name(void **state) {
        _cleanup_free_ char *root = uid_to_name(0), *none = uid_to_name(4000007);

        assert_string_equal(root, "root");
        assert_string_equal(none, "4000007");   /* no entry: the number */
}

static void test_cache(void **state) {
        UidNameCache c = {};
        const char *a, *b;

        assert_string_equal(uid_name_cache_get(&c, 0), "root");
        a = uid_name_cache_get(&c, 4000001);
        assert_string_equal(a, "4000001");
        /* grow the table well past its first size; entries keep their storage */
        for (uid_t u = 4100000; u < 4100100; u++)
                assert_non_null(uid_name_cache_get(&c, u));
        b = uid_name_cache_get(&c, 4000001);
        assert_ptr_equal(a, b);
        assert_int_equal(c.n, 102);
        assert_true(c.n_alloc >= 2 * c.n);
        assert_string_equal(uid_name_cache_get(&c, 4100042), "4100042");
        uid_name_cache_done(&c);
        assert_int_equal(c.n, 0);
        assert_null(c.slots);
        uid_name_cache_done(&c); /* idempotent */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_uid_to_name),
                cmocka_unit_test(test_cache),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
