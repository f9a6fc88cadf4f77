/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procctl: the command-line client of procmgrd. procctl_run() (what main()
 * does), the global options, the verb table with each verb's argument count,
 * dispatch_verb() (options, arity, PID argument: the one place a usage error
 * about a verb's arguments is made), the call helper and what the verb files
 * share for rendering. The verbs
 * themselves live in procctl-process.c and procctl-system.c, the transport in
 * client.c, columns in table.c, the interactive menu in menu.c; nothing here
 * renders a particular reply. Exit status: 0 ok:true, 1 error reply, 2 usage or
 * connection error (PROTOCOL.md).
 */

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
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
#include "client/menu.h"
#include "client/procctl.h"
#include "client/table.h"
#include "protocol/error.h"
#include "protocol/schema.h"
#include "shared/macro.h"
#include "shared/parse-util.h"

/* Command line only (house style: arg_* are the only globals). */
static const char *arg_host = NULL;
static const char *arg_unix = NULL;
static const char *arg_token_file = NULL;
static bool arg_json = false;
static usec_t arg_timeout = CLIENT_DEFAULT_TIMEOUT_USEC;

/* No upper bound on a verb's positional arguments. */
#define VERB_ANY UINT_MAX

typedef enum VerbFlags {
        VERB_PID = 1 << 0,      /* the (optional when min_args is 0) argument is a PID, sent as "pid" */
} VerbFlags;

/* One command-line verb, systemd's Verb with what procctl adds: the request it sends and
 * its own options. dispatch_verb() checks min_args..max_args after the options and says
 * "'NAME' needs NEEDS" (or "takes no arguments") otherwise. */
typedef struct Verb {
        const char *name;
        unsigned min_args, max_args;
        VerbFlags flags;
        const char *cmd;                /* SCHEMA_CMD_* it sends; NULL: a local verb */
        const char *needs;              /* completes "'NAME' needs …" */
        const VerbOptions *options;     /* its own options; NULL: only the global ones */
        int (*run)(int n_args, char **args, Context *ctx);
} Verb;

/* User-facing diagnostics go to stderr, always. log.h would send them to the journal when
 * INVOCATION_ID is set, which is right for the daemon and wrong for a command. */
static void messagev(const char *suffix, const char *format, va_list ap) _printf_(2, 0);
static void messagev(const char *suffix, const char *format, va_list ap) {
        fflush(stdout);
        fputs("procctl: ", stderr);
        vfprintf(stderr, format, ap);
        fputs(suffix, stderr);
}

void error_message(const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        messagev("\n", format, ap);
        va_end(ap);
}

int usage_error(const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        messagev("\nTry 'procctl --help' for more information.\n", format, ap);
        va_end(ap);
        return EXIT_USAGE;
}

int oom(void) {
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
               "  stop [-s|--signal SIG] [--timeout-ms N] PID\n"
               "                                Stop a process (SIGKILL after the timeout)\n"
               "  status PID                    Show one process\n"
               "  info                          Show CPU, memory, load and uptime of the host\n"
               "  logs [-n|--lines N] PID | logs [-n|--lines N] --unit UNIT\n"
               "                                Show journal lines of a started process\n"
               "  describe                      List the daemon's commands, their arguments,\n"
               "                                summaries and access classes\n"
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
};
_Static_assert(ARG_VERSION < VERB_OPTION_FIRST, "global and verb option values overlap");

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

/* Option parsers return 0 to go on, the exit status of a usage error, or OPT_DONE after
 * --help/--version: leave with 0. */
#define OPT_DONE (-1)

static int parse_global_option(int c, const char *optarg_, char **argv) {
        unsigned u;

        switch (c) {
        case 'h':
                help();
                return OPT_DONE;
        case ARG_VERSION:
                printf("procctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
                return OPT_DONE;
        case 'H':
                if (arg_unix)
                        return usage_error("-H/--host and -U/--unix are mutually exclusive");
                arg_host = optarg_;
                return 0;
        case 'U':
                if (arg_host)
                        return usage_error("-H/--host and -U/--unix are mutually exclusive");
                arg_unix = optarg_;
                return 0;
        case ARG_TOKEN_FILE:
                arg_token_file = optarg_;
                return 0;
        case ARG_JSON:
                arg_json = true;
                return 0;
        case ARG_TIMEOUT:
                if (safe_atou(optarg_, &u) < 0 || u > 86400 * 365)
                        return usage_error("invalid --timeout '%s': expected whole seconds", optarg_);
                arg_timeout = (usec_t) u * USEC_PER_SEC;
                return 0;
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
        _cleanup_free_ char *unix_path = NULL;
        const char *token_file;
        int r;

        if (ctx->client) {
                *ret = ctx->client;
                return 0;
        }

        /* Relative to the working directory, like every other tool's paths; the address
         * itself must be absolute (the connection may outlive a chdir, and it is shown). */
        if (arg_unix && arg_unix[0] != '/' && arg_unix[0] != '\0') {
                _cleanup_free_ char *cwd = getcwd(NULL, 0);

                if (!cwd) {
                        error_message("cannot resolve socket path '%s': %m", arg_unix);
                        return EXIT_USAGE;
                }
                if (asprintf(&unix_path, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, arg_unix) < 0)
                        return oom();
        }

        r = client_new(arg_host, unix_path ?: arg_unix, &c);
        if (r < 0) {
                if (arg_host)
                        return usage_error("invalid address '%s': expected HOST[:PORT] with a numeric "
                                           "address or localhost, or [IPV6]:PORT", arg_host);
                if (arg_unix)
                        return usage_error("invalid socket path '%s': %s", arg_unix,
                                           r == -ENAMETOOLONG ? "too long" : "not a socket path");
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

/* Returns 0 with the reply for ok:true (having printed it with --json, and then with no
 * reply to render), EXIT_REPLY_ERROR for an error reply, EXIT_USAGE when no reply could be
 * had; both with the reason printed. */
int verb_call(Context *ctx, json_t **ret_reply) {
        json_auto_t *request = TAKE_PTR(ctx->request);
        _cleanup_free_ char *line = NULL;
        json_auto_t *reply = NULL;
        Client *c;
        int r;

        *ret_reply = NULL;
        assert(request);

        r = context_get_client(ctx, &c);
        if (r != 0)
                return r;

        r = client_call(c, request, &line, &reply);
        if (r < 0) {
                if (r == -ENOMEM)
                        return oom();
                if (c->stage == CLIENT_STAGE_CONNECT && r == -EPERM && c->refused[0])
                        error_message("refusing to talk to %s as root: %s, so others could replace it "
                                      "with a fake procmgrd (see procctl(1), FILES)", c->address_str, c->refused);
                else if (c->stage == CLIENT_STAGE_CONNECT)
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
                /* The daemon's message names the wire (AUTH, "token"); say what to type. */
                if (!c->token && error_code_from_name(reply_error_name(reply)) == ERROR_AUTH_REQUIRED)
                        error_message("this needs the daemon's token: pass --token-file FILE "
                                      "or set PROCMGR_TOKEN_FILE=FILE");
                return EXIT_REPLY_ERROR;
        }

        if (!arg_json)
                *ret_reply = TAKE_PTR(reply);
        return 0;
}

const char *reply_string(const json_t *o, const char *key) {
        return json_string_value(json_object_get(o, key));
}

bool reply_int(const json_t *o, const char *key, int64_t *ret) {
        json_t *v = json_object_get(o, key);

        if (json_is_integer(v))
                *ret = (int64_t) json_integer_value(v);
        else if (json_is_real(v))
                *ret = (int64_t) json_real_value(v);
        else
                return false;
        return true;
}

bool reply_number(const json_t *o, const char *key, double *ret) {
        json_t *v = json_object_get(o, key);

        if (!json_is_number(v))
                return false;
        *ret = json_number_value(v);
        return true;
}

char *value_to_string(const json_t *v) {
        if (!v || json_is_null(v))
                return strdup("-");
        if (json_is_string(v))
                return strdup(json_string_value(v));
        return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

Table *kv_table_new(void) {
        Table *t = table_new("KEY", "VALUE", NULL);

        if (!t)
                return NULL;
        table_set_header(t, false);
        (void) table_set_align(t, 0, TABLE_ALIGN_RIGHT);
        return t;
}

int kv_add(Table *t, const char *key, const char *format, ...) {
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

int kv_print(Table *t) {
        if (table_print(t, stdout, 0) < 0) {
                error_message("cannot write output");
                return EXIT_USAGE;
        }
        return 0;
}

int request_set(Context *ctx, const char *key, json_t *value, const char *text) {
        assert(ctx->request);

        /* json_string() refuses text that is not UTF-8; json_object_set_new() takes value
         * (and drops it) either way. */
        if (json_object_set_new(ctx->request, key, value) < 0)
                return usage_error("invalid value '%s' (not UTF-8?)", text);
        return 0;
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

/* getopt_long() over argv (argv[0]: the verb, or the program) with the global options and
 * the verb's own (vo, may be NULL), which go to vo->parse(). Stops at the first non-option,
 * so that "start -- PROGRAM -x" keeps PROGRAM's options. Returns 0 with optind at the first
 * argument, OPT_DONE, or the exit status of a usage error. */
static int parse_options(int argc, char **argv, const VerbOptions *vo, Context *ctx) {
        static const struct option global_options[] = { GLOBAL_OPTIONS, {} };
        struct option longopts[24];
        char shortopts[24];
        size_t n = 0;
        int c, r;

        if (vo)
                for (const struct option *o = vo->longopts; o->name; o++) {
                        assert(n < ELEMENTSOF(longopts) - ELEMENTSOF(global_options));
                        longopts[n++] = *o;
                }
        memcpy(longopts + n, global_options, sizeof(global_options));
        r = snprintf(shortopts, sizeof(shortopts), "+:%s" GLOBAL_SHORT, vo && vo->shortopts ? vo->shortopts : "");
        assert(r > 0 && (size_t) r < sizeof(shortopts));

        optind = 0;     /* a full reset: the menu runs one verb after another */
        opterr = 0;
        while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) >= 0) {
                r = vo && !option_is_global(c) ? vo->parse(c, optarg, ctx) : parse_global_option(c, optarg, argv);
                if (r != 0)
                        return r;
        }
        return 0;
}

static int verb_help(_unused_ int n_args, _unused_ char **args, _unused_ Context *ctx) {
        help();
        return 0;
}

static const Verb verbs[] = {
        /* name         min max       flags     cmd                  needs (in the usage error) */
        { "ping",       0, 0,         0,        SCHEMA_CMD_PING,     NULL,                   NULL,               verb_ping },
        { "list",       0, 0,         0,        SCHEMA_CMD_LIST,     NULL,                   &verb_list_options, verb_list },
        { "start",      1, VERB_ANY,  0,        SCHEMA_CMD_START,
          "a command: procctl start [OPTIONS] -- PROGRAM [ARGS...]",                          &verb_start_options, verb_start },
        { "stop",       1, 1,         VERB_PID, SCHEMA_CMD_STOP,     "exactly one PID",      &verb_stop_options, verb_stop },
        { "status",     1, 1,         VERB_PID, SCHEMA_CMD_STATUS,   "exactly one PID",      NULL,               verb_status },
        { "info",       0, 0,         0,        SCHEMA_CMD_INFO,     NULL,                   NULL,               verb_info },
        /* Zero or one: verb_logs() knows which, from --unit. */
        { "logs",       0, 1,         VERB_PID, SCHEMA_CMD_LOGS,     "a PID or --unit UNIT", &verb_logs_options, verb_logs },
        { "describe",   0, 0,         0,        SCHEMA_CMD_DESCRIBE, NULL,                   NULL,               verb_describe },
        { "help",       0, VERB_ANY,  0,        NULL,                NULL,                   NULL,               verb_help },
};

/* The argument count and a PID argument, for verb after its options (args: the n_args
 * arguments). Returns 0 or the exit status of the usage error. */
static int verb_check_args(const Verb *verb, unsigned n_args, char **args, Context *ctx) {
        if (n_args > verb->max_args && verb->max_args == 0)
                return usage_error("'%s' takes no arguments (got '%s')", verb->name, args[0]);
        if (n_args < verb->min_args || n_args > verb->max_args)
                return usage_error("'%s' needs %s", verb->name, verb->needs);

        if ((verb->flags & VERB_PID) && n_args > 0) {
                if (parse_pid(args[0], &ctx->pid) < 0)
                        return usage_error("%s: invalid PID '%s'", verb->name, args[0]);
                if (json_object_set_new(ctx->request, SCHEMA_ARG_PID, json_integer(ctx->pid)) < 0)
                        return oom();
        }
        return 0;
}

/* Runs the verb argv[0] with its options and arguments; returns the exit status. */
static int dispatch_verb(int argc, char **argv, Context *ctx) {
        const Verb *verb = NULL;
        int r;

        assert(argc > 0);
        for (size_t i = 0; i < ELEMENTSOF(verbs) && !verb; i++)
                if (strcmp(argv[0], verbs[i].name) == 0)
                        verb = &verbs[i];
        if (!verb)
                return usage_error("unknown command '%s'", argv[0]);

        ctx->pid = 0;
        if (verb->cmd) {
                ctx->request = json_pack("{s:s}", SCHEMA_MEMBER_CMD, verb->cmd);
                if (!ctx->request)
                        return oom();
        }

        r = parse_options(argc, argv, verb->options, ctx);
        if (r == 0)
                r = verb_check_args(verb, (unsigned) (argc - optind), argv + optind, ctx);
        if (r == 0)
                r = verb->run(argc - optind, argv + optind, ctx);

        /* Unsent after an error; verb_call() took it otherwise. */
        json_decref(TAKE_PTR(ctx->request));
        return r == OPT_DONE ? 0 : r;
}

static int menu_run_verb(int argc, char **argv, void *userdata) {
        return dispatch_verb(argc, argv, userdata);
}

int procctl_run(int argc, char **argv) {
        Context ctx = {};
        Client *c;
        int r;

        (void) setlocale(LC_ALL, "");

        /* The command line of this run only (a test runs several in one process). */
        arg_host = arg_unix = arg_token_file = NULL;
        arg_json = false;
        arg_timeout = CLIENT_DEFAULT_TIMEOUT_USEC;

        /* Before the command: the global options only. */
        r = parse_options(argc, argv, NULL, &ctx);
        if (r != 0)
                return r == OPT_DONE ? 0 : r;

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
