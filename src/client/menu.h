/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The interactive numbered menu `procctl` opens when given no command, as the
 * original project had it: 1 PING, 2 LIST, 3 START, 4 STOP, 5 INFO, 6 EXIT.
 * Reads one line per answer, so it works the same on a terminal and on a pipe
 * (`printf '1\n6\n' | procctl`); end of input leaves like EXIT. The menu only
 * asks: each choice becomes a command-line verb (argv) handed to the caller's
 * run function, so the menu and one-shot commands share one code path.
 */

#include <stdio.h>

/* Runs one verb, argv[0] being its name ("ping", "stop", …); returns its exit status. */
typedef int (*MenuRunVerb)(int argc, char **argv, void *userdata);

/* Returns 0 after EXIT or end of input, a negative errno on a read error. target is
 * shown in the banner (may be NULL). */
int menu_run(FILE *in, FILE *out, const char *target, MenuRunVerb run, void *userdata);
