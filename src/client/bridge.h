/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * `procctl bridge`: what ssh runs on the managed host. Copies its stdin to the
 * daemon's local Unix socket and the socket back to its stdout, so the daemon
 * sees the SSH login user through SO_PEERCRED. Bytes only: must not parse,
 * buffer more than BRIDGE_BUFFER_SIZE per direction, fork, or outlive either
 * side (stdin at EOF: the socket is half-closed and the daemon's last replies
 * delivered; the socket at EOF or stdout gone: exit).
 */

#define BRIDGE_BUFFER_SIZE (64U * 1024U)

/* Returns the exit status: 0 when a side closed, 2 when the socket cannot be reached (said
 * on stderr, "procctl: cannot connect to unix:PATH: …") or an I/O error. */
int bridge_run(const char *unix_path, int in_fd, int out_fd);
