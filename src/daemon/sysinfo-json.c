/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * INFO's JSON; see sysinfo-json.h. Byte for byte what jansson prints for the same
 * members (tests/unit/test-sysinfo.c keeps a jansson oracle to prove it). Kernel
 * strings (hostname, release) are written when they are UTF-8, else as "?", as
 * jansson would refuse them.
 */

#include <string.h>

#include "shared/utf8.h"
#include "daemon/sysinfo-json.h"

static void write_kernel_string(JsonWriter *w, const char *s) {
        size_t n = strnlen(s, 65);

        if (!utf8_is_valid(s, n)) {
                json_writer_literal(w, "\"?\"");
                return;
        }
        json_writer_string(w, s, n);
}

void sysinfo_sample_write_json(const SysInfoSample *n, JsonWriter *w) {
        json_writer_literal(w, "\"cpu\":{\"count\":");
        json_writer_uint(w, n->n_cpus);
        json_writer_literal(w, ",\"percent\":");
        json_writer_decimal1(w, n->cpu_percent);
        json_writer_literal(w, ",\"per_cpu\":[");
        for (size_t i = 0; i < n->n_cpus; i++) {
                if (i > 0)
                        json_writer_literal(w, ",");
                json_writer_decimal1(w, n->per_cpu_percent[i]);
        }
        json_writer_literal(w, "],\"load\":[");
        for (size_t i = 0; i < 3; i++) {
                if (i > 0)
                        json_writer_literal(w, ",");
                json_writer_decimal2(w, n->load[i]);
        }
        json_writer_literal(w, "]},\"memory\":{\"total\":");
        json_writer_uint(w, n->mem_total);
        json_writer_literal(w, ",\"available\":");
        json_writer_uint(w, n->mem_available);
        json_writer_literal(w, ",\"used\":");
        json_writer_uint(w, n->mem_used);
        json_writer_literal(w, ",\"percent\":");
        json_writer_decimal1(w, n->mem_percent);
        json_writer_literal(w, "},\"swap\":{\"total\":");
        json_writer_uint(w, n->swap_total);
        json_writer_literal(w, ",\"used\":");
        json_writer_uint(w, n->swap_used);
        json_writer_literal(w, "},\"uptime\":");
        json_writer_decimal2(w, n->uptime);
        json_writer_literal(w, ",\"hostname\":");
        write_kernel_string(w, n->hostname);
        json_writer_literal(w, ",\"kernel\":");
        write_kernel_string(w, n->kernel);
        json_writer_literal(w, ",\"processes\":");
        json_writer_uint(w, n->processes);
}

int sysinfo_write_json(SysInfo *s, JsonWriter *w) {
        SysInfoSample n;
        int r;

        if (!s || !w)
                return -EINVAL;
        r = sysinfo_sample(s, &n);
        if (r < 0)
                return r;
        sysinfo_sample_write_json(&n, w);
        return w->oom ? -ENOMEM : 0;
}
