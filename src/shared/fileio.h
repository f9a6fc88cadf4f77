/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Reading small files whole: virtual files under /proc and fixture trees, given
 * relative to a directory fd so tests can point the readers at a tree of their
 * own. Every read is bounded by the caller; nothing here logs or follows a
 * file's size as stat() reports it (procfs says 0).
 * Also the one way the daemon opens its own state files (open_state_file()).
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One open + one read() of at most size bytes + close: a /proc/<pid>/… file, whose
 * content the kernel produces in one go. No terminating NUL is added. */
int read_virtual_file_at(int dir_fd, const char *path, char *buf, size_t size, size_t *ret_len);

/* The whole of dir_fd/path into a new NUL-terminated buffer; -EFBIG beyond max_size bytes. */
int read_full_file_at(int dir_fd, const char *path, size_t max_size, char **ret, size_t *ret_len);

/* Re-reads an open file from offset 0 (pread, so the fd can be kept and read again) into
 * *buf, a malloc'ed buffer of *buf_size bytes that grows (doubling, up to max_size) when
 * the content does not fit; NUL-terminated. One pread() when it fits. */
int pread_full(int fd, char **buf, size_t *buf_size, size_t max_size, size_t *ret_len);

/* Opens (creating it with mode if absent) dir/name for the daemon's state: dir is created
 * 0755 if missing, name is opened relative to it with O_CLOEXEC|O_NOFOLLOW added to flags
 * (a symlink planted there is refused with -ELOOP). name must be a plain file name, no '/'.
 * With sync_dir the directory is fsync'ed so that a newly created entry is durable. */
int open_state_file(const char *dir, const char *name, int flags, mode_t mode, bool sync_dir, int *ret_fd);
