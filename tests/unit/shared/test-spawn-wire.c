/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for shared/spawn-wire.[ch]: round trips, bounds, malformed records. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shared/macro.h"
#include "shared/spawn-wire.h"

static void test_spawn_round_trip(void **state) {
        char *argv[] = { (char *) "sleep", (char *) "300", NULL };
        char *envp[] = { (char *) "PATH=/bin", NULL };
        SpawnWireMessage m = { .type = SPAWN_WIRE_SPAWN, .id = 42 }, d;
        _cleanup_free_ void *buf = NULL;
        size_t size;

        m.spawn = (SpawnWireSpawn) { .flags = SPAWN_WIRE_HOLD | SPAWN_WIRE_CHANGE_IDENTITY, .uid = 65534,
                                     .gid = 65534, .n_groups = 2, .groups = { 65534, 100 }, .nofile_soft = 1024,
                                     .cwd = "/tmp", .identifier = "sleep", .unit_prefix = "procmgr-sleep-",
                                     .argv = argv, .argc = 2, .envp = envp, .envc = 1 };
        assert_int_equal(spawn_wire_encode(&m, &buf, &size), 0);
        assert_int_equal(spawn_wire_decode(buf, size, &d), 0);
        assert_int_equal(d.type, SPAWN_WIRE_SPAWN);
        assert_int_equal(d.id, 42);
        assert_int_equal(d.spawn.flags, SPAWN_WIRE_HOLD | SPAWN_WIRE_CHANGE_IDENTITY);
        assert_int_equal(d.spawn.uid, 65534);
        assert_int_equal(d.spawn.n_groups, 2);
        assert_int_equal(d.spawn.groups[1], 100);
        assert_int_equal(d.spawn.nofile_soft, 1024);
        assert_string_equal(d.spawn.cwd, "/tmp");
        assert_string_equal(d.spawn.unit_prefix, "procmgr-sleep-");
        assert_int_equal(d.spawn.argc, 2);
        assert_string_equal(d.spawn.argv[1], "300");
        assert_null(d.spawn.argv[2]);
        assert_string_equal(d.spawn.envp[0], "PATH=/bin");
        assert_null(d.spawn.envp[1]);
        spawn_wire_message_done(&d);

        /* Every truncation is refused, and so is a trailing byte. */
        for (size_t n = 0; n < size; n++)
                assert_int_equal(spawn_wire_decode(buf, n, &d), -EBADMSG);
        {
                _cleanup_free_ uint8_t *more = malloc(size + 1);
                assert_non_null(more);
                memcpy(more, buf, size);
                more[size] = 0;
                assert_int_equal(spawn_wire_decode(more, size + 1, &d), -EBADMSG);
        }
}

static void test_small_round_trips(void **state) {
        SpawnWireMessage in[] = {
                { .type = SPAWN_WIRE_SPAWN_REPLY, .id = 1, .spawn_reply = { .error = 0, .pid = 77, .start_ticks = 9,
                                                                            .fds = SPAWN_WIRE_FD_ERROR } },
                { .type = SPAWN_WIRE_SIGNAL, .id = 2, .signal = { .pid = 77, .start_ticks = 9, .signal = 15,
                                                                  .flags = SPAWN_WIRE_GROUP } },
                { .type = SPAWN_WIRE_SIGNAL_REPLY, .id = 3, .signal_reply = { .error = -ESRCH } },
                { .type = SPAWN_WIRE_EXIT, .exit = { .pid = 77, .start_ticks = 9, .code = 3 } },
                { .type = SPAWN_WIRE_OOM_WATCH, .id = 4, .oom_watch = { .unit = "procmgr-x-77.scope" } },
                { .type = SPAWN_WIRE_OOM_WATCH_REPLY, .id = 5, .oom_watch_reply = { .error = -ENOENT } },
        };

        for (size_t i = 0; i < ELEMENTSOF(in); i++) {
                _cleanup_free_ void *buf = NULL;
                SpawnWireMessage d;
                size_t size;

                assert_int_equal(spawn_wire_encode(&in[i], &buf, &size), 0);
                assert_int_equal(spawn_wire_decode(buf, size, &d), 0);
                assert_int_equal(d.type, in[i].type);
                assert_int_equal(d.id, in[i].id);
                switch (d.type) {
                case SPAWN_WIRE_SPAWN_REPLY:
                        assert_int_equal(d.spawn_reply.pid, 77);
                        assert_int_equal(d.spawn_reply.start_ticks, 9);
                        assert_int_equal(d.spawn_reply.fds, SPAWN_WIRE_FD_ERROR);
                        break;
                case SPAWN_WIRE_SIGNAL:
                        assert_int_equal(d.signal.pid, 77);
                        assert_int_equal(d.signal.signal, 15);
                        assert_int_equal(d.signal.flags, SPAWN_WIRE_GROUP);
                        break;
                case SPAWN_WIRE_SIGNAL_REPLY:
                        assert_int_equal(d.signal_reply.error, -ESRCH);
                        break;
                case SPAWN_WIRE_OOM_WATCH:
                        assert_string_equal(d.oom_watch.unit, "procmgr-x-77.scope");
                        break;
                case SPAWN_WIRE_OOM_WATCH_REPLY:
                        assert_int_equal(d.oom_watch_reply.error, -ENOENT);
                        break;
                default:
                        assert_int_equal(d.exit.pid, 77);
                        assert_int_equal(d.exit.start_ticks, 9);
                        assert_int_equal(d.exit.code, 3);
                        assert_int_equal(d.exit.signal, 0);
                }
        }
}

static void test_bounds(void **state) {
        SpawnWireMessage m = { .type = SPAWN_WIRE_SPAWN };
        _cleanup_free_ char **argv = calloc(SPAWN_WIRE_ARGV_MAX + 2, sizeof(char *));
        _cleanup_free_ char *big = malloc(SPAWN_WIRE_STRING_MAX + 2);
        void *buf = NULL;
        size_t size;

        assert_non_null(argv);
        assert_non_null(big);
        for (size_t i = 0; i < SPAWN_WIRE_ARGV_MAX + 1; i++)
                argv[i] = (char *) "x";
        m.spawn = (SpawnWireSpawn) { .cwd = "", .identifier = "", .unit_prefix = "", .argv = argv,
                                     .argc = SPAWN_WIRE_ARGV_MAX + 1 };
        assert_int_equal(spawn_wire_encode(&m, &buf, &size), -E2BIG);
        m.spawn.n_groups = SPAWN_WIRE_GROUPS_MAX + 1;
        m.spawn.argc = 1;
        assert_int_equal(spawn_wire_encode(&m, &buf, &size), -E2BIG);
        m.spawn.n_groups = 0;
        /* One string of the largest size passes the string bound, but not the record's. */
        memset(big, 'a', SPAWN_WIRE_STRING_MAX + 1);
        big[SPAWN_WIRE_STRING_MAX + 1] = '\0';
        argv[0] = big;
        assert_int_equal(spawn_wire_encode(&m, &buf, &size), -E2BIG);
        big[SPAWN_WIRE_STRING_MAX] = '\0';
        assert_int_equal(spawn_wire_encode(&m, &buf, &size), 0);
        free(buf);
        m.spawn.argv = NULL;
        assert_int_equal(spawn_wire_encode(&m, &buf, &size), -EINVAL);
        m.spawn.argv = argv;
        m.spawn.cwd = NULL;
        assert_int_equal(spawn_wire_encode(&m, &buf, &size), -EINVAL);
}

static void test_malformed(void **state) {
        SpawnWireMessage m = { .type = SPAWN_WIRE_SIGNAL_REPLY, .id = 5 }, d;
        _cleanup_free_ uint8_t *buf = NULL;
        uint8_t copy[64];
        size_t size;
        uint32_t v;

        assert_int_equal(spawn_wire_encode(&m, (void **) &buf, &size), 0);
        assert_true(size <= sizeof(copy));
        memcpy(copy, buf, size);
        copy[0] ^= 1;   /* magic */
        assert_int_equal(spawn_wire_decode(copy, size, &d), -EBADMSG);
        memcpy(copy, buf, size);
        copy[4] = 99;   /* type */
        assert_int_equal(spawn_wire_decode(copy, size, &d), -EBADMSG);
        memcpy(copy, buf, size);
        copy[6] = 1;    /* reserved */
        assert_int_equal(spawn_wire_decode(copy, size, &d), -EBADMSG);
        memcpy(copy, buf, size);
        v = 1000;       /* length */
        memcpy(copy + 8, &v, sizeof(v));
        assert_int_equal(spawn_wire_decode(copy, size, &d), -EBADMSG);
        assert_int_equal(spawn_wire_decode(NULL, 0, &d), -EBADMSG);
        assert_int_equal(spawn_wire_decode(copy, SPAWN_WIRE_MESSAGE_MAX + 1, &d), -E2BIG);
}

static void test_send_recv_fds(void **state) {
        int pair[2], fds[SPAWN_WIRE_FDS_MAX], mine[2];
        uint8_t buf[16];
        size_t n_fds = 0;

        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
        assert_int_equal(pipe(mine), 0);
        assert_int_equal(spawn_wire_send(pair[0], "hello", 5, mine, 2), 0);
        assert_int_equal(spawn_wire_recv(pair[1], buf, sizeof(buf), 0, fds, &n_fds), 5);
        assert_int_equal(n_fds, 2);
        assert_true(fds[0] >= 0 && fds[1] >= 0 && fds[2] == -EBADF);
        close(fds[0]);
        close(fds[1]);
        /* A record larger than the buffer is refused, not cut. */
        assert_int_equal(spawn_wire_send(pair[0], "0123456789abcdefXYZ", 19, NULL, 0), 0);
        assert_int_equal(spawn_wire_recv(pair[1], buf, sizeof(buf), 0, fds, &n_fds), -EMSGSIZE);
        /* EOF */
        close(pair[0]);
        assert_int_equal(spawn_wire_recv(pair[1], buf, sizeof(buf), 0, fds, &n_fds), 0);
        close(pair[1]);
        close(mine[0]);
        close(mine[1]);
}

/* The receiver at its RLIMIT_NOFILE: the kernel installs what fits and drops the rest
 * (MSG_CTRUNC). The record still comes, its descriptors do not: none is left open. */
static void test_recv_fds_lost(void **state) {
        int pair[2], fds[SPAWN_WIRE_FDS_MAX], mine[2], probe;
        struct rlimit saved, low;
        uint8_t buf[16];
        size_t n_fds = 7;
        bool lost = false;

        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
        assert_int_equal(pipe2(mine, O_CLOEXEC), 0);
        assert_int_equal(spawn_wire_send(pair[0], "hello", 5, mine, 2), 0);
        assert_int_equal(spawn_wire_send(pair[0], "again", 5, mine, 2), 0);

        /* Room for exactly one more descriptor: the lowest free one. */
        probe = fcntl(0, F_DUPFD_CLOEXEC, 0);
        assert_true(probe >= 0);
        close(probe);
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
        low = (struct rlimit) { .rlim_cur = (rlim_t) probe + 1, .rlim_max = saved.rlim_max };
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);

        assert_int_equal(spawn_wire_recv_full(pair[1], buf, sizeof(buf), 0, fds, &n_fds, &lost), 5);
        assert_true(lost);
        assert_int_equal(n_fds, 0);
        assert_true(fds[0] == -EBADF && fds[1] == -EBADF && fds[2] == -EBADF);
        assert_memory_equal(buf, "hello", 5);
        /* The one that did arrive was closed again: its number is free. */
        probe = fcntl(0, F_DUPFD_CLOEXEC, 0);
        assert_true(probe >= 0);
        close(probe);
        /* Without the out-parameter it is a malformed exchange, as before. */
        assert_int_equal(spawn_wire_recv(pair[1], buf, sizeof(buf), 0, fds, &n_fds), -EBADMSG);

        assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
        close(pair[0]);
        close(pair[1]);
        close(mine[0]);
        close(mine[1]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_spawn_round_trip),
                cmocka_unit_test(test_small_round_trips),
                cmocka_unit_test(test_bounds),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_send_recv_fds),
                cmocka_unit_test(test_recv_fds_lost),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
