/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The helper's wire format; see spawn-wire.h. Header (16 bytes):
 *   u32 magic | u16 type | u16 reserved (0) | u32 length (whole record) | u32 id
 * Bodies:
 *   SPAWN         u32 flags, u32 uid, u32 gid, u32 n_groups, u32 groups[n_groups],
 *                 u64 nofile_soft, str cwd, str identifier, str unit_prefix,
 *                 u32 argc, str argv[argc], u32 envc, str envp[envc]
 *   SPAWN_REPLY   i32 error, i32 pid, u64 start_ticks, u32 fds
 *   SIGNAL        i32 pid, u64 start_ticks, i32 signal, u32 flags
 *   SIGNAL_REPLY  i32 error
 *   EXIT          i32 pid, u64 start_ticks, i32 code, i32 signal
 *   OOM_WATCH     str unit
 *   OOM_WATCH_REPLY i32 error
 * str = u32 n | n bytes | NUL (no NUL among the n bytes).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shared/macro.h"
#include "shared/spawn-wire.h"

#define HEADER_SIZE 16U

typedef struct Writer {
        uint8_t *p;
        size_t size, off;       /* p == NULL: only count */
} Writer;

static void put(Writer *w, const void *v, size_t n) {
        if (w->p)
                memcpy(w->p + w->off, v, n);
        w->off += n;
}
static void put_u32(Writer *w, uint32_t v) { put(w, &v, sizeof(v)); }
static void put_u64(Writer *w, uint64_t v) { put(w, &v, sizeof(v)); }
static void put_i32(Writer *w, int32_t v) { put(w, &v, sizeof(v)); }

static int put_str(Writer *w, const char *s, size_t max) {
        size_t n;

        if (!s)
                return -EINVAL;
        n = strlen(s);
        if (n > max)
                return -E2BIG;
        put_u32(w, (uint32_t) n);
        put(w, s, n + 1);
        return 0;
}

static int put_strv(Writer *w, char **l, uint32_t n, uint32_t max) {
        int r;

        if (n > max)
                return -E2BIG;
        put_u32(w, n);
        for (uint32_t i = 0; i < n; i++) {
                if (!l || !l[i])
                        return -EINVAL;
                r = put_str(w, l[i], SPAWN_WIRE_STRING_MAX);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int write_body(Writer *w, const SpawnWireMessage *m) {
        const SpawnWireSpawn *s = &m->spawn;
        int r;

        switch (m->type) {
        case SPAWN_WIRE_SPAWN:
                if (s->n_groups > SPAWN_WIRE_GROUPS_MAX)
                        return -E2BIG;
                if (s->flags & ~_SPAWN_WIRE_SPAWN_FLAGS)
                        return -EINVAL;
                put_u32(w, s->flags);
                put_u32(w, s->uid);
                put_u32(w, s->gid);
                put_u32(w, s->n_groups);
                for (uint32_t i = 0; i < s->n_groups; i++)
                        put_u32(w, s->groups[i]);
                put_u64(w, s->nofile_soft);
                if ((r = put_str(w, s->cwd, SPAWN_WIRE_PATH_MAX)) < 0 ||
                    (r = put_str(w, s->identifier, SPAWN_WIRE_PATH_MAX)) < 0 ||
                    (r = put_str(w, s->unit_prefix, SPAWN_WIRE_PATH_MAX)) < 0 ||
                    (r = put_strv(w, s->argv, s->argc, SPAWN_WIRE_ARGV_MAX)) < 0 ||
                    (r = put_strv(w, s->envp, s->envc, SPAWN_WIRE_ENV_MAX)) < 0)
                        return r;
                return 0;
        case SPAWN_WIRE_SPAWN_REPLY:
                put_i32(w, m->spawn_reply.error);
                put_i32(w, m->spawn_reply.pid);
                put_u64(w, m->spawn_reply.start_ticks);
                put_u32(w, m->spawn_reply.fds);
                return 0;
        case SPAWN_WIRE_SIGNAL:
                put_i32(w, m->signal.pid);
                put_u64(w, m->signal.start_ticks);
                put_i32(w, m->signal.signal);
                put_u32(w, m->signal.flags);
                return 0;
        case SPAWN_WIRE_SIGNAL_REPLY:
                put_i32(w, m->signal_reply.error);
                return 0;
        case SPAWN_WIRE_EXIT:
                put_i32(w, m->exit.pid);
                put_u64(w, m->exit.start_ticks);
                put_i32(w, m->exit.code);
                put_i32(w, m->exit.signal);
                return 0;
        case SPAWN_WIRE_OOM_WATCH:
                return put_str(w, m->oom_watch.unit, SPAWN_WIRE_UNIT_MAX);
        case SPAWN_WIRE_OOM_WATCH_REPLY:
                put_i32(w, m->oom_watch_reply.error);
                return 0;
        default:
                return -EINVAL;
        }
}

int spawn_wire_encode(const SpawnWireMessage *m, void **ret, size_t *ret_size) {
        Writer w = { .off = HEADER_SIZE };
        int r;

        /* Twice: count, then write; the bound is checked before anything is allocated. */
        r = write_body(&w, m);
        if (r < 0)
                return r;
        if (w.off > SPAWN_WIRE_MESSAGE_MAX)
                return -E2BIG;
        w = (Writer) { .p = malloc(w.off), .size = w.off };
        if (!w.p)
                return -ENOMEM;
        put_u32(&w, SPAWN_WIRE_MAGIC);
        put(&w, &(uint16_t) { (uint16_t) m->type }, 2);
        put(&w, &(uint16_t) { 0 }, 2);
        put_u32(&w, (uint32_t) w.size);
        put_u32(&w, m->id);
        (void) write_body(&w, m);
        *ret = w.p;
        *ret_size = w.size;
        return 0;
}

typedef struct Reader {
        const uint8_t *p;
        size_t size, off;
        bool bad;
} Reader;

static void get(Reader *r, void *v, size_t n) {
        if (r->bad || r->size - r->off < n) {
                r->bad = true;
                memset(v, 0, n);
                return;
        }
        memcpy(v, r->p + r->off, n);
        r->off += n;
}
static uint32_t get_u32(Reader *r) { uint32_t v; get(r, &v, sizeof(v)); return v; }
static uint64_t get_u64(Reader *r) { uint64_t v; get(r, &v, sizeof(v)); return v; }
static int32_t get_i32(Reader *r) { int32_t v; get(r, &v, sizeof(v)); return v; }

static const char *get_str(Reader *r, size_t max) {
        uint32_t n = get_u32(r);
        const char *s;

        if (r->bad || n > max || r->size - r->off < (size_t) n + 1) {
                r->bad = true;
                return NULL;
        }
        s = (const char *) r->p + r->off;
        if (s[n] != '\0' || memchr(s, '\0', n)) {
                r->bad = true;
                return NULL;
        }
        r->off += (size_t) n + 1;
        return s;
}

static int get_strv(Reader *r, uint32_t max, char ***ret, uint32_t *ret_n) {
        uint32_t n = get_u32(r);
        char **l;

        if (r->bad)
                return -EBADMSG;
        if (n > max)
                return -E2BIG;
        /* Each string takes at least 5 bytes: a count beyond what is left is a lie. */
        if ((size_t) n > (r->size - r->off) / 5)
                return -EBADMSG;
        l = calloc((size_t) n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (uint32_t i = 0; i < n; i++) {
                l[i] = (char *) get_str(r, SPAWN_WIRE_STRING_MAX);
                if (!l[i]) {
                        free(l);
                        return -EBADMSG;
                }
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

void spawn_wire_message_done(SpawnWireMessage *m) {
        if (!m)
                return;
        if (m->type == SPAWN_WIRE_SPAWN) {
                free(m->spawn.argv);
                free(m->spawn.envp);
        }
        *m = (SpawnWireMessage) {};
}

static int read_spawn(Reader *r, SpawnWireSpawn *s) {
        int k;

        s->flags = get_u32(r);
        s->uid = get_u32(r);
        s->gid = get_u32(r);
        s->n_groups = get_u32(r);
        if (r->bad)
                return -EBADMSG;
        if (s->flags & ~_SPAWN_WIRE_SPAWN_FLAGS)
                return -EBADMSG;
        if (s->n_groups > SPAWN_WIRE_GROUPS_MAX)
                return -E2BIG;
        for (uint32_t i = 0; i < s->n_groups; i++)
                s->groups[i] = get_u32(r);
        s->nofile_soft = get_u64(r);
        s->cwd = get_str(r, SPAWN_WIRE_PATH_MAX);
        s->identifier = get_str(r, SPAWN_WIRE_PATH_MAX);
        s->unit_prefix = get_str(r, SPAWN_WIRE_PATH_MAX);
        if (r->bad)
                return -EBADMSG;
        k = get_strv(r, SPAWN_WIRE_ARGV_MAX, &s->argv, &s->argc);
        if (k < 0)
                return k;
        return get_strv(r, SPAWN_WIRE_ENV_MAX, &s->envp, &s->envc);
}

int spawn_wire_decode(const void *buf, size_t size, SpawnWireMessage *ret) {
        Reader r = { .p = buf, .size = size };
        SpawnWireMessage m = {};
        uint16_t type, reserved;
        uint32_t magic, length;
        int k = 0;

        if (!buf || size < HEADER_SIZE || size > SPAWN_WIRE_MESSAGE_MAX)
                return size > SPAWN_WIRE_MESSAGE_MAX ? -E2BIG : -EBADMSG;
        magic = get_u32(&r);
        get(&r, &type, sizeof(type));
        get(&r, &reserved, sizeof(reserved));
        length = get_u32(&r);
        m.id = get_u32(&r);
        if (magic != SPAWN_WIRE_MAGIC || reserved != 0 || length != size || type == 0 ||
            type >= _SPAWN_WIRE_TYPE_MAX)
                return -EBADMSG;
        m.type = (SpawnWireType) type;

        switch (m.type) {
        case SPAWN_WIRE_SPAWN:
                k = read_spawn(&r, &m.spawn);
                break;
        case SPAWN_WIRE_SPAWN_REPLY:
                m.spawn_reply.error = get_i32(&r);
                m.spawn_reply.pid = get_i32(&r);
                m.spawn_reply.start_ticks = get_u64(&r);
                m.spawn_reply.fds = get_u32(&r);
                if (m.spawn_reply.fds & ~_SPAWN_WIRE_FD_MASK)
                        k = -EBADMSG;
                break;
        case SPAWN_WIRE_SIGNAL:
                m.signal.pid = get_i32(&r);
                m.signal.start_ticks = get_u64(&r);
                m.signal.signal = get_i32(&r);
                m.signal.flags = get_u32(&r);
                if (m.signal.flags & ~_SPAWN_WIRE_SIGNAL_FLAGS)
                        k = -EBADMSG;
                break;
        case SPAWN_WIRE_SIGNAL_REPLY:
                m.signal_reply.error = get_i32(&r);
                break;
        case SPAWN_WIRE_EXIT:
                m.exit.pid = get_i32(&r);
                m.exit.start_ticks = get_u64(&r);
                m.exit.code = get_i32(&r);
                m.exit.signal = get_i32(&r);
                break;
        case SPAWN_WIRE_OOM_WATCH:
                m.oom_watch.unit = get_str(&r, SPAWN_WIRE_UNIT_MAX);
                break;
        case SPAWN_WIRE_OOM_WATCH_REPLY:
                m.oom_watch_reply.error = get_i32(&r);
                break;
        default:
                k = -EBADMSG;
        }
        if (k >= 0 && (r.bad || r.off != r.size))
                k = -EBADMSG;   /* truncated, or trailing bytes */
        if (k < 0) {
                spawn_wire_message_done(&m);
                return k;
        }
        *ret = m;
        return 0;
}

int spawn_wire_send(int sockfd, const void *buf, size_t size, const int *fds, size_t n_fds) {
        return spawn_wire_send_flags(sockfd, buf, size, fds, n_fds, 0);
}

int spawn_wire_send_flags(int sockfd, const void *buf, size_t size, const int *fds, size_t n_fds, int flags) {
        union {
                struct cmsghdr h;
                uint8_t buf[CMSG_SPACE(sizeof(int) * SPAWN_WIRE_FDS_MAX)];
        } control = {};
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = size };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t n;

        if (n_fds > SPAWN_WIRE_FDS_MAX)
                return -E2BIG;
        if (n_fds > 0) {
                struct cmsghdr *c;

                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
        }
        do
                n = sendmsg(sockfd, &mh, MSG_NOSIGNAL | flags);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return (size_t) n == size ? 0 : -EIO;
}

ssize_t spawn_wire_recv_full(int sockfd, void *buf, size_t size, int flags, int *fds, size_t *ret_n_fds,
                             bool *ret_fds_lost) {
        union {
                struct cmsghdr h;
                uint8_t buf[CMSG_SPACE(sizeof(int) * (SPAWN_WIRE_FDS_MAX + 1))];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = size };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof(control) };
        size_t n_fds = 0;
        bool extra = false, lost;
        struct rlimit rl;
        ssize_t n;

        for (size_t i = 0; i < SPAWN_WIRE_FDS_MAX; i++)
                fds[i] = -EBADF;
        do
                n = recvmsg(sockfd, &mh, MSG_CMSG_CLOEXEC | flags);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k; i++) {
                        int fd;
                        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (n_fds < SPAWN_WIRE_FDS_MAX)
                                fds[n_fds++] = fd;
                        else {
                                (void) close(fd);
                                extra = true;
                        }
                }
        }
        /* At RLIMIT_NOFILE the kernel drops the descriptors it cannot install and sets
         * MSG_CTRUNC. valgrind keeps a virtual limit below the kernel's and hands out numbers
         * above it that every later call (close too) refuses with EBADF: the same loss. The
         * kernel never installs one at or above the limit, so this is no check there. */
        lost = mh.msg_flags & MSG_CTRUNC;
        if (n_fds > 0 && getrlimit(RLIMIT_NOFILE, &rl) >= 0 && rl.rlim_cur != RLIM_INFINITY)
                for (size_t i = 0; i < n_fds; i++)
                        if ((rlim_t) fds[i] >= rl.rlim_cur) {
                                fds[i] = -EBADF;        /* not ours to close */
                                lost = true;
                        }
        if (extra || lost || (mh.msg_flags & MSG_TRUNC)) {
                for (size_t i = 0; i < n_fds; i++)
                        fds[i] = safe_close(fds[i]);
                n_fds = 0;
        }
        if (mh.msg_flags & MSG_TRUNC)
                return -EMSGSIZE;
        if (extra)
                return -EBADMSG;
        if (lost && !ret_fds_lost)
                return -EBADMSG;
        if (ret_fds_lost)
                *ret_fds_lost = lost;
        *ret_n_fds = n_fds;
        return n;
}

ssize_t spawn_wire_recv(int sockfd, void *buf, size_t size, int flags, int *fds, size_t *ret_n_fds) {
        return spawn_wire_recv_full(sockfd, buf, size, flags, fds, ret_n_fds, NULL);
}
