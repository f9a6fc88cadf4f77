/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the small pure parsers that client text reaches directly:
 * split_command() (plain form, START `command`, procctl's menu) and the
 * checked conversions of parse-util (pids, limits, sizes, signal names), plus
 * string_sanitize(). The whole input is one NUL-terminated string (as the
 * callers see it after the line was taken apart); every word is fed to every
 * conversion, which checks results against their documented ranges.
 *
 * Built with libFuzzer (--enable-fuzzers) and with fuzz-main.c replaying
 * tests/fuzz/corpus/split/ in `make check`.
 */

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "shared/parse-util.h"
#include "protocol/protocol.h"
#include "protocol/request.h"
#include "shared/split.h"
#include "shared/string-util.h"
#include "shared/strv.h"

static void check_conversions(const char *s) {
        char shown[40];
        uint64_t u64;
        int64_t i64;
        unsigned u;
        pid_t pid;
        int i, r, sig;

        r = safe_atou64(s, &u64);
        fuzz_assert(r == 0 || r == -EINVAL || r == -ERANGE);
        r = safe_atoi64(s, &i64);
        fuzz_assert(r == 0 || r == -EINVAL || r == -ERANGE);
        r = safe_atou(s, &u);
        fuzz_assert(r == 0 || r == -EINVAL || r == -ERANGE);
        r = safe_atoi(s, &i);
        fuzz_assert(r == 0 || r == -EINVAL || r == -ERANGE);
        r = parse_pid(s, &pid);
        fuzz_assert(r == 0 || r == -EINVAL || r == -ERANGE);
        if (r == 0)
                fuzz_assert(pid > 0);
        r = parse_size(s, &u64);
        fuzz_assert(r == 0 || r == -EINVAL || r == -ERANGE);

        sig = signal_from_string(s);
        fuzz_assert(sig > 0 || sig == -EINVAL || sig == -ERANGE);
        if (sig > 0) {
                const char *name = signal_to_string(sig);

                if (name)
                        fuzz_assert(signal_from_string(name) == sig);
        }

        string_sanitize(s, 32, shown, sizeof(shown));
        fuzz_assert(strlen(shown) <= 32);
        for (const char *p = shown; *p; p++)
                fuzz_assert(*p >= 0x20 && *p < 0x7f);
}

static void check_split(const char *s, size_t max) {
        _cleanup_strv_free_ char **words = NULL;
        size_t total = 0;

        words = fuzz_split_command(s, max);
        if (!words)
                return;
        /* Quotes and escapes only ever remove bytes. */
        for (char **w = words; *w; w++)
                total += strlen(*w);
        fuzz_assert(total <= strlen(s));
        /* Short inputs: every word through every conversion (bounded work per input). */
        if (max <= 16)
                for (char **w = words; *w; w++)
                        check_conversions(*w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *s = NULL;

        s = strndup((const char *) data, size);
        fuzz_assert(s);

        check_conversions(s);
        check_split(s, PROTOCOL_ARGV_MAX);
        check_split(s, 8);
        check_split(s, 0);
        return 0;
}
