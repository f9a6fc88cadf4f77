/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OOM kills of cgroup v2 scopes through inotify on memory.events; see oom-watch.h. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "daemon/oom-watch.h"
#include "shared/list.h"
#include "shared/log.h"

struct OomWatcher {
        int fd;                         /* inotify */
        sd_event_source *source;
        OomWatch *watches;
};

struct OomWatch {
        OomWatcher *watcher;
        int wd;                         /* -1 once the kernel dropped it (the cgroup is gone) */
        int fd;                         /* memory.events, read on each change; -EBADF once gone */
        bool killed;
        LIST_FIELDS(OomWatch, watches);
};

bool oom_kill_counted(const char *text) {
        const char *p = text;

        while ((p = strstr(p, "oom_kill "))) {
                if (p == text || p[-1] == '\n')
                        return p[strlen("oom_kill ")] >= '1' && p[strlen("oom_kill ")] <= '9';
                p++;
        }
        return false;
}

/* Read the file while it can be read; once it cannot, nothing more will change. */
static void watch_read(OomWatch *x) {
        char buf[1024];
        ssize_t n;

        if (x->fd < 0)
                return;
        n = pread(x->fd, buf, sizeof(buf) - 1, 0);
        if (n < 0) {
                x->fd = safe_close(x->fd);
                return;
        }
        buf[n] = '\0';
        if (oom_kill_counted(buf))
                x->killed = true;
}

static OomWatch *watch_by_wd(OomWatcher *w, int wd) {
        LIST_FOREACH(watches, x, w->watches)
                if (x->wd == wd)
                        return x;
        return NULL;
}

/* Take every pending notification. Bounded: the queue the kernel keeps is. */
static void watcher_drain(OomWatcher *w) {
        for (unsigned round = 0; round < 64; round++) {
                union {
                        struct inotify_event ev;
                        char buf[4096];
                } u;
                ssize_t n = read(w->fd, u.buf, sizeof(u.buf));

                if (n <= 0)
                        return;
                for (ssize_t off = 0; off + (ssize_t) sizeof(struct inotify_event) <= n;) {
                        const struct inotify_event *ev = (const struct inotify_event *) (u.buf + off);
                        OomWatch *x = watch_by_wd(w, ev->wd);

                        if (x) {
                                watch_read(x);
                                if (ev->mask & IN_IGNORED) {
                                        x->wd = -1;
                                        x->fd = safe_close(x->fd);
                                }
                        }
                        off += (ssize_t) sizeof(struct inotify_event) + ev->len;
                }
        }
}

static int on_inotify(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        watcher_drain(userdata);
        return 0;
}

int oom_watcher_new(sd_event *e, OomWatcher **ret) {
        OomWatcher *w;
        int r;

        w = calloc(1, sizeof(OomWatcher));
        if (!w)
                return -ENOMEM;
        w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (w->fd < 0) {
                r = -errno;
                free(w);
                return r;
        }
        r = sd_event_add_io(e, &w->source, w->fd, EPOLLIN, on_inotify, w);
        if (r < 0) {
                oom_watcher_free(w);
                return r;
        }
        /* Before the exit reports: read while the cgroup is still there. */
        (void) sd_event_source_set_priority(w->source, SD_EVENT_PRIORITY_IMPORTANT);
        (void) sd_event_source_set_description(w->source, "oom-watch");
        *ret = w;
        return 0;
}

OomWatcher *oom_watcher_free(OomWatcher *w) {
        if (!w)
                return NULL;
        while (w->watches)
                oom_watch_free(w->watches);
        sd_event_source_disable_unref(w->source);
        (void) safe_close(w->fd);
        free(w);
        return NULL;
}

int oom_watch_add(OomWatcher *w, const char *path, OomWatch **ret) {
        OomWatch *x;
        int r;

        x = calloc(1, sizeof(OomWatch));
        if (!x)
                return -ENOMEM;
        *x = (OomWatch) { .watcher = w, .wd = -1, .fd = -EBADF };
        /* The watch first: a change between the two is then not missed. */
        x->wd = inotify_add_watch(w->fd, path, IN_MODIFY);
        if (x->wd < 0) {
                r = -errno;
                free(x);
                return r;
        }
        x->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (x->fd < 0) {
                r = -errno;
                (void) inotify_rm_watch(w->fd, x->wd);
                free(x);
                return r;
        }
        LIST_PREPEND(watches, w->watches, x);
        watch_read(x);
        *ret = x;
        return 0;
}

bool oom_watch_killed(OomWatch *x) {
        if (!x)
                return false;
        if (x->watcher)
                watcher_drain(x->watcher);
        watch_read(x);
        return x->killed;
}

OomWatch *oom_watch_free(OomWatch *x) {
        if (!x)
                return NULL;
        if (x->watcher) {
                /* Gone already with its cgroup (IN_IGNORED, or not read yet): EINVAL, fine. */
                if (x->wd >= 0)
                        (void) inotify_rm_watch(x->watcher->fd, x->wd);
                LIST_REMOVE(watches, x->watcher->watches, x);
        }
        (void) safe_close(x->fd);
        free(x);
        return NULL;
}
