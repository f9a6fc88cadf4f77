/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * limit-server: the physical limit for line request/response over a socket.
 * One thread, one epoll set, non-blocking sockets; every complete request line
 * is answered with a fixed reply line and nothing is parsed, so whatever
 * procmgrd costs beyond this is protocol work. It frames like procmgrd (replies
 * in order, several lines per packet, lines split across packets, 64 KiB line
 * limit) and stops reading a connection whose replies are not being read.
 * Prints the bound port (or "unix") on stdout once listening; --listen PORT 0
 * picks an ephemeral port. Also accepts procmgrd's --no-auth so bench/run can
 * put it into the procmgrd slot (--self-test). --free-port prints a port that
 * was free a moment ago and exits.
 */

#include "bench-util.h"

#include <fcntl.h>
#include <getopt.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#define MAX_LINE (64u * 1024u)
#define MAX_OUT (8u * 1024u * 1024u)

typedef struct Conn {
        int fd;
        size_t line_len;        /* bytes of the current, unterminated line */
        char *out;
        size_t out_len, out_off, out_cap;
        bool want_out;
        struct Conn *prev, *next;
} Conn;

static const char *arg_listen = NULL;
static const char *arg_unix = NULL;
static char *arg_reply = NULL;
static size_t arg_reply_len = 0;
static uint64_t arg_max_ns = 3600 * NSEC_PER_SEC;
static bool arg_free_port = false;

static Conn *conns = NULL;
static unsigned n_conns = 0;

static void conn_free(int ep, Conn *c) {
        if (!c)
                return;
        if (c->fd >= 0) {
                (void) epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                c->fd = safe_close(c->fd);
        }
        if (c->prev)
                c->prev->next = c->next;
        else
                conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        n_conns--;
        free(c->out);
        free(c);
}

static int conn_update_events(int ep, Conn *c, bool want_out) {
        struct epoll_event ev = {
                /* Backpressure: while replies are pending, stop reading requests. */
                .events = want_out ? EPOLLOUT : EPOLLIN,
                .data.ptr = c,
        };

        if (c->want_out == want_out)
                return 0;
        if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
                return -errno;
        c->want_out = want_out;
        return 0;
}

/* Write what is pending; >0 when everything went out, 0 when blocked. */
static int conn_flush(Conn *c) {
        while (c->out_off < c->out_len) {
                ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                c->out_off += (size_t) n;
        }
        c->out_off = c->out_len = 0;
        return 1;
}

static int conn_queue_replies(Conn *c, size_t n) {
        size_t need;

        if (n > MAX_OUT / arg_reply_len)
                return -ENOBUFS;
        need = c->out_len + n * arg_reply_len;
        if (need > MAX_OUT)
                return -ENOBUFS;
        if (need > c->out_cap) {
                size_t cap = c->out_cap ? c->out_cap : 4096;
                char *p;

                while (cap < need)
                        cap *= 2;
                p = realloc(c->out, cap);
                if (!p)
                        return -ENOMEM;
                c->out = p;
                c->out_cap = cap;
        }
        for (size_t i = 0; i < n; i++) {
                memcpy(c->out + c->out_len, arg_reply, arg_reply_len);
                c->out_len += arg_reply_len;
        }
        return 0;
}

/* Returns <0 when the connection must be closed. */
static int conn_on_readable(int ep, Conn *c) {
        char buf[16384];
        size_t lines = 0;
        ssize_t n;
        int r;

        n = recv(c->fd, buf, sizeof(buf), 0);
        if (n < 0)
                return (errno == EINTR || errno == EAGAIN) ? 0 : -errno;
        if (n == 0)
                return -ECONNRESET;

        for (const char *p = buf, *e = buf + n; p < e;) {
                const char *nl = memchr(p, '\n', (size_t) (e - p));

                if (!nl) {
                        c->line_len += (size_t) (e - p);
                        break;
                }
                c->line_len += (size_t) (nl - p);
                if (c->line_len > MAX_LINE)
                        return -EMSGSIZE;
                c->line_len = 0;
                lines++;
                p = nl + 1;
        }
        if (c->line_len > MAX_LINE)
                return -EMSGSIZE;
        if (lines == 0)
                return 0;

        r = conn_queue_replies(c, lines);
        if (r < 0)
                return r;
        r = conn_flush(c);
        if (r < 0)
                return r;
        return conn_update_events(ep, c, r == 0);
}

static int conn_on_writable(int ep, Conn *c) {
        int r = conn_flush(c);

        if (r <= 0)
                return r;
        return conn_update_events(ep, c, false);
}

static void accept_all(int ep, int lfd, bool tcp) {
        /* Bounded: the backlog holds at most somaxconn entries anyway. */
        for (unsigned i = 0; i < 4096; i++) {
                struct epoll_event ev = { .events = EPOLLIN };
                int one = 1, fd;
                Conn *c;

                fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0)
                        return;
                if (tcp)
                        (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                c = calloc(1, sizeof(*c));
                if (!c) {
                        safe_close(fd);
                        continue;
                }
                c->fd = fd;
                ev.data.ptr = c;
                if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        safe_close(fd);
                        free(c);
                        continue;
                }
                c->next = conns;
                if (conns)
                        conns->prev = c;
                conns = c;
                n_conns++;
        }
}

static int listen_socket(bool *ret_tcp) {
        _cleanup_close_ int fd = -EBADF;
        struct sockaddr_storage sa;
        socklen_t sl;
        int one = 1, r;

        if (arg_unix) {
                r = parse_unix_address(arg_unix, &sa, &sl);
                if (r < 0)
                        return r;
                (void) unlink(arg_unix);
        } else {
                r = parse_inet_address(arg_listen ? arg_listen : "127.0.0.1:0", &sa, &sl);
                if (r < 0)
                        return r;
        }
        fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (!arg_unix)
                (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *) &sa, sl) < 0)
                return -errno;
        if (listen(fd, 4096) < 0)
                return -errno;
        *ret_tcp = !arg_unix;
        r = fd;
        fd = -EBADF;
        return r;
}

static int print_bound_port(int fd) {
        struct sockaddr_storage sa;
        socklen_t sl = sizeof(sa);
        unsigned port;

        if (getsockname(fd, (struct sockaddr *) &sa, &sl) < 0)
                return -errno;
        if (sa.ss_family == AF_INET6)
                port = ntohs(((struct sockaddr_in6 *) &sa)->sin6_port);
        else
                port = ntohs(((struct sockaddr_in *) &sa)->sin_port);
        printf("%u\n", port);
        return fflush(stdout) == 0 ? 0 : -EIO;
}

static void help(void) {
        printf("Usage: limit-server [--listen ADDR:PORT | --unix PATH] [OPTIONS]\n"
               "Answer every request line with one fixed reply line (the physical limit).\n\n"
               "  -l --listen ADDR:PORT   TCP address (default 127.0.0.1:0 = ephemeral port)\n"
               "  -u --unix PATH          Unix stream socket instead of TCP\n"
               "  -r --reply LINE         reply (default {\"ok\":true,\"msg\":\"pong\",\"version\":\"limit\"})\n"
               "  -T --max-seconds S      exit after S seconds at the latest (default 3600)\n"
               "     --free-port          print a currently free 127.0.0.1 port and exit\n"
               "     --no-auth            ignored (procmgrd command-line compatibility)\n"
               "Prints the bound port (\"unix\" for --unix) on stdout when ready;\n"
               "runs until SIGTERM/SIGINT or --max-seconds.\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_FREE_PORT = 0x100, ARG_NO_AUTH };
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h'           },
                { "listen",      required_argument, NULL, 'l'           },
                { "unix",        required_argument, NULL, 'u'           },
                { "reply",       required_argument, NULL, 'r'           },
                { "max-seconds", required_argument, NULL, 'T'           },
                { "free-port",   no_argument,       NULL, ARG_FREE_PORT },
                { "no-auth",     no_argument,       NULL, ARG_NO_AUTH   },
                {}
        };
        const char *reply = "{\"ok\":true,\"msg\":\"pong\",\"version\":\"limit\"}";
        int c;

        while ((c = getopt_long(argc, argv, "hl:u:r:T:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'l':
                        arg_listen = optarg;
                        break;
                case 'u':
                        arg_unix = optarg;
                        break;
                case 'r':
                        if (strchr(optarg, '\n')) {
                                fprintf(stderr, "limit-server: --reply must be one line\n");
                                return -EINVAL;
                        }
                        reply = optarg;
                        break;
                case 'T':
                        if (parse_seconds(optarg, &arg_max_ns) < 0 || arg_max_ns == 0) {
                                fprintf(stderr, "limit-server: bad --max-seconds '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_FREE_PORT:
                        arg_free_port = true;
                        break;
                case ARG_NO_AUTH:
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "limit-server: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        arg_reply_len = strlen(reply) + 1;
        arg_reply = malloc(arg_reply_len);
        if (!arg_reply)
                return -ENOMEM;
        memcpy(arg_reply, reply, arg_reply_len - 1);
        arg_reply[arg_reply_len - 1] = '\n';
        return 1;
}

static int run(int argc, char *argv[]) {
        _cleanup_close_ int lfd = -EBADF, ep = -EBADF, sfd = -EBADF;
        struct epoll_event ev;
        uint64_t deadline;
        sigset_t mask;
        bool tcp = false;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        if (arg_free_port) {
                arg_listen = "127.0.0.1:0";
                arg_unix = NULL;
                lfd = listen_socket(&tcp);
                if (lfd < 0)
                        return lfd;
                return print_bound_port(lfd);
        }

        raise_nofile_limit();
        deadline = now_ns() + arg_max_ns;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (sfd < 0)
                return -errno;

        lfd = listen_socket(&tcp);
        if (lfd < 0) {
                fprintf(stderr, "limit-server: cannot listen on %s: %s\n",
                        arg_unix ? arg_unix : arg_listen ? arg_listen : "127.0.0.1:0", strerror(-lfd));
                return lfd;
        }

        ep = epoll_create1(EPOLL_CLOEXEC);
        if (ep < 0)
                return -errno;
        ev = (struct epoll_event) { .events = EPOLLIN, .data.ptr = &lfd };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
                return -errno;
        ev = (struct epoll_event) { .events = EPOLLIN, .data.ptr = &sfd };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) < 0)
                return -errno;

        if (arg_unix) {
                printf("unix\n");
                fflush(stdout);
        } else {
                r = print_bound_port(lfd);
                if (r < 0)
                        return r;
        }

        for (;;) {
                struct epoll_event events[256];
                uint64_t now = now_ns();
                int n, timeout_ms;

                if (now >= deadline)
                        break;
                timeout_ms = (int) ((deadline - now) / NSEC_PER_MSEC) + 1;
                n = epoll_wait(ep, events, (int) ELEMENTSOF(events), timeout_ms);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                for (int i = 0; i < n; i++) {
                        void *p = events[i].data.ptr;
                        Conn *c;

                        if (p == &sfd)
                                goto finish;
                        if (p == &lfd) {
                                accept_all(ep, lfd, tcp);
                                continue;
                        }
                        c = p;
                        if (events[i].events & EPOLLOUT)
                                r = conn_on_writable(ep, c);
                        else if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                                r = conn_on_readable(ep, c);
                        else
                                r = 0;
                        if (r < 0)
                                conn_free(ep, c);
                }
        }
finish:
        while (conns)
                conn_free(ep, conns);
        if (arg_unix)
                (void) unlink(arg_unix);
        free(arg_reply);
        return 0;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);

        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
