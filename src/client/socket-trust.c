/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* May root's procctl trust a Unix socket path; see socket-trust.h. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "client/socket-trust.h"

typedef struct TrustContext {
        uid_t peer_uid;
        bool allow_peer;
        char *msg;
        size_t msg_size;
} TrustContext;

static bool owner_ok(const TrustContext *t, uid_t uid) {
        return uid == 0 || (t->allow_peer && uid == t->peer_uid);
}

/* One object on the way: p exists (lstat: a symlink is judged by its owner only, its
 * mode means nothing); last: p is the socket itself. */
static int check_object(const TrustContext *t, const char *p, bool last) {
        struct stat st;

        if (lstat(p, &st) < 0)
                return -errno;
        if (!owner_ok(t, st.st_uid)) {
                (void) snprintf(t->msg, t->msg_size, "%s is owned by uid %u, not by root%s", p, (unsigned) st.st_uid,
                                t->allow_peer ? " or the daemon's user" : "");
                return -EPERM;
        }
        if (S_ISDIR(st.st_mode) && (st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
                (void) snprintf(t->msg, t->msg_size, "directory %s is writable by %s (mode %04o)", p,
                                (st.st_mode & S_IWOTH) ? "everyone" : "its group", (unsigned) (st.st_mode & 07777));
                return -EPERM;
        }
        if (last && !S_ISSOCK(st.st_mode) && !S_ISLNK(st.st_mode)) {
                (void) snprintf(t->msg, t->msg_size, "%s is not a socket", p);
                return -EPERM;
        }
        return 0;
}

/* "/" and every prefix of the absolute path abs, up to abs itself. */
static int check_chain(const TrustContext *t, const char *abs) {
        char buf[PATH_MAX];
        size_t n = strlen(abs);
        int r;

        if (abs[0] != '/' || n >= sizeof(buf))
                return -EINVAL;
        r = check_object(t, "/", n == 1);
        if (r < 0)
                return r;
        for (size_t i = 1; i <= n; i++) {
                if (i < n && abs[i] != '/')
                        continue;
                if (abs[i - 1] == '/')          /* "//" or a trailing '/' */
                        continue;
                memcpy(buf, abs, i);
                buf[i] = '\0';
                r = check_object(t, buf, i == n);
                if (r < 0)
                        return r;
        }
        return 0;
}

int socket_trust_check(const char *path, uid_t peer_uid, bool allow_peer, char *msg, size_t msg_size) {
        TrustContext t = { .peer_uid = peer_uid, .allow_peer = allow_peer, .msg = msg, .msg_size = msg_size };
        char resolved[PATH_MAX];
        int r;

        if (msg_size > 0)
                msg[0] = '\0';
        /* As given: the owners of symlinks on the way, and the directories they sit in. */
        r = check_chain(&t, path);
        if (r < 0)
                return r;
        /* As resolved: the directories the socket really lives in. */
        if (!realpath(path, resolved))
                return -errno;
        return check_chain(&t, resolved);
}
