/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LIST, STATUS and STOP: process objects from /proc, stops through the backend. */

#include "config.h"

#include <limits.h>
#include <signal.h>
#include <string.h>

#include "daemon/auth.h"
#include "daemon/backend.h"
#include "daemon/commands.h"
#include "daemon/event-log.h"
#include "daemon/list-job.h"
#include "shared/log.h"
#include "daemon/manager.h"
#include "shared/parse-util.h"
#include "daemon/proc-table.h"
#include "daemon/process-json.h"

#define LIST_LIMIT_MAX 1000000

static json_t *process_json(Manager *m, const ProcessInfo *p) {
        Managed *mp = backend_find(m->backend, p->pid);

        /* A managed record only describes this process if the start time matches. */
        if (mp && mp->start_ticks != 0 && mp->start_ticks != p->start_ticks)
                mp = NULL;
        return process_info_to_json(p, !!mp, mp ? mp->unit : NULL);
}

int command_list(Call *call) {
        ListParams lp = { .limit = -1 };
        const char *sort = "pid";
        char msg[128];
        int r;

        if ((r = request_get_string(&call->request, "sort", &sort, msg, sizeof(msg))) < 0 ||
            (r = request_get_int(&call->request, "limit", 0, LIST_LIMIT_MAX, &lp.limit, msg, sizeof(msg))) < 0 ||
            (r = request_get_string(&call->request, "user", &lp.user, msg, sizeof(msg))) < 0 ||
            (r = request_get_string(&call->request, "name", &lp.name, msg, sizeof(msg))) < 0 ||
            (r = request_get_bool(&call->request, "managed", &lp.managed_only, msg, sizeof(msg))) < 0)
                return reply_bad_argument(call, r, msg), 0;

        if (sort[0] == '-') {
                lp.descending = true;
                sort++;
        } else if (sort[0] == '+')
                sort++;
        lp.field = proc_sort_field_from_string(sort);
        if (lp.field < 0) {
                char shown_name[40];
                string_sanitize(sort, 32, shown_name, sizeof(shown_name));
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "unknown sort field '%s'", shown_name);
                return 0;
        }

        /* Scanned, sorted and written in slices; the job answers the call. */
        return list_job_add(call->manager->list_job, call, &lp);
}

static int get_pid(Call *call, pid_t *ret) {
        long long pid = 0;
        char msg[128];
        int r;

        r = request_get_int(&call->request, "pid", LLONG_MIN, LLONG_MAX, &pid, msg, sizeof(msg));
        if (r < 0)
                return reply_bad_argument(call, r, msg);
        if (r == 0) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "missing member 'pid'");
                return -EINVAL;
        }
        if (pid <= 0 || pid > INT32_MAX) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "invalid pid %lld", pid);
                return -EINVAL;
        }
        *ret = (pid_t) pid;
        return 0;
}

/* The process PID, read now. Returns 1 with *ret set; 0 with NoSuchProcess replied when
 * there is none; <0 on failure. */
static int read_process(Call *call, pid_t pid, const ProcessInfo **ret) {
        int r;

        r = proc_table_read_one(call->manager->procs, pid, ret);
        if (r == -ESRCH || r == -ENOENT) {
                call_reply_error(call, ERROR_NO_SUCH_PROCESS, "no process %i", (int) pid);
                return 0;
        }
        if (r < 0)
                return r;
        return 1;
}

/* The backend's entry for PID if procmgrd started this very process (P, as just read), not
 * an earlier one whose pid was reused. */
static Managed *find_managed(Manager *m, pid_t pid, const ProcessInfo *p) {
        Managed *mp = backend_find(m->backend, pid);

        if (mp && mp->start_ticks != 0 && mp->start_ticks != p->start_ticks)
                return NULL;
        return mp;
}

typedef struct StatusContext {
        Call *call;
        json_t *reply;
} StatusContext;

static json_t *json_u64_or_null(uint64_t v) {
        /* UINT64_MAX is systemd's "not set" (no accounting for this controller). */
        return v == UINT64_MAX ? json_null() : json_integer((json_int_t) MIN(v, (uint64_t) INT64_MAX));
}

/* STATUS' members from the unit: unit_state, memory_current, cpu_usage_ns, tasks_current. */
static json_t *unit_status_to_json(const UnitStatus *st) {
        char state[68];

        if (st->active_state[0])
                (void) snprintf(state, sizeof(state), "%s/%s", st->active_state,
                                st->sub_state[0] ? st->sub_state : "-");
        return json_pack("{s:o, s:o, s:o, s:o}",
                         "unit_state", st->active_state[0] ? json_string(state) : json_null(),
                         "memory_current", json_u64_or_null(st->memory_current),
                         "cpu_usage_ns", json_u64_or_null(st->cpu_usage_ns),
                         "tasks_current", json_u64_or_null(st->tasks_current));
}

static void status_done(int r, const UnitStatus *st, void *userdata) {
        StatusContext *ctx = userdata;

        if (r >= 0 && st) {
                _cleanup_(json_decrefp) json_t *extra = unit_status_to_json(st);

                if (extra)
                        (void) json_object_update(ctx->reply, extra);
        }
        call_reply(ctx->call, ctx->reply);
        free(ctx);
}

int command_status(Call *call) {
        Manager *m = call->manager;
        _cleanup_(json_decrefp) json_t *reply = NULL;
        const ProcessInfo *p;
        StatusContext *ctx;
        Managed *mp;
        pid_t pid;
        int r;

        if (get_pid(call, &pid) < 0)
                return 0;
        r = read_process(call, pid, &p);
        if (r <= 0)
                return r;
        if (!auth_call_is_privileged(call) && call_peer(call)->is_unix && p->uid != call_peer(call)->uid) {
                call_reply_error(call, ERROR_ACCESS_DENIED, "process %i belongs to another user", (int) pid);
                return 0;
        }

        mp = find_managed(m, pid, p);
        reply = call_reply_new(call);
        if (!reply || json_object_set_new(reply, "process", process_json(m, p)) < 0)
                return -ENOMEM;
        if (!mp || !mp->unit) {
                call_reply(call, TAKE_PTR(reply));
                return 0;
        }
        if (json_object_set_new(reply, "unit", json_string(mp->unit)) < 0)
                return -ENOMEM;
        ctx = calloc(1, sizeof(StatusContext));
        if (!ctx)
                return -ENOMEM;
        *ctx = (StatusContext) { .call = call, .reply = TAKE_PTR(reply) };
        r = backend_status(m->backend, mp, status_done, ctx);
        if (r < 0)
                status_done(r, NULL, ctx);
        return 0;
}

typedef struct StopContext {
        Call *call;
        pid_t pid;
        uint64_t start_ticks;
        int signal;
        usec_t timeout;
        bool managed;
        char *unit;             /* the scope, for the event record */
} StopContext;

static void stop_done(int r, const ExitStatus *st, void *userdata) {
        StopContext *ctx = userdata;
        Call *call = ctx->call;
        json_t *reply, *exit = NULL;

        if (r == -ETIMEDOUT) {
                call_reply_error(call, ERROR_TIMEOUT, "process %i did not exit, even after SIGKILL", (int) ctx->pid);
                goto finish;
        }
        if (r < 0) {
                call_reply_errno(call, r, "stopping process %i failed: %s", (int) ctx->pid, strerror(-r));
                goto finish;
        }
        if (st && st->known) {
                const char *name = signal_to_string(st->signal);
                if (st->signal)
                        exit = name ? json_pack("{s:s}", "signal", name) : json_pack("{s:i}", "signal", st->signal);
                else
                        exit = json_pack("{s:i}", "code", st->code);
        }
        reply = call_reply_new(call);
        if (!reply || json_object_set_new(reply, "pid", json_integer(ctx->pid)) < 0 ||
            json_object_set_new(reply, "stopped", json_true()) < 0 ||
            json_object_set_new(reply, "exit", exit ?: json_null()) < 0) {
                json_decref(reply);
                call_reply_error(call, ERROR_INTERNAL, "out of memory");
                goto finish;
        }
        event_log_process_stopped(ctx->pid, ctx->unit, ctx->signal, st, call_peer(call)->description);
        call_reply(call, reply);
finish:
        free(ctx->unit);
        free(ctx);
}

static void stop_authorized(Call *call, int allowed, void *userdata) {
        StopContext *ctx = userdata;
        Manager *m = call->manager;
        Managed *mp;
        int r;

        if (allowed <= 0) {
                call_reply_error(call, ERROR_ACCESS_DENIED, "not authorized to stop process %i", (int) ctx->pid);
                free(ctx);
                return;
        }
        /* Look again: the process may have gone while polkit was thinking. */
        mp = ctx->managed ? backend_find(m->backend, ctx->pid) : NULL;
        if (mp && mp->start_ticks == ctx->start_ticks && mp->unit)
                ctx->unit = strdup(mp->unit);
        if (mp && mp->start_ticks == ctx->start_ticks)
                r = backend_stop(m->backend, mp, ctx->signal, ctx->timeout, stop_done, ctx);
        else
                r = process_stop(m, ctx->pid, ctx->start_ticks, ctx->signal, ctx->timeout, NULL, stop_done, ctx);
        if (r == -ESRCH || r == -ENOENT) {
                call_reply_error(call, ERROR_NO_SUCH_PROCESS, "no process %i", (int) ctx->pid);
                free(ctx->unit);
                free(ctx);
        } else if (r < 0) {
                call_reply_errno(call, r, "cannot stop process %i: %s", (int) ctx->pid, strerror(-r));
                free(ctx->unit);
                free(ctx);
        }
}

int command_stop(Call *call) {
        Manager *m = call->manager;
        long long timeout_ms = 5000;
        const ProcessInfo *p;
        StopContext *ctx;
        json_t *sigj;
        Managed *mp;
        char msg[128];
        int sig = SIGTERM, r;
        pid_t pid;

        if (get_pid(call, &pid) < 0)
                return 0;
        r = request_get_int(&call->request, "timeout_ms", 0, 24LL * 3600 * 1000, &timeout_ms, msg, sizeof(msg));
        if (r < 0)
                return reply_bad_argument(call, r, msg), 0;
        sigj = json_object_get(call->request.args, "signal");
        if (sigj && !json_is_null(sigj)) {
                if (json_is_integer(sigj))
                        sig = json_integer_value(sigj) >= 1 && json_integer_value(sigj) <= SIGRTMAX
                                      ? (int) json_integer_value(sigj) : -ERANGE;
                else if (json_is_string(sigj))
                        sig = signal_from_string(json_string_value(sigj));
                else
                        sig = -EINVAL;
                if (sig < 0) {
                        call_reply_error(call, ERROR_INVALID_ARGUMENT, "member 'signal' must be a signal name or number");
                        return 0;
                }
        }

        if (pid == 1 || pid == getpid()) {
                call_reply_error(call, ERROR_ACCESS_DENIED, "refusing to signal %s",
                                 pid == 1 ? "PID 1" : "procmgrd itself");
                return 0;
        }
        r = read_process(call, pid, &p);
        if (r <= 0)
                return r;
        /* A zombie has exited already; only its parent's wait() is missing. */
        if (p->state == 'Z' || p->state == 'X') {
                call_reply_error(call, ERROR_NO_SUCH_PROCESS, "process %i has already exited", (int) pid);
                return 0;
        }
        /* Kernel threads can't be signalled meaningfully. */
        if (p->ppid == 2 || pid == 2) {
                call_reply_error(call, ERROR_ACCESS_DENIED, "refusing to signal kernel thread %i", (int) pid);
                return 0;
        }

        mp = find_managed(m, pid, p);

        ctx = calloc(1, sizeof(StopContext));
        if (!ctx)
                return -ENOMEM;
        *ctx = (StopContext) {
                .call = call, .pid = pid, .start_ticks = p->start_ticks, .signal = sig,
                .timeout = (usec_t) timeout_ms * USEC_PER_MSEC, .managed = !!mp,
        };
        /* Stopping what procmgrd did not start needs the stronger right. */
        /* org.procmgr.stop covers the caller's own managed processes; anything else — what
         * procmgrd did not start, or another user's — needs the stronger stop-any. */
        auth_authorize(m->auth, call,
                       mp && (!call_peer(call)->is_unix || mp->uid == call_peer(call)->uid) ? AUTH_ACTION_STOP
                                                                                         : AUTH_ACTION_STOP_ANY,
                       stop_authorized, ctx);
        return 0;
}
