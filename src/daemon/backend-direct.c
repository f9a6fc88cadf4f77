/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The direct backend: plain fork/exec, used when no service manager is
 * reachable (or forced with --backend=direct). Children are reaped through
 * sd-event child sources, so there are never zombies of ours; their state
 * lives only in this daemon, which INFO makes visible as backend "direct".
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "daemon/backend.h"
#include "daemon/event-log.h"
#include "shared/log.h"
#include "daemon/manager.h"
#include "daemon/proc-table.h"

typedef struct StartOperation {
        Backend *backend;
        Managed *managed;
        int error_fd;
        sd_event_source *io;
        BackendStartDone done;
        void *userdata;
} StartOperation;

static void exit_status_from_siginfo(const siginfo_t *si, ExitStatus *st) {
        *st = (ExitStatus) { .known = true };
        if (si->si_code == CLD_EXITED)
                st->code = si->si_status;
        else
                st->signal = si->si_status;
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Managed *m = userdata;
        Backend *b = m->backend;
        ExitStatus st;

        exit_status_from_siginfo(si, &st);
        event_log_process_exited(m->pid, m->name, m->unit, &st);
        m->child_source = sd_event_source_disable_unref(m->child_source);
        managed_exited(m, &st);
        backend_remove_managed(b, m);
        return 0;
}

static StartOperation *start_operation_free(StartOperation *op) {
        if (!op)
                return NULL;
        sd_event_source_disable_unref(op->io);
        (void) safe_close(op->error_fd);
        free(op);
        return NULL;
}

static int on_exec_result(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        StartOperation *op = userdata;
        const char *step = "exec";
        char msg[256];
        int r;

        r = spawn_read_result(op->error_fd, &step);
        if (r == -EAGAIN)
                return 0;
        if (r == 0) {
                op->done(0, NULL, op->managed, op->userdata);
        } else {
                int e = r < 0 ? -r : r;
                (void) snprintf(msg, sizeof(msg), "%s: %s", step, strerror(e));
                op->done(-e, msg, NULL, op->userdata);
                /* The child exits 127 by itself; its child source reaps it and drops the record. */
        }
        start_operation_free(op);
        return 0;
}

/* Shared with the systemd backend: fork, register the managed record and its child source. */
int backend_spawn_and_watch(Backend *b, SpawnRequest *req, const char *unit, SpawnedChild *child, bool hold,
                            Managed **ret) {
        Manager *mgr = b->manager;
        uint64_t ticks = 0;
        Managed *m;
        int r;

        r = spawn_fork(req, hold, req->name, child);
        if (r < 0)
                return r;
        (void) proc_get_start_ticks(mgr->procs, child->pid, &ticks);

        r = backend_add_managed(b, child->pid, ticks, req->name, unit, req->uid, &m);
        if (r >= 0)
                r = sd_event_add_child(mgr->event, &m->child_source, child->pid, WEXITED, on_child_exit, m);
        /* After the exec result (an EOF on the error pipe, ready no later than the exit): a
         * quick process is then reported started before it is reported gone. */
        if (r >= 0)
                r = sd_event_source_set_priority(m->child_source, SD_EVENT_PRIORITY_NORMAL + 1);
        if (r < 0) {
                /* Can't watch it: don't leave an unmanaged orphan behind. */
                (void) kill(child->pid, SIGKILL);
                (void) waitpid(child->pid, NULL, 0);
                if (m)
                        backend_remove_managed(b, m);
                child->hold_fd = safe_close(child->hold_fd);
                child->error_fd = safe_close(child->error_fd);
                return r;
        }
        *ret = m;
        return 0;
}

static int direct_start(Backend *b, SpawnRequest *req, BackendStartDone done, void *userdata) {
        SpawnedChild child;
        StartOperation *op;
        Managed *m;
        int r;

        r = backend_spawn_and_watch(b, req, NULL, &child, false, &m);
        if (r < 0)
                return r;

        op = calloc(1, sizeof(StartOperation));
        if (!op) {
                (void) safe_close(child.error_fd);
                done(0, NULL, m, userdata);    /* it runs; we just can't confirm exec */
                return 0;
        }
        *op = (StartOperation) { .backend = b, .managed = m, .error_fd = child.error_fd,
                                 .done = done, .userdata = userdata };
        r = sd_event_add_io(b->manager->event, &op->io, op->error_fd, EPOLLIN, on_exec_result, op);
        if (r < 0) {
                start_operation_free(op);
                done(0, NULL, m, userdata);
        }
        return 0;
}

static int direct_stop(Backend *b, Managed *m, int sig, usec_t timeout, BackendStopDone done, void *userdata) {
        /* The child runs in its own session and process group: signal the whole group, as
         * a scope stop would take the whole tree. */
        if (m->pid > 1)
                (void) kill(-m->pid, sig);
        return process_stop(b->manager, m->pid, m->start_ticks, sig, timeout, m, done, userdata);
}

const BackendVTable backend_direct_vtable = {
        .name = "direct",
        .start = direct_start,
        .stop = direct_stop,
};
