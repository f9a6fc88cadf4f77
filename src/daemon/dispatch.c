/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The command table and the path every request takes: look up → central
 * access check → arguments checked against the wire schema → handler.
 * DESCRIBE is generated from the same schema that checks the arguments, so
 * the published description cannot drift from what is served.
 */

#include "config.h"

#include <string.h>

#include "daemon/auth.h"
#include "daemon/commands.h"
#include "daemon/dispatch.h"
#include "shared/log.h"
#include "daemon/manager.h"
#include "protocol/schema.h"

static const Command commands[] = {
        { SCHEMA_CMD_PING, command_ping, ACCESS_PUBLIC },
        { SCHEMA_CMD_LIST, command_list, ACCESS_READ },
        { SCHEMA_CMD_START, command_start, ACCESS_CONTROL },
        { SCHEMA_CMD_STOP, command_stop, ACCESS_CONTROL },
        { SCHEMA_CMD_STATUS, command_status, ACCESS_READ },
        { SCHEMA_CMD_INFO, command_info, ACCESS_READ },
        { SCHEMA_CMD_LOGS, command_logs, ACCESS_READ },
        { SCHEMA_CMD_DESCRIBE, command_describe, ACCESS_PUBLIC },
        { SCHEMA_CMD_AUTH, command_auth, ACCESS_PUBLIC },
        { SCHEMA_CMD_EXIT, command_exit, ACCESS_PUBLIC },
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

void dispatch_parse_error(Call *call, ErrorCode e, const char *msg) {
        call_reply_error(call, e, "%s", msg);
}

void dispatch_call(Call *call) {
        const Command *cmd;
        char shown[PROTOCOL_CMD_MAX + 8];
        const char *token = NULL;
        char msg[256];
        int r;

        cmd = command_find(call->request.cmd);
        if (!cmd) {
                string_sanitize(call->request.cmd, PROTOCOL_CMD_MAX, shown, sizeof(shown));
                call_reply_error(call, ERROR_UNKNOWN_COMMAND, "unknown command '%s'", shown);
                return;
        }

        /* A per-request token authenticates this one request (AUTH handles its own). */
        if (strcmp(cmd->name, "AUTH") != 0) {
                r = request_get_string(&call->request, "token", &token, msg, sizeof(msg));
                if (r < 0) {
                        call_reply_error(call, ERROR_INVALID_ARGUMENT, "%s", msg);
                        return;
                }
                if (r > 0) {
                        if (!auth_token_valid(call->manager->auth, call, token)) {
                                call_reply_error(call, ERROR_ACCESS_DENIED, "invalid token");
                                return;
                        }
                        call->authenticated = true;
                }
        }

        r = auth_check_access(call, cmd->access);
        if (r < 0)
                return;         /* replied */

        /* Types, ranges and required members, before any handler sees the request. */
        r = schema_validate_request(schema_command_find(cmd->name), &call->request, msg, sizeof(msg));
        if (r < 0) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "%s", msg);
                return;
        }

        log_debug("%s: %s", call_peer(call)->description, cmd->name);
        r = cmd->handler(call);
        if (r < 0)
                call_reply_errno(call, r, "%s failed: %s", cmd->name, strerror(-r));
}
