/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for auth.c: the constant-time token compare, the access matrix (access
 * class × kind of peer), the owner rule, the polkit action per object, and the
 * decisions auth_verify_async() makes without asking polkit.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/auth.h"
#include "daemon/call.h"
#include "daemon/manager.h"

static void test_token_equal(void **state) {
        assert_true(auth_token_equal("s3cret", "s3cret"));
        assert_true(auth_token_equal("", ""));
        assert_false(auth_token_equal("s3cret", "s3cre"));     /* prefix */
        assert_false(auth_token_equal("s3cret", "s3cret!"));   /* longer */
        assert_false(auth_token_equal("s3cret", "S3cret"));
        assert_false(auth_token_equal("s3cret", "s3creu"));    /* last byte */
        assert_false(auth_token_equal("s3cret", ""));
        assert_false(auth_token_equal("", "x"));
        /* Bytes past the configured token are compared against 0, not skipped. */
        assert_false(auth_token_equal("ab", "ab\x01"));
}

typedef enum PeerKind {
        PEER_UNIX_ROOT,
        PEER_UNIX_USER,
        PEER_UNIX_NOCRED,
        PEER_TCP,
        PEER_TCP_AUTHENTICATED,
        _PEER_MAX,
} PeerKind;

static Call make_call(Manager *m, PeerKind k, const char *cmd) {
        Call c = { .manager = m, .auth_action = -1 };

        switch (k) {
        case PEER_UNIX_ROOT:
                c.peer = (Peer) { .is_unix = true, .has_cred = true, .pid = 100, .uid = 0, .start_ticks = 5 };
                break;
        case PEER_UNIX_USER:
                c.peer = (Peer) { .is_unix = true, .has_cred = true, .pid = 101, .uid = 1000, .start_ticks = 5 };
                break;
        case PEER_UNIX_NOCRED:
                c.peer = (Peer) { .is_unix = true };
                break;
        default:
                c.peer = (Peer) { .is_unix = false };
                c.authenticated = k == PEER_TCP_AUTHENTICATED;
        }
        (void) snprintf(c.request.cmd, sizeof(c.request.cmd), "%s", cmd);
        return c;
}

static void test_access_matrix(void **state) {
        Manager m = { .config.token = (char *) "t" };
        /* The expected auth_check_access() per access class (rows) and peer (columns). */
        static const int want[_ACCESS_MAX][_PEER_MAX] = {
                [ACCESS_PUBLIC]  = { 0, 0, 0, 0, 0 },
                [ACCESS_READ]    = { 0, 0, -EACCES, AUTH_TOKEN_REQUIRED, 0 },
                /* Unix CONTROL is decided per object (polkit), not here. */
                [ACCESS_CONTROL] = { 0, 0, -EACCES, AUTH_TOKEN_REQUIRED, 0 },
        };
        const AuthRule *rules;
        size_t n;

        rules = auth_rule_table(&n);
        for (size_t i = 0; i < n; i++)
                for (PeerKind k = 0; k < _PEER_MAX; k++) {
                        Call c = make_call(&m, k, rules[i].command);
                        assert_int_equal(auth_check_access(&c, &rules[i]), want[rules[i].access][k]);
                }

        /* The classes of the commands: only these four are public. */
        for (size_t i = 0; i < n; i++) {
                bool pub = strcmp(rules[i].command, "PING") == 0 || strcmp(rules[i].command, "DESCRIBE") == 0 ||
                           strcmp(rules[i].command, "AUTH") == 0 || strcmp(rules[i].command, "EXIT") == 0;
                assert_int_equal(rules[i].access == ACCESS_PUBLIC, pub);
        }
        assert_int_equal(auth_rule_find("START")->access, ACCESS_CONTROL);
        assert_int_equal(auth_rule_find("STOP")->access, ACCESS_CONTROL);
        assert_int_equal(auth_rule_find("LIST")->access, ACCESS_READ);
        assert_null(auth_rule_find("FROB"));
        assert_true(auth_rule_find("AUTH")->flags & AUTH_RULE_TOKEN_ARGUMENT);
        assert_false(auth_rule_find("LIST")->flags & AUTH_RULE_TOKEN_ARGUMENT);

        /* No token configured: TCP says so; --no-auth lets TCP peers in. */
        m.config.token = NULL;
        {
                Call c = make_call(&m, PEER_TCP, "LIST");
                assert_int_equal(auth_check_access(&c, auth_rule_find("LIST")), AUTH_TOKEN_UNCONFIGURED);
                m.config.no_auth = true;
                assert_int_equal(auth_check_access(&c, auth_rule_find("LIST")), 0);
                assert_true(auth_call_is_privileged(&c));
        }
        /* No rule: denied. */
        {
                Call c = make_call(&m, PEER_UNIX_ROOT, "FROB");
                assert_int_equal(auth_check_access(&c, NULL), -EACCES);
        }
}

static void test_owner_rule(void **state) {
        Manager m = { .config.token = (char *) "t" };
        Call user = make_call(&m, PEER_UNIX_USER, "STATUS"), root = make_call(&m, PEER_UNIX_ROOT, "STATUS"),
             tcp = make_call(&m, PEER_TCP_AUTHENTICATED, "LOGS"), list = make_call(&m, PEER_UNIX_USER, "LIST");

        assert_int_equal(auth_check_process(&user, 1000, 42), 0);
        assert_int_equal(auth_check_process(&user, 1001, 42), -EACCES);
        assert_int_equal(auth_check_process(&user, 1000, 0), -EACCES);         /* unknown identity */
        assert_int_equal(auth_check_process(&root, 1001, 42), 1);
        assert_int_equal(auth_check_process(&tcp, 1001, 42), 1);
        assert_int_equal(auth_check_process(&list, 1001, 42), 1);              /* LIST: owner ANY */
        (void) snprintf(user.request.cmd, sizeof(user.request.cmd), "LOGS");
        assert_int_equal(auth_check_process(&user, 0, 42), -EACCES);
}

static void test_actions(void **state) {
        Manager m = {};
        Call stop = make_call(&m, PEER_UNIX_USER, "STOP"), start = make_call(&m, PEER_UNIX_USER, "START"),
             list = make_call(&m, PEER_UNIX_USER, "LIST");

        assert_int_equal(auth_rule_action(&stop, true), AUTH_ACTION_STOP);
        assert_int_equal(auth_rule_action(&stop, false), AUTH_ACTION_STOP_ANY);
        assert_int_equal(auth_rule_action(&start, true), AUTH_ACTION_START);
        assert_int_equal(auth_rule_action(&start, false), AUTH_ACTION_START_AS_USER);
        assert_int_equal(auth_rule_action(&list, false), _AUTH_ACTION_NONE);
        assert_string_equal(auth_action_id(AUTH_ACTION_STOP_ANY), "org.procmgr.stop-any");
        assert_string_equal(auth_action_id(AUTH_ACTION_START_AS_USER), "org.procmgr.start-as-user");
        assert_null(auth_action_id(_AUTH_ACTION_NONE));
}

static void test_verify_without_polkit(void **state) {
        Manager m = { .config.token = (char *) "t" };
        Call root = make_call(&m, PEER_UNIX_ROOT, "STOP"), tcp = make_call(&m, PEER_TCP, "STOP"),
             tcp_ok = make_call(&m, PEER_TCP_AUTHENTICATED, "STOP"), user = make_call(&m, PEER_UNIX_USER, "STOP");

        assert_int_equal(sd_event_new(&m.event), 0);
        assert_int_equal(auth_new(&m, &m.auth), 0);

        assert_int_equal(auth_verify_async(&root, AUTH_ACTION_STOP_ANY), 1);
        assert_int_equal(auth_verify_async(&tcp_ok, AUTH_ACTION_STOP_ANY), 1);
        assert_int_equal(auth_verify_async(&tcp, AUTH_ACTION_STOP), -EACCES);
        /* No action that could allow it. */
        assert_int_equal(auth_verify_async(&user, _AUTH_ACTION_NONE), -EACCES);
        /* polkit's answer, kept in the call, is given back when the handler asks again… */
        user.auth_action = AUTH_ACTION_STOP;
        user.auth_result = 1;
        assert_int_equal(auth_verify_async(&user, AUTH_ACTION_STOP), 1);
        user.auth_result = -EACCES;
        assert_int_equal(auth_verify_async(&user, AUTH_ACTION_STOP), -EACCES);
        /* … but only for that action. A peer without a start time is no safe subject. */
        user.peer.start_ticks = 0;
        assert_int_equal(auth_verify_async(&user, AUTH_ACTION_STOP_ANY), -EACCES);

        auth_free(m.auth);
        sd_event_unref(m.event);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_token_equal),
                cmocka_unit_test(test_access_matrix),
                cmocka_unit_test(test_owner_rule),
                cmocka_unit_test(test_actions),
                cmocka_unit_test(test_verify_without_polkit),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
