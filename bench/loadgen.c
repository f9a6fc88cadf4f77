/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * loadgen: closed-loop load generator for line-delimited request/reply
 * servers (procmgrd, limit-server). C connections over TCP or a Unix socket,
 * each with exactly one request in flight: send the request line, wait for
 * one complete reply line, record the latency, repeat — for a duration or a
 * request count. One thread, one epoll set, non-blocking sockets. Prints one
 * machine-readable summary line (rps, latency percentiles in µs, errors).
 * --fresh opens a new connection per request (connect time included);
 * --idle N opens N connections and just holds them (optionally after one
 * request each) until SIGTERM/SIGINT or the duration ends, printing "ready"
 * when they are all established. Every wait is bounded by --timeout and every
 * run by --duration.
 */

#include "bench-util.h"

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#define MAX_CONNECTIONS 100000u
#define MAX_SAMPLES (64u * 1024u * 1024u)
#define RETRY_NS (50 * NSEC_PER_MSEC)
#define TICK_MS 50

typedef enum ConnState {
        CONN_DOWN,              /* no socket; (re)connect when retry_at has passed */
        CONN_CONNECTING,
        CONN_SENDING,
        CONN_WAITING,           /* request sent, reading the reply line */
        CONN_IDLE,              /* --idle: established, held open */
        CONN_PARKED,            /* request budget used up, or gave up */
} ConnState;

typedef struct Conn {
        int fd;
        ConnState state;
        bool in_request;        /* a request is issued and not yet completed/failed */
        bool warmed;            /* --idle --idle-warm: the one request is done */
        uint64_t t_start;       /* request start (connect start with --fresh) */
        uint64_t t_state;       /* when the current state began (timeouts) */
        uint64_t retry_at;
        size_t sent;
        char *buf;
        size_t len, cap;
} Conn;

/* Command line. */
static struct sockaddr_storage arg_addr;
static socklen_t arg_addr_len = 0;
static bool arg_tcp = true;
static unsigned arg_conns = 1;
static uint64_t arg_duration_ns = 0;
static bool arg_duration_set = false;
static uint64_t arg_requests = 0;
static uint64_t arg_warmup_ns = 0;
static char *arg_request = NULL;
static size_t arg_request_len = 0;
static const char *arg_expect = NULL;
static bool arg_fresh = false;
static unsigned arg_idle = 0;
static bool arg_idle_warm = false;
static uint64_t arg_timeout_ns = 10 * NSEC_PER_SEC;
static size_t arg_max_reply = 64u * 1024u * 1024u;
static bool arg_print_replies = false;
static uint64_t arg_max_errors = 1000;
static unsigned arg_batch = 64;

/* Run state. */
static int ep = -EBADF;
static Conn *conns = NULL;
static unsigned n_conns = 0;
static unsigned n_connecting = 0, n_down = 0, n_idle = 0;
static uint64_t issued = 0, completed = 0, counted = 0, inflight = 0;
static uint64_t errors = 0, closed_by_peer = 0, idle_failed = 0;
static uint64_t *samples = NULL;
static size_t n_samples = 0, cap_samples = 0;
static uint64_t t_measure = 0;           /* start of the measured window (after warmup) */
static bool stopping = false;
static unsigned err_reported = 0;

static _printf_(2, 3) void conn_error(Conn *c, const char *fmt, ...) {
        va_list ap;

        errors++;
        if (err_reported >= 5)
                return;
        err_reported++;
        fprintf(stderr, "loadgen: connection %u: ", (unsigned) (c - conns));
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        if (err_reported == 5)
                fprintf(stderr, "loadgen: (further errors only counted)\n");
}

static void set_state(Conn *c, ConnState s) {
        if (c->state == CONN_CONNECTING)
                n_connecting--;
        else if (c->state == CONN_DOWN)
                n_down--;
        else if (c->state == CONN_IDLE)
                n_idle--;
        if (s == CONN_CONNECTING)
                n_connecting++;
        else if (s == CONN_DOWN)
                n_down++;
        else if (s == CONN_IDLE)
                n_idle++;
        c->state = s;
        c->t_state = now_ns();
}

static int conn_watch(Conn *c, uint32_t events) {
        struct epoll_event ev = { .events = events, .data.ptr = c };

        return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0 ? -errno : 0;
}

static void conn_close(Conn *c) {
        if (c->fd >= 0) {
                (void) epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                c->fd = safe_close(c->fd);
        }
        c->len = 0;
        c->sent = 0;
}

static bool may_issue(void) {
        if (stopping)
                return false;
        return arg_requests == 0 || issued < arg_requests;
}

static void request_begin(Conn *c, uint64_t t) {
        c->in_request = true;
        c->t_start = t;
        c->sent = 0;
        c->len = 0;
        issued++;
        inflight++;
}

static void request_end(Conn *c) {
        if (!c->in_request)
                return;
        c->in_request = false;
        inflight--;
}

/* A failed connection: count the error, drop the socket, retry later (or give up in --idle). */
static void conn_fail(Conn *c) {
        request_end(c);
        conn_close(c);
        if (arg_idle > 0) {
                idle_failed++;
                set_state(c, CONN_PARKED);
                return;
        }
        if (arg_max_errors > 0 && errors >= arg_max_errors) {
                if (!stopping)
                        fprintf(stderr, "loadgen: %" PRIu64 " errors, giving up\n", errors);
                stopping = true;
        }
        set_state(c, CONN_DOWN);
        c->retry_at = now_ns() + RETRY_NS;
}

static void conn_connect(Conn *c);

static void conn_send(Conn *c) {
        while (c->sent < arg_request_len) {
                ssize_t n = send(c->fd, arg_request + c->sent, arg_request_len - c->sent, MSG_NOSIGNAL);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                if (c->state != CONN_SENDING) {
                                        set_state(c, CONN_SENDING);
                                        if (conn_watch(c, EPOLLOUT) < 0) {
                                                conn_error(c, "epoll: %m");
                                                conn_fail(c);
                                        }
                                }
                                return;
                        }
                        conn_error(c, "send: %m");
                        conn_fail(c);
                        return;
                }
                c->sent += (size_t) n;
        }
        set_state(c, CONN_WAITING);
        if (conn_watch(c, EPOLLIN) < 0) {
                conn_error(c, "epoll: %m");
                conn_fail(c);
        }
}

/* Established connection (or one that just finished a request): what next? */
static void conn_next(Conn *c) {
        if (arg_idle > 0) {
                if (arg_idle_warm && !c->warmed && !stopping) {
                        request_begin(c, now_ns());
                        conn_send(c);
                        return;
                }
                set_state(c, CONN_IDLE);
                if (conn_watch(c, EPOLLIN) < 0) {
                        conn_error(c, "epoll: %m");
                        conn_fail(c);
                }
                return;
        }
        if (!may_issue()) {
                set_state(c, CONN_PARKED);
                (void) conn_watch(c, 0);
                return;
        }
        request_begin(c, now_ns());
        conn_send(c);
}

static void conn_connect(Conn *c) {
        struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
        uint64_t t = now_ns();
        int one = 1;

        if (arg_fresh) {
                if (!may_issue()) {
                        set_state(c, CONN_PARKED);
                        return;
                }
                request_begin(c, t);
        }

        c->fd = socket(arg_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0) {
                conn_error(c, "socket: %m");
                conn_fail(c);
                return;
        }
        if (arg_tcp)
                (void) setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
                conn_error(c, "epoll: %m");
                conn_fail(c);
                return;
        }
        if (connect(c->fd, (struct sockaddr *) &arg_addr, arg_addr_len) < 0) {
                if (errno == EINPROGRESS) {
                        set_state(c, CONN_CONNECTING);
                        return;
                }
                conn_error(c, "connect: %m");
                conn_fail(c);
                return;
        }
        if (arg_fresh) {
                conn_send(c);
                return;
        }
        conn_next(c);
}

static void record_sample(uint64_t start, uint64_t end) {
        if (start < t_measure)
                return;
        counted++;
        if (n_samples == cap_samples) {
                size_t cap = cap_samples ? cap_samples * 2 : 65536;
                uint64_t *p;

                if (cap > MAX_SAMPLES)
                        return; /* counted in rps, not in percentiles; bounded memory */
                p = realloc(samples, cap * sizeof(uint64_t));
                if (!p)
                        return;
                samples = p;
                cap_samples = cap;
        }
        samples[n_samples++] = end - start;
}

static void conn_reply(Conn *c, size_t line_len) {
        uint64_t t = now_ns();
        bool ok = true;

        if (c->len > line_len + 1) {
                conn_error(c, "%zu unexpected bytes after the reply line", c->len - line_len - 1);
                conn_fail(c);
                return;
        }
        if (arg_expect && !memmem(c->buf, line_len, arg_expect, strlen(arg_expect))) {
                conn_error(c, "reply lacks '%s': %.*s", arg_expect, (int) (line_len < 200 ? line_len : 200), c->buf);
                ok = false;
        }
        if (arg_print_replies)
                fwrite(c->buf, 1, line_len + 1, stdout);
        request_end(c);
        c->len = 0;
        if (ok) {
                completed++;
                record_sample(c->t_start, t);
        }
        if (arg_idle > 0)
                c->warmed = true;
        if (arg_fresh) {
                conn_close(c);
                set_state(c, CONN_DOWN);
                c->retry_at = 0;
                return;
        }
        conn_next(c);
}

static void conn_on_readable(Conn *c) {
        for (unsigned rounds = 0; rounds < 64; rounds++) {
                ssize_t n;
                char *nl;

                if (c->cap - c->len < 4096) {
                        size_t cap = c->cap ? c->cap * 2 : 16384;
                        char *p;

                        if (cap > arg_max_reply + 4096) {
                                conn_error(c, "reply longer than %zu bytes", arg_max_reply);
                                conn_fail(c);
                                return;
                        }
                        p = realloc(c->buf, cap);
                        if (!p) {
                                conn_error(c, "out of memory");
                                conn_fail(c);
                                return;
                        }
                        c->buf = p;
                        c->cap = cap;
                }
                n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return;
                        conn_error(c, "recv: %m");
                        conn_fail(c);
                        return;
                }
                if (n == 0) {
                        if (c->state == CONN_IDLE) {
                                closed_by_peer++;
                                conn_close(c);
                                set_state(c, CONN_PARKED);
                                return;
                        }
                        conn_error(c, "connection closed by server");
                        conn_fail(c);
                        return;
                }
                if (c->state == CONN_IDLE) {
                        /* Unsolicited data on an idle connection (e.g. a LimitExceeded line). */
                        c->len = 0;
                        continue;
                }
                nl = memchr(c->buf + c->len, '\n', (size_t) n);
                c->len += (size_t) n;
                if (nl) {
                        conn_reply(c, (size_t) (nl - c->buf));
                        return;
                }
        }
}

static void conn_on_writable(Conn *c) {
        int err = 0;
        socklen_t l = sizeof(err);

        if (c->state == CONN_CONNECTING) {
                if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
                        err = errno;
                if (err != 0) {
                        errno = err;
                        conn_error(c, "connect: %m");
                        conn_fail(c);
                        return;
                }
                if (arg_fresh)
                        conn_send(c);
                else
                        conn_next(c);
                return;
        }
        if (c->state == CONN_SENDING)
                conn_send(c);
}

static void start_pending(uint64_t now) {
        if (n_down == 0)
                return;
        for (unsigned i = 0; i < n_conns && n_connecting < arg_batch; i++) {
                Conn *c = conns + i;

                if (c->state != CONN_DOWN || c->retry_at > now)
                        continue;
                if (stopping || (!arg_fresh && arg_requests > 0 && !may_issue())) {
                        set_state(c, CONN_PARKED);
                        continue;
                }
                conn_connect(c);
        }
}

static bool state_is_busy(ConnState s) {
        return s == CONN_CONNECTING || s == CONN_SENDING || s == CONN_WAITING;
}

static void check_timeouts(uint64_t now) {
        for (unsigned i = 0; i < n_conns; i++) {
                Conn *c = conns + i;

                if (!state_is_busy(c->state) || now - c->t_state < arg_timeout_ns)
                        continue;
                conn_error(c, "timeout in state %d after %" PRIu64 " ms", (int) c->state,
                           (now - c->t_state) / NSEC_PER_MSEC);
                conn_fail(c);
        }
}

static void print_summary(uint64_t t_end) {
        double secs = t_end > t_measure ? (double) (t_end - t_measure) / 1e9 : 0.0;
        uint64_t sum = 0;

        qsort(samples, n_samples, sizeof(uint64_t), cmp_u64);
        for (size_t i = 0; i < n_samples; i++)
                sum += samples[i];

        printf("requests=%" PRIu64 " errors=%" PRIu64 " duration_s=%.3f rps=%.1f"
               " mean_us=%.1f min_us=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f"
               " conns=%u\n",
               counted, errors, secs, secs > 0 ? (double) counted / secs : 0.0,
               n_samples ? (double) sum / (double) n_samples / 1e3 : 0.0,
               n_samples ? (double) samples[0] / 1e3 : 0.0,
               (double) percentile_sorted(samples, n_samples, 50) / 1e3,
               (double) percentile_sorted(samples, n_samples, 90) / 1e3,
               (double) percentile_sorted(samples, n_samples, 99) / 1e3,
               (double) percentile_sorted(samples, n_samples, 99.9) / 1e3,
               n_samples ? (double) samples[n_samples - 1] / 1e3 : 0.0,
               n_conns);
}

static void help(void) {
        printf("Usage: loadgen [-t ADDR:PORT | -u PATH] [OPTIONS]\n"
               "Closed-loop line request/reply load: one request in flight per connection.\n\n"
               "  -t --tcp ADDR:PORT     server address (default 127.0.0.1:5050; [::1]:PORT for IPv6)\n"
               "  -u --unix PATH         Unix stream socket instead\n"
               "  -c --connections N     concurrent connections (default 1)\n"
               "  -d --duration S        run for S seconds (default 5; with -n: upper bound, default 300)\n"
               "  -n --requests N        stop after N requests in total\n"
               "  -w --warmup S          do not measure the first S seconds\n"
               "  -r --request LINE      request line (default {\"cmd\":\"PING\"})\n"
               "  -e --expect STR        a reply must contain STR, or it counts as an error\n"
               "  -f --fresh             new connection per request (latency includes connect)\n"
               "     --idle N            open N connections and hold them; print \"ready ...\" when\n"
               "                         established; summary on SIGTERM/SIGINT or after -d (default 300)\n"
               "     --idle-warm         with --idle: send the request once on each connection first\n"
               "     --timeout MS        per connect/request timeout (default 10000)\n"
               "     --max-reply BYTES   longest accepted reply line (default 64 MiB)\n"
               "     --max-errors N      stop after N errors (default 1000, 0 = never)\n"
               "     --batch N           at most N connects in progress at once (default 64)\n"
               "     --print-replies     copy every reply line to stdout (before the summary)\n\n"
               "Summary: requests= errors= duration_s= rps= mean_us= min_us= p50_us= p90_us=\n"
               "p99_us= p999_us= max_us= conns=   (--idle: ready/idle_open= closed_by_peer= failed=)\n"
               "Exit status 0 if no errors and at least one reply, 1 otherwise, 2 on usage errors.\n");
}

static int parse_count(const char *opt, const char *s, uint64_t max, uint64_t *ret) {
        int r = parse_u64(s, max, ret);

        if (r < 0)
                fprintf(stderr, "loadgen: bad %s '%s'\n", opt, s);
        return r;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_IDLE = 0x100, ARG_IDLE_WARM, ARG_TIMEOUT, ARG_MAX_REPLY, ARG_MAX_ERRORS, ARG_BATCH,
               ARG_PRINT_REPLIES };
        static const struct option options[] = {
                { "help",          no_argument,       NULL, 'h'               },
                { "tcp",           required_argument, NULL, 't'               },
                { "unix",          required_argument, NULL, 'u'               },
                { "connections",   required_argument, NULL, 'c'               },
                { "duration",      required_argument, NULL, 'd'               },
                { "requests",      required_argument, NULL, 'n'               },
                { "warmup",        required_argument, NULL, 'w'               },
                { "request",       required_argument, NULL, 'r'               },
                { "expect",        required_argument, NULL, 'e'               },
                { "fresh",         no_argument,       NULL, 'f'               },
                { "idle",          required_argument, NULL, ARG_IDLE          },
                { "idle-warm",     no_argument,       NULL, ARG_IDLE_WARM     },
                { "timeout",       required_argument, NULL, ARG_TIMEOUT       },
                { "max-reply",     required_argument, NULL, ARG_MAX_REPLY     },
                { "max-errors",    required_argument, NULL, ARG_MAX_ERRORS    },
                { "batch",         required_argument, NULL, ARG_BATCH         },
                { "print-replies", no_argument,       NULL, ARG_PRINT_REPLIES },
                {}
        };
        const char *tcp = "127.0.0.1:5050", *unix_path = NULL, *request = "{\"cmd\":\"PING\"}";
        uint64_t v;
        int c, r;

        while ((c = getopt_long(argc, argv, "ht:u:c:d:n:w:r:e:f", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 't':
                        tcp = optarg;
                        unix_path = NULL;
                        break;
                case 'u':
                        unix_path = optarg;
                        break;
                case 'c':
                        if (parse_count("--connections", optarg, MAX_CONNECTIONS, &v) < 0 || v == 0)
                                return -EINVAL;
                        arg_conns = (unsigned) v;
                        break;
                case 'd':
                        if (parse_seconds(optarg, &arg_duration_ns) < 0 || arg_duration_ns == 0) {
                                fprintf(stderr, "loadgen: bad --duration '%s'\n", optarg);
                                return -EINVAL;
                        }
                        arg_duration_set = true;
                        break;
                case 'n':
                        if (parse_count("--requests", optarg, UINT64_C(1) << 40, &arg_requests) < 0 ||
                            arg_requests == 0)
                                return -EINVAL;
                        break;
                case 'w':
                        if (parse_seconds(optarg, &arg_warmup_ns) < 0) {
                                fprintf(stderr, "loadgen: bad --warmup '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'r':
                        if (strchr(optarg, '\n')) {
                                fprintf(stderr, "loadgen: --request must be one line\n");
                                return -EINVAL;
                        }
                        request = optarg;
                        break;
                case 'e':
                        arg_expect = optarg;
                        break;
                case 'f':
                        arg_fresh = true;
                        break;
                case ARG_IDLE:
                        if (parse_count("--idle", optarg, MAX_CONNECTIONS, &v) < 0 || v == 0)
                                return -EINVAL;
                        arg_idle = (unsigned) v;
                        break;
                case ARG_IDLE_WARM:
                        arg_idle_warm = true;
                        break;
                case ARG_TIMEOUT:
                        if (parse_count("--timeout", optarg, 3600000, &v) < 0 || v == 0)
                                return -EINVAL;
                        arg_timeout_ns = v * NSEC_PER_MSEC;
                        break;
                case ARG_MAX_REPLY:
                        if (parse_count("--max-reply", optarg, UINT64_C(1) << 30, &v) < 0 || v == 0)
                                return -EINVAL;
                        arg_max_reply = (size_t) v;
                        break;
                case ARG_MAX_ERRORS:
                        if (parse_count("--max-errors", optarg, UINT64_MAX, &arg_max_errors) < 0)
                                return -EINVAL;
                        break;
                case ARG_BATCH:
                        if (parse_count("--batch", optarg, MAX_CONNECTIONS, &v) < 0 || v == 0)
                                return -EINVAL;
                        arg_batch = (unsigned) v;
                        break;
                case ARG_PRINT_REPLIES:
                        arg_print_replies = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "loadgen: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        if (arg_idle > 0 && (arg_fresh || arg_requests > 0)) {
                fprintf(stderr, "loadgen: --idle excludes --fresh and --requests\n");
                return -EINVAL;
        }

        if (unix_path) {
                r = parse_unix_address(unix_path, &arg_addr, &arg_addr_len);
                arg_tcp = false;
        } else
                r = parse_inet_address(tcp, &arg_addr, &arg_addr_len);
        if (r < 0) {
                fprintf(stderr, "loadgen: bad address '%s'\n", unix_path ? unix_path : tcp);
                return r;
        }

        if (!arg_duration_set)
                arg_duration_ns = (arg_requests > 0 || arg_idle > 0 ? 300 : 5) * NSEC_PER_SEC;
        if (arg_idle > 0)
                arg_conns = arg_idle;

        arg_request_len = strlen(request) + 1;
        arg_request = malloc(arg_request_len);
        if (!arg_request)
                return -ENOMEM;
        memcpy(arg_request, request, arg_request_len - 1);
        arg_request[arg_request_len - 1] = '\n';
        return 1;
}

static int run(int argc, char *argv[]) {
        _cleanup_close_ int sfd = -EBADF, epfd = -EBADF;
        uint64_t t0, deadline, t_end, next_scan;
        bool ready_printed = false;
        struct epoll_event ev;
        sigset_t mask;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        raise_nofile_limit();
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (sfd < 0)
                return -errno;
        epfd = epoll_create1(EPOLL_CLOEXEC);
        if (epfd < 0)
                return -errno;
        ep = epfd;
        ev = (struct epoll_event) { .events = EPOLLIN, .data.ptr = &sfd };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) < 0)
                return -errno;

        conns = calloc(arg_conns, sizeof(Conn));
        if (!conns)
                return -ENOMEM;
        n_conns = arg_conns;
        for (unsigned i = 0; i < n_conns; i++) {
                conns[i] = (Conn) { .fd = -EBADF, .state = CONN_DOWN };
                n_down++;
        }

        t0 = now_ns();
        t_measure = t0 + arg_warmup_ns;
        deadline = t0 + arg_warmup_ns + arg_duration_ns;
        next_scan = t0 + 100 * NSEC_PER_MSEC;
        t_end = deadline;

        for (;;) {
                struct epoll_event events[256];
                uint64_t now = now_ns();
                int n, timeout_ms;

                if (now >= deadline) {
                        t_end = deadline;
                        break;
                }
                if (stopping && inflight == 0 && n_idle == 0 && n_connecting == 0) {
                        t_end = now;
                        break;
                }
                if (!stopping && arg_requests > 0 && issued >= arg_requests && inflight == 0) {
                        t_end = now;
                        break;
                }
                if (arg_idle > 0 && !ready_printed && n_down == 0 && n_connecting == 0 && inflight == 0) {
                        printf("ready idle=%u failed=%" PRIu64 "\n", n_idle, idle_failed);
                        fflush(stdout);
                        ready_printed = true;
                }

                start_pending(now);
                if (now >= next_scan) {
                        check_timeouts(now);
                        next_scan = now + 100 * NSEC_PER_MSEC;
                }

                timeout_ms = (int) ((deadline - now) / NSEC_PER_MSEC) + 1;
                if (timeout_ms > TICK_MS)
                        timeout_ms = TICK_MS;
                n = epoll_wait(ep, events, (int) ELEMENTSOF(events), timeout_ms);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (int i = 0; i < n; i++) {
                        Conn *c = events[i].data.ptr;

                        if ((void *) c == (void *) &sfd) {
                                /* Measurement ends now; the summary is still printed. */
                                t_end = now_ns();
                                goto done;
                        }
                        if (c->fd < 0)
                                continue;
                        if (c->state == CONN_CONNECTING || c->state == CONN_SENDING)
                                conn_on_writable(c);
                        else if (c->state == CONN_WAITING || c->state == CONN_IDLE)
                                conn_on_readable(c);
                }
        }
done:
        if (arg_idle > 0) {
                printf("idle_open=%u closed_by_peer=%" PRIu64 " failed=%" PRIu64 " errors=%" PRIu64 "\n",
                       n_idle, closed_by_peer, idle_failed, errors);
                r = (errors == 0 && closed_by_peer == 0 && idle_failed == 0) ? 0 : 1;
        } else {
                if (t_end > deadline)
                        t_end = deadline;
                print_summary(t_end);
                r = (errors == 0 && completed > 0) ? 0 : 1;
        }
        fflush(stdout);
        for (unsigned i = 0; i < n_conns; i++) {
                conn_close(conns + i);
                free(conns[i].buf);
        }
        free(conns);
        free(samples);
        free(arg_request);
        return r;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);

        if (r < 0)
                return 2;
        return r;
}
