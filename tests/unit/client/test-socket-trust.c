/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whether root's procctl may trust a Unix socket path (src/client/socket-trust.c), on
 * a scratch tree below $TMPDIR: modes on the way, sticky directories, symlinks, what is
 * not a socket. The owners are the test's own uid, passed as the daemon's (allow_peer);
 * owners other than root and the daemon's are covered by test-socket-trust.py as root. */

#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/socket-trust.h"

static char base[256];

/* buf = a/b; false when it does not fit. */
static bool join(char *buf, size_t size, const char *a, const char *b) {
        int n = snprintf(buf, size, "%s/%s", a, b);

        return n > 0 && (size_t) n < size;
}

static char sock[1024];

static int setup(void **state) {
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        const char *tmp = getenv("TMPDIR") ?: "/tmp";
        char dir[1024];
        int fd;

        (void) state;
        /* The scratch tree lives in TMPDIR, which must itself be trustworthy (it is: a
         * sticky /tmp, or a directory of ours). */
        (void) snprintf(base, sizeof(base), "%s/test-socket-trust.XXXXXX", tmp);
        if (!mkdtemp(base))
                return -1;
        if (!join(dir, sizeof(dir), base, "d") || mkdir(dir, 0755) < 0)
                return -1;
        if (!join(sock, sizeof(sock), dir, "s.sock"))
                return -1;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || strlen(sock) >= sizeof(a.sun_path))
                return -1;
        strcpy(a.sun_path, sock);
        if (bind(fd, (struct sockaddr *) &a, sizeof(a)) < 0)
                return -1;
        (void) close(fd);
        return 0;
}

static int teardown(void **state) {
        char cmd[1024];

        (void) state;
        (void) snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
        return system(cmd) == 0 ? 0 : -1;
}

static int check(const char *path, char *msg, size_t size) {
        return socket_trust_check(path, getuid(), true, msg, size);
}

static void test_plain(void **state) {
        char msg[256];

        (void) state;
        assert_int_equal(check(sock, msg, sizeof(msg)), 0);
        assert_string_equal(msg, "");
}

static void test_writable_dir(void **state) {
        char msg[256], dir[1024];

        (void) state;
        assert_true(join(dir, sizeof(dir), base, "d"));
        assert_int_equal(chmod(dir, 0777), 0);
        assert_int_equal(check(sock, msg, sizeof(msg)), -EPERM);
        assert_non_null(strstr(msg, "is writable by everyone (mode 0777)"));
        assert_non_null(strstr(msg, dir));

        assert_int_equal(chmod(dir, 0775), 0);
        assert_int_equal(check(sock, msg, sizeof(msg)), -EPERM);
        assert_non_null(strstr(msg, "writable by its group"));

        /* Sticky: entries can only be replaced by their owners. */
        assert_int_equal(chmod(dir, 01777), 0);
        assert_int_equal(check(sock, msg, sizeof(msg)), 0);
        assert_int_equal(chmod(dir, 0755), 0);
}

static void test_symlinked_dir(void **state) {
        char msg[256], link[1024], path[1200], dir[1024], other[1024];

        (void) state;
        /* A link to the directory: the link's own directory and the target's both count. */
        assert_true(join(dir, sizeof(dir), base, "d"));
        assert_true(join(other, sizeof(other), base, "open"));
        assert_int_equal(mkdir(other, 0755), 0);
        assert_true(join(link, sizeof(link), other, "link"));
        assert_int_equal(symlink(dir, link), 0);
        assert_true(join(path, sizeof(path), link, "s.sock"));
        assert_int_equal(check(path, msg, sizeof(msg)), 0);

        assert_int_equal(chmod(other, 0777), 0);      /* anyone could swap the link */
        assert_int_equal(check(path, msg, sizeof(msg)), -EPERM);
        assert_non_null(strstr(msg, other));
        assert_int_equal(chmod(other, 0755), 0);

        assert_int_equal(chmod(dir, 0777), 0);        /* the real directory is open */
        assert_int_equal(check(path, msg, sizeof(msg)), -EPERM);
        assert_non_null(strstr(msg, dir));
        assert_int_equal(chmod(dir, 0755), 0);
}

static void test_not_a_socket(void **state) {
        char msg[256], file[1024];
        FILE *f;

        (void) state;
        assert_true(join(file, sizeof(file), base, "d/file"));
        f = fopen(file, "we");
        assert_non_null(f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(check(file, msg, sizeof(msg)), -EPERM);
        assert_non_null(strstr(msg, "is not a socket"));
}

static void test_missing(void **state) {
        char msg[256], path[1024];

        (void) state;
        assert_true(join(path, sizeof(path), base, "d/nosuch.sock"));
        assert_int_equal(check(path, msg, sizeof(msg)), -ENOENT);
        assert_int_equal(socket_trust_check("relative.sock", getuid(), true, msg, sizeof(msg)), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain),
                cmocka_unit_test(test_writable_dir),
                cmocka_unit_test(test_symlinked_dir),
                cmocka_unit_test(test_not_a_socket),
                cmocka_unit_test(test_missing),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
