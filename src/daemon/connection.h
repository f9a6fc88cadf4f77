/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One client connection: bytes in → request lines (bounded), replies out in
 * request order (bounded queue), idle timeout, and who the peer is (TCP
 * address, or SO_PEERCRED for Unix sockets) and whether it authenticated.
 * Requests are handed to dispatch as Calls; a Call may finish later (polkit,
 * STOP, START), and replies are only written once every earlier one is.
 */

#include <jansson.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "shared/macro.h"
#include "protocol/request.h"

typedef struct Manager Manager;
typedef struct Connection Connection;
typedef struct Call Call;
typedef struct ConnectionPoller ConnectionPoller;

typedef struct Peer {
        bool is_unix;
        bool has_cred;                  /* SO_PEERCRED succeeded */
        pid_t pid;
        uid_t uid;
        gid_t gid;
        uint64_t start_ticks;           /* of the peer process, for polkit subjects */
        char description[80];           /* "127.0.0.1:41234" or "uid=1000 pid=77" */
} Peer;

struct Call {
        Manager *manager;
        Connection *connection;         /* NULL once the connection has gone away */
        Call *next;
        Request request;
        Peer peer_copy;                 /* a copy: async work may outlive the connection; see call_peer() */
        bool authenticated;             /* TCP: connection or this request carried the token */
        bool done;
        json_t *reply;
        char *reply_line;               /* or the reply already serialized, with its '\n' */
        size_t reply_line_len;
        bool close_after;               /* close the connection once this reply is written */
};

struct Connection {
        Manager *manager;
        Connection *prev, *next;
        int fd;
        uint32_t events;                /* what the manager's connection poller watches for */
        sd_event_source *idle_timer;    /* fires at the deadline it was last set to; re-armed from there */
        usec_t last_active;             /* when the last complete request arrived (loop time) */
        sd_event_source *defer;         /* continues parsing buffered lines on the next iteration */
        Peer peer;
        bool authenticated;
        unsigned auth_failures;         /* wrong tokens so far; the connection closes at a few */

        char *in;
        size_t in_len, in_alloc;

        char *out;
        size_t out_len, out_alloc, out_offset;

        Call *calls_head, *calls_tail;
        unsigned n_calls;
        bool closing;                   /* no more requests; close once the output drained */
        bool eof;                       /* peer shut down its side */
        bool processing;                /* inside connection_process_input(): don't recurse */
};

int connection_new(Manager *m, int fd, Connection **ret);     /* takes over fd */
/* Every connection's socket is in one epoll set of the manager's, which is a single
 * source of the event loop: one loop iteration serves every connection that is ready.
 * Freed by manager_free() once the connections are gone. */
ConnectionPoller *connection_poller_free(ConnectionPoller *p);
Connection *connection_free(Connection *c);
/* Refuse politely: one error line, then close (used for the connection limit). */
void connection_refuse(int fd, ErrorCode e, const char *msg);

/* Finishing calls: each takes over `reply` and writes it when its turn comes. */
void call_reply(Call *call, json_t *reply);
/* The same with a reply line serialized by the handler (malloc'ed, ending in '\n', taken
 * over); NULL means out of memory and becomes an Internal error reply. */
void call_reply_raw(Call *call, char *line, size_t len);
void call_reply_error(Call *call, ErrorCode e, const char *format, ...) _printf_(3, 4);
void call_reply_errno(Call *call, int r, const char *format, ...) _printf_(3, 4);
/* A fresh ok reply carrying the call's id; NULL on OOM. */
json_t *call_reply_new(Call *call);
const Peer *call_peer(const Call *call);
