/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procctl metrics: METRICS' Prometheus text to standard output, into a file
 * for node_exporter's textfile collector (--output: a temporary file in the
 * same directory, renamed over the target, so a reader never sees a partial
 * file), or as the answer to one HTTP request read from standard input
 * (--http: what a socket-activated Accept=yes service runs per connection).
 * The HTTP side reads one bounded request head with a deadline, parses it with
 * shared/http-parse and answers once; it never reads a body, never keeps the
 * connection and never serves anything but /metrics.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "client/procctl.h"
#include "shared/http-parse.h"
#include "shared/time-util.h"

/* A request head larger than this is refused (431): a scraper sends a few hundred bytes. */
#define HTTP_HEAD_MAX 8192
/* The whole request head must arrive within this time (408 otherwise). */
#define HTTP_READ_TIMEOUT_USEC (10 * USEC_PER_SEC)

enum {
        ARG_HTTP = VERB_OPTION_FIRST,
};

/* This verb's options (dispatch_verb() runs one verb at a time; reset after each). */
static const char *arg_output = NULL;
static bool arg_http = false;

static int metrics_parse_option(int c, const char *arg, _unused_ Context *ctx) {
        switch (c) {
        case 'o':
                if (!*arg)
                        return usage_error("--output needs a file name");
                arg_output = arg;
                return 0;
        case ARG_HTTP:
                arg_http = true;
                return 0;
        default:
                abort(); /* dispatch_verb() hands over only the options below */
        }
}

const VerbOptions verb_metrics_options = {
        .shortopts = "o:",
        .longopts = (const struct option[]) {
                { "output", required_argument, NULL, 'o' },
                { "http", no_argument, NULL, ARG_HTTP },
                {}
        },
        .parse = metrics_parse_option,
};

static int write_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

/* text into path through a temporary file in the same directory and rename(): readers see
 * the old file or the new one, never a part. The temporary name does not end in .prom, so
 * node_exporter's textfile collector skips it even if it is left behind by a crash. */
int metrics_write_atomic(const char *path, const char *text, size_t len) {
        _cleanup_free_ char *tmp = NULL;
        const char *slash = strrchr(path, '/');
        int fd, r;

        if (slash)
                r = asprintf(&tmp, "%.*s/.%s.XXXXXX", (int) (slash - path), path, slash + 1);
        else
                r = asprintf(&tmp, ".%s.XXXXXX", path);
        if (r < 0)
                return -ENOMEM;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* mkostemp() makes it 0600: a textfile collector usually runs as another user. */
        r = fchmod(fd, 0644) < 0 ? -errno : 0;
        if (r == 0)
                r = write_all(fd, text, len);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

static int http_answer(int status, const char *reason, const char *extra_headers, const char *body,
                       size_t body_len, bool head_only) {
        _cleanup_free_ char *head = NULL;
        int n, r;

        n = asprintf(&head,
                     "HTTP/1.1 %d %s\r\n"
                     "Content-Type: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "Connection: close\r\n"
                     "%s"
                     "\r\n",
                     status, reason,
                     status == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8",
                     body_len, extra_headers ?: "");
        if (n < 0)
                return oom();
        r = write_all(STDOUT_FILENO, head, (size_t) n);
        if (r == 0 && !head_only)
                r = write_all(STDOUT_FILENO, body, body_len);
        if (r < 0) {
                error_message("cannot send the HTTP answer: %s", strerror(-r));
                return EXIT_USAGE;
        }
        /* A client's mistake was answered: that went well. The daemon unreachable did not. */
        return status == 503 ? EXIT_REPLY_ERROR : 0;
}

static int http_error(int status, const char *reason, const char *extra_headers) {
        char body[128];
        int n = snprintf(body, sizeof(body), "%d %s\n", status, reason);

        return http_answer(status, reason, extra_headers, body, (size_t) n, false);
}

/* Reads one request head from standard input (bounded in size and time), answers it on
 * standard output. */
static int metrics_http(Context *ctx) {
        char buf[HTTP_HEAD_MAX];
        usec_t deadline = now(CLOCK_MONOTONIC) + HTTP_READ_TIMEOUT_USEC;
        size_t len = 0;
        json_auto_t *reply = NULL;
        HttpRequestLine rl;
        const char *text;
        int r, status;

        /* A scraper that hangs up early must not kill us with SIGPIPE before we log it. */
        (void) signal(SIGPIPE, SIG_IGN);

        while (http_head_length(buf, len) == 0) {
                struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
                usec_t t = now(CLOCK_MONOTONIC);
                ssize_t k;

                if (len == sizeof(buf))
                        return http_error(431, "Request Header Fields Too Large", NULL);
                if (t >= deadline)
                        return http_error(408, "Request Timeout", NULL);
                r = poll(&p, 1, (int) ((deadline - t + 999) / 1000));
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        error_message("cannot wait for the HTTP request: %m");
                        return EXIT_USAGE;
                }
                if (r == 0)
                        continue;       /* the deadline check above answers */
                k = read(STDIN_FILENO, buf + len, sizeof(buf) - len);
                if (k < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        error_message("cannot read the HTTP request: %m");
                        return EXIT_USAGE;
                }
                if (k == 0) {
                        if (len == 0)
                                return 0;       /* a connection without a request: nothing to answer */
                        return http_error(400, "Bad Request", NULL);
                }
                len += (size_t) k;
        }

        r = http_parse_request_line(buf, len, &rl);
        if (r == -E2BIG)
                return http_error(414, "URI Too Long", NULL);
        if (r == -EPROTONOSUPPORT)
                return http_error(505, "HTTP Version Not Supported", NULL);
        if (r < 0)
                return http_error(400, "Bad Request", NULL);
        status = http_metrics_status(&rl);
        if (status == 405)
                return http_error(405, "Method Not Allowed", "Allow: GET, HEAD\r\n");
        if (status == 404)
                return http_error(404, "Not Found", NULL);

        r = verb_call(ctx, &reply);
        text = reply ? reply_string(reply, "text") : NULL;
        if (!text)
                return http_error(503, "Service Unavailable", NULL);
        return http_answer(200, "OK", NULL, text, strlen(text), strcmp(rl.method, "HEAD") == 0);
}

static int metrics_run(Context *ctx) {
        json_auto_t *reply = NULL;
        const char *text;
        int r;

        if (arg_http && arg_output)
                return usage_error("--http and --output are mutually exclusive");
        if ((arg_http || arg_output) && procctl_json_output())
                return usage_error("--json cannot be combined with --%s", arg_http ? "http" : "output");
        if (arg_http)
                return metrics_http(ctx);

        r = verb_call(ctx, &reply);
        if (!reply)
                return r;
        text = reply_string(reply, "text");
        if (!text) {
                error_message("the daemon's reply has no metrics text");
                return EXIT_REPLY_ERROR;
        }
        if (arg_output) {
                r = metrics_write_atomic(arg_output, text, strlen(text));
                if (r < 0) {
                        error_message("cannot write '%s': %s", arg_output, strerror(-r));
                        return EXIT_USAGE;
                }
                return 0;
        }
        fputs(text, stdout);
        return 0;
}

int verb_metrics(_unused_ int n_args, _unused_ char **args, Context *ctx) {
        int r = metrics_run(ctx);

        arg_output = NULL;
        arg_http = false;
        return r;
}
