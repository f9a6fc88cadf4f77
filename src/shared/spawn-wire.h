/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The fixed binary format between procmgrd (the unprivileged front) and
 * procmgr-spawn (the privileged helper): one message per SOCK_SEQPACKET
 * record, a fixed header, fixed-width integers in host byte order (both ends
 * run on one machine), strings as u32 length + bytes + NUL, hard bounds on
 * every count and size. Descriptors travel beside a message as SCM_RIGHTS.
 *
 * Pure codec plus the two socket calls: no allocation beyond the decoded
 * vectors, no logging, no policy (the helper re-validates what it acts on).
 * Fuzzed (tests/fuzz/fuzz-spawn-wire.c); docs/ARCHITECTURE.md has the messages.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SPAWN_WIRE_MAGIC 0x31575350U            /* "PSW1" read as little-endian bytes */
#define SPAWN_WIRE_MESSAGE_MAX (192U * 1024U)   /* one record; fits the default socket buffer */
#define SPAWN_WIRE_ARGV_MAX 16384U
#define SPAWN_WIRE_ENV_MAX 1024U
#define SPAWN_WIRE_GROUPS_MAX 256U
#define SPAWN_WIRE_STRING_MAX (128U * 1024U)    /* the kernel's MAX_ARG_STRLEN */
#define SPAWN_WIRE_PATH_MAX 4096U               /* cwd, identifier, unit prefix */
#define SPAWN_WIRE_FDS_MAX 3U
#define SPAWN_WIRE_UNIT_MAX 255U                /* a unit name (systemd's UNIT_NAME_MAX - 1) */

typedef enum SpawnWireType {
        SPAWN_WIRE_SPAWN = 1,           /* front → helper; reply SPAWN_REPLY + fds */
        SPAWN_WIRE_SPAWN_REPLY,
        SPAWN_WIRE_SIGNAL,              /* front → helper, with the pidfd (if any); reply SIGNAL_REPLY */
        SPAWN_WIRE_SIGNAL_REPLY,
        SPAWN_WIRE_EXIT,                /* helper → front, unasked: a child was reaped */
        SPAWN_WIRE_OOM_WATCH,           /* front → helper: arm a scope's v1 OOM notification */
        SPAWN_WIRE_OOM_WATCH_REPLY,     /* + the eventfd and memory.oom_control when error is 0 */
        _SPAWN_WIRE_TYPE_MAX,
} SpawnWireType;

/* SPAWN flags */
#define SPAWN_WIRE_HOLD                 (1U << 0)       /* child waits for the release byte */
#define SPAWN_WIRE_CHANGE_IDENTITY      (1U << 1)       /* setgroups/setresgid/setresuid */
#define SPAWN_WIRE_CWD_EXPLICIT         (1U << 2)       /* failing to enter cwd fails the start */
#define _SPAWN_WIRE_SPAWN_FLAGS         0x7U
/* SIGNAL flags */
#define SPAWN_WIRE_GROUP                (1U << 0)       /* also the process group it leads */
#define SPAWN_WIRE_HAS_PIDFD            (1U << 1)       /* the pidfd rides along */
#define _SPAWN_WIRE_SIGNAL_FLAGS        0x3U
/* SPAWN_REPLY: which descriptors ride along, in this order */
#define SPAWN_WIRE_FD_PIDFD             (1U << 0)
#define SPAWN_WIRE_FD_ERROR             (1U << 1)
#define SPAWN_WIRE_FD_HOLD              (1U << 2)
#define _SPAWN_WIRE_FD_MASK             0x7U

typedef struct SpawnWireSpawn {
        uint32_t flags;
        uint32_t uid, gid;
        uint32_t n_groups;
        uint32_t groups[SPAWN_WIRE_GROUPS_MAX];
        uint64_t nofile_soft;           /* 0: leave as is */
        const char *cwd;                /* "" = "/" */
        const char *identifier;         /* journal stream identifier; "" = no journal */
        const char *unit_prefix;        /* "" = none */
        char **argv;                    /* decoded: allocated vector of pointers into the buffer */
        char **envp;
        uint32_t argc, envc;
} SpawnWireSpawn;

typedef struct SpawnWireSpawnReply {
        int32_t error;                  /* 0 or a negative errno */
        int32_t pid;
        uint64_t start_ticks;
        uint32_t fds;                   /* SPAWN_WIRE_FD_* */
} SpawnWireSpawnReply;

typedef struct SpawnWireSignal {
        int32_t pid;
        uint64_t start_ticks;
        int32_t signal;
        uint32_t flags;
} SpawnWireSignal;

typedef struct SpawnWireSignalReply {
        int32_t error;
} SpawnWireSignalReply;

typedef struct SpawnWireExit {
        int32_t pid;
        uint64_t start_ticks;
        int32_t code;                   /* when signal == 0 */
        int32_t signal;
} SpawnWireExit;

typedef struct SpawnWireOomWatch {
        const char *unit;               /* a scope of procmgr.slice */
} SpawnWireOomWatch;

typedef struct SpawnWireOomWatchReply {
        int32_t error;
} SpawnWireOomWatchReply;

typedef struct SpawnWireMessage {
        SpawnWireType type;
        uint32_t id;                    /* a reply carries its request's id; EXIT: 0 */
        union {
                SpawnWireSpawn spawn;
                SpawnWireSpawnReply spawn_reply;
                SpawnWireSignal signal;
                SpawnWireSignalReply signal_reply;
                SpawnWireExit exit;
                SpawnWireOomWatch oom_watch;
                SpawnWireOomWatchReply oom_watch_reply;
        };
} SpawnWireMessage;

/* Encoders: a malloc'ed record in *ret (free()), its size in *ret_size. -E2BIG when a
 * bound is exceeded, -EINVAL for a NULL string or an interior NUL. */
int spawn_wire_encode(const SpawnWireMessage *m, void **ret, size_t *ret_size);

/* Decodes one record. Strings point into buf, which must outlive *ret and stay
 * unchanged; argv/envp are allocated (spawn_wire_message_done()). -EBADMSG for anything
 * malformed (bad magic, type, length, flags, truncation, trailing bytes, strings without
 * their NUL or with one inside), -E2BIG for a count over its bound. */
int spawn_wire_decode(const void *buf, size_t size, SpawnWireMessage *ret);
void spawn_wire_message_done(SpawnWireMessage *m);

/* One record with up to SPAWN_WIRE_FDS_MAX descriptors; MSG_NOSIGNAL. */
int spawn_wire_send(int sockfd, const void *buf, size_t size, const int *fds, size_t n_fds);
/* The same with sendmsg() flags (MSG_DONTWAIT: -EAGAIN when the socket is full). */
int spawn_wire_send_flags(int sockfd, const void *buf, size_t size, const int *fds, size_t n_fds, int flags);
/* One record into buf (size bytes: SPAWN_WIRE_MESSAGE_MAX + 1 detects an oversized
 * one, -EMSGSIZE) and its descriptors (O_CLOEXEC) into fds[SPAWN_WIRE_FDS_MAX], -EBADF
 * filled. Returns the record's size, 0 at EOF, or a negative errno; extra descriptors
 * are closed and -EBADMSG returned. */
ssize_t spawn_wire_recv(int sockfd, void *buf, size_t size, int flags, int *fds, size_t *ret_n_fds);
/* The same, but a record whose descriptors did not all arrive (the receiver is at its
 * RLIMIT_NOFILE: MSG_CTRUNC) is still returned, with no descriptors (those that came are
 * closed) and *ret_fds_lost set, so that the receiver can act on what the record says
 * (a child the reply names must not be left behind). */
ssize_t spawn_wire_recv_full(int sockfd, void *buf, size_t size, int flags, int *fds, size_t *ret_n_fds,
                             bool *ret_fds_lost);
