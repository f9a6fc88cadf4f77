/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * File descriptor helpers both programs and the forked child use. The child
 * calls close_all_fds_except() between fork and exec, so that one allocates
 * nothing and takes no locks. No logging.
 */

#include <stdbool.h>
#include <stddef.h>

int fd_set_nonblock(int fd, bool nonblock);

/* Whether fd is on a real procfs (not a fixture tree standing in for one). */
bool fd_is_procfs(int fd);

/* Closes every fd >= 3 not in keep[0..n): close_range() where the kernel has it
 * (5.9+), else a loop bounded by the descriptor limit (at most 65536). Async-signal-safe. */
int close_all_fds_except(const int *keep, size_t n);
