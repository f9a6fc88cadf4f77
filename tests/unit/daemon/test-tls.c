/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for src/daemon/tls.c against a real OpenSSL client over a
 * socketpair with small buffers: first-byte detection; start-up errors for
 * missing, broken and mismatched files; a handshake driven in non-blocking
 * steps from both sides; a megabyte written through a socket that keeps
 * filling up (partial writes, -EAGAIN, the buffer moved between tries); bytes
 * OpenSSL holds after a short read (has_pending); client-certificate
 * verification against the client CA.
 */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "daemon/tls.h"
#include "shared/log.h"

static char dir[] = "/tmp/test-tls-XXXXXX";
static EVP_PKEY *key, *key2;
static X509 *cert;

static X509 *self_signed(EVP_PKEY *k, const char *cn) {
        X509 *x = X509_new();

        assert_non_null(x);
        assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
        assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
        assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
        assert_int_equal(X509_set_pubkey(x, k), 1);
        assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                                    (const unsigned char *) cn, -1, -1, 0), 1);
        assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
        assert_true(X509_sign(x, k, EVP_sha256()) > 0);
        return x;
}

static char *path(const char *name) {
        static char buf[4][256];
        static int i;

        i = (i + 1) % 4;
        snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
        return buf[i];
}

static void write_pem(const char *name, X509 *x, EVP_PKEY *k) {
        FILE *f = fopen(path(name), "we");

        assert_non_null(f);
        if (x)
                assert_int_equal(PEM_write_X509(f, x), 1);
        if (k)
                assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
        assert_int_equal(fclose(f), 0);
}

static int setup(void **state) {
        FILE *f;

        assert_non_null(mkdtemp(dir));
        key = EVP_EC_gen("P-256");
        key2 = EVP_EC_gen("P-256");
        assert_non_null(key);
        assert_non_null(key2);
        cert = self_signed(key, "test");
        write_pem("cert.pem", cert, NULL);
        write_pem("key.pem", NULL, key);
        write_pem("key2.pem", NULL, key2);
        f = fopen(path("garbage.pem"), "we");
        assert_non_null(f);
        fputs("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", f);
        fclose(f);
        log_set_max_level(LOG_CRIT);    /* the failures below log their one line each */
        return 0;
}

static int teardown(void **state) {
        const char *names[] = { "cert.pem", "key.pem", "key2.pem", "garbage.pem" };

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                (void) unlink(path(names[i]));
        (void) rmdir(dir);
        X509_free(cert);
        EVP_PKEY_free(key);
        EVP_PKEY_free(key2);
        return 0;
}

static void test_detect(void **state) {
        assert_int_equal(tls_detect(NULL, 0), TLS_DETECT_MORE);
        assert_int_equal(tls_detect((const uint8_t *) "\x16\x03\x01", 3), TLS_DETECT_TLS);
        assert_int_equal(tls_detect((const uint8_t *) "\x16", 1), TLS_DETECT_TLS);
        assert_int_equal(tls_detect((const uint8_t *) "PING\n", 5), TLS_DETECT_PLAIN);
        assert_int_equal(tls_detect((const uint8_t *) "{\"cmd\"", 6), TLS_DETECT_PLAIN);
        assert_int_equal(tls_detect((const uint8_t *) "\x80\x2e", 2), TLS_DETECT_PLAIN);   /* SSLv2 */
        assert_int_equal(tls_detect((const uint8_t *) "\x15\x03", 2), TLS_DETECT_PLAIN);   /* an alert */
}

static void test_context_errors(void **state) {
        TlsContext *t = NULL;

        assert_true(tls_context_new(path("missing.pem"), path("key.pem"), NULL, &t) < 0);
        assert_true(tls_context_new(path("cert.pem"), path("missing.pem"), NULL, &t) < 0);
        assert_true(tls_context_new(path("garbage.pem"), path("key.pem"), NULL, &t) < 0);
        assert_true(tls_context_new(path("cert.pem"), path("key2.pem"), NULL, &t) < 0);       /* mismatch */
        assert_true(tls_context_new(path("cert.pem"), path("cert.pem"), NULL, &t) < 0);       /* not a key */
        assert_true(tls_context_new(path("cert.pem"), path("key.pem"), path("garbage.pem"), &t) < 0);
        assert_true(tls_context_new(path("cert.pem"), path("key.pem"), path("key.pem"), &t) < 0); /* no cert in CA */
        assert_null(t);

        assert_int_equal(tls_context_new(path("cert.pem"), path("key.pem"), NULL, &t), 0);
        assert_false(tls_context_verifies_clients(t));
        t = tls_context_free(t);
        assert_int_equal(tls_context_new(path("cert.pem"), path("key.pem"), path("cert.pem"), &t), 0);
        assert_true(tls_context_verifies_clients(t));
        tls_context_free(t);
}

typedef struct Pair {
        int sv[2];
        TlsContext *ctx;
        TlsSession *server;
        SSL_CTX *cctx;
        SSL *client;
} Pair;

static void pair_open(Pair *p, bool client_ca, bool client_cert) {
        int small = 4096;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, p->sv), 0);
        for (int i = 0; i < 2; i++) {
                assert_int_equal(setsockopt(p->sv[i], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
                assert_int_equal(setsockopt(p->sv[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
        }
        assert_int_equal(tls_context_new(path("cert.pem"), path("key.pem"), client_ca ? path("cert.pem") : NULL,
                                         &p->ctx), 0);
        assert_int_equal(tls_session_new(p->ctx, p->sv[0], &p->server), 0);
        p->cctx = SSL_CTX_new(TLS_client_method());
        assert_non_null(p->cctx);
        SSL_CTX_set_verify(p->cctx, SSL_VERIFY_NONE, NULL);
        if (client_cert) {
                assert_int_equal(SSL_CTX_use_certificate(p->cctx, cert), 1);
                assert_int_equal(SSL_CTX_use_PrivateKey(p->cctx, key), 1);
        }
        p->client = SSL_new(p->cctx);
        assert_non_null(p->client);
        assert_int_equal(SSL_set_fd(p->client, p->sv[1]), 1);
        SSL_set_connect_state(p->client);

        /* Both sides in non-blocking steps, as the event loop would drive them. */
        int s = -EAGAIN, c = 0;
        for (unsigned i = 0; i < 1000 && (s != 1 || c != 1); i++) {
                if (s == -EAGAIN) {
                        s = tls_session_handshake(p->server);
                        assert_true(s == 1 || s == -EAGAIN);
                        if (s == -EAGAIN)
                                assert_true(tls_session_wants(p->server) & (EPOLLIN | EPOLLOUT));
                }
                if (c != 1) {
                        c = SSL_do_handshake(p->client);
                        if (c != 1) {
                                int e = SSL_get_error(p->client, c);
                                assert_true(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE);
                        }
                }
        }
        assert_int_equal(s, 1);
        assert_int_equal(c, 1);
        assert_int_equal(tls_session_wants(p->server), 0);
}

static void pair_close(Pair *p) {
        SSL_free(p->client);
        SSL_CTX_free(p->cctx);
        tls_session_free(p->server);
        tls_context_free(p->ctx);
        close(p->sv[0]);
        close(p->sv[1]);
}

static void test_partial_writes(void **state) {
        const size_t total = 1024 * 1024;
        char *out = malloc(total), *moved = malloc(total), *in = malloc(total), buf[16384];
        size_t sent = 0, got = 0;
        unsigned again = 0;
        Pair p = {};

        assert_non_null(out);
        assert_non_null(moved);
        assert_non_null(in);
        for (size_t i = 0; i < total; i++)
                out[i] = (char) (i * 7 + i / 4096);
        memcpy(moved, out, total);
        pair_open(&p, false, false);
        assert_string_equal(tls_session_version(p.server), "TLSv1.3");
        assert_false(tls_session_peer_verified(p.server));

        for (unsigned i = 0; i < 100000 && got < total; i++) {
                if (sent < total) {
                        /* Every other try from the other copy: the queue may move between
                         * tries (connection.c compacts and grows it). */
                        const char *src = (i % 2 ? moved : out) + sent;
                        ssize_t n = tls_session_write(p.server, src, total - sent);

                        if (n == -EAGAIN)
                                again++;
                        else {
                                assert_true(n > 0);
                                sent += (size_t) n;
                        }
                }
                size_t r = 0;
                if (SSL_read_ex(p.client, buf, sizeof(buf), &r) == 1) {
                        memcpy(in + got, buf, r);
                        got += r;
                }
        }
        assert_int_equal(got, total);
        assert_memory_equal(in, out, total);
        assert_true(again > 0);         /* the small socket buffer did fill */
        pair_close(&p);
        free(out);
        free(moved);
        free(in);
}

static void test_pending(void **state) {
        char line[] = "{\"cmd\":\"PING\",\"id\":\"a rather long identifier to fill the record\"}\n";
        char buf[8], all[256];
        size_t w = 0, got = 0;
        ssize_t n;
        Pair p = {};

        pair_open(&p, false, false);
        assert_int_equal(SSL_write_ex(p.client, line, strlen(line), &w), 1);
        n = tls_session_read(p.server, buf, sizeof(buf));
        assert_int_equal(n, (ssize_t) sizeof(buf));
        memcpy(all, buf, (size_t) n);
        got = (size_t) n;
        /* The rest is decrypted and held by OpenSSL: epoll would never report it. */
        assert_true(tls_session_has_pending(p.server));
        while (tls_session_has_pending(p.server)) {
                n = tls_session_read(p.server, all + got, sizeof(all) - got);
                assert_true(n > 0);
                got += (size_t) n;
        }
        assert_int_equal(got, strlen(line));
        assert_memory_equal(all, line, got);
        assert_int_equal(tls_session_read(p.server, buf, sizeof(buf)), -EAGAIN);
        assert_int_equal(tls_session_wants(p.server), 0);      /* a read waiting for input: the usual */

        /* The client closes: EOF, with or without close_notify. */
        assert_true(SSL_shutdown(p.client) >= 0);
        assert_int_equal(tls_session_read(p.server, buf, sizeof(buf)), 0);
        pair_close(&p);
}

static void test_client_cert(void **state) {
        char subject[256];
        Pair p = {};

        pair_open(&p, true, true);
        assert_true(tls_session_peer_verified(p.server));
        tls_session_peer_subject(p.server, subject, sizeof(subject));
        assert_string_equal(subject, "/CN=test");
        pair_close(&p);

        /* Asked for but not given: the handshake succeeds, unauthenticated. */
        pair_open(&p, true, false);
        assert_false(tls_session_peer_verified(p.server));
        pair_close(&p);

        /* Given without a client CA configured: not asked for, so never verified. */
        pair_open(&p, false, true);
        assert_false(tls_session_peer_verified(p.server));
        pair_close(&p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_detect),
                cmocka_unit_test(test_context_errors),
                cmocka_unit_test(test_partial_writes),
                cmocka_unit_test(test_pending),
                cmocka_unit_test(test_client_cert),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
