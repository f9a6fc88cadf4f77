/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * org.procmgr1.Process: one object per live managed process, at
 * /org/procmgr1/process/<escaped name>, through a fallback vtable and a node
 * enumerator over the backend's managed table (nothing is registered per
 * process). Properties are read when asked (Command from /proc/PID/cmdline,
 * memory and CPU of the process from /proc); Stop and GetLogs go through the
 * adapter as STOP and LOGS of its pid.
 *
 * Must NOT: keep its own copy of the managed table, or build JSON.
 */

#include "daemon/bus-manager.h"

/* Registers the vtable and the enumerator on a->bus (slots kept in a). */
int bus_process_register(BusApi *a);
