/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for helper/process-stop.[ch]: pin, check the start time, signal; and a
 * group stop whose leader is reaped by another parent between the group's signal and its
 * own (kill() is wrapped for that: unit.am links this test with --wrap=kill). */

#include <errno.h>
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

/* The STOP after a helper worker was killed (test-privileges.sh, "helper killed"): the
 * worker's orphans belong to the listener, a subreaper that reaps them at once, so the
 * leader killed by the group's signal may be reaped before the signal to the leader itself
 * is sent. Here that interleaving is made certain: kill() of the group -reap_pid returns
 * only once the leader died and was reaped (status in reaped_status). */
int __real_kill(pid_t pid, int sig);
int __wrap_kill(pid_t pid, int sig);
static pid_t reap_pid;
static int reaped_status;

int __wrap_kill(pid_t pid, int sig) {
        int r = __real_kill(pid, sig), saved = errno;

        if (r == 0 && reap_pid > 0 && pid == -reap_pid) {
                pid_t p = reap_pid;

                reap_pid = 0;
                if (waitpid(p, &reaped_status, 0) != p)
                        reaped_status = -1;
        }
        errno = saved;
        return r;
}

/* A child in its own session (so it leads its own process group), as the helper's. */
static pid_t fork_leader(void) {
        int pipefd[2];
        char c = 0;
        pid_t pid;

        assert_int_equal(pipe(pipefd), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(pipefd[0]);
                if (setsid() < 0 || write(pipefd[1], "r", 1) != 1)
                        _exit(1);
                for (;;)
                        pause();
        }
        close(pipefd[1]);
        assert_int_equal(read(pipefd[0], &c, 1), 1);    /* it leads its group now */
        close(pipefd[0]);
        return pid;
}

static void test_group_leader_reaped_between(void **state) {
        static const int sigs[] = { SIGTERM, SIGKILL };

        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
                PidRef p = PIDREF_NULL;
                pid_t pid = fork_leader();
                uint64_t ticks;

                assert_int_equal(pid_get_start_ticks(pid, &ticks, NULL), 0);
                assert_int_equal(pidref_set_pid_and_start(&p, pid, ticks), 0);
                reap_pid = pid;
                reaped_status = 0;
                /* The group's signal ended it: that is a stop done, not "no such process". */
                if (sigs[i] == SIGKILL)
                        assert_int_equal(process_stop_kill(&p, true), 0);
                else
                        assert_int_equal(process_stop_signal_pinned(&p, sigs[i], true), 0);
                assert_int_equal(reap_pid, 0);          /* the interleaving did happen */
                assert_true(WIFSIGNALED(reaped_status));
                assert_int_equal(WTERMSIG(reaped_status), sigs[i]);

                /* Gone before the stop began (nothing of ours reached it): still -ESRCH. */
                assert_int_equal(process_stop_signal_pinned(&p, sigs[i], true), -ESRCH);
                assert_int_equal(process_stop_kill(&p, true), -ESRCH);
                pidref_done(&p);
        }
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
                cmocka_unit_test(test_group_leader_reaped_between),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
