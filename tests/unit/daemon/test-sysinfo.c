/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for sysinfo.c: the fixture tree tests/data/proc/sysinfo gives
 * exact numbers for every INFO member; a tree in a temporary directory, whose
 * files are rewritten in place between calls, checks the CPU deltas against
 * the previous call, CPU hotplug, the MemAvailable fallback and parse errors.
 */

#include <dirent.h>
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
#include <sys/utsname.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "protocol/json-writer.h"
#include "protocol/reply.h"
#include "daemon/sysinfo.h"
#include "daemon/sysinfo-json.h"

/* The oracle: INFO's members built with jansson from the same sample. The daemon writes
 * them as text (sysinfo-json.c); test_writer_matches_jansson() holds the two together, the
 * other tests read the figures from here. */
static int sysinfo_collect(SysInfo *s, json_t **ret) {
        _cleanup_(json_decrefp) json_t *o = NULL;
        json_t *cpu, *per, *l, *mem, *swap;
        SysInfoSample n;
        bool ok;
        int r;

        r = sysinfo_sample(s, &n);
        if (r < 0)
                return r;

        o = json_object();
        if (!o)
                return -ENOMEM;
        cpu = json_object();
        if (!cpu || json_object_set_new_nocheck(o, "cpu", cpu) < 0)
                return -ENOMEM;
        ok = json_object_set_new_nocheck(cpu, "count", json_integer((json_int_t) n.n_cpus)) == 0 &&
             json_object_set_new_nocheck(cpu, "percent", json_real(n.cpu_percent)) == 0;
        if (!ok)
                return -ENOMEM;
        per = json_array();
        if (!per || json_object_set_new_nocheck(cpu, "per_cpu", per) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n.n_cpus; i++)
                if (json_array_append_new(per, json_real(n.per_cpu_percent[i])) < 0)
                        return -ENOMEM;
        l = json_array();
        if (!l || json_object_set_new_nocheck(cpu, "load", l) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < 3; i++)
                if (json_array_append_new(l, json_real(n.load[i])) < 0)
                        return -ENOMEM;

        mem = json_object();
        if (!mem || json_object_set_new_nocheck(o, "memory", mem) < 0)
                return -ENOMEM;
        ok = json_object_set_new_nocheck(mem, "total", json_integer((json_int_t) n.mem_total)) == 0 &&
             json_object_set_new_nocheck(mem, "available", json_integer((json_int_t) n.mem_available)) == 0 &&
             json_object_set_new_nocheck(mem, "used", json_integer((json_int_t) n.mem_used)) == 0 &&
             json_object_set_new_nocheck(mem, "percent", json_real(n.mem_percent)) == 0;
        if (!ok)
                return -ENOMEM;
        swap = json_object();
        if (!swap || json_object_set_new_nocheck(o, "swap", swap) < 0)
                return -ENOMEM;
        ok = json_object_set_new_nocheck(swap, "total", json_integer((json_int_t) n.swap_total)) == 0 &&
             json_object_set_new_nocheck(swap, "used", json_integer((json_int_t) n.swap_used)) == 0;
        if (!ok)
                return -ENOMEM;

        ok = json_object_set_new_nocheck(o, "uptime", json_real(n.uptime)) == 0 &&
             json_object_set_new_nocheck(o, "hostname", json_string(n.hostname) ?: json_string("?")) == 0 &&
             json_object_set_new_nocheck(o, "kernel", json_string(n.kernel) ?: json_string("?")) == 0 &&
             json_object_set_new_nocheck(o, "processes", json_integer((json_int_t) n.processes)) == 0;
        if (!ok)
                return -ENOMEM;

        *ret = TAKE_PTR(o);
        return 0;
}

static json_t *get(json_t *o, const char *path) {
        char buf[128], *save = NULL;

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
                o = json_object_get(o, k);
                if (!o)
                        fail_msg("member '%s' missing", path);
        }
        return o;
}

static int64_t get_int(json_t *o, const char *path) {
        json_t *v = get(o, path);

        if (!json_is_integer(v))
                fail_msg("'%s' is not an integer", path);
        return json_integer_value(v);
}

static double get_real(json_t *o, const char *path) {
        json_t *v = get(o, path);

        if (!json_is_real(v))
                fail_msg("'%s' is not a real", path);
        return json_real_value(v);
}

static void test_fixture(void **state) {
        _cleanup_(sysinfo_freep) SysInfo *s = NULL;
        _cleanup_(json_decrefp) json_t *o = NULL;
        struct utsname u;
        json_t *per, *load;

        assert_int_equal(sysinfo_new(open_fixture("sysinfo"), &s), 0);
        assert_int_equal(sysinfo_collect(s, &o), 0);
        assert_non_null(o);
        assert_int_equal(json_object_size(o), 7);

        /* first call: since boot. busy = all but idle and iowait */
        assert_int_equal(get_int(o, "cpu.count"), 2);
        assert_float_equal(get_real(o, "cpu.percent"), 20.0, 1e-9);
        per = get(o, "cpu.per_cpu");
        assert_true(json_is_array(per));
        assert_int_equal(json_array_size(per), 2);
        assert_float_equal(json_real_value(json_array_get(per, 0)), 20.0, 1e-9);
        assert_float_equal(json_real_value(json_array_get(per, 1)), 20.0, 1e-9);
        load = get(o, "cpu.load");
        assert_int_equal(json_array_size(load), 3);
        assert_float_equal(json_real_value(json_array_get(load, 0)), 0.52, 1e-9);
        assert_float_equal(json_real_value(json_array_get(load, 1)), 1.25, 1e-9);
        assert_float_equal(json_real_value(json_array_get(load, 2)), 2.0, 1e-9);

        assert_int_equal(get_int(o, "memory.total"), 8000000LL * 1024);
        assert_int_equal(get_int(o, "memory.available"), 6000000LL * 1024);
        assert_int_equal(get_int(o, "memory.used"), 2000000LL * 1024);
        assert_float_equal(get_real(o, "memory.percent"), 25.0, 1e-9);
        assert_int_equal(get_int(o, "swap.total"), 2097148LL * 1024);
        assert_int_equal(get_int(o, "swap.used"), (2097148LL - 1048574LL) * 1024);

        assert_float_equal(get_real(o, "uptime"), 12345.67, 1e-9);
        /* 1, 2, 300; not self, 4x or the file 400 */
        assert_int_equal(get_int(o, "processes"), 3);

        assert_int_equal(uname(&u), 0);
        assert_string_equal(json_string_value(get(o, "hostname")), u.nodename);
        assert_string_equal(json_string_value(get(o, "kernel")), u.release);
}

/* INFO's text writer says what jansson says about sysinfo_collect()'s object. */
static void test_writer_matches_jansson(void **state) {
        _cleanup_(sysinfo_freep) SysInfo *a = NULL, *b = NULL;
        _cleanup_(json_decrefp) json_t *o = NULL;
        _cleanup_free_ char *want = NULL, *got = NULL;
        JsonWriter w = {};
        size_t len;

        assert_int_equal(sysinfo_new(open_fixture("sysinfo"), &a), 0);
        assert_int_equal(sysinfo_new(open_fixture("sysinfo"), &b), 0);
        assert_int_equal(sysinfo_collect(a, &o), 0);
        want = reply_serialize(o, &len);
        assert_non_null(want);
        want[len - 1] = '\0';

        json_writer_literal(&w, "{");
        assert_int_equal(sysinfo_write_json(b, &w), 0);
        json_writer_literal(&w, "}");
        got = json_writer_steal(&w, NULL);
        assert_non_null(got);
        assert_string_equal(got, want);
}

static void test_writer_decimals(void **state) {
        static const struct {
                double v;
                const char *one, *two;
        } t[] = {
                { 0.0, "0.0", "0.0" }, { 0.52, "0.5", "0.52" }, { 1.25, "1.3", "1.25" }, { 2.0, "2.0", "2.0" },
                { 3.70, "3.7", "3.7" }, { 12345.67, "12345.7", "12345.67" }, { 0.05, "0.1", "0.05" },
                { -1.0, "0.0", "0.0" },
        };

        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                _cleanup_free_ char *one = NULL, *two = NULL;
                JsonWriter w = {};

                json_writer_decimal1(&w, t[i].v);
                one = json_writer_steal(&w, NULL);
                json_writer_decimal2(&w, t[i].v);
                two = json_writer_steal(&w, NULL);
                assert_string_equal(one, t[i].one);
                assert_string_equal(two, t[i].two);
        }
}

static int tree_setup(void **state) {
        Tree *tr = tree_new("test-sysinfo");

        tree_write(tr, "stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0\ncpu1 50 0 50 400 0\nbtime 1\n");
        tree_write(tr, "meminfo", "MemTotal: 1000 kB\nMemAvailable: 250 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
        tree_write(tr, "loadavg", "0.00 0.01 0.05 1/100 5\n");
        tree_write(tr, "uptime", "10.00 20.00\n");
        *state = tr;
        return 0;
}

static SysInfo *tree_sysinfo(Tree *tr) {
        SysInfo *s = NULL;

        assert_int_equal(sysinfo_new(tree_open(tr), &s), 0);
        return s;
}

static void test_cpu_delta(void **state) {
        Tree *tr = *state;
        _cleanup_(sysinfo_freep) SysInfo *s = tree_sysinfo(tr);
        json_t *o = NULL, *per;

        assert_int_equal(sysinfo_collect(s, &o), 0);
        assert_float_equal(get_real(o, "cpu.percent"), 20.0, 1e-9);
        assert_float_equal(get_real(o, "memory.percent"), 75.0, 1e-9);
        assert_int_equal(get_int(o, "memory.used"), 750 * 1024);
        assert_int_equal(get_int(o, "processes"), 0);
        json_decref(o);

        /* cpu0: +50 busy of +100; cpu1: +50 busy of +300 (iowait counts as idle) */
        tree_write(tr, "stat", "cpu  200 0 100 1000 100 0 0 0 0 0\ncpu0 75 0 75 450 0\ncpu1 75 0 75 550 100\nbtime 1\n");
        assert_int_equal(sysinfo_collect(s, &o), 0);
        assert_float_equal(get_real(o, "cpu.percent"), 25.0, 1e-9);
        per = get(o, "cpu.per_cpu");
        assert_int_equal(json_array_size(per), 2);
        assert_float_equal(json_real_value(json_array_get(per, 0)), 50.0, 1e-9);
        assert_float_equal(json_real_value(json_array_get(per, 1)), 16.7, 1e-9);
        json_decref(o);

        /* Nothing happened: 0 %, not a division by zero */
        assert_int_equal(sysinfo_collect(s, &o), 0);
        assert_float_equal(get_real(o, "cpu.percent"), 0.0, 0);
        json_decref(o);

        /* cpu2 comes online: counted, reported since boot; cpu0/1 keep their deltas */
        tree_write(tr, "stat", "cpu  300 0 100 1400 100 0 0 0 0 0\ncpu0 75 0 75 550 0\ncpu1 75 0 75 750 100\n"
                               "cpu2 90 0 10 100 0\nbtime 1\n");
        assert_int_equal(sysinfo_collect(s, &o), 0);
        assert_int_equal(get_int(o, "cpu.count"), 3);
        per = get(o, "cpu.per_cpu");
        assert_float_equal(json_real_value(json_array_get(per, 0)), 0.0, 0);
        assert_float_equal(json_real_value(json_array_get(per, 1)), 0.0, 0);
        assert_float_equal(json_real_value(json_array_get(per, 2)), 50.0, 1e-9);
        json_decref(o);

        /* cpu1 goes offline: cpu2 moves to index 1 and is matched by id, not position */
        tree_write(tr, "stat", "cpu  300 0 100 1400 100 0 0 0 0 0\ncpu0 75 0 75 550 0\ncpu2 190 0 10 100 0\nbtime 1\n");
        assert_int_equal(sysinfo_collect(s, &o), 0);
        assert_int_equal(get_int(o, "cpu.count"), 2);
        per = get(o, "cpu.per_cpu");
        /* matched with cpu2's previous sample at index 2: +100 busy of +100 */
        assert_float_equal(json_real_value(json_array_get(per, 1)), 100.0, 1e-9);
        json_decref(o);
}

static void test_meminfo_fallback(void **state) {
        Tree *tr = *state;
        _cleanup_(sysinfo_freep) SysInfo *s = tree_sysinfo(tr);
        _cleanup_(json_decrefp) json_t *o = NULL;

        /* Linux < 3.14: no MemAvailable */
        tree_write(tr, "meminfo", "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n"
                                  "SwapTotal: 100 kB\nSwapFree: 100 kB\n");
        assert_int_equal(sysinfo_collect(s, &o), 0);
        assert_int_equal(get_int(o, "memory.available"), 400 * 1024);
        assert_int_equal(get_int(o, "memory.used"), 600 * 1024);
        assert_float_equal(get_real(o, "memory.percent"), 60.0, 1e-9);
        assert_int_equal(get_int(o, "swap.used"), 0);
}

static void test_processes_counted(void **state) {
        Tree *tr = *state;
        _cleanup_(sysinfo_freep) SysInfo *s = tree_sysinfo(tr);
        _cleanup_(json_decrefp) json_t *o = NULL, *o2 = NULL;
        char p[PATH_MAX + 16];

        for (int i = 1; i <= 5; i++) {
                snprintf(p, sizeof(p), "%s/%d", tr->path, i * 100);
                assert_int_equal(mkdir(p, 0755), 0);
        }
        assert_int_equal(sysinfo_collect(s, &o), 0);
        assert_int_equal(get_int(o, "processes"), 5);
        /* not a procfs: counted afresh on every call */
        snprintf(p, sizeof(p), "%s/%d", tr->path, 100);
        assert_int_equal(rmdir(p), 0);
        assert_int_equal(sysinfo_collect(s, &o2), 0);
        assert_int_equal(get_int(o2, "processes"), 4);
        for (int i = 2; i <= 5; i++) {
                snprintf(p, sizeof(p), "%s/%d", tr->path, i * 100);
                assert_int_equal(rmdir(p), 0);
        }
}

static void test_bad_files(void **state) {
        Tree *tr = *state;
        _cleanup_(sysinfo_freep) SysInfo *s = tree_sysinfo(tr);
        json_t *o = NULL;
        char p[PATH_MAX + 16];
        int fd;

        tree_write(tr, "meminfo", "garbage\n");
        assert_int_equal(sysinfo_collect(s, &o), -EBADMSG);
        assert_null(o);
        tree_write(tr, "meminfo", "MemTotal: 1000 kB\n");
        tree_write(tr, "loadavg", "x\n");
        assert_int_equal(sysinfo_collect(s, &o), -EBADMSG);
        tree_write(tr, "loadavg", "1 2 3\n");
        tree_write(tr, "stat", "intr 0\n");
        assert_int_equal(sysinfo_collect(s, &o), -EBADMSG);
        tree_write(tr, "stat", "cpu  1 1 1 1\n");
        assert_int_equal(sysinfo_collect(s, &o), 0);
        assert_int_equal(get_int(o, "cpu.count"), 0);
        json_decref(o);

        /* a tree without the files cannot be opened */
        snprintf(p, sizeof(p), "%s/loadavg", tr->path);
        assert_int_equal(unlink(p), 0);
        fd = open(tr->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        {
                SysInfo *s2 = NULL;

                assert_int_equal(sysinfo_new(fd, &s2), -ENOENT);
                assert_null(s2);
        }
}

static int64_t count_pid_dirs(void) {
        DIR *d = opendir("/proc");
        int64_t n = 0;

        assert_non_null(d);
        for (struct dirent *de; (de = readdir(d));)
                if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
                        n++;
        closedir(d);
        return n;
}

static void test_real_proc(void **state) {
        _cleanup_(sysinfo_freep) SysInfo *s = NULL;
        _cleanup_(json_decrefp) json_t *o = NULL, *o2 = NULL;
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        double pct;

        assert_int_equal(sysinfo_new(-1, &s), 0);
        assert_int_equal(sysinfo_collect(s, &o), 0);
        assert_int_equal(get_int(o, "cpu.count"), ncpu);
        assert_int_equal(json_array_size(get(o, "cpu.per_cpu")), (size_t) ncpu);
        pct = get_real(o, "cpu.percent");
        assert_true(pct >= 0.0 && pct <= 100.0);
        assert_true(get_int(o, "memory.total") > 0);
        assert_true(get_int(o, "memory.used") <= get_int(o, "memory.total"));
        assert_true(get_real(o, "uptime") > 0);
        assert_true(get_int(o, "processes") >= 1);
        assert_int_equal(sysinfo_collect(s, &o2), 0);
        assert_true(get_real(o2, "uptime") >= get_real(o, "uptime"));
        /* the second call takes the count from the link count of /proc: still about
         * the number of pid directories (other processes come and go meanwhile) */
        assert_true(llabs(get_int(o2, "processes") - count_pid_dirs()) <= 64);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixture),
                cmocka_unit_test(test_writer_matches_jansson),
                cmocka_unit_test(test_writer_decimals),
                cmocka_unit_test_setup_teardown(test_cpu_delta, tree_setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_meminfo_fallback, tree_setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_processes_counted, tree_setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_bad_files, tree_setup, tree_teardown),
                cmocka_unit_test(test_real_proc),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
