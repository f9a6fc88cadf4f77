/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The direct backend: plain fork/exec, used when no service manager is
 * reachable (or forced with --backend=direct). Children are procmgr-spawn's,
 * which reaps them and reports their exits; their state lives only in this
 * daemon, which INFO makes visible as backend "direct".
 */

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "daemon/backend.h"
#include "daemon/event-log.h"
#include "shared/log.h"
#include "daemon/manager.h"
#include "daemon/proc-table.h"
#include "daemon/spawn-client.h"
#include "shared/list.h"

typedef struct StartOperation StartOperation;
struct StartOperation {
        Backend *backend;
        pid_t pid;              /* the record is looked up again: its exit may come first */
        uint64_t start_ticks;
        char *name;
        int error_fd;
        sd_event_source *io;
        BackendStartDone done;
        void *userdata;
        LIST_FIELDS(StartOperation, starts);
};

/* The backend's data: the STARTs in progress (freed with the backend). */
typedef struct DirectBackend {
        StartOperation *starts;
} DirectBackend;

static StartOperation *start_operation_free(StartOperation *op) {
        DirectBackend *d;

        if (!op)
                return NULL;
        d = op->backend->data;
        LIST_REMOVE(starts, d->starts, op);
        sd_event_source_disable_unref(op->io);
        (void) safe_close(op->error_fd);
        free(op->name);
        free(op);
        return NULL;
}

static int on_exec_result(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        StartOperation *op = userdata;
        SpawnFailure f = {};
        char msg[320];
        int r;

        r = spawn_read_result(op->error_fd, &f);
        if (r == -EAGAIN)
                return 0;
        if (r == 0) {
                Managed *m = backend_find_pinned(op->backend, op->pid, op->start_ticks), tmp;

                if (!m) {
                        /* It ran and is already gone (its exit report came first). */
                        tmp = (Managed) { .backend = op->backend, .pid = op->pid, .start_ticks = op->start_ticks,
                                          .name = op->name ?: (char *) "", .exited = true, .ref = PIDREF_NULL };
                        m = &tmp;
                }
                op->done(0, NULL, m, op->userdata);
                /* After STARTED: an exit seen first is announced now. */
                backend_start_finished(op->backend, op->pid, op->start_ticks, true);
        } else {
                int e = r < 0 ? -r : r;
                Managed *m = backend_find_pinned(op->backend, op->pid, op->start_ticks);

                /* It never ran: no record of it (its name is free again, nothing to watch or
                 * announce). The child exits 127 by itself; the helper reaps it, and its exit
                 * report then finds no record. */
                if (m)
                        backend_remove_managed(op->backend, m);
                spawn_failure_format(&f, e, msg, sizeof(msg));
                op->done(-e, msg, NULL, op->userdata);
        }
        start_operation_free(op);
        return 0;
}

static void on_spawned(int r, Managed *m, SpawnedChild *child, void *userdata) {
        StartOperation *op = userdata;
        BackendStartDone done = op->done;
        void *ud = op->userdata;
        Backend *b = op->backend;

        if (r < 0) {
                /* Not started; the spawn client's words for it (START adds the name). */
                start_operation_free(op);
                done(r, NULL, NULL, ud);
                return;
        }
        op->pid = m->pid;
        op->start_ticks = m->start_ticks;
        op->error_fd = TAKE_FD(child->error_fd);
        op->name = strdup(m->name);
        r = op->name ? sd_event_add_io(b->manager->event, &op->io, op->error_fd, EPOLLIN, on_exec_result, op) : -ENOMEM;
        if (r < 0) {
                pid_t pid = op->pid;
                uint64_t ticks = op->start_ticks;

                start_operation_free(op);
                done(0, NULL, m, ud);    /* it runs; we just can't confirm exec */
                backend_start_finished(b, pid, ticks, true);
        }
}

static int direct_start(Backend *b, SpawnRequest *req, BackendStartDone done, void *userdata) {
        DirectBackend *d = b->data;
        StartOperation *op;
        int r;

        op = calloc(1, sizeof(StartOperation));
        if (!op)
                return -ENOMEM;
        *op = (StartOperation) { .backend = b, .error_fd = -EBADF, .done = done, .userdata = userdata };
        LIST_PREPEND(starts, d->starts, op);
        r = backend_spawn_and_watch(b, req, false, on_spawned, op);
        if (r < 0)
                start_operation_free(op);
        return r;
}

static int direct_init(Backend *b) {
        b->data = calloc(1, sizeof(DirectBackend));
        return b->data ? 0 : -ENOMEM;
}

/* Only at the daemon's exit: STARTs in progress are not answered (as the systemd backend's). */
static void direct_done(Backend *b) {
        DirectBackend *d = b->data;

        if (!d)
                return;
        while (d->starts)
                start_operation_free(d->starts);
        free(d);
        b->data = NULL;
}

static int direct_stop(Backend *b, Managed *m, int sig, usec_t timeout, BackendStopDone done, void *userdata) {
        /* The child runs in its own session and process group: process_stop() signals the
         * whole group (m has no unit), as a scope stop would take the whole tree. */
        return process_stop(b->manager, m->pid, m->start_ticks, sig, timeout, m, done, userdata);
}

const BackendVTable backend_direct_vtable = {
        .name = "direct",
        .flags = BACKEND_STATE_IN_MEMORY,
        .init = direct_init,
        .done = direct_done,
        .start = direct_start,
        .stop = direct_stop,
};
