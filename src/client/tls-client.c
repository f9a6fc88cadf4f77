/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* procctl's TLS sessions; see tls-client.h. */

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "client/tls-client.h"

struct TlsClient {
        SSL_CTX *ctx;
        SSL *ssl;
        char *host;
        bool host_is_ip;
        short wants;
        char error[320];
};

static void set_openssl_error(char *err, size_t size, const char *what) {
        unsigned long e = ERR_peek_last_error();
        char buf[256];

        if (e == 0)
                snprintf(buf, sizeof(buf), "unknown error");
        else
                ERR_error_string_n(e, buf, sizeof(buf));
        ERR_clear_error();
        snprintf(err, size, "%s: %s", what, buf);
}

int tls_client_new(const char *host, const char *ca_file, const char *cert_file, const char *key_file,
                   TlsClient **ret, char *err, size_t err_size) {
        _cleanup_(tls_client_freep) TlsClient *t = NULL;
        struct in6_addr a6;
        struct in_addr a4;
        char what[PATH_MAX + 64];

        if (!!cert_file != !!key_file) {
                snprintf(err, err_size, "--tls-cert and --tls-key go together");
                return -EINVAL;
        }
        t = calloc(1, sizeof(TlsClient));
        if (!t)
                return -ENOMEM;
        t->host = strdup(host);
        if (!t->host)
                return -ENOMEM;
        t->host_is_ip = inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;

        ERR_clear_error();
        t->ctx = SSL_CTX_new(TLS_client_method());
        if (!t->ctx) {
                set_openssl_error(err, err_size, "cannot set up TLS");
                return -ENOMEM;
        }
        (void) SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
        SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION |
                            SSL_OP_IGNORE_UNEXPECTED_EOF);
        SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);

        if (ca_file) {
                if (SSL_CTX_load_verify_locations(t->ctx, ca_file, NULL) != 1) {
                        snprintf(what, sizeof(what), "cannot use CA file '%s'", ca_file);
                        set_openssl_error(err, err_size, what);
                        return -EINVAL;
                }
        } else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1) {
                set_openssl_error(err, err_size, "cannot load the system's trusted certificates");
                return -EINVAL;
        }
        if (cert_file) {
                if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1) {
                        snprintf(what, sizeof(what), "cannot use certificate file '%s'", cert_file);
                        set_openssl_error(err, err_size, what);
                        return -EINVAL;
                }
                if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) != 1) {
                        snprintf(what, sizeof(what), "cannot use key file '%s'", key_file);
                        set_openssl_error(err, err_size, what);
                        return -EINVAL;
                }
                if (SSL_CTX_check_private_key(t->ctx) != 1) {
                        snprintf(what, sizeof(what), "key '%s' does not match certificate '%s'", key_file, cert_file);
                        set_openssl_error(err, err_size, what);
                        return -EINVAL;
                }
        }
        *ret = TAKE_PTR(t);
        return 0;
}

TlsClient *tls_client_free(TlsClient *t) {
        if (!t)
                return NULL;
        SSL_free(t->ssl);
        SSL_CTX_free(t->ctx);
        free(t->host);
        free(t);
        return NULL;
}

int tls_client_start(TlsClient *t, int fd) {
        SSL_free(t->ssl);
        t->error[0] = '\0';
        ERR_clear_error();
        t->ssl = SSL_new(t->ctx);
        if (!t->ssl || SSL_set_fd(t->ssl, fd) != 1)
                goto fail;
        /* What the certificate must name: the address (an IP SAN) or the name (a DNS SAN,
         * also sent as SNI). */
        if (t->host_is_ip) {
                if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), t->host) != 1)
                        goto fail;
        } else if (SSL_set1_host(t->ssl, t->host) != 1 || SSL_set_tlsext_host_name(t->ssl, t->host) != 1)
                goto fail;
        SSL_set_connect_state(t->ssl);
        return 0;
fail:
        set_openssl_error(t->error, sizeof(t->error), "cannot set up TLS");
        return -ENOMEM;
}

static int tls_client_failed(TlsClient *t, int ret, const char *what) {
        int e = SSL_get_error(t->ssl, ret), saved = errno;

        t->wants = 0;
        switch (e) {
        case SSL_ERROR_WANT_READ:
                t->wants = POLLIN;
                return -EAGAIN;
        case SSL_ERROR_WANT_WRITE:
                t->wants = POLLOUT;
                return -EAGAIN;
        case SSL_ERROR_ZERO_RETURN:
                return 0;
        case SSL_ERROR_SYSCALL:
                ERR_clear_error();
                snprintf(t->error, sizeof(t->error), "%s: the connection was closed (%s)", what,
                         saved > 0 ? strerror(saved) : "unexpected EOF");
                return saved > 0 ? -saved : -ECONNRESET;
        default:
                switch (ERR_GET_REASON(ERR_peek_last_error())) {
                case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
                case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
                case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
                case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
                        what = "TLS: the server refused the client certificate";
                        break;
                case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
                case SSL_R_UNSUPPORTED_PROTOCOL:
                        what = "TLS: no protocol version in common with the server";
                        break;
                case SSL_R_WRONG_VERSION_NUMBER:
                        what = "TLS: the server does not speak TLS on this port (procmgrd without --tls-cert?)";
                        break;
                }
                set_openssl_error(t->error, sizeof(t->error), what);
                return -EPROTO;
        }
}

int tls_client_handshake(TlsClient *t) {
        long v;
        int k, r;

        ERR_clear_error();
        k = SSL_do_handshake(t->ssl);
        if (k == 1)
                return 1;
        v = SSL_get_verify_result(t->ssl);
        r = tls_client_failed(t, k, "TLS handshake failed");
        if (r == -EAGAIN)
                return r;
        if (v != X509_V_OK) {
                snprintf(t->error, sizeof(t->error), "TLS: the server's certificate did not verify for %s: %s",
                         t->host, X509_verify_cert_error_string(v));
                return -EKEYREJECTED;
        }
        if (r == 0) {
                snprintf(t->error, sizeof(t->error), "TLS handshake failed: the server closed the connection");
                return -ECONNRESET;
        }
        return r;
}

ssize_t tls_client_write(TlsClient *t, const void *buf, size_t len) {
        size_t n = 0;
        int r;

        ERR_clear_error();
        if (SSL_write_ex(t->ssl, buf, len, &n) == 1)
                return (ssize_t) n;
        r = tls_client_failed(t, 0, "TLS write failed");
        return r == 0 ? -EPIPE : r;
}

ssize_t tls_client_read(TlsClient *t, void *buf, size_t len) {
        size_t n = 0;

        ERR_clear_error();
        if (SSL_read_ex(t->ssl, buf, len, &n) == 1)
                return (ssize_t) n;
        return tls_client_failed(t, 0, "TLS read failed");
}

short tls_client_wants(const TlsClient *t) {
        return t->wants ?: POLLIN;
}

void tls_client_end(TlsClient *t) {
        if (!t || !t->ssl)
                return;
        if (SSL_is_init_finished(t->ssl))
                (void) SSL_shutdown(t->ssl);
        ERR_clear_error();
        SSL_free(t->ssl);
        t->ssl = NULL;
}

const char *tls_client_error(const TlsClient *t) {
        return t && t->error[0] ? t->error : NULL;
}
