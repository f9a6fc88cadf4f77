/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A listening socket (passed by systemd or bound by us) and its accept loop. */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

typedef struct Manager Manager;

typedef struct Listener {
        Manager *manager;
        int fd;
        bool is_unix;
        bool owned_path;        /* we bound it: unlink on exit, if it is still the one we bound */
        dev_t path_dev;         /* the socket file we bound (0/0: not known, never unlinked) */
        ino_t path_ino;
        char *path;
        sd_event_source *io;
        sd_event_source *retry;         /* accepting paused (out of descriptors/memory) until it fires */
        bool pause_logged;              /* one warning per stretch of failed accepts */
} Listener;

int listener_new(Manager *m, int fd, bool owned_path, const char *path, Listener **ret);   /* takes fd */
Listener *listener_free(Listener *l);
