/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The command table: name and handler; the arguments and replies are the wire
 * schema's (protocol/schema.h), the access a caller needs is auth.c's table.
 * Every request takes the same path: look up → token → access class →
 * arguments checked against the schema → handler (which reads
 * call->request.params). Dispatch is the one place that turns auth's
 * decisions into error replies; handlers that need a finer, object-dependent
 * decision (STOP of a foreign process, START as another user) ask auth.h and
 * are run again when polkit answers.
 *
 * Must NOT: decide authorization itself, or know which front end a Call
 * came from.
 */

#include <jansson.h>

#include "daemon/call.h"

typedef struct Command {
        const char *name;               /* its arguments and replies: protocol/schema.c */
        /* Replies (now, or later through the call), or returns < 0 and dispatch replies with
         * the mapped error. Runs again when auth_verify_async() returned 0 and polkit answered. */
        int (*handler)(Call *call);
} Command;

const Command *command_find(const char *name);
const Command *command_table(size_t *ret_n);

/* Runs one parsed request (the Call owns it). Always ends in a reply, now or later. */
void dispatch_call(Call *call);
/* The same as a front end's request sink (ConnectionRequestSink); userdata unused. */
void dispatch_request(Call *call, void *userdata);
