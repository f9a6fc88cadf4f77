/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for shared/pidref.[ch], against forked children. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/macro.h"
#include "shared/pidref.h"

static pid_t fork_sleeper(void) {
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                for (;;)
                        pause();
        }
        return pid;
}

static void test_self(void **state) {
        PidRef p = PIDREF_NULL;
        uint64_t ticks;
        char st;

        assert_false(pidref_is_set(&p));
        assert_int_equal(pidref_is_alive(&p), -EINVAL);
        assert_int_equal(pidref_kill(&p, 0), -ESRCH);
        assert_int_equal(pidref_set_pid(&p, getpid()), 0);
        assert_true(pidref_is_set(&p));
        assert_true(p.start_ticks > 0);
        assert_int_equal(pid_get_start_ticks(getpid(), &ticks, &st), 0);
        assert_true(ticks == p.start_ticks);
        assert_true(st == 'R');
        assert_int_equal(pidref_is_alive(&p), 1);
        assert_int_equal(pidref_kill(&p, 0), 0);
        assert_false(pid_is_gone(getpid()));
        pidref_done(&p);
        assert_false(pidref_is_set(&p));
        assert_int_equal(p.fd, -EBADF);
        pidref_done(&p); /* idempotent */

        assert_int_equal(pidref_set_pid(&p, 0), -EINVAL);
        assert_int_equal(pidref_set_pid(&p, getpid()), 0);
        pidref_done(&p);
        /* a start time that is not ours */
        assert_int_equal(pidref_set_pid_and_start(&p, getpid(), ticks + 1), -ESRCH);
        assert_false(pidref_is_set(&p));
        assert_int_equal(pidref_set_pid_and_start(&p, getpid(), ticks), 0);
        pidref_done(&p);
}

static void test_child_lifecycle(void **state) {
        PidRef p = PIDREF_NULL;
        pid_t pid = fork_sleeper();
        int status;

        assert_int_equal(pidref_set_pid(&p, pid), 0);
        assert_int_equal(pidref_is_alive(&p), 1);
        /* SIGSTOP, then TERM with SIGCONT: a stopped process gets to act on TERM */
        assert_int_equal(pidref_kill(&p, SIGSTOP), 0);
        assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
        assert_true(WIFSTOPPED(status));
        assert_int_equal(pidref_kill_and_sigcont(&p, SIGTERM), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGTERM);

        /* reaped: gone, and never signalled again (the pidfd still refers to it) */
        assert_int_equal(pidref_is_alive(&p), 0);
        assert_true(pid_is_gone(pid));
        if (p.fd >= 0)
                assert_int_equal(pidref_kill(&p, SIGTERM), -ESRCH);
        pidref_done(&p);
        assert_int_equal(pidref_set_pid(&p, pid), -ESRCH);
}

static void test_zombie(void **state) {
        PidRef p = PIDREF_NULL;
        pid_t pid = fork_sleeper();
        int status;

        assert_int_equal(pidref_set_pid(&p, pid), 0);
        assert_int_equal(kill(pid, SIGKILL), 0);
        /* wait until it is a zombie, without reaping it */
        for (int i = 0; i < 1000 && !pid_is_gone(pid); i++)
                usleep(1000);
        assert_true(pid_is_gone(pid));
        assert_int_equal(pidref_is_alive(&p), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        pidref_done(&p);
}

static void test_peer(void **state) {
        PidRef p = PIDREF_NULL;
        int sv[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(pidref_set_peer(&p, sv[0]), 0);
        assert_int_equal(p.pid, getpid());
        assert_int_equal(pidref_is_alive(&p), 1);
        pidref_done(&p);
        safe_close(sv[0]);
        safe_close(sv[1]);
        assert_int_equal(pidref_set_peer(&p, -1), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_self),
                cmocka_unit_test(test_child_lifecycle),
                cmocka_unit_test(test_zombie),
                cmocka_unit_test(test_peer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
