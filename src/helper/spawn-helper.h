/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * procmgr-spawn, the privileged half of procmgrd: fork + identity switch +
 * exec of a START the front has already authorized, and signals to a pinned
 * process. It speaks only spawn-wire.h over one AF_UNIX SOCK_SEQPACKET
 * connection, re-validates every field it acts on (users and groups exist,
 * bounds, the pidfd names the pid and its start time; never PID 1, itself, its
 * parent or the front), reaps its children and reports their exits. It never
 * touches the network, JSON, D-Bus or an event loop library, and it makes no
 * authorization decision of its own beyond those checks.
 *
 * Two ways to run: `procmgr-spawn` under systemd (procmgr-spawn.socket,
 * Accept=yes: one instance per front connection on fd 3), or forked by a
 * procmgrd started as root outside systemd before it drops its privileges
 * (spawn_helper_fork(): a small listener that hands the front a fresh
 * connection, served by a fresh worker, whenever it asks — so a worker that
 * dies is replaced at the next request).
 */

#include <sys/types.h>

#include "helper/privileges.h"

/* Serves one connection until EOF. front: the front's pid (never signalled); 0: unknown.
 * Returns 0 at EOF, < 0 on a failure of the connection itself. */
int spawn_helper_serve(int fd, pid_t front);

/* Forks the listener (child of the caller, which is the front): it drops privileges as
 * c says (privileges_drop(), the keep-set) and answers each byte on the control socket
 * with a new connection descriptor, served by a forked worker. *ret_control_fd: the
 * front's end (SOCK_SEQPACKET, CLOEXEC). Call before anything else is opened that the
 * helper must not inherit; it closes every descriptor but 0-2 anyway. */
int spawn_helper_fork(const PrivilegesConfig *c, int *ret_control_fd, pid_t *ret_pid);

/* The front's side of the control socket: a new connection (CLOEXEC), or < 0. */
int spawn_helper_request_connection(int control_fd);
