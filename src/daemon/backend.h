/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The seam between commands and the way processes are started and stopped.
 * Two implementations: "systemd" (every process in its own transient scope)
 * and "direct" (plain fork/exec when no service manager is reachable). The
 * backend keeps the table of managed processes (pid → Managed). Everything is
 * asynchronous: the loop keeps serving while a start/stop is in flight.
 *
 * Shared here too: stopping a process by pidfd with start-time check and
 * TERM → KILL escalation, used for unmanaged processes and by both backends.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "helper/spawn.h"
#include "shared/macro.h"
#include "shared/pidref.h"

typedef struct Manager Manager;
typedef struct Backend Backend;

typedef struct ExitStatus {
        bool known;
        int code;               /* when signal == 0 */
        int signal;
} ExitStatus;

typedef struct Managed {
        Backend *backend;
        pid_t pid;
        uint64_t start_ticks;
        char *name;
        char *unit;             /* scope name; NULL for the direct backend */
        uid_t uid;
        int64_t requester;      /* who asked for it (SpawnRequest's); REQUESTER_UNKNOWN when found again */
        bool helper_child;      /* procmgr-spawn's child: its exit comes as the helper's report */
        PidRef ref;             /* pinned (the helper's pidfd), for the fallback below */
        struct ProcessWatch *lost_watch;        /* the helper is gone: watching the pidfd instead */
        bool exited;
        ExitStatus exit;
        bool oom;                       /* the OOM killer ended it (read when it exited) */
        /* cgroup v1 scopes with a memory limit: the OOM notification armed by the helper
         * (eventfd, memory.oom_control open for reading), -EBADF otherwise. */
        int oom_efd, oom_ctl_fd;
        sd_event_source *oom_source;
        struct OomWatch *oom_watch;     /* cgroup v2 scopes with a memory limit (oom-watch.h) */
        bool oom_seen;                  /* an OOM notification came while its cgroup was there */
        bool start_pending;             /* START not done yet: STARTED not announced */
        bool exit_held;                 /* exited while start_pending: announced once started */
        struct StopOperation *stops;     /* pending STOPs, completed when it is gone */
        unsigned restarts;              /* by its restart policy, before this process (METRICS, STATUS) */
} Managed;

typedef void (*BackendStartDone)(int r, const char *error_msg, Managed *m, void *userdata);
typedef void (*BackendStopDone)(int r, const ExitStatus *exit, void *userdata);
/* What the service manager knows about a managed process's unit (STATUS' extra members). */
typedef struct UnitStatus {
        char active_state[32];  /* "" when unknown */
        char sub_state[32];     /* "" when unknown */
        uint64_t memory_current;        /* UINT64_MAX: not known (no accounting) */
        uint64_t cpu_usage_ns;          /* likewise */
        uint64_t tasks_current;         /* likewise */
} UnitStatus;

/* status: borrowed, valid during the call; NULL when r < 0. */
typedef void (*BackendStatusDone)(int r, const UnitStatus *status, void *userdata);

typedef enum BackendFlags {
        /* What the backend started is known only to this process (no scopes): exiting
         * would orphan it, and nobody would find it again after a restart. */
        BACKEND_STATE_IN_MEMORY = 1 << 0,
        /* START's memory_max, cpu_quota and tasks_max are applied (to the process's scope). */
        BACKEND_APPLIES_LIMITS = 1 << 1,
} BackendFlags;

typedef struct BackendVTable {
        const char *name;               /* "systemd" or "direct" */
        BackendFlags flags;
        int (*init)(Backend *b);
        void (*done)(Backend *b);
        /* Start req; done is called exactly once unless this returns < 0. */
        int (*start)(Backend *b, SpawnRequest *req, BackendStartDone done, void *userdata);
        /* Stop m (and, for scopes, its whole tree); done called once unless this returns < 0. */
        int (*stop)(Backend *b, Managed *m, int sig, usec_t timeout, BackendStopDone done, void *userdata);
        /* Optional: the unit's state and resource figures for STATUS. */
        int (*status)(Backend *b, Managed *m, BackendStatusDone done, void *userdata);
} BackendVTable;

typedef struct BackendSpawn BackendSpawn;

struct Backend {
        const BackendVTable *vtable;
        Manager *manager;
        Managed **managed;      /* sorted by pid */
        size_t n_managed;
        BackendSpawn *spawning; /* SPAWNs on their way to the helper (backend_spawn_and_watch()) */
        size_t n_spawning;
        struct OomWatcher *oom_watcher; /* made at the first managed_watch_oom_events() */
        void *data;             /* implementation state */
};

extern const BackendVTable backend_direct_vtable;
extern const BackendVTable backend_systemd_vtable;

int backend_new(Manager *m, const BackendVTable *vt, Backend **ret);
/* The backend config asks for (BackendKind of manager.h): systemd scopes when m->bus is
 * connected, else (or when told) direct. bus_error: why m->bus is NULL, for the log.
 * Logs what it chose and why. */
int backend_new_auto(Manager *m, int kind, int bus_error, Backend **ret);
bool backend_state_in_memory(const Backend *b);
bool backend_applies_limits(const Backend *b);
Backend *backend_free(Backend *b);
const char *backend_name(const Backend *b);

Managed *backend_find(Backend *b, pid_t pid);
/* The live (not exited) managed process called name; *ret_count (optional) is how many
 * there are (more than one only for names START derived from argv[0]). */
Managed *backend_find_by_name(Backend *b, const char *name, unsigned *ret_count);
/* The record of pid only if it describes the process with this start time (as just read
 * from /proc), not an earlier holder of the pid; a record without a start time (0) is
 * taken as it is. */
Managed *backend_find_pinned(Backend *b, pid_t pid, uint64_t start_ticks);
int backend_add_managed(Backend *b, pid_t pid, uint64_t start_ticks, const char *name, const char *unit,
                        uid_t uid, Managed **ret);
void backend_remove_managed(Backend *b, Managed *m);
/* START's bounds and unique names count the processes on their way too (a SPAWN in flight
 * is in no table yet): how many requester asked for (any when requester is
 * REQUESTER_ANY), and whether one is called name. */
#define REQUESTER_ANY INT64_MIN
size_t backend_count_managed(const Backend *b, int64_t requester);
bool backend_name_in_use(Backend *b, const char *name);
/* Whether a START of that name is on its way to the helper (not in the table yet). */
bool backend_name_spawning(const Backend *b, const char *name);

int backend_start(Backend *b, SpawnRequest *req, BackendStartDone done, void *userdata);
int backend_stop(Backend *b, Managed *m, int sig, usec_t timeout, BackendStopDone done, void *userdata);
int backend_status(Backend *b, Managed *m, BackendStatusDone done, void *userdata);

/* Signal (pid, start_ticks) through a pidfd, escalate to SIGKILL after timeout, and call
 * done once the process is gone. exit status is reported when the process is our child
 * (the Managed child source fills it); -ESRCH when it was already gone or recycled. */
int process_stop(Manager *mgr, pid_t pid, uint64_t start_ticks, int sig, usec_t timeout, Managed *m,
                 BackendStopDone done, void *userdata);
/* Fork req through procmgr-spawn (held on a pipe when hold) and register it as managed;
 * the helper reaps it and reports its exit (managed_exited()). Used by both backends.
 * Asynchronous: 0 and done is called once, from the event loop, with the record and the
 * child's descriptors (error and hold, the callee's to take; the pidfd is the record's),
 * or r < 0 and no record; < 0 here: done is not called. req is read before this returns. */
typedef void (*BackendSpawnDone)(int r, Managed *m, SpawnedChild *child, void *userdata);
int backend_spawn_and_watch(Backend *b, const SpawnRequest *req, bool hold, BackendSpawnDone done, void *userdata);
/* A Managed child exited: record the status and complete pending stops. The single place
 * exits are recorded. An exit seen before its START was done (a process that ends at
 * once) is held, record and all, until backend_start_finished(): a watcher always sees
 * started before exited. */
void managed_exited(Managed *m, const ExitStatus *st);
/* Watch the v1 OOM notification armed for m (both descriptors taken over). */
int managed_watch_oom(Managed *m, int efd, int ctl_fd);
/* cgroup v2: watch m's scope's memory.events (path) for OOM kills. */
int managed_watch_oom_events(Managed *m, const char *path);
/* After an exit: forget the record, unless its exit is held (see above). */
void managed_gone(Managed *m);
/* The backend's START of (pid, start_ticks) is done, called right after its done callback
 * (which announced STARTED): a held exit is announced now. !ran: it never ran, its record
 * (and any held exit) is dropped; its exit report then finds nothing. */
void backend_start_finished(Backend *b, pid_t pid, uint64_t start_ticks, bool ran);
