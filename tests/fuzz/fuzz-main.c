/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A main() for the fuzz targets when they are built without libFuzzer (any
 * compiler, `make check`): replays every file of the corpus directories (or
 * single files) given on the command line through LLVMFuzzerTestOneInput(),
 * in name order, printing TAP. Without arguments it replays
 * $top_srcdir/tests/fuzz/corpus/FUZZ_NAME, falling back to the source tree
 * configure saw (FUZZ_CORPUS_DIR). A crash or failed invariant aborts the
 * whole run, which the TAP driver reports; the last "# file" line names the
 * input. Nothing here is fuzzing: it is the regression test for the corpus.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "shared/macro.h"
#include "shared/strv.h"

/* Corpus files are small; anything larger is a mistake, not an input. */
#define FUZZ_INPUT_MAX (16U * 1024U * 1024U)

static int read_file(const char *path, uint8_t **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;
        size_t n = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EISDIR;
        if ((uint64_t) st.st_size > FUZZ_INPUT_MAX)
                return -EFBIG;
        /* Exactly the file's size, so reads past the input are visible to ASan/valgrind. */
        buf = malloc(st.st_size > 0 ? (size_t) st.st_size : 1);
        if (!buf)
                return -ENOMEM;
        while (n < (size_t) st.st_size) {
                ssize_t k = read(fd, buf + n, (size_t) st.st_size - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

/* Appends the regular files of a directory (sorted, no dot files), or the path itself. */
static int collect(const char *path, char ***files, size_t *n) {
        struct dirent **entries = NULL;
        struct stat st;
        int k, r = 0;

        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return strv_extend(files, n, path);

        k = scandir(path, &entries, NULL, alphasort);
        if (k < 0)
                return -errno;
        for (int i = 0; i < k; i++) {
                char *p = NULL;

                if (r >= 0 && entries[i]->d_name[0] != '.') {
                        if (asprintf(&p, "%s/%s", path, entries[i]->d_name) < 0)
                                r = -ENOMEM;
                        else
                                r = strv_consume(files, n, p);
                }
                free(entries[i]);
        }
        free(entries);
        return r;
}

int main(int argc, char *argv[]) {
        _cleanup_strv_free_ char **files = NULL;
        _cleanup_free_ char *dflt = NULL;
        size_t n = 0;
        int r;

        if (argc > 1) {
                for (int i = 1; i < argc; i++) {
                        r = collect(argv[i], &files, &n);
                        if (r < 0) {
                                printf("Bail out! %s: %s\n", argv[i], strerror(-r));
                                return EXIT_FAILURE;
                        }
                }
        } else {
                const char *top = getenv("top_srcdir");

                if (top && asprintf(&dflt, "%s/tests/fuzz/corpus/%s", top, FUZZ_NAME) < 0)
                        return EXIT_FAILURE;
                r = collect(dflt ?: FUZZ_CORPUS_DIR, &files, &n);
                if (r < 0) {
                        printf("Bail out! %s: %s\n", dflt ?: FUZZ_CORPUS_DIR, strerror(-r));
                        return EXIT_FAILURE;
                }
        }

        if (n == 0) {
                printf("1..0 # SKIP empty corpus\n");
                return 0;
        }

        printf("1..%zu\n", n);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ uint8_t *data = NULL;
                const char *name = strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 : files[i];
                size_t size = 0;

                r = read_file(files[i], &data, &size);
                if (r < 0) {
                        printf("not ok %zu - %s # %s\n", i + 1, name, strerror(-r));
                        continue;
                }
                /* Say which input is running before it runs: a crash ends the output here. */
                printf("# %s (%zu bytes)\n", files[i], size);
                fflush(stdout);
                (void) LLVMFuzzerTestOneInput(data, size);
                printf("ok %zu - %s\n", i + 1, name);
                fflush(stdout);
        }
        return 0;
}
