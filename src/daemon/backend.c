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

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/backend.h"
#include "daemon/event-log.h"
#include "shared/fileio.h"
#include "shared/list.h"
#include "shared/log.h"
#include "shared/pidref.h"
#include "daemon/manager.h"
#include "daemon/process-events.h"
#include "daemon/spawn-client.h"
#include "daemon/process-watch.h"
#include "daemon/oom-watch.h"

#define SCOPE_SLICE_NAME "procmgr.slice"

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

static void on_helper_exit(pid_t pid, uint64_t start_ticks, int code, int sig, void *userdata);
static void on_helper_lost(void *userdata);

int backend_new(Manager *m, const BackendVTable *vt, Backend **ret) {
        Backend *b = calloc(1, sizeof(Backend));
        int r;

        if (!b)
                return -ENOMEM;
        b->vtable = vt;
        b->manager = m;
        spawn_client_set_callbacks(m->spawn, on_helper_exit, on_helper_lost, b);
        if (vt->init) {
                r = vt->init(b);
                if (r < 0) {
                        spawn_client_set_callbacks(m->spawn, NULL, NULL, NULL);
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

/* The helper reaped one of its children. */
static void on_helper_exit(pid_t pid, uint64_t start_ticks, int code, int sig, void *userdata) {
        Backend *b = userdata;
        Managed *m = backend_find_pinned(b, pid, start_ticks);
        ExitStatus st = { .known = true, .code = sig == 0 ? code : 0, .signal = sig };

        if (!m || !m->helper_child)
                return;
        event_log_process_exited(m->pid, m->name, m->unit, &st);
        managed_exited(m, &st);
        managed_gone(m);
}

static void on_lost_child_gone(ProcessWatch *w, void *userdata) {
        Managed *m = userdata;
        ExitStatus st = {};     /* the helper that could have told the status is gone */

        event_log_process_exited(m->pid, m->name, m->unit, &st);
        managed_exited(m, &st);
        managed_gone(m);
}

/* The helper is gone, and with it the exit reports of its children: watch their pidfds
 * (or /proc) instead. Nothing started is lost; only the exit status becomes unknown. */
static void on_helper_lost(void *userdata) {
        Backend *b = userdata;

        for (size_t i = b->n_managed; i > 0; i--) {
                Managed *m = b->managed[i - 1];
                int r = 0;

                if (!m->helper_child)
                        continue;
                m->helper_child = false;
                if (!pidref_is_set(&m->ref))
                        r = pidref_set_pid_and_start(&m->ref, m->pid, m->start_ticks);
                if (r >= 0)
                        r = process_watch_new(b->manager->event, &m->ref, on_lost_child_gone, m, &m->lost_watch);
                if (r < 0)
                        on_lost_child_gone(NULL, m);    /* gone already (or cannot watch: say so) */
        }
}

/* A SPAWN on its way: what START's bounds and unique names need to know of it meanwhile. */
struct BackendSpawn {
        Backend *backend;
        SpawnClientSpawn *spawn;
        char *name;
        uid_t uid;
        int64_t requester;
        BackendSpawnDone done;
        void *userdata;
        LIST_FIELDS(BackendSpawn, spawning);
};

static void backend_spawn_free(BackendSpawn *s) {
        if (!s)
                return;
        LIST_REMOVE(spawning, s->backend->spawning, s);
        s->backend->n_spawning--;
        free(s->name);
        free(s);
}

static void on_spawned(int r, SpawnedChild *child, void *userdata) {
        BackendSpawn *s = userdata;
        Backend *b = s->backend;
        BackendSpawnDone done = s->done;
        void *ud = s->userdata;
        Managed *m = NULL;

        if (r >= 0) {
                r = backend_add_managed(b, child->pid, child->start_ticks, s->name, NULL, s->uid, &m);
                if (r < 0) {
                        /* Can't record it: don't leave an unmanaged process behind. A held child
                         * gives up when its hold pipe closes; the other one is killed through
                         * the helper. */
                        if (child->hold_fd < 0)
                                (void) spawn_client_signal(b->manager->spawn,
                                                           &(PidRef) { .pid = child->pid, .fd = child->pidfd,
                                                                       .start_ticks = child->start_ticks },
                                                           SIGKILL, false);
                        m = NULL;
                } else {
                        m->requester = s->requester;
                        m->helper_child = true;
                        m->start_pending = true;
                        m->ref = (PidRef) { .pid = child->pid, .fd = TAKE_FD(child->pidfd),
                                            .start_ticks = child->start_ticks };
                }
        }
        backend_spawn_free(s);
        done(r, m, child, ud);
}

int backend_spawn_and_watch(Backend *b, const SpawnRequest *req, bool hold, BackendSpawnDone done, void *userdata) {
        BackendSpawn *s;
        int r;

        s = calloc(1, sizeof(BackendSpawn));
        if (!s)
                return -ENOMEM;
        *s = (BackendSpawn) { .backend = b, .uid = req->uid, .requester = req->requester, .done = done,
                              .userdata = userdata, .name = strdup(req->name ?: "") };
        if (!s->name) {
                free(s);
                return -ENOMEM;
        }
        LIST_PREPEND(spawning, b->spawning, s);
        b->n_spawning++;
        r = spawn_client_spawn(b->manager->spawn, req, hold, req->name, on_spawned, s, &s->spawn);
        if (r < 0) {
                backend_spawn_free(s);
                return r;
        }
        return 0;
}

size_t backend_count_managed(const Backend *b, int64_t requester) {
        size_t n = 0;

        if (!b)
                return 0;
        if (requester == REQUESTER_ANY)
                return b->n_managed + b->n_spawning;
        for (size_t i = 0; i < b->n_managed; i++)
                if (b->managed[i]->requester == requester)
                        n++;
        LIST_FOREACH(spawning, s, b->spawning)
                if (s->requester == requester)
                        n++;
        return n;
}

bool backend_name_spawning(const Backend *b, const char *name) {
        if (!b || !name)
                return false;
        LIST_FOREACH(spawning, s, b->spawning)
                if (strcmp(s->name, name) == 0)
                        return true;
        return false;
}

bool backend_name_in_use(Backend *b, const char *name) {
        return backend_find_by_name(b, name, NULL) || backend_name_spawning(b, name);
}

static void stop_operation_finish(StopOperation *op, int r, const ExitStatus *st);

static Managed *managed_free(Managed *m) {
        if (!m)
                return NULL;
        /* Pending stops lose their target object but still finish through their pidfd. */
        LIST_FOREACH(stops, op, m->stops)
                op->managed = NULL;
        process_watch_free(m->lost_watch);
        sd_event_source_disable_unref(m->oom_source);
        (void) safe_close(m->oom_efd);
        (void) safe_close(m->oom_ctl_fd);
        oom_watch_free(m->oom_watch);
        pidref_done(&m->ref);
        free(m->name);
        free(m->unit);
        free(m);
        return NULL;
}

Backend *backend_free(Backend *b) {
        if (!b)
                return NULL;
        spawn_client_set_callbacks(b->manager->spawn, NULL, NULL, NULL);
        /* SPAWNs still on their way: nobody takes their answer (a child it brings is
         * killed, or told to give up when held). */
        while (b->spawning) {
                spawn_client_spawn_cancel(b->spawning->spawn);
                backend_spawn_free(b->spawning);
        }
        if (b->vtable->done)
                b->vtable->done(b);
        for (size_t i = 0; i < b->n_managed; i++)
                managed_free(b->managed[i]);
        free(b->managed);
        oom_watcher_free(b->oom_watcher);
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

Managed *backend_find_by_name(Backend *b, const char *name, unsigned *ret_count) {
        Managed *found = NULL;
        unsigned n = 0;

        for (size_t i = 0; b && name && i < b->n_managed; i++) {
                Managed *m = b->managed[i];

                if (m->exited || !m->name || strcmp(m->name, name) != 0)
                        continue;
                if (!found)
                        found = m;
                n++;
        }
        if (ret_count)
                *ret_count = n;
        return found;
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
                .ref = PIDREF_NULL, .oom_efd = -EBADF, .oom_ctl_fd = -EBADF,
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

        /* The helper's children are reaped by it, and its report completes the stop with the
         * exit status (or, should the helper die, the pidfd fallback); for anything else,
         * gone is gone. */
        if (op->managed && (op->managed->helper_child || op->managed->lost_watch) && !op->managed->exited)
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
                r = spawn_client_signal(op->manager->spawn, &op->pid, SIGKILL, op->group);
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

        /* Pinned here (a pidfd needs no privilege), checked again and signalled by the
         * privileged helper; here only the waiting. */
        r = pidref_set_pid_and_start(&ref, pid, start_ticks);
        if (r < 0)
                return r;
        r = spawn_client_signal(mgr->spawn, &ref, sig, group);
        /* The SIGCONT with which a scope's STOP merely watches its main process is best
         * effort: KillUnit does the signalling, with or without the helper. */
        if (r < 0 && !(r == -ENOTCONN && sig == SIGCONT))
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

/* The eventfd counts the OOM notifications of the scope's cgroup and is signalled once
 * more when the cgroup is removed (systemd may do that as soon as the process is gone).
 * While memory.oom_control can still be read the cgroup is there, so what was counted
 * were OOMs; once it cannot, one count was the removal and any more were OOMs. */
static void managed_oom_poll(Managed *m) {
        uint64_t n = 0;
        char buf[256];

        if (m->oom_efd < 0 || read(m->oom_efd, &n, sizeof(n)) != (ssize_t) sizeof(n) || n == 0)
                return;
        if (pread(m->oom_ctl_fd, buf, sizeof(buf), 0) >= 0) {
                m->oom_seen = true;
                return;
        }
        m->oom_seen = m->oom_seen || n >= 2;
        /* Gone: nothing more will come. */
        m->oom_source = sd_event_source_disable_unref(m->oom_source);
        m->oom_efd = safe_close(m->oom_efd);
        m->oom_ctl_fd = safe_close(m->oom_ctl_fd);
}

static int on_oom_notification(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        managed_oom_poll(userdata);
        return 0;
}

int managed_watch_oom(Managed *m, int efd, int ctl_fd) {
        int r;

        m->oom_source = sd_event_source_disable_unref(m->oom_source);
        (void) safe_close(m->oom_efd);
        (void) safe_close(m->oom_ctl_fd);
        m->oom_efd = efd;
        m->oom_ctl_fd = ctl_fd;
        r = sd_event_add_io(m->backend->manager->event, &m->oom_source, efd, EPOLLIN, on_oom_notification, m);
        if (r < 0)
                return r;
        /* Before the exit reports: read while the cgroup is still there. */
        (void) sd_event_source_set_priority(m->oom_source, SD_EVENT_PRIORITY_IMPORTANT);
        (void) sd_event_source_set_description(m->oom_source, "oom-notification");
        return 0;
}

int managed_watch_oom_events(Managed *m, const char *path) {
        Backend *b = m->backend;
        int r;

        if (!b->oom_watcher) {
                r = oom_watcher_new(b->manager->event, &b->oom_watcher);
                if (r < 0)
                        return r;
        }
        m->oom_watch = oom_watch_free(m->oom_watch);
        return oom_watch_add(b->oom_watcher, path, &m->oom_watch);
}

/* Did the kernel's OOM killer act in the scope? With the v1 notification armed, or v2's
 * memory.events watched, what they said; else its cgroup's memory.events counts it, read when the main process is gone,
 * before systemd removes the emptied scope (best effort: when systemd was quicker, the
 * event has no oom flag; see docs/protocol.md). Only a SIGKILL (or an unknown end) can be
 * the OOM killer's. The direct backend has no cgroup of its own per process: no OOM
 * information there. */
static bool managed_oom_killed(Managed *m, const ExitStatus *st) {
        char path[PATH_MAX], buf[1024];
        size_t len;

        if (!m->unit || (st->known && st->signal != SIGKILL))
                return false;
        if (m->oom_efd >= 0 || m->oom_seen) {
                /* v1 with the notification armed: what it said, not a late read of a
                 * cgroup systemd may have removed already. */
                managed_oom_poll(m);
                return m->oom_seen;
        }
        if (m->oom_watch)
                return oom_watch_killed(m->oom_watch);
        /* cgroup v2 (memory.events), else the v1 memory controller (memory.oom_control);
         * both count "oom_kill N". */
        if (snprintf(path, sizeof(path), "/sys/fs/cgroup/" SCOPE_SLICE_NAME "/%s/memory.events", m->unit) >=
            (int) sizeof(path))
                return false;
        if (read_virtual_file_at(AT_FDCWD, path, buf, sizeof(buf) - 1, &len) < 0) {
                (void) snprintf(path, sizeof(path), "/sys/fs/cgroup/memory/" SCOPE_SLICE_NAME "/%s/memory.oom_control",
                                m->unit);
                if (read_virtual_file_at(AT_FDCWD, path, buf, sizeof(buf) - 1, &len) < 0)
                        return false;
        }
        buf[len] = '\0';
        return oom_kill_counted(buf);
}

static void managed_announce_exit(Managed *m) {
        Manager *mgr = m->backend ? m->backend->manager : NULL;

        if (mgr)
                process_events_emit(mgr->events, &(ProcessEvent) {
                        .type = m->stops ? PROCESS_EVENT_STOPPED : PROCESS_EVENT_EXITED,
                        .managed = m,
                        .exit = &m->exit,
                        .oom = m->oom,
                });
        while (m->stops)
                stop_operation_finish(m->stops, 0, &m->exit);
}

void managed_exited(Managed *m, const ExitStatus *st) {
        m->exited = true;
        m->exit = *st;
        /* Now, while the cgroup is there to be read (a held exit is announced later). */
        m->oom = managed_oom_killed(m, st);
        if (m->start_pending) {
                m->exit_held = true;
                return;
        }
        managed_announce_exit(m);
}

void managed_gone(Managed *m) {
        if (m->exit_held)
                return;
        backend_remove_managed(m->backend, m);
}

void backend_start_finished(Backend *b, pid_t pid, uint64_t start_ticks, bool ran) {
        Managed *m = b ? backend_find_pinned(b, pid, start_ticks) : NULL;

        if (!m || !m->start_pending)
                return;
        m->start_pending = false;
        if (!ran) {
                backend_remove_managed(b, m);
                return;
        }
        if (!m->exit_held)
                return;
        m->exit_held = false;
        managed_announce_exit(m);
        backend_remove_managed(b, m);
}
