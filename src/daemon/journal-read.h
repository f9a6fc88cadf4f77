/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * LOGS: read the newest journal records of a started process (by the unit
 * of a managed process, or by pid), oldest first, and reply.
 */

#include <sys/types.h>

#include "daemon/call.h"

/* Replies to call (ok or error); returns < 0 only when it did not reply. */
int journal_reply_logs(Call *call, pid_t pid, const char *unit, unsigned lines);
