/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* procctl's column output and value formatters (src/client/table.c). */

#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "client/table.h"

/* Prints t at width into a string the caller frees. */
static char *render(const Table *t, size_t width) {
        char *s = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&s, &n);

        assert_non_null(f);
        assert_int_equal(table_print(t, f, width), 0);
        assert_int_equal(fclose(f), 0);
        return s;
}

static Table *sample(void) {
        Table *t = table_new("PID", "USER", "CPU%", "COMMAND", NULL);

        assert_non_null(t);
        assert_int_equal(table_set_align(t, 0, TABLE_ALIGN_RIGHT), 0);
        assert_int_equal(table_set_align(t, 2, TABLE_ALIGN_RIGHT), 0);
        assert_int_equal(table_set_ellipsize_column(t, 3), 0);

        assert_int_equal(table_add_cellf(t, "%d", 1), 0);
        assert_int_equal(table_add_cell(t, "root"), 0);
        assert_int_equal(table_add_cell(t, "0.0"), 0);
        assert_int_equal(table_add_cell(t, "/sbin/init splash"), 0);

        assert_int_equal(table_add_cellf(t, "%d", 12345), 0);
        assert_int_equal(table_add_cell(t, "nobody"), 0);
        assert_int_equal(table_add_cell(t, "12.5"), 0);
        assert_int_equal(table_add_cell(t, "sleep 30"), 0);
        return t;
}

static void test_columns_sized_to_content(void **state) {
        Table *t = sample();
        char *s = render(t, 0);

        assert_string_equal(s,
                            "  PID USER   CPU% COMMAND\n"
                            "    1 root    0.0 /sbin/init splash\n"
                            "12345 nobody 12.5 sleep 30\n");
        assert_int_equal(table_get_rows(t), 2);
        assert_int_equal(table_get_columns(t), 4);
        free(s);
        table_free(t);
}

static void test_ellipsize_to_width(void **state) {
        Table *t = sample();
        char *s;

        /* Widths 5+1+6+1+4+1 = 18 before COMMAND; 28 leaves 10 for it. */
        s = render(t, 28);
        assert_string_equal(s,
                            "  PID USER   CPU% COMMAND\n"
                            "    1 root    0.0 /sbin/i...\n"
                            "12345 nobody 12.5 sleep 30\n");
        free(s);

        /* Never below the header's width, even when the terminal is narrower. */
        s = render(t, 10);
        assert_string_equal(s,
                            "  PID USER   CPU% COMMAND\n"
                            "    1 root    0.0 /sbi...\n"
                            "12345 nobody 12.5 slee...\n");
        free(s);

        /* Wide enough: nothing changes. */
        s = render(t, 200);
        assert_non_null(strstr(s, "/sbin/init splash\n"));
        free(s);
        table_free(t);
}

static void test_control_characters_and_missing(void **state) {
        Table *t = table_new("NAME", "VALUE", NULL);
        char *s;

        assert_non_null(t);
        assert_int_equal(table_add_cell(t, "evil\033[31m\n"), 0);
        assert_int_equal(table_add_cell(t, NULL), 0);
        /* A partly filled last row is padded with empty cells. */
        assert_int_equal(table_add_cell(t, "x"), 0);
        s = render(t, 0);
        assert_string_equal(s,
                            "NAME       VALUE\n"
                            "evil?[31m? -\n"
                            "x          \n");
        free(s);

        table_set_header(t, false);
        s = render(t, 0);
        assert_string_equal(s,
                            "evil?[31m? -\n"
                            "x          \n");
        free(s);
        table_free(t);
}

static void test_format_bytes(void **state) {
        char buf[FORMAT_BYTES_MAX];

        assert_string_equal(format_bytes(buf, sizeof(buf), 0), "0B");
        assert_string_equal(format_bytes(buf, sizeof(buf), 1023), "1023B");
        assert_string_equal(format_bytes(buf, sizeof(buf), 1024), "1.0K");
        assert_string_equal(format_bytes(buf, sizeof(buf), 12897484), "12.3M");
        assert_string_equal(format_bytes(buf, sizeof(buf), 1048575), "1.0M");
        assert_string_equal(format_bytes(buf, sizeof(buf), 25769803776ULL), "24.0G");
        assert_string_equal(format_bytes(buf, sizeof(buf), UINT64_MAX), "16.0E");
}

static void test_format_timespan(void **state) {
        char buf[FORMAT_TIMESPAN_MAX];

        assert_string_equal(format_timespan_sec(buf, sizeof(buf), 0), "0s");
        assert_string_equal(format_timespan_sec(buf, sizeof(buf), 59), "59s");
        assert_string_equal(format_timespan_sec(buf, sizeof(buf), 91), "1min 31s");
        assert_string_equal(format_timespan_sec(buf, sizeof(buf), 3600), "1h");
        /* At most three units. */
        assert_string_equal(format_timespan_sec(buf, sizeof(buf), 273845), "3d 4h 4min");
}

static void test_format_timestamp(void **state) {
        char buf[FORMAT_TIMESTAMP_MAX];

        setenv("TZ", "UTC", 1);
        tzset();
        assert_string_equal(format_timestamp_usec(buf, sizeof(buf), 1700000000123456ULL), "2023-11-14 22:13:20");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_columns_sized_to_content),
                cmocka_unit_test(test_ellipsize_to_width),
                cmocka_unit_test(test_control_characters_and_missing),
                cmocka_unit_test(test_format_bytes),
                cmocka_unit_test(test_format_timespan),
                cmocka_unit_test(test_format_timestamp),
        };

        /* The ellipsis is "..." outside UTF-8 locales; pin the locale for stable output. */
        (void) setlocale(LC_ALL, "C");
        return cmocka_run_group_tests(tests, NULL, NULL);
}
