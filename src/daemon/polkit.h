/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Asynchronous polkit CheckAuthorization over sd-bus. The subject is a
 * unix-process {pid, start-time, uid} (start-time = field 22 of
 * /proc/PID/stat, so polkit and we agree on which process is meant), or for a
 * D-Bus caller its system-bus-name (a unique name is never reused, so it needs
 * no pinning); flags 0 (never interactive) unless the subject says the caller
 * allowed interaction. The event loop keeps serving while polkitd thinks.
 *
 * Knows nothing about connections or the protocol: auth.c turns the outcome
 * into a decision. Logs at debug level only.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

typedef struct PolkitSubject {
        pid_t pid;
        uint64_t start_ticks;
        uid_t uid;
        const char *bus_name;           /* set: subject system-bus-name, the fields above unused */
        bool interactive;               /* the D-Bus message allowed interactive authorization */
} PolkitSubject;

typedef struct PolkitQuery PolkitQuery;

/* Outcome of a query:
 *   r > 0   authorized
 *   r == 0  not authorized (is_challenge tells whether interaction would have helped)
 *   -EHOSTUNREACH  polkit is not reachable (no bus, ServiceUnknown, NameHasNoOwner,
 *                  disconnected): the caller may use its fallback
 *   other r < 0    polkit answered with an error (unknown action, not an action owner…):
 *                  the caller must deny
 * error: the D-Bus error polkit or the bus answered with, for the log; NULL if none. */
typedef void (*PolkitCallback)(int r, bool is_challenge, const sd_bus_error *error, void *userdata);

/* Sends the request. On success *ret is the pending query (owned by the caller until
 * the callback ran; the callback is always called exactly once, later, never from
 * inside this function). Returns -EHOSTUNREACH when the bus is NULL or closed. */
int polkit_check_authorization(sd_bus *bus, const PolkitSubject *subject, const char *action_id,
                               PolkitCallback cb, void *userdata, PolkitQuery **ret);

/* Cancels a pending query without calling its callback. Returns NULL. */
PolkitQuery *polkit_query_cancel(PolkitQuery *q);

/* Maps a D-Bus error name to the polkit outcome above (exposed for tests). */
int polkit_error_to_errno(const char *name, int fallback);
