/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Small helpers used everywhere: scope-bound cleanup (_cleanup_), ownership
 * transfer (TAKE_PTR/TAKE_FD) and a few attribute shorthands. Modelled on the
 * public-facing subset of systemd's macros; nothing here allocates or logs.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* usec_t and its constants, used nearly everywhere. */
#include "shared/time-util.h"

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define STRLEN(s) (sizeof(s) - 1)

/* Evaluate expression even with NDEBUG, assert its truth otherwise. */
#define assert_se(expr)                                                         \
        do {                                                                    \
                if (_unlikely_(!(expr)))                                        \
                        abort();                                                \
        } while (0)

#define TAKE_PTR(p)                                                             \
        ({                                                                      \
                typeof(p) _p_ = (p);                                            \
                (p) = NULL;                                                     \
                _p_;                                                            \
        })

#define TAKE_FD(fd)                                                             \
        ({                                                                      \
                int _fd_ = (fd);                                                \
                (fd) = -EBADF;                                                  \
                _fd_;                                                           \
        })

/* A made-up errno for a condition that did not come from a syscall. */
#define SYNTHETIC_ERRNO(e) (-(e))

/* Turn a libc "-1 and errno" return into a negative errno. */
#define RET_NERRNO(expr)                                                        \
        ({                                                                      \
                long _r_ = (expr);                                              \
                _r_ < 0 ? -errno : (int) _r_;                                   \
        })

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                 \
        static inline void func##p(type *p) {                                   \
                if (*p)                                                         \
                        *p = func(*p);                                          \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline int safe_close(int fd) {
        if (fd >= 0) {
                int saved = errno;
                (void) close(fd);
                errno = saved;
        }
        return -EBADF;
}

static inline void closep(int *fd) {
        *fd = safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                (void) fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline const char *strna(const char *s) {
        return s ?: "n/a";
}

static inline const char *yes_no(int b) {
        return b ? "yes" : "no";
}

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}
