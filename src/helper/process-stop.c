/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pin, check, signal; see process-stop.h. */

#include <errno.h>
#include <signal.h>

#include "shared/macro.h"
#include "helper/process-stop.h"

int process_stop_signal(const StopRequest *req, PidRef *ret) {
        _cleanup_(pidref_done) PidRef p = PIDREF_NULL;
        int r;

        if (!req || !ret || req->pid <= 0)
                return -EINVAL;
        /* The pidfd pins this process, so the start time check can't be raced by pid reuse.
         * Without pidfd support the check still narrows the window to a few syscalls. */
        r = pidref_set_pid_and_start(&p, req->pid, req->start_ticks);
        if (r < 0)
                return r;
        r = process_stop_signal_pinned(&p, req->signal, req->group);
        if (r < 0)
                return r;
        *ret = p;
        p = PIDREF_NULL;
        return 0;
}

/* The group's signal went to the live leader: if the leader's own signal then finds it
 * gone, it died of the first one (or just then on its own) and was reaped at once by a
 * parent that is not us (after a worker's death: the listener, a subreaper, or PID 1).
 * The stop did reach it; -ESRCH would tell the front it never ran. */
static int leader_result(int r, bool group_reached) {
        return r == -ESRCH && group_reached ? 0 : r;
}

int process_stop_signal_pinned(const PidRef *p, int sig, bool group) {
        bool reached = false;

        if (!pidref_is_set(p))
                return -EINVAL;
        /* The group first, while its leader is pinned and alive. A pid that does not lead a
         * group gets ESRCH: a live process's pid is no other group's id. */
        if (group && p->pid > 1 && pidref_is_alive(p) > 0) {
                reached = kill(-p->pid, sig) >= 0;
                if (sig != SIGKILL && sig != SIGCONT)
                        (void) kill(-p->pid, SIGCONT);
        }
        return leader_result(pidref_kill_and_sigcont(p, sig), reached);
}

int process_stop_kill(const PidRef *pid, bool group) {
        bool reached = false;

        if (group && pid && pid->pid > 1 && pidref_is_alive(pid) > 0)
                reached = kill(-pid->pid, SIGKILL) >= 0;
        return leader_result(pidref_kill(pid, SIGKILL), reached);
}
