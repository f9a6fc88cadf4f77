/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * INFO's system figures. The proc files it needs (stat, meminfo, loadavg,
 * uptime) are opened once and re-read with pread() at offset 0 into one reused
 * buffer, usually one syscall per file; on a real procfs stat, meminfo and loadavg
 * are sampled at most every SYSINFO_SAMPLE_MIN_USEC and uptime is CLOCK_BOOTTIME,
 * what /proc/uptime shows, read without the file. CPU percentages are busy/total jiffies
 * (busy = everything but idle and iowait) between this sample and the previous
 * one; the first call has no previous sample and reports the average since
 * boot. CPUs are matched by number, so hotplug does not mix them up; a CPU that
 * just came online reports its average since boot. "processes" counts the
 * numeric entries of the proc directory (thread groups, what top calls tasks);
 * on a real procfs that listing costs milliseconds at a few thousand processes,
 * so between listings (at most SYSINFO_PROCESSES_MAX_AGE_USEC apart) the count
 * follows the proc root's link count, which procfs keeps at a constant plus the
 * number of processes. Memory figures are bytes: used = total - available
 * (MemAvailable, or MemFree + Buffers + Cached on kernels without it), swap
 * used = SwapTotal - SwapFree. hostname and kernel (the release string) come
 * from one uname() call. Never logs above debug.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h> /* isfinite() only: a macro, no -lm */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "shared/dirent-util.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/time-util.h"
#include "daemon/proc-util.h"
#include "daemon/sysinfo.h"

#define SYSINFO_PROCESSES_MAX_AGE_USEC (30 * USEC_PER_SEC)
#define SYSINFO_DENTS_BUF (64 * 1024)
#define SYSINFO_BUF_MAX (64 * 1024 * 1024)
#define SYSINFO_SAMPLE_MIN_USEC (100 * USEC_PER_MSEC)

typedef struct CpuSample {
        long id;                /* -1: the aggregate "cpu" line */
        uint64_t busy, total;
} CpuSample;

enum {
        FILE_STAT,
        FILE_MEMINFO,
        FILE_LOADAVG,
        FILE_UPTIME,
        _FILE_MAX,
};

static const char *const file_names[_FILE_MAX] = {
        [FILE_STAT]    = "stat",
        [FILE_MEMINFO] = "meminfo",
        [FILE_LOADAVG] = "loadavg",
        [FILE_UPTIME]  = "uptime",
};

typedef struct MemInfo {
        uint64_t total, available, free, buffers, cached, swap_total, swap_free;
        bool have_available;
} MemInfo;

struct SysInfo {
        int proc_fd;
        bool is_procfs;
        int fds[_FILE_MAX];

        char *buf;
        size_t buf_size;

        CpuSample *prev, *cur;  /* [0] aggregate, then one per cpuN line */
        size_t n_prev, n_cur, n_alloc;

        /* The last sample of stat and meminfo, and what was computed from it. On a real
         * procfs they are re-read at most every SYSINFO_SAMPLE_MIN_USEC: reading
         * /proc/stat and /proc/meminfo costs more kernel time than a whole PING round
         * trip, and a CPU share over less than that is noise anyway. */
        usec_t min_interval;
        usec_t sample_usec;
        bool have_sample;
        double *percent;        /* [0] aggregate, then per CPU, n_cur - 1 of them */
        size_t n_percent_alloc;
        MemInfo mem;
        double load[3];

        char *dents;
        uint64_t processes;     /* from the last listing */
        uint64_t nlink_offset;  /* link count of the proc root minus processes, then */
        usec_t processes_usec;
        bool have_processes;
};

int sysinfo_new(int proc_fd, SysInfo **ret) {
        _cleanup_(sysinfo_freep) SysInfo *s = NULL;
        _cleanup_close_ int fd = proc_fd;

        if (!ret)
                return -EINVAL;
        fd = proc_root_open(TAKE_FD(fd));
        if (fd < 0)
                return fd;

        s = calloc(1, sizeof(SysInfo));
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < _FILE_MAX; i++)
                s->fds[i] = -EBADF;
        s->proc_fd = TAKE_FD(fd);
        s->is_procfs = fd_is_procfs(s->proc_fd);

        for (size_t i = 0; i < _FILE_MAX; i++) {
                s->fds[i] = openat(s->proc_fd, file_names[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (s->fds[i] < 0)
                        return -errno;
        }

        /* Fixture trees have no clock of their own: every call samples. */
        s->min_interval = s->is_procfs ? SYSINFO_SAMPLE_MIN_USEC : 0;

        s->buf_size = 16 * 1024;
        s->buf = malloc(s->buf_size);
        if (!s->buf)
                return -ENOMEM;

        *ret = TAKE_PTR(s);
        return 0;
}

SysInfo *sysinfo_free(SysInfo *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < _FILE_MAX; i++)
                safe_close(s->fds[i]);
        safe_close(s->proc_fd);
        free(s->buf);
        free(s->prev);
        free(s->cur);
        free(s->dents);
        free(s->percent);
        free(s);
        return NULL;
}

/* The whole file into s->buf, NUL-terminated. One pread when it fits. */
static int read_file(SysInfo *s, int which, size_t *ret_len) {
        return pread_full(s->fds[which], &s->buf, &s->buf_size, SYSINFO_BUF_MAX, ret_len);
}

static const char *skip_blanks(const char *p) {
        while (*p == ' ' || *p == '\t')
                p++;
        return p;
}

static const char *parse_u64(const char *p, uint64_t *ret) {
        uint64_t v = 0;
        const char *s;

        p = skip_blanks(p);
        s = p;
        for (; *p >= '0' && *p <= '9'; p++)
                v = v * 10 + (uint64_t) (*p - '0');
        if (p == s)
                return NULL;
        *ret = v;
        return p;
}

/* Locale-independent "123.45" → double. */
static const char *parse_decimal(const char *p, double *ret) {
        uint64_t ip;
        double v, scale = 0.1;

        p = parse_u64(p, &ip);
        if (!p)
                return NULL;
        v = (double) ip;
        if (*p == '.')
                for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
                        v += (*p - '0') * scale;
        *ret = v;
        return p;
}

static double round1(double v) {
        /* without libm's round(); percentages are small and non-negative */
        if (!isfinite(v) || v < 0 || v > 1e12)
                return 0;
        return (double) (uint64_t) (v * 10.0 + 0.5) / 10.0;
}

static int grow_samples(SysInfo *s, size_t need) {
        CpuSample *a, *b;
        size_t n;

        if (need <= s->n_alloc)
                return 0;
        n = MAX(need, s->n_alloc * 2);
        a = realloc(s->cur, n * sizeof(CpuSample));
        if (!a)
                return -ENOMEM;
        s->cur = a;
        b = realloc(s->prev, n * sizeof(CpuSample));
        if (!b)
                return -ENOMEM;
        s->prev = b;
        s->n_alloc = n;
        return 0;
}

/* "cpu[N] user nice system idle iowait irq softirq steal …" lines into s->cur. */
static int parse_proc_stat(SysInfo *s, const char *buf) {
        s->n_cur = 0;

        for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                uint64_t f[8] = {}, total = 0;
                CpuSample c = { .id = -1 };
                const char *q;
                unsigned k;

                if (strncmp(p, "cpu", 3) != 0)
                        continue;
                q = p + 3;
                if (*q >= '0' && *q <= '9') {
                        uint64_t id;

                        q = parse_u64(q, &id);
                        if (!q || id > INT32_MAX)
                                continue;
                        c.id = (long) id;
                } else if (*q != ' ')
                        continue;

                for (k = 0; k < ELEMENTSOF(f); k++) {
                        const char *e = parse_u64(q, &f[k]);

                        if (!e)
                                break;
                        q = e;
                }
                if (k < 4)
                        continue; /* need at least user nice system idle */
                for (unsigned i = 0; i < k; i++)
                        total += f[i];
                c.total = total;
                c.busy = total - f[3] - f[4];

                if (c.id < 0 && s->n_cur > 0)
                        continue; /* a second aggregate line? ignore */
                if (grow_samples(s, s->n_cur + 2) < 0)
                        return -ENOMEM;
                if (c.id < 0 && s->n_cur == 0)
                        s->cur[s->n_cur++] = c;
                else {
                        if (s->n_cur == 0)
                                s->cur[s->n_cur++] = (CpuSample) { .id = -1 };
                        s->cur[s->n_cur++] = c;
                }
        }
        if (s->n_cur == 0)
                return -ENODATA;
        return 0;
}

static double cpu_percent(const CpuSample *cur, const CpuSample *prev) {
        uint64_t busy = cur->busy, total = cur->total;

        /* Counters only grow; if they did not (hotplug reset), fall back to since boot. */
        if (prev && prev->id == cur->id && cur->total >= prev->total && cur->busy >= prev->busy) {
                busy -= prev->busy;
                total -= prev->total;
        }
        if (total == 0)
                return 0.0;
        return round1((double) busy * 100.0 / (double) total);
}

/* Percentages of the sample just parsed (s->cur) against the previous one (s->prev). */
static int compute_percent(SysInfo *s) {
        if (s->n_cur > s->n_percent_alloc) {
                double *v = reallocarray(s->percent, s->n_cur, sizeof(double));
                if (!v)
                        return -ENOMEM;
                s->percent = v;
                s->n_percent_alloc = s->n_cur;
        }
        s->percent[0] = cpu_percent(&s->cur[0], s->n_prev > 0 ? &s->prev[0] : NULL);
        for (size_t i = 1; i < s->n_cur; i++) {
                const CpuSample *p = NULL;

                /* Same position normally; search by id after hotplug moved lines. */
                if (i < s->n_prev && s->prev[i].id == s->cur[i].id)
                        p = &s->prev[i];
                else
                        for (size_t j = 1; j < s->n_prev; j++)
                                if (s->prev[j].id == s->cur[i].id) {
                                        p = &s->prev[j];
                                        break;
                                }
                s->percent[i] = cpu_percent(&s->cur[i], p);
        }
        return 0;
}

static void parse_meminfo(const char *buf, MemInfo *ret) {
        static const struct {
                const char *key;
                size_t offset;
        } keys[] = {
                { "MemTotal:",     offsetof(MemInfo, total)      },
                { "MemFree:",      offsetof(MemInfo, free)       },
                { "MemAvailable:", offsetof(MemInfo, available)  },
                { "Buffers:",      offsetof(MemInfo, buffers)    },
                { "Cached:",       offsetof(MemInfo, cached)     },
                { "SwapTotal:",    offsetof(MemInfo, swap_total) },
                { "SwapFree:",     offsetof(MemInfo, swap_free)  },
        };
        MemInfo m = {};

        for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                        size_t kl = strlen(keys[i].key);
                        uint64_t v;
                        const char *e;

                        if (strncmp(p, keys[i].key, kl) != 0)
                                continue;
                        e = parse_u64(p + kl, &v);
                        if (!e)
                                break;
                        e = skip_blanks(e);
                        if (strncmp(e, "kB", 2) == 0)
                                v *= 1024;
                        *(uint64_t *) ((char *) &m + keys[i].offset) = v;
                        if (keys[i].offset == offsetof(MemInfo, available))
                                m.have_available = true;
                        break;
                }
        if (!m.have_available)
                m.available = MIN(m.free + m.buffers + m.cached, m.total);
        *ret = m;
}

static int count_processes(SysInfo *s, uint64_t *ret) {
        uint64_t n = 0;
        ssize_t k;

        if (!s->dents) {
                s->dents = malloc(SYSINFO_DENTS_BUF);
                if (!s->dents)
                        return -ENOMEM;
        }
        if (lseek(s->proc_fd, 0, SEEK_SET) < 0)
                return -errno;
        while ((k = getdents_chunk(s->proc_fd, s->dents, SYSINFO_DENTS_BUF)) > 0)
                FOREACH_DIRENT_IN_BUFFER(d, s->dents, k)
                        if (dirent_to_pid(d) > 0)
                                n++;
        if (k < 0)
                return (int) k;
        *ret = n;
        return 0;
}

static int proc_nlink(SysInfo *s, uint64_t *ret) {
        struct stat st;

        if (fstat(s->proc_fd, &st) < 0)
                return -errno;
        *ret = (uint64_t) st.st_nlink;
        return 0;
}

static int processes_get(SysInfo *s, uint64_t *ret) {
        uint64_t before = 0, after = 0, nlink = 0;
        usec_t t;
        int r;

        if (!s->is_procfs) {
                r = count_processes(s, &s->processes);
                if (r < 0)
                        return r;
                *ret = s->processes;
                return 0;
        }

        /* procfs reports its root's link count as a constant plus the number of
         * processes (thread groups). Between listings, that single fstat() keeps the
         * count current: exact in the daemon's own pid namespace; in a child pid
         * namespace the link count sees the host's processes too, so the listing
         * recalibrates the constant every SYSINFO_PROCESSES_MAX_AGE_USEC. */
        t = now(CLOCK_MONOTONIC);
        if (s->have_processes && t - s->processes_usec < SYSINFO_PROCESSES_MAX_AGE_USEC &&
            proc_nlink(s, &nlink) >= 0 && nlink >= s->nlink_offset) {
                *ret = nlink - s->nlink_offset;
                return 0;
        }

        r = proc_nlink(s, &before);
        if (r >= 0)
                r = count_processes(s, &s->processes);
        if (r >= 0)
                r = proc_nlink(s, &after);
        if (r < 0)
                return r;
        /* Calibrate only from a listing no fork or exit raced with. */
        s->have_processes = before == after && before >= s->processes;
        s->nlink_offset = before - s->processes;
        s->processes_usec = t;
        *ret = s->processes;
        return 0;
}

static uint64_t mem_used(const MemInfo *m) {
        return m->total - MIN(m->available, m->total);
}

static double mem_percent(const MemInfo *m) {
        return round1((double) mem_used(m) * 100.0 / (double) m->total);
}

/* Everything INFO reports, fresh except stat/meminfo within min_interval. */
int sysinfo_sample(SysInfo *s, SysInfoSample *ret) {
        struct utsname u;
        size_t len;
        usec_t n;
        int r;

        if (!s || !ret)
                return -EINVAL;
        n = s->min_interval > 0 ? now(CLOCK_MONOTONIC) : 0;

        if (!s->have_sample || s->min_interval == 0 || n - s->sample_usec >= s->min_interval) {
                MemInfo m;

                s->have_sample = false;
                /* The kernel recomputes the load averages every 5 s: sampled with the rest. */
                r = read_file(s, FILE_LOADAVG, &len);
                if (r < 0)
                        return log_debug_errno(r, "Failed to read loadavg: %m");
                {
                        const char *p = s->buf;

                        for (size_t i = 0; i < 3 && p; i++)
                                p = parse_decimal(p, &s->load[i]);
                        if (!p)
                                return log_debug_errno(SYNTHETIC_ERRNO(EBADMSG), "Cannot parse loadavg.");
                }

                r = read_file(s, FILE_STAT, &len);
                if (r < 0)
                        return log_debug_errno(r, "Failed to read stat: %m");
                r = parse_proc_stat(s, s->buf);
                if (r < 0)
                        return log_debug_errno(r == -ENODATA ? -EBADMSG : r, "Cannot parse stat: %m");
                r = compute_percent(s);
                if (r < 0)
                        return r;
                r = read_file(s, FILE_MEMINFO, &len);
                if (r < 0)
                        return log_debug_errno(r, "Failed to read meminfo: %m");
                parse_meminfo(s->buf, &m);
                if (m.total == 0)
                        return log_debug_errno(SYNTHETIC_ERRNO(EBADMSG), "Cannot parse meminfo.");

                /* This sample becomes the baseline of the next one. */
                {
                        CpuSample *t = s->prev;

                        s->prev = s->cur;
                        s->cur = t;
                        s->n_prev = s->n_cur;
                }
                s->mem = m;
                s->sample_usec = n;
                s->have_sample = true;
        }

        *ret = (SysInfoSample) {
                .n_cpus = (unsigned) (s->n_prev - 1),
                .cpu_percent = s->percent[0],
                .per_cpu_percent = s->percent + 1,
                .mem_total = s->mem.total,
                .mem_available = s->mem.available,
                .mem_used = mem_used(&s->mem),
                .mem_percent = mem_percent(&s->mem),
                .swap_total = s->mem.swap_total,
                .swap_used = s->mem.swap_total - MIN(s->mem.swap_free, s->mem.swap_total),
        };
        memcpy(ret->load, s->load, sizeof(ret->load));

        if (s->is_procfs) {
                usec_t b = now(CLOCK_BOOTTIME);

                /* What /proc/uptime prints (CLOCK_BOOTTIME, cut to hundredths), without the file. */
                ret->uptime = (double) (b / USEC_PER_SEC) + (double) (b % USEC_PER_SEC / 10000) / 100.0;
        } else {
                r = read_file(s, FILE_UPTIME, &len);
                if (r < 0)
                        return log_debug_errno(r, "Failed to read uptime: %m");
                if (!parse_decimal(s->buf, &ret->uptime))
                        return log_debug_errno(SYNTHETIC_ERRNO(EBADMSG), "Cannot parse uptime.");
        }

        r = processes_get(s, &ret->processes);
        if (r < 0)
                return log_debug_errno(r, "Failed to count processes: %m");

        if (uname(&u) < 0)
                return log_debug_errno(-errno, "uname() failed: %m");
        (void) snprintf(ret->hostname, sizeof(ret->hostname), "%s", u.nodename);
        (void) snprintf(ret->kernel, sizeof(ret->kernel), "%s", u.release);
        return 0;
}
