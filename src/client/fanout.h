/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One command on many hosts: a forked child per host (at most `parallel` at a
 * time) runs the command as if given that one host, with its stdout and stderr
 * on pipes; the parent prints every line as it comes, prefixed by the host
 * ("HOST: …", padded to the longest name so columns stay aligned), stdout to
 * stdout and stderr to stderr. With json, a stdout line that is a JSON object
 * gets a "host" member instead. A host that fails or hangs never holds back
 * another's lines (the child is bounded by procctl's --timeout like any call).
 * Must not read stdin (children get /dev/null) and keeps one line per child in
 * memory, at most FANOUT_LINE_MAX bytes.
 */

#include <stdbool.h>
#include <stddef.h>

#define FANOUT_PARALLEL_DEFAULT 16U
/* A --json LIST of a busy host is one long line; beyond this it is passed on in pieces. */
#define FANOUT_LINE_MAX (64U * 1024U * 1024U + 1U)

/* Runs in the child with stdout/stderr redirected; returns its exit status. */
typedef int (*FanoutChild)(const char *host, void *userdata);

/* Returns the worst exit status (0 < 1 < 2; a child killed by a signal counts as 2). */
int fanout_run(char *const *hosts, size_t n, unsigned parallel, bool json, FanoutChild child, void *userdata);
