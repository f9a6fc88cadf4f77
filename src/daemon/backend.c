/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Backend-independent parts: the table of managed processes and the waiting
 * side of stopping a process safely (the signalling is process-stop's). A
 * stop targets (pid, start time) through a pidfd, so a pid that was recycled
 * since the request is never signalled; the pidfd also tells us, without
 * polling and for non-children too, when the process is gone. TERM → KILL
 * escalation runs on a timer; the loop never waits.
 *
 * Nobody compares vtables; they ask for flags. The choice of a concrete
 * backend is backend-auto.c's.
 */

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "daemon/backend.h"
#include "daemon/event-log.h"
#include "shared/list.h"
#include "shared/log.h"
#include "shared/pidref.h"
#include "daemon/manager.h"
#include "daemon/process-events.h"
#include "daemon/process-stop.h"
#include "daemon/process-watch.h"

typedef struct StopOperation StopOperation;
struct StopOperation {
        Manager *manager;
        Managed *managed;               /* when the target is one of ours */
        LIST_FIELDS(StopOperation, stops); /* in managed->stops */
        PidRef pid;                     /* pinned: a recycled pid is never signalled */
        ProcessWatch *watch;
        sd_event_source *timer;
        bool killed;
        bool group;                     /* signal the process group it leads as well */
        BackendStopDone done;
        void *userdata;
};

int backend_new(Manager *m, const BackendVTable *vt, Backend **ret) {
        Backend *b = calloc(1, sizeof(Backend));
        int r;

        if (!b)
                return -ENOMEM;
        b->vtable = vt;
        b->manager = m;
        if (vt->init) {
                r = vt->init(b);
                if (r < 0) {
                        free(b);
                        return r;
                }
        }
        *ret = b;
        return 0;
}

bool backend_state_in_memory(const Backend *b) {
        return b && (b->vtable->flags & BACKEND_STATE_IN_MEMORY);
}

bool backend_applies_limits(const Backend *b) {
        return b && (b->vtable->flags & BACKEND_APPLIES_LIMITS);
}

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

/* Used by both backends: fork, register the managed record and its child source. */
int backend_spawn_and_watch(Backend *b, SpawnRequest *req, const char *unit, SpawnedChild *child, bool hold,
                            Managed **ret) {
        Manager *mgr = b->manager;
        uint64_t ticks = 0;
        Managed *m;
        int r;

        r = spawn_fork(req, hold, req->name, child);
        if (r < 0)
                return r;
        (void) pid_get_start_ticks(child->pid, &ticks, NULL);

        r = backend_add_managed(b, child->pid, ticks, req->name, unit, req->uid, &m);
        if (r >= 0)
                m->requester = req->requester;
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

static void stop_operation_finish(StopOperation *op, int r, const ExitStatus *st);

static Managed *managed_free(Managed *m) {
        if (!m)
                return NULL;
        /* Pending stops lose their target object but still finish through their pidfd. */
        LIST_FOREACH(stops, op, m->stops)
                op->managed = NULL;
        sd_event_source_disable_unref(m->child_source);
        free(m->name);
        free(m->unit);
        free(m);
        return NULL;
}

Backend *backend_free(Backend *b) {
        if (!b)
                return NULL;
        if (b->vtable->done)
                b->vtable->done(b);
        for (size_t i = 0; i < b->n_managed; i++)
                managed_free(b->managed[i]);
        free(b->managed);
        free(b);
        return NULL;
}

const char *backend_name(const Backend *b) {
        return b ? b->vtable->name : "none";
}

static size_t managed_index(const Backend *b, pid_t pid, bool *found) {
        size_t lo = 0, hi = b->n_managed;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (b->managed[mid]->pid < pid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = lo < b->n_managed && b->managed[lo]->pid == pid;
        return lo;
}

Managed *backend_find(Backend *b, pid_t pid) {
        bool found;
        size_t i;

        if (!b)
                return NULL;
        i = managed_index(b, pid, &found);
        return found ? b->managed[i] : NULL;
}

Managed *backend_find_pinned(Backend *b, pid_t pid, uint64_t start_ticks) {
        Managed *m = backend_find(b, pid);

        if (m && m->start_ticks != 0 && m->start_ticks != start_ticks)
                return NULL;
        return m;
}

int backend_add_managed(Backend *b, pid_t pid, uint64_t start_ticks, const char *name, const char *unit,
                        uid_t uid, Managed **ret) {
        Managed *m, **a;
        bool found;
        size_t i;

        i = managed_index(b, pid, &found);
        if (found) {
                /* A pid we knew is gone and reused: the old record is stale. */
                backend_remove_managed(b, b->managed[i]);
                i = managed_index(b, pid, &found);
        }
        m = calloc(1, sizeof(Managed));
        if (!m)
                return -ENOMEM;
        *m = (Managed) {
                .backend = b, .pid = pid, .start_ticks = start_ticks, .uid = uid, .requester = REQUESTER_UNKNOWN,
                .name = strdup(name ?: ""), .unit = unit ? strdup(unit) : NULL,
        };
        if (!m->name || (unit && !m->unit))
                return managed_free(m), -ENOMEM;
        a = reallocarray(b->managed, b->n_managed + 1, sizeof(Managed *));
        if (!a)
                return managed_free(m), -ENOMEM;
        b->managed = a;
        memmove(a + i + 1, a + i, (b->n_managed - i) * sizeof(Managed *));
        a[i] = m;
        b->n_managed++;
        if (ret)
                *ret = m;
        return 0;
}

void backend_remove_managed(Backend *b, Managed *m) {
        bool found;
        size_t i = managed_index(b, m->pid, &found);

        if (found && b->managed[i] == m) {
                memmove(b->managed + i, b->managed + i + 1, (b->n_managed - i - 1) * sizeof(Managed *));
                b->n_managed--;
        }
        managed_free(m);
}

int backend_start(Backend *b, SpawnRequest *req, BackendStartDone done, void *userdata) {
        return b->vtable->start(b, req, done, userdata);
}

int backend_stop(Backend *b, Managed *m, int sig, usec_t timeout, BackendStopDone done, void *userdata) {
        return b->vtable->stop(b, m, sig, timeout, done, userdata);
}

int backend_status(Backend *b, Managed *m, BackendStatusDone done, void *userdata) {
        if (!b->vtable->status)
                return -EOPNOTSUPP;
        return b->vtable->status(b, m, done, userdata);
}

static StopOperation *stop_operation_free(StopOperation *op) {
        if (!op)
                return NULL;
        if (op->managed)
                LIST_REMOVE(stops, op->managed->stops, op);
        process_watch_free(op->watch);
        sd_event_source_disable_unref(op->timer);
        pidref_done(&op->pid);
        free(op);
        return NULL;
}

static void stop_operation_finish(StopOperation *op, int r, const ExitStatus *st) {
        BackendStopDone done = op->done;
        void *userdata = op->userdata;

        stop_operation_free(op);
        done(r, st, userdata);
}

static void on_stop_gone(ProcessWatch *w, void *userdata) {
        StopOperation *op = userdata;
        ExitStatus st = {};

        /* Our own children are reaped by their child source, which completes the stop with
         * the exit status; for anything else, gone is gone. */
        if (op->managed && op->managed->child_source && !op->managed->exited)
                return;
        if (op->managed && op->managed->exited)
                st = op->managed->exit;
        stop_operation_finish(op, 0, &st);
}

static int on_stop_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        StopOperation *op = userdata;
        int r;

        if (!op->killed) {
                op->killed = true;
                log_info("Process %i did not exit in time, sending SIGKILL.", (int) op->pid.pid);
                r = process_stop_kill(&op->pid, op->group);
                if (r < 0 && r != -ESRCH)
                        log_warning_errno(r, "Failed to SIGKILL process %i: %m", (int) op->pid.pid);
                /* SIGKILL cannot be ignored, but a process in D state may take a while; give it
                 * a bounded grace before answering Timeout. */
                (void) sd_event_source_set_time_relative(op->timer, 5 * USEC_PER_SEC);
                (void) sd_event_source_set_enabled(op->timer, SD_EVENT_ONESHOT);
                return 0;
        }
        stop_operation_finish(op, -ETIMEDOUT, NULL);
        return 0;
}

int process_stop(Manager *mgr, pid_t pid, uint64_t start_ticks, int sig, usec_t timeout, Managed *m,
                 BackendStopDone done, void *userdata) {
        _cleanup_(pidref_done) PidRef ref = PIDREF_NULL;
        StopOperation *op;
        /* A managed process without a scope (the direct backend) was started in its own
         * session and process group: TERM and the KILL escalation go to the whole group,
         * so a child that ignores TERM does not outlive the stop. */
        bool group = m && !m->unit;
        int r;

        /* Pinned, checked and signalled by the privileged half; here only the waiting. */
        r = process_stop_signal(&(StopRequest) { .pid = pid, .start_ticks = start_ticks, .signal = sig,
                                                 .group = group }, &ref);
        if (r < 0)
                return r;

        op = calloc(1, sizeof(StopOperation));
        if (!op)
                return -ENOMEM;
        *op = (StopOperation) {
                .manager = mgr, .managed = m, .pid = ref, .group = group, .done = done, .userdata = userdata,
        };
        ref = PIDREF_NULL;
        r = process_watch_new(mgr->event, &op->pid, on_stop_gone, op, &op->watch);
        if (r < 0)
                goto fail;
        r = sd_event_add_time_relative(mgr->event, &op->timer, CLOCK_MONOTONIC, timeout, 0, on_stop_timeout, op);
        if (r < 0)
                goto fail;
        if (m)
                LIST_PREPEND(stops, m->stops, op);
        return 0;
fail:
        op->done = NULL;
        stop_operation_free(op);
        return r;
}

void managed_exited(Managed *m, const ExitStatus *st) {
        Manager *mgr = m->backend ? m->backend->manager : NULL;

        m->exited = true;
        m->exit = *st;
        if (mgr)
                process_events_emit(mgr->events, &(ProcessEvent) {
                        .type = m->stops ? PROCESS_EVENT_STOPPED : PROCESS_EVENT_EXITED,
                        .managed = m,
                        .exit = st,
                });
        while (m->stops)
                stop_operation_finish(m->stops, 0, st);
}
