/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * proc-floor: the physical limit for LIST. One tight pass over /proc that
 * reads, for every pid, exactly what a LIST process object needs (pid, ppid,
 * comm, uid → user name, state, utime+stime for cpu_percent, rss, threads,
 * start time, cmdline) and serializes the complete LIST reply line into one
 * memory buffer with a hand-written JSON writer (full escaping, invalid UTF-8
 * replaced by U+FFFD). No JSON library, no per-process allocation, uid → name
 * cached; cpu_percent is computed against the previous round's sample, as a
 * daemon keeping state between LISTs would. Reports the median (and min/max)
 * milliseconds per scan over R rounds. The proc root is a parameter, so fixture
 * trees can check the serializer; -o writes the last reply line to a file.
 */

#include "bench-util.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <sys/stat.h>

#define MAX_CMDLINE (4u * 1024u * 1024u)

typedef struct Buf {
        char *data;
        size_t len, cap;
} Buf;

typedef struct Sample {
        int pid;
        uint64_t start_ticks;
        uint64_t cpu_ticks;
        uid_t uid;              /* --cache: kept with the cmdline */
        char *cmdline;          /* --cache: normalized, owned; NULL when not kept */
        size_t cmdline_len;
} Sample;

typedef struct UserCache {
        uid_t uid;
        char name[64];
} UserCache;

typedef enum UidFrom {
        UID_FROM_STATUS,        /* "Uid:" effective field of /proc/PID/status: what ps shows */
        UID_FROM_OWNER,         /* owner of /proc/PID/stat: one fstat, root for non-dumpable tasks */
} UidFrom;

static const char *arg_proc = "/proc";
static unsigned arg_rounds = 11;
static const char *arg_output = NULL;
static UidFrom arg_uid_from = UID_FROM_STATUS;
static bool arg_cache = false;

static uint64_t boot_time = 0;
static long clk_tck = 100;
static long page_size = 4096;
static UserCache *users = NULL;
static size_t n_users = 0;
static Sample *prev = NULL, *cur = NULL;
static size_t n_prev = 0, n_cur = 0, cap_samples = 0;
static uint64_t prev_time = 0;

static int buf_reserve(Buf *b, size_t extra) {
        size_t cap;
        char *p;

        if (b->cap - b->len >= extra)
                return 0;
        cap = b->cap ? b->cap : 65536;
        while (cap - b->len < extra) {
                if (cap > SIZE_MAX / 2)
                        return -ENOMEM;
                cap *= 2;
        }
        p = realloc(b->data, cap);
        if (!p)
                return -ENOMEM;
        b->data = p;
        b->cap = cap;
        return 0;
}

static void buf_put(Buf *b, const char *s, size_t l) {
        memcpy(b->data + b->len, s, l);
        b->len += l;
}
#define buf_puts(b, lit) buf_put((b), (lit), sizeof(lit) - 1)

static void buf_put_u64(Buf *b, uint64_t v) {
        char tmp[24];
        size_t i = sizeof(tmp);

        do {
                tmp[--i] = (char) ('0' + v % 10);
                v /= 10;
        } while (v);
        buf_put(b, tmp + i, sizeof(tmp) - i);
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_valid_len(const unsigned char *s, size_t n) {
        unsigned char c = s[0];

        if (c >= 0xC2 && c <= 0xDF)
                return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
        if (c >= 0xE0 && c <= 0xEF) {
                unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;

                return n >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
        }
        if (c >= 0xF0 && c <= 0xF4) {
                unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;

                return n >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 &&
                       (s[3] & 0xC0) == 0x80 ? 4 : 0;
        }
        return 0;
}

/* A JSON string literal; worst case 6 output bytes per input byte. */
static int buf_put_json_string(Buf *b, const char *str, size_t l) {
        static const char hex[] = "0123456789abcdef";
        const unsigned char *s = (const unsigned char *) str;
        size_t i = 0;
        int r;

        r = buf_reserve(b, l * 6 + 2);
        if (r < 0)
                return r;
        b->data[b->len++] = '"';
        while (i < l) {
                size_t run = i, k;

                while (run < l && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
                        run++;
                if (run > i) {
                        buf_put(b, str + i, run - i);
                        i = run;
                        continue;
                }
                switch (s[i]) {
                case '"':  buf_puts(b, "\\\""); i++; continue;
                case '\\': buf_puts(b, "\\\\"); i++; continue;
                case '\n': buf_puts(b, "\\n");  i++; continue;
                case '\t': buf_puts(b, "\\t");  i++; continue;
                case '\r': buf_puts(b, "\\r");  i++; continue;
                case '\b': buf_puts(b, "\\b");  i++; continue;
                case '\f': buf_puts(b, "\\f");  i++; continue;
                }
                if (s[i] < 0x20) {
                        char u[6] = { '\\', 'u', '0', '0', hex[s[i] >> 4], hex[s[i] & 0xF] };

                        buf_put(b, u, sizeof(u));
                        i++;
                        continue;
                }
                k = utf8_valid_len(s + i, l - i);
                if (k == 0) {
                        buf_puts(b, "\\ufffd");
                        i++;
                        continue;
                }
                buf_put(b, str + i, k);
                i += k;
        }
        b->data[b->len++] = '"';
        return 0;
}

/* Read a whole (small or large) /proc file into *buf; returns the length. */
static ssize_t read_file_at(int dfd, const char *name, char **buf, size_t *cap, size_t max, struct stat *ret_st) {
        _cleanup_close_ int fd = -EBADF;
        size_t len = 0;

        fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (ret_st && fstat(fd, ret_st) < 0)
                return -errno;
        for (unsigned i = 0; i < 4096; i++) {
                ssize_t n;

                if (*cap - len < 1024) {
                        size_t c = *cap * 2;
                        char *p;

                        if (*cap >= max)
                                return (ssize_t) len; /* longer than we keep: truncated */
                        p = realloc(*buf, c);
                        if (!p)
                                return -ENOMEM;
                        *buf = p;
                        *cap = c;
                }
                n = read(fd, *buf + len, *cap - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        (*buf)[len] = '\0';
        return (ssize_t) len;
}

static const char *user_name(uid_t uid, char tmp[static 24]) {
        struct passwd *pw;
        UserCache *u;

        for (size_t i = 0; i < n_users; i++)
                if (users[i].uid == uid)
                        return users[i].name;
        u = realloc(users, (n_users + 1) * sizeof(UserCache));
        if (!u)
                goto numeric;
        users = u;
        u = users + n_users;
        u->uid = uid;
        pw = getpwuid(uid);
        if (pw && strlen(pw->pw_name) < sizeof(u->name))
                strcpy(u->name, pw->pw_name);
        else
                snprintf(u->name, sizeof(u->name), "%u", (unsigned) uid);
        n_users++;
        return u->name;
numeric:
        snprintf(tmp, 24, "%u", (unsigned) uid);
        return tmp;
}

static int parse_status_euid(const char *s, uid_t *ret) {
        const char *p = strstr(s, "\nUid:");
        unsigned long ruid, euid;

        if (!p || sscanf(p + 5, "%lu %lu", &ruid, &euid) != 2)
                return -EINVAL;
        *ret = (uid_t) euid;
        return 0;
}

static int sample_cmp(const void *a, const void *b) {
        const Sample *x = a, *y = b;

        return (x->pid > y->pid) - (x->pid < y->pid);
}

static Sample *prev_find(int pid) {
        size_t lo = 0, hi = n_prev;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (prev[mid].pid == pid)
                        return prev + mid;
                if (prev[mid].pid < pid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

typedef struct StatFields {
        const char *comm;
        size_t comm_len;
        char state;
        uint64_t ppid, utime, stime, threads, start_ticks, rss_pages;
} StatFields;

/* Pure parser of one /proc/PID/stat line (comm may contain anything, even ')'). */
static int parse_stat(char *s, size_t len, StatFields *f) {
        char *open = memchr(s, '(', len), *close = NULL, *p;
        uint64_t v[52];
        unsigned n = 0;

        for (char *q = s + len; q > s; q--)
                if (q[-1] == ')') {
                        close = q - 1;
                        break;
                }
        if (!open || !close || close < open || close + 3 >= s + len)
                return -EINVAL;
        f->comm = open + 1;
        f->comm_len = (size_t) (close - open - 1);
        f->state = close[2];
        /* Fields 4.. after the state; we need up to 24 (rss). */
        p = close + 3;
        while (n < ELEMENTSOF(v) && *p) {
                uint64_t x = 0;
                bool neg = false;

                while (*p == ' ')
                        p++;
                if (*p == '-') {
                        neg = true;
                        p++;
                }
                if (*p < '0' || *p > '9')
                        break;
                while (*p >= '0' && *p <= '9')
                        x = x * 10 + (uint64_t) (*p++ - '0');
                v[n++] = neg ? 0 : x;
        }
        if (n < 21)
                return -EINVAL;
        /* v[0] is field 4. */
        f->ppid = v[0];
        f->utime = v[10];
        f->stime = v[11];
        f->threads = v[16];
        f->start_ticks = v[18];
        f->rss_pages = v[20];
        return 0;
}

static int scan_one(int procfd, const char *name, int pid, Buf *out, bool *first,
                    char **sbuf, size_t *scap, char **cbuf, size_t *ccap, uint64_t now) {
        _cleanup_close_ int dfd = -EBADF;
        const char *cmdline, *u;
        char tmp[24];
        StatFields f;
        struct stat st;
        Sample *ps, *cs;
        uint64_t cpu_tenths = 0;
        size_t cmdline_len;
        ssize_t sl, cl;
        uid_t uid;
        int r;

        dfd = openat(procfd, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        sl = read_file_at(dfd, "stat", sbuf, scap, 65536, arg_uid_from == UID_FROM_OWNER ? &st : NULL);
        if (sl < 0)
                return (int) sl;
        r = parse_stat(*sbuf, (size_t) sl, &f);
        if (r < 0)
                return r;

        if (n_cur == cap_samples) {
                size_t c = cap_samples ? cap_samples * 2 : 1024;
                Sample *a = realloc(cur, c * sizeof(Sample)), *b;

                if (!a)
                        return -ENOMEM;
                cur = a;
                b = realloc(prev, c * sizeof(Sample));
                if (!b)
                        return -ENOMEM;
                prev = b;
                cap_samples = c;
        }
        cs = cur + n_cur;
        *cs = (Sample) { .pid = pid, .start_ticks = f.start_ticks, .cpu_ticks = f.utime + f.stime };

        /* cpu_percent against the previous round (same pid and start time). */
        ps = prev_find(pid);
        if (ps && ps->start_ticks != f.start_ticks)
                ps = NULL;
        if (ps && now > prev_time && f.utime + f.stime >= ps->cpu_ticks)
                cpu_tenths = (f.utime + f.stime - ps->cpu_ticks) * NSEC_PER_SEC / (uint64_t) clk_tck * 1000 /
                             (now - prev_time);

        if (arg_cache && ps && ps->cmdline && ps->cpu_ticks == cs->cpu_ticks) {
                /* --cache: a known process that has not run since cannot have called
                 * setuid() or rewritten its argv: keep uid and cmdline (stat only). */
                cs->uid = uid = ps->uid;
                cs->cmdline = ps->cmdline;
                cs->cmdline_len = ps->cmdline_len;
                ps->cmdline = NULL;
                cmdline = cs->cmdline;
                cmdline_len = cs->cmdline_len;
        } else {
                if (arg_uid_from == UID_FROM_OWNER)
                        uid = st.st_uid;
                else {
                        /* comm points into sbuf; status and cmdline go through cbuf. */
                        cl = read_file_at(dfd, "status", cbuf, ccap, 65536, NULL);
                        if (cl < 0)
                                return (int) cl;
                        r = parse_status_euid(*cbuf, &uid);
                        if (r < 0)
                                return r;
                }
                cl = read_file_at(dfd, "cmdline", cbuf, ccap, MAX_CMDLINE, NULL);
                if (cl < 0)
                        cl = 0; /* vanished or no mm: an empty command line, like a kernel thread */
                while (cl > 0 && (*cbuf)[cl - 1] == '\0')
                        cl--;
                for (ssize_t i = 0; i < cl; i++)
                        if ((*cbuf)[i] == '\0')
                                (*cbuf)[i] = ' ';
                cmdline = *cbuf;
                cmdline_len = (size_t) cl;
                if (arg_cache) {
                        cs->cmdline = malloc(cmdline_len + 1);
                        if (!cs->cmdline)
                                return -ENOMEM;
                        memcpy(cs->cmdline, cmdline, cmdline_len);
                        cs->cmdline[cmdline_len] = '\0';
                        cs->cmdline_len = cmdline_len;
                        cs->uid = uid;
                }
        }
        n_cur++;

        r = buf_reserve(out, 512);
        if (r < 0)
                return r;
        if (!*first)
                buf_puts(out, ",");
        *first = false;
        buf_puts(out, "{\"pid\":");
        buf_put_u64(out, (uint64_t) pid);
        buf_puts(out, ",\"ppid\":");
        buf_put_u64(out, f.ppid);
        buf_puts(out, ",\"name\":");
        r = buf_put_json_string(out, f.comm, f.comm_len);
        if (r < 0)
                return r;
        r = buf_reserve(out, 512);
        if (r < 0)
                return r;
        buf_puts(out, ",\"user\":");
        u = user_name(uid, tmp);
        r = buf_put_json_string(out, u, strlen(u));
        if (r < 0)
                return r;
        r = buf_reserve(out, 512);
        if (r < 0)
                return r;
        buf_puts(out, ",\"state\":\"");
        if (f.state >= 'A' && f.state <= 'Z')
                buf_put(out, &f.state, 1);
        else
                buf_puts(out, "?");
        buf_puts(out, "\",\"cpu_percent\":");
        buf_put_u64(out, cpu_tenths / 10);
        buf_puts(out, ".");
        buf_put_u64(out, cpu_tenths % 10);
        buf_puts(out, ",\"rss\":");
        buf_put_u64(out, f.rss_pages * (uint64_t) page_size);
        buf_puts(out, ",\"threads\":");
        buf_put_u64(out, f.threads);
        buf_puts(out, ",\"start_time\":");
        buf_put_u64(out, boot_time + f.start_ticks / (uint64_t) clk_tck);
        buf_puts(out, ",\"cmdline\":");
        r = buf_put_json_string(out, cmdline, cmdline_len);
        if (r < 0)
                return r;
        r = buf_reserve(out, 64);
        if (r < 0)
                return r;
        buf_puts(out, ",\"managed\":false,\"unit\":null}");
        return 0;
}

static void samples_free_cmdlines(Sample *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(v[i].cmdline);
                v[i].cmdline = NULL;
        }
}

static int scan(int procfd, Buf *out, size_t *ret_count) {
        static char *sbuf = NULL, *cbuf = NULL;
        static size_t scap = 0, ccap = 0;
        _cleanup_close_ int fd = -EBADF;
        uint64_t now = now_ns();
        bool first = true;
        size_t count = 0;
        DIR *d;
        int r;

        if (!sbuf) {
                scap = ccap = 4096;
                sbuf = malloc(scap);
                cbuf = malloc(ccap);
                if (!sbuf || !cbuf)
                        return -ENOMEM;
        }

        fd = openat(procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -EBADF;

        out->len = 0;
        samples_free_cmdlines(cur, n_cur);
        n_cur = 0;
        r = buf_reserve(out, 64);
        if (r < 0)
                goto finish;
        buf_puts(out, "{\"ok\":true,\"processes\":[");

        for (unsigned guard = 0; guard < 4u * 1024u * 1024u; guard++) {
                struct dirent *de;
                uint64_t pid = 0;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        r = errno ? -errno : 0;
                        if (r < 0)
                                goto finish;
                        break;
                }
                if (parse_u64(de->d_name, INT32_MAX, &pid) < 0)
                        continue;
                r = scan_one(dirfd(d), de->d_name, (int) pid, out, &first, &sbuf, &scap, &cbuf, &ccap, now);
                if (r == -ENOMEM)
                        goto finish;
                if (r < 0)
                        continue; /* exited while we looked: not listed */
                count++;
        }
        r = buf_reserve(out, 96);
        if (r < 0)
                goto finish;
        buf_puts(out, "],\"count\":");
        buf_put_u64(out, count);
        buf_puts(out, ",\"total\":");
        buf_put_u64(out, count);
        buf_puts(out, "}\n");

        /* This round's samples become the reference for the next one (sorted by
         * pid); cached command lines of processes that are gone are dropped. */
        samples_free_cmdlines(prev, n_prev);
        qsort(cur, n_cur, sizeof(Sample), sample_cmp);
        {
                Sample *t = prev;

                prev = cur;
                cur = t;
                n_prev = n_cur;
                n_cur = 0;
                prev_time = now;
        }
        *ret_count = count;
        r = 0;
finish:
        closedir(d);
        return r;
}

static int read_boot_time(int procfd) {
        char *buf = NULL;
        size_t cap = 65536;
        const char *p;
        ssize_t l;
        uint64_t v;

        buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        l = read_file_at(procfd, "stat", &buf, &cap, cap, NULL);
        if (l < 0) {
                free(buf);
                return (int) l;
        }
        p = strstr(buf, "\nbtime ");
        if (!p || sscanf(p + 7, "%" SCNu64, &v) != 1) {
                free(buf);
                return -EINVAL;
        }
        boot_time = v;
        free(buf);
        return 0;
}

static void help(void) {
        printf("Usage: proc-floor [OPTIONS]\n"
               "Scan every /proc/PID, build a full LIST reply line in memory, time it.\n\n"
               "  -r --rounds N          scans to time (default 11; the first also warms caches)\n"
               "  -o --output FILE       write the last scan's reply line to FILE\n"
               "  -p --proc DIR          proc root (default /proc; fixture trees for tests)\n"
               "     --uid-from=status   user from the effective uid in /proc/PID/status (default)\n"
               "     --uid-from=owner    user from the owner of /proc/PID/stat (cheaper; root for\n"
               "                         non-dumpable processes)\n"
               "     --cache             keep uid and cmdline of a known process that used no\n"
               "                         CPU since the last scan (stat only); the absolute floor\n\n"
               "Prints: procs= bytes= rounds= ms_median= ms_min= ms_max= us_per_proc=\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_UID_FROM = 0x100, ARG_CACHE };
        static const struct option options[] = {
                { "help",     no_argument,       NULL, 'h'          },
                { "rounds",   required_argument, NULL, 'r'          },
                { "output",   required_argument, NULL, 'o'          },
                { "proc",     required_argument, NULL, 'p'          },
                { "uid-from", required_argument, NULL, ARG_UID_FROM },
                { "cache",    no_argument,       NULL, ARG_CACHE    },
                {}
        };
        uint64_t v = 0;
        int c;

        while ((c = getopt_long(argc, argv, "hr:o:p:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'r':
                        if (parse_u64(optarg, 100000, &v) < 0 || v == 0) {
                                fprintf(stderr, "proc-floor: bad --rounds '%s'\n", optarg);
                                return -EINVAL;
                        }
                        arg_rounds = (unsigned) v;
                        break;
                case 'o':
                        arg_output = optarg;
                        break;
                case 'p':
                        arg_proc = optarg;
                        break;
                case ARG_UID_FROM:
                        if (strcmp(optarg, "status") == 0)
                                arg_uid_from = UID_FROM_STATUS;
                        else if (strcmp(optarg, "owner") == 0)
                                arg_uid_from = UID_FROM_OWNER;
                        else {
                                fprintf(stderr, "proc-floor: bad --uid-from '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_CACHE:
                        arg_cache = true;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "proc-floor: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

static int run(int argc, char *argv[]) {
        _cleanup_close_ int procfd = -EBADF;
        _cleanup_free_ uint64_t *times = NULL;
        Buf out = {};
        size_t count = 0;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r;

        clk_tck = sysconf(_SC_CLK_TCK);
        page_size = sysconf(_SC_PAGESIZE);
        if (clk_tck <= 0 || page_size <= 0)
                return -EINVAL;
        procfd = open(arg_proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0) {
                fprintf(stderr, "proc-floor: %s: %m\n", arg_proc);
                return -errno;
        }
        r = read_boot_time(procfd);
        if (r < 0) {
                fprintf(stderr, "proc-floor: cannot read btime from %s/stat: %s\n", arg_proc, strerror(-r));
                return r;
        }
        times = calloc(arg_rounds, sizeof(uint64_t));
        if (!times)
                return -ENOMEM;

        /* One untimed scan: page cache, dentries and the uid→name cache warm up,
         * and cpu_percent has a previous sample, as in a running daemon. */
        r = scan(procfd, &out, &count);
        for (unsigned i = 0; r >= 0 && i < arg_rounds; i++) {
                uint64_t t = now_ns();

                r = scan(procfd, &out, &count);
                times[i] = now_ns() - t;
        }
        if (r < 0) {
                fprintf(stderr, "proc-floor: scan failed: %s\n", strerror(-r));
                free(out.data);
                return r;
        }

        if (arg_output) {
                _cleanup_fclose_ FILE *f = fopen(arg_output, "we");

                if (!f || fwrite(out.data, 1, out.len, f) != out.len || fflush(f) != 0) {
                        fprintf(stderr, "proc-floor: cannot write %s: %m\n", arg_output);
                        free(out.data);
                        return -EIO;
                }
        }

        qsort(times, arg_rounds, sizeof(uint64_t), cmp_u64);
        samples_free_cmdlines(prev, n_prev);
        samples_free_cmdlines(cur, n_cur);
        free(prev);
        free(cur);
        free(users);
        printf("procs=%zu bytes=%zu rounds=%u ms_median=%.3f ms_min=%.3f ms_max=%.3f us_per_proc=%.2f\n",
               count, out.len, arg_rounds,
               (double) times[arg_rounds / 2] / 1e6, (double) times[0] / 1e6,
               (double) times[arg_rounds - 1] / 1e6,
               count ? (double) times[arg_rounds / 2] / 1e3 / (double) count : 0.0);
        free(out.data);
        return 0;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);

        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
