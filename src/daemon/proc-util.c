/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc root shared by the /proc readers; see proc-util.h. */

#include <errno.h>
#include <fcntl.h>

#include "shared/macro.h"
#include "daemon/proc-util.h"

int proc_root_open(int proc_fd) {
        _cleanup_close_ int fd = proc_fd;

        if (fd < 0) {
                fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
        } else if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                return -errno;
        return TAKE_FD(fd);
}
