/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* procctl.conf parsing and -H host lists (src/client/config.c), ssh:// targets and the
 * ssh command line built from them (src/client/transport-ssh.c). */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/config.h"
#include "client/transport.h"
#include "shared/strv.h"

/* What the parser warned about, captured through a memory stream. */
static char *parse(ProcctlConfig *c, const char *text) {
        char *out = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&out, &n);

        assert_non_null(f);
        assert_int_equal(config_parse_text(c, "test.conf", text, f), 0);
        assert_int_equal(fclose(f), 0);
        return out;
}

static void test_config_keys(void **state) {
        ProcctlConfig c = {};
        char *w;

        w = parse(&c,
                  "# defaults for this admin\n"
                  "\n"
                  "  host = ssh://root@web1 , ssh://web2:2222\n"
                  "token-file=/etc/procmgr/token\n"
                  "; another comment style\n"
                  "parallel = 4\n"
                  "tls-ca = /etc/ssl/ca.pem\n"
                  "tls-cert = c.pem\n"
                  "tls-key = k.pem\r\n");
        assert_string_equal(w, "");
        free(w);
        assert_int_equal(c.n_hosts, 2);
        assert_string_equal(c.hosts[0], "ssh://root@web1");
        assert_string_equal(c.hosts[1], "ssh://web2:2222");
        assert_null(c.hosts[2]);
        assert_string_equal(c.token_file, "/etc/procmgr/token");
        assert_int_equal(c.parallel, 4);
        assert_string_equal(c.tls_ca, "/etc/ssl/ca.pem");
        assert_string_equal(c.tls_cert, "c.pem");
        assert_string_equal(c.tls_key, "k.pem");

        /* A later file overrides key by key: hosts replaced as a whole, the rest kept. */
        w = parse(&c, "hosts = 10.0.0.7\n");
        assert_string_equal(w, "");
        free(w);
        assert_int_equal(c.n_hosts, 1);
        assert_string_equal(c.hosts[0], "10.0.0.7");
        assert_string_equal(c.token_file, "/etc/procmgr/token");

        config_done(&c);
        assert_null(c.hosts);
        assert_null(c.token_file);
        assert_int_equal(c.parallel, 0);
        config_done(&c);        /* twice: harmless */
}

static void test_config_bad_lines(void **state) {
        ProcctlConfig c = {};
        char *w;

        w = parse(&c,
                  "colour = yes\n"
                  "just words\n"
                  "host =\n"
                  "host = a,,b\n"
                  "parallel = 0\n"
                  "parallel = many\n"
                  "token-file = /t\n");
        /* Each bad line named by file and line, and skipped; the good one still counts. */
        assert_non_null(strstr(w, "procctl: test.conf:1: unknown key 'colour', ignored\n"));
        assert_non_null(strstr(w, "test.conf:2: not a 'key = value' line 'just words'"));
        assert_non_null(strstr(w, "test.conf:3: no value for 'host'"));
        assert_non_null(strstr(w, "test.conf:4: invalid host list 'a,,b'"));
        assert_non_null(strstr(w, "test.conf:5: invalid parallel '0'"));
        assert_non_null(strstr(w, "test.conf:6: invalid parallel 'many'"));
        free(w);
        assert_null(c.hosts);
        assert_int_equal(c.parallel, 0);
        assert_string_equal(c.token_file, "/t");
        config_done(&c);
}

static void test_config_file(void **state) {
        char dir[] = "/tmp/test-config.XXXXXX", path[64], big[64];
        ProcctlConfig c = {};
        FILE *f;

        assert_non_null(mkdtemp(dir));
        (void) snprintf(path, sizeof(path), "%s/procctl.conf", dir);

        /* Missing: no error, nothing set. */
        assert_int_equal(config_parse_file(&c, path, NULL), 0);
        assert_null(c.hosts);

        f = fopen(path, "we");
        assert_non_null(f);
        fputs("host = vm1\n", f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(config_parse_file(&c, path, NULL), 0);
        assert_string_equal(c.hosts[0], "vm1");

        /* Bounded: a file beyond CONFIG_FILE_MAX is refused, not read. */
        (void) snprintf(big, sizeof(big), "%s/big.conf", dir);
        f = fopen(big, "we");
        assert_non_null(f);
        for (unsigned i = 0; i <= CONFIG_FILE_MAX / 16; i++)
                fputs("# padding......\n", f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(config_parse_file(&c, big, NULL), -EFBIG);

        /* $PROCCTL_CONFIG: that file alone. */
        config_done(&c);
        {
                const char *p = NULL;

                assert_int_equal(setenv("PROCCTL_CONFIG", path, 1), 0);
                assert_int_equal(config_load(&c, NULL, &p), 0);
                assert_string_equal(p, path);
                assert_string_equal(c.hosts[0], "vm1");
                config_done(&c);
                assert_int_equal(setenv("PROCCTL_CONFIG", "", 1), 0);
                assert_int_equal(config_load(&c, NULL, &p), 0);
                assert_null(c.hosts);
                assert_int_equal(unsetenv("PROCCTL_CONFIG"), 0);
        }

        assert_int_equal(unlink(big), 0);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void test_hosts_add(void **state) {
        char **h = NULL;
        size_t n = 0;

        assert_int_equal(hosts_add(&h, &n, "a"), 0);
        assert_int_equal(hosts_add(&h, &n, "ssh://root@b:22, [::1]:5050 ,c"), 0);
        /* A host given twice runs once (a START must not run twice on one host). */
        assert_int_equal(hosts_add(&h, &n, "a,c"), 0);
        assert_int_equal(n, 4);
        assert_string_equal(h[0], "a");
        assert_string_equal(h[1], "ssh://root@b:22");
        assert_string_equal(h[2], "[::1]:5050");
        assert_string_equal(h[3], "c");
        assert_null(h[4]);

        assert_int_equal(hosts_add(&h, &n, ""), -EINVAL);
        assert_int_equal(hosts_add(&h, &n, "x,"), -EINVAL);
        assert_int_equal(hosts_add(&h, &n, ",x"), -EINVAL);
        assert_int_equal(hosts_add(&h, &n, "x, ,y"), -EINVAL);
        h = strv_free(h);
        n = 0;

        /* Bounded. */
        for (unsigned i = 0; i < HOSTS_MAX; i++) {
                char b[16];

                (void) snprintf(b, sizeof(b), "h%u", i);
                assert_int_equal(hosts_add(&h, &n, b), 0);
        }
        assert_int_equal(hosts_add(&h, &n, "one-more"), -E2BIG);
        assert_int_equal(n, HOSTS_MAX);
        strv_free(h);
}

static void test_ssh_url(void **state) {
        static const struct {
                const char *url, *user, *host;
                uint16_t port;
        } good[] = {
                { "ssh://web1", NULL, "web1", 0 },
                { "ssh://root@web1", "root", "web1", 0 },
                { "ssh://admin@10.0.0.7:2222", "admin", "10.0.0.7", 2222 },
                { "ssh://[::1]:22", NULL, "::1", 22 },
                { "ssh://u@[fe80::1]", "u", "fe80::1", 0 },
        };
        static const char *const bad[] = {
                "web1", "ssh://", "ssh://@h", "ssh://u@", "ssh://-oProxyCommand=x", "ssh://-l@h",
                "ssh://h:0", "ssh://h:65536", "ssh://h:x", "ssh://a b", "ssh://h;id", "ssh://h/x",
                "ssh://[::1", "ssh://[]", "ssh://[::1]x", "ssh://h\n", "ssh://$(id)@h",
        };

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                char *user = NULL, *host = NULL;
                uint16_t port = 9;

                assert_int_equal(ssh_url_parse(good[i].url, &user, &host, &port), 0);
                if (good[i].user)
                        assert_string_equal(user, good[i].user);
                else
                        assert_null(user);
                assert_string_equal(host, good[i].host);
                assert_int_equal(port, good[i].port);
                free(user);
                free(host);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(ssh_url_parse(bad[i], NULL, NULL, NULL), -EINVAL);
}

static void test_ssh_argv(void **state) {
        char **argv = NULL, *j;

        assert_int_equal(ssh_build_argv("ssh://root@web1:2222", NULL, NULL, &argv), 0);
        j = strv_join(argv, "|");
        assert_string_equal(j, "ssh|-xT|-p|2222|root@web1|--|procctl|bridge");
        free(j);
        argv = strv_free(argv);

        /* $PROCCTL_SSH is split into words without a shell; $PROCCTL_REMOTE's words reach
         * the remote shell quoted, so it sees exactly those words. */
        assert_int_equal(ssh_build_argv("ssh://web1", "ssh -F '/my dir/cfg' -o BatchMode=yes",
                                        "/opt/p/procctl bridge -U '/run/my sock' 'it'\\''s' $HOME;id", &argv), 0);
        j = strv_join(argv, "|");
        assert_string_equal(j, "ssh|-F|/my dir/cfg|-o|BatchMode=yes|-xT|web1|--|/opt/p/procctl|bridge|-U|"
                               "'/run/my sock'|'it'\\''s'|'$HOME;id'");
        free(j);
        argv = strv_free(argv);

        assert_int_equal(ssh_build_argv("ssh://web1", "ssh 'unbalanced", NULL, &argv), -EBADMSG);
        assert_int_equal(ssh_build_argv("ssh://web1", NULL, "procctl \"bridge", &argv), -EBADMSG);
        assert_int_equal(ssh_build_argv("ssh://web1", NULL, "   ", &argv), 0);   /* blank: default */
        argv = strv_free(argv);
        assert_int_equal(ssh_build_argv("ssh://-x", NULL, NULL, &argv), -EINVAL);
}

static void test_resolve(void **state) {
        SocketAddress *a = NULL;
        size_t n = 0;
        int gai = 0;

        /* Numeric and localhost: one address, no DNS. */
        assert_int_equal(transport_resolve_inet("127.0.0.1:7", 5050, &a, &n, &gai), 1);
        assert_int_equal(n, 1);
        free(a);
        assert_int_equal(transport_resolve_inet("localhost", 5050, &a, &n, &gai), 1);
        free(a);
        /* RFC 6761: .invalid never resolves. */
        assert_int_equal(transport_resolve_inet("nothing.invalid:7", 5050, &a, &n, &gai), -EHOSTUNREACH);
        assert_int_not_equal(gai, 0);
        assert_int_equal(transport_resolve_inet("-oProxyCommand=x", 5050, &a, &n, &gai), -EINVAL);
        assert_int_equal(transport_resolve_inet("5050", 5050, &a, &n, &gai), -EINVAL);
        assert_int_equal(transport_resolve_inet("h:0", 5050, &a, &n, &gai), -EINVAL);
}

/* Every address in order: a refused one first, then one that listens. */
static void test_connect_in_order(void **state) {
        SocketAddress a[3];
        socklen_t l = sizeof(a[1].in);
        int ls, fd;

        ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(ls >= 0);
        assert_int_equal(socket_address_parse_inet("127.0.0.1:1", 0, &a[0]), 0);  /* nobody listens on 1 */
        assert_int_equal(socket_address_parse_inet("127.0.0.1:1", 0, &a[1]), 0);
        a[1].in.sin_port = 0;
        assert_int_equal(bind(ls, &a[1].sa, a[1].len), 0);
        assert_int_equal(listen(ls, 4), 0);
        assert_int_equal(getsockname(ls, &a[1].sa, &l), 0);
        a[2] = a[0];

        fd = transport_connect_inet(a, 2, now(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC);
        assert_true(fd >= 0);
        close(fd);
        /* Only refused addresses: the last one's error. */
        assert_int_equal(transport_connect_inet(a, 1, now(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC), -ECONNREFUSED);
        assert_int_equal(transport_connect_inet(&a[2], 1, 0), -ECONNREFUSED);
        /* Listening one last after two refusals, no deadline. */
        {
                SocketAddress b[3] = { a[0], a[2], a[1] };

                fd = transport_connect_inet(b, 3, 0);
                assert_true(fd >= 0);
                close(fd);
        }
        close(ls);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_config_keys),
                cmocka_unit_test(test_config_bad_lines),
                cmocka_unit_test(test_config_file),
                cmocka_unit_test(test_hosts_add),
                cmocka_unit_test(test_ssh_url),
                cmocka_unit_test(test_ssh_argv),
                cmocka_unit_test(test_resolve),
                cmocka_unit_test(test_connect_in_order),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
