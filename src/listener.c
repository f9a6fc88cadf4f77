/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Listening sockets and accepting. Over the connection limit a new peer gets
 * one LimitExceeded line and is closed, instead of waiting in the backlog.
 */

#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connection.h"
#include "listener.h"
#include "log.h"
#include "manager.h"

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Listener *l = userdata;
        Manager *m = l->manager;

        /* Bounded: at most a batch per wakeup, so one busy listener can't starve the rest. */
        for (unsigned i = 0; i < 64; i++) {
                Connection *c;
                int cfd, r;

                cfd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                                return 0;
                        if (errno == EMFILE || errno == ENFILE) {
                                log_warning_errno(errno, "Cannot accept a connection: %m");
                                return 0;
                        }
                        return log_warning_errno(errno, "accept() failed, ignoring: %m"), 0;
                }
                if (m->n_connections >= m->config.max_connections) {
                        log_debug("Connection limit (%u) reached, refusing a connection.", m->config.max_connections);
                        connection_refuse(cfd, ERROR_LIMIT_EXCEEDED, "too many connections");
                        continue;
                }
                r = connection_new(m, cfd, &c);
                if (r < 0)
                        log_warning_errno(r, "Failed to set up connection, ignoring: %m");
        }
        return 0;
}

int listener_new(Manager *m, int fd, bool owned_path, const char *path, Listener **ret) {
        Listener *l;
        int r;

        l = calloc(1, sizeof(Listener));
        if (!l) {
                (void) safe_close(fd);
                return -ENOMEM;
        }
        *l = (Listener) { .manager = m, .fd = fd, .owned_path = owned_path, .is_unix = !!path };
        if (path) {
                l->path = strdup(path);
                if (!l->path) {
                        listener_free(l);
                        return -ENOMEM;
                }
        }
        r = sd_event_add_io(m->event, &l->io, fd, EPOLLIN, on_accept, l);
        if (r < 0) {
                listener_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

Listener *listener_free(Listener *l) {
        if (!l)
                return NULL;
        sd_event_source_disable_unref(l->io);
        (void) safe_close(l->fd);
        if (l->owned_path && l->path)
                (void) unlink(l->path);
        free(l->path);
        free(l);
        return NULL;
}
