/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * START's restart policies (restart, restart_sec, restart_max_sec,
 * max_restarts). A policy owns a copy of the START request and subscribes to
 * the process-events hub: when its process exits (and the policy says so) it
 * starts the same request again through the same backend start path, after a
 * delay that doubles per restart within the last 10 minutes, capped at
 * restart_max_sec; past max_restarts restarts in that window it gives up
 * (`failed`). A STOP ends the policy. Every policy is written to a file in
 * the runtime directory (opened before the privilege drop, rewritten in place)
 * and read back at start-up, after the backend recovered its scopes.
 *
 * Why re-spawn here rather than a transient service with Restart=: it works
 * the same on the direct backend, keeps every process in its own scope in
 * procmgr.slice with its limits and its journal stream, keeps the pid the
 * process-events hub and WATCH report as the process's, and leaves STOP,
 * STATUS and LOGS unchanged.
 *
 * Must NOT: emit events from inside a hub delivery (it defers to a timer), or
 * talk to a backend other than through backend_start().
 */

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/backend.h"
#include "daemon/commands.h"
#include "daemon/event-log.h"
#include "daemon/manager.h"
#include "daemon/process-events.h"
#include "daemon/process-watch.h"
#include "daemon/restart-policy.h"
#include "shared/pidref.h"
#include "protocol/schema.h"
#include "shared/fileio.h"
#include "shared/list.h"
#include "shared/log.h"
#include "shared/strv.h"

#define RESTART_WINDOW_USEC (10 * 60 * USEC_PER_SEC)
#define RESTART_RECENT_MAX 1001U
#define RESTART_STATE_MAX (4U * 1024U * 1024U)

struct RestartPolicy {
        RestartPolicies *owner;
        LIST_FIELDS(RestartPolicy, policies);
        SpawnRequest req;
        RestartMode mode;
        usec_t restart_sec, restart_max_sec;
        unsigned max_restarts;
        unsigned restarts;
        usec_t *recent;                 /* when the restarts within the window happened */
        size_t n_recent;
        pid_t pid;                      /* the current process; 0 while waiting */
        uint64_t start_ticks;
        pid_t last_pid;                 /* for `failed` */
        char *last_unit;
        ExitStatus last_exit;
        bool give_up;                   /* the timer announces `failed` instead of restarting */
        bool starting;                  /* backend_start() holds a pointer to us */
        bool ended;                     /* ended while starting: freed when the start is done */
        int stop_signal;                /* ended by a STOP while starting: the new process gets it */
        sd_event_source *timer;
        /* After a daemon restart, a process the backend could not take back (direct backend:
         * our former child) is waited for before its policy starts another. */
        PidRef orphan;
        ProcessWatch *orphan_watch;
};

struct RestartPolicies {
        Manager *manager;
        ProcessEventSubscription *subscription;
        RestartPolicy *policies;
        int state_fd;
};

static const char *const mode_names[_RESTART_MODE_MAX] = {
        [RESTART_NO] = "no", [RESTART_ON_FAILURE] = "on-failure", [RESTART_ALWAYS] = "always",
};

RestartMode restart_mode_from_string(const char *s) {
        for (int i = 0; s && i < _RESTART_MODE_MAX; i++)
                if (strcmp(mode_names[i], s) == 0)
                        return (RestartMode) i;
        return _RESTART_MODE_INVALID;
}

const char *restart_mode_to_string(RestartMode m) {
        return m >= 0 && m < _RESTART_MODE_MAX ? mode_names[m] : NULL;
}

static RestartPolicy *policy_free(RestartPolicy *p) {
        if (!p)
                return NULL;
        if (p->owner)
                LIST_REMOVE(policies, p->owner->policies, p);
        sd_event_source_disable_unref(p->timer);
        process_watch_free(p->orphan_watch);
        pidref_done(&p->orphan);
        spawn_request_done(&p->req);
        free(p->recent);
        free(p->last_unit);
        free(p);
        return NULL;
}

/* ---- the state file ------------------------------------------------------------------- */

static json_t *strv_to_json(char **l) {
        json_t *a = json_array();

        for (size_t i = 0; l && l[i]; i++)
                if (!a || json_array_append_new(a, json_string(l[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *policy_to_json(const RestartPolicy *p) {
        json_t *groups = json_array();

        for (size_t i = 0; groups && i < p->req.n_groups; i++)
                if (json_array_append_new(groups, json_integer(p->req.groups[i])) < 0)
                {
                        json_decref(groups);
                        return NULL;
                }
        return json_pack("{s:s, s:o, s:o, s:s, s:b, s:s?, s:I, s:I, s:o, s:b, s:I, s:I, s:I, s:s?, s:I,"
                         " s:s, s:I, s:I, s:I, s:I, s:I, s:I}",
                         "name", p->req.name, "argv", strv_to_json(p->req.argv), "envp", strv_to_json(p->req.envp),
                         "cwd", p->req.cwd, "cwd_explicit", p->req.cwd_explicit,
                         "user", p->req.user, "uid", (json_int_t) p->req.uid, "gid", (json_int_t) p->req.gid,
                         "groups", groups, "change_identity", p->req.change_identity,
                         "memory_max", (json_int_t) p->req.memory_max, "cpu_quota", (json_int_t) p->req.cpu_quota,
                         "tasks_max", (json_int_t) p->req.tasks_max, "description", p->req.description,
                         "nofile_soft", (json_int_t) p->req.nofile_soft,
                         "restart", restart_mode_to_string(p->mode), "restart_sec", (json_int_t) p->restart_sec,
                         "restart_max_sec", (json_int_t) p->restart_max_sec,
                         "max_restarts", (json_int_t) p->max_restarts, "restarts", (json_int_t) p->restarts,
                         "pid", (json_int_t) (p->pid ?: (p->orphan_watch ? p->orphan.pid : 0)),
                         "start_ticks", (json_int_t) (p->pid ? p->start_ticks : p->orphan.start_ticks));
}

/* Rewritten in place (the directory may not be ours after the privilege drop): one pwrite
 * of the whole state, truncate, fdatasync. A torn file is refused at load, loudly. */
static void policies_save(RestartPolicies *ps) {
        _cleanup_(json_decrefp) json_t *all = json_array();
        _cleanup_free_ char *text = NULL;
        size_t len;

        if (ps->state_fd < 0)
                return;
        LIST_FOREACH(policies, p, ps->policies) {
                if (p->ended)
                        continue;
                if (!all || json_array_append_new(all, policy_to_json(p)) < 0)
                        goto fail;
        }
        text = all ? json_dumps(all, JSON_COMPACT) : NULL;
        if (!text)
                goto fail;
        len = strlen(text);
        if (pwrite(ps->state_fd, text, len, 0) != (ssize_t) len || ftruncate(ps->state_fd, (off_t) len) < 0 ||
            fdatasync(ps->state_fd) < 0)
                goto fail;
        return;
fail:
        log_warning("Cannot save the restart policies; they may not survive a daemon restart.");
}

/* ---- restarting ------------------------------------------------------------------------- */

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata);

static int policy_arm(RestartPolicy *p, usec_t delay) {
        Manager *m = p->owner->manager;

        if (p->timer) {
                (void) sd_event_source_set_time_relative(p->timer, delay);
                return sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
        }
        return sd_event_add_time_relative(m->event, &p->timer, CLOCK_MONOTONIC, delay, 0, on_timer, p);
}

/* After an exit or a failed start: restart after the backoff, or give up. */
static void policy_schedule(RestartPolicy *p) {
        usec_t now_m = now(CLOCK_MONOTONIC), delay;
        size_t k = 0;

        /* Restarts older than the window do not count. */
        for (size_t i = 0; i < p->n_recent; i++)
                if (p->recent[i] + RESTART_WINDOW_USEC > now_m)
                        p->recent[k++] = p->recent[i];
        p->n_recent = k;
        p->give_up = p->n_recent >= p->max_restarts;
        delay = p->restart_sec;
        for (size_t i = 0; i < p->n_recent && delay < p->restart_max_sec; i++)
                delay *= 2;
        delay = MIN(delay, p->restart_max_sec);
        if (policy_arm(p, p->give_up ? 0 : delay) < 0) {
                log_error("Cannot schedule the restart of '%s'; giving it up.", p->req.name);
                p->give_up = true;
        }
}

static void on_late_stop_done(int r, const ExitStatus *st, void *userdata) {
        if (r < 0)
                log_warning_errno(r, "Stopping a process started as its restart policy ended failed: %m");
}

static void policy_start_done(int r, const char *error_msg, Managed *mp, void *userdata) {
        RestartPolicy *p = userdata;
        Manager *m = p->owner->manager;

        p->starting = false;
        if (p->ended) {
                RestartPolicies *ps = p->owner;

                /* What it started is announced all the same: a watcher sees every process
                 * before its exit. */
                if (r >= 0 && mp) {
                        mp->restarts = ++p->restarts;
                        event_log_process_started(mp->pid, mp->name, mp->unit, p->req.description, p->req.user,
                                                  "restart policy");
                        process_events_emit(m->events, &(ProcessEvent) {
                                .type = PROCESS_EVENT_RESTARTED, .managed = mp, .restarts = p->restarts,
                        });
                }
                /* A STOP came while this start was on its way: what it started is stopped
                 * too (the STOP was answered already; the exit is announced as usual). */
                if (r >= 0 && mp && p->stop_signal > 0 && !mp->exited) {
                        r = backend_stop(m->backend, mp, p->stop_signal, 10 * USEC_PER_SEC, on_late_stop_done, NULL);
                        if (r < 0)
                                log_warning_errno(r, "Cannot stop '%s' (pid %i), started as its policy ended: %m",
                                                  p->req.name, (int) mp->pid);
                }
                policy_free(p);
                policies_save(ps);
                return;
        }
        if (r < 0) {
                log_warning("Restarting '%s' failed: %s", p->req.name, error_msg ?: strerror(-r));
                p->last_exit = (ExitStatus) {};
                if (p->n_recent < RESTART_RECENT_MAX)
                        p->recent[p->n_recent++] = now(CLOCK_MONOTONIC);
                policy_schedule(p);
                return;
        }
        p->restarts++;
        if (p->n_recent < RESTART_RECENT_MAX)
                p->recent[p->n_recent++] = now(CLOCK_MONOTONIC);
        p->pid = mp->pid;
        p->start_ticks = mp->start_ticks;
        mp->restarts = p->restarts;
        event_log_process_started(mp->pid, mp->name, mp->unit, p->req.description, p->req.user, "restart policy");
        process_events_emit(m->events, &(ProcessEvent) {
                .type = PROCESS_EVENT_RESTARTED, .managed = mp, .restarts = p->restarts,
        });
        policies_save(p->owner);
        /* It may have exited already (the exit was seen before the exec result). */
        if (mp->exited) {
                p->last_exit = mp->exit;
                p->pid = 0;
                policy_schedule(p);
        }
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        RestartPolicy *p = userdata;
        Manager *m = p->owner->manager;
        int r;

        if (p->give_up) {
                Managed gone = {
                        .pid = p->last_pid, .name = p->req.name, .unit = p->last_unit, .uid = p->req.uid,
                        .exited = true, .exit = p->last_exit,
                };
                RestartPolicies *ps = p->owner;

                log_warning("'%s' exited %u times within 10 minutes; not restarting it again.", p->req.name,
                            (unsigned) p->n_recent);
                process_events_emit(m->events, &(ProcessEvent) {
                        .type = PROCESS_EVENT_FAILED, .managed = &gone, .exit = &p->last_exit,
                        .restarts = p->restarts,
                });
                policy_free(p);
                policies_save(ps);
                return 0;
        }
        p->starting = true;
        r = backend_start(m->backend, &p->req, policy_start_done, p);
        if (r < 0)
                policy_start_done(r, NULL, NULL, p);
        return 0;
}

static RestartPolicy *policy_of(RestartPolicies *ps, const Managed *m) {
        LIST_FOREACH(policies, p, ps->policies) {
                if (p->ended)
                        continue;
                if (p->pid == m->pid && (p->start_ticks == 0 || m->start_ticks == 0 || p->start_ticks == m->start_ticks))
                        return p;
                /* Being started: its new process is in the table before the start is done. */
                if (p->starting && p->pid == 0 && m->name && p->req.name && strcmp(m->name, p->req.name) == 0)
                        return p;
        }
        return NULL;
}

/* The policy ends (a STOP, a clean exit): now, or once its start is done. */
static void policy_end(RestartPolicy *p) {
        RestartPolicies *ps = p->owner;

        if (p->starting) {
                p->ended = true;
                return;
        }
        policy_free(p);
        policies_save(ps);
}

static void on_process_event(const ProcessEvent *ev, void *userdata) {
        RestartPolicies *ps = userdata;
        RestartPolicy *p;
        const ExitStatus *st = ev->exit;
        bool failure;

        if (!ev->managed || (ev->type != PROCESS_EVENT_EXITED && ev->type != PROCESS_EVENT_STOPPED))
                return;
        p = policy_of(ps, ev->managed);
        if (!p)
                return;
        /* Its start is not done yet: policy_start_done() sees the exit itself. A STOP ends it. */
        if (p->starting) {
                if (ev->type == PROCESS_EVENT_STOPPED)
                        policy_end(p);
                return;
        }
        p->last_pid = p->pid;
        p->pid = 0;
        p->last_exit = st ? *st : (ExitStatus) {};
        free(p->last_unit);
        p->last_unit = ev->managed->unit ? strdup(ev->managed->unit) : NULL;
        failure = !st || !st->known || st->signal != 0 || st->code != 0;
        if (ev->type == PROCESS_EVENT_STOPPED || p->mode == RESTART_NO || (p->mode == RESTART_ON_FAILURE && !failure)) {
                /* A STOP ends the policy; so does a clean exit under on-failure. */
                log_debug("Restart policy of '%s' ends.", p->req.name);
                policy_end(p);
                return;
        }
        /* Timer, not now: events are not emitted from inside a delivery. */
        policy_schedule(p);
}

int restart_policies_new(Manager *m, int state_fd, RestartPolicies **ret) {
        RestartPolicies *ps = calloc(1, sizeof(RestartPolicies));
        int r;

        if (!ps) {
                safe_close(state_fd);
                return -ENOMEM;
        }
        ps->manager = m;
        ps->state_fd = state_fd;
        r = process_events_subscribe(m->events, on_process_event, ps, &ps->subscription);
        if (r < 0) {
                restart_policies_free(ps);
                return r;
        }
        *ret = ps;
        return 0;
}

RestartPolicies *restart_policies_free(RestartPolicies *ps) {
        if (!ps)
                return NULL;
        while (ps->policies)
                policy_free(ps->policies);
        process_event_subscription_free(ps->subscription);
        safe_close(ps->state_fd);
        free(ps);
        return NULL;
}

static int policy_new(RestartPolicies *ps, RestartMode mode, usec_t sec, usec_t max_sec, unsigned max_restarts,
                      RestartPolicy **ret) {
        RestartPolicy *p = calloc(1, sizeof(RestartPolicy));

        if (!p)
                return -ENOMEM;
        *p = (RestartPolicy) {
                .orphan = PIDREF_NULL,
                .owner = ps, .mode = mode, .restart_sec = MAX(sec, (usec_t) 1),
                .restart_max_sec = MAX(max_sec, sec), .max_restarts = max_restarts,
        };
        p->recent = calloc(RESTART_RECENT_MAX, sizeof(usec_t));
        if (!p->recent) {
                free(p);
                return -ENOMEM;
        }
        LIST_PREPEND(policies, ps->policies, p);
        *ret = p;
        return 0;
}

int restart_policy_add(RestartPolicies *ps, SpawnRequest *req, const RestartParameters *rp, Managed *m) {
        RestartPolicy *p;
        int r;

        if (!ps || rp->mode == RESTART_NO)
                return 0;
        r = policy_new(ps, rp->mode, rp->restart_sec, rp->restart_max_sec, rp->max_restarts, &p);
        if (r < 0)
                return r;
        p->req = *req;          /* taken over */
        *req = (SpawnRequest) {};
        p->req.scope_prefix = NULL;
        p->pid = m->pid;
        p->start_ticks = m->start_ticks;
        if (m->exited) {
                /* Gone before START's reply: as any other exit. */
                p->pid = 0;
                p->last_pid = m->pid;
                p->last_exit = m->exit;
                if (m->exit.known && m->exit.signal == 0 && m->exit.code == 0 && rp->mode == RESTART_ON_FAILURE) {
                        policy_free(p);
                        return 0;
                }
                policy_schedule(p);
        }
        policies_save(ps);
        return 0;
}

bool restart_policy_has_name(RestartPolicies *ps, const char *name) {
        LIST_FOREACH(policies, p, ps ? ps->policies : NULL)
                if (!p->ended && p->req.name && strcmp(p->req.name, name) == 0)
                        return true;
        return false;
}

const RestartPolicyInfo *restart_policy_info(RestartPolicies *ps, const Managed *m, RestartPolicyInfo *buf) {
        RestartPolicy *p = ps && m ? policy_of(ps, m) : NULL;

        if (!p)
                return NULL;
        *buf = (RestartPolicyInfo) { .mode = p->mode, .restarts = p->restarts };
        return buf;
}

bool restart_policy_forget(RestartPolicies *ps, const Managed *m) {
        RestartPolicy *p = ps && m ? policy_of(ps, m) : NULL;

        if (!p)
                return false;
        policy_end(p);
        return true;
}

static RestartPolicy *policy_by_name(RestartPolicies *ps, const char *name) {
        LIST_FOREACH(policies, p, ps ? ps->policies : NULL)
                if (!p->ended && p->req.name && name && strcmp(p->req.name, name) == 0)
                        return p;
        return NULL;
}

int restart_policy_owner(RestartPolicies *ps, const char *name, uid_t *ret_uid) {
        RestartPolicy *p = policy_by_name(ps, name);

        if (!p)
                return 0;
        *ret_uid = (uid_t) p->req.uid;
        return 1;
}

int restart_policy_end_by_name(RestartPolicies *ps, const char *name, int sig, pid_t *ret_pid,
                               ExitStatus *ret_exit) {
        RestartPolicy *p = policy_by_name(ps, name);

        if (!p)
                return 0;
        /* Its current process (gone, its exit report on the way) or the last one. */
        *ret_pid = p->pid > 0 ? p->pid : p->last_pid;
        *ret_exit = p->pid > 0 ? (ExitStatus) {} : p->last_exit;
        if (p->starting)
                p->stop_signal = sig;
        policy_end(p);
        return 1;
}

/* ---- start-up --------------------------------------------------------------------------- */

int restart_state_open(const char *dir, int *ret_fd) {
        return open_state_file(dir, RESTART_STATE_FILE, O_RDWR | O_CREAT, 0600, /* sync_dir= */ false, ret_fd);
}

static char **json_to_strv(json_t *a) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0, i;
        json_t *v;

        json_array_foreach(a, i, v) {
                if (!json_is_string(v) || strv_extend(&l, &n, json_string_value(v)) < 0)
                        return NULL;
        }
        return TAKE_PTR(l);
}

static void on_orphan_gone(ProcessWatch *w, void *userdata) {
        RestartPolicy *p = userdata;

        p->orphan_watch = process_watch_free(p->orphan_watch);
        pidref_done(&p->orphan);
        p->last_exit = (ExitStatus) {};         /* not our child: unknown, a failure */
        policy_schedule(p);
}

static int policy_from_json(RestartPolicies *ps, json_t *o) {
        const char *name, *cwd, *user = NULL, *description = NULL, *mode;
        json_t *argv, *envp, *groups;
        json_int_t uid, gid, memory_max, cpu_quota, tasks_max, nofile, sec, max_sec, max_restarts, restarts, pid,
                ticks;
        int cwd_explicit, change_identity;
        RestartPolicy *p;
        Managed *m;
        int r;

        if (json_unpack(o, "{s:s, s:o, s:o, s:s, s:b, s?s, s:I, s:I, s:o, s:b, s:I, s:I, s:I, s?s, s:I,"
                           " s:s, s:I, s:I, s:I, s:I, s:I, s:I}",
                        "name", &name, "argv", &argv, "envp", &envp, "cwd", &cwd,
                        "cwd_explicit", &cwd_explicit, "user", &user, "uid", &uid, "gid", &gid, "groups", &groups,
                        "change_identity", &change_identity, "memory_max", &memory_max, "cpu_quota", &cpu_quota,
                        "tasks_max", &tasks_max, "description", &description, "nofile_soft", &nofile,
                        "restart", &mode, "restart_sec", &sec, "restart_max_sec", &max_sec,
                        "max_restarts", &max_restarts, "restarts", &restarts, "pid", &pid,
                        "start_ticks", &ticks) < 0 ||
            !json_is_array(argv) || !json_is_array(envp) || !json_is_array(groups) ||
            restart_mode_from_string(mode) <= RESTART_NO || max_restarts < 0 || sec < 0 || max_sec < 0)
                return -EBADMSG;
        r = policy_new(ps, restart_mode_from_string(mode), (usec_t) sec, (usec_t) max_sec, (unsigned) max_restarts, &p);
        if (r < 0)
                return r;
        p->req = (SpawnRequest) {
                .argv = json_to_strv(argv), .envp = json_to_strv(envp),
                .cwd = strdup(cwd), .cwd_explicit = cwd_explicit, .name = strdup(name),
                .user = user ? strdup(user) : NULL, .uid = (uid_t) uid, .gid = (gid_t) gid,
                .change_identity = change_identity, .memory_max = (uint64_t) memory_max,
                .cpu_quota = (uint64_t) cpu_quota, .tasks_max = (uint64_t) tasks_max,
                .description = description ? strdup(description) : NULL, .nofile_soft = (rlim_t) nofile,
                /* Who asked is not kept across a restart of the daemon, as for a recovered scope. */
                .requester = REQUESTER_UNKNOWN,
        };
        p->req.groups = calloc(MAX(json_array_size(groups), (size_t) 1), sizeof(gid_t));
        for (size_t i = 0; p->req.groups && i < json_array_size(groups); i++)
                p->req.groups[p->req.n_groups++] = (gid_t) json_integer_value(json_array_get(groups, i));
        if (!p->req.argv || !p->req.argv[0] || !p->req.envp || !p->req.cwd || !p->req.name || !p->req.groups) {
                policy_free(p);
                return -EBADMSG;
        }
        p->restarts = (unsigned) restarts;
        /* Its process, as the backend recovered it (a scope); else it ended while no daemon
         * watched, or the backend (direct) cannot find it again: count that as an exit. */
        m = backend_find_pinned(ps->manager->backend, (pid_t) pid, (uint64_t) ticks);
        if (m && !m->exited && pid > 0) {
                p->pid = m->pid;
                p->start_ticks = m->start_ticks;
                m->restarts = p->restarts;
                log_info("Restart policy of '%s' resumed for process %i.", name, (int) pid);
        } else if (pid > 0 && pidref_set_pid_and_start(&p->orphan, (pid_t) pid, (uint64_t) ticks) >= 0 &&
                   process_watch_new(ps->manager->event, &p->orphan, on_orphan_gone, p, &p->orphan_watch) >= 0) {
                p->last_pid = (pid_t) pid;
                log_info("Restart policy of '%s': waiting for its earlier process %i to end.", name, (int) pid);
        } else {
                p->last_pid = (pid_t) pid;
                log_info("Restart policy of '%s': its process %i is gone, restarting it.", name, (int) pid);
                policy_schedule(p);
        }
        return 0;
}

int restart_policies_load(RestartPolicies *ps) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_(json_decrefp) json_t *all = NULL;
        json_error_t error;
        size_t i;
        ssize_t n;
        json_t *o;

        if (!ps || ps->state_fd < 0)
                return 0;
        buf = malloc(RESTART_STATE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        n = pread(ps->state_fd, buf, RESTART_STATE_MAX, 0);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        all = json_loads(buf, 0, &error);
        if (!json_is_array(all))
                return log_error_errno(SYNTHETIC_ERRNO(EBADMSG), "The restart policy file is damaged (%s); "
                                       "ignoring it.", error.text);
        json_array_foreach(all, i, o)
                if (policy_from_json(ps, o) < 0)
                        log_warning("Ignoring a damaged restart policy record.");
        policies_save(ps);
        return 0;
}
