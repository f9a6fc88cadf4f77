/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* NULL-terminated string vectors (argv, envp). Pure helpers, no logging. */

#include <stddef.h>

#include "shared/macro.h"

char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);
/* Appends value, taking ownership of it (freed on failure too). 0 or -ENOMEM. */
int strv_consume(char ***l, size_t *n, char *value);
int strv_extend(char ***l, size_t *n, const char *value);
/* Joins with single spaces; NULL on OOM. */
char *strv_join(char *const *l, const char *sep);
