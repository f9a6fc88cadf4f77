/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PING, DESCRIBE, AUTH, EXIT, INFO and LOGS: the commands that touch no process. */

#include "config.h"

#include <string.h>

#include "daemon/auth.h"
#include "daemon/backend.h"
#include "daemon/commands.h"
#include "daemon/dispatch.h"
#include "daemon/journal-read.h"
#include "shared/log.h"
#include "daemon/manager.h"
#include "daemon/sysinfo-json.h"

int reply_bad_argument(Call *call, int r, const char *msg) {
        if (r < 0)
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "%s", msg);
        return r;
}

int command_ping(Call *call) {
        json_t *reply = call_reply_new(call);

        if (!reply || json_object_set_new(reply, "msg", json_string("pong")) < 0 ||
            json_object_set_new(reply, "version", json_string(PACKAGE_VERSION)) < 0) {
                json_decref(reply);
                return -ENOMEM;
        }
        call_reply(call, reply);
        return 0;
}

static json_t *describe_args(const CommandArg *args) {
        json_t *a = json_array();

        for (const CommandArg *i = args; a && i->name; i++)
                if (json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "name", i->name, "type", i->type,
                                                       "required", i->required)) < 0)
                        return json_decref(a), NULL;
        return a;
}

int command_describe(Call *call) {
        _cleanup_(json_decrefp) json_t *reply = call_reply_new(call), *list = json_array();
        const Command *table;
        size_t n;

        if (!reply || !list)
                return -ENOMEM;
        table = command_table(&n);
        for (size_t i = 0; i < n; i++) {
                static const char *const access[] = {
                        [ACCESS_PUBLIC] = "public", [ACCESS_READ] = "read", [ACCESS_CONTROL] = "control",
                };
                json_t *o = json_pack("{s:s, s:s, s:s, s:o*, s:o*}", "name", table[i].name, "summary",
                                      table[i].summary, "access", access[table[i].access], "args",
                                      describe_args(table[i].args), "returns", describe_args(table[i].returns));
                if (!o || json_array_append_new(list, o) < 0)
                        return -ENOMEM;
        }
        if (json_object_set_new(reply, "interface", json_string(PROTOCOL_INTERFACE)) < 0 ||
            json_object_set_new(reply, "version", json_integer(PROTOCOL_VERSION)) < 0 ||
            json_object_set_new(reply, "commands", TAKE_PTR(list)) < 0)
                return -ENOMEM;
        call_reply(call, TAKE_PTR(reply));
        return 0;
}

int command_auth(Call *call) {
        const char *token = NULL;
        char msg[128];
        json_t *reply;
        int r;

        r = request_get_string(&call->request, "token", &token, msg, sizeof(msg));
        if (r < 0)
                return reply_bad_argument(call, r, msg), 0;
        if (r == 0) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "missing member 'token'");
                return 0;
        }
        if (call_peer(call)->is_unix) {
                /* Unix peers are identified by their credentials; a token adds nothing. */
                if (!auth_token_valid(call->manager->auth, call, token)) {
                        call_reply_error(call, ERROR_ACCESS_DENIED, "invalid token");
                        return 0;
                }
        } else if (!auth_token_valid(call->manager->auth, call, token)) {
                call_reply_error(call, ERROR_ACCESS_DENIED, "invalid token");
                return 0;
        }
        if (call->connection)
                call->connection->authenticated = true;

        reply = call_reply_new(call);
        if (!reply || json_object_set_new(reply, "msg", json_string("authenticated")) < 0) {
                json_decref(reply);
                return -ENOMEM;
        }
        call_reply(call, reply);
        return 0;
}

int command_exit(Call *call) {
        json_t *reply = call_reply_new(call);

        if (!reply || json_object_set_new(reply, "msg", json_string("bye")) < 0) {
                json_decref(reply);
                return -ENOMEM;
        }
        call->close_after = true;
        /* Lines after EXIT in the same packet are not served. */
        if (call->connection)
                call->connection->closing = true;
        call_reply(call, reply);
        return 0;
}

int command_info(Call *call) {
        Manager *m = call->manager;
        JsonWriter w = {};
        char *line;
        size_t len;
        int r;

        /* Written as text straight away: INFO is polled, and building and dumping a
         * jansson tree of reals cost more than the figures themselves. */
        (void) json_writer_reserve(&w, 512);
        json_writer_literal(&w, "{\"ok\":true");
        if (call->request.id) {
                json_writer_literal(&w, ",\"id\":");
                json_writer_json(&w, call->request.id);
        }
        json_writer_literal(&w, ",");
        r = sysinfo_write_json(m->sysinfo, &w);
        if (r < 0) {
                json_writer_done(&w);
                return r;
        }
        json_writer_literal(&w, ",\"backend\":");
        json_writer_string(&w, backend_name(m->backend), strlen(backend_name(m->backend)));
        json_writer_literal(&w, "}\n");
        line = json_writer_steal(&w, &len);
        if (!line)
                return -ENOMEM;
        call_reply_raw(call, line, len);
        return 0;
}

int command_logs(Call *call) {
        const char *unit = NULL;
        long long pid = 0, lines = 50;
        char msg[128];
        int r;

        r = request_get_int(&call->request, "pid", 1, INT32_MAX, &pid, msg, sizeof(msg));
        if (r < 0)
                return reply_bad_argument(call, r, msg), 0;
        r = request_get_string(&call->request, "unit", &unit, msg, sizeof(msg));
        if (r < 0)
                return reply_bad_argument(call, r, msg), 0;
        r = request_get_int(&call->request, "lines", 1, 10000, &lines, msg, sizeof(msg));
        if (r < 0)
                return reply_bad_argument(call, r, msg), 0;
        if (!unit && pid == 0) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "LOGS needs 'pid' or 'unit'");
                return 0;
        }
        return journal_reply_logs(call, (pid_t) pid, unit, (unsigned) lines);
}
