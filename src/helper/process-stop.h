/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The privileged half of STOP: pin a process by (pid, start time) and signal
 * it, and the SIGKILL of the TERM → KILL escalation. A request struct in, a
 * pinned PidRef or a negative errno out; procmgr-spawn serves it to the front
 * (SIGNAL of spawn-wire.h) after its own checks. Includes only shared/: no
 * event loop (the timer and the exit watch that drive the escalation live in
 * the front's backend.c), no JSON, no D-Bus. Never logs above debug.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/pidref.h"

typedef struct StopRequest {
        pid_t pid;
        uint64_t start_ticks;   /* the process the caller means; 0: whatever runs as pid */
        int signal;
        bool group;             /* also the process group it leads (its own session) */
} StopRequest;

/* Pins req->pid, makes sure it is still the process with req->start_ticks (-ESRCH if it
 * is gone or the pid was recycled), and sends req->signal, followed by SIGCONT unless that
 * is SIGKILL or SIGCONT (a stopped process cannot act on SIGTERM); with req->group the
 * same signals go to the process group it leads, sent while it is pinned, so the group id
 * cannot name a recycled group. On success *ret holds the pinned process, for the exit
 * watch and the escalation. */
int process_stop_signal(const StopRequest *req, PidRef *ret);

/* Signal an already pinned process: req->signal (+ SIGCONT, as above), with group the
 * process group it leads first. -ESRCH once it is gone; but 0 when the group's signal
 * reached it alive and it is gone by the time of its own (it died of the first one and
 * a parent other than the caller, e.g. a subreaper, reaped it in between). */
int process_stop_signal_pinned(const PidRef *p, int sig, bool group);

/* The escalation: SIGKILL to the pinned process, and with group to the process group it
 * leads (children that ignore SIGTERM die with it). -ESRCH once the process is gone (0 in
 * the same case as above). */
int process_stop_kill(const PidRef *pid, bool group);
