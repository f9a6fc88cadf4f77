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

int process_stop_signal_pinned(const PidRef *p, int sig, bool group) {
        if (!pidref_is_set(p))
                return -EINVAL;
        /* The group first, while its leader is pinned and alive. A pid that does not lead a
         * group gets ESRCH: a live process's pid is no other group's id. */
        if (group && p->pid > 1 && pidref_is_alive(p) > 0) {
                (void) kill(-p->pid, sig);
                if (sig != SIGKILL && sig != SIGCONT)
                        (void) kill(-p->pid, SIGCONT);
        }
        return pidref_kill_and_sigcont(p, sig);
}

int process_stop_kill(const PidRef *pid, bool group) {
        if (group && pid && pid->pid > 1 && pidref_is_alive(pid) > 0)
                (void) kill(-pid->pid, SIGKILL);
        return pidref_kill(pid, SIGKILL);
}
