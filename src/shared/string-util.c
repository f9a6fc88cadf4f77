/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* C-locale character classes and trimming; see string-util.h. */

#include "config.h"

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
