/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fd flags, procfs detection, closing inherited fds; see fd-util.h. */

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "shared/fd-util.h"
#include "shared/macro.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

int fd_set_nonblock(int fd, bool nonblock) {
        int flags = fcntl(fd, F_GETFL);

        if (flags < 0)
                return -errno;
        flags = nonblock ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
        return RET_NERRNO(fcntl(fd, F_SETFL, flags));
}

bool fd_is_procfs(int fd) {
        struct statfs sfs;

        return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

int close_all_fds_except(const int *keep, size_t n) {
        /* Walking /proc/self/fd would need allocation-free directory code; below the
         * highest kept fd a plain loop is short, above it close_range() does the rest. */
        int max = 3;

        for (size_t i = 0; i < n; i++)
                max = MAX(max, keep[i] + 1);
        for (int fd = 3; fd < max; fd++) {
                bool k = false;

                for (size_t i = 0; i < n; i++)
                        if (keep[i] == fd)
                                k = true;
                if (!k)
                        (void) close(fd);
        }
        if (syscall(SYS_close_range, (unsigned) max, ~0U, 0) >= 0)
                return 0;
        long lim = sysconf(_SC_OPEN_MAX);
        for (long fd = max; fd < MIN(lim, 65536L); fd++)
                (void) close((int) fd);
        return 0;
}
