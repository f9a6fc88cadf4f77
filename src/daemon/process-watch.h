/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Knowing when a process (not necessarily our child) is gone. Watches the
 * PidRef's pidfd where the kernel has pidfds; where it does not (Linux < 5.3,
 * or under valgrind, which lacks pidfd_open) polls /proc, comparing the start
 * time, so STOP still works there and a recycled pid counts as gone. Does not
 * signal anything (that is PidRef's job).
 */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "shared/macro.h"
#include "shared/pidref.h"

typedef struct ProcessWatch ProcessWatch;
typedef void (*ProcessWatchCallback)(ProcessWatch *w, void *userdata);

/* Calls cb once, when the process pid refers to has exited. pid is borrowed: the caller
 * keeps it (and its pidfd) while the watch lives; without a pidfd the watch polls /proc
 * every 20 ms. */
int process_watch_new(sd_event *e, const PidRef *pid, ProcessWatchCallback cb, void *userdata,
                      ProcessWatch **ret);
ProcessWatch *process_watch_free(ProcessWatch *w);
