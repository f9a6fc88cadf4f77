/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One request in flight, independent of the front end that received it: the
 * parsed Request, a snapshot of who asked (Peer), and the slot its reply goes
 * into. Handlers, auth, the LIST job and LOGS see only this; they never see a
 * connection. The front end that created the Call (the connection, or the D-Bus
 * adapter bus-call.c) installs CallOwnerOps: it is told when the reply is ready
 * and when the call changes the session (authenticated, no more requests, a
 * wrong token), and decides itself what that means for its transport.
 *
 * Must NOT: write to sockets, decide authorization, or know the Manager's
 * layout (the manager pointer is only carried for the handlers).
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol/error.h"
#include "protocol/request.h"
#include "shared/macro.h"

typedef struct Manager Manager;
typedef struct Call Call;
typedef struct Stream Stream;
typedef struct ProcessInfo ProcessInfo;

typedef struct Peer {
        bool is_unix;
        bool has_cred;                  /* SO_PEERCRED succeeded */
        pid_t pid;
        uid_t uid;
        gid_t gid;
        uint64_t start_ticks;           /* of the peer process, for polkit subjects */
        /* TCP: the source the per-source limits count by (connections, token failures): the
         * IPv4 address mapped into IPv6, or an IPv6 address's /64 (one host's usual share). */
        uint8_t source[16];
        char description[80];           /* "127.0.0.1:41234" or "uid=1000 pid=77" */
        /* A D-Bus caller (is_unix, uid/pid from the bus): its unique name, the polkit subject
         * (system-bus-name); "" for socket peers. */
        char bus_sender[256];
        bool bus_interactive;           /* its message allows interactive authorization */
} Peer;

/* A front end whose wire is not JSON (D-Bus) may take LIST's entries as structs: the LIST
 * job filters, sorts, limits and slices as for every call, and hands each entry here
 * instead of writing JSON text, then completes the call with call_reply_written(). Each
 * returns < 0 to fail the call. */
typedef struct CallProcessWriter {
        int (*begin)(Call *call, size_t n_shown, size_t n_match);
        int (*process)(Call *call, const ProcessInfo *p, bool managed, const char *unit);
        int (*end)(Call *call);
} CallProcessWriter;

/* What the front end that owns a call is told. Every member may be NULL. */
typedef struct CallOwnerOps {
        /* The reply slot is filled: write it when its turn comes, then call_free(). */
        void (*done)(Call *call, void *owner);
        /* The session authenticated (AUTH with a valid token): later calls are, too. */
        void (*authenticated)(void *owner);
        /* Serve no request after this one (EXIT, too many wrong tokens). */
        void (*no_more_requests)(void *owner);
        /* A wrong token was given; returns the session's count so far. */
        unsigned (*auth_failed)(void *owner);
        /* Streams (WATCH, LOGS follow): claim the session's one stream slot (0, -EBUSY when
         * taken, -EOPNOTSUPP when the front end has no streams), or give it back (UNWATCH). */
        int (*stream_claim)(void *owner, bool claim);
        /* LIST's entries as structs (see CallProcessWriter); NULL: JSON text. */
        const CallProcessWriter *process_writer;
} CallOwnerOps;

struct Call {
        Manager *manager;
        const CallOwnerOps *ops;
        void *owner;                    /* NULL once the front end has gone away */
        Call *next;                     /* the owner's queue */
        Request request;
        Peer peer;                      /* a copy: async work may outlive the owner */
        bool authenticated;             /* TCP: the session or this request carried the token */
        bool done;
        json_t *reply;
        char *reply_line;               /* or the reply already serialized, with its '\n' */
        size_t reply_line_len;
        bool reply_written;             /* the reply went to ops->process_writer, not into the slot */
        bool close_after;               /* the owner closes once this reply is written */
        Stream *stream;                 /* starts once this reply is written (owned) */
        bool ends_stream;               /* the session's stream ends before this reply (UNWATCH) */
        /* Its outcome may change the session (a token check held back by the throttle):
         * the owner starts no later request of the session before this one is done. */
        bool barrier;

        /* Authorization in progress, see auth_verify_async(): the last polkit answer and
         * what to run again once it arrives. */
        int auth_action;                /* AuthAction answered, -1: none */
        int auth_result;                /* 1 granted, < 0 denied */
        unsigned auth_rounds;
        void (*resume)(Call *call);
};

/* A call of owner's, with a copy of peer; takes over nothing. NULL on OOM. */
Call *call_new(Manager *m, const Peer *peer, bool authenticated, const CallOwnerOps *ops, void *owner);
Call *call_free(Call *call);
DEFINE_TRIVIAL_CLEANUP_FUNC(Call *, call_free);
/* The owner went away: the call finishes its work and is freed when it replies. */
void call_detach(Call *call);
static inline bool call_is_detached(const Call *call) {
        return !call->owner;
}

static inline const Peer *call_peer(const Call *call) {
        return &call->peer;
}

/* Finishing calls: each takes over `reply` and hands it to the owner. */
void call_reply(Call *call, json_t *reply);
/* The same with a reply line serialized by the handler (malloc'ed, ending in '\n', taken
 * over); NULL means out of memory and becomes an Internal error reply. */
void call_reply_raw(Call *call, char *line, size_t len);
/* The reply was handed to the owner's process writer, piece by piece. */
void call_reply_written(Call *call);
void call_reply_error(Call *call, ErrorCode e, const char *format, ...) _printf_(3, 4);
void call_reply_errno(Call *call, int r, const char *format, ...) _printf_(3, 4);
/* A fresh ok reply carrying the call's id; NULL on OOM. */
json_t *call_reply_new(Call *call);
/* Shared by handlers: reply InvalidArgument with msg when r < 0. Returns r. */
int reply_bad_argument(Call *call, int r, const char *msg);

/* Session changes, passed on to the owner (see CallOwnerOps). */
void call_set_authenticated(Call *call);
void call_no_more_requests(Call *call);
unsigned call_note_auth_failure(Call *call);
/* The session's stream slot: see CallOwnerOps.stream_claim. */
int call_stream_claim(Call *call);
void call_stream_release(Call *call);
