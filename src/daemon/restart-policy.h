/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Restart policies of started processes (implemented in command-restart.c,
 * the edge that may read and write JSON for its state file). See there.
 *
 * Must NOT: be called from a backend; it sits on the process-events hub.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "daemon/backend.h"
#include "helper/spawn.h"
#include "shared/time-util.h"

typedef struct Manager Manager;
typedef struct RestartPolicies RestartPolicies;
typedef struct RestartPolicy RestartPolicy;

typedef enum RestartMode {
        RESTART_NO,
        RESTART_ON_FAILURE,
        RESTART_ALWAYS,
        _RESTART_MODE_MAX,
        _RESTART_MODE_INVALID = -EINVAL,
} RestartMode;

typedef struct RestartParameters {
        RestartMode mode;
        usec_t restart_sec, restart_max_sec;
        unsigned max_restarts;
} RestartParameters;

typedef struct RestartPolicyInfo {
        RestartMode mode;
        unsigned restarts;
} RestartPolicyInfo;

#define RESTART_STATE_FILE "restart-policies.json"

RestartMode restart_mode_from_string(const char *s);
const char *restart_mode_to_string(RestartMode m);

/* dir/restart-policies.json, opened (created) before the privilege drop. */
int restart_state_open(const char *dir, int *ret_fd);
/* Takes over state_fd (-EBADF: policies live in memory only). */
int restart_policies_new(Manager *m, int state_fd, RestartPolicies **ret);
RestartPolicies *restart_policies_free(RestartPolicies *ps);
/* After the backend recovered its processes: the policies of the earlier daemon. */
int restart_policies_load(RestartPolicies *ps);

/* START succeeded with a policy: it takes over req. */
int restart_policy_add(RestartPolicies *ps, SpawnRequest *req, const RestartParameters *rp, Managed *m);
/* A policy (running, waiting or starting) has this name. */
bool restart_policy_has_name(RestartPolicies *ps, const char *name);
/* m's policy (NULL: none); buf is filled and returned. */
const RestartPolicyInfo *restart_policy_info(RestartPolicies *ps, const Managed *m, RestartPolicyInfo *buf);
/* A STOP of m: its policy (if any) ends. true if there was one. */
bool restart_policy_forget(RestartPolicies *ps, const Managed *m);
/* The user a policy named so runs its processes as. 1 with *ret_uid; 0: no such policy. */
int restart_policy_owner(RestartPolicies *ps, const char *name, uid_t *ret_uid);
/* STOP by name of a policy whose process is not running (waiting for its restart, being
 * restarted, or just exited with its exit report on the way): ends it; a process being
 * started for it gets sig once started. 1 with the pid and exit to report; 0: none. */
int restart_policy_end_by_name(RestartPolicies *ps, const char *name, int sig, pid_t *ret_pid,
                               ExitStatus *ret_exit);
