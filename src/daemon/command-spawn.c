/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * START: validate every member, resolve the user in the daemon (never in the
 * child), authorize, then hand a SpawnRequest to the backend. The executable
 * is looked up only after authorization, by the child as the user it runs as
 * (helper/spawn.c): an unauthorized caller learns nothing about which paths
 * exist. The command line is never given to a shell.
 */

#include <ctype.h>
#include <grp.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "daemon/auth.h"
#include "daemon/backend.h"
#include "daemon/commands.h"
#include "daemon/event-log.h"
#include "shared/log.h"
#include "daemon/manager.h"
#include "daemon/process-events.h"
#include "daemon/restart-policy.h"
#include "daemon/spawn-client.h"
#include "shared/split.h"
#include "shared/string-util.h"
#include "shared/strv.h"
#include "shared/user-util.h"

#define START_ARGV_MAX 16384
#define START_ENV_MAX 512
#define START_NAME_MAX 64
#define START_GROUPS_MAX 256
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

typedef struct StartContext {
        Call *call;
        SpawnRequest req;
        RestartParameters restart;
} StartContext;

static StartContext *start_context_free(StartContext *ctx) {
        if (!ctx)
                return NULL;
        spawn_request_done(&ctx->req);
        free(ctx);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(StartContext *, start_context_free);

static bool env_name_valid(const char *s) {
        if (!*s || strlen(s) > 256)
                return false;
        for (const char *p = s; *p; p++)
                if (*p == '=' || (unsigned char) *p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

/* The alphabet of START's 'name', explicit or derived. */
static bool name_char_ok(char c) {
        return isalnum((unsigned char) c) || strchr("-_.@:+", c);
}

/* The basename of argv[0] made a valid name in place: every other byte becomes '_',
 * at most START_NAME_MAX of them. */
static void derived_name_sanitize(char *s) {
        for (char *p = s; *p; p++)
                if (!name_char_ok(*p))
                        *p = '_';
        s[MIN(strlen(s), (size_t) START_NAME_MAX)] = '\0';
}

static int build_env(const UserRecord *u, json_t *env, char ***ret, char *msg, size_t msg_size) {
        _cleanup_strv_free_ char **l = NULL;
        const char *key;
        json_t *v;
        size_t n = 0;
        char *s;

        /* The minimal clean environment; the daemon's own is never passed on. */
        if (asprintf(&s, "PATH=%s", DEFAULT_PATH) < 0 || strv_consume(&l, &n, s) < 0)
                return -ENOMEM;
        if (asprintf(&s, "HOME=%s", u->home) < 0 || strv_consume(&l, &n, s) < 0)
                return -ENOMEM;
        if (asprintf(&s, "USER=%s", u->name) < 0 || strv_consume(&l, &n, s) < 0)
                return -ENOMEM;
        if (asprintf(&s, "LOGNAME=%s", u->name) < 0 || strv_consume(&l, &n, s) < 0)
                return -ENOMEM;
        if (asprintf(&s, "SHELL=%s", u->shell) < 0 || strv_consume(&l, &n, s) < 0)
                return -ENOMEM;

        if (env) {
                if (json_object_size(env) > START_ENV_MAX) {
                        (void) snprintf(msg, msg_size, "too many variables in 'env' (max %d)", START_ENV_MAX);
                        return -EINVAL;
                }
                json_object_foreach(env, key, v) {
                        size_t kl = strlen(key);

                        if (!env_name_valid(key)) {
                                char shown[40];
                                string_sanitize(key, 32, shown, sizeof(shown));
                                (void) snprintf(msg, msg_size, "invalid variable name '%s' in 'env'", shown);
                                return -EINVAL;
                        }
                        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
                                (void) snprintf(msg, msg_size, "values in 'env' must be strings without NUL");
                                return -EINVAL;
                        }
                        /* A variable given twice (PATH) replaces the default. */
                        for (size_t i = 0; i < n; i++)
                                if (strncmp(l[i], key, kl) == 0 && l[i][kl] == '=') {
                                        free(l[i]);
                                        l[i] = l[--n];
                                        l[n] = NULL;
                                        break;
                                }
                        if (asprintf(&s, "%s=%s", key, json_string_value(v)) < 0 || strv_consume(&l, &n, s) < 0)
                                return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int build_argv(const StartParameters *a, char ***ret, char *msg, size_t msg_size) {
        _cleanup_strv_free_ char **argv = NULL;
        const char *command = a->command;
        json_t *arr = a->argv, *v;
        size_t n = 0, i;
        int r;

        if (arr && command) {
                (void) snprintf(msg, msg_size, "give either 'argv' or 'command', not both");
                return -EINVAL;
        }
        if (command) {
                r = split_command(command, START_ARGV_MAX, &argv);
                if (r < 0) {
                        (void) snprintf(msg, msg_size, r == -E2BIG ? "too many words in 'command' (max %d)"
                                                                   : "unterminated quote in 'command'", START_ARGV_MAX);
                        return -EINVAL;
                }
                n = (size_t) r;
        } else if (arr) {
                if (json_array_size(arr) > START_ARGV_MAX) {
                        (void) snprintf(msg, msg_size, "too many arguments in 'argv' (max %d)", START_ARGV_MAX);
                        return -EINVAL;
                }
                json_array_foreach(arr, i, v) {
                        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
                                (void) snprintf(msg, msg_size, "'argv' must be an array of strings without NUL");
                                return -EINVAL;
                        }
                        if (strv_extend(&argv, &n, json_string_value(v)) < 0)
                                return -ENOMEM;
                }
        } else {
                (void) snprintf(msg, msg_size, "START needs 'argv' or 'command'");
                return -EINVAL;
        }
        if (n == 0 || argv[0][0] == '\0') {
                (void) snprintf(msg, msg_size, "empty command line");
                return -EINVAL;
        }
        *ret = TAKE_PTR(argv);
        return 0;
}

static int resolve_groups(const UserRecord *u, SpawnRequest *req) {
        int n = START_GROUPS_MAX;
        gid_t *g = calloc(n, sizeof(gid_t));

        if (!g)
                return -ENOMEM;
        if (getgrouplist(u->name, u->gid, g, &n) < 0) {
                /* More groups than we care to pass: keep the primary only. */
                g[0] = u->gid;
                n = 1;
        }
        req->groups = g;
        req->n_groups = (size_t) n;
        return 0;
}

/* START failed: in the backend's words (error_msg), or the daemon's own (the spawn
 * helper's absence, our descriptor or in-flight bounds: LimitExceeded, not the command's
 * fault). */
static void start_failed(Call *call, const SpawnRequest *req, int r, const char *error_msg) {
        const char *why = error_msg ?: spawn_client_error_message(r) ?: strerror(-r);

        event_log_start_failed(req->name, req->description, call_peer(call)->description, why);
        if (error_msg)
                call_reply_error(call, ERROR_SPAWN_FAILED, "%s", error_msg);
        else
                call_reply_error(call, r == -EMFILE || r == -EBUSY ? ERROR_LIMIT_EXCEEDED : ERROR_SPAWN_FAILED,
                                 "cannot start '%s': %s", req->name, why);
}

static void start_done(int r, const char *error_msg, Managed *mp, void *userdata) {
        StartContext *ctx = userdata;
        Call *call = ctx->call;
        Manager *mgr = call->manager;   /* call_reply() may free the call */
        json_t *reply;

        if (r < 0) {
                start_failed(call, &ctx->req, r, error_msg);
                start_context_free(ctx);
                return;
        }
        event_log_process_started(mp->pid, mp->name, mp->unit, ctx->req.description, ctx->req.user,
                                  call_peer(call)->description);
        process_events_emit(call->manager->events,
                            &(ProcessEvent) { .type = PROCESS_EVENT_STARTED, .managed = mp });
        reply = call_reply_new(call);
        if (!reply || json_object_set_new(reply, "pid", json_integer(mp->pid)) < 0 ||
            json_object_set_new(reply, "unit", mp->unit ? json_string(mp->unit) : json_null()) < 0 ||
            json_object_set_new(reply, "name", json_string(mp->name)) < 0 ||
            json_object_set_new(reply, "user", json_string(ctx->req.user)) < 0) {
                json_decref(reply);
                call_reply_error(call, ERROR_INTERNAL, "out of memory (process %i was started)", (int) mp->pid);
        } else
                call_reply(call, reply);
        /* The policy takes over the request, to start it again: after the reply, which
         * still reads it (the user). */
        r = restart_policy_add(mgr->restarts, &ctx->req, &ctx->restart, mp);
        if (r < 0)
                log_warning_errno(r, "Cannot keep the restart policy of '%s': %m", mp->name);
        start_context_free(ctx);
}

/* Who asked, for the per-requester bound: a Unix peer by uid; every TCP token holder is
 * the same principal (the token). */
static int64_t start_requester(const Peer *peer) {
        if (peer->is_unix && peer->has_cred)
                return (int64_t) peer->uid;
        return peer->is_unix ? REQUESTER_UNKNOWN : REQUESTER_TCP;
}

/* --max-managed and --max-managed-per-user (issue 15, item 8). A process being started
 * counts at once (backend_count_managed() counts SPAWNs on their way), so pipelined STARTs
 * cannot overshoot. Returns 0 to go on, < 0 when replied. */
static int start_check_bounds(Call *call, int64_t requester) {
        const ManagerConfig *cfg = &call->manager->config;
        Backend *b = call->manager->backend;
        unsigned per_user = cfg->max_managed_per_user;
        size_t all = backend_count_managed(b, REQUESTER_ANY), mine;

        if (cfg->max_managed > 0 && all >= cfg->max_managed) {
                call_reply_error(call, ERROR_LIMIT_EXCEEDED,
                                 "too many managed processes: %zu of --max-managed=%u are running; "
                                 "stop some first", all, cfg->max_managed);
                return -EUSERS;
        }
        /* Root on the Unix socket is bound by the daemon-wide limit only. */
        if (per_user == 0 || requester == 0)
                return 0;
        mine = backend_count_managed(b, requester);
        if (mine >= per_user) {
                call_reply_error(call, ERROR_LIMIT_EXCEEDED,
                                 "too many managed processes started by %s: %zu of --max-managed-per-user=%u "
                                 "are running; stop some first",
                                 requester == REQUESTER_TCP ? "TCP clients" : "you", mine, per_user);
                return -EUSERS;
        }
        return 0;
}

int command_start(Call *call) {
        Manager *m = call->manager;
        const Peer *peer = call_peer(call);
        _cleanup_(start_context_freep) StartContext *ctx = NULL;
        _cleanup_(user_record_done) UserRecord u = {};
        _cleanup_strv_free_ char **argv = NULL, **envp = NULL;
        const StartParameters *a = &call->request.params.start;
        const char *name = a->name, *cwd = a->cwd, *user = a->user;
        bool as_other_user, can_switch;
        char msg[256];
        int r;

        /* Types and ranges are checked (protocol/schema.c); what is left is START's own. */
        r = build_argv(a, &argv, msg, sizeof(msg));
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return reply_bad_argument(call, r, msg), 0;
        if (name) {
                bool ok = *name && strlen(name) <= START_NAME_MAX;
                for (const char *p = name; ok && *p; p++)
                        ok = name_char_ok(*p);
                if (!ok) {
                        call_reply_error(call, ERROR_INVALID_ARGUMENT,
                                         "'name' must be 1-%d characters of [A-Za-z0-9-_.@:+]", START_NAME_MAX);
                        return 0;
                }
        }
        if (a->restart && restart_mode_from_string(a->restart) < 0) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "'restart' must be \"no\", \"on-failure\" or \"always\"");
                return 0;
        }
        if (a->restart && restart_mode_from_string(a->restart) != RESTART_NO && !name) {
                /* A policy follows its process by name (STOP, STATUS, WATCH across restarts). */
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "a restart policy needs a 'name'");
                return 0;
        }
        if (cwd && (cwd[0] != '/' || strlen(cwd) >= PATH_MAX)) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "'cwd' must be an absolute path");
                return 0;
        }

        /* Who it runs as: asked for, else a Unix caller's own user, else --default-user. */
        if (user)
                r = user_record_lookup(user, false, &u);
        else if (peer->is_unix)
                r = user_record_lookup_uid_or_numeric(peer->uid, &u);
        else
                r = user_record_lookup(m->config.default_user, false, &u);
        if (r == -ESRCH || r == -EINVAL) {
                char shown[40];
                string_sanitize(user ?: m->config.default_user, 32, shown, sizeof(shown));
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "unknown user '%s'", shown);
                return 0;
        }
        if (r < 0)
                return r;
        as_other_user = auth_start_is_other_user(call, !!user, &u);

        /* The privileged helper, not this unprivileged front, switches identity: whether it
         * can (it holds CAP_SETUID/CAP_SETGID), not our euid, says if a child may run as
         * another user. */
        can_switch = spawn_client_can_change_identity(m->spawn);
        if (!can_switch && u.uid != geteuid()) {
                call_reply_error(call, ERROR_ACCESS_DENIED,
                                 "procmgrd holds no CAP_SETUID/CAP_SETGID and cannot start processes as '%s'",
                                 u.name);
                return 0;
        }
        /* procmgrd's own service user may manage units through polkit: a process running
         * as that user would hold the same power over systemd. Never hand it out. */
        if (can_switch && geteuid() != 0 && u.uid == geteuid()) {
                call_reply_error(call, ERROR_ACCESS_DENIED,
                                 "refusing to start processes as procmgrd's own user '%s'", u.name);
                return 0;
        }

        r = build_env(&u, a->env, &envp, msg, sizeof(msg));
        if (r == -EINVAL)
                return reply_bad_argument(call, r, msg), 0;
        if (r < 0)
                return r;

        ctx = calloc(1, sizeof(StartContext));
        if (!ctx)
                return -ENOMEM;
        ctx->call = call;
        ctx->restart = (RestartParameters) {
                .mode = a->restart ? restart_mode_from_string(a->restart) : RESTART_NO,
                .restart_sec = (usec_t) a->restart_sec * USEC_PER_SEC,
                .restart_max_sec = (usec_t) a->restart_max_sec * USEC_PER_SEC,
                .max_restarts = (unsigned) a->max_restarts,
        };
        ctx->req = (SpawnRequest) {
                .argv = TAKE_PTR(argv),
                .envp = TAKE_PTR(envp),
                .uid = u.uid,
                .gid = u.gid,
                .change_identity = can_switch,
                .memory_max = a->memory_max > 0 ? (uint64_t) a->memory_max : UINT64_MAX,
                .cpu_quota = a->cpu_quota > 0 ? (uint64_t) a->cpu_quota : 0,
                .tasks_max = a->tasks_max > 0 ? (uint64_t) a->tasks_max : UINT64_MAX,
                .user = strdup(u.name),
                .cwd = strdup(cwd ?: u.home),
                .cwd_explicit = !!cwd,
                .nofile_soft = m->nofile_soft_original,
        };
        const char *base = strrchr(ctx->req.argv[0], '/');
        ctx->req.name = strdup(name ?: (base ? base + 1 : ctx->req.argv[0]));
        ctx->req.description = strv_join(ctx->req.argv, " ");
        if (!ctx->req.user || !ctx->req.cwd || !ctx->req.name || !ctx->req.description ||
            (ctx->req.change_identity && resolve_groups(&u, &ctx->req) < 0))
                return -ENOMEM;
        /* The name ends up in a unit's Description=, the journal stream header, replies, LIST
         * and log lines: a derived one gets the alphabet an explicit one must have. */
        if (!name)
                derived_name_sanitize(ctx->req.name);

        /* Everything is checked: now who may. When polkit has to be asked, we are run again
         * with its answer (and check everything again). */
        r = auth_verify_async(call, auth_rule_action(call, !as_other_user));
        if (r == 0)
                return 0;
        if (r < 0) {
                call_reply_error(call, ERROR_ACCESS_DENIED, "not authorized to start processes%s%s",
                                 ctx->req.user ? " as " : "", ctx->req.user ?: "");
                return 0;
        }
        /* After authorization, before anything is spawned. rlimits cannot express a cgroup's
         * memory, CPU or task limit faithfully (they count per process, not per tree): without
         * scopes the limits are refused, never dropped (issue 15, item 6). */
        if ((a->memory_max > 0 || a->cpu_quota > 0 || a->tasks_max > 0) && !backend_applies_limits(m->backend)) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT,
                                 "limits need the systemd backend ('%s' was given; this daemon uses the %s backend)",
                                 a->memory_max > 0 ? "memory_max" : a->cpu_quota > 0 ? "cpu_quota" : "tasks_max",
                                 backend_name(m->backend));
                return 0;
        }
        ctx->req.requester = start_requester(peer);
        if (start_check_bounds(call, ctx->req.requester) < 0)
                return 0;
        /* A live managed name is unique (derived names may repeat). Checked here, after
         * polkit, in the same loop iteration as the start is sent (a name on its way to
         * the helper counts). */
        if (name && (backend_name_in_use(m->backend, name) || restart_policy_has_name(m->restarts, name))) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "a managed process named '%s' is running", name);
                return 0;
        }
        r = backend_start(m->backend, &ctx->req, start_done, ctx);
        if (r < 0) {
                start_failed(call, &ctx->req, r, NULL);
                return 0;
        }
        TAKE_PTR(ctx);  /* start_done() frees it */
        return 0;
}
