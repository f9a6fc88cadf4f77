/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Walking a directory with getdents64() into a caller's buffer, and the test
 * the /proc readers need for every entry: is it a process (a directory whose
 * name is a pid)? One getdents64() lists hundreds of entries without the
 * allocation and per-entry call of readdir(), which matters for LIST over
 * thousands of processes. No allocation, no logging.
 */

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One getdents64() of at most size bytes into buf (EINTR retried): the number of bytes
 * filled, 0 at the end of the directory, or -errno. */
ssize_t getdents_chunk(int dir_fd, void *buf, size_t size);

/* The entries of one chunk. The loop body must not change d. */
#define FOREACH_DIRENT_IN_BUFFER(d, buf, n)                                             \
        for (struct dirent64 *d = (struct dirent64 *) (buf);                            \
             (char *) d < (char *) (buf) + (n);                                         \
             d = (struct dirent64 *) ((char *) d + d->d_reclen))

/* The pid a /proc entry names: a directory (or unknown type) whose name is a decimal
 * number in 1…INT32_MAX without leading zeros. 0 for anything else. */
pid_t dirent_to_pid(const struct dirent64 *d);
