/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The LIST job: scan → (for each LIST) filter, sort, serialize (JSON text, or entry by
 * entry to the front end's CallProcessWriter: D-Bus) → reply, in slices of
 * about LIST_SLICE_USEC each, from one event source at normal priority that takes its turn
 * with the I/O of every connection, so a PING never waits for more than a slice or two.
 *
 * LISTs arriving during a scan join it; those arriving while replies are being written
 * wait for the next scan (their answer must not predate their request by much). While
 * replies are being written the ProcTable is pinned: STATUS/STOP read processes without
 * moving the entries whose pointers are sorted here.
 */

#include <malloc.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "daemon/backend.h"
#include "daemon/call.h"
#include "daemon/list-job.h"
#include "shared/log.h"
#include "daemon/manager.h"
#include "daemon/proc-table.h"
#include "daemon/process-json.h"
#include "protocol/json-writer.h"
#include "protocol/protocol.h"
#include "shared/time-util.h"

#define LIST_SLICE_USEC 500U            /* work per dispatch */
#define LIST_CHECK_EVERY 16U            /* processes between two looks at the clock */
#define LIST_BYTES_PER_PROCESS 256U     /* first guess at the reply size */
#define LIST_TRIM_PROCESSES 1024U       /* give memory back after LISTs bigger than this */

typedef struct ListRequest ListRequest;
struct ListRequest {
        Call *call;
        ListParams params;
        ListRequest *next;
};

typedef enum ListState {
        LIST_IDLE,
        LIST_SCANNING,
        LIST_WRITING,
} ListState;

struct ListJob {
        Manager *manager;
        int efd;                        /* readable while there is work */
        bool kicked;
        sd_event_source *source;
        ListState state;

        ListRequest *current, *current_tail;    /* served by the scan under way / just done */
        ListRequest *waiting, *waiting_tail;    /* for the next scan */

        /* The reply being written for current. */
        bool prepared;
        const ProcessInfo **v;
        size_t n_v_alloc, n_match, n_shown, pos;
        JsonWriter w;
};

static void request_fail(ListRequest *req, int r) {
        if (r == -ENOMEM)
                call_reply_error(req->call, ERROR_INTERNAL, "out of memory");
        else
                call_reply_errno(req->call, r, "LIST failed: %s", strerror(-r));
        free(req);
}

/* Answers a detached list of requests with an error. Replying may re-enter
 * list_job_add(), so the list must no longer be reachable from the job. */
static void fail_list(ListRequest *head, int r) {
        while (head) {
                ListRequest *req = head;

                head = req->next;
                request_fail(req, r);
        }
}

static void writing_reset(ListJob *j) {
        j->prepared = false;
        j->n_match = j->n_shown = j->pos = 0;
        json_writer_done(&j->w);
}

/* The job's source is an eventfd kept readable while there is work. Not a defer source:
 * sd-event keeps a defer source at the pending position it first got, ahead of I/O that
 * became ready later, so a long job would starve every connection. An I/O source is
 * re-queued behind the others after each dispatch: slices and requests take turns. */
static int list_job_kick(ListJob *j) {
        uint64_t one = 1;

        if (j->kicked)
                return 0;
        if (write(j->efd, &one, sizeof(one)) < 0)
                return -errno;
        j->kicked = true;
        return 0;
}

static void list_job_calm(ListJob *j) {
        uint64_t v;

        if (!j->kicked)
                return;
        (void) read(j->efd, &v, sizeof(v));
        j->kicked = false;
}

/* Starts a scan for the waiting requests, or goes idle. */
static void start_next_scan(ListJob *j) {
        ListRequest *failed;
        int r;

        j->current = j->waiting;
        j->current_tail = j->waiting_tail;
        j->waiting = j->waiting_tail = NULL;
        j->state = LIST_IDLE;
        if (!j->current)
                return;
        r = proc_table_scan_begin(j->manager->procs);
        if (r < 0) {
                log_debug_errno(r, "Cannot list processes: %m");
                failed = j->current;
                j->current = j->current_tail = NULL;
                fail_list(failed, r);   /* may queue and start anew */
                return;
        }
        j->state = LIST_SCANNING;
        (void) list_job_kick(j);
}

/* Filter and sort for the request at the head of current; write the reply's head. */
/* The call's front end writes the entries itself (D-Bus), or NULL: JSON text. */
static const CallProcessWriter *request_writer(const ListRequest *req) {
        return req->call->ops && req->call->owner ? req->call->ops->process_writer : NULL;
}

static int prepare(ListJob *j, ListRequest *req) {
        Manager *m = j->manager;
        const ListParams *lp = &req->params;
        size_t n = proc_table_count(m->procs), k = 0;

        if (n > j->n_v_alloc) {
                const ProcessInfo **v = reallocarray(j->v, n, sizeof(*v));
                if (!v)
                        return -ENOMEM;
                j->v = v;
                j->n_v_alloc = n;
        }
        for (size_t i = 0; i < n; i++) {
                const ProcessInfo *p = proc_table_get(m->procs, i);

                if (lp->user && strcmp(p->user, lp->user) != 0)
                        continue;
                if (lp->name && !strstr(p->name, lp->name))
                        continue;
                if (lp->managed_only && !backend_find_pinned(m->backend, p->pid, p->start_ticks))
                        continue;
                j->v[k++] = p;
        }
        /* The table is in pid order already. */
        if (lp->field != PROC_SORT_PID || lp->descending)
                proc_sort(j->v, k, lp->field, lp->descending);

        j->n_match = k;
        j->n_shown = lp->limit >= 0 ? MIN(k, (size_t) lp->limit) : k;
        j->pos = 0;
        j->w = (JsonWriter) {};
        if (request_writer(req)) {
                j->prepared = true;
                return request_writer(req)->begin(req->call, j->n_shown, j->n_match);
        }
        (void) json_writer_reserve(&j->w, 64 + j->n_shown * LIST_BYTES_PER_PROCESS);
        json_writer_literal(&j->w, "{\"ok\":true");
        if (req->call->request.id) {
                json_writer_literal(&j->w, ",\"id\":");
                json_writer_json(&j->w, req->call->request.id);
        }
        json_writer_literal(&j->w, ",\"processes\":[");
        j->prepared = true;
        return j->w.oom ? -ENOMEM : 0;
}

/* Writes (more of) the reply for req, the head of current, into j->w. Returns 1 when the
 * slice is used up (more to do in the next one), 0 when the reply is complete, < 0 on
 * failure. */
static int write_reply(ListJob *j, ListRequest *req, usec_t deadline) {
        Manager *m = j->manager;
        int r;

        if (!j->prepared) {
                r = prepare(j, req);
                if (r < 0)
                        return r;
                if (now(CLOCK_MONOTONIC) >= deadline)
                        return 1;
        }
        while (j->pos < j->n_shown) {
                const ProcessInfo *p = j->v[j->pos];
                Managed *mp = backend_find_pinned(m->backend, p->pid, p->start_ticks);

                if (request_writer(req)) {
                        r = request_writer(req)->process(req->call, p, !!mp, mp ? mp->unit : NULL);
                        if (r < 0)
                                return r;
                } else {
                        if (j->pos > 0)
                                json_writer_literal(&j->w, ",");
                        process_info_write_json(&j->w, p, !!mp, mp ? mp->unit : NULL);
                }
                j->pos++;
                if (j->pos % LIST_CHECK_EVERY == 0 && now(CLOCK_MONOTONIC) >= deadline)
                        return 1;
        }
        if (request_writer(req))
                return request_writer(req)->end(req->call);
        json_writer_literal(&j->w, "],\"count\":");
        json_writer_uint(&j->w, j->n_shown);
        json_writer_literal(&j->w, ",\"total\":");
        json_writer_uint(&j->w, j->n_match);
        json_writer_literal(&j->w, "}\n");
        return j->w.oom ? -ENOMEM : 0;
}

/* One slice of work. Returns true when there is more to do. */
static bool list_job_step(ListJob *j) {
        Manager *m = j->manager;
        usec_t deadline = now(CLOCK_MONOTONIC) + LIST_SLICE_USEC;
        int r;

        if (j->state == LIST_SCANNING) {
                do {
                        r = proc_table_scan_step(m->procs, LIST_CHECK_EVERY);
                } while (r > 0 && now(CLOCK_MONOTONIC) < deadline);
                if (r > 0)
                        return true;
                if (r < 0) {
                        ListRequest *failed = j->current;

                        log_debug_errno(r, "Cannot list processes: %m");
                        j->current = j->current_tail = NULL;
                        j->state = LIST_IDLE;
                        fail_list(failed, r);
                        if (j->state == LIST_IDLE)
                                start_next_scan(j);
                        return j->state == LIST_SCANNING;
                }
                proc_table_pin(m->procs);
                j->state = LIST_WRITING;
                return true;    /* the writing starts in the next slice */
        }
        if (j->state != LIST_WRITING)
                return false;

        while (j->current) {
                ListRequest *req = j->current;
                char *line;
                size_t len;

                if (call_is_detached(req->call)) {
                        /* The client is gone: nobody to write for. */
                        j->current = req->next;
                        call_reply(req->call, NULL);
                        free(req);
                        writing_reset(j);
                        continue;
                }
                r = write_reply(j, req, deadline);
                if (r > 0)
                        return true;
                j->current = req->next;
                if (r < 0) {
                        writing_reset(j);
                        request_fail(req, r);
                        continue;
                }
                if (request_writer(req)) {
                        writing_reset(j);
                        call_reply_written(req->call);
                        free(req);
                        if (now(CLOCK_MONOTONIC) >= deadline && j->current)
                                return true;
                        continue;
                }
                line = json_writer_steal(&j->w, &len);
                writing_reset(j);
                call_reply_raw(req->call, line, len);
                free(req);
                if (now(CLOCK_MONOTONIC) >= deadline && j->current)
                        return true;
        }

        j->current_tail = NULL;
        proc_table_unpin(m->procs);
        start_next_scan(j);
        if (j->state == LIST_IDLE && j->n_v_alloc > LIST_TRIM_PROCESSES) {
                /* After a big LIST nobody else is waiting for: give the scratch memory back
                 * to the system, so an idle daemon keeps only the table itself. */
                j->v = mfree(j->v);
                j->n_v_alloc = 0;
                proc_table_trim(m->procs);
                (void) malloc_trim(0);
        }
        return j->state == LIST_SCANNING;
}

static int on_list_work(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ListJob *j = userdata;

        if (!list_job_step(j))
                list_job_calm(j);
        return 0;
}

int list_job_new(Manager *m, ListJob **ret) {
        _cleanup_(list_job_freep) ListJob *j = NULL;
        int r;

        j = calloc(1, sizeof(ListJob));
        if (!j)
                return -ENOMEM;
        *j = (ListJob) { .manager = m, .efd = -EBADF };
        j->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (j->efd < 0)
                return -errno;
        r = sd_event_add_io(m->event, &j->source, j->efd, EPOLLIN, on_list_work, j);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(j->source, "list-job");
        *ret = TAKE_PTR(j);
        return 0;
}

ListJob *list_job_free(ListJob *j) {
        if (!j)
                return NULL;
        sd_event_source_disable_unref(j->source);
        j->source = NULL;
        safe_close(j->efd);
        j->efd = -EBADF;
        if (j->state == LIST_WRITING)
                proc_table_unpin(j->manager->procs);
        writing_reset(j);
        j->state = LIST_IDLE;
        fail_list(TAKE_PTR(j->current), -ECANCELED);
        fail_list(TAKE_PTR(j->waiting), -ECANCELED);
        free(j->v);
        free(j);
        return NULL;
}

int list_job_add(ListJob *j, Call *call, const ListParams *params) {
        ListRequest *req;

        req = calloc(1, sizeof(ListRequest));
        if (!req)
                return -ENOMEM;
        *req = (ListRequest) { .call = call, .params = *params };

        if (j->state == LIST_SCANNING) {
                /* Join the scan under way. */
                if (j->current_tail)
                        j->current_tail->next = req;
                else
                        j->current = req;
                j->current_tail = req;
                return 0;
        }
        if (j->waiting_tail)
                j->waiting_tail->next = req;
        else
                j->waiting = req;
        j->waiting_tail = req;
        if (j->state == LIST_IDLE)
                start_next_scan(j);
        return 0;
}
