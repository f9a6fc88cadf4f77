/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.procmgr1.Process objects; see bus-process.h. An object exists while a
 * live managed process has its name (names are escaped with
 * sd_bus_path_encode()); when two share a name, the path stands for the one
 * with the lowest pid (the managed table is sorted by pid).
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/backend.h"
#include "daemon/bus-process.h"
#include "daemon/manager.h"
#include "daemon/proc-table.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/pidref.h"
#include "shared/strv.h"
#include "shared/utf8.h"

#define CMDLINE_MAX (64U * 1024U)

static Managed *managed_by_name(Backend *b, const char *name) {
        if (!b)
                return NULL;
        for (size_t i = 0; i < b->n_managed; i++) {
                Managed *mp = b->managed[i];

                if (!mp->exited && mp->name && strcmp(mp->name, name) == 0)
                        return mp;
        }
        return NULL;
}

static int process_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                               void **found, sd_bus_error *error) {
        BusApi *a = userdata;
        _cleanup_free_ char *name = NULL;
        Managed *mp;
        int r;

        r = bus_process_path_decode(path, &name);
        if (r <= 0)
                return r;
        mp = managed_by_name(a->manager->backend, name);
        if (!mp)
                return 0;
        *found = mp;
        return 1;
}

static int process_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                                   sd_bus_error *error) {
        BusApi *a = userdata;
        Backend *b = a->manager->backend;
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;
        int r;

        for (size_t i = 0; b && i < b->n_managed; i++) {
                Managed *mp = b->managed[i];
                char *p;

                /* Only the process its path stands for, so every path is listed once. */
                if (mp->exited || !mp->name || managed_by_name(b, mp->name) != mp)
                        continue;
                r = bus_process_path(mp->name, &p);
                if (r < 0)
                        return r;
                r = strv_consume(&l, &n, p);
                if (r < 0)
                        return r;
        }
        *nodes = TAKE_PTR(l);
        return 0;
}

/* The process is still the one we started (not a later holder of its pid). */
static bool managed_is_current(const Managed *mp) {
        uint64_t ticks = 0;

        if (mp->exited)
                return false;
        if (pid_get_start_ticks(mp->pid, &ticks, NULL) < 0)
                return false;
        return mp->start_ticks == 0 || ticks == mp->start_ticks;
}

static int property_get_pid(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Managed *mp = userdata;
        return sd_bus_message_append(reply, "u", (uint32_t) mp->pid);
}

static int property_get_uid(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Managed *mp = userdata;
        return sd_bus_message_append(reply, "u", (uint32_t) mp->uid);
}

static int property_get_string(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Managed *mp = userdata;
        const char *s = "";

        if (strcmp(property, "Name") == 0)
                s = mp->name ?: "";
        else if (strcmp(property, "Unit") == 0)
                s = mp->unit ?: "";
        else if (strcmp(property, "User") == 0)
                s = proc_table_user_name(mp->backend->manager->procs, mp->uid) ?: "";
        else if (strcmp(property, "ActiveState") == 0)
                s = managed_is_current(mp) ? "active" : "inactive";
        return sd_bus_message_append(reply, "s", s);
}

/* The argv of the process, now: /proc/PID/cmdline, each word made valid UTF-8. */
static int property_get_command(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Managed *mp = userdata;
        _cleanup_free_ char *buf = NULL;
        char file[64];
        size_t len = 0;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "s");
        if (r < 0)
                return r;
        (void) snprintf(file, sizeof(file), "/proc/%i/cmdline", (int) mp->pid);
        if (managed_is_current(mp) && read_full_file_at(AT_FDCWD, file, CMDLINE_MAX, &buf, &len) >= 0 &&
            managed_is_current(mp)) {
                for (size_t i = 0; i < len;) {
                        const char *w = buf + i;
                        size_t wl = strnlen(w, len - i);

                        if (utf8_is_valid(w, wl))
                                r = sd_bus_message_append(reply, "s", w);
                        else {
                                _cleanup_free_ char *clean = malloc(UTF8_SANITIZED_MAX(wl));

                                if (!clean)
                                        return -ENOMEM;
                                (void) utf8_sanitize(w, wl, 0, clean, UTF8_SANITIZED_MAX(wl));
                                r = sd_bus_message_append(reply, "s", clean);
                        }
                        if (r < 0)
                                return r;
                        i += wl + 1;
                }
        }
        return sd_bus_message_close_container(reply);
}

/* MemoryCurrent (resident bytes) and CPUUsageNSec of the process from /proc; UINT64_MAX
 * when it is gone, as systemd says "not known". */
static int property_get_usage(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Managed *mp = userdata;
        const ProcessInfo *p = NULL;
        uint64_t v = UINT64_MAX;
        long hz = sysconf(_SC_CLK_TCK);

        if (!mp->exited && proc_table_read_one(mp->backend->manager->procs, mp->pid, &p) >= 0 &&
            (mp->start_ticks == 0 || p->start_ticks == mp->start_ticks)) {
                if (strcmp(property, "MemoryCurrent") == 0)
                        v = p->rss;
                else if (hz > 0)
                        v = p->cpu_ticks * (UINT64_C(1000000000) / (uint64_t) hz);
        }
        return sd_bus_message_append(reply, "t", v);
}

static int property_get_restarts(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        /* No restart policies (yet): never restarted. */
        return sd_bus_message_append(reply, "u", UINT32_C(0));
}

static BusCalls *process_calls(Managed *mp) {
        return &mp->backend->manager->bus_api->calls;
}

static int method_stop(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Managed *mp = userdata;
        return bus_call_method(process_calls(mp), m, BUS_METHOD_PROCESS_STOP, mp->pid, error);
}

static int method_get_logs(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Managed *mp = userdata;
        return bus_call_method(process_calls(mp), m, BUS_METHOD_PROCESS_GET_LOGS, mp->pid, error);
}

static const sd_bus_vtable process_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("PID", "u", property_get_pid, 0, 0),
        SD_BUS_PROPERTY("Name", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Unit", "s", property_get_string, 0, 0),
        SD_BUS_PROPERTY("User", "s", property_get_string, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("UID", "u", property_get_uid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Command", "as", property_get_command, 0, 0),
        SD_BUS_PROPERTY("ActiveState", "s", property_get_string, 0, 0),
        SD_BUS_PROPERTY("MemoryCurrent", "t", property_get_usage, 0, 0),
        SD_BUS_PROPERTY("CPUUsageNSec", "t", property_get_usage, 0, 0),
        SD_BUS_PROPERTY("Restarts", "u", property_get_restarts, 0, 0),
        SD_BUS_METHOD_WITH_ARGS("Stop",
                                SD_BUS_ARGS("s", signal, "t", timeout_usec),
                                SD_BUS_RESULT("b", stopped, "s", exit_kind, "i", exit_value),
                                method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetLogs",
                                SD_BUS_ARGS("u", lines),
                                SD_BUS_RESULT("a(tys)", entries),
                                method_get_logs, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

int bus_process_register(BusApi *a) {
        int r;

        r = sd_bus_add_fallback_vtable(a->bus, &a->process_slot, BUS_PROCESS_PREFIX, BUS_PROCESS_INTERFACE,
                                       process_vtable, process_object_find, a);
        if (r < 0)
                return log_error_errno(r, "Failed to register the process objects: %m");
        r = sd_bus_add_node_enumerator(a->bus, &a->enumerator_slot, BUS_PROCESS_PREFIX, process_node_enumerator, a);
        if (r < 0)
                return log_error_errno(r, "Failed to register the process object enumerator: %m");
        return 0;
}
