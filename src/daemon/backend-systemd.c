/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The systemd backend: every started process gets its own transient scope
 * procmgr-<name>-<pid>.scope in procmgr.slice, with accounting on and the
 * requested limits. All talk to PID 1 is asynchronous; the loop keeps serving.
 *
 * START: fork the child held on a pipe (so it allocates nothing and forks
 * nothing before it is in its scope: cgroup v1 charges memory where it was
 * allocated), StartTransientUnit(PIDs=[child]), wait for the job's JobRemoved,
 * release the child, then wait for its exec result as the direct backend does.
 * If systemd refuses, the held child is told to give up and is reaped.
 *
 * STOP: KillUnit(scope, "all", sig), so the whole tree gets the signal (also
 * processes that setsid'ed away); after the timeout KillUnit(…, SIGKILL). The
 * reply waits until the main process is gone (pidfd / child source, which
 * gives the exit status) and the scope is inactive or gone (PropertiesChanged
 * after Subscribe, with a slow poll as a safety net).
 *
 * State lives in systemd: at start-up ListUnitsByPatterns(procmgr-*.scope)
 * gives back the processes started by an earlier procmgrd, which are
 * registered again (watched through pidfds, since they are not our children).
 */

#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "daemon/backend.h"
#include "shared/list.h"
#include "shared/pidref.h"
#include "daemon/event-log.h"
#include "shared/log.h"
#include "daemon/manager.h"
#include "daemon/proc-table.h"
#include "daemon/process-watch.h"
#include "daemon/spawn-client.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_UNIT "org.freedesktop.systemd1.Unit"
#define SD_SCOPE "org.freedesktop.systemd1.Scope"
#define SD_UNIT_PATH_PREFIX "/org/freedesktop/systemd1/unit"

#define SCOPE_PREFIX "procmgr-"
#define SCOPE_PATTERN "procmgr-*.scope"
#define SCOPE_SLICE "procmgr.slice"
#define SCOPE_NAME_PART_MAX 64          /* escaped name part of the unit name */
#define DESCRIPTION_MAX 1024
#define START_TIMEOUT_USEC (30 * USEC_PER_SEC)
#define KILL_GRACE_USEC (5 * USEC_PER_SEC)
#define UNIT_POLL_USEC (100 * USEC_PER_MSEC)

typedef struct SystemdBackend SystemdBackend;
typedef struct ScopeStart ScopeStart;
typedef struct ScopeStop ScopeStop;
typedef struct ScopeStatus ScopeStatus;
typedef struct PidWatch PidWatch;

struct SystemdBackend {
        Backend *backend;
        sd_bus *bus;
        sd_bus_slot *job_removed_slot;
        ScopeStart *starts;
        ScopeStop *stops;
        ScopeStatus *statuses;
        PidWatch *watches;
};

typedef enum StartState {
        START_WAIT_SPAWN,       /* SPAWN sent to the helper; no pid, no unit yet */
        START_WAIT_REPLY,       /* StartTransientUnit sent */
        START_WAIT_JOB,         /* job queued, waiting for JobRemoved */
        START_WAIT_EXEC,        /* released, waiting for the exec result */
} StartState;

struct ScopeStart {
        SystemdBackend *sd;
        LIST_FIELDS(ScopeStart, starts);
        StartState state;
        pid_t pid;
        uint64_t start_ticks;
        char *name;
        char *unit;
        char *job;
        int hold_fd;
        int error_fd;
        bool watch_oom;                 /* it has a memory limit: report OOM kills */
        const SpawnRequest *req;        /* START_WAIT_SPAWN: the caller's, valid until done */
        char *prefix;                   /* START_WAIT_SPAWN: of the scope's name */
        sd_bus_slot *call_slot;
        sd_event_source *io;
        sd_event_source *timer;
        BackendStartDone done;
        void *userdata;
};

struct ScopeStop {
        SystemdBackend *sd;
        LIST_FIELDS(ScopeStop, stops);
        PidRef main;                    /* the main process, pinned; unset when gone or recycled */
        char *unit;
        char *unit_path;
        int sig;
        bool main_pending;      /* process_stop() still owns a pointer to us */
        bool main_gone;
        bool unit_gone;
        bool killed;
        bool finished;
        bool check_again;
        ExitStatus exit;
        sd_bus_slot *kill_slot;
        sd_bus_slot *state_slot;
        sd_bus_slot *match_slot;
        sd_event_source *timer;
        sd_event_source *poll;
        BackendStopDone done;
        void *userdata;
};

#define STATUS_N_PROPS 5
struct ScopeStatus {
        SystemdBackend *sd;
        LIST_FIELDS(ScopeStatus, statuses);
        sd_bus_slot *slots[STATUS_N_PROPS];
        unsigned pending;
        char active[32], sub[32];
        uint64_t memory, cpu, tasks;
        BackendStatusDone done;
        void *userdata;
};

struct PidWatch {
        SystemdBackend *sd;
        LIST_FIELDS(PidWatch, watches);
        PidRef pid;                     /* without a pidfd (none on this kernel) /proc is polled */
        ProcessWatch *watch;
};

/* ---- unit names ------------------------------------------------------------------------ */

static bool unit_char_plain(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == ':' || c == '_' || c == '.' || c == '-';
}

/* procmgr-<name>-<pid>.scope; bytes outside [A-Za-z0-9:_.-] escaped as \xNN (as
 * systemd-escape does), a leading '.' too. The pid makes it unique among live processes.
 * The prefix (up to the pid) is also handed to the child, which names its scope in its
 * journal stream (journal-stream.h). */
static int scope_prefix(const char *name, char **ret) {
        char part[SCOPE_NAME_PART_MAX + 1];
        size_t n = 0;

        for (const char *p = name; *p; p++) {
                if (unit_char_plain(*p) && !(p == name && *p == '.')) {
                        if (n + 1 > SCOPE_NAME_PART_MAX)
                                break;
                        part[n++] = *p;
                } else {
                        if (n + 4 > SCOPE_NAME_PART_MAX)
                                break;
                        n += (size_t) snprintf(part + n, sizeof(part) - n, "\\x%02x", (unsigned char) *p);
                }
        }
        part[n] = '\0';
        if (asprintf(ret, SCOPE_PREFIX "%s-", n > 0 ? part : "process") < 0)
                return -ENOMEM;
        return 0;
}

static int scope_name(const char *prefix, pid_t pid, char **ret) {
        if (asprintf(ret, "%s%i.scope", prefix, (int) pid) < 0)
                return -ENOMEM;
        return 0;
}

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* The reverse, for scopes found at start-up: name and main pid. */
static int scope_name_parse(const char *unit, char **ret_name, pid_t *ret_pid) {
        const char *s, *dash, *end;
        char *name, *q;
        long pid;

        if (strncmp(unit, SCOPE_PREFIX, STRLEN(SCOPE_PREFIX)) != 0)
                return -EINVAL;
        s = unit + STRLEN(SCOPE_PREFIX);
        end = strstr(s, ".scope");
        if (!end || end[STRLEN(".scope")] != '\0')
                return -EINVAL;
        dash = NULL;
        for (const char *p = s; p < end; p++)
                if (*p == '-')
                        dash = p;
        if (!dash || dash + 1 == end)
                return -EINVAL;
        pid = 0;
        for (const char *p = dash + 1; p < end; p++) {
                if (*p < '0' || *p > '9' || pid > INT32_MAX / 10)
                        return -EINVAL;
                pid = pid * 10 + (*p - '0');
        }
        if (pid <= 0)
                return -EINVAL;

        name = malloc((size_t) (dash - s) + 1);
        if (!name)
                return -ENOMEM;
        q = name;
        for (const char *p = s; p < dash; p++) {
                if (p[0] == '\\' && p + 3 < dash + 1 && p[1] == 'x' && unhex(p[2]) >= 0 && unhex(p[3]) >= 0) {
                        *q++ = (char) (unhex(p[2]) * 16 + unhex(p[3]));
                        p += 3;
                } else
                        *q++ = *p;
        }
        *q = '\0';
        *ret_name = name;
        *ret_pid = (pid_t) pid;
        return 0;
}

static int unit_path(const char *unit, char **ret) {
        return sd_bus_path_encode(SD_UNIT_PATH_PREFIX, unit, ret);
}

/* A Description= for the command line: bounded, cut on a UTF-8 character boundary. */
static char *description_new(const char *cmdline) {
        size_t n = strlen(cmdline ?: "");
        char *d;

        if (n > DESCRIPTION_MAX) {
                n = DESCRIPTION_MAX;
                while (n > 0 && ((unsigned char) cmdline[n] & 0xc0) == 0x80)
                        n--;
        }
        d = strndup(cmdline ?: "", n);
        return d;
}

/* ---- recovered processes: watched through pidfds --------------------------------------- */

static PidWatch *pid_watch_free(PidWatch *w) {
        if (!w)
                return NULL;
        if (w->sd)
                LIST_REMOVE(watches, w->sd->watches, w);
        process_watch_free(w->watch);
        pidref_done(&w->pid);
        free(w);
        return NULL;
}

static void on_watch_gone(ProcessWatch *pw, void *userdata) {
        PidWatch *w = userdata;
        Backend *b = w->sd->backend;
        Managed *m = backend_find(b, w->pid.pid);
        ExitStatus st = {};

        if (m && m->start_ticks == w->pid.start_ticks && !m->helper_child) {
                event_log_process_exited(m->pid, m->name, m->unit, &st);
                managed_exited(m, &st);
                managed_gone(m);
        }
        pid_watch_free(w);
}

static int watch_pid(SystemdBackend *sd, pid_t pid, uint64_t start_ticks) {
        _cleanup_(pidref_done) PidRef ref = PIDREF_NULL;
        PidWatch *w;
        int r;

        r = pidref_set_pid_and_start(&ref, pid, start_ticks);
        if (r < 0)
                return r;
        w = calloc(1, sizeof(PidWatch));
        if (!w)
                return -ENOMEM;
        *w = (PidWatch) { .sd = NULL, .pid = ref };
        ref = PIDREF_NULL;
        r = process_watch_new(sd->backend->manager->event, &w->pid, on_watch_gone, w, &w->watch);
        if (r < 0)
                return pid_watch_free(w), r;
        w->sd = sd;
        LIST_PREPEND(watches, sd->watches, w);
        return 0;
}

static int recover_process(SystemdBackend *sd, const char *unit, const char *name, pid_t pid) {
        Manager *mgr = sd->backend->manager;
        const ProcessInfo *p;
        Managed *m;
        uint64_t ticks;
        uid_t uid;
        int r;

        if (backend_find(sd->backend, pid))
                return 0;
        r = proc_table_read_one(mgr->procs, pid, &p);
        if (r < 0)
                return r;
        ticks = p->start_ticks;
        uid = p->uid;
        r = backend_add_managed(sd->backend, pid, ticks, name, unit, uid, &m);
        if (r < 0)
                return r;
        r = watch_pid(sd, pid, ticks);
        if (r < 0) {
                /* Gone in the meantime (or no pidfd): don't keep a record nobody updates. */
                backend_remove_managed(sd->backend, m);
                return r;
        }
        log_debug("Recovered process %i (%s) in %s.", (int) pid, name, unit);
        return 1;
}

/* One scope found at start-up: its main process (from the unit name) if it still runs,
 * else whatever is left in it, so the tree stays visible and stoppable. */
static int recover_scope(SystemdBackend *sd, const char *unit) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *name = NULL;
        pid_t main_pid, pids[64];
        size_t n = 0;
        bool main_found = false;
        int r, k = 0;

        r = scope_name_parse(unit, &name, &main_pid);
        if (r < 0)
                return log_debug_errno(r, "Ignoring unit '%s': not named like ours.", unit), 0;

        r = sd_bus_call_method(sd->bus, SD_DEST, SD_PATH, SD_MANAGER, "GetUnitProcesses", &error, &reply, "s",
                               unit);
        if (r < 0)
                return log_warning_errno(r, "Cannot list the processes of %s, ignoring: %s", unit,
                                         error.message ?: strerror(-r));
        r = sd_bus_message_enter_container(reply, 'a', "(sus)");
        if (r < 0)
                return r;
        for (;;) {
                const char *cg, *cmd;
                uint32_t pid;

                r = sd_bus_message_read(reply, "(sus)", &cg, &pid, &cmd);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if ((pid_t) pid == main_pid)
                        main_found = true;
                else if (n < ELEMENTSOF(pids))
                        pids[n++] = (pid_t) pid;
        }
        if (main_found)
                return recover_process(sd, unit, name, main_pid);
        for (size_t i = 0; i < n; i++)
                if (recover_process(sd, unit, name, pids[i]) > 0)
                        k++;
        return k;
}

static int recover_scopes(SystemdBackend *sd) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        unsigned n_units = 0;
        int r;

        /* Also the reachability test of PID 1: failing here means "no service manager". */
        r = sd_bus_call_method(sd->bus, SD_DEST, SD_PATH, SD_MANAGER, "ListUnitsByPatterns", &error, &reply,
                               "asas", 0, 1, SCOPE_PATTERN);
        if (r < 0)
                return log_notice_errno(r, "The service manager is not reachable on the system bus: %s",
                                        error.message ?: strerror(-r));
        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r < 0)
                return r;
        for (;;) {
                const char *id, *active;

                r = sd_bus_message_read(reply, "(ssssssouso)", &id, NULL, NULL, &active, NULL, NULL, NULL, NULL,
                                        NULL, NULL);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (strcmp(active, "active") != 0 && strcmp(active, "deactivating") != 0)
                        continue;
                n_units++;
                (void) recover_scope(sd, id);
        }
        if (n_units > 0)
                log_info("Found %u scope(s) of earlier procmgrd instances; %zu process(es) managed.", n_units,
                         sd->backend->n_managed);
        return 0;
}

/* ---- START ----------------------------------------------------------------------------- */

static ScopeStart *scope_start_free(ScopeStart *op) {
        if (!op)
                return NULL;
        if (op->sd)
                LIST_REMOVE(starts, op->sd->starts, op);
        sd_bus_slot_unref(op->call_slot);
        sd_event_source_disable_unref(op->io);
        sd_event_source_disable_unref(op->timer);
        (void) safe_close(op->hold_fd);
        (void) safe_close(op->error_fd);
        free(op->name);
        free(op->unit);
        free(op->job);
        free(op->prefix);
        free(op);
        return NULL;
}

/* Tell a held child to give up (it exits 126 without exec'ing); its child source reaps it. */
static void start_abort_child(ScopeStart *op) {
        if (op->hold_fd >= 0) {
                (void) !write(op->hold_fd, "x", 1);
                op->hold_fd = safe_close(op->hold_fd);
        }
}

static void start_fail(ScopeStart *op, int r, const char *fmt, ...) _printf_(3, 4);
static void start_fail(ScopeStart *op, int r, const char *fmt, ...) {
        BackendStartDone done = op->done;
        void *userdata = op->userdata;
        char msg[512];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        start_abort_child(op);
        /* It never ran: no record, nothing announced (its exit report finds nothing). */
        backend_start_finished(op->sd ? op->sd->backend : NULL, op->pid, op->start_ticks, false);
        scope_start_free(op);
        done(r, msg, NULL, userdata);
}

static int on_start_exec_result(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ScopeStart *op = userdata;
        BackendStartDone done = op->done;
        void *ud = op->userdata;
        Backend *b = op->sd->backend;
        pid_t pid = op->pid;
        uint64_t ticks = op->start_ticks;
        SpawnFailure f = {};
        char msg[320];
        Managed *m, tmp;
        int r;

        r = spawn_read_result(op->error_fd, &f);
        if (r == -EAGAIN)
                return 0;
        if (r != 0) {
                int e = r < 0 ? -r : r;
                spawn_failure_format(&f, e, msg, sizeof(msg));
                /* The child exits 127 by itself; the helper reaps it, and its exit report
                 * finds no record: it never ran. */
                backend_start_finished(b, pid, ticks, false);
                scope_start_free(op);
                done(-e, msg, NULL, ud);
                return 0;
        }
        m = backend_find(op->sd->backend, op->pid);
        if (!m || m->start_ticks != op->start_ticks) {
                /* It ran and already exited (and was reaped): still a successful start. */
                tmp = (Managed) { .backend = op->sd->backend, .pid = op->pid, .start_ticks = op->start_ticks,
                                  .name = op->name, .unit = op->unit, .exited = true };
                m = &tmp;
                done(0, NULL, m, ud);
                scope_start_free(op);
                return 0;
        }
        scope_start_free(op);
        done(0, NULL, m, ud);
        /* After STARTED: an exit seen first (a process that ends at once) is announced now. */
        backend_start_finished(b, pid, ticks, true);
        return 0;
}

/* Watch the scope for OOM kills before its process runs (docs/protocol.md, "OOM"). On
 * cgroup v2, its memory.events through inotify (oom-watch.h); on v1 (the memory
 * controller's own hierarchy) the kernel's notification, armed by the helper since
 * cgroup.event_control is root's. */
static void start_watch_oom(ScopeStart *op) {
        char path[PATH_MAX];
        Managed *m;
        int efd = -EBADF, ofd = -EBADF, r;

        m = backend_find_pinned(op->sd->backend, op->pid, op->start_ticks);
        if (!m)
                return;
        /* cgroup v2: memory.events is world-readable and announces its changes; the
         * front watches it itself. */
        if (snprintf(path, sizeof(path), "/sys/fs/cgroup/" SCOPE_SLICE "/%s/memory.events", op->unit) <
            (int) sizeof(path) && access(path, F_OK) >= 0) {
                r = managed_watch_oom_events(m, path);
                if (r < 0)
                        log_warning_errno(r, "Cannot watch %s for OOM kills (%m): its exit is reported with "
                                             "the oom flag only if memory.events is still there.", op->unit);
                return;
        }
        if (snprintf(path, sizeof(path), "/sys/fs/cgroup/memory/" SCOPE_SLICE "/%s", op->unit) >= (int) sizeof(path) ||
            access(path, F_OK) < 0)
                return;
        r = spawn_client_oom_watch(op->sd->backend->manager->spawn, op->unit, &efd, &ofd);
        if (r >= 0)
                r = managed_watch_oom(m, efd, ofd);
        if (r < 0)
                log_warning_errno(r, "Cannot watch %s for OOM kills (%m): its exit is reported without "
                                     "the oom flag.", op->unit);
}

static void start_job_finished(ScopeStart *op, const char *result) {
        int r;

        if (strcmp(result, "done") != 0) {
                start_fail(op, -EIO, "systemd could not start scope %s: job result '%s'", op->unit, result);
                return;
        }
        if (op->watch_oom)
                start_watch_oom(op);
        /* In its scope now: let it go on to exec. */
        r = spawn_release(TAKE_FD(op->hold_fd));
        if (r < 0) {
                /* It sees EOF and gives up (exit 126); its exec result says so. */
                log_warning_errno(r, "Cannot release process %i: %m", (int) op->pid);
        }
        op->state = START_WAIT_EXEC;
        op->call_slot = sd_bus_slot_unref(op->call_slot);
        r = sd_event_add_io(op->sd->backend->manager->event, &op->io, op->error_fd, EPOLLIN, on_start_exec_result,
                            op);
        if (r < 0) {
                /* It runs; we just can't confirm the exec. */
                Managed *m = backend_find(op->sd->backend, op->pid);
                BackendStartDone done = op->done;
                void *ud = op->userdata;

                if (m && m->start_ticks == op->start_ticks) {
                        Backend *b = op->sd->backend;
                        pid_t pid = op->pid;
                        uint64_t ticks = op->start_ticks;

                        scope_start_free(op);
                        done(0, NULL, m, ud);
                        backend_start_finished(b, pid, ticks, true);
                } else
                        start_fail(op, r, "cannot watch the started process: %s", strerror(-r));
        }
}

static int on_job_removed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        SystemdBackend *sd = userdata;
        const char *job, *unit, *result;
        uint32_t id;
        int r;

        r = sd_bus_message_read(msg, "uoss", &id, &job, &unit, &result);
        if (r < 0)
                return 0;
        LIST_FOREACH(starts, op, sd->starts) {
                if (op->state == START_WAIT_EXEC || op->state == START_WAIT_SPAWN)
                        continue;
                /* By job path once we know it; before the reply (should the signal overtake
                 * it) by the unit name, which is ours alone. */
                if (op->job ? strcmp(op->job, job) == 0 : strcmp(op->unit, unit) == 0) {
                        start_job_finished(op, result);
                        break;
                }
        }
        return 0;
}

static int on_start_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ScopeStart *op = userdata;
        const sd_bus_error *e;
        const char *job;
        int r;

        op->call_slot = sd_bus_slot_unref(op->call_slot);
        e = sd_bus_message_get_error(reply);
        if (e) {
                start_fail(op, -sd_bus_error_get_errno(e) ?: -EIO, "systemd refused scope %s: %s", op->unit,
                           e->message ?: e->name);
                return 0;
        }
        if (op->state != START_WAIT_REPLY)
                return 0;       /* JobRemoved came first and was handled */
        r = sd_bus_message_read(reply, "o", &job);
        if (r < 0) {
                start_fail(op, r, "unexpected reply from systemd for scope %s", op->unit);
                return 0;
        }
        op->job = strdup(job);
        if (!op->job) {
                start_fail(op, -ENOMEM, "out of memory");
                return 0;
        }
        op->state = START_WAIT_JOB;
        return 0;
}

static int on_start_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        ScopeStart *op = userdata;

        start_fail(op, -ETIMEDOUT, "systemd did not create scope %s in time", op->unit);
        return 0;
}

static int append_start_request(sd_bus_message *msg, const SpawnRequest *req, const char *unit, pid_t pid) {
        _cleanup_free_ char *desc = description_new(req->description ?: req->name);
        int r;

        if (!desc)
                return -ENOMEM;
        r = sd_bus_message_append(msg, "ss", unit, "fail");
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(msg, 'a', "(sv)");
        if (r < 0)
                return r;
        r = sd_bus_message_append(msg, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)",
                                  "Description", "s", desc,
                                  "Slice", "s", SCOPE_SLICE,
                                  "PIDs", "au", 1, (uint32_t) pid,
                                  "CollectMode", "s", "inactive-or-failed",
                                  "MemoryAccounting", "b", 1,
                                  "CPUAccounting", "b", 1,
                                  "TasksAccounting", "b", 1);
        if (r >= 0 && req->memory_max != UINT64_MAX)
                r = sd_bus_message_append(msg, "(sv)", "MemoryMax", "t", req->memory_max);
        if (r >= 0 && req->cpu_quota > 0)
                /* percent of one CPU → CPU time per second of wall clock */
                r = sd_bus_message_append(msg, "(sv)", "CPUQuotaPerSecUSec", "t",
                                          (uint64_t) req->cpu_quota * (USEC_PER_SEC / 100));
        if (r >= 0 && req->tasks_max != UINT64_MAX)
                r = sd_bus_message_append(msg, "(sv)", "TasksMax", "t", req->tasks_max);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(msg);
        if (r < 0)
                return r;
        return sd_bus_message_append(msg, "a(sa(sv))", 0);
}

/* The helper forked the held child: put it into its scope (StartTransientUnit with its
 * pid), then let it go on (start_job_finished()). */
static void on_scope_spawned(int r, Managed *m, SpawnedChild *child, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
        ScopeStart *op = userdata;
        SystemdBackend *sd = op->sd;
        Backend *b = sd->backend;
        BackendStartDone done = op->done;
        void *ud = op->userdata;

        if (r < 0) {
                /* Not started; the spawn client's words for it (START adds the name). */
                scope_start_free(op);
                done(r, NULL, NULL, ud);
                return;
        }
        op->state = START_WAIT_REPLY;
        op->pid = child->pid;
        op->start_ticks = m->start_ticks;
        op->hold_fd = TAKE_FD(child->hold_fd);
        op->error_fd = TAKE_FD(child->error_fd);
        op->name = strdup(m->name);
        r = op->name ? scope_name(op->prefix, op->pid, &op->unit) : -ENOMEM;
        if (r >= 0) {
                free(m->unit);
                m->unit = strdup(op->unit);
                if (!m->unit)
                        r = -ENOMEM;
        }
        if (r >= 0)
                r = sd_bus_message_new_method_call(sd->bus, &msg, SD_DEST, SD_PATH, SD_MANAGER,
                                                   "StartTransientUnit");
        if (r >= 0)
                r = append_start_request(msg, op->req, op->unit, op->pid);
        if (r >= 0)
                r = sd_bus_call_async(sd->bus, &op->call_slot, msg, on_start_reply, op, 0);
        if (r >= 0)
                r = sd_event_add_time_relative(b->manager->event, &op->timer, CLOCK_MONOTONIC, START_TIMEOUT_USEC,
                                               USEC_PER_SEC, on_start_timeout, op);
        if (r < 0) {
                start_abort_child(op);
                backend_start_finished(b, op->pid, op->start_ticks, false);
                scope_start_free(op);
                done(r, NULL, NULL, ud);
                return;
        }
        op->req = NULL;         /* not needed any more */
        log_debug("Starting process %i in %s.", (int) op->pid, op->unit);
}

static int systemd_start(Backend *b, SpawnRequest *req, BackendStartDone done, void *userdata) {
        SystemdBackend *sd = b->data;
        ScopeStart *op;
        int r;

        op = calloc(1, sizeof(ScopeStart));
        if (!op)
                return -ENOMEM;
        *op = (ScopeStart) {
                .state = START_WAIT_SPAWN, .hold_fd = -EBADF, .error_fd = -EBADF, .done = done, .userdata = userdata,
                .watch_oom = req->memory_max != UINT64_MAX, .req = req,
        };
        r = scope_prefix(req->name ?: "", &op->prefix);
        if (r < 0) {
                scope_start_free(op);
                return r;
        }
        op->sd = sd;
        LIST_PREPEND(starts, sd->starts, op);
        req->scope_prefix = op->prefix;
        r = backend_spawn_and_watch(b, req, true, on_scope_spawned, op);
        req->scope_prefix = NULL;
        if (r < 0)
                scope_start_free(op);
        return r;
}

/* ---- STOP ------------------------------------------------------------------------------ */

static ScopeStop *scope_stop_free(ScopeStop *op) {
        if (!op)
                return NULL;
        if (op->sd)
                LIST_REMOVE(stops, op->sd->stops, op);
        sd_bus_slot_unref(op->kill_slot);
        sd_bus_slot_unref(op->state_slot);
        sd_bus_slot_unref(op->match_slot);
        sd_event_source_disable_unref(op->timer);
        sd_event_source_disable_unref(op->poll);
        pidref_done(&op->main);
        free(op->unit);
        free(op->unit_path);
        free(op);
        return NULL;
}

static void scope_stop_finish(ScopeStop *op, int r) {
        BackendStopDone done = op->done;
        void *userdata = op->userdata;
        ExitStatus st = op->exit;

        if (op->finished)
                return;
        op->finished = true;
        /* Nothing of ours may fire any more; the record itself lives until process_stop()
         * has called back (it holds a pointer to it). */
        op->kill_slot = sd_bus_slot_unref(op->kill_slot);
        op->state_slot = sd_bus_slot_unref(op->state_slot);
        op->match_slot = sd_bus_slot_unref(op->match_slot);
        op->timer = sd_event_source_disable_unref(op->timer);
        op->poll = sd_event_source_disable_unref(op->poll);
        if (op->sd)
                LIST_REMOVE(stops, op->sd->stops, op);
        op->sd = NULL;
        if (!op->main_pending)
                scope_stop_free(op);
        done(r, r >= 0 ? &st : NULL, userdata);
}

static void scope_stop_maybe_finish(ScopeStop *op) {
        if (op->main_gone && op->unit_gone)
                scope_stop_finish(op, 0);
}

static void scope_stop_check_unit(ScopeStop *op);

static int on_unit_state(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ScopeStop *op = userdata;
        const char *state;

        op->state_slot = sd_bus_slot_unref(op->state_slot);
        if (sd_bus_message_is_method_error(reply, NULL))
                /* No such unit (any more), or systemd is gone with it. */
                op->unit_gone = true;
        else if (sd_bus_message_read(reply, "v", "s", &state) >= 0 &&
                 (strcmp(state, "inactive") == 0 || strcmp(state, "failed") == 0))
                op->unit_gone = true;
        if (op->unit_gone) {
                scope_stop_maybe_finish(op);
                return 0;
        }
        if (op->check_again) {
                op->check_again = false;
                scope_stop_check_unit(op);
        }
        return 0;
}

static void scope_stop_check_unit(ScopeStop *op) {
        int r;

        if (op->finished || op->unit_gone || !op->sd)
                return;
        if (op->state_slot) {
                op->check_again = true;
                return;
        }
        r = sd_bus_call_method_async(op->sd->bus, &op->state_slot, SD_DEST, op->unit_path,
                                     "org.freedesktop.DBus.Properties", "Get", on_unit_state, op, "ss", SD_UNIT,
                                     "ActiveState");
        if (r < 0) {
                log_warning_errno(r, "Cannot ask for the state of %s, assuming it is gone: %m", op->unit);
                op->unit_gone = true;
                scope_stop_maybe_finish(op);
        }
}

static int on_unit_changed(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        ScopeStop *op = userdata;

        if (op->main_gone)
                scope_stop_check_unit(op);
        return 0;
}

static int on_unit_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        ScopeStop *op = userdata;

        /* Safety net for a missed signal; the usual path is PropertiesChanged. */
        if (op->main_gone)
                scope_stop_check_unit(op);
        (void) sd_event_source_set_time_relative(s, UNIT_POLL_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ON);
        return 0;
}

static void main_gone(int r, const ExitStatus *st, void *userdata) {
        ScopeStop *op = userdata;

        op->main_pending = false;
        if (op->finished) {
                scope_stop_free(op);
                return;
        }
        if (st && st->known)
                op->exit = *st;
        op->main_gone = true;
        if (r < 0 && r != -ESRCH) {
                scope_stop_finish(op, r);
                return;
        }
        scope_stop_check_unit(op);
}

static void kill_unit(ScopeStop *op, int sig, sd_bus_slot **slot, sd_bus_message_handler_t cb) {
        int r;

        r = sd_bus_call_method_async(op->sd->bus, slot, SD_DEST, SD_PATH, SD_MANAGER, "KillUnit", cb, op, "ssi",
                                     op->unit, "all", (int32_t) sig);
        if (r < 0)
                log_warning_errno(r, "Cannot send KillUnit for %s: %m", op->unit);
}

static int on_kill_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ScopeStop *op = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        op->kill_slot = sd_bus_slot_unref(op->kill_slot);
        if (e) {
                /* The scope is gone (or systemd won't): signal the main process ourselves. */
                if (!sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit"))
                        log_warning("KillUnit of %s failed: %s", op->unit, e->message ?: e->name);
                else
                        op->unit_gone = true;
                if (pidref_is_set(&op->main) && op->sd)
                        (void) spawn_client_signal(op->sd->backend->manager->spawn, &op->main,
                                                   op->killed ? SIGKILL : op->sig, false);
                if (op->main_gone && op->unit_gone)
                        scope_stop_maybe_finish(op);
                return 0;
        }
        /* A stopped process can't act on the signal until it is continued. */
        if (!op->killed && op->sig != SIGKILL && op->sig != SIGCONT)
                kill_unit(op, SIGCONT, NULL, NULL);
        return 0;
}

static int on_stop_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        ScopeStop *op = userdata;

        if (op->killed) {
                log_warning("Scope %s still has processes after SIGKILL.", op->unit);
                scope_stop_finish(op, -ETIMEDOUT);
                return 0;
        }
        op->killed = true;
        if (!op->unit_gone) {
                log_info("Scope %s did not stop in time, sending SIGKILL.", op->unit);
                op->kill_slot = sd_bus_slot_unref(op->kill_slot);
                kill_unit(op, SIGKILL, &op->kill_slot, on_kill_reply);
        }
        (void) sd_event_source_set_time_relative(s, KILL_GRACE_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

static int systemd_stop(Backend *b, Managed *m, int sig, usec_t timeout, BackendStopDone done, void *userdata) {
        SystemdBackend *sd = b->data;
        Manager *mgr = b->manager;
        ScopeStop *op;
        int r;

        if (!m->unit)
                return process_stop(mgr, m->pid, m->start_ticks, sig, timeout, m, done, userdata);

        op = calloc(1, sizeof(ScopeStop));
        if (!op)
                return -ENOMEM;
        *op = (ScopeStop) {
                .main = PIDREF_NULL, .sig = sig,
                .unit = strdup(m->unit), .done = done, .userdata = userdata,
        };
        if (!op->unit || unit_path(op->unit, &op->unit_path) < 0) {
                scope_stop_free(op);
                return -ENOMEM;
        }

        /* Pin the main process; a recycled pid is never signalled. */
        r = pidref_set_pid_and_start(&op->main, m->pid, m->start_ticks);

        /* The main process: process_stop() with SIGCONT only watches it (and wakes it if it was
         * stopped), reports its exit status if it is our child, and SIGKILLs it at the timeout. */
        r = r >= 0 ? process_stop(mgr, m->pid, m->start_ticks, SIGCONT, timeout, m, main_gone, op) : -ESRCH;
        if (r == -ESRCH || r == -ENOENT)
                op->main_gone = true;
        else if (r < 0) {
                scope_stop_free(op);
                return r;
        } else
                op->main_pending = true;

        op->sd = sd;
        r = sd_bus_match_signal_async(sd->bus, &op->match_slot, SD_DEST, op->unit_path,
                                      "org.freedesktop.DBus.Properties", "PropertiesChanged", on_unit_changed, NULL,
                                      op);
        if (r < 0)
                log_debug_errno(r, "Cannot watch %s, polling: %m", op->unit);
        kill_unit(op, sig, &op->kill_slot, on_kill_reply);
        r = sd_event_add_time_relative(mgr->event, &op->timer, CLOCK_MONOTONIC, timeout, 0, on_stop_timeout, op);
        if (r >= 0)
                r = sd_event_add_time_relative(mgr->event, &op->poll, CLOCK_MONOTONIC, UNIT_POLL_USEC, 0,
                                               on_unit_poll, op);
        LIST_PREPEND(stops, sd->stops, op);
        if (r < 0) {
                /* Signals are out; we just can't wait properly. */
                scope_stop_finish(op, r);
                return 0;
        }
        if (op->main_gone)
                scope_stop_check_unit(op);
        return 0;
}

/* ---- STATUS ---------------------------------------------------------------------------- */

static ScopeStatus *scope_status_free(ScopeStatus *q) {
        if (!q)
                return NULL;
        if (q->sd)
                LIST_REMOVE(statuses, q->sd->statuses, q);
        for (size_t i = 0; i < STATUS_N_PROPS; i++)
                sd_bus_slot_unref(q->slots[i]);
        free(q);
        return NULL;
}

static void scope_status_complete(ScopeStatus *q) {
        BackendStatusDone done = q->done;
        void *userdata = q->userdata;
        UnitStatus st = {
                .memory_current = q->memory,
                .cpu_usage_ns = q->cpu,
                .tasks_current = q->tasks,
        };

        memcpy(st.active_state, q->active, sizeof(st.active_state));
        memcpy(st.sub_state, q->sub, sizeof(st.sub_state));
        scope_status_free(q);
        done(0, &st, userdata);
}

static int on_status_prop(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        ScopeStatus *q = userdata;
        sd_bus_slot *slot = sd_bus_get_current_slot(sd_bus_message_get_bus(reply));
        const char *s;
        size_t i;

        for (i = 0; i < STATUS_N_PROPS; i++)
                if (q->slots[i] == slot)
                        break;
        if (i < STATUS_N_PROPS && !sd_bus_message_is_method_error(reply, NULL)) {
                switch (i) {
                case 0:
                case 1:
                        if (sd_bus_message_read(reply, "v", "s", &s) >= 0)
                                (void) snprintf(i == 0 ? q->active : q->sub, sizeof(q->active), "%s", s);
                        break;
                case 2:
                        (void) sd_bus_message_read(reply, "v", "t", &q->memory);
                        break;
                case 3:
                        (void) sd_bus_message_read(reply, "v", "t", &q->cpu);
                        break;
                case 4:
                        (void) sd_bus_message_read(reply, "v", "t", &q->tasks);
                        break;
                }
        }
        if (i < STATUS_N_PROPS)
                q->slots[i] = sd_bus_slot_unref(q->slots[i]);
        if (--q->pending == 0)
                scope_status_complete(q);
        return 0;
}

static int systemd_status(Backend *b, Managed *m, BackendStatusDone done, void *userdata) {
        static const struct {
                const char *iface, *prop;
        } props[STATUS_N_PROPS] = {
                { SD_UNIT, "ActiveState" },
                { SD_UNIT, "SubState" },
                { SD_SCOPE, "MemoryCurrent" },
                { SD_SCOPE, "CPUUsageNSec" },
                { SD_SCOPE, "TasksCurrent" },
        };
        SystemdBackend *sd = b->data;
        _cleanup_free_ char *path = NULL;
        ScopeStatus *q;
        int r;

        if (!m->unit)
                return -EOPNOTSUPP;
        r = unit_path(m->unit, &path);
        if (r < 0)
                return r;
        q = calloc(1, sizeof(ScopeStatus));
        if (!q)
                return -ENOMEM;
        *q = (ScopeStatus) { .memory = UINT64_MAX, .cpu = UINT64_MAX, .tasks = UINT64_MAX,
                             .done = done, .userdata = userdata };
        /* Five small Gets, pipelined: one round trip, far less than GetAll of a unit. */
        for (size_t i = 0; i < STATUS_N_PROPS; i++) {
                r = sd_bus_call_method_async(sd->bus, &q->slots[i], SD_DEST, path, "org.freedesktop.DBus.Properties",
                                             "Get", on_status_prop, q, "ss", props[i].iface, props[i].prop);
                if (r < 0) {
                        scope_status_free(q);
                        return r;
                }
                q->pending++;
        }
        q->sd = sd;
        LIST_PREPEND(statuses, sd->statuses, q);
        return 0;
}

/* ---- life cycle ------------------------------------------------------------------------ */

static int systemd_init(Backend *b) {
        Manager *mgr = b->manager;
        SystemdBackend *sd;
        int r;

        if (!mgr->bus)
                return -ENOTCONN;
        sd = calloc(1, sizeof(SystemdBackend));
        if (!sd)
                return -ENOMEM;
        *sd = (SystemdBackend) { .backend = b, .bus = sd_bus_ref(mgr->bus) };
        b->data = sd;

        /* Before any StartTransientUnit goes out on this connection, so no JobRemoved of
         * ours can pass unseen. */
        r = sd_bus_match_signal_async(sd->bus, &sd->job_removed_slot, SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved",
                                      on_job_removed, NULL, sd);
        if (r >= 0)
                r = recover_scopes(sd);
        if (r >= 0)
                /* PropertiesChanged of units is only sent to subscribers; STOP waits for it. */
                r = sd_bus_call_method_async(sd->bus, NULL, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL,
                                             "");
        if (r < 0) {
                sd_bus_slot_unref(sd->job_removed_slot);
                sd_bus_unref(sd->bus);
                free(sd);
                b->data = NULL;
                return r;
        }
        return 0;
}

static void systemd_done(Backend *b) {
        SystemdBackend *sd = b->data;

        if (!sd)
                return;
        /* Held children must not run on outside their scope: tell them to give up. */
        while (sd->starts) {
                ScopeStart *op = sd->starts;
                start_abort_child(op);
                scope_start_free(op);
        }
        while (sd->stops) {
                ScopeStop *op = sd->stops;
                LIST_REMOVE(stops, sd->stops, op);
                op->sd = NULL;
                op->finished = true;
                /* process_stop() may still call back; it then frees the record. */
                if (!op->main_pending)
                        scope_stop_free(op);
        }
        while (sd->statuses)
                scope_status_free(sd->statuses);
        while (sd->watches)
                pid_watch_free(sd->watches);
        sd_bus_slot_unref(sd->job_removed_slot);
        sd_bus_unref(sd->bus);
        free(sd);
        b->data = NULL;
}

const BackendVTable backend_systemd_vtable = {
        .name = "systemd",
        .flags = BACKEND_APPLIES_LIMITS,
        .init = systemd_init,
        .done = systemd_done,
        .start = systemd_start,
        .stop = systemd_stop,
        .status = systemd_status,
};
