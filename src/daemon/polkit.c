/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * polkit CheckAuthorization, asynchronously; see polkit.h. One PolkitQuery per
 * request in flight, holding the sd-bus slot: freeing the query cancels the
 * call, so nothing fires after its owner went away.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shared/log.h"
#include "shared/macro.h"
#include "daemon/polkit.h"

#define POLKIT_TIMEOUT_USEC (25 * USEC_PER_SEC)

struct PolkitQuery {
        sd_bus_slot *slot;
        PolkitCallback cb;
        void *userdata;
};

PolkitQuery *polkit_query_cancel(PolkitQuery *q) {
        if (!q)
                return NULL;
        sd_bus_slot_unref(q->slot);
        free(q);
        return NULL;
}

int polkit_error_to_errno(const char *name, int fallback) {
        static const char *const unreachable[] = {
                SD_BUS_ERROR_SERVICE_UNKNOWN,
                SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                SD_BUS_ERROR_NO_REPLY,
                SD_BUS_ERROR_DISCONNECTED,
                SD_BUS_ERROR_NO_SERVER,
                SD_BUS_ERROR_TIMEOUT,
                "org.freedesktop.DBus.Error.Spawn.ChildExited",
                "org.freedesktop.DBus.Error.Spawn.Failed",
        };

        if (!name)
                return fallback;
        for (size_t i = 0; i < ELEMENTSOF(unreachable); i++)
                if (strcmp(name, unreachable[i]) == 0)
                        return -EHOSTUNREACH;
        return fallback < 0 ? fallback : -EPERM;
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);     /* lives as long as reply */
        int authorized = 0, challenge = 0, r;
        PolkitCallback cb = q->cb;
        void *cb_userdata = q->userdata;

        /* The query is done whatever happens below: free it first, so the callback may
         * free whatever owns the query pointer. */
        q->slot = sd_bus_slot_unref(q->slot);
        free(q);

        if (e) {
                r = polkit_error_to_errno(e->name, sd_bus_error_get_errno(e) > 0 ? -sd_bus_error_get_errno(e) : -EPERM);
                cb(r, false, e, cb_userdata);
                return 0;
        }
        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r >= 0)
                r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0) {
                log_debug_errno(r, "Cannot parse the polkit reply: %m");
                cb(-EBADMSG, false, NULL, cb_userdata);
                return 0;
        }
        cb(authorized ? 1 : 0, challenge, NULL, cb_userdata);
        return 0;
}

int polkit_check_authorization(sd_bus *bus, const PolkitSubject *subject, const char *action_id,
                               PolkitCallback cb, void *userdata, PolkitQuery **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        PolkitQuery *q;
        int r;

        if (!bus || sd_bus_is_open(bus) <= 0)
                return -EHOSTUNREACH;

        r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r < 0)
                return r;
        /* subject (sa{sv}), action_id s, details a{ss}, flags u (1: allow user interaction),
         * cancellation_id s. */
        if (subject->bus_name)
                r = sd_bus_message_append(m, "(sa{sv})sa{ss}us", "system-bus-name", 1,
                                          "name", "s", subject->bus_name,
                                          action_id, 0, (uint32_t) !!subject->interactive, "");
        else
                r = sd_bus_message_append(m, "(sa{sv})sa{ss}us", "unix-process", 3,
                                          "pid", "u", (uint32_t) subject->pid,
                                          "start-time", "t", subject->start_ticks,
                                          "uid", "i", (int32_t) subject->uid,
                                          action_id, 0, UINT32_C(0), "");
        if (r < 0)
                return r;

        q = calloc(1, sizeof(PolkitQuery));
        if (!q)
                return -ENOMEM;
        q->cb = cb;
        q->userdata = userdata;
        r = sd_bus_call_async(bus, &q->slot, m, on_reply, q, POLKIT_TIMEOUT_USEC);
        if (r < 0) {
                free(q);
                return r == -ENOTCONN || r == -ECONNRESET ? -EHOSTUNREACH : r;
        }
        *ret = q;
        return 0;
}
