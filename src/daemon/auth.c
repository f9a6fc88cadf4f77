/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Authorization decisions; see auth.h. Nothing here replies to a client. TCP tokens are compared in constant
 * time over the full configured length; failures are logged at most once a
 * second with a count, so a guessing client cannot flood the journal.
 *
 * Guessing is throttled. Each source (Peer.source; all Unix peers are one) has
 * an entry in a fixed table (least recently failed entries are reused): after
 * AUTH_FREE_FAILURES wrong tokens every further one is answered only after a
 * delay that doubles up to AUTH_DELAY_MAX, and no token from that source is
 * checked before the delay is over; attempts meanwhile are held (a bounded
 * number per source and in all) and checked in turn. A daemon-wide budget of
 * failures per second holds every source's attempts once it is spent. Held
 * calls wait on an sd-event timer and are run again through call->resume.
 *
 * Unix peers that are not root ask polkit (polkit.c), asynchronously; D-Bus
 * callers (Peer.bus_sender) are Unix peers whose subject is their bus name. The
 * subject process is pinned with a pidfd and its start time compared with the
 * one read at accept time before asking; when polkit answers, the pinned
 * process must still be alive — otherwise the pid may have been recycled
 * while polkit looked it up, and the answer is thrown away (denied). Only
 * when polkit is unreachable (no bus, polkitd not running) does membership in
 * --admin-group decide; any other polkit error denies. The answer is kept in
 * the Call and the call is run again (call->resume), so a handler asks
 * auth_verify_async() the same question twice and gets the answer the second
 * time: no continuation contexts in the handlers.
 */

#include <string.h>

#include "daemon/auth.h"
#include "daemon/event-log.h"
#include "shared/log.h"
#include "daemon/manager.h"
#include "daemon/polkit.h"
#include "shared/pidref.h"
#include "shared/user-util.h"

#define AUTH_BUS_RETRY_USEC (10 * USEC_PER_SEC)
/* A handler run again after polkit answered may ask for another action (its object
 * changed meanwhile); this many questions per call, then the answer is no. */
#define AUTH_ROUNDS_MAX 4U

/* Who may do what: the one table. Commands that act on a process refine it per object
 * through auth_check_process() (owner rule SELF) or auth_rule_action() (ESCALATE). */
static const AuthRule auth_rules[] = {
        { "PING",     ACCESS_PUBLIC,  _AUTH_ACTION_NONE,  _AUTH_ACTION_NONE,         AUTH_OWNER_ANY },
        { "DESCRIBE", ACCESS_PUBLIC,  _AUTH_ACTION_NONE,  _AUTH_ACTION_NONE,         AUTH_OWNER_ANY },
        { "AUTH",     ACCESS_PUBLIC,  _AUTH_ACTION_NONE,  _AUTH_ACTION_NONE,         AUTH_OWNER_ANY,
          AUTH_RULE_TOKEN_ARGUMENT },
        { "EXIT",     ACCESS_PUBLIC,  _AUTH_ACTION_NONE,  _AUTH_ACTION_NONE,         AUTH_OWNER_ANY },
        /* Every local user may list every process, as ps(1) shows them. */
        { "LIST",     ACCESS_READ,    _AUTH_ACTION_NONE,  _AUTH_ACTION_NONE,         AUTH_OWNER_ANY },
        { "INFO",     ACCESS_READ,    _AUTH_ACTION_NONE,  _AUTH_ACTION_NONE,         AUTH_OWNER_ANY },
        { "METRICS",  ACCESS_READ,    _AUTH_ACTION_NONE,  _AUTH_ACTION_NONE,         AUTH_OWNER_ANY },
        /* Details and logs may carry secrets: own processes only, for unprivileged callers. */
        { "STATUS",   ACCESS_READ,    _AUTH_ACTION_NONE,  _AUTH_ACTION_NONE,         AUTH_OWNER_SELF },
        { "LOGS",     ACCESS_READ,    _AUTH_ACTION_NONE,  _AUTH_ACTION_NONE,         AUTH_OWNER_SELF },
        /* Events as STATUS: unprivileged callers see their own processes' only. */
        { "WATCH",    ACCESS_READ,    _AUTH_ACTION_NONE,  _AUTH_ACTION_NONE,         AUTH_OWNER_SELF },
        { "UNWATCH",  ACCESS_READ,    _AUTH_ACTION_NONE,  _AUTH_ACTION_NONE,         AUTH_OWNER_SELF },
        { "START",    ACCESS_CONTROL, AUTH_ACTION_START,  AUTH_ACTION_START_AS_USER, AUTH_OWNER_ESCALATE },
        /* stop covers the caller's own managed processes; what procmgrd did not start, or
         * another user's, needs stop-any. */
        { "STOP",     ACCESS_CONTROL, AUTH_ACTION_STOP,   AUTH_ACTION_STOP_ANY,      AUTH_OWNER_ESCALATE },
};

const AuthRule *auth_rule_find(const char *command) {
        if (!command)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(auth_rules); i++)
                if (strcmp(auth_rules[i].command, command) == 0)
                        return &auth_rules[i];
        return NULL;
}

const AuthRule *auth_rule_table(size_t *ret_n) {
        *ret_n = ELEMENTSOF(auth_rules);
        return auth_rules;
}

const char *access_to_string(Access a) {
        static const char *const names[_ACCESS_MAX] = {
                [ACCESS_PUBLIC] = "public", [ACCESS_READ] = "read", [ACCESS_CONTROL] = "control",
        };
        return a >= 0 && a < _ACCESS_MAX ? names[a] : NULL;
}

typedef struct AuthPending AuthPending;
typedef struct AuthHeld AuthHeld;

#define AUTH_SOURCES_MAX 256U
#define AUTH_FREE_FAILURES 5U                           /* typos are not punished */
#define AUTH_DELAY_MIN (50 * USEC_PER_MSEC)             /* then at most 20 guesses/s, … */
#define AUTH_DELAY_MAX (5 * USEC_PER_SEC)               /* … growing to one per 5 s */
#define AUTH_FORGET_USEC (60 * USEC_PER_SEC)            /* a source quiet this long starts over */
#define AUTH_HELD_PER_SOURCE 8U
#define AUTH_HELD_MAX 256U
#define AUTH_FAILURES_PER_SEC_MAX 50U                   /* the daemon-wide budget */
#define AUTH_THROTTLE_LOG_USEC (10 * USEC_PER_SEC)
/* Call.auth_action when the call's token was found wrong and its reply held back, and
 * when a held attempt is run again because it is its turn. */
#define AUTH_TOKEN_DENIED_HELD (-2)
#define AUTH_TOKEN_TURN (-3)

typedef struct AuthSource {
        uint8_t key[16];
        bool used;
        unsigned failures;              /* since the source was last quiet for AUTH_FORGET_USEC */
        usec_t last_failure;
        usec_t not_before;              /* no token of this source is checked before this */
        unsigned held;
        usec_t logged;                  /* the last throttle record */
} AuthSource;

/* A token attempt (or a denial) waiting for its time. */
struct AuthHeld {
        Auth *auth;
        AuthHeld *prev, *next;
        AuthSource *source;
        Call *call;
        sd_event_source *timer;
        uint64_t seq;                   /* arrival order: a source's attempts are checked in turn */
        bool denial;                    /* a wrong token's reply, not an attempt waiting */
};

struct Auth {
        Manager *manager;
        usec_t fail_window_start;
        unsigned fail_count;
        unsigned fail_suppressed;

        AuthSource sources[AUTH_SOURCES_MAX];
        AuthHeld *held;
        unsigned n_held;
        uint64_t held_seq;
        usec_t budget_window_start;     /* the daemon-wide budget: failures in this second */
        unsigned budget_failures;
        usec_t budget_not_before;
        usec_t budget_logged;

        sd_bus *bus;                    /* our own, only when the manager has none */
        usec_t bus_tried;
        bool polkit_unreachable_logged;
        AuthPending *pending;
};

/* A polkit question in flight. */
struct AuthPending {
        Auth *auth;
        AuthPending *prev, *next;
        PolkitQuery *query;
        Call *call;
        AuthAction action;
        PidRef subject;                 /* pins the peer: its pidfd (if any) and start time */
};

static const char *const action_ids[_AUTH_ACTION_MAX] = {
        [AUTH_ACTION_LIST] = "org.procmgr.list",
        [AUTH_ACTION_START] = "org.procmgr.start",
        [AUTH_ACTION_STOP] = "org.procmgr.stop",
        [AUTH_ACTION_STOP_ANY] = "org.procmgr.stop-any",
        [AUTH_ACTION_START_AS_USER] = "org.procmgr.start-as-user",
};

const char *auth_action_id(AuthAction a) {
        return a >= 0 && a < _AUTH_ACTION_MAX ? action_ids[a] : NULL;
}

int auth_new(Manager *m, Auth **ret) {
        Auth *a = calloc(1, sizeof(Auth));

        if (!a)
                return -ENOMEM;
        a->manager = m;
        *ret = a;
        return 0;
}

static AuthPending *auth_pending_free(AuthPending *p) {
        if (!p)
                return NULL;
        if (p->prev)
                p->prev->next = p->next;
        else if (p->auth->pending == p)
                p->auth->pending = p->next;
        if (p->next)
                p->next->prev = p->prev;
        polkit_query_cancel(p->query);
        pidref_done(&p->subject);
        free(p);
        return NULL;
}

static AuthHeld *auth_held_free(AuthHeld *h) {
        if (!h)
                return NULL;
        if (h->prev)
                h->prev->next = h->next;
        else if (h->auth->held == h)
                h->auth->held = h->next;
        if (h->next)
                h->next->prev = h->prev;
        h->auth->n_held--;
        h->source->held--;
        sd_event_source_disable_unref(h->timer);
        free(h);
        return NULL;
}

Auth *auth_free(Auth *a) {
        if (!a)
                return NULL;
        /* At exit: cancel outstanding questions; their calls have nobody left to answer. */
        while (a->pending)
                auth_pending_free(a->pending);
        while (a->held) {
                Call *call = a->held->call;

                auth_held_free(a->held);
                if (call_is_detached(call))
                        call_free(call);
        }
        sd_bus_flush_close_unref(a->bus);
        free(a);
        return NULL;
}

/* Compares every byte of the configured token whatever the input, so the time taken
 * says nothing about how much of a guess was right. */
bool auth_token_equal(const char *expected, const char *given) {
        size_t el = strlen(expected), gl = strlen(given);
        volatile unsigned char diff = (unsigned char) (el != gl);

        for (size_t i = 0; i < el; i++)
                diff |= (unsigned char) expected[i] ^ (unsigned char) (i < gl ? given[i] : 0);
        return diff == 0;
}

#define AUTH_FAILURE_RECORDS_PER_SEC 3

static void auth_log_failure(Auth *a, const Call *call) {
        usec_t now = 0;

        /* A client guessing tokens must not flood the journal: a few records a second, the
         * next one counting what was left out. */
        (void) sd_event_now(a->manager->event, CLOCK_MONOTONIC, &now);
        if (now - a->fail_window_start >= USEC_PER_SEC) {
                a->fail_window_start = now;
                a->fail_count = 0;
        }
        if (a->fail_count++ >= AUTH_FAILURE_RECORDS_PER_SEC) {
                a->fail_suppressed++;
                return;
        }
        event_log_auth_failure(call_peer(call)->description, "invalid token", a->fail_suppressed);
        a->fail_suppressed = 0;
}

/* The source's entry: found, free, or the least recently failed one without held calls.
 * NULL when every entry holds calls (the caller refuses). */
static AuthSource *auth_source_get(Auth *a, const Call *call, usec_t now) {
        const Peer *p = call_peer(call);
        static const uint8_t local[16] = {};
        const uint8_t *key = p->is_unix ? local : p->source;
        AuthSource *victim = NULL, *e;

        for (size_t i = 0; i < AUTH_SOURCES_MAX; i++) {
                e = &a->sources[i];
                if (e->used && memcmp(e->key, key, 16) == 0) {
                        if (e->held == 0 && now >= e->last_failure + AUTH_FORGET_USEC)
                                e->failures = 0;
                        return e;
                }
                if (e->held > 0)
                        continue;
                if (!e->used) {
                        if (!victim || victim->used)
                                victim = e;
                } else if (!victim || (victim->used && e->last_failure < victim->last_failure))
                        victim = e;
        }
        if (!victim)
                return NULL;
        *victim = (AuthSource) { .used = true };
        memcpy(victim->key, key, 16);
        return victim;
}

/* An attempt of the same source that came before h and still waits to be checked. */
static bool auth_held_has_older(const AuthHeld *h) {
        for (const AuthHeld *o = h->auth->held; o; o = o->next)
                if (o != h && o->source == h->source && !o->denial && o->seq < h->seq)
                        return true;
        return false;
}

static bool auth_source_has_waiting(Auth *a, const AuthSource *src) {
        for (const AuthHeld *o = a->held; o; o = o->next)
                if (o->source == src && !o->denial)
                        return true;
        return false;
}

static int on_held_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        AuthHeld *h = userdata;
        Auth *a = h->auth;
        Call *call = h->call;
        usec_t now = 0, until;

        if (!h->denial) {
                /* Its turn may have moved on meanwhile (an older attempt failed), or an older
                 * one is due at the same time: wait, keeping the place in line. */
                (void) sd_event_now(a->manager->event, CLOCK_MONOTONIC, &now);
                until = MAX(h->source->not_before, a->budget_not_before);
                if (until <= now && auth_held_has_older(h))
                        until = now + USEC_PER_MSEC;
                if (until > now) {
                        (void) sd_event_source_set_time(s, until);
                        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
                        return 0;
                }
        }
        if (!h->denial)
                call->auth_action = AUTH_TOKEN_TURN;
        auth_held_free(h);
        /* Run again: the token is checked now (or its held denial is answered). */
        if (call->resume)
                call->resume(call);
        return 0;
}

static int auth_hold(Auth *a, AuthSource *src, Call *call, usec_t until, bool denial) {
        AuthHeld *h;
        int r;

        if (src->held >= AUTH_HELD_PER_SOURCE || a->n_held >= AUTH_HELD_MAX)
                return -EBUSY;
        h = calloc(1, sizeof(AuthHeld));
        if (!h)
                return -ENOMEM;
        *h = (AuthHeld) { .auth = a, .source = src, .call = call, .seq = ++a->held_seq, .denial = denial };
        r = sd_event_add_time(a->manager->event, &h->timer, CLOCK_MONOTONIC, until, USEC_PER_MSEC,
                              on_held_timer, h);
        if (r < 0) {
                free(h);
                return r;
        }
        (void) sd_event_source_set_description(h->timer, "auth-throttle");
        h->next = a->held;
        if (a->held)
                a->held->prev = h;
        a->held = h;
        a->n_held++;
        src->held++;
        return 0;
}

/* Once per interval per throttle: a guesser must not flood the journal either. */
static void auth_log_throttle(const Call *call, AuthSource *src, usec_t *logged, usec_t now, usec_t delay) {
        if (*logged != 0 && now < *logged + AUTH_THROTTLE_LOG_USEC)
                return;
        *logged = now;
        if (src)
                log_notice("%s: %u wrong tokens, throttling token checks from this source "
                           "(one per %llu ms).", call_peer(call)->description, src->failures,
                           (unsigned long long) (delay / USEC_PER_MSEC));
        else
                log_notice("More than %u wrong tokens in a second from all sources, throttling every "
                           "token check (last from %s).", AUTH_FAILURES_PER_SEC_MAX, call_peer(call)->description);
}

/* A wrong token: the source's delay grows, the daemon-wide budget shrinks. Returns how
 * long the denial waits. */
static usec_t auth_note_failure(Auth *a, AuthSource *src, const Call *call, usec_t now) {
        usec_t delay = 0;

        src->failures++;
        src->last_failure = now;
        if (src->failures > AUTH_FREE_FAILURES) {
                unsigned shift = MIN(src->failures - AUTH_FREE_FAILURES - 1, 16U);

                delay = MIN(AUTH_DELAY_MIN << shift, AUTH_DELAY_MAX);
                src->not_before = now + delay;
                auth_log_throttle(call, src, &src->logged, now, delay);
        }

        if (now >= a->budget_window_start + USEC_PER_SEC) {
                a->budget_window_start = now;
                a->budget_failures = 0;
        }
        if (++a->budget_failures >= AUTH_FAILURES_PER_SEC_MAX) {
                a->budget_not_before = a->budget_window_start + USEC_PER_SEC;
                auth_log_throttle(call, NULL, &a->budget_logged, now, 0);
        }
        return delay;
}

int auth_token_verify_async(Call *call, const char *token) {
        Auth *a = call->manager->auth;
        AuthSource *src;
        usec_t now = 0, until, delay;
        int r;

        if (call->auth_action == AUTH_TOKEN_DENIED_HELD) {
                /* Its denial waited long enough. */
                call->auth_action = -1;
                return -EACCES;
        }

        (void) sd_event_now(a->manager->event, CLOCK_MONOTONIC, &now);
        src = auth_source_get(a, call, now);
        if (!src)
                return -EBUSY;

        until = MAX(src->not_before, a->budget_not_before);
        /* Attempts of a source are checked in the order they came. */
        if (call->auth_action == AUTH_TOKEN_TURN)
                call->auth_action = -1;
        else if (until <= now && auth_source_has_waiting(a, src))
                until = now + USEC_PER_MSEC;
        if (until > now) {
                r = auth_hold(a, src, call, until, false);
                return r < 0 ? r : 0;
        }

        if (auth_token_valid(a, call, token))
                return 1;

        delay = auth_note_failure(a, src, call, now);
        if (delay > 0 && auth_hold(a, src, call, now + delay, true) >= 0) {
                call->auth_action = AUTH_TOKEN_DENIED_HELD;
                return 0;
        }
        return -EACCES;
}

bool auth_token_valid(Auth *a, const Call *call, const char *token) {
        const char *expected = a->manager->config.token;

        if (expected && token && auth_token_equal(expected, token))
                return true;
        auth_log_failure(a, call);
        return false;
}

bool auth_call_is_privileged(const Call *call) {
        const Peer *p = call_peer(call);

        if (p->is_unix)
                return p->has_cred && p->uid == 0;
        return call->authenticated || call->manager->config.no_auth;
}

int auth_check_access(const Call *call, const AuthRule *rule) {
        const Peer *p = call_peer(call);

        if (!rule)
                return -EACCES;
        if (rule->access == ACCESS_PUBLIC)
                return 0;
        if (p->is_unix)
                /* READ is open to every local user; CONTROL is decided per object by the
                 * handler (auth_verify_async), since the action depends on the arguments. */
                return p->has_cred ? 0 : -EACCES;
        if (auth_call_is_privileged(call))
                return 0;
        return call->manager->config.token ? AUTH_TOKEN_REQUIRED : AUTH_TOKEN_UNCONFIGURED;
}

int auth_check_process(const Call *call, uid_t owner_uid, uint64_t start_ticks) {
        const AuthRule *rule = auth_rule_find(call->request.cmd);
        const Peer *p = call_peer(call);

        if (auth_call_is_privileged(call))
                return 1;
        if (rule && rule->owner != AUTH_OWNER_SELF)
                return 1;
        /* Without a start time, "the caller's process" cannot be told from an earlier
         * holder of the pid. */
        if (p->is_unix && p->has_cred && owner_uid == p->uid && start_ticks != 0)
                return 0;
        return -EACCES;
}

AuthAction auth_rule_action(const Call *call, bool own_object) {
        const AuthRule *rule = auth_rule_find(call->request.cmd);

        if (!rule)
                return _AUTH_ACTION_NONE;
        return own_object || rule->owner != AUTH_OWNER_ESCALATE ? rule->action : rule->action_other;
}

bool auth_start_is_other_user(const Call *call, bool explicit_user, const UserRecord *u) {
        const Peer *p = call_peer(call);
        _cleanup_(user_record_done) UserRecord self = {};

        /* Not asked for: the caller's own user (Unix) or --default-user (TCP). */
        if (!explicit_user)
                return false;
        if (!(p->is_unix && u->uid == p->uid))
                return true;
        /* Same uid under another name (a second passwd entry) may bring another primary group
         * and other supplementary groups: only the caller's own entry is "itself". */
        return user_record_lookup_uid_or_numeric(p->uid, &self) < 0 || strcmp(self.name, u->name) != 0 ||
               self.gid != u->gid;
}

/* The decision when polkit cannot be asked: the configured admin group, if any. */
static int auth_fallback_group(Auth *a, const Peer *p) {
        const char *group = a->manager->config.admin_group;
        int r;

        if (!group)
                return 0;
        r = user_in_group(p->uid, p->gid, group);
        if (r < 0)
                log_debug_errno(r, "Cannot check membership of uid %u in '%s': %m", (unsigned) p->uid, group);
        return r > 0;
}

static void auth_note_unreachable(Auth *a, int r) {
        if (a->polkit_unreachable_logged)
                return;
        a->polkit_unreachable_logged = true;
        if (a->manager->config.admin_group)
                log_notice_errno(r, "polkit is not reachable: members of group '%s' may start and stop processes.",
                                 a->manager->config.admin_group);
        else
                log_notice_errno(r, "polkit is not reachable and no --admin-group is set: "
                                    "only root may start and stop processes on the Unix socket.");
}

/* The bus to ask polkit on: the manager's, else our own, connected on first use (after
 * the privilege drop, so polkitd sees the service user) and retried at most every 10 s. */
static sd_bus *auth_bus(Auth *a) {
        Manager *m = a->manager;
        usec_t now = 0;
        int r;

        if (m->bus)
                return m->bus;
        if (a->bus && sd_bus_is_open(a->bus) > 0)
                return a->bus;
        a->bus = sd_bus_flush_close_unref(a->bus);

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (a->bus_tried != 0 && now - a->bus_tried < AUTH_BUS_RETRY_USEC)
                return NULL;
        a->bus_tried = now ?: 1;

        r = sd_bus_open_system(&a->bus);
        if (r >= 0)
                r = sd_bus_attach_event(a->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                log_debug_errno(r, "Cannot connect to the system bus for polkit: %m");
                a->bus = sd_bus_flush_close_unref(a->bus);
                return NULL;
        }
        return a->bus;
}

/* Keeps the answer in the call and runs it again: the handler's second question about
 * the same action is answered from there. */
static void auth_finish(AuthPending *pending, int allowed) {
        Call *call = pending->call;

        call->auth_action = pending->action;
        call->auth_result = allowed > 0 ? 1 : -EACCES;
        auth_pending_free(pending);
        if (call->resume)
                call->resume(call);
        else
                call_reply_error(call, ERROR_INTERNAL, "authorization answered, but nothing to resume");
}

static void on_polkit_answer(int r, bool is_challenge, const sd_bus_error *error, void *userdata) {
        AuthPending *pending = userdata;
        Auth *a = pending->auth;
        const Peer *p = call_peer(pending->call);
        const char *action = auth_action_id(pending->action);

        pending->query = NULL;          /* polkit.c freed it */

        if (r == -EHOSTUNREACH) {
                log_debug("polkit unreachable: %s", error ? error->name : "no bus");
                auth_note_unreachable(a, r);
                auth_finish(pending, auth_fallback_group(a, p));
                return;
        }
        a->polkit_unreachable_logged = false;
        /* Whatever polkit said, it is void if the subject is not the process that asked (a
         * D-Bus caller is its unique name, which is never reused: nothing to re-check). */
        if (!p->bus_sender[0] && pidref_is_alive(&pending->subject) <= 0) {
                log_notice("%s: peer process went away while polkit checked, denying %s.", p->description, action);
                auth_finish(pending, 0);
                return;
        }
        if (r < 0) {
                if (error)
                        log_warning("polkit check of %s for %s failed, denying: %s: %s", action, p->description,
                                    error->name, strna(error->message));
                else
                        log_warning_errno(r, "polkit check of %s for %s failed, denying: %m", action,
                                          p->description);
                auth_finish(pending, 0);
                return;
        }
        log_debug("polkit: %s %s for %s%s.", action, r > 0 ? "granted" : "denied", p->description,
                  is_challenge ? " (would need authentication)" : "");
        auth_finish(pending, r > 0);
}

static void auth_pending_link(Auth *a, AuthPending *pending) {
        pending->next = a->pending;
        if (a->pending)
                a->pending->prev = pending;
        a->pending = pending;
}

/* A D-Bus caller: polkit's subject is its unique bus name (interactive when its message
 * allows it); polkitd resolves and tracks the connection itself. */
static int auth_verify_bus_async(Auth *a, Call *call, AuthAction action) {
        const Peer *p = call_peer(call);
        _cleanup_free_ AuthPending *pending = NULL;
        PolkitSubject subject;
        int r;

        pending = calloc(1, sizeof(AuthPending));
        if (!pending)
                return -ENOMEM;
        *pending = (AuthPending) { .auth = a, .call = call, .action = action, .subject = PIDREF_NULL };
        subject = (PolkitSubject) { .uid = p->uid, .bus_name = p->bus_sender, .interactive = p->bus_interactive };
        r = polkit_check_authorization(auth_bus(a), &subject, auth_action_id(action), on_polkit_answer, pending,
                                       &pending->query);
        if (r < 0) {
                if (r != -EHOSTUNREACH) {
                        log_warning_errno(r, "Cannot ask polkit about %s for %s, denying: %m",
                                          auth_action_id(action), p->description);
                        return -EACCES;
                }
                auth_note_unreachable(a, r);
                return auth_fallback_group(a, p) > 0 ? 1 : -EACCES;
        }
        auth_pending_link(a, TAKE_PTR(pending));
        return 0;
}

int auth_verify_async(Call *call, AuthAction action) {
        Auth *a = call->manager->auth;
        const Peer *p = call_peer(call);
        _cleanup_free_ AuthPending *pending = NULL;
        PolkitSubject subject;
        sd_bus *bus;
        int r;

        if (auth_call_is_privileged(call))
                return 1;
        if (!auth_action_id(action))
                return -EACCES;         /* no action that could allow it */
        if (call->auth_action == (int) action)
                return call->auth_result;
        if (call->auth_rounds++ >= AUTH_ROUNDS_MAX)
                return -EACCES;
        if (!p->is_unix || !p->has_cred)
                return -EACCES;
        if (p->bus_sender[0])
                return auth_verify_bus_async(a, call, action);
        if (p->pid <= 0)
                return -EACCES;
        /* No start time (the peer was gone at accept time): there is no safe subject. */
        if (p->start_ticks == 0) {
                log_debug("%s: peer process start time unknown, denying %s.", p->description, auth_action_id(action));
                return -EACCES;
        }

        pending = calloc(1, sizeof(AuthPending));
        if (!pending)
                return -ENOMEM;
        *pending = (AuthPending) { .auth = a, .call = call, .action = action, .subject = PIDREF_NULL };
        /* Pin the peer (a pidfd where the kernel has them), and make sure the pinned process
         * is the one that connected: its start time is the one read at accept time. The
         * same pin is checked again when polkit answers. */
        r = pidref_set_pid_and_start(&pending->subject, p->pid, p->start_ticks);
        if (r >= 0 && pidref_is_alive(&pending->subject) <= 0) {
                pidref_done(&pending->subject);
                r = -ESRCH;
        }
        if (r < 0) {
                log_debug_errno(r, "%s: peer process is gone, denying %s: %m", p->description, auth_action_id(action));
                return -EACCES;
        }

        bus = auth_bus(a);
        subject = (PolkitSubject) { .pid = p->pid, .start_ticks = p->start_ticks, .uid = p->uid };
        r = polkit_check_authorization(bus, &subject, auth_action_id(action), on_polkit_answer, pending,
                                       &pending->query);
        if (r < 0) {
                pidref_done(&pending->subject);
                if (r != -EHOSTUNREACH) {
                        log_warning_errno(r, "Cannot ask polkit about %s for %s, denying: %m",
                                          auth_action_id(action), p->description);
                        return -EACCES;
                }
                auth_note_unreachable(a, r);
                return auth_fallback_group(a, p) > 0 ? 1 : -EACCES;
        }
        auth_pending_link(a, TAKE_PTR(pending));
        return 0;
}
