/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A stdout/stderr stream to journald, as sd_journal_stream_fd() opens, that
 * also names the unit the writer runs in. journald finds the unit of a
 * stream from the writer's cgroup when it reads the first line; a process
 * that has already exited by then (`echo hello`) has no cgroup any more, and
 * journald falls back to the unit named in the stream header — which it
 * accepts from root only. Allocation-free: called in the forked child.
 */

#include <sys/types.h>

/* unit_prefix: the scope is named <unit_prefix><pid>.scope (NULL: no unit named). Returns
 * the connected descriptor or a negative errno; -EINVAL for a control character in
 * identifier or unit_prefix (it would forge the header's following lines). */
int journal_stream_fd(const char *identifier, const char *unit_prefix, pid_t pid, int priority);
