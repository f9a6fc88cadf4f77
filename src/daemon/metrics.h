/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * METRICS: the figures in the Prometheus text exposition format 0.0.4. Reads a
 * managed process's figures from its scope's cgroup (cgroup v2 files, or the
 * v1 controllers' equivalents on a hybrid host) or, without a scope (direct
 * backend), from /proc/<pid>; renders the host sample and those figures as
 * metric families named procmgr_*. Readers take a proc dir fd and a cgroup
 * root dir fd (fixture trees in tests). Must NOT: build JSON (command-metrics.c
 * wraps the text), log above debug, or emit a series per unmanaged process
 * (only managed processes get series, labelled name/unit/user).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "daemon/sysinfo.h"

#define METRICS_UNKNOWN UINT64_MAX

/* What one managed process shows; METRICS_UNKNOWN where a figure cannot be had. */
typedef struct ProcessFigures {
        uint64_t memory_current;        /* bytes */
        uint64_t memory_peak;           /* bytes */
        uint64_t cpu_usec;              /* user + system */
        uint64_t tasks;
        uint64_t oom_kills;
        bool up;
} ProcessFigures;

#define PROCESS_FIGURES_UNKNOWN                                                          \
        ((ProcessFigures) { METRICS_UNKNOWN, METRICS_UNKNOWN, METRICS_UNKNOWN, METRICS_UNKNOWN, \
                            METRICS_UNKNOWN, false })

/* The figures of the cgroup pid is in (its scope): /proc/<pid>/cgroup below proc_fd names
 * it, the files are read below cgroup_fd (cgroup v2: memory.current, memory.peak, cpu.stat,
 * memory.events, pids.current; v1: the memory, cpuacct and pids controllers' equivalents).
 * Returns 0 when at least one figure was read (up set), -ENOENT/-ENODATA when none. */
int metrics_read_cgroup(int proc_fd, int cgroup_fd, pid_t pid, ProcessFigures *ret);

/* The figures of the process pid from /proc/<pid>/stat alone (RSS, utime+stime, threads);
 * no peak, no OOM kills. start_ticks != 0: a process with another start time is not it.
 * Returns 0, or -ESRCH when it is gone. */
int metrics_read_proc(int proc_fd, pid_t pid, uint64_t start_ticks, ProcessFigures *ret);

/* The aggregate "cpu" line of /proc/stat, in USER_HZ ticks per mode (user nice system
 * idle iowait irq softirq steal; *ret_n of them, at least 4). */
#define METRICS_CPU_MODES 8
int metrics_read_cpu_ticks(int proc_fd, uint64_t ticks[METRICS_CPU_MODES], unsigned *ret_n);

typedef struct MetricsProcess {
        const char *name;
        const char *unit;       /* "" without a scope */
        const char *user;
        uint64_t restarts;
        ProcessFigures figures;
} MetricsProcess;

typedef struct MetricsInput {
        const SysInfoSample *sample;
        const uint64_t *cpu_ticks;      /* NULL: no CPU family */
        unsigned n_cpu_ticks;
        long ticks_per_second;
        const char *backend;
        const char *version;
        MetricsProcess *processes;      /* sorted and merged in place */
        size_t n_processes;
} MetricsInput;

/* The whole exposition into f. Processes with identical labels (the direct backend has
 * no unit to tell them apart) are merged into one series set: figures summed, up if any
 * is. Returns 0 or -EIO when f failed. */
int metrics_render(MetricsInput *in, FILE *f);

/* A label value as the exposition format wants it between quotes: \ " and newline
 * escaped, invalid UTF-8 replaced by U+FFFD. */
void metrics_write_label_value(FILE *f, const char *s);
