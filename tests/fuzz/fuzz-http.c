/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for src/shared/http-parse.h, the request parsing of
 * `procctl metrics --http` (a loopback listener: any local process can send
 * it bytes). The input is the bytes a client sent; the head framing and the
 * request-line parser are checked against what the header promises.
 *
 * Built with libFuzzer (--enable-fuzzers) and with fuzz-main.c replaying
 * tests/fuzz/corpus/http/ in `make check`.
 */

#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "shared/http-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *buf = (const char *) data;
        HttpRequestLine rl;
        size_t head;
        int r, status;

        head = http_head_length(buf, size);
        fuzz_assert(head <= size);
        if (head > 0)
                fuzz_assert(buf[head - 1] == '\n');

        r = http_parse_request_line(buf, size, &rl);
        fuzz_assert(r == 0 || r == -EBADMSG || r == -E2BIG || r == -EPROTONOSUPPORT);
        if (r < 0)
                return 0;
        fuzz_assert(strlen(rl.method) >= 1 && strlen(rl.method) <= HTTP_METHOD_MAX);
        fuzz_assert(strlen(rl.target) >= 1 && strlen(rl.target) <= HTTP_TARGET_MAX);
        fuzz_assert(!strchr(rl.target, ' ') && !strchr(rl.method, ' '));
        fuzz_assert(rl.minor >= 0 && rl.minor <= 9);
        status = http_metrics_status(&rl);
        fuzz_assert(status == 200 || status == 404 || status == 405);
        return 0;
}
