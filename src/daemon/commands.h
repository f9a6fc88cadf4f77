/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Command handlers, one per protocol command; see dispatch.c for the table. */

#include "daemon/call.h"

int command_ping(Call *call);
/* PING's reply without an id: what command_ping() sends, for the connection's fast path. */
#define COMMAND_PING_REPLY_BARE "{\"ok\":true,\"msg\":\"pong\",\"version\":\"" PACKAGE_VERSION "\"}\n"
int command_describe(Call *call);                /* in dispatch.c: the table describes itself … */
typedef struct Command Command;
int command_describe_table(Call *call, const Command *table, size_t n);    /* … in this form */
int command_auth(Call *call);
int command_exit(Call *call);
int command_info(Call *call);
int command_metrics(Call *call);                 /* command-metrics.c */
int command_logs(Call *call);
int command_list(Call *call);
int command_status(Call *call);
int command_stop(Call *call);
int command_start(Call *call);
/* `pid` or `name` (the live managed process of that name) → *ret_pid. 1: found; 0: an
 * error was replied (neither/both given, no such name, an ambiguous derived name). */
int command_resolve_target(Call *call, pid_t pid, const char *name, pid_t *ret_pid);
typedef struct JournalQuery JournalQuery;
/* LOGS with follow (command-follow.c): the reply, then the stream. */
int command_logs_follow(Call *call, const JournalQuery *q, const char *unit, pid_t pid);
int command_watch(Call *call);                  /* command-watch.c */
int command_unwatch(Call *call);
