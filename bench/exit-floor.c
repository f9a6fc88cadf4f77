/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * exit-floor: the floor for "process exit -> event at a watching client". For
 * each of N rounds it forks a child that waits (pause), tells the client its
 * pid on a Unix socket, waits on the child's pidfd with poll(), reaps it and
 * writes one line. The client kills the child and times the line, exactly as
 * it times procmgrd's `exited` event for a process it kills: the difference
 * is procmgrd's notification path.
 *
 * Usage: exit-floor SOCKET_PATH ROUNDS   (listens, serves one client, exits)
 */

#include "bench-util.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int lfd, cfd;
        long rounds;

        if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path) || (rounds = strtol(argv[2], NULL, 10)) <= 0) {
                fprintf(stderr, "usage: exit-floor SOCKET_PATH ROUNDS\n");
                return 2;
        }
        strcpy(sa.sun_path, argv[1]);
        lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (lfd < 0 || bind(lfd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0) {
                perror("exit-floor: listen");
                return 1;
        }
        cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (cfd < 0) {
                perror("exit-floor: accept");
                return 1;
        }
        for (long i = 0; i < rounds; i++) {
                char line[64];
                pid_t pid = fork();
                int pfd, n;

                if (pid < 0)
                        return 1;
                if (pid == 0) {
                        for (;;)
                                pause();
                }
                pfd = (int) syscall(SYS_pidfd_open, pid, 0);
                if (pfd < 0) {
                        perror("exit-floor: pidfd_open");
                        kill(pid, SIGKILL);
                        return 1;
                }
                n = snprintf(line, sizeof(line), "%d\n", (int) pid);
                if (write(cfd, line, (size_t) n) != n)
                        return 1;
                struct pollfd p = { .fd = pfd, .events = POLLIN };
                while (poll(&p, 1, 30000) < 0 && errno == EINTR)
                        ;
                (void) waitpid(pid, NULL, 0);
                close(pfd);
                n = snprintf(line, sizeof(line), "exited %d\n", (int) pid);
                if (write(cfd, line, (size_t) n) != n)
                        return 1;
        }
        close(cfd);
        unlink(argv[1]);
        return 0;
}
