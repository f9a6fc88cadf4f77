/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>

#include "shared/list.h"
#include "daemon/process-events.h"

struct ProcessEventSubscription {
        ProcessEvents *owner;
        ProcessEventHandler handler;
        void *userdata;
        LIST_FIELDS(ProcessEventSubscription, subscriptions);
};

struct ProcessEvents {
        ProcessEventSubscription *subscriptions;
        /* The subscription being delivered to; its successor is looked up only after the
         * handler returns, so a handler may free its own subscription. */
        ProcessEventSubscription *next_delivery;
};

int process_events_new(ProcessEvents **ret) {
        ProcessEvents *pe = calloc(1, sizeof(ProcessEvents));

        if (!pe)
                return -ENOMEM;
        *ret = pe;
        return 0;
}

ProcessEvents *process_events_free(ProcessEvents *pe) {
        if (!pe)
                return NULL;
        /* Subscriptions outliving the hub are detached, not freed: their owners free them. */
        while (pe->subscriptions) {
                ProcessEventSubscription *s = pe->subscriptions;

                LIST_REMOVE(subscriptions, pe->subscriptions, s);
                s->owner = NULL;
        }
        free(pe);
        return NULL;
}

int process_events_subscribe(ProcessEvents *pe, ProcessEventHandler handler, void *userdata,
                             ProcessEventSubscription **ret) {
        ProcessEventSubscription *s;

        if (!pe || !handler || !ret)
                return -EINVAL;
        s = calloc(1, sizeof(ProcessEventSubscription));
        if (!s)
                return -ENOMEM;
        *s = (ProcessEventSubscription) { .owner = pe, .handler = handler, .userdata = userdata };
        LIST_PREPEND(subscriptions, pe->subscriptions, s);
        *ret = s;
        return 0;
}

ProcessEventSubscription *process_event_subscription_free(ProcessEventSubscription *s) {
        if (!s)
                return NULL;
        if (s->owner) {
                if (s->owner->next_delivery == s)
                        s->owner->next_delivery = s->subscriptions_next;
                LIST_REMOVE(subscriptions, s->owner->subscriptions, s);
        }
        free(s);
        return NULL;
}

void process_events_emit(ProcessEvents *pe, const ProcessEvent *ev) {
        if (!pe || !ev)
                return;
        for (ProcessEventSubscription *s = pe->subscriptions; s; s = pe->next_delivery) {
                pe->next_delivery = s->subscriptions_next;
                s->handler(ev, s->userdata);
        }
        pe->next_delivery = NULL;
}

const char *process_event_type_to_string(ProcessEventType t) {
        static const char *const table[_PROCESS_EVENT_TYPE_MAX] = {
                [PROCESS_EVENT_STARTED] = "started",
                [PROCESS_EVENT_EXITED] = "exited",
                [PROCESS_EVENT_STOPPED] = "stopped",
                [PROCESS_EVENT_RESTARTED] = "restarted",
                [PROCESS_EVENT_FAILED] = "failed",
        };

        return t >= 0 && t < _PROCESS_EVENT_TYPE_MAX ? table[t] : NULL;
}
