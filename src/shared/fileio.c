/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bounded whole-file reads at a dir fd; see fileio.h. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/fileio.h"
#include "shared/macro.h"

int read_virtual_file_at(int dir_fd, const char *path, char *buf, size_t size, size_t *ret_len) {
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        do
                n = read(fd, buf, size);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        *ret_len = (size_t) n;
        return 0;
}

int read_full_file_at(int dir_fd, const char *path, size_t max_size, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        /* One byte more than max_size is read to tell "exactly max_size" from "more". */
        size_t size = MIN((size_t) 4096, max_size + 2), len = 0;

        if (!ret)
                return -EINVAL;
        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (len + 1 >= size) {
                        size_t ns;
                        char *nb;

                        if (len > max_size)
                                return -EFBIG;
                        ns = MIN(size * 2, max_size + 2);
                        nb = realloc(buf, ns);
                        if (!nb)
                                return -ENOMEM;
                        buf = nb;
                        size = ns;
                }
                n = read(fd, buf + len, size - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len > max_size)
                return -EFBIG;
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int pread_full(int fd, char **buf, size_t *buf_size, size_t max_size, size_t *ret_len) {
        size_t len = 0;

        if (!buf || !*buf || !buf_size || *buf_size == 0)
                return -EINVAL;
        for (;;) {
                size_t space = *buf_size - len - 1;
                ssize_t n;
                char *nb;

                n = pread(fd, *buf + len, space, (off_t) len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                len += (size_t) n;
                if ((size_t) n < space)
                        break;
                /* Filled the buffer: grow and read on. */
                if (*buf_size >= max_size)
                        return -EFBIG;
                nb = realloc(*buf, *buf_size * 2);
                if (!nb)
                        return -ENOMEM;
                *buf = nb;
                *buf_size *= 2;
        }
        (*buf)[len] = '\0';
        if (ret_len)
                *ret_len = len;
        return 0;
}

int open_state_file(const char *dir, const char *name, int flags, mode_t mode, bool sync_dir, int *ret_fd) {
        _cleanup_close_ int dfd = -EBADF;
        int fd;

        if (!dir || !name || !ret_fd || name[0] == '\0' || strchr(name, '/') ||
            strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return -EINVAL;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        dfd = open(dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        fd = openat(dfd, name, flags | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, mode);
        if (fd < 0)
                return -errno;
        if (sync_dir)
                (void) fsync(dfd);
        *ret_fd = fd;
        return 0;
}
