/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Who may do what. TCP peers: the token (constant-time compare, failures
 * rate-limited in the log). Unix peers: SO_PEERCRED; uid 0 may do everything,
 * others need an authorization for START/STOP — from polkit when reachable
 * (asynchronous), else membership in the configured admin group. The
 * decisions are made here and nowhere else.
 */

#include <stdbool.h>

#include "daemon/call.h"
#include "daemon/dispatch.h"

typedef enum AuthAction {
        AUTH_ACTION_LIST,
        AUTH_ACTION_START,
        AUTH_ACTION_STOP,
        AUTH_ACTION_STOP_ANY,
        AUTH_ACTION_START_AS_USER,
        _AUTH_ACTION_MAX,
} AuthAction;

typedef struct Auth Auth;

int auth_new(Manager *m, Auth **ret);
Auth *auth_free(Auth *a);

const char *auth_action_id(AuthAction a);      /* "org.procmgr.start" … */

/* Constant-time token check; false when no token is configured. Logs failures (rate-limited). */
bool auth_token_valid(Auth *a, const Call *call, const char *token);

/* Central check before a handler runs: 0 if allowed, else replies and returns < 0. */
int auth_check_access(Call *call, Access access);

/* Root on the Unix socket, or an authenticated TCP request. */
bool auth_call_is_privileged(const Call *call);

/* Finer, object-dependent checks (STOP of a foreign process, START as another user).
 * Calls cb exactly once, possibly before returning: allowed > 0, denied 0, error < 0. */
typedef void (*AuthCallback)(Call *call, int allowed, void *userdata);
void auth_authorize(Auth *a, Call *call, AuthAction action, AuthCallback cb, void *userdata);
