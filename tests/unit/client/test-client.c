/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* procctl's transport (src/client/client.c): target parsing, token files, and one call
 * against a scripted peer on a Unix socket in a temporary directory. */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/client.h"
#include "shared/socket-util.h"

static void test_targets(void **state) {
        static const struct {
                const char *in, *out;
        } good[] = {
                { "127.0.0.1", "127.0.0.1:5050" },
                { "127.0.0.1:6000", "127.0.0.1:6000" },
                { "localhost", "127.0.0.1:5050" },
                { "localhost:7", "127.0.0.1:7" },
                { "[::1]:6000", "[::1]:6000" },
                { "[::1]", "[::1]:5050" },
                { "::1", "[::1]:5050" },
        };
        static const char *const bad[] = {
                "", "5050", "example.invalid", "-oProxyCommand=x", "127.0.0.1:0", "127.0.0.1:70000", "[::1", "::1]:5", "1.2.3.4:x",
        };
        Client *c;

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                assert_int_equal(client_new(good[i].in, NULL, &c), 0);
                assert_string_equal(c->address_str, good[i].out);
                assert_int_equal(c->timeout, CLIENT_DEFAULT_TIMEOUT_USEC);
                client_free(c);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_true(client_new(bad[i], NULL, &c) < 0);

        assert_int_equal(client_new(NULL, "/run/x.sock", &c), 0);
        assert_string_equal(c->address_str, "unix:/run/x.sock");
        client_free(c);
        assert_true(client_new(NULL, "relative.sock", &c) < 0);
}

static char tmpdir[] = "/tmp/test-client.XXXXXX";

static const char *write_file(const char *name, const char *content, size_t n) {
        static char path[256];
        FILE *f;

        (void) snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(content, 1, n, f), n);
        assert_int_equal(fclose(f), 0);
        return path;
}

static void test_token_file(void **state) {
        char big[CLIENT_TOKEN_MAX + 2];
        Client *c;

        assert_int_equal(client_new("127.0.0.1", NULL, &c), 0);

        assert_int_equal(client_set_token_file(c, write_file("t1", "s3cret\n", 7)), 0);
        assert_string_equal(c->token, "s3cret");
        assert_int_equal(client_set_token_file(c, write_file("t2", "crlf\r\n", 6)), 0);
        assert_string_equal(c->token, "crlf");
        assert_int_equal(client_set_token_file(c, write_file("t3", "no-newline", 10)), 0);
        assert_string_equal(c->token, "no-newline");

        assert_int_equal(client_set_token_file(c, write_file("e1", "", 0)), -EINVAL);
        assert_int_equal(client_set_token_file(c, write_file("e2", "\n", 1)), -EINVAL);
        assert_int_equal(client_set_token_file(c, write_file("e3", "two\nlines\n", 10)), -EINVAL);
        assert_int_equal(client_set_token_file(c, write_file("e4", "nul\0x\n", 6)), -EINVAL);
        assert_int_equal(client_set_token_file(c, write_file("e5", "\xff\xfe\n", 3)), -EILSEQ);
        memset(big, 'a', sizeof(big));
        assert_int_equal(client_set_token_file(c, write_file("e6", big, sizeof(big))), -E2BIG);
        assert_int_equal(client_set_token_file(c, "/nonexistent/token"), -ENOENT);
        /* A failure keeps the token set before. */
        assert_string_equal(c->token, "no-newline");

        client_free(c);
}

/* A one-shot peer: accepts one connection, reads one line into $tmpdir/request, writes
 * reply (reply_len bytes; may lack the newline), then closes or lingers for linger_s. */
static pid_t peer_start(const char *sock, const char *reply, size_t reply_len, unsigned linger_s) {
        SocketAddress a;
        int fd;
        pid_t pid;

        assert_int_equal(socket_address_parse_unix(sock, &a), 0);
        fd = socket_listen(&a, 4);
        assert_true(fd >= 0);
        assert_int_equal(fd_set_nonblock(fd, false), 0);

        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char buf[65536], path[256];
                size_t n = 0;
                ssize_t k;
                int c = accept(fd, NULL, NULL);
                FILE *f;

                if (c < 0)
                        _exit(1);
                while (n < sizeof(buf) && (k = read(c, buf + n, sizeof(buf) - n)) > 0) {
                        n += (size_t) k;
                        if (memchr(buf, '\n', n))
                                break;
                }
                (void) snprintf(path, sizeof(path), "%s/request", tmpdir);
                f = fopen(path, "we");
                if (!f)
                        _exit(1);
                (void) fwrite(buf, 1, n, f);
                (void) fclose(f);
                for (size_t off = 0; off < reply_len;) {
                        k = write(c, reply + off, reply_len - off);
                        if (k <= 0)
                                _exit(1);
                        off += (size_t) k;
                }
                if (linger_s > 0)
                        sleep(linger_s);
                _exit(0);
        }
        (void) close(fd);
        return pid;
}

static void peer_stop(pid_t pid) {
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, NULL, 0);
}

static char *read_request(void) {
        char path[256], *s = NULL;
        size_t n = 0;
        FILE *f;

        (void) snprintf(path, sizeof(path), "%s/request", tmpdir);
        f = fopen(path, "re");
        assert_non_null(f);
        assert_true(getline(&s, &n, f) > 0);
        (void) fclose(f);
        return s;
}

static void test_call(void **state) {
        static const char ok_reply[] = "{\"ok\":true,\"msg\":\"pong\"}\r\n";
        static const char err_reply[] = "{\"ok\":false,\"error\":\"org.procmgr.Error.NoSuchProcess\",\"msg\":\"no process 9\"}\n";
        char sock[256], *line = NULL, *req;
        json_t *request, *reply = NULL;
        Client *c;
        pid_t pid;

        (void) snprintf(sock, sizeof(sock), "%s/sock", tmpdir);
        assert_int_equal(client_new(NULL, sock, &c), 0);
        assert_int_equal(client_set_token_file(c, write_file("tok", "tkn\n", 4)), 0);
        request = json_pack("{s:s, s:i}", "cmd", "STOP", "pid", 9);
        assert_non_null(request);

        /* ok:true; the request went out as one line with the token; "\r" is dropped. */
        pid = peer_start(sock, ok_reply, strlen(ok_reply), 0);
        assert_int_equal(client_call(c, request, &line, &reply), 0);
        assert_string_equal(line, "{\"ok\":true,\"msg\":\"pong\"}");
        assert_true(reply_is_ok(reply));
        req = read_request();
        assert_string_equal(req, "{\"cmd\":\"STOP\",\"pid\":9,\"token\":\"tkn\"}\n");
        /* The caller's object is not changed. */
        assert_null(json_object_get(request, "token"));
        free(req);
        free(line);
        json_decref(reply);
        peer_stop(pid);

        /* An error reply is still a successful call. */
        pid = peer_start(sock, err_reply, strlen(err_reply), 0);
        assert_int_equal(client_call(c, request, NULL, &reply), 0);
        assert_false(reply_is_ok(reply));
        assert_string_equal(reply_error_name(reply), "org.procmgr.Error.NoSuchProcess");
        assert_string_equal(reply_error_message(reply), "no process 9");
        json_decref(reply);
        peer_stop(pid);

        /* Closed before a full line. */
        pid = peer_start(sock, "{\"ok\":tr", 8, 0);
        assert_int_equal(client_call(c, request, NULL, NULL), -ECONNRESET);
        assert_int_equal(c->stage, CLIENT_STAGE_RECEIVE);
        peer_stop(pid);

        /* Not a reply object. */
        pid = peer_start(sock, "[1,2]\n", 6, 0);
        assert_int_equal(client_call(c, request, NULL, NULL), -EBADMSG);
        peer_stop(pid);
        pid = peer_start(sock, "{\"msg\":\"x\"}\n", 12, 0);
        assert_int_equal(client_call(c, request, NULL, NULL), -EBADMSG);
        peer_stop(pid);

        /* Larger than the bound. */
        c->reply_max = 16;
        pid = peer_start(sock, err_reply, strlen(err_reply), 1);
        assert_int_equal(client_call(c, request, NULL, NULL), -EMSGSIZE);
        peer_stop(pid);
        c->reply_max = CLIENT_REPLY_MAX;

        /* No answer within the timeout. */
        c->timeout = 200 * USEC_PER_MSEC;
        pid = peer_start(sock, "", 0, 5);
        assert_int_equal(client_call(c, request, NULL, NULL), -ETIMEDOUT);
        peer_stop(pid);

        /* Nobody listening: a connect error. */
        (void) unlink(sock);
        assert_int_equal(client_call(c, request, NULL, NULL), -ENOENT);
        assert_int_equal(c->stage, CLIENT_STAGE_CONNECT);

        json_decref(request);
        client_free(c);
}

static int setup(void **state) {
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
        char cmd[300];

        (void) snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_targets),
                cmocka_unit_test(test_token_file),
                cmocka_unit_test(test_call),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
