/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Split a command string into argv the way users type it, without a shell:
 * words are separated by blanks; '…' groups literally; "…" groups and allows
 * \" and \\ inside; a backslash outside quotes escapes the next character.
 * No expansion of any kind ($, *, ~, ;, | are ordinary characters).
 * Used by the plain request form, START `command` and procctl. Pure.
 */

#include <stddef.h>

/* Returns the number of words (may be 0) and the vector in *ret; -EINVAL for an
 * unterminated quote or trailing backslash, -E2BIG for more than max_words words,
 * -ENOMEM. */
int split_command(const char *s, size_t max_words, char ***ret);
