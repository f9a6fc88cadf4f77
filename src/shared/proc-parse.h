/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Pure parsers of /proc buffers: /proc/<pid>/stat, the Uid: line of
 * /proc/<pid>/status, /proc/<pid>/cmdline, and the btime line of /proc/stat and
 * /proc/uptime. Buffer in, struct out: no I/O, no allocation, no logging, so
 * they can be fed anything (unit tests with odd bytes, a fuzzer).
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/time-util.h"

typedef struct ProcStat {
        pid_t pid;
        char comm[64];
        char state;
        pid_t ppid;
        uint64_t utime, stime;
        long num_threads;
        uint64_t start_ticks;
        long rss_pages;
        uint64_t arg_start, arg_end;    /* fields 48/49 (Linux >= 3.5), 0 when absent or hidden */
} ProcStat;
int proc_parse_stat(const char *buf, size_t len, ProcStat *ret);
/* The real uid (first number of the "Uid:" line) of a /proc/<pid>/status buffer. */
int proc_parse_status_uid(const char *buf, size_t len, uid_t *ret);
/* Turns a raw /proc/<pid>/cmdline buffer into the "args joined by spaces" form in place:
 * trailing NULs dropped, inner NULs → ' ', invalid UTF-8 → U+FFFD. Writes at most
 * size bytes including the terminating NUL (U+FFFD is longer than the byte it replaces,
 * so the result may be cut at a character boundary). Returns the new length. */
size_t proc_cmdline_normalize(const char *raw, size_t len, char *buf, size_t size);
/* The first number of /proc/uptime ("12345.67 …") in µs. */
int proc_parse_uptime(const char *s, usec_t *ret);
/* The "btime" line of /proc/stat (boot time, seconds since the epoch). -ENODATA without one. */
int proc_parse_btime(const char *buf, uint64_t *ret);
