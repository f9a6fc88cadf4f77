/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Listening sockets and accepting. Over the connection limit a new peer gets
 * one LimitExceeded line and is closed, instead of waiting in the backlog.
 * TCP and the Unix socket each have their own --max-connections, so TCP peers
 * can never take the slots of local users (root, polkit users); and one TCP
 * source may hold at most --max-connections-per-source of its share.
 * Near RLIMIT_NOFILE a new peer is refused the same way, so that the
 * descriptors a START receives from the spawn helper still fit.
 */

#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/connection.h"
#include "daemon/listener.h"
#include "shared/log.h"
#include "daemon/manager.h"
#include "shared/socket-util.h"

#define LISTENER_RETRY_USEC (100 * USEC_PER_MSEC)
/* Descriptors kept free below RLIMIT_NOFILE for the work of the connections we have: a
 * START takes up to three from the spawn helper, a STOP a pidfd, a follow a journal. */
#define LISTENER_NOFILE_HEADROOM 32

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Listener *l = userdata;

        (void) sd_event_source_set_enabled(l->io, SD_EVENT_ON);
        return 0;
}

/* accept() fails for want of descriptors or memory while the peer stays in the backlog:
 * the socket remains readable, and retrying at once would spin. Stop watching it for a
 * moment (connections that close meanwhile give descriptors back). */
static void listener_pause(Listener *l, int error) {
        int r;

        if (!l->pause_logged) {
                log_warning_errno(error, "Cannot accept a connection, pausing accepts: %m");
                l->pause_logged = true;
        }
        if (l->retry)
                r = sd_event_source_set_time_relative(l->retry, LISTENER_RETRY_USEC);
        else
                r = sd_event_add_time_relative(l->manager->event, &l->retry, CLOCK_MONOTONIC, LISTENER_RETRY_USEC,
                                               10 * USEC_PER_MSEC, on_retry, l);
        if (r >= 0)
                r = sd_event_source_set_enabled(l->retry, SD_EVENT_ONESHOT);
        if (r < 0)
                return;         /* can't come back later: keep trying now rather than never */
        (void) sd_event_source_set_enabled(l->io, SD_EVENT_OFF);
}

/* NULL when the peer may have a connection (its descriptor is cfd), else why not. */
static const char *listener_over_limit(Listener *l, int cfd, const SocketAddress *sa) {
        Manager *m = l->manager;
        uint8_t source[16];

        /* accept() hands out the lowest free number: one this high means few are left. */
        if (m->nofile_limit > 0 && m->nofile_limit < RLIM_INFINITY &&
            (rlim_t) cfd + LISTENER_NOFILE_HEADROOM >= m->nofile_limit)
                return "too many open files in procmgrd";

        if (l->is_unix)
                return m->n_connections - m->n_tcp_connections >= m->config.max_connections ?
                        "too many connections" : NULL;
        if (m->n_tcp_connections >= m->config.max_connections)
                return "too many connections";
        if (m->config.max_connections_per_source > 0 && sa->len > 0) {
                peer_source_key(&sa->sa, source);
                if (connection_count_source(m, source) >= m->config.max_connections_per_source)
                        return "too many connections from this address";
        }
        return NULL;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Listener *l = userdata;
        Manager *m = l->manager;

        /* Bounded: at most a batch per wakeup, so one busy listener can't starve the rest. */
        for (unsigned i = 0; i < 64; i++) {
                SocketAddress sa = { .len = sizeof(sa.storage) };
                const char *over;
                Connection *c;
                int cfd, r;

                cfd = accept4(l->fd, &sa.sa, &sa.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (cfd < 0) {
                        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                                return 0;
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                                listener_pause(l, -errno);
                                return 0;
                        }
                        return log_warning_errno(errno, "accept() failed, ignoring: %m"), 0;
                }
                l->pause_logged = false;
                over = listener_over_limit(l, cfd, &sa);
                if (over) {
                        log_debug("Refusing a connection: %s (limit %u, per source %u, descriptors %llu).", over,
                                  m->config.max_connections, m->config.max_connections_per_source,
                                  (unsigned long long) m->nofile_limit);
                        connection_refuse(cfd, ERROR_LIMIT_EXCEEDED, over);
                        continue;
                }
                r = connection_new(m, cfd, m->request_sink, m->request_sink_userdata, &c);
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
                struct stat st;

                l->path = strdup(path);
                if (!l->path) {
                        listener_free(l);
                        return -ENOMEM;
                }
                /* Just bound: remember which file it is, so exit never removes another's. */
                if (owned_path && lstat(path, &st) >= 0 && S_ISSOCK(st.st_mode)) {
                        l->path_dev = st.st_dev;
                        l->path_ino = st.st_ino;
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
        sd_event_source_disable_unref(l->retry);
        (void) safe_close(l->fd);
        if (l->owned_path && l->path && l->path_ino != 0) {
                struct stat st;
                if (lstat(l->path, &st) >= 0 && S_ISSOCK(st.st_mode) && st.st_dev == l->path_dev &&
                    st.st_ino == l->path_ino)
                        (void) unlink(l->path);
        }
        free(l->path);
        free(l);
        return NULL;
}
