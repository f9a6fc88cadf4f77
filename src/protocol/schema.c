/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The command table of the wire schema and what is derived from it: request
 * validation into typed parameters, DESCRIBE's argument lists, plain-form
 * usage. See schema.h. Every value checked here comes from a client.
 */

#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "protocol/request.h"
#include "protocol/schema.h"
#include "shared/macro.h"
#include "shared/parse-util.h"

#define ARGS(...) ((const ArgSpec[]) { __VA_ARGS__, { NULL } })
#define NO_ARGS ((const ArgSpec[]) { { NULL } })
#define RETURNS(...) ((const ReturnSpec[]) { __VA_ARGS__, { NULL } })

/* The C type each SchemaType is stored as (see schema.h). */
#define SCHEMA_CTYPE_SCHEMA_TYPE_STRING const char *
#define SCHEMA_CTYPE_SCHEMA_TYPE_INT int64_t
#define SCHEMA_CTYPE_SCHEMA_TYPE_BOOL bool
#define SCHEMA_CTYPE_SCHEMA_TYPE_ARRAY json_t *
#define SCHEMA_CTYPE_SCHEMA_TYPE_OBJECT json_t *
#define SCHEMA_CTYPE_SCHEMA_TYPE_PID pid_t
#define SCHEMA_CTYPE_SCHEMA_TYPE_SIGNAL int

/* offsetof(params, field), refused at compile time unless the field has the C type that
 * arg_dispatch() writes for t: the table can't make it write an int64_t into a pid_t. */
#define ARG_OFFSET(params, field, t)                                                            \
        (offsetof(params, field) +                                                              \
         0 * sizeof(struct {                                                                    \
                 _Static_assert(__builtin_types_compatible_p(__typeof__(((params *) 0)->field), \
                                                             SCHEMA_CTYPE_##t),                 \
                                #params "." #field " is not stored as " #t);                    \
                 char dummy;                                                                    \
         }))

/* One argument: name, type, flags, then the designated extras (.min/.max/.def). */
#define ARG(n, t, f, params, field, ...) \
        { .name = (n), .type = (t), .flags = (f), .offset = ARG_OFFSET(params, field, t), __VA_ARGS__ }

static const CommandSchema commands[] = {
        {
                SCHEMA_CMD_PING, "Check that the daemon answers.",
                NO_ARGS,
                RETURNS({ "msg", "string", true }, { "version", "string", true }),
        },
        {
                SCHEMA_CMD_LIST, "List processes.",
                ARGS(ARG(SCHEMA_ARG_SORT, SCHEMA_TYPE_STRING, SCHEMA_PLAIN_POSITIONAL, ListParameters, sort),
                     ARG(SCHEMA_ARG_LIMIT, SCHEMA_TYPE_INT, SCHEMA_PLAIN_POSITIONAL, ListParameters, limit,
                         .min = 0, .max = SCHEMA_LIST_LIMIT_MAX, .def = -1),
                     ARG(SCHEMA_ARG_USER, SCHEMA_TYPE_STRING, 0, ListParameters, user),
                     ARG(SCHEMA_ARG_NAME, SCHEMA_TYPE_STRING, 0, ListParameters, name),
                     ARG(SCHEMA_ARG_MANAGED, SCHEMA_TYPE_BOOL, 0, ListParameters, managed)),
                RETURNS({ "processes", "array", true }, { "count", "int", true }, { "total", "int", true }),
        },
        {
                SCHEMA_CMD_START, "Start a process in its own scope.",
                /* argv or command: which one is given is START's own check. */
                ARGS(ARG(SCHEMA_ARG_ARGV, SCHEMA_TYPE_ARRAY, SCHEMA_PLAIN_REST, StartParameters, argv),
                     ARG(SCHEMA_ARG_COMMAND, SCHEMA_TYPE_STRING, 0, StartParameters, command),
                     ARG(SCHEMA_ARG_NAME, SCHEMA_TYPE_STRING, 0, StartParameters, name),
                     ARG(SCHEMA_ARG_ENV, SCHEMA_TYPE_OBJECT, 0, StartParameters, env),
                     ARG(SCHEMA_ARG_CWD, SCHEMA_TYPE_STRING, 0, StartParameters, cwd),
                     ARG(SCHEMA_ARG_USER, SCHEMA_TYPE_STRING, 0, StartParameters, user),
                     ARG(SCHEMA_ARG_MEMORY_MAX, SCHEMA_TYPE_INT, 0, StartParameters, memory_max,
                         .min = 1, .max = INT64_MAX, .def = -1),
                     ARG(SCHEMA_ARG_CPU_QUOTA, SCHEMA_TYPE_INT, 0, StartParameters, cpu_quota,
                         .min = 1, .max = SCHEMA_START_CPU_QUOTA_MAX, .def = 0),
                     ARG(SCHEMA_ARG_TASKS_MAX, SCHEMA_TYPE_INT, 0, StartParameters, tasks_max,
                         .min = 1, .max = INT32_MAX, .def = -1),
                     ARG(SCHEMA_ARG_RESTART, SCHEMA_TYPE_STRING, 0, StartParameters, restart),
                     ARG(SCHEMA_ARG_RESTART_SEC, SCHEMA_TYPE_INT, 0, StartParameters, restart_sec,
                         .min = 0, .max = 3600, .def = 1),
                     ARG(SCHEMA_ARG_RESTART_MAX_SEC, SCHEMA_TYPE_INT, 0, StartParameters, restart_max_sec,
                         .min = 0, .max = 86400, .def = 60),
                     ARG(SCHEMA_ARG_MAX_RESTARTS, SCHEMA_TYPE_INT, 0, StartParameters, max_restarts,
                         .min = 0, .max = 1000, .def = 5)),
                RETURNS({ "pid", "int", true }, { "unit", "string", false }, { "name", "string", true },
                        { "user", "string", true }),
        },
        {
                SCHEMA_CMD_STOP, "Stop a process (managed: its whole scope).",
                /* pid or name: the handler's check (name: the live managed process). */
                ARGS(ARG(SCHEMA_ARG_PID, SCHEMA_TYPE_PID, SCHEMA_PLAIN_POSITIONAL | SCHEMA_PLAIN_REQUIRED,
                         StopParameters, pid),
                     ARG(SCHEMA_ARG_NAME, SCHEMA_TYPE_STRING, 0, StopParameters, name),
                     ARG(SCHEMA_ARG_SIGNAL, SCHEMA_TYPE_SIGNAL, SCHEMA_PLAIN_POSITIONAL,
                         StopParameters, signal, .def = SIGTERM),
                     ARG(SCHEMA_ARG_TIMEOUT_MS, SCHEMA_TYPE_INT, 0, StopParameters, timeout_ms,
                         .min = 0, .max = SCHEMA_STOP_TIMEOUT_MS_MAX,
                         .def = SCHEMA_STOP_TIMEOUT_MS_DEFAULT)),
                RETURNS({ "pid", "int", true }, { "stopped", "bool", true }, { "exit", "object", false }),
        },
        {
                SCHEMA_CMD_STATUS, "Describe one process.",
                ARGS(ARG(SCHEMA_ARG_PID, SCHEMA_TYPE_PID, SCHEMA_PLAIN_POSITIONAL | SCHEMA_PLAIN_REQUIRED,
                         StatusParameters, pid),
                     ARG(SCHEMA_ARG_NAME, SCHEMA_TYPE_STRING, 0, StatusParameters, name)),
                RETURNS({ "process", "object", true }, { "unit", "string", false },
                        { "restarts", "int", false }, { "restart_policy", "string", false },
                        { "unit_state", "string", false }, { "memory_current", "int", false },
                        { "cpu_usage_ns", "int", false }, { "tasks_current", "int", false }),
        },
        {
                SCHEMA_CMD_INFO, "System figures: CPU, memory, load, uptime.",
                NO_ARGS,
                RETURNS({ "cpu", "object", true }, { "memory", "object", true }, { "swap", "object", true },
                        { "uptime", "int", true }, { "hostname", "string", true },
                        { "kernel", "string", true }, { "processes", "int", true },
                        { "backend", "string", true }, { "dbus", "any", true }),
        },
        {
                SCHEMA_CMD_LOGS, "Journal lines of a started process.",
                /* pid or unit: LOGS' own check. */
                ARGS(ARG(SCHEMA_ARG_PID, SCHEMA_TYPE_PID, SCHEMA_PLAIN_POSITIONAL | SCHEMA_PLAIN_REQUIRED,
                         LogsParameters, pid),
                     ARG(SCHEMA_ARG_NAME, SCHEMA_TYPE_STRING, 0, LogsParameters, name),
                     ARG(SCHEMA_ARG_UNIT, SCHEMA_TYPE_STRING, 0, LogsParameters, unit),
                     ARG(SCHEMA_ARG_LINES, SCHEMA_TYPE_INT, SCHEMA_PLAIN_POSITIONAL, LogsParameters, lines,
                         .min = 1, .max = SCHEMA_LOGS_LINES_MAX, .def = SCHEMA_LOGS_LINES_DEFAULT),
                     ARG(SCHEMA_ARG_FOLLOW, SCHEMA_TYPE_BOOL, 0, LogsParameters, follow),
                     ARG(SCHEMA_ARG_AFTER_CURSOR, SCHEMA_TYPE_STRING, 0, LogsParameters, after_cursor)),
                RETURNS({ "lines", "array", true }, { "unit", "string", false }, { "cursor", "string", false }),
        },
        {
                SCHEMA_CMD_DESCRIBE, "This description.",
                NO_ARGS,
                RETURNS({ "interface", "string", true }, { "version", "int", true },
                        { "commands", "array", true }),
        },
        {
                SCHEMA_CMD_AUTH, "Authenticate the rest of this connection.",
                ARGS(ARG(SCHEMA_ARG_TOKEN, SCHEMA_TYPE_STRING, SCHEMA_REQUIRED | SCHEMA_PLAIN_POSITIONAL,
                         AuthParameters, token)),
                RETURNS({ "msg", "string", true }),
        },
        {
                SCHEMA_CMD_EXIT, "Close this connection.",
                NO_ARGS,
                RETURNS({ "msg", "string", true }),
        },
        {
                SCHEMA_CMD_METRICS, "Host and managed-process figures as Prometheus text (format 0.0.4).",
                NO_ARGS,
                RETURNS({ "text", "string", true }),
        },
        {
                SCHEMA_CMD_WATCH, "Stream events of managed processes (started, exited, stopped, restarted, failed).",
                ARGS(ARG(SCHEMA_ARG_AFTER, SCHEMA_TYPE_INT, 0, WatchParameters, after,
                         .min = 0, .max = INT64_MAX, .def = -1),
                     ARG(SCHEMA_ARG_PID, SCHEMA_TYPE_PID, 0, WatchParameters, pid),
                     ARG(SCHEMA_ARG_NAME, SCHEMA_TYPE_STRING, 0, WatchParameters, name),
                     ARG(SCHEMA_ARG_UNIT, SCHEMA_TYPE_STRING, 0, WatchParameters, unit)),
                RETURNS({ "seq", "int", true }, { "lost", "bool", false }),
        },
        {
                SCHEMA_CMD_UNWATCH, "End this connection's stream (WATCH or LOGS follow).",
                NO_ARGS,
                RETURNS({ NULL }),
        },
};

static const char *const schema_type_names[_SCHEMA_TYPE_MAX] = {
        [SCHEMA_TYPE_STRING] = "string",
        [SCHEMA_TYPE_INT] = "int",
        [SCHEMA_TYPE_BOOL] = "bool",
        [SCHEMA_TYPE_ARRAY] = "array",
        [SCHEMA_TYPE_OBJECT] = "object",
        [SCHEMA_TYPE_PID] = "int",
        [SCHEMA_TYPE_SIGNAL] = "any",
};

const char *schema_type_to_string(SchemaType t) {
        if (t < 0 || t >= _SCHEMA_TYPE_MAX)
                return NULL;
        return schema_type_names[t];
}

const CommandSchema *schema_command_find(const char *name) {
        if (!name)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

const CommandSchema *schema_commands(size_t *ret_n) {
        *ret_n = ELEMENTSOF(commands);
        return commands;
}

/* ---------------------------------------------------------------------------
 * Validation */

static int dispatch_pid(const ArgSpec *a, const Request *req, pid_t *ret, char *msg, size_t msg_size) {
        long long v = 0;
        int r;

        r = request_get_int(req, a->name, LLONG_MIN, LLONG_MAX, &v, msg, msg_size);
        if (r <= 0)
                return r;
        if (v <= 0 || v > INT32_MAX) {
                (void) snprintf(msg, msg_size, "invalid pid %lld", v);
                return -EINVAL;
        }
        *ret = (pid_t) v;
        return 1;
}

static int dispatch_signal(const ArgSpec *a, const Request *req, int *ret, char *msg, size_t msg_size) {
        json_t *v = json_object_get(req->args, a->name);
        int sig;

        if (!v || json_is_null(v))
                return 0;
        if (json_is_integer(v)) {
                json_int_t n = json_integer_value(v);
                sig = n >= 1 && n <= SIGRTMAX ? (int) n : -ERANGE;
        }
        else if (json_is_string(v))
                sig = signal_from_string(json_string_value(v));
        else
                sig = -EINVAL;
        if (sig < 0) {
                (void) snprintf(msg, msg_size, "member '%s' must be a signal name or number", a->name);
                return -EINVAL;
        }
        *ret = sig;
        return 1;
}

/* One argument into its slot p. Returns 1 when present, 0 when absent (slot set to the
 * default), < 0 with msg set. */
static int arg_dispatch(const ArgSpec *a, const Request *req, void *p, char *msg, size_t msg_size) {
        int r;

        switch (a->type) {
        case SCHEMA_TYPE_STRING: {
                const char *s = NULL;
                r = request_get_string(req, a->name, &s, msg, msg_size);
                *(const char **) p = s;
                return r;
        }
        case SCHEMA_TYPE_INT: {
                long long v = a->def;
                r = request_get_int(req, a->name, a->min, a->max, &v, msg, msg_size);
                *(int64_t *) p = v;
                return r;
        }
        case SCHEMA_TYPE_BOOL: {
                bool b = false;
                r = request_get_bool(req, a->name, &b, msg, msg_size);
                *(bool *) p = b;
                return r;
        }
        case SCHEMA_TYPE_ARRAY:
        case SCHEMA_TYPE_OBJECT: {
                json_t *j = NULL;
                json_type type = a->type == SCHEMA_TYPE_ARRAY ? JSON_ARRAY : JSON_OBJECT;

                r = request_get_json(req, a->name, type, &j, msg, msg_size);
                *(json_t **) p = j;
                return r;
        }
        case SCHEMA_TYPE_PID: {
                pid_t pid = 0;
                r = dispatch_pid(a, req, &pid, msg, msg_size);
                *(pid_t *) p = pid;
                return r;
        }
        case SCHEMA_TYPE_SIGNAL: {
                int sig = (int) a->def;
                r = dispatch_signal(a, req, &sig, msg, msg_size);
                *(int *) p = sig;
                return r;
        }
        default:
                (void) snprintf(msg, msg_size, "member '%s' has no type", a->name);
                return -EINVAL;
        }
}

int schema_validate_request(const CommandSchema *c, Request *req, char *msg, size_t msg_size) {
        int r;

        req->params = (CommandParameters) {};
        for (const ArgSpec *a = c->args; a->name; a++) {
                r = arg_dispatch(a, req, (uint8_t *) &req->params + a->offset, msg, msg_size);
                if (r < 0)
                        return r;
                if (r == 0 && (a->flags & SCHEMA_REQUIRED)) {
                        (void) snprintf(msg, msg_size, "missing member '%s'", a->name);
                        return -EINVAL;
                }
        }
        return 0;
}

/* ---------------------------------------------------------------------------
 * DESCRIBE and usage */

json_t *schema_describe_args(const CommandSchema *c) {
        _cleanup_(json_decrefp) json_t *list = json_array();

        if (!list)
                return NULL;
        for (const ArgSpec *a = c->args; a->name; a++) {
                json_t *o = json_pack("{s:s, s:s, s:b}", "name", a->name,
                                      "type", schema_type_to_string(a->type),
                                      "required", !!(a->flags & SCHEMA_REQUIRED));

                if (!o || json_array_append_new(list, o) < 0)
                        return NULL;
                /* A pid's range is that of a pid; an int's is published. */
                if (a->type == SCHEMA_TYPE_INT &&
                    (json_object_set_new(o, "min", json_integer(a->min)) < 0 ||
                     json_object_set_new(o, "max", json_integer(a->max)) < 0))
                        return NULL;
        }
        return TAKE_PTR(list);
}

json_t *schema_describe_returns(const CommandSchema *c) {
        _cleanup_(json_decrefp) json_t *list = json_array();

        if (!list)
                return NULL;
        for (const ReturnSpec *i = c->returns; i->name; i++)
                if (json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "name", i->name,
                                                          "type", i->type, "required", i->required)) < 0)
                        return NULL;
        return TAKE_PTR(list);
}

void schema_plain_usage(const CommandSchema *c, char *buf, size_t size) {
        size_t n = 0, open = 0;

        if (size == 0)
                return;
        buf[0] = '\0';
        for (const ArgSpec *a = c->args; a->name; a++) {
                char word[PROTOCOL_CMD_MAX + 1];
                size_t i;

                if (!(a->flags & (SCHEMA_PLAIN_POSITIONAL | SCHEMA_PLAIN_REST)))
                        continue;
                for (i = 0; a->name[i] && i < sizeof(word) - 1; i++)
                        word[i] = (char) (a->name[i] >= 'a' && a->name[i] <= 'z' ? a->name[i] - 'a' + 'A'
                                                                                 : a->name[i]);
                word[i] = '\0';
                n += (size_t) snprintf(buf + MIN(n, size - 1), size - MIN(n, size - 1), " %s%s%s",
                                       arg_spec_plain_required(a) ? "" : "[", word,
                                       a->flags & SCHEMA_PLAIN_REST ? "..." : "");
                if (!arg_spec_plain_required(a))
                        open++;
        }
        for (; open > 0; open--)
                n += (size_t) snprintf(buf + MIN(n, size - 1), size - MIN(n, size - 1), "]");
}
