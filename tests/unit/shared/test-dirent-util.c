/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for shared/dirent-util.[ch]. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/dirent-util.h"
#include "shared/macro.h"

static pid_t name_to_pid(const char *name, unsigned char type) {
        union {
                struct dirent64 d;
                char buf[sizeof(struct dirent64) + 64];
        } u = {};

        u.d.d_type = type;
        snprintf(u.d.d_name, 64, "%s", name);
        return dirent_to_pid(&u.d);
}

static void test_to_pid(void **state) {
        assert_int_equal(name_to_pid("1", DT_DIR), 1);
        assert_int_equal(name_to_pid("4242", DT_UNKNOWN), 4242);
        assert_int_equal(name_to_pid("2147483647", DT_DIR), 2147483647);
        assert_int_equal(name_to_pid("2147483648", DT_DIR), 0);
        assert_int_equal(name_to_pid("99999999999999999999999", DT_DIR), 0);
        assert_int_equal(name_to_pid("0", DT_DIR), 0);
        assert_int_equal(name_to_pid("012", DT_DIR), 0);
        assert_int_equal(name_to_pid("12a", DT_DIR), 0);
        assert_int_equal(name_to_pid("self", DT_LNK), 0);
        assert_int_equal(name_to_pid("12", DT_REG), 0);
        assert_int_equal(name_to_pid("", DT_DIR), 0);
}

/* A walk over a directory of 300 entries in small chunks sees each one once. */
static void test_walk(void **state) {
        char dir[] = "/tmp/test-dirent-XXXXXX", name[16];
        _cleanup_close_ int fd = -EBADF;
        char buf[1024];
        unsigned seen[301] = {}, n = 0, others = 0;
        ssize_t k;

        assert_non_null(mkdtemp(dir));
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        for (int i = 1; i <= 300; i++) {
                snprintf(name, sizeof(name), "%d", i);
                assert_int_equal(mkdirat(fd, name, 0700), 0);
        }
        assert_int_equal(mkdirat(fd, "status", 0700), 0);

        while ((k = getdents_chunk(fd, buf, sizeof(buf))) > 0)
                FOREACH_DIRENT_IN_BUFFER(d, buf, k) {
                        pid_t pid = dirent_to_pid(d);

                        if (pid > 0 && pid <= 300) {
                                seen[pid]++;
                                n++;
                        } else
                                others++;
                }
        assert_int_equal(k, 0);
        assert_int_equal(n, 300);
        assert_int_equal(others, 3); /* ., .., status */
        for (int i = 1; i <= 300; i++) {
                assert_int_equal(seen[i], 1);
                snprintf(name, sizeof(name), "%d", i);
                (void) unlinkat(fd, name, AT_REMOVEDIR);
        }
        (void) unlinkat(fd, "status", AT_REMOVEDIR);
        assert_int_equal(rmdir(dir), 0);
        assert_int_equal(getdents_chunk(-1, buf, sizeof(buf)), -EBADF);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_to_pid),
                cmocka_unit_test(test_walk),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
