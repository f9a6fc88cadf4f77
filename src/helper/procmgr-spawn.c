/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procmgr-spawn under systemd: procmgr-spawn.socket (Accept=yes, a socket only
 * user procmgr can open) starts one instance per connection of procmgrd, with
 * the connection as fd 3. It drops to the keep-set of privileges.c and serves
 * the connection until procmgrd closes it (spawn-helper.h). Without systemd,
 * procmgrd forks the same code itself and this program is not used.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helper/privileges.h"
#include "helper/spawn-helper.h"
#include "shared/log.h"
#include "shared/parse-util.h"

#define LISTEN_FDS_START 3

int main(int argc, char *argv[]) {
        PrivilegesConfig c = { .enabled = true, .user = PRIVILEGES_DEFAULT_USER };
        const char *e = getenv("LISTEN_FDS"), *p = getenv("LISTEN_PID");
        struct ucred cred = {};
        socklen_t n = sizeof(cred);
        unsigned nfds = 0, pid = 0;
        int type = 0, r;
        socklen_t tl = sizeof(type);

        log_setup("procmgr-spawn");
        if (argc > 1) {
                fprintf(stderr, "%s takes no arguments: it is started by procmgr-spawn.socket.\n",
                        program_invocation_short_name);
                return 2;
        }
        /* Exactly one connection, ours, of the kind the front speaks. */
        if (!e || !p || safe_atou(e, &nfds) < 0 || safe_atou(p, &pid) < 0 || nfds != 1 ||
            (pid_t) pid != getpid() ||
            getsockopt(LISTEN_FDS_START, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_SEQPACKET) {
                log_error("Not started by procmgr-spawn.socket with one SOCK_SEQPACKET connection (Accept=yes).");
                return EXIT_FAILURE;
        }
        (void) unsetenv("LISTEN_FDS");
        (void) unsetenv("LISTEN_PID");
        (void) unsetenv("LISTEN_FDNAMES");
        if (getsockopt(LISTEN_FDS_START, SOL_SOCKET, SO_PEERCRED, &cred, &n) < 0)
                return log_error_errno(errno, "Cannot identify procmgrd on the connection: %m"), EXIT_FAILURE;

        r = privileges_drop(&c);
        if (r < 0)
                return EXIT_FAILURE;
        r = spawn_helper_serve(LISTEN_FDS_START, cred.pid);
        if (r < 0)
                return log_error_errno(r, "Serving procmgrd failed: %m"), EXIT_FAILURE;
        return EXIT_SUCCESS;
}
