/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The event ring and its sequence numbers; see event-history.h.
 *
 * The seq file holds one fixed-width decimal line: the highest seq this or an
 * earlier daemon may have handed out. Before the first seq of a new block is
 * used, the block's end is written and synced (pwrite at offset 0, fdatasync),
 * so whatever happens afterwards (crash, power loss) the next daemon starts
 * above every seq a client can have seen. A restart skips the rest of the
 * block: numbers have a gap there, never a repeat.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/backend.h"
#include "daemon/event-history.h"
#include "protocol/json-writer.h"
#include "shared/fd-util.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/parse-util.h"
#include "shared/utf8.h"

#define SEQ_RECORD_LEN 21       /* 20 digits + '\n' */

struct EventHistoryListener {
        EventHistory *owner;
        EventHistoryWakeup wakeup;
        void *userdata;
        LIST_FIELDS(EventHistoryListener, listeners);
};

struct EventHistory {
        ProcessEventSubscription *subscription;
        int state_fd;
        uint64_t reserved;      /* seqs up to this are on disk as used */
        uint64_t last;          /* newest seq handed out */
        HistoryEvent *ring;     /* ring[seq % capacity] */
        size_t capacity;
        size_t n;               /* retained: the seqs (last - n, last] */
        EventHistoryListener *listeners;
        EventHistoryListener *next_wakeup;
};

static void history_event_done(HistoryEvent *e) {
        free(e->name);
        free(e->unit);
        free(e->line);
        *e = (HistoryEvent) {};
}

int event_history_open_state(const char *dir, int *ret_fd) {
        /* The first time, the directory entry must be durable too. */
        return open_state_file(dir, EVENT_HISTORY_SEQ_FILE, O_RDWR | O_CREAT, 0644, /* sync_dir= */ true, ret_fd);
}

static int seq_file_read(int fd, uint64_t *ret) {
        char buf[SEQ_RECORD_LEN + 1];
        ssize_t n;
        uint64_t v = 0;

        n = pread(fd, buf, sizeof(buf) - 1, 0);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        if (n == 0) {
                *ret = 0;
                return 0;
        }
        buf[strcspn(buf, "\n")] = '\0';
        if (safe_atou64(buf, &v) < 0)
                return -EBADMSG;
        *ret = v;
        return 0;
}

static int seq_file_write(int fd, uint64_t v) {
        char buf[SEQ_RECORD_LEN + 1];
        ssize_t n;

        (void) snprintf(buf, sizeof(buf), "%020" PRIu64 "\n", v);
        /* One fixed-size write at offset 0: the record is never half old, half new in size. */
        n = pwrite(fd, buf, SEQ_RECORD_LEN, 0);
        if (n < 0)
                return -errno;
        if (n != SEQ_RECORD_LEN)
                return -EIO;
        if (fdatasync(fd) < 0)
                return -errno;
        return 0;
}

static void on_process_event(const ProcessEvent *ev, void *userdata) {
        EventHistory *h = userdata;
        int r;

        r = event_history_add(h, ev);
        if (r < 0)
                log_warning_errno(r, "Cannot record a process event for WATCH: %m");
}

int event_history_new(ProcessEvents *pe, int state_fd, size_t capacity, EventHistory **ret) {
        _cleanup_close_ int fd = state_fd;
        EventHistory *h;
        uint64_t start = 0;
        int r;

        capacity = MAX(capacity, (size_t) EVENT_HISTORY_CAPACITY_MIN);
        if (fd >= 0) {
                r = seq_file_read(fd, &start);
                if (r < 0)
                        return log_error_errno(r, "Cannot read the event sequence file: %m");
        }
        h = calloc(1, sizeof(EventHistory));
        if (!h)
                return -ENOMEM;
        h->ring = calloc(capacity, sizeof(HistoryEvent));
        if (!h->ring) {
                free(h);
                return -ENOMEM;
        }
        h->capacity = capacity;
        h->last = h->reserved = start;
        h->state_fd = TAKE_FD(fd);
        if (pe) {
                r = process_events_subscribe(pe, on_process_event, h, &h->subscription);
                if (r < 0) {
                        event_history_free(h);
                        return r;
                }
        }
        *ret = h;
        return 0;
}

EventHistory *event_history_free(EventHistory *h) {
        if (!h)
                return NULL;
        process_event_subscription_free(h->subscription);
        while (h->listeners) {
                EventHistoryListener *l = h->listeners;

                LIST_REMOVE(listeners, h->listeners, l);
                l->owner = NULL;
        }
        for (size_t i = 0; i < h->capacity; i++)
                history_event_done(&h->ring[i]);
        free(h->ring);
        safe_close(h->state_fd);
        free(h);
        return NULL;
}

uint64_t event_history_last(const EventHistory *h) {
        return h ? h->last : 0;
}

uint64_t event_history_first(const EventHistory *h) {
        return h ? h->last - h->n + 1 : 1;
}

const HistoryEvent *event_history_get(const EventHistory *h, uint64_t seq) {
        if (!h || seq > h->last || seq < event_history_first(h))
                return NULL;
        return &h->ring[seq % h->capacity];
}

static int reserve_seq(EventHistory *h, uint64_t seq) {
        int r;

        if (seq <= h->reserved)
                return 0;
        if (h->state_fd >= 0) {
                r = seq_file_write(h->state_fd, h->reserved + EVENT_HISTORY_SEQ_BLOCK);
                if (r < 0) {
                        /* Keep numbering (clients must see the events); only a restart could
                         * repeat numbers now, and that is said loudly. */
                        log_error_errno(r, "Cannot write the event sequence file; after a restart seq "
                                        "numbers may repeat: %m");
                        h->state_fd = safe_close(h->state_fd);
                }
        }
        h->reserved += EVENT_HISTORY_SEQ_BLOCK;
        return 0;
}

static void write_exit(JsonWriter *w, const ExitStatus *st) {
        json_writer_literal(w, ",\"exit\":");
        if (!st || !st->known) {
                json_writer_literal(w, "null");
                return;
        }
        if (st->signal) {
                const char *name = signal_to_string(st->signal);

                json_writer_literal(w, "{\"signal\":");
                if (name)
                        json_writer_string(w, name, strlen(name));
                else
                        json_writer_int(w, st->signal);
                json_writer_literal(w, "}");
        } else {
                json_writer_literal(w, "{\"code\":");
                json_writer_int(w, st->code);
                json_writer_literal(w, "}");
        }
}

static void write_string_or_null(JsonWriter *w, const char *s) {
        if (s && utf8_is_valid(s, strlen(s)))
                json_writer_string(w, s, strlen(s));
        else
                json_writer_literal(w, "null");
}

int event_history_add(EventHistory *h, const ProcessEvent *ev) {
        _cleanup_(json_writer_done) JsonWriter w = {};
        const Managed *m = ev->managed;
        const char *type = process_event_type_to_string(ev->type);
        HistoryEvent *e, n = {};
        uint64_t seq;

        if (!h || !m || !type)
                return -EINVAL;
        seq = h->last + 1;
        (void) reserve_seq(h, seq);

        json_writer_literal(&w, "{\"event\":");
        json_writer_string(&w, type, strlen(type));
        json_writer_literal(&w, ",\"seq\":");
        json_writer_uint(&w, seq);
        json_writer_literal(&w, ",\"ts\":");
        json_writer_uint(&w, now(CLOCK_REALTIME));
        json_writer_literal(&w, ",\"pid\":");
        json_writer_int(&w, m->pid);
        json_writer_literal(&w, ",\"name\":");
        write_string_or_null(&w, m->name);
        json_writer_literal(&w, ",\"unit\":");
        write_string_or_null(&w, m->unit);
        if (ev->type == PROCESS_EVENT_EXITED || ev->type == PROCESS_EVENT_STOPPED ||
            ev->type == PROCESS_EVENT_FAILED)
                write_exit(&w, ev->exit);
        if (ev->oom)
                json_writer_literal(&w, ",\"oom\":true");
        if (ev->type == PROCESS_EVENT_RESTARTED || ev->type == PROCESS_EVENT_FAILED) {
                json_writer_literal(&w, ",\"restarts\":");
                json_writer_uint(&w, ev->restarts);
        }
        json_writer_literal(&w, "}\n");

        n = (HistoryEvent) {
                .seq = seq, .type = ev->type, .pid = m->pid, .uid = m->uid,
                .name = m->name ? strdup(m->name) : NULL,
                .unit = m->unit ? strdup(m->unit) : NULL,
        };
        n.line = json_writer_steal(&w, &n.line_len);
        if (!n.line || (m->name && !n.name) || (m->unit && !n.unit)) {
                history_event_done(&n);
                return -ENOMEM;
        }

        e = &h->ring[seq % h->capacity];
        history_event_done(e);
        *e = n;
        h->last = seq;
        if (h->n < h->capacity)
                h->n++;

        for (EventHistoryListener *l = h->listeners; l; l = h->next_wakeup) {
                h->next_wakeup = l->listeners_next;
                l->wakeup(l->userdata);
        }
        h->next_wakeup = NULL;
        return 0;
}

int event_history_listen(EventHistory *h, EventHistoryWakeup wakeup, void *userdata, EventHistoryListener **ret) {
        EventHistoryListener *l;

        if (!h || !wakeup || !ret)
                return -EINVAL;
        l = calloc(1, sizeof(EventHistoryListener));
        if (!l)
                return -ENOMEM;
        *l = (EventHistoryListener) { .owner = h, .wakeup = wakeup, .userdata = userdata };
        LIST_PREPEND(listeners, h->listeners, l);
        *ret = l;
        return 0;
}

EventHistoryListener *event_history_listener_free(EventHistoryListener *l) {
        if (!l)
                return NULL;
        if (l->owner) {
                if (l->owner->next_wakeup == l)
                        l->owner->next_wakeup = l->listeners_next;
                LIST_REMOVE(listeners, l->owner->listeners, l);
        }
        free(l);
        return NULL;
}
