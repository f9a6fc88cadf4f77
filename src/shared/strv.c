/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated string vectors; see strv.h. */

#include <stdlib.h>
#include <string.h>

#include "shared/strv.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;

        if (l)
                while (l[n])
                        n++;
        return n;
}

int strv_consume(char ***l, size_t *n, char *value) {
        char **c;

        if (!value)
                return -ENOMEM;
        c = reallocarray(*l, *n + 2, sizeof(char *));
        if (!c) {
                free(value);
                return -ENOMEM;
        }
        c[(*n)++] = value;
        c[*n] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, size_t *n, const char *value) {
        return strv_consume(l, n, strdup(value));
}

char *strv_join(char *const *l, const char *sep) {
        size_t len = 0, k = strlen(sep);
        char *r, *p;

        for (char *const *i = l; i && *i; i++)
                len += strlen(*i) + k;
        r = p = malloc(len + 1);
        if (!r)
                return NULL;
        for (char *const *i = l; i && *i; i++) {
                if (p != r)
                        p = stpcpy(p, sep);
                p = stpcpy(p, *i);
        }
        *p = '\0';
        return r;
}
