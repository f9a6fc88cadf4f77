/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for shared/fileio.[ch], on a temporary directory. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "shared/fileio.h"
#include "shared/macro.h"

static char dir[] = "/tmp/test-fileio-XXXXXX";
static int dir_fd = -EBADF;

static void write_file(const char *name, const char *s, size_t n) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, s, n), (ssize_t) n);
}

static int setup(void **state) {
        assert_non_null(mkdtemp(dir));
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return dir_fd < 0;
}

static int teardown(void **state) {
        (void) unlinkat(dir_fd, "small", 0);
        (void) unlinkat(dir_fd, "big", 0);
        (void) unlinkat(dir_fd, "empty", 0);
        safe_close(dir_fd);
        return rmdir(dir);
}

static void test_read_full(void **state) {
        _cleanup_free_ char *big = malloc(10000), *s = NULL;
        size_t n;

        write_file("small", "hello\n", 6);
        assert_int_equal(read_full_file_at(dir_fd, "small", 100, &s, &n), 0);
        assert_int_equal(n, 6);
        assert_string_equal(s, "hello\n");
        s = mfree(s);

        write_file("empty", "", 0);
        assert_int_equal(read_full_file_at(dir_fd, "empty", 100, &s, &n), 0);
        assert_int_equal(n, 0);
        assert_string_equal(s, "");
        s = mfree(s);

        memset(big, 'x', 10000);
        write_file("big", big, 10000);
        assert_int_equal(read_full_file_at(dir_fd, "big", 10000, &s, &n), 0);
        assert_int_equal(n, 10000);
        assert_int_equal(strlen(s), 10000);
        s = mfree(s);
        /* the bound */
        assert_int_equal(read_full_file_at(dir_fd, "big", 9999, &s, &n), -EFBIG);
        assert_null(s);
        assert_int_equal(read_full_file_at(dir_fd, "small", 5, &s, &n), -EFBIG);
        assert_int_equal(read_full_file_at(dir_fd, "nope", 100, &s, &n), -ENOENT);
}

static void test_read_virtual(void **state) {
        char buf[4];
        size_t n;

        write_file("small", "hello\n", 6);
        assert_int_equal(read_virtual_file_at(dir_fd, "small", buf, sizeof(buf), &n), 0);
        assert_int_equal(n, 4);
        assert_memory_equal(buf, "hell", 4);
        assert_int_equal(read_virtual_file_at(dir_fd, "nope", buf, sizeof(buf), &n), -ENOENT);
}

static void test_pread_full(void **state) {
        _cleanup_free_ char *big = malloc(10000);
        _cleanup_close_ int fd = -EBADF;
        size_t size = 16, n;
        char *buf = malloc(size);

        assert_non_null(buf);
        memset(big, 'y', 10000);
        write_file("big", big, 10000);
        fd = openat(dir_fd, "big", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(pread_full(fd, &buf, &size, 1 << 20, &n), 0);
        assert_int_equal(n, 10000);
        assert_true(size > 10000);
        assert_int_equal(strlen(buf), 10000);
        /* again, from offset 0, without growing */
        assert_int_equal(pread_full(fd, &buf, &size, 1 << 20, &n), 0);
        assert_int_equal(n, 10000);
        free(buf);

        size = 16;
        buf = malloc(size);
        assert_int_equal(pread_full(fd, &buf, &size, 4096, &n), -EFBIG);
        free(buf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_full),
                cmocka_unit_test(test_read_virtual),
                cmocka_unit_test(test_pread_full),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
