/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the pre-handshake path of a TCP connection once TLS is
 * configured: tls_detect() on the first bytes, then what the daemon does with
 * each outcome. Plaintext: the first line goes through request_parse() (what
 * connection.c answers, with AccessDenied from a non-loopback peer or served
 * from loopback). TLS: the bytes are the peer's side of a real server session
 * (src/daemon/tls.c over a socketpair, with a throwaway certificate made at
 * start-up and the same one as client CA, so the CertificateRequest path runs
 * too), driven the way the connection's event handling drives it until it
 * finishes, fails or waits for more. Invariants: detection needs one byte and
 * is decided by it; the handshake never succeeds on a peer that closed after
 * sending garbage without a Finished, and every result is one the connection
 * handles (-EAGAIN, an errno, or 1).
 *
 * Built with libFuzzer (--enable-fuzzers) and with fuzz-main.c, which replays
 * tests/fuzz/corpus/tls-detect/ in `make check`.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "daemon/tls.h"
#include "fuzz.h"
#include "protocol/request.h"
#include "shared/log.h"

#define FUZZ_LINE_MAX (64U * 1024U)
/* More than a ClientHello ever needs, less than a socket buffer: writing never blocks. */
#define FUZZ_TLS_MAX (64U * 1024U)

static TlsContext *context;

/* A self-signed P-256 certificate and its key, in PEM, made once. */
static char *pem_of(BIO *b, size_t *len) {
        char *p = NULL;
        long n = BIO_get_mem_data(b, &p);
        char *copy = malloc((size_t) n + 1);

        fuzz_assert(copy && n >= 0);
        memcpy(copy, p, (size_t) n);
        copy[n] = '\0';
        *len = (size_t) n;
        return copy;
}

static void setup(void) {
        EVP_PKEY *key = EVP_EC_gen("P-256");
        X509 *x = X509_new();
        BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
        char *cert_pem, *key_pem;
        size_t cert_len, key_len;

        fuzz_assert(key && x && kb && cb);
        fuzz_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1);
        fuzz_assert(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
        fuzz_assert(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
        fuzz_assert(X509_set_pubkey(x, key) == 1);
        fuzz_assert(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                               (const unsigned char *) "fuzz", -1, -1, 0) == 1);
        fuzz_assert(X509_set_issuer_name(x, X509_get_subject_name(x)) == 1);
        fuzz_assert(X509_sign(x, key, EVP_sha256()) > 0);
        fuzz_assert(PEM_write_bio_X509(cb, x) == 1);
        fuzz_assert(PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) == 1);
        cert_pem = pem_of(cb, &cert_len);
        key_pem = pem_of(kb, &key_len);
        fuzz_assert(tls_context_new_from_pem(cert_pem, cert_len, key_pem, key_len, cert_pem, cert_len, &context) == 0);
        explicit_bzero(key_pem, key_len);
        free(cert_pem);
        free(key_pem);
        BIO_free(kb);
        BIO_free(cb);
        X509_free(x);
        EVP_PKEY_free(key);
        log_set_max_level(LOG_CRIT);    /* handshake failures are logged at debug */
}

static void fuzz_plaintext(const uint8_t *data, size_t size) {
        const char *nl = memchr(data, '\n', size);
        size_t len = nl ? (size_t) ((const uint8_t *) nl - data) : size;
        ErrorCode e = ERROR_INTERNAL;
        char msg[256];
        Request req;
        int r;

        if (!nl || len > FUZZ_LINE_MAX + 1)
                return;         /* no request yet, or RequestTooLarge before any parsing */
        r = request_parse((const char *) data, len, &req, &e, msg, sizeof(msg));
        fuzz_assert(r == 0 || r < 0);
        if (r != -ENODATA)
                request_done(&req);
}

static void fuzz_handshake(const uint8_t *data, size_t size) {
        TlsSession *s = NULL;
        int sv[2], r = -EAGAIN;
        char buf[4096];

        fuzz_assert(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
        size = size > FUZZ_TLS_MAX ? FUZZ_TLS_MAX : size;
        fuzz_assert(write(sv[1], data, size) == (ssize_t) size);
        (void) shutdown(sv[1], SHUT_WR);        /* the peer said everything it will say */
        fuzz_assert(tls_session_new(context, sv[0], &s) == 0);

        /* Bounded: each round consumes input or ends. */
        for (unsigned i = 0; i < 64 && r == -EAGAIN; i++) {
                r = tls_session_handshake(s);
                /* Drain what the server sent, as a peer would, so it never waits to write. */
                while (read(sv[1], buf, sizeof(buf)) > 0)
                        ;
        }
        fuzz_assert(r == 1 || r == -EAGAIN || (r < 0 && r != -EAGAIN));
        /* A fixed input cannot contain the Finished of a key exchange it never saw. */
        fuzz_assert(r != 1);
        fuzz_assert(!tls_session_peer_verified(s));
        tls_session_shutdown(s);
        tls_session_free(s);
        close(sv[0]);
        close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        TlsDetect d;

        if (!context)
                setup();

        d = tls_detect(data, size);
        fuzz_assert(size == 0 ? d == TLS_DETECT_MORE : d != TLS_DETECT_MORE);
        if (size > 0)
                fuzz_assert(tls_detect(data, 1) == d);  /* the first byte decides */
        if (d == TLS_DETECT_PLAIN)
                fuzz_plaintext(data, size);
        else if (d == TLS_DETECT_TLS)
                fuzz_handshake(data, size);
        return 0;
}
