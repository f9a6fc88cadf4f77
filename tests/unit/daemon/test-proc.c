/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for proc-table.c (the parsers are tests/unit/shared/test-proc-parse.c):
 * scanning the fixture tree tests/data/proc/basic (vanished-looking and
 * non-numeric entries included), CPU percentages, caching and pid reuse on a
 * tree built in a temporary directory, sorting in both directions with the pid
 * tie-break, and the process object's members, types and UTF-8 sanitizing.
 */

#include <fcntl.h>
#include <limits.h>
#include <math.h> /* isfinite() only: a macro, no -lm */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fixture.h"
#include "protocol/json-writer.h"
#include "protocol/reply.h"
#include "daemon/proc-table.h"
#include "daemon/process-json.h"
#include "protocol/protocol.h"
#include "shared/utf8.h"

/* The oracle: the process object built member by member with jansson, independently of
 * process-json.c's writer; check_writer_matches() holds the two together. */
static json_t *json_string_sanitized(const char *s) {
        _cleanup_free_ char *buf = NULL;
        size_t len, l;

        if (!s)
                return json_string_nocheck("");
        len = strlen(s);
        if (utf8_is_valid(s, len))
                return json_stringn_nocheck(s, len);
        buf = malloc(len * 3 + 1);
        if (!buf)
                return NULL;
        l = utf8_sanitize(s, len, 0, buf, len * 3 + 1);
        return json_stringn_nocheck(buf, l);
}

static json_t *oracle_process_json(const ProcessInfo *p, bool managed, const char *unit) {
        _cleanup_(json_decrefp) json_t *o = NULL;
        char state[2], uidbuf[16];
        bool ok = true;
        double cpu;

        if (!p)
                return NULL;
        state[0] = p->state ?: '?';
        state[1] = '\0';
        /* one decimal, without libm; NaN, negative and absurd values become 0 */
        cpu = isfinite(p->cpu_percent) && p->cpu_percent > 0 && p->cpu_percent < 1e12 ?
                (double) (uint64_t) (p->cpu_percent * 10.0 + 0.5) / 10.0 : 0.0;
        o = json_object();
        if (!o)
                return NULL;
        if (!p->user)
                (void) snprintf(uidbuf, sizeof(uidbuf), "%u", p->uid);

        ok = ok && json_object_set_new_nocheck(o, "pid", json_integer(p->pid)) == 0;
        ok = ok && json_object_set_new_nocheck(o, "ppid", json_integer(p->ppid)) == 0;
        ok = ok && json_object_set_new_nocheck(o, "name", json_string_sanitized(p->name)) == 0;
        ok = ok && json_object_set_new_nocheck(o, "user", json_string_sanitized(p->user ?: uidbuf)) == 0;
        ok = ok && json_object_set_new_nocheck(o, "state", json_string_sanitized(state)) == 0;
        ok = ok && json_object_set_new_nocheck(o, "cpu_percent", json_real(cpu)) == 0;
        ok = ok && json_object_set_new_nocheck(o, "rss", json_integer((json_int_t) MIN(p->rss, (uint64_t) INT64_MAX))) == 0;
        ok = ok && json_object_set_new_nocheck(o, "threads", json_integer(p->threads)) == 0;
        ok = ok && json_object_set_new_nocheck(o, "start_time", json_integer((json_int_t) MIN(p->start_time, (uint64_t) INT64_MAX))) == 0;
        ok = ok && json_object_set_new_nocheck(o, "cmdline", json_string_sanitized(p->cmdline)) == 0;
        ok = ok && json_object_set_new_nocheck(o, "managed", json_boolean(managed)) == 0;
        ok = ok && json_object_set_new_nocheck(o, "unit", unit ? json_string_sanitized(unit) : json_null()) == 0;
        if (!ok)
                return NULL;
        return TAKE_PTR(o);
}

static long clk_tck;
static uint64_t page_size;

/* ---------------------------------------------------------------------------
 * Scanning the fixture tree */

static const ProcessInfo *find(ProcTable *t, pid_t pid) {
        for (size_t i = 0; i < proc_table_count(t); i++)
                if (proc_table_get(t, i)->pid == pid)
                        return proc_table_get(t, i);
        return NULL;
}

static void test_scan_fixture(void **state) {
        _cleanup_(proc_table_freep) ProcTable *t = NULL;
        const ProcessInfo *p;
        static const pid_t expected[] = { 1, 2, 7, 42, 43, 100 };

        assert_int_equal(proc_table_new(open_fixture("basic"), &t), 0);
        assert_int_equal(proc_table_scan(t), 0);

        /* 77 (no stat), 78 (empty stat), 79 (no status), 80 (garbage), 555 (a file),
         * 0, 12ab, self, sys are not processes. Sorted by pid. */
        assert_int_equal(proc_table_count(t), sizeof(expected) / sizeof(expected[0]));
        for (size_t i = 0; i < proc_table_count(t); i++)
                assert_int_equal(proc_table_get(t, i)->pid, expected[i]);
        assert_null(proc_table_get(t, proc_table_count(t)));

        p = find(t, 1);
        assert_non_null(p);
        assert_string_equal(p->name, "init");
        assert_int_equal(p->ppid, 0);
        assert_int_equal(p->uid, 0);
        assert_string_equal(p->user, "root");
        assert_int_equal(p->state, 'S');
        assert_int_equal(p->rss, 2560 * page_size);
        assert_int_equal(p->threads, 1);
        assert_int_equal(p->start_ticks, 0);
        assert_int_equal(p->start_time, 1700000000);
        assert_int_equal(p->cpu_ticks, 1000);
        /* first sample: lifetime average, 10 s of CPU over 1000 s of uptime */
        assert_float_equal(p->cpu_percent, 100.0 * (1000.0 / clk_tck) / 1000.0, 1e-9);
        assert_string_equal(p->cmdline, "/sbin/init splash");

        p = find(t, 42);
        assert_non_null(p);
        assert_string_equal(p->name, "a b) (c");
        assert_int_equal(p->state, 'R');
        assert_int_equal(p->uid, 4000000);              /* real uid; effective is 0 */
        assert_string_equal(p->user, "4000000");        /* unknown to NSS */
        assert_int_equal(p->threads, 4);
        assert_int_equal(p->start_time, 1700000000 + 50000 / clk_tck);
        assert_float_equal(p->cpu_percent, 100.0 * (500.0 / clk_tck) / (1000.0 - 50000.0 / clk_tck), 1e-9);
        assert_string_equal(p->cmdline, "weird  arg");

        p = find(t, 43);
        assert_non_null(p);
        assert_string_equal(p->name, "bad\xc3\x28utf");  /* raw in the struct */
        assert_string_equal(p->cmdline, "echo \xef\xbf\xbd\xef\xbf\xbd caf\xc3\xa9");

        p = find(t, 100);
        assert_non_null(p);
        assert_string_equal(p->name, "new\nline");
        assert_int_equal(p->state, 'I');
        assert_string_equal(p->cmdline, "");
        assert_float_equal(p->cpu_percent, 0.0, 0);

        p = find(t, 2);
        assert_non_null(p);
        assert_string_equal(p->name, "");

        p = find(t, 7);
        assert_non_null(p);
        assert_int_equal(p->state, 'Z');

        /* A second scan of an unchanged tree gives the same processes. */
        assert_int_equal(proc_table_scan(t), 0);
        assert_int_equal(proc_table_count(t), sizeof(expected) / sizeof(expected[0]));
        assert_string_equal(find(t, 42)->cmdline, "weird  arg");
}

static void test_read_one_fixture(void **state) {
        _cleanup_(proc_table_freep) ProcTable *t = NULL;
        const ProcessInfo *p = NULL;
        uint64_t ticks = 0;

        assert_int_equal(proc_table_new(open_fixture("basic"), &t), 0);
        /* works without a scan */
        assert_int_equal(proc_table_read_one(t, 42, &p), 0);
        assert_non_null(p);
        assert_int_equal(p->pid, 42);
        assert_string_equal(p->name, "a b) (c");
        assert_int_equal(proc_table_count(t), 1);
        assert_int_equal(proc_table_read_one(t, 7, &p), 0);
        assert_int_equal(proc_table_read_one(t, 1, &p), 0);
        assert_int_equal(proc_table_count(t), 3);
        assert_int_equal(proc_table_get(t, 0)->pid, 1);         /* still sorted */
        assert_int_equal(proc_table_get(t, 2)->pid, 42);

        assert_int_equal(proc_table_read_one(t, 77, &p), -ESRCH);
        assert_int_equal(proc_table_read_one(t, 78, &p), -ESRCH);
        assert_int_equal(proc_table_read_one(t, 79, &p), -ESRCH);
        assert_int_equal(proc_table_read_one(t, 31337, &p), -ESRCH);
        assert_int_equal(proc_table_read_one(t, 0, &p), -EINVAL);

        assert_int_equal(proc_get_start_ticks(t, 42, &ticks), 0);
        assert_int_equal(ticks, 50000);
        assert_int_equal(proc_get_start_ticks(t, 77, &ticks), -ESRCH);
        assert_int_equal(proc_get_start_ticks(t, 555, &ticks), -ESRCH);
}

static void test_user_names(void **state) {
        _cleanup_(proc_table_freep) ProcTable *t = NULL;
        const char *a, *b;

        assert_int_equal(proc_table_new(open_fixture("basic"), &t), 0);
        assert_string_equal(proc_table_user_name(t, 0), "root");
        a = proc_table_user_name(t, 4000001);
        assert_string_equal(a, "4000001");
        /* cached: the same pointer, also for misses, also after the hash grows */
        for (uid_t u = 5000000; u < 5000100; u++)
                assert_non_null(proc_table_user_name(t, u));
        b = proc_table_user_name(t, 4000001);
        assert_ptr_equal(a, b);
        assert_string_equal(proc_table_user_name(t, 5000042), "5000042");
}

/* ---------------------------------------------------------------------------
 * A writable tree: CPU deltas, caching, pid reuse, pruning */

static void tree_uptime(Tree *tr, const char *s) {
        tree_write(tr, "uptime", s);
}

static void tree_proc(Tree *tr, pid_t pid, const char *comm, uint64_t utime, uint64_t start,
                      uint64_t arg_start, const char *cmdline, size_t cmdline_len, uid_t uid) {
        char p[PATH_MAX + 64], rel[64], buf[1024];
        int n;

        snprintf(p, sizeof(p), "%s/%d", tr->path, (int) pid);
        (void) mkdir(p, 0755);
        n = snprintf(buf, sizeof(buf),
                     "%d (%s) S 1 0 0 0 -1 4194560 100 0 0 0 %llu 0 0 0 20 0 1 0 %llu 100 10 "
                     "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 %llu %llu 0 0 0\n",
                     (int) pid, comm, (unsigned long long) utime, (unsigned long long) start,
                     (unsigned long long) arg_start, (unsigned long long) arg_start + 100);
        snprintf(rel, sizeof(rel), "%d/stat", (int) pid);
        tree_write_data(tr, rel, buf, (size_t) n);
        n = snprintf(buf, sizeof(buf), "Name:\t%s\nUid:\t%u\t%u\t%u\t%u\n", comm, uid, uid, uid, uid);
        snprintf(rel, sizeof(rel), "%d/status", (int) pid);
        tree_write_data(tr, rel, buf, (size_t) n);
        snprintf(rel, sizeof(rel), "%d/cmdline", (int) pid);
        tree_write_data(tr, rel, cmdline, cmdline_len);
}

static void tree_remove_proc(Tree *tr, pid_t pid) {
        char p[PATH_MAX + 64];

        for (const char *const *f = (const char *const[]) { "stat", "status", "cmdline", NULL }; *f; f++) {
                snprintf(p, sizeof(p), "%s/%d/%s", tr->path, (int) pid, *f);
                (void) unlink(p);
        }
        snprintf(p, sizeof(p), "%s/%d", tr->path, (int) pid);
        assert_int_equal(rmdir(p), 0);
}

static int tree_setup(void **state) {
        Tree *tr = tree_new("test-proc");

        /* 31: the terminating NUL too, as this test always wrote it */
        tree_write_data(tr, "stat", "cpu  1 1 1 1\nbtime 1600000000\n", 31);
        *state = tr;
        return 0;
}

static ProcTable *tree_table(Tree *tr) {
        ProcTable *t = NULL;

        assert_int_equal(proc_table_new(tree_open(tr), &t), 0);
        return t;
}

static void test_cpu_percent_delta(void **state) {
        Tree *tr = *state;
        _cleanup_(proc_table_freep) ProcTable *t = NULL;
        double tck = (double) clk_tck;

        /* pid 10 started at boot and used 2 s in 100 s */
        tree_uptime(tr, "100.00 0.00\n");
        tree_proc(tr, 10, "busy", 2 * clk_tck, 0, 1000, "busy\0", 5, 0);
        t = tree_table(tr);
        assert_int_equal(proc_table_scan(t), 0);
        assert_int_equal(proc_table_count(t), 1);
        assert_float_equal(find(t, 10)->cpu_percent, 2.0, 1e-9);

        /* 2 s later it used 1 more second: 50 %; pid 11 appeared at 101 s and used 0.25 s */
        tree_uptime(tr, "102.00 0.00\n");
        tree_proc(tr, 10, "busy", 3 * clk_tck, 0, 1000, "busy\0", 5, 0);
        tree_proc(tr, 11, "new", clk_tck / 4, 101 * clk_tck, 1000, "new\0", 4, 0);
        assert_int_equal(proc_table_scan(t), 0);
        assert_int_equal(proc_table_count(t), 2);
        assert_float_equal(find(t, 10)->cpu_percent, 50.0, 1e-9);
        assert_float_equal(find(t, 11)->cpu_percent, 100.0 * (double) (clk_tck / 4) / tck / 1.0, 1e-9);

        /* 50 ms later: below the minimum interval, measured against the 102 s baseline */
        tree_uptime(tr, "102.05 0.00\n");
        tree_proc(tr, 10, "busy", 3 * clk_tck + 5, 0, 1000, "busy\0", 5, 0);
        assert_int_equal(proc_table_scan(t), 0);
        assert_float_equal(find(t, 10)->cpu_percent, 100.0 * (5.0 / tck) / 0.05, 1e-6);
        /* and again at 102.10: still against 102 s, since the 102.05 sample was too young */
        tree_uptime(tr, "102.10 0.00\n");
        tree_proc(tr, 10, "busy", 3 * clk_tck + 5, 0, 1000, "busy\0", 5, 0);
        assert_int_equal(proc_table_scan(t), 0);
        assert_float_equal(find(t, 10)->cpu_percent, 100.0 * (5.0 / tck) / 0.10, 1e-6);

        /* No time passed: the last value is kept instead of dividing by zero */
        assert_int_equal(proc_table_scan(t), 0);
        assert_float_equal(find(t, 10)->cpu_percent, 100.0 * (5.0 / tck) / 0.10, 1e-6);

        /* pid 10 exits and the pid is reused by a process started at 103 s: its lifetime average */
        tree_uptime(tr, "104.00 0.00\n");
        tree_proc(tr, 10, "reused", clk_tck / 10, 103 * clk_tck, 1000, "reused\0", 7, 0);
        assert_int_equal(proc_table_scan(t), 0);
        assert_string_equal(find(t, 10)->name, "reused");
        assert_string_equal(find(t, 10)->cmdline, "reused");
        assert_float_equal(find(t, 10)->cpu_percent, 10.0, 1e-6);

        /* pid 11 vanishes: pruned */
        tree_remove_proc(tr, 11);
        assert_int_equal(proc_table_scan(t), 0);
        assert_int_equal(proc_table_count(t), 1);
        assert_null(find(t, 11));
}

static void test_cmdline_cache(void **state) {
        Tree *tr = *state;
        _cleanup_(proc_table_freep) ProcTable *t = NULL;
        const ProcessInfo *p;

        tree_uptime(tr, "100.00 0.00\n");
        tree_proc(tr, 20, "sh", 5, 50, 1000, "sh\0-c\0true\0", 11, 0);
        t = tree_table(tr);
        assert_int_equal(proc_table_scan(t), 0);
        assert_string_equal(find(t, 20)->cmdline, "sh -c true");
        assert_string_equal(find(t, 20)->user, "root");

        /* The files change but nothing says the process could have changed them
         * (same comm, argv area, CPU time; 1 s later): the cached values are kept. */
        tree_uptime(tr, "101.00 0.00\n");
        tree_proc(tr, 20, "sh", 5, 50, 1000, "changed\0", 8, 4000000);
        assert_int_equal(proc_table_scan(t), 0);
        assert_string_equal(find(t, 20)->cmdline, "sh -c true");
        assert_int_equal(find(t, 20)->uid, 0);

        /* STATUS reads everything afresh */
        assert_int_equal(proc_table_read_one(t, 20, &p), 0);
        assert_string_equal(p->cmdline, "changed");
        assert_int_equal(p->uid, 4000000);
        assert_string_equal(p->user, "4000000");

        /* exec: new comm and argv area, same pid and start time */
        tree_uptime(tr, "102.00 0.00\n");
        tree_proc(tr, 20, "sleep", 5, 50, 5000, "sleep\0" "60\0", 9, 0);
        assert_int_equal(proc_table_scan(t), 0);
        assert_string_equal(find(t, 20)->name, "sleep");
        assert_string_equal(find(t, 20)->cmdline, "sleep 60");
        assert_int_equal(find(t, 20)->uid, 0);

        /* setproctitle(): only the argv contents change, but the process ran */
        tree_uptime(tr, "103.00 0.00\n");
        tree_proc(tr, 20, "sleep", 6, 50, 5000, "sleep: busy", 11, 0);
        assert_int_equal(proc_table_scan(t), 0);
        assert_string_equal(find(t, 20)->cmdline, "sleep: busy");

        /* and a copy older than the refresh limit is re-read in any case */
        tree_uptime(tr, "104.00 0.00\n");
        tree_proc(tr, 20, "sleep", 6, 50, 5000, "sleep: idle", 11, 0);
        assert_int_equal(proc_table_scan(t), 0);
        assert_string_equal(find(t, 20)->cmdline, "sleep: busy");
        tree_uptime(tr, "200.00 0.00\n");
        assert_int_equal(proc_table_scan(t), 0);
        assert_string_equal(find(t, 20)->cmdline, "sleep: idle");
}

static void test_cmdline_truncated(void **state) {
        Tree *tr = *state;
        _cleanup_(proc_table_freep) ProcTable *t = NULL;
        static char big[10000];

        memset(big, 'a', sizeof(big));
        tree_uptime(tr, "100.00 0.00\n");
        tree_proc(tr, 30, "big", 0, 0, 1000, big, sizeof(big), 0);
        t = tree_table(tr);
        assert_int_equal(proc_table_scan(t), 0);
        assert_int_equal(strlen(find(t, 30)->cmdline), 4096);
}

static void test_scan_real_proc(void **state) {
        _cleanup_(proc_table_freep) ProcTable *t = NULL;
        const ProcessInfo *p, *q = NULL;
        size_t n;

        assert_int_equal(proc_table_new(-1, &t), 0);
        assert_int_equal(proc_table_scan(t), 0);
        n = proc_table_count(t);
        assert_true(n >= 1);
        for (size_t i = 1; i < n; i++)
                assert_true(proc_table_get(t, i - 1)->pid < proc_table_get(t, i)->pid);
        p = find(t, getpid());
        assert_non_null(p);
        assert_int_equal(p->ppid, getppid());
        assert_int_equal(p->uid, getuid());
        assert_int_equal(p->state, 'R');
        assert_true(p->rss > 0);
        assert_true(p->threads >= 1);
        assert_non_null(strstr(p->cmdline, "test-proc"));
        assert_int_equal(proc_table_read_one(t, getpid(), &q), 0);
        assert_ptr_equal(q, find(t, getpid()));
        assert_int_equal(proc_table_scan(t), 0);
        assert_non_null(find(t, getpid()));
}

/* ---------------------------------------------------------------------------
 * Sorting */

static void test_sort_field_from_string(void **state) {
        ProcSortField f;
        bool desc;

        assert_int_equal(proc_sort_field_from_string("pid"), PROC_SORT_PID);
        assert_int_equal(proc_sort_field_from_string("ppid"), PROC_SORT_PPID);
        assert_int_equal(proc_sort_field_from_string("name"), PROC_SORT_NAME);
        assert_int_equal(proc_sort_field_from_string("user"), PROC_SORT_USER);
        assert_int_equal(proc_sort_field_from_string("state"), PROC_SORT_STATE);
        assert_int_equal(proc_sort_field_from_string("cpu"), PROC_SORT_CPU);
        assert_int_equal(proc_sort_field_from_string("cpu_percent"), PROC_SORT_CPU);
        assert_int_equal(proc_sort_field_from_string("rss"), PROC_SORT_RSS);
        assert_int_equal(proc_sort_field_from_string("memory"), PROC_SORT_RSS);
        assert_int_equal(proc_sort_field_from_string("mem"), PROC_SORT_RSS);
        assert_int_equal(proc_sort_field_from_string("threads"), PROC_SORT_THREADS);
        assert_int_equal(proc_sort_field_from_string("start_time"), PROC_SORT_START_TIME);
        assert_int_equal(proc_sort_field_from_string("cmdline"), PROC_SORT_CMDLINE);
        assert_int_equal(proc_sort_field_from_string("CPU"), PROC_SORT_CPU);
        assert_int_equal(proc_sort_field_from_string("-cpu"), _PROC_SORT_INVALID);
        assert_int_equal(proc_sort_field_from_string(""), _PROC_SORT_INVALID);
        assert_int_equal(proc_sort_field_from_string("pi"), _PROC_SORT_INVALID);
        assert_int_equal(proc_sort_field_from_string(NULL), _PROC_SORT_INVALID);

        assert_int_equal(proc_sort_spec_from_string("-rss", &f, &desc), 0);
        assert_int_equal(f, PROC_SORT_RSS);
        assert_true(desc);
        assert_int_equal(proc_sort_spec_from_string("name", &f, &desc), 0);
        assert_int_equal(f, PROC_SORT_NAME);
        assert_false(desc);
        assert_int_equal(proc_sort_spec_from_string(NULL, &f, &desc), 0);
        assert_int_equal(f, PROC_SORT_PID);
        assert_false(desc);
        assert_int_equal(proc_sort_spec_from_string("-", &f, &desc), -EINVAL);
        assert_int_equal(proc_sort_spec_from_string("--pid", &f, &desc), -EINVAL);
        assert_int_equal(proc_sort_spec_from_string("bogus", &f, &desc), -EINVAL);
}

/* Five processes; each sortable field has a tie between pids 3 and 9. */
static const ProcessInfo sort_data[] = {
        { .pid = 9, .ppid = 1, .name = "b", .user = "bob",   .state = 'S', .cpu_percent = 5.0,
          .rss = 200, .threads = 2, .start_ticks = 50, .cmdline = "b x" },
        { .pid = 3, .ppid = 1, .name = "b", .user = "bob",   .state = 'S', .cpu_percent = 5.0,
          .rss = 200, .threads = 2, .start_ticks = 50, .cmdline = "b x" },
        { .pid = 7, .ppid = 0, .name = "a", .user = "alice", .state = 'R', .cpu_percent = 0.5,
          .rss = 100, .threads = 1, .start_ticks = 10, .cmdline = "a" },
        { .pid = 1, .ppid = 5, .name = "c", .user = "carol", .state = 'Z', .cpu_percent = 9.0,
          .rss = 300, .threads = 8, .start_ticks = 90, .cmdline = "c" },
        { .pid = 5, .ppid = 3, .name = "d", .user = "dave",  .state = 'I', .cpu_percent = 7.0,
          .rss = 250, .threads = 4, .start_ticks = 70, .cmdline = NULL },
};

static void check_order(ProcSortField field, bool desc, const pid_t want[5]) {
        const ProcessInfo *v[5];

        for (size_t i = 0; i < 5; i++)
                v[i] = &sort_data[i];
        proc_sort(v, 5, field, desc);
        for (size_t i = 0; i < 5; i++)
                if (v[i]->pid != want[i])
                        fail_msg("field %d %s: position %zu is pid %d, want %d", (int) field,
                                 desc ? "desc" : "asc", i, (int) v[i]->pid, (int) want[i]);
}

static void test_sort(void **state) {
        /* ascending, then descending; the tie 3/9 stays pid-ascending both ways */
        check_order(PROC_SORT_PID, false, (pid_t[]) { 1, 3, 5, 7, 9 });
        check_order(PROC_SORT_PID, true, (pid_t[]) { 9, 7, 5, 3, 1 });
        check_order(PROC_SORT_PPID, false, (pid_t[]) { 7, 3, 9, 5, 1 });
        check_order(PROC_SORT_PPID, true, (pid_t[]) { 1, 5, 3, 9, 7 });
        check_order(PROC_SORT_NAME, false, (pid_t[]) { 7, 3, 9, 1, 5 });
        check_order(PROC_SORT_NAME, true, (pid_t[]) { 5, 1, 3, 9, 7 });
        check_order(PROC_SORT_USER, false, (pid_t[]) { 7, 3, 9, 1, 5 });
        check_order(PROC_SORT_USER, true, (pid_t[]) { 5, 1, 3, 9, 7 });
        check_order(PROC_SORT_STATE, false, (pid_t[]) { 5, 7, 3, 9, 1 });
        check_order(PROC_SORT_STATE, true, (pid_t[]) { 1, 3, 9, 7, 5 });
        check_order(PROC_SORT_CPU, false, (pid_t[]) { 7, 3, 9, 5, 1 });
        check_order(PROC_SORT_CPU, true, (pid_t[]) { 1, 5, 3, 9, 7 });
        check_order(PROC_SORT_RSS, false, (pid_t[]) { 7, 3, 9, 5, 1 });
        check_order(PROC_SORT_RSS, true, (pid_t[]) { 1, 5, 3, 9, 7 });
        check_order(PROC_SORT_THREADS, false, (pid_t[]) { 7, 3, 9, 5, 1 });
        check_order(PROC_SORT_THREADS, true, (pid_t[]) { 1, 5, 3, 9, 7 });
        check_order(PROC_SORT_START_TIME, false, (pid_t[]) { 7, 3, 9, 5, 1 });
        check_order(PROC_SORT_START_TIME, true, (pid_t[]) { 1, 5, 3, 9, 7 });
        /* a NULL cmdline sorts like "" */
        check_order(PROC_SORT_CMDLINE, false, (pid_t[]) { 5, 7, 3, 9, 1 });
        check_order(PROC_SORT_CMDLINE, true, (pid_t[]) { 1, 3, 9, 7, 5 });

        /* degenerate sizes do nothing */
        proc_sort(NULL, 0, PROC_SORT_PID, false);
}

/* ---------------------------------------------------------------------------
 * JSON */

static void test_json_object(void **state) {
        ProcessInfo p = {
                .pid = 42, .ppid = 1, .name = "worker", .uid = 0, .user = "root", .state = 'S',
                .cpu_percent = 12.345, .rss = 8192, .threads = 3, .start_time = 1700000123,
                .cmdline = "worker --flag",
        };
        static const char *const keys[] = {
                "pid", "ppid", "name", "user", "state", "cpu_percent", "rss", "threads",
                "start_time", "cmdline", "managed", "unit",
        };
        _cleanup_(json_decrefp) json_t *o = NULL, *m = NULL;

        o = process_info_to_json(&p, false, NULL);
        assert_non_null(o);
        assert_int_equal(json_object_size(o), sizeof(keys) / sizeof(keys[0]));
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (!json_object_get(o, keys[i]))
                        fail_msg("member '%s' missing", keys[i]);

        assert_true(json_is_integer(json_object_get(o, "pid")));
        assert_int_equal(json_integer_value(json_object_get(o, "pid")), 42);
        assert_int_equal(json_integer_value(json_object_get(o, "ppid")), 1);
        assert_string_equal(json_string_value(json_object_get(o, "name")), "worker");
        assert_string_equal(json_string_value(json_object_get(o, "user")), "root");
        assert_string_equal(json_string_value(json_object_get(o, "state")), "S");
        assert_true(json_is_real(json_object_get(o, "cpu_percent")));
        assert_float_equal(json_real_value(json_object_get(o, "cpu_percent")), 12.3, 1e-9);
        assert_int_equal(json_integer_value(json_object_get(o, "rss")), 8192);
        assert_int_equal(json_integer_value(json_object_get(o, "threads")), 3);
        assert_int_equal(json_integer_value(json_object_get(o, "start_time")), 1700000123);
        assert_string_equal(json_string_value(json_object_get(o, "cmdline")), "worker --flag");
        assert_true(json_is_false(json_object_get(o, "managed")));
        assert_true(json_is_null(json_object_get(o, "unit")));

        m = process_info_to_json(&p, true, "procmgr-42.scope");
        assert_non_null(m);
        assert_true(json_is_true(json_object_get(m, "managed")));
        assert_string_equal(json_string_value(json_object_get(m, "unit")), "procmgr-42.scope");
}

static void test_json_sanitized(void **state) {
        ProcessInfo p = {
                .pid = 43, .name = "bad\xc3\x28utf", .uid = 1234, .user = NULL, .state = 'R',
                .cpu_percent = -1.0, .cmdline = "echo \xff\xfe", .start_time = 1,
        };
        _cleanup_(json_decrefp) json_t *o = NULL;
        _cleanup_free_ char *s = NULL;

        o = process_info_to_json(&p, false, "u\xff");
        assert_non_null(o);
        assert_string_equal(json_string_value(json_object_get(o, "name")), "bad\xef\xbf\xbd(utf");
        assert_string_equal(json_string_value(json_object_get(o, "cmdline")), "echo \xef\xbf\xbd\xef\xbf\xbd");
        assert_string_equal(json_string_value(json_object_get(o, "unit")), "u\xef\xbf\xbd");
        /* no user name: the uid as a string */
        assert_string_equal(json_string_value(json_object_get(o, "user")), "1234");
        assert_float_equal(json_real_value(json_object_get(o, "cpu_percent")), 0.0, 0);
        /* NULL cmdline → "" */
        p.cmdline = NULL;
        json_decref(o);
        o = process_info_to_json(&p, false, NULL);
        assert_string_equal(json_string_value(json_object_get(o, "cmdline")), "");

        s = json_dumps(o, JSON_COMPACT);
        assert_non_null(s);
}

static void test_json_fixture_roundtrip(void **state) {
        _cleanup_(proc_table_freep) ProcTable *t = NULL;
        _cleanup_(json_decrefp) json_t *a = NULL, *back = NULL;
        _cleanup_free_ char *s = NULL;
        json_error_t err;

        /* every fixture process, odd bytes included, survives dump and load */
        assert_int_equal(proc_table_new(open_fixture("basic"), &t), 0);
        assert_int_equal(proc_table_scan(t), 0);
        a = json_array();
        for (size_t i = 0; i < proc_table_count(t); i++) {
                json_t *o = process_info_to_json(proc_table_get(t, i), false, NULL);

                assert_non_null(o);
                assert_int_equal(json_array_append_new(a, o), 0);
        }
        s = json_dumps(a, JSON_COMPACT);
        assert_non_null(s);
        back = json_loads(s, 0, &err);
        assert_non_null(back);
        assert_int_equal(json_array_size(back), proc_table_count(t));
        assert_string_equal(json_string_value(json_object_get(json_array_get(back, 5), "name")), "new\nline");
        assert_string_equal(json_string_value(json_object_get(json_array_get(back, 4), "name")), "bad\xef\xbf\xbd(utf");
}

/* The hand-written LIST serializer writes exactly what jansson makes of the json_t. */
static void check_writer_matches(const ProcessInfo *p, bool managed, const char *unit) {
        _cleanup_(json_decrefp) json_t *o = oracle_process_json(p, managed, unit);
        _cleanup_(json_decrefp) json_t *parsed = process_info_to_json(p, managed, unit);
        _cleanup_free_ char *want = NULL, *got = NULL, *again = NULL;
        JsonWriter w = {};
        size_t len;

        assert_non_null(o);
        want = reply_serialize(o, &len);
        assert_non_null(want);
        want[len - 1] = '\0';          /* without the newline */
        process_info_write_json(&w, p, managed, unit);
        got = json_writer_steal(&w, &len);
        assert_non_null(got);
        assert_string_equal(got, want);
        assert_int_equal(len, strlen(want));

        /* STATUS' json_t, parsed from the writer's text, dumps the same bytes again */
        assert_non_null(parsed);
        again = reply_serialize(parsed, &len);
        assert_non_null(again);
        again[len - 1] = '\0';
        assert_string_equal(again, want);
}

static void test_json_writer_matches_jansson(void **state) {
        _cleanup_(proc_table_freep) ProcTable *t = NULL;
        static const double cpus[] = { 0.0, 0.04, 0.05, 0.1, 7.7, 12.0, 99.95, 100.0, 1234567.8, -1.0, 1e13 };
        ProcessInfo p = {
                .pid = 42, .ppid = 1, .name = "a\x01\x1f\x7f/\"\\\b\f\n\r\t\xc3\xa9\xff",
                .uid = 1000, .user = "us\"er", .state = 'S', .rss = UINT64_MAX, .threads = 3,
                .start_time = 1700000000, .cmdline = "x \xe2\x82\xac \xed\xa0\x80",
        };

        for (size_t i = 0; i < ELEMENTSOF(cpus); i++) {
                p.cpu_percent = cpus[i];
                check_writer_matches(&p, false, NULL);
        }
        p.cpu_percent = 0.0 / 0.0;
        check_writer_matches(&p, true, "procmgr-42.scope");
        p.user = NULL;
        p.state = (char) 0xfe;
        p.cmdline = NULL;
        check_writer_matches(&p, true, "u\xff");

        /* every fixture process */
        assert_int_equal(proc_table_new(open_fixture("basic"), &t), 0);
        assert_int_equal(proc_table_scan(t), 0);
        for (size_t i = 0; i < proc_table_count(t); i++)
                check_writer_matches(proc_table_get(t, i), i % 2, i % 3 ? NULL : "procmgr-x.scope");
}

/* An incremental scan gives what a full one gives; read_one during it and while pinned
 * leaves the table alone. */
static void test_scan_incremental(void **state) {
        _cleanup_(proc_table_freep) ProcTable *a = NULL, *b = NULL;
        const ProcessInfo *p = NULL;
        int r;

        assert_int_equal(proc_table_new(open_fixture("basic"), &a), 0);
        assert_int_equal(proc_table_new(open_fixture("basic"), &b), 0);
        assert_int_equal(proc_table_scan(a), 0);
        assert_int_equal(proc_table_scan(b), 0);

        assert_int_equal(proc_table_scan_begin(b), 0);
        assert_true(proc_table_scanning(b));
        assert_int_equal(proc_table_scan_begin(b), -EBUSY);
        r = proc_table_scan_step(b, 1);
        assert_int_equal(r, 1);
        assert_int_equal(proc_table_read_one(b, 42, &p), 0);
        assert_int_equal(p->pid, 42);
        assert_string_equal(p->name, "a b) (c");
        assert_int_equal(proc_table_read_one(b, 31337, &p), -ESRCH);
        while ((r = proc_table_scan_step(b, 1)) > 0)
                ;
        assert_int_equal(r, 0);
        assert_false(proc_table_scanning(b));
        assert_int_equal(proc_table_count(b), proc_table_count(a));
        for (size_t i = 0; i < proc_table_count(a); i++) {
                assert_int_equal(proc_table_get(b, i)->pid, proc_table_get(a, i)->pid);
                assert_string_equal(proc_table_get(b, i)->cmdline, proc_table_get(a, i)->cmdline);
        }

        /* pinned: the entries stay where they are */
        proc_table_pin(b);
        p = proc_table_get(b, 0);
        assert_int_equal(proc_table_read_one(b, 42, &p), 0);
        assert_ptr_not_equal(p, proc_table_get(b, proc_table_count(b) - 1));
        assert_int_equal(proc_table_count(b), proc_table_count(a));
        proc_table_unpin(b);

        /* a scan abandoned half way (table freed) leaks nothing: checked by valgrind/ASan */
        assert_int_equal(proc_table_scan_begin(b), 0);
        assert_int_equal(proc_table_scan_step(b, 2), 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_scan_fixture),
                cmocka_unit_test(test_read_one_fixture),
                cmocka_unit_test(test_user_names),
                cmocka_unit_test_setup_teardown(test_cpu_percent_delta, tree_setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_cmdline_cache, tree_setup, tree_teardown),
                cmocka_unit_test_setup_teardown(test_cmdline_truncated, tree_setup, tree_teardown),
                cmocka_unit_test(test_scan_real_proc),
                cmocka_unit_test(test_sort_field_from_string),
                cmocka_unit_test(test_sort),
                cmocka_unit_test(test_json_object),
                cmocka_unit_test(test_json_sanitized),
                cmocka_unit_test(test_json_fixture_roundtrip),
                cmocka_unit_test(test_json_writer_matches_jansson),
                cmocka_unit_test(test_scan_incremental),
        };

        clk_tck = sysconf(_SC_CLK_TCK);
        page_size = (uint64_t) sysconf(_SC_PAGESIZE);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
