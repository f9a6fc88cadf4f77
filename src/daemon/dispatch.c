/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The command table and the path every request takes: look up → central
 * access check → handler. DESCRIBE is generated from this same table, so
 * the published description cannot drift from what is served.
 */

#include "config.h"

#include <string.h>

#include "daemon/auth.h"
#include "daemon/commands.h"
#include "daemon/dispatch.h"
#include "shared/log.h"
#include "daemon/manager.h"

#define ARGS(...) ((const CommandArg[]) { __VA_ARGS__, { NULL } })
#define NO_ARGS ((const CommandArg[]) { { NULL } })

static const Command commands[] = {
        { "PING", command_ping, ACCESS_PUBLIC, "Check that the daemon answers.",
          NO_ARGS, ARGS({ "msg", "string", true }, { "version", "string", true }) },
        { "LIST", command_list, ACCESS_READ, "List processes.",
          ARGS({ "sort", "string", false }, { "limit", "int", false }, { "user", "string", false },
               { "name", "string", false }, { "managed", "bool", false }),
          ARGS({ "processes", "array", true }, { "count", "int", true }, { "total", "int", true }) },
        { "START", command_start, ACCESS_CONTROL, "Start a process in its own scope.",
          ARGS({ "argv", "array", false }, { "command", "string", false }, { "name", "string", false },
               { "env", "object", false }, { "cwd", "string", false }, { "user", "string", false },
               { "memory_max", "int", false }, { "cpu_quota", "int", false }, { "tasks_max", "int", false }),
          ARGS({ "pid", "int", true }, { "unit", "string", false }, { "name", "string", true }) },
        { "STOP", command_stop, ACCESS_CONTROL, "Stop a process (managed: its whole scope).",
          ARGS({ "pid", "int", true }, { "signal", "any", false }, { "timeout_ms", "int", false }),
          ARGS({ "pid", "int", true }, { "stopped", "bool", true }, { "exit", "object", false }) },
        { "STATUS", command_status, ACCESS_READ, "Describe one process.",
          ARGS({ "pid", "int", true }),
          ARGS({ "process", "object", true }, { "unit", "string", false }, { "unit_state", "string", false },
               { "memory_current", "int", false }, { "cpu_usage_ns", "int", false }) },
        { "INFO", command_info, ACCESS_READ, "System figures: CPU, memory, load, uptime.",
          NO_ARGS,
          ARGS({ "cpu", "object", true }, { "memory", "object", true }, { "swap", "object", true },
               { "uptime", "int", true }, { "hostname", "string", true }, { "kernel", "string", true },
               { "processes", "int", true }, { "backend", "string", true }) },
        { "LOGS", command_logs, ACCESS_READ, "Journal lines of a started process.",
          ARGS({ "pid", "int", false }, { "unit", "string", false }, { "lines", "int", false }),
          ARGS({ "lines", "array", true }) },
        { "DESCRIBE", command_describe, ACCESS_PUBLIC, "This description.",
          NO_ARGS,
          ARGS({ "interface", "string", true }, { "version", "int", true }, { "commands", "array", true }) },
        { "AUTH", command_auth, ACCESS_PUBLIC, "Authenticate the rest of this connection.",
          ARGS({ "token", "string", true }), ARGS({ "msg", "string", true }) },
        { "EXIT", command_exit, ACCESS_PUBLIC, "Close this connection.",
          NO_ARGS, ARGS({ "msg", "string", true }) },
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

void dispatch_request(Call *call, void *userdata) {
        dispatch_call(call);
}

void dispatch_call(Call *call) {
        const Command *cmd;
        char shown[PROTOCOL_CMD_MAX + 8];
        const char *token = NULL;
        char msg[128];
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

        log_debug("%s: %s", call_peer(call)->description, cmd->name);
        r = cmd->handler(call);
        if (r < 0)
                call_reply_errno(call, r, "%s failed: %s", cmd->name, strerror(-r));
}
