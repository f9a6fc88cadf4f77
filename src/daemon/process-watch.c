/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pidfd helpers with a /proc polling fallback; see process-watch.h. */

#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/process-watch.h"

#define WATCH_POLL_USEC (20 * USEC_PER_MSEC)

struct ProcessWatch {
        pid_t pid;
        sd_event_source *source;
        ProcessWatchCallback cb;
        void *userdata;
};

int pid_send_signal(int pidfd, pid_t pid, int sig) {
        if (pidfd >= 0)
                return RET_NERRNO(syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0));
        return RET_NERRNO(kill(pid, sig));
}

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

        if (pid_is_gone(w->pid)) {
                watch_fire(w);
                return 0;
        }
        (void) sd_event_source_set_time_relative(s, WATCH_POLL_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

int process_watch_new(sd_event *e, pid_t pid, int pidfd, ProcessWatchCallback cb, void *userdata,
                      ProcessWatch **ret) {
        ProcessWatch *w;
        int r;

        w = calloc(1, sizeof(ProcessWatch));
        if (!w)
                return -ENOMEM;
        *w = (ProcessWatch) { .pid = pid, .cb = cb, .userdata = userdata };
        if (pidfd >= 0)
                r = sd_event_add_io(e, &w->source, pidfd, EPOLLIN, on_pidfd, w);
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
