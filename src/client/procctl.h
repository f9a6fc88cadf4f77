/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What procctl.c (procctl_run(), global options, the verb table,
 * dispatch_verb(), the call helper) shares with the verb files
 * procctl-process.c (list start stop status logs) and procctl-system.c (ping
 * info describe). Internal to procctl and its tests: these live in
 * libprocctl-core.a only so that tests/unit/client/ can run command lines;
 * procctl-main.c is main().
 *
 * A verb never parses its own options, counts its own arguments or talks to
 * the transport: dispatch_verb() parses the options (handing the verb's own to
 * its VerbOptions.parse, which adds them to ctx->request), checks the argument
 * count against the table, puts a PID argument into the request, and the verb's
 * run() sends ctx->request with verb_call() and renders the reply.
 */

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "client/client.h"
#include "client/table.h"
#include "shared/macro.h"

/* The whole program: main() calls it. In the library so that tests can run command lines
 * (usage errors need no daemon). Returns the exit status. */
int procctl_run(int argc, char **argv);

#define EXIT_REPLY_ERROR 1
#define EXIT_USAGE 2

/* Values of the verbs' own long options without a short letter start here, clear of the
 * global options' values (procctl.c). */
#define VERB_OPTION_FIRST 0x200

typedef struct Context {
        Client *client;         /* created on first use, from the command line */
        json_t *request;        /* {"cmd": …} plus the options, while a verb runs; verb_call() takes it */
        pid_t pid;              /* the PID argument, for VERB_PID verbs */
        bool legend;            /* column headers and summary lines (off: --no-legend) */
} Context;

/* A verb's own options: shortopts holds only its letters ("s:"), longopts ends with {}.
 * parse() returns 0 to go on or the exit status to leave with (a usage_error()). */
typedef struct VerbOptions {
        const char *shortopts;
        const struct option *longopts;
        int (*parse)(int c, const char *arg, Context *ctx);
} VerbOptions;

/* User-facing diagnostics, "procctl: …" on stderr. usage_error() adds the --help hint and
 * returns EXIT_USAGE; oom() says so and returns EXIT_USAGE. */
void error_message(const char *format, ...) _printf_(1, 2);
int usage_error(const char *format, ...) _printf_(1, 2);
int oom(void);

/* Adds key = value (taken; NULL when json_string() refused text) to ctx->request. Returns 0
 * or the exit status of the usage error naming text. */
int request_set(Context *ctx, const char *key, json_t *value, const char *text);

/* Sends ctx->request (taking it). Returns the exit status, with *ret_reply set to the ok:true
 * reply to render, or NULL when there is nothing left to print (--json printed the line,
 * or an error was reported). */
int verb_call(Context *ctx, json_t **ret_reply);

/* Typed reads of reply members; a member of another type counts as absent. */
const char *reply_string(const json_t *o, const char *key);
bool reply_int(const json_t *o, const char *key, int64_t *ret);
bool reply_number(const json_t *o, const char *key, double *ret);
/* Any JSON value as text (strings without quotes; "-" for none); caller frees. */
char *value_to_string(const json_t *v);

/* Key/value blocks (status, info): a header-less two-column table, keys right-aligned. */
Table *kv_table_new(void);
int kv_add(Table *t, const char *key, const char *format, ...) _printf_(3, 4);
int kv_print(Table *t);

/* The verbs: args are the n_args positional arguments, after the options (NULL-terminated). */

/* procctl-process.c */
extern const VerbOptions verb_list_options, verb_start_options, verb_stop_options, verb_logs_options;
int verb_list(int n_args, char **args, Context *ctx);
int verb_start(int n_args, char **args, Context *ctx);
int verb_stop(int n_args, char **args, Context *ctx);
int verb_status(int n_args, char **args, Context *ctx);
int verb_logs(int n_args, char **args, Context *ctx);

/* procctl-live.c: streams (WATCH, LOGS follow) on a connection of their own */
extern const VerbOptions verb_events_options;
int verb_events(int n_args, char **args, Context *ctx);
int verb_logs_follow(int n_args, char **args, Context *ctx);
int verb_top(int n_args, char **args, Context *ctx);
/* For the live verbs: the client of the command line, and whether --json was given. */
int context_get_client(Context *ctx, Client **ret);
/* procctl-metrics.c */
extern const VerbOptions verb_metrics_options;
int verb_metrics(int n_args, char **args, Context *ctx);
/* text into path atomically (temporary file in the same directory + rename). */
int metrics_write_atomic(const char *path, const char *text, size_t len);

/* Whether --json was given (verbs whose output is not the reply line refuse it). */
bool procctl_json_output(void);

/* procctl-system.c */
int verb_ping(int n_args, char **args, Context *ctx);
int verb_info(int n_args, char **args, Context *ctx);
int verb_describe(int n_args, char **args, Context *ctx);
