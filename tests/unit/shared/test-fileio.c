/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for shared/fileio.[ch], on a temporary directory. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
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

static void test_open_state_file(void **state) {
        char sub[sizeof(dir) + 16], path[sizeof(dir) + 32];
        struct stat st;
        mode_t old_umask = umask(0);
        int fd = -EBADF, fd2 = -EBADF;

        /* The directory is made when missing, the file created once with the mode asked. */
        snprintf(sub, sizeof(sub), "%s/state", dir);
        assert_int_equal(open_state_file(sub, "seq", O_RDWR | O_CREAT, 0640, true, &fd), 0);
        assert_true(fd >= 0);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(write(fd, "42\n", 3), 3);
        fd = safe_close(fd);

        /* Opened again: the same file, content kept, mode not changed by another mode. */
        assert_int_equal(open_state_file(sub, "seq", O_RDWR | O_CREAT, 0600, false, &fd2), 0);
        assert_int_equal(fstat(fd2, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(st.st_size, 3);
        fd2 = safe_close(fd2);

        /* A symlink planted in place of the file is refused, not followed. */
        snprintf(path, sizeof(path), "%s/link", sub);
        assert_int_equal(symlink("seq", path), 0);
        fd = -EBADF;
        assert_int_equal(open_state_file(sub, "link", O_RDWR | O_CREAT, 0600, false, &fd), -ELOOP);
        assert_int_equal(fd, -EBADF);
        assert_int_equal(unlink(path), 0);

        /* Names with a slash or dot-names are not file names in dir. */
        assert_int_equal(open_state_file(sub, "../seq", O_RDONLY, 0, false, &fd), -EINVAL);
        assert_int_equal(open_state_file(sub, "..", O_RDONLY, 0, false, &fd), -EINVAL);
        assert_int_equal(open_state_file(sub, "", O_RDONLY, 0, false, &fd), -EINVAL);

        /* Without O_CREAT a missing file is an error, and nothing is created. */
        assert_int_equal(open_state_file(sub, "absent", O_RDWR, 0600, false, &fd), -ENOENT);

        snprintf(path, sizeof(path), "%s/seq", sub);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(sub), 0);
        umask(old_umask);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_full),
                cmocka_unit_test(test_read_virtual),
                cmocka_unit_test(test_pread_full),
                cmocka_unit_test(test_open_state_file),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
