/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Whether procctl running as root may talk to a Unix socket (issue 15, item 9), in the
 * spirit of ssh's StrictModes: anyone who can replace the socket file could put a fake
 * daemon behind it and receive root's requests. The socket, and every directory on the
 * way to it (as given and as resolved), must be owned by root or by the user the
 * listening daemon runs as (SO_PEERCRED of the connection), and no directory may be
 * writable by group or others unless it is sticky (/tmp: entries there can only be
 * replaced by their owners, which are checked in turn). For the default socket path only
 * root counts as an owner: a fake daemon would run as the user who made the directory.
 *
 * Must NOT: connect, print, or be applied to callers other than root (procctl decides).
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* 0 when trusted; -EPERM with the reason in msg when not; other < 0 on errors (stat).
 * peer_uid: the listener's uid; allow_peer: whether that uid may own the path. */
int socket_trust_check(const char *path, uid_t peer_uid, bool allow_peer, char *msg, size_t msg_size);
