/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * journald's stdout stream protocol: connect to /run/systemd/journal/stdout,
 * send seven header lines (identifier, unit id, priority, level prefix,
 * forward to syslog, kmsg, console), then plain text. See journal-stream.h.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "helper/journal-stream.h"
#include "shared/macro.h"

#define JOURNAL_STDOUT_PATH "/run/systemd/journal/stdout"
#define STREAM_SNDBUF (8 * 1024 * 1024)

/* Each header field is one line: a control character (a newline above all) would end it
 * early and let the rest of the field set the following ones (priority, forwarding to
 * kmsg or the console). Refused whoever the caller is. */
static bool header_field_ok(const char *s) {
        for (; s && *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

int journal_stream_fd(const char *identifier, const char *unit_prefix, pid_t pid, int priority) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_STDOUT_PATH };
        _cleanup_close_ int fd = -EBADF;
        char header[512], unit[300] = "";
        int n, sndbuf = STREAM_SNDBUF;
        size_t off = 0;

        if (!header_field_ok(identifier) || !header_field_ok(unit_prefix))
                return -EINVAL;
        if (unit_prefix) {
                n = snprintf(unit, sizeof(unit), "%s%i.scope", unit_prefix, (int) pid);
                if (n < 0 || (size_t) n >= sizeof(unit))
                        unit[0] = '\0';
        }
        n = snprintf(header, sizeof(header), "%.200s\n%s\n%i\n0\n0\n0\n0\n", identifier ?: "", unit, priority);
        if (n < 0 || (size_t) n >= sizeof(header))
                return -EINVAL;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        if (shutdown(fd, SHUT_RD) < 0)
                return -errno;
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
        while (off < (size_t) n) {
                ssize_t k = write(fd, header + off, (size_t) n - off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                off += (size_t) k;
        }
        return TAKE_FD(fd);
}
