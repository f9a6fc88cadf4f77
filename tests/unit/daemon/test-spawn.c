/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for spawn.c: the hold pipe of START (release, abort, daemon gone). */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helper/spawn.h"

/* sh -c 'exit 7', as the current user, no journal. */
static SpawnedChild fork_held(void) {
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "exit 7", NULL };
        char *envp[] = { (char *) "PATH=/usr/bin:/bin", NULL };
        SpawnRequest req = { .argv = argv, .envp = envp, .cwd = (char *) "/" };
        SpawnedChild child;

        assert_int_equal(spawn_fork(&req, true, NULL, &child), 0);
        assert_true(child.hold_fd >= 0);
        assert_true(child.error_fd >= 0);
        return child;
}

/* Exit status of pid, waiting at most 10 s; -1 if it is still running then. */
static int wait_exit(pid_t pid) {
        for (int i = 0; i < 1000; i++) {
                int status;
                pid_t r = waitpid(pid, &status, WNOHANG);
                if (r == pid)
                        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                (void) nanosleep(&(struct timespec) { .tv_nsec = 10 * 1000 * 1000 }, NULL);
        }
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
        return -1;
}

static void test_release(void **state) {
        SpawnedChild c = fork_held();
        SpawnFailure f = {};

        assert_int_equal(spawn_release(c.hold_fd), 0);
        assert_int_equal(wait_exit(c.pid), 7);
        assert_int_equal(spawn_read_result(c.error_fd, &f), 0);        /* exec'd */
        close(c.error_fd);
}

/* The parent going away (its end closed without a release) must not let the child run
 * on outside the scope it was meant to be moved into. */
static void test_eof_aborts(void **state) {
        SpawnedChild c = fork_held();
        SpawnFailure f = {};

        close(c.hold_fd);
        assert_int_equal(wait_exit(c.pid), 126);
        assert_int_equal(spawn_read_result(c.error_fd, &f), ECANCELED);
        assert_string_equal(f.step, "hold");
        close(c.error_fd);
}

static void test_abort(void **state) {
        SpawnedChild c = fork_held();

        assert_int_equal(write(c.hold_fd, "x", 1), 1);
        close(c.hold_fd);
        assert_int_equal(wait_exit(c.pid), 126);
        close(c.error_fd);
}

/* Another child forked meanwhile holds a copy of the write end (until it closes its
 * descriptors): the release must still get through at once. */
static void test_release_with_copy_held(void **state) {
        SpawnedChild c = fork_held();
        int copy = fcntl(c.hold_fd, F_DUPFD_CLOEXEC, 3);

        assert_true(copy >= 0);
        assert_int_equal(spawn_release(c.hold_fd), 0);
        assert_int_equal(wait_exit(c.pid), 7);
        close(copy);
        close(c.error_fd);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_release),
                cmocka_unit_test(test_eof_aborts),
                cmocka_unit_test(test_abort),
                cmocka_unit_test(test_release_with_copy_held),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
