/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * holder: puts K extra processes into the process table for the LIST
 * benchmarks. Forks K children that only sleep (no exec, so K can be
 * thousands in well under a second), prints "ready children=K holder=PID"
 * once they all exist, and on SIGTERM/SIGINT/SIGHUP, stdin EOF (unless
 * --ignore-stdin) or --max-seconds kills exactly those children by pid and
 * reaps them. Bounded on every side: children die with the holder
 * (PR_SET_PDEATHSIG) and by their own alarm after --max-seconds, and the
 * reaping loop gives up after a few seconds.
 */

#include "bench-util.h"

#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#define MAX_CHILDREN 100000u

static unsigned arg_count = 0;
static uint64_t arg_max_ns = 900 * NSEC_PER_SEC;
static bool arg_ignore_stdin = false;

static pid_t *children = NULL;
static unsigned n_children = 0, n_alive = 0;

static _Noreturn void child_main(pid_t parent, int devnull, unsigned max_seconds) {
        sigset_t none;

        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(0);
        (void) prctl(PR_SET_NAME, "holder-child");
        (void) dup2(devnull, STDIN_FILENO);
        (void) dup2(devnull, STDOUT_FILENO);
        (void) dup2(devnull, STDERR_FILENO);
        /* Nothing else of the parent's is kept open (signalfd, devnull, whatever
         * the caller passed down): a child must not hold a pipe end open. */
        if (close_range(3, ~0U, 0) < 0)
                for (int fd = 3; fd < 1024; fd++)
                        (void) close(fd);
        alarm(max_seconds);
        for (;;)
                pause();
}

static void reap_some(void) {
        for (unsigned guard = 0; guard < MAX_CHILDREN; guard++) {
                pid_t p = waitpid(-1, NULL, WNOHANG);

                if (p <= 0)
                        return;
                for (unsigned i = 0; i < n_children; i++)
                        if (children[i] == p) {
                                children[i] = 0;
                                n_alive--;
                                break;
                        }
        }
}

static void kill_and_reap(void) {
        uint64_t deadline;

        for (unsigned i = 0; i < n_children; i++)
                if (children[i] > 0)
                        (void) kill(children[i], SIGKILL);
        deadline = now_ns() + 10 * NSEC_PER_SEC;
        while (n_alive > 0 && now_ns() < deadline) {
                reap_some();
                if (n_alive > 0)
                        (void) poll(NULL, 0, 5);
        }
        if (n_alive > 0)
                fprintf(stderr, "holder: %u children not reaped after 10 s\n", n_alive);
}

static void help(void) {
        printf("Usage: holder [OPTIONS] K\n"
               "Fork K sleeping processes and hold them until told to stop.\n\n"
               "  -T --max-seconds S   stop after S seconds at the latest (default 900)\n"
               "  -i --ignore-stdin    do not stop on stdin EOF (for background jobs)\n"
               "Prints \"ready children=K holder=PID\" when all exist; stops on\n"
               "SIGTERM/SIGINT/SIGHUP or stdin EOF, killing and reaping exactly its children,\n"
               "then prints \"stopped children=K\".\n");
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help",         no_argument,       NULL, 'h' },
                { "max-seconds",  required_argument, NULL, 'T' },
                { "ignore-stdin", no_argument,       NULL, 'i' },
                {}
        };
        uint64_t v = 0;
        int c;

        while ((c = getopt_long(argc, argv, "hT:i", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'T':
                        if (parse_seconds(optarg, &arg_max_ns) < 0 || arg_max_ns < NSEC_PER_SEC) {
                                fprintf(stderr, "holder: bad --max-seconds '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'i':
                        arg_ignore_stdin = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind + 1 != argc || parse_u64(argv[optind], MAX_CHILDREN, &v) < 0) {
                fprintf(stderr, "holder: expected one count K (0..%u)\n", MAX_CHILDREN);
                return -EINVAL;
        }
        arg_count = (unsigned) v;
        return 1;
}

static int run(int argc, char *argv[]) {
        _cleanup_close_ int sfd = -EBADF, devnull = -EBADF;
        pid_t self = getpid();
        uint64_t deadline;
        sigset_t mask;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        deadline = now_ns() + arg_max_ns;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (sfd < 0)
                return -errno;
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0)
                return -errno;
        children = calloc(arg_count ? arg_count : 1, sizeof(pid_t));
        if (!children)
                return -ENOMEM;

        fflush(stdout);
        for (unsigned i = 0; i < arg_count; i++) {
                pid_t p = fork();

                if (p < 0) {
                        r = -errno;
                        fprintf(stderr, "holder: fork #%u: %s\n", i + 1, strerror(-r));
                        kill_and_reap();
                        free(children);
                        return r;
                }
                if (p == 0)
                        child_main(self, devnull, (unsigned) (arg_max_ns / NSEC_PER_SEC) + 1);
                children[n_children++] = p;
                n_alive++;
        }
        printf("ready children=%u holder=%d\n", n_children, (int) self);
        fflush(stdout);

        for (;;) {
                struct pollfd pfd[2] = {
                        { .fd = sfd, .events = POLLIN },
                        { .fd = arg_ignore_stdin ? -1 : STDIN_FILENO, .events = POLLIN },
                };
                struct signalfd_siginfo si;
                uint64_t now = now_ns();
                int n;

                if (now >= deadline)
                        break;
                n = poll(pfd, 2, (int) ((deadline - now) / NSEC_PER_MSEC) + 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (pfd[0].revents & POLLIN) {
                        if (read(sfd, &si, sizeof(si)) != sizeof(si))
                                continue;
                        if (si.ssi_signo == SIGCHLD) {
                                reap_some();
                                continue;
                        }
                        break;
                }
                if (pfd[1].revents) {
                        char b[256];
                        ssize_t l = read(STDIN_FILENO, b, sizeof(b));

                        if (l <= 0 && !(l < 0 && errno == EINTR))
                                break;
                }
        }
        kill_and_reap();
        printf("stopped children=%u\n", n_children);
        fflush(stdout);
        free(children);
        return 0;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);

        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
