/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * /proc reading for LIST and STATUS: a ProcTable that scans a proc directory
 * (given as a dir fd, so tests use fixture trees) and keeps what cannot change
 * for a live (pid, start time): user name, cmdline, start time — and the
 * previous CPU sample, so cpu_percent is the share of one CPU since the last
 * scan, as top shows it. Processes that vanish mid-scan are skipped. Never
 * logs above debug. Returns C structs only: turning a ProcessInfo into JSON is
 * process-json's job, at the command edge.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/macro.h"

typedef struct ProcessInfo {
        pid_t pid;
        pid_t ppid;
        char name[64];          /* comm, may contain any byte but NUL */
        uid_t uid;              /* real uid */
        const char *user;       /* name or decimal uid, never NULL in a table entry; owned by the
                                 * table's user cache: valid until proc_table_free() */
        char state;             /* R, S, D, Z, T, t, I, X … */
        double cpu_percent;     /* of one CPU over the sampling interval */
        uint64_t rss;           /* bytes */
        unsigned threads;
        uint64_t start_ticks;   /* /proc/<pid>/stat field 22: with pid, the identity of a process */
        uint64_t start_time;    /* seconds since the epoch */
        uint64_t cpu_ticks;     /* utime + stime */
        const char *cmdline;    /* args joined by spaces, "" for kernel threads, valid UTF-8, at
                                 * most 4 KiB of argv; owned by the table: valid until the next
                                 * scan/read_one */
} ProcessInfo;

typedef enum ProcSortField {
        PROC_SORT_PID,
        PROC_SORT_PPID,
        PROC_SORT_NAME,
        PROC_SORT_USER,
        PROC_SORT_STATE,
        PROC_SORT_CPU,          /* "cpu" and "cpu_percent" */
        PROC_SORT_RSS,          /* "rss" and "memory"/"mem" */
        PROC_SORT_THREADS,
        PROC_SORT_START_TIME,
        PROC_SORT_CMDLINE,
        _PROC_SORT_MAX,
        _PROC_SORT_INVALID = -EINVAL,
} ProcSortField;

ProcSortField proc_sort_field_from_string(const char *s);
/* A LIST `sort` value: a field name with an optional '-' prefix (descending).
 * NULL means the default, "pid" ascending. 0 or -EINVAL. */
int proc_sort_spec_from_string(const char *s, ProcSortField *ret_field, bool *ret_descending);

typedef struct ProcTable ProcTable;

/* proc_fd: an O_DIRECTORY fd of a proc tree (taken over), or -1 for /proc. */
int proc_table_new(int proc_fd, ProcTable **ret);
ProcTable *proc_table_free(ProcTable *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(ProcTable *, proc_table_free);

/* Rescan every process. Entries stay valid until the next scan/read_one. */
int proc_table_scan(ProcTable *t);
/* The same in slices, so a daemon can serve others in between: begin lists the pids,
 * each step reads at most max of them (> 0: more to do, 0: done, the entries are the new
 * scan's; < 0: failed, the table is empty). Between begin and the end, proc_table_count()
 * and proc_table_get() must not be used; read_one works (without touching the table). */
int proc_table_scan_begin(ProcTable *t);
int proc_table_scan_step(ProcTable *t, size_t max);
bool proc_table_scanning(const ProcTable *t);
/* While pinned, entry pointers stay valid: read_one answers from a slot of its own instead
 * of updating or inserting entries. Scans must not run while pinned. */
void proc_table_pin(ProcTable *t);
/* Gives back the scan's scratch memory (an idle daemon keeps only the entries). */
void proc_table_trim(ProcTable *t);
void proc_table_unpin(ProcTable *t);
size_t proc_table_count(const ProcTable *t);
const ProcessInfo *proc_table_get(const ProcTable *t, size_t i);

/* Read one process now (STATUS, STOP). -ESRCH if it does not exist. The returned
 * pointer stays valid until the next scan/read_one. Unless a scan is under way or the
 * table is pinned, the entry is updated or inserted in the table. */
int proc_table_read_one(ProcTable *t, pid_t pid, const ProcessInfo **ret);

/* Just the start time ticks of pid (cheap; for pid-reuse checks). -ESRCH if gone. */
int proc_get_start_ticks(ProcTable *t, pid_t pid, uint64_t *ret);

/* Sort an array of pointers in place; ties broken by pid. */
void proc_sort(const ProcessInfo **v, size_t n, ProcSortField field, bool descending);

/* uid → name through NSS, cached; decimal uid when unknown. Owned by the table. */
const char *proc_table_user_name(ProcTable *t, uid_t uid);
