/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * /proc fixtures for the unit tests of the /proc readers (test-proc, test-sysinfo):
 * the trees under $TEST_DATA/proc, and a writable tree in a temporary directory whose
 * files are rewritten between calls. Include after <cmocka.h>; failures end the test.
 */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory fd of the fixture tree $TEST_DATA/proc/NAME. */
static inline int open_fixture(const char *name) {
        char path[PATH_MAX];
        int fd;

        snprintf(path, sizeof(path), "%s/proc/%s", getenv("TEST_DATA") ?: "tests/data", name);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                fail_msg("cannot open fixture %s: %m (set TEST_DATA)", path);
        return fd;
}

typedef struct Tree {
        char path[PATH_MAX];
} Tree;

/* An empty tree in $TMPDIR, named PREFIX-XXXXXX; freed by tree_teardown(). */
static inline Tree *tree_new(const char *prefix) {
        Tree *tr = calloc(1, sizeof(Tree));

        assert_non_null(tr);
        snprintf(tr->path, sizeof(tr->path), "%s/%s-XXXXXX", getenv("TMPDIR") ?: "/tmp", prefix);
        assert_non_null(mkdtemp(tr->path));
        return tr;
}

static inline int tree_remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) st;
        (void) ftw;
        return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -errno : 0;
}

/* cmocka teardown: the tree in *state, removed with everything in it (depth first, never
 * leaving the tree's file system nor following a symlink). */
static inline int tree_teardown(void **state) {
        Tree *tr = *state;

        assert_int_equal(nftw(tr->path, tree_remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT), 0);
        free(tr);
        return 0;
}

/* Writes LEN bytes to the file REL of the tree. "w" truncates the same inode, so fds kept
 * open by the code under test see the new contents. */
static inline void tree_write_data(Tree *tr, const char *rel, const void *data, size_t len) {
        char p[PATH_MAX + 64];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s", tr->path, rel);
        f = fopen(p, "we");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
}

static inline void tree_write(Tree *tr, const char *rel, const char *s) {
        tree_write_data(tr, rel, s, strlen(s));
}

/* The tree's directory fd, for the readers' constructors (which take it over). */
static inline int tree_open(Tree *tr) {
        int fd = open(tr->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        assert_true(fd >= 0);
        return fd;
}
