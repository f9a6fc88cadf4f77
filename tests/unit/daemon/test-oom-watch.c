/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for daemon/oom-watch.[ch].
 *
 * MOCK: the memory.events files here are regular files in a temporary directory, not
 * cgroup v2's (this project's CI machines have the memory controller on a v1
 * hierarchy, so no test can get a real v2 memory.events). What they stand for is the
 * interface cgroup-v2.rst documents: a value change generates a file-modified event
 * (IN_MODIFY), and once the cgroup is removed the file cannot be read any more (here:
 * it is unlinked, and the descriptor the watch holds is what is read). The real v1
 * path is tested end to end in the sandbox (test-deployed.sh, follow-client.py). */

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/oom-watch.h"

#define EVENTS_NONE "low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\noom_group_kill 0\n"
#define EVENTS_KILL "low 0\nhigh 0\nmax 9\noom 2\noom_kill 1\noom_group_kill 0\n"

typedef struct Fixture {
        char dir[64];
        char path[96];
        sd_event *e;
        OomWatcher *w;
} Fixture;

/* Rewrite in place (as the kernel's counters change: same file, new text). */
static void write_events(const char *path, const char *text) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
}

static void run_pending(Fixture *f) {
        /* Only what is ready: the watcher's inotify source, nothing waits. */
        for (unsigned i = 0; i < 8; i++)
                assert_true(sd_event_run(f->e, 0) >= 0);
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(Fixture));

        assert_non_null(f);
        strcpy(f->dir, "/tmp/test-oom-watch.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof(f->path), "%s/memory.events", f->dir);
        write_events(f->path, EVENTS_NONE);
        assert_int_equal(sd_event_new(&f->e), 0);
        assert_int_equal(oom_watcher_new(f->e, &f->w), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        oom_watcher_free(f->w);
        sd_event_unref(f->e);
        (void) unlink(f->path);
        (void) rmdir(f->dir);
        free(f);
        return 0;
}

static void test_counted(void **state) {
        assert_false(oom_kill_counted(EVENTS_NONE));
        assert_true(oom_kill_counted(EVENTS_KILL));
        assert_true(oom_kill_counted("oom_kill 12\n"));
        assert_false(oom_kill_counted("oom_kill 0\n"));
        /* oom_group_kill is another counter; "xoom_kill" is not a line start */
        assert_false(oom_kill_counted("oom_kill 0\noom_group_kill 1\n"));
        assert_false(oom_kill_counted("max 1\nxoom_kill 5\n"));
        assert_false(oom_kill_counted(""));
}

/* No OOM: nothing is reported, also after the file went away with its cgroup. */
static void test_no_kill(void **state) {
        Fixture *f = *state;
        OomWatch *x = NULL;

        assert_int_equal(oom_watch_add(f->w, f->path, &x), 0);
        write_events(f->path, EVENTS_NONE);
        run_pending(f);
        assert_false(oom_watch_killed(x));
        assert_int_equal(unlink(f->path), 0);
        run_pending(f);
        assert_false(oom_watch_killed(x));
        oom_watch_free(x);
}

/* The kill is taken from the notification, while the file is there: the answer holds
 * after the file is gone (the late read's race: systemd removed the emptied scope). */
static void test_kill_seen_before_removal(void **state) {
        Fixture *f = *state;
        OomWatch *x = NULL;
        char moved[128];

        assert_int_equal(oom_watch_add(f->w, f->path, &x), 0);
        assert_false(oom_watch_killed(x));
        write_events(f->path, EVENTS_KILL);
        run_pending(f);
        /* The cgroup is removed: its file can no longer be found by name, and reading what
         * the watch holds now says "no kill", so only what the notification took counts. */
        snprintf(moved, sizeof(moved), "%s/gone", f->dir);
        assert_int_equal(rename(f->path, moved), 0);
        write_events(moved, EVENTS_NONE);
        assert_int_equal(unlink(moved), 0);
        assert_true(oom_watch_killed(x));
        oom_watch_free(x);
}

/* A notification still pending at the exit is taken then (the loop has not run yet). */
static void test_pending_at_exit(void **state) {
        Fixture *f = *state;
        OomWatch *x = NULL;

        assert_int_equal(oom_watch_add(f->w, f->path, &x), 0);
        write_events(f->path, EVENTS_KILL);
        assert_true(oom_watch_killed(x));
        oom_watch_free(x);
}

/* A kill before the watch was added counts too; a missing file is an error. */
static void test_kill_before_watch(void **state) {
        Fixture *f = *state;
        OomWatch *x = NULL, *y = NULL;
        char missing[128];

        write_events(f->path, EVENTS_KILL);
        assert_int_equal(oom_watch_add(f->w, f->path, &x), 0);
        assert_true(oom_watch_killed(x));
        snprintf(missing, sizeof(missing), "%s/nope", f->dir);
        assert_int_equal(oom_watch_add(f->w, missing, &y), -ENOENT);
        assert_null(y);
        oom_watch_free(x);
}

/* Several watches on one watcher (one scope each): each gets its own file's answer; a
 * watch freed while its notification is pending is not touched (the watcher frees what
 * is left). */
static void test_many(void **state) {
        Fixture *f = *state;
        OomWatch *a = NULL, *b = NULL, *c = NULL;
        char pb[128], pc[128];

        snprintf(pb, sizeof(pb), "%s/b.events", f->dir);
        snprintf(pc, sizeof(pc), "%s/c.events", f->dir);
        write_events(pb, EVENTS_NONE);
        write_events(pc, EVENTS_NONE);
        assert_int_equal(oom_watch_add(f->w, f->path, &a), 0);
        assert_int_equal(oom_watch_add(f->w, pb, &b), 0);
        assert_int_equal(oom_watch_add(f->w, pc, &c), 0);
        write_events(pb, EVENTS_KILL);
        write_events(pc, EVENTS_KILL);
        oom_watch_free(c);
        run_pending(f);
        assert_false(oom_watch_killed(a));
        assert_true(oom_watch_killed(b));
        (void) unlink(pb);
        (void) unlink(pc);
        (void) a;       /* left to oom_watcher_free() in teardown */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_counted),
                cmocka_unit_test_setup_teardown(test_no_kill, setup, teardown),
                cmocka_unit_test_setup_teardown(test_kill_seen_before_removal, setup, teardown),
                cmocka_unit_test_setup_teardown(test_pending_at_exit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_kill_before_watch, setup, teardown),
                cmocka_unit_test_setup_teardown(test_many, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
