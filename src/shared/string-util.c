/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* C-locale character classes and trimming; see string-util.h. */

#include <string.h>

#include "shared/string-util.h"

char *strstrip(char *s) {
        size_t n = strlen(s);

        while (n > 0 && is_whitespace(s[n - 1]))
                s[--n] = '\0';
        while (is_whitespace(*s))
                s++;
        return s;
}

char *string_replace_control(char *s, char with) {
        for (char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = with;
        return s;
}

void string_sanitize(const char *s, size_t max, char *buf, size_t size) {
        size_t i = 0;

        if (size == 0)
                return;
        for (; s && s[i] && i < max && i + 1 < size; i++) {
                unsigned char c = (unsigned char) s[i];
                /* Printable ASCII only: also keeps the message valid UTF-8. */
                buf[i] = c >= 0x20 && c < 0x7f ? (char) c : '?';
        }
        buf[i] = '\0';
        /* Mark truncation, so a shortened name is not mistaken for the real one. */
        if (s && s[i] && i >= 3)
                buf[i - 1] = buf[i - 2] = buf[i - 3] = '.';
}
