/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LOGS through the sd-journal API. Records of a started process are matched
 * by its scope (_SYSTEMD_UNIT=…, which journald attributes to stdout/stderr
 * streams opened inside the scope) or by pid, plus the daemon's own records
 * about it (PROCMGR_UNIT= / PROCMGR_PID=). Reading is bounded by `lines`.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "daemon/auth.h"
#include "daemon/backend.h"
#include "daemon/journal-read.h"
#include "shared/log.h"
#include "daemon/manager.h"
#include "daemon/proc.h"

#define MESSAGE_MAX (16U * 1024U)
#define JOURNAL_SKIP_MAX 10000U

static json_t *json_string_lossy(const char *s, size_t n) {
        json_t *j = json_stringn(s, n);
        _cleanup_free_ char *copy = NULL;

        if (j)
                return j;
        /* Not UTF-8 (binary output): keep ASCII, mark the rest. */
        copy = malloc(n + 1);
        if (!copy)
                return NULL;
        for (size_t i = 0; i < n; i++)
                copy[i] = (unsigned char) s[i] < 0x80 && s[i] != '\0' ? s[i] : '?';
        return json_stringn(copy, n);
}

static int add_match(sd_journal *j, const char *field, const char *value) {
        char buf[256];
        int n = snprintf(buf, sizeof(buf), "%s=%s", field, value);

        if (n < 0 || (size_t) n >= sizeof(buf))
                return -EINVAL;
        return sd_journal_add_match(j, buf, 0);
}

static int read_entry(sd_journal *j, json_t **ret) {
        const void *data;
        size_t len;
        uint64_t ts;
        int prio = 6, r;
        json_t *msg;

        r = sd_journal_get_realtime_usec(j, &ts);
        if (r < 0)
                return r;
        r = sd_journal_get_data(j, "PRIORITY", &data, &len);
        if (r >= 0 && len == STRLEN("PRIORITY=") + 1)
                prio = ((const char *) data)[STRLEN("PRIORITY=")] - '0';
        r = sd_journal_get_data(j, "MESSAGE", &data, &len);
        if (r < 0)
                msg = json_string("");
        else
                msg = json_string_lossy((const char *) data + STRLEN("MESSAGE="),
                                        MIN(len - STRLEN("MESSAGE="), (size_t) MESSAGE_MAX));
        if (!msg)
                return -ENOMEM;
        *ret = json_pack("{s:I, s:i, s:o}", "ts", (json_int_t) ts, "priority", prio, "message", msg);
        return *ret ? 0 : -ENOMEM;
}

/* The main pid and journal identifier of one of our scopes, procmgr-<name>-<pid>.scope: from
 * the managed record when we have it, else from the name (plain names only). */
static bool scope_main_process(const char *unit, const Managed *mp, char *ident, size_t size, pid_t *ret_pid) {
        const char *s, *end, *dash;
        long pid = 0;

        if (mp && mp->unit && strcmp(mp->unit, unit) == 0) {
                (void) snprintf(ident, size, "%s", mp->name);
                *ret_pid = mp->pid;
                return true;
        }
        if (strncmp(unit, "procmgr-", STRLEN("procmgr-")) != 0)
                return false;
        s = unit + STRLEN("procmgr-");
        end = strstr(s, ".scope");
        dash = end ? memrchr(s, '-', (size_t) (end - s)) : NULL;
        if (!dash || dash + 1 == end || strchr(s, '\\') || (size_t) (dash - s) >= size)
                return false;
        for (const char *p = dash + 1; p < end; p++) {
                if (*p < '0' || *p > '9' || pid > INT32_MAX / 10)
                        return false;
                pid = pid * 10 + (*p - '0');
        }
        if (pid <= 0)
                return false;
        memcpy(ident, s, (size_t) (dash - s));
        ident[dash - s] = '\0';
        *ret_pid = (pid_t) pid;
        return true;
}

/* The wall-clock time (µs) at which a process with this start time (clock ticks since
 * boot, /proc/PID/stat field 22) started, to 1/CLK_TCK; 0 if unknown. */
static uint64_t start_ticks_to_realtime(uint64_t ticks) {
        struct timespec rt, bt;
        long hz = sysconf(_SC_CLK_TCK);
        uint64_t now_rt, now_bt, start_bt;

        if (ticks == 0 || hz <= 0 || clock_gettime(CLOCK_REALTIME, &rt) < 0 || clock_gettime(CLOCK_BOOTTIME, &bt) < 0)
                return 0;
        now_rt = (uint64_t) rt.tv_sec * USEC_PER_SEC + (uint64_t) rt.tv_nsec / 1000;
        now_bt = (uint64_t) bt.tv_sec * USEC_PER_SEC + (uint64_t) bt.tv_nsec / 1000;
        start_bt = ticks * USEC_PER_SEC / (uint64_t) hz;
        if (start_bt > now_bt || now_bt - start_bt > now_rt)
                return 0;
        return now_rt - (now_bt - start_bt);
}

/* Opening the journal maps every file: do it once. sd_journal_get_fd() turns on the
 * inotify watch and sd_journal_process() applies it, so files journald adds or rotates
 * later are seen by the next query. */
static int journal_get(Manager *m, sd_journal **ret) {
        int r;

        if (!m->journal) {
                r = sd_journal_open(&m->journal, SD_JOURNAL_LOCAL_ONLY);
                if (r < 0)
                        return r;
                r = sd_journal_get_fd(m->journal);
                if (r < 0)
                        log_debug_errno(r, "Cannot watch the journal for new files, ignoring: %m");
        }
        (void) sd_journal_process(m->journal);
        *ret = m->journal;
        return 0;
}

int journal_reply_logs(Call *call, pid_t pid, const char *unit, unsigned lines) {
        _cleanup_(json_decrefp) json_t *arr = NULL, *reply = NULL;
        Manager *m = call->manager;
        sd_journal *j;
        Managed *mp = NULL;
        char buf[32];
        uint64_t since = 0;     /* entries older than this (µs) are not returned */
        unsigned n = 0;
        int r;

        if (pid > 0) {
                mp = backend_find(m->backend, pid);
                if (mp && mp->unit && !unit)
                        unit = mp->unit;
        }

        /* Non-root Unix callers may read the logs of their own processes only: of the
         * process now running under that pid (not of earlier holders of the pid, nor of an
         * earlier scope with the same name), and no unit but that process's own scope. */
        if (!auth_call_is_privileged(call)) {
                uid_t owner = (uid_t) -1;
                uint64_t ticks = 0;
                if (mp) {
                        owner = mp->uid;
                        ticks = mp->start_ticks;
                } else if (pid > 0) {
                        const ProcessInfo *p;
                        if (proc_table_read_one(m->procs, pid, &p) >= 0) {
                                owner = p->uid;
                                ticks = p->start_ticks;
                        }
                }
                if (owner != call_peer(call)->uid) {
                        call_reply_error(call, ERROR_ACCESS_DENIED, "not your process");
                        return 0;
                }
                if (unit && !(mp && mp->unit && strcmp(mp->unit, unit) == 0)) {
                        call_reply_error(call, ERROR_ACCESS_DENIED, "not the unit of your process %i", (int) pid);
                        return 0;
                }
                since = start_ticks_to_realtime(ticks);
                if (since == 0) {
                        call_reply_error(call, ERROR_ACCESS_DENIED, "cannot tell when process %i started", (int) pid);
                        return 0;
                }
        }
        if (unit && (strlen(unit) > 200 || strchr(unit, '/') || strchr(unit, '\n'))) {
                call_reply_error(call, ERROR_INVALID_ARGUMENT, "invalid unit name");
                return 0;
        }

        r = journal_get(m, &j);
        if (r < 0) {
                call_reply_errno(call, r, "cannot open the journal: %s", strerror(-r));
                return 0;
        }
        sd_journal_flush_matches(j);

        if (unit) {
                pid_t main_pid;
                char ident[72];

                r = add_match(j, "_SYSTEMD_UNIT", unit);
                if (r >= 0)
                        r = sd_journal_add_disjunction(j);
                if (r >= 0)
                        r = add_match(j, "PROCMGR_UNIT", unit);
                /* Output of a process that was gone before journald looked up its cgroup carries
                 * no unit (unless the stream header could name it, which needs root): match the
                 * main process's stream by pid and identifier as well. */
                if (r >= 0 && scope_main_process(unit, mp, ident, sizeof(ident), &main_pid)) {
                        (void) snprintf(buf, sizeof(buf), "%i", (int) main_pid);
                        r = sd_journal_add_disjunction(j);
                        if (r >= 0)
                                r = add_match(j, "_PID", buf);
                        if (r >= 0)
                                r = add_match(j, "SYSLOG_IDENTIFIER", ident);
                }
        } else {
                (void) snprintf(buf, sizeof(buf), "%i", (int) pid);
                r = add_match(j, "_PID", buf);
                if (r >= 0)
                        r = sd_journal_add_disjunction(j);
                if (r >= 0)
                        r = add_match(j, "PROCMGR_PID", buf);
        }
        if (r < 0)
                return r;

        arr = json_array();
        if (!arr)
                return -ENOMEM;
        r = sd_journal_seek_tail(j);
        if (r < 0)
                return r;
        /* Walk backwards (newest first), then turn the array around: the reply is oldest
         * first. Unreadable entries are skipped, but they count against a bound too. */
        for (unsigned steps = 0; n < lines && steps < lines + JOURNAL_SKIP_MAX; steps++) {
                json_t *e;

                r = sd_journal_previous(j);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (since > 0) {
                        uint64_t ts;
                        /* Walking backwards: everything from here on is older still. */
                        if (sd_journal_get_realtime_usec(j, &ts) < 0 || ts < since)
                                break;
                }
                r = read_entry(j, &e);
                if (r < 0)
                        continue;
                if (json_array_append_new(arr, e) < 0)
                        return -ENOMEM;
                n++;
        }
        for (size_t a = 0, b = json_array_size(arr); b > 1 && a < b - 1; a++, b--) {
                json_t *x = json_incref(json_array_get(arr, a));
                if (json_array_set(arr, a, json_array_get(arr, b - 1)) < 0 || json_array_set_new(arr, b - 1, x) < 0)
                        return -ENOMEM;
        }

        reply = call_reply_new(call);
        if (!reply || json_object_set_new(reply, "lines", TAKE_PTR(arr)) < 0)
                return -ENOMEM;
        if (unit && json_object_set_new(reply, "unit", json_string(unit)) < 0)
                return -ENOMEM;
        call_reply(call, TAKE_PTR(reply));
        return 0;
}
