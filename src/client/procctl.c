/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procctl: the command-line client of procmgrd. Global options, the verb
 * table and each verb's options, request building (JSON via jansson) and the
 * human rendering of replies. Transport lives in client.c, columns in table.c,
 * the interactive menu in menu.c. Exit status: 0 ok:true, 1 error reply,
 * 2 usage or connection error (PROTOCOL.md).
 */

#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "client/client.h"
#include "shared/macro.h"
#include "client/menu.h"
#include "shared/parse-util.h"
#include "client/table.h"
#include "protocol/schema.h"

#define EXIT_REPLY_ERROR 1
#define EXIT_USAGE 2

/* Command line only (house style: arg_* are the only globals). */
static const char *arg_host = NULL;
static const char *arg_unix = NULL;
static const char *arg_token_file = NULL;
static bool arg_json = false;
static usec_t arg_timeout = CLIENT_DEFAULT_TIMEOUT_USEC;

typedef struct Context {
        Client *client;         /* created on first use, from the arg_* above */
} Context;

typedef struct Verb {
        const char *name;
        int (*run)(int argc, char **argv, Context *ctx);
} Verb;

/* User-facing diagnostics go to stderr, always. log.h would send them to the journal when
 * INVOCATION_ID is set, which is right for the daemon and wrong for a command. */
static void error_message(const char *format, ...) _printf_(1, 2);
static void error_message(const char *format, ...) {
        va_list ap;

        fflush(stdout);
        fputs("procctl: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static int usage_error(const char *format, ...) _printf_(1, 2);
static int usage_error(const char *format, ...) {
        va_list ap;

        fflush(stdout);
        fputs("procctl: ", stderr);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputs("\nTry 'procctl --help' for more information.\n", stderr);
        return EXIT_USAGE;
}

static int oom(void) {
        error_message("out of memory");
        return EXIT_USAGE;
}

static void help(void) {
        printf("Usage: procctl [OPTIONS] [COMMAND [ARGS...]]\n"
               "\n"
               "Control procmgrd, the procmgr process manager daemon.\n"
               "Without a command, an interactive numbered menu is opened.\n"
               "\n"
               "Commands:\n"
               "  ping                          Check that the daemon answers\n"
               "  list [--sort [-]FIELD] [--limit N] [--user USER] [--name TEXT] [--managed]\n"
               "                                List processes\n"
               "  start [--name N] [--user U] [--cwd DIR] [--env K=V]... [--memory-max SIZE]\n"
               "        [--cpu-quota PERCENT] [--tasks-max N] -- ARGV...\n"
               "                                Start a process (no shell involved)\n"
               "  stop [--signal SIG] [--timeout-ms N] PID\n"
               "                                Stop a process (SIGKILL after the timeout)\n"
               "  status PID                    Show one process\n"
               "  info                          Show CPU, memory, load and uptime of the host\n"
               "  logs [--lines N] PID | logs [--lines N] --unit UNIT\n"
               "                                Show journal lines of a started process\n"
               "  describe                      List the daemon's commands and arguments\n"
               "\n"
               "Options:\n"
               "  -H --host=HOST[:PORT]         Connect over TCP (numeric address or localhost;\n"
               "                                IPv6 as [::1]:PORT; default port %u)\n"
               "  -U --unix=PATH                Connect to this Unix socket\n"
               "                                (default: %s if it exists,\n"
               "                                else %s:%u)\n"
               "     --token-file=FILE          Send the token in FILE with each request\n"
               "                                (default: $PROCMGR_TOKEN_FILE)\n"
               "     --json                     Print the daemon's reply line as it came\n"
               "     --timeout=SEC              Give up after SEC seconds (default 30, 0 = never)\n"
               "  -h --help                     Show this help\n"
               "     --version                  Show the version\n"
               "\n"
               "Exit status: 0 success, 1 the daemon answered with an error,\n"
               "2 usage error or no answer from the daemon.\n"
               "See procctl(1).\n",
               PROTOCOL_DEFAULT_PORT, PROTOCOL_DEFAULT_UNIX_PATH, CLIENT_DEFAULT_HOST, PROTOCOL_DEFAULT_PORT);
}

enum {
        ARG_TOKEN_FILE = 0x100,
        ARG_JSON,
        ARG_TIMEOUT,
        ARG_VERSION,
        /* verb options */
        ARG_SORT,
        ARG_LIMIT,
        ARG_USER,
        ARG_NAME,
        ARG_MANAGED,
        ARG_CWD,
        ARG_ENV,
        ARG_MEMORY_MAX,
        ARG_CPU_QUOTA,
        ARG_TASKS_MAX,
        ARG_SIGNAL,
        ARG_TIMEOUT_MS,
        ARG_LINES,
        ARG_UNIT,
};

/* Accepted before the command and among its options alike ("procctl list --json"). */
#define GLOBAL_OPTIONS                                                          \
        { "help", no_argument, NULL, 'h' },                                     \
        { "version", no_argument, NULL, ARG_VERSION },                          \
        { "host", required_argument, NULL, 'H' },                               \
        { "unix", required_argument, NULL, 'U' },                               \
        { "token-file", required_argument, NULL, ARG_TOKEN_FILE },              \
        { "json", no_argument, NULL, ARG_JSON },                                \
        { "timeout", required_argument, NULL, ARG_TIMEOUT }
#define GLOBAL_SHORT "hH:U:"

/* Returns OPT_CONTINUE when c was a global option and parsing goes on; otherwise the exit
 * status to leave with: 0 after --help/--version, EXIT_USAGE after a usage error. */
#define OPT_CONTINUE 1
#define OPT_EXIT_SUCCESS 0

static int parse_global_option(int c, const char *optarg_, char **argv) {
        unsigned u;

        switch (c) {
        case 'h':
                help();
                return OPT_EXIT_SUCCESS;
        case ARG_VERSION:
                printf("procctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
                return OPT_EXIT_SUCCESS;
        case 'H':
                if (arg_unix)
                        return usage_error("-H/--host and -U/--unix are mutually exclusive");
                arg_host = optarg_;
                return OPT_CONTINUE;
        case 'U':
                if (arg_host)
                        return usage_error("-H/--host and -U/--unix are mutually exclusive");
                arg_unix = optarg_;
                return OPT_CONTINUE;
        case ARG_TOKEN_FILE:
                arg_token_file = optarg_;
                return OPT_CONTINUE;
        case ARG_JSON:
                arg_json = true;
                return OPT_CONTINUE;
        case ARG_TIMEOUT:
                if (safe_atou(optarg_, &u) < 0 || u > 86400 * 365)
                        return usage_error("invalid --timeout '%s': expected whole seconds", optarg_);
                arg_timeout = (usec_t) u * USEC_PER_SEC;
                return OPT_CONTINUE;
        case ':':
                return usage_error("option '%s' requires an argument", argv[optind - 1]);
        case '?':
                if (optopt != 0)
                        return usage_error("invalid option -- '%c'", optopt);
                return usage_error("unrecognized option '%s'", argv[optind - 1]);
        default:
                return usage_error("option '%s' is not valid here", argv[optind - 1]);
        }
}

static int context_get_client(Context *ctx, Client **ret) {
        _cleanup_(client_freep) Client *c = NULL;
        const char *token_file;
        int r;

        if (ctx->client) {
                *ret = ctx->client;
                return 0;
        }

        r = client_new(arg_host, arg_unix, &c);
        if (r < 0) {
                if (arg_host)
                        return usage_error("invalid address '%s': expected HOST[:PORT] with a numeric "
                                           "address or localhost, or [IPV6]:PORT", arg_host);
                if (arg_unix)
                        return usage_error("invalid socket path '%s': %s", arg_unix,
                                           r == -ENAMETOOLONG ? "too long" : "must be absolute");
                error_message("cannot set up the connection: %s", strerror(-r));
                return EXIT_USAGE;
        }
        c->timeout = arg_timeout;

        token_file = arg_token_file ?: getenv("PROCMGR_TOKEN_FILE");
        if (token_file && *token_file) {
                r = client_set_token_file(c, token_file);
                if (r < 0) {
                        error_message("cannot read token file '%s': %s", token_file,
                                      r == -EINVAL  ? "empty or not a single line"
                                      : r == -E2BIG ? "too large"
                                      : r == -EILSEQ ? "not valid UTF-8"
                                                     : strerror(-r));
                        return EXIT_USAGE;
                }
        }

        *ret = ctx->client = TAKE_PTR(c);
        return 0;
}

/* Sends the request, taking ownership of it (NULL = OOM from json_pack()). Returns 0 with
 * the reply for ok:true (having printed it with --json), EXIT_REPLY_ERROR for an error reply,
 * EXIT_USAGE when no reply could be had; both with the reason printed. */
static int call(Context *ctx, json_t *request_consumed, json_t **ret_reply) {
        json_auto_t *request = request_consumed;
        _cleanup_free_ char *line = NULL;
        json_auto_t *reply = NULL;
        Client *c;
        int r;

        if (!request)
                return oom();

        r = context_get_client(ctx, &c);
        if (r != 0)
                return r;

        r = client_call(c, request, &line, &reply);
        if (r < 0) {
                if (r == -ENOMEM)
                        return oom();
                if (c->stage == CLIENT_STAGE_CONNECT)
                        /* The hint only where a missing daemon is the likely cause. */
                        error_message("cannot connect to %s: %s%s", c->address_str, client_strerror(r),
                                      r == -ECONNREFUSED || r == -ENOENT || r == -ETIMEDOUT
                                              ? " (is procmgrd running?)" : "");
                else
                        error_message("no reply from %s: %s", c->address_str, client_strerror(r));
                return EXIT_USAGE;
        }

        if (arg_json) {
                puts(line);
                fflush(stdout);
        }

        if (!reply_is_ok(reply)) {
                error_message("%s (%s)", reply_error_message(reply), reply_error_name(reply));
                return EXIT_REPLY_ERROR;
        }

        if (ret_reply)
                *ret_reply = TAKE_PTR(reply);
        return 0;
}

/* Typed reads of reply members; a member of another type counts as absent. */
static const char *reply_string(const json_t *o, const char *key) {
        return json_string_value(json_object_get(o, key));
}

static bool reply_int(const json_t *o, const char *key, int64_t *ret) {
        json_t *v = json_object_get(o, key);

        if (json_is_integer(v))
                *ret = (int64_t) json_integer_value(v);
        else if (json_is_real(v))
                *ret = (int64_t) json_real_value(v);
        else
                return false;
        return true;
}

static bool reply_number(const json_t *o, const char *key, double *ret) {
        json_t *v = json_object_get(o, key);

        if (!json_is_number(v))
                return false;
        *ret = json_number_value(v);
        return true;
}

/* Any JSON value as text (strings without quotes); caller frees. */
static char *value_to_string(const json_t *v) {
        if (!v || json_is_null(v))
                return strdup("-");
        if (json_is_string(v))
                return strdup(json_string_value(v));
        return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Resets getopt for a verb's own argv (argv[0] is the verb name). */
static void getopt_reset(void) {
        optind = 0;
        opterr = 0;
}

static bool option_is_global(int c) {
        switch (c) {
        case 'h':
        case ARG_VERSION:
        case 'H':
        case 'U':
        case ARG_TOKEN_FILE:
        case ARG_JSON:
        case ARG_TIMEOUT:
        case ':':
        case '?':
                return true;
        default:
                return false;
        }
}

/* getopt_long() over a verb's argv (after getopt_reset()) that handles the global options
 * itself. Returns the next of the verb's own options, -1 when there are no more, or
 * OPT_EXIT with *ret_exit set to the exit status (after --help or --version: 0; after a
 * usage error: EXIT_USAGE). */
#define OPT_EXIT (-2)
static int verb_getopt(int argc, char **argv, const char *shortopts, const struct option *options,
                       int *ret_exit) {
        int c, r;

        while ((c = getopt_long(argc, argv, shortopts, options, NULL)) >= 0) {
                if (!option_is_global(c))
                        return c;
                r = parse_global_option(c, optarg, argv);
                if (r != OPT_CONTINUE) {
                        *ret_exit = r;
                        return OPT_EXIT;
                }
        }
        return -1;
}

/* For a verb without options of its own. Returns OPT_CONTINUE, or the exit status. */
static int verb_global_options(int argc, char **argv) {
        static const struct option options[] = { GLOBAL_OPTIONS, {} };
        int r;

        getopt_reset();
        if (verb_getopt(argc, argv, "+:" GLOBAL_SHORT, options, &r) == OPT_EXIT)
                return r;
        return OPT_CONTINUE;
}

static int verb_no_options(int argc, char **argv) {
        int r;

        r = verb_global_options(argc, argv);
        if (r != OPT_CONTINUE)
                return r;
        if (optind < argc)
                return usage_error("'%s' takes no arguments", argv[0]);
        return OPT_CONTINUE;
}

/* A verb without options or arguments of its own: sends {"cmd": CMD}. Sets *ret_reply to
 * the reply to print, or NULL when there is nothing more to do (--json, --help, an error);
 * returns the exit status. */
static int verb_call_plain(int argc, char **argv, Context *ctx, const char *cmd, json_t **ret_reply) {
        int r;

        *ret_reply = NULL;
        r = verb_no_options(argc, argv);
        if (r != OPT_CONTINUE)
                return r;
        return call(ctx, json_pack("{s:s}", SCHEMA_MEMBER_CMD, cmd), arg_json ? NULL : ret_reply);
}

static int verb_ping(int argc, char **argv, Context *ctx) {
        json_auto_t *reply = NULL;
        _cleanup_free_ char *version = NULL;
        int r;

        r = verb_call_plain(argc, argv, ctx, SCHEMA_CMD_PING, &reply);
        if (!reply)
                return r;

        version = value_to_string(json_object_get(reply, "version"));
        printf("%s from %s (procmgrd %s)\n", reply_string(reply, "msg") ?: "pong", ctx->client->address_str,
               version ?: "-");
        return 0;
}

static const char *cmdline_or_name(const json_t *p, char *buf, size_t size) {
        const char *cmdline = reply_string(p, "cmdline");

        if (cmdline && *cmdline)
                return cmdline;
        /* Kernel threads have no command line; show the name in brackets, as ps does. */
        (void) snprintf(buf, size, "[%s]", reply_string(p, "name") ?: "?");
        return buf;
}

static int verb_list(int argc, char **argv, Context *ctx) {
        static const struct option options[] = {
                { "sort", required_argument, NULL, ARG_SORT },
                { "limit", required_argument, NULL, ARG_LIMIT },
                { "user", required_argument, NULL, ARG_USER },
                { "name", required_argument, NULL, ARG_NAME },
                { "managed", no_argument, NULL, ARG_MANAGED },
                GLOBAL_OPTIONS,
                {}
        };
        _cleanup_(table_freep) Table *table = NULL;
        json_auto_t *req = NULL, *reply = NULL;
        json_t *processes, *p;
        int64_t count, total;
        size_t i;
        unsigned u;
        int c, r, exit_status;

        req = json_pack("{s:s}", SCHEMA_MEMBER_CMD, SCHEMA_CMD_LIST);
        if (!req)
                return oom();

        getopt_reset();
        while ((c = verb_getopt(argc, argv, "+:" GLOBAL_SHORT, options, &exit_status)) >= 0) {
                switch (c) {
                case ARG_SORT:
                        r = json_object_set_new(req, SCHEMA_ARG_SORT, json_string(optarg));
                        break;
                case ARG_LIMIT:
                        if (safe_atou(optarg, &u) < 0)
                                return usage_error("invalid --limit '%s': expected a number", optarg);
                        r = json_object_set_new(req, SCHEMA_ARG_LIMIT, json_integer(u));
                        break;
                case ARG_USER:
                        r = json_object_set_new(req, SCHEMA_ARG_USER, json_string(optarg));
                        break;
                case ARG_NAME:
                        r = json_object_set_new(req, SCHEMA_ARG_NAME, json_string(optarg));
                        break;
                case ARG_MANAGED:
                        r = json_object_set_new(req, SCHEMA_ARG_MANAGED, json_true());
                        break;
                default:
                        abort(); /* verb_getopt() returns only the options above */
                }
                if (r < 0)
                        return usage_error("invalid value '%s' (not UTF-8?)", optarg);
        }
        if (c == OPT_EXIT)
                return exit_status;
        if (optind < argc)
                return usage_error("'list' takes no arguments (got '%s')", argv[optind]);

        r = call(ctx, TAKE_PTR(req), &reply);
        if (r != 0 || arg_json)
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

static int verb_start(int argc, char **argv, Context *ctx) {
        static const struct option options[] = {
                { "name", required_argument, NULL, ARG_NAME },
                { "user", required_argument, NULL, ARG_USER },
                { "cwd", required_argument, NULL, ARG_CWD },
                { "env", required_argument, NULL, ARG_ENV },
                { "memory-max", required_argument, NULL, ARG_MEMORY_MAX },
                { "cpu-quota", required_argument, NULL, ARG_CPU_QUOTA },
                { "tasks-max", required_argument, NULL, ARG_TASKS_MAX },
                GLOBAL_OPTIONS,
                {}
        };
        json_auto_t *req = NULL, *reply = NULL, *env = NULL, *args = NULL;
        const char *unit;
        int64_t pid = 0;
        uint64_t bytes;
        unsigned u;
        int c, r, exit_status;

        req = json_pack("{s:s}", SCHEMA_MEMBER_CMD, SCHEMA_CMD_START);
        env = json_object();
        args = json_array();
        if (!req || !env || !args)
                return oom();

        getopt_reset();
        while ((c = verb_getopt(argc, argv, "+:" GLOBAL_SHORT, options, &exit_status)) >= 0) {
                switch (c) {
                case ARG_NAME:
                        r = json_object_set_new(req, SCHEMA_ARG_NAME, json_string(optarg));
                        break;
                case ARG_USER:
                        r = json_object_set_new(req, SCHEMA_ARG_USER, json_string(optarg));
                        break;
                case ARG_CWD:
                        r = json_object_set_new(req, SCHEMA_ARG_CWD, json_string(optarg));
                        break;
                case ARG_ENV: {
                        const char *eq = strchr(optarg, '=');
                        _cleanup_free_ char *key = NULL;

                        if (!eq || eq == optarg)
                                return usage_error("invalid --env '%s': expected KEY=VALUE", optarg);
                        key = strndup(optarg, (size_t) (eq - optarg));
                        if (!key)
                                return oom();
                        r = json_object_set_new(env, key, json_string(eq + 1));
                        break;
                }
                case ARG_MEMORY_MAX:
                        if (parse_size(optarg, &bytes) < 0 || bytes == 0 || bytes > INT64_MAX)
                                return usage_error("invalid --memory-max '%s': expected a size like 64M",
                                                   optarg);
                        r = json_object_set_new(req, SCHEMA_ARG_MEMORY_MAX,
                                                json_integer((json_int_t) bytes));
                        break;
                case ARG_CPU_QUOTA: {
                        char buf[16];
                        size_t l = strlen(optarg);

                        /* "50" and "50%" both mean half of one CPU. */
                        if (l == 0 || l >= sizeof(buf))
                                return usage_error("invalid --cpu-quota '%s': expected a percentage", optarg);
                        memcpy(buf, optarg, l + 1);
                        if (buf[l - 1] == '%')
                                buf[l - 1] = '\0';
                        if (safe_atou(buf, &u) < 0 || u == 0)
                                return usage_error("invalid --cpu-quota '%s': expected a percentage", optarg);
                        r = json_object_set_new(req, SCHEMA_ARG_CPU_QUOTA, json_integer(u));
                        break;
                }
                case ARG_TASKS_MAX:
                        if (safe_atou(optarg, &u) < 0 || u == 0)
                                return usage_error("invalid --tasks-max '%s': expected a number", optarg);
                        r = json_object_set_new(req, SCHEMA_ARG_TASKS_MAX, json_integer(u));
                        break;
                default:
                        abort(); /* verb_getopt() returns only the options above */
                }
                if (r < 0)
                        return usage_error("invalid value '%s' (not UTF-8?)", optarg);
        }
        if (c == OPT_EXIT)
                return exit_status;
        if (optind >= argc)
                return usage_error("'start' needs a command: procctl start [OPTIONS] -- PROGRAM [ARGS...]");

        for (int i = optind; i < argc; i++)
                if (json_array_append_new(args, json_string(argv[i])) < 0)
                        return usage_error("argument '%s' is not valid UTF-8", argv[i]);
        if (json_object_set(req, SCHEMA_ARG_ARGV, args) < 0)
                return oom();
        if (json_object_size(env) > 0 && json_object_set(req, SCHEMA_ARG_ENV, env) < 0)
                return oom();

        r = call(ctx, TAKE_PTR(req), &reply);
        if (r != 0 || arg_json)
                return r;

        (void) reply_int(reply, "pid", &pid);
        unit = reply_string(reply, "unit");
        if (unit)
                printf("Started PID %" PRId64 " in unit %s\n", pid, unit);
        else
                printf("Started PID %" PRId64 " (no unit: direct backend)\n", pid);
        return 0;
}

/* After a verb's options: exactly one argument left, a PID, put into the request as "pid"
 * and into *ret_pid. NEEDS completes the usage error "'VERB' needs ...". Returns 0 or the
 * exit status. */
static int request_set_pid_arg(json_t *req, int argc, char **argv, const char *needs, pid_t *ret_pid) {
        if (argc - optind != 1)
                return usage_error("'%s' needs %s", argv[0], needs);
        if (parse_pid(argv[optind], ret_pid) < 0)
                return usage_error("%s: invalid PID '%s'", argv[0], argv[optind]);
        if (json_object_set_new(req, SCHEMA_ARG_PID, json_integer(*ret_pid)) < 0)
                return oom();
        return 0;
}

static int verb_stop(int argc, char **argv, Context *ctx) {
        static const struct option options[] = {
                { "signal", required_argument, NULL, 's' },
                { "timeout-ms", required_argument, NULL, ARG_TIMEOUT_MS },
                GLOBAL_OPTIONS,
                {}
        };
        json_auto_t *req = NULL, *reply = NULL;
        json_t *exit_info;
        int64_t code;
        unsigned u;
        pid_t pid;
        int c, r, sig, exit_status;

        req = json_pack("{s:s}", SCHEMA_MEMBER_CMD, SCHEMA_CMD_STOP);
        if (!req)
                return oom();

        getopt_reset();
        while ((c = verb_getopt(argc, argv, "+:s:" GLOBAL_SHORT, options, &exit_status)) >= 0) {
                switch (c) {
                case 's': {
                        const char *name;

                        sig = signal_from_string(optarg);
                        if (sig < 0)
                                return usage_error("invalid --signal '%s': expected a name like TERM or a "
                                                   "number", optarg);
                        name = signal_to_string(sig);
                        r = json_object_set_new(req, SCHEMA_ARG_SIGNAL,
                                                name ? json_string(name) : json_integer(sig));
                        break;
                }
                case ARG_TIMEOUT_MS:
                        if (safe_atou(optarg, &u) < 0)
                                return usage_error("invalid --timeout-ms '%s': expected milliseconds", optarg);
                        r = json_object_set_new(req, SCHEMA_ARG_TIMEOUT_MS, json_integer(u));
                        break;
                default:
                        abort(); /* verb_getopt() returns only the options above */
                }
                if (r < 0)
                        return oom();
        }
        if (c == OPT_EXIT)
                return exit_status;
        r = request_set_pid_arg(req, argc, argv, "exactly one PID", &pid);
        if (r != 0)
                return r;

        r = call(ctx, TAKE_PTR(req), &reply);
        if (r != 0 || arg_json)
                return r;

        exit_info = json_object_get(reply, "exit");
        if (reply_string(exit_info, "signal"))
                printf("Stopped PID %d (killed by signal %s).\n", (int) pid, reply_string(exit_info, "signal"));
        else if (reply_int(exit_info, "code", &code))
                printf("Stopped PID %d (exit code %" PRId64 ").\n", (int) pid, code);
        else
                printf("Stopped PID %d.\n", (int) pid);
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

/* Key/value blocks (status, info): a header-less two-column table, keys right-aligned. */
static Table *kv_table_new(void) {
        Table *t = table_new("KEY", "VALUE", NULL);

        if (!t)
                return NULL;
        table_set_header(t, false);
        (void) table_set_align(t, 0, TABLE_ALIGN_RIGHT);
        return t;
}

static int kv_add(Table *t, const char *key, const char *format, ...) _printf_(3, 4);
static int kv_add(Table *t, const char *key, const char *format, ...) {
        va_list ap;
        int r;

        r = table_add_cellf(t, "%s:", key);
        if (r < 0)
                return r;
        va_start(ap, format);
        r = table_add_cellv(t, format, ap);
        va_end(ap);
        return r;
}

static int kv_print(Table *t) {
        if (table_print(t, stdout, 0) < 0) {
                error_message("cannot write output");
                return EXIT_USAGE;
        }
        return 0;
}

static int verb_status(int argc, char **argv, Context *ctx) {
        _cleanup_(table_freep) Table *t = NULL;
        json_auto_t *req = NULL, *reply = NULL;
        const json_t *p;
        char buf[FORMAT_BYTES_MAX], ts[FORMAT_TIMESTAMP_MAX], span[FORMAT_TIMESPAN_MAX], name[80];
        int64_t v;
        double d;
        pid_t pid;
        int r;

        r = verb_global_options(argc, argv);
        if (r != OPT_CONTINUE)
                return r;
        req = json_pack("{s:s}", SCHEMA_MEMBER_CMD, SCHEMA_CMD_STATUS);
        if (!req)
                return oom();
        r = request_set_pid_arg(req, argc, argv, "exactly one PID", &pid);
        if (r != 0)
                return r;

        r = call(ctx, TAKE_PTR(req), &reply);
        if (r != 0 || arg_json)
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
                v = pid;
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

static int verb_info(int argc, char **argv, Context *ctx) {
        _cleanup_(table_freep) Table *t = NULL;
        json_auto_t *reply = NULL;
        const json_t *cpu, *mem, *swap, *load, *per_cpu, *x;
        char a[FORMAT_BYTES_MAX], b[FORMAT_BYTES_MAX], cbuf[FORMAT_BYTES_MAX], span[FORMAT_TIMESPAN_MAX];
        int64_t v, total, used, avail;
        double d;
        size_t i;
        int r;

        r = verb_call_plain(argc, argv, ctx, SCHEMA_CMD_INFO, &reply);
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

/* Journal messages may hold anything; keep tabs, neutralise other control characters. */
static void print_sanitized(const char *s) {
        for (; *s; s++)
                putchar(((unsigned char) *s < 0x20 && *s != '\t') || *s == 0x7f ? '?' : *s);
}

static int verb_logs(int argc, char **argv, Context *ctx) {
        static const struct option options[] = {
                { "lines", required_argument, NULL, 'n' },
                { "unit", required_argument, NULL, ARG_UNIT },
                GLOBAL_OPTIONS,
                {}
        };
        json_auto_t *req = NULL, *reply = NULL;
        const char *unit = NULL;
        json_t *lines, *l;
        unsigned u;
        size_t i;
        pid_t pid;
        int c, r, exit_status;

        req = json_pack("{s:s}", SCHEMA_MEMBER_CMD, SCHEMA_CMD_LOGS);
        if (!req)
                return oom();

        getopt_reset();
        while ((c = verb_getopt(argc, argv, "+:n:" GLOBAL_SHORT, options, &exit_status)) >= 0) {
                switch (c) {
                case 'n':
                        if (safe_atou(optarg, &u) < 0)
                                return usage_error("invalid --lines '%s': expected a number", optarg);
                        r = json_object_set_new(req, SCHEMA_ARG_LINES, json_integer(u));
                        break;
                case ARG_UNIT:
                        unit = optarg;
                        r = json_object_set_new(req, SCHEMA_ARG_UNIT, json_string(optarg));
                        break;
                default:
                        abort(); /* verb_getopt() returns only the options above */
                }
                if (r < 0)
                        return usage_error("invalid value '%s' (not UTF-8?)", optarg);
        }
        if (c == OPT_EXIT)
                return exit_status;
        if (unit) {
                if (optind < argc)
                        return usage_error("'logs' takes either a PID or --unit, not both");
        } else {
                r = request_set_pid_arg(req, argc, argv, "a PID or --unit UNIT", &pid);
                if (r != 0)
                        return r;
        }

        r = call(ctx, TAKE_PTR(req), &reply);
        if (r != 0 || arg_json)
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

static int verb_describe(int argc, char **argv, Context *ctx) {
        json_auto_t *reply = NULL;
        _cleanup_free_ char *version = NULL;
        json_t *commands, *cmd, *x;
        size_t i, j;
        int r;

        r = verb_call_plain(argc, argv, ctx, SCHEMA_CMD_DESCRIBE, &reply);
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
        }
        return 0;
}

static int verb_help(_unused_ int argc, _unused_ char **argv, _unused_ Context *ctx) {
        help();
        return 0;
}

static const Verb verbs[] = {
        { "ping", verb_ping },
        { "list", verb_list },
        { "start", verb_start },
        { "stop", verb_stop },
        { "status", verb_status },
        { "info", verb_info },
        { "logs", verb_logs },
        { "describe", verb_describe },
        { "help", verb_help },
};

static int dispatch_verb(int argc, char **argv, Context *ctx) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[0], verbs[i].name) == 0)
                        return verbs[i].run(argc, argv, ctx);
        return usage_error("unknown command '%s'", argv[0]);
}

static int menu_run_verb(int argc, char **argv, void *userdata) {
        return dispatch_verb(argc, argv, userdata);
}

static int run(int argc, char **argv) {
        Context ctx = {};
        Client *c;
        int r;

        (void) setlocale(LC_ALL, "");

        /* Before the command: the global options only. */
        r = verb_global_options(argc, argv);
        if (r != OPT_CONTINUE)
                return r;

        if (optind < argc) {
                int k = optind;
                r = dispatch_verb(argc - k, argv + k, &ctx);
        } else {
                /* No command: the interactive menu. Resolve the target first so that a bad
                 * address or token file is reported once, not at every choice. */
                r = context_get_client(&ctx, &c);
                if (r == 0) {
                        r = menu_run(stdin, stdout, c->address_str, menu_run_verb, &ctx);
                        if (r < 0) {
                                error_message("cannot read from standard input: %s", strerror(-r));
                                r = EXIT_USAGE;
                        }
                }
        }

        ctx.client = client_free(ctx.client);
        if (fflush(stdout) != 0 && r == 0) {
                error_message("cannot write output: %m");
                r = EXIT_USAGE;
        }
        return r;
}

int main(int argc, char **argv) {
        return run(argc, argv);
}
