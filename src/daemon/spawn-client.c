/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The front's connection to procmgr-spawn; see spawn-client.h. */

#include <assert.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/spawn-client.h"
#include "helper/spawn-helper.h"
#include "shared/list.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/spawn-wire.h"
#include "shared/time-util.h"

/* A round trip is a fork or a kill on the helper's side; under valgrind much more. */
#define CALL_TIMEOUT_SEC 20
#define EXITS_QUEUED_MAX 4096U  /* EXIT reports read during round trips, not yet handed on */
/* The queue holds those, the SPAWN answers (at most one per SPAWN in flight) and, between
 * them, the marks of lost connections (never two in a row). */
#define QUEUE_MAX (2 * (EXITS_QUEUED_MAX + SPAWN_CLIENT_SPAWNS_MAX) + 1)

struct SpawnClientSpawn {
        SpawnClient *client;
        uint32_t id;
        bool hold;
        bool answered;                  /* r and child hold the answer, queued to be handed on */
        int r;
        SpawnedChild child;
        PidRef kill;                    /* answered, but its descriptors were lost: killed first */
        SpawnClientSpawnDone done;      /* NULL: cancelled */
        void *userdata;
        LIST_FIELDS(SpawnClientSpawn, spawns);
};

typedef enum QueuedKind {
        QUEUED_EXIT,
        QUEUED_SPAWN,
        QUEUED_LOST,                    /* the connection was lost after what is before */
} QueuedKind;

/* Something to hand on in order: an EXIT report, a SPAWN's answer, or the loss of the
 * connection (after the answers that came on it: their children are the helper's, and
 * the owner learns that this helper is gone only once it knows them). */
typedef struct Queued {
        QueuedKind kind;
        SpawnClientSpawn *spawn;        /* QUEUED_SPAWN */
        SpawnWireExit exit;             /* QUEUED_EXIT */
} Queued;

struct SpawnClient {
        sd_event *event;
        int control_fd;
        char *socket_path;
        int fd;
        sd_event_source *io;
        sd_event_source *defer;
        uint32_t next_id;
        bool can_change_identity;
        Queued *queue;                  /* a ring of QUEUE_MAX */
        size_t queue_head, n_queued, n_exits_queued;
        SpawnClientSpawn *spawns;       /* in flight (newest first), answered or not */
        size_t n_spawns;
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
        c->queue = calloc(QUEUE_MAX, sizeof(Queued));
        if (socket_path)
                c->socket_path = strdup(socket_path);
        if (!c->buf || !c->queue || (socket_path && !c->socket_path)) {
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

static void spawned_child_done(SpawnedChild *child) {
        child->pidfd = safe_close(child->pidfd);
        child->error_fd = safe_close(child->error_fd);
        child->hold_fd = safe_close(child->hold_fd);
}

static void spawn_free(SpawnClientSpawn *s) {
        if (!s)
                return;
        if (s->client) {
                LIST_REMOVE(spawns, s->client->spawns, s);
                s->client->n_spawns--;
        }
        spawned_child_done(&s->child);
        free(s);
}

SpawnClient *spawn_client_free(SpawnClient *c) {
        if (!c)
                return NULL;
        disconnect(c);
        /* Their owners are gone before us (the backend cancels what it asked for); a child
         * answered but never handed on is left to its fate like any other at our exit. */
        while (c->spawns)
                spawn_free(c->spawns);
        sd_event_source_disable_unref(c->defer);
        sd_event_unref(c->event);
        (void) safe_close(c->control_fd);
        free(c->socket_path);
        free(c->queue);
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
        if (r == -EBUSY)
                return "too many STARTs on their way to the spawn helper; try again";
        return NULL;
}

static void queue_push(SpawnClient *c, QueuedKind kind, SpawnClientSpawn *s, const SpawnWireExit *e) {
        if (kind == QUEUED_EXIT && c->n_exits_queued >= EXITS_QUEUED_MAX) {
                /* Cannot happen with a sane helper; the pidfd fallback still sees the exit. */
                log_warning("Too many exit reports of the spawn helper queued, dropping one (pid %i).",
                            (int) e->pid);
                return;
        }
        if (kind == QUEUED_LOST && c->n_queued > 0 &&
            c->queue[(c->queue_head + c->n_queued - 1) % QUEUE_MAX].kind == QUEUED_LOST)
                return;
        /* Room for everything: answers are bounded by SPAWN_CLIENT_SPAWNS_MAX, marks by
         * what is between them. */
        assert(c->n_queued < QUEUE_MAX);
        c->queue[(c->queue_head + c->n_queued++) % QUEUE_MAX] = (Queued) {
                .kind = kind, .spawn = s, .exit = e ? *e : (SpawnWireExit) {},
        };
        if (kind == QUEUED_EXIT)
                c->n_exits_queued++;
        if (c->defer)
                (void) sd_event_source_set_enabled(c->defer, SD_EVENT_ONESHOT);
}

static void lost(SpawnClient *c, int r) {
        if (c->fd < 0)
                return;
        log_error_errno(r, "Lost the connection to the spawn helper (%m): START and STOP fail until it is "
                           "back; asking for a new one at the next request.");
        disconnect(c);
        /* What is in flight gets no answer any more. Whether the helper forked it is not
         * known: if it did, its child outlived it and runs on unmanaged, as any child of a
         * killed helper whose pid we never learned. */
        LIST_FOREACH(spawns, s, c->spawns)
                if (!s->answered) {
                        s->answered = true;
                        s->r = -ENOTCONN;
                        queue_push(c, QUEUED_SPAWN, s, NULL);
                }
        if (c->n_queued > 0)
                queue_push(c, QUEUED_LOST, NULL, NULL);
        else if (c->on_lost)
                c->on_lost(c->userdata);
}

static void hand_on_spawn(SpawnClient *c, SpawnClientSpawn *s) {
        if (pidref_is_set(&s->kill)) {
                log_warning("Too many open files to take a started process (pid %i) from the spawn helper; "
                            "it is killed.", (int) s->kill.pid);
                (void) spawn_client_signal(c, &s->kill, SIGKILL, /* group= */ true);
        } else if (!s->done && s->r == 0 && s->child.hold_fd < 0 && s->child.pid > 0) {
                /* Cancelled, and not held (a held child gives up when its hold pipe closes
                 * below): nobody will know it runs, so it must not. */
                PidRef p = { .pid = s->child.pid, .fd = s->child.pidfd, .start_ticks = s->child.start_ticks };

                (void) spawn_client_signal(c, &p, SIGKILL, /* group= */ true);
        }
        if (s->done)
                s->done(s->r, &s->child, s->userdata);
        spawn_free(s);
}

/* Hand on what the queue holds, oldest first, one at a time: a callback may start a
 * round trip that queues more. Called from the loop only (on_io(), on_defer()), never
 * inside a round trip. */
static void queue_drain(SpawnClient *c) {
        while (c->n_queued > 0) {
                Queued q = c->queue[c->queue_head];

                c->queue_head = (c->queue_head + 1) % QUEUE_MAX;
                c->n_queued--;
                switch (q.kind) {
                case QUEUED_SPAWN:
                        hand_on_spawn(c, q.spawn);
                        break;
                case QUEUED_EXIT:
                        c->n_exits_queued--;
                        if (c->on_exit)
                                c->on_exit(q.exit.pid, q.exit.start_ticks, q.exit.code, q.exit.signal, c->userdata);
                        break;
                case QUEUED_LOST:
                        if (c->on_lost)
                                c->on_lost(c->userdata);
                        break;
                }
        }
}

static int on_defer(sd_event_source *s, void *userdata) {
        SpawnClient *c = userdata;

        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        queue_drain(c);
        return 0;
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

/* A SPAWN's answer: kept in its request and queued, to be handed on in order. false: m
 * is not the answer of a SPAWN in flight. Takes the descriptors it keeps out of fds. */
static bool take_spawn_answer(SpawnClient *c, const SpawnWireMessage *m, int *fds, size_t *n_fds, bool fds_lost) {
        SpawnClientSpawn *s = NULL;
        int r;

        if (m->type != SPAWN_WIRE_SPAWN_REPLY)
                return false;
        LIST_FOREACH(spawns, i, c->spawns)
                if (i->id == m->id && !i->answered) {
                        s = i;
                        break;
                }
        if (!s)
                return false;
        r = m->spawn_reply.error;
        if (r == 0 && fds_lost) {
                /* We are at our descriptor limit: the child's pidfd and exec-result pipe were
                 * dropped on the way. Without them we cannot watch it, so it must not run on
                 * unmanaged: the helper (which still has it) kills it, when handed on (not
                 * inside a round trip), and reaps it as usual. */
                s->kill = (PidRef) { .pid = m->spawn_reply.pid, .fd = -EBADF, .start_ticks = m->spawn_reply.start_ticks };
                r = -EMFILE;
        } else if (r == 0) {
                uint32_t want = m->spawn_reply.fds;
                size_t expect = !!(want & SPAWN_WIRE_FD_PIDFD) + !!(want & SPAWN_WIRE_FD_ERROR) +
                                !!(want & SPAWN_WIRE_FD_HOLD), k = 0;

                if (expect != *n_fds || !(want & SPAWN_WIRE_FD_ERROR) || s->hold != !!(want & SPAWN_WIRE_FD_HOLD) ||
                    m->spawn_reply.pid <= 0)
                        r = -EBADMSG;
                else {
                        /* In the order of spawn-wire.h: pidfd, error, hold. */
                        s->child.pid = m->spawn_reply.pid;
                        s->child.start_ticks = m->spawn_reply.start_ticks;
                        if (want & SPAWN_WIRE_FD_PIDFD)
                                s->child.pidfd = fds[k++];
                        s->child.error_fd = fds[k++];
                        if (want & SPAWN_WIRE_FD_HOLD)
                                s->child.hold_fd = fds[k++];
                        *n_fds = 0;
                }
        } else if (r > 0)
                r = -EBADMSG;
        s->answered = true;
        s->r = r;
        queue_push(c, QUEUED_SPAWN, s, NULL);
        return true;
}

/* A record that is not the answer a round trip waits for: an EXIT report or a SPAWN's
 * answer is queued, anything else dropped. Closes the descriptors nobody took. */
static void queue_record(SpawnClient *c, SpawnWireMessage *m, int *fds, size_t n_fds, bool fds_lost) {
        if (m->type == SPAWN_WIRE_EXIT)
                queue_push(c, QUEUED_EXIT, NULL, &m->exit);
        else if (!take_spawn_answer(c, m, fds, &n_fds, fds_lost))
                log_debug("Ignoring a stray reply of the spawn helper (id %u).", m->id);
        for (size_t k = 0; k < n_fds; k++)
                (void) safe_close(fds[k]);
        spawn_wire_message_done(m);
}

/* One record if there is one: queued. 1: one was there, 0: none, < 0: the connection is
 * lost (and dropped). */
static int receive_and_queue(SpawnClient *c) {
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
                return -ENOTCONN;
        }
        queue_record(c, &m, fds, n_fds, fds_lost);
        return 1;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        SpawnClient *c = userdata;

        /* Everything goes through the queue, behind what a round trip queued before. */
        for (unsigned i = 0; i < 64 && c->fd >= 0; i++) {
                queue_drain(c);
                if (receive_and_queue(c) <= 0)
                        break;
        }
        queue_drain(c);
        return 0;
}

/* Send a record without ever waiting on a full socket while the helper may be waiting on
 * ours (many SPAWNs in flight, a burst of EXIT reports): what arrives meanwhile is read and
 * queued. Bounded by CALL_TIMEOUT_SEC. Transport failures drop the connection. */
static int send_record(SpawnClient *c, const void *buf, size_t size, const int *fds, size_t n_fds) {
        usec_t deadline = now(CLOCK_MONOTONIC) + CALL_TIMEOUT_SEC * USEC_PER_SEC;
        int r;

        for (;;) {
                struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLOUT };
                usec_t t;

                r = spawn_wire_send_flags(c->fd, buf, size, fds, n_fds, MSG_DONTWAIT);
                if (r != -EAGAIN)
                        break;
                t = now(CLOCK_MONOTONIC);
                if (t >= deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                if (poll(&p, 1, (int) ((deadline - t) / USEC_PER_MSEC) + 1) < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                if ((p.revents & (POLLIN | POLLHUP | POLLERR)) && receive_and_queue(c) < 0)
                        return -ENOTCONN;
        }
        if (r < 0) {
                lost(c, r);
                return -ENOTCONN;
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

/* A connection to send m on, m's id, and its record in *ret (free()). -ENOTCONN: no
 * helper; other errors are the request's fault (too big), not the helper's. */
static int encode_request(SpawnClient *c, SpawnWireMessage *m, void **ret, size_t *ret_size) {
        int r;

        r = connect_helper(c);
        if (r < 0) {
                log_error_errno(r, "Cannot reach the spawn helper: %m");
                return -ENOTCONN;
        }
        m->id = ++c->next_id ?: ++c->next_id;
        return spawn_wire_encode(m, ret, ret_size);
}

/* Send m (with fds), wait for the reply of its id; what else comes on the way is queued
 * (queue_record()). Transport failures: the connection is dropped and -ENOTCONN returned.
 * *ret_fds_lost: the reply came without the descriptors it carried (see receive()). */
static int call(SpawnClient *c, SpawnWireMessage *m, const int *fds, size_t n_fds, SpawnWireMessage *ret,
                int *ret_fds, size_t *ret_n_fds, bool *ret_fds_lost) {
        _cleanup_free_ void *buf = NULL;
        size_t size;
        int r;

        r = encode_request(c, m, &buf, &size);
        if (r < 0)
                return r;
        r = send_record(c, buf, size, fds, n_fds);
        for (unsigned i = 0; r >= 0 && i < QUEUE_MAX + 1; i++) {
                bool lost_fds = false;

                *ret_n_fds = 0;
                r = receive(c, false, ret, ret_fds, ret_n_fds, &lost_fds);
                if (r < 0) {
                        lost(c, r == -EAGAIN ? -ETIMEDOUT : r);
                        r = -ENOTCONN;
                        break;
                }
                if (ret->type != SPAWN_WIRE_EXIT && ret->id == m->id) {
                        if (ret_fds_lost)
                                *ret_fds_lost = lost_fds;
                        return 0;
                }
                queue_record(c, ret, ret_fds, *ret_n_fds, lost_fds);
                if (i == QUEUE_MAX) {
                        lost(c, -EBADMSG);
                        r = -ENOTCONN;
                }
        }
        return r < 0 ? r : -ENOTCONN;
}

int spawn_client_spawn(SpawnClient *c, const SpawnRequest *req, bool hold, const char *journal_identifier,
                       SpawnClientSpawnDone done, void *userdata, SpawnClientSpawn **ret) {
        SpawnWireMessage m = { .type = SPAWN_WIRE_SPAWN };
        _cleanup_free_ void *buf = NULL;
        SpawnClientSpawn *s;
        size_t size;
        int r;

        if (!c)
                return -ENOTCONN;
        if (req->n_groups > SPAWN_WIRE_GROUPS_MAX)
                return -E2BIG;
        if (c->n_spawns >= SPAWN_CLIENT_SPAWNS_MAX)
                return -EBUSY;
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
        r = encode_request(c, &m, &buf, &size);
        if (r < 0)
                return r;

        s = calloc(1, sizeof(SpawnClientSpawn));
        if (!s)
                return -ENOMEM;
        *s = (SpawnClientSpawn) {
                .client = c, .id = m.id, .hold = hold, .done = done, .userdata = userdata, .kill = PIDREF_NULL,
                .child = { .pidfd = -EBADF, .hold_fd = -EBADF, .error_fd = -EBADF },
        };
        /* In the list before it is sent: its answer may be read while sending. */
        LIST_PREPEND(spawns, c->spawns, s);
        c->n_spawns++;
        r = send_record(c, buf, size, NULL, 0);
        if (r < 0) {
                /* Lost: lost() queued its -ENOTCONN answer already; it is not handed on. */
                s->done = NULL;
                return r;
        }
        if (ret)
                *ret = s;
        return 0;
}

void spawn_client_spawn_cancel(SpawnClientSpawn *s) {
        if (s)
                s->done = NULL;
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
