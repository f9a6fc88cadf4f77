/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procctl's verbs about the daemon and the host: ping, info, describe. Each sends
 * the request dispatch_verb() built (they have no options or arguments of their
 * own) and renders the reply; none parses options, counts arguments or touches
 * the transport (procctl.c does).
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "client/procctl.h"
#include "client/table.h"
#include "shared/string-util.h"

int verb_ping(_unused_ int n_args, _unused_ char **args, Context *ctx) {
        json_auto_t *reply = NULL;
        _cleanup_free_ char *version = NULL;
        int r;

        r = verb_call(ctx, &reply);
        if (!reply)
                return r;

        version = value_to_string(json_object_get(reply, "version"));
        printf("%s from %s (procmgrd %s)\n", reply_string(reply, "msg") ?: "pong", ctx->client->address_str,
               version ?: "-");
        return 0;
}

int verb_info(_unused_ int n_args, _unused_ char **args, Context *ctx) {
        _cleanup_(table_freep) Table *t = NULL;
        json_auto_t *reply = NULL;
        const json_t *cpu, *mem, *swap, *load, *per_cpu, *x;
        char a[FORMAT_BYTES_MAX], b[FORMAT_BYTES_MAX], cbuf[FORMAT_BYTES_MAX], span[FORMAT_TIMESPAN_MAX];
        int64_t v, total, used, avail;
        double d;
        size_t i;
        int r;

        r = verb_call(ctx, &reply);
        if (!reply)
                return r;

        cpu = json_object_get(reply, "cpu");
        mem = json_object_get(reply, "memory");
        swap = json_object_get(reply, "swap");

        t = kv_table_new();
        if (!t)
                return oom();

        r = kv_add(t, "Hostname", "%s", reply_string(reply, "hostname") ?: "-");
        if (r >= 0)
                r = kv_add(t, "Kernel", "%s", reply_string(reply, "kernel") ?: "-");
        if (r >= 0 && reply_int(reply, "uptime", &v))
                r = kv_add(t, "Uptime", "%s", format_timespan_sec(span, sizeof(span), (uint64_t) MAX(v, 0)));
        if (r >= 0)
                r = kv_add(t, "Backend", "%s", reply_string(reply, "backend") ?: "-");
        if (r >= 0 && reply_int(cpu, "count", &v)) {
                if (reply_number(cpu, "percent", &d))
                        r = kv_add(t, "CPUs", "%" PRId64 " (%.1f%% busy)", v, d);
                else
                        r = kv_add(t, "CPUs", "%" PRId64, v);
        }
        per_cpu = json_object_get(cpu, "per_cpu");
        if (r >= 0 && json_is_array(per_cpu) && json_array_size(per_cpu) > 0) {
                _cleanup_free_ char *s = NULL;
                size_t n = 0;
                FILE *f = open_memstream(&s, &n);

                if (!f)
                        return oom();
                json_array_foreach(per_cpu, i, x)
                        fprintf(f, "%s%.1f%%", i > 0 ? " " : "", json_number_value(x));
                if (fclose(f) != 0)
                        return oom();
                r = kv_add(t, "Per CPU", "%s", s);
        }
        load = json_object_get(cpu, "load");
        if (r >= 0 && json_is_array(load) && json_array_size(load) == 3)
                r = kv_add(t, "Load", "%.2f %.2f %.2f", json_number_value(json_array_get(load, 0)),
                           json_number_value(json_array_get(load, 1)), json_number_value(json_array_get(load, 2)));
        if (r >= 0 && reply_int(mem, "total", &total)) {
                if (!reply_int(mem, "used", &used))
                        used = 0;
                if (!reply_number(mem, "percent", &d))
                        d = total > 0 ? 100.0 * (double) used / (double) total : 0;
                if (reply_int(mem, "available", &avail))
                        r = kv_add(t, "Memory", "%s used of %s (%.1f%%), %s available",
                                   format_bytes(a, sizeof(a), (uint64_t) MAX(used, 0)),
                                   format_bytes(b, sizeof(b), (uint64_t) MAX(total, 0)), d,
                                   format_bytes(cbuf, sizeof(cbuf), (uint64_t) MAX(avail, 0)));
                else
                        r = kv_add(t, "Memory", "%s used of %s (%.1f%%)",
                                   format_bytes(a, sizeof(a), (uint64_t) MAX(used, 0)),
                                   format_bytes(b, sizeof(b), (uint64_t) MAX(total, 0)), d);
        }
        if (r >= 0 && reply_int(swap, "total", &total)) {
                if (!reply_int(swap, "used", &used))
                        used = 0;
                r = kv_add(t, "Swap", "%s used of %s", format_bytes(a, sizeof(a), (uint64_t) MAX(used, 0)),
                           format_bytes(b, sizeof(b), (uint64_t) MAX(total, 0)));
        }
        if (r >= 0 && reply_int(reply, "processes", &v))
                r = kv_add(t, "Processes", "%" PRId64, v);
        if (r < 0)
                return oom();

        return kv_print(t);
}

/* "name:type" or "[name:type]" for one DESCRIBE argument (object or plain string), with
 * its range when the daemon publishes one: "[limit:int(0..1000000)]". */
static void describe_print_arg(const json_t *a) {
        const char *name = json_is_string(a) ? json_string_value(a) : reply_string(a, "name");
        const char *type = reply_string(a, "type");
        bool required = json_is_true(json_object_get(a, "required"));
        int64_t min, max;

        printf(" %s%s%s%s", required ? "" : "[", name ?: "?", type ? ":" : "", type ?: "");
        if (reply_int(a, "min", &min) && reply_int(a, "max", &max))
                printf("(%" PRId64 "..%" PRId64 ")", min, max);
        if (!required)
                putchar(']');
}

int verb_describe(_unused_ int n_args, _unused_ char **args, Context *ctx) {
        json_auto_t *reply = NULL;
        _cleanup_free_ char *version = NULL;
        json_t *commands, *cmd, *x;
        size_t i, j;
        int r;

        r = verb_call(ctx, &reply);
        if (!reply)
                return r;

        version = value_to_string(json_object_get(reply, "version"));
        printf("Interface %s, protocol version %s\n\n", reply_string(reply, "interface") ?: "-",
               version ?: "-");

        commands = json_object_get(reply, "commands");
        json_array_foreach(commands, i, cmd) {
                json_t *returns = json_object_get(cmd, "returns");

                printf("  %s", reply_string(cmd, "name") ?: "?");
                json_array_foreach(json_object_get(cmd, "args"), j, x)
                        describe_print_arg(x);
                if (json_is_array(returns) && json_array_size(returns) > 0) {
                        fputs(" ->", stdout);
                        json_array_foreach(returns, j, x) {
                                const char *n = json_is_string(x) ? json_string_value(x) : reply_string(x, "name");
                                printf("%s %s", j > 0 ? "," : "", n ?: "?");
                        }
                }
                putchar('\n');
                /* What it does and who may: DESCRIBE's summary and access class (members a
                 * daemon older than them lacks are left out). */
                if (reply_string(cmd, "summary") || reply_string(cmd, "access")) {
                        char summary[256], access[32];

                        string_sanitize(reply_string(cmd, "summary") ?: "", 200, summary, sizeof(summary));
                        string_sanitize(reply_string(cmd, "access") ?: "", 16, access, sizeof(access));
                        printf("      %s%s%s%s\n", summary, *summary && *access ? " " : "", *access ? "access: " : "",
                               access);
                }
        }
        if (json_array_size(commands) > 0)
                printf("\nAccess: public = anyone, over TCP without the token too;\n"
                       "        read = every local user (STATUS and LOGS: their own processes only) and TCP\n"
                       "        with the token; control = root, users polkit authorizes, TCP with the token.\n");
        return 0;
}
