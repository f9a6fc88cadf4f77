/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NSS lookups for START's run-as user, the admin group check and the uid → name cache of
 * LIST; see user-util.h. */

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "shared/log.h"
#include "shared/macro.h"
#include "shared/parse-util.h"
#include "shared/user-util.h"

#define NSS_BUFFER_MAX (1024U * 1024U)

void user_record_done(UserRecord *u) {
        free(u->name);
        free(u->home);
        free(u->shell);
        *u = (UserRecord) {};
}

static int record_from_passwd(const struct passwd *pw, UserRecord *ret) {
        UserRecord u = {
                .uid = pw->pw_uid,
                .gid = pw->pw_gid,
                .name = strdup(pw->pw_name),
                .home = strdup(pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/"),
                .shell = strdup(pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh"),
        };

        if (!u.name || !u.home || !u.shell) {
                user_record_done(&u);
                return -ENOMEM;
        }
        *ret = u;
        return 0;
}

static int lookup(const char *name, uid_t uid, UserRecord *ret) {
        size_t size = 4096;

        for (;;) {
                _cleanup_free_ char *buf = malloc(size);
                struct passwd pw, *result = NULL;
                int e;

                if (!buf)
                        return -ENOMEM;
                e = name ? getpwnam_r(name, &pw, buf, size, &result) : getpwuid_r(uid, &pw, buf, size, &result);
                if (e == ERANGE && size < NSS_BUFFER_MAX) {
                        size *= 2;
                        continue;
                }
                if (e != 0)
                        return -e;
                if (!result)
                        return -ESRCH;
                return record_from_passwd(result, ret);
        }
}

int user_record_by_uid(uid_t uid, UserRecord *ret) {
        return lookup(NULL, uid, ret);
}

int user_record_lookup(const char *name_or_uid, bool allow_numeric, UserRecord *ret) {
        unsigned u;
        int r;

        if (!name_or_uid || !*name_or_uid || strlen(name_or_uid) > 256)
                return -EINVAL;
        if (safe_atou(name_or_uid, &u) >= 0) {
                if (u == (unsigned) -1)
                        return -EINVAL;
                r = lookup(NULL, (uid_t) u, ret);
                if (r != -ESRCH || !allow_numeric)
                        return r;
                *ret = (UserRecord) { .uid = u, .gid = u, .name = strdup(name_or_uid), .home = strdup("/"),
                                      .shell = strdup("/bin/sh") };
                if (!ret->name || !ret->home || !ret->shell) {
                        user_record_done(ret);
                        return -ENOMEM;
                }
                return 0;
        }
        return lookup(name_or_uid, 0, ret);
}

int user_in_group(uid_t uid, gid_t primary_gid, const char *group) {
        _cleanup_free_ char *buf = NULL;
        struct group gr, *result = NULL;
        UserRecord u = {};
        size_t size = 16384;
        int e, r;

        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        e = getgrnam_r(group, &gr, buf, size, &result);
        if (e != 0)
                return -e;
        if (!result)
                return -ESRCH;
        if (gr.gr_gid == primary_gid)
                return 1;

        r = user_record_by_uid(uid, &u);
        if (r < 0)
                return r;
        r = 0;
        for (char **m = gr.gr_mem; m && *m; m++)
                if (strcmp(*m, u.name) == 0) {
                        r = 1;
                        break;
                }
        user_record_done(&u);
        return r;
}

int user_record_lookup_uid_or_numeric(uid_t uid, UserRecord *ret) {
        char buf[16];

        (void) snprintf(buf, sizeof(buf), "%u", (unsigned) uid);
        return user_record_lookup(buf, true, ret);
}

char *uid_to_name(uid_t uid) {
        UserRecord u = {};
        char *s;
        int r;

        r = user_record_by_uid(uid, &u);
        if (r == -ENOMEM)
                return NULL;
        if (r < 0 && r != -ESRCH)
                log_debug_errno(r, "getpwuid_r(%u) failed, showing the number: %m", (unsigned) uid);
        if (r >= 0 && u.name[0]) {
                s = TAKE_PTR(u.name);
                user_record_done(&u);
                return s;
        }
        user_record_done(&u);
        if (asprintf(&s, "%u", (unsigned) uid) < 0)
                return NULL;
        return s;
}

struct UidNameSlot {
        uid_t uid;
        char *name;             /* NULL: slot unused */
};

static size_t uid_hash(uid_t uid) {
        return (uint32_t) uid * 2654435761u;
}

static int uid_name_cache_grow(UidNameCache *c) {
        size_t n = c->n_alloc ? c->n_alloc * 2 : 16;
        UidNameSlot *v;

        v = calloc(n, sizeof(UidNameSlot));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_alloc; i++) {
                size_t j;

                if (!c->slots[i].name)
                        continue;
                for (j = uid_hash(c->slots[i].uid) & (n - 1); v[j].name; j = (j + 1) & (n - 1))
                        ;
                v[j] = c->slots[i];
        }
        free(c->slots);
        c->slots = v;
        c->n_alloc = n;
        return 0;
}

const char *uid_name_cache_get(UidNameCache *c, uid_t uid) {
        size_t j;
        char *name;

        if (c->n_alloc > 0)
                for (j = uid_hash(uid) & (c->n_alloc - 1); c->slots[j].name; j = (j + 1) & (c->n_alloc - 1))
                        if (c->slots[j].uid == uid)
                                return c->slots[j].name;

        if ((c->n + 1) * 2 > c->n_alloc && uid_name_cache_grow(c) < 0)
                return NULL;
        name = uid_to_name(uid);
        if (!name)
                return NULL;
        for (j = uid_hash(uid) & (c->n_alloc - 1); c->slots[j].name; j = (j + 1) & (c->n_alloc - 1))
                ;
        c->slots[j] = (UidNameSlot) { .uid = uid, .name = name };
        c->n++;
        return name;
}

void uid_name_cache_done(UidNameCache *c) {
        for (size_t i = 0; i < c->n_alloc; i++)
                free(c->slots[i].name);
        free(c->slots);
        *c = (UidNameCache) {};
}
