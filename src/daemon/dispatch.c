/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The command table and the path every request takes: look up → token →
 * access class (auth.c's table) → arguments checked against the wire schema
 * → handler, and the error replies for what auth and the schema decided.
 * DESCRIBE is generated from this table, auth's and the schema that checks
 * the arguments, so the published description cannot drift from what is
 * served.
 */

#include <string.h>

#include "daemon/auth.h"
#include "daemon/commands.h"
#include "daemon/dispatch.h"
#include "shared/log.h"
#include "daemon/manager.h"
#include "protocol/schema.h"
#include "shared/string-util.h"

static const Command commands[] = {
        { SCHEMA_CMD_PING, command_ping },
        { SCHEMA_CMD_LIST, command_list },
        { SCHEMA_CMD_START, command_start },
        { SCHEMA_CMD_STOP, command_stop },
        { SCHEMA_CMD_STATUS, command_status },
        { SCHEMA_CMD_INFO, command_info },
        { SCHEMA_CMD_LOGS, command_logs },
        { SCHEMA_CMD_DESCRIBE, command_describe },
        { SCHEMA_CMD_AUTH, command_auth },
        { SCHEMA_CMD_EXIT, command_exit },
        { SCHEMA_CMD_METRICS, command_metrics },
        { SCHEMA_CMD_WATCH, command_watch },
        { SCHEMA_CMD_UNWATCH, command_unwatch },
};

const Command *command_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

const Command *command_table(size_t *ret_n) {
        *ret_n = ELEMENTSOF(commands);
        return commands;
}

int command_describe(Call *call) {
        return command_describe_table(call, commands, ELEMENTSOF(commands));
}

static void dispatch_run(Call *call, const Command *cmd) {
        int r;

        r = cmd->handler(call);
        if (r < 0)
                call_reply_errno(call, r, "%s failed: %s", cmd->name, strerror(-r));
}

/* polkit answered a handler's question: ask the handler again. */
static void dispatch_resume(Call *call) {
        const Command *cmd = command_find(call->request.cmd);

        if (!cmd) {
                call_reply_error(call, ERROR_INTERNAL, "command vanished");
                return;
        }
        dispatch_run(call, cmd);
}

/* A per-request token authenticates this one request; with AUTH_RULE_TOKEN_ARGUMENT (AUTH)
 * it is required and authenticates the session. Returns 0 to go on, > 0 when the check is
 * held back (throttled; the call comes back through call->resume), < 0 when replied. */
static int dispatch_token(Call *call, const AuthRule *rule) {
        const char *token = NULL;
        char msg[256];
        int r;

        r = request_get_string(&call->request, "token", &token, msg, sizeof(msg));
        if (r < 0) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "%s", msg);
                return r;
        }
        if (r == 0) {
                if (!(rule->flags & AUTH_RULE_TOKEN_ARGUMENT))
                        return 0;
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "missing member 'token'");
                return -EINVAL;
        }
        r = auth_token_verify_async(call, token);
        if (r == 0) {
                /* Requests after it must see what it decides (AUTH authenticates them). */
                call->barrier = true;
                return 1;
        }
        if (r == -EBUSY) {
                call_no_more_requests(call);
                call_reply_error(call, ERROR_LIMIT_EXCEEDED,
                                 "too many authentication attempts from this address, try again later");
                return r;
        }
        if (r < 0 && r != -EACCES) {
                call_reply_errno(call, r, "cannot check the token: %s", strerror(-r));
                return r;
        }
        if (r < 0) {
                /* A session that keeps guessing is closed after this reply. */
                if (call_note_auth_failure(call) >= AUTH_FAILURES_PER_CONNECTION)
                        call_no_more_requests(call);
                call_reply_error(call, ERROR_ACCESS_DENIED, "invalid token");
                return -EACCES;
        }
        if (rule->flags & AUTH_RULE_TOKEN_ARGUMENT)
                call_set_authenticated(call);
        else
                call->authenticated = true;
        return 0;
}

void dispatch_call(Call *call) {
        const Command *cmd;
        const AuthRule *rule;
        char shown[PROTOCOL_CMD_MAX + 8], msg[256];
        int r;

        cmd = command_find(call->request.cmd);
        if (!cmd) {
                string_sanitize(call->request.cmd, PROTOCOL_CMD_MAX, shown, sizeof(shown));
                call_reply_error(call, ERROR_UNKNOWN_COMMAND, "unknown command '%s'", shown);
                return;
        }
        rule = auth_rule_find(cmd->name);
        if (!rule) {
                /* Fail closed: a command nobody wrote a rule for is served to nobody. */
                call_reply_error(call, ERROR_ACCESS_DENIED, "no authorization rule for %s", cmd->name);
                return;
        }

        /* A token check may be held back (throttled): the call comes back here. */
        call->resume = dispatch_call;
        if (dispatch_token(call, rule) != 0)
                return;

        r = auth_check_access(call, rule);
        switch (r) {
        case 0:
                break;
        case AUTH_TOKEN_UNCONFIGURED:
                call_reply_error(call, ERROR_AUTH_REQUIRED,
                                 "no token configured on this daemon: TCP control is disabled");
                return;
        case AUTH_TOKEN_REQUIRED:
                call_reply_error(call, ERROR_AUTH_REQUIRED, "authenticate first (AUTH or 'token')");
                return;
        default:
                call_reply_error(call, ERROR_ACCESS_DENIED, "peer credentials unavailable");
                return;
        }

        /* Types, ranges and required members, before any handler sees the request. */
        r = schema_validate_request(schema_command_find(cmd->name), &call->request, msg, sizeof(msg));
        if (r < 0) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "%s", msg);
                return;
        }

        log_debug("%s: %s", call_peer(call)->description, cmd->name);
        call->resume = dispatch_resume;
        dispatch_run(call, cmd);
}

void dispatch_request(Call *call, void *userdata) {
        dispatch_call(call);
}
