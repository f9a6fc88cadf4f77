/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Authorization decisions; see auth.h. TCP tokens are compared in constant
 * time over the full configured length; failures are logged at most once a
 * second with a count, so a guessing client cannot flood the journal.
 */

#include "config.h"

#include <string.h>

#include "auth.h"
#include "log.h"
#include "manager.h"
#include "user-util.h"

struct Auth {
        Manager *manager;
        usec_t fail_window_start;
        unsigned fail_count;
        unsigned fail_suppressed;
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

Auth *auth_free(Auth *a) {
        free(a);
        return NULL;
}

/* Compares every byte of the configured token whatever the input, so the time taken
 * says nothing about how much of a guess was right. */
static bool token_equal(const char *expected, const char *given) {
        size_t el = strlen(expected), gl = strlen(given);
        volatile unsigned char diff = (unsigned char) (el != gl);

        for (size_t i = 0; i < el; i++)
                diff |= (unsigned char) expected[i] ^ (unsigned char) (i < gl ? given[i] : 0);
        return diff == 0;
}

static void auth_log_failure(Auth *a, const Call *call) {
        usec_t now = 0;

        (void) sd_event_now(a->manager->event, CLOCK_MONOTONIC, &now);
        if (now - a->fail_window_start >= USEC_PER_SEC) {
                if (a->fail_suppressed > 0)
                        log_notice("%u more authentication failures suppressed.", a->fail_suppressed);
                a->fail_window_start = now;
                a->fail_count = 0;
                a->fail_suppressed = 0;
        }
        if (a->fail_count++ < 3)
                log_notice("%s: authentication failed: invalid token.", call_peer(call)->description);
        else
                a->fail_suppressed++;
}

bool auth_token_valid(Auth *a, const Call *call, const char *token) {
        const char *expected = a->manager->config.token;

        if (expected && token && token_equal(expected, token))
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

int auth_check_access(Call *call, Access access) {
        const Peer *p = call_peer(call);

        if (access == ACCESS_PUBLIC)
                return 0;
        if (p->is_unix) {
                if (!p->has_cred) {
                        call_reply_error(call, ERROR_ACCESS_DENIED, "peer credentials unavailable");
                        return -EACCES;
                }
                /* READ is open to every local user; CONTROL is decided per object by the
                 * handler (auth_authorize), since the action depends on the arguments. */
                return 0;
        }
        if (auth_call_is_privileged(call))
                return 0;
        if (!call->manager->config.token)
                call_reply_error(call, ERROR_AUTH_REQUIRED,
                                 "no token configured on this daemon: TCP control is disabled");
        else
                call_reply_error(call, ERROR_AUTH_REQUIRED, "authenticate first (AUTH or 'token')");
        return -EACCES;
}

void auth_authorize(Auth *a, Call *call, AuthAction action, AuthCallback cb, void *userdata) {
        const Peer *p = call_peer(call);
        const char *group = a->manager->config.admin_group;
        int r;

        if (auth_call_is_privileged(call)) {
                cb(call, 1, userdata);
                return;
        }
        if (!p->is_unix) {
                cb(call, 0, userdata);
                return;
        }

        /* polkit is consulted here once it is wired in; until then, and whenever it is
         * unreachable, membership in the configured admin group decides. */
        if (!group) {
                cb(call, 0, userdata);
                return;
        }
        r = user_in_group(p->uid, p->gid, group);
        if (r < 0)
                log_debug_errno(r, "Cannot check membership of uid %u in '%s': %m", (unsigned) p->uid, group);
        cb(call, r > 0, userdata);
}
