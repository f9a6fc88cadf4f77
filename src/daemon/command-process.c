/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LIST, STATUS and STOP: process objects from /proc, stops through the backend. */

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
#include "shared/string-util.h"
#include "daemon/proc-table.h"
#include "daemon/process-json.h"
#include "daemon/restart-policy.h"
#include "protocol/schema.h"
#include "daemon/spawn-client.h"
#include "shared/user-util.h"

int command_list(Call *call) {
        const ListParameters *p = &call->request.params.list;
        ListParams lp = {
                .limit = p->limit,
                .user = p->user,
                .name = p->name,
                .managed_only = p->managed,
        };
        const char *sort = p->sort ?: "pid";
        int r;

        /* A user nobody can be is a mistake, not a filter that matches nothing: the same
         * error as START's. Decimal uids stay valid (processes of uids without an entry). */
        if (p->user) {
                _cleanup_(user_record_done) UserRecord u = {};

                r = user_record_lookup(p->user, true, &u);
                if (r == -ESRCH || r == -EINVAL) {
                        char shown[40];
                        string_sanitize(p->user, 32, shown, sizeof(shown));
                        call_reply_error(call, ERROR_INVALID_ARGUMENT, "unknown user '%s'", shown);
                        return 0;
                }
                if (r < 0)
                        return r;
        }

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

int command_resolve_target(Call *call, pid_t pid, const char *name, pid_t *ret_pid) {
        char shown[72];
        unsigned n;
        Managed *mp;

        if (pid > 0 && name) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "give either '%s' or '%s', not both",
                                 SCHEMA_ARG_PID, SCHEMA_ARG_NAME);
                return 0;
        }
        if (pid > 0) {
                *ret_pid = pid;
                return 1;
        }
        if (!name) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "missing member '%s' (or '%s')", SCHEMA_ARG_PID,
                                 SCHEMA_ARG_NAME);
                return 0;
        }
        string_sanitize(name, 64, shown, sizeof(shown));
        mp = backend_find_by_name(call->manager->backend, name, &n);
        if (!mp && backend_name_spawning(call->manager->backend, name)) {
                /* Its START is on its way to the spawn helper: say so rather than "none". */
                call_reply_error(call, ERROR_NO_SUCH_PROCESS,
                                 "no managed process named '%s' yet: its START has not been answered", shown);
                return 0;
        }
        if (!mp) {
                call_reply_error(call, ERROR_NO_SUCH_PROCESS, "no managed process named '%s'", shown);
                return 0;
        }
        if (n > 1) {
                /* Only names START derived from argv[0] repeat; explicit ones are unique. */
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "%u managed processes are named '%s': use '%s'",
                                 n, shown, SCHEMA_ARG_PID);
                return 0;
        }
        *ret_pid = mp->pid;
        return 1;
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
        RestartPolicyInfo policy;
        Managed *mp;
        pid_t pid;
        int r;

        r = command_resolve_target(call, call->request.params.status.pid, call->request.params.status.name, &pid);
        if (r <= 0)
                return r;
        r = read_process(call, pid, &p);
        if (r <= 0)
                return r;
        if (auth_check_process(call, p->uid, p->start_ticks) < 0) {
                call_reply_error(call, ERROR_ACCESS_DENIED, "process %i belongs to another user", (int) pid);
                return 0;
        }

        mp = backend_find_pinned(m->backend, pid, p->start_ticks);
        reply = call_reply_new(call);
        if (!reply || json_object_set_new(reply, "process", process_info_to_json(p, !!mp, mp ? mp->unit : NULL)) < 0)
                return -ENOMEM;
        if (mp && !mp->unit && restart_policy_info(m->restarts, mp, &policy) &&
            (json_object_set_new(reply, "restarts", json_integer(policy.restarts)) < 0 ||
             json_object_set_new(reply, "restart_policy", json_string(restart_mode_to_string(policy.mode))) < 0))
                return -ENOMEM;
        if (!mp || !mp->unit) {
                call_reply(call, TAKE_PTR(reply));
                return 0;
        }
        if (json_object_set_new(reply, "unit", json_string(mp->unit)) < 0)
                return -ENOMEM;
        if (restart_policy_info(m->restarts, mp, &policy) &&
            (json_object_set_new(reply, "restarts", json_integer(policy.restarts)) < 0 ||
             json_object_set_new(reply, "restart_policy", json_string(restart_mode_to_string(policy.mode))) < 0))
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
        int signal;
        char *unit;             /* the scope, for the event record */
} StopContext;

static StopContext *stop_context_free(StopContext *ctx) {
        if (!ctx)
                return NULL;
        free(ctx->unit);
        free(ctx);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(StopContext *, stop_context_free);

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
        stop_context_free(ctx);
}

/* A live managed process has this name and is running (not gone, not a zombie). */
static bool named_process_running(Manager *m, const char *name) {
        Managed *mp = backend_find_by_name(m->backend, name, NULL);
        const ProcessInfo *p;

        if (!mp || proc_table_read_one(m->procs, mp->pid, &p) < 0)
                return false;
        return p->state != 'Z' && p->state != 'X' && (mp->start_ticks == 0 || mp->start_ticks == p->start_ticks);
}

/* STOP by the name of a restart policy whose process is not running (waiting for its
 * restart, being restarted, or just exited with its exit report on the way) ends the
 * policy, authorized as a STOP of its process. 1: answered (or polkit asked); 0: no such
 * policy; <0: failure. */
static int stop_named_policy(Call *call) {
        Manager *m = call->manager;
        const StopParameters *a = &call->request.params.stop;
        _cleanup_(stop_context_freep) StopContext *ctx = NULL;
        ExitStatus st = {};
        uid_t owner;
        pid_t pid;
        int r;

        if (restart_policy_owner(m->restarts, a->name, &owner) <= 0)
                return 0;
        r = auth_verify_async(call, auth_rule_action(call, !call_peer(call)->is_unix || owner == call_peer(call)->uid));
        if (r == 0)
                return 1;
        if (r < 0) {
                char shown[72];

                string_sanitize(a->name, 64, shown, sizeof(shown));
                call_reply_error(call, ERROR_ACCESS_DENIED, "not authorized to stop '%s'", shown);
                return 1;
        }
        if (restart_policy_end_by_name(m->restarts, a->name, a->signal, &pid, &st) <= 0)
                return 0;
        ctx = calloc(1, sizeof(StopContext));
        if (!ctx)
                return -ENOMEM;
        *ctx = (StopContext) { .call = call, .pid = pid, .signal = a->signal };
        stop_done(0, &st, TAKE_PTR(ctx));
        return 1;
}

int command_stop(Call *call) {
        Manager *m = call->manager;
        const StopParameters *a = &call->request.params.stop;
        const ProcessInfo *p;
        _cleanup_(stop_context_freep) StopContext *ctx = NULL;
        bool ended_policy = false;
        Managed *mp;
        pid_t pid;
        int r;

        /* STOP by the name of a restart policy whose process is not running now: the
         * policy ends, that is the stop. */
        if (a->name && a->pid == 0 && !named_process_running(m, a->name)) {
                r = stop_named_policy(call);
                if (r != 0)
                        return MIN(r, 0);
        }
        r = command_resolve_target(call, a->pid, a->name, &pid);
        if (r <= 0)
                return r;
        if (pid == 1 || pid == getpid()) {
                call_reply_error(call, ERROR_ACCESS_DENIED, "refusing to signal %s",
                                 pid == 1 ? "PID 1" : "procmgrd itself");
                return 0;
        }
        /* ... also when it ended between that check and now. */
        if (a->name && a->pid == 0 && !named_process_running(m, a->name)) {
                r = stop_named_policy(call);
                if (r != 0)
                        return MIN(r, 0);
        }
        r = read_process(call, pid, &p);
        if (r <= 0)
                return r;
        /* A zombie has exited already; only its parent's wait() is missing. */
        if (p->state == 'Z' || p->state == 'X') {
                /* Its restart policy still ends, for the caller who may stop it. */
                mp = backend_find_pinned(m->backend, pid, p->start_ticks);
                if (mp && (auth_call_is_privileged(call) ||
                           (call_peer(call)->is_unix && mp->uid == call_peer(call)->uid)))
                        ended_policy = restart_policy_forget(m->restarts, mp);
                if (ended_policy) {
                        /* As below: it exited on its own just now; ending its policy was the stop. */
                        ctx = calloc(1, sizeof(StopContext));
                        if (!ctx)
                                return -ENOMEM;
                        *ctx = (StopContext) { .call = call, .pid = pid, .signal = a->signal };
                        stop_done(0, &(ExitStatus) {}, TAKE_PTR(ctx));
                        return 0;
                }
                call_reply_error(call, ERROR_NO_SUCH_PROCESS, "process %i has already exited", (int) pid);
                return 0;
        }
        /* Kernel threads can't be signalled meaningfully. */
        if (p->ppid == 2 || pid == 2) {
                call_reply_error(call, ERROR_ACCESS_DENIED, "refusing to signal kernel thread %i", (int) pid);
                return 0;
        }

        mp = backend_find_pinned(m->backend, pid, p->start_ticks);

        /* The table: stop covers the caller's own managed processes, anything else needs
         * stop-any. When polkit has to be asked, we are run again with its answer, and
         * read the process again: it may have gone meanwhile. */
        r = auth_verify_async(call, auth_rule_action(call, mp && (!call_peer(call)->is_unix ||
                                                                  mp->uid == call_peer(call)->uid)));
        if (r == 0)
                return 0;
        if (r < 0) {
                call_reply_error(call, ERROR_ACCESS_DENIED, "not authorized to stop process %i", (int) pid);
                return 0;
        }

        /* STOP ends a restart policy, whichever way the process ends now. */
        if (mp && mp->start_ticks == p->start_ticks)
                ended_policy = restart_policy_forget(m->restarts, mp);
        ctx = calloc(1, sizeof(StopContext));
        if (!ctx)
                return -ENOMEM;
        *ctx = (StopContext) { .call = call, .pid = pid, .signal = a->signal };
        /* A record without a start time can't vouch for this process: stop it by pid. */
        if (mp && mp->start_ticks != p->start_ticks)
                mp = NULL;
        if (mp && mp->unit) {
                ctx->unit = strdup(mp->unit);
                if (!ctx->unit)
                        return -ENOMEM;
        }
        if (mp)
                r = backend_stop(m->backend, mp, a->signal, (usec_t) a->timeout_ms * USEC_PER_MSEC, stop_done, ctx);
        else
                r = process_stop(m, pid, p->start_ticks, a->signal, (usec_t) a->timeout_ms * USEC_PER_MSEC, NULL,
                                 stop_done, ctx);
        if ((r == -ESRCH || r == -ENOENT) && ended_policy) {
                /* It exited just now, on its own: the policy this STOP ended was the rest of
                 * the job (its exit is announced when it is reported). */
                stop_done(0, &(ExitStatus) {}, TAKE_PTR(ctx));
                return 0;
        }
        if (r == -ESRCH || r == -ENOENT) {
                call_reply_error(call, ERROR_NO_SUCH_PROCESS, "no process %i", (int) pid);
                return 0;
        }
        if (r < 0 && spawn_client_error_message(r)) {
                call_reply_error(call, ERROR_INTERNAL, "cannot stop process %i: %s", (int) pid,
                                 spawn_client_error_message(r));
                return 0;
        }
        if (r < 0) {
                call_reply_errno(call, r, "cannot stop process %i: %s", (int) pid, strerror(-r));
                return 0;
        }
        TAKE_PTR(ctx);  /* stop_done() frees it */
        return 0;
}
