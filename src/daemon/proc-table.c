/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process table behind LIST and STATUS (the buffer parsers it uses are
 * proc-parse.c's). A scan lists the numeric entries of
 * the proc directory (one getdents64 buffer, pids sorted), reads only
 * <pid>/stat for a process the table already knows, and merges the result with
 * the previous scan's sorted array, which prunes dead pids in the same pass.
 * What cannot change for a live (pid, start ticks) is kept: the start time and
 * the CPU baseline. The slow fields — uid and cmdline — are cached too and
 * re-read only when the process may have changed them: its comm or argv area
 * (stat fields 48/49, moved by every exec) differ, it used CPU since they were
 * read (setuid() and setproctitle() need to run), or the copy is older than
 * PROC_REFRESH_USEC. Without ptrace access to a process the kernel shows its
 * argv area as 0, and exec detection rests on the other three.
 * proc_table_read_one() always re-reads everything, so STATUS/STOP decisions
 * never see a cached uid. The uid is the real uid from the "Uid:" line of
 * <pid>/status, not the owner of the <pid> directory (one syscall cheaper, but
 * that is the effective uid, and root for every non-dumpable process). User
 * names come from NSS (getpwuid_r) once per uid for the table's lifetime,
 * misses and errors included. cmdline is read with one read() of at most
 * PROC_CMDLINE_MAX bytes; longer command lines are cut there. cpu_percent is
 * "share of one CPU" as top shows it: CPU ticks used since a baseline divided
 * by the time since it; a process the table has not seen before gets the
 * virtual baseline (0 ticks, its start), i.e. its lifetime average — that is
 * what the very first scan reports. Afterwards the baseline moves to the newest
 * sample that is at least PROC_CPU_MIN_INTERVAL_USEC old, so scans in quick
 * succession still measure over a useful interval. Time is CLOCK_BOOTTIME (the
 * base of stat field 22) on a real procfs, and the tree's "uptime" file for
 * fixture trees. Not thread-safe. Never logs above debug.
 */

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shared/dirent-util.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/time-util.h"
#include "shared/user-util.h"
#include "daemon/proc-util.h"
#include "shared/proc-parse.h"
#include "daemon/proc-table.h"

#define PID_FMT "%d"

#define SWAP(a, b)                              \
        do {                                    \
                typeof(a) _t_ = (a);            \
                (a) = (b);                      \
                (b) = _t_;                      \
        } while (0)

#define PROC_STAT_BUF 4096
#define PROC_STATUS_BUF 8192
#define PROC_CMDLINE_MAX 4096
/* Each raw byte becomes at most 3 (U+FFFD), plus the NUL. */
#define PROC_CMDLINE_OUT (PROC_CMDLINE_MAX * 3 + 1)
#define PROC_DENTS_BUF (64 * 1024)
/* uptime, stat: a few KiB even with thousands of CPUs */
#define PROC_SMALL_FILE_MAX (16 * 1024 * 1024 - 1)
#define PROC_REFRESH_USEC (10 * USEC_PER_SEC)
#define PROC_CPU_MIN_INTERVAL_USEC (100 * USEC_PER_MSEC)

typedef struct ProcEntry {
        ProcessInfo info;       /* info.cmdline points to cmdline, info.user into the user cache */
        char *cmdline;
        uint64_t arg_start, arg_end;
        uint64_t base_ticks;    /* CPU baseline */
        usec_t base_usec;
        uint64_t refresh_ticks; /* cpu_ticks when uid/cmdline were read */
        usec_t refresh_usec;
} ProcEntry;

struct ProcTable {
        int proc_fd;
        bool is_procfs;
        long clk_tck;
        uint64_t page_size;
        uint64_t btime;         /* seconds since the epoch, from <proc>/stat */

        ProcEntry *entries;     /* sorted by pid */
        size_t n_entries, n_alloc;
        ProcEntry *next;        /* scratch for the merge, swapped with entries */
        size_t n_next_alloc;

        pid_t *pids;            /* scratch: the pids of one scan */
        size_t n_pids_alloc;

        UidNameCache users;

        char *dents;            /* getdents64 buffer */

        /* An incremental scan in progress (proc_table_scan_begin/step): the merge of
         * entries[scan_old…] and pids[scan_i…] into next[0…scan_n). */
        bool scanning, scan_listing, scan_sorted;
        size_t scan_i, scan_n_pids, scan_old, scan_n;
        unsigned pins;          /* readers holding entry pointers across loop iterations */
        ProcEntry one;          /* read_one's result while the entries must not move */

        char stat_buf[PROC_STAT_BUF];
        char status_buf[PROC_STATUS_BUF];
        char cmdline_raw[PROC_CMDLINE_MAX];
        char cmdline_out[PROC_CMDLINE_OUT];
};

/* ---------------------------------------------------------------------------
 * Small I/O helpers */

/* "<pid>/<file>" into buf (at least 32 bytes). */
static void pid_path(char *buf, pid_t pid, const char *file) {
        char tmp[16];
        size_t n = 0, k = 0;
        unsigned v = (unsigned) pid;

        do {
                tmp[n++] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        while (n > 0)
                buf[k++] = tmp[--n];
        if (file) {
                buf[k++] = '/';
                strcpy(buf + k, file);
        } else
                buf[k] = '\0';
}

/* One open+read+close. -ESRCH when the process is gone (ENOENT/ESRCH, or an empty stat). */
static int read_pid_file(int dir_fd, pid_t pid, const char *file, char *buf, size_t size, size_t *ret_len) {
        char path[40];
        int r;

        pid_path(path, pid, file);
        r = read_virtual_file_at(dir_fd, path, buf, size, ret_len);
        return r == -ENOENT ? -ESRCH : r;
}

static int table_now(ProcTable *t, usec_t *ret) {
        _cleanup_free_ char *buf = NULL;
        int r;

        if (t->is_procfs) {
                *ret = now(CLOCK_BOOTTIME);
                return 0;
        }
        r = read_full_file_at(t->proc_fd, "uptime", PROC_SMALL_FILE_MAX, &buf, NULL);
        if (r < 0)
                return r;
        return proc_parse_uptime(buf, ret);
}

static int read_btime(int proc_fd, uint64_t *ret) {
        _cleanup_free_ char *buf = NULL;
        int r;

        r = read_full_file_at(proc_fd, "stat", PROC_SMALL_FILE_MAX, &buf, NULL);
        if (r < 0)
                return r;
        return proc_parse_btime(buf, ret);
}

/* ---------------------------------------------------------------------------
 * Users */

const char *proc_table_user_name(ProcTable *t, uid_t uid) {
        if (!t)
                return NULL;
        return uid_name_cache_get(&t->users, uid);
}

/* ---------------------------------------------------------------------------
 * Table */

int proc_table_new(int proc_fd, ProcTable **ret) {
        _cleanup_(proc_table_freep) ProcTable *t = NULL;
        _cleanup_close_ int fd = proc_fd;
        long v;
        int r;

        if (!ret)
                return -EINVAL;
        fd = proc_root_open(TAKE_FD(fd));
        if (fd < 0)
                return fd;

        t = calloc(1, sizeof(ProcTable));
        if (!t)
                return -ENOMEM;
        t->proc_fd = TAKE_FD(fd);
        t->is_procfs = fd_is_procfs(t->proc_fd);
        v = sysconf(_SC_CLK_TCK);
        t->clk_tck = v > 0 ? v : 100;
        v = sysconf(_SC_PAGESIZE);
        t->page_size = v > 0 ? (uint64_t) v : 4096;

        r = read_btime(t->proc_fd, &t->btime);
        if (r < 0)
                return r;

        t->dents = malloc(PROC_DENTS_BUF);
        if (!t->dents)
                return -ENOMEM;

        *ret = TAKE_PTR(t);
        return 0;
}

static void entry_done(ProcEntry *e) {
        free(e->cmdline);
        e->cmdline = NULL;
        e->info.cmdline = NULL;
}

static void scan_abort(ProcTable *t);

ProcTable *proc_table_free(ProcTable *t) {
        if (!t)
                return NULL;
        scan_abort(t);
        for (size_t i = 0; i < t->n_entries; i++)
                entry_done(&t->entries[i]);
        entry_done(&t->one);
        free(t->entries);
        free(t->next);
        free(t->pids);
        uid_name_cache_done(&t->users);
        free(t->dents);
        safe_close(t->proc_fd);
        free(t);
        return NULL;
}

size_t proc_table_count(const ProcTable *t) {
        return t ? t->n_entries : 0;
}

const ProcessInfo *proc_table_get(const ProcTable *t, size_t i) {
        if (!t || i >= t->n_entries)
                return NULL;
        return &t->entries[i].info;
}

static int grow(void **p, size_t *n_alloc, size_t need, size_t elem) {
        size_t n;
        void *v;

        if (need <= *n_alloc)
                return 0;
        n = MAX(need, *n_alloc * 2);
        n = MAX(n, (size_t) 64);
        v = realloc(*p, n * elem);
        if (!v)
                return -ENOMEM;
        *p = v;
        *n_alloc = n;
        return 0;
}

static int read_stat(ProcTable *t, pid_t pid, ProcStat *ret) {
        size_t n;
        int r;

        r = read_pid_file(t->proc_fd, pid, "stat", t->stat_buf, sizeof(t->stat_buf), &n);
        if (r < 0)
                return r;
        if (n == 0)
                return -ESRCH;
        r = proc_parse_stat(t->stat_buf, n, ret);
        if (r < 0)
                return log_debug_errno(r, "Cannot parse %s/" PID_FMT "/stat, skipping: %m", "proc", pid);
        if (ret->pid != pid)
                return -ESRCH; /* not ours: treat like a vanished entry */
        return 0;
}

/* Re-read real uid and cmdline. -ESRCH when the process went away meanwhile. */
static int entry_refresh_slow(ProcTable *t, ProcEntry *e, usec_t now) {
        size_t n, l;
        uid_t uid;
        char *c;
        int r;

        r = read_pid_file(t->proc_fd, e->info.pid, "status", t->status_buf, sizeof(t->status_buf), &n);
        if (r < 0)
                return r;
        r = proc_parse_status_uid(t->status_buf, n, &uid);
        if (r < 0)
                return r == -ENODATA && n == 0 ? -ESRCH : r;

        r = read_pid_file(t->proc_fd, e->info.pid, "cmdline", t->cmdline_raw, sizeof(t->cmdline_raw), &n);
        if (r < 0)
                return r;
        l = proc_cmdline_normalize(t->cmdline_raw, n, t->cmdline_out, sizeof(t->cmdline_out));

        if (!e->cmdline || strcmp(e->cmdline, t->cmdline_out) != 0) {
                c = malloc(l + 1);
                if (!c)
                        return -ENOMEM;
                memcpy(c, t->cmdline_out, l + 1);
                free(e->cmdline);
                e->cmdline = c;
        }
        e->info.cmdline = e->cmdline;

        if (!e->info.user || uid != e->info.uid) {
                const char *u = proc_table_user_name(t, uid);

                if (!u)
                        return -ENOMEM;
                e->info.user = u;
        }
        e->info.uid = uid;
        e->refresh_ticks = e->info.cpu_ticks;
        e->refresh_usec = now;
        return 0;
}

static void entry_sample_cpu(ProcTable *t, ProcEntry *e, uint64_t cpu_ticks, usec_t now) {
        if (now > e->base_usec) {
                usec_t dt = now - e->base_usec;
                uint64_t dticks = cpu_ticks >= e->base_ticks ? cpu_ticks - e->base_ticks : 0;

                e->info.cpu_percent = (double) dticks * 100.0 * (double) USEC_PER_SEC /
                                      ((double) t->clk_tck * (double) dt);
                if (dt >= PROC_CPU_MIN_INTERVAL_USEC) {
                        e->base_ticks = cpu_ticks;
                        e->base_usec = now;
                }
        }
        /* else: no time passed since the baseline, keep the last value */
        e->info.cpu_ticks = cpu_ticks;
}

/* Fill e from a fresh stat sample. e is either the cached entry of the same
 * (pid, start_ticks) (known = true) or uninitialized. */
static int entry_update(ProcTable *t, ProcEntry *e, bool known, const ProcStat *st, usec_t now, bool force) {
        uint64_t cpu_ticks = st->utime + st->stime;
        bool refresh;

        if (!known) {
                *e = (ProcEntry) {
                        .info.pid = st->pid,
                        .info.start_ticks = st->start_ticks,
                        .info.start_time = t->btime + st->start_ticks / (uint64_t) t->clk_tck,
                        .base_ticks = 0,
                        .base_usec = st->start_ticks * USEC_PER_SEC / (uint64_t) t->clk_tck,
                };
                refresh = true;
        } else
                refresh = force ||
                        strcmp(e->info.name, st->comm) != 0 ||
                        e->arg_start != st->arg_start || e->arg_end != st->arg_end ||
                        cpu_ticks != e->refresh_ticks ||
                        now < e->refresh_usec || now - e->refresh_usec >= PROC_REFRESH_USEC;

        e->info.ppid = st->ppid;
        memcpy(e->info.name, st->comm, sizeof(e->info.name));
        e->info.state = st->state;
        e->info.rss = st->rss_pages > 0 ? (uint64_t) st->rss_pages * t->page_size : 0;
        e->info.threads = st->num_threads > 0 ? (unsigned) MIN(st->num_threads, (long) UINT32_MAX) : 0;
        e->arg_start = st->arg_start;
        e->arg_end = st->arg_end;
        entry_sample_cpu(t, e, cpu_ticks, now);

        if (refresh)
                return entry_refresh_slow(t, e, now);
        return 0;
}

static int cmp_pid(const void *a, const void *b) {
        pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;

        return x < y ? -1 : x > y;
}

/* Numeric entries of the proc dir appended to t->pids[0…*n), from one getdents64() of at
 * most size bytes. Returns 1 when more may follow, 0 at the end of the directory. */
static int list_pids_chunk(ProcTable *t, size_t size, size_t *n, bool *sorted) {
        ssize_t k;

        k = getdents_chunk(t->proc_fd, t->dents, MIN(size, (size_t) PROC_DENTS_BUF));
        if (k <= 0)
                return (int) k;
        FOREACH_DIRENT_IN_BUFFER(d, t->dents, k) {
                pid_t pid = dirent_to_pid(d);

                if (pid == 0)
                        continue;
                if (grow((void **) &t->pids, &t->n_pids_alloc, *n + 1, sizeof(pid_t)) < 0)
                        return -ENOMEM;
                if (*n > 0 && t->pids[*n - 1] >= pid)
                        *sorted = false;
                t->pids[(*n)++] = pid;
        }
        return 1;
}

/* Drops the half-done merge: what was already moved to next is freed, the rest of
 * entries too; the table is empty afterwards. */
static void scan_abort(ProcTable *t) {
        if (!t->scanning)
                return;
        for (; t->scan_old < t->n_entries; t->scan_old++)
                entry_done(&t->entries[t->scan_old]);
        for (size_t i = 0; i < t->scan_n; i++)
                entry_done(&t->next[i]);
        t->n_entries = 0;
        t->scanning = false;
}

int proc_table_scan_begin(ProcTable *t) {
        if (!t)
                return -EINVAL;
        if (t->scanning)
                return -EBUSY;
        if (lseek(t->proc_fd, 0, SEEK_SET) < 0)
                return -errno;
        t->scanning = t->scan_listing = t->scan_sorted = true;
        t->scan_i = t->scan_old = t->scan_n = t->scan_n_pids = 0;
        return 0;
}

/* The listing phase of a scan: one directory read per call. */
static int scan_list_step(ProcTable *t, size_t max) {
        int r;

        /* About 24 bytes per entry: a read of max entries, at least 4 KiB. */
        r = list_pids_chunk(t, max >= PROC_DENTS_BUF / 24 ? PROC_DENTS_BUF : MAX(max * 24, (size_t) 4096),
                            &t->scan_n_pids, &t->scan_sorted);
        if (r != 0)
                return r;
        /* procfs lists pids in ascending order, fixture trees do not. */
        if (!t->scan_sorted)
                qsort(t->pids, t->scan_n_pids, sizeof(pid_t), cmp_pid);
        r = grow((void **) &t->next, &t->n_next_alloc, t->scan_n_pids, sizeof(ProcEntry));
        if (r < 0)
                return r;
        t->scan_listing = false;
        return 1;
}

bool proc_table_scanning(const ProcTable *t) {
        return t && t->scanning;
}

int proc_table_scan_step(ProcTable *t, size_t max) {
        size_t end;
        usec_t now;
        int r;

        if (!t || !t->scanning)
                return -EINVAL;
        if (t->scan_listing) {
                r = scan_list_step(t, max);
                if (r < 0)
                        scan_abort(t);
                return r < 0 ? r : 1;
        }
        /* Each step samples its own time: the CPU deltas stay exact however long the
         * whole scan takes. */
        r = table_now(t, &now);
        if (r < 0) {
                scan_abort(t);
                return r;
        }

        end = max >= t->scan_n_pids - t->scan_i ? t->scan_n_pids : t->scan_i + max;
        for (; t->scan_i < end; t->scan_i++) {
                pid_t pid = t->pids[t->scan_i];
                ProcEntry *prev = NULL, *e = &t->next[t->scan_n];
                bool known;
                ProcStat st;

                if (t->scan_i > 0 && pid == t->pids[t->scan_i - 1])
                        continue;
                /* Old entries below this pid are dead. */
                for (; t->scan_old < t->n_entries && t->entries[t->scan_old].info.pid < pid; t->scan_old++)
                        entry_done(&t->entries[t->scan_old]);
                if (t->scan_old < t->n_entries && t->entries[t->scan_old].info.pid == pid)
                        prev = &t->entries[t->scan_old++];

                r = read_stat(t, pid, &st);
                if (r < 0) {
                        if (prev)
                                entry_done(prev);
                        if (r == -ENOMEM)
                                goto fail;
                        continue; /* vanished or unreadable: skipped */
                }

                known = prev && prev->info.start_ticks == st.start_ticks;
                if (known) {
                        *e = *prev;
                        /* The old slot stays readable (read_one looks there during a scan)
                         * but no longer owns the cmdline. */
                        prev->cmdline = NULL;
                        prev->info.cmdline = NULL;
                } else if (prev)
                        entry_done(prev); /* pid reused */

                r = entry_update(t, e, known, &st, now, false);
                if (r < 0) {
                        entry_done(e);
                        if (r == -ENOMEM)
                                goto fail;
                        if (r != -ESRCH)
                                log_debug_errno(r, "Cannot read process " PID_FMT ", skipping: %m", pid);
                        continue;
                }
                t->scan_n++;
        }
        if (t->scan_i < t->scan_n_pids)
                return 1;

        for (; t->scan_old < t->n_entries; t->scan_old++)
                entry_done(&t->entries[t->scan_old]);
        SWAP(t->entries, t->next);
        SWAP(t->n_alloc, t->n_next_alloc);
        t->n_entries = t->scan_n;
        t->scanning = false;
        return 0;

fail:
        /* Keep the table consistent: drop everything, the next scan starts afresh. */
        scan_abort(t);
        return -ENOMEM;
}

int proc_table_scan(ProcTable *t) {
        int r;

        if (!t)
                return -EINVAL;
        /* Finish an incremental scan first; a full one follows. */
        while (t->scanning) {
                r = proc_table_scan_step(t, SIZE_MAX);
                if (r < 0)
                        return r;
        }
        r = proc_table_scan_begin(t);
        if (r < 0)
                return r;
        do
                r = proc_table_scan_step(t, SIZE_MAX);
        while (r > 0);
        return r;
}

void proc_table_trim(ProcTable *t) {
        if (!t || t->scanning)
                return;
        /* The merge scratch and the pid list are rebuilt by the next scan. */
        t->next = mfree(t->next);
        t->n_next_alloc = 0;
        t->pids = mfree(t->pids);
        t->n_pids_alloc = 0;
}

void proc_table_pin(ProcTable *t) {
        t->pins++;
}

void proc_table_unpin(ProcTable *t) {
        assert(t->pins > 0);
        t->pins--;
}

static ProcEntry *table_find(ProcTable *t, pid_t pid, size_t *ret_pos) {
        size_t lo = 0, hi = t->n_entries;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (t->entries[mid].info.pid < pid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (ret_pos)
                *ret_pos = lo;
        return lo < t->n_entries && t->entries[lo].info.pid == pid ? &t->entries[lo] : NULL;
}

static void table_remove(ProcTable *t, size_t pos) {
        entry_done(&t->entries[pos]);
        memmove(t->entries + pos, t->entries + pos + 1, (t->n_entries - pos - 1) * sizeof(ProcEntry));
        t->n_entries--;
}

/* read_one while the entries must not change (a scan is half done, or a reader holds
 * pointers into them): the result goes to a slot of its own, with the cached entry
 * (if any) as the CPU baseline, and the table is left as it is. */
static int read_one_detached(ProcTable *t, pid_t pid, usec_t now, const ProcessInfo **ret) {
        ProcEntry *e = table_find(t, pid, NULL);
        bool known;
        ProcStat st;
        int r;

        r = read_stat(t, pid, &st);
        if (r < 0)
                return r == -ENOMEM ? r : -ESRCH;
        entry_done(&t->one);
        known = e && e->info.start_ticks == st.start_ticks && e->info.user;
        if (known) {
                t->one = *e;
                t->one.cmdline = NULL;
                t->one.info.cmdline = NULL;
        }
        r = entry_update(t, &t->one, known, &st, now, true);
        if (r < 0) {
                entry_done(&t->one);
                return r;
        }
        if (ret)
                *ret = &t->one.info;
        return 0;
}

int proc_table_read_one(ProcTable *t, pid_t pid, const ProcessInfo **ret) {
        ProcEntry *e, fresh;
        ProcStat st;
        size_t pos;
        usec_t now;
        int r;

        if (!t || pid <= 0)
                return -EINVAL;
        r = table_now(t, &now);
        if (r < 0)
                return r;
        if (t->scanning || t->pins > 0)
                return read_one_detached(t, pid, now, ret);

        e = table_find(t, pid, &pos);
        r = read_stat(t, pid, &st);
        if (r < 0) {
                if (e)
                        table_remove(t, pos);
                return r == -ENOMEM ? r : -ESRCH;
        }

        if (e && e->info.start_ticks == st.start_ticks) {
                r = entry_update(t, e, true, &st, now, true);
                if (r < 0) {
                        table_remove(t, pos);
                        return r;
                }
                if (ret)
                        *ret = &e->info;
                return 0;
        }

        r = entry_update(t, &fresh, false, &st, now, true);
        if (r < 0) {
                entry_done(&fresh);
                if (e)
                        table_remove(t, pos);
                return r;
        }
        if (e) {
                /* pid reused since the last scan */
                entry_done(e);
                *e = fresh;
        } else {
                r = grow((void **) &t->entries, &t->n_alloc, t->n_entries + 1, sizeof(ProcEntry));
                if (r < 0) {
                        entry_done(&fresh);
                        return r;
                }
                memmove(t->entries + pos + 1, t->entries + pos, (t->n_entries - pos) * sizeof(ProcEntry));
                t->entries[pos] = fresh;
                t->n_entries++;
                e = &t->entries[pos];
        }
        if (ret)
                *ret = &e->info;
        return 0;
}

int proc_get_start_ticks(ProcTable *t, pid_t pid, uint64_t *ret) {
        ProcStat st;
        int r;

        if (!t || pid <= 0)
                return -EINVAL;
        r = read_stat(t, pid, &st);
        if (r < 0)
                return r == -ENOMEM ? r : -ESRCH;
        if (ret)
                *ret = st.start_ticks;
        return 0;
}

/* ---------------------------------------------------------------------------
 * Sorting */

static const struct {
        const char *name;
        ProcSortField field;
} sort_names[] = {
        { "pid",         PROC_SORT_PID        },
        { "ppid",        PROC_SORT_PPID       },
        { "name",        PROC_SORT_NAME       },
        { "user",        PROC_SORT_USER       },
        { "state",       PROC_SORT_STATE      },
        { "cpu",         PROC_SORT_CPU        },
        { "cpu_percent", PROC_SORT_CPU        },
        { "rss",         PROC_SORT_RSS        },
        { "memory",      PROC_SORT_RSS        },
        { "mem",         PROC_SORT_RSS        },
        { "threads",     PROC_SORT_THREADS    },
        { "start_time",  PROC_SORT_START_TIME },
        { "cmdline",     PROC_SORT_CMDLINE    },
};

ProcSortField proc_sort_field_from_string(const char *s) {
        if (!s)
                return _PROC_SORT_INVALID;
        for (size_t i = 0; i < ELEMENTSOF(sort_names); i++)
                if (strcasecmp(s, sort_names[i].name) == 0)
                        return sort_names[i].field;
        return _PROC_SORT_INVALID;
}

int proc_sort_spec_from_string(const char *s, ProcSortField *ret_field, bool *ret_descending) {
        ProcSortField f;
        bool desc = false;

        if (!s || !*s)
                s = "pid";
        else if (*s == '-') {
                desc = true;
                s++;
        }
        f = proc_sort_field_from_string(s);
        if (f < 0)
                return -EINVAL;
        if (ret_field)
                *ret_field = f;
        if (ret_descending)
                *ret_descending = desc;
        return 0;
}

#define CMP(a, b) ((a) < (b) ? -1 : (a) > (b))

static int strcmp_null(const char *a, const char *b) {
        return strcmp(a ?: "", b ?: "");
}

static int process_compare(const void *pa, const void *pb, void *userdata) {
        const ProcessInfo *a = *(const ProcessInfo *const *) pa, *b = *(const ProcessInfo *const *) pb;
        int field = ((const int *) userdata)[0], desc = ((const int *) userdata)[1], r = 0;

        switch ((ProcSortField) field) {
        case PROC_SORT_PID:
                break;
        case PROC_SORT_PPID:
                r = CMP(a->ppid, b->ppid);
                break;
        case PROC_SORT_NAME:
                r = strcmp(a->name, b->name);
                break;
        case PROC_SORT_USER:
                r = strcmp_null(a->user, b->user);
                break;
        case PROC_SORT_STATE:
                r = CMP((unsigned char) a->state, (unsigned char) b->state);
                break;
        case PROC_SORT_CPU:
                r = CMP(a->cpu_percent, b->cpu_percent);
                break;
        case PROC_SORT_RSS:
                r = CMP(a->rss, b->rss);
                break;
        case PROC_SORT_THREADS:
                r = CMP(a->threads, b->threads);
                break;
        case PROC_SORT_START_TIME:
                /* start_ticks orders finer than the whole seconds of start_time */
                r = CMP(a->start_ticks, b->start_ticks);
                break;
        case PROC_SORT_CMDLINE:
                r = strcmp_null(a->cmdline, b->cmdline);
                break;
        default:
                break;
        }
        if (r != 0)
                return desc ? -r : r;
        if (field == PROC_SORT_PID && desc)
                return CMP(b->pid, a->pid);
        return CMP(a->pid, b->pid);
}

void proc_sort(const ProcessInfo **v, size_t n, ProcSortField field, bool descending) {
        int ctx[2] = { (int) field, descending };

        if (!v || n < 2)
                return;
        qsort_r(v, n, sizeof(v[0]), process_compare, ctx);
}
