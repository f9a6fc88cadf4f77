/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OpenSSL side of the TCP listeners; see tls.h.
 *
 * Choices: TLS 1.2 minimum (1.3 when the client has it: OpenSSL prefers the highest);
 * no renegotiation; no session tickets or cache (a procctl call is one connection, a
 * resumed session would save little and keeps state per client); partial writes with a
 * movable buffer (the connection's output queue is compacted and grown between tries);
 * record buffers kept for the session's life rather than released when idle (about
 * 23 KiB per idle TLS connection in bench/run, against two allocations per request);
 * read-ahead, so a burst of records costs one read(); an abrupt close counts as EOF (requests are lines: a
 * truncated one is never executed). OpenSSL's error queue is per thread and shared by
 * all sessions: every failure path empties it, so that the next SSL_get_error() sees
 * only its own operation's (the hot read/write path then needs no clearing of its own).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "daemon/tls.h"
#include "shared/log.h"

struct TlsContext {
        SSL_CTX *ctx;
        bool verify_clients;
};

struct TlsSession {
        SSL *ssl;
        bool verify_clients;
        uint32_t wants_handshake, wants_read, wants_write;
};

/* The last OpenSSL error as text ("error:0A00018F:SSL routines::…"): codes and reasons,
 * never data. */
static const char *tls_error_string(char *buf, size_t size) {
        unsigned long e = ERR_peek_last_error();

        if (e == 0)
                snprintf(buf, size, "unknown error");
        else
                ERR_error_string_n(e, buf, size);
        ERR_clear_error();
        return buf;
}

/* No passphrase prompt on a terminal, ever: an encrypted key is an error. */
static int no_password(char *buf, int size, int rwflag, void *userdata) {
        return -1;
}

static void wipe_free(char *p, size_t len) {
        if (!p)
                return;
        explicit_bzero(p, len);
        free(p);
}

/* The whole file through an O_CLOEXEC descriptor, bounded, NUL-terminated. */
static int read_file_bounded(const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -EBADF;
        char *buf = NULL;
        size_t len = 0, alloc = 0;
        ssize_t n;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        for (;;) {
                if (alloc - len < 4096) {
                        size_t na = alloc == 0 ? 8192 : alloc * 2;
                        char *p;

                        if (na > TLS_FILE_MAX + 4096) {
                                wipe_free(buf, alloc);
                                return -EFBIG;
                        }
                        /* Not realloc(): the old buffer may hold a key and is wiped. */
                        p = malloc(na);
                        if (!p) {
                                wipe_free(buf, alloc);
                                return -ENOMEM;
                        }
                        if (buf)
                                memcpy(p, buf, len);
                        wipe_free(buf, alloc);
                        buf = p;
                        alloc = na;
                }
                n = read(fd, buf + len, alloc - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        n = -errno;
                        wipe_free(buf, alloc);
                        return (int) n;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > TLS_FILE_MAX) {
                        wipe_free(buf, alloc);
                        return -EFBIG;
                }
        }
        buf[len] = '\0';
        *ret = buf;
        *ret_len = len;
        return 0;
}

static int load_chain(SSL_CTX *ctx, const char *pem, size_t len, const char *name) {
        BIO *bio = BIO_new_mem_buf(pem, (int) len);
        X509 *x;
        char err[256];
        int r = 0;

        if (!bio)
                return log_oom();
        x = PEM_read_bio_X509_AUX(bio, NULL, no_password, NULL);
        if (!x || SSL_CTX_use_certificate(ctx, x) != 1) {
                r = log_error_errno(SYNTHETIC_ERRNO(EINVAL), "TLS certificate %s is not a usable PEM certificate: %s",
                                    name, tls_error_string(err, sizeof(err)));
                goto finish;
        }
        /* The rest are intermediates, sent along. */
        for (X509 *ca; (ca = PEM_read_bio_X509(bio, NULL, no_password, NULL)); )
                if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
                        X509_free(ca);
                        r = log_error_errno(SYNTHETIC_ERRNO(EINVAL), "TLS certificate %s: cannot use its chain: %s",
                                            name, tls_error_string(err, sizeof(err)));
                        goto finish;
                }
        ERR_clear_error();      /* the end of the file reads as "no start line" */
finish:
        X509_free(x);
        BIO_free(bio);
        return r;
}

static int load_key(SSL_CTX *ctx, const char *pem, size_t len, const char *name, const char *cert_name) {
        BIO *bio = BIO_new_mem_buf(pem, (int) len);
        EVP_PKEY *k;
        char err[256];
        int r = 0;

        if (!bio)
                return log_oom();
        k = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
        BIO_free(bio);
        if (!k)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL),
                                       "TLS key %s is not an unencrypted PEM private key: %s", name,
                                       tls_error_string(err, sizeof(err)));
        if (SSL_CTX_use_PrivateKey(ctx, k) != 1 || SSL_CTX_check_private_key(ctx) != 1)
                r = log_error_errno(SYNTHETIC_ERRNO(EINVAL), "TLS key %s does not match certificate %s: %s", name,
                                    cert_name, tls_error_string(err, sizeof(err)));
        EVP_PKEY_free(k);
        return r;
}

static int load_client_ca(SSL_CTX *ctx, const char *pem, size_t len, const char *name) {
        BIO *bio = BIO_new_mem_buf(pem, (int) len);
        X509_STORE *store = SSL_CTX_get_cert_store(ctx);
        char err[256];
        unsigned n = 0;
        int r = 0;

        if (!bio)
                return log_oom();
        for (X509 *x; (x = PEM_read_bio_X509(bio, NULL, no_password, NULL)); X509_free(x)) {
                /* Trusted for verifying clients, and named in the CertificateRequest. */
                if (X509_STORE_add_cert(store, x) != 1 || SSL_CTX_add_client_CA(ctx, x) != 1) {
                        X509_free(x);
                        r = log_error_errno(SYNTHETIC_ERRNO(EINVAL), "TLS client CA %s: cannot use a certificate: %s",
                                            name, tls_error_string(err, sizeof(err)));
                        goto finish;
                }
                n++;
        }
        ERR_clear_error();
        if (n == 0)
                r = log_error_errno(SYNTHETIC_ERRNO(EINVAL), "TLS client CA %s holds no PEM certificate.", name);
finish:
        BIO_free(bio);
        return r;
}

static int context_build(const char *cert_pem, size_t cert_len, const char *cert_name,
                         const char *key_pem, size_t key_len, const char *key_name,
                         const char *ca_pem, size_t ca_len, const char *ca_name, TlsContext **ret) {
        _cleanup_(tls_context_freep) TlsContext *t = NULL;
        char err[256];
        int r;

        t = calloc(1, sizeof(TlsContext));
        if (!t)
                return log_oom();
        ERR_clear_error();
        t->ctx = SSL_CTX_new(TLS_server_method());
        if (!t->ctx)
                return log_error_errno(SYNTHETIC_ERRNO(ENOMEM), "Cannot set up TLS: %s",
                                       tls_error_string(err, sizeof(err)));
        if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1)
                return log_error_errno(SYNTHETIC_ERRNO(EINVAL), "Cannot set the TLS minimum version: %s",
                                       tls_error_string(err, sizeof(err)));
        SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                            SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
        SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        (void) SSL_CTX_set_num_tickets(t->ctx, 0);
        /* One read() per burst of records instead of two per record (header, body). */
        SSL_CTX_set_read_ahead(t->ctx, 1);
        (void) SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_default_passwd_cb(t->ctx, no_password);

        r = load_chain(t->ctx, cert_pem, cert_len, cert_name);
        if (r < 0)
                return r;
        r = load_key(t->ctx, key_pem, key_len, key_name, cert_name);
        if (r < 0)
                return r;
        if (ca_pem) {
                r = load_client_ca(t->ctx, ca_pem, ca_len, ca_name);
                if (r < 0)
                        return r;
                /* Asked for, not required: without one the token rules apply. A certificate
                 * that is presented and does not verify fails the handshake. */
                SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, NULL);
                t->verify_clients = true;
        } else
                SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL);

        *ret = TAKE_PTR(t);
        return 0;
}

int tls_context_new_from_pem(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                             const char *ca_pem, size_t ca_len, TlsContext **ret) {
        return context_build(cert_pem, cert_len, "(memory)", key_pem, key_len, "(memory)", ca_pem, ca_len,
                             "(memory)", ret);
}

int tls_context_new(const char *cert_file, const char *key_file, const char *client_ca_file, TlsContext **ret) {
        char *cert = NULL, *key = NULL, *ca = NULL;
        size_t cert_len = 0, key_len = 0, ca_len = 0;
        int r;

        r = read_file_bounded(cert_file, &cert, &cert_len);
        if (r < 0) {
                log_error_errno(r, "Cannot read TLS certificate %s: %m", cert_file);
                goto finish;
        }
        r = read_file_bounded(key_file, &key, &key_len);
        if (r < 0) {
                log_error_errno(r, "Cannot read TLS key %s: %m", key_file);
                goto finish;
        }
        if (client_ca_file) {
                r = read_file_bounded(client_ca_file, &ca, &ca_len);
                if (r < 0) {
                        log_error_errno(r, "Cannot read TLS client CA %s: %m", client_ca_file);
                        goto finish;
                }
        }
        r = context_build(cert, cert_len, cert_file, key, key_len, key_file, ca, ca_len, client_ca_file, ret);
finish:
        wipe_free(cert, cert_len);
        wipe_free(key, key_len);        /* the key lives on only inside the SSL_CTX */
        wipe_free(ca, ca_len);
        return r;
}

TlsContext *tls_context_free(TlsContext *t) {
        if (!t)
                return NULL;
        SSL_CTX_free(t->ctx);
        free(t);
        return NULL;
}

bool tls_context_verifies_clients(const TlsContext *t) {
        return t && t->verify_clients;
}

TlsDetect tls_detect(const uint8_t *data, size_t len) {
        if (len == 0)
                return TLS_DETECT_MORE;
        /* A TLS connection opens with a handshake record (ContentType 22). A request line
         * starts with '{' or a letter, never with a control character. */
        return data[0] == 0x16 ? TLS_DETECT_TLS : TLS_DETECT_PLAIN;
}

bool tls_plaintext_allowed(int fd) {
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
                struct sockaddr_storage storage;
        } u;
        socklen_t len = sizeof(u);

        if (getpeername(fd, &u.sa, &len) < 0)
                return false;
        if (u.sa.sa_family == AF_INET)
                return (ntohl(u.in.sin_addr.s_addr) >> 24) == 127;
        if (u.sa.sa_family == AF_INET6)
                return IN6_IS_ADDR_LOOPBACK(&u.in6.sin6_addr) ||
                        (IN6_IS_ADDR_V4MAPPED(&u.in6.sin6_addr) && u.in6.sin6_addr.s6_addr[12] == 127);
        return false;
}

int tls_session_new(TlsContext *t, int fd, TlsSession **ret) {
        TlsSession *s;

        s = calloc(1, sizeof(TlsSession));
        if (!s)
                return -ENOMEM;
        ERR_clear_error();
        s->ssl = SSL_new(t->ctx);
        if (!s->ssl || SSL_set_fd(s->ssl, fd) != 1) {
                ERR_clear_error();
                tls_session_free(s);
                return -ENOMEM;
        }
        SSL_set_accept_state(s->ssl);
        s->verify_clients = t->verify_clients;
        *ret = s;
        return 0;
}

TlsSession *tls_session_free(TlsSession *s) {
        if (!s)
                return NULL;
        SSL_free(s->ssl);
        free(s);
        return NULL;
}

/* Maps a failed operation to -EAGAIN (with what it waits for in *wants) or an error. */
static int tls_session_failed(TlsSession *s, int ret, uint32_t *wants) {
        int e = SSL_get_error(s->ssl, ret), saved = errno;
        char err[256];

        *wants = 0;
        switch (e) {
        case SSL_ERROR_WANT_READ:
                ERR_clear_error();
                *wants = EPOLLIN;
                return -EAGAIN;
        case SSL_ERROR_WANT_WRITE:
                ERR_clear_error();
                *wants = EPOLLOUT;
                return -EAGAIN;
        case SSL_ERROR_ZERO_RETURN:
                ERR_clear_error();
                return 0;
        case SSL_ERROR_SYSCALL:
                ERR_clear_error();
                return saved > 0 ? -saved : -ECONNRESET;
        default:
                log_debug("TLS: %s", tls_error_string(err, sizeof(err)));
                return -EPROTO;
        }
}

int tls_session_handshake(TlsSession *s) {
        int k, r;

        ERR_clear_error();
        k = SSL_do_handshake(s->ssl);
        if (k == 1) {
                s->wants_handshake = 0;
                return 1;
        }
        r = tls_session_failed(s, k, &s->wants_handshake);
        return r == 0 ? -ECONNRESET : r;
}

ssize_t tls_session_read(TlsSession *s, void *buf, size_t len) {
        size_t n = 0;

        if (SSL_read_ex(s->ssl, buf, len, &n) == 1) {
                s->wants_read = 0;
                return (ssize_t) n;
        }
        return tls_session_failed(s, 0, &s->wants_read);
}

ssize_t tls_session_write(TlsSession *s, const void *buf, size_t len) {
        size_t n = 0;
        int r;

        if (SSL_write_ex(s->ssl, buf, len, &n) == 1) {
                s->wants_write = 0;
                return (ssize_t) n;
        }
        r = tls_session_failed(s, 0, &s->wants_write);
        return r == 0 ? -EPIPE : r;
}

uint32_t tls_session_wants(const TlsSession *s) {
        if (!SSL_is_init_finished(s->ssl))
                return s->wants_handshake;
        return (s->wants_read & EPOLLOUT) | (s->wants_write & EPOLLIN);
}

bool tls_session_has_pending(const TlsSession *s) {
        return SSL_has_pending(s->ssl) == 1;
}

bool tls_session_peer_verified(const TlsSession *s) {
        return s->verify_clients && SSL_is_init_finished(s->ssl) && SSL_get0_peer_certificate(s->ssl) &&
                SSL_get_verify_result(s->ssl) == X509_V_OK;
}

const char *tls_session_version(const TlsSession *s) {
        return SSL_get_version(s->ssl);
}

void tls_session_peer_subject(const TlsSession *s, char *buf, size_t size) {
        X509 *x = SSL_get0_peer_certificate(s->ssl);

        if (size == 0)
                return;
        buf[0] = '\0';
        if (x)
                (void) X509_NAME_oneline(X509_get_subject_name(x), buf, (int) MIN(size, (size_t) INT32_MAX));
}

void tls_session_shutdown(TlsSession *s) {
        if (!s || !SSL_is_init_finished(s->ssl))
                return;
        ERR_clear_error();
        (void) SSL_shutdown(s->ssl);
        ERR_clear_error();
}
