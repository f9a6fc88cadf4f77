/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Who may do what, decided in one place. The authorization table names, per
 * command, the access class, the polkit action and the owner rule; dispatch
 * applies the access class before any handler runs, and handlers refine by
 * object through the helpers below (auth_check_process(), auth_rule_action(),
 * auth_verify_async()). TCP peers: the token (constant-time compare, failures
 * rate-limited in the log). Unix peers: SO_PEERCRED; uid 0 may do everything,
 * others need an authorization for START/STOP — from polkit when reachable
 * (asynchronous), else membership in the configured admin group.
 *
 * Must NOT: reply to clients (it returns decisions; dispatch and the handlers
 * reply), or know anything of connections: the table is the same for every
 * front end that builds a Call.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/call.h"
#include "shared/user-util.h"

typedef enum Access {
        ACCESS_PUBLIC,          /* PING, DESCRIBE, AUTH, EXIT */
        ACCESS_READ,            /* LIST, INFO, STATUS, LOGS: Unix peers, authenticated TCP */
        ACCESS_CONTROL,         /* START, STOP: Unix peers (then per object), authenticated TCP */
        _ACCESS_MAX,
} Access;

typedef enum AuthAction {
        AUTH_ACTION_LIST,
        AUTH_ACTION_START,
        AUTH_ACTION_STOP,
        AUTH_ACTION_STOP_ANY,
        AUTH_ACTION_START_AS_USER,
        _AUTH_ACTION_MAX,
        _AUTH_ACTION_NONE = -1,
} AuthAction;

/* How the owner of the object a command acts on matters, for unprivileged Unix callers. */
typedef enum AuthOwnerRule {
        AUTH_OWNER_ANY,         /* not at all (LIST shows everything, INFO has no object) */
        AUTH_OWNER_SELF,        /* only their own processes (STATUS, LOGS) */
        AUTH_OWNER_ESCALATE,    /* others' objects need action_other (STOP → stop-any, START → start-as-user) */
} AuthOwnerRule;

typedef enum AuthRuleFlags {
        AUTH_RULE_TOKEN_ARGUMENT = 1 << 0,      /* 'token' is required and authenticates the session (AUTH) */
} AuthRuleFlags;

typedef struct AuthRule {
        const char *command;
        Access access;
        AuthAction action;              /* polkit action on the caller's own objects, or none */
        AuthAction action_other;        /* … on anybody else's */
        AuthOwnerRule owner;
        AuthRuleFlags flags;
} AuthRule;

/* The rule of a command; NULL for a command the table does not know (deny it). */
const AuthRule *auth_rule_find(const char *command);
const AuthRule *auth_rule_table(size_t *ret_n);
const char *access_to_string(Access a);         /* "public", "read", "control" */

typedef struct Auth Auth;

int auth_new(Manager *m, Auth **ret);
Auth *auth_free(Auth *a);

const char *auth_action_id(AuthAction a);      /* "org.procmgr.start" … */

/* A connection is closed after this many wrong tokens: guessing then costs a new
 * connection (and a slot of the connection limit) every few tries. */
#define AUTH_FAILURES_PER_CONNECTION 5U

/* Compares every byte of the configured token whatever the input. */
bool auth_token_equal(const char *expected, const char *given);
/* Constant-time token check; false when no token is configured. Logs failures (rate-limited). */
bool auth_token_valid(Auth *a, const Call *call, const char *token);

/* A token given by a call, throttled per source and daemon-wide (see auth.c):
 *   1       the token is right;
 *   0       not now: the call is held and call->resume runs when it is its turn;
 *   -EACCES wrong (its denial may have been held back first, as above);
 *   -EBUSY  too many attempts are held already: refused without checking it. */
int auth_token_verify_async(Call *call, const char *token);

/* Outcomes of auth_check_access() besides 0 (allowed) and -EACCES (denied). */
enum {
        AUTH_TOKEN_REQUIRED = 1,        /* TCP: authenticate first */
        AUTH_TOKEN_UNCONFIGURED,        /* TCP: would need a token, but none is configured */
};
/* The access class check, before a handler runs. */
int auth_check_access(const Call *call, const AuthRule *rule);

/* Root on the Unix socket, or an authenticated TCP request. */
bool auth_call_is_privileged(const Call *call);

/* The owner rule for a process owned by owner_uid, started at start_ticks: 1 allowed
 * outright (privileged caller, or the command's rule does not restrict), 0 allowed
 * because it is the caller's own, -EACCES not the caller's (or its identity is unknown). */
int auth_check_process(const Call *call, uid_t owner_uid, uint64_t start_ticks);

/* The polkit action the table names for the call's command on an object the caller
 * owns (own_object) or not. */
AuthAction auth_rule_action(const Call *call, bool own_object);

/* START: does a process for user u (asked for by name when explicit_user) run as
 * somebody other than the caller? Same uid under another passwd entry counts as other. */
bool auth_start_is_other_user(const Call *call, bool explicit_user, const UserRecord *u);

/* Object-dependent authorization for action, systemd's bus_verify_polkit_async() shape:
 *   1   allowed;
 *   0   polkit was asked: return and let the call be run again (call->resume) once it
 *       answered — the answer is then kept in the call and returned here;
 *   < 0 denied (-EACCES) or failed. */
int auth_verify_async(Call *call, AuthAction action);
