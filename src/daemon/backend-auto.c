/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one place that knows the concrete backends and chooses one. In its own
 * file so that the backends (which use backend.c) and the place that names
 * them form no cycle: backend-auto → backend-{direct,systemd} → backend.
 */

#include "daemon/backend.h"
#include "daemon/manager.h"
#include "shared/log.h"

/* The bus (when the manager has one) decides between the backends, unless kind does. */
int backend_new_auto(Manager *m, int kind, int bus_error, Backend **ret) {
        const BackendVTable *vt = &backend_direct_vtable;
        Backend *b = NULL;
        int r;

        if (kind == BACKEND_SYSTEMD && !m->bus)
                return log_error_errno(bus_error < 0 ? bus_error : -ENOTCONN,
                                       "Cannot connect to the system bus, but --backend=systemd: %m");
        if (kind != BACKEND_DIRECT) {
                if (m->bus)
                        vt = &backend_systemd_vtable;
                else
                        log_notice_errno(bus_error < 0 ? bus_error : -ENOTCONN,
                                         "System bus not reachable (%m): using the direct backend, "
                                         "started processes get no scopes.");
        }
        r = backend_new(m, vt, &b);
        if (r < 0 && vt != &backend_direct_vtable && kind == BACKEND_AUTO) {
                log_notice_errno(r, "No service manager reachable (%m): using the direct backend.");
                vt = &backend_direct_vtable;
                r = backend_new(m, vt, &b);
        }
        if (r < 0)
                return log_error_errno(r, "Failed to set up the %s backend: %m", vt->name);
        /* With scopes our state lives in systemd: should the bus go away, exit with failure
         * and let Restart=on-failure bring us back to find our processes again, rather than
         * serve without a service manager. */
        if (m->bus && !(vt->flags & BACKEND_STATE_IN_MEMORY))
                (void) sd_bus_set_exit_on_disconnect(m->bus, true);
        *ret = b;
        return 0;
}
