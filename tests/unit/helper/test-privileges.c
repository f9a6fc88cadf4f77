/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * privileges_openat_dac_override() (helper/privileges.c), the one place the spawn
 * helper uses CAP_DAC_OVERRIDE (a v1 cgroup.event_control, root's and mode 0200):
 * it opens what the plain openat() is refused, and puts the capability state back
 * as it was, whether the open worked or not; without the capability permitted it is
 * the plain openat(). Needs root with CAP_DAC_OVERRIDE permitted (skipped otherwise):
 * the file used belongs to another user.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper/privileges.h"
#include "shared/macro.h"

#define OTHER_UID 65534

static char dir[] = "/tmp/test-privileges.XXXXXX";
static int dfd = -EBADF;

static bool have_dac_override(cap_flag_t set) {
        cap_t c = cap_get_proc();
        cap_flag_value_t v = CAP_CLEAR;

        if (c) {
                (void) cap_get_flag(c, CAP_DAC_OVERRIDE, set, &v);
                cap_free(c);
        }
        return v == CAP_SET;
}

/* CAP_DAC_OVERRIDE (and CAP_FOWNER, which would let root open it as well) out of the
 * effective set, as in the helper: permitted only. */
static void lower(void) {
        static const cap_value_t v[] = { CAP_DAC_OVERRIDE, CAP_FOWNER };
        cap_t c = cap_get_proc();

        assert_non_null(c);
        assert_int_equal(cap_set_flag(c, CAP_EFFECTIVE, ELEMENTSOF(v), v, CAP_CLEAR), 0);
        assert_int_equal(cap_set_proc(c), 0);
        cap_free(c);
}

static int setup(void **state) {
        int fd;

        if (geteuid() != 0 || !have_dac_override(CAP_PERMITTED))
                return 0;       /* each test skips */
        if (!mkdtemp(dir))
                return -1;
        dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        fd = openat(dfd, "event_control", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0200);
        if (dfd < 0 || fd < 0 || fchown(fd, OTHER_UID, OTHER_UID) < 0)
                return -1;
        close(fd);
        return 0;
}

static int teardown(void **state) {
        if (dfd >= 0) {
                (void) unlinkat(dfd, "event_control", 0);
                close(dfd);
                (void) rmdir(dir);
        }
        return 0;
}

static void test_raised_for_the_open_only(void **state) {
        cap_t before, after;
        int fd;

        if (dfd < 0)
                skip();
        lower();
        before = cap_get_proc();
        assert_non_null(before);
        /* The plain open is refused: another user's file, no write bit for others. */
        assert_int_equal(openat(dfd, "event_control", O_WRONLY | O_CLOEXEC), -1);
        assert_int_equal(errno, EACCES);

        fd = privileges_openat_dac_override(dfd, "event_control", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        assert_true(fd >= 0);
        close(fd);
        after = cap_get_proc();
        assert_non_null(after);
        assert_int_equal(cap_compare(before, after), 0);
        assert_false(have_dac_override(CAP_EFFECTIVE));
        cap_free(after);

        /* A failed open puts it back too. */
        assert_int_equal(privileges_openat_dac_override(dfd, "no-such-file", O_WRONLY | O_CLOEXEC), -ENOENT);
        after = cap_get_proc();
        assert_non_null(after);
        assert_int_equal(cap_compare(before, after), 0);
        cap_free(after);
        cap_free(before);
}

/* Not permitted (a narrower unit): the plain openat(), refused. In a child, since
 * giving the permitted capability up cannot be undone. */
static void test_not_permitted(void **state) {
        int status = 0;
        pid_t pid;

        if (dfd < 0)
                skip();
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                static const cap_value_t v[] = { CAP_DAC_OVERRIDE, CAP_FOWNER };
                cap_t c = cap_get_proc();
                int r = 0;

                if (!c || cap_set_flag(c, CAP_EFFECTIVE, ELEMENTSOF(v), v, CAP_CLEAR) < 0 ||
                    cap_set_flag(c, CAP_PERMITTED, ELEMENTSOF(v), v, CAP_CLEAR) < 0 || cap_set_proc(c) < 0)
                        r = 2;
                else if (privileges_openat_dac_override(dfd, "event_control", O_WRONLY | O_CLOEXEC) != -EACCES)
                        r = 3;
                else if (have_dac_override(CAP_PERMITTED) || have_dac_override(CAP_EFFECTIVE))
                        r = 4;
                if (c)
                        cap_free(c);
                _exit(r);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_raised_for_the_open_only),
                cmocka_unit_test(test_not_permitted),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
