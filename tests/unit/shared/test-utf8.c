/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for shared/utf8.[ch]. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shared/utf8.h"

static void test_valid(void **state) {
        assert_true(utf8_is_valid("", 0));
        assert_true(utf8_is_valid("plain ascii", 11));
        assert_true(utf8_is_valid("a\0b", 3));
        assert_true(utf8_is_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
        assert_true(utf8_is_valid("\xf4\x8f\xbf\xbf", 4));              /* U+10FFFF */
        assert_false(utf8_is_valid("\xff", 1));
        assert_false(utf8_is_valid("\xc3", 1));                         /* truncated */
        assert_false(utf8_is_valid("\xe2\x82", 2));                     /* truncated */
        assert_false(utf8_is_valid("\xc0\xaf", 2));                     /* overlong '/' */
        assert_false(utf8_is_valid("\xe0\x80\xaf", 3));                 /* overlong */
        assert_false(utf8_is_valid("\xf0\x80\x80\xaf", 4));             /* overlong */
        assert_false(utf8_is_valid("\xed\xa0\x80", 3));                 /* surrogate */
        assert_false(utf8_is_valid("\xf4\x90\x80\x80", 4));             /* > U+10FFFF */
        assert_false(utf8_is_valid("\xf5\x80\x80\x80", 4));
        assert_false(utf8_is_valid("a\x80", 2));                        /* lone continuation */
        assert_int_equal(utf8_encoded_valid_len("\xe2\x82\xac", 3), 3);
        assert_int_equal(utf8_encoded_valid_len("\xe2\x82\xac", 2), 0);
        assert_int_equal(utf8_encoded_valid_len("", 0), 0);
}

static void test_sanitize(void **state) {
        char out[64];

        assert_int_equal(utf8_sanitize("abc", 3, 0, out, sizeof(out)), 3);
        assert_string_equal(out, "abc");
        assert_int_equal(utf8_sanitize("a\xff" "b", 3, 0, out, sizeof(out)), 5);
        assert_string_equal(out, "a\xef\xbf\xbd" "b");
        /* NUL: replaced, or mapped */
        assert_int_equal(utf8_sanitize("a\0b", 3, 0, out, sizeof(out)), 5);
        assert_string_equal(out, "a\xef\xbf\xbd" "b");
        assert_int_equal(utf8_sanitize("a\0b", 3, ' ', out, sizeof(out)), 3);
        assert_string_equal(out, "a b");
        /* a truncated sequence: each byte replaced on its own */
        assert_int_equal(utf8_sanitize("\xe2\x82", 2, 0, out, sizeof(out)), 6);
        /* cut at a character boundary, always terminated */
        assert_int_equal(utf8_sanitize("ab\xc3\xa9", 4, 0, out, 4), 2);
        assert_string_equal(out, "ab");
        assert_int_equal(utf8_sanitize("a\xff", 2, 0, out, 4), 1);
        assert_string_equal(out, "a");
        assert_int_equal(utf8_sanitize("abc", 3, 0, out, 1), 0);
        assert_string_equal(out, "");
        assert_int_equal(utf8_sanitize("abc", 3, 0, out, 0), 0);
        /* the worst case fits UTF8_SANITIZED_MAX */
        assert_int_equal(utf8_sanitize("\xff\xff\xff", 3, 0, out, UTF8_SANITIZED_MAX(3)), 9);
        assert_true(utf8_is_valid(out, 9));
}

static void test_width(void **state) {
        assert_int_equal(utf8_width(""), 0);
        assert_int_equal(utf8_width("abc"), 3);
        assert_int_equal(utf8_width("h\xc3\xa9llo"), 5);
        assert_int_equal(utf8_width("\xe2\x80\xa6"), 1);
        assert_int_equal(utf8_width("\xff\xfe"), 2);                    /* stray bytes count */
        assert_int_equal(utf8_prefix_for_width("h\xc3\xa9llo", 2), 3);
        assert_int_equal(utf8_prefix_for_width("h\xc3\xa9llo", 0), 0);
        assert_int_equal(utf8_prefix_for_width("abc", 10), 3);
}

static void test_ascii_replace(void **state) {
        char out[8];

        /* what LOGS sends for a message that is not UTF-8: same length, ASCII kept */
        ascii_replace_non_ascii("a\xc3\xa9\0b\xff", 6, '?', out);
        assert_memory_equal(out, "a???b?", 6);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_sanitize),
                cmocka_unit_test(test_width),
                cmocka_unit_test(test_ascii_replace),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
