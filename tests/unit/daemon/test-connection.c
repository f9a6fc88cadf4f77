/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unit tests for connection.c, over a socketpair() with a stub request sink: the
 * line bound and the '\r' rule (docs/protocol.md), EOF handling, replies in request
 * order when an earlier call completes late, and the output high-water mark that
 * stops reading. Links only the connection, the call and what they use.
 */

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/call.h"
#include "daemon/connection.h"
#include "daemon/manager.h"

#define LINE_MAX_TEST (64U * 1024U)

typedef enum SinkMode {
        SINK_REPLY,             /* reply at once */
        SINK_HOLD_FIRST,        /* keep the first call, reply to the others at once */
        SINK_BIG,               /* reply with 1 MiB lines */
        SINK_MID,               /* reply with 64 KiB lines */
} SinkMode;

typedef struct Sink {
        SinkMode mode;
        unsigned n;             /* calls received */
        Call *held;
} Sink;

typedef struct Fixture {
        Manager m;
        Connection *c;
        int client;
        Sink sink;
} Fixture;

static void on_request(Call *call, void *userdata) {
        Sink *s = userdata;

        s->n++;
        if (s->mode == SINK_HOLD_FIRST && s->n == 1) {
                s->held = call;
                return;
        }
        if (s->mode == SINK_BIG || s->mode == SINK_MID) {
                size_t len = s->mode == SINK_BIG ? 1024U * 1024U : 64U * 1024U;
                char *line = malloc(len);

                assert_non_null(line);
                memset(line, 'x', len - 1);
                line[len - 1] = '\n';
                call_reply_raw(call, line, len);
                return;
        }
        call_reply(call, call_reply_new(call));
}

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof(Fixture));
        int sv[2];

        assert_non_null(f);
        assert_int_equal(sd_event_new(&f->m.event), 0);
        f->m.config.max_line = LINE_MAX_TEST;
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
        f->client = sv[0];
        assert_int_equal(connection_new(&f->m, sv[1], on_request, &f->sink, &f->c), 0);
        assert_int_equal(f->m.n_connections, 1);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;

        while (f->m.connections)
                connection_free(f->m.connections);
        f->m.poller = connection_poller_free(f->m.poller);
        sd_event_unref(f->m.event);
        (void) close(f->client);
        free(f);
        return 0;
}

static bool connection_alive(Fixture *f) {
        return f->m.connections != NULL;
}

static void run_loop(Fixture *f, unsigned iterations) {
        for (unsigned i = 0; i < iterations; i++)
                assert_true(sd_event_run(f->m.event, 10 * 1000) >= 0);
}

static void send_all(int fd, const char *s, size_t len) {
        while (len > 0) {
                ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

                assert_true(n > 0);
                s += n;
                len -= (size_t) n;
        }
}

static void send_str(int fd, const char *s) {
        send_all(fd, s, strlen(s));
}

/* Reads whatever the client has (non-blocking), appending to buf. Returns false at EOF. */
static bool client_drain(Fixture *f, char **buf, size_t *len) {
        char tmp[65536];

        for (;;) {
                ssize_t n = recv(f->client, tmp, sizeof(tmp), MSG_DONTWAIT);

                if (n == 0)
                        return false;
                if (n < 0) {
                        assert_true(errno == EAGAIN);
                        return true;
                }
                *buf = realloc(*buf, *len + (size_t) n + 1);
                assert_non_null(*buf);
                memcpy(*buf + *len, tmp, (size_t) n);
                *len += (size_t) n;
                (*buf)[*len] = '\0';
        }
}

static size_t count_lines(const char *buf, size_t len) {
        size_t n = 0;

        for (size_t i = 0; i < len; i++)
                n += buf[i] == '\n';
        return n;
}

/* A request line of exactly len bytes (without terminator): a JSON object padded out. */
static char *padded_request(size_t len) {
        static const char head[] = "{\"cmd\":\"T\",\"id\":1,\"pad\":\"";
        char *s = malloc(len + 3);

        assert_non_null(s);
        memcpy(s, head, strlen(head));
        memset(s + strlen(head), 'a', len - strlen(head) - 2);
        memcpy(s + len - 2, "\"}", 2);
        s[len] = '\0';
        return s;
}

static void test_line_at_limit(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *line = padded_request(LINE_MAX_TEST), *out = NULL;
        size_t len = 0;

        send_all(f->client, line, LINE_MAX_TEST);
        send_str(f->client, "\n");
        run_loop(f, 5);
        assert_int_equal(f->sink.n, 1);

        /* With '\r' before '\n', the line may be one byte longer: the '\r' does not count. */
        send_all(f->client, line, LINE_MAX_TEST);
        send_str(f->client, "\r\n");
        run_loop(f, 5);
        assert_int_equal(f->sink.n, 2);
        assert_true(client_drain(f, &out, &len));
        assert_int_equal(count_lines(out, len), 2);
        assert_null(strstr(out, "RequestTooLarge"));
        assert_true(connection_alive(f));
}

static void test_line_too_long(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *line = padded_request(LINE_MAX_TEST + 1), *out = NULL;
        size_t len = 0;

        send_str(f->client, "{\"cmd\":\"T\",\"id\":0}\n");
        send_all(f->client, line, LINE_MAX_TEST + 1);
        send_str(f->client, "\n{\"cmd\":\"T\",\"id\":2}\n");
        run_loop(f, 10);
        /* The request before it is answered first; the long one is not a request; nothing
         * after it is served, and the connection is closed. */
        assert_int_equal(f->sink.n, 1);
        assert_false(client_drain(f, &out, &len));
        assert_int_equal(count_lines(out, len), 2);
        assert_non_null(strstr(out, "\"id\":0"));
        assert_non_null(strstr(strchr(out, '\n'), "org.procmgr.Error.RequestTooLarge"));
        assert_false(connection_alive(f));
}

static void test_no_newline_too_long(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *line = padded_request(LINE_MAX_TEST + 100), *out = NULL;
        size_t len = 0;

        /* More than the limit without any '\n': too large already, whatever follows. */
        send_all(f->client, line, LINE_MAX_TEST + 100);
        run_loop(f, 10);
        assert_int_equal(f->sink.n, 0);
        assert_false(client_drain(f, &out, &len));
        assert_non_null(strstr(out, "org.procmgr.Error.RequestTooLarge"));
        assert_false(connection_alive(f));
}

static void test_eof(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *out = NULL;
        size_t len = 0;

        /* Every complete line is answered; the fragment without '\n' is not a request. */
        send_str(f->client, "{\"cmd\":\"T\",\"id\":1}\n\n{\"cmd\":\"T\",\"id\":2}\n{\"cmd\":\"T\",\"id\":3}");
        assert_int_equal(shutdown(f->client, SHUT_WR), 0);
        run_loop(f, 10);
        assert_int_equal(f->sink.n, 2);
        assert_false(client_drain(f, &out, &len));
        assert_int_equal(count_lines(out, len), 2);
        assert_null(strstr(out, "\"id\":3"));
        assert_false(connection_alive(f));
        assert_int_equal(f->m.n_connections, 0);
}

static void test_parse_error_answered(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *out = NULL;
        size_t len = 0;

        send_str(f->client, "{not json\n");
        run_loop(f, 5);
        assert_int_equal(f->sink.n, 0);
        assert_true(client_drain(f, &out, &len));
        assert_int_equal(count_lines(out, len), 1);
        assert_non_null(strstr(out, "\"ok\":false"));
}

static void test_reply_order(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        char *first, *second;

        f->sink.mode = SINK_HOLD_FIRST;
        send_str(f->client, "{\"cmd\":\"T\",\"id\":1}\n{\"cmd\":\"T\",\"id\":2}\n");
        run_loop(f, 5);
        assert_int_equal(f->sink.n, 2);
        assert_non_null(f->sink.held);
        /* The second is done, but must wait for the first. */
        assert_true(client_drain(f, &out, &len));
        assert_int_equal(len, 0);

        call_reply(f->sink.held, call_reply_new(f->sink.held));
        f->sink.held = NULL;
        run_loop(f, 5);
        assert_true(client_drain(f, &out, &len));
        assert_int_equal(count_lines(out, len), 2);
        first = strstr(out, "\"id\":1");
        second = strstr(out, "\"id\":2");
        assert_non_null(first);
        assert_non_null(second);
        assert_true(first < second);
}

static void test_late_reply_after_close(void **state) {
        Fixture *f = *state;
        Call *held;

        /* The client goes away while a call is in flight: the call survives, detached, and
         * its late reply is dropped without touching the freed connection. */
        f->sink.mode = SINK_HOLD_FIRST;
        send_str(f->client, "{\"cmd\":\"T\",\"id\":1}\n");
        run_loop(f, 5);
        held = f->sink.held;
        assert_non_null(held);
        connection_free(f->c);
        assert_true(call_is_detached(held));
        call_reply(held, call_reply_new(held));
}

static void test_high_water(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *out = NULL;
        size_t len = 0;
        unsigned before;

        f->sink.mode = SINK_BIG;
        /* 5 MiB of replies the client does not read: more than the 4 MiB high-water mark
         * even after the socket buffer took its share. */
        for (unsigned i = 0; i < 5; i++)
                send_str(f->client, "{\"cmd\":\"T\",\"id\":1}\n");
        run_loop(f, 10);
        assert_int_equal(f->sink.n, 5);
        assert_true(f->c->out_len - f->c->out_offset > 0);
        assert_false(f->c->events & EPOLLIN);

        /* A new request is not read while the replies pile up … */
        before = f->sink.n;
        send_str(f->client, "{\"cmd\":\"T\",\"id\":6}\n");
        run_loop(f, 10);
        assert_int_equal(f->sink.n, before);

        /* … and is served once the client took its replies. */
        for (unsigned i = 0; i < 200 && f->sink.n == before; i++) {
                assert_true(client_drain(f, &out, &len));
                run_loop(f, 1);
        }
        assert_int_equal(f->sink.n, before + 1);
        assert_true(connection_alive(f));
}

/* The mark is checked after every reply, not once per batch of lines: 128 pipelined
 * requests with 64 KiB replies (8 MiB) must stop at the 4 MiB mark plus one reply, and
 * the queue's memory must not have doubled past it. */
static void test_mark_per_reply(void **state) {
        Fixture *f = *state;
        _cleanup_free_ char *batch = NULL;
        const char *req = "{\"cmd\":\"T\"}\n";
        size_t rl = strlen(req), mark = 4U * 1024U * 1024U;

        f->sink.mode = SINK_MID;
        batch = malloc(128 * rl);
        assert_non_null(batch);
        for (unsigned i = 0; i < 128; i++)
                memcpy(batch + i * rl, req, rl);
        send_all(f->client, batch, 128 * rl);
        /* Turns have a time bound: as many iterations as it takes to reach the mark. */
        run_loop(f, 20);
        for (unsigned i = 0; i < 2000 && (f->c->events & EPOLLIN); i++)
                run_loop(f, 1);
        assert_true(f->sink.n < 128);
        assert_true(f->c->out_len - f->c->out_offset <= mark + 64U * 1024U);
        assert_true(f->c->out_alloc <= mark + 64U * 1024U);
        assert_false(f->c->events & EPOLLIN);
        /* The manager's sum is what the daemon-wide budget looks at. */
        assert_int_equal(f->m.out_allocated, f->c->out_alloc);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_line_at_limit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_line_too_long, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_newline_too_long, setup, teardown),
                cmocka_unit_test_setup_teardown(test_eof, setup, teardown),
                cmocka_unit_test_setup_teardown(test_parse_error_answered, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reply_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_late_reply_after_close, setup, teardown),
                cmocka_unit_test_setup_teardown(test_high_water, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mark_per_reply, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
