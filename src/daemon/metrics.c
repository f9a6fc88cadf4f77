/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * METRICS' figures and their Prometheus text (exposition format 0.0.4); see
 * metrics.h. Every file read here is small and read with one bounded read();
 * the output has a fixed set of families, each with one series per merged
 * managed process, so its size is bounded by the managed table.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/metrics.h"
#include "shared/fileio.h"
#include "shared/macro.h"
#include "shared/proc-parse.h"
#include "shared/utf8.h"

/* ---------------------------------------------------------------------------
 * Small file parsers */

/* A decimal number followed only by blanks/newline; "max" and garbage → -EINVAL. */
static int parse_u64_text(const char *buf, size_t len, uint64_t *ret) {
        uint64_t v = 0;
        size_t i = 0;

        while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
                i++;
        if (i == len || buf[i] < '0' || buf[i] > '9')
                return -EINVAL;
        for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (buf[i] - '0');
        }
        for (; i < len; i++)
                if (buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\t')
                        return -EINVAL;
        *ret = v;
        return 0;
}

/* The value of the line "KEY VALUE" of a flat-keyed cgroup file (cpu.stat, memory.events,
 * memory.oom_control). */
static int parse_keyed(const char *buf, size_t len, const char *key, uint64_t *ret) {
        size_t klen = strlen(key);

        for (const char *p = buf, *end = buf + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *eol = nl ?: end;

                if ((size_t) (eol - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == ' ')
                        return parse_u64_text(p + klen + 1, (size_t) (eol - p - klen - 1), ret);
                p = eol + 1;
        }
        return -ENODATA;
}

/* The path (without the leading '/', "." for the root) of the hierarchy that has
 * controller in a /proc/<pid>/cgroup buffer; controller NULL: the v2 line "0::PATH". */
static int cgroup_path_of(const char *buf, size_t len, const char *controller, char *path, size_t size) {
        for (const char *p = buf, *end = buf + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *eol = nl ?: end;
                const char *c1 = memchr(p, ':', (size_t) (eol - p));
                const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t) (eol - c1 - 1)) : NULL;
                bool match = false;

                if (c2) {
                        if (!controller)
                                match = c2 == c1 + 1 && c1 - p == 1 && *p == '0';
                        else
                                for (const char *c = c1 + 1; c < c2 && !match;) {
                                        const char *comma = memchr(c, ',', (size_t) (c2 - c));
                                        const char *ce = comma ?: c2;

                                        match = (size_t) (ce - c) == strlen(controller) &&
                                                memcmp(c, controller, (size_t) (ce - c)) == 0;
                                        c = ce + 1;
                                }
                }
                if (match) {
                        const char *s = c2 + 1;
                        size_t n = (size_t) (eol - s);

                        if (n == 0 || *s != '/')
                                return -EINVAL;
                        s++, n--;
                        if (n == 0)
                                s = ".", n = 1;
                        if (n >= size || memchr(s, '\0', n))
                                return -ENAMETOOLONG;
                        memcpy(path, s, n);
                        path[n] = '\0';
                        return 0;
                }
                p = eol + 1;
        }
        return -ENODATA;
}

/* ---------------------------------------------------------------------------
 * Readers */

static int read_small_at(int dir_fd, const char *path, char *buf, size_t size, size_t *ret_len) {
        int r = read_virtual_file_at(dir_fd, path, buf, size - 1, ret_len);

        if (r >= 0)
                buf[*ret_len] = '\0';
        return r;
}

/* dir/file as a number (keyed: the value of that key); METRICS_UNKNOWN when unreadable. */
static uint64_t cgroup_value(int cgroup_fd, const char *dir, const char *file, const char *key) {
        char path[PATH_MAX], buf[1024];
        uint64_t v;
        size_t len;
        int r;

        if ((size_t) snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
                return METRICS_UNKNOWN;
        if (read_small_at(cgroup_fd, path, buf, sizeof(buf), &len) < 0)
                return METRICS_UNKNOWN;
        r = key ? parse_keyed(buf, len, key, &v) : parse_u64_text(buf, len, &v);
        return r < 0 ? METRICS_UNKNOWN : v;
}

int metrics_read_cgroup(int proc_fd, int cgroup_fd, pid_t pid, ProcessFigures *ret) {
        char file[64], buf[4096], rel[PATH_MAX], dir[PATH_MAX];
        ProcessFigures f = PROCESS_FIGURES_UNKNOWN;
        size_t len;
        int r;

        (void) snprintf(file, sizeof(file), "%d/cgroup", (int) pid);
        r = read_small_at(proc_fd, file, buf, sizeof(buf), &len);
        if (r < 0)
                return r;

        if (faccessat(cgroup_fd, "cgroup.controllers", F_OK, 0) >= 0) {
                /* cgroup v2: one hierarchy, every controller's files in the scope's directory. */
                r = cgroup_path_of(buf, len, NULL, dir, sizeof(dir));
                if (r < 0)
                        return r;
                f.memory_current = cgroup_value(cgroup_fd, dir, "memory.current", NULL);
                f.memory_peak = cgroup_value(cgroup_fd, dir, "memory.peak", NULL);
                f.cpu_usec = cgroup_value(cgroup_fd, dir, "cpu.stat", "usage_usec");
                f.oom_kills = cgroup_value(cgroup_fd, dir, "memory.events", "oom_kill");
                f.tasks = cgroup_value(cgroup_fd, dir, "pids.current", NULL);
        } else {
                /* cgroup v1 (hybrid): each controller mounted at /sys/fs/cgroup/<name> (for
                 * cpuacct the usual cpu,cpuacct mount has that symlink). */
                if (cgroup_path_of(buf, len, "memory", rel, sizeof(rel)) >= 0 &&
                    (size_t) snprintf(dir, sizeof(dir), "memory/%s", rel) < sizeof(dir)) {
                        f.memory_current = cgroup_value(cgroup_fd, dir, "memory.usage_in_bytes", NULL);
                        f.memory_peak = cgroup_value(cgroup_fd, dir, "memory.max_usage_in_bytes", NULL);
                        f.oom_kills = cgroup_value(cgroup_fd, dir, "memory.oom_control", "oom_kill");
                }
                if (cgroup_path_of(buf, len, "cpuacct", rel, sizeof(rel)) >= 0 &&
                    (size_t) snprintf(dir, sizeof(dir), "cpuacct/%s", rel) < sizeof(dir)) {
                        uint64_t ns = cgroup_value(cgroup_fd, dir, "cpuacct.usage", NULL);
                        f.cpu_usec = ns == METRICS_UNKNOWN ? ns : ns / 1000;
                }
                if (cgroup_path_of(buf, len, "pids", rel, sizeof(rel)) >= 0 &&
                    (size_t) snprintf(dir, sizeof(dir), "pids/%s", rel) < sizeof(dir))
                        f.tasks = cgroup_value(cgroup_fd, dir, "pids.current", NULL);
        }

        if (f.memory_current == METRICS_UNKNOWN && f.memory_peak == METRICS_UNKNOWN &&
            f.cpu_usec == METRICS_UNKNOWN && f.tasks == METRICS_UNKNOWN && f.oom_kills == METRICS_UNKNOWN)
                return -ENODATA;
        f.up = true;
        *ret = f;
        return 0;
}

int metrics_read_proc(int proc_fd, pid_t pid, uint64_t start_ticks, ProcessFigures *ret) {
        ProcessFigures f = PROCESS_FIGURES_UNKNOWN;
        char file[64], buf[4096];
        long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
        ProcStat st;
        size_t len;
        int r;

        (void) snprintf(file, sizeof(file), "%d/stat", (int) pid);
        r = read_small_at(proc_fd, file, buf, sizeof(buf), &len);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        r = proc_parse_stat(buf, len, &st);
        if (r < 0)
                return r;
        if (start_ticks != 0 && st.start_ticks != start_ticks)
                return -ESRCH;
        if (st.state == 'Z' || st.state == 'X')
                return -ESRCH;
        if (hz > 0)
                f.cpu_usec = (st.utime + st.stime) * (USEC_PER_SEC / (uint64_t) hz);
        if (page > 0 && st.rss_pages >= 0)
                f.memory_current = (uint64_t) st.rss_pages * (uint64_t) page;
        if (st.num_threads > 0)
                f.tasks = (uint64_t) st.num_threads;
        /* No peak: VmHWM is in /proc/<pid>/status, which costs the kernel several times
         * what stat does; METRICS must stay cheaper than a LIST of the same processes. */
        f.up = true;
        *ret = f;
        return 0;
}

int metrics_read_cpu_ticks(int proc_fd, uint64_t ticks[METRICS_CPU_MODES], unsigned *ret_n) {
        char buf[1024];
        const char *p, *eol;
        unsigned n = 0;
        size_t len;
        int r;

        /* The aggregate line comes first: one read of its head is enough. */
        r = read_small_at(proc_fd, "stat", buf, sizeof(buf), &len);
        if (r < 0)
                return r;
        if (len < 4 || memcmp(buf, "cpu ", 4) != 0)
                return -EBADMSG;
        eol = memchr(buf, '\n', len) ?: buf + len;
        p = buf + 4;
        while (n < METRICS_CPU_MODES && p < eol) {
                char *e;
                unsigned long long v;

                while (p < eol && *p == ' ')
                        p++;
                if (p >= eol || *p < '0' || *p > '9')
                        break;
                errno = 0;
                v = strtoull(p, &e, 10);
                if (errno != 0 || e == p)
                        break;
                ticks[n++] = v;
                p = e;
        }
        if (n < 4)
                return -EBADMSG;
        *ret_n = n;
        return 0;
}

/* ---------------------------------------------------------------------------
 * Rendering */

void metrics_write_label_value(FILE *f, const char *s) {
        size_t len = strlen(s);

        for (size_t i = 0; i < len;) {
                size_t k = utf8_encoded_valid_len(s + i, len - i);

                if (k == 0) {
                        fputs("\xef\xbf\xbd", f);       /* U+FFFD */
                        i++;
                        continue;
                }
                if (k == 1 && s[i] == '\\')
                        fputs("\\\\", f);
                else if (k == 1 && s[i] == '"')
                        fputs("\\\"", f);
                else if (k == 1 && s[i] == '\n')
                        fputs("\\n", f);
                else
                        fwrite(s + i, 1, k, f);
                i += k;
        }
}

static void write_usec_as_seconds(FILE *f, uint64_t usec) {
        fprintf(f, "%" PRIu64 ".%06" PRIu64, (uint64_t) (usec / USEC_PER_SEC), (uint64_t) (usec % USEC_PER_SEC));
}

static void family(FILE *f, const char *name, const char *type, const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge_u64(FILE *f, const char *name, const char *help, uint64_t v) {
        family(f, name, "gauge", help);
        fprintf(f, "%s %" PRIu64 "\n", name, v);
}

static int process_cmp(const void *a, const void *b) {
        const MetricsProcess *x = a, *y = b;
        int c = strcmp(x->name, y->name);

        if (c == 0)
                c = strcmp(x->unit, y->unit);
        if (c == 0)
                c = strcmp(x->user, y->user);
        return c;
}

static uint64_t add_known(uint64_t a, uint64_t b) {
        if (a == METRICS_UNKNOWN)
                return b;
        if (b == METRICS_UNKNOWN)
                return a;
        return a > METRICS_UNKNOWN - 1 - b ? METRICS_UNKNOWN - 1 : a + b;
}

/* Sorts by labels and folds equal label sets into the first; returns the new count. */
static size_t merge_processes(MetricsProcess *p, size_t n) {
        size_t k = 0;

        if (n == 0)
                return 0;
        qsort(p, n, sizeof(*p), process_cmp);
        for (size_t i = 1; i < n; i++) {
                MetricsProcess *o = &p[k];

                if (process_cmp(o, &p[i]) != 0) {
                        p[++k] = p[i];
                        continue;
                }
                o->restarts += p[i].restarts;
                o->figures.memory_current = add_known(o->figures.memory_current, p[i].figures.memory_current);
                o->figures.memory_peak = add_known(o->figures.memory_peak, p[i].figures.memory_peak);
                o->figures.cpu_usec = add_known(o->figures.cpu_usec, p[i].figures.cpu_usec);
                o->figures.tasks = add_known(o->figures.tasks, p[i].figures.tasks);
                o->figures.oom_kills = add_known(o->figures.oom_kills, p[i].figures.oom_kills);
                o->figures.up = o->figures.up || p[i].figures.up;
        }
        return k + 1;
}

static void labels(FILE *f, const MetricsProcess *p) {
        fputs("{name=\"", f);
        metrics_write_label_value(f, p->name);
        fputs("\",unit=\"", f);
        metrics_write_label_value(f, p->unit);
        fputs("\",user=\"", f);
        metrics_write_label_value(f, p->user);
        fputs("\"}", f);
}

enum { FIG_MEMORY, FIG_PEAK, FIG_CPU, FIG_TASKS, FIG_OOM, FIG_RESTARTS, FIG_UP, _FIG_MAX };

static const struct {
        const char *name, *type, *help;
} process_families[_FIG_MAX] = {
        [FIG_MEMORY] = { "procmgr_process_memory_bytes", "gauge",
                         "Memory of a managed process's scope (cgroup memory.current; RSS without a scope)." },
        [FIG_PEAK] = { "procmgr_process_memory_peak_bytes", "gauge",
                       "Highest memory of the scope (cgroup memory.peak; none without a scope)." },
        [FIG_CPU] = { "procmgr_process_cpu_seconds_total", "counter",
                      "CPU time of the scope (cgroup cpu.stat usage; utime+stime without a scope)." },
        [FIG_TASKS] = { "procmgr_process_tasks", "gauge",
                        "Tasks in the scope (cgroup pids.current; threads without a scope)." },
        [FIG_OOM] = { "procmgr_process_oom_kills_total", "counter",
                      "Processes of the scope killed by the OOM killer (cgroup memory.events oom_kill)." },
        [FIG_RESTARTS] = { "procmgr_process_restarts_total", "counter",
                           "Times procmgrd restarted the process." },
        [FIG_UP] = { "procmgr_process_up", "gauge", "1 while the managed process runs, else 0." },
};

static uint64_t figure(const MetricsProcess *p, int which) {
        switch (which) {
        case FIG_MEMORY: return p->figures.memory_current;
        case FIG_PEAK: return p->figures.memory_peak;
        case FIG_CPU: return p->figures.cpu_usec;
        case FIG_TASKS: return p->figures.tasks;
        case FIG_OOM: return p->figures.oom_kills;
        case FIG_RESTARTS: return p->restarts;
        case FIG_UP: return p->figures.up;
        default: return METRICS_UNKNOWN;
        }
}

int metrics_render(MetricsInput *in, FILE *f) {
        static const char *const modes[METRICS_CPU_MODES] = {
                "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal",
        };
        const SysInfoSample *s = in->sample;
        size_t n;

        if (in->cpu_ticks && in->ticks_per_second > 0) {
                family(f, "procmgr_host_cpu_seconds_total", "counter",
                       "CPU time of all CPUs since boot, by mode (/proc/stat).");
                for (unsigned i = 0; i < MIN(in->n_cpu_ticks, (unsigned) METRICS_CPU_MODES); i++) {
                        uint64_t t = in->cpu_ticks[i], hz = (uint64_t) in->ticks_per_second;

                        fprintf(f, "procmgr_host_cpu_seconds_total{mode=\"%s\"} ", modes[i]);
                        write_usec_as_seconds(f, t / hz * USEC_PER_SEC + t % hz * USEC_PER_SEC / hz);
                        fputc('\n', f);
                }
        }
        if (s) {
                gauge_u64(f, "procmgr_host_cpus", "CPUs the host has online.", s->n_cpus);
                gauge_u64(f, "procmgr_host_memory_total_bytes", "Memory of the host (MemTotal).", s->mem_total);
                gauge_u64(f, "procmgr_host_memory_available_bytes", "Memory available for new work (MemAvailable).",
                          s->mem_available);
                gauge_u64(f, "procmgr_host_memory_used_bytes", "Memory in use (MemTotal - MemAvailable).",
                          s->mem_used);
                gauge_u64(f, "procmgr_host_swap_total_bytes", "Swap space of the host.", s->swap_total);
                gauge_u64(f, "procmgr_host_swap_used_bytes", "Swap space in use.", s->swap_used);
                family(f, "procmgr_host_load1", "gauge", "Load average over 1 minute.");
                fprintf(f, "procmgr_host_load1 %.2f\n", s->load[0]);
                family(f, "procmgr_host_load5", "gauge", "Load average over 5 minutes.");
                fprintf(f, "procmgr_host_load5 %.2f\n", s->load[1]);
                family(f, "procmgr_host_load15", "gauge", "Load average over 15 minutes.");
                fprintf(f, "procmgr_host_load15 %.2f\n", s->load[2]);
                family(f, "procmgr_host_uptime_seconds", "gauge", "Seconds since the host booted.");
                fprintf(f, "procmgr_host_uptime_seconds %.2f\n", s->uptime);
                gauge_u64(f, "procmgr_host_processes", "Processes on the host.", s->processes);
        }

        family(f, "procmgr_build_info", "gauge", "procmgrd's version and backend; always 1.");
        fputs("procmgr_build_info{version=\"", f);
        metrics_write_label_value(f, in->version ?: "");
        fputs("\",backend=\"", f);
        metrics_write_label_value(f, in->backend ?: "");
        fputs("\"} 1\n", f);
        gauge_u64(f, "procmgr_managed_processes", "Processes procmgrd started and still manages.",
                  in->n_processes);

        n = merge_processes(in->processes, in->n_processes);
        for (int k = 0; k < _FIG_MAX; k++) {
                bool any = false;

                for (size_t i = 0; i < n; i++) {
                        const MetricsProcess *p = &in->processes[i];
                        uint64_t v = figure(p, k);

                        if (v == METRICS_UNKNOWN)
                                continue;
                        if (!any)
                                family(f, process_families[k].name, process_families[k].type,
                                       process_families[k].help);
                        any = true;
                        fputs(process_families[k].name, f);
                        labels(f, p);
                        fputc(' ', f);
                        if (k == FIG_CPU)
                                write_usec_as_seconds(f, v);
                        else
                                fprintf(f, "%" PRIu64, v);
                        fputc('\n', f);
                }
        }
        return ferror(f) ? -EIO : 0;
}
