/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shell-free command splitting; see split.h for the exact grammar. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "shared/split.h"
#include "shared/string-util.h"
#include "shared/strv.h"

int split_command(const char *s, size_t max_words, char ***ret) {
        _cleanup_strv_free_ char **words = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, allocated = 0;

        /* A word is never longer than the input, so one buffer of that size suffices. */
        buf = malloc(strlen(s) + 1);
        if (!buf)
                return -ENOMEM;

        for (const char *p = s;;) {
                size_t k = 0;
                bool in_word = false;

                while (is_whitespace(*p))
                        p++;
                if (*p == '\0')
                        break;

                while (*p != '\0' && !is_whitespace(*p)) {
                        in_word = true;
                        if (*p == '\'') {
                                const char *e = strchr(p + 1, '\'');
                                if (!e)
                                        return -EINVAL;
                                memcpy(buf + k, p + 1, e - p - 1);
                                k += e - p - 1;
                                p = e + 1;
                        } else if (*p == '"') {
                                for (p++;; p++) {
                                        if (*p == '\0')
                                                return -EINVAL;
                                        if (*p == '"')
                                                break;
                                        if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                                                p++;
                                        buf[k++] = *p;
                                }
                                p++;
                        } else if (*p == '\\') {
                                if (p[1] == '\0')
                                        return -EINVAL;
                                buf[k++] = p[1];
                                p += 2;
                        } else
                                buf[k++] = *p++;
                }

                if (in_word) {
                        char *w;

                        if (n >= max_words)
                                return -E2BIG;
                        /* Doubling, not one slot per word: tens of thousands of words
                         * must not cost a quadratic number of copies. */
                        if (n + 2 > allocated) {
                                size_t a = MAX((size_t) 16, allocated * 2);
                                char **t = reallocarray(words, a, sizeof(char *));

                                if (!t)
                                        return -ENOMEM;
                                words = t;
                                allocated = a;
                        }
                        w = strndup(buf, k);
                        if (!w)
                                return -ENOMEM;
                        words[n++] = w;
                        words[n] = NULL;
                }
        }

        if (!words) {
                words = calloc(1, sizeof(char *));
                if (!words)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(words);
        return (int) MIN(n, (size_t) 0x7fffffff);
}
