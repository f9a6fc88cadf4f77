/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for shared/fd-util.[ch]. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/fd-util.h"
#include "shared/macro.h"

static void test_nonblock(void **state) {
        int p[2];

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK);
        assert_int_equal(fd_set_nonblock(p[0], true), 0);
        assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK);
        assert_int_equal(fd_set_nonblock(p[0], false), 0);
        assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK);
        assert_int_equal(fd_set_nonblock(-1, true), -EBADF);
        safe_close(p[0]);
        safe_close(p[1]);
}

static void test_is_procfs(void **state) {
        _cleanup_close_ int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        assert_true(proc >= 0);
        assert_true(fd_is_procfs(proc));
        assert_false(fd_is_procfs(tmp));
        assert_false(fd_is_procfs(-1));
}

/* In a child: keep one fd, everything else >= 3 is closed. */
static void test_close_all_except(void **state) {
        int keep, a, b, status;
        pid_t pid;

        a = open("/dev/null", O_RDONLY | O_CLOEXEC);
        keep = open("/dev/null", O_RDONLY | O_CLOEXEC);
        b = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(a >= 3 && keep > a && b > keep);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                (void) close_all_fds_except(&keep, 1);
                _exit(fcntl(a, F_GETFD) < 0 && fcntl(b, F_GETFD) < 0 && fcntl(keep, F_GETFD) >= 0 &&
                      fcntl(2, F_GETFD) >= 0 ? 0 : 1);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        safe_close(a);
        safe_close(b);
        safe_close(keep);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nonblock),
                cmocka_unit_test(test_is_procfs),
                cmocka_unit_test(test_close_all_except),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
