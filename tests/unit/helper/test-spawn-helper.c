/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procmgr-spawn's request loop (helper/spawn-helper.c), run in a forked child
 * and driven over a socketpair as the front drives it: malformed, oversized
 * and out-of-policy requests are refused with an error reply (and the helper
 * keeps serving); a good SPAWN comes back with its descriptors and its exit is
 * reported; spawn failures name their subject.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper/spawn-helper.h"
#include "helper/spawn.h"
#include "shared/macro.h"
#include "shared/pidref.h"
#include "shared/spawn-wire.h"

static int helper_fd = -EBADF;
static pid_t helper_pid;
static uint8_t rbuf[SPAWN_WIRE_MESSAGE_MAX + 1];

static int setup(void **state) {
        int pair[2], sz = 1024 * 1024;

        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
        (void) setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
        helper_pid = fork();
        assert_true(helper_pid >= 0);
        if (helper_pid == 0) {
                close(pair[0]);
                _exit(spawn_helper_serve(pair[1], getppid()) < 0 ? 1 : 0);
        }
        close(pair[1]);
        helper_fd = pair[0];
        return 0;
}

static int teardown(void **state) {
        int status = 0;

        close(helper_fd);
        assert_int_equal(waitpid(helper_pid, &status, 0), helper_pid);
        /* EOF ends it cleanly: it survived everything below. */
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        return 0;
}

static void send_msg(SpawnWireMessage *m, const int *fds, size_t n_fds) {
        _cleanup_free_ void *buf = NULL;
        size_t size;

        assert_int_equal(spawn_wire_encode(m, &buf, &size), 0);
        assert_int_equal(spawn_wire_send(helper_fd, buf, size, fds, n_fds), 0);
}

/* The next record that is not an EXIT report (those go to *exit if given). */
static void recv_msg(SpawnWireMessage *ret, int *fds, size_t *n_fds, SpawnWireExit *exit_seen) {
        for (int i = 0; i < 100; i++) {
                struct pollfd p = { .fd = helper_fd, .events = POLLIN };
                ssize_t n;

                assert_int_equal(poll(&p, 1, 10000), 1);
                n = spawn_wire_recv(helper_fd, rbuf, sizeof(rbuf), 0, fds, n_fds);
                assert_true(n > 0);
                assert_int_equal(spawn_wire_decode(rbuf, (size_t) n, ret), 0);
                if (ret->type != SPAWN_WIRE_EXIT)
                        return;
                if (exit_seen)
                        *exit_seen = ret->exit;
        }
        fail_msg("no reply");
}

static int32_t signal_request(pid_t pid, uint64_t ticks, int sig, int pidfd) {
        SpawnWireMessage m = { .type = SPAWN_WIRE_SIGNAL, .id = 9,
                               .signal = { .pid = pid, .start_ticks = ticks, .signal = sig,
                                           .flags = pidfd >= 0 ? SPAWN_WIRE_HAS_PIDFD : 0 } }, r;
        int fds[SPAWN_WIRE_FDS_MAX];
        size_t n_fds = 0;

        send_msg(&m, pidfd >= 0 ? &pidfd : NULL, pidfd >= 0 ? 1 : 0);
        recv_msg(&r, fds, &n_fds, NULL);
        assert_int_equal(r.type, SPAWN_WIRE_SIGNAL_REPLY);
        assert_int_equal(r.id, 9);
        assert_int_equal(n_fds, 0);
        return r.signal_reply.error;
}

static void test_malformed(void **state) {
        SpawnWireMessage r;
        int fds[SPAWN_WIRE_FDS_MAX];
        size_t n_fds = 0;
        _cleanup_free_ uint8_t *big = calloc(1, SPAWN_WIRE_MESSAGE_MAX + 64);

        assert_int_equal(spawn_wire_send(helper_fd, "garbage, not a request", 22, NULL, 0), 0);
        recv_msg(&r, fds, &n_fds, NULL);
        assert_int_equal(r.signal_reply.error, -EBADMSG);

        /* Oversized: refused as such, not cut and parsed. */
        assert_non_null(big);
        assert_int_equal(spawn_wire_send(helper_fd, big, SPAWN_WIRE_MESSAGE_MAX + 64, NULL, 0), 0);
        recv_msg(&r, fds, &n_fds, NULL);
        assert_int_equal(r.signal_reply.error, -EMSGSIZE);

        /* A reply type sent as a request. */
        SpawnWireMessage m = { .type = SPAWN_WIRE_EXIT, .id = 3 };
        send_msg(&m, NULL, 0);
        recv_msg(&r, fds, &n_fds, NULL);
        assert_int_equal(r.id, 3);
        assert_int_equal(r.signal_reply.error, -EBADMSG);
}

static int32_t oom_watch_request(const char *unit, size_t *ret_n_fds) {
        SpawnWireMessage m = { .type = SPAWN_WIRE_OOM_WATCH, .id = 21, .oom_watch.unit = unit }, r;
        int fds[SPAWN_WIRE_FDS_MAX];
        size_t n_fds = 0;

        send_msg(&m, NULL, 0);
        recv_msg(&r, fds, &n_fds, NULL);
        assert_int_equal(r.type, SPAWN_WIRE_OOM_WATCH_REPLY);
        assert_int_equal(r.id, 21);
        for (size_t i = 0; i < n_fds; i++)
                (void) safe_close(fds[i]);
        *ret_n_fds = n_fds;
        return r.oom_watch_reply.error;
}

/* OOM_WATCH names a scope of procmgr.slice, nothing else: no path, no other cgroup file. */
static void test_oom_watch_policy(void **state) {
        static const char *const bad[] = { "../x.scope", "a/b.scope", ".x.scope", "x.service", "x.scope/..",
                                           "", "procmgr.slice" };
        size_t n_fds;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                assert_int_equal(oom_watch_request(bad[i], &n_fds), -EINVAL);
                assert_int_equal(n_fds, 0);
        }
        /* A well-formed name of a scope that is not there. */
        assert_int_equal(oom_watch_request("procmgr-none-1.scope", &n_fds) < 0, true);
        assert_int_equal(n_fds, 0);
}

static void test_signal_policy(void **state) {
        uint64_t ticks;
        pid_t child;
        int pidfd, other, status;

        assert_int_equal(signal_request(1, 1, SIGTERM, -EBADF), -EPERM);                /* never PID 1 */
        assert_int_equal(signal_request(getpid(), 1, SIGTERM, -EBADF), -EPERM);         /* nor the front */
        assert_int_equal(signal_request(helper_pid, 1, SIGTERM, -EBADF), -EPERM);       /* nor itself */
        assert_int_equal(signal_request(-5, 1, SIGTERM, -EBADF), -EPERM);               /* nor a group */
        assert_int_equal(signal_request(12345, 1, 0, -EBADF), -EINVAL);
        assert_int_equal(signal_request(12345, 1, 99, -EBADF), -EINVAL);

        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                pause();
                _exit(0);
        }
        assert_int_equal(pid_get_start_ticks(child, &ticks, NULL), 0);
        /* Another start time: not the process the front means. */
        assert_int_equal(signal_request(child, ticks + 1, SIGTERM, -EBADF), -ESRCH);
        assert_int_equal(signal_request(child, 0, SIGTERM, -EBADF), -EINVAL);
        pidfd = pidfd_open_pid(child);
        if (pidfd >= 0) {
                /* A pidfd of another process than the pid named. */
                other = pidfd_open_pid(getpid());
                assert_true(other >= 0);
                assert_int_equal(signal_request(child, ticks, SIGTERM, other), -ESRCH);
                close(other);
                /* Not a pidfd at all. */
                assert_int_equal(signal_request(child, ticks, SIGTERM, STDIN_FILENO), -EBADF);
        }
        assert_int_equal(signal_request(child, ticks, SIGTERM, pidfd), 0);
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
        if (pidfd >= 0) {
                /* Stale: the process is gone (and reaped). */
                assert_int_equal(signal_request(child, ticks, SIGTERM, pidfd), -ESRCH);
                close(pidfd);
        }
}

static void spawn_request(char **argv, const char *cwd, bool explicit_cwd, uint32_t uid, bool change,
                          SpawnWireMessage *ret, int *fds, size_t *n_fds) {
        char *envp[] = { (char *) "PATH=/usr/bin:/bin", NULL };
        SpawnWireMessage m = { .type = SPAWN_WIRE_SPAWN, .id = 11 };
        uint32_t argc = 0;

        while (argv[argc])
                argc++;
        m.spawn = (SpawnWireSpawn) {
                .flags = (change ? SPAWN_WIRE_CHANGE_IDENTITY : 0) | (explicit_cwd ? SPAWN_WIRE_CWD_EXPLICIT : 0),
                .uid = uid, .gid = (uint32_t) getegid(), .cwd = cwd, .identifier = "", .unit_prefix = "",
                .argv = argv, .argc = argc, .envp = envp, .envc = 1,
        };
        send_msg(&m, NULL, 0);
        recv_msg(ret, fds, n_fds, NULL);
        assert_int_equal(ret->type, SPAWN_WIRE_SPAWN_REPLY);
        assert_int_equal(ret->id, 11);
}

static void test_spawn_policy(void **state) {
        char *argv[] = { (char *) "true", NULL };
        SpawnWireMessage r;
        int fds[SPAWN_WIRE_FDS_MAX];
        size_t n_fds = 0;

        /* A uid nobody has. */
        spawn_request(argv, "/", false, 4000000123U, true, &r, fds, &n_fds);
        assert_int_equal(r.spawn_reply.error, -ESRCH);
        assert_int_equal(n_fds, 0);
        /* Another user without the switch: refused rather than run as the helper. */
        if (geteuid() != 65534) {
                spawn_request(argv, "/", false, 65534, false, &r, fds, &n_fds);
                assert_int_equal(r.spawn_reply.error, -EPERM);
        }
        /* A relative directory. */
        spawn_request(argv, "tmp", true, (uint32_t) geteuid(), false, &r, fds, &n_fds);
        assert_int_equal(r.spawn_reply.error, -EINVAL);
}

/* A good SPAWN: pid, start time, descriptors; the exec confirmation (EOF) and the exit. */
static void test_spawn_and_exit(void **state) {
        char *argv[] = { (char *) "sh", (char *) "-c", (char *) "exit 7", NULL };
        SpawnWireMessage r, m = { .type = SPAWN_WIRE_SIGNAL_REPLY };
        SpawnWireExit ex = {};
        int fds[SPAWN_WIRE_FDS_MAX];
        size_t n_fds = 0, k = 0;
        SpawnFailure f;

        spawn_request(argv, "/", true, (uint32_t) geteuid(), false, &r, fds, &n_fds);
        assert_int_equal(r.spawn_reply.error, 0);
        assert_true(r.spawn_reply.pid > 0);
        assert_true(r.spawn_reply.fds & SPAWN_WIRE_FD_ERROR);
        assert_false(r.spawn_reply.fds & SPAWN_WIRE_FD_HOLD);
        if (r.spawn_reply.fds & SPAWN_WIRE_FD_PIDFD)
                close(fds[k++]);
        /* EOF on the error pipe: exec'd. Blocking read is fine: the write end is the child's. */
        assert_int_equal(spawn_read_result(fds[k], &f), 0);
        close(fds[k]);
        /* Its exit, reported unasked: wait for it behind a request/reply. */
        for (int i = 0; i < 100 && ex.pid == 0; i++) {
                int rf[SPAWN_WIRE_FDS_MAX];
                size_t rn = 0;

                (void) usleep(10000);
                m = (SpawnWireMessage) { .type = SPAWN_WIRE_SIGNAL, .id = 12,
                                         .signal = { .pid = 1, .start_ticks = 1, .signal = 0 } };
                send_msg(&m, NULL, 0);
                recv_msg(&m, rf, &rn, &ex);
        }
        assert_int_equal(ex.pid, r.spawn_reply.pid);
        assert_int_equal(ex.start_ticks, r.spawn_reply.start_ticks);
        assert_int_equal(ex.code, 7);
        assert_int_equal(ex.signal, 0);
}

/* Failures before exec name their subject (issue 15 item 17). */
static void expect_failure(char **argv, const char *cwd, const char *want) {
        SpawnWireMessage r;
        int fds[SPAWN_WIRE_FDS_MAX];
        size_t n_fds = 0, k = 0;
        SpawnFailure f = {};
        char msg[320];
        int e;

        spawn_request(argv, cwd, true, (uint32_t) geteuid(), false, &r, fds, &n_fds);
        assert_int_equal(r.spawn_reply.error, 0);
        if (r.spawn_reply.fds & SPAWN_WIRE_FD_PIDFD)
                close(fds[k++]);
        e = spawn_read_result(fds[k], &f);
        close(fds[k]);
        assert_true(e > 0);
        spawn_failure_format(&f, e, msg, sizeof(msg));
        assert_string_equal(msg, want);
}

static void test_spawn_failures_name_subject(void **state) {
        char *nosuch[] = { (char *) "no-such-command-procmgr-test", NULL };
        char *abs[] = { (char *) "/no/such/dir/prog", NULL };
        char *ok[] = { (char *) "true", NULL };

        expect_failure(nosuch, "/", "cannot execute 'no-such-command-procmgr-test': command not found");
        expect_failure(abs, "/", "cannot execute '/no/such/dir/prog': No such file or directory");
        expect_failure(ok, "/no/such/dir", "chdir /no/such/dir: No such file or directory");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_signal_policy),
                cmocka_unit_test(test_oom_watch_policy),
                cmocka_unit_test(test_spawn_policy),
                cmocka_unit_test(test_spawn_and_exit),
                cmocka_unit_test(test_spawn_failures_name_subject),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
