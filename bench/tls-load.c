/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tls-load: the TLS load generator of bench/run (OpenSSL, one thread per
 * connection, blocking sockets: the simplest client that measures the server,
 * the same for every server it is pointed at).
 *
 *   tls-load -t HOST:PORT --ca FILE -c N -d S [-w S] [--plain]
 *       N connections send "PING\n" and read one line, in a loop, for S seconds
 *       (after a warm-up); prints "requests= errors= rps=". --plain: no TLS
 *       (the same client over plaintext, the reference of the TLS row).
 *   tls-load -t HOST:PORT --ca FILE --handshakes -d S
 *       one after another: connect, full TLS handshake (no resumption), "PING\n",
 *       one line back, close; prints "ops= errors= us_per_op=". Any line counts,
 *       so `openssl s_server -rev` (which answers "GNIP") is a reference server.
 *   tls-load -t HOST:PORT --ca FILE --idle N -d S
 *       N TLS connections, each handshaken and one PING answered, then held
 *       idle; prints "ready idle=N" and exits after S seconds.
 *
 * Must NOT: skip certificate verification (the server's cert must verify against
 * --ca for 127.0.0.1), or run unbounded: every run ends after its duration.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

static struct sockaddr_in target;
static char target_ip[64];
static SSL_CTX *ctx;
static bool plain;
static atomic_bool measuring, stop;
static atomic_ulong requests, errors;

static double now_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

typedef struct Conn {
        int fd;
        SSL *ssl;
        char buf[4096];
        size_t len;
} Conn;

static void conn_close(Conn *c) {
        if (c->ssl) {
                (void) SSL_shutdown(c->ssl);
                SSL_free(c->ssl);
        }
        if (c->fd >= 0)
                close(c->fd);
        c->ssl = NULL;
        c->fd = -1;
        c->len = 0;
        ERR_clear_error();
}

static int conn_open(Conn *c) {
        int one = 1;

        c->ssl = NULL;
        c->len = 0;
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0)
                return -1;
        (void) setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(c->fd, (struct sockaddr *) &target, sizeof(target)) < 0)
                goto fail;
        if (plain)
                return 0;
        c->ssl = SSL_new(ctx);
        if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 ||
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), target_ip) != 1 || SSL_connect(c->ssl) != 1)
                goto fail;
        return 0;
fail:
        conn_close(c);
        return -1;
}

static int conn_write(Conn *c, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k;

                if (c->ssl) {
                        size_t w = 0;
                        if (SSL_write_ex(c->ssl, p, n, &w) != 1)
                                return -1;
                        k = (ssize_t) w;
                } else {
                        k = send(c->fd, p, n, MSG_NOSIGNAL);
                        if (k < 0)
                                return -1;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

/* One line back (any content); bytes after it are kept for the next one. */
static int conn_readline(Conn *c) {
        for (;;) {
                char *nl = memchr(c->buf, '\n', c->len);
                ssize_t k;

                if (nl) {
                        size_t used = (size_t) (nl - c->buf) + 1;
                        memmove(c->buf, c->buf + used, c->len - used);
                        c->len -= used;
                        return 0;
                }
                if (c->len == sizeof(c->buf))
                        c->len = 0;     /* a long line: keep looking for its end */
                if (c->ssl) {
                        size_t r = 0;
                        if (SSL_read_ex(c->ssl, c->buf + c->len, sizeof(c->buf) - c->len, &r) != 1)
                                return -1;
                        k = (ssize_t) r;
                } else {
                        k = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
                        if (k <= 0)
                                return -1;
                }
                c->len += (size_t) k;
        }
}

static int ping(Conn *c) {
        return conn_write(c, "PING\n", 5) < 0 || conn_readline(c) < 0 ? -1 : 0;
}

static void *ping_loop(void *arg) {
        Conn c;

        (void) arg;
        if (conn_open(&c) < 0) {
                atomic_fetch_add(&errors, 1);
                return NULL;
        }
        while (!atomic_load(&stop)) {
                if (ping(&c) < 0) {
                        atomic_fetch_add(&errors, 1);
                        break;
                }
                if (atomic_load(&measuring))
                        atomic_fetch_add(&requests, 1);
        }
        conn_close(&c);
        return NULL;
}

static void usage(void) {
        fprintf(stderr, "usage: tls-load -t HOST:PORT --ca FILE (-c N [--plain] | --handshakes | --idle N) "
                        "-d SECONDS [-w SECONDS]\n");
        exit(2);
}

int main(int argc, char *argv[]) {
        enum { OPT_CA = 0x100, OPT_PLAIN, OPT_HANDSHAKES, OPT_IDLE };
        static const struct option options[] = {
                { "target", required_argument, NULL, 't' },
                { "ca", required_argument, NULL, OPT_CA },
                { "plain", no_argument, NULL, OPT_PLAIN },
                { "handshakes", no_argument, NULL, OPT_HANDSHAKES },
                { "idle", required_argument, NULL, OPT_IDLE },
                {}
        };
        const char *t = NULL, *ca = NULL;
        double duration = 1.5, warmup = 0.2;
        unsigned conns = 16, idle = 0;
        bool handshakes = false;
        char *colon;
        int o;

        while ((o = getopt_long(argc, argv, "t:c:d:w:", options, NULL)) >= 0)
                switch (o) {
                case 't': t = optarg; break;
                case 'c': conns = (unsigned) strtoul(optarg, NULL, 10); break;
                case 'd': duration = strtod(optarg, NULL); break;
                case 'w': warmup = strtod(optarg, NULL); break;
                case OPT_CA: ca = optarg; break;
                case OPT_PLAIN: plain = true; break;
                case OPT_HANDSHAKES: handshakes = true; break;
                case OPT_IDLE: idle = (unsigned) strtoul(optarg, NULL, 10); break;
                default: usage();
                }
        if (!t || (!ca && !plain) || conns == 0 || conns > 4096 || idle > 100000 || duration <= 0 || duration > 3600)
                usage();
        colon = strrchr(t, ':');
        if (!colon || (size_t) (colon - t) >= sizeof(target_ip))
                usage();
        memcpy(target_ip, t, (size_t) (colon - t));
        target.sin_family = AF_INET;
        target.sin_port = htons((uint16_t) atoi(colon + 1));
        if (inet_pton(AF_INET, target_ip, &target.sin_addr) != 1)
                usage();

        if (!plain) {
                ctx = SSL_CTX_new(TLS_client_method());
                if (!ctx || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
                        fprintf(stderr, "tls-load: cannot load CA %s\n", ca);
                        return 2;
                }
                SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
                (void) SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
                SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
                SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
                SSL_CTX_set_read_ahead(ctx, 1);
        }

        if (idle > 0) {
                struct rlimit rl;
                Conn *cs = calloc(idle, sizeof(Conn));
                unsigned ok = 0;

                if (!cs)
                        return 2;
                if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < idle + 64) {
                        rl.rlim_cur = rl.rlim_max < idle + 64 ? rl.rlim_max : idle + 64;
                        (void) setrlimit(RLIMIT_NOFILE, &rl);
                }
                for (unsigned i = 0; i < idle; i++) {
                        if (conn_open(&cs[i]) < 0 || ping(&cs[i]) < 0) {
                                atomic_fetch_add(&errors, 1);
                                continue;
                        }
                        ok++;
                }
                printf("ready idle=%u errors=%lu\n", ok, atomic_load(&errors));
                fflush(stdout);
                usleep((useconds_t) (duration * 1e6));
                for (unsigned i = 0; i < idle; i++)
                        if (cs[i].fd > 0)
                                conn_close(&cs[i]);
                free(cs);
                return 0;
        }

        if (handshakes) {
                double start = now_s(), end;
                unsigned long ops = 0;

                for (double w = start + warmup; now_s() < w; ) {
                        Conn c;
                        if (conn_open(&c) == 0) {
                                (void) ping(&c);
                                conn_close(&c);
                        }
                }
                start = now_s();
                end = start + duration;
                while (now_s() < end) {
                        Conn c;

                        if (conn_open(&c) < 0 || ping(&c) < 0) {
                                atomic_fetch_add(&errors, 1);
                                if (c.fd >= 0)
                                        conn_close(&c);
                                if (atomic_load(&errors) > 10)
                                        break;
                                continue;
                        }
                        conn_close(&c);
                        ops++;
                }
                printf("ops=%lu errors=%lu us_per_op=%.1f\n", ops, atomic_load(&errors),
                       ops ? (now_s() - start) * 1e6 / (double) ops : 0.0);
                return 0;
        }

        {
                pthread_t *th = calloc(conns, sizeof(pthread_t));
                double start;

                if (!th)
                        return 2;
                for (unsigned i = 0; i < conns; i++)
                        if (pthread_create(&th[i], NULL, ping_loop, NULL) != 0)
                                return 2;
                usleep((useconds_t) (warmup * 1e6));
                atomic_store(&measuring, true);
                start = now_s();
                usleep((useconds_t) (duration * 1e6));
                atomic_store(&measuring, false);
                {
                        double took = now_s() - start;
                        unsigned long n = atomic_load(&requests);

                        atomic_store(&stop, true);
                        for (unsigned i = 0; i < conns; i++)
                                pthread_join(th[i], NULL);
                        printf("requests=%lu errors=%lu rps=%.0f\n", n, atomic_load(&errors), (double) n / took);
                }
                free(th);
        }
        return 0;
}
