/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * WATCH and UNWATCH: the event stream of managed processes. A WATCH stream is
 * a cursor into the daemon-wide event history (event-history.h) plus the
 * caller's filters and visibility; it costs no memory per event. A client
 * that falls so far behind that the history has dropped its next event gets
 * {"event":"overflow","seq":N} and the stream ends.
 */

#include <string.h>

#include "daemon/auth.h"
#include "daemon/commands.h"
#include "daemon/event-history.h"
#include "daemon/manager.h"
#include "daemon/stream.h"
#include "protocol/json-writer.h"
#include "shared/log.h"

typedef struct WatchStream {
        Stream stream;
        EventHistory *history;
        EventHistoryListener *listener;
        uint64_t cursor;                /* the next seq to look at */
        pid_t pid;                      /* filters; 0 / NULL: any */
        char *name;
        char *unit;
        bool all;                       /* sees every process (privileged), else only uid's */
        uid_t uid;
} WatchStream;

static void watch_stream_free(Stream *s) {
        WatchStream *w = (WatchStream *) s;

        event_history_listener_free(w->listener);
        free(w->name);
        free(w->unit);
        free(w);
}

static bool watch_matches(const WatchStream *w, const HistoryEvent *e) {
        if (!w->all && e->uid != w->uid)
                return false;
        if (w->pid > 0 && e->pid != w->pid)
                return false;
        if (w->name && (!e->name || strcmp(e->name, w->name) != 0))
                return false;
        if (w->unit && (!e->unit || strcmp(e->unit, w->unit) != 0))
                return false;
        return true;
}

static int watch_stream_pull(Stream *s, StreamSink *sink) {
        WatchStream *w = (WatchStream *) s;
        uint64_t last = event_history_last(w->history);
        int r;

        if (w->cursor < event_history_first(w->history)) {
                /* Fell out of the history while the client did not read: say so, and end. */
                _cleanup_(json_writer_done) JsonWriter j = {};
                _cleanup_free_ char *line = NULL;
                size_t len;

                json_writer_literal(&j, "{\"event\":\"overflow\",\"seq\":");
                json_writer_uint(&j, last);
                json_writer_literal(&j, "}\n");
                line = json_writer_steal(&j, &len);
                if (!line)
                        return -ENOMEM;
                r = stream_sink_write(sink, line, len);
                return r < 0 ? r : 1;
        }
        while (sink->room > 0 && w->cursor <= last) {
                const HistoryEvent *e = event_history_get(w->history, w->cursor);

                if (e && watch_matches(w, e)) {
                        r = stream_sink_write(sink, e->line, e->line_len);
                        if (r < 0)
                                return r;
                }
                w->cursor++;
        }
        /* Still behind (no room): the host pulls again once its queue drained. */
        return 0;
}

static const StreamOps watch_stream_ops = {
        .pull = watch_stream_pull,
        .free = watch_stream_free,
};

static void on_history_wakeup(void *userdata) {
        WatchStream *w = userdata;

        stream_wakeup(&w->stream);
}

int command_watch(Call *call) {
        const WatchParameters *a = &call->request.params.watch;
        EventHistory *h = call->manager->history;
        _cleanup_(json_decrefp) json_t *reply = NULL;
        _cleanup_(stream_freep) Stream *stream = NULL;
        WatchStream *w;
        uint64_t first = event_history_first(h), last = event_history_last(h);
        bool lost = false;
        int r;

        r = call_stream_claim(call);
        if (r == -EBUSY) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "this connection has a stream already");
                return 0;
        }
        if (r < 0) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "streams are not available here");
                return 0;
        }

        w = calloc(1, sizeof(WatchStream));
        if (!w) {
                call_stream_release(call);
                return -ENOMEM;
        }
        *w = (WatchStream) {
                .stream.ops = &watch_stream_ops,
                .history = h,
                .pid = a->pid,
                .all = auth_call_is_privileged(call),
                .uid = call_peer(call)->uid,
                .cursor = last + 1,
        };
        stream = &w->stream;
        if ((a->name && !(w->name = strdup(a->name))) || (a->unit && !(w->unit = strdup(a->unit)))) {
                call_stream_release(call);
                return -ENOMEM;
        }
        /* Unix callers other than root see their own processes only; without credentials
         * nothing (as STATUS). */
        if (!w->all && !(call_peer(call)->is_unix && call_peer(call)->has_cred))
                w->uid = (uid_t) -1;
        if (a->after >= 0) {
                uint64_t after = (uint64_t) a->after;

                if (after < last) {
                        lost = after + 1 < first;
                        w->cursor = lost ? first : after + 1;
                }
        }
        r = event_history_listen(h, on_history_wakeup, w, &w->listener);
        if (r < 0) {
                call_stream_release(call);
                return r;
        }

        reply = call_reply_new(call);
        if (!reply || json_object_set_new(reply, "seq", json_integer((json_int_t) last)) < 0 ||
            (lost && json_object_set_new(reply, "lost", json_true()) < 0)) {
                call_stream_release(call);
                return -ENOMEM;
        }
        call->stream = TAKE_PTR(stream);        /* started once the reply is written */
        call_reply(call, TAKE_PTR(reply));
        return 0;
}

int command_unwatch(Call *call) {
        /* The stream (if any) ends when this reply is written: its last line before it. */
        call_stream_release(call);
        call->ends_stream = true;
        call_reply(call, call_reply_new(call));
        return 0;
}
