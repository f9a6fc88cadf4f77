/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict UTF-8 validation, U+FFFD sanitizing, display width; see utf8.h. */

#include <string.h>

#include "shared/utf8.h"

size_t utf8_encoded_valid_len(const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s;
        unsigned char c;

        if (n == 0)
                return 0;
        c = p[0];
        if (c < 0x80)
                return 1;
        if (c < 0xC2)
                return 0; /* continuation byte, or an overlong 2-byte lead */
        if (c < 0xE0)
                return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
        if (c < 0xF0) {
                if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
                        return 0;
                if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
                        return 0; /* overlong, surrogate */
                return 3;
        }
        if (c < 0xF5) {
                if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
                        return 0;
                if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
                        return 0; /* overlong, > U+10FFFF */
                return 4;
        }
        return 0;
}

bool utf8_is_valid(const char *s, size_t len) {
        const unsigned char *p = (const unsigned char *) s;

        for (size_t i = 0; i < len;) {
                size_t k;

                /* ASCII first: command lines and names are nearly all ASCII. */
                if (p[i] < 0x80) {
                        i++;
                        continue;
                }
                k = utf8_encoded_valid_len(s + i, len - i);
                if (k == 0)
                        return false;
                i += k;
        }
        return true;
}

size_t utf8_sanitize(const char *s, size_t len, char nul_as, char *dst, size_t size) {
        const unsigned char *p = (const unsigned char *) s;
        size_t o = 0;

        if (size == 0)
                return 0;
        for (size_t i = 0; i < len;) {
                size_t k = p[i] == 0 ? 0 : utf8_encoded_valid_len(s + i, len - i);

                if (p[i] == 0 && nul_as != 0) {
                        if (o + 1 >= size)
                                break;
                        dst[o++] = nul_as;
                        i++;
                } else if (k == 0) {
                        if (o + 3 >= size)
                                break;
                        memcpy(dst + o, UTF8_REPLACEMENT_CHARACTER, 3);
                        o += 3;
                        i++;
                } else {
                        if (o + k >= size)
                                break;
                        memcpy(dst + o, p + i, k);
                        o += k;
                        i += k;
                }
        }
        dst[o] = '\0';
        return o;
}

size_t utf8_width(const char *s) {
        size_t w = 0;

        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if ((*p & 0xC0) != 0x80)
                        w++;
        return w;
}

size_t utf8_prefix_for_width(const char *s, size_t width) {
        const char *p;
        size_t w = 0;

        for (p = s; *p; p++)
                if ((*(const unsigned char *) p & 0xC0) != 0x80) {
                        if (w == width)
                                break;
                        w++;
                }
        return (size_t) (p - s);
}

void ascii_replace_non_ascii(const char *s, size_t len, char with, char *dst) {
        for (size_t i = 0; i < len; i++)
                dst[i] = (unsigned char) s[i] < 0x80 && s[i] != '\0' ? s[i] : with;
}
