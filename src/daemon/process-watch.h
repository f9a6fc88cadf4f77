/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Knowing when a process (not necessarily our child) is gone, and signalling
 * it without hitting a recycled pid. Uses pidfds where the kernel has them;
 * where it does not (Linux < 5.3, or under valgrind, which lacks pidfd_open)
 * falls back to kill() and polling /proc, so STOP still works there.
 */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "shared/macro.h"
#include "shared/pidref.h"

/* Through the pidfd when there is one (pidfd >= 0), else kill(pid). */
int pid_send_signal(int pidfd, pid_t pid, int sig);

typedef struct ProcessWatch ProcessWatch;
typedef void (*ProcessWatchCallback)(ProcessWatch *w, void *userdata);

/* Calls cb once, when pid has exited. pidfd is borrowed (the caller keeps it open while
 * the watch lives); with pidfd < 0 the watch polls /proc every 20 ms. */
int process_watch_new(sd_event *e, pid_t pid, int pidfd, ProcessWatchCallback cb, void *userdata,
                      ProcessWatch **ret);
ProcessWatch *process_watch_free(ProcessWatch *w);
