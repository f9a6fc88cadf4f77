/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* User/group lookups through NSS, done in the daemon, never in a forked child, and
 * a uid → name cache for tables that show thousands of processes. */

#include <stdbool.h>
#include <sys/types.h>

typedef struct UserRecord {
        char *name;
        uid_t uid;
        gid_t gid;
        char *home;
        char *shell;
} UserRecord;

void user_record_done(UserRecord *u);
/* By name or decimal uid. -ESRCH if unknown (a decimal uid without entry is still
 * returned, with gid = uid, home "/", when allow_numeric). */
int user_record_lookup(const char *name_or_uid, bool allow_numeric, UserRecord *ret);
int user_record_by_uid(uid_t uid, UserRecord *ret);
/* By uid; a uid without entry gets name = decimal uid, gid = uid, home "/". */
int user_record_lookup_uid_or_numeric(uid_t uid, UserRecord *ret);
/* Is uid a member (primary or supplementary) of group name? */
int user_in_group(uid_t uid, gid_t primary_gid, const char *group);

/* The name of uid, or its decimal form when NSS has none (or fails). NULL only on OOM. */
char *uid_to_name(uid_t uid);

/* uid → name, each uid looked up once for the cache's lifetime (misses and errors
 * included: a decimal name is cached too). Open addressing; zero-initialize. */
typedef struct UidNameSlot UidNameSlot;
typedef struct UidNameCache {
        UidNameSlot *slots;     /* power of two */
        size_t n, n_alloc;
} UidNameCache;

/* The cached name, owned by the cache: valid until uid_name_cache_done(). NULL on OOM. */
const char *uid_name_cache_get(UidNameCache *c, uid_t uid);
void uid_name_cache_done(UidNameCache *c);
