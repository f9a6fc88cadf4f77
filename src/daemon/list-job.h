/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * LIST without blocking the loop. One job per Manager scans /proc in slices from a
 * deferred event source, so other connections are served between slices; LISTs that
 * arrive while a scan runs share it. Then each waiting LIST is filtered, sorted and
 * serialized (again in slices) straight into its reply line.
 *
 * Must NOT: know connections — it answers Calls, and skips those whose client left.
 */

#include <stdbool.h>

#include "daemon/proc-table.h"
#include "shared/macro.h"

typedef struct Call Call;
typedef struct Manager Manager;
typedef struct ListJob ListJob;

typedef struct ListParams {
        ProcSortField field;
        bool descending;
        long long limit;                /* < 0: none */
        const char *user;               /* borrowed from the call's request; NULL: any */
        const char *name;
        bool managed_only;
} ListParams;

int list_job_new(Manager *m, ListJob **ret);
/* Calls still waiting are answered with an Internal error. */
ListJob *list_job_free(ListJob *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(ListJob *, list_job_free);

/* Queues a LIST; the call is answered later (or now, on error). */
int list_job_add(ListJob *j, Call *call, const ListParams *params);
