/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for metrics.c: the cgroup readers against fixture trees laid out
 * like cgroup v2 and like a hybrid v1 host (a proc tree whose <pid>/cgroup names
 * the scope), the /proc fallback, and the exposition text: family grouping,
 * label escaping of a hostile name (checked by `promtool check metrics` too when
 * it is installed), merging of equal label sets and figures left out when
 * unknown.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "daemon/metrics.h"
#include "shared/macro.h"

static void tree_mkdirs(Tree *tr, const char *rel) {
        char p[PATH_MAX + 64];

        snprintf(p, sizeof(p), "%s/%s", tr->path, rel);
        for (char *s = p + strlen(tr->path) + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
                *s = '/';
        }
        assert_true(mkdir(p, 0755) == 0 || errno == EEXIST);
}

static void write_in(Tree *tr, const char *dir, const char *file, const char *text) {
        char p[PATH_MAX + 256];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s/%s", tr->path, dir, file);
        f = fopen(p, "we");
        assert_non_null(f);
        assert_true(fputs(text, f) >= 0);
        assert_int_equal(fclose(f), 0);
}

static int open_sub(Tree *tr, const char *rel) {
        char p[PATH_MAX + 64];
        int fd;

        snprintf(p, sizeof(p), "%s/%s", tr->path, rel);
        fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

static int setup(void **state) {
        *state = tree_new("test-metrics");
        return 0;
}

static void test_cgroup_v2(void **state) {
        Tree *tr = *state;
        _cleanup_close_ int proc_fd = -EBADF, cg_fd = -EBADF;
        ProcessFigures f;
        const char *scope = "cg/procmgr.slice/procmgr-web-42.scope";

        tree_mkdirs(tr, "proc/42");
        tree_mkdirs(tr, scope);
        tree_write(tr, "proc/42/cgroup", "0::/procmgr.slice/procmgr-web-42.scope\n");
        tree_write(tr, "cg/cgroup.controllers", "cpu memory pids\n");
#define W(file, text) write_in(tr, scope, file, text)
        W("memory.current", "1048576\n");
        W("memory.peak", "2097152\n");
        W("cpu.stat", "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n");
        W("memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\noom_group_kill 0\n");
        W("pids.current", "3\n");

        proc_fd = open_sub(tr, "proc");
        cg_fd = open_sub(tr, "cg");
        assert_true(proc_fd >= 0 && cg_fd >= 0);
        assert_int_equal(metrics_read_cgroup(proc_fd, cg_fd, 42, &f), 0);
        assert_true(f.up);
        assert_int_equal(f.memory_current, 1048576);
        assert_int_equal(f.memory_peak, 2097152);
        assert_int_equal(f.cpu_usec, 1500000);
        assert_int_equal(f.oom_kills, 2);
        assert_int_equal(f.tasks, 3);

        /* A missing file is an unknown figure, not an error; "max" is no number. */
        W("memory.peak", "max\n");
        {
                char full[PATH_MAX + 256];

                snprintf(full, sizeof(full), "%s/%s/memory.current", tr->path, scope);
                assert_int_equal(unlink(full), 0);
        }
        assert_int_equal(metrics_read_cgroup(proc_fd, cg_fd, 42, &f), 0);
        assert_int_equal(f.memory_current, METRICS_UNKNOWN);
        assert_int_equal(f.memory_peak, METRICS_UNKNOWN);
        assert_int_equal(f.tasks, 3);
#undef W
        /* No such process. */
        assert_int_equal(metrics_read_cgroup(proc_fd, cg_fd, 43, &f), -ENOENT);
}

static void test_cgroup_v1(void **state) {
        Tree *tr = *state;
        _cleanup_close_ int proc_fd = -EBADF, cg_fd = -EBADF;
        ProcessFigures f;

        tree_mkdirs(tr, "proc/7");
        tree_mkdirs(tr, "cg/memory/procmgr.slice/s.scope");
        tree_mkdirs(tr, "cg/cpuacct/procmgr.slice/s.scope");
        tree_mkdirs(tr, "cg/pids/procmgr.slice/s.scope");
        tree_write(tr, "proc/7/cgroup",
                   "12:pids:/procmgr.slice/s.scope\n"
                   "6:cpu,cpuacct:/procmgr.slice/s.scope\n"
                   "5:memory:/procmgr.slice/s.scope\n"
                   "1:name=systemd:/procmgr.slice/s.scope\n"
                   "0::/procmgr.slice/s.scope\n");
        tree_write(tr, "cg/memory/procmgr.slice/s.scope/memory.usage_in_bytes", "4096\n");
        tree_write(tr, "cg/memory/procmgr.slice/s.scope/memory.max_usage_in_bytes", "8192\n");
        tree_write(tr, "cg/memory/procmgr.slice/s.scope/memory.oom_control",
                   "oom_kill_disable 0\nunder_oom 0\noom_kill 5\n");
        tree_write(tr, "cg/cpuacct/procmgr.slice/s.scope/cpuacct.usage", "2500000000\n");
        tree_write(tr, "cg/pids/procmgr.slice/s.scope/pids.current", "1\n");

        proc_fd = open_sub(tr, "proc");
        cg_fd = open_sub(tr, "cg");
        assert_true(proc_fd >= 0 && cg_fd >= 0);
        assert_int_equal(metrics_read_cgroup(proc_fd, cg_fd, 7, &f), 0);
        assert_int_equal(f.memory_current, 4096);
        assert_int_equal(f.memory_peak, 8192);
        assert_int_equal(f.oom_kills, 5);
        assert_int_equal(f.cpu_usec, 2500000);
        assert_int_equal(f.tasks, 1);

        /* Nothing readable at all: no figures, an error the caller falls back on. */
        tree_write(tr, "proc/7/cgroup", "5:memory:/elsewhere\n");
        assert_int_equal(metrics_read_cgroup(proc_fd, cg_fd, 7, &f), -ENODATA);
}

static void test_proc_fallback(void **state) {
        Tree *tr = *state;
        _cleanup_close_ int proc_fd = -EBADF;
        ProcessFigures f;
        long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);

        tree_mkdirs(tr, "proc/99");
        /* utime 200, stime 100 ticks; 5 threads; start 12345; rss 10 pages. */
        tree_write(tr, "proc/99/stat",
                   "99 (my job) S 1 99 99 0 -1 4194560 100 0 0 0 200 100 0 0 20 0 5 0 12345 "
                   "10000000 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n");
        tree_write(tr, "proc/99/status", "Name:\tmy job\nVmHWM:\t    2048 kB\nVmRSS:\t      40 kB\n");
        proc_fd = open_sub(tr, "proc");
        assert_true(proc_fd >= 0);

        assert_int_equal(metrics_read_proc(proc_fd, 99, 12345, &f), 0);
        assert_true(f.up);
        assert_int_equal(f.cpu_usec, 300 * (1000000 / hz));
        assert_int_equal(f.memory_current, 10 * page);
        assert_int_equal(f.memory_peak, METRICS_UNKNOWN);     /* not read: status is costly */
        assert_int_equal(f.tasks, 5);
        assert_int_equal(f.oom_kills, METRICS_UNKNOWN);
        /* Another start time: a later holder of the pid is not our process. */
        assert_int_equal(metrics_read_proc(proc_fd, 99, 777, &f), -ESRCH);
        assert_int_equal(metrics_read_proc(proc_fd, 98, 0, &f), -ESRCH);
}

static void check_grouped(const char *text, const char *fam) {
        char type[128];
        const char *t, *last = NULL;
        size_t n = strlen(fam);

        snprintf(type, sizeof(type), "# TYPE %s ", fam);
        t = strstr(text, type);
        assert_non_null(t);
        assert_null(strstr(t + 1, type));
        for (const char *q = strchr(text, '\n'); q; q = strchr(q + 1, '\n'))
                if (strncmp(q + 1, fam, n) == 0 && q[1 + n] == '{')
                        last = q;
        assert_non_null(last);
        assert_true(last > t);
        /* Nothing of another family between the TYPE line and the last sample. */
        for (const char *q = strchr(t, '\n'); q && q < last; q = strchr(q + 1, '\n'))
                assert_int_equal(strncmp(q + 1, fam, n), 0);
}

static char *render(MetricsInput *in) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        assert_non_null(f);
        assert_int_equal(metrics_render(in, f), 0);
        assert_int_equal(fclose(f), 0);
        return text;
}

/* Runs `promtool check metrics` on text when promtool is installed; returns its status,
 * or -1 when there is no promtool. */
static int promtool_check(const char *text) {
        FILE *p;
        int st;

        if (system("command -v promtool >/dev/null 2>&1") != 0)
                return -1;
        p = popen("promtool check metrics", "we");
        assert_non_null(p);
        fputs(text, p);
        st = pclose(p);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void test_render_escaping_and_merge(void **state) {
        ProcessFigures up = { 100, 200, 1500000, 1, METRICS_UNKNOWN, true };
        MetricsProcess procs[] = {
                /* A hostile name: quote, backslash, newline, a fake label and bad UTF-8. */
                { "evil\"} 1\nprocmgr_fake{a=\"\\", "", "root", 0, up },
                { "web", "", "www\xff", 0, up },
                /* The direct backend has no unit: two "web" of www-data fold into one set. */
                { "web", "", "www-data", 0, up },
                { "web", "", "www-data", 2, { 50, 60, 500000, 2, METRICS_UNKNOWN, false } },
        };
        uint64_t ticks[] = { 100, 0, 50, 1000, 5 };
        SysInfoSample s = { .n_cpus = 2, .load = { 0.5, 1, 1.5 }, .mem_total = 1000, .mem_available = 600,
                            .mem_used = 400, .uptime = 12.5, .processes = 77 };
        MetricsInput in = {
                .sample = &s, .cpu_ticks = ticks, .n_cpu_ticks = ELEMENTSOF(ticks), .ticks_per_second = 100,
                .backend = "direct", .version = "9.9", .processes = procs, .n_processes = ELEMENTSOF(procs),
        };
        char *text = render(&in);
        int st;

        assert_non_null(strstr(text, "procmgr_process_memory_bytes{name=\"evil\\\"} 1\\nprocmgr_fake{a=\\\"\\\\\","
                                     "unit=\"\",user=\"root\"} 100\n"));
        assert_null(strstr(text, "\nprocmgr_fake"));
        assert_non_null(strstr(text, "user=\"www\xef\xbf\xbd\"} 100\n"));
        /* Merged: memory summed, restarts summed, up if any is. */
        assert_non_null(strstr(text, "procmgr_process_memory_bytes{name=\"web\",unit=\"\",user=\"www-data\"} 150\n"));
        assert_non_null(strstr(text, "procmgr_process_cpu_seconds_total{name=\"web\",unit=\"\",user=\"www-data\"} 2.000000\n"));
        assert_non_null(strstr(text, "procmgr_process_restarts_total{name=\"web\",unit=\"\",user=\"www-data\"} 2\n"));
        assert_non_null(strstr(text, "procmgr_process_up{name=\"web\",unit=\"\",user=\"www-data\"} 1\n"));
        /* Unknown everywhere: the family is left out, HELP and TYPE included. */
        assert_null(strstr(text, "oom_kills"));
        assert_non_null(strstr(text, "procmgr_managed_processes 4\n"));
        assert_non_null(strstr(text, "procmgr_host_cpu_seconds_total{mode=\"idle\"} 10.000000\n"));
        assert_non_null(strstr(text, "procmgr_host_cpu_seconds_total{mode=\"iowait\"} 0.050000\n"));
        assert_null(strstr(text, "mode=\"irq\""));
        assert_non_null(strstr(text, "procmgr_build_info{version=\"9.9\",backend=\"direct\"} 1\n"));
        assert_non_null(strstr(text, "# TYPE procmgr_process_cpu_seconds_total counter\n"));
        assert_non_null(strstr(text, "procmgr_host_load15 1.50\n"));

        /* Every family once, its samples right after its TYPE line (the format's grouping). */
        check_grouped(text, "procmgr_process_memory_bytes");
        check_grouped(text, "procmgr_process_up");

        st = promtool_check(text);
        if (st >= 0)
                assert_int_equal(st, 0);
        free(text);
}

static void test_label_value_escape(void **state) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        assert_non_null(f);
        metrics_write_label_value(f, "a\\b\"c\nd\te\xc3\x28");
        assert_int_equal(fclose(f), 0);
        assert_string_equal(text, "a\\\\b\\\"c\\nd\te\xef\xbf\xbd(");
        free(text);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_cgroup_v2, setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_cgroup_v1, setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_proc_fallback, setup, tree_teardown),
                cmocka_unit_test(test_render_escaping_and_merge),
                cmocka_unit_test(test_label_value_escape),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
