/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the /proc readers (proc.c, sysinfo.c) share: the root they read below. */

#include <stdbool.h>

#include "shared/fd-util.h" /* fd_is_procfs() */

/* The /proc root of a reader: proc_fd taken over (and made close-on-exec), or /proc
 * opened when proc_fd is negative (a fixture tree is passed as proc_fd in the tests).
 * Returns the fd or -errno; proc_fd is closed on failure. */
int proc_root_open(int proc_fd);
