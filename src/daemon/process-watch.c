/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Exit notification through a pidfd, with a /proc polling fallback; see process-watch.h. */

#include "daemon/process-watch.h"

#define WATCH_POLL_USEC (20 * USEC_PER_MSEC)

struct ProcessWatch {
        PidRef pid;             /* pid and start time only: the fd stays the caller's */
        sd_event_source *source;
        ProcessWatchCallback cb;
        void *userdata;
};

static void watch_fire(ProcessWatch *w) {
        (void) sd_event_source_set_enabled(w->source, SD_EVENT_OFF);
        w->cb(w, w->userdata);
}

static int on_pidfd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        watch_fire(userdata);
        return 0;
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        ProcessWatch *w = userdata;

        if (pidref_is_alive(&w->pid) == 0) {
                watch_fire(w);
                return 0;
        }
        (void) sd_event_source_set_time_relative(s, WATCH_POLL_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

int process_watch_new(sd_event *e, const PidRef *pid, ProcessWatchCallback cb, void *userdata,
                      ProcessWatch **ret) {
        ProcessWatch *w;
        int r;

        if (!pidref_is_set(pid))
                return -ESRCH;
        w = calloc(1, sizeof(ProcessWatch));
        if (!w)
                return -ENOMEM;
        *w = (ProcessWatch) {
                .pid = { .pid = pid->pid, .fd = -EBADF, .start_ticks = pid->start_ticks },
                .cb = cb,
                .userdata = userdata,
        };
        if (pid->fd >= 0)
                r = sd_event_add_io(e, &w->source, pid->fd, EPOLLIN, on_pidfd, w);
        else
                r = sd_event_add_time_relative(e, &w->source, CLOCK_MONOTONIC, 0, 0, on_poll, w);
        if (r < 0) {
                free(w);
                return r;
        }
        *ret = w;
        return 0;
}

ProcessWatch *process_watch_free(ProcessWatch *w) {
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->source);
        free(w);
        return NULL;
}
