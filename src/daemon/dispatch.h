/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The command table: name, handler, the access a caller needs, and the
 * argument/return description that DESCRIBE publishes. Access is checked
 * here, centrally, before any handler runs; handlers that need a finer,
 * object-dependent decision (STOP of a foreign process, START as another
 * user) ask auth.h.
 */

#include <jansson.h>

#include "daemon/call.h"

typedef enum Access {
        ACCESS_PUBLIC,          /* PING, DESCRIBE, AUTH, EXIT */
        ACCESS_READ,            /* LIST, INFO, STATUS, LOGS: Unix peers, authenticated TCP */
        ACCESS_CONTROL,         /* START, STOP: root/authorized Unix peers, authenticated TCP */
} Access;

typedef struct CommandArg {
        const char *name;
        const char *type;       /* "string", "int", "bool", "array", "object", "any" */
        bool required;
} CommandArg;

typedef struct Command {
        const char *name;
        int (*handler)(Call *call);     /* < 0: dispatch replies with the mapped error */
        Access access;
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
