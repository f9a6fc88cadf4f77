/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Checked conversions from strings: the only place that calls strtol & co.
 * All return 0 or a negative errno (-EINVAL malformed, -ERANGE out of range)
 * and never write the output on failure. Pure: no I/O, no logging.
 */

#include <stdint.h>
#include <sys/types.h>

int safe_atou(const char *s, unsigned *ret);
int safe_atoi(const char *s, int *ret);
int safe_atou64(const char *s, uint64_t *ret);
int safe_atoi64(const char *s, int64_t *ret);
int parse_pid(const char *s, pid_t *ret);             /* > 0 only */
/* "64M", "1G", "512K", "1000" (bytes, base 1024). */
int parse_size(const char *s, uint64_t *ret);
/* "TERM", "SIGTERM", "sigkill", "9" → signal number. */
int signal_from_string(const char *s);
/* 15 → "TERM"; NULL when not a known signal. */
const char *signal_to_string(int sig);
