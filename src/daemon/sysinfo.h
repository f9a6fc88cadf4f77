/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * INFO: system figures from /proc/stat, /proc/meminfo, /proc/loadavg,
 * /proc/uptime, uname() and the hostname. Readers take a proc dir fd (fixture
 * trees in tests); the CPU percentages are deltas against the previous sample, taken at
 * most every 100 ms on a real procfs (every call on a fixture tree).
 * Never logs above debug.
 */

#include <jansson.h>

#include "shared/macro.h"

typedef struct SysInfo SysInfo;

/* proc_fd: an O_DIRECTORY fd of a proc tree (taken over), or -1 for /proc. */
int sysinfo_new(int proc_fd, SysInfo **ret);
SysInfo *sysinfo_free(SysInfo *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(SysInfo *, sysinfo_free);

/* Builds the INFO reply members of PROTOCOL.md except `backend`:
 * cpu {count, percent, per_cpu[], load[3]}, memory {total, available, used, percent},
 * swap {total, used}, uptime, hostname, kernel, processes. */
int sysinfo_collect(SysInfo *s, json_t **ret);
/* The same members written as text ("cpu":{…},…,"processes":N, no braces) into w: what
 * reply_serialize() would make of sysinfo_collect()'s object. */
typedef struct JsonWriter JsonWriter;
int sysinfo_write_json(SysInfo *s, JsonWriter *w);
