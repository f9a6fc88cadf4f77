/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The command table: name, handler, and the argument/return description
 * that DESCRIBE publishes. Every request takes the same path: look up →
 * token → the access class of auth.c's table → handler. Dispatch is the one
 * place that turns auth's decisions into error replies; handlers that need a
 * finer, object-dependent decision (STOP of a foreign process, START as
 * another user) ask auth.h and are run again when polkit answers.
 *
 * Must NOT: decide authorization itself, or know which front end a Call
 * came from.
 */

#include <jansson.h>

#include "daemon/call.h"

typedef struct CommandArg {
        const char *name;
        const char *type;       /* "string", "int", "bool", "array", "object", "any" */
        bool required;
} CommandArg;

typedef struct Command {
        const char *name;
        /* Replies (now, or later through the call), or returns < 0 and dispatch replies with
         * the mapped error. Runs again when auth_verify_async() returned 0 and polkit answered. */
        int (*handler)(Call *call);
        const char *summary;
        const CommandArg *args;         /* terminated by { NULL } */
        const CommandArg *returns;
} Command;

const Command *command_find(const char *name);
const Command *command_table(size_t *ret_n);

/* Runs one parsed request (the Call owns it). Always ends in a reply, now or later. */
void dispatch_call(Call *call);
/* The same as a front end's request sink (ConnectionRequestSink); userdata unused. */
void dispatch_request(Call *call, void *userdata);
