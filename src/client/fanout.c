/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-host children and the prefixing relay of their output; see fanout.h. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "client/fanout.h"
#include "shared/fd-util.h"
#include "shared/macro.h"
#include "shared/utf8.h"

typedef struct Stream {
        int fd;
        FILE *to;
        char *buf;
        size_t len, size;
} Stream;

typedef struct Job {
        const char *host;
        pid_t pid;
        Stream s[2];            /* stdout, stderr */
} Job;

static void print_line(const Job *j, const Stream *s, const char *line, size_t len, size_t width, bool json) {
        /* --json: the reply line gets "host" instead of a prefix, so each line stays JSON. */
        if (json && s->to == stdout && len > 0 && line[0] == '{') {
                json_auto_t *o = json_loadb(line, len, 0, NULL);
                _cleanup_free_ char *out = NULL;

                if (json_is_object(o) && json_object_set_new(o, "host", json_string(j->host)) == 0 &&
                    (out = json_dumps(o, JSON_COMPACT))) {
                        fprintf(s->to, "%s\n", out);
                        return;
                }
        }
        fprintf(s->to, "%s:%*s %.*s\n", j->host, (int) (width - utf8_width(j->host)), "", (int) len, line);
}

/* Prints the complete lines in s (all of it at eof). */
static void flush_lines(Job *j, Stream *s, size_t width, bool json, bool eof) {
        size_t start = 0;

        for (;;) {
                char *nl = memchr(s->buf + start, '\n', s->len - start);

                if (!nl)
                        break;
                print_line(j, s, s->buf + start, (size_t) (nl - (s->buf + start)), width, json);
                start = (size_t) (nl - s->buf) + 1;
        }
        if ((eof || s->len - start >= FANOUT_LINE_MAX) && s->len > start) {
                print_line(j, s, s->buf + start, s->len - start, width, json);
                start = s->len;
        }
        memmove(s->buf, s->buf + start, s->len - start);
        s->len -= start;
        fflush(s->to);
}

/* Reads what is there; 0 on EOF (fd closed), 1 otherwise. */
static int stream_read(Job *j, Stream *s, size_t width, bool json) {
        ssize_t k;

        if (s->size - s->len < 4096) {
                size_t ns = MIN(MAX(s->size * 2, (size_t) 8192), (size_t) FANOUT_LINE_MAX + 4096);
                char *b;

                if (ns > s->size) {
                        b = realloc(s->buf, ns);
                        if (b) {
                                s->buf = b;
                                s->size = ns;
                        }
                }
                if (s->size - s->len == 0) {
                        flush_lines(j, s, width, json, true);
                        return 1;
                }
        }
        k = read(s->fd, s->buf + s->len, s->size - s->len);
        if (k < 0 && (errno == EINTR || errno == EAGAIN))
                return 1;
        if (k <= 0) {
                flush_lines(j, s, width, json, true);
                s->fd = safe_close(s->fd);
                return 0;
        }
        s->len += (size_t) k;
        flush_lines(j, s, width, json, false);
        return 1;
}

static int job_start(Job *j, Job *jobs, size_t n_jobs, FanoutChild child, void *userdata) {
        int out[2] = { -EBADF, -EBADF }, err[2] = { -EBADF, -EBADF };
        pid_t pid;

        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
                int r = -errno;
                safe_close(out[0]);
                safe_close(out[1]);
                return r;
        }

        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                int r = -errno;
                safe_close(out[0]);
                safe_close(out[1]);
                safe_close(err[0]);
                safe_close(err[1]);
                return r;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC), r;

                for (size_t i = 0; i < n_jobs; i++) {
                        safe_close(jobs[i].s[0].fd);
                        safe_close(jobs[i].s[1].fd);
                }
                if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
                    dup2(err[1], STDERR_FILENO) < 0)
                        _exit(2);
                safe_close(null);
                safe_close(out[0]);
                safe_close(out[1]);
                safe_close(err[0]);
                safe_close(err[1]);
                r = child(j->host, userdata);
                fflush(stdout);
                fflush(stderr);
                _exit(r);
        }

        safe_close(out[1]);
        safe_close(err[1]);
        j->pid = pid;
        j->s[0] = (Stream) { .fd = out[0], .to = stdout };
        j->s[1] = (Stream) { .fd = err[0], .to = stderr };
        (void) fd_set_nonblock(out[0], true);
        (void) fd_set_nonblock(err[0], true);
        return 0;
}

/* Both streams at EOF: collect the exit status (the child is leaving; its stdio closed). */
static int job_reap(Job *j) {
        int st;

        for (;;) {
                if (waitpid(j->pid, &st, 0) >= 0)
                        break;
                if (errno != EINTR)
                        return 2;
        }
        j->pid = 0;
        free(j->s[0].buf);
        free(j->s[1].buf);
        j->s[0].buf = j->s[1].buf = NULL;
        return WIFEXITED(st) ? MIN(WEXITSTATUS(st), 2) : 2;
}

int fanout_run(char *const *hosts, size_t n, unsigned parallel, bool json, FanoutChild child, void *userdata) {
        _cleanup_free_ Job *jobs = NULL;
        _cleanup_free_ struct pollfd *p = NULL;
        _cleanup_free_ size_t *map = NULL;
        size_t width = 0, next = 0, running = 0, done = 0;
        int worst = 0, r;

        if (parallel == 0)
                parallel = FANOUT_PARALLEL_DEFAULT;

        jobs = calloc(n, sizeof(Job));
        p = calloc(2 * n, sizeof(struct pollfd));
        map = calloc(2 * n, sizeof(size_t));
        if (!jobs || !p || !map) {
                fprintf(stderr, "procctl: out of memory\n");
                return 2;
        }
        for (size_t i = 0; i < n; i++) {
                jobs[i].host = hosts[i];
                jobs[i].s[0].fd = jobs[i].s[1].fd = -EBADF;
                width = MAX(width, utf8_width(hosts[i]));
        }

        while (done < n) {
                size_t np = 0;

                while (running < parallel && next < n) {
                        r = job_start(&jobs[next], jobs, next, child, userdata);
                        if (r < 0) {
                                fprintf(stderr, "%s:%*s procctl: cannot start: %s\n", jobs[next].host,
                                        (int) (width - utf8_width(jobs[next].host)), "", strerror(-r));
                                worst = 2;
                                done++;
                        } else
                                running++;
                        next++;
                }

                for (size_t i = 0; i < n; i++)
                        for (size_t k = 0; k < 2; k++)
                                if (jobs[i].pid > 0 && jobs[i].s[k].fd >= 0) {
                                        p[np] = (struct pollfd) { .fd = jobs[i].s[k].fd, .events = POLLIN };
                                        map[np++] = 2 * i + k;
                                }

                if (np > 0 && poll(p, np, -1) < 0 && errno != EINTR) {
                        fprintf(stderr, "procctl: poll: %m\n");
                        return 2;
                }
                for (size_t q = 0; q < np; q++)
                        if (p[q].revents != 0)
                                (void) stream_read(&jobs[map[q] / 2], &jobs[map[q] / 2].s[map[q] % 2], width, json);

                for (size_t i = 0; i < n; i++)
                        if (jobs[i].pid > 0 && jobs[i].s[0].fd < 0 && jobs[i].s[1].fd < 0) {
                                int st = job_reap(&jobs[i]);    /* not inside MAX(): once */

                                worst = MAX(worst, st);
                                running--;
                                done++;
                        }
        }
        return worst;
}
