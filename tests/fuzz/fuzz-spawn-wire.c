/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the helper's wire format (shared/spawn-wire.c), the one
 * parser procmgr-spawn runs on input from the network-facing front: any
 * record must decode or be refused with -EBADMSG/-E2BIG, a decoded one must
 * respect every bound, and encoding it again must give back the very same
 * bytes (the format has exactly one spelling of each message, so nothing can
 * hide in slack).
 *
 * Built with libFuzzer (--enable-fuzzers) and with fuzz-main.c replaying
 * tests/fuzz/corpus/spawn-wire/ in `make check`.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "shared/macro.h"
#include "shared/spawn-wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ void *again = NULL;
        SpawnWireMessage m;
        size_t again_size = 0;
        int r;

        r = spawn_wire_decode(data, size, &m);
        fuzz_assert(r == 0 || r == -EBADMSG || r == -E2BIG || r == -ENOMEM);
        if (r < 0)
                return 0;
        fuzz_assert(size <= SPAWN_WIRE_MESSAGE_MAX);
        fuzz_assert(m.type > 0 && m.type < _SPAWN_WIRE_TYPE_MAX);
        if (m.type == SPAWN_WIRE_SPAWN) {
                fuzz_assert(m.spawn.argc <= SPAWN_WIRE_ARGV_MAX && m.spawn.envc <= SPAWN_WIRE_ENV_MAX);
                fuzz_assert(m.spawn.n_groups <= SPAWN_WIRE_GROUPS_MAX);
                fuzz_assert(m.spawn.argv && !m.spawn.argv[m.spawn.argc]);
                fuzz_assert(m.spawn.envp && !m.spawn.envp[m.spawn.envc]);
                fuzz_assert(strlen(m.spawn.cwd) <= SPAWN_WIRE_PATH_MAX);
                for (uint32_t i = 0; i < m.spawn.argc; i++)
                        fuzz_assert(strlen(m.spawn.argv[i]) <= SPAWN_WIRE_STRING_MAX);
        }
        if (m.type == SPAWN_WIRE_OOM_WATCH)
                fuzz_assert(m.oom_watch.unit && strlen(m.oom_watch.unit) <= SPAWN_WIRE_UNIT_MAX);
        r = spawn_wire_encode(&m, &again, &again_size);
        fuzz_assert(r == 0 || r == -ENOMEM);
        if (r == 0)
                fuzz_assert(again_size == size && memcmp(again, data, size) == 0);
        spawn_wire_message_done(&m);
        return 0;
}
