/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Helpers shared by the benchmark tools (loadgen, limit-server, proc-floor,
 * holder): cleanup attributes, a monotonic clock, checked number parsing,
 * "ADDR:PORT" / Unix path → sockaddr, and percentiles over sorted samples.
 * Header-only and libc-only on purpose: the tools must build with a bare
 * `cc -O2 bench/x.c` before (or without) the autotools build of the daemon,
 * so they do not link against src/.
 */

/* accept4(), memmem(), signalfd flags; config.h defines it in the autotools build. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define NSEC_PER_USEC UINT64_C(1000)
#define NSEC_PER_MSEC UINT64_C(1000000)
#define NSEC_PER_SEC UINT64_C(1000000000)

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
        *f = NULL;
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline uint64_t now_ns(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * NSEC_PER_SEC + (uint64_t) ts.tv_nsec;
}

/* Strict unsigned parse: the whole string, base 10, within [0, max]. */
static inline int parse_u64(const char *s, uint64_t max, uint64_t *ret) {
        char *end = NULL;
        unsigned long long v;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0)
                return -errno;
        if (*end != '\0')
                return -EINVAL;
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* Seconds with an optional fraction ("2", "0.5") → nanoseconds, at most a day. */
static inline int parse_seconds(const char *s, uint64_t *ret) {
        char *end = NULL;
        double v;

        if (!s || *s == '\0')
                return -EINVAL;
        errno = 0;
        v = strtod(s, &end);
        if (errno != 0)
                return -errno;
        if (*end != '\0' || !(v >= 0.0) || v > 86400.0)
                return -EINVAL;
        *ret = (uint64_t) (v * 1e9);
        return 0;
}

/*
 * "ADDR:PORT" (IPv4, or "[v6]:PORT") → sockaddr. Only numeric addresses:
 * benchmarks talk to loopback, and a resolver call would be measured too.
 */
static inline int parse_inet_address(const char *s, struct sockaddr_storage *ret, socklen_t *ret_len) {
        char host[INET6_ADDRSTRLEN + 1];
        const char *colon, *h = s;
        size_t hl;
        uint64_t port;
        int r;

        colon = strrchr(s, ':');
        if (!colon)
                return -EINVAL;
        r = parse_u64(colon + 1, 65535, &port);
        if (r < 0)
                return r;
        hl = (size_t) (colon - s);
        if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
                h = s + 1;
                hl -= 2;
        }
        if (hl == 0 || hl >= sizeof(host))
                return -EINVAL;
        memcpy(host, h, hl);
        host[hl] = '\0';

        memset(ret, 0, sizeof(*ret));
        if (strchr(host, ':')) {
                struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *) ret;

                if (inet_pton(AF_INET6, host, &sa6->sin6_addr) != 1)
                        return -EINVAL;
                sa6->sin6_family = AF_INET6;
                sa6->sin6_port = htons((uint16_t) port);
                *ret_len = sizeof(*sa6);
        } else {
                struct sockaddr_in *sa4 = (struct sockaddr_in *) ret;

                if (inet_pton(AF_INET, host, &sa4->sin_addr) != 1)
                        return -EINVAL;
                sa4->sin_family = AF_INET;
                sa4->sin_port = htons((uint16_t) port);
                *ret_len = sizeof(*sa4);
        }
        return 0;
}

static inline int parse_unix_address(const char *path, struct sockaddr_storage *ret, socklen_t *ret_len) {
        struct sockaddr_un *sun = (struct sockaddr_un *) ret;
        size_t l = strlen(path);

        if (l == 0 || l >= sizeof(sun->sun_path))
                return -ENAMETOOLONG;
        memset(ret, 0, sizeof(*ret));
        sun->sun_family = AF_UNIX;
        memcpy(sun->sun_path, path, l);
        *ret_len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + l + 1);
        return 0;
}

/* Raise the soft descriptor limit to the hard one; N idle connections need N fds. */
static inline void raise_nofile_limit(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
}

static inline int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* Nearest-rank percentile (p in [0,100]) of n sorted samples; 0 for none. */
static inline uint64_t percentile_sorted(const uint64_t *v, size_t n, double p) {
        size_t rank;

        if (n == 0)
                return 0;
        rank = (size_t) (p / 100.0 * (double) n + 0.999999);
        if (rank < 1)
                rank = 1;
        if (rank > n)
                rank = n;
        return v[rank - 1];
}
