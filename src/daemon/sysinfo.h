/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * INFO: system figures from /proc/stat, /proc/meminfo, /proc/loadavg,
 * /proc/uptime, uname() and the hostname. Readers take a proc dir fd (fixture
 * trees in tests); the CPU percentages are deltas against the previous sample, taken at
 * most every 100 ms on a real procfs (every call on a fixture tree).
 * Never logs above debug. Returns a struct: INFO's JSON is written by sysinfo-json.
 */

#include <stdint.h>

#include "shared/macro.h"

typedef struct SysInfo SysInfo;

/* One INFO sample: the members of PROTOCOL.md's INFO reply except `backend`. */
typedef struct SysInfoSample {
        unsigned n_cpus;
        double cpu_percent;             /* all CPUs, rounded to one decimal */
        const double *per_cpu_percent;  /* n_cpus of them, rounded; owned by the SysInfo:
                                         * valid until the next sample */
        double load[3];
        uint64_t mem_total, mem_available, mem_used;    /* bytes */
        double mem_percent;             /* rounded to one decimal */
        uint64_t swap_total, swap_used; /* bytes */
        double uptime;                  /* seconds, hundredths */
        char hostname[65];              /* from uname(): any bytes, not checked for UTF-8 */
        char kernel[65];                /* the release string, likewise */
        uint64_t processes;
} SysInfoSample;

/* proc_fd: an O_DIRECTORY fd of a proc tree (taken over), or -1 for /proc. */
int sysinfo_new(int proc_fd, SysInfo **ret);
SysInfo *sysinfo_free(SysInfo *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(SysInfo *, sysinfo_free);

/* The figures now (stat and meminfo at most SYSINFO_SAMPLE_MIN_USEC old on a real procfs).
 * -EBADMSG when a proc file cannot be parsed. */
int sysinfo_sample(SysInfo *s, SysInfoSample *ret);
