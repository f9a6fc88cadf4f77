/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The front's connection to procmgr-spawn; see spawn-client.h. */

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/spawn-client.h"
#include "helper/spawn-helper.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/spawn-wire.h"

/* A round trip is a fork or a kill on the helper's side; under valgrind much more. */
#define CALL_TIMEOUT_SEC 20
#define PENDING_MAX 4096U       /* EXIT reports read during round trips, not yet handed on */

struct SpawnClient {
        sd_event *event;
        int control_fd;
        char *socket_path;
        int fd;
        sd_event_source *io;
        sd_event_source *defer;
        uint32_t next_id;
        bool can_change_identity;
        SpawnWireExit *pending;
        size_t n_pending;
        uint8_t *buf;
        SpawnClientExitFn on_exit;
        SpawnClientLostFn on_lost;
        void *userdata;
};

int spawn_client_new(int control_fd, const char *socket_path, bool can_change_identity, SpawnClient **ret) {
        SpawnClient *c = calloc(1, sizeof(SpawnClient));

        if (!c)
                return -ENOMEM;
        *c = (SpawnClient) { .control_fd = control_fd, .fd = -EBADF, .can_change_identity = can_change_identity };
        c->buf = malloc(SPAWN_WIRE_MESSAGE_MAX + 1);
        c->pending = calloc(PENDING_MAX, sizeof(SpawnWireExit));
        if (socket_path)
                c->socket_path = strdup(socket_path);
        if (!c->buf || !c->pending || (socket_path && !c->socket_path)) {
                c->control_fd = -EBADF;         /* the caller still owns it on failure */
                spawn_client_free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

static void disconnect(SpawnClient *c) {
        c->io = sd_event_source_disable_unref(c->io);
        c->fd = safe_close(c->fd);
}

SpawnClient *spawn_client_free(SpawnClient *c) {
        if (!c)
                return NULL;
        disconnect(c);
        sd_event_source_disable_unref(c->defer);
        sd_event_unref(c->event);
        (void) safe_close(c->control_fd);
        free(c->socket_path);
        free(c->pending);
        free(c->buf);
        free(c);
        return NULL;
}

void spawn_client_set_callbacks(SpawnClient *c, SpawnClientExitFn on_exit, SpawnClientLostFn on_lost,
                                void *userdata) {
        if (!c)
                return;
        c->on_exit = on_exit;
        c->on_lost = on_lost;
        c->userdata = userdata;
}

bool spawn_client_can_change_identity(const SpawnClient *c) {
        return c && c->can_change_identity;
}

bool spawn_client_connected(const SpawnClient *c) {
        return c && c->fd >= 0;
}

const char *spawn_client_error_message(int r) {
        if (r == -EMFILE)
                return "too many open files in procmgrd";
        if (r == -ENOTCONN)
                return "the privileged spawn helper (procmgr-spawn) is not available; see the journal";
        return NULL;
}

static void lost(SpawnClient *c, int r) {
        if (c->fd < 0)
                return;
        log_error_errno(r, "Lost the connection to the spawn helper (%m): START and STOP fail until it is "
                           "back; asking for a new one at the next request.");
        disconnect(c);
        if (c->on_lost)
                c->on_lost(c->userdata);
}

static void dispatch_exit(SpawnClient *c, const SpawnWireExit *e) {
        if (c->on_exit)
                c->on_exit(e->pid, e->start_ticks, e->code, e->signal, c->userdata);
}

static int on_defer(sd_event_source *s, void *userdata) {
        SpawnClient *c = userdata;

        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        /* Taken one at a time from the front: a callback may start a round trip that
         * queues more. */
        while (c->n_pending > 0) {
                SpawnWireExit e = c->pending[0];
                memmove(c->pending, c->pending + 1, (c->n_pending - 1) * sizeof(SpawnWireExit));
                c->n_pending--;
                dispatch_exit(c, &e);
        }
        return 0;
}

static void queue_exit(SpawnClient *c, const SpawnWireExit *e) {
        if (c->n_pending >= PENDING_MAX) {
                /* Cannot happen with a sane helper; the pidfd fallback still sees the exit. */
                log_warning("Too many exit reports of the spawn helper queued, dropping one (pid %i).",
                            (int) e->pid);
                return;
        }
        c->pending[c->n_pending++] = *e;
        if (c->defer)
                (void) sd_event_source_set_enabled(c->defer, SD_EVENT_ONESHOT);
}

/* One record; *ret decoded. 0 at EOF (-ENOTCONN), -EAGAIN with dontwait and nothing there.
 * *ret_fds_lost: the record came but its descriptors could not (we are at RLIMIT_NOFILE). */
static int receive(SpawnClient *c, bool dontwait, SpawnWireMessage *ret, int *fds, size_t *n_fds,
                   bool *ret_fds_lost) {
        ssize_t n;
        int r;

        n = spawn_wire_recv_full(c->fd, c->buf, SPAWN_WIRE_MESSAGE_MAX + 1, dontwait ? MSG_DONTWAIT : 0, fds, n_fds,
                                 ret_fds_lost);
        if (n == -EAGAIN && dontwait)
                return -EAGAIN;
        if (n <= 0)
                return n == 0 ? -ECONNRESET : (int) n;
        r = spawn_wire_decode(c->buf, (size_t) n, ret);
        if (r < 0)
                for (size_t i = 0; i < *n_fds; i++)
                        fds[i] = safe_close(fds[i]);
        return r;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        SpawnClient *c = userdata;

        for (unsigned i = 0; i < 64 && c->fd >= 0; i++) {
                int fds[SPAWN_WIRE_FDS_MAX];
                size_t n_fds = 0;
                SpawnWireMessage m;
                bool fds_lost = false;
                int r;

                r = receive(c, true, &m, fds, &n_fds, &fds_lost);
                if (r == -EAGAIN)
                        return 0;
                if (r < 0) {
                        lost(c, r);
                        return 0;
                }
                for (size_t k = 0; k < n_fds; k++)
                        (void) safe_close(fds[k]);
                if (m.type == SPAWN_WIRE_EXIT)
                        dispatch_exit(c, &m.exit);
                else
                        log_debug("Ignoring a stray reply of the spawn helper (id %u).", m.id);
                spawn_wire_message_done(&m);
        }
        return 0;
}

static int connect_helper(SpawnClient *c) {
        struct timeval tv = { .tv_sec = CALL_TIMEOUT_SEC };
        int fd, r;

        if (c->fd >= 0)
                return 0;
        if (c->socket_path) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };

                if (strlen(c->socket_path) >= sizeof(sa.sun_path))
                        return -EINVAL;
                strcpy(sa.sun_path, c->socket_path);
                fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return -errno;
                if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                        r = -errno;
                        (void) safe_close(fd);
                        return r;
                }
        } else if (c->control_fd >= 0) {
                (void) setsockopt(c->control_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                (void) setsockopt(c->control_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
                fd = spawn_helper_request_connection(c->control_fd);
                if (fd < 0)
                        return fd;
        } else
                return -ENOTCONN;
        (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        c->fd = fd;
        if (c->event) {
                r = sd_event_add_io(c->event, &c->io, fd, EPOLLIN, on_io, c);
                /* Behind the connections: a burst of exits (and the event lines they
                 * make) must not delay anybody's PING; with nothing else pending (the
                 * common case) this costs an exit nothing. The order against the exec
                 * results does not depend on it: an exit seen before its START is done
                 * is held until STARTED (backend_start_finished()). */
                if (r >= 0)
                        r = sd_event_source_set_priority(c->io, SD_EVENT_PRIORITY_NORMAL + 1);
                if (r < 0) {
                        disconnect(c);
                        return r;
                }
        }
        log_debug("Connected to the spawn helper.");
        return 0;
}

int spawn_client_attach(SpawnClient *c, sd_event *e) {
        int r;

        if (!c)
                return 0;
        c->event = sd_event_ref(e);
        r = sd_event_add_defer(e, &c->defer, on_defer, c);
        if (r < 0)
                return r;
        /* Like the reports read on the loop. */
        (void) sd_event_source_set_priority(c->defer, SD_EVENT_PRIORITY_NORMAL + 1);
        (void) sd_event_source_set_enabled(c->defer, SD_EVENT_OFF);
        r = connect_helper(c);
        if (r < 0)
                log_error_errno(r, "Cannot reach the spawn helper (%m): START and STOP will fail until it is "
                                   "back.");
        return 0;
}

/* Send m (with fds), wait for the reply of its id; EXIT reports met on the way are queued.
 * Transport failures: the connection is dropped and -ENOTCONN returned. *ret_fds_lost: the
 * reply came without the descriptors it carried (see receive()). */
static int call(SpawnClient *c, SpawnWireMessage *m, const int *fds, size_t n_fds, SpawnWireMessage *ret,
                int *ret_fds, size_t *ret_n_fds, bool *ret_fds_lost) {
        _cleanup_free_ void *buf = NULL;
        size_t size;
        int r;

        r = connect_helper(c);
        if (r < 0) {
                log_error_errno(r, "Cannot reach the spawn helper: %m");
                return -ENOTCONN;
        }
        m->id = ++c->next_id ?: ++c->next_id;
        r = spawn_wire_encode(m, &buf, &size);
        if (r < 0)
                return r;       /* too big: the request's fault, not the helper's */
        r = spawn_wire_send(c->fd, buf, size, fds, n_fds);
        if (r < 0) {
                lost(c, r);
                return -ENOTCONN;
        }
        for (unsigned i = 0; i < PENDING_MAX + 1; i++) {
                r = receive(c, false, ret, ret_fds, ret_n_fds, ret_fds_lost);
                if (r < 0) {
                        lost(c, r == -EAGAIN ? -ETIMEDOUT : r);
                        return -ENOTCONN;
                }
                if (ret->type == SPAWN_WIRE_EXIT) {
                        queue_exit(c, &ret->exit);
                        spawn_wire_message_done(ret);
                        continue;
                }
                if (ret->id == m->id)
                        return 0;
                for (size_t k = 0; k < *ret_n_fds; k++)
                        ret_fds[k] = safe_close(ret_fds[k]);
                spawn_wire_message_done(ret);
        }
        lost(c, -EBADMSG);
        return -ENOTCONN;
}

int spawn_client_spawn(SpawnClient *c, const SpawnRequest *req, bool hold, const char *journal_identifier,
                       SpawnedChild *ret) {
        SpawnWireMessage m = { .type = SPAWN_WIRE_SPAWN }, reply;
        int fds[SPAWN_WIRE_FDS_MAX];
        size_t n_fds = 0, k = 0;
        bool fds_lost = false;
        int r;

        if (!c)
                return -ENOTCONN;
        if (req->n_groups > SPAWN_WIRE_GROUPS_MAX)
                return -E2BIG;
        m.spawn = (SpawnWireSpawn) {
                .flags = (hold ? SPAWN_WIRE_HOLD : 0) | (req->change_identity ? SPAWN_WIRE_CHANGE_IDENTITY : 0) |
                         (req->cwd_explicit ? SPAWN_WIRE_CWD_EXPLICIT : 0),
                .uid = (uint32_t) req->uid,
                .gid = (uint32_t) req->gid,
                .n_groups = (uint32_t) req->n_groups,
                .nofile_soft = (uint64_t) req->nofile_soft,
                .cwd = req->cwd ?: "",
                .identifier = journal_identifier ?: "",
                .unit_prefix = req->scope_prefix ?: "",
                .argv = req->argv,
                .envp = req->envp,
        };
        for (size_t i = 0; i < req->n_groups; i++)
                m.spawn.groups[i] = (uint32_t) req->groups[i];
        while (req->argv && req->argv[m.spawn.argc])
                m.spawn.argc++;
        while (req->envp && req->envp[m.spawn.envc])
                m.spawn.envc++;

        r = call(c, &m, NULL, 0, &reply, fds, &n_fds, &fds_lost);
        if (r < 0)
                return r;
        r = reply.type == SPAWN_WIRE_SPAWN_REPLY ? reply.spawn_reply.error : -EBADMSG;
        if (r == 0 && fds_lost) {
                /* We are at our descriptor limit: the child's pidfd and exec-result pipe were
                 * dropped on the way. Without them we cannot watch it, so it must not run on
                 * unmanaged: the helper (which still has it) kills it and reaps it as usual. */
                PidRef child = { .pid = reply.spawn_reply.pid, .fd = -EBADF,
                                 .start_ticks = reply.spawn_reply.start_ticks };

                spawn_wire_message_done(&reply);
                log_warning("Too many open files to take a started process (pid %i) from the spawn helper; "
                            "it is killed.", (int) child.pid);
                if (pidref_is_set(&child))
                        (void) spawn_client_signal(c, &child, SIGKILL, /* group= */ true);
                return -EMFILE;
        }
        if (r == 0) {
                uint32_t want = reply.spawn_reply.fds;
                size_t expect = !!(want & SPAWN_WIRE_FD_PIDFD) + !!(want & SPAWN_WIRE_FD_ERROR) +
                                !!(want & SPAWN_WIRE_FD_HOLD);

                if (expect != n_fds || !(want & SPAWN_WIRE_FD_ERROR) || hold != !!(want & SPAWN_WIRE_FD_HOLD) ||
                    reply.spawn_reply.pid <= 0)
                        r = -EBADMSG;
                else {
                        /* In the order of spawn-wire.h: pidfd, error, hold. */
                        *ret = (SpawnedChild) {
                                .pid = reply.spawn_reply.pid,
                                .start_ticks = reply.spawn_reply.start_ticks,
                                .pidfd = -EBADF,
                                .hold_fd = -EBADF,
                        };
                        if (want & SPAWN_WIRE_FD_PIDFD)
                                ret->pidfd = fds[k++];
                        ret->error_fd = fds[k++];
                        if (want & SPAWN_WIRE_FD_HOLD)
                                ret->hold_fd = fds[k++];
                        n_fds = 0;
                }
        } else if (r > 0)
                r = -EBADMSG;
        for (size_t i = 0; i < n_fds; i++)
                (void) safe_close(fds[i]);
        spawn_wire_message_done(&reply);
        return r;
}

int spawn_client_oom_watch(SpawnClient *c, const char *unit, int *ret_efd, int *ret_ofd) {
        SpawnWireMessage m = { .type = SPAWN_WIRE_OOM_WATCH, .oom_watch.unit = unit }, reply;
        int fds[SPAWN_WIRE_FDS_MAX];
        size_t n_fds = 0;
        bool fds_lost = false;
        int r;

        if (!c)
                return -ENOTCONN;
        r = call(c, &m, NULL, 0, &reply, fds, &n_fds, &fds_lost);
        if (r < 0)
                return r;
        r = reply.type == SPAWN_WIRE_OOM_WATCH_REPLY ? reply.oom_watch_reply.error : -EBADMSG;
        if (r == 0 && fds_lost)
                r = -EMFILE;    /* at our descriptor limit: no watch, the exit says no oom */
        else if (r == 0 && n_fds != 2)
                r = -EBADMSG;
        if (r == 0) {
                *ret_efd = fds[0];
                *ret_ofd = fds[1];
                n_fds = 0;
        } else if (r > 0)
                r = -EBADMSG;
        for (size_t i = 0; i < n_fds; i++)
                (void) safe_close(fds[i]);
        spawn_wire_message_done(&reply);
        return r;
}

int spawn_client_signal(SpawnClient *c, const PidRef *p, int sig, bool group) {
        SpawnWireMessage m = { .type = SPAWN_WIRE_SIGNAL }, reply;
        int fds[SPAWN_WIRE_FDS_MAX];
        size_t n_fds = 0;
        int r;

        if (!c)
                return -ENOTCONN;
        if (!pidref_is_set(p))
                return -EINVAL;
        m.signal = (SpawnWireSignal) {
                .pid = p->pid,
                .start_ticks = p->start_ticks,
                .signal = sig,
                .flags = (group ? SPAWN_WIRE_GROUP : 0) | (p->fd >= 0 ? SPAWN_WIRE_HAS_PIDFD : 0),
        };
        r = call(c, &m, p->fd >= 0 ? &p->fd : NULL, p->fd >= 0 ? 1 : 0, &reply, fds, &n_fds, NULL);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_fds; i++)
                (void) safe_close(fds[i]);
        r = reply.type == SPAWN_WIRE_SIGNAL_REPLY ? reply.signal_reply.error : -EBADMSG;
        spawn_wire_message_done(&reply);
        return r > 0 ? -EBADMSG : r;
}
