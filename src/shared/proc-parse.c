/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pure parsers of /proc buffers; see proc-parse.h. Numbers are parsed by hand:
 * strtoull() would accept signs, blanks and overflow quietly, and these
 * buffers come from a kernel interface whose format is fixed.
 */

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "shared/macro.h"
#include "shared/utf8.h"
#include "shared/proc-parse.h"

size_t proc_cmdline_normalize(const char *raw, size_t len, char *buf, size_t size) {
        while (len > 0 && raw[len - 1] == '\0')
                len--;
        return utf8_sanitize(raw, len, ' ', buf, size);
}

static const char *skip_field(const char *p, const char *e) {
        while (p < e && *p == ' ')
                p++;
        while (p < e && *p != ' ' && *p != '\n')
                p++;
        return p;
}

static const char *parse_u64_field(const char *p, const char *e, uint64_t *ret) {
        uint64_t v = 0;
        const char *s;

        while (p < e && *p == ' ')
                p++;
        s = p;
        for (; p < e && *p >= '0' && *p <= '9'; p++) {
                unsigned d = (unsigned) (*p - '0');

                if (v > (UINT64_MAX - d) / 10)
                        return NULL;
                v = v * 10 + d;
        }
        if (p == s || (p < e && *p != ' ' && *p != '\n'))
                return NULL;
        *ret = v;
        return p;
}

int proc_parse_stat(const char *buf, size_t len, ProcStat *ret) {
        const char *e = buf + len, *p, *open, *close = NULL;
        ProcStat s = {};
        uint64_t v;
        size_t n;

        if (!buf || !ret)
                return -EINVAL;

        /* "pid (comm) state ppid …": comm may hold anything but NUL, so it ends at the
         * last ')' of the buffer; the fields after it are plain numbers. */
        p = parse_u64_field(buf, e, &v);
        if (!p || v == 0 || v > INT32_MAX)
                return -EINVAL;
        s.pid = (pid_t) v;
        if (e - p < 2 || p[0] != ' ' || p[1] != '(')
                return -EINVAL;
        open = p + 2;
        for (const char *q = e; q > open; q--)
                if (q[-1] == ')') {
                        close = q - 1;
                        break;
                }
        if (!close)
                return -EINVAL;
        n = MIN((size_t) (close - open), sizeof(s.comm) - 1);
        memcpy(s.comm, open, n);
        s.comm[n] = '\0';

        p = close + 1;
        if (e - p < 3 || p[0] != ' ' || p[2] != ' ')
                return -EINVAL;
        s.state = p[1];
        p += 2;

        /* p now points before field 4. */
        for (unsigned field = 4; field <= 49; field++) {
                uint64_t *out = NULL;

                switch (field) {
                case 4: case 14: case 15: case 20: case 22: case 24: case 48: case 49:
                        out = &v;
                        break;
                }
                if (!out) {
                        const char *q = skip_field(p, e);

                        if (q == p) {
                                if (field > 24)
                                        break; /* old kernel: no arg_start/arg_end */
                                return -EINVAL;
                        }
                        p = q;
                        continue;
                }
                if (field >= 48 && (p >= e || *p == '\n'))
                        break;
                p = parse_u64_field(p, e, out);
                if (!p)
                        return -EINVAL;
                switch (field) {
                case 4:
                        if (v > INT32_MAX)
                                return -EINVAL;
                        s.ppid = (pid_t) v;
                        break;
                case 14:
                        s.utime = v;
                        break;
                case 15:
                        s.stime = v;
                        break;
                case 20:
                        s.num_threads = v > LONG_MAX ? LONG_MAX : (long) v;
                        break;
                case 22:
                        s.start_ticks = v;
                        break;
                case 24:
                        s.rss_pages = v > LONG_MAX ? LONG_MAX : (long) v;
                        break;
                case 48:
                        s.arg_start = v;
                        break;
                case 49:
                        s.arg_end = v;
                        break;
                }
        }

        *ret = s;
        return 0;
}

int proc_parse_status_uid(const char *buf, size_t len, uid_t *ret) {
        static const char key[] = "Uid:";
        const char *e = buf + len;
        uint64_t v;

        for (const char *p = buf; p < e;) {
                const char *nl = memchr(p, '\n', (size_t) (e - p));
                const char *end = nl ?: e;

                if ((size_t) (end - p) > STRLEN(key) && memcmp(p, key, STRLEN(key)) == 0) {
                        const char *q = p + STRLEN(key);

                        while (q < end && (*q == ' ' || *q == '\t'))
                                q++;
                        if (q >= end || *q < '0' || *q > '9')
                                return -EINVAL;
                        v = 0;
                        for (; q < end && *q >= '0' && *q <= '9'; q++) {
                                v = v * 10 + (uint64_t) (*q - '0');
                                if (v > UINT32_MAX)
                                        return -ERANGE;
                        }
                        if (q < end && *q != '\t' && *q != ' ')
                                return -EINVAL;
                        *ret = (uid_t) v;
                        return 0;
                }
                if (!nl)
                        break;
                p = nl + 1;
        }
        return -ENODATA;
}

int proc_parse_uptime(const char *s, usec_t *ret) {
        usec_t sec = 0, frac = 0, scale = USEC_PER_SEC;
        const char *p = s;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++)
                sec = sec * 10 + (usec_t) (*p - '0');
        if (*p == '.')
                for (p++; *p >= '0' && *p <= '9'; p++)
                        if (scale > 1) {
                                scale /= 10;
                                frac += (usec_t) (*p - '0') * scale;
                        }
        *ret = sec * USEC_PER_SEC + frac;
        return 0;
}

int proc_parse_btime(const char *buf, uint64_t *ret) {
        const char *p;
        uint64_t v;

        p = strncmp(buf, "btime ", 6) == 0 ? buf : strstr(buf, "\nbtime ");
        if (!p)
                return -ENODATA;
        p = strchr(p + 1, ' ');
        if (!parse_u64_field(p, p + strlen(p), &v))
                return -EINVAL;
        *ret = v;
        return 0;
}
