/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * OOM kills of cgroup v2 scopes, as they happen. The kernel signals a change
 * of a cgroup's memory.events as an inotify IN_MODIFY (cgroup-v2.rst, "A value
 * change in this file generates a file modified event"); one inotify instance
 * serves every watched scope, a source of the event loop. On each change the
 * file is read through a descriptor opened when the watch was added, while the
 * cgroup still exists, and an "oom_kill" count above 0 is remembered. So the
 * answer no longer depends on reading before systemd removes the emptied
 * scope (the late read's race, docs/protocol.md "OOM").
 *
 * Must NOT: know Managed records or units; signal or decide anything; poll.
 */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "shared/macro.h"

typedef struct OomWatcher OomWatcher;
typedef struct OomWatch OomWatch;

int oom_watcher_new(sd_event *e, OomWatcher **ret);
/* Frees the watches still added too (their owners must not use them after). */
OomWatcher *oom_watcher_free(OomWatcher *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(OomWatcher *, oom_watcher_free);

/* Watch path, a memory.events file. Reads it once now (a kill before the watch
 * counts too). */
int oom_watch_add(OomWatcher *w, const char *path, OomWatch **ret);
/* Whether an OOM kill was seen: takes the notifications still pending first, then
 * reads the file once more if it is still there. */
bool oom_watch_killed(OomWatch *x);
OomWatch *oom_watch_free(OomWatch *x);

/* "oom_kill N" with N > 0 in the text of a memory.events (or v1 memory.oom_control). */
bool oom_kill_counted(const char *text);
