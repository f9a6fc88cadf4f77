/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LOGS follow: after LOGS' reply (the backlog and a cursor), a stream of the
 * records journald writes for that process or unit, read from a journal of
 * the stream's own whose inotify fd sits in the event loop (no timer), one
 * {"event":"log",...} line per record while the connection has room: the
 * journal itself is the backlog, so a client that does not read costs no
 * memory here. Once the process is gone (pidfd) and a short grace for its
 * last lines has passed, the stream drains and ends with {"event":"end"}.
 */

#include <string.h>

#include "daemon/backend.h"
#include "daemon/commands.h"
#include "daemon/journal-read.h"
#include "daemon/manager.h"
#include "daemon/process-watch.h"
#include "daemon/stream.h"
#include "protocol/reply.h"
#include "shared/log.h"
#include "shared/pidref.h"
#include "shared/utf8.h"

#define FOLLOW_MAX 64U                                  /* journals open for followers */
#define FOLLOW_END_GRACE_USEC (1 * USEC_PER_SEC)        /* for journald to take its last lines */

typedef struct FollowStream {
        Stream stream;
        Manager *manager;
        JournalFollow *follow;
        pid_t pid;                      /* in the lines; 0: none */
        PidRef ref;
        ProcessWatch *watch;
        sd_event_source *grace;
        bool draining;                  /* gone and the grace is over: end once caught up */
} FollowStream;

static void follow_stream_free(Stream *s) {
        FollowStream *f = (FollowStream *) s;

        journal_follow_free(f->follow);
        process_watch_free(f->watch);
        pidref_done(&f->ref);
        sd_event_source_disable_unref(f->grace);
        f->manager->n_follows--;
        free(f);
}

static json_t *json_string_lossy(const char *s, size_t n) {
        _cleanup_free_ char *copy = NULL;
        json_t *j = json_stringn(s, n);

        if (j)
                return j;
        copy = malloc(UTF8_SANITIZED_MAX(n));
        if (!copy)
                return NULL;
        (void) utf8_sanitize(s, n, ' ', copy, UTF8_SANITIZED_MAX(n));
        return json_string(copy);
}

static int write_json_line(StreamSink *sink, json_t *o) {
        _cleanup_free_ char *line = NULL;
        size_t len;

        if (!o)
                return -ENOMEM;
        line = reply_serialize(o, &len);
        json_decref(o);
        if (!line)
                return -ENOMEM;
        return stream_sink_write(sink, line, len);
}

static int follow_stream_pull(Stream *s, StreamSink *sink) {
        FollowStream *f = (FollowStream *) s;
        int r;

        while (sink->room > 0) {
                _cleanup_free_ char *cursor = NULL;
                JournalEntry e = {};
                json_t *msg;

                r = journal_follow_next(f->follow, &e, &cursor);
                if (r < 0)
                        return r;
                if (r == 0) {
                        if (!f->draining)
                                return 0;
                        r = write_json_line(sink, json_pack("{s:s}", "event", "end"));
                        return r < 0 ? r : 1;
                }
                msg = json_string_lossy(e.message, e.message_len);
                free(e.message);
                if (!msg)
                        return -ENOMEM;
                r = write_json_line(sink, json_pack("{s:s, s:I, s:i, s:o, s:o, s:s}", "event", "log",
                                                    "ts", (json_int_t) e.realtime, "priority", e.priority,
                                                    "message", msg,
                                                    "pid", f->pid > 0 ? json_integer(f->pid) : json_null(),
                                                    "cursor", cursor));
                if (r < 0)
                        return r;
        }
        return 0;
}

static const StreamOps follow_stream_ops = {
        .pull = follow_stream_pull,
        .free = follow_stream_free,
};

static void on_journal_wakeup(void *userdata) {
        FollowStream *f = userdata;

        stream_wakeup(&f->stream);
}

static int on_grace_over(sd_event_source *s, uint64_t usec, void *userdata) {
        FollowStream *f = userdata;

        f->draining = true;
        stream_wakeup(&f->stream);
        return 0;
}

static void follow_gone(FollowStream *f) {
        if (f->grace || sd_event_add_time_relative(f->manager->event, &f->grace, CLOCK_MONOTONIC,
                                                   FOLLOW_END_GRACE_USEC, 0, on_grace_over, f) < 0)
                f->draining = true;     /* no timer: end once caught up */
        stream_wakeup(&f->stream);
}

static void on_process_gone(ProcessWatch *w, void *userdata) {
        FollowStream *f = userdata;

        f->watch = process_watch_free(f->watch);
        follow_gone(f);
}

int command_logs_follow(Call *call, const JournalQuery *q, const char *unit, pid_t pid) {
        Manager *m = call->manager;
        const char *after_cursor = call->request.params.logs.after_cursor;
        _cleanup_(json_decrefp) json_t *reply = NULL, *arr = NULL;
        _cleanup_(stream_freep) Stream *stream = NULL;
        _cleanup_free_ char *cursor = NULL;
        JournalEntry *entries = NULL;
        FollowStream *f;
        Managed *mp = NULL;
        size_t n = 0;
        int r;

        if (m->n_follows >= FOLLOW_MAX) {
                call_reply_error(call, ERROR_LIMIT_EXCEEDED, "too many LOGS follows (max %u)", FOLLOW_MAX);
                return 0;
        }
        r = call_stream_claim(call);
        if (r < 0) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, r == -EBUSY ? "this connection has a stream already"
                                                                         : "streams are not available here");
                return 0;
        }
        f = calloc(1, sizeof(FollowStream));
        if (!f) {
                call_stream_release(call);
                return -ENOMEM;
        }
        *f = (FollowStream) { .stream.ops = &follow_stream_ops, .manager = m, .ref = PIDREF_NULL };
        m->n_follows++;
        stream = &f->stream;

        r = journal_follow_new(m->event, q, after_cursor, on_journal_wakeup, f, &entries, &n, &cursor, &f->follow);
        if (r < 0) {
                call_stream_release(call);
                if (r == -EINVAL && after_cursor) {
                        call_reply_error(call, ERROR_INVALID_ARGUMENT, "invalid 'after_cursor'");
                        return 0;
                }
                call_reply_errno(call, r, "cannot follow the journal: %s", strerror(-r));
                return 0;
        }

        /* What ends the stream: the process (a unit: its managed main process) going away. */
        if (pid > 0)
                mp = backend_find(m->backend, pid);
        else if (unit)
                for (size_t i = 0; i < m->backend->n_managed && !mp; i++)
                        if (m->backend->managed[i]->unit && !m->backend->managed[i]->exited &&
                            strcmp(m->backend->managed[i]->unit, unit) == 0)
                                mp = m->backend->managed[i];
        f->pid = pid > 0 ? pid : mp ? mp->pid : 0;
        if (f->pid > 0 && pidref_set_pid_and_start(&f->ref, f->pid, mp ? mp->start_ticks : 0) >= 0 &&
            process_watch_new(m->event, &f->ref, on_process_gone, f, &f->watch) >= 0)
                ;
        else
                follow_gone(f);         /* gone already (or cannot be watched): drain and end */

        arr = json_array();
        reply = call_reply_new(call);
        for (size_t i = 0; arr && i < n; i++) {
                json_t *msg = json_string_lossy(entries[i].message, entries[i].message_len);

                if (!msg || json_array_append_new(arr, json_pack("{s:I, s:i, s:o}", "ts",
                                                                 (json_int_t) entries[i].realtime,
                                                                 "priority", entries[i].priority, "message", msg)) < 0) {
                        json_decref(arr);
                        arr = NULL;
                }
        }
        journal_entries_free(entries, n);
        if (!arr || !reply || json_object_set_new(reply, "lines", TAKE_PTR(arr)) < 0 ||
            json_object_set_new(reply, "cursor", cursor ? json_string(cursor) : json_null()) < 0 ||
            (unit && json_object_set_new(reply, "unit", json_string(unit)) < 0)) {
                call_stream_release(call);
                return -ENOMEM;
        }
        call->stream = TAKE_PTR(stream);
        call_reply(call, TAKE_PTR(reply));
        return 0;
}
