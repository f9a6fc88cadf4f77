/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for shared/string-util.[ch]. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shared/macro.h"
#include "shared/string-util.h"

static void test_classes(void **state) {
        assert_true(is_blank(' '));
        assert_true(is_blank('\t'));
        assert_false(is_blank('\n'));
        assert_false(is_blank('\r'));
        assert_false(is_blank('x'));
        assert_false(is_blank('\0'));
        for (const char *p = " \t\n\v\f\r"; *p; p++)
                assert_true(is_whitespace(*p));
        assert_false(is_whitespace('x'));
        assert_false(is_whitespace('\0'));
        assert_false(is_whitespace('\x1b'));
}

static void test_strstrip(void **state) {
        char a[] = "  \t hello world \r\n", b[] = "", c[] = " \v\f ", d[] = "x";

        assert_string_equal(strstrip(a), "hello world");
        assert_string_equal(strstrip(b), "");
        assert_string_equal(strstrip(c), "");
        assert_string_equal(strstrip(d), "x");
}

static void test_replace_control(void **state) {
        char s[] = "a\x1b[2Jb\x7f\tc\xc3\xa9";

        assert_string_equal(string_replace_control(s, '?'), "a?[2Jb??c\xc3\xa9");
        assert_string_equal(strna(NULL), "n/a");
        assert_string_equal(yes_no(2), "yes");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_classes),
                cmocka_unit_test(test_strstrip),
                cmocka_unit_test(test_replace_control),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
