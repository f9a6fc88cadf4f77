/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * procctl's live verbs: `events` (WATCH), `logs -f` (LOGS follow) and `top`
 * (a LIST table refreshed every 2 s on a terminal, keys to sort and quit;
 * printed once without one). events and logs -f each
 * keeps one connection open, sends its request, prints the reply and then one
 * line per stream line until the stream ends, the connection closes, or
 * Ctrl-C (SIGINT/SIGTERM: a clean end, exit 0). Lines are read with a bound
 * (CLIENT_REPLY_MAX). --json prints the reply and the stream lines as they
 * came.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "client/client.h"
#include "client/procctl.h"
#include "client/transport.h"
#include "protocol/schema.h"
#include "shared/parse-util.h"
#include "shared/socket-util.h"

static volatile sig_atomic_t live_interrupted = 0;

/* How long one read waits before looking at live_interrupted again. */
#define LIVE_SLICE_USEC (200 * USEC_PER_MSEC)

static void on_interrupt(int sig) {
        live_interrupted = 1;
}

/* Returns 1 with a line, 0 at EOF, < 0 on error (-EINTR: interrupted). Reads through the
 * client's carrier (Unix, TCP, TLS, ssh) in short slices, so that Ctrl-C is seen promptly
 * whatever the carrier does with EINTR. */
static int read_line(Transport *t, char **buf, size_t *len, size_t *alloc, char **ret) {
        for (;;) {
                char *nl = *len > 0 ? memchr(*buf, '\n', *len) : NULL;
                ssize_t k;

                if (nl) {
                        size_t l = (size_t) (nl - *buf);
                        char *line = strndup(*buf, l);

                        if (!line)
                                return -ENOMEM;
                        memmove(*buf, nl + 1, *len - l - 1);
                        *len -= l + 1;
                        *ret = line;
                        return 1;
                }
                if (*len >= CLIENT_REPLY_MAX)
                        return -EMSGSIZE;
                if (*alloc - *len < 65536) {
                        char *b = realloc(*buf, *alloc + 65536);

                        if (!b)
                                return -ENOMEM;
                        *buf = b;
                        *alloc += 65536;
                }
                if (live_interrupted)
                        return -EINTR;
                k = transport_read(t, *buf + *len, *alloc - *len, now(CLOCK_MONOTONIC) + LIVE_SLICE_USEC);
                if (k == -ETIMEDOUT || k == -EINTR)
                        continue;       /* live_interrupted is looked at above */
                if (k < 0)
                        return (int) k;
                if (k == 0)
                        return 0;
                *len += (size_t) k;
        }
}

typedef int (*LiveLine)(json_t *o, bool is_reply, void *userdata);

/* Sends ctx->request (taken) on a connection of its own and hands every line to cb. cb
 * returns 0 to go on, 1 for a clean end, or an exit status + 2. */
static int live_run(Context *ctx, LiveLine cb, void *userdata) {
        json_auto_t *request = TAKE_PTR(ctx->request);
        _cleanup_free_ char *out = NULL, *buf = NULL;
        struct sigaction sa = { .sa_handler = on_interrupt };
        size_t len = 0, alloc = 0;
        bool first = true;
        usec_t deadline;
        Client *c;
        int r;

        r = context_get_client(ctx, &c);
        if (r != 0)
                return r;
        if (c->token && json_object_set_new(request, SCHEMA_MEMBER_TOKEN, json_string(c->token)) < 0)
                return oom();
        out = json_dumps(request, JSON_COMPACT);
        if (!out)
                return oom();
        deadline = c->timeout > 0 ? now(CLOCK_MONOTONIC) + c->timeout : 0;
        r = transport_open(c->transport, deadline);
        if (r < 0) {
                error_message("cannot connect to %s: %s (is procmgrd running?)", c->address_str,
                              client_error_detail(c) ?: strerror(-r));
                return EXIT_USAGE;
        }
        r = transport_write(c->transport, out, strlen(out), deadline);
        if (r >= 0)
                r = transport_write(c->transport, "\n", 1, deadline);
        if (r < 0) {
                error_message("cannot send to %s: %s", c->address_str, strerror(-r));
                return EXIT_USAGE;
        }
        /* No SA_RESTART: a blocked recv() returns on Ctrl-C. */
        (void) sigaction(SIGINT, &sa, NULL);
        (void) sigaction(SIGTERM, &sa, NULL);
        (void) sigaction(SIGHUP, &sa, NULL);

        for (;;) {
                _cleanup_free_ char *line = NULL;
                json_auto_t *o = NULL;

                r = read_line(c->transport, &buf, &len, &alloc, &line);
                if (r == -EINTR)
                        return 0;       /* Ctrl-C: the user ends it, cleanly */
                if (r < 0) {
                        error_message("reading from %s failed: %s", c->address_str, strerror(-r));
                        return EXIT_USAGE;
                }
                if (r == 0) {
                        if (first) {
                                error_message("no reply from %s: connection closed", c->address_str);
                                return EXIT_USAGE;
                        }
                        return 0;
                }
                o = json_loads(line, 0, NULL);
                if (!json_is_object(o)) {
                        error_message("unreadable line from %s", c->address_str);
                        return EXIT_USAGE;
                }
                if (procctl_json_output()) {
                        puts(line);
                        fflush(stdout);
                }
                if (first && !reply_is_ok(o)) {
                        error_message("%s (%s)", reply_error_message(o), reply_error_name(o));
                        return EXIT_REPLY_ERROR;
                }
                r = cb(o, first, userdata);
                first = false;
                fflush(stdout);
                if (r == 1)
                        return 0;
                if (r > 1)
                        return r - 2;
        }
}

/* NAME or PID into the request (pid when all digits). */
static int set_target(Context *ctx, const char *arg) {
        pid_t pid;

        if (parse_pid(arg, &pid) >= 0)
                return request_set(ctx, SCHEMA_ARG_PID, json_integer(pid), arg);
        return request_set(ctx, SCHEMA_ARG_NAME, json_string(arg), arg);
}

/* ---- events ------------------------------------------------------------------------------ */

enum { ARG_FOLLOW_FROM = VERB_OPTION_FIRST + 0x40 };

static int events_parse_option(int c, const char *arg, Context *ctx) {
        uint64_t seq;

        switch (c) {
        case ARG_FOLLOW_FROM:
                if (safe_atou64(arg, &seq) < 0 || seq > INT64_MAX)
                        return usage_error("invalid --follow-from '%s': expected a seq number", arg);
                return request_set(ctx, SCHEMA_ARG_AFTER, json_integer((json_int_t) seq), arg);
        default:
                abort();
        }
}

const VerbOptions verb_events_options = {
        .longopts = (const struct option[]) {
                { "follow-from", required_argument, NULL, ARG_FOLLOW_FROM },
                {}
        },
        .parse = events_parse_option,
};

static int on_event(json_t *o, bool is_reply, void *userdata) {
        char ts[FORMAT_TIMESTAMP_MAX], extra[128] = "";
        const char *event = reply_string(o, "event");
        json_t *exit = json_object_get(o, "exit");
        int64_t seq = 0, pid = 0, usec = 0, v;

        if (is_reply) {
                if (json_is_true(json_object_get(o, "lost")))
                        error_message("events before the oldest one kept were lost");
                return 0;
        }
        if (procctl_json_output())
                return event && strcmp(event, "overflow") == 0 ? 3 : 0;
        (void) reply_int(o, "seq", &seq);
        (void) reply_int(o, "pid", &pid);
        if (event && strcmp(event, "overflow") == 0) {
                error_message("too slow: events after %" PRId64 " were dropped; resume with --follow-from", seq);
                return 3;
        }
        if (reply_int(exit, "code", &v))
                snprintf(extra, sizeof(extra), " code=%" PRId64, v);
        else if (reply_string(exit, "signal"))
                snprintf(extra, sizeof(extra), " signal=%s", reply_string(exit, "signal"));
        if (json_is_true(json_object_get(o, "oom")))
                strncat(extra, " oom", sizeof(extra) - strlen(extra) - 1);
        if (reply_int(o, "restarts", &v))
                snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), " restarts=%" PRId64, v);
        (void) reply_int(o, "ts", &usec);
        printf("%" PRId64 " %s %-9s %s[%" PRId64 "]%s%s%s\n", seq,
               usec > 0 ? format_timestamp_usec(ts, sizeof(ts), (uint64_t) usec) : "-", event ?: "?",
               reply_string(o, "name") ?: "?", pid, reply_string(o, "unit") ? " " : "",
               reply_string(o, "unit") ?: "", extra);
        return 0;
}

int verb_events(int n_args, char **args, Context *ctx) {
        int r;

        if (n_args > 0) {
                r = set_target(ctx, args[0]);
                if (r != 0)
                        return r;
        }
        return live_run(ctx, on_event, NULL);
}

/* ---- logs -f ----------------------------------------------------------------------------- */

static void print_sanitized(const char *s) {
        for (; *s; s++)
                putchar(((unsigned char) *s < 0x20 && *s != '\t') || *s == 0x7f ? '?' : *s);
}

static void print_log_line(json_t *l) {
        char ts[FORMAT_TIMESTAMP_MAX];
        int64_t usec;

        if (reply_int(l, "ts", &usec) && usec > 0)
                fputs(format_timestamp_usec(ts, sizeof(ts), (uint64_t) usec), stdout);
        else
                fputs("-", stdout);
        putchar(' ');
        print_sanitized(reply_string(l, "message") ?: "");
        putchar('\n');
}

static int on_log(json_t *o, bool is_reply, void *userdata) {
        const char *event = reply_string(o, "event");
        json_t *l;
        size_t i;

        if (is_reply) {
                if (!procctl_json_output())
                        json_array_foreach(json_object_get(o, "lines"), i, l)
                                print_log_line(l);
                return 0;
        }
        if (event && strcmp(event, "end") == 0)
                return 1;
        if (!procctl_json_output() && event && strcmp(event, "log") == 0)
                print_log_line(o);
        return 0;
}

int verb_logs_follow(int n_args, char **args, Context *ctx) {
        int r;

        if (json_object_get(ctx->request, SCHEMA_ARG_UNIT)) {
                if (n_args > 0)
                        return usage_error("'logs' takes either a PID, a NAME or --unit, not several");
        } else if (n_args == 0)
                return usage_error("'logs -f' needs a PID, a NAME or --unit UNIT");
        else {
                r = set_target(ctx, args[0]);
                if (r != 0)
                        return r;
        }
        if (json_object_set_new(ctx->request, SCHEMA_ARG_FOLLOW, json_true()) < 0)
                return oom();
        return live_run(ctx, on_log, NULL);
}

/* ---- top --------------------------------------------------------------------------------- */

typedef struct TopSort {
        char key;
        const char *field;              /* LIST's sort */
        const char *label;
} TopSort;

static const TopSort top_sorts[] = {
        { 'c', "-cpu", "cpu" },
        { 'm', "-rss", "memory" },
        { 'p', "pid", "pid" },
        { 'n', "name", "name" },
};

/* One LIST, printed as a table of at most rows processes. Returns 0 or an exit status. */
static int top_once(Context *ctx, const TopSort *sort, unsigned rows, bool tty) {
        json_auto_t *request = json_pack("{s:s, s:s, s:i}", SCHEMA_MEMBER_CMD, SCHEMA_CMD_LIST,
                                         SCHEMA_ARG_SORT, sort->field, SCHEMA_ARG_LIMIT, (int) rows);
        json_auto_t *reply = NULL;
        _cleanup_free_ char *line = NULL;
        json_t *procs, *p;
        int64_t total = 0;
        Client *c;
        size_t i;
        int r;

        if (!request)
                return oom();
        r = context_get_client(ctx, &c);
        if (r != 0)
                return r;
        r = client_call(c, request, &line, &reply);
        if (r < 0) {
                error_message("no reply from %s: %s", c->address_str, client_strerror(r));
                return EXIT_USAGE;
        }
        if (!reply_is_ok(reply)) {
                error_message("%s (%s)", reply_error_message(reply), reply_error_name(reply));
                return EXIT_REPLY_ERROR;
        }
        (void) reply_int(reply, "total", &total);
        if (tty)
                fputs("\033[H\033[2J", stdout);         /* home, clear */
        printf("procctl top: %" PRId64 " processes, sorted by %s%s\n", total, sort->label,
               tty ? "   (keys: c cpu, m memory, p pid, n name, q quit)" : "");
        printf("%8s %-10s %6s %8s %s\n", "PID", "USER", "CPU%", "RSS", "NAME");
        procs = json_object_get(reply, "processes");
        json_array_foreach(procs, i, p) {
                char rss[32];
                int64_t pid = 0, bytes = 0;
                double cpu = 0;

                (void) reply_int(p, "pid", &pid);
                (void) reply_int(p, "rss", &bytes);
                (void) reply_number(p, "cpu_percent", &cpu);
                printf("%8" PRId64 " %-10.10s %6.1f %8s ", pid, reply_string(p, "user") ?: "?", cpu,
                       format_bytes(rss, sizeof(rss), (uint64_t) MAX(bytes, 0)));
                print_sanitized(reply_string(p, "name") ?: "?");
                putchar('\n');
        }
        fflush(stdout);
        return 0;
}

int verb_top(int n_args, char **args, Context *ctx) {
        const TopSort *sort = &top_sorts[0];
        struct sigaction sa = { .sa_handler = on_interrupt };
        struct termios saved, raw;
        struct winsize ws = {};
        bool tty = isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
        int r;

        json_decref(TAKE_PTR(ctx->request));    /* top builds its own LISTs */
        if (!tty)
                return top_once(ctx, sort, 20, false);

        if (tcgetattr(STDIN_FILENO, &saved) < 0)
                return top_once(ctx, sort, 20, false);
        raw = saved;
        raw.c_lflag &= ~(tcflag_t) (ICANON | ECHO);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        (void) tcsetattr(STDIN_FILENO, TCSANOW, &raw);
        (void) sigaction(SIGINT, &sa, NULL);
        (void) sigaction(SIGTERM, &sa, NULL);

        for (unsigned frames = 0; !live_interrupted; frames++) {
                struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
                unsigned rows = 20;
                char key = 0;

                if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0 && ws.ws_row > 4)
                        rows = ws.ws_row - 3U;
                r = top_once(ctx, sort, rows, true);
                if (r != 0)
                        break;
                /* Refresh every 2 s, at once after a key. */
                if (poll(&p, 1, 2000) > 0 && read(STDIN_FILENO, &key, 1) == 1) {
                        if (key == 'q' || key == 'Q')
                                break;
                        for (size_t i = 0; i < ELEMENTSOF(top_sorts); i++)
                                if (top_sorts[i].key == key)
                                        sort = &top_sorts[i];
                }
        }
        (void) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        fputs("\n", stdout);
        return r > 0 ? r : 0;
}
