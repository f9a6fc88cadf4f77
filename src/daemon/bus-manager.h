/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The D-Bus API org.procmgr1 (PROTOCOL.md, "The D-Bus API"): the name on the
 * system bus connection the manager already has, org.procmgr1.Manager at
 * /org/procmgr1 with the ObjectManager, the Process objects below it
 * (bus-process.c), and the signals: ProcessStarted/ProcessExited and
 * InterfacesAdded/Removed from the process-events hub, PropertiesChanged for
 * NManaged. Methods go through the adapter (bus-call.c) to dispatch.
 *
 * Must NOT: build JSON, decide access, or hook into the backends (events come
 * from process-events.h; the managed table is only read).
 */

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "daemon/bus-call.h"

typedef struct ProcessEventSubscription ProcessEventSubscription;

typedef struct BusApi {
        Manager *manager;
        sd_bus *bus;                    /* the manager's; a reference */
        BusCalls calls;
        sd_bus_slot *manager_slot, *object_manager_slot, *process_slot, *enumerator_slot;
        ProcessEventSubscription *events;
        sd_event_source *nmanaged_changed;      /* a defer source: one PropertiesChanged per loop turn */
        bool name_owned;
} BusApi;

/* Serves the API on bus and requests the name (without queueing: a second daemon on the
 * same bus leaves the API off and says so). < 0 only on OOM or a registration error. */
int bus_api_new(Manager *m, sd_bus *bus, BusApi **ret);
BusApi *bus_api_free(BusApi *a);

/* The bus name while owned, else NULL (INFO, the journal). Inline: INFO reads it without
 * linking the bus front end into the handlers. */
static inline const char *bus_api_name(const BusApi *a) {
        return a && a->name_owned ? BUS_NAME : NULL;
}

/* For --exit-idle: no call in flight and none received within idle of now; if not,
 * *ret_next (may be NULL) is when to look again. */
bool bus_api_is_idle(const BusApi *a, usec_t now, usec_t idle, usec_t *ret_next);
/* Before an idle exit (so the bus activates a new daemon for the next call), and back
 * when the exit was called off. */
int bus_api_release_name(BusApi *a);
int bus_api_request_name(BusApi *a);
