/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The command table: name, handler and the access a caller needs; the
 * arguments and replies are the wire schema's (protocol/schema.h). Access is
 * checked here, centrally, then the arguments against the schema, before any
 * handler runs (handlers read call->request.params); handlers that need a finer,
 * object-dependent decision (STOP of a foreign process, START as another
 * user) ask auth.h.
 */

#include <jansson.h>

#include "daemon/connection.h"

typedef enum Access {
        ACCESS_PUBLIC,          /* PING, DESCRIBE, AUTH, EXIT */
        ACCESS_READ,            /* LIST, INFO, STATUS, LOGS: Unix peers, authenticated TCP */
        ACCESS_CONTROL,         /* START, STOP: root/authorized Unix peers, authenticated TCP */
} Access;

typedef struct Command {
        const char *name;               /* its arguments and replies: protocol/schema.c */
        int (*handler)(Call *call);     /* < 0: dispatch replies with the mapped error */
        Access access;
} Command;

const Command *command_find(const char *name);
const Command *command_table(size_t *ret_n);

/* Runs one parsed request (the Call owns it). Always ends in a reply, now or later. */
void dispatch_call(Call *call);
/* For requests that failed to parse: replies with the parse error. */
void dispatch_parse_error(Call *call, ErrorCode e, const char *msg);
