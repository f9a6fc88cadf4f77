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
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "client/bridge.h"
#include "client/client.h"
#include "client/config.h"
#include "client/fanout.h"
#include "client/menu.h"
#include "client/procctl.h"
#include "client/table.h"
#include "client/tls-client.h"
#include "protocol/error.h"
#include "protocol/schema.h"
#include "shared/macro.h"
#include "shared/parse-util.h"
#include "shared/strv.h"

/* Command line only (house style: arg_* are the only globals), and the configuration
 * files' defaults under them. */
static char **arg_hosts = NULL;         /* every -H, comma lists split */
static size_t arg_n_hosts = 0;
static const char *arg_host = NULL;     /* the one host this process talks to */
static bool arg_fanout_child = false;   /* one of many hosts: output is prefixed by the parent */
static const char *arg_unix = NULL;
static const char *arg_token_file = NULL;
static const char *arg_tls_ca = NULL;
static const char *arg_tls_cert = NULL;
static const char *arg_tls_key = NULL;
static bool arg_json = false;
static bool arg_legend = true;
static unsigned arg_parallel = 0;
static usec_t arg_timeout = CLIENT_DEFAULT_TIMEOUT_USEC;
static ProcctlConfig arg_config = {};

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
               "        [--cpu-quota PERCENT] [--tasks-max N] [--restart no|on-failure|always]\n"
               "        [--restart-sec S] [--restart-max-sec S] [--max-restarts N] -- ARGV...\n"
               "                                Start a process (no shell involved)\n"
               "  stop [-s|--signal SIG] [--timeout-ms N] PID|NAME\n"
               "                                Stop a process (SIGKILL after the timeout)\n"
               "  status PID|NAME               Show one process\n"
               "  info                          Show CPU, memory, load and uptime of the host\n"
               "  logs [-f|--follow] [-n|--lines N] PID|NAME | logs [-f] [-n N] --unit UNIT\n"
               "                                Show (-f: follow) journal lines of a started process\n"
               "  events [--follow-from SEQ] [NAME|PID]\n"
               "                                Follow the events of managed processes\n"
               "  top                           A live view of the processes, sorted (q quits)\n"
               "  describe                      List the daemon's commands, their arguments,\n"
               "                                summaries and access classes\n"
               "  bridge                        Relay stdin/stdout to the local socket (what\n"
               "                                ssh runs on the remote host for -H ssh://)\n"
               "  metrics [-o|--output FILE | --http]\n"
               "                                Print Prometheus metrics (--output: write FILE\n"
               "                                atomically; --http: answer one HTTP request on stdin)\n"
               "\n"
               "Options:\n"
               "  -H --host=HOST[:PORT]         Connect over TCP (a name is resolved, every\n"
               "                                address tried; IPv6 as [::1]:PORT; default port %u)\n"
               "  -H --host=ssh://[USER@]HOST[:PORT]\n"
               "                                Connect through ssh and the remote 'procctl bridge'\n"
               "                                (-H again or HOST,HOST,...: run on every host)\n"
               "     --parallel=N               Hosts at a time with several -H (default 16)\n"
               "  -H tls://HOST[:PORT]          Connect over TLS; the server's certificate must\n"
               "                                name HOST and verify against --tls-ca (default:\n"
               "                                the system's trusted certificates)\n"
               "     --tls-ca=FILE              CA certificate(s) that sign the server's certificate\n"
               "     --tls-cert=FILE --tls-key=FILE\n"
               "                                Client certificate and key (instead of a token)\n"
               "  -U --unix=PATH                Connect to this Unix socket\n"
               "                                (default: %s if it exists,\n"
               "                                else %s:%u)\n"
               "     --token-file=FILE          Send the token in FILE with each request\n"
               "                                (default: $PROCMGR_TOKEN_FILE)\n"
               "     --json                     Print the daemon's reply line as it came\n"
               "                                (with several hosts, plus a \"host\" member)\n"
               "     --no-legend                No column headers or summary lines\n"
               "     --no-pager                 Accepted; procctl never pages\n"
               "     --timeout=SEC              Give up after SEC seconds (default 30, 0 = never)\n"
               "  -h --help                     Show this help\n"
               "     --version                  Show the version\n"
               "\n"
               "Defaults (host, token-file, parallel) from /etc/procmgr/procctl.conf and\n"
               "~/.config/procmgr/procctl.conf; the command line wins.\n"
               "\n"
               "Exit status: 0 success, 1 the daemon answered with an error,\n"
               "2 usage error or no answer from the daemon (several hosts: the worst).\n"
               "See procctl(1).\n",
               PROTOCOL_DEFAULT_PORT, PROTOCOL_DEFAULT_UNIX_PATH, CLIENT_DEFAULT_HOST, PROTOCOL_DEFAULT_PORT);
}

enum {
        ARG_TOKEN_FILE = 0x100,
        ARG_JSON,
        ARG_TIMEOUT,
        ARG_VERSION,
        ARG_PARALLEL,
        ARG_NO_LEGEND,
        ARG_NO_PAGER,
        ARG_TLS_CA,
        ARG_TLS_CERT,
        ARG_TLS_KEY,
};
_Static_assert(ARG_TLS_KEY < VERB_OPTION_FIRST, "global and verb option values overlap");

/* Accepted before the command and among its options alike ("procctl list --json"). */
#define GLOBAL_OPTIONS                                                          \
        { "help", no_argument, NULL, 'h' },                                     \
        { "version", no_argument, NULL, ARG_VERSION },                          \
        { "host", required_argument, NULL, 'H' },                               \
        { "unix", required_argument, NULL, 'U' },                               \
        { "token-file", required_argument, NULL, ARG_TOKEN_FILE },              \
        { "json", no_argument, NULL, ARG_JSON },                                \
        { "timeout", required_argument, NULL, ARG_TIMEOUT },                    \
        { "parallel", required_argument, NULL, ARG_PARALLEL },                  \
        { "no-legend", no_argument, NULL, ARG_NO_LEGEND },                      \
        { "no-pager", no_argument, NULL, ARG_NO_PAGER },                        \
        { "tls-ca", required_argument, NULL, ARG_TLS_CA },                      \
        { "tls-cert", required_argument, NULL, ARG_TLS_CERT },                  \
        { "tls-key", required_argument, NULL, ARG_TLS_KEY }
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
        case 'H': {
                int r;

                if (arg_unix)
                        return usage_error("-H/--host and -U/--unix are mutually exclusive");
                r = hosts_add(&arg_hosts, &arg_n_hosts, optarg_);
                if (r == -ENOMEM)
                        return oom();
                if (r == -E2BIG)
                        return usage_error("too many hosts (at most %u)", HOSTS_MAX);
                if (r < 0)
                        return usage_error("invalid host list '%s': empty entry", optarg_);
                return 0;
        }
        case 'U':
                if (arg_n_hosts > 0)
                        return usage_error("-H/--host and -U/--unix are mutually exclusive");
                arg_unix = optarg_;
                return 0;
        case ARG_TOKEN_FILE:
                arg_token_file = optarg_;
                return 0;
        case ARG_JSON:
                arg_json = true;
                return 0;
        case ARG_TLS_CA:
                arg_tls_ca = optarg_;
                return 0;
        case ARG_TLS_CERT:
                arg_tls_cert = optarg_;
                return 0;
        case ARG_TLS_KEY:
                arg_tls_key = optarg_;
                return 0;
        case ARG_TIMEOUT:
                if (safe_atou(optarg_, &u) < 0 || u > 86400 * 365)
                        return usage_error("invalid --timeout '%s': expected whole seconds", optarg_);
                arg_timeout = (usec_t) u * USEC_PER_SEC;
                return 0;
        case ARG_PARALLEL:
                if (safe_atou(optarg_, &u) < 0 || u == 0 || u > HOSTS_MAX)
                        return usage_error("invalid --parallel '%s': expected 1 to %u", optarg_, HOSTS_MAX);
                arg_parallel = u;
                return 0;
        case ARG_NO_LEGEND:
                arg_legend = false;
                return 0;
        case ARG_NO_PAGER:
                return 0;       /* nothing is paged; accepted for systemctl habits */
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

bool procctl_json_output(void) {
        return arg_json;
}

int context_get_client(Context *ctx, Client **ret) {
        _cleanup_(client_freep) Client *c = NULL;
        _cleanup_free_ char *unix_path = NULL;
        const char *token_file, *tls_host = NULL;
        int r, gai = 0;

        if (ctx->client) {
                *ret = ctx->client;
                return 0;
        }

        if (arg_host && strncmp(arg_host, "tls://", 6) == 0) {
                tls_host = arg_host + 6;
                /* The configuration files' TLS files, where the command line names none. */
                if (!arg_tls_ca)
                        arg_tls_ca = arg_config.tls_ca;
                if (!arg_tls_cert && !arg_tls_key) {
                        arg_tls_cert = arg_config.tls_cert;
                        arg_tls_key = arg_config.tls_key;
                }
        } else if (arg_tls_ca || arg_tls_cert || arg_tls_key)
                return usage_error("--tls-ca, --tls-cert and --tls-key need -H tls://HOST[:PORT]");

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

        r = client_new_full(arg_host, unix_path ?: arg_unix, &c, &gai);
        if (r < 0) {
                if (arg_host && r == -EHOSTUNREACH) {
                        error_message("invalid address '%s': cannot resolve host name: %s", arg_host,
                                      gai_strerror(gai));
                        return EXIT_USAGE;
                }
                if (arg_host && r == -EPROTONOSUPPORT)
                        return usage_error("invalid address '%s': unknown scheme (this procctl knows "
                                           "ssh:// and tls://)", arg_host);
                if (arg_host && r == -EBADMSG) {
                        error_message("cannot use $PROCCTL_SSH or $PROCCTL_REMOTE: unbalanced quote or "
                                      "too many words");
                        return EXIT_USAGE;
                }
                if (arg_host && strncmp(arg_host, "ssh://", 6) == 0)
                        return usage_error("invalid address '%s': expected ssh://[USER@]HOST[:PORT]", arg_host);
                if (arg_host)
                        return usage_error("invalid address '%s': expected HOST[:PORT], [IPV6]:PORT, "
                                           "ssh://[USER@]HOST[:PORT] or tls://HOST[:PORT]", arg_host);
                if (arg_unix)
                        return usage_error("invalid socket path '%s': %s", arg_unix,
                                           r == -ENAMETOOLONG ? "too long" : "not a socket path");
                error_message("cannot set up the connection: %s", strerror(-r));
                return EXIT_USAGE;
        }
        c->timeout = arg_timeout;
        if (tls_host) {
                char name[INET6_ADDRSTRLEN + 1], err[512];
                size_t n = strcspn(tls_host, ":");
                TlsClient *tls = NULL;

                /* The name the certificate must carry: HOST without port or brackets. */
                if (tls_host[0] == '[')
                        n = strcspn(++tls_host, "]");
                else if (strchr(tls_host + n + (tls_host[n] != '\0'), ':'))
                        n = strlen(tls_host);   /* a bare IPv6 address */
                snprintf(name, sizeof(name), "%.*s", (int) MIN(n, sizeof(name) - 1), tls_host);
                r = tls_client_new(name, arg_tls_ca, arg_tls_cert, arg_tls_key, &tls, err, sizeof(err));
                if (r == -ENOMEM)
                        return oom();
                if (r < 0) {
                        error_message("%s", err);
                        return EXIT_USAGE;
                }
                assert_se(client_set_tls(c, tls) >= 0);
        }

        /* Over ssh the daemon knows the login user; a default token (meant for some TCP
         * daemon) would only travel to another host for nothing. An explicit
         * --token-file is still sent. */
        if (arg_host && strncmp(arg_host, "ssh://", 6) == 0)
                token_file = arg_token_file;
        else
                token_file = arg_token_file ?: getenv("PROCMGR_TOKEN_FILE") ?: arg_config.token_file;
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
                const char *detail = client_error_detail(c);

                if (detail) {
                        /* ssh (or the remote bridge) said why, in its last line: that is the
                         * one line worth showing. Prefixed by the host, unless the fan-out
                         * parent does it. */
                        if (arg_fanout_child)
                                error_message("%s", detail);
                        else
                                error_message("%s: %s", c->address_str, detail);
                } else if (c->stage == CLIENT_STAGE_CONNECT)
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
        case ARG_PARALLEL:
        case ARG_NO_LEGEND:
        case ARG_NO_PAGER:
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
        struct option longopts[48];   /* the verb's (start has many) + the global ones */
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

/* The hosts this run talks to: -H, else (without -U) the configuration's. */
static char **effective_hosts(size_t *ret_n) {
        if (arg_n_hosts > 0) {
                *ret_n = arg_n_hosts;
                return arg_hosts;
        }
        if (!arg_unix && arg_config.n_hosts > 0) {
                *ret_n = arg_config.n_hosts;
                return arg_config.hosts;
        }
        *ret_n = 0;
        return NULL;
}

/* Sets arg_host from the one host (or none); 0 or a usage error with several. */
static int pick_single_host(const char *what) {
        size_t n;
        char **h = effective_hosts(&n);

        if (n > 1)
                return usage_error("%s works with one host at a time (%zu given)", what, n);
        arg_host = n == 1 ? h[0] : NULL;
        return 0;
}

/* `procctl bridge [-U PATH]`: on the managed host, under ssh. Local only: a -H here would
 * relay to another relay. */
static int verb_bridge(_unused_ int n_args, _unused_ char **args, _unused_ Context *ctx) {
        _cleanup_free_ char *path = NULL;

        if (arg_n_hosts > 0)
                return usage_error("'bridge' relays to the local socket; -H makes no sense here");
        if (arg_unix && arg_unix[0] != '/') {
                _cleanup_free_ char *cwd = getcwd(NULL, 0);

                if (!cwd || asprintf(&path, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, arg_unix) < 0)
                        return oom();
        }
        return bridge_run(path ?: arg_unix ?: PROTOCOL_DEFAULT_UNIX_PATH, STDIN_FILENO, STDOUT_FILENO);
}

typedef struct FanoutVerb {
        const Verb *verb;
        int n_args;
        char **args;
        Context *ctx;
} FanoutVerb;

/* In the child for one host: the verb as if that host alone had been given. */
static int fanout_child(const char *host, void *userdata) {
        FanoutVerb *f = userdata;
        int r;

        arg_host = host;
        arg_fanout_child = true;
        r = f->verb->run(f->n_args, f->args, f->ctx);
        json_decref(TAKE_PTR(f->ctx->request));
        f->ctx->client = client_free(f->ctx->client);
        return r == OPT_DONE ? 0 : r;
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
        /* PID or NAME (a name: verb_logs() tells them apart). */
        { "logs",       0, 1,         0,        SCHEMA_CMD_LOGS,     "a PID or --unit UNIT", &verb_logs_options, verb_logs },
        { "events",     0, 1,         0,        SCHEMA_CMD_WATCH,    "at most one NAME or PID", &verb_events_options, verb_events },
        { "top",        0, 0,         0,        SCHEMA_CMD_LIST,     NULL,                   NULL,               verb_top },
        { "describe",   0, 0,         0,        SCHEMA_CMD_DESCRIBE, NULL,                   NULL,               verb_describe },
        { "metrics",    0, 0,         0,        SCHEMA_CMD_METRICS,  NULL,                   &verb_metrics_options, verb_metrics },
        { "help",       0, VERB_ANY,  0,        NULL,                NULL,                   NULL,               verb_help },
        { "bridge",     0, 0,         0,        NULL,                NULL,                   NULL,               verb_bridge },
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
        ctx->legend = arg_legend;
        if (r == 0 && verb->cmd && !arg_fanout_child) {
                size_t n;
                char **hosts = effective_hosts(&n);

                if (n > 1) {
                        /* Several hosts: one child each, their output prefixed. */
                        FanoutVerb f = { verb, argc - optind, argv + optind, ctx };

                        r = fanout_run(hosts, n, arg_parallel ?: arg_config.parallel, arg_json, fanout_child, &f);
                        json_decref(TAKE_PTR(ctx->request));
                        return r;
                }
                arg_host = n == 1 ? hosts[0] : NULL;
        }
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
        arg_hosts = strv_free(arg_hosts);
        arg_n_hosts = 0;
        arg_host = arg_unix = arg_token_file = NULL;
        arg_fanout_child = false;
        arg_tls_ca = arg_tls_cert = arg_tls_key = NULL;
        arg_json = false;
        arg_legend = true;
        arg_parallel = 0;
        arg_timeout = CLIENT_DEFAULT_TIMEOUT_USEC;
        config_done(&arg_config);

        /* Defaults under the command line. A file that cannot be read is worth a warning,
         * not a refusal: the command line may well say everything. */
        {
                const char *path = NULL;

                r = config_load(&arg_config, stderr, &path);
                if (r == -ENOMEM)
                        return oom();
                if (r < 0)
                        error_message("warning: cannot read %s: %s", path, strerror(-r));
        }

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
                r = pick_single_host("the interactive menu");
                if (r == 0)
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
        arg_hosts = strv_free(arg_hosts);
        arg_n_hosts = 0;
        config_done(&arg_config);
        if (fflush(stdout) != 0 && r == 0) {
                error_message("cannot write output: %m");
                r = EXIT_USAGE;
        }
        return r;
}
