/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The D-Bus adapter: one method call of org.procmgr1 becomes the same Call the
 * JSON front end builds (the arguments as the request's JSON members, the
 * sender as a Peer: uid/pid from the bus, its unique name as the polkit
 * subject), goes through dispatch_request() (token, access class, schema
 * validation, handler, polkit), and its JSON reply becomes the method's
 * D-Bus reply, an error reply carrying the org.procmgr.Error.* name and the
 * human message. The only bus file that touches JSON. Also the object path of
 * a process object and the error map.
 *
 * Must NOT: decide access, validate arguments beyond their D-Bus types, or
 * call a handler directly: that is dispatch's, so both front ends cannot drift.
 */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "daemon/call.h"
#include "shared/time-util.h"

#define BUS_NAME "org.procmgr1"
#define BUS_MANAGER_PATH "/org/procmgr1"
#define BUS_MANAGER_INTERFACE "org.procmgr1.Manager"
#define BUS_PROCESS_PREFIX "/org/procmgr1/process"
#define BUS_PROCESS_INTERFACE "org.procmgr1.Process"

typedef enum BusMethod {
        BUS_METHOD_PING,
        BUS_METHOD_LIST_PROCESSES,
        BUS_METHOD_START,
        BUS_METHOD_STOP,
        BUS_METHOD_GET_PROCESS,
        BUS_METHOD_GET_INFO,
        BUS_METHOD_PROCESS_STOP,        /* on the process object: target pid */
        BUS_METHOD_PROCESS_GET_LOGS,    /* likewise */
        _BUS_METHOD_MAX,
} BusMethod;

typedef struct BusCall BusCall;

/* The calls in flight of one bus connection. */
typedef struct BusCalls {
        Manager *manager;
        BusCall *calls;
        unsigned n_calls;
        usec_t last_call;               /* CLOCK_MONOTONIC: the last method call received */
} BusCalls;

void bus_calls_init(BusCalls *c, Manager *m);
/* The bus goes away: the calls finish their work and are freed when they reply. */
void bus_calls_done(BusCalls *c);

/* Runs message (a method call of `method`, on the process target for the Process methods)
 * through dispatch. Returns 1 (replied, now or later) or < 0 for sd-bus to reply with. */
int bus_call_method(BusCalls *c, sd_bus_message *message, BusMethod method, pid_t target, sd_bus_error *error);

/* /org/procmgr1/process/<escaped name>; < 0 on OOM. */
int bus_process_path(const char *name, char **ret);
/* The name an object path below BUS_PROCESS_PREFIX stands for: 1 with *ret set, 0 if the
 * path is not one (then *ret is NULL). */
int bus_process_path_decode(const char *path, char **ret);

/* The org.procmgr.Error.* names ↔ errno, for sd_bus_error_add_map(). */
int bus_error_map_register(void);
