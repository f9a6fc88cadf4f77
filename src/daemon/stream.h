/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A stream: lines a request keeps producing after its reply (WATCH, LOGS
 * follow). The handler creates it and hands it to its Call; the front end
 * that owns the call (the connection) hosts it once the reply is written,
 * pulls lines while it has room, and frees it when the stream ends, the
 * client sends UNWATCH or goes away. The producer never pushes: it keeps its
 * own bounded backlog (or a cursor into a shared one) and wakes the host.
 *
 * Must NOT: know connections or sockets; allocate per line beyond what its
 * own bound allows.
 */

#include <stdbool.h>
#include <stddef.h>

#include "shared/macro.h"

typedef struct Stream Stream;

/* Where a pull writes. write() takes a whole line (with its '\n'); a pull writes while
 * room > 0 (the last line may go past it). */
typedef struct StreamSink {
        int (*write)(void *host, const char *line, size_t len);
        void *host;
        size_t room;
} StreamSink;

typedef struct StreamOps {
        /* Write what is ready into sink. 0: more may come (the stream wakes its host);
         * 1: ended, the last line is written; < 0: failed (the host ends it). */
        int (*pull)(Stream *s, StreamSink *sink);
        void (*free)(Stream *s);
} StreamOps;

struct Stream {
        const StreamOps *ops;
        void *host;                     /* set by the host while it hosts the stream */
        void (*wakeup)(void *host);     /* "pull me": may be called any time, even while pulled */
};

static inline void stream_wakeup(Stream *s) {
        if (s && s->host && s->wakeup)
                s->wakeup(s->host);
}

static inline Stream *stream_free(Stream *s) {
        if (s)
                s->ops->free(s);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Stream *, stream_free);

/* For pulls: write one line, keep count of the room. */
static inline int stream_sink_write(StreamSink *sink, const char *line, size_t len) {
        int r = sink->write(sink->host, line, len);

        if (r >= 0)
                sink->room = sink->room > len ? sink->room - len : 0;
        return r;
}
