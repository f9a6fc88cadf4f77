/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procctl's verbs about processes: list, start, stop, status, logs. Each has
 * its options' parse callback (adding members to ctx->request) and a run()
 * that finishes the request from the positional arguments, sends it with
 * verb_call() and renders the reply. Argument counts, PID arguments and the
 * global options are dispatch_verb()'s (procctl.c), never a verb's.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "client/procctl.h"
#include "client/table.h"
#include "protocol/schema.h"
#include "shared/parse-util.h"

enum {
        ARG_SORT = VERB_OPTION_FIRST,
        ARG_LIMIT,
        ARG_USER,
        ARG_NAME,
        ARG_MANAGED,
        ARG_CWD,
        ARG_ENV,
        ARG_MEMORY_MAX,
        ARG_CPU_QUOTA,
        ARG_TASKS_MAX,
        ARG_TIMEOUT_MS,
        ARG_UNIT,
};

/* Both name and user are plain strings in LIST and START. */
static int request_set_string(Context *ctx, const char *key, const char *arg) {
        return request_set(ctx, key, json_string(arg), arg);
}

static const char *cmdline_or_name(const json_t *p, char *buf, size_t size) {
        const char *cmdline = reply_string(p, "cmdline");

        if (cmdline && *cmdline)
                return cmdline;
        /* Kernel threads have no command line; show the name in brackets, as ps does. */
        (void) snprintf(buf, size, "[%s]", reply_string(p, "name") ?: "?");
        return buf;
}

static int list_parse_option(int c, const char *arg, Context *ctx) {
        unsigned u;

        switch (c) {
        case ARG_SORT:
                return request_set_string(ctx, SCHEMA_ARG_SORT, arg);
        case ARG_LIMIT:
                if (safe_atou(arg, &u) < 0)
                        return usage_error("invalid --limit '%s': expected a number", arg);
                return request_set(ctx, SCHEMA_ARG_LIMIT, json_integer(u), arg);
        case ARG_USER:
                return request_set_string(ctx, SCHEMA_ARG_USER, arg);
        case ARG_NAME:
                return request_set_string(ctx, SCHEMA_ARG_NAME, arg);
        case ARG_MANAGED:
                return request_set(ctx, SCHEMA_ARG_MANAGED, json_true(), "--managed");
        default:
                abort(); /* dispatch_verb() hands over only the options below */
        }
}

const VerbOptions verb_list_options = {
        .longopts = (const struct option[]) {
                { "sort", required_argument, NULL, ARG_SORT },
                { "limit", required_argument, NULL, ARG_LIMIT },
                { "user", required_argument, NULL, ARG_USER },
                { "name", required_argument, NULL, ARG_NAME },
                { "managed", no_argument, NULL, ARG_MANAGED },
                {}
        },
        .parse = list_parse_option,
};

int verb_list(_unused_ int n_args, _unused_ char **args, Context *ctx) {
        _cleanup_(table_freep) Table *table = NULL;
        json_auto_t *reply = NULL;
        json_t *processes, *p;
        int64_t count, total;
        size_t i;
        int r;

        r = verb_call(ctx, &reply);
        if (!reply)
                return r;

        processes = json_object_get(reply, "processes");
        if (!json_is_array(processes)) {
                error_message("malformed LIST reply: no \"processes\" array");
                return EXIT_USAGE;
        }

        table = table_new("PID", "USER", "STATE", "CPU%", "RSS", "THREADS", "NAME", "COMMAND", NULL);
        if (!table)
                return oom();
        (void) table_set_align(table, 0, TABLE_ALIGN_RIGHT);
        (void) table_set_align(table, 3, TABLE_ALIGN_RIGHT);
        (void) table_set_align(table, 4, TABLE_ALIGN_RIGHT);
        (void) table_set_align(table, 5, TABLE_ALIGN_RIGHT);
        (void) table_set_ellipsize_column(table, 7);

        json_array_foreach(processes, i, p) {
                char size[FORMAT_BYTES_MAX], name[80];
                int64_t pid = 0, rss = 0, threads = 0;
                double cpu = 0;
                bool has_rss = reply_int(p, "rss", &rss), has_threads = reply_int(p, "threads", &threads);
                bool has_cpu = reply_number(p, "cpu_percent", &cpu);

                (void) reply_int(p, "pid", &pid);
                r = table_add_cellf(table, "%" PRId64, pid);
                if (r >= 0)
                        r = table_add_cell(table, reply_string(p, "user"));
                if (r >= 0)
                        r = table_add_cell(table, reply_string(p, "state"));
                if (r >= 0)
                        r = has_cpu ? table_add_cellf(table, "%.1f", cpu) : table_add_cell(table, NULL);
                if (r >= 0)
                        r = table_add_cell(table, has_rss ? format_bytes(size, sizeof(size), (uint64_t) MAX(rss, 0))
                                                          : NULL);
                if (r >= 0)
                        r = has_threads ? table_add_cellf(table, "%" PRId64, threads) : table_add_cell(table, NULL);
                if (r >= 0)
                        r = table_add_cell(table, reply_string(p, "name"));
                if (r >= 0)
                        r = table_add_cell(table, cmdline_or_name(p, name, sizeof(name)));
                if (r < 0)
                        return oom();
        }

        if (table_get_rows(table) > 0 && table_print(table, stdout, table_terminal_width()) < 0) {
                error_message("cannot write output");
                return EXIT_USAGE;
        }

        if (!reply_int(reply, "count", &count))
                count = (int64_t) json_array_size(processes);
        if (!reply_int(reply, "total", &total))
                total = count;
        if (table_get_rows(table) > 0)
                putchar('\n');
        printf("%" PRId64 " process%s listed (of %" PRId64 ").\n", count, count == 1 ? "" : "es", total);
        return 0;
}

static int start_parse_option(int c, const char *arg, Context *ctx) {
        uint64_t bytes;
        unsigned u;

        switch (c) {
        case ARG_NAME:
                return request_set_string(ctx, SCHEMA_ARG_NAME, arg);
        case ARG_USER:
                return request_set_string(ctx, SCHEMA_ARG_USER, arg);
        case ARG_CWD:
                return request_set_string(ctx, SCHEMA_ARG_CWD, arg);
        case ARG_ENV: {
                const char *eq = strchr(arg, '=');
                _cleanup_free_ char *key = NULL;
                json_t *env;

                if (!eq || eq == arg)
                        return usage_error("invalid --env '%s': expected KEY=VALUE", arg);
                key = strndup(arg, (size_t) (eq - arg));
                if (!key)
                        return oom();
                env = json_object_get(ctx->request, SCHEMA_ARG_ENV);
                if (!env) {
                        env = json_object();
                        if (json_object_set_new(ctx->request, SCHEMA_ARG_ENV, env) < 0)
                                return oom();
                }
                if (json_object_set_new(env, key, json_string(eq + 1)) < 0)
                        return usage_error("invalid value '%s' (not UTF-8?)", arg);
                return 0;
        }
        case ARG_MEMORY_MAX:
                if (parse_size(arg, &bytes) < 0 || bytes == 0 || bytes > INT64_MAX)
                        return usage_error("invalid --memory-max '%s': expected a size like 64M", arg);
                return request_set(ctx, SCHEMA_ARG_MEMORY_MAX, json_integer((json_int_t) bytes), arg);
        case ARG_CPU_QUOTA: {
                char buf[16];
                size_t l = strlen(arg);

                /* "50" and "50%" both mean half of one CPU. */
                if (l == 0 || l >= sizeof(buf))
                        return usage_error("invalid --cpu-quota '%s': expected a percentage", arg);
                memcpy(buf, arg, l + 1);
                if (buf[l - 1] == '%')
                        buf[l - 1] = '\0';
                if (safe_atou(buf, &u) < 0 || u == 0)
                        return usage_error("invalid --cpu-quota '%s': expected a percentage", arg);
                return request_set(ctx, SCHEMA_ARG_CPU_QUOTA, json_integer(u), arg);
        }
        case ARG_TASKS_MAX:
                if (safe_atou(arg, &u) < 0 || u == 0)
                        return usage_error("invalid --tasks-max '%s': expected a number", arg);
                return request_set(ctx, SCHEMA_ARG_TASKS_MAX, json_integer(u), arg);
        default:
                abort(); /* dispatch_verb() hands over only the options below */
        }
}

const VerbOptions verb_start_options = {
        .longopts = (const struct option[]) {
                { "name", required_argument, NULL, ARG_NAME },
                { "user", required_argument, NULL, ARG_USER },
                { "cwd", required_argument, NULL, ARG_CWD },
                { "env", required_argument, NULL, ARG_ENV },
                { "memory-max", required_argument, NULL, ARG_MEMORY_MAX },
                { "cpu-quota", required_argument, NULL, ARG_CPU_QUOTA },
                { "tasks-max", required_argument, NULL, ARG_TASKS_MAX },
                {}
        },
        .parse = start_parse_option,
};

int verb_start(int n_args, char **args, Context *ctx) {
        json_auto_t *reply = NULL;
        json_t *argv;
        const char *unit, *user;
        int64_t pid = 0;
        int r;

        argv = json_array();
        if (!argv || json_object_set_new(ctx->request, SCHEMA_ARG_ARGV, argv) < 0)
                return oom();
        for (int i = 0; i < n_args; i++)
                if (json_array_append_new(argv, json_string(args[i])) < 0)
                        return usage_error("argument '%s' is not valid UTF-8", args[i]);

        r = verb_call(ctx, &reply);
        if (!reply)
                return r;

        (void) reply_int(reply, "pid", &pid);
        unit = reply_string(reply, "unit");
        /* Who it runs as is not always obvious (a TCP start runs as --default-user); a daemon
         * older than the 'user' member gets no "as" part. */
        user = reply_string(reply, "user");
        printf("Started PID %" PRId64 "%s%s", pid, user ? " as " : "", user ?: "");
        if (unit)
                printf(" in unit %s\n", unit);
        else
                printf(" (no unit: direct backend)\n");
        return 0;
}

static int stop_parse_option(int c, const char *arg, Context *ctx) {
        const char *name;
        unsigned u;
        int sig;

        switch (c) {
        case 's':
                sig = signal_from_string(arg);
                if (sig < 0)
                        return usage_error("invalid --signal '%s': expected a name like TERM or a number", arg);
                name = signal_to_string(sig);
                return request_set(ctx, SCHEMA_ARG_SIGNAL, name ? json_string(name) : json_integer(sig), arg);
        case ARG_TIMEOUT_MS:
                if (safe_atou(arg, &u) < 0)
                        return usage_error("invalid --timeout-ms '%s': expected milliseconds", arg);
                return request_set(ctx, SCHEMA_ARG_TIMEOUT_MS, json_integer(u), arg);
        default:
                abort(); /* dispatch_verb() hands over only the options below */
        }
}

const VerbOptions verb_stop_options = {
        .shortopts = "s:",
        .longopts = (const struct option[]) {
                { "signal", required_argument, NULL, 's' },
                { "timeout-ms", required_argument, NULL, ARG_TIMEOUT_MS },
                {}
        },
        .parse = stop_parse_option,
};

int verb_stop(_unused_ int n_args, _unused_ char **args, Context *ctx) {
        json_auto_t *reply = NULL;
        json_t *exit_info;
        int64_t code;
        int r;

        r = verb_call(ctx, &reply);
        if (!reply)
                return r;

        exit_info = json_object_get(reply, "exit");
        if (reply_string(exit_info, "signal"))
                printf("Stopped PID %d (killed by signal %s).\n", (int) ctx->pid, reply_string(exit_info, "signal"));
        else if (reply_int(exit_info, "code", &code))
                printf("Stopped PID %d (exit code %" PRId64 ").\n", (int) ctx->pid, code);
        else
                printf("Stopped PID %d.\n", (int) ctx->pid);
        return 0;
}

static const char *state_to_string(const char *s) {
        static const struct {
                char letter;
                const char *text;
        } states[] = {
                { 'R', "running" }, { 'S', "sleeping" }, { 'D', "disk sleep" }, { 'Z', "zombie" },
                { 'T', "stopped" }, { 't', "tracing stop" }, { 'X', "dead" }, { 'I', "idle" },
                { 'P', "parked" }, { 'W', "waking" }, { 'K', "wakekill" },
        };

        if (!s || strlen(s) != 1)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(states); i++)
                if (states[i].letter == s[0])
                        return states[i].text;
        return NULL;
}

int verb_status(_unused_ int n_args, _unused_ char **args, Context *ctx) {
        _cleanup_(table_freep) Table *t = NULL;
        json_auto_t *reply = NULL;
        const json_t *p;
        char buf[FORMAT_BYTES_MAX], ts[FORMAT_TIMESTAMP_MAX], span[FORMAT_TIMESPAN_MAX], name[80];
        int64_t v;
        double d;
        int r;

        r = verb_call(ctx, &reply);
        if (!reply)
                return r;

        p = json_object_get(reply, "process");
        if (!json_is_object(p)) {
                error_message("malformed STATUS reply: no \"process\" object");
                return EXIT_USAGE;
        }

        t = kv_table_new();
        if (!t)
                return oom();

        if (!reply_int(p, "pid", &v))
                v = ctx->pid;
        r = kv_add(t, "PID", "%" PRId64, v);
        if (r >= 0 && reply_int(p, "ppid", &v))
                r = kv_add(t, "PPID", "%" PRId64, v);
        if (r >= 0)
                r = kv_add(t, "Name", "%s", reply_string(p, "name") ?: "-");
        if (r >= 0)
                r = kv_add(t, "User", "%s", reply_string(p, "user") ?: "-");
        if (r >= 0 && reply_string(p, "state")) {
                const char *s = state_to_string(reply_string(p, "state"));
                r = s ? kv_add(t, "State", "%s (%s)", reply_string(p, "state"), s)
                      : kv_add(t, "State", "%s", reply_string(p, "state"));
        }
        if (r >= 0 && reply_number(p, "cpu_percent", &d))
                r = kv_add(t, "CPU", "%.1f%%", d);
        if (r >= 0 && reply_int(p, "rss", &v))
                r = kv_add(t, "RSS", "%s", format_bytes(buf, sizeof(buf), (uint64_t) MAX(v, 0)));
        if (r >= 0 && reply_int(p, "threads", &v))
                r = kv_add(t, "Threads", "%" PRId64, v);
        if (r >= 0 && reply_int(p, "start_time", &v) && v > 0) {
                time_t now = time(NULL);
                format_timestamp_usec(ts, sizeof(ts), (uint64_t) v * USEC_PER_SEC);
                if (now >= v)
                        r = kv_add(t, "Started", "%s (%s ago)", ts,
                                   format_timespan_sec(span, sizeof(span), (uint64_t) (now - v)));
                else
                        r = kv_add(t, "Started", "%s", ts);
        }
        if (r >= 0)
                r = kv_add(t, "Command", "%s", cmdline_or_name(p, name, sizeof(name)));
        if (r >= 0 && json_is_boolean(json_object_get(p, "managed")))
                r = kv_add(t, "Managed", "%s", yes_no(json_is_true(json_object_get(p, "managed"))));
        if (r >= 0 && (reply_string(reply, "unit") || reply_string(p, "unit")))
                r = kv_add(t, "Unit", "%s", reply_string(reply, "unit") ?: reply_string(p, "unit"));
        if (r >= 0 && reply_string(reply, "unit_state"))
                r = kv_add(t, "Unit state", "%s", reply_string(reply, "unit_state"));
        if (r >= 0 && reply_int(reply, "memory_current", &v))
                r = kv_add(t, "Memory", "%s", format_bytes(buf, sizeof(buf), (uint64_t) MAX(v, 0)));
        if (r >= 0 && reply_int(reply, "cpu_usage_ns", &v))
                r = kv_add(t, "CPU time", "%.3fs", (double) v / 1e9);
        if (r < 0)
                return oom();

        return kv_print(t);
}

/* Journal messages may hold anything; keep tabs, neutralise other control characters. */
static void print_sanitized(const char *s) {
        for (; *s; s++)
                putchar(((unsigned char) *s < 0x20 && *s != '\t') || *s == 0x7f ? '?' : *s);
}

static int logs_parse_option(int c, const char *arg, Context *ctx) {
        unsigned u;

        switch (c) {
        case 'n':
                if (safe_atou(arg, &u) < 0)
                        return usage_error("invalid --lines '%s': expected a number", arg);
                return request_set(ctx, SCHEMA_ARG_LINES, json_integer(u), arg);
        case ARG_UNIT:
                return request_set_string(ctx, SCHEMA_ARG_UNIT, arg);
        default:
                abort(); /* dispatch_verb() hands over only the options below */
        }
}

const VerbOptions verb_logs_options = {
        .shortopts = "n:",
        .longopts = (const struct option[]) {
                { "lines", required_argument, NULL, 'n' },
                { "unit", required_argument, NULL, ARG_UNIT },
                {}
        },
        .parse = logs_parse_option,
};

int verb_logs(int n_args, _unused_ char **args, Context *ctx) {
        json_auto_t *reply = NULL;
        json_t *lines, *l;
        size_t i;
        int r;

        /* The table allows zero or one PID (VERB_PID); which of the two depends on --unit. */
        if (json_object_get(ctx->request, SCHEMA_ARG_UNIT)) {
                if (n_args > 0)
                        return usage_error("'logs' takes either a PID or --unit, not both");
        } else if (n_args == 0)
                return usage_error("'logs' needs a PID or --unit UNIT");

        r = verb_call(ctx, &reply);
        if (!reply)
                return r;

        lines = json_object_get(reply, "lines");
        if (!json_is_array(lines) || json_array_size(lines) == 0) {
                puts("-- No entries --");
                return 0;
        }
        json_array_foreach(lines, i, l) {
                char ts[FORMAT_TIMESTAMP_MAX];
                int64_t usec;

                if (reply_int(l, "ts", &usec) && usec > 0)
                        fputs(format_timestamp_usec(ts, sizeof(ts), (uint64_t) usec), stdout);
                else
                        fputs("-", stdout);
                putchar(' ');
                print_sanitized(reply_string(l, "message") ?: "");
                putchar('\n');
        }
        return 0;
}
