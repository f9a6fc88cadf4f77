/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Time in microseconds (usec_t, as sd-event counts it) and now() for any clock.
 * Which clock is the caller's choice and part of its meaning: CLOCK_MONOTONIC for
 * intervals and deadlines, CLOCK_BOOTTIME where /proc counts from boot (stat field
 * 22, /proc/uptime), CLOCK_REALTIME only for what is shown as a date. No I/O but
 * clock_gettime(), no logging.
 */

#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;
#define USEC_INFINITY ((usec_t) UINT64_MAX)

#define USEC_PER_SEC 1000000ULL
#define USEC_PER_MSEC 1000ULL
#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_SEC 1000000000ULL

usec_t timespec_load(const struct timespec *ts);
/* Aborts if the clock does not exist: every caller names a clock Linux always has. */
usec_t now(clockid_t clock);
