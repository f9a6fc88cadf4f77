/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the /proc parsers of src/shared/proc-parse.h: the input is
 * fed to each of them as the file it parses (/proc/<pid>/stat, the Uid: line
 * of /proc/<pid>/status, /proc/<pid>/cmdline, /proc/uptime, the btime line of
 * /proc/stat). The kernel writes these files, but a process chooses its comm
 * and its cmdline, so they are client text all the same. Each parser's result
 * is checked against what its header promises.
 *
 * Built with libFuzzer (--enable-fuzzers) and with fuzz-main.c replaying
 * tests/fuzz/corpus/proc-parse/ in `make check`.
 */

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "fuzz.h"
#include "shared/proc-parse.h"
#include "shared/macro.h"
#include "shared/utf8.h"

static void check_stat(const char *buf, size_t len) {
        ProcStat st;
        int r;

        r = proc_parse_stat(buf, len, &st);
        fuzz_assert(r == 0 || r == -EINVAL);
        if (r < 0)
                return;
        fuzz_assert(st.pid > 0);
        fuzz_assert(st.ppid >= 0);
        fuzz_assert(memchr(st.comm, '\0', sizeof(st.comm)));
        fuzz_assert(st.num_threads >= 0);
        fuzz_assert(st.rss_pages >= 0);
}

static void check_status(const char *buf, size_t len) {
        uid_t uid;
        int r;

        r = proc_parse_status_uid(buf, len, &uid);
        fuzz_assert(r == 0 || r == -EINVAL || r == -ERANGE || r == -ENODATA);
}

static void check_cmdline(const char *buf, size_t len, size_t size) {
        _cleanup_free_ char *out = NULL;
        size_t n;

        out = malloc(size ?: 1);
        fuzz_assert(out);
        n = proc_cmdline_normalize(buf, len, out, size);
        if (size == 0) {
                fuzz_assert(n == 0);
                return;
        }
        /* NUL-terminated, no inner NUL left, valid UTF-8, within size. */
        fuzz_assert(n < size);
        fuzz_assert(out[n] == '\0');
        fuzz_assert(strlen(out) == n);
        fuzz_assert(utf8_is_valid(out, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = NULL;
        usec_t usec;
        uint64_t btime;
        int r;

        /* The buffer parsers get the bytes as read; the string parsers a NUL-terminated
         * copy, as proc-table.c hands them over. */
        check_stat((const char *) data, size);
        check_status((const char *) data, size);
        check_cmdline((const char *) data, size, UTF8_SANITIZED_MAX(size));
        check_cmdline((const char *) data, size, 4096);
        check_cmdline((const char *) data, size, 5);
        check_cmdline((const char *) data, size, 0);

        s = strndup((const char *) data, size);
        fuzz_assert(s);
        r = proc_parse_uptime(s, &usec);
        fuzz_assert(r == 0 || r == -EINVAL);
        r = proc_parse_btime(s, &btime);
        fuzz_assert(r == 0 || r == -EINVAL || r == -ENODATA);
        return 0;
}
