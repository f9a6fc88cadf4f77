/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Shared by the fuzz targets and fuzz-main.c: the libFuzzer entry point and an
 * invariant check that stays on in every build (assert() may be compiled out).
 * A failed invariant aborts, which libFuzzer reports as a crash with the input
 * saved, and which fails the corpus replay in `make check`.
 */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "shared/split.h"
#include "shared/strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_assert(expr)                                                               \
        do {                                                                            \
                if (!(expr)) {                                                          \
                        fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,      \
                                __LINE__, #expr);                                       \
                        abort();                                                        \
                }                                                                       \
        } while (0)

/* split_command() with the invariants that hold for any input: returns the words (the
 * caller frees them), or NULL when the input was refused (-EINVAL, -E2BIG). */
static inline char **fuzz_split_command(const char *s, size_t max) {
        char **words = NULL;
        int r;

        r = split_command(s, max, &words);
        fuzz_assert(r >= 0 || r == -EINVAL || r == -E2BIG);
        if (r < 0)
                return NULL;
        fuzz_assert(words);
        fuzz_assert((size_t) r <= max);
        fuzz_assert(strv_length(words) == (size_t) r);
        return words;
}
