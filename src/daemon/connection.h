/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One client connection: bytes in → request lines (bounded), replies out in
 * request order (bounded queue), idle timeout, and who the peer is (TCP
 * address, or SO_PEERCRED for Unix sockets) and whether it authenticated.
 * Requests are handed to the sink the manager gives it (dispatch) as Calls; a
 * Call may finish later (polkit, STOP, START), and replies are only written
 * once every earlier one is.
 *
 * Must NOT: know commands or authorization (it only carries out what the
 * Call's owner operations tell it: authenticated, no more requests).
 */

#include <stdbool.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#include "daemon/call.h"
#include "shared/macro.h"
#include "shared/pidref.h"
#include "protocol/request.h"

typedef struct Manager Manager;
typedef struct Connection Connection;
typedef struct ConnectionPoller ConnectionPoller;
typedef struct TlsSession TlsSession;

/* TLS on a TCP connection, once the daemon has a certificate (see tls.h). */
typedef enum ConnectionTls {
        CONNECTION_TLS_OFF,             /* Unix socket, no TLS configured, or plaintext from loopback */
        CONNECTION_TLS_DETECT,          /* waiting for the first byte */
        CONNECTION_TLS_HANDSHAKE,
        CONNECTION_TLS_ON,
        CONNECTION_TLS_REFUSE,          /* plaintext from a non-loopback peer: AccessDenied, close */
} ConnectionTls;
typedef struct Stream Stream;

/* Where a connection hands each request it parsed (the Call owns the Request). The sink
 * must end every call in a reply, now or later. */
typedef void (*ConnectionRequestSink)(Call *call, void *userdata);

struct Connection {
        Manager *manager;
        Connection *prev, *next;
        int fd;
        ConnectionRequestSink sink;
        void *sink_userdata;
        uint32_t events;                /* what the manager's connection poller watches for */
        sd_event_source *idle_timer;    /* fires at the deadline it was last set to; re-armed from there */
        usec_t last_active;             /* when the last complete request arrived (loop time) */
        sd_event_source *defer;         /* continues parsing buffered lines on the next iteration */
        uint32_t deferred_revents;      /* socket events whose handling the defer source does */
        Peer peer;
        PidRef peer_pidref;             /* Unix peer pinned at accept (SO_PEERPIDFD or pidfd_open); unset if gone */
        bool authenticated;
        unsigned auth_failures;         /* wrong tokens so far; the connection closes at a few */
        ConnectionTls tls_state;
        TlsSession *tls;                /* reads and writes go through it when set */

        char *in;
        size_t in_len, in_alloc;

        char *out;
        size_t out_len, out_alloc, out_offset;

        /* The one stream of this session (WATCH, LOGS follow), hosted once its request's
         * reply is written; claimed from the request on, until UNWATCH or its end. */
        Stream *stream;
        bool stream_claimed;
        bool stream_more;               /* its last pull stopped for room: pull again when there is */
        sd_event_source *stream_defer;  /* the stream has news: pull on a later iteration */

        Call *calls_head, *calls_tail;
        unsigned n_calls;
        bool closing;                   /* no more requests; close once the output drained */
        bool eof;                       /* peer shut down its side */
        bool processing;                /* inside connection_process_input(): don't recurse */
        usec_t turn_end;                /* CLOCK_MONOTONIC: this turn's requests stop here */
};

/* Takes over fd. Requests go to sink. The connection links itself into m->connections
 * and keeps m->n_connections and m->idle_since (for the manager's idle check) current. */
int connection_new(Manager *m, int fd, ConnectionRequestSink sink, void *userdata, Connection **ret);
/* Every connection's socket is in one epoll set of the manager's, which is a single
 * source of the event loop: one loop iteration serves every connection that is ready.
 * Freed by manager_free() once the connections are gone. */
ConnectionPoller *connection_poller_free(ConnectionPoller *p);
Connection *connection_free(Connection *c);
/* The key per-source limits count TCP peers by (see Peer.source). */
void peer_source_key(const struct sockaddr *sa, uint8_t ret[static 16]);
/* TCP connections from the source with this key. */
unsigned connection_count_source(Manager *m, const uint8_t source[static 16]);
/* Refuse politely: one error line, then close (used for the connection limit). */
void connection_refuse(int fd, ErrorCode e, const char *msg);
