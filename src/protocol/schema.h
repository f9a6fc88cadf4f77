/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The wire schema: for every command its arguments (name, type, bounds,
 * plain-form position, where the checked value goes) and its reply members.
 * This is the ONE table: request.c reads the plain form from it, the daemon
 * validates every request with it before a handler runs, DESCRIBE publishes
 * it, and procctl names its members with the constants below. It knows no
 * handlers, no access rules and no transports (those are the daemon's).
 */

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Command names (the wire spells them in any case; these are the canonical ones). */
#define SCHEMA_CMD_PING "PING"
#define SCHEMA_CMD_LIST "LIST"
#define SCHEMA_CMD_START "START"
#define SCHEMA_CMD_STOP "STOP"
#define SCHEMA_CMD_STATUS "STATUS"
#define SCHEMA_CMD_INFO "INFO"
#define SCHEMA_CMD_LOGS "LOGS"
#define SCHEMA_CMD_DESCRIBE "DESCRIBE"
#define SCHEMA_CMD_AUTH "AUTH"
#define SCHEMA_CMD_EXIT "EXIT"
#define SCHEMA_CMD_METRICS "METRICS"
#define SCHEMA_CMD_WATCH "WATCH"
#define SCHEMA_CMD_UNWATCH "UNWATCH"

/* Members every request may carry, whatever the command. */
#define SCHEMA_MEMBER_CMD "cmd"
#define SCHEMA_MEMBER_ID "id"
#define SCHEMA_MEMBER_TOKEN "token"

/* Argument names. */
#define SCHEMA_ARG_AFTER "after"
#define SCHEMA_ARG_RESTART "restart"
#define SCHEMA_ARG_RESTART_SEC "restart_sec"
#define SCHEMA_ARG_RESTART_MAX_SEC "restart_max_sec"
#define SCHEMA_ARG_MAX_RESTARTS "max_restarts"
#define SCHEMA_ARG_AFTER_CURSOR "after_cursor"
#define SCHEMA_ARG_FOLLOW "follow"
#define SCHEMA_ARG_ARGV "argv"
#define SCHEMA_ARG_COMMAND "command"
#define SCHEMA_ARG_CPU_QUOTA "cpu_quota"
#define SCHEMA_ARG_CWD "cwd"
#define SCHEMA_ARG_ENV "env"
#define SCHEMA_ARG_LIMIT "limit"
#define SCHEMA_ARG_LINES "lines"
#define SCHEMA_ARG_MANAGED "managed"
#define SCHEMA_ARG_MEMORY_MAX "memory_max"
#define SCHEMA_ARG_NAME "name"
#define SCHEMA_ARG_PID "pid"
#define SCHEMA_ARG_SIGNAL "signal"
#define SCHEMA_ARG_SORT "sort"
#define SCHEMA_ARG_TASKS_MAX "tasks_max"
#define SCHEMA_ARG_TIMEOUT_MS "timeout_ms"
#define SCHEMA_ARG_TOKEN SCHEMA_MEMBER_TOKEN
#define SCHEMA_ARG_UNIT "unit"
#define SCHEMA_ARG_USER "user"

/* Bounds that are part of the contract (docs/protocol.md) and published by DESCRIBE. */
#define SCHEMA_LIST_LIMIT_MAX 1000000
#define SCHEMA_STOP_TIMEOUT_MS_MAX (24LL * 3600 * 1000)
#define SCHEMA_STOP_TIMEOUT_MS_DEFAULT 5000
#define SCHEMA_LOGS_LINES_MAX 10000
#define SCHEMA_LOGS_LINES_DEFAULT 50
#define SCHEMA_LOGS_FOLLOW_LINES_DEFAULT 10
#define SCHEMA_START_CPU_QUOTA_MAX 100000

typedef enum SchemaType {
        SCHEMA_TYPE_STRING,     /* const char *, without NUL inside */
        SCHEMA_TYPE_INT,        /* int64_t in [min, max]; JSON reals without a fraction count */
        SCHEMA_TYPE_BOOL,       /* bool */
        SCHEMA_TYPE_ARRAY,      /* json_t * (borrowed); elements are the handler's business */
        SCHEMA_TYPE_OBJECT,     /* json_t * (borrowed) */
        SCHEMA_TYPE_PID,        /* pid_t in 1…INT32_MAX; published as "int" */
        SCHEMA_TYPE_SIGNAL,     /* int: a name ("TERM", "SIGKILL") or 1…SIGRTMAX; published as "any" */
        _SCHEMA_TYPE_MAX,
        _SCHEMA_TYPE_INVALID = -EINVAL,
} SchemaType;

typedef enum SchemaFlags {
        SCHEMA_REQUIRED         = 1 << 0,  /* absent (or null) → "missing member 'x'" */
        SCHEMA_PLAIN_POSITIONAL = 1 << 1,  /* the plain form's next word (in table order) */
        SCHEMA_PLAIN_REST       = 1 << 2,  /* the plain form's whole rest, split into an array */
        SCHEMA_PLAIN_REQUIRED   = 1 << 3,  /* the plain form needs this word (SCHEMA_REQUIRED implies it) */
} SchemaFlags;

typedef struct ArgSpec {
        const char *name;
        SchemaType type;
        SchemaFlags flags;
        int64_t min, max;       /* SCHEMA_TYPE_INT: the accepted range, published by DESCRIBE */
        int64_t def;            /* SCHEMA_TYPE_INT, SCHEMA_TYPE_SIGNAL: the value when absent */
        size_t offset;          /* where the checked value goes in the command's parameters */
} ArgSpec;

static inline bool arg_spec_plain_required(const ArgSpec *a) {
        return a->flags & (SCHEMA_REQUIRED | SCHEMA_PLAIN_REQUIRED);
}

/* Reply members, for DESCRIBE and the client (nothing checks them). */
typedef struct ReturnSpec {
        const char *name;
        const char *type;       /* "string", "int", "bool", "array", "object" */
        bool required;
} ReturnSpec;

/* The checked, typed arguments of each command; strings and JSON values are borrowed
 * from the request. */
typedef struct ListParameters {
        const char *sort;
        int64_t limit;          /* -1: none */
        const char *user;
        const char *name;
        bool managed;
} ListParameters;

typedef struct StartParameters {
        json_t *argv;
        const char *command;
        const char *name;
        json_t *env;
        const char *cwd;
        const char *user;
        int64_t memory_max;     /* -1: none */
        int64_t cpu_quota;      /* 0: none */
        int64_t tasks_max;      /* -1: none */
        const char *restart;    /* "no", "on-failure", "always"; NULL: no */
        int64_t restart_sec;
        int64_t restart_max_sec;
        int64_t max_restarts;
} StartParameters;

typedef struct StopParameters {
        pid_t pid;              /* 0: by name */
        const char *name;
        int signal;
        int64_t timeout_ms;
} StopParameters;

typedef struct StatusParameters {
        pid_t pid;              /* 0: by name */
        const char *name;
} StatusParameters;

typedef struct LogsParameters {
        pid_t pid;              /* 0: none */
        const char *name;
        const char *unit;
        int64_t lines;
        bool follow;
        const char *after_cursor;
} LogsParameters;

typedef struct WatchParameters {
        int64_t after;          /* -1: none */
        pid_t pid;              /* 0: any */
        const char *name;
        const char *unit;
} WatchParameters;

typedef struct AuthParameters {
        const char *token;
} AuthParameters;

typedef union CommandParameters {
        ListParameters list;
        StartParameters start;
        StopParameters stop;
        StatusParameters status;
        LogsParameters logs;
        AuthParameters auth;
        WatchParameters watch;
} CommandParameters;

typedef struct CommandSchema {
        const char *name;
        const char *summary;
        const ArgSpec *args;            /* terminated by { NULL } */
        const ReturnSpec *returns;      /* terminated by { NULL } */
} CommandSchema;

typedef struct Request Request;

const CommandSchema *schema_command_find(const char *name);   /* upper-case name; NULL if unknown */
const CommandSchema *schema_commands(size_t *ret_n);

/* The wire name of a type: "string", "int", "bool", "array", "object", "any". */
const char *schema_type_to_string(SchemaType t);

/* Checks every argument of req against c (types, ranges, required members) and fills
 * req->params. Unknown members are ignored (PROTOCOL.md). Returns 0, or -EINVAL/-ERANGE
 * with an InvalidArgument message naming the member in msg. */
int schema_validate_request(const CommandSchema *c, Request *req, char *msg, size_t msg_size);

/* DESCRIBE's "args" and "returns" arrays: [{name, type, required[, min, max]}]. NULL on OOM. */
json_t *schema_describe_args(const CommandSchema *c);
json_t *schema_describe_returns(const CommandSchema *c);

/* The plain form's usage words after the command name: " PID [SIGNAL]", " [SORT [LIMIT]]",
 * " COMMAND..."; "" for commands without arguments. */
void schema_plain_usage(const CommandSchema *c, char *buf, size_t size);
