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
#include <dlfcn.h>
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

/* OpenSSL is loaded only when TLS is configured (dlopen, as systemd does for its optional
 * libraries): linked, libcrypto alone would add ~1.5 MiB to every daemon's idle RSS
 * (relocations and symbol tables touched at load), TLS or not. The names below call
 * through the pointers, including OpenSSL's own macros (SSL_CTX_set_mode() and friends
 * expand to SSL_CTX_ctrl()). */
static typeof(BIO_free) *sym_BIO_free;
static typeof(BIO_new_mem_buf) *sym_BIO_new_mem_buf;
static typeof(ERR_clear_error) *sym_ERR_clear_error;
static typeof(ERR_error_string_n) *sym_ERR_error_string_n;
static typeof(ERR_peek_last_error) *sym_ERR_peek_last_error;
static typeof(EVP_PKEY_free) *sym_EVP_PKEY_free;
static typeof(PEM_read_bio_PrivateKey) *sym_PEM_read_bio_PrivateKey;
static typeof(PEM_read_bio_X509) *sym_PEM_read_bio_X509;
static typeof(PEM_read_bio_X509_AUX) *sym_PEM_read_bio_X509_AUX;
static typeof(SSL_CTX_add_client_CA) *sym_SSL_CTX_add_client_CA;
static typeof(SSL_CTX_check_private_key) *sym_SSL_CTX_check_private_key;
static typeof(SSL_CTX_ctrl) *sym_SSL_CTX_ctrl;
static typeof(SSL_CTX_free) *sym_SSL_CTX_free;
static typeof(SSL_CTX_get_cert_store) *sym_SSL_CTX_get_cert_store;
static typeof(SSL_CTX_new) *sym_SSL_CTX_new;
static typeof(SSL_CTX_set_default_passwd_cb) *sym_SSL_CTX_set_default_passwd_cb;
static typeof(SSL_CTX_set_num_tickets) *sym_SSL_CTX_set_num_tickets;
static typeof(SSL_CTX_set_options) *sym_SSL_CTX_set_options;
static typeof(SSL_CTX_set_verify) *sym_SSL_CTX_set_verify;
static typeof(SSL_CTX_use_PrivateKey) *sym_SSL_CTX_use_PrivateKey;
static typeof(SSL_CTX_use_certificate) *sym_SSL_CTX_use_certificate;
static typeof(SSL_do_handshake) *sym_SSL_do_handshake;
static typeof(SSL_free) *sym_SSL_free;
static typeof(SSL_get0_peer_certificate) *sym_SSL_get0_peer_certificate;
static typeof(SSL_get_error) *sym_SSL_get_error;
static typeof(SSL_get_verify_result) *sym_SSL_get_verify_result;
static typeof(SSL_get_version) *sym_SSL_get_version;
static typeof(SSL_has_pending) *sym_SSL_has_pending;
static typeof(SSL_is_init_finished) *sym_SSL_is_init_finished;
static typeof(SSL_new) *sym_SSL_new;
static typeof(SSL_read_ex) *sym_SSL_read_ex;
static typeof(SSL_set_accept_state) *sym_SSL_set_accept_state;
static typeof(SSL_set_fd) *sym_SSL_set_fd;
static typeof(SSL_shutdown) *sym_SSL_shutdown;
static typeof(SSL_write_ex) *sym_SSL_write_ex;
static typeof(TLS_server_method) *sym_TLS_server_method;
static typeof(X509_NAME_oneline) *sym_X509_NAME_oneline;
static typeof(X509_STORE_add_cert) *sym_X509_STORE_add_cert;
static typeof(X509_free) *sym_X509_free;
static typeof(X509_get_subject_name) *sym_X509_get_subject_name;

#define BIO_free sym_BIO_free
#define BIO_new_mem_buf sym_BIO_new_mem_buf
#define ERR_clear_error sym_ERR_clear_error
#define ERR_error_string_n sym_ERR_error_string_n
#define ERR_peek_last_error sym_ERR_peek_last_error
#define EVP_PKEY_free sym_EVP_PKEY_free
#define PEM_read_bio_PrivateKey sym_PEM_read_bio_PrivateKey
#define PEM_read_bio_X509 sym_PEM_read_bio_X509
#define PEM_read_bio_X509_AUX sym_PEM_read_bio_X509_AUX
#define SSL_CTX_add_client_CA sym_SSL_CTX_add_client_CA
#define SSL_CTX_check_private_key sym_SSL_CTX_check_private_key
#define SSL_CTX_ctrl sym_SSL_CTX_ctrl
#define SSL_CTX_free sym_SSL_CTX_free
#define SSL_CTX_get_cert_store sym_SSL_CTX_get_cert_store
#define SSL_CTX_new sym_SSL_CTX_new
#define SSL_CTX_set_default_passwd_cb sym_SSL_CTX_set_default_passwd_cb
#define SSL_CTX_set_num_tickets sym_SSL_CTX_set_num_tickets
#define SSL_CTX_set_options sym_SSL_CTX_set_options
#define SSL_CTX_set_verify sym_SSL_CTX_set_verify
#define SSL_CTX_use_PrivateKey sym_SSL_CTX_use_PrivateKey
#define SSL_CTX_use_certificate sym_SSL_CTX_use_certificate
#define SSL_do_handshake sym_SSL_do_handshake
#define SSL_free sym_SSL_free
#define SSL_get0_peer_certificate sym_SSL_get0_peer_certificate
#define SSL_get_error sym_SSL_get_error
#define SSL_get_verify_result sym_SSL_get_verify_result
#define SSL_get_version sym_SSL_get_version
#define SSL_has_pending sym_SSL_has_pending
#define SSL_is_init_finished sym_SSL_is_init_finished
#define SSL_new sym_SSL_new
#define SSL_read_ex sym_SSL_read_ex
#define SSL_set_accept_state sym_SSL_set_accept_state
#define SSL_set_fd sym_SSL_set_fd
#define SSL_shutdown sym_SSL_shutdown
#define SSL_write_ex sym_SSL_write_ex
#define TLS_server_method sym_TLS_server_method
#define X509_NAME_oneline sym_X509_NAME_oneline
#define X509_STORE_add_cert sym_X509_STORE_add_cert
#define X509_free sym_X509_free
#define X509_get_subject_name sym_X509_get_subject_name

static void *libssl;

/* Loads libssl.so.3 (and through it libcrypto.so.3) once; logs why not. */
static int tls_dlopen(void) {
#define SYM(f) { #f, (void **) &sym_##f }
        static const struct {
                const char *name;
                void **ptr;
        } syms[] = {
                SYM(BIO_free),
                SYM(BIO_new_mem_buf),
                SYM(ERR_clear_error),
                SYM(ERR_error_string_n),
                SYM(ERR_peek_last_error),
                SYM(EVP_PKEY_free),
                SYM(PEM_read_bio_PrivateKey),
                SYM(PEM_read_bio_X509),
                SYM(PEM_read_bio_X509_AUX),
                SYM(SSL_CTX_add_client_CA),
                SYM(SSL_CTX_check_private_key),
                SYM(SSL_CTX_ctrl),
                SYM(SSL_CTX_free),
                SYM(SSL_CTX_get_cert_store),
                SYM(SSL_CTX_new),
                SYM(SSL_CTX_set_default_passwd_cb),
                SYM(SSL_CTX_set_num_tickets),
                SYM(SSL_CTX_set_options),
                SYM(SSL_CTX_set_verify),
                SYM(SSL_CTX_use_PrivateKey),
                SYM(SSL_CTX_use_certificate),
                SYM(SSL_do_handshake),
                SYM(SSL_free),
                SYM(SSL_get0_peer_certificate),
                SYM(SSL_get_error),
                SYM(SSL_get_verify_result),
                SYM(SSL_get_version),
                SYM(SSL_has_pending),
                SYM(SSL_is_init_finished),
                SYM(SSL_new),
                SYM(SSL_read_ex),
                SYM(SSL_set_accept_state),
                SYM(SSL_set_fd),
                SYM(SSL_shutdown),
                SYM(SSL_write_ex),
                SYM(TLS_server_method),
                SYM(X509_NAME_oneline),
                SYM(X509_STORE_add_cert),
                SYM(X509_free),
                SYM(X509_get_subject_name),
        };
#undef SYM
        void *h;

        if (libssl)
                return 0;
        h = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return log_error_errno(SYNTHETIC_ERRNO(EOPNOTSUPP),
                                       "TLS needs OpenSSL 3 (libssl.so.3, Debian package libssl3): %s", dlerror());
        for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
                *syms[i].ptr = dlsym(h, syms[i].name);
                if (!*syms[i].ptr) {
                        log_error("TLS: libssl.so.3 lacks %s: %s", syms[i].name, dlerror());
                        (void) dlclose(h);
                        return -EOPNOTSUPP;
                }
        }
        libssl = h;
        return 0;
}

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

        r = tls_dlopen();
        if (r < 0)
                return r;
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
