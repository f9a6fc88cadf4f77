/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-connection framing and reply ordering; see connection.h.
 *
 * Bounds: the input buffer never holds more than max_line + one read; a line
 * longer than max_line gets RequestTooLarge and the connection is closed. The
 * output queue and the number of calls in flight are bounded too: past them
 * we stop reading from this peer until it has taken its replies, so a client
 * that never reads cannot make us buffer without limit.
 */

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "daemon/commands.h"
#include "daemon/connection.h"
#include "daemon/manager.h"
#include "protocol/reply.h"
#include "shared/log.h"
#include "shared/socket-util.h"

#define CONNECTION_READ_SIZE (64U * 1024U)
#define CONNECTION_OUT_HIGH (4U * 1024U * 1024U)        /* stop reading above this */
#define CONNECTION_CALLS_MAX 128U                        /* requests in flight per connection */
#define CONNECTION_WRITE_MAX (256U * 1024U)              /* bytes sent per wakeup */

/* See on_poller(). */
#define POLLER_BATCH 64

struct ConnectionPoller {
        int fd;
        sd_event_source *source;
        struct epoll_event events[POLLER_BATCH];
        int i, n;                       /* the batch being served: events[i+1…n) are still to come */
};

static void connection_update_events(Connection *c);
static void connection_progress(Connection *c);
static int connection_process_input(Connection *c);

static void connection_close(Connection *c) {
        (void) connection_free(c);
}

static void connection_flush_calls(Connection *c) {
        while (c->calls_head && c->calls_head->done) {
                Call *call = c->calls_head;
                _cleanup_free_ char *line = NULL;
                size_t len = 0;

                c->calls_head = call->next;
                if (!c->calls_head)
                        c->calls_tail = NULL;
                c->n_calls--;

                if (call->reply_line) {
                        line = TAKE_PTR(call->reply_line);
                        len = call->reply_line_len;
                } else
                        line = call->reply ? reply_serialize(call->reply, &len) : NULL;
                if (line && c->out_len == 0 && len > 4096) {
                        /* A big reply into an empty queue: the line becomes the queue, no copy. */
                        free(c->out);
                        c->out = TAKE_PTR(line);
                        c->out_len = c->out_alloc = len;
                        c->out_offset = 0;
                } else if (!line) {
                        static const char oom[] =
                                "{\"ok\":false,\"error\":\"org.procmgr.Error.Internal\",\"msg\":\"out of memory\"}\n";
                        line = strdup(oom);
                        len = line ? strlen(line) : 0;
                }
                if (line) {
                        if (c->out_len + len > c->out_alloc) {
                                size_t n = MAX(c->out_alloc * 2, c->out_len + len);
                                char *p = realloc(c->out, n);
                                if (!p) {
                                        log_oom();
                                        c->closing = true;
                                        call_free(call);
                                        continue;
                                }
                                c->out = p;
                                c->out_alloc = n;
                        }
                        memcpy(c->out + c->out_len, line, len);
                        c->out_len += len;
                }
                if (call->close_after)
                        c->closing = true;
                call_free(call);
        }
}

/* Writes as much as the socket takes, but at most CONNECTION_WRITE_MAX per wakeup: a
 * megabyte LIST reply goes out in pieces between other connections' requests.
 * Returns < 0 when the connection is dead. */
static int connection_write(Connection *c) {
        size_t budget = CONNECTION_WRITE_MAX;

        while (c->out_offset < c->out_len && budget > 0) {
                ssize_t n = send(c->fd, c->out + c->out_offset, MIN(c->out_len - c->out_offset, budget),
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        return -errno;
                }
                c->out_offset += (size_t) n;
                budget -= (size_t) n;
        }
        if (c->out_offset == c->out_len) {
                c->out_offset = c->out_len = 0;
                /* Give back memory after a large reply (LIST of thousands of processes). */
                if (c->out_alloc > 256U * 1024U) {
                        free(c->out);
                        c->out = NULL;
                        c->out_alloc = 0;
                }
        }
        return 0;
}

static bool connection_may_read(const Connection *c) {
        return !c->closing && c->n_calls < CONNECTION_CALLS_MAX && c->out_len - c->out_offset < CONNECTION_OUT_HIGH;
}

static void connection_update_events(Connection *c) {
        uint32_t ev = 0;

        if (connection_may_read(c) && !c->eof)
                ev |= EPOLLIN;
        if (c->out_offset < c->out_len)
                ev |= EPOLLOUT;
        if (ev != c->events) {
                struct epoll_event e = { .events = ev, .data.ptr = c };

                if (epoll_ctl(c->manager->poller->fd, EPOLL_CTL_MOD, c->fd, &e) >= 0)
                        c->events = ev;
        }
}

/* Idle means "no complete request for idle_timeout". Activity only records the loop's
 * cached time; the timer is moved when it fires (see on_idle_timeout()), so a busy
 * connection costs no timer re-arming per request. */
static void connection_touch(Connection *c) {
        (void) sd_event_now(c->manager->event, CLOCK_MONOTONIC, &c->last_active);
}

/* The one place that drives a connection forward after anything happened: parse buffered
 * lines while we may, queue finished replies in order, write, and close when done.
 * May free c. */
static int on_deferred_progress(sd_event_source *s, void *userdata) {
        connection_progress(userdata);
        return 0;
}

static bool connection_has_line(const Connection *c) {
        return c->in_len > 0 && memchr(c->in, '\n', c->in_len);
}

static void connection_progress(Connection *c) {
        int r;

        if (c->processing)
                return;

        /* Bounded rounds per wakeup: a client that pipelines thousands of requests is
         * served in slices, and others get their turn in between (deferred source). */
        for (unsigned round = 0; round < 16; round++) {
                unsigned before = c->n_calls;
                size_t in_before = c->in_len;

                c->processing = true;
                r = connection_process_input(c);
                c->processing = false;
                if (r < 0) {
                        log_debug_errno(r, "%s: closing: %m", c->peer.description);
                        connection_close(c);
                        return;
                }

                connection_flush_calls(c);
                r = connection_write(c);
                if (r < 0) {
                        log_debug_errno(r, "%s: write failed, closing: %m", c->peer.description);
                        connection_close(c);
                        return;
                }
                if (c->closing && c->out_len == 0 && !c->calls_head) {
                        connection_close(c);
                        return;
                }
                if (!connection_may_read(c) || !connection_has_line(c) ||
                    (c->in_len == in_before && c->n_calls == before))
                        break;
        }

        if (connection_may_read(c) && connection_has_line(c)) {
                if (!c->defer)
                        (void) sd_event_add_defer(c->manager->event, &c->defer, on_deferred_progress, c);
                (void) sd_event_source_set_enabled(c->defer, SD_EVENT_ONESHOT);
        }
        connection_update_events(c);
}

/* What the connection does for its calls (see CallOwnerOps). */
static void on_call_done(Call *call, void *owner) {
        /* Synchronous replies are flushed by connection_progress() once parsing is done;
         * asynchronous ones drive the connection from here. */
        connection_progress(owner);
}

static void on_call_authenticated(void *owner) {
        Connection *c = owner;

        c->authenticated = true;
}

static void on_call_no_more_requests(void *owner) {
        Connection *c = owner;

        c->closing = true;
}

static unsigned on_call_auth_failed(void *owner) {
        Connection *c = owner;

        return ++c->auth_failures;
}

static const CallOwnerOps connection_call_ops = {
        .done = on_call_done,
        .authenticated = on_call_authenticated,
        .no_more_requests = on_call_no_more_requests,
        .auth_failed = on_call_auth_failed,
};

static Call *connection_new_call(Connection *c) {
        Call *call = call_new(c->manager, &c->peer, c->authenticated, &connection_call_ops, c);

        if (!call)
                return NULL;
        if (c->calls_tail)
                c->calls_tail->next = call;
        else
                c->calls_head = call;
        c->calls_tail = call;
        c->n_calls++;
        return call;
}

/* Appends to the output queue. */
static int connection_queue(Connection *c, const char *s, size_t len) {
        if (c->out_len + len > c->out_alloc) {
                size_t n = MAX(MAX(c->out_alloc * 2, c->out_len + len), (size_t) 256);
                char *p = realloc(c->out, n);
                if (!p)
                        return -ENOMEM;
                c->out = p;
                c->out_alloc = n;
        }
        memcpy(c->out + c->out_len, s, len);
        c->out_len += len;
        return 0;
}

static int connection_handle_line(Connection *c, const char *line, size_t len) {
        Request req;
        char msg[256];
        ErrorCode e = ERROR_INTERNAL;
        Call *call;
        int r;

        /* The fast path for the most frequent request: a bare PING, with nothing queued
         * before it, is answered with its constant reply without parsing or a Call. It
         * needs no access check (PING is public) and carries no id or token. */
        if (!c->calls_head && request_is_bare_ping(line, len)) {
                static const char reply[] = COMMAND_PING_REPLY_BARE;

                connection_touch(c);
                log_debug("%s: PING", c->peer.description);
                return connection_queue(c, reply, sizeof(reply) - 1);
        }

        r = request_parse(line, len, &req, &e, msg, sizeof(msg));
        if (r == -ENODATA)
                return 0;       /* blank line: nothing to answer */
        if (r == -ENOMEM) {
                e = ERROR_INTERNAL;
                snprintf(msg, sizeof(msg), "out of memory");
        }

        /* Idle means "no complete request": bytes trickling in without ever finishing
         * a line (slowloris) don't keep a connection alive. */
        connection_touch(c);

        call = connection_new_call(c);
        if (!call) {
                request_done(&req);
                return -ENOMEM;
        }
        call->request = req;    /* the call owns it now */
        if (r < 0)
                call_reply_error(call, e, "%s", msg);
        else
                c->sink(call, c->sink_userdata);
        return 0;
}

static void connection_too_large(Connection *c) {
        Call *call = connection_new_call(c);

        c->closing = true;
        c->in_len = 0;
        if (!call)
                return;
        call->close_after = true;
        call_reply_error(call, ERROR_REQUEST_TOO_LARGE, "request line longer than %zu bytes",
                         c->manager->config.max_line);
}

/* Splits buffered input into lines and dispatches them while we may. Never frees c. */
static int connection_process_input(Connection *c) {
        size_t start = 0, max = c->manager->config.max_line;
        int r = 0;

        while (connection_may_read(c) && start < c->in_len) {
                char *nl = memchr(c->in + start, '\n', c->in_len - start);
                size_t len;

                if (!nl)
                        break;
                len = (size_t) (nl - (c->in + start));
                /* The limit counts the line without its terminator; a '\r' before it is allowed. */
                if (len > max + 1 || (len == max + 1 && c->in[start + len - 1] != '\r')) {
                        connection_too_large(c);
                        return 0;
                }
                r = connection_handle_line(c, c->in + start, len);
                start += len + 1;
                if (r < 0)
                        break;
        }

        if (start > 0) {
                memmove(c->in, c->in + start, c->in_len - start);
                c->in_len -= start;
                if (c->in_len == 0 && c->in_alloc > 4096) {
                        c->in = mfree(c->in);
                        c->in_alloc = 0;
                }
        }
        if (r < 0)
                return r;

        /* No newline within the limit: the line is too long already, whatever follows. */
        if (!c->closing && c->in_len > max + 1 && !memchr(c->in, '\n', c->in_len))
                connection_too_large(c);
        /* After EOF, once every complete line is taken, nothing more can come. */
        if (c->eof && !connection_has_line(c))
                c->closing = true;
        return 0;
}

/* Reads into a stack buffer and keeps only what arrived in the connection's own buffer,
 * sized to the data: an idle connection holds no input memory at all, so a thousand of
 * them cost next to nothing. */
static int connection_read(Connection *c) {
        char buf[CONNECTION_READ_SIZE];
        ssize_t n;

        n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 1 : -errno;
        if (n == 0)
                return 0;
        if (c->in_alloc - c->in_len < (size_t) n) {
                size_t need = MAX(c->in_len + (size_t) n, MIN(c->in_alloc * 2, c->in_len + sizeof(buf)));
                char *p = realloc(c->in, need);
                if (!p)
                        return -ENOMEM;
                c->in = p;
                c->in_alloc = need;
        }
        memcpy(c->in + c->in_len, buf, (size_t) n);
        c->in_len += (size_t) n;
        return 1;
}

static void connection_io(Connection *c, uint32_t revents) {
        int r;

        if (revents & EPOLLIN) {
                r = connection_read(c);
                if (r < 0) {
                        log_debug_errno(r, "%s: read failed, closing: %m", c->peer.description);
                        connection_close(c);
                        return;
                }
                if (r == 0) {
                        /* EOF: answer every complete line already received, then close. A final
                         * fragment without '\n' is not a request (a request ends with '\n'). */
                        c->eof = true;
                }
        } else if (!(revents & EPOLLOUT) && (revents & (EPOLLHUP | EPOLLERR))) {
                connection_close(c);
                return;
        }

        connection_progress(c);
}

/* ---------------------------------------------------------------------------
 * The poller: sd-event dispatches one source per loop iteration and polls its epoll set
 * in between, which at tens of thousands of requests per second costs more than the
 * requests. So the connections share one epoll set, and one dispatch serves a batch. */

static int on_poller(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ConnectionPoller *p = userdata;
        int n;

        n = epoll_wait(p->fd, p->events, POLLER_BATCH, 0);
        if (n < 0) {
                if (errno != EINTR)
                        log_debug_errno(-errno, "epoll_wait() on the connection poller failed: %m");
                return 0;
        }
        p->n = n;
        for (p->i = 0; p->i < p->n; p->i++) {
                Connection *c = p->events[p->i].data.ptr;

                if (c)
                        connection_io(c, p->events[p->i].events);
        }
        p->i = p->n = 0;
        return 0;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(ConnectionPoller *, connection_poller_free);

static int poller_get(Manager *m, ConnectionPoller **ret) {
        _cleanup_(connection_poller_freep) ConnectionPoller *p = NULL;
        int r;

        if (m->poller) {
                *ret = m->poller;
                return 0;
        }
        p = calloc(1, sizeof(ConnectionPoller));
        if (!p)
                return -ENOMEM;
        p->fd = epoll_create1(EPOLL_CLOEXEC);
        if (p->fd < 0)
                return -errno;
        r = sd_event_add_io(m->event, &p->source, p->fd, EPOLLIN, on_poller, p);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(p->source, "connections");
        *ret = m->poller = TAKE_PTR(p);
        return 0;
}

/* c is going away: drop what the batch being served still holds for it. */
static void poller_forget(ConnectionPoller *p, Connection *c) {
        (void) epoll_ctl(p->fd, EPOLL_CTL_DEL, c->fd, NULL);
        for (int j = p->i + 1; j < p->n; j++)
                if (p->events[j].data.ptr == c)
                        p->events[j].data.ptr = NULL;
}

ConnectionPoller *connection_poller_free(ConnectionPoller *p) {
        if (!p)
                return NULL;
        sd_event_source_disable_unref(p->source);
        safe_close(p->fd);
        free(p);
        return NULL;
}

static int on_idle_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Connection *c = userdata;
        usec_t now, deadline;

        (void) sd_event_now(c->manager->event, CLOCK_MONOTONIC, &now);
        /* A command still being worked on (a long STOP, START waiting for its scope) is
         * not idleness: look again later. */
        for (Call *call = c->calls_head; call; call = call->next)
                if (!call->done) {
                        c->last_active = now;
                        break;
                }
        deadline = c->last_active + c->manager->config.idle_timeout;
        if (deadline > now) {
                /* Active since the timer was set: wait for the rest. */
                (void) sd_event_source_set_time(s, deadline);
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
                return 0;
        }
        log_debug("%s: idle for too long, closing.", c->peer.description);
        connection_close(c);
        return 0;
}

static void peer_identify(Connection *c) {
        SocketAddress sa = { .len = sizeof(sa.storage) };
        Peer *p = &c->peer;

        if (getpeername(c->fd, &sa.sa, &sa.len) < 0) {
                snprintf(p->description, sizeof(p->description), "fd %i", c->fd);
                return;
        }
        if (sa.sa.sa_family == AF_UNIX) {
                struct ucred uc;
                socklen_t l = sizeof(uc);

                p->is_unix = true;
                if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &uc, &l) >= 0) {
                        p->has_cred = true;
                        p->pid = uc.pid;
                        p->uid = uc.uid;
                        p->gid = uc.gid;
                        /* Pins the process that connected (SO_PEERPIDFD on 6.5+), for polkit
                         * subjects and pid-reuse checks; start time 0 if it is already gone. */
                        if (pidref_set_peer(&c->peer_pidref, c->fd) >= 0)
                                p->start_ticks = c->peer_pidref.start_ticks;
                }
                snprintf(p->description, sizeof(p->description), "uid=%u pid=%i",
                         (unsigned) p->uid, (int) p->pid);
        } else if (socket_address_format(&sa, p->description, sizeof(p->description)) < 0)
                snprintf(p->description, sizeof(p->description), "fd %i", c->fd);
}

int connection_new(Manager *m, int fd, ConnectionRequestSink sink, void *userdata, Connection **ret) {
        _cleanup_close_ int cfd = fd;
        ConnectionPoller *poller = NULL;
        Connection *c;
        int r;

        c = calloc(1, sizeof(Connection));
        if (!c)
                return -ENOMEM;
        c->manager = m;
        c->fd = TAKE_FD(cfd);
        c->peer_pidref = PIDREF_NULL;
        c->sink = sink;
        c->sink_userdata = userdata;
        peer_identify(c);

        r = poller_get(m, &poller);
        if (r < 0)
                goto fail;
        if (epoll_ctl(poller->fd, EPOLL_CTL_ADD, c->fd,
                      &(struct epoll_event) { .events = EPOLLIN, .data.ptr = c }) < 0) {
                r = -errno;
                goto fail;
        }
        c->events = EPOLLIN;
        connection_touch(c);
        if (m->config.idle_timeout > 0) {
                r = sd_event_add_time_relative(m->event, &c->idle_timer, CLOCK_MONOTONIC,
                                               m->config.idle_timeout, USEC_PER_SEC / 10, on_idle_timeout, c);
                if (r < 0)
                        goto fail;
        }

        c->next = m->connections;
        if (m->connections)
                m->connections->prev = c;
        m->connections = c;
        m->n_connections++;

        log_debug("%s: connected.", c->peer.description);
        *ret = c;
        return 0;

fail:
        if (c->events)
                poller_forget(m->poller, c);
        (void) safe_close(c->fd);
        pidref_done(&c->peer_pidref);
        free(c);
        return r;
}

Connection *connection_free(Connection *c) {
        Manager *m;

        if (!c)
                return NULL;
        m = c->manager;

        /* Calls still in flight finish their work (a started process must not be lost);
         * they just have nobody to answer to anymore. */
        for (Call *call = c->calls_head, *next; call; call = next) {
                next = call->next;
                call->next = NULL;
                if (call->done)
                        call_free(call);
                else
                        call_detach(call);
        }

        if (c->prev)
                c->prev->next = c->next;
        else if (m->connections == c)
                m->connections = c->next;
        if (c->next)
                c->next->prev = c->prev;
        /* The manager's idle-exit check counts from here; it is not told (no up-call). */
        if (--m->n_connections == 0)
                (void) sd_event_now(m->event, CLOCK_MONOTONIC, &m->idle_since);

        poller_forget(m->poller, c);
        sd_event_source_disable_unref(c->idle_timer);
        sd_event_source_disable_unref(c->defer);
        (void) safe_close(c->fd);
        pidref_done(&c->peer_pidref);
        free(c->in);
        free(c->out);
        log_debug("%s: closed.", c->peer.description);
        free(c);
        return NULL;
}

void connection_refuse(int fd, ErrorCode e, const char *msg) {
        _cleanup_(json_decrefp) json_t *reply = reply_new_error(NULL, e, "%s", msg);
        _cleanup_free_ char *line = reply ? reply_serialize(reply, NULL) : NULL;

        /* Best effort, never blocking: the socket buffer of a fresh connection is empty. */
        if (line)
                (void) send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
        (void) shutdown(fd, SHUT_WR);
        (void) safe_close(fd);
}
