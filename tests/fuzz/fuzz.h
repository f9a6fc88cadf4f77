/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Shared by the fuzz targets and fuzz-main.c: the libFuzzer entry point and an
 * invariant check that stays on in every build (assert() may be compiled out).
 * A failed invariant aborts, which libFuzzer reports as a crash with the input
 * saved, and which fails the corpus replay in `make check`.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_assert(expr)                                                               \
        do {                                                                            \
                if (!(expr)) {                                                          \
                        fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,      \
                                __LINE__, #expr);                                       \
                        abort();                                                        \
                }                                                                       \
        } while (0)
