/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.procmgr1.Manager and the bus name; see bus-manager.h. Every method is
 * SD_BUS_VTABLE_UNPRIVILEGED: the bus policy lets anyone call, and dispatch
 * decides with auth.c's table as for the Unix socket.
 */

#include <string.h>

#include "daemon/backend.h"
#include "daemon/bus-manager.h"
#include "daemon/bus-process.h"
#include "daemon/manager.h"
#include "daemon/process-events.h"
#include "shared/log.h"
#include "shared/parse-util.h"

static uint32_t count_live(const Backend *b) {
        uint32_t n = 0;

        for (size_t i = 0; b && i < b->n_managed; i++)
                n += !b->managed[i]->exited;
        return n;
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_backend(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusApi *a = userdata;
        return sd_bus_message_append(reply, "s", backend_name(a->manager->backend));
}

static int property_get_nmanaged(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        BusApi *a = userdata;
        return sd_bus_message_append(reply, "u", count_live(a->manager->backend));
}

#define DEFINE_METHOD(fn, method)                                                       \
        static int fn(sd_bus_message *m, void *userdata, sd_bus_error *error) {         \
                BusApi *a = userdata;                                                   \
                return bus_call_method(&a->calls, m, method, 0, error);                 \
        }

DEFINE_METHOD(method_ping, BUS_METHOD_PING)
DEFINE_METHOD(method_list_processes, BUS_METHOD_LIST_PROCESSES)
DEFINE_METHOD(method_start, BUS_METHOD_START)
DEFINE_METHOD(method_stop, BUS_METHOD_STOP)
DEFINE_METHOD(method_get_process, BUS_METHOD_GET_PROCESS)
DEFINE_METHOD(method_get_info, BUS_METHOD_GET_INFO)

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Backend", "s", property_get_backend, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("NManaged", "u", property_get_nmanaged, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("Ping", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", version), method_ping,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListProcesses",
                                SD_BUS_ARGS("a{sv}", options),
                                SD_BUS_RESULT("a(uuussstdtus)", processes),
                                method_list_processes, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Start",
                                SD_BUS_ARGS("as", argv, "a{sv}", options),
                                SD_BUS_RESULT("u", pid, "s", unit, "o", process),
                                method_start, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Stop",
                                SD_BUS_ARGS("u", pid, "s", signal, "t", timeout_usec),
                                SD_BUS_RESULT("b", stopped, "s", exit_kind, "i", exit_value),
                                method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetProcess", SD_BUS_ARGS("u", pid), SD_BUS_RESULT("o", process),
                                method_get_process, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetInfo", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", json), method_get_info,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("ProcessStarted",
                                SD_BUS_ARGS("u", pid, "s", name, "s", unit, "o", process), 0),
        SD_BUS_SIGNAL_WITH_ARGS("ProcessExited",
                                SD_BUS_ARGS("u", pid, "s", name, "s", unit, "o", process, "s", exit_kind,
                                            "i", exit_value), 0),
        SD_BUS_VTABLE_END
};

static int on_nmanaged_changed(sd_event_source *s, void *userdata) {
        BusApi *a = userdata;
        int r;

        if (!a->name_owned)
                return 0;
        r = sd_bus_emit_properties_changed(a->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, "NManaged", NULL);
        if (r < 0)
                log_debug_errno(r, "Cannot emit PropertiesChanged for NManaged: %m");
        return 0;
}

static void on_process_event(const ProcessEvent *ev, void *userdata) {
        BusApi *a = userdata;
        const Managed *mp = ev->managed;
        _cleanup_free_ char *path = NULL;
        int r;

        /* Coalesced: NManaged is read when the loop comes round, after the table changed. */
        if (a->nmanaged_changed)
                (void) sd_event_source_set_enabled(a->nmanaged_changed, SD_EVENT_ONESHOT);
        if (!a->name_owned || !mp || !mp->name)
                return;
        r = bus_process_path(mp->name, &path);
        if (r < 0) {
                log_oom();
                return;
        }

        if (ev->type == PROCESS_EVENT_STARTED) {
                r = sd_bus_emit_signal(a->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, "ProcessStarted", "usso",
                                       (uint32_t) mp->pid, mp->name, mp->unit ?: "", path);
                if (r >= 0)
                        r = sd_bus_emit_interfaces_added(a->bus, path, BUS_PROCESS_INTERFACE, NULL);
        } else {
                const char *kind = "";
                int32_t value = 0;

                if (ev->exit && ev->exit->known) {
                        kind = ev->exit->signal ? "signal" : "code";
                        value = ev->exit->signal ?: ev->exit->code;
                }
                r = sd_bus_emit_signal(a->bus, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, "ProcessExited", "ussosi",
                                       (uint32_t) mp->pid, mp->name, mp->unit ?: "", path, kind, value);
                if (r >= 0)
                        r = sd_bus_emit_interfaces_removed(a->bus, path, BUS_PROCESS_INTERFACE, NULL);
        }
        if (r < 0)
                log_debug_errno(r, "Cannot emit the %s signals of process %i: %m",
                                process_event_type_to_string(ev->type), (int) mp->pid);
}

int bus_api_request_name(BusApi *a) {
        int r;

        if (a->name_owned)
                return 0;
        /* No queueing: a second daemon on the same bus keeps its JSON sockets and leaves the
         * name to the first. */
        r = sd_bus_request_name(a->bus, BUS_NAME, 0);
        if (r < 0)
                return r;
        a->name_owned = true;
        return 0;
}

int bus_api_release_name(BusApi *a) {
        int r;

        if (!a || !a->name_owned)
                return 0;
        a->name_owned = false;
        r = sd_bus_release_name(a->bus, BUS_NAME);
        if (r < 0)
                return log_debug_errno(r, "Cannot release %s: %m", BUS_NAME);
        return 0;
}

bool bus_api_is_idle(const BusApi *a, usec_t now, usec_t idle, usec_t *ret_next) {
        usec_t next;

        if (!a || (a->calls.n_calls == 0 && a->calls.last_call + idle <= now))
                return true;
        next = a->calls.n_calls > 0 ? now + idle : a->calls.last_call + idle;
        if (ret_next)
                *ret_next = next;
        return false;
}

BusApi *bus_api_free(BusApi *a) {
        if (!a)
                return NULL;
        bus_calls_done(&a->calls);
        process_event_subscription_free(a->events);
        sd_event_source_disable_unref(a->nmanaged_changed);
        sd_bus_slot_unref(a->enumerator_slot);
        sd_bus_slot_unref(a->process_slot);
        sd_bus_slot_unref(a->object_manager_slot);
        sd_bus_slot_unref(a->manager_slot);
        if (a->name_owned)
                (void) sd_bus_release_name(a->bus, BUS_NAME);
        sd_bus_unref(a->bus);
        free(a);
        return NULL;
}

int bus_api_new(Manager *m, sd_bus *bus, BusApi **ret) {
        BusApi *a;
        int r;

        a = calloc(1, sizeof(BusApi));
        if (!a)
                return log_oom();
        a->manager = m;
        a->bus = sd_bus_ref(bus);
        bus_calls_init(&a->calls, m);

        r = bus_error_map_register();
        if (r < 0)
                goto fail;
        r = sd_bus_add_object_vtable(bus, &a->manager_slot, BUS_MANAGER_PATH, BUS_MANAGER_INTERFACE, manager_vtable, a);
        if (r < 0)
                goto fail;
        r = sd_bus_add_object_manager(bus, &a->object_manager_slot, BUS_MANAGER_PATH);
        if (r < 0)
                goto fail;
        r = bus_process_register(a);
        if (r < 0)
                goto fail;
        r = sd_event_add_defer(m->event, &a->nmanaged_changed, on_nmanaged_changed, a);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_enabled(a->nmanaged_changed, SD_EVENT_OFF);
        (void) sd_event_source_set_description(a->nmanaged_changed, "bus-nmanaged");
        r = process_events_subscribe(m->events, on_process_event, a, &a->events);
        if (r < 0)
                goto fail;

        r = bus_api_request_name(a);
        if (r < 0)
                log_notice_errno(r, "D-Bus API off: cannot own %s on the system bus: %m "
                                    "(the JSON sockets are served as usual).", BUS_NAME);
        else
                log_info("D-Bus API on: %s on the system bus.", BUS_NAME);
        *ret = a;
        return 0;
fail:
        bus_api_free(a);
        return log_error_errno(r, "Failed to set up the D-Bus API: %m");
}
