/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon-wide history of process events that WATCH streams: every event
 * the process-events hub announces gets the next sequence number and is kept,
 * already serialized as its stream line, in a ring of the newest `capacity`
 * events (at least 1024). Streams read the ring at their own pace through a
 * sequence cursor and are woken when something new arrives; the ring is
 * shared, so a watcher costs no memory per event.
 *
 * seq never goes back, across restarts too: the newest seq the daemon may use
 * is reserved in a file first (write-ahead, a block of seqs at a time, one
 * pwrite + fdatasync per block); after a restart numbering continues above the
 * reserved block (docs/protocol.md, "Event sequence numbers").
 *
 * Must NOT: call into backends, the manager or connections; block on anything
 * but the once-per-block write of the seq file.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/list.h"
#include "shared/macro.h"
#include "shared/time-util.h"
#include "daemon/process-events.h"

#define EVENT_HISTORY_CAPACITY_MIN 1024U
#define EVENT_HISTORY_CAPACITY_DEFAULT 4096U
#define EVENT_HISTORY_SEQ_BLOCK 1024U
#define EVENT_HISTORY_SEQ_FILE "event-seq"

typedef struct HistoryEvent {
        uint64_t seq;
        ProcessEventType type;
        pid_t pid;
        uid_t uid;
        char *name;
        char *unit;             /* NULL: none */
        char *line;             /* the stream line, ending in '\n' */
        size_t line_len;
} HistoryEvent;

typedef struct EventHistory EventHistory;
typedef struct EventHistoryListener EventHistoryListener;
typedef void (*EventHistoryWakeup)(void *userdata);

/* state_fd: the open seq file (read-write), or -EBADF to number from 1 without
 * persistence. Takes over state_fd. Subscribes to pe (may be NULL). */
int event_history_new(ProcessEvents *pe, int state_fd, size_t capacity, EventHistory **ret);
EventHistory *event_history_free(EventHistory *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(EventHistory *, event_history_free);

/* Opens (creating) dir/event-seq for event_history_new(); before the privilege drop. */
int event_history_open_state(const char *dir, int *ret_fd);

/* Record one event (what the hub subscription does; exposed for tests). */
int event_history_add(EventHistory *h, const ProcessEvent *ev);

/* The newest seq handed out (0: none yet, ever) and the oldest still retained
 * (last + 1 when nothing is retained). */
uint64_t event_history_last(const EventHistory *h);
uint64_t event_history_first(const EventHistory *h);
/* The retained event with this seq, or NULL. */
const HistoryEvent *event_history_get(const EventHistory *h, uint64_t seq);

/* wakeup runs (from event_history_add()) after each new event until the listener is freed. */
int event_history_listen(EventHistory *h, EventHistoryWakeup wakeup, void *userdata, EventHistoryListener **ret);
EventHistoryListener *event_history_listener_free(EventHistoryListener *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(EventHistoryListener *, event_history_listener_free);
