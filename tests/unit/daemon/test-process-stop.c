/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for daemon/process-stop.[ch]: pin, check the start time, signal. */

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helper/process-stop.h"

static pid_t fork_sleeper(void) {
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0)
                for (;;)
                        pause();
        return pid;
}

static void test_signal_and_kill(void **state) {
        PidRef p = PIDREF_NULL;
        pid_t pid = fork_sleeper();
        uint64_t ticks;
        int status;

        assert_int_equal(pid_get_start_ticks(pid, &ticks, NULL), 0);

        /* another start time: a recycled pid is never signalled */
        assert_int_equal(process_stop_signal(&(StopRequest) { .pid = pid, .start_ticks = ticks + 1,
                                                              .signal = SIGTERM }, &p), -ESRCH);
        assert_false(pidref_is_set(&p));
        assert_int_equal(waitpid(pid, &status, WNOHANG), 0);

        /* SIGSTOP it; SIGUSR1 (default: terminate) then still arrives with the SIGCONT */
        assert_int_equal(kill(pid, SIGSTOP), 0);
        assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
        assert_true(WIFSTOPPED(status));
        assert_int_equal(process_stop_signal(&(StopRequest) { .pid = pid, .start_ticks = ticks,
                                                              .signal = SIGUSR1 }, &p), 0);
        assert_int_equal(p.pid, pid);
        assert_true(p.start_ticks == ticks);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGUSR1);
        if (p.fd >= 0)
                assert_int_equal(process_stop_kill(&p, false), -ESRCH);
        pidref_done(&p);
        assert_int_equal(process_stop_signal(&(StopRequest) { .pid = pid, .signal = SIGTERM }, &p), -ESRCH);
}

static void test_kill(void **state) {
        PidRef p = PIDREF_NULL;
        pid_t pid = fork_sleeper();
        int status;

        /* start_ticks 0: whatever runs as pid; SIGCONT alone only wakes it */
        assert_int_equal(process_stop_signal(&(StopRequest) { .pid = pid, .signal = SIGCONT }, &p), 0);
        assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
        assert_int_equal(process_stop_kill(&p, false), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);
        pidref_done(&p);
        assert_int_equal(process_stop_signal(NULL, &p), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_signal_and_kill),
                cmocka_unit_test(test_kill),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
