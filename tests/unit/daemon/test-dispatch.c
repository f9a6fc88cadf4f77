/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for dispatch.c without a daemon: a Call built by hand (as a second
 * front end would), a stub owner that keeps the reply. Access classes (what an
 * unauthenticated TCP peer may call), the token handling, unknown commands and
 * a validation error; and that the command table and auth.c's table agree.
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
#include "daemon/dispatch.h"
#include "daemon/manager.h"
#include "protocol/reply.h"

typedef struct Owner {
        char *reply;            /* the last reply line */
        unsigned n_replies;
        bool authenticated;
        bool no_more;
        unsigned failures;
} Owner;

typedef struct Fixture {
        Manager m;
        Owner owner;
} Fixture;

static void owner_done(Call *call, void *userdata) {
        Owner *o = userdata;
        size_t len;

        free(o->reply);
        if (call->reply_line)
                o->reply = strndup(call->reply_line, call->reply_line_len);
        else
                o->reply = call->reply ? reply_serialize(call->reply, &len) : NULL;
        assert_non_null(o->reply);
        o->n_replies++;
        call_free(call);
}

static void owner_authenticated(void *userdata) {
        ((Owner *) userdata)->authenticated = true;
}

static void owner_no_more(void *userdata) {
        ((Owner *) userdata)->no_more = true;
}

static unsigned owner_failed(void *userdata) {
        return ++((Owner *) userdata)->failures;
}

static const CallOwnerOps owner_ops = {
        .done = owner_done,
        .authenticated = owner_authenticated,
        .no_more_requests = owner_no_more,
        .auth_failed = owner_failed,
};

static const Peer tcp_peer = { .is_unix = false, .description = "192.0.2.1:4000" };
static const Peer root_peer = { .is_unix = true, .has_cred = true, .pid = 1, .uid = 0, .description = "uid=0" };

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(Fixture));

        assert_non_null(f);
        assert_int_equal(sd_event_new(&f->m.event), 0);
        f->m.config.max_line = 65536;
        f->m.config.token = strdup("correct horse");
        assert_int_equal(auth_new(&f->m, &f->m.auth), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        auth_free(f->m.auth);
        free(f->m.config.token);
        sd_event_unref(f->m.event);
        free(f->owner.reply);
        free(f);
        return 0;
}

/* Runs one request line from peer; returns the reply line (owned by the fixture). */
static const char *run(Fixture *f, const Peer *peer, const char *line) {
        char msg[256];
        ErrorCode e;
        Call *call;
        unsigned before = f->owner.n_replies;

        call = call_new(&f->m, peer, false, &owner_ops, &f->owner);
        assert_non_null(call);
        assert_int_equal(request_parse(line, strlen(line), &call->request, &e, msg, sizeof(msg)), 0);
        dispatch_call(call);
        /* Everything here answers synchronously, exactly once. */
        assert_int_equal(f->owner.n_replies, before + 1);
        return f->owner.reply;
}

#define assert_error(reply, name)                                                              \
        do {                                                                                   \
                const char *r_ = (reply);                                                      \
                assert_non_null(strstr(r_, "\"ok\":false"));                                   \
                assert_non_null(strstr(r_, "\"org.procmgr.Error." name "\""));                 \
        } while (0)

static void test_unauthenticated_tcp(void **state) {
        Fixture *f = *state;
        static const char *const closed[] = { "LIST", "INFO", "STATUS", "LOGS", "START", "STOP" };
        char line[64];

        /* Public: answered without a token. */
        assert_non_null(strstr(run(f, &tcp_peer, "{\"cmd\":\"PING\"}"), "\"ok\":true"));
        assert_non_null(strstr(run(f, &tcp_peer, "{\"cmd\":\"DESCRIBE\"}"), "\"ok\":true"));
        /* Everything else needs the token, before any argument is looked at. */
        for (size_t i = 0; i < ELEMENTSOF(closed); i++) {
                (void) snprintf(line, sizeof(line), "{\"cmd\":\"%s\",\"pid\":\"bogus\"}", closed[i]);
                assert_error(run(f, &tcp_peer, line), "AuthRequired");
                assert_non_null(strstr(f->owner.reply, "authenticate first"));
        }
        /* Without a configured token, TCP control is off altogether. */
        f->m.config.token = mfree(f->m.config.token);
        assert_error(run(f, &tcp_peer, "{\"cmd\":\"LIST\"}"), "AuthRequired");
        assert_non_null(strstr(f->owner.reply, "no token configured"));
        assert_false(f->owner.authenticated);

        assert_non_null(strstr(run(f, &tcp_peer, "{\"cmd\":\"EXIT\"}"), "\"ok\":true"));
        assert_true(f->owner.no_more);
}

static void test_unix_without_credentials(void **state) {
        Fixture *f = *state;
        Peer p = { .is_unix = true, .has_cred = false, .description = "fd 7" };

        assert_error(run(f, &p, "{\"cmd\":\"LIST\"}"), "AccessDenied");
        assert_non_null(strstr(run(f, &p, "{\"cmd\":\"PING\"}"), "\"ok\":true"));
}

static void test_unknown_command(void **state) {
        Fixture *f = *state;

        assert_error(run(f, &tcp_peer, "{\"cmd\":\"FROB\",\"id\":7}"), "UnknownCommand");
        assert_non_null(strstr(f->owner.reply, "'FROB'"));
        assert_non_null(strstr(f->owner.reply, "\"id\":7"));
}

static void test_validation_error(void **state) {
        Fixture *f = *state;

        /* Past the access check, the handler refuses bad arguments. */
        assert_error(run(f, &tcp_peer, "{\"cmd\":\"STOP\",\"token\":\"correct horse\",\"pid\":\"x\"}"),
                     "InvalidArgument");
        assert_error(run(f, &tcp_peer, "{\"cmd\":\"STOP\",\"token\":\"correct horse\",\"pid\":-5}"),
                     "InvalidArgument");
        assert_error(run(f, &root_peer, "{\"cmd\":\"STATUS\"}"), "InvalidArgument");
        assert_non_null(strstr(f->owner.reply, "missing member 'pid'"));
        /* The token itself must be a string. */
        assert_error(run(f, &tcp_peer, "{\"cmd\":\"PING\",\"token\":5}"), "InvalidArgument");
        assert_int_equal(f->owner.failures, 0);
}

static void test_tokens(void **state) {
        Fixture *f = *state;

        /* AUTH: the token is its argument; it is required, and a good one authenticates
         * the session. */
        assert_error(run(f, &tcp_peer, "{\"cmd\":\"AUTH\"}"), "InvalidArgument");
        assert_non_null(strstr(f->owner.reply, "missing member 'token'"));
        assert_non_null(strstr(run(f, &tcp_peer, "{\"cmd\":\"AUTH\",\"token\":\"correct horse\"}"),
                               "\"ok\":true"));
        assert_true(f->owner.authenticated);
        assert_int_equal(f->owner.failures, 0);

        /* A per-request token authenticates that request only. */
        f->owner.authenticated = false;
        assert_non_null(strstr(run(f, &tcp_peer, "{\"cmd\":\"STATUS\",\"token\":\"correct horse\",\"pid\":0}"),
                               "InvalidArgument"));
        assert_false(f->owner.authenticated);

        /* Wrong tokens: denied and counted; the fifth closes the session. */
        for (unsigned i = 1; i <= AUTH_FAILURES_PER_CONNECTION; i++) {
                assert_false(f->owner.no_more);
                assert_error(run(f, &tcp_peer, i % 2 ? "{\"cmd\":\"AUTH\",\"token\":\"correct horsf\"}"
                                                     : "{\"cmd\":\"LIST\",\"token\":\"correct\"}"),
                             "AccessDenied");
                assert_int_equal(f->owner.failures, i);
        }
        assert_true(f->owner.no_more);
}

static void test_tables_agree(void **state) {
        Fixture *f = *state;
        const Command *cmds;
        const AuthRule *rules;
        size_t n_cmds, n_rules;

        /* Every served command has exactly one authorization rule, and every rule a command. */
        cmds = command_table(&n_cmds);
        rules = auth_rule_table(&n_rules);
        assert_int_equal(n_cmds, n_rules);
        for (size_t i = 0; i < n_cmds; i++)
                assert_non_null(auth_rule_find(cmds[i].name));
        for (size_t i = 0; i < n_rules; i++)
                assert_non_null(command_find(rules[i].command));

        /* DESCRIBE publishes the table's access classes. */
        run(f, &tcp_peer, "{\"cmd\":\"DESCRIBE\"}");
        assert_non_null(strstr(f->owner.reply, "\"name\":\"LIST\",\"summary\":\"List processes.\",\"access\":\"read\""));
        assert_non_null(strstr(f->owner.reply, "\"name\":\"STOP\""));
        assert_non_null(strstr(f->owner.reply, "\"access\":\"control\""));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_unauthenticated_tcp, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unix_without_credentials, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unknown_command, setup, teardown),
                cmocka_unit_test_setup_teardown(test_validation_error, setup, teardown),
                cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
                cmocka_unit_test_setup_teardown(test_tables_agree, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
