/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * METRICS: the host sample and every managed process's figures as Prometheus
 * text (metrics.c reads and renders), wrapped into {"ok":true,"text":S}. The
 * figures are read synchronously: a few small files per managed process, no
 * scan of unmanaged processes, so its cost follows the managed table only.
 */

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/backend.h"
#include "daemon/commands.h"
#include "daemon/manager.h"
#include "daemon/metrics.h"
#include "daemon/proc-table.h"
#include "protocol/json-writer.h"
#include "shared/fd-util.h"

int command_metrics(Call *call) {
        Manager *m = call->manager;
        Backend *b = m->backend;
        _cleanup_close_ int proc_fd = -EBADF, cgroup_fd = -EBADF;
        _cleanup_free_ MetricsProcess *procs = NULL;
        _cleanup_free_ char *text = NULL;
        uint64_t ticks[METRICS_CPU_MODES];
        unsigned n_ticks = 0;
        SysInfoSample sample;
        JsonWriter w = {};
        size_t text_len = 0, n = 0, len;
        char *line;
        int r;

        r = sysinfo_sample(m->sysinfo, &sample);
        if (r < 0)
                return r;

        proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (proc_fd < 0)
                return -errno;
        /* Without a cgroup tree (no sysfs) scoped processes fall back to /proc's figures. */
        cgroup_fd = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (b->n_managed > 0) {
                procs = calloc(b->n_managed, sizeof(MetricsProcess));
                if (!procs)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < b->n_managed; i++) {
                const Managed *mp = b->managed[i];
                MetricsProcess *p = &procs[n++];

                *p = (MetricsProcess) {
                        .name = mp->name,
                        .unit = mp->unit ?: "",
                        .user = proc_table_user_name(m->procs, mp->uid) ?: "",
                        .restarts = mp->restarts,
                        .figures = PROCESS_FIGURES_UNKNOWN,
                };
                if (mp->exited)
                        continue;
                r = -ENODATA;
                if (mp->unit && cgroup_fd >= 0)
                        r = metrics_read_cgroup(proc_fd, cgroup_fd, mp->pid, &p->figures);
                if (r < 0)
                        (void) metrics_read_proc(proc_fd, mp->pid, mp->start_ticks, &p->figures);
        }

        if (metrics_read_cpu_ticks(proc_fd, ticks, &n_ticks) < 0)
                n_ticks = 0;

        {
                _cleanup_fclose_ FILE *f = open_memstream(&text, &text_len);
                MetricsInput in = {
                        .sample = &sample,
                        .cpu_ticks = n_ticks > 0 ? ticks : NULL,
                        .n_cpu_ticks = n_ticks,
                        .ticks_per_second = sysconf(_SC_CLK_TCK),
                        .backend = backend_name(b),
                        .version = PACKAGE_VERSION,
                        .processes = procs,
                        .n_processes = n,
                };

                if (!f)
                        return -ENOMEM;
                r = metrics_render(&in, f);
                if (r < 0)
                        return r;
                if (fclose(TAKE_PTR(f)) != 0)
                        return -ENOMEM;
        }

        /* The text is ASCII but for label values, which metrics.c made valid UTF-8. */
        (void) json_writer_reserve(&w, text_len + text_len / 8 + 64);
        json_writer_literal(&w, "{\"ok\":true");
        if (call->request.id) {
                json_writer_literal(&w, ",\"id\":");
                json_writer_json(&w, call->request.id);
        }
        json_writer_literal(&w, ",\"text\":");
        json_writer_string(&w, text, text_len);
        json_writer_literal(&w, "}\n");
        line = json_writer_steal(&w, &len);
        if (!line)
                return -ENOMEM;
        call_reply_raw(call, line, len);
        return 0;
}
