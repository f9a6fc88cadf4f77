/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Character classes and small string helpers in the C locale. There are two
 * notions of "blank" in procmgr and they differ on purpose: is_blank() is a
 * horizontal blank (' ', '\t': what separates words inside one line),
 * is_whitespace() is any C-locale white space (' ', '\t', '\n', '\v', '\f',
 * '\r': what separates words in a command string and what is trimmed from an
 * answer line). No allocation, no logging.
 */

#include <stdbool.h>
#include <stddef.h>

static inline bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static inline bool is_whitespace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* strna() and yes_no() stay in macro.h: nearly every file uses them. */

/* Cuts trailing white space off s in place and returns s past its leading white space. */
char *strstrip(char *s);

/* Replaces every C0 control character and DEL in s by with, in place; returns s. Keeps
 * untrusted text from moving a terminal's cursor. */
char *string_replace_control(char *s, char with);

/* Copies a client-supplied string into buf for use inside a message: at most max bytes
 * of it, every byte but printable ASCII replaced by '?' (so a reply line can never be
 * broken and stays valid UTF-8), and "..." at the end when it was cut. */
void string_sanitize(const char *s, size_t max, char *buf, size_t size);
