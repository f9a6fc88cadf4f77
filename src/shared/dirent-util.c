/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* getdents64() chunks and numeric /proc entries; see dirent-util.h. */

#include <errno.h>
#include <stdint.h>

#include "shared/dirent-util.h"

ssize_t getdents_chunk(int dir_fd, void *buf, size_t size) {
        ssize_t k;

        do
                k = getdents64(dir_fd, buf, size);
        while (k < 0 && errno == EINTR);
        return k < 0 ? -errno : k;
}

pid_t dirent_to_pid(const struct dirent64 *d) {
        const char *s = d->d_name;
        uint64_t v = 0;

        if (*s < '1' || *s > '9')
                return 0;
        if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN)
                return 0;
        for (; *s >= '0' && *s <= '9' && v <= INT32_MAX; s++)
                v = v * 10 + (uint64_t) (*s - '0');
        if (*s != '\0' || v > INT32_MAX)
                return 0;
        return (pid_t) v;
}
