/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The one place where the life of a managed process is announced: started
 * (exec confirmed), exited (it ended by itself), stopped (a STOP ended it),
 * restarted (its restart policy started it again), failed (the policy gave up).
 * Front ends and features subscribe (the WATCH stream, D-Bus signals, restart
 * policies) instead of each hooking into the backends.
 *
 * Must NOT: call into the backends, the manager or any front end; a subscriber
 * must not subscribe or unsubscribe others while an event is delivered (it may
 * free its own subscription).
 */

#include <stdbool.h>

#include "shared/macro.h"

typedef struct Managed Managed;
typedef struct ExitStatus ExitStatus;

typedef enum ProcessEventType {
        PROCESS_EVENT_STARTED,          /* exec confirmed; the process is in its scope */
        PROCESS_EVENT_EXITED,           /* it ended by itself */
        PROCESS_EVENT_STOPPED,          /* it ended while a STOP of it was pending */
        PROCESS_EVENT_RESTARTED,        /* a restart policy started it again (managed: the new one) */
        PROCESS_EVENT_FAILED,           /* its restart policy gave up after the last exit */
        _PROCESS_EVENT_TYPE_MAX,
} ProcessEventType;

typedef struct ProcessEvent {
        ProcessEventType type;
        const Managed *managed;         /* borrowed, valid during delivery only */
        const ExitStatus *exit;         /* EXITED, STOPPED, FAILED: how it ended (exit->known may be false) */
        bool oom;                       /* EXITED, STOPPED: the kernel's OOM killer ended it (scopes only) */
        unsigned restarts;              /* RESTARTED, FAILED: restarts of its policy so far */
} ProcessEvent;

typedef void (*ProcessEventHandler)(const ProcessEvent *ev, void *userdata);

typedef struct ProcessEvents ProcessEvents;
typedef struct ProcessEventSubscription ProcessEventSubscription;

int process_events_new(ProcessEvents **ret);
ProcessEvents *process_events_free(ProcessEvents *pe);
DEFINE_TRIVIAL_CLEANUP_FUNC(ProcessEvents *, process_events_free);

/* handler is called for every event (subscribers in no defined order) until the subscription is freed. */
int process_events_subscribe(ProcessEvents *pe, ProcessEventHandler handler, void *userdata,
                             ProcessEventSubscription **ret);
ProcessEventSubscription *process_event_subscription_free(ProcessEventSubscription *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(ProcessEventSubscription *, process_event_subscription_free);

/* NULL-safe on pe: a backend without a manager (unit tests) announces to nobody. */
void process_events_emit(ProcessEvents *pe, const ProcessEvent *ev);
const char *process_event_type_to_string(ProcessEventType t);
