/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * UTF-8 as the wire needs it: validity in the strict sense JSON and jansson
 * use (no overlong forms, no surrogates, nothing above U+10FFFF), replacing
 * what is not valid with U+FFFD, and the display width a terminal table counts.
 * Pure functions over byte buffers: no allocation, no locale, no logging.
 */

#include <stdbool.h>
#include <stddef.h>

#define UTF8_REPLACEMENT_CHARACTER "\xEF\xBF\xBD"
/* The worst case of utf8_sanitize(): every byte becomes U+FFFD. */
#define UTF8_SANITIZED_MAX(len) ((len) * 3 + 1)

/* Length of the valid sequence at s (1…4; 1 for a NUL), 0 when s[0..n) starts an invalid one. */
size_t utf8_encoded_valid_len(const char *s, size_t n);

/* True when s[0..len) is valid UTF-8 (NUL bytes count as valid). */
bool utf8_is_valid(const char *s, size_t len);

/* Copies s[0..len) to dst (size bytes including the terminating NUL, which is always
 * written when size > 0) with each byte that does not start a valid sequence replaced
 * by U+FFFD, and each NUL replaced by nul_as (or by U+FFFD when nul_as is 0). Stops at a
 * character boundary when dst is full. Returns the length written. */
size_t utf8_sanitize(const char *s, size_t len, char nul_as, char *dst, size_t size);

/* Copies s[0..len) to dst (len bytes, not terminated) keeping ASCII but NUL and replacing
 * every other byte by with: for text that is not valid UTF-8 and whose encoding is
 * unknown. Unlike utf8_sanitize(), the length stays the same. */
void ascii_replace_non_ascii(const char *s, size_t len, char with, char *dst);

/* Display columns of a NUL-terminated string as procctl's tables count them: one per
 * code point and one per stray byte (continuation bytes count nothing). No wide
 * (East Asian) or zero-width handling. */
size_t utf8_width(const char *s);
/* The byte length of the longest prefix of s that is at most width columns wide. */
size_t utf8_prefix_for_width(const char *s, size_t width);
